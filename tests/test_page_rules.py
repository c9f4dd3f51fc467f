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
