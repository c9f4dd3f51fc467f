"""The readings study of Table 1's AE + ACRBM rows: screen every reading, pick the strongest without test labels.

The paper leaves lambda, the scale of the reconstruction term, section 3.1's "trained
without considering a reconstruction criterion" and the initialisation open. Each reading
of :data:`osa_lib.book.ae_jobs.READINGS` changes one of them on the paper's own model (the
dense AE, one stage). The study, as run by ``scripts/run_ae_study.py``:

1. **screen**: every reading on AE + ACRBM (10), :data:`SCREEN_SEEDS`, :data:`SCREEN_EPOCHS`
   epochs (the printed protocol's test curves are flat after epoch 30-130, so 100 epochs
   rank the readings; it is a screening budget, not the paper's 500);
2. **select**: :func:`strongest_readings` ranks them by mean *training* accuracy
   (majority mapping on 10,000 training rows): test labels choose nothing;
3. the two strongest also at K = 30 (screen), the strongest at the paper's budget
   (500 epochs x 5 seeds) as its own row beside the printed protocol's.

Records: ``results/paper/<dataset>/<row>_<reading>_screen.json`` (screen) and
``<row>_<reading>.json`` (full budget), the reading under ``params["reading"]``.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from osa_lib.book.ae_jobs import READINGS, AEJob, job_name, job_states, paper_jobs

SCREEN_TAG = "screen"
SCREEN_EPOCHS = 100
SCREEN_SEEDS = (0, 1)
FULL_SEEDS = (0, 1, 2, 3, 4)
#: What ranks the readings: a score that needs no test label.
SELECTION_METRIC = "train_accuracy_majority"

#: One line per reading for the chapter's tables.
READING_LABELS = {
    "printed": "as printed: mean MSE + 1 x ACRBM, full gradient",
    "lam0.01": "lambda = 0.01",
    "lam0.1": "lambda = 0.1",
    "lam10": "lambda = 10",
    "sum": "MSE summed over the pixels of an image",
    "bce": "binary cross-entropy reconstruction",
    "detached": "head on detached h_AE (ACRBM trains the head only)",
    "acrbm_encoder": "encoder on the ACRBM loss alone",
    "glorot": "Glorot-uniform initialisation",
}


def screening_jobs(experiment: str = "ae_acrbm_10", readings=tuple(READINGS), seeds=SCREEN_SEEDS,
                   epochs: int = SCREEN_EPOCHS, **job_kwargs) -> list[AEJob]:
    """The screening jobs of ``readings``, seed-major so that every reading gets its first seed early."""
    jobs = [job for reading in readings
            for job in paper_jobs([experiment], seeds, epochs=epochs, reading=reading, tag=SCREEN_TAG, **job_kwargs)]
    return sorted(jobs, key=lambda j: list(seeds).index(j.seed))


def reading_results(results_dir, *, dataset: str = "mnist", experiment: str = "ae_acrbm_10",
                    readings=tuple(READINGS), tag: str = SCREEN_TAG, profile: str = "paper",
                    seeds=FULL_SEEDS) -> pd.DataFrame:
    """One row per reading with its finished seeds' scores, in percent (NaN where none finished).

    Columns: ``reading, label, seeds_done, epochs, test_accuracy_mean, test_accuracy_std``
    (majority mapping), ``hungarian_mean, nmi_mean, clusters_used_mean, train_accuracy_mean,
    reconstruction_mse_mean`` (per pixel, test split; NaN when the job did not compute it).
    """
    rows = []
    for reading in readings:
        states = [s for s in job_states(results_dir, profile, dataset, experiment, seeds, reading=reading, tag=tag)
                  if s["status"] == "done"]
        metric = lambda name: [100 * s["metrics"][name] for s in states if name in s["metrics"]]
        mean = lambda vals: float(np.mean(vals)) if vals else float("nan")
        acc = metric("accuracy_majority")
        rows.append({
            "reading": reading, "label": READING_LABELS.get(reading, reading), "seeds_done": len(states),
            "epochs": states[0]["epochs"] if states else 0,
            "test_accuracy_mean": mean(acc), "test_accuracy_std": float(np.std(acc, ddof=1)) if len(acc) > 1 else 0.0,
            "hungarian_mean": mean(metric("accuracy_hungarian")), "nmi_mean": mean(metric("nmi")),
            "clusters_used_mean": mean(metric("clusters_used")),
            "train_accuracy_mean": mean(metric(SELECTION_METRIC)),
            "reconstruction_mse_mean": mean([v / 100 for v in metric("reconstruction_mse")]),
        })
    return pd.DataFrame(rows)


def strongest_readings(table: pd.DataFrame, n: int = 2, min_seeds: int = 2) -> list[str]:
    """The ``n`` readings with the best mean training accuracy among those with ``min_seeds`` finished seeds.

    ValueError when fewer than ``n`` readings qualify (the screen has not finished).
    """
    done = table[table["seeds_done"] >= min_seeds]
    if len(done) < n:
        raise ValueError(f"only {len(done)} readings have {min_seeds} finished seeds; the screen is not done")
    return list(done.sort_values("train_accuracy_mean", ascending=False)["reading"][:n])


def full_budget_name(experiment: str, reading: str) -> str:
    """Record name of a reading at the paper's budget (the printed reading keeps the row's own name)."""
    return job_name(experiment, reading)
