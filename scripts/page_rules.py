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
