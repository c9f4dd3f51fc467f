"""The appendix-B autoencoder, the AE + ACRBM / AE + K-means estimators and their runners."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from osa_lib.acrbm import n_parameters
from osa_lib.clustering.ae_estimators import AEACRBM, AEKMeans
from osa_lib.book.ae_runs import (RECIPES, ae_settings, best_of_inits, recipe_params, recipe_table,
                                    split_train_validation)
from osa_lib.clustering.autoencoder import (TABLE3_SIZES, Autoencoder, build_autoencoder, parameter_counts,
                                           table3_sizes)
from osa_lib.data import ClusteringData
from osa_lib.metrics import cluster_accuracy

TINY = dict(encoder_units=16, latent_dim=8, decoder_units=16, conv_channels=(4, 4))


def blob_images(n: int = 240, n_clusters: int = 3, seed: int = 0):
    """``n`` rows of 784 pixels in [0, 1]: each class lights its own horizontal band of a 28x28 image."""
    rng = np.random.default_rng(seed)
    y = rng.permutation(np.arange(n) % n_clusters)
    images = np.full((n, 28, 28), 0.05, dtype=np.float32)
    band = 28 // n_clusters
    for i, c in enumerate(y):
        images[i, c * band:(c + 1) * band, 4:24] = 0.9
    images += rng.normal(0.0, 0.05, size=images.shape).astype(np.float32)
    return np.clip(images, 0.0, 1.0).reshape(n, 784), y.astype(np.int64)


def expected_count(n_head, enc, lat, dec, c1=16, c2=16, architecture="conv"):
    """Parameter count written out layer by layer (the module docstring's architectures)."""
    if architecture == "dense":
        return ((784 * enc + enc) + (enc * enc + enc) + (enc * lat + lat)                  # encoder
                + (lat * n_head + n_head)                                                   # head
                + ((lat + n_head) * dec + dec) + (dec * dec + dec) + (dec * 784 + 784))     # decoder
    flat = c2 * 7 * 7
    return ((9 * c1 + c1) + (9 * c1 * c2 + c2) + (flat * enc + enc) + (enc * lat + lat)   # encoder
            + (lat * n_head + n_head)                                                   # head
            + ((lat + n_head) * dec + dec) + (dec * flat + flat)                        # decoder dense
            + (16 * c2 * c1 + c1) + (16 * c1 + 1))                                      # transposed convs


def test_dense_reading_has_table1_parameter_counts():
    assert parameter_counts("dense") == {"ae_kmeans": 200_094, "ae_acrbm_10": 197_984, "ae_acrbm_30": 850_714}
    assert parameter_counts("conv") == {"ae_kmeans": 186_743, "ae_acrbm_10": 184_633, "ae_acrbm_30": 676_963}
    assert AEACRBM().get_params()["architecture"] == AEKMeans().get_params()["architecture"] == "dense"


@pytest.mark.parametrize("architecture", ["dense", "conv"])
@pytest.mark.parametrize("name", sorted(TABLE3_SIZES))
def test_shapes_and_parameter_counts(name, architecture):
    model = build_autoencoder(name, architecture=architecture)
    enc, lat, dec = table3_sizes(name)
    k = 10 if name == "ae_kmeans" else int(name.rsplit("_", 1)[1])
    assert n_parameters(model) == expected_count(k, enc, lat, dec, architecture=architecture) \
        == parameter_counts(architecture)[name]
    x = torch.rand(3, 1, 28, 28)
    with torch.no_grad():
        recon, h_ae, h_head = model(x)
    assert recon.shape == (3, 1, 28, 28) and h_ae.shape == (3, lat) and h_head.shape == (3, k)
    assert float(recon.min()) > 0 and float(recon.max()) < 1
    if name == "ae_kmeans":
        assert float(h_head.min()) >= 0                                    # ReLU head
    else:
        torch.testing.assert_close(h_head.sum(1), torch.ones(3))           # softmax head


def test_standardize_adds_no_parameters_and_kmeans_head_init_picks_nearest_centre():
    plain = Autoencoder(3, 16, 8, 16)
    bn = Autoencoder(3, 16, 8, 16, standardize=True)
    assert n_parameters(plain) == n_parameters(bn)
    centres = torch.randn(3, 8)
    plain.init_head_from_centroids(centres)
    z = torch.randn(50, 8)
    nearest = torch.cdist(z, centres).argmin(1)
    assert torch.equal(plain.head_activation(z).argmax(1), nearest)


@pytest.mark.parametrize("kwargs, match", [
    (dict(head="gauss"), "head"), (dict(architecture="conv", conv_channels=(4,)), "conv_channels"),
    (dict(temperature=0.0), "temperature"), (dict(architecture="conv", image_size=30), "image_size"),
    (dict(architecture="mlp"), "unknown architecture"),
])
def test_module_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Autoencoder(3, 16, 8, 16, **kwargs)


def test_unknown_sizes_raise():
    with pytest.raises(ValueError, match="unknown model size"):
        table3_sizes("ae_acrbm_20")
    with pytest.raises(ValueError, match="Table 3 has no sizes"):
        AEACRBM(7, epochs=1, progress=False).fit(blob_images(20)[0])
    with pytest.raises(ValueError, match="give all of"):
        AEACRBM(3, latent_dim=8, epochs=1, progress=False).fit(blob_images(20)[0])


@pytest.mark.parametrize("make_X, match", [
    (lambda X: X[:, :783], "square images"), (lambda X: X[0], "2-D"),
    (lambda X: np.where(np.arange(784) == 5, np.nan, X), "NaN"), (lambda X: X * 3, r"\[0, 1\]"),
])
def test_bad_inputs_raise(make_X, match):
    X, _ = blob_images(20)
    with pytest.raises(ValueError, match=match):
        AEACRBM(3, epochs=1, progress=False, **TINY).fit(make_X(X))


@pytest.mark.parametrize("param, value", [("finetune", "both"), ("head_init", "pca"), ("lam", -1.0),
                                          ("reconstruction", "l1"), ("epochs", 0), ("betas", (0.9,)),
                                          ("architecture", "mlp")])
def test_bad_hyperparameters_raise(param, value):
    X, _ = blob_images(20)
    with pytest.raises(ValueError, match=param if param != "betas" else "betas"):
        AEACRBM(3, progress=False, **TINY, **{param: value}).fit(X)


def _fit_tiny(seed=0, **kw):
    X, y = blob_images()
    params = dict(epochs=4, warmup_epochs=3, head_init="kmeans", standardize=True, lam=0.1, lr=1e-2,
                  random_state=seed, progress=False, **TINY)
    params.update(kw)
    return AEACRBM(3, **params).fit(X, eval_set=(X, y)), X, y


def test_tiny_end_to_end_beats_chance_and_records_history():
    model, X, y = _fit_tiny()
    acc = cluster_accuracy(y, model.predict(X))
    assert acc > 0.6                                                      # chance is 1/3
    assert [h["phase"] for h in model.history_] == ["warmup"] * 3 + ["joint"]
    assert all("eval_accuracy_majority" in h and np.isfinite(h["loss"]) for h in model.history_)
    assert model.transform(X).shape == (len(X), 3) and model.latent(X).shape == (len(X), 8)
    assert model.reconstruct(X[:5]).shape == (5, 784)


def test_frozen_head_recipe_counts_every_parameter():
    frozen, _, _ = _fit_tiny(epochs=3, warmup_epochs=2, finetune="head")
    assert [h["phase"] for h in frozen.history_] == ["warmup", "warmup", "head"]
    assert frozen.n_parameters_ == n_parameters(Autoencoder(3, 16, 8, 16))
    assert all(p.requires_grad for p in frozen.module_.parameters())


def test_same_seed_same_predictions():
    a, X, _ = _fit_tiny(seed=3, epochs=2, warmup_epochs=1)
    b, _, _ = _fit_tiny(seed=3, epochs=2, warmup_epochs=1)
    np.testing.assert_array_equal(a.predict(X), b.predict(X))
    np.testing.assert_array_equal(a.transform(X), b.transform(X))


def test_checkpoint_round_trip_and_resume(tmp_path):
    model, X, _ = _fit_tiny(epochs=3, warmup_epochs=2)
    path = model.save(tmp_path / "m.pt")
    loaded = AEACRBM.load(path)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    np.testing.assert_array_equal(loaded.transform(X), model.transform(X))
    assert loaded.history_ == model.history_ and loaded.n_parameters_ == model.n_parameters_
    # Two epochs into a checkpoint, then a resumed fit to three = one uninterrupted fit.
    ckpt = tmp_path / "resume.pt"
    first, _, _ = _fit_tiny(epochs=2, warmup_epochs=2, checkpoint=ckpt)
    assert first.epochs_done_ == 2
    resumed, _, _ = _fit_tiny(epochs=3, warmup_epochs=2, checkpoint=ckpt)
    assert len(resumed.history_) == 3 and resumed.history_[:2] == first.history_
    np.testing.assert_array_equal(resumed.transform(X), model.transform(X))


def test_load_rejects_wrong_class(tmp_path):
    model, _, _ = _fit_tiny(epochs=1, warmup_epochs=0)
    path = model.save(tmp_path / "m.pt")
    with pytest.raises(ValueError, match="AEACRBM"):
        AEKMeans.load(path)


def test_fit_from_warm_start_matches_uninterrupted_fit():
    warm, X, _ = _fit_tiny(epochs=3, warmup_epochs=3)
    direct, _, _ = _fit_tiny(epochs=4, warmup_epochs=3)
    branched = AEACRBM(**direct.get_params()).fit_from(warm, X)
    np.testing.assert_allclose(branched.transform(X), direct.transform(X), atol=1e-6)


def test_ae_kmeans_label_free_choice_and_best_of_inits(tmp_path):
    X, y = blob_images()
    model = AEKMeans(3, head_units=3, epochs=2, lr=1e-2, kmeans_n_init=4, random_state=0, progress=False,
                     checkpoint=tmp_path / "k.pt", **TINY).fit(X)
    assert model.kmeans_centers_.shape == (4, 3, 8)
    assert model.best_init_ == int(np.argmin(model.kmeans_inertia_))
    labels = model.predict_all_inits(X)
    assert labels.shape == (4, len(X))
    np.testing.assert_array_equal(labels[model.best_init_], model.predict(X))
    scores = best_of_inits(model, X, y)
    assert scores["accuracy_majority_best_of_inits"] >= cluster_accuracy(y, model.predict(X)) - 1e-12
    loaded = AEKMeans.load(tmp_path / "k.pt")
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


def test_settings_recipes_and_split():
    assert ae_settings("ci", epochs=2)["epochs"] == 2
    with pytest.raises(ValueError, match="unknown setting"):
        ae_settings("ci", epoch=2)
    with pytest.raises(ValueError, match="unknown profile"):
        ae_settings("full")
    with pytest.raises(ValueError, match="unknown recipe"):
        recipe_params("magic")
    assert all("from_scratch" not in recipe_params(name) for name in RECIPES)
    X, y = blob_images(60)
    data = ClusteringData("mnist", X, y, X[:5], y[:5])
    (Xf, _), (Xv, _) = split_train_validation(data, 40, 20)
    assert len(Xf) == 40 and len(Xv) == 20
    assert not ({r.tobytes() for r in Xf} & {r.tobytes() for r in Xv})
    with pytest.raises(ValueError, match="exceeds"):
        split_train_validation(data, 50, 20)


def test_recipe_table_reads_a_search_record():
    record = {"metrics": {"10/a/accuracy_majority": {"per_seed": [0.5, 0.7], "mean": 0.6, "std": 0.14},
                          "10/a/time_s": {"per_seed": [1.0, 1.0], "mean": 1.0, "std": 0.0},
                          "10/b/accuracy_majority": {"per_seed": [0.8], "mean": 0.8, "std": 0.0}}}
    table = recipe_table(record)
    assert list(table["recipe"]) == ["b", "a"] and table.loc[1, "per seed %"] == "50.0, 70.0"


@pytest.mark.slow
def test_chapter_runs_with_tiny_parameters(tmp_path):
    import json
    import os
    from pathlib import Path

    pm = pytest.importorskip("papermill")
    data = os.environ.get("OSA_DATA_DIR")
    if not data or not (Path(data) / "MNIST" / "raw").is_dir():
        pytest.skip("OSA_DATA_DIR with MNIST is needed")
    root = Path(__file__).resolve().parents[1]
    out, results = tmp_path / "out.ipynb", tmp_path / "results"
    pm.execute_notebook(
        str(root / "notebooks" / "ae_acrbm.ipynb"), str(out), cwd=str(root / "notebooks"),
        parameters={"profile": "ci", "n_train": 800, "n_test": 300, "epochs": 2, "warmup_epochs": 1, "seeds": [0],
                    "kmeans_n_init": 3, "search_n_fit": 400, "search_n_val": 200, "run_search": True,
                    "results_dir": str(results), "checkpoint_dir": str(tmp_path / "ckpt")},
        progress_bar=False, kernel_name="python3")
    for experiment in ("ae_kmeans", "ae_acrbm_10", "ae_acrbm_30", "ae_acrbm_recipe_search"):
        record = json.loads((results / "ci" / "mnist" / f"{experiment}.json").read_text())
        assert record["seeds"] == [0]
    record = json.loads((results / "ci" / "mnist" / "ae_kmeans.json").read_text())
    assert record["params"]["n_train"] == 800 and "accuracy_majority_best_of_inits" in record["metrics"]
    assert len(record["history"][0]) == 2
    nb = json.loads(out.read_text())
    assert not any(o.get("output_type") == "error" for c in nb["cells"] for o in c.get("outputs", []))


def test_deadline_stop_and_resume_equal_one_uninterrupted_fit(tmp_path):
    """A fit stopped by its deadline after each epoch and resumed from the checkpoint = one straight fit."""
    X, y = blob_images()
    params = dict(lam=1.0, lr=1e-2, random_state=4, progress=False, eval_every=1, **TINY)
    straight = AEACRBM(3, epochs=3, **params).fit(X, eval_set=(X, y))
    ckpt = tmp_path / "job.pt"
    model = AEACRBM(3, epochs=3, checkpoint=ckpt, checkpoint_every=100, **params)
    model.fit(X, eval_set=(X, y), deadline=0.0)                 # the deadline has passed: one epoch, then stop
    assert model.epochs_done_ == 1 and not model.complete_ and ckpt.exists()
    while not model.complete_:
        model = AEACRBM(3, epochs=3, checkpoint=ckpt, checkpoint_every=100, **params)
        model.fit(X, eval_set=(X, y), deadline=0.0)
    assert [{k: v for k, v in h.items() if k != "time_s"} for h in model.history_] == \
        [{k: v for k, v in h.items() if k != "time_s"} for h in straight.history_]
    for a, b in zip(model.module_.state_dict().values(), straight.module_.state_dict().values()):
        assert torch.equal(a, b)


def test_checkpoint_of_another_model_or_corrupt_raises_and_is_kept(tmp_path):
    X, _ = blob_images(40)
    ckpt = tmp_path / "m.pt"
    AEACRBM(3, epochs=1, lam=1.0, progress=False, checkpoint=ckpt, **TINY).fit(X)
    before = ckpt.read_bytes()
    with pytest.raises(ValueError, match=r"other hyperparameters.*lam"):
        AEACRBM(3, epochs=2, lam=0.5, progress=False, checkpoint=ckpt, **TINY).fit(X)
    assert ckpt.read_bytes() == before
    ckpt.write_bytes(before[:100])
    with pytest.raises(ValueError, match="cannot be read.*delete it"):
        AEACRBM(3, epochs=2, lam=1.0, progress=False, checkpoint=ckpt, **TINY).fit(X)
    assert ckpt.read_bytes() == before[:100]


def test_kmeans_on_the_head_or_the_latent():
    X, _ = blob_images()
    model = AEKMeans(3, head_units=5, epochs=1, lr=1e-2, kmeans_n_init=2, random_state=0, progress=False,
                     **TINY).fit(X)
    assert model.transform(X).shape == (len(X), 8)
    model.set_params(kmeans_space="head", kmeans_standardize=False).fit_kmeans(X)
    assert model.kmeans_centers_.shape == (2, 3, 5) and model.transform(X).shape == (len(X), 5)
    with pytest.raises(ValueError, match="kmeans_space"):
        model.set_params(kmeans_space="pixels").fit_kmeans(X)
