"""What the two flower data sets share: reading images and masks, the ``segmim`` background rule, the interface.

:class:`SegmentationSource` is the interface of :class:`~osa_lib.data.flowers17.Flowers17Segmentation`
and :class:`~osa_lib.data.flowers102.Flowers102Segmentation` (``ds[i] -> (image, mask, ignore)``,
``load_arrays``); see :mod:`osa_lib.data.flowers` for the shapes.
"""
from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Sequence

import numpy as np

#: the colour Oxford 102 paints the background of its ``segmim`` images with
SEGMIM_BACKGROUND = (0, 0, 254)
#: default tolerance of :func:`segmim_background`: Euclidean RGB distance (0-255 scale)
SEGMIM_TOLERANCE = 60.0
SPLITS = ("all", "train", "test", "val")


def size_tuple(size) -> tuple[int, int] | None:
    if size is None:
        return None
    if isinstance(size, (int, np.integer)):
        size = (int(size), int(size))
    size = tuple(int(s) for s in size)
    if len(size) != 2 or min(size) < 1:
        raise ValueError(f"size must be a positive int or (H, W), got {size}")
    return size


def read_rgb(path: Path, size) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as im:
        im = im.convert("RGB")
        if size is not None:
            im = im.resize((size[1], size[0]), Image.BILINEAR)
        return np.asarray(im, dtype=np.uint8)


def read_labels(path: Path, size) -> np.ndarray:
    """An 8-bit label image (palette PNG: the palette *indices*), resized with nearest neighbour."""
    from PIL import Image

    with Image.open(path) as im:
        if im.mode not in ("P", "L"):
            raise ValueError(f"{path}: expected an 8-bit palette or grey label image, got mode {im.mode}")
        if size is not None:
            im = im.resize((size[1], size[0]), Image.NEAREST)
        return np.asarray(im, dtype=np.uint8)


def resize_mask(mask: np.ndarray, size) -> np.ndarray:
    from PIL import Image

    if size is None:
        return mask
    return np.asarray(Image.fromarray(mask).resize((size[1], size[0]), Image.NEAREST))


def segmim_background(segmim: np.ndarray, tolerance: float = SEGMIM_TOLERANCE) -> np.ndarray:
    """Background pixels of an Oxford 102 ``segmim`` image.

    The background is painted (0, 0, 254); JPEG compression spreads that colour by a few
    levels inside the blue area and blends it with the flower along the outline. A pixel is
    background when its Euclidean RGB distance to (0, 0, 254) is at most ``tolerance``
    (0-255 scale). The default, 60, keeps dark purple flowers such as (60, 30, 200) at a
    distance of about 85 in the foreground; tests check it on synthetic JPEG-compressed masks.

    Parameters
    ----------
    segmim : uint8 array of shape (H, W, 3)
    tolerance : float >= 0

    Returns
    -------
    bool array of shape (H, W), True = background.
    """
    segmim = np.asarray(segmim)
    if segmim.ndim != 3 or segmim.shape[2] != 3:
        raise ValueError(f"segmim must have shape (H, W, 3), got {segmim.shape}")
    if not np.isfinite(tolerance) or tolerance < 0:
        raise ValueError(f"tolerance must be a finite number >= 0, got {tolerance}")
    diff = segmim.astype(np.float32) - np.asarray(SEGMIM_BACKGROUND, dtype=np.float32)
    return np.sqrt((diff ** 2).sum(axis=2)) <= tolerance


@lru_cache(maxsize=8)
def folder_digest(folder: Path) -> dict:
    """``{"files", "bytes", "sha256"}`` of every file in ``folder`` (not recursive).

    ``sha256`` digests the folder's manifest: one ``"<sha256 of the file>  <name>\\n"`` line per file in
    name order (the format of ``sha256sum``), so two copies agree exactly when every file does, and a
    reader can check a copy with ``sha256sum * | sha256sum`` run inside the folder.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} is not a folder")
    manifest, total, count = hashlib.sha256(), 0, 0
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        data = path.read_bytes()
        manifest.update(f"{hashlib.sha256(data).hexdigest()}  {path.name}\n".encode())
        total, count = total + len(data), count + 1
    return {"files": count, "bytes": total, "sha256": manifest.hexdigest()}


# --------------------------------------------------------------------------- shared interface

class SegmentationSource:
    """What both data sets share: the item interface, subsets and stacking into arrays."""

    name = "segmentation"
    ids: list[int]

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, i: int):
        if not -len(self) <= i < len(self):
            raise IndexError(f"index {i} out of range for {len(self)} images")
        return self._load(self.ids[i])

    def _load(self, image_id: int):  # pragma: no cover - abstract
        raise NotImplementedError

    def has_mask(self, i: int) -> bool:
        return True

    def copy_description(self) -> str:  # pragma: no cover - abstract
        """Which copy of the data set the files are, as a phrase that reads after "the" (``data["copy"]``)."""
        raise NotImplementedError

    #: the folders under ``root`` whose files the data set reads (checksummed into every record)
    data_folders: tuple[str, ...] = ()

    def source_provenance(self) -> dict:
        """What a record keeps about the copy: ``{"copy": ...}`` plus any checksum the data set knows."""
        return {"copy": self.copy_description()}

    def folder_digests(self) -> dict[str, dict]:
        """``{folder: {"files", "bytes", "sha256"}}`` of :attr:`data_folders` (see :func:`folder_digest`)."""
        return {name: folder_digest(Path(self.root) / name) for name in self.data_folders}

    def load_arrays(self, indices: Sequence[int] | None = None, *, require_masks: bool = True,
                    progress: bool = False):
        """Stack items into arrays: images (N, 3, H, W) float32, masks (N, H, W) uint8, ignore (N, H, W) bool.

        Needs a fixed ``size``. ``require_masks=False`` returns ``(images, None, None)`` and also
        accepts images without ground truth; ``ignore`` is None for a data set without bands.
        """
        from tqdm import tqdm

        if self.size is None:
            raise ValueError("load_arrays needs a fixed size; construct the data set with size=...")
        idx = range(len(self)) if indices is None else [int(i) for i in indices]
        images, masks, ignores = [], [], []
        for i in tqdm(idx, desc=f"load {self.name}", disable=not progress, leave=False):
            img, mask, ign = self[i]
            images.append(img)
            if require_masks:
                if mask is None:
                    raise ValueError(f"image {self.ids[i]} has no ground-truth mask; use require_masks=False")
                masks.append(mask)
                ignores.append(ign)
        X = np.stack(images) if images else np.zeros((0, 3, *self.size), np.float32)
        if not require_masks:
            return X, None, None
        M = np.stack(masks) if masks else np.zeros((0, *self.size), np.uint8)
        has_ignore = any(g is not None for g in ignores)
        I = np.stack([g if g is not None else np.zeros(self.size, bool) for g in ignores]) if has_ignore else None
        return X, M, I
