"""The AE chapter's runner (osa_lib.book.ae_chapter.ae_runs): settings, recipe search, tables, the chapter itself."""
from __future__ import annotations

import pandas as pd
import pytest

from osa_lib.book.ae_chapter.ae_runs import (RECIPES, ae_settings, budget_sentence, budget_table, recipe_params, recipe_table, run_or_read,
                                             stops_improving)
from osa_lib.book.provenance.records import RunResult


def test_settings_recipes_and_split():
    assert ae_settings("ci", epochs=2)["epochs"] == 2
    with pytest.raises(ValueError, match="unknown setting"):
        ae_settings("ci", epoch=2)
    with pytest.raises(ValueError, match="unknown profile"):
        ae_settings("full")
    with pytest.raises(ValueError, match="unknown recipe"):
        recipe_params("magic")
    assert all("from_scratch" not in recipe_params(name) for name in RECIPES)

def test_recipe_table_reads_a_search_record():
    record = {"metrics": {"10/a/accuracy_majority": {"per_seed": [0.5, 0.7], "mean": 0.6, "std": 0.14},
                          "10/a/time_s": {"per_seed": [1.0, 1.0], "mean": 1.0, "std": 0.0},
                          "10/b/accuracy_majority": {"per_seed": [0.8], "mean": 0.8, "std": 0.0}}}
    table = recipe_table(record)
    assert list(table["recipe"]) == ["b", "a"] and table.loc[1, "per seed %"] == "50.0, 70.0"

def test_stops_improving_and_the_budget_table():
    rising = pd.Series({10: 50.0, 20: 60.0, 30: 70.0})
    assert stops_improving(rising) == (30, True)
    flat = pd.Series({10: 50.0, 20: 69.5, 30: 70.0, 40: 69.0})
    assert stops_improving(flat) == (20, False)
    with pytest.raises(ValueError, match="at least one"):
        stops_improving(pd.Series(dtype=float))
    curves = {"ae_acrbm_10": pd.DataFrame({"seed 0": flat, "seed 1": flat + 1}), "ae_acrbm_30": pd.DataFrame()}
    table = budget_table(curves, {"ae_acrbm_10": 86.8}, planned_epochs=500)
    assert table.loc[0, "seeds"] == 2 and table.loc[0, "epoch reached (of 500)"] == 40
    assert table.loc[1, "last epoch"] == "not run yet"


def test_run_or_read_runs_in_ci_and_reads_in_paper(tmp_path):
    from osa_lib.book.provenance.records import make_record

    calls = []

    def run():
        calls.append(1)
        return RunResult(make_record(experiment="x", dataset="mnist", profile=profile, params={}, seeds=[0],
                                     runs=[{"a": 0.5}], n_parameters=None, wall_time_s=0.0, device="cpu",
                                     results_dir=tmp_path))

    for profile in ("ci", "ci", "paper", "paper"):
        run_or_read(tmp_path, profile, "mnist", "x", run)
    assert len(calls) == 3                        # ci twice, paper once (then read)
    with pytest.raises(FileNotFoundError, match="rerun=True"):
        run_or_read(tmp_path, "paper", "mnist", "y", run, rerun=False)


@pytest.mark.slow
def test_chapter_runs_with_tiny_parameters(tmp_path):
    import json
    import os
    from pathlib import Path

    pm = pytest.importorskip("papermill")
    data = os.environ.get("OSA_DATA_DIR")
    if not data or not (Path(data) / "MNIST" / "raw").is_dir():
        pytest.skip("OSA_DATA_DIR with MNIST is needed")
    root = Path(__file__).resolve().parents[1]
    out, results = tmp_path / "out.ipynb", tmp_path / "results"
    pm.execute_notebook(
        str(root / "notebooks" / "ae_acrbm.ipynb"), str(out), cwd=str(root / "notebooks"),
        parameters={"profile": "ci", "n_train": 800, "n_test": 300, "epochs": 2, "seeds": [0], "kmeans_n_init": 3,
                    "search_n_fit": 400, "search_n_val": 200, "results_dir": str(results)},
        progress_bar=False, kernel_name="python3")
    for experiment in ("ae_kmeans", "ae_acrbm_10", "ae_acrbm_30", "ae_acrbm_recipe_search"):
        record = json.loads((results / "ci" / "mnist" / f"{experiment}.json").read_text())
        assert record["seeds"] == [0]
    record = json.loads((results / "ci" / "mnist" / "ae_kmeans.json").read_text())
    assert record["params"]["n_train"] == 800 and "accuracy_majority_best_of_inits" in record["metrics"]
    assert record["params"]["architecture"] == "dense" and record["epochs_per_seed"] == [2]
    nb = json.loads(out.read_text())
    assert not any(o.get("output_type") == "error" for c in nb["cells"] for o in c.get("outputs", []))


def test_budget_sentence_says_still_rising_or_where_it_stops():
    curves = {"ae_acrbm_10": pd.DataFrame({"seed 0": pd.Series({10: 30.0, 20: 34.0, 30: 34.5})}),
              "ae_kmeans": pd.DataFrame({"seed 0": pd.Series({10: 50.0, 20: 60.0})}), "ae_acrbm_30": pd.DataFrame()}
    text = budget_sentence(curves, 500)
    assert "AE + ACRBM (10) gains no more than 1 point after epoch 20" in text
    assert "AE + K-means was still gaining at epoch 20 (20 of 500 epochs reached)" in text
    assert "AE + ACRBM (30): not run yet" in text


def test_parameter_gaps_single_out_the_dense_reading():
    from osa_lib.book.ae_chapter.ae_runs import parameter_gaps

    gaps = parameter_gaps()
    assert gaps["dense"][1] < 0.5 < gaps["conv"][0]


def test_per_seed_table_keeps_the_asked_metrics_in_order():
    from osa_lib.book.ae_chapter.ae_runs import per_seed_table

    rec = {"experiment": "ae_acrbm_10", "seeds": [0, 1],
           "metrics": {"nmi": {"per_seed": [0.1, 0.3], "mean": 0.2, "std": 0.14},
                       "accuracy_majority": {"per_seed": [0.5, 0.7], "mean": 0.6, "std": 0.14}}}
    table = per_seed_table([rec], ("accuracy_majority", "clusters_used", "nmi"))
    assert list(table.index.get_level_values("metric")) == ["accuracy_majority", "nmi"]
    assert table.loc[("ae_acrbm_10", "accuracy_majority"), "seed 1"] == 70.0


def test_job_status_table_says_stopped_and_not_started_without_nan():
    from osa_lib.book.ae_chapter.ae_runs import job_status_table

    job = lambda seed, status, epochs: {"seed": seed, "status": status, "epochs_done": epochs, "train_time_s": 600.0,
                                        "device": "cpu"}
    table = job_status_table({"ae_acrbm_30": [job(0, "done", 500), job(1, "done", 500), job(2, "running", 250),
                                              job(3, "running", 136)],
                              "ae_kmeans": [job(s, "done", 50) for s in range(3)]}, 500)
    row = table.iloc[0]
    assert row["stopped (epochs reached)"] == "2 (250), 3 (136)" and row["not started"] == "4"
    assert table.iloc[1]["finished (500 epochs)"] == "0, 1, 2 (50 epochs)"
    assert not table.isna().any().any()
    assert not any("running" in c for c in table.columns)


def test_per_seed_table_shows_a_dash_for_a_seed_a_row_did_not_run():
    from osa_lib.book.ae_chapter.ae_runs import per_seed_table

    metric = lambda vals: {"per_seed": vals, "mean": sum(vals) / len(vals), "std": 0.0}
    table = per_seed_table([{"experiment": "a", "seeds": [0, 1], "metrics": {"accuracy_majority": metric([0.5, 0.6])}},
                            {"experiment": "b", "seeds": [0], "metrics": {"accuracy_majority": metric([0.4])}}])
    assert table.loc[("b", "accuracy_majority"), "seed 1"] == "—"
    assert not table.isna().any().any()


def test_per_seed_table_for_page_names_rows_and_metrics_in_words_and_drops_one_seed_spread():
    from osa_lib.book.ae_chapter.ae_runs import per_seed_table_for_page

    one = {"experiment": "ae_acrbm_10", "seeds": [0],
           "metrics": {"accuracy_majority": {"per_seed": [0.39], "mean": 0.39, "std": 0.0}}}
    table = per_seed_table_for_page([one])
    assert list(table.columns) == ["row", "metric", "seed 0"]
    assert table.iloc[0]["row"] == "AE + ACRBM (10)" and table.iloc[0]["metric"] == "accuracy (majority) %"
    two = {**one, "seeds": [0, 1], "metrics": {"nmi": {"per_seed": [0.1, 0.3], "mean": 0.2, "std": 0.14}}}
    assert {"mean", "std"} <= set(per_seed_table_for_page([one, two]).columns)


def test_the_recipe_table_for_the_page_names_recipes_in_words():
    from osa_lib.book.ae_chapter.ae_recipes import RECIPE_LABELS, recipe_table_for_page

    record = {"metrics": {"10/joint_kmeans_bn_lam0.1_T0.5/accuracy_majority": {"mean": 0.5, "std": 0.1, "per_seed": [0.4, 0.6]},
                          "10/joint_kmeans_bn_lam0.1_T0.5/nmi": {"mean": 0.4, "std": 0.0, "per_seed": [0.4, 0.4]},
                          "10/ae_kmeans_raw/accuracy_majority": {"mean": 0.6, "std": 0.0, "per_seed": [0.6, 0.6]}}}
    table = recipe_table_for_page(record)
    assert list(table.columns) == ["clusters", "recipe (our ablation)", "validation accuracy %", "std", "NMI %"]
    assert "softmax temperature 0.5" in table["recipe (our ablation)"].iloc[1]
    assert not any("_" in text for text in table["recipe (our ablation)"])
    assert set(RECIPES) <= set(RECIPE_LABELS) and all("_" not in v for v in RECIPE_LABELS.values())
