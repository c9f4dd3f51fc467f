"""The machinery AEACRBM and AEKMeans share: hyperparameters, the module, the epoch loop, encoding.

Both estimators wrap :class:`osa_lib.clustering.autoencoder.Autoencoder` (appendix B;
``architecture="dense"``, the paper's model, by default; ``"conv"`` is an ablation). As in
:class:`osa_lib.clustering.shallow.ShallowACRBM`, ``__init__`` only stores hyperparameters, ``fit``
validates them and the data, builds ``module_`` and trains it, and learned state ends in ``_``.

``X`` is rows of shape (n_samples, n_features) of any real values, checked at the edge by
scikit-learn's ``validate_data`` (:func:`osa_lib.validation.validate_rows`): MNIST's 784 pixels
in [0, 1] in the book, a scaler's output in a ``Pipeline``, any feature table. Two parts of the
model are tied to more than that:

* the decoder ends in a sigmoid, so reconstructions lie in (0, 1): with ``reconstruction="mse"``
  the AE reproduces the part of ``X`` that lies in [0, 1] and trains on the error of the rest
  as it is; ``reconstruction="bce"`` (binary cross-entropy) needs ``X`` in [0, 1] and refuses
  other values in ``fit``;
* ``architecture="conv"`` (the ablation) reads each row as a square image (B, 1, S, S) with
  ``S`` divisible by 4 (784 = 28 x 28) and refuses other widths; the dense model (the paper's)
  reads rows of any width as they are.

Sizes: :func:`osa_lib.clustering.autoencoder.resolve_sizes` (Table 3's, for any ``n_clusters``).

``fit`` runs :class:`osa_lib.train.EpochCallback` objects after every epoch: a checkpoint
(:class:`osa_lib.clustering.ae_checkpoint.Checkpoint`, built from ``checkpoint=path``) and any the
caller passes (the book's jobs pass a deadline). Subclasses fill in the hooks (the phase, lambda,
the extra loss, the final K-means stage).
"""
from __future__ import annotations

import logging
import time

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, ClusterMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted
from tqdm import tqdm

from osa_lib.clustering import ae_checkpoint, ae_presets
from osa_lib.clustering.autoencoder import (Autoencoder, check_architecture, glorot_init, resolve_betas,  # noqa: F401
                                            resolve_sizes)
from osa_lib.metrics import clustering_scores
from osa_lib.train import fork_seed, n_parameters, run_epochs, seeded_generator, seeded_module
from osa_lib.validation import check_float, check_int, validate_rows

RECONSTRUCTION_LOSSES = ("mse", "bce")
#: How the reconstruction error of a batch is reduced: "mean" over pixels and images (the
#: printed protocol's reading), or "sum" over the pixels of an image, mean over images
#: (Keras' ``reduction="sum"`` per image; 784 x the "mean" loss on MNIST).
RECONSTRUCTION_REDUCTIONS = ("mean", "sum")
#: Weight initialisations: PyTorch's defaults, or Glorot uniform with zero biases (Keras' defaults).
INITS = ("pytorch", "glorot")
logger = logging.getLogger(__name__)              # "osa_lib.clustering.ae_base"
_CHUNK = 4096


class AEBase(ClassNamePrefixFeaturesOutMixin, ClusterMixin, TransformerMixin, BaseEstimator):
    """Shared machinery: validation, the module, the epoch loop, checkpoints, encoding."""

    _head: str = ""
    #: The key of this estimator's presets in :data:`osa_lib.clustering.ae_presets.READING_TABLES`.
    _presets: str = ""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float32"]     # torch computes in float32
        return tags

    # ----- presets -----------------------------------------------------------------------------
    @classmethod
    def from_reading(cls, name: str = "printed", **overrides):
        """An unfitted estimator under a named protocol: the paper's printed one or a reading the book measured.

        ``name``: "printed" (appendix B and Table 3 as printed, 500 epochs) or one of the readings in
        :mod:`osa_lib.clustering.ae_presets` (``ACRBM_READINGS`` for :class:`AEACRBM`,
        ``AE_KMEANS_READINGS`` for :class:`AEKMeans`); ValueError naming them when it is none.
        ``overrides``: any constructor parameters laid over the preset, e.g. ``n_clusters=30``,
        ``epochs=100`` (the screens' budget), ``random_state``, ``device``. The result is a plain
        estimator (``get_params`` / ``clone`` see ordinary parameters; nothing remembers the name).
        """
        return cls(**{**ae_presets.preset_params(cls._presets, name), **overrides})

    # ----- hyperparameters ---------------------------------------------------------------------
    def _sizes(self) -> tuple[int, int, int]:
        return resolve_sizes(self._table3_key(), self.encoder_units, self.latent_dim, self.decoder_units,
                             n_clusters=self.n_clusters)

    def _betas(self) -> tuple[float, float]:
        return resolve_betas(self._table3_key(), self.betas)

    def _validate_common(self) -> None:
        check_int(self.n_clusters, "n_clusters", minimum=1)
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

    def _check_X(self, X, name: str = "X", *, reset: bool = False) -> np.ndarray:
        """Validated rows (float32); ``reset`` in ``fit`` (the training rows), else checked against them."""
        X = validate_rows(self, X, reset=reset)
        if self.architecture == "conv":
            side = int(round(np.sqrt(X.shape[1])))
            if side * side != X.shape[1] or side % 4:
                raise ValueError(f"architecture='conv' reads {name}'s rows as square images with a side divisible "
                                 f"by 4 (784 = 28 x 28 for MNIST), got {X.shape[1]} features; the dense "
                                 f"architecture takes rows of any width")
        if reset and self.reconstruction == "bce":
            lo, hi = float(X.min()), float(X.max())
            if lo < 0.0 or hi > 1.0:
                raise ValueError(f"reconstruction='bce' (binary cross-entropy) needs {name} in [0, 1], got range "
                                 f"[{lo:g}, {hi:g}]; scale {name} (e.g. MinMaxScaler) or use reconstruction='mse'")
        return X

    def _build_module(self, n_features: int) -> Autoencoder:
        enc, lat, dec = self._sizes()
        module = Autoencoder(self._head_units(), enc, lat, dec, architecture=self.architecture, head=self._head,
                             conv_channels=tuple(int(c) for c in self.conv_channels), n_features=n_features,
                             image_size=int(round(np.sqrt(n_features))), **self._module_kwargs())
        if self.init == "glorot":
            glorot_init(module)
        return module

    def _module_kwargs(self) -> dict:
        return {}

    def _as_input(self, x: torch.Tensor) -> torch.Tensor:
        """Rows (B, F) as the module reads them: as they are (dense), or images (B, 1, S, S) (conv)."""
        if self.module_.architecture == "conv":
            side = self.module_.image_size
            return x.view(-1, 1, side, side)
        return x

    @property
    def _n_features_out(self) -> int:
        # What transform returns; read from the fitted module, so that get_feature_names_out
        # refuses an unfitted model.
        return self.module_.n_head

    # ----- losses ------------------------------------------------------------------------------
    def _reconstruction_loss(self, recon: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        if self.reconstruction == "mse":
            per_pixel = (recon - x) ** 2
        else:
            per_pixel = torch.nn.functional.binary_cross_entropy(recon.clamp(1e-6, 1 - 1e-6), x, reduction="none")
        if self.reconstruction_reduction == "sum":
            return per_pixel.flatten(1).sum(1).mean()
        return per_pixel.mean()

    def _forward(self, x: torch.Tensor, phase: str = "joint"):
        """``(reconstruction, h_AE, head)`` with the gradient routing of the reading in ``phase`` (see AEACRBM)."""
        return self.module_(x)

    def _terms(self, x: torch.Tensor, phase: str = "joint"):
        """The reconstruction term and the extra (ACRBM) term of one batch ``x`` (as the module reads it) in ``phase``."""
        recon, h_ae, h_head = self._forward(x, phase)
        return self._reconstruction_loss(recon, x), self._extra_loss(h_head, "joint")

    def _gradient_norms(self, data: torch.Tensor, phase: str = "joint") -> dict:
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
        x = self._as_input(data[:1024])
        rec, extra = self._terms(x, phase)
        out = {}
        for name, term in (("reconstruction", rec), ("acrbm", extra)):
            if term is None:
                continue
            grads = torch.autograd.grad(term, params, allow_unused=True, retain_graph=True)
            out[f"grad_encoder_{name}"] = float(torch.sqrt(sum((g ** 2).sum() for g in grads if g is not None)
                                                           + torch.zeros(())).item())
        return out

    # ----- fitting -----------------------------------------------------------------------------
    def fit(self, X, y=None, *, eval_set=None, callbacks=()):
        """Train on rows ``X`` (n_samples, n_features), any real values; ``y`` is ignored (unsupervised).

        ``eval_set=(X_eval, y_eval)`` only *monitors* training: every ``eval_every``
        epochs the clustering accuracy on it is added to ``history_`` and logged (logger
        ``osa_lib.clustering.ae_base``, level INFO). Labels never touch the weights.

        ``callbacks``: :class:`osa_lib.train.EpochCallback` objects run after every epoch; one
        that asks to stop ends ``fit`` early with ``complete_ = False`` (the checkpoint is saved,
        and a later ``fit`` with the same ``checkpoint`` resumes there).
        """
        X, eval_set = self._prepare(X, eval_set)
        generator, device = self._setup(X)
        ae_checkpoint.resume(self, self.checkpoint, generator, device)
        return self._train(X, eval_set, generator, device, callbacks)

    @property
    def complete_(self) -> bool:
        """True when all ``epochs`` ran (False after a callback stopped ``fit`` early)."""
        check_is_fitted(self, "module_")
        return self.epochs_done_ >= self.epochs

    def _setup(self, X):
        device = torch.device(self.device)
        generator = seeded_generator(self.random_state)
        module = seeded_module(lambda: self._build_module(X.shape[1]), generator)
        module.to(device)
        self.module_ = module
        self.history_ = []
        self.epochs_done_ = 0
        self.train_time_s_ = 0.0
        self._kmeans_seed = fork_seed(generator)
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
        check_is_fitted(warm, "module_")
        X, eval_set = self._prepare(X, eval_set)
        if warm.epochs_done_ > self.epochs:
            raise ValueError(f"warm has {warm.epochs_done_} epochs, more than epochs={self.epochs}")
        generator, device = self._setup(X)
        try:
            missing, unexpected = self.module_.load_state_dict(warm.module_.state_dict(), strict=False)
        except RuntimeError as err:      # same layer names, other sizes
            raise ValueError(f"warm has a different architecture: {err}") from err
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
        return self._train(X, eval_set, generator, device, ())

    def check_params(self):
        """Check every hyperparameter, as :meth:`fit` does first, without fitting; return ``self``.

        Raises ValueError (or TypeError) naming the parameter. A job runner calls it to refuse a bad job
        before it queues; nothing else needs to re-check what the estimator checks.
        """
        self._validate_common()
        self._validate_extra()
        return self

    def _prepare(self, X, eval_set):
        """Validate the hyperparameters, ``X`` (which sets ``n_features_in_``) and ``eval_set``."""
        self.check_params()
        return self._check_X(X, reset=True), self._check_eval_set(eval_set)

    def _check_eval_set(self, eval_set):
        if eval_set is None:
            return None
        X_eval, y_eval = eval_set
        X_eval = self._check_X(X_eval, "X_eval")
        y_eval = np.asarray(y_eval)
        if y_eval.shape != (len(X_eval),):
            raise ValueError(f"y_eval must have shape ({len(X_eval)},), got {y_eval.shape}")
        return X_eval, y_eval

    def _train(self, X, eval_set, generator, device, callbacks):
        module = self.module_
        if eval_set is not None:
            X_eval, y_eval = eval_set
        start_epoch = self.epochs_done_
        if self.checkpoint is not None:
            callbacks = (*callbacks, ae_checkpoint.Checkpoint(self.checkpoint, self.checkpoint_every))
        data = torch.from_numpy(X).to(device)

        bar = tqdm(range(self.epochs_done_, self.epochs), desc=self._desc(), disable=not self.progress, leave=False)
        for epoch in bar:
            t0 = time.perf_counter()
            phase = self._phase(epoch)
            self._start_phase(phase, epoch, X, device)
            report = (epoch + 1) % self.eval_every == 0 or epoch + 1 == self.epochs or epoch == 0
            grad_norms = self._gradient_norms(data, phase) if (report and eval_set is not None) else {}
            totals = {}
            batch_loss = self._batch_loss_fn(data, epoch, phase, totals)
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
            self._generator_state = generator.get_state()
            stopping = any(cb.should_stop(self) for cb in callbacks)
            for cb in callbacks:
                cb.on_epoch_end(self, stopping=stopping)
            if stopping and epoch + 1 < self.epochs:
                logger.info("%s stopped by a callback after epoch %d/%d", self._desc(), epoch + 1, self.epochs)
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
        self.labels_ = self._predict_rows(X)
        self._generator_state = generator.get_state()
        for cb in callbacks:
            cb.on_train_end(self)
        return self

    def _desc(self) -> str:
        return f"{type(self).__name__}(K={self.n_clusters}, seed={self.random_state})"

    def _batch_loss_fn(self, data, epoch, phase, totals):
        lam = self._lambda(epoch)

        def add(name, value, n):
            v = value.detach() * n
            totals[name] = v if name not in totals else totals[name] + v

        def batch_loss(idx):
            x = self._as_input(data.index_select(0, idx.to(data.device)))   # (B, F), or (B, 1, S, S) for conv
            recon, h_ae, h_head = self._forward(x, phase)
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
        out = []
        for s in range(0, len(X), _CHUNK):
            x = self._as_input(torch.from_numpy(X[s:s + _CHUNK]).to(device))
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
        """The AE's reconstructions, shape (n_samples, n_features), values in (0, 1) (a sigmoid)."""
        check_is_fitted(self, "module_")
        return self._encode(self._check_X(X), "reconstruction")

    # ----- checkpoints (osa_lib.clustering.ae_checkpoint) --------------------------------------
    def _extra_state(self) -> dict:
        return {}

    def _set_extra_state(self, state: dict) -> None:
        pass

    def _phase_for_group(self, group: str) -> str:
        return "ae"

    def save(self, path):
        """Write the model, optimiser, generator and history to ``path`` (a ``.pt`` file)."""
        return ae_checkpoint.save(self, path)

    @classmethod
    def load(cls, path, device: str | None = None):
        """A fitted estimator from a file written by :meth:`save`."""
        return ae_checkpoint.load(cls, path, device)
