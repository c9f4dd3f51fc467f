"""Any valid combination of a chapter's parameters completes (issue 14, item 2).

Hypothesis draws valid parameter sets per chapter with tiny sizes; each set goes through
the parameter layer (``check_parameters``, as the notebooks' second cell does) and then
through the chapter's runner, table and figure functions, in the order the notebook calls
them: on tiny synthetic data (shallow and AE chapters) or on a few hundred MNIST rows and a
handful of Oxford 17 images from ``$OSA_DATA_DIR`` (derivations and LOC; skipped without
it). The notebooks themselves run once per chapter in ``test_rerun_commands``.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, example, given, settings, strategies as st  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from osa_lib.book.derivations_chapter import derivation_figures
from osa_lib.book.shallow_chapter import shallow_figures
from osa_lib.book.harness import parameters as P
from osa_lib.data.mnist import ClusteringData, default_data_dir  # noqa: E402

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
    "sweep_seeds": small_lists(st.integers(0, 2), 1), "tsne_points": st.one_of(st.none(), st.integers(21, 60)),
    "style": styles,
})


@SETTINGS
@given(drawn=shallow_sets)
def test_shallow_chapter_completes_for_any_valid_set(drawn, tmp_path_factory):
    from osa_lib.book.page import tables
    from osa_lib.book.provenance import records
    from osa_lib.book.shallow_chapter.shallow_runs import (distortion_frame, exhibit_reconstructions, exhibit_test_images, run_kmeans,
                                                           run_shallow_acrbm, sensitivity_table, shallow_exhibits, shallow_sensitivity,
                                                           sweep_n_clusters, sweep_table)

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
    shallow_figures.sweep_facts(table)
    plt.close(shallow_figures.sweep_plot(None, run=table))
    # Figures 5, 6 and 8 as the chapter draws them: from the exhibits, written beside the records and read back
    exhibits = shallow_exhibits(data, sweep.outputs["models_by_k"], tsne_points=v["tsne_points"],
                                seed=v["sweep_seeds"][0])
    records.write_exhibits("shallow_acrbm_sweep", exhibits, results, profile, ds)
    exhibits = records.read_exhibits(results, profile, ds, "shallow_acrbm_sweep")["data"]
    X_rows = exhibit_test_images(exhibits, data)
    distortion = distortion_frame(exhibits)
    maps = {f"K = {r.K}": np.asarray(exhibits["tsne"]["by_k"][str(r.K)]["coordinates"]) for r in distortion.itertuples()}
    plt.close(shallow_figures.embedding_panels(maps, np.asarray(exhibits["tsne"]["labels"]), empty="no size to draw"))
    recon = exhibit_reconstructions(exhibits)
    picked = exhibits["reconstructions"]["test_indices"]
    plt.close(shallow_figures.image_grid([X_rows[picked]] + [recon[k] for k in exhibits["reconstructions"]["sizes"]],
                               ["test"] + [f"K = {k}" for k in exhibits["reconstructions"]["sizes"]]))


ae_sets = st.fixed_dictionaries({
    "profile": st.sampled_from(P.PROFILES), "dataset": st.sampled_from(P.CLUSTERING_DATASETS),
    "n_train": st.integers(100, 400), "seeds": small_lists(st.integers(0, 4), 2), "epochs": st.integers(1, 3),
    "style": styles,
})


@SETTINGS
@given(drawn=ae_sets)
def test_ae_chapter_sizes_from_the_profile_fit_any_n_train(drawn, tmp_path_factory):
    """The recipe search takes its rows from ``n_train``: any valid n_train completes (was: n_validation error)."""
    from osa_lib.book.ae_chapter import ae_runs

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
    """Derivations and LOC, sizes up to the whole data: drawn valid sets pass the layer, and derived sizes fit
    the data (the runs on these sizes would take minutes: the tests below run the chapters on tiny ones)."""
    strategies = {
        "derivations": st.fixed_dictionaries({
            "profile": st.sampled_from(P.PROFILES), "n_train": st.integers(100, 60_000),
            "cluster_sizes": small_lists(st.integers(2, 300), 3), "seed": st.integers(0, 9),
            "ae_rows": st.one_of(st.none(), st.integers(2, 100))}),
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
            assert 1 <= v["n_latent"] < v["ae_rows"] <= table

    check()


def _valid(name: str, drawn: dict, style: str, results, lists: tuple[str, ...]) -> dict:
    """The drawn set through the parameter layer, its lists handed over in ``style``."""
    values = {**{p.name: p.default for p in P.CHAPTERS[name].params}, **drawn, "results_dir": str(results)}
    for key in lists:
        if values.get(key) is not None:
            values[key] = as_drawn(values[key], style)
    return P.check_parameters(name, values)


def _render(table) -> str:
    """A table as the book shows it (``show_table`` returns a lazy Styler: render it)."""
    from osa_lib.book.page.display import show_table
    return show_table(table).to_html()


REAL_DATA = default_data_dir()     # $OSA_DATA_DIR when set
needs_mnist = pytest.mark.skipif(not (REAL_DATA / "MNIST" / "raw").is_dir(), reason="OSA_DATA_DIR with MNIST is needed")
needs_flowers17 = pytest.mark.skipif(not (REAL_DATA / "flowers17" / "trimaps").is_dir(),
                                     reason="OSA_DATA_DIR with Oxford 17 and its trimaps is needed")

#: Derivations: a few hundred MNIST rows, one epoch; K lists with one size, without the default 10, with a
#: size twice, K above the test rows; the linear autoencoders' rows and latent size from the profile or drawn,
#: the latent size below the rows (fewer rows than the profile's 32 latent units: the layer clamps it).
derivation_sets = st.fixed_dictionaries({
    "profile": st.sampled_from(P.PROFILES), "seed": st.integers(0, 5),
    "n_train": st.integers(100, 300), "n_test": st.integers(20, 120), "epochs": st.just(1), "ae_epochs": st.just(1),
    "cluster_sizes": st.lists(st.sampled_from([2, 3, 7, 10, 30, 150]), min_size=1, max_size=3),
    "ae_rows": st.one_of(st.none(), st.integers(2, 100)),
}).flatmap(lambda d: st.fixed_dictionaries({
    **{k: st.just(v) for k, v in d.items()},
    "n_latent": st.one_of(st.none(), st.integers(1, min((d["ae_rows"] or d["n_train"]) - 1, 64)))}))


def run_derivations_chapter(v: dict, results) -> dict:
    """The code cells of ``notebooks/derivations.ipynb`` with ``v`` (checked parameters), in their order.

    Left out: the symbolic cells (sympy on fixed 2 x 2 and 2 x 3 codes; no parameter reaches them)
    and ``glue``/``display`` (the facts are computed and returned instead).
    """
    from osa_lib import ShallowACRBM
    from osa_lib.book.derivations_chapter import derivation_runs as chapter
    from osa_lib.book.provenance import records
    from osa_lib.clustering import codes, derivation_maths
    from osa_lib.data import load_clustering_data

    settings_ = chapter.derivation_settings(v["profile"], n_train=v["n_train"], n_test=v["n_test"],
                                            epochs=v["epochs"], n_latent=v["n_latent"], ae_rows=v["ae_rows"],
                                            ae_epochs=v["ae_epochs"])
    seed, K0 = v["seed"], v["cluster_sizes"][0]
    data = load_clustering_data("mnist", v["data_dir"], n_train=settings_["n_train"], n_test=settings_["n_test"],
                                subset_seed=seed)
    X_ae = data.X_train[:settings_["ae_rows"]]
    ae = chapter.linear_ae_study(X_ae, n_latent=settings_["n_latent"], epochs=settings_["ae_epochs"],
                                 batch_size=settings_["ae_batch_size"], lr=settings_["ae_lr"], seed=seed)
    facts = dict(chapter.linear_ae_facts(ae))
    _render(ae["table"])
    plt.close(derivation_figures.spectrum_plot(ae["spectra"]))
    acrbms = {k: ShallowACRBM(k, epochs=settings_["epochs"], random_state=seed, progress=False).fit(data.X_train)
              for k in v["cluster_sizes"]}
    acrbm = acrbms[K0]
    v_batch = data.X_test[:acrbm.batch_size]
    facts.update(chapter.forward_facts(acrbm, v_batch))
    eq11 = chapter.eq11_table(acrbm, v_batch)
    facts.update(chapter.eq11_facts(eq11))
    _render(eq11)
    _render(chapter.reference_code_table(acrbm.batch_size, K0))
    free = derivation_maths.free_code_runs(settings_["free_rows"], K0, steps=settings_["free_steps"],
                                           head_start=settings_["head_start"], random_state=seed)
    free_table = chapter.free_code_table(free)
    facts.update(chapter.free_code_facts(free_table))
    _render(free_table)
    plt.close(derivation_figures.loss_curves({f"{loss}, {start}": run["history"] for (loss, start), run in free.items()}))
    eq15_model = ShallowACRBM(K0, epochs=settings_["epochs"], random_state=seed, progress=False,
                              loss="confidence").fit(data.X_train)
    readouts = chapter.eq15_readouts({chapter.EQ14: acrbm, chapter.EQ15: eq15_model}, data.X_test, data.y_test)
    facts.update(chapter.eq15_facts(readouts, K0))
    _render(chapter.readout_table(readouts))
    plt.close(derivation_figures.cluster_size_bars({name: r["cluster_sizes"] for name, r in readouts.items()}))
    test_codes = {k: model.transform(data.X_test) for k, model in acrbms.items()}
    grams = chapter.gram_table(test_codes)
    _render(grams)
    for k in (v["cluster_sizes"][0], v["cluster_sizes"][-1]):
        plt.close(derivation_figures.matrix_plot(codes.code_gram(test_codes[k]), title=f"K = {k}"))
    run_exhibits = {"linear_ae": chapter.linear_ae_exhibit(ae), "forward": chapter.forward_exhibit(acrbm, v_batch),
                    "eq11": chapter.eq11_exhibit(eq11),
                    "free_codes": chapter.free_code_exhibit(free, free_table, settings_["free_steps"]),
                    "eq15": chapter.eq15_exhibit(readouts, K0), "eq16": chapter.eq16_exhibit(test_codes)}
    records.write_exhibits("derivations", run_exhibits, results, v["profile"], "mnist")
    shown, _ = chapter.section_exhibit(records.read_exhibits(results, v["profile"], "mnist", "derivations")["data"],
                                       run_exhibits, "eq16")
    for k in sorted(int(k) for k in shown["grams"]):
        plt.close(derivation_figures.matrix_plot(np.asarray(shown["grams"][str(k)]), title=f"K = {k}"))
    metrics = chapter.derivations_metrics(ae["table"], eq11, free_table, readouts, grams)
    facts.update(chapter.summary_facts(metrics))
    params = {**settings_, "n_clusters": K0, "cluster_sizes": list(v["cluster_sizes"]), "threads": v["threads"],
              "n_train": len(data.X_train), "n_test": len(data.X_test), "ae_rows": len(X_ae)}
    record = chapter.derivations_record(metrics, profile=v["profile"], params=params, seed=seed,
                                       n_parameters=acrbm.n_parameters_, wall_time_s=0.0,
                                       data_provenance=data.provenance, results_dir=results)
    reference = records.load_record(results, "paper", "mnist", "derivations") or record
    facts.update(chapter.summary_facts({k: m["mean"] for k, m in reference["metrics"].items()}))
    assert len(ae["table"]) == 4 and list(grams.index) == list(dict.fromkeys(v["cluster_sizes"]))
    assert len(X_ae) == v["ae_rows"] and ae["spectra"][next(iter(ae["spectra"]))].shape[0] <= 784
    return facts


@needs_mnist
@SETTINGS
@given(drawn=derivation_sets, style=styles)
# one K, not the default 10, above the test rows; two rows for the linear autoencoders (the profile's 32 latent
# units clamped to 1)
@example(drawn={"profile": "ci", "seed": 3, "n_train": 100, "n_test": 20, "epochs": 1, "ae_epochs": 1,
                "cluster_sizes": [150], "ae_rows": 2, "n_latent": None}, style="p")
# K = 2 twice; the latent size one below the rows
@example(drawn={"profile": "paper", "seed": 0, "n_train": 120, "n_test": 30, "epochs": 1, "ae_epochs": 1,
                "cluster_sizes": [2, 2], "ae_rows": 16, "n_latent": 15}, style="y")
def test_derivations_chapter_completes_for_any_valid_set(drawn, style, tmp_path_factory):
    results = tmp_path_factory.mktemp("results")
    v = _valid("derivations", {**drawn, "data_dir": str(REAL_DATA)}, style, results, ("cluster_sizes",))
    with threadpool_limits(limits=1):          # BLAS on one core (a second thread waits for a busy core)
        facts = run_derivations_chapter(v, results)
    assert all(isinstance(value, (int, float, str)) for value in facts.values())


#: LOC: a handful of Oxford 17 images at 16-24 px, one epoch; one seed or two, one rho value, rho
#: lists without the default 0.5 (and with 0 or 1), more images to show than there are.
loc_sets = st.fixed_dictionaries({
    "profile": st.sampled_from(P.PROFILES), "dataset": st.just("flowers17"),
    "seeds": st.lists(st.integers(0, 3), min_size=1, max_size=2), "epochs": st.just(1), "study_epochs": st.just(1),
    "image_size": st.integers(16, 24), "rho": st.floats(0, 1),
    "rho_values": st.lists(st.one_of(st.sampled_from([0.0, 0.1, 0.3, 0.5, 0.7, 0.9, 1.0]), st.floats(0, 1)),
                           min_size=1, max_size=3),
    "n_train": st.integers(8, 12), "n_val": st.integers(2, 5), "n_test": st.integers(2, 5), "n_show": st.integers(1, 8),
})


def run_loc_chapter(v: dict, results) -> dict:
    """The code cells of ``notebooks/loc.ipynb`` with ``v`` (checked parameters), in their order.

    Left out: ``glue``/``display`` (the numbers are computed and returned instead) and the
    Oxford 102 availability cell (no parameter reaches it).
    """
    from osa_lib.book.loc_chapter import loc_studies
    from osa_lib.book.loc_chapter import loc_table2
    from osa_lib.data import flowers
    from osa_lib.book.loc_chapter import loc_figures as splots
    from osa_lib.book.page.display import metric_name, plural
    from osa_lib.book.page.tables import TABLE2_SOURCES, table2_compact
    from osa_lib.segmentation.analysis import image_energy
    from osa_lib.segmentation.loc import median_binarize

    profile, n_show = v["profile"], v["n_show"]
    settings_ = loc_table2.loc_settings(profile, seeds=v["seeds"], epochs=v["epochs"], study_epochs=v["study_epochs"],
                                image_size=v["image_size"], rho=v["rho"], rho_values=v["rho_values"],
                                n_train=v["n_train"], n_val=v["n_val"], n_test=v["n_test"])
    numbers = dict(loc_studies.chapter_numbers(loc_studies.load_chapter_records(results, "paper", "flowers17")))
    data = flowers.load_segmentation_data(v["dataset"], v["data_dir"], image_size=settings_["image_size"],
                                     n_train=settings_["n_train"], n_val=settings_["n_val"],
                                     n_test=settings_["n_test"], progress=False)
    show = np.linspace(0, len(data.X_val) - 1, min(n_show, len(data.X_val))).round().astype(int)
    show_test = np.linspace(0, len(data.X_test) - 1, min(n_show, len(data.X_test))).round().astype(int)
    energy = image_energy(data.X_train, "unit")
    numbers.update(background=100 * loc_table2.background_share(data), energy_above=100 * (energy > settings_["rho"]).mean())
    variants = loc_studies.open_question_variants(settings_)
    V = {key: label for key, (label, _) in loc_studies.OPEN_QUESTIONS.items()}
    study = loc_studies.study_variants(data, variants, seed=settings_["seeds"][0], profile=profile, results_dir=results,
                              progress=False)
    study_table = study.outputs["table"]
    _render(study_table)
    lab_lit = study.outputs["labels"][V["literal"]][show]
    truth_val = splots.mask_with_band(data.M_val[show], data.I_val[show] if data.I_val is not None else None)
    plt.close(splots.panel_grid(data.X_val[show], {
        "G (literal)": study.outputs["model"][V["literal"]].predict_G(data.X_val[show]), "labels": lab_lit,
        "mask": median_binarize(lab_lit), "ground truth": truth_val}, kinds={"G (literal)": "map", "labels": "labels"}))
    plt.close(splots.panel_grid(data.X_val[show], {
        "G as a kernel": study.outputs["model"][V["conv"]].predict_G(data.X_val[show]),
        "mask": median_binarize(study.outputs["labels"][V["conv"]][show])}, kinds={"G as a kernel": "map"}))
    cols = ["hinge on, epoch 1 %", "steps with gradient", "clusters / image", "foreground %", "pixel_accuracy %",
            "iou %", "dice %"]
    _render(study_table.loc[[V["literal"], V["image"], V["border"]], cols])
    rows = {}
    for key in ("image", "border"):
        rows[f"G ({key})"] = study.outputs["model"][V[key]].predict_G(data.X_val[show])
        rows[f"mask ({key})"] = median_binarize(study.outputs["labels"][V[key]][show])
    rows["ground truth"] = truth_val
    plt.close(splots.panel_grid(data.X_val[show], rows, kinds={k: "map" for k in rows if k.startswith("G")}))
    plt.close(splots.value_histograms({
        f"rho = {settings_['rho']} (hinge)": study.outputs["model"][V["border"]].predict_G(data.X_val),
        "rho = 0 (no hinge)": study.outputs["model"][V["nohinge"]].predict_G(data.X_val)}))
    shown = [V[k] for k in ("literal", "image", "border", "nohinge", "batch")]
    plt.close(splots.training_panels({n: study.outputs["model"][n].active_ for n in shown},
                                     {n: study.outputs["model"][n].error_ for n in shown}))
    _render(study_table.loc[[V["border"], V["batch"]], cols])
    common = dict(profile=profile, results_dir=results, progress=False)
    loc_run = loc_table2.run_loc(data, seeds=settings_["seeds"], loc_params=loc_table2.loc_kwargs(settings_, normalization="border"),
                         **common)
    untrained_run = loc_table2.run_loc_untrained(data, settings_, **common)
    literal_run = loc_table2.run_loc(data, seeds=settings_["seeds"], experiment="loc_literal",
                             loc_params=loc_table2.loc_kwargs(settings_, epochs=settings_["study_epochs"],
                                                      normalization="unit"), **common)
    base_runs = loc_table2.run_baselines(data, settings_, loc_run=loc_run, **common)
    runs = {"loc": loc_run, "loc_untrained": untrained_run, "loc_literal": literal_run, **base_runs}
    this_run = loc_studies.chapter_numbers({name: run.record for name, run in runs.items()})
    numbers.update({f"r_{k}": value for k, value in this_run.items()})
    plural(this_run["loc_seeds"], "seed")
    seed_table = loc_table2.per_seed_table(runs).reset_index()
    seed_table["metric"] = seed_table["metric"].map(metric_name)
    one_seed = sum(c.startswith("seed ") for c in seed_table.columns) == 1
    _render(seed_table.drop(columns=["mean", "std"] if one_seed else []))
    for source in TABLE2_SOURCES:
        _render(table2_compact(results, source, build_profile=profile))
    t = show_test
    plt.close(splots.panel_grid(data.X_test[t], {
        "LOC labels": loc_run.outputs["labels"][0][t], "LOC mask": loc_run.outputs["masks"][0][t],
        "K-means (k = 2)": base_runs["kmeans_segmentation"].outputs["masks"][0][t],
        "K-means (centre)": base_runs["kmeans_segmentation_centre"].outputs["masks"][0][t],
        "GrabCut": base_runs["grabcut"].outputs["masks"][0][t],
        "ground truth": splots.mask_with_band(data.M_test[t], data.I_test[t] if data.I_test is not None else None)},
        kinds={"LOC labels": "labels"}))
    rho_run = loc_studies.rho_study(data, settings_, rho_values=settings_["rho_values"], seed=settings_["seeds"][0],
                           base=loc_table2.loc_kwargs(settings_, epochs=settings_["study_epochs"], normalization="border"),
                           **common)
    rho_table = rho_run.outputs["table"][["hinge on, epoch 1 %", "steps with gradient", "clusters / image",
                                          "1 cluster %", "foreground %", "pixel_accuracy %", "iou %", "dice %"]]
    _render(rho_table)
    plt.close(splots.cluster_histograms(rho_run.record["cluster_histograms"],
                                        extra={"flower share (%)": rho_table["foreground %"].to_numpy(),
                                               "IoU (%)": rho_table["iou %"].to_numpy()}))
    limits = loc_table2.limits_analysis(data, loc_run.outputs["masks"][0], base_runs["grabcut"].outputs["masks"][0])
    numbers.update({f"r_limits_{key}": float(100 * limits[key] if key.startswith(("loc_", "low", "high"))
                                             else limits[key])
                    for key in ("loc_wins", "q_low", "q_high", "spearman_loc", "spearman_grabcut", "low_loc",
                                "low_grabcut", "high_loc", "high_grabcut")})
    plt.close(splots.per_image_scatter(limits["iou_grabcut"], limits["iou_loc"], xlabel="GrabCut IoU (%)",
                                       ylabel="LOC IoU (%)"))
    worst = limits["worst"][:min(n_show, len(limits["worst"]))]
    plt.close(splots.panel_grid(data.X_test[worst], {
        "LOC labels": loc_run.outputs["labels"][0][worst], "LOC mask": loc_run.outputs["masks"][0][worst],
        "GrabCut": base_runs["grabcut"].outputs["masks"][0][worst],
        "ground truth": splots.mask_with_band(data.M_test[worst], data.I_test[worst]
                                              if data.I_test is not None else None)}, kinds={"LOC labels": "labels"}))
    median_rule = loc_table2.median_rule_table(data, loc_run)
    numbers.update(r_median_many=float(median_rule["images with >= 3 clusters %"].mean()),
                   r_median_iou=float(median_rule["IoU % (median rule)"].mean()))
    _render(median_rule)
    # what the text would quote from these records (the committed paper records, here this run's own)
    numbers.update(loc_studies.chapter_numbers(loc_studies.load_chapter_records(results, profile, v["dataset"])))
    distinct = sorted(set(settings_["rho_values"]))
    assert list(rho_table.index) == [loc_studies.rho_label(r, distinct) for r in distinct]
    assert rho_run.record["params"]["rho_values"] == distinct
    assert loc_run.record["seeds"] == list(settings_["seeds"])
    return numbers


@needs_flowers17
@SETTINGS
@given(drawn=loc_sets, style=styles)
# one seed, one rho value (not the default 0.5), rho = 0, more images to show than there are
@example(drawn={"profile": "ci", "dataset": "flowers17", "seeds": [2], "epochs": 1, "study_epochs": 1,
                "image_size": 16, "rho": 0.0, "rho_values": [0.9], "n_train": 8, "n_val": 2, "n_test": 2,
                "n_show": 8}, style="p")
# a seed twice; rho values that read the same at 6 digits, one of them twice
@example(drawn={"profile": "ci", "dataset": "flowers17", "seeds": [3, 3], "epochs": 1, "study_epochs": 1,
                "image_size": 16, "rho": 0.3, "rho_values": [0.3, 0.3000001, 0.7, 0.3], "n_train": 8, "n_val": 4,
                "n_test": 2, "n_show": 3}, style="p")
# rho = 1 (the hinge never fires), the rho list without the default and with both ends
@example(drawn={"profile": "paper", "dataset": "flowers17", "seeds": [1, 0], "epochs": 1, "study_epochs": 1,
                "image_size": 24, "rho": 1.0, "rho_values": [1.0, 0.0], "n_train": 8, "n_val": 3, "n_test": 3,
                "n_show": 1}, style="y")
def test_loc_chapter_completes_for_any_valid_set(drawn, style, tmp_path_factory):
    results = tmp_path_factory.mktemp("results")
    v = _valid("loc", {**drawn, "data_dir": str(REAL_DATA)}, style, results, ("seeds", "rho_values"))
    with threadpool_limits(limits=1):
        numbers = run_loc_chapter(v, results)
    assert all(isinstance(value, (int, float)) for value in numbers.values())


# --------------------------------------------------------------------------- each chapter once, via papermill

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
