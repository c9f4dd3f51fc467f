"""The clothes behind the Fashion-MNIST numbers: confusion matrices and the upper-body classes, from records.

A shallow-chapter record (:func:`osa_lib.book.shallow_chapter.shallow_runs.run_clustering`) keeps, per seed, the test
split's cluster × class counts (``confusion_per_seed``). Cluster numbers mean nothing across seeds, so
tables of several seeds are pooled only after the majority mapping has turned each cluster into a class:
:func:`assigned_confusion` (true class × assigned class) adds up across seeds; :func:`clusters_led` counts
the clusters each class leads. :func:`upper_body_summary` reads the four upper-body classes of
Fashion-MNIST (T-shirt/top, Pullover, Coat, Shirt) off the same tables.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

#: Fashion-MNIST's classes worn on the upper body, which look alike at 28 × 28 pixels (class ids).
UPPER_BODY = (0, 2, 4, 6)
#: A cluster "holds a share" of a class's images from this share up (the spread of a class over clusters).
SPREAD_SHARE = 0.10


def confusion_tables(record: Mapping) -> list[np.ndarray]:
    """The per-seed cluster × class counts of a record, as int arrays (K, C); ValueError when it has none
    (a record written before runs kept them)."""
    tables = record.get("confusion_per_seed")
    if not tables:
        raise ValueError(f"record {record.get('dataset')}/{record.get('experiment')} keeps no confusion_per_seed")
    return [np.asarray(t, dtype=np.int64) for t in tables]


def majority_classes(table) -> np.ndarray:
    """The class each cluster is mapped to by the majority mapping (its most frequent true class); -1 for an
    empty cluster (it holds no test image and leads nothing)."""
    table = np.asarray(table)
    return np.where(table.sum(axis=1) > 0, table.argmax(axis=1), -1)


def assigned_confusion(table) -> np.ndarray:
    """True class × assigned class counts (C, C) of one seed: each test image counts under the class its
    cluster is mapped to (majority mapping). The diagonal sums to the majority accuracy's numerator."""
    table = np.asarray(table, dtype=np.int64)
    n_classes = table.shape[1]
    out = np.zeros((n_classes, n_classes), dtype=np.int64)
    for cluster, cls in enumerate(majority_classes(table)):
        if cls >= 0:
            out[:, cls] += table[cluster]
    return out


def pooled_confusion(tables: Sequence) -> np.ndarray:
    """:func:`assigned_confusion` added up over seeds (C, C): every seed's test images, each under its class."""
    return np.sum([assigned_confusion(t) for t in tables], axis=0)


def row_shares(confusion) -> np.ndarray:
    """Each row of a confusion matrix as percent of its total (a row with no image stays 0)."""
    confusion = np.asarray(confusion, dtype=float)
    totals = confusion.sum(axis=1, keepdims=True)
    return 100 * np.divide(confusion, totals, out=np.zeros_like(confusion), where=totals > 0)


def clusters_led(table) -> np.ndarray:
    """How many clusters each class leads (is the majority class of) in one seed's table: (C,) ints."""
    table = np.asarray(table)
    led = majority_classes(table)
    return np.bincount(led[led >= 0], minlength=table.shape[1])


def upper_body_summary(tables: Sequence, classes: Sequence[int] = UPPER_BODY, *,
                       spread_share: float = SPREAD_SHARE) -> dict:
    """What the majority mapping makes of ``classes`` (default: the upper-body ones), per seed.

    Returns per-seed lists (one value per seed, seed order), fractions where a share:

    * ``clusters``: clusters led by any of ``classes``; ``n_clusters``: clusters in the table;
    * ``led[c]``: clusters class ``c`` leads; ``absent[c]``: 1 where ``c`` leads none (its images all count
      as errors), else 0;
    * ``own``: share of the group's images in a cluster led by their own class (the group's accuracy);
      ``group``: in a cluster led by *another* class of the group; ``outside``: in a cluster led by a class
      outside it (the three add up to 1);
    * ``largest[c]``: share of class ``c``'s images in the one cluster that holds most of them;
      ``spread[c]``: clusters holding at least ``spread_share`` of them.
    """
    classes = [int(c) for c in classes]
    out = {"spread_share": float(spread_share), "clusters": [], "n_clusters": [], "own": [], "group": [], "outside": [],
           "led": {c: [] for c in classes}, "absent": {c: [] for c in classes},
           "largest": {c: [] for c in classes}, "spread": {c: [] for c in classes}}
    for table in tables:
        table = np.asarray(table, dtype=np.int64)
        leader = majority_classes(table)
        led = clusters_led(table)
        out["clusters"].append(int(sum(led[c] for c in classes)))
        out["n_clusters"].append(int(table.shape[0]))
        images = table[:, classes]                       # (K, group) counts
        total = images.sum()
        own = sum(int(table[leader == c, c].sum()) for c in classes)
        group = int(images[np.isin(leader, classes)].sum()) - own
        out["own"].append(own / total)
        out["group"].append(group / total)
        out["outside"].append((total - own - group) / total)
        for c in classes:
            column = table[:, c]
            out["led"][c].append(int(led[c]))
            out["absent"][c].append(int(led[c] == 0))
            out["largest"][c].append(float(column.max() / column.sum()))
            out["spread"][c].append(int((column >= spread_share * column.sum()).sum()))
    return out


def _mean(values) -> float:
    return float(np.mean(values))


def _seeds(values, fmt: str = "{}") -> str:
    return ", ".join(fmt.format(v) for v in values)


def confusion_sentence(shares, class_names: Sequence[str], method: str) -> str:
    """One sentence on a pooled confusion matrix in percent of each true class (:func:`row_shares`): the
    class kept best, the class kept worst, and the largest confusion (the biggest cell off the diagonal)."""
    shares = np.asarray(shares, dtype=float)
    diagonal = np.diag(shares)
    best, worst = int(diagonal.argmax()), int(diagonal.argmin())
    off = shares.copy()
    np.fill_diagonal(off, -1.0)
    src, dst = np.unravel_index(int(off.argmax()), off.shape)
    return (f"{method} keeps {class_names[best]} best ({diagonal[best]:.0f} % of its images under their own class) "
            f"and {class_names[worst]} worst ({diagonal[worst]:.0f} %); its largest confusion sends "
            f"{off[src, dst]:.0f} % of the {class_names[src]} images to {class_names[dst]}")


def upper_body_text(summary: Mapping, class_names: Sequence[str], method: str) -> str:
    """The upper-body classes under one method, in words, from :func:`upper_body_summary`: the clusters they
    lead (mean and per seed, of how many), the classes that lead none and in how many seeds, where their
    images go (own class, another upper-body class, outside), and how spread each class is."""
    n_seeds = len(summary["clusters"])
    k = summary["n_clusters"][0]
    classes = list(summary["led"])
    led = "; ".join(f"{class_names[c]} {_mean(summary['led'][c]):.1f}" for c in classes)
    absent = [f"{class_names[c]} in {sum(summary['absent'][c])} of {n_seeds}" for c in classes
              if sum(summary["absent"][c])]
    text = (f"{method}: the {len(classes)} classes lead {_mean(summary['clusters']):.1f} of its {k} clusters on average "
            f"(per seed: {_seeds(summary['clusters'])}; by class: {led}). ")
    text += ("Every one of them leads a cluster in every seed. " if not absent else
             f"A class that leads no cluster has all its images counted as errors: {', '.join(absent)} seeds. ")
    text += (f"Of their test images, {100 * _mean(summary['own']):.1f} % land in a cluster led by their own class, "
             f"{100 * _mean(summary['group']):.1f} % in one led by another class of the group and "
             f"{100 * _mean(summary['outside']):.1f} % elsewhere. The single cluster holding most of a class holds "
             + ", ".join(f"{100 * _mean(summary['largest'][c]):.0f} % of {class_names[c]}" for c in classes)
             + " images; the images of each class fill "
             + ", ".join(f"{_mean(summary['spread'][c]):.1f} ({class_names[c]})" for c in classes)
             + f" clusters with at least {100 * summary['spread_share']:.0f} % of them each (means over {n_seeds} seeds).")
    return text
