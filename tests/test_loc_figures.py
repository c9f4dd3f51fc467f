"""osa_lib.book.loc_figures: every figure draws from small arrays, with fonts of at least 9 pt."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from osa_lib.book import loc_figures as f  # noqa: E402


def _font_sizes(fig) -> list[float]:
    fig.canvas.draw()
    return [t.get_fontsize() for t in fig.findobj(matplotlib.text.Text) if t.get_text().strip()]


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def test_mask_with_band():
    out = f.mask_with_band(np.array([[0, 1], [1, 0]]), np.array([[True, False], [False, False]]))
    np.testing.assert_array_equal(out, [[2, 1], [1, 0]])
    np.testing.assert_array_equal(f.mask_with_band(np.ones((2, 2)), None), np.ones((2, 2)))


def test_figure_10_grid_and_figure_7_graph_are_legible():
    rng = np.random.default_rng(0)
    images = rng.random((4, 3, 8, 8))
    fig = f.panel_grid(images, {"labels": rng.integers(0, 3, (4, 8, 8)), "mask": rng.integers(0, 2, (4, 8, 8)),
                                "G": rng.random((4, 8, 8))}, kinds={"labels": "labels", "G": "map"})
    assert len(fig.axes) == 4 * 4 and min(_font_sizes(fig)) >= 9
    graph = f.loc_graph()
    assert min(_font_sizes(graph)) >= 9 and graph.get_figwidth() <= 7.0      # fits the column at its size


def test_training_and_study_figures_draw():
    curves = {"a": [0.5, 0.2, 0.0], "b": [1.0, 0.5, 0.1]}
    for fig in (f.training_curves(curves), f.training_panels(curves, curves),
                f.value_histograms({"x": np.linspace(-1, 2, 50)}),
                f.cluster_histograms({"rho=0.1": {2: 5, 3: 1}, "rho=0.5": {2: 6}}, extra={"IoU (%)": [40, 60]}),
                f.per_image_scatter(np.linspace(0, 1, 5), np.linspace(1, 0, 5), xlabel="x", ylabel="y")):
        assert min(_font_sizes(fig)) >= 9
