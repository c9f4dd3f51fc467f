"""The harness that writes the book. Nothing in :mod:`osa_lib` outside this package imports it.

Floors, bottom to top; a floor imports only the floors below it (``tests/test_layers.py``):

1. :mod:`~osa_lib.book.provenance`: the records layer (the profiles records come from; record, exhibit
   and job-file paths, writing and reading, epochs ran, the preferred record) and which data copy made a
   record; the only module that knows where a record lives;
2. :mod:`~osa_lib.book.harness`: the notebooks' parameters (checked at the notebook's edge), every
   chapter's settings per profile (:mod:`~osa_lib.book.harness.profiles`), run times;
3. :mod:`~osa_lib.book.judge`: the paper's numbers (``paper_results.json``) and every verdict rule;
4. :mod:`~osa_lib.book.page`: formatting, tables built from records, the figure style, the source line
   under an exhibit, the reproducibility summary;
5. one package per chapter, side by side (none imports another):
   :mod:`~osa_lib.book.shallow_chapter`, :mod:`~osa_lib.book.derivations_chapter`,
   :mod:`~osa_lib.book.ae_chapter`, :mod:`~osa_lib.book.loc_chapter`, :mod:`~osa_lib.book.domains_chapter`;
6. :mod:`~osa_lib.book.summary`: the pages over every chapter (the reproduction report, the landing
   page's views).
"""
