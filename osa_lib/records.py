"""Result records (SPEC §5) and the comparison tables built from them.

One JSON file per experiment: ``<results_dir>/<profile>/<dataset>/<experiment>.json``
with keys ``experiment, dataset, profile, params, seeds, metrics, n_parameters,
wall_time_s, device, versions, git_commit, created``. ``metrics`` maps a name to
``{"per_seed": [...], "mean": x, "std": y}``, fractions in [0, 1]; ``std`` is the
sample standard deviation over seeds (ddof = 1; 0 for a single seed).
"""
from __future__ import annotations

import datetime as _dt
import json
import math
import platform
import subprocess
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import numpy as np

PROFILES = ("ci", "paper")
REQUIRED_KEYS = ("experiment", "dataset", "profile", "params", "seeds", "metrics", "n_parameters",
                 "wall_time_s", "device", "versions", "git_commit", "created")
NOT_RUN = "not run yet"


def check_profile(profile: str) -> str:
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; use one of {PROFILES}")
    return profile


def profile_settings(profiles: Mapping[str, Mapping], profile: str, overrides: Mapping,
                     sequences: Iterable[str] = ()) -> dict:
    """The settings of ``profile`` from ``profiles``, with every non-None entry of ``overrides``.

    Unknown override names raise ValueError (a papermill typo must not silently keep a
    default); the keys in ``sequences`` become tuples and must not be empty.
    """
    settings = dict(profiles[check_profile(profile)])
    unknown = set(overrides) - set(settings)
    if unknown:
        raise ValueError(f"unknown setting(s) {sorted(unknown)}; known: {sorted(settings)}")
    settings.update({k: v for k, v in overrides.items() if v is not None})
    for key in sequences:
        settings[key] = tuple(settings[key])
        if not settings[key]:
            raise ValueError(f"{key} must not be empty")
    return settings


def summarize(per_seed: Sequence[float]) -> dict:
    """``{"per_seed", "mean", "std"}`` of one metric over seeds (std with ddof = 1)."""
    values = [float(v) for v in per_seed]
    if not values:
        raise ValueError("summarize needs at least one value")
    if not all(math.isfinite(v) for v in values):
        raise ValueError(f"metric values must be finite, got {values}")
    std = float(np.std(values, ddof=1)) if len(values) > 1 else 0.0
    return {"per_seed": values, "mean": float(np.mean(values)), "std": std}


def summarize_runs(runs: Sequence[Mapping[str, float]]) -> dict:
    """Turn one metrics dict per seed into ``name -> summarize(...)``; every run must have the same names."""
    if not runs:
        raise ValueError("no runs to summarize")
    names = list(runs[0])
    for r in runs:
        if list(r) != names:
            raise ValueError(f"runs report different metrics: {names} vs {list(r)}")
    return {n: summarize([r[n] for r in runs]) for n in names}


def library_versions() -> dict:
    import sklearn
    import torch

    from . import __version__

    return {"python": platform.python_version(), "osa_lib": __version__, "torch": torch.__version__,
            "numpy": np.__version__, "scikit-learn": sklearn.__version__}


def device_description(device: str = "cpu") -> str:
    """Human-readable device: the GPU's name, or the CPU with its thread count."""
    import torch

    dev = torch.device(device)
    if dev.type == "cuda":
        return f"cuda: {torch.cuda.get_device_name(dev)}"
    return f"cpu: {platform.machine()}, {torch.get_num_threads()} torch threads"


def git_commit() -> str:
    repo = Path(__file__).resolve().parents[1]
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True, timeout=10)
        commit = out.stdout.strip()
        if out.returncode != 0 or not commit:
            return "unknown"
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=repo,
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return commit + ("+dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def make_record(*, experiment: str, dataset: str, profile: str, params: Mapping, seeds: Sequence[int],
                runs: Sequence[Mapping[str, float]], n_parameters: int | None, wall_time_s: float,
                device: str, extra: Mapping | None = None) -> dict:
    """Assemble a record; ``runs`` holds one metrics dict (fractions) per seed, in seed order."""
    check_profile(profile)
    if len(runs) != len(seeds):
        raise ValueError(f"{len(runs)} metric runs for {len(seeds)} seeds")
    record = {
        "experiment": experiment,
        "dataset": dataset,
        "profile": profile,
        "params": dict(params),
        "seeds": [int(s) for s in seeds],
        "metrics": summarize_runs(runs),
        "n_parameters": None if n_parameters is None else int(n_parameters),
        "wall_time_s": float(wall_time_s),
        "device": device_description(device),
        "versions": library_versions(),
        "git_commit": git_commit(),
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }
    if extra:
        record.update(extra)
    return record


def record_path(results_dir, profile: str, dataset: str, experiment: str) -> Path:
    return Path(results_dir) / check_profile(profile) / dataset / f"{experiment}.json"


def write_record(record: Mapping, results_dir) -> Path:
    """Write ``record`` to its place under ``results_dir``; return the path."""
    missing = [k for k in REQUIRED_KEYS if k not in record]
    if missing:
        raise ValueError(f"record lacks keys {missing}")
    path = record_path(results_dir, record["profile"], record["dataset"], record["experiment"])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=2, sort_keys=False) + "\n")
    return path


def read_record(path) -> dict:
    """Read and check one record file."""
    path = Path(path)
    try:
        record = json.loads(path.read_text())
    except FileNotFoundError:
        raise FileNotFoundError(f"no record at {path}") from None
    except json.JSONDecodeError as err:
        raise ValueError(f"record {path} is not valid JSON: {err}") from err
    missing = [k for k in REQUIRED_KEYS if k not in record]
    if missing:
        raise ValueError(f"record {path} lacks keys {missing}")
    return record


def load_record(results_dir, profile: str, dataset: str, experiment: str) -> dict | None:
    """The record if it exists, else None."""
    path = record_path(results_dir, profile, dataset, experiment)
    return read_record(path) if path.exists() else None


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
