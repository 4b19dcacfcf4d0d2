"""The workload of a benchmark: its synthetic source frames and the engines that resample them."""
from __future__ import annotations

import math
from fractions import Fraction
from typing import Dict, List, Optional, Tuple

import numpy as np
import torch

from ...engine.clip_resampler import LR_FRAMES_PER_WINDOW, ClipResampler
from ...structures.lattice import scaled_size
from ...errors import BenchmarkError

DTYPES = {'fp32': torch.float32, 'fp16': torch.float16, 'bf16': torch.bfloat16}
#: The frame rate of the HR frames.
SRC_FPS = Fraction(30)


def compute_dtype(direction: str, dtype: str) -> torch.dtype:
    """What ``direction`` computes in for ``--dtype``, as in the plugin: bf16 is an Upsample option
    (Downsample then runs in float32), fp16 (RGBH clips on CUDA) serves both."""
    return torch.float32 if (direction == 'down' and dtype == 'bf16') else DTYPES[dtype]


def dtype_name(dtype: torch.dtype) -> str:
    """``torch.float32`` -> ``'float32'``."""
    return str(dtype).replace('torch.', '')


def test_pattern(frames: int, height: int, width: int, start: int = 0) -> np.ndarray:
    """(frames, H, W, 3) float32 frames in [0, 1]: moving gratings of a few frequencies and a
    moving disc, deterministic, so quality checks compare like with like."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32) / max(height, width)
    out = np.empty((frames, height, width, 3), np.float32)
    for i in range(frames):
        t = (start + i) / 30.0
        disc = ((x - 0.3 - 0.2 * t) ** 2 + (y - 0.25) ** 2 < 0.02).astype(np.float32)
        out[i, ..., 0] = 0.5 + 0.35 * np.sin(2 * np.pi * (3 * x + 2 * y - 0.5 * t))
        out[i, ..., 1] = 0.5 + 0.3 * np.sin(2 * np.pi * (9 * x - 0.8 * t)) * np.cos(6 * np.pi * y)
        out[i, ..., 2] = 0.15 + 0.7 * disc
    return out


class Workload:
    """The engines and source frames of one benchmark: ``down`` turns HR frames into LR, ``up``
    LR into HR; each times its first window group (``batch`` windows of the default length)."""

    def __init__(self, hr: Tuple[int, int], factor: Fraction, scale: float, batch: int):
        if batch < 1:
            raise BenchmarkError(f'--batch must be >= 1, got {batch}')
        self.hr, self.factor, self.scale, self.batch = hr, factor, scale, batch
        self.lr = scaled_size(hr, scale)
        self.lr_fps = SRC_FPS / factor

    def engine(self, generator, direction: str, device, dtype, n_src: Optional[int] = None):
        """The ClipResampler of ``direction`` for a clip long enough for ``batch + 1`` groups."""
        span = LR_FRAMES_PER_WINDOW * (self.batch + 1) + 2
        if direction == 'down':
            n = n_src or math.ceil(span * self.factor) + 1
            return ClipResampler(generator, 'down', SRC_FPS, self.lr_fps, n, self.lr,
                                 device=device, dtype=dtype, src_size=self.hr)
        return ClipResampler(generator, 'up', self.lr_fps, SRC_FPS, n_src or span, self.hr,
                             device=device, dtype=dtype, src_size=self.lr)

    def group(self, engine) -> list:
        return engine.groups(self.batch)[0]

    def sources(self, engine, windows) -> List[np.ndarray]:
        h, w = self.hr if engine.direction == 'down' else self.lr
        return [test_pattern(win.src_stop - win.src_start, h, w, win.src_start) for win in windows]

    def describe(self) -> Dict:
        return dict(size=[self.hr[1], self.hr[0]], lr_size=[self.lr[1], self.lr[0]],
                    factors=dict(temporal=str(self.factor), spatial=self.scale), batch=self.batch)
