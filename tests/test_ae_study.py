"""The readings study (osa_lib.book.ae_study): screening jobs, their table, the label-free choice."""
from __future__ import annotations

import numpy as np
import pytest

from osa_lib.book import ae_study
from osa_lib.book.ae_jobs import READINGS, run_job


def test_screening_jobs_cover_every_reading_seed_major():
    jobs = ae_study.screening_jobs()
    assert {j.reading for j in jobs} == set(READINGS) and len(jobs) == 2 * len(READINGS)
    assert {j.seed for j in jobs[:len(READINGS)]} == {0}
    assert all(j.epochs == ae_study.SCREEN_EPOCHS and j.tag == "screen" for j in jobs)


def test_table_and_choice_follow_training_accuracy_not_test(tmp_path, fake_mnist_root):
    data = fake_mnist_root(tmp_path / "data", n_train=60, n_test=40)
    readings = ("printed", "detached", "lam0.1")
    for job in ae_study.screening_jobs(readings=readings, epochs=1, n_train=60, n_test=40, eval_every=1):
        run_job(job, tmp_path, data_dir=tmp_path / "data")
    table = ae_study.reading_results(tmp_path, readings=readings)
    assert list(table["seeds_done"]) == [2, 2, 2]
    assert np.isfinite(table["reconstruction_mse_mean"]).all()
    # Make the test accuracy disagree with the training accuracy: the choice must follow training.
    table.loc[table.reading == "lam0.1", ["train_accuracy_mean", "test_accuracy_mean"]] = [99.0, 1.0]
    table.loc[table.reading == "printed", ["train_accuracy_mean", "test_accuracy_mean"]] = [1.0, 99.0]
    assert ae_study.strongest_readings(table, n=2)[0] == "lam0.1"
    assert "printed" not in ae_study.strongest_readings(table, n=2)
    with pytest.raises(ValueError, match="screen is not done"):
        ae_study.strongest_readings(table, n=2, min_seeds=3)
