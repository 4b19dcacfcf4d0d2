"""Space-time upsampler on the LR grid, on a motion-compensated base: LR video (revealed latent or
ordinary footage) -> HR video at any frame positions and size."""
from __future__ import annotations

from typing import Optional, Sequence, Tuple

import torch
from torch import nn

from ..padding import crop_to, pad_to_multiple
from .classical import resize_frames
from .lr_blocks import batch_to_frames, frames_to_batch, integer_scale, res_stack, zero_conv
from .motion import DEFAULT_OCCLUSION_TOLERANCE, DIS_PRESETS, MotionPlan
from .shuffle import depth_to_space, space_to_depth


class LRUpNet(nn.Module):
    """(B, 3, t, h, w) LR -> (B, 3, T, H, W) HR at the given frame positions.

    1. Motion-compensated base: each target frame is predicted on the LR grid from its two LR
       neighbours by DIS flow, both warps blended with an occlusion fallback
       (:class:`~mmagic_cstvr.archs.motion.MotionPlan`); on an LR frame it is that frame.
    2. Per-LR-frame features on the LR grid divided by ``unshuffle`` (2-D convolutions), warped to
       each target's time with the same flows, fused with the base, both warps and the target's
       time fraction, then ``blocks`` residual blocks.
    3. A pixel-shuffle head per integer scale ``r`` (the integer above the spatial factor, at most
       ``max_scale``) gives a residual at ``r`` times the LR size, resized (bicubic) to the target
       size where the factor is not an integer; it is added to the bicubic upscale of the base.
       Heads start at zero, so an untrained network is the motion-compensated cascade.

    Args:
        channels: feature width.
        frame_blocks: residual blocks per LR frame.
        blocks: residual blocks per target frame.
        unshuffle: extra space-to-depth of the LR grid.
        max_scale: largest integer scale with its own head.
        flow_preset: DIS preset of the base's optical flow.
        occlusion_tolerance: warp disagreement beyond which the base takes the nearer frame's
            warp; None: the plain blend of both warps (the network still sees both).
    """

    def __init__(self, channels: int = 48, frame_blocks: int = 2, blocks: int = 4,
                 unshuffle: int = 1, max_scale: int = 4, flow_preset: str = 'medium',
                 occlusion_tolerance: Optional[float] = DEFAULT_OCCLUSION_TOLERANCE):
        super().__init__()
        if flow_preset not in DIS_PRESETS:
            raise ValueError(f'unknown flow_preset {flow_preset!r}; choose one of {DIS_PRESETS}')
        self.unshuffle, self.max_scale, self.flow_preset = unshuffle, max_scale, flow_preset
        self.occlusion_tolerance = occlusion_tolerance
        pixels = 3 * unshuffle ** 2
        self.stem = nn.Sequential(nn.Conv2d(pixels, channels, 3, padding=1), nn.ReLU(inplace=True),
                                  res_stack(channels, frame_blocks))
        self.fuse = nn.Sequential(nn.Conv2d(2 * channels + 3 * pixels + 1, channels, 3, padding=1),
                                  nn.ReLU(inplace=True), res_stack(channels, blocks))
        self.heads = nn.ModuleDict({str(r): zero_conv(channels, 3 * (r * unshuffle) ** 2)
                                    for r in range(1, max_scale + 1)})

    def forward(self, lr: torch.Tensor, size: Tuple[int, int], positions: Sequence[float],
                step: float) -> torch.Tensor:
        """``size``: HR (H, W); ``positions``: HR frames in LR-frame units; ``step``: LR frames per
        HR frame (unused: the positions say it all)."""
        b, (h, w) = lr.shape[0], lr.shape[-2:]
        r, u = integer_scale(size, (h, w), self.max_scale), self.unshuffle
        padded = pad_to_multiple(lr, u)
        plan = MotionPlan(padded, positions, self.flow_preset, self.occlusion_tolerance)
        base, warp_a, warp_b = (torch.stack(v, 2) for v in plan.predict(padded))
        feat = batch_to_frames(self.stem(frames_to_batch(space_to_depth(padded, u))), b)
        feat_a, feat_b = (torch.stack(v, 2) for v in zip(*(plan.warp_pair(feat, j)
                                                             for j in range(len(positions)))))
        when = torch.tensor(plan.weight, dtype=lr.dtype, device=lr.device).view(1, 1, -1, 1, 1)
        when = when.expand(b, 1, -1, *feat.shape[-2:])
        x = torch.cat([feat_a, feat_b] + [space_to_depth(v, u) for v in (base, warp_a, warp_b)]
                      + [when], 1)
        y = self.heads[str(r)](self.fuse(frames_to_batch(x)))
        residual = crop_to(depth_to_space(batch_to_frames(y, b), r * u), (r * h, r * w))
        base = crop_to(base, (h, w))
        return resize_frames(base, size) + resize_frames(residual, size)
