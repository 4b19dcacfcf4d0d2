"""Whole clips through a resampler network, window by window: the engine both front ends share.

The VapourSynth plugin and the ffmpeg inferencer plan the same windows (:func:`plan_windows`) and
call :meth:`ClipResampler.run`, so they give the same pixels for the same model and input.

Large frames can be cut into spatial tiles with overlap (``tile``/``tile_overlap``, in HR pixels):
tiles are aligned to the grid on which source and destination pixel centres coincide, so a tile's
pixels sit exactly where the whole frame's do, and only the tile's core (without the overlap) is
kept. Peak memory then follows the tile size and ``batch``, not the frame size. On CUDA every
calling thread runs on its own stream with pinned host buffers, so the uploads, compute and downloads
of windows computed by different threads overlap. Building one fixes glibc's mmap threshold
(:mod:`mmagic_cstvr.engine.host_allocator`), so the host memory of a long run stays flat.
"""
from __future__ import annotations

import bisect
import contextlib
import math
import threading
from fractions import Fraction
from typing import Iterable, List, NamedTuple, Optional, Sequence, Tuple

import numpy as np
import torch
from torch import nn

from ..structures.timeline import (FractionLike, TimeMap, Window, as_fraction, plan_windows,
                                   round_half_up, window_for_frame, window_in_scene)
from ..archs.specialists import SpecialistSet
from .fast_conv import for_cpu_inference
from .host_allocator import fix_mmap_threshold
from .targets import BLIND_HAS_NO_DOWNSAMPLE, TILE_OVERLAP

#: Destination frames per window when none is given: 4 LR frames for a downsample (7 HR frames at
#: 2x, as the model is trained), and the HR frames spanned by about 4 LR frames for an upsample.
LR_FRAMES_PER_WINDOW = 4


def serving_network(generator: nn.Module, direction: str, step: FractionLike,
                    src_size: Optional[Tuple[int, int]], dst_size: Tuple[int, int]):
    """The network that serves a clip: ``generator``, or the member a specialist set picks for
    the factors (None when ``src_size`` is unknown)."""
    if not isinstance(generator, SpecialistSet):
        return generator
    if src_size is None:
        return None
    if direction == 'down':
        return generator.pick(float(step), tuple(src_size), tuple(dst_size))
    return generator.pick(1 / float(step), tuple(dst_size), tuple(src_size))


class ClipResampler:
    """Plans and runs the windows that turn a source clip into a destination clip.

    Args:
        generator: a loaded resampler (``CSTVRResampler`` or ``BlindResampler``), eval mode.
        direction: ``'down'`` (HR -> transmitted LR) or ``'up'`` (LR -> HR).
        src_fps, dst_fps: exact frame rates.
        n_src: source frame count.
        dst_size: destination (height, width).
        n_dst: destination frame count (default: every frame inside the source's duration).
        window: destination frames per window (default from ``LR_FRAMES_PER_WINDOW``).
        cuts: source frame indices that start a new scene; windows never span them.
        device, dtype: where and in which precision the network runs (the generator must already
            be there, in that precision).
        tile: spatial tile size in HR pixels (0: whole frames); ``tile_overlap``: context added on
            each side of a tile, in HR pixels.
        src_size: source (height, width): tells which member of a specialist set serves the
            clip, so that its needs are met: source frames a downsample window must read past its
            span (the network's ``source_context(step)``), LR frames an upsample window reads on
            each side of its span (the ``context`` of its upsampler, ``up_net`` where it has
            one), whole frames (``tileable = False``).
        hide_motion: False: a downsample by a network whose payload only lossless transport
            keeps (``lossless_transport``) writes none (the Downsample argument).
    """

    def __init__(self, generator: nn.Module, direction: str, src_fps: FractionLike,
                 dst_fps: FractionLike, n_src: int, dst_size: Tuple[int, int],
                 n_dst: Optional[int] = None, window: Optional[int] = None,
                 cuts: Iterable[int] = (), device='cpu', dtype=torch.float32,
                 tile: int = 0, tile_overlap: int = TILE_OVERLAP,
                 src_size: Optional[Tuple[int, int]] = None, hide_motion: bool = True):
        if direction not in ('down', 'up'):
            raise ValueError(f"direction must be 'down' or 'up', got {direction!r}")
        self.time_map = TimeMap(as_fraction(src_fps, 'source fps'), as_fraction(dst_fps, 'target fps'))
        if direction == 'down' and self.time_map.step < 1:
            raise ValueError(f'Downsample cannot raise the frame rate ({self.time_map.src_fps} -> '
                             f'{self.time_map.dst_fps} fps); use Upsample')
        if direction == 'down' and getattr(generator, 'mode', None) == 'blind':
            raise ValueError(f'the model {BLIND_HAS_NO_DOWNSAMPLE}; use a steg model')
        if n_src < 1:
            raise ValueError('the source clip has no frames')
        if any(int(s) < 1 for s in dst_size):
            raise ValueError(f'target size must be positive, got {tuple(dst_size)}')
        fix_mmap_threshold()
        self.generator = for_cpu_inference(generator)
        self.direction = direction
        self.n_src = int(n_src)
        self.n_dst = self.time_map.count(n_src) if n_dst is None else int(n_dst)
        if self.n_dst < 1:
            raise ValueError(f'the target clip would have {self.n_dst} frames')
        self.dst_size = (int(dst_size[0]), int(dst_size[1]))
        if window is None:
            per_lr = Fraction(1) if direction == 'down' else 1 / self.time_map.step
            window = max(1, int(LR_FRAMES_PER_WINDOW * per_lr))
        net = serving_network(generator, direction, self.time_map.step, src_size, self.dst_size)
        #: A downsample's hidden motion, the payload only lossless transport keeps (the serving
        #: network's ``lossless_transport``): True written, False not written as told
        #: (``hide_motion``), None when the network writes none (an upsample, a learned network).
        self.hides_motion: Optional[bool] = None
        if direction == 'down' and getattr(net, 'lossless_transport', False):
            self.hides_motion = bool(hide_motion)
        context = before = 0
        if direction == 'down' and hasattr(net, 'source_context'):
            context = int(net.source_context(float(self.time_map.step)))
        if direction == 'up':
            context = before = int(getattr(getattr(net, 'up_net', net), 'context', 0))
        #: Source frames a window reads past its span and before it (:func:`plan_windows`).
        self.context = (context, before)
        self.windows: List[Window] = plan_windows(self.time_map, self.n_src, self.n_dst, window,
                                                  cuts, context, before)
        self.device = torch.device(device)
        self.dtype = dtype
        if int(tile) < 0 or int(tile_overlap) < 0:
            raise ValueError(f'tile and tile_overlap must be >= 0, got {tile} and {tile_overlap}')
        if int(tile) and not getattr(net, 'tileable', True):
            raise ValueError(f'the {type(net).__name__} network reads whole frames: use tile=0')
        self.tile = int(tile)
        self.tile_overlap = int(tile_overlap)
        self._streams = threading.local()
        self._starts = [w.dst_start for w in self.windows]

    def window_for(self, n: int) -> Window:
        """The window computing destination frame ``n``."""
        if not 0 <= n < self.n_dst:
            raise IndexError(f'frame {n} is outside the {self.n_dst}-frame target clip')
        return window_for_frame(self.windows, n)

    def window_index(self, n: int) -> int:
        """Index in :attr:`windows` of the window computing destination frame ``n``."""
        if not 0 <= n < self.n_dst:
            raise IndexError(f'frame {n} is outside the {self.n_dst}-frame target clip')
        return bisect.bisect_right(self._starts, n) - 1

    def groups(self, batch: int) -> List[Sequence[Window]]:
        """The windows in groups of ``batch`` consecutive ones: what every front end computes in one
        :meth:`run` call, so all of them batch alike (and give the same pixels)."""
        if batch < 1:
            raise ValueError(f'batch must be >= 1, got {batch}')
        return [self.windows[i:i + batch] for i in range(0, len(self.windows), batch)]

    @staticmethod
    def source_span(windows: Sequence[Window]) -> Tuple[int, int]:
        """Source frames ``[lo, hi)`` that ``windows`` read."""
        return min(w.src_start for w in windows), max(w.src_stop for w in windows)

    # -- scene cuts found while running ----------------------------------------------------------

    def nearest_source(self, j: int) -> int:
        """The source frame nearest in time to destination frame ``j`` (halves round up); the
        frame whose scene ``j`` belongs to."""
        return min(self.n_src - 1, max(0, round_half_up(self.time_map.position(j))))

    def split_at_cuts(self, window: Window, cuts: Iterable[int]) -> List[Window]:
        """``window`` cut where it spans scene cuts (source frames starting a new scene).

        For cuts discovered only when a window's source frames are read (scene-change frame
        properties): the pieces follow :func:`plan_windows`' rule (a destination frame belongs to
        the scene of its nearest source frame and reads only that scene's frames, with the
        network's context inside it) and read only frames of ``window``'s source span, so the
        result depends on the window alone.
        """
        inner = sorted({int(c) for c in cuts if window.src_start < c < window.src_stop})
        if not inner:
            return [window]
        bounds = [window.src_start, *inner, window.src_stop]

        def scene(j: int) -> int:
            return bisect.bisect_right(bounds, self.nearest_source(j)) - 1

        pieces = []
        j = window.dst_start
        while j < window.dst_stop:
            k = scene(j)
            stop = j + 1
            while stop < window.dst_stop and scene(stop) == k:
                stop += 1
            pieces.append(window_in_scene(self.time_map, self.n_src, j, stop,
                                          (bounds[k], bounds[k + 1]), *self.context))
            j = stop
        return pieces

    @torch.inference_mode()
    def run(self, windows: Sequence[Window], sources: Sequence[np.ndarray]) -> List[np.ndarray]:
        """Compute ``windows`` from their source frames.

        ``sources[i]``: (T, H, W, 3) float32 in [0, 1] (or uint8), the frames
        ``[src_start, src_stop)`` of ``windows[i]``. Windows of the same shape run as one batch.
        Returns (T', H', W', 3) float32 arrays in [0, 1]; a downsample's values lie on the 8-bit
        lattice.
        """
        groups = {}
        for i, (w, src) in enumerate(zip(windows, sources)):
            if src.ndim != 4 or src.shape[-1] != 3 or src.shape[0] != w.src_stop - w.src_start:
                raise ValueError(f'window {w.dst_start}-{w.dst_stop} needs '
                                 f'({w.src_stop - w.src_start}, H, W, 3) source frames, '
                                 f'got {src.shape}')
            groups.setdefault((src.shape, w.positions), []).append(i)
        results: List[Optional[np.ndarray]] = [None] * len(windows)
        step = float(self.time_map.step)
        stream = self._stream()
        with torch.cuda.stream(stream) if stream is not None else contextlib.nullcontext():
            for (shape, positions), members in groups.items():
                out = np.empty((len(members), len(positions), *self.dst_size, 3), np.float32)
                ys = tile_spans(shape[1], self.dst_size[0], self.tile, self.tile_overlap)
                xs = tile_spans(shape[2], self.dst_size[1], self.tile, self.tile_overlap)
                for ty in ys:
                    for tx in xs:
                        crop = [sources[i][:, ty.src_lo:ty.src_hi, tx.src_lo:tx.src_hi]
                                for i in members]
                        part = self._run_batch(crop, (ty.dst_hi - ty.dst_lo, tx.dst_hi - tx.dst_lo),
                                               positions, step, stream)
                        out[:, :, ty.dst_lo + ty.keep_lo:ty.dst_lo + ty.keep_hi,
                            tx.dst_lo + tx.keep_lo:tx.dst_lo + tx.keep_hi] = \
                            part[:, :, ty.keep_lo:ty.keep_hi, tx.keep_lo:tx.keep_hi]
                for k, i in enumerate(members):
                    results[i] = out[k]
        return results

    def _run_batch(self, frames: Sequence[np.ndarray], size: Tuple[int, int],
                   positions: Tuple[float, ...], step: float, stream) -> np.ndarray:
        """One network call: (B, T, h, w, 3) arrays -> (B, T', *size, 3) float32 numpy."""
        batch = torch.stack([self.to_tensor(f, stream is not None) for f in frames])
        out = self.network_call(batch, size, positions, step).permute(0, 2, 3, 4, 1).float()
        if stream is None:
            return out.cpu().numpy()
        host = torch.empty(out.shape, dtype=out.dtype, pin_memory=True)
        host.copy_(out, non_blocking=True)
        stream.synchronize()
        return host.numpy()

    def _stream(self):
        """This thread's CUDA stream (None on the CPU)."""
        if self.device.type != 'cuda':
            return None
        stream = getattr(self._streams, 'stream', None)
        if stream is None:
            stream = self._streams.stream = torch.cuda.Stream(self.device)
        return stream

    def network_call(self, batch: torch.Tensor, size: Tuple[int, int],
                     positions: Tuple[float, ...], step: float) -> torch.Tensor:
        """The network in this engine's direction on a (B, 3, T, h, w) batch on the device: (B, 3,
        T', *size) at ``positions`` (source frames) ``step`` source frames apart; an upsample's
        output clamped to [0, 1]."""
        if self.direction == 'down':
            options = {'hide_motion': False} if self.hides_motion is False else {}
            return self.generator.downsample(batch, size, positions, step, **options)
        return self.generator.upsample(batch, size, positions, step).clamp(0, 1)

    def to_tensor(self, frames: np.ndarray, pinned: bool = False) -> torch.Tensor:
        """(T, H, W, 3) -> (3, T, H, W) on the device."""
        x = torch.from_numpy(np.ascontiguousarray(frames))
        if pinned:
            x = x.pin_memory().to(self.device, non_blocking=True)
        x = x.float() / 255 if x.dtype == torch.uint8 else x.float()
        return x.permute(3, 0, 1, 2).to(self.device, self.dtype)


class TileSpan(NamedTuple):
    """One tile along one axis: source pixels ``[src_lo, src_hi)`` give destination pixels
    ``[dst_lo, dst_hi)``, of which ``[keep_lo, keep_hi)`` (relative to ``dst_lo``) are kept."""

    src_lo: int
    src_hi: int
    dst_lo: int
    dst_hi: int
    keep_lo: int
    keep_hi: int


def tile_spans(n_src: int, n_dst: int, tile: int, overlap: int) -> List[TileSpan]:
    """Tiles along an axis of ``n_src`` source and ``n_dst`` destination pixels.

    Tile edges lie on the coarsest grid where source and destination pixel edges coincide (units
    of ``n_src / g`` source and ``n_dst / g`` destination pixels, ``g = gcd(n_src, n_dst)``), so
    the pixel-centre convention of :mod:`mmagic_cstvr.structures.lattice` holds inside every tile.
    ``tile`` and ``overlap`` are in pixels of the larger side, rounded to whole units; ``tile <= 0``
    (or a tile covering the axis) gives one tile.
    """
    g = math.gcd(n_src, n_dst)
    a, b = n_src // g, n_dst // g
    unit = max(a, b)
    if tile <= 0 or tile >= unit * g:
        return [TileSpan(0, n_src, 0, n_dst, 0, n_dst)]
    per = max(1, tile // unit)
    pad = -(-overlap // unit) if overlap > 0 else 0
    spans = []
    for k0 in range(0, g, per):
        k1 = min(g, k0 + per)
        p0, p1 = max(0, k0 - pad), min(g, k1 + pad)
        spans.append(TileSpan(p0 * a, p1 * a, p0 * b, p1 * b, (k0 - p0) * b, (k1 - p0) * b))
    return spans

