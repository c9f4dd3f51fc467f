"""osa_lib.book.derivations_chapter.derivation_figures: what each figure of the derivations chapter draws from the arrays it is given.

(Legibility, the book's style on these figures, is checked in tests/test_figures.py.)
"""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from osa_lib.book.derivations_chapter import derivation_figures as df  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_matrix_plot_floors_zeros_on_a_log_scale_and_labels_its_axes():
    m = np.array([[1.0, 0.0], [1e-3, 2.0]])
    fig = df.matrix_plot(m, "D", axis_label="unit")
    ax, bar = fig.axes
    shown = ax.images[0].get_array()
    assert shown.min() == pytest.approx(1e-3) and shown.max() == pytest.approx(2.0)   # 0 drawn at the floor
    assert isinstance(ax.images[0].norm, matplotlib.colors.LogNorm)
    assert (ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) == ("D", "unit j", "unit i")
    assert bar.get_ylabel() == "entry of D, log scale"                  # the default value label
    # a floor of one millionth of the largest entry: tiny entries do not stretch the colour scale
    assert df.matrix_plot(np.array([[1.0, 1e-12], [0.0, 1.0]])).axes[0].images[0].get_array().min() == \
        pytest.approx(1e-6)


def test_spectrum_plot_sorts_real_parts_largest_first_with_an_optional_reference():
    fig = df.spectrum_plot({"P": np.array([0.0, 1.0 + 0.5j, 1.0]), "Q": np.array([0.2, 0.9])})
    lines = fig.axes[0].get_lines()
    assert list(lines[0].get_ydata()) == [1.0, 1.0, 0.0] and list(lines[0].get_xdata()) == [1, 2, 3]
    assert list(lines[1].get_ydata()) == [0.9, 0.2]
    assert list(lines[2].get_ydata()) == [1.0, 1.0]                   # the dashed reference
    assert len(df.spectrum_plot({"P": np.ones(3)}, reference=None).axes[0].get_lines()) == 1
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["P", "Q"]


def test_cluster_size_bars_draw_one_bar_per_cluster_and_model():
    fig = df.cluster_size_bars({"eq 14": np.array([5, 5, 0]), "eq 15": np.array([10, 0])})
    ax = fig.axes[0]
    heights = [p.get_height() for p in ax.patches]
    assert heights == [5, 5, 0, 10, 0]
    assert list(ax.get_xticks()) == [0, 1, 2]
    assert ax.get_xlabel() == "cluster (argmax of h)"


def test_loss_curves_clip_non_positive_losses_on_a_log_scale():
    fig = df.loss_curves({"run": [1.0, 0.0, -1.0]})
    ax = fig.axes[0]
    assert ax.get_yscale() == "log" and list(ax.get_lines()[0].get_ydata()) == [1.0, 1e-12, 1e-12]
    linear = df.loss_curves({"run": [1.0, 0.0, -1.0]}, log=False).axes[0]
    assert linear.get_yscale() == "linear" and list(linear.get_lines()[0].get_ydata()) == [1.0, 0.0, -1.0]
