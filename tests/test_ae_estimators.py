"""AEACRBM and AEKMeans (osa_lib.clustering.ae_acrbm, ae_kmeans, ae_checkpoint): validation, training, checkpoints, resume."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from ae_data import blob_images
from osa_lib.acrbm import n_parameters
from osa_lib.clustering.ae_acrbm import AEACRBM
from osa_lib.clustering.ae_kmeans import AEKMeans
from osa_lib.clustering.autoencoder import Autoencoder, table3_sizes
from osa_lib.metrics import cluster_accuracy
from osa_lib.train import EpochCallback

TINY = dict(encoder_units=16, latent_dim=8, decoder_units=16)


def test_unknown_sizes_raise():
    with pytest.raises(ValueError, match="unknown model size"):
        table3_sizes("ae_acrbm_20")
    with pytest.raises(ValueError, match="give all of"):
        AEACRBM(3, latent_dim=8, epochs=1, progress=False).fit(blob_images(20)[0])

@pytest.mark.parametrize("make_X, match", [
    (lambda X: X[0], "Expected 2D array, got 1D array"), (lambda X: X[:1], "1 sample"),
    (lambda X: np.where(np.arange(784) == 5, np.nan, X), "Input X contains NaN"),
])
def test_bad_inputs_raise(make_X, match):
    X, _ = blob_images(20)
    with pytest.raises(ValueError, match=match):
        AEACRBM(3, epochs=1, progress=False, **TINY).fit(make_X(X))

def test_only_the_conv_ablation_needs_square_images_and_only_bce_needs_unit_range():
    X, _ = blob_images(20)
    with pytest.raises(ValueError, match="architecture='conv' reads X's rows as square images"):
        AEACRBM(3, architecture="conv", epochs=1, progress=False, **TINY).fit(X[:, :783])
    with pytest.raises(ValueError, match=r"reconstruction='bce' .* needs X in \[0, 1\], got range"):
        AEACRBM(3, reconstruction="bce", epochs=1, progress=False, **TINY).fit(X * 3)
    for est in (AEACRBM(3, epochs=1, progress=False, **TINY), AEKMeans(3, epochs=1, progress=False, **TINY)):
        Z = X[:, :783] * 255 - 50                          # not an image, not in [0, 1]
        est.fit(Z)
        assert est.reconstruct(Z[:4]).shape == (4, 783) and est.predict(Z).shape == (20,)

@pytest.mark.parametrize("param, value", [("finetune", "both"), ("head_init", "pca"), ("lam", -1.0),
                                          ("reconstruction", "l1"), ("epochs", 0), ("betas", (0.9,)),
                                          ("architecture", "mlp")])
def test_bad_hyperparameters_raise(param, value):
    X, _ = blob_images(20)
    with pytest.raises(ValueError, match=param if param != "betas" else "betas"):
        AEACRBM(3, progress=False, **TINY, **{param: value}).fit(X)

def _fit_tiny(seed=0, **kw):
    X, y = blob_images()
    params = dict(epochs=4, warmup_epochs=3, head_init="kmeans", standardize=True, lam=0.1, lr=1e-2,
                  random_state=seed, progress=False, **TINY)
    params.update(kw)
    return AEACRBM(3, **params).fit(X, eval_set=(X, y)), X, y

def test_tiny_end_to_end_beats_chance_and_records_history():
    model, X, y = _fit_tiny()
    acc = cluster_accuracy(y, model.predict(X))
    assert acc > 0.6                                                      # chance is 1/3
    assert [h["phase"] for h in model.history_] == ["warmup"] * 3 + ["joint"]
    assert all("eval_accuracy_majority" in h and np.isfinite(h["loss"]) for h in model.history_)
    assert model.transform(X).shape == (len(X), 3) and model.latent(X).shape == (len(X), 8)
    assert model.reconstruct(X[:5]).shape == (5, 784)

def test_frozen_head_recipe_counts_every_parameter():
    frozen, _, _ = _fit_tiny(epochs=3, warmup_epochs=2, finetune="head")
    assert [h["phase"] for h in frozen.history_] == ["warmup", "warmup", "head"]
    assert frozen.n_parameters_ == n_parameters(Autoencoder(3, 16, 8, 16))
    assert all(p.requires_grad for p in frozen.module_.parameters())

def test_same_seed_same_predictions():
    a, X, _ = _fit_tiny(seed=3, epochs=2, warmup_epochs=1)
    b, _, _ = _fit_tiny(seed=3, epochs=2, warmup_epochs=1)
    np.testing.assert_array_equal(a.predict(X), b.predict(X))
    np.testing.assert_array_equal(a.transform(X), b.transform(X))

def test_checkpoint_round_trip_and_resume(tmp_path):
    model, X, _ = _fit_tiny(epochs=3, warmup_epochs=2)
    path = model.save(tmp_path / "m.pt")
    loaded = AEACRBM.load(path)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    np.testing.assert_array_equal(loaded.transform(X), model.transform(X))
    assert loaded.history_ == model.history_ and loaded.n_parameters_ == model.n_parameters_
    # Two epochs into a checkpoint, then a resumed fit to three = one uninterrupted fit.
    ckpt = tmp_path / "resume.pt"
    first, _, _ = _fit_tiny(epochs=2, warmup_epochs=2, checkpoint=ckpt)
    assert first.epochs_done_ == 2
    resumed, _, _ = _fit_tiny(epochs=3, warmup_epochs=2, checkpoint=ckpt)
    assert len(resumed.history_) == 3 and resumed.history_[:2] == first.history_
    np.testing.assert_array_equal(resumed.transform(X), model.transform(X))

def test_load_rejects_wrong_class(tmp_path):
    model, _, _ = _fit_tiny(epochs=1, warmup_epochs=0)
    path = model.save(tmp_path / "m.pt")
    with pytest.raises(ValueError, match="AEACRBM"):
        AEKMeans.load(path)

def test_fit_from_warm_start_matches_uninterrupted_fit():
    warm, X, _ = _fit_tiny(epochs=3, warmup_epochs=3)
    direct, _, _ = _fit_tiny(epochs=4, warmup_epochs=3)
    branched = AEACRBM(**direct.get_params()).fit_from(warm, X)
    np.testing.assert_allclose(branched.transform(X), direct.transform(X), atol=1e-6)

def test_ae_kmeans_label_free_choice_and_every_init(tmp_path):
    X, y = blob_images()
    model = AEKMeans(3, head_units=3, epochs=2, lr=1e-2, kmeans_n_init=4, random_state=0, progress=False,
                     checkpoint=tmp_path / "k.pt", **TINY).fit(X)
    assert model.kmeans_centers_.shape == (4, 3, 8)
    assert model.best_init_ == int(np.argmin(model.kmeans_inertia_))
    labels = model.predict_all_inits(X)
    assert labels.shape == (4, len(X))
    np.testing.assert_array_equal(labels[model.best_init_], model.predict(X))
    loaded = AEKMeans.load(tmp_path / "k.pt")
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))

class StopAfterEachEpoch(EpochCallback):
    def should_stop(self, estimator):
        return True


def test_callback_stop_and_resume_equal_one_uninterrupted_fit(tmp_path):
    """A fit stopped by a callback after each epoch and resumed from the checkpoint = one straight fit."""
    X, y = blob_images()
    params = dict(lam=1.0, lr=1e-2, random_state=4, progress=False, eval_every=1, **TINY)
    straight = AEACRBM(3, epochs=3, **params).fit(X, eval_set=(X, y))
    ckpt = tmp_path / "job.pt"
    model = AEACRBM(3, epochs=3, checkpoint=ckpt, checkpoint_every=100, **params)
    model.fit(X, eval_set=(X, y), callbacks=[StopAfterEachEpoch()])     # one epoch, then stop
    assert model.epochs_done_ == 1 and not model.complete_ and ckpt.exists()
    while not model.complete_:
        model = AEACRBM(3, epochs=3, checkpoint=ckpt, checkpoint_every=100, **params)
        model.fit(X, eval_set=(X, y), callbacks=[StopAfterEachEpoch()])
    assert [{k: v for k, v in h.items() if k != "time_s"} for h in model.history_] == \
        [{k: v for k, v in h.items() if k != "time_s"} for h in straight.history_]
    for a, b in zip(model.module_.state_dict().values(), straight.module_.state_dict().values()):
        assert torch.equal(a, b)

def test_checkpoint_of_another_model_or_corrupt_raises_and_is_kept(tmp_path):
    X, _ = blob_images(40)
    ckpt = tmp_path / "m.pt"
    AEACRBM(3, epochs=1, lam=1.0, progress=False, checkpoint=ckpt, **TINY).fit(X)
    before = ckpt.read_bytes()
    with pytest.raises(ValueError, match=r"other hyperparameters.*lam"):
        AEACRBM(3, epochs=2, lam=0.5, progress=False, checkpoint=ckpt, **TINY).fit(X)
    assert ckpt.read_bytes() == before
    ckpt.write_bytes(before[:100])
    with pytest.raises(ValueError, match="cannot be read.*delete it"):
        AEACRBM(3, epochs=2, lam=1.0, progress=False, checkpoint=ckpt, **TINY).fit(X)
    assert ckpt.read_bytes() == before[:100]

def test_kmeans_on_the_head_or_the_latent():
    X, _ = blob_images()
    model = AEKMeans(3, head_units=5, epochs=1, lr=1e-2, kmeans_n_init=2, random_state=0, progress=False,
                     **TINY).fit(X)
    assert model.transform(X).shape == (len(X), 8)
    model.set_params(kmeans_space="head", kmeans_standardize=False).fit_kmeans(X)
    assert model.kmeans_centers_.shape == (2, 3, 5) and model.transform(X).shape == (len(X), 5)
    with pytest.raises(ValueError, match="kmeans_space"):
        model.set_params(kmeans_space="pixels").fit_kmeans(X)


def test_checkpoint_format_is_the_one_earlier_files_have(tmp_path):
    """Files written before the checkpoint code moved (ae_checkpoint) hold these keys and params: they still resume."""
    X, y = blob_images()
    AEACRBM(3, epochs=1, lam=1.0, progress=False, checkpoint=tmp_path / "a.pt", **TINY).fit(X)
    state = torch.load(tmp_path / "a.pt", map_location="cpu", weights_only=True)
    assert set(state) == {"class", "params", "module", "optimizer", "optimizer_group", "generator", "epochs_done",
                          "history", "train_time_s", "kmeans_seed", "n_features_in", "extra"}
    assert set(state["params"]) == set(AEACRBM().get_params()) - {"checkpoint"}
    assert state["class"] == "AEACRBM" and state["epochs_done"] == 1
