"""The papers' evaluation protocol and metrics."""
from .metrics import frame_scores, psnr, ssim
from .protocol import evaluate_clip, summarise

__all__ = ['psnr', 'ssim', 'frame_scores', 'evaluate_clip', 'summarise']
