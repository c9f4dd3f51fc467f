"""Our recipe rows at Table 1's scale (labelled ablations on the convolutional AE, 10 epochs; the AE chapter
shows them apart): ``osa_lib.book.ae_chapter.ae_recipes.RECIPE_ROWS``, five seeds each, from a clean tree.

    python scripts/run_recipe_rows.py                          # all three rows, MNIST
    python scripts/run_recipe_rows.py --rows ae_kmeans_conv_10ep --threads 2

Writes ``results/paper/mnist/<row>.json`` (one record per row, written when its five seeds are done).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from osa_lib.book.ae_chapter.ae_recipes import RECIPE_ROWS, run_recipe_row  # noqa: E402
from osa_lib.book.harness.profiles import AE_PROFILES  # noqa: E402
from osa_lib.book.provenance.records import REPOSITORY_RESULTS  # noqa: E402
from osa_lib.data import load_clustering_data  # noqa: E402
from osa_lib.runtime import limit_threads  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", nargs="+", default=list(RECIPE_ROWS), choices=list(RECIPE_ROWS))
    parser.add_argument("--results-dir", default=str(REPOSITORY_RESULTS))
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args(argv)
    limit_threads(args.threads)
    data = load_clustering_data("mnist", args.data_dir)
    for row in args.rows:
        record = run_recipe_row(row, data, profile="paper", seeds=AE_PROFILES["paper"]["seeds"], device=args.device,
                                results_dir=args.results_dir).record
        print(row, f"{100 * record['metrics']['accuracy_majority']['mean']:.2f} %",
              f"({record['wall_time_s']:.0f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
