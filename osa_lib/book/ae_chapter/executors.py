"""The AE jobs beyond one machine: submitit's Slurm and local executors beside joblib's process pool.

``scripts/run_ae_jobs.py --executor slurm --partition gpu`` (``make paper-ae EXECUTOR=slurm
PARTITION=gpu``) submits one Slurm job per (row, seed) of :mod:`osa_lib.book.ae_chapter.ae_jobs`, each with
a time limit; when Slurm preempts a job or its time runs out, submitit calls
:meth:`AEJobTask.checkpoint` and requeues it, and the job resumes from its last checkpoint
(every ``chunk_minutes``), as a rerun of ``make paper-ae`` does. ``--executor local`` runs the
same code path through submitit's ``LocalExecutor`` (one subprocess per job, on this machine):
CI tests it on a tiny job. There is no scheduler of our own: joblib (the default) and
submitit do the scheduling.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Sequence
from osa_lib.book.ae_chapter.ae_jobs import read_job, run_job

EXECUTORS = ("joblib", "local", "slurm")
logger = logging.getLogger(__name__)

try:  # submitit is an optional dependency (extras "test" and "cluster")
    from submitit.helpers import Checkpointable as _Checkpointable
except ImportError:  # pragma: no cover - only without submitit
    _Checkpointable = object


class AEJobTask(_Checkpointable):
    """One (row, seed) job as a submitit task: runs :func:`osa_lib.book.ae_chapter.ae_jobs.run_job` to the end.

    On preemption or timeout submitit calls :meth:`checkpoint` (inherited from
    ``submitit.helpers.Checkpointable``), which resubmits the same call; the job then
    resumes from its checkpoint file.
    """

    def __call__(self, job, results_dir: str, data_dir=None, chunk_minutes: float = 3.0, threads: int = 1):
        import os


        os.environ.setdefault("OMP_NUM_THREADS", str(threads))
        if not logging.getLogger().handlers:
            logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
        return run_job(job, results_dir, data_dir=data_dir, chunk_minutes=chunk_minutes, threads=threads)


def make_executor(kind: str, folder, *, partition: str | None = None, time_minutes: int = 180,
                  threads: int = 1, gpus: int = 0, mem_gb: float | None = None, max_num_timeout: int = 10):
    """A submitit executor: ``"local"`` (``LocalExecutor``) or ``"slurm"`` (``SlurmExecutor``).

    ``time_minutes`` is each job's time limit; ``max_num_timeout`` how often a job that
    ran out of time is requeued (preemptions are requeued without limit by submitit).
    """
    import submitit

    if kind == "local":
        executor = submitit.LocalExecutor(folder=str(folder), max_num_timeout=max_num_timeout)
        executor.update_parameters(timeout_min=int(time_minutes), cpus_per_task=int(threads),
                                   gpus_per_node=int(gpus))
    elif kind == "slurm":
        if not partition:
            raise ValueError("the slurm executor needs a partition: make paper-ae EXECUTOR=slurm PARTITION=<name>")
        executor = submitit.SlurmExecutor(folder=str(folder), max_num_timeout=max_num_timeout)
        params = dict(partition=partition, time=int(time_minutes), cpus_per_task=int(threads), ntasks_per_node=1,
                      nodes=1, signal_delay_s=120, job_name="osa-ae", additional_parameters={"requeue": True})
        if gpus:
            params["gpus_per_node"] = int(gpus)
        if mem_gb:
            params["mem"] = f"{int(mem_gb)}G"
        executor.update_parameters(**params)
    else:
        raise ValueError(f"unknown executor {kind!r}; use one of {EXECUTORS}")
    return executor


def submit_jobs(jobs: Sequence, results_dir, *, kind: str, folder=None, data_dir=None, partition: str | None = None,
                time_minutes: int = 180, threads: int = 1, gpus: int = 0, chunk_minutes: float = 3.0,
                wait: bool = True) -> list:
    """Submit every unfinished job of ``jobs`` (one submitit job each); return the submitit jobs.

    With ``wait`` (the local executor's default use), wait for them and raise the first
    failure. ``folder``: submitit's logs (default ``<results_dir>/submitit``).
    """

    folder = Path(folder) if folder else Path(results_dir) / "submitit"
    executor = make_executor(kind, folder, partition=partition, time_minutes=time_minutes, threads=threads,
                             gpus=gpus)
    pending = [job for job in jobs if (read_job(job, results_dir) or {}).get("status") != "done"]
    logger.info("%d of %d jobs to submit through submitit (%s)", len(pending), len(jobs), kind)
    task = AEJobTask()
    submitted = [executor.submit(task, job, str(results_dir), data_dir, chunk_minutes, threads) for job in pending]
    for job, sub in zip(pending, submitted):
        logger.info("%s seed %d: submitit job %s (logs in %s)", job.name, job.seed, sub.job_id, folder)
    if wait:
        for sub in submitted:
            sub.result()          # raises the job's exception, with its log
    return submitted
