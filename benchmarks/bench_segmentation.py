"""Throughput of LOC inference and of the K-means and GrabCut baselines, in images per second.

All methods segment the same images: the Oxford 17 test split (254 images), resized to
``--size`` pixels. LOC's time covers normalisation, the observer's forward pass (eval mode, in
batches of ``--batch-size``), label extraction and median binarisation; the observer is
untrained (``LOC(epochs=0)``; inference cost does not depend on the weights; training is timed in the chapter's
records). K-means: per-image ``cv2.kmeans`` with k = 2 and 3 k-means++ starts (median rule and
centre-cluster variants). GrabCut: OpenCV, centred rectangle, 5 iterations. Each method is run
``--repeats`` times after one warm-up pass; the median wall time is reported.

    python benchmarks/bench_segmentation.py --data-dir ../shared/data --out bench.json

Run it on an otherwise idle machine: on 2 cores, anything else running in parallel slows the
numbers down a lot.
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

import torch

from osa_lib import __version__
from osa_lib.data.mnist import DATA_ENV
from osa_lib.segmentation.loc import LOC, extract_labels, median_binarize
from osa_lib.segmentation.baselines import grabcut_masks, kmeans_centre_masks, kmeans_masks
from osa_lib.data.flowers import Flowers17Segmentation


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", default=None,
                        help=f"data root with flowers17/ (default: ${DATA_ENV}, else data/ in the repository)")
    parser.add_argument("--size", type=int, default=96, help="image side in pixels (default 96, the paper profile)")
    parser.add_argument("--n-images", type=int, default=None, help="use the first N test images (default: all)")
    parser.add_argument("--batch-size", type=int, default=64, help="LOC inference batch size (default 64)")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per method; the median is reported")
    parser.add_argument("--out", type=Path, default=None, help="write the figures as JSON here (default: print only)")
    args = parser.parse_args(argv)
    if args.size < 8 or args.batch_size < 1 or args.repeats < 1:
        parser.error("need --size >= 8, --batch-size >= 1, --repeats >= 1")
    return args


def timed(fn, repeats: int) -> tuple[float, list[float]]:
    fn()                                               # warm-up (caches, thread pools, lazy imports)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times


def main(argv=None) -> dict:
    args = parse_args(argv)
    ds = Flowers17Segmentation(args.data_dir, split="test", size=args.size)
    n = len(ds) if args.n_images is None else min(args.n_images, len(ds))
    X, _, _ = ds.load_arrays(range(n))

    # epochs=0: the untrained observer (seeded weights, batch norm statistics from X); inference
    # cost does not depend on the weights
    loc = LOC(normalization="border", strides=(2, 1, 1), filters=(16, 16, 16), batch_size=args.batch_size,
              epochs=0, random_state=0, progress=False).fit(X)
    methods = {
        "loc_inference": lambda: median_binarize(extract_labels(loc.predict_G(X, batch_size=args.batch_size))),
        "kmeans_k2_median_rule": lambda: kmeans_masks(X, 2, random_state=0, n_init=3),
        "kmeans_k2_centre_cluster": lambda: kmeans_centre_masks(X, random_state=0, n_init=3),
        "grabcut": lambda: grabcut_masks(X, margin=0.1, iterations=5, random_state=0),
    }
    results = {}
    for name, fn in methods.items():
        median, times = timed(fn, args.repeats)
        results[name] = {"seconds": median, "images_per_s": n / median, "runs_s": times}
        print(f"{name:26s} {n / median:9.1f} images/s   ({median:.3f} s for {n} images, median of {args.repeats})")
    report = {
        "n_images": n, "image_size": args.size, "batch_size": args.batch_size, "repeats": args.repeats,
        "loc_observer_parameters": loc.n_parameters_,
        "results": results,
        "machine": {"python": platform.python_version(), "platform": platform.platform(),
                    "cpu_count": os.cpu_count(), "torch_threads": torch.get_num_threads(),
                    "torch": torch.__version__, "osa_lib": __version__},
    }
    if args.out is not None:
        args.out.write_text(json.dumps(report, indent=2) + "\n")
        print(f"wrote {args.out}")
    return report


if __name__ == "__main__":
    main(sys.argv[1:])
