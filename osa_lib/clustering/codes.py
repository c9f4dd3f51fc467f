"""Read-outs of trained clustering codes ``h`` (numpy in, numpy or float out).

Shapes: ``H`` is (N, K), N examples, K clusters, rows are probability vectors.
"""
from __future__ import annotations

import numpy as np


def _check_codes(H) -> np.ndarray:
    H = np.asarray(H, dtype=np.float64)
    if H.ndim != 2 or H.shape[0] < 1 or H.shape[1] < 2:
        raise ValueError(f"codes must have shape (n_samples, n_clusters >= 2), got {H.shape}")
    if not np.all(np.isfinite(H)):
        raise ValueError("codes contain NaN or infinite values")
    return H


def mean_confidence(H) -> float:
    """Mean of ``max_j h_ij`` over examples, in [1/K, 1] (Figure 9's "confidence")."""
    return float(_check_codes(H).max(axis=1).mean())


def cluster_usage(H) -> float:
    """Fraction of the K clusters that at least one example's argmax selects."""
    H = _check_codes(H)
    return float(np.unique(H.argmax(axis=1)).size / H.shape[1])


def code_gram(H, normalise: bool = True) -> np.ndarray:
    """Eq 16's ``D = h^T h`` (K, K); with ``normalise`` divided by N (so the entries sum to 1)."""
    H = _check_codes(H)
    D = H.T @ H
    return D / H.shape[0] if normalise else D


def diagonal_mass(H) -> float:
    """Share of ``D = h^T h`` on its diagonal, in [1/K, 1]; 1 means D is diagonal (eq 16)."""
    D = code_gram(H)
    return float(np.trace(D) / D.sum())


def nearest_neighbours(H, queries, n_neighbours: int = 10) -> np.ndarray:
    """Indices (len(queries), n_neighbours) of the nearest rows of ``H`` (Euclidean) to each query row.

    ``queries`` are row indices into ``H``; the query itself is excluded.
    """
    H = _check_codes(H)
    queries = np.asarray(queries, dtype=np.int64)
    if queries.ndim != 1 or queries.min() < 0 or queries.max() >= len(H):
        raise ValueError(f"queries must be 1-D row indices in [0, {len(H)}), got {queries}")
    if not 1 <= n_neighbours < len(H):
        raise ValueError(f"n_neighbours must be in [1, {len(H) - 1}], got {n_neighbours}")
    sq = (H * H).sum(axis=1)
    d = sq[queries, None] - 2 * H[queries] @ H.T + sq[None, :]
    d[np.arange(len(queries)), queries] = np.inf
    return np.argsort(d, axis=1, kind="stable")[:, :n_neighbours]


def embed_2d(H, random_state: int = 0, perplexity: float = 30.0) -> np.ndarray:
    """t-SNE (scikit-learn, PCA initialisation) of the codes to 2-D; shape (N, 2)."""
    from sklearn.manifold import TSNE

    H = _check_codes(H)
    perplexity = min(perplexity, (len(H) - 1) / 3)
    return TSNE(n_components=2, perplexity=perplexity, init="pca", random_state=random_state).fit_transform(H)


def reconstruction_error(X, X_hat) -> float:
    """Mean squared error per pixel between rows ``X`` and reconstructions ``X_hat`` (same shape)."""
    X, X_hat = np.asarray(X, dtype=np.float64), np.asarray(X_hat, dtype=np.float64)
    if X.shape != X_hat.shape:
        raise ValueError(f"shapes differ: {X.shape} vs {X_hat.shape}")
    return float(((X - X_hat) ** 2).mean())
