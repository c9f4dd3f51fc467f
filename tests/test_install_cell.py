"""The hidden first cell of every notebook installs the project when osa_lib is missing (Colab, Binder)."""
from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import install_cell  # noqa: E402


def test_every_notebook_has_the_current_install_cell_hidden_before_its_parameters():
    import nbformat

    assert install_cell.main(["--check"]) == 0
    for path in install_cell.NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        tags = [c.metadata.get("tags", []) for c in nb.cells]
        first = next(i for i, t in enumerate(tags) if install_cell.TAG in t)
        params = next(i for i, t in enumerate(tags) if "parameters" in t)
        assert "remove-cell" in tags[first] and first < params, path.name


@pytest.fixture
def no_build_left_behind():
    """pip builds a local checkout in its ``build/`` folder: remove it when this test made it."""
    build = ROOT / "build"
    existed = build.exists()
    yield
    if not existed:
        import shutil
        shutil.rmtree(build, ignore_errors=True)


@pytest.mark.slow
def test_the_cell_installs_the_checkout_into_a_fresh_environment(tmp_path, no_build_left_behind):
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    probe = "import importlib.util, sys; sys.exit(0 if importlib.util.find_spec('osa_lib') else 3)"
    assert subprocess.run([python, "-c", probe], cwd=tmp_path).returncode == 3       # missing at first
    env = {**os.environ, "OSA_INSTALL_ARGS": "--no-deps", "PYTHONPATH": ""}
    env.pop("VIRTUAL_ENV", None)
    subprocess.run([python, "-c", install_cell.SOURCE], cwd=ROOT / "notebooks", env=env, check=True, timeout=600)
    assert subprocess.run([python, "-c", probe], cwd=tmp_path, env=env).returncode == 0
    # outside the checkout and without OSA_INSTALL_SOURCE the cell says what to do
    fresh = tmp_path / "other"
    venv.EnvBuilder(with_pip=False).create(fresh)
    out = subprocess.run([fresh / "bin" / "python", "-c", install_cell.SOURCE], cwd=tmp_path, env=env,
                         capture_output=True, text=True)
    assert out.returncode != 0 and "OSA_INSTALL_SOURCE" in out.stderr
