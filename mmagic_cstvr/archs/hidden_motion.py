"""Steganographic resampling in time: each transmitted frame carries the motion of the frames
dropped after it.

Downsample at temporal factor ``k`` (spatial factor 1): LR frame ``i`` is the HR frame nearest
position ``k * i``, so the transmitted frames are the ordinary frame-dropped clip except for what
is written into them. For every HR frame ``m`` between LR frames ``a`` and ``b`` the encoder,
which sees ``m``, fits the motion that rebuilds ``m`` best from ``a`` and ``b``:

- a flow from ``m`` to ``a`` and one from ``m`` to ``b``, one vector per 8x8 block, interpolated
  bilinearly between block centres (:func:`dense_field`);
- one weight per block between the two warps (a logit, interpolated the same way).

It starts from DIS flow and refines all five numbers per block by gradient descent on the
squared error of the rebuilt frame (:func:`fit_motion`; each step may score a random quarter of
the pixels, one in every 2x2 cell): the encoder optimises exactly what the decoder will compute.
The numbers are written into ``a`` by dither modulation of block-DCT coefficients
(:mod:`.dither_steganography`): an invertible transform, reading them back needs no knowledge of
the picture. Upsample reads them from each LR frame and rebuilds each dropped frame
with two bicubic warps and the weighted blend (:func:`rebuild`), with no flow estimation. Blocks
that do not read back as written (a lossy codec between the two, or a clip that never went
through Downsample) fall back to the DIS-flow baseline (:func:`flow_motion`).

Over a network that resamples space (:class:`HiddenMotionOverSpace`) the kept frames go through
that network, the motion is fitted at HR size against its upscaled kept frames, one number per
8x8 block of the LR frame, and moves those upscaled frames.
"""
from __future__ import annotations

import math
import warnings
from typing import List, NamedTuple, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import nn

from . import dither_steganography as channel
from ..errors import PayloadLostWarning
from ..structures.colour import quantize
from ..structures.lattice import scaled_size
from ..structures.timeline import training_positions
from .classical import nearest_frames, reference_lr, temporal_neighbours
from .motion import DIS_PRESETS, flow_between, pixel_grid, sample_at

#: Share of a transmitted frame's blocks that must read back as written for its motion to be used.
TRUSTED_SHARE = 0.9

#: What Upsample says when a transmitted frame's motion does not read back.
MOTION_LOST = ('the transmitted frames carry no readable hidden motion, so their dropped frames '
               'come from DIS-flow interpolation: a lossy or 8-bit YUV encode after Downsample '
               'lost it (only lossless RGB, or lossless YUV 4:4:4 at 10 bits or more, keeps it: '
               'cstvr downsample --lossless), Downsample left it out (hide_motion=0), or never '
               'wrote it (a clip downsampled at another factor pair, or not by Downsample)')


class _Fit(NamedTuple):
    """One dropped frame ``m`` to fit: the LR frame and payload slot that carry its motion, and
    the HR frame indices of its neighbours ``a`` and ``b`` (None at the end of the clip)."""
    lr: int
    slot: int
    a: int
    m: int
    b: Optional[int]


#: Numbers per dropped frame and block: flow to ``a`` (x, y), flow to ``b`` (x, y), logit of
#: ``a``'s weight.
VALUES = 5


def slot_count(factor: float) -> int:
    """Frames that can lie strictly between two LR frames ``factor`` HR frames apart: one
    fewer than ``factor`` when it is whole, its ceiling otherwise."""
    whole = abs(factor - round(factor)) < 1e-6
    return round(factor) - 1 if whole else math.ceil(factor)


def slot_of(offset: float, factor: float) -> int:
    """Payload slot of the frame at ``offset`` (0 < offset < 1, in LR intervals) after an LR
    frame: frames of one interval are ``1 / factor`` apart, so each gets a slot of its own."""
    cells = slot_count(factor) + (abs(factor - round(factor)) < 1e-6)
    return min(max(math.ceil(offset * cells - 1e-6) - 1, 0), slot_count(factor) - 1)


#: Pixels per payload block, (rows, columns): the channel's block at spatial factor 1.
UNIT_BLOCK = (float(channel.BLOCK), float(channel.BLOCK))


def dense_field(field: torch.Tensor, size: Tuple[int, int], mode: str = 'bilinear',
                block: Tuple[float, float] = UNIT_BLOCK) -> torch.Tensor:
    """(B, C, h, w) values on the block grid -> (B, C, *size) at every pixel (:func:`field_at`)."""
    ys, xs = pixel_grid(size)
    return field_at(field, ys, xs, mode, block)


def field_at(field: torch.Tensor, ys: torch.Tensor, xs: torch.Tensor,
             mode: str = 'bilinear', block: Tuple[float, float] = UNIT_BLOCK) -> torch.Tensor:
    """(B, C, h, w) values on the block grid at pixel coordinates ``ys``, ``xs`` (broadcasting
    to (H', W')), each block covering ``block`` (rows, columns) pixels: bilinear between block
    centres, the edge values repeated past them (or each block's value over its pixels,
    ``mode='nearest'``, the last block's past the whole blocks); (B, C, H', W')."""
    ys, xs = torch.broadcast_tensors(ys.to(field), xs.to(field))
    if mode == 'nearest':
        by, bx = torch.floor(ys / block[0]), torch.floor(xs / block[1])
    else:
        by, bx = (ys + 0.5) / block[0] - 0.5, (xs + 0.5) / block[1] - 0.5
    n = field.shape[0]
    return sample_at(field, bx.expand(n, *bx.shape), by.expand(n, *by.shape), mode)


def rebuild(a: torch.Tensor, b: torch.Tensor, motion: torch.Tensor,
            block: Tuple[float, float] = UNIT_BLOCK) -> torch.Tensor:
    """(N, 3, H, W) frame rebuilt from its neighbours ``a`` and ``b`` (N, 3, H, W) and its
    ``motion`` (N, 5, h, w) on the block grid (:data:`VALUES`, flows in pixels)."""
    return blend_warps(a, b, dense_field(motion, a.shape[-2:], block=block))


def blend_warps(a: torch.Tensor, b: torch.Tensor, dense: torch.Tensor,
                ys: Optional[torch.Tensor] = None, xs: Optional[torch.Tensor] = None
                ) -> torch.Tensor:
    """Blend of ``a`` and ``b`` (N, 3, H, W) warped by per-pixel motion ``dense``
    (N, 5, H', W'), at the pixel coordinates ``ys``, ``xs`` (broadcasting to (H', W'); every
    pixel by default): (N, 3, H', W')."""
    ys, xs = pixel_grid(a.shape[-2:], a) if ys is None else (ys.to(a), xs.to(a))
    warp_a = sample_at(a, xs + dense[:, 0], ys + dense[:, 1], 'bicubic')
    warp_b = sample_at(b, xs + dense[:, 2], ys + dense[:, 3], 'bicubic')
    weight = torch.sigmoid(dense[:, 4:5])
    return (weight * warp_a + (1 - weight) * warp_b).clamp(0, 1)


def scattered_pixels(size: Tuple[int, int], stride: int, generator: torch.Generator
                     ) -> Tuple[torch.Tensor, torch.Tensor]:
    """One random pixel in every ``stride`` x ``stride`` cell of a frame of ``size``: row and
    column indices (1, K), K the number of cells (cells cut by the edge pick inside it; every
    pixel at ``stride`` 1)."""
    h, w = size
    cy, cx = torch.meshgrid(torch.arange(0, h, stride), torch.arange(0, w, stride), indexing='ij')
    ys = (cy + torch.randint(0, stride, cy.shape, generator=generator)).clamp(max=h - 1)
    xs = (cx + torch.randint(0, stride, cx.shape, generator=generator)).clamp(max=w - 1)
    return ys.reshape(1, -1), xs.reshape(1, -1)


def flow_motion(a: torch.Tensor, b: torch.Tensor, w: float) -> torch.Tensor:
    """(N, 5, H, W) per-pixel motion of the frame at time ``w`` between ``a`` and ``b`` measured
    on them alone (DIS flow both ways, each scaled to ``w``, weights by time): the DIS-flow
    baseline, for blocks whose hidden motion did not survive the channel."""
    forward, backward = flow_between(a, b), flow_between(b, a)
    logit = a.new_full((a.shape[0], 1, *a.shape[-2:]), math.log((1 - w) / w))
    return torch.cat([-w * forward, -(1 - w) * backward, logit], 1)


def fit_motion(a: torch.Tensor, m: torch.Tensor, b: Optional[torch.Tensor], iterations: int,
               lr: float, dis_preset: str, flow_range: float, logit_range: float,
               stride: int = 1, grid: Optional[Tuple[int, int]] = None,
               block: Tuple[float, float] = UNIT_BLOCK) -> torch.Tensor:
    """(N, 5, h, w) block motion that rebuilds ``m`` from ``a`` and ``b`` (N, 3, H, W each), on
    a ``grid`` (h, w) of blocks of ``block`` pixels (by default the channel's grid of ``m``):
    DIS flows from ``m`` to each, averaged over each block, then refined by ``iterations`` Adam
    steps (short moment averages, step size ``lr`` pixels falling to ``lr / 20`` along a cosine)
    on the squared error of :func:`rebuild`; clamped to the ranges the channel carries. With
    ``stride`` > 1 each step scores one random pixel of every ``stride`` x ``stride`` cell
    (:func:`scattered_pixels`, the same draws for the same frame size), about a ``stride ** 2``-th
    of the cost; a fixed lattice of pixels would alias fine patterns.
    Without ``b`` (the clip or scene ends) ``m`` is rebuilt from ``a`` alone: both flows are the
    one to ``a`` and the logit is ``logit_range``. The N frames are fitted independently (the
    loss is the sum of their mean squared errors)."""
    rows, cols = channel.payload_grid(m.shape[-2:]) if grid is None else grid
    crop = (..., slice(0, round(rows * block[0])), slice(0, round(cols * block[1])))
    single = b is None
    others = [a] if single else [a, b]
    limit = torch.tensor([flow_range] * 4 + [logit_range]).view(1, -1, 1, 1).to(m)
    free = torch.cat([F.adaptive_avg_pool2d(flow_between(m, x, dis_preset)[crop], (rows, cols))
                      for x in others]
                     + ([] if single else [m.new_zeros(m.shape[0], 1, rows, cols)]), 1)

    def motion_of(x):
        if single:
            x = torch.cat([x, x, limit[:, 4:].expand(x.shape[0], 1, rows, cols)], 1)
        return torch.maximum(torch.minimum(x, limit), -limit)

    if iterations:
        h, w = m.shape[-2:]
        with torch.inference_mode(False), torch.enable_grad():
            a, m, b = a.clone(), m.clone(), (a if single else b).clone()
            free, limit = free.clone().requires_grad_(True), limit.clone()
            optimiser = torch.optim.Adam([free], lr=lr, betas=(0.5, 0.8))
            schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, iterations, lr / 20)
            cells = torch.Generator().manual_seed(0)
            for _ in range(iterations):
                ys, xs = (i.to(m.device) for i in scattered_pixels((h, w), stride, cells))
                target = m[..., ys, xs]
                rebuilt = blend_warps(a, b, field_at(motion_of(free), ys, xs, block=block),
                                      ys, xs)
                loss = (rebuilt - target).square().flatten(1).mean(1).sum()
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
                schedule.step()
    return motion_of(free.detach())


class HiddenMotionResampler(nn.Module):
    """Steg resampler in time at spatial factor 1, and over a spatial network (:meth:`over`).

    Args:
        default_factors: (temporal, spatial) of a call that names none.
        fit_iterations, fit_lr: gradient steps and peak step size (pixels) of the encoder's
            motion fit.
        fit_stride: each step of the fit scores one pixel in ``fit_stride`` x ``fit_stride``
            (:func:`fit_motion`).
        dis_preset: DIS preset of the fit's starting flows.
        flow_range: largest flow component carried at spatial factor 1 (pixels).
        spatial_flow_range: largest flow component carried over a spatial network
            (:meth:`over`), in LR pixels.
        logit_range: largest weight logit carried.
        step, digits, base: the channel's lattice step, digits per number and digit base
            (:mod:`.dither_steganography`).
    """

    mode = 'steg'
    #: The payload grid is the whole frame's: spatial tiles would misplace it.
    tileable = False
    #: The transmitted frames carry a payload that only lossless transport keeps (RGB, or YUV
    #: 4:4:4 at 10 bits or more: 8-bit YUV rounding alone moves the digits too far).
    lossless_transport = True

    def __init__(self, default_factors: Tuple[float, float] = (2, 1), fit_iterations: int = 25,
                 fit_lr: float = 1.0, fit_stride: int = 1, dis_preset: str = 'fine',
                 flow_range: float = 128.0, logit_range: float = 6.0, step: float = 10.0,
                 digits: int = 5, base: int = 3, spatial_flow_range: float = 32.0):
        super().__init__()
        if dis_preset not in DIS_PRESETS:
            raise ValueError(f'unknown DIS preset {dis_preset!r}; choose one of {DIS_PRESETS}')
        if fit_iterations < 0 or fit_stride < 1 or fit_lr <= 0 or flow_range <= 0 \
                or logit_range <= 0 or step <= 0 or digits < 1 or base < 2 \
                or spatial_flow_range <= 0:
            raise ValueError('fit_iterations must be >= 0, fit_stride >= 1, digits >= 1, base >= 2 '
                             'and fit_lr, flow_range, spatial_flow_range, logit_range and step > 0')
        self.default_factors = tuple(default_factors)
        self.fit_iterations, self.fit_lr, self.dis_preset = int(fit_iterations), fit_lr, dis_preset
        self.fit_stride = int(fit_stride)
        self.flow_range, self.logit_range = float(flow_range), float(logit_range)
        self.spatial_flow_range = float(spatial_flow_range)
        self.step, self.digits, self.base = float(step), int(digits), int(base)
        self.capacity = channel.capacity(self.digits) // VALUES

    # -- conventions --------------------------------------------------------------------------

    def supports(self, factor: float) -> bool:
        """Whether the channel holds the motion of every frame at temporal ``factor``."""
        return float(factor) >= 1 and slot_count(float(factor)) <= self.capacity

    def _factor(self, factor: float) -> float:
        factor = float(factor)
        if not self.supports(factor):
            raise ValueError(f'the hidden-motion network resamples time by factors from 1: whole '
                             f'ones up to {self.capacity + 1}, others up to {self.capacity} (the '
                             f'motion of {self.capacity} frames between two LR frames fits its '
                             f'channel), got {factor:g}')
        return factor

    @staticmethod
    def _check_sizes(hr_size, lr_size, spatial):
        if spatial is None and tuple(hr_size) != tuple(lr_size):
            raise ValueError(f'the hidden-motion network resamples time only: HR size '
                             f'{tuple(hr_size)} and LR size {tuple(lr_size)} differ (it '
                             f'resamples space too over a spatial network: over())')
        if min(lr_size) < channel.BLOCK:
            raise ValueError(f'the hidden-motion network needs transmitted frames of at least '
                             f'{channel.BLOCK}x{channel.BLOCK} pixels, got {tuple(lr_size)}')

    def _scale(self, spatial) -> torch.Tensor:
        """Ranges of the five numbers: flows in transmitted pixels, then the logit."""
        flows = self.flow_range if spatial is None else self.spatial_flow_range
        return torch.tensor([flows] * 4 + [self.logit_range]).view(1, -1, 1, 1)

    @staticmethod
    def _geometry(hr_size, lr_size) -> Tuple[torch.Tensor, Tuple[float, float]]:
        """HR pixels per transmitted pixel as a (1, 5, 1, 1) multiplier of the five numbers, and
        the HR pixels (rows, columns) one payload block covers."""
        ry, rx = hr_size[0] / lr_size[0], hr_size[1] / lr_size[1]
        return (torch.tensor([rx, ry, rx, ry, 1.0]).view(1, -1, 1, 1),
                (channel.BLOCK * ry, channel.BLOCK * rx))

    def source_context(self, step: float) -> int:
        """Source frames a downsample window needs past the ones its LR frames span: up to the
        next LR frame, which the last frames' motion is fitted against."""
        return math.ceil(self._factor(step)) + 1

    def over(self, spatial: nn.Module) -> 'HiddenMotionOverSpace':
        """This network's time resampling over the key frames of ``spatial``, a network that
        resamples space (called at temporal factor 1)."""
        return HiddenMotionOverSpace(self, spatial)

    # -- the two directions ----------------------------------------------------------------------

    def downsample(self, hr: torch.Tensor, size: Tuple[int, int], positions: Sequence[float],
                   step: float, spatial: Optional[nn.Module] = None,
                   hide_motion: bool = True) -> torch.Tensor:
        """HR (B, 3, T, H, W) -> transmitted (B, 3, len(positions), *size) on the 8-bit lattice;
        ``positions``: the LR frames' positions in HR frames, ``step`` apart. Each LR frame is
        the HR frame nearest its position (through ``spatial``'s downsample at temporal factor 1
        where given), carrying the motion of the HR frames after it up to the next LR position,
        fitted against what the upsample will see: the kept HR frames, or ``spatial``'s
        upsample of their LR frames. Without ``hide_motion`` the LR frames carry nothing (for a
        lossy transport, which would not keep it)."""
        k = self._factor(step)
        self._check_sizes(hr.shape[-2:], size, spatial)
        n = hr.shape[2]
        hr = hr.clamp(0, 1)
        if not hide_motion:
            heres = nearest_frames(positions, n)
            lr = hr[:, :, heres] if spatial is None else \
                spatial.downsample(hr[:, :, heres], size, list(range(len(heres))), 1)
            return quantize(lr)
        rows, cols = channel.payload_grid(size)
        ratio, block = self._geometry(hr.shape[-2:], size)
        ratio = ratio.to(hr)
        scale = self._scale(spatial).to(hr)
        slots = slot_count(k)
        heres, fits = [], []
        for i, p in enumerate(positions):
            here, later = nearest_frames([p, p + k], n)
            heres.append(here)
            for j in range(math.floor(p) + 1, min(math.ceil(p + k), n)):
                fits.append(_Fit(i, slot_of((j - p) / k, k), here, j,
                                 later if p + k <= n - 1 else None))
        keys = sorted(set(heres) | {f.b for f in fits if f.b is not None})
        if spatial is None:
            carriers, seen = hr[:, :, heres], dict(zip(keys, hr[:, :, keys].unbind(2)))
        else:
            lr = spatial.downsample(hr[:, :, keys], size, list(range(len(keys))), 1)
            seen = dict(zip(keys, spatial.upsample(lr, hr.shape[-2:], list(range(len(keys))),
                                                   1).clamp(0, 1).unbind(2)))
            carriers = lr[:, :, [keys.index(h) for h in heres]]
        batch = hr.shape[0]
        values = hr.new_full((batch, len(positions), slots, VALUES, rows, cols), float('nan'))
        flow_range = float(scale[0, 0] * ratio[0, :2].min())
        for single in (False, True):  # the frames with both neighbours, then those with one
            group = [f for f in fits if (f.b is None) == single]
            if not group:
                continue
            a = torch.cat([seen[f.a] for f in group])
            m = torch.cat([hr[:, :, f.m] for f in group])
            b = None if single else torch.cat([seen[f.b] for f in group])
            motion = fit_motion(a, m, b, self.fit_iterations, self.fit_lr, self.dis_preset,
                                flow_range, self.logit_range, self.fit_stride, (rows, cols),
                                block)
            for g, f in enumerate(group):
                carried = motion[g * batch:(g + 1) * batch] / ratio
                values[:, f.lr, f.slot] = (carried / scale + 1) / 2
        written = channel.embed(carriers.transpose(1, 2).flatten(0, 1),
                                values.flatten(2, 3).flatten(0, 1), self.step, self.digits,
                                self.base)
        return written.unflatten(0, (batch, len(positions))).transpose(1, 2)

    def read_motion(self, frame: torch.Tensor, factor: float, spatial: Optional[nn.Module] = None
                    ) -> Tuple[torch.Tensor, torch.Tensor]:
        """(B, 3, h', w') transmitted frame -> motion of the frames after it (B, slots, 5, h, w),
        flows in transmitted pixels, and where it is intact (B, slots, h, w): blocks whose five
        numbers read back as written, and none in a slot where fewer than
        :data:`TRUSTED_SHARE` of the blocks do (the frame went through a lossy codec, or that
        slot carries nothing)."""
        slots = slot_count(factor)
        values, mismatch = channel.extract(frame, VALUES * slots, self.step, self.digits,
                                           self.base)
        reliable = mismatch.unflatten(1, (slots, VALUES)).mean(2) < channel.UNRELIABLE
        trusted = reliable.flatten(2).float().mean(2) >= TRUSTED_SHARE
        scale = self._scale(spatial).to(values).unsqueeze(1)
        motion = (values.unflatten(1, (slots, VALUES)) * 2 - 1) * scale
        return motion, reliable & trusted[..., None, None]

    def upsample(self, lr: torch.Tensor, size: Tuple[int, int], positions: Sequence[float],
                 step: float, spatial: Optional[nn.Module] = None) -> torch.Tensor:
        """Transmitted (B, 3, t, h, w) -> (B, 3, len(positions), *size); ``positions`` in
        LR-frame units, ``step`` = 1 / factor. The frames the motion moves are the transmitted
        ones, or ``spatial``'s upsample of them (at temporal factor 1) where given."""
        k = self._factor(1 / float(step))
        self._check_sizes(size, lr.shape[-2:], spatial)
        ratio, block = self._geometry(size, lr.shape[-2:])
        ratio = ratio.to(lr)
        frames = lr if spatial is None else \
            spatial.upsample(lr, size, list(range(lr.shape[2])), 1).clamp(0, 1)
        lower, upper, _ = temporal_neighbours(positions, lr.shape[2])
        motions = {}
        out: List[torch.Tensor] = []
        for p, lo, hi in zip(positions, lower, upper):
            offset = float(p) - lo
            if not 0 < offset < 1:
                out.append(frames[:, :, lo])
                continue
            if lo not in motions:
                motions[lo] = self.read_motion(lr[:, :, lo], k, spatial)
            motion, reliable = motions[lo]
            a, b = frames[:, :, lo], frames[:, :, hi]
            slot = slot_of(offset, k)
            dense = dense_field(motion[:, slot] * ratio, size, block=block)
            if not reliable[:, slot].all():
                if not reliable.any():
                    warnings.warn(MOTION_LOST, PayloadLostWarning, stacklevel=2)
                keep = dense_field(reliable[:, slot, None].to(dense), size, 'nearest', block) > 0.5
                dense = torch.where(keep, dense, flow_motion(a, b, offset))
            out.append(blend_warps(a, b, dense))
        return torch.stack(out, 2)

    def forward(self, hr: torch.Tensor, factor=None, scale=None,
                spatial: Optional[nn.Module] = None) -> dict:
        """Round trip of one window that starts on an LR frame (evaluation; nothing trains)."""
        factor = self.default_factors[0] if factor is None else factor
        size = hr.shape[-2:] if spatial is None else \
            scaled_size(tuple(hr.shape[-2:]), self.default_factors[1] if scale is None else scale)
        lr_pos, hr_pos = training_positions(int(hr.shape[2]), factor)
        stego = self.downsample(hr, size, lr_pos, factor, spatial)
        output = self.upsample(stego, hr.shape[-2:], hr_pos, 1 / factor, spatial)
        return dict(stego=stego, reference=reference_lr(hr, lr_pos, size), output=output)


class HiddenMotionOverSpace(nn.Module):
    """Space-time resampling: a :class:`HiddenMotionResampler`'s hidden motion over the key
    frames of a network that resamples space.

    Downsample keeps the HR frames nearest the LR times, resamples them in space with
    ``spatial`` (at temporal factor 1) and writes into each LR frame the motion, fitted at HR
    size against ``spatial``'s upsample of the LR frames, that rebuilds the dropped frames after
    it; one payload block is an 8x8 block of the LR frame, ``8 x`` the spatial factor HR pixels
    wide. Upsample upsamples the LR frames with ``spatial`` and moves them by that motion, at any
    target size (flows are carried in LR pixels). Holds no weights of its own."""

    mode = 'steg'
    tileable = False
    lossless_transport = True
    #: The encoder's motion fit (gradient steps) is no graph mmengine's FLOP analyser can trace.
    traceable = False

    def __init__(self, motion: HiddenMotionResampler, spatial: nn.Module):
        super().__init__()
        self.motion, self.spatial = motion, spatial
        self.default_factors = motion.default_factors

    def supports(self, factor: float) -> bool:
        return self.motion.supports(factor)

    def source_context(self, step: float) -> int:
        return self.motion.source_context(step)

    def downsample(self, hr: torch.Tensor, size: Tuple[int, int], positions: Sequence[float],
                   step: float, hide_motion: bool = True) -> torch.Tensor:
        return self.motion.downsample(hr, size, positions, step, self.spatial, hide_motion)

    def upsample(self, lr: torch.Tensor, size: Tuple[int, int], positions: Sequence[float],
                 step: float) -> torch.Tensor:
        return self.motion.upsample(lr, size, positions, step, self.spatial)

    def forward(self, hr: torch.Tensor, factor=None, scale=None) -> dict:
        return self.motion(hr, factor, scale, self.spatial)
