"""One figure style for the whole book: matplotlib settings, the widest figure, and the PNGs pages show.

In a Jupyter kernel :func:`use_book_style` makes every figure a "retina" PNG (drawn at twice
``figure.dpi``, shown at its size in inches x 100 CSS pixels) that records, in a PNG text chunk
(:data:`FONT_KEY`), the smallest font size that was drawn in it. The browser check
(scripts/check_pages.py) reads that size and the PNG's dpi back, measures the scale at which the
page shows the image, and fails a figure whose smallest text is below 9 pt on the page.
"""
from __future__ import annotations

import contextlib

import matplotlib.pyplot as plt
from matplotlib.text import Text

#: Figures are drawn at 100 dpi and shown by Jupyter as "retina" PNGs: 200 pixels per inch,
#: displayed at their size in inches x 100 CSS pixels, so a 10 pt label reads as about 10 pt
#: in the book as long as the figure is no wider than the text column (figures here are at
#: most MAX_WIDTH inches wide).
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
#: The widest figure of the book, in inches: a figure's output area at a 1280 px window is about 669 px
#: wide (the browser check measured 7-inch figures, 1,423 px PNGs, shown at 47 %), and a figure shown at
#: 100 px per inch keeps its point sizes; 6.5 inches leave room for the tight bounding box's margin.
MAX_WIDTH = 6.5
#: The smallest font size (pt) the style sets: no text of a book figure is drawn smaller.
MIN_FONT_PT = min(v for k, v in STYLE.items() if k.endswith("size"))
#: The pixels per inch of the PNGs the pages show ("retina": twice ``figure.dpi``).
PNG_DPI = 2 * STYLE["figure.dpi"]
#: The PNG text chunk in which a page's figure records the smallest font size (pt) drawn in it
#: ("none": no text).
FONT_KEY = "osa-smallest-font-pt"


@contextlib.contextmanager
def _recording_text(sizes: list):
    """While active, every text that is drawn appends its font size to ``sizes``."""
    original = Text.draw

    def draw(self, renderer):
        if self.get_visible() and self.get_text().strip():
            sizes.append(float(self.get_fontsize()))
        return original(self, renderer)

    Text.draw = draw
    try:
        yield sizes
    finally:
        Text.draw = original


def smallest_font_pt(fig) -> float | None:
    """The smallest font size (pt) of the texts a draw of ``fig`` puts on it (None: no text)."""
    with _recording_text([]) as sizes:
        fig.draw_without_rendering()
    return min(sizes) if sizes else None


def book_png(fig):
    """A figure as the pages show it: a retina PNG (base64, with its display size) whose text chunk
    :data:`FONT_KEY` records :func:`smallest_font_pt`. IPython's PNG formatter for figures."""
    from IPython.core.pylabtools import retina_figure

    smallest = smallest_font_pt(fig)
    return retina_figure(fig, base64=True, dpi=PNG_DPI,
                         metadata={FONT_KEY: "none" if smallest is None else f"{smallest:g}"})


def use_book_style() -> None:
    """Apply the book's matplotlib style (call once per notebook); in a Jupyter kernel, show figures
    as :func:`book_png` retina PNGs that record their smallest font size."""
    plt.rcParams.update(STYLE)
    try:
        from IPython import get_ipython
        from matplotlib.figure import Figure
        from matplotlib_inline.backend_inline import set_matplotlib_formats
    except ImportError:        # plain Python: nothing to configure
        return
    shell = get_ipython()
    if shell is not None and hasattr(shell, "display_formatter"):
        set_matplotlib_formats("retina")
        shell.display_formatter.formatters["image/png"].for_type(Figure, book_png)


def missing_figure(sentence: str, *, width: float = 6.0):
    """A small figure that says, in a sentence, why a run has nothing to draw (instead of raising)."""
    fig, ax = plt.subplots(figsize=(width, 0.8))
    ax.axis("off")
    ax.text(0.5, 0.5, sentence, ha="center", va="center", wrap=True)
    return fig
