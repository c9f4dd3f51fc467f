"""osa_lib: a reproduction library for "One Stage Autoencoders for Multi-Domain Learning".

Layers, bottom to top (nothing below imports from above):

* models, losses, metrics, data: :mod:`osa_lib.acrbm` (ACRBM layer, eq 13-15 losses),
  :mod:`osa_lib.metrics`, :mod:`osa_lib.data` (the data root in :mod:`osa_lib.data.root`),
  :mod:`osa_lib.train` (the mini-batch loop, seeded modules, epoch callbacks, parameter counts),
  :mod:`osa_lib.validation` (argument and image checks), :mod:`osa_lib.runtime`;
* estimators: :mod:`osa_lib.clustering` (:class:`ShallowACRBM`, :class:`AEACRBM`,
  :class:`AEKMeans`, linear AEs, read-outs of codes) and :mod:`osa_lib.segmentation`
  (:class:`LOC`, the K-means and GrabCut baselines);
* :mod:`osa_lib.book`: the harness that writes the book (the paper's numbers, the verdicts,
  profiles, runners, records, tables, report, figures).
"""
from osa_lib.clustering import AEACRBM, AEKMeans, ShallowACRBM
from osa_lib.segmentation import LOC

__all__ = ["AEACRBM", "AEKMeans", "LOC", "ShallowACRBM"]
__version__ = "0.1.0"
