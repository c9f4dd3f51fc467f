"""What a reader must not see on a built page: the text rules of the browser check (scripts/check_pages.py).

Each rule reads the page's visible text (code blocks and maths removed) or its table cells, and
returns one problem per finding, quoting what was found. The layout rules (narrow columns, headers
broken inside a word, the landing page's distance to Fig. 1) are measured in Chromium by
check_pages; their limits live here so that the test and the check read one number.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

#: A table column narrower than this (px, at a 1280 px window) is too narrow to read.
MIN_COLUMN_PX = 40
#: The landing page's Fig. 1 must start within this many px of the top (two 900 px screens).
FIG1_MAX_TOP_PX = 1800

#: an absolute path of a build machine (a reader's copy has its own)
MACHINE_PATH = re.compile(r"(?<![\w.:/])/(?:home|root|work|tmp|mnt|opt|usr|var|srv|Users)/[\w.-]+(?:/[\w.-]+)*")
#: Python reprs: dicts, lists of dicts, numpy scalars
PYTHON_REPR = re.compile(r"\{'|\[\{|np\.(?:float|int|bool_?)\d*\(|array\(\[")
#: counts formatted as floats ("384.0 images"; not "5.0 points", a measured difference)
FLOAT_COUNT = re.compile(r"\b\d+\.0 (?:images?|seeds?|clusters?|pixels?|epochs?|runs?|jobs?)\b")
#: lazy plurals ("seed(s)")
LAZY_PLURAL = re.compile(r"\w\(s\)")
#: a number printed with more decimals than any measurement here carries ("58.820000")
OVER_PRECISE = re.compile(r"(?<![\w.:])\d+\.\d{6,}\b")
#: a float in Python's exponent form where a plain number reads better ("1.46e+03")
POSITIVE_EXPONENT = re.compile(r"\b\d(?:\.\d+)?e\+\d+\b")
#: Markdown that reached the page as text (a glued string read with {glue:text})
RAW_MARKDOWN = re.compile(r"\*\*\S[^*]{0,80}\*\*")
#: one of something, written as many ("1 torch threads")
ONE_MANY = re.compile(r"(?<![\d.,])(?<!× )\b1 (?:torch )?(?:seeds|threads|images|clusters|epochs|runs|jobs|points|readings)\b")
#: a missing value printed as such in a table cell
MISSING_CELL = re.compile(r"^(?:NaN|nan|None|<NA>|NaT)$")


def build_paths() -> list[str]:
    """This machine's paths that must not appear on a page: the repository and the data root."""
    paths = {str(Path(__file__).resolve().parents[1])}
    data = os.environ.get("OSA_DATA_DIR")
    if data:
        paths |= {data, str(Path(data).resolve())}
    return sorted(p for p in paths if len(p) > 1)


def _quote(text: str, match: re.Match, width: int = 40) -> str:
    start, end = max(match.start() - width, 0), min(match.end() + width, len(text))
    return " ".join(text[start:end].split())


def text_problems(rel: str, text: str, html: str = "", machine_paths: list[str] | None = None) -> list[str]:
    """Problems in a page's visible text (prose and outputs, without code blocks or maths).

    ``html``: the page's whole content, hidden cells included, searched for this machine's paths.
    """
    problems = []
    for path in build_paths() if machine_paths is None else machine_paths:
        if path in text or path in html:
            problems.append(f"{rel}: a path of the build machine is on the page: {path!r}")
    rules = ((MACHINE_PATH, "an absolute path of a machine"), (PYTHON_REPR, "a Python repr"),
             (FLOAT_COUNT, "a count formatted as a float"), (LAZY_PLURAL, "a '(s)' plural"),
             (OVER_PRECISE, "a number with six or more decimals"),
             (POSITIVE_EXPONENT, "a large number in exponent form"), (RAW_MARKDOWN, "unrendered Markdown"),
             (ONE_MANY, "a plural after 1"))
    for pattern, what in rules:
        for match in pattern.finditer(text):
            problems.append(f"{rel}: {what}: {_quote(text, match)!r}")
    return list(dict.fromkeys(problems))


def table_problems(rel: str, tables: list[list[list[str]]]) -> list[str]:
    """Problems in table cells: missing values shown as NaN/None, a pandas index column.

    ``tables``: per table, its rows, each a list of cell texts.
    """
    problems = []
    for i, rows in enumerate(tables):
        body = [r[0].strip() for r in rows[1:] if r]
        if len(rows) > 1 and rows[0] and not rows[0][0].strip() and body and all(c.isdigit() for c in body):
            problems.append(f"{rel}: table {i} shows a pandas index (a blank-headed column of row numbers "
                            f"{', '.join(body[:4])}, ...)")
        for row in rows:
            for cell in row:
                cell = cell.strip()
                if MISSING_CELL.match(cell):
                    problems.append(f"{rel}: table {i} shows {cell!r} in a cell (row {' | '.join(row)[:60]!r})")
    return problems


def layout_problems(rel: str, measured: dict, landing: bool) -> list[str]:
    """Problems in what Chromium measured: narrow columns, headers broken inside a word, Fig. 1's top."""
    problems = []
    for c in measured.get("narrow", []):
        problems.append(f"{rel}: table {c['table']} column {c['column']} ({c['header']!r}) is {c['width']:.0f} px "
                        f"wide, narrower than {MIN_COLUMN_PX} px")
    for h in measured.get("broken", []):
        problems.append(f"{rel}: table {h['table']} header {h['header']!r} breaks inside the word {h['word']!r}")
    if landing:
        top = measured.get("fig1_top")
        if top is None:
            problems.append(f"{rel}: no figure found on the landing page")
        elif top > FIG1_MAX_TOP_PX:
            problems.append(f"{rel}: Fig. 1 starts {top:.0f} px down, below the second screen ({FIG1_MAX_TOP_PX} px)")
    return problems


# --- Figures and tables a reader can read (issue 21, item 3) -------------------------------------------
# The style's numbers come from the one place that sets them (osa_lib/book/page/style.py): the PNGs' dpi
# and the text chunk in which each figure records its smallest font size.
import sys  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from osa_lib.book.page.style import FONT_KEY, PNG_DPI  # noqa: E402

#: The smallest text (pt on the page) a figure may show.
MIN_SHOWN_FONT_PT = 9.0
#: The most lines a table cell may take at a 1280 px window.
MAX_CELL_LINES = 2
#: CSS pixels per inch (the browser's, whatever the screen).
CSS_PX_PER_INCH = 96


def shown_font_pt(font_pt: float, dpi: float, shown_width: float, natural_width: float) -> float:
    """The size (pt) at which text drawn at ``font_pt`` in a ``dpi`` PNG of ``natural_width`` pixels
    reads on a page that shows the PNG ``shown_width`` CSS pixels wide: font_pt x dpi x scale / 96."""
    return font_pt * dpi * (shown_width / natural_width) / CSS_PX_PER_INCH


def png_font_record(info: dict) -> tuple[float | None, float, bool]:
    """From a PNG's info (Pillow's ``Image.info``): the smallest font size it records (None: no text),
    its dpi (the style's :data:`PNG_DPI` when it stores none), and whether it records a font size."""
    dpi = info.get("dpi")
    dpi = float(dpi[0]) if dpi else float(PNG_DPI)
    value = info.get(FONT_KEY)
    if value is None:
        return None, dpi, False
    return (None if value == "none" else float(value)), dpi, True


def figure_text_sizes(figures: list[dict]) -> list[dict]:
    """Each shown figure with its text size on the page: adds ``scale`` (shown / natural width) and
    ``shown_pt`` (its smallest text, pt on the page; None: no text or no record).

    ``figures``: per image, ``name``, ``shown_width`` and ``natural_width`` (px), ``dpi``, ``font_pt``
    (its smallest font size, None: no text) and ``recorded`` (whether the PNG records it).
    """
    out = []
    for f in figures:
        if not f.get("shown_width") or not f.get("natural_width"):
            continue                         # not shown (a folded block) or not loaded
        scale = f["shown_width"] / f["natural_width"]
        pt = (shown_font_pt(f["font_pt"], f["dpi"], f["shown_width"], f["natural_width"])
              if f.get("recorded") and f.get("font_pt") is not None else None)
        out.append({**f, "scale": scale, "shown_pt": pt})
    return out


def figure_text_problems(rel: str, figures: list[dict]) -> list[str]:
    """A shown figure whose smallest text reads below :data:`MIN_SHOWN_FONT_PT` on the page, or whose
    PNG records no font size (drawn outside the book style: its text cannot be measured)."""
    problems = []
    for f in figure_text_sizes(figures):
        if not f.get("recorded"):
            problems.append(f"{rel}: figure {f['name']!r} records no font size (not drawn through "
                            f"osa_lib.book.page.style.use_book_style), so its text size cannot be checked")
        elif f["shown_pt"] is not None and f["shown_pt"] < MIN_SHOWN_FONT_PT - 1e-6:
            problems.append(f"{rel}: figure {f['name']!r}: its smallest text ({f['font_pt']:g} pt drawn, "
                            f"shown at {100 * f['scale']:.0f} % of {f['natural_width']} px at {f['dpi']:.0f} dpi) "
                            f"reads {f['shown_pt']:.1f} pt on the page, below {MIN_SHOWN_FONT_PT:g} pt")
    return problems


def cell_wrap_problems(rel: str, cells: list[dict], shown: int = 5) -> list[str]:
    """Table cells that take more than :data:`MAX_CELL_LINES` lines at a 1280 px window.

    ``cells``: per measured cell, ``table`` (its index on the page), ``name`` (the table's caption or
    section), ``lines`` and ``text``. At most ``shown`` cells are named per table, then a count.
    """
    by_table: dict[int, list[dict]] = {}
    for c in cells:
        if c["lines"] > MAX_CELL_LINES:
            by_table.setdefault(c["table"], []).append(c)
    problems = []
    for t, wrapped in by_table.items():
        named = "; ".join(f"{c['text'][:50]!r} takes {c['lines']} lines" for c in wrapped[:shown])
        more = f"; and {len(wrapped) - shown} more" if len(wrapped) > shown else ""
        problems.append(f"{rel}: table {t} ({wrapped[0]['name'][:60]!r}) wraps cells past {MAX_CELL_LINES} "
                        f"lines at a 1280 px window: {named}{more}")
    return problems


# --------------------------------------------------------------------------- numbers of this build's run

#: A decimal number as it stands in a page's text ("61.44", "0.987"): digits, a point, digits.
DECIMAL = re.compile(r"(?<![\w.])\d+\.\d+(?![\w.]*\d)")
#: Where a chapter folds this build's run away: a dropdown (sphinx-design renders it as <details>).
FOLDED = "details, .sd-dropdown, .dropdown"


def significant_digits(text: str) -> int:
    """Significant digits of a decimal as printed: leading zeros do not count ("0.043" has 2, "54.30" has 4)."""
    return len(text.replace(".", "").lstrip("0"))


def printed_forms(value: float) -> set[str]:
    """How a page may print a record's number, kept where it would pass for a measurement (a point and at
    least 3 significant digits): a fraction as a percent with 1 or 2 decimals and as itself with 3 or 4;
    other numbers with 2 to 4 decimals."""
    value = float(value)
    if 0 <= abs(value) <= 1:
        candidates = [f"{100 * abs(value):.{d}f}" for d in (1, 2)] + [f"{abs(value):.{d}f}" for d in (3, 4)]
    else:
        candidates = [f"{abs(value):.{d}f}" for d in (2, 3, 4)]
    return {c for c in candidates if significant_digits(c) >= 3}


def _numbers(node, keys: tuple[str, ...] | None = None, inside: bool = False):
    """Every number under ``node`` (JSON), or only those under keys named in ``keys``."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _numbers(value, keys, inside or keys is None or key in keys)
    elif isinstance(node, list):
        for value in node:
            yield from _numbers(value, keys, inside)
    elif isinstance(node, (int, float)) and not isinstance(node, bool) and inside:
        yield float(node)


def run_only_numbers(results_root, reference_texts: tuple[str, ...] = ()) -> set[str]:
    """Numbers, as the pages print them (:func:`printed_forms`), of this build's ``ci`` run that no committed
    ``paper``-profile file holds: the measurements of ``results/ci/**`` records (their ``metrics``) and exhibits
    (their ``facts``), minus the forms of every number a page may print from ``results/paper/**`` (all of a
    record; an exhibits file's ``facts`` and ``table``, not its coordinates, pixels or curves, whose thousands
    of numbers would excuse almost any decimal) and of every decimal in ``reference_texts`` (e.g. the paper's
    own numbers, paper_results.json). Empty without a ci run."""
    import json

    root = Path(results_root)

    def forms(folder: Path, record_keys, exhibit_keys, both_roundings: bool = False) -> set[str]:
        found = set()
        for path in sorted(folder.rglob("*.json")) if folder.is_dir() else []:
            try:
                node = json.loads(path.read_text())
            except (OSError, ValueError):
                continue
            for value in _numbers(node, exhibit_keys if "exhibits" in path.parts else record_keys):
                found |= printed_forms(value)
                if both_roundings:
                    # A page recomputes a mean from the per-seed values: 0.60555 may print 60.55 or 60.56.
                    found |= printed_forms(value * (1 - 1e-9)) | printed_forms(value * (1 + 1e-9))
        return found

    allowed = forms(root / "paper", None, ("facts", "table"), both_roundings=True)
    for text in reference_texts:
        allowed |= set(DECIMAL.findall(text))
    return forms(root / "ci", ("metrics",), ("facts",)) - allowed


def text_outside_folds(html: str) -> str:
    """A page's visible text without what it folds away (dropdowns) and without code and maths."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    for node in soup.select(f"{FOLDED}, mjx-container, script, style, pre, code, .math, .highlight"):
        node.decompose()
    return soup.get_text(" ")


#: a 95 % interval as the pages print it: "[53.20, 66.37]", "[−6.87, +6.28]"
INTERVAL = re.compile(r"\[[−+\-]?\d+(?:\.\d+)?,\s*[−+\-]?\d+(?:\.\d+)?\]")


def run_number_problems(rel: str, text: str, run_numbers: set[str]) -> list[str]:
    """A number of this build's run (:func:`run_only_numbers`) in ``text`` (the page outside its folded block):
    a result the page states from the small check run instead of the records."""
    problems = []
    # An interval's bounds ("60.55 [53.20, 66.37]") are computed on the page from a record's seeds, not stored
    # in any record: they cannot be traced either way and would collide with ci numbers by chance.
    text = INTERVAL.sub(" ", text)
    for match in DECIMAL.finditer(text):
        if match.group(0) in run_numbers:
            problems.append(f"{rel}: a number of this build's ci run outside its folded block: "
                            f"{_quote(text, match)!r}")
    return list(dict.fromkeys(problems))


# --------------------------------------------------------------------------- a source line under every exhibit
# Issue 24, item 5: each table and figure of results carries a source line (osa_lib/book/page/exhibit_sources.py)
# naming the record it was drawn from. An exhibit of results is a table or image that a notebook *outputs*: in a
# code cell's outputs, a glued output or a glued figure. A table typed in a page's Markdown is prose (the pages
# type no measured number: they glue them), and pictures placed by a Markdown directive are drawings, not runs.

#: The class of the source line (osa_lib.book.page.exhibit_sources.SOURCE_CLASS).
SOURCE_CLASS = "osa-source"
#: What marks a table or figure that is not a result (a parameter or protocol table, the paper's own numbers, the
#: departures from the paper): a wrapper with this class, or a code cell tagged ``not-results`` (Jupyter Book
#: renders a cell tag as the class ``tag_<tag>``).
NOT_RESULTS_CLASSES = ("osa-not-results", "tag_not-results")
#: Where a table or figure of results is output: a code cell's output area, a glued figure, a glued output.
OUTPUT_UNITS = ("cell_output", "figure", "output")
#: The blocks a source line must share with its exhibit: a section, a folded block, a tab.
SOURCE_SCOPES = ("section", "details", "sd-tab-content")


def _classes(node) -> list[str]:
    return node.get("class") or [] if hasattr(node, "get") else []


def _output_unit(node):
    """The outermost output block holding ``node``: a code cell's outputs, else a glued figure, else a glued
    output; None for a table or picture of the page's Markdown."""
    cell = node.find_parent(class_="cell_output")
    if cell is not None:
        return cell
    figure = node.find_parent("figure")
    if figure is not None:
        return figure
    return node.find_parent("div", class_="output")


def _scope(node):
    """The innermost section, folded block or tab holding ``node``."""
    for parent in node.parents:
        if parent.name in ("section", "details") or "sd-tab-content" in _classes(parent):
            return parent
    return None


def _exhibit_name(unit) -> str:
    caption = unit.find("figcaption")
    text = caption.get_text(" ", strip=True) if caption else ""
    if not text:
        table = unit.find("table")
        head = table.find("tr") if table is not None else None
        text = ("table with columns " + " | ".join(c.get_text(" ", strip=True) for c in head.find_all(["th", "td"]))
                if head is not None else "a figure")
    heading = None
    for parent in unit.parents:
        if parent.name == "section":
            heading = parent.find(["h1", "h2", "h3", "h4"])
            break
    where = f" in {heading.get_text(' ', strip=True).rstrip('#').strip()!r}" if heading is not None else ""
    return f"{' '.join(text.split())[:70]!r}{where}"


def source_line_problems(rel: str, html: str) -> list[str]:
    """A table or figure of results without its source line.

    Every output block holding a ``<table>`` or an ``<img>`` (a code cell's outputs, a glued figure, a glued
    output; see :data:`OUTPUT_UNITS`) passes when it holds an element of class :data:`SOURCE_CLASS`, or when the
    next output block or source line after it in the page is a source line in the same section, folded block or
    tab (:data:`SOURCE_SCOPES`): a glued figure is followed by its glued line. So a line covers the exhibits of one
    cell's outputs, or the one exhibit just above it, never two blocks apart. A block inside an element of a class
    of :data:`NOT_RESULTS_CLASSES` is not a result and needs no line; tables and pictures of the page's Markdown
    are not outputs and need none either.
    """
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    units = []
    for node in soup.find_all(["table", "img"]):
        if any(c in NOT_RESULTS_CLASSES for p in node.parents for c in _classes(p)):
            continue                          # marked inside its output block, or the block itself, or its cell
        unit = _output_unit(node)
        if unit is not None and not any(unit is u for u in units):
            units.append(unit)
    if not units:
        return []
    # the page's output blocks and source lines, in document order (a line inside a block belongs to it); tags are
    # compared by identity, since BeautifulSoup finds two tags of the same markup equal (a line repeated on a page)
    events = []
    for node in soup.find_all(True):
        if any(node is u for u in units):
            events.append(("exhibit", node))
        elif SOURCE_CLASS in _classes(node) and not any(p is u for p in node.parents for u in units):
            events.append(("source", node))
    problems = []
    for i, (kind, node) in enumerate(events):
        if kind != "exhibit" or node.find(class_=SOURCE_CLASS) is not None:
            continue
        following = next((e for e in events[i + 1:]
                          if not (e[0] == "exhibit" and any(p is node for p in e[1].parents))), None)
        if following is not None and following[0] == "source" and _scope(following[1]) is _scope(node):
            continue
        problems.append(f"{rel}: a table or figure of results without a source line "
                        f"(class {SOURCE_CLASS!r} in its output or just below it): {_exhibit_name(node)}")
    return problems
