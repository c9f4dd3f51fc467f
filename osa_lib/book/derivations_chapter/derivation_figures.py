"""Figures of the derivations chapter: matrices (D = hᵀh), spectra, cluster sizes, loss curves.

Functions take arrays and return a Figure, in the book's style (:mod:`osa_lib.book.page.style`).
"""
from __future__ import annotations

from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np


def matrix_plot(matrix: np.ndarray, title: str = "", *, value_label: str = "entry of D, log scale",
                axis_label: str = "cluster"):
    """A heat map of a square matrix (eq 16's D), log-scaled colours, with labelled axes and colour bar."""
    from matplotlib.colors import LogNorm

    fig, ax = plt.subplots(figsize=(3.6, 3.2))
    m = np.asarray(matrix, dtype=float)
    floor = max(m[m > 0].min(), m.max() * 1e-6) if np.any(m > 0) else 1e-12
    im = ax.imshow(np.maximum(m, floor), norm=LogNorm(vmin=floor, vmax=m.max()), cmap="viridis")
    ax.set_title(title)
    ax.set_xlabel(f"{axis_label} j")
    ax.set_ylabel(f"{axis_label} i")
    ax.grid(False)
    fig.colorbar(im, ax=ax, fraction=0.046).set_label(value_label)
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
    ax.legend()
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
    ax.legend()
    fig.tight_layout()
    return fig


#: Line styles of :func:`loss_curves`, in order: runs that overlap stay visible (a wide pale solid line
#: under narrower dashed, dotted and dash-dotted ones, each with its own markers at staggered steps).
LOSS_STYLES = (dict(ls="-", lw=3.2, alpha=0.45, marker="o"), dict(ls="--", lw=1.6, marker="s"),
               dict(ls=":", lw=2.0, marker="^"), dict(ls="-.", lw=1.4, marker="d"))


def loss_curves(histories: Mapping[str, Sequence[float]], *, log: bool = True, xlabel: str = "Adam step",
                ylabel: str = "loss (own objective)"):
    """Loss against optimisation step for several runs (log scale by default). Each run has its own line
    style and markers (:data:`LOSS_STYLES`), so that a run lying on another stays visible."""
    fig, ax = plt.subplots(figsize=(5.6, 3.2))
    for i, (label, values) in enumerate(histories.items()):
        values = np.asarray(values, dtype=float)
        every = max(len(values) // 8, 1)
        style = LOSS_STYLES[i % len(LOSS_STYLES)]
        ax.plot(np.arange(len(values)), np.maximum(values, 1e-12) if log else values, label=label, ms=5,
                markevery=(i * every // len(LOSS_STYLES), every), color=f"C{i}", **style)
    if log:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel + (", log scale" if log else ""))
    ax.legend()
    fig.tight_layout()
    return fig
