"""Execution times of the chapters, as the "Rerun it yourself" page shows them.

``scripts/build_book.py`` writes ``_build/execution_times.json`` (``{"profile", "seconds",
"hardware"}``) after every notebook; a ``paper``-profile build (``make paper``) also writes
``results/paper/execution_times.json``, which is committed beside the paper-profile records.
"""
from __future__ import annotations

import json
import os
import platform
from pathlib import Path
from typing import Mapping

from osa_lib.book.provenance.records import PROFILES


def hardware() -> str:
    """This machine in words: CPU model, cores, and the GPU when there is one."""
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    text = f"{cores} CPU cores ({model})"
    try:
        import torch
        if torch.cuda.is_available():
            text += f", GPU {torch.cuda.get_device_name(0)}"
    except Exception:  # noqa: BLE001 - torch missing or broken CUDA: CPU only
        pass
    return text


def format_duration(seconds: float | None) -> str:
    """``"42 s"`` below 90 seconds, else ``"5.3 min"``; ``"not measured"`` for None."""
    if seconds is None:
        return "not measured"
    seconds = float(seconds)
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.1f} min"


def read_times(path) -> dict | None:
    """An execution-times file, or None when it is missing or unreadable."""
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError):
        return None
    return data if isinstance(data, Mapping) and "seconds" in data else None


def times_table(files):
    """One row per notebook, a column per profile (formatted), from the execution-times files given.

    ``files``: paths of execution-times files (each names its profile). Returns the table and a
    list of sentences naming each profile's hardware (or saying that it was not measured).
    """
    import pandas as pd

    by_profile = {}
    for f in files:
        data = read_times(f)
        if data is not None:
            by_profile[data.get("profile", "ci")] = data
    names = []
    for data in by_profile.values():
        names += [n for n in data["seconds"] if n not in names]
    rows = [{"notebook": n, **{f"{p} profile": format_duration(by_profile.get(p, {}).get("seconds", {}).get(n))
                              for p in PROFILES}} for n in names]
    notes = []
    for p in PROFILES:
        data = by_profile.get(p)
        if data is None:
            notes.append(f"The {p} profile: no execution-times file yet (a `{'make paper' if p == 'paper' else 'make book'}`"
                         " build writes it).")
        else:
            notes.append(f"The {p} profile: measured on {data.get('hardware', 'unnamed hardware')}"
                         + (f", {data['date']}" if data.get("date") else "") + ".")
    return pd.DataFrame(rows, columns=["notebook", *[f"{p} profile" for p in PROFILES]]), notes
