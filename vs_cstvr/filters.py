"""``core.cstvr.Downsample`` and ``core.cstvr.Upsample``: output clips computed window by window.

The output is a ``BlankClip`` of the target format, size, frame rate and length, evaluated per frame
with ``std.FrameEval``: for frame ``n`` it returns a fresh ``std.ModifyFrame`` (fresh per frame, so
frames are served in parallel) that either writes the already computed pixels of ``n``'s window group,
or first requests the group's source frames, runs the network on the group
(:meth:`ClipResampler.run`, the engine every front end shares) and caches the result.

- Windows come from :func:`mmagic_cstvr.structures.timeline.plan_windows` for the whole clip;
  ``batch`` windows form a group, computed in one call. A group depends on its source frames alone,
  so any frame can be asked for in any order and gets the pixels of a sequential pass.
- The cache keeps a few groups (:class:`vs_cstvr.cache.ComputeOnceCache`): memory depends on the
  window, batch and thread count, not on the clip length.
- Scene changes (``scenechange=1``, the default): the ``_SceneChangePrev``/``_SceneChangeNext``
  properties of the source frames are read when a group's frames arrive (no pass over the clip at
  planning time), and a window spanning a cut is split there
  (:meth:`ClipResampler.split_at_cuts`), so no output frame mixes two scenes. The output frames carry
  the cuts on in the same properties, so an Upsample of a Downsample honours them too.
  ``scenechange=2`` first runs ``misc.SCDetect`` (threshold ``sc_threshold``) on the source;
  ``scenechange=0`` ignores cuts.
"""
from __future__ import annotations

import bisect
import functools
from dataclasses import dataclass
from fractions import Fraction
from typing import Dict, List, Mapping, Optional, Sequence

import numpy as np

from mmagic_cstvr.engine.arguments import DOWN, UP, read
from mmagic_cstvr.engine.runtime import (check_memory, default_model, load_model, select_device,
                                         select_dtype)
from mmagic_cstvr.errors import CstvrError
from mmagic_cstvr.structures.colour import to_sample_type

from . import frames as fr
from .cache import ComputeOnceCache
from .params import check_clip


def downsample(args: Mapping):
    """Build ``core.cstvr.Downsample(**args)``."""
    return _build('down', args)


def upsample(args: Mapping):
    """Build ``core.cstvr.Upsample(**args)``."""
    return _build('up', args)


def _build(direction: str, args: Mapping):
    import vapoursynth as vs

    from mmagic_cstvr.engine.targets import resampler_for

    core = vs.core
    a = read(args, DOWN if direction == 'down' else UP)
    clip = a['clip']
    sample = check_clip(clip)
    mode = a.get('mode')
    device = select_device(a['device_index'])
    dtype = select_dtype(device, sample == 'f16', a.get('bf16', False))
    model = a['model'] or default_model(direction, mode)
    generator = load_model(model, a['config'], device, dtype)
    src_fps = Fraction(clip.fps.numerator, clip.fps.denominator)
    restored = _recorded_source(clip, a) if direction == 'up' else {}
    engine = resampler_for(generator, direction, a, src_fps, (clip.height, clip.width),
                           clip.num_frames, restored=restored, mode=mode,
                           num_frames=a.get('num_frames'), model=model, window=a['window'],
                           device=device, dtype=dtype, tile=a['tile'],
                           tile_overlap=a['tile_overlap'],
                           **({'hide_motion': a['hide_motion']} if direction == 'down' else {}))

    src = clip
    if a['scenechange'] == 2:
        if not hasattr(core, 'misc'):
            raise CstvrError('scenechange=2 runs misc.SCDetect, but the misc plugin is not loaded; '
                             'install it, or mark cuts with _SceneChangePrev/_SceneChangeNext and '
                             'use scenechange=1')
        src = core.misc.SCDetect(src, threshold=a['sc_threshold'])
    if direction == 'down':
        out_sample = 'u8'
        extra = {fr.SRC_WIDTH: clip.width, fr.SRC_HEIGHT: clip.height,
                 fr.SRC_FPS_NUM: src_fps.numerator, fr.SRC_FPS_DEN: src_fps.denominator,
                 fr.SRC_NUM_FRAMES: clip.num_frames}
        if engine.hides_motion is not None:
            extra[fr.HIDDEN_MOTION] = int(engine.hides_motion)
    else:
        out_sample = 'f16' if (sample == 'f16' and device.type == 'cuda') else 'f32'
        extra = {}
    return ResampledClip(core, src, engine, out_sample, a['batch'], a['scenechange'] > 0,
                         extra).clip


def _recorded_source(clip, args: Mapping) -> Dict[str, object]:
    """What Downsample recorded about its source, read from frame 0, when the arguments (as
    :func:`~mmagic_cstvr.engine.arguments.read` returns them) leave it to be restored."""
    wants_fps = all(args.get(k) is None for k in ('fps_num', 'fps_den', 'factor_num', 'factor_den'))
    wants_size = all(args.get(k) is None for k in ('width', 'height', 'scale'))
    wants_count = args.get('num_frames') is None
    if not (wants_fps or wants_size or wants_count):
        return {}
    props = clip.get_frame(0).props
    if not all(k in props for k in fr.SOURCE_PROPS):
        return {}
    out = {'fps': Fraction(int(props[fr.SRC_FPS_NUM]), int(props[fr.SRC_FPS_DEN])),
           'size': (int(props[fr.SRC_HEIGHT]), int(props[fr.SRC_WIDTH])),
           'num_frames': int(props[fr.SRC_NUM_FRAMES])}
    return out


@dataclass
class GroupResult:
    """The output frames ``[first, first + len(pixels))`` of one window group."""

    first: int
    pixels: List[np.ndarray]
    props: List[Dict[str, object]]


class ResampledClip:
    """The output clip of one Downsample/Upsample call (see the module docstring)."""

    FORMATS = {'u8': 'RGB24', 'f32': 'RGBS', 'f16': 'RGBH'}

    def __init__(self, core, src, engine, out_sample: str, batch: int, scenes: bool,
                 extra_props: Dict[str, object]):
        import vapoursynth as vs
        self.core = core
        self.src = src
        self.engine = engine
        self.out_sample = out_sample
        self.batch = batch
        self.scenes = scenes
        self.extra = dict(extra_props, _Matrix=0, _Range=1)
        self.fps = engine.time_map.dst_fps
        self.groups = engine.groups(batch)
        self.n_groups = len(self.groups)
        per_group = max(1, engine.n_dst // self.n_groups)
        threads = max(1, getattr(core, 'num_threads', 1))
        self.cache: ComputeOnceCache[GroupResult] = ComputeOnceCache(2 + -(-threads // per_group))
        check_memory(engine, batch, (src.height, src.width), kept_groups=self.cache.capacity,
                     kept_bytes_per_sample={'u8': 1, 'f16': 2, 'f32': 4}[out_sample])
        fmt = getattr(vs, self.FORMATS[out_sample])
        h, w = engine.dst_size
        self.blank = core.std.BlankClip(width=w, height=h, format=fmt, length=engine.n_dst,
                                        fpsnum=self.fps.numerator, fpsden=self.fps.denominator,
                                        keep=True)
        self.clip = core.std.FrameEval(self.blank, self._eval, clip_src=[src, self.blank])

    # -- planning -------------------------------------------------------------------------------

    def group_of(self, n: int) -> int:
        return self.engine.window_index(n) // self.batch

    def group_windows(self, g: int):
        return self.groups[g]

    def pixel_span(self, g: int):
        return self.engine.source_span(self.groups[g])

    def frame_span(self, g: int):
        """Source frames requested for group ``g``: its pixels, plus (with scene changes) the
        frames whose properties decide whether its first and last frames start or end a scene."""
        lo, hi = self.pixel_span(g)
        if self.scenes:
            ws = self.group_windows(g)
            first, stop = ws[0].dst_start, ws[-1].dst_stop
            if first > 0:
                lo = min(lo, self.engine.nearest_source(first - 1))
            if stop < self.engine.n_dst:
                hi = max(hi, self.engine.nearest_source(stop) + 1)
        return lo, hi

    # -- frames ---------------------------------------------------------------------------------

    def _eval(self, n: int):
        std = self.core.std
        g = self.group_of(n)
        result = self.cache.get(g)
        if result is not None:
            return std.ModifyFrame(self.blank, [self.blank],
                                   functools.partial(self._write, result=result))
        lo, hi = self.frame_span(g)
        clips = [self.blank] + [self.src[k] for k in range(lo, hi)]
        return std.ModifyFrame(self.blank, clips, functools.partial(self._compute, g=g, lo=lo))

    def _compute(self, n: int, f, g: int, lo: int):
        result = self.cache.get_or_compute(g, lambda: self._run_group(g, f[1:], lo))
        return self._write(n, f[0], result)

    def _write(self, n: int, f, result: GroupResult):
        frame = (f[0] if isinstance(f, list) else f).copy()
        i = n - result.first
        fr.write(frame, result.pixels[i])
        frame.props.update(result.props[i])
        return frame

    def _run_group(self, g: int, frames: Sequence, lo: int) -> GroupResult:
        engine = self.engine
        windows = self.group_windows(g)
        plo, phi = self.pixel_span(g)
        arrays = fr.to_arrays(frames[plo - lo:phi - lo])
        props = [frame.props for frame in frames]
        cuts: List[int] = fr.scene_cuts(lo, props) if self.scenes else []
        pieces = [p for w in windows for p in engine.split_at_cuts(w, cuts)] if cuts else windows
        outs = engine.run(pieces, [arrays[w.src_start - plo:w.src_stop - plo] for w in pieces])
        first, stop = windows[0].dst_start, windows[-1].dst_stop
        pixels: List[Optional[np.ndarray]] = [None] * (stop - first)
        for w, out in zip(pieces, outs):
            values = to_sample_type(out, self.out_sample)
            for k in range(w.dst_stop - w.dst_start):
                pixels[w.dst_start - first + k] = values[k]
        meta = []
        for j in range(first, stop):
            p = fr.time_props(j, self.fps, engine.time_map.position(j))
            p.update(fr.inherited(props[engine.nearest_source(j) - lo]))
            p.update(self.extra)
            if self.scenes:
                p[fr.SC_PREV] = int(self._starts_scene(j, cuts))
                p[fr.SC_NEXT] = int(self._starts_scene(j + 1, cuts))
            meta.append(p)
        return GroupResult(first, pixels, meta)

    def _starts_scene(self, j: int, cuts: List[int]) -> bool:
        """Whether destination frame ``j`` is the first of a scene: a cut lies between the nearest
        source frames of ``j - 1`` and ``j``."""
        if j <= 0 or j >= self.engine.n_dst or not cuts:
            return False
        a, b = self.engine.nearest_source(j - 1), self.engine.nearest_source(j)
        k = bisect.bisect_right(cuts, a)
        return k < len(cuts) and cuts[k] <= b
