"""Invertible Motion Steganography Module (IMSM): latent video <-> ordinary-looking RGB video.

A bijection of R^(3 x T x H x W): squeeze 2x2 (3 -> 12 channels), ``K`` affine coupling cells,
squeeze again (12 -> 48), ``K`` more cells, then depth-to-space twice back to 3 channels at full
size. ``hide`` runs it forwards (latent -> stego RGB), ``reveal`` exactly backwards. H and W must be
divisible by 4. Every cell starts as the identity (zero-initialised last layers), so an untrained
IMSM passes the latent through unchanged.
"""
import torch
from torch import nn

from .dense_block import DenseBlock3D
from .shuffle import depth_to_space, space_to_depth


class AffineCoupling(nn.Module):
    """Split channels into h1 (first ``split``) and h2 (the rest) and couple them::

        h1' = h1 + phi(h2)
        s   = 2 * sigmoid(rho(h1')) - 1            (log-scale in (-1, 1))
        h2' = h2 * exp(s) + eta(h1')
    """

    def __init__(self, channels: int, split: int = 3, growth: int = 32):
        super().__init__()
        self.split = split
        rest = channels - split
        self.phi = DenseBlock3D(rest, split, growth, zero_init=True)
        self.rho = DenseBlock3D(split, rest, growth, zero_init=True)
        self.eta = DenseBlock3D(split, rest, growth, zero_init=True)

    def _log_scale(self, h1: torch.Tensor) -> torch.Tensor:
        return 2 * torch.sigmoid(self.rho(h1)) - 1

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h1, h2 = x[:, :self.split], x[:, self.split:]
        h1 = h1 + self.phi(h2)
        h2 = h2 * torch.exp(self._log_scale(h1)) + self.eta(h1)
        return torch.cat([h1, h2], 1)

    def inverse(self, y: torch.Tensor) -> torch.Tensor:
        h1, h2 = y[:, :self.split], y[:, self.split:]
        h2 = (h2 - self.eta(h1)) * torch.exp(-self._log_scale(h1))
        h1 = h1 - self.phi(h2)
        return torch.cat([h1, h2], 1)


class IMSM(nn.Module):
    """(B, 3, T, H, W) latent <-> (B, 3, T, H, W) stego RGB; H, W divisible by 4.

    Args:
        cells: K, coupling cells per scale.
        growth: growth width of the cells' dense sub-networks.
    """

    multiple = 4

    def __init__(self, cells: int = 2, growth: int = 32):
        super().__init__()
        self.stage1 = nn.ModuleList(AffineCoupling(12, 3, growth) for _ in range(cells))
        self.stage2 = nn.ModuleList(AffineCoupling(48, 3, growth) for _ in range(cells))

    def _check(self, x: torch.Tensor):
        if x.dim() != 5 or x.shape[1] != 3 or x.shape[-1] % 4 or x.shape[-2] % 4:
            raise ValueError(f'IMSM needs (B, 3, T, H, W) with H and W divisible by 4, '
                             f'got {tuple(x.shape)}')

    def hide(self, latent: torch.Tensor) -> torch.Tensor:
        """Latent -> stego RGB (before quantisation)."""
        self._check(latent)
        x = space_to_depth(latent)
        for cell in self.stage1:
            x = cell(x)
        x = space_to_depth(x)
        for cell in self.stage2:
            x = cell(x)
        return depth_to_space(depth_to_space(x))

    def reveal(self, stego: torch.Tensor) -> torch.Tensor:
        """Stego RGB -> latent: the exact inverse of :meth:`hide`."""
        self._check(stego)
        x = space_to_depth(space_to_depth(stego))
        for cell in reversed(self.stage2):
            x = cell.inverse(x)
        x = depth_to_space(x)
        for cell in reversed(self.stage1):
            x = cell.inverse(x)
        return depth_to_space(x)
