"""Runners for Table 1's AE rows (AE + K-means, AE + ACRBM 10 / 30) and their recipe search.

The chapter ``notebooks/ae_acrbm.ipynb`` calls these; every number it shows comes
from here. Records follow SPEC §5 (:func:`osa_lib.records.make_record`) and add, per
seed, the training curves (``history``).
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Sequence

import numpy as np
from tqdm import tqdm

from osa_lib.clustering.ae_estimators import AEACRBM, AEKMeans
from osa_lib.clustering.autoencoder import TABLE3_BETA1, TABLE3_SIZES, parameter_counts
from osa_lib.data import ClusteringData
from osa_lib.metrics import cluster_accuracy, clustering_scores
from osa_lib.book.records import make_record, write_record
from osa_lib.book.profiles import check_profile, profile_settings

#: What each profile runs. ``paper``: the paper's data sizes and Table 3's optimiser
#: (epochs cut from 500 to what 2 shared CPU cores allow in about 50 minutes);
#: ``ci``: the same code on subsets, executing in a few minutes.
AE_PROFILES = {
    "paper": dict(n_train=None, n_test=None, seeds=(0, 1, 2, 3, 4), epochs=10, warmup_epochs=6,
                  kmeans_n_init=500, kmeans_max_samples=10_000,
                  search_n_fit=20_000, search_n_val=5_000, search_seeds=(0, 1), search_warmup=5,
                  search_finetune=3),
    "ci": dict(n_train=15_000, n_test=2_000, seeds=(0, 1), epochs=5, warmup_epochs=4,
               kmeans_n_init=20, kmeans_max_samples=5_000,
               search_n_fit=5_000, search_n_val=2_000, search_seeds=(0,), search_warmup=3,
               search_finetune=1),
}


def ae_settings(profile: str, **overrides) -> dict:
    """The settings of ``profile`` with any non-None ``overrides`` (unknown names raise ValueError)."""
    settings = profile_settings(AE_PROFILES, profile, overrides, sequences=("seeds", "search_seeds"))
    for key in ("seeds", "search_seeds"):
        settings[key] = tuple(int(v) for v in settings[key])
    if settings["warmup_epochs"] >= settings["epochs"]:
        settings["warmup_epochs"] = max(0, settings["epochs"] - 1)
    return settings


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
    # Round 2 (after Table 1's runs, to locate the bottleneck): a bigger ACRBM batch and weight,
    # and warm-ups of their own with BCE or with a faster optimiser than Table 3's.
    "joint_random_bn_lam1_batch1024": dict(finetune="joint", lam=1.0, head_init="random", standardize=True,
                                           batch_size=1024),
    "joint_random_bn_lam0.1_batch1024": dict(finetune="joint", lam=0.1, head_init="random", standardize=True,
                                             batch_size=1024),
    "bce_warmup_joint_random_bn_lam0.1": dict(own_warmup=True, reconstruction="bce", finetune="joint", lam=0.1,
                                              head_init="random", standardize=True),
    "bce_warmup_kmeans_head_no_training": dict(own_warmup=True, reconstruction="bce", finetune="head", lam=0.0,
                                               head_init="kmeans", standardize=True),
    "adam0.9_lr3e-3_joint_random_bn_lam0.1": dict(own_warmup=True, lr=3e-3, betas=(0.9, 0.999), finetune="joint",
                                                  lam=0.1, head_init="random", standardize=True),
    "adam0.9_lr3e-3_kmeans_head_no_training": dict(own_warmup=True, lr=3e-3, betas=(0.9, 0.999), finetune="head",
                                                   lam=0.0, head_init="kmeans", standardize=True),
}

#: Recipes tried per number of clusters and profile (the 30-cluster search is shorter).
SEARCH_PLAN = {
    "paper": {10: list(RECIPES), 30: ["frozen_head_random", "frozen_head_random_bn", "kmeans_head_no_training",
                                       "frozen_head_kmeans_bn", "joint_random_bn_lam0.1", "joint_kmeans_bn_lam0.1",
                                       "joint_kmeans_bn_lam1"]},
    "ci": {10: ["scratch_joint_lam1", "frozen_head_random", "kmeans_head_no_training", "joint_random_bn_lam0.1"],
           30: ["kmeans_head_no_training", "frozen_head_kmeans_bn"]},
}

#: Round 2 of the search (experiment ``ae_acrbm_recipe_search_round2``): 10 clusters, run after
#: Table 1's runs to test what limits them. The branch recipes reuse round 1's warm-up
#: (same seeds, same split), so their numbers compare with round 1's directly.
SEARCH_PLAN_ROUND2 = {10: ["kmeans_head_no_training", "joint_random_bn_lam0.1", "joint_random_bn_lam1_batch1024",
                           "joint_random_bn_lam0.1_batch1024", "bce_warmup_kmeans_head_no_training",
                           "bce_warmup_joint_random_bn_lam0.1", "adam0.9_lr3e-3_kmeans_head_no_training",
                           "adam0.9_lr3e-3_joint_random_bn_lam0.1"]}

#: The recipe the Table 1 runs use per number of clusters: the best mean validation
#: accuracy in the paper-profile search record
#: (``results/paper/mnist/ae_acrbm_recipe_search.json``; the chapter shows the evidence
#: and checks that :func:`best_recipe` of that record still agrees).
CHOSEN_RECIPES = {10: "joint_random_bn_lam0.1", 30: "frozen_head_kmeans_bn"}


def recipe_params(name: str) -> dict:
    """:class:`AEACRBM` keyword arguments of a recipe (without ``from_scratch``)."""
    if name not in RECIPES:
        raise ValueError(f"unknown recipe {name!r}; known: {sorted(RECIPES)}")
    return {k: v for k, v in RECIPES[name].items() if k not in ("from_scratch", "own_warmup")}


def _ae_acrbm(n_clusters: int, *, epochs: int, warmup_epochs: int, recipe: str, seed: int, device: str,
              checkpoint=None, progress: bool = False) -> AEACRBM:
    params = recipe_params(recipe)
    if RECIPES[recipe].get("from_scratch"):
        warmup_epochs = 0
    return AEACRBM(n_clusters, epochs=epochs, warmup_epochs=warmup_epochs, random_state=seed, device=device,
                   checkpoint=checkpoint, progress=progress, **params)


def best_of_inits(model: AEKMeans, X, y) -> dict:
    """The paper's protocol: of all K-means starts, the best test accuracy (peeks at ``y``)."""
    labels = model.predict_all_inits(X)                                   # (n_init, n)
    maj = np.array([cluster_accuracy(y, lab, "majority") for lab in labels])
    hun = np.array([cluster_accuracy(y, lab, "hungarian") for lab in labels])
    return {"accuracy_majority_best_of_inits": float(maj.max()),
            "accuracy_hungarian_best_of_inits": float(hun.max()),
            "accuracy_majority_init_median": float(np.median(maj)),
            "best_init_by_accuracy": int(maj.argmax()), "best_init_by_inertia": int(model.best_init_)}


def _checkpoint(checkpoint_dir, profile, dataset, experiment, seed):
    if checkpoint_dir is None:
        return None
    return Path(checkpoint_dir) / profile / dataset / f"{experiment}_seed{seed}.pt"


def run_ae_experiment(experiment: str, data: ClusteringData, *, seeds: Sequence[int], profile: str, epochs: int,
                      warmup_epochs: int = 0, recipe: str | None = None, kmeans_n_init: int = 10,
                      kmeans_max_samples: int | None = 10_000, device: str = "cpu", results_dir=None,
                      checkpoint_dir=None, progress: bool = True) -> dict:
    """Train one Table 1 AE row for every seed, score it on the test rows, write the record.

    ``experiment`` is ``ae_kmeans``, ``ae_acrbm_10`` or ``ae_acrbm_30``. The test set
    also monitors training (accuracy per epoch in the record's ``history``; labels
    never reach the weights). Returns ``{"record", "models"}``.
    """
    check_profile(profile)
    if experiment not in TABLE3_SIZES:
        raise ValueError(f"unknown experiment {experiment!r}; use one of {sorted(TABLE3_SIZES)}")
    runs, models, histories, times = [], [], [], []
    start = time.perf_counter()
    for seed in tqdm(list(seeds), desc=experiment, disable=not progress, leave=False):
        t0 = time.perf_counter()
        ckpt = _checkpoint(checkpoint_dir, profile, data.dataset, experiment, seed)
        if experiment == "ae_kmeans":
            model = AEKMeans(10, epochs=epochs, kmeans_n_init=kmeans_n_init, kmeans_max_samples=kmeans_max_samples,
                             random_state=int(seed), device=device, checkpoint=ckpt, progress=progress)
            n_clusters = 10
        else:
            n_clusters = int(experiment.rsplit("_", 1)[1])
            recipe = CHOSEN_RECIPES[n_clusters] if recipe is None else recipe
            model = _ae_acrbm(n_clusters, epochs=epochs, warmup_epochs=warmup_epochs, recipe=recipe,
                              seed=int(seed), device=device, checkpoint=ckpt, progress=progress)
        model.fit(data.X_train, eval_set=(data.X_test, data.y_test))
        pred = model.predict(data.X_test)
        scores = clustering_scores(data.y_test, pred, n_clusters=n_clusters)
        if experiment == "ae_kmeans":
            extra = best_of_inits(model, data.X_test, data.y_test)
            scores["accuracy_majority_best_of_inits"] = extra["accuracy_majority_best_of_inits"]
            scores["accuracy_hungarian_best_of_inits"] = extra["accuracy_hungarian_best_of_inits"]
            scores["accuracy_majority_init_median"] = extra["accuracy_majority_init_median"]
        else:
            scores["clusters_used"] = float(len(np.unique(pred)) / n_clusters)
        runs.append(scores)
        models.append(model)
        histories.append(model.history_)
        times.append(time.perf_counter() - t0)
    template = models[0]
    params = {k: (list(v) if isinstance(v, tuple) else v) for k, v in template.get_params().items()
              if k not in ("progress", "random_state", "device", "checkpoint")}
    params.update({"betas": list(template._betas()), "sizes (encoder, latent, decoder)": list(template._sizes()),
                   "reconstruction": f"{template.reconstruction} (mean per pixel)",
                   "n_train": len(data.X_train), "n_test": len(data.X_test), "evaluated_on": "test split",
                   "mapping": "majority (accuracy_majority), one-to-one (accuracy_hungarian)"})
    if experiment == "ae_kmeans":
        params["selection"] = ("accuracy_*: K-means start with the lowest inertia on training latents (label-free); "
                               "accuracy_*_best_of_inits: the start with the best test accuracy (the paper's "
                               "protocol, peeks at test labels)")
    else:
        params["recipe"] = recipe
    record = make_record(experiment=experiment, dataset=data.dataset, profile=profile, params=params, seeds=seeds,
                         runs=runs, n_parameters=template.n_parameters_, wall_time_s=time.perf_counter() - start,
                         device=device, extra={"data": data.provenance, "history": histories,
                                               "wall_time_per_seed_s": times})
    if results_dir is not None:
        write_record(record, results_dir)
    return {"record": record, "models": models}


def split_train_validation(data: ClusteringData, n_fit: int, n_val: int, seed: int = 0):
    """Carve a fit split and a validation split, disjoint, from the TRAINING rows only."""
    n = len(data.X_train)
    if n_fit + n_val > n:
        raise ValueError(f"n_fit + n_val = {n_fit + n_val} exceeds the {n} training rows")
    order = np.random.default_rng(seed).permutation(n)
    fit, val = order[:n_fit], order[n_fit:n_fit + n_val]
    return (data.X_train[fit], data.y_train[fit]), (data.X_train[val], data.y_train[val])


def run_recipe_search(data: ClusteringData, *, profile: str, n_fit: int, n_val: int, seeds: Sequence[int],
                      warmup_epochs: int, finetune_epochs: int, plan: dict | None = None, device: str = "cpu",
                      results_dir=None, progress: bool = True, experiment: str = "ae_acrbm_recipe_search",
                      include_ae_kmeans: bool = True) -> dict:
    """Try every recipe of ``plan`` (default :data:`SEARCH_PLAN` of the profile) on a validation split.

    All data come from the training split: ``n_fit`` rows to train, ``n_val`` other
    rows to score (majority and Hungarian accuracy of ``argmax h_ACRBM``). For each
    seed and number of clusters one AE warm-up of ``warmup_epochs`` is trained and every
    recipe branches from it for ``finetune_epochs`` more (``scratch_*`` recipes train
    all ``warmup_epochs + finetune_epochs`` epochs from scratch instead, and ``own_warmup``
    recipes train their own warm-up with their own settings). Also scores
    AE + K-means (own AE, same epochs) with and without standardised latents.
    Metric names: ``<K>/<recipe>/accuracy_majority`` etc.
    """
    check_profile(profile)
    plan = SEARCH_PLAN[profile] if plan is None else plan
    (X_fit, _), (X_val, y_val) = split_train_validation(data, n_fit, n_val)
    total = warmup_epochs + finetune_epochs
    runs, curves = [], {}
    start = time.perf_counter()
    n_jobs = len(seeds) * (sum(len(v) for v in plan.values()) + len(plan) + int(include_ae_kmeans))
    bar = tqdm(total=n_jobs, desc="recipe search", disable=not progress, leave=False)
    for seed in seeds:
        run = {}
        for k, names in plan.items():
            t0 = time.perf_counter()
            warm = AEACRBM(k, epochs=warmup_epochs, warmup_epochs=warmup_epochs, standardize=True,
                           random_state=int(seed), device=device, progress=False)
            warm.fit(X_fit, eval_set=(X_val, y_val))
            warm_time = time.perf_counter() - t0
            bar.update()
            for name in names:
                t0 = time.perf_counter()
                model = _ae_acrbm(k, epochs=total, warmup_epochs=warmup_epochs, recipe=name, seed=int(seed),
                                  device=device)
                if RECIPES[name].get("from_scratch") or RECIPES[name].get("own_warmup"):
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
        km = AEKMeans(10, epochs=total, kmeans_n_init=10, kmeans_max_samples=min(n_fit, 10_000),
                      random_state=int(seed), device=device, progress=False).fit(X_fit)
        ae_time = time.perf_counter() - t0
        for standardize in (True, False):
            km.set_params(kmeans_standardize=standardize)
            km._finalize(X_fit)
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
                        "reconstruction": "mse", "conv_channels": [16, 16]},
              "selection_metric": "validation accuracy_majority"}
    record = make_record(experiment=experiment, dataset=data.dataset, profile=profile, params=params,
                         seeds=seeds, runs=runs, n_parameters=None, wall_time_s=time.perf_counter() - start,
                         device=device, extra={"data": data.provenance, "curves": curves})
    if results_dir is not None:
        write_record(record, results_dir)
    return record


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


def best_recipe(record: dict, n_clusters: int) -> str:
    """The recipe with the highest mean validation accuracy (majority) for ``n_clusters``."""
    table = recipe_table(record)
    table = table[(table["clusters"] == n_clusters) & ~table["recipe"].str.startswith("ae_kmeans")]
    return str(table.iloc[0]["recipe"])


def our_parameter_counts() -> dict[str, int]:
    """Our parameter counts per Table 1 AE row (the dense AE, the paper's)."""
    return parameter_counts("dense")


# ----------------------------------------------------------------------------- tables and figures

def parameter_table():
    """Our parameter count per AE row beside the paper's (read from ``paper_results.json``)."""
    import pandas as pd

    from osa_lib.book.tables import paper_results

    paper = paper_results()["table1"]["rows"]
    rows = []
    for name, count in our_parameter_counts().items():
        enc, lat, dec = TABLE3_SIZES[name]
        rows.append({"experiment": name, "encoder / latent / decoder": f"{enc} / {lat} / {dec}",
                     "params (paper)": paper.get(name, {}).get("n_parameters", "—"), "params (ours)": f"{count:,}"})
    return pd.DataFrame(rows)


def per_seed_table(records: Sequence[dict]):
    """One row per (experiment, metric): the value of every seed, mean and std, in percent."""
    import pandas as pd

    rows = []
    for rec in records:
        for metric, m in rec["metrics"].items():
            rows.append({"experiment": rec["experiment"], "metric": metric,
                         **{f"seed {s}": round(100 * v, 2) for s, v in zip(rec["seeds"], m["per_seed"])},
                         "mean": round(100 * m["mean"], 2), "std": round(100 * m["std"], 2)})
    return pd.DataFrame(rows).set_index(["experiment", "metric"])


def curve_array(record: dict, key: str) -> np.ndarray:
    """``history[key]`` of every seed as an array (n_seeds, n_epochs); NaN where not measured."""
    hist = record["history"]
    n = max(len(h) for h in hist)
    out = np.full((len(hist), n), np.nan)
    for i, h in enumerate(hist):
        for j, e in enumerate(h):
            v = e.get(key)
            out[i, j] = np.nan if v is None else v
    return out


def plot_training_curves(records: Sequence[dict]):
    """Training loss and test accuracy (majority) against epochs; thin lines: seeds, thick: mean."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(10, 3.0))
    for i, rec in enumerate(records):
        color = f"C{i}"
        epochs = np.arange(1, curve_array(rec, "loss").shape[1] + 1)
        for ax, key, scale in ((axes[0], "reconstruction", 1.0), (axes[1], "acrbm", 1.0),
                               (axes[2], "eval_accuracy_majority", 100.0)):
            arr = curve_array(rec, key) * scale
            if np.all(np.isnan(arr)):
                continue
            for row in arr:
                ax.plot(epochs, row, color=color, lw=0.6, alpha=0.35)
            ax.plot(epochs, np.nanmean(arr, 0), color=color, lw=1.8, label=rec["experiment"])
    axes[0].set(xlabel="epoch", ylabel="reconstruction MSE (train)", yscale="log")
    axes[1].set(xlabel="epoch", ylabel="ACRBM loss eq 14 (train)")
    axes[2].set(xlabel="epoch", ylabel="test accuracy % (majority)")
    axes[2].legend(fontsize=7)
    fig.tight_layout()
    return fig


def plot_recipe_curves(record: dict, n_clusters: int = 10):
    """Validation accuracy (majority) against epochs for every recipe of ``n_clusters`` (mean over seeds)."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 3.2))
    prefix = f"{n_clusters}/"
    for i, (name, runs) in enumerate(sorted((k[len(prefix):], v) for k, v in record["curves"].items()
                                            if k.startswith(prefix))):
        n = max(len(r) for r in runs)
        arr = np.full((len(runs), n), np.nan)
        for j, r in enumerate(runs):
            arr[j, :len(r)] = [np.nan if v is None else v for v in r]
        ax.plot(np.arange(1, n + 1), 100 * np.nanmean(arr, 0), marker="o", ms=3,
                color=f"C{i % 10}", ls="-" if i < 10 else "--", label=name)
    ax.axvline(record["params"]["warmup_epochs"] + 0.5, color="grey", lw=0.8, ls=":")
    ax.set(xlabel="epoch", ylabel="validation accuracy % (majority)", title=f"{n_clusters} clusters")
    ax.legend(fontsize=6, loc="center left", bbox_to_anchor=(1.0, 0.5))
    fig.tight_layout()
    return fig
