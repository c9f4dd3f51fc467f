"""The derivations chapter's library code: linear autoencoders (eq 4-7), eq 8-16 helpers, ShallowACRBM(loss=...)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from osa_lib import ShallowACRBM
from osa_lib.clustering import codes, derivation_maths, linear_ae
from osa_lib.train import seeded_generator


def semi_orthogonal(V: int, D: int, seed: int = 0) -> np.ndarray:
    q, _ = np.linalg.qr(np.random.default_rng(seed).normal(size=(V, D)))
    return q


def low_rank_rows(n: int = 300, V: int = 20, rank: int = 3, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(n, rank)) @ rng.normal(size=(rank, V)) + 0.01 * rng.normal(size=(n, V))).astype(np.float32)


# --------------------------------------------------------------------------- linear autoencoders (eq 4-7)

@pytest.mark.parametrize("cls", [linear_ae.TiedLinearAE, linear_ae.UntiedLinearAE])
def test_linear_ae_shapes(cls):
    model = cls(12, 4, generator=seeded_generator(0))
    v = torch.rand(5, 12)
    assert model.encode(v).shape == (5, 4)
    assert model(v).shape == (5, 12)
    W, B = model.factors()
    assert W.shape == (12, 4) and B.shape == (4, 12) and W.dtype == np.float64
    assert linear_ae.reconstruction_operator(W, None if cls is linear_ae.TiedLinearAE else B).shape == (12, 12)


def test_tied_forward_is_v_w_wt():
    model = linear_ae.TiedLinearAE(6, 2, generator=seeded_generator(1))
    v = torch.rand(3, 6)
    W = model.weight.detach()
    torch.testing.assert_close(model(v).detach(), v @ W @ W.T)


def test_same_generator_seed_same_init():
    a = linear_ae.UntiedLinearAE(8, 3, generator=seeded_generator(5))
    b = linear_ae.UntiedLinearAE(8, 3, generator=seeded_generator(5))
    assert torch.equal(a.weight, b.weight) and torch.equal(a.decoder, b.decoder)


def test_semi_orthogonal_w_is_a_projection():
    W = semi_orthogonal(10, 3)
    assert linear_ae.projection_defect(W) < 1e-12
    assert linear_ae.semi_orthogonality_defect(W) < 1e-12
    np.testing.assert_allclose(linear_ae.operator_eigenvalues(W), np.ones(3), atol=1e-12)


def test_untied_product_is_a_projection_while_w_alone_is_not():
    P = semi_orthogonal(10, 3)
    A = np.array([[2.0, 0.3, 0.0], [0.0, 0.5, 0.1], [0.2, 0.0, 1.5]])
    W, beta = P @ A, np.linalg.inv(A) @ P.T
    assert linear_ae.projection_defect(W, beta) < 1e-12
    assert linear_ae.semi_orthogonality_defect(W) > 0.5
    np.testing.assert_allclose(linear_ae.operator_eigenvalues(W, beta).real, np.ones(3), atol=1e-12)
    assert linear_ae.subspace_overlap(W, P) == pytest.approx(1.0)


def test_projection_defect_matches_the_direct_formula():
    rng = np.random.default_rng(2)
    W, beta = rng.normal(size=(7, 2)), rng.normal(size=(2, 7))
    for M, args in ((W @ W.T, (W,)), (W @ beta, (W, beta))):
        direct = np.linalg.norm(M @ M - M) / np.linalg.norm(M)
        assert linear_ae.projection_defect(*args) == pytest.approx(direct, rel=1e-10)
    assert linear_ae.projection_defect(np.zeros((5, 2))) == 1.0


def test_optimal_error_and_subspace_match_numpy_svd():
    X = np.random.default_rng(3).random((40, 9))
    _, _, vt = np.linalg.svd(X, full_matrices=False)
    P = vt[:3].T
    assert linear_ae.optimal_linear_error(X, 3) == pytest.approx(((X - X @ P @ P.T) ** 2).mean(), rel=1e-9)
    assert linear_ae.subspace_overlap(linear_ae.principal_subspace(X, 3), P) == pytest.approx(1.0)
    Xc = X - X.mean(axis=0)
    _, _, vt = np.linalg.svd(Xc, full_matrices=False)
    Pc = vt[:3].T
    assert linear_ae.optimal_linear_error(X, 3, center=True) == pytest.approx(
        ((Xc - Xc @ Pc @ Pc.T) ** 2).mean(), rel=1e-9)
    assert linear_ae.linear_reconstruction_error(X, P) == pytest.approx(linear_ae.optimal_linear_error(X, 3))


def test_training_a_tied_ae_moves_it_towards_a_projection():
    X = low_rank_rows()
    model = linear_ae.TiedLinearAE(X.shape[1], 3, generator=seeded_generator(0))
    before = linear_ae.linear_ae_summary(model, X, linear_ae.principal_subspace(X, 3))
    history = linear_ae.fit_linear_ae(model, X, epochs=40, batch_size=64, lr=1e-2, random_state=0)
    after = linear_ae.linear_ae_summary(model, X, linear_ae.principal_subspace(X, 3))
    assert len(history) == 40 and history[-1] < history[0]
    assert after["projection_defect"] < 0.1 < before["projection_defect"]
    assert after["semi_orthogonality_defect"] < before["semi_orthogonality_defect"]
    assert after["mse"] < 1.5 * linear_ae.optimal_linear_error(X, 3)
    assert after["subspace_overlap"] > 0.95


@pytest.mark.parametrize("call, message", [
    (lambda: linear_ae.TiedLinearAE(3, 5), "must not exceed"),
    (lambda: linear_ae.UntiedLinearAE(0, 1), "n_visible"),
    (lambda: linear_ae.TiedLinearAE(5, 2, init_std=0.0), "init_std"),
    (lambda: linear_ae.projection_defect(np.ones((2, 5))), "D <= V"),
    (lambda: linear_ae.projection_defect(np.ones((5, 2)), np.ones((5, 2))), "beta"),
    (lambda: linear_ae.semi_orthogonality_defect(np.array([[np.nan], [1.0]])), "NaN"),
    (lambda: linear_ae.semi_orthogonality_defect(np.ones(4)), "2-D"),
    (lambda: linear_ae.principal_subspace(np.ones((4, 3)), 4), "n_latent"),
    (lambda: linear_ae.optimal_linear_error(np.ones((4, 3)), 0), "n_latent"),
    (lambda: linear_ae.subspace_overlap(np.ones((5, 2)), np.ones((5, 3))), "shape"),
    (lambda: linear_ae.fit_linear_ae(linear_ae.TiedLinearAE(4, 2), np.ones((3, 5)), epochs=1), "columns"),
    (lambda: linear_ae.fit_linear_ae(linear_ae.TiedLinearAE(4, 2), np.ones((3, 4)), epochs=1, lr=-1.0), "lr"),
])
def test_linear_ae_bad_inputs_raise(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# --------------------------------------------------------------------------- eq 8-16 helpers

def test_free_codes_eq14_reaches_one_hot_codes_in_every_cluster():
    h, history = derivation_maths.minimise_free_codes(32, 4, loss="acrbm", steps=200, random_state=0)
    assert h.shape == (32, 4) and len(history) == 201
    np.testing.assert_allclose(h.sum(axis=1), 1.0)
    assert history[-1] < 0.01 < history[0]
    assert codes.cluster_usage(h) == 1.0
    assert h.max(axis=1).min() > 0.99


def test_free_codes_from_a_head_start_eq15_stays_collapsed_eq14_does_not():
    runs = derivation_maths.free_code_runs(32, 4, steps=200, head_start=4.0, random_state=0)
    assert set(runs) == {(loss, start) for loss in ("eq 14", "eq 15") for start in derivation_maths.FREE_CODE_STARTS}
    start = derivation_maths.FREE_CODE_STARTS[1]
    assert codes.cluster_usage(runs[("eq 14", start)]["h"]) == 1.0
    assert codes.cluster_usage(runs[("eq 15", start)]["h"]) < 1.0
    summary = derivation_maths.code_summary(runs[("eq 15", start)]["h"])
    assert summary["eq15"] < 0.01 and summary["eq14"] > 1.0


def test_free_codes_same_seed_same_result():
    a, _ = derivation_maths.minimise_free_codes(8, 3, steps=5, random_state=3)
    b, _ = derivation_maths.minimise_free_codes(8, 3, steps=5, random_state=3)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("kwargs, message", [
    (dict(loss="eq14"), "loss must be one of"),
    (dict(n_clusters=1), "n_clusters"),
    (dict(steps=0), "steps"),
    (dict(lr=0.0), "lr"),
    (dict(logit_offset=[1.0, 2.0]), "logit_offset"),
])
def test_free_codes_bad_inputs_raise(kwargs, message):
    args = {"n_rows": 4, "n_clusters": 3, **kwargs}
    with pytest.raises(ValueError, match=message):
        derivation_maths.minimise_free_codes(args.pop("n_rows"), args.pop("n_clusters"), **args)


def test_loss_values_at_reference_codes():
    collapsed = derivation_maths.loss_values(derivation_maths.one_hot_codes(np.zeros(12, dtype=int), 3))
    balanced = derivation_maths.loss_values(derivation_maths.one_hot_codes(np.arange(12) % 3, 3))
    assert abs(collapsed["eq15"]) < 1e-6 and collapsed["eq14"] > 5.0      # eq 15 admits collapse, eq 14 does not
    assert abs(balanced["eq15"]) < 1e-6 and abs(balanced["eq14"]) < 1e-6
    with pytest.raises(ValueError, match="labels"):
        derivation_maths.one_hot_codes([0, 3], 3)


def test_symbolic_eta_identity_and_eq15_denominator():
    sp = pytest.importorskip("sympy")
    assert derivation_maths.symbolic_eta_identity(2, 2) == [0, 0]
    h, free = derivation_maths.symbolic_codes(2, 3)
    assert h.shape == (2, 3) and len(free) == 4
    assert all(sp.simplify(sum(h[b, :]) - 1) == 0 for b in range(2))
    _, denominator = derivation_maths.symbolic_eq15_parts(h)
    assert denominator == 2                                               # the batch size m


def test_logit_inverts_the_sigmoid_and_needs_clip_for_0_and_1():
    x = np.linspace(-5, 5, 11)
    np.testing.assert_allclose(derivation_maths.logit(1 / (1 + np.exp(-x))), x, atol=1e-12)
    with pytest.raises(ValueError, match="clip"):
        derivation_maths.logit(np.array([0.0, 0.5]))
    assert np.isfinite(derivation_maths.logit(np.array([0.0, 1.0]), clip=1e-3)).all()
    with pytest.raises(ValueError, match="clip"):
        derivation_maths.logit(np.array([0.5]), clip=0.7)


def test_squared_form_is_exact_for_the_models_own_reconstruction():
    rng = np.random.default_rng(0)
    W = rng.normal(size=(15, 4))
    H = rng.dirichlet(np.ones(4), size=9)
    own = derivation_maths.squared_form_comparison(W, H)
    assert own["relative_gap"] < 1e-12 and own["cosine"] == pytest.approx(1.0)
    data = derivation_maths.squared_form_comparison(W, H, rng.random((9, 15)), clip=1e-3)
    assert data["relative_gap"] > 0.01
    with pytest.raises(ValueError, match="same K"):
        derivation_maths.squared_form_comparison(W, H[:, :3])
    with pytest.raises(ValueError, match="shape"):
        derivation_maths.squared_form_comparison(W, H, rng.random((9, 14)))


def test_gram_summary_of_one_hot_and_uniform_codes():
    one_hot = derivation_maths.gram_summary(derivation_maths.one_hot_codes(np.arange(8) % 4, 4))
    assert one_hot == {"diagonal_mass": 1.0, "offdiag_norm_share": 0.0, "offdiag_small_fraction": 1.0}
    uniform = derivation_maths.gram_summary(np.full((8, 4), 0.25))
    assert uniform["diagonal_mass"] == pytest.approx(0.25) and uniform["offdiag_small_fraction"] == 0.0


# --------------------------------------------------------------------------- ShallowACRBM(loss=...)

def test_eq15_training_collapses_to_fewer_clusters_than_eq14(make_clusters):
    """Checked beforehand over 3 data seeds x 20 model seeds x 3/5/10 epochs: eq 14 always used
    all 4 clusters, eq 15 at most 3."""
    X, y = make_clusters(400, 64, 4, noise=0.1, seed=0)
    usage = {}
    for loss in ("acrbm", "confidence"):
        model = ShallowACRBM(4, epochs=5, batch_size=64, random_state=0, progress=False, loss=loss).fit(X)
        usage[loss] = codes.cluster_usage(model.transform(X))
        readout = derivation_maths.readout(model, X, y)
        assert readout["cluster_sizes"].sum() == len(X) and len(readout["cluster_sizes"]) == 4
    assert usage["acrbm"] == 1.0
    assert usage["confidence"] < usage["acrbm"]


def test_loss_is_stored_untouched_and_validated_in_fit(make_clusters):
    X, _ = make_clusters(60, 16, 2, seed=0)
    model = ShallowACRBM(2, epochs=1, progress=False, loss="nope")        # no validation in __init__
    assert model.loss == "nope" and model.get_params()["loss"] == "nope"
    with pytest.raises(ValueError, match=r"loss must be one of \['acrbm', 'confidence'\], got 'nope'"):
        model.fit(X)
    with pytest.raises(ValueError, match="loss must be one of"):
        ShallowACRBM(2, epochs=1, progress=False, loss=["acrbm"]).fit(X)
    assert ShallowACRBM().loss == "acrbm"


def test_default_loss_is_eq14_and_progress_bar_names_the_loss(make_clusters, capsys):
    X, _ = make_clusters(60, 16, 2, seed=0)
    a = ShallowACRBM(2, epochs=2, progress=False).fit(X)
    b = ShallowACRBM(2, epochs=2, progress=False, loss="acrbm").fit(X)
    np.testing.assert_array_equal(a.transform(X), b.transform(X))
    ShallowACRBM(2, epochs=1, progress=True, loss="confidence").fit(X)
    assert "loss=confidence" in capsys.readouterr().err
