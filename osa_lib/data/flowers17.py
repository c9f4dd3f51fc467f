"""Oxford 17 flowers with its trimaps: the data set of the LOC chapter (Oxford 102's masks are not reachable offline).

The files come from the data root: the official archives, downloaded when the folders are missing,
or a copy placed there (the offline copy, whose images a public copy resized to 256 x 256).
:meth:`Flowers17Segmentation.copy_description` says which, and every LOC record keeps it.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from osa_lib.data.download import SOURCE_FILE, OfficialFiles
from osa_lib.data.flowers_files import SegmentationSource, read_labels, read_rgb, resize_mask, size_tuple
from osa_lib.data.root import DATA_ENV, DataNotFoundError, resolve_data_dir
from osa_lib.data.splits import fixed_random_subset

# --------------------------------------------------------------------------- Oxford 17

FLOWERS17_TEST_FRACTION = 0.3
FLOWERS17_URL = "https://www.robots.ox.ac.uk/~vgg/data/flowers/17/"
#: md5 sums of the official files; ``trimaps.tgz`` has none published and is checked by its content
#: (:func:`check_trimaps`), its sha256 kept in ``SOURCE.json`` and in every record.
FLOWERS17_MD5 = {
    "17flowers.tgz": "b59a65d8d1a99cd66944d474e1289eab",
    "datasplits.mat": "4828cddfd0d803c5abbdebcb1e148a1e",
}
#: archive -> the folder it holds
FLOWERS17_ARCHIVES = {"17flowers.tgz": "jpg", "trimaps.tgz": "trimaps"}
#: what a folder placed at the data root without ``SOURCE.json`` and with 256 x 256 images is
FLOWERS17_OFFLINE_COPY = "offline copy at the data root (images resized to 256 × 256 by a public copy)"
_OFFLINE_SIZE = (256, 256)


def check_trimaps(folder: Path) -> str | None:
    """The content check of ``trimaps.tgz``: a trimap for every image its own ``imlist.mat`` lists.

    Parameters
    ----------
    folder : Path
        The extracted ``trimaps/`` folder; ``imlist.mat`` may sit anywhere below it.

    Returns
    -------
    None when every listed ``image_XXXX.png`` is there, else what is wrong (in words).
    """
    from scipy.io import loadmat
    from scipy.io.matlab import MatReadError

    found = sorted(folder.rglob("imlist.mat"))
    if not found:
        return "it holds no imlist.mat"
    try:
        mat = loadmat(found[0])
    except (MatReadError, ValueError, OSError) as err:
        return f"its imlist.mat cannot be read ({err})"
    arrays = [k for k in mat if not k.startswith("__")]
    ids = [int(v) for v in np.asarray(mat[arrays[0]]).ravel()] if arrays else []
    if not ids:
        return "its imlist.mat lists no image"
    missing = [f"image_{i:04d}.png" for i in ids if not (folder / f"image_{i:04d}.png").is_file()]
    if missing:
        shown = ", ".join(missing[:5]) + (", ..." if len(missing) > 5 else "")
        return f"{len(missing)} of the {len(ids)} trimaps its imlist.mat lists are missing ({shown})"
    return None


class Flowers17Segmentation(SegmentationSource):
    """Oxford 17 Flowers with ground-truth trimaps (the LOC chapter's data; Oxford 102's masks stand in the paper).

    When ``<root>/flowers17/jpg`` or ``<root>/flowers17/trimaps`` is missing and ``download=True``,
    fetches the official ``17flowers.tgz`` and ``datasplits.mat`` (md5-checked) and ``trimaps.tgz``
    (checked by content: :func:`check_trimaps`) from ``base_url`` and extracts them atomically
    (:class:`~osa_lib.data.download.OfficialFiles`); ``SOURCE.json`` records the URLs and every
    file's size, md5 and sha256. When both folders exist, nothing is downloaded and nothing is
    written (a read-only copy works). ``datasplits.mat`` is kept beside the folders but not read:
    the split stays the fixed random one below, whichever copy is used.

    Parameters
    ----------
    data_dir : path, optional
        The data root; the images are read from ``<root>/flowers17``.
    split : {"all", "train", "test"}
        ``"test"``: a fixed random ``test_fraction`` of the images that have a trimap;
        ``"train"``: every other image, with or without trimap; ``"all"``: all 1,360 images.
    size : int or (H, W), optional
        Resize images (bilinear) and trimaps (nearest neighbour) to this size. None: each file's
        own size (256 x 256 in the offline copy; the official images vary, e.g. 500 x 625).
    test_fraction, split_seed
        The test split's share of the masked images and the seed that draws it.
    download : bool
        Fetch missing folders (needs the network and a writable data root).
    base_url : str
        Where the three files live (tests serve a small copy from 127.0.0.1).
    md5 : dict, optional
        Overrides of :data:`FLOWERS17_MD5` (file name -> md5), for tests.
    timeout : float
        Seconds a download may stall before it fails.

    Raises
    ------
    DataNotFoundError
        A folder is missing and cannot be downloaded (:class:`~osa_lib.data.download.ChecksumError`
        for a wrong md5 or an incomplete ``trimaps.tgz``); the message names the data root, the
        file, its URL and the fix.

    Items: ``(image (3, H, W) float32 in [0, 1], mask (H, W) uint8 or None, ignore (H, W) bool or None)``.
    Foreground = trimap value 1; value 0 is the unlabelled band along the outline (``ignore``);
    every other value (3 = background and the rare extra labels 2, 4, 5) is background.
    """

    name = "flowers17"
    data_folders = ("jpg", "trimaps")
    n_images = 1360
    n_masked = 846

    def __init__(self, data_dir=None, split: str = "all", size=None, *,
                 test_fraction: float = FLOWERS17_TEST_FRACTION, split_seed: int = 0, download: bool = True,
                 base_url: str = FLOWERS17_URL, md5: dict | None = None, timeout: float = 60.0):
        if split not in ("all", "train", "test"):
            raise ValueError(f"unknown split {split!r} for flowers17; use 'all', 'train' or 'test'")
        if not 0 < test_fraction < 1:
            raise ValueError(f"test_fraction must lie in (0, 1), got {test_fraction}")
        self.data_dir = data_dir
        self.split = split
        self.size = size_tuple(size)
        self.test_fraction = float(test_fraction)
        self.split_seed = int(split_seed)
        self.data_root = resolve_data_dir(data_dir)
        self.files = OfficialFiles(self.data_root, "flowers17", base_url, {**FLOWERS17_MD5, **(md5 or {})},
                                   timeout=timeout, complete_copy="flowers17/jpg/image_XXXX.jpg and "
                                   "flowers17/trimaps/image_XXXX.png (e.g. the offline copy, ../shared/data)")
        self.root = self.files.root
        jpg, trimaps = self.root / "jpg", self.root / "trimaps"
        if not jpg.is_dir() or not trimaps.is_dir():
            # datasplits.mat belongs to the official set (fetched and checked with it) but is never read,
            # so it is not asked for when nothing is downloaded
            self.files.prepare(FLOWERS17_ARCHIVES, ["datasplits.mat"] if download else [], download=download,
                               checks={"trimaps.tgz": check_trimaps})
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

    # ------------------------------------------------------------------ which copy
    @property
    def trimaps_sha256(self) -> str | None:
        """sha256 of the ``trimaps.tgz`` the trimaps were extracted from (None for a copy placed at the root)."""
        record = self.files.source() or {}
        if "trimaps" not in record.get("folders", {}):
            return None
        return record.get("files", {}).get("trimaps.tgz", {}).get("sha256")

    def copy_description(self) -> str:
        """Which copy the files are, in words: the official archives (from ``SOURCE.json``) or a placed copy.

        A folder without ``SOURCE.json`` is the offline copy when its first image is 256 x 256 (the
        size the public copy resized every image to); otherwise it is named a copy at its own sizes.
        """
        record, sha = self.files.source(), self.trimaps_sha256
        if record is not None:
            text = self.files.source_description("Oxford 17", FLOWERS17_ARCHIVES.values())
            notes = (["images at their own sizes"] if "jpg" in record.get("folders", {}) else []) + \
                    ([f"trimaps.tgz sha256 {sha}"] if sha else [])
            return f"{text} ({'; '.join(notes)})" if notes else text
        from PIL import Image

        with Image.open(self.root / "jpg" / f"image_{self.all_ids[0]:04d}.jpg") as im:
            w, h = im.size
        if (h, w) == _OFFLINE_SIZE:
            return FLOWERS17_OFFLINE_COPY
        return f"copy placed at the data root (no {SOURCE_FILE}; images at their own sizes, e.g. {w} × {h})"

    def source_provenance(self) -> dict:
        """``{"copy": ...}``, plus ``"trimaps_sha256"`` when the trimaps came from a downloaded ``trimaps.tgz``."""
        sha = self.trimaps_sha256
        return {"copy": self.copy_description(), **({"trimaps_sha256": sha} if sha else {})}

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
