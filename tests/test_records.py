"""Result records (osa_lib.book.provenance.records) and the Table 1 comparison built from them."""
from __future__ import annotations

import json
import math
import subprocess
from pathlib import Path

import numpy as np
import pytest

from osa_lib.book.provenance import records as records
from osa_lib.book.provenance.records import (NOT_RUN, REQUIRED_KEYS, load_record, make_record, read_record,
                                             record_path, summarize, summarize_runs, write_record)
from osa_lib.book.page.tables import TABLE1_ROWS, clustering_table, format_metric, paper_results

REPO = Path(records.__file__).resolve().parents[1]


def a_record(profile="paper", dataset="mnist", experiment="shallow_acrbm_10", per_seed=(0.60, 0.62),
             n_parameters=7850, epochs=20, n_train=60000):
    runs = [{"accuracy_majority": a, "nmi": a / 2} for a in per_seed]
    return make_record(experiment=experiment, dataset=dataset, profile=profile,
                       params={"epochs": epochs, "n_train": n_train, "betas": [0.01, 0.999]},
                       seeds=list(range(len(per_seed))), runs=runs, n_parameters=n_parameters,
                       wall_time_s=1.5, device="cpu")


# --------------------------------------------------------------------------- summarize

def test_summarize_mean_and_sample_std():
    s = summarize([0.5, 0.6, 0.7])
    assert s["per_seed"] == [0.5, 0.6, 0.7]
    assert s["mean"] == pytest.approx(0.6)
    assert s["std"] == pytest.approx(0.1)           # ddof = 1; ddof = 0 would give 0.0816...
    assert s["std"] == pytest.approx(np.std([0.5, 0.6, 0.7], ddof=1))


def test_summarize_single_seed_has_zero_std():
    assert summarize([0.42]) == {"per_seed": [0.42], "mean": 0.42, "std": 0.0}


@pytest.mark.parametrize("values", [[0.5, float("nan")], [float("inf")], []])
def test_summarize_rejects_non_finite_and_empty(values):
    with pytest.raises(ValueError):
        summarize(values)


def test_summarize_runs():
    out = summarize_runs([{"a": 0.1, "b": 0.2}, {"a": 0.3, "b": 0.4}])
    assert list(out) == ["a", "b"]
    assert out["a"]["mean"] == pytest.approx(0.2) and out["b"]["per_seed"] == [0.2, 0.4]
    with pytest.raises(ValueError, match="different metrics"):
        summarize_runs([{"a": 0.1}, {"b": 0.2}])
    with pytest.raises(ValueError):
        summarize_runs([])


# --------------------------------------------------------------------------- make / write / read

def test_record_round_trip(tmp_path):
    record = a_record()
    assert all(key in record for key in REQUIRED_KEYS)
    assert record["seeds"] == [0, 1]
    assert record["metrics"]["accuracy_majority"]["mean"] == pytest.approx(0.61)
    assert record["n_parameters"] == 7850
    assert record["device"].startswith("cpu")
    assert {"python", "osa_lib", "torch", "numpy", "scikit-learn"} <= set(record["versions"])
    assert isinstance(record["git_commit"], str) and record["git_commit"]
    path = write_record(record, tmp_path)
    assert path == tmp_path / "paper" / "mnist" / "shallow_acrbm_10.json"
    assert path == record_path(tmp_path, "paper", "mnist", "shallow_acrbm_10")
    back = read_record(path)
    assert back == json.loads(json.dumps(record))
    assert load_record(tmp_path, "paper", "mnist", "shallow_acrbm_10") == back


def test_make_record_keeps_extra_keys_and_none_parameters():
    record = make_record(experiment="kmeans", dataset="mnist", profile="ci", params={}, seeds=[3],
                         runs=[{"nmi": 0.5}], n_parameters=None, wall_time_s=0.1, device="cpu",
                         extra={"data": {"data_root": "/x"}})
    assert record["n_parameters"] is None and record["data"] == {"data_root": "/x"}
    assert record["metrics"]["nmi"]["std"] == 0.0


# --------------------------------------------------------------------------- provenance: the commit

def git(repo, *args):
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=repo, check=True,
                   capture_output=True)


@pytest.fixture
def tmp_repo(tmp_path):
    repo = tmp_path / "repo"
    (repo / "osa_lib").mkdir(parents=True)
    (repo / "osa_lib" / "model.py").write_text("x = 1\n")
    (repo / ".gitignore").write_text("__pycache__/\n")
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "first")
    return repo


def head(repo):
    return subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True).stdout.strip()


def test_git_commit_is_clean_right_after_a_commit(tmp_repo):
    assert records.git_state(tmp_repo) == {"commit": head(tmp_repo), "dirty": False}
    assert records.git_commit(tmp_repo) == head(tmp_repo)


@pytest.mark.parametrize("change", ["edit tracked", "untracked module", "untracked notebook", "untracked script",
                                    "untracked book page", "deleted tracked"])
def test_git_commit_is_dirty_when_code_differs_untracked_files_included(tmp_repo, change):
    target = {"edit tracked": "osa_lib/model.py", "untracked module": "osa_lib/new/ae.py",
              "untracked notebook": "notebooks/ch.ipynb", "untracked script": "scripts/run.py",
              "untracked book page": "book/summary.ipynb", "deleted tracked": "osa_lib/model.py"}[change]
    path = tmp_repo / target
    if change == "deleted tracked":
        path.unlink()
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("y = 2\n")
    assert records.git_state(tmp_repo) == {"commit": head(tmp_repo), "dirty": True}
    assert records.git_commit(tmp_repo) == head(tmp_repo) + "+dirty"


def test_git_commit_ignores_changes_outside_the_code_and_ignored_files(tmp_repo):
    (tmp_repo / "results" / "ci").mkdir(parents=True)
    (tmp_repo / "results" / "ci" / "kmeans.json").write_text("{}")
    (tmp_repo / "README.md").write_text("notes")
    (tmp_repo / "osa_lib" / "__pycache__").mkdir()
    (tmp_repo / "osa_lib" / "__pycache__" / "model.pyc").write_bytes(b"\0")
    assert records.git_state(tmp_repo)["dirty"] is False


def test_git_commit_outside_a_repository_is_unknown(tmp_path):
    assert records.git_state(tmp_path) == {"commit": "unknown", "dirty": None}
    assert records.git_commit(tmp_path) == "unknown"


def test_records_carry_the_commit_and_the_dirty_flag():
    record = a_record()
    state = records.git_state()
    assert record["git_dirty"] == state["dirty"]
    assert record["git_commit"] == state["commit"] + ("+dirty" if state["dirty"] else "")


def test_make_record_writes_with_one_call(tmp_path):
    record = make_record(experiment="kmeans", dataset="mnist", profile="ci", params={}, seeds=[0],
                         runs=[{"nmi": 0.5}], n_parameters=None, wall_time_s=0.1, device="cpu",
                         results_dir=tmp_path)
    assert read_record(tmp_path / "ci" / "mnist" / "kmeans.json") == record


def test_make_record_needs_one_run_per_seed():
    with pytest.raises(ValueError, match="seeds"):
        make_record(experiment="kmeans", dataset="mnist", profile="ci", params={}, seeds=[0, 1],
                    runs=[{"nmi": 0.5}], n_parameters=None, wall_time_s=0.1, device="cpu")


@pytest.mark.parametrize("call", [
    lambda d: make_record(experiment="kmeans", dataset="mnist", profile="nightly", params={}, seeds=[0],
                          runs=[{"nmi": 0.5}], n_parameters=None, wall_time_s=0.1, device="cpu"),
    lambda d: record_path(d, "nightly", "mnist", "kmeans"),
    lambda d: load_record(d, "nightly", "mnist", "kmeans"),
    lambda d: clustering_table(d, build_profile="nightly"),
])
def test_unknown_profile_is_named(tmp_path, call):
    with pytest.raises(ValueError, match="nightly"):
        call(tmp_path)


def test_write_record_refuses_incomplete_records(tmp_path):
    record = a_record()
    del record["git_commit"]
    with pytest.raises(ValueError, match="git_commit"):
        write_record(record, tmp_path)
    assert not any(tmp_path.rglob("*.json"))


def test_read_record_checks_keys_and_json(tmp_path):
    record = a_record()
    del record["wall_time_s"]
    path = tmp_path / "partial.json"
    path.write_text(json.dumps(record))
    with pytest.raises(ValueError, match="wall_time_s"):
        read_record(path)
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        read_record(broken)
    with pytest.raises(FileNotFoundError, match="missing.json"):
        read_record(tmp_path / "missing.json")


def test_load_record_returns_none_when_missing(tmp_path):
    assert load_record(tmp_path, "paper", "mnist", "kmeans") is None
    assert load_record(tmp_path, "ci", "fashion_mnist", "shallow_acrbm_30") is None


# --------------------------------------------------------------------------- formatting and the table

def test_format_metric():
    record = a_record(per_seed=(0.60, 0.62))
    assert format_metric(record, "accuracy_majority") == "61.00 ± 1.41 (2 seeds, 20 ep, 60k train)"
    assert format_metric(record, "accuracy_majority", with_protocol=False) == "61.00 ± 1.41"
    single = a_record(per_seed=(0.5,), n_train=500, epochs=3)
    assert format_metric(single, "accuracy_majority") == "50.00 (1 seed, 3 ep, 500 train)"
    assert format_metric(None, "accuracy_majority") == NOT_RUN == "not run yet"
    assert format_metric(record, "ari") == "—"


def paper_accuracy(experiment: str) -> str:
    row = paper_results()["table1"]["rows"][experiment]
    return row["accuracy"] + (f" ± {row['accuracy_std']}" if "accuracy_std" in row else "")


def test_table_without_records_says_not_run_yet(tmp_path):
    table = clustering_table(tmp_path, "mnist")
    assert len(table) == len(TABLE1_ROWS)
    assert list(table["method"]) == [method for _, method, _ in TABLE1_ROWS]
    assert list(table["clusters"]) == [k for _, _, k in TABLE1_ROWS]
    assert set(table["accuracy % (ours)"]) == {NOT_RUN}
    assert set(table["accuracy % (this build, ci profile)"]) == {NOT_RUN}
    assert list(table["accuracy % (paper)"]) == [paper_accuracy(e) for e, _, _ in TABLE1_ROWS]
    assert list(table["parameters: paper / ours"]) == [f"{paper_results()['table1']['rows'][e]['n_parameters']} / —"
                                                       for e, _, _ in TABLE1_ROWS]


def test_table_shows_written_records(tmp_path):
    write_record(a_record(profile="paper", per_seed=(0.60, 0.62)), tmp_path)
    write_record(a_record(profile="ci", per_seed=(0.55,), n_train=10000, epochs=10), tmp_path)
    table = clustering_table(tmp_path, "mnist", build_profile="ci")
    row = table[table["method"] == "Shallow ACRBM"].iloc[0]       # the K = 10 row comes first
    assert row["clusters"] == 10
    assert row["accuracy % (ours)"] == "61.00 ± 1.41" and row["seeds × epochs, images"] == "2\u00a0×\u00a020, 60k"
    assert row["accuracy % (this build, ci profile)"] == "55.00 (1\u00a0×\u00a010, 10k)"
    assert row["parameters: paper / ours"].endswith(" / 7,850")
    assert row["accuracy % (paper)"] == paper_accuracy("shallow_acrbm_10")
    other = clustering_table(tmp_path, "mnist")
    assert (other["accuracy % (ours)"] == NOT_RUN).sum() == len(TABLE1_ROWS) - 1


def test_table_for_a_dataset_the_paper_did_not_use(tmp_path):
    table = clustering_table(tmp_path, "fashion_mnist")
    assert set(table["accuracy % (paper)"]) == {"not in the paper"}


# --------------------------------------------------------------------------- the paper's numbers

def test_paper_results_file():
    paper = paper_results()
    assert paper["table1"]["dataset"] == "mnist"
    assert {e for e, _, _ in TABLE1_ROWS} == set(paper["table1"]["rows"])
    for row in paper["table1"]["rows"].values():
        assert 0 < float(row["accuracy"]) < 100


def test_paper_numbers_live_in_one_library_file():
    """The paper's numbers are typed once (osa_lib/paper_results.json), never in code or tests."""
    numbers = set()
    for table in ("table1", "table2"):
        for row in paper_results()[table]["rows"].values():
            numbers |= {v for k, v in row.items() if k not in ("method", "n_clusters") and "." in str(v)}
    assert len(numbers) >= 6
    offenders = []
    for folder in ("osa_lib", "tests", "benchmarks"):
        for path in (REPO / folder).rglob("*.py"):
            text = path.read_text()
            offenders += [f"{path.relative_to(REPO)}: {n}" for n in numbers if n in text]
    assert offenders == []


def test_std_is_not_nan_for_equal_seeds():
    s = summarize([0.3, 0.3])
    assert s["std"] == 0.0 and not math.isnan(s["std"])


def test_a_dirty_paper_record_is_refused_in_the_repository_results_but_not_elsewhere(tmp_path):
    from osa_lib.book.provenance import records as r

    rec = {"experiment": "kmeans_refusal_probe", "dataset": "mnist", "profile": "paper", "params": {},
           "seeds": [0], "metrics": {}, "n_parameters": None, "wall_time_s": 0.0, "device": "cpu",
           "versions": {}, "git_commit": "abc123+dirty", "created": "now"}
    with pytest.raises(ValueError, match="uncommitted changes"):
        r.write_record(rec, r.REPOSITORY_RESULTS)
    assert not (r.REPOSITORY_RESULTS / "paper" / "mnist" / "kmeans_refusal_probe.json").exists()
    assert r.write_record(rec, tmp_path).exists()                        # another folder: written
    assert r.write_record({**rec, "git_commit": "abc123"}, tmp_path).exists()


def test_jobs_folder_and_job_files_skip_what_cannot_be_read(tmp_path):
    folder = records.jobs_folder(tmp_path, "paper", "mnist", "ae_acrbm_10_sum")
    assert folder == tmp_path / "paper" / "mnist" / "ae_jobs" / "ae_acrbm_10_sum"
    assert records.jobs_folder(tmp_path, "paper", "mnist") == folder.parent
    folder.mkdir(parents=True)
    for seed in (10, 2):
        (folder / f"seed{seed}.json").write_text(json.dumps({"seed": seed}))
    (folder / "seed3.json").write_text('{"seed": 3, "epo')                      # a half-written file
    assert [s["seed"] for s in records.read_job_files(folder)] == [2, 10]        # numeric order
    assert [s["seed"] for s in records.read_job_files(folder, seeds=[10, 4, 2])] == [10, 2]
    assert records.read_job_files(tmp_path / "none") == []


def test_epochs_per_seed_reads_jobs_else_the_plan():
    assert records.epochs_per_seed({"epochs_per_seed": [500, 277], "params": {"epochs": 500}}) == [500, 277]
    assert records.epochs_per_seed({"seeds": [0, 1, 2], "params": {"epochs": 20}}) == [20, 20, 20]
    assert records.epochs_per_seed({"seeds": [0], "params": {}}) == []
    assert records.record_epochs({"epochs_per_seed": [500, 277], "params": {"epochs": 500}}) == 277
    assert records.record_epochs({"seeds": [0], "params": {}}) is None


# --------------------------------------------------------------------------- exhibits

def test_exhibits_round_trip_beside_the_records_with_provenance(tmp_path):
    data = {"indices": [3, 1, 4], "coordinates": [[0.12, -1.5], [2.0, 0.25]], "facts": {"trustworthiness": 0.987}}
    path = records.write_exhibits("shallow_acrbm_sweep", data, tmp_path, "paper", "mnist")
    assert path == tmp_path / "paper" / "mnist" / "exhibits" / "shallow_acrbm_sweep.json"
    back = records.read_exhibits(tmp_path, "paper", "mnist", "shallow_acrbm_sweep")
    assert back["data"] == data
    assert back["profile"] == "paper" and back["dataset"] == "mnist"
    assert back["git_commit"] == records.git_commit()
    # record readers glob <dataset>/*.json: an exhibits file is not among them
    assert not list((tmp_path / "paper" / "mnist").glob("*.json"))
    assert records.read_exhibits(tmp_path, "ci", "mnist", "shallow_acrbm_sweep") is None


def test_exhibits_refuse_data_sized_payloads_and_broken_files(tmp_path):
    with pytest.raises(ValueError, match="not data or weights"):
        records.write_exhibits("big", {"pixels": [0.5] * 1_000_000}, tmp_path, "ci", "mnist")
    assert not (tmp_path / "ci" / "mnist" / "exhibits" / "big.json").exists()
    broken = records.exhibits_path(tmp_path, "ci", "mnist", "broken")
    broken.parent.mkdir(parents=True, exist_ok=True)
    broken.write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        records.read_exhibits(tmp_path, "ci", "mnist", "broken")


def test_dirty_paper_exhibits_are_refused_in_the_repository_results(tmp_path, monkeypatch):
    monkeypatch.setattr(records, "git_state", lambda repo=None: {"commit": "abc123", "dirty": True})
    with pytest.raises(ValueError, match="uncommitted changes"):
        records.write_exhibits("exhibits_refusal_probe", {"v": 1}, records.REPOSITORY_RESULTS, "paper", "mnist")
    assert not records.exhibits_path(records.REPOSITORY_RESULTS, "paper", "mnist", "exhibits_refusal_probe").exists()
    assert records.write_exhibits("probe", {"v": 1}, tmp_path, "paper", "mnist").exists()   # another folder


def test_tables_round_trip_through_exhibits_rounded():
    import pandas as pd

    frame = pd.DataFrame({"mse": [0.0123456789, 1e-17], "usage": [1.0, float("nan")], "n": [3, 4]},
                         index=pd.MultiIndex.from_tuples([("tied", "trained"), ("untied", "at init")],
                                                         names=["model", "stage"]))
    data = records.table_exhibit(frame, digits=4)
    json.dumps(data, allow_nan=False)                                  # JSON without NaN
    back = records.table_from_exhibit(data)
    assert list(back.index) == [("tied", "trained"), ("untied", "at init")] and back.index.names == ["model", "stage"]
    assert back.loc[("tied", "trained"), "mse"] == 0.01235 and back.loc[("untied", "at init"), "mse"] == 1e-17
    assert np.isnan(back.loc[("untied", "at init"), "usage"]) and back["n"].tolist() == [3, 4]
    plain = records.table_from_exhibit(records.table_exhibit(pd.DataFrame({"a": [0.5]}, index=pd.Index([10], name="K"))))
    assert plain.index.name == "K" and plain.loc[10, "a"] == 0.5


def test_the_records_layer_names_every_path_of_a_record(tmp_path):
    """One home for the layout: the data set's folder, a record, an exhibit, a job, and their repository names."""
    folder = records.records_folder(tmp_path, "paper", "mnist")
    assert folder == tmp_path / "paper" / "mnist"
    assert records.record_path(tmp_path, "paper", "mnist", "kmeans") == folder / "kmeans.json"
    assert records.exhibits_path(tmp_path, "paper", "mnist", "sweep") == folder / "exhibits" / "sweep.json"
    assert records.jobs_folder(tmp_path, "paper", "mnist") == folder / "ae_jobs"
    assert records.record_file_name("paper", "mnist", "kmeans") == "results/paper/mnist/kmeans.json"
    assert records.job_file_name("paper", "mnist", "ae_kmeans", 3) == "results/paper/mnist/ae_jobs/ae_kmeans/seed3.json"
    assert records.exhibits_file_name("paper", "mnist", "sweep") == "results/paper/mnist/exhibits/sweep.json"
    assert records.PROFILES == ("ci", "paper")
    with pytest.raises(ValueError, match="unknown profile 'full'"):
        records.records_folder(tmp_path, "full", "mnist")


def test_committed_records_are_what_git_tracks(tmp_path):
    folder = tmp_path / "paper" / "mnist"
    folder.mkdir(parents=True)
    (folder / "kmeans.json").write_text("{}")
    assert records.committed_records(tmp_path / "absent") == []
    assert records.committed_records(folder) == []                        # outside a git work tree: none ...
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    (folder / "loose.json").write_text("{}")
    subprocess.run(["git", "add", "paper/mnist/kmeans.json"], cwd=tmp_path, check=True)
    assert records.committed_records(folder) == ["kmeans.json"]            # ... inside one, only tracked files


def test_committed_records_without_git_count_every_record(tmp_path, monkeypatch):
    folder = tmp_path / "paper" / "mnist"
    folder.mkdir(parents=True)
    (folder / "kmeans.json").write_text("{}")

    def no_git(*args, **kwargs):
        raise FileNotFoundError("git")
    monkeypatch.setattr(records.subprocess, "run", no_git)
    assert records.committed_records(folder) == []
    assert records.committed_records(folder, without_git=True) == ["kmeans.json"]


def test_iter_job_files_reads_every_job_of_a_profile_one_at_a_time(tmp_path):
    for dataset, name, seed in (("mnist", "ae_kmeans", 1), ("mnist", "ae_kmeans", 0), ("fashion_mnist", "x", 2)):
        path = records.job_file(tmp_path, "paper", dataset, name, seed)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"seed": seed}))
    records.job_file(tmp_path, "paper", "mnist", "ae_kmeans", 2).write_text('{"se')     # half-written: left out
    states = records.iter_job_files(tmp_path, "paper")
    assert iter(states) is states                                                 # a generator, not a list
    assert [(s["dataset"], s["seed"]) for s in states] == [("fashion_mnist", 2), ("mnist", 0), ("mnist", 1)]
    assert list(records.iter_job_files(tmp_path, "ci")) == []
    with pytest.raises(ValueError, match="suffix"):
        records.job_file(tmp_path, "paper", "mnist", "ae_kmeans", 0, ".txt")
