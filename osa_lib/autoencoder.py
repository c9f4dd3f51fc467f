"""The convolutional autoencoder of appendix B (Figure 11) with its two heads.

Shapes: ``B`` examples, images ``(B, 1, 28, 28)``, ``D`` = AE latent size (``h_AE``),
``K`` = size of the head (clusters for the ACRBM head, 10 ReLU units for the K-means AE).

Encoder (appendix B: "two convolution layers, with ReLU", then a linear latent)::

    x (B,1,28,28) -> conv3x3/2 (c1) ReLU -> (B,c1,14,14) -> conv3x3/2 (c2) ReLU -> (B,c2,7,7)
      -> flatten (B, 49*c2) -> dense (encoder_units) ReLU -> dense (D), linear = h_AE

Head, attached to ``h_AE``:

* ``"acrbm"``: ``h_ACRBM = softmax((z W + b) / T)`` with ``z = h_AE``, or ``z = BN(h_AE)`` (batch
  norm without affine parameters) when ``standardize=True`` (our addition, see the chapter);
* ``"dense"``: ``relu(h_AE W + b)`` with ``K`` units (the AE + K-means model).

Decoder ("two layers, ReLU, sigmoid output"), fed with ``[h_AE, head]`` concatenated::

    (B, D+K) -> dense (decoder_units) ReLU -> dense (49*c2) ReLU -> (B,c2,7,7)
      -> convT4x4/2 (c1) ReLU -> (B,c1,14,14) -> convT4x4/2 (1) sigmoid -> (B,1,28,28)

The paper gives the dense widths (Table 3) but not the convolution widths; ours
default to ``c1 = c2 = 16``, which puts the parameter counts near the paper's
(+197K, +200K; see :data:`TABLE3_SIZES` and the chapter).
"""
from __future__ import annotations

import torch
from torch import nn

from .acrbm import n_parameters

#: Table 3's dense sizes ``(encoder_units, latent_dim, decoder_units)`` per Table 1 row.
TABLE3_SIZES = {
    "ae_kmeans": (100, 100, 100),
    "ae_acrbm_10": (100, 90, 100),
    "ae_acrbm_30": (300, 300, 300),
}

#: Table 3's Adam beta1 per row (beta2 = 0.999, lr = 1e-3, batch 256, 500 epochs everywhere).
TABLE3_BETA1 = {"ae_kmeans": 0.05, "ae_acrbm_10": 0.05, "ae_acrbm_30": 0.1}

HEADS = ("acrbm", "dense")


def table3_sizes(name: str) -> tuple[int, int, int]:
    """``(encoder_units, latent_dim, decoder_units)`` of a Table 1 row; ValueError for an unknown name."""
    if name not in TABLE3_SIZES:
        raise ValueError(f"unknown model size {name!r}; Table 3 has {sorted(TABLE3_SIZES)}")
    return TABLE3_SIZES[name]


def _positive(value, name: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return value


class ConvAutoencoder(nn.Module):
    """Appendix B's AE with an ACRBM head or a dense ReLU head (see the module docstring).

    Parameters
    ----------
    n_head : int
        ``K``: clusters of the ACRBM head, or units of the dense head (10 in the paper).
    encoder_units, latent_dim, decoder_units : int
        Table 3's "Encoder", "Latent dimensions", "Decoder".
    head : {"acrbm", "dense"}
    conv_channels : (int, int)
        ``(c1, c2)``, widths of the two encoder convolutions (mirrored in the decoder).
    standardize : bool
        ACRBM head only: batch-normalise ``h_AE`` (no affine parameters) before the head.
    temperature : float
        ACRBM head only: softmax temperature ``T``.
    image_size : int
        Side of the square input image (28); must be divisible by 4.
    """

    def __init__(self, n_head: int, encoder_units: int, latent_dim: int, decoder_units: int, *,
                 head: str = "acrbm", conv_channels=(16, 16), standardize: bool = False,
                 temperature: float = 1.0, image_size: int = 28):
        super().__init__()
        if head not in HEADS:
            raise ValueError(f"unknown head {head!r}; use one of {HEADS}")
        _positive(n_head, "n_head", 2 if head == "acrbm" else 1)
        for value, name in ((encoder_units, "encoder_units"), (latent_dim, "latent_dim"),
                            (decoder_units, "decoder_units"), (image_size, "image_size")):
            _positive(value, name)
        if image_size % 4:
            raise ValueError(f"image_size must be divisible by 4 (two stride-2 layers), got {image_size}")
        if len(conv_channels) != 2:
            raise ValueError(f"conv_channels must be two widths (c1, c2), got {conv_channels!r}")
        c1, c2 = (_positive(c, "conv_channels entry") for c in conv_channels)
        if not (float(temperature) > 0):
            raise ValueError(f"temperature must be > 0, got {temperature!r}")
        self.n_head, self.head_kind, self.latent_dim = n_head, head, latent_dim
        self.image_size, self.temperature = image_size, float(temperature)
        s = image_size // 4
        self._grid = (c2, s, s)
        self.encoder = nn.Sequential(
            nn.Conv2d(1, c1, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(c1, c2, 3, stride=2, padding=1), nn.ReLU(),
            nn.Flatten(),
            nn.Linear(c2 * s * s, encoder_units), nn.ReLU(),
            nn.Linear(encoder_units, latent_dim),            # h_AE, linear
        )
        self.norm = nn.BatchNorm1d(latent_dim, affine=False) if (head == "acrbm" and standardize) else None
        self.head = nn.Linear(latent_dim, n_head)
        self.decoder_dense = nn.Sequential(
            nn.Linear(latent_dim + n_head, decoder_units), nn.ReLU(),
            nn.Linear(decoder_units, c2 * s * s), nn.ReLU(),
        )
        self.decoder_conv = nn.Sequential(
            nn.ConvTranspose2d(c2, c1, 4, stride=2, padding=1), nn.ReLU(),
            nn.ConvTranspose2d(c1, 1, 4, stride=2, padding=1),
        )

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """``h_AE``: x (B, 1, S, S) -> (B, D)."""
        return self.encoder(x)

    def head_input(self, h_ae: torch.Tensor) -> torch.Tensor:
        """What the head sees: ``h_AE``, batch-normalised when ``standardize``; (B, D)."""
        return h_ae if self.norm is None else self.norm(h_ae)

    def head_logits(self, h_ae: torch.Tensor) -> torch.Tensor:
        """ACRBM head: ``(z W + b) / T``; dense head: ``z W + b``; (B, K)."""
        out = self.head(self.head_input(h_ae))
        return out / self.temperature if self.head_kind == "acrbm" else out

    def head_activation(self, h_ae: torch.Tensor) -> torch.Tensor:
        """``h_ACRBM`` (softmax, rows sum to 1) or the dense ReLU units; (B, K)."""
        logits = self.head_logits(h_ae)
        return torch.softmax(logits, dim=1) if self.head_kind == "acrbm" else torch.relu(logits)

    def decode(self, h_ae: torch.Tensor, h_head: torch.Tensor) -> torch.Tensor:
        """``[h_AE, head]`` (B, D+K) -> reconstruction (B, 1, S, S) in (0, 1)."""
        z = self.decoder_dense(torch.cat([h_ae, h_head], dim=1)).view(-1, *self._grid)   # (B, c2, S/4, S/4)
        return torch.sigmoid(self.decoder_conv(z))

    def forward(self, x: torch.Tensor):
        """x (B, 1, S, S) -> ``(reconstruction (B,1,S,S), h_AE (B,D), head activation (B,K))``."""
        if x.dim() != 4 or tuple(x.shape[1:]) != (1, self.image_size, self.image_size):
            raise ValueError(f"expected images of shape (B, 1, {self.image_size}, {self.image_size}), "
                             f"got {tuple(x.shape)}")
        h_ae = self.encode(x)
        h_head = self.head_activation(h_ae)
        return self.decode(h_ae, h_head), h_ae, h_head

    @torch.no_grad()
    def init_head_from_centroids(self, centroids: torch.Tensor) -> None:
        """Set the ACRBM head so that its logits are ``-||z - c_k||^2 / D`` (up to a per-row constant).

        ``centroids`` (K, D) are K-means centres in the head's input space (after the
        batch norm when ``standardize``). Then ``argmax h_ACRBM`` = the nearest centre.
        """
        if self.head_kind != "acrbm":
            raise ValueError("init_head_from_centroids needs the ACRBM head")
        if tuple(centroids.shape) != (self.n_head, self.latent_dim):
            raise ValueError(f"centroids must have shape ({self.n_head}, {self.latent_dim}), "
                             f"got {tuple(centroids.shape)}")
        c = centroids.to(self.head.weight)
        scale = 1.0 / self.latent_dim
        self.head.weight.copy_(2.0 * scale * c)                   # (K, D): nn.Linear stores W^T
        self.head.bias.copy_(-scale * (c * c).sum(dim=1))


def build_autoencoder(name: str, *, conv_channels=(16, 16), standardize: bool = False,
                      temperature: float = 1.0) -> ConvAutoencoder:
    """The model of one Table 1 row by name (``ae_kmeans``, ``ae_acrbm_10``, ``ae_acrbm_30``)."""
    enc, lat, dec = table3_sizes(name)
    if name == "ae_kmeans":
        return ConvAutoencoder(10, enc, lat, dec, head="dense", conv_channels=conv_channels)
    return ConvAutoencoder(int(name.rsplit("_", 1)[1]), enc, lat, dec, head="acrbm",
                           conv_channels=conv_channels, standardize=standardize, temperature=temperature)


def parameter_counts(conv_channels=(16, 16)) -> dict[str, int]:
    """Trainable parameters of each Table 1 AE row for the given convolution widths."""
    return {name: n_parameters(build_autoencoder(name, conv_channels=conv_channels)) for name in TABLE3_SIZES}
