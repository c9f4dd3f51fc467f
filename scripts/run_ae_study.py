"""Run (or resume) the readings study of Table 1's AE rows, phase by phase (``make ae-study``).

    python scripts/run_ae_study.py --workers 2                     # every phase, resumable
    python scripts/run_ae_study.py --workers 2 --budget-minutes 90 # stop, checkpointed, after 90 minutes
    python scripts/run_ae_study.py --status                        # the screen's table and what is left

Phases (osa_lib.book.ae_chapter.ae_study):
  screen     every reading on AE + ACRBM (10), 2 seeds x 100 epochs
  select     the two strongest by training accuracy (no test label)
  k30        those two on AE + ACRBM (30), 2 seeds x 100 epochs
  full10     the strongest on AE + ACRBM (10), 5 seeds x 500 epochs
  kmeans     AE + K-means on all 60,000 training codes, and the 10-unit bottleneck ablations (500 epochs)
  full30     the strongest on AE + ACRBM (30), 5 seeds x 500 epochs
  printed30  the printed protocol's AE + ACRBM (30), seeds 2-4 (500 epochs)
  screen2        the readings the text still permits (ae_jobs.SECOND_SCREEN_READINGS), 2 seeds x 100 epochs
  kmeans_screen  AE + K-means under the readings that change how its AE trains, 2 seeds x 100 epochs
  confirm10      the strongest reading on AE + ACRBM (10) on fresh seeds 2-6 (500 epochs)
  confirm30      the strongest reading on AE + ACRBM (30) on fresh seeds 2-6 (500 epochs)
  detached10/30  "detached head input" on AE + ACRBM (10) / (30) on fresh seeds 2-6 (500 epochs)
  summed30       the strongest reading of the k30 screen (MSE summed per image) on AE + ACRBM (30), fresh seeds 2-6
  kmeans_full    AE + K-means under its strongest screened reading on fresh seeds 2-6 (500 epochs)
  kmeans_variants  K-means on 60,000 codes and both bottleneck ablations, seeds 0-4 (500 epochs)
  fashion        Fashion-MNIST: the printed rows and the strongest MNIST reading (10), seeds 0-4 (500 epochs)
Each phase's records are written as its seeds finish; a rerun skips what is done. With --one-pool the
phases' jobs share one process pool in the order given (no phase waits for another), for phases whose
jobs do not depend on a screen still running.
"""
from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from osa_lib.book.ae_chapter import ae_study  # noqa: E402
from osa_lib.book.ae_chapter.ae_jobs import (SECOND_SCREEN_READINGS, AEJob, complete_from_checkpoint,  # noqa: E402
                                             gather_record, paper_jobs, run_jobs)
from osa_lib.book.provenance.records import REPOSITORY_RESULTS, write_record  # noqa: E402

PHASES = ("screen", "k30", "full10", "kmeans", "full30", "printed30", "screen2", "kmeans_screen", "confirm10",
          "confirm30", "summed30", "detached10", "detached30", "kmeans_full", "kmeans_variants", "fashion")
FRESH_SEEDS = ae_study.FRESH_SEEDS
#: K-means starts for the AE + K-means readings on all 60,000 codes (500 on 10,000 in the printed row).
KMEANS_60K_STARTS = 50


def _gather(jobs: list[AEJob], results_dir: str) -> None:
    for experiment, reading, tag in sorted({(j.experiment, j.reading, j.tag) for j in jobs}):
        seeds = sorted({j.seed for j in jobs if (j.experiment, j.reading, j.tag) == (experiment, reading, tag)})
        # A screened reading's full-budget row rests on fresh seeds; its screening seeds are shown apart.
        fresh = reading != "printed" and not tag and not set(seeds) & set(ae_study.SCREEN_SEEDS)
        record = gather_record(results_dir, "paper", jobs[0].dataset, experiment, seeds=seeds, reading=reading,
                               tag=tag, shown_apart=ae_study.SCREEN_SEEDS if fresh else ())
        if record is not None:
            print("wrote", write_record(record, results_dir), flush=True)


def phase_jobs(phase: str, results_dir: str, device: str) -> list[AEJob]:
    """The jobs of ``phase``; phases that run a screen's choice read it from ``results_dir``'s screen job files
    (ValueError while that screen has fewer than two readings with two finished seeds)."""
    if phase not in PHASES:
        raise ValueError(f"unknown phase {phase!r}; use {PHASES}")
    common = dict(device=device)
    # Phases that need no screen's result.
    if phase == "screen":
        return ae_study.screening_jobs(**common)
    if phase == "screen2":
        return ae_study.screening_jobs(readings=SECOND_SCREEN_READINGS, **common)
    if phase == "kmeans_screen":
        return ae_study.screening_jobs("ae_kmeans", readings=ae_study.KMEANS_SCREEN_READINGS, **common)
    if phase == "printed30":
        return paper_jobs(["ae_acrbm_30"], (2, 3, 4), **common)
    if phase == "kmeans":
        return [AEJob("ae_kmeans", 0, reading=r, kmeans_n_init=KMEANS_60K_STARTS, **common)
                for r in ("bottleneck_relu", "kmeans60k", "bottleneck_linear")]
    if phase == "kmeans_variants":
        return [AEJob("ae_kmeans", s, reading=r, kmeans_n_init=KMEANS_60K_STARTS, **common)
                for s in ae_study.FULL_SEEDS for r in ("bottleneck_linear", "bottleneck_relu", "kmeans60k")]
    if phase in ("detached10", "detached30"):
        return paper_jobs([f"ae_acrbm_{phase[-2:]}"], FRESH_SEEDS, reading="detached_input", **common)
    if phase == "kmeans_full":
        best = ae_study.strongest_kmeans_reading(results_dir)
        return paper_jobs(["ae_kmeans"], FRESH_SEEDS if best != "printed" else ae_study.FULL_SEEDS, reading=best,
                          **common)
    if phase == "summed30":
        # The strongest reading of the 30-cluster screen (k30), confirmed on fresh seeds.
        k30 = ae_study.reading_results(results_dir, experiment="ae_acrbm_30", seeds=ae_study.SCREEN_SEEDS)
        return paper_jobs(["ae_acrbm_30"], FRESH_SEEDS, reading=ae_study.strongest_readings(k30, n=1)[0], **common)
    # Phases that run the first screen's strongest readings (by training accuracy).
    table = ae_study.reading_results(results_dir, seeds=ae_study.SCREEN_SEEDS)
    strongest = ae_study.strongest_readings(table, n=2)
    if phase == "k30":
        return ae_study.screening_jobs("ae_acrbm_30", readings=strongest, **common)
    if phase == "full10":
        return paper_jobs(["ae_acrbm_10"], ae_study.FULL_SEEDS, reading=strongest[0], **common)
    if phase == "full30":
        return paper_jobs(["ae_acrbm_30"], ae_study.FULL_SEEDS, reading=strongest[0], **common)
    if phase in ("confirm10", "confirm30"):
        return paper_jobs([f"ae_acrbm_{phase[-2:]}"], FRESH_SEEDS, reading=strongest[0], **common)
    assert phase == "fashion", phase
    fm = dict(common, dataset="fashion_mnist")
    return (paper_jobs(["ae_kmeans", "ae_acrbm_10", "ae_acrbm_30"], ae_study.FULL_SEEDS, **fm)
            + paper_jobs(["ae_acrbm_10"], ae_study.FULL_SEEDS, reading=strongest[0], **fm))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--phases", nargs="+", default=list(PHASES), choices=PHASES)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--budget-minutes", type=float, default=None)
    parser.add_argument("--results-dir", default=str(REPOSITORY_RESULTS))
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--status", action="store_true")
    parser.add_argument("--gather-only", action="store_true", help="write the phases' records, run nothing")
    parser.add_argument("--one-pool", action="store_true",
                        help="run the phases' jobs in one process pool, in the order given")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    deadline = None if args.budget_minutes is None else time.time() + 60 * args.budget_minutes
    if args.one_pool:
        jobs = [job for phase in args.phases for job in phase_jobs(phase, args.results_dir, args.device)]
        print(f"phases {', '.join(args.phases)}: {len(jobs)} jobs in one pool", flush=True)
        if not (args.status or args.gather_only):
            run_jobs(jobs, args.results_dir, data_dir=args.data_dir, n_workers=args.workers,
                     budget_minutes=args.budget_minutes)
        if not args.status:
            _finish(jobs, args)
        return 0
    for phase in args.phases:
        jobs = phase_jobs(phase, args.results_dir, args.device)
        left = None if deadline is None else (deadline - time.time()) / 60
        if not (args.status or args.gather_only) and (left is None or left > 0):
            print(f"phase {phase}: {len(jobs)} jobs", flush=True)
            run_jobs(jobs, args.results_dir, data_dir=args.data_dir, n_workers=args.workers, budget_minutes=left)
        if not args.status:
            _finish(jobs, args)
        if phase in ("screen", "screen2"):
            print(ae_study.reading_results(args.results_dir, seeds=ae_study.SCREEN_SEEDS).round(2).to_string())
    return 0


def _finish(jobs: list[AEJob], args) -> None:
    for job in jobs:
        if job.experiment != "ae_kmeans":
            complete_from_checkpoint(job, args.results_dir, data_dir=args.data_dir)
    for dataset in sorted({j.dataset for j in jobs}):
        _gather([j for j in jobs if j.dataset == dataset], args.results_dir)


if __name__ == "__main__":
    sys.exit(main())
