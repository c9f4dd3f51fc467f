"""The harness that writes the book: profiles, one runner module per chapter, records, tables, report, figures.

Nothing in :mod:`osa_lib` outside this package imports it.
"""
