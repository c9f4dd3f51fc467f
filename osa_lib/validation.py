"""Argument checks shared by every estimator and model (one copy of each; bottom layer).

Each check returns the value in its canonical type, or raises ``ValueError`` with a
message that names the argument, the rule and the value it got.
"""
from __future__ import annotations

import numbers

import numpy as np
from sklearn.utils.validation import validate_data


def check_int(value, name: str, *, minimum: int | None = 1, maximum: int | None = None) -> int:
    """``value`` as a Python int; it must be an integer (not a bool) in ``[minimum, maximum]``.

    ``minimum`` / ``maximum`` of None mean no bound on that side.
    """
    ok = not isinstance(value, bool) and isinstance(value, (int, np.integer))
    if ok and minimum is not None and value < minimum:
        ok = False
    if ok and maximum is not None and value > maximum:
        ok = False
    if not ok:
        if minimum is not None and maximum is not None:
            rule = f"in [{minimum}, {maximum}]"
        elif maximum is not None:
            rule = f"<= {maximum}"
        else:
            rule = f">= {minimum}" if minimum is not None else ""
        raise ValueError(f"{name} must be an integer {rule}".rstrip() + f", got {value!r}")
    return int(value)


def check_float(value, name: str, *, positive: bool = False, minimum: float | None = None,
                maximum: float | None = None) -> float:
    """``value`` as a finite Python float; ``positive``: > 0; ``minimum`` / ``maximum``: inclusive bounds."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, np.floating, np.integer)):
        raise ValueError(f"{name} must be a number, got {value!r}")
    v = float(value)
    bad = (not np.isfinite(v) or (positive and v <= 0) or (minimum is not None and v < minimum)
           or (maximum is not None and v > maximum))
    if bad:
        rules = [r for r, on in (("> 0", positive), (f">= {minimum}", minimum is not None),
                                 (f"<= {maximum}", maximum is not None)) if on]
        raise ValueError(f"{name} must be a finite number {' and '.join(rules)}".rstrip() + f", got {value!r}")
    return v


def check_unit_range(X, name: str = "X") -> np.ndarray:
    """Validate an array of any shape: non-empty real numbers, finite, values in [0, 1].

    Returns a float32 C-contiguous copy-or-view. Callers check the shape first
    (:func:`check_images` for (N, C, H, W)).
    """
    X = np.asarray(X)
    if X.size == 0:
        raise ValueError(f"{name} is empty: shape {X.shape}")
    if not np.issubdtype(X.dtype, np.number) or np.issubdtype(X.dtype, np.complexfloating):
        raise ValueError(f"{name} must be real numbers, got dtype {X.dtype}")
    X = np.ascontiguousarray(X, dtype=np.float32)
    if not np.all(np.isfinite(X)):
        raise ValueError(f"{name} contains NaN or infinite values ({int((~np.isfinite(X)).sum())} entries)")
    lo, hi = float(X.min()), float(X.max())
    if lo < 0.0 or hi > 1.0:
        raise ValueError(f"{name} values must lie in [0, 1] (pixels scaled by 1/255), got range [{lo:g}, {hi:g}]")
    return X


def validate_rows(estimator, X, *, reset: bool) -> np.ndarray:
    """Rows of any real numbers for ``estimator``, checked at the edge by scikit-learn's ``validate_data``.

    ``X`` is array-like of shape (n_samples, n_features) (a list, a DataFrame, a read-only
    memmap); the result is a float32 C-contiguous copy-or-view. scikit-learn's own errors and
    messages: sparse, complex, object, NaN / infinite or empty input, 1-D input, and, with
    ``reset=False``, a number of features other than the fitted ``n_features_in_``. ``reset=True``
    (in ``fit``) sets ``n_features_in_`` (and ``feature_names_in_`` for a DataFrame) and needs at
    least 2 rows; ``reset=False`` (after ``fit``) takes a single row too.
    """
    return validate_data(estimator, X, reset=reset, dtype=np.float32, order="C",
                         ensure_min_samples=2 if reset else 1)


def check_images(X, name: str = "X") -> np.ndarray:
    """Validate RGB images of shape (N, 3, H, W), finite, values in [0, 1]; return float32.

    A torch tensor is read as its values. Raises ``ValueError`` naming the problem (shape,
    dtype, NaN, range); the value checks are :func:`check_unit_range`'s.
    """
    X = np.asarray(X.detach().cpu() if hasattr(X, "detach") else X)
    if X.ndim != 4 or X.shape[1] != 3:
        hint = "; channels come second (N, 3, H, W): transpose (N, H, W, 3) images first" \
            if X.ndim == 4 and X.shape[-1] == 3 else ""
        raise ValueError(f"{name} must have shape (N, 3, H, W), got {X.shape}{hint}")
    return check_unit_range(X, name)


def check_betas(betas, name: str = "betas") -> tuple[float, float]:
    """Adam's ``(beta1, beta2)`` as two floats, each in [0, 1)."""
    if len(betas) != 2 or not all(0 <= float(b) < 1 for b in betas):
        raise ValueError(f"{name} must be two numbers in [0, 1), got {betas!r}")
    return tuple(float(b) for b in betas)


def store_init_arguments(estimator, arguments: dict) -> None:
    """Store every ``__init__`` argument on ``estimator`` under its own name, unchanged.

    scikit-learn's rule for ``__init__`` (no validation, no conversion), written once: call it
    as ``store_init_arguments(self, locals())`` first thing in ``__init__``.
    """
    for name, value in arguments.items():
        if name not in ("self", "__class__"):
            setattr(estimator, name, value)
