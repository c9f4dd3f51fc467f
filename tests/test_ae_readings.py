"""The readings of the one-stage protocol as AEACRBM / AEKMeans options: each sends the gradient where it says."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from ae_data import blob_images
from osa_lib.acrbm import acrbm_loss
from osa_lib.clustering.ae_acrbm import AEACRBM
from osa_lib.clustering.ae_kmeans import AEKMeans

TINY = dict(encoder_units=16, latent_dim=8, decoder_units=16)


def _model(**kw):
    X, y = blob_images(60)
    model = AEACRBM(3, epochs=1, lr=1e-2, progress=False, **TINY, **kw).fit(X)
    x = torch.from_numpy(X[:32])                  # rows (B, 784), as the dense model reads them
    return model, x


def _grads(model, term: str, x):
    """Gradients of one loss term on the encoder, head and decoder weights (None = not reached)."""
    module = model.module_
    module.zero_grad(set_to_none=True)
    recon, h_ae, h_head = model._forward(x)
    loss = model._reconstruction_loss(recon, x) if term == "reconstruction" else acrbm_loss(h_head)
    loss.backward()
    norm = lambda part: sum(0.0 if p.grad is None else float(p.grad.abs().sum()) for p in part.parameters())
    return {"encoder": norm(module.encoder), "head": norm(module.head), "decoder": norm(module.decoder)}


def test_printed_protocol_sends_both_terms_everywhere_they_can_go():
    model, x = _model()
    rec, acrbm = _grads(model, "reconstruction", x), _grads(model, "acrbm", x)
    assert rec["encoder"] > 0 and rec["head"] > 0 and rec["decoder"] > 0   # the decoder reads the head too
    assert acrbm["encoder"] > 0 and acrbm["head"] > 0 and acrbm["decoder"] == 0


def test_detached_head_learns_from_the_acrbm_term_alone():
    model, x = _model(head_gradient="detached")
    rec, acrbm = _grads(model, "reconstruction", x), _grads(model, "acrbm", x)
    assert acrbm["encoder"] == 0 and acrbm["head"] > 0
    assert rec["head"] == 0 and rec["encoder"] > 0 and rec["decoder"] > 0
    history = AEACRBM(3, epochs=1, head_gradient="detached", progress=False, **TINY).fit(
        *blob_images(60)[:1], eval_set=blob_images(60)).history_
    assert history[0]["grad_encoder_acrbm"] == 0 and history[0]["grad_encoder_reconstruction"] > 0


def test_detached_input_keeps_the_encoder_off_the_acrbm_term_but_lets_the_decoder_train_the_head():
    model, x = _model(head_gradient="detached_input")
    rec, acrbm = _grads(model, "reconstruction", x), _grads(model, "acrbm", x)
    assert acrbm["encoder"] == 0 and acrbm["head"] > 0
    assert rec["head"] > 0 and rec["encoder"] > 0 and rec["decoder"] > 0


def test_encoder_on_the_acrbm_loss_alone_decoder_on_detached_codes():
    model, x = _model(encoder_loss="acrbm")
    rec, acrbm = _grads(model, "reconstruction", x), _grads(model, "acrbm", x)
    assert rec["encoder"] == 0 and rec["head"] == 0 and rec["decoder"] > 0
    assert acrbm["encoder"] > 0 and acrbm["head"] > 0


def test_sum_reduction_is_784_times_the_mean_and_bce_is_a_cross_entropy():
    model, x = _model()
    recon = torch.rand_like(x)
    mean = model._reconstruction_loss(recon, x)
    model.set_params(reconstruction_reduction="sum")
    assert torch.allclose(model._reconstruction_loss(recon, x), 784 * mean, rtol=1e-5)
    model.set_params(reconstruction="bce", reconstruction_reduction="mean")
    expected = torch.nn.functional.binary_cross_entropy(recon.clamp(1e-6, 1 - 1e-6), x)
    assert torch.allclose(model._reconstruction_loss(recon, x), expected)


def test_lambda_scales_the_acrbm_term_of_the_loss():
    X, _ = blob_images(60)
    small = AEACRBM(3, epochs=1, lam=0.01, progress=False, **TINY).fit(X).history_[0]
    big = AEACRBM(3, epochs=1, lam=10.0, progress=False, **TINY).fit(X).history_[0]
    # Same seed, same first batch: the loss is reconstruction + lambda * acrbm for each epoch mean.
    for h in (small, big):
        assert h["loss"] == pytest.approx(h["reconstruction"] + h["lambda"] * h["acrbm"], rel=1e-5)
    assert big["lambda"] == 10.0 and small["lambda"] == 0.01


@pytest.mark.parametrize("cls", [AEACRBM, AEKMeans])
def test_glorot_init_gives_keras_weights_and_zero_biases(cls):
    X, _ = blob_images(40)
    kw = dict(kmeans_n_init=1) if cls is AEKMeans else {}
    glorot = cls(3, epochs=1, init="glorot", progress=False, **TINY, **kw)._build_module(784)
    default = cls(3, epochs=1, progress=False, **TINY, **kw)._build_module(784)
    first = glorot.encoder[1]                       # Linear(784, 16)
    bound = np.sqrt(6.0 / (784 + 16))
    weight = first.weight.detach()
    assert torch.all(first.bias == 0) and float(weight.abs().max()) <= bound
    assert float(weight.abs().max()) > 0.9 * bound         # uses the whole Glorot range
    assert not torch.all(default.encoder[1].bias == 0)


@pytest.mark.parametrize("param, value", [("reconstruction_reduction", "median"), ("head_gradient", "half"),
                                          ("encoder_loss", "decoder"), ("init", "he")])
def test_unknown_readings_raise_with_the_allowed_values(param, value):
    X, _ = blob_images(20)
    with pytest.raises(ValueError, match=param):
        AEACRBM(3, epochs=1, progress=False, **TINY, **{param: value}).fit(X)


def test_detached_and_acrbm_only_together_leave_the_encoder_without_a_loss():
    X, _ = blob_images(20)
    with pytest.raises(ValueError, match="without a loss"):
        AEACRBM(3, epochs=1, head_gradient="detached", encoder_loss="acrbm", progress=False, **TINY).fit(X)


def test_diagnostics_change_nothing_learned():
    X, y = blob_images(60)
    watched = AEACRBM(3, epochs=2, lr=1e-2, progress=False, **TINY).fit(X, eval_set=(X, y))
    plain = AEACRBM(3, epochs=2, lr=1e-2, progress=False, **TINY).fit(X)
    np.testing.assert_array_equal(watched.transform(X), plain.transform(X))
    first = watched.history_[0]
    assert first["grad_encoder_acrbm"] > 0 and first["grad_encoder_reconstruction"] > 0
    assert sum(first["eval_cluster_sizes"]) == len(X)


def test_a_checkpoint_written_before_the_options_existed_resumes(tmp_path):
    X, _ = blob_images(40)
    ckpt = tmp_path / "old.pt"
    AEACRBM(3, epochs=1, lam=1.0, progress=False, checkpoint=ckpt, **TINY).fit(X)
    state = torch.load(ckpt, weights_only=True)
    for new in ("reconstruction_reduction", "head_gradient", "encoder_loss", "init"):
        del state["params"][new]
    torch.save(state, ckpt)
    resumed = AEACRBM(3, epochs=2, lam=1.0, progress=False, checkpoint=ckpt, **TINY).fit(X)
    assert resumed.epochs_done_ == 2
    with pytest.raises(ValueError, match="init"):
        AEACRBM(3, epochs=3, lam=1.0, init="glorot", progress=False, checkpoint=ckpt, **TINY).fit(X)


# ----- the second screen's readings (issue "A fair and finished AE comparison", item 2) -----------------------

def test_pretrain_then_acrbm_only_trains_the_encoder_on_reconstruction_first_then_on_the_acrbm_term_alone():
    model, x = _model(warmup_epochs=1, encoder_loss="acrbm")
    module = model.module_

    def grads(term, phase):
        module.zero_grad(set_to_none=True)
        recon, h_ae, h_head = model._forward(x, phase)
        loss = model._reconstruction_loss(recon, x) if term == "reconstruction" else acrbm_loss(h_head)
        loss.backward()
        return sum(0.0 if p.grad is None else float(p.grad.abs().sum()) for p in module.encoder.parameters())

    assert grads("reconstruction", "warmup") > 0          # pre-training: reconstruction reaches the encoder
    assert grads("reconstruction", "joint") == 0          # then: the encoder no longer sees reconstruction
    assert grads("acrbm", "joint") > 0
    X, y = blob_images(60)
    history = AEACRBM(3, epochs=2, warmup_epochs=1, encoder_loss="acrbm", progress=False, **TINY).fit(
        X, eval_set=(X, y)).history_
    assert [h["phase"] for h in history] == ["warmup", "joint"] and [h["lambda"] for h in history] == [0.0, 1.0]
    assert history[0]["grad_encoder_reconstruction"] > 0 and history[1]["grad_encoder_reconstruction"] == 0


def test_summed_mse_with_a_detached_head_input_combines_both_routings():
    model, x = _model(reconstruction_reduction="sum", head_gradient="detached_input")
    rec, acrbm = _grads(model, "reconstruction", x), _grads(model, "acrbm", x)
    assert acrbm["encoder"] == 0 and acrbm["head"] > 0 and rec["encoder"] > 0 and rec["head"] > 0
    recon = torch.rand_like(x)
    assert torch.allclose(model._reconstruction_loss(recon, x), ((recon - x) ** 2).flatten(1).sum(1).mean())


def test_summed_cross_entropy_is_the_per_image_sum():
    model, x = _model(reconstruction="bce", reconstruction_reduction="sum")
    recon = torch.rand_like(x)
    expected = torch.nn.functional.binary_cross_entropy(recon.clamp(1e-6, 1 - 1e-6), x, reduction="none")
    assert torch.allclose(model._reconstruction_loss(recon, x), expected.flatten(1).sum(1).mean())


@pytest.mark.parametrize("cls", [AEACRBM, AEKMeans])
def test_beta1_reading_reaches_adam(cls):
    X, _ = blob_images(40)
    kw = dict(kmeans_n_init=1) if cls is AEKMeans else {}
    model = cls(3, epochs=1, betas=(0.9, 0.999), progress=False, **TINY, **kw).fit(X)
    assert model._optimizer.param_groups[0]["betas"] == (0.9, 0.999)


def test_every_reading_of_the_jobs_builds_the_estimator_it_names():
    from osa_lib.book.ae_chapter.ae_jobs import KMEANS_AE_READINGS, READINGS, SECOND_SCREEN_READINGS, AEJob

    assert set(SECOND_SCREEN_READINGS) <= set(READINGS)
    for experiment, table in (("ae_acrbm_10", READINGS), ("ae_acrbm_30", READINGS), ("ae_kmeans", KMEANS_AE_READINGS)):
        for reading, overrides in table.items():
            params = AEJob(experiment, 0, reading=reading).estimator().get_params()
            assert all(params[k] == v for k, v in overrides.items()), (experiment, reading)
    assert AEJob("ae_acrbm_10", 0, reading="lam1_3000").estimator().lam == pytest.approx(1 / 3000)
