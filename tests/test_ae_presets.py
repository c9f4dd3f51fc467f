"""The AE estimators' named presets (osa_lib.clustering.ae_presets): each one is the protocol of a committed run.

Every committed AE job file (``results/paper/<dataset>/ae_jobs/<name>/seed<k>.json``) stores the
estimator's ``params`` as the run used them and, under ``job``, the reading, budget and seed; the
preset of that reading, given that budget and seed, must have exactly those params. Every preset
must be the protocol of at least one committed run, and the records gathered from the jobs must
name the preset's overrides.
"""
from __future__ import annotations

import inspect
import json
from pathlib import Path

import pytest
from sklearn.base import clone

from osa_lib.book.ae_chapter.ae_jobs import AEJob
from osa_lib.book.ae_chapter.ae_scoring import KMEANS_READINGS
from osa_lib.clustering import ae_presets
from osa_lib.clustering.ae_acrbm import AEACRBM
from osa_lib.clustering.ae_base import AEBase
from osa_lib.clustering.ae_kmeans import AEKMeans

RESULTS = Path(__file__).resolve().parents[1] / "results" / "paper"
JOB_FILES = sorted(RESULTS.glob("*/ae_jobs/*/seed*.json"))
CLASSES = {"AEACRBM": AEACRBM, "AEKMeans": AEKMeans}
PRESETS = [(name, reading) for name, table in ae_presets.READING_TABLES.items() for reading in table]
#: Parameters a job file does not keep (where the checkpoint goes, whether a bar is shown).
RUNTIME = {"checkpoint", "progress", "checkpoint_every"}


def _plain(value):
    """JSON keeps tuples as lists."""
    return list(value) if isinstance(value, tuple) else value


def _estimator_class(experiment: str):
    return AEKMeans if experiment == "ae_kmeans" else AEACRBM


def _preset_for_job(job: AEJob):
    """The preset of the job's reading with only what a job sets itself: row, budget, seed, device."""
    cls = _estimator_class(job.experiment)
    budget = {"kmeans_n_init": job.kmeans_n_init} if cls is AEKMeans else {}
    return cls.from_reading(job.reading, n_clusters=30 if job.experiment == "ae_acrbm_30" else 10,
                            architecture=job.architecture, epochs=job.epochs, random_state=job.seed,
                            device=job.device, eval_every=job.eval_every, **budget)


def _job_id(path: Path) -> str:
    return f"{path.parts[-4]}/{path.parent.name}/{path.stem}"


def test_there_are_job_files_to_check():
    assert len(JOB_FILES) > 50


@pytest.mark.parametrize("path", JOB_FILES, ids=_job_id)
def test_each_committed_job_ran_its_readings_preset(path):
    state = json.loads(path.read_text())
    job = AEJob(**state["job"])
    cls = _estimator_class(job.experiment)
    preset = _preset_for_job(job).get_params()
    stored = state["params"]
    assert set(stored) <= set(preset), set(stored) - set(preset)
    assert {k: _plain(preset[k]) for k in stored} == stored
    # Parameters added after the run stored its params: the run behaved as their default, and the preset keeps it.
    defaults = {k: p.default for k, p in inspect.signature(cls).parameters.items()}
    later = set(preset) - set(stored) - RUNTIME
    assert {k: preset[k] for k in later} == {k: defaults[k] for k in later}
    # The book's job builds exactly that estimator.
    built = job.estimator().get_params()
    assert {k: v for k, v in built.items() if k not in RUNTIME} == {k: v for k, v in preset.items()
                                                                    if k not in RUNTIME}


def test_every_preset_is_the_protocol_of_a_committed_run():
    seen = {}
    for path in JOB_FILES:
        job = json.loads(path.read_text())["job"]
        cls = _estimator_class(job["experiment"]).__name__
        seen.setdefault((cls, job.get("reading", "printed")), []).append(_job_id(path))
    assert [p for p in PRESETS if p not in seen] == []


#: Records gathered from the jobs (osa_lib.book.ae_chapter.ae_jobs.gather_record) name the reading and its overrides.
RECORDS = sorted(p for p in RESULTS.glob("*/ae_*.json")
                 if "reading_overrides" in json.loads(p.read_text()).get("params", {}))


@pytest.mark.parametrize("path", RECORDS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_each_records_params_are_its_readings_preset(path):
    record = json.loads(path.read_text())
    params = dict(record["params"])
    experiment = record["experiment"].split("_screen")[0]
    cls = AEKMeans if experiment.startswith("ae_kmeans") else AEACRBM
    reading = params["reading"]
    assert params["reading_overrides"] == {k: _plain(v) for k, v in
                                           ae_presets.reading_overrides(cls.__name__, reading).items()}
    preset = cls.from_reading(reading).get_params()
    if "lambda" in params:
        params["lam"] = params.pop("lambda")
    # An AE + K-means record names the K-means input its headline numbers came from (chosen on training data).
    replaced = set(KMEANS_READINGS[params["kmeans_reading"]]) if "kmeans_reading" in params else set()
    budget = {"epochs", "kmeans_n_init", "n_clusters", "eval_every", "device", "architecture"}
    common = (set(params) & set(preset)) - budget - replaced - RUNTIME
    assert len(common) >= 10
    assert {k: params[k] for k in common} == {k: _plain(preset[k]) for k in common}


@pytest.mark.parametrize("estimator, reading", PRESETS)
def test_every_preset_builds_and_clones(estimator, reading):
    cls = CLASSES[estimator]
    model = cls.from_reading(reading)
    params = model.get_params()
    assert type(model) is cls
    assert {k: params[k] for k in ae_presets.preset_params(estimator, reading)} == \
        ae_presets.preset_params(estimator, reading)
    copy = clone(model)
    assert type(copy) is cls and copy.get_params() == params
    model._validate_common()
    model._validate_extra()
    assert params["epochs"] == 500


def test_overrides_win_and_printed_is_the_papers_budget():
    model = AEACRBM.from_reading("sum", n_clusters=30, epochs=100, random_state=3)
    assert (model.n_clusters, model.epochs, model.random_state, model.reconstruction_reduction, model.lam) == \
        (30, 100, 3, "sum", 1.0)
    printed = AEACRBM.from_reading()
    assert (printed.epochs, printed.lam, printed.warmup_epochs, printed.finetune) == (500, 1.0, 0, "joint")
    assert AEKMeans.from_reading("printed").kmeans_n_init == 500
    assert AEKMeans.from_reading("kmeans60k").kmeans_max_samples is None
    assert AEACRBM.from_reading("lam1_3000").lam == pytest.approx(1 / 3000)
    with pytest.raises(TypeError):
        AEACRBM.from_reading("printed", no_such_parameter=1)


def test_the_defaults_are_the_printed_protocol_at_a_short_budget():
    """What the estimators' docstrings say: only the budget differs from from_reading("printed")."""
    for name, cls in CLASSES.items():
        default = cls().get_params()
        differ = {k for k, v in ae_presets.preset_params(name).items() if default[k] != v}
        assert differ == ({"epochs"} if cls is AEACRBM else {"epochs", "kmeans_n_init"}), name
    assert "from_reading(\"printed\")" in AEACRBM.__doc__ and "from_reading(\"printed\")" in AEKMeans.__doc__


@pytest.mark.parametrize("cls, other", [(AEACRBM, "kmeans60k"), (AEKMeans, "lam10")])
def test_an_unknown_reading_names_the_valid_ones(cls, other):
    with pytest.raises(ValueError, match=r"unknown reading 'nope' .*'printed'") as err:
        cls.from_reading("nope")
    assert "'sum'" in str(err.value)
    with pytest.raises(ValueError, match=f"unknown reading '{other}'"):   # the other estimator's reading
        cls.from_reading(other)
    with pytest.raises(ValueError, match="no presets"):
        AEBase.from_reading("printed")


def test_each_reading_changes_what_its_name_says():
    for table in ae_presets.READING_TABLES.values():
        assert table["printed"] == {}
        assert all(overrides for name, overrides in table.items() if name != "printed")
    assert ae_presets.ACRBM_READINGS["pretrain_acrbm"]["warmup_epochs"] == ae_presets.PRETRAIN_EPOCHS
