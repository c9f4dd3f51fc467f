"""The AE jobs through submitit (osa_lib.book.ae_chapter.executors): the local executor on a tiny job, the Slurm set-up."""
from __future__ import annotations

from pathlib import Path

import pytest

submitit = pytest.importorskip("submitit")

from osa_lib.book.ae_chapter.ae_jobs import AEJob, read_job  # noqa: E402
from osa_lib.book.ae_chapter.executors import AEJobTask, make_executor, submit_jobs  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TINY = dict(epochs=2, eval_every=1, n_train=60, n_test=40, kmeans_n_init=2)


@pytest.fixture
def data_root(tmp_path, fake_mnist_root):
    fake_mnist_root(tmp_path / "data", n_train=60, n_test=40)
    return tmp_path / "data"


def test_local_executor_runs_a_job_to_the_end(tmp_path, data_root):
    """submitit's LocalExecutor runs the job in its own process; the job file is what run_job writes."""
    job = AEJob("ae_acrbm_10", 0, **TINY)
    submitted = submit_jobs([job], tmp_path / "results", kind="local", data_dir=str(data_root), time_minutes=10)
    assert len(submitted) == 1
    state = read_job(job, tmp_path / "results")
    assert state["status"] == "done" and state["epochs_done"] == 2
    assert submitted[0].result()["status"] == "done"
    assert submit_jobs([job], tmp_path / "results", kind="local", data_dir=str(data_root)) == []   # done: not resubmitted


def test_a_preempted_job_is_resubmitted_as_the_same_call():
    """Checkpointable: on preemption/timeout submitit resubmits the same call (the job resumes from its .pt)."""
    task = AEJobTask()
    job = AEJob("ae_kmeans", 1, **TINY)
    delayed = task.checkpoint(job, "/tmp/r", None, 3.0, 1)
    assert delayed.function is task and delayed.args == (job, "/tmp/r", None, 3.0, 1)


def test_slurm_executor_gets_partition_time_limit_signal_and_requeue(tmp_path, monkeypatch):
    """The sbatch file submitit writes (no Slurm here: submitit's srun check is bypassed)."""
    from submitit.slurm import slurm

    monkeypatch.setattr(slurm.SlurmExecutor, "affinity", classmethod(lambda cls: 1))
    ex = make_executor("slurm", tmp_path, partition="gpu", time_minutes=90, threads=2, gpus=1)
    text = slurm._make_sbatch_string(command="python -m x", folder=tmp_path, **ex.parameters)
    for line in ("#SBATCH --partition=gpu", "#SBATCH --time=90", "#SBATCH --requeue", "#SBATCH --signal=USR2@120",
                 "#SBATCH --cpus-per-task=2", "#SBATCH --gpus-per-node=1"):
        assert line in text, line
    with pytest.raises(ValueError, match="PARTITION"):
        make_executor("slurm", tmp_path)
    with pytest.raises(ValueError, match="unknown executor"):
        make_executor("sge", tmp_path)


# The script's path (make paper-ae EXECUTOR=local) runs as the README prints it: tests/test_rerun_commands.py.
