"""osa_lib.book.summary.report_studies: the report's study claims from tiny records written by the test.

(The verdict rules themselves are checked in tests/test_report.py and tests/test_verdicts.py; here: which
record each claim reads, what it says when one is missing, and the numbers its row quotes.)
"""
from __future__ import annotations

from osa_lib.book.provenance import records
from osa_lib.book.summary import report_studies as rs
from osa_lib.book.judge import verdicts as v
from osa_lib.book.provenance.records import NOT_RUN


def write(tmp_path, experiment, runs, *, dataset="mnist", profile="paper", params=None, extra=None):
    rec = records.make_record(experiment=experiment, dataset=dataset, profile=profile,
                              params={"epochs": 20, "n_train": 60000} if params is None else params,
                              seeds=list(range(len(runs))), runs=runs, n_parameters=None, wall_time_s=1.0,
                              device="cpu", extra=extra)
    records.write_record(rec, tmp_path)
    return rec


def sweep(tmp_path, mse=(0.20, 0.19, 0.18), profile="paper"):
    sizes = [5, 10, 30]
    run = {}
    for k, acc, conf, m in zip(sizes, (0.4, 0.5, 0.7), (0.9, 0.8, 0.7), mse):
        run.update({f"accuracy_majority_k{k}": acc, f"confidence_k{k}": conf, f"reconstruction_mse_k{k}": m})
    write(tmp_path, "shallow_acrbm_sweep", [run], profile=profile,
          params={"sizes": sizes, "epochs": 20, "n_train": 60000})


def test_every_claim_says_not_run_without_its_record(tmp_path):
    rows = [rs.more_clusters_more_accuracy(tmp_path), rs.larger_latent_better_reconstruction(tmp_path),
            rs.eq15_reformulates_eq14(tmp_path), rs.eq16_diagonal(tmp_path), *rs.loc_claims(tmp_path)]
    assert [r["verdict"] for r in rows] == [NOT_RUN] * 6
    assert [r["key"] for r in rows] == ["fig9", "fig5", "eq15", "eq16", "loc-table2", "loc-rho"]


def test_the_sweep_claims_quote_the_records_numbers_and_its_evidence(tmp_path):
    sweep(tmp_path)
    row = rs.more_clusters_more_accuracy(tmp_path)
    assert row["verdict"] == v.REPRODUCED
    assert "accuracy [40.0, 50.0, 70.0] %" in row["detail"] and "peaks at K = 30 (70.0 %)" in row["ours"]
    assert "shallow_acrbm_sweep" in row["evidence"]
    fig5 = rs.larger_latent_better_reconstruction(tmp_path)
    assert fig5["ours"] == "MSE 0.200 (K = 5) → 0.180 (K = 30)"
    assert "trivial reconstructions (all-black image, mean training image) have no record yet" in fig5["detail"]


def test_the_reconstruction_claim_sets_the_error_beside_the_trivial_reconstructions(tmp_path):
    sweep(tmp_path)
    write(tmp_path, "trivial_reconstructions", [{"mse_all_black": 0.10, "mse_mean_image": 0.07}])
    assert "so every K's reconstruction is worse than an all-black image" in \
        rs.larger_latent_better_reconstruction(tmp_path)["detail"]
    sweep(tmp_path, mse=(0.08, 0.06, 0.05))
    assert "so some K's reconstruction is worse than an all-black image" in \
        rs.larger_latent_better_reconstruction(tmp_path)["detail"]
    sweep(tmp_path, mse=(0.06, 0.05, 0.04))
    assert "so no K's reconstruction is worse than the mean image" in \
        rs.larger_latent_better_reconstruction(tmp_path)["detail"]


def test_a_paper_record_is_preferred_to_this_builds(tmp_path):
    sweep(tmp_path, mse=(0.20, 0.21, 0.22), profile="ci")       # this build's: the error rises
    assert rs.larger_latent_better_reconstruction(tmp_path)["verdict"] == v.NOT_REPRODUCED
    sweep(tmp_path, profile="paper")                            # the committed one: it falls
    assert rs.larger_latent_better_reconstruction(tmp_path)["verdict"] == v.REPRODUCED
    assert "paper" in rs.larger_latent_better_reconstruction(tmp_path)["evidence"]


def test_eq16_lists_every_size_it_measured(tmp_path):
    write(tmp_path, "derivations", [{"eq16_diagonal_mass_k10": 0.99, "eq16_diagonal_mass_k30": 0.97}], profile="ci",
          params={})
    row = rs.eq16_diagonal(tmp_path)
    assert row["verdict"] == v.REPRODUCED
    assert row["ours"] == "99 % on the diagonal (K = 10), 97 % on the diagonal (K = 30)"
    assert rs.eq15_reformulates_eq14(tmp_path)["verdict"] == NOT_RUN     # the record has no eq 15 numbers


def test_the_loc_claim_needs_a_metric_both_measured_and_names_grabcut(tmp_path):
    runs = [{"pixel_accuracy": 0.9, "iou": 0.8, "dice": 0.85}] * 2
    write(tmp_path, "loc", runs, dataset="flowers17", params={"epochs": 50, "n_train": 1106})
    write(tmp_path, "kmeans_segmentation", [{"other": 0.5}] * 2, dataset="flowers17")
    assert rs.loc_beats_kmeans(tmp_path)["detail"] == "no metric measured by both"
    write(tmp_path, "kmeans_segmentation", [{"pixel_accuracy": 0.6, "iou": 0.5, "dice": 0.55}] * 2,
          dataset="flowers17")
    write(tmp_path, "grabcut", [{"pixel_accuracy": 0.7, "iou": 0.6, "dice": 0.65}] * 2, dataset="flowers17")
    row = rs.loc_beats_kmeans(tmp_path)
    assert "LOC − GrabCut" in row["detail"] and "band = background): not measured" in row["detail"]
    assert "untrained-observer control (same normalisation) has no record yet" in row["detail"]
    assert row["gap"] == "+30.00 / +30.00 / +30.00 vs K-means"
