"""osa_lib.segmentation.loc (eq 19-22): the observer, the hinged loss, label extraction, median
binarisation, input validation and the LOC estimator."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from osa_lib.segmentation.loc import (LOC, LOCObserver, border_mask, calibrate_batch_norm, check_images,
                                      count_clusters, extract_labels, loc_error, loc_loss, median_binarize,
                                      n_parameters, normalize_images, observe)


# --------------------------------------------------------------------------- observer

@pytest.mark.parametrize("strides", [(1, 1, 1), (2, 1, 1), (2, 2, 1)])
def test_observer_keeps_spatial_size(strides):
    obs = LOCObserver(3, kernel_sizes=(3, 5, 3), strides=strides, filters=(4, 6, 8))
    G = obs(torch.rand(2, 3, 17, 22))
    assert G.shape == (2, 1, 17, 22)


def test_observer_blocks_are_conv_bn_relu():
    obs = LOCObserver(3, (3, 3), (1, 2), (4, 8))
    kinds = [type(m).__name__ for m in obs.blocks]
    assert kinds == ["Conv2d", "BatchNorm2d", "ReLU"] * 2
    assert obs.blocks[3].stride == (2, 2) and obs.blocks[3].out_channels == 8
    # conv weights (no bias: batch norm follows) + batch norm affine + 1x1 head
    assert n_parameters(obs) == 3 * 4 * 9 + 2 * 4 + 4 * 8 * 9 + 2 * 8 + 8 + 1


@pytest.mark.parametrize("kwargs,message", [
    (dict(kernel_sizes=(3,), strides=(1, 1), filters=(4,)), "same non-zero length"),
    (dict(kernel_sizes=(), strides=(), filters=()), "same non-zero length"),
    (dict(kernel_sizes=(0,), strides=(1,), filters=(4,)), "kernel_sizes"),
    (dict(in_channels=0), "in_channels"),
])
def test_observer_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        LOCObserver(**kwargs)


def test_observer_rejects_wrong_channels():
    with pytest.raises(ValueError, match=r"\(B, 3, H, W\)"):
        LOCObserver()(torch.rand(1, 1, 8, 8))


# --------------------------------------------------------------------------- loss: hand cases

def test_loc_error_hand_values():
    v = torch.ones(1, 3, 2, 2)
    assert loc_error(v, torch.zeros(1, 1, 2, 2)).item() == pytest.approx(1.0)      # K = 0
    assert loc_error(v, torch.ones(1, 1, 2, 2)).item() == pytest.approx(0.0)       # K = v: the trivial G = 1
    G = torch.tensor([[[[0.0, 1.0], [1.0, 1.0]]]])
    assert loc_error(v, G).item() == pytest.approx(0.25)                           # one pixel of four wrong
    v2 = torch.full((1, 3, 2, 2), 2.0)
    assert loc_error(v2, torch.full((1, 1, 2, 2), 0.5)).item() == pytest.approx(1.0)   # (2 - 1)^2
    # a G with one channel per colour channel
    Gc = torch.stack([torch.zeros(2, 2), torch.ones(2, 2), torch.ones(2, 2)])[None]
    assert loc_error(v, Gc).item() == pytest.approx(1 / 3)


def test_conv_reading_of_the_product():
    v = torch.rand(2, 3, 6, 8)
    delta = torch.zeros(2, 1, 6, 8)
    delta[:, :, 3, 4] = 1.0                       # a delta kernel at the image centre: K = v
    assert torch.allclose(observe(v, delta, "conv"), v, atol=1e-5)
    assert loc_error(v, delta, "conv").max().item() < 1e-9
    shifted = torch.roll(delta, shifts=1, dims=-1)  # off centre: K is v shifted by one pixel
    assert torch.allclose(observe(v, shifted, "conv"), torch.roll(v, 1, dims=-1), atol=1e-5)
    with pytest.raises(ValueError, match="product"):
        observe(v, delta, "outer")


def test_hinge_per_image():
    v = torch.ones(2, 1, 1, 2)
    G = torch.tensor([[[[0.0, 0.0]]], [[[1.0, 1.0]]]])      # errors 1 and 0
    assert loc_loss(v, G, 0.5).item() == pytest.approx(0.5)   # mean of (1, 0)
    assert loc_loss(v, G, 1.0).item() == 0.0                  # eps = rho: not > rho, off
    assert loc_loss(v, G, 0.0).item() == pytest.approx(0.5)   # rho = 0: plain MSE


def test_hinge_per_batch():
    v = torch.ones(2, 1, 1, 2)
    G = torch.tensor([[[[0.0, 0.0]]], [[[1.0, 1.0]]]])       # batch mean error 0.5
    assert loc_loss(v, G, 0.4, reduction="batch").item() == pytest.approx(0.5)
    assert loc_loss(v, G, 0.6, reduction="batch").item() == 0.0
    assert loc_loss(v, G, 0.6, reduction="image").item() == pytest.approx(0.5)   # image 1 still fires


def test_literal_unit_images_never_fire_at_rho_one_half():
    """With v in [0, 1] the error of any G in [0, 1] is at most mean(v^2) <= 1: for dark images below rho."""
    v = torch.full((1, 3, 4, 4), 0.6)                        # mean v^2 = 0.36 < 0.5
    for g in (0.0, 0.5, 1.0):
        assert loc_loss(v, torch.full((1, 1, 4, 4), g), 0.5).item() == 0.0


def test_no_gradient_where_the_hinge_is_off():
    v = torch.ones(2, 1, 2, 2)
    G = torch.tensor([0.0, 0.9]).view(2, 1, 1, 1).expand(2, 1, 2, 2).clone().requires_grad_(True)
    loc_loss(v, G, 0.5).backward()
    assert G.grad[1].abs().sum() == 0 and G.grad[0].abs().sum() > 0
    assert (G.grad[0] < 0).all()            # descent raises G towards 1


@pytest.mark.parametrize("v,G,rho,reduction,message", [
    (torch.ones(1, 3, 2), torch.ones(1, 1, 2, 2), 0.5, "image", "v must have shape"),
    (torch.ones(1, 3, 2, 2), torch.ones(1, 2, 2), 0.5, "image", "G must have shape"),
    (torch.ones(2, 3, 2, 2), torch.ones(1, 1, 2, 2), 0.5, "image", "batch size"),
    (torch.ones(1, 3, 2, 2), torch.ones(1, 1, 3, 2), 0.5, "image", "spatial size"),
    (torch.ones(1, 3, 2, 2), torch.ones(1, 2, 2, 2), 0.5, "image", "1 or 3 channels"),
    (torch.ones(1, 3, 2, 2), torch.ones(1, 1, 2, 2), -0.1, "image", "rho"),
    (torch.ones(1, 3, 2, 2), torch.ones(1, 1, 2, 2), float("nan"), "image", "rho"),
    (torch.ones(1, 3, 2, 2), torch.ones(1, 1, 2, 2), 0.5, "pixel", "reduction"),
    (np.ones((1, 3, 2, 2)), torch.ones(1, 1, 2, 2), 0.5, "image", "torch tensors"),
])
def test_loss_bad_inputs(v, G, rho, reduction, message):
    with pytest.raises(ValueError, match=message):
        loc_loss(v, G, rho, reduction)


# --------------------------------------------------------------------------- normalisation

def test_normalisations():
    x = torch.rand(3, 3, 10, 12)
    assert torch.equal(normalize_images(x, "unit"), x)
    v = normalize_images(x, "image")
    assert torch.allclose(v.mean(dim=(2, 3)), torch.zeros(3, 3), atol=1e-5)
    assert torch.allclose(v.pow(2).mean(dim=(2, 3)), torch.ones(3, 3), atol=1e-3)
    v = normalize_images(x, "border")
    assert torch.allclose(v.pow(2).mean(dim=(1, 2, 3)), torch.ones(3), atol=1e-3)


def test_border_normalisation_zeroes_edge_coloured_pixels():
    x = torch.zeros(1, 3, 20, 20)
    x[:, 0] = 0.2                          # a reddish background everywhere
    x[:, :, 6:14, 6:14] = 0.9              # a bright flower in the middle
    v = normalize_images(x, "border")
    assert v[0, :, 0, 0].abs().max() < 1e-6 and v[0, :, 10, 10].abs().min() > 0.5
    frame = border_mask(20, 20, 0.1)
    assert frame.sum() == 20 * 20 - 16 * 16 and frame[0].all() and not frame[10, 10]
    with pytest.raises(ValueError, match="border width"):
        border_mask(10, 10, 0.6)
    with pytest.raises(ValueError, match="normalisation"):
        normalize_images(x, "global")
    with pytest.raises(ValueError, match=r"\(B, C, H, W\)"):
        normalize_images(torch.zeros(3, 4, 4), "image")


# --------------------------------------------------------------------------- labels and binary masks

def test_extract_labels_clips_and_rounds():
    G = np.array([[-0.7, 0.2, 0.49], [0.51, 1.4, 2.6]])
    np.testing.assert_array_equal(extract_labels(G), [[0, 0, 0], [1, 1, 3]])
    np.testing.assert_array_equal(extract_labels(G, max_label=2), [[0, 0, 0], [1, 1, 2]])
    labels = extract_labels(torch.tensor(G)[None, None])          # (N, 1, H, W) tensor
    assert labels.shape == (1, 2, 3) and labels.dtype == np.int64
    assert extract_labels(np.array([[0.5, 1.5, 2.5]])).tolist() == [[0, 2, 2]]   # half to even


@pytest.mark.parametrize("G,message", [
    (np.zeros(4), "must have shape"),
    (np.zeros((1, 2, 3, 3)), "one channel"),
    (np.array([[np.nan, 0.0]]), "NaN"),
])
def test_extract_labels_bad_inputs(G, message):
    with pytest.raises(ValueError, match=message):
        extract_labels(G)


@pytest.mark.parametrize("labels,expected", [
    ([[0, 1], [1, 0]], [[0, 1], [1, 0]]),                # {0, 1}: median 0.5 -> 1 is foreground
    ([[0, 1], [2, 2]], [[0, 0], [1, 1]]),                # {0, 1, 2}: median 1 -> only 2
    ([[0, 1], [2, 3]], [[0, 0], [1, 1]]),                # {0, 1, 2, 3}: median 1.5
    ([[3, 7], [7, 7]], [[0, 1], [1, 1]]),                # labels need not start at 0
    ([[2, 2], [2, 2]], [[0, 0], [0, 0]]),                # one cluster: all background
    ([[0, 5], [9, 1]], [[0, 1], [1, 0]]),                # {0, 1, 5, 9}: median 3
])
def test_median_binarize_cases(labels, expected):
    out = median_binarize(np.array(labels))
    np.testing.assert_array_equal(out, expected)
    assert out.dtype == np.uint8


def test_median_binarize_is_per_image():
    labels = np.array([[[0, 1]], [[1, 2]], [[0, 2]]])
    np.testing.assert_array_equal(median_binarize(labels), [[[0, 1]], [[0, 1]], [[0, 1]]])
    np.testing.assert_array_equal(count_clusters(labels), [2, 2, 2])
    assert count_clusters(np.array([[0, 0], [3, 1]])) == 3


@pytest.mark.parametrize("labels,message", [
    (np.zeros(3, dtype=int), "must have shape"),
    (np.array([[0.5, 1.0]]), "integers"),
    (np.zeros((0, 2, 2), dtype=int), "empty"),
])
def test_binarize_bad_inputs(labels, message):
    with pytest.raises(ValueError, match=message):
        median_binarize(labels)


# --------------------------------------------------------------------------- training

def _toy_images(n: int = 24, size: int = 16, seed: int = 0) -> np.ndarray:
    """Bright squares of random colour on a darker, noisy background."""
    rng = np.random.default_rng(seed)
    X = 0.3 * rng.random((n, 3, size, size)) + 0.1
    for i in range(n):
        X[i, :, 4:12, 4:12] = rng.uniform(0.6, 1.0, size=(3, 1, 1))
    return X.astype(np.float32)


def test_loc_fit_predict_shapes_and_determinism():
    X = _toy_images()
    kw = dict(normalization="border", epochs=2, batch_size=8, filters=(4, 4, 4), strides=(2, 1, 1),
              progress=False, random_state=3)
    a, b = LOC(**kw).fit(X), LOC(**kw).fit(X)
    G = a.predict_G(X[:5])
    assert G.shape == (5, 16, 16) and G.dtype == np.float32
    np.testing.assert_array_equal(G, b.predict_G(X[:5]))
    assert len(a.history_) == len(a.active_) == len(a.error_) == 2
    labels = a.predict_labels(X[:5])
    masks = a.predict(X[:5])
    assert labels.dtype == np.int64 and labels.min() >= 0
    assert masks.shape == (5, 16, 16) and set(np.unique(masks)) <= {0, 1}
    assert a.error(X[:5]).shape == (5,)
    assert a.active_[0] > 0                       # border-normalised v starts with eps = 1 > rho


def test_literal_unit_reading_learns_nothing():
    """v in [0, 1], rho = 0.5: every error is below rho, so the weights never move (only batch norm's statistics)."""
    X = 0.6 * _toy_images()                       # mean v^2 < 0.5
    model = LOC(normalization="unit", epochs=2, batch_size=8, filters=(4, 4, 4), progress=False, random_state=0)
    torch.manual_seed(0)
    init = LOCObserver(3, (3, 3, 3), (1, 1, 1), (4, 4, 4))
    model.fit(X)
    assert model.active_ == [0.0, 0.0] and model.history_ == [0.0, 0.0] and model.weight_change_ == 0.0
    for (name, p0), p1 in zip(init.named_parameters(), model.observer_.parameters()):
        assert torch.equal(p0, p1), name


def test_skipping_backward_on_idle_batches_changes_nothing():
    """The no-autograd pass for idle epochs gives exactly the weights of the plain loop."""
    X = _toy_images(32)
    kw = dict(normalization="border", epochs=4, batch_size=8, filters=(4, 4, 4), progress=False, random_state=1)
    fast = LOC(**kw).fit(X)
    slow = LOC(**kw)
    # the plain loop: backward through the (possibly zero) loss on every batch
    from osa_lib.train import seeded_generator

    gen = seeded_generator(1)
    torch.manual_seed(1)
    V = normalize_images(torch.as_tensor(X), "border")
    obs = LOCObserver(3, (3, 3, 3), (1, 1, 1), (4, 4, 4))
    opt = torch.optim.Adam(obs.parameters(), lr=1e-3, betas=(0.9, 0.999))
    obs.train()
    for _ in range(4):
        order = torch.randperm(len(V), generator=gen)
        for s in range(0, len(V), 8):
            v = V[order[s:s + 8]]
            loss = loc_loss(v, obs(v), 0.5)
            opt.zero_grad()
            loss.backward()
            opt.step()
    assert 0.0 in fast.active_                                  # the idle path did run
    for p_fast, p_slow in zip(fast.observer_.state_dict().values(), obs.state_dict().values()):
        assert torch.allclose(p_fast.float(), p_slow.float(), atol=1e-6)
    del slow


def test_loc_bad_arguments():
    X = _toy_images(4)
    with pytest.raises(ValueError, match="normalisation"):
        LOC(normalization="zscore", progress=False).fit(X)
    with pytest.raises(ValueError, match="reduction"):
        LOC(reduction="pixel", progress=False).fit(X)
    with pytest.raises(ValueError, match=r"\(N, 3, H, W\)"):
        LOC(progress=False).fit(X[:, :1])
    with pytest.raises(ValueError, match="epochs"):
        LOC(epochs=-1, progress=False).fit(X)
    with pytest.raises(ValueError, match="batch_size"):
        LOC(batch_size=0, progress=False).fit(X)
    with pytest.raises(ValueError, match="rho"):
        LOC(rho=float("nan"), progress=False).fit(X)
    with pytest.raises(ValueError, match="betas"):
        LOC(betas=(0.9,), progress=False).fit(X)


@pytest.mark.parametrize("method", ["predict", "predict_G", "predict_labels", "error"])
def test_not_fitted_error_before_fit(method):
    with pytest.raises(NotFittedError):
        getattr(LOC(), method)(_toy_images(2))


@pytest.mark.parametrize("bad, message", [
    (np.zeros((2, 16, 16, 3), np.float32), r"transpose \(N, H, W, 3\)"),
    (np.zeros((2, 16, 16), np.float32), r"\(N, 3, H, W\)"),
    (np.zeros((0, 3, 16, 16), np.float32), "empty"),
    (np.full((2, 3, 4, 4), np.nan, np.float32), "NaN"),
    (np.full((2, 3, 4, 4), 255.0, np.float32), r"\[0, 1\].*255"),
    (np.full((2, 3, 4, 4), "a"), "real numbers"),
])
def test_input_validation_names_the_problem(bad, message):
    with pytest.raises(ValueError, match=message):
        check_images(bad)
    with pytest.raises(ValueError, match=message):
        LOC(epochs=1, progress=False).fit(bad)


def test_predict_validates_its_input():
    model = LOC(epochs=0, filters=(4, 4, 4), progress=False).fit(_toy_images(4))
    with pytest.raises(ValueError, match="NaN"):
        model.predict(np.full((1, 3, 16, 16), np.nan, np.float32))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        model.predict_G(2 * _toy_images(2))


def test_sklearn_params_and_clone():
    model = LOC(rho=0.3, normalization="border", filters=(4, 4, 4), epochs=2, random_state=5)
    params = model.get_params()
    assert params["rho"] == 0.3 and params["filters"] == (4, 4, 4) and params["random_state"] == 5
    assert {"device", "progress", "betas", "border", "max_label"} <= set(params)
    model.set_params(rho=0.7, epochs=1)
    assert model.rho == 0.7 and model.epochs == 1
    fitted = LOC(epochs=1, batch_size=8, filters=(4, 4, 4), progress=False, random_state=2).fit(_toy_images(8))
    copy = clone(fitted)
    assert copy.get_params() == fitted.get_params() and not hasattr(copy, "observer_")
    np.testing.assert_array_equal(copy.fit(_toy_images(8)).predict_G(_toy_images(2)),
                                  fitted.predict_G(_toy_images(2)))


def test_fit_leaves_the_global_torch_generator_alone():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    LOC(epochs=1, batch_size=8, filters=(4, 4, 4), progress=False, random_state=0).fit(_toy_images(8))
    assert torch.equal(torch.rand(3), expected)


def test_untrained_observer_keeps_its_initial_weights():
    """epochs=0: the seeded initialisation of the trained model, batch norm statistics from the data."""
    X = _toy_images(16)
    kw = dict(normalization="border", batch_size=8, filters=(4, 4, 4), progress=False, random_state=4)
    untrained, trained = LOC(epochs=0, **kw).fit(X), LOC(epochs=3, **kw).fit(X)
    assert untrained.history_ == [] and untrained.weight_change_ == 0.0 and trained.weight_change_ > 0
    torch.manual_seed(4)
    init = LOCObserver(3, (3, 3, 3), (1, 1, 1), (4, 4, 4))
    for p0, p1 in zip(init.parameters(), untrained.observer_.parameters()):
        assert torch.equal(p0, p1)
    bn = untrained.observer_.blocks[1]
    assert bn.momentum == 0.1 and not torch.equal(bn.running_var, torch.ones_like(bn.running_var))
    assert untrained.predict(X).shape == (16, 16, 16)


def test_calibrate_batch_norm_gives_the_data_statistics():
    net = torch.nn.Sequential(torch.nn.BatchNorm2d(3))
    V = torch.randn(10, 3, 4, 4) * 2 + 1
    calibrate_batch_norm(net, V, batch_size=5)
    np.testing.assert_allclose(net[0].running_mean, V.mean(dim=(0, 2, 3)), atol=1e-5)
    assert net[0].momentum == 0.1

