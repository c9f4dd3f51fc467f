"""Every committed paper-profile record says what produced its numbers: each headline metric is recomputed
from its per-seed values (and, for the AE rows, from the job files it was gathered from), and the params
name the reading those numbers came from."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from osa_lib.book.ae_chapter.ae_scoring import KMEANS_READINGS
from osa_lib.book.provenance.records import read_record

RESULTS = Path(__file__).resolve().parents[1] / "results" / "paper"
RECORDS = sorted(p for p in RESULTS.glob("*/*.json") if p.name != "execution_times.json")


def _id(path: Path) -> str:
    return f"{path.parent.name}/{path.stem}"


@pytest.mark.parametrize("path", RECORDS, ids=_id)
def test_every_metric_is_the_mean_and_std_of_its_seeds(path):
    record = read_record(path)
    for name, m in record["metrics"].items():
        values = np.asarray(m["per_seed"], dtype=float)
        assert len(values) == len(record["seeds"]), name
        assert m["mean"] == pytest.approx(values.mean(), abs=1e-12), name
        assert m["std"] == pytest.approx(values.std(ddof=1) if len(values) > 1 else 0.0, abs=1e-12), name


def _job_records():
    for path in RECORDS:
        record = read_record(path)
        folder = path.parent / "ae_jobs" / record["experiment"]
        if "seeds_planned" in record and folder.is_dir():
            yield pytest.param(path, folder, id=_id(path))


@pytest.mark.parametrize("path, folder", list(_job_records()))
def test_ae_rows_are_their_job_files_and_name_their_reading(path, folder):
    record = read_record(path)
    jobs = {int(s): json.loads((folder / f"seed{s}.json").read_text()) for s in record["seeds"]}
    assert all(job["status"] == "done" for job in jobs.values())
    params = record["params"]
    if record["experiment"].startswith("ae_kmeans"):
        reading = params["kmeans_reading"]
        # the params name the K-means space and standardisation of the headline numbers
        for key, value in KMEANS_READINGS[reading].items():
            assert params[key] == value, (key, params[key], reading)
        source = {s: job["readings"][reading] for s, job in jobs.items()}
    else:
        source = {s: job["metrics"] for s, job in jobs.items()}
    for name, m in record["metrics"].items():
        assert m["per_seed"] == pytest.approx([source[s][name] for s in record["seeds"]]), name
    assert record["epochs_per_seed"] == [jobs[s]["epochs_done"] for s in record["seeds"]]
    if "shown_apart" in record:
        assert not set(record["shown_apart"]["seeds"]) & set(record["seeds"])
