"""Building blocks of the LR-grid networks: plain 2-D convolutions applied frame by frame."""
from __future__ import annotations

import math
from typing import Tuple

import torch
from torch import nn


class ResBlock2D(nn.Module):
    """conv 3x3 -> ReLU -> conv 3x3, plus the input; (N, C, H, W) -> (N, C, H, W)."""

    def __init__(self, channels: int):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(channels, channels, 3, padding=1), nn.ReLU(inplace=True),
                                  nn.Conv2d(channels, channels, 3, padding=1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


def res_stack(channels: int, blocks: int) -> nn.Sequential:
    return nn.Sequential(*(ResBlock2D(channels) for _ in range(blocks)))


def zero_conv(c_in: int, c_out: int) -> nn.Conv2d:
    """A 3x3 output convolution that starts at zero (an untrained residual branch adds nothing)."""
    conv = nn.Conv2d(c_in, c_out, 3, padding=1)
    nn.init.zeros_(conv.weight)
    nn.init.zeros_(conv.bias)
    return conv


def frames_to_batch(x: torch.Tensor) -> torch.Tensor:
    """(B, C, T, H, W) -> (B*T, C, H, W)."""
    b, c, t, h, w = x.shape
    return x.transpose(1, 2).reshape(b * t, c, h, w)


def batch_to_frames(x: torch.Tensor, b: int) -> torch.Tensor:
    """(B*T, C, H, W) -> (B, C, T, H, W)."""
    n, c, h, w = x.shape
    return x.reshape(b, n // b, c, h, w).transpose(1, 2)


def integer_scale(hr: Tuple[int, int], lr: Tuple[int, int], max_scale: int) -> int:
    """The integer sub-pixel factor of the LR grid for an HR/LR size pair: ``ceil`` of the larger
    ratio, within 1..``max_scale`` (non-integer scales use the next integer, then a resize)."""
    ratio = max(hr[0] / lr[0], hr[1] / lr[1])
    return int(min(max_scale, max(1, math.ceil(ratio - 1e-6))))
