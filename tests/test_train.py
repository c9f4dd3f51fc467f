"""The model-agnostic mini-batch loop."""
from __future__ import annotations

import pytest
import torch

from osa_lib.train import run_epochs, seeded_generator


def loop(batch_loss, parameter, n_samples=10, **kwargs):
    kwargs = {"epochs": 2, "batch_size": 4, "generator": seeded_generator(0), "progress": False, **kwargs}
    return run_epochs(batch_loss, torch.optim.SGD([parameter], lr=0.1), n_samples, **kwargs)


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_non_finite_loss_raises_floating_point_error(bad):
    p = torch.nn.Parameter(torch.ones(3))

    def batch_loss(idx):
        return (p * bad).sum()

    with pytest.raises(FloatingPointError, match="epoch 1"):
        loop(batch_loss, p, desc="toy")


def test_nan_in_a_later_epoch_names_that_epoch():
    p = torch.nn.Parameter(torch.ones(1))
    calls = []

    def batch_loss(idx):
        calls.append(len(idx))
        bad = len(calls) > 3          # epoch 1 has 3 batches; NaN from epoch 2 on
        return (p * (float("nan") if bad else 1.0)).sum()

    with pytest.raises(FloatingPointError, match="epoch 2"):
        loop(batch_loss, p, epochs=3)


@pytest.mark.parametrize("kwargs,n", [(dict(epochs=0), 10), (dict(batch_size=0), 10), ({}, 0)])
def test_rejects_empty_loops(kwargs, n):
    p = torch.nn.Parameter(torch.ones(1))
    with pytest.raises(ValueError, match=">= 1"):
        loop(lambda idx: p.sum(), p, n_samples=n, **kwargs)


def test_every_example_once_per_epoch_and_last_small_batch_kept():
    p = torch.nn.Parameter(torch.zeros(1))
    batches = []

    def batch_loss(idx):
        batches.append(idx.clone())
        return 0.0 * p.sum() + float(len(idx))   # loss = batch size, p stays put

    history = loop(batch_loss, p, n_samples=10, epochs=2, batch_size=4)
    assert [len(b) for b in batches] == [4, 4, 2, 4, 4, 2]
    for epoch in range(2):
        seen = torch.cat(batches[3 * epoch:3 * epoch + 3])
        assert sorted(seen.tolist()) == list(range(10))
        assert seen.dtype == torch.int64
    assert not torch.equal(torch.cat(batches[:3]), torch.cat(batches[3:]))   # reshuffled
    # the epoch loss is the example-weighted mean: (4*4 + 4*4 + 2*2) / 10
    assert history == pytest.approx([3.6, 3.6])


def test_same_generator_seed_same_batches():
    def order(seed):
        p = torch.nn.Parameter(torch.zeros(1))
        seen = []
        loop(lambda idx: seen.append(idx.clone()) or p.sum(), p, generator=seeded_generator(seed))
        return torch.cat(seen)

    assert torch.equal(order(3), order(3))
    assert not torch.equal(order(3), order(4))


def test_optimizer_steps_and_callback_sees_every_epoch():
    p = torch.nn.Parameter(torch.tensor([2.0]))
    seen = []
    history = loop(lambda idx: (p ** 2).sum(), p, epochs=3, on_epoch_end=lambda e, loss: seen.append((e, loss)))
    assert [e for e, _ in seen] == [0, 1, 2]
    assert [loss for _, loss in seen] == history
    assert history[0] > history[1] > history[2]
    assert abs(p.item()) < 2.0


def test_seeded_generator():
    assert torch.equal(torch.randperm(20, generator=seeded_generator(1)),
                       torch.randperm(20, generator=seeded_generator(1)))
    assert seeded_generator(5).initial_seed() == 5
    assert isinstance(seeded_generator(None), torch.Generator)


# --------------------------------------------------------------------------- what every estimator's fit shares

def test_seeded_module_depends_only_on_the_seed_and_leaves_the_global_generator_alone():
    from osa_lib.train import seeded_generator, seeded_module

    torch.manual_seed(123)
    before = torch.random.get_rng_state()
    a = seeded_module(lambda: torch.nn.Linear(4, 3), seeded_generator(7))
    assert torch.equal(torch.random.get_rng_state(), before)
    b = seeded_module(lambda: torch.nn.Linear(4, 3), seeded_generator(7))
    c = seeded_module(lambda: torch.nn.Linear(4, 3), seeded_generator(8))
    assert torch.equal(a.weight, b.weight) and not torch.equal(a.weight, c.weight)


def test_fork_seed_is_reproducible_and_advances_the_generator():
    from osa_lib.train import fork_seed, seeded_generator

    g, h = seeded_generator(3), seeded_generator(3)
    draws = [fork_seed(g) for _ in range(3)]
    assert draws == [fork_seed(h) for _ in range(3)] and all(0 <= d < 2**31 - 1 for d in draws)
    assert len(set(draws)) == 3                                       # each draw moves the generator on


def test_n_parameters_counts_what_is_learned():
    from osa_lib.train import n_parameters

    model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.BatchNorm1d(3))
    assert n_parameters(model) == 4 * 3 + 3 + 3 + 3                 # batch-norm buffers are not parameters
    model[0].weight.requires_grad_(False)
    assert n_parameters(model) == 3 + 3 + 3 and n_parameters(model, trainable_only=False) == 21


def test_an_epoch_callback_does_nothing_unless_told():
    from osa_lib.train import EpochCallback

    cb = EpochCallback()
    assert cb.should_stop(None) is False
    assert cb.on_epoch_end(None, stopping=True) is None and cb.on_train_end(None) is None
