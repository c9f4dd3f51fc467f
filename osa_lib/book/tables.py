"""Tables 1 and 2 built from records, never from typed numbers, beside the paper's own numbers.

The paper's numbers live in one file, ``osa_lib/book/paper_results.json``
(:func:`paper_results`). Table 1: :func:`clustering_table`; Table 2:
:func:`segmentation_table`.

``segmentation_table(results_dir, build_profile)`` puts the paper's numbers (read from
``osa_lib/paper_results.json``) beside our committed paper-profile records on Oxford 17 (both
trimap conventions) and Oxford 102, and this build's run. A missing record shows as "not run yet".
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable, Mapping

from osa_lib.book.profiles import check_profile
from osa_lib.book.records import NOT_RUN, load_record

def paper_results() -> dict:
    """The paper's own numbers (``osa_lib/paper_results.json``, the single reference file)."""
    return json.loads((Path(__file__).parent / "paper_results.json").read_text())


def format_metric(record: Mapping | None, metric: str, *, with_protocol: bool = True) -> str:
    """``"61.23 ± 1.05 %"`` from a record, with seeds and epochs; ``"not run yet"`` without one."""
    if record is None:
        return NOT_RUN
    m = record["metrics"].get(metric)
    if m is None:
        return "—"
    text = f"{100 * m['mean']:.2f}"
    if len(m["per_seed"]) > 1:
        text += f" ± {100 * m['std']:.2f}"
    if with_protocol:
        text += f" ({protocol(record)})"
    return text


def protocol(record: Mapping) -> str:
    """Short provenance of a number: seeds, epochs, training-set size."""
    p = record["params"]
    parts = [f"{len(record['seeds'])} seed{'s' if len(record['seeds']) != 1 else ''}"]
    if "epochs" in p:
        parts.append(f"{p['epochs']} ep")
    if "n_train" in p:
        parts.append(f"{p['n_train'] // 1000}k train" if p["n_train"] >= 1000 else f"{p['n_train']} train")
    return ", ".join(parts)


#: Table 1's rows, in the paper's order: (experiment, method, n_clusters).
TABLE1_ROWS = (
    ("kmeans", "K-means", 10),
    ("ae_kmeans", "AE + K-means", 10),
    ("shallow_acrbm_10", "Shallow ACRBM", 10),
    ("shallow_acrbm_30", "Shallow ACRBM", 30),
    ("ae_acrbm_10", "AE + ACRBM", 10),
    ("ae_acrbm_30", "AE + ACRBM", 30),
)


def clustering_table(results_dir, dataset: str = "mnist", *, build_profile: str = "ci",
                     rows: Iterable[tuple[str, str, int]] = TABLE1_ROWS):
    """Table 1 from records: the paper | our paper-profile record | this build's run.

    Returns a pandas DataFrame of strings. Accuracies use the majority mapping (as
    the paper); the Hungarian column is filled where clusters = classes. A missing
    record shows as "not run yet". The paper column is empty for data sets the paper
    did not use.
    """
    import pandas as pd

    check_profile(build_profile)
    paper = paper_results()["table1"]
    paper_rows = paper["rows"] if dataset == paper["dataset"] else {}
    table = []
    for experiment, method, k in rows:
        ours = load_record(results_dir, "paper", dataset, experiment)
        build = load_record(results_dir, build_profile, dataset, experiment)
        p = paper_rows.get(experiment)
        if p is None:
            paper_acc, paper_params = "no paper number", "—"
        else:
            paper_acc = p["accuracy"] + (f" ± {p['accuracy_std']}" if "accuracy_std" in p else "")
            paper_params = p["n_parameters"]
        table.append({
            "method": method,
            "clusters": k,
            "params (paper)": paper_params,
            "params (ours)": "—" if ours is None or ours["n_parameters"] is None else f"{ours['n_parameters']:,}",
            "accuracy % (paper)": paper_acc,
            "accuracy % (ours, paper profile)": format_metric(ours, "accuracy_majority"),
            f"accuracy % (this build, {build_profile} profile)": format_metric(build, "accuracy_majority"),
            "Hungarian % (ours, paper profile)": format_metric(ours, "accuracy_hungarian", with_protocol=False),
            "NMI % (ours, paper profile)": format_metric(ours, "nmi", with_protocol=False),
        })
    return pd.DataFrame(table)


def paper_accuracy(experiment: str, dataset: str = "mnist") -> float | None:
    """The paper's Table 1 accuracy (percent) for ``experiment``; None where the paper has none."""
    table = paper_results()["table1"]
    row = table["rows"].get(experiment) if dataset == table["dataset"] else None
    return None if row is None else float(row["accuracy"])


def literature_table(dataset: str):
    """Other papers' numbers for ``dataset`` from the reference file (context only), as a DataFrame."""
    import pandas as pd

    entry = paper_results().get("literature", {}).get(dataset)
    if entry is None:
        return pd.DataFrame(columns=["method", "accuracy % (Hungarian, as published)", "source"])
    return pd.DataFrame([{"method": r["method"], "accuracy % (Hungarian, as published)": r["accuracy_hungarian"],
                          "source": r["source"]} for r in entry["rows"]])


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
