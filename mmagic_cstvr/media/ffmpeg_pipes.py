"""Raw RGB frames through ffmpeg pipes: a file decoded frame by frame, frames encoded into a file.

Colour conversions happen inside ffmpeg, in its ``zscale`` filter: the zimg library that
VapourSynth's ``resize`` is, with the settings of the VapourSynth front end (Bicubic for YUV with
the file's matrix, no dither), so both front ends give the same pixels. Decoding yields (H, W, 3)
float32 RGB in [0, 1] (``gbrpf32le``, as ``vs_cstvr.pipeline.open_rgb``'s RGBS) or uint8 RGB levels
(``gbrp``, as its RGB24); encoding takes
8-bit RGB levels (a downsample, as its RGB24 output) or float32 RGB and converts them to the
output pixel format (as ``vs_cstvr.pipeline.for_output``).

The encoder writes ``OUT.partial``, renamed to ``OUT`` only once ffmpeg has succeeded
(:class:`EncoderProcess`, shared with the ``cstvr`` command's VapourSynth backend).
"""
from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from fractions import Fraction
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np

from ..structures.colour import FFMPEG_COLORSPACES
from .probe import DECODE_INPUT, DECODE_OUTPUT, MediaInfo, ffmpeg_says
from ..errors import FfmpegError

#: Global options of every ffmpeg that converts colours: zscale in one slice, as zimg runs in
#: VapourSynth (zscale's slice threading changes some results by one level).
ONE_SLICE = ['-filter_threads', '1']
#: Container muxers by file extension (the output is written to OUT.partial, so ffmpeg is told).
MUXERS = {'.mp4': 'mp4', '.m4v': 'mp4', '.mov': 'mov', '.mkv': 'matroska', '.webm': 'webm',
          '.avi': 'avi', '.ts': 'mpegts', '.nut': 'nut', '.y4m': 'yuv4mpegpipe'}
#: Output pixel formats: YUV ones (converted with the matrix) and planar RGB (lossless 8-bit).
YUV_PIX_FMTS = ('yuv420p', 'yuv444p', 'yuv420p10le', 'yuv444p10le')
RGB_PIX_FMTS = ('gbrp',)
#: Sample types of raw frames: ffmpeg's planar RGB and grey pixel formats, and the numpy dtype.
SAMPLES = {'f32': ('gbrpf32le', 'grayf32le', np.float32), 'u8': ('gbrp', 'gray', np.uint8)}


def muxer_for(path: Path) -> str:
    """The ffmpeg muxer of an output file, by its suffix; :class:`ValueError` for an unknown one."""
    muxer = MUXERS.get(Path(path).suffix.lower())
    if muxer is None:
        raise ValueError(f'unknown output container {Path(path).suffix!r}; use one of '
                         f'{", ".join(sorted(MUXERS))}')
    return muxer


def encoder_defaults(direction: str) -> Dict[str, object]:
    """``crf`` and ``pix_fmt`` when none is given: a downsample is the clip to transmit, kept at
    4:4:4 with a low CRF; everything else is for viewing."""
    if direction == 'down':
        return {'crf': 12, 'pix_fmt': 'yuv444p'}
    return {'crf': 18, 'pix_fmt': 'yuv420p'}


#: Encoders that are lossless whatever their settings.
LOSSLESS_CODECS = ('ffv1', 'utvideo', 'huffyuv', 'ffvhuff')
#: Encoders ``lossless=True`` knows how to make lossless, and the options that do it.
LOSSLESS_OPTIONS = {'libx264': ['-qp', '0'], 'libx265': ['-x265-params', 'lossless=1'],
                    **{codec: [] for codec in LOSSLESS_CODECS}}
#: The ``--lossless`` encode: x264 at QP 0 (mp4 and mkv hold it), YUV 4:4:4 at 10 bits.
LOSSLESS_PIX_FMT = 'yuv444p10le'


def encode_settings(direction: str, pix_fmt: Optional[str], crf: Optional[int],
                    lossless: bool = False) -> Tuple[str, Optional[int]]:
    """The pixel format and CRF of an encode after defaults (:func:`encoder_defaults`): a
    lossless one takes :data:`LOSSLESS_PIX_FMT` and no CRF."""
    defaults = encoder_defaults(direction)
    pix_fmt = pix_fmt or (LOSSLESS_PIX_FMT if lossless else defaults['pix_fmt'])
    return pix_fmt, None if lossless else defaults['crf'] if crf is None else crf


def keeps_payload(codec: str, pix_fmt: str, lossless: bool = False, extra: str = '') -> bool:
    """Whether an encode keeps the hidden payload of transmitted frames: a lossless encode
    (``lossless``, a lossless codec, or QP 0 / ``lossless=1`` in ``extra``) of RGB or of YUV 4:4:4
    at 10 bits or more. 8-bit YUV is not enough: the RGB -> YUV rounding alone moves the digits."""
    exact = lossless or codec in LOSSLESS_CODECS or '-qp 0' in ' '.join(shlex.split(extra)) \
        or 'lossless=1' in extra
    return exact and pix_fmt.startswith(('gbrp', 'yuv444p10'))


def hidden_motion_note(codec: str, pix_fmt: str, crf: Optional[int], written: bool) -> str:
    """What to tell the user whose encode (``codec``, ``pix_fmt``, ``crf``) does not keep the
    hidden motion of the steg model: it is ``written`` and will be lost, or was left out."""
    how = f'{codec}' + (f' CRF {crf}' if crf is not None and codec in ('libx264', 'libx265')
                        else '') + f', {pix_fmt}'
    keeps = (f'only a lossless encode of RGB or of YUV 4:4:4 at 10 bits or more keeps it '
             f'(--lossless: x264 QP 0, {LOSSLESS_PIX_FMT})')
    if written:
        return (f'these transmitted frames carry hidden motion (the steg model writes it at '
                f'every factor pair but 2x/4x), and {keeps}; this encode ({how}) drops it, and '
                f'Upsample will make the dropped frames by DIS-flow interpolation instead (write '
                f'none for a lossy encode: hide_motion=0)')
    return (f'hidden motion not written: {keeps}, not this encode ({how}); Upsample will make '
            f'the dropped frames by DIS-flow interpolation')


def check_subsampling(pix_fmt: str, width: int, height: int) -> None:
    """``ValueError`` naming the fix if a 4:2:0 ``pix_fmt`` cannot hold a ``width`` x ``height``
    frame (4:2:0 halves the chroma planes, so both sides must be even)."""
    if pix_fmt.startswith('yuv420') and (width % 2 or height % 2):
        raise ValueError(f'the output is {width}x{height}, but {pix_fmt} (4:2:0) needs an even '
                         f'width and height; choose a 4:4:4 or RGB pixel format (yuv444p), or an '
                         f'even target size')


def decode_filter(info: MediaInfo, matrix: str, sample: str = 'f32') -> str:
    """The ``-vf`` turning the file's frames into RGB of ``sample`` type (:data:`SAMPLES`) as the
    VapourSynth front end does."""
    rgb, gray, _ = SAMPLES[sample]
    if info.family == 'rgb':
        return f'zscale=filter=point,format={rgb}'
    if info.family == 'gray':  # grey copied into R, G and B as full-range levels
        return f'zscale=rangein=full:range=full:filter=point,format={gray}'
    return f'zscale=matrixin={FFMPEG_COLORSPACES[matrix]}:filter=bicubic,format={rgb}'


def encode_filter(pix_fmt: str, matrix: str) -> str:
    """The ``-vf`` turning RGB frames into ``pix_fmt`` as ``for_output`` does."""
    if pix_fmt in RGB_PIX_FMTS:
        return f'zscale=filter=point:dither=none,format={pix_fmt}'
    if pix_fmt not in YUV_PIX_FMTS:
        raise ValueError(f'pixel format must be one of {", ".join(YUV_PIX_FMTS + RGB_PIX_FMTS)}, '
                         f'got {pix_fmt!r}')
    return (f'zscale=matrix={FFMPEG_COLORSPACES[matrix]}:range=limited:filter=bicubic:'
            f'dither=none,format={pix_fmt}')


def output_args(*, codec: str, pix_fmt: str, crf: Optional[int], preset: str, matrix: str,
                muxer: str, partial: Path, audio_from: Optional[Path] = None,
                metadata: Optional[Dict[str, str]] = None, extra: str = '',
                vf: Optional[str] = None, lossless: bool = False) -> List[str]:
    """ffmpeg arguments after the video input (``-i pipe:0``): audio copied from ``audio_from``,
    the video filter ``vf``, the encoder and its settings (``lossless``: the codec's lossless
    mode, :data:`LOSSLESS_OPTIONS`, instead of ``crf``), colour tags, metadata, ``extra``
    options, the output."""
    args: List[str] = []
    if audio_from is not None:
        args += ['-i', str(audio_from), '-map', '0:v:0', '-map', '1:a?', '-c:a', 'copy']
    if vf is not None:
        args += ['-vf', vf]
    args += ['-c:v', codec, '-pix_fmt', pix_fmt]
    if lossless:
        if codec not in LOSSLESS_OPTIONS:
            raise ValueError(f'a lossless encode needs one of {", ".join(LOSSLESS_OPTIONS)}, got '
                             f'{codec!r}')
        args += LOSSLESS_OPTIONS[codec]
        args += ['-preset', preset] if codec in ('libx264', 'libx265') else []
    elif codec in ('libx264', 'libx265') and crf is not None:
        args += ['-crf', str(crf), '-preset', preset]
    if matrix in FFMPEG_COLORSPACES and not pix_fmt.startswith('gbr'):
        args += ['-colorspace', FFMPEG_COLORSPACES[matrix]]
    for key, value in (metadata or {}).items():
        args += ['-metadata', f'{key}={value}']
    if metadata and muxer in ('mp4', 'mov'):
        args += ['-movflags', '+use_metadata_tags']
    return args + shlex.split(extra) + ['-f', muxer, str(partial)]


def raw_input_args(width: int, height: int, fps: Fraction, sample: str) -> List[str]:
    """ffmpeg input options of planar RGB frames on stdin (``'u8'`` or ``'f32'`` samples)."""
    return ['-f', 'rawvideo', '-pix_fmt', SAMPLES[sample][0], '-s', f'{width}x{height}',
            '-framerate', f'{fps.numerator}/{fps.denominator}', '-i', 'pipe:0']


def planar(frame: np.ndarray) -> bytes:
    """(H, W, 3) RGB -> the bytes of ffmpeg's planar G, B, R layout."""
    return np.ascontiguousarray(frame.transpose(2, 0, 1)[[1, 2, 0]]).tobytes()


class FrameReader:
    """The frames of a file's first video stream, decoded by ffmpeg, in order, as (H, W, 3) RGB
    arrays of ``sample`` type (:data:`SAMPLES`: float32 in [0, 1] or uint8 levels); only the frame
    being read is held."""

    def __init__(self, ffmpeg: str, info: MediaInfo, matrix: str, sample: str = 'f32'):
        self.info = info
        self.gray = info.family == 'gray'
        self.dtype = np.dtype(SAMPLES[sample][2])
        self._log = tempfile.TemporaryFile()
        self._proc = subprocess.Popen(
            [ffmpeg, '-hide_banner', '-nostdin', '-v', 'error', *ONE_SLICE, *DECODE_INPUT, '-i',
             str(info.path), *DECODE_OUTPUT, '-vf', decode_filter(info, matrix, sample),
             '-f', 'rawvideo', 'pipe:1'], stdout=subprocess.PIPE, stderr=self._log)

    def __iter__(self) -> Iterator[np.ndarray]:
        h, w = self.info.height, self.info.width
        planes = 1 if self.gray else 3
        size = planes * h * w * self.dtype.itemsize
        for k in range(self.info.num_frames):
            data = self._proc.stdout.read(size)
            if len(data) < size:
                self.close()
                raise FfmpegError(f'decoding {self.info.path} stopped after {k} of '
                                  f'{self.info.num_frames} frames: {self.log()}')
            p = np.frombuffer(data, self.dtype).reshape(planes, h, w)
            yield np.stack([p[0]] * 3 if self.gray else [p[2], p[0], p[1]], axis=-1)

    def log(self) -> str:
        self._log.seek(0)
        return ffmpeg_says(self._log.read().decode('utf-8', 'replace'))

    def close(self) -> None:
        """Stop ffmpeg (it may not have read the whole file) and free the pipe."""
        if self._proc.poll() is None:
            self._proc.kill()
        self._proc.wait()
        self._proc.stdout.close()
        self._log.close()


class EncoderProcess:
    """An ffmpeg command reading frames on stdin and writing ``partial``, renamed to ``out`` by
    :meth:`finish` once ffmpeg has succeeded."""

    def __init__(self, cmd: Sequence[str], partial: Path, out: Path):
        self.cmd, self.partial, self.out = list(cmd), Path(partial), Path(out)
        self._log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(self.cmd, stdin=subprocess.PIPE, stderr=self._log)

    @property
    def stdin(self):
        return self.proc.stdin

    def write(self, data: bytes) -> None:
        """Send one frame; :class:`FfmpegError` with ffmpeg's message if ffmpeg has stopped."""
        try:
            self.proc.stdin.write(data)
        except BrokenPipeError:
            self.abort(keep_partial=False)
            raise FfmpegError(f'ffmpeg stopped reading: {self.log}') from None

    @property
    def log(self) -> str:
        """What ffmpeg said (the whole log once it has exited)."""
        if self._log.closed:
            return self._final_log
        self._log.seek(0)
        return self._log.read().decode('utf-8', 'replace').strip()

    def _wait(self) -> int:
        try:
            self.proc.stdin.close()
        except BrokenPipeError:
            pass
        rc = self.proc.wait()
        self._final_log = self.log
        self._log.close()
        return rc

    def close(self) -> int:
        """Close the input and wait for ffmpeg; rename the output if it succeeded, else remove
        the partial file. Returns ffmpeg's exit code."""
        rc = self._wait()
        if rc != 0:
            self.partial.unlink(missing_ok=True)
        else:
            os.replace(self.partial, self.out)
        return rc

    def finish(self) -> None:
        """:meth:`close`, with :class:`FfmpegError` (ffmpeg's message) if ffmpeg failed."""
        rc = self.close()
        if rc != 0:
            raise FfmpegError(f'ffmpeg exited with code {rc}: {ffmpeg_says(self.log)}')

    def abort(self, keep_partial: bool) -> None:
        """Stop after a failure (``keep_partial=False``: the partial file is removed) or an
        interrupt (``True``: ffmpeg finishes the file written so far, left as ``partial``)."""
        if self._log.closed:
            return
        if not keep_partial and self.proc.poll() is None:
            self.proc.kill()
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._final_log = self.log
        self._log.close()
        if not keep_partial:
            self.partial.unlink(missing_ok=True)
