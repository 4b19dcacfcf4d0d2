"""What a video file holds, asked of ffmpeg alone (no ffprobe, no VapourSynth).

:func:`probe` reads ``ffmpeg -i FILE`` (size, pixel format, colour tags, audio, the ``cstvr_source``
tag) and decodes the first video stream once, every frame as decoded (``-fps_mode passthrough``,
as bestsource serves them) but shrunk to 2x2: the frames' time stamps give the exact frame count
and the exact frame rate by bestsource's rule (:func:`source_frame_rate`), so the ffmpeg and the
VapourSynth front ends see the same clip (the printed ``29.97 fps`` is rounded).

``cstvr downsample`` records its source in the output file's metadata, tag ``cstvr_source`` with
value ``WxH FPS FRAMES`` (:func:`describe_source`), so an upsample can restore it by default.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple, Union

from ..errors import FfmpegError
from ..structures.colour import FFMPEG_COLORSPACES, default_matrix
from ..structures.timeline import fraction_text

METADATA_TAG = 'cstvr_source'
#: Metadata of ``cstvr downsample`` where the model hides motion: ``written`` or ``left out``.
HIDDEN_MOTION_TAG = 'cstvr_hidden_motion'
HIDDEN_MOTION_VALUES = {True: 'written', False: 'left out'}
#: Input options of every decode (ffmpeg applies the display rotation, as bestsource does).
DECODE_INPUT: List[str] = []
#: Output options of every decode: the first video stream, every decoded frame exactly once.
DECODE_OUTPUT = ['-map', '0:v:0', '-fps_mode', 'passthrough']

_VS_MATRIX = {v: k for k, v in FFMPEG_COLORSPACES.items()}
_COLORSPACE_NAMES = {'gbr', 'bt709', 'fcc', 'bt470bg', 'smpte170m', 'smpte240m', 'ycgco',
                     'bt2020nc', 'bt2020c', 'smpte2085', 'chroma-derived-nc', 'chroma-derived-c',
                     'ictcp', 'ipt-c2', 'ycgco-re', 'ycgco-ro'}
_RGB_PREFIXES = ('gbr', 'rgb', 'bgr', 'argb', 'abgr', '0rgb', '0bgr', 'x2rgb', 'x2bgr', 'pal8')
_GRAY_PREFIXES = ('gray', 'ya8', 'ya16', 'monow', 'monob')


#: The fix appended to "cannot read/decode" errors.
DAMAGED_HINT = ('is it a complete video file? A truncated or damaged file can be checked with '
                '"ffmpeg -v error -i FILE -f null -" and often repaired by remuxing what decodes '
                '("ffmpeg -i FILE -c copy FIXED.mkv")')


#: Environment variable naming the ffmpeg to use (instead of the venv's or the one on PATH).
FFMPEG_ENV = 'CSTVR_FFMPEG'


def _executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def find_ffmpeg() -> Optional[str]:
    """``$CSTVR_FFMPEG`` if set (None if it is not an executable file), else ffmpeg next to this
    interpreter (the venv's), else the one on PATH."""
    configured = os.environ.get(FFMPEG_ENV)
    if configured:
        return configured if _executable(Path(configured)) else None
    local = Path(sys.executable).parent / 'ffmpeg'
    if _executable(local):
        return str(local)
    return shutil.which('ffmpeg')


def require_ffmpeg(ffmpeg: Optional[str] = None) -> str:
    """``ffmpeg`` or the one :func:`find_ffmpeg` finds; :class:`FfmpegError` naming the fix if there
    is none."""
    found = ffmpeg or find_ffmpeg()
    if found is not None:
        return found
    configured = os.environ.get(FFMPEG_ENV)
    if configured:
        raise FfmpegError(f'{FFMPEG_ENV}={configured} is not an executable file: point it at an '
                          f'ffmpeg program, or unset it to use the one of make setup or on PATH')
    raise FfmpegError(f'ffmpeg not found: run make setup (it installs one into .venv/bin), put '
                      f'ffmpeg on PATH (e.g. apt-get install ffmpeg), or set '
                      f'{FFMPEG_ENV}=/path/to/ffmpeg')


def ffmpeg_says(log: str, lines: int = 6) -> str:
    """The last lines of an ffmpeg log, for an error message."""
    kept = [line.strip() for line in log.strip().splitlines() if line.strip()]
    return ' | '.join(kept[-lines:]) or 'no message'


@dataclass(frozen=True)
class MediaInfo:
    """The first video stream of a file (and whether the file has audio)."""

    path: Path
    width: int
    height: int
    pix_fmt: str
    colorspace: Optional[str]  # ffmpeg's name of the tagged YUV matrix, None when untagged
    fps: Fraction
    num_frames: int
    has_audio: bool
    recorded: Optional[Dict[str, object]]  # the cstvr_source tag, parsed

    @property
    def family(self) -> str:
        """``'rgb'``, ``'gray'`` or ``'yuv'``."""
        if self.pix_fmt.startswith(_RGB_PREFIXES):
            return 'rgb'
        if self.pix_fmt.startswith(_GRAY_PREFIXES):
            return 'gray'
        return 'yuv'

    def matrix(self, override: Optional[str] = None) -> str:
        """The YUV matrix (VapourSynth name) to read the file with and write the result with: as
        ``vs_cstvr.pipeline.open_rgb`` picks it (``override``, else the tag, else by height)."""
        if override is not None:
            return override
        if self.family == 'rgb':
            return default_matrix(self.height)
        return _VS_MATRIX.get(self.colorspace or '', default_matrix(self.height))


def probe(path: Union[str, Path], ffmpeg: Optional[str] = None) -> MediaInfo:
    """:class:`MediaInfo` of ``path``: ``FileNotFoundError`` if it is missing, :class:`FfmpegError`
    (with ffmpeg's message) if ffmpeg cannot read or decode it."""
    ffmpeg = require_ffmpeg(ffmpeg)
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f'input file {path} does not exist')
    text = subprocess.run([ffmpeg, '-hide_banner', '-nostdin', '-i', str(path)],
                          capture_output=True, text=True, errors='replace').stderr
    video = re.search(r'^\s*Stream #\d+:\d+\S*: Video: (.*)$', text, re.MULTILINE)
    if 'Error opening input' in text:
        raise FfmpegError(f'cannot read {path}: {ffmpeg_says(text, 3)}; {DAMAGED_HINT}')
    if video is None:
        raise FfmpegError(f'cannot read {path}: it has no video stream')
    width, height, pix_fmt, colorspace = _parse_video(video.group(1), path)
    side_data = text[video.end():].split('Stream #')[0]
    rotation = re.search(r'rotation of (-?[\d.]+) degrees', side_data)
    if rotation and round(float(rotation.group(1))) % 180 == 90:  # decoded upright, as bestsource
        width, height = height, width
    fps, count = _rate_and_count(ffmpeg, path)
    return MediaInfo(path, width, height, pix_fmt, colorspace, fps, count,
                     re.search(r'^\s*Stream #\d+:\d+\S*: Audio:', text, re.MULTILINE) is not None,
                     _recorded(text))


def _split_top(text: str) -> List[str]:
    """``text`` split at the commas outside parentheses and brackets."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch in '([':
            depth += 1
        elif ch in ')]':
            depth -= 1
        elif ch == ',' and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    parts.append(text[start:].strip())
    return parts


def _parse_video(desc: str, path: Path):
    parts = _split_top(desc)
    size = next((re.match(r'(\d+)x(\d+)', p) for p in parts[1:] if re.match(r'\d+x\d+', p)), None)
    if size is None or len(parts) < 2:
        raise FfmpegError(f'cannot read {path}: no frame size in ffmpeg\'s description "{desc}"')
    pix = re.match(r'([\w-]+)(?:\((.*)\))?$', parts[1])
    pix_fmt, details = (pix.group(1), pix.group(2) or '') if pix else (parts[1], '')
    colorspace = None
    for token in (t.strip() for t in details.split(',')):
        name = token.split('/')[0]
        if ('/' in token or token in _COLORSPACE_NAMES) and name in _COLORSPACE_NAMES:
            colorspace = name
    return int(size.group(1)), int(size.group(2)), pix_fmt, colorspace


def _rate_and_count(ffmpeg: str, path: Path) -> Tuple[Fraction, int]:
    """Frame rate (:func:`source_frame_rate`) and frame count of the first video stream, from the
    time stamps of every decoded frame (decoded once, shrunk to 2x2 for speed)."""
    res = subprocess.run([ffmpeg, '-hide_banner', '-nostdin', '-nostats', '-v', 'info',
                          *DECODE_INPUT, '-i', str(path), *DECODE_OUTPUT,
                          '-vf', 'scale=2:2,showinfo', '-f', 'null', '-'],
                         capture_output=True, text=True, errors='replace')
    config = re.search(r'showinfo.*config in time_base: (\d+)/(\d+), frame_rate: (\d+)/(\d+)',
                       res.stderr)
    pts = [None if p == 'NOPTS' else int(p) for p in
           re.findall(r'showinfo.*\bn:\s*\d+ pts:\s*(-?\d+|NOPTS)', res.stderr)]
    if res.returncode != 0 or config is None or int(config.group(2)) == 0:
        raise FfmpegError(f'cannot decode {path}: {ffmpeg_says(res.stderr)}; {DAMAGED_HINT}')
    if not pts:
        raise FfmpegError(f'cannot decode {path}: its video stream has no frames; {DAMAGED_HINT}')
    stream_rate = (Fraction(int(config.group(3)), int(config.group(4)))
                   if int(config.group(3)) > 0 and int(config.group(4)) > 0 else Fraction(30))
    return source_frame_rate(pts, Fraction(int(config.group(1)), int(config.group(2))),
                             stream_rate), len(pts)


def source_frame_rate(pts: Sequence[Optional[int]], time_base: Fraction,
                      stream_rate: Fraction) -> Fraction:
    """The frame rate bestsource (the VapourSynth front end's reader) gives a stream whose decoded
    frames carry the time stamps ``pts`` (units of ``time_base``; None where missing).

    One frame duration throughout: the exact rate of that duration. At least 20 frames of several
    durations: the mean of the durations that make up 95 % of the frames, snapped to the nearest
    common rate (24, 25, 30, 48, 50, 60, 100, 120, and x/1.001 of those not multiples of 25)
    within half the NTSC offset. Otherwise the stream's rate (bestsource takes the codec's; ffmpeg
    reports one guessed from the time stamps, snapped as above unless it is n or n/1.001).
    """
    stamps = sorted(pts, key=lambda p: (p is not None, p or 0))
    histogram: Dict[Optional[int], int] = {}
    for a, b in zip(stamps, stamps[1:]):
        key = None if a is None or b is None else b - a
        histogram[key] = histogram.get(key, 0) + 1
    if len(histogram) == 1 and next(iter(histogram)) is not None and next(iter(histogram)) > 0:
        return Fraction(time_base.denominator,
                        next(iter(histogram)) * time_base.numerator)
    if len(pts) >= 20 and len(histogram) > 1:
        total = len(pts) - 1
        used = total - histogram.pop(None, 0)
        while len(histogram) > 1:
            rarest = min(sorted(histogram), key=lambda d: histogram[d])
            if (used - histogram[rarest]) * 100 // total < 95:
                break
            used -= histogram.pop(rarest)
        span = sum(d * c for d, c in histogram.items())
        if histogram and span > 0:
            return _nearest_common_rate(Fraction(used * time_base.denominator,
                                                 span * time_base.numerator))
    return stream_rate if stream_rate.denominator in (1, 1001) else \
        _nearest_common_rate(stream_rate)


def _nearest_common_rate(fps: Fraction) -> Fraction:
    for rate in (24, 25, 30, 48, 50, 60, 100, 120):
        delta = (rate - rate / 1.001) / 2
        if abs(float(fps) - rate) < delta:
            return Fraction(rate)
        if rate % 25 and abs(float(fps) - rate / 1.001) < delta:
            return Fraction(rate * 1000, 1001)
    return fps


def describe_source(width: int, height: int, fps: Fraction, num_frames: int) -> str:
    """The ``cstvr_source`` metadata value: ``WxH FPS FRAMES``."""
    return f'{width}x{height} {fraction_text(fps)} {num_frames}'


def _recorded(text: str) -> Optional[Dict[str, object]]:
    m = re.search(rf'^\s*{METADATA_TAG}\s*:\s*(\d+)x(\d+) (\d+(?:/\d+)?) (\d+)\s*$', text,
                  re.IGNORECASE | re.MULTILINE)
    if not m:
        return None
    hidden = re.search(rf'^\s*{HIDDEN_MOTION_TAG}\s*:\s*(written|left out)\s*$', text,
                       re.IGNORECASE | re.MULTILINE)
    return {'width': int(m.group(1)), 'height': int(m.group(2)), 'fps': Fraction(m.group(3)),
            'num_frames': int(m.group(4)),
            'hidden_motion': None if hidden is None else hidden.group(1).lower() == 'written'}


def motion_left_out(recorded: Optional[Dict[str, object]]) -> bool:
    """Whether a file's record says its downsample left the hidden motion out on purpose, so
    that its absence is no news to Upsample."""
    return (recorded or {}).get('hidden_motion') is False


def read_source_metadata(ffmpeg: str, path: Path) -> Optional[Dict[str, object]]:
    """The ``cstvr_source`` tag of a file written by ``cstvr downsample`` (None if absent)."""
    res = subprocess.run([ffmpeg, '-hide_banner', '-nostdin', '-i', str(path)],
                         capture_output=True, text=True, errors='replace')
    return _recorded(res.stderr)
