"""One figure style for the whole book. Functions take arrays and return a Figure."""
from __future__ import annotations

from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np

STYLE = {
    "figure.dpi": 110,
    "savefig.dpi": 110,
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
}


def use_book_style() -> None:
    """Apply the book's matplotlib style (call once per notebook)."""
    plt.rcParams.update(STYLE)


def _as_images(rows: np.ndarray, side: int = 28) -> np.ndarray:
    rows = np.asarray(rows)
    return rows.reshape(len(rows), side, side)


def image_grid(rows: Sequence[np.ndarray], row_labels: Sequence[str], *, side: int = 28, cell: float = 0.55):
    """A grid of grey images: ``rows[r]`` is an array (n, side*side) drawn as row ``r``."""
    n_rows, n_cols = len(rows), max(len(r) for r in rows)
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(cell * n_cols + 1.2, cell * n_rows + 0.2), squeeze=False)
    for r, (images, label) in enumerate(zip(rows, row_labels)):
        imgs = _as_images(images, side)
        for c in range(n_cols):
            ax = axes[r, c]
            ax.set_xticks([]), ax.set_yticks([]), ax.grid(False)
            for s in ax.spines.values():
                s.set_visible(False)
            if c < len(imgs):
                ax.imshow(imgs[c], cmap="gray_r", vmin=0, vmax=1)
        axes[r, 0].set_ylabel(label, rotation=0, ha="right", va="center", fontsize=8)
    fig.subplots_adjust(left=0.12, wspace=0.05, hspace=0.05)
    return fig


def embedding_panels(embeddings: Mapping[str, np.ndarray], labels: np.ndarray, class_names=None):
    """Side-by-side 2-D scatter plots coloured by true class (Figure 8)."""
    n = len(embeddings)
    fig, axes = plt.subplots(1, n, figsize=(3.4 * n, 3.4), squeeze=False)
    cmap = plt.get_cmap("tab10")
    for ax, (title, emb) in zip(axes[0], embeddings.items()):
        for c in np.unique(labels):
            sel = labels == c
            name = class_names[c] if class_names is not None else str(c)
            ax.scatter(emb[sel, 0], emb[sel, 1], s=3, color=cmap(int(c) % 10), label=name, alpha=0.7, linewidths=0)
        ax.set_title(title)
        ax.set_xticks([]), ax.set_yticks([])
    axes[0, -1].legend(markerscale=4, fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)
    fig.tight_layout()
    return fig


def sweep_plot(table, *, paper_points: Mapping[int, float] | None = None):
    """Figure 9: accuracy, mean confidence and cluster usage (percent) against K, with ±1 std bands."""
    fig, ax = plt.subplots(figsize=(6.0, 3.6))
    k = table["K"].to_numpy()
    for name, label, style in (("accuracy_majority", "accuracy (majority)", "o-"),
                               ("confidence", "mean confidence max h", "s--"),
                               ("cluster_usage", "clusters used", "^:")):
        mean, std = table[f"{name} %"].to_numpy(), table[f"{name} std"].to_numpy()
        ax.plot(k, mean, style, label=label, ms=4)
        ax.fill_between(k, mean - std, mean + std, alpha=0.2)
    if paper_points:
        ax.plot(list(paper_points), list(paper_points.values()), "k*", ms=9, label="paper, Table 1 (accuracy)")
    ax.set_xscale("log")
    ax.set_xticks(k, [str(v) for v in k])
    ax.set_xlabel("number of clusters K (log scale)")
    ax.set_ylabel("percent")
    ax.set_ylim(0, 102)
    ax.legend(fontsize=8, loc="lower left")
    fig.tight_layout()
    return fig


def matrix_plot(matrix: np.ndarray, title: str = ""):
    """A heat map of a square matrix (eq 16's D), log-scaled colours."""
    from matplotlib.colors import LogNorm

    fig, ax = plt.subplots(figsize=(3.6, 3.2))
    m = np.asarray(matrix, dtype=float)
    floor = max(m[m > 0].min(), m.max() * 1e-6) if np.any(m > 0) else 1e-12
    im = ax.imshow(np.maximum(m, floor), norm=LogNorm(vmin=floor, vmax=m.max()), cmap="viridis")
    ax.set_title(title)
    ax.grid(False)
    fig.colorbar(im, ax=ax, fraction=0.046)
    fig.tight_layout()
    return fig


def spectrum_plot(spectra: Mapping[str, np.ndarray], reference: float | None = 1.0):
    """Sorted eigenvalues (real parts) of several operators against their index; a dashed line at ``reference``.

    Used for eq 7: a projection has every non-zero eigenvalue equal to 1.
    """
    fig, ax = plt.subplots(figsize=(5.6, 3.2))
    styles = ("o-", "s--", "^:", "d-.")
    for (label, values), style in zip(spectra.items(), styles * len(spectra)):
        values = np.sort(np.real(np.asarray(values)))[::-1]
        ax.plot(np.arange(1, len(values) + 1), values, style, ms=3, label=label)
    if reference is not None:
        ax.axhline(reference, color="k", lw=0.8, ls="--", alpha=0.6)
    ax.set_xlabel("eigenvalue index (largest first)")
    ax.set_ylabel("eigenvalue")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def cluster_size_bars(sizes: Mapping[str, np.ndarray]):
    """Grouped bars: examples per cluster (argmax of h) for several models with the same K."""
    names = list(sizes)
    k = max(len(np.asarray(s)) for s in sizes.values())
    width = 0.8 / len(names)
    fig, ax = plt.subplots(figsize=(5.6, 3.0))
    for i, name in enumerate(names):
        s = np.asarray(sizes[name])
        ax.bar(np.arange(len(s)) + (i - (len(names) - 1) / 2) * width, s, width=width, label=name)
    ax.set_xticks(np.arange(k))
    ax.set_xlabel("cluster (argmax of h)")
    ax.set_ylabel("examples")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def loss_curves(histories: Mapping[str, Sequence[float]], *, log: bool = True):
    """Loss against optimisation step for several runs (log scale by default)."""
    fig, ax = plt.subplots(figsize=(5.6, 3.2))
    for label, values in histories.items():
        values = np.asarray(values, dtype=float)
        ax.plot(np.arange(len(values)), np.maximum(values, 1e-12) if log else values, label=label)
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
