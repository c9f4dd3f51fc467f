"""osa_lib.book.judge.verdicts: each rule gives each of its verdicts to the record that should get it, on both sides of
every threshold; budgets come from the paper's file."""
import numpy as np
import pytest

from osa_lib.book.provenance import records
from osa_lib.book.summary import report
from osa_lib.book.judge import verdicts as v
from osa_lib.book.judge.paper import paper_accuracy, paper_epochs
from test_report import write  # noqa: E402  (one synthetic-record helper)


def table1_row(tmp_path, experiment, per_seed, epochs):
    write(tmp_path, experiment, per_seed, params={"epochs": epochs, "n_train": 60000})
    return report.reproduction_report(tmp_path).set_index("key").loc[f"t1-{experiment}", "verdict"]


@pytest.mark.parametrize("offset, spread, expected", [
    (+0.5, 0.1, v.REPRODUCED),
    (-(v.MARGIN_POINTS - 0.5), 0.1, v.REPRODUCED),           # whole interval at or above paper − m
    (-v.MARGIN_POINTS, 0.5, v.INCONCLUSIVE),                 # straddles paper − m
    (-(v.MARGIN_POINTS + 3.0), 0.1, v.NOT_REPRODUCED),        # whole interval below paper − m
])
def test_a_table1_record_gets_the_verdict_its_numbers_call_for(tmp_path, offset, spread, expected):
    p = (paper_accuracy("shallow_acrbm_10") + offset) / 100
    seeds = [p - spread / 100, p, p + spread / 100]
    assert table1_row(tmp_path, "shallow_acrbm_10", seeds, paper_epochs("shallow_acrbm_10")) == expected


def test_intervals_use_the_t_quantile_of_their_own_seed_count():
    assert v.t_quantile(4) == pytest.approx(2.776, abs=1e-3)          # five seeds
    assert v.t_quantile(1) == pytest.approx(12.706, abs=1e-3)         # two seeds
    iv = v.mean_interval([0.50, 0.52, 0.54, 0.56, 0.58])
    assert iv.mean == pytest.approx(54.0) and iv.t == pytest.approx(2.776, abs=1e-3)
    assert iv.half_width == pytest.approx(2.776 * np.std([50, 52, 54, 56, 58], ddof=1) / np.sqrt(5), rel=1e-3)
    one = v.mean_interval([0.5])
    assert not one.exists and "no interval" in one.text()


def test_welch_satterthwaite_degrees_of_freedom():
    a, b = [0.60, 0.62, 0.64, 0.61, 0.63], [0.50, 0.55, 0.45, 0.52, 0.48]
    iv = v.gap_interval(a, b)
    va, vb = np.var(np.multiply(a, 100), ddof=1) / 5, np.var(np.multiply(b, 100), ddof=1) / 5
    df = (va + vb) ** 2 / (va ** 2 / 4 + vb ** 2 / 4)
    assert iv.df == pytest.approx(df) and 4 <= iv.df <= 8
    assert iv.half_width == pytest.approx(v.t_quantile(df) * np.sqrt(va + vb))


def _rows_with(gap: float, half_width: float, n: int = 5):
    """Two rows of ``n`` seeds whose gap is ``gap`` points with a Welch interval of ``half_width`` points."""
    spread = np.array([-2, -1, 0, 1, 2], dtype=float)[:n]
    spread = spread / np.std(spread, ddof=1)
    b = 50 + spread
    s = half_width / (v.t_quantile(2 * n - 2) * np.sqrt(2 / n))   # equal spreads: df = 2n − 2
    return list((50 + gap + s * spread) / 100), list((50 + s * spread) / 100), b


@pytest.mark.parametrize("gap, half, claimed, expected", [
    (+0.50, 4.7, 7.24, v.NO_DIFFERENCE),     # the case: contains 0, excludes the claimed +7.24
    (+6.00, 3.0, 7.24, v.REPRODUCED),        # above 0, the claimed gap inside
    (+12.0, 3.0, 7.24, v.REPRODUCED),        # above the claimed gap
    (+2.00, 1.0, 7.24, v.PARTLY),            # above 0, the claimed gap excluded: direction only
    (+3.00, 5.0, 7.24, v.INCONCLUSIVE),      # contains 0 and the claimed gap
    (-5.80, 3.8, 7.24, v.REVERSED),          # below 0
    (-0.20, 4.0, None, v.NO_DIFFERENCE),     # no claimed gap: inside noise
    (+5.00, 1.0, None, v.REPRODUCED),        # no claimed gap: the direction holds
])
def test_every_comparison_verdict_from_constructed_records(gap, half, claimed, expected):
    a, b, _ = _rows_with(gap, half)
    judged = v.gap_verdict({"per_seed": a}, {"per_seed": b}, claimed)
    assert judged.interval.mean == pytest.approx(gap) and judged.interval.half_width == pytest.approx(half, rel=1e-6)
    assert judged.verdict == expected
    if expected == v.INCONCLUSIVE:
        assert judged.seeds_to_decide is not None and judged.seeds_to_decide > 5
        assert "seeds per row would decide" in judged.text()


def test_the_headline_case_never_reads_partly():
    a, b, _ = _rows_with(0.50, 3.90 / 2 * v.t_quantile(8) / 2 * 2)   # 2 SE = 3.90 as in the committed records
    assert v.gap_verdict({"per_seed": a}, {"per_seed": b}, 7.24).verdict == v.NO_DIFFERENCE


def test_noise_never_makes_a_row_verdict_more_favourable():
    base = paper_accuracy("shallow_acrbm_30")
    for mean in (base + 1, base - 1, base - 2.5, base - 6):
        verdicts = [v.row_verdict([(mean + d) / 100 for d in (-s, 0, s, -s / 2, s / 2)], base).verdict
                    for s in (0.1, 1, 3, 8, 20)]
        first_not = next((i for i, x in enumerate(verdicts) if x != v.REPRODUCED), len(verdicts))
        assert all(x != v.REPRODUCED for x in verdicts[first_not:]), verdicts


def test_one_seed_gives_no_interval_and_says_so():
    judged = v.gap_verdict({"per_seed": [0.9]}, {"per_seed": [0.5, 0.6]}, 7.0)
    assert judged.verdict == v.INCONCLUSIVE and "no interval" in judged.text()
    assert v.row_verdict([0.9], 50.0).verdict == v.INCONCLUSIVE


def test_noise_words_and_same_k_sentences():
    a, b, _ = _rows_with(0.5, 4.0)
    assert "inside noise" in v.noise_words({"per_seed": a}, {"per_seed": b})
    a2, b2, _ = _rows_with(-6.0, 2.0)
    assert "falls behind" in v.same_k_sentence({"per_seed": a2}, {"per_seed": b2}, 30, "on MNIST")
    assert "cannot be judged" in v.same_k_sentence({"per_seed": [0.5]}, {"per_seed": [0.4]}, 10, "on MNIST")


def test_only_the_judge_compares_a_gap_with_a_threshold():
    """No module of the book outside verdicts imports a threshold or compares a ``gap``/``se`` with a number."""
    import ast
    from pathlib import Path

    import osa_lib.book

    thresholds = {"Z", "MARGIN_POINTS", "TOLERANCE_POINTS", "PARTLY_POINTS", "LEVEL", "EQ15_USAGE_GAP",
                  "EQ15_ACCURACY_GAP", "EQ16_REPRODUCED", "EQ16_PARTLY", "RHO_REPRODUCED", "RHO_PARTLY",
                  "PARAMETER_RATIO", "SAME_SIZE_SHARE", "FLAT_SHARE"}
    offenders = []
    for path in Path(osa_lib.book.__file__).parent.rglob("*.py"):
        if path.name == "verdicts.py":
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Compare):
                names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
                attrs = {n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute)}
                if (names | attrs) & ({"gap", "se", "two_se", "within_noise", "diff", "difference"} | thresholds):
                    offenders.append(f"{path.name}:{node.lineno}")
    assert not offenders, f"gaps or thresholds compared outside osa_lib.book.judge.verdicts: {offenders}"


@pytest.mark.parametrize("experiment", ["shallow_acrbm_10", "shallow_acrbm_30", "ae_acrbm_10", "ae_acrbm_30"])
def test_one_epoch_short_of_the_papers_budget_is_not_tested(tmp_path, experiment):
    p = paper_accuracy(experiment) / 100
    assert table1_row(tmp_path / "at", experiment, [p, p], paper_epochs(experiment)) == v.REPRODUCED
    assert table1_row(tmp_path / "short", experiment, [p, p], paper_epochs(experiment) - 1) == v.NOT_AT_BUDGET


def test_no_record_is_not_run_yet(tmp_path):
    assert set(report.reproduction_report(tmp_path)["verdict"]) == {records.NOT_RUN}


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
    up, _, _ = _rows_with(10.0, 2.0)
    a, b, _ = _rows_with(10.0, 2.0)
    above = v.gap_verdict({"per_seed": a}, {"per_seed": b}, None)
    a0, b0, _ = _rows_with(0.5, 3.0)
    inside = v.gap_verdict({"per_seed": a0}, {"per_seed": b0}, None)
    assert v.loc_verdict([above, above], []) == v.REPRODUCED              # no control record: not required
    assert v.loc_verdict([above], [above]) == v.REPRODUCED
    assert v.loc_verdict([above], [inside]) == v.PARTLY                    # the gain may be the prior's
    assert v.loc_verdict([above, inside], [above]) == v.NO_DIFFERENCE      # the least favourable comparison


def test_every_verdict_has_a_colour_and_every_claim_a_section_and_a_page():
    assert set(v.COLOURS) == set(v.VERDICTS)
    for claim in v.CLAIMS.values():
        assert claim.section in v.SECTIONS and claim.page.startswith("notebooks/")
    row = v.claim_row("eq15", v.REFUTED, "why")
    assert row["claim"] == v.CLAIMS["eq15"].wording and v.evidence_href(row) == \
        "../notebooks/derivations.html#derivations-eq15"


def test_each_claim_reads_only_the_records_it_names():
    """The report's evidence for each claim (committed records) is among the records its Claim names."""
    from fnmatch import fnmatch
    from pathlib import Path

    table = report.reproduction_report(Path(__file__).resolve().parents[1] / "results")
    for row in table.to_dict("records"):
        named = {f"results/{profile}/{r}.json" for r in v.CLAIMS[row["key"]].records for profile in ("paper", "ci")}
        cited = {e.strip() for e in row["evidence"].split(",") if e.strip() != "—"}
        unnamed = {e for e in cited if "/ae_jobs/" not in e and not any(fnmatch(e, n) for n in named)}
        assert not unnamed, (row["key"], unnamed)


@pytest.mark.parametrize("before, after, word", [
    ([0.50, 0.51, 0.49], [0.60, 0.61, 0.59], v.RISES),          # seeds: the interval lies above 0
    ([0.60, 0.61, 0.59], [0.50, 0.51, 0.49], v.FALLS),          # below 0
    ([0.50, 0.60, 0.40], [0.52, 0.62, 0.42], v.FLAT),           # +2 points inside a spread of 10: noise
    ([0.5, 0.5], [0.5, 0.5], v.FLAT),                           # no spread, no change
    (0.0300, 0.0400, v.RISES), (0.0400, 0.0300, v.FALLS),       # one run each: the change as it stands
    (0.987, 0.986, v.FLAT),                                     # within FLAT_SHARE of the larger value
    ({"per_seed": [0.2, 0.21]}, [0.3], v.RISES),                # one seed on a side: no interval
])
def test_direction_both_ways_and_flat(before, after, word):
    assert v.direction(before, after) == word
    assert ("interval over" in v.direction_basis(before, after)) == (
        np.size(before.get("per_seed") if isinstance(before, dict) else before) > 1 and np.size(after) > 1)


def test_direction_of_single_numbers_turns_at_flat_share():
    just_over, just_under = 1.0 + 2 * v.FLAT_SHARE, 1.0 + v.FLAT_SHARE / 2
    assert v.direction(1.0, just_over) == v.RISES and v.direction(just_over, 1.0) == v.FALLS
    assert v.direction(1.0, just_under) == v.FLAT
    with pytest.raises(ValueError, match="each side"):
        v.direction([], [1.0])
