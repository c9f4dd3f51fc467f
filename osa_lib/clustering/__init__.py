"""Clustering models: the shallow ACRBM, the AE + ACRBM / AE + K-means estimators, linear AEs, read-outs of codes."""
from osa_lib.clustering.ae_estimators import AEACRBM, AEKMeans
from osa_lib.clustering.shallow import ShallowACRBM

__all__ = ["AEACRBM", "AEKMeans", "ShallowACRBM"]
