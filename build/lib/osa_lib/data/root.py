"""The data root and the file checks every data set shares (bottom layer).

One data root holds every data set, in torchvision's layout (``MNIST/raw/...``,
``FashionMNIST/raw/...``, ``flowers17/...``, ``flowers102/...``). It is, in order of precedence: the
``data_dir`` argument, the environment variable ``OSA_DATA_DIR``, or ``data/`` in the repository
(ignored by git).
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

DATA_ENV = "OSA_DATA_DIR"


class DataNotFoundError(FileNotFoundError):
    """A data file is missing, could not be downloaded, or failed its checksum."""


def default_data_dir() -> Path:
    """``$OSA_DATA_DIR`` if set, else ``data/`` at the repository root (or the working directory)."""
    env = os.environ.get(DATA_ENV)
    if env:
        return Path(env).expanduser()
    repo = Path(__file__).resolve().parents[2]
    if (repo / "pyproject.toml").exists():
        return repo / "data"
    return Path.cwd() / "data"


def resolve_data_dir(data_dir: str | os.PathLike | None = None) -> Path:
    """The data root to use: ``data_dir`` if given, else :func:`default_data_dir`."""
    return Path(data_dir).expanduser() if data_dir is not None else default_data_dir()


def file_digests(path: Path) -> dict:
    """``{"bytes", "md5", "sha256"}`` of one file, read in 1 MiB chunks."""
    md5, sha = hashlib.md5(), hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            md5.update(chunk)
            sha.update(chunk)
    return {"bytes": Path(path).stat().st_size, "md5": md5.hexdigest(), "sha256": sha.hexdigest()}


def md5sum(path, chunk: int = 1 << 20) -> str:
    """The md5 hex digest of one file, read in ``chunk``-byte blocks."""
    h = hashlib.md5()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(chunk), b""):
            h.update(block)
    return h.hexdigest()
