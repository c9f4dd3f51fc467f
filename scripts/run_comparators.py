"""Like-for-like comparators at the paper's budget (``make comparators``): records the verdicts need beside
the paper's rows.

    python scripts/run_comparators.py                       # MNIST and Fashion-MNIST
    python scripts/run_comparators.py --datasets mnist

Writes, under ``results/paper/<dataset>/``:
  kmeans_30.json                K-means with 30 clusters on raw pixels, 5 seeds, 10 starts each (lowest inertia),
                                the comparator of shallow ACRBM (30) (same K, same images, label-free)
  trivial_reconstructions.json  MSE per pixel of an all-black image and of the mean training image (Figure 5)
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from osa_lib.book.shallow_chapter.shallow_runs import (clustering_settings, run_kmeans, trivial_reconstructions)  # noqa: E402
from osa_lib.data import load_clustering_data  # noqa: E402
from osa_lib.runtime import limit_threads  # noqa: E402
from osa_lib.book.provenance.records import REPOSITORY_RESULTS  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", nargs="+", default=["mnist", "fashion_mnist"], choices=["mnist", "fashion_mnist"])
    parser.add_argument("--n-clusters", type=int, default=30)
    parser.add_argument("--results-dir", default=str(REPOSITORY_RESULTS))
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    limit_threads(args.threads)
    settings = clustering_settings("paper")
    for dataset in args.datasets:
        data = load_clustering_data(dataset, args.data_dir)
        trivial = trivial_reconstructions(data, profile="paper", results_dir=args.results_dir)
        print(dataset, "trivial reconstructions:", {k: round(v["mean"], 4) for k, v in trivial["metrics"].items()},
              flush=True)
        rec = run_kmeans(data, seeds=settings["seeds"], profile="paper", n_init=settings["kmeans_n_init"],
                         n_clusters=args.n_clusters, results_dir=args.results_dir, progress=False).record
        print(dataset, rec["experiment"], round(100 * rec["metrics"]["accuracy_majority"]["mean"], 2), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
