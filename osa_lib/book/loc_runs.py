"""Experiment runners of the LOC chapter: settings per profile, data, seed loops, scores, records.

The chapter notebook (``notebooks/loc.ipynb``) calls these and shows what they return. Every
runner returns a :class:`~osa_lib.book.records.RunResult` and writes its record with
``make_record(..., results_dir=...)``. Every choice of the chapter is made on the *validation*
images (the training split's images that have a ground-truth mask; the observer also trains on
them, without masks); the test split is scored only for Table 2.
"""
from __future__ import annotations

import ast
import hashlib
import os
import time
from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy.stats import spearmanr
from tqdm import tqdm

from osa_lib.book.profiles import check_profile, profile_settings
from osa_lib.book.records import RunResult, load_record, make_record
from osa_lib.data.splits import fixed_random_subset
from osa_lib.data.flowers import load_segmentation_dataset
from osa_lib.metrics import SEGMENTATION_METRICS, segmentation_scores, segmentation_scores_per_image
from osa_lib.segmentation import baselines
from osa_lib.segmentation.analysis import compare_by_contrast, energy_contrast, median_rule_cost
from osa_lib.segmentation.loc import LOC, count_clusters, median_binarize

#: What each profile runs. ``paper``: Table 4's optimiser, epochs, batch size and rho, all images,
#: three seeds; ``ci``: the same code on subsets with few epochs (the chapter in a few minutes).
LOC_PROFILES = {
    "paper": dict(image_size=96, n_train=None, n_val=None, n_test=None, seeds=(0, 1, 2), epochs=50,
                  study_epochs=5, batch_size=64, lr=1e-3, betas=(0.9, 0.999), rho=0.5,
                  rho_values=(0.1, 0.2, 0.3, 0.5, 0.7, 0.9),
                  kernel_sizes=(3, 3, 3), strides=(2, 1, 1), filters=(16, 16, 16),
                  kmeans_n_init=3, grabcut_margin=0.1, grabcut_iterations=5),
    "ci": dict(image_size=48, n_train=384, n_val=64, n_test=64, seeds=(0,), epochs=12,
               study_epochs=8, batch_size=64, lr=1e-3, betas=(0.9, 0.999), rho=0.5,
               rho_values=(0.3, 0.5, 0.7),
               kernel_sizes=(3, 3, 3), strides=(2, 1, 1), filters=(16, 16, 16),
               kmeans_n_init=3, grabcut_margin=0.1, grabcut_iterations=5),
}
_TUPLES = ("seeds", "rho_values", "kernel_sizes", "strides", "filters", "betas")
#: The experiments of Table 2 that this chapter writes (test split, every seed).
TABLE2_EXPERIMENTS = ("loc", "loc_untrained", "loc_literal", "kmeans_segmentation", "kmeans_segmentation_loc_k",
                      "kmeans_segmentation_centre", "grabcut")
PROGRESS_ENV = "OSA_PROGRESS"


def progress_enabled(progress: bool = True) -> bool:
    """Progress bars on: ``progress`` is true and the environment does not set ``OSA_PROGRESS=0``."""
    return bool(progress) and os.environ.get(PROGRESS_ENV, "1").strip() not in ("0", "false", "False", "no")


def _as_sequence(name: str, value):
    """A list parameter as papermill's ``-p seeds '[0, 1]'`` passes it (a string), or a bare number."""
    if isinstance(value, str):
        try:
            value = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            raise ValueError(f"{name} must be a list such as [0, 1], got {value!r}") from None
    return (value,) if isinstance(value, (int, float)) and not isinstance(value, bool) else value


def loc_settings(profile: str, **overrides) -> dict:
    """The settings of ``profile`` with any non-None ``overrides`` (unknown names raise ValueError).

    List settings (``seeds``, ``rho_values``, ...) may come as strings (``"[0, 1]"``, as papermill's
    ``-p`` passes them) or as a single number.
    """
    overrides = {k: (_as_sequence(k, v) if k in _TUPLES and v is not None else v) for k, v in overrides.items()}
    settings = profile_settings(LOC_PROFILES, profile, overrides, sequences=_TUPLES)
    settings["seeds"] = tuple(int(s) for s in settings["seeds"])
    settings["rho_values"] = tuple(float(r) for r in settings["rho_values"])
    for key in ("image_size", "epochs", "study_epochs", "batch_size"):
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

@dataclass
class SegmentationData:
    """Images in [0, 1] (N, 3, S, S), masks (N, S, S) uint8, trimap bands (N, S, S) bool or None."""
    dataset: str
    X_train: np.ndarray          # every training-split image (the observer's training set)
    X_val: np.ndarray            # training-split images that have a mask (for choices)
    M_val: np.ndarray
    I_val: np.ndarray | None
    X_test: np.ndarray           # the test split (Table 2)
    M_test: np.ndarray
    I_test: np.ndarray | None
    provenance: dict = field(default_factory=dict)

    def part(self, name: str):
        if name not in ("val", "test"):
            raise ValueError(f"unknown part {name!r}; use 'val' or 'test'")
        return (self.X_val, self.M_val, self.I_val) if name == "val" else (self.X_test, self.M_test, self.I_test)


def load_segmentation_data(dataset: str = "flowers17", data_dir=None, *, image_size: int = 96,
                           n_train: int | None = None, n_val: int | None = None, n_test: int | None = None,
                           subset_seed: int = 0, progress: bool = True, **dataset_kwargs) -> SegmentationData:
    """Load the training split (all images), its masked images (validation) and the test split.

    ``n_train``/``n_val``/``n_test``: fixed random subsets (seed ``subset_seed``); None = all.
    """
    train = load_segmentation_dataset(dataset, data_dir, "train", image_size, **dataset_kwargs)
    test = load_segmentation_dataset(dataset, data_dir, "test", image_size, **dataset_kwargs)
    train_idx = fixed_random_subset(len(train), n_train, subset_seed)
    masked = np.array([i for i in range(len(train)) if train.has_mask(i)], dtype=np.int64)
    val_idx = masked[fixed_random_subset(len(masked), n_val, subset_seed)]
    test_idx = fixed_random_subset(len(test), n_test, subset_seed)
    X_train, _, _ = train.load_arrays(train_idx, require_masks=False, progress=progress)
    X_val, M_val, I_val = train.load_arrays(val_idx, progress=progress)
    X_test, M_test, I_test = test.load_arrays(test_idx, progress=progress)
    test_ids = [test.ids[i] for i in test_idx]
    provenance = {"data_root": str(train.root), "image_size": int(image_size),
                  "n_train": len(X_train), "n_val": len(X_val), "n_test": len(X_test),
                  "test_ids_sha256": hashlib.sha256(",".join(map(str, test_ids)).encode()).hexdigest()[:16],
                  "split": _split_description(train)}
    return SegmentationData(dataset, X_train, X_val, M_val, I_val, X_test, M_test, I_test, provenance)


def _split_description(ds) -> str:
    if ds.name == "flowers17":
        return (f"test: fixed random {ds.test_fraction:.0%} (seed {ds.split_seed}) of the {len(ds.masked_ids)} "
                f"images with a trimap; train: the other {len(ds.train_ids)} images")
    return f"Oxford 102, protocol {ds.protocol!r}"


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
    rows = []
    for name, result in results.items():
        rec = result.record
        for metric, m in rec["metrics"].items():
            rows.append({"experiment": name, "metric": metric,
                         **{f"seed {s}": round(100 * v, 2) for s, v in zip(rec["seeds"], m["per_seed"])},
                         "mean": round(100 * m["mean"], 2), "std": round(100 * m["std"], 2)})
    return pd.DataFrame(rows).set_index(["experiment", "metric"])


# --------------------------------------------------------------------------- studies on the validation images

#: The open-question study: short key -> (label in tables and figures, changes to the Table-4 settings).
OPEN_QUESTIONS = {
    "literal": ("literal: v in [0, 1]", dict(normalization="unit")),
    "image": ("v standardised per image", dict(normalization="image")),
    "border": ("v centred on the edge colour", dict(normalization="border")),
    "conv": ("* as convolution (v standardised)", dict(normalization="image", product="conv")),
    "nohinge": ("no hinge, rho = 0 (edge-centred v)", dict(normalization="border", rho=0.0)),
    "batch": ("hinge on the batch mean (edge-centred v)", dict(normalization="border", reduction="batch")),
    "wide": ("wider observer, nf = 32 (edge-centred v)", dict(normalization="border", wide=True)),
}
#: Columns of a study table: short key -> column name.
STUDY_COLUMNS = {"hinge_first": "hinge on, epoch 1 %", "hinge_last": "hinge on, last epoch %",
                 "error_last": "train error, last epoch", "steps": "steps with gradient",
                 "weight_change": "max weight change", "clusters": "clusters / image", "one_cluster": "1 cluster %",
                 "foreground": "foreground %", "accuracy": "pixel_accuracy %", "iou": "iou %", "dice": "dice %"}


def open_question_variants(settings: Mapping) -> dict[str, dict]:
    """The variants of the open-question study (label -> LOC kwargs), trained for the study's epochs."""
    out = {}
    for label, changes in OPEN_QUESTIONS.values():
        changes = dict(changes)
        if changes.pop("wide", False):
            changes["filters"] = (32,) * len(settings["filters"])
        out[label] = loc_kwargs(settings, epochs=int(settings["study_epochs"]), **changes)
    return out


def _fit_variants(data: SegmentationData, variants: Mapping[str, Mapping], *, seed: int, device: str,
                  desc: str, progress: bool):
    rows, models, labels, runs_flat = [], {}, {}, {}
    for name, kw in tqdm(list(variants.items()), desc=desc, disable=not progress, leave=False):
        model = LOC(**kw, random_state=int(seed), device=device, progress=False).fit(data.X_train)
        lab = model.predict_labels(data.X_val)
        m = median_binarize(lab)
        s = score_masks(data, m, "val")
        counts = count_clusters(lab)
        rows.append({"variant": name, "hinge on, epoch 1 %": 100 * model.active_[0],
                     "hinge on, last epoch %": 100 * model.active_[-1], "train error, last epoch": model.error_[-1],
                     "steps with gradient": int(sum(model.fired_batches_)),
                     "max weight change": model.weight_change_,
                     "clusters / image": counts.mean(), "1 cluster %": 100 * (counts == 1).mean(),
                     "foreground %": 100 * m.mean(),
                     **{f"{k} %": 100 * s[k] for k in SEGMENTATION_METRICS}, "fit s": model.fit_time_s_})
        models[name], labels[name] = model, lab
        runs_flat[name] = s
    return pd.DataFrame(rows).set_index("variant"), models, labels, runs_flat


def _study_params(data: SegmentationData, **params) -> dict:
    return {**params, "evaluated_on": "validation images (training split, with masks)",
            "n_train": len(data.X_train), "n_val": len(data.X_val), "image_size": data.provenance.get("image_size")}


def study_variants(data: SegmentationData, variants: Mapping[str, Mapping], *, seed: int, profile: str,
                   experiment: str = "loc_open_questions", device: str = "cpu", results_dir=None,
                   progress: bool = True) -> RunResult:
    """Train ``LOC(**kwargs)`` for each named variant (one seed); describe what each learns.

    ``outputs["table"]`` (one row per variant): share of training images whose hinge fired in the
    first and the last epoch, mean training error of the last epoch, mean clusters per validation
    image, foreground share and the validation scores (band ignored); ``outputs["model"]`` and
    ``outputs["labels"]``: the fitted LOC and its validation labels per variant. The record's
    metrics are ``<variant>__<score>``; ``models`` lists the models in variant order.
    """
    check_profile(profile)
    start = time.perf_counter()
    table, models, labels, runs = _fit_variants(data, variants, seed=seed, device=device, desc=experiment,
                                                progress=progress)
    flat = {f"{name}__{k}": v for name, s in runs.items() for k, v in s.items()}
    record = make_record(
        experiment=experiment, dataset=data.dataset, profile=profile,
        params=_study_params(data, variants={n: _listed(kw) for n, kw in variants.items()}),
        seeds=[int(seed)], runs=[flat], n_parameters=None, wall_time_s=time.perf_counter() - start,
        device=device, extra={"table": table.reset_index().to_dict(orient="list"), "data": data.provenance},
        results_dir=results_dir)
    return RunResult(record, list(models.values()), {"table": table, "model": models, "labels": labels})


def rho_study(data: SegmentationData, settings: Mapping, *, rho_values: Sequence[float], seed: int, profile: str,
              base: Mapping, device: str = "cpu", results_dir=None, progress: bool = True) -> RunResult:
    """How the per-image number of clusters (and the masks) move with rho: experiment ``loc_rho_study``.

    ``outputs``: ``table`` (as :func:`study_variants`, one row per ``rho=<value>``), ``model``,
    ``labels``; the record adds ``cluster_histograms`` (clusters per image -> images, per rho).
    """
    check_profile(profile)
    variants = {f"rho={r:g}": {**base, "rho": float(r)} for r in rho_values}
    table, models, labels, runs = _fit_variants(data, variants, seed=seed, device=device, desc="loc_rho_study",
                                                progress=progress)
    hist = {name: {int(k): int(v) for k, v in zip(*np.unique(count_clusters(lab), return_counts=True))}
            for name, lab in labels.items()}
    flat = {f"{k}_{name.replace('=', '_')}": v for name, s in runs.items() for k, v in s.items()}
    record = make_record(
        experiment="loc_rho_study", dataset=data.dataset, profile=profile,
        params=_study_params(data, rho_values=list(map(float, rho_values)),
                             base=_listed({k: v for k, v in base.items() if k != "rho"})),
        seeds=[int(seed)], runs=[flat], n_parameters=None, wall_time_s=float(table["fit s"].sum()), device=device,
        extra={"cluster_histograms": hist, "table": table.reset_index().to_dict(orient="list"),
               "data": data.provenance}, results_dir=results_dir)
    return RunResult(record, list(models.values()), {"table": table, "model": models, "labels": labels})


def study_table(record: Mapping) -> pd.DataFrame:
    """The per-variant table a study record carries (``record["table"]``), indexed by variant."""
    return pd.DataFrame(record["table"]).set_index("variant")


def rho_summary(record: Mapping) -> dict:
    """What the rho study shows, from its record: cluster counts, flower share, trend, best rho.

    Keys: ``rho_low``/``rho_high`` (first and last rho), ``clusters_first``/``clusters_last``/
    ``clusters_min``/``clusters_max`` (mean clusters per image), ``two_min``/``two_max`` (percent of
    images with exactly two clusters), ``spearman`` (rank correlation of rho and the mean number of
    clusters; 0 when undefined), ``foreground_first``/``foreground_last`` (percent), ``best_rho`` and
    ``best_iou`` (validation IoU, percent).
    """
    table = study_table(record)
    rhos = np.array(record["params"]["rho_values"], float)
    mc, fg = table["clusters / image"].to_numpy(float), table["foreground %"].to_numpy(float)
    two = [100 * h.get(2, h.get("2", 0)) / max(sum(h.values()), 1) for h in record["cluster_histograms"].values()]
    trend = spearmanr(rhos, mc).statistic if len(rhos) > 2 and len(set(mc)) > 1 else 0.0
    best = int(np.argmax(table["iou %"].to_numpy(float)))
    return {"rho_low": float(rhos[0]), "rho_high": float(rhos[-1]), "clusters_first": float(mc[0]),
            "clusters_last": float(mc[-1]), "clusters_min": float(mc.min()), "clusters_max": float(mc.max()),
            "two_min": float(min(two)), "two_max": float(max(two)), "spearman": float(trend),
            "foreground_first": float(fg[0]), "foreground_last": float(fg[-1]), "best_rho": float(rhos[best]),
            "best_iou": float(table["iou %"].iloc[best])}


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


# --------------------------------------------------------------------------- numbers for the text

def load_chapter_records(results_dir, profile: str = "paper", dataset: str = "flowers17") -> dict[str, dict]:
    """The chapter's records that exist under ``results_dir`` for ``profile`` and ``dataset``: name -> record."""
    names = (*TABLE2_EXPERIMENTS, "loc_open_questions", "loc_rho_study")
    found = {n: load_record(results_dir, profile, dataset, n) for n in names}
    return {n: r for n, r in found.items() if r is not None}


def chapter_numbers(records: Mapping[str, Mapping]) -> dict[str, float]:
    """Flat name -> number of everything the chapter's text quotes, from its records (percent where a score).

    * ``<experiment>_<metric>`` and ``<experiment>_<metric>_std``: Table 2 means and stds (percent),
      metrics as in the records (``iou``, ``iou_band_as_background``, ...);
    * ``<experiment>_seeds``, ``_epochs``, ``_n_test``, ``_n_train``, ``_image_size``;
    * ``loc_steps_min``/``loc_steps_max`` (Adam steps with a gradient over training, across seeds) and
      ``loc_batches`` (mini-batches per epoch);
    * ``gain_<metric>``: ``loc`` minus ``loc_untrained`` (what training adds, percent points);
    * ``oq_<variant>_<column>``: the open-question study (keys of :data:`OPEN_QUESTIONS` and
      :data:`STUDY_COLUMNS`);
    * ``rho_<key>``: :func:`rho_summary`.

    Names whose record is missing are absent.
    """
    out: dict[str, float] = {}
    for name in TABLE2_EXPERIMENTS:
        rec = records.get(name)
        if rec is None:
            continue
        for metric, m in rec["metrics"].items():
            out[f"{name}_{metric}"], out[f"{name}_{metric}_std"] = 100 * m["mean"], 100 * m["std"]
        out[f"{name}_seeds"] = len(rec["seeds"])
        for key in ("epochs", "n_test", "n_train", "image_size"):
            if rec["params"].get(key) is not None:
                out[f"{name}_{key}"] = rec["params"][key]
    loc = records.get("loc")
    if loc is not None and loc.get("training_per_seed"):
        steps = [sum(t["fired_batches"]) for t in loc["training_per_seed"]]
        out["loc_steps_min"], out["loc_steps_max"] = min(steps), max(steps)
        out["loc_batches"] = int(np.ceil(loc["params"]["n_train"] / loc["params"]["batch_size"]))
    if loc is not None and records.get("loc_untrained") is not None:
        for metric in loc["metrics"]:
            if metric in records["loc_untrained"]["metrics"]:
                out[f"gain_{metric}"] = out[f"loc_{metric}"] - out[f"loc_untrained_{metric}"]
    if records.get("loc_open_questions") is not None:
        table = study_table(records["loc_open_questions"])
        for key, (label, _) in OPEN_QUESTIONS.items():
            if label in table.index:
                out.update({f"oq_{key}_{c}": float(table.loc[label, col]) for c, col in STUDY_COLUMNS.items()})
    if records.get("loc_rho_study") is not None:
        out.update({f"rho_{k}": v for k, v in rho_summary(records["loc_rho_study"]).items()})
    return out
