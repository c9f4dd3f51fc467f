"""osa_lib.book.loc_chapter.loc_figures: every figure draws from small arrays, with fonts of at least 9 pt."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from osa_lib.book.loc_chapter import loc_figures as f  # noqa: E402


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
    assert len(fig.axes) == 4 * 4 + 1 and min(_font_sizes(fig)) >= 9      # 4 rows of 4 images + G's colour bar
    graph = f.loc_graph()
    assert min(_font_sizes(graph)) >= 9 and graph.get_figwidth() <= 7.0      # fits the column at its size


def test_training_and_study_figures_draw():
    curves = {"a": [0.5, 0.2, 0.0], "b": [1.0, 0.5, 0.1]}
    for fig in (f.training_curves(curves), f.training_panels(curves, curves),
                f.value_histograms({"x": np.linspace(-1, 2, 50)}),
                f.cluster_histograms({"rho=0.1": {2: 5, 3: 1}, "rho=0.5": {2: 6}}, extra={"IoU (%)": [40, 60]}),
                f.per_image_scatter(np.linspace(0, 1, 5), np.linspace(1, 0, 5), xlabel="x", ylabel="y")):
        assert min(_font_sizes(fig)) >= 9


def test_every_figure_fits_the_column_at_its_drawn_size():
    from osa_lib.book.page.style import MAX_WIDTH

    rng = np.random.default_rng(0)
    curves = {f"line {i}": list(rng.random(5)) for i in range(6)}
    figs = [f.panel_grid(rng.random((8, 3, 8, 8)), {"G": rng.random((8, 8, 8)), "labels": rng.integers(0, 3, (8, 8, 8))},
                         kinds={"G": "map", "labels": "labels"}),
            f.training_panels(curves, curves), f.value_histograms({"a": rng.random(50), "b": rng.random(50)}),
            f.cluster_histograms({"rho=0.1": {2: 5}, "rho=0.9": {2: 3, 3: 2}}, extra={"IoU (%)": [40, 60]},
                                 names=["0.1", "0.9"]),
            f.per_image_scatter(rng.random(5), rng.random(5), xlabel="x", ylabel="y"), f.loc_graph()]
    for fig in figs:
        assert fig.get_figwidth() <= MAX_WIDTH + 1e-9 and min(_font_sizes(fig)) >= 9


def test_panel_grid_keys_every_row():
    """G gets a labelled colour bar, the label colours and the mask shades a legend that names them."""
    rng = np.random.default_rng(1)
    fig = f.panel_grid(rng.random((3, 3, 8, 8)), {"G": rng.random((3, 8, 8)),
                                                  "labels": np.stack([np.full((8, 8), v) for v in (0, 1, 2)]),
                                                  "truth": np.stack([np.full((8, 8), v) for v in (0, 1, 2)])},
                       kinds={"G": "map", "labels": "labels"})
    assert any(ax.get_title(loc="left") == "G" for ax in fig.axes)                       # the colour bar
    legends = [[t.get_text() for t in lg.get_texts()] for lg in fig.legends]
    assert ["label 0", "label 1", "label 2"] in legends
    assert ["background", "flower", "trimap band"] in legends


def test_training_panels_and_histograms_label_their_axes():
    fig = f.training_panels({"a": [0.5, 0.0]}, {"a": [0.4, 0.3]})
    assert [ax.get_xlabel() for ax in fig.axes] == ["epoch", "epoch"] and all(ax.get_ylabel() for ax in fig.axes)
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["a"]
    hist = f.value_histograms({"x": np.linspace(-1, 2, 50)})
    assert hist.axes[0].get_ylabel() == "pixels (%)" and hist.axes[0].get_xlabel() == "G (observer output)"
