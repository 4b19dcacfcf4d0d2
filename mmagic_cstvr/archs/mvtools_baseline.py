"""The MVTools baseline: naive down; bicubic up in space, then time interpolation with MVTools run
on VapourSynth's core as a VapourSynth user runs it (``mv.Super``, ``mv.Analyse`` backward and
forward, ``mv.FlowFPS``).

FlowFPS only makes a constant frame rate: the clip is played at 1 fps and converted to ``D`` fps,
``D`` the common denominator of the requested positions, so output frame ``p * D`` sits exactly at
position ``p``. FlowFPS itself resolves time to 1/256 of a frame (position 0.8 is drawn at 205/256).
"""
from __future__ import annotations

import math
from fractions import Fraction
from typing import List, Sequence, Tuple

import numpy as np
import torch

from ..structures.colour import planes_to_array
from ..structures.timeline import MAX_DENOMINATOR
from .baselines import NaiveResampler
from .classical import resize_frames

#: Everything MVTools is run with: the clip format it sees and each filter's arguments (FlowFPS's
#: num/den come from the positions). Those of the plugin's documented example, written out.
MVTOOLS_SETTINGS = {
    'clip': dict(format='YUV444P16', matrix='170m', range='full'),
    'Super': dict(pel=2, sharp=2, rfilter=2, hpad=16, vpad=16),
    'Analyse': dict(blksize=8, overlap=4, search=4, searchparam=2, truemotion=True),
    'FlowFPS': dict(mask=2, ml=100.0, blend=True),
}


def frames_clip(frames: np.ndarray):
    """(T, H, W, 3) float32 RGB -> an RGBS clip of those frames at 1 fps."""
    import vapoursynth as vs
    t, h, w, _ = frames.shape
    blank = vs.core.std.BlankClip(format=vs.RGBS, width=w, height=h, length=t, fpsnum=1, fpsden=1,
                                  keep=True)

    def fill(n, f):
        out = f.copy()
        for plane in range(3):
            np.copyto(np.asarray(out[plane]), frames[n, :, :, plane])
        return out
    return vs.core.std.ModifyFrame(blank, blank, fill)


def common_rate(positions: Sequence[Fraction]) -> int:
    """Frames per source frame at which every one of ``positions`` is an output frame."""
    return math.lcm(*(p.denominator for p in positions))


def flow_fps(rgb, *, num: int, den: int, settings=MVTOOLS_SETTINGS):
    """An RGBS clip converted to ``num / den`` fps by MVTools with ``settings``: to the clip format,
    mv.Super, mv.Analyse backward and forward, mv.FlowFPS, back to RGBS."""
    import vapoursynth as vs
    core, fmt = vs.core, settings['clip']
    yuv = core.resize.Point(rgb, format=getattr(vs, fmt['format']), matrix_s=fmt['matrix'],
                            range_s=fmt['range'])
    sup = core.mv.Super(yuv, **settings['Super'])
    backward = core.mv.Analyse(sup, isb=True, **settings['Analyse'])
    forward = core.mv.Analyse(sup, isb=False, **settings['Analyse'])
    moved = core.mv.FlowFPS(yuv, sup, backward, forward, num=num, den=den, **settings['FlowFPS'])
    return core.resize.Point(moved, format=vs.RGBS, matrix_in_s=fmt['matrix'],
                             range_in_s=fmt['range'])


def mvtools_interpolate(frames: np.ndarray, positions: Sequence[Fraction],
                        settings=MVTOOLS_SETTINGS) -> np.ndarray:
    """(T, H, W, 3) float32 RGB in [0, 1] -> (len(positions), H, W, 3) float32: FlowFPS's frames
    at ``positions`` (source-frame units, inside [0, T - 1])."""
    rate = common_rate(positions)
    out = flow_fps(frames_clip(frames), num=rate, den=1, settings=settings)
    result = []
    for p in positions:
        frame = out.get_frame(int(p * rate))
        result.append(planes_to_array(frame))
    return np.stack(result)


def frame_positions(positions: Sequence[float], n_frames: int) -> List[Fraction]:
    """Exact positions, clamped to the clip [0, n_frames - 1] (outside it the end frame is held)."""
    return [min(max(Fraction(p).limit_denominator(MAX_DENOMINATOR), Fraction(0)),
                Fraction(n_frames - 1)) for p in positions]


class MVToolsResampler(NaiveResampler):
    """Naive down (frame dropping + antialiased bicubic); bicubic up, then MVTools' FlowFPS in time.
    Positions on a frame return that (bicubic-upsampled) frame as it is."""

    mode = 'mvtools'
    settings = MVTOOLS_SETTINGS

    def upsample(self, lr: torch.Tensor, size: Tuple[int, int], positions: Sequence[float],
                 step: float) -> torch.Tensor:
        """(B, 3, t, h, w) LR in [0, 1] -> (B, 3, len(positions), *size)."""
        up = resize_frames(lr, size)
        exact = frame_positions(positions, lr.shape[2])
        between = sorted({p for p in exact if p.denominator != 1})
        videos = []
        for video in up:
            moved = {}
            if between:
                frames = np.ascontiguousarray(video.clamp(0, 1).permute(1, 2, 3, 0).cpu().numpy(),
                                              np.float32)
                drawn = torch.from_numpy(mvtools_interpolate(frames, between, self.settings))
                moved = dict(zip(between, drawn.permute(0, 3, 1, 2).to(up.device, up.dtype)))
            videos.append(torch.stack([moved[p] if p in moved else video[:, int(p)]
                                       for p in exact], 1))
        return torch.stack(videos).clamp(0, 1)
