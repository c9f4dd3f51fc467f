"""JupyterLab: the kernel the notebooks name is the one installed, and ``make lab`` serves the chapters."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted((ROOT / "book").glob("*.ipynb"))


def test_every_notebook_names_the_kernel_make_installs():
    """The Makefile registers ``python3`` with ``ipykernel install --sys-prefix``; every notebook names it."""
    makefile = (ROOT / "Makefile").read_text()
    assert "ipykernel install --sys-prefix --name python3" in makefile
    for path in NOTEBOOKS:
        spec = json.loads(path.read_text())["metadata"]["kernelspec"]
        assert spec["name"] == "python3", path.name


def test_the_named_kernel_runs_this_environment():
    """``python3`` resolves to a kernel of this environment (its prefix), as ``make lab`` and papermill see it."""
    kernelspec = pytest.importorskip("jupyter_client.kernelspec")
    spec = kernelspec.KernelSpecManager().get_kernel_spec("python3")
    python = Path(spec.argv[0])
    if python.name in ("python", "python3") and not python.is_absolute():     # ipykernel's built-in spec
        return
    prefix = subprocess.run([str(python), "-c", "import sys; print(sys.prefix)"], capture_output=True, text=True,
                            check=True).stdout.strip()
    assert Path(prefix).resolve() == Path(sys.prefix).resolve(), (spec.argv, prefix, sys.prefix)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children(pid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            child = int(stat.parent.name)
            out += [child] + _children(child)
    return out


@pytest.mark.slow
@pytest.mark.skipif(not (ROOT / ".venv" / "bin" / "python").exists(), reason="make lab needs .venv (make test makes it)")
def test_make_lab_serves_the_chapters_with_the_project_kernel(tmp_path):
    """``make lab`` as printed, with only a port, a token and no browser appended."""
    port, token = _free_port(), "osa-test"
    env = dict(os.environ, OSA_DATA_DIR=str(tmp_path / "data"), JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"))
    proc = subprocess.Popen(["make", "lab", f"LAB_ARGS=--no-browser --port={port} --IdentityProvider.token={token}"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        specs = None
        for _ in range(240):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/kernelspecs?token={token}", timeout=2) as r:
                    specs = json.load(r)
                break
            except OSError:
                if proc.poll() is not None:
                    break
                time.sleep(0.5)
        assert specs is not None, proc.stdout.read().decode()[-3000:] if proc.poll() is not None else "no answer"
        assert "python3" in specs["kernelspecs"]
        argv = specs["kernelspecs"]["python3"]["spec"]["argv"]
        assert Path(argv[0]).parent.resolve() == (ROOT / ".venv" / "bin").resolve() or argv[0] in ("python", "python3")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/contents/notebooks?token={token}", timeout=5) as r:
            names = {c["name"] for c in json.load(r)["content"]}
        assert {"shallow_acrbm.ipynb", "ae_acrbm.ipynb", "loc.ipynb", "derivations.ipynb"} <= names
        environs = []
        for pid in _children(proc.pid):
            try:
                environs.append(Path(f"/proc/{pid}/environ").read_bytes().split(b"\0"))
            except OSError:
                pass
        assert any(f"OSA_DATA_DIR={tmp_path / 'data'}".encode() in e for e in environs)   # the kernels inherit it
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)     # the server and its kernels (started here)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
