"""Runner of the AE chapter: Table 1's AE rows on the paper's protocol, and our recipes as labelled ablations.

* :func:`run_paper_protocol` runs (or resumes) the per-(row, seed) jobs of
  :mod:`osa_lib.book.ae_jobs` and gathers each row's record: the paper's protocol as
  printed (one stage, dense AE, Table 3's optimiser and 500 epochs in the ``paper``
  profile).
* :func:`run_recipe_search`: recipes of ours for the ACRBM head (warm-up, batch-normalised
  head input, K-means-initialised head, frozen AE) on a validation split carved from the
  training set. They are ablations, shown beside the paper's protocol, never in its place.
* Tables and figures of the chapter: :func:`parameter_table`, :func:`accuracy_curves`,
  :func:`plot_accuracy_vs_epoch`, :func:`budget_table`, :func:`kmeans_readings_table`.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Callable, Mapping, Sequence

import numpy as np
from tqdm import tqdm

from osa_lib.book.ae_jobs import EXPERIMENTS, KMEANS_READINGS, gather_record, job_states, paper_jobs, run_jobs
from osa_lib.book.profiles import check_profile, profile_settings
from osa_lib.book.records import RunResult, make_record, read_record, record_path, write_record
from osa_lib.clustering.ae_estimators import AEACRBM, AEKMeans
from osa_lib.clustering.autoencoder import TABLE3_BETA1, TABLE3_SIZES, parameter_counts
from osa_lib.data import ClusteringData
from osa_lib.data.splits import train_validation_split
from osa_lib.metrics import clustering_scores

#: What each profile runs. ``paper``: the paper's data sizes and Table 3 (500 epochs, 500
#: K-means starts, 5 seeds); ``ci``: the same jobs on subsets, in well under a minute.
AE_PROFILES = {
    "paper": dict(n_train=None, n_test=None, seeds=(0, 1, 2, 3, 4), epochs=500, eval_every=10,
                  kmeans_n_init=500, search_n_fit=20_000, search_n_val=5_000, search_seeds=(0, 1),
                  search_warmup=5, search_finetune=3),
    "ci": dict(n_train=10_000, n_test=2_000, seeds=(0,), epochs=5, eval_every=1, kmeans_n_init=20,
               search_n_fit=5_000, search_n_val=2_000, search_seeds=(0,), search_warmup=3, search_finetune=1),
}

#: Table 1's AE rows and their labels.
ROW_LABELS = {"ae_kmeans": "AE + K-means", "ae_acrbm_10": "AE + ACRBM (10)", "ae_acrbm_30": "AE + ACRBM (30)"}


def ae_settings(profile: str, **overrides) -> dict:
    """The settings of ``profile`` with any non-None ``overrides`` (unknown names raise ValueError)."""
    settings = profile_settings(AE_PROFILES, profile, overrides, sequences=("seeds", "search_seeds"))
    for key in ("seeds", "search_seeds"):
        settings[key] = tuple(int(v) for v in settings[key])
    return settings


def row_text(record: dict | None, metric: str = "accuracy_majority", planned_epochs: int | None = None) -> str:
    """``"61.23 ± 1.05 % (5 seeds, 500 of 500 epochs)"`` from a row's record; ``"not run yet"`` without one."""
    from osa_lib.book.records import NOT_RUN

    if record is None:
        return NOT_RUN
    m = record["metrics"][metric]
    epochs = record.get("epochs_per_seed") or [record["params"]["epochs"]]
    planned = planned_epochs or record["params"]["epochs"]
    ran = f"{min(epochs)}" if min(epochs) == max(epochs) else f"{min(epochs)}–{max(epochs)}"
    n = len(record["seeds"])
    return (f"{100 * m['mean']:.2f} ± {100 * m['std']:.2f} % ({n} seed{'s' if n != 1 else ''}, "
            f"{ran} of {planned} epochs)")


def answer_sentence(paper_records: Mapping[str, dict | None], paper: Mapping[str, float | None],
                    planned_epochs: int) -> str:
    """The chapter's answer in one paragraph, from the rows' paper-profile records (Markdown)."""
    done = {row: rec for row, rec in paper_records.items() if rec is not None}
    if not done:
        return "No paper-profile seed has finished yet: there is no answer yet."

    def mean(row, metric="accuracy_majority"):
        return 100 * done[row]["metrics"][metric]["mean"]

    parts = []
    for row, rec in done.items():
        epochs = min(rec.get("epochs_per_seed") or [rec["params"]["epochs"]])
        metric = "accuracy_majority_best_of_inits" if row == "ae_kmeans" else "accuracy_majority"
        gap = mean(row, metric) - paper[row] if paper.get(row) is not None else None
        text = f"{ROW_LABELS[row]} ends {abs(gap):.1f} points {'below' if gap < 0 else 'above'} the paper" \
            if gap is not None else f"{ROW_LABELS[row]} has no paper number to compare with"
        if epochs < planned_epochs:
            text += f" after {epochs} of {planned_epochs} epochs (not tested at the paper's budget)"
        n = len(rec["seeds"])
        parts.append(text + f" ({n} seed{'s' if n != 1 else ''})")
    sentence = "; ".join(parts) + "."
    if "ae_kmeans" in done and "ae_acrbm_10" in done:
        acrbm, km, km_best = mean("ae_acrbm_10"), mean("ae_kmeans"), mean("ae_kmeans", "accuracy_majority_best_of_inits")
        verdict = "beats" if acrbm > km_best else "does not beat"
        sentence += (f" The headline comparison: AE + ACRBM (10) at {acrbm:.2f} % {verdict} AE + K-means at "
                     f"{km_best:.2f} % with the paper's selection ({km:.2f} % label-free).")
    return sentence


def job_status_table(jobs: Mapping[str, list], planned_epochs: int, planned_seeds=AE_PROFILES["paper"]["seeds"]):
    """One row per AE row: seeds finished, seeds stopped before ``planned_epochs`` (with the epochs they
    reached), planned seeds without a job, and training minutes per finished seed. A committed job that
    is not done is not running: the book reads committed files, so it is "stopped"."""
    import pandas as pd

    rows = []
    for row, states in jobs.items():
        done = [s for s in states if s["status"] == "done"]
        stopped = [s for s in states if s["status"] != "done"]
        started = {s["seed"] for s in states}
        done_text = ", ".join(str(s["seed"]) for s in done) or "none"
        short = sorted({s["epochs_done"] for s in done if s.get("epochs_done") not in (None, planned_epochs)})
        if short:
            done_text += f" ({', '.join(str(e) for e in short)} epochs)"
        device = done[0].get("device") if done else (stopped[0].get("device") if stopped else None)
        rows.append({"row": ROW_LABELS.get(row, row),
                     f"finished ({planned_epochs} epochs)": done_text,
                     "stopped (epochs reached)": ", ".join(f"{s['seed']} ({s['epochs_done']})" for s in stopped)
                     or "none",
                     "not started": ", ".join(str(s) for s in planned_seeds if s not in started) or "none",
                     "minutes per finished seed": ", ".join(f"{s['train_time_s'] / 60:.0f}" for s in done) or "—",
                     "device": device or "—"})
    return pd.DataFrame(rows)


#: The ablation records of our recipes (convolutional AE, 10 epochs): experiment -> what it is.
ABLATION_ROWS = {
    "ae_kmeans_conv_10ep": "AE + K-means, standardised h_AE (conv AE)",
    "ae_acrbm_10_recipe_conv_10ep": "AE + ACRBM (10): warm-up, then joint with λ = 0.1 on batch-normalised h_AE",
    "ae_acrbm_30_frozen_kmeans_head_conv_10ep": "AE + ACRBM (30): K-means-initialised head on a frozen AE",
}


def ablation_table(results_dir, dataset: str = "mnist"):
    """Our recipe rows (labelled ablations, never Table 1's rows): accuracy, seeds, epochs, architecture."""
    import pandas as pd

    from osa_lib.book.records import NOT_RUN, load_record

    rows = []
    for experiment, label in ABLATION_ROWS.items():
        rec = load_record(results_dir, "paper", dataset, experiment)
        rows.append({"ablation (not the paper's protocol)": label,
                     "accuracy % (majority)": NOT_RUN if rec is None else row_text(rec),
                     "architecture": "—" if rec is None else rec["params"].get("architecture", "conv")})
    return pd.DataFrame(rows)


def run_or_read(results_dir, profile: str, dataset: str, experiment: str, run: Callable[[], RunResult], *,
                rerun: bool | None = None) -> dict:
    """The record of ``experiment``: run it (``run()``) or read the committed one.

    The one policy of the book: the ``ci`` profile always runs (the build checks the code);
    the ``paper`` profile reads its committed record when there is one, because it costs
    far more than a build (``rerun=True`` forces a run, ``rerun=False`` forbids one).
    """
    path = record_path(results_dir, profile, dataset, experiment)
    if rerun is None:
        rerun = profile == "ci" or not path.exists()
    if rerun:
        return run().record
    if not path.exists():
        raise FileNotFoundError(f"no record at {path} and rerun=False; run the chapter with rerun=True")
    return read_record(path)


def run_paper_protocol(dataset: str, *, profile: str, results_dir, data_dir=None, seeds=None, epochs=None,
                       eval_every=None, kmeans_n_init=None, n_train=None, n_test=None, device: str = "cpu",
                       architecture: str = "dense", budget_minutes: float | None = None,
                       n_workers: int = 1, log: bool = False) -> dict[str, RunResult]:
    """Run (or resume) every job of Table 1's AE rows, then write each row's record from its finished seeds.

    ``budget_minutes=0`` runs nothing and only gathers (the ``paper`` profile's jobs run
    for hours: ``make paper-ae``); None runs every job to the end. Returns, per row, a
    :class:`RunResult` whose ``record`` is None while no seed has finished and whose
    ``outputs["jobs"]`` holds the job files (done or running).
    """
    settings = ae_settings(profile, seeds=seeds, epochs=epochs, eval_every=eval_every, kmeans_n_init=kmeans_n_init,
                           n_train=n_train, n_test=n_test)
    jobs = paper_jobs(EXPERIMENTS, settings["seeds"], dataset=dataset, profile=profile, epochs=settings["epochs"],
                      architecture=architecture, n_train=settings["n_train"], n_test=settings["n_test"],
                      eval_every=settings["eval_every"], device=device, kmeans_n_init=settings["kmeans_n_init"])
    if budget_minutes is None or budget_minutes > 0:
        run_jobs(jobs, results_dir, data_dir=data_dir, n_workers=n_workers, budget_minutes=budget_minutes, log=log)
    out = {}
    for experiment in EXPERIMENTS:
        record = gather_record(results_dir, profile, dataset, experiment, seeds=settings["seeds"])
        if record is not None:
            write_record(record, results_dir)
        out[experiment] = RunResult(record, outputs={"jobs": job_states(results_dir, profile, dataset, experiment,
                                                                        settings["seeds"])})
    return out


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

def recipe_params(name: str) -> dict:
    """:class:`AEACRBM` keyword arguments of a recipe (without ``from_scratch``)."""
    if name not in RECIPES:
        raise ValueError(f"unknown recipe {name!r}; known: {sorted(RECIPES)}")
    return {k: v for k, v in RECIPES[name].items() if k not in ("from_scratch", "own_warmup")}


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
    all ``warmup_epochs + finetune_epochs`` epochs from scratch instead, and ``own_warmup``
    recipes train their own warm-up with their own settings). Also scores
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


# ----------------------------------------------------------------------------- tables and figures

def parameter_table():
    """Parameter counts of each AE row: the paper's, the dense reading (ours) and the conv ablation."""
    import pandas as pd

    from osa_lib.book.tables import paper_results

    paper = paper_results()["table1"]["rows"]
    dense, conv = parameter_counts("dense"), parameter_counts("conv")
    rows = []
    for name in TABLE3_SIZES:
        enc, lat, dec = TABLE3_SIZES[name]
        rows.append({"row": ROW_LABELS[name], "encoder / latent / decoder (Table 3)": f"{enc} / {lat} / {dec}",
                     "paper": paper.get(name, {}).get("n_parameters", "—"), "dense (ours, the paper's)": f"{dense[name]:,}",
                     "conv, 16 channels (ablation)": f"{conv[name]:,}"})
    return pd.DataFrame(rows)


def parameter_gaps() -> dict[str, tuple[float, float]]:
    """Per architecture, the smallest and largest relative gap (percent) to Table 1's "+200K"-style counts."""
    import re

    from osa_lib.book.tables import paper_results

    paper = {name: float(re.sub(r"[^0-9.]", "", row["n_parameters"])) * 1000
             for name, row in paper_results()["table1"]["rows"].items() if name in TABLE3_SIZES}
    out = {}
    for architecture in ("dense", "conv"):
        counts = parameter_counts(architecture)
        gaps = [100 * abs(counts[name] - paper[name]) / paper[name] for name in TABLE3_SIZES]
        out[architecture] = (min(gaps), max(gaps))
    return out


def accuracy_curves(record_or_jobs, key: str = "eval_accuracy_majority"):
    """Monitored test accuracy per seed: DataFrame, index = epoch, one column per seed (percent; NaN = not reached).

    Takes a row's record (its ``curves``) or a list of job files.
    """
    import pandas as pd

    if isinstance(record_or_jobs, Mapping):
        curves = record_or_jobs.get("curves", {})
    else:
        curves = {str(s["seed"]): s["curve"] for s in record_or_jobs}
    series = {f"seed {seed}": pd.Series({c["epoch"]: 100 * c[key] for c in curve if key in c})
              for seed, curve in curves.items()}
    return pd.DataFrame(series).sort_index()


def plot_accuracy_vs_epoch(curves: Mapping[str, object], paper: Mapping[str, float | None], *, title_suffix=""):
    """One panel per row: mean ± std over seeds of the monitored test accuracy, the paper's number as a line.

    ``curves``: row -> :func:`accuracy_curves` DataFrame; ``paper``: row -> percent (or None).
    """
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(curves), figsize=(3.6 * len(curves), 3.4), sharey=True, squeeze=False)
    for ax, (row, df) in zip(axes[0], curves.items()):
        if df.empty:
            ax.text(0.5, 0.5, "not run yet", ha="center", va="center", transform=ax.transAxes)
        else:
            mean, std, n = df.mean(axis=1), df.std(axis=1).fillna(0.0), df.notna().sum(axis=1)
            ax.plot(df.index, mean, color="C0", lw=1.8, label="ours, mean over seeds")
            ax.fill_between(df.index, mean - std, mean + std, color="C0", alpha=0.25, lw=0, label="± 1 std")
            ax.text(0.98, 0.03, f"seeds per point: {n.min()}–{n.max()}", ha="right", va="bottom",
                    transform=ax.transAxes, fontsize=9)
        if paper.get(row) is not None:
            ax.axhline(paper[row], color="C3", ls="--", lw=1.2, label="paper (Table 1)")
        ax.set(title=ROW_LABELS.get(row, row) + title_suffix, xlabel="epoch")
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("test accuracy % (majority)")
    axes[0][0].legend(fontsize=9, loc="lower left")
    fig.tight_layout()
    return fig


def stops_improving(mean_curve, tolerance: float = 1.0):
    """The first monitored epoch after which the mean accuracy never rises more than ``tolerance`` points.

    ``mean_curve``: pandas Series (epoch -> percent). Returns ``(epoch, still_rising)``;
    ``still_rising`` is True when that epoch is the last one measured.
    """
    values = mean_curve.dropna()
    if values.empty:
        raise ValueError("stops_improving needs at least one measured epoch")
    later_max = values[::-1].cummax()[::-1]            # best accuracy from each epoch on
    settled = values.index[(later_max - values) <= tolerance]
    epoch = int(settled[0])
    return epoch, epoch == int(values.index[-1])


def budget_table(curves: Mapping[str, object], paper: Mapping[str, float | None], planned_epochs: int,
                 tolerance: float = 1.0):
    """The budget question per row: where the mean accuracy stops improving, and where it ends.

    Columns: seeds, last epoch reached, mean accuracy there, best mean accuracy (epoch), the
    epoch after which it never gains more than ``tolerance`` points, the paper's number.
    """
    import pandas as pd

    rows = []
    for row, df in curves.items():
        if df.empty:
            rows.append({"row": ROW_LABELS.get(row, row), "seeds": 0, "last epoch": "not run yet"})
            continue
        complete = df.dropna(axis=0, how="any")
        mean = (complete if not complete.empty else df).mean(axis=1)
        epoch, rising = stops_improving(mean, tolerance)
        rows.append({"row": ROW_LABELS.get(row, row), "seeds": df.shape[1],
                     "last epoch (of %d)" % planned_epochs: int(mean.index[-1]),
                     "accuracy % there": round(float(mean.iloc[-1]), 2),
                     "best % (epoch)": f"{mean.max():.2f} ({int(mean.idxmax())})",
                     f"stops improving (±{tolerance:g} pt) at epoch": f"{epoch}" + (" (still rising)" if rising else ""),
                     "paper %": paper.get(row)})
    return pd.DataFrame(rows)


def budget_sentence(curves: Mapping[str, object], planned_epochs: int, tolerance: float = 1.0) -> str:
    """The budget question answered in words, row by row, from the mean curves (Markdown)."""
    parts = []
    for row, df in curves.items():
        if df.empty:
            parts.append(f"{ROW_LABELS.get(row, row)}: not run yet")
            continue
        mean = df.mean(axis=1)
        epoch, rising = stops_improving(mean, tolerance)
        last = int(mean.index[-1])
        reached = f"{last} of {planned_epochs} epochs reached"
        if rising:
            parts.append(f"{ROW_LABELS.get(row, row)} was still gaining at epoch {last} ({reached})")
        else:
            parts.append(f"{ROW_LABELS.get(row, row)} gains no more than {tolerance:g} point after epoch {epoch} "
                         f"({mean.loc[epoch]:.1f} % then, {mean.iloc[-1]:.1f} % at epoch {last}; {reached})")
    return "; ".join(parts) + "."


def kmeans_readings_table(record: dict):
    """Every reading of "K-means on the AE latent": label-free start, the paper's best of the starts, training evidence."""
    import pandas as pd

    rows = []
    for reading in KMEANS_READINGS:
        m = record["readings"][reading]

        def pct(metric):
            return f"{100 * m[metric]['mean']:.2f} ± {100 * m[metric]['std']:.2f}"

        rows.append({"K-means on": reading.replace("_", ", ").replace("latent", "h_AE").replace("head", "10-unit head"),
                     "train accuracy % (label-free)": pct("train_accuracy_majority"),
                     "test % (label-free start)": pct("accuracy_majority"),
                     "test % (best of starts, paper)": pct("accuracy_majority_best_of_inits"),
                     "chosen": "yes" if reading == record["params"]["kmeans_reading"] else ""})
    return pd.DataFrame(rows)


def per_seed_table(records: Sequence[dict], metrics: Sequence[str] | None = None):
    """One row per (experiment, metric): the value of every seed, mean and std, in percent.

    ``metrics``: which to show, in that order (those a record lacks are skipped); None = all.
    """
    import pandas as pd

    rows = []
    for rec in records:
        names = list(rec["metrics"]) if metrics is None else [m for m in metrics if m in rec["metrics"]]
        for metric in names:
            m = rec["metrics"][metric]
            rows.append({"experiment": rec["experiment"], "metric": metric,
                         **{f"seed {s}": round(100 * v, 2) for s, v in zip(rec["seeds"], m["per_seed"])},
                         "mean": round(100 * m["mean"], 2), "std": round(100 * m["std"], 2)})
    return pd.DataFrame(rows).set_index(["experiment", "metric"])


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
