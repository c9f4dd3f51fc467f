"""osa_lib.book.page.style and the shallow and derivation figures: the book's figure style, Figures 5, 8 and 9, and the numbers their text quotes."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from osa_lib.book.derivations_chapter import derivation_figures
from osa_lib.book.page import style
from osa_lib.book.shallow_chapter import shallow_figures


@pytest.fixture(autouse=True)
def book_style():
    with plt.rc_context():
        style.use_book_style()
        yield
    plt.close("all")


def sweep_frame(ks=(5, 10, 30, 100, 300), acc=(40.0, 55.0, 73.0, 79.2, 74.9)):
    n = len(ks)
    return pd.DataFrame({"K": list(ks), "accuracy_majority %": list(acc), "accuracy_majority std": [1.0] * n,
                         "confidence %": np.linspace(99, 80, n), "confidence std": [0.5] * n,
                         "cluster_usage %": [100.0] * (n - 1) + [99.0], "cluster_usage std": [0.0] * n})


def text_sizes(fig) -> list[float]:
    fig.canvas.draw()
    return [t.get_fontsize() for t in fig.findobj(matplotlib.text.Text) if t.get_visible() and t.get_text()]


def check_legible(fig):
    assert fig.get_figwidth() <= style.MAX_WIDTH + 1e-9
    sizes = text_sizes(fig)
    assert sizes and min(sizes) >= 9, f"text below 9 pt: {sorted(set(sizes))}"


def test_style_draws_at_least_150_dpi_on_white():
    assert plt.rcParams["savefig.dpi"] >= 150
    assert matplotlib.colors.to_rgba(plt.rcParams["figure.facecolor"]) == (1.0, 1.0, 1.0, 1.0)


def test_image_grid_uses_a_fixed_0_1_grey_scale():
    grey = np.full((3, 784), 0.5)       # a uniform mid-grey reconstruction must stay mid-grey
    fig = shallow_figures.image_grid([np.eye(3, 784), grey], ["test images", "K = 10"], colorbar=True)
    images = [im for ax in fig.axes for im in ax.get_images()]
    assert len(images) == 6
    assert all(im.get_clim() == (0.0, 1.0) and im.get_cmap().name == "gray_r" for im in images)
    assert any(ax.get_ylabel() == "pixel value" for ax in fig.axes)     # the colour bar
    check_legible(fig)


def test_image_grid_stays_within_the_column_when_wide():
    fig = shallow_figures.image_grid([np.zeros((13, 784))] * 4, [f"K = 100, query {i}" for i in range(4)])
    check_legible(fig)


def test_embedding_panels_one_panel_per_size_and_one_legend():
    rng = np.random.default_rng(0)
    labels = np.arange(40) % 10
    maps = {f"K = {k}": rng.normal(size=(40, 2)) for k in (10, 30, 100)}
    fig = shallow_figures.embedding_panels(maps, labels, [f"class {i}" for i in range(10)])
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in visible] == list(maps)
    assert len(fig.legends) == 1 and len(fig.legends[0].get_texts()) == 10
    check_legible(fig)


def test_distortion_plot_draws_three_series_in_percent():
    table = pd.DataFrame({"K": [10, 30], "trustworthiness": [0.9, 0.95], "knn_agreement_codes": [0.6, 0.8],
                          "knn_agreement_2d": [0.55, 0.78]})
    fig = shallow_figures.distortion_plot(table)
    lines = fig.axes[0].get_lines()
    assert len(lines) == 3
    np.testing.assert_allclose(lines[0].get_ydata(), [90, 95])
    check_legible(fig)


def test_sweep_plot_reference_with_error_bars_and_a_faint_run():
    fig = shallow_figures.sweep_plot(sweep_frame(), run=sweep_frame(acc=(30, 45, 60, 70, 75)), run_label="ci run",
                             paper_points={10: 61.44, 30: 76.95})
    ax = fig.axes[0]
    assert len(ax.containers) == 3                      # one error-bar container per read-out
    faint = [line for line in ax.get_lines() if line.get_alpha() == 0.4]
    assert len(faint) == 3
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "ci run" in labels and "paper, Table 1" in labels
    check_legible(fig)


def test_sweep_plot_without_paper_points_promises_no_stars():
    fig = shallow_figures.sweep_plot(sweep_frame())
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "paper, Table 1" not in labels
    with pytest.raises(ValueError):
        shallow_figures.sweep_plot(None, run=None)


def test_sweep_facts_peak_and_range():
    facts = shallow_figures.sweep_facts(sweep_frame())
    assert facts["k_best"] == 100 and facts["acc_best"] == pytest.approx(79.2)
    assert facts["k_low"] == 5 and facts["k_high"] == 300 and facts["acc_high"] == pytest.approx(74.9)
    assert facts["best_range"] == "100" and not facts["rises_to_largest"]
    near = shallow_figures.sweep_facts(sweep_frame(acc=(40, 55, 79.0, 79.2, 70)))
    assert near["best_range"] == "30–100"
    split = shallow_figures.sweep_facts(sweep_frame(acc=(40, 79.0, 70, 79.2, 70)))
    assert split["best_range"] == "10, 100"
    rising = shallow_figures.sweep_facts(sweep_frame(acc=(40, 50, 60, 70, 80)))
    assert rising["rises_to_largest"] and rising["best_range"] == "300"


@pytest.mark.parametrize("draw", [
    lambda: derivation_figures.matrix_plot(np.eye(4) + 0.01, title="D"),
    lambda: derivation_figures.spectrum_plot({"a": np.ones(5), "b": np.linspace(0, 1, 5)}),
    lambda: derivation_figures.cluster_size_bars({"eq 14": np.array([5, 5]), "eq 15": np.array([10, 0])}),
    lambda: derivation_figures.loss_curves({"run": [1.0, 0.1, 0.01]}),
])
def test_other_figures_are_legible(draw):
    check_legible(draw())


# --------------------------------------------------------------------------- trend words (shallow chapter)

from osa_lib.book.shallow_chapter import shallow_figures as sf  # noqa: E402


def sweep_record(acc, conf, usage, ks=(2, 10, 30, 100)):
    """A sweep record with three seeds per size: the mean given, seeds at ±0.005 around it."""
    metrics = {}
    for stem, values in (("accuracy_majority", acc), ("confidence", conf), ("cluster_usage", usage)):
        for k, m in zip(ks, values):
            metrics[f"{stem}_k{k}"] = {"per_seed": [m - 0.005, m, m + 0.005]}
    return {"params": {"sizes": list(ks)}, "metrics": metrics}


def test_trend_words_rise_fall_and_stay_flat():
    assert sf.trend_word([0.1, 0.11, 0.12], [0.3, 0.31, 0.32]) == "rises"
    assert sf.trend_word(0.03, 0.02) == "falls"
    assert sf.trend_word([0.5, 0.6, 0.4], [0.51, 0.61, 0.41]) == "stays flat"     # inside seed noise


def test_trend_segments_merge_steps_that_go_the_same_way():
    # the case: an error that falls to K = 30 and then rises must not read "falls" overall
    ks, mse = [2, 10, 30, 100, 300], [0.060, 0.050, 0.040, 0.045, 0.0451]
    assert sf.trend_segments(ks, mse) == [("falls", 2, 30), ("rises", 30, 300)]
    # a flat tail after the last turn: its own stretch
    assert sf.trend_segments(ks, [0.060, 0.050, 0.040, 0.045, 0.0446]) == [("falls", 2, 30), ("rises", 30, 100),
                                                                          ("stays flat", 100, 300)]
    assert sf.trend_text(ks, mse) == "falls from 0.0600 (K = 2) to 0.0400 (K = 30), then rises to 0.0451 (K = 300)"
    assert sf.trend_text(ks, [0.060, 0.050, 0.040, 0.045, 0.0446]) == (
        "falls from 0.0600 (K = 2) to 0.0400 (K = 30), rises to 0.0450 (K = 100), then stays flat to 0.0446 (K = 300)")
    assert sf.trend_text([10, 30, 300], [0.961, 0.985, 0.860], digits=3) == (
        "rises from 0.961 (K = 10) to 0.985 (K = 30), then falls to 0.860 (K = 300)")
    # steps each inside FLAT_SHARE that add up to a rise: one rise, not a flat curve
    assert sf.trend_segments([1, 2, 3, 4], [1.0, 1.008, 1.016, 1.024]) == [("rises", 1, 4)]
    assert sf.trend_text([30, 100], [0.040, 0.052]) == "rises from 0.0400 (K = 30) to 0.0520 (K = 100)"
    with pytest.raises(ValueError, match="two sizes"):
        sf.trend_segments([10], [0.1])


def test_figure9_sentence_follows_the_numbers_both_ways():
    up = sf.figure9_sentence(sweep_record(acc=(0.3, 0.5, 0.6, 0.7), conf=(0.99, 0.9, 0.8, 0.7), usage=(1, 1, 1, 1)))
    assert up.startswith("accuracy rises from 30.0 % at K = 2 to its best mean, 70.0 % at K = 100;")
    assert "the mean confidence falls from 99.0 %" in up and "in use stays flat from 100.0 %" in up
    down = sf.figure9_sentence(sweep_record(acc=(0.7, 0.6, 0.5, 0.4), conf=(0.7, 0.8, 0.9, 0.99), usage=(1, 1, 1, 1)))
    assert down.startswith("accuracy is highest at the smallest K, 70.0 % at K = 2, and falls to 40.0 % at K = 100")
    assert "the mean confidence rises" in down
    peak = sf.figure9_sentence(sweep_record(acc=(0.3, 0.7, 0.695, 0.5), conf=(0.9,) * 4, usage=(1, 1, 1, 0.5)))
    assert "best mean, 70.0 % at K = 10 (within 1 point of the best: K = 10, 30), then falls to 50.0 % at K = 100" in peak


def test_distortion_sentence_says_which_way_the_map_goes():
    falling = pd.DataFrame({"K": [10, 30, 100, 300], "trustworthiness": [0.987, 0.95, 0.9, 0.860],
                            "knn_agreement_codes": [0.6, 0.7, 0.72, 0.74]})
    text = sf.distortion_sentence(falling)
    assert "trustworthiness of the map falls from 0.987 (K = 10) to 0.860 (K = 300)" in text
    assert "opposite of the \"less distortion\"" in text and "code space rises from 60.0 %" in text
    rising = falling.assign(trustworthiness=[0.86, 0.9, 0.95, 0.987])
    assert "the \"less distortion\" the paper describes" in sf.distortion_sentence(rising)
    assert "opposite" not in sf.distortion_sentence(rising)
    assert "neither more nor less" in sf.distortion_sentence(falling.assign(trustworthiness=[0.9] * 4))


def test_confusion_panels_are_legible_with_labelled_axes_and_colour_bar():
    names = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
    shares = np.full((10, 10), 10.0)
    fig = sf.confusion_panels({"Shallow ACRBM (10)": shares, "K-means (10)": shares}, names)
    labels = {ax.get_ylabel() for ax in fig.axes} | {ax.get_xlabel() for ax in fig.axes}
    assert {"true class", "assigned class (majority mapping)", "share of the true class's test images (%)"} <= labels
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == names
    check_legible(fig)


def test_reconstruction_sentence_holds_only_where_the_error_falls():
    assert "never rises" in sf.reconstruction_sentence([2, 10, 30], [0.06, 0.05, 0.04])
    mixed = sf.reconstruction_sentence([2, 30, 100], [0.06, 0.04, 0.05])
    assert "rises from K = 30 to 100" in mixed and "end to end, not at every step" in mixed
    assert "does not hold" in sf.reconstruction_sentence([30, 100], [0.040, 0.052])
    # steps each inside FLAT_SHARE that add up to a rise after the lowest point: still a rise
    creeping = sf.reconstruction_sentence([2, 10, 30, 100, 300], [0.20, 0.100, 0.1008, 0.1016, 0.1024])
    assert "rises from K = 10 to 300" in creeping and "not at every step" in creeping


def test_one_size_reads_as_no_trend():
    one = sweep_record(acc=(0.5,), conf=(0.9,), usage=(1.0,), ks=(10,))
    assert sf.figure9_sentence(one).startswith("accuracy is 50.0 % at K = 10 (one size only: no trend)")
    assert sf.trend_text([10], [0.04]) == "is 0.0400 (K = 10) (one size only: no trend)"
    assert "not checked" in sf.reconstruction_sentence([10], [0.04])
