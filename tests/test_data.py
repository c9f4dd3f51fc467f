"""Data loading and the data-root rules, offline, on fake IDX files and the real root."""
from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

import numpy as np
import pytest

from osa_lib.data import mnist as osa_data
from osa_lib.data import CorruptDataError, data_provenance
from osa_lib.data.mnist import CANONICAL_MD5, DataNotFoundError, flatten_images, load_dataset, resolve_data_dir
from conftest import write_idx_images, write_idx_labels


def all_paths(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


# --------------------------------------------------------------------------- real data

def test_real_mnist_test_split(real_data_dir):
    X, y = load_dataset("mnist", train=False, data_dir=real_data_dir, download=False)
    assert X.shape == (10000, 1, 28, 28) and X.dtype == np.float32
    assert y.shape == (10000,) and y.dtype == np.int64
    assert X.min() == 0.0 and X.max() == 1.0
    assert set(np.unique(y)) == set(range(10))


# --------------------------------------------------------------------------- fake IDX files

@pytest.mark.parametrize("train,split", [(True, "train"), (False, "t10k")])
def test_fake_mnist_round_trip(tmp_path, fake_mnist_root, train, split):
    arrays = fake_mnist_root(tmp_path, n_train=5, n_test=4)
    X, y = load_dataset("mnist", train=train, data_dir=tmp_path, download=False)
    images, labels = arrays[split]
    assert X.shape == (len(labels), 1, 28, 28) and X.dtype == np.float32
    np.testing.assert_allclose(X[:, 0], images / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(y, labels.astype(np.int64))
    assert y.dtype == np.int64


def test_fake_fashion_mnist_uses_its_own_folder(tmp_path, fake_mnist_root):
    arrays = fake_mnist_root(tmp_path, n_train=3, n_test=2, folder="FashionMNIST")
    X, y = load_dataset("fashion_mnist", train=False, data_dir=tmp_path, download=False)
    np.testing.assert_array_equal(y, arrays["t10k"][1])
    with pytest.raises(DataNotFoundError):   # no MNIST folder in that root
        load_dataset("mnist", train=False, data_dir=tmp_path, download=False)


def test_read_only_root_works_and_stays_untouched(tmp_path, fake_mnist_root):
    root = tmp_path / "ro"
    fake_mnist_root(root, n_train=5, n_test=4)
    before = all_paths(root)
    paths = [root, *root.rglob("*")]
    for p in paths:
        p.chmod(0o555 if p.is_dir() else 0o444)
    try:
        for train in (True, False):
            X, y = load_dataset("mnist", train=train, data_dir=root, download=True)
            assert len(X) == len(y) == (5 if train else 4)
        # nothing new (no processed/ folder, no downloads) under the root
        assert all_paths(root) == before
        assert not (root / "MNIST" / "raw" / "train-images-idx3-ubyte").stat().st_mode & 0o222  # read-only
    finally:
        for p in paths:
            p.chmod(stat.S_IRWXU if p.is_dir() else stat.S_IRUSR | stat.S_IWUSR)


def test_unknown_dataset_is_named():
    with pytest.raises(ValueError, match="cifar10"):
        load_dataset("cifar10", train=True, download=False)


def test_missing_files_without_download(tmp_path):
    with pytest.raises(DataNotFoundError) as info:
        load_dataset("mnist", train=True, data_dir=tmp_path, download=False)
    message = str(info.value)
    assert str(tmp_path) in message
    assert "train-images-idx3-ubyte" in message
    assert "OSA_DATA_DIR" in message
    assert isinstance(info.value, FileNotFoundError)
    assert list(tmp_path.iterdir()) == []   # nothing was created


def test_missing_test_split_names_the_test_files(tmp_path):
    with pytest.raises(DataNotFoundError, match="t10k-labels-idx1-ubyte"):
        load_dataset("mnist", train=False, data_dir=tmp_path, download=False)


def test_failed_download_is_reported_with_the_root(tmp_path, monkeypatch):
    calls = []

    def offline(cls_name, root, train, download):
        calls.append((cls_name, Path(root), train, download))
        if download:
            raise OSError("network is unreachable")
        raise AssertionError("must not try to load after a failed download")

    monkeypatch.setattr(osa_data, "_torchvision_dataset", offline)
    with pytest.raises(DataNotFoundError) as info:
        load_dataset("fashion_mnist", train=True, data_dir=tmp_path, download=True)
    message = str(info.value)
    assert str(tmp_path) in message
    assert "network is unreachable" in message
    assert "OSA_DATA_DIR" in message
    assert isinstance(info.value.__cause__, OSError)
    assert calls == [("FashionMNIST", tmp_path, True, True)]


def test_present_files_are_not_downloaded(tmp_path, fake_mnist_root, monkeypatch):
    fake_mnist_root(tmp_path)
    real = osa_data._torchvision_dataset
    downloads = []

    def spy(cls_name, root, train, download):
        downloads.append(download)
        return real(cls_name, root, train, download)

    monkeypatch.setattr(osa_data, "_torchvision_dataset", spy)
    load_dataset("mnist", train=True, data_dir=tmp_path, download=True)
    assert downloads == [False]


# --------------------------------------------------------------------------- the data root

def test_env_variable_sets_the_default_root(tmp_path, monkeypatch, fake_mnist_root):
    arrays = fake_mnist_root(tmp_path, n_test=3)
    monkeypatch.setenv(osa_data.DATA_ENV, str(tmp_path))
    assert resolve_data_dir() == tmp_path
    assert osa_data.default_data_dir() == tmp_path
    X, y = load_dataset("mnist", train=False, download=False)     # found through the env variable
    np.testing.assert_array_equal(y, arrays["t10k"][1])


def test_explicit_data_dir_beats_the_env_variable(tmp_path, monkeypatch):
    monkeypatch.setenv(osa_data.DATA_ENV, str(tmp_path / "from_env"))
    assert resolve_data_dir(tmp_path / "explicit") == tmp_path / "explicit"
    with pytest.raises(DataNotFoundError, match="explicit"):
        load_dataset("mnist", train=True, data_dir=tmp_path / "explicit", download=False)


def test_without_env_variable_the_root_is_data_in_the_repository(monkeypatch):
    monkeypatch.delenv(osa_data.DATA_ENV, raising=False)
    repo = Path(osa_data.__file__).resolve().parents[2]
    assert resolve_data_dir() == repo / "data"


def test_empty_env_variable_is_ignored(monkeypatch):
    monkeypatch.setenv(osa_data.DATA_ENV, "")
    assert resolve_data_dir().name == "data"


# --------------------------------------------------------------------------- flatten

def test_flatten_images():
    X = np.arange(2 * 1 * 3 * 4, dtype=np.float32).reshape(2, 1, 3, 4)
    flat = flatten_images(X)
    assert flat.shape == (2, 12)
    np.testing.assert_array_equal(flat[1], np.arange(12, 24))
    assert flatten_images(flat).shape == (2, 12)       # rows stay rows
    with pytest.raises(ValueError, match="shape"):
        flatten_images(np.zeros(5))


# --------------------------------------------------------------------------- damaged IDX files

def damage(raw: Path, name: str, how: str, cut: int = 32) -> None:
    path = raw / name
    data = path.read_bytes()
    if how == "truncated":
        path.write_bytes(data[:-cut])
    elif how == "padded":
        path.write_bytes(data + b"\0" * 3)
    elif how == "header only":
        path.write_bytes(data[:6])
    elif how == "wrong magic":
        path.write_bytes((2049).to_bytes(4, "big") + data[4:])


@pytest.mark.parametrize("how,expect", [
    ("truncated", r"truncated: expected 3152 bytes \(header: 4 images of 28x28\), found 3120 bytes"),
    ("padded", "longer than its header says: expected 3152 bytes .* found 3155 bytes"),
    ("header only", "truncated: 6 bytes, less than its 16-byte IDX header"),
    ("wrong magic", "not an IDX images file: magic number 2049, expected 2051"),
])
def test_damaged_image_file_raises_a_named_error_before_torchvision(tmp_path, fake_mnist_root, monkeypatch,
                                                                   how, expect):
    fake_mnist_root(tmp_path, n_train=5, n_test=4)
    raw = tmp_path / "MNIST" / "raw"
    damage(raw, "t10k-images-idx3-ubyte", how)
    before = all_paths(tmp_path)

    def must_not_run(*args, **kwargs):
        raise AssertionError("torchvision must not see a damaged file")

    monkeypatch.setattr(osa_data, "_torchvision_dataset", must_not_run)
    with pytest.raises(CorruptDataError, match=expect) as info:
        load_dataset("mnist", train=False, data_dir=tmp_path, download=True)
    message = str(info.value)
    assert str(raw / "t10k-images-idx3-ubyte") in message and "copy the file again" in message
    assert isinstance(info.value, ValueError)
    assert all_paths(tmp_path) == before                     # nothing written


def test_damaged_label_file_and_mismatched_counts(tmp_path, fake_mnist_root):
    fake_mnist_root(tmp_path, n_train=5, n_test=4)
    raw = tmp_path / "MNIST" / "raw"
    damage(raw, "train-labels-idx1-ubyte", "truncated", cut=2)
    with pytest.raises(CorruptDataError, match="train-labels-idx1-ubyte is truncated: expected 13 bytes "
                                               r"\(header: 5 labels\), found 11 bytes"):
        load_dataset("mnist", train=True, data_dir=tmp_path, download=False)
    write_idx_labels(raw / "train-labels-idx1-ubyte", np.zeros(3))        # valid file, other count
    with pytest.raises(CorruptDataError, match="holds 5 images but .* holds 3 labels"):
        load_dataset("mnist", train=True, data_dir=tmp_path, download=False)
    write_idx_images(raw / "train-images-idx3-ubyte", np.zeros((3, 28, 28)))
    X, y = load_dataset("mnist", train=True, data_dir=tmp_path, download=False)
    assert len(X) == len(y) == 3


def test_real_truncated_copy_gives_the_named_error(real_data_dir, tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for name in ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        (raw / name).write_bytes((real_data_dir / "MNIST" / "raw" / name).read_bytes())
    damage(raw, "t10k-images-idx3-ubyte", "truncated")
    with pytest.raises(CorruptDataError, match="expected 7840016 bytes .* found 7839984 bytes"):
        load_dataset("mnist", train=False, data_dir=tmp_path, download=False)


# --------------------------------------------------------------------------- provenance

def test_provenance_of_fake_files_is_not_canonical(tmp_path, fake_mnist_root):
    fake_mnist_root(tmp_path, n_train=6, n_test=5)
    prov = data_provenance("mnist", tmp_path)
    raw = tmp_path / "MNIST" / "raw"
    assert prov["data_root"] == str(tmp_path) and set(prov["files"]) == {f.name for f in raw.iterdir()}
    for name, info in prov["files"].items():
        data = (raw / name).read_bytes()
        assert info["sha256"] == hashlib.sha256(data).hexdigest() and info["md5"] == hashlib.md5(data).hexdigest()
        assert info["bytes"] == len(data) and info["canonical"] is False
    assert data_provenance("mnist", tmp_path / "elsewhere")["files"] == {}


def test_provenance_is_true_exactly_when_the_md5_is_the_official_one(tmp_path, fake_mnist_root, monkeypatch):
    fake_mnist_root(tmp_path, n_train=2, n_test=2)
    name = "t10k-labels-idx1-ubyte"
    own = hashlib.md5((tmp_path / "MNIST" / "raw" / name).read_bytes()).hexdigest()
    table = {"mnist": {**CANONICAL_MD5["mnist"], name: own}}
    del table["mnist"]["train-labels-idx1-ubyte"]
    monkeypatch.setattr(osa_data, "CANONICAL_MD5", table)
    files = data_provenance("mnist", tmp_path)["files"]
    assert files[name]["canonical"] is True
    assert files["train-labels-idx1-ubyte"]["canonical"] == "unknown"
    assert files["train-images-idx3-ubyte"]["canonical"] is False


def test_shared_copy_provenance_matches_its_readme(real_data_dir):
    """../shared/data/README.md: MNIST training images are a reconstruction, the other files exact."""
    files = data_provenance("mnist", real_data_dir)["files"]
    assert {n: f["canonical"] for n, f in files.items()} == {
        "train-images-idx3-ubyte": False, "train-labels-idx1-ubyte": True,
        "t10k-images-idx3-ubyte": True, "t10k-labels-idx1-ubyte": True}


@pytest.mark.parametrize("name, cls_name, folder", [("mnist", "MNIST", "MNIST"),
                                                     ("fashion_mnist", "FashionMNIST", "FashionMNIST")])
def test_first_run_downloads_into_an_empty_root_from_a_loopback_mirror(tmp_path, monkeypatch, name, cls_name,
                                                                       folder):
    """What the publishing workflow does on a fresh clone (no data root): torchvision downloads the
    four gzipped IDX archives, checks their md5 and extracts them; here from 127.0.0.1, small archives."""
    import gzip

    import torchvision.datasets as tvd
    from archive_server import serve_folder
    from conftest import write_fake_mnist

    arrays = write_fake_mnist(tmp_path / "made", n_train=6, n_test=3, folder=folder)
    site = tmp_path / "site"
    site.mkdir()
    resources = []
    for raw in sorted((tmp_path / "made" / folder / "raw").iterdir()):
        archive = site / f"{raw.name}.gz"
        archive.write_bytes(gzip.compress(raw.read_bytes(), mtime=0))
        resources.append((archive.name, hashlib.md5(archive.read_bytes()).hexdigest()))
    root = tmp_path / "data"                                   # empty: nothing there yet
    with serve_folder(site) as url:
        monkeypatch.setattr(getattr(tvd, cls_name), "mirrors", [url])
        monkeypatch.setattr(getattr(tvd, cls_name), "resources", resources)
        X, y = load_dataset(name, train=True, data_dir=root, download=True)
        X_test, _ = load_dataset(name, train=False, data_dir=root, download=True)
    images, labels = arrays["train"]
    np.testing.assert_array_equal(X[:, 0], images / np.float32(255.0))
    np.testing.assert_array_equal(y, labels)
    assert X_test.shape == (3, 1, 28, 28)
    assert {p.name for p in (root / folder / "raw").iterdir()} >= {r[0][:-3] for r in resources}
