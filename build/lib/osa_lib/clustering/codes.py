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


def _check_embedding(Y, n_rows: int, name: str = "embedding") -> np.ndarray:
    Y = np.asarray(Y, dtype=np.float64)
    if Y.ndim != 2 or Y.shape[0] != n_rows or Y.shape[1] < 1:
        raise ValueError(f"{name} must have shape ({n_rows}, n_dims >= 1), got {Y.shape}")
    if not np.all(np.isfinite(Y)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return Y


def knn_label_agreement(Y, labels, n_neighbours: int = 10) -> float:
    """Share of each row's ``n_neighbours`` nearest rows of ``Y`` (Euclidean, itself excluded) with its label.

    ``Y`` is (N, d): codes, or their 2-D map. 1 means every neighbourhood is pure; with
    C balanced classes, random neighbours give about 1/C. Comparing the codes with their
    2-D map measures how much of the class structure the map keeps (Figure 8).
    """
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise ValueError(f"labels must be 1-D, got shape {labels.shape}")
    Y = _check_embedding(Y, len(labels))
    if not 1 <= n_neighbours < len(Y):
        raise ValueError(f"n_neighbours must be in [1, {len(Y) - 1}], got {n_neighbours}")
    sq = (Y * Y).sum(axis=1)
    d = sq[:, None] - 2 * Y @ Y.T + sq[None, :]
    np.fill_diagonal(d, np.inf)
    nbrs = np.argsort(d, axis=1, kind="stable")[:, :n_neighbours]
    return float((labels[nbrs] == labels[:, None]).mean())


def trustworthiness(H, Y, n_neighbours: int = 10) -> float:
    """scikit-learn's trustworthiness of the map ``Y`` (N, d) of codes ``H`` (N, K), in [0, 1].

    1 when every point's ``n_neighbours`` nearest neighbours in the map were also among
    its nearest in code space: the map invents no neighbourhoods (Venna and Kaski, 2001).
    """
    from sklearn.manifold import trustworthiness as _trustworthiness

    H = _check_codes(H)
    Y = _check_embedding(Y, len(H))
    if not 1 <= n_neighbours < len(H) / 2:
        raise ValueError(f"n_neighbours must be in [1, {len(H) / 2}), got {n_neighbours}")
    return float(_trustworthiness(H, Y, n_neighbors=n_neighbours))


def projection_distortion(H, Y, labels, n_neighbours: int = 10) -> dict[str, float]:
    """Figure 8's distortion numbers for codes ``H`` (N, K) and their 2-D map ``Y`` (N, 2).

    Keys: ``trustworthiness`` (:func:`trustworthiness`), ``knn_agreement_codes`` and
    ``knn_agreement_2d`` (:func:`knn_label_agreement` before and after the map).
    """
    return {"trustworthiness": trustworthiness(H, Y, n_neighbours),
            "knn_agreement_codes": knn_label_agreement(H, labels, n_neighbours),
            "knn_agreement_2d": knn_label_agreement(Y, labels, n_neighbours)}
