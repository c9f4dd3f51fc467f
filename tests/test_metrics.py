"""Clustering metrics of appendix A (eq 23, NMI, ARI) on hand-worked cases."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from osa_lib.metrics import (MAPPINGS, ari, cluster_accuracy, cluster_to_class, clustering_scores,
                             contingency, nmi)

# Two clusters that both hold mostly class 0:
#   cluster 0 -> classes (0, 0, 1), cluster 1 -> classes (0, 0, 1)
# majority: each cluster takes class 0 -> 4/6; hungarian (one-to-one): 2 + 1 = 3/6.
Y_TRUE = np.array([0, 0, 1, 0, 0, 1])
Y_PRED = np.array([0, 0, 0, 1, 1, 1])


def test_contingency_counts():
    table = contingency(Y_TRUE, Y_PRED)
    np.testing.assert_array_equal(table, [[2, 1], [2, 1]])
    assert table.dtype == np.int64


def test_contingency_with_a_fixed_shape_keeps_empty_clusters_and_classes():
    # K = 4 clusters and C = 3 classes although cluster 2-3 and class 2 are never seen: seeds line up
    table = contingency(Y_TRUE, Y_PRED, n_clusters=4, n_classes=3)
    np.testing.assert_array_equal(table, [[2, 1, 0], [2, 1, 0], [0, 0, 0], [0, 0, 0]])
    with pytest.raises(ValueError, match="exceed"):
        contingency(Y_TRUE, Y_PRED, n_clusters=1)


def test_majority_and_hungarian_hand_case():
    assert cluster_accuracy(Y_TRUE, Y_PRED, "majority") == pytest.approx(4 / 6)
    assert cluster_accuracy(Y_TRUE, Y_PRED, "hungarian") == pytest.approx(3 / 6)
    assert cluster_accuracy(Y_TRUE, Y_PRED) == pytest.approx(4 / 6)   # default is majority


def test_second_hand_case_where_the_mappings_agree():
    y_true = np.array([0, 0, 1, 1, 1, 2, 2, 2, 2])
    y_pred = np.array([2, 2, 2, 0, 0, 1, 1, 1, 0])
    # cluster 2: classes (0, 0, 1) -> 2; cluster 0: (1, 1, 2) -> 2; cluster 1: (2, 2, 2) -> 3
    assert cluster_accuracy(y_true, y_pred, "majority") == pytest.approx(7 / 9)
    assert cluster_accuracy(y_true, y_pred, "hungarian") == pytest.approx(7 / 9)


def test_cluster_to_class_maps():
    assert cluster_to_class(Y_TRUE, Y_PRED, "majority") == {0: 0, 1: 0}
    one_to_one = cluster_to_class(Y_TRUE, Y_PRED, "hungarian")
    assert sorted(one_to_one) == [0, 1] and sorted(one_to_one.values()) == [0, 1]


def test_cluster_to_class_skips_empty_clusters():
    y_true = np.array([0, 0, 1, 1])
    y_pred = np.array([3, 3, 7, 7])
    assert cluster_to_class(y_true, y_pred, "majority") == {3: 0, 7: 1}
    assert cluster_to_class(y_true, y_pred, "hungarian") == {3: 0, 7: 1}
    assert cluster_accuracy(y_true, y_pred, "hungarian") == 1.0


@pytest.mark.parametrize("seed", range(5))
def test_accuracy_is_the_share_that_the_cluster_to_class_map_gets_right(seed):
    """cluster_accuracy applies cluster_to_class; both agree with the contingency optimum."""
    from scipy.optimize import linear_sum_assignment

    rng = np.random.default_rng(seed)
    y_true, y_pred = rng.integers(0, 4, size=60), rng.integers(0, 7, size=60)
    table = contingency(y_true, y_pred)
    rows, cols = linear_sum_assignment(table, maximize=True)
    optimum = {"majority": table.max(axis=1).sum(), "hungarian": table[rows, cols].sum()}
    for mapping in MAPPINGS:
        to_class = cluster_to_class(y_true, y_pred, mapping)
        mapped = np.array([to_class.get(int(k), -1) for k in y_pred])
        assert cluster_accuracy(y_true, y_pred, mapping) == pytest.approx(np.mean(mapped == y_true))
        assert cluster_accuracy(y_true, y_pred, mapping) == pytest.approx(optimum[mapping] / 60)


@pytest.mark.parametrize("mapping", MAPPINGS)
def test_permuted_labels_score_one(mapping):
    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 10, size=500)
    perm = rng.permutation(10)
    assert cluster_accuracy(y_true, perm[y_true], mapping) == 1.0


def test_thirty_pure_clusters_for_ten_classes():
    # 10 classes x 30 examples; each class split into 3 pure clusters of 10 examples.
    y_true = np.repeat(np.arange(10), 30)
    y_pred = 3 * y_true + np.tile(np.arange(3), 100)
    assert np.unique(y_pred).size == 30
    assert cluster_accuracy(y_true, y_pred, "majority") == 1.0
    # one-to-one: only 10 of the 30 clusters can be matched, each holding 10 examples
    assert cluster_accuracy(y_true, y_pred, "hungarian") == pytest.approx(10 * 10 / 300)
    scores = clustering_scores(y_true, y_pred)
    assert "accuracy_hungarian" not in scores
    assert scores["accuracy_majority"] == 1.0


def test_random_labels_score_near_chance():
    rng = np.random.default_rng(1)
    y_true = rng.integers(0, 10, size=5000)
    y_pred = rng.integers(0, 10, size=5000)
    assert cluster_accuracy(y_true, y_pred, "hungarian") < 0.15
    assert abs(ari(y_true, y_pred)) < 0.01


def test_scores_match_scikit_learn():
    rng = np.random.default_rng(2)
    y_true = rng.integers(0, 10, size=400)
    y_pred = np.where(rng.random(400) < 0.6, (y_true + 3) % 10, rng.integers(0, 10, size=400))
    scores = clustering_scores(y_true, y_pred)
    assert scores["nmi"] == pytest.approx(normalized_mutual_info_score(y_true, y_pred), abs=1e-12)
    assert scores["ari"] == pytest.approx(adjusted_rand_score(y_true, y_pred), abs=1e-12)
    assert nmi(y_true, y_pred) == scores["nmi"] and ari(y_true, y_pred) == scores["ari"]
    assert 0.3 < scores["nmi"] < 1.0
    assert set(scores) == {"accuracy_majority", "accuracy_hungarian", "nmi", "ari"}
    assert all(isinstance(v, float) and 0.0 <= v <= 1.0 for v in scores.values())


def test_hungarian_only_when_clusters_equal_classes():
    y_true = np.array([0, 1, 2, 0, 1, 2])
    assert "accuracy_hungarian" in clustering_scores(y_true, np.array([0, 1, 2, 0, 1, 2]))
    assert "accuracy_hungarian" not in clustering_scores(y_true, np.array([0, 1, 0, 1, 0, 1]))
    # n_clusters overrides max(y_pred) + 1: a 3-cluster model that used only two clusters
    # cluster 0 holds classes (0, 0), cluster 1 holds (1, 2, 1, 2): one-to-one gives 2 + 2 of 6
    with_k = clustering_scores(y_true, np.array([0, 1, 1, 0, 1, 1]), n_clusters=3)
    assert with_k["accuracy_hungarian"] == pytest.approx(4 / 6)
    assert "accuracy_hungarian" not in clustering_scores(y_true, np.array([0, 1, 2, 0, 1, 2]), n_clusters=30)


def test_whole_float_labels_are_accepted():
    assert cluster_accuracy(Y_TRUE.astype(float), Y_PRED.astype(np.float32)) == pytest.approx(4 / 6)
    assert clustering_scores(Y_TRUE.astype(float), Y_PRED) == clustering_scores(Y_TRUE, Y_PRED)


def test_accepts_lists():
    assert cluster_accuracy([0, 1, 1], [1, 0, 0], "hungarian") == 1.0


# --------------------------------------------------------------------------- errors

@pytest.mark.parametrize("fn", [lambda t, p: cluster_accuracy(t, p, "entropy"),
                                lambda t, p: cluster_to_class(t, p, "entropy")])
def test_unknown_mapping_is_named(fn):
    with pytest.raises(ValueError, match="entropy"):
        fn(Y_TRUE, Y_PRED)


BAD_INPUTS = {
    "mismatched lengths": ([0, 1, 2], [0, 1], "differ in length"),
    "2-D y_true": ([[0, 1], [1, 0]], [[0, 1], [1, 0]], "1-D"),
    "negative y_true": ([0, -1, 1], [0, 1, 1], "non-negative"),
    "negative y_pred": ([0, 1, 1], [0, 1, -2], "non-negative"),
    "negative float y_true": ([0.0, -1.0, 1.0], [0, 1, 1], "non-negative"),
    "non-integer floats": ([0.0, 0.5, 1.0], [0, 1, 1], "integer"),
    "NaN labels": ([0.0, np.nan, 1.0], [0, 1, 1], "integer"),
    "string labels": (["a", "b", "a"], [0, 1, 1], "integer"),
    "empty": ([], [], "empty"),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
@pytest.mark.parametrize("fn", [cluster_accuracy, clustering_scores, nmi, ari, contingency])
def test_bad_labels_raise(fn, case):
    y_true, y_pred, message = BAD_INPUTS[case]
    with pytest.raises(ValueError, match=message):
        fn(np.asarray(y_true), np.asarray(y_pred))


def test_trivial_reconstructions_are_the_black_image_and_the_mean_image():
    from osa_lib.metrics import trivial_reconstruction_mse

    X_train = np.array([[0.0, 1.0], [1.0, 1.0]])
    X_test = np.array([[0.5, 1.0], [0.5, 0.0]])
    mse = trivial_reconstruction_mse(X_train, X_test)
    assert mse["all_black"] == pytest.approx((0.25 + 1 + 0.25 + 0) / 4)
    assert mse["mean_image"] == pytest.approx((0 + 0 + 0 + 1) / 4)      # mean image (0.5, 1.0)
    with pytest.raises(ValueError, match="same columns"):
        trivial_reconstruction_mse(X_train, X_test[:, :1])
