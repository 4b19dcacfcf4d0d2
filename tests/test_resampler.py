"""The resampler networks: shapes for many factors, gradients, padding, errors, parameter counts."""
from fractions import Fraction
from pathlib import Path

import pytest
import torch
from mmengine import Config

from mmagic_cstvr.archs import BlindResampler, CSTVRResampler
from mmagic_cstvr.structures.timeline import TimeMap, plan_windows

CONFIGS = Path(__file__).resolve().parents[1] / 'configs'


def _generator_cfg(name):
    cfg = Config.fromfile(str(CONFIGS / f'{name}.py'), import_custom_modules=False)
    cfg = cfg.model.generator.to_dict()
    return cfg


def _build(name):
    cfg = _generator_cfg(name)
    cls = {'CSTVRResampler': CSTVRResampler, 'BlindResampler': BlindResampler}[cfg.pop('type')]
    return cls(**cfg)


@pytest.fixture(scope='module')
def tiny():
    torch.manual_seed(0)
    return _build('cstvr_tiny').eval()


@pytest.mark.parametrize('name,expected', [('cstvr_paper-2x1', 11.7e6), ('cstvr_paper-2x4', 17.4e6)])
def test_paper_configs_match_published_parameter_counts(name, expected):
    n = sum(p.numel() for p in _build(name).parameters())
    assert abs(n - expected) / expected < 0.03, n


@pytest.mark.parametrize('name,expected', [('cstvr_tiny', 0.39e6), ('cstvr-blind_tiny', 0.21e6),
                                           ('cstvr-steg-v3_lrgrid48_sam2-2x4', 1.0e6),
                                           ('cstvr-blind-v3_lrgrid48_sam2-2x4', 0.34e6)])
def test_size_configs_parameter_counts(name, expected):
    n = sum(p.numel() for p in _build(name).parameters())
    assert abs(n - expected) / expected < 0.1, n


@pytest.mark.parametrize('src_fps,dst_fps,scale', [
    (60, 30, 1), (60, 30, 4), (30, 24, 1), (30, 24, 2), (Fraction(60000, 1001), Fraction(24000, 1001), 2.5),
    (120, 30, 3), (30, 30, 1.5)])
def test_downsample_then_upsample_shapes_for_a_grid_of_factors(tiny, src_fps, dst_fps, scale):
    """Whole clips go through planned windows: frame counts, sizes and window tiling."""
    n_hr, hr_size = 11, (24, 40)
    lr_size = (round(hr_size[0] / scale), round(hr_size[1] / scale))
    down = TimeMap(src_fps, dst_fps)
    n_lr = down.count(n_hr)
    hr = torch.rand(1, 3, n_hr, *hr_size)
    lr_frames = []
    with torch.no_grad():
        for w in plan_windows(down, n_hr, n_lr, 4):
            out = tiny.downsample(hr[:, :, w.src_start:w.src_stop], lr_size, w.positions, float(down.step))
            assert out.shape == (1, 3, w.dst_stop - w.dst_start, *lr_size)
            lr_frames.append(out)
        lr = torch.cat(lr_frames, 2)
        assert lr.shape[2] == n_lr
        assert torch.allclose(lr * 255, (lr * 255).round(), atol=1e-3)
        up = down.inverse()
        hr_frames = [tiny.upsample(lr[:, :, w.src_start:w.src_stop], hr_size, w.positions, float(up.step))
                     for w in plan_windows(up, n_lr, n_hr, 7)]
    assert torch.cat(hr_frames, 2).shape == (1, 3, n_hr, *hr_size)


def test_tiny_forward_backward_reaches_every_parameter():
    torch.manual_seed(0)
    model = _build('cstvr_tiny')
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    hr = torch.rand(2, 3, 5, 32, 32)
    for step in range(2):  # after one step the zero-initialised layers pass gradients too
        opt.zero_grad()
        out = model(hr, 2, 4)
        loss = ((out['output'] - hr) ** 2).mean() + (out['stego'] - out['reference']).abs().mean() \
            + (out['revealed'] - out['latent']).abs().mean()
        loss.backward()
        opt.step()
    missing = [n for n, p in model.named_parameters() if p.grad is None or not p.grad.abs().sum() > 0]
    assert not missing
    assert out['output'].shape == hr.shape and out['stego'].shape == (2, 3, 3, 8, 8)


def test_blind_model_trains_and_upsamples():
    model = _build('cstvr-blind_tiny')
    hr = torch.rand(1, 3, 7, 32, 32)
    out = model(hr, 2, 4)
    assert out['output'].shape == hr.shape
    out['output'].mean().backward()
    assert all(p.grad is not None for p in model.parameters())


@pytest.mark.parametrize('hr_size,scale', [((30, 42), 2), ((37, 51), 3), ((25, 25), 2.5)])
def test_sizes_not_divisible_by_model_multiples_are_padded_and_cropped(tiny, hr_size, scale):
    hr = torch.rand(1, 3, 5, *hr_size)
    with torch.no_grad():
        out = tiny(hr, 2, scale)
    lr_size = tuple(max(1, int(s / scale + 0.5)) for s in hr_size)
    assert out['stego'].shape[-2:] == lr_size
    assert out['output'].shape == hr.shape
    assert torch.isfinite(out['output']).all()


def test_untrained_steg_model_is_the_naive_cascade():
    """Zero-initialised residual branches: untrained, Down gives the reference LR (frame dropping +
    antialiased bicubic), the IMSM passes it through and Up is the naive upsample of it."""
    from mmagic_cstvr.archs import NaiveResampler
    model = _build('cstvr_tiny')
    hr = torch.rand(1, 3, 5, 16, 16)
    with torch.no_grad():
        ours, naive = model(hr, 2, 2), NaiveResampler()(hr, 2, 2)
    assert torch.allclose(ours['latent'], ours['reference'], atol=1e-6)
    assert torch.allclose(ours['stego'], naive['stego'], atol=1e-6)
    assert torch.allclose(ours['output'].clamp(0, 1), naive['output'], atol=1e-5)


@pytest.mark.parametrize('factor,scale,match', [
    (0, 2, 'temporal factor'), (-2, 2, 'temporal factor'), (float('nan'), 2, 'temporal factor'),
    (2, 0, 'spatial factor'), (2, float('inf'), 'spatial factor'), (1e6, 2, 'temporal factor'),
    (0.5, 2, 'must be >= 1')])
def test_invalid_factors_raise_clear_errors(tiny, factor, scale, match):
    with pytest.raises(ValueError, match=match):
        tiny(torch.rand(1, 3, 5, 16, 16), factor, scale)


def test_invalid_shapes_raise_clear_errors(tiny):
    with pytest.raises(ValueError, match=r'RGB video tensor \(B, 3, T, H, W\)'):
        tiny(torch.rand(1, 1, 5, 16, 16), 2, 2)
    with pytest.raises(ValueError, match='float tensor'):
        tiny(torch.zeros(1, 3, 5, 16, 16, dtype=torch.uint8), 2, 2)
    with pytest.raises(ValueError, match='outside the 3 source frames'):
        tiny.upsample(torch.rand(1, 3, 3, 8, 8), (16, 16), [0.0, 7.0], 0.5)
    with pytest.raises(ValueError, match='no target frames'):
        tiny.downsample(torch.rand(1, 3, 3, 8, 8), (4, 4), [], 2.0)
