"""Oxford 102 flowers with its ``segmim`` segmentations (the paper's Table 2 data): download, check, split."""
from __future__ import annotations

import re

import numpy as np

from osa_lib.data.download import SOURCE_FILE, OfficialFiles
from osa_lib.data.flowers_files import (SEGMIM_TOLERANCE, SPLITS, SegmentationSource, read_rgb, resize_mask,
                                        segmim_background, size_tuple)
from osa_lib.data.root import DataNotFoundError, resolve_data_dir
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
    folder (:class:`~osa_lib.data.download.OfficialFiles`; the download is recorded in
    ``SOURCE.json``). ``jpg/image_XXXXX.jpg`` is paired with ``segmim/segmim_XXXXX.jpg``; the ground truth
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
    data_folders = ("jpg", "segmim")

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
        self.progress = progress
        self.data_root = resolve_data_dir(data_dir)
        self.files = OfficialFiles(self.data_root, "flowers102", base_url, {**FLOWERS102_MD5, **(md5 or {})},
                                   timeout=timeout)
        self.root, self.base_url, self.md5 = self.files.root, self.files.base_url, self.files.md5
        self.files.prepare(FLOWERS102_ARCHIVES, ["setid.mat"], download=download)

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

    def copy_description(self) -> str:
        """Which copy the files are: the official archives (``SOURCE.json``) or a copy placed at the data root."""
        return (self.files.source_description("Oxford 102", FLOWERS102_ARCHIVES.values())
                or f"copy placed at the data root (no {SOURCE_FILE}: not downloaded by osa_lib)")

    # ------------------------------------------------------------------ items
    def _load(self, image_id: int):
        img = read_rgb(self.root / "jpg" / f"image_{image_id:05d}.jpg", self.size)
        seg = read_rgb(self.root / "segmim" / f"segmim_{image_id:05d}.jpg", None)
        mask = (~segmim_background(seg, self.tolerance)).astype(np.uint8)
        mask = resize_mask(mask, img.shape[:2])
        image = np.ascontiguousarray(img.transpose(2, 0, 1), dtype=np.float32) / 255.0
        return image, mask, None
