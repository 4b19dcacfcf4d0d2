"""Learned space-time downsampler: HR video -> latent LR video (before the IMSM)."""
from typing import Sequence, Tuple

import torch
from torch import nn

from ..structures.lattice import pixel_centres
from ..structures.padding import pad_to_multiple
from .classical import reference_lr
from .implicit_sampler import ImplicitSampler3D
from .shuffle import space_to_depth


class ResBlock3D(nn.Module):
    """conv 3x3x3 -> PReLU -> conv 3x3x3, plus the input."""

    def __init__(self, channels: int):
        super().__init__()
        self.body = nn.Sequential(nn.Conv3d(channels, channels, 3, padding=1), nn.PReLU(),
                                  nn.Conv3d(channels, channels, 3, padding=1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class DownNet(nn.Module):
    """(B, 3, T, H, W) HR -> (B, 3, T', h, w) latent at the LR frames' positions.

    A 3x3x3 conv stem (after an optional space-to-depth by ``stem_shuffle``), ``blocks`` residual
    blocks, and an implicit sampler to the LR lattice, added to the reference LR (so the network
    learns what to change in an ordinary LR frame).
    """

    def __init__(self, channels: int = 64, blocks: int = 10, hidden: int = 256,
                 stem_shuffle: int = 1, max_points: int = 1 << 17):
        super().__init__()
        self.stem_shuffle = stem_shuffle
        self.stem = nn.Sequential(
            nn.Conv3d(3 * stem_shuffle ** 2, channels, 3, padding=1), nn.PReLU())
        self.body = nn.Sequential(*(ResBlock3D(channels) for _ in range(blocks)))
        self.sampler = ImplicitSampler3D(channels, hidden, 3, max_points, residual=True)

    def forward(self, hr: torch.Tensor, size: Tuple[int, int], positions: Sequence[float],
                step: float) -> torch.Tensor:
        """``size``: LR (h, w); ``positions``: LR frames in HR-frame units; ``step``: HR frames per
        LR frame."""
        h_hr, w_hr = hr.shape[-2:]
        s = self.stem_shuffle
        x = space_to_depth(pad_to_multiple(hr, s), s) if s > 1 else hr
        feat = self.body(self.stem(x))
        ct = torch.tensor(list(positions), dtype=hr.dtype, device=hr.device)
        cy = pixel_centres(size[0], h_hr / s, hr.device, hr.dtype)
        cx = pixel_centres(size[1], w_hr / s, hr.device, hr.dtype)
        cell = (step, h_hr / s / size[0], w_hr / s / size[1])
        return reference_lr(hr, positions, size) + self.sampler(feat, ct, cy, cx, cell)
