"""Space-time upsampler: LR video (revealed latent, or ordinary footage) -> HR video at any lattice."""
from typing import Sequence, Tuple

import torch
from torch import nn

from ..structures.lattice import pixel_centres
from ..structures.padding import pad_to_multiple
from .classical import naive_upsample
from .dense_block import SpatioTemporalDenseBlock
from .implicit_sampler import ImplicitSampler3D
from .shuffle import depth_to_space, space_to_depth
from .swin3d import SwinStage3D


class UpNet(nn.Module):
    """(B, 3, t, h, w) LR -> (B, 3, T, H, W) HR at the given frame positions.

    Conv stem to ``channels/4``, space-to-depth 2, the body, two fuse convs (body and skip) to
    ``4*fuse``, depth-to-space 2, and an implicit sampler to the HR lattice, added to the naive
    upsample of the input (bicubic in space, linear in time), so the network learns the detail.

    The body is ``blocks`` spatio-temporal dense blocks; with ``swin_stages > 0`` it is that many
    stages of (``blocks`` dense blocks, one Swin-3D stage of ``swin_depth`` blocks).
    """

    multiple = 2

    def __init__(self, channels: int = 128, blocks: int = 16, growth: int = 32, fuse: int = 64,
                 hidden: int = 256, swin_stages: int = 0, swin_depth: int = 6, swin_heads: int = 8,
                 swin_window: Tuple[int, int, int] = (3, 7, 7), max_points: int = 1 << 17):
        super().__init__()
        if channels % 4:
            raise ValueError(f'UpNet channels must be divisible by 4, got {channels}')
        self.stem = nn.Sequential(nn.Conv3d(3, channels // 4, 3, padding=1), nn.PReLU())
        stages = []
        for _ in range(max(1, swin_stages)):
            stages += [SpatioTemporalDenseBlock(channels, growth) for _ in range(blocks)]
            if swin_stages:
                stages.append(SwinStage3D(channels, swin_depth, swin_heads, tuple(swin_window)))
        self.body = nn.Sequential(*stages)
        self.fuse_body = nn.Sequential(nn.Conv3d(channels, 4 * fuse, 3, padding=1), nn.PReLU())
        self.fuse_skip = nn.Sequential(nn.Conv3d(channels, 4 * fuse, 3, padding=1), nn.PReLU())
        self.sampler = ImplicitSampler3D(fuse, hidden, 3, max_points, residual=True)

    def forward(self, lr: torch.Tensor, size: Tuple[int, int], positions: Sequence[float],
                step: float) -> torch.Tensor:
        """``size``: HR (H, W); ``positions``: HR frames in LR-frame units; ``step``: LR frames per
        HR frame."""
        h_lr, w_lr = lr.shape[-2:]
        x = space_to_depth(self.stem(pad_to_multiple(lr, self.multiple)))
        x = depth_to_space(self.fuse_body(self.body(x)) + self.fuse_skip(x))
        ct = torch.tensor(list(positions), dtype=lr.dtype, device=lr.device)
        cy = pixel_centres(size[0], h_lr, lr.device, lr.dtype)
        cx = pixel_centres(size[1], w_lr, lr.device, lr.dtype)
        cell = (step, h_lr / size[0], w_lr / size[1])
        return naive_upsample(lr, size, positions) + self.sampler(x, ct, cy, cx, cell)
