"""The book's figures by chapter, under one name, and the one figure style (the notebooks import this module).

The style: :mod:`osa_lib.book.style`. One figures module per chapter: :mod:`osa_lib.book.shallow_figures`,
:mod:`osa_lib.book.derivation_figures`, :mod:`osa_lib.book.ae_figures`, :mod:`osa_lib.book.loc_figures`;
the landing page's figure is in :mod:`osa_lib.book.overview`.
"""
from osa_lib.book.derivation_figures import cluster_size_bars, loss_curves, matrix_plot, spectrum_plot
from osa_lib.book.shallow_figures import (SWEEP_METRICS, confusion_panels, distortion_plot, embedding_panels,
                                          image_grid, sweep_facts, sweep_plot)
from osa_lib.book.style import MAX_WIDTH, STYLE, missing_figure, use_book_style

__all__ = ["MAX_WIDTH", "STYLE", "SWEEP_METRICS", "cluster_size_bars", "confusion_panels", "distortion_plot", "embedding_panels",
           "image_grid", "loss_curves", "matrix_plot", "missing_figure", "spectrum_plot", "sweep_facts", "sweep_plot", "use_book_style"]
