"""Classical resamplers measured by the same harness: the naive cascade and motion-compensated
interpolation. Same interface as the learned resamplers (``downsample``/``upsample``/``forward``)."""
from __future__ import annotations

from typing import Dict, Optional, Sequence, Tuple

import numpy as np
import torch
from torch import nn

from ..structures.lattice import scaled_size
from ..structures.timeline import training_positions
from .classical import naive_upsample, reference_lr, resize_frames, temporal_neighbours
from .quantizer import Quantize8Bit


class NaiveResampler(nn.Module):
    """Frame dropping + antialiased bicubic down; bicubic up + linear blend in time."""

    mode = 'naive'

    def __init__(self, default_factors: Tuple[float, float] = (2, 4)):
        super().__init__()
        self.default_factors = tuple(default_factors)
        self.quantizer = Quantize8Bit()

    def downsample(self, hr, size, positions, step):
        return self.quantizer(reference_lr(hr, positions, size))

    def upsample(self, lr: torch.Tensor, size: Tuple[int, int], positions: Sequence[float],
                 step: float) -> torch.Tensor:
        return naive_upsample(lr, size, positions).clamp(0, 1)

    def forward(self, hr: torch.Tensor, factor: Optional[float] = None,
                scale: Optional[float] = None) -> Dict[str, torch.Tensor]:
        factor = self.default_factors[0] if factor is None else factor
        scale = self.default_factors[1] if scale is None else scale
        lr_pos, hr_pos = training_positions(int(hr.shape[2]), factor)
        hr_size = (int(hr.shape[-2]), int(hr.shape[-1]))
        size = scaled_size(hr_size, scale)
        lr = self.downsample(hr, size, lr_pos, factor)
        return dict(stego=lr, reference=lr,
                    output=self.upsample(lr, hr_size, hr_pos, 1 / factor))


class FlowResampler(NaiveResampler):
    """Naive down; bicubic up, then motion-compensated interpolation in time with OpenCV's DIS
    optical flow (both neighbours warped to the target time and blended)."""

    mode = 'flow'

    def __init__(self, default_factors: Tuple[float, float] = (2, 4), preset: str = 'medium'):
        super().__init__(default_factors)
        self.preset = preset

    def upsample(self, lr: torch.Tensor, size: Tuple[int, int], positions: Sequence[float],
                 step: float) -> torch.Tensor:
        up = resize_frames(lr, size)
        frames = []
        for lo, hi, w in zip(*temporal_neighbours(positions, lr.shape[2])):
            frames.append(self._blend(up[:, :, lo], up[:, :, hi], w) if w else up[:, :, lo])
        return torch.stack(frames, 2).clamp(0, 1)

    def _flow(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        import cv2
        presets = dict(ultrafast=cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST,
                       fast=cv2.DISOPTICAL_FLOW_PRESET_FAST, medium=cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
        dis = cv2.DISOpticalFlow_create(presets[self.preset])
        grey = lambda x: cv2.cvtColor((x * 255).round().astype(np.uint8), cv2.COLOR_RGB2GRAY)  # noqa
        return dis.calc(grey(a), grey(b), None)

    def _blend(self, a: torch.Tensor, b: torch.Tensor, w: float) -> torch.Tensor:
        """Warp (B, C, H, W) frames ``a`` (time 0) and ``b`` (time 1) to time ``w`` and blend."""
        import cv2
        out = []
        for fa, fb in zip(a.permute(0, 2, 3, 1).cpu().numpy(), b.permute(0, 2, 3, 1).cpu().numpy()):
            fa, fb = np.ascontiguousarray(fa, np.float32), np.ascontiguousarray(fb, np.float32)
            ab, ba = self._flow(fa, fb), self._flow(fb, fa)
            h, w_ = fa.shape[:2]
            gx, gy = np.meshgrid(np.arange(w_, dtype=np.float32), np.arange(h, dtype=np.float32))
            warp = lambda img, flow, t: cv2.remap(  # noqa: E731
                img, gx - t * flow[..., 0], gy - t * flow[..., 1], cv2.INTER_LINEAR,
                borderMode=cv2.BORDER_REPLICATE)
            out.append((1 - w) * warp(fa, ab, w) + w * warp(fb, ba, 1 - w))
        return torch.from_numpy(np.stack(out)).permute(0, 3, 1, 2).to(a.device, a.dtype)
