"""From observer maps to clusters and binary masks: integer labels, the median rule, cluster counts.

``G`` (N, 1, H, W) or (N, H, W) is clipped at 0 and rounded (:func:`extract_labels`); the binary
mask keeps the labels above the image's median label (:func:`median_binarize`).
"""
from __future__ import annotations

import numpy as np
import torch

# --------------------------------------------------------------------------- clusters and masks

def extract_labels(G, max_label: int | None = None) -> np.ndarray:
    """Cluster labels from the observer's output: clip at 0 (and at ``max_label``), round to integers.

    ``G``: array or tensor of shape (..., H, W) (a channel axis of size 1 is dropped). Returns
    int64 labels of the same shape without that axis. Rounding is numpy's (half to even).
    """
    g = G.detach().cpu().numpy() if torch.is_tensor(G) else np.asarray(G, dtype=float)
    if g.ndim == 4:
        if g.shape[1] != 1:
            raise ValueError(f"G must have one channel, got shape {g.shape}")
        g = g[:, 0]
    if g.ndim not in (2, 3):
        raise ValueError(f"G must have shape (H, W), (N, H, W) or (N, 1, H, W), got {g.shape}")
    if not np.all(np.isfinite(g)):
        raise ValueError("G holds NaN or infinite values")
    if max_label is not None and max_label < 0:
        raise ValueError(f"max_label must be >= 0, got {max_label}")
    return np.rint(np.clip(g, 0, max_label)).astype(np.int64)


def _check_labels_map(labels) -> tuple[np.ndarray, bool]:
    lab = np.asarray(labels)
    if lab.ndim not in (2, 3):
        raise ValueError(f"labels must have shape (H, W) or (N, H, W), got {lab.shape}")
    if lab.size == 0:
        raise ValueError("labels are empty")
    if not np.issubdtype(lab.dtype, np.integer):
        if not (np.issubdtype(lab.dtype, np.floating) and np.all(lab == np.rint(lab))):
            raise ValueError(f"labels must be integers, got dtype {lab.dtype}")
        lab = lab.astype(np.int64)
    single = lab.ndim == 2
    return (lab[None] if single else lab), single


def median_binarize(labels) -> np.ndarray:
    """The paper's binary mask: per image, labels at or below the median of its distinct labels -> 0.

    ``labels``: integers of shape (H, W) or (N, H, W). The distinct labels of each image are
    sorted; those ``<=`` their median (numpy's median: the mean of the two middle labels for an
    even count) become background 0, the rest foreground 1. One label -> all background.
    Returns uint8 of the input's shape.
    """
    lab, single = _check_labels_map(labels)
    out = np.zeros(lab.shape, dtype=np.uint8)
    for i, l in enumerate(lab):
        med = np.median(np.unique(l))
        out[i] = l > med
    return out[0] if single else out


def count_clusters(labels) -> np.ndarray:
    """Number of distinct labels in each image: int64 of shape (N,) (or a 0-d array for one image)."""
    lab, single = _check_labels_map(labels)
    counts = np.array([len(np.unique(l)) for l in lab], dtype=np.int64)
    return counts[0] if single else counts
