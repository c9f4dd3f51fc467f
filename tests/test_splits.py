"""Fixed random subsets and the train/validation split (osa_lib.data.splits)."""
from __future__ import annotations

import numpy as np
import pytest

from osa_lib.data.splits import fixed_random_subset, subsample, train_validation_split


def test_fixed_random_subset_is_sorted_seeded_and_complete_when_large():
    a = fixed_random_subset(50, 10, seed=2)
    np.testing.assert_array_equal(a, fixed_random_subset(50, 10, seed=2))
    assert len(a) == 10 and np.all(np.diff(a) > 0) and a.max() < 50
    assert not np.array_equal(a, fixed_random_subset(50, 10, seed=3))
    np.testing.assert_array_equal(fixed_random_subset(7, None), np.arange(7))
    np.testing.assert_array_equal(fixed_random_subset(7, 7), np.arange(7))
    np.testing.assert_array_equal(fixed_random_subset(7, 70), np.arange(7))


def test_subsample_is_deterministic_sorted_and_paired():
    X = np.arange(100) * 10
    y = np.arange(100)
    Xa, ya = subsample(X, y, 20, random_state=3)
    Xb, yb = subsample(X, y, 20, random_state=3)
    np.testing.assert_array_equal(Xa, Xb)
    np.testing.assert_array_equal(ya, yb)
    assert len(ya) == 20 and np.unique(ya).size == 20
    assert np.all(np.diff(ya) > 0)                      # sorted, original order kept
    np.testing.assert_array_equal(Xa, ya * 10)          # rows stay with their labels
    Xc, yc = subsample(X, y, 20, random_state=4)
    assert not np.array_equal(yc, ya)
    np.testing.assert_array_equal(ya, fixed_random_subset(100, 20, 3))   # one rule for every subset


@pytest.mark.parametrize("n", [None, 100, 1000])
def test_subsample_returns_everything_when_n_is_none_or_large(n):
    X, y = np.arange(100), np.arange(100)
    Xs, ys = subsample(X, y, n)
    np.testing.assert_array_equal(Xs, X)
    np.testing.assert_array_equal(ys, y)


@pytest.mark.parametrize("n", [0, -5, 2.5])
def test_subsets_reject_sizes_below_one_and_non_integers(n):
    with pytest.raises(ValueError, match="subset size must be an integer >= 1"):
        subsample(np.arange(10), np.arange(10), n)


def test_train_validation_split_is_fixed_disjoint_and_sorted():
    X = np.arange(40, dtype=np.float32).reshape(20, 2)
    y = np.arange(20)
    a = train_validation_split(X, y, 5, random_state=3)
    b = train_validation_split(X, y, 5, random_state=3)
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    X_fit, y_fit, X_val, y_val = a
    assert len(y_val) == 5 and len(y_fit) == 15 and not set(y_fit) & set(y_val)
    assert np.all(np.diff(y_fit) > 0) and np.all(np.diff(y_val) > 0)
    np.testing.assert_array_equal(X_fit[:, 0], 2 * y_fit)              # rows stay with their labels


def test_train_validation_split_with_a_fit_size():
    X, y = np.arange(20), np.arange(20)
    X_fit, y_fit, X_val, y_val = train_validation_split(X, y, 5, n_fit=8, random_state=1)
    assert len(y_fit) == 8 and len(y_val) == 5 and not set(y_fit) & set(y_val)
    # the validation rows do not depend on n_fit
    np.testing.assert_array_equal(y_val, train_validation_split(X, y, 5, random_state=1)[3])
    with pytest.raises(ValueError, match="exceeds the 20 training rows"):
        train_validation_split(X, y, 5, n_fit=16)


@pytest.mark.parametrize("n_validation", [0, 20, 3.0])
def test_train_validation_split_rejects_bad_sizes(n_validation):
    with pytest.raises(ValueError, match=r"n_validation must be an integer in \[1, 19\]"):
        train_validation_split(np.arange(20), np.arange(20), n_validation)
    with pytest.raises(ValueError, match="differ in length"):
        train_validation_split(np.arange(20), np.arange(19), 5)
