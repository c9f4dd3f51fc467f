"""Clustering models: the shallow ACRBM, the AE + ACRBM / AE + K-means estimators, linear AEs, read-outs of codes.

The AE estimators: :mod:`~osa_lib.clustering.ae_base` (the shared epoch loop),
:mod:`~osa_lib.clustering.ae_checkpoint`, :mod:`~osa_lib.clustering.ae_acrbm`,
:mod:`~osa_lib.clustering.ae_kmeans`, and their named protocols :mod:`~osa_lib.clustering.ae_presets`.
The derivations chapter's maths: :mod:`~osa_lib.clustering.derivation_maths`.
"""
from osa_lib.clustering.ae_acrbm import AEACRBM
from osa_lib.clustering.ae_kmeans import AEKMeans
from osa_lib.clustering.shallow import ShallowACRBM

__all__ = ["AEACRBM", "AEKMeans", "ShallowACRBM"]
