"""The reproducibility summary's numbers come from the records' wall times."""
import json

from osa_lib.book.page import reproducibility as rep
from osa_lib.book.provenance.records import REQUIRED_KEYS


def _write(path, record):
    """A record file (every required key, with the given values) or, under ``ae_jobs/``, a job file."""
    if "ae_jobs" not in path.parts:
        record = {**{key: None for key in REQUIRED_KEYS}, **record}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record))


def test_compute_from_records_and_unfinished_jobs(tmp_path):
    _write(tmp_path / "paper" / "mnist" / "kmeans.json",
           {"dataset": "mnist", "wall_time_s": 3600, "device": "cpu: x86_64, 1 torch threads",
            "data": {"data_root": "/somewhere", "sha256": {"a": "1", "b": "2"}}})
    _write(tmp_path / "paper" / "flowers17" / "loc.json",
           {"dataset": "flowers17", "wall_time_s": 1800, "device": "cpu: x86_64, 2 torch threads",
            "data": {"folders_sha256": {"jpg": {"files": 1360, "sha256": "a"}, "trimaps": {"files": 846, "sha256": "b"}}}})
    _write(tmp_path / "paper" / "mnist" / "ae_jobs" / "ae_acrbm_30" / "seed2.json",
           {"dataset": "mnist", "status": "running", "train_time_s": 1800})
    _write(tmp_path / "paper" / "mnist" / "ae_jobs" / "ae_acrbm_30" / "seed0.json",
           {"dataset": "mnist", "status": "done", "train_time_s": 99999})   # counted in an aggregated record
    _write(tmp_path / "ci" / "mnist" / "kmeans.json", {"dataset": "mnist", "wall_time_s": 120, "device": "cpu: x86_64"})
    (tmp_path / "ci" / "mnist" / "broken.json").write_text('{"dataset": "mn')      # unreadable: not counted
    facts = rep.compute_summary(tmp_path)
    assert facts["paper"]["records"] == 2
    assert facts["paper"]["hours"] == 2.0 and facts["paper"]["unfinished_jobs"] == 1
    assert facts["paper"]["threads"] == [1, 2] and facts["paper"]["devices"] == ["CPU (x86_64)"]
    assert facts["paper"]["datasets"]["mnist"]["data_files"] == 2
    assert facts["paper"]["datasets"]["flowers17"]["data_files"] == 1360 + 846     # every file of the folders read
    table = rep.compute_table(tmp_path)
    assert list(table.loc[(table["profile"] == "paper") & (table["data set"] == "all"), "hours"]) == [2.0]
    sentence = rep.compute_sentence(tmp_path)
    assert "2.0 hours" in sentence and "1 autoencoder job" in sentence and "2 minutes" in sentence
    assert "/somewhere" not in sentence and "(s)" not in sentence


def test_duration_and_device_names():
    assert rep.duration(7.26) == "7.3 hours" and rep.duration(0.05) == "3 minutes"
    assert rep.duration(0.001) == "under a minute"
    assert rep.short_device("cuda: NVIDIA H200, 1 torch threads") == "GPU (NVIDIA H200)"
    assert rep.compute_summary(tmp := "/nonexistent") == {}
