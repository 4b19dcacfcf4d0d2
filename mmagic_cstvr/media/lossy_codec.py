"""Codecs through ffmpeg: 8-bit RGB frames encoded into an elementary stream of a codec at a
quality setting or lossless (in ``yuv420p`` by default, with the project's RGB/YUV conversion,
:mod:`mmagic_cstvr.media.ffmpeg_pipes`), and the stream decoded back into float RGB frames."""
from __future__ import annotations

import subprocess
from fractions import Fraction
from pathlib import Path
from typing import List, Sequence, Union

import numpy as np

from .ffmpeg_pipes import (ONE_SLICE, EncoderProcess, FrameReader, encode_filter, output_args,
                           planar, raw_input_args)
from .probe import probe

#: Per encoder: the elementary-stream muxer and how a ladder value is passed.
ENCODERS = {
    'libx264': ('h264', '-crf {q}'),
    'libx265': ('hevc', '-crf {q} -x265-params log-level=error'),
    'mpeg4': ('m4v', '-q:v {q}'),
    'libvpx-vp9': ('ivf', '-crf {q} -b:v 0'),
    'libaom-av1': ('ivf', '-crf {q} -b:v 0 -cpu-used 8'),
}
#: The pixel format the LR is encoded in by default.
PIX_FMT = 'yuv420p'
#: The quality value of a codec's lossless mode (``output_args(lossless=True)``).
LOSSLESS = 'lossless'

Quality = Union[int, str]


def quality_label(codec: str, quality: Quality) -> str:
    """How ``codec`` names a quality value: ``'CRF 18'``, ``'q 5'`` for ``-q:v``, or
    ``'lossless'``."""
    if quality == LOSSLESS:
        return LOSSLESS
    return f'CRF {quality}' if '-crf' in ENCODERS[codec][1] else f'q {quality}'


def check_encoders(ffmpeg: str, codecs: Sequence[str]) -> None:
    """:class:`ValueError` naming the encoders this ffmpeg lacks."""
    listed = subprocess.run([ffmpeg, '-hide_banner', '-encoders'], capture_output=True,
                            text=True).stdout
    names = {line.split()[1] for line in listed.splitlines() if len(line.split()) > 1}
    missing = [c for c in codecs if c not in names]
    if missing:
        raise ValueError(f'{ffmpeg} has no encoder {", ".join(missing)} (see ffmpeg -encoders)')


def encode(ffmpeg: str, frames: np.ndarray, *, fps: Fraction, codec: str, quality: Quality,
           matrix: str, path: Path, pix_fmt: str = PIX_FMT) -> Path:
    """(N, h, w, 3) uint8 RGB -> an elementary stream of ``codec`` at ``quality`` (a number, or
    :data:`LOSSLESS`) in ``pix_fmt``."""
    muxer, option = ENCODERS[codec]
    lossless = quality == LOSSLESS
    h, w = frames.shape[1:3]
    partial = path.with_name(path.name + '.partial')
    cmd = [ffmpeg, '-hide_banner', '-nostdin', '-loglevel', 'error', '-y', *ONE_SLICE,
           *raw_input_args(w, h, fps, 'u8'),
           *output_args(codec=codec, pix_fmt=pix_fmt, crf=None, preset='medium', matrix=matrix,
                        muxer=muxer, partial=partial,
                        extra='' if lossless else option.format(q=quality),
                        vf=encode_filter(pix_fmt, matrix), lossless=lossless)]
    encoder = EncoderProcess(cmd, partial, path)
    for frame in frames:
        encoder.write(planar(frame))
    encoder.finish()
    return path


def decode(ffmpeg: str, path: Path, matrix: str) -> List[np.ndarray]:
    """The frames of an encoded file as (h, w, 3) float32 RGB (the front ends' conversion)."""
    reader = FrameReader(ffmpeg, probe(path, ffmpeg), matrix)
    try:
        return list(reader)
    finally:
        reader.close()
