"""Seconds per epoch of Table 1's AE models, dense and conv, and the implied time of one 500-epoch seed.

For each architecture (``dense``, the paper's; ``conv``, the ablation), each model
(``ae_kmeans``, ``ae_acrbm_10``, ``ae_acrbm_30``) and each thread count, times one epoch
of training on the paper's protocol (joint reconstruction + ACRBM loss, lambda = 1; no
K-means) on the first ``--n-train`` flattened MNIST training images, after one untimed
epoch; with ``--repeats N`` the median of N epochs. Also prints the implied time of one
500-epoch seed and of the 15 paper-profile jobs on the given number of workers.

    python benchmarks/bench_autoencoder.py --data-dir ../shared/data --threads 1 2 --out bench.json

Run it on an otherwise idle machine: on 2 cores anything running in parallel
slows torch's thread pool down far more than the work itself.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path

import numpy as np
import torch

from osa_lib import __version__
from osa_lib.acrbm import n_parameters
from osa_lib.clustering.ae_acrbm import AEACRBM
from osa_lib.clustering.ae_kmeans import AEKMeans
from osa_lib.data.mnist import DATA_ENV, flatten_images, load_dataset
from osa_lib.runtime import limit_threads

MODELS = ("ae_kmeans", "ae_acrbm_10", "ae_acrbm_30")


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", default=None,
                        help=f"data root with MNIST/raw/ (default: ${DATA_ENV}, else data/ in the repository)")
    parser.add_argument("--n-train", type=int, default=60_000, help="training images per epoch (default 60000)")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2], help="thread counts to time (default 1 2)")
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=MODELS)
    parser.add_argument("--repeats", type=int, default=1, help="timed epochs per setting; the median is reported")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--architectures", nargs="+", default=["dense", "conv"], choices=["dense", "conv"])
    parser.add_argument("--epochs", type=int, default=500, help="epochs of one seed, for the implied time")
    parser.add_argument("--workers", type=int, default=2, help="jobs at a time, for the implied time of 15 jobs")
    parser.add_argument("--out", type=Path, default=None, help="write the figures as JSON here (default: print only)")
    args = parser.parse_args(argv)
    if args.n_train < 256 or args.repeats < 1 or min(args.threads) < 1:
        parser.error("need --n-train >= 256, --repeats >= 1, --threads >= 1")
    return args


def make_model(name: str, epochs: int, device: str, architecture: str):
    if name == "ae_kmeans":
        return AEKMeans(10, architecture=architecture, epochs=epochs, kmeans_n_init=1, kmeans_max_samples=1000,
                        device=device, progress=False)
    k = int(name.rsplit("_", 1)[1])
    return AEACRBM(k, architecture=architecture, epochs=epochs, lam=1.0, device=device, progress=False)


def epoch_times(name: str, X: np.ndarray, repeats: int, device: str, architecture: str) -> tuple[list[float], int]:
    """Per-epoch training times (seconds, from ``history_``) after one untimed epoch."""
    model = make_model(name, 1 + repeats, device, architecture).fit(X)
    return [h["time_s"] for h in model.history_[1:]], n_parameters(model.module_)


def main(argv=None) -> dict:
    args = parse_args(argv)
    X, _ = load_dataset("mnist", train=True, data_dir=args.data_dir)
    X = flatten_images(X)[:args.n_train]
    results = []
    scale = 60_000 / len(X)          # the implied times are for the full training split
    torch.set_flush_denormal(True)
    for architecture in args.architectures:
        for threads in args.threads:
            limit_threads(threads)
            for name in args.models:
                times, n_params = epoch_times(name, X, args.repeats, args.device, architecture)
                t = statistics.median(times)
                results.append({"architecture": architecture, "model": name, "threads": threads,
                                "n_parameters": n_params, "epoch_s": t, "samples_per_s": len(X) / t,
                                "seed_minutes": t * scale * args.epochs / 60, "epoch_times_s": times})
                print(f"{architecture:5s} {name:12s} threads={threads}  {n_params:9,d} params  epoch {t:6.2f} s  "
                      f"one {args.epochs}-epoch seed on 60k images {t * scale * args.epochs / 60:6.1f} min",
                      flush=True)
    for architecture in args.architectures:
        one = [r for r in results if r["architecture"] == architecture and r["threads"] == 1]
        if len(one) == len(MODELS):   # 5 seeds per row, args.workers single-thread jobs at a time
            total = 5 * sum(r["seed_minutes"] for r in one) / args.workers
            print(f"{architecture}: the 15 paper-profile jobs take about {total:.0f} min on {args.workers} "
                  f"single-thread workers")
    report = {"benchmark": "bench_autoencoder", "n_train": len(X), "device": args.device,
              "machine": f"{platform.machine()}, {os.cpu_count()} logical CPUs",
              "load_average": list(os.getloadavg()), "torch": torch.__version__, "osa_lib": __version__,
              "results": results}
    if args.out is not None:
        args.out.write_text(json.dumps(report, indent=2) + "\n")
    return report


if __name__ == "__main__":
    main()
