"""osa_lib.clustering.codes: read-outs of cluster codes (confidence, usage, eq 16's D, neighbours, 2-D maps)."""
from __future__ import annotations

import numpy as np
import pytest

from osa_lib.clustering.codes import (cluster_usage, code_gram, diagonal_mass, embed_2d, mean_confidence,
                                      nearest_neighbours)

H_HAND = np.array([[0.7, 0.2, 0.1],
                   [0.4, 0.6, 0.0],
                   [0.5, 0.25, 0.25]])


def test_mean_confidence_hand_case():
    assert mean_confidence(H_HAND) == pytest.approx((0.7 + 0.6 + 0.5) / 3)
    assert mean_confidence(np.full((4, 5), 0.2)) == pytest.approx(0.2)       # uniform: 1/K
    assert mean_confidence(np.eye(3)) == 1.0


def test_cluster_usage_hand_case():
    assert cluster_usage(H_HAND) == pytest.approx(2 / 3)      # argmax picks clusters 0, 1, 0
    assert cluster_usage(np.eye(4)[[0, 0, 0]]) == pytest.approx(1 / 4)
    assert cluster_usage(np.eye(4)[[3, 1, 0, 2, 2]]) == 1.0


def test_code_gram_and_diagonal_mass_hand_case():
    H = np.array([[1.0, 0.0], [0.5, 0.5]])
    # D = H^T H = [[1.25, .25], [.25, .25]], divided by N = 2
    np.testing.assert_allclose(code_gram(H, normalise=False), [[1.25, 0.25], [0.25, 0.25]])
    np.testing.assert_allclose(code_gram(H), [[0.625, 0.125], [0.125, 0.125]])
    assert code_gram(H).sum() == pytest.approx(1.0)
    assert diagonal_mass(H) == pytest.approx(1.5 / 2.0)
    # a share: unchanged when the codes are scaled (e.g. unnormalised scores)
    assert diagonal_mass(3.0 * H) == pytest.approx(1.5 / 2.0)


@pytest.mark.parametrize("k", [2, 5, 30])
def test_diagonal_mass_extremes(k):
    assert diagonal_mass(np.eye(k)[np.arange(3 * k) % k]) == pytest.approx(1.0)   # one-hot codes: D diagonal
    assert diagonal_mass(np.full((7, k), 1.0 / k)) == pytest.approx(1.0 / k)     # uniform codes: D flat


def test_nearest_neighbours_find_planted_rows_and_exclude_the_query():
    rng = np.random.default_rng(0)
    H = rng.dirichlet(np.ones(4), size=30)
    H[0] = [0.97, 0.01, 0.01, 0.01]
    H[12] = [0.96, 0.02, 0.01, 0.01]     # closest to row 0
    H[25] = [0.90, 0.05, 0.03, 0.02]     # second closest
    H[5] = [0.01, 0.01, 0.01, 0.97]
    H[7] = H[5]                          # an exact duplicate of row 5 is a neighbour, row 5 itself is not
    out = nearest_neighbours(H, [0, 5], n_neighbours=2)
    assert out.shape == (2, 2) and out.dtype == np.int64
    np.testing.assert_array_equal(out[0], [12, 25])
    assert out[1, 0] == 7 and 5 not in out[1]


def test_nearest_neighbours_match_brute_force():
    rng = np.random.default_rng(1)
    H = rng.dirichlet(np.ones(5), size=40)
    queries = np.array([3, 17, 39])
    out = nearest_neighbours(H, queries, n_neighbours=5)
    for row, q in zip(out, queries):
        d = np.linalg.norm(H - H[q], axis=1)
        d[q] = np.inf
        np.testing.assert_array_equal(row, np.argsort(d, kind="stable")[:5])


@pytest.mark.parametrize("H", [
    np.full(5, 0.2),                    # 1-D
    np.ones((4, 1)),                    # one cluster
    np.zeros((0, 3)),                   # no rows
    np.array([[0.5, np.nan], [0.5, 0.5]]),
])
@pytest.mark.parametrize("fn", [mean_confidence, cluster_usage, code_gram, diagonal_mass])
def test_bad_codes_raise(fn, H):
    with pytest.raises(ValueError):
        fn(H)


@pytest.mark.parametrize("queries,n", [([10], 2), ([-1], 2), ([[0, 1]], 2), ([0], 0), ([0], 10), ([0], 11)])
def test_bad_neighbour_queries_raise(queries, n):
    H = np.eye(5)[np.arange(10) % 5]
    with pytest.raises(ValueError):
        nearest_neighbours(H, queries, n_neighbours=n)


def test_embed_2d_shape_and_determinism():
    H = np.random.default_rng(0).dirichlet(np.ones(3), size=25)
    a = embed_2d(H, random_state=0)
    assert a.shape == (25, 2) and np.all(np.isfinite(a))
    np.testing.assert_allclose(a, embed_2d(H, random_state=0))


def test_reconstruction_error():
    from osa_lib.clustering.codes import reconstruction_error

    X = np.array([[0.0, 1.0], [0.5, 0.5]])
    X_hat = np.array([[0.5, 1.0], [0.5, 0.0]])
    assert reconstruction_error(X, X_hat) == pytest.approx((0.25 + 0.25) / 4)
    assert reconstruction_error(X, X) == 0.0
    with pytest.raises(ValueError, match="shapes"):
        reconstruction_error(X, X_hat[:1])


# --------------------------------------------------------------------------- Figure 8's distortion numbers

def test_knn_label_agreement_hand_case():
    from osa_lib.clustering.codes import knn_label_agreement

    Y = np.array([[0.0], [0.1], [0.25], [5.0], [5.1], [9.0]])
    labels = np.array([0, 0, 1, 1, 1, 0])
    # nearest neighbour of each row: 1, 0, 1, 4, 3, 4
    assert knn_label_agreement(Y, labels, n_neighbours=1) == pytest.approx(4 / 6)
    two_blobs = np.array([[0, 0], [0, 1], [1, 0], [10, 10], [10, 11], [11, 10]], dtype=float)
    assert knn_label_agreement(two_blobs, np.array([0, 0, 0, 1, 1, 1]), n_neighbours=2) == 1.0


def test_trustworthiness_is_one_for_an_isometry_and_lower_for_a_shuffled_map():
    from osa_lib.clustering.codes import projection_distortion, trustworthiness

    rng = np.random.default_rng(0)
    H = rng.dirichlet(np.ones(2), size=60)
    assert trustworthiness(H, 3.0 * H[:, :1], n_neighbours=5) == pytest.approx(1.0)   # 1-D rows: h_2 = 1 - h_1
    shuffled = rng.permutation(H[:, :1])
    assert trustworthiness(H, shuffled, n_neighbours=5) < 0.8
    labels = (H[:, 0] > 0.5).astype(int)
    out = projection_distortion(H, H[:, :1], labels, n_neighbours=5)
    assert set(out) == {"trustworthiness", "knn_agreement_codes", "knn_agreement_2d"}
    assert out["knn_agreement_2d"] == pytest.approx(out["knn_agreement_codes"])


@pytest.mark.parametrize("call", [
    lambda f: f.knn_label_agreement(np.zeros((4, 2)), np.zeros(3)),          # rows differ
    lambda f: f.knn_label_agreement(np.zeros((4, 2)), np.zeros(4), 4),       # too many neighbours
    lambda f: f.knn_label_agreement(np.full((4, 2), np.nan), np.zeros(4)),
    lambda f: f.trustworthiness(np.eye(3)[[0, 1, 2, 0]], np.zeros((5, 2))),
    lambda f: f.trustworthiness(np.eye(3)[[0, 1, 2, 0]], np.zeros((4, 2)), n_neighbours=2),
])
def test_distortion_bad_inputs_raise(call):
    from osa_lib.clustering import codes

    with pytest.raises(ValueError):
        call(codes)
