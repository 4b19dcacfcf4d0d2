"""The input clip check of ``core.cstvr.*``.

The other arguments are defined, converted and checked by :mod:`mmagic_cstvr.engine.arguments`;
the target geometry they describe is worked out by :mod:`mmagic_cstvr.engine.targets`. Both are
shared by every front end.
"""
from __future__ import annotations

from mmagic_cstvr.errors import CstvrError

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
