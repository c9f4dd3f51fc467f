"""Open built pages in headless Chromium, take full-page screenshots, and check what a reader sees.

    python scripts/check_pages.py [PAGE ...]    (default: every page of the book, from _toc.yml)

For each page: a full-page screenshot under _build/screenshots/ (1280 px wide window); the DOM
after scripts ran (MathJax included) must have a table, rendered maths and figures where they are
expected; it fails on
- unrendered maths (TeX left in a math element, or ``$…$`` / ``\\command`` in the visible text),
- a table wider than the content column (measured in the browser at a 1280 px window),
- progress-bar output (tqdm lines such as ``45%|####``, ``it/s``),
- an image that does not load,
- a link into another page of the book whose target page or section anchor does not exist;
- buttons that do not match the repository the book was built for (the staged
  _build/src/_config.yml, scripts/book_config.py): with a repository, a missing repository button
  pointing at it (every page) or a missing launch button of a configured service (every notebook
  page); without one, any repository or launch button; on every page, a launch or repository
  link to a service or repository that is not configured, a launch link to a notebook the
  repository lacks, a missing download button, or a download link whose file was not built;
- a code block of the rerun page wider than the column (it would scroll).
- what a reader must not see (scripts/page_rules.py): a path of the build machine (hidden cells
  included), a Python repr (``{'``, ``[{``, ``np.float64(``), a count printed as a float
  (``384.0 images``), a ``(s)`` plural, NaN/None in a table cell, a table column narrower than
  40 px, a table header broken inside a word, and a landing page whose Fig. 1 starts below the
  second screen (its top is printed with the page's height),
- what a reader cannot read (scripts/page_rules.py, issue 21): a result figure whose smallest text
  reads below 9 pt on the page (the font size its PNG records, times the PNG's dpi, times the scale
  the page shows it at, over 96; a PNG recording no font size fails too), and a table cell that
  takes more than two lines at the 1280 px window. Each page's line prints the figures' scales,
  the smallest text and the most lines a cell takes;
- a number of this build's ``ci`` run (its records' metrics and its exhibits' facts, as the pages print them,
  that no ``paper``-profile file or the paper's own numbers hold) anywhere on the page outside its folded
  "This build's run" block (page_rules.run_only_numbers, run_number_problems);
- a table or figure of results without its source line (page_rules.source_line_problems, issue 24): every
  output block that holds a ``<table>`` or an ``<img>`` -- a code cell's outputs (``.cell_output``), a glued
  figure (``<figure>``) or a glued output (``div.output``) -- must hold an element of class ``osa-source``
  (osa_lib/book/page/exhibit_sources.py) or be followed by one, before any other such block, in the same
  section, folded block or tab (a glued figure is followed by its glued line). One line covers the exhibits of
  one cell's outputs, never two blocks. What is not a result is marked and needs no line: a wrapper of class
  ``osa-not-results`` (``exhibit_sources.not_results``; a glued figure's ``:figclass: osa-not-results``) or a
  code cell tagged ``not-results`` (rendered as the class ``tag_not-results``): parameter and protocol tables,
  the paper's or the literature's own numbers alone, data availability, diagrams. Tables typed in a page's
  Markdown (departures from the paper, readings) and pictures placed by a Markdown directive are not outputs
  and need none: the pages glue every measured number, they type none.
Exits non-zero listing every failed check. Uses Debian's chromium.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from xml.etree import ElementTree

import yaml
from bs4 import BeautifulSoup
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
import page_rules  # noqa: E402
from book_config import GITHUB_LAUNCH, staged_config  # noqa: E402
from osa_lib.book.judge.paper import PAPER_RESULTS  # noqa: E402  (the paper's numbers: never ci-only)

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "_build" / "html"
SHOTS = ROOT / "_build" / "screenshots"
WIDTH = 1280

#: page -> (must have a table, must have rendered maths, must have figures); other pages: no requirement.
PAGES = {
    "book/intro.html": (True, False, True),
    "book/summary.html": (True, False, False),
    "book/report.html": (True, False, False),
    "book/rerun.html": (True, False, False),
    "notebooks/derivations.html": (False, True, True),
    "notebooks/shallow_acrbm.html": (True, True, True),
    "notebooks/shallow_acrbm_fashion_mnist.html": (True, True, True),
    "notebooks/ae_acrbm.html": (True, True, True),
    "notebooks/loc.html": (True, True, True),
}
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
         "--virtual-time-budget=8000", "--hide-scrollbars"]
#: tqdm-style progress output
PROGRESS = re.compile(r"\d+%\|[^|\n]{0,80}\||\d+(\.\d+)?\s?it/s|s/it\]")
#: TeX left as text: $...$ with a backslash or ^ or _ inside, or a bare \command outside code
RAW_TEX = re.compile(r"\$[^$\n]{0,80}[\\^_][^$\n]{0,80}\$|\\(frac|rho|sigma|mathrm|top|sum|log|hat|eta|epsilon)\b")

#: Injected into a temporary copy of the page: measures what Chromium laid out and writes it into
#: the DOM (read back with --dump-dom).
MEASURE = """<script>
window.addEventListener('load', function () { setTimeout(function () {
  var article = document.querySelector('article.bd-article') || document.querySelector('main') || document.body;
  var limit = article.getBoundingClientRect().width;
  var wide = [];
  article.querySelectorAll('table').forEach(function (t, i) {
    var w = t.scrollWidth;
    if (w > limit + 2) { wide.push({index: i, width: w, text: (t.innerText || '').slice(0, 60)}); }
  });
  var code = [];
  article.querySelectorAll('pre').forEach(function (p, i) {
    if (p.scrollWidth > p.clientWidth + 2) { code.push({index: i, width: p.scrollWidth, text: (p.innerText || '').slice(0, 60)}); }
  });
  // columns narrower than MIN_COLUMN_PX (widths of the first row's cells) and headers that break
  // inside a word (a word whose range has more than one line box)
  var narrow = [], broken = [];
  article.querySelectorAll('table').forEach(function (t, ti) {
    var first = t.rows.length ? t.rows[0] : null;
    if (first) {
      Array.prototype.forEach.call(first.cells, function (c, ci) {
        var w = c.getBoundingClientRect().width;
        if (w > 0 && w < __MIN_COLUMN_PX__) { narrow.push({table: ti, column: ci, width: w, header: (c.innerText || '').slice(0, 30)}); }
      });
    }
    t.querySelectorAll('th').forEach(function (th) {
      var walker = document.createTreeWalker(th, NodeFilter.SHOW_TEXT);
      var node;
      while ((node = walker.nextNode())) {
        var re = /\S+/g, m;
        while ((m = re.exec(node.data))) {
          var r = document.createRange();
          r.setStart(node, m.index); r.setEnd(node, m.index + m[0].length);
          var tops = {};
          Array.prototype.forEach.call(r.getClientRects(), function (b) { if (b.width > 0) { tops[Math.round(b.top)] = 1; } });
          if (Object.keys(tops).length > 1) { broken.push({table: ti, header: (th.innerText || '').slice(0, 40), word: m[0]}); }
        }
      }
    });
  });
  var fig = article.querySelector('figure img, img');
  var fig1 = fig ? fig.getBoundingClientRect().top + window.scrollY : null;
  var out = document.createElement('pre');
  out.id = 'osa-measure';
  out.textContent = JSON.stringify({column: limit, wide: wide, code: code, narrow: narrow, broken: broken,
                                    fig1_top: fig1, height: document.documentElement.scrollHeight});
  document.body.appendChild(out);
}, 1500); });
</script>""".replace("__MIN_COLUMN_PX__", str(page_rules.MIN_COLUMN_PX))


#: Injected with MEASURE: what a reader reads, measured at a 1280 px window. Per shown result figure
#: (an image of a cell output or a figure), its shown and natural width and its name (caption, else
#: the section); per table cell on more than one line, its number of lines: the line boxes of its text
#: (boxes that overlap vertically share a line), i.e. its text height over its line height. What a
#: folded block (a closed <details>) holds is not shown when the page opens and is not measured.
READERS_MEASURE = """<script>
window.addEventListener('load', function () { setTimeout(function () {
  var article = document.querySelector('article.bd-article') || document.querySelector('main') || document.body;
  var heads = Array.prototype.slice.call(article.querySelectorAll('h1, h2, h3'));
  function section(el) {
    var top = el.getBoundingClientRect().top, name = '';
    heads.forEach(function (h) { if (h.getBoundingClientRect().top <= top) { name = h.innerText; } });
    return 'in ' + (name || 'the page').replace(/#$/, '').trim();
  }
  // shown when the page opens: not inside a folded block (a closed <details>, display: none)
  function shown(el) {
    if (el.closest('details:not([open])')) { return false; }
    return el.checkVisibility ? el.checkVisibility() : el.getClientRects().length > 0;
  }
  function lines(el) {
    var boxes = [];
    var walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT), node;
    while ((node = walker.nextNode())) {
      if (!node.data.trim() || (node.parentElement && node.parentElement.closest('mjx-container'))) { continue; }
      var r = document.createRange(); r.selectNodeContents(node);
      Array.prototype.forEach.call(r.getClientRects(), function (b) { if (b.width > 0 && b.height > 0) { boxes.push([b.top, b.bottom]); } });
    }
    el.querySelectorAll('mjx-container, img').forEach(function (m) {
      var b = m.getBoundingClientRect(); if (b.width > 0 && b.height > 0) { boxes.push([b.top, b.bottom]); }
    });
    boxes.sort(function (a, b) { return a[0] - b[0]; });
    var n = 0, bottom = -Infinity;
    boxes.forEach(function (b) { if (b[0] >= bottom - 2) { n++; bottom = b[1]; } else { bottom = Math.max(bottom, b[1]); } });
    return n;
  }
  var figures = [];
  article.querySelectorAll('img').forEach(function (img) {
    var src = img.getAttribute('src') || '';
    if (!img.closest('.cell_output, .output, figure') || /\\.svg([?#]|$)/i.test(src) || !shown(img)) { return; }
    var fig = img.closest('figure'), cap = fig ? fig.querySelector('figcaption') : null;
    var name = cap && cap.innerText.trim() ? cap.innerText.trim() : section(img);
    figures.push({src: src, name: name.replace(/\\s+/g, ' ').slice(0, 70), shown_width: img.getBoundingClientRect().width,
                  natural_width: img.naturalWidth});
  });
  var cells = [];
  article.querySelectorAll('table').forEach(function (t, ti) {
    var cap = t.querySelector('caption'), fig = t.closest('figure');
    var fc = fig ? fig.querySelector('figcaption') : null;
    var name = cap && cap.innerText.trim() ? cap.innerText.trim() : (fc && fc.innerText.trim() ? fc.innerText.trim() : section(t));
    if (!shown(t)) { return; }
    t.querySelectorAll('td, th').forEach(function (c) {
      var n = lines(c);
      if (n > 1) { cells.push({table: ti, name: name.replace(/\\s+/g, ' ').slice(0, 70), lines: n,
                               text: (c.innerText || '').replace(/\\s+/g, ' ').trim().slice(0, 60)}); }
    });
  });
  var out = document.createElement('pre');
  out.id = 'osa-readers';
  out.textContent = JSON.stringify({figures: figures, cells: cells});
  document.body.appendChild(out);
}, 1500); });
</script>"""


def toc_pages() -> list[str]:
    """Every page named in _toc.yml, as built HTML paths."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    pages = [toc["root"]]
    for part in toc.get("parts", []):
        pages += [c["file"] for c in part.get("chapters", [])]
    return [f"{p}.html" for p in pages]


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    raise SystemExit("check failed: no chromium on PATH (apt-get install chromium)")


def run(args: list[str]) -> str:
    with tempfile.TemporaryDirectory() as profile_dir:
        out = subprocess.run([chromium(), *FLAGS, f"--user-data-dir={profile_dir}", *args],
                             capture_output=True, text=True, timeout=180)
    if out.returncode != 0:
        raise SystemExit(f"check failed: chromium exited {out.returncode}: {out.stderr[-2000:]}")
    return out.stdout


def measure(page: Path) -> dict:
    """Column width, tables wider than it, and the page height, at a WIDTH px window."""
    probe = page.with_name(page.stem + ".__measure__.html")
    probe.write_text(page.read_text().replace("</body>", MEASURE + READERS_MEASURE + "</body>"))
    try:
        dom = BeautifulSoup(run([f"--window-size={WIDTH},1200", "--dump-dom", probe.as_uri()]), "html.parser")
    finally:
        probe.unlink()
    node = dom.find(id="osa-measure")
    measured = json.loads(node.get_text()) if node else {"column": None, "wide": [], "height": 2400}
    readers = dom.find(id="osa-readers")
    return {**measured, **(json.loads(readers.get_text()) if readers else {"figures": [], "cells": []})}


#: Pages whose code blocks must fit the column (commands a reader copies).
CODE_MUST_FIT = ("book/rerun.html",)
#: The page whose Fig. 1 must be on the first two screens.
LANDING = "book/intro.html"


#: How a launch link of each service looks (a JupyterHub has any host; nbgitpuller's path tells it),
#: to find one on a page whose configuration does not name the service.
LAUNCH_LINKS = {**{key: (lambda h, base=base: h.startswith(base)) for key, base in GITHUB_LAUNCH.items()},
                "jupyterhub_url": lambda h: "/hub/user-redirect/git-pull" in h}


def book_config() -> dict:
    """The configuration the book was built with: the staged _build/src/_config.yml, else the one
    this environment would stage (scripts/book_config.py)."""
    staged = ROOT / "_build" / "src" / "_config.yml"
    if staged.exists():
        return yaml.safe_load(staged.read_text())
    return staged_config(yaml.safe_load((ROOT / "_config.yml").read_text()))


def button_problems(rel: str, soup, page: Path, notebook: bool, config: dict | None = None) -> list[str]:
    """The repository and download buttons (every page) and the launch buttons (notebook pages),
    against ``config`` (default :func:`book_config`): present where configured, absent where not."""
    config = config or book_config()
    problems = []
    repo = config.get("repository", {}).get("url", "").rstrip("/")
    links = [(a.get("class") or [], a["href"]) for a in soup.find_all("a", href=True)]
    repo_buttons = [h.rstrip("/") for c, h in links if "btn-source-repository-button" in c]
    if repo and repo not in repo_buttons:
        problems.append(f"{rel}: no repository button pointing at {repo}")
    for href in (h for h in repo_buttons if h != repo):
        problems.append(f"{rel}: a repository button points at {href}, not at the configured "
                        f"{repo or 'repository (none)'}")
    launch = config.get("launch_buttons", {})
    for key, looks_like in LAUNCH_LINKS.items():
        if not launch.get(key):
            problems += [f"{rel}: a launch button to {h} though {key} is unset" for _, h in links if looks_like(h)]
    downloads = [h for c, h in links if "btn-download-source-button" in c]
    if not downloads:
        problems.append(f"{rel}: no download button")
    for href in downloads:
        if not (page.parent / href).resolve().exists():
            problems.append(f"{rel}: the download button's file {href} was not built")
    if notebook:
        if downloads and not all(h.endswith(".ipynb") for h in downloads):
            problems.append(f"{rel}: the download button does not give the notebook ({downloads})")
        for key, name in (("binderhub_url", "Binder"), ("colab_url", "Colab"), ("jupyterhub_url", "JupyterHub")):
            url = launch.get(key, "").rstrip("/")
            found = [h for c, h in links if url and h.startswith(url)]
            if url and not found:
                problems.append(f"{rel}: no {name} launch button ({key} = {url})")
            for href in found:
                if repo.split("://", 1)[-1].split("/", 1)[-1] not in href.replace("%2F", "/"):
                    problems.append(f"{rel}: the {name} button {href} does not open the repository {repo}")
                named = re.findall(r"(notebooks/[\w.-]+\.ipynb|book/[\w.-]+\.ipynb)", href.replace("%2F", "/"))
                for path in named:
                    if not (ROOT / path).exists():
                        problems.append(f"{rel}: the {name} button opens {path}, which the repository lacks")
    return problems


def reader_problems(rel: str, page: Path, measured: dict) -> tuple[list[str], str]:
    """Figure text size and table cell wrapping (scripts/page_rules.py), from what Chromium measured and
    what each figure's PNG records (its dpi, its smallest font size); and a one-line summary."""
    figures = []
    for f in measured.get("figures", []):
        target = (page.parent / f["src"].split("#")[0].split("?")[0]).resolve()
        try:
            with Image.open(target) as im:
                font_pt, dpi, recorded = page_rules.png_font_record(im.info)
                natural = im.width
        except Exception:               # reported by the image check
            continue
        figures.append({**f, "natural_width": natural, "font_pt": font_pt, "dpi": dpi, "recorded": recorded})
    problems = page_rules.figure_text_problems(rel, figures) + page_rules.cell_wrap_problems(rel, measured.get("cells", []))
    sized = [f for f in page_rules.figure_text_sizes(figures) if f["shown_pt"] is not None]
    smallest = min(sized, key=lambda f: f["shown_pt"]) if sized else None
    scales = sorted(f["scale"] for f in page_rules.figure_text_sizes(figures))
    summary = (f"figures shown at {100 * scales[0]:.0f}-{100 * scales[-1]:.0f} % of their PNG" if scales else "no figures")
    if smallest:
        summary += f", smallest text {smallest['shown_pt']:.1f} pt ({smallest['name'][:40]!r})"
    most = max((c["lines"] for c in measured.get("cells", [])), default=1)
    summary += f", most-wrapped table cell {most} line{'s' if most != 1 else ''}"
    return problems, summary


def anchor_exists(target: Path, anchor: str, cache: dict) -> bool:
    if target not in cache:
        cache[target] = BeautifulSoup(target.read_text(), "html.parser") if target.exists() else None
    soup = cache[target]
    return soup is not None and (not anchor or soup.find(id=anchor) is not None)


def check_page(rel: str, want_table: bool, want_math: bool, want_images: bool, cache: dict,
               run_numbers: set[str] = frozenset()) -> list[str]:
    page = HTML / rel
    if not page.exists():
        return [f"{rel}: page not built"]
    problems = []
    url = page.as_uri()
    m = measure(page)
    height = int(min(max(m.get("height") or 2400, 800), 30000))
    shot = SHOTS / (rel.replace("/", "_").removesuffix(".html") + ".png")
    run([f"--screenshot={shot}", f"--window-size={WIDTH},{height}", url])
    dom = BeautifulSoup(run(["--dump-dom", url]), "html.parser")
    main = dom.find("main") or dom
    if want_table and not main.find("table"):
        problems.append(f"{rel}: no table")
    for t in m.get("wide", []):
        problems.append(f"{rel}: table {t['index']} is {t['width']} px wide, wider than the "
                        f"{m['column']:.0f} px content column ({t['text']!r})")
    math = main.select(".math")
    raw = [x.get_text()[:60] for x in math if not x.find("mjx-container")]
    if raw:
        problems.append(f"{rel}: {len(raw)} unrendered equation(s), e.g. {raw[0]!r}")
    visible = BeautifulSoup(str(main), "html.parser")
    for node in visible.select("mjx-container, script, style, pre, code, .math, .highlight"):
        node.decompose()
    text = visible.get_text(" ")
    tex = RAW_TEX.search(text)
    if tex:
        problems.append(f"{rel}: raw TeX in the text: {tex.group(0)[:60]!r}")
    outputs = " ".join(o.get_text(" ") for o in main.select(".cell_output, .output"))
    progress = PROGRESS.search(outputs)
    if progress:
        problems.append(f"{rel}: progress-bar output: {progress.group(0)!r}")
    tables = [[[c.get_text(" ", strip=True) for c in tr.find_all(["td", "th"])] for tr in t.find_all("tr")]
              for t in main.find_all("table")]
    problems += page_rules.text_problems(rel, text + " " + outputs, html=str(main))
    problems += page_rules.table_problems(rel, tables)
    problems += page_rules.run_number_problems(rel, page_rules.text_outside_folds(str(main)), run_numbers)
    problems += page_rules.source_line_problems(rel, str(main))
    problems += page_rules.layout_problems(rel, m, landing=rel == LANDING)
    readable, reading = reader_problems(rel, page, m)
    problems += readable
    if want_math and not main.find("mjx-container"):
        problems.append(f"{rel}: no rendered equation")
    if want_images and not main.find_all("img"):
        problems.append(f"{rel}: no figure")
    for img in main.find_all("img"):
        src = img.get("src", "")
        if src.startswith("data:"):
            continue
        target = (page.parent / src.split("#")[0].split("?")[0]).resolve()
        try:
            if target.suffix == ".svg":     # vector logos (launch buttons): Pillow reads no SVG; parse it
                ElementTree.parse(target)
            else:
                with Image.open(target) as im:
                    im.verify()
        except Exception as err:  # missing or unreadable image
            problems.append(f"{rel}: image {src} does not load ({err.__class__.__name__})")
    for a in main.find_all("a", href=True):
        href = a["href"]
        if re.match(r"^[a-z]+:", href) or href.startswith("#") or ".html" not in href:
            continue
        path, _, anchor = href.partition("#")
        target = (page.parent / path).resolve()
        if not anchor_exists(target, anchor, cache):
            problems.append(f"{rel}: link {href!r} ({a.get_text()[:40]!r}) points at a missing page or section")
    problems += button_problems(rel, dom, page, notebook=rel in PAGES)
    if rel in CODE_MUST_FIT:
        for c in m.get("code", []):
            problems.append(f"{rel}: code block {c['index']} is {c['width']} px wide, wider than its column "
                            f"({c['text']!r})")
    if not shot.exists() or shot.stat().st_size == 0:
        problems.append(f"{rel}: no screenshot")
    fig1 = f"Fig. 1 at {m['fig1_top']:.0f} px, " if rel == LANDING and m.get("fig1_top") is not None else ""
    print(f"{rel}: {len(main.find_all('table'))} tables, {len(main.find_all('mjx-container'))} equations, "
          f"{len(main.find_all('img'))} images, {height} px high, column {m.get('column') or 0:.0f} px, {fig1}"
          f"screenshot {shot.relative_to(ROOT)}; {reading}")
    return problems


def main() -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    pages = sys.argv[1:] or toc_pages()
    problems, cache = [], {}
    # numbers only this build's ci run measured: none may stand outside a page's folded block
    run_numbers = page_rules.run_only_numbers(
        ROOT / "results", reference_texts=(PAPER_RESULTS.read_text(),))
    for rel in pages:
        problems += check_page(rel, *PAGES.get(rel, (False, False, False)), cache, run_numbers)
    if problems:
        raise SystemExit("browser check failed:\n  " + "\n  ".join(problems))
    print("browser check passed")


if __name__ == "__main__":
    main()
