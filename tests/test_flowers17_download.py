"""Oxford 17's downloader against tiny official-layout archives served on 127.0.0.1: extraction, checks,
the offline error, SOURCE.json and the record's ``copy``; the read-only offline copy downloads nothing."""
from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tarfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from scipy.io import savemat

from archive_server import DEAD_URL, add_bytes, jpeg_bytes, leftovers, serve_folder
from osa_lib.data.flowers import (FLOWERS17_OFFLINE_COPY, SOURCE_FILE, ChecksumError, DataNotFoundError,
                                  Flowers17Segmentation, check_trimaps, load_segmentation_data)

#: (H, W) of the fake images: not square, not alike, as the official ones
SIZES = {1: (20, 30), 2: (28, 18), 3: (24, 36), 4: (30, 22)}
MASKED = (1, 2, 3)          # image 4 has no trimap, as some official images


def _trimap(h: int, w: int) -> np.ndarray:
    """3 = background, 0 = the unlabelled band, 1 = flower, 2 = a rare extra label (background)."""
    t = np.full((h, w), 3, dtype=np.uint8)
    t[h // 4:3 * h // 4, w // 4:3 * w // 4] = 0
    t[h // 4 + 2:3 * h // 4 - 2, w // 4 + 2:3 * w // 4 - 2] = 1
    t[0, 0] = 2
    return t


def _png_bytes(t: np.ndarray) -> bytes:
    im = Image.fromarray(t, mode="P")
    im.putpalette([0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255] + [0] * (256 * 3 - 12))
    buf = io.BytesIO()
    im.save(buf, format="PNG")
    return buf.getvalue()


def _mat_bytes(arrays: dict) -> bytes:
    buf = io.BytesIO()
    savemat(buf, arrays)
    return buf.getvalue()


def build_fake_flowers17_site(folder: Path, *, trimaps=MASKED, listed=MASKED, imlist_at: str = "trimaps/") -> dict:
    """Write 17flowers.tgz, trimaps.tgz and datasplits.mat in the official layout into ``folder``.

    ``trimaps``: the ids that get a trimap; ``listed``: the ids ``imlist.mat`` lists; ``imlist_at``:
    where ``imlist.mat`` sits in the archive. Returns the md5 sums and the trimaps.
    """
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    with tarfile.open(folder / "17flowers.tgz", "w:gz") as tar:
        for i, (h, w) in SIZES.items():
            add_bytes(tar, f"jpg/image_{i:04d}.jpg", jpeg_bytes(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)))
        add_bytes(tar, "jpg/files.txt", "".join(f"image_{i:04d}.jpg\n" for i in SIZES).encode())
    maps = {i: _trimap(*SIZES[i]) for i in trimaps}
    with tarfile.open(folder / "trimaps.tgz", "w:gz") as tar:
        for i, t in maps.items():
            add_bytes(tar, f"trimaps/image_{i:04d}.png", _png_bytes(t))
        add_bytes(tar, f"{imlist_at}imlist.mat", _mat_bytes({"imlist": np.array([listed], dtype=np.uint16)}))
    (folder / "datasplits.mat").write_bytes(_mat_bytes({f"{k}{s}": np.array([[1, 2]], dtype=np.uint16)
                                                        for k in ("trn", "val", "tst") for s in (1, 2, 3)}))
    md5 = {n: hashlib.md5((folder / n).read_bytes()).hexdigest() for n in ("17flowers.tgz", "datasplits.mat")}
    return {"md5": md5, "trimaps": maps}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """Three fake sites on one 127.0.0.1 server: ``good/``, ``broken/`` (a listed trimap missing) and
    ``toplevel/`` (imlist.mat beside the trimaps/ folder, not in it)."""
    served = tmp_path_factory.mktemp("served17")
    good = build_fake_flowers17_site(served / "good")
    # each site has its own md5 sums: savemat and gzip stamp the time into the files
    md5 = {"good": good["md5"],
           "broken": build_fake_flowers17_site(served / "broken", trimaps=(1, 3))["md5"],
           "toplevel": build_fake_flowers17_site(served / "toplevel", imlist_at="")["md5"]}
    with serve_folder(served) as url:
        yield {"url": url, "md5": good["md5"], "site_md5": md5, "trimaps": good["trimaps"], "served": served}


def _open(tmp_path, site, where: str = "good", **kw) -> Flowers17Segmentation:
    return Flowers17Segmentation(tmp_path, base_url=site["url"] + where + "/", md5=site["site_md5"][where],
                                 timeout=10, **kw)


def _snapshot(root: Path) -> dict:
    return {str(p.relative_to(root)): p.stat().st_mtime_ns for p in sorted(root.rglob("*"))}


def test_download_extract_and_load_at_the_files_own_sizes(tmp_path, site):
    ds = _open(tmp_path, site)
    root = tmp_path / "flowers17"
    assert {p.name for p in root.iterdir()} == {"jpg", "trimaps", "17flowers.tgz", "trimaps.tgz", "datasplits.mat",
                                                SOURCE_FILE}
    assert (root / "trimaps" / "imlist.mat").is_file() and leftovers(root) == []
    assert ds.all_ids == [1, 2, 3, 4] and ds.masked_ids == list(MASKED)
    for i, image_id in enumerate(ds.ids):
        image, mask, ignore = ds[i]
        h, w = SIZES[image_id]
        assert image.shape == (3, h, w) and image.dtype == np.float32
        if image_id in MASKED:
            t = site["trimaps"][image_id]
            np.testing.assert_array_equal(mask, (t == 1).astype(np.uint8))
            np.testing.assert_array_equal(ignore, t == 0)
        else:
            assert mask is None and ignore is None


def test_official_sizes_are_resized_to_the_chapters_square(tmp_path, site):
    _open(tmp_path, site)
    ds = _open(tmp_path, site, size=(12, 16))
    image, mask, ignore = ds[0]
    assert image.shape == (3, 12, 16) and mask.shape == ignore.shape == (12, 16)
    assert set(np.unique(mask)) == {0, 1} and ignore.any()
    data = load_segmentation_data("flowers17", tmp_path, image_size=8, progress=False,
                                  base_url=DEAD_URL, md5=site["md5"])
    assert data.X_train.shape[1:] == (3, 8, 8) and data.M_test.shape[1:] == data.I_test.shape[1:] == (8, 8)
    assert len(data.X_train) + len(data.X_test) == 4 and len(data.X_val) + len(data.X_test) == len(MASKED)


def test_source_json_and_the_records_copy(tmp_path, site):
    ds = _open(tmp_path, site)
    root, served = tmp_path / "flowers17", site["served"] / "good"
    source = json.loads((root / SOURCE_FILE).read_text())
    url = site["url"] + "good/"
    assert source["base_url"] == url
    assert source["folders"] == {"jpg": {"archive": "17flowers.tgz", "url": url + "17flowers.tgz"},
                                 "trimaps": {"archive": "trimaps.tgz", "url": url + "trimaps.tgz"}}
    for name in ("17flowers.tgz", "trimaps.tgz", "datasplits.mat"):
        data = (served / name).read_bytes()
        assert source["files"][name] == {"bytes": len(data), "md5": hashlib.md5(data).hexdigest(),
                                         "sha256": hashlib.sha256(data).hexdigest()}
    sha = hashlib.sha256((served / "trimaps.tgz").read_bytes()).hexdigest()
    assert ds.trimaps_sha256 == sha
    assert ds.copy_description() == (f"official Oxford 17 archives from {url} (images at their own sizes; "
                                     f"trimaps.tgz sha256 {sha})")
    data = load_segmentation_data("flowers17", tmp_path, image_size=8, progress=False, base_url=url, md5=site["md5"])
    assert data.provenance["copy"] == ds.copy_description() and data.provenance["trimaps_sha256"] == sha


def test_second_construction_uses_local_files_and_writes_nothing(tmp_path, site):
    _open(tmp_path, site)
    before = _snapshot(tmp_path)
    ds = Flowers17Segmentation(tmp_path, base_url=DEAD_URL, md5=site["md5"], timeout=2)   # download=True
    assert len(ds) == len(SIZES) and _snapshot(tmp_path) == before


def test_local_archives_are_extracted_without_network(tmp_path, site):
    root = tmp_path / "flowers17"
    root.mkdir()
    for name in ("17flowers.tgz", "trimaps.tgz"):
        shutil.copy(site["served"] / "good" / name, root / name)
    ds = Flowers17Segmentation(tmp_path, download=False, base_url=DEAD_URL, md5=site["md5"])
    assert ds.masked_ids == list(MASKED) and ds.copy_description().startswith("official Oxford 17 archives")


def test_wrong_md5_raises_and_leaves_nothing_half_done(tmp_path, site):
    md5 = dict(site["md5"], **{"17flowers.tgz": "0" * 32})
    with pytest.raises(ChecksumError) as err:
        Flowers17Segmentation(tmp_path, base_url=site["url"] + "good/", md5=md5, timeout=10)
    message, root = str(err.value), tmp_path / "flowers17"
    assert str(tmp_path) in message and "17flowers.tgz" in message and "Fix" in message
    assert not (root / "17flowers.tgz").exists() and not (root / "jpg").exists() and not (root / "trimaps").exists()
    assert not (root / SOURCE_FILE).exists() and leftovers(root) == []


def test_trimaps_archive_missing_a_listed_trimap_is_refused(tmp_path, site):
    with pytest.raises(ChecksumError) as err:
        _open(tmp_path, site, "broken")
    message, root = str(err.value), tmp_path / "flowers17"
    assert "trimaps.tgz" in message and "image_0002.png" in message and "1 of the 3" in message
    assert str(tmp_path) in message and "Fix" in message
    assert not (root / "trimaps").exists() and leftovers(root) == []
    # the images were complete: they stay, recorded as the official archive's
    assert json.loads((root / SOURCE_FILE).read_text())["folders"].keys() == {"jpg"}
    with pytest.raises(ChecksumError, match="delete it"):       # the kept archive is refused again
        _open(tmp_path, site, "broken")


def test_a_good_trimaps_archive_completes_what_a_broken_one_refused(tmp_path, site):
    with pytest.raises(ChecksumError):
        _open(tmp_path, site, "broken")
    (tmp_path / "flowers17" / "trimaps.tgz").unlink()
    # jpg/ and datasplits.mat are kept (so their md5 sums are the broken site's); trimaps.tgz, which
    # has no md5, comes from the good site
    ds = Flowers17Segmentation(tmp_path, base_url=site["url"] + "good/", md5=site["site_md5"]["broken"], timeout=10)
    assert ds.masked_ids == list(MASKED)
    assert "partly official" not in ds.copy_description()


def test_imlist_beside_the_folder_is_accepted_and_kept(tmp_path, site):
    ds = _open(tmp_path, site, "toplevel")
    assert ds.masked_ids == list(MASKED) and (tmp_path / "flowers17" / "trimaps" / "imlist.mat").is_file()


def test_check_trimaps_names_what_is_wrong(tmp_path):
    assert "no imlist.mat" in check_trimaps(tmp_path)
    savemat(tmp_path / "imlist.mat", {"imlist": np.array([[7, 8]], dtype=np.uint16)})
    assert "2 of the 2" in check_trimaps(tmp_path) and "image_0007.png" in check_trimaps(tmp_path)
    for i in (7, 8):
        (tmp_path / f"image_{i:04d}.png").write_bytes(b"")
    assert check_trimaps(tmp_path) is None


def test_offline_error_names_root_file_url_and_fix(tmp_path):
    with pytest.raises(DataNotFoundError) as err:
        Flowers17Segmentation(tmp_path, base_url=DEAD_URL, timeout=5)
    message = str(err.value)
    assert str(tmp_path) in message and "datasplits.mat" in message and DEAD_URL + "datasplits.mat" in message
    assert "download" in message and "failed" in message
    assert "Fix: set OSA_DATA_DIR" in message and "../shared/data" in message
    assert leftovers(tmp_path) == []


def test_missing_without_download_names_the_archive(tmp_path):
    with pytest.raises(DataNotFoundError, match=r"17flowers\.tgz is missing \(download=False\)"):
        Flowers17Segmentation(tmp_path, download=False)
    assert not (tmp_path / "flowers17").exists()


def test_the_offline_copy_is_described_and_nothing_is_downloaded(monkeypatch):
    root = Path(os.environ.get("OSA_DATA_DIR", "/work/shared/data"))
    if not (root / "flowers17" / "trimaps").is_dir():
        pytest.skip(f"the offline Oxford 17 copy is not at {root}")
    monkeypatch.setenv("OSA_DATA_DIR", str(root))
    before = sorted(p.name for p in (root / "flowers17").iterdir())
    ds = Flowers17Segmentation(base_url=DEAD_URL, timeout=2)                 # download=True: not needed
    assert ds.copy_description() == FLOWERS17_OFFLINE_COPY and ds.trimaps_sha256 is None
    data = load_segmentation_data("flowers17", image_size=8, n_train=2, n_val=1, n_test=1, progress=False,
                                  base_url=DEAD_URL)
    assert data.provenance["copy"] == FLOWERS17_OFFLINE_COPY and "trimaps_sha256" not in data.provenance
    assert sorted(p.name for p in (root / "flowers17").iterdir()) == before
