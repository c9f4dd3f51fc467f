"""Oxford 102 flowers with its ``segmim`` segmentations (the paper's Table 2 data): download, check, split."""
from __future__ import annotations

import os
import re
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np

from osa_lib.data.flowers_files import (SEGMIM_TOLERANCE, SPLITS, ChecksumError, SegmentationSource, read_rgb,
                                        resize_mask, segmim_background, size_tuple)
from osa_lib.data.root import DATA_ENV, DataNotFoundError, md5sum, resolve_data_dir
from osa_lib.data.splits import fixed_random_subset

FLOWERS102_URL = "https://www.robots.ox.ac.uk/~vgg/data/flowers/102/"
#: md5 sums of the official Oxford 102 files (setid.mat: the one torchvision's Flowers102 hard-codes).
FLOWERS102_MD5 = {
    "102flowers.tgz": "52808999861908f626f3c1f4e79d11fa",
    "102segmentations.tgz": "51375996b6c4f367a4b9f4492d7ecef5",
    "setid.mat": "a5357ecc9cb78c4bef273ce3793fc85c",
}
#: archive -> the folder it holds
FLOWERS102_ARCHIVES = {"102flowers.tgz": "jpg", "102segmentations.tgz": "segmim"}


# --------------------------------------------------------------------------- Oxford 102

FLOWERS102_TEST_SIZE = 2189


class Flowers102Segmentation(SegmentationSource):
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
        self.size = size_tuple(size)
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
        img = read_rgb(self.root / "jpg" / f"image_{image_id:05d}.jpg", self.size)
        seg = read_rgb(self.root / "segmim" / f"segmim_{image_id:05d}.jpg", None)
        mask = (~segmim_background(seg, self.tolerance)).astype(np.uint8)
        mask = resize_mask(mask, img.shape[:2])
        image = np.ascontiguousarray(img.transpose(2, 0, 1), dtype=np.float32) / 255.0
        return image, mask, None
