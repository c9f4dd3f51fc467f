"""osa_lib: a reproduction library for "One Stage Autoencoders for Multi-Domain Learning".

Public entry points: :class:`osa_lib.ShallowACRBM`, :mod:`osa_lib.acrbm`,
:mod:`osa_lib.metrics`, :mod:`osa_lib.data`, :mod:`osa_lib.records`.
"""
from .estimators import ShallowACRBM

__all__ = ["ShallowACRBM"]
__version__ = "0.1.0"
