"""The LOC chapter's studies on the validation images (the open questions, the ρ study) and the numbers its text quotes.

Every choice of the chapter is made on the *validation* images (the training split's images that
have a ground-truth mask; the observer also trains on them, without masks).
"""
from __future__ import annotations

import time
from typing import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy.stats import spearmanr
from tqdm import tqdm

from osa_lib.book.loc_chapter.loc_table2 import TABLE2_EXPERIMENTS, _listed, loc_kwargs, score_masks
from osa_lib.book.provenance.records import check_profile, load_record, make_record, REPOSITORY_RESULTS, RunResult
from osa_lib.data import DataNotFoundError
from osa_lib.data.flowers import FLOWERS17_OFFLINE_COPY, SegmentationData, load_segmentation_data
from osa_lib.metrics import SEGMENTATION_METRICS
from osa_lib.segmentation.analysis import image_energy
from osa_lib.segmentation.loc import LOC, count_clusters, median_binarize

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


def rho_label(rho: float, rho_values: Sequence[float] = ()) -> str:
    """A row of the rho study: ``rho=<value>`` at 6 significant digits (``rho=0.3``), in full where another
    value of ``rho_values`` would read the same (``rho=0.3`` and ``rho=0.3000001``)."""
    short = f"{float(rho):g}"
    return f"rho={short if sum(f'{float(r):g}' == short for r in rho_values) <= 1 else repr(float(rho))}"


def rho_study(data: SegmentationData, settings: Mapping, *, rho_values: Sequence[float], seed: int, profile: str,
              base: Mapping, device: str = "cpu", results_dir=None, progress: bool = True) -> RunResult:
    """How the per-image number of clusters (and the masks) move with rho: experiment ``loc_rho_study``.

    One row per distinct value of ``rho_values``, smallest first (a value given twice is one
    variant: same seed, same network), named by :func:`rho_label`; the record's ``rho_values``
    are these rows' values, so the first and last rows are the smallest and largest rho.
    ``outputs``: ``table`` (as :func:`study_variants`, one row per ``rho=<value>``), ``model``,
    ``labels``; the record adds ``cluster_histograms`` (clusters per image -> images, per rho).
    """
    check_profile(profile)
    rho_values = sorted({float(r) for r in rho_values})
    variants = {rho_label(r, rho_values): {**base, "rho": r} for r in rho_values}
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


# --------------------------------------------------------------------------- numbers for the text

def load_chapter_records(results_dir, profile: str = "paper", dataset: str = "flowers17") -> dict[str, dict]:
    """The chapter's records for ``profile`` and ``dataset``: name -> record, each from ``results_dir`` when it
    is there, else the repository's committed one (a run that writes its records elsewhere, e.g.
    ``-p results_dir /tmp/osa_results``, still shows the evidence of record)."""

    names = (*TABLE2_EXPERIMENTS, "loc_open_questions", "loc_rho_study")
    found = {n: load_record(results_dir, profile, dataset, n) or load_record(REPOSITORY_RESULTS, profile, dataset, n)
             for n in names}
    return {n: r for n, r in found.items() if r is not None}


def records_copy(records: Mapping[str, Mapping]) -> str:
    """Which copy of the data the records' numbers come from, in words (their ``data["copy"]``).

    Several copies are joined with "; " (the records then mix copies). An Oxford 17 record without
    ``"copy"`` predates that field: it was made when Oxford 17 could not be downloaded and the loader
    read the folder placed at the data root, the offline copy (:data:`FLOWERS17_OFFLINE_COPY`).
    No record: "(no committed record)". Each phrase reads after "the" ("these numbers read the ...").
    """
    copies = set()
    for rec in records.values():
        data = rec.get("data") if isinstance(rec.get("data"), Mapping) else {}
        copy = data.get("copy") or (FLOWERS17_OFFLINE_COPY if rec.get("dataset") == "flowers17" else None)
        copies.add(copy or "copy the record does not name")
    return "; ".join(sorted(copies)) if copies else "(no committed record)"


#: The rows of :func:`data_table`: provenance key -> what a reader calls it.
DATA_ROWS = {"copy": "copy of the data", "image_size": "image side (pixels)", "n_train": "training images",
             "n_val": "validation images (with a mask)", "n_test": "test images", "split": "split",
             "test_ids_sha256": "test images' ids (sha256, first 16 hex digits)",
             "trimaps_sha256": "trimaps.tgz (sha256)"}


def data_table(provenance: Mapping, column: str = "this run's data"):
    """A run's data provenance (``SegmentationData.provenance`` or a record's ``data``) as a two-column
    table a reader can read, the values under ``column``: the rows of :data:`DATA_ROWS` it has, counts as
    integers; the machine's data root is left out."""
    rows = [(label, f"{provenance[key]:,}" if isinstance(provenance[key], int) else str(provenance[key]))
            for key, label in DATA_ROWS.items() if provenance.get(key) is not None]
    # Each folder read: its file count and the sha256 of its `sha256sum` manifest (first 16 hex digits).
    rows += [(f"{folder}/ folder (files; sha256 of its sha256sum manifest)",
              f"{info['files']:,} files; {info['sha256'][:16]}")
             for folder, info in sorted((provenance.get("folders_sha256") or {}).items())]
    return pd.DataFrame(rows, columns=["", column])


def data_numbers(data: SegmentationData, rho: float) -> dict[str, float]:
    """What the text says about a split before any training (percent where a share).

    ``n_train``, ``n_val``, ``n_test``, ``size``; ``background``/``flower``: share of the test split's
    scored pixels (trimap band left out) that are background / flower (``background`` is the accuracy
    of an all-background mask); ``energy_min``/``_max``/``_median``: the mean of v^2 over each training
    image with v in [0, 1] (the error of G = 0 under the literal reading); ``energy_above``: percent of
    training images whose energy exceeds ``rho`` (the only ones whose hinge can fire).
    """
    M, I = data.M_test, data.I_test
    background = float(1 - (M[~I].mean() if I is not None else M.mean()))
    energy = image_energy(data.X_train, "unit")
    return {"n_train": len(data.X_train), "n_val": len(data.X_val), "n_test": len(data.X_test),
            "size": data.provenance.get("image_size"), "background": 100 * background,
            "flower": 100 - 100 * background, "energy_min": float(energy.min()),
            "energy_max": float(energy.max()), "energy_median": float(np.median(energy)),
            "energy_above": float(100 * (energy > rho).mean())}


def load_record_split(record: Mapping, data_dir=None) -> SegmentationData | None:
    """The images a record was measured on, read again from the data root: its data set at its image size
    and image counts. None when the data are not here or the test split differs from the record's
    (checked by the test images' ids, ``test_ids_sha256``), so no number is quoted for a split the
    record did not see; a record that stores its folders' checksums (``folders_sha256``) also needs the same
    files. Only the data are read: nothing is trained or scored."""
    meta = record.get("data") or {}
    try:
        data = load_segmentation_data(record["dataset"], data_dir, image_size=int(meta["image_size"]),
                                      n_train=meta.get("n_train"), n_val=meta.get("n_val"),
                                      n_test=meta.get("n_test"), progress=False)
    except (DataNotFoundError, KeyError, FileNotFoundError):
        return None
    same = all(meta.get(key) is None or data.provenance.get(key) == meta[key]
               for key in ("test_ids_sha256", "folders_sha256"))
    return data if same else None


#: Study-table columns as a reader reads them (record keys -> headers in words).
STUDY_HEADERS = {"hinge on, epoch 1 %": "hinge fired, epoch 1 (%)",
                 "hinge on, last epoch %": "hinge fired, last epoch (%)",
                 "train error, last epoch": "error ε, last epoch", "steps with gradient":
                 "steps with a gradient", "max weight change": "largest weight change",
                 "clusters / image": "clusters per image", "1 cluster %": "images with one cluster (%)",
                 "foreground %": "flower pixels (%)", "pixel_accuracy %": "accuracy (%)", "iou %": "IoU (%)",
                 "dice %": "Dice (%)", "fit s": "training time (s)"}
#: What a variant's training did, and what it gives: a study's table in two halves that fit the column.
TRAINING_COLUMNS = ("hinge on, epoch 1 %", "hinge on, last epoch %", "steps with gradient", "max weight change",
                    "train error, last epoch")
RESULT_COLUMNS = ("clusters / image", "foreground %", "pixel_accuracy %", "iou %", "dice %")
#: A study's training and result in one table that fits the column: whether the hinge fired and the steps
#: with a gradient, then clusters, flower pixels, accuracy and IoU (Dice follows IoU; the records keep it).
SUMMARY_COLUMNS = ("hinge on, epoch 1 %", "steps with gradient", "clusters / image", "foreground %",
                   "pixel_accuracy %", "iou %")
#: Row names in words where a variant's label in the record reads as notation.
VARIANT_NAMES = {"literal: v in [0, 1]": "literal reading: v in [0, 1]",
                 "* as convolution (v standardised)": "K = v convolved with G (v standardised)",
                 "no hinge, rho = 0 (edge-centred v)": "no hinge, ρ = 0 (edge-centred v)",
                 "wider observer, nf = 32 (edge-centred v)": "twice as wide observer (edge-centred v)",
                 "hinge on the batch mean (edge-centred v)": "batch-mean hinge (edge-centred v)"}


def variant_name(label: str) -> str:
    """A study row's label as words: :data:`VARIANT_NAMES`, ``rho=0.3`` -> ``ρ = 0.3``."""
    if label.startswith("rho="):
        return "ρ = " + label[len("rho="):]
    return VARIANT_NAMES.get(label, label)


def study_frame(record: Mapping, columns: Sequence[str], rows: Sequence[str] | None = None, *,
                row_header: str = "variant") -> pd.DataFrame:
    """A study record's table (:func:`study_table`) for the page: the ``rows`` given (record labels, in that
    order; None = all) and ``columns`` (record keys), row names and headers in words (:func:`variant_name`,
    :data:`STUDY_HEADERS`); the row names are the first column, headed ``row_header``."""
    table = study_table(record)
    if rows is not None:
        table = table.loc[[r for r in rows if r in table.index]]
    out = table[list(columns)].rename(columns=STUDY_HEADERS)
    out.insert(0, row_header, [variant_name(v) for v in out.index])
    return out.reset_index(drop=True)


#: Which records' training curves :func:`training_curves_from_records` draws, and their names on the page.
TRAINING_CURVE_ROWS = {"loc": "working LOC", "loc_literal": "literal reading"}


def training_curves_from_records(records: Mapping[str, Mapping],
                                 rows: Mapping[str, str] = TRAINING_CURVE_ROWS) -> tuple[dict, dict]:
    """Per epoch, the share of training images whose hinge fired and the mean training error of every
    seed of the records named in ``rows`` (``training_per_seed``): ``(active, error)``, each
    ``"<name>, seed <s>" -> values``; records without curves (the untrained control) add nothing."""
    active, error = {}, {}
    for experiment, name in rows.items():
        rec = records.get(experiment)
        for seed, curve in zip(rec["seeds"] if rec else [], (rec or {}).get("training_per_seed") or []):
            if curve.get("active_share"):
                key = f"{name}, seed {seed}"
                active[key], error[key] = list(curve["active_share"]), list(curve["mean_error"])
    return active, error


def many_clusters_share(record: Mapping) -> list[float]:
    """Per seed, the percent of the scored images with three or more clusters, where the median rule calls
    only the top label flower (from the record's ``clusters_per_seed`` histograms; [] without them)."""
    out = []
    for clusters in record.get("clusters_per_seed") or []:
        hist = {int(k): int(v) for k, v in clusters["histogram"].items()}
        out.append(100 * sum(v for k, v in hist.items() if k >= 3) / max(sum(hist.values()), 1))
    return out


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
