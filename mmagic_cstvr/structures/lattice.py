"""Where output samples sit on an input grid: the spatial pixel-centre convention and sizes.

Space uses the pixel-centre convention (``align_corners=False``): output pixel ``j`` of a row of
``n_out`` pixels covering an input row of extent ``n_in`` sits at input coordinate
``(j + 1/2) * n_in / n_out - 1/2``, in input-pixel index units. Time uses the frame positions of
:mod:`mmagic_cstvr.structures.timeline`. Both give coordinates in the same units (input indices),
which is what :mod:`mmagic_cstvr.archs.implicit_sampler` consumes.
"""
from __future__ import annotations

import math
import re
from typing import Tuple

import torch


def pixel_centres(n_out: int, n_in: float, device=None, dtype=torch.float32) -> torch.Tensor:
    """(n_out,) input-index coordinates of ``n_out`` output pixel centres spanning extent ``n_in``."""
    j = torch.arange(n_out, device=device, dtype=torch.float64)
    return ((j + 0.5) * (float(n_in) / n_out) - 0.5).to(dtype)


def check_scale(scale: float, name: str = 'scale', limit: float = 16.0) -> float:
    """Validate a spatial or temporal factor: finite, positive and at most ``limit``."""
    try:
        value = float(scale)
    except (TypeError, ValueError):
        raise ValueError(f'{name} must be a number, got {scale!r}') from None
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f'{name} must be a positive finite number, got {scale!r}')
    if value > limit:
        raise ValueError(f'{name} {value:g} is larger than the supported maximum {limit:g}')
    return value


def scaled_size(size: Tuple[int, int], scale: float) -> Tuple[int, int]:
    """(H, W) divided by ``scale`` and rounded to whole pixels, at least 1x1 (the LR size of an HR
    frame at spatial factor ``scale``)."""
    scale = check_scale(scale)
    return tuple(max(1, int(math.floor(s / scale + 0.5))) for s in size)


def parse_size(text: str, name: str = 'size') -> Tuple[int, int]:
    """``'960x540'`` (width x height) -> (height, width); :class:`ValueError` naming ``name`` for
    anything else or a side below 1."""
    m = re.fullmatch(r'\s*(\d+)\s*[xX]\s*(\d+)\s*', text)
    if not m or int(m.group(1)) < 1 or int(m.group(2)) < 1:
        raise ValueError(f'{name} must be WxH with positive sides, like 1920x1080; got {text!r}')
    return int(m.group(2)), int(m.group(1))
