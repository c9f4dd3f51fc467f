"""Linear autoencoders of the paper's introduction (eq 4-7) and how close they get to a projection.

Shapes: ``N`` rows, ``V`` visible units (784 for MNIST), ``D`` latent units.
Rows are multiplied from the left, as in the paper: ``h = v W`` with ``W`` of shape (V, D).

* :class:`TiedLinearAE` -- the RBM-like "parameter-load" model: ``v_hat = v W W^T``
  (eq 4, 5, 7). Its reconstruction is optimal iff ``W W^T`` acts as the identity on the
  data's span, i.e. ``W W^T`` is the orthogonal projection onto the best D-dimensional
  subspace and ``W`` is semi-orthogonal (``W^T W = I``).
* :class:`UntiedLinearAE` -- the AE-like "parameter-stress" model: ``v_hat = v W beta``
  (eq 4, 6). Only the product ``W beta`` is pinned down at the optimum; ``W`` alone can
  be any basis of the subspace (``W A``, ``A^{-1} beta`` reconstruct identically).

The measurement functions take numpy arrays or tensors and compute in float64.
"""
from __future__ import annotations

import numpy as np
import torch
from threadpoolctl import threadpool_limits
from torch import nn

from osa_lib.train import run_epochs, seeded_generator
from osa_lib.validation import check_float, check_int


def _init_weight(shape: tuple[int, int], init_std: float, generator: torch.Generator | None) -> nn.Parameter:
    init_std = check_float(init_std, "init_std", positive=True)
    return nn.Parameter(torch.randn(*shape, generator=generator) * init_std)


def _check_sizes(n_visible: int, n_latent: int) -> tuple[int, int]:
    n_visible, n_latent = check_int(n_visible, "n_visible"), check_int(n_latent, "n_latent")
    if n_latent > n_visible:
        raise ValueError(f"n_latent ({n_latent}) must not exceed n_visible ({n_visible})")
    return n_visible, n_latent


class TiedLinearAE(nn.Module):
    """``v_hat = v W W^T`` (eq 4 then eq 5, i.e. eq 7); one weight ``W`` of shape (V, D).

    Parameters
    ----------
    n_visible, n_latent : int
        ``V`` and ``D`` (``1 <= D <= V``).
    init_std : float, default 0.01
        ``W`` starts as i.i.d. normal with this standard deviation, so ``W W^T`` starts
        near zero, far from a projection.
    generator : torch.Generator, optional
        Seeds the initialisation.
    """

    def __init__(self, n_visible: int, n_latent: int, *, init_std: float = 0.01,
                 generator: torch.Generator | None = None):
        super().__init__()
        self.n_visible, self.n_latent = _check_sizes(n_visible, n_latent)
        self.weight = _init_weight((self.n_visible, self.n_latent), init_std, generator)

    def encode(self, v: torch.Tensor) -> torch.Tensor:
        """Eq 4: ``h = v W``; (B, V) -> (B, D)."""
        return v @ self.weight

    def forward(self, v: torch.Tensor) -> torch.Tensor:
        """Eq 7: ``v_hat = v W W^T``; (B, V) -> (B, V)."""
        return self.encode(v) @ self.weight.T

    def factors(self) -> tuple[np.ndarray, np.ndarray]:
        """``(W, W^T)`` as float64 numpy arrays: the operator is their product."""
        w = self.weight.detach().cpu().double().numpy()
        return w, w.T.copy()

    def extra_repr(self) -> str:
        return f"n_visible={self.n_visible}, n_latent={self.n_latent}"


class UntiedLinearAE(nn.Module):
    """``v_hat = v W beta`` (eq 4 then eq 6); encoder ``W`` (V, D), decoder ``beta`` (D, V).

    Parameters as :class:`TiedLinearAE`; both factors start i.i.d. normal(0, init_std).
    """

    def __init__(self, n_visible: int, n_latent: int, *, init_std: float = 0.01,
                 generator: torch.Generator | None = None):
        super().__init__()
        self.n_visible, self.n_latent = _check_sizes(n_visible, n_latent)
        self.weight = _init_weight((self.n_visible, self.n_latent), init_std, generator)
        self.decoder = _init_weight((self.n_latent, self.n_visible), init_std, generator)

    def encode(self, v: torch.Tensor) -> torch.Tensor:
        """Eq 4: ``h = v W``; (B, V) -> (B, D)."""
        return v @ self.weight

    def forward(self, v: torch.Tensor) -> torch.Tensor:
        """Eq 6: ``v_hat = h beta``; (B, V) -> (B, V)."""
        return self.encode(v) @ self.decoder

    def factors(self) -> tuple[np.ndarray, np.ndarray]:
        """``(W, beta)`` as float64 numpy arrays: the operator is their product."""
        return (self.weight.detach().cpu().double().numpy(), self.decoder.detach().cpu().double().numpy())

    def extra_repr(self) -> str:
        return f"n_visible={self.n_visible}, n_latent={self.n_latent}"


def fit_linear_ae(model: nn.Module, X, *, epochs: int, batch_size: int = 128, lr: float = 3e-3,
                  random_state: int | None = 0, device="cpu", progress: bool = False) -> list[float]:
    """Train ``model`` in place on rows ``X`` (N, V) with Adam on the mean squared reconstruction error.

    The model is moved to ``device``; batches are drawn from a generator seeded with
    ``random_state``. Returns the mean loss of every epoch.
    """
    X = _as_rows(X, "X")
    if X.shape[1] != model.n_visible:
        raise ValueError(f"X has {X.shape[1]} columns, the model expects {model.n_visible}")
    lr = check_float(lr, "lr", positive=True)
    device = torch.device(device)
    model.to(device)
    data = torch.from_numpy(X.astype(np.float32)).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)

    def batch_loss(idx):
        v = data.index_select(0, idx.to(device))
        return ((model(v) - v) ** 2).mean()

    return run_epochs(batch_loss, optimizer, len(X), epochs=epochs, batch_size=batch_size,
                      generator=seeded_generator(random_state), desc=type(model).__name__, progress=progress)


# --------------------------------------------------------------------------- measurements

def _as_rows(X, name: str) -> np.ndarray:
    if isinstance(X, torch.Tensor):
        X = X.detach().cpu().numpy()
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[0] < 1 or X.shape[1] < 1:
        raise ValueError(f"{name} must be a non-empty 2-D array, got shape {X.shape}")
    if not np.all(np.isfinite(X)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return X


def _factors(W, beta=None) -> tuple[np.ndarray, np.ndarray]:
    W = _as_rows(W, "W")
    if W.shape[1] > W.shape[0]:
        raise ValueError(f"W must have shape (V, D) with D <= V, got {W.shape}")
    if beta is None:
        return W, W.T
    beta = _as_rows(beta, "beta")
    if beta.shape != (W.shape[1], W.shape[0]):
        raise ValueError(f"beta must have shape (D, V) = {(W.shape[1], W.shape[0])}, got {beta.shape}")
    return W, beta


def reconstruction_operator(W, beta=None) -> np.ndarray:
    """``M = W W^T`` (tied, ``beta=None``) or ``M = W beta`` (untied), shape (V, V), float64."""
    A, B = _factors(W, beta)
    return A @ B


def projection_defect(W, beta=None) -> float:
    """``||M^2 - M||_F / ||M||_F`` for ``M = W W^T`` (or ``W beta``): 0 iff M is a projection.

    For ``M = W W^T`` this is 0 exactly when ``W W^T`` is an orthogonal projection,
    i.e. ``W`` has orthonormal columns. ``M = 0`` (an untrained, all-zero model) counts
    as a defect of 1 rather than 0/0. Computed through the D x D core ``B A`` so it
    costs O(V D^2).
    """
    A, B = _factors(W, beta)
    core = B @ A                                        # (D, D); M^2 = A core B
    m_norm = np.sqrt(max(np.trace((A.T @ A) @ (B @ B.T)), 0.0))   # ||A B||_F
    if m_norm == 0.0:
        return 1.0
    diff = A @ (core - np.eye(core.shape[0])) @ B      # M^2 - M, (V, V)
    return float(np.linalg.norm(diff) / m_norm)


def semi_orthogonality_defect(W) -> float:
    """``||W^T W - I_D||_F`` for ``W`` of shape (V, D): 0 iff ``W`` is semi-orthogonal (eq 7)."""
    W, _ = _factors(W)
    return float(np.linalg.norm(W.T @ W - np.eye(W.shape[1])))


def operator_eigenvalues(W, beta=None) -> np.ndarray:
    """The D eigenvalues of ``M = W W^T`` (or ``W beta``) that can be non-zero, largest real part first.

    They are the eigenvalues of the D x D core ``W^T W`` (or ``beta W``); the other
    ``V - D`` eigenvalues of M are exactly 0. A projection has all D equal to 1.
    Tied: real, returned as float64. Untied: returned as complex128 (imaginary parts
    vanish at an optimum but need not during training).
    """
    A, B = _factors(W, beta)
    if beta is None:
        return np.sort(np.linalg.eigvalsh(A.T @ A))[::-1]
    eig = np.linalg.eigvals(B @ A).astype(np.complex128)
    return eig[np.argsort(-eig.real, kind="stable")]


def _top_eigen(X: np.ndarray, n_latent: int) -> tuple[np.ndarray, np.ndarray]:
    """Top-D eigenpairs of ``X^T X`` (V, V), largest first: the squared singular values of X and its
    right singular vectors. Through the Gram matrix, one BLAS thread: a V x V problem is
    cheap, and a multi-threaded LAPACK call on a busy 2-core machine can be 100x slower."""
    with threadpool_limits(limits=1):
        values, vectors = np.linalg.eigh(X.T @ X)
    order = np.argsort(values)[::-1][:n_latent]
    return values[order], vectors[:, order]


def _check_latent(X: np.ndarray, n_latent) -> int:
    return check_int(n_latent, "n_latent", minimum=1, maximum=min(X.shape))


def principal_subspace(X, n_latent: int, *, center: bool = False) -> np.ndarray:
    """Orthonormal basis (V, D) of the top-D right singular subspace of ``X`` (centred first if asked)."""
    X = _as_rows(X, "X")
    n_latent = _check_latent(X, n_latent)
    if center:
        X = X - X.mean(axis=0)
    return _top_eigen(X, n_latent)[1]


def optimal_linear_error(X, n_latent: int, *, center: bool = False) -> float:
    """Smallest mean squared error per entry of any rank-D linear reconstruction of ``X`` (Eckart-Young).

    ``center=False`` is the reference for the bias-free autoencoders of eq 4-7: the
    error of ``X P P^T`` with ``P`` = :func:`principal_subspace`, i.e.
    ``(||X||_F^2 - sum of the top-D squared singular values) / (N V)``. ``center=True``
    is PCA with the mean added back (one more free vector than the autoencoders have).
    """
    X = _as_rows(X, "X")
    n_latent = _check_latent(X, n_latent)
    if center:
        X = X - X.mean(axis=0)
    values, _ = _top_eigen(X, n_latent)
    return float(max(np.sum(X * X) - values.sum(), 0.0) / X.size)


def linear_reconstruction_error(X, W, beta=None) -> float:
    """Mean squared error per entry of ``X M`` against ``X`` for ``M = W W^T`` (or ``W beta``)."""
    X = _as_rows(X, "X")
    A, B = _factors(W, beta)
    if X.shape[1] != A.shape[0]:
        raise ValueError(f"X has {X.shape[1]} columns, W has {A.shape[0]} rows")
    return float(((X - (X @ A) @ B) ** 2).mean())


def subspace_overlap(W, P) -> float:
    """``||P^T Q||_F^2 / D`` with ``Q`` an orthonormal basis of span(W): 1 iff the spans agree.

    ``W`` (V, D) of full column rank; ``P`` (V, D) with orthonormal columns (e.g. from
    :func:`principal_subspace`). The value is the mean squared cosine of the principal angles.
    """
    W, _ = _factors(W)
    P = _as_rows(P, "P")
    if P.shape != W.shape:
        raise ValueError(f"P must have the shape of W {W.shape}, got {P.shape}")
    Q, _ = np.linalg.qr(W)
    return float(np.linalg.norm(P.T @ Q) ** 2 / W.shape[1])


def linear_ae_summary(model: nn.Module, X, P=None) -> dict[str, float]:
    """Measurements of a fitted :class:`TiedLinearAE` or :class:`UntiedLinearAE` on rows ``X``.

    Keys: ``mse`` (per entry), ``projection_defect`` of the operator ``M``,
    ``semi_orthogonality_defect`` of the encoder ``W`` alone, and, when a basis ``P``
    of the optimal subspace is given, ``subspace_overlap`` of span(W) with it.
    """
    A, B = model.factors()
    beta = None if isinstance(model, TiedLinearAE) else B
    out = {"mse": linear_reconstruction_error(X, A, beta),
           "projection_defect": projection_defect(A, beta),
           "semi_orthogonality_defect": semi_orthogonality_defect(A)}
    if P is not None:
        out["subspace_overlap"] = subspace_overlap(A, P)
    return out
