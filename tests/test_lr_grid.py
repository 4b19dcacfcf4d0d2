"""Version-3 (LR-grid) resamplers: the motion-compensated base, the untrained network equals the
classical cascade it starts from, shapes for many factors, gradients through the 8-bit channel."""
from fractions import Fraction

import numpy as np
import pytest
import torch

from mmagic_cstvr.archs import BlindResampler, CSTVRResampler
from mmagic_cstvr.archs.classical import blend_frames, reference_lr, resize_frames
from mmagic_cstvr.archs.motion import (MotionPlan, backward_warp, dis_flow, grey_uint8,
                                       occlusion_aware_blend)
from mmagic_cstvr.structures.padding import pad_to_multiple
from mmagic_cstvr.structures.timeline import TimeMap, plan_windows

TINY_V3 = dict(design='lr-grid', down=dict(channels=8, frame_blocks=1, blocks=1), imsm=dict(cells=1, growth=4),
               up=dict(channels=8, frame_blocks=1, blocks=1))


def moving_texture(n: int, size=(48, 64), speed=(0.0, 3.0), seed=0) -> torch.Tensor:
    """(1, 3, n, H, W): a smooth random texture translating by ``speed`` (dy, dx) pixels a frame."""
    rng = np.random.default_rng(seed)
    big = torch.from_numpy(rng.random((1, 3, size[0] // 4 + 8, size[1] // 4 + 16))).float()
    big = torch.nn.functional.interpolate(big, scale_factor=4, mode='bicubic', align_corners=False)
    big = big.clamp(0, 1)
    frames = [big[..., int(round(k * speed[0])):int(round(k * speed[0])) + size[0],
                  int(round(k * speed[1])):int(round(k * speed[1])) + size[1]] for k in range(n)]
    return torch.stack(frames, 2)


def test_backward_warp_moves_by_the_flow_times_t():
    video = moving_texture(2, speed=(0, 4))
    a, b = video[:, :, 0], video[:, :, 1]
    flow = torch.zeros(1, 2, *a.shape[-2:])
    flow[:, 0] = -4.0  # the content of a appears 4 pixels left in b
    warped = backward_warp(a, flow, 1.0)
    inner = (slice(None), slice(None), slice(2, -2), slice(2, -10))
    assert torch.allclose(warped[inner], b[inner], atol=1e-5)
    assert torch.allclose(backward_warp(a, flow, 0.0), a, atol=1e-6)


def test_dis_flow_measures_a_translation():
    video = moving_texture(2, speed=(0, 3))
    grey = grey_uint8(video[:, :, 0]), grey_uint8(video[:, :, 1])
    flow = dis_flow(grey[0][0], grey[1][0])
    assert abs(float(np.median(flow[8:-8, 8:-8, 0])) + 3) < 0.3
    assert abs(float(np.median(flow[8:-8, 8:-8, 1]))) < 0.3


def test_occlusion_fallback_takes_the_nearer_warp_where_the_warps_disagree():
    a, b = torch.zeros(1, 3, 4, 4), torch.zeros(1, 3, 4, 4)
    b[..., :2] = 1.0  # left half disagrees completely
    out = occlusion_aware_blend(a, b, 0.25)
    assert torch.equal(out[..., :2], a[..., :2])  # nearer frame is a (w <= 1/2)
    assert torch.equal(out[..., 2:], 0.75 * a[..., 2:] + 0.25 * b[..., 2:])
    assert torch.equal(occlusion_aware_blend(a, b, 0.75)[..., :2], b[..., :2])


def test_without_a_tolerance_the_blend_averages_both_warps_everywhere():
    a, b = torch.zeros(1, 3, 4, 4), torch.zeros(1, 3, 4, 4)
    b[..., :2] = 1.0
    assert torch.equal(occlusion_aware_blend(a, b, 0.25, tolerance=None), 0.75 * a + 0.25 * b)


def test_motion_plan_without_a_tolerance_is_the_dis_flow_baseline():
    """The plain-blend base predicts what FlowResampler (the DIS baseline) predicts at 1x space."""
    from mmagic_cstvr.archs.baselines import FlowResampler
    video = moving_texture(3, speed=(1, 3))
    kept = (video[:, :, ::2] * 255).round() / 255
    base = MotionPlan(kept, [0.0, 0.5, 1.0], occlusion_tolerance=None).predict(kept)[0]
    flow = FlowResampler().upsample(kept, kept.shape[-2:], [0.0, 0.5, 1.0], 2.0)[:, :, 1]
    gap = (base[1].clamp(0, 1) - flow).abs()  # the two grey conversions round a little apart
    assert float(gap.mean()) < 1e-3 and float(gap.max()) < 1e-2
    error = [float(((x - video[:, :, 1]) ** 2).mean()) for x in (base[1], flow)]
    assert error[0] == pytest.approx(error[1], rel=0.05)


def test_motion_plan_predicts_in_between_frames_better_than_a_blend():
    video = moving_texture(3, speed=(1, 3))
    kept = video[:, :, ::2]
    plan = MotionPlan(kept, [0.0, 0.5, 1.0])
    base = plan.predict(kept)[0]
    truth = video[:, :, 1]
    inner = (slice(None), slice(None), slice(4, -4), slice(4, -4))
    mc = ((base[1] - truth)[inner] ** 2).mean()
    blend = ((blend_frames(kept, [0.5])[:, :, 0] - truth)[inner] ** 2).mean()
    assert mc < blend / 10
    assert torch.equal(base[0], kept[:, :, 0]) and torch.equal(base[2], kept[:, :, 1])


@torch.no_grad()
def test_untrained_v3_steg_is_the_motion_compensated_cascade():
    torch.manual_seed(0)
    model = CSTVRResampler(**TINY_V3).eval()
    hr = moving_texture(5, size=(32, 48), speed=(0, 4))
    out = model(hr, 2, 4)
    assert torch.allclose(out['latent'], out['reference'], atol=1e-6)
    lr = out['stego']
    assert torch.equal(lr, (out['reference'] * 255).round() / 255)
    positions = [i / 2 for i in range(5)]
    base = MotionPlan(lr, positions).predict(lr)[0]
    expected = resize_frames(torch.stack(base, 2), (32, 48))
    assert torch.allclose(out['output'], expected, atol=1e-5)


@pytest.mark.parametrize('src_fps,dst_fps,scale', [
    (60, 30, 1), (60, 30, 4), (30, 24, 1), (30, 24, 2.5), (Fraction(60000, 1001), Fraction(24000, 1001), 3),
    (120, 30, 2), (30, 30, 1.5)])
@torch.no_grad()
def test_v3_shapes_for_a_grid_of_factors(src_fps, dst_fps, scale):
    torch.manual_seed(0)
    model = CSTVRResampler(**TINY_V3).eval()
    for p in model.parameters():  # non-zero output layers: every branch contributes
        p.add_(0.01 * torch.randn_like(p))
    n_hr, hr_size = 9, (30, 40)
    lr_size = (round(hr_size[0] / scale), round(hr_size[1] / scale))
    down = TimeMap(src_fps, dst_fps)
    hr = torch.rand(1, 3, n_hr, *hr_size)
    lr = []
    for w in plan_windows(down, n_hr, down.count(n_hr), 3):
        out = model.downsample(hr[:, :, w.src_start:w.src_stop], lr_size, w.positions, float(down.step))
        assert out.shape == (1, 3, w.dst_stop - w.dst_start, *lr_size)
        assert torch.equal(out, (out * 255).round() / 255)
        lr.append(out)
    lr = torch.cat(lr, 2)
    up = down.inverse()
    for w in plan_windows(up, lr.shape[2], n_hr, 4):
        out = model.upsample(lr[:, :, w.src_start:w.src_stop], hr_size, w.positions, float(up.step))
        assert out.shape == (1, 3, w.dst_stop - w.dst_start, *hr_size)
        assert torch.isfinite(out).all()


def test_v3_gradients_reach_every_steg_layer_through_the_quantiser():
    torch.manual_seed(0)
    model = CSTVRResampler(**TINY_V3)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.01 * torch.randn_like(p))
    hr = moving_texture(5, size=(64, 64), speed=(1, 2))
    out = model(hr, 2, 4)
    ((out['output'] - hr) ** 2).mean().backward()
    used = {'down_net.stems.4', 'down_net.mix', 'down_net.out', 'imsm', 'up_net.stem',
            'up_net.fuse', 'up_net.heads.4'}
    for name, p in model.named_parameters():
        if any(name.startswith(u) for u in used):
            assert p.grad is not None and p.grad.abs().sum() > 0, name


@torch.no_grad()
def test_v3_blind_upsamples_ordinary_lr():
    torch.manual_seed(0)
    model = BlindResampler(up=TINY_V3['up'], design='lr-grid').eval()
    hr = moving_texture(5, size=(32, 48))
    out = model(hr, 2, 4)
    assert torch.equal(out['stego'], (reference_lr(hr, [0, 2, 4], (8, 12)) * 255).round() / 255)
    assert out['output'].shape == hr.shape


@torch.no_grad()
def test_motion_after_upscaling_warps_the_upscaled_lr_frames():
    """motion='hr': LR frames come out as in the 'lr' design with the same weights; an in-between
    frame is the blend of both upscaled neighbours warped at the target size (padding cropped
    off the flow), plus its own residual, which starts at zero."""
    from mmagic_cstvr.archs import LRUpNet
    torch.manual_seed(0)
    args = dict(channels=8, frame_blocks=1, blocks=1, unshuffle=4, occlusion_tolerance=None)
    on_lr, on_hr = LRUpNet(**args).eval(), LRUpNet(**args, motion='hr').eval()
    for p in on_lr.parameters():
        p.add_(0.01 * torch.randn_like(p))
    missing = on_hr.load_state_dict(on_lr.state_dict(), strict=False).missing_keys
    assert missing and all(k.startswith('between_heads.') for k in missing)
    lr = moving_texture(3, size=(18, 26), speed=(1, 2))  # padded to 20x28 for the unshuffle
    positions, size = [0, 0.5, 1, 1.5, 2], (54, 78)
    out = on_hr(lr, size, positions, 0.5)
    upscaled = on_lr(lr, size, [0, 1, 2], 1.0)
    assert torch.allclose(out[:, :, ::2], upscaled, atol=1e-6)
    plan = MotionPlan(pad_to_multiple(lr, 4), positions, occlusion_tolerance=None)
    a, b = plan.warp_pair(upscaled, 1, region=(18, 26))
    assert torch.allclose(out[:, :, 1], (a + b) / 2, atol=1e-5)
    with torch.no_grad():
        on_hr.between_heads['3'].bias.fill_(0.1)
    moved = on_hr(lr, size, positions, 0.5)
    assert torch.allclose(moved[:, :, ::2], out[:, :, ::2])
    assert float((moved[:, :, 1::2] - out[:, :, 1::2]).abs().mean()) > 0.05


def test_motion_after_upscaling_trains_the_in_between_heads():
    torch.manual_seed(0)
    model = BlindResampler(up=dict(TINY_V3['up'], motion='hr'), design='lr-grid')
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.01 * torch.randn_like(p))
    hr = moving_texture(5, size=(32, 48), speed=(1, 2))
    ((model(hr, 2, 4)['output'] - hr) ** 2).mean().backward()
    for name in ('up_net.heads.4.weight', 'up_net.between_heads.4.weight', 'up_net.stem.0.weight'):
        assert model.get_parameter(name).grad.abs().sum() > 0, name


@torch.no_grad()
def test_neighbour_fusion_starts_at_zero_and_brings_in_the_neighbouring_frames():
    """neighbours=True: weights trained without the branch give the same output with it (it starts
    at zero); once trained, a revealed LR frame's output depends on its neighbours, which it does
    not without the branch."""
    from mmagic_cstvr.archs import LRUpNet
    torch.manual_seed(0)
    args = dict(channels=8, frame_blocks=1, blocks=1, occlusion_tolerance=None, motion='hr')
    alone, fused = LRUpNet(**args).eval(), LRUpNet(**args, neighbours=True).eval()
    for p in alone.parameters():
        p.add_(0.01 * torch.randn_like(p))
    missing = fused.load_state_dict(alone.state_dict(), strict=False).missing_keys
    assert missing and all(k.startswith('neighbour_fuse.') for k in missing)
    lr = moving_texture(3, size=(20, 28), speed=(1, 2))
    positions, size = [0, 0.5, 1, 1.5, 2], (80, 112)
    assert torch.allclose(fused(lr, size, positions, 0.5), alone(lr, size, positions, 0.5), atol=1e-6)
    assert fused(lr[:, :, :1], size, [0], 1.0).shape == (1, 3, 1, *size)
    for p in fused.neighbour_fuse.parameters():
        p.add_(0.05 * torch.randn_like(p))
    changed = lr.clone()
    changed[:, :, 0] = 1 - changed[:, :, 0]
    middle = {name: [net(x, size, [1], 1.0) for x in (lr, changed)]
              for name, net in (('alone', alone), ('fused', fused))}
    assert torch.equal(*middle['alone'])
    assert float((middle['fused'][0] - middle['fused'][1]).abs().mean()) > 1e-5


def test_windows_of_a_neighbour_fusing_upsampler_give_the_whole_clip_pixels():
    """Each upsample window reads one LR frame on each side (the upsampler's context), so the
    frames at its edges see both neighbours: windowed output equals one window over the whole
    clip."""
    from mmagic_cstvr.engine.clip_resampler import ClipResampler
    torch.manual_seed(0)
    model = BlindResampler(up=dict(TINY_V3['up'], motion='hr', neighbours=True),
                           design='lr-grid').eval()
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.05 * torch.randn_like(p))
    assert model.up_net.context == 1
    lr = moving_texture(9, size=(16, 24), speed=(0.5, 1)).squeeze(0).permute(1, 2, 3, 0).numpy()
    windowed = ClipResampler(model, 'up', 12, 24, 9, (32, 48), src_size=(16, 24))
    whole = ClipResampler(model, 'up', 12, 24, 9, (32, 48), src_size=(16, 24), window=100)
    assert len(windowed.windows) > 2 and len(whole.windows) == 1
    assert all(w.positions[0] >= 1 for w in windowed.windows[1:])  # a frame before its first
    parts = [windowed.run([w], [lr[w.src_start:w.src_stop]])[0] for w in windowed.windows]
    one = whole.run(whole.windows, [lr])[0]
    assert np.abs(np.concatenate(parts) - one).max() < 1e-5


def test_frames_read_are_the_frames_a_target_takes_weight_from():
    from mmagic_cstvr.archs.classical import frames_read
    assert frames_read([1.0, 1.5, 2.0], 5) == [1, 2]
    assert frames_read([0.25], 3) == [0, 1]
    assert frames_read([3.0, 5.0], 4) == [3]  # on the last frame and past it


def test_motion_plan_takes_flows_already_measured():
    kept = moving_texture(3, speed=(1, 3))
    given = (torch.zeros(1, 2, 48, 64), torch.zeros(1, 2, 48, 64))
    plan = MotionPlan(kept, [0.5, 1.5], measured={(0, 1): given})
    assert plan.flows[(0, 1)] is given
    assert float(plan.flows[(1, 2)][0][:, 0].mean()) == pytest.approx(-3, abs=0.5)  # measured


def test_unknown_design_and_taps_are_refused():
    with pytest.raises(ValueError, match='design'):
        CSTVRResampler(**dict(TINY_V3, design='resnet'))
    with pytest.raises(ValueError, match='taps'):
        CSTVRResampler(**dict(TINY_V3, down=dict(TINY_V3['down'], taps=2)))
    with pytest.raises(ValueError, match='flow_preset'):
        BlindResampler(up=dict(TINY_V3['up'], flow_preset='slowest'), design='lr-grid')
    with pytest.raises(ValueError, match='motion'):
        BlindResampler(up=dict(TINY_V3['up'], motion='both'), design='lr-grid')
