"""osa_lib.book.ae_chapter.ae_recipes: the recipes of the ACRBM head, the search that branches them from one warm-up,
and its table (tiny synthetic images; each fit a few epochs on a few dozen rows)."""
from __future__ import annotations

import numpy as np
import pytest
from ae_data import blob_images

from osa_lib.book.ae_chapter import ae_recipes
from osa_lib.clustering.ae_acrbm import AEACRBM
from osa_lib.data import ClusteringData


def test_every_recipe_is_a_valid_estimator_and_every_plan_names_recipes():
    for name in ae_recipes.RECIPES:
        params = ae_recipes.recipe_params(name)
        assert "from_scratch" not in params
        model = AEACRBM(10, **params)
        model._validate_common()
        model._validate_extra()
    planned = [r for plan in ae_recipes.SEARCH_PLAN.values() for names in plan.values() for r in names]
    assert set(planned) <= set(ae_recipes.RECIPES)
    with pytest.raises(ValueError, match="unknown recipe 'nope'; known: .*kmeans_head_no_training"):
        ae_recipes.recipe_params("nope")


def test_a_scratch_recipe_drops_the_warm_up():
    scratch = ae_recipes._ae_acrbm(10, epochs=6, warmup_epochs=4, recipe="scratch_joint_lam1", seed=1, device="cpu")
    branch = ae_recipes._ae_acrbm(10, epochs=6, warmup_epochs=4, recipe="frozen_head_random", seed=1, device="cpu")
    assert (scratch.warmup_epochs, scratch.lam, scratch.random_state) == (0, 1.0, 1)
    assert (branch.warmup_epochs, branch.finetune) == (4, "head")


@pytest.fixture(scope="module")
def search_record():
    X, y = blob_images(120, n_clusters=10)      # ten classes, as the AE + K-means comparison assumes
    data = ClusteringData("mnist", X[:100], y[:100], X[100:], y[100:], provenance={"copy": "synthetic"})
    plan = {3: ["frozen_head_random", "kmeans_head_no_training", "scratch_joint_lam1"]}
    branched = []
    fit_from = AEACRBM.fit_from

    def spy(self, warm, X, *args, **kwargs):
        branched.append((self.finetune, self.head_init, warm.epochs_done_))
        return fit_from(self, warm, X, *args, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(AEACRBM, "fit_from", spy)
        record = ae_recipes.run_recipe_search(data, profile="ci", n_fit=50, n_val=50, seeds=[0], warmup_epochs=2,
                                              finetune_epochs=1, plan=plan, progress=False).record
    return {**record, "branched": branched}


def test_the_search_scores_each_recipe_on_validation_rows_and_branches_from_one_warm_up(search_record):
    metrics = search_record["metrics"]
    for name in ("frozen_head_random", "kmeans_head_no_training", "scratch_joint_lam1"):
        for what in ("accuracy_majority", "nmi", "clusters_used", "time_s"):
            assert f"3/{name}/{what}" in metrics
    assert {"10/ae_kmeans_standardized/accuracy_majority", "10/ae_kmeans_raw/accuracy_majority"} <= set(metrics)
    curves = search_record["curves"]
    # the two branch recipes share the warm-up's two monitored epochs; the scratch recipe trains its own
    a, b, s = (curves[f"3/{n}"][0] for n in ("frozen_head_random", "kmeans_head_no_training", "scratch_joint_lam1"))
    assert len(a) == len(b) == len(s) == 3
    assert a[:2] == b[:2] and s[:2] != a[:2]
    # the two branch recipes continue the one 2-epoch warm-up; the scratch recipe does not branch
    assert search_record["branched"] == [("head", "random", 2), ("head", "kmeans", 2)]
    assert search_record["params"]["warmup_epochs"] == 2 and search_record["params"]["n_val"] == 50
    assert search_record["data"] == {"copy": "synthetic"}


def _metric(mean, std=0.0, per_seed=None):
    return {"mean": mean, "std": std, "per_seed": per_seed or [mean]}


def test_the_table_is_in_percent_sorted_and_the_best_recipe_is_never_ae_kmeans():
    record = {"metrics": {
        "10/a/accuracy_majority": _metric(0.5, 0.02, [0.48, 0.52]), "10/a/time_s": _metric(12.0),
        "10/b/accuracy_majority": _metric(0.7), "10/ae_kmeans_raw/accuracy_majority": _metric(0.9),
        "30/c/accuracy_majority": _metric(0.6), "30/d/accuracy_majority": _metric(0.8)}}
    table = ae_recipes.recipe_table(record)
    assert list(zip(table["clusters"], table["recipe"])) == [(10, "ae_kmeans_raw"), (10, "b"), (10, "a"), (30, "d"),
                                                              (30, "c")]
    a = table[table["recipe"] == "a"].iloc[0]
    assert a["accuracy_majority %"] == pytest.approx(50.0)
    assert a["per seed %"] == "48.0, 52.0" and a["CPU time s (mean)"] == 12.0
    assert np.isclose(a["accuracy_majority std"], 2.0)
    assert ae_recipes.best_recipe(record, 10) == "b" and ae_recipes.best_recipe(record, 30) == "d"


@pytest.mark.parametrize("row", list(ae_recipes.RECIPE_ROWS))
def test_a_recipe_row_trains_every_seed_scores_the_test_split_and_writes_its_record(row, tmp_path):
    from osa_lib.book.provenance.records import read_record, record_path

    X, y = blob_images(140, n_clusters=10)
    data = ClusteringData("mnist", X[:100], y[:100], X[100:], y[100:], provenance={"copy": "synthetic"})
    budget = {"epochs": 2, "warmup_epochs": 1, "kmeans_n_init": 2}
    record = ae_recipes.run_recipe_row(row, data, profile="ci", seeds=[0, 1], results_dir=tmp_path, progress=False,
                                       budget=budget).record
    _, n_clusters, recipe = ae_recipes.RECIPE_ROWS[row]
    accuracy = record["metrics"]["accuracy_majority"]["per_seed"]
    assert len(accuracy) == 2 and all(0.1 <= a <= 1 for a in accuracy)
    params = record["params"]
    assert (params["recipe"], params["architecture"], params["epochs"], params["n_clusters"], params["n_test"]) == \
        (recipe, "conv", 2, n_clusters, 40)
    if recipe is not None:
        assert params["warmup_epochs"] == 1 and params["lam"] == ae_recipes.RECIPES[recipe]["lam"]
    assert ("clusters_used" in record["metrics"]) == (recipe is not None)
    assert read_record(record_path(tmp_path, "ci", "mnist", row))["metrics"] == record["metrics"]


def test_a_recipe_row_gives_the_same_numbers_for_the_same_seed_and_refuses_unknown_names():
    X, y = blob_images(140, n_clusters=10)
    data = ClusteringData("mnist", X[:100], y[:100], X[100:], y[100:], provenance={"copy": "synthetic"})
    budget = {"epochs": 2, "warmup_epochs": 1}
    runs = [ae_recipes.run_recipe_row("ae_acrbm_10_recipe_conv_10ep", data, profile="ci", seeds=[3],
                                      progress=False, budget=budget).record["metrics"] for _ in range(2)]
    assert runs[0] == runs[1]
    with pytest.raises(ValueError, match="unknown recipe row 'nope'; use one of .*ae_kmeans_conv_10ep"):
        ae_recipes.run_recipe_row("nope", data, profile="ci", seeds=[0])
    with pytest.raises(ValueError, match=r"unknown budget keys \['epoch'\]"):
        ae_recipes.run_recipe_row("ae_kmeans_conv_10ep", data, profile="ci", seeds=[0], budget={"epoch": 2})
