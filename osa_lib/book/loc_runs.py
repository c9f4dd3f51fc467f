"""Experiment runners of the LOC chapter: settings per profile, data, seeds loops, scores, records.

The chapter notebook (``notebooks/loc.ipynb``) calls these and shows what they return. Every
choice of the chapter is made on the *validation* images (the training split's images that have
a ground-truth mask; the observer also trains on them, without masks); the test split is scored
only for Table 2.
"""
from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence

import numpy as np
from tqdm import tqdm

from osa_lib.segmentation import baselines
from osa_lib.segmentation.loc import LOC, count_clusters, median_binarize, n_parameters
from osa_lib.metrics import SEGMENTATION_METRICS, segmentation_scores, segmentation_scores_per_image
from osa_lib.book.records import make_record, write_record
from osa_lib.book.profiles import check_profile, profile_settings
from osa_lib.data.flowers import load_segmentation_dataset

#: What each profile runs. ``paper``: Table 4's optimiser, epochs, batch size and rho, all images,
#: three seeds; ``ci``: the same code on subsets with few epochs (the chapter in about 3 minutes).
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


def loc_settings(profile: str, **overrides) -> dict:
    """The settings of ``profile`` with any non-None ``overrides`` (unknown names raise ValueError)."""
    settings = profile_settings(LOC_PROFILES, profile, overrides, sequences=_TUPLES)
    settings["seeds"] = tuple(int(s) for s in settings["seeds"])
    settings["rho_values"] = tuple(float(r) for r in settings["rho_values"])
    for key in ("image_size", "epochs", "study_epochs", "batch_size"):
        if int(settings[key]) < 1:
            raise ValueError(f"{key} must be >= 1, got {settings[key]}")
    return settings


def loc_kwargs(settings: Mapping, **changes) -> dict:
    """Keyword arguments of :class:`osa_lib.loc.LOC` from the settings (Table 4 + appendix C sizes)."""
    kw = dict(rho=float(settings["rho"]), epochs=int(settings["epochs"]), batch_size=int(settings["batch_size"]),
              lr=float(settings["lr"]), betas=tuple(settings["betas"]), kernel_sizes=tuple(settings["kernel_sizes"]),
              strides=tuple(settings["strides"]), filters=tuple(settings["filters"]))
    kw.update(changes)
    return kw


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


def _subset(n_total: int, n: int | None, seed: int) -> np.ndarray:
    if n is None or n >= n_total:
        return np.arange(n_total)
    if n < 1:
        raise ValueError(f"subset size must be >= 1, got {n}")
    return np.sort(np.random.default_rng(seed).choice(n_total, size=int(n), replace=False))


def load_segmentation_data(dataset: str = "flowers17", data_dir=None, *, image_size: int = 96,
                           n_train: int | None = None, n_val: int | None = None, n_test: int | None = None,
                           subset_seed: int = 0, progress: bool = True, **dataset_kwargs) -> SegmentationData:
    """Load the training split (all images), its masked images (validation) and the test split.

    ``n_train``/``n_val``/``n_test``: fixed random subsets (seed ``subset_seed``); None = all.
    """
    train = load_segmentation_dataset(dataset, data_dir, "train", image_size, **dataset_kwargs)
    test = load_segmentation_dataset(dataset, data_dir, "test", image_size, **dataset_kwargs)
    train_idx = _subset(len(train), n_train, subset_seed)
    masked = np.array([i for i in range(len(train)) if train.has_mask(i)], dtype=np.int64)
    val_idx = masked[_subset(len(masked), n_val, subset_seed)]
    test_idx = _subset(len(test), n_test, subset_seed)
    X_train, _, _ = train.load_arrays(train_idx, require_masks=False, progress=progress)
    X_val, M_val, I_val = train.load_arrays(val_idx, progress=progress)
    X_test, M_test, I_test = test.load_arrays(test_idx, progress=progress)
    ids = {"train": [train.ids[i] for i in train_idx], "val": [train.ids[i] for i in val_idx],
           "test": [test.ids[i] for i in test_idx]}
    provenance = {"data_root": str(train.root), "image_size": int(image_size),
                  "n_train": len(X_train), "n_val": len(X_val), "n_test": len(X_test),
                  "test_ids_sha256": hashlib.sha256(",".join(map(str, ids["test"])).encode()).hexdigest()[:16],
                  "split": _split_description(train)}
    return SegmentationData(dataset, X_train, X_val, M_val, I_val, X_test, M_test, I_test, provenance)


def _split_description(ds) -> str:
    if ds.name == "flowers17":
        return (f"test: fixed random {ds.test_fraction:.0%} (seed {ds.split_seed}) of the {len(ds.masked_ids)} "
                f"images with a trimap; train: the other {len(ds.train_ids)} images")
    return f"Oxford 102, protocol {ds.protocol!r}"


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
    _, M, I = data.part(part)
    return segmentation_scores_per_image(M, pred, I)["iou"]


# --------------------------------------------------------------------------- runs with records

@dataclass
class SegmentationRun:
    """What a runner returns: the record and, per seed, the test-split predictions (and LOC models)."""
    record: dict
    masks: list                     # per seed: (N_test, S, S) uint8
    labels: list = field(default_factory=list)     # per seed: multi-class labels (LOC / K-means)
    models: list = field(default_factory=list)


def _finish(experiment: str, data: SegmentationData, *, seeds, runs, profile, params, n_params, wall, device,
            results_dir, extra) -> dict:
    record = make_record(experiment=experiment, dataset=data.dataset, profile=profile,
                         params={**params, "image_size": data.provenance.get("image_size"),
                                 "n_train": len(data.X_train), "n_test": len(data.X_test),
                                 "evaluated_on": "test split",
                                 "scores": "per-image mean; trimap band ignored (plain names) or counted as "
                                           "background (_band_as_background)"},
                         seeds=seeds, runs=runs, n_parameters=n_params, wall_time_s=wall, device=device,
                         extra={"data": data.provenance, **(extra or {})})
    if results_dir is not None:
        write_record(record, results_dir)
    return record


def _cluster_summary(labels: np.ndarray, masks: np.ndarray) -> dict:
    counts = count_clusters(labels)
    values, freq = np.unique(counts, return_counts=True)
    return {"histogram": {int(v): int(f) for v, f in zip(values, freq)}, "mean": float(counts.mean()),
            "foreground_share": float(masks.mean())}


def run_loc(data: SegmentationData, *, seeds: Sequence[int], profile: str, loc_params: Mapping,
            experiment: str = "loc", device: str = "cpu", results_dir=None, progress: bool = True,
            note: str = "") -> SegmentationRun:
    """Train one LOC per seed on ``data.X_train``; score its median-binarised masks on the test split."""
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
    params = {k: (list(v) if isinstance(v, tuple) else v) for k, v in models[0].get_params().items()
              if k != "random_state"}
    params.update({"optimizer": "Adam", "labels": "clip G at 0, round to integers",
                   "binary mask": "labels <= median of the image's distinct labels -> background"})
    if note:
        params["note"] = note
    record = _finish(experiment, data, seeds=seeds, runs=runs, profile=profile, params=params,
                     n_params=n_parameters(models[0].observer_), wall=wall, device=device,
                     results_dir=results_dir, extra={"clusters_per_seed": clusters, "training_per_seed": curves})
    return SegmentationRun(record, masks, labels, models)


def run_baseline(data: SegmentationData, experiment: str, method: Callable[[np.ndarray, int], np.ndarray], *,
                 seeds: Sequence[int], profile: str, params: Mapping, results_dir=None,
                 progress: bool = True) -> SegmentationRun:
    """Run ``method(X_test, seed) -> masks`` once per seed and record the scores."""
    check_profile(profile)
    runs, masks = [], []
    start = time.perf_counter()
    for seed in tqdm(list(seeds), desc=experiment, disable=not progress, leave=False):
        m = method(data.X_test, int(seed))
        runs.append(score_masks(data, m))
        masks.append(m)
    wall = time.perf_counter() - start
    record = _finish(experiment, data, seeds=seeds, runs=runs, profile=profile, params=dict(params),
                     n_params=None, wall=wall, device="cpu", results_dir=results_dir,
                     extra={"foreground_share_per_seed": [float(m.mean()) for m in masks]})
    return SegmentationRun(record, masks)


def run_baselines(data: SegmentationData, settings: Mapping, *, profile: str, loc_run: SegmentationRun | None = None,
                  results_dir=None, progress: bool = True) -> dict[str, SegmentationRun]:
    """K-means (k = 2; k = LOC's per-image cluster count; centre cluster) and GrabCut on the test split."""
    n_init = int(settings["kmeans_n_init"])
    out = {}
    km = dict(algorithm="per-image K-means on RGB in [0, 1] (cv2.kmeans, k-means++ seeding)", n_init=n_init)
    out["kmeans_segmentation"] = run_baseline(
        data, "kmeans_segmentation",
        lambda X, s: baselines.kmeans_masks(X, 2, random_state=s, n_init=n_init, progress=progress),
        seeds=settings["seeds"], profile=profile, params={**km, "k": 2,
                                                          "binary mask": "median rule on K-means label ids "
                                                                         "(an arbitrary foreground cluster)"},
        results_dir=results_dir, progress=progress)
    if loc_run is not None:
        counts = [count_clusters(lab) for lab in loc_run.labels]
        seeds = list(settings["seeds"])

        def km_loc_k(X, s):
            k = counts[seeds.index(s)]
            return baselines.kmeans_masks(X, np.maximum(k, 1), random_state=s, n_init=n_init, progress=progress)

        out["kmeans_segmentation_loc_k"] = run_baseline(
            data, "kmeans_segmentation_loc_k", km_loc_k, seeds=settings["seeds"], profile=profile,
            params={**km, "k": "LOC's per-image cluster count (same seed)", "binary mask": "median rule"},
            results_dir=results_dir, progress=progress)
    out["kmeans_segmentation_centre"] = run_baseline(
        data, "kmeans_segmentation_centre",
        lambda X, s: baselines.kmeans_centre_masks(X, random_state=s, n_init=n_init, progress=progress),
        seeds=settings["seeds"], profile=profile,
        params={**km, "k": 2, "binary mask": "the cluster holding most of the central window (1/4 of each side)"},
        results_dir=results_dir, progress=progress)
    margin, iters = float(settings["grabcut_margin"]), int(settings["grabcut_iterations"])
    out["grabcut"] = run_baseline(
        data, "grabcut",
        lambda X, s: baselines.grabcut_masks(X, margin=margin, iterations=iters, random_state=s, progress=progress),
        seeds=settings["seeds"], profile=profile,
        params={"algorithm": "OpenCV GrabCut, GC_INIT_WITH_RECT", "rect_margin": margin, "iterations": iters},
        results_dir=results_dir, progress=progress)
    return out


# --------------------------------------------------------------------------- studies on the validation images

@dataclass
class Study:
    """Variants of LOC trained with one seed and scored on the validation images."""
    table: object                 # pandas DataFrame, one row per variant
    models: dict
    labels: dict                  # variant -> validation labels
    record: dict | None = None


def study_variants(data: SegmentationData, variants: Mapping[str, Mapping], *, seed: int, profile: str,
                   experiment: str | None = None, device: str = "cpu", results_dir=None,
                   progress: bool = True) -> Study:
    """Train ``LOC(**kwargs)`` for each named variant (one seed); describe what each learns.

    Columns: share of training images whose hinge fired in the first and the last epoch, mean
    training error of the last epoch, mean clusters per validation image, foreground share, and
    the validation scores (band ignored). With ``experiment`` a record is written whose metrics are
    ``<variant>__<score>``.
    """
    import pandas as pd

    rows, models, labels, runs_flat = [], {}, {}, {}
    start = time.perf_counter()
    for name, kw in tqdm(list(variants.items()), desc=experiment or "variants", disable=not progress, leave=False):
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
        runs_flat.update({f"{name}__{k}": v for k, v in s.items()})
    table = pd.DataFrame(rows).set_index("variant")
    record = None
    if experiment is not None:
        record = make_record(
            experiment=experiment, dataset=data.dataset, profile=profile,
            params={"variants": {n: {k: (list(v) if isinstance(v, tuple) else v) for k, v in kw.items()}
                                 for n, kw in variants.items()},
                    "evaluated_on": "validation images (training split, with masks)",
                    "n_train": len(data.X_train), "n_val": len(data.X_val),
                    "image_size": data.provenance.get("image_size")},
            seeds=[int(seed)], runs=[runs_flat], n_parameters=None, wall_time_s=time.perf_counter() - start,
            device=device, extra={"table": table.reset_index().to_dict(orient="list"), "data": data.provenance})
        if results_dir is not None:
            write_record(record, results_dir)
    return Study(table, models, labels, record)


def rho_study(data: SegmentationData, settings: Mapping, *, rho_values: Sequence[float], seed: int, profile: str,
              base: Mapping, device: str = "cpu", results_dir=None, progress: bool = True) -> Study:
    """How the per-image number of clusters (and the masks) move with rho: experiment ``loc_rho_study``."""
    variants = {f"rho={r:g}": {**base, "rho": float(r)} for r in rho_values}
    study = study_variants(data, variants, seed=seed, profile=profile, experiment=None, device=device,
                           progress=progress)
    hist = {name: {int(k): int(v) for k, v in zip(*np.unique(count_clusters(lab), return_counts=True))}
            for name, lab in study.labels.items()}
    runs = {}
    for name, lab in study.labels.items():
        s = score_masks(data, median_binarize(lab), "val")
        runs.update({f"{k}_{name.replace('=', '_')}": v for k, v in s.items()})
    record = make_record(
        experiment="loc_rho_study", dataset=data.dataset, profile=profile,
        params={"rho_values": list(map(float, rho_values)),
                "base": {k: (list(v) if isinstance(v, tuple) else v) for k, v in base.items() if k != "rho"},
                "evaluated_on": "validation images (training split, with masks)", "n_train": len(data.X_train),
                "n_val": len(data.X_val), "image_size": data.provenance.get("image_size")},
        seeds=[int(seed)], runs=[runs], n_parameters=None,
        wall_time_s=float(study.table["fit s"].sum()), device=device,
        extra={"cluster_histograms": hist, "table": study.table.reset_index().to_dict(orient="list"),
               "data": data.provenance})
    if results_dir is not None:
        write_record(record, results_dir)
    study.record = record
    return study
