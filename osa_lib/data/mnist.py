"""Data sets and the data-root rules (SPEC §6).

One data root holds everything, in torchvision's layout (``MNIST/raw/...``,
``FashionMNIST/raw/...``). It is, in order of precedence: the ``data_dir`` argument,
the environment variable ``OSA_DATA_DIR``, or ``data/`` in the repository (ignored by git).
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

DATA_ENV = "OSA_DATA_DIR"

#: name -> (torchvision class name, folder under the data root, raw files it needs)
_IMAGE_DATASETS = {
    "mnist": ("MNIST", "MNIST"),
    "fashion_mnist": ("FashionMNIST", "FashionMNIST"),
}
_RAW_FILES = {
    True: ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    False: ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
DATASETS = tuple(_IMAGE_DATASETS)

#: Class names, for plots and tables.
CLASS_NAMES = {
    "mnist": tuple(str(d) for d in range(10)),
    "fashion_mnist": ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                      "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"),
}


class DataNotFoundError(FileNotFoundError):
    """A data file is missing, could not be downloaded, or failed its checksum."""


def default_data_dir() -> Path:
    """``$OSA_DATA_DIR`` if set, else ``data/`` at the repository root (or the working directory)."""
    env = os.environ.get(DATA_ENV)
    if env:
        return Path(env).expanduser()
    repo = Path(__file__).resolve().parents[2]
    if (repo / "pyproject.toml").exists():
        return repo / "data"
    return Path.cwd() / "data"


def resolve_data_dir(data_dir: str | os.PathLike | None = None) -> Path:
    """The data root to use: ``data_dir`` if given, else :func:`default_data_dir`."""
    return Path(data_dir).expanduser() if data_dir is not None else default_data_dir()


def _missing_files(root: Path, folder: str, train: bool) -> list[Path]:
    raw = root / folder / "raw"
    return [raw / f for f in _RAW_FILES[train] if not (raw / f).is_file()]


def load_dataset(name: str, train: bool, data_dir: str | os.PathLike | None = None,
                 download: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Load MNIST or Fashion-MNIST through torchvision's dataset classes.

    Parameters
    ----------
    name : {"mnist", "fashion_mnist"}
    train : bool
        The 60,000-image training split (True) or the 10,000-image test split (False).
    data_dir : path, optional
        The data root (see the module docstring). A read-only root works when the
        files are already there.
    download : bool
        Try torchvision's download when files are missing (needs the network).

    Returns
    -------
    X : float32 array of shape (N, 1, 28, 28), pixel values in [0, 1]
    y : int64 array of shape (N,)

    Raises
    ------
    ValueError
        Unknown ``name``.
    DataNotFoundError
        Files missing and not downloadable; the message names the root, the file and the fix.
    """
    if name not in _IMAGE_DATASETS:
        raise ValueError(f"unknown dataset {name!r}; use one of {DATASETS}")
    cls_name, folder = _IMAGE_DATASETS[name]
    root = resolve_data_dir(data_dir)
    missing = _missing_files(root, folder, bool(train))
    if missing:
        if not download:
            raise DataNotFoundError(_missing_message(root, folder, missing, "download=False"))
        try:
            _torchvision_dataset(cls_name, root, train, download=True)
        except Exception as err:  # offline, read-only root, server down, bad md5 ...
            raise DataNotFoundError(_missing_message(root, folder, missing, f"download failed: {err!r}")) from err
    ds = _torchvision_dataset(cls_name, root, train, download=False)
    X = ds.data.numpy().astype(np.float32)[:, None, :, :] / 255.0
    y = ds.targets.numpy().astype(np.int64)
    return X, y


def _torchvision_dataset(cls_name: str, root: Path, train: bool, download: bool):
    import torchvision.datasets as tvd

    return getattr(tvd, cls_name)(root=str(root), train=bool(train), download=download)


def _missing_message(root: Path, folder: str, missing: list[Path], why: str) -> str:
    files = ", ".join(str(p) for p in missing)
    return (
        f"data root {root} lacks {files} ({why}). Fix: set {DATA_ENV} (or pass data_dir=) to a "
        f"folder that holds {folder}/raw/ in torchvision's layout (offline copies: ../shared/data), "
        f"or run once with network access so torchvision can download it into a writable root."
    )


def flatten_images(X: np.ndarray) -> np.ndarray:
    """(N, C, H, W) images -> (N, C*H*W) rows, the visible vectors ``v`` of the ACRBM."""
    X = np.asarray(X)
    if X.ndim < 2:
        raise ValueError(f"expected images of shape (N, C, H, W) or rows (N, D), got shape {X.shape}")
    return X.reshape(X.shape[0], -1)


def subsample(X: np.ndarray, y: np.ndarray, n: int | None, random_state: int = 0):
    """A fixed random subset of ``n`` examples (all of them when ``n`` is None or too large)."""
    if n is None or n >= len(X):
        return X, y
    if n < 1:
        raise ValueError(f"subset size must be >= 1, got {n}")
    idx = np.sort(np.random.default_rng(random_state).choice(len(X), size=int(n), replace=False))
    return X[idx], y[idx]


@dataclass
class ClusteringData:
    """Flattened train/test rows in [0, 1] and their labels, with their provenance."""
    dataset: str
    X_train: np.ndarray   # (N_train, 784)
    y_train: np.ndarray
    X_test: np.ndarray    # (N_test, 784)
    y_test: np.ndarray
    provenance: dict = field(default_factory=dict)


def load_clustering_data(dataset: str, data_dir=None, n_train: int | None = None,
                         n_test: int | None = None, subset_seed: int = 0) -> ClusteringData:
    """MNIST or Fashion-MNIST as rows; fixed random subsets when ``n_train``/``n_test`` are set."""
    X_train, y_train = load_dataset(dataset, train=True, data_dir=data_dir)
    X_test, y_test = load_dataset(dataset, train=False, data_dir=data_dir)
    X_train, y_train = subsample(flatten_images(X_train), y_train, n_train, subset_seed)
    X_test, y_test = subsample(flatten_images(X_test), y_test, n_test, subset_seed)
    return ClusteringData(dataset, X_train, y_train, X_test, y_test,
                          provenance=data_provenance(dataset, data_dir))


def data_provenance(dataset: str, data_dir=None) -> dict:
    """Which data copy: the root and the sha256 (first 16 hex digits) of every raw file read."""
    root = resolve_data_dir(data_dir)
    folder = _IMAGE_DATASETS[dataset][1]
    digests = {}
    for name in _RAW_FILES[True] + _RAW_FILES[False]:
        path = root / folder / "raw" / name
        if path.is_file():
            digests[name] = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    return {"data_root": str(root), "sha256": digests}
