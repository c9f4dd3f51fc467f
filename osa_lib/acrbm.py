"""Autoclave RBM (section 2.1 of the paper): the layer and its losses.

Shapes: ``B`` examples in a mini-batch, ``V`` visible units (784 for MNIST),
``K`` hidden units = number of clusters.
"""
from __future__ import annotations

import torch
from torch import nn

from osa_lib.train import n_parameters  # noqa: F401  (re-exported: the book and notebooks import it from here)

#: The one epsilon that guards every log and division in the ACRBM losses.
#: It only matters for a column of ``h`` that is exactly zero (an empty cluster);
#: there it turns ``0/0`` into ``eps/eps`` territory and ``log 0`` into ``log eps``,
#: so an empty cluster costs ``-log(eps) / K`` instead of NaN.
EPS = 1e-8


class ACRBM(nn.Module):
    """One ACRBM layer: ``h = softmax(v W + b_h)`` (eq 8), ``v_hat = sigmoid(h W^T)`` (eq 9).

    Parameters
    ----------
    n_visible : int
        ``V``, the length of a flattened input row.
    n_clusters : int
        ``K`` >= 1, the number of hidden units, which are the clusters (``K = 1`` is the trivial
        one-cluster model: ``h = 1`` for every row, a constant loss; accepted as K-means accepts it).

    The reconstruction uses the *same* ``W`` as the encoder (tied, as in an RBM)
    and no visible bias, exactly as eq 9 prints it. Parameter count: ``V*K + K``.
    """

    def __init__(self, n_visible: int, n_clusters: int):
        super().__init__()
        if int(n_visible) < 1:
            raise ValueError(f"n_visible must be >= 1, got {n_visible}")
        if int(n_clusters) < 1:
            raise ValueError(f"n_clusters must be >= 1, got {n_clusters}")
        self.n_visible = int(n_visible)
        self.n_clusters = int(n_clusters)
        self.weight = nn.Parameter(torch.empty(self.n_visible, self.n_clusters))
        self.hidden_bias = nn.Parameter(torch.zeros(self.n_clusters))
        # Glorot-uniform, the Keras default the paper's code most likely used.
        nn.init.xavier_uniform_(self.weight)

    def logits(self, v: torch.Tensor) -> torch.Tensor:
        """Pre-softmax activations ``v W + b_h``, shape (B, K)."""
        if v.dim() != 2 or v.shape[1] != self.n_visible:
            raise ValueError(f"ACRBM expects v of shape (B, {self.n_visible}), got {tuple(v.shape)}")
        return v @ self.weight + self.hidden_bias

    def forward(self, v: torch.Tensor) -> torch.Tensor:
        """Eq 8: ``h = softmax(v W + b_h)``; v (B, V) -> h (B, K), rows sum to 1."""
        return torch.softmax(self.logits(v), dim=1)

    def reconstruct(self, h: torch.Tensor) -> torch.Tensor:
        """Eq 9: ``v_hat = sigmoid(h W^T)`` with the tied ``W``; h (B, K) -> v_hat (B, V)."""
        if h.dim() != 2 or h.shape[1] != self.n_clusters:
            raise ValueError(f"ACRBM.reconstruct expects h of shape (B, {self.n_clusters}), got {tuple(h.shape)}")
        return torch.sigmoid(h @ self.weight.T)

    def extra_repr(self) -> str:
        return f"n_visible={self.n_visible}, n_clusters={self.n_clusters}"


def _check_codes(h: torch.Tensor, name: str) -> None:
    if h.dim() != 2:
        raise ValueError(f"{name} expects h of shape (B, K), got {tuple(h.shape)}")
    if h.shape[0] < 1 or h.shape[1] < 1:
        raise ValueError(f"{name} needs at least one row and one cluster, got h of shape {tuple(h.shape)}")


def cluster_gram(h: torch.Tensor) -> torch.Tensor:
    """``u = h^T h`` (eq 13 and eq 16's ``D``), shape (K, K)."""
    _check_codes(h, "cluster_gram")
    return h.T @ h


def acrbm_loss(h: torch.Tensor, eps: float = EPS) -> torch.Tensor:
    """ACRBM objective, eq 13-14: ``-(1/K) sum_i log eta_ii`` with ``eta = row-normalised h^T h``.

    Parameters
    ----------
    h : tensor of shape (B, K)
        Soft cluster codes; rows are expected to be probability vectors (softmax output).
    eps : float
        Guard against an empty cluster (a zero column of ``h``), see :data:`EPS`.

    Returns
    -------
    Scalar tensor, >= 0. It is 0 exactly when every row of ``h`` is one-hot and
    every cluster holds at least one example; an empty cluster costs ``-log(eps)/K``.

    Because rows of ``h`` sum to 1, the row sum of ``u = h^T h`` is the column sum of
    ``h``, so ``eta_ii = sum_b h_bi^2 / sum_b h_bi``: each cluster is rewarded for
    holding confident members.
    """
    _check_codes(h, "acrbm_loss")
    # Only the diagonal and the row sums of u = h^T h enter the loss, so they are
    # formed directly (O(B K) instead of the O(B K^2) product; the same numbers):
    # u_ii = sum_b h_bi^2 and sum_j u_ij = sum_b h_bi (sum_j h_bj).
    u_diag = (h * h).sum(dim=0)                                  # (K,)
    u_row_sums = (h * h.sum(dim=1, keepdim=True)).sum(dim=0)     # (K,)
    eta_diag = u_diag / (u_row_sums + eps)
    return -torch.log(eta_diag + eps).mean()


def confidence_loss(h: torch.Tensor, eps: float = EPS) -> torch.Tensor:
    """Eq 15 as printed, as a loss to minimise: ``-log( sum_bj h_bj^2 / sum_bjk h_bj h_bk )``.

    The numerator rewards confident rows; the denominator ``sum_b (sum_j h_bj)^2``
    equals the batch size ``B`` whenever rows sum to 1. So, unlike eq 14, nothing
    here punishes an empty cluster: putting every example in one cluster with
    certainty is a global minimum (value 0). The derivations chapter shows this.
    """
    _check_codes(h, "confidence_loss")
    numerator = (h * h).sum()
    denominator = (h.sum(dim=1) ** 2).sum()
    return -torch.log(numerator / (denominator + eps) + eps)


def softmax_rows(z: torch.Tensor) -> torch.Tensor:
    """``softmax(z, dim=1)`` as ``exp(z - max) / sum``: the same numbers, about 3x faster than
    ``torch.softmax`` on CPU for the narrow rows (K of 10-300) of an ACRBM batch."""
    e = (z - z.amax(dim=1, keepdim=True)).exp_()
    return e.div_(e.sum(dim=1, keepdim=True))


def loss_and_logit_grad(h: torch.Tensor, loss: str = "acrbm", eps: float = EPS) -> tuple[torch.Tensor, torch.Tensor]:
    """A loss of ``h = softmax(z)`` and its gradient with respect to the logits ``z``, without autograd.

    ``loss="acrbm"`` is eq 13-14 (:func:`acrbm_loss`), ``"confidence"`` eq 15
    (:func:`confidence_loss`). Both use that the rows of ``h`` sum to 1 (softmax rows),
    so the row sums ``sum_j h_bj`` inside those functions are taken as 1; values and
    gradients agree with autograd on the two functions up to float rounding. Works on
    any layout of ``h`` (a transposed view included): the outputs follow it.

    Derivation (eq 14): with ``q_k = sum_b h_bk^2``, ``s_k = sum_b h_bk`` and
    ``eta_k = q_k / s_k``, ``dL/dh_bk = -(2 h_bk - eta_k) / (K s_k (eta_k + eps))``; the
    softmax turns a gradient ``G`` on ``h`` into ``h * (G - sum_j G_bj h_bj)`` on ``z``.

    Returns
    -------
    (loss, dz): a scalar tensor and a tensor shaped like ``h``.
    """
    _check_codes(h, "loss_and_logit_grad")
    if loss == "acrbm":
        q = (h * h).sum(dim=0)
        s = h.sum(dim=0) + eps
        eta = q / s
        value = -torch.log(eta + eps).mean()
        scale = (-1.0 / h.shape[1]) / ((eta + eps) * s)
        grad_h = (h * 2).sub_(eta).mul_(scale)
    elif loss == "confidence":
        n_rows = h.shape[0]            # sum_b (sum_j h_bj)^2 with rows summing to 1
        ratio = (h * h).sum() / (n_rows + eps)
        value = -torch.log(ratio + eps)
        grad_h = h * (-2.0 / ((n_rows + eps) * (ratio + eps)))
    else:
        raise ValueError(f"unknown loss {loss!r}; use 'acrbm' or 'confidence'")
    dz = grad_h.sub_((grad_h * h).sum(dim=1, keepdim=True)).mul_(h)
    return value, dz
