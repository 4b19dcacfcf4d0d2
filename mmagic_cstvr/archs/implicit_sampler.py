"""3-D implicit sampler: read a feature video at any lattice of (t, y, x) coordinates.

Coordinates are input indices per axis (see :mod:`mmagic_cstvr.lattice`): output sample
``(t_i, y_j, x_k)`` is the point ``(ct[i], cy[j], cx[k])`` of the input grid. Each sample gathers its
8 surrounding input voxels with explicit index arithmetic (floor and floor + 1 per axis, clamped to
the grid), weights them trilinearly, and feeds an MLP with

    [8 x relative offsets (3), 8 x weighted features (C), scale code (3)]  ->  27 + 8C channels

whose first hidden layer is followed by a depthwise 3x3x3 convolution over the output lattice (so a
sample sees its space-time neighbours; placed after the first layer, where it is 2-4x narrower than
the input, and run channels-last, which CPUs do fast). A trilinear sample of a projection of the
features is added (the shortcut), so with the MLP's zero-initialised last layer the sampler starts
as trilinear interpolation. Evaluation is chunked over output frames and rows to bound memory.
"""
from __future__ import annotations

from typing import List, Sequence, Tuple

import torch
from torch import nn

Corners = Tuple[List[torch.Tensor], List[torch.Tensor], List[torch.Tensor]]


def axis_corners(coords: torch.Tensor, size: int) -> Corners:
    """Lower/upper neighbours of ``coords`` (N,) on an axis of ``size`` samples.

    Returns ``(index, weight, offset)``, each a pair (lower, upper) of (N,) tensors: clamped integer
    indices, linear interpolation weights (summing to 1) and the offsets ``coords - index``.
    """
    lower = torch.floor(coords)
    frac = coords - lower
    lower = lower.long()
    index = [lower.clamp(0, size - 1), (lower + 1).clamp(0, size - 1)]
    weight = [1 - frac, frac]
    offset = [coords - i.to(coords.dtype) for i in index]
    return index, weight, offset


def trilinear_sample(feat: torch.Tensor, ct: torch.Tensor, cy: torch.Tensor,
                     cx: torch.Tensor) -> torch.Tensor:
    """Trilinear interpolation of ``feat`` (B, C, t, h, w) at the lattice ct x cy x cx.

    Borders replicate (coordinates outside the grid read the edge sample). Returns
    (B, C, len(ct), len(cy), len(cx)).
    """
    out = feat
    for dim, coords in ((2, ct), (3, cy), (4, cx)):
        index, weight, _ = axis_corners(coords.to(feat.dtype), feat.shape[dim])
        shape = [1] * 5
        shape[dim] = -1
        out = (out.index_select(dim, index[0]) * weight[0].view(shape)
               + out.index_select(dim, index[1]) * weight[1].view(shape))
    return out


class ImplicitSampler3D(nn.Module):
    """Continuous resampler of a feature video (B, C, t, h, w) to (B, out_channels, T, H, W).

    Args:
        in_channels: C, channels of the feature video.
        hidden: width of the MLP.
        out_channels: channels produced (3 for RGB or the latent).
        max_points: output samples evaluated at once (memory bound); the result does not depend on it.
        residual: zero-initialise the shortcut's projection too, so an untrained sampler outputs 0
            (for samplers whose output is added to a fixed base, such as the reference LR).
    """

    def __init__(self, in_channels: int, hidden: int = 256, out_channels: int = 3,
                 max_points: int = 1 << 17, residual: bool = False):
        super().__init__()
        self.in_channels = in_channels
        self.max_points = max_points
        self.embed = nn.Linear(27 + 8 * in_channels, hidden)
        self.lattice_conv = nn.Conv3d(hidden, hidden, 3, padding=1, groups=hidden)
        self.mlp = nn.Sequential(nn.GELU(), nn.Linear(hidden, hidden), nn.GELU(),
                                 nn.Linear(hidden, out_channels))
        nn.init.zeros_(self.mlp[-1].weight)
        nn.init.zeros_(self.mlp[-1].bias)
        self.shortcut = nn.Sequential(
            nn.Conv3d(in_channels, in_channels, 3, padding=1, groups=in_channels),
            nn.Conv3d(in_channels, out_channels, 1))
        if residual:
            nn.init.zeros_(self.shortcut[1].weight)
            nn.init.zeros_(self.shortcut[1].bias)

    def forward(self, feat: torch.Tensor, ct: torch.Tensor, cy: torch.Tensor, cx: torch.Tensor,
                cell: Sequence[float]) -> torch.Tensor:
        """Sample ``feat`` at the lattice ``ct`` x ``cy`` x ``cx`` (1-D input-index coordinates).

        ``cell`` is the output spacing in input units per axis (t, y, x): 0.5 for a 2x upsample,
        1.25 for 30 -> 24 fps. Its log2 is the MLP's scale code.
        """
        if feat.dim() != 5 or feat.shape[1] != self.in_channels:
            raise ValueError(f'expected features (B, {self.in_channels}, t, h, w), '
                             f'got {tuple(feat.shape)}')
        ct, cy, cx = (c.to(device=feat.device, dtype=feat.dtype) for c in (ct, cy, cx))
        code = torch.log2(torch.tensor([float(c) for c in cell], device=feat.device,
                                       dtype=feat.dtype))
        out = trilinear_sample(self.shortcut(feat), ct, cy, cx)
        feat = feat.permute(0, 2, 3, 4, 1)  # channels-last: gathers give MLP-ready rows
        rows = []
        for t0, t1 in self._spans(len(ct), len(cx) * min(len(cy), 8)):
            rows.append(torch.cat([self._block(feat, ct, cy, cx, code, t0, t1, h0, h1)
                                   for h0, h1 in self._spans(len(cy), (t1 - t0) * len(cx))], 3))
        return out + torch.cat(rows, 2)

    def _spans(self, n: int, per_item: int) -> List[Tuple[int, int]]:
        step = max(1, min(n, self.max_points // max(1, per_item)))
        return [(i, min(n, i + step)) for i in range(0, n, step)]

    def _block(self, feat, ct, cy, cx, code, t0, t1, h0, h1) -> torch.Tensor:
        """MLP output (B, out, t1 - t0, h1 - h0, W) for output frames [t0, t1) and rows [h0, h1).

        The lattice conv needs one neighbour on each side, so the block is embedded with a halo of
        one frame and one row (where the lattice has them) that is cropped after the conv.
        """
        ta, tb = max(0, t0 - 1), min(len(ct), t1 + 1)
        ha, hb = max(0, h0 - 1), min(len(cy), h1 + 1)
        x = self.embed(self._mlp_input(feat, ct[ta:tb], cy[ha:hb], cx, code))
        x = self.lattice_conv(x.permute(0, 4, 1, 2, 3))[:, :, t0 - ta:t1 - ta, h0 - ha:h1 - ha]
        return self.mlp(x.permute(0, 2, 3, 4, 1)).permute(0, 4, 1, 2, 3)

    @staticmethod
    def _mlp_input(feat, ct, cy, cx, code) -> torch.Tensor:
        """(B, T, H, W, 27 + 8C) from channels-last ``feat`` (B, t, h, w, C): offsets, trilinearly
        weighted corner features, scale code."""
        b = feat.shape[0]
        (it, wt, dt), (iy, wy, dy), (ix, wx, dx) = (
            axis_corners(c, n) for c, n in zip((ct, cy, cx), feat.shape[1:4]))
        lattice = (len(ct), len(cy), len(cx))
        offsets, features = [], []
        for a in range(2):
            zt = feat.index_select(1, it[a])
            for bb in range(2):
                zty = zt.index_select(2, iy[bb])
                for c in range(2):
                    w = wt[a].view(-1, 1, 1) * wy[bb].view(1, -1, 1) * wx[c].view(1, 1, -1)
                    features.append(zty.index_select(3, ix[c]) * w.unsqueeze(-1))
                    offsets += [dt[a].view(-1, 1, 1).expand(lattice),
                                dy[bb].view(1, -1, 1).expand(lattice),
                                dx[c].view(1, 1, -1).expand(lattice)]
        geometry = torch.stack(offsets + [code[i].expand(lattice) for i in range(3)], -1)
        return torch.cat([geometry.unsqueeze(0).expand(b, -1, -1, -1, -1)] + features, -1)
