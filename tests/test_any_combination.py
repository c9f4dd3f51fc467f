"""Any valid combination of a chapter's parameters completes (issue 14, item 2).

Hypothesis draws valid parameter sets per chapter with tiny sizes; each set goes through
the parameter layer (``check_parameters``, as the notebooks' second cell does) and then
through the chapter's runner and figure functions on tiny synthetic data, in the order the
notebook calls them. The notebooks themselves run once per chapter in ``test_rerun_commands``.
"""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

from osa_lib.book import figures as plots, parameters as P  # noqa: E402
from osa_lib.data.mnist import ClusteringData  # noqa: E402

SETTINGS = settings(max_examples=6, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def tiny_clustering_data(n_train: int, n_test: int, seed: int = 0) -> ClusteringData:
    """Rows of 784 pixels in [0, 1] around 10 prototypes (shapes as MNIST's)."""
    rng = np.random.default_rng(seed)
    prototypes = rng.random((10, 784)) < 0.2
    def rows(n):
        y = np.arange(n) % 10
        X = np.clip(prototypes[y] * 0.9 + rng.normal(0, 0.1, (n, 784)), 0, 1).astype(np.float32)
        return X, y.astype(np.int64)
    X_train, y_train = rows(n_train)
    X_test, y_test = rows(n_test)
    return ClusteringData("mnist", X_train, y_train, X_test, y_test, {"data_root": "synthetic"})


def small_lists(elements, max_size=3):
    return st.lists(elements, min_size=1, max_size=max_size, unique=True)


def as_drawn(value, draw_style):
    """A list as papermill's -p (a string), -y (a list) or Python (a tuple) hands it over."""
    return {"p": str(list(value)), "y": list(value), "python": tuple(value)}[draw_style]


styles = st.sampled_from(["p", "y", "python"])

shallow_sets = st.fixed_dictionaries({
    "profile": st.sampled_from(P.PROFILES), "dataset": st.sampled_from(P.CLUSTERING_DATASETS),
    "seeds": small_lists(st.integers(0, 3), 2), "epochs": st.integers(1, 2),
    "n_train": st.integers(100, 160), "n_test": st.integers(20, 60),
    "cluster_sizes": small_lists(st.sampled_from([2, 3, 10, 30]), 2),
    "sweep_sizes": small_lists(st.sampled_from([2, 5, 10, 30, 100]), 3),
    "sweep_seeds": small_lists(st.integers(0, 2), 1), "tsne_points": st.one_of(st.none(), st.integers(10, 60)),
    "style": styles,
})


@SETTINGS
@given(drawn=shallow_sets)
def test_shallow_chapter_completes_for_any_valid_set(drawn, tmp_path_factory):
    from osa_lib.book import tables
    from osa_lib.book.shallow_runs import (run_kmeans, run_shallow_acrbm, sensitivity_table, shallow_sensitivity,
                                          sweep_n_clusters, sweep_table)
    from osa_lib.clustering import codes

    results = tmp_path_factory.mktemp("results")
    style = drawn.pop("style")
    given_values = {**{p.name: p.default for p in P.CHAPTERS["shallow_acrbm"].params}, **drawn,
                    "results_dir": str(results)}
    for key in ("seeds", "cluster_sizes", "sweep_sizes", "sweep_seeds"):
        given_values[key] = as_drawn(given_values[key], style)
    v = P.check_parameters("shallow_acrbm", given_values)
    data = tiny_clustering_data(v["n_train"], v["n_test"])
    profile, ds = v["profile"], v["dataset"]
    data.dataset = ds
    kmeans = run_kmeans(data, seeds=v["seeds"], profile=profile, n_init=1, results_dir=results, progress=False)
    acrbm = {k: run_shallow_acrbm(data, n_clusters=k, seeds=v["seeds"], profile=profile, epochs=v["epochs"],
                                  results_dir=results, progress=False) for k in v["cluster_sizes"]}
    rows = [("kmeans", "K-means", 10)] + [(f"shallow_acrbm_{k}", "Shallow ACRBM", k) for k in v["cluster_sizes"]]
    tables.clustering_table(results, ds, build_profile=profile, rows=rows)
    assert kmeans.record["seeds"] == v["seeds"] and len(acrbm) == len(v["cluster_sizes"])
    sens = shallow_sensitivity(data, n_clusters=10, seeds=v["seeds"][:1], profile=profile, epochs=1,
                               n_validation=min(5000, len(data.X_train) // 4), results_dir=results, progress=False,
                               variants={"Table 3": {}})
    sensitivity_table(sens)
    sweep = sweep_n_clusters(data, sizes=v["sweep_sizes"], seeds=v["sweep_seeds"], profile=profile,
                             epochs=v["epochs"], results_dir=results, progress=False)
    table = sweep_table(sweep)
    plots.sweep_facts(table)
    plt.close(plots.sweep_plot(None, run=table))
    models = sweep.outputs["models_by_k"]
    subset = np.arange(min(v["tsne_points"], len(data.X_test)))
    sizes = [k for k in (10, 30, 100, 300) if k in models]
    maps = {f"K = {k}": codes.embed_2d(models[k].transform(data.X_test[subset])) for k in sizes}
    plt.close(plots.embedding_panels(maps, data.y_test[subset], empty="no size to draw"))
    recon = [k for k in (10, 30, 100, 300) if k in models]
    plt.close(plots.image_grid([data.X_test[:12]] + [models[k].reconstruct(data.X_test[:12]) for k in recon],
                               ["test"] + [f"K = {k}" for k in recon]))


ae_sets = st.fixed_dictionaries({
    "profile": st.sampled_from(P.PROFILES), "dataset": st.sampled_from(P.CLUSTERING_DATASETS),
    "n_train": st.integers(100, 400), "seeds": small_lists(st.integers(0, 4), 2), "epochs": st.integers(1, 3),
    "style": styles,
})


@SETTINGS
@given(drawn=ae_sets)
def test_ae_chapter_sizes_from_the_profile_fit_any_n_train(drawn, tmp_path_factory):
    """The recipe search takes its rows from ``n_train``: any valid n_train completes (was: n_validation error)."""
    from osa_lib.book import ae_runs

    style = drawn.pop("style")
    values = {**{p.name: p.default for p in P.CHAPTERS["ae_acrbm"].params}, **drawn,
              "results_dir": str(tmp_path_factory.mktemp("results"))}
    values["seeds"] = as_drawn(values["seeds"], style)
    v = P.check_parameters("ae_acrbm", values)
    settings_ = ae_runs.ae_settings(v["profile"], seeds=v["seeds"], epochs=v["epochs"], n_train=v["n_train"],
                                    search_n_fit=v["search_n_fit"], search_n_val=v["search_n_val"])
    data = tiny_clustering_data(v["n_train"], 40)
    run = ae_runs.run_recipe_search(data, profile=v["profile"], n_fit=settings_["search_n_fit"],
                                    n_val=settings_["search_n_val"], seeds=settings_["seeds"][:1], warmup_epochs=1,
                                    finetune_epochs=1, plan={10: ["kmeans_head_no_training"]},
                                    include_ae_kmeans=False, progress=False)
    assert run.record["params"]["n_fit"] + run.record["params"]["n_val"] <= v["n_train"]


@pytest.mark.parametrize("name", ["derivations", "loc"])
def test_valid_sets_of_the_other_chapters_pass_the_layer(name, tmp_path):
    """Derivations and LOC: drawn valid sets pass the layer, and derived sizes fit the data."""
    strategies = {
        "derivations": st.fixed_dictionaries({
            "profile": st.sampled_from(P.PROFILES), "n_train": st.integers(100, 60_000),
            "cluster_sizes": small_lists(st.integers(2, 300), 3), "seed": st.integers(0, 9)}),
        "loc": st.fixed_dictionaries({
            "profile": st.sampled_from(P.PROFILES), "seeds": small_lists(st.integers(0, 5), 3),
            "rho_values": small_lists(st.floats(0, 1), 4), "n_train": st.integers(8, 1_106),
            "image_size": st.integers(16, 96)}),
    }

    @SETTINGS
    @given(drawn=strategies[name], style=styles)
    def check(drawn, style):
        values = {**{p.name: p.default for p in P.CHAPTERS[name].params}, **drawn, "results_dir": str(tmp_path)}
        for key in ("cluster_sizes", "seeds", "rho_values"):
            if key in drawn:
                values[key] = as_drawn(drawn[key], style)
        v = P.check_parameters(name, values)
        if name == "derivations":
            table = P.profile_default(name, "n_train", v["profile"]) if v["n_train"] is None else v["n_train"]
            assert v["ae_rows"] <= table

    check()


# --------------------------------------------------------------------------- each chapter once, via papermill

import json  # noqa: E402
import os  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DATA = os.environ.get("OSA_DATA_DIR")

#: Tiny valid sets per chapter (lists drawn, handed over as papermill -p hands them: strings).
PAPERMILL_SETS = {
    "shallow_acrbm": st.fixed_dictionaries({
        "dataset": st.sampled_from(P.CLUSTERING_DATASETS), "seeds": small_lists(st.integers(0, 3), 2),
        "cluster_sizes": small_lists(st.sampled_from([2, 10, 30]), 2),
        "sweep_sizes": small_lists(st.sampled_from([3, 10, 30]), 2),
        "n_train": st.just(300), "n_test": st.just(100), "epochs": st.just(1), "tsne_points": st.just(60)}),
    "derivations": st.fixed_dictionaries({
        "seed": st.integers(0, 5), "cluster_sizes": small_lists(st.sampled_from([5, 10, 30]), 2),
        "n_latent": st.sampled_from([8, 32]), "n_train": st.just(300), "n_test": st.just(200),
        "epochs": st.just(1), "ae_rows": st.just(200), "ae_epochs": st.just(1)}),
    "ae_acrbm": st.fixed_dictionaries({
        "dataset": st.sampled_from(P.CLUSTERING_DATASETS), "seeds": small_lists(st.integers(0, 3), 1),
        "n_train": st.just(300), "n_test": st.just(100), "epochs": st.just(1), "kmeans_n_init": st.just(2)}),
    "loc": st.fixed_dictionaries({
        "seeds": small_lists(st.integers(0, 2), 1), "rho": st.sampled_from([0.3, 0.5, 0.7]),
        "rho_values": small_lists(st.sampled_from([0.3, 0.5]), 2), "image_size": st.sampled_from([16, 24]),
        "n_train": st.just(16), "n_val": st.just(8), "n_test": st.just(8), "epochs": st.just(1),
        "study_epochs": st.just(1)}),
}


@pytest.mark.slow
@pytest.mark.skipif(not DATA or not (Path(DATA) / "MNIST" / "raw").is_dir(), reason="OSA_DATA_DIR is needed")
@pytest.mark.parametrize("name", sorted(PAPERMILL_SETS))
def test_each_chapter_runs_once_through_papermill_with_a_drawn_set(name, tmp_path):
    pm = pytest.importorskip("papermill")

    @settings(max_examples=1, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(drawn=PAPERMILL_SETS[name])
    def run(drawn):
        parameters = {k: (str(list(v)) if isinstance(v, list) else v) for k, v in drawn.items()}   # as -p gives them
        parameters["results_dir"] = str(tmp_path / "results")
        out = tmp_path / f"{name}.ipynb"
        pm.execute_notebook(str(ROOT / P.CHAPTERS[name].notebook), str(out), parameters=parameters,
                            cwd=str(ROOT / "notebooks"), progress_bar=False, kernel_name="python3")
        nb = json.loads(out.read_text())
        assert not any(o.get("output_type") == "error" for c in nb["cells"] for o in c.get("outputs", [])), drawn

    run()
