"""The book's repository and launch buttons, from where the book is built: never a typed address.

The committed ``_config.yml`` names no URL. :func:`write_config` stages it into the build with
the buttons of the repository that the build environment names, found in this order:

1. ``OSA_BOOK_REPOSITORY`` (``make book REPOSITORY=https://github.com/you/repo``): an explicit
   setting, which wins over what the machine says;
2. ``GITHUB_SERVER_URL/GITHUB_REPOSITORY``: set by GitHub Actions in the publishing workflow
   (.github/workflows/book.yml), the repository that publishes the book;
3. the clone's ``origin`` remote, when it is a GitHub URL (``https://github.com/o/r(.git)``,
   ``git@github.com:o/r(.git)`` or ``ssh://git@github.com/o/r(.git)``).

With a repository: its button on every page; on a github.com repository also the Binder and Colab
launch buttons (both open GitHub repositories only); the JupyterHub button only when
``OSA_BOOK_JUPYTERHUB`` names a hub. The branch the buttons open: ``OSA_BOOK_BRANCH``, else
``GITHUB_REF_NAME`` (Actions), else ``main``. Without a repository, the repository and launch
buttons are left out (the download buttons stay).
"""
from __future__ import annotations

import copy
import os
import re
import sys
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
ENV_REPOSITORY, ENV_BRANCH, ENV_JUPYTERHUB = "OSA_BOOK_REPOSITORY", "OSA_BOOK_BRANCH", "OSA_BOOK_JUPYTERHUB"
#: The launch services that open a github.com repository, by their ``launch_buttons`` key.
GITHUB_LAUNCH = {"binderhub_url": "https://mybinder.org", "colab_url": "https://colab.research.google.com"}
_GITHUB_REMOTE = re.compile(r"^(?:https://github\.com/|git@github\.com:|ssh://git@github\.com/)"
                            r"([\w.-]+)/([\w.-]+?)(?:\.git)?/?$")


def github_url(remote: str) -> str | None:
    """``https://github.com/owner/repo`` for a GitHub remote URL (https or ssh form), else None."""
    match = _GITHUB_REMOTE.match(remote.strip())
    return f"https://github.com/{match[1]}/{match[2]}" if match else None


def origin_remote(root: Path = ROOT) -> str | None:
    """The URL of the clone's ``origin`` remote; None outside a git clone or without one."""
    try:
        out = subprocess.run(["git", "-C", str(root), "remote", "get-url", "origin"], capture_output=True,
                             text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return (out.stdout.strip() or None) if out.returncode == 0 else None


def repository(env=None, root: Path = ROOT) -> str | None:
    """The repository URL the build names (see the module docstring for the order), or None."""
    env = os.environ if env is None else env
    if env.get(ENV_REPOSITORY):
        return env[ENV_REPOSITORY].rstrip("/")
    if env.get("GITHUB_REPOSITORY"):
        return f"{env.get('GITHUB_SERVER_URL') or 'https://github.com'}/{env['GITHUB_REPOSITORY']}".rstrip("/")
    remote = origin_remote(root)
    return github_url(remote) if remote else None


def staged_config(base: dict, env=None, root: Path = ROOT) -> dict:
    """``base`` (the committed ``_config.yml``) with the repository and launch buttons the build names."""
    env = os.environ if env is None else env
    config = copy.deepcopy(base)
    url = repository(env, root)
    launch = config.setdefault("launch_buttons", {})
    html = config.setdefault("html", {})
    html["use_repository_button"] = url is not None
    if url is None:
        config.pop("repository", None)
        return config
    config["repository"] = {**config.get("repository", {}), "url": url,
                            "branch": env.get(ENV_BRANCH) or env.get("GITHUB_REF_NAME") or "main"}
    if url.startswith("https://github.com/"):
        launch.update(GITHUB_LAUNCH)
    if env.get(ENV_JUPYTERHUB):
        launch["jupyterhub_url"] = env[ENV_JUPYTERHUB].rstrip("/")
    return config


def build_footer(root: Path = ROOT, now=None) -> str:
    """Every page's footer: the commit the book was built from (and whether the tree differed from it) and
    the build's date, so a reader can tell which code and records a page shows."""
    import datetime as dt
    import html as html_lib

    sys.path.insert(0, str(root))
    from osa_lib.book.provenance.records import git_state

    state = git_state(root)
    when = (now or dt.datetime.now(dt.timezone.utc)).strftime("%Y-%m-%d %H:%M UTC")
    commit = state["commit"][:12] + (" with uncommitted changes" if state["dirty"] else "")
    return f"<p>Built from commit <code>{html_lib.escape(commit)}</code> on {when}.</p>"


def write_config(source: Path, target: Path, env=None, root: Path = ROOT) -> dict:
    """Write ``source`` (a ``_config.yml``) to ``target`` with :func:`staged_config`'s buttons and the build's
    footer (:func:`build_footer`); return it."""
    config = staged_config(yaml.safe_load(Path(source).read_text()), env, root)
    config.setdefault("html", {})["extra_footer"] = build_footer(root)
    Path(target).write_text("# Staged by scripts/build_book.py from _config.yml, with the buttons of the repository\n"
                            "# the build names (scripts/book_config.py).\n"
                            + yaml.safe_dump(config, sort_keys=False, allow_unicode=True))
    return config
