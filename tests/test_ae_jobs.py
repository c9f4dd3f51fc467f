"""The resumable per-(row, seed) jobs of Table 1's AE rows (osa_lib.book.ae_chapter.ae_jobs) on tiny fake MNIST."""
from __future__ import annotations

import json

import pytest

from osa_lib.book.ae_chapter.ae_jobs import (AEJob, Deadline, complete_from_checkpoint, gather_record, paper_jobs, read_job,
                                             run_job, run_jobs)


@pytest.fixture
def tiny_job_kwargs():
    return dict(epochs=2, eval_every=1, n_train=60, n_test=40)


@pytest.fixture
def data_root(tmp_path, fake_mnist_root):
    fake_mnist_root(tmp_path / "data", n_train=60, n_test=40)
    return tmp_path / "data"


def test_job_validation():
    with pytest.raises(ValueError, match="unknown experiment"):
        AEJob("ae_acrbm_20", 0)
    with pytest.raises(ValueError, match="unknown architecture"):
        AEJob("ae_acrbm_10", 0, architecture="mlp")
    with pytest.raises(ValueError, match="epochs must be"):
        AEJob("ae_acrbm_10", 0, epochs=0)                     # the estimator's own rule, before the job queues
    with pytest.raises(ValueError, match="kmeans_n_init must be"):
        AEJob("ae_kmeans", 0, kmeans_n_init=0)


def test_paper_jobs_give_every_row_its_first_seed_early():
    jobs = paper_jobs()
    assert len(jobs) == 15 and len({(j.experiment, j.seed) for j in jobs}) == 15
    assert {j.experiment for j in jobs[:3]} == {"ae_kmeans", "ae_acrbm_10", "ae_acrbm_30"}


def test_a_job_runs_resumes_and_is_gathered(tmp_path, data_root, tiny_job_kwargs):
    job = AEJob("ae_acrbm_10", 0, **tiny_job_kwargs)
    # Deadline already passed: one epoch, checkpointed, status "running".
    state = run_job(job, tmp_path, data_dir=data_root, deadline=0.0)
    assert state["status"] == "running" and state["epochs_done"] == 1
    assert job.checkpoint_path(tmp_path).exists()
    partial = gather_record(tmp_path, "paper", "mnist", "ae_acrbm_10", seeds=(0, 1))
    assert partial is None or partial["seeds"] == []
    state = run_job(job, tmp_path, data_dir=data_root)
    assert state["status"] == "done" and state["epochs_done"] == 2
    assert [c["epoch"] for c in state["curve"]] == [1, 2]
    assert 0 <= state["metrics"]["accuracy_majority"] <= 1
    assert run_job(job, tmp_path, data_dir=data_root) == read_job(job, tmp_path)   # a finished job is not rerun
    record = gather_record(tmp_path, "paper", "mnist", "ae_acrbm_10", seeds=(0, 1))
    assert record["seeds"] == [0] and record["seeds_planned"] == [0, 1]
    assert record["epochs_per_seed"] == [2] and record["params"]["architecture"] == "dense"
    assert record["n_parameters"] == 197_984


def test_job_files_written_before_a_new_field_still_match():
    job = AEJob("ae_kmeans", 0)
    stored = {k: v for k, v in job.__dict__.items() if k != "kmeans_n_init"}
    assert job.matches(stored) and not AEJob("ae_kmeans", 0, kmeans_n_init=20).matches(stored)


def test_a_job_file_of_another_configuration_is_refused(tmp_path, data_root, tiny_job_kwargs):
    job = AEJob("ae_acrbm_10", 0, **tiny_job_kwargs)
    run_job(job, tmp_path, data_dir=data_root, deadline=0.0)
    other = AEJob("ae_acrbm_10", 0, **{**tiny_job_kwargs, "epochs": 3})
    with pytest.raises(ValueError, match="another job configuration"):
        run_job(other, tmp_path, data_dir=data_root)
    job.result_path(tmp_path).write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        read_job(job, tmp_path)


def test_run_jobs_refuses_a_finished_file_of_another_budget_before_running_anything(tmp_path, data_root,
                                                                                    tiny_job_kwargs):
    """A finished 2-epoch file must not count as the 3-epoch job done (the Fashion-MNIST rows' 50-epoch files
    sat where their 500-epoch jobs go)."""
    short = AEJob("ae_acrbm_10", 0, **tiny_job_kwargs)
    assert run_job(short, tmp_path, data_dir=data_root)["status"] == "done"
    longer = [AEJob("ae_acrbm_10", seed, **{**tiny_job_kwargs, "epochs": 3}) for seed in (1, 0)]
    with pytest.raises(ValueError, match=r"(?s)1 job file\(s\) belong to another job configuration.*seed0.json: "
                                         r"epochs 2 in the file, 3 asked"):
        run_jobs(longer, tmp_path, data_dir=data_root, n_workers=1)
    assert read_job(longer[0], tmp_path) is None                        # nothing ran
    assert longer[1].differences(read_job(short, tmp_path)["job"]) == {"epochs": (2, 3)}


def test_gather_refuses_seeds_of_different_configurations(tmp_path, data_root, tiny_job_kwargs):
    run_job(AEJob("ae_acrbm_10", 0, **tiny_job_kwargs), tmp_path, data_dir=data_root)
    other = AEJob("ae_acrbm_10", 1, **{**tiny_job_kwargs, "epochs": 3})
    run_job(other, tmp_path, data_dir=data_root)
    with pytest.raises(ValueError, match=r"describe 2 job configurations.*seeds \[0\].*seeds \[1\]"):
        gather_record(tmp_path, "paper", "mnist", "ae_acrbm_10", seeds=(0, 1))
    assert gather_record(tmp_path, "paper", "mnist", "ae_acrbm_10", seeds=(1,))["epochs_per_seed"] == [3]


def test_ae_kmeans_job_scores_every_reading_and_run_jobs_uses_processes(tmp_path, data_root,
                                                                         tiny_job_kwargs, monkeypatch):
    from osa_lib.book.ae_chapter import ae_jobs
    from osa_lib.clustering import ae_presets
    monkeypatch.setitem(ae_presets.PRINTED_PROTOCOL, "AEKMeans", {**ae_presets.PRINTED_PROTOCOL["AEKMeans"],
                                                                  "kmeans_max_samples": 50})
    jobs = [AEJob("ae_kmeans", 0, kmeans_n_init=3, **tiny_job_kwargs)]
    states = run_jobs(jobs, tmp_path, data_dir=data_root, n_workers=1)
    readings = states[0]["readings"]
    assert set(readings) == set(ae_jobs.KMEANS_READINGS)
    for scores in readings.values():
        assert scores["accuracy_majority_best_of_inits"] >= scores["accuracy_majority"] - 1e-12
    record = gather_record(tmp_path, "paper", "mnist", "ae_kmeans", seeds=(0,))
    assert record["params"]["kmeans_reading"] in ae_jobs.KMEANS_READINGS
    assert "accuracy_majority_best_of_inits" in record["metrics"]
    json.dumps(record)
    # Whichever K-means reading is chosen, the record is the row's under the protocol's reading.
    monkeypatch.setattr(ae_jobs, "chosen_kmeans_reading", lambda states: "head_raw")
    record = gather_record(tmp_path, "paper", "mnist", "ae_kmeans", seeds=(0,))
    assert record["experiment"] == "ae_kmeans" and record["params"]["reading"] == "printed"
    assert record["params"]["kmeans_reading"] == "head_raw"


def test_a_killed_job_resumes_from_its_last_checkpoint(tmp_path, data_root):
    """SIGKILL a job mid-run; the rerun resumes from the checkpoint and ends as an uninterrupted run does."""
    import os
    import signal
    import subprocess
    import sys
    import time

    job = AEJob("ae_acrbm_10", 0, epochs=40, eval_every=1, n_train=60, n_test=40)
    code = ("import sys; from osa_lib.book.ae_chapter.ae_jobs import AEJob, run_job; "
            f"run_job(AEJob('ae_acrbm_10', 0, epochs=40, eval_every=1, n_train=60, n_test=40), sys.argv[1], "
            f"data_dir=sys.argv[2], chunk_minutes=1e-4)")
    proc = subprocess.Popen([sys.executable, "-c", code, str(tmp_path / "killed"), str(data_root)])
    try:
        for _ in range(600):
            state = read_job(job, tmp_path / "killed") if job.result_path(tmp_path / "killed").exists() else None
            if state is not None and 2 <= state["epochs_done"] < 40:
                break
            time.sleep(0.05)
        else:
            pytest.skip("the job finished before it could be killed")
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    killed_at = read_job(job, tmp_path / "killed")
    assert killed_at["status"] == "running" and killed_at["epochs_done"] < 40
    # The kernel frees the job's lock once no process of the killed runner holds its file; on a loaded
    # machine that can lag the parent's exit (a forked helper still exiting), so wait for it, at most 30 s.
    lock = job.lock(tmp_path / "killed")
    for _ in range(300):
        if lock.acquire():
            lock.release()
            break
        time.sleep(0.1)
    else:
        pytest.fail(f"the killed runner's lock was never freed: {lock.holder()}")
    resumed = run_job(job, tmp_path / "killed", data_dir=data_root)
    straight = run_job(job, tmp_path / "straight", data_dir=data_root)
    assert [c["epoch"] for c in resumed["curve"]] == list(range(1, 41))
    drop = ("time_s",)
    assert [{k: v for k, v in c.items() if k not in drop} for c in resumed["curve"]] == \
        [{k: v for k, v in c.items() if k not in drop} for c in straight["curve"]]
    assert resumed["metrics"] == straight["metrics"]


def test_a_reading_is_its_own_job_and_record(tmp_path, data_root, tiny_job_kwargs):
    with pytest.raises(ValueError, match="unknown reading"):
        AEJob("ae_acrbm_10", 0, reading="half", **tiny_job_kwargs)
    with pytest.raises(ValueError, match="unknown reading"):
        AEJob("ae_kmeans", 0, reading="detached", **tiny_job_kwargs)     # no ACRBM term to detach there
    job = AEJob("ae_acrbm_10", 0, reading="detached", tag="screen", **tiny_job_kwargs)
    assert job.folder(tmp_path).name == "ae_acrbm_10_detached_screen"
    assert job.estimator().get_params()["head_gradient"] == "detached"
    state = run_job(job, tmp_path, data_dir=data_root)
    assert state["status"] == "done" and state["reading"] == "detached" and state["cpu_capability"]
    assert "grad_encoder_acrbm" in state["curve"][0] and state["curve"][0]["grad_encoder_acrbm"] == 0.0
    assert sum(map(sum, state["confusion"])) == 40 and len(state["cluster_means"]) == 10
    # A job file of an older version (no portrait, no gradient norms) is completed from its checkpoint.
    del state["confusion"], state["metrics"]["reconstruction_mse"]
    state["curve"] = [{k: v for k, v in h.items() if not k.startswith("grad_")} for h in state["curve"]]
    job.result_path(tmp_path).write_text(json.dumps(state))
    completed = complete_from_checkpoint(job, tmp_path, data_dir=data_root)
    assert "confusion" in completed and completed["metrics"]["reconstruction_mse"] > 0
    assert "grad_encoder_acrbm" in completed["curve"][0]
    record = gather_record(tmp_path, "paper", "mnist", "ae_acrbm_10", seeds=(0,), reading="detached", tag="screen")
    assert record["experiment"] == "ae_acrbm_10_detached_screen"
    assert record["params"]["reading"] == "detached"
    assert record["params"]["reading_overrides"] == {"head_gradient": "detached"}
    assert gather_record(tmp_path, "paper", "mnist", "ae_acrbm_10", seeds=(0,)) is None   # the printed row is apart


def test_the_bottleneck_ablation_decodes_from_the_head_alone(tmp_path, data_root, tiny_job_kwargs):
    job = AEJob("ae_kmeans", 0, reading="bottleneck_linear", kmeans_n_init=2, **tiny_job_kwargs)
    model = job.estimator()
    module = model.set_params(epochs=1)._build_module(28)
    assert module.decoder[0].in_features == 10                      # the 10 head units, not 100 + 10
    import torch
    h = module.head_activation(torch.randn(4, 100))
    assert (h < 0).any()                                           # linear head: no ReLU
    state = run_job(job, tmp_path, data_dir=data_root)
    assert state["status"] == "done" and "latent_standardized" in state["readings"]


def test_the_deadline_callback_stops_only_once_the_deadline_has_passed():
    import time

    assert Deadline(0.0).should_stop(None)
    assert not Deadline(time.time() + 3600).should_stop(None)
    assert not Deadline(None).should_stop(None)


def test_gather_keeps_the_metrics_every_finished_seed_has(tmp_path):
    """A seed finished by older code (no reconstruction_mse) and one by newer code gather into one record."""
    import json

    from osa_lib.book.ae_chapter.ae_jobs import gather_record

    folder = tmp_path / "paper" / "mnist" / "ae_jobs" / "ae_acrbm_30"
    folder.mkdir(parents=True)
    for seed, metrics in ((0, {"accuracy_majority": 0.5, "nmi": 0.4}),
                          (1, {"accuracy_majority": 0.6, "nmi": 0.5, "reconstruction_mse": 0.03})):
        path = folder / f"seed{seed}.json"
        path.write_text(json.dumps({
            "job": {"device": "cpu"}, "status": "done", "experiment": "ae_acrbm_30", "dataset": "mnist",
            "profile": "paper", "seed": seed, "epochs": 500, "architecture": "dense", "params": {"lam": 1.0},
            "device": "cpu", "data": {}, "n_train": 60000, "n_test": 10000, "epochs_done": 500,
            "train_time_s": 10.0, "n_parameters": 1, "curve": [], "git_commit": "x", "metrics": metrics}))
    rec = gather_record(tmp_path, "paper", "mnist", "ae_acrbm_30", seeds=(0, 1))
    assert set(rec["metrics"]) == {"accuracy_majority", "nmi"}
    assert rec["metrics_not_in_every_seed"] == ["reconstruction_mse"]
    assert abs(rec["metrics"]["accuracy_majority"]["mean"] - 0.55) < 1e-12


def _hold_job(job, results_dir, data_dir, started, finished):
    """A runner in another process: takes the job (its lock) and trains it."""
    from osa_lib.book.ae_chapter.ae_jobs import run_job as run

    started.set()
    state = run(job, results_dir, data_dir=data_dir)
    finished.put(state["status"])


def test_two_runners_on_one_job_one_trains_it_the_other_skips_it(tmp_path, data_root):
    import multiprocessing as mp
    import time

    from osa_lib.clustering.ae_acrbm import AEACRBM

    job = AEJob("ae_acrbm_10", 0, epochs=40, eval_every=20, n_train=60, n_test=40)
    ctx = mp.get_context("spawn")
    started, finished = ctx.Event(), ctx.Queue()
    first = ctx.Process(target=_hold_job, args=(job, str(tmp_path), str(data_root), started, finished))
    first.start()
    lock_file = job.lock(tmp_path).path
    deadline = time.time() + 120
    while time.time() < deadline and not (lock_file.exists() and job.lock(tmp_path).holder()):
        time.sleep(0.05)
    second = run_job(job, tmp_path, data_dir=data_root)       # the first runner holds the lock now
    first.join(180)
    assert finished.get(timeout=10) == "done"
    if second["status"] != "done":                             # the first had not finished: the second skipped
        assert second["status"] == "locked" and second["locked_by"]["pid"] == first.pid
    state = read_job(job, tmp_path)
    assert state["status"] == "done" and state["epochs_done"] == 40
    assert AEACRBM.load(job.checkpoint_path(tmp_path)).epochs_done_ == 40
    assert not list(job.folder(tmp_path).glob("*.tmp"))        # no temporary file left behind
    assert job.lock(tmp_path).acquire()                        # free once its owner is gone


def test_a_lock_held_in_this_process_makes_the_runner_skip_and_name_the_holder(tmp_path, data_root,
                                                                                 tiny_job_kwargs):
    import os

    job = AEJob("ae_acrbm_10", 0, **tiny_job_kwargs)
    holder = job.lock(tmp_path)
    assert holder.acquire()
    skipped = run_job(job, tmp_path, data_dir=data_root)
    assert skipped["status"] == "locked" and skipped["locked_by"]["pid"] == os.getpid()
    assert read_job(job, tmp_path) is None and not job.checkpoint_path(tmp_path).exists()
    holder.release()
    assert run_job(job, tmp_path, data_dir=data_root)["status"] == "done"
