"""MNIST and Fashion-MNIST: loading, IDX checks, the clustering data of the chapters, provenance.

The data root (``data_dir``, else ``$OSA_DATA_DIR``, else ``data/``) is :mod:`osa_lib.data.root`'s;
its names are re-exported here.
"""
from __future__ import annotations

import os
import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from osa_lib.data.root import (DATA_ENV, DataNotFoundError, default_data_dir, file_digests,  # noqa: F401
                               resolve_data_dir)
from osa_lib.data.splits import subsample


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


#: MD5 of the official *uncompressed* raw files (what ``gunzip`` makes of the archives whose
#: md5 torchvision hard-codes in ``MNIST.resources`` / ``FashionMNIST.resources``). These
#: digests are the ones widely published for the extracted files (e.g. PyTorch's CI script
#: for MNIST, Zalando's Fashion-MNIST loaders). A local file whose md5 equals its entry
#: is an exact copy of the original.
CANONICAL_MD5 = {
    "mnist": {
        "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
        "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
        "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
        "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
    },
    "fashion_mnist": {
        "train-images-idx3-ubyte": "f4a8712d7a061bf5bd6d2ca38dc4d50a",
        "train-labels-idx1-ubyte": "9018921c3c673c538a1fc5bad174d6f9",
        "t10k-images-idx3-ubyte": "8181f5470baa50b63fa0f6fddb340f0a",
        "t10k-labels-idx1-ubyte": "15d484375f8d13e6eb1aabb0c3f46965",
    },
}

#: IDX magic numbers: 0x00000803 (unsigned bytes, 3 dimensions) for images,
#: 0x00000801 (unsigned bytes, 1 dimension) for labels.
_IDX_MAGIC = {"images": 2051, "labels": 2049}


class CorruptDataError(ValueError):
    """A data file is there but damaged: truncated, padded, or not an IDX file of the expected kind."""


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
    CorruptDataError
        A raw file is truncated or not the IDX file it should be (checked before
        torchvision reads it; nothing is written).
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
    check_idx_files([root / folder / "raw" / f for f in _RAW_FILES[bool(train)]])
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


def check_idx_file(path: Path, kind: str) -> int:
    """Check one raw IDX file (``kind`` "images" or "labels"): magic number and exact size.

    Returns the number of items its header declares. Raises :class:`CorruptDataError`
    naming the file, what was expected and found, and the fix. Reads only the header.
    """
    path = Path(path)
    magic = _IDX_MAGIC[kind]
    n_dims = magic & 0xFF
    header_len = 4 + 4 * n_dims
    found = path.stat().st_size
    with open(path, "rb") as f:
        header = f.read(header_len)
    fix = (f"Fix: copy the file again from a good source (offline: ../shared/data), or delete it "
           f"so that torchvision downloads it afresh into a writable data root.")
    if len(header) < header_len:
        raise CorruptDataError(f"{path} is truncated: {found} bytes, less than its {header_len}-byte IDX header. {fix}")
    got_magic, *dims = struct.unpack(f">{1 + n_dims}i", header)
    if got_magic != magic:
        raise CorruptDataError(f"{path} is not an IDX {kind} file: magic number {got_magic}, expected {magic}. {fix}")
    if any(d < 0 for d in dims):
        raise CorruptDataError(f"{path} has a damaged IDX header (dimensions {dims}). {fix}")
    expected = header_len + int(np.prod(dims, dtype=np.int64))
    if found != expected:
        what = "truncated" if found < expected else "longer than its header says"
        raise CorruptDataError(f"{path} is {what}: expected {expected} bytes (header: {dims[0]} {kind}"
                               f"{' of ' + 'x'.join(map(str, dims[1:])) if dims[1:] else ''}), found {found} bytes. "
                               f"{fix}")
    return dims[0]


def check_idx_files(paths) -> None:
    """Check an (images, labels) pair of raw IDX files: each file's size, and equal counts."""
    images, labels = (Path(p) for p in paths)
    n_images, n_labels = check_idx_file(images, "images"), check_idx_file(labels, "labels")
    if n_images != n_labels:
        raise CorruptDataError(f"{images} holds {n_images} images but {labels} holds {n_labels} labels; "
                               f"one of them is from another copy. Fix: copy both files again from one source.")


def flatten_images(X: np.ndarray) -> np.ndarray:
    """(N, C, H, W) images -> (N, C*H*W) rows, the visible vectors ``v`` of the ACRBM."""
    X = np.asarray(X)
    if X.ndim < 2:
        raise ValueError(f"expected images of shape (N, C, H, W) or rows (N, D), got shape {X.shape}")
    return X.reshape(X.shape[0], -1)


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
    """Which data copy: the root and, per raw file present, its digests and whether it is the original.

    Returns ``{"data_root": str, "files": {name: {"bytes", "md5", "sha256", "canonical"}}}``;
    ``canonical`` is True when the md5 equals :data:`CANONICAL_MD5` (an exact copy of the
    official file), False when it differs (e.g. the reconstructed MNIST training images of
    ``../shared/data``), and ``"unknown"`` when no official digest is stored for the file.
    """
    root = resolve_data_dir(data_dir)
    folder = _IMAGE_DATASETS[dataset][1]
    known = CANONICAL_MD5.get(dataset, {})
    files = {}
    for name in _RAW_FILES[True] + _RAW_FILES[False]:
        path = root / folder / "raw" / name
        if path.is_file():
            info = file_digests(path)
            info["canonical"] = (info["md5"] == known[name]) if name in known else "unknown"
            files[name] = info
    return {"data_root": str(root), "files": files}
