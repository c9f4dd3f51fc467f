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
from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted
from torch import nn

from osa_lib.acrbm import n_parameters
from osa_lib.validation import check_int
from osa_lib.train import run_epochs, seeded_generator

NORMALIZATIONS = ("unit", "image", "border")
REDUCTIONS = ("image", "batch")
PRODUCTS = ("elementwise", "conv")


# --------------------------------------------------------------------------- the observer (appendix C)

class LOCObserver(nn.Module):
    """Appendix C's observer: conv 2D + batch norm + ReLU blocks, then a 1x1 convolution to ``G``.

    Parameters
    ----------
    in_channels : int
        Channels of ``v`` (3 for RGB).
    kernel_sizes, strides, filters : sequences of int, one entry per block
        ``k``, ``s`` and ``nf`` of appendix C. Padding is ``k // 2``. Blocks with stride > 1
        shrink the map; ``G`` is then resized back to the input size (bilinear), so ``G``
        always has the input's spatial size.
    out_channels : int
        Channels of ``G`` (1: one map repeated over the colour channels).

    ``forward(v)``: v (B, C, H, W) -> G (B, out_channels, H, W), unbounded (linear output).
    """

    def __init__(self, in_channels: int = 3, kernel_sizes: Sequence[int] = (3, 3, 3),
                 strides: Sequence[int] = (1, 1, 1), filters: Sequence[int] = (16, 16, 16),
                 out_channels: int = 1):
        super().__init__()
        if not (len(kernel_sizes) == len(strides) == len(filters)) or len(filters) == 0:
            raise ValueError(f"kernel_sizes, strides and filters need the same non-zero length, got "
                             f"{len(kernel_sizes)}, {len(strides)}, {len(filters)}")
        for name, vals in (("kernel_sizes", kernel_sizes), ("strides", strides), ("filters", filters)):
            if any(int(v) < 1 for v in vals):
                raise ValueError(f"{name} must be positive integers, got {list(vals)}")
        if in_channels < 1 or out_channels < 1:
            raise ValueError(f"in_channels and out_channels must be >= 1, got {in_channels}, {out_channels}")
        self.in_channels = int(in_channels)
        self.kernel_sizes = tuple(int(k) for k in kernel_sizes)
        self.strides = tuple(int(s) for s in strides)
        self.filters = tuple(int(f) for f in filters)
        self.out_channels = int(out_channels)
        layers, c = [], self.in_channels
        for k, s, nf in zip(self.kernel_sizes, self.strides, self.filters):
            layers += [nn.Conv2d(c, nf, k, stride=s, padding=k // 2, bias=False), nn.BatchNorm2d(nf),
                       nn.ReLU(inplace=True)]
            c = nf
        self.blocks = nn.Sequential(*layers)
        self.head = nn.Conv2d(c, self.out_channels, 1)

    def forward(self, v: torch.Tensor) -> torch.Tensor:
        if v.ndim != 4 or v.shape[1] != self.in_channels:
            raise ValueError(f"expected v of shape (B, {self.in_channels}, H, W), got {tuple(v.shape)}")
        B, C, H, W = v.shape
        g = self.head(self.blocks(v))                       # (B, out, H', W')
        if g.shape[-2:] != (H, W):
            g = F.interpolate(g, size=(H, W), mode="bilinear", align_corners=False)
        return g                                            # (B, out, H, W)


# --------------------------------------------------------------------------- normalisation of v

def border_mask(H: int, W: int, width: float = 0.1) -> torch.Tensor:
    """Bool (H, W), True on a frame of ``max(1, round(width * side))`` pixels along the image edge."""
    if not 0 < width < 0.5:
        raise ValueError(f"border width must lie in (0, 0.5), got {width}")
    bh, bw = max(1, round(width * H)), max(1, round(width * W))
    m = torch.zeros(H, W, dtype=torch.bool)
    m[:bh], m[-bh:], m[:, :bw], m[:, -bw:] = True, True, True, True
    return m


def normalize_images(x, mode: str = "image", *, border: float = 0.1, eps: float = 1e-6) -> torch.Tensor:
    """The ``v`` that enters the observer and the loss, from images ``x`` (B, C, H, W) in [0, 1].

    * ``"unit"``: ``v = x`` (pixel values in [0, 1], the literal reading).
    * ``"image"``: per image and channel, zero mean and unit variance.
    * ``"border"``: per image, centred on the mean colour of a frame of width ``border`` (a
      fraction of the side) and scaled so that the mean of ``v**2`` over channels and pixels
      is 1: pixels that look like the image's edge get ``v ~ 0``. This encodes the prior that
      the edge of a flower photograph is mostly background (GrabCut's rectangle encodes the same).

    With ``"image"`` and ``"border"`` the error of ``G = 0`` is exactly 1 for every image, so
    ``rho`` is the share of each image's energy that may stay unexplained.
    """
    if mode not in NORMALIZATIONS:
        raise ValueError(f"unknown normalisation {mode!r}; use one of {NORMALIZATIONS}")
    x = torch.as_tensor(x, dtype=torch.float32)
    if x.ndim != 4:
        raise ValueError(f"expected images of shape (B, C, H, W), got {tuple(x.shape)}")
    if mode == "unit":
        return x
    if mode == "image":
        mean = x.mean(dim=(2, 3), keepdim=True)
        std = x.std(dim=(2, 3), keepdim=True, unbiased=False)
        return (x - mean) / (std + eps)
    B, C, H, W = x.shape
    frame = border_mask(H, W, border).to(x.device)
    centre = x[:, :, frame].mean(dim=2)[:, :, None, None]            # (B, C, 1, 1)
    d = x - centre
    scale = d.pow(2).mean(dim=(1, 2, 3), keepdim=True).sqrt()         # (B, 1, 1, 1)
    return d / (scale + eps)


# --------------------------------------------------------------------------- the loss (eq 19-22)

def observe(v: torch.Tensor, G: torch.Tensor, product: str = "elementwise") -> torch.Tensor:
    """``K(v, G) = v * G`` (eq 19) under one of two readings of ``*``; returns (B, C, H, W).

    * ``"elementwise"``: ``v * G`` element by element, ``G`` repeated over the colour channels.
    * ``"conv"``: each channel of ``v`` convolved with ``G`` read as an image-sized kernel centred
      on the image (circular convolution through the FFT). Its trivial optimum is a delta kernel.
    """
    if product not in PRODUCTS:
        raise ValueError(f"unknown product {product!r}; use one of {PRODUCTS}")
    _check_vG(v, G)
    if product == "elementwise":
        return v * G
    H, W = v.shape[-2:]
    kernel = torch.fft.ifftshift(G, dim=(-2, -1))             # centre of G -> offset (0, 0)
    return torch.fft.irfft2(torch.fft.rfft2(v) * torch.fft.rfft2(kernel), s=(H, W))


def loc_error(v: torch.Tensor, G: torch.Tensor, product: str = "elementwise") -> torch.Tensor:
    """Per-image ``eps_i = mean_{C,H,W} (v - K(v, G))^2`` (eq 19-20, eq 20 read as the MSE); shape (B,)."""
    K = observe(v, G, product)
    return (v - K).pow(2).flatten(1).mean(dim=1)


def loc_loss(v: torch.Tensor, G: torch.Tensor, rho: float, reduction: str = "image",
             product: str = "elementwise") -> torch.Tensor:
    """The LOC objective (eq 21-22): the hinged MSE between ``v`` and ``K(v, G) = v * G``.

    Parameters
    ----------
    v : tensor (B, C, H, W)
    G : tensor (B, 1, H, W) or (B, C, H, W)
    rho : float >= 0
        The lower bound of eq 21.
    reduction : {"image", "batch"}
        ``"image"``: ``mean_i [eps_i if eps_i > rho else 0]``; ``"batch"``: with ``eps`` the
        batch mean of ``eps_i``, ``eps if eps > rho else 0``.
    product : {"elementwise", "conv"}
        The reading of ``*`` (:func:`observe`).

    Returns
    -------
    Scalar tensor. Where the hinge is off the loss is 0 and carries no gradient.
    """
    if isinstance(rho, bool) or not isinstance(rho, (int, float)) or not math.isfinite(rho) or rho < 0:
        raise ValueError(f"rho must be a finite number >= 0, got {rho!r}")
    if reduction not in REDUCTIONS:
        raise ValueError(f"unknown reduction {reduction!r}; use one of {REDUCTIONS}")
    return _hinge(loc_error(v, G, product), rho, reduction)


def _hinge(eps: torch.Tensor, rho: float, reduction: str) -> torch.Tensor:
    """Eq 21 on per-image errors ``eps`` (B,): per image then the mean, or on the batch mean."""
    if reduction == "image":
        return torch.where(eps > rho, eps, torch.zeros_like(eps)).mean()
    e = eps.mean()
    return torch.where(e > rho, e, torch.zeros_like(e))


def _check_vG(v, G) -> None:
    if not torch.is_tensor(v) or not torch.is_tensor(G):
        raise ValueError("v and G must be torch tensors")
    if v.ndim != 4:
        raise ValueError(f"v must have shape (B, C, H, W), got {tuple(v.shape)}")
    if G.ndim != 4:
        raise ValueError(f"G must have shape (B, 1, H, W) or (B, C, H, W), got {tuple(G.shape)}")
    if G.shape[0] != v.shape[0]:
        raise ValueError(f"v and G differ in batch size: {v.shape[0]} vs {G.shape[0]}")
    if G.shape[2:] != v.shape[2:]:
        raise ValueError(f"G must have v's spatial size {tuple(v.shape[2:])}, got {tuple(G.shape[2:])}")
    if G.shape[1] not in (1, v.shape[1]):
        raise ValueError(f"G must have 1 or {v.shape[1]} channels, got {G.shape[1]}")


# --------------------------------------------------------------------------- clusters and masks

def extract_labels(G, max_label: int | None = None) -> np.ndarray:
    """Cluster labels from the observer's output: clip at 0 (and at ``max_label``), round to integers.

    ``G``: array or tensor of shape (..., H, W) (a channel axis of size 1 is dropped). Returns
    int64 labels of the same shape without that axis. Rounding is numpy's (half to even).
    """
    g = G.detach().cpu().numpy() if torch.is_tensor(G) else np.asarray(G, dtype=float)
    if g.ndim == 4:
        if g.shape[1] != 1:
            raise ValueError(f"G must have one channel, got shape {g.shape}")
        g = g[:, 0]
    if g.ndim not in (2, 3):
        raise ValueError(f"G must have shape (H, W), (N, H, W) or (N, 1, H, W), got {g.shape}")
    if not np.all(np.isfinite(g)):
        raise ValueError("G holds NaN or infinite values")
    if max_label is not None and max_label < 0:
        raise ValueError(f"max_label must be >= 0, got {max_label}")
    return np.rint(np.clip(g, 0, max_label)).astype(np.int64)


def _check_labels_map(labels) -> tuple[np.ndarray, bool]:
    lab = np.asarray(labels)
    if lab.ndim not in (2, 3):
        raise ValueError(f"labels must have shape (H, W) or (N, H, W), got {lab.shape}")
    if lab.size == 0:
        raise ValueError("labels are empty")
    if not np.issubdtype(lab.dtype, np.integer):
        if not (np.issubdtype(lab.dtype, np.floating) and np.all(lab == np.rint(lab))):
            raise ValueError(f"labels must be integers, got dtype {lab.dtype}")
        lab = lab.astype(np.int64)
    single = lab.ndim == 2
    return (lab[None] if single else lab), single


def median_binarize(labels) -> np.ndarray:
    """The paper's binary mask: per image, labels at or below the median of its distinct labels -> 0.

    ``labels``: integers of shape (H, W) or (N, H, W). The distinct labels of each image are
    sorted; those ``<=`` their median (numpy's median: the mean of the two middle labels for an
    even count) become background 0, the rest foreground 1. One label -> all background.
    Returns uint8 of the input's shape.
    """
    lab, single = _check_labels_map(labels)
    out = np.zeros(lab.shape, dtype=np.uint8)
    for i, l in enumerate(lab):
        med = np.median(np.unique(l))
        out[i] = l > med
    return out[0] if single else out


def count_clusters(labels) -> np.ndarray:
    """Number of distinct labels in each image: int64 of shape (N,) (or a 0-d array for one image)."""
    lab, single = _check_labels_map(labels)
    counts = np.array([len(np.unique(l)) for l in lab], dtype=np.int64)
    return counts[0] if single else counts


# --------------------------------------------------------------------------- input validation

def check_images(X, name: str = "X") -> np.ndarray:
    """Validate RGB images of shape (N, 3, H, W), finite, values in [0, 1]; return float32.

    Raises ``ValueError`` naming the problem (shape, dtype, NaN, range).
    """
    X = np.asarray(X.detach().cpu() if torch.is_tensor(X) else X)
    if X.ndim != 4 or X.shape[1] != 3:
        hint = "; channels come second (N, 3, H, W): transpose (N, H, W, 3) images first" \
            if X.ndim == 4 and X.shape[-1] == 3 else ""
        raise ValueError(f"{name} must have shape (N, 3, H, W), got {X.shape}{hint}")
    if X.shape[0] < 1 or X.shape[2] < 1 or X.shape[3] < 1:
        raise ValueError(f"{name} is empty: shape {X.shape}")
    if not np.issubdtype(X.dtype, np.number) or np.issubdtype(X.dtype, np.complexfloating):
        raise ValueError(f"{name} must hold real numbers, got dtype {X.dtype}")
    X = np.ascontiguousarray(X, dtype=np.float32)
    bad = ~np.isfinite(X)
    if bad.any():
        raise ValueError(f"{name} contains NaN or infinite values ({int(bad.sum())} entries)")
    lo, hi = float(X.min()), float(X.max())
    if lo < 0.0 or hi > 1.0:
        raise ValueError(f"{name} values must lie in [0, 1] (pixels scaled by 1/255), got range [{lo:g}, {hi:g}]")
    return X


# --------------------------------------------------------------------------- training and inference

def _bn_state(model: nn.Module) -> list[tuple[nn.Module, torch.Tensor, torch.Tensor, torch.Tensor]]:
    return [(m, m.running_mean.clone(), m.running_var.clone(), m.num_batches_tracked.clone())
            for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]


def _restore_bn_state(model: nn.Module, saved) -> None:
    for m, mean, var, n in saved:
        m.running_mean.copy_(mean), m.running_var.copy_(var), m.num_batches_tracked.copy_(n)


@torch.no_grad()
def calibrate_batch_norm(model: nn.Module, V: torch.Tensor, batch_size: int) -> None:
    """Set batch norm's running statistics to their average over one pass of ``V``; no weight changes.

    Used for the untrained observer (``LOC(epochs=0)``): the network keeps its random weights and
    sees the data only through batch norm's statistics, as an observer whose hinge never fires does.
    """
    bns = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    momenta = [m.momentum for m in bns]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None                       # cumulative average over the pass
    model.train()
    try:
        for s in range(0, len(V), batch_size):
            model(V[s:s + batch_size])
    finally:
        for m, momentum in zip(bns, momenta):
            m.momentum = momentum


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
        self.rho = rho
        self.normalization = normalization
        self.reduction = reduction
        self.product = product
        self.kernel_sizes = kernel_sizes
        self.strides = strides
        self.filters = filters
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.betas = betas
        self.max_label = max_label
        self.border = border
        self.random_state = random_state
        self.device = device
        self.progress = progress

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
        if len(self.betas) != 2 or not all(0 <= b < 1 for b in self.betas):
            raise ValueError(f"betas must be two numbers in [0, 1), got {self.betas!r}")
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
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(int(generator.initial_seed()))
            observer = LOCObserver(3, self.kernel_sizes, self.strides, self.filters)
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
