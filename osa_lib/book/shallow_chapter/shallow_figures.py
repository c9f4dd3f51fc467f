"""Figures of the shallow ACRBM chapter: image grids, embeddings, the cluster-count sweep (Figures 5 and 9),
confusion matrices, and the words the chapter's sentences use for them (rises, falls, stays flat: computed
from the numbers each sentence quotes, by :func:`osa_lib.book.judge.verdicts.direction`).

Functions take arrays or tables and return a Figure, in the book's style (:mod:`osa_lib.book.page.style`).
"""
from __future__ import annotations

from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np

from osa_lib.book.page.style import MAX_WIDTH, missing_figure
from osa_lib.book.judge.verdicts import FALLS, FLAT, RISES, direction

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


#: Figure 9's read-outs: column stem in :func:`osa_lib.book.shallow_chapter.shallow_runs.sweep_table`, label, colour, marker.
SWEEP_METRICS = (("accuracy_majority", "accuracy (majority mapping)", "C0", "o"),
                 ("confidence", "mean confidence (max h)", "C1", "s"),
                 ("cluster_usage", "clusters in use", "C2", "^"))


def sweep_plot(reference=None, *, run=None, reference_label: str = "paper profile (mean ± std over seeds)",
               run_label: str = "this run", paper_points: Mapping[int, float] | None = None):
    """Figure 9: accuracy, mean confidence and cluster usage (percent) against K.

    ``reference`` (the paper-profile sweep) is drawn with error bars of ±1 std over its
    seeds; ``run`` (e.g. this build's ci run) is drawn faint beside it. Either may be
    None. Both are tables from :func:`osa_lib.book.shallow_chapter.shallow_runs.sweep_table` (columns
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
    """The numbers Figure 9's text quotes, from a sweep table (:func:`osa_lib.book.shallow_chapter.shallow_runs.sweep_table`).

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


#: How a direction of :func:`osa_lib.book.judge.verdicts.direction` reads in a sentence.
TREND_WORDS = {RISES: "rises", FALLS: "falls", FLAT: "stays flat"}


def _mean(value) -> float:
    return float(np.mean(value["per_seed"] if isinstance(value, Mapping) else value))


def trend_word(before, after) -> str:
    """"rises", "falls" or "stays flat" from ``before`` to ``after`` (record metrics, per-seed values or
    numbers), judged by :func:`osa_lib.book.judge.verdicts.direction`: a sentence built on it cannot say a
    read-out falls where its own numbers rise."""
    return TREND_WORDS[direction(before, after)]


def _turning_points(values: Sequence) -> list[int]:
    """Indices where a sweep turns, judged by :func:`trend_word`: from each point, the first later point that
    differs (beyond noise) sets the direction, followed to its extreme until the curve turns back; a tail
    that never differs from its start is one flat stretch to the end."""
    points, i, n = [0], 0, len(values)
    while i < n - 1:
        moved = [j for j in range(i + 1, n) if trend_word(values[i], values[j]) != "stays flat"]
        if not moved:
            points.append(n - 1)
            break
        way, best = trend_word(values[i], values[moved[0]]), moved[0]
        sign = 1 if way == "rises" else -1
        for j in range(best + 1, n):
            step = trend_word(values[best], values[j])
            # a later point further that way (beyond noise, or within it but more extreme) becomes the extreme
            if step == way or (step == "stays flat" and sign * (_mean(values[j]) - _mean(values[best])) > 0):
                best = j
            elif step != "stays flat":
                break
        points.append(best)
        i = best
    return points


def trend_segments(ks: Sequence[int], values: Sequence) -> list[tuple[str, int, int]]:
    """The stretches of a sweep (``values[i]`` at ``ks[i]``, sorted by K) between its turning points, each
    with its direction: ``[(word, k_from, k_to), ...]``. Small steps that each stay inside noise but add up
    to a change count as that change."""
    if len(ks) != len(values) or len(ks) < 2:
        raise ValueError("a trend needs at least two sizes, one value (or per-seed values) per size")
    points = _turning_points(values)
    return [(trend_word(values[a], values[b]), int(ks[a]), int(ks[b])) for a, b in zip(points, points[1:])]


def trend_text(ks: Sequence[int], values: Sequence, *, digits: int = 4, unit: str = "") -> str:
    """A read-out along a sweep in words computed from its numbers, stretch by stretch (:func:`trend_segments`),
    e.g. "falls from 0.1764 (K = 2) to 0.1240 (K = 30), rises to 0.1278 (K = 100), then stays flat to 0.1266
    (K = 300)"."""
    index = {int(k): i for i, k in enumerate(ks)}
    def at(k):
        return f"{_mean(values[index[k]]):.{digits}f}{unit} (K = {k})"
    if len(ks) == 1:
        return f"is {at(int(ks[0]))} (one size only: no trend)"
    segments = trend_segments(ks, values)
    parts = [f"{segments[0][0]} from {at(segments[0][1])} to {at(segments[0][2])}"]
    parts += [f"{'then ' if n == len(segments) - 1 else ''}{w} to {at(b)}" for n, (w, _, b) in enumerate(segments)
              if n > 0]
    return ", ".join(parts)


def sweep_series(record: Mapping, stem: str, scale: float = 1.0) -> tuple[list[int], list[list[float]]]:
    """The sizes of a sweep record and, per size, the per-seed values of ``<stem>_k<K>`` times ``scale``."""
    ks = sorted(int(k) for k in record["params"]["sizes"])
    return ks, [[scale * v for v in record["metrics"][f"{stem}_k{k}"]["per_seed"]] for k in ks]


def figure9_sentence(record: Mapping, *, near: float = 1.0) -> str:
    """Figure 9's result in words from a sweep record: where the accuracy is best and which way it goes before
    and after, and the directions of the mean confidence and of the share of clusters in use (each word
    from :func:`trend_word` on the per-seed values)."""
    ks, acc = sweep_series(record, "accuracy_majority", 100)
    means = [_mean(v) for v in acc]
    best = int(np.argmax(means))
    close = [k for k, m in zip(ks, means) if m >= means[best] - near]
    around = (f" (within {near:g} point of the best: K = {', '.join(map(str, close))})" if len(close) > 1 else "")
    if len(ks) == 1:
        text = f"accuracy is {means[0]:.1f} % at K = {ks[0]} (one size only: no trend)"
    elif best == 0:
        text = (f"accuracy is highest at the smallest K, {means[0]:.1f} % at K = {ks[0]}, and "
                f"{trend_word(acc[0], acc[-1])} to {means[-1]:.1f} % at K = {ks[-1]}")
    else:
        text = (f"accuracy {trend_word(acc[0], acc[best])} from {means[0]:.1f} % at K = {ks[0]} to its best mean, "
                f"{means[best]:.1f} % at K = {ks[best]}{around}")
        if best < len(ks) - 1:
            text += f", then {trend_word(acc[best], acc[-1])} to {means[-1]:.1f} % at K = {ks[-1]}"
    confidence = trend_text(*sweep_series(record, "confidence", 100), digits=1, unit=" %")
    usage = trend_text(*sweep_series(record, "cluster_usage", 100), digits=1, unit=" %")
    return f"{text}; the mean confidence {confidence}; the share of clusters in use {usage}"


def distortion_sentence(table) -> str:
    """Figure 8's distortion in words from its table (columns ``K``, ``trustworthiness``,
    ``knn_agreement_codes``; one run): which way the map's trustworthiness and the code space's 10-NN label
    agreement go as K grows, and whether that is the "less distortion" the paper describes."""
    t = table.sort_values("K")
    if len(t) < 2:
        return "one size only: no trend to read"
    ks = [int(k) for k in t["K"]]
    trust = [float(v) for v in t["trustworthiness"]]
    agree = [100 * float(v) for v in t["knn_agreement_codes"]]
    word = trend_word(trust[0], trust[-1])
    meaning = {"rises": "the map keeps more of the codes' neighbourhoods as K grows, the \"less distortion\" the "
                        "paper describes",
               "falls": "the map keeps fewer of the codes' neighbourhoods as K grows, the opposite of the "
                        "\"less distortion\" the paper describes",
               "stays flat": "the map distorts the codes about as much at every K, neither more nor less"}[word]
    return (f"the trustworthiness of the map {trend_text(ks, trust, digits=3)}, and the 10-NN label agreement in "
            f"code space {trend_text(ks, agree, digits=1, unit=' %')}. From the smallest to the largest K, {meaning}")


def confusion_panels(shares: Mapping[str, np.ndarray], class_names: Sequence[str], *,
                     colorbar_label: str = "share of the true class's test images (%)"):
    """Confusion matrices side by side, one panel per method: ``shares[title]`` is (C, C) percent, rows the
    true class, columns the class the majority mapping assigns; each cell is written in it (rounded) when at
    least 1 %. One colour scale, 0–100 %, for every panel, with its label."""
    n = len(shares)
    if n == 0:
        return missing_figure("No record keeps confusion counts.")
    width = MAX_WIDTH
    fig, axes = plt.subplots(1, n, figsize=(width, 0.62 * width / n + 1.6 if n > 1 else 5.2), squeeze=False,
                             layout="constrained")
    image = None
    ticks = np.arange(len(class_names))
    for i, (ax, (title, matrix)) in enumerate(zip(axes[0], shares.items())):
        matrix = np.asarray(matrix, dtype=float)
        image = ax.imshow(matrix, cmap="Blues", vmin=0, vmax=100)
        for r in range(matrix.shape[0]):
            for c in range(matrix.shape[1]):
                if matrix[r, c] >= 1:
                    ax.text(c, r, f"{matrix[r, c]:.0f}", ha="center", va="center", fontsize=9,
                            color="white" if matrix[r, c] > 60 else "black")
        ax.set_title(title)
        ax.set_xticks(ticks, class_names, rotation=90)
        ax.set_yticks(ticks, class_names if i == 0 else [])
        ax.set_xlabel("assigned class (majority mapping)")
        if i == 0:
            ax.set_ylabel("true class")
        ax.grid(False)
    bar = fig.colorbar(image, ax=axes.ravel().tolist(), fraction=0.03, pad=0.02)
    bar.set_label(colorbar_label)
    return fig


def reconstruction_sentence(ks: Sequence[int], values: Sequence) -> str:
    """Figure 5's claim (a larger latent size reconstructs better) read off the reconstruction error along a
    sweep (per-seed values or numbers per K): it holds where no stretch of :func:`trend_segments` rises; holds
    only end to end where the error falls overall but rises somewhere; and does not hold where it does not fall
    overall."""
    if len(ks) < 2:
        return "with one size only, the error shows no trend, so the claim is not checked"
    overall = trend_word(values[0], values[-1])
    rising = [(a, b) for w, a, b in trend_segments(ks, values) if w == "rises"]
    if overall == "falls" and not rising:
        return "the error never rises with K: the paper's claim that a larger latent size reconstructs better holds here"
    stretches = ", ".join(f"K = {a} to {b}" for a, b in rising)
    if overall == "falls":
        return (f"the error is lower at the largest K than at the smallest but rises from {stretches}: the paper's "
                "claim that a larger latent size reconstructs better holds end to end, not at every step")
    return (f"the error {overall} from the smallest to the largest K: the paper's claim that a larger latent size "
            "reconstructs better does not hold here")
