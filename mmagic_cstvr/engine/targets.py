"""What a resampling request asks for: the output frame rate, size and length, and the engine.

One copy for every front end (``core.cstvr.*``, the ffmpeg inferencer, the ``cstvr`` command), so
they plan the same clip from the same request. A request is a mapping with the keys of the
VapourSynth filters:

- temporal target: ``fps_num/fps_den`` (the exact output frame rate) or ``factor_num/factor_den``
  (a downsample divides the frame rate by it: 2/1 halves it, 5/4 takes 30 to 24 fps; an upsample
  multiplies it), never both;
- spatial target: ``width``/``height`` (one of them keeps the aspect ratio) or ``scale`` (a
  downsample divides the size by it, an upsample multiplies it), never both.

What is not given comes from what a downsample recorded about its source (upsample only: the
``restored`` fps, size and frame count) or else from the model's default factors.
"""
from __future__ import annotations

import math
from fractions import Fraction
from typing import Mapping, Optional, Tuple

from ..errors import CstvrError
from ..structures.lattice import check_scale, scaled_size
from ..structures.timeline import TimeMap, fraction_text

#: Default context on each side of a spatial tile, in HR pixels (every front end's default).
TILE_OVERLAP = 16
#: Why a blind model (``BlindResampler``) cannot downsample, after the model's name.
BLIND_HAS_NO_DOWNSAMPLE = 'is a blind model, which has no learned Downsample'


def _ratio(args: Mapping, num: str, den: str) -> Optional[Fraction]:
    n, d = args.get(num), args.get(den)
    if n is None and d is None:
        return None
    if n is None:
        raise CstvrError(f'{den} was given without {num}')
    d = 1 if d is None else d
    if n <= 0 or d <= 0:
        raise CstvrError(f'{num}/{den} must be positive, got {n}/{d}')
    return Fraction(int(n), int(d))


def target_fps(args: Mapping, src_fps: Fraction, direction: str, default_factor,
               restore: Optional[Fraction] = None) -> Fraction:
    """The output frame rate (exact)."""
    fps = _ratio(args, 'fps_num', 'fps_den')
    factor = _ratio(args, 'factor_num', 'factor_den')
    if fps is not None and factor is not None:
        raise CstvrError('give either fps_num/fps_den or factor_num/factor_den, not both')
    if fps is not None:
        dst = fps
    elif factor is not None:
        dst = src_fps / factor if direction == 'down' else src_fps * factor
    elif restore is not None:
        dst = restore
    else:
        factor = Fraction(default_factor).limit_denominator(1001)
        dst = src_fps / factor if direction == 'down' else src_fps * factor
    rates = f'{fraction_text(src_fps)} -> {fraction_text(dst)} fps'
    if direction == 'down' and dst > src_fps:
        raise CstvrError(f'cannot raise the frame rate ({rates}); use Upsample')
    if direction == 'up' and dst < src_fps:
        raise CstvrError(f'cannot lower the frame rate ({rates}); use Downsample')
    ratio = src_fps / dst if direction == 'down' else dst / src_fps
    try:
        check_scale(ratio, 'the temporal factor')
    except ValueError as err:
        raise CstvrError(f'{err} ({rates}); ask for a frame rate within that factor of the '
                         f'source\'s') from None
    return dst


def target_size(args: Mapping, src_hw: Tuple[int, int], direction: str, default_scale,
                restore: Optional[Tuple[int, int]] = None) -> Tuple[int, int]:
    """The output (height, width)."""
    width, height, scale = args.get('width'), args.get('height'), args.get('scale')
    if scale is not None and (width is not None or height is not None):
        raise CstvrError('give either scale or width/height, not both')
    for name, value in (('width', width), ('height', height)):
        if value is not None and value <= 0:
            raise CstvrError(f'{name} must be positive, got {value}')
    h, w = src_hw
    if width is not None or height is not None:
        if width is None:
            width = max(1, math.floor(height * w / h + 0.5))
        if height is None:
            height = max(1, math.floor(width * h / w + 0.5))
        dst = (int(height), int(width))
    elif scale is not None or restore is None:
        scale = default_scale if scale is None else scale
        try:
            scale = check_scale(scale, 'scale')
        except ValueError as err:
            raise CstvrError(str(err)) from None
        if direction == 'down':
            dst = scaled_size(src_hw, scale)
        else:
            dst = tuple(max(1, math.floor(s * scale + 0.5)) for s in src_hw)
    else:
        dst = tuple(restore)
    if direction == 'down' and (dst[0] > h or dst[1] > w):
        raise CstvrError(f'cannot enlarge frames ({w}x{h} -> {dst[1]}x{dst[0]}); '
                         f'use Upsample')
    if direction == 'up' and (dst[0] < h or dst[1] < w):
        raise CstvrError(f'cannot shrink frames ({w}x{h} -> {dst[1]}x{dst[0]}); '
                         f'use Downsample')
    return dst


def target_count(direction: str, src_fps: Fraction, dst_fps: Fraction, n_src: int,
                 num_frames: Optional[int] = None, restored: Optional[Mapping] = None
                 ) -> Optional[int]:
    """The output frame count of an upsample (None: every frame inside the source's duration).

    ``num_frames`` asks for a count (at most the frames the source covers); otherwise the recorded
    source frame count is restored when the output is the recorded source rate and the recorded
    count maps onto exactly this clip's frames.
    """
    if direction != 'up':
        return None
    restored = restored or {}
    covered = TimeMap(src_fps, dst_fps).count(n_src)
    if num_frames is not None:
        if num_frames > covered:
            raise CstvrError(f'num_frames={num_frames}: the {n_src}-frame clip covers '
                             f'only {covered} frames at {dst_fps} fps')
        return num_frames
    recorded = restored.get('num_frames')
    if recorded and dst_fps == restored.get('fps') and \
            TimeMap(dst_fps, src_fps).count(recorded) == n_src:
        return min(covered, recorded)
    return None


def restore_from_tag(recorded: Optional[Mapping], n_src: int, src_fps: Fraction,
                     kwargs: Mapping) -> dict:
    """Upsample arguments restoring the source recorded by ``cstvr downsample`` in a file's
    metadata (``recorded``: ``width``, ``height``, ``fps``, ``num_frames``) where the request
    ``kwargs`` gives none (blind mode or no record: nothing)."""
    if kwargs.get('mode') == 'blind' or recorded is None:
        return {}
    out: dict = {}
    temporal = any(kwargs.get(k) is not None for k in ('fps_num', 'factor_num'))
    if not temporal:
        out['fps_num'], out['fps_den'] = recorded['fps'].numerator, recorded['fps'].denominator
    if all(kwargs.get(k) is None for k in ('scale', 'width', 'height')):
        out['width'], out['height'] = recorded['width'], recorded['height']
    if not temporal and kwargs.get('num_frames') is None:
        if TimeMap(recorded['fps'], src_fps).count(recorded['num_frames']) == n_src:
            out['num_frames'] = recorded['num_frames']
    return out


def check_model(generator, direction: str, mode: Optional[str], model: str) -> str:
    """The model's kind (``'steg'`` or ``'blind'``); refuse a kind the request cannot use."""
    if mode is not None and mode not in ('steg', 'blind'):
        raise CstvrError(f'mode must be "steg" or "blind", got {mode!r}')
    kind = getattr(generator, 'mode', 'steg')
    if direction == 'down' and kind == 'blind':
        raise CstvrError(f'model {model!r} {BLIND_HAS_NO_DOWNSAMPLE}; use a steg (CSTVRResampler) '
                         f'model')
    if mode is not None and mode != kind:
        need = 'a BlindResampler' if mode == 'blind' else 'a steg (CSTVRResampler)'
        raise CstvrError(f'mode="{mode}" needs {need} model, but model {model!r} is a {kind} model')
    return kind


def resampler_for(generator, direction: str, args: Mapping, src_fps: Fraction,
                  src_hw: Tuple[int, int], n_src: int, *, restored: Optional[Mapping] = None,
                  mode: Optional[str] = None, num_frames: Optional[int] = None,
                  model: str = 'the model', **engine_kw):
    """The :class:`~mmagic_cstvr.engine.clip_resampler.ClipResampler` that serves a request.

    ``args``: the request (module docstring); ``restored``: what a downsample recorded (``fps``,
    ``size`` as (height, width), ``num_frames``), upsample only; ``engine_kw``: ``window``,
    ``tile``, ``tile_overlap``, ``device``, ``dtype``, ``cuts``.
    """
    from .clip_resampler import ClipResampler
    if direction == 'up':
        check_model(generator, direction, mode, model)
    else:
        check_model(generator, direction, None, model)
    restored = restored or {}
    default_factor, default_scale = getattr(generator, 'default_factors', (2, 4))
    dst_fps = target_fps(args, src_fps, direction, default_factor, restored.get('fps'))
    dst_hw = target_size(args, src_hw, direction, default_scale, restored.get('size'))
    n_dst = target_count(direction, src_fps, dst_fps, n_src, num_frames, restored)
    try:
        return ClipResampler(generator, direction, src_fps, dst_fps, n_src, dst_hw, n_dst=n_dst,
                             src_size=src_hw, **engine_kw)
    except ValueError as err:
        raise CstvrError(str(err)) from None
