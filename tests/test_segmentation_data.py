"""Flower segmentation data: the Oxford 102 downloader against a small archive served on 127.0.0.1,
the segmim background rule on JPEG-noised masks, and the Oxford 17 trimap loader (fake and real)."""
from __future__ import annotations

import hashlib
import io
import tarfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from scipy.io import savemat
from scipy.ndimage import binary_dilation, binary_erosion

from archive_server import DEAD_URL, add_bytes, jpeg_bytes, leftovers, serve_folder
from osa_lib.data.mnist import DataNotFoundError
from osa_lib.data.flowers import (FLOWERS17_OFFLINE_COPY, FLOWERS102_MD5, ChecksumError, Flowers17Segmentation,
                                  Flowers102Segmentation, load_segmentation_data, load_segmentation_dataset,
                                  segmim_background)

N_FAKE = 6          # images in the fake Oxford 102
H, W = 20, 24       # their size


# --------------------------------------------------------------------------- a fake Oxford 102 on 127.0.0.1

def _fake_flower(i: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Image, segmim and true mask of fake image ``i``: a coloured rectangle on noise."""
    rng = np.random.default_rng(i)
    image = rng.integers(0, 256, size=(H, W, 3), dtype=np.uint8)
    mask = np.zeros((H, W), dtype=np.uint8)
    mask[4:4 + 8 + i % 3, 5:5 + 10] = 1
    colour = np.array([[230, 40, 40], [250, 220, 30], [240, 240, 240]][i % 3], dtype=np.uint8)
    image[mask == 1] = colour
    segmim = np.empty_like(image)
    segmim[:] = (0, 0, 254)
    segmim[mask == 1] = colour
    return image, segmim, mask


def build_fake_flowers102(folder: Path) -> dict:
    """Write 102flowers.tgz, 102segmentations.tgz and setid.mat into ``folder``; return md5s and masks."""
    folder.mkdir(parents=True, exist_ok=True)
    masks = {}
    with tarfile.open(folder / "102flowers.tgz", "w:gz") as img_tar, \
            tarfile.open(folder / "102segmentations.tgz", "w:gz") as seg_tar:
        for i in range(1, N_FAKE + 1):
            image, segmim, mask = _fake_flower(i)
            add_bytes(img_tar, f"jpg/image_{i:05d}.jpg", jpeg_bytes(image))
            add_bytes(seg_tar, f"segmim/segmim_{i:05d}.jpg", jpeg_bytes(segmim))
            masks[i] = mask
    savemat(folder / "setid.mat", {"trnid": np.array([[1, 2]], dtype=np.uint16),
                                   "valid": np.array([[3, 4]], dtype=np.uint16),
                                   "tstid": np.array([[5, 6]], dtype=np.uint16)})
    md5 = {name: hashlib.md5((folder / name).read_bytes()).hexdigest() for name in FLOWERS102_MD5}
    return {"md5": md5, "masks": masks}


@pytest.fixture(scope="module")
def flowers102_server(tmp_path_factory):
    """Serve a fake Oxford 102 folder on 127.0.0.1; the server stops after the module or 60 s at most."""
    folder = tmp_path_factory.mktemp("served")
    info = build_fake_flowers102(folder)
    with serve_folder(folder) as url:
        yield {"url": url, **info}


def test_download_extract_and_pair(tmp_path, flowers102_server):
    ds = Flowers102Segmentation(tmp_path, split="all", base_url=flowers102_server["url"],
                                md5=flowers102_server["md5"], test_size=2, timeout=10)
    root = tmp_path / "flowers102"
    assert (root / "jpg").is_dir() and (root / "segmim").is_dir() and (root / "setid.mat").is_file()
    assert leftovers(root) == []
    assert len(ds) == N_FAKE and ds.unpaired_ids == []
    image, mask, ignore = ds[0]
    assert image.shape == (3, H, W) and image.dtype == np.float32 and 0 <= image.min() <= image.max() <= 1
    assert mask.shape == (H, W) and mask.dtype == np.uint8 and set(np.unique(mask)) <= {0, 1}
    assert ignore is None
    for i, image_id in enumerate(ds.ids):
        _, mask, _ = ds[i]
        true = flowers102_server["masks"][image_id]
        # JPEG blurs the outline by a pixel at most; the inside and the far background are exact
        assert (mask != true).mean() < 0.1
        assert mask[true == 1].mean() > 0.9 and mask[:2].sum() == 0


def test_second_construction_uses_local_files(tmp_path, flowers102_server):
    Flowers102Segmentation(tmp_path, base_url=flowers102_server["url"], md5=flowers102_server["md5"],
                           test_size=2, timeout=10)
    ds = Flowers102Segmentation(tmp_path, base_url=DEAD_URL, md5=flowers102_server["md5"],
                                download=False, test_size=2)     # port 9: nothing listens there
    assert len(ds) == N_FAKE


def test_splits_paper_and_redo(tmp_path, flowers102_server):
    kw = dict(base_url=flowers102_server["url"], md5=flowers102_server["md5"], timeout=10)
    train = Flowers102Segmentation(tmp_path, "train", test_size=2, split_seed=3, **kw)
    test = Flowers102Segmentation(tmp_path, "test", test_size=2, split_seed=3, **kw)
    assert len(test) == 2 and len(train) == N_FAKE - 2 and not set(train.ids) & set(test.ids)
    again = Flowers102Segmentation(tmp_path, "test", test_size=2, split_seed=3, **kw)
    assert again.ids == test.ids                                     # a fixed-seed split
    redo = {s: Flowers102Segmentation(tmp_path, s, protocol="redo", **kw).ids for s in ("train", "val", "test")}
    assert redo == {"train": [5, 6], "val": [3, 4], "test": [1, 2]}   # ReDO: test = trnid, train = tstid
    with pytest.raises(ValueError, match="validation"):
        Flowers102Segmentation(tmp_path, "val", protocol="paper", **kw)


def test_resize(tmp_path, flowers102_server):
    ds = Flowers102Segmentation(tmp_path, size=(10, 12), base_url=flowers102_server["url"],
                                md5=flowers102_server["md5"], test_size=2, timeout=10)
    image, mask, _ = ds[1]
    assert image.shape == (3, 10, 12) and mask.shape == (10, 12)
    X, M, I = ds.load_arrays()
    assert X.shape == (N_FAKE, 3, 10, 12) and M.shape == (N_FAKE, 10, 12) and I is None


def test_wrong_md5_raises_and_leaves_nothing_half_done(tmp_path, flowers102_server):
    md5 = dict(flowers102_server["md5"], **{"102segmentations.tgz": "0" * 32})
    with pytest.raises(ChecksumError) as err:
        Flowers102Segmentation(tmp_path, base_url=flowers102_server["url"], md5=md5, timeout=10)
    message = str(err.value)
    root = tmp_path / "flowers102"
    assert str(tmp_path) in message and "102segmentations.tgz" in message and "Fix" in message
    assert isinstance(err.value, DataNotFoundError)
    assert not (root / "segmim").exists() and not (root / "102segmentations.tgz").exists()
    assert leftovers(root) == []
    # the archives that were fine are kept; a later run with the right md5 completes
    Flowers102Segmentation(tmp_path, base_url=flowers102_server["url"], md5=flowers102_server["md5"],
                           test_size=2, timeout=10)
    assert (root / "segmim").is_dir() and leftovers(root) == []


def test_local_archive_with_wrong_md5_is_not_extracted(tmp_path, flowers102_server):
    root = tmp_path / "flowers102"
    root.mkdir()
    (root / "102flowers.tgz").write_bytes(b"not an archive")
    with pytest.raises(ChecksumError, match="102flowers.tgz"):
        Flowers102Segmentation(tmp_path, base_url=flowers102_server["url"], md5=flowers102_server["md5"],
                               timeout=10)
    assert not (root / "jpg").exists() and leftovers(root) == []


def test_missing_without_download_names_root_file_and_fix(tmp_path):
    with pytest.raises(DataNotFoundError) as err:
        Flowers102Segmentation(tmp_path, download=False)
    message = str(err.value)
    assert str(tmp_path) in message and "setid.mat" in message and "Fix" in message


def test_unreachable_server_raises_data_not_found(tmp_path):
    with pytest.raises(DataNotFoundError, match="download .* failed"):
        Flowers102Segmentation(tmp_path, base_url=DEAD_URL, timeout=5)
    assert leftovers(tmp_path) == []


def test_bad_arguments():
    with pytest.raises(ValueError, match="split"):
        Flowers102Segmentation(split="dev", download=False)
    with pytest.raises(ValueError, match="protocol"):
        Flowers102Segmentation(protocol="mine", download=False)
    with pytest.raises(ValueError, match="unknown segmentation dataset"):
        load_segmentation_dataset("flowers18")


# --------------------------------------------------------------------------- the segmim background rule

def _disc_segmim(colour, size: int = 64, radius: int = 18, seed: int = 0):
    """A textured flower disc of ``colour`` on the painted blue background, and its true mask."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:size, :size]
    disc = (yy - size / 2) ** 2 + (xx - size / 2) ** 2 <= radius ** 2
    img = np.empty((size, size, 3), dtype=np.uint8)
    img[:] = (0, 0, 254)
    texture = np.clip(np.asarray(colour)[None, None] + rng.normal(0, 12, (size, size, 3)), 0, 255)
    img[disc] = texture[disc].astype(np.uint8)
    return img, disc


def _near_outline(mask: np.ndarray, width: int = 2) -> np.ndarray:
    return binary_dilation(mask, iterations=width) & ~binary_erosion(mask, iterations=width)


@pytest.mark.parametrize("colour", [(230, 40, 40), (250, 220, 30), (245, 245, 245), (60, 30, 200),
                                    (120, 60, 180), (40, 120, 40)])
@pytest.mark.parametrize("quality", [50, 75, 95])
def test_background_rule_on_jpeg_noised_segmim(colour, quality):
    img, disc = _disc_segmim(colour)
    noised = np.asarray(Image.open(io.BytesIO(jpeg_bytes(img, quality))).convert("RGB"))
    assert np.abs(noised.astype(int) - img.astype(int)).max() > 0        # JPEG did change the pixels
    background = segmim_background(noised)
    wrong = background == disc                                           # background decided inside, or not
    if quality >= 75:    # at the harsh quality 50, 8x8-block ringing reaches further; only the count is bounded
        outline = _near_outline(disc, width=2)
        assert not wrong[~outline].any(), "pixels away from the outline must be decided exactly"
    # along the outline JPEG's chroma subsampling blends blue into the flower: at most about
    # a one- to two-pixel ring is decided wrongly
    perimeter = (disc & ~binary_erosion(disc)).sum()
    assert wrong.sum() <= 2 * perimeter


def test_background_rule_exact_colours_and_tolerance():
    img = np.array([[[0, 0, 254], [0, 0, 255], [30, 30, 230], [60, 30, 200], [255, 255, 255]]], np.uint8)
    np.testing.assert_array_equal(segmim_background(img), [[True, True, True, False, False]])
    np.testing.assert_array_equal(segmim_background(img, tolerance=0), [[True, False, False, False, False]])
    with pytest.raises(ValueError, match="shape"):
        segmim_background(img[..., :2])
    with pytest.raises(ValueError, match="tolerance"):
        segmim_background(img, tolerance=-1)


# --------------------------------------------------------------------------- Oxford 17 with trimaps

def build_fake_flowers17(root: Path, n_images: int = 10, n_masked: int = 7, size: int = 16) -> dict:
    """``root/flowers17``: ``n_images`` jpgs and palette-PNG trimaps for the first ``n_masked``."""
    folder = root / "flowers17"
    (folder / "jpg").mkdir(parents=True)
    (folder / "trimaps").mkdir()
    trimaps = {}
    rng = np.random.default_rng(0)
    for i in range(1, n_images + 1):
        Image.fromarray(rng.integers(0, 256, (size, size, 3), dtype=np.uint8)).save(folder / "jpg" / f"image_{i:04d}.jpg")
        if i <= n_masked:
            t = np.full((size, size), 3, dtype=np.uint8)
            t[4:12, 4:12] = 0                 # band
            t[5:11, 5:11] = 1                 # flower
            t[0, 0] = 2                       # a rare extra label: background
            im = Image.fromarray(t, mode="P")
            im.putpalette([0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255] + [0] * (256 * 3 - 12))
            im.save(folder / "trimaps" / f"image_{i:04d}.png")
            trimaps[i] = t
    return trimaps


def test_flowers17_items_and_splits(tmp_path):
    trimaps = build_fake_flowers17(tmp_path)
    all_ = Flowers17Segmentation(tmp_path)
    test = Flowers17Segmentation(tmp_path, "test")
    train = Flowers17Segmentation(tmp_path, "train")
    assert len(all_) == 10 and len(test) == round(0.3 * 7) == 2 and len(train) == 8
    assert set(test.ids) <= set(trimaps) and not set(test.ids) & set(train.ids)
    assert set(train.ids) | set(test.ids) == set(all_.ids)
    assert Flowers17Segmentation(tmp_path, "test").ids == test.ids            # fixed
    assert Flowers17Segmentation(tmp_path, "test", split_seed=1).ids != test.ids        # the seed decides
    image, mask, ignore = test[0]
    t = trimaps[test.ids[0]]
    assert image.shape == (3, 16, 16) and image.dtype == np.float32
    np.testing.assert_array_equal(mask, (t == 1).astype(np.uint8))
    np.testing.assert_array_equal(ignore, t == 0)
    assert mask.dtype == np.uint8 and ignore.dtype == bool
    unmasked = [i for i in range(len(train)) if not train.has_mask(i)]
    assert len(unmasked) == 3 and train[unmasked[0]][1:] == (None, None)
    assert len(train.masked_positions()) == 5


def test_flowers17_resize_and_arrays(tmp_path):
    build_fake_flowers17(tmp_path)
    ds = Flowers17Segmentation(tmp_path, "train", size=8)
    with pytest.raises(ValueError, match="no ground-truth mask"):
        ds.load_arrays()
    X, M, I = ds.load_arrays(ds.masked_positions())
    assert X.shape == (5, 3, 8, 8) and M.shape == (5, 8, 8) and I.shape == (5, 8, 8) and I.dtype == bool
    X, M, I = ds.load_arrays(require_masks=False)
    assert X.shape == (8, 3, 8, 8) and M is None and I is None
    with pytest.raises(ValueError, match="size"):
        Flowers17Segmentation(tmp_path).load_arrays()


def test_flowers17_folder_checksums_match_sha256sum_and_reach_the_record(tmp_path):
    build_fake_flowers17(tmp_path)
    folder = tmp_path / "flowers17" / "trimaps"
    # What `sha256sum * | sha256sum` prints inside the folder.
    lines = "".join(f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.name}\n" for p in sorted(folder.iterdir()))
    digests = Flowers17Segmentation(tmp_path).folder_digests()
    assert set(digests) == {"jpg", "trimaps"}
    assert digests["trimaps"] == {"files": 7, "bytes": sum(p.stat().st_size for p in folder.iterdir()),
                                  "sha256": hashlib.sha256(lines.encode()).hexdigest()}
    data = load_segmentation_data("flowers17", tmp_path, image_size=8, n_train=4, n_val=2, n_test=2)
    assert data.provenance["folders_sha256"] == digests
    # One changed byte in one file changes the folder's checksum (a fresh root: the digest is cached per path).
    other = tmp_path / "other"
    build_fake_flowers17(other)
    trimap = other / "flowers17" / "trimaps" / "image_0001.png"
    trimap.write_bytes(trimap.read_bytes() + b"\0")
    assert Flowers17Segmentation(other).folder_digests()["trimaps"]["sha256"] != digests["trimaps"]["sha256"]
    assert Flowers17Segmentation(other).folder_digests()["jpg"] == digests["jpg"]


def test_flowers17_missing_root_names_root_and_fix(tmp_path):
    with pytest.raises(DataNotFoundError) as err:
        Flowers17Segmentation(tmp_path, download=False)
    assert str(tmp_path) in str(err.value) and "flowers17" in str(err.value) and "Fix" in str(err.value)


def test_flowers17_bad_arguments(tmp_path):
    build_fake_flowers17(tmp_path)
    with pytest.raises(ValueError, match="split"):
        Flowers17Segmentation(tmp_path, "val")
    with pytest.raises(ValueError, match="test_fraction"):
        Flowers17Segmentation(tmp_path, test_fraction=1.5)
    with pytest.raises(ValueError, match="size"):
        Flowers17Segmentation(tmp_path, size=0)


@pytest.fixture(scope="module")
def real_flowers17_root():
    from osa_lib.data.mnist import default_data_dir

    root = default_data_dir()
    if not (root / "flowers17" / "trimaps").is_dir():
        pytest.skip(f"real Oxford 17 not found under {root}")
    return root


def test_real_flowers17_split_sizes(real_flowers17_root):
    test = Flowers17Segmentation(real_flowers17_root, "test")
    train = Flowers17Segmentation(real_flowers17_root, "train")
    assert len(test.masked_ids) == 846 and len(test.all_ids) == 1360
    assert len(test) == 254 and len(train) == 1106 and len(train.masked_positions()) == 846 - 254
    image, mask, ignore = test[0]
    assert image.shape[0] == 3 and mask.shape == ignore.shape == image.shape[1:]
    assert 0 < mask.mean() < 1 and ignore.any()
    if test.copy_description() == FLOWERS17_OFFLINE_COPY:     # the official images keep their own sizes
        assert image.shape == (3, 256, 256)
