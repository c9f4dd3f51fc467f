"""Repository, launch and download buttons: from where the book is built, never a typed address.

scripts/book_config.py stages _config.yml with the repository the build names (an explicit
setting, GitHub Actions, a GitHub ``origin`` remote, or none); scripts/check_pages.py checks every
built page against the staged file. Here: each source of the repository, the staged buttons, the
publishing workflow's steps and env, and a tiny book built with and without a repository (no
browser, no executed chapter).
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import book_config  # noqa: E402
import check_pages  # noqa: E402

nbformat = pytest.importorskip("nbformat")
bs4 = pytest.importorskip("bs4")

FORK = "https://github.com/someone/osa-fork"
BASE = yaml.safe_load((ROOT / "_config.yml").read_text())


def _git_clone_with_origin(path: Path, remote: str | None) -> Path:
    path.mkdir()
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    if remote:
        subprocess.run(["git", "-C", str(path), "remote", "add", "origin", remote], check=True)
    return path


def test_no_file_names_the_invented_repository_or_the_placeholder_hub():
    invented = ("osa-lib" + "/one-stage-autoencoders", "hub.example" + ".org")
    tracked = subprocess.run(["git", "-C", str(ROOT), "ls-files"], capture_output=True, text=True).stdout.split()
    for rel in tracked:
        path = ROOT / rel
        if path.is_file() and path.suffix in {".md", ".yml", ".yaml", ".py", ".ipynb", ".toml", ".txt", ""}:
            text = path.read_text(errors="ignore")
            assert not any(s in text for s in invented), rel
    assert "url" not in BASE.get("repository", {}) and BASE["html"]["use_repository_button"] is False
    assert not any(k.endswith("_url") for k in BASE["launch_buttons"])


@pytest.mark.parametrize("remote, expected", [
    ("https://github.com/someone/osa-fork.git", FORK), ("https://github.com/someone/osa-fork", FORK),
    ("git@github.com:someone/osa-fork.git", FORK), ("ssh://git@github.com/someone/osa-fork.git", FORK),
    ("https://gitlab.com/someone/osa-fork.git", None), ("/srv/git/osa.git", None),
])
def test_github_url_reads_every_form_of_a_github_remote(remote, expected):
    assert book_config.github_url(remote) == expected


def test_repository_comes_from_the_setting_then_actions_then_origin(tmp_path):
    github = _git_clone_with_origin(tmp_path / "gh", "git@github.com:someone/osa-fork.git")
    gitlab = _git_clone_with_origin(tmp_path / "gl", "https://gitlab.com/someone/osa-fork.git")
    bare = _git_clone_with_origin(tmp_path / "none", None)
    actions = {"GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "actor/published"}
    explicit = {"OSA_BOOK_REPOSITORY": "https://github.com/me/mine/"}
    assert book_config.repository({**explicit, **actions}, github) == "https://github.com/me/mine"
    assert book_config.repository(actions, github) == "https://github.com/actor/published"
    assert book_config.repository({}, github) == FORK
    assert book_config.repository({}, gitlab) is None
    assert book_config.repository({}, bare) is None
    assert book_config.repository({}, tmp_path / "not-a-clone") is None


def test_staged_buttons_with_a_repository_a_hub_and_none(tmp_path):
    nowhere = tmp_path / "not-a-clone"
    with_repo = book_config.staged_config(BASE, {"OSA_BOOK_REPOSITORY": FORK}, nowhere)
    assert with_repo["repository"] == {"path_to_book": "", "url": FORK, "branch": "main"}
    assert with_repo["html"]["use_repository_button"] is True
    assert with_repo["launch_buttons"] == {"notebook_interface": "jupyterlab", **book_config.GITHUB_LAUNCH}
    hub = book_config.staged_config(BASE, {"OSA_BOOK_REPOSITORY": FORK, "OSA_BOOK_JUPYTERHUB": "https://hub.uni.edu/",
                                           "OSA_BOOK_BRANCH": "dev"}, nowhere)
    assert hub["launch_buttons"]["jupyterhub_url"] == "https://hub.uni.edu" and hub["repository"]["branch"] == "dev"
    other_host = book_config.staged_config(BASE, {"OSA_BOOK_REPOSITORY": "https://gitlab.com/a/b"}, nowhere)
    assert other_host["html"]["use_repository_button"] is True
    assert not any(k.endswith("_url") for k in other_host["launch_buttons"])      # Binder, Colab: GitHub only
    none = book_config.staged_config(BASE, {"OSA_BOOK_JUPYTERHUB": "https://hub.uni.edu"}, nowhere)
    assert "repository" not in none and none["html"]["use_repository_button"] is False
    assert not any(k.endswith("_url") for k in none["launch_buttons"])
    assert BASE == yaml.safe_load((ROOT / "_config.yml").read_text())            # the committed file is untouched


# --------------------------------------------------------------------------- the publishing workflow

def _workflow_env(env: dict, github: dict) -> dict:
    """The workflow's ``env`` with ``${{ github.x }}`` expressions filled in from ``github``."""
    return {k: re.sub(r"\$\{\{\s*github\.(\w+)\s*\}\}", lambda m: github[m[1]], str(v)) for k, v in env.items()}


def test_workflow_builds_with_no_data_root_and_publishes_buttons_of_its_own_repository(tmp_path):
    text = (ROOT / ".github" / "workflows" / "book.yml").read_text()
    steps = yaml.safe_load(text)["jobs"]["build"]["steps"]
    envs = [yaml.safe_load(text).get("env", {})] + [s.get("env", {}) for s in steps]
    assert not any("OSA_DATA_DIR" in e for e in envs)                    # a fresh clone: data/ is downloaded
    build = next(s for s in steps if "make book" in s.get("run", ""))
    assert "make test" in build["run"]
    assert build["env"]["OSA_BOOK_REPOSITORY"] == "${{ github.server_url }}/${{ github.repository }}"
    later = steps[steps.index(build) + 1:]
    assert any(s.get("run", "").strip() == "make check-pages" for s in later)
    upload = next(s for s in later if s.get("uses", "").startswith("actions/upload-pages-artifact"))
    assert upload["with"]["path"] == "_build/_build/html"
    github = {"server_url": "https://github.com", "repository": "someone/osa-fork", "ref_name": "main"}
    config = book_config.staged_config(BASE, _workflow_env(build["env"], github), tmp_path / "not-a-clone")
    assert config["repository"]["url"] == FORK and config["repository"]["branch"] == "main"
    assert config["launch_buttons"]["binderhub_url"] and config["launch_buttons"]["colab_url"]


# --------------------------------------------------------------------------- built pages

def _tiny_book(path: Path, env: dict) -> tuple[Path, dict]:
    """A two-notebook book built by jupyter-book with the config staged for ``env``; its html folder."""
    jb = shutil.which("jupyter-book", path=str(Path(sys.executable).parent))
    if jb is None:
        pytest.skip("jupyter-book is not installed")
    (path / "notebooks").mkdir(parents=True)
    (path / "book").mkdir()
    config = book_config.write_config(ROOT / "_config.yml", path / "_config.yml", env, path / "not-a-clone")
    shutil.copy2(ROOT / "book" / "references.bib", path / "book" / "references.bib")
    shutil.copytree(ROOT / "_static", path / "_static")
    (path / "_toc.yml").write_text("format: jb-book\nroot: notebooks/derivations\nchapters:\n"
                                   "  - file: notebooks/shallow_acrbm_fashion_mnist\n  - file: book/references\n")
    for name in ("derivations", "shallow_acrbm_fashion_mnist"):   # the second is written by build_book.py
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(f"# {name}")])
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbformat.write(nb, path / "notebooks" / f"{name}.ipynb")
    (path / "book" / "references.md").write_text("# References\n\ntext\n")
    subprocess.run([jb, "build", str(path), "-W", "-n", "--keep-going"], check=True, capture_output=True,
                   timeout=300)
    return path / "_build" / "html", config


PAGES = (("notebooks/derivations.html", True), ("notebooks/shallow_acrbm_fashion_mnist.html", True),
         ("book/references.html", False))


def _problems(html: Path, config: dict) -> dict[str, list[str]]:
    return {rel: check_pages.button_problems(rel, bs4.BeautifulSoup((html / rel).read_text(), "html.parser"),
                                             html / rel, notebook, config) for rel, notebook in PAGES}


@pytest.mark.slow
def test_built_pages_have_the_configured_buttons_and_none_without_a_repository(tmp_path):
    import build_book

    env = {"OSA_BOOK_REPOSITORY": FORK, "OSA_BOOK_JUPYTERHUB": "https://hub.uni.edu"}
    html, config = _tiny_book(tmp_path / "fork", env)
    assert build_book.point_launch_buttons(html, tmp_path / "fork" / "_config.yml") == 1
    assert _problems(html, config) == {rel: [] for rel, _ in PAGES}
    page = (html / "notebooks" / "derivations.html").read_text()
    assert f'href="{FORK}"' in page and "mybinder.org/v2/gh/someone/osa-fork/main" in page
    bare_html, bare_config = _tiny_book(tmp_path / "bare", {})
    assert _problems(bare_html, bare_config) == {rel: [] for rel, _ in PAGES}
    assert "mybinder.org" not in (bare_html / "notebooks" / "derivations.html").read_text()
    # Each build checked against the other's configuration: missing buttons, then buttons not configured.
    assert all(any("no repository button" in p for p in ps) for ps in _problems(bare_html, config).values())
    unexpected = _problems(html, bare_config)["notebooks/derivations.html"]
    assert any("repository button points at" in p for p in unexpected)
    assert {k for k in ("binderhub_url", "colab_url", "jupyterhub_url") if any(k in p for p in unexpected)} == \
        {"binderhub_url", "colab_url", "jupyterhub_url"}


def test_every_page_footer_names_the_build_commit_and_date(tmp_path):
    import datetime as dt

    import book_config

    footer = book_config.build_footer(now=dt.datetime(2026, 12, 3, 15, 0, tzinfo=dt.timezone.utc))
    assert "Built from commit <code>" in footer and "2026-12-03 15:00 UTC" in footer
    config = book_config.write_config(book_config.ROOT / "_config.yml", tmp_path / "_config.yml", env={})
    assert "Built from commit" in config["html"]["extra_footer"]
