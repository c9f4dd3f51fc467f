"""Our recipes for the ACRBM head (labelled ablations, never Table 1's rows) and the search that compares them.

The search trains each recipe on a fit split carved from the training set and scores it on a
validation split; the branch recipes all continue one shared AE warm-up
(:meth:`osa_lib.clustering.ae_base.AEBase.fit_from`). The AE chapter shows its record.
"""
from __future__ import annotations

import time
from typing import Sequence

import numpy as np
from tqdm import tqdm

from osa_lib.book.provenance.records import check_profile, make_record, RunResult
from osa_lib.clustering.ae_acrbm import AEACRBM
from osa_lib.clustering.ae_kmeans import AEKMeans
from osa_lib.clustering.autoencoder import TABLE3_BETA1
from osa_lib.data import ClusteringData
from osa_lib.data.splits import train_validation_split
from osa_lib.metrics import clustering_scores


#: The recipes the search tries for the ACRBM head, by name. Each is a set of
#: :class:`AEACRBM` hyperparameters; ``scratch`` trains from the first epoch, all
#: others branch from one shared AE warm-up (reconstruction only).
RECIPES = {
    "scratch_joint_lam1": dict(from_scratch=True, lam=1.0, head_init="random", standardize=False),
    "scratch_joint_lam0.1": dict(from_scratch=True, lam=0.1, head_init="random", standardize=False),
    "frozen_head_random": dict(finetune="head", lam=1.0, head_init="random", standardize=False),
    "frozen_head_random_bn": dict(finetune="head", lam=1.0, head_init="random", standardize=True),
    "kmeans_head_no_training": dict(finetune="head", lam=0.0, head_init="kmeans", standardize=True),
    "frozen_head_kmeans_bn": dict(finetune="head", lam=1.0, head_init="kmeans", standardize=True),
    "joint_random_bn_lam0.1": dict(finetune="joint", lam=0.1, head_init="random", standardize=True),
    "joint_kmeans_bn_lam0.01": dict(finetune="joint", lam=0.01, head_init="kmeans", standardize=True),
    "joint_kmeans_bn_lam0.1": dict(finetune="joint", lam=0.1, head_init="kmeans", standardize=True),
    "joint_kmeans_bn_lam1": dict(finetune="joint", lam=1.0, head_init="kmeans", standardize=True),
    "joint_kmeans_bn_lam0.1_T0.5": dict(finetune="joint", lam=0.1, head_init="kmeans", standardize=True,
                                        temperature=0.5),
    "joint_kmeans_nobn_lam0.1": dict(finetune="joint", lam=0.1, head_init="kmeans", standardize=False),
    "joint_kmeans_bn_lam0.1_ramp": dict(finetune="joint", lam=0.1, head_init="kmeans", standardize=True,
                                        ramp_epochs=2),
}

#: Recipes tried per number of clusters and profile (the 30-cluster search is shorter).
SEARCH_PLAN = {
    "paper": {10: list(RECIPES), 30: ["frozen_head_random", "frozen_head_random_bn", "kmeans_head_no_training",
                                       "frozen_head_kmeans_bn", "joint_random_bn_lam0.1", "joint_kmeans_bn_lam0.1",
                                       "joint_kmeans_bn_lam1"]},
    "ci": {10: ["scratch_joint_lam1", "frozen_head_random", "kmeans_head_no_training", "joint_random_bn_lam0.1"],
           30: ["kmeans_head_no_training", "frozen_head_kmeans_bn"]},
}

#: Each recipe (and the two AE + K-means references of the search) in words, for tables and legends.
#: "warm-up": the shared AE warm-up on reconstruction alone; "normalised code": batch-normalised h_AE.
RECIPE_LABELS = {
    "scratch_joint_lam1": "no warm-up: AE and head jointly from epoch 1, λ = 1",
    "scratch_joint_lam0.1": "no warm-up: AE and head jointly from epoch 1, λ = 0.1",
    "frozen_head_random": "warm-up, then a random head alone on the frozen AE",
    "frozen_head_random_bn": "warm-up, then a random head alone on the frozen AE, normalised code",
    "kmeans_head_no_training": "warm-up, then K-means centres as the head, not trained (K-means)",
    "frozen_head_kmeans_bn": "warm-up, then a head from K-means centres trained alone on the frozen AE",
    "joint_random_bn_lam0.1": "warm-up, then AE and a random head jointly, normalised code, λ = 0.1",
    "joint_kmeans_bn_lam0.01": "warm-up, then AE and a K-means head jointly, normalised code, λ = 0.01",
    "joint_kmeans_bn_lam0.1": "warm-up, then AE and a K-means head jointly, normalised code, λ = 0.1",
    "joint_kmeans_bn_lam1": "warm-up, then AE and a K-means head jointly, normalised code, λ = 1",
    "joint_kmeans_bn_lam0.1_T0.5": "as the row λ = 0.1 above, with softmax temperature 0.5",
    "joint_kmeans_nobn_lam0.1": "warm-up, then AE and a K-means head jointly, raw code, λ = 0.1",
    "joint_kmeans_bn_lam0.1_ramp": "as the row λ = 0.1 above, λ ramped up over 2 epochs",
    "ae_kmeans_standardized": "reference: AE + K-means on the standardised code",
    "ae_kmeans_raw": "reference: AE + K-means on the raw code",
}


def recipe_label(name: str) -> str:
    """A recipe of the search in words (:data:`RECIPE_LABELS`; an unknown name with spaces for underscores)."""
    return RECIPE_LABELS.get(name, name.replace("_", " "))


def recipe_params(name: str) -> dict:
    """:class:`AEACRBM` keyword arguments of a recipe (without ``from_scratch``)."""
    if name not in RECIPES:
        raise ValueError(f"unknown recipe {name!r}; known: {sorted(RECIPES)}")
    return {k: v for k, v in RECIPES[name].items() if k != "from_scratch"}


def _ae_acrbm(n_clusters: int, *, epochs: int, warmup_epochs: int, recipe: str, seed: int, device: str,
              architecture: str = "dense") -> AEACRBM:
    params = recipe_params(recipe)
    if RECIPES[recipe].get("from_scratch"):
        warmup_epochs = 0
    return AEACRBM(n_clusters, architecture=architecture, epochs=epochs, warmup_epochs=warmup_epochs,
                   random_state=seed, device=device, progress=False, **params)


def run_recipe_search(data: ClusteringData, *, profile: str, n_fit: int, n_val: int, seeds: Sequence[int],
                      warmup_epochs: int, finetune_epochs: int, plan: dict | None = None, device: str = "cpu",
                      results_dir=None, progress: bool = True, experiment: str = "ae_acrbm_recipe_search",
                      include_ae_kmeans: bool = True, architecture: str = "dense") -> RunResult:
    """Try every recipe of ``plan`` (default :data:`SEARCH_PLAN` of the profile) on a validation split.

    All data come from the training split: ``n_fit`` rows to train, ``n_val`` other
    rows to score (majority and Hungarian accuracy of ``argmax h_ACRBM``). For each
    seed and number of clusters one AE warm-up of ``warmup_epochs`` is trained and every
    recipe branches from it for ``finetune_epochs`` more (``scratch_*`` recipes train
    all ``warmup_epochs + finetune_epochs`` epochs from scratch instead). Also scores
    AE + K-means (own AE, same epochs) with and without standardised latents.
    Metric names: ``<K>/<recipe>/accuracy_majority`` etc. ``architecture``: the dense AE
    (the paper's) or ``"conv"`` (the ablation the committed paper-profile search used).
    """
    check_profile(profile)
    plan = SEARCH_PLAN[profile] if plan is None else plan
    X_fit, _, X_val, y_val = train_validation_split(data.X_train, data.y_train, n_val, n_fit=n_fit)
    total = warmup_epochs + finetune_epochs
    runs, curves = [], {}
    start = time.perf_counter()
    n_jobs = len(seeds) * (sum(len(v) for v in plan.values()) + len(plan) + int(include_ae_kmeans))
    bar = tqdm(total=n_jobs, desc="recipe search", disable=not progress, leave=False)
    for seed in seeds:
        run = {}
        for k, names in plan.items():
            t0 = time.perf_counter()
            warm = AEACRBM(k, architecture=architecture, epochs=warmup_epochs, warmup_epochs=warmup_epochs,
                           standardize=True, random_state=int(seed), device=device, progress=False)
            warm.fit(X_fit, eval_set=(X_val, y_val))
            warm_time = time.perf_counter() - t0
            bar.update()
            for name in names:
                t0 = time.perf_counter()
                model = _ae_acrbm(k, epochs=total, warmup_epochs=warmup_epochs, recipe=name, seed=int(seed),
                                  device=device, architecture=architecture)
                if RECIPES[name].get("from_scratch"):
                    model.fit(X_fit, eval_set=(X_val, y_val))
                    cost = time.perf_counter() - t0
                else:
                    model.fit_from(warm, X_fit, eval_set=(X_val, y_val))
                    cost = time.perf_counter() - t0 + warm_time
                pred = model.predict(X_val)
                scores = clustering_scores(y_val, pred, n_clusters=k)
                for metric in ("accuracy_majority", "nmi"):
                    run[f"{k}/{name}/{metric}"] = scores[metric]
                run[f"{k}/{name}/clusters_used"] = float(len(np.unique(pred)) / k)
                run[f"{k}/{name}/time_s"] = cost
                curves.setdefault(f"{k}/{name}", []).append(
                    [h.get("eval_accuracy_majority") for h in model.history_])
                bar.update()
        if not include_ae_kmeans:
            runs.append(run)
            continue
        # AE + K-means on the same split: label-free (lowest inertia) choice, standardised or raw latents.
        t0 = time.perf_counter()
        km = AEKMeans(10, architecture=architecture, epochs=total, kmeans_n_init=10, kmeans_max_samples=min(n_fit, 10_000),
                      random_state=int(seed), device=device, progress=False).fit(X_fit)
        ae_time = time.perf_counter() - t0
        for standardize in (True, False):
            km.set_params(kmeans_standardize=standardize)
            km.fit_kmeans(X_fit)
            name = "ae_kmeans_standardized" if standardize else "ae_kmeans_raw"
            scores = clustering_scores(y_val, km.predict(X_val), n_clusters=10)
            for metric in ("accuracy_majority", "accuracy_hungarian", "nmi"):
                run[f"10/{name}/{metric}"] = scores[metric]
            run[f"10/{name}/clusters_used"] = 1.0
            run[f"10/{name}/time_s"] = ae_time
        bar.update()
        runs.append(run)
    bar.close()
    params = {"n_fit": n_fit, "n_val": n_val, "split": "both carved from the training split (seed 0)",
              "warmup_epochs": warmup_epochs, "finetune_epochs": finetune_epochs,
              "plan": {str(k): v for k, v in plan.items()}, "recipes": RECIPES,
              "fixed": {"batch_size": 256, "lr": 1e-3, "betas": {k: [b, 0.999] for k, b in TABLE3_BETA1.items()},
                        "reconstruction": "mse", "architecture": architecture},
              "selection_metric": "validation accuracy_majority"}
    record = make_record(experiment=experiment, dataset=data.dataset, profile=profile, params=params,
                         seeds=seeds, runs=runs, n_parameters=None, wall_time_s=time.perf_counter() - start,
                         device=device, extra={"data": data.provenance, "curves": curves}, results_dir=results_dir)
    return RunResult(record)


#: Two recipes and AE + K-means at Table 1's scale (all 60,000 training images, five seeds, scored on
#: the test split), on the convolutional ablation for 10 epochs, 6 of them the AE warm-up: the AE
#: chapter shows these records apart, labelled ablations, never Table 1's rows.
#: Record name -> (the row in words, number of clusters, recipe; None = AE + K-means).
RECIPE_ROWS = {
    "ae_kmeans_conv_10ep": ("AE + K-means, standardised h_AE (conv AE)", 10, None),
    "ae_acrbm_10_recipe_conv_10ep": ("AE + ACRBM (10): warm-up, then joint with λ = 0.1 on batch-normalised h_AE",
                                     10, "joint_random_bn_lam0.1"),
    "ae_acrbm_30_frozen_kmeans_head_conv_10ep": ("AE + ACRBM (30): K-means-initialised head on a frozen AE", 30,
                                                 "frozen_head_kmeans_bn"),
}
#: The budget of :data:`RECIPE_ROWS`: architecture, epochs, AE warm-up epochs, K-means starts of AE + K-means.
RECIPE_ROW_BUDGET = {"architecture": "conv", "epochs": 10, "warmup_epochs": 6, "kmeans_n_init": 500}


def run_recipe_row(experiment: str, data: ClusteringData, *, profile: str, seeds: Sequence[int],
                   device: str = "cpu", results_dir=None, progress: bool = True, budget: dict | None = None
                   ) -> RunResult:
    """Train one row of :data:`RECIPE_ROWS` per seed on ``data``'s training split and score its test split.

    ``budget``: overrides of :data:`RECIPE_ROW_BUDGET` (the build's small run). No labels choose
    anything: AE + K-means keeps its lowest-inertia start, the recipes their last epoch. The record
    (``<experiment>.json``) holds per seed the test scores of :func:`osa_lib.metrics.clustering_scores`
    (fractions) and, for the recipes, ``clusters_used`` (distinct predicted clusters / K).
    """
    check_profile(profile)
    if experiment not in RECIPE_ROWS:
        raise ValueError(f"unknown recipe row {experiment!r}; use one of {sorted(RECIPE_ROWS)}")
    unknown = set(budget or {}) - set(RECIPE_ROW_BUDGET)
    if unknown:
        raise ValueError(f"unknown budget keys {sorted(unknown)}; use {sorted(RECIPE_ROW_BUDGET)}")
    budget = {**RECIPE_ROW_BUDGET, **(budget or {})}
    _, n_clusters, recipe = RECIPE_ROWS[experiment]
    runs, start = [], time.perf_counter()
    for seed in tqdm(seeds, desc=experiment, disable=not progress, leave=False):
        if recipe is None:
            model = AEKMeans(n_clusters, architecture=budget["architecture"], epochs=budget["epochs"],
                             kmeans_n_init=budget["kmeans_n_init"], kmeans_standardize=True,
                             random_state=int(seed), device=device, progress=False)
        else:
            model = _ae_acrbm(n_clusters, epochs=budget["epochs"], warmup_epochs=budget["warmup_epochs"],
                              recipe=recipe, seed=int(seed), device=device, architecture=budget["architecture"])
        model.fit(data.X_train)
        pred = model.predict(data.X_test)
        scores = clustering_scores(data.y_test, pred, n_clusters=n_clusters)
        if recipe is not None:
            scores["clusters_used"] = float(len(np.unique(pred)) / n_clusters)
        runs.append(scores)
    params = {k: v for k, v in model.get_params().items()
              if k not in ("random_state", "device", "progress", "checkpoint", "checkpoint_every")}
    params.update({"recipe": recipe, "n_train": len(data.X_train), "n_test": len(data.X_test),
                   "evaluated_on": "test split", "mapping": "majority (accuracy_majority), one-to-one "
                   "(accuracy_hungarian, 10 clusters)", "selection": "none by labels: AE + K-means keeps the "
                   "lowest-inertia start on training codes; a recipe keeps its last epoch"})
    record = make_record(experiment=experiment, dataset=data.dataset, profile=profile, params=params, seeds=seeds,
                         runs=runs, n_parameters=model.n_parameters_, wall_time_s=time.perf_counter() - start,
                         device=device, extra={"data": data.provenance}, results_dir=results_dir)
    return RunResult(record)


def recipe_table(record: dict):
    """The search record as a DataFrame: one row per (clusters, recipe), validation scores in percent."""
    import pandas as pd

    rows = {}
    for metric, m in record["metrics"].items():
        k, name, what = metric.split("/")
        row = rows.setdefault((int(k), name), {"clusters": int(k), "recipe": name})
        if what == "time_s":
            row["CPU time s (mean)"] = m["mean"]
        else:
            row[f"{what} %"] = 100 * m["mean"]
            if what == "accuracy_majority":
                row["accuracy_majority std"] = 100 * m["std"]
                row["per seed %"] = ", ".join(f"{100 * v:.1f}" for v in m["per_seed"])
    table = pd.DataFrame(list(rows.values()))
    return table.sort_values(["clusters", "accuracy_majority %"], ascending=[True, False]).reset_index(drop=True)


def recipe_table_for_page(record: dict):
    """The search record as the page shows it: clusters, the recipe in words (:func:`recipe_label`),
    validation accuracy (majority) with its standard deviation over seeds, NMI."""
    table = recipe_table(record)
    table["recipe"] = table["recipe"].map(recipe_label)
    columns = {"clusters": "clusters", "recipe": "recipe (our ablation)", "accuracy_majority %": "validation accuracy %",
               "accuracy_majority std": "std", "nmi %": "NMI %"}
    return table[[c for c in columns if c in table.columns]].rename(columns=columns)


def best_recipe(record: dict, n_clusters: int) -> str:
    """The recipe with the highest mean validation accuracy (majority) for ``n_clusters``."""
    table = recipe_table(record)
    table = table[(table["clusters"] == n_clusters) & ~table["recipe"].str.startswith("ae_kmeans")]
    return str(table.iloc[0]["recipe"])
