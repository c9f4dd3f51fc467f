"""Segmentation: Local Observer Convolution (:class:`LOC`) and the K-means and GrabCut baselines.

LOC in four modules: the observer network (:mod:`~osa_lib.segmentation.observer`), its loss and
the normalisations of ``v`` (:mod:`~osa_lib.segmentation.loc_loss`), labels and masks
(:mod:`~osa_lib.segmentation.masks`), the estimator (:mod:`~osa_lib.segmentation.loc`, which also
names the others' public functions).
"""
from osa_lib.segmentation.loc import LOC

__all__ = ["LOC"]
