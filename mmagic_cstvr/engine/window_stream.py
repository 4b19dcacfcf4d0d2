"""A whole clip through the shared engine from a stream of source frames, in bounded memory.

Front ends that read a file front to back (the ffmpeg inferencer) hand :func:`resample_stream` the
source frames in order. It computes the engine's window groups in order, the same groups with the
same source frames as the VapourSynth filters (:meth:`ClipResampler.groups`), so both give the same
pixels, and keeps only the source frames the current group reads: memory follows the window and
batch sizes, never the clip length. Streams chain: a downsample's output can feed an upsample.
"""
from __future__ import annotations

from collections import deque
from typing import Iterable, Iterator

import numpy as np

from ..structures.colour import to_sample_type
from .clip_resampler import ClipResampler


def resample_stream(engine: ClipResampler, frames: Iterable[np.ndarray], batch: int = 1,
                    sample: str = 'f32') -> Iterator[np.ndarray]:
    """The destination frames of ``engine``, in order, from its source ``frames`` in order.

    ``frames``: (H, W, 3) arrays (float32 in [0, 1] or uint8 levels); ``sample``: the output
    samples, ``'u8'`` (8-bit levels, as a downsample's RGB24) or ``'f32'``.
    """
    source = iter(frames)
    held: deque = deque()
    first = 0  # source index of held[0]
    for windows in engine.groups(batch):
        lo, hi = engine.source_span(windows)
        while first < lo:  # frames no later group reads
            if held:
                held.popleft()
            else:
                _next(source, first, engine.n_src)
            first += 1
        while first + len(held) < hi:
            held.append(_next(source, first + len(held), engine.n_src))
        span = np.stack([held[k - first] for k in range(lo, hi)])
        outs = engine.run(windows, [span[w.src_start - lo:w.src_stop - lo] for w in windows])
        for out in outs:
            yield from to_sample_type(out, sample)


def _next(source: Iterator[np.ndarray], index: int, total: int) -> np.ndarray:
    try:
        return next(source)
    except StopIteration:
        raise RuntimeError(f'the source stream ended at frame {index} of {total}') from None
