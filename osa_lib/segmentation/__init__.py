"""Segmentation: Local Observer Convolution (:class:`LOC`) and the K-means and GrabCut baselines."""
from osa_lib.segmentation.loc import LOC

__all__ = ["LOC"]
