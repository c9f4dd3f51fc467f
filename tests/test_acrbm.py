"""The ACRBM layer and its losses (eq 8, 9, 13-15) on hand-worked cases."""
from __future__ import annotations

import math

import pytest
import torch

from osa_lib.acrbm import (ACRBM, EPS, acrbm_loss, cluster_gram, confidence_loss, loss_and_logit_grad, n_parameters,
                           softmax_rows)


def literal_acrbm_loss(h: torch.Tensor, eps: float = EPS) -> torch.Tensor:
    """Eq 13-14 exactly as printed: u = h^T h, eta = u row-normalised, -mean(log diag eta)."""
    u = h.T @ h
    eta = u / (u.sum(dim=1, keepdim=True) + eps)
    return -torch.log(torch.diagonal(eta) + eps).mean()


def random_codes(b: int, k: int, seed: int = 0, dtype=torch.float64) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.softmax(2.0 * torch.randn(b, k, generator=g, dtype=dtype), dim=1)


# --------------------------------------------------------------------------- acrbm_loss, hand cases

@pytest.mark.parametrize("k", [2, 3, 10])
def test_one_hot_rows_covering_every_cluster_give_zero(k):
    labels = torch.arange(3 * k) % k          # every cluster holds three members
    h = torch.nn.functional.one_hot(labels, k).double()
    assert acrbm_loss(h).item() == pytest.approx(0.0, abs=1e-7)


@pytest.mark.parametrize("b,k", [(1, 2), (7, 3), (64, 10), (5, 30)])
def test_uniform_codes_give_log_k(b, k):
    # u_ii = B/K^2, row sum = B/K, so eta_ii = 1/K and the loss is log K.
    h = torch.full((b, k), 1.0 / k, dtype=torch.float64)
    assert acrbm_loss(h).item() == pytest.approx(math.log(k), rel=1e-6)


@pytest.mark.parametrize("k", [2, 4, 10])
def test_one_empty_cluster_costs_minus_log_eps_over_k(k):
    labels = torch.arange(2 * (k - 1)) % (k - 1)   # cluster k-1 stays empty
    h = torch.nn.functional.one_hot(labels, k).double()
    expected = -math.log(EPS) / k
    assert acrbm_loss(h).item() == pytest.approx(expected, rel=1e-6)
    # it is a large penalty, not NaN
    assert expected > 1.0


def test_three_by_two_hand_case():
    # column 0 = (1, 1, .5): u_00 = 2.25, row sum = 2.5 -> eta_00 = 0.9
    # column 1 = (0, 0, .5): u_11 = 0.25, row sum = 0.5 -> eta_11 = 0.5
    h = torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.5, 0.5]], dtype=torch.float64)
    expected = -(math.log(0.9) + math.log(0.5)) / 2
    assert acrbm_loss(h).item() == pytest.approx(expected, rel=1e-7)


def test_two_by_two_hand_case():
    # h = [[.8, .2], [.2, .8]]: u = [[.68, .32], [.32, .68]], eta_ii = .68 -> loss = -log .68
    h = torch.tensor([[0.8, 0.2], [0.2, 0.8]], dtype=torch.float64)
    assert acrbm_loss(h).item() == pytest.approx(-math.log(0.68), rel=1e-7)


@pytest.mark.parametrize("b,k,seed", [(1, 2, 0), (17, 3, 1), (256, 10, 2), (50, 30, 3)])
def test_equals_literal_formula_on_softmax_rows(b, k, seed):
    h = random_codes(b, k, seed)
    torch.testing.assert_close(acrbm_loss(h), literal_acrbm_loss(h), rtol=1e-10, atol=1e-12)


def test_equals_literal_formula_when_rows_do_not_sum_to_one():
    # the direct diag / row-sum form is the literal formula for any h, not only softmax rows
    g = torch.Generator().manual_seed(5)
    h = torch.rand(20, 4, generator=g, dtype=torch.float64) * 3.0
    torch.testing.assert_close(acrbm_loss(h), literal_acrbm_loss(h), rtol=1e-10, atol=1e-12)


def test_float32_agrees_with_float64():
    h = random_codes(128, 10, seed=7)
    assert acrbm_loss(h.float()).item() == pytest.approx(acrbm_loss(h).item(), rel=1e-5)


def test_loss_is_positive_for_soft_codes():
    # eta_ii = sum h^2 / sum h < 1 unless column i is 0/1 valued, so every term is > 0
    assert acrbm_loss(random_codes(300, 5, seed=11)).item() > 0.0


# --------------------------------------------------------------------------- gradients

def test_gradcheck_through_softmax_in_float64():
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(6, 3, generator=g, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda z: acrbm_loss(torch.softmax(z, dim=1)), (logits,),
                                    eps=1e-6, atol=1e-6)


def test_gradcheck_direct_in_h():
    h = random_codes(5, 4, seed=3).requires_grad_(True)
    assert torch.autograd.gradcheck(acrbm_loss, (h,), eps=1e-6, atol=1e-6)


def test_gradient_descent_on_free_logits_makes_rows_confident_and_uses_every_cluster():
    torch.manual_seed(0)
    b, k = 60, 4
    logits = (0.01 * torch.randn(b, k)).requires_grad_(True)
    start = acrbm_loss(torch.softmax(logits, 1)).item()
    optimizer = torch.optim.Adam([logits], lr=0.1)
    for _ in range(300):
        loss = acrbm_loss(torch.softmax(logits, 1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    h = torch.softmax(logits, 1).detach()
    end = acrbm_loss(h).item()
    assert start == pytest.approx(math.log(k), rel=0.05)   # nearly uniform at the start
    assert end < 0.05 * start
    assert h.max(dim=1).values.mean().item() > 0.95        # confident rows
    assert torch.unique(h.argmax(1)).numel() == k           # no empty cluster


# --------------------------------------------------------------------------- confidence_loss (eq 15)

@pytest.mark.parametrize("k", [2, 10, 30])
def test_collapse_is_a_global_minimum_of_eq15_but_costly_for_eq14(k):
    h = torch.zeros(40, k, dtype=torch.float64)
    h[:, 0] = 1.0                                        # every example in cluster 0
    assert confidence_loss(h).item() == pytest.approx(0.0, abs=1e-7)
    # eq 15 is non-negative for probability rows, so 0 is its global minimum
    assert confidence_loss(random_codes(40, k, seed=1)).item() > 0.0
    assert acrbm_loss(h).item() == pytest.approx(-math.log(EPS) * (k - 1) / k, rel=1e-6)


def test_eq15_cannot_tell_balanced_from_collapsed():
    balanced = torch.nn.functional.one_hot(torch.arange(12) % 3, 3).double()
    collapsed = torch.nn.functional.one_hot(torch.zeros(12, dtype=torch.long), 3).double()
    assert confidence_loss(balanced).item() == pytest.approx(confidence_loss(collapsed).item(), abs=1e-7)
    assert acrbm_loss(balanced).item() < 1e-6 < acrbm_loss(collapsed).item()


@pytest.mark.parametrize("b,k,seed", [(1, 2, 0), (33, 5, 1), (200, 10, 2)])
def test_eq15_denominator_is_batch_size_for_probability_rows(b, k, seed):
    h = random_codes(b, k, seed)
    expected = -math.log((h * h).sum().item() / b)
    assert confidence_loss(h).item() == pytest.approx(expected, rel=1e-6)


def test_eq15_denominator_is_sum_of_squared_row_sums_in_general():
    h = 2.0 * random_codes(10, 3, seed=4)                # rows sum to 2: denominator 4 B
    expected = -math.log((h * h).sum().item() / (4 * 10))
    assert confidence_loss(h).item() == pytest.approx(expected, rel=1e-6)


def test_eq15_of_uniform_codes_is_log_k():
    h = torch.full((9, 6), 1.0 / 6, dtype=torch.float64)
    assert confidence_loss(h).item() == pytest.approx(math.log(6), rel=1e-6)


# --------------------------------------------------------------------------- argument checks

@pytest.mark.parametrize("fn", [acrbm_loss, confidence_loss, cluster_gram])
@pytest.mark.parametrize("shape", [(5,), (2, 3, 4), (5, 0), (0, 3)])
def test_losses_reject_bad_shapes(fn, shape):
    with pytest.raises(ValueError):
        fn(torch.full(shape, 0.5))


def test_cluster_gram_is_h_transpose_h():
    h = random_codes(8, 3, seed=9)
    torch.testing.assert_close(cluster_gram(h), h.T @ h)
    assert cluster_gram(h).shape == (3, 3)


# --------------------------------------------------------------------------- the ACRBM module

@pytest.mark.parametrize("k", [10, 30])
def test_module_shapes_and_parameter_count(k):
    layer = ACRBM(784, k)
    assert n_parameters(layer) == 784 * k + k
    assert layer.weight.shape == (784, k) and layer.hidden_bias.shape == (k,)
    v = torch.rand(5, 784)
    h = layer(v)
    assert h.shape == (5, k)
    torch.testing.assert_close(h.sum(dim=1), torch.ones(5))
    assert layer.reconstruct(h).shape == (5, 784)


def test_n_parameters_counts_trainable_by_default_and_all_on_request():
    layer = ACRBM(6, 3)
    layer.hidden_bias.requires_grad_(False)
    layer.register_buffer("running", torch.zeros(100))            # buffers never count
    assert n_parameters(layer) == 6 * 3
    assert n_parameters(layer, trainable_only=False) == 6 * 3 + 3


def test_forward_is_softmax_of_v_w_plus_b():
    torch.manual_seed(0)
    layer = ACRBM(6, 3)
    with torch.no_grad():
        layer.hidden_bias.copy_(torch.tensor([0.5, -1.0, 2.0]))
    v = torch.rand(4, 6)
    expected = torch.softmax(v @ layer.weight + layer.hidden_bias, dim=1)
    torch.testing.assert_close(layer(v), expected)
    torch.testing.assert_close(layer.logits(v), v @ layer.weight + layer.hidden_bias)


def test_reconstruct_uses_the_tied_weight_and_no_visible_bias():
    torch.manual_seed(0)
    layer = ACRBM(6, 3)
    h = torch.softmax(torch.randn(4, 3), dim=1)
    before = layer.reconstruct(h).detach().clone()
    torch.testing.assert_close(before, torch.sigmoid(h @ layer.weight.T).detach())
    with torch.no_grad():
        layer.weight.add_(0.5)
    after = layer.reconstruct(h).detach()
    assert not torch.allclose(before, after)
    torch.testing.assert_close(after, torch.sigmoid(h @ layer.weight.T).detach())
    # the reconstruction does not depend on the hidden bias
    with torch.no_grad():
        layer.hidden_bias.add_(3.0)
    torch.testing.assert_close(layer.reconstruct(h).detach(), after)


def test_same_seed_same_initialisation():
    torch.manual_seed(3)
    a = ACRBM(10, 4)
    torch.manual_seed(3)
    b = ACRBM(10, 4)
    torch.testing.assert_close(a.weight, b.weight)
    assert not torch.all(a.weight == 0)
    torch.testing.assert_close(a.hidden_bias, torch.zeros(4))


@pytest.mark.parametrize("shape", [(784,), (2, 783), (2, 1, 28, 28)])
def test_module_rejects_wrong_input_shapes(shape):
    with pytest.raises(ValueError, match="784"):
        ACRBM(784, 10)(torch.rand(*shape))


@pytest.mark.parametrize("shape", [(10,), (2, 9), (2, 11)])
def test_reconstruct_rejects_wrong_code_shapes(shape):
    with pytest.raises(ValueError, match="10"):
        ACRBM(784, 10).reconstruct(torch.rand(*shape))


@pytest.mark.parametrize("k", [0, -3])
def test_module_rejects_fewer_than_one_cluster(k):
    with pytest.raises(ValueError, match="n_clusters"):
        ACRBM(784, k)


def test_one_cluster_has_a_constant_loss_and_a_zero_gradient():
    h = torch.ones(6, 1)                      # softmax of one unit
    for loss in ("acrbm", "confidence"):
        value, dz = loss_and_logit_grad(h, loss)
        assert torch.isfinite(value) and torch.equal(dz, torch.zeros_like(h))


def test_module_rejects_empty_visible_layer():
    with pytest.raises(ValueError, match="n_visible"):
        ACRBM(0, 10)


# --------------------------------------------------------------------------- hand-written gradients

@pytest.mark.parametrize("loss,fn", [("acrbm", acrbm_loss), ("confidence", confidence_loss)])
@pytest.mark.parametrize("scale", [0.1, 5.0, 40.0])      # soft to nearly one-hot rows
def test_loss_and_logit_grad_match_autograd(loss, fn, scale):
    z = (torch.randn(64, 7, generator=torch.Generator().manual_seed(3), dtype=torch.float64) * scale)
    z.requires_grad_()
    value = fn(torch.softmax(z, dim=1))
    value.backward()
    with torch.no_grad():
        hand_value, dz = loss_and_logit_grad(softmax_rows(z), loss)
        # a cluster-major (transposed) layout gives the same numbers
        value_t, dz_t = loss_and_logit_grad(softmax_rows(z.T.contiguous().T), loss)
    torch.testing.assert_close(hand_value, value.detach(), rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(dz, z.grad, rtol=1e-9, atol=1e-12)
    torch.testing.assert_close(dz_t, dz, rtol=1e-12, atol=1e-15)


def test_softmax_rows_equals_torch_softmax_and_rejects_unknown_losses():
    z = torch.randn(50, 10) * 20
    torch.testing.assert_close(softmax_rows(z), torch.softmax(z, dim=1))
    with pytest.raises(ValueError, match="eq16"):
        loss_and_logit_grad(torch.softmax(z, dim=1), "eq16")
