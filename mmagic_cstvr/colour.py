"""Colour conventions: value range, 8-bit lattice and BT.601 luma.

Frames inside the model are RGB float in [0, 1]. The transmitted LR frames are 8-bit: value ``v``
stands for ``v / 255`` and a float frame becomes 8-bit by rounding to the nearest level, halves up
(``floor(255 x + 1/2)``; never by truncation, and the same in numpy and torch). Luma for metrics is BT.601 studio range (16-235), as STVSR papers compute it.
"""
from __future__ import annotations

import numpy as np
import torch

LEVELS = 255


def levels(x: torch.Tensor) -> torch.Tensor:
    """[0, 1] float -> nearest level 0..255 (halves up), still float; values are clipped."""
    return torch.floor(x.clamp(0, 1) * LEVELS + 0.5)


def to_uint8(x: torch.Tensor) -> torch.Tensor:
    """[0, 1] float -> uint8 levels."""
    return levels(x).to(torch.uint8)


def from_uint8(x: torch.Tensor, dtype=torch.float32) -> torch.Tensor:
    """uint8 -> [0, 1] float."""
    return x.to(dtype) / LEVELS


def quantize(x: torch.Tensor) -> torch.Tensor:
    """[0, 1] float snapped onto the 8-bit lattice ``k / 255`` (no gradient)."""
    return levels(x) / LEVELS


def rgb_to_y(rgb: np.ndarray) -> np.ndarray:
    """BT.601 studio-range luma of RGB values in [0, 255] on the last axis -> Y in [16, 235]."""
    rgb = np.asarray(rgb, dtype=np.float64)
    return 16.0 + (65.481 * rgb[..., 0] + 128.553 * rgb[..., 1] + 24.966 * rgb[..., 2]) / 255.0
