"""Rendering helpers of the book pages: counts, plurals, mean ± std, noise judgements, tables."""
import math

import numpy as np
import pandas as pd
import pytest

from osa_lib.book.page import display as d


def test_counts_are_integers():
    assert d.fmt_count(384.0) == "384"
    assert d.fmt_count(np.float64(60000)) == "60,000"
    assert d.fmt_count(float("nan")) == "–"
    with pytest.raises(ValueError):
        d.fmt_count(2.5)


def test_plurals():
    assert d.plural(1, "seed") == "1 seed"
    assert d.plural(3.0, "seed") == "3 seeds"
    assert d.plural(1106, "image") == "1,106 images"
    assert d.plural(2, "pass") == "2 passes"
    assert d.plural(2, "study") == "2 studies"
    assert d.plural_word(1, "is") == "is" and d.plural_word(2, "is") == "are"
    assert d.plural(0, "cluster") == "0 clusters"


def test_numbers():
    assert d.fmt_number(7.277489e-16) == "0 (to rounding)"
    assert d.fmt_number(2.5e-5) == "2.5e-05"
    assert d.fmt_number(0.0) == "0.00"
    assert d.fmt_number(52.94666, 1) == "52.9"
    assert d.fmt_number(None) == "–"
    assert d.fmt_number(3) == "3"


def test_mean_std_and_one_seed():
    m = {"mean": 0.5294666, "std": 0.0811, "per_seed": [0.5, 0.62, 0.47]}
    assert d.mean_std(m) == "52.9 ± 8.1 %"
    assert d.mean_std({"mean": 0.5, "std": 0.0, "per_seed": [0.5]}) == "50.0 %"


def test_table_frame_has_no_index_and_no_reprs():
    df = pd.DataFrame({"variant": ["a", "b"], "acc": [52.946, np.nan], "images": [384.0, 1106.0],
                       "std": [0.0, 0.0], "per seed": [[50.04, 62.1], [1.0]]}).set_index("variant")
    frame = d.table_frame(df, headers={"acc": "acc. %"}, digits=1, drop_constant_zero=["std"])
    assert list(frame.columns) == ["variant", "acc. %", "images", "per seed"]
    assert list(frame["acc. %"]) == ["52.9", "–"]
    assert list(frame["images"]) == ["384", "1,106"]
    assert frame["per seed"][0] == "50.0, 62.1"
    html = d.show_table(df, digits=1, text_columns=["variant"]).to_html()
    assert "nan" not in html.lower().replace("nan-", "") and "[" not in html
    assert "min-width" in html
    assert "row_heading" not in html or 'class="row_heading' not in html.split("<tbody>")[1]


def test_as_number_for_glue():
    assert d.as_number(384.0) == 384 and isinstance(d.as_number(np.float64(3.0)), int)
    assert d.as_number(0.5) == 0.5
    assert format(d.as_number(3.0), ".2f") == "3.00"


def test_metric_names_and_short_headers():
    assert d.metric_name("iou_band_as_background") == "IoU (band = background)"
    assert d.metric_name("pixel_accuracy") == "accuracy" and d.metric_name("some_thing") == "some thing"
    assert all(len(v) <= 26 for v in d.SHORT_HEADERS.values())


def test_verdict_count_sentence_agrees_in_number():
    s = d.verdict_count_sentence({"reproduced": 5, "refuted": 1, "not run yet": 0, "not tested": 1},
                                 {"refuted": "refuted by the paper's own derivation"})
    assert s == "5 are reproduced, 1 is refuted by the paper's own derivation and 1 is not tested"
    assert "1 are" not in s


def test_compact_verdict_table():
    from osa_lib.book.summary import report
    df = pd.DataFrame([{"key": "t1-kmeans", "section": "table1", "claim": "Table 1: K-means (10 clusters)",
                        "paper": "57.32", "ours": "59.45 ± 0.01", "gap": "+2.13", "budget": "5 · 20 · 60,000",
                        "verdict": report.VERDICTS[0], "detail": "within tolerance", "evidence": "x",
                        "page": "notebooks/shallow_acrbm", "anchor": "shallow-table1"}])
    from osa_lib.book.summary.overview import verdict_table_html
    html = verdict_table_html(df, compact=True)
    assert html.count("<th>") == 3 and 'title="within tolerance"' in html
    assert "<td>57.32</td><td>59.45 ± 0.01</td>" in html and '<tr class="osa-claim-row"><th colspan="3">' in html


def test_unnamed_index_and_snake_case_headers():
    df = pd.DataFrame({"relative_gap": [1e-16, 0.5]}, index=["own", "data"])
    frame = d.table_frame(df, digits=4)
    assert list(frame.columns) == [" ", "relative gap"]
    assert list(frame[" "]) == ["own", "data"] and list(frame["relative gap"]) == ["0 (to rounding)", "0.5000"]


def test_numbers_that_the_digits_can_show_are_not_in_exponent_form():
    assert d.fmt_number(8.8e-4, 4) == "0.0009"
    assert d.fmt_number(2.8e-4, 4) == "0.0003"
    assert d.fmt_number(2.0e-5, 4) == "2.0e-05"     # below half the last decimal: exponent form
    assert d.fmt_number(5e-4) == "5.0e-04"          # two decimals cannot show it


def test_values_of_a_guards_size_read_approximately_zero():
    assert d.fmt_number(-1.0e-8, 4, zero_below=1e-7) == "≈ 0"
    assert d.fmt_number(-1.0e-8, 4) == "-1.0e-08"
    frame = d.table_frame(__import__("pandas").DataFrame({"eq14": [16.5786, -9.6e-9]}), digits=4, zero_below=1e-7)
    assert list(frame["eq14"]) == ["16.5786", "≈ 0"]


def test_row_positions_left_by_a_sort_are_not_a_column():
    import pandas as pd

    df = pd.DataFrame({"reading": ["a", "b", "c"], "acc": [1.0, 3.0, 2.0]}).sort_values("acc")
    assert list(d.table_frame(df).columns) == ["reading", "acc"]
    labelled = pd.DataFrame({"acc": [1.0, 2.0]}, index=["K-means", "ACRBM"])
    assert list(d.table_frame(labelled).columns) == [" ", "acc"]        # row labels stay, with a blank header


def test_per_seed_for_page_names_rows_and_drops_the_spread_of_one_seed():
    import pandas as pd

    frame = pd.DataFrame([{"experiment": "loc", "metric": "iou", "seed 0": 60.0, "mean": 60.0, "std": 0.0}]
                         ).set_index(["experiment", "metric"])
    table = d.per_seed_for_page(frame, {"loc": "LOC"}, row_header="method")
    assert list(table.columns) == ["method", "metric", "seed 0"] and table.iloc[0]["method"] == "LOC"
    assert table.iloc[0]["metric"] == "IoU %"


def test_columns_get_the_width_their_header_and_longest_cell_need_for_two_lines():
    assert d.two_line_width_em("seeds × epochs") < d.text_width_em("seeds × epochs")
    assert d.two_line_width_em("59.45\u00a0±\u00a00.01") == d.text_width_em("59.45\u00a0±\u00a00.01")  # no break
    wide = d.column_min_width_em("pre-train 50 epochs, then encoder on the ACRBM loss alone", ["x"])
    assert d.column_min_width_em("K", ["1", "2"]) < 3 < wide
    html = d.show_table(pd.DataFrame({"reading": ["as printed"], "test accuracy %": ["59.45 ± 0.01"]})).to_html()
    assert "min-width" in html and "59.45\u00a0±\u00a00.01" in html
