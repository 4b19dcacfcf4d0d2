"""The ordinary LR video a Downsample output should look like, and the naive cascade's input.

Frame dropping to the nearest-in-time HR frame (pull-down style: 30 -> 24 fps keeps HR frames 0, 1,
3, 4, 5, ...) followed by an antialiased bicubic resize. Used as the base of the learned downsampler,
as the target of the LR guidance loss and as the naive baseline's downsampler.
"""
from fractions import Fraction
from typing import Sequence, Tuple

import torch
import torch.nn.functional as F

from ..timeline import round_half_up


def nearest_frames(positions: Sequence[float], n_frames: int) -> list:
    """HR frame index nearest to each position (halves round up), clamped to the clip."""
    return [min(n_frames - 1, max(0, round_half_up(Fraction(p).limit_denominator(1 << 20))))
            for p in positions]


def resize_frames(video: torch.Tensor, size: Tuple[int, int]) -> torch.Tensor:
    """Antialiased bicubic resize of every frame of (B, C, T, H, W) to ``size`` (H', W')."""
    b, c, t, h, w = video.shape
    if (h, w) == tuple(size):
        return video
    flat = video.transpose(1, 2).reshape(b * t, c, h, w)
    out = F.interpolate(flat, size=tuple(size), mode='bicubic', align_corners=False,
                        antialias=True)
    return out.reshape(b, t, c, *size).transpose(1, 2)


def reference_lr(hr: torch.Tensor, positions: Sequence[float], size: Tuple[int, int]) -> torch.Tensor:
    """(B, C, T, H, W) HR -> (B, C, len(positions), *size) reference LR in [0, 1]."""
    index = torch.tensor(nearest_frames(positions, hr.shape[2]), device=hr.device)
    return resize_frames(hr.index_select(2, index), size).clamp(0, 1)
