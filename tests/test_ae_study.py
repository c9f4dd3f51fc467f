"""The readings study (osa_lib.book.ae_chapter.ae_study): screening jobs, their table, the label-free choice."""
from __future__ import annotations

import numpy as np
import pytest

from osa_lib.book.ae_chapter import ae_figures, ae_study
from osa_lib.book.ae_chapter.ae_jobs import READINGS, run_job


def test_screening_jobs_cover_every_reading_seed_major():
    jobs = ae_study.screening_jobs()
    assert {j.reading for j in jobs} == set(READINGS) and len(jobs) == 2 * len(READINGS)
    assert {j.seed for j in jobs[:len(READINGS)]} == {0}
    assert all(j.epochs == ae_study.SCREEN_EPOCHS and j.tag == "screen" for j in jobs)


def test_table_and_choice_follow_training_accuracy_not_test(tmp_path, fake_mnist_root):
    data = fake_mnist_root(tmp_path / "data", n_train=60, n_test=40)
    readings = ("printed", "detached", "lam0.1")
    for job in ae_study.screening_jobs(readings=readings, epochs=1, n_train=60, n_test=40, eval_every=1):
        run_job(job, tmp_path, data_dir=tmp_path / "data")
    table = ae_study.reading_results(tmp_path, readings=readings)
    assert list(table["seeds_done"]) == [2, 2, 2]
    assert np.isfinite(table["reconstruction_mse_mean"]).all()
    # Make the test accuracy disagree with the training accuracy: the choice must follow training.
    table.loc[table.reading == "lam0.1", ["train_accuracy_mean", "test_accuracy_mean"]] = [99.0, 1.0]
    table.loc[table.reading == "printed", ["train_accuracy_mean", "test_accuracy_mean"]] = [1.0, 99.0]
    assert ae_study.strongest_readings(table, n=2)[0] == "lam0.1"
    assert "printed" not in ae_study.strongest_readings(table, n=2)
    with pytest.raises(ValueError, match="screen is not done"):
        ae_study.strongest_readings(table, n=2, min_seeds=3)


def test_the_chapter_functions_draw_from_job_files(tmp_path, fake_mnist_root):
    import matplotlib
    matplotlib.use("Agg")
    from osa_lib.book.ae_chapter.ae_jobs import job_states

    fake_mnist_root(tmp_path / "data", n_train=60, n_test=40)
    assert "not run yet" in ae_study.study_texts(tmp_path)["screen"]
    for job in ae_study.screening_jobs(readings=("printed", "sum"), seeds=(0,), epochs=2, n_train=60, n_test=40,
                                       eval_every=1):
        run_job(job, tmp_path, data_dir=tmp_path / "data")
    table = ae_study.reading_results(tmp_path, seeds=(0,))
    page = ae_study.reading_table_for_page(table)
    assert list(page["seeds × epochs"][:2]) == ["1 × 2", "1 × 2"] and "not run yet" in set(page["test accuracy % [95 % interval]"])
    texts = ae_study.study_texts(tmp_path)
    assert f"2 of {len(READINGS)} readings" in texts["screen"] and "1 seed ×" in texts["screen"]
    assert "not run yet" in texts["headline"]                      # no AE + K-means record here
    printed = job_states(tmp_path, "paper", "mnist", "ae_acrbm_10", (0,), reading="printed", tag="screen")
    curve = ae_study.curve_frame(printed)
    assert list(curve["epoch"]) == [1, 2] and (curve["grad_acrbm"] > 0).all()
    assert "before epoch 1" in ae_study.gradient_sentence(curve)
    for fig in (ae_figures.plot_readings(table, kmeans_pct=50.0, paper_pct=60.0),
                ae_figures.plot_why({"printed": curve, "sum": ae_study.curve_frame([])}),
                ae_figures.plot_cluster_portraits({"printed": printed[0], "missing": None})):
        assert fig.axes
    check = ae_study.same_machine_check(printed, printed)
    assert check["max_difference"] == 0 and check["epochs"] == 2
    assert "exactly" in ae_study.same_machine_text(printed, printed)
    assert set(ae_study.kmeans_variants_table(tmp_path)["label-free %"]) == {"not run yet"}
    assert ae_study.strongest_reading(tmp_path / "no_results") is None


def test_portrait_sentence_counts_pure_doubled_and_missing_digits():
    confusion = [[9, 1, 0], [8, 0, 2], [1, 1, 1]]         # clusters 0 and 1 led by digit 0; digit 1 tied in 2
    text = ae_study.portrait_sentence({"x": {"confusion": confusion}, "gone": None})
    assert "2 of 3 non-empty clusters" in text and "digit 0 leads more than one cluster" in text
    assert "digits 1, 2 lead none" in text


def test_kmeans_variants_table_reads_a_gathered_record(tmp_path, fake_mnist_root):
    from osa_lib.book.ae_chapter.ae_jobs import AEJob, gather_record
    from osa_lib.book.provenance.records import write_record

    fake_mnist_root(tmp_path / "data", n_train=60, n_test=40)
    job = AEJob("ae_kmeans", 0, reading="bottleneck_relu", epochs=1, eval_every=1, n_train=60, n_test=40,
                kmeans_n_init=2)
    run_job(job, tmp_path, data_dir=tmp_path / "data")
    write_record(gather_record(tmp_path, "paper", "mnist", "ae_kmeans", seeds=(0,), reading="bottleneck_relu"),
                 tmp_path)
    table = ae_study.kmeans_variants_table(tmp_path).set_index("variant")
    row = table.loc["ablation: decoder reads only the 10 ReLU head units"]
    assert row["seeds × epochs"] == "1 × 1" and row["starts"] == "2" and "±" not in row["label-free %"]
    assert table.loc["as printed: K-means on 10,000 training codes", "label-free %"] == "not run yet"


def test_k30_sentence_compares_at_the_same_epoch():
    import pandas as pd

    table = pd.DataFrame([{"label": "MSE summed per image", "test_accuracy_mean": 75.0, "test_accuracy_std": 1.0,
                           "seeds_done": 2}])
    curves = pd.DataFrame({"seed 0": [40.0, 47.0], "seed 1": [42.0, float("nan")]}, index=[10, 100])
    text = ae_study.k30_sentence(table, curves)
    assert "75.00 [66.02, 83.98] % (2 seeds)" in text and "47.00 % for the printed protocol at epoch 100" in text
    assert "(1 seed," in text
    assert ae_study.k30_sentence(table.iloc[:0], curves) == "not run yet."


def test_best_row_text_reads_the_strongest_reading_at_both_cluster_counts():
    """On the committed records: one reading for both rows (chosen on the 10-cluster screen), each row's best
    record (full budget, else its screen) with its seeds and epochs."""
    from pathlib import Path

    results = Path(__file__).resolve().parents[1] / "results"
    label10, text10 = ae_study.best_row_text(results)
    label30, text30 = ae_study.best_row_text(results, experiment="ae_acrbm_30")
    assert label10 == label30 != "not chosen yet"
    best = ae_study.strongest_reading(results)
    assert ae_study.READING_LABELS.get(best, best) == label10
    assert "%" in text10 and " of 500 epochs" in text10          # the 10-cluster row: its screen at least
    # the 30-cluster row of a reading not yet run at K = 30 says so
    assert ("%" in text30 and " of 500 epochs" in text30) or text30 == "not run yet"


def test_full_budget_sentence_compares_epoch_100_with_500_and_labels_the_peak_a_peek():
    import pandas as pd

    curves = pd.DataFrame({"seed 0": [70.0, 80.0, 75.0, 69.0], "seed 1": [60.0, 70.0, float("nan"), float("nan")]},
                          index=[10, 20, 100, 500])
    text = ae_study.full_budget_sentence(curves, "AE + ACRBM (30)", "MSE summed per image", 92.86)
    assert "69.00 % (1 seed)" in text and "75.00 % at epoch 100" in text and "falls" in text
    assert "80.00 % (epoch 20)" in text and "upper bound" in text and "12.86 points below" in text
    running = ae_study.full_budget_sentence(curves[["seed 1"]], "AE + ACRBM (30)", "sum", None)
    assert "no seed has finished 500 epochs yet (seed 1 at epoch 20)" in running
    assert "no seed has finished" in ae_study.full_budget_sentence(pd.DataFrame(), "AE + ACRBM (10)", "sum", None)


def test_kmeans_screening_jobs_use_fewer_starts_and_the_head_screen_keeps_its_jobs():
    from osa_lib.book.ae_chapter import ae_study

    jobs = ae_study.screening_jobs("ae_kmeans", readings=ae_study.KMEANS_SCREEN_READINGS)
    assert {j.kmeans_n_init for j in jobs} == {ae_study.KMEANS_SCREEN_STARTS}
    assert {j.tag for j in jobs} == {ae_study.SCREEN_TAG} and len(jobs) == 2 * len(ae_study.KMEANS_SCREEN_READINGS)


def test_the_claimed_gap_and_the_conclusion_come_from_the_paper_file_and_the_records():
    from pathlib import Path

    from osa_lib.book.judge.paper import paper_accuracy

    assert ae_study.claimed_gap_text().startswith(f"{paper_accuracy('ae_acrbm_10'):.2f} − ")
    results = Path(__file__).resolve().parents[1] / "results"
    points, pairings = ae_study.both_sides(results), ae_study.ae_pairings(results)
    text = ae_study.conclusion_sentence(points, pairings)
    assert text.startswith("What a reader should conclude:") and "AE + K-means" in text
    assert ae_study.conclusion_sentence([], pairings) == "No AE record at Table 3's budget yet."


def test_reading_jobs_reads_the_seeds_each_row_rests_on(tmp_path):
    """The page asks for a reading's jobs; the chapter knows which seeds and which tag they live under."""
    import json

    from osa_lib.book.provenance.records import jobs_folder

    def job(name, seed):
        folder = jobs_folder(tmp_path, "paper", "mnist", name)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"seed{seed}.json").write_text(json.dumps({"seed": seed, "status": "done"}))

    for seed in range(7):
        job("ae_acrbm_10", seed)
        job("ae_acrbm_10_sum", seed)
    for seed in (0, 1):
        job("ae_acrbm_10_sum_screen", seed)

    def seeds(**kw):
        return [s["seed"] for s in ae_study.reading_jobs(tmp_path, "mnist", "ae_acrbm_10", **kw)]

    assert seeds() == [0, 1, 2, 3, 4]                                     # the printed protocol
    assert seeds(reading="sum") == [2, 3, 4, 5, 6]                        # confirmed on fresh seeds
    assert seeds(reading="sum", screen=True) == [0, 1]                    # the screen
    assert seeds(reading="sum", seeds=(0, 1)) == [0, 1]                   # the screening seeds at 500 epochs


def test_the_best_epoch_bound_reads_every_monitored_epoch_and_names_its_records(tmp_path):
    import json

    from osa_lib.book.provenance import records

    def job(name, seed, reading, curve):
        path = records.job_file(tmp_path, "paper", "mnist", name, seed)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"seed": seed, "reading": reading, "epochs_done": 100,
                                    "curve": [{"epoch": e, "eval_accuracy_majority": a} for e, a in curve]}))

    job("ae_acrbm_10_sum_screen", 0, "sum", [(10, 0.40), (20, 0.55), (30, 0.50)])
    job("ae_acrbm_10_sum_screen", 1, "sum", [(10, 0.45), (20, 0.52)])
    job("ae_kmeans", 0, "printed", [(10, 0.60)])
    bounds = ae_study.best_epoch_bounds(tmp_path)
    row = bounds.set_index("job").loc["ae_acrbm_10_sum_screen"]
    assert row["test %, best epoch"] == pytest.approx(55.0) and row["seed, epoch"] == "(0, 20)"
    assert row["seeds × epochs"] == "2 × 100" and row["row"] == "AE + ACRBM (10)"
    assert row["points below paper"] == pytest.approx(86.80 - 55.0)
    records.write_record(records.make_record(
        experiment="ae_kmeans", dataset="mnist", profile="paper", params={"epochs": 500}, seeds=[0],
        runs=[{"accuracy_majority": 0.6}], n_parameters=1, wall_time_s=1.0, device="cpu"), tmp_path)
    line = ae_study.bounds_source_line(tmp_path, bounds)
    assert "results/paper/mnist/ae_kmeans.json" in line and "a peek at the test labels" in line
    assert "ae_acrbm_10_sum_screen" not in line          # not gathered into a record: no file to name
    assert ae_study.best_epoch_bounds(tmp_path / "none").empty


def test_the_headline_sentence_names_its_pairing_and_sets_an_ablation_variant_beside_it():
    from osa_lib.book.judge.verdicts import gap_verdict

    def pairing(name, acrbm, kmeans, k_reading):
        judged = gap_verdict({"per_seed": acrbm}, {"per_seed": kmeans}, 7.24)
        return {"pairing": name, "kmeans_reading": k_reading, "kmeans": k_reading, "verdict": judged.verdict,
                "judgement": judged, "note": ""}

    same, low = [0.60, 0.61, 0.62], [0.50, 0.51, 0.52]
    pairings = [pairing(ae_study.HEADLINE_PAIRING, same, same, "glorot"),
                pairing(ae_study.VARIANT_PAIRING, low, same, "bottleneck_linear"),
                pairing("printed against printed", low, same, "printed")]
    text = ae_study.headline_pairing_sentence(pairings)
    assert "rests on the pairing strongest against strongest" in text and "no detectable difference" in text
    assert "changes the model" in text and "reads reversed" in text
    assert "The other pairings: printed against printed: reversed." in text         # the variant is not repeated
    pairings[1]["kmeans_reading"] = "glorot"                                       # a reading, not an ablation
    assert "changes the model" not in ae_study.headline_pairing_sentence(pairings)
    assert "no records yet" in ae_study.headline_pairing_sentence(pairings[1:])


def test_the_full_budget_table_lists_every_reading_at_500_epochs_with_the_screening_seeds_apart(tmp_path):
    from osa_lib.book.provenance import records

    def write(name, per_seed, epochs, seeds, extra=None):
        rec = records.make_record(experiment=name, dataset="mnist", profile="paper", params={"epochs": epochs},
                                  seeds=seeds, runs=[{"accuracy_majority": a, "train_accuracy_majority": a}
                                                     for a in per_seed], n_parameters=1, wall_time_s=1.0,
                                  device="cpu", extra=extra)
        records.write_record(rec, tmp_path)

    write("ae_acrbm_30_detached_input", [0.75, 0.76], 500, [2, 3], {"seeds_planned": [2, 3, 4, 5, 6],
          "shown_apart": {"seeds": [0, 1], "metrics": {"accuracy_majority": {"mean": 0.70}}}})
    write("ae_acrbm_10_sum", [0.60, 0.61], 100, [2, 3])                          # a screen's budget: left out
    table, recs = ae_study.full_budget_readings(tmp_path)
    assert list(table["row"]) == ["AE + ACRBM (30)"] and len(recs) == 1
    row = table.iloc[0]
    assert row["seeds"] == "2, 3 (of 5)" and row["test %"].startswith("75.50 [")
    assert row["screening seeds apart"] == "70.00 (seeds 0, 1)" and row["paper %"] == pytest.approx(92.86)
    assert ae_study.full_budget_readings(tmp_path / "none")[0].empty
