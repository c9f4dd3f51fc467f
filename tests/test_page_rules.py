"""The browser check's text and layout rules (scripts/page_rules.py) on the examples issue 15 names."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
import page_rules  # noqa: E402


@pytest.mark.parametrize("text, what", [
    ("AE + ACRBM (30): [{'seed': 2, 'epochs_done': 250}, {'seed': 3}]", "Python repr"),
    ("settings {'epochs': 3}", "Python repr"),
    ("gap np.float64(0.25) points", "Python repr"),
    ("trained on 384.0 images", "float"),
    ("averaged over 3.0 seeds", "float"),
    ("96.0 × 96.0 pixels", "float"),
    ("over 5 seed(s)", "'(s)' plural"),
    ("data root /work/shared/data/flowers17", "absolute path"),
    ("checkpoint at /home/alice/osa/results", "absolute path"),
    ("MSE summed per image 2 × 100 58.28 ± 5.93 58.820000 53.980000", "six or more decimals"),
    ("the mean training error is still 1.46e+03", "exponent form"),
    ("on the protocol as printed, **not reproduced** (-23.61 points", "unrendered Markdown"),
    ("device cpu: x86_64, 1 torch threads", "plural after 1"),
    ("trained on 1 seeds", "plural after 1"),
])
def test_each_example_of_the_issue_is_caught(text, what):
    problems = page_rules.text_problems("page.html", text, machine_paths=[])
    assert problems and what in problems[0], problems


@pytest.mark.parametrize("text", [
    "AE + ACRBM (30): seeds 2 and 3 stopped at 250 and 136 epochs; seed 4 not run yet.",
    "-5.0 points, beyond noise (2 SE = 3.4)", "fit (s) is the training time", "59.70 ± 3.79 %",
    "see https://www.robots.ox.ac.uk/~vgg/data/flowers/17/ and ../shared/data", "the ratio 1/2 and km/h",
    "arXiv:1708.07747", "MSE per pixel 0.01722 against 0.01720", "11 seeds and 21 threads, 0.1 points",
    "1 seed, 1 thread, 2 × 1 images",
])
def test_clean_prose_passes(text):
    assert page_rules.text_problems("page.html", text, machine_paths=[]) == []


def test_this_machines_paths_are_caught_even_in_hidden_cells():
    root = page_rules.build_paths()[0]
    assert page_rules.text_problems("p", "nothing visible", html=f"<pre>{root}/x</pre>")
    assert page_rules.text_problems("p", "nothing visible", html="<pre>osa</pre>") == []


def test_missing_values_in_table_cells():
    tables = [[["method", "acc. %"], ["K-means", "NaN"], ["ACRBM", "60.1"]], [["a", "None"]]]
    problems = page_rules.table_problems("p", tables)
    assert len(problems) == 2 and "'NaN'" in problems[0] and "'None'" in problems[1]
    assert page_rules.table_problems("p", [[["method", "acc. %"], ["K-means", "not run yet"]]]) == []


def test_layout_limits():
    measured = {"narrow": [{"table": 0, "column": 3, "header": "std", "width": 35.0}],
                "broken": [{"table": 1, "header": "clu ste rs", "word": "clusters"}], "fig1_top": 2600}
    problems = page_rules.layout_problems("book/intro.html", measured, landing=True)
    assert len(problems) == 3
    assert "narrower than 40 px" in problems[0] and "'clusters'" in problems[1] and "2600 px" in problems[2]
    ok = {"narrow": [], "broken": [], "fig1_top": page_rules.FIG1_MAX_TOP_PX - 1}
    assert page_rules.layout_problems("book/intro.html", ok, landing=True) == []
    assert page_rules.layout_problems("x.html", {"fig1_top": None}, landing=False) == []
    assert "no figure" in page_rules.layout_problems("book/intro.html", {}, landing=True)[0]


def test_an_index_column_of_row_numbers_is_caught():
    index = [["", "reading", "acc. %"], ["4", "sum", "58.3"], ["7", "detached", "56.0"]]
    assert "pandas index" in page_rules.table_problems("p", [index])[0]
    labels = [["", "acc. %"], ["K-means", "59.5"], ["ACRBM", "54.4"]]
    counts = [["K", "acc. %"], ["10", "59.5"], ["30", "74.3"]]
    assert page_rules.table_problems("p", [labels, counts]) == []


# --- issue 21, item 3: figure text size and table cell wrapping ---------------------------------------

def figure(font_pt=9.0, shown=700, natural=1400, dpi=200.0, recorded=True, name="Fig. 1.2 Loss"):
    return {"name": name, "font_pt": font_pt, "shown_width": shown, "natural_width": natural, "dpi": dpi,
            "recorded": recorded}


def test_shown_font_size_is_drawn_size_times_dpi_times_scale_over_96():
    # a retina PNG (200 dpi) shown at half its pixels: 100 CSS px per figure inch, 9 pt reads 9.375 pt
    assert page_rules.shown_font_pt(9, 200, 700, 1400) == pytest.approx(9.375)
    # the AE readings figure before issue 21: about 2,000 px at 200 dpi shown 690 px wide, 6 pt legend
    assert page_rules.shown_font_pt(6, 200, 690, 2000) == pytest.approx(4.3125)
    assert page_rules.shown_font_pt(12, 96, 500, 500) == pytest.approx(12)


def test_a_figure_shown_at_its_drawn_size_passes():
    assert page_rules.figure_text_problems("p", [figure()]) == []
    assert page_rules.figure_text_problems("p", [figure(font_pt=None)]) == []       # no text at all


def test_small_text_or_a_shrunk_figure_fails_naming_page_and_figure():
    small = figure(font_pt=6.0)
    shrunk = figure(font_pt=9.0, shown=690, natural=1878, name="Fig. 4.1 readings")  # 9.4 in drawn, 6.9 in shown
    problems = page_rules.figure_text_problems("notebooks/ae_acrbm.html", [small, shrunk])
    assert len(problems) == 2
    assert problems[0].startswith("notebooks/ae_acrbm.html: figure 'Fig. 1.2 Loss'") and "6.2 pt" in problems[0]
    assert "'Fig. 4.1 readings'" in problems[1] and "37 %" in problems[1] and "6.9 pt" in problems[1]


def test_a_figure_without_a_font_record_fails_and_a_hidden_one_is_not_measured():
    problems = page_rules.figure_text_problems("p", [figure(recorded=False, font_pt=None)])
    assert len(problems) == 1 and "records no font size" in problems[0]
    assert page_rules.figure_text_problems("p", [figure(font_pt=5.0, shown=0)]) == []


def test_png_font_record_reads_the_text_chunk_and_the_dpi():
    key = page_rules.FONT_KEY
    assert page_rules.png_font_record({key: "9", "dpi": (199.9994, 199.9994)}) == (9.0, 199.9994, True)
    assert page_rules.png_font_record({key: "none"}) == (None, float(page_rules.PNG_DPI), True)
    assert page_rules.png_font_record({"dpi": (72, 72)}) == (None, 72.0, False)


def test_a_figure_drawn_in_the_book_style_records_its_smallest_font(tmp_path):
    """The PNG the pages show records the smallest drawn font; the check reads it back through Pillow."""
    import base64

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from PIL import Image

    from osa_lib.book.page import style

    with plt.rc_context(style.STYLE):
        fig, ax = plt.subplots(figsize=(4, 2))
        ax.plot([0, 1], [0, 1], label="a line")
        ax.legend(fontsize=7)
        ax.set_xlabel("epoch")
        hidden = fig.text(0.5, 0.5, "not drawn", fontsize=4)
        hidden.set_visible(False)
        assert style.smallest_font_pt(fig) == 7
        data, meta = style.book_png(fig)
        plt.close(fig)
    path = tmp_path / "fig.png"
    path.write_bytes(base64.b64decode(data))
    with Image.open(path) as im:
        font_pt, dpi, recorded = page_rules.png_font_record(im.info)
        assert recorded and font_pt == 7 and round(dpi) == style.PNG_DPI
        assert meta["width"] == im.width // 2           # shown at 100 CSS px per figure inch
    shown = page_rules.figure_text_sizes([{**figure(font_pt=font_pt, natural=im.width, shown=meta["width"]),
                                           "dpi": dpi}])[0]
    assert shown["shown_pt"] == pytest.approx(7 * 200 / 2 / 96, rel=1e-2)     # 7.3 pt: fails
    assert page_rules.figure_text_problems("p", [shown])


def test_cells_past_two_lines_fail_naming_page_table_and_cell():
    cells = [{"table": 1, "name": "Table 1: K-means and shallow ACRBM", "lines": 4,
              "text": "accuracy % (ours, paper profile)"},
             {"table": 1, "name": "Table 1: K-means and shallow ACRBM", "lines": 2, "text": "NMI %"},
             {"table": 3, "name": "in 1.5", "lines": 3, "text": "head start for cluster 0"}]
    problems = page_rules.cell_wrap_problems("notebooks/shallow_acrbm.html", cells)
    assert len(problems) == 2
    assert problems[0].startswith("notebooks/shallow_acrbm.html: table 1 ('Table 1: K-means and shallow ACRBM')")
    assert "'accuracy % (ours, paper profile)' takes 4 lines" in problems[0] and "NMI" not in problems[0]
    assert "'head start for cluster 0' takes 3 lines" in problems[1]
    assert page_rules.cell_wrap_problems("p", [dict(cells[1])]) == []
    many = [{"table": 0, "name": "t", "lines": 3, "text": f"cell {i}"} for i in range(8)]
    assert "and 3 more" in page_rules.cell_wrap_problems("p", many)[0]


# --------------------------------------------------------------------------- numbers of this build's run

def _write(path, data):
    import json

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))


def test_run_only_numbers_are_the_ci_measurements_no_paper_file_holds(tmp_path):
    _write(tmp_path / "ci" / "mnist" / "kmeans.json",
           {"params": {"n_train": 20000, "lr": 0.0123}, "metrics": {"accuracy_majority": {"per_seed": [0.5371, 0.6144],
                                                                                          "mean": 0.57575, "std": 0.043}}})
    _write(tmp_path / "ci" / "mnist" / "exhibits" / "sweep.json", {"data": {"facts": {"trustworthiness_k10": 0.98712}}})
    _write(tmp_path / "paper" / "mnist" / "kmeans.json", {"metrics": {"accuracy_majority": {"mean": 0.6144}}})
    # the paper-profile exhibits' coordinates are not printed: they excuse nothing
    _write(tmp_path / "paper" / "mnist" / "exhibits" / "sweep.json",
           {"data": {"tsne": {"coordinates": [[53.71, 0.987]]}, "facts": {"trustworthiness_k30": 0.5}}})
    numbers = page_rules.run_only_numbers(tmp_path, reference_texts=("the paper prints 57.58 %",))
    assert {"53.71", "53.7", "0.537", "0.5371", "0.987", "98.71"} <= numbers
    assert "61.44" not in numbers and "0.614" not in numbers         # a paper-profile number
    assert "57.58" not in numbers                                     # the paper's own number
    assert "4.30" in numbers and "0.043" not in numbers              # 0.043: two significant digits
    assert "1.23" not in numbers                                      # params are settings, not measurements
    assert page_rules.run_only_numbers(tmp_path / "nothing") == set()


def test_a_paper_mean_excuses_both_roundings_a_page_may_print(tmp_path):
    """A page recomputes 0.60555 from its seeds and may print 60.55 or 60.56: neither is a ci-only number."""
    _write(tmp_path / "ci" / "mnist" / "a.json", {"metrics": {"m": {"mean": 0.60551, "std": 0.60564}}})
    _write(tmp_path / "paper" / "mnist" / "b.json", {"metrics": {"m": {"mean": 0.60555}}})
    numbers = page_rules.run_only_numbers(tmp_path)
    assert "60.55" not in numbers and "60.56" not in numbers
    assert "0.6055" not in numbers and "0.6056" not in numbers


def test_a_ci_number_outside_the_folded_block_fails_the_page_inside_it_passes():
    numbers = {"53.71", "0.987"}
    html = ("<main><p>K-means reaches 61.44 % (paper profile); this run reads 53.71 %.</p>"
            "<details class='sd-dropdown'><summary>This build's run</summary><p>accuracy 53.71 %, T = 0.987</p></details>"
            "<pre>53.71</pre><table><tr><td>0.987</td></tr></table></main>")
    text = page_rules.text_outside_folds(html)
    assert "61.44" in text and "T = 0.987" not in text and "53.71 %." in text
    problems = page_rules.run_number_problems("notebooks/shallow_acrbm.html", text, numbers)
    assert len(problems) == 2 and "53.71" in problems[0] and "0.987" in problems[1]
    folded = ("<main><p>K-means reaches 61.44 %; 10 seeds, 53.7 and 153.71 and 53.712.</p>"
              "<details><p>53.71 and 0.987</p></details></main>")
    assert page_rules.run_number_problems("p", page_rules.text_outside_folds(folded), numbers) == []


def test_significant_digits_and_printed_forms():
    assert page_rules.significant_digits("0.043") == 2 and page_rules.significant_digits("54.30") == 4
    assert page_rules.printed_forms(0.6144) == {"61.4", "61.44", "0.614", "0.6144"}
    assert page_rules.printed_forms(0.0005) == set()                  # too few significant digits to tell apart
    assert page_rules.printed_forms(12.3456) == {"12.35", "12.346", "12.3456"}


def test_interval_bounds_are_not_read_as_ci_numbers():
    text = "strongest 59.78 [53.20, 66.37] %, gap −0.30 [−6.87, +6.28] points; this build 53.20"
    problems = page_rules.run_number_problems("p", text, {"53.20", "66.37", "6.87", "59.78"})
    assert len(problems) == 2                                  # 59.78 and the bare 53.20, never the bounds
    assert all("59.78" in p or "this build 53.20" in p for p in problems)


# --------------------------------------------------------------------------- source lines (issue 24, item 5)

def _page(body: str) -> str:
    return f"<main><section><h2>Table 1</h2>{body}</section></main>"


TABLE = "<div class='cell_output'><div class='output text_html'><table><tr><th>method</th></tr></table>{}</div></div>"
SOURCE = "<p class='osa-source'>Source: results/paper/mnist/kmeans.json</p>"
FIGURE = "<figure class='align-default{}'><img src='a.png'><figcaption>Fig. 1 accuracy</figcaption></figure>"
GLUED_SOURCE = f"<div class='output text_html'>{SOURCE}</div>"


def test_a_table_of_results_with_its_source_line_passes_without_one_fails():
    assert page_rules.source_line_problems("p", _page(TABLE.format(SOURCE))) == []
    problems = page_rules.source_line_problems("notebooks/shallow_acrbm.html", _page(TABLE.format("")))
    assert len(problems) == 1 and "without a source line" in problems[0] and "method" in problems[0]
    assert "'Table 1'" in problems[0]                                     # names the section


def test_a_marked_non_results_table_or_figure_passes():
    marked = "<div class='osa-not-results'>" + TABLE.format("") + "</div>"
    tagged = "<div class='cell tag_not-results'>" + TABLE.format("") + "</div>"
    assert page_rules.source_line_problems("p", _page(marked + tagged + FIGURE.format(" osa-not-results"))) == []
    glued = "<div class='output text_html'><div class='osa-not-results'><table><tr><td>67.2</td></tr></table></div></div>"
    assert page_rules.source_line_problems("p", _page(glued)) == []            # the wrapper inside a glued output


def test_a_glued_figure_takes_the_glued_line_just_below_it_and_only_one_exhibit_per_line():
    assert page_rules.source_line_problems("p", _page(FIGURE.format("") + "<p>text</p>" + GLUED_SOURCE)) == []
    # a line covers the block just above it, not the one before that
    problems = page_rules.source_line_problems("p", _page(FIGURE.format("") + TABLE.format(SOURCE)))
    assert len(problems) == 1 and "Fig. 1 accuracy" in problems[0]
    # nor one in another section or folded block
    other = _page(FIGURE.format("")) + f"<section><h2>Next</h2>{GLUED_SOURCE}</section>"
    assert len(page_rules.source_line_problems("p", other)) == 1
    folded = _page(f"<details><summary>This build's run</summary>{FIGURE.format('')}</details>{GLUED_SOURCE}")
    assert len(page_rules.source_line_problems("p", folded)) == 1
    inside = _page(f"<details><summary>This build's run</summary>{FIGURE.format('')}{GLUED_SOURCE}</details>")
    assert page_rules.source_line_problems("p", inside) == []


def test_one_line_covers_every_exhibit_of_one_cells_outputs_and_markdown_tables_need_none():
    cell = ("<div class='cell_output'><div class='output text_html'><table><tr><td>1</td></tr></table></div>"
            f"<figure><img src='b.png'></figure><div class='output text_html'>{SOURCE}</div></div>")
    markdown = "<div class='pst-scrollable-table-container'><table><tr><td>choice</td></tr></table></div>"
    assert page_rules.source_line_problems("p", _page(cell + markdown + "<img src='logo.svg'>")) == []


def test_a_line_repeated_on_the_page_counts_where_it_stands():
    """The same source line under a table (in its cell) and under the figure that follows: both pass, though
    BeautifulSoup finds the two tags equal."""
    page = _page(TABLE.format(SOURCE) + FIGURE.format("") + GLUED_SOURCE)
    assert page_rules.source_line_problems("p", page) == []
