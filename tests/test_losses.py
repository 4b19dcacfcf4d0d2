"""The resampling losses: per-frame PSNR reconstruction loss and the LR guidance (plain and floor)."""
import math

import pytest
import torch

from mmagic_cstvr.evaluation.metrics import psnr
from mmagic_cstvr.losses import FramePSNRLoss, LRGuidanceLoss, psnr_per_frame


def _noisy(clip, sigmas):
    """clip (B, C, T, H, W) plus Gaussian noise of std sigmas[t] on frame t."""
    noise = torch.randn_like(clip) * torch.tensor(sigmas).view(1, 1, -1, 1, 1)
    return clip + noise


def test_psnr_per_frame_agrees_with_the_evaluation_metric():
    torch.manual_seed(0)
    gt = torch.rand(2, 3, 4, 16, 16, dtype=torch.float64)
    pred = _noisy(gt, [0.01, 0.02, 0.05, 0.1])
    got = psnr_per_frame(pred, gt)
    assert got.shape == (2, 4)
    for b in range(2):
        for t in range(4):
            # the evaluation metric takes 0..255 images; PSNR is unchanged by the common scale
            want = psnr(gt[b, :, t].numpy() * 255, pred[b, :, t].numpy() * 255)
            assert got[b, t].item() == pytest.approx(want, abs=1e-6)


def test_frame_psnr_loss_is_minus_the_mean_frame_psnr():
    torch.manual_seed(0)
    gt = torch.rand(1, 3, 3, 8, 8)
    pred = _noisy(gt, [0.001, 0.1, 0.1])
    loss = FramePSNRLoss(loss_weight=0.5)(pred, gt)
    assert loss.item() == pytest.approx(-0.5 * psnr_per_frame(pred, gt).mean().item(), rel=1e-6)


def test_frame_psnr_loss_weighs_accurate_frames_by_their_own_error():
    """The same absolute change costs far more on an accurate frame than on a poor one (pooled
    MSE would weigh them equally): the reason it keeps a steg model's key frames exact."""
    torch.manual_seed(0)
    gt = torch.rand(1, 3, 2, 8, 8)
    pred = _noisy(gt, [0.002, 0.1]).requires_grad_()
    FramePSNRLoss()(pred, gt).backward()
    err = (pred - gt).detach()
    # gradient of frame t is proportional to err_t / mse_t
    g_acc = pred.grad[:, :, 0].norm() / err[:, :, 0].norm()
    g_poor = pred.grad[:, :, 1].norm() / err[:, :, 1].norm()
    assert g_acc / g_poor == pytest.approx((0.1 / 0.002) ** 2, rel=0.2)


def test_frame_psnr_loss_refuses_mismatched_inputs():
    with pytest.raises(ValueError, match='one shape'):
        FramePSNRLoss()(torch.zeros(1, 3, 2, 4, 4), torch.zeros(1, 3, 3, 4, 4))
    with pytest.raises(ValueError, match=r'\(B, C, T, H, W\)'):
        FramePSNRLoss()(torch.zeros(3, 4, 4), torch.zeros(3, 4, 4))


def test_guidance_floor_costs_the_missing_decibels_and_nothing_above():
    torch.manual_seed(0)
    ref = torch.rand(2, 3, 4, 16, 16, dtype=torch.float64)
    # clip 0 is 30 dB from its reference (6.5 dB under the floor), clip 1 about 46 dB (above it)
    stego = torch.cat([ref[:1] + math.sqrt(10 ** -3.0), ref[1:] + math.sqrt(10 ** -4.6)])
    loss = LRGuidanceLoss(loss_weight=2.0, min_psnr=36.5)(dict(stego=stego, reference=ref))
    assert loss.item() == pytest.approx(2.0 * 6.5 / 2, rel=1e-6)
    above = LRGuidanceLoss(loss_weight=2.0, min_psnr=36.5)(dict(stego=stego[1:], reference=ref[1:]))
    assert above.item() == 0


def test_plain_guidance_is_the_weighted_criterion():
    ref = torch.zeros(1, 3, 2, 4, 4)
    stego = ref + 0.1
    loss = LRGuidanceLoss(loss_weight=0.05, criterion='mse')(dict(stego=stego, reference=ref))
    assert loss.item() == pytest.approx(0.05 * 0.01)
    with pytest.raises(ValueError, match="unknown criterion 'l3'"):
        LRGuidanceLoss(criterion='l3')
