"""The first code cell of every notebook: install the project when ``osa_lib`` is missing (Colab, a bare
Binder or JupyterHub kernel), hidden on the book's pages (tag ``remove-cell``).

    python scripts/install_cell.py          # put the cell into every notebook (after its title)
    python scripts/install_cell.py --check  # exit 1 when a notebook lacks it or has another version

Where it installs from: the checkout the notebook lies in (Binder, JupyterHub, a clone), else
``$OSA_INSTALL_SOURCE`` (for Colab: ``git+https://github.com/<owner>/<repo>``, the repository the
notebook was opened from). ``$OSA_INSTALL_ARGS`` adds pip options (the test uses ``--no-deps``).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted([*ROOT.glob("notebooks/*.ipynb"), *ROOT.glob("book/*.ipynb")])
TAG = "install-osa-lib"

SOURCE = '''# Colab / Binder / JupyterHub: install the project when osa_lib is missing (hidden in the book).
import importlib.util, os, pathlib, shlex, subprocess, sys
if importlib.util.find_spec("osa_lib") is None:
    _root = next((p for p in (pathlib.Path.cwd(), *pathlib.Path.cwd().parents) if (p / "pyproject.toml").is_file()
                  and (p / "osa_lib").is_dir()), None)
    _source = str(_root) if _root else os.environ.get("OSA_INSTALL_SOURCE")
    if _source is None:
        raise RuntimeError("osa_lib is not installed and this notebook is not inside the project's checkout: set "
                           "OSA_INSTALL_SOURCE=git+https://github.com/<owner>/<repo> (the repository this notebook "
                           "comes from) and run this cell again")
    subprocess.check_call([sys.executable, "-m", "pip", "install", "--quiet",
                           *shlex.split(os.environ.get("OSA_INSTALL_ARGS", "")), _source])
    importlib.invalidate_caches()'''


def install_cell():
    import nbformat

    cell = nbformat.v4.new_code_cell(SOURCE)
    cell.metadata["tags"] = ["remove-cell", TAG]
    return cell


def main(argv=None) -> int:
    import nbformat

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    bad = []
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        found = [i for i, c in enumerate(nb.cells) if TAG in c.metadata.get("tags", [])]
        if args.check:
            if len(found) != 1 or nb.cells[found[0]].source != SOURCE:
                bad.append(path.relative_to(ROOT).as_posix())
            continue
        for i in reversed(found):
            del nb.cells[i]
        nb.cells.insert(1, install_cell())          # after the title, before the parameters cell
        nbformat.write(nb, path)
    if bad:
        print("notebooks without the current install cell:", ", ".join(bad), "(run scripts/install_cell.py)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
