"""scikit-learn-style estimators for Table 1's AE rows: :class:`AEACRBM` and :class:`AEKMeans`.

Both wrap :class:`osa_lib.autoencoder.Autoencoder` (appendix B; ``architecture="dense"``, the
paper's model, by default; ``"conv"`` is an ablation). As in
:class:`osa_lib.ShallowACRBM`, ``__init__`` only stores hyperparameters, ``fit``
validates them and the data, builds ``module_`` and trains it, and learned state ends
in ``_``. ``X`` is always rows of shape (n_samples, 784) in [0, 1]; the estimators
reshape to images (B, 1, 28, 28) inside.

Training can be checkpointed (``checkpoint=path``): the model, the optimiser, the
batch-order generator and the history are saved after every epoch, and a later
``fit`` with the same hyperparameters resumes from the file (or, when it already
holds all epochs, just loads it). :meth:`save` / :meth:`load` store a fitted model.
"""
from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.cluster import KMeans
from sklearn.utils.validation import check_is_fitted
from tqdm import tqdm

from osa_lib.acrbm import acrbm_loss, n_parameters
from osa_lib.clustering.autoencoder import TABLE3_BETA1, TABLE3_SIZES, Autoencoder, check_architecture
from osa_lib.validation import check_float, check_int, check_unit_interval
from osa_lib.metrics import clustering_scores
from osa_lib.train import run_epochs, seeded_generator

RECONSTRUCTION_LOSSES = ("mse", "bce")
#: How the reconstruction error of a batch is reduced: "mean" over pixels and images (the
#: printed protocol's reading), or "sum" over the pixels of an image, mean over images
#: (Keras' ``reduction="sum"`` per image; 784 x the "mean" loss on MNIST).
RECONSTRUCTION_REDUCTIONS = ("mean", "sum")
#: Weight initialisations: PyTorch's defaults, or Glorot uniform with zero biases (Keras' defaults).
INITS = ("pytorch", "glorot")
#: Which weights the ACRBM term reaches. "full": everything (the printed protocol); "detached":
#: only the head (it reads ``h_AE.detach()``, and the decoder reads the head detached);
#: "detached_input": the head reads ``h_AE.detach()`` but the decoder reads the head as it is, so the
#: head learns from both terms and the encoder from reconstruction alone.
HEAD_GRADIENTS = ("full", "detached", "detached_input")
#: Which losses train the encoder. "both": reconstruction + lambda * ACRBM; "acrbm": the ACRBM
#: term alone (the decoder reads detached codes), section 3.1's "without a reconstruction criterion".
ENCODER_LOSSES = ("both", "acrbm")
#: Hyperparameters that do not change what is learned (ignored when matching a checkpoint).
_RUNTIME_PARAMS = ("progress", "device", "checkpoint", "epochs", "eval_every", "checkpoint_every")
logger = logging.getLogger(__name__)
_CHUNK = 4096


def glorot_init(module: torch.nn.Module) -> torch.nn.Module:
    """Glorot-uniform weights and zero biases in every dense and convolution layer (Keras' defaults)."""
    for layer in module.modules():
        if isinstance(layer, (torch.nn.Linear, torch.nn.Conv2d, torch.nn.ConvTranspose2d)):
            torch.nn.init.xavier_uniform_(layer.weight)
            if layer.bias is not None:
                torch.nn.init.zeros_(layer.bias)
    return module


def _fork_seed(generator: torch.Generator) -> int:
    return int(torch.randint(0, 2**31 - 1, (1,), generator=generator).item())


class _AEBase(ClusterMixin, BaseEstimator):
    """Shared machinery: validation, the module, the epoch loop, checkpoints, encoding."""

    _size_key: str = ""
    _head: str = ""

    # ----- hyperparameters ---------------------------------------------------------------------
    def _sizes(self) -> tuple[int, int, int]:
        given = (self.encoder_units, self.latent_dim, self.decoder_units)
        if all(v is not None for v in given):
            return tuple(check_int(v, n, minimum=1) for v, n in zip(given, ("encoder_units", "latent_dim",
                                                                       "decoder_units")))
        if any(v is not None for v in given):
            raise ValueError("give all of encoder_units, latent_dim, decoder_units, or none (Table 3's sizes)")
        key = self._table3_key()
        if key not in TABLE3_SIZES:
            raise ValueError(f"Table 3 has no sizes for n_clusters={self.n_clusters!r} ({key}); "
                             f"pass encoder_units, latent_dim and decoder_units")
        return TABLE3_SIZES[key]

    def _betas(self) -> tuple[float, float]:
        if self.betas is None:
            key = self._table3_key()
            return (TABLE3_BETA1.get(key, 0.9), 0.999)
        if len(self.betas) != 2 or not all(0 <= float(b) < 1 for b in self.betas):
            raise ValueError(f"betas must be two numbers in [0, 1), got {self.betas!r}")
        return tuple(float(b) for b in self.betas)

    def _validate_common(self) -> None:
        check_int(self.n_clusters, "n_clusters", minimum=2)
        check_architecture(self.architecture)
        check_int(self.epochs, "epochs", minimum=1)
        check_int(self.batch_size, "batch_size", minimum=1)
        check_int(self.eval_every, "eval_every", minimum=1)
        check_int(self.checkpoint_every, "checkpoint_every", minimum=1)
        check_float(self.lr, "lr", positive=True)
        for name, allowed in (("reconstruction", RECONSTRUCTION_LOSSES),
                              ("reconstruction_reduction", RECONSTRUCTION_REDUCTIONS), ("init", INITS)):
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name} must be one of {allowed}, got {getattr(self, name)!r}")
        if len(tuple(self.conv_channels)) != 2:
            raise ValueError(f"conv_channels must be two widths (c1, c2), got {self.conv_channels!r}")
        for c in self.conv_channels:
            check_int(c, "conv_channels entry", minimum=1)
        self._sizes()
        self._betas()

    def _check_X(self, X, name: str = "X") -> np.ndarray:
        X = check_unit_interval(X, name)
        side = int(round(np.sqrt(X.shape[1])))
        if side * side != X.shape[1] or side % 4:
            raise ValueError(f"{name} rows must be square images with a side divisible by 4 "
                             f"(784 = 28 x 28 for MNIST), got {X.shape[1]} features")
        if hasattr(self, "n_features_in_") and X.shape[1] != self.n_features_in_:
            raise ValueError(f"{name} has {X.shape[1]} features, but the model was fitted on {self.n_features_in_}")
        return X

    def _build_module(self, image_size: int) -> Autoencoder:
        enc, lat, dec = self._sizes()
        module = Autoencoder(self._head_units(), enc, lat, dec, architecture=self.architecture, head=self._head,
                             conv_channels=tuple(int(c) for c in self.conv_channels), image_size=image_size,
                             **self._module_kwargs())
        if self.init == "glorot":
            glorot_init(module)
        return module

    def _module_kwargs(self) -> dict:
        return {}

    def _learning_params(self) -> dict:
        return {k: v for k, v in self.get_params().items() if k not in _RUNTIME_PARAMS}

    # ----- losses ------------------------------------------------------------------------------
    def _reconstruction_loss(self, recon: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        if self.reconstruction == "mse":
            per_pixel = (recon - x) ** 2
        else:
            per_pixel = torch.nn.functional.binary_cross_entropy(recon.clamp(1e-6, 1 - 1e-6), x, reduction="none")
        if self.reconstruction_reduction == "sum":
            return per_pixel.flatten(1).sum(1).mean()
        return per_pixel.mean()

    def _forward(self, x: torch.Tensor):
        """``(reconstruction, h_AE, head)`` with the gradient routing of the reading (see AEACRBM)."""
        return self.module_(x)

    def _terms(self, x: torch.Tensor):
        """The reconstruction term and the extra (ACRBM) term of one batch ``x`` (B, 1, S, S)."""
        recon, h_ae, h_head = self._forward(x)
        return self._reconstruction_loss(recon, x), self._extra_loss(h_head, "joint")

    def _gradient_norms(self, data: torch.Tensor, side: int) -> dict:
        """L2 norm of each loss term's gradient on the encoder's weights, on the first 1,024 rows.

        Measured in eval mode with ``torch.autograd.grad`` (no ``.grad`` touched, no random
        numbers drawn), so it changes nothing that is learned. The ACRBM norm is taken
        with lambda = 1; the loss uses lambda times it.
        """
        module = self.module_
        module.eval()
        params = [p for p in module.encoder.parameters() if p.requires_grad]
        if not params:
            return {}
        x = data[:1024].view(-1, 1, side, side)
        rec, extra = self._terms(x)
        out = {}
        for name, term in (("reconstruction", rec), ("acrbm", extra)):
            if term is None:
                continue
            grads = torch.autograd.grad(term, params, allow_unused=True, retain_graph=True)
            out[f"grad_encoder_{name}"] = float(torch.sqrt(sum((g ** 2).sum() for g in grads if g is not None)
                                                           + torch.zeros(())).item())
        return out

    # ----- fitting -----------------------------------------------------------------------------
    def fit(self, X, y=None, *, eval_set=None, deadline=None):
        """Train on rows ``X`` (n_samples, 784) in [0, 1]; ``y`` is ignored (unsupervised).

        ``eval_set=(X_eval, y_eval)`` only *monitors* training: every ``eval_every``
        epochs the clustering accuracy on it is added to ``history_`` and logged (logger
        ``osa_lib.clustering.ae_estimators``, level INFO). Labels never touch the weights.

        ``deadline`` (seconds since the epoch, as ``time.time()``): stop after the first
        epoch that ends later, save the checkpoint and return with ``complete_ = False``;
        a later ``fit`` with the same ``checkpoint`` resumes there.
        """
        self._deadline = deadline
        self._validate_common()
        self._validate_extra()
        for attr in ("n_features_in_",):
            if hasattr(self, attr):
                delattr(self, attr)
        X = self._check_X(X)
        eval_set = self._check_eval_set(eval_set)
        generator, device = self._setup(X)
        self._try_resume(generator, device)
        return self._train(X, eval_set, generator, device)

    @property
    def complete_(self) -> bool:
        """True when all ``epochs`` ran (False after a ``deadline`` stopped ``fit`` early)."""
        check_is_fitted(self, "module_")
        return self.epochs_done_ >= self.epochs

    def _setup(self, X):
        side = int(round(np.sqrt(X.shape[1])))
        device = torch.device(self.device)
        generator = seeded_generator(self.random_state)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(int(generator.initial_seed()))
            module = self._build_module(side)
        module.to(device)
        self.module_ = module
        self.n_features_in_ = X.shape[1]
        self.history_ = []
        self.epochs_done_ = 0
        self.train_time_s_ = 0.0
        self._kmeans_seed = _fork_seed(generator)
        self._optimizer = None
        self._phase_of_optimizer = None
        self._generator_state = None
        return generator, device

    def fit_from(self, warm, X, y=None, *, eval_set=None):
        """Continue from ``warm``, a fitted estimator of the same architecture (a shared AE warm-up).

        ``warm``'s weights, optimiser state, batch-order generator, history and epoch
        count are taken over; this estimator then trains epochs ``warm.epochs_done_ + 1
        .. self.epochs`` with its own schedule. The recipe search uses it so that all
        recipes branch from one warm-up. Batch-norm buffers that only one of the two
        models has are left at their defaults.
        """
        self._validate_common()
        self._validate_extra()
        check_is_fitted(warm, "module_")
        for attr in ("n_features_in_",):
            if hasattr(self, attr):
                delattr(self, attr)
        X = self._check_X(X)
        eval_set = self._check_eval_set(eval_set)
        if warm.epochs_done_ > self.epochs:
            raise ValueError(f"warm has {warm.epochs_done_} epochs, more than epochs={self.epochs}")
        self._deadline = None
        generator, device = self._setup(X)
        missing, unexpected = self.module_.load_state_dict(warm.module_.state_dict(), strict=False)
        if any(not k.startswith("norm.") for k in list(missing) + list(unexpected)):
            raise ValueError(f"warm has a different architecture: missing {missing}, unexpected {unexpected}")
        self.history_ = [dict(h) for h in warm.history_]
        self.epochs_done_ = warm.epochs_done_
        self.train_time_s_ = warm.train_time_s_
        self._kmeans_seed = warm._kmeans_seed
        if warm._generator_state is not None:
            generator.set_state(warm._generator_state)
        if warm._optimizer is not None:
            self._phase_of_optimizer = warm._phase_of_optimizer
            self._optimizer = self._make_optimizer(self._trainable(self._phase_for_group(self._phase_of_optimizer)))
            self._optimizer.load_state_dict(warm._optimizer.state_dict())
        return self._train(X, eval_set, generator, device)

    def _check_eval_set(self, eval_set):
        if eval_set is None:
            return None
        X_eval, y_eval = eval_set
        X_eval = self._check_X(X_eval, "X_eval")
        y_eval = np.asarray(y_eval)
        if y_eval.shape != (len(X_eval),):
            raise ValueError(f"y_eval must have shape ({len(X_eval)},), got {y_eval.shape}")
        return X_eval, y_eval

    def _train(self, X, eval_set, generator, device):
        module = self.module_
        side = int(round(np.sqrt(X.shape[1])))
        if eval_set is not None:
            X_eval, y_eval = eval_set
        start_epoch = self.epochs_done_
        data = torch.from_numpy(X).to(device)

        bar = tqdm(range(self.epochs_done_, self.epochs), desc=self._desc(), disable=not self.progress, leave=False)
        for epoch in bar:
            t0 = time.perf_counter()
            phase = self._phase(epoch)
            self._start_phase(phase, epoch, X, device)
            report = (epoch + 1) % self.eval_every == 0 or epoch + 1 == self.epochs or epoch == 0
            grad_norms = self._gradient_norms(data, side) if (report and eval_set is not None) else {}
            totals = {}
            batch_loss = self._batch_loss_fn(data, side, epoch, phase, totals)
            module.train()
            run_epochs(batch_loss, self._optimizer, len(X), epochs=1, batch_size=self.batch_size,
                       generator=generator, progress=False, desc=self._desc())
            module.eval()
            entry = {"epoch": epoch + 1, "phase": phase, "lambda": self._lambda(epoch)}
            entry.update({k: float(v.item()) / len(X) for k, v in totals.items()})
            entry.update(grad_norms)
            self.train_time_s_ += time.perf_counter() - t0
            entry["time_s"] = time.perf_counter() - t0
            if eval_set is not None and report:
                entry.update({f"eval_{k}": v for k, v in self._monitor(X_eval, y_eval).items()})
            self.history_.append(entry)
            self.epochs_done_ = epoch + 1
            bar.set_postfix(loss=f"{entry['loss']:.4f}")
            if report:
                logger.info("%s epoch %d/%d loss %.5f accuracy %s %.2f s/epoch", self._desc(), epoch + 1,
                            self.epochs, entry["loss"], entry.get("eval_accuracy_majority", "-"), entry["time_s"])
            late = self._deadline is not None and time.time() > self._deadline
            if self.checkpoint is not None and (late or (epoch + 1) % self.checkpoint_every == 0):
                self._generator_state = generator.get_state()
                self.save(self.checkpoint)
            if late and epoch + 1 < self.epochs:
                logger.info("%s stopped at the deadline after epoch %d/%d", self._desc(), epoch + 1, self.epochs)
                bar.close()
                for p in module.parameters():
                    p.requires_grad_(True)
                self.n_parameters_ = n_parameters(module)
                return self
        for p in module.parameters():          # a frozen phase leaves no frozen weights behind
            p.requires_grad_(True)
        if self.epochs_done_ > start_epoch or not self._has_final_state():
            self._finalize(X)
        self.n_parameters_ = n_parameters(module)
        self.labels_ = self.predict(X)
        self._generator_state = generator.get_state()
        if self.checkpoint is not None:
            self.save(self.checkpoint)
        return self

    def _desc(self) -> str:
        return f"{type(self).__name__}(K={self.n_clusters}, seed={self.random_state})"

    def _batch_loss_fn(self, data, side, epoch, phase, totals):
        lam = self._lambda(epoch)

        def add(name, value, n):
            v = value.detach() * n
            totals[name] = v if name not in totals else totals[name] + v

        def batch_loss(idx):
            x = data.index_select(0, idx.to(data.device)).view(-1, 1, side, side)   # (B, 1, S, S)
            recon, h_ae, h_head = self._forward(x)
            rec = self._reconstruction_loss(recon, x)
            extra = self._extra_loss(h_head, phase)
            if phase == "head":
                loss = lam * extra
            else:
                loss = rec if extra is None else rec + lam * extra
            add("loss", loss, len(idx))
            add("reconstruction", rec, len(idx))
            if extra is not None:
                add("acrbm", extra, len(idx))
            return loss

        return batch_loss

    def _make_optimizer(self, params):
        return torch.optim.Adam(params, lr=self.lr, betas=self._betas())

    def _start_phase(self, phase: str, epoch: int, X: np.ndarray, device) -> None:
        if self._optimizer is None or self._phase_of_optimizer != self._optimizer_group(phase):
            self._optimizer = self._make_optimizer(self._trainable(phase))
            self._phase_of_optimizer = self._optimizer_group(phase)

    def _optimizer_group(self, phase: str) -> str:
        return "all"

    def _trainable(self, phase: str):
        return self.module_.parameters()

    # ----- hooks (overridden) ------------------------------------------------------------------
    def _phase(self, epoch: int) -> str:
        return "ae"

    def _lambda(self, epoch: int) -> float:
        return 0.0

    def _extra_loss(self, h_head, phase):
        return None

    def _validate_extra(self) -> None:
        pass

    def _finalize(self, X: np.ndarray) -> None:
        pass

    def _has_final_state(self) -> bool:
        return True

    def _monitor(self, X_eval, y_eval) -> dict:
        pred = self.predict(X_eval)
        return clustering_scores(y_eval, pred, n_clusters=self.n_clusters)

    # ----- encoding ----------------------------------------------------------------------------
    @torch.no_grad()
    def _encode(self, X: np.ndarray, what: str = "latent") -> np.ndarray:
        module = self.module_
        module.eval()
        device = next(module.parameters()).device
        side = int(round(np.sqrt(X.shape[1])))
        out = []
        for s in range(0, len(X), _CHUNK):
            x = torch.from_numpy(X[s:s + _CHUNK]).to(device).view(-1, 1, side, side)
            h_ae = module.encode(x)
            if what == "latent":
                out.append(h_ae.cpu())
            elif what == "head_input":
                out.append(module.head_input(h_ae).cpu())
            elif what == "head":
                out.append(module.head_activation(h_ae).cpu())
            else:  # reconstruction
                out.append(module.decode(h_ae, module.head_activation(h_ae)).flatten(1).cpu())
        return torch.cat(out).numpy()

    def latent(self, X) -> np.ndarray:
        """``h_AE`` of each row, shape (n_samples, D)."""
        check_is_fitted(self, "module_")
        return self._encode(self._check_X(X), "latent")

    def reconstruct(self, X) -> np.ndarray:
        """The AE's reconstructions, shape (n_samples, 784), values in (0, 1)."""
        check_is_fitted(self, "module_")
        return self._encode(self._check_X(X), "reconstruction")

    # ----- checkpoints -------------------------------------------------------------------------
    def _extra_state(self) -> dict:
        return {}

    def _set_extra_state(self, state: dict) -> None:
        pass

    def save(self, path) -> Path:
        """Write the model, optimiser, generator and history to ``path`` (a ``.pt`` file)."""
        check_is_fitted(self, "module_")
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        params = self.get_params()
        params["conv_channels"] = tuple(params["conv_channels"])
        state = {
            "class": type(self).__name__,
            "params": {k: (tuple(v) if isinstance(v, list) else v) for k, v in params.items()
                       if k != "checkpoint"},
            "module": self.module_.state_dict(),
            "optimizer": None if self._optimizer is None else self._optimizer.state_dict(),
            "optimizer_group": self._phase_of_optimizer,
            "generator": getattr(self, "_generator_state", None),
            "epochs_done": self.epochs_done_,
            "history": self.history_,
            "train_time_s": self.train_time_s_,
            "kmeans_seed": self._kmeans_seed,
            "n_features_in": self.n_features_in_,
            "extra": self._extra_state(),
        }
        tmp = path.with_name(path.name + ".tmp")
        torch.save(state, tmp)
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, path, device: str | None = None):
        """A fitted estimator from a file written by :meth:`save`."""
        state = torch.load(Path(path), map_location="cpu", weights_only=True)
        if state.get("class") != cls.__name__:
            raise ValueError(f"{path} holds a {state.get('class')}, not a {cls.__name__}")
        params = dict(state["params"])
        if device is not None:
            params["device"] = device
        est = cls(**params)
        est._restore(state, torch.device(est.device))
        est.n_parameters_ = n_parameters(est.module_)
        return est

    def _restore(self, state: dict, device) -> None:
        side = int(round(np.sqrt(state["n_features_in"])))
        with torch.random.fork_rng(devices=[]):
            module = self._build_module(side)
        module.load_state_dict(state["module"])
        module.to(device).eval()
        self.module_ = module
        self.n_features_in_ = state["n_features_in"]
        self.history_ = list(state["history"])
        self.epochs_done_ = int(state["epochs_done"])
        self.train_time_s_ = float(state["train_time_s"])
        self._kmeans_seed = int(state["kmeans_seed"])
        self._generator_state = state["generator"]
        self._phase_of_optimizer = state["optimizer_group"]
        self._optimizer = None
        if state["optimizer"] is not None:
            self._optimizer = self._make_optimizer(self._trainable(self._phase_for_group(state["optimizer_group"])))
            self._optimizer.load_state_dict(state["optimizer"])
        self._set_extra_state(state["extra"])

    def _phase_for_group(self, group: str) -> str:
        return "ae"

    def _try_resume(self, generator: torch.Generator, device) -> bool:
        """Resume from ``checkpoint`` when it exists; ValueError when it is corrupt or holds another model.

        Nothing is overwritten in the error cases: the caller decides (delete the file,
        or pass another ``checkpoint`` path).
        """
        if self.checkpoint is None or not Path(self.checkpoint).exists():
            return False
        path = Path(self.checkpoint)
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
            defaults = type(self)().get_params()
            theirs = {k: state["params"].get(k, defaults[k]) for k in set(state["params"]) | set(defaults)
                      if k not in _RUNTIME_PARAMS}
            done = int(state["epochs_done"])
        except Exception as err:   # truncated file, not a torch file, missing keys
            raise ValueError(f"checkpoint {path} cannot be read ({type(err).__name__}: {err}); it was left as "
                             f"it is: delete it to start this job afresh") from err
        mine = {k: (tuple(v) if isinstance(v, list) else v) for k, v in self._learning_params().items()}
        if state.get("class") != type(self).__name__ or mine != theirs:
            diff = sorted(k for k in set(mine) | set(theirs) if mine.get(k) != theirs.get(k))
            raise ValueError(f"checkpoint {path} holds a {state.get('class')} with other hyperparameters "
                             f"(differing: {diff or 'class'}); it was left as it is: delete it, or pass "
                             f"another checkpoint path")
        if done > self.epochs:
            raise ValueError(f"checkpoint {path} has {done} epochs, more than epochs={self.epochs}; "
                             f"raise epochs or pass another checkpoint path")
        self._restore(state, device)
        if self._generator_state is not None:
            generator.set_state(self._generator_state)
        return True


class AEACRBM(_AEBase):
    """AE + ACRBM (appendix B, Table 1): an ACRBM head ``softmax((z W + b)/T)`` on the AE latent.

    Loss per mini-batch: ``reconstruction + lambda * acrbm_loss(h_ACRBM)``, with the
    reconstruction the mean squared error per pixel (``reconstruction="mse"``, default)
    or binary cross-entropy. Cluster label = ``argmax h_ACRBM``.

    Schedule: ``warmup_epochs`` of reconstruction only (lambda = 0), then
    ``finetune="joint"`` (all weights, lambda ramped linearly to ``lam`` over
    ``ramp_epochs``) or ``finetune="head"`` (AE frozen, head trained on the ACRBM loss
    alone). With ``head_init="kmeans"`` the head is set, at the end of the warm-up,
    from K-means centres of its input (see
    :meth:`osa_lib.autoencoder.Autoencoder.init_head_from_centroids`).

    Parameters
    ----------
    n_clusters : int, default 10
    architecture : {"dense", "conv"}, default "dense"
        The paper's dense AE (Table 1's parameter counts) or the convolutional ablation.
    encoder_units, latent_dim, decoder_units : int or None
        None -> Table 3's sizes for ``n_clusters`` (10: 100/90/100, 30: 300/300/300).
    conv_channels : (int, int), default (16, 16)
    epochs : int, default 10
        All epochs, warm-up included.
    warmup_epochs : int, default 0
    lam : float, default 0.1
    ramp_epochs : int, default 0
    finetune : {"joint", "head"}, default "joint"
    head_init : {"random", "kmeans"}, default "random"
    standardize : bool, default False
        Batch-normalise ``h_AE`` (no affine) before the head.
    temperature : float, default 1.0
    reconstruction : {"mse", "bce"}, default "mse"
    reconstruction_reduction : {"mean", "sum"}, default "mean"
        "mean": over pixels and images (the printed protocol); "sum": over the pixels of
        each image, mean over images (Keras' per-image sum; 784 x "mean" on MNIST).
    head_gradient : {"full", "detached", "detached_input"}, default "full"
        "detached": the ACRBM term trains only the head (which reads ``h_AE.detach()``;
        the decoder reads the head detached), reconstruction trains the AE; one stage.
        "detached_input": the head reads ``h_AE.detach()``, the decoder reads the head
        undetached (the head learns from both terms, the encoder from reconstruction).
    encoder_loss : {"both", "acrbm"}, default "both"
        "acrbm": the encoder (and head) learn from the ACRBM term alone; the decoder
        reconstructs from detached codes (section 3.1's "without a reconstruction criterion").
    init : {"pytorch", "glorot"}, default "pytorch"
        "glorot": Glorot-uniform weights, zero biases (Keras' defaults).
    batch_size : int, default 256
    lr : float, default 1e-3
    betas : (float, float) or None
        None -> Table 3 (beta1 0.05 for 10 clusters, 0.1 for 30; beta2 0.999).
    random_state : int or None, default 0
    device : str, default "cpu"
    progress : bool, default True
    checkpoint : str or Path or None
        Save after every epoch and resume from this file.
    eval_every : int, default 1
        How often ``fit(..., eval_set=...)`` measures accuracy (and logs a line).
    checkpoint_every : int, default 1
        Epochs between checkpoint saves (the last epoch is always saved).

    Attributes
    ----------
    module_ : Autoencoder
    history_ : list of dict per epoch (loss, reconstruction, acrbm, lambda, phase, time_s, eval_*; on
        monitored epochs also ``grad_encoder_reconstruction`` / ``grad_encoder_acrbm``, the L2 norm
        of each term's gradient on the encoder before that epoch's updates, and
        ``eval_cluster_sizes``)
    n_parameters_, n_features_in_, labels_, epochs_done_, train_time_s_
    """

    _head = "acrbm"

    def __init__(self, n_clusters=10, *, architecture="dense", encoder_units=None, latent_dim=None,
                 decoder_units=None, conv_channels=(16, 16), epochs=10, warmup_epochs=0, lam=0.1, ramp_epochs=0, finetune="joint",
                 head_init="random", standardize=False, temperature=1.0, reconstruction="mse",
                 reconstruction_reduction="mean", head_gradient="full", encoder_loss="both", init="pytorch",
                 batch_size=256, lr=1e-3, betas=None, random_state=0, device="cpu", progress=True,
                 checkpoint=None, eval_every=1, checkpoint_every=1):
        self.n_clusters = n_clusters
        self.architecture = architecture
        self.encoder_units = encoder_units
        self.latent_dim = latent_dim
        self.decoder_units = decoder_units
        self.conv_channels = conv_channels
        self.epochs = epochs
        self.warmup_epochs = warmup_epochs
        self.lam = lam
        self.ramp_epochs = ramp_epochs
        self.finetune = finetune
        self.head_init = head_init
        self.standardize = standardize
        self.temperature = temperature
        self.reconstruction = reconstruction
        self.reconstruction_reduction = reconstruction_reduction
        self.head_gradient = head_gradient
        self.encoder_loss = encoder_loss
        self.init = init
        self.batch_size = batch_size
        self.lr = lr
        self.betas = betas
        self.random_state = random_state
        self.device = device
        self.progress = progress
        self.checkpoint = checkpoint
        self.eval_every = eval_every
        self.checkpoint_every = checkpoint_every

    def _table3_key(self) -> str:
        return f"ae_acrbm_{self.n_clusters}"

    def _head_units(self) -> int:
        return int(self.n_clusters)

    def _module_kwargs(self) -> dict:
        return {"standardize": bool(self.standardize), "temperature": float(self.temperature)}

    def _validate_extra(self) -> None:
        check_int(self.warmup_epochs, "warmup_epochs", minimum=0)
        check_int(self.ramp_epochs, "ramp_epochs", minimum=0)
        check_float(self.lam, "lam", minimum=0.0)
        check_float(self.temperature, "temperature", positive=True)
        if self.finetune not in ("joint", "head"):
            raise ValueError(f"finetune must be 'joint' or 'head', got {self.finetune!r}")
        if self.head_init not in ("random", "kmeans"):
            raise ValueError(f"head_init must be 'random' or 'kmeans', got {self.head_init!r}")
        if self.head_gradient not in HEAD_GRADIENTS:
            raise ValueError(f"head_gradient must be one of {HEAD_GRADIENTS}, got {self.head_gradient!r}")
        if self.encoder_loss not in ENCODER_LOSSES:
            raise ValueError(f"encoder_loss must be one of {ENCODER_LOSSES}, got {self.encoder_loss!r}")
        if self.head_gradient != "full" and self.encoder_loss == "acrbm":
            raise ValueError("head_gradient='detached' with encoder_loss='acrbm' leaves the encoder without a "
                             "loss; choose one of the two readings")

    def _phase(self, epoch: int) -> str:
        if epoch < self.warmup_epochs:
            return "warmup"
        return "joint" if self.finetune == "joint" else "head"

    def _lambda(self, epoch: int) -> float:
        if epoch < self.warmup_epochs:
            return 0.0
        if self.ramp_epochs == 0:
            return float(self.lam)
        return float(self.lam) * min(1.0, (epoch - self.warmup_epochs + 1) / self.ramp_epochs)

    def _extra_loss(self, h_head, phase):
        return acrbm_loss(h_head)

    def _forward(self, x: torch.Tensor):
        if self.head_gradient == "full" and self.encoder_loss == "both":
            return self.module_(x)
        module = self.module_
        h_ae = module.encode(x)
        if self.head_gradient in ("detached", "detached_input"):
            # The encoder learns from reconstruction alone; with "detached" the head from the ACRBM term alone.
            h_head = module.head_activation(h_ae.detach())
            shown = h_head.detach() if self.head_gradient == "detached" else h_head
            return module.decode(h_ae, shown), h_ae, h_head
        # encoder_loss == "acrbm": the decoder learns to read codes it cannot shape.
        h_head = module.head_activation(h_ae)
        return module.decode(h_ae.detach(), h_head.detach()), h_ae, h_head

    def _monitor(self, X_eval, y_eval) -> dict:
        pred = self.predict(X_eval)
        scores = clustering_scores(y_eval, pred, n_clusters=self.n_clusters)
        scores["cluster_sizes"] = np.bincount(pred, minlength=self.n_clusters).tolist()
        return scores

    def _optimizer_group(self, phase: str) -> str:
        return "head" if phase == "head" else "all"

    def _phase_for_group(self, group: str) -> str:
        return "head" if group == "head" else "joint"

    def _trainable(self, phase: str):
        if phase == "head":
            return self.module_.head.parameters()
        return self.module_.parameters()

    def _start_phase(self, phase: str, epoch: int, X: np.ndarray, device) -> None:
        if epoch == self.warmup_epochs and self.head_init == "kmeans":
            self._init_head_kmeans(X, device)
        if phase == "head":
            for p in self.module_.parameters():
                p.requires_grad_(False)
            for p in self.module_.head.parameters():
                p.requires_grad_(True)
        super()._start_phase(phase, epoch, X, device)

    def _init_head_kmeans(self, X: np.ndarray, device) -> None:
        """K-means (k-means++, 3 starts, lowest inertia) on the head's input of up to 10,000 training rows."""
        rng = np.random.default_rng(self._kmeans_seed)
        rows = rng.choice(len(X), size=min(len(X), 10_000), replace=False)
        if self.module_.norm is not None:
            # Refresh the batch-norm statistics on the warmed-up latents first.
            h = torch.from_numpy(self._encode(X[rows], "latent"))
            self.module_.norm.running_mean.copy_(h.mean(0).to(device))
            self.module_.norm.running_var.copy_(h.var(0).to(device))
        z = self._encode(X[rows], "head_input")
        km = KMeans(self.n_clusters, n_init=3, random_state=self._kmeans_seed).fit(z)
        self.module_.init_head_from_centroids(torch.from_numpy(km.cluster_centers_.astype(np.float32)))

    def transform(self, X) -> np.ndarray:
        """Soft cluster codes ``h_ACRBM``, shape (n_samples, n_clusters), rows sum to 1."""
        check_is_fitted(self, "module_")
        return self._encode(self._check_X(X), "head")

    def predict(self, X) -> np.ndarray:
        """Cluster of each row: ``argmax h_ACRBM``; int64 of shape (n_samples,)."""
        return self.transform(X).argmax(axis=1).astype(np.int64)


class AEKMeans(_AEBase):
    """AE + K-means (appendix B, Table 1): the same AE with a dense 10-unit ReLU head, then K-means on ``h_AE``.

    The AE trains on the reconstruction loss only. After training, K-means with
    ``n_clusters`` centres runs ``kmeans_n_init`` times (k-means++ starts, one
    ``random_state`` each) on ``h_AE`` of up to ``kmeans_max_samples`` training rows
    (standardised per dimension when ``kmeans_standardize``). Every start is kept:

    * :meth:`predict` uses the start with the lowest inertia (label-free);
    * :meth:`predict_all_inits` gives every start's labels, so that an evaluation
      with labels can reproduce the paper's protocol (keep the start with the best
      accuracy, which peeks at the labels; see
      :mod:`osa_lib.book.ae_jobs`).

    Parameters (besides those of :class:`AEACRBM` that apply)
    ----------
    head_units : int, default 10
        Units of the dense ReLU head that replaces ``h_ACRBM``.
    kmeans_n_init : int, default 10
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

    def __init__(self, n_clusters=10, *, architecture="dense", head_units=10, encoder_units=None, latent_dim=None,
                 decoder_units=None, conv_channels=(16, 16), epochs=10, reconstruction="mse",
                 reconstruction_reduction="mean", init="pytorch", batch_size=256, lr=1e-3, betas=None, kmeans_n_init=10, kmeans_max_samples=10_000, kmeans_space="latent",
                 kmeans_standardize=True, decoder_input="latent_and_head", head_activation="relu", random_state=0,
                 device="cpu", progress=True, checkpoint=None, eval_every=1, checkpoint_every=1):
        self.n_clusters = n_clusters
        self.architecture = architecture
        self.head_units = head_units
        self.encoder_units = encoder_units
        self.latent_dim = latent_dim
        self.decoder_units = decoder_units
        self.conv_channels = conv_channels
        self.epochs = epochs
        self.reconstruction = reconstruction
        self.reconstruction_reduction = reconstruction_reduction
        self.init = init
        self.batch_size = batch_size
        self.lr = lr
        self.betas = betas
        self.kmeans_n_init = kmeans_n_init
        self.kmeans_max_samples = kmeans_max_samples
        self.kmeans_space = kmeans_space
        self.kmeans_standardize = kmeans_standardize
        self.decoder_input = decoder_input
        self.head_activation = head_activation
        self.random_state = random_state
        self.device = device
        self.progress = progress
        self.checkpoint = checkpoint
        self.eval_every = eval_every
        self.checkpoint_every = checkpoint_every

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

    def predict(self, X) -> np.ndarray:
        """Cluster of each row from the lowest-inertia K-means start (label-free); int64 (n_samples,)."""
        check_is_fitted(self, "kmeans_centers_")
        return self._assign(self.transform(X), self.kmeans_centers_[self.best_init_])

    def predict_all_inits(self, X) -> np.ndarray:
        """Labels from every K-means start, shape (kmeans_n_init, n_samples)."""
        check_is_fitted(self, "kmeans_centers_")
        F = self.transform(X)
        return np.stack([self._assign(F, c) for c in self.kmeans_centers_])
