"""Classical resampling: the ordinary LR video and the ordinary HR reconstruction.

- :func:`reference_lr`: frame dropping to the nearest-in-time HR frame (pull-down style: 30 -> 24 fps
  keeps HR frames 0, 1, 3, 4, 5, ...) and an antialiased bicubic resize. What a transmitted clip
  should look like (the LR guidance target), the base of the learned downsampler and the naive
  baseline's downsampler.
- :func:`naive_upsample`: bicubic resize and linear blending in time. The base of the learned
  upsamplers and the naive baseline's upsampler.

So an untrained model (zero-initialised residual branches) is exactly the naive cascade.
"""
from fractions import Fraction
from typing import List, Sequence, Tuple

import torch
import torch.nn.functional as F

from ..structures.timeline import round_half_up


def nearest_frames(positions: Sequence[float], n_frames: int) -> List[int]:
    """Frame index nearest to each position (halves round up), clamped to the clip."""
    return [min(n_frames - 1, max(0, round_half_up(Fraction(p).limit_denominator(1 << 20))))
            for p in positions]


def resize_frames(video: torch.Tensor, size: Tuple[int, int]) -> torch.Tensor:
    """Bicubic resize of every frame of (B, C, T, H, W) to ``size`` (antialiased when shrinking)."""
    b, c, t, h, w = video.shape
    if (h, w) == tuple(size):
        return video
    flat = video.transpose(1, 2).reshape(b * t, c, h, w)
    out = F.interpolate(flat, size=tuple(size), mode='bicubic', align_corners=False,
                        antialias=size[0] < h or size[1] < w)
    return out.reshape(b, t, c, *size).transpose(1, 2)


def temporal_neighbours(positions: Sequence[float], n_frames: int) -> Tuple[List[int], List[int], List[float]]:
    """For each position: the frame at or before it, the frame after it, and the weight of the
    later one (0 on a frame and outside the clip)."""
    lower, upper, weight = [], [], []
    for p in positions:
        lo = int(min(max(float(p) // 1, 0), n_frames - 1))
        hi = min(lo + 1, n_frames - 1)
        lower.append(lo)
        upper.append(hi)
        weight.append(min(max(float(p) - lo, 0.0), 1.0) if hi != lo else 0.0)
    return lower, upper, weight


def frames_read(positions: Sequence[float], n_frames: int) -> List[int]:
    """The frames (in order) that :func:`temporal_neighbours` gives ``positions`` a weight in."""
    lower, upper, weight = temporal_neighbours(positions, n_frames)
    return sorted(set(lower) | {hi for hi, w in zip(upper, weight) if w})


def blend_frames(video: torch.Tensor, positions: Sequence[float]) -> torch.Tensor:
    """Linear interpolation in time of (B, C, T, H, W) at ``positions`` (frame units)."""
    lo, hi, w = temporal_neighbours(positions, video.shape[2])
    weight = torch.tensor(w, dtype=video.dtype, device=video.device).view(1, 1, -1, 1, 1)
    index = lambda i: torch.tensor(i, device=video.device)  # noqa: E731
    return video.index_select(2, index(lo)) * (1 - weight) + video.index_select(2, index(hi)) * weight


def reference_lr(hr: torch.Tensor, positions: Sequence[float], size: Tuple[int, int]) -> torch.Tensor:
    """(B, C, T, H, W) HR -> (B, C, len(positions), *size) ordinary LR in [0, 1]."""
    index = torch.tensor(nearest_frames(positions, hr.shape[2]), device=hr.device)
    return resize_frames(hr.index_select(2, index), size).clamp(0, 1)


def naive_upsample(lr: torch.Tensor, size: Tuple[int, int], positions: Sequence[float]) -> torch.Tensor:
    """(B, C, t, h, w) LR -> (B, C, len(positions), *size): bicubic in space, linear in time."""
    return blend_frames(resize_frames(lr, size), positions)
