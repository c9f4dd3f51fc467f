"""The LOC loss (eq 19-22) and the normalisations of ``v`` it is read with (the chapter compares them).

Shapes: images ``v`` (B, C, H, W), observer maps ``G`` (B, 1, H, W). See
:mod:`osa_lib.segmentation.loc` for the reading of each equation.
"""
from __future__ import annotations

import math

import torch

NORMALIZATIONS = ("unit", "image", "border")
REDUCTIONS = ("image", "batch")
PRODUCTS = ("elementwise", "conv")


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
