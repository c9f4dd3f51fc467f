"""Shared fixtures: tiny synthetic data made on the fly (nothing is committed).

* ``real_data_dir``: the data root with the real MNIST files (``$OSA_DATA_DIR``, else
  the library's default root); tests that need it are skipped when it is absent.
* ``make_clusters``: a factory for well-separated synthetic rows in [0, 1].
* ``fake_mnist_root``: a factory that writes a tiny, valid MNIST raw folder in IDX format.
"""
from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
import torch

from osa_lib.data import mnist as osa_data

# Every tensor in the tests is tiny. On a 2-core machine that also runs notebooks,
# torch's intra-op thread pool then spends its time waiting for a core (a 3-epoch fit
# took 0.7 s with 2 threads and 0.015 s with 1). Results do not depend on it.
torch.set_num_threads(1)

MNIST_RAW_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                   "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


@pytest.fixture(scope="session")
def real_data_dir() -> Path:
    root = osa_data.default_data_dir()  # $OSA_DATA_DIR when set
    raw = root / "MNIST" / "raw"
    if not all((raw / f).is_file() for f in MNIST_RAW_FILES):
        pytest.skip(f"real MNIST not found under {root} (set {osa_data.DATA_ENV})")
    return root


def synthetic_clusters(n: int = 600, n_features: int = 64, n_clusters: int = 3, *, noise: float = 0.05,
                       seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` float32 rows in [0, 1] around ``n_clusters`` disjoint block prototypes, and their labels."""
    rng = np.random.default_rng(seed)
    block = n_features // n_clusters
    prototypes = np.full((n_clusters, n_features), 0.05)
    for k in range(n_clusters):
        prototypes[k, k * block:(k + 1) * block] = 0.95
    y = rng.permutation(np.arange(n) % n_clusters)  # balanced classes, shuffled
    X = np.clip(prototypes[y] + rng.normal(0.0, noise, size=(n, n_features)), 0.0, 1.0)
    return X.astype(np.float32), y.astype(np.int64)


@pytest.fixture(scope="session")
def make_clusters():
    return synthetic_clusters


def write_idx_images(path: Path, images: np.ndarray) -> None:
    """IDX3 file: magic 2051, then count, rows, cols (big-endian int32), then uint8 pixels."""
    n, rows, cols = images.shape
    path.write_bytes(struct.pack(">iiii", 2051, n, rows, cols) + images.astype(np.uint8).tobytes())


def write_idx_labels(path: Path, labels: np.ndarray) -> None:
    """IDX1 file: magic 2049, then count (big-endian int32), then uint8 labels."""
    path.write_bytes(struct.pack(">ii", 2049, len(labels)) + labels.astype(np.uint8).tobytes())


def write_fake_mnist(root: Path, n_train: int = 5, n_test: int = 4, seed: int = 0, folder: str = "MNIST") -> dict:
    """Write ``root/<folder>/raw`` with the four IDX files; return the arrays written."""
    rng = np.random.default_rng(seed)
    raw = Path(root) / folder / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    arrays = {}
    for split, n in (("train", n_train), ("t10k", n_test)):
        images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, size=n, dtype=np.uint8)
        write_idx_images(raw / f"{split}-images-idx3-ubyte", images)
        write_idx_labels(raw / f"{split}-labels-idx1-ubyte", labels)
        arrays[split] = (images, labels)
    return arrays


@pytest.fixture(scope="session")
def fake_mnist_root():
    return write_fake_mnist
