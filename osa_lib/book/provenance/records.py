"""Result records: one JSON file per experiment and profile, with its provenance.

One JSON file per experiment: ``<results_dir>/<profile>/<dataset>/<experiment>.json``
with keys ``experiment, dataset, profile, params, seeds, metrics, n_parameters,
wall_time_s, device, versions, git_commit, created`` (plus ``git_dirty``). ``metrics`` maps a name to
``{"per_seed": [...], "mean": x, "std": y}``, fractions in [0, 1]; ``std`` is the
sample standard deviation over seeds (ddof = 1; 0 for a single seed).
"""
from __future__ import annotations

import datetime as _dt
import json
import math
import platform
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Mapping, Sequence

import numpy as np

from osa_lib.concurrency import write_text_atomically

REQUIRED_KEYS = ("experiment", "dataset", "profile", "params", "seeds", "metrics", "n_parameters",
                 "wall_time_s", "device", "versions", "git_commit", "created")
NOT_RUN = "not run yet"

#: The profiles a record can come from: ``ci`` (this build's small run) and ``paper`` (the paper's budget,
#: committed evidence). Records of each live under ``<results_dir>/<profile>/``.
PROFILES = ("ci", "paper")


def check_profile(profile: str) -> str:
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; use one of {PROFILES}")
    return profile


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

    from osa_lib import __version__

    return {"python": platform.python_version(), "osa_lib": __version__, "torch": torch.__version__,
            "numpy": np.__version__, "scikit-learn": sklearn.__version__}


def device_description(device: str = "cpu") -> str:
    """Human-readable device: the GPU's name, or the CPU with its thread count."""
    import torch

    dev = torch.device(device)
    if dev.type == "cuda":
        return f"cuda: {torch.cuda.get_device_name(dev)}"
    n = torch.get_num_threads()
    return f"cpu: {platform.machine()} ({cpu_capability()}), {n} torch thread{'s' if n != 1 else ''}"


def cpu_capability() -> str:
    """The SIMD level torch's CPU kernels use here (``torch.backends.cpu.get_cpu_capability()``, e.g. AVX512).

    Two machines with different capabilities run different kernels, so the same seed can give
    slightly different floating-point results there; records carry it for that reason.
    """
    import torch

    try:
        return str(torch.backends.cpu.get_cpu_capability())
    except (AttributeError, RuntimeError):
        return "unknown"


#: The folders whose code makes a record: a change here (tracked or untracked) makes the commit "dirty".
CODE_PATHS = ("osa_lib", "notebooks", "book", "scripts")


def _git(repo: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, timeout=10)


def git_state(repo=None) -> dict:
    """``{"commit": sha or "unknown", "dirty": bool or None}`` of the repository holding the code.

    ``dirty`` is True when a tracked file under :data:`CODE_PATHS` differs from the commit
    or an untracked, not ignored file lies there (new code the commit does not hold).
    Changes elsewhere (records under ``results/``, data) do not count. None: not a git checkout.
    """
    repo = Path(repo) if repo is not None else Path(__file__).resolve().parents[3]
    try:
        head = _git(repo, "rev-parse", "HEAD")
        commit = head.stdout.strip()
        if head.returncode != 0 or not commit:
            return {"commit": "unknown", "dirty": None}
        status = _git(repo, "status", "--porcelain", "--untracked-files=all", "--", *CODE_PATHS)
        if status.returncode != 0:
            return {"commit": commit, "dirty": None}
        return {"commit": commit, "dirty": bool(status.stdout.strip())}
    except (OSError, subprocess.SubprocessError):
        return {"commit": "unknown", "dirty": None}


def git_commit(repo=None, state: dict | None = None) -> str:
    """The commit of the running code for a record: ``<sha>``, ``<sha>+dirty`` (see :func:`git_state`) or "unknown"."""
    state = git_state(repo) if state is None else state
    return state["commit"] + ("+dirty" if state["dirty"] else "")


@dataclass
class RunResult:
    """What every runner returns: its record and what it fitted or predicted, for the chapter to show.

    ``models``: fitted estimators (one per seed or per variant, in ``record["seeds"]`` order where
    there are seeds); ``outputs``: named extras such as test predictions, masks or tables.
    """
    record: dict
    models: list = field(default_factory=list)
    outputs: dict = field(default_factory=dict)


def make_record(*, experiment: str, dataset: str, profile: str, params: Mapping, seeds: Sequence[int],
                runs: Sequence[Mapping[str, float]], n_parameters: int | None, wall_time_s: float,
                device: str, extra: Mapping | None = None, results_dir=None) -> dict:
    """Assemble a record; ``runs`` holds one metrics dict (fractions) per seed, in seed order.

    With ``results_dir`` the record is also written there (:func:`write_record`): one call.
    """
    check_profile(profile)
    if len(runs) != len(seeds):
        raise ValueError(f"{len(runs)} metric runs for {len(seeds)} seeds")
    git = git_state()
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
        "git_commit": git_commit(state=git),
        "git_dirty": git["dirty"],
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }
    if extra:
        record.update(extra)
    if results_dir is not None:
        write_record(record, results_dir)
    return record


def profile_folder(results_dir, profile: str) -> Path:
    """``<results_dir>/<profile>``: every record of one profile, a folder per data set (and, for the paper
    profile, the execution times of the last paper build, ``execution_times.json``)."""
    return Path(results_dir) / check_profile(profile)


def records_folder(results_dir, profile: str, dataset: str) -> Path:
    """``<results_dir>/<profile>/<dataset>``: a data set's records of one profile (and, one folder deeper,
    its exhibits and job files)."""
    return profile_folder(results_dir, profile) / dataset


def record_path(results_dir, profile: str, dataset: str, experiment: str) -> Path:
    return records_folder(results_dir, profile, dataset) / f"{experiment}.json"


def dataset_records(results_dir, profile: str, dataset: str) -> list[dict]:
    """Every readable record of one profile and data set (exhibits and job files, a folder deeper, are none)."""
    out = []
    for path in sorted(records_folder(results_dir, profile, dataset).glob("*.json")):
        try:
            out.append(read_record(path))
        except (OSError, ValueError):
            continue
    return out


def record_file_name(profile: str, dataset: str, experiment: str) -> str:
    """The record's path inside the repository (``results/<profile>/<dataset>/<experiment>.json``), as a
    source line names and links it."""
    return record_path("results", profile, dataset, experiment).as_posix()


def committed_records(folder, *, without_git: bool = False) -> list[str]:
    """Record files (``*.json``) under ``folder`` that git tracks (none outside a git work tree).

    Where git itself is missing, every record there counts when ``without_git`` is true.
    """
    folder = Path(folder)
    if not folder.is_dir():
        return []
    try:
        out = subprocess.run(["git", "ls-files", "--", "."], cwd=folder, capture_output=True, text=True,
                             timeout=30)
    except (OSError, subprocess.SubprocessError):
        return sorted(str(f.relative_to(folder)) for f in folder.rglob("*.json")) if without_git else []
    return sorted(f for f in out.stdout.split() if f.endswith(".json")) if out.returncode == 0 else []


def record_paths(results_dir, profile: str) -> list[Path]:
    """Every record file of ``profile`` (``<results_dir>/<profile>/<dataset>/<experiment>.json``), sorted;
    exhibits and job files, one folder deeper, are not records."""
    return sorted(profile_folder(results_dir, profile).glob("*/*.json"))


#: The repository's own results folder: paper-profile records written here are committed evidence.
REPOSITORY_RESULTS = Path(__file__).resolve().parents[3] / "results"


def write_record(record: Mapping, results_dir) -> Path:
    """Write ``record`` to its place under ``results_dir``; return the path.

    A paper-profile record written into the repository's own ``results/`` (committed evidence) must name
    a commit that holds the code which ran: one written from a tree with uncommitted changes
    (``git_commit`` ending in ``+dirty``) is refused with what to do. Other folders take any record.
    """
    missing = [k for k in REQUIRED_KEYS if k not in record]
    if missing:
        raise ValueError(f"record lacks keys {missing}")
    path = record_path(results_dir, record["profile"], record["dataset"], record["experiment"])
    _refuse_dirty_evidence(path, record["profile"], str(record.get("git_commit", "")), "record")
    return write_text_atomically(path, json.dumps(record, indent=2, sort_keys=False) + "\n")


def _refuse_dirty_evidence(path: Path, profile: str, commit: str, what: str) -> None:
    """Raise when a paper-profile file made by uncommitted code would land in the repository's ``results/``."""
    if profile == "paper" and commit.endswith("+dirty") and path.resolve().is_relative_to(REPOSITORY_RESULTS.resolve()):
        raise ValueError(f"refusing to write the paper-profile {what} {path}: the code that produced it differs "
                         f"from commit {commit.removesuffix('+dirty')} (uncommitted changes). Commit "
                         f"first, or run from a clean checkout (git worktree add), so the {what} names the code "
                         f"that ran; or write it to another results_dir.")


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


def per_seed_frame(records: Mapping[str, Mapping], metrics=None):
    """One row per (experiment, metric) of ``records`` (name -> record): each seed's value, mean and std, in
    percent. ``metrics``: which to show, in that order (those a record lacks are skipped); None = all.
    A seed one record did not run is NaN."""
    import pandas as pd

    rows = []
    for name, rec in records.items():
        names = list(rec["metrics"]) if metrics is None else [m for m in metrics if m in rec["metrics"]]
        for metric in names:
            m = rec["metrics"][metric]
            rows.append({"experiment": name, "metric": metric,
                         **{f"seed {s}": round(100 * v, 2) for s, v in zip(rec["seeds"], m["per_seed"])},
                         "mean": round(100 * m["mean"], 2), "std": round(100 * m["std"], 2)})
    return pd.DataFrame(rows).set_index(["experiment", "metric"])


def epochs_per_seed(record: Mapping) -> list[int]:
    """Epochs each counted seed of ``record`` ran: ``epochs_per_seed`` (resumable jobs, whose
    ``params.epochs`` is the plan), else ``params.epochs`` for every seed; [] for untrained methods."""
    per_seed = record.get("epochs_per_seed")
    if per_seed:
        return [int(e) for e in per_seed]
    epochs = record["params"].get("epochs")
    return [] if epochs is None else [int(epochs)] * max(len(record.get("seeds") or []), 1)


def record_epochs(record: Mapping) -> int | None:
    """Epochs every counted seed of ``record`` ran (the fewest of :func:`epochs_per_seed`); None for
    untrained methods."""
    epochs = epochs_per_seed(record)
    return min(epochs) if epochs else None


#: The folder of a data set's resumable jobs (one subfolder per job name, one ``seed<N>.json`` progress
#: file, ``.pt`` checkpoint and ``.lock`` per seed): ``<results_dir>/<profile>/<dataset>/ae_jobs/``.
JOBS_FOLDER = "ae_jobs"


def jobs_folder(results_dir, profile: str, dataset: str, name: str | None = None) -> Path:
    """``<results_dir>/<profile>/<dataset>/ae_jobs[/<name>]``: where resumable jobs keep their files."""
    folder = records_folder(results_dir, profile, dataset) / JOBS_FOLDER
    return folder / name if name else folder


def job_file(results_dir, profile: str, dataset: str, name: str, seed: int, suffix: str = ".json") -> Path:
    """One seed's file of a resumable job: ``seed<N>.json`` (progress), ``.pt`` (checkpoint) or ``.lock``."""
    if suffix not in (".json", ".pt", ".lock"):
        raise ValueError(f"unknown job file suffix {suffix!r}; use '.json', '.pt' or '.lock'")
    return jobs_folder(results_dir, profile, dataset, name) / f"seed{int(seed)}{suffix}"


def job_file_name(profile: str, dataset: str, name: str, seed: int) -> str:
    """A job's progress file inside the repository (``results/<profile>/<dataset>/ae_jobs/<name>/seed<N>.json``)."""
    return job_file("results", profile, dataset, name, seed).as_posix()


def _seed_of(path: Path) -> int:
    return int(path.stem[4:]) if path.stem[4:].isdigit() else -1


def read_job_files(folder, seeds: Sequence[int] | None = None, *, strict: bool = False) -> list[dict]:
    """The ``seed<N>.json`` progress files in ``folder`` (all, or ``seeds`` in that order), parsed.

    A missing file is left out; so is a half-written or unreadable one, unless ``strict``: then it raises
    ValueError saying how to rerun the job.
    """
    folder = Path(folder)
    paths = (sorted(folder.glob("seed*.json"), key=_seed_of) if seeds is None
             else [folder / f"seed{int(s)}.json" for s in seeds])
    states = []
    for path in paths:
        try:
            states.append(json.loads(path.read_text()))
        except OSError:
            continue
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            if strict:
                raise ValueError(f"job file {path} is not valid JSON ({err}); delete it (and its .pt) to rerun "
                                 f"the job") from err
    return states


def iter_job_files(results_dir, profile: str) -> Iterator[dict]:
    """Every readable job progress file of ``profile``, one at a time (a file holds a training curve; all of
    them at once would be tens of MB), each with its ``dataset`` (from its folder when the file names none),
    by data set, job and seed."""
    for dataset_folder in sorted(p for p in profile_folder(results_dir, profile).glob("*") if p.is_dir()):
        jobs = jobs_folder(results_dir, profile, dataset_folder.name)
        for folder in sorted(p for p in jobs.glob("*") if p.is_dir()):
            for path in sorted(folder.glob("seed*.json"), key=_seed_of):
                for state in read_job_files(folder, [_seed_of(path)]):
                    yield {"dataset": dataset_folder.name, **state}


def preferred_record(results_dir, dataset: str, experiment: str, build_profile: str = "ci"):
    """The paper-profile record if there is one, else this build's; with the profile it came from."""
    for profile in ("paper", build_profile):
        rec = load_record(results_dir, profile, dataset, experiment)
        if rec is not None:
            return rec, profile
    return None, None


# --------------------------------------------------------------------------- exhibits

#: Exhibits larger than this are refused: they hold what a chapter draws (indices, coordinates, small
#: matrices, model outputs rounded), never weights or data sets, and stay small enough to commit.
EXHIBITS_MAX_BYTES = 2_000_000


def exhibits_path(results_dir, profile: str, dataset: str, name: str) -> Path:
    """``<results_dir>/<profile>/<dataset>/exhibits/<name>.json``: beside the records, in a folder of its own
    (record readers glob ``<dataset>/*.json`` and must not take exhibits for records)."""
    return records_folder(results_dir, profile, dataset) / "exhibits" / f"{name}.json"


def exhibits_file_name(profile: str, dataset: str, name: str) -> str:
    """An exhibits file inside the repository (``results/<profile>/<dataset>/exhibits/<name>.json``), as a
    source line names and links it."""
    return exhibits_path("results", profile, dataset, name).as_posix()


def write_exhibits(name: str, data: Mapping, results_dir, profile: str, dataset: str) -> Path:
    """Write the small data a chapter's tables and figures need (``data``: JSON-able) beside its records.

    The file carries the provenance of a record (commit, whether the tree was dirty, versions, time), and a
    paper-profile file into the repository's ``results/`` from uncommitted code is refused, as
    :func:`write_record` refuses a record. Returns the path.
    """
    git = git_state()
    exhibits = {"exhibits": name, "dataset": dataset, "profile": check_profile(profile),
                "git_commit": git_commit(state=git), "git_dirty": git["dirty"], "versions": library_versions(),
                "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"), "data": dict(data)}
    path = exhibits_path(results_dir, profile, dataset, name)
    _refuse_dirty_evidence(path, profile, exhibits["git_commit"], "exhibits")
    # compact separators: the files hold long lists of numbers, where indentation would double the size
    text = json.dumps(exhibits, separators=(",", ":"), allow_nan=False) + "\n"
    if len(text.encode()) > EXHIBITS_MAX_BYTES:
        raise ValueError(f"exhibits {name!r} would take {len(text.encode()):,} bytes, more than "
                         f"{EXHIBITS_MAX_BYTES:,}: store indices and rounded outputs, not data or weights")
    return write_text_atomically(path, text)


def read_exhibits(results_dir, profile: str, dataset: str, name: str) -> dict | None:
    """The exhibits file (its ``data`` and provenance) if it exists, else None."""
    path = exhibits_path(results_dir, profile, dataset, name)
    if not path.exists():
        return None
    try:
        exhibits = json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise ValueError(f"exhibits {path} are not valid JSON: {err}") from err
    if "data" not in exhibits or "git_commit" not in exhibits:
        raise ValueError(f"exhibits {path} lack 'data' or 'git_commit'")
    return exhibits


def _significant(value, digits: int):
    """A number rounded to ``digits`` significant digits (ints, text and None as they are)."""
    if isinstance(value, (bool, np.bool_)) or value is None or isinstance(value, str):
        return value.item() if isinstance(value, np.generic) else value
    if isinstance(value, (int, np.integer)):
        return int(value)
    value = float(value)
    return float(f"{value:.{digits}g}") if math.isfinite(value) else None


def table_exhibit(frame, digits: int = 6) -> dict:
    """A pandas table as exhibits data (index, columns, rows; numbers to ``digits`` significant digits).

    A tuple index (a MultiIndex) is kept as lists and comes back as tuples (:func:`table_from_exhibit`).
    """
    index = [list(i) if isinstance(i, tuple) else _significant(i, digits) for i in frame.index]
    return {"index": index, "index_names": [n for n in frame.index.names], "columns": [str(c) for c in frame.columns],
            "rows": [[_significant(v, digits) for v in row] for row in frame.itertuples(index=False)]}


def table_from_exhibit(data: Mapping):
    """The pandas table :func:`table_exhibit` stored (missing numbers as NaN)."""
    import pandas as pd

    index = data["index"]
    if index and isinstance(index[0], list):
        index = pd.MultiIndex.from_tuples([tuple(i) for i in index], names=data.get("index_names"))
    else:
        index = pd.Index(index, name=(data.get("index_names") or [None])[0])
    rows = [[np.nan if v is None else v for v in row] for row in data["rows"]]
    return pd.DataFrame(rows, index=index, columns=data["columns"])
