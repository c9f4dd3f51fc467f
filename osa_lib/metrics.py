"""Evaluation metrics of appendix A: numpy in, float out.

Clustering (eq 23, first case): accuracy after mapping each cluster to a class,
either ``"majority"`` (each cluster takes its most frequent true class; clusters may
share a class, which is what the paper needs for 30 clusters) or ``"hungarian"``
(one-to-one, the deep-clustering standard). NMI and ARI come from scikit-learn.
"""
from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

MAPPINGS = ("majority", "hungarian")


def _check_labels(y_true, y_pred) -> tuple[np.ndarray, np.ndarray]:
    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred)
    for name, y in (("y_true", y_true), ("y_pred", y_pred)):
        if y.ndim != 1:
            raise ValueError(f"{name} must be 1-D of shape (n_samples,), got shape {y.shape}")
        if y.size == 0:
            raise ValueError(f"{name} is empty")
        if not np.issubdtype(y.dtype, np.integer):
            # Floats are accepted when they are whole numbers; they still go through
            # the sign check below (a ``continue`` here once let -1.0 through).
            if not (np.issubdtype(y.dtype, np.floating) and np.all(np.isfinite(y)) and np.all(y == np.round(y))):
                raise ValueError(f"{name} must hold integer labels, got dtype {y.dtype}")
        if y.min() < 0:
            raise ValueError(f"{name} must hold non-negative labels, got min {y.min()}")
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true and y_pred differ in length: {y_true.shape[0]} vs {y_pred.shape[0]}")
    return y_true.astype(np.int64), y_pred.astype(np.int64)


def contingency(y_true, y_pred) -> np.ndarray:
    """Counts ``C[k, c]`` of examples in cluster ``k`` with true class ``c``; shape (K, C)."""
    y_true, y_pred = _check_labels(y_true, y_pred)
    table = np.zeros((y_pred.max() + 1, y_true.max() + 1), dtype=np.int64)
    np.add.at(table, (y_pred, y_true), 1)
    return table


def cluster_to_class(y_true, y_pred, mapping: str = "majority") -> dict[int, int]:
    """The cluster -> class map used by :func:`cluster_accuracy` (only non-empty clusters)."""
    if mapping not in MAPPINGS:
        raise ValueError(f"unknown mapping {mapping!r}; use one of {MAPPINGS}")
    table = contingency(y_true, y_pred)
    used = np.flatnonzero(table.sum(axis=1) > 0)
    if mapping == "majority":
        return {int(k): int(table[k].argmax()) for k in used}
    rows, cols = linear_sum_assignment(table[used], maximize=True)
    return {int(used[r]): int(c) for r, c in zip(rows, cols)}


def cluster_accuracy(y_true, y_pred, mapping: str = "majority") -> float:
    """Clustering accuracy (eq 23) in [0, 1] after mapping clusters to classes.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True class labels, non-negative integers.
    y_pred : array-like of shape (n_samples,)
        Cluster ids, non-negative integers (any number of clusters).
    mapping : {"majority", "hungarian"}
        ``"majority"``: every cluster takes its most frequent class (many-to-one).
        ``"hungarian"``: the best one-to-one assignment (scipy's
        ``linear_sum_assignment``); with more clusters than classes the surplus
        clusters count as wrong.
    """
    if mapping not in MAPPINGS:
        raise ValueError(f"unknown mapping {mapping!r}; use one of {MAPPINGS}")
    table = contingency(y_true, y_pred)
    if mapping == "majority":
        correct = table.max(axis=1).sum()
    else:
        rows, cols = linear_sum_assignment(table, maximize=True)
        correct = table[rows, cols].sum()
    return float(correct / table.sum())


def nmi(y_true, y_pred) -> float:
    """Normalised mutual information (scikit-learn, arithmetic normalisation)."""
    y_true, y_pred = _check_labels(y_true, y_pred)
    return float(normalized_mutual_info_score(y_true, y_pred))


def ari(y_true, y_pred) -> float:
    """Adjusted Rand index (scikit-learn)."""
    y_true, y_pred = _check_labels(y_true, y_pred)
    return float(adjusted_rand_score(y_true, y_pred))


def clustering_scores(y_true, y_pred, n_clusters: int | None = None) -> dict[str, float]:
    """All clustering metrics of the book for one prediction, as fractions.

    ``accuracy_hungarian`` is included only when the number of clusters equals the
    number of classes (``n_clusters`` defaults to ``max(y_pred) + 1``), since a
    one-to-one map is what that metric means.
    """
    y_true, y_pred = _check_labels(y_true, y_pred)
    n_classes = int(y_true.max()) + 1
    k = int(y_pred.max()) + 1 if n_clusters is None else int(n_clusters)
    scores = {"accuracy_majority": cluster_accuracy(y_true, y_pred, "majority")}
    if k == n_classes:
        scores["accuracy_hungarian"] = cluster_accuracy(y_true, y_pred, "hungarian")
    scores["nmi"] = nmi(y_true, y_pred)
    scores["ari"] = ari(y_true, y_pred)
    return scores
