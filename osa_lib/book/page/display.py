"""Rendering helpers for the book's pages: counts, plurals, mean ± std and tables (judgements: osa_lib.book.judge.verdicts).

Every page shows numbers through these helpers, so that a reader never sees a pandas index column, a
float-formatted count ("384.0 images"), a "(s)" plural, ``NaN`` or a Python repr::

    plural(1, "seed")                     -> "1 seed"
    plural(1106, "image")                 -> "1,106 images"
    mean_std({"mean": .529, "std": .081, "per_seed": [...]})   -> "52.9 ± 8.1 %"
    show_table(df, headers={"accuracy_majority %": "acc. %"})  -> a Styler without index column
"""
from __future__ import annotations

import math
from numbers import Integral, Real
from typing import Mapping, Sequence

#: Irregular plurals used on the pages.
_IRREGULAR = {"variant": "variants", "child": "children", "this": "these", "is": "are", "was": "were",
              "has": "have"}


def is_missing(value) -> bool:
    """True for None and NaN (float or numpy)."""
    if value is None:
        return True
    try:
        return isinstance(value, Real) and math.isnan(float(value))
    except (TypeError, ValueError):
        return False


def fmt_count(n) -> str:
    """A count as an integer with thousands separators: 384.0 -> "384", 60000 -> "60,000"."""
    if is_missing(n):
        return "–"
    value = float(n)
    if not value.is_integer():
        raise ValueError(f"{n!r} is not a whole number")
    return f"{int(value):,}"


def plural_word(n, word: str, plural: str | None = None) -> str:
    """``word`` in the number that goes with ``n``: "seed"/"seeds", "is"/"are"."""
    if float(n) == 1:
        return word
    if plural is not None:
        return plural
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if word.endswith(("s", "x", "ch", "sh")):
        return word + "es"
    if word.endswith("y") and word[-2:-1] not in "aeiou":
        return word[:-1] + "ies"
    return word + "s"


def plural(n, word: str, plural: str | None = None) -> str:
    """"1 seed", "3 seeds", "1,106 images": a count and its noun, the count as an integer."""
    return f"{fmt_count(n)} {plural_word(n, word, plural)}"


def fmt_number(x, digits: int = 2, *, tiny: float | None = None, zero_below: float = 0.0) -> str:
    """A measured number at ``digits`` decimals; integers without decimals; NaN/None as "–".

    Scientific notation (two significant digits) only for magnitudes below ``tiny`` (default: the
    smaller of 1e-3 and half the last shown decimal, so a value that ``digits`` can show is shown
    plainly). Magnitudes up to ``zero_below`` (a numerical guard such as ``osa_lib.acrbm.EPS``) are
    "≈ 0"; below 1e-12 they are float rounding, "0 (to rounding)"."""
    if is_missing(x):
        return "–"
    if isinstance(x, Integral) or (isinstance(x, float) and x.is_integer() and abs(x) >= 1 and digits == 0):
        return f"{int(x):,}"
    x = float(x)
    tiny = min(1e-3, 0.5 * 10.0 ** -digits) if tiny is None else tiny
    if x != 0 and abs(x) < 1e-12:
        return "0 (to rounding)"          # floating-point rounding error, not a measured quantity
    if x != 0 and abs(x) <= zero_below:
        return "≈ 0"                      # the size of a numerical guard, not a measured quantity
    if x != 0 and abs(x) < tiny:
        return f"{x:.1e}"
    return f"{x:,.{digits}f}"


def mean_std(metric: Mapping, *, scale: float = 100.0, digits: int = 1, unit: str = " %") -> str:
    """A record metric ``{"mean", "std", "per_seed"}`` as "52.9 ± 8.1 %"; one seed: "52.9 %" (no std)."""
    n = len(metric.get("per_seed") or []) or None
    mean = scale * metric["mean"]
    if n == 1 or is_missing(metric.get("std")):
        return f"{mean:.{digits}f}{unit}"
    return f"{mean:.{digits}f} ± {scale * metric['std']:.{digits}f}{unit}"


def _cell(value, digits: int, zero_below: float = 0.0) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ", ".join(_cell(v, digits, zero_below) for v in value)
    if isinstance(value, Mapping):
        return "; ".join(f"{k} {_cell(v, digits, zero_below)}" for k, v in value.items())
    if is_missing(value):
        return "–"
    if isinstance(value, Integral):
        return f"{int(value):,}"
    if isinstance(value, Real):
        return fmt_number(float(value), digits, zero_below=zero_below)
    return str(value)


def table_frame(df, *, headers: Mapping[str, str] | None = None, digits: int | Mapping[str, int] = 2,
                drop_constant_zero: Sequence[str] = (), index: bool = False, zero_below: float = 0.0):
    """``df`` as a DataFrame of strings: index folded into columns (unless ``index``), columns renamed
    by ``headers``, numbers at ``digits`` decimals (per column when a mapping), whole-number float
    columns as integers, lists joined with commas, NaN as "–". Columns in ``drop_constant_zero`` are
    dropped when every value is 0 or missing (e.g. "std" of one-seed rows). Magnitudes up to
    ``zero_below`` (a numerical guard) read "≈ 0" (:func:`fmt_number`)."""
    import pandas as pd

    frame = df.copy()
    if not index and frame.index.nlevels == 1 and frame.index.name is None and \
            pd.api.types.is_integer_dtype(frame.index):
        frame = frame.reset_index(drop=True)      # row positions left over from a sort or a filter: no column
    elif not index and not isinstance(frame.index, pd.RangeIndex):
        # unnamed row labels get blank headers (" ", "  ", ...), not "index" / "level_0"
        frame.index = frame.index.set_names([n if n else " " * (i + 1) for i, n in enumerate(frame.index.names)])
        frame = frame.reset_index()
    for col in drop_constant_zero:
        if col in frame.columns and all(is_missing(v) or v == 0 for v in frame[col]):
            frame = frame.drop(columns=col)
    out = {}
    for col in frame.columns:
        d = digits.get(col, 2) if isinstance(digits, Mapping) else digits
        values = list(frame[col])
        numeric = [v for v in values if isinstance(v, Real) and not isinstance(v, bool) and not is_missing(v)]
        present = [v for v in values if not is_missing(v)]
        whole = bool(numeric) and len(numeric) == len(present) and all(float(v).is_integer() for v in numeric)
        out[col] = [fmt_count(v) if whole and not is_missing(v) else _cell(v, d, zero_below) for v in values]
    result = pd.DataFrame(out, index=frame.index if index else None)
    if headers:
        result = result.rename(columns=dict(headers))
    # snake_case names the headers map does not cover read as words ("relative_gap" -> "relative gap")
    return result.rename(columns=lambda c: c.replace("_", " ") if isinstance(c, str) else c)


#: Advance (em) of a character of the tables' sans-serif type, by kind: capitals, digits, lower case,
#: spaces, punctuation, other (calibrated in Chromium against system-ui at 0.8rem, within about 7 %); bold
#: text is wider by :data:`BOLD`. With :data:`CELL_PADDING_EM` (a cell's horizontal padding,
#: _static/tables.css) and a safety :data:`MARGIN` they give the width a column needs (:func:`column_min_width_em`).
CHAR_EM = {"upper": 0.70, "digit": 0.64, "lower": 0.58, "space": 0.32, "punctuation": 0.38, "other": 0.8}
BOLD, CELL_PADDING_EM, MARGIN = 1.12, 0.9, 1.03


def text_width_em(text: str, *, bold: bool = False) -> float:
    """An estimate of the width (em) of ``text`` set in the tables' type."""
    def advance(ch):
        kind = ("upper" if ch.isupper() else "digit" if ch.isdigit() else "lower" if ch.islower()
                else "space" if ch in " \u00a0" else "punctuation" if ch in ",.;:()[]/'-" else "other")
        return CHAR_EM[kind]
    return sum(advance(ch) for ch in str(text)) * (BOLD if bold else 1.0)


def two_line_width_em(text: str, *, bold: bool = False) -> float:
    """The width (em) of the longer line when ``text`` is broken at one of its spaces into two lines as
    evenly as possible (no-break spaces do not break; a text without a space stays on one line)."""
    words = str(text).split(" ")
    return min(max(text_width_em(" ".join(words[:i]), bold=bold), text_width_em(" ".join(words[i:]), bold=bold))
               for i in range(1, len(words))) if len(words) > 1 else text_width_em(text, bold=bold)


#: The widest minimum a column gets (em, about a third of the column): a longer unbroken text (a file name)
#: wraps inside it rather than pushing the table past the column.
MAX_MIN_WIDTH_EM = 18.0


def column_min_width_em(header: str, cells) -> float:
    """The width (em) a column needs for its header and every cell to take at most two lines (at most
    :data:`MAX_MIN_WIDTH_EM`)."""
    need = max([two_line_width_em(header, bold=True)] + [two_line_width_em(c) for c in cells])
    return round(min(MARGIN * need + CELL_PADDING_EM, MAX_MIN_WIDTH_EM), 1)


def whole_numbers(cell):
    """A table cell whose measured numbers do not break across lines: no-break spaces inside
    ``"59.45 ± 0.01"`` (an interval ``"[70.20, 78.42]"`` may break after its comma; other text, and
    non-strings, unchanged)."""
    import re

    if not isinstance(cell, str):
        return cell
    return re.sub(r"(\d) ± (\d)", "\\1\u00a0±\u00a0\\2", cell)


def show_table(df, *, headers: Mapping[str, str] | None = None, digits: int | Mapping[str, int] = 2,
               drop_constant_zero: Sequence[str] = (), text_columns: Sequence[str] = (), caption: str | None = None,
               zero_below: float = 0.0):
    """A table a person can read: no index column, short headers (``headers`` renames), numbers at
    sensible precision, "–" for missing values, measured numbers kept whole (:func:`whole_numbers`);
    ``text_columns`` (names after renaming) are left-aligned; every column gets the minimum width its
    header and longest cell need to take at most two lines (:func:`column_min_width_em`). Returns a pandas
    Styler (renders as HTML in the book)."""
    frame = table_frame(df, headers=headers, digits=digits, drop_constant_zero=drop_constant_zero,
                        zero_below=zero_below).map(whole_numbers)
    styler = frame.style.hide(axis="index").set_table_attributes('class="osa-table"')
    first = frame.columns[0] if len(frame.columns) else None
    wide = [c for c in frame.columns if c in text_columns or (c == first and not text_columns)]
    if wide:
        styler = styler.set_properties(subset=wide, **{"text-align": "left"})
    # every column as wide as its header and its longest cell need to stay within two lines
    styler = styler.set_table_styles([
        {"selector": f"th.col_heading.col{i}", "props": [("min-width", f"{column_min_width_em(str(c), frame[c]):g}em")]}
        for i, c in enumerate(frame.columns)], overwrite=False)
    if caption:
        styler = styler.set_caption(caption)
    return styler


def as_number(value):
    """A value to glue: a whole number as ``int`` (so "{glue:text}`n`" prints "384", not "384.0"), else ``float``.
    Format specs in the page (``:.2f``) still apply to either."""
    value = float(value)
    return int(value) if value.is_integer() else value


#: Short table headers for long column names of the chapters' tables (each page gives the legend).
SHORT_HEADERS = {
    "hinge on, epoch 1 %": "hinge ep. 1 %", "hinge on, last epoch %": "hinge last %",
    "train error, last epoch": "train error", "steps with gradient": "steps", "max weight change": "max Δw",
    "clusters / image": "clusters", "1 cluster %": "1 cluster %", "foreground %": "flower %",
    "pixel_accuracy %": "acc. %", "iou %": "IoU %", "dice %": "Dice %", "fit s": "fit (s)",
    "images with >= 3 clusters %": "≥ 3 clusters %", "IoU %, 2 clusters": "IoU %, 2 cl.",
    "IoU %, >= 3 clusters (median rule)": "IoU %, ≥ 3 cl., median", "IoU %, >= 3 clusters (labels >= 1)":
    "IoU %, ≥ 3 cl., labels ≥ 1", "IoU % (median rule)": "IoU %, median", "IoU % (labels >= 1)": "IoU %, labels ≥ 1",
}

_METRICS = {"pixel_accuracy": "accuracy", "iou": "IoU", "dice": "Dice", "accuracy_majority": "accuracy (majority)",
            "accuracy_hungarian": "accuracy (Hungarian)",
            "accuracy_majority_best_of_inits": "accuracy (majority, best K-means start)", "nmi": "NMI", "ari": "ARI", "cluster_usage": "clusters used"}


def metric_name(metric: str) -> str:
    """"iou_band_as_background" -> "IoU (band = background)"; unknown names with underscores as spaces."""
    base, band = (metric[: -len("_band_as_background")], True) if metric.endswith("_band_as_background") else (
        metric, False)
    name = _METRICS.get(base, base.replace("_", " "))
    return name + (" (band = background)" if band else "")


def verdict_count_sentence(counts: Mapping[str, int], phrases: Mapping[str, str]) -> str:
    """"5 are reproduced, 1 is partly reproduced and 1 is not run yet": ``counts`` by verdict, ``phrases``
    verdict -> predicate ("reproduced"); verdicts with a zero count are left out."""
    parts = [f"{fmt_count(n)} {plural_word(n, 'is')} {phrases.get(v, v)}" for v, n in counts.items() if n]
    if not parts:
        return "none is rated yet"
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def per_seed_for_page(frame, row_labels: Mapping[str, str] | None = None, *, row_header: str = "row"):
    """A per-seed frame (:func:`osa_lib.book.provenance.records.per_seed_frame`) as a reader sees it: rows named by
    ``row_labels``, metrics in words with "%", no "mean"/"std" when there is only one seed column."""
    table = frame.reset_index()
    names = table.pop("experiment")
    table.insert(0, row_header, [(row_labels or {}).get(e, e) for e in names])
    table["metric"] = [metric_name(m) + " %" for m in table["metric"]]
    if sum(str(c).startswith("seed ") for c in table.columns) <= 1:
        table = table.drop(columns=["mean", "std"])
    return table
