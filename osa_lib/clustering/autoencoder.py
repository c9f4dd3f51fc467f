"""The autoencoder of appendix B with its two heads, in two readings: dense (the paper's) and conv.

Shapes: ``B`` examples, ``F`` features per example (784 = 28 x 28 for MNIST), ``D`` = AE latent
size (``h_AE``), ``K`` = size of the head (clusters for the ACRBM head, 10 ReLU units for the
K-means AE). The dense reading takes rows ``(B, F)`` of any ``F`` (an example of any other shape is
read flattened) and returns reconstructions of the input's shape; the conv reading takes and
returns images ``(B, 1, S, S)``. Reconstructions are sigmoid outputs, in (0, 1).

``architecture="dense"`` — the paper's model, fixed by Table 1's parameter counts::

    encoder  x (B, F) -> dense (e) ReLU -> dense (e) ReLU -> dense (D), linear = h_AE
    decoder  [h_AE, head] (B, D+K) -> dense (d) ReLU -> dense (d) ReLU -> dense (F) sigmoid

With Table 3's ``(e, D, d)`` and ``F = 784`` this has 200,094 / 197,984 / 850,714 trainable parameters for
AE + K-means / AE + ACRBM 10 / AE + ACRBM 30: Table 1's +200K / +197K / +850K.

``architecture="conv"`` — an ablation from appendix B's "two convolution layers" sentence::

    x -> conv3x3/2 (c1) ReLU -> conv3x3/2 (c2) ReLU -> flatten -> dense (e) ReLU -> dense (D)
    [h_AE, head] -> dense (d) ReLU -> dense (c2*(S/4)^2) ReLU -> convT4x4/2 (c1) ReLU -> convT4x4/2 (1) sigmoid

With ``c1 = c2 = 16`` it has 186,743 / 184,633 / 676,963 parameters (7-20 % below Table 1).

Head, attached to ``h_AE`` in both readings:

* ``"acrbm"``: ``h_ACRBM = softmax((z W + b) / T)`` with ``z = h_AE``, or ``z = BN(h_AE)`` (batch
  norm without affine parameters) when ``standardize=True`` (our addition, see the chapter);
* ``"dense"``: ``relu(h_AE W + b)`` with ``K`` units (the AE + K-means model).
"""
from __future__ import annotations

import torch
from torch import nn

from osa_lib.train import n_parameters
from osa_lib.validation import check_betas, check_int

#: Table 3's dense sizes ``(encoder_units, latent_dim, decoder_units)`` per Table 1 row
#: (:func:`resolve_sizes` extends them to any number of clusters).
TABLE3_SIZES = {
    "ae_kmeans": (100, 100, 100),
    "ae_acrbm_10": (100, 90, 100),
    "ae_acrbm_30": (300, 300, 300),
}

#: Table 3's Adam beta1 per row (beta2 = 0.999, lr = 1e-3, batch 256, 500 epochs everywhere).
TABLE3_BETA1 = {"ae_kmeans": 0.05, "ae_acrbm_10": 0.05, "ae_acrbm_30": 0.1}

HEADS = ("acrbm", "dense")
#: What the decoder reads: ``[h_AE, head]`` (appendix B) or the head alone (a true K-unit bottleneck).
DECODER_INPUTS = ("latent_and_head", "head")
#: Activation of the dense head (the K-means AE): ReLU (appendix B) or none.
DENSE_HEAD_ACTIVATIONS = ("relu", "linear")
ARCHITECTURES = ("dense", "conv")


def table3_sizes(name: str) -> tuple[int, int, int]:
    """``(encoder_units, latent_dim, decoder_units)`` of a Table 1 row; ValueError for an unknown name."""
    if name not in TABLE3_SIZES:
        raise ValueError(f"unknown model size {name!r}; Table 3 has {sorted(TABLE3_SIZES)}")
    return TABLE3_SIZES[name]


def resolve_sizes(key: str, encoder_units=None, latent_dim=None, decoder_units=None, *,
                  n_clusters=None) -> tuple[int, int, int]:
    """``(encoder_units, latent_dim, decoder_units)``: the three given, else Table 3's by a fixed rule.

    The rule, for the row ``key``: Table 3's own sizes when it has the row (``ae_kmeans``
    (100, 100, 100) for any ``n_clusters``, ``ae_acrbm_10`` (100, 90, 100), ``ae_acrbm_30``
    (300, 300, 300)); for an AE + ACRBM with another ``n_clusters`` K, the sizes of the nearer of
    Table 3's two ACRBM rows: K <= 20 takes the 10-cluster sizes, K > 20 the 30-cluster sizes.
    The sizes do not depend on the number of input features, which only sets the widths of
    the first and last layers.
    """
    given = (encoder_units, latent_dim, decoder_units)
    if all(v is not None for v in given):
        return tuple(check_int(v, n, minimum=1) for v, n in zip(given, ("encoder_units", "latent_dim",
                                                                   "decoder_units")))
    if any(v is not None for v in given):
        raise ValueError("give all of encoder_units, latent_dim, decoder_units, or none (Table 3's sizes)")
    if key in TABLE3_SIZES:
        return TABLE3_SIZES[key]
    if key.startswith("ae_acrbm_"):
        return TABLE3_SIZES["ae_acrbm_10" if check_int(n_clusters, "n_clusters") <= 20 else "ae_acrbm_30"]
    raise ValueError(f"unknown model size {key!r}; Table 3 has {sorted(TABLE3_SIZES)}")


def resolve_betas(key: str, betas=None) -> tuple[float, float]:
    """Adam's betas: the given pair, or Table 3's beta1 for the row ``key`` (0.9 elsewhere) with 0.999."""
    if betas is None:
        return (TABLE3_BETA1.get(key, 0.9), 0.999)
    return check_betas(betas)


def glorot_init(module: torch.nn.Module) -> torch.nn.Module:
    """Glorot-uniform weights and zero biases in every dense and convolution layer (Keras' defaults)."""
    for layer in module.modules():
        if isinstance(layer, (torch.nn.Linear, torch.nn.Conv2d, torch.nn.ConvTranspose2d)):
            torch.nn.init.xavier_uniform_(layer.weight)
            if layer.bias is not None:
                torch.nn.init.zeros_(layer.bias)
    return module


def check_architecture(architecture: str) -> str:
    """``architecture`` itself, or a ValueError that lists the readings."""
    if architecture not in ARCHITECTURES:
        raise ValueError(f"unknown architecture {architecture!r}; use 'dense' (the paper's, fixed by "
                         f"Table 1's parameter counts) or 'conv' (an ablation)")
    return architecture


class Autoencoder(nn.Module):
    """Appendix B's AE with an ACRBM head or a dense ReLU head (see the module docstring).

    Parameters
    ----------
    n_head : int
        ``K``: clusters of the ACRBM head, or units of the dense head (10 in the paper).
    encoder_units, latent_dim, decoder_units : int
        Table 3's "Encoder", "Latent dimensions", "Decoder".
    architecture : {"dense", "conv"}
        The paper's dense AE, or the convolutional ablation.
    head : {"acrbm", "dense"}
    conv_channels : (int, int)
        ``(c1, c2)``, widths of the two convolutions (``architecture="conv"`` only).
    standardize : bool
        ACRBM head only: batch-normalise ``h_AE`` (no affine parameters) before the head.
    temperature : float
        ACRBM head only: softmax temperature ``T``.
    n_features : int
        ``F``, the width of an input row (``architecture="dense"`` only; 784 for MNIST).
    image_size : int
        Side ``S`` of the square input image (``architecture="conv"`` only; 28 for MNIST);
        divisible by 4.
    """

    def __init__(self, n_head: int, encoder_units: int, latent_dim: int, decoder_units: int, *,
                 architecture: str = "dense", head: str = "acrbm", conv_channels=(16, 16),
                 standardize: bool = False, temperature: float = 1.0, n_features: int = 784, image_size: int = 28,
                 decoder_input: str = "latent_and_head", head_activation: str = "relu"):
        super().__init__()
        check_architecture(architecture)
        if head not in HEADS:
            raise ValueError(f"unknown head {head!r}; use one of {HEADS}")
        if decoder_input not in DECODER_INPUTS:
            raise ValueError(f"decoder_input must be one of {DECODER_INPUTS}, got {decoder_input!r}")
        if head_activation not in DENSE_HEAD_ACTIVATIONS:
            raise ValueError(f"head_activation must be one of {DENSE_HEAD_ACTIVATIONS}, got {head_activation!r}")
        self.decoder_input, self.dense_activation = decoder_input, head_activation
        check_int(n_head, "n_head", minimum=1)
        for value, name in ((encoder_units, "encoder_units"), (latent_dim, "latent_dim"),
                            (decoder_units, "decoder_units"), (n_features, "n_features"),
                            (image_size, "image_size")):
            check_int(value, name)
        if not (float(temperature) > 0):
            raise ValueError(f"temperature must be > 0, got {temperature!r}")
        self.architecture, self.n_head, self.head_kind = architecture, n_head, head
        self.latent_dim, self.temperature = latent_dim, float(temperature)
        self.n_features, self.image_size = n_features, image_size
        decoder_in = n_head if decoder_input == "head" else latent_dim + n_head
        if architecture == "dense":
            self.encoder = nn.Sequential(
                nn.Flatten(),
                nn.Linear(n_features, encoder_units), nn.ReLU(),
                nn.Linear(encoder_units, encoder_units), nn.ReLU(),
                nn.Linear(encoder_units, latent_dim),            # h_AE, linear
            )
            self.decoder = nn.Sequential(
                nn.Linear(decoder_in, decoder_units), nn.ReLU(),
                nn.Linear(decoder_units, decoder_units), nn.ReLU(),
                nn.Linear(decoder_units, n_features),
            )
        else:
            if image_size % 4:
                raise ValueError(f"image_size must be divisible by 4 (two stride-2 layers), got {image_size}")
            if len(conv_channels) != 2:
                raise ValueError(f"conv_channels must be two widths (c1, c2), got {conv_channels!r}")
            c1, c2 = (check_int(c, "conv_channels entry") for c in conv_channels)
            s = image_size // 4
            self.encoder = nn.Sequential(
                nn.Conv2d(1, c1, 3, stride=2, padding=1), nn.ReLU(),
                nn.Conv2d(c1, c2, 3, stride=2, padding=1), nn.ReLU(),
                nn.Flatten(),
                nn.Linear(c2 * s * s, encoder_units), nn.ReLU(),
                nn.Linear(encoder_units, latent_dim),            # h_AE, linear
            )
            self.decoder = nn.Sequential(
                nn.Linear(decoder_in, decoder_units), nn.ReLU(),
                nn.Linear(decoder_units, c2 * s * s), nn.ReLU(),
                nn.Unflatten(1, (c2, s, s)),
                nn.ConvTranspose2d(c2, c1, 4, stride=2, padding=1), nn.ReLU(),
                nn.ConvTranspose2d(c1, 1, 4, stride=2, padding=1),
            )
        self.norm = nn.BatchNorm1d(latent_dim, affine=False) if (head == "acrbm" and standardize) else None
        self.head = nn.Linear(latent_dim, n_head)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """``h_AE``: x (B, F) (dense) or (B, 1, S, S) (conv) -> (B, D)."""
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
        if self.head_kind == "acrbm":
            return torch.softmax(logits, dim=1)
        return torch.relu(logits) if self.dense_activation == "relu" else logits

    def decode(self, h_ae: torch.Tensor, h_head: torch.Tensor) -> torch.Tensor:
        """``[h_AE, head]`` (B, D+K), or the head alone (B, K), -> reconstruction in (0, 1): (B, F) (dense)
        or (B, 1, S, S) (conv)."""
        z = h_head if self.decoder_input == "head" else torch.cat([h_ae, h_head], dim=1)
        return torch.sigmoid(self.decoder(z))

    def forward(self, x: torch.Tensor):
        """x (B, F) (dense; any (B, ...) with F entries per example) or (B, 1, S, S) (conv) ->
        ``(reconstruction (x's shape), h_AE (B, D), head activation (B, K))``."""
        if self.architecture == "dense":
            if x.dim() < 2 or x[0].numel() != self.n_features:
                raise ValueError(f"expected examples of {self.n_features} features, got shape {tuple(x.shape)}")
        elif x.dim() != 4 or tuple(x.shape[1:]) != (1, self.image_size, self.image_size):
            raise ValueError(f"expected images of shape (B, 1, {self.image_size}, {self.image_size}), "
                             f"got {tuple(x.shape)}")
        h_ae = self.encode(x)
        h_head = self.head_activation(h_ae)
        return self.decode(h_ae, h_head).view_as(x), h_ae, h_head

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


def build_autoencoder(name: str, *, architecture: str = "dense", conv_channels=(16, 16),
                      standardize: bool = False, temperature: float = 1.0) -> Autoencoder:
    """The model of one Table 1 row by name (``ae_kmeans``, ``ae_acrbm_10``, ``ae_acrbm_30``)."""
    enc, lat, dec = table3_sizes(name)
    if name == "ae_kmeans":
        return Autoencoder(10, enc, lat, dec, architecture=architecture, head="dense",
                           conv_channels=conv_channels)
    return Autoencoder(int(name.rsplit("_", 1)[1]), enc, lat, dec, architecture=architecture, head="acrbm",
                       conv_channels=conv_channels, standardize=standardize, temperature=temperature)


def parameter_counts(architecture: str = "dense", conv_channels=(16, 16)) -> dict[str, int]:
    """Trainable parameters of each Table 1 AE row in one reading of the architecture."""
    return {name: n_parameters(build_autoencoder(name, architecture=architecture, conv_channels=conv_channels))
            for name in TABLE3_SIZES}
