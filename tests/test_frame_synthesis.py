"""The time-only frame-synthesis upsampler: LR frames kept exactly, in-between frames from warped
candidates, the untrained network is their time-weighted mean, and its learned mix and residual
train."""
import numpy as np
import pytest
import torch

from mmagic_cstvr.archs import BlindResampler, CSTVRResampler
from mmagic_cstvr.archs.frame_synthesis import FrameSynthesisNet
from mmagic_cstvr.archs.motion import FLOW_VIEWS, dis_flow, dis_flow_view, grey_uint8, intermediate_flows
from test_lr_grid import moving_texture

TINY = dict(channels=8, blocks=1, unshuffle=2)


def uniform_flow(dx: float, size) -> torch.Tensor:
    flow = torch.zeros(1, 2, *size)
    flow[:, 0] = dx
    return flow


def test_intermediate_flows_of_a_uniform_motion_are_the_scaled_flow():
    forward, backward = uniform_flow(6.0, (4, 5)), uniform_flow(-6.0, (4, 5))
    for w in (0.25, 0.5, 0.8):
        to_a, to_b = intermediate_flows(forward, backward, w)
        assert torch.allclose(to_a, -w * forward)
        assert torch.allclose(to_b, (1 - w) * forward)


def test_intermediate_flows_average_both_directions_errors():
    forward, backward = uniform_flow(6.0, (4, 5)), uniform_flow(-4.0, (4, 5))
    to_a, _ = intermediate_flows(forward, backward, 0.5)
    assert torch.allclose(to_a, uniform_flow(-2.5, (4, 5)))  # -(6 + 4) / 4


def test_candidates_and_untrained_output_rebuild_the_middle_frame_of_a_translation():
    video = moving_texture(3, speed=(0, 2))  # content moves 2 px left per frame
    a, mid, b = video[:, :, 0], video[:, :, 1], video[:, :, 2]
    forward, backward = uniform_flow(-4.0, a.shape[-2:]), uniform_flow(4.0, a.shape[-2:])
    net = FrameSynthesisNet(**TINY)
    inner = (slice(None), slice(None), slice(2, -2), slice(4, -4))
    cand = net.candidates(a, b, [(forward, backward)], 0.5)
    assert cand.shape == (1, 4, 3, *a.shape[-2:])
    for k in range(4):
        assert torch.allclose(cand[:, k][inner], mid[inner], atol=1e-5)
    out = net.synthesise(a, b, [(forward, backward)], 0.5)
    assert torch.allclose(out, (cand * 0.25).sum(1), atol=1e-6)


def test_untrained_mix_is_weighted_by_time():
    a, b = torch.zeros(1, 3, 8, 8), torch.ones(1, 3, 8, 8)
    zero = torch.zeros(1, 2, 8, 8)
    net = FrameSynthesisNet(**TINY)
    assert torch.allclose(net.synthesise(a, b, [(zero, zero)], 0.25), torch.full_like(a, 0.25), atol=1e-6)


def test_lr_frames_come_back_exactly_and_in_between_frames_beat_the_blend():
    video = moving_texture(5, speed=(0, 3))
    lr = video[:, :, ::2]
    out = FrameSynthesisNet(**TINY)(lr, lr.shape[-2:], [0, 0.5, 1, 1.5, 2], 0.5)
    assert out.shape == video.shape
    for k in (0, 2, 4):
        assert torch.equal(out[:, :, k], video[:, :, k])
    inner = (slice(None), slice(None), slice(4, -4), slice(8, -8))
    for k in (1, 3):
        blend = 0.5 * (video[:, :, k - 1] + video[:, :, k + 1])
        err_net = (out[:, :, k] - video[:, :, k])[inner].abs().mean()
        err_blend = (blend - video[:, :, k])[inner].abs().mean()
        assert err_net < 0.25 * err_blend


def test_the_mix_and_residual_train():
    video = moving_texture(3, speed=(0, 3), seed=1)
    lr = video[:, :, ::2]
    net = FrameSynthesisNet(**TINY)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    loss = lambda: ((net(lr, lr.shape[-2:], [0, 0.5, 1], 0.5) - video) ** 2).mean()  # noqa: E731
    before = loss().item()
    for _ in range(5):
        opt.zero_grad()
        loss().backward()
        assert net.head.weight.grad.abs().sum() > 0
        opt.step()
    assert net.head.weight.abs().sum() > 0
    assert loss().item() < before


def test_fine_dis_preset_measures_a_translation():
    video = moving_texture(2, speed=(0, 3))
    grey = grey_uint8(video[:, :, 0]), grey_uint8(video[:, :, 1])
    flow = dis_flow(grey[0][0], grey[1][0], 'fine')
    assert abs(float(np.median(flow[8:-8, 8:-8, 0])) + 3) < 0.3


def test_frame_synthesis_resamplers_train_end_to_end_at_2x1():
    video = moving_texture(5, speed=(0, 2))
    blind = BlindResampler(up=TINY, design='frame-synthesis', default_factors=(2, 1))
    out = blind(video)
    assert out['output'].shape == video.shape
    steg = CSTVRResampler(down=dict(channels=8, frame_blocks=1, blocks=1, unshuffle=4, max_scale=1),
                          imsm=dict(cells=1, growth=4), up=TINY, design='frame-synthesis',
                          default_factors=(2, 1))
    out = steg(video)
    assert out['stego'].shape == (1, 3, 3, *video.shape[-2:])
    ((out['output'] - video) ** 2).mean().backward()
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in steg.down_net.parameters())


def test_spatial_factors_and_bad_settings_are_refused():
    lr = torch.rand(1, 3, 2, 16, 16)
    with pytest.raises(ValueError, match='time only'):
        FrameSynthesisNet(**TINY)(lr, (32, 32), [0, 0.5, 1], 0.5)
    with pytest.raises(ValueError, match='DIS preset'):
        FrameSynthesisNet(flow_ensemble=['slowest'])
    with pytest.raises(ValueError, match='flow view'):
        FrameSynthesisNet(flow_ensemble=['fine:rotate'])
    with pytest.raises(ValueError, match='at least one'):
        FrameSynthesisNet(flow_ensemble=[])
    with pytest.raises(ValueError, match='warp_mode'):
        FrameSynthesisNet(warp_mode='nearest')


def test_without_a_residual_the_output_is_a_convex_mix_of_the_candidates():
    a, b = torch.rand(1, 3, 8, 8), torch.rand(1, 3, 8, 8)
    zero = torch.zeros(1, 2, 8, 8)
    net = FrameSynthesisNet(**TINY, residual=False)
    assert net.head.out_channels == 4 * 4
    torch.nn.init.normal_(net.head.weight, std=1.0)
    out = net.synthesise(a, b, [(zero, zero)], 0.5)
    lo, hi = torch.minimum(a, b), torch.maximum(a, b)
    assert bool(((out >= lo - 1e-6) & (out <= hi + 1e-6)).all())
    assert not torch.allclose(out, 0.5 * (a + b), atol=1e-3)


@pytest.mark.parametrize('view', FLOW_VIEWS)
def test_every_flow_view_measures_the_same_motion_in_the_original_orientation(view):
    video = moving_texture(2, speed=(1, 3))
    a, b = grey_uint8(video[:, :, 0])[0], grey_uint8(video[:, :, 1])[0]
    flow = dis_flow_view(a, b, 'fine', view)
    assert flow.shape == (*a.shape, 2)
    assert abs(float(np.median(flow[8:-8, 8:-8, 0])) + 3) < 0.3
    assert abs(float(np.median(flow[8:-8, 8:-8, 1])) + 1) < 0.3


def test_an_ensemble_averages_the_candidates_of_each_estimate():
    a, b = torch.rand(1, 3, 8, 8), torch.rand(1, 3, 8, 8)
    one, two = (uniform_flow(1.0, (8, 8)), uniform_flow(-1.0, (8, 8))), \
        (uniform_flow(2.0, (8, 8)), uniform_flow(-2.0, (8, 8)))
    net = FrameSynthesisNet(**TINY)
    both = net.candidates(a, b, [one, two], 0.5)
    assert torch.allclose(both, 0.5 * (net.candidates(a, b, [one], 0.5)
                                       + net.candidates(a, b, [two], 0.5)))
    video = moving_texture(3, speed=(0, 2))
    lr = video[:, :, ::2]
    out = FrameSynthesisNet(**TINY, flow_ensemble=['fine', 'fine:flip', 'medium:transpose'])(
        lr, lr.shape[-2:], [0, 0.5, 1], 0.5)
    inner = (slice(None), slice(None), slice(4, -4), slice(8, -8))
    assert (out[:, :, 1] - video[:, :, 1])[inner].abs().mean() < 0.01
