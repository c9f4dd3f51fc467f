"""AE + K-means (appendix B, Table 1): :class:`AEKMeans`, the AE trained on reconstruction, then K-means on its codes."""
from __future__ import annotations

import numpy as np
import torch
from sklearn.cluster import KMeans
from sklearn.utils.validation import check_is_fitted
from tqdm import tqdm

from osa_lib.clustering.ae_base import AEBase
from osa_lib.metrics import clustering_scores
from osa_lib.validation import check_int, store_init_arguments


class AEKMeans(AEBase):
    """AE + K-means (appendix B, Table 1): the same AE with a dense 10-unit ReLU head, then K-means on ``h_AE``.

    The AE trains on the reconstruction loss only. After training, K-means with
    ``n_clusters`` centres runs ``kmeans_n_init`` times (k-means++ starts, one
    ``random_state`` each) on ``h_AE`` of up to ``kmeans_max_samples`` training rows
    (standardised per dimension when ``kmeans_standardize``). Every start is kept:

    * :meth:`predict` uses the start with the lowest inertia (label-free);
    * :meth:`predict_all_inits` gives every start's labels, so that an evaluation
      with labels can reproduce the paper's protocol (keep the start with the best
      accuracy, which peeks at the labels; see
      :mod:`osa_lib.book.ae_chapter.ae_jobs`).

    ``X``: rows of any real values, as for :class:`AEACRBM` (:mod:`~osa_lib.clustering.ae_base`);
    Table 3's sizes (100/100/100) for any ``n_clusters``.

    Presets: ``AEKMeans.from_reading("printed")`` is the paper's printed protocol at its budget
    (500 epochs, 500 K-means starts); ``AEKMeans.from_reading(name)`` each reading the book measured
    (:data:`osa_lib.clustering.ae_presets.AE_KMEANS_READINGS`: "sum", "glorot", "kmeans60k",
    "bottleneck_relu", ...), with any parameter overridden.

    Defaults: the printed protocol's model, loss, optimiser and K-means input, at a short budget of
    ``epochs=10`` and ``kmeans_n_init=10`` instead of 500 and 500 -- a stated other choice (a first
    ``fit`` in seconds, fast tests), not a budget the book measured; ``from_reading("printed")``
    gives the protocol the book ran.

    Parameters (besides those of :class:`AEACRBM` that apply)
    ----------
    head_units : int, default 10
        Units of the dense ReLU head that replaces ``h_ACRBM``.
    kmeans_n_init : int, default 10
        K-means starts (the printed protocol: 500).
    kmeans_max_samples : int or None, default 10000
    kmeans_space : {"latent", "head"}, default "latent"
        Which "AE latent representation" K-means clusters: ``h_AE`` (D units) or the
        10-unit ReLU head.
    kmeans_standardize : bool, default True
    decoder_input : {"latent_and_head", "head"}, default "latent_and_head"
        "head": the decoder reads only the head, a true ``head_units``-d bottleneck (an
        ablation near appendix B's model, not the paper's).
    head_activation : {"relu", "linear"}, default "relu"
    reconstruction_reduction, init : as in :class:`AEACRBM`

    Attributes
    ----------
    kmeans_centers_ : ndarray (n_init, K, D), kmeans_inertia_ : ndarray (n_init,),
    best_init_ : int, latent_mean_, latent_scale_ : ndarray (D,), and those of AEACRBM.
    """

    _head = "dense"
    _presets = "AEKMeans"

    def __init__(self, n_clusters=10, *, architecture="dense", head_units=10, encoder_units=None, latent_dim=None,
                 decoder_units=None, conv_channels=(16, 16), epochs=10, reconstruction="mse",
                 reconstruction_reduction="mean", init="pytorch", batch_size=256, lr=1e-3, betas=None, kmeans_n_init=10, kmeans_max_samples=10_000, kmeans_space="latent",
                 kmeans_standardize=True, decoder_input="latent_and_head", head_activation="relu", random_state=0,
                 device="cpu", progress=True, checkpoint=None, eval_every=1, checkpoint_every=1):
        store_init_arguments(self, locals())

    def _table3_key(self) -> str:
        return "ae_kmeans"

    def _head_units(self) -> int:
        return int(self.head_units)

    def _module_kwargs(self) -> dict:
        return {"decoder_input": self.decoder_input, "head_activation": self.head_activation}

    def _validate_extra(self) -> None:
        check_int(self.head_units, "head_units", minimum=1)
        check_int(self.kmeans_n_init, "kmeans_n_init", minimum=1)
        if self.kmeans_max_samples is not None:
            check_int(self.kmeans_max_samples, "kmeans_max_samples", minimum=self.n_clusters)
        if self.kmeans_space not in ("latent", "head"):
            raise ValueError(f"kmeans_space must be 'latent' (h_AE) or 'head' (the ReLU head), "
                             f"got {self.kmeans_space!r}")

    def _features(self, H: np.ndarray) -> np.ndarray:
        return ((H - self.latent_mean_) / self.latent_scale_).astype(np.float32)

    def _set_scaler(self, H: np.ndarray) -> None:
        if self.kmeans_standardize:
            self.latent_mean_ = H.mean(0)
            self.latent_scale_ = H.std(0) + 1e-6
        else:
            self.latent_mean_ = np.zeros(H.shape[1], np.float32)
            self.latent_scale_ = np.ones(H.shape[1], np.float32)

    def _finalize(self, X: np.ndarray) -> None:
        rng = np.random.default_rng(self._kmeans_seed)
        n = len(X) if self.kmeans_max_samples is None else min(len(X), self.kmeans_max_samples)
        rows = np.sort(rng.choice(len(X), size=n, replace=False))
        H = self._encode(X[rows], self.kmeans_space)
        self._set_scaler(H)
        F = self._features(H)
        seeds = rng.integers(0, 2**31 - 1, size=self.kmeans_n_init)
        centers, inertia = [], []
        for s in tqdm(seeds, desc="K-means starts", disable=not self.progress, leave=False):
            km = KMeans(self.n_clusters, n_init=1, random_state=int(s)).fit(F)
            centers.append(km.cluster_centers_.astype(np.float32))
            inertia.append(float(km.inertia_))
        self.kmeans_centers_ = np.stack(centers)        # (n_init, K, D)
        self.kmeans_inertia_ = np.asarray(inertia)      # (n_init,)
        self.best_init_ = int(np.argmin(self.kmeans_inertia_))

    def fit_kmeans(self, X):
        """Re-run only the K-means stage on the trained AE, with the current ``kmeans_*`` parameters.

        Use it after ``set_params(kmeans_space=..., kmeans_standardize=...)`` to read the
        same AE another way; ``X`` must be the training rows given to :meth:`fit`.
        """
        check_is_fitted(self, "module_")
        self._validate_extra()
        self._finalize(self._check_X(X))
        return self

    @property
    def _n_features_out(self) -> int:
        return self.module_.latent_dim if self.kmeans_space == "latent" else self.module_.n_head

    def _has_final_state(self) -> bool:
        return hasattr(self, "kmeans_centers_") and len(self.kmeans_centers_) == self.kmeans_n_init

    def _extra_state(self) -> dict:
        if not hasattr(self, "kmeans_centers_"):
            return {}
        return {"centers": torch.from_numpy(self.kmeans_centers_), "inertia": torch.from_numpy(self.kmeans_inertia_),
                "mean": torch.from_numpy(np.asarray(self.latent_mean_, np.float32)),
                "scale": torch.from_numpy(np.asarray(self.latent_scale_, np.float32))}

    def _set_extra_state(self, state: dict) -> None:
        if state:
            self.kmeans_centers_ = state["centers"].numpy()
            self.kmeans_inertia_ = state["inertia"].numpy().astype(np.float64)
            self.latent_mean_ = state["mean"].numpy()
            self.latent_scale_ = state["scale"].numpy()
            self.best_init_ = int(np.argmin(self.kmeans_inertia_))

    def _monitor(self, X_eval, y_eval) -> dict:
        # Monitoring only: one k-means++ start on the eval latents themselves.
        F = self._encode(X_eval, self.kmeans_space)
        F = (F - F.mean(0)) / (F.std(0) + 1e-6) if self.kmeans_standardize else F
        pred = KMeans(self.n_clusters, n_init=1, random_state=0).fit_predict(F)
        return clustering_scores(y_eval, pred, n_clusters=self.n_clusters)

    def transform(self, X) -> np.ndarray:
        """``h_AE`` (or the head, per ``kmeans_space``) as K-means sees it (standardised when
        ``kmeans_standardize``); (n, D) or (n, head_units)."""
        check_is_fitted(self, "module_")
        return self._features(self._encode(self._check_X(X), self.kmeans_space))

    @staticmethod
    def _assign(F: np.ndarray, centers: np.ndarray) -> np.ndarray:
        # squared distances (n, K) up to the row constant ||f||^2
        return np.argmin(-2.0 * F @ centers.T + (centers * centers).sum(1), axis=1).astype(np.int64)

    def _predict_rows(self, X: np.ndarray) -> np.ndarray:
        F = self._features(self._encode(X, self.kmeans_space))
        return self._assign(F, self.kmeans_centers_[self.best_init_])

    def predict(self, X) -> np.ndarray:
        """Cluster of each row from the lowest-inertia K-means start (label-free); int64 (n_samples,)."""
        check_is_fitted(self, "kmeans_centers_")
        return self._predict_rows(self._check_X(X))

    def predict_all_inits(self, X) -> np.ndarray:
        """Labels from every K-means start, shape (kmeans_n_init, n_samples)."""
        check_is_fitted(self, "kmeans_centers_")
        F = self._features(self._encode(self._check_X(X), self.kmeans_space))
        return np.stack([self._assign(F, c) for c in self.kmeans_centers_])
