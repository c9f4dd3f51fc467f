"""The appendix-B autoencoder (osa_lib.clustering.autoencoder): both readings, parameter counts, heads."""
from __future__ import annotations

import pytest
import torch

from osa_lib.acrbm import n_parameters
from osa_lib.clustering.ae_estimators import AEACRBM, AEKMeans
from osa_lib.clustering.autoencoder import (TABLE3_SIZES, Autoencoder, build_autoencoder, parameter_counts,
                                           table3_sizes)


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
