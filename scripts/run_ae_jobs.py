"""Run, resume or check the paper-profile jobs of Table 1's AE rows (``make paper-ae``).

    python scripts/run_ae_jobs.py --workers 2 --budget-minutes 120      # run/resume, stop at the budget
    nohup python scripts/run_ae_jobs.py --workers 2 > ae_jobs.log 2>&1 &  # in the background
    python scripts/run_ae_jobs.py --device cuda --workers 1              # the same jobs on a GPU
    python scripts/run_ae_jobs.py --status                               # what is done, what is left
    # one Slurm job per (row, seed) through submitit, 3-hour limit, requeued when preempted or out of time:
    python scripts/run_ae_jobs.py --executor slurm --partition gpu --device cuda --time-minutes 180
    python scripts/run_ae_jobs.py --executor local     # the same code path through submitit's local executor
    # the screening study of the protocol's readings (100 epochs, 2 seeds, K = 10):
    python scripts/run_ae_jobs.py --experiments ae_acrbm_10 --readings printed lam0.01 lam0.1 lam10 sum bce \
        detached acrbm_encoder glorot --epochs 100 --seeds 0 1 --tag screen

Each (row, seed) is one job with its own checkpoint and progress file under
``results/paper/<dataset>/ae_jobs/``; rerunning the command resumes what did not finish.
``--executor joblib`` (the default) runs the jobs in a process pool here; ``local`` and
``slurm`` submit them through submitit (osa_lib.book.ae_chapter.executors). Slurm jobs run on after this
script returns: rerun it (or ``--gather-only``) once they are done to write the rows' records.
"""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from osa_lib.book.ae_chapter.ae_jobs import (EXPERIMENTS, KMEANS_AE_READINGS, READINGS, gather_record,  # noqa: E402
                                             paper_jobs, read_job, run_jobs)
from osa_lib.book.ae_chapter.executors import EXECUTORS, submit_jobs  # noqa: E402
from osa_lib.book.provenance.records import REPOSITORY_RESULTS, write_record  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--experiments", nargs="+", default=list(EXPERIMENTS), choices=EXPERIMENTS)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4])
    parser.add_argument("--dataset", default="mnist", choices=["mnist", "fashion_mnist"])
    parser.add_argument("--epochs", type=int, default=500)
    parser.add_argument("--eval-every", type=int, default=10)
    parser.add_argument("--architecture", default="dense", choices=["dense", "conv"])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--readings", nargs="+", default=["printed"],
                        choices=sorted(set(READINGS) | set(KMEANS_AE_READINGS)),
                        help="readings of the protocol (osa_lib.clustering.ae_presets); printed = as printed")
    parser.add_argument("--tag", default="", help="suffix of the jobs' folder and record name (e.g. screen)")
    parser.add_argument("--workers", type=int, default=2, help="jobs at a time (one per core on a CPU)")
    parser.add_argument("--threads", type=int, default=1, help="threads per job")
    parser.add_argument("--budget-minutes", type=float, default=None, help="stop (checkpointed) after this long")
    parser.add_argument("--chunk-minutes", type=float, default=3.0, help="minutes between checkpoints")
    parser.add_argument("--results-dir", default=str(REPOSITORY_RESULTS))
    parser.add_argument("--data-dir", default=None, help="data root (default: $OSA_DATA_DIR, else data/)")
    parser.add_argument("--status", action="store_true", help="print each job's state and exit")
    parser.add_argument("--gather-only", action="store_true", help="write the rows' records from finished seeds")
    parser.add_argument("--executor", default="joblib", choices=EXECUTORS,
                        help="joblib: process pool here; local/slurm: one submitit job per (row, seed)")
    parser.add_argument("--partition", default=None, help="Slurm partition (--executor slurm)")
    parser.add_argument("--time-minutes", type=int, default=180, help="time limit of each submitit job")
    parser.add_argument("--gpus", type=int, default=0, help="GPUs per submitit job")
    parser.add_argument("--n-train", type=int, default=None, help="training images (default: all; tests use few)")
    parser.add_argument("--n-test", type=int, default=None, help="test images (default: all)")
    parser.add_argument("--kmeans-n-init", type=int, default=500, help="K-means starts of AE + K-means")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    sizes = {k: v for k, v in dict(n_train=args.n_train, n_test=args.n_test,
                                   kmeans_n_init=args.kmeans_n_init).items() if v is not None}
    pairs = [(e, r) for r in args.readings for e in args.experiments
             if r in (KMEANS_AE_READINGS if e == "ae_kmeans" else READINGS)]
    if not pairs:
        parser.error(f"none of the readings {args.readings} applies to {args.experiments}")
    jobs = [job for e, r in pairs for job in paper_jobs([e], args.seeds, dataset=args.dataset, epochs=args.epochs,
                                                          architecture=args.architecture, eval_every=args.eval_every,
                                                          device=args.device, reading=r, tag=args.tag,
                                                          **sizes)]
    jobs = sorted(jobs, key=lambda j: (args.seeds.index(j.seed), j.experiment == "ae_acrbm_30"))
    if not (args.status or args.gather_only) and args.executor != "joblib":
        submit_jobs(jobs, args.results_dir, kind=args.executor, data_dir=args.data_dir, partition=args.partition,
                    time_minutes=args.time_minutes, threads=args.threads, gpus=args.gpus,
                    chunk_minutes=args.chunk_minutes, wait=args.executor == "local")
    elif not (args.status or args.gather_only):
        run_jobs(jobs, args.results_dir, data_dir=args.data_dir, n_workers=args.workers,
                 budget_minutes=args.budget_minutes, chunk_minutes=args.chunk_minutes, threads=args.threads)
    if not args.status:     # each row's record from the seeds that are done (Table 1 reads these)
        for experiment, reading in pairs:
            record = gather_record(args.results_dir, "paper", args.dataset, experiment, seeds=args.seeds,
                                   reading=reading, tag=args.tag)
            if record is not None:
                print("wrote", write_record(record, args.results_dir))
    for job in jobs:
        state = read_job(job, args.results_dir) or {"status": "not started", "epochs_done": 0}
        print(f"{job.name:28s} seed {job.seed}: {state['status']:11s} {state['epochs_done']:4d}/{job.epochs} "
              f"epochs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
