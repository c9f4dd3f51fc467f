"""Verdicts of the reproduction report follow their stated rules (synthetic records in tmp_path)."""
import itertools
import json

import numpy as np
import pytest

from osa_lib.book.provenance import records
from osa_lib.book.summary import report, report_studies
from osa_lib.book.page import tables
from osa_lib.book.judge import verdicts as v
from osa_lib.book.judge.paper import TABLE1_ROWS, paper_results
from osa_lib.runtime import limit_threads

def write(tmp_path, experiment, per_seed, dataset="mnist", profile="paper", params=None, extra=None,
          **extra_metrics):
    runs = [{"accuracy_majority": a, **{k: v[i] for k, v in extra_metrics.items()}} for i, a in enumerate(per_seed)]
    rec = records.make_record(experiment=experiment, dataset=dataset, profile=profile,
                              params={"epochs": 20, "n_train": 60000} if params is None else params,
                              seeds=list(range(len(per_seed))), runs=runs, n_parameters=7850, wall_time_s=60.0,
                              device="cpu", extra=extra)
    records.write_record(rec, tmp_path)
    return rec


def paper_pct(experiment):
    return float(paper_results()["table1"]["rows"][experiment]["accuracy"])


# --------------------------------------------------------------------------- the Table 1 rule

def _seeds(mean, std, n):
    """``n`` per-seed fractions with exactly this mean and standard deviation (percent in)."""
    z = np.linspace(-1, 1, n) if n > 1 else np.zeros(1)
    z = z / (np.std(z, ddof=1) if n > 1 else 1)
    return list((mean + std * z) / 100)


@pytest.mark.parametrize("ours, std, n, paper, verdict", [
    (61.0, 0.5, 5, 60.0, v.REPRODUCED),       # above the paper
    (58.5, 0.3, 5, 60.0, v.REPRODUCED),       # within the 2-point margin, tight
    (58.5, 4.0, 5, 60.0, v.INCONCLUSIVE),     # same mean, noisy: the interval straddles 58
    (57.0, 0.5, 5, 60.0, v.NOT_REPRODUCED),   # whole interval below 58
    (54.0, 9.0, 5, 60.0, v.INCONCLUSIVE),     # noise does not rescue it: at best inconclusive
    (61.0, 0.0, 1, 60.0, v.INCONCLUSIVE),     # one seed: no interval
])
def test_table1_rule(ours, std, n, paper, verdict):
    assert v.row_verdict(_seeds(ours, std, n), paper).verdict == verdict


def test_more_seed_noise_never_gives_a_more_favourable_verdict():
    paper = 60.0
    for mean, (s1, s2), n in itertools.product(np.arange(50, 66, 0.5), itertools.combinations(
            [0.1, 0.5, 1, 2, 3, 5, 10], 2), (2, 3, 5, 10)):
        quiet, noisy = v.row_verdict(_seeds(mean, s1, n), paper).verdict, v.row_verdict(_seeds(mean, s2, n), paper).verdict
        assert not (noisy == v.REPRODUCED and quiet != v.REPRODUCED), (mean, s1, s2, n)
    for mean, std in itertools.product(np.arange(50, 66, 0.5), (0.5, 2, 5)):       # fewer seeds never help
        few, many = v.row_verdict(_seeds(mean, std, 2), paper).verdict, v.row_verdict(_seeds(mean, std, 10), paper).verdict
        assert not (few == v.REPRODUCED and many != v.REPRODUCED)


def test_two_records_same_mean_larger_std_not_more_favourable(tmp_path):
    p = paper_pct("shallow_acrbm_30") / 100
    mean = p - 0.015                                  # 1.5 points below the paper
    write(tmp_path / "quiet", "shallow_acrbm_30", [mean - 0.001, mean, mean + 0.001])
    write(tmp_path / "noisy", "shallow_acrbm_30", [mean - 0.05, mean, mean + 0.05])
    quiet = next(r for r in report.table1_claims(tmp_path / "quiet") if r["key"] == "t1-shallow_acrbm_30")
    noisy = next(r for r in report.table1_claims(tmp_path / "noisy") if r["key"] == "t1-shallow_acrbm_30")
    assert quiet["verdict"] == v.REPRODUCED
    assert noisy["verdict"] == v.INCONCLUSIVE


# --------------------------------------------------------------------------- budgets

def test_below_the_papers_epochs_is_not_tested_never_not_reproduced(tmp_path):
    # an old 10-epoch AE record far below the paper: no verdict on the paper's claim
    write(tmp_path, "ae_acrbm_10", [0.40, 0.41, 0.42], params={"epochs": 10, "n_train": 60000})
    row = next(r for r in report.table1_claims(tmp_path) if r["key"] == "t1-ae_acrbm_10")
    assert row["verdict"] == v.NOT_AT_BUDGET
    assert "10 of the paper's 500 epochs" in row["detail"]
    assert "10 of 500" in row["budget"]
    # shallow rows need Table 3's 20 epochs and the 60,000 training images
    write(tmp_path, "shallow_acrbm_10", [0.3, 0.31], params={"epochs": 19, "n_train": 60000})
    write(tmp_path, "shallow_acrbm_30", [0.3, 0.31], params={"epochs": 20, "n_train": 10000})
    rows = {r["key"]: r for r in report.table1_claims(tmp_path)}
    assert rows["t1-shallow_acrbm_10"]["verdict"] == v.NOT_AT_BUDGET
    assert rows["t1-shallow_acrbm_30"]["verdict"] == v.NOT_AT_BUDGET


def test_resumable_job_records_count_the_epochs_each_seed_ran(tmp_path):
    # gather_record's format: params.epochs is the plan (500), epochs_per_seed what finished seeds ran
    p = paper_pct("ae_acrbm_10") / 100
    extra = {"seeds_planned": [0, 1, 2, 3, 4], "epochs_per_seed": [500, 500], "unfinished": []}
    write(tmp_path, "ae_acrbm_10", [p, p + 0.002], params={"epochs": 500, "n_train": 60000,
                                                           "architecture": "dense"}, extra=extra)
    row = next(r for r in report.table1_claims(tmp_path) if r["key"] == "t1-ae_acrbm_10")
    assert row["verdict"] == v.REPRODUCED
    assert row["budget"] == "2 of 5 · 500 · 60k"
    extra["epochs_per_seed"] = [500, 350]
    write(tmp_path, "ae_acrbm_10", [p, p + 0.002], params={"epochs": 500, "n_train": 60000}, extra=extra)
    row = next(r for r in report.table1_claims(tmp_path) if r["key"] == "t1-ae_acrbm_10")
    assert row["verdict"] == v.NOT_AT_BUDGET


def test_kmeans_has_no_epoch_budget(tmp_path):
    p = paper_pct("kmeans") / 100
    write(tmp_path, "kmeans", [p, p + 0.001], params={"n_train": 60000})
    row = next(r for r in report.table1_claims(tmp_path) if r["key"] == "t1-kmeans")
    assert row["verdict"] == v.REPRODUCED
    assert row["budget"] == "2 · — · 60k"


# --------------------------------------------------------------------------- AE + ACRBM vs AE + K-means

def ae_params():
    return {"epochs": 500, "n_train": 60000, "architecture": "dense"}


def test_ae_claim_compares_label_free_and_shows_the_papers_protocol(tmp_path):
    extra = {"seeds_planned": [0, 1, 2], "epochs_per_seed": [500, 500, 500]}
    write(tmp_path, "ae_acrbm_10", [0.70, 0.71, 0.72], params=ae_params(), extra=extra)
    write(tmp_path, "ae_kmeans", [0.60, 0.61, 0.62], params={**ae_params(), "kmeans_reading": "latent_raw"},
          extra=extra, accuracy_majority_best_of_inits=[0.75, 0.76, 0.77])
    row = report.ae_acrbm_beats_ae_kmeans(tmp_path)
    assert row["verdict"] == v.REPRODUCED                 # +10 [+7.5, +12.5] against the label-free start: Δ 7.24 inside
    assert "label-free start" in row["detail"] and "best start by test accuracy" in row["detail"]
    assert "gap (points) -5.00" in row["detail"] and "test labels" in row["detail"]   # the paper's protocol
    # the Table 1 row of AE + K-means compares like with like with the paper: best of the starts
    t1 = next(r for r in report.table1_claims(tmp_path) if r["key"] == "t1-ae_kmeans")
    assert "accuracy (majority, best K-means start)" in t1["detail"]
    assert t1["ours"].startswith("76.00")


def test_ae_claim_below_budget_and_missing(tmp_path):
    assert report.ae_acrbm_beats_ae_kmeans(tmp_path)["verdict"] == records.NOT_RUN
    write(tmp_path, "ae_acrbm_10", [0.30, 0.31], params={"epochs": 10, "n_train": 60000})
    write(tmp_path, "ae_kmeans", [0.60, 0.61], params={"epochs": 10, "n_train": 60000})
    row = report.ae_acrbm_beats_ae_kmeans(tmp_path)
    assert row["verdict"] == v.NOT_AT_BUDGET


def test_job_progress_is_reported_while_no_seed_has_finished(tmp_path):
    folder = tmp_path / "paper" / "mnist" / "ae_jobs" / "ae_acrbm_10"
    folder.mkdir(parents=True)
    (folder / "seed0.json").write_text(json.dumps({"seed": 0, "epochs_done": 120, "epochs": 500,
                                                   "status": "running", "n_parameters": 197984}))
    row = next(r for r in report.table1_claims(tmp_path) if r["key"] == "t1-ae_acrbm_10")
    assert row["verdict"] == records.NOT_RUN
    assert "seed 0: 120 of 500 epochs" in row["detail"]


# --------------------------------------------------------------------------- the whole report

def test_report_without_records_says_not_run_yet(tmp_path):
    table = report.reproduction_report(tmp_path)
    assert set(table["verdict"]) == {records.NOT_RUN}
    assert len(table) == len(TABLE1_ROWS) + len(report.CHECKERS) + 2
    assert set(v.EVIDENCE) == set(table["key"])
    assert sum(report.verdict_counts(table).values()) == len(table)


def test_report_uses_paper_records_and_the_papers_numbers(tmp_path):
    paper = paper_pct("shallow_acrbm_10") / 100
    write(tmp_path, "shallow_acrbm_10", [paper - 0.001, paper + 0.001])
    write(tmp_path, "kmeans", [paper - 0.20, paper - 0.21], profile="ci", params={"n_train": 60000})
    table = report.reproduction_report(tmp_path, build_profile="ci").set_index("key")
    row = table.loc["t1-shallow_acrbm_10"]
    assert row["verdict"] == v.REPRODUCED
    assert "paper-profile record" in row["detail"]
    assert row["evidence"] == "results/paper/mnist/shallow_acrbm_10.json"
    # the K-means row has only a ci record: the report says so
    assert table.loc["t1-kmeans", "evidence"] == "results/ci/mnist/kmeans.json"
    assert "(ci)" in table.loc["t1-kmeans", "ours"]
    assert report.shallow_beats_kmeans(tmp_path)["verdict"] == v.REPRODUCED


def test_evidence_links_are_relative_to_the_page():
    row = {"page": "notebooks/loc", "anchor": "table-2"}
    assert v.evidence_href(row, "book/report") == "../notebooks/loc.html#table-2"
    assert v.evidence_href({"page": "notebooks/loc", "anchor": None}, "book/intro") == "../notebooks/loc.html"


def test_trend_claims(tmp_path):
    sizes = [5, 10, 30]
    runs = [{"accuracy_majority_k5": 0.4, "accuracy_majority_k10": 0.5, "accuracy_majority_k30": 0.7,
             "confidence_k5": 0.9, "confidence_k10": 0.8, "confidence_k30": 0.85,
             "reconstruction_mse_k5": 0.2, "reconstruction_mse_k10": 0.19, "reconstruction_mse_k30": 0.18}]
    rec = records.make_record(experiment="shallow_acrbm_sweep", dataset="mnist", profile="paper",
                              params={"sizes": sizes, "epochs": 20, "n_train": 60000}, seeds=[0], runs=runs,
                              n_parameters=None, wall_time_s=1, device="cpu")
    records.write_record(rec, tmp_path)
    assert report.larger_latent_better_reconstruction(tmp_path)["verdict"] == v.REPRODUCED
    # confidence is not monotone (0.8 -> 0.85) but falls overall: partly
    assert report.more_clusters_more_accuracy(tmp_path)["verdict"] == v.PARTLY


def test_eq15_is_refuted_by_the_derivations_record(tmp_path):
    runs = [{"eq14_cluster_usage": 1.0, "eq15_cluster_usage": 0.1, "eq14_accuracy_majority": 0.55,
             "eq15_accuracy_majority": 0.11, "eq16_diagonal_mass_k10": 0.95, "eq16_diagonal_mass_k30": 0.7}]
    rec = records.make_record(experiment="derivations", dataset="mnist", profile="ci", params={}, seeds=[0],
                              runs=runs, n_parameters=None, wall_time_s=1, device="cpu")
    records.write_record(rec, tmp_path)
    assert report.eq15_reformulates_eq14(tmp_path)["verdict"] == v.REFUTED
    assert report.eq16_diagonal(tmp_path)["verdict"] == v.PARTLY


def test_limit_threads_rejects_bad_values():
    for bad in (0, -1, 1.5, True, "2"):
        with pytest.raises(ValueError, match="n_threads"):
            limit_threads(bad)
    limit_threads(1)


# --------------------------------------------------------------------------- LOC

def seg(tmp_path, experiment, value, band=None, epochs=50, **extra):
    band = value if band is None else band
    runs = [{"pixel_accuracy": value, "iou": value, "dice": value, "pixel_accuracy_band_as_background": band,
             "iou_band_as_background": band, "dice_band_as_background": band}] * 2
    rec = records.make_record(experiment=experiment, dataset="flowers17", profile="paper",
                              params={"epochs": epochs, "n_train": 1106}, seeds=[0, 1], runs=runs,
                              n_parameters=None, wall_time_s=1, device="cpu", extra=extra)
    records.write_record(rec, tmp_path)


def test_loc_claim_needs_both_band_conventions(tmp_path):
    seg(tmp_path, "kmeans_segmentation", 0.40)
    seg(tmp_path, "loc", 0.99)
    assert report_studies.loc_beats_kmeans(tmp_path)["verdict"] == v.REPRODUCED
    seg(tmp_path, "loc", 0.99, band=0.30)          # below K-means when the band counts as background
    assert report_studies.loc_beats_kmeans(tmp_path)["verdict"] == v.REVERSED
    seg(tmp_path, "loc", 0.40, band=0.40)          # the same numbers as K-means: no difference
    assert report_studies.loc_beats_kmeans(tmp_path)["verdict"] == v.NO_DIFFERENCE
    seg(tmp_path, "loc", 0.60, band=0.60)          # below the paper's Oxford 102 numbers: context, not threshold
    assert report_studies.loc_beats_kmeans(tmp_path)["verdict"] == v.REPRODUCED
    seg(tmp_path, "loc", 0.99, epochs=5)
    assert report_studies.loc_beats_kmeans(tmp_path)["verdict"] == v.NOT_AT_BUDGET


def test_loc_claim_against_the_untrained_control(tmp_path):
    seg(tmp_path, "kmeans_segmentation", 0.40)
    seg(tmp_path, "loc", 0.99)
    seg(tmp_path, "loc_untrained", 0.99)           # training adds nothing to the prior
    row = report_studies.loc_beats_kmeans(tmp_path)
    assert row["verdict"] == v.PARTLY
    assert "untrained observer" in row["detail"]


def test_rho_claim(tmp_path):
    base = {"epochs": 50, "n_train": 1106}
    for clusters, verdict in (([2.0, 2.2], v.NOT_REPRODUCED), ([2.0, 2.6], v.PARTLY),
                              ([2.0, 4.0], v.REPRODUCED)):
        rec = records.make_record(experiment="loc_rho_study", dataset="flowers17", profile="paper",
                                  params={"base": base}, seeds=[0], runs=[{"x": 0.5}], n_parameters=None,
                                  wall_time_s=1, device="cpu",
                                  extra={"table": {"variant": ["rho=0.1", "rho=0.9"], "clusters / image": clusters}})
        records.write_record(rec, tmp_path)
        assert report_studies.loc_chooses_clusters(tmp_path)["verdict"] == verdict
    rec["params"] = {"base": {"epochs": 5}}
    records.write_record(rec, tmp_path)
    assert report_studies.loc_chooses_clusters(tmp_path)["verdict"] == v.NOT_AT_BUDGET


def test_the_headline_names_the_pairing_it_rests_on(tmp_path):
    extra = {"seeds_planned": [0, 1, 2], "epochs_per_seed": [500, 500, 500]}
    write(tmp_path, "ae_acrbm_10", [0.70, 0.71, 0.72], params=ae_params(), extra=extra)
    write(tmp_path, "ae_kmeans", [0.60, 0.61, 0.62], params=ae_params(), extra=extra)
    row = report.ae_acrbm_beats_ae_kmeans(tmp_path)
    assert "rests on the pairing “strongest against strongest”" in row["detail"]
    assert "printed against printed" in row["detail"] and "labels" in row["detail"]


def test_unfinished_seeds_as_words_not_a_repr():
    from osa_lib.book.summary.report import unfinished_text

    rec = {"seeds": [0, 1], "unfinished": [{"seed": 2, "epochs_done": 250}, {"seed": 3, "epochs_done": 136}]}
    assert unfinished_text(rec) == "seeds 2 and 3 stopped at 250 and 136 epochs, seed 4 not started"
    assert unfinished_text({"seeds": [0, 1, 2, 3, 4]}) == ""


def test_the_second_domain_gets_its_own_verdict_from_its_own_records(tmp_path):
    assert report.shallow_beats_kmeans_fashion(tmp_path)["verdict"] == report.NOT_RUN
    write(tmp_path, "shallow_acrbm_10", [0.60, 0.61, 0.62], dataset="fashion_mnist")
    write(tmp_path, "kmeans", [0.50, 0.51, 0.52], dataset="fashion_mnist")
    row = report.shallow_beats_kmeans_fashion(tmp_path)
    assert row["verdict"] == v.REPRODUCED and row["key"] == "shallow-beats-kmeans-fashion-mnist"
    assert "fashion_mnist/kmeans.json" in row["evidence"]
    assert report.shallow_beats_kmeans(tmp_path)["verdict"] == report.NOT_RUN     # MNIST records are apart
    write(tmp_path, "kmeans", [0.605, 0.615, 0.625], dataset="fashion_mnist")     # -0.5 points: inside noise
    assert report.shallow_beats_kmeans_fashion(tmp_path)["verdict"] == v.NO_DIFFERENCE


def test_the_second_domain_judges_the_ae_rows_as_printed_and_says_when_they_are_short_of_budget(tmp_path):
    """AE + ACRBM (10) against AE + K-means on Fashion-MNIST: the direction alone (no paper number), and
    "not at the paper's budget" while either row ran fewer than Table 3's 500 epochs."""
    check = report.ae_acrbm_beats_ae_kmeans_fashion
    assert check(tmp_path)["verdict"] == report.NOT_RUN
    short = {"epochs": 50, "n_train": 60000}
    write(tmp_path, "ae_acrbm_10", [0.45, 0.46, 0.47], dataset="fashion_mnist", params=short)
    write(tmp_path, "ae_kmeans", [0.55, 0.56, 0.57], dataset="fashion_mnist", params=short)
    row = check(tmp_path)
    assert row["verdict"] == v.NOT_AT_BUDGET and "50 of the paper's 500 epochs" in row["detail"]
    assert row["budget"] == "3 · 50 of 500 · 60k; 3 · 50 of 500 · 60k"
    assert row["gap"].startswith("-10.00")
    full = {"epochs": 500, "n_train": 60000}
    write(tmp_path, "ae_acrbm_10", [0.45, 0.46, 0.47], dataset="fashion_mnist", params=full)
    write(tmp_path, "ae_kmeans", [0.55, 0.56, 0.57], dataset="fashion_mnist", params=full)
    assert check(tmp_path)["verdict"] == v.REVERSED
    assert report.ae_acrbm_beats_ae_kmeans(tmp_path)["verdict"] == report.NOT_RUN     # MNIST records are apart
