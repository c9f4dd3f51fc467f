"""One figure style for the whole book: matplotlib settings and the widest figure."""
from __future__ import annotations

import matplotlib.pyplot as plt

#: Figures are drawn at 100 dpi and shown by Jupyter as "retina" PNGs: 200 pixels per inch,
#: displayed at their size in inches x 100 CSS pixels, so a 10 pt label reads as about 10 pt
#: in the book as long as the figure is no wider than the text column (figures here are at
#: most 7 inches wide).
STYLE = {
    "figure.dpi": 100,
    "savefig.dpi": 200,
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
    "font.size": 10,
    "axes.titlesize": 10,
    "axes.labelsize": 10,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "legend.fontsize": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
}
#: The widest figure of the book, in inches (the text column at a 1280 px window holds about 7.3).
MAX_WIDTH = 7.0


def use_book_style() -> None:
    """Apply the book's matplotlib style (call once per notebook); in a Jupyter kernel, show retina PNGs."""
    plt.rcParams.update(STYLE)
    try:
        from IPython import get_ipython
        from matplotlib_inline.backend_inline import set_matplotlib_formats
    except ImportError:        # plain Python: nothing to configure
        return
    if get_ipython() is not None:
        set_matplotlib_formats("retina")


def missing_figure(sentence: str, *, width: float = 6.0):
    """A small figure that says, in a sentence, why a run has nothing to draw (instead of raising)."""
    fig, ax = plt.subplots(figsize=(width, 0.8))
    ax.axis("off")
    ax.text(0.5, 0.5, sentence, ha="center", va="center", wrap=True)
    return fig
