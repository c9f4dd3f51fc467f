"""LOC (eq 19-22): the observer, the hinged loss, label extraction, median binarisation, training;
the segmentation baselines and the Table 2 builder."""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from osa_lib.book.tables import paper_results
import torch

from osa_lib.segmentation.loc import (LOC, LOCObserver, border_mask, count_clusters, extract_labels, loc_error, loc_loss,
                         median_binarize, n_parameters, normalize_images, observe)
from osa_lib.segmentation.baselines import (centre_window, grabcut_masks, kmeans_centre_masks, kmeans_labels,
                                            kmeans_masks)


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
    with pytest.raises(RuntimeError, match="not fitted"):
        LOC().predict_G(X)


# --------------------------------------------------------------------------- baselines

def _two_colour_image(size: int = 24) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    mask = np.zeros((size, size), dtype=np.uint8)
    mask[6:18, 7:17] = 1
    img = np.empty((3, size, size), dtype=np.float32)
    img[:] = np.array([0.1, 0.5, 0.1], dtype=np.float32)[:, None, None]          # green background
    img[:, mask == 1] = np.array([0.95, 0.85, 0.1], dtype=np.float32)[:, None]   # yellow flower
    img = np.clip(img + rng.normal(0, 0.02, img.shape), 0, 1).astype(np.float32)
    return img[None], mask[None]


def test_kmeans_finds_the_two_colours():
    X, mask = _two_colour_image()
    labels = kmeans_labels(X, 2)
    assert labels.shape == mask.shape and count_clusters(labels)[0] == 2
    fg = labels == labels[0, 12, 12]
    np.testing.assert_array_equal(fg[0], mask[0].astype(bool))
    m = kmeans_masks(X, 2)
    assert np.array_equal(m, mask) or np.array_equal(m, 1 - mask)      # label order is arbitrary
    np.testing.assert_array_equal(kmeans_centre_masks(X), mask)          # the centre picks the flower
    assert count_clusters(kmeans_labels(X, [3]))[0] == 3
    np.testing.assert_array_equal(kmeans_labels(X, 2), kmeans_labels(X, 2))   # seeded


def test_kmeans_flat_image_and_bad_inputs():
    flat = np.full((1, 3, 8, 8), 0.5, dtype=np.float32)
    assert kmeans_labels(flat, 2).max() == 0
    with pytest.raises(ValueError, match=r"\(N, 3, H, W\)"):
        kmeans_labels(np.zeros((2, 8, 8)))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        kmeans_labels(np.full((1, 3, 4, 4), 2.0))
    with pytest.raises(ValueError, match="one value per image"):
        kmeans_labels(flat, [2, 3])
    with pytest.raises(ValueError, match="fraction"):
        centre_window(8, 8, 0)


def test_grabcut_recovers_a_centred_flower():
    X, mask = _two_colour_image(32)
    pred = grabcut_masks(X, margin=0.1)
    assert pred.shape == mask.shape
    inter, union = (pred & mask).sum(), (pred | mask).sum()
    assert inter / union > 0.9
    with pytest.raises(ValueError, match="margin"):
        grabcut_masks(X, margin=0.5)


# --------------------------------------------------------------------------- Table 2 from records

def test_segmentation_table_not_run_yet(tmp_path):
    from osa_lib.book.tables import segmentation_table

    table = segmentation_table(tmp_path, build_profile="ci")
    assert len(table) > 0
    text = table.to_string()
    assert "not run yet" in text
    paper = paper_results()["table2"]["rows"]
    assert paper["loc"]["iou"] in text and paper["kmeans_segmentation"]["dice"] in text


def test_segmentation_table_reads_records(tmp_path):
    from osa_lib.book.records import make_record, write_record
    from osa_lib.book.tables import segmentation_table

    runs = [{"pixel_accuracy": 0.9, "iou": 0.7, "dice": 0.8, "pixel_accuracy_band_as_background": 0.85,
             "iou_band_as_background": 0.6, "dice_band_as_background": 0.7}] * 2
    rec = make_record(experiment="loc", dataset="flowers17", profile="paper", params={"epochs": 50},
                      seeds=[0, 1], runs=runs, n_parameters=10, wall_time_s=1.0, device="cpu")
    write_record(rec, tmp_path)
    table = segmentation_table(tmp_path, build_profile="ci").reset_index()
    loc = table[table["method"].str.startswith("LOC (")]
    acc = loc[loc["metric"] == "accuracy"].iloc[0]
    iou = loc[loc["metric"] == "IoU"].iloc[0]
    assert acc["ours: Oxford 17, band ignored"] == "90.00 ± 0.00"
    assert iou["ours: Oxford 17, band = background"] == "60.00 ± 0.00"
    assert iou["ours: Oxford 102"] == "not run yet"
    assert iou["paper (Oxford 102)"] == paper_results()["table2"]["rows"]["loc"]["iou"]


# --------------------------------------------------------------------------- the chapter

@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get("OSA_DATA_DIR") or
                    not (Path(os.environ.get("OSA_DATA_DIR", ".")) / "flowers17" / "trimaps").is_dir(),
                    reason="OSA_DATA_DIR with flowers17 is needed")
def test_loc_notebook_runs_with_tiny_parameters(tmp_path):
    pm = pytest.importorskip("papermill")
    root = Path(__file__).resolve().parents[1]
    results = tmp_path / "results"
    pm.execute_notebook(str(root / "notebooks" / "loc.ipynb"), str(tmp_path / "out.ipynb"),
                        cwd=str(root / "notebooks"),
                        parameters={"profile": "ci", "results_dir": str(results), "n_train": 48, "n_test": 16,
                                    "n_val": 16, "image_size": 32, "epochs": 1, "study_epochs": 1,
                                    "rho_values": [0.3, 0.5], "seeds": [0]},
                        progress_bar=False, kernel_name="python3")
    for experiment in ("loc", "kmeans_segmentation", "grabcut", "loc_rho_study"):
        record = json.loads((results / "ci" / "flowers17" / f"{experiment}.json").read_text())
        assert record["seeds"] == [0]
        assert set(record["metrics"]) >= {"pixel_accuracy", "iou", "dice"} or experiment == "loc_rho_study"
    nb = json.loads((tmp_path / "out.ipynb").read_text())
    assert not any(o.get("output_type") == "error" for c in nb["cells"] for o in c.get("outputs", []))
