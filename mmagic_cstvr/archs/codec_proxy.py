"""A differentiable stand-in for a lossy video codec, for codec-aware training.

What an intra-coded ``yuv420p`` frame goes through: RGB -> YCbCr (the matrix of
:func:`mmagic_cstvr.structures.colour.ycbcr_matrix`), chroma averaged to half size and interpolated
back (4:2:0), 8x8 block DCT of each plane with JPEG-like quantisation at a random quality, back to
RGB. The quantisation is either additive uniform noise of one quantiser step per coefficient
(``rounding='noise'``, the usual differentiable model of rounding) or rounding with a
straight-through gradient (``'round'``). The module has no parameters or buffers, so adding it to
a model changes neither its state dict nor its weights files.
"""
from __future__ import annotations

import inspect
import math
from typing import Optional, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from ..structures.colour import LEVELS, ycbcr_matrix

#: JPEG's example quantisation tables (ITU-T T.81, Annex K), luminance and chrominance.
JPEG_LUMA = (
    (16, 11, 10, 16, 24, 40, 51, 61), (12, 12, 14, 19, 26, 58, 60, 55),
    (14, 13, 16, 24, 40, 57, 69, 56), (14, 17, 22, 29, 51, 87, 80, 62),
    (18, 22, 37, 56, 68, 109, 103, 77), (24, 35, 55, 64, 81, 104, 113, 92),
    (49, 64, 78, 87, 103, 121, 120, 101), (72, 92, 95, 98, 112, 100, 103, 99))
JPEG_CHROMA = ((17, 18, 24, 47, 99, 99, 99, 99), (18, 21, 26, 66, 99, 99, 99, 99),
               (24, 26, 56, 99, 99, 99, 99, 99), (47, 66, 99, 99, 99, 99, 99, 99)) + ((99,) * 8,) * 4
BLOCK = 8


def dct_matrix(n: int = BLOCK) -> torch.Tensor:
    """Orthonormal DCT-II matrix (n, n): ``coefficients = D @ block @ D.T``."""
    k = torch.arange(n, dtype=torch.float64)[:, None]
    i = torch.arange(n, dtype=torch.float64)[None]
    d = torch.cos(math.pi * (2 * i + 1) * k / (2 * n)) * math.sqrt(2 / n)
    d[0] /= math.sqrt(2)
    return d


def quality_scale(quality: torch.Tensor) -> torch.Tensor:
    """JPEG's (IJG) table scale for quality 1..100: 50 is the tables as they are, 100 all ones."""
    q = quality.clamp(1, 100)
    return torch.where(q < 50, 50 / q, 2 - q / 50)


def _pad_to(x: torch.Tensor, multiple: int) -> torch.Tensor:
    h, w = x.shape[-2:]
    return F.pad(x, (0, -w % multiple, 0, -h % multiple), mode='replicate')


def chroma_420(c: torch.Tensor) -> torch.Tensor:
    """(N, 2, H, W) chroma -> the same after 2x2 averaging and bicubic interpolation back."""
    h, w = c.shape[-2:]
    small = F.avg_pool2d(_pad_to(c, 2), 2)
    return F.interpolate(small, scale_factor=2, mode='bicubic', align_corners=False)[..., :h, :w]


class CodecProxy(nn.Module):
    """Differentiable codec stand-in on RGB video (B, 3, T, H, W) in [0, 1] -> same shape.

    Args:
        prob: fraction of training batches it is applied to (:meth:`for_batch`).
        quality: JPEG quality range; each clip of a batch draws one uniformly. ``None``: no DCT
            quantisation (only the colour conversion and the chroma subsampling).
        chroma: ``'420'`` (chroma at half size) or ``'444'`` (full-size chroma).
        rounding: ``'noise'`` (uniform noise of one quantiser step) or ``'round'`` (rounding,
            straight-through gradient).
        matrix: the YCbCr matrix (``'170m'``: BT.601, what SD video is tagged with here).
    """

    def __init__(self, prob: float = 0.5, quality: Optional[Sequence[float]] = (40, 95),
                 chroma: str = '420', rounding: str = 'noise', matrix: str = '170m'):
        super().__init__()
        if not 0 <= prob <= 1:
            raise ValueError(f'codec_proxy prob must lie in [0, 1], got {prob}')
        if quality is not None:
            quality = tuple(float(q) for q in quality)
            if len(quality) != 2 or not 1 <= quality[0] <= quality[1] <= 100:
                raise ValueError(f'codec_proxy quality must be a range (lo, hi) with '
                                 f'1 <= lo <= hi <= 100, or None, got {quality}')
        if chroma not in ('420', '444'):
            raise ValueError(f"codec_proxy chroma must be '420' or '444', got {chroma!r}")
        if rounding not in ('noise', 'round'):
            raise ValueError(f"codec_proxy rounding must be 'noise' or 'round', got {rounding!r}")
        self.prob, self.quality, self.chroma, self.rounding = float(prob), quality, chroma, rounding
        self.matrix = matrix
        self._rgb_to_yuv = torch.from_numpy(ycbcr_matrix(matrix))  # plain tensors, not buffers

    @classmethod
    def from_cfg(cls, cfg: dict) -> 'CodecProxy':
        """From a config dict (e.g. ``model.train_cfg.codec_proxy``); unknown keys are an error."""
        known = list(inspect.signature(cls).parameters)
        unknown = sorted(set(cfg) - set(known))
        if unknown:
            raise ValueError(f'unknown codec_proxy setting(s) {", ".join(unknown)}; '
                             f'the settings are {", ".join(known)}')
        return cls(**cfg)

    def for_batch(self) -> Optional['CodecProxy']:
        """This proxy for a fraction ``prob`` of the calls, else None (draws from torch's RNG)."""
        return self if float(torch.rand(())) < self.prob else None

    def to_yuv(self, rgb: torch.Tensor) -> torch.Tensor:
        """(N, 3, H, W) RGB -> (N, 3, H, W) Y, Cb, Cr (Y in [0, 1], chroma in [-1/2, 1/2])."""
        return torch.einsum('ij,njhw->nihw', self._rgb_to_yuv.to(rgb), rgb)

    def to_rgb(self, yuv: torch.Tensor) -> torch.Tensor:
        return torch.einsum('ij,njhw->nihw', torch.linalg.inv(self._rgb_to_yuv).to(yuv), yuv)

    def quantise_dct(self, planes: torch.Tensor, step: torch.Tensor) -> torch.Tensor:
        """(N, C, H, W) planes in 8-bit units, ``step`` (N, 1, 8, 8) quantiser steps -> planes
        after block DCT, quantisation and inverse DCT."""
        n, c, h, w = planes.shape
        x = _pad_to(planes, BLOCK)
        hb, wb = x.shape[-2] // BLOCK, x.shape[-1] // BLOCK
        blocks = x.reshape(n, c, hb, BLOCK, wb, BLOCK).transpose(3, 4)  # (N, C, hb, wb, 8, 8)
        d = dct_matrix().to(planes)
        coef = d @ blocks @ d.T
        step = step[:, :, None, None]
        if self.rounding == 'noise':
            coef = coef + step * (torch.rand_like(coef) - 0.5)
        else:
            coef = coef + (torch.round(coef / step) * step - coef).detach()
        blocks = d.T @ coef @ d
        return blocks.transpose(3, 4).reshape(n, c, hb * BLOCK, wb * BLOCK)[..., :h, :w]

    def forward(self, video: torch.Tensor) -> torch.Tensor:
        """(B, 3, T, H, W) RGB in [0, 1] -> the same after the codec stand-in, in [0, 1]."""
        b, _, t, h, w = video.shape
        frames = video.transpose(1, 2).reshape(b * t, 3, h, w)
        yuv = self.to_yuv(frames)
        y, c = yuv[:, :1], yuv[:, 1:]
        if self.chroma == '420':
            c = chroma_420(c)
        if self.quality is not None:
            lo, hi = self.quality
            quality = lo + (hi - lo) * torch.rand(b, device=video.device, dtype=video.dtype)
            scale = quality_scale(quality).repeat_interleave(t)[:, None, None, None]
            tables = torch.tensor((JPEG_LUMA, JPEG_CHROMA), dtype=video.dtype, device=video.device)
            steps = (tables[None] * scale).clamp_min(1)  # (N, 2, 8, 8)
            y = self.quantise_dct(y * LEVELS - LEVELS / 2, steps[:, :1]) / LEVELS + 0.5
            c = self.quantise_dct(c * LEVELS, steps[:, 1:]) / LEVELS
        out = self.to_rgb(torch.cat([y, c], 1)).clamp(0, 1)  # a decoder's output is in range
        return out.reshape(b, t, 3, h, w).transpose(1, 2)
