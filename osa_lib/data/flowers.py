"""Flower segmentation data for the LOC chapter (SPEC §6): Oxford 102 and its offline substitute, Oxford 17.

Both classes share one interface::

    ds = Flowers17Segmentation(data_dir, split="test", size=96)
    image, mask, ignore = ds[0]

* ``image``: float32 array of shape (3, H, W), RGB in [0, 1];
* ``mask``: uint8 array of shape (H, W), 1 = flower (foreground), 0 = background; ``None``
  for the Oxford 17 images that have no ground truth (they only appear in its training split);
* ``ignore``: bool array of shape (H, W), True where the ground truth is undecided (the
  Oxford 17 trimap band), or ``None`` when every pixel counts (Oxford 102).

``size`` resizes every image to ``size x size`` (or ``(H, W)``; aspect ratio not kept, as the
Oxford 17 copy already is): bilinear for images, nearest neighbour for masks. ``size=None``
keeps each file's own size.

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
"""
from __future__ import annotations

import hashlib
import os
import re
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.request
from pathlib import Path
from typing import Sequence

import numpy as np

from osa_lib.data.splits import fixed_random_subset
from osa_lib.data.mnist import DATA_ENV, DataNotFoundError, resolve_data_dir

FLOWERS102_URL = "https://www.robots.ox.ac.uk/~vgg/data/flowers/102/"
#: md5 sums of the official Oxford 102 files (setid.mat: the one torchvision's Flowers102 hard-codes).
FLOWERS102_MD5 = {
    "102flowers.tgz": "52808999861908f626f3c1f4e79d11fa",
    "102segmentations.tgz": "51375996b6c4f367a4b9f4492d7ecef5",
    "setid.mat": "a5357ecc9cb78c4bef273ce3793fc85c",
}
#: archive -> the folder it holds
FLOWERS102_ARCHIVES = {"102flowers.tgz": "jpg", "102segmentations.tgz": "segmim"}
#: the colour Oxford 102 paints the background of its ``segmim`` images with
SEGMIM_BACKGROUND = (0, 0, 254)
#: default tolerance of :func:`segmim_background`: Euclidean RGB distance (0-255 scale)
SEGMIM_TOLERANCE = 60.0
FLOWERS102_TEST_SIZE = 2189
FLOWERS17_TEST_FRACTION = 0.3
SPLITS = ("all", "train", "test", "val")


class ChecksumError(DataNotFoundError):
    """A data file exists or was downloaded, but its md5 sum is not the expected one."""


# --------------------------------------------------------------------------- helpers

def md5sum(path, chunk: int = 1 << 20) -> str:
    h = hashlib.md5()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(chunk), b""):
            h.update(block)
    return h.hexdigest()


def _size_tuple(size) -> tuple[int, int] | None:
    if size is None:
        return None
    if isinstance(size, (int, np.integer)):
        size = (int(size), int(size))
    size = tuple(int(s) for s in size)
    if len(size) != 2 or min(size) < 1:
        raise ValueError(f"size must be a positive int or (H, W), got {size}")
    return size


def _read_rgb(path: Path, size) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as im:
        im = im.convert("RGB")
        if size is not None:
            im = im.resize((size[1], size[0]), Image.BILINEAR)
        return np.asarray(im, dtype=np.uint8)


def _read_labels(path: Path, size) -> np.ndarray:
    """An 8-bit label image (palette PNG: the palette *indices*), resized with nearest neighbour."""
    from PIL import Image

    with Image.open(path) as im:
        if im.mode not in ("P", "L"):
            raise ValueError(f"{path}: expected an 8-bit palette or grey label image, got mode {im.mode}")
        if size is not None:
            im = im.resize((size[1], size[0]), Image.NEAREST)
        return np.asarray(im, dtype=np.uint8)


def _resize_mask(mask: np.ndarray, size) -> np.ndarray:
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


# --------------------------------------------------------------------------- shared interface

class _SegmentationBase:
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


# --------------------------------------------------------------------------- Oxford 17

class Flowers17Segmentation(_SegmentationBase):
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
        self.size = _size_tuple(size)
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
        img = _read_rgb(self.root / "jpg" / f"image_{image_id:04d}.jpg", self.size)
        image = np.ascontiguousarray(img.transpose(2, 0, 1), dtype=np.float32) / 255.0
        if image_id not in self._masked:
            return image, None, None
        trimap = _read_labels(self.root / "trimaps" / f"image_{image_id:04d}.png", self.size)
        if trimap.shape != image.shape[1:]:
            trimap = _resize_mask(trimap, image.shape[1:])
        return image, (trimap == 1).astype(np.uint8), trimap == 0


# --------------------------------------------------------------------------- Oxford 102

class Flowers102Segmentation(_SegmentationBase):
    """Oxford 102 Flowers with the official ``segmim`` segmentations (the paper's data).

    Downloads ``102flowers.tgz``, ``102segmentations.tgz`` and ``setid.mat`` from ``base_url``
    into ``<root>/flowers102`` when they are missing (``download=True``), checks their md5 sums,
    and extracts each archive into a temporary folder that is renamed into place only when
    extraction succeeded, so an interrupted run or a wrong checksum leaves no half-extracted
    folder. ``jpg/image_XXXXX.jpg`` is paired with ``segmim/segmim_XXXXX.jpg``; the ground truth
    is every pixel that is not the painted blue background (:func:`segmim_background`).

    Parameters
    ----------
    data_dir : path, optional
        The data root.
    split : {"all", "train", "test", "val"}
    protocol : {"paper", "redo"}
        ``"paper"``: a fixed random test set of ``test_size`` (2,189) images, train on the rest
        (no validation split). ``"redo"``: train = ``tstid``, val = ``valid``, test = ``trnid``
        (1,020 images), as ReDO and IEM read ``setid.mat``.
    size : int or (H, W), optional
    download : bool
        Fetch missing files (needs the network and a writable root).
    base_url : str
        Where the three files live (tests serve a small copy from 127.0.0.1).
    md5 : dict, optional
        Overrides of :data:`FLOWERS102_MD5` (file name -> md5), for tests.
    tolerance : float
        Background tolerance of :func:`segmim_background`.
    timeout : float
        Seconds a download may stall before it fails.

    Raises
    ------
    DataNotFoundError
        A file is missing and cannot be downloaded (:class:`ChecksumError` for a wrong md5);
        the message names the data root, the file and the fix.
    """

    name = "flowers102"

    def __init__(self, data_dir=None, split: str = "all", size=None, *, protocol: str = "paper",
                 download: bool = True, base_url: str = FLOWERS102_URL, md5: dict | None = None,
                 test_size: int = FLOWERS102_TEST_SIZE, split_seed: int = 0,
                 tolerance: float = SEGMIM_TOLERANCE, timeout: float = 60.0, progress: bool = False):
        if split not in SPLITS:
            raise ValueError(f"unknown split {split!r}; use one of {SPLITS}")
        if protocol not in ("paper", "redo"):
            raise ValueError(f"unknown protocol {protocol!r}; use 'paper' or 'redo'")
        if protocol == "paper" and split == "val":
            raise ValueError("the paper's protocol has no validation split; use protocol='redo'")
        self.data_dir = data_dir
        self.split = split
        self.protocol = protocol
        self.size = _size_tuple(size)
        self.tolerance = float(tolerance)
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.md5 = {**FLOWERS102_MD5, **(md5 or {})}
        self.timeout = float(timeout)
        self.progress = progress
        self.data_root = resolve_data_dir(data_dir)
        self.root = self.data_root / "flowers102"
        self._prepare(download)

        from scipy.io import loadmat

        setid = loadmat(self.root / "setid.mat")
        sets = {k: [int(v) for v in np.asarray(setid[k]).ravel()] for k in ("trnid", "valid", "tstid")}
        jpg_ids = {int(m.group(1)) for p in (self.root / "jpg").glob("image_*.jpg")
                   if (m := re.fullmatch(r"image_(\d+)\.jpg", p.name))}
        seg_ids = {int(m.group(1)) for p in (self.root / "segmim").glob("segmim_*.jpg")
                   if (m := re.fullmatch(r"segmim_(\d+)\.jpg", p.name))}
        paired = sorted(jpg_ids & seg_ids)
        self.unpaired_ids = sorted(jpg_ids ^ seg_ids)
        if not paired:
            raise DataNotFoundError(f"{self.root} has no image/segmim pairs (jpg/image_XXXXX.jpg with "
                                    f"segmim/segmim_XXXXX.jpg). Fix: delete {self.root / 'jpg'} and "
                                    f"{self.root / 'segmim'} and run again with download=True.")
        paired_set = set(paired)
        if protocol == "paper":
            if not 0 < test_size < len(paired):
                raise ValueError(f"test_size must lie in (0, {len(paired)}), got {test_size}")
            test = [paired[i] for i in fixed_random_subset(len(paired), int(test_size), int(split_seed))]
            test_set = set(test)
            splits = {"all": paired, "test": test, "train": [i for i in paired if i not in test_set]}
        else:
            splits = {"all": paired,
                      "train": [i for i in sets["tstid"] if i in paired_set],
                      "val": [i for i in sets["valid"] if i in paired_set],
                      "test": [i for i in sets["trnid"] if i in paired_set]}
        self.all_ids = paired
        self.split_ids = splits
        self.ids = splits[split]

    # ------------------------------------------------------------------ files
    def _fail(self, filename: str, why: str, cls=DataNotFoundError):
        return cls(
            f"data root {self.data_root}: {self.root / filename} {why}. Fix: place the official file "
            f"{filename} (md5 {self.md5.get(filename, '?')}) from {self.base_url}{filename} in {self.root} "
            f"(or set {DATA_ENV} / data_dir= to a root that has it), or run with download=True on a machine "
            f"with network access and a writable data root.")

    def _prepare(self, download: bool) -> None:
        needed = ["setid.mat"] + [a for a, folder in FLOWERS102_ARCHIVES.items() if not (self.root / folder).is_dir()]
        for filename in needed:
            path = self.root / filename
            if not path.is_file():
                if not download:
                    raise self._fail(filename, "is missing (download=False)")
                self._download(filename)
            elif md5sum(path) != self.md5[filename]:
                raise self._fail(filename, f"has md5 {md5sum(path)}, expected {self.md5[filename]}; delete it "
                                 "and download it again", ChecksumError)
        for archive, folder in FLOWERS102_ARCHIVES.items():
            if not (self.root / folder).is_dir():
                self._extract(archive, folder)

    def _download(self, filename: str) -> None:
        url = self.base_url + filename
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(prefix=f".{filename}.", suffix=".part", dir=self.root)
        except OSError as err:
            raise self._fail(filename, f"is missing and cannot be written ({err})") from err
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=self.timeout) as resp:
                shutil.copyfileobj(resp, out, length=1 << 20)
            got = md5sum(tmp)
            if got != self.md5[filename]:
                raise self._fail(filename, f"was downloaded from {url} with md5 {got}, expected "
                                 f"{self.md5[filename]} (file removed)", ChecksumError)
            os.replace(tmp, self.root / filename)
        except (urllib.error.URLError, OSError, ValueError) as err:
            if isinstance(err, DataNotFoundError):
                raise
            raise self._fail(filename, f"is missing and the download from {url} failed ({err!r})") from err
        finally:
            tmp.unlink(missing_ok=True)

    def _extract(self, archive: str, folder: str) -> None:
        """Extract ``archive`` into a temporary folder; rename its ``folder`` into place at the end."""
        tmp = Path(tempfile.mkdtemp(prefix=f".extract-{folder}-", dir=self.root))
        try:
            with tarfile.open(self.root / archive, "r:gz") as tar:
                kwargs = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
                tar.extractall(tmp, **kwargs)
            if not (tmp / folder).is_dir():
                raise self._fail(archive, f"does not contain a {folder}/ folder", ChecksumError)
            os.replace(tmp / folder, self.root / folder)
        except (tarfile.TarError, OSError, EOFError) as err:
            raise self._fail(archive, f"could not be extracted ({err!r}); delete it and download it again") from err
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    # ------------------------------------------------------------------ items
    def _load(self, image_id: int):
        img = _read_rgb(self.root / "jpg" / f"image_{image_id:05d}.jpg", self.size)
        seg = _read_rgb(self.root / "segmim" / f"segmim_{image_id:05d}.jpg", None)
        mask = (~segmim_background(seg, self.tolerance)).astype(np.uint8)
        mask = _resize_mask(mask, img.shape[:2])
        image = np.ascontiguousarray(img.transpose(2, 0, 1), dtype=np.float32) / 255.0
        return image, mask, None


def load_segmentation_dataset(dataset: str, data_dir=None, split: str = "all", size=None, **kwargs):
    """``"flowers17"`` or ``"flowers102"`` by name (keyword arguments go to the class)."""
    if dataset == "flowers17":
        return Flowers17Segmentation(data_dir, split, size, **kwargs)
    if dataset == "flowers102":
        return Flowers102Segmentation(data_dir, split, size, **kwargs)
    raise ValueError(f"unknown segmentation dataset {dataset!r}; use 'flowers17' or 'flowers102'")
