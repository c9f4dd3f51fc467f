"""The harness that writes the book. Nothing in :mod:`osa_lib` outside this package imports it.

* the paper and the verdicts: :mod:`~osa_lib.book.paper` (the paper's numbers, from
  ``paper_results.json``), :mod:`~osa_lib.book.verdicts` (every claim, rule and threshold);
* records and what is built from them: :mod:`~osa_lib.book.records`, :mod:`~osa_lib.book.tables`,
  :mod:`~osa_lib.book.report` (+ :mod:`~osa_lib.book.report_studies`), :mod:`~osa_lib.book.overview`;
* one runner module per chapter (``*_runs``, with ``ae_jobs`` / ``ae_recipes`` /
  ``ae_scoring`` and ``loc_table2`` / ``loc_studies`` behind them), one figures module per
  chapter (``*_figures``, all named by :mod:`~osa_lib.book.figures`), the style
  (:mod:`~osa_lib.book.style`) and the profiles (:mod:`~osa_lib.book.profiles`).
"""
