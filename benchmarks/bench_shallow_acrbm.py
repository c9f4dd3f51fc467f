"""Wall time of the shallow ACRBM against K-means on the full MNIST training set.

Times ``ShallowACRBM(K, epochs=E, progress=False).fit(X)`` and
``sklearn.cluster.KMeans(K, n_init=1, random_state=0).fit(X)`` on the 60,000
flattened training images, in the same run (no warm-up run; with ``--repeats N``
the median of N). Reports the ratio ACRBM / K-means (issue 8's goal: <= 0.5 on an
idle machine with default threads) and, as a second reading that a busy machine
distorts less, K-means limited to one thread like the ACRBM's default ``n_threads=1``.

    python benchmarks/bench_shallow_acrbm.py --data-dir ../shared/data --out bench.json

Run it on an otherwise idle machine: on 2 cores, anything else running in parallel
slows multi-threaded code (K-means' OpenMP pool, torch's) far more than it slows the
work itself. The 1-minute load average before and after is reported for that reason.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import sklearn
import torch
from sklearn.cluster import KMeans
from threadpoolctl import threadpool_limits

from osa_lib import ShallowACRBM, __version__
from osa_lib.data.mnist import DATA_ENV, flatten_images, load_dataset, resolve_data_dir


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", default=None,
                        help=f"data root with MNIST/raw/ (default: ${DATA_ENV}, else data/ in the repository)")
    parser.add_argument("--epochs", type=int, default=20, help="ACRBM epochs (default 20, Table 3)")
    parser.add_argument("--n-clusters", type=int, default=10, help="clusters for both methods (default 10)")
    parser.add_argument("--repeats", type=int, default=1, help="time each fit N times, report the median")
    parser.add_argument("--threads", type=int, default=None,
                        help="torch intra-op threads (default: torch's own choice, usually the core count)")
    parser.add_argument("--acrbm-threads", type=int, default=1,
                        help="ShallowACRBM(n_threads=...) during fit (default 1, the estimator's; 0: torch's setting)")
    parser.add_argument("--out", type=Path, default=None, help="write the figures as JSON here (default: print only)")
    args = parser.parse_args(argv)
    if args.epochs < 1 or args.n_clusters < 2 or args.repeats < 1 or args.acrbm_threads < 0 \
            or (args.threads is not None and args.threads < 1):
        parser.error("need --epochs >= 1, --n-clusters >= 2, --repeats >= 1, --threads >= 1, --acrbm-threads >= 0")
    return args


def timed(fn, repeats: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times


def main(argv=None) -> dict:
    args = parse_args(argv)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    root = resolve_data_dir(args.data_dir)
    X, _ = load_dataset("mnist", train=True, data_dir=root)
    X = flatten_images(X)
    n = len(X)
    load_at_start = os.getloadavg()[0]

    acrbm_threads = args.acrbm_threads or None

    def kmeans():
        return KMeans(args.n_clusters, n_init=1, random_state=0).fit(X)

    def kmeans_one_thread():
        with threadpool_limits(limits=1):
            return kmeans()

    acrbm_s, acrbm_all = timed(
        lambda: ShallowACRBM(args.n_clusters, epochs=args.epochs, progress=False, n_threads=acrbm_threads).fit(X),
        args.repeats)
    kmeans_s, kmeans_all = timed(kmeans, args.repeats)
    kmeans1_s, kmeans1_all = timed(kmeans_one_thread, args.repeats)

    figures = {
        "n_samples": n,
        "n_features": int(X.shape[1]),
        "n_clusters": args.n_clusters,
        "epochs": args.epochs,
        "repeats": args.repeats,
        "acrbm_fit_s": acrbm_s,
        "kmeans_fit_s": kmeans_s,
        "ratio_acrbm_over_kmeans": acrbm_s / kmeans_s,
        "kmeans_one_thread_fit_s": kmeans1_s,
        "ratio_acrbm_over_kmeans_one_thread": acrbm_s / kmeans1_s,
        "acrbm_n_threads": acrbm_threads,
        "acrbm_samples_per_s": n * args.epochs / acrbm_s,
        "acrbm_fit_s_all": acrbm_all,
        "kmeans_fit_s_all": kmeans_all,
        "kmeans_one_thread_fit_s_all": kmeans1_all,
        "torch_threads": torch.get_num_threads(),
        "cpu_count": os.cpu_count(),
        "load_average_1min": [load_at_start, os.getloadavg()[0]],   # before / after: > 0.5 means a busy machine
        "machine": platform.machine(),
        "versions": {"python": platform.python_version(), "osa_lib": __version__, "torch": torch.__version__,
                     "numpy": np.__version__, "scikit-learn": sklearn.__version__},
        "data_root": str(root),
    }
    print(f"MNIST train: {n} x {X.shape[1]}, K = {args.n_clusters}, median of {args.repeats}")
    print(f"ShallowACRBM fit ({args.epochs} epochs): {acrbm_s:8.2f} s")
    print(f"KMeans fit (n_init=1):          {kmeans_s:8.2f} s")
    print(f"ratio ACRBM / KMeans:           {figures['ratio_acrbm_over_kmeans']:8.2f}   (goal <= 0.5, idle machine)")
    print(f"KMeans fit, one thread:         {kmeans1_s:8.2f} s")
    print(f"ratio ACRBM / KMeans(1 thread): {figures['ratio_acrbm_over_kmeans_one_thread']:8.2f}")
    print(f"ACRBM samples/s:                {figures['acrbm_samples_per_s']:8.0f}")
    print(f"torch threads (ACRBM fit):      {acrbm_threads or figures['torch_threads']:8d}")
    print(f"1-min load average before/after: {load_at_start:.2f} / {figures['load_average_1min'][1]:.2f}")
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(figures, indent=2) + "\n")
        print(f"wrote {args.out}")
    return figures


if __name__ == "__main__":
    main(sys.argv[1:])
