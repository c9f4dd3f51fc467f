"""Experiment runners: settings per profile, seeds loop, metrics, records.

A chapter notebook calls these and shows what they return; the logic lives here so
that it is tested and every number in the book comes from library code.
"""
from __future__ import annotations

import time
from typing import Callable, Sequence

import numpy as np
from sklearn.cluster import KMeans
from tqdm import tqdm

from osa_lib.clustering import codes
from osa_lib.data import ClusteringData, train_validation_split
from osa_lib.clustering.shallow import ShallowACRBM
from osa_lib.metrics import clustering_scores, contingency, trivial_reconstruction_mse
from osa_lib.book.provenance.records import check_profile, make_record, RunResult
from osa_lib.book.harness.profiles import CLUSTERING_PROFILES, profile_settings


def clustering_settings(profile: str, **overrides) -> dict:
    """The settings of ``profile``, with any non-None ``overrides`` (unknown names raise ValueError)."""
    keys = ("seeds", "sweep_sizes", "sweep_seeds", "sensitivity_seeds")
    settings = profile_settings(CLUSTERING_PROFILES, profile, overrides, sequences=keys)
    for key in keys:
        settings[key] = tuple(int(v) for v in settings[key])
    return settings


def run_clustering(experiment: str, make_model: Callable[[int], object], data: ClusteringData, *,
                   seeds: Sequence[int], profile: str, params: dict, n_clusters: int,
                   device: str = "cpu", results_dir=None, n_parameters: Callable[[object], int] | None = None,
                   progress: bool = True) -> RunResult:
    """Fit ``make_model(seed)`` on the training rows for each seed, score it on the test rows.

    Metrics per seed: :func:`osa_lib.metrics.clustering_scores` on the test set. The
    record (:func:`osa_lib.book.provenance.records.make_record`) is written under ``results_dir`` when it is given. Returns the
    record, the fitted models (one per seed, in seed order) and
    ``outputs["test_predictions"]`` (one int64 array per seed).

    The record also keeps, per seed, the test split's cluster × class counts (``confusion_per_seed``, K rows
    of C counts: :func:`osa_lib.metrics.contingency`), a few kilobytes from which the book draws confusion
    matrices without retraining (``confusion_axes`` says what the rows and columns are).
    """
    check_profile(profile)
    runs, models, predictions, confusion = [], [], [], []
    n_classes = int(max(data.y_train.max(), data.y_test.max())) + 1
    start = time.perf_counter()
    for seed in tqdm(list(seeds), desc=experiment, disable=not progress, leave=False):
        model = make_model(int(seed)).fit(data.X_train)
        pred = np.asarray(model.predict(data.X_test), dtype=np.int64)
        runs.append(clustering_scores(data.y_test, pred, n_clusters=n_clusters))
        confusion.append(contingency(data.y_test, pred, n_clusters, n_classes).tolist())
        models.append(model)
        predictions.append(pred)
    wall = time.perf_counter() - start
    record = make_record(
        experiment=experiment, dataset=data.dataset, profile=profile,
        params={**params, "n_clusters": n_clusters, "n_train": len(data.X_train), "n_test": len(data.X_test),
                "evaluated_on": "test split", "mapping": "majority (accuracy_majority), one-to-one (accuracy_hungarian)"},
        seeds=seeds, runs=runs, n_parameters=None if n_parameters is None else n_parameters(models[0]),
        wall_time_s=wall, device=device, results_dir=results_dir,
        extra={"data": data.provenance, "confusion_per_seed": confusion,
               "confusion_axes": "per seed: rows = clusters 0..K-1 (the model's label of each test image), "
                                 "columns = true classes 0..C-1, entries = test images"})
    return RunResult(record, models, {"test_predictions": predictions})


def run_kmeans(data: ClusteringData, *, seeds, profile: str, n_init: int, n_clusters: int = 10,
               results_dir=None, progress: bool = True) -> RunResult:
    """Table 1's K-means row: scikit-learn KMeans on raw pixels, best of ``n_init`` by inertia (label-free).

    Record ``kmeans`` for 10 clusters (Table 1's row), ``kmeans_<K>`` otherwise (the like-for-like
    comparator of a K-cluster ACRBM row, e.g. ``kmeans_30``)."""
    params = {"algorithm": "sklearn.cluster.KMeans (k-means++, lloyd)", "n_init": int(n_init),
              "selection": "lowest inertia (label-free)", "features": "raw pixels in [0, 1]"}
    experiment = "kmeans" if n_clusters == 10 else f"kmeans_{n_clusters}"
    return run_clustering(experiment, lambda s: KMeans(n_clusters, n_init=n_init, random_state=s), data,
                          seeds=seeds, profile=profile, params=params, n_clusters=n_clusters,
                          results_dir=results_dir, progress=progress)


def run_shallow_acrbm(data: ClusteringData, *, n_clusters: int, seeds, profile: str, epochs: int,
                      device: str = "cpu", results_dir=None, progress: bool = True,
                      experiment: str | None = None) -> RunResult:
    """Table 1's shallow-ACRBM rows: :class:`ShallowACRBM` with Table 3's optimiser settings."""
    template = ShallowACRBM(n_clusters, epochs=epochs, device=device, progress=False)
    params = {k: v for k, v in template.get_params().items() if k not in ("progress", "random_state", "device")}
    params["betas"] = list(params["betas"])
    params["loss"] = "eq 14 only (no reconstruction term)"
    return run_clustering(experiment or f"shallow_acrbm_{n_clusters}",
                          lambda s: ShallowACRBM(n_clusters, epochs=epochs, random_state=s, device=device,
                                                 progress=False),
                          data, seeds=seeds, profile=profile, params=params, n_clusters=n_clusters,
                          device=device, results_dir=results_dir, n_parameters=lambda m: m.n_parameters_,
                          progress=progress)


def sweep_n_clusters(data: ClusteringData, *, sizes, seeds, profile: str, epochs: int, device: str = "cpu",
                     results_dir=None, progress: bool = True) -> RunResult:
    """Figure 9: accuracy (majority), mean confidence, cluster usage and reconstruction error against K.

    Returns the record, ``models`` (the first seed's model of each size, in ``sizes``
    order) and ``outputs["models_by_k"]`` (the same models keyed by K; reused by
    Figures 5, 6 and 8). Metric names carry the size:
    ``accuracy_majority_k10``, ``confidence_k10``, ``cluster_usage_k10`` (fractions) and
    ``reconstruction_mse_k10`` (mean squared error per pixel of eq 9 on the test images).
    """
    check_profile(profile)
    sizes = [int(k) for k in sizes]
    runs = [dict() for _ in seeds]
    models, first_params = {}, None
    start = time.perf_counter()
    bar = tqdm(total=len(sizes) * len(seeds), desc="sweep K", disable=not progress, leave=False)
    for k in sizes:
        for i, seed in enumerate(seeds):
            model = ShallowACRBM(k, epochs=epochs, random_state=int(seed), device=device, progress=False)
            model.fit(data.X_train)
            H = model.transform(data.X_test)
            runs[i][f"accuracy_majority_k{k}"] = clustering_scores(data.y_test, H.argmax(1), k)["accuracy_majority"]
            runs[i][f"confidence_k{k}"] = codes.mean_confidence(H)
            runs[i][f"cluster_usage_k{k}"] = codes.cluster_usage(H)
            runs[i][f"reconstruction_mse_k{k}"] = codes.reconstruction_error(data.X_test,
                                                                                model.reconstruct(data.X_test))
            if i == 0:
                models[k] = model
            first_params = first_params or {p: v for p, v in model.get_params().items()
                                            if p not in ("progress", "random_state", "device", "n_clusters")}
            bar.update()
    bar.close()
    params = {**first_params, "betas": list(first_params["betas"]), "sizes": sizes, "n_train": len(data.X_train),
              "n_test": len(data.X_test), "mapping": "majority"}
    record = make_record(experiment="shallow_acrbm_sweep", dataset=data.dataset, profile=profile, params=params,
                         seeds=seeds, runs=runs, n_parameters=None, wall_time_s=time.perf_counter() - start,
                         device=device, extra={"data": data.provenance}, results_dir=results_dir)
    return RunResult(record, list(models.values()), {"models_by_k": models})


#: What was tried when the 10-cluster shallow ACRBM fell short of the paper: each variant
#: changes one of Table 3's settings (name -> ShallowACRBM keyword arguments).
SHALLOW_VARIANTS = {
    "Table 3 (lr 1e-2, beta1 0.01, batch 256)": {},
    "beta1 = 0.9 (Adam's default)": {"betas": (0.9, 0.999)},
    "lr = 1e-3": {"lr": 1e-3},
    "batch 1024": {"batch_size": 1024},
    "batch 64": {"batch_size": 64},
    "3x epochs": {"epochs_factor": 3},
}


def shallow_sensitivity(data: ClusteringData, *, n_clusters: int, seeds, profile: str, epochs: int,
                        n_validation: int, variants: dict | None = None, device: str = "cpu",
                        results_dir=None, progress: bool = True) -> RunResult:
    """Vary one Table 3 setting at a time; score on a validation split of the *training* set.

    The test set is not touched, so this can inform a choice without peeking. Metric
    names: ``accuracy_majority[<variant>]`` and ``cluster_usage[<variant>]``. Returns the
    record and the fitted models (variant by variant, seeds within a variant), with
    ``outputs["model_keys"]``: the ``(variant, seed)`` of each model.
    """
    check_profile(profile)
    variants = SHALLOW_VARIANTS if variants is None else variants
    X_fit, y_fit, X_val, y_val = train_validation_split(data.X_train, data.y_train, n_validation)
    runs = [dict() for _ in seeds]
    models, keys = [], []
    start = time.perf_counter()
    bar = tqdm(total=len(variants) * len(seeds), desc="sensitivity", disable=not progress, leave=False)
    for name, change in variants.items():
        change = dict(change)
        n_epochs = epochs * change.pop("epochs_factor", 1)
        for i, seed in enumerate(seeds):
            model = ShallowACRBM(n_clusters, epochs=n_epochs, random_state=int(seed), device=device,
                                 progress=False, **change).fit(X_fit)
            H = model.transform(X_val)
            runs[i][f"accuracy_majority[{name}]"] = clustering_scores(y_val, H.argmax(1), n_clusters)["accuracy_majority"]
            runs[i][f"cluster_usage[{name}]"] = codes.cluster_usage(H)
            models.append(model)
            keys.append((name, int(seed)))
            bar.update()
    bar.close()
    params = {"n_clusters": n_clusters, "epochs": epochs, "variants": {k: {kk: (list(vv) if isinstance(vv, tuple) else vv)
                                                                          for kk, vv in v.items()}
                                                                       for k, v in variants.items()},
              "n_train": len(X_fit), "n_validation": len(X_val), "evaluated_on": "validation split of the training set",
              "mapping": "majority"}
    record = make_record(experiment=f"shallow_acrbm_{n_clusters}_sensitivity", dataset=data.dataset, profile=profile,
                         params=params, seeds=seeds, runs=runs, n_parameters=None,
                         wall_time_s=time.perf_counter() - start, device=device, extra={"data": data.provenance},
                         results_dir=results_dir)
    return RunResult(record, models, {"model_keys": keys})


def _record(result) -> dict:
    """The record of a :class:`RunResult`, or the record itself."""
    return result.record if isinstance(result, RunResult) else result


def sensitivity_table(result):
    """The sensitivity record (or its RunResult) as a DataFrame: one row per variant, validation accuracy and usage (percent)."""
    import pandas as pd

    record = _record(result)
    rows = []
    for name in record["params"]["variants"]:
        acc = record["metrics"][f"accuracy_majority[{name}]"]
        use = record["metrics"][f"cluster_usage[{name}]"]
        rows.append({"variant": name, "accuracy % (validation)": 100 * acc["mean"], "std": 100 * acc["std"],
                     "per seed": [round(100 * v, 1) for v in acc["per_seed"]], "clusters used %": 100 * use["mean"]})
    return pd.DataFrame(rows)


def sweep_table(result):
    """The sweep record (or its RunResult) as a DataFrame: one row per K, mean and std of each read-out (percent; MSE as is)."""
    import pandas as pd

    record = _record(result)
    rows = []
    for k in record["params"]["sizes"]:
        row = {"K": k}
        for name in ("accuracy_majority", "confidence", "cluster_usage"):
            m = record["metrics"][f"{name}_k{k}"]
            row[f"{name} %"] = 100 * m["mean"]
            row[f"{name} std"] = 100 * m["std"]
        mse = record["metrics"].get(f"reconstruction_mse_k{k}")
        if mse is not None:
            row["reconstruction MSE"] = mse["mean"]
        rows.append(row)
    return pd.DataFrame(rows)


def trivial_reconstructions(data: ClusteringData, *, profile: str, results_dir=None) -> dict:
    """The record ``trivial_reconstructions``: MSE per pixel on the test rows of an all-black image and of the
    mean training image (:func:`osa_lib.metrics.trivial_reconstruction_mse`), the floor any reconstruction
    trend (Figure 5) stands beside. Deterministic: one "seed" (0)."""
    start = time.perf_counter()
    mse = trivial_reconstruction_mse(data.X_train, data.X_test)
    return make_record(experiment="trivial_reconstructions", dataset=data.dataset, profile=profile,
                       params={"n_train": len(data.X_train), "n_test": len(data.X_test), "evaluated_on": "test split",
                               "reconstructions": "all_black: every pixel 0; mean_image: mean of the training rows"},
                       seeds=[0], runs=[{f"mse_{k}": v for k, v in mse.items()}], n_parameters=0,
                       wall_time_s=time.perf_counter() - start, device="cpu", extra={"data": data.provenance},
                       results_dir=results_dir)


# --------------------------------------------------------------------------- exhibits of record

#: The sizes whose models Figures 5 and 8 draw, and the sizes of Figure 6's neighbours (those the sweep has).
RECONSTRUCTION_SIZES = (10, 30, 100, 300)
NEIGHBOUR_SIZES = (100, 300)
#: Test images whose 10 nearest neighbours in code space are counted for Figure 6's sentence.
NEIGHBOUR_AGREEMENT_IMAGES = 500


def _as_pixel_bytes(images: np.ndarray) -> list:
    """Images in [0, 1] as 0-255 integers: a 784-pixel reconstruction in about 2.5 kB of JSON, drawn
    within 1/510 of its value (below what a grey scale shows)."""
    return np.clip(np.rint(255 * np.asarray(images, dtype=np.float64)), 0, 255).astype(np.uint8).tolist()


def shallow_exhibits(data: ClusteringData, models_by_k: dict, *, tsne_points: int, seed: int,
                     random_state: int = 0) -> dict:
    """What Figures 5, 6 and 8 and their sentences show, from the sweep's models (first seed), as JSON-able data.

    The same draws as the chapter always made (one generator seeded with ``random_state``: 12 test images for
    Figure 5, 6 queries for Figure 6, ``tsne_points`` images for Figure 8). Test images are kept as indices
    into ``data``'s test rows (the chapter reloads the pixels); model outputs are kept: reconstructions as
    0-255 integers, neighbour indices, t-SNE coordinates (3 significant decimals), cluster assignments.
    ``facts`` holds the numbers the sentences quote (fractions).
    """
    rng = np.random.default_rng(random_state)
    n_test = len(data.X_test)
    shown = np.sort(rng.choice(n_test, size=min(12, n_test), replace=False))
    queries = rng.choice(n_test, size=min(6, n_test), replace=False)
    subset = np.sort(rng.choice(n_test, size=min(tsne_points, n_test), replace=False))
    recon_sizes = [k for k in RECONSTRUCTION_SIZES if k in models_by_k]
    nn_sizes = [k for k in NEIGHBOUR_SIZES if k in models_by_k]
    first = np.arange(min(NEIGHBOUR_AGREEMENT_IMAGES, n_test))
    facts, neighbours, tsne = {}, {}, {}
    for k in nn_sizes:
        H_all = models_by_k[k].transform(data.X_test)
        neighbours[str(k)] = codes.nearest_neighbours(H_all, queries, n_neighbours=12).tolist()
        facts[f"knn_label_agreement_first_k{k}"] = codes.knn_label_agreement(H_all[first], data.y_test[first])
    for k in recon_sizes:
        H = models_by_k[k].transform(data.X_test[subset])
        Y = codes.embed_2d(H)
        distortion = codes.projection_distortion(H, Y, data.y_test[subset])
        tsne[str(k)] = {"coordinates": np.round(Y, 3).tolist(), "clusters": H.argmax(1).astype(int).tolist(),
                        **{name: float(v) for name, v in distortion.items()}}
        facts.update({f"{name}_k{k}": float(v) for name, v in distortion.items()})
    return {
        "source": f"the sweep's models of seed {int(seed)} (shallow_acrbm_sweep), on the test split",
        "n_test": int(n_test), "seed": int(seed),
        "reconstructions": {"test_indices": shown.tolist(), "sizes": recon_sizes,
                            "pixels_0_255": {str(k): _as_pixel_bytes(models_by_k[k].reconstruct(data.X_test[shown]))
                                             for k in recon_sizes}},
        "neighbours": {"query_indices": queries.tolist(), "sizes": nn_sizes, "n_first": int(len(first)),
                       "neighbour_indices": neighbours},
        "tsne": {"test_indices": subset.tolist(), "labels": data.y_test[subset].astype(int).tolist(),
                 "sizes": recon_sizes, "method": "sklearn TSNE, PCA initialisation, perplexity 30, random_state 0",
                 "by_k": tsne},
        "facts": {k: float(v) for k, v in facts.items()},
    }


def exhibit_reconstructions(exhibits: dict) -> dict[int, np.ndarray]:
    """Figure 5's reconstructions from :func:`shallow_exhibits` data: K -> (12, 784) floats in [0, 1]."""
    return {int(k): np.asarray(v, dtype=np.float64) / 255 for k, v in exhibits["reconstructions"]["pixels_0_255"].items()}


def distortion_frame(exhibits: dict):
    """Figure 8's distortion table from :func:`shallow_exhibits` data: one row per K."""
    import pandas as pd

    names = ("trustworthiness", "knn_agreement_codes", "knn_agreement_2d")
    return pd.DataFrame([{"K": int(k), **{n: v[n] for n in names if n in v}}
                         for k, v in exhibits["tsne"]["by_k"].items()])


def exhibit_test_images(exhibits: dict, data: ClusteringData, data_dir=None) -> np.ndarray:
    """The test rows the exhibits' indices point into (pixels are not stored, only indices): this run's test rows
    when they are the whole test split (a subset is smaller; the whole split keeps its order), else the test
    split read again from the data set."""
    if len(data.X_test) == exhibits["n_test"]:
        return data.X_test
    from osa_lib.data import flatten_images, load_dataset

    X_test, _ = load_dataset(data.dataset, train=False, data_dir=data_dir)
    rows = flatten_images(X_test)
    if len(rows) != exhibits["n_test"]:
        raise ValueError(f"the exhibits index {exhibits['n_test']} test images; the {data.dataset} test split here "
                         f"has {len(rows)}")
    return rows
