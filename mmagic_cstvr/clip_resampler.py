"""Whole clips through a resampler network, window by window: the engine both front ends share.

The VapourSynth plugin and the ffmpeg inferencer plan the same windows (:func:`plan_windows`) and
call :meth:`ClipResampler.run`, so they give the same pixels for the same model and input.
"""
from __future__ import annotations

from fractions import Fraction
from typing import Iterable, List, Optional, Sequence, Tuple

import numpy as np
import torch
from torch import nn

from .timeline import FractionLike, TimeMap, Window, as_fraction, plan_windows, window_for_frame

#: Destination frames per window when none is given: 4 LR frames for a downsample (7 HR frames at
#: 2x, as the model is trained), and the HR frames spanned by about 4 LR frames for an upsample.
LR_FRAMES_PER_WINDOW = 4


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
        device, dtype: where and in which precision the network runs.
    """

    def __init__(self, generator: nn.Module, direction: str, src_fps: FractionLike,
                 dst_fps: FractionLike, n_src: int, dst_size: Tuple[int, int],
                 n_dst: Optional[int] = None, window: Optional[int] = None,
                 cuts: Iterable[int] = (), device='cpu', dtype=torch.float32):
        if direction not in ('down', 'up'):
            raise ValueError(f"direction must be 'down' or 'up', got {direction!r}")
        self.time_map = TimeMap(as_fraction(src_fps, 'source fps'), as_fraction(dst_fps, 'target fps'))
        if direction == 'down' and self.time_map.step < 1:
            raise ValueError(f'Downsample cannot raise the frame rate ({self.time_map.src_fps} -> '
                             f'{self.time_map.dst_fps} fps); use Upsample')
        if direction == 'down' and getattr(generator, 'mode', None) == 'blind':
            raise ValueError('a blind model has no learned Downsample; use a steg model')
        if n_src < 1:
            raise ValueError('the source clip has no frames')
        if any(int(s) < 1 for s in dst_size):
            raise ValueError(f'target size must be positive, got {tuple(dst_size)}')
        self.generator = generator
        self.direction = direction
        self.n_src = int(n_src)
        self.n_dst = self.time_map.count(n_src) if n_dst is None else int(n_dst)
        if self.n_dst < 1:
            raise ValueError(f'the target clip would have {self.n_dst} frames')
        self.dst_size = (int(dst_size[0]), int(dst_size[1]))
        if window is None:
            per_lr = Fraction(1) if direction == 'down' else 1 / self.time_map.step
            window = max(1, int(LR_FRAMES_PER_WINDOW * per_lr))
        self.windows: List[Window] = plan_windows(self.time_map, self.n_src, self.n_dst, window,
                                                  cuts)
        self.device = torch.device(device)
        self.dtype = dtype

    def window_for(self, n: int) -> Window:
        """The window computing destination frame ``n``."""
        if not 0 <= n < self.n_dst:
            raise IndexError(f'frame {n} is outside the {self.n_dst}-frame target clip')
        return window_for_frame(self.windows, n)

    @torch.inference_mode()
    def run(self, windows: Sequence[Window], sources: Sequence[np.ndarray]) -> List[np.ndarray]:
        """Compute ``windows`` from their source frames.

        ``sources[i]``: (T, H, W, 3) float32 in [0, 1] (or uint8), the frames
        ``[src_start, src_stop)`` of ``windows[i]``. Windows of the same shape run as one batch.
        Returns (T', H', W', 3) float32 arrays in [0, 1]; a downsample's values lie on the 8-bit
        lattice.
        """
        results: List[Optional[np.ndarray]] = [None] * len(windows)
        groups = {}
        for i, (w, src) in enumerate(zip(windows, sources)):
            if src.ndim != 4 or src.shape[-1] != 3 or src.shape[0] != w.src_stop - w.src_start:
                raise ValueError(f'window {w.dst_start}-{w.dst_stop} needs '
                                 f'({w.src_stop - w.src_start}, H, W, 3) source frames, '
                                 f'got {src.shape}')
            groups.setdefault((src.shape, w.positions), []).append(i)
        step = float(self.time_map.step)
        for (_, positions), members in groups.items():
            batch = torch.stack([self._to_tensor(sources[i]) for i in members])
            if self.direction == 'down':
                out = self.generator.downsample(batch, self.dst_size, positions, step)
            else:
                out = self.generator.upsample(batch, self.dst_size, positions, step).clamp(0, 1)
            out = out.permute(0, 2, 3, 4, 1).float().cpu().numpy()
            for k, i in enumerate(members):
                results[i] = out[k]
        return results

    def _to_tensor(self, frames: np.ndarray) -> torch.Tensor:
        """(T, H, W, 3) -> (3, T, H, W) on the device."""
        x = torch.from_numpy(np.ascontiguousarray(frames))
        x = x.float() / 255 if x.dtype == torch.uint8 else x.float()
        return x.permute(3, 0, 1, 2).to(self.device, self.dtype)
