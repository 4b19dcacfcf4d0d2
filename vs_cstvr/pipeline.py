"""Building blocks of the example scripts and the ``cstvr`` command: read a video file as RGB, turn
text options into ``core.cstvr.*`` arguments, and convert the result for output.

Text options (``vspipe -a key=value``, or the command line) are named by the ``option`` of each
argument in :mod:`mmagic_cstvr.engine.arguments`: ``factor`` and ``fps`` are fractions (``5/4``,
``24000/1001``) that set ``*_num``/``*_den``, ``device`` sets ``device_index``, the others set the
argument of their name (``model`` and ``config`` paths are taken from the shell's folder).
"""
from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path
from typing import Dict, Mapping, Optional, Tuple

from mmagic_cstvr.errors import OptionError
from mmagic_cstvr.engine.arguments import DOWN, UP, options as spec_options
from mmagic_cstvr.structures.colour import MATRIX_NAMES, default_matrix
from mmagic_cstvr.media.ffmpeg_pipes import check_subsampling
from mmagic_cstvr.structures.timeline import as_fraction

#: Output formats of :func:`for_output`: VapourSynth preset name, and the y4m/ffmpeg pixel format.
OUTPUT_FORMATS = {
    'yuv420p8': ('YUV420P8', 'yuv420p'),
    'yuv420p10': ('YUV420P10', 'yuv420p10le'),
    'yuv444p8': ('YUV444P8', 'yuv444p'),
    'yuv444p10': ('YUV444P10', 'yuv444p10le'),
    'rgb24': ('RGB24', 'gbrp'),
    'rgbs': ('RGBS', 'gbrpf32le'),
}


def _fraction(value: str, name: str) -> Fraction:
    try:
        return as_fraction(str(value), name)
    except ValueError as err:
        raise OptionError(str(err)) from None


def _int(value, name: str) -> int:
    try:
        return int(str(value).strip())
    except ValueError:
        raise OptionError(f'{name} must be an integer, got {value!r}') from None


def filter_kwargs(options: Mapping[str, object], direction: str) -> Dict[str, object]:
    """``core.cstvr.Downsample``/``Upsample`` keyword arguments from text options (the
    ``option`` of each :data:`~mmagic_cstvr.engine.arguments.ARGUMENTS` entry; None and empty
    values are left out, so the filter's defaults apply)."""
    opts = {k: v for k, v in options.items() if v is not None and str(v) != ''}
    kw: Dict[str, object] = {}
    for option, targets in spec_options(DOWN if direction == 'down' else UP).items():
        if option not in opts:
            continue
        value = opts[option]
        if len(targets) == 2:
            f = _fraction(value, option)
            kw[targets[0].name], kw[targets[1].name] = f.numerator, f.denominator
        elif targets[0].py_type is float:
            try:
                kw[targets[0].name] = float(value)
            except ValueError:
                raise OptionError(f'{option} must be a number, got {value!r}') from None
        elif targets[0].py_type in (int, bool):
            kw[targets[0].name] = _int(value, option)
        else:
            kw[targets[0].name] = _user_path(str(value)) if targets[0].path else str(value)
    return kw


def _user_path(value: str) -> str:
    """A relative path that exists in the shell's current folder (``$PWD``), made absolute (a
    shipped model name or anything else is kept as given)."""
    pwd = os.environ.get('PWD')
    if pwd and not os.path.isabs(value) and (Path(pwd) / value).exists():
        return str(Path(pwd) / value)
    return value


def resolve_input(path: str) -> str:
    """An input file's path. vspipe runs a script in the script's folder, so a relative path is
    looked up in the shell's current folder (``$PWD``) first, then in the script's folder."""
    p = Path(str(path)).expanduser()
    if p.is_absolute():
        candidates = [p]
    else:
        candidates = ([Path(os.environ['PWD']) / p] if os.environ.get('PWD') else []) + [p.resolve()]
    for c in candidates:
        if c.is_file():
            return str(c)
    raise OptionError(f'input file {path} not found (looked in: '
                      f'{", ".join(str(c.parent) for c in candidates)})')


def open_rgb(path: str, matrix: Optional[str] = None, fmt: str = 'RGBS') -> Tuple[object, str]:
    """Read ``path`` with bestsource (no index file) and convert it to RGB (``fmt``, RGBS by
    default). Returns the clip and the matrix used for YUV sources (the file's own when it is
    tagged, else ``matrix`` or :func:`default_matrix`), to convert back with for output."""
    import vapoursynth as vs
    core = vs.core
    if not hasattr(core, 'bs'):
        raise OptionError('the bestsource plugin (core.bs) is not loaded; scripts/setup_env.sh '
                          'installs it')
    clip = core.bs.VideoSource(resolve_input(path), cachemode=0)
    target = getattr(vs, fmt)
    if clip.format.color_family == vs.RGB:
        return (clip if clip.format.id == target else
                core.resize.Point(clip, format=target)), matrix or default_matrix(clip.height)
    if matrix is None:
        tagged = clip.get_frame(0).props.get('_Matrix')
        matrix = MATRIX_NAMES.get(tagged, default_matrix(clip.height))
    if clip.format.color_family == vs.GRAY:
        clip = core.std.ShufflePlanes(clip, planes=[0, 0, 0], colorfamily=vs.RGB)
        return core.resize.Point(clip, format=target), matrix
    return core.resize.Bicubic(clip, format=target, matrix_in_s=matrix), matrix


def for_output(clip, fmt: str = 'yuv420p8', matrix: str = '709'):
    """``clip`` converted to one of :data:`OUTPUT_FORMATS` (YUV for ``vspipe -c y4m``; RGB needs
    ``vspipe -c mkv``)."""
    import vapoursynth as vs
    core = vs.core
    if fmt not in OUTPUT_FORMATS:
        raise OptionError(f'format must be one of {", ".join(OUTPUT_FORMATS)}, got {fmt!r}')
    try:
        check_subsampling(OUTPUT_FORMATS[fmt][1], clip.width, clip.height)
    except ValueError as err:
        raise OptionError(str(err)) from None
    target = getattr(vs, OUTPUT_FORMATS[fmt][0])
    if clip.format.id == target:
        return clip
    if fmt.startswith('rgb'):
        return core.resize.Point(clip, format=target)
    return core.resize.Bicubic(clip, format=target, matrix_s=matrix)


class ScriptArgs:
    """The ``vspipe -a key=value`` arguments of a script (its globals), as text."""

    def __init__(self, namespace: Mapping[str, object]):
        self.values = {k: (v.decode() if isinstance(v, bytes) else v)
                       for k, v in namespace.items() if isinstance(v, (str, bytes))
                       and not k.startswith('__')}

    def get(self, key: str, default: Optional[str] = None) -> Optional[str]:
        return self.values.get(key, default)

    def required(self, key: str) -> str:
        if key not in self.values:
            raise OptionError(f'pass -a {key}=... to vspipe')
        return self.values[key]

    def options(self, *keys: str) -> Dict[str, str]:
        return {k: self.values[k] for k in keys if k in self.values}
