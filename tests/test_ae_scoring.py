"""osa_lib.book.ae_chapter.ae_scoring: the four readings of "K-means on the AE latent", the choice among them on
training accuracy, the reconstruction error and the cluster portrait (tiny synthetic data and stubs)."""
from __future__ import annotations

import numpy as np
import pytest
from ae_data import blob_images

from osa_lib.book.ae_chapter import ae_scoring
from osa_lib.clustering.ae_kmeans import AEKMeans
from osa_lib.data import ClusteringData

TINY = dict(encoder_units=16, latent_dim=8, decoder_units=16, batch_size=16, lr=1e-2, progress=False)


def test_kmeans_scores_every_reading_and_leaves_the_protocols_reading_set():
    X, y = blob_images(90)
    data = ClusteringData("mnist", X[:60], y[:60], X[60:], y[60:])
    model = AEKMeans(3, epochs=2, head_units=3, kmeans_n_init=4, random_state=0, **TINY).fit(data.X_train)
    scores = ae_scoring.kmeans_scores(model, data, np.arange(20))
    assert set(scores) == set(ae_scoring.KMEANS_READINGS)
    for s in scores.values():
        # the best start by test accuracy is one of the starts, the label-free one too
        assert s["accuracy_majority_best_of_inits"] >= s["accuracy_majority"] - 1e-12
        assert 0 < s["accuracy_majority_init_median"] <= s["accuracy_majority_best_of_inits"] + 1e-12
        assert 0 <= s["train_accuracy_majority"] <= 1
    assert (model.kmeans_space, model.kmeans_standardize) == ("latent", True)


def _state(train: dict, status="done"):
    return {"status": status, "readings": {r: {"train_accuracy_majority": train.get(r, 0.1)}
                                           for r in ae_scoring.KMEANS_READINGS}}


def test_the_chosen_kmeans_reading_has_the_best_mean_training_accuracy_of_finished_seeds():
    states = [_state({"head_raw": 0.9, "latent_raw": 0.5}), _state({"head_raw": 0.3, "latent_raw": 0.6}),
              _state({"latent_standardized": 1.0}, status="running")]       # unfinished: not counted
    assert ae_scoring.chosen_kmeans_reading(states) == "head_raw"            # mean 0.6 against 0.55
    assert ae_scoring.chosen_kmeans_reading(states[1:]) == "latent_raw"
    with pytest.raises(ValueError, match="no finished"):
        ae_scoring.chosen_kmeans_reading(states[2:])
    assert set(ae_scoring.KMEANS_READING_LABELS) == set(ae_scoring.KMEANS_READINGS)


class _Stub:
    """A fitted model's face: fixed cluster labels and reconstructions."""

    n_clusters = 3

    def __init__(self, labels, shift=0.0):
        self.labels, self.shift = np.asarray(labels), shift

    def predict(self, X):
        return self.labels

    def reconstruct(self, X):
        return X + self.shift


def test_reconstruction_mse_is_per_pixel():
    X = np.zeros((4, 784), np.float32)
    assert ae_scoring.reconstruction_mse(_Stub([0] * 4, shift=0.1), X) == pytest.approx(0.01, rel=1e-5)
    assert ae_scoring.reconstruction_mse(_Stub([0] * 4), X) == 0.0


def test_the_cluster_portrait_counts_classes_and_keeps_an_empty_cluster_visible():
    X = np.array([[0.0, 1.0], [1.0, 1.0], [0.333, 0.0], [0.0, 0.0]], np.float32)
    y = np.array([0, 0, 1, 2])
    out = ae_scoring.cluster_portrait(_Stub([0, 0, 2, 2]), X, y)
    assert out["confusion"] == [[2, 0, 0], [0, 0, 0], [0, 1, 1]]        # cluster 1 is empty: a zero row
    assert np.asarray(out["cluster_means"]) == pytest.approx(np.array([[0.5, 1.0], [0.0, 0.0], [0.17, 0.0]]), abs=1e-6)  # 2 decimals
