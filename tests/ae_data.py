"""Tiny synthetic images for the AE tests (nothing is committed)."""
from __future__ import annotations

import numpy as np


def blob_images(n: int = 240, n_clusters: int = 3, seed: int = 0):
    """``n`` rows of 784 pixels in [0, 1]: each class lights its own horizontal band of a 28x28 image."""
    rng = np.random.default_rng(seed)
    y = rng.permutation(np.arange(n) % n_clusters)
    images = np.full((n, 28, 28), 0.05, dtype=np.float32)
    band = 28 // n_clusters
    for i, c in enumerate(y):
        images[i, c * band:(c + 1) * band, 4:24] = 0.9
    images += rng.normal(0.0, 0.05, size=images.shape).astype(np.float32)
    return np.clip(images, 0.0, 1.0).reshape(n, 784), y.astype(np.int64)
