"""osa_lib.clustering.ae_base: the machinery AEACRBM and AEKMeans share, tested on a bare subclass that adds
nothing (a plain autoencoder: no head loss, no K-means stage), so that what is checked is AEBase's own."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from ae_data import blob_images
from sklearn.exceptions import NotFittedError

from osa_lib.clustering.ae_base import AEBase
from osa_lib.train import EpochCallback
from osa_lib.validation import store_init_arguments


class PlainAE(AEBase):
    """AEBase with only the hooks it requires: a dense head of 2 units and every row in cluster 0."""

    _head = "dense"

    def __init__(self, n_clusters=2, *, architecture="dense", encoder_units=16, latent_dim=4, decoder_units=16,
                 conv_channels=(4, 4), epochs=3, reconstruction="mse", reconstruction_reduction="mean",
                 init="pytorch", batch_size=16, lr=1e-2, betas=None, random_state=0, device="cpu", progress=False,
                 checkpoint=None, eval_every=2, checkpoint_every=1):
        store_init_arguments(self, locals())

    def _table3_key(self):
        return "ae_kmeans"

    def _head_units(self):
        return 2

    def _predict_rows(self, X):
        return np.zeros(len(X), np.int64)

    def predict(self, X):
        return self._predict_rows(self._check_X(X))

    def _finalize(self, X):
        self.finalized_ = getattr(self, "finalized_", 0) + 1


X, y = blob_images(48)


def test_the_epoch_loop_records_every_epoch_and_monitors_on_schedule():
    model = PlainAE(epochs=5, eval_every=2).fit(X, eval_set=(X, y))
    history = model.history_
    assert [h["epoch"] for h in history] == [1, 2, 3, 4, 5]
    assert {h["phase"] for h in history} == {"ae"} and {h["lambda"] for h in history} == {0.0}
    assert all(h["loss"] == pytest.approx(h["reconstruction"]) and "acrbm" not in h for h in history)
    # monitored: the first epoch, every eval_every-th, the last
    assert [h["epoch"] for h in history if "eval_accuracy_majority" in h] == [1, 2, 4, 5]
    assert (model.epochs_done_, model.complete_, model.finalized_) == (5, True, 1)
    assert model.labels_.shape == (48,) and model.n_parameters_ > 0 and model.train_time_s_ > 0
    assert history[-1]["loss"] < history[0]["loss"]


def test_encodings_have_the_documented_shapes_and_range():
    model = PlainAE(epochs=1).fit(X)
    assert model.latent(X[:5]).shape == (5, 4)
    rec = model.reconstruct(X[:5])
    assert rec.shape == (5, 784) and rec.dtype == np.float32 and rec.min() > 0 and rec.max() < 1
    assert list(model.get_feature_names_out()) == ["plainae0", "plainae1"]
    with pytest.raises(NotFittedError):
        PlainAE().latent(X)


class StopAfter(EpochCallback):
    def __init__(self, n):
        self.n, self.ends = n, []

    def should_stop(self, estimator):
        return estimator.epochs_done_ >= self.n

    def on_epoch_end(self, estimator, *, stopping):
        self.ends.append(stopping)

    def on_train_end(self, estimator):
        self.ends.append("end")


def test_a_callback_stops_fit_early_without_the_final_stage():
    stop = StopAfter(2)
    model = PlainAE(epochs=4).fit(X, callbacks=[stop])
    assert (model.epochs_done_, model.complete_, hasattr(model, "finalized_")) == (2, False, False)
    assert stop.ends == [False, True]
    assert all(p.requires_grad for p in model.module_.parameters())
    done = StopAfter(99)
    PlainAE(epochs=2).fit(X, callbacks=[done])
    assert done.ends == [False, False, "end"]


def test_hyperparameters_are_checked_in_fit_before_the_data():
    for params, match in (({"epochs": 0}, "epochs"), ({"conv_channels": (4, 4, 4)}, "two widths"),
                          ({"reconstruction": "l1"}, "reconstruction must be one of"),
                          ({"init": "he"}, "init must be one of"), ({"lr": 0.0}, "lr")):
        with pytest.raises(ValueError, match=match):
            PlainAE(**params).fit(np.full((4, 3), np.nan))        # the data would fail too: params come first
    with pytest.raises(ValueError, match="y_eval must have shape"):
        PlainAE().fit(X, eval_set=(X, y[:3]))


def test_check_params_applies_fits_rules_without_fitting():
    """A job runner asks the estimator to check its parameters before the job queues: the same rules as fit."""
    estimator = PlainAE(epochs=3)
    assert estimator.check_params() is estimator and not hasattr(estimator, "module_")
    for params, match in (({"epochs": 0}, "epochs"), ({"init": "he"}, "init must be one of")):
        with pytest.raises(ValueError, match=match):
            PlainAE(**params).check_params()


def test_the_reconstruction_term_is_the_mean_or_the_per_image_sum():
    recon, x = torch.full((2, 4), 0.5), torch.tensor([[0.0, 0.0, 1.0, 1.0], [0.5, 0.5, 0.5, 0.5]])
    assert PlainAE()._reconstruction_loss(recon, x).item() == pytest.approx(0.125)
    assert PlainAE(reconstruction_reduction="sum")._reconstruction_loss(recon, x).item() == pytest.approx(0.5)


def test_fit_from_takes_over_a_shorter_warm_up_and_refuses_a_longer_one():
    warm = PlainAE(epochs=2).fit(X)
    longer = PlainAE(epochs=3).fit_from(warm, X)
    assert longer.epochs_done_ == 3 and longer.history_[:2] == warm.history_
    with pytest.raises(ValueError, match="warm has 2 epochs, more than epochs=1"):
        PlainAE(epochs=1).fit_from(warm, X)
    with pytest.raises(ValueError, match="different architecture"):
        PlainAE(epochs=3, latent_dim=6).fit_from(warm, X)


def test_a_class_without_presets_says_so():
    with pytest.raises(ValueError, match="no presets for ''"):
        PlainAE.from_reading("printed")
