"""Launch, repository and download buttons: a tiny book built with the project's _config.yml.

The browser check (scripts/check_pages.py, headless Chromium) runs the same button checks on
every page of the real book after ``make book``; this test needs no browser and no executed chapter.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import check_pages  # noqa: E402

nbformat = pytest.importorskip("nbformat")
bs4 = pytest.importorskip("bs4")


def test_config_names_the_readmes_repository_and_every_launch_service():
    config = check_pages.book_config()
    url = config["repository"]["url"]
    assert url in (ROOT / "README.md").read_text()
    assert config["html"]["use_repository_button"] is True
    for key in ("binderhub_url", "colab_url", "jupyterhub_url"):
        assert config["launch_buttons"][key].startswith("https://")


@pytest.mark.slow
def test_built_pages_show_launch_repository_and_download_buttons(tmp_path):
    jb = shutil.which("jupyter-book", path=str(Path(sys.executable).parent))
    if jb is None:
        pytest.skip("jupyter-book is not installed")
    book = tmp_path / "book"
    (book / "notebooks").mkdir(parents=True)
    (book / "book").mkdir()
    shutil.copy2(ROOT / "_config.yml", book / "_config.yml")
    shutil.copy2(ROOT / "book" / "references.bib", book / "book" / "references.bib")
    shutil.copytree(ROOT / "_static", book / "_static")
    (book / "_toc.yml").write_text("format: jb-book\nroot: notebooks/derivations\nchapters:\n"
                                   "  - file: notebooks/shallow_acrbm_fashion_mnist\n  - file: book/references\n")
    for name in ("derivations", "shallow_acrbm_fashion_mnist"):   # the second is written by build_book.py
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(f"# {name}")])
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbformat.write(nb, book / "notebooks" / f"{name}.ipynb")
    (book / "book" / "references.md").write_text("# References\n\ntext\n")
    subprocess.run([jb, "build", str(book), "-W", "-n", "--keep-going"], check=True, capture_output=True,
                   timeout=300)
    html = book / "_build" / "html"
    import build_book
    assert build_book.point_launch_buttons(html) == 1
    for rel, notebook in (("notebooks/derivations.html", True), ("notebooks/shallow_acrbm_fashion_mnist.html", True),
                          ("book/references.html", False)):
        page = html / rel
        soup = bs4.BeautifulSoup(page.read_text(), "html.parser")
        assert check_pages.button_problems(rel, soup, page, notebook) == [], rel
    soup = bs4.BeautifulSoup((html / "book" / "references.html").read_text(), "html.parser")
    assert check_pages.button_problems("x", soup, html / "book" / "references.html", notebook=True)   # no launch
