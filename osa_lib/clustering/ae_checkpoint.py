"""Checkpoints of the AE estimators: the saved dict, save / load / resume, and the :class:`Checkpoint` callback.

A checkpoint is one ``torch.save`` file (written to a temporary name unique to its writer, then
renamed, so a killed process never leaves half a file and two writers never share a temporary
file; :func:`osa_lib.concurrency.unique_temporary`) holding::

    class, params (get_params() less ``checkpoint``), module (state_dict), optimizer,
    optimizer_group, generator (batch-order generator state), epochs_done, history,
    train_time_s, kmeans_seed, n_features_in, extra (AEKMeans: its K-means starts)

:func:`resume` continues a ``fit`` from such a file when its learning hyperparameters match the
estimator's (those in :data:`RUNTIME_PARAMS` may differ); :class:`Checkpoint` saves after every
``every`` epochs, when a callback stops training early, and at the end.
"""
from __future__ import annotations

from pathlib import Path

import torch
from sklearn.utils.validation import check_is_fitted

from osa_lib.concurrency import unique_temporary
from osa_lib.train import EpochCallback, n_parameters

#: Hyperparameters that do not change what is learned (ignored when matching a checkpoint).
RUNTIME_PARAMS = ("progress", "device", "checkpoint", "epochs", "eval_every", "checkpoint_every")


def _as_tuples(params: dict) -> dict:
    return {k: (tuple(v) if isinstance(v, list) else v) for k, v in params.items()}


def state_of(est) -> dict:
    """The dict a checkpoint file holds (see the module docstring)."""
    check_is_fitted(est, "module_")
    params = est.get_params()
    params["conv_channels"] = tuple(params["conv_channels"])
    return {
        "class": type(est).__name__,
        "params": {k: v for k, v in _as_tuples(params).items() if k != "checkpoint"},
        "module": est.module_.state_dict(),
        "optimizer": None if est._optimizer is None else est._optimizer.state_dict(),
        "optimizer_group": est._phase_of_optimizer,
        "generator": getattr(est, "_generator_state", None),
        "epochs_done": est.epochs_done_,
        "history": est.history_,
        "train_time_s": est.train_time_s_,
        "kmeans_seed": est._kmeans_seed,
        "n_features_in": est.n_features_in_,
        "extra": est._extra_state(),
    }


def save(est, path) -> Path:
    """Write ``est``'s checkpoint to ``path`` atomically; return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = state_of(est)
    tmp = unique_temporary(path)
    try:
        torch.save(state, tmp)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def load(cls, path, device: str | None = None):
    """A fitted ``cls`` from a file written by :func:`save`."""
    state = torch.load(Path(path), map_location="cpu", weights_only=True)
    if state.get("class") != cls.__name__:
        raise ValueError(f"{path} holds a {state.get('class')}, not a {cls.__name__}")
    params = dict(state["params"])
    if device is not None:
        params["device"] = device
    est = cls(**params)
    restore(est, state, torch.device(est.device))
    est.n_parameters_ = n_parameters(est.module_)
    return est


def restore(est, state: dict, device) -> None:
    """Set ``est``'s fitted state (module, optimiser, generator state, history) from ``state``."""
    with torch.random.fork_rng(devices=[]):
        module = est._build_module(state["n_features_in"])
    module.load_state_dict(state["module"])
    module.to(device).eval()
    est.module_ = module
    est.n_features_in_ = state["n_features_in"]
    est.history_ = list(state["history"])
    est.epochs_done_ = int(state["epochs_done"])
    est.train_time_s_ = float(state["train_time_s"])
    est._kmeans_seed = int(state["kmeans_seed"])
    est._generator_state = state["generator"]
    est._phase_of_optimizer = state["optimizer_group"]
    est._optimizer = None
    if state["optimizer"] is not None:
        est._optimizer = est._make_optimizer(est._trainable(est._phase_for_group(state["optimizer_group"])))
        est._optimizer.load_state_dict(state["optimizer"])
    est._set_extra_state(state["extra"])


def resume(est, path, generator: torch.Generator, device) -> bool:
    """Resume ``est`` from the checkpoint at ``path`` when it exists; ValueError when it is corrupt
    or holds another model.

    Nothing is overwritten in the error cases: the caller decides (delete the file, or pass
    another ``checkpoint`` path).
    """
    if path is None or not Path(path).exists():
        return False
    path = Path(path)
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
        defaults = type(est)().get_params()
        theirs = {k: state["params"].get(k, defaults[k]) for k in set(state["params"]) | set(defaults)
                  if k not in RUNTIME_PARAMS}
        done = int(state["epochs_done"])
    except Exception as err:   # truncated file, not a torch file, missing keys
        raise ValueError(f"checkpoint {path} cannot be read ({type(err).__name__}: {err}); it was left as "
                         f"it is: delete it to start this job afresh") from err
    mine = _as_tuples({k: v for k, v in est.get_params().items() if k not in RUNTIME_PARAMS})
    if state.get("class") != type(est).__name__ or mine != theirs:
        diff = sorted(k for k in set(mine) | set(theirs) if mine.get(k) != theirs.get(k))
        raise ValueError(f"checkpoint {path} holds a {state.get('class')} with other hyperparameters "
                         f"(differing: {diff or 'class'}); it was left as it is: delete it, or pass "
                         f"another checkpoint path")
    if done > est.epochs:
        raise ValueError(f"checkpoint {path} has {done} epochs, more than epochs={est.epochs}; "
                         f"raise epochs or pass another checkpoint path")
    restore(est, state, device)
    if est._generator_state is not None:
        generator.set_state(est._generator_state)
    return True


class Checkpoint(EpochCallback):
    """Save to ``path`` every ``every`` epochs, when training stops early, and at the end of ``fit``."""

    def __init__(self, path, every: int = 1):
        self.path = path
        self.every = every

    def on_epoch_end(self, estimator, *, stopping: bool) -> None:
        if stopping or estimator.epochs_done_ % self.every == 0:
            save(estimator, self.path)

    def on_train_end(self, estimator) -> None:
        save(estimator, self.path)
