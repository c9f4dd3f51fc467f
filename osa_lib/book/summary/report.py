"""The reproduction report: one verdict per claim of the paper, computed from records.

The claims, the rules and their thresholds live in :mod:`osa_lib.book.judge.verdicts` (re-exported
here); this module reads the records and writes each claim's row. Every claim reads the
paper-profile record when there is one, else this build's run, and says so
(:func:`osa_lib.book.page.tables.preferred_record`). Each row is a dict with ``key, section, claim,
paper, ours, gap, budget, verdict, detail, evidence`` (the records it read) and ``page``/``anchor``
(the chapter section that holds its evidence; :func:`evidence_href`). Table 1's rows and the
comparisons are here; the studies' claims in :mod:`osa_lib.book.summary.report_studies`.
"""
from __future__ import annotations

from typing import Callable, Mapping

import numpy as np

from osa_lib.book.ae_chapter.ae_scoring import KMEANS_READING_LABELS
from osa_lib.book.page.display import metric_name, plural_word
from osa_lib.book.judge.paper import TABLE1_ROWS, paper_accuracy_text, paper_epochs, paper_results
from osa_lib.book.provenance.records import NOT_RUN, job_file_name, jobs_folder, preferred_record, read_job_files
from osa_lib.book.summary.report_studies import (eq15_reformulates_eq14, eq16_diagonal, larger_latent_better_reconstruction,
                                                 loc_claims, more_clusters_more_accuracy)
from osa_lib.book.page.tables import budget_text
from osa_lib.book.judge.verdicts import (LABELS_NONE, LABELS_TEST, NOT_AT_BUDGET, PARAMETER_RATIO, VERDICTS,
                                         budget_shortfall, claim_row, claimed_gap, evidence_path, gap_verdict,
                                         labels_used, mean_interval, parameters_verdict, row_verdict, seeds_text,
                                         table1_reading)
from osa_lib.book.ae_chapter.ae_study import HEADLINE_PAIRING, ae_pairings


def _pct(metric: Mapping) -> str:
    """A record metric in percent with its 95 % t interval (:func:`osa_lib.book.judge.verdicts.mean_interval`)."""
    return mean_interval(metric).text()


def _source(profile: str | None) -> str:
    return "paper-profile record" if profile == "paper" else f"this build's {profile} run (no paper-profile record)"


def job_progress(results_dir, dataset: str, experiment: str, profile: str = "paper") -> str | None:
    """``"seed 0: 379 of 500 epochs; seed 1: 12 of 500 epochs"`` from the resumable AE jobs' files, if any."""
    states = read_job_files(jobs_folder(results_dir, profile, dataset, experiment))
    if not states:
        return None
    return "; ".join(f"seed {s.get('seed')}: {s.get('epochs_done')} of {s.get('epochs')} epochs ({s.get('status')})"
                     for s in states)


def unfinished_text(record: Mapping, planned_seeds=(0, 1, 2, 3, 4)) -> str:
    """The seeds an aggregated AE record does not rest on, as words: "seeds 2 and 3 stopped at 250 and 136
    epochs, seed 4 not started" (``planned_seeds``: Table 1's AE rows use five)."""

    stopped = list(record.get("unfinished") or [])
    parts = []
    if stopped:
        seeds = [str(u["seed"]) for u in stopped]
        epochs = [str(u["epochs_done"]) for u in stopped]
        join = lambda xs: xs[0] if len(xs) == 1 else ", ".join(xs[:-1]) + " and " + xs[-1]
        parts.append(f"{plural_word(len(seeds), 'seed')} {join(seeds)} stopped at {join(epochs)} epochs")
    known = set(record.get("seeds") or []) | {u["seed"] for u in stopped}
    missing = [str(s) for s in planned_seeds if s not in known]
    if missing:
        parts.append(f"{plural_word(len(missing), 'seed')} {', '.join(missing)} not started")
    return ", ".join(parts)


# --------------------------------------------------------------------------- Table 1

def table1_claims(results_dir, build_profile: str = "ci") -> list[dict]:
    out = []
    for experiment, _, _ in TABLE1_ROWS:
        p = paper_results()["table1"]["rows"][experiment]
        paper_text, key = paper_accuracy_text(experiment), f"t1-{experiment}"
        rec, profile = preferred_record(results_dir, "mnist", experiment, build_profile)
        if rec is None:
            progress = job_progress(results_dir, "mnist", experiment)
            detail = "no record yet" + (f"; paper-profile jobs running: {progress}" if progress else "")
            out.append(claim_row(key, NOT_RUN, detail, paper=paper_text, ours=NOT_RUN, budget=NOT_RUN))
            continue
        name, m = table1_reading(rec, experiment)
        judged = row_verdict(m, float(p["accuracy"]))
        n = len(m["per_seed"])
        shortfall = budget_shortfall(rec, experiment)
        verdict = NOT_AT_BUDGET if shortfall else judged.verdict
        labels = labels_used(rec, name)
        detail = f"{judged.text()} ({_source(profile)}, {seeds_text(n)}, {metric_name(name)})"
        if experiment == "ae_kmeans":
            lf = rec["metrics"].get("accuracy_majority")
            reading = KMEANS_READING_LABELS.get(rec["params"].get("kmeans_reading"))
            detail += (f"; the paper keeps the best of its K-means starts by test accuracy (test labels choose it), "
                       f"so this row does too{f' (K-means on the {reading})' if reading else ''}; the label-free "
                       f"start (lowest inertia) scores {_pct(lf)} %" if name.endswith("best_of_inits") and lf else
                       "; this record has no best-of-starts accuracy (the paper's protocol): label-free start shown")
        if shortfall:
            detail += f"; trained {shortfall}: no verdict until a run at the paper's budget"
            progress = job_progress(results_dir, "mnist", experiment) if profile != "paper" else None
            if progress:
                detail += f" (paper-profile jobs: {progress})"
        if experiment.startswith("ae_") and profile == "paper" and unfinished_text(rec):
            detail += "; " + unfinished_text(rec)
        out.append(claim_row(key, verdict, detail, evidence=evidence_path(profile, "mnist", experiment),
                             paper=paper_text, ours=judged.interval.text() + ("" if profile == "paper" else f" ({profile})"),
                             gap=f"{judged.interval.mean - float(p['accuracy']):+.2f}",
                             budget=budget_text(rec, paper_epochs(experiment)), labels=labels))
    return out


# --------------------------------------------------------------------------- comparisons

def _two_records(results_dir, build_profile, a: str, b: str, dataset: str = "mnist"):
    ra, pa = preferred_record(results_dir, dataset, a, build_profile)
    rb, pb = preferred_record(results_dir, dataset, b, build_profile)
    return ra, pa, rb, pb


def _comparison(key: str, results_dir, build_profile, a: str, b: str, dataset: str, paper_text: str,
                claimed: float | None, what: str) -> dict:
    """A claimed "row ``a`` beats row ``b``" on ``dataset``: the Welch interval of the gap judged against
    ``claimed`` (:func:`osa_lib.book.judge.verdicts.gap_verdict`); both rows at the paper's budget."""
    ra, pa, rb, pb = _two_records(results_dir, build_profile, a, b, dataset)
    if ra is None or rb is None:
        return claim_row(key, NOT_RUN, "a record is missing", paper=paper_text, ours=NOT_RUN, budget=NOT_RUN)
    ma, mb = ra["metrics"]["accuracy_majority"], rb["metrics"]["accuracy_majority"]
    judged = gap_verdict(ma, mb, claimed)
    shortfall = budget_shortfall(ra, a) or budget_shortfall(rb, b)
    labels = f"{labels_used(ra, 'accuracy_majority')} / {labels_used(rb, 'accuracy_majority')}"
    return claim_row(key, NOT_AT_BUDGET if shortfall else judged.verdict,
                     judged.text(what + " (points)") + (f"; trained {shortfall}" if shortfall else ""),
                     evidence=f"{evidence_path(pa, dataset, a)}, {evidence_path(pb, dataset, b)}",
                     paper=paper_text, ours=f"{_pct(ma)} vs {_pct(mb)}", gap=judged.interval.signed_text(),
                     budget=f"{budget_text(ra, paper_epochs(a))}; {budget_text(rb, paper_epochs(b))}", labels=labels)


def shallow_beats_kmeans(results_dir, build_profile="ci", dataset: str = "mnist") -> dict:
    """Shallow ACRBM against K-means, 10 clusters, on ``dataset``, against the gap the paper claims (Table 1's
    two rows on MNIST, from ``paper_results.json``; on Fashion-MNIST the paper prints no number, so the direction
    alone is judged)."""
    key = "shallow-beats-kmeans" if dataset == "mnist" else f"shallow-beats-kmeans-{dataset.replace('_', '-')}"
    paper = paper_results()["table1"]["rows"]
    claimed = claimed_gap("shallow_acrbm_10", "kmeans") if dataset == "mnist" else None
    paper_text = (f"{paper['shallow_acrbm_10']['accuracy']} vs {paper['kmeans']['accuracy']}" if dataset == "mnist"
                  else "ACRBM above K-means (no number)")
    return _comparison(key, results_dir, build_profile, "shallow_acrbm_10", "kmeans", dataset, paper_text, claimed,
                       "ACRBM − K-means")


def shallow30_beats_kmeans30(results_dir, build_profile="ci") -> dict:
    """Like against like at 30 clusters: shallow ACRBM (30) against K-means (30) on the same images. The paper
    prints no K-means (30) row (its table sets the 30-cluster ACRBM beside K-means with 10 clusters), so the direction alone
    is judged."""
    paper = paper_results()["table1"]["rows"]
    return _comparison("shallow30-beats-kmeans30", results_dir, build_profile, "shallow_acrbm_30", "kmeans_30",
                       "mnist", f"{paper['shallow_acrbm_30']['accuracy']} (no K-means (30) row)", None,
                       "ACRBM (30) − K-means (30)")


def shallow_beats_kmeans_fashion(results_dir, build_profile="ci") -> dict:
    """The paper's multi-domain claim on the second domain: :func:`shallow_beats_kmeans` on Fashion-MNIST."""
    return shallow_beats_kmeans(results_dir, build_profile, dataset="fashion_mnist")


def ae_acrbm_beats_ae_kmeans_fashion(results_dir, build_profile="ci") -> dict:
    """The headline on the second domain: AE + ACRBM (10) against AE + K-means (its label-free start) on
    Fashion-MNIST, both as printed. The paper prints no Fashion-MNIST number, so the direction alone is judged;
    a row trained below Table 3's 500 epochs reads "not at the paper's budget"."""
    return _comparison("ae-beats-kmeans-fashion-mnist", results_dir, build_profile, "ae_acrbm_10", "ae_kmeans",
                       "fashion_mnist", "AE + ACRBM above AE + K-means (no number)", None,
                       "AE + ACRBM − AE + K-means")


def ae_acrbm_beats_ae_kmeans(results_dir, build_profile="ci") -> dict:
    """The paper's headline: AE + ACRBM outperforms AE + K-means, 10 clusters, by the gap its Table 1 claims.

    Judged per pairing (:func:`osa_lib.book.ae_chapter.ae_study.ae_pairings`: printed against printed, strongest against
    strongest, against the strongest K-means variant, against the paper's K-means protocol); the verdict is the
    one of :data:`osa_lib.book.ae_chapter.ae_study.HEADLINE_PAIRING`, the others are shown in its detail.
    """

    paper = paper_results()["table1"]["rows"]
    paper_text = f"{paper['ae_acrbm_10']['accuracy']} vs {paper['ae_kmeans']['accuracy']}"
    pairings = ae_pairings(results_dir)
    head = next(p for p in pairings if p["pairing"] == HEADLINE_PAIRING)
    if head["judgement"] is None:
        printed = next(p for p in pairings if p["pairing"] == "printed against printed")
        head = printed if printed["judgement"] is not None else head
    if head["judgement"] is None:
        progress = [f"{e}: {job_progress(results_dir, 'mnist', e)}" for e in ("ae_acrbm_10", "ae_kmeans")
                    if job_progress(results_dir, "mnist", e)]
        return claim_row("ae-beats-kmeans", NOT_RUN,
                         "a record is missing" + (f"; paper-profile jobs running: {'; '.join(progress)}"
                                                  if progress else ""),
                         paper=paper_text, ours=NOT_RUN, budget=NOT_RUN)
    parts = [f"the verdict rests on the pairing “{head['pairing']}” (AE + ACRBM {head['acrbm']}, AE + K-means "
             f"{head['kmeans']}): " + ("best against best, each side's reading chosen by training labels, both at "
                                      "Table 3's budget" if head["pairing"] == HEADLINE_PAIRING else
                                      f"the pairing “{HEADLINE_PAIRING}” has no records yet")]
    for p in pairings:
        if p["judgement"] is None:
            parts.append(f"{p['pairing']}: not run yet")
            continue
        parts.append(f"{p['pairing']} (AE + ACRBM {p['acrbm']}; AE + K-means {p['kmeans']}; labels: {p['labels']}): "
                     f"{p['verdict']}, {p['judgement'].text('gap (points)')}"
                     + (f"; {p['note']}" if p["note"] else ""))
    a, k = head["acrbm_record"], head["kmeans_record"]
    ma, mk = a["metrics"]["accuracy_majority"], k["metrics"][head["metric"]]
    return claim_row("ae-beats-kmeans", head["verdict"], "; ".join(parts),
                     evidence=f"{evidence_path('paper', 'mnist', a['experiment'])}, "
                              f"{evidence_path('paper', 'mnist', k['experiment'])}",
                     paper=paper_text, ours=f"{_pct(ma)} vs {_pct(mk)}", gap=head["judgement"].interval.signed_text(),
                     budget=f"{budget_text(a, paper_epochs('ae_acrbm_10'))}; {budget_text(k, paper_epochs('ae_kmeans'))}",
                     labels=head["labels"])


def _n_parameters(results_dir, build_profile, experiment) -> tuple[int | None, str]:
    rec, profile = preferred_record(results_dir, "mnist", experiment, build_profile)
    if rec is not None and rec.get("n_parameters"):
        return int(rec["n_parameters"]), evidence_path(profile, "mnist", experiment)
    for job in read_job_files(jobs_folder(results_dir, "paper", "mnist", experiment)):
        if job.get("n_parameters"):
            return int(job["n_parameters"]), job_file_name("paper", "mnist", experiment, job["seed"])
    return None, "—"


def fewer_parameters(results_dir, build_profile="ci") -> dict:
    paper = paper_results()["table1"]["rows"]
    paper_text = f"{paper['shallow_acrbm_10']['n_parameters']} vs {paper['ae_kmeans']['n_parameters']}"
    shallow, ea = _n_parameters(results_dir, build_profile, "shallow_acrbm_10")
    ae, eb = _n_parameters(results_dir, build_profile, "ae_kmeans")
    ae_acrbm, ec = _n_parameters(results_dir, build_profile, "ae_acrbm_10")
    if shallow is None or ae is None:
        return claim_row("fewer-parameters", NOT_RUN, "needs the shallow and AE parameter counts",
                         paper=paper_text, ours=NOT_RUN)
    ratio = ae / shallow
    detail = f"shallow ACRBM (10) {shallow:,} vs AE + K-means {ae:,} parameters (×{ratio:.1f})"
    if ae_acrbm is not None:
        detail += f"; but AE + ACRBM (10) has {ae_acrbm:,}, about as many as AE + K-means"
    detail += (f"; rule: reproduced when the ACRBM models need at least {PARAMETER_RATIO:g}× fewer parameters than "
               f"the AE ones, partly when only the shallow one does")
    return claim_row("fewer-parameters", parameters_verdict(shallow, ae, ae_acrbm), detail,
                     evidence=", ".join(e for e in (ea, eb, ec) if e != "—"), paper=paper_text,
                     ours=f"{shallow:,} vs {ae:,}", gap=f"×{ratio:.1f}", budget="counts (no training needed)")


#: Every claim checker after Table 1's rows, in the order of the report (the claims themselves:
#: :data:`osa_lib.book.judge.verdicts.CLAIMS`).
CHECKERS: tuple[Callable, ...] = (shallow_beats_kmeans, shallow30_beats_kmeans30, shallow_beats_kmeans_fashion,
                                  ae_acrbm_beats_ae_kmeans, ae_acrbm_beats_ae_kmeans_fashion,
                                fewer_parameters,
                                more_clusters_more_accuracy, larger_latent_better_reconstruction,
                                eq15_reformulates_eq14, eq16_diagonal)


def reproduction_report(results_dir, build_profile: str = "ci"):
    """All verdicts as a DataFrame (one row per claim; columns as in the module docstring)."""
    import pandas as pd

    rows = table1_claims(results_dir, build_profile)
    rows += [check(results_dir, build_profile) for check in CHECKERS]
    rows += loc_claims(results_dir, build_profile)
    unknown = {r["verdict"] for r in rows} - set(VERDICTS)
    if unknown:
        raise AssertionError(f"verdicts outside the report's categories: {unknown}")
    return pd.DataFrame(rows)


def verdict_counts(report) -> dict[str, int]:
    """How many claims got each verdict, in the order of :data:`VERDICTS` (zeros included)."""
    counts = report["verdict"].value_counts()
    return {v: int(counts.get(v, 0)) for v in VERDICTS}


#: The paper's central claims (the ACRBM accuracies and the comparisons they rest on); the rest support them.
CENTRAL_CLAIMS = ("t1-shallow_acrbm_10", "t1-shallow_acrbm_30", "t1-ae_acrbm_10", "t1-ae_acrbm_30",
                  "ae-beats-kmeans", "shallow-beats-kmeans")


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def answer_in_words(report) -> str:
    """Two or three sentences for the landing page: what the paper's central claims are and whether they hold,
    from the report's rows (numbers from the records and the paper's file; Markdown, no bold)."""
    rows = report.set_index("key")
    acrbm_rows = [k for k in CENTRAL_CLAIMS if k.startswith("t1-")]
    paper = paper_results()["table1"]["rows"]
    claims = ", ".join(f"{paper[k[3:]]['accuracy']} %" for k in acrbm_rows)
    by_verdict: dict[str, list[str]] = {}
    for key in acrbm_rows:
        if key in rows.index:
            name = rows.loc[key, "claim"].replace("Table 1: ", "")
            by_verdict.setdefault(rows.loc[key, "verdict"], []).append(name)
    tally = "; ".join(f"{_join(names)}: {verdict}" for verdict, names in by_verdict.items())
    text = (f"The paper's central claims are its ACRBM accuracies on MNIST (Table 1: shallow ACRBM with 10 and 30 "
            f"clusters, AE + ACRBM with 10 and 30: {claims}) and that an ACRBM head beats K-means on the same "
            f"autoencoder ({paper['ae_acrbm_10']['accuracy']} against {paper['ae_kmeans']['accuracy']} %). "
            f"Retrained at the paper's budget, the four accuracy rows read: {tally}.")
    if "ae-beats-kmeans" in rows.index:
        head = rows.loc["ae-beats-kmeans"]
        text += (f" The headline comparison reads {head['verdict']}: under the strongest reading of each side the gap "
                 f"is {head['gap']} points against the claimed +{claimed_gap('ae_acrbm_10', 'ae_kmeans'):.2f}")
        if "shallow-beats-kmeans" in rows.index:
            shallow = rows.loc["shallow-beats-kmeans"]
            text += (f", and the shallow ACRBM against K-means with the same 10 clusters reads {shallow['verdict']} "
                     f"({shallow['gap']} points)")
        text += "."
    return text
