"""Every verdict of the book in one place: the claims, the intervals, the rules that decide them, their thresholds.

The report (:mod:`osa_lib.book.summary.report`), the landing page (:mod:`osa_lib.book.summary.overview`), the
summary and the chapters ask this module; nothing else compares a gap with a threshold
(``tests/test_verdicts.py`` fails when another module does).

**Intervals** (:func:`mean_interval`, :func:`gap_interval`): a mean over n seeds carries a
``LEVEL`` (95 %) interval ``mean ± t · s / √n`` with the t quantile for n − 1 degrees of freedom
(2.78 for five seeds); a difference of two rows uses Welch's standard error and the
Welch–Satterthwaite degrees of freedom. One seed gives no interval, and every row says so.

Verdicts (:data:`VERDICTS`), defined once and shown at the top of the report:

* ``"reproduced"``: a row's whole interval lies at or above the paper's number less the margin
  ``MARGIN_POINTS``; a comparison's gap interval lies above 0 and does not exclude the claimed gap;
* ``"partly reproduced"``: a comparison's gap interval lies above 0 but excludes the claimed gap
  (the direction holds, the size does not); for the trend, parameter, eq 16, ρ and LOC claims,
  their own rules below;
* ``"inconclusive"``: a row's interval straddles paper − margin, or a gap interval contains both 0
  and the claimed gap; the row says how many seeds would decide at the observed spread;
* ``"no detectable difference"`` (not reproduced): the gap interval contains 0 and excludes the
  claimed gap;
* ``"not reproduced"``: a row's whole interval lies below paper − margin (and the rules of the
  non-interval claims);
* ``"reversed"`` (not reproduced): the gap interval lies below 0;
* ``"refuted"``: the paper's own derivation fails (eq 15), and the numbers show it;
* ``"not tested at the paper's budget"``: fewer epochs (Table 3, Table 4) or training images than
  the paper (:func:`budget_shortfall`); numbers shown, never turned into a verdict;
* ``"not run yet"``: no record.

Noise never makes a verdict more favourable: a wider interval can only move a row from
*reproduced* to *inconclusive*, never the other way.

**Labels** (:data:`LABEL_USES`): each number says which labels chose it: ``none`` (a label-free
start, the printed protocol), ``training labels`` (a reading chosen by training accuracy),
``test labels`` (the paper's best-of-500 K-means start, any peak epoch). The majority mapping itself
is fitted on the labels of the split it scores; the report says so once.
"""
from __future__ import annotations

import html
import math
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
from scipy import stats

from osa_lib.book.judge.paper import TABLE1_ROWS, paper_accuracy, paper_budget
from osa_lib.book.provenance.records import NOT_RUN, record_epochs, record_file_name

REPRODUCED = "reproduced"
PARTLY = "partly reproduced"
INCONCLUSIVE = "inconclusive"
NO_DIFFERENCE = "no detectable difference"
NOT_REPRODUCED = "not reproduced"
REVERSED = "reversed"
REFUTED = "refuted"
NOT_AT_BUDGET = "not tested at the paper's budget"
#: Every verdict, from the most to the least favourable to the paper (``NOT_RUN`` is "not run yet").
VERDICTS = (REPRODUCED, PARTLY, INCONCLUSIVE, NO_DIFFERENCE, NOT_REPRODUCED, REVERSED, REFUTED, NOT_AT_BUDGET,
            NOT_RUN)
#: What each verdict means, in one line (the report's legend).
MEANINGS = {
    REPRODUCED: "the interval supports the paper's number or claimed gap",
    PARTLY: "the direction holds, the claimed size does not (its interval excludes the paper's gap)",
    INCONCLUSIVE: "the interval contains both the paper's value and a failing one; more seeds would decide",
    NO_DIFFERENCE: "not reproduced: the gap's interval contains 0 and excludes the paper's gap",
    NOT_REPRODUCED: "the whole interval lies below the paper's number less the margin (or the claim's rule fails)",
    REVERSED: "not reproduced: the gap's interval lies below 0, the other way round",
    REFUTED: "the paper's own derivation fails, and the numbers show it",
    NOT_AT_BUDGET: "trained below the paper's budget: numbers shown, no verdict",
    NOT_RUN: "no record yet",
}
#: Background and text colour of each verdict in the book's tables and figures.
COLOURS = {
    REPRODUCED: ("#dafbe1", "#1a7f37"),
    PARTLY: ("#fff8c5", "#9a6700"),
    INCONCLUSIVE: ("#eaeef2", "#424a53"),
    NO_DIFFERENCE: ("#ffebe9", "#a40e26"),
    NOT_REPRODUCED: ("#ffebe9", "#cf222e"),
    REVERSED: ("#ffe2e0", "#82071e"),
    REFUTED: ("#fbefff", "#8250df"),
    NOT_AT_BUDGET: ("#ddf4ff", "#0969da"),
    NOT_RUN: ("#f6f8fa", "#57606a"),
}
def verdict_badge(verdict: str) -> str:
    """An inline, coloured HTML label for ``verdict`` (its colours: :data:`COLOURS`)."""
    background, colour = COLOURS[verdict]
    return (f'<span class="osa-verdict" style="background:{background};color:{colour};border:1px solid {colour};'
            f'border-radius:4px;padding:0 4px;white-space:nowrap;font-weight:600">{html.escape(verdict)}</span>')


#: Which labels chose a number.
LABELS_NONE, LABELS_TRAIN, LABELS_TEST = "none", "training labels", "test labels"
LABEL_USES = (LABELS_NONE, LABELS_TRAIN, LABELS_TEST)

# --------------------------------------------------------------------------- thresholds

#: Level of every interval of the book.
LEVEL = 0.95
#: Table 1: the margin m. A row is reproduced when its whole interval is at or above paper − m (points).
MARGIN_POINTS = 2.0
#: "Far fewer parameters": the AE must have more than this many times the ACRBM's parameters.
PARAMETER_RATIO = 10.0
#: AE + ACRBM counts as "about as many parameters" as AE + K-means from this share of its count up.
SAME_SIZE_SHARE = 0.9
#: Eq 15 agrees with eq 14 when the share of clusters used differs by less than this (10 points) ...
EQ15_USAGE_GAP = 0.1
#: ... and the accuracy by less than this (5 points); otherwise the derivation is refuted.
EQ15_ACCURACY_GAP = 0.05
#: Eq 16: D = hᵀh is "diagonal" when this share of its mass is on the diagonal for every K ...
EQ16_REPRODUCED = 0.9
#: ... and partly so from this share up.
EQ16_PARTLY = 0.5
#: The ρ claim: mean clusters per image must grow by this much from the smallest to the largest ρ ...
RHO_REPRODUCED = 1.0
#: ... or by this much for *partly reproduced*.
RHO_PARTLY = 0.5
#: The most seeds an "inconclusive" row names as what would decide it (beyond: "more than this").
MAX_SEEDS_NAMED = 1000

# --------------------------------------------------------------------------- the claims


@dataclass(frozen=True)
class Claim:
    """One claim of the paper: its id, its wording, the report section, the chapter section (page
    without suffix, anchor) that holds its evidence, the records it reads (``dataset/experiment``,
    the paper-profile one, else this build's) and the metrics of those records it compares."""

    key: str
    section: str
    wording: str
    page: str
    anchor: str | None
    records: tuple[str, ...] = ()
    metric: str = ""


#: Sections of the report page (label, title), in order; each claim names one.
SECTIONS = {
    "table1": ("report-table1", "Table 1: clustering accuracy on MNIST"),
    "comparisons": ("report-comparisons", "Comparisons between methods"),
    "figures": ("report-figures", "Figures 5 and 9"),
    "derivations": ("report-derivations", "Derivations"),
    "loc": ("report-loc", "LOC segmentation"),
}
_T1_PAGE = {"kmeans": "shallow", "shallow_acrbm_10": "shallow", "shallow_acrbm_30": "shallow"}
#: Every claim the report decides, in the report's order. The anchors are the chapters' section ids;
#: ``scripts/check_pages.py`` fails when one is missing.
CLAIMS = {c.key: c for c in (
    *(Claim(f"t1-{e}", "table1", f"Table 1: {method} ({k} clusters)",
            *(("notebooks/shallow_acrbm", "shallow-table1") if _T1_PAGE.get(e) else ("notebooks/ae_acrbm", "ae-table1")),
            records=(f"mnist/{e}",), metric="verdicts.table1_metric (majority accuracy; AE + K-means: best start)")
      for e, method, k in TABLE1_ROWS),
    Claim("shallow-beats-kmeans", "comparisons", "Shallow ACRBM beats K-means (10 clusters)",
          "notebooks/shallow_acrbm", "shallow-table1", ("mnist/shallow_acrbm_10", "mnist/kmeans"), "accuracy_majority"),
    Claim("shallow30-beats-kmeans30", "comparisons", "Shallow ACRBM (30) beats K-means at the same 30 clusters",
          "notebooks/shallow_acrbm", "shallow-table1", ("mnist/shallow_acrbm_30", "mnist/kmeans_30"),
          "accuracy_majority"),
    Claim("shallow-beats-kmeans-fashion-mnist", "comparisons",
          "Shallow ACRBM beats K-means on a second domain (Fashion-MNIST, 10 clusters)",
          "notebooks/shallow_acrbm_fashion_mnist", "shallow-table1-shallow-acrbm-fashion-mnist",
          ("fashion_mnist/shallow_acrbm_10", "fashion_mnist/kmeans"), "accuracy_majority"),
    Claim("ae-beats-kmeans", "comparisons", "AE + ACRBM beats AE + K-means (10 clusters)",
          "notebooks/ae_acrbm", "ae-table1", ("mnist/ae_acrbm_10*", "mnist/ae_kmeans*"),
          "accuracy_majority (AE + K-means: its label-free start; pairings of readings)"),
    Claim("ae-beats-kmeans-fashion-mnist", "comparisons",
          "AE + ACRBM beats AE + K-means on a second domain (Fashion-MNIST, 10 clusters)",
          "notebooks/shallow_acrbm_fashion_mnist", "shallow-fm-ae-shallow-acrbm-fashion-mnist",
          ("fashion_mnist/ae_acrbm_10", "fashion_mnist/ae_kmeans"),
          "accuracy_majority (AE + K-means: its label-free start; both as printed)"),
    Claim("fewer-parameters", "comparisons", "ACRBMs need far fewer parameters than AEs",
          "notebooks/ae_acrbm", "ae-model", ("mnist/shallow_acrbm_10", "mnist/ae_kmeans", "mnist/ae_acrbm_10"),
          "n_parameters"),
    Claim("fig9", "figures", "More clusters: higher accuracy, lower confidence (Figure 9)",
          "notebooks/shallow_acrbm", "shallow-fig9", ("mnist/shallow_acrbm_sweep",), "accuracy_majority_k*, confidence_k*"),
    Claim("fig5", "figures", "A larger latent size reconstructs better (Figure 5)",
          "notebooks/shallow_acrbm", "shallow-fig5", ("mnist/shallow_acrbm_sweep",), "reconstruction_mse_k*"),
    Claim("eq15", "derivations", "Eq 15 reformulates eq 14", "notebooks/derivations", "derivations-eq15",
          ("mnist/derivations",), "eq14_/eq15_cluster_usage, eq14_/eq15_accuracy_majority"),
    Claim("eq16", "derivations", "D = hᵀh carries its mass on the diagonal (eq 16; not exactly sparse)",
          "notebooks/derivations", "derivations-eq16", ("mnist/derivations",), "eq16_diagonal_mass_k*"),
    Claim("loc-table2", "loc", "Table 2: LOC beats K-means, at the paper's numbers", "notebooks/loc", "loc-table2",
          ("flowers17/loc", "flowers17/kmeans_segmentation", "flowers17/loc_untrained", "flowers17/grabcut"),
          "pixel_accuracy, iou, dice (trimap band ignored and counted as background)"),
    Claim("loc-rho", "loc", "LOC's ρ controls the number of clusters per image", "notebooks/loc", "loc-rho",
          ("flowers17/loc_rho_study",), "clusters / image"),
)}
#: Where the evidence of each claim lives: key -> (page without suffix, section anchor or None).
EVIDENCE = {key: (c.page, c.anchor) for key, c in CLAIMS.items()}


def claim_row(key: str, verdict: str, detail: str, *, evidence: str = "—", paper: str = "—", ours: str = "—",
              gap: str = "—", budget: str = "—", labels: str = "—") -> dict:
    """One row of the report: ``key, section, claim, paper, ours, gap, budget, labels, verdict, detail,
    evidence, page, anchor`` (the wording, section and page come from :data:`CLAIMS`). ``ours`` and ``gap``
    carry their intervals (:meth:`Interval.text`); ``labels`` says which labels chose the numbers."""
    c = CLAIMS[key]
    return {"key": key, "section": c.section, "claim": c.wording, "paper": paper, "ours": ours, "gap": gap,
            "budget": budget, "labels": labels, "verdict": verdict, "detail": detail, "evidence": evidence,
            "page": c.page, "anchor": c.anchor}


def evidence_path(profile, dataset, experiment) -> str:
    """The repository path of the record a claim reads."""
    return record_file_name(profile, dataset, experiment)


def evidence_href(row: Mapping, from_page: str = "book/report") -> str:
    """Relative HTML link from ``from_page`` to the chapter section of ``row`` (a claim)."""
    depth = from_page.count("/")
    href = "../" * depth + f"{row['page']}.html"
    return href + (f"#{row['anchor']}" if row.get("anchor") else "")


# --------------------------------------------------------------------------- rules

@dataclass(frozen=True)
class Interval:
    """A mean (or a difference of two means) with its ``LEVEL`` t interval, in the units it was given.

    ``n``: seeds (for a difference, the smaller row's); ``df``: degrees of freedom (n − 1, or
    Welch–Satterthwaite); ``t``: the quantile used; ``low``/``high``: NaN when there is no interval
    (one seed, or no spread to estimate).
    """

    mean: float
    low: float
    high: float
    n: int
    df: float
    t: float
    se: float

    @property
    def exists(self) -> bool:
        return bool(np.isfinite(self.low) and np.isfinite(self.high))

    @property
    def half_width(self) -> float:
        return (self.high - self.low) / 2 if self.exists else float("nan")

    def text(self, digits: int = 2, unit: str = "") -> str:
        """``"59.70 [55.00, 64.40]"``; ``"59.70 (1 seed, no interval)"`` without an interval."""
        if not self.exists:
            return f"{self.mean:.{digits}f}{unit} ({self.n} seed{'s' if self.n != 1 else ''}, no interval)"
        return f"{self.mean:.{digits}f}{unit} [{self.low:.{digits}f}, {self.high:.{digits}f}]"

    def signed_text(self, digits: int = 2) -> str:
        """A gap: ``"+0.50 [−4.20, +5.20]"``."""
        if not self.exists:
            return f"{self.mean:+.{digits}f} (no interval)"
        return f"{self.mean:+.{digits}f} [{self.low:+.{digits}f}, {self.high:+.{digits}f}]"


def t_quantile(df: float) -> float:
    """The two-sided ``LEVEL`` quantile of Student's t with ``df`` degrees of freedom (NaN below 1)."""
    return float(stats.t.ppf(0.5 + LEVEL / 2, df)) if df >= 1 else float("nan")


def _values(metric, scale: float) -> np.ndarray:
    values = metric["per_seed"] if isinstance(metric, Mapping) else metric
    return scale * np.asarray(values, dtype=float)


def mean_interval(metric, scale: float = 100.0) -> Interval:
    """The ``LEVEL`` t interval of a mean over seeds: ``metric`` is a record's metric
    (``{"per_seed": [...]}``) or the per-seed values; ``scale`` 100 gives percent points."""
    x = _values(metric, scale)
    n = len(x)
    if n == 0:
        raise ValueError("a metric with no seed has no mean")
    mean = float(x.mean())
    if n < 2:
        return Interval(mean, float("nan"), float("nan"), n, 0.0, float("nan"), float("nan"))
    se = float(x.std(ddof=1) / math.sqrt(n))
    t = t_quantile(n - 1)
    return Interval(mean, mean - t * se, mean + t * se, n, float(n - 1), t, se)


def gap_interval(a, b, scale: float = 100.0) -> Interval:
    """The ``LEVEL`` interval of ``mean(a) − mean(b)`` by Welch–Satterthwaite (no interval when either
    row has one seed). ``a``/``b`` as in :func:`mean_interval`."""
    xa, xb = _values(a, scale), _values(b, scale)
    na, nb = len(xa), len(xb)
    gap = float(xa.mean() - xb.mean())
    if na < 2 or nb < 2:
        return Interval(gap, float("nan"), float("nan"), min(na, nb), 0.0, float("nan"), float("nan"))
    va, vb = xa.var(ddof=1) / na, xb.var(ddof=1) / nb
    se = float(math.sqrt(va + vb))
    if se == 0:
        return Interval(gap, gap, gap, min(na, nb), float("inf"), 0.0, 0.0)
    df = float((va + vb) ** 2 / (va ** 2 / (na - 1) + vb ** 2 / (nb - 1))) if va + vb > 0 else float(na + nb - 2)
    t = t_quantile(df)
    return Interval(gap, gap - t * se, gap + t * se, min(na, nb), df, t, se)


def _seeds_for_half_width(std: float, target: float, n_now: int, welch_pair: float | None = None) -> int | None:
    """Smallest n (≥ ``n_now``) whose t half-width at spread ``std`` is below ``target``; None past
    :data:`MAX_SEEDS_NAMED`. ``welch_pair``: the other row's std for a difference with n seeds per row."""
    if not np.isfinite(std) or target <= 0:
        return None
    for n in range(max(2, n_now), MAX_SEEDS_NAMED + 1):
        if welch_pair is None:
            half = t_quantile(n - 1) * std / math.sqrt(n)
        else:
            va, vb = std ** 2 / n, welch_pair ** 2 / n
            df = (va + vb) ** 2 / ((va ** 2 + vb ** 2) / (n - 1)) if va + vb > 0 else 2 * n - 2
            half = t_quantile(df) * math.sqrt(va + vb)
        if half < target:
            return n
    return None


@dataclass(frozen=True)
class Judgement:
    """A verdict with what it rests on: the interval, the claimed value (the paper's number for a row, its
    gap for a comparison; None where it prints none), and for *inconclusive* the seeds (per row) that
    would decide at the observed spread (None: one seed so far, or more than :data:`MAX_SEEDS_NAMED`)."""

    verdict: str
    interval: Interval
    claimed: float | None
    seeds_to_decide: int | None = None
    kind: str = "gap"          # "gap" (a comparison) or "row" (a row against the paper's number)

    def text(self, what: str = "ours") -> str:
        """One clause with the numbers the verdict rests on (points)."""
        if self.kind == "row":
            body = (f"{what} {self.interval.text()} against the paper's {self.claimed:.2f} less the margin "
                    f"{MARGIN_POINTS:g} = {self.claimed - MARGIN_POINTS:.2f}")
        else:
            claim = ("the claimed direction (the paper prints no gap)" if self.claimed is None
                     else f"the claimed gap {self.claimed:+.2f}")
            body = f"{what} {self.interval.signed_text()} against {claim}"
        if self.verdict == INCONCLUSIVE:
            if not self.interval.exists:
                body += "; one seed gives no interval"
            elif self.seeds_to_decide:
                body += f"; about {self.seeds_to_decide} seeds{' per row' if self.kind == 'gap' else ''} would decide"
            else:
                body += f"; more than {MAX_SEEDS_NAMED} seeds would be needed"
        return body


def row_verdict(metric, paper_pct: float, *, margin: float = MARGIN_POINTS) -> Judgement:
    """A Table 1 row against the paper's number (percent points): *reproduced* when the whole interval
    is at or above ``paper − margin``, *not reproduced* when the whole interval is below it,
    *inconclusive* when it straddles (or one seed gives no interval)."""
    iv = mean_interval(metric)
    floor = paper_pct - margin
    if iv.exists and iv.low >= floor:
        return Judgement(REPRODUCED, iv, paper_pct, kind="row")
    if iv.exists and iv.high < floor:
        return Judgement(NOT_REPRODUCED, iv, paper_pct, kind="row")
    std = iv.se * math.sqrt(iv.n) if iv.exists else float("nan")
    return Judgement(INCONCLUSIVE, iv, paper_pct, _seeds_for_half_width(std, abs(iv.mean - floor), iv.n), kind="row")


def gap_verdict(a, b, claimed_gap: float | None) -> Judgement:
    """"A beats B" with the paper's claimed gap Δ (points; None where the paper prints none) on the
    per-seed values of two rows (:func:`gap_interval`):

    * *reproduced*: the interval lies above 0 and does not exclude Δ (or lies above it);
    * *partly reproduced*: above 0 but Δ excluded (the direction only);
    * *no detectable difference*: contains 0, excludes Δ;
    * *inconclusive*: contains both 0 and Δ (or one seed: no interval); with the seeds per row that
      would separate them at the observed spread;
    * *reversed*: below 0.

    Without Δ, the claim is a direction: above 0 reproduced, containing 0 no detectable difference.
    """
    iv = gap_interval(a, b)
    if not iv.exists:
        return Judgement(INCONCLUSIVE, iv, claimed_gap, None)
    if iv.high < 0:
        return Judgement(REVERSED, iv, claimed_gap)
    contains_zero = iv.low <= 0
    if claimed_gap is None:
        return Judgement(NO_DIFFERENCE if contains_zero else REPRODUCED, iv, None)
    excludes_claim = iv.high < claimed_gap if claimed_gap > 0 else iv.low > claimed_gap
    if not contains_zero:
        return Judgement(PARTLY if excludes_claim else REPRODUCED, iv, claimed_gap)
    if excludes_claim:
        return Judgement(NO_DIFFERENCE, iv, claimed_gap)
    sa = float(np.std(_values(a, 100.0), ddof=1))
    sb = float(np.std(_values(b, 100.0), ddof=1))
    return Judgement(INCONCLUSIVE, iv, claimed_gap, _seeds_for_half_width(sa, abs(claimed_gap) / 2, iv.n, sb))


def table1_metric(record: Mapping | None, experiment: str) -> str:
    """The metric Table 1's verdict reads for a row: the majority accuracy; for AE + K-means the paper's
    own selection (best of the K-means starts by *test* accuracy) when the record has it."""
    if experiment == "ae_kmeans" and record is not None and "accuracy_majority_best_of_inits" in record["metrics"]:
        return "accuracy_majority_best_of_inits"
    return "accuracy_majority"


def labels_used(record: Mapping | None, metric: str) -> str:
    """Which labels chose ``metric`` of ``record`` (:data:`LABEL_USES`): the best start or a peak by test
    accuracy reads test labels; a reading chosen by training accuracy reads training labels; else none."""
    if metric.endswith("best_of_inits") or "peak" in metric:
        return LABELS_TEST
    params = (record or {}).get("params", {})
    if params.get("reading", "printed") != "printed" or params.get("selected_by") == "training accuracy":
        return LABELS_TRAIN
    return LABELS_NONE


def table1_reading(record: Mapping, experiment: str) -> tuple[str, Mapping]:
    """The metric Table 1's verdict reads (:func:`table1_metric`) and its values."""
    name = table1_metric(record, experiment)
    return name, record["metrics"][name]


def seeds_text(n: int) -> str:
    return f"{n} seed{'s' if n != 1 else ''}"


def interval_rule_text(n_seeds: Sequence[int] = (2, 3, 5)) -> str:
    """The rule's numbers as words: level, margin, and the t quantile for each seed count given."""
    ts = ", ".join(f"{t_quantile(n - 1):.2f} for {n} seeds" for n in sorted(set(n_seeds)) if n >= 2)
    return (f"{100 * LEVEL:.0f} % t intervals (t quantile {ts}); a difference of two rows uses Welch–Satterthwaite; "
            f"margin m = {MARGIN_POINTS:g} points below the paper's number")


def budget_shortfall(record: Mapping, experiment: str) -> str | None:
    """Why ``record`` is below the paper's budget for ``experiment`` (fewer epochs than Table 3 /
    Table 4, or fewer training images), or None when it is at the budget."""
    paper = paper_budget(experiment)
    epochs = record_epochs(record)
    if paper["epochs"] is not None and (epochs is None or epochs < paper["epochs"]):
        return f"{epochs} of the paper's {paper['epochs']} epochs"
    n_train = record["params"].get("n_train")
    if paper["n_train"] is not None and n_train is not None and n_train < paper["n_train"]:
        return f"{n_train:,} of the paper's {paper['n_train']:,} training images"
    return None


def at_budget(verdict: str, record: Mapping, experiment: str) -> tuple[str, str | None]:
    """``(verdict, shortfall)``: ``verdict`` itself when ``record`` is at the paper's budget for
    ``experiment``, else *not tested at the paper's budget* and why (:func:`budget_shortfall`)."""
    shortfall = budget_shortfall(record, experiment)
    return (NOT_AT_BUDGET if shortfall else verdict), shortfall


def parameters_verdict(shallow: int, ae: int, ae_acrbm: int | None) -> str:
    """"ACRBMs need far fewer parameters": *reproduced* when the AE has more than
    ``PARAMETER_RATIO`` times the shallow ACRBM's parameters and AE + ACRBM is not about as large as
    AE + K-means; *partly* when only the shallow ACRBM is smaller."""
    ratio = ae / shallow
    verdict = REPRODUCED if ratio > PARAMETER_RATIO else (PARTLY if ratio > 1 else NOT_REPRODUCED)
    if ae_acrbm is not None and ae_acrbm >= SAME_SIZE_SHARE * ae and verdict == REPRODUCED:
        verdict = PARTLY
    return verdict


def trend_verdict(rising: Sequence[np.ndarray] = (), falling: Sequence[np.ndarray] = ()) -> str:
    """Figures 5 and 9: *reproduced* when every ``rising`` curve rises at every step and every
    ``falling`` curve never rises; *partly* when each ends the claimed side of where it starts."""
    def steps(v):
        return np.diff(np.asarray(v, dtype=float)) if len(v) > 1 else None
    monotone = all(steps(v) is not None and np.all(steps(v) > 0) for v in rising) and \
        all(steps(v) is not None and np.all(steps(v) <= 0) for v in falling)
    if monotone:
        return REPRODUCED
    overall = all(v[-1] > v[0] for v in rising) and all(v[-1] < v[0] for v in falling)
    return PARTLY if overall else NOT_REPRODUCED


def eq15_verdict(usage14: float, usage15: float, accuracy14: float, accuracy15: float) -> str:
    """Eq 15 as "a reformulation" of eq 14: *reproduced* when training on either uses as many
    clusters and scores as well (within the EQ15 thresholds), else *refuted*."""
    same = abs(usage14 - usage15) < EQ15_USAGE_GAP and abs(accuracy14 - accuracy15) < EQ15_ACCURACY_GAP
    return REPRODUCED if same else REFUTED


def eq16_verdict(diagonal_masses: Sequence[float]) -> str:
    """Eq 16's diagonal D: by the lowest share of D's mass on its diagonal over the K tried."""
    lowest = min(diagonal_masses)
    return REPRODUCED if lowest >= EQ16_REPRODUCED else (PARTLY if lowest >= EQ16_PARTLY else NOT_REPRODUCED)


def rho_verdict(growth: float) -> str:
    """The ρ claim, by how much the mean clusters per image grow from the smallest to the largest ρ."""
    return REPRODUCED if growth >= RHO_REPRODUCED else (PARTLY if growth >= RHO_PARTLY else NOT_REPRODUCED)


#: Verdicts of comparisons from the most to the least favourable (for combining several into one).
_ORDER = {v: i for i, v in enumerate((REPRODUCED, PARTLY, INCONCLUSIVE, NO_DIFFERENCE, NOT_REPRODUCED, REVERSED))}


def least_favourable(verdicts: Sequence[str]) -> str:
    """The least favourable of several comparison verdicts (a claim that needs all of them)."""
    return max(verdicts, key=lambda v: _ORDER[v])


def loc_verdict(against_kmeans: Sequence[Judgement], against_control: Sequence[Judgement]) -> str:
    """Table 2 within Oxford 17: LOC against K-means on the same images, per metric and trimap convention
    (:func:`gap_verdict`, direction only: the paper's gaps are on Oxford 102, context not threshold). The
    least favourable of those; a *reproduced* becomes *partly reproduced* when LOC does not also beat the
    untrained observer (same normalisation, no training) everywhere: then part of the gain is the prior's."""
    verdict = least_favourable([j.verdict for j in against_kmeans])
    if verdict == REPRODUCED and against_control and least_favourable([j.verdict for j in against_control]) != REPRODUCED:
        return PARTLY
    return verdict


def noise_words(a, b, *, digits: int = 1, unit: str = "points") -> str:
    """A difference of two rows in words, judged against seed noise only (no claim attached):
    ``"+3.2 points [−1.0, +7.4], inside noise"`` (the ``LEVEL`` Welch interval contains 0) or
    ``"…, beyond noise"``; one seed on either side: no interval, said so."""
    iv = gap_interval(a, b)
    if not iv.exists:
        return f"{iv.mean:+.{digits}f} {unit} (one seed on a side: no interval to judge it against)"
    where = "inside noise" if iv.low <= 0 <= iv.high else "beyond noise"
    return f"{iv.mean:+.{digits}f} {unit} [{iv.low:+.{digits}f}, {iv.high:+.{digits}f}], {where}"


def beyond_noise(a, b) -> bool:
    """True when the ``LEVEL`` interval of ``mean(a) − mean(b)`` lies above 0."""
    iv = gap_interval(a, b)
    return iv.exists and iv.low > 0


def claimed_gap(a_experiment: str, b_experiment: str) -> float | None:
    """The gap (points) the paper's Table 1 claims between two of its rows, ``a − b``; None when either
    row has no number in the paper."""

    a, b = paper_accuracy(a_experiment), paper_accuracy(b_experiment)
    return None if a is None or b is None else round(a - b, 2)


def same_k_sentence(acrbm, kmeans, k: int, where: str, method: str = "the shallow ACRBM") -> str:
    """One sentence: does ``method`` beat K-means with the same ``k`` clusters ``where``? Judged by
    :func:`gap_verdict` on the direction (metrics: record metrics or per-seed values, fractions)."""
    judged = gap_verdict(acrbm, kmeans, None)
    iv = judged.interval
    if not iv.exists:
        return f"With one seed per row, whether {method} beats K-means with {k} clusters {where} cannot be judged."
    numbers = f"{iv.signed_text()} points, {100 * LEVEL:.0f} % interval"
    if judged.verdict == REPRODUCED:
        return f"With the same {k} clusters, {method} beats K-means {where}: {numbers}."
    if judged.verdict == REVERSED:
        return f"With the same {k} clusters, {method} falls behind K-means {where}: {numbers}."
    return f"With the same {k} clusters, {method} does not beat K-means {where}: the difference, {numbers}, is inside noise."


def worked_example(a, b, claimed: float | None, *, a_name: str, b_name: str) -> list[str]:
    """The comparison rule step by step on two rows (record metrics or per-seed fractions), as Markdown
    list items: the means and spreads, the Welch standard error and degrees of freedom, the t quantile,
    the interval, where 0 and the claimed gap fall, the verdict."""
    xa, xb = _values(a, 100.0), _values(b, 100.0)
    judged = gap_verdict(a, b, claimed)
    iv = judged.interval
    steps = [f"{a_name}: {len(xa)} seeds, mean {xa.mean():.2f} %, standard deviation "
             f"{xa.std(ddof=1) if len(xa) > 1 else float('nan'):.2f}; {b_name}: {len(xb)} seeds, mean {xb.mean():.2f} %, "
             f"standard deviation {xb.std(ddof=1) if len(xb) > 1 else float('nan'):.2f}.",
             f"Gap = {xa.mean():.2f} − {xb.mean():.2f} = {iv.mean:+.2f} points."]
    if not iv.exists:
        return steps + ["One seed on a side: no interval, so the verdict is *inconclusive*."]
    steps += [f"Welch standard error √(s²ₐ/nₐ + s²ᵦ/nᵦ) = {iv.se:.2f} points, Welch–Satterthwaite degrees of freedom "
              f"{iv.df:.1f}, t quantile ({100 * LEVEL:.0f} %) {iv.t:.2f}.",
              f"Interval: {iv.mean:+.2f} ± {iv.t:.2f} × {iv.se:.2f} = [{iv.low:+.2f}, {iv.high:+.2f}].",
              ("The paper prints no gap: only the direction is judged." if claimed is None else
               f"The claimed gap is {claimed:+.2f}: the interval "
               + ("contains" if iv.low <= claimed <= iv.high else "excludes") + " it, and "
               + ("contains" if iv.low <= 0 <= iv.high else "excludes") + " 0."),
              f"Verdict: **{judged.verdict}** ({MEANINGS[judged.verdict]})."]
    return steps


def relation(a, b) -> str:
    """Where row ``a`` stands against row ``b`` when no claim is attached: ``"above [interval]"``,
    ``"below [...]"`` or ``"indistinguishable [...]"`` by the ``LEVEL`` Welch interval of the gap (points);
    one seed on a side: ``"not judged (one seed)"``."""
    judged = gap_verdict(a, b, None)
    if not judged.interval.exists:
        return "not judged (one seed)"
    word = {REPRODUCED: "above", REVERSED: "below"}.get(judged.verdict, "indistinguishable")
    return f"{word}: {judged.interval.signed_text()}"


def summary_interval(mean: float, std: float, n: int) -> Interval:
    """The ``LEVEL`` t interval of a mean given as (mean, sample std, seeds), in their units (for tables
    that hold summaries rather than per-seed values)."""
    n = int(n)
    if n < 2 or not np.isfinite(std):
        return Interval(float(mean), float("nan"), float("nan"), n, 0.0, float("nan"), float("nan"))
    se = float(std) / math.sqrt(n)
    t = t_quantile(n - 1)
    return Interval(float(mean), mean - t * se, mean + t * se, n, float(n - 1), t, se)


# --------------------------------------------------------------------------- directions of a read-out

#: Two single numbers (one run: no seeds to judge the change against) count as flat when they differ by
#: less than this share of the larger of the two.
FLAT_SHARE = 0.01
RISES, FALLS, FLAT = "rises", "falls", "flat"


def direction(before, after) -> str:
    """Which way a read-out moves from ``before`` to ``after`` (:data:`RISES`, :data:`FALLS` or :data:`FLAT`).

    Each side is a record's metric, per-seed values or one number. With two seeds or more on each side the
    ``LEVEL`` Welch interval of ``after − before`` (:func:`gap_interval`) decides: above 0 rises, below 0
    falls, containing 0 flat (the change is inside seed noise). With one value on a side there is no
    interval: the change is read as it stands, flat when it is below :data:`FLAT_SHARE` of the larger value.
    """
    a, b = np.atleast_1d(_values(before, 1.0)), np.atleast_1d(_values(after, 1.0))
    if len(a) == 0 or len(b) == 0:
        raise ValueError("a direction needs a value on each side")
    if len(a) >= 2 and len(b) >= 2:
        iv = gap_interval(after, before, scale=1.0)
        return RISES if iv.low > 0 else FALLS if iv.high < 0 else FLAT
    change = float(b.mean() - a.mean())
    if abs(change) <= FLAT_SHARE * max(abs(float(a.mean())), abs(float(b.mean()))):
        return FLAT
    return RISES if change > 0 else FALLS


def direction_basis(before, after) -> str:
    """How :func:`direction` judged a change, in words (for the sentence that quotes it)."""
    a, b = np.atleast_1d(_values(before, 1.0)), np.atleast_1d(_values(after, 1.0))
    if len(a) >= 2 and len(b) >= 2:
        return f"{100 * LEVEL:.0f} % interval over {min(len(a), len(b))} seeds"
    return f"one run, no interval: flat means within {100 * FLAT_SHARE:g} %"
