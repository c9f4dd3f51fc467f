"""The LOC observer network (appendix C) and batch-norm helpers for training and calibrating it.

The observer maps images ``v`` (B, C, H, W) to a map ``G`` (B, 1, H, W) of the same spatial size;
:class:`osa_lib.segmentation.loc.LOC` trains it on the loss of :mod:`osa_lib.segmentation.loc_loss`.
"""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

# --------------------------------------------------------------------------- the observer (appendix C)

class LOCObserver(nn.Module):
    """Appendix C's observer: conv 2D + batch norm + ReLU blocks, then a 1x1 convolution to ``G``.

    Parameters
    ----------
    in_channels : int
        Channels of ``v`` (3 for RGB).
    kernel_sizes, strides, filters : sequences of int, one entry per block
        ``k``, ``s`` and ``nf`` of appendix C. Padding is ``k // 2``. Blocks with stride > 1
        shrink the map; ``G`` is then resized back to the input size (bilinear), so ``G``
        always has the input's spatial size.
    out_channels : int
        Channels of ``G`` (1: one map repeated over the colour channels).

    ``forward(v)``: v (B, C, H, W) -> G (B, out_channels, H, W), unbounded (linear output).
    """

    def __init__(self, in_channels: int = 3, kernel_sizes: Sequence[int] = (3, 3, 3),
                 strides: Sequence[int] = (1, 1, 1), filters: Sequence[int] = (16, 16, 16),
                 out_channels: int = 1):
        super().__init__()
        if not (len(kernel_sizes) == len(strides) == len(filters)) or len(filters) == 0:
            raise ValueError(f"kernel_sizes, strides and filters need the same non-zero length, got "
                             f"{len(kernel_sizes)}, {len(strides)}, {len(filters)}")
        for name, vals in (("kernel_sizes", kernel_sizes), ("strides", strides), ("filters", filters)):
            if any(int(v) < 1 for v in vals):
                raise ValueError(f"{name} must be positive integers, got {list(vals)}")
        if in_channels < 1 or out_channels < 1:
            raise ValueError(f"in_channels and out_channels must be >= 1, got {in_channels}, {out_channels}")
        self.in_channels = int(in_channels)
        self.kernel_sizes = tuple(int(k) for k in kernel_sizes)
        self.strides = tuple(int(s) for s in strides)
        self.filters = tuple(int(f) for f in filters)
        self.out_channels = int(out_channels)
        layers, c = [], self.in_channels
        for k, s, nf in zip(self.kernel_sizes, self.strides, self.filters):
            layers += [nn.Conv2d(c, nf, k, stride=s, padding=k // 2, bias=False), nn.BatchNorm2d(nf),
                       nn.ReLU(inplace=True)]
            c = nf
        self.blocks = nn.Sequential(*layers)
        self.head = nn.Conv2d(c, self.out_channels, 1)

    def forward(self, v: torch.Tensor) -> torch.Tensor:
        if v.ndim != 4 or v.shape[1] != self.in_channels:
            raise ValueError(f"expected v of shape (B, {self.in_channels}, H, W), got {tuple(v.shape)}")
        B, C, H, W = v.shape
        g = self.head(self.blocks(v))                       # (B, out, H', W')
        if g.shape[-2:] != (H, W):
            g = F.interpolate(g, size=(H, W), mode="bilinear", align_corners=False)
        return g                                            # (B, out, H, W)


def _bn_state(model: nn.Module) -> list[tuple[nn.Module, torch.Tensor, torch.Tensor, torch.Tensor]]:
    return [(m, m.running_mean.clone(), m.running_var.clone(), m.num_batches_tracked.clone())
            for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]


def _restore_bn_state(model: nn.Module, saved) -> None:
    for m, mean, var, n in saved:
        m.running_mean.copy_(mean), m.running_var.copy_(var), m.num_batches_tracked.copy_(n)


@torch.no_grad()
def calibrate_batch_norm(model: nn.Module, V: torch.Tensor, batch_size: int) -> None:
    """Set batch norm's running statistics to their average over one pass of ``V``; no weight changes.

    Used for the untrained observer (``LOC(epochs=0)``): the network keeps its random weights and
    sees the data only through batch norm's statistics, as an observer whose hinge never fires does.
    """
    bns = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    momenta = [m.momentum for m in bns]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None                       # cumulative average over the pass
    model.train()
    try:
        for s in range(0, len(V), batch_size):
            model(V[s:s + batch_size])
    finally:
        for m, momentum in zip(bns, momenta):
            m.momentum = momentum
