"""3-D densely connected convolution blocks shared by the IMSM and the up backbone."""
from typing import Tuple

import torch
from torch import nn


class DenseBlock3D(nn.Module):
    """Four growth convolutions, each seeing the input and all earlier outputs, then a fusion conv.

    (B, in_ch, T, H, W) -> (B, out_ch, T, H, W). Growth convs use ``kernel`` and LeakyReLU(0.2); the
    fusion conv uses ``fuse_kernel`` and no activation.

    Args:
        residual: add the input to the output (needs ``in_ch == out_ch``).
        zero_init: zero the fusion conv, so the block starts as 0 (or the identity when residual).
    """

    def __init__(self, in_ch: int, out_ch: int, growth: int = 32,
                 kernel: Tuple[int, int, int] = (3, 3, 3),
                 fuse_kernel: Tuple[int, int, int] = (1, 1, 1),
                 residual: bool = False, zero_init: bool = False):
        super().__init__()
        if residual and in_ch != out_ch:
            raise ValueError('a residual dense block needs in_ch == out_ch')
        pad = tuple(k // 2 for k in kernel)
        self.growth = nn.ModuleList(
            nn.Conv3d(in_ch + i * growth, growth, kernel, padding=pad) for i in range(4))
        self.fuse = nn.Conv3d(in_ch + 4 * growth, out_ch, fuse_kernel,
                              padding=tuple(k // 2 for k in fuse_kernel))
        self.act = nn.LeakyReLU(0.2, inplace=True)
        self.residual = residual
        if zero_init:
            nn.init.zeros_(self.fuse.weight)
            nn.init.zeros_(self.fuse.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        feats = [x]
        for conv in self.growth:
            feats.append(self.act(conv(torch.cat(feats, 1))))
        out = self.fuse(torch.cat(feats, 1))
        return out + x if self.residual else out


class SpatioTemporalDenseBlock(DenseBlock3D):
    """The up backbone's block: spatial (1,3,3) dense growth, one temporal (3,1,1) fusion, residual."""

    def __init__(self, channels: int, growth: int = 32):
        super().__init__(channels, channels, growth, kernel=(1, 3, 3), fuse_kernel=(3, 1, 1),
                         residual=True)
