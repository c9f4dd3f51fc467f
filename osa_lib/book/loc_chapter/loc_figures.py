"""Figures of the LOC chapter (the book style of :mod:`osa_lib.book.page.style`). Functions take arrays, return a Figure."""
from __future__ import annotations

from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Patch

from osa_lib.book.page.style import MAX_WIDTH, use_book_style

#: ground truth drawn black (background), white (flower) and grey (the ignored trimap band)
_MASK_CMAP = ListedColormap(["black", "white", "0.55"])
#: cluster labels 0, 1, 2, ...: dark blue, red, yellow, green, purple, then repeating
LABEL_COLOURS = ("#2c3e91", "#e8543a", "#f6c343", "#4daf4a", "#984ea3", "#a65628", "#f781bf", "#999999")


def _blank(ax) -> None:
    ax.set_xticks([]), ax.set_yticks([]), ax.grid(False)
    for s in ax.spines.values():
        s.set_visible(False)


def mask_with_band(mask: np.ndarray, ignore: np.ndarray | None) -> np.ndarray:
    """0 background, 1 flower, 2 ignored band: for drawing the ground truth."""
    out = np.asarray(mask, dtype=np.int64).copy()
    if ignore is not None:
        out[np.asarray(ignore, bool)] = 2
    return out


def sharp_inline_figures() -> None:
    """Inline figures as the book style shows them (:func:`osa_lib.book.page.style.use_book_style`): 2x PNGs
    shown at their nominal size, 200 pixels per displayed inch, fonts at their point size on the page,
    each PNG recording its smallest font size for the browser check."""

    use_book_style()


def panel_grid(images: np.ndarray, rows: Mapping[str, np.ndarray], *, kinds: Mapping[str, str] | None = None,
               cell: float = 0.85, label_width: float = 1.5, key_width: float = 1.25,
               map_label: str = "G"):
    """Row 1: the RGB images (N, 3, H, W); then one row per entry of ``rows`` (N, H, W each).

    ``kinds[name]``: ``"mask"`` (binary, black/white; 2 = grey band), ``"labels"`` (integer
    clusters, one fixed colour per label value: :data:`LABEL_COLOURS`), or ``"map"`` (a float map, viridis with
    a shared colour scale per row). Each row gets its key in a right margin of ``key_width`` inches: a
    colour bar titled ``map_label`` (the observer's output G) for a map, a legend of the label values present for labels, and
    black / white / grey for masks. The images shrink below ``cell`` inches so that the figure is at most
    :data:`~osa_lib.book.page.style.MAX_WIDTH` wide (it is shown at the size it is drawn).
    """
    kinds = dict(kinds or {})
    n = len(images)
    n_rows = 1 + len(rows)
    cell = min(cell, (MAX_WIDTH - label_width - key_width) / max(n, 1))
    width, height = cell * n + label_width + key_width, cell * n_rows + 0.3
    fig, axes = plt.subplots(n_rows, n, figsize=(width, height), squeeze=False)
    for c in range(n):
        axes[0, c].imshow(np.clip(images[c].transpose(1, 2, 0), 0, 1))
    axes[0, 0].set_ylabel("image", rotation=0, ha="right", va="center", fontsize=9)
    keys = []          # (row, kind, drawn image, values present) for the keys on the right
    for r, (name, arr) in enumerate(rows.items(), start=1):
        kind = kinds.get(name, "mask")
        arr = np.asarray(arr)
        present = np.unique(arr[:n]) if kind in ("labels", "mask") else None
        if kind == "labels":
            n_col = len(LABEL_COLOURS)
            arr = np.asarray(arr) % n_col
            cmap, vmin, vmax = ListedColormap(LABEL_COLOURS), -0.5, n_col - 0.5
        elif kind == "map":
            lo, hi = np.quantile(arr, [0.01, 0.99])
            cmap, vmin, vmax = "viridis", lo, hi
        else:
            cmap, vmin, vmax = _MASK_CMAP, 0, 2
        for c in range(n):
            im = axes[r, c].imshow(arr[c], cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
        axes[r, 0].set_ylabel(name, rotation=0, ha="right", va="center", fontsize=9)
        keys.append((r, kind, im, present))
    for ax in axes.ravel():
        _blank(ax)
    right = 1 - key_width / width
    fig.subplots_adjust(left=label_width / width, right=right, top=0.995, bottom=0.005, wspace=0.04, hspace=0.04)
    mask_names = {0: "background", 1: "flower", 2: "trimap band"}
    for r, kind, im, present in keys:
        box = axes[r, -1].get_position()
        if kind == "map":
            cax = fig.add_axes([right + 0.012, box.y0 + 0.1 * box.height, 0.1 / width, 0.8 * box.height])
            bar = fig.colorbar(im, cax=cax)
            bar.ax.tick_params(labelsize=9)
            cax.set_title(map_label, fontsize=9, loc="left")     # above the bar: clear of its tick labels
            continue
        if kind == "labels":
            handles = [Patch(fc=LABEL_COLOURS[int(v) % len(LABEL_COLOURS)], ec="0.4", label=f"label {int(v)}")
                       for v in present]
        else:
            handles = [Patch(fc=_MASK_CMAP(int(v)), ec="0.4", label=mask_names[int(v)])
                       for v in present if int(v) in mask_names]
        fig.legend(handles=handles, loc="center left", fontsize=9, frameon=False, handlelength=1.0,
                   handletextpad=0.4, borderaxespad=0, labelspacing=0.15,
                   bbox_to_anchor=(right + 0.005, box.y0 + box.height / 2))
    return fig


def training_curves(curves: Mapping[str, Sequence[float]], *, ylabel: str = "share of images whose hinge fires (%)"):
    """One line per variant: a per-epoch quantity (in percent)."""
    fig, ax = plt.subplots(figsize=(5.6, 3.0))
    for (name, values), style in zip(curves.items(), ["o-", "s--", "^-.", "v:", "d-", "x--", "*-"] * 3):
        ax.plot(np.arange(1, len(values) + 1), 100 * np.asarray(values), style, ms=4, label=name)
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    ax.set_ylim(-3, 103)
    ax.legend(fontsize=9, loc="center right")
    fig.tight_layout()
    return fig


def training_panels(active: Mapping[str, Sequence[float]], error: Mapping[str, Sequence[float]]):
    """Left: share of images whose hinge fires per epoch (%); right: mean training error per epoch (log scale).

    One line per name (the same colour and style in both panels); the legend sits below both panels,
    so the figure keeps the column's width (:data:`~osa_lib.book.page.style.MAX_WIDTH`) for any number of lines.
    """
    names = list(dict.fromkeys([*active, *error]))
    n_legend_rows = (len(names) + 1) // 2
    fig, axes = plt.subplots(1, 2, figsize=(MAX_WIDTH, 2.6 + 0.22 * n_legend_rows))
    styles = ["o-", "s--", "^-.", "v:", "d-", "x--", "*-"] * 3
    lines = []
    for k, (name, style) in enumerate(zip(names, styles)):
        for ax, curves, scale in ((axes[0], active, 100.0), (axes[1], error, 1.0)):
            values = np.asarray(curves.get(name, []), float)
            if len(values):
                (line,) = ax.plot(np.arange(1, len(values) + 1), scale * values, style, ms=3, lw=1.2,
                                  color=f"C{k % 10}", label=name)
        lines.append(line)
    axes[0].set_ylabel("images whose hinge fires (%)")
    axes[0].set_ylim(-3, 103)
    axes[1].set_ylabel("mean training error ε\n(log scale)")
    axes[1].set_yscale("log")
    for ax in axes:
        ax.set_xlabel("epoch")
    fig.legend(handles=lines, loc="lower center", ncol=2, fontsize=9, frameon=False)
    fig.tight_layout(rect=(0, (0.19 * n_legend_rows + 0.08) / (2.6 + 0.22 * n_legend_rows), 1, 1))
    return fig


def value_histograms(maps: Mapping[str, np.ndarray], *, bins: int = 80, edges=(0.5, 1.5)):
    """Histograms of the observer's output G (all pixels, percent of pixels), one panel per variant;
    the rounding edges dashed."""
    n = len(maps)
    fig, axes = plt.subplots(1, n, figsize=(min(MAX_WIDTH, 3.3 * n), 2.7), squeeze=False)
    for ax, (name, g) in zip(axes[0], maps.items()):
        g = np.asarray(g, float).ravel()
        ax.hist(g, bins=bins, color="C0", alpha=0.8, weights=np.full(g.size, 100 / max(g.size, 1)))
        for e in edges:
            ax.axvline(e, color="k", ls="--", lw=0.8, label="rounding edges" if e == edges[0] else None)
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("G (observer output)")
    axes[0, 0].set_ylabel("pixels (%)")
    axes[0, -1].legend(fontsize=9, frameon=False)
    fig.tight_layout()
    return fig


def cluster_histograms(hist: Mapping[str, Mapping[int, int]], extra: Mapping[str, Sequence[float]] | None = None,
                       *, names: Sequence[str] | None = None, xlabel: str = "ρ (the hinge's bound)"):
    """Left: the distribution of the per-image number of clusters for each setting (stacked bars,
    percent of images). Right (optional): lines of other per-setting quantities (percent).
    ``names``: the settings' tick labels (default: the keys of ``hist``)."""
    keys = list(hist)
    ticks = [str(t) for t in (names if names is not None else keys)]
    counts = sorted({int(k) for h in hist.values() for k in h})
    fig, axes = plt.subplots(1, 2 if extra else 1, figsize=(MAX_WIDTH if extra else 4.5, 3.0), squeeze=False)
    ax = axes[0, 0]
    bottom = np.zeros(len(keys))
    cmap = plt.get_cmap("viridis", max(len(counts), 2))
    for j, k in enumerate(counts):
        share = np.array([100 * {int(a): b for a, b in hist[n].items()}.get(k, 0) / max(sum(hist[n].values()), 1)
                          for n in keys])
        ax.bar(ticks, share, bottom=bottom, color=cmap(j), label=f"{k} cluster{'s' if k != 1 else ''}")
        bottom += share
    ax.set_ylabel("images (%)")
    ax.set_xlabel(xlabel)
    ax.set_ylim(0, 100)
    ax.legend(fontsize=9, loc="lower left", framealpha=0.9, title="per image", title_fontsize=9)
    if extra:
        ax2 = axes[0, 1]
        for (label, values), style in zip(extra.items(), ["o-", "s--", "^-.", "v:"] * 2):
            ax2.plot(ticks, values, style, ms=4, label=label)
        ax2.set_ylabel("percent")
        ax2.set_xlabel(xlabel)
        ax2.set_ylim(0, 100)
        ax2.legend(fontsize=9)
    fig.tight_layout()
    return fig


def per_image_scatter(x: np.ndarray, y: np.ndarray, *, xlabel: str, ylabel: str):
    """Per-image scores of two methods against each other (percent), with the diagonal."""
    fig, ax = plt.subplots(figsize=(3.6, 3.4))
    ax.scatter(100 * np.asarray(x), 100 * np.asarray(y), s=8, alpha=0.6, linewidths=0, label="one test image")
    ax.plot([0, 100], [0, 100], "k--", lw=0.8, label="equal IoU")
    ax.set_xlim(-2, 102), ax.set_ylim(-2, 102)
    ax.set_xlabel(xlabel), ax.set_ylabel(ylabel)
    ax.legend(fontsize=9, loc="upper left", frameon=False)
    fig.tight_layout()
    return fig


def loc_graph():
    """Figure 7: LOC's computational graph, as read in this book (boxes and arrows; fonts 9 pt).

    Top row: the forward pass; middle row: the training loss, whose gradient (dashed) reaches the
    observer only while the hinge fires; bottom row: inference (labels and the binary mask).
    """
    fig, ax = plt.subplots(figsize=(MAX_WIDTH, 4.4))
    ax.set_xlim(0, 76), ax.set_ylim(0, 48)
    _blank(ax)
    w, h = 14, 8

    def box(x, y, text, colour):
        ax.add_patch(FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0.5", fc=colour, ec="0.3", lw=0.8))
        ax.text(x + w / 2, y + h / 2, text, ha="center", va="center", fontsize=9, linespacing=1.15)

    def arrow(points, colour="0.2", style="-"):
        xs, ys = zip(*points)
        if len(points) > 2:
            ax.plot(xs[:-1], ys[:-1], color=colour, lw=1.0, ls=style)
        ax.add_patch(FancyArrowPatch(points[-2], points[-1], arrowstyle="-|>", mutation_scale=10, lw=1.0,
                                     color=colour, ls=style, shrinkA=0, shrinkB=0))

    top, mid, low = 37, 20, 2
    xs = (1, 20, 39, 58)
    box(xs[0], top, "image x\n(3, H, W)\nin [0, 1]", "#f2f2f2")
    box(xs[1], top, "normalise\nv = n(x)", "#dbe9f6")
    box(xs[2], top, "observer:\n3 x (conv + BN\n+ ReLU), 1x1 conv", "#fde2c8")
    box(xs[3], top, "G\n(1, H, W)", "#fde2c8")
    box(xs[1], mid, "K = v * G\n(eq 19)", "#e3f1dc")
    box(xs[2], mid, "eps = mean\n(v - K)^2 (eq 20)", "#e3f1dc")
    box(xs[3], mid, "loss = eps if\neps > rho, else 0\n(eq 21)", "#f6d5d5")
    box(xs[3], low, "labels =\nround(clip(G, 0))", "#ece0f3")
    box(xs[2], low, "median rule\n-> binary mask", "#ece0f3")
    yc = top + h / 2
    for a, b in zip(xs[:-1], xs[1:]):
        arrow([(a + w + 0.7, yc), (b - 0.7, yc)])
    ym = mid + h / 2
    arrow([(xs[1] + w + 0.7, ym), (xs[2] - 0.7, ym)])
    arrow([(xs[2] + w + 0.7, ym), (xs[3] - 0.7, ym)])
    arrow([(xs[1] + 4, top - 0.7), (xs[1] + 4, mid + h + 0.7)])                          # v -> K
    ax.text(xs[1] + 3, top - 4.5, "v", ha="right", va="center", fontsize=9, color="0.25")
    arrow([(xs[3] + 4, top - 0.7), (xs[3] + 4, 32), (xs[1] + 10, 32), (xs[1] + 10, mid + h + 0.7)])   # G -> K
    ax.text(xs[3] + 4.8, 33.5, "G", ha="left", va="center", fontsize=9, color="0.25")
    arrow([(xs[3] + 10, mid + h + 0.7), (xs[3] + 10, 34.5), (xs[2] + 10, 34.5), (xs[2] + 10, top - 0.7)],
          colour="#b2182b", style="--")                                                    # gradient
    ax.text(xs[0], low + h / 2, "red dashes: the gradient,\nwhich reaches the observer\nonly while the hinge fires",
            ha="left", va="center", fontsize=9, color="#b2182b")
    arrow([(xs[3] + w + 0.7, top + 2), (76, top + 2), (76, low + 2.5), (xs[3] + w + 0.7, low + 2.5)])  # inference
    ax.text(73.5, 12.5, "inference", ha="right", va="center", fontsize=9, color="0.25")
    arrow([(xs[3] - 0.7, low + h / 2), (xs[2] + w + 0.7, low + h / 2)])
    fig.tight_layout()
    return fig
