"""osa_lib.book.shallow_chapter.shallow_figures: what the shallow chapter's figures draw and the sweep read-outs they quote.

(The trend words, Figure 9's and Figure 8's sentences and the figures' legibility are also checked in
tests/test_figures.py; this file covers the rest of the module's behaviour.)
"""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from osa_lib.book.shallow_chapter import shallow_figures as sf  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def _texts(fig) -> list[str]:
    return [t.get_text() for t in fig.findobj(matplotlib.text.Text) if t.get_text()]


def test_image_grid_leaves_missing_cells_empty_and_draws_the_pixel_scale():
    rows = [np.zeros((3, 16)), np.ones((1, 16))]
    fig = sf.image_grid(rows, ["codes", "one"], side=4, colorbar=True)
    panels = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
    assert len(panels) == 6 and sum(len(ax.images) for ax in panels) == 4
    assert [ax.get_ylabel() for ax in panels if ax.get_ylabel()] == ["codes", "one"]
    bar = [ax for ax in fig.axes if ax.get_label() == "<colorbar>"][0]
    assert bar.get_ylabel() == "pixel value" and list(bar.get_yticks()) == [0, 0.5, 1]
    assert panels[3].images[0].get_array().shape == (4, 4)


def test_embedding_panels_hide_spare_axes_name_classes_and_say_when_empty():
    emb = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 0.0]])
    fig = sf.embedding_panels({"K = 2": emb, "K = 10": emb, "K = 30": emb}, np.array([0, 1, 1]),
                              class_names=["zero", "one"])
    assert [ax.get_visible() for ax in fig.axes] == [True, True, True, False]
    assert [ax.get_title() for ax in fig.axes[:3]] == ["K = 2", "K = 10", "K = 30"]
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["zero", "one"]
    assert _texts(sf.embedding_panels({}, np.array([]))) == ["This run has no code size to draw."]


def test_confusion_panels_write_cells_of_at_least_one_percent_and_say_when_empty():
    shares = np.array([[99.4, 0.6], [30.0, 70.0]])
    fig = sf.confusion_panels({"A": shares}, ["x", "y"])
    cells = {t.get_text(): t.get_color() for t in fig.axes[0].texts}
    assert cells == {"99": "white", "30": "black", "70": "white"}          # 0.6 % is not written
    assert _texts(sf.confusion_panels({}, ["x"])) == ["No record keeps confusion counts."]


def _sweep(ks, acc):
    n = len(ks)
    return pd.DataFrame({"K": ks, "accuracy_majority %": acc, "accuracy_majority std": [1.0] * n,
                         "confidence %": [90.0] * n, "confidence std": [0.0] * n,
                         "cluster_usage %": [100.0] * n, "cluster_usage std": [0.0] * n})


def test_sweep_plot_needs_a_table_and_marks_the_papers_points():
    with pytest.raises(ValueError, match="reference table, a run table or both"):
        sf.sweep_plot()
    fig = sf.sweep_plot(run=_sweep([5, 50], [40.0, 60.0]), paper_points={10: 55.0})
    ax = fig.axes[0]
    assert [int(t) for t in ax.get_xticks()] == [5, 10, 50]
    stars = [line for line in ax.get_lines() if line.get_marker() == "*" and len(line.get_xdata())]
    assert [list(s.get_xdata()) for s in stars] == [[10]]
    assert "paper, Table 1" in [t.get_text() for t in ax.get_legend().get_texts()]
    assert "paper, Table 1" not in [t.get_text() for t in
                                    sf.sweep_plot(_sweep([5, 50], [40.0, 60.0])).axes[0].get_legend().get_texts()]


def test_sweep_facts_read_the_ends_the_best_and_its_neighbours():
    facts = sf.sweep_facts(_sweep([50, 5, 10], [70.0, 40.0, 69.5]))        # unsorted on purpose
    assert (facts["k_low"], facts["k_high"], facts["k_best"], facts["best_range"]) == (5, 50, 50, "10–50")
    assert facts["rises_to_largest"] and facts["acc_low"] == 40.0
    with pytest.raises(ValueError, match="empty"):
        sf.sweep_facts(_sweep([], []))


def test_sweep_series_sorts_sizes_and_scales_every_seed():
    record = {"params": {"sizes": [30, 2]},
              "metrics": {"confidence_k2": {"per_seed": [0.5, 0.7]}, "confidence_k30": {"per_seed": [0.25]}}}
    assert sf.sweep_series(record, "confidence", 100) == ([2, 30], [[50.0, 70.0], [25.0]])


def test_trend_words_read_record_metrics_and_one_size_tables():
    assert sf.trend_word({"per_seed": [0.1, 0.11]}, {"per_seed": [0.5, 0.51]}) == "rises"
    assert sf.distortion_sentence(pd.DataFrame({"K": [10], "trustworthiness": [0.9],
                                                "knn_agreement_codes": [0.5]})) == "one size only: no trend to read"
    assert sf.TREND_WORDS and set(sf.TREND_WORDS.values()) == {"rises", "falls", "stays flat"}
