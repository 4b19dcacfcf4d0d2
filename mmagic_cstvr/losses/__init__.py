"""Resampling losses, registered in mmagic's MODELS registry."""
from .resampling_losses import (FramePSNRLoss, LatentRecoveryLoss, LRGuidanceLoss, psnr_db,
                                psnr_per_frame)

__all__ = ['FramePSNRLoss', 'LRGuidanceLoss', 'LatentRecoveryLoss', 'psnr_db', 'psnr_per_frame']
