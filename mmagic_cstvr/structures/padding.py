"""Padding to the model's size multiples and cropping back, for (..., H, W) tensors.

Replicate padding on the bottom and right only, so the top-left pixel grid (and every coordinate
convention in :mod:`mmagic_cstvr.structures.lattice`) stays where it was.
"""
from __future__ import annotations

from typing import Tuple

import torch
import torch.nn.functional as F


def padded_size(size: Tuple[int, int], multiple: int) -> Tuple[int, int]:
    """The smallest (H, W) >= ``size`` divisible by ``multiple``."""
    return tuple(-(-s // multiple) * multiple for s in size)


def pad_to_multiple(x: torch.Tensor, multiple: int) -> torch.Tensor:
    """Replicate-pad the last two dims of ``x`` (B, C, [T,] H, W) up to a multiple of ``multiple``."""
    h, w = x.shape[-2:]
    ph, pw = padded_size((h, w), multiple)
    if (ph, pw) == (h, w):
        return x
    if x.dim() == 5:
        b, c, t = x.shape[:3]
        flat = x.transpose(1, 2).reshape(b * t, c, h, w)
        flat = F.pad(flat, (0, pw - w, 0, ph - h), mode='replicate')
        return flat.reshape(b, t, c, ph, pw).transpose(1, 2)
    return F.pad(x, (0, pw - w, 0, ph - h), mode='replicate')


def crop_to(x: torch.Tensor, size: Tuple[int, int]) -> torch.Tensor:
    """The top-left ``size`` (H, W) of ``x``."""
    return x[..., :size[0], :size[1]]
