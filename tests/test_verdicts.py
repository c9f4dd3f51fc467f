"""osa_lib.book.verdicts: each rule gives each of its verdicts to the record that should get it, on both sides of
every threshold; budgets come from the paper's file."""
import numpy as np
import pytest

from osa_lib.book import records, report, verdicts as v
from osa_lib.book.paper import paper_accuracy, paper_epochs
from test_report import write  # noqa: E402  (one synthetic-record helper)


def table1_row(tmp_path, experiment, per_seed, epochs):
    write(tmp_path, experiment, per_seed, params={"epochs": epochs, "n_train": 60000})
    return report.reproduction_report(tmp_path).set_index("key").loc[f"t1-{experiment}", "verdict"]


@pytest.mark.parametrize("offset, spread, expected", [
    (+0.5, 0.1, v.REPRODUCED),
    (-(v.TOLERANCE_POINTS - 0.5), 0.1, v.REPRODUCED),
    (-(v.PARTLY_POINTS - 0.5), 0.1, v.PARTLY),
    (-(v.PARTLY_POINTS + 1.0), 0.1, v.NOT_REPRODUCED),
])
def test_a_table1_record_gets_the_verdict_its_numbers_call_for(tmp_path, offset, spread, expected):
    p = (paper_accuracy("shallow_acrbm_10") + offset) / 100
    seeds = [p - spread / 100, p, p + spread / 100]
    assert table1_row(tmp_path, "shallow_acrbm_10", seeds, paper_epochs("shallow_acrbm_10")) == expected


@pytest.mark.parametrize("experiment", ["shallow_acrbm_10", "shallow_acrbm_30", "ae_acrbm_10", "ae_acrbm_30"])
def test_one_epoch_short_of_the_papers_budget_is_not_tested(tmp_path, experiment):
    p = paper_accuracy(experiment) / 100
    assert table1_row(tmp_path / "at", experiment, [p, p], paper_epochs(experiment)) == v.REPRODUCED
    assert table1_row(tmp_path / "short", experiment, [p, p], paper_epochs(experiment) - 1) == v.NOT_AT_BUDGET


def test_no_record_is_not_run_yet(tmp_path):
    assert set(report.reproduction_report(tmp_path)["verdict"]) == {records.NOT_RUN}


def test_comparisons_need_more_than_two_standard_errors():
    a = {"mean": 0.60, "std": 0.01, "per_seed": [0.59, 0.60, 0.61, 0.60]}
    near = {"mean": 0.595, "std": 0.01, "per_seed": [0.585, 0.595, 0.605, 0.595]}
    far = {"mean": 0.50, "std": 0.01, "per_seed": [0.49, 0.50, 0.51, 0.50]}
    assert v.compare(a, far)[2] == v.REPRODUCED and v.clearly_above(a, far)
    assert v.compare(a, near)[2] == v.PARTLY and not v.clearly_above(a, near)
    assert v.compare(far, a)[2] == v.NOT_REPRODUCED
    one_seed = {"mean": 0.9, "std": 0.0, "per_seed": [0.9]}
    assert v.compare(one_seed, far)[2] == v.PARTLY                   # one seed never establishes a gap


def test_parameter_rule_on_both_sides_of_its_thresholds():
    shallow = 10_000
    big = int(shallow * v.PARAMETER_RATIO) + 1
    assert v.parameters_verdict(shallow, big, None) == v.REPRODUCED
    assert v.parameters_verdict(shallow, big, int(v.SAME_SIZE_SHARE * big) - 1) == v.REPRODUCED
    assert v.parameters_verdict(shallow, big, int(v.SAME_SIZE_SHARE * big) + 1) == v.PARTLY
    assert v.parameters_verdict(shallow, int(shallow * v.PARAMETER_RATIO), None) == v.PARTLY
    assert v.parameters_verdict(shallow, shallow, None) == v.NOT_REPRODUCED


def test_trend_rule():
    up, down, bumpy_up = np.array([1, 2, 3.0]), np.array([3, 2, 1.0]), np.array([1, 3, 2.5])
    assert v.trend_verdict(rising=[up], falling=[down]) == v.REPRODUCED
    assert v.trend_verdict(rising=[bumpy_up], falling=[down]) == v.PARTLY
    assert v.trend_verdict(rising=[down]) == v.NOT_REPRODUCED
    assert v.trend_verdict(falling=[np.array([1.0])]) == v.NOT_REPRODUCED    # one point shows no trend


def test_eq15_eq16_and_rho_rules_on_both_sides_of_their_thresholds():
    eps = 1e-3
    assert v.eq15_verdict(1.0, 1.0 - v.EQ15_USAGE_GAP + eps, 0.8, 0.8) == v.REPRODUCED
    assert v.eq15_verdict(1.0, 1.0 - v.EQ15_USAGE_GAP - eps, 0.8, 0.8) == v.REFUTED
    assert v.eq15_verdict(1.0, 1.0, 0.8, 0.8 - v.EQ15_ACCURACY_GAP - eps) == v.REFUTED
    assert v.eq16_verdict([1.0, v.EQ16_REPRODUCED]) == v.REPRODUCED
    assert v.eq16_verdict([1.0, v.EQ16_REPRODUCED - eps]) == v.PARTLY
    assert v.eq16_verdict([v.EQ16_PARTLY - eps]) == v.NOT_REPRODUCED
    assert v.rho_verdict(v.RHO_REPRODUCED) == v.REPRODUCED
    assert v.rho_verdict(v.RHO_PARTLY) == v.PARTLY
    assert v.rho_verdict(v.RHO_PARTLY - eps) == v.NOT_REPRODUCED


def test_loc_rule():
    assert v.loc_verdict(True, True, None) == v.REPRODUCED              # no control record: not required
    assert v.loc_verdict(True, True, True) == v.REPRODUCED
    assert v.loc_verdict(True, True, False) == v.PARTLY                  # the gain may be the prior's
    assert v.loc_verdict(False, True, None) == v.PARTLY
    assert v.loc_verdict(False, False, True) == v.NOT_REPRODUCED


def test_every_verdict_has_a_colour_and_every_claim_a_section_and_a_page():
    assert set(v.COLOURS) == set(v.VERDICTS)
    for claim in v.CLAIMS.values():
        assert claim.section in v.SECTIONS and claim.page.startswith("notebooks/")
    row = v.claim_row("eq15", v.REFUTED, "why")
    assert row["claim"] == v.CLAIMS["eq15"].wording and v.evidence_href(row) == \
        "../notebooks/derivations.html#derivations-eq15"


def test_each_claim_reads_only_the_records_it_names():
    """The report's evidence for each claim (committed records) is among the records its Claim names."""
    from pathlib import Path

    table = report.reproduction_report(Path(__file__).resolve().parents[1] / "results")
    for row in table.to_dict("records"):
        named = {f"results/{profile}/{r}.json" for r in v.CLAIMS[row["key"]].records for profile in ("paper", "ci")}
        cited = {e.strip() for e in row["evidence"].split(",") if e.strip() != "—"}
        assert cited <= named | {e for e in cited if "/ae_jobs/" in e}, row["key"]
