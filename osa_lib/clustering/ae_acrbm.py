"""AE + ACRBM (appendix B, Table 1): :class:`AEACRBM`, an ACRBM head on the AE latent, trained in one stage.

The readings of the printed protocol that the book tests (``reconstruction_reduction``,
``head_gradient``, ``encoder_loss``, ``init``) are options; :meth:`AEACRBM._forward` routes the
gradient of each loss term as the reading says. The printed protocol and each reading are named
presets (:meth:`AEACRBM.from_reading`, table in :mod:`osa_lib.clustering.ae_presets`).
"""
from __future__ import annotations

import numpy as np
import torch
from sklearn.cluster import KMeans
from sklearn.utils.validation import check_is_fitted

from osa_lib.acrbm import acrbm_loss
from osa_lib.clustering.ae_base import AEBase
from osa_lib.metrics import clustering_scores
from osa_lib.validation import check_float, check_int, store_init_arguments

#: Which weights the ACRBM term reaches. "full": everything (the printed protocol); "detached":
#: only the head (it reads ``h_AE.detach()``, and the decoder reads the head detached);
#: "detached_input": the head reads ``h_AE.detach()`` but the decoder reads the head as it is, so the
#: head learns from both terms and the encoder from reconstruction alone.
HEAD_GRADIENTS = ("full", "detached", "detached_input")
#: Which losses train the encoder. "both": reconstruction + lambda * ACRBM; "acrbm": the ACRBM
#: term alone (the decoder reads detached codes), section 3.1's "without a reconstruction criterion".
ENCODER_LOSSES = ("both", "acrbm")


class AEACRBM(AEBase):
    """AE + ACRBM (appendix B, Table 1): an ACRBM head ``softmax((z W + b)/T)`` on the AE latent.

    Loss per mini-batch: ``reconstruction + lambda * acrbm_loss(h_ACRBM)``, with the
    reconstruction the mean squared error per pixel (``reconstruction="mse"``, default)
    or binary cross-entropy. Cluster label = ``argmax h_ACRBM``.

    Schedule: ``warmup_epochs`` of reconstruction only (lambda = 0), then
    ``finetune="joint"`` (all weights, lambda ramped linearly to ``lam`` over
    ``ramp_epochs``) or ``finetune="head"`` (AE frozen, head trained on the ACRBM loss
    alone). With ``head_init="kmeans"`` the head is set, at the end of the warm-up,
    from K-means centres of its input (see
    :meth:`osa_lib.clustering.autoencoder.Autoencoder.init_head_from_centroids`).

    Presets: ``AEACRBM.from_reading("printed")`` is the paper's printed protocol at its budget
    (500 epochs, lambda = 1); ``AEACRBM.from_reading(name)`` each reading the book measured
    (:data:`osa_lib.clustering.ae_presets.ACRBM_READINGS`: "sum", "detached", "glorot", "lam1_10000", ...),
    with any parameter overridden (``n_clusters=30``, ``epochs=100``, ``random_state=2``).

    Defaults: the printed protocol's model, loss, optimiser and lambda (= 1), at a short budget of
    ``epochs=10`` instead of 500 -- a stated other choice, so that a first ``fit`` on MNIST takes
    about 15 seconds rather than 10-13 minutes on one core and the tests stay fast; it is not a budget the
    book measured. Use ``from_reading("printed")`` for the protocol the book ran.

    Parameters
    ----------
    n_clusters : int, default 10
        ``K`` >= 1 (1: the trivial model, every row in cluster 0).
    architecture : {"dense", "conv"}, default "dense"
        The paper's dense AE (Table 1's parameter counts; rows of any width) or the
        convolutional ablation (rows that are square images, side divisible by 4).
    encoder_units, latent_dim, decoder_units : int or None
        None -> Table 3's sizes for ``n_clusters`` (10: 100/90/100, 30: 300/300/300; any other
        K: those of the nearer row, K <= 20 -> 100/90/100, K > 20 -> 300/300/300; see
        :func:`osa_lib.clustering.autoencoder.resolve_sizes`).
    conv_channels : (int, int), default (16, 16)
    epochs : int, default 10
        All epochs, warm-up included (the printed protocol: 500; see "Defaults" above).
    warmup_epochs : int, default 0
    lam : float, default 1.0
        Weight of the ACRBM term (the paper gives none; 1 is the printed protocol's reading).
    ramp_epochs : int, default 0
    finetune : {"joint", "head"}, default "joint"
    head_init : {"random", "kmeans"}, default "random"
    standardize : bool, default False
        Batch-normalise ``h_AE`` (no affine) before the head.
    temperature : float, default 1.0
    reconstruction : {"mse", "bce"}, default "mse"
        "bce" needs ``X`` in [0, 1] (``fit`` refuses other values); "mse" takes any real values
        (the sigmoid decoder reproduces their part in [0, 1]; see :mod:`~osa_lib.clustering.ae_base`).
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
        With ``warmup_epochs`` > 0 the warm-up trains the whole AE on reconstruction first
        (every reading's routing starts after the warm-up): "pre-train, then ACRBM only".
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
    n_parameters_, n_features_in_, feature_names_in_ (a DataFrame's column names), labels_,
    epochs_done_, train_time_s_
    """

    _head = "acrbm"
    _presets = "AEACRBM"

    def __init__(self, n_clusters=10, *, architecture="dense", encoder_units=None, latent_dim=None,
                 decoder_units=None, conv_channels=(16, 16), epochs=10, warmup_epochs=0, lam=1.0, ramp_epochs=0, finetune="joint",
                 head_init="random", standardize=False, temperature=1.0, reconstruction="mse",
                 reconstruction_reduction="mean", head_gradient="full", encoder_loss="both", init="pytorch",
                 batch_size=256, lr=1e-3, betas=None, random_state=0, device="cpu", progress=True,
                 checkpoint=None, eval_every=1, checkpoint_every=1):
        store_init_arguments(self, locals())

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

    def _forward(self, x: torch.Tensor, phase: str = "joint"):
        if phase == "warmup" or (self.head_gradient == "full" and self.encoder_loss == "both"):
            # The warm-up is reconstruction pre-training of the whole AE, whatever the reading after it.
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

    def _predict_rows(self, X: np.ndarray) -> np.ndarray:
        return self._encode(X, "head").argmax(axis=1).astype(np.int64)

    def predict(self, X) -> np.ndarray:
        """Cluster of each row: ``argmax h_ACRBM``; int64 of shape (n_samples,)."""
        check_is_fitted(self, "module_")
        return self._predict_rows(self._check_X(X))
