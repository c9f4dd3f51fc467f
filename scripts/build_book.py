"""Execute every chapter with papermill, then build the HTML book with Jupyter Book 1.x.

    python scripts/build_book.py [--profile ci|paper] [--no-execute] [--only NAME ...]

Steps: copy the book's sources into _build/src/ (``_config.yml`` with the repository and launch
buttons of the repository the build names: scripts/book_config.py); execute each notebook with
papermill into that copy (working directory = the notebook's own folder, so
relative paths resolve as they do in Jupyter); hide the injected-parameters cells, write
the values they injected into each notebook's own parameters cell, keep only the sections tagged for the
data set it ran on (``only-<dataset>``), and drop stderr outputs (progress bars, warnings); run ``jupyter-book build``
(warnings are errors); check the built summary page.
The kernels run with ``OSA_PROGRESS=0`` and ``TQDM_DISABLE=1`` (no progress bars), and the
log holds one line per notebook. The repository's notebooks stay output-free. Execution
times go to _build/execution_times.json. Exits non-zero when a notebook raises or a check fails.
"""
from __future__ import annotations

import argparse
import logging
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import papermill as pm

sys.path.insert(0, str(ROOT := Path(__file__).resolve().parents[1]))
from osa_lib.book.harness.run_times import hardware  # noqa: E402
from osa_lib.book.provenance.records import REPOSITORY_RESULTS, profile_folder  # noqa: E402

import book_config  # noqa: E402  (scripts/, this script's folder)

BUILD = ROOT / "_build"
SRC = BUILD / "src"
TIMES = BUILD / "execution_times.json"
PAPER_TIMES = profile_folder(REPOSITORY_RESULTS, "paper") / "execution_times.json"

#: (name, source notebook, page written into the book, parameters, new title or None)
NOTEBOOKS = [
    ("shallow_acrbm", "notebooks/shallow_acrbm.ipynb", "notebooks/shallow_acrbm.ipynb",
     {"dataset": "mnist"}, None),
    ("shallow_acrbm_fashion_mnist", "notebooks/shallow_acrbm.ipynb",
     "notebooks/shallow_acrbm_fashion_mnist.ipynb", {"dataset": "fashion_mnist"},
     ("shallow-acrbm-fashion-mnist", "Shallow ACRBM on Fashion-MNIST")),
    ("derivations", "notebooks/derivations.ipynb", "notebooks/derivations.ipynb", {}, None),
    ("ae_acrbm", "notebooks/ae_acrbm.ipynb", "notebooks/ae_acrbm.ipynb", {"dataset": "mnist"}, None),
    ("other_domains", "notebooks/other_domains.ipynb", "notebooks/other_domains.ipynb", {}, None),
    ("loc", "notebooks/loc.ipynb", "notebooks/loc.ipynb", {"dataset": "flowers17"}, None),
    ("intro", "book/intro.ipynb", "book/intro.ipynb", {}, None),
    ("summary", "book/summary.ipynb", "book/summary.ipynb", {}, None),
    ("report", "book/report.ipynb", "book/report.ipynb", {}, None),
    ("rerun", "book/rerun.ipynb", "book/rerun.ipynb", {}, None),
]
#: Notebooks whose parameters cell takes ``build_profile`` instead of ``profile``.
BOOK_PAGES = {"intro", "summary", "report"}
#: Notebooks without a profile parameter.
NO_PROFILE = {"rerun"}

#: Strings the built summary page must contain (the CI check of Table 1).
SUMMARY_MUST_CONTAIN = ("Table 1", "Shallow ACRBM", "K-means", "AE + ACRBM", "Table 2", "LOC")
#: Environment of the papermill kernels: no progress bars (chapters read OSA_PROGRESS; tqdm reads TQDM_DISABLE).
KERNEL_ENV = {"OSA_PROGRESS": "0", "TQDM_DISABLE": "1"}


def stage_sources(clean: bool = True) -> None:
    """Copy the book's sources into _build/src/. Without ``clean``, notebooks executed by an
    earlier build stay (``--only`` re-executes some chapters and keeps the others)."""
    if clean and SRC.exists():
        shutil.rmtree(SRC)
    SRC.mkdir(parents=True, exist_ok=True)
    book_config.write_config(ROOT / "_config.yml", SRC / "_config.yml")
    shutil.copy2(ROOT / "_toc.yml", SRC / "_toc.yml")
    for folder in ("book", "notebooks", "_static"):
        for path in (ROOT / folder).rglob("*"):
            target = SRC / path.relative_to(ROOT)
            if path.is_dir() or ".ipynb_checkpoints" in path.parts:
                continue
            if path.suffix == ".ipynb" and target.exists() and not clean:
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)


def retitle(path: Path, label: str, title: str) -> None:
    """Give an executed copy its own label, H1, section targets and figure names (the same chapter run
    on another data set); references on the page follow the renamed targets."""
    nb = nbformat.read(path, as_version=4)
    first = next(c for c in nb.cells if c.cell_type == "markdown")
    lines = first.source.splitlines()
    page_label = next((l[1:-2] for l in lines if l.startswith("(") and l.endswith(")=")), None)
    lines = [f"# {title}" if l.startswith("# ") else l for l in lines]
    first.source = "\n".join(lines)
    renamed = {}
    for cell in nb.cells:  # targets and figure names must be unique across the book
        if cell.cell_type == "markdown":
            for old in re.findall(r"^\((\S+)\)=$", cell.source, flags=re.M):
                renamed[old] = label if old == page_label else f"{old}-{label}"
            for old in re.findall(r"^:name: (\S+)$", cell.source, flags=re.M):    # {glue:figure} directives
                renamed[old] = f"{old}-{label}"
        figure = cell.metadata.get("mystnb", {}).get("figure")
        if figure and "name" in figure:
            renamed[figure["name"]] = f"{figure['name']}-{label}"
            figure["name"] = renamed[figure["name"]]
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for old, new in renamed.items():
            cell.source = re.sub(rf"^\({re.escape(old)}\)=$", f"({new})=", cell.source, flags=re.M)
            cell.source = re.sub(rf"^:name: {re.escape(old)}$", f":name: {new}", cell.source, flags=re.M)
            cell.source = re.sub(rf"(\{{(?:numref|ref)\}}`(?:[^`<]*<)?){re.escape(old)}(>?`)", rf"\g<1>{new}\g<2>",
                                 cell.source)
    nbformat.write(nb, path)


def _literal(value) -> str:
    """A parameter value as the parameters cell writes it (strings in double quotes)."""
    return json.dumps(value) if isinstance(value, str) else repr(value)


def show_parameters(path: Path, parameters: dict) -> None:
    """Make the executed copy's own parameters cell show the values it ran with: each single-line
    assignment ``name = value`` (or ``name: type = value``) of an injected parameter gets the injected
    value, its comment kept. Then drop the cells tagged ``only-<dataset>`` for another data set (a chapter
    run on a second data set keeps only its own sections)."""
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        tags = cell.metadata.get("tags", [])
        if cell.cell_type != "code" or "parameters" not in tags or "injected-parameters" in tags:
            continue
        for name, value in parameters.items():
            pattern = rf"^({re.escape(name)}(?:\s*:\s*[^=\n]+?)?\s*=\s*)([^#\n]*?)(\s*#.*)?$"
            def replace(m, text=_literal(value)):
                if not m.group(3):
                    return m.group(1) + text
                width = len(m.group(2)) + len(m.group(3)) - len(m.group(3).lstrip())   # value + spaces before #
                return m.group(1) + text + " " * max(1, width - len(text)) + m.group(3).lstrip()
            cell.source = re.sub(pattern, replace, cell.source, count=1, flags=re.M)
    dataset = parameters.get("dataset")
    if dataset is not None:
        nb.cells = [c for c in nb.cells if not any(t.startswith("only-") and t != f"only-{dataset}"
                                                   for t in c.metadata.get("tags", []))]
    nbformat.write(nb, path)


def clean_executed(path: Path) -> int:
    """Hide the injected-parameters cells and drop stderr stream outputs (progress bars, warnings)
    of an executed notebook; return how many stderr outputs were dropped."""
    nb = nbformat.read(path, as_version=4)
    dropped = 0
    for cell in nb.cells:
        tags = cell.metadata.get("tags", [])
        if "injected-parameters" in tags and "remove-cell" not in tags:
            cell.metadata["tags"] = tags + ["remove-cell"]
        if cell.cell_type == "code":
            kept = [o for o in cell.get("outputs", []) if not (o.get("output_type") == "stream"
                                                                and o.get("name") == "stderr")]
            dropped += len(cell.get("outputs", [])) - len(kept)
            cell["outputs"] = kept
    nbformat.write(nb, path)
    return dropped


def execute(profile: str, only: list[str] | None, kernel: str | None) -> dict:
    # A non-inline backend (e.g. MPLBACKEND=Agg from a headless shell) would keep every
    # figure out of the executed notebooks; the kernels must use Jupyter's inline backend.
    os.environ.pop("MPLBACKEND", None)
    os.environ.update(KERNEL_ENV)          # the kernels inherit this environment
    # The source lines under tables and figures link record files to the repository the buttons name
    # (osa_lib.book.page.exhibit_sources); no repository, no link.
    repository = book_config.repository()
    if repository:
        os.environ.setdefault(book_config.ENV_REPOSITORY, repository)
    logging.getLogger("papermill").setLevel(logging.ERROR)   # one log line per notebook, ours
    times = {}
    for name, source, page, params, title in NOTEBOOKS:
        if only and name not in only:
            continue
        src, out = ROOT / source, SRC / page
        parameters = dict(params)
        if name in BOOK_PAGES:
            parameters["build_profile"] = profile
        elif name not in NO_PROFILE:
            parameters["profile"] = profile
            if profile == "paper":      # make paper rewrites the committed records on purpose
                parameters["overwrite"] = True
        start = time.perf_counter()
        pm.execute_notebook(str(src), str(out), parameters=parameters, cwd=str(src.parent),
                            kernel_name=kernel, log_output=False, progress_bar=False,
                            extra_arguments=["--IPKernelApp.log_level=ERROR"],   # no kernel banner lines
                            iopub_timeout=120)   # a loaded machine can be slow to flush a cell's output
        times[name] = round(time.perf_counter() - start, 1)
        # written after every notebook, so that the rerun page (executed last) can show them
        payload = {"profile": profile, "seconds": times, "hardware": hardware(),
                   "date": time.strftime("%Y-%m-%d", time.gmtime())}
        TIMES.write_text(json.dumps(payload, indent=2))
        if profile == "paper":      # committed beside the paper-profile records
            PAPER_TIMES.parent.mkdir(parents=True, exist_ok=True)
            PAPER_TIMES.write_text(json.dumps(payload, indent=2) + "\n")
        show_parameters(out, parameters)
        if title:
            retitle(out, *title)
        dropped = clean_executed(out)
        print(f"== {page}: executed in {times[name]} s with {parameters}"
              + (f", {dropped} stderr output(s) dropped" if dropped else ""), flush=True)
    return times


def build_html() -> None:
    cmd = [sys.executable, "-m", "jupyter_book", "build", str(SRC), "--path-output", str(BUILD),
           "-W", "-n", "--keep-going"]
    jb = shutil.which("jupyter-book", path=str(Path(sys.executable).parent))
    if jb:
        cmd = [jb] + cmd[3:]
    print("==", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True)


def point_launch_buttons(html_dir: Path = BUILD / "_build" / "html", config: Path = SRC / "_config.yml") -> int:
    """Launch buttons of a page written from another notebook (the Fashion-MNIST run of the shallow
    chapter) open that notebook, which is in the repository; return how many pages changed.

    ``config``: the ``_config.yml`` the book was built with (staged by :func:`stage_sources`)."""
    import yaml

    launch = yaml.safe_load(Path(config).read_text()).get("launch_buttons", {})
    urls = [u for k, u in launch.items() if k.endswith("_url") and u]
    changed = 0
    for _, source, page, _, _ in NOTEBOOKS:
        html = html_dir / Path(page).with_suffix(".html")
        if source == page or not html.exists():
            continue
        text = html.read_text()
        new = re.sub(r'href="([^"]+)"', lambda m: f'href="{m.group(1).replace(page, source)}"'
                     if any(m.group(1).startswith(u) for u in urls) else m.group(0), text)
        if new != text:
            html.write_text(new)
            changed += 1
    return changed


def check_summary() -> None:
    page = BUILD / "_build" / "html" / "book" / "summary.html"
    if not page.exists():
        raise SystemExit(f"check failed: {page} was not built")
    html = page.read_text()
    missing = [s for s in SUMMARY_MUST_CONTAIN if s not in html]
    if missing:
        raise SystemExit(f"check failed: the summary page lacks {missing}")
    if "<table" not in html:
        raise SystemExit("check failed: the summary page has no table")
    print(f"== summary page OK: {page}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", choices=("ci", "paper"), default="ci")
    parser.add_argument("--no-execute", action="store_true", help="build from the last executed copies")
    parser.add_argument("--only", nargs="*", help="execute only these notebooks (names in NOTEBOOKS)")
    parser.add_argument("--kernel", default=None, help="Jupyter kernel (default: the notebook's, python3)")
    args = parser.parse_args()
    if not args.no_execute:
        stage_sources(clean=not args.only)
        execute(args.profile, args.only, args.kernel)
    else:   # the executed copies stay; the buttons follow this build's environment
        book_config.write_config(ROOT / "_config.yml", SRC / "_config.yml")
    build_html()
    point_launch_buttons()
    check_summary()


if __name__ == "__main__":
    main()
