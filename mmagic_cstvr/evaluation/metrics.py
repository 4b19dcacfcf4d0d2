"""PSNR and SSIM as STVSR papers compute them (BasicSR semantics): 8-bit frames, peak 255, no border
crop, float64; SSIM with an 11x11 Gaussian window (sigma 1.5) on the valid region, averaged over the
three channels for RGB; Y is BT.601 studio-range luma
(:func:`mmagic_cstvr.structures.colour.rgb_to_y`)."""
from __future__ import annotations

import numpy as np

from ..structures.colour import rgb_to_y


def psnr(gt: np.ndarray, pred: np.ndarray) -> float:
    """PSNR in dB of two uint8 (or 0-255 float) images of the same shape; inf when identical."""
    if gt.shape != pred.shape:
        raise ValueError(f'image shapes differ: {gt.shape} vs {pred.shape}')
    mse = np.mean((np.asarray(gt, np.float64) - np.asarray(pred, np.float64)) ** 2)
    return float('inf') if mse == 0 else float(10 * np.log10(255.0 ** 2 / mse))


def _ssim_plane(a: np.ndarray, b: np.ndarray) -> float:
    import cv2
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    kernel = cv2.getGaussianKernel(11, 1.5)
    window = kernel @ kernel.T
    f = lambda x: cv2.filter2D(x, -1, window)[5:-5, 5:-5]  # noqa: E731
    mu_a, mu_b = f(a), f(b)
    var_a, var_b = f(a * a) - mu_a ** 2, f(b * b) - mu_b ** 2
    cov = f(a * b) - mu_a * mu_b
    ssim_map = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a ** 2 + mu_b ** 2 + c1) * (var_a + var_b + c2))
    return float(ssim_map.mean())


def ssim(gt: np.ndarray, pred: np.ndarray) -> float:
    """SSIM of (H, W) or (H, W, C) images in 0-255; the mean over channels."""
    if gt.shape != pred.shape:
        raise ValueError(f'image shapes differ: {gt.shape} vs {pred.shape}')
    a, b = np.asarray(gt, np.float64), np.asarray(pred, np.float64)
    if a.ndim == 2:
        return _ssim_plane(a, b)
    return float(np.mean([_ssim_plane(a[..., c], b[..., c]) for c in range(a.shape[-1])]))


def frame_scores(gt: np.ndarray, pred: np.ndarray) -> dict:
    """RGB and Y PSNR/SSIM of one (H, W, 3) uint8 RGB frame pair."""
    gy, py = rgb_to_y(gt), rgb_to_y(pred)
    return dict(psnr_rgb=psnr(gt, pred), ssim_rgb=ssim(gt, pred), psnr_y=psnr(gy, py), ssim_y=ssim(gy, py))
