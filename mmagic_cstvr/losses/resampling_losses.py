"""Losses on the intermediate outputs of a resampler's training pass (see
:meth:`mmagic_cstvr.archs.CSTVRResampler.forward`). The reconstruction loss is one of mmagic's
pixel losses on the HR output, or :class:`FramePSNRLoss`."""
from typing import Optional

import torch
import torch.nn.functional as F
from torch import nn

from mmagic.registry import MODELS


def _charbonnier(a: torch.Tensor, b: torch.Tensor, eps: float = 1e-12) -> torch.Tensor:
    return torch.sqrt((a - b) ** 2 + eps).mean()


_CRITERIA = {'l1': F.l1_loss, 'mse': F.mse_loss, 'charbonnier': _charbonnier}


def _criterion(name: str):
    if name not in _CRITERIA:
        raise ValueError(f'unknown criterion {name!r}; choose one of {sorted(_CRITERIA)}')
    return _CRITERIA[name]


def psnr_db(pred: torch.Tensor, target: torch.Tensor, dim=None, eps: float = 1e-10) -> torch.Tensor:
    """PSNR in dB (peak 1) of the squared error averaged over ``dim`` (all dims when None)."""
    err = (pred - target) ** 2
    mse = err.mean() if dim is None else err.mean(dim=dim)
    return -10 * torch.log10(mse.clamp_min(eps))


def psnr_per_frame(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """PSNR in dB of each frame of (B, C, T, H, W) videos in [0, 1] -> (B, T)."""
    return psnr_db(pred, target, dim=(1, 3, 4))


@MODELS.register_module()
class FramePSNRLoss(nn.Module):
    """Reconstruction loss ``-loss_weight * mean PSNR`` over every frame of every clip.

    The evaluation protocol averages per-frame PSNR, so this loss weighs a frame's error by the
    inverse of its size: frames that are already accurate (the key frames a steg model returns)
    keep their accuracy, instead of being traded for the hard ones as a pooled MSE would.
    Inputs: (B, C, T, H, W) in [0, 1].
    """

    def __init__(self, loss_weight: float = 1.0):
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        if pred.dim() != 5 or pred.shape != target.shape:
            raise ValueError(f'FramePSNRLoss expects two videos (B, C, T, H, W) of one shape, got '
                             f'{tuple(pred.shape)} and {tuple(target.shape)}')
        return -self.loss_weight * psnr_per_frame(pred, target).mean()


@MODELS.register_module()
class LRGuidanceLoss(nn.Module):
    """Pulls the transmitted (stego) LR towards the ordinary reference LR (frame dropping +
    antialiased bicubic), so the transmitted clip looks like normal footage.

    Two forms:
    - ``criterion`` (``mse``, ``l1``, ``charbonnier``): ``loss_weight * criterion(stego, ref)``.
      Keep the weight small: the hiding collapses when guidance outweighs reconstruction; ``mse``
      pulls weakly on small differences, leaving room for the hidden signal.
    - ``min_psnr`` (dB): a floor. Each clip whose stego LR is less than ``min_psnr`` dB from its
      reference costs ``loss_weight`` per missing dB; clips above the floor cost nothing, so the
      hidden signal is free to use everything down to the floor. Pairs with :class:`FramePSNRLoss`
      (both in dB, so ``loss_weight`` is an exchange rate between LR and reconstruction dB).
    """

    def __init__(self, loss_weight: float = 0.05, criterion: str = 'mse',
                 min_psnr: Optional[float] = None):
        super().__init__()
        self.loss_weight = loss_weight
        self.criterion = _criterion(criterion)
        self.min_psnr = min_psnr

    def forward(self, outputs: dict) -> torch.Tensor:
        stego, reference = outputs['stego'], outputs['reference']
        if self.min_psnr is None:
            return self.loss_weight * self.criterion(stego, reference)
        per_clip = psnr_db(stego, reference, dim=tuple(range(1, stego.dim())))
        return self.loss_weight * F.relu(self.min_psnr - per_clip).mean()


@MODELS.register_module()
class LatentRecoveryLoss(nn.Module):
    """The latent revealed from the 8-bit stego frames should equal the latent that was hidden."""

    def __init__(self, loss_weight: float = 1.0, criterion: str = 'l1'):
        super().__init__()
        self.loss_weight = loss_weight
        self.criterion = _criterion(criterion)

    def forward(self, outputs: dict) -> torch.Tensor:
        return self.loss_weight * self.criterion(outputs['revealed'], outputs['latent'])
