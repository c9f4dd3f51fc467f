"""osa_lib.data.root: one data root for every data set, and the file digests."""
import hashlib

from osa_lib.data import flowers, mnist, root


def test_every_data_module_uses_the_one_root(monkeypatch, tmp_path):
    monkeypatch.setenv(root.DATA_ENV, str(tmp_path))
    assert root.resolve_data_dir() == tmp_path == mnist.resolve_data_dir() == flowers.resolve_data_dir()
    assert root.resolve_data_dir(tmp_path / "x") == tmp_path / "x"
    assert mnist.DataNotFoundError is root.DataNotFoundError is flowers.DataNotFoundError
    assert issubclass(flowers.ChecksumError, root.DataNotFoundError)


def test_digests_match_hashlib(tmp_path):
    f = tmp_path / "f.bin"
    f.write_bytes(b"abc" * 1000)
    d = root.file_digests(f)
    assert d == {"bytes": 3000, "md5": hashlib.md5(b"abc" * 1000).hexdigest(),
                 "sha256": hashlib.sha256(b"abc" * 1000).hexdigest()}
    assert root.md5sum(f, chunk=7) == d["md5"]
