"""Clustering models: the shallow ACRBM, the AE + ACRBM / AE + K-means estimators, linear AEs, read-outs of codes.

The AE estimators: :mod:`~osa_lib.clustering.ae_base` (the shared epoch loop),
:mod:`~osa_lib.clustering.ae_checkpoint`, :mod:`~osa_lib.clustering.ae_acrbm`,
:mod:`~osa_lib.clustering.ae_kmeans`, named together by :mod:`~osa_lib.clustering.ae_estimators`.
The derivations chapter's maths: :mod:`~osa_lib.clustering.derivation_maths`.
"""
from osa_lib.clustering.ae_estimators import AEACRBM, AEKMeans
from osa_lib.clustering.shallow import ShallowACRBM

__all__ = ["AEACRBM", "AEKMeans", "ShallowACRBM"]
