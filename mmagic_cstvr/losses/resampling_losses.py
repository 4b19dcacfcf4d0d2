"""Losses on the intermediate outputs of a resampler's training pass (see
:meth:`mmagic_cstvr.archs.CSTVRResampler.forward`). The reconstruction loss is mmagic's own
``CharbonnierLoss`` on the HR output."""
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


@MODELS.register_module()
class LRGuidanceLoss(nn.Module):
    """Pulls the transmitted (stego) LR towards the ordinary reference LR (frame dropping +
    antialiased bicubic), so the transmitted clip looks like normal footage.

    Keep ``loss_weight`` small (the hiding collapses when guidance outweighs reconstruction); an
    ``mse`` criterion pulls weakly on small differences, leaving room for the hidden signal.
    """

    def __init__(self, loss_weight: float = 0.05, criterion: str = 'mse'):
        super().__init__()
        self.loss_weight = loss_weight
        self.criterion = _criterion(criterion)

    def forward(self, outputs: dict) -> torch.Tensor:
        return self.loss_weight * self.criterion(outputs['stego'], outputs['reference'])


@MODELS.register_module()
class LatentRecoveryLoss(nn.Module):
    """The latent revealed from the 8-bit stego frames should equal the latent that was hidden."""

    def __init__(self, loss_weight: float = 1.0, criterion: str = 'l1'):
        super().__init__()
        self.loss_weight = loss_weight
        self.criterion = _criterion(criterion)

    def forward(self, outputs: dict) -> torch.Tensor:
        return self.loss_weight * self.criterion(outputs['revealed'], outputs['latent'])
