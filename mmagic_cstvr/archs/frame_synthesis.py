"""Time-only upsampler: in-between frames synthesised from motion-compensated candidates.

For a spatial factor of 1 the LR frames are the HR frames at their times, so they are returned as
they are, and the work is all in the frames between them. Each in-between frame at time ``w``
between LR frames ``a`` and ``b`` has four candidates, all sampled bicubically along DIS flows
measured both ways between ``a`` and ``b``:

- ``a`` and ``b`` each warped along its own flow scaled to ``w`` (the DIS-flow baseline's warps);
- ``a`` and ``b`` warped along the flows from time ``w`` that combine both directions
  (:func:`~mmagic_cstvr.archs.motion.intermediate_flows`).

With several flow estimates (``flow_ensemble``: DIS presets, each measured on the pair as it is,
mirrored or transposed) each candidate is the mean of its warps along every estimate.

A small network on a grid folded by ``unshuffle`` (plain 2-D convolutions) looks at the
candidates, both frames, both flows and ``w``, and returns per-pixel softmax weights over the
candidates (and, with ``residual``, a residual added to their mix). Its output convolution starts
at zero: the untrained network is the time-weighted mean of the candidates, already above the
DIS-flow baseline.
"""
from __future__ import annotations

from typing import Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import nn

from ..structures.padding import crop_to, pad_to_multiple
from .classical import temporal_neighbours
from .lr_blocks import res_stack, zero_conv
from .motion import DIS_PRESETS, FLOW_VIEWS, backward_warp, intermediate_flows, pair_flows

#: Candidates per in-between frame: two warps of each neighbour.
CANDIDATES = 4

#: Flows are divided by this before the network sees them (pixels of typical motion -> about 1).
FLOW_SCALE = 16.0


class FrameSynthesisNet(nn.Module):
    """(B, 3, t, h, w) LR -> (B, 3, T, h, w) at the given frame positions (spatial factor 1).

    Args:
        channels: feature width.
        blocks: residual blocks.
        unshuffle: space-to-depth of the frame grid before the convolutions.
        flow_ensemble: flow estimates, each ``'PRESET'`` or ``'PRESET:VIEW'`` (a DIS preset of
            :data:`~mmagic_cstvr.archs.motion.DIS_PRESETS`, a view of
            :data:`~mmagic_cstvr.archs.motion.FLOW_VIEWS`); the network sees the first one's flows.
        warp_mode: ``grid_sample`` interpolation of the warps.
        residual: whether the network adds a residual to the mix of candidates (False: it
            only chooses among them, and cannot paint what no warp shows).
    """

    def __init__(self, channels: int = 48, blocks: int = 4, unshuffle: int = 2,
                 flow_ensemble: Sequence[str] = ('fine',), warp_mode: str = 'bicubic',
                 residual: bool = True):
        super().__init__()
        self.flow_ensemble = [parse_flow_estimate(e) for e in flow_ensemble]
        if not self.flow_ensemble:
            raise ValueError('flow_ensemble needs at least one flow estimate')
        if warp_mode not in ('bilinear', 'bicubic'):
            raise ValueError(f"unknown warp_mode {warp_mode!r}; choose 'bilinear' or 'bicubic'")
        self.unshuffle, self.warp_mode = unshuffle, warp_mode
        self.residual = residual
        inputs = 3 * CANDIDATES + 6 + 4 + 1
        self.body = nn.Sequential(nn.Conv2d(inputs * unshuffle ** 2, channels, 3, padding=1),
                                  nn.ReLU(inplace=True), res_stack(channels, blocks))
        self.head = zero_conv(channels, (CANDIDATES + 3 * residual) * unshuffle ** 2)

    def candidates(self, a: torch.Tensor, b: torch.Tensor,
                   flows: Sequence[Tuple[torch.Tensor, torch.Tensor]], w: float) -> torch.Tensor:
        """(N, 4, 3, H, W): the four candidates of the frame at time ``w`` between ``a`` and
        ``b`` (N, 3, H, W), given flow estimates ``(a -> b, b -> a)`` (N, 2, H, W each)."""
        warp = lambda image, flow, t: backward_warp(image, flow, t, self.warp_mode)  # noqa: E731
        total = 0
        for forward, backward in flows:
            to_a, to_b = intermediate_flows(forward, backward, w)
            total = total + torch.stack([warp(a, forward, w), warp(b, backward, 1 - w),
                                         warp(a, to_a, -1.0), warp(b, to_b, -1.0)], 1).clamp(0, 1)
        return total / len(flows)

    def synthesise(self, a: torch.Tensor, b: torch.Tensor,
                   flows: Sequence[Tuple[torch.Tensor, torch.Tensor]], w: float) -> torch.Tensor:
        """(N, 3, H, W) frame at time ``w`` (0 < w < 1) between ``a`` and ``b`` from the flow
        estimates ``flows`` (see :meth:`candidates`)."""
        n, _, h, width = a.shape
        u = self.unshuffle
        cand = self.candidates(a, b, flows, w)
        forward, backward = flows[0]
        when = a.new_full((n, 1, h, width), w)
        x = torch.cat([cand.flatten(1, 2), a, b, forward / FLOW_SCALE, backward / FLOW_SCALE, when], 1)
        y = F.pixel_shuffle(self.head(self.body(F.pixel_unshuffle(pad_to_multiple(x, u), u))), u)
        y = crop_to(y, (h, width))
        prior = torch.tensor([1 - w, w, 1 - w, w], dtype=a.dtype, device=a.device).view(1, -1, 1, 1)
        weights = torch.softmax(y[:, :CANDIDATES] + prior.log(), 1)
        mix = (weights.unsqueeze(2) * cand).sum(1)
        return mix + y[:, CANDIDATES:] if self.residual else mix

    def forward(self, lr: torch.Tensor, size: Tuple[int, int], positions: Sequence[float],
                step: float) -> torch.Tensor:
        """``size`` must be the LR frame size; ``positions``: target frames in LR-frame units;
        ``step`` unused."""
        if tuple(size) != tuple(lr.shape[-2:]):
            raise ValueError(f'the frame-synthesis network resamples time only: target size '
                             f'{tuple(size)} differs from the LR size {tuple(lr.shape[-2:])}')
        lower, upper, weight = temporal_neighbours(positions, lr.shape[2])
        pairs = sorted({(lo, hi) for lo, hi, w in zip(lower, upper, weight) if w})
        estimates = [pair_flows(lr, pairs, preset, view) for preset, view in self.flow_ensemble]
        out = []
        for lo, hi, w in zip(lower, upper, weight):
            if not w:
                out.append(lr[:, :, lo])
                continue
            flows = [flows_of[(lo, hi)] for flows_of in estimates]
            out.append(self.synthesise(lr[:, :, lo], lr[:, :, hi], flows, w))
        return torch.stack(out, 2)


def parse_flow_estimate(text: str) -> Tuple[str, str]:
    """``'PRESET'`` or ``'PRESET:VIEW'`` -> (preset, view)."""
    preset, _, view = str(text).partition(':')
    view = view or 'identity'
    if preset not in DIS_PRESETS:
        raise ValueError(f'unknown DIS preset {preset!r} in flow_ensemble; choose one of {DIS_PRESETS}')
    if view not in FLOW_VIEWS:
        raise ValueError(f'unknown flow view {view!r} in flow_ensemble; choose one of {FLOW_VIEWS}')
    return preset, view
