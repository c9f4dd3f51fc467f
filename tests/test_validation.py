"""The shared argument checks (osa_lib.validation)."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse
from sklearn.base import BaseEstimator

from osa_lib.validation import check_float, check_int, check_unit_range, validate_rows


@pytest.mark.parametrize("value", [3, np.int64(3), np.uint8(3)])
def test_check_int_accepts_integers_and_returns_int(value):
    out = check_int(value, "n")
    assert out == 3 and type(out) is int


@pytest.mark.parametrize("value,kwargs,message", [
    (True, {}, r"n must be an integer >= 1, got True"),
    (2.0, {}, r"n must be an integer >= 1, got 2.0"),
    ("2", {}, r"got '2'"),
    (1, {"minimum": 2}, r"n must be an integer >= 2, got 1"),
    (-1, {"minimum": 0}, r">= 0, got -1"),
    (9, {"minimum": 1, "maximum": 8}, r"n must be an integer in \[1, 8\], got 9"),
    (9, {"minimum": None, "maximum": 8}, r"n must be an integer <= 8, got 9"),
])
def test_check_int_rejects_with_a_message_that_names_the_rule(value, kwargs, message):
    with pytest.raises(ValueError, match=message):
        check_int(value, "n", **kwargs)


def test_check_int_without_bounds():
    assert check_int(-7, "offset", minimum=None) == -7


def test_check_float():
    assert check_float(np.float32(0.5), "lr", positive=True) == 0.5
    assert check_float(0, "decay", minimum=0.0) == 0.0
    assert type(check_float(2, "x")) is float
    for value, kwargs, message in [(0.0, {"positive": True}, "lr must be a finite number > 0, got 0.0"),
                                   (float("nan"), {}, "finite number, got nan"),
                                   (float("inf"), {"positive": True}, "got inf"),
                                   ("0.1", {}, "lr must be a number, got '0.1'"),
                                   (None, {}, "must be a number"),
                                   (True, {}, "must be a number"),
                                   (-0.5, {"minimum": 0.0}, ">= 0.0, got -0.5"),
                                   (1.0, {"minimum": 0.0, "maximum": 0.99}, ">= 0.0 and <= 0.99, got 1.0")]:
        with pytest.raises(ValueError, match=message):
            check_float(value, "lr", **kwargs)


def test_validate_rows_converts_to_float32_and_accepts_any_real_values():
    est = BaseEstimator()
    X = validate_rows(est, np.array([[0, 255], [-3, 1]], dtype=np.int64), reset=True)
    assert X.dtype == np.float32 and X.flags.c_contiguous and est.n_features_in_ == 2
    assert validate_rows(est, [[7.5, -1.0]], reset=False).shape == (1, 2)       # one row after fit
    with pytest.raises(ValueError, match="X has 3 features, but BaseEstimator is expecting 2"):
        validate_rows(est, np.zeros((4, 3)), reset=False)


@pytest.mark.parametrize("X,message", [
    (np.zeros((2, 1, 2, 2)), "Found array with dim 4"), (np.zeros(3), "Expected 2D array, got 1D array"),
    (np.zeros((0, 3)), "0 sample"), (np.zeros((1, 3)), "1 sample"), (np.zeros((3, 0)), "0 feature"),
    (np.array([["a", "b"], ["c", "d"]]), "could not convert"), (np.array([[0.5, np.nan]] * 2), "contains NaN"),
    (np.array([[1 + 0j, 0j]] * 2), "Complex data not supported"),
    (scipy.sparse.csr_array(np.eye(3)), "Sparse data was passed"),
])
def test_validate_rows_rejects_with_scikit_learns_messages(X, message):
    with pytest.raises((ValueError, TypeError), match=message):
        validate_rows(BaseEstimator(), X, reset=True)


def test_check_unit_range_takes_any_shape():
    images = check_unit_range(np.full((2, 3, 4, 4), 0.5, dtype=np.float64), "images")
    assert images.dtype == np.float32 and images.shape == (2, 3, 4, 4)
    with pytest.raises(ValueError, match=r"images values must lie in \[0, 1\]"):
        check_unit_range(np.full((1, 3, 2, 2), 2.0), "images")
    with pytest.raises(ValueError, match="images is empty"):
        check_unit_range(np.zeros((0, 3, 2, 2)), "images")


def test_check_images_reads_tensors_and_names_the_layout():
    import torch

    from osa_lib.validation import check_images

    out = check_images(torch.full((2, 3, 4, 4), 0.5, dtype=torch.float64))
    assert out.dtype == np.float32 and out.shape == (2, 3, 4, 4)
    with pytest.raises(ValueError, match=r"transpose \(N, H, W, 3\)"):
        check_images(np.zeros((2, 4, 4, 3)))
    with pytest.raises(ValueError, match=r"images values must lie in \[0, 1\]"):
        check_images(np.full((1, 3, 2, 2), 2.0), "images")


@pytest.mark.parametrize("betas, ok", [((0.9, 0.999), True), ((0.0, 0.5), True), ((1.0, 0.9), False),
                                       ((0.9,), False), ((-0.1, 0.9), False)])
def test_check_betas(betas, ok):
    from osa_lib.validation import check_betas

    if ok:
        assert check_betas(betas) == tuple(float(b) for b in betas)
    else:
        with pytest.raises(ValueError, match="betas must be two numbers"):
            check_betas(betas)


def test_store_init_arguments_keeps_every_argument_unchanged():
    from sklearn.base import BaseEstimator, clone

    from osa_lib.validation import store_init_arguments

    class Est(BaseEstimator):
        def __init__(self, a=1, *, b=(1, 2), c=None):
            store_init_arguments(self, locals())

    est = Est(a=[3], b="x")
    assert est.get_params() == {"a": [3], "b": "x", "c": None}
    assert clone(est).get_params() == est.get_params()


def test_validate_rows_leaves_float32_rows_as_they_are():
    # No scaling, no copy: MNIST's pixels in [0, 1] reach training bit for bit as before.
    X = np.random.default_rng(0).uniform(0, 1, size=(5, 784)).astype(np.float32)
    assert validate_rows(BaseEstimator(), X, reset=True) is X
