"""The appendix-B autoencoder (osa_lib.clustering.autoencoder): both readings, parameter counts, heads."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from osa_lib.acrbm import n_parameters
from osa_lib.clustering.ae_acrbm import AEACRBM
from osa_lib.clustering.ae_kmeans import AEKMeans
from osa_lib.clustering.autoencoder import (TABLE3_SIZES, Autoencoder, build_autoencoder, parameter_counts,
                                            resolve_sizes, table3_sizes)


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

@pytest.mark.parametrize("key, n_clusters, expected", [
    ("ae_kmeans", 10, (100, 100, 100)), ("ae_kmeans", 3, (100, 100, 100)),             # Table 3, any K
    ("ae_acrbm_10", 10, (100, 90, 100)), ("ae_acrbm_30", 30, (300, 300, 300)),        # Table 3 itself
    ("ae_acrbm_1", 1, (100, 90, 100)), ("ae_acrbm_20", 20, (100, 90, 100)),           # nearer row: 10
    ("ae_acrbm_21", 21, (300, 300, 300)), ("ae_acrbm_100", 100, (300, 300, 300)),     # nearer row: 30
])
def test_sizes_for_any_number_of_clusters_are_table3s_where_it_has_them(key, n_clusters, expected):
    assert resolve_sizes(key, n_clusters=n_clusters) == expected
    assert resolve_sizes(key, 5, 4, 3, n_clusters=n_clusters) == (5, 4, 3)               # given sizes win


def test_default_sizes_for_any_width_of_row():
    X = np.random.default_rng(0).normal(size=(20, 13)).astype(np.float32)
    model = AEACRBM(4, epochs=1, progress=False).fit(X)
    assert model.module_.encoder[1].in_features == 13 and model.module_.decoder[-1].out_features == 13
    assert model.module_.latent_dim == 90 and model.reconstruct(X).shape == (20, 13)


def test_dense_reading_gives_the_same_numbers_on_rows_as_on_images():
    # Why MNIST's numbers do not move now that the estimators feed rows (B, 784), not (B, 1, 28, 28).
    model = build_autoencoder("ae_acrbm_10")
    x = torch.rand(5, 1, 28, 28)
    with torch.no_grad():
        on_images, on_rows = model(x), model(x.flatten(1))
    assert on_images[0].shape == (5, 1, 28, 28) and on_rows[0].shape == (5, 784)
    for a, b in zip(on_images, on_rows):
        assert torch.equal(a.flatten(1), b.flatten(1))
    with pytest.raises(ValueError, match="expected examples of 784 features"):
        model(torch.rand(5, 783))
