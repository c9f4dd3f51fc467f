"""One model-agnostic mini-batch loop (minGPT's Trainer, cut down), and what every estimator's fit shares.

The loop knows nothing of the model: it draws shuffled index batches from a seeded
generator, asks ``batch_loss(idx)`` for a scalar, steps the optimizer and keeps the
mean loss of every epoch. Callers own the model, the data and the optimizer.

Shared by the estimators' ``fit``: :func:`seeded_generator` and :func:`seeded_module` (the same
``random_state`` gives the same batches and the same initial weights, without touching torch's
global generator), :func:`n_parameters`, and :class:`EpochCallback` (what an epoch loop tells
the code that watches it: a checkpoint, a deadline).
"""
from __future__ import annotations

from typing import Callable, TypeVar

import numpy as np
import torch
from tqdm import tqdm


def run_epochs(
    batch_loss: Callable[[torch.Tensor], torch.Tensor],
    optimizer: torch.optim.Optimizer,
    n_samples: int,
    *,
    epochs: int,
    batch_size: int,
    generator: torch.Generator,
    desc: str = "train",
    progress: bool = True,
    on_epoch_end: Callable[[int, float], None] | None = None,
) -> list[float]:
    """Run ``epochs`` passes of shuffled mini-batches; return the mean loss of each epoch.

    ``batch_loss`` receives a 1-D LongTensor of example indices (on the CPU) and
    returns a scalar tensor. The last, smaller batch of an epoch is kept (Keras's
    default, which the paper's tables assume). A NaN or infinite loss stops
    training with a ``FloatingPointError`` instead of producing a silent wrong model.
    """
    if epochs < 1 or batch_size < 1 or n_samples < 1:
        raise ValueError(f"epochs, batch_size and n_samples must be >= 1, got {epochs}, {batch_size}, {n_samples}")
    history: list[float] = []
    bar = tqdm(range(epochs), desc=desc, disable=not progress, leave=False)
    for epoch in bar:
        order = torch.randperm(n_samples, generator=generator)
        total = None
        for start in range(0, n_samples, batch_size):
            idx = order[start:start + batch_size]
            loss = batch_loss(idx)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            # Summed as a tensor: no device sync per step. A NaN sticks in the
            # weights, so checking the epoch mean below catches it.
            weighted = loss.detach() * len(idx)
            total = weighted if total is None else total + weighted
        mean_loss = total.item() / n_samples
        if not np.isfinite(mean_loss):
            raise FloatingPointError(f"{desc}: the loss became {mean_loss} in epoch {epoch + 1}")
        history.append(mean_loss)
        bar.set_postfix(loss=f"{history[-1]:.4f}")
        if on_epoch_end is not None:
            on_epoch_end(epoch, history[-1])
    return history


def seeded_generator(random_state: int | None) -> torch.Generator:
    """A CPU generator seeded with ``random_state`` (a fresh random seed when None)."""
    if random_state is None:
        random_state = int(np.random.SeedSequence().entropy % (2**63))
    g = torch.Generator()
    g.manual_seed(int(random_state))
    return g


M = TypeVar("M")


def fork_seed(generator: torch.Generator) -> int:
    """A new seed in [0, 2**31 - 1) drawn from ``generator`` (for a later, separate random stage)."""
    return int(torch.randint(0, 2**31 - 1, (1,), generator=generator).item())


def seeded_module(build: Callable[[], M], generator: torch.Generator) -> M:
    """``build()`` with torch's global generator seeded from ``generator``'s seed, then restored.

    The initial weights depend only on the estimator's ``random_state``; the caller's global
    random state is left as it was.
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(generator.initial_seed()))
        return build()


def n_parameters(module: torch.nn.Module, *, trainable_only: bool = True) -> int:
    """Number of scalars in ``module``'s parameters: the trainable ones (default), or all of them.

    The paper's tables count what is learned, so records use the default. Buffers (e.g.
    batch-norm running statistics) are never counted; frozen parameters count only with
    ``trainable_only=False``.
    """
    return sum(p.numel() for p in module.parameters() if p.requires_grad or not trainable_only)


class EpochCallback:
    """What an estimator's epoch loop calls (skorch's and minGPT's callbacks, cut down).

    After each epoch the loop asks every callback :meth:`should_stop`, then calls
    :meth:`on_epoch_end` with whether it will stop; after the last epoch, :meth:`on_train_end`.
    Subclasses override what they need; the defaults do nothing.
    """

    def should_stop(self, estimator) -> bool:
        return False

    def on_epoch_end(self, estimator, *, stopping: bool) -> None:
        pass

    def on_train_end(self, estimator) -> None:
        pass
