"""Table 1's K-means and shallow-ACRBM rows at the paper's budget, without the rest of the chapter.

    python scripts/run_shallow_rows.py --dataset fashion_mnist
    python scripts/run_shallow_rows.py --dataset fashion_mnist --rows kmeans shallow_acrbm_10
    python scripts/run_shallow_rows.py --dataset mnist --rows shallow_acrbm_sweep

The same calls, seeds and settings as the shallow-ACRBM notebook's ``paper`` profile
(:func:`osa_lib.book.shallow_chapter.shallow_runs.clustering_settings`), so each row's per-seed numbers equal the
notebook's; the records (with the per-seed confusion counts the chapter draws) go to
``results/paper/<dataset>/<row>.json``. It refuses a tree with uncommitted code (a record must name
the commit that made it), and prints each row's per-seed accuracy beside the record it replaces.
``shallow_acrbm_sweep`` is Figure 9's sweep, with the exhibits Figures 5, 6 and 8 draw from its first seed's
models (``exhibits/shallow_acrbm_sweep.json``, :func:`osa_lib.book.shallow_chapter.shallow_runs.shallow_exhibits`).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from osa_lib.book.provenance.records import (REPOSITORY_RESULTS, exhibits_path, git_state, record_path,  # noqa: E402
                                             write_exhibits)
from osa_lib.book.shallow_chapter.shallow_runs import (clustering_settings, run_kmeans, run_shallow_acrbm,  # noqa: E402
                                                       shallow_exhibits, sweep_n_clusters)
from osa_lib.data import load_clustering_data  # noqa: E402
from osa_lib.runtime import limit_threads  # noqa: E402

ROWS = ("kmeans", "shallow_acrbm_10", "shallow_acrbm_30", "shallow_acrbm_sweep")


def per_seed_accuracy(record) -> list[float]:
    """A record's per-seed majority accuracy in percent, rounded as the book prints it."""
    return [round(100 * v, 2) for v in record["metrics"]["accuracy_majority"]["per_seed"]]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="fashion_mnist", choices=["mnist", "fashion_mnist"])
    parser.add_argument("--rows", nargs="+", default=list(ROWS[:3]), choices=ROWS)
    parser.add_argument("--results-dir", default=str(REPOSITORY_RESULTS))
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--allow-dirty", action="store_true", help="run from uncommitted code (the record says +dirty)")
    args = parser.parse_args(argv)
    if git_state()["dirty"] and not args.allow_dirty:
        parser.error("the code has uncommitted changes: commit first, so that the records name a clean commit")
    limit_threads(args.threads)
    settings = clustering_settings("paper")
    data = load_clustering_data(args.dataset, args.data_dir)
    for row in args.rows:
        path = record_path(args.results_dir, "paper", args.dataset, row)
        if row == "shallow_acrbm_sweep":
            run_sweep(data, settings, args, path)
            continue
        before = per_seed_accuracy(json.loads(path.read_text())) if path.is_file() else None
        if row == "kmeans":
            result = run_kmeans(data, seeds=settings["seeds"], profile="paper", n_init=settings["kmeans_n_init"],
                                results_dir=args.results_dir, progress=False)
        else:
            result = run_shallow_acrbm(data, n_clusters=int(row.rsplit("_", 1)[1]), seeds=settings["seeds"],
                                       profile="paper", epochs=settings["epochs"], results_dir=args.results_dir,
                                       progress=False)
        after = per_seed_accuracy(result.record)
        print(f"{args.dataset} {row}: per-seed accuracy (majority, %) before {before}, after {after}"
              f"{'' if before is None else ' (equal)' if before == after else ' (DIFFERENT)'}; "
              f"{result.record['wall_time_s']:.0f} s, commit {result.record['git_commit']}", flush=True)
    return 0


def run_sweep(data, settings, args, path) -> None:
    """Figure 9's sweep at the paper's budget (the notebook's call) and its exhibits; prints each K's mean
    accuracy beside the record it replaces."""
    def accuracies(record):
        return {k: round(100 * record["metrics"][f"accuracy_majority_k{k}"]["mean"], 2) for k in record["params"]["sizes"]}

    before = accuracies(json.loads(path.read_text())) if path.is_file() else None
    result = sweep_n_clusters(data, sizes=settings["sweep_sizes"], seeds=settings["sweep_seeds"], profile="paper",
                              epochs=settings["epochs"], results_dir=args.results_dir, progress=False)
    exhibits = shallow_exhibits(data, result.outputs["models_by_k"], tsne_points=settings["tsne_points"],
                                seed=result.record["seeds"][0])
    written = write_exhibits("shallow_acrbm_sweep", exhibits, args.results_dir, "paper", args.dataset)
    after = accuracies(result.record)
    print(f"{args.dataset} shallow_acrbm_sweep: mean accuracy by K (majority, %) before {before}, after {after}"
          f"{'' if before is None else ' (equal)' if before == after else ' (DIFFERENT)'}; "
          f"{result.record['wall_time_s']:.0f} s, commit {result.record['git_commit']}; exhibits {written} "
          f"({written.stat().st_size:,} bytes)", flush=True)
    assert written == exhibits_path(args.results_dir, "paper", args.dataset, "shallow_acrbm_sweep")


if __name__ == "__main__":
    sys.exit(main())
