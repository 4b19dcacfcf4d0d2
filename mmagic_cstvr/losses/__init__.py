"""Resampling losses, registered in mmagic's MODELS registry."""
from .resampling_losses import LatentRecoveryLoss, LRGuidanceLoss

__all__ = ['LRGuidanceLoss', 'LatentRecoveryLoss']
