"""Oxford 17 flowers with its trimaps: the offline substitute for Oxford 102 in the LOC chapter."""
from __future__ import annotations

import re

import numpy as np

from osa_lib.data.flowers_files import SegmentationSource, read_labels, read_rgb, resize_mask, size_tuple
from osa_lib.data.root import DATA_ENV, DataNotFoundError, resolve_data_dir
from osa_lib.data.splits import fixed_random_subset

# --------------------------------------------------------------------------- Oxford 17

FLOWERS17_TEST_FRACTION = 0.3


class Flowers17Segmentation(SegmentationSource):
    """Oxford 17 Flowers with ground-truth trimaps (the offline substitute for Oxford 102 masks).

    Parameters
    ----------
    data_dir : path, optional
        The data root; the images are read from ``<root>/flowers17``.
    split : {"all", "train", "test"}
        ``"test"``: a fixed random ``test_fraction`` of the images that have a trimap;
        ``"train"``: every other image, with or without trimap; ``"all"``: all 1,360 images.
    size : int or (H, W), optional
        Resize to this size (None: the files' own 256 x 256).
    test_fraction, split_seed
        The test split's share of the masked images and the seed that draws it.

    Items: ``(image (3, H, W) float32 in [0, 1], mask (H, W) uint8 or None, ignore (H, W) bool or None)``.
    Foreground = trimap value 1; value 0 is the unlabelled band along the outline (``ignore``);
    every other value (3 = background and the rare extra labels 2, 4, 5) is background.
    """

    name = "flowers17"
    n_images = 1360
    n_masked = 846

    def __init__(self, data_dir=None, split: str = "all", size=None, *,
                 test_fraction: float = FLOWERS17_TEST_FRACTION, split_seed: int = 0):
        if split not in ("all", "train", "test"):
            raise ValueError(f"unknown split {split!r} for flowers17; use 'all', 'train' or 'test'")
        if not 0 < test_fraction < 1:
            raise ValueError(f"test_fraction must lie in (0, 1), got {test_fraction}")
        self.data_dir = data_dir
        self.split = split
        self.size = size_tuple(size)
        self.test_fraction = float(test_fraction)
        self.split_seed = int(split_seed)
        self.root = resolve_data_dir(data_dir) / "flowers17"
        jpg, trimaps = self.root / "jpg", self.root / "trimaps"
        if not jpg.is_dir() or not trimaps.is_dir():
            missing = jpg if not jpg.is_dir() else trimaps
            raise DataNotFoundError(
                f"data root {resolve_data_dir(data_dir)} lacks {missing} (Oxford 17 flowers with trimaps). "
                f"Fix: set {DATA_ENV} (or pass data_dir=) to a root that holds flowers17/jpg/image_XXXX.jpg and "
                f"flowers17/trimaps/image_XXXX.png (offline copy: ../shared/data).")
        all_ids = sorted(int(m.group(1)) for p in jpg.glob("image_*.jpg")
                         if (m := re.fullmatch(r"image_(\d+)\.jpg", p.name)))
        if not all_ids:
            raise DataNotFoundError(f"{jpg} holds no image_XXXX.jpg files. Fix: point {DATA_ENV} to a complete copy.")
        self.masked_ids = sorted(int(m.group(1)) for p in trimaps.glob("image_*.png")
                                 if (m := re.fullmatch(r"image_(\d+)\.png", p.name)))
        orphans = sorted(set(self.masked_ids) - set(all_ids))
        if orphans:
            raise DataNotFoundError(f"{trimaps} has trimaps without images (e.g. image_{orphans[0]:04d}); "
                                    f"Fix: restore {jpg} from a complete copy.")
        n_test = int(round(self.test_fraction * len(self.masked_ids)))
        test = [self.masked_ids[i] for i in fixed_random_subset(len(self.masked_ids), n_test, self.split_seed)]
        test_set = set(test)
        self.all_ids = all_ids
        self.test_ids = test
        self.train_ids = [i for i in all_ids if i not in test_set]
        self.ids = {"all": all_ids, "train": self.train_ids, "test": self.test_ids}[split]
        self._masked = set(self.masked_ids)

    def has_mask(self, i: int) -> bool:
        return self.ids[i] in self._masked

    def masked_positions(self) -> np.ndarray:
        """Positions (into this split) of the images that have a trimap."""
        return np.array([i for i, image_id in enumerate(self.ids) if image_id in self._masked], dtype=np.int64)

    def _load(self, image_id: int):
        img = read_rgb(self.root / "jpg" / f"image_{image_id:04d}.jpg", self.size)
        image = np.ascontiguousarray(img.transpose(2, 0, 1), dtype=np.float32) / 255.0
        if image_id not in self._masked:
            return image, None, None
        trimap = read_labels(self.root / "trimaps" / f"image_{image_id:04d}.png", self.size)
        if trimap.shape != image.shape[1:]:
            trimap = resize_mask(trimap, image.shape[1:])
        return image, (trimap == 1).astype(np.uint8), trimap == 0
