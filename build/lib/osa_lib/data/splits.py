"""Fixed random subsets and splits (one copy each): the same seed gives the same rows everywhere."""
from __future__ import annotations

import numpy as np

from osa_lib.validation import check_int


def fixed_random_subset(n_total: int, n: int | None, seed: int = 0) -> np.ndarray:
    """Sorted positions of a fixed random subset of ``n`` of ``n_total`` items.

    ``n`` None, or ``n >= n_total``, gives every position (``arange(n_total)``).
    """
    n_total = check_int(n_total, "n_total", minimum=0)
    if n is None or n >= n_total:
        return np.arange(n_total)
    n = check_int(n, "subset size", minimum=1)
    return np.sort(np.random.default_rng(seed).choice(n_total, size=n, replace=False))


def subsample(X: np.ndarray, y: np.ndarray, n: int | None, random_state: int = 0):
    """A fixed random subset of ``n`` paired examples (all of them when ``n`` is None or too large)."""
    if n is None or n >= len(X):
        return X, y
    idx = fixed_random_subset(len(X), n, random_state)
    return X[idx], y[idx]


def train_validation_split(X, y, n_validation: int, *, n_fit: int | None = None, random_state: int = 0):
    """Carve a validation split, and a disjoint fit split, from training rows: ``(X_fit, y_fit, X_val, y_val)``.

    One permutation of the rows (seeded by ``random_state``): its first ``n_validation``
    positions are the validation rows, the next ``n_fit`` (default: all the others) the
    fit rows. Both keep the original row order. The test split is never involved.
    """
    n = len(X)
    if len(y) != n:
        raise ValueError(f"X and y differ in length: {n} vs {len(y)}")
    n_validation = check_int(n_validation, "n_validation", minimum=1, maximum=n - 1)
    n_fit = n - n_validation if n_fit is None else check_int(n_fit, "n_fit", minimum=1)
    if n_validation + n_fit > n:
        raise ValueError(f"n_fit + n_validation = {n_fit + n_validation} exceeds the {n} training rows")
    order = np.random.default_rng(random_state).permutation(n)
    val = np.sort(order[:n_validation])
    fit = np.sort(order[n_validation:n_validation + n_fit])
    return X[fit], y[fit], X[val], y[val]
