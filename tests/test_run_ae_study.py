"""scripts/run_ae_study.py: which jobs each phase plans from the screens' job files, and --status / --gather-only.

Every test builds a tiny results folder of finished job files (no training, no data): the screens'
training accuracies decide which reading later phases run, as the study says.
"""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from osa_lib.book.ae_chapter import ae_study
from osa_lib.book.ae_chapter.ae_jobs import READINGS, SECOND_SCREEN_READINGS, AEJob
from osa_lib.book.ae_chapter.ae_scoring import KMEANS_READINGS

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "run_ae_study.py"


@pytest.fixture(scope="module")
def study():
    spec = importlib.util.spec_from_file_location("run_ae_study", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_done(results_dir, experiment, seed, reading, *, train, test=0.5, tag="screen", epochs=100, kmeans=None):
    """A finished job file as run_job writes it, with the scores given (fractions); nothing trained."""
    job = AEJob(experiment, seed, epochs=epochs, reading=reading, tag=tag,
                **({"kmeans_n_init": 50} if experiment == "ae_kmeans" else {}))
    params = {k: v for k, v in job.estimator().get_params().items()
              if k not in ("checkpoint", "progress", "checkpoint_every")}
    state = {"job": {**job.__dict__}, "status": "done", "experiment": experiment, "name": job.name,
             "reading": reading, "dataset": "mnist", "profile": "paper", "seed": seed, "epochs": epochs,
             "architecture": "dense", "params": params, "device": "test machine", "threads": 1,
             "data": {"copy": "synthetic"}, "n_train": 60000, "n_test": 10000, "epochs_done": epochs,
             "train_time_s": 1.0, "n_parameters": 1000, "curve": [], "git_commit": "abc", "git_dirty": False}
    if experiment == "ae_kmeans":
        scores = {"accuracy_majority": test, "accuracy_hungarian": test, "nmi": 0.4,
                  "accuracy_majority_best_of_inits": test + 0.01, "accuracy_hungarian_best_of_inits": test,
                  "accuracy_majority_init_median": test, "train_accuracy_majority": train}
        state["readings"] = {r: dict(scores, train_accuracy_majority=(kmeans or {}).get(r, train))
                             for r in KMEANS_READINGS}
    else:
        state["metrics"] = {"accuracy_majority": test, "accuracy_hungarian": test, "nmi": 0.4,
                            "clusters_used": 1.0, "train_accuracy_majority": train, "reconstruction_mse": 0.02}
    path = job.result_path(results_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(state))
    return path


@pytest.fixture
def screened(tmp_path):
    """Screens with two seeds each: at K = 10 "glorot" trains best, then "sum"; at K = 30 "sum" beats
    "glorot"; AE + K-means's screen prefers "sum". Test accuracies point the other way (they choose nothing)."""
    for seed in (0, 1):
        for reading, train in (("printed", 0.50), ("sum", 0.60), ("glorot", 0.70), ("lam10", 0.40)):
            write_done(tmp_path, "ae_acrbm_10", seed, reading, train=train, test=1 - train)
        for reading, train in (("glorot", 0.55), ("sum", 0.65)):
            write_done(tmp_path, "ae_acrbm_30", seed, reading, train=train, test=1 - train)
        for reading, train in (("printed", 0.50), ("sum", 0.62), ("glorot", 0.58), ("beta1_0.9", 0.40)):
            write_done(tmp_path, "ae_kmeans", seed, reading, train=train, test=1 - train)
    # only one seed: cannot be chosen, however well it trains
    write_done(tmp_path, "ae_acrbm_10", 0, "bce", train=0.99)
    return tmp_path


def _plan(jobs):
    return sorted({(j.experiment, j.reading, j.tag, j.epochs, j.dataset) for j in jobs}), sorted({j.seed for j in jobs})


def test_the_screen_plans_every_reading_on_two_seeds_before_any_result(study, tmp_path):
    jobs = study.phase_jobs("screen", str(tmp_path), "cpu")
    assert {j.reading for j in jobs} == set(READINGS) and {j.seed for j in jobs} == set(ae_study.SCREEN_SEEDS)
    assert {(j.experiment, j.tag, j.epochs) for j in jobs} == {("ae_acrbm_10", "screen", ae_study.SCREEN_EPOCHS)}
    # phases that need no screen's result plan on an empty folder
    assert {j.reading for j in study.phase_jobs("screen2", str(tmp_path), "cpu")} == set(SECOND_SCREEN_READINGS)
    assert len(study.phase_jobs("printed30", str(tmp_path), "cpu")) == 3
    # a phase that runs a screen's choice is refused until two readings have two finished seeds
    for phase in ("confirm10", "k30", "summed30", "kmeans_full", "fashion"):
        with pytest.raises(ValueError, match="screen is not done"):
            study.phase_jobs(phase, str(tmp_path), "cpu")


def test_later_phases_take_the_readings_chosen_by_training_accuracy(study, screened):
    d = str(screened)
    assert _plan(study.phase_jobs("k30", d, "cpu")) == (
        [("ae_acrbm_30", "glorot", "screen", 100, "mnist"), ("ae_acrbm_30", "sum", "screen", 100, "mnist")], [0, 1])
    assert _plan(study.phase_jobs("full10", d, "cpu")) == ([("ae_acrbm_10", "glorot", "", 500, "mnist")],
                                                           list(ae_study.FULL_SEEDS))
    assert _plan(study.phase_jobs("full30", d, "cpu"))[0] == [("ae_acrbm_30", "glorot", "", 500, "mnist")]
    assert _plan(study.phase_jobs("printed30", d, "cpu")) == ([("ae_acrbm_30", "printed", "", 500, "mnist")],
                                                              [2, 3, 4])


@pytest.mark.parametrize("phase, experiment, reading", [
    ("confirm10", "ae_acrbm_10", "glorot"),          # the K = 10 screen's strongest
    ("confirm30", "ae_acrbm_30", "glorot"),          # also the K = 10 screen's (the phase's definition)
    ("summed30", "ae_acrbm_30", "sum"),              # the K = 30 screen's strongest
    ("detached10", "ae_acrbm_10", "detached_input"),
    ("detached30", "ae_acrbm_30", "detached_input"),
    ("kmeans_full", "ae_kmeans", "sum"),             # AE + K-means's own screen
])
def test_confirm_phases_run_fresh_seeds_2_to_6_at_the_papers_budget(study, screened, phase, experiment, reading):
    jobs = study.phase_jobs(phase, str(screened), "cpu")
    assert _plan(jobs) == ([(experiment, reading, "", 500, "mnist")], [2, 3, 4, 5, 6])
    assert not set(j.seed for j in jobs) & set(ae_study.SCREEN_SEEDS)
    assert {j.device for j in jobs} == {"cpu"}


def test_kmeans_phases_and_fashion(study, screened):
    d = str(screened)
    kmeans = study.phase_jobs("kmeans", d, "cpu")
    assert {(j.reading, j.seed, j.kmeans_n_init) for j in kmeans} == {
        (r, 0, study.KMEANS_60K_STARTS) for r in ("bottleneck_relu", "kmeans60k", "bottleneck_linear")}
    variants = study.phase_jobs("kmeans_variants", d, "cpu")
    assert len(variants) == 15 and {j.seed for j in variants} == set(ae_study.FULL_SEEDS)
    assert {j.reading for j in study.phase_jobs("kmeans_screen", d, "cpu")} == set(ae_study.KMEANS_SCREEN_READINGS)
    fashion = study.phase_jobs("fashion", d, "gpu")
    assert {j.dataset for j in fashion} == {"fashion_mnist"} and {j.device for j in fashion} == {"gpu"}
    assert {(j.experiment, j.reading) for j in fashion} == {("ae_kmeans", "printed"), ("ae_acrbm_10", "printed"),
                                                           ("ae_acrbm_30", "printed"), ("ae_acrbm_10", "glorot")}


def test_an_unknown_phase_names_the_phases(study, screened):
    with pytest.raises(ValueError, match="unknown phase 'nope'.*confirm10"):
        study.phase_jobs("nope", str(screened), "cpu")
    with pytest.raises(SystemExit):                   # argparse refuses it before anything runs
        study.main(["--phases", "nope", "--results-dir", str(screened)])


def _files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def test_status_prints_the_screen_and_writes_nothing(study, screened, capsys):
    before = _files(screened)
    assert study.main(["--status", "--phases", "screen", "--results-dir", str(screened)]) == 0
    out = capsys.readouterr().out
    assert "glorot" in out and "70.0" in out            # the screen's table, training accuracy in percent
    assert _files(screened) == before


def test_gather_only_writes_the_records_of_finished_jobs_and_trains_nothing(study, screened, capsys):
    before = _files(screened)
    assert study.main(["--gather-only", "--phases", "screen", "--results-dir", str(screened)]) == 0
    written = _files(screened) - before
    assert written == {f"paper/mnist/ae_acrbm_10_{r}_screen.json" for r in ("sum", "glorot", "lam10", "bce")} | {
        "paper/mnist/ae_acrbm_10_screen.json"}
    assert not any(name.endswith((".pt", ".lock")) for name in _files(screened))
    record = json.loads((screened / "paper/mnist/ae_acrbm_10_glorot_screen.json").read_text())
    assert record["seeds"] == [0, 1] and record["params"]["reading"] == "glorot"
    assert record["metrics"]["accuracy_majority"]["mean"] == pytest.approx(0.30)
    assert "wrote" in capsys.readouterr().out
