"""Space-to-depth and depth-to-space for video tensors (B, C, T, H, W), per frame.

Channel order is colour-major, as ``torch.nn.functional.pixel_unshuffle``: the new channel of
input channel ``c`` at sub-pixel ``(dy, dx)`` is ``c * r*r + dy * r + dx``.
"""
import torch
import torch.nn.functional as F


def _per_frame(x: torch.Tensor, fn, r: int) -> torch.Tensor:
    b, c, t, h, w = x.shape
    y = fn(x.transpose(1, 2).reshape(b * t, c, h, w), r)
    return y.reshape(b, t, *y.shape[1:]).transpose(1, 2)


def space_to_depth(x: torch.Tensor, r: int = 2) -> torch.Tensor:
    """(B, C, T, H, W) -> (B, C*r*r, T, H/r, W/r); H and W must be divisible by ``r``."""
    if x.shape[-1] % r or x.shape[-2] % r:
        raise ValueError(f'space_to_depth needs H and W divisible by {r}, got {tuple(x.shape[-2:])}')
    return _per_frame(x, F.pixel_unshuffle, r)


def depth_to_space(x: torch.Tensor, r: int = 2) -> torch.Tensor:
    """(B, C*r*r, T, H, W) -> (B, C, T, H*r, W*r), the exact inverse of :func:`space_to_depth`."""
    return _per_frame(x, F.pixel_shuffle, r)
