"""Video Swin (3-D shifted-window) transformer stage for the up backbone's optional capacity."""
from __future__ import annotations

from functools import lru_cache
from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from torch import nn

Size3 = Tuple[int, int, int]


def _partition(x: torch.Tensor, window: Size3) -> torch.Tensor:
    """(B, T, H, W, C) -> (B * windows, wd*wh*ww, C)."""
    b, t, h, w, c = x.shape
    wd, wh, ww = window
    x = x.view(b, t // wd, wd, h // wh, wh, w // ww, ww, c)
    return x.permute(0, 1, 3, 5, 2, 4, 6, 7).reshape(-1, wd * wh * ww, c)


def _merge(windows: torch.Tensor, window: Size3, shape: Tuple[int, ...]) -> torch.Tensor:
    """Inverse of :func:`_partition` for a (B, T, H, W, C) ``shape``."""
    b, t, h, w, c = shape
    wd, wh, ww = window
    x = windows.view(b, t // wd, h // wh, w // ww, wd, wh, ww, c)
    return x.permute(0, 1, 4, 2, 5, 3, 6, 7).reshape(b, t, h, w, c)


@lru_cache(maxsize=32)
def _relative_index(window: Size3, table_window: Size3) -> torch.Tensor:
    """(N, N) index into a bias table laid out for ``table_window``, for a (possibly smaller)
    effective ``window``."""
    grid = torch.stack(torch.meshgrid(*(torch.arange(s) for s in window), indexing='ij')).flatten(1)
    rel = grid[:, :, None] - grid[:, None, :]
    td, th, tw = table_window
    return ((rel[0] + td - 1) * (2 * th - 1) * (2 * tw - 1)
            + (rel[1] + th - 1) * (2 * tw - 1) + (rel[2] + tw - 1))


@lru_cache(maxsize=32)
def _shift_mask(padded: Size3, window: Size3, shift: Size3) -> torch.Tensor:
    """(windows, N, N) additive mask keeping attention inside the regions a cyclic shift joined."""
    labels = torch.zeros(1, *padded, 1)
    region = 0
    slices = [((slice(0, -w), slice(-w, -s), slice(-s, None)) if s else (slice(None),))
              for w, s in zip(window, shift)]
    for st in slices[0]:
        for sh in slices[1]:
            for sw in slices[2]:
                labels[:, st, sh, sw, :] = region
                region += 1
    lab = _partition(labels, window).squeeze(-1)
    mask = lab[:, None, :] - lab[:, :, None]
    return mask.masked_fill(mask != 0, -100.0).masked_fill(mask == 0, 0.0)


class WindowAttention3D(nn.Module):
    """Multi-head self-attention inside 3-D windows with a learned relative-position bias."""

    def __init__(self, dim: int, heads: int, window: Size3):
        super().__init__()
        if dim % heads:
            raise ValueError(f'dim {dim} is not divisible by heads {heads}')
        self.heads = heads
        self.window = window
        self.qkv = nn.Linear(dim, 3 * dim, bias=False)
        self.proj = nn.Linear(dim, dim)
        table = (2 * window[0] - 1) * (2 * window[1] - 1) * (2 * window[2] - 1)
        self.bias_table = nn.Parameter(torch.zeros(table, heads))
        nn.init.trunc_normal_(self.bias_table, std=0.02)

    def forward(self, x: torch.Tensor, window: Size3, mask: Optional[torch.Tensor]) -> torch.Tensor:
        bw, n, c = x.shape
        q, k, v = self.qkv(x).view(bw, n, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        index = _relative_index(window, self.window).to(x.device)
        bias = self.bias_table[index.reshape(-1)].view(n, n, -1).permute(2, 0, 1)
        bias = bias.unsqueeze(0).to(x.dtype)
        if mask is not None:
            nw = mask.shape[0]
            bias = (bias.view(1, 1, self.heads, n, n)
                    + mask.to(x.dtype).view(1, nw, 1, n, n)).view(-1, self.heads, n, n)
            bias = bias.repeat(bw // nw, 1, 1, 1)
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=bias)
        return self.proj(out.transpose(1, 2).reshape(bw, n, c))


class SwinBlock3D(nn.Module):
    """Pre-norm window attention (optionally on cyclically shifted windows) and an MLP, residual."""

    def __init__(self, dim: int, heads: int, window: Size3, shifted: bool, mlp_ratio: int = 4):
        super().__init__()
        self.window = window
        self.shifted = shifted
        self.norm1 = nn.LayerNorm(dim)
        self.attn = WindowAttention3D(dim, heads, window)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, mlp_ratio * dim), nn.GELU(),
                                 nn.Linear(mlp_ratio * dim, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, T, H, W, C) channels-last."""
        b, t, h, w, c = x.shape
        window = tuple(min(wn, s) for wn, s in zip(self.window, (t, h, w)))
        shift = tuple(wn // 2 if self.shifted and s > wn else 0
                      for wn, s in zip(window, (t, h, w)))
        y = self.norm1(x)
        pads = [(-s) % wn for s, wn in zip((t, h, w), window)]
        y = F.pad(y, (0, 0, 0, pads[2], 0, pads[1], 0, pads[0]))
        padded = y.shape[1:4]
        mask = None
        if any(shift):
            y = torch.roll(y, tuple(-s for s in shift), dims=(1, 2, 3))
            mask = _shift_mask(tuple(padded), window, shift).to(x.device)
        y = _merge(self.attn(_partition(y, window), window, mask), window, y.shape)
        if any(shift):
            y = torch.roll(y, shift, dims=(1, 2, 3))
        x = x + y[:, :t, :h, :w]
        return x + self.mlp(self.norm2(x))


class SwinStage3D(nn.Module):
    """``depth`` Swin blocks (alternating plain and shifted windows), a 3x3x3 conv, and the stage
    input added back. (B, C, T, H, W) -> same shape."""

    def __init__(self, dim: int, depth: int = 6, heads: int = 8, window: Size3 = (3, 7, 7)):
        super().__init__()
        self.blocks = nn.ModuleList(SwinBlock3D(dim, heads, tuple(window), shifted=i % 2 == 1)
                                    for i in range(depth))
        self.conv = nn.Sequential(nn.Conv3d(dim, dim, 3, padding=1), nn.PReLU())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = x.permute(0, 2, 3, 4, 1)
        for block in self.blocks:
            y = block(y)
        return x + self.conv(y.permute(0, 4, 1, 2, 3).contiguous())
