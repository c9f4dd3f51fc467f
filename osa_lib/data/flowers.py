"""Flower segmentation data for the LOC chapter: Oxford 102 and its offline substitute, Oxford 17.

Both classes share one interface::

    ds = Flowers17Segmentation(data_dir, split="test", size=96)
    image, mask, ignore = ds[0]

* ``image``: float32 array of shape (3, H, W), RGB in [0, 1];
* ``mask``: uint8 array of shape (H, W), 1 = flower (foreground), 0 = background; ``None``
  for the Oxford 17 images that have no ground truth (they only appear in its training split);
* ``ignore``: bool array of shape (H, W), True where the ground truth is undecided (the
  Oxford 17 trimap band), or ``None`` when every pixel counts (Oxford 102).

``size`` resizes every image to ``size x size`` (or ``(H, W)``; aspect ratio not kept, as the
offline Oxford 17 copy already is at 256 x 256; the official images are not square and vary in size):
bilinear for images, nearest neighbour for masks. ``size=None`` keeps each file's own size.

Splits
------
Oxford 102 (``protocol="paper"``): a fixed-seed random test set of 2,189 images (section 3.2
of the paper), training on the other 6,000. ``protocol="redo"``: the split that ReDO's code (and
IEM after it) reads from ``setid.mat``: train = ``tstid`` (6,149), validation = ``valid``
(1,020), test = ``trnid`` (1,020).

Oxford 17: a fixed random 30 % of the 846 images that have a trimap is the test split; the
training split is every other image (the remaining masked images and the 514 without a mask).

Data root layout (``<root>`` from :func:`osa_lib.data.resolve_data_dir`)::

    <root>/flowers17/jpg/image_XXXX.jpg, <root>/flowers17/trimaps/image_XXXX.png
    <root>/flowers102/setid.mat, <root>/flowers102/jpg/image_XXXXX.jpg,
    <root>/flowers102/segmim/segmim_XXXXX.jpg   (extracted from the official archives)

Both classes download the official archives when their folders are missing
(:mod:`osa_lib.data.download`; the archives and ``SOURCE.json`` stay beside the folders) and say
which copy they read (``copy_description()``, kept in every record's ``data["copy"]``).

The classes live in :mod:`osa_lib.data.flowers17` and :mod:`osa_lib.data.flowers102` (their shared
readers in :mod:`osa_lib.data.flowers_files`); this module names them, and holds the arrays the
chapter trains on (:class:`SegmentationData`, :func:`load_segmentation_data`).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np

from osa_lib.data.flowers17 import (FLOWERS17_ARCHIVES, FLOWERS17_MD5, FLOWERS17_OFFLINE_COPY,  # noqa: F401
                                    FLOWERS17_TEST_FRACTION, FLOWERS17_URL, Flowers17Segmentation, check_trimaps)
from osa_lib.data.flowers102 import (FLOWERS102_ARCHIVES, FLOWERS102_MD5, FLOWERS102_TEST_SIZE,  # noqa: F401
                                     FLOWERS102_URL, Flowers102Segmentation)
from osa_lib.data.download import SOURCE_FILE, ChecksumError  # noqa: F401
from osa_lib.data.flowers_files import (SEGMIM_BACKGROUND, SEGMIM_TOLERANCE, SPLITS,  # noqa: F401
                                        SegmentationSource, segmim_background)
from osa_lib.data.root import DATA_ENV, DataNotFoundError, md5sum, resolve_data_dir  # noqa: F401
from osa_lib.data.splits import fixed_random_subset


def load_segmentation_dataset(dataset: str, data_dir=None, split: str = "all", size=None, **kwargs):
    """``"flowers17"`` or ``"flowers102"`` by name (keyword arguments go to the class)."""
    if dataset == "flowers17":
        return Flowers17Segmentation(data_dir, split, size, **kwargs)
    if dataset == "flowers102":
        return Flowers102Segmentation(data_dir, split, size, **kwargs)
    raise ValueError(f"unknown segmentation dataset {dataset!r}; use 'flowers17' or 'flowers102'")


@dataclass
class SegmentationData:
    """Images in [0, 1] (N, 3, S, S), masks (N, S, S) uint8, trimap bands (N, S, S) bool or None."""
    dataset: str
    X_train: np.ndarray          # every training-split image (the observer's training set)
    X_val: np.ndarray            # training-split images that have a mask (for choices)
    M_val: np.ndarray
    I_val: np.ndarray | None
    X_test: np.ndarray           # the test split (Table 2)
    M_test: np.ndarray
    I_test: np.ndarray | None
    provenance: dict = field(default_factory=dict)

    def part(self, name: str):
        if name not in ("val", "test"):
            raise ValueError(f"unknown part {name!r}; use 'val' or 'test'")
        return (self.X_val, self.M_val, self.I_val) if name == "val" else (self.X_test, self.M_test, self.I_test)


def load_segmentation_data(dataset: str = "flowers17", data_dir=None, *, image_size: int = 96,
                           n_train: int | None = None, n_val: int | None = None, n_test: int | None = None,
                           subset_seed: int = 0, progress: bool = True, **dataset_kwargs) -> SegmentationData:
    """Load the training split (all images), its masked images (validation) and the test split.

    ``n_train``/``n_val``/``n_test``: fixed random subsets (seed ``subset_seed``); None = all.
    ``provenance`` (kept in every record) names the data root, the copy (``"copy"``: the official
    archives or the offline copy, and for downloaded Oxford 17 trimaps ``"trimaps_sha256"``), the
    sizes, a digest of the test images' ids, the checksum of every folder read (``"folders_sha256"``,
    :meth:`~osa_lib.data.flowers_files.SegmentationSource.folder_digests`) and the split.
    """
    train = load_segmentation_dataset(dataset, data_dir, "train", image_size, **dataset_kwargs)
    test = load_segmentation_dataset(dataset, data_dir, "test", image_size, **dataset_kwargs)
    train_idx = fixed_random_subset(len(train), n_train, subset_seed)
    masked = np.array([i for i in range(len(train)) if train.has_mask(i)], dtype=np.int64)
    val_idx = masked[fixed_random_subset(len(masked), n_val, subset_seed)]
    test_idx = fixed_random_subset(len(test), n_test, subset_seed)
    X_train, _, _ = train.load_arrays(train_idx, require_masks=False, progress=progress)
    X_val, M_val, I_val = train.load_arrays(val_idx, progress=progress)
    X_test, M_test, I_test = test.load_arrays(test_idx, progress=progress)
    test_ids = [test.ids[i] for i in test_idx]
    provenance = {"data_root": str(train.root), **train.source_provenance(), "image_size": int(image_size),
                  "n_train": len(X_train), "n_val": len(X_val), "n_test": len(X_test),
                  "test_ids_sha256": hashlib.sha256(",".join(map(str, test_ids)).encode()).hexdigest()[:16],
                  "folders_sha256": train.folder_digests(), "split": _split_description(train)}
    return SegmentationData(dataset, X_train, X_val, M_val, I_val, X_test, M_test, I_test, provenance)


def _split_description(ds) -> str:
    if ds.name == "flowers17":
        return (f"test: fixed random {ds.test_fraction:.0%} (seed {ds.split_seed}) of the {len(ds.masked_ids)} "
                f"images with a trimap; train: the other {len(ds.train_ids):,} images")
    return f"Oxford 102, protocol {ds.protocol!r}"
