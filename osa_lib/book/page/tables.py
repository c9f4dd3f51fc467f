"""Tables 1 and 2 built from records, never from typed numbers, beside the paper's own numbers.

The paper's numbers live in one file, ``osa_lib/book/judge/paper_results.json``, read by
:mod:`osa_lib.book.judge.paper` (Table 3's and Table 4's budgets included).

Two families of builders:

* the compact tables of the book's front pages, which fit the content column:
  :func:`table1_compact` (method | K | params | paper | ours mean ± std | gap | budget),
  :func:`table1_details` (Hungarian, NMI, ARI and this build's run), :func:`table2_compact`
  (one table per data source: method | accuracy | IoU | Dice | budget);
* the long tables the chapters show: :func:`clustering_table` and :func:`segmentation_table`
  (paper | our paper-profile record | this build's run, with the protocol in every cell).

"Budget" is *seeds · epochs · training images* (:func:`budget_text`), with the paper's epochs
beside ours where ours are fewer. A missing record shows as "not run yet".
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable, Mapping

from osa_lib.book.judge.paper import TABLE1_ROWS, paper_accuracy, paper_budget, paper_results
from osa_lib.book.provenance.records import (NOT_RUN, check_profile, load_record, preferred_record, read_record,
                                             profile_folder, record_epochs, record_paths)
from osa_lib.book.judge.verdicts import table1_metric
from osa_lib.book.page.exhibit_sources import files_source_line, records_source_line


def _thousands(n: int) -> str:
    """``60000 -> "60k"``, ``1106 -> "1,106"``."""
    return f"{n / 1000:g}k" if n >= 10_000 and n % 1000 == 0 else f"{n:,}"


def short_device(device: str) -> str:
    """``"cpu: x86_64, 2 torch threads" -> "CPU, 2 threads"``; a GPU keeps its name."""
    import re

    m = re.match(r"cpu: [^,]*, (\d+) torch threads?", device)
    if m:
        return f"CPU, {m.group(1)} thread{'s' if m.group(1) != '1' else ''}"
    return device.removeprefix("cuda: ")


def budget_text(record: Mapping | None, paper_epochs: int | None = None) -> str:
    """``"5 · 20 · 60k"``: seeds · epochs · training images of a record (``"not run yet"`` without one).

    Seeds read ``"2 of 5"`` when a resumable run planned more; epochs read ``"10 of 500"`` when
    fewer than ``paper_epochs`` (the paper's), ``"—"`` for a method without epochs.
    """
    if record is None:
        return NOT_RUN
    n = len(record["seeds"])
    planned = record.get("seeds_planned")
    seeds = f"{n} of {len(planned)}" if planned and len(planned) > n else str(n)
    epochs = record_epochs(record)
    if epochs is None:
        ep = "—"
    elif paper_epochs is not None and epochs < paper_epochs:
        ep = f"{epochs} of {paper_epochs}"
    else:
        ep = str(epochs)
    n_train = record["params"].get("n_train")
    return f"{seeds} · {ep} · {_thousands(int(n_train)) if n_train else '—'}"


def mean_std_text(record: Mapping | None, metric: str) -> str:
    """``"61.23 ± 1.05"`` (percent, mean ± sample std over seeds); ``"not run yet"`` / ``"—"``."""
    return format_metric(record, metric, with_protocol=False)


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




#: Table 1's columns as the chapters show them (short enough for the column at 1,280 px, each cell on
#: at most two lines): what each number is, then whose.
TABLE1_COLUMNS = ("method", "clusters", "parameters: paper / ours", "accuracy % (paper)", "accuracy % (ours)",
                  "seeds × epochs, images")


def runs_text(record: Mapping | None) -> str:
    """``"5 × 20, 60k"`` (no-break spaces around ×): seeds × epochs, training images of a record (``"—"`` for a method without
    epochs: ``"5, 60k"``); ``"not run yet"`` without one."""
    if record is None:
        return NOT_RUN
    n = len(record["seeds"])
    epochs = record_epochs(record)
    n_train = record["params"].get("n_train")
    images = _thousands(int(n_train)) if n_train else "—"
    return f"{n}\u00a0×\u00a0{epochs}, {images}" if epochs is not None else f"{n}, {images}"


def clustering_table(results_dir, dataset: str = "mnist", *, build_profile: str = "ci",
                     rows: Iterable[tuple[str, str, int]] = TABLE1_ROWS):
    """Table 1 from records: the paper | our paper-profile record | this build's run.

    Returns a pandas DataFrame of strings, columns :data:`TABLE1_COLUMNS` then ``"accuracy % (this
    build, <profile> profile)"`` (mean ± std over seeds; the seeds, epochs and training images behind a run in
    its own column, :func:`runs_text`, and in brackets for this build's). Accuracies use the majority
    mapping, as the paper's Table 1 (the chapters' per-seed tables give the Hungarian accuracy, NMI
    and ARI). A missing record
    shows as "not run yet"; the paper column reads "not in the paper" for data sets the paper did not use.
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
            paper_acc, paper_params = "not in the paper", "—"
        else:
            paper_acc = p["accuracy"] + (f" ± {p['accuracy_std']}" if "accuracy_std" in p else "")
            paper_params = p["n_parameters"]
        build_acc = mean_std_text(build, "accuracy_majority")
        if build is not None and build_acc != "—":
            build_acc += f" ({runs_text(build)})"
        table.append(dict(zip(TABLE1_COLUMNS, (
            method, k, f"{paper_params} / " + ("—" if ours is None or ours["n_parameters"] is None
                                                else f"{ours['n_parameters']:,}"),
            paper_acc, mean_std_text(ours, "accuracy_majority"), runs_text(ours)))) | {f"accuracy % (this build, {build_profile} profile)": build_acc})
    return pd.DataFrame(table)


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
    ("loc_untrained", "LOC, untrained observer (control: same normalisation, no training)"),
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


# --------------------------------------------------------------------------- compact tables (front pages)

BUDGET_COLUMN = "seeds · epochs · training images"


def _params_text(paper_row: Mapping | None, record: Mapping | None) -> str:
    paper = paper_row["n_parameters"] if paper_row is not None else "—"
    ours = "—" if record is None or record.get("n_parameters") is None else f"{record['n_parameters']:,}"
    return f"{paper} / {ours}"


def table1_compact(results_dir, dataset: str = "mnist", *, build_profile: str = "ci",
                   rows: Iterable[tuple[str, str, int]] = TABLE1_ROWS):
    """Table 1 as the front pages show it: one line per row, fits the content column.

    Columns: method, K, params (paper / ours), paper %, ours % (mean ± std over seeds, majority
    mapping, the paper-profile record, else this build's run, marked "(ci)"), gap (points, ours −
    paper), and one budget column (seeds · epochs · training images; "10 of 500" where we ran fewer
    epochs than Table 3). Returns a DataFrame of strings.
    """
    import pandas as pd

    check_profile(build_profile)
    paper = paper_results()["table1"]
    paper_rows = paper["rows"] if dataset == paper["dataset"] else {}
    table = []
    for experiment, method, k in rows:
        rec, profile = preferred_record(results_dir, dataset, experiment, build_profile)
        p = paper_rows.get(experiment)
        paper_text = "—" if p is None else p["accuracy"] + (f" ± {p['accuracy_std']}" if "accuracy_std" in p else "")
        metric = table1_metric(rec, experiment)
        ours = mean_std_text(rec, metric)
        if rec is not None and profile != "paper":
            ours += f" ({profile})"
        gap = "—"
        if rec is not None and p is not None and metric in rec["metrics"]:
            gap = f"{100 * rec['metrics'][metric]['mean'] - float(p['accuracy']):+.2f}"
        table.append({"method": method, "K": k, "params (paper / ours)": _params_text(p, rec),
                      "paper %": paper_text, "ours %": ours, "gap": gap,
                      BUDGET_COLUMN: budget_text(rec, paper_budget(experiment)["epochs"] if p else None)})
    return pd.DataFrame(table)


def table1_details(results_dir, dataset: str = "mnist", *, build_profile: str = "ci",
                   rows: Iterable[tuple[str, str, int]] = TABLE1_ROWS):
    """The rest of Table 1 (for a dropdown): Hungarian accuracy, NMI and ARI of the paper-profile
    record, and this build's run (accuracy and budget). Percent, mean ± std over seeds."""
    import pandas as pd

    check_profile(build_profile)
    table = []
    for experiment, method, k in rows:
        ours = load_record(results_dir, "paper", dataset, experiment)
        build = load_record(results_dir, build_profile, dataset, experiment)
        table.append({"method": method, "K": k,
                      "Hungarian %": mean_std_text(ours, "accuracy_hungarian") if k == 10 else "—",
                      "NMI %": mean_std_text(ours, "nmi"), "ARI %": mean_std_text(ours, "ari"),
                      f"{build_profile} run %": mean_std_text(build, "accuracy_majority"),
                      f"{build_profile} budget": budget_text(build)})
    return pd.DataFrame(table)


#: Sources of Table 2's numbers: key -> (profile, dataset, metric suffix, label).
TABLE2_SOURCES = {
    "flowers17": ("paper", "flowers17", "", "Oxford 17, trimap band ignored"),
    "flowers17_band": ("paper", "flowers17", "_band_as_background", "Oxford 17, trimap band = background"),
    "flowers102": ("paper", "flowers102", "", "Oxford 102"),
    "build": (None, "flowers17", "", "this build's run, Oxford 17, band ignored"),
}


def table2_compact(results_dir, source: str = "flowers17", *, build_profile: str = "ci", rows=None,
                   with_paper: bool = True):
    """Table 2 for one data source (a key of :data:`TABLE2_SOURCES`), one line per method.

    Columns: method, accuracy %, IoU %, Dice % (mean ± std over seeds) and the budget. With
    ``with_paper`` the paper's two rows (Oxford 102) come first, marked "paper:". Returns a
    DataFrame of strings.
    """
    import pandas as pd

    check_profile(build_profile)
    if source not in TABLE2_SOURCES:
        raise ValueError(f"unknown Table 2 source {source!r}; expected one of {sorted(TABLE2_SOURCES)}")
    profile, dataset, suffix, _ = TABLE2_SOURCES[source]
    profile = profile or build_profile
    paper = paper_results()["table2"]["rows"]
    table = []
    if with_paper:
        for experiment, row in paper.items():
            table.append({"method": f"paper: {row['method']} (Oxford 102)",
                          **{f"{label} %": row[metric] for metric, label in METRICS}, BUDGET_COLUMN: "—"})
    for experiment, method in (rows if rows is not None else TABLE2_ROWS):
        rec = load_record(results_dir, profile, dataset, experiment)
        table.append({"method": method,
                      **{f"{label} %": mean_std_text(rec, metric + suffix) for metric, label in METRICS},
                      BUDGET_COLUMN: budget_text(rec, paper_budget(experiment)["epochs"])})
    return pd.DataFrame(table)


def provenance_table(results_dir, profile: str = "paper"):
    """One line per committed record of ``profile``: seeds, epochs, images, wall time, device,
    data copy and git commit (the book shows it once, on the summary page)."""
    import pandas as pd


    rows = []
    for path in record_paths(results_dir, profile):
        r = read_record(path)
        data = r.get("data")
        data_text = "—"
        if isinstance(data, Mapping):
            root = data.get("data_root") or data.get("root") or data.get("data_dir")
            sums = data.get("sha256") or {}
            data_text = f"{len(sums)} files" if sums else ((Path(str(root)).name or str(root)) if root else "—")
        if isinstance(data, Mapping) and data.get("files"):
            data_text = f"{len(data['files'])} files"
        if isinstance(data, Mapping) and data.get("folders_sha256"):
            data_text = f"{sum(int(f['files']) for f in data['folders_sha256'].values()):,} files"
        dirty = "dirty" in r["git_commit"]
        rows.append({"record": f"{r['dataset']}/{r['experiment']}", "budget": budget_text(r),
                     "minutes": f"{r['wall_time_s'] / 60:.1f}", "device": short_device(r["device"]),
                     "data (sha256)": data_text,
                     "commit": r["git_commit"][:8] + ("+dirty" if dirty else ""),
                     "flag": "written from uncommitted changes (diff not kept): not yet rerun from a clean commit"
                             if dirty else ""})
    return pd.DataFrame(rows, columns=["record", "budget", "minutes", "device", "data (sha256)", "commit", "flag"])


# --------------------------------------------------------------------------- source lines (issue 24, item 5)

def table1_source(results_dir, dataset: str = "mnist", *, build_profile: str = "ci",
                  rows: Iterable[tuple[str, str, int]] = TABLE1_ROWS) -> str:
    """The source line under :func:`table1_compact`: each row's record as the table reads it (the
    paper-profile record, else this build's)."""
    return records_source_line(preferred_record(results_dir, dataset, e, build_profile)[0] for e, _, _ in rows)


def table1_details_source(results_dir, dataset: str = "mnist", *, build_profile: str = "ci",
                          rows: Iterable[tuple[str, str, int]] = TABLE1_ROWS) -> str:
    """The source line under :func:`table1_details`: the rows' paper-profile records and this build's."""
    rows = list(rows)
    return records_source_line([load_record(results_dir, p, dataset, e) for p in ("paper", build_profile)
                                for e, _, _ in rows])


def table2_source(results_dir, source: str = "flowers17", *, build_profile: str = "ci", rows=None) -> str:
    """The source line under :func:`table2_compact` for one data source: the records of its rows (the paper's
    own two rows come from the reference file, ``paper_results.json``)."""
    profile, dataset, _, _ = TABLE2_SOURCES[source]
    profile = profile or build_profile
    return records_source_line([load_record(results_dir, profile, dataset, e)
                                for e, _ in (rows if rows is not None else TABLE2_ROWS)],
                               note="paper rows: osa_lib/book/judge/paper_results.json")


def provenance_source(results_dir, profile: str = "paper") -> str:
    """The source line under :func:`provenance_table`: the folder of the records it lists, one row each."""
    return files_source_line([profile_folder(results_dir, profile)], note="one row per record file, each naming its commit")
