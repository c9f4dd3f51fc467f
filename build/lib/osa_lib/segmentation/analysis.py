"""Model-level analyses of LOC's masks: image energy, the flower's energy contrast, the median rule's cost.

Images are (N, 3, H, W) in [0, 1]; ground-truth masks (N, H, W) with 1 = flower; ``ignore``
(N, H, W) bool marks pixels left out of the scores (Oxford 17's trimap band) or is None.
"""
from __future__ import annotations

from typing import Mapping

import numpy as np
from scipy.stats import spearmanr

from osa_lib.metrics import segmentation_scores_per_image
from osa_lib.segmentation.loc_loss import normalize_images
from osa_lib.segmentation.masks import count_clusters, median_binarize
from osa_lib.validation import check_images


def image_energy(X, normalization: str = "unit", *, border: float = 0.1) -> np.ndarray:
    """Per image, the mean of ``v**2`` over channels and pixels (the error of ``G = 0``): (N,).

    For ``normalization="unit"`` (the literal reading) an image whose energy is at most ``rho``
    can never make the hinge fire with ``G`` in [0, 1].
    """
    v = normalize_images(check_images(X), normalization, border=border)
    return v.pow(2).flatten(1).mean(1).numpy()


def energy_contrast(X, masks, ignore=None, *, border: float = 0.1) -> np.ndarray:
    """Per image, mean energy ``sum_c v_c**2`` (edge-centred ``v``) on the flower over that on the background.

    Only scored pixels count (``ignore`` removed). How much a flower stands out from its image's
    edge colour; NaN for an image with no scored flower or background pixel. Shape (N,).
    """
    energy = normalize_images(check_images(X), "border", border=border).pow(2).sum(1).numpy()   # (N, H, W)
    masks = np.asarray(masks)
    scored = np.ones(masks.shape, bool) if ignore is None else ~np.asarray(ignore, bool)
    if masks.shape != energy.shape or scored.shape != energy.shape:
        raise ValueError(f"masks and ignore must have the images' shape {energy.shape}, got {masks.shape}, "
                         f"{scored.shape}")
    out = np.full(len(energy), np.nan)
    for i, (e, m, s) in enumerate(zip(energy, masks, scored)):
        fg, bg = (m == 1) & s, (m == 0) & s
        if fg.any() and bg.any() and e[bg].mean() > 0:
            out[i] = e[fg].mean() / e[bg].mean()
    return out


def compare_by_contrast(contrast, scores: Mapping[str, np.ndarray]) -> dict:
    """How per-image scores of several methods move with the energy contrast.

    Returns ``{"q_low", "q_high"}`` (the contrast's quartiles) and per method ``name``:
    ``spearman_<name>`` (rank correlation of score and contrast; 0 when either is constant), ``low_<name>`` and
    ``high_<name>`` (mean score on the images at or below the lower quartile / at or above the
    upper one). Images with a NaN contrast are left out.
    """
    contrast = np.asarray(contrast, float)
    ok = np.isfinite(contrast)
    if ok.sum() < 2:
        raise ValueError(f"need at least two images with a finite contrast, got {int(ok.sum())}")
    q_low, q_high = np.quantile(contrast[ok], [0.25, 0.75])
    low, high = ok & (contrast <= q_low), ok & (contrast >= q_high)
    out = {"q_low": float(q_low), "q_high": float(q_high)}
    for name, s in scores.items():
        s = np.asarray(s, float)
        if s.shape != contrast.shape:
            raise ValueError(f"scores {name!r} have shape {s.shape}, the contrast {contrast.shape}")
        constant = np.ptp(s[ok]) == 0 or np.ptp(contrast[ok]) == 0
        out[f"spearman_{name}"] = 0.0 if constant else float(spearmanr(contrast[ok], s[ok]).statistic)
        out[f"low_{name}"], out[f"high_{name}"] = float(s[low].mean()), float(s[high].mean())
    return out


def median_rule_cost(labels, masks, ignore=None) -> dict:
    """What the median rule costs: IoU of its masks against those of "every label >= 1 is flower".

    With labels {0, 1, 2} the median of the distinct labels is 1, so the median rule keeps only
    the label-2 pixels. Returns fractions: ``many_clusters`` (share of images with >= 3 labels),
    ``iou_two`` (median rule, images with <= 2 labels), ``iou_many_median`` / ``iou_many_ge1``
    (images with >= 3 labels, median rule / labels >= 1; NaN when there is none), ``iou_median``
    and ``iou_ge1`` (all images).
    """
    labels = np.asarray(labels)
    k = count_clusters(labels)
    iou_med = segmentation_scores_per_image(masks, median_binarize(labels), ignore)["iou"]
    iou_ge1 = segmentation_scores_per_image(masks, (labels >= 1).astype(np.uint8), ignore)["iou"]
    many = k >= 3

    def mean(values, where) -> float:
        return float(values[where].mean()) if where.any() else float("nan")

    return {"many_clusters": float(many.mean()), "iou_two": mean(iou_med, ~many),
            "iou_many_median": mean(iou_med, many), "iou_many_ge1": mean(iou_ge1, many),
            "iou_median": float(iou_med.mean()), "iou_ge1": float(iou_ge1.mean())}
