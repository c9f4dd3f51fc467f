"""Figures of the shallow ACRBM chapter: image grids, embeddings, the cluster-count sweep (Figures 5 and 9).

Functions take arrays or tables and return a Figure, in the book's style (:mod:`osa_lib.book.style`).
"""
from __future__ import annotations

from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np

from osa_lib.book.style import MAX_WIDTH, missing_figure

def _as_images(rows: np.ndarray, side: int = 28) -> np.ndarray:
    rows = np.asarray(rows)
    return rows.reshape(len(rows), side, side)


def image_grid(rows: Sequence[np.ndarray], row_labels: Sequence[str], *, side: int = 28, cell: float = 0.5,
               colorbar: bool = False):
    """A grid of grey images on a fixed scale: ``rows[r]`` is an array (n, side*side) drawn as row ``r``.

    Pixel values are drawn from 0 (white) to 1 (black) in every panel (no per-image
    rescaling), so a reconstruction that stays grey looks grey. ``colorbar`` adds that
    scale at the right.
    """
    n_rows, n_cols = len(rows), max(len(r) for r in rows)
    label_width = 1.1
    width = min(MAX_WIDTH, cell * n_cols + label_width + (0.6 if colorbar else 0.0))
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(width, cell * n_rows + 0.2), squeeze=False)
    image = None
    for r, (images, label) in enumerate(zip(rows, row_labels)):
        imgs = _as_images(images, side)
        for c in range(n_cols):
            ax = axes[r, c]
            ax.set_xticks([]), ax.set_yticks([]), ax.grid(False)
            for s in ax.spines.values():
                s.set_visible(False)
            if c < len(imgs):
                image = ax.imshow(imgs[c], cmap="gray_r", vmin=0.0, vmax=1.0)
        axes[r, 0].set_ylabel(label, rotation=0, ha="right", va="center")
    right = 1.0 - (0.6 / width if colorbar else 0.0)
    fig.subplots_adjust(left=label_width / width, right=right, top=0.98, bottom=0.02, wspace=0.05, hspace=0.05)
    if colorbar and image is not None:
        bar = fig.colorbar(image, ax=axes.ravel().tolist(), fraction=0.03, pad=0.02, ticks=[0, 0.5, 1])
        bar.set_label("pixel value")
    return fig


def embedding_panels(embeddings: Mapping[str, np.ndarray], labels: np.ndarray, class_names=None, *,
                     n_cols: int = 2, empty: str = "This run has no code size to draw."):
    """Figure 8: one 2-D scatter panel per code size, coloured by true class, one legend below.

    ``embeddings`` maps a panel title (e.g. ``"K = 30 (trustworthiness 0.95)"``) to its
    (N, 2) map; ``labels`` (N,) are the true classes. Without any embedding (a run whose
    sweep lacks the sizes drawn), the figure says ``empty`` in a sentence.
    """
    n = len(embeddings)
    if n == 0:
        return missing_figure(empty)
    n_cols = min(n_cols, n)
    n_rows = -(-n // n_cols)
    side = min(3.4, MAX_WIDTH / n_cols)
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(side * n_cols, side * n_rows + 0.7), squeeze=False)
    cmap = plt.get_cmap("tab10")
    classes = np.unique(labels)
    for ax in axes.ravel()[n:]:
        ax.set_visible(False)
    for ax, (title, emb) in zip(axes.ravel(), embeddings.items()):
        for c in classes:
            sel = labels == c
            name = class_names[c] if class_names is not None else str(c)
            ax.scatter(emb[sel, 0], emb[sel, 1], s=5, color=cmap(int(c) % 10), label=name, alpha=0.8, linewidths=0)
        ax.set_title(title)
        ax.set_xticks([]), ax.set_yticks([])
        ax.grid(False)
    handles, names = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, names, loc="lower center", ncol=5, markerscale=2.5, frameon=False)
    fig.tight_layout(rect=(0, 0.7 / (side * n_rows + 0.7) + 0.02, 1, 1))
    return fig


def distortion_plot(table, *, x: str = "K"):
    """Figure 8's distortion against code size: trustworthiness and k-NN label agreement (percent).

    ``table`` has a column ``x`` and the columns ``trustworthiness``, ``knn_agreement_codes`` and
    ``knn_agreement_2d`` (fractions), one row per size.
    """
    fig, ax = plt.subplots(figsize=(5.2, 3.0))
    k = table[x].to_numpy()
    for column, label, style in (("trustworthiness", "trustworthiness of the 2-D map", "o-"),
                                 ("knn_agreement_codes", "10-NN label agreement, codes", "s--"),
                                 ("knn_agreement_2d", "10-NN label agreement, 2-D map", "^:")):
        ax.plot(k, 100 * table[column].to_numpy(), style, label=label, ms=5)
    ax.set_xscale("log")
    ax.set_xticks(k, [str(v) for v in k])
    ax.minorticks_off()
    ax.set_xlabel("number of clusters K (log scale)")
    ax.set_ylabel("percent")
    ax.legend(loc="lower right")
    fig.tight_layout()
    return fig


#: Figure 9's read-outs: column stem in :func:`osa_lib.book.shallow_runs.sweep_table`, label, colour, marker.
SWEEP_METRICS = (("accuracy_majority", "accuracy (majority mapping)", "C0", "o"),
                 ("confidence", "mean confidence (max h)", "C1", "s"),
                 ("cluster_usage", "clusters in use", "C2", "^"))


def sweep_plot(reference=None, *, run=None, reference_label: str = "paper profile (mean ± std over seeds)",
               run_label: str = "this run", paper_points: Mapping[int, float] | None = None):
    """Figure 9: accuracy, mean confidence and cluster usage (percent) against K.

    ``reference`` (the paper-profile sweep) is drawn with error bars of ±1 std over its
    seeds; ``run`` (e.g. this build's ci run) is drawn faint beside it. Either may be
    None. Both are tables from :func:`osa_lib.book.shallow_runs.sweep_table` (columns
    ``K``, ``<metric> %`` and ``<metric> std``). ``paper_points`` maps K to the paper's
    printed accuracy (stars); leave it empty where the paper prints none.
    """
    if reference is None and run is None:
        raise ValueError("sweep_plot needs a reference table, a run table or both")
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    ticks = set()
    for table, label, faint in ((reference, reference_label, False), (run, run_label, True)):
        if table is None:
            continue
        k = table["K"].to_numpy()
        ticks.update(int(v) for v in k)
        for stem, name, colour, marker in SWEEP_METRICS:
            mean, std = table[f"{stem} %"].to_numpy(), table[f"{stem} std"].to_numpy()
            if faint:
                ax.plot(k, mean, marker=marker, ls=":", color=colour, alpha=0.4, ms=4, mfc="none")
            else:
                ax.errorbar(k, mean, yerr=std, marker=marker, ls="-", color=colour, ms=4, capsize=3)
    if paper_points:
        ax.plot(list(paper_points), list(paper_points.values()), "k*", ms=10, ls="none")
        ticks.update(int(v) for v in paper_points)
    ax.set_xscale("log")
    ticks = sorted(ticks)
    ax.set_xticks(ticks, [str(v) for v in ticks])
    ax.minorticks_off()
    ax.set_xlabel("number of clusters K (log scale)")
    ax.set_ylabel("percent")
    ax.set_ylim(0, 103)
    handles = [plt.Line2D([], [], color=colour, marker=marker, ls="-", label=name)
               for _, name, colour, marker in SWEEP_METRICS]
    if reference is not None:
        handles.append(plt.Line2D([], [], color="grey", marker="o", ls="-", label=reference_label))
    if run is not None:
        handles.append(plt.Line2D([], [], color="grey", marker="o", ls=":", alpha=0.4, mfc="none", label=run_label))
    if paper_points:
        handles.append(plt.Line2D([], [], color="k", marker="*", ls="none", ms=10, label="paper, Table 1"))
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=2, frameon=False)
    fig.tight_layout()
    return fig


def sweep_facts(table, *, near: float = 1.0) -> dict:
    """The numbers Figure 9's text quotes, from a sweep table (:func:`osa_lib.book.shallow_runs.sweep_table`).

    Keys: ``k_low``/``k_high`` (smallest and largest K) with ``acc_low``/``acc_high``,
    ``conf_low``/``conf_high`` and ``usage_low``/``usage_high`` (percent); ``k_best`` and
    ``acc_best`` (the highest mean accuracy); ``best_range``, the K values whose mean
    accuracy is within ``near`` points of the best, as text ("50–100" for a run of
    consecutive sizes, else "50, 200"); ``rises_to_largest`` (the best is at the largest K).
    """
    t = table.sort_values("K").reset_index(drop=True)
    if t.empty:
        raise ValueError("the sweep table is empty")
    acc = t["accuracy_majority %"]
    best = int(acc.idxmax())
    close = [i for i in range(len(t)) if acc.iloc[i] >= acc.iloc[best] - near]
    ks = [int(t["K"].iloc[i]) for i in close]
    consecutive = close == list(range(close[0], close[-1] + 1))
    best_range = (str(ks[0]) if len(ks) == 1 else f"{ks[0]}–{ks[-1]}") if consecutive else ", ".join(map(str, ks))
    first, last = t.iloc[0], t.iloc[-1]
    return {"k_low": int(first["K"]), "k_high": int(last["K"]), "k_best": int(t["K"].iloc[best]),
            "acc_low": float(first["accuracy_majority %"]), "acc_high": float(last["accuracy_majority %"]),
            "acc_best": float(acc.iloc[best]), "best_range": best_range,
            "conf_low": float(first["confidence %"]), "conf_high": float(last["confidence %"]),
            "usage_low": float(first["cluster_usage %"]), "usage_high": float(last["cluster_usage %"]),
            "rises_to_largest": best == len(t) - 1}
