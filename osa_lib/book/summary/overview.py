"""The book's answer at a glance: the verdict table and the paper-against-ours figure.

Both are computed from records by :mod:`osa_lib.book.summary.report` and :mod:`osa_lib.book.page.tables`, with
the verdicts' colours and rules of :mod:`osa_lib.book.judge.verdicts`; the landing page and the report
page show them.
"""
from __future__ import annotations

import html
from typing import Mapping, Sequence

import numpy as np

from osa_lib.book.judge.paper import paper_results
from osa_lib.book.judge.paper import TABLE1_ROWS
from osa_lib.book.provenance.records import preferred_record
from osa_lib.book.page.tables import METRICS
from osa_lib.book.judge.verdicts import (COLOURS, NOT_RUN, VERDICTS, budget_shortfall, evidence_href, mean_interval,
                                         table1_metric, verdict_badge)
from osa_lib.book.page.style import MAX_WIDTH, use_book_style
from osa_lib.book.summary.report import reproduction_report
from osa_lib.book.page.exhibit_sources import records_source_line, source_line

#: Columns of the verdict table, as headers: under each claim (a row of its own, across the table), its
#: numbers, then a line of what they rest on (:func:`budget_words`, the labels that chose them).
VERDICT_COLUMNS = ("paper", "ours [95 % interval]", "gap, points", "verdict")


def budget_words(budget: str) -> str:
    """A report row's budget (``"3 of 5 · 500 · 60k; 2 of 5 · — · 60k"``: seeds · epochs · training
    images, one per side) in words: ``"3 of 5 seeds × 500 epochs, 60k training images; 2 of 5 seeds,
    60k training images"``; other text unchanged."""
    out = []
    for part in str(budget).split("; "):
        fields = part.split(" · ")
        if len(fields) != 3:
            out.append(part)
            continue
        seeds, epochs, images = fields
        text = f"{seeds} seed{'' if seeds == '1' else 's'}"
        text += f" × {epochs} epochs" if epochs != "—" else ""
        out.append(text + (f", {images} training images" if images != "—" else ""))
    return "; ".join(out)


def verdict_table_html(report, *, from_page: str = "book/intro", keys: Sequence[str] | None = None,
                       compact: bool = False) -> str:
    """The verdict table as HTML, one view for the report and the landing page, one ``tbody`` per claim so
    that it fits the column with no cell past two lines.

    Full (the report), three rows per claim: the claim, linked to its evidence, across the table; its
    numbers (:data:`VERDICT_COLUMNS`: paper | ours | gap | verdict); and what they rest on, across the table
    (seeds, epochs and training images in words, :func:`budget_words`, and the labels that chose them).
    ``compact=True`` (the landing page), two rows per claim: the claim (the full detail in the link's
    tooltip); paper | ours | verdict. The gap and what each number rests on stay on the report page.
    ``report`` is :func:`osa_lib.book.summary.report.reproduction_report`'s DataFrame; ``from_page`` the page
    that shows it (links are relative); ``keys`` keeps only those claims.
    """
    columns = ("paper", "ours [95 % interval]", "verdict") if compact else VERDICT_COLUMNS
    n = len(columns)
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = []
    for row in report.to_dict("records"):
        if keys is not None and row["key"] not in keys:
            continue
        title = f' title="{html.escape(str(row.get("detail") or ""))}"' if compact else ""
        link = f'<a href="{html.escape(evidence_href(row, from_page))}"{title}>{html.escape(str(row["claim"]))}</a>'
        shown = ("paper", "ours") if compact else ("paper", "ours", "gap")
        numbers = [html.escape(str(row[c])) for c in shown] + [verdict_badge(row["verdict"])]
        basis = "" if compact else (
            f'<tr class="osa-basis"><td colspan="{n}">Trained: {html.escape(budget_words(row["budget"]))}. '
            f'Labels that chose it: {html.escape(str(row["labels"]))}.</td></tr>')
        body.append(f'<tbody class="osa-claim-group"><tr class="osa-claim-row"><th colspan="{n}">{link}</th></tr>'
                    f'<tr>{"".join(f"<td>{c}</td>" for c in numbers)}</tr>{basis}</tbody>')
    classes = "osa-verdict-table osa-compact table" if compact else "osa-verdict-table table"
    return f'<table class="{classes}"><thead><tr>{head}</tr></thead>{"".join(body)}</table>'


def _points(results_dir, build_profile: str, verdicts: Mapping[str, str]) -> list[dict]:
    """Every Table 1 and Table 2 number: label, paper (value, std), ours (mean, std, n), verdict."""
    points = []
    paper1 = paper_results()["table1"]["rows"]
    for experiment, method, k in TABLE1_ROWS:
        p = paper1[experiment]
        rec, profile = preferred_record(results_dir, "mnist", experiment, build_profile)
        metric = None if rec is None else rec["metrics"].get(table1_metric(rec, experiment))
        short = None if rec is None else budget_shortfall(rec, experiment)
        points.append({"panel": "Table 1: MNIST accuracy, %", "label": f"{method} ({k})",
                       "paper": float(p["accuracy"]), "paper_std": float(p.get("accuracy_std", 0) or 0),
                       "ours": metric, "profile": profile, "shortfall": short,
                       "verdict": verdicts.get(f"t1-{experiment}", NOT_RUN)})
    paper2 = paper_results()["table2"]["rows"]
    for experiment in ("kmeans_segmentation", "loc"):
        rec, profile = preferred_record(results_dir, "flowers17", experiment, build_profile)
        for metric, label in METRICS:
            points.append({"panel": "Table 2, % (ours on Oxford 17)",
                           "label": f"{paper2[experiment]['method']}: {label}",
                           "paper": float(paper2[experiment][metric]), "paper_std": 0.0,
                           "ours": None if rec is None else rec["metrics"].get(metric), "profile": profile,
                           "shortfall": None if rec is None else budget_shortfall(rec, experiment),
                           "verdict": verdicts.get("loc-table2", NOT_RUN) if experiment == "loc" else None})
    return points


def paper_vs_ours_figure(results_dir, build_profile: str = "ci", report=None):
    """Dot-and-whisker figure of every Table 1 and Table 2 number: the paper's (black diamond, with its
    ± where printed) against ours (dot, mean with its 95 % t interval over seeds, coloured by the row's verdict, grey for
    a baseline without a verdict of its own; hollow when trained below the paper's budget, e.g. this
    build's ci run). Returns the Figure."""
    import matplotlib.pyplot as plt


    use_book_style()
    if report is None:
        report = reproduction_report(results_dir, build_profile)
    verdicts = dict(zip(report["key"], report["verdict"]))
    points = _points(results_dir, build_profile, verdicts)
    panels = list(dict.fromkeys(p["panel"] for p in points))
    heights = [sum(p["panel"] == panel for p in points) for panel in panels]
    fig, axes = plt.subplots(1, len(panels), figsize=(MAX_WIDTH, 0.4 * max(heights) + 1.6), layout="constrained")
    for ax, panel in zip(np.atleast_1d(axes), panels):
        rows = [p for p in points if p["panel"] == panel]
        y = np.arange(len(rows))[::-1]
        for yi, p in zip(y, rows):
            ax.errorbar(p["paper"], yi + 0.15, xerr=p["paper_std"] or None, fmt="D", color="black", ms=5,
                        capsize=3, zorder=3)
            m = p["ours"]
            if m is None:
                ax.text(0.02, yi - 0.15, "not run yet", transform=ax.get_yaxis_transform(), va="center",
                        fontsize=9, color=COLOURS[NOT_RUN][1])
                continue
            colour = COLOURS[p["verdict"]][1] if p["verdict"] else "0.35"   # grey: a baseline, no verdict
            hollow = p["shortfall"] is not None
            iv = mean_interval(m)
            ax.errorbar(iv.mean, yi - 0.15, xerr=[[iv.mean - iv.low], [iv.high - iv.mean]] if iv.exists else None,
                        fmt="o", ms=6, capsize=3, color=colour, mfc="white" if hollow else colour, zorder=3)
        ax.set_yticks(y)
        ax.set_yticklabels([p["label"] + (" *" if p["shortfall"] else "") for p in rows])
        ax.set_xlim(0, 100)
        ax.set_xlabel(panel)
        ax.set_ylim(-0.7, len(rows) - 0.3)
        ax.grid(axis="y", visible=False)
    handles = [plt.Line2D([], [], marker="D", color="black", ls="", label="paper"),
               plt.Line2D([], [], marker="o", color="0.3", ls="", label="ours, mean and 95 % t interval over seeds"),
               plt.Line2D([], [], marker="o", color="0.3", mfc="white", ls="",
                          label="* ours, below the paper's budget")]
    fig.legend(handles=handles, loc="outside lower center", ncol=3, frameon=False)
    return fig


def verdict_legend_html() -> str:
    """The verdicts as coloured labels, in order."""
    return " ".join(verdict_badge(v) for v in VERDICTS)


# --------------------------------------------------------------------------- source lines (issue 24, item 5)

def _evidence_triples(report, keys: Sequence[str] | None = None) -> list[tuple[str, str, str]]:
    """``(profile, dataset, experiment)`` of every record the claims of ``keys`` (all claims: None) read, from
    their ``evidence`` column (``results/<profile>/<dataset>/<experiment>.json, ...``), in order, once each."""
    rows = report if keys is None else report[report["key"].isin(list(keys))]
    triples = []
    for evidence in rows["evidence"]:
        for path in str(evidence).split(","):
            parts = path.strip().removeprefix("results/").removesuffix(".json").split("/")
            if len(parts) == 3 and (triple := tuple(parts)) not in triples:
                triples.append(triple)
    return triples


def verdict_source_line(results_dir, report, keys: Sequence[str] | None = None) -> str:
    """The source line under :func:`verdict_table_html`: the records its claims (``keys``; all: None) read."""

    triples = _evidence_triples(report, keys)
    if not triples:
        return '<p class="osa-source">Source: no record yet</p>'
    return source_line(results_dir, triples, note="the paper's numbers: osa_lib/book/judge/paper_results.json")


def paper_vs_ours_source(results_dir, build_profile: str = "ci") -> str:
    """The source line under :func:`paper_vs_ours_figure`: the record behind each of its dots."""
    recs = [preferred_record(results_dir, "mnist", e, build_profile)[0] for e, _, _ in TABLE1_ROWS]
    recs += [preferred_record(results_dir, "flowers17", e, build_profile)[0] for e in ("kmeans_segmentation", "loc")]
    return records_source_line(recs, note="the paper's numbers: osa_lib/book/judge/paper_results.json")
