"""What a finished AE job scores beyond the clustering metrics: the four readings of "K-means on the
AE latent representation" (every AE + K-means seed), the reconstruction error and the cluster portrait.

The paper does not say which codes K-means clusters (``h_AE`` or the 10-unit head) nor whether
they are standardised; each finished AE + K-means job scores all four
(:func:`kmeans_scores`), and the row's record keeps the one chosen on *training* accuracy
(:func:`chosen_kmeans_reading`), so that no test label picks it.
"""
from __future__ import annotations

import numpy as np

from osa_lib.clustering.ae_kmeans import AEKMeans
from osa_lib.metrics import cluster_accuracy, clustering_scores

#: The four readings of "K-means on the AE latent representation" scored for every AE + K-means seed.
KMEANS_READINGS = {
    "latent_standardized": dict(kmeans_space="latent", kmeans_standardize=True),
    "latent_raw": dict(kmeans_space="latent", kmeans_standardize=False),
    "head_standardized": dict(kmeans_space="head", kmeans_standardize=True),
    "head_raw": dict(kmeans_space="head", kmeans_standardize=False),
}
#: The readings in words, for the pages.
KMEANS_READING_LABELS = {"latent_standardized": "latent code, standardised", "latent_raw": "latent code, raw",
                         "head_standardized": "10-unit head, standardised", "head_raw": "10-unit head, raw"}


def kmeans_scores(model: AEKMeans, data, train_rows) -> dict:
    """Every reading of "K-means on the AE latent", label-free start and the paper's best start."""
    out = {}
    for reading, params in KMEANS_READINGS.items():
        model.set_params(**params)
        model.fit_kmeans(data.X_train)
        labels = model.predict_all_inits(data.X_test)                 # (n_init, n_test)
        acc = np.array([cluster_accuracy(data.y_test, lab, "majority") for lab in labels])
        best = int(acc.argmax())
        scores = clustering_scores(data.y_test, labels[model.best_init_], n_clusters=model.n_clusters)
        scores.update({
            "accuracy_majority_best_of_inits": float(acc[best]),
            "accuracy_hungarian_best_of_inits": cluster_accuracy(data.y_test, labels[best], "hungarian"),
            "accuracy_majority_init_median": float(np.median(acc)),
            # Evidence for choosing a reading without test labels: the label-free start on training rows.
            "train_accuracy_majority": cluster_accuracy(data.y_train[train_rows],
                                                        model.predict(data.X_train[train_rows]), "majority"),
        })
        out[reading] = scores
    model.set_params(**KMEANS_READINGS["latent_standardized"])
    return out


def chosen_kmeans_reading(states: list[dict]) -> str:
    """The reading of "K-means on the AE latent" with the best mean *training* accuracy (label-free start)."""
    done = [s for s in states if s["status"] == "done"]
    if not done:
        raise ValueError("no finished AE + K-means seed to choose a reading from")
    return max(KMEANS_READINGS, key=lambda r: np.mean([s["readings"][r]["train_accuracy_majority"] for s in done]))


def reconstruction_mse(model, X) -> float:
    """Mean squared error per pixel of the model's reconstructions of rows ``X`` (n, 784) in [0, 1]."""
    return float(np.mean((model.reconstruct(X) - X) ** 2))


def cluster_portrait(model, X, y) -> dict:
    """What the clusters are: ``confusion`` (K, n_classes) counts and ``cluster_means`` (K, 784) mean images.

    Mean images are rounded to two decimals (they are for pictures); an empty cluster's mean is all zeros
    and its ``confusion`` row all zeros, so a reader sees it.
    """
    pred = model.predict(X)
    k, n_classes = model.n_clusters, int(y.max()) + 1
    confusion = np.zeros((k, n_classes), dtype=int)
    np.add.at(confusion, (pred, y), 1)
    means = np.zeros((k, X.shape[1]), dtype=np.float32)
    for c in np.unique(pred):
        means[c] = X[pred == c].mean(0)
    return {"confusion": confusion.tolist(), "cluster_means": np.round(means, 2).tolist()}
