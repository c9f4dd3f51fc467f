"""scikit-learn-style estimators for Table 1's AE rows: :class:`AEACRBM` and :class:`AEKMeans` (the public face).

The code lives in :mod:`osa_lib.clustering.ae_base` (the shared epoch loop),
:mod:`osa_lib.clustering.ae_checkpoint` (save / load / resume), :mod:`osa_lib.clustering.ae_acrbm`
and :mod:`osa_lib.clustering.ae_kmeans`; this module keeps their public names importable from
one place.
"""
from osa_lib.clustering.ae_acrbm import ENCODER_LOSSES, HEAD_GRADIENTS, AEACRBM
from osa_lib.clustering.ae_base import INITS, RECONSTRUCTION_LOSSES, RECONSTRUCTION_REDUCTIONS, AEBase
from osa_lib.clustering.ae_checkpoint import RUNTIME_PARAMS, Checkpoint
from osa_lib.clustering.ae_kmeans import AEKMeans
from osa_lib.clustering.autoencoder import glorot_init

__all__ = ["AEACRBM", "AEBase", "AEKMeans", "Checkpoint", "ENCODER_LOSSES", "HEAD_GRADIENTS", "INITS",
           "RECONSTRUCTION_LOSSES", "RECONSTRUCTION_REDUCTIONS", "RUNTIME_PARAMS", "glorot_init"]
