"""ShallowACRBM: the scikit-learn estimator over the ACRBM layer."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from osa_lib import ShallowACRBM
from osa_lib.metrics import clustering_scores


def small_model(n_clusters=3, **kwargs):
    kwargs = {"epochs": 3, "batch_size": 64, "progress": False, **kwargs}
    return ShallowACRBM(n_clusters, **kwargs)


@pytest.fixture(scope="module")
def clusters(make_clusters):
    return make_clusters(600, 64, 3, noise=0.1, seed=0)


@pytest.fixture(scope="module")
def fitted(clusters):
    X, _ = clusters
    return small_model(3, epochs=10, random_state=0).fit(X)


# --------------------------------------------------------------------------- input validation

BAD_X = {   # scikit-learn's own messages (validate_data)
    "4-D images": (np.full((4, 1, 8, 8), 0.5, dtype=np.float32), "Found array with dim 4"),
    "1-D row": (np.full(8, 0.5), "Expected 2D array, got 1D array"),
    "NaN": (np.array([[0.5, np.nan], [0.1, 0.2]]), "Input X contains NaN"),
    "infinite": (np.array([[0.5, np.inf], [0.1, 0.2]]), "Input X contains infinity"),
    "no rows": (np.zeros((0, 8)), "0 sample"),
    "one row": (np.zeros((1, 8)), "1 sample"),
    "no features": (np.zeros((4, 0)), "0 feature"),
    "strings": (np.array([["a", "b"], ["c", "d"]]), "could not convert"),
    "complex": (np.full((2, 2), 0.5 + 0j), "Complex data not supported"),
}


@pytest.mark.parametrize("case", list(BAD_X))
def test_fit_rejects_bad_inputs(case):
    X, message = BAD_X[case]
    with pytest.raises(ValueError, match=message):
        small_model().fit(X)


BAD_PARAMS = {
    "n_clusters=0": (dict(n_clusters=0), "n_clusters"),
    "n_clusters=2.5": (dict(n_clusters=2.5), "n_clusters"),
    "epochs=0": (dict(epochs=0), "epochs"),
    "epochs=True": (dict(epochs=True), "epochs"),
    "batch_size=0": (dict(batch_size=0), "batch_size"),
    "lr=0": (dict(lr=0.0), "lr"),
    "lr=nan": (dict(lr=float("nan")), "lr"),
    "betas too short": (dict(betas=(0.9,)), "betas"),
    "beta1=1": (dict(betas=(1.0, 0.999)), "betas"),
}


@pytest.mark.parametrize("case", list(BAD_PARAMS))
def test_fit_rejects_bad_hyperparameters(case, clusters):
    params, message = BAD_PARAMS[case]
    model = small_model().set_params(**params)
    with pytest.raises(ValueError, match=message):
        model.fit(clusters[0])


def test_predict_with_another_feature_count_is_refused(fitted):
    with pytest.raises(ValueError, match="X has 63 features, but ShallowACRBM is expecting 64"):
        fitted.predict(np.full((3, 63), 0.5, dtype=np.float32))


def test_unfitted_model_cannot_predict():
    with pytest.raises(NotFittedError):
        small_model().predict(np.full((3, 4), 0.5))


# --------------------------------------------------------------------------- determinism

def test_same_seed_same_model(clusters):
    X, _ = clusters
    torch.manual_seed(1)        # the global torch generator must play no part
    a = small_model(random_state=7).fit(X)
    torch.manual_seed(2)
    b = small_model(random_state=7).fit(X)
    assert np.array_equal(a.history_, b.history_)
    assert np.array_equal(a.predict(X), b.predict(X))
    assert torch.equal(a.module_.weight, b.module_.weight)


@pytest.mark.parametrize("loss", ["acrbm", "confidence"])
def test_hand_written_training_equals_autograd_and_torch_adam(clusters, loss):
    """fit's gradient and Adam step (no autograd) reproduce acrbm_loss/confidence_loss + torch.optim.Adam."""
    from osa_lib.acrbm import ACRBM, acrbm_loss, confidence_loss
    from osa_lib.train import run_epochs, seeded_generator

    X, _ = clusters
    X = X[:200]
    model = small_model(3, epochs=2, batch_size=64, random_state=5, loss=loss).fit(X)
    generator = seeded_generator(5)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(generator.initial_seed()))
        reference = ACRBM(X.shape[1], 3)
    objective = {"acrbm": acrbm_loss, "confidence": confidence_loss}[loss]
    data = torch.from_numpy(X)
    optimizer = torch.optim.Adam(reference.parameters(), lr=1e-2, betas=(0.01, 0.999), foreach=False)
    history = run_epochs(lambda idx: objective(reference(data[idx])), optimizer, len(X), epochs=2, batch_size=64,
                         generator=generator, progress=False)
    np.testing.assert_allclose(model.history_, history, rtol=1e-5)
    torch.testing.assert_close(model.module_.weight, reference.weight.detach(), rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(model.module_.hidden_bias, reference.hidden_bias.detach(), rtol=1e-4, atol=1e-5)


def test_fit_uses_n_threads_and_restores_the_setting(clusters, monkeypatch):
    X, _ = clusters
    seen = []
    real = ShallowACRBM._train

    def spy(self, *args):
        seen.append(torch.get_num_threads())
        return real(self, *args)

    monkeypatch.setattr(ShallowACRBM, "_train", spy)
    before = torch.get_num_threads()
    small_model(n_threads=2, epochs=1).fit(X)
    small_model(n_threads=None, epochs=1).fit(X)
    assert seen == [2, before] and torch.get_num_threads() == before
    with pytest.raises(ValueError, match="n_threads"):
        small_model(n_threads=0).fit(X)


def test_different_seeds_differ(clusters):
    X, _ = clusters
    a = small_model(random_state=0).fit(X)
    b = small_model(random_state=1).fit(X)
    assert not torch.equal(a.module_.weight, b.module_.weight)
    assert a.history_ != b.history_


def test_seed_sets_the_initial_weights():
    # with a vanishing learning rate the fitted weights are the initial ones
    X = np.full((8, 5), 0.5, dtype=np.float32)
    w = [small_model(2, epochs=1, lr=1e-30, random_state=s).fit(X).module_.weight.detach().clone()
         for s in (0, 0, 1)]
    assert torch.equal(w[0], w[1]) and not torch.allclose(w[0], w[2])


def test_fit_leaves_the_global_torch_generator_alone(clusters):
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    small_model(random_state=5, epochs=1).fit(clusters[0])
    assert torch.equal(torch.rand(3), expected)


# --------------------------------------------------------------------------- learning

def test_finds_well_separated_clusters(fitted, clusters):
    X, y = clusters
    scores = clustering_scores(y, fitted.predict(X))
    # chance is 1/3; the three prototypes are found every seed we tried (accuracy 1.0)
    assert scores["accuracy_majority"] > 0.9
    assert scores["accuracy_hungarian"] > 0.9
    assert fitted.history_[-1] < 0.5 * fitted.history_[0]


def test_fitted_attributes(fitted, clusters):
    X, _ = clusters
    assert fitted.n_features_in_ == 64
    assert fitted.n_parameters_ == 64 * 3 + 3
    assert len(fitted.history_) == 10
    assert all(np.isfinite(fitted.history_))
    np.testing.assert_array_equal(fitted.labels_, fitted.predict(X))


def test_transform_rows_are_probabilities(fitted, clusters):
    H = fitted.transform(clusters[0][:50])
    assert H.shape == (50, 3) and H.dtype == np.float32
    np.testing.assert_allclose(H.sum(axis=1), 1.0, rtol=1e-5)
    assert H.min() >= 0.0
    pred = fitted.predict(clusters[0][:50])
    assert pred.dtype == np.int64
    np.testing.assert_array_equal(pred, H.argmax(axis=1))


def test_reconstruct_is_eq9_of_the_codes(fitted, clusters):
    X = clusters[0][:20]
    R = fitted.reconstruct(X)
    assert R.shape == X.shape
    W = fitted.module_.weight.detach().numpy()
    expected = 1.0 / (1.0 + np.exp(-(fitted.transform(X) @ W.T)))
    np.testing.assert_allclose(R, expected, rtol=1e-4, atol=1e-6)


def test_fit_returns_self_and_ignores_y(clusters):
    X, y = clusters
    model = small_model(epochs=1)
    assert model.fit(X, y) is model
    assert len(small_model(epochs=1).fit_predict(X)) == len(X)


@pytest.mark.parametrize("k", [2, 5])
def test_parameter_count_follows_k(k):
    X = np.random.default_rng(0).random((40, 12)).astype(np.float32)
    assert small_model(k, epochs=1).fit(X).n_parameters_ == 12 * k + k


def test_the_last_smaller_batch_is_used():
    # 65 rows, batch 64: a second batch of one row; the model still trains and records one loss per epoch
    X = np.random.default_rng(0).random((65, 8)).astype(np.float32)
    assert len(small_model(2, epochs=2, batch_size=64).fit(X).history_) == 2


# --------------------------------------------------------------------------- scikit-learn protocol

def test_get_params_set_params_clone(clusters):
    model = ShallowACRBM(30, epochs=2, lr=0.05, random_state=4, progress=False)
    params = model.get_params()
    assert params["n_clusters"] == 30 and params["epochs"] == 2 and params["lr"] == 0.05
    assert {"n_clusters", "epochs", "batch_size", "lr", "betas", "random_state", "device", "progress"} <= set(params)
    assert params["betas"] == (0.01, 0.999) and params["batch_size"] == 256     # Table 3's defaults
    assert model.set_params(n_clusters=4, batch_size=32) is model
    assert model.n_clusters == 4 and model.batch_size == 32
    copy = clone(model)
    assert copy is not model and copy.get_params() == model.get_params()
    model.fit(clusters[0])
    assert not hasattr(clone(model), "module_")   # clone drops fitted state
    assert model.n_parameters_ == 64 * 4 + 4


def test_init_stores_without_validating():
    model = ShallowACRBM(1, epochs=0)          # sklearn convention: validation happens in fit
    assert model.n_clusters == 1 and model.epochs == 0


# --------------------------------------------------------------------------- real MNIST (slow)

@pytest.mark.slow
def test_real_mnist_subset_beats_chance_clearly(real_data_dir):
    """10k training images, 5 epochs: seeds 0-2 gave 50-58 % (K = 10) and 68-76 % (K = 30), majority mapping."""
    from osa_lib.data import load_clustering_data

    data = load_clustering_data("mnist", data_dir=real_data_dir, n_train=10_000, n_test=5_000)
    for k, floor in ((10, 0.40), (30, 0.55)):
        model = ShallowACRBM(k, epochs=5, random_state=0, progress=False).fit(data.X_train)
        assert model.n_parameters_ == 784 * k + k
        scores = clustering_scores(data.y_test, model.predict(data.X_test), n_clusters=k)
        assert scores["accuracy_majority"] > floor, (k, scores)


# --------------------------------------------------------------------------- eq 15 as a training objective

def test_eq15_training_is_confident_but_uses_fewer_clusters(clusters):
    """10 clusters on 3-blob data: eq 14 spreads over (nearly) all of them, eq 15 only sharpens."""
    from osa_lib.clustering.codes import cluster_usage, mean_confidence

    X, _ = clusters
    eq14 = small_model(10, epochs=10, random_state=0).fit(X)
    eq15 = small_model(10, epochs=10, random_state=0, loss="confidence").fit(X)
    H14, H15 = eq14.transform(X), eq15.transform(X)
    # seeds 0-3 gave usage 0.9-1.0 for eq 14 and 0.1-0.3 for eq 15
    assert cluster_usage(H14) >= 0.8
    assert cluster_usage(H15) <= 0.5
    assert mean_confidence(H15) > 0.95 and eq15.history_[-1] < 0.05
    assert eq14.history_ != eq15.history_


def test_unknown_training_loss_is_named(clusters):
    with pytest.raises(ValueError, match="eq16"):
        small_model(loss="eq16").fit(clusters[0])


# --------------------------------------------------------------------------- any numeric data

def test_any_real_values_fit_and_the_one_cluster_model_is_trivial(clusters):
    X = clusters[0] * 255.0 - 100.0          # far outside [0, 1]: accepted as they are
    model = small_model().fit(X)
    assert model.transform(X).shape == (len(X), 3) and np.all(np.isfinite(model.history_))
    R = model.reconstruct(X[:5])             # eq 9 is a sigmoid: the reconstruction stays in (0, 1)
    assert R.min() >= 0.0 and R.max() <= 1.0
    one = small_model(1).fit(X)
    assert np.all(one.labels_ == 0) and np.all(one.transform(X) == 1.0)


def test_transform_after_fit_takes_one_row(fitted, clusters):
    assert fitted.transform(clusters[0][:1]).shape == (1, 3)
