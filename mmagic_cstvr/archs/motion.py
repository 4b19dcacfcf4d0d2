"""Motion-compensated prediction of in-between frames from their two neighbours.

Optical flow is OpenCV's DIS on the 8-bit grey frames (no gradient: flow is a measurement, the
warps that use it are differentiable). A frame at time ``w`` between frames ``a`` (time 0) and
``b`` (time 1) is predicted by backward warping: ``a`` sampled at ``x - w * flow_ab(x)`` and ``b``
at ``x - (1 - w) * flow_ba(x)``. Where the two warps disagree by more than a tolerance
(occlusions, flow failures) the blend can fall back to the nearer frame's warp instead of averaging
two different things; without a tolerance both warps are always averaged, which scores higher
wherever the two predictions are equally good (the DIS-flow baseline's blend).
"""
from __future__ import annotations

from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F

from ..structures.padding import crop_to
from .classical import temporal_neighbours

#: DIS presets: OpenCV's three, and ``'fine'``: medium refined down to the full-resolution level
#: (OpenCV stops one pyramid level above it), sharper on fine texture and small motion.
DIS_PRESETS = ('ultrafast', 'fast', 'medium', 'fine')


#: DIS needs frames at least this wide or high; smaller ones get zero flow (a plain blend).
DIS_MIN_SIDE = 12


def dis_flow(a: np.ndarray, b: np.ndarray, preset: str = 'medium') -> np.ndarray:
    """Flow (H, W, 2) in pixels (x, y) from grey uint8 frame ``a`` (H, W) to ``b``."""
    import cv2
    if preset not in DIS_PRESETS:
        raise ValueError(f'unknown DIS preset {preset!r}; choose one of {DIS_PRESETS}')
    if max(a.shape) < DIS_MIN_SIDE:
        return np.zeros((*a.shape, 2), np.float32)
    code = {'ultrafast': cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST, 'fast': cv2.DISOPTICAL_FLOW_PRESET_FAST,
            'medium': cv2.DISOPTICAL_FLOW_PRESET_MEDIUM, 'fine': cv2.DISOPTICAL_FLOW_PRESET_MEDIUM}[preset]
    dis = cv2.DISOpticalFlow_create(code)
    if preset == 'fine':
        dis.setFinestScale(0)
    return dis.calc(a, b, None)


def grey_uint8(frames: torch.Tensor) -> np.ndarray:
    """(N, 3, H, W) RGB in [0, 1] -> (N, H, W) uint8 BT.601 luma, as OpenCV's RGB2GRAY."""
    rgb = frames.detach().float().clamp(0, 1).cpu()
    y = 0.299 * rgb[:, 0] + 0.587 * rgb[:, 1] + 0.114 * rgb[:, 2]
    return (y * 255).round().to(torch.uint8).numpy()


#: Orientations a flow can be measured in (and turned back from): DIS works on a patch grid and
#: a coarse-to-fine pyramid, so a mirrored or transposed pair gives a different, equally good
#: estimate; averaging predictions over them cancels part of each one's error.
FLOW_VIEWS = ('identity', 'flip', 'transpose')


def dis_flow_view(a: np.ndarray, b: np.ndarray, preset: str = 'medium',
                  view: str = 'identity') -> np.ndarray:
    """:func:`dis_flow` measured on the pair mirrored left-right (``'flip'``) or transposed
    (``'transpose'``), returned in the original orientation (H, W, 2)."""
    if view == 'identity':
        return dis_flow(a, b, preset)
    if view == 'flip':
        flow = dis_flow(np.ascontiguousarray(a[:, ::-1]), np.ascontiguousarray(b[:, ::-1]), preset)
        flow = flow[:, ::-1] * np.array([-1, 1], np.float32)
    elif view == 'transpose':
        flow = dis_flow(np.ascontiguousarray(a.T), np.ascontiguousarray(b.T), preset)
        flow = flow.transpose(1, 0, 2)[..., ::-1]
    else:
        raise ValueError(f'unknown flow view {view!r}; choose one of {FLOW_VIEWS}')
    return np.ascontiguousarray(flow)


def flow_between(a: torch.Tensor, b: torch.Tensor, preset: str = 'medium',
                 view: str = 'identity') -> torch.Tensor:
    """DIS flow (N, 2, H, W) from each frame of ``a`` to the same one of ``b`` (N, 3, H, W),
    measured in orientation ``view``: ``a(x)`` is seen at ``x + flow(x)`` in ``b``."""
    flows = np.stack([dis_flow_view(x, y, preset, view)
                      for x, y in zip(grey_uint8(a), grey_uint8(b))])
    return torch.from_numpy(flows).permute(0, 3, 1, 2).to(a.device, a.dtype)


def pair_flows(frames: torch.Tensor, pairs: Sequence[Tuple[int, int]], preset: str = 'medium',
               view: str = 'identity') -> Dict[Tuple[int, int], Tuple[torch.Tensor, torch.Tensor]]:
    """Forward and backward flows (B, 2, H, W) for each ``(lo, hi)`` frame pair of (B, 3, T, H, W),
    measured in orientation ``view``."""
    return {(lo, hi): (flow_between(frames[:, :, lo], frames[:, :, hi], preset, view),
                       flow_between(frames[:, :, hi], frames[:, :, lo], preset, view))
            for lo, hi in pairs}


def backward_warp(image: torch.Tensor, flow: torch.Tensor, t: float,
                  mode: str = 'bilinear') -> torch.Tensor:
    """(N, C, H, W) ``image`` sampled (``mode``: bilinear or bicubic) at ``x - t * flow(x)``;
    ``flow`` (N, 2, H', W') in pixels of ``image``'s grid (resized to it when H', W' differ).
    Border pixels are replicated."""
    n, _, h, w = image.shape
    if flow.shape[-2:] != (h, w):
        sy, sx = h / flow.shape[-2], w / flow.shape[-1]
        flow = F.interpolate(flow, size=(h, w), mode='bilinear', align_corners=False)
        flow = flow * torch.tensor([sx, sy], dtype=flow.dtype, device=flow.device).view(1, 2, 1, 1)
    ys, xs = pixel_grid((h, w), image)
    return sample_at(image, xs - t * flow[:, 0], ys - t * flow[:, 1], mode)


def pixel_grid(size: Tuple[int, int], like: Optional[torch.Tensor] = None
               ) -> Tuple[torch.Tensor, torch.Tensor]:
    """Row (H, 1) and column (1, W) coordinates of every pixel of a frame of ``size``, in the
    dtype and on the device of ``like`` (float32 on the CPU without it)."""
    kw = dict(dtype=like.dtype, device=like.device) if like is not None else dict(dtype=torch.float32)
    return torch.arange(size[0], **kw)[:, None], torch.arange(size[1], **kw)[None, :]


def sample_at(image: torch.Tensor, x: torch.Tensor, y: torch.Tensor,
              mode: str = 'bilinear') -> torch.Tensor:
    """(N, C, H', W') ``image`` (N, C, H, W) sampled (``mode``: bilinear, bicubic or nearest) at
    pixel coordinates ``x``, ``y`` (N, H', W'; pixel centres at whole numbers); border pixels are
    replicated."""
    h, w = image.shape[-2:]
    grid = torch.stack([x * (2 / max(w - 1, 1)) - 1, y * (2 / max(h - 1, 1)) - 1], -1)
    return F.grid_sample(image, grid, mode=mode, padding_mode='border', align_corners=True)


def intermediate_flows(forward: torch.Tensor, backward: torch.Tensor, w: float
                       ) -> Tuple[torch.Tensor, torch.Tensor]:
    """Flows (N, 2, H, W) from time ``w`` to frame ``a`` (time 0) and to ``b`` (time 1) from
    both measured flows ``a -> b`` and ``b -> a``, assuming linear motion (Super SloMo's
    combination): ``-(1 - w) w F_ab + w^2 F_ba`` and ``(1 - w)^2 F_ab - w (1 - w) F_ba``.
    Unlike scaling one flow, it averages the two directions' errors, and where one direction
    is wrong at a motion boundary the other often is not."""
    to_a = -(1 - w) * w * forward + w * w * backward
    to_b = (1 - w) * (1 - w) * forward - w * (1 - w) * backward
    return to_a, to_b


#: Mean absolute difference of two warps above which the blend starts to take the nearer one.
DEFAULT_OCCLUSION_TOLERANCE = 12 / 255


def occlusion_aware_blend(warp_a: torch.Tensor, warp_b: torch.Tensor, w: float,
                          tolerance: Optional[float] = DEFAULT_OCCLUSION_TOLERANCE,
                          softness: float = 12 / 255) -> torch.Tensor:
    """``(1 - w) * a + w * b`` where the warps (N, 3, H, W) agree; the nearer one's warp (``a`` for
    ``w <= 1/2``) where their mean absolute difference exceeds ``tolerance + softness``; a linear
    ramp in between. ``tolerance=None``: the plain blend everywhere."""
    blend = (1 - w) * warp_a + w * warp_b
    if tolerance is None:
        return blend
    nearer = warp_a if w <= 0.5 else warp_b
    gap = (warp_a - warp_b).abs().mean(1, keepdim=True).detach()
    fallback = ((gap - tolerance) / softness).clamp(0, 1)
    return blend + fallback * (nearer - blend)


class MotionPlan:
    """Where each target frame sits between two source frames, and the flows between them.

    Args:
        frames: (B, 3, T, H, W) source frames (the ones the flow is measured on).
        positions: target frame positions in source-frame units.
        preset: DIS preset.
        occlusion_tolerance: see :func:`occlusion_aware_blend` (None: always the plain blend).
        measured: flows already measured on ``frames`` (as :func:`pair_flows` gives them), used
            instead of measuring those pairs again.

    Attributes: ``lower``, ``upper``, ``weight`` per target (see :func:`temporal_neighbours`) and
    ``flows[(lo, hi)] = (forward, backward)`` for every pair a target lies strictly between.
    """

    def __init__(self, frames: torch.Tensor, positions: Sequence[float], preset: str = 'medium',
                 occlusion_tolerance: Optional[float] = DEFAULT_OCCLUSION_TOLERANCE,
                 measured: Optional[Dict[Tuple[int, int], Tuple[torch.Tensor, torch.Tensor]]] = None):
        self.occlusion_tolerance = occlusion_tolerance
        self.lower, self.upper, self.weight = temporal_neighbours(positions, frames.shape[2])
        pairs = sorted({(lo, hi) for lo, hi, w in zip(self.lower, self.upper, self.weight) if w})
        measured = measured or {}
        self.flows = {**pair_flows(frames, [p for p in pairs if p not in measured], preset),
                      **{p: measured[p] for p in pairs if p in measured}}

    def warp_pair(self, video: torch.Tensor, j: int,
                  region: Optional[Tuple[int, int]] = None) -> Tuple[torch.Tensor, torch.Tensor]:
        """Both neighbours of target ``j`` in (B, C, T, h, w) ``video`` (or a dict of its frames
        (B, C, h, w) by index, holding at least the ones targets read) warped to its time (any
        grid size: flows are rescaled to it); the frame itself twice where the target is on one.
        ``region``: the top-left (H, W) of the measured frames that ``video`` covers (the frames
        without their bottom/right padding); the whole frame where None."""
        lo, hi, w = self.lower[j], self.upper[j], self.weight[j]
        frame = video.__getitem__ if isinstance(video, dict) else lambda i: video[:, :, i]
        if not w:
            return frame(lo), frame(lo)
        fwd, bwd = (f if region is None else crop_to(f, region) for f in self.flows[(lo, hi)])
        return backward_warp(frame(lo), fwd, w), backward_warp(frame(hi), bwd, 1 - w)

    def predict(self, video: torch.Tensor, targets: Optional[Sequence[int]] = None
                ) -> Tuple[List[torch.Tensor], List[torch.Tensor], List[torch.Tensor]]:
        """Per target (all, or the indices ``targets``): the motion-compensated frame
        (B, 3, H, W) and both warps."""
        base, warps_a, warps_b = [], [], []
        for j in range(len(self.weight)) if targets is None else targets:
            w = self.weight[j]
            a, b = self.warp_pair(video, j)
            base.append(occlusion_aware_blend(a, b, w, self.occlusion_tolerance) if w else a)
            warps_a.append(a)
            warps_b.append(b)
        return base, warps_a, warps_b
