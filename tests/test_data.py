"""Data loading and the data-root rules (SPEC §6), offline, on fake IDX files and the real root."""
from __future__ import annotations

import os
import stat
from pathlib import Path

import numpy as np
import pytest

from osa_lib.data import mnist as osa_data
from osa_lib.data.mnist import DataNotFoundError, flatten_images, load_dataset, resolve_data_dir, subsample


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
        assert not os.access(root / "MNIST" / "raw" / "train-images-idx3-ubyte", os.W_OK) or os.geteuid() == 0
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


# --------------------------------------------------------------------------- flatten / subsample

def test_flatten_images():
    X = np.arange(2 * 1 * 3 * 4, dtype=np.float32).reshape(2, 1, 3, 4)
    flat = flatten_images(X)
    assert flat.shape == (2, 12)
    np.testing.assert_array_equal(flat[1], np.arange(12, 24))
    assert flatten_images(flat).shape == (2, 12)       # rows stay rows
    with pytest.raises(ValueError, match="shape"):
        flatten_images(np.zeros(5))


def test_subsample_is_deterministic_sorted_and_paired():
    X = np.arange(100) * 10
    y = np.arange(100)
    Xa, ya = subsample(X, y, 20, random_state=3)
    Xb, yb = subsample(X, y, 20, random_state=3)
    np.testing.assert_array_equal(Xa, Xb)
    np.testing.assert_array_equal(ya, yb)
    assert len(ya) == 20 and np.unique(ya).size == 20
    assert np.all(np.diff(ya) > 0)                      # sorted, original order kept
    np.testing.assert_array_equal(Xa, ya * 10)          # rows stay with their labels
    Xc, yc = subsample(X, y, 20, random_state=4)
    assert not np.array_equal(yc, ya)


@pytest.mark.parametrize("n", [None, 100, 1000])
def test_subsample_returns_everything_when_n_is_none_or_large(n):
    X, y = np.arange(100), np.arange(100)
    Xs, ys = subsample(X, y, n)
    np.testing.assert_array_equal(Xs, X)
    np.testing.assert_array_equal(ys, y)


@pytest.mark.parametrize("n", [0, -5])
def test_subsample_rejects_sizes_below_one(n):
    with pytest.raises(ValueError, match=">= 1"):
        subsample(np.arange(10), np.arange(10), n)
