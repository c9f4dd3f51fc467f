"""Local Observer Convolution (LOC), section 2.2 (eq 17-22) and appendix C of the paper.

An *observer* network maps an image ``v`` (B, C, H, W) to a map ``G`` (B, 1, H, W) of the same
spatial size. The loss compares ``v`` with ``K(v, G) = v * G`` (eq 19):

    eps_i = mean over (C, H, W) of (v_i - K(v_i, G_i))^2          (eq 20, read as the MSE)
    loss  = eps_i if eps_i > rho else 0                            (eq 21, the hinge)

Our reading, made explicit (the chapter tests each choice):

* ``*`` is the element-wise product with ``G`` broadcast over the colour channels (the paper:
  "it is possibly sufficient to repeat the same a_i"). :func:`observe` also offers the other
  reading, a convolution of ``v`` with ``G`` as an image-sized kernel, which the chapter tests.
* eq 20 prints a minus sign; with it ``eps <= 0`` and the hinge never fires for ``rho > 0``, so
  ``eps`` is the mean squared error.
* The hinge is applied **per image** and the batch loss is the mean over images: each image
  stops pulling ``G`` towards the trivial ``G = 1`` as soon as its own error is below ``rho``.
  (``reduction="batch"`` applies it to the batch mean instead.)
* Clusters: ``G`` is clipped at 0 and rounded to integers (:func:`extract_labels`); an image's
  number of clusters is its number of distinct labels. Binary mask: the image's distinct labels
  are sorted and those at or below their median are background (:func:`median_binarize`).

How ``v`` is normalised before it enters the loss is the open question that decides whether
the hinge is ever active; :func:`normalize_images` offers the readings the chapter compares.
"""
from __future__ import annotations

import math
import time

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted
from torch import nn

from osa_lib.segmentation.loc_loss import (NORMALIZATIONS, PRODUCTS, REDUCTIONS, _hinge, border_mask,  # noqa: F401
                                           loc_error, loc_loss, normalize_images, observe)
from osa_lib.segmentation.masks import count_clusters, extract_labels, median_binarize  # noqa: F401
from osa_lib.segmentation.observer import (LOCObserver, _bn_state, _restore_bn_state,  # noqa: F401
                                           calibrate_batch_norm)
from osa_lib.train import n_parameters, run_epochs, seeded_generator, seeded_module
from osa_lib.validation import check_betas, check_images, check_int, store_init_arguments  # noqa: F401  (check_images re-exported)


class _HingeTraining:
    """Per-batch loss of :class:`LOC` for :func:`osa_lib.train.run_epochs`, and its per-epoch diagnostics.

    A batch whose hinge is off everywhere has an exactly zero gradient, so it returns
    ``0 * sum(weights)``: backward gives Adam the same zero gradients as backpropagating the zero
    loss would, without the pass through the network. After an epoch in which at most half of the
    batches fired, batches are first run without autograd (cheaper); a batch whose hinge turns
    out to fire is run again with it, with batch norm's running statistics restored first, so the
    result is unchanged.
    """

    def __init__(self, observer: nn.Module, V: torch.Tensor, *, rho: float, reduction: str, product: str,
                 n_batches: int):
        self.observer, self.V, self.rho = observer, V, float(rho)
        self.reduction, self.product, self.n_batches = reduction, product, n_batches
        self.params = list(observer.parameters())
        self.idle = False
        self.active, self.error, self.fired = [], [], []
        self._n_active, self._err_sum, self._n_fired = 0, 0.0, 0

    def _fires(self, eps: torch.Tensor) -> bool:
        return bool((eps > self.rho).any()) if self.reduction == "image" else float(eps.mean()) > self.rho

    def _count(self, eps: torch.Tensor, fired: bool) -> None:
        self._n_active += int((eps > self.rho).sum())
        self._err_sum += float(eps.sum())
        self._n_fired += int(fired)

    def _zero(self) -> torch.Tensor:
        return 0.0 * sum(p.sum() for p in self.params)

    def batch_loss(self, idx: torch.Tensor) -> torch.Tensor:
        v = self.V[idx.to(self.V.device)]
        if self.idle:
            saved = _bn_state(self.observer)
            with torch.no_grad():
                eps = loc_error(v, self.observer(v), self.product)
            if not self._fires(eps):
                self._count(eps, False)
                return self._zero()
            _restore_bn_state(self.observer, saved)
        eps = loc_error(v, self.observer(v), self.product)
        loss = _hinge(eps, self.rho, self.reduction)
        fired = float(loss.detach()) > 0
        self._count(eps.detach(), fired)
        return loss if fired else self._zero()

    def end_epoch(self, epoch: int, mean_loss: float) -> None:
        N = len(self.V)
        self.active.append(self._n_active / N)
        self.error.append(self._err_sum / N)
        self.fired.append(self._n_fired)
        self.idle = self._n_fired <= self.n_batches // 2
        self._n_active, self._err_sum, self._n_fired = 0, 0.0, 0


class LOC(BaseEstimator):
    """A LOC segmenter: observer + hinged loss, trained with Adam (Table 4), scikit-learn style.

    Parameters
    ----------
    rho : float
        Hinge lower bound (Table 4: 0.5).
    normalization : {"unit", "image", "border"}
        How ``v`` is made from the [0, 1] images (:func:`normalize_images`).
    reduction : {"image", "batch"}
        Where the hinge acts (:func:`loc_loss`).
    product : {"elementwise", "conv"}
        The reading of ``*`` in eq 19 (:func:`observe`).
    kernel_sizes, strides, filters
        Observer blocks (:class:`LOCObserver`).
    epochs : int >= 0
        Table 4: 50. ``0`` gives the **untrained observer**: the seeded random initialisation,
        with batch norm's running statistics averaged over one pass of the training images
        (:func:`calibrate_batch_norm`) and no weight update: the control that shows what
        training adds to the normalisation.
    batch_size, lr, betas
        Table 4: batch 64, Adam lr 1e-3, betas (0.9, 0.999).
    max_label : int or None
        Upper clip of :func:`extract_labels` (None: clip at 0 only).
    border : float
        Frame width of ``normalization="border"`` (a fraction of the side).
    random_state : int or None
        Seeds the weights (in a forked torch RNG; the global generator is left alone) and the
        batch order.
    device : str
    progress : bool
        A tqdm bar over epochs.

    Images are float arrays of shape (N, 3, H, W) with values in [0, 1].

    Fitted attributes: ``observer_``, ``history_`` (mean loss per epoch), ``active_``
    (share of training images whose hinge was on, per epoch), ``error_`` (mean ``eps_i`` per
    epoch, measured on the training batches), ``fired_batches_`` (mini-batches per epoch whose
    loss was not zero: the only Adam steps with a gradient), ``weight_change_`` (largest absolute
    change of any weight during training; 0 when the hinge never fired), ``n_parameters_``,
    ``fit_time_s_``.
    """

    def __init__(self, rho=0.5, normalization="image", reduction="image", product="elementwise", *,
                 kernel_sizes=(3, 3, 3), strides=(1, 1, 1), filters=(16, 16, 16), epochs=50,
                 batch_size=64, lr=1e-3, betas=(0.9, 0.999), max_label=None,
                 border=0.1, random_state=0, device="cpu", progress=True):
        store_init_arguments(self, locals())

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # Images (N, 3, H, W), not a table: scikit-learn's data checks (2-D tables) do not apply.
        tags.input_tags.two_d_array = False
        return tags

    def _check_params(self) -> None:
        if self.normalization not in NORMALIZATIONS:
            raise ValueError(f"unknown normalisation {self.normalization!r}; use one of {NORMALIZATIONS}")
        if self.reduction not in REDUCTIONS:
            raise ValueError(f"unknown reduction {self.reduction!r}; use one of {REDUCTIONS}")
        if self.product not in PRODUCTS:
            raise ValueError(f"unknown product {self.product!r}; use one of {PRODUCTS}")
        if isinstance(self.rho, bool) or not isinstance(self.rho, (int, float)) or not math.isfinite(self.rho) \
                or self.rho < 0:
            raise ValueError(f"rho must be a finite number >= 0, got {self.rho!r}")
        check_int(self.epochs, "epochs", minimum=0)
        check_int(self.batch_size, "batch_size", minimum=1)
        if not (isinstance(self.lr, (int, float)) and math.isfinite(self.lr) and self.lr > 0):
            raise ValueError(f"lr must be a positive number, got {self.lr!r}")
        check_betas(self.betas)
        if self.max_label is not None:
            check_int(self.max_label, "max_label", minimum=0)

    def _v(self, X: np.ndarray) -> torch.Tensor:
        return normalize_images(X, self.normalization, border=self.border)

    def fit(self, X, y=None):
        """Train the observer on images ``X`` (N, 3, H, W) in [0, 1]; ``y`` is ignored.

        Mini-batches are shuffled by a generator seeded with ``random_state``; the last,
        smaller batch of an epoch is kept (:func:`osa_lib.train.run_epochs`).
        """
        self._check_params()
        X = check_images(X)
        device = torch.device(self.device)
        generator = seeded_generator(self.random_state)
        observer = seeded_module(lambda: LOCObserver(3, self.kernel_sizes, self.strides, self.filters), generator)
        observer.to(device)
        V = self._v(X).to(device)                                   # (N, 3, H, W)
        params = list(observer.parameters())
        initial = [p.detach().clone() for p in params]
        batch_size = int(self.batch_size)
        start = time.perf_counter()
        if int(self.epochs) == 0:
            calibrate_batch_norm(observer, V, batch_size)
            self.history_, self.active_, self.error_, self.fired_batches_ = [], [], [], []
        else:
            training = _HingeTraining(observer, V, rho=float(self.rho), reduction=self.reduction,
                                      product=self.product, n_batches=math.ceil(len(V) / batch_size))
            optimizer = torch.optim.Adam(params, lr=self.lr, betas=tuple(self.betas))
            observer.train()
            self.history_ = run_epochs(training.batch_loss, optimizer, len(V), epochs=int(self.epochs),
                                       batch_size=batch_size, generator=generator, desc="LOC",
                                       progress=self.progress, on_epoch_end=training.end_epoch)
            self.active_, self.error_, self.fired_batches_ = training.active, training.error, training.fired
        self.fit_time_s_ = time.perf_counter() - start
        self.weight_change_ = max(float((p.detach() - p0).abs().max()) for p, p0 in zip(params, initial))
        observer.eval()
        self.observer_ = observer
        self.n_parameters_ = n_parameters(observer)
        return self

    @torch.no_grad()
    def predict_G(self, X, batch_size: int = 128) -> np.ndarray:
        """The observer's output ``G`` (N, H, W) float32 (eval mode: batch norm's running statistics)."""
        check_is_fitted(self, "observer_")
        X = check_images(X)
        device = next(self.observer_.parameters()).device
        out = [self.observer_(self._v(X[s:s + batch_size]).to(device))[:, 0].cpu()
               for s in range(0, len(X), batch_size)]
        return torch.cat(out).numpy()

    def error(self, X, batch_size: int = 128) -> np.ndarray:
        """Per-image ``eps_i`` of eq 20 at the fitted observer: (N,)."""
        G = torch.as_tensor(self.predict_G(X, batch_size))[:, None]
        return loc_error(self._v(check_images(X)), G, self.product).numpy()

    def predict_labels(self, X) -> np.ndarray:
        """Multi-class labels (N, H, W) int64: :func:`extract_labels` of ``G``."""
        return extract_labels(self.predict_G(X), self.max_label)

    def predict(self, X) -> np.ndarray:
        """Binary masks (N, H, W) uint8: :func:`median_binarize` of the labels."""
        return median_binarize(self.predict_labels(X))
