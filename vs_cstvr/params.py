"""Argument checks of ``core.cstvr.*`` and the target geometry they describe.

Temporal target: ``fps_num/fps_den`` (the exact output frame rate) or ``factor_num/factor_den``
(Downsample divides the frame rate by it: 2/1 halves it, 5/4 takes 30 to 24 fps; Upsample multiplies
the frame rate by it), never both. Spatial target: ``width``/``height`` (one of them keeps the aspect
ratio) or ``scale`` (Downsample divides the size by it, Upsample multiplies it), never both. What is
not given comes from the frame properties recorded by Downsample (Upsample only) or else from the
model's default factors.
"""
from __future__ import annotations

import math
from fractions import Fraction
from typing import Mapping, Optional, Tuple

from mmagic_cstvr.lattice import check_scale, scaled_size


class CstvrError(ValueError):
    """A request the filters cannot serve; the message says what to change."""


SAMPLE_OF_FORMAT = {'RGB24': 'u8', 'RGBS': 'f32', 'RGBH': 'f16'}


def check_clip(clip, what: str = 'the clip') -> str:
    """Refuse clips the filters cannot read; return the sample type ('u8', 'f32' or 'f16')."""
    import vapoursynth as vs
    fmt = clip.format
    if fmt is None or clip.width == 0 or clip.height == 0:
        raise CstvrError(f'{what} has a variable format or frame size; make it constant first, e.g. '
                         f'core.resize.Bicubic(clip, width=W, height=H, format=vs.RGBS, '
                         f'matrix_in_s="709")')
    if clip.fps.numerator == 0 or clip.fps.denominator == 0:
        raise CstvrError(f'{what} has a variable frame rate; give it a constant one first, e.g. '
                         f'core.std.AssumeFPS(clip, fpsnum=30000, fpsden=1001) (or read the file '
                         f'with bs.VideoSource(..., fpsnum=..., fpsden=...) to convert it to CFR)')
    if fmt.color_family == vs.YUV:
        raise CstvrError(f'{what} is {fmt.name}: cstvr works on RGB (RGBS, RGBH or RGB24); convert it '
                         f'first, e.g. core.resize.Bicubic(clip, format=vs.RGBS, matrix_in_s="709") '
                         f'(use the matrix of the source: "709" for HD, "170m" for SD, "2020ncl" '
                         f'for UHD/HDR)')
    if fmt.color_family == vs.GRAY:
        raise CstvrError(f'{what} is {fmt.name} (grey): cstvr works on RGB; convert it first, e.g. '
                         f'core.resize.Point(clip, format=vs.RGBS) after '
                         f'core.std.ShufflePlanes(clip, planes=[0, 0, 0], colorfamily=vs.RGB)')
    sample = SAMPLE_OF_FORMAT.get(fmt.name)
    if sample is None:
        raise CstvrError(f'{what} is {fmt.name}: cstvr reads RGBS, RGBH or RGB24; convert it first, '
                         f'e.g. core.resize.Point(clip, format=vs.RGBS)')
    return sample


def text(args: Mapping, name: str) -> Optional[str]:
    """A ``data`` argument as str (None when absent)."""
    value = args.get(name)
    if value is None:
        return None
    if isinstance(value, (bytes, bytearray)):
        value = bytes(value).decode('utf-8')
    return str(value)


def integer(args: Mapping, name: str, default: Optional[int], minimum: Optional[int] = None,
            choices=None) -> Optional[int]:
    """An ``int`` argument, checked."""
    value = args.get(name)
    if value is None:
        return default
    value = int(value)
    if minimum is not None and value < minimum:
        raise CstvrError(f'{name} must be >= {minimum}, got {value}')
    if choices is not None and value not in choices:
        raise CstvrError(f'{name} must be one of {", ".join(map(str, choices))}, got {value}')
    return value


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
    if direction == 'down' and dst > src_fps:
        raise CstvrError(f'cannot raise the frame rate ({_f(src_fps)} -> {_f(dst)} fps); '
                         f'use Upsample')
    if direction == 'up' and dst < src_fps:
        raise CstvrError(f'cannot lower the frame rate ({_f(src_fps)} -> {_f(dst)} fps); '
                         f'use Downsample')
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


def _f(x: Fraction) -> str:
    return str(x.numerator) if x.denominator == 1 else f'{x.numerator}/{x.denominator}'
