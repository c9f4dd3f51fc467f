"""Figures of the AE chapter: monitored test accuracy against epochs, and the recipe search's curves."""
from __future__ import annotations

from typing import Mapping

import numpy as np

#: Table 1's AE rows and their labels.
ROW_LABELS = {"ae_kmeans": "AE + K-means", "ae_acrbm_10": "AE + ACRBM (10)", "ae_acrbm_30": "AE + ACRBM (30)"}


def plot_accuracy_vs_epoch(curves: Mapping[str, object], paper: Mapping[str, float | None], *, title_suffix=""):
    """One panel per row: mean ± std over seeds of the monitored test accuracy, the paper's number as a line.

    ``curves``: row -> :func:`accuracy_curves` DataFrame; ``paper``: row -> percent (or None).
    """
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(curves), figsize=(3.6 * len(curves), 3.4), sharey=True, squeeze=False)
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

    fig, ax = plt.subplots(figsize=(6.5, 3.2))
    prefix = f"{n_clusters}/"
    for i, (name, runs) in enumerate(sorted((k[len(prefix):], v) for k, v in record["curves"].items()
                                            if k.startswith(prefix))):
        n = max(len(r) for r in runs)
        arr = np.full((len(runs), n), np.nan)
        for j, r in enumerate(runs):
            arr[j, :len(r)] = [np.nan if v is None else v for v in r]
        ax.plot(np.arange(1, n + 1), 100 * np.nanmean(arr, 0), marker="o", ms=3,
                color=f"C{i % 10}", ls="-" if i < 10 else "--", label=name)
    ax.axvline(record["params"]["warmup_epochs"] + 0.5, color="grey", lw=0.8, ls=":")
    ax.set(xlabel="epoch", ylabel="validation accuracy % (majority)", title=f"{n_clusters} clusters")
    ax.legend(fontsize=6, loc="center left", bbox_to_anchor=(1.0, 0.5))
    fig.tight_layout()
    return fig
