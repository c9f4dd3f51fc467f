"""Every verdict of the book in one place: the claims, the rules that decide them, their thresholds.

The report (:mod:`osa_lib.book.report`), the landing page (:mod:`osa_lib.book.overview`), the
summary and the chapters ask this module; nothing else decides whether a claim holds.

Verdicts (:data:`VERDICTS`):

* ``"reproduced"``, ``"partly reproduced"``, ``"not reproduced"``: the claim was tested at the
  paper's budget and the numbers say so, by the claim's stated rule;
* ``"refuted"``: the paper's own derivation fails (eq 15), and the numbers show it;
* ``"not tested at the paper's budget"``: our run trained for fewer epochs (Table 3, Table 4) or on
  fewer training images than the paper (:func:`budget_shortfall`); its numbers are shown, never
  turned into a verdict;
* ``"not run yet"``: no record.

**Table 1 rule** (:func:`table1_verdict`): with ``SE = std / sqrt(n)`` over our seeds,
*reproduced* when ``mean − Z·SE ≥ paper − TOLERANCE_POINTS`` and at least two seeds ran;
*partly reproduced* when ``mean ≥ paper − PARTLY_POINTS``; else *not reproduced*. More spread
over seeds (or fewer seeds) only lowers ``mean − Z·SE``: noise never makes a verdict more favourable.

**Comparisons** (:func:`comparison_verdict`): *reproduced* when the claimed gap is positive by more
than ``Z`` standard errors of the difference of the two means, *partly* when it is positive but
within that, *not reproduced* when it is not positive.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np

from osa_lib.book.paper import paper_budget
from osa_lib.book.records import NOT_RUN
from osa_lib.book.tables import TABLE1_ROWS, record_epochs, table1_metric

REPRODUCED = "reproduced"
PARTLY = "partly reproduced"
NOT_REPRODUCED = "not reproduced"
REFUTED = "refuted"
NOT_AT_BUDGET = "not tested at the paper's budget"
#: Every verdict, from the most to the least favourable to the paper (``NOT_RUN`` is "not run yet").
VERDICTS = (REPRODUCED, PARTLY, NOT_REPRODUCED, REFUTED, NOT_AT_BUDGET, NOT_RUN)
#: Background and text colour of each verdict in the book's tables and figures.
COLOURS = {
    REPRODUCED: ("#dafbe1", "#1a7f37"),
    PARTLY: ("#fff8c5", "#9a6700"),
    NOT_REPRODUCED: ("#ffebe9", "#cf222e"),
    REFUTED: ("#fbefff", "#8250df"),
    NOT_AT_BUDGET: ("#ddf4ff", "#0969da"),
    NOT_RUN: ("#f6f8fa", "#57606a"),
}

# --------------------------------------------------------------------------- thresholds

#: Standard errors a difference must exceed to count as more than seed noise (about 95 %).
Z = 2.0
#: Table 1: points below the paper that the pessimistic end of our mean may be and still reproduce it.
TOLERANCE_POINTS = 2.0
#: Table 1: points below the paper that our mean may be and still partly reproduce it.
PARTLY_POINTS = 5.0
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
            records=(f"mnist/{e}",), metric="tables.table1_metric (majority accuracy; AE + K-means: best start)")
      for e, method, k in TABLE1_ROWS),
    Claim("shallow-beats-kmeans", "comparisons", "Shallow ACRBM beats K-means (10 clusters)",
          "notebooks/shallow_acrbm", "shallow-table1", ("mnist/shallow_acrbm_10", "mnist/kmeans"), "accuracy_majority"),
    Claim("shallow-beats-kmeans-fashion-mnist", "comparisons",
          "Shallow ACRBM beats K-means on a second domain (Fashion-MNIST, 10 clusters)",
          "notebooks/shallow_acrbm_fashion_mnist", "shallow-table1-shallow-acrbm-fashion-mnist",
          ("fashion_mnist/shallow_acrbm_10", "fashion_mnist/kmeans"), "accuracy_majority"),
    Claim("ae-beats-kmeans", "comparisons", "AE + ACRBM beats AE + K-means (10 clusters)",
          "notebooks/ae_acrbm", "ae-table1", ("mnist/ae_acrbm_10", "mnist/ae_kmeans"),
          "accuracy_majority (AE + K-means: its label-free start)"),
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
              gap: str = "—", budget: str = "—") -> dict:
    """One row of the report: ``key, section, claim, paper, ours, gap, budget, verdict, detail,
    evidence, page, anchor`` (the wording, section and page come from :data:`CLAIMS`)."""
    c = CLAIMS[key]
    return {"key": key, "section": c.section, "claim": c.wording, "paper": paper, "ours": ours, "gap": gap,
            "budget": budget, "verdict": verdict, "detail": detail, "evidence": evidence, "page": c.page,
            "anchor": c.anchor}


def evidence_path(profile, dataset, experiment) -> str:
    """The repository path of the record a claim reads."""
    return f"results/{profile}/{dataset}/{experiment}.json"


def evidence_href(row: Mapping, from_page: str = "book/report") -> str:
    """Relative HTML link from ``from_page`` to the chapter section of ``row`` (a claim)."""
    depth = from_page.count("/")
    href = "../" * depth + f"{row['page']}.html"
    return href + (f"#{row['anchor']}" if row.get("anchor") else "")


# --------------------------------------------------------------------------- rules

def standard_error(std: float, n_seeds: int) -> float:
    """Standard error of a mean over ``n_seeds`` seeds (``nan`` for fewer than two)."""
    return std / math.sqrt(n_seeds) if n_seeds >= 2 else float("nan")


def se_pct(metric: Mapping) -> float:
    """Standard error, in percent points, of a record's metric (``{"mean", "std", "per_seed"}``)."""
    return standard_error(100 * metric["std"], len(metric["per_seed"]))


def table1_verdict(ours_pct: float, ours_std_pct: float, n_seeds: int, paper_pct: float) -> str:
    """The Table 1 rule (module docstring): *reproduced* when ``mean − 2·SE ≥ paper − 2`` with at
    least two seeds, *partly* when ``mean ≥ paper − 5``, else *not reproduced* (percent points)."""
    se = standard_error(ours_std_pct, n_seeds)
    if n_seeds >= 2 and ours_pct - Z * se >= paper_pct - TOLERANCE_POINTS:
        return REPRODUCED
    if ours_pct >= paper_pct - PARTLY_POINTS:
        return PARTLY
    return NOT_REPRODUCED


def comparison_verdict(gap_pct: float, se_diff_pct: float) -> str:
    """A claimed "A beats B": *reproduced* when the gap A − B exceeds 2 standard errors of the
    difference (``nan`` SE, i.e. a single seed, never does), *partly* when it is merely positive,
    else *not reproduced*."""
    if gap_pct > 0 and np.isfinite(se_diff_pct) and gap_pct > Z * se_diff_pct:
        return REPRODUCED
    return PARTLY if gap_pct > 0 else NOT_REPRODUCED


def compare(a: Mapping, b: Mapping) -> tuple[float, float, str]:
    """``(gap, se, verdict)`` of the claim "metric ``a`` beats metric ``b``" (points; :func:`comparison_verdict`)."""
    gap = 100 * (a["mean"] - b["mean"])
    se = math.hypot(se_pct(a), se_pct(b))
    return gap, se, comparison_verdict(gap, se)


def clearly_above(a: Mapping, b: Mapping) -> bool:
    """Metric ``a`` beats ``b`` by more than ``Z`` standard errors of the difference."""
    return compare(a, b)[2] == REPRODUCED


def ae_headline(acrbm: Mapping, kmeans: Mapping) -> tuple[float, float, str]:
    """The paper's headline "AE + ACRBM beats AE + K-means" (10 clusters) on two records.

    Like with like: AE + ACRBM selects nothing by labels, so it is set against AE + K-means with its
    label-free start (lowest inertia, ``accuracy_majority``). Returns :func:`compare`'s triple.
    """
    return compare(acrbm["metrics"]["accuracy_majority"], kmeans["metrics"]["accuracy_majority"])


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


def table1_reading(record: Mapping, experiment: str) -> tuple[str, Mapping]:
    """The metric Table 1's verdict reads (:func:`osa_lib.book.tables.table1_metric`) and its values."""
    name = table1_metric(record, experiment)
    return name, record["metrics"][name]


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


def loc_verdict(beats_kmeans: bool, reaches_paper: bool, beats_control: bool | None) -> str:
    """Table 2: *reproduced* when LOC clearly beats K-means under both trimap conventions, reaches
    the paper's LOC numbers and (when the control ran, ``beats_control`` not None) clearly beats the
    untrained observer; *partly* when it beats K-means or reaches the paper's numbers."""
    if beats_kmeans and reaches_paper and beats_control is not False:
        return REPRODUCED
    return PARTLY if beats_kmeans or reaches_paper else NOT_REPRODUCED
