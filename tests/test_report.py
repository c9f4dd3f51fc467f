"""Verdicts of the reproduction report follow their stated rules."""
import pytest

from osa_lib.book import records, report, tables
from osa_lib.runtime import limit_threads


def write(tmp_path, experiment, per_seed, dataset="mnist", profile="paper", **extra_metrics):
    runs = [{"accuracy_majority": a, **{k: v[i] for k, v in extra_metrics.items()}} for i, a in enumerate(per_seed)]
    rec = records.make_record(experiment=experiment, dataset=dataset, profile=profile, params={"epochs": 20},
                              seeds=list(range(len(per_seed))), runs=runs, n_parameters=100, wall_time_s=1.0,
                              device="cpu")
    records.write_record(rec, tmp_path)


@pytest.mark.parametrize("ours, std, paper, verdict", [
    (61.0, 0.5, 60.0, report.REPRODUCED),      # within 2 points
    (70.0, 0.5, 60.0, report.REPRODUCED),      # above the paper
    (57.0, 4.0, 60.0, report.REPRODUCED),      # within one standard deviation
    (52.5, 4.0, 60.0, report.PARTLY),          # within two standard deviations
    (57.0, 0.5, 60.0, report.PARTLY),          # within 5 points
    (50.0, 0.5, 60.0, report.NOT_REPRODUCED),
])
def test_table1_rule(ours, std, paper, verdict):
    assert report.table1_verdict(ours, std, paper) == verdict


def test_report_without_records_says_not_run_yet(tmp_path):
    table = report.reproduction_report(tmp_path)
    assert set(table["verdict"]) == {records.NOT_RUN}
    assert len(table) == len(tables.TABLE1_ROWS) + len(report.CLAIMS) + 2


def test_report_uses_paper_records_and_the_papers_numbers(tmp_path):
    paper = float(tables.paper_results()["table1"]["rows"]["shallow_acrbm_10"]["accuracy"]) / 100
    write(tmp_path, "shallow_acrbm_10", [paper - 0.001, paper + 0.001])
    write(tmp_path, "kmeans", [paper - 0.20, paper - 0.21], profile="ci")
    table = report.reproduction_report(tmp_path, build_profile="ci").set_index("evidence")
    row = table.loc["results/paper/mnist/shallow_acrbm_10.json"]
    assert row["verdict"] == report.REPRODUCED
    assert "paper profile" in row["detail"]
    # the K-means row has only a ci record: the report says so in its evidence
    assert "results/ci/mnist/kmeans.json" in table.index
    beats = report.shallow_beats_kmeans(tmp_path)
    assert beats["verdict"] == report.REPRODUCED


def test_trend_claims(tmp_path):
    sizes = [5, 10, 30]
    runs = [{"accuracy_majority_k5": 0.4, "accuracy_majority_k10": 0.5, "accuracy_majority_k30": 0.7,
             "confidence_k5": 0.9, "confidence_k10": 0.8, "confidence_k30": 0.85,
             "reconstruction_mse_k5": 0.2, "reconstruction_mse_k10": 0.19, "reconstruction_mse_k30": 0.18}]
    rec = records.make_record(experiment="shallow_acrbm_sweep", dataset="mnist", profile="paper",
                              params={"sizes": sizes}, seeds=[0], runs=runs, n_parameters=None, wall_time_s=1,
                              device="cpu")
    records.write_record(rec, tmp_path)
    assert report.larger_latent_better_reconstruction(tmp_path)["verdict"] == report.REPRODUCED
    # confidence is not monotone (0.8 -> 0.85) but falls overall: partly
    assert report.more_clusters_more_accuracy(tmp_path)["verdict"] == report.PARTLY


def test_eq15_claim_reads_the_derivations_record(tmp_path):
    runs = [{"eq14_cluster_usage": 1.0, "eq15_cluster_usage": 0.1, "eq14_accuracy_majority": 0.55,
             "eq15_accuracy_majority": 0.11, "eq16_diagonal_mass_k10": 0.95, "eq16_diagonal_mass_k30": 0.7}]
    rec = records.make_record(experiment="derivations", dataset="mnist", profile="ci", params={}, seeds=[0],
                              runs=runs, n_parameters=None, wall_time_s=1, device="cpu")
    records.write_record(rec, tmp_path)
    assert report.eq15_reformulates_eq14(tmp_path)["verdict"] == report.NOT_REPRODUCED
    assert report.eq16_diagonal(tmp_path)["verdict"] == report.PARTLY


def test_limit_threads_rejects_bad_values():
    for bad in (0, -1, 1.5, True, "2"):
        with pytest.raises(ValueError, match="n_threads"):
            limit_threads(bad)
    limit_threads(1)


def test_loc_claims_read_the_flowers_records(tmp_path):
    def seg(experiment, value, **extra):
        runs = [{"pixel_accuracy": value, "iou": value, "dice": value}] * 2
        rec = records.make_record(experiment=experiment, dataset="flowers17", profile="paper", params={},
                                  seeds=[0, 1], runs=runs, n_parameters=None, wall_time_s=1, device="cpu",
                                  extra=extra)
        records.write_record(rec, tmp_path)

    seg("kmeans_segmentation", 0.40)
    seg("loc", 0.99)
    assert report.loc_beats_kmeans(tmp_path)["verdict"] == report.REPRODUCED
    seg("loc", 0.45)
    assert report.loc_beats_kmeans(tmp_path)["verdict"] == report.PARTLY
    seg("loc_rho_study", 0.5, table={"variant": ["rho=0.1", "rho=0.9"], "clusters / image": [2.0, 2.2]})
    assert report.loc_chooses_clusters(tmp_path)["verdict"] == report.PARTLY
    seg("loc_rho_study", 0.5, table={"variant": ["rho=0.1", "rho=0.9"], "clusters / image": [2.0, 4.0]})
    assert report.loc_chooses_clusters(tmp_path)["verdict"] == report.REPRODUCED
