"""Unsupervised segmentation baselines for the LOC chapter: per-image K-means and GrabCut.

All take images of shape (N, 3, H, W) float in [0, 1] and return uint8 masks (N, H, W),
1 = foreground.

* :func:`kmeans_labels` clusters each image's pixel colours (RGB in [0, 1]) with OpenCV's
  ``cv2.kmeans``; :func:`kmeans_masks` binarises the labels with LOC's median rule
  (:func:`osa_lib.segmentation.loc.median_binarize`). K-means label ids carry no order (they depend on the
  initialisation), so that rule amounts to an arbitrary choice of the foreground cluster for
  ``k = 2``: this is what "binarised by the same median rule" means for K-means.
* :func:`kmeans_centre_masks`: ``k = 2``, the cluster that holds most pixels of a central window
  is called foreground (uses the prior "the flower is in the middle").
* :func:`grabcut_masks`: OpenCV's GrabCut initialised with a centred rectangle (everything
  outside it is fixed as background).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
from tqdm import tqdm

from osa_lib.segmentation.masks import median_binarize
from osa_lib.validation import check_images


def _k_per_image(k, n: int) -> np.ndarray:
    ks = np.full(n, int(k)) if np.ndim(k) == 0 else np.asarray(k, dtype=int)
    if ks.shape != (n,):
        raise ValueError(f"k must be an int or one value per image ({n}), got shape {ks.shape}")
    if ks.min() < 1:
        raise ValueError(f"k must be >= 1, got {ks.min()}")
    return ks


def kmeans_labels(X, k=2, *, random_state: int = 0, n_init: int = 3, max_iter: int = 100,
                  progress: bool = False) -> np.ndarray:
    """Per-image K-means on pixel colours: labels (N, H, W) int64.

    OpenCV's ``cv2.kmeans`` (k-means++ seeding, best of ``n_init`` runs by compactness, Lloyd
    iterations until the centres move less than 1e-4 or ``max_iter``); ``cv2``'s RNG is seeded
    with ``random_state`` once per call, so a call is deterministic. ``k``: an int, or one int
    per image (e.g. LOC's per-image cluster count); an image with fewer distinct colours than
    ``k`` gets as many clusters as it has colours.
    """
    import cv2

    X = check_images(X)
    N, C, H, W = X.shape
    ks = _k_per_image(k, N)
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, int(max_iter), 1e-4)
    cv2.setRNGSeed(int(random_state))
    out = np.zeros((N, H, W), dtype=np.int64)
    desc = f"K-means (k={k})" if np.ndim(k) == 0 else "K-means (k per image)"
    for i in tqdm(range(N), desc=desc, disable=not progress, leave=False):
        pixels = np.ascontiguousarray(X[i].reshape(C, -1).T, dtype=np.float32)       # (H*W, 3)
        kk = int(min(ks[i], len(np.unique(pixels, axis=0))))
        if kk <= 1:
            continue
        _, labels, _ = cv2.kmeans(pixels, kk, None, criteria, int(n_init), cv2.KMEANS_PP_CENTERS)
        out[i] = labels.reshape(H, W)
    return out


def kmeans_masks(X, k=2, **kwargs) -> np.ndarray:
    """Per-image K-means labels binarised by the median rule (see the module docstring)."""
    return median_binarize(kmeans_labels(X, k, **kwargs))


def centre_window(H: int, W: int, fraction: float = 0.25) -> tuple[slice, slice]:
    """The central window whose sides are ``fraction`` of the image's."""
    if not 0 < fraction <= 1:
        raise ValueError(f"fraction must lie in (0, 1], got {fraction}")
    h, w = max(1, round(fraction * H)), max(1, round(fraction * W))
    top, left = (H - h) // 2, (W - w) // 2
    return slice(top, top + h), slice(left, left + w)


def kmeans_centre_masks(X, *, fraction: float = 0.25, random_state: int = 0, n_init: int = 3,
                        progress: bool = False) -> np.ndarray:
    """K-means with k = 2 per image; foreground = the cluster holding most of the central window."""
    labels = kmeans_labels(X, 2, random_state=random_state, n_init=n_init, progress=progress)
    N, H, W = labels.shape
    rows, cols = centre_window(H, W, fraction)
    out = np.zeros(labels.shape, dtype=np.uint8)
    for i, lab in enumerate(labels):
        centre = np.bincount(lab[rows, cols].ravel(), minlength=2)
        out[i] = lab == int(centre.argmax())
    return out


def grabcut_masks(X, *, margin: float = 0.1, iterations: int = 5, random_state: int = 0,
                  progress: bool = False) -> np.ndarray:
    """OpenCV GrabCut from a centred rectangle that leaves ``margin`` of each side outside.

    Pixels labelled definite or probable foreground form the mask. OpenCV's GMM initialisation
    draws from ``cv2``'s global RNG, which is seeded with ``random_state`` first.
    """
    import cv2

    X = check_images(X)
    if not 0 <= margin < 0.5:
        raise ValueError(f"margin must lie in [0, 0.5), got {margin}")
    if iterations < 1:
        raise ValueError(f"iterations must be >= 1, got {iterations}")
    N, C, H, W = X.shape
    mx, my = max(1, round(margin * W)), max(1, round(margin * H))
    rect = (mx, my, W - 2 * mx, H - 2 * my)
    cv2.setRNGSeed(int(random_state))
    out = np.zeros((N, H, W), dtype=np.uint8)
    for i in tqdm(range(N), desc="GrabCut", disable=not progress, leave=False):
        bgr = np.ascontiguousarray((X[i].transpose(1, 2, 0)[:, :, ::-1] * 255).round().astype(np.uint8))
        mask = np.zeros((H, W), np.uint8)
        bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
        try:
            cv2.grabCut(bgr, mask, rect, bgd, fgd, int(iterations), cv2.GC_INIT_WITH_RECT)
        except cv2.error:
            # a flat image: GrabCut cannot fit its colour models; nothing is foreground
            continue
        out[i] = (mask == cv2.GC_FGD) | (mask == cv2.GC_PR_FGD)
    return out
