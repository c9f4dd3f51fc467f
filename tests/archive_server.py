"""Test helpers for the downloaders: tar members from bytes, a folder served on 127.0.0.1, leftovers."""
from __future__ import annotations

import contextlib
import functools
import http.server
import io
import tarfile
import threading
from pathlib import Path

import numpy as np
from PIL import Image

#: a URL where nothing listens (port 9, "discard"): a download from it fails at once
DEAD_URL = "http://127.0.0.1:9/"


def jpeg_bytes(array: np.ndarray, quality: int = 90) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, format="JPEG", quality=quality)
    return buf.getvalue()


def add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    """Add a member ``name`` holding ``data`` to an open tar archive."""
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest's output clean
        pass


@contextlib.contextmanager
def serve_folder(folder: Path, max_seconds: float = 60.0):
    """Serve ``folder`` on 127.0.0.1 (a free port) and yield its base URL; stops on exit or after ``max_seconds``."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    deadline = threading.Timer(max_seconds, server.shutdown)   # bounded: stops by itself
    deadline.daemon = True
    deadline.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        deadline.cancel()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def leftovers(root: Path) -> list[str]:
    """Temporary or partial files the downloader may leave behind."""
    return sorted(p.name for p in root.rglob("*") if p.name.startswith(".") or p.suffix == ".part")
