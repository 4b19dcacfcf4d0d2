"""3-D implicit sampler: read a feature video at any lattice of (t, y, x) coordinates.

Coordinates are input indices per axis (see :mod:`mmagic_cstvr.structures.lattice`): output sample
``(t_i, y_j, x_k)`` is the point ``(ct[i], cy[j], cx[k])`` of the input grid. Each sample gathers its
8 surrounding input voxels with explicit index arithmetic (floor and floor + 1 per axis, clamped to
the grid), weights them trilinearly, and feeds an MLP with

    [8 x relative offsets (3), 8 x weighted features (C), scale code (3)]  ->  27 + 8C channels

whose first hidden layer is followed by a depthwise 3x3x3 convolution over the output lattice (so a
sample sees its space-time neighbours; placed after the first layer, where it is 2-4x narrower than
the input, and run channels-last, which CPUs do fast). A trilinear sample of a projection of the
features is added (the shortcut), so with the MLP's zero-initialised last layer the sampler starts
as trilinear interpolation. Evaluation is chunked over output frames and rows to bound memory.

The first layer is evaluated without building its 27 + 8C input (same function, sums reordered):
the offsets and the scale code enter linearly and each depends on one axis, so their part is a sum
of per-frame, per-row and per-column vectors; each corner's feature part is a projection of the
gathered feature, weighted. When a frame of the output lattice has at least 4 times the samples
of a feature frame (a spatial upsample by 2 or more), the features are projected first, once per
input voxel and corner, and the weighted gather then runs one axis at a time on the projections;
otherwise the corners are gathered first and projected in one matrix product.
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


def gather(x: torch.Tensor, dim: int, index: torch.Tensor) -> torch.Tensor:
    """``x.index_select(dim, index)``, as a row gather along dim 0 when each selected slice is
    long: torch's CPU ``index_select`` on other dims copies such slices many times slower."""
    inner = x.shape[dim + 1:].numel()
    if dim == 0 or inner < 16:
        return x.index_select(dim, index)
    n, outer = x.shape[dim], x.shape[:dim].numel()
    rows = (torch.arange(outer, device=x.device).view(-1, 1) * n + index.view(1, -1)).view(-1)
    out = x.reshape(outer * n, inner).index_select(0, rows)
    return out.view(*x.shape[:dim], len(index), *x.shape[dim + 1:])


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
        out = (gather(out, dim, index[0]) * weight[0].view(shape)
               + gather(out, dim, index[1]) * weight[1].view(shape))
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
        corners = [axis_corners(c, n) for c, n in zip((ct, cy, cx), feat.shape[1:4])]
        geometry = self._geometry(corners, code)
        project_first = len(cy) * len(cx) >= 4 * feat.shape[2] * feat.shape[3]
        mlp = out.new_empty(out.shape[0], len(ct), len(cy), len(cx), out.shape[1])
        for t0, t1 in self._spans(len(ct), len(cx) * min(len(cy), 8)):
            for h0, h1 in self._spans(len(cy), (t1 - t0) * len(cx)):
                mlp[:, t0:t1, h0:h1] = self._block(feat, corners, geometry, project_first,
                                                   t0, t1, h0, h1)
        return out + mlp.permute(0, 4, 1, 2, 3)

    def _spans(self, n: int, per_item: int) -> List[Tuple[int, int]]:
        step = max(1, min(n, self.max_points // max(1, per_item)))
        return [(i, min(n, i + step)) for i in range(0, n, step)]

    def _geometry(self, corners: Sequence[Corners], code: torch.Tensor) -> List[torch.Tensor]:
        """The first layer's offset, scale-code and bias part as per-axis terms: (T, hidden),
        (H, hidden), (W, hidden), whose broadcast sum is its value at every output sample."""
        weight = self.embed.weight
        hidden = weight.shape[0]
        per_corner = weight[:, :24].reshape(hidden, 2, 2, 2, 3)  # (corner t, y, x), axis
        axis_weights = [per_corner[..., 0].sum((2, 3)), per_corner[..., 1].sum((1, 3)),
                        per_corner[..., 2].sum((1, 2))]  # (hidden, 2): by the axis' corner
        terms = [torch.stack(offset, -1) @ w.t() for (_, _, offset), w in zip(corners, axis_weights)]
        terms[0] = terms[0] + weight[:, 24:27] @ code + self.embed.bias
        return terms

    def _block(self, feat, corners, geometry, project_first, t0, t1, h0, h1) -> torch.Tensor:
        """MLP output (B, t1 - t0, h1 - h0, W, out) for output frames [t0, t1) and rows [h0, h1).

        The lattice conv needs one neighbour on each side, so the block is embedded with a halo of
        one frame and one row (where the lattice has them) that is cropped after the conv.
        """
        ta, tb = max(0, t0 - 1), min(len(geometry[0]), t1 + 1)
        ha, hb = max(0, h0 - 1), min(len(geometry[1]), h1 + 1)
        (ct, cy, cx) = (_slice(corners[0], ta, tb), _slice(corners[1], ha, hb), corners[2])
        embed = self._project_then_gather if project_first else self._gather_then_project
        x = embed(feat, ct, cy, cx)
        x += geometry[0][ta:tb, None, None]
        x += geometry[1][None, ha:hb, None]
        x += geometry[2][None, None]
        x = self.lattice_conv(x.permute(0, 4, 1, 2, 3))[:, :, t0 - ta:t1 - ta, h0 - ha:h1 - ha]
        return self.mlp(x.permute(0, 2, 3, 4, 1))

    def _feature_weight(self) -> torch.Tensor:
        """The first layer's feature columns, (hidden, 2, 2, 2, C): by corner in t, y, x."""
        weight = self.embed.weight
        return weight[:, 27:].reshape(weight.shape[0], 2, 2, 2, self.in_channels)

    def _gather_then_project(self, feat, ct: Corners, cy: Corners, cx: Corners) -> torch.Tensor:
        """Feature part of the first layer, (B, T, H, W, hidden): the 8 weighted corner features
        of every output sample, concatenated and projected."""
        (it, wt, _), (iy, wy, _), (ix, wx, _) = ct, cy, cx
        features = []
        for a in range(2):
            zt = gather(feat, 1, it[a])
            for b in range(2):
                zty = gather(zt, 2, iy[b])
                for c in range(2):
                    w = wt[a].view(-1, 1, 1) * wy[b].view(1, -1, 1) * wx[c].view(1, 1, -1)
                    features.append(gather(zty, 3, ix[c]) * w.unsqueeze(-1))
        weight = self._feature_weight()
        return torch.nn.functional.linear(torch.cat(features, -1), weight.reshape(len(weight), -1))

    def _project_then_gather(self, feat, ct: Corners, cy: Corners, cx: Corners) -> torch.Tensor:
        """Feature part of the first layer, (B, T, H, W, hidden): each corner's projection of the
        input voxels the block reads, then the weighted gather one axis at a time."""
        (it, wt, _), (iy, wy, _), (ix, wx, _) = ct, cy, cx
        t_lo, t_hi = int(it[0].min()), int(it[1].max()) + 1
        y_lo, y_hi = int(iy[0].min()), int(iy[1].max()) + 1
        weight = self._feature_weight()
        hidden = len(weight)
        proj = torch.nn.functional.linear(feat[:, t_lo:t_hi, y_lo:y_hi],
                                          weight.permute(1, 2, 3, 0, 4).reshape(8 * hidden, -1))
        # (corner t, y, x, B, t, h, w, hidden): every gather below reads and writes whole rows
        proj = proj.unflatten(-1, (2, 2, 2, hidden)).permute(4, 5, 6, 0, 1, 2, 3, 7).contiguous()
        x = _weighted_pair(proj, 3, it, wt, t_lo)  # (corner y, x, B, T, h, w, hidden)
        x = _weighted_pair(x, 3, iy, wy, y_lo)  # (corner x, B, T, H, w, hidden)
        return _weighted_pair(x, 3, ix, wx, 0)  # (B, T, H, W, hidden)


def _slice(corners: Corners, start: int, stop: int) -> Corners:
    """The corners of samples ``[start, stop)`` of an axis."""
    return tuple([part[start:stop] for part in pair] for pair in corners)


def _weighted_pair(x: torch.Tensor, dim: int, index, weight, start: int) -> torch.Tensor:
    """One axis of the trilinear weighting: ``x[k]`` (corners first) gathered at ``index[k] -
    start`` along ``dim`` (of ``x[k]``) times ``weight[k]``, summed over the two corners k."""
    shape = [-1] + [1] * (x.dim() - 2 - dim)
    lower, upper = (gather(x[k], dim, index[k] - start) for k in range(2))
    return torch.addcmul(lower * weight[0].view(shape), upper, weight[1].view(shape))
