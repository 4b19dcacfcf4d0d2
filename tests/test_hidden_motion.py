"""The steg network that hides each dropped frame's motion in the transmitted frame before it:
slot conventions, the round trip at whole and fractional factors, over a network that resamples
space, windows that read ahead, routing inside a specialist set, a weights file without tensors,
and refusals."""
import math
import subprocess
import sys
import warnings
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mmagic_cstvr.archs import HiddenMotionResampler, SpecialistSet
from mmagic_cstvr.archs.baselines import NaiveResampler
from mmagic_cstvr.archs.classical import naive_upsample, reference_lr
from mmagic_cstvr.archs.hidden_motion import (HiddenMotionOverSpace, blend_warps, dense_field,
                                              field_at, fit_motion, flow_motion, rebuild,
                                              scattered_pixels, slot_count, slot_of)
from mmagic_cstvr.engine.clip_resampler import ClipResampler
from mmagic_cstvr.engine.weights import build_generator, load_generator, save_weights
from mmagic_cstvr.errors import PayloadLostWarning
from mmagic_cstvr.media.ffmpeg_pipes import keeps_payload
from mmagic_cstvr.media.lossy_codec import LOSSLESS, decode, encode
from mmagic_cstvr.media.probe import require_ffmpeg
from mmagic_cstvr.structures.colour import quantize
from mmagic_cstvr.structures.timeline import TimeMap, training_positions
from test_lr_grid import moving_texture
from test_specialists import V3, perturbed

FAST = dict(fit_iterations=10)


def psnr(x, y):
    return float(10 * torch.log10(1 / ((x - y) ** 2).mean()))


@pytest.mark.parametrize('factor, slots', [(1, 0), (2, 1), (3, 2), (4, 3), (1.25, 2), (2.5, 3),
                                           (5, 4), (8, 7), (3.5, 4)])
def test_each_frame_between_two_lr_frames_gets_a_slot_of_its_own(factor, slots):
    assert slot_count(factor) == slots
    hr_per_lr = TimeMap.from_factor(1 / factor)  # LR -> HR positions, in LR units
    offsets = {}
    for j in range(1, 200):
        p = float(hr_per_lr.position(j))
        lo = math.floor(p + 1e-9)
        if p - lo > 1e-9:
            offsets.setdefault(lo, []).append(slot_of(p - lo, factor))
    for used in offsets.values():
        assert len(set(used)) == len(used) and all(0 <= s < slots for s in used)


def test_dense_field_interpolates_between_block_centres_and_repeats_past_them():
    field = torch.zeros(1, 1, 2, 3)
    field[..., 1, 2] = 8.0
    dense = dense_field(field, (21, 27))
    assert dense.shape == (1, 1, 21, 27)
    assert dense[0, 0, 12, 20] == 8.0 and dense[0, 0, 3, 3] == 0.0  # the blocks' centres
    assert torch.equal(dense[..., 16:, :], dense[..., 15:16, :].expand(-1, -1, 5, -1))
    assert torch.equal(dense[..., 24:], dense[..., 23:24].expand(-1, -1, -1, 3))


@pytest.mark.parametrize('size', [(48, 64), (21, 27), (8, 8)])
def test_the_block_field_is_bilinear_upscaling_of_the_blocks_at_every_pixel_and_any_pixels(size):
    gen = torch.Generator().manual_seed(1)
    field = torch.randn(2, 5, size[0] // 8, size[1] // 8, generator=gen)
    h, w = field.shape[-2:]
    ys, xs = scattered_pixels(size, 3, torch.Generator().manual_seed(2))
    for mode, kw in (('bilinear', dict(align_corners=False)), ('nearest', {})):
        upscaled = F.interpolate(field, size=(8 * h, 8 * w), mode=mode, **kw)
        expected = F.pad(upscaled, (0, size[1] - 8 * w, 0, size[0] - 8 * h), mode='replicate')
        assert torch.allclose(dense_field(field, size, mode), expected, atol=1e-5)
        at = expected[..., ys[0].long(), xs[0].long()][:, :, None]
        assert torch.allclose(field_at(field, ys, xs, mode), at, atol=1e-5)


def test_scattered_pixels_take_one_pixel_of_every_cell():
    ys, xs = scattered_pixels((21, 27), 2, torch.Generator().manual_seed(0))
    assert ys.shape == xs.shape == (1, 11 * 14)
    cells = {(int(y) // 2, int(x) // 2) for y, x in zip(ys[0], xs[0])}
    assert len(cells) == 11 * 14 and ys.max() <= 20 and xs.max() <= 26
    again = scattered_pixels((21, 27), 2, torch.Generator().manual_seed(0))
    other = scattered_pixels((21, 27), 2, torch.Generator().manual_seed(1))
    assert torch.equal(again[0], ys) and not torch.equal(other[0], ys)


def test_blend_at_scattered_pixels_is_the_whole_blend_there():
    gen = torch.Generator().manual_seed(2)
    a, b = torch.rand(1, 3, 24, 32, generator=gen), torch.rand(1, 3, 24, 32, generator=gen)
    dense = 3 * torch.randn(1, 5, 24, 32, generator=gen)
    ys, xs = scattered_pixels((24, 32), 2, gen)
    picked = dense[..., ys[0].long(), xs[0].long()][:, :, None]
    whole = blend_warps(a, b, dense)[..., ys[0].long(), xs[0].long()][:, :, None]
    assert torch.allclose(blend_warps(a, b, picked, ys, xs), whole, atol=1e-6)


def test_a_fit_on_every_other_pixel_rebuilds_the_frame_as_well():
    hr = moving_texture(3, size=(48, 64), speed=(1.5, 2.5))
    a, m, b = hr[:, :, 0], hr[:, :, 1], hr[:, :, 2]
    fit = lambda iterations, stride: psnr(rebuild(a, b, fit_motion(  # noqa: E731
        a, m, b, iterations, 1.0, 'fine', 128., 6., stride)), m)
    start, whole, strided = fit(0, 1), fit(20, 1), fit(20, 2)
    assert whole > start + 1 and strided > start + 1 and strided > whole - 0.5


def test_rebuild_without_motion_blends_by_the_weight():
    # A zero flow samples each pixel at its own place up to float32 rounding of the sampling grid
    # (about 1e-6 of a pixel), which moves a bicubic sample of noise by up to a few 1e-6.
    gen = torch.Generator().manual_seed(0)
    a, b = torch.rand(1, 3, 16, 24, generator=gen), torch.rand(1, 3, 16, 24, generator=gen)
    motion = torch.zeros(1, 5, 2, 3)
    assert torch.allclose(rebuild(a, b, motion), (a + b) / 2, atol=1e-5)
    motion[:, 4] = 6.0
    assert torch.allclose(rebuild(a, b, motion), torch.sigmoid(torch.tensor(6.0)) * a
                          + torch.sigmoid(torch.tensor(-6.0)) * b, atol=1e-5)


@pytest.mark.parametrize('factor', [2, 3, 1.25, 5])
def test_round_trip_keeps_lr_frames_and_rebuilds_the_dropped_ones(factor):
    hr = moving_texture(7, size=(48, 64), speed=(1.0, 2.0))
    net = HiddenMotionResampler(**FAST).eval()
    lr_pos, hr_pos = training_positions(7, factor)
    with torch.inference_mode():
        lr = net.downsample(hr, (48, 64), lr_pos, factor)
        out = net.upsample(lr, (48, 64), hr_pos, 1 / factor)
    assert torch.equal(lr, (lr * 255).round() / 255)
    ordinary = reference_lr(hr, lr_pos, (48, 64))
    assert psnr(lr, ordinary) > 38  # the transmitted frames are the frame-dropped clip
    blend = naive_upsample(ordinary, (48, 64), hr_pos)
    gains = []
    for i, p in enumerate(hr_pos):
        if p == int(p):
            assert psnr(out[:, :, i], hr[:, :, i]) > 38  # an LR frame as transmitted
        else:
            gains.append(psnr(out[:, :, i], hr[:, :, i]) - psnr(blend[:, :, i], hr[:, :, i]))
    assert min(gains) > 5 and sum(gains) / len(gains) > 8


def test_over_a_spatial_network_the_dropped_frames_are_its_upscaled_key_frames_moved():
    """At 2x/2x over the bicubic cascade: the LR frames are the cascade's with the motion
    written in, the key frames come back as the cascade's, the dropped frames as its upscaled
    key frames moved by the hidden motion, well above their blend and above DIS flow measured
    on them."""
    hr = moving_texture(5, size=(64, 96), speed=(1.0, 3.0))
    spatial = NaiveResampler()
    net = HiddenMotionResampler(**FAST).eval().over(spatial)
    with torch.inference_mode():
        lr = net.downsample(hr, (32, 48), [0, 2, 4], 2)
        out = net.upsample(lr, (64, 96), [0, 0.5, 1, 1.5, 2], 0.5)
        ordinary = spatial.downsample(hr[:, :, [0, 2, 4]], (32, 48), [0, 1, 2], 1)
        keys = spatial.upsample(lr, (64, 96), [0, 1, 2], 1)
    assert lr.shape == (1, 3, 3, 32, 48) and torch.equal(lr, (lr * 255).round() / 255)
    assert psnr(lr, ordinary) > 38
    assert torch.equal(out[:, :, [0, 2, 4]], keys)
    for i, j in ((1, 0), (3, 1)):
        a, b = keys[:, :, j], keys[:, :, j + 1]
        rebuilt, target = psnr(out[:, :, i], hr[:, :, i]), hr[:, :, i]
        assert rebuilt > psnr((a + b) / 2, target) + 5
        assert rebuilt > psnr(blend_warps(a, b, flow_motion(a, b, 0.5)), target) + 3
    motion, intact = net.motion.read_motion(lr[:, :, 0], 2, spatial)
    inner = motion[:, 0, :, 1:-1, 1:-1]
    assert intact.all()
    assert torch.allclose(inner[:, 0], torch.full_like(inner[:, 0], 1.5), atol=0.3)  # LR pixels
    assert torch.allclose(inner[:, 1], torch.full_like(inner[:, 1], 0.5), atol=0.3)


def test_over_a_spatial_network_motion_scales_to_any_target_size():
    hr = moving_texture(3, size=(64, 96), speed=(0.0, 4.0))
    net = HiddenMotionResampler(**FAST).eval().over(NaiveResampler())
    with torch.inference_mode():
        lr = net.downsample(hr, (32, 48), [0, 2], 2)
        out = net.upsample(lr, (96, 144), [0, 0.5, 1], 0.5)
    assert out.shape == (1, 3, 3, 96, 144)
    target = F.interpolate(hr[:, :, 1], size=(96, 144), mode='bicubic', align_corners=False)
    blend = (out[:, :, 0] + out[:, :, 2]) / 2
    assert psnr(out[:, :, 1], target.clamp(0, 1)) > psnr(blend, target.clamp(0, 1)) + 5


def test_a_set_serves_space_time_calls_with_its_time_network_over_its_spatial_ones():
    net = HiddenMotionResampler(**FAST)
    general, at_1x4 = perturbed(V3, 0), perturbed(V3, 1)
    model = SpecialistSet(general, {(1, 4): at_1x4, (None, None): net})
    assert model.pick(2, (64, 96), (64, 96)) is net
    over = model.pick(2, (64, 96), (32, 48))
    assert isinstance(over, HiddenMotionOverSpace) and over.motion is net \
        and over.spatial is general
    assert model.pick(1.25, (64, 96), (16, 24)).spatial is at_1x4
    assert model.pick(1, (64, 96), (32, 48)) is general
    assert model.pick(1, (64, 96), (16, 24)) is at_1x4
    assert model.pick(9, (64, 96), (32, 48)) is general
    ahead = ClipResampler(model, 'down', 30, 15, 24, (32, 48), src_size=(64, 96))
    assert [w.src_stop - w.src_start for w in ahead.windows][:2] == [11, 11]
    with pytest.raises(ValueError, match='reads whole frames'):
        ClipResampler(model, 'down', 30, 15, 24, (32, 48), src_size=(64, 96), tile=32)
    with pytest.raises(ValueError, match=r'an over\(\) method\); CSTVRResampler has none'):
        SpecialistSet(general, {(None, None): at_1x4})
    hr = moving_texture(5, size=(64, 96), speed=(0.5, 2.0))
    with torch.inference_mode():
        out = model(hr, 2, 2)
    assert out['stego'].shape == (1, 3, 3, 32, 48) and out['output'].shape == hr.shape


def test_compose_tool_puts_the_time_network_at_every_spatial_factor(tmp_path):
    root = Path(__file__).resolve().parents[1]
    cfg = dict(type='HiddenMotionResampler', fit_iterations=5)
    time_file = save_weights(build_generator(cfg), cfg, tmp_path / 'hm.safetensors')
    general_file = save_weights(perturbed(V3, 0), V3, tmp_path / 'general.safetensors')
    out = tmp_path / 'set.safetensors'
    subprocess.run([sys.executable, str(root / 'tools' / 'compose_specialists.py'), str(out),
                    '--general', str(general_file), '--specialist', f'*x*={time_file}'],
                   check=True, cwd=root, timeout=300)
    model = load_generator(out)
    assert model.factors == [(None, None)]
    assert isinstance(model.pick(2, (32, 48), (32, 48)), HiddenMotionResampler)
    assert model.pick(2, (32, 48), (16, 24)).spatial is model.general


def test_motion_read_back_is_the_motion_written():
    hr = moving_texture(3, size=(48, 64), speed=(0.0, 3.0))
    net = HiddenMotionResampler(**FAST).eval()
    lr = net.downsample(hr, (48, 64), [0, 2], 2)
    motion, intact = net.read_motion(lr[:, :, 0], 2)
    motion = motion[:, 0]
    assert motion.shape == (1, 5, 6, 8) and intact.shape == (1, 1, 6, 8) and intact.all()
    inner = motion[..., 1:-1, 1:-1]
    assert torch.allclose(inner[:, 0], torch.full_like(inner[:, 0], 3.0), atol=0.6)  # m -> a: +3 px
    assert torch.allclose(inner[:, 2], torch.full_like(inner[:, 2], -3.0), atol=0.6)  # m -> b


def test_motion_lost_in_a_lossy_channel_falls_back_to_dis_flow():
    hr = moving_texture(5, size=(48, 64), speed=(0.0, 2.0))
    net = HiddenMotionResampler(**FAST).eval()
    lr = net.downsample(hr, (48, 64), [0, 2, 4], 2)
    noisy = (lr * 255 + 1.5 * torch.randn(lr.shape, generator=torch.Generator().manual_seed(0)))
    noisy = noisy.round().clamp(0, 255) / 255
    assert not net.read_motion(noisy[:, :, 0], 2)[1].any()
    with pytest.warns(PayloadLostWarning):
        out = net.upsample(noisy, (48, 64), [0.5, 1.5], 0.5)
    blend = naive_upsample(noisy, (48, 64), [0.5, 1.5])
    for i, j in enumerate((1, 3)):
        assert psnr(out[:, :, i], hr[:, :, j]) > psnr(blend[:, :, i], hr[:, :, j]) + 3
    ordinary = reference_lr(hr, [0, 2, 4], (48, 64))
    assert not net.read_motion(ordinary[:, :, 0], 2)[1].any()  # a clip that carries nothing
    with pytest.warns(PayloadLostWarning, match='no readable hidden motion'):
        net.upsample(ordinary, (48, 64), [0.5], 0.5)


def test_told_not_to_hide_motion_it_sends_the_frame_dropped_clip_or_the_spatial_networks_lr():
    hr = moving_texture(5, size=(48, 64), speed=(0.0, 2.0))
    net = HiddenMotionResampler(**FAST).eval()
    plain = net.downsample(hr, (48, 64), [0, 2, 4], 2, hide_motion=False)
    assert torch.equal(plain, quantize(hr[:, :, [0, 2, 4]]))
    assert not net.read_motion(plain[:, :, 0], 2)[1].any()
    spatial = NaiveResampler()
    over = net.over(spatial).downsample(hr, (24, 32), [0, 2, 4], 2, hide_motion=False)
    assert torch.equal(over, quantize(spatial.downsample(hr[:, :, [0, 2, 4]], (24, 32),
                                                         [0, 1, 2], 1)))
    general = perturbed(V3, 0)
    set_ = SpecialistSet(general, {(None, None): net})
    engine = ClipResampler(set_, 'down', 30, 15, 5, (48, 64), src_size=(48, 64),
                           hide_motion=False)
    assert engine.hides_motion is False
    assert ClipResampler(set_, 'down', 30, 15, 5, (48, 64), src_size=(48, 64)).hides_motion
    assert ClipResampler(general, 'down', 30, 15, 5, (24, 32), src_size=(48, 64)).hides_motion \
        is None
    with torch.inference_mode():
        assert torch.equal(engine.network_call(hr, (48, 64), (0, 2, 4), 2), plain)


def upsample_warnings(net, lr, size, positions, step):
    """What ``net.upsample`` warns about the payload."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        out = net.upsample(lr, size, positions, step)
    return out, [w for w in caught if issubclass(w.category, PayloadLostWarning)]


@pytest.mark.parametrize('pix_fmt, lossless', [('yuv444p10le', True), ('yuv444p', True),
                                               ('yuv420p10le', True), ('yuv444p10le', False)])
def test_the_motion_survives_a_real_x264_encode_exactly_when_keeps_payload_says(
        tmp_path, pix_fmt, lossless):
    hr = moving_texture(5, size=(48, 64), speed=(0.0, 2.0))
    net = HiddenMotionResampler(**FAST).eval()
    sent = net.downsample(hr, (48, 64), [0, 2, 4], 2)
    levels = (sent[0].permute(1, 2, 3, 0) * 255).round().to(torch.uint8).numpy()
    ffmpeg = require_ffmpeg()
    stream = encode(ffmpeg, levels, fps=Fraction(15), codec='libx264',
                    quality=LOSSLESS if lossless else 1, matrix='709', path=tmp_path / 'lr.h264',
                    pix_fmt=pix_fmt)
    received = torch.from_numpy(np.stack(decode(ffmpeg, stream, '709'))).permute(3, 0, 1, 2)[None]
    kept = keeps_payload('libx264', pix_fmt, lossless)
    assert kept == (pix_fmt == 'yuv444p10le' and lossless)
    assert bool(net.read_motion(received[:, :, 0], 2)[1].all()) == kept
    assert not kept or torch.equal((received * 255).round(), sent * 255)
    out, lost = upsample_warnings(net, received, (48, 64), [0.5, 1.5], 0.5)
    assert bool(lost) != kept
    if kept:  # the dropped frames are the ones a clean channel gives
        assert psnr(out, upsample_warnings(net, sent, (48, 64), [0.5, 1.5], 0.5)[0]) > 50


def test_downsample_windows_read_ahead_to_the_next_lr_frame():
    net = HiddenMotionResampler(**FAST).eval()
    model = SpecialistSet(perturbed(V3, 0), {(None, 1): net})
    plain = ClipResampler(model, 'down', 30, 15, 24, (48, 64))
    ahead = ClipResampler(model, 'down', 30, 15, 24, (48, 64), src_size=(48, 64))
    assert [w.src_stop - w.src_start for w in plain.windows][:2] == [8, 8]
    assert [w.src_stop - w.src_start for w in ahead.windows][:2] == [11, 11]
    assert ahead.windows[-1].src_stop == 24
    assert ClipResampler(model, 'down', 30, 15, 24, (12, 16), src_size=(48, 64)).windows[0] == \
        plain.windows[0]  # 2x/4x goes to the general network, which reads no further


def test_window_edges_rebuild_as_well_as_the_inside():
    hr = moving_texture(16, size=(48, 64), speed=(0.5, 2.0))
    net = HiddenMotionResampler(**FAST).eval()
    frames = hr[0].permute(1, 2, 3, 0).numpy()
    down = ClipResampler(net, 'down', 30, 15, 16, (48, 64), src_size=(48, 64))
    lr = np.concatenate(down.run(down.windows, [frames[w.src_start:w.src_stop]
                                                for w in down.windows]))
    up = ClipResampler(net, 'up', 15, 30, len(lr), (48, 64), n_dst=16, src_size=(48, 64),
                       window=4)
    out = up.run(up.windows, [np.stack(lr[w.src_start:w.src_stop]) for w in up.windows])
    rebuilt = torch.from_numpy(np.concatenate(out)).permute(3, 0, 1, 2)[None]
    scores = [psnr(rebuilt[:, :, i], hr[:, :, i]) for i in range(1, 15, 2)]
    assert min(scores) > 30  # a frame between two windows is rebuilt from both of its neighbours


def test_a_set_sends_unsupported_time_factors_to_the_general_network():
    net = HiddenMotionResampler(**FAST)
    general = perturbed(V3, 0)
    model = SpecialistSet(general, {(None, 1): net})
    assert net.supports(2) and net.supports(1.25) and net.supports(5) and net.supports(8)
    assert net.supports(7) and not net.supports(7.5) and not net.supports(9)
    assert model.pick(2, (48, 64), (48, 64)) is net
    assert model.pick(9, (48, 64), (48, 64)) is general


def test_a_weights_file_without_tensors_loads(tmp_path):
    cfg = dict(type='HiddenMotionResampler', fit_iterations=5)
    path = save_weights(build_generator(cfg), cfg, tmp_path / 'hm.safetensors')
    net = load_generator(path)
    assert isinstance(net, HiddenMotionResampler) and net.fit_iterations == 5


def test_bad_calls_are_refused():
    net = HiddenMotionResampler(**FAST)
    hr = torch.rand(1, 3, 5, 32, 40)
    with pytest.raises(ValueError, match='resamples time only'):
        net.downsample(hr, (16, 20), [0, 2, 4], 2)
    with pytest.raises(ValueError, match='whole ones up to 8, others up to 7'):
        net.downsample(hr, (32, 40), [0, 9], 9)
    with pytest.raises(ValueError, match='whole ones up to 8, others up to 7'):
        net.upsample(hr, (32, 40), [0, 0.1], 0.1)
    with pytest.raises(ValueError, match='at least 8x8'):
        net.downsample(torch.rand(1, 3, 3, 6, 40), (6, 40), [0, 2], 2)
    with pytest.raises(ValueError, match='reads whole frames'):
        ClipResampler(net, 'down', 30, 15, 8, (32, 40), tile=16)
    with pytest.raises(ValueError, match='DIS preset'):
        HiddenMotionResampler(dis_preset='slow')
    with pytest.raises(ValueError, match='fit_iterations'):
        HiddenMotionResampler(step=0)


def test_its_config_exports_without_a_checkpoint_and_refuses_training(tmp_path):
    root = Path(__file__).resolve().parents[1]
    config = root / 'configs' / 'cstvr-steg-v3_hidden-motion-tx1.py'
    out = tmp_path / 'hm.safetensors'
    run = lambda *cmd: subprocess.run([sys.executable, *map(str, cmd)], cwd=root,  # noqa: E731
                                      capture_output=True, text=True, timeout=300)
    done = run('tools/export_weights.py', config, '-', out)
    assert done.returncode == 0, done.stderr
    assert isinstance(load_generator(out), HiddenMotionResampler)
    learned = run('tools/export_weights.py', root / 'configs' / 'cstvr_tiny.py', '-',
                  tmp_path / 'x.safetensors')
    assert learned.returncode != 0 and 'has trained parameters' in learned.stderr
    refused = run('tools/train.py', config, '--work-dir', tmp_path / 'work')
    assert refused.returncode != 0 and 'without trained parameters' in refused.stderr
