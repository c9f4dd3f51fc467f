"""The numbers of the reproducibility summary (scope, compute, hardware, data copies), read from the records.

    facts = compute_summary(results_dir)      # one dict per profile: records, hours, devices, data sets
    compute_table(results_dir)                # the same as a DataFrame, one row per profile and data set

Compute is the wall time the records store: ``wall_time_s`` of every record under
``results/<profile>/<dataset>/``, plus the training time of autoencoder jobs that had not finished
(their seeds are not yet in an aggregated record, so their time is in no ``wall_time_s``).
"""
from __future__ import annotations

import re

from osa_lib.book.page.display import plural
from osa_lib.book.provenance.records import PROFILES, iter_job_files, profile_folder, read_record, record_paths
from osa_lib.book.page.exhibit_sources import files_source_line

#: Data-set names as the pages print them.
DATASET_NAMES = {"mnist": "MNIST", "fashion_mnist": "Fashion-MNIST", "flowers17": "Oxford 17",
                 "flowers102": "Oxford 102"}


def short_device(device: str) -> str:
    """"cpu: x86_64 (AVX512), 1 torch threads" -> "CPU (x86_64)"; "cuda: NVIDIA H200" -> "GPU (NVIDIA H200)"."""
    device = str(device or "")
    kind, _, rest = device.partition(":")
    detail = re.split(r"[,(]", rest)[0].strip()
    label = "GPU" if kind.strip().startswith("cuda") else kind.strip().upper() or "unknown"
    return f"{label} ({detail})" if detail else label


def compute_summary(results_dir) -> dict:
    """Per profile: ``records`` (count), ``hours`` (wall time), ``unfinished_jobs`` (count) and their
    ``unfinished_hours``, ``devices`` (sorted short names), ``threads`` (sorted torch-thread counts) and
    per data set ``datasets`` -> {"records", "hours", "data_files"} (files whose checksums a record stores)."""
    out = {}
    for profile in PROFILES:
        facts = {"records": 0, "hours": 0.0, "unfinished_jobs": 0, "unfinished_hours": 0.0, "devices": set(),
                 "threads": set(), "datasets": {}}
        for path in record_paths(results_dir, profile):
            try:
                r = read_record(path)
            except (OSError, ValueError):
                continue
            if "wall_time_s" not in r:
                continue
            ds = facts["datasets"].setdefault(r.get("dataset", path.parent.name),
                                              {"records": 0, "hours": 0.0, "data_files": 0})
            hours = float(r["wall_time_s"] or 0) / 3600
            facts["records"] += 1
            facts["hours"] += hours
            ds["records"] += 1
            ds["hours"] += hours
            data = r.get("data")
            if isinstance(data, dict):
                folders = data.get("folders_sha256") or {}
                checked = sum(int(f.get("files", 0)) for f in folders.values()) if folders else len(
                    data.get("sha256") or data.get("files") or {})
                ds["data_files"] = max(ds["data_files"], checked)
            facts["devices"].add(short_device(r.get("device")))
            m = re.search(r"(\d+) torch thread", str(r.get("device")))
            if m:
                facts["threads"].add(int(m.group(1)))
        for j in iter_job_files(results_dir, profile):
            if j.get("status") == "done":
                continue
            hours = float(j.get("train_time_s") or 0) / 3600
            facts["unfinished_jobs"] += 1
            facts["unfinished_hours"] += hours
            facts["hours"] += hours
            ds = facts["datasets"].setdefault(j["dataset"], {"records": 0, "hours": 0.0, "data_files": 0})
            ds["hours"] += hours
        if facts["records"]:
            facts["devices"] = sorted(facts["devices"])
            facts["threads"] = sorted(facts["threads"])
            out[profile] = facts
    return out


def compute_table(results_dir):
    """One row per profile and data set: records, wall-clock hours, data files checked by checksum."""
    import pandas as pd

    rows = []
    for profile, facts in compute_summary(results_dir).items():
        for dataset, ds in sorted(facts["datasets"].items()):
            rows.append({"profile": profile, "data set": DATASET_NAMES.get(dataset, dataset),
                         "records": ds["records"], "hours": round(ds["hours"], 2),
                         "data files (sha256)": ds["data_files"] or None})
        rows.append({"profile": profile, "data set": "all", "records": facts["records"],
                     "hours": round(facts["hours"], 2), "data files (sha256)": None})
    return pd.DataFrame(rows, columns=["profile", "data set", "records", "hours", "data files (sha256)"])


def duration(hours: float) -> str:
    """"7.3 hours", "1.0 hour", "3 minutes", "under a minute"."""
    if hours >= 1:
        return f"{hours:.1f} hours" if round(hours, 1) != 1 else "1.0 hour"
    minutes = round(hours * 60)
    return "under a minute" if minutes < 1 else ("1 minute" if minutes == 1 else f"{minutes} minutes")


def compute_sentence(results_dir) -> str:
    """"The committed paper-profile records took 7.9 hours ..." for the summary page."""
    facts = compute_summary(results_dir)
    parts = []
    for profile in ("paper", "ci"):
        f = facts.get(profile)
        if not f:
            continue
        threads = "–".join(str(t) for t in (f["threads"][0], f["threads"][-1])) if len(f["threads"]) > 1 else (
            str(f["threads"][0]) if f["threads"] else "?")
        text = (f"the {profile}-profile records ({plural(f['records'], 'record')}) took {duration(f['hours'])} of "
                f"wall time on {', '.join(f['devices'])} with {threads} torch {'thread' if threads == '1' else 'threads'}"
                " per run")
        if f["unfinished_jobs"]:
            text += (f", {duration(f['unfinished_hours'])} of it in {plural(f['unfinished_jobs'], 'autoencoder job')} "
                     "stopped before the paper's epochs")
        parts.append(text)
    if not parts:
        return "No records yet."
    sentence = "; ".join(parts)
    return sentence[0].upper() + sentence[1:] + "."


def compute_source(results_dir) -> str:
    """The source line under :func:`compute_table`: the records' folders it sums, per profile."""
    return files_source_line([profile_folder(results_dir, profile) for profile in compute_summary(results_dir)],
                             note="the wall time and data checksums of every record")
