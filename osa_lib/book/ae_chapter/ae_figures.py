"""Figures of the AE chapter: monitored test accuracy against epochs, the recipe search's curves, and the
readings study's (accuracy per reading, why the printed protocol fails, cluster portraits)."""
from __future__ import annotations

import textwrap
from typing import Mapping

import numpy as np
import pandas as pd
from osa_lib.book.ae_chapter.ae_recipes import recipe_label
from osa_lib.book.judge.verdicts import summary_interval
from osa_lib.book.page.style import MAX_WIDTH, missing_figure

#: Table 1's AE rows and their labels.
ROW_LABELS = {"ae_kmeans": "AE + K-means", "ae_acrbm_10": "AE + ACRBM (10)", "ae_acrbm_30": "AE + ACRBM (30)"}


def plot_accuracy_vs_epoch(curves: Mapping[str, object], paper: Mapping[str, float | None], *, title_suffix=""):
    """One panel per row: mean ± std over seeds of the monitored test accuracy, the paper's number as a line.

    ``curves``: row -> :func:`accuracy_curves` DataFrame; ``paper``: row -> percent (or None).
    """
    import matplotlib.pyplot as plt


    # The whole figure fits the text column (MAX_WIDTH), so its 9-10 pt text reads at that size on the page.
    fig, axes = plt.subplots(1, len(curves), figsize=(MAX_WIDTH, 3.2), sharey=True, squeeze=False)
    for ax, (row, df) in zip(axes[0], curves.items()):
        if df.empty:
            ax.text(0.5, 0.5, "not run yet", ha="center", va="center", transform=ax.transAxes)
        else:
            mean, std, n = df.mean(axis=1), df.std(axis=1).fillna(0.0), df.notna().sum(axis=1)
            ax.plot(df.index, mean, color="C0", lw=1.8, label="ours, mean over seeds")
            ax.fill_between(df.index, mean - std, mean + std, color="C0", alpha=0.25, lw=0, label="± 1 std")
            ax.text(0.98, 0.03, f"seeds per point: {n.min()}–{n.max()}", ha="right", va="bottom",
                    transform=ax.transAxes, fontsize=9)
        if paper.get(row) is not None:
            ax.axhline(paper[row], color="C3", ls="--", lw=1.2, label="paper (Table 1)")
        ax.set(title=ROW_LABELS.get(row, row) + title_suffix, xlabel="epoch")
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("test accuracy % (majority)")
    axes[0][0].legend(fontsize=9, loc="lower left")
    fig.tight_layout()
    return fig


def plot_recipe_curves(record: dict, n_clusters: int = 10):
    """Validation accuracy (majority) against epochs for every recipe of ``n_clusters`` (mean over seeds)."""
    import matplotlib.pyplot as plt


    prefix = f"{n_clusters}/"
    n_lines = sum(k.startswith(prefix) for k in record["curves"])
    fig, ax = plt.subplots(figsize=(MAX_WIDTH, 3.2 + 0.2 * n_lines), layout="constrained")
    for i, (name, runs) in enumerate(sorted((k[len(prefix):], v) for k, v in record["curves"].items()
                                            if k.startswith(prefix))):
        n = max(len(r) for r in runs)
        arr = np.full((len(runs), n), np.nan)
        for j, r in enumerate(runs):
            arr[j, :len(r)] = [np.nan if v is None else v for v in r]
        ax.plot(np.arange(1, n + 1), 100 * np.nanmean(arr, 0), marker="o", ms=3,
                color=f"C{i % 10}", ls="-" if i < 10 else "--", label=recipe_label(name))
    ax.axvline(record["params"]["warmup_epochs"] + 0.5, color="grey", lw=0.8, ls=":")
    ax.set(xlabel="epoch (dotted: end of the shared warm-up)", ylabel="validation accuracy % (majority)",
           title=f"{n_clusters} clusters")
    fig.legend(loc="outside lower center", ncol=1, fontsize=9, frameon=False)
    return fig


def plot_readings(table: pd.DataFrame, *, kmeans_pct: float | None, paper_pct: float | None):
    """Test accuracy of every reading (mean and 95 % t interval over seeds), with AE + K-means (ours,
    label-free) and the paper as vertical lines; long reading names wrap."""

    import matplotlib.pyplot as plt


    shown = table.sort_values("test_accuracy_mean", na_position="first")
    fig, ax = plt.subplots(figsize=(MAX_WIDTH, 0.34 * len(shown) + 1.8), layout="constrained")
    y = np.arange(len(shown))
    half = [summary_interval(m, s, n).half_width if n > 1 else 0.0
            for m, s, n in zip(shown["test_accuracy_mean"], shown["test_accuracy_std"], shown["seeds_done"])]
    ax.barh(y, shown["test_accuracy_mean"].fillna(0), xerr=np.nan_to_num(half), color="#4c72b0", alpha=0.85,
            capsize=3)
    ax.set_yticks(y, [textwrap.fill(f"{lab} ({n} seeds)" if n else f"{lab} (not run yet)", 38)
                      for lab, n in zip(shown["label"], shown["seeds_done"])], fontsize=9)
    if kmeans_pct is not None:
        ax.axvline(kmeans_pct, color="#dd8452", lw=2, label=f"AE + K-means, ours, label-free ({kmeans_pct:.1f} %)")
    if paper_pct is not None:
        ax.axvline(paper_pct, color="k", ls="--", lw=1.5, label=f"AE + ACRBM (10), paper ({paper_pct:.2f} %)")
    ax.set_xlabel("test accuracy (%, majority mapping), 95 % t interval")
    ax.set_xlim(0, 100)
    fig.legend(loc="outside lower center", ncol=1, fontsize=9, frameon=False)
    return fig


def plot_why(curves: dict[str, pd.DataFrame]):
    """Three panels per reading family: both loss terms, the encoder's gradient ratio, the largest cluster's share.

    ``curves``: label -> :func:`curve_frame` of that reading's jobs (mean over seeds per epoch).
    """
    import matplotlib.pyplot as plt


    fig, axes = plt.subplots(1, 3, figsize=(MAX_WIDTH, 3.4), layout="constrained")
    for (label, df), colour in zip(curves.items(), ("#c44e52", "#4c72b0", "#55a868", "#8172b2")):
        if df.empty:
            continue
        m = df.groupby("epoch").mean(numeric_only=True)
        axes[0].plot(m.index, m["acrbm"], color=colour)
        axes[0].plot(m.index, m["reconstruction"], color=colour, ls=":")
        ratio = m["grad_acrbm"] / m["grad_reconstruction"]
        axes[1].plot(m.index, ratio, color=colour, marker="o", ms=3, label=label)
        axes[2].plot(m.index, 100 * m["largest_cluster_share"], color=colour, marker="o", ms=3, label=label)
    axes[0].set_yscale("log")
    axes[0].set_ylabel("loss; dotted: reconstruction/pixel")
    axes[1].set_yscale("symlog", linthresh=0.01)
    axes[1].axhline(1.0, color="grey", lw=0.8)
    axes[1].set_ylabel("‖∇ ACRBM‖ / ‖∇ reconstruction‖ (encoder)")
    axes[2].set_ylabel("largest cluster, % of test images")
    axes[2].axhline(10, color="grey", lw=0.8, ls="--")
    for ax in axes:
        ax.set_xlabel("epoch")
        ax.yaxis.label.set_size(9)
    # One legend for the figure, below it: the readings' colours (line styles are named in the axis label).
    handles, labels = axes[1].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=2, fontsize=9, frameon=False)
    return fig


def plot_cluster_portraits(states: dict[str, dict]):
    """One row per reading: each cluster's mean test image, titled with its majority digit and purity (%).

    ``states``: label -> a finished job file that holds ``cluster_means`` and ``confusion``.
    """
    import matplotlib.pyplot as plt



    shown = {k: v for k, v in states.items() if v is not None and "cluster_means" in v}
    k = max((len(v["cluster_means"]) for v in shown.values()), default=1)
    rows = max(len(shown), 1)
    # drawn at the column's width at most (shown at the size it is drawn): a label margin, then k cells
    label_width = 1.5
    cell = min(0.95, (MAX_WIDTH - label_width) / k)
    fig, axes = plt.subplots(rows, k, figsize=(label_width + cell * k, (cell + 0.35) * rows + 0.1), squeeze=False)
    fig.subplots_adjust(left=label_width / (label_width + cell * k), right=0.995, top=0.9, bottom=0.02,
                        wspace=0.08, hspace=0.45)
    for ax in axes.flat:
        ax.axis("off")
    for row, (label, state) in enumerate(shown.items()):
        confusion = np.asarray(state["confusion"])
        for c, image in enumerate(state["cluster_means"]):
            ax = axes[row, c]
            ax.imshow(np.asarray(image).reshape(28, 28), cmap="gray_r", vmin=0, vmax=1)
            n = confusion[c].sum()
            ax.set_title(f"{confusion[c].argmax()}: {100 * confusion[c].max() / n:.0f}%" if n else "empty", fontsize=9)
        axes[row, 0].text(-0.12, 0.5, textwrap.fill(label, 18), transform=axes[row, 0].transAxes, ha="right",
                          va="center", fontsize=9)
    return fig


def plot_both_sides(points: list[dict], *, paper_acrbm: float | None, paper_kmeans: float | None):
    """Both sides of the AE comparison at Table 3's budget: each reading's test accuracy (label-free) with its
    95 % t interval (a bare dot: one seed, no interval), one row per reading, the paper's two numbers as
    vertical lines. ``points``: :func:`osa_lib.book.ae_chapter.ae_study.both_sides`."""
    import matplotlib.pyplot as plt


    if not points:
        return missing_figure("No AE record at Table 3's budget yet.")
    colours = {"AE + ACRBM (10)": "#4c72b0", "AE + K-means": "#dd8452"}
    # Half an inch narrower than the column: the tick labels overhang the axes, and the saved figure must
    # still fit the column so that its 9 pt text reads at least 9 pt on the page.
    fig, ax = plt.subplots(figsize=(MAX_WIDTH - 0.5, 0.34 * len(points) + 1.5), layout="constrained")
    y = np.arange(len(points))[::-1]
    for yi, p in zip(y, points):
        iv = p["interval"]
        ax.errorbar(iv.mean, yi, xerr=[[iv.mean - iv.low], [iv.high - iv.mean]] if iv.exists else None, fmt="o",
                    color=colours[p["side"]], capsize=3, ms=5)
    short = lambda text: text.replace("ablation: decoder reads only the 10 ", "bottleneck, 10 ").replace(
        "K-means on all 60,000 training codes", "K-means on 60,000 codes").replace(" head units", "")
    # Long reading names wrap onto two lines, so that the figure keeps the column's width (9 pt on the page).
    ax.set_yticks(y, [textwrap.fill(f"{short(p['label'])} ({p['seeds']})", 34) for p in points], fontsize=9)
    for side, colour in colours.items():
        ax.plot([], [], "o", color=colour, label=f"ours: {side} (seeds)")
    for value, colour, text in ((paper_acrbm, colours["AE + ACRBM (10)"], "paper: AE + ACRBM (10)"),
                                (paper_kmeans, colours["AE + K-means"], "paper: AE + K-means")):
        if value is not None:
            ax.axvline(value, color=colour, ls="--", lw=1.3, label=f"{text} {value:.2f} %")
    ax.set_xlabel("test accuracy (%, majority mapping): mean, 95 % t interval")
    ax.set_xlim(20, 100)
    fig.legend(loc="outside lower center", ncol=2, fontsize=9, frameon=False)
    ax.grid(axis="y", visible=False)
    return fig
