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


def contingency(y_true, y_pred, n_clusters: int | None = None, n_classes: int | None = None) -> np.ndarray:
    """Counts ``C[k, c]`` of examples in cluster ``k`` with true class ``c``; shape (K, C).

    K and C default to the largest label seen plus one; give ``n_clusters``/``n_classes`` for a fixed
    shape (a cluster or class no example falls in keeps its row or column of zeros, so tables of
    several seeds line up)."""
    y_true, y_pred = _check_labels(y_true, y_pred)
    k = int(y_pred.max()) + 1 if n_clusters is None else int(n_clusters)
    c = int(y_true.max()) + 1 if n_classes is None else int(n_classes)
    if k <= y_pred.max() or c <= y_true.max():
        raise ValueError(f"labels exceed the table: clusters up to {y_pred.max()} for n_clusters={k}, "
                         f"classes up to {y_true.max()} for n_classes={c}")
    table = np.zeros((k, c), dtype=np.int64)
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
    y_true, y_pred = _check_labels(y_true, y_pred)
    to_class = cluster_to_class(y_true, y_pred, mapping)
    lookup = np.full(int(y_pred.max()) + 1, -1, dtype=np.int64)   # unmapped clusters count as wrong
    lookup[list(to_class)] = list(to_class.values())
    return float(np.mean(lookup[y_pred] == y_true))


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


# --------------------------------------------------------------------------- segmentation (eq 23-25)

SEGMENTATION_METRICS = ("pixel_accuracy", "iou", "dice")


def trivial_reconstruction_mse(X_train, X_test) -> dict[str, float]:
    """Mean squared error per pixel of two reconstructions that learn nothing about an image, on ``X_test``:
    ``all_black`` (every pixel 0) and ``mean_image`` (the mean of the rows of ``X_train``). A model's
    reconstruction error means something only below these. ``X_train`` (n, d), ``X_test`` (m, d)."""
    X_train = np.asarray(X_train, dtype=np.float64)
    X_test = np.asarray(X_test, dtype=np.float64)
    if X_train.ndim != 2 or X_test.ndim != 2 or X_train.shape[1] != X_test.shape[1] or not len(X_train) or not len(X_test):
        raise ValueError(f"X_train and X_test must be non-empty 2-D arrays with the same columns, got "
                         f"{X_train.shape} and {X_test.shape}")
    mean_image = X_train.mean(axis=0)
    return {"all_black": float(np.mean(X_test ** 2)), "mean_image": float(np.mean((X_test - mean_image) ** 2))}


def _check_masks(true_masks, pred_masks, ignore_mask=None):
    """Validate binary masks; return (N, H, W) bool arrays (``ignore`` None or bool)."""
    arrays = {}
    for name, m in (("true_masks", true_masks), ("pred_masks", pred_masks)):
        a = np.asarray(m)
        if a.ndim == 2:
            a = a[None]
        if a.ndim != 3:
            raise ValueError(f"{name} must have shape (N, H, W) or (H, W), got shape {a.shape}")
        if a.shape[0] == 0 or a.shape[1] == 0 or a.shape[2] == 0:
            raise ValueError(f"{name} is empty (shape {a.shape})")
        if a.dtype != bool:
            if not (np.issubdtype(a.dtype, np.integer) or np.issubdtype(a.dtype, np.floating)):
                raise ValueError(f"{name} must hold 0/1 values, got dtype {a.dtype}")
            bad = ~np.isin(a, (0, 1))
            if bad.any():
                raise ValueError(f"{name} must be binary (0/1), found value {a[bad].flat[0]!r}")
            a = a.astype(bool)
        arrays[name] = a
    y, p = arrays["true_masks"], arrays["pred_masks"]
    if y.shape != p.shape:
        raise ValueError(f"true_masks and pred_masks differ in shape: {y.shape} vs {p.shape}")
    ign = None
    if ignore_mask is not None:
        ign = np.asarray(ignore_mask)
        if ign.ndim == 2:
            ign = ign[None]
        if ign.shape != y.shape:
            raise ValueError(f"ignore_mask must have the masks' shape {y.shape}, got {ign.shape}")
        if ign.dtype != bool:
            if not np.all(np.isin(ign, (0, 1))):
                raise ValueError("ignore_mask must be boolean (or 0/1)")
            ign = ign.astype(bool)
        full = ign.reshape(len(ign), -1).all(axis=1)
        if full.any():
            raise ValueError(f"ignore_mask ignores every pixel of image {int(np.flatnonzero(full)[0])}; "
                             "nothing is left to score")
    return y, p, ign


def segmentation_scores_per_image(true_masks, pred_masks, ignore_mask=None) -> dict[str, np.ndarray]:
    """Pixel accuracy, IoU and Dice of every image (arrays of shape (N,), fractions).

    Same conventions as :func:`segmentation_scores`.
    """
    y, p, ign = _check_masks(true_masks, pred_masks, ignore_mask)
    valid = np.ones_like(y) if ign is None else ~ign
    n = len(y)
    y = (y & valid).reshape(n, -1)
    p_valid = (p & valid).reshape(n, -1)
    valid = valid.reshape(n, -1)
    n_valid = valid.sum(axis=1)
    correct = ((y == p_valid) & valid).sum(axis=1)
    inter = (y & p_valid).sum(axis=1)
    union = (y | p_valid).sum(axis=1)
    total = y.sum(axis=1) + p_valid.sum(axis=1)
    iou = np.where(union > 0, inter / np.maximum(union, 1), 1.0)
    dice = np.where(total > 0, 2 * inter / np.maximum(total, 1), 1.0)
    return {"pixel_accuracy": correct / n_valid, "iou": iou.astype(float), "dice": dice.astype(float)}


def segmentation_scores(true_masks, pred_masks, ignore_mask=None) -> dict[str, float]:
    """Pixel accuracy (eq 23), IoU (eq 24) and Dice (eq 25) of binary masks, as fractions.

    Each score is computed per image and averaged over images (IoU and Dice as the paper
    writes them; accuracy the same way, so that large and small images weigh alike).

    Parameters
    ----------
    true_masks, pred_masks : array-like of shape (N, H, W) or (H, W)
        Binary masks (bool or 0/1), 1 = foreground.
    ignore_mask : array-like of the same shape, optional
        True where a pixel is not scored (for example the unlabelled band of a trimap).
        Ignored pixels count in neither mask.

    Returns
    -------
    dict with ``pixel_accuracy``, ``iou``, ``dice`` in [0, 1]. An image whose true and
    predicted masks are both empty (over the scored pixels) has IoU = Dice = 1.

    Raises
    ------
    ValueError
        Shapes differ or are not 2-D/3-D, masks are not binary, or an image has no scored pixel.
    """
    per_image = segmentation_scores_per_image(true_masks, pred_masks, ignore_mask)
    return {k: float(np.mean(per_image[k])) for k in SEGMENTATION_METRICS}
