"""osa_lib.segmentation.baselines: per-image K-means (median rule, centre cluster) and GrabCut."""
from __future__ import annotations

import numpy as np
import pytest

from osa_lib.segmentation.baselines import (centre_window, grabcut_masks, kmeans_centre_masks, kmeans_labels,
                                            kmeans_masks)
from osa_lib.segmentation.loc import count_clusters


def _two_colour_image(size: int = 24) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    mask = np.zeros((size, size), dtype=np.uint8)
    mask[6:18, 7:17] = 1
    img = np.empty((3, size, size), dtype=np.float32)
    img[:] = np.array([0.1, 0.5, 0.1], dtype=np.float32)[:, None, None]          # green background
    img[:, mask == 1] = np.array([0.95, 0.85, 0.1], dtype=np.float32)[:, None]   # yellow flower
    img = np.clip(img + rng.normal(0, 0.02, img.shape), 0, 1).astype(np.float32)
    return img[None], mask[None]


def test_kmeans_finds_the_two_colours():
    X, mask = _two_colour_image()
    labels = kmeans_labels(X, 2)
    assert labels.shape == mask.shape and count_clusters(labels)[0] == 2
    fg = labels == labels[0, 12, 12]
    np.testing.assert_array_equal(fg[0], mask[0].astype(bool))
    m = kmeans_masks(X, 2)
    np.testing.assert_array_equal(m, (labels == 1).astype(np.uint8))    # the median rule keeps label 1, whichever colour it is
    np.testing.assert_array_equal(kmeans_centre_masks(X), mask)          # the centre picks the flower
    assert count_clusters(kmeans_labels(X, [3]))[0] == 3
    np.testing.assert_array_equal(kmeans_labels(X, 2), kmeans_labels(X, 2))   # seeded


def test_kmeans_flat_image_and_bad_inputs():
    flat = np.full((1, 3, 8, 8), 0.5, dtype=np.float32)
    assert kmeans_labels(flat, 2).max() == 0
    with pytest.raises(ValueError, match=r"\(N, 3, H, W\)"):
        kmeans_labels(np.zeros((2, 8, 8)))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        kmeans_labels(np.full((1, 3, 4, 4), 2.0))
    with pytest.raises(ValueError, match="one value per image"):
        kmeans_labels(flat, [2, 3])
    with pytest.raises(ValueError, match="fraction"):
        centre_window(8, 8, 0)


def test_grabcut_recovers_a_centred_flower():
    X, mask = _two_colour_image(32)
    pred = grabcut_masks(X, margin=0.1)
    assert pred.shape == mask.shape
    inter, union = (pred & mask).sum(), (pred | mask).sum()
    assert inter / union > 0.9
    with pytest.raises(ValueError, match="margin"):
        grabcut_masks(X, margin=0.5)

