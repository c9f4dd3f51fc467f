"""The shallow chapter's runners (osa_lib.book.shallow_chapter.shallow_runs) on tiny synthetic data: settings, records, sweep."""
from __future__ import annotations

import numpy as np
import pytest

from osa_lib.book.shallow_chapter import shallow_runs as experiments
from osa_lib.book.harness.profiles import CLUSTERING_PROFILES
from osa_lib.book.shallow_chapter.shallow_runs import (clustering_settings, run_kmeans, run_shallow_acrbm,
                                                       sweep_n_clusters, sweep_table)
from osa_lib.data import ClusteringData, load_clustering_data
from osa_lib.book.provenance.records import REQUIRED_KEYS, RunResult, read_record


@pytest.fixture(scope="module")
def tiny(make_clusters):
    X, y = make_clusters(390, 64, 3, noise=0.1, seed=1)
    return ClusteringData("synthetic", X[:300], y[:300], X[300:], y[300:], provenance={"source": "tests"})


def check_metrics(record, names, n_seeds, *, exact=True):
    """``names`` are the metrics (all exactly, or at least those when not ``exact``); fractions in [0, 1]."""
    assert set(record["metrics"]) == set(names) if exact else set(names) <= set(record["metrics"])
    for name, m in record["metrics"].items():
        assert len(m["per_seed"]) == n_seeds, name
        if name in names:
            low = -0.5 if name == "ari" else 0.0       # ARI dips below 0 for worse-than-chance partitions
            assert all(low <= v <= 1.0 for v in m["per_seed"]), name
        assert m["mean"] == pytest.approx(np.mean(m["per_seed"]))
        assert m["std"] == pytest.approx(np.std(m["per_seed"], ddof=1))


# --------------------------------------------------------------------------- settings

def test_settings_per_profile():
    ci, paper = clustering_settings("ci"), clustering_settings("paper")
    assert paper["n_train"] is None and paper["epochs"] == 20 and len(paper["seeds"]) == 5
    # ci runs the same code on less: a training subset and fewer seeds
    assert isinstance(ci["n_train"], int) and 0 < ci["n_train"] < 60_000
    assert 1 <= len(ci["seeds"]) < len(paper["seeds"]) and ci["epochs"] <= paper["epochs"]
    assert set(ci) == set(paper)
    for s in (ci, paper):
        assert all(isinstance(v, tuple) and v for v in (s["seeds"], s["sweep_sizes"], s["sweep_seeds"]))
        assert 10 in s["sweep_sizes"] and 30 in s["sweep_sizes"]


def test_settings_overrides():
    s = clustering_settings("ci", epochs=2, seeds=[4, 5], n_train=None)
    assert s["epochs"] == 2 and s["seeds"] == (4, 5)
    assert s["n_train"] == CLUSTERING_PROFILES["ci"]["n_train"]     # None means "keep the profile's"
    assert clustering_settings("ci")["epochs"] == CLUSTERING_PROFILES["ci"]["epochs"]  # no leak between calls


def test_settings_errors():
    with pytest.raises(ValueError, match="nightly"):
        clustering_settings("nightly")
    with pytest.raises(ValueError, match="learning_rate"):
        clustering_settings("ci", learning_rate=0.1)
    with pytest.raises(ValueError, match="seeds"):
        clustering_settings("paper", seeds=())


# --------------------------------------------------------------------------- runners

def test_run_shallow_acrbm_writes_a_record(tiny, tmp_path):
    run = run_shallow_acrbm(tiny, n_clusters=3, seeds=(0, 1), profile="ci", epochs=2, results_dir=tmp_path,
                            progress=False)
    assert isinstance(run, RunResult)
    record = run.record
    assert all(key in record for key in REQUIRED_KEYS)
    assert record["experiment"] == "shallow_acrbm_3" and record["dataset"] == "synthetic"
    assert record["profile"] == "ci" and record["seeds"] == [0, 1]
    check_metrics(record, {"accuracy_majority", "accuracy_hungarian", "nmi", "ari"}, 2)
    assert record["n_parameters"] == 64 * 3 + 3
    p = record["params"]
    assert p["epochs"] == 2 and p["n_clusters"] == 3 and p["n_train"] == 300 and p["n_test"] == 90
    assert p["betas"] == [0.01, 0.999] and p["lr"] == 0.01 and p["batch_size"] == 256
    assert record["data"] == {"source": "tests"}
    assert len(run.models) == 2 and [m.random_state for m in run.models] == [0, 1]
    assert all(len(h.history_) == 2 for h in run.models)
    assert [len(pred) for pred in run.outputs["test_predictions"]] == [90, 90]
    path = tmp_path / "ci" / "synthetic" / "shallow_acrbm_3.json"
    assert read_record(path)["metrics"] == record["metrics"]
    # the per-seed numbers are the scores of the returned predictions
    assert record["metrics"]["accuracy_majority"]["per_seed"][0] == pytest.approx(
        experiments.clustering_scores(tiny.y_test, run.outputs["test_predictions"][0])["accuracy_majority"])


def test_run_shallow_acrbm_named_experiment_without_results_dir(tiny, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run = run_shallow_acrbm(tiny, n_clusters=4, seeds=(3,), profile="paper", epochs=1, progress=False,
                            experiment="shallow_acrbm_custom")
    assert run.record["experiment"] == "shallow_acrbm_custom"
    assert "accuracy_hungarian" not in run.record["metrics"]         # 4 clusters, 3 classes
    assert run.record["metrics"]["nmi"]["std"] == 0.0
    assert list(tmp_path.iterdir()) == []                             # nothing written


def test_run_kmeans_writes_a_record(tiny, tmp_path):
    run = run_kmeans(tiny, seeds=(0, 1), profile="ci", n_init=1, n_clusters=3, results_dir=tmp_path,
                     progress=False)
    record = run.record
    check_metrics(record, {"accuracy_majority", "accuracy_hungarian", "nmi", "ari"}, 2)
    assert record["experiment"] == "kmeans_3" and record["n_parameters"] is None   # K-means (K != 10) is kmeans_<K>
    assert record["params"]["n_init"] == 1 and record["params"]["n_clusters"] == 3
    assert (tmp_path / "ci" / "synthetic" / "kmeans_3.json").is_file()
    assert record["metrics"]["accuracy_majority"]["mean"] > 0.9      # the blobs are easy for K-means


def test_runners_reject_unknown_profiles(tiny):
    with pytest.raises(ValueError, match="nightly"):
        run_kmeans(tiny, seeds=(0,), profile="nightly", n_init=1, n_clusters=3, progress=False)
    with pytest.raises(ValueError, match="nightly"):
        sweep_n_clusters(tiny, sizes=(2,), seeds=(0,), profile="nightly", epochs=1, progress=False)


# --------------------------------------------------------------------------- the K sweep (Figure 9)

def test_sweep_and_its_table(tiny, tmp_path):
    result = sweep_n_clusters(tiny, sizes=(2, 3), seeds=(0, 1), profile="ci", epochs=1,
                              results_dir=tmp_path, progress=False)
    record, models = result.record, result.outputs["models_by_k"]
    assert isinstance(result, RunResult) and result.models == [models[2], models[3]]
    names = {f"{m}_k{k}" for m in ("accuracy_majority", "confidence", "cluster_usage") for k in (2, 3)}
    check_metrics(record, names, 2, exact=False)
    for k in (2, 3):
        mse = record["metrics"].get(f"reconstruction_mse_k{k}")
        if mse is not None:                # the optional eq 9 read-out: a mean squared error per pixel
            assert all(0.0 <= v <= 1.0 for v in mse["per_seed"])
    assert record["experiment"] == "shallow_acrbm_sweep" and record["params"]["sizes"] == [2, 3]
    assert "n_clusters" not in record["params"] and record["params"]["epochs"] == 1
    assert sorted(models) == [2, 3] and models[3].n_clusters == 3 and models[3].random_state == 0
    for k in (2, 3):   # confidence of K clusters lies in [1/K, 1]
        assert all(1 / k - 1e-6 <= v <= 1 for v in record["metrics"][f"confidence_k{k}"]["per_seed"])
    assert (tmp_path / "ci" / "synthetic" / "shallow_acrbm_sweep.json").is_file()

    table = sweep_table(result)
    assert table.equals(sweep_table(record))           # a RunResult or its record
    percent = ["accuracy_majority %", "accuracy_majority std", "confidence %", "confidence std",
               "cluster_usage %", "cluster_usage std"]
    assert list(table.columns[:7]) == ["K", *percent]
    assert list(table["K"]) == [2, 3]
    assert table.loc[1, "confidence %"] == pytest.approx(100 * record["metrics"]["confidence_k3"]["mean"])
    assert table.loc[0, "cluster_usage std"] == pytest.approx(100 * record["metrics"]["cluster_usage_k2"]["std"])
    assert ((table[percent] >= 0) & (table[percent] <= 100)).all().all()


# --------------------------------------------------------------------------- data plumbing

def test_load_clustering_data_and_provenance(tmp_path, fake_mnist_root):
    fake_mnist_root(tmp_path, n_train=6, n_test=5)
    data = load_clustering_data("mnist", data_dir=tmp_path, n_train=4, n_test=None)
    assert data.X_train.shape == (4, 784) and data.X_test.shape == (5, 784)
    assert data.y_train.shape == (4,) and data.X_train.dtype == np.float32
    prov = data.provenance
    assert prov["data_root"] == str(tmp_path)
    assert sorted(prov["files"]) == sorted(f.name for f in (tmp_path / "MNIST" / "raw").iterdir())
    assert {f["canonical"] for f in prov["files"].values()} == {False}      # random bytes, not MNIST


def test_shallow_sensitivity_scores_every_variant_on_validation(tiny, tmp_path):
    variants = {"base": {}, "small lr": {"lr": 1e-4}, "longer": {"epochs_factor": 2}}
    result = experiments.shallow_sensitivity(tiny, n_clusters=3, seeds=[0, 1], profile="ci", epochs=2,
                                             n_validation=len(tiny.X_train) // 4, variants=variants,
                                             results_dir=tmp_path, progress=False)
    rec = result.record
    assert result.outputs["model_keys"] == [(v, s) for v in variants for s in (0, 1)]
    assert [m.epochs for m in result.models] == [2, 2, 2, 2, 4, 4]
    assert rec["experiment"] == "shallow_acrbm_3_sensitivity"
    assert rec["params"]["evaluated_on"].startswith("validation")
    assert rec["params"]["n_validation"] == len(tiny.X_train) // 4
    for name in variants:
        assert len(rec["metrics"][f"accuracy_majority[{name}]"]["per_seed"]) == 2
    table = experiments.sensitivity_table(result)
    assert list(table["variant"]) == list(variants)
    assert (tmp_path / "ci" / tiny.dataset / "shallow_acrbm_3_sensitivity.json").exists()


def test_kmeans_with_another_k_is_its_own_record_and_trivial_reconstructions_are_recorded(tmp_path, make_clusters):
    from osa_lib.book.shallow_chapter.shallow_runs import run_kmeans, trivial_reconstructions
    from osa_lib.data import ClusteringData

    X, y = make_clusters(90, n_features=16)
    data = ClusteringData("mnist", X[:60], y[:60], X[60:], y[60:], {})
    rec = run_kmeans(data, seeds=[0, 1], profile="ci", n_init=1, n_clusters=4, results_dir=tmp_path,
                     progress=False).record
    assert rec["experiment"] == "kmeans_4" and (tmp_path / "ci" / "mnist" / "kmeans_4.json").exists()
    assert run_kmeans(data, seeds=[0], profile="ci", n_init=1, progress=False).record["experiment"] == "kmeans"
    trivial = trivial_reconstructions(data, profile="ci", results_dir=tmp_path)
    assert set(trivial["metrics"]) == {"mse_all_black", "mse_mean_image"}
    assert trivial["metrics"]["mse_mean_image"]["mean"] < trivial["metrics"]["mse_all_black"]["mean"]


def test_a_run_keeps_its_confusion_counts_per_seed(tiny):
    """The record holds, per seed, the K x C test counts; their majority mapping gives the record's accuracy."""
    from osa_lib.metrics import contingency

    result = run_kmeans(tiny, seeds=[0, 1], profile="ci", n_init=1, n_clusters=4, progress=False)
    tables = result.record["confusion_per_seed"]
    assert len(tables) == 2 and "rows = clusters" in result.record["confusion_axes"]
    for table, pred, acc in zip(tables, result.outputs["test_predictions"],
                                result.record["metrics"]["accuracy_majority"]["per_seed"]):
        table = np.asarray(table)
        assert table.shape == (4, 3) and table.sum() == len(tiny.y_test)
        np.testing.assert_array_equal(table, contingency(tiny.y_test, pred, 4, 3))
        assert table.max(axis=1).sum() / table.sum() == pytest.approx(acc)


def test_shallow_exhibits_keep_indices_and_model_outputs_small_and_round_trip(tiny, tmp_path):
    from osa_lib.book.provenance import records

    sweep = sweep_n_clusters(tiny, sizes=[10, 30], seeds=[0], profile="ci", epochs=1, progress=False)
    exhibits = experiments.shallow_exhibits(tiny, sweep.outputs["models_by_k"], tsne_points=60, seed=0)
    n_test = len(tiny.X_test)
    assert exhibits["n_test"] == n_test and exhibits["reconstructions"]["sizes"] == [10, 30]
    assert exhibits["neighbours"]["sizes"] == []                       # no K = 100 or 300 in this sweep
    shown = exhibits["reconstructions"]["test_indices"]
    assert len(shown) == 12 and all(0 <= i < n_test for i in shown)
    recon = experiments.exhibit_reconstructions(exhibits)
    model = sweep.outputs["models_by_k"][10]
    # reconstructions kept as 0-255 integers: within half a grey level of the model's own output
    assert np.abs(recon[10] - model.reconstruct(tiny.X_test[shown])).max() <= 0.5 / 255 + 1e-9
    tsne = exhibits["tsne"]
    assert len(tsne["test_indices"]) == 60 and tsne["labels"] == tiny.y_test[tsne["test_indices"]].tolist()
    assert np.asarray(tsne["by_k"]["30"]["coordinates"]).shape == (60, 2)
    assert tsne["by_k"]["10"]["clusters"] == model.transform(tiny.X_test[tsne["test_indices"]]).argmax(1).tolist()
    frame = experiments.distortion_frame(exhibits)
    assert list(frame["K"]) == [10, 30] and frame["trustworthiness"].between(0, 1).all()
    assert exhibits["facts"]["trustworthiness_k30"] == tsne["by_k"]["30"]["trustworthiness"]
    path = records.write_exhibits("shallow_acrbm_sweep", exhibits, tmp_path, "ci", "synthetic")
    assert records.read_exhibits(tmp_path, "ci", "synthetic", "shallow_acrbm_sweep")["data"] == exhibits
    assert path.stat().st_size < 200_000
    assert experiments.exhibit_test_images(exhibits, tiny) is tiny.X_test     # the whole split: this run's rows
