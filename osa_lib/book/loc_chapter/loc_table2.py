"""The LOC chapter's settings and Table 2 runs: profiles, scores, seed loops, baselines, records.

Every runner returns a :class:`~osa_lib.book.provenance.records.RunResult` and writes its record with
``make_record(..., results_dir=...)``; the test split is scored only here, for Table 2.
"""
from __future__ import annotations

import os
import time
from typing import Callable, Mapping, Sequence

import numpy as np
import pandas as pd
from tqdm import tqdm

from osa_lib.book.harness.profiles import LOC_PROFILES, profile_settings
from osa_lib.book.provenance.records import check_profile, make_record, per_seed_frame, RunResult
from osa_lib.data.flowers import SegmentationData
from osa_lib.metrics import segmentation_scores, segmentation_scores_per_image
from osa_lib.segmentation import baselines
from osa_lib.segmentation.analysis import compare_by_contrast, energy_contrast, median_rule_cost
from osa_lib.segmentation.loc import LOC, count_clusters, median_binarize
from osa_lib.book.page.display import per_seed_for_page
from osa_lib.book.page.tables import TABLE2_ROWS

_TUPLES = ("seeds", "rho_values", "kernel_sizes", "strides", "filters", "betas")
#: The experiments of Table 2 that this chapter writes (test split, every seed).
TABLE2_EXPERIMENTS = ("loc", "loc_untrained", "loc_literal", "kmeans_segmentation", "kmeans_segmentation_loc_k",
                      "kmeans_segmentation_centre", "grabcut")
PROGRESS_ENV = "OSA_PROGRESS"


def progress_enabled(progress: bool = True) -> bool:
    """Progress bars on: ``progress`` is true and the environment does not set ``OSA_PROGRESS=0``."""
    return bool(progress) and os.environ.get(PROGRESS_ENV, "1").strip() not in ("0", "false", "False", "no")


def loc_settings(profile: str, **overrides) -> dict:
    """The settings of ``profile`` with any non-None ``overrides`` (unknown names raise ValueError).

    List settings (``seeds``, ``rho_values``, ...) may come as strings (``"[0, 1]"``, as papermill's
    ``-p`` passes them) or as a single number.
    """
    settings = profile_settings(LOC_PROFILES, profile, overrides, sequences=_TUPLES)
    settings["seeds"] = tuple(int(s) for s in settings["seeds"])
    settings["rho_values"] = tuple(float(r) for r in settings["rho_values"])
    # batch_size is LOC's own parameter and LOC checks it; LOC accepts epochs=0 (the untrained row), but the
    # chapter's trained rows and studies need at least one epoch: that rule is the chapter's.
    for key in ("image_size", "epochs", "study_epochs"):
        if int(settings[key]) < 1:
            raise ValueError(f"{key} must be >= 1, got {settings[key]}")
    return settings


def loc_kwargs(settings: Mapping, **changes) -> dict:
    """Keyword arguments of :class:`osa_lib.segmentation.loc.LOC` from the settings (Table 4 + appendix C sizes)."""
    kw = dict(rho=float(settings["rho"]), epochs=int(settings["epochs"]), batch_size=int(settings["batch_size"]),
              lr=float(settings["lr"]), betas=tuple(settings["betas"]), kernel_sizes=tuple(settings["kernel_sizes"]),
              strides=tuple(settings["strides"]), filters=tuple(settings["filters"]))
    kw.update(changes)
    return kw


def _listed(params: Mapping) -> dict:
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in params.items()}


# --------------------------------------------------------------------------- data

def background_share(data: SegmentationData) -> float:
    """Share of the test split's scored pixels that are background (the accuracy of an all-background mask)."""
    M, I = data.M_test, data.I_test
    return float(1 - (M[~I].mean() if I is not None else M.mean()))


# --------------------------------------------------------------------------- scores

def score_masks(data: SegmentationData, pred: np.ndarray, part: str = "test") -> dict[str, float]:
    """Accuracy, IoU, Dice (band ignored) and, where there is a band, the same with the band as background."""
    _, M, I = data.part(part)
    scores = segmentation_scores(M, pred, I)
    if I is not None:
        band_bg = segmentation_scores(np.where(I, 0, M), pred)
        scores.update({f"{k}_band_as_background": v for k, v in band_bg.items()})
    return scores


def per_image_iou(data: SegmentationData, pred: np.ndarray, part: str = "test") -> np.ndarray:
    """IoU of every image of ``part`` (trimap band ignored): (N,)."""
    _, M, I = data.part(part)
    return segmentation_scores_per_image(M, pred, I)["iou"]


# --------------------------------------------------------------------------- Table 2 runs

def _table2_record(experiment: str, data: SegmentationData, *, seeds, runs, profile, params, n_params, wall,
                   device, results_dir, extra) -> dict:
    return make_record(experiment=experiment, dataset=data.dataset, profile=profile,
                       params={**params, "image_size": data.provenance.get("image_size"),
                               "n_train": len(data.X_train), "n_test": len(data.X_test),
                               "evaluated_on": "test split",
                               "scores": "per-image mean; trimap band ignored (plain names) or counted as "
                                         "background (_band_as_background)"},
                       seeds=seeds, runs=runs, n_parameters=n_params, wall_time_s=wall, device=device,
                       extra={"data": data.provenance, **(extra or {})}, results_dir=results_dir)


def _cluster_summary(labels: np.ndarray, masks: np.ndarray) -> dict:
    counts = count_clusters(labels)
    values, freq = np.unique(counts, return_counts=True)
    return {"histogram": {int(v): int(f) for v, f in zip(values, freq)}, "mean": float(counts.mean()),
            "foreground_share": float(masks.mean())}


def run_loc(data: SegmentationData, *, seeds: Sequence[int], profile: str, loc_params: Mapping,
            experiment: str = "loc", device: str = "cpu", results_dir=None, progress: bool = True,
            note: str = "") -> RunResult:
    """Train one LOC per seed on ``data.X_train``; score its median-binarised masks on the test split.

    Returns ``RunResult(record, models, outputs={"masks": [...], "labels": [...]})``, one entry
    per seed: test-split masks (N, S, S) uint8 and multi-class labels (N, S, S) int64.
    """
    check_profile(profile)
    runs, masks, labels, models, clusters, curves = [], [], [], [], [], []
    start = time.perf_counter()
    for seed in tqdm(list(seeds), desc=experiment, disable=not progress, leave=False):
        model = LOC(**loc_params, random_state=int(seed), device=device, progress=progress).fit(data.X_train)
        lab = model.predict_labels(data.X_test)
        m = median_binarize(lab)
        runs.append(score_masks(data, m))
        masks.append(m), labels.append(lab), models.append(model)
        clusters.append(_cluster_summary(lab, m))
        curves.append({"loss": model.history_, "active_share": model.active_, "mean_error": model.error_,
                       "fired_batches": model.fired_batches_, "weight_change": model.weight_change_,
                       "fit_time_s": model.fit_time_s_})
    wall = time.perf_counter() - start
    params = _listed({k: v for k, v in models[0].get_params().items()
                      if k not in ("random_state", "device", "progress")})
    params.update({"optimizer": "Adam", "labels": "clip G at 0, round to integers",
                   "binary mask": "labels <= median of the image's distinct labels -> background"})
    if note:
        params["note"] = note
    record = _table2_record(experiment, data, seeds=seeds, runs=runs, profile=profile, params=params,
                            n_params=models[0].n_parameters_, wall=wall, device=device, results_dir=results_dir,
                            extra={"clusters_per_seed": clusters, "training_per_seed": curves})
    return RunResult(record, models, {"masks": masks, "labels": labels})


UNTRAINED_NOTE = ("control: the working LOC's observer (same normalisation, architecture and seeds) left untrained: "
                  "its seeded random weights, batch norm's running statistics averaged over one pass of the "
                  "training images, no gradient step; what training adds is the gap to the loc row")


def run_loc_untrained(data: SegmentationData, settings: Mapping, *, profile: str, normalization: str = "border",
                      device: str = "cpu", results_dir=None, progress: bool = True) -> RunResult:
    """Table 2's control row ``loc_untrained``: the working LOC's observer without training (``epochs=0``).

    Same seeds as ``loc``, so each untrained observer is the very initialisation the trained one
    started from; the gap between the two rows is what training adds to the normalisation's prior.
    """
    return run_loc(data, seeds=settings["seeds"], profile=profile, experiment="loc_untrained", device=device,
                   loc_params=loc_kwargs(settings, normalization=normalization, epochs=0),
                   results_dir=results_dir, progress=progress, note=UNTRAINED_NOTE)


def run_baseline(data: SegmentationData, experiment: str, method: Callable[[np.ndarray, int], np.ndarray], *,
                 seeds: Sequence[int], profile: str, params: Mapping, results_dir=None,
                 progress: bool = True) -> RunResult:
    """Run ``method(X_test, seed) -> masks`` once per seed and record the scores.

    Returns ``RunResult(record, [], outputs={"masks": [...]})`` (one mask array per seed).
    """
    check_profile(profile)
    runs, masks = [], []
    start = time.perf_counter()
    for seed in tqdm(list(seeds), desc=experiment, disable=not progress, leave=False):
        m = method(data.X_test, int(seed))
        runs.append(score_masks(data, m))
        masks.append(m)
    wall = time.perf_counter() - start
    record = _table2_record(experiment, data, seeds=seeds, runs=runs, profile=profile, params=dict(params),
                            n_params=None, wall=wall, device="cpu", results_dir=results_dir,
                            extra={"foreground_share_per_seed": [float(m.mean()) for m in masks]})
    return RunResult(record, [], {"masks": masks})


def run_baselines(data: SegmentationData, settings: Mapping, *, profile: str, loc_run: RunResult | None = None,
                  results_dir=None, progress: bool = True) -> dict[str, RunResult]:
    """K-means (k = 2; k = LOC's per-image cluster count; centre cluster) and GrabCut on the test split."""
    n_init = int(settings["kmeans_n_init"])
    seeds = list(settings["seeds"])
    common = dict(seeds=seeds, profile=profile, results_dir=results_dir, progress=progress)
    out = {}
    km = dict(algorithm="per-image K-means on RGB in [0, 1] (cv2.kmeans, k-means++ seeding)", n_init=n_init)
    out["kmeans_segmentation"] = run_baseline(
        data, "kmeans_segmentation",
        lambda X, s: baselines.kmeans_masks(X, 2, random_state=s, n_init=n_init, progress=progress),
        params={**km, "k": 2, "binary mask": "median rule on K-means label ids (an arbitrary foreground cluster)"},
        **common)
    if loc_run is not None:
        counts = [count_clusters(lab) for lab in loc_run.outputs["labels"]]

        def km_loc_k(X, s):
            k = counts[seeds.index(s)]
            return baselines.kmeans_masks(X, np.maximum(k, 1), random_state=s, n_init=n_init, progress=progress)

        out["kmeans_segmentation_loc_k"] = run_baseline(
            data, "kmeans_segmentation_loc_k", km_loc_k,
            params={**km, "k": "LOC's per-image cluster count (same seed)", "binary mask": "median rule"}, **common)
    out["kmeans_segmentation_centre"] = run_baseline(
        data, "kmeans_segmentation_centre",
        lambda X, s: baselines.kmeans_centre_masks(X, random_state=s, n_init=n_init, progress=progress),
        params={**km, "k": 2, "binary mask": "the cluster holding most of the central window (1/4 of each side)"},
        **common)
    margin, iters = float(settings["grabcut_margin"]), int(settings["grabcut_iterations"])
    out["grabcut"] = run_baseline(
        data, "grabcut",
        lambda X, s: baselines.grabcut_masks(X, margin=margin, iterations=iters, random_state=s, progress=progress),
        params={"algorithm": "OpenCV GrabCut, GC_INIT_WITH_RECT", "rect_margin": margin, "iterations": iters},
        **common)
    return out


def per_seed_table(results: Mapping[str, RunResult]) -> pd.DataFrame:
    """Every metric of every run, per seed, mean and std, in percent; index (experiment, metric)."""
    return per_seed_frame({name: result.record for name, result in results.items()})


def per_seed_table_for_page(results: Mapping[str, RunResult], metrics=None) -> pd.DataFrame:
    """:func:`per_seed_table` as a reader sees it: Table 2's method names, metrics in words."""
    return records_per_seed_table({name: result.record for name, result in results.items()}, metrics)


def records_per_seed_table(records: Mapping[str, Mapping], metrics=None) -> pd.DataFrame:
    """Table 2's records (name -> record, committed or this run's) per seed, as a reader sees them: one
    row per (method, metric) in Table 2's row order, methods and metrics in words, each seed's value,
    mean and std in percent. ``metrics``: which, in that order (None = every metric of the records)."""

    order = [name for name, _ in TABLE2_ROWS if name in records] + [n for n in records if n not in dict(TABLE2_ROWS)]
    frame = per_seed_frame({name: records[name] for name in order}, metrics)
    return per_seed_for_page(frame, dict(TABLE2_ROWS), row_header="method")


# --------------------------------------------------------------------------- what limits LOC (per image)

def limits_analysis(data: SegmentationData, loc_masks: np.ndarray, grabcut_masks: np.ndarray, *,
                    border: float = 0.1) -> dict:
    """LOC against GrabCut per test image, and both against the flower's energy contrast.

    Returns ``iou_loc``/``iou_grabcut`` (per image, fractions), ``contrast`` (per image,
    :func:`~osa_lib.segmentation.analysis.energy_contrast`), ``loc_wins`` (share of images where LOC's
    IoU is higher), ``worst`` (images ordered by LOC's IoU minus GrabCut's, worst first) and the
    entries of :func:`~osa_lib.segmentation.analysis.compare_by_contrast` for ``loc`` and ``grabcut``.
    """
    iou_loc, iou_grab = per_image_iou(data, loc_masks), per_image_iou(data, grabcut_masks)
    contrast = energy_contrast(data.X_test, data.M_test, data.I_test, border=border)
    return {"iou_loc": iou_loc, "iou_grabcut": iou_grab, "contrast": contrast,
            "loc_wins": float((iou_loc > iou_grab).mean()), "worst": np.argsort(iou_loc - iou_grab),
            **compare_by_contrast(contrast, {"loc": iou_loc, "grabcut": iou_grab})}


def median_rule_table(data: SegmentationData, loc_run: RunResult) -> pd.DataFrame:
    """Per seed, the cost of the median rule on the test split (percent): see ``median_rule_cost``."""
    names = {"many_clusters": "images with >= 3 clusters %", "iou_two": "IoU %, 2 clusters",
             "iou_many_median": "IoU %, >= 3 clusters (median rule)",
             "iou_many_ge1": "IoU %, >= 3 clusters (labels >= 1)", "iou_median": "IoU % (median rule)",
             "iou_ge1": "IoU % (labels >= 1)"}
    rows = []
    for seed, lab in zip(loc_run.record["seeds"], loc_run.outputs["labels"]):
        cost = median_rule_cost(lab, data.M_test, data.I_test)
        rows.append({"seed": seed, **{names[k]: 100 * v for k, v in cost.items()}})
    return pd.DataFrame(rows).set_index("seed")
