"""The book build's post-processing of executed notebooks, and its kernel environment."""
import importlib.util
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_notebook, new_output

ROOT = Path(__file__).resolve().parents[1]


def build_book():
    spec = importlib.util.spec_from_file_location("build_book", ROOT / "scripts" / "build_book.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_clean_executed_drops_stderr_and_hides_injected_parameters(tmp_path):
    injected = new_code_cell("profile = 'ci'", metadata={"tags": ["injected-parameters"]})
    noisy = new_code_cell("fit()", outputs=[new_output("stream", name="stderr", text="45%|####      | 9/20"),
                                            new_output("stream", name="stdout", text="done\n")])
    path = tmp_path / "nb.ipynb"
    nbformat.write(new_notebook(cells=[injected, noisy]), path)
    assert build_book().clean_executed(path) == 1
    nb = nbformat.read(path, as_version=4)
    assert "remove-cell" in nb.cells[0].metadata["tags"]
    assert [o["name"] for o in nb.cells[1].outputs] == ["stdout"]


def test_kernels_run_without_progress_bars():
    module = build_book()
    assert module.KERNEL_ENV == {"OSA_PROGRESS": "0", "TQDM_DISABLE": "1"}
    names = [n for n, *_ in module.NOTEBOOKS]
    assert {"intro", "summary", "report", "rerun"} <= set(names)
    assert names[-1] == "rerun"          # executed last: it shows the others' execution times


def test_retitle_renames_targets_figures_and_their_references(tmp_path):
    import nbformat

    retitle = build_book().retitle

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("(shallow)=\n# Shallow\n(shallow-fig9)=\n"
                                              "see {numref}`fig9`, {ref}`shallow-fig9`, {ref}`text <shallow-fig9>`"),
                nbformat.v4.new_code_cell("x")]
    nb.cells[1].metadata["mystnb"] = {"figure": {"name": "fig9"}}
    path = tmp_path / "copy.ipynb"
    nbformat.write(nb, path)
    retitle(path, "fm", "Fashion")
    out = nbformat.read(path, as_version=4)
    assert out.cells[0].source == ("(fm)=\n# Fashion\n(shallow-fig9-fm)=\n"
                                   "see {numref}`fig9-fm`, {ref}`shallow-fig9-fm`, {ref}`text <shallow-fig9-fm>`")
    assert out.cells[1].metadata["mystnb"]["figure"]["name"] == "fig9-fm"


def test_retitle_renames_glued_figures_named_in_markdown(tmp_path):
    """A {glue:figure} directive names its figure with :name: in the markdown: renamed like the others, with its
    references, so two pages of one notebook define no label twice."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("(shallow)=\n# Shallow\n"),
                nbformat.v4.new_markdown_cell("```{glue:figure} fig-sweep\n:name: fig-acrbm-sweep\n\nCaption.\n```\n"
                                              "As {numref}`fig-acrbm-sweep`.")]
    path = tmp_path / "copy.ipynb"
    nbformat.write(nb, path)
    build_book().retitle(path, "fm", "Fashion")
    out = nbformat.read(path, as_version=4)
    assert out.cells[1].source == ("```{glue:figure} fig-sweep\n:name: fig-acrbm-sweep-fm\n\nCaption.\n```\n"
                                   "As {numref}`fig-acrbm-sweep-fm`.")


def test_show_parameters_writes_injected_values_and_keeps_the_data_set_sections(tmp_path):
    params = new_code_cell('profile = "ci"\ndataset = "mnist"            # "mnist" or "fashion_mnist"\n'
                           'threads: int = 2\nseeds = None', metadata={"tags": ["parameters", "hide-input"]})
    injected = new_code_cell('dataset = "fashion_mnist"', metadata={"tags": ["injected-parameters"]})
    mnist_only = nbformat.v4.new_markdown_cell("What we tried", metadata={"tags": ["only-mnist"]})
    fashion_only = nbformat.v4.new_markdown_cell("A second domain", metadata={"tags": ["only-fashion_mnist"]})
    common = nbformat.v4.new_markdown_cell("Table 1")
    path = tmp_path / "nb.ipynb"
    nbformat.write(new_notebook(cells=[params, injected, mnist_only, fashion_only, common]), path)
    build_book().show_parameters(path, {"dataset": "fashion_mnist", "profile": "paper", "threads": 1})
    nb = nbformat.read(path, as_version=4)
    lines = nb.cells[0].source.splitlines()
    assert lines[0] == 'profile = "paper"'
    assert lines[1] == 'dataset = "fashion_mnist"    # "mnist" or "fashion_mnist"'     # the comment stays in its column
    assert lines[2] == "threads: int = 1" and lines[3] == "seeds = None"
    assert nb.cells[1].source == 'dataset = "fashion_mnist"'        # the injected cell is left as it was
    assert [c.source for c in nb.cells[2:]] == ["A second domain", "Table 1"]
