"""Table 2 (unsupervised flower segmentation) built from records, never from typed numbers.

``segmentation_table(results_dir, build_profile)`` puts the paper's numbers (read from
``osa_lib/paper_results.json``) beside our committed paper-profile records on Oxford 17 (both
trimap conventions) and Oxford 102, and this build's run. A missing record shows as "not run yet".
"""
from __future__ import annotations

from .records import check_profile, format_metric, load_record, paper_results, protocol

#: Table 2's rows: (experiment, method). The first two are the paper's rows.
TABLE2_ROWS = (
    ("kmeans_segmentation", "K-means (k = 2, median rule)"),
    ("loc", "LOC (our working reading)"),
    ("loc_literal", "LOC, literal reading (v in [0, 1])"),
    ("kmeans_segmentation_loc_k", "K-means (k = LOC's clusters, median rule)"),
    ("kmeans_segmentation_centre", "K-means (k = 2, centre cluster = flower)"),
    ("grabcut", "GrabCut (centred rectangle)"),
)
METRICS = (("pixel_accuracy", "accuracy"), ("iou", "IoU"), ("dice", "Dice"))


def segmentation_table(results_dir, build_profile: str = "ci", rows=TABLE2_ROWS):
    """Table 2 from records: paper | ours on Oxford 17 | ours on Oxford 102 | this build.

    Returns a pandas DataFrame of strings, one row per (method, metric), values in percent with
    two decimals (mean ± std over seeds). Oxford 17 is scored with the trimap band ignored and
    with the band counted as background. "not run yet" marks a missing record; "—" a number
    that does not exist (the paper has no such row, or the record has no such metric).
    """
    import pandas as pd

    check_profile(build_profile)
    paper_rows = paper_results()["table2"]["rows"]
    table = []
    for experiment, method in rows:
        f17 = load_record(results_dir, "paper", "flowers17", experiment)
        f102 = load_record(results_dir, "paper", "flowers102", experiment)
        build = load_record(results_dir, build_profile, "flowers17", experiment)
        paper = paper_rows.get(experiment)
        for metric, label in METRICS:
            table.append({
                "method": method,
                "metric": label,
                "paper (Oxford 102)": paper[metric] if paper is not None else "—",
                "ours: Oxford 17, band ignored": format_metric(f17, metric, with_protocol=False),
                "ours: Oxford 17, band = background": format_metric(f17, f"{metric}_band_as_background",
                                                                     with_protocol=False),
                "ours: Oxford 102": format_metric(f102, metric, with_protocol=False),
                f"this build ({build_profile}): Oxford 17, band ignored": format_metric(build, metric,
                                                                                      with_protocol=False),
                "runs (ours, Oxford 17)": protocol(f17) if f17 is not None else "not run yet",
            })
    return pd.DataFrame(table).set_index(["method", "metric"])
