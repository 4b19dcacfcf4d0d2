"""Space-time upsampler on the LR grid, on a motion-compensated base: LR video (revealed latent or
ordinary footage) -> HR video at any frame positions and size."""
from __future__ import annotations

from typing import Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import nn

from ..structures.padding import crop_to, pad_to_multiple
from .classical import frames_read, resize_frames
from .lr_blocks import batch_to_frames, frames_to_batch, integer_scale, res_stack, zero_conv
from .motion import (DEFAULT_OCCLUSION_TOLERANCE, DIS_PRESETS, MotionPlan, backward_warp,
                     occlusion_aware_blend, pair_flows)
from .shuffle import depth_to_space, space_to_depth
from .subpixel_transfer import fill_output_head, fill_scales

#: Where in-between frames are motion-compensated: on the LR grid, or after upscaling.
MOTION_GRIDS = ('lr', 'hr')


class LRUpNet(nn.Module):
    """(B, 3, t, h, w) LR -> (B, 3, T, H, W) HR at the given frame positions.

    1. Motion-compensated base: each target frame is predicted on the LR grid from its two LR
       neighbours by DIS flow, both warps blended with an optional occlusion fallback
       (:class:`~mmagic_cstvr.archs.motion.MotionPlan`); on an LR frame it is that frame.
    2. Per-LR-frame features on the LR grid divided by ``unshuffle`` (2-D convolutions; with
       ``neighbours``, plus a residual from both neighbouring LR frames' features, warped onto the
       frame along DIS flow, and how far each warped neighbour is from it), warped to each target's
       time with the same flows, fused with the base, both warps and the target's
       time fraction, then ``blocks`` residual blocks.
    3. A pixel-shuffle head per integer scale ``r`` (the integer above the spatial factor, at most
       ``max_scale``) gives a residual at ``r`` times the LR size, resized (bicubic) to the target
       size where the factor is not an integer; it is added to the bicubic upscale of the base.
       Heads start at zero, so an untrained network is the motion-compensated cascade.

    With ``motion='hr'`` only the LR frames go through step 3 as above; a target between two LR
    frames is the blend of both upscaled neighbours, warped to its time at the target size with
    the same flows, plus a residual from its own heads (``between_heads``, zero at the start).
    The upscaled frames then carry their spatial detail into the in-between frames.

    Args:
        channels: feature width.
        frame_blocks: residual blocks per LR frame.
        blocks: residual blocks per target frame.
        unshuffle: extra space-to-depth of the LR grid.
        max_scale: largest integer scale with its own head.
        flow_preset: DIS preset of the base's optical flow.
        occlusion_tolerance: warp disagreement beyond which a blend takes the nearer frame's
            warp; None: the plain blend of both warps (the network still sees both).
        motion: ``'lr'`` (in-between frames predicted on the LR grid, then upscaled) or ``'hr'``
            (LR frames upscaled, then warped to the in-between times).
        neighbours: fuse each LR frame's features with its neighbours' (a branch that starts at
            zero: a network trained without it, fine-tuned with it, starts from its own output).
    """

    def __init__(self, channels: int = 48, frame_blocks: int = 2, blocks: int = 4,
                 unshuffle: int = 1, max_scale: int = 4, flow_preset: str = 'medium',
                 occlusion_tolerance: Optional[float] = DEFAULT_OCCLUSION_TOLERANCE,
                 motion: str = 'lr', neighbours: bool = False):
        super().__init__()
        if flow_preset not in DIS_PRESETS:
            raise ValueError(f'unknown flow_preset {flow_preset!r}; choose one of {DIS_PRESETS}')
        if motion not in MOTION_GRIDS:
            raise ValueError(f'unknown motion {motion!r}; choose one of {MOTION_GRIDS}')
        self.unshuffle, self.max_scale, self.flow_preset = unshuffle, max_scale, flow_preset
        self.occlusion_tolerance, self.motion, self.neighbours = occlusion_tolerance, motion, neighbours
        pixels = 3 * unshuffle ** 2
        self.stem = nn.Sequential(nn.Conv2d(pixels, channels, 3, padding=1), nn.ReLU(inplace=True),
                                  res_stack(channels, frame_blocks))
        if neighbours:
            self.neighbour_fuse = nn.Sequential(
                nn.Conv2d(3 * channels + 2 * pixels, channels, 3, padding=1), nn.ReLU(inplace=True),
                res_stack(channels, 1), zero_conv(channels, channels))
        self.fuse = nn.Sequential(nn.Conv2d(2 * channels + 3 * pixels + 1, channels, 3, padding=1),
                                  nn.ReLU(inplace=True), res_stack(channels, blocks))
        self.heads = self._heads(channels)
        if motion == 'hr':
            self.between_heads = self._heads(channels)

    def _heads(self, channels: int) -> nn.ModuleDict:
        u = self.unshuffle
        return nn.ModuleDict({str(r): zero_conv(channels, 3 * (r * u) ** 2)
                              for r in range(1, self.max_scale + 1)})

    @property
    def context(self) -> int:
        """LR frames a window should read on each side of the ones its targets lie between."""
        return int(self.neighbours)

    def fill_scales_from(self, trained: int) -> None:
        """Set every other scale's output heads from the ones trained at scale ``trained``
        (:func:`~mmagic_cstvr.archs.subpixel_transfer.fill_output_head`)."""
        for heads in (self.heads, getattr(self, 'between_heads', None)):
            if heads is not None:
                fill_scales(heads, trained, self.unshuffle, fill_output_head)

    def forward(self, lr: torch.Tensor, size: Tuple[int, int], positions: Sequence[float],
                step: float) -> torch.Tensor:
        """``size``: HR (H, W); ``positions``: HR frames in LR-frame units; ``step``: LR frames per
        HR frame (unused: the positions say it all)."""
        b, t, (h, w) = lr.shape[0], lr.shape[2], lr.shape[-2:]
        padded = pad_to_multiple(lr, self.unshuffle)
        feat = batch_to_frames(self.stem(frames_to_batch(space_to_depth(padded, self.unshuffle))), b)
        used = frames_read(positions, t)
        adjacent = {}
        if self.neighbours and t > 1:
            pairs = sorted({(j - 1, j) for j in used if j} | {(j, j + 1) for j in used if j < t - 1})
            adjacent = pair_flows(padded, pairs, self.flow_preset)
            feat = feat.index_add(2, torch.tensor(used, device=feat.device),
                                  self._from_neighbours(padded, feat, adjacent, used))
        plan = MotionPlan(padded, positions, self.flow_preset, self.occlusion_tolerance,
                          measured=adjacent)
        if self.motion == 'lr':
            return self._upscale(padded, feat, plan, range(len(positions)), self.heads, size, (h, w))
        frames_plan = MotionPlan(padded, used, self.flow_preset, self.occlusion_tolerance)
        upscaled = dict(zip(used, self._upscale(padded, feat, frames_plan, range(len(used)),
                                                self.heads, size, (h, w)).unbind(2)))
        between = [j for j, weight in enumerate(plan.weight) if weight]
        correction = {} if not between else dict(zip(between, self._upscale(
            padded, feat, plan, between, self.between_heads, size, (h, w), with_base=False).unbind(2)))
        out = []
        for j, weight in enumerate(plan.weight):
            if j not in correction:
                out.append(upscaled[plan.lower[j]])
                continue
            warp_a, warp_b = plan.warp_pair(upscaled, j, region=(h, w))
            out.append(occlusion_aware_blend(warp_a, warp_b, weight, self.occlusion_tolerance)
                       + correction[j])
        return torch.stack(out, 2)

    def _from_neighbours(self, padded: torch.Tensor, feat: torch.Tensor, adjacent: dict,
                         frames: Sequence[int]) -> torch.Tensor:
        """The neighbour branch's residual (B, C, len(frames), h', w') for the features ``feat``
        of LR frames ``frames`` of ``padded`` (B, 3, t, h, w), from the flows
        ``adjacent[(j, j + 1)]``: each frame sees both neighbours (itself where it has none on
        one side) warped onto it."""
        b, t, u = padded.shape[0], padded.shape[2], self.unshuffle
        inputs = []
        for j in frames:
            parts, gaps = [feat[:, :, j]], []
            for k, flow in ((j - 1, adjacent[(j - 1, j)][1] if j else None),
                            (j + 1, adjacent[(j, j + 1)][0] if j < t - 1 else None)):
                if flow is None:
                    parts.append(feat[:, :, j])
                    gaps.append(torch.zeros_like(padded[:, :, j]))
                    continue
                parts.append(backward_warp(feat[:, :, k], flow, -1))
                gaps.append((backward_warp(padded[:, :, k], flow, -1) - padded[:, :, j]).abs())
            inputs.append(torch.cat(parts + [F.pixel_unshuffle(g, u) for g in gaps], 1))
        return batch_to_frames(self.neighbour_fuse(frames_to_batch(torch.stack(inputs, 2))), b)

    def _upscale(self, padded: torch.Tensor, feat: torch.Tensor, plan: MotionPlan,
                 targets: Sequence[int], heads: nn.ModuleDict, size: Tuple[int, int],
                 lr_size: Tuple[int, int], with_base: bool = True) -> torch.Tensor:
        """Targets ``targets`` of ``plan`` at ``size``: (B, 3, len(targets), H, W), the bicubic
        upscale of the LR-grid base plus the residual of ``heads`` (the residual alone where
        ``with_base`` is False)."""
        b, u, (h, w) = padded.shape[0], self.unshuffle, lr_size
        r = integer_scale(size, (h, w), self.max_scale)
        base, warp_a, warp_b = (torch.stack(v, 2) for v in plan.predict(padded, targets))
        feat_a, feat_b = (torch.stack(v, 2) for v in zip(*(plan.warp_pair(feat, j) for j in targets)))
        when = torch.tensor([plan.weight[j] for j in targets], dtype=padded.dtype,
                            device=padded.device).view(1, 1, -1, 1, 1)
        when = when.expand(b, 1, -1, *feat.shape[-2:])
        x = torch.cat([feat_a, feat_b] + [space_to_depth(v, u) for v in (base, warp_a, warp_b)]
                      + [when], 1)
        y = heads[str(r)](self.fuse(frames_to_batch(x)))
        residual = resize_frames(crop_to(depth_to_space(batch_to_frames(y, b), r * u),
                                         (r * h, r * w)), size)
        return resize_frames(crop_to(base, (h, w)), size) + residual if with_base else residual
