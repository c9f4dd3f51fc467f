"""One model-agnostic mini-batch loop (minGPT's Trainer, cut down).

The loop knows nothing of the model: it draws shuffled index batches from a seeded
generator, asks ``batch_loss(idx)`` for a scalar, steps the optimizer and keeps the
mean loss of every epoch. Callers own the model, the data and the optimizer.
"""
from __future__ import annotations

from typing import Callable

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
