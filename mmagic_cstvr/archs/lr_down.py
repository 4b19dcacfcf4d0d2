"""Learned space-time downsampler on the LR grid: HR video -> latent LR video (before the IMSM)."""
from __future__ import annotations

from typing import Sequence, Tuple

import torch
from torch import nn

from ..structures.padding import crop_to, pad_to_multiple
from .classical import blend_frames, reference_lr, resize_frames
from .lr_blocks import (batch_to_frames, frames_to_batch, integer_scale, res_stack, zero_conv)
from .shuffle import depth_to_space, space_to_depth
from .subpixel_transfer import fill_input_layer, fill_scales


class LRDownNet(nn.Module):
    """(B, 3, T, H, W) HR -> (B, 3, T', h, w) latent at the LR frames' positions.

    Every convolution runs on the LR grid divided by ``unshuffle``: each HR frame is resized
    (antialiased bicubic) to ``r`` times the LR size, ``r`` the integer scale above the spatial
    factor (at most ``max_scale``), and folded by space-to-depth ``r * unshuffle`` into channels.
    Per-frame features are taken at ``taps`` times evenly spread over one LR step around each LR
    frame (linear in time between HR frames), mixed, and turned into a residual on the ordinary LR
    frame (:func:`reference_lr`); the output convolution starts at zero.

    Args:
        channels: feature width.
        frame_blocks: residual blocks per HR frame.
        blocks: residual blocks per LR frame after the temporal mixing.
        unshuffle: extra space-to-depth of the LR grid (2 halves the cost at 1x space by 4).
        taps: HR feature times per LR frame (odd: the frame itself and pairs around it).
        max_scale: largest integer scale with its own input layer.
    """

    def __init__(self, channels: int = 48, frame_blocks: int = 1, blocks: int = 4,
                 unshuffle: int = 1, taps: int = 3, max_scale: int = 4):
        super().__init__()
        if taps < 1 or taps % 2 == 0:
            raise ValueError(f'taps must be an odd number >= 1, got {taps}')
        self.unshuffle, self.taps, self.max_scale = unshuffle, taps, max_scale
        self.stems = nn.ModuleDict({
            str(r): nn.Conv2d(3 * (r * unshuffle) ** 2, channels, 3, padding=1)
            for r in range(1, max_scale + 1)})
        self.frame_body = nn.Sequential(nn.ReLU(inplace=True), res_stack(channels, frame_blocks))
        self.mix = nn.Sequential(nn.Conv2d(taps * channels, channels, 3, padding=1),
                                 nn.ReLU(inplace=True), res_stack(channels, blocks))
        self.out = zero_conv(channels, 3 * unshuffle ** 2)

    def fill_scales_from(self, trained: int) -> None:
        """Set every other scale's input layer from the one trained at scale ``trained``
        (:func:`~mmagic_cstvr.archs.subpixel_transfer.fill_input_layer`)."""
        fill_scales(self.stems, trained, self.unshuffle, fill_input_layer)

    def forward(self, hr: torch.Tensor, size: Tuple[int, int], positions: Sequence[float],
                step: float) -> torch.Tensor:
        """``size``: LR (h, w); ``positions``: LR frames in HR-frame units; ``step``: HR frames per
        LR frame."""
        b = hr.shape[0]
        r, u = integer_scale(hr.shape[-2:], size, self.max_scale), self.unshuffle
        x = space_to_depth(pad_to_multiple(resize_frames(hr, (r * size[0], r * size[1])), r * u), r * u)
        feat = batch_to_frames(self.frame_body(self.stems[str(r)](frames_to_batch(x))), b)
        half = (self.taps - 1) // 2
        offsets = [step * d / (2 * half) for d in range(-half, half + 1)] if half else [0.0]
        taps = [blend_frames(feat, [p + o for p in positions]) for o in offsets]
        y = self.out(self.mix(frames_to_batch(torch.cat(taps, 1))))
        residual = crop_to(depth_to_space(batch_to_frames(y, b), u), size)
        return reference_lr(hr, positions, size) + residual
