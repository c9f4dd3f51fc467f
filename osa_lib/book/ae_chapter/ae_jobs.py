"""Table 1's AE rows as resumable per-(row, seed) jobs: the paper's protocol at the paper's budget.

A job trains one seed of one row for up to 500 epochs (Table 3), saving a checkpoint
every ``chunk_minutes`` and a progress file beside it, so that an interrupted run (a
killed process, a session that ends, a deadline) resumes where it stopped. Files::

    <results_dir>/<profile>/<dataset>/ae_jobs/<experiment>/seed<k>.pt    checkpoint (model, Adam, generator)
    <results_dir>/<profile>/<dataset>/ae_jobs/<experiment>/seed<k>.json  status, monitored curve, final scores
    <results_dir>/<profile>/<dataset>/ae_jobs/<experiment>/seed<k>.lock  who runs the job now (not committed)

One job, one runner: :func:`run_job` takes the job's lock (:class:`osa_lib.concurrency.JobLock`)
before it reads the checkpoint and keeps it until the job file is written; a second runner
started on the same job (another terminal, a Slurm requeue, a GPU beside a CPU) skips it and
says which runner holds it. Every file is written through a writer-unique temporary name.

:func:`run_jobs` runs the missing and unfinished jobs through joblib's process pool
(one job per worker, one thread per job), :func:`gather_record` turns whatever seeds
are done into the row's record. ``scripts/run_ae_jobs.py`` is the command line
(``make paper-ae``).

The paper's protocol, as printed (appendix B, Table 3), and every reading of it the book measured
are the estimators' presets (:mod:`osa_lib.clustering.ae_presets`, ``AEACRBM.from_reading``,
``AEKMeans.from_reading``): a job builds its estimator from the preset of its reading, with its
row's number of clusters and its own budget, seed and device laid over it.
"""
from __future__ import annotations

import datetime as _dt
import json
import logging
import os
import time
from dataclasses import MISSING, asdict, dataclass, fields
from pathlib import Path

import numpy as np

from osa_lib.book.ae_chapter.ae_scoring import (KMEANS_READINGS, chosen_kmeans_reading, cluster_portrait,  # noqa: F401
                                                kmeans_scores, reconstruction_mse)
from osa_lib.book.provenance.records import (REPOSITORY_RESULTS, cpu_capability, device_description, git_commit,
                                             git_state, job_file, jobs_folder, library_versions, make_record,
                                             read_job_files, summarize)
from osa_lib.clustering.ae_acrbm import AEACRBM
from osa_lib.clustering.ae_kmeans import AEKMeans
from osa_lib.clustering.ae_presets import AE_KMEANS_READINGS, PRETRAIN_EPOCHS, reading_overrides  # noqa: F401
from osa_lib.clustering.ae_presets import ACRBM_READINGS as READINGS
from osa_lib.clustering.autoencoder import TABLE3_SIZES
from osa_lib.concurrency import JobLock, describe_holder, write_text_atomically
from osa_lib.metrics import cluster_accuracy, clustering_scores
from osa_lib.train import EpochCallback
from osa_lib.validation import check_int

logger = logging.getLogger(__name__)

EXPERIMENTS = tuple(TABLE3_SIZES)   # ae_kmeans, ae_acrbm_10, ae_acrbm_30

#: Each Table 1 AE row: its estimator and its number of clusters (the protocol is the estimator's preset).
ROWS = {"ae_kmeans": (AEKMeans, 10), "ae_acrbm_10": (AEACRBM, 10), "ae_acrbm_30": (AEACRBM, 30)}

#: The readings of AE + ACRBM's rows (:data:`osa_lib.clustering.ae_presets.ACRBM_READINGS`, imported as
#: ``READINGS``) and of AE + K-means's (``KMEANS_AE_READINGS``), by the names the jobs and records use.
KMEANS_AE_READINGS = AE_KMEANS_READINGS
#: The readings screened in the second round (issue "A fair and finished AE comparison", item 2).
SECOND_SCREEN_READINGS = ("pretrain_acrbm", "lam1_3000", "lam1_10000", "sum_detached_input", "sum_glorot",
                          "beta1_0.9", "bce_sum")


def job_name(experiment: str, reading: str = "printed", tag: str = "") -> str:
    """Folder and record name of a row under one reading: ``ae_acrbm_10``, ``ae_acrbm_10_detached_screen``."""
    parts = [experiment] + ([reading] if reading != "printed" else []) + ([tag] if tag else [])
    return "_".join(parts)


def reading_params(experiment: str, reading: str) -> dict:
    """The estimator overrides of ``reading`` for ``experiment``; ValueError naming the allowed readings."""
    if experiment not in ROWS:
        raise ValueError(f"unknown experiment {experiment!r}; use one of {EXPERIMENTS}")
    return reading_overrides(ROWS[experiment][0].__name__, reading)


@dataclass(frozen=True)
class AEJob:
    """One seed of one Table 1 AE row. ``n_train``/``n_test`` None = the full splits."""

    experiment: str
    seed: int
    dataset: str = "mnist"
    profile: str = "paper"
    epochs: int = 500
    architecture: str = "dense"
    n_train: int | None = None
    n_test: int | None = None
    eval_every: int = 10
    device: str = "cpu"
    kmeans_n_init: int = 500
    reading: str = "printed"
    tag: str = ""

    def __post_init__(self):
        if self.experiment not in EXPERIMENTS:
            raise ValueError(f"unknown experiment {self.experiment!r}; use one of {EXPERIMENTS}")
        reading_params(self.experiment, self.reading)
        # The budget (epochs, eval_every, kmeans_n_init) and architecture are the estimator's parameters:
        # it checks them, here before the job queues, rather than a second copy of its rules.
        self.estimator().check_params()

    @property
    def name(self) -> str:
        return job_name(self.experiment, self.reading, self.tag)

    def folder(self, results_dir) -> Path:
        return jobs_folder(results_dir, self.profile, self.dataset, self.name)

    def checkpoint_path(self, results_dir) -> Path:
        return job_file(results_dir, self.profile, self.dataset, self.name, self.seed, ".pt")

    def result_path(self, results_dir) -> Path:
        return job_file(results_dir, self.profile, self.dataset, self.name, self.seed, ".json")

    def lock(self, results_dir) -> JobLock:
        """The lock a runner holds while it trains this job."""
        return JobLock(job_file(results_dir, self.profile, self.dataset, self.name, self.seed, ".lock"))

    def estimator(self, checkpoint=None):
        """The unfitted estimator of this job: its reading's preset, with the row's clusters and the job's budget."""
        cls, n_clusters = ROWS[self.experiment]
        budget = {"kmeans_n_init": self.kmeans_n_init} if cls is AEKMeans else {}
        return cls.from_reading(self.reading, n_clusters=n_clusters, architecture=self.architecture,
                                epochs=self.epochs, random_state=self.seed, device=self.device, progress=False,
                                checkpoint=checkpoint, eval_every=self.eval_every, checkpoint_every=10**9, **budget)

    def differences(self, stored: dict) -> dict:
        """``{field: (stored value, this job's value)}`` where a job file's ``job`` entry differs from this job
        (fields added after the file was written count at their defaults)."""
        stored = stored_job_fields(stored)
        return {name: (stored[name], value) for name, value in asdict(self).items() if stored[name] != value}

    def matches(self, stored: dict) -> bool:
        """True when a job file's ``job`` entry describes this job (fields added later count at their defaults)."""
        return not self.differences(stored)


def stored_job_fields(stored: dict) -> dict:
    """A job file's ``job`` entry with the fields added after it was written filled in at their defaults."""
    return {f.name: stored.get(f.name, None if f.default is MISSING else f.default) for f in fields(AEJob)}


def _describe_differences(differences: dict) -> str:
    return ", ".join(f"{name} {old!r} in the file, {new!r} asked" for name, (old, new) in differences.items())


#: Measured seconds per epoch of each row on one CPU thread (benchmarks/bench_autoencoder.py), for ordering.
_RELATIVE_COST = {"ae_kmeans": 1.0, "ae_acrbm_10": 1.0, "ae_acrbm_30": 2.7}


def paper_jobs(experiments=EXPERIMENTS, seeds=(0, 1, 2, 3, 4), **job_kwargs) -> list[AEJob]:
    """Every (experiment, seed) job, ordered so that every row gets seeds done at the same pace.

    Jobs run in order of ``(seed index + 0.5) x cost of the row``: the first seed of every
    row comes early, and a cut-short run leaves the cheap rows with more seeds.
    """
    jobs = [AEJob(experiment, int(seed), **job_kwargs) for seed in seeds for experiment in experiments]
    index = {int(s): i for i, s in enumerate(seeds)}
    return sorted(jobs, key=lambda j: (index[j.seed] + 0.5) * _RELATIVE_COST[j.experiment])


def read_job(job: AEJob, results_dir) -> dict | None:
    """The job's progress file, or None when it never started; ValueError when it is unreadable."""
    states = read_job_files(job.folder(results_dir), [job.seed], strict=True)
    return states[0] if states else None


def _write_json(path: Path, payload: dict) -> None:
    write_text_atomically(path, json.dumps(payload, indent=1))


def _curve(history: list[dict]) -> list[dict]:
    keep = ("epoch", "loss", "reconstruction", "acrbm", "time_s")
    return [{k: v for k, v in h.items() if k in keep or k.startswith(("eval_", "grad_"))}
            for h in history if any(k.startswith("eval_") for k in h)]


class Deadline(EpochCallback):
    """Stop a ``fit`` after the first epoch that ends later than ``deadline`` (``time.time()``);
    the estimator's checkpoint is saved then, and a later ``fit`` resumes there."""

    def __init__(self, deadline: float | None):
        self.deadline = deadline

    def should_stop(self, estimator) -> bool:
        return self.deadline is not None and time.time() > self.deadline


def complete_from_checkpoint(job: AEJob, results_dir, *, data_dir=None) -> dict | None:
    """Add what jobs of an older code version did not keep, from the checkpoint on disk.

    For a finished AE + ACRBM job: ``metrics["reconstruction_mse"]``, the cluster portrait
    (:func:`cluster_portrait`) and the curve's gradient norms (kept in the checkpoint's history).
    Returns the job file, updated when something was missing and the checkpoint exists.
    """
    from osa_lib.data import load_clustering_data

    state = read_job(job, results_dir)
    ckpt = job.checkpoint_path(results_dir)
    if state is None or state["status"] != "done" or "metrics" not in state or not ckpt.exists():
        return state
    missing_curve = bool(state["curve"]) and not any(k.startswith("grad_") for k in state["curve"][0])
    if "reconstruction_mse" in state["metrics"] and "confusion" in state and not missing_curve:
        return state
    data = load_clustering_data(job.dataset, data_dir, n_train=job.n_train, n_test=job.n_test)
    model = AEACRBM.load(ckpt)
    state["metrics"].setdefault("reconstruction_mse", reconstruction_mse(model, data.X_test))
    state.update(cluster_portrait(model, data.X_test, data.y_test))
    state["curve"] = _curve(model.history_)
    _write_json(job.result_path(results_dir), state)
    return state


def run_job(job: AEJob, results_dir, *, data_dir=None, deadline: float | None = None, chunk_minutes: float = 3.0,
            threads: int = 1) -> dict:
    """Train (or resume) one job until it is done or ``deadline`` (``time.time()``) passes; return its file.

    Saves the checkpoint and rewrites the progress file every ``chunk_minutes``; when
    all epochs ran, scores the test split and marks the job ``done``. A finished job
    is not run again. When another runner holds the job's lock, the job is skipped (logged
    with the holder) and the return value is its file with ``status`` ``"locked"`` and
    ``locked_by`` (host, pid, start time) added.
    """
    lock = job.lock(results_dir)
    if not lock.acquire():
        holder = lock.holder()
        logger.warning("%s seed %d: skipped, %s runs it", job.name, job.seed, describe_holder(holder))
        state = dict(read_job(job, results_dir) or {"epochs_done": 0})
        return {**state, "status": "locked", "locked_by": holder}
    try:
        return _run_job_locked(job, results_dir, data_dir=data_dir, deadline=deadline, chunk_minutes=chunk_minutes,
                               threads=threads)
    finally:
        lock.release()


def _run_job_locked(job: AEJob, results_dir, *, data_dir, deadline, chunk_minutes, threads) -> dict:

    if (job.profile == "paper" and Path(results_dir).resolve().is_relative_to(REPOSITORY_RESULTS.resolve())
            and git_state()["dirty"]):
        # Committed evidence must name the code that ran (see records.write_record).
        raise RuntimeError(f"refusing to run the paper-profile job {job.name} seed {job.seed} into {results_dir} "
                           f"from a tree with uncommitted changes: commit first, or run from a clean checkout "
                           f"(git worktree add), or use another results_dir")
    from osa_lib.data.mnist import flatten_images  # noqa: F401  (import check before the slow load)
    from osa_lib.data import load_clustering_data
    from osa_lib.runtime import limit_threads

    state = read_job(job, results_dir)
    _refuse_other_configurations([job], [state], results_dir)
    if state is not None and state["status"] == "done":
        return state
    limit_threads(threads)
    import torch
    torch.set_flush_denormal(True)
    data = load_clustering_data(job.dataset, data_dir, n_train=job.n_train, n_test=job.n_test)
    ckpt = job.checkpoint_path(results_dir)
    model = job.estimator(checkpoint=ckpt)
    payload = {
        "job": asdict(job), "status": "running", "experiment": job.experiment, "name": job.name,
        "reading": job.reading, "dataset": job.dataset,
        "profile": job.profile, "seed": job.seed, "epochs": job.epochs, "architecture": job.architecture,
        "protocol": "paper", "params": {k: v for k, v in model.get_params().items()
                                        if k not in ("checkpoint", "progress", "checkpoint_every")},
        "device": device_description(job.device), "threads": threads, "data": data.provenance,
        "cpu_capability": cpu_capability(),
        "n_train": len(data.X_train), "n_test": len(data.X_test),
    }
    while True:
        chunk_end = time.time() + 60 * chunk_minutes
        stop = chunk_end if deadline is None else min(chunk_end, deadline)
        model.fit(data.X_train, eval_set=(data.X_test, data.y_test), callbacks=[Deadline(stop)])
        payload.update({"epochs_done": model.epochs_done_, "train_time_s": model.train_time_s_,
                        "n_parameters": model.n_parameters_, "curve": _curve(model.history_),
                        "git_commit": git_commit(), "git_dirty": git_state()["dirty"],
                        "versions": library_versions(),
                        "updated": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")})
        if model.complete_ or (deadline is not None and time.time() > deadline):
            break
        _write_json(job.result_path(results_dir), payload)
    if model.complete_:
        rows = np.random.default_rng(12345).choice(len(data.X_train), size=min(10_000, len(data.X_train)),
                                                   replace=False)
        if job.experiment == "ae_kmeans":
            payload["readings"] = kmeans_scores(model, data, rows)
        else:
            pred = model.predict(data.X_test)
            scores = clustering_scores(data.y_test, pred, n_clusters=model.n_clusters)
            scores["clusters_used"] = float(len(np.unique(pred)) / model.n_clusters)
            scores["reconstruction_mse"] = reconstruction_mse(model, data.X_test)
            payload.update(cluster_portrait(model, data.X_test, data.y_test))
            scores["train_accuracy_majority"] = cluster_accuracy(data.y_train[rows],
                                                                 model.predict(data.X_train[rows]), "majority")
            payload["metrics"] = scores
        payload["status"] = "done"
    _write_json(job.result_path(results_dir), payload)
    logger.info("%s seed %d: %s after %d/%d epochs (%.0f s of training)", job.experiment, job.seed,
                payload["status"], payload["epochs_done"], job.epochs, payload["train_time_s"])
    return payload


def run_jobs(jobs, results_dir, *, data_dir=None, n_workers: int = 2, budget_minutes: float | None = None,
             chunk_minutes: float = 3.0, threads: int = 1, log: bool = True) -> list[dict]:
    """Run every unfinished job of ``jobs`` on a joblib process pool; return their files in job order.

    Each worker runs one job at a time with ``threads`` threads. With ``budget_minutes``
    every job stops (checkpointed) at that deadline; jobs not started by then are left
    for the next call. ``log``: a line per ``eval_every`` epochs and per finished job (logging, INFO).
    """
    from joblib import Parallel, delayed

    check_int(n_workers, "n_workers")
    deadline = None if budget_minutes is None else time.time() + 60 * float(budget_minutes)
    states = [read_job(job, results_dir) for job in jobs]
    # Refused before anything runs: a finished file of another configuration (another budget, say) would
    # otherwise count as this job done.
    _refuse_other_configurations(jobs, states, results_dir)
    pending = [job for job, state in zip(jobs, states) if (state or {}).get("status") != "done"]
    logger.info("%d of %d jobs to run, %d workers", len(pending), len(jobs), n_workers)
    # Processes, not threads: each job sets its own thread limits and owns its torch state.
    Parallel(n_jobs=n_workers, backend="loky")(
        delayed(_run_before_deadline)(job, str(results_dir), data_dir, deadline, chunk_minutes, threads, log)
        for job in pending)
    return [read_job(job, results_dir) for job in jobs]


def _refuse_other_configurations(jobs, states, results_dir) -> None:
    """ValueError naming every job whose file (``states``, None = no file) describes another job configuration."""
    foreign = [f"{job.result_path(results_dir)}: {_describe_differences(job.differences(state.get('job', {})))}"
               for job, state in zip(jobs, states) if state is not None and not job.matches(state.get("job", {}))]
    if foreign:
        raise ValueError(f"{len(foreign)} job file(s) belong to another job configuration; move them (and their "
                         "checkpoints) aside, or use another results_dir:\n  " + "\n  ".join(foreign))


def _run_before_deadline(job, results_dir, data_dir, deadline, chunk_minutes, threads, log):
    if deadline is not None and time.time() > deadline:
        return read_job(job, results_dir)
    if log and not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    os.environ.setdefault("OMP_NUM_THREADS", str(threads))
    return run_job(job, results_dir, data_dir=data_dir, deadline=deadline, chunk_minutes=chunk_minutes,
                   threads=threads)


def job_states(results_dir, profile: str, dataset: str, experiment: str, seeds=(0, 1, 2, 3, 4), *,
               reading: str = "printed", tag: str = "") -> list[dict]:
    """The progress files of ``experiment``'s jobs (under ``reading``) that exist, done or running, in seed order."""
    return read_job_files(jobs_folder(results_dir, profile, dataset, job_name(experiment, reading, tag)), seeds,
                          strict=True)


def gather_record(results_dir, profile: str, dataset: str, experiment: str, seeds=(0, 1, 2, 3, 4), *,
                  reading: str = "printed", tag: str = "", shown_apart=()) -> dict | None:
    """The row's record from its finished jobs (None when no seed has finished).

    Metrics are over the finished seeds only; ``seeds_planned``, ``epochs_per_seed`` and
    ``unfinished`` say what the numbers rest on. For AE + K-means the headline metrics
    come from the reading chosen on training data (:func:`chosen_kmeans_reading`), with
    ``accuracy_majority`` from the label-free start (lowest inertia) and
    ``accuracy_majority_best_of_inits`` from the paper's best-of-500 by test accuracy;
    every reading is kept under ``readings``, and ``params`` name the K-means space, standardisation and
    start rule the headline numbers come from.

    ``shown_apart``: seeds whose finished jobs are kept beside the row but not in it (a screened reading's
    full-budget row rests on seeds its screen never saw; the screening seeds' results at the same budget
    go to ``shown_apart``: ``{"why", "seeds", "metrics"}``).
    """

    states = job_states(results_dir, profile, dataset, experiment, seeds, reading=reading, tag=tag)
    done = [s for s in states if s["status"] == "done"]
    if not done:
        return None
    apart = [s for s in job_states(results_dir, profile, dataset, experiment, shown_apart, reading=reading, tag=tag)
             if s["status"] == "done"]
    _refuse_mixed_configurations(done + apart, jobs_folder(results_dir, profile, dataset,
                                                           job_name(experiment, reading, tag)))
    first = done[0]
    params = dict(first["params"])
    params.pop("random_state", None)
    params["reading"] = reading
    params["reading_overrides"] = reading_params(experiment, reading)
    params.update({"architecture": first["architecture"], "epochs": first["epochs"], "n_train": first["n_train"],
                   "n_test": first["n_test"], "evaluated_on": "test split",
                   "protocol": "paper: one stage (joint from the first epoch), Table 3's sizes and optimiser",
                   "mapping": "majority (accuracy_majority), one-to-one (accuracy_hungarian)"})
    extra = {"seeds_planned": [int(s) for s in seeds], "epochs_per_seed": [s["epochs_done"] for s in done],
             "unfinished": [{"seed": s["seed"], "epochs_done": s["epochs_done"]} for s in states
                            if s["status"] != "done"],
             "curves": {str(s["seed"]): s["curve"] for s in states}, "data": first["data"],
             "wall_time_per_seed_s": [s["train_time_s"] for s in done], "job_commits": sorted(
                 {s["git_commit"] for s in done})}
    if experiment == "ae_kmeans":
        kmeans_reading = chosen_kmeans_reading(states)       # the record keeps the protocol's reading name
        runs = [s["readings"][kmeans_reading] for s in done]
        params["kmeans_reading"] = kmeans_reading
        # The params say what produced the headline numbers (the estimator's own K-means settings are the
        # protocol's; every job scores all four readings and the record keeps the one chosen on training data).
        params.update(KMEANS_READINGS[kmeans_reading])
        params["kmeans_start"] = "lowest inertia of the starts (label-free); best_of_inits: best test accuracy"
        params["selection"] = ("accuracy_*: K-means start with the lowest inertia on training rows (label-free); "
                               "accuracy_*_best_of_inits: the start with the best test accuracy of "
                               f"{params['kmeans_n_init']} (the paper's protocol, peeks at test labels); reading "
                               "chosen by training accuracy")
        extra["readings"] = {r: {m: summarize([s["readings"][r][m] for s in done]) for m in done[0]["readings"][r]}
                             for r in KMEANS_READINGS}
    else:
        params["lambda"] = params.pop("lam")
        # seeds finished by older code lack later metrics (reconstruction_mse); keep what every seed has
        common = [m for m in done[0]["metrics"] if all(m in s["metrics"] for s in done)]
        runs = [{m: s["metrics"][m] for m in common} for s in done]
        partial = sorted({m for s in done for m in s["metrics"]} - set(common))
        if partial:
            extra["metrics_not_in_every_seed"] = partial
    if apart:
        source = (lambda s: s["readings"][params["kmeans_reading"]]) if experiment == "ae_kmeans" else \
            (lambda s: s["metrics"])
        names = [m for m in runs[0] if all(m in source(s) for s in apart)]
        extra["shown_apart"] = {
            "why": "screening seeds: they chose the reading, so the row rests on other seeds",
            "seeds": [s["seed"] for s in apart],
            "metrics": {m: summarize([source(s)[m] for s in apart]) for m in names}}
    extra["cpu_capability"] = sorted({s.get("cpu_capability", "not recorded") for s in done})
    extra["threads"] = sorted({s.get("threads", 1) for s in done})
    record = make_record(experiment=job_name(experiment, reading, tag), dataset=dataset, profile=profile, params=params,
                         seeds=[s["seed"] for s in done], runs=runs, n_parameters=first["n_parameters"],
                         wall_time_s=float(sum(s["train_time_s"] for s in done)), device=first["job"]["device"],
                         extra=extra)
    record["device"] = first["device"]
    return record


def _refuse_mixed_configurations(states: list[dict], folder) -> None:
    """ValueError when finished job files of one row differ in anything but their seed (a record rests on one
    configuration: 50-epoch seeds beside 500-epoch ones would be averaged as one row)."""
    configs = {}
    for state in states:
        config = stored_job_fields(state.get("job", {}))
        config.pop("seed")
        configs.setdefault(json.dumps(config, sort_keys=True), []).append(state["seed"])
    if len(configs) > 1:
        described = "; ".join(f"seeds {seeds}: {config}" for config, seeds in configs.items())
        raise ValueError(f"the finished job files in {folder} describe {len(configs)} job configurations "
                         f"({described}); a record rests on one: move the other files aside")

