"""The differentiable codec proxy (archs/codec_proxy.py) and its wiring into the training pass."""
import subprocess
from fractions import Fraction
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from mmagic_cstvr.archs import CodecProxy, CSTVRResampler
from mmagic_cstvr.structures.colour import from_uint8
from mmagic_cstvr.evaluation.metrics import psnr
from mmagic_cstvr.media.ffmpeg_pipes import (ONE_SLICE, decode_filter, encode_filter, planar,
                                             raw_input_args)
from mmagic_cstvr.media.probe import find_ffmpeg

TINY = dict(down=dict(channels=8, blocks=1, hidden=16, stem_shuffle=2), imsm=dict(cells=1, growth=4),
            up=dict(channels=8, blocks=1, growth=4, fuse=4, hidden=16))


def smooth_frame(h=48, w=64, seed=0):
    """(H, W, 3) uint8: a colourful smooth picture (gradients and a few soft blobs)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w] / max(h, w)
    planes = [0.5 + 0.4 * np.sin(2 * np.pi * (a * x + b * y) + c)
              for a, b, c in rng.uniform(1.0, 4.0, (3, 3))]
    return np.round(np.stack(planes, -1).clip(0, 1) * 255).astype(np.uint8)


def as_video(frame):
    return from_uint8(torch.from_numpy(frame)).permute(2, 0, 1)[None, :, None]  # (1, 3, 1, H, W)


def test_shapes_odd_sizes_and_range():
    x = torch.rand(2, 3, 3, 13, 22)
    for chroma in ('420', '444'):
        for rounding in ('noise', 'round'):
            y = CodecProxy(quality=(30, 90), chroma=chroma, rounding=rounding)(x)
            assert y.shape == x.shape
            assert float(y.min()) >= 0 and float(y.max()) <= 1


def test_identity_without_noise():
    x = torch.rand(2, 3, 4, 16, 24, dtype=torch.float64)
    assert torch.allclose(CodecProxy(quality=None, chroma='444')(x), x, atol=1e-12)
    grey = x[:, :1].expand(-1, 3, -1, -1, -1)  # no chroma: the 4:2:0 round trip keeps it
    assert torch.allclose(CodecProxy(quality=None, chroma='420')(grey), grey, atol=1e-12)


def test_noise_grows_as_quality_falls():
    x = as_video(smooth_frame()).repeat(4, 1, 1, 1, 1)
    torch.manual_seed(0)
    err = {q: float(((CodecProxy(quality=(q, q))(x) - x) ** 2).mean()) for q in (95, 70, 30, 10)}
    assert 0 < err[95] < err[70] < err[30] < err[10]


@pytest.mark.parametrize('rounding', ['noise', 'round'])
def test_gradient_flows(rounding):
    x = (0.1 + 0.8 * torch.rand(1, 3, 2, 16, 16)).requires_grad_()
    CodecProxy(quality=(40, 60), rounding=rounding)(x).square().sum().backward()
    assert torch.isfinite(x.grad).all() and float(x.grad.abs().mean()) > 0.1


def test_unknown_setting_is_named():
    with pytest.raises(ValueError, match='qualty.*settings are prob, quality'):
        CodecProxy.from_cfg(dict(prob=0.5, qualty=(40, 90)))
    with pytest.raises(ValueError, match='quality'):
        CodecProxy.from_cfg(dict(quality=(90, 40)))
    with pytest.raises(ValueError, match='prob'):
        CodecProxy(prob=1.5)


def _ffmpeg(frame, vf):
    h, w, _ = frame.shape
    return subprocess.run(
        [find_ffmpeg(), '-v', 'error', *ONE_SLICE, *raw_input_args(w, h, Fraction(25), 'u8'),
         '-vf', vf, '-f', 'rawvideo', 'pipe:1'],
        input=planar(frame), capture_output=True, check=True).stdout


def _ffmpeg_round_trip(frame, pix_fmt, matrix='170m'):
    """8-bit RGB -> ``pix_fmt`` -> float RGB through ffmpeg, with the project's conversions."""
    to_rgb = decode_filter(SimpleNamespace(family='yuv'), matrix)
    out = _ffmpeg(frame, f'{encode_filter(pix_fmt, matrix)},{to_rgb}')
    g, b, r = np.frombuffer(out, np.float32).reshape(3, *frame.shape[:2])
    return np.stack([r, g, b], -1)


@pytest.mark.skipif(find_ffmpeg() is None, reason='needs ffmpeg')
def test_yuv_round_trips_match_ffmpeg():
    """The proxy's colour conversion is the encoder's, and its 4:2:0 round trip is close to
    ffmpeg's yuv420p one (the chroma filters differ: box + bilinear vs bicubic)."""
    frame = smooth_frame()
    x = as_video(frame).double()
    for matrix in ('170m', '709'):  # the encoder's 8-bit studio-range planes, within rounding
        real = np.frombuffer(_ffmpeg(frame, encode_filter('yuv444p', matrix)), np.uint8)
        yuv = CodecProxy(quality=None, matrix=matrix).to_yuv(x[:, :, 0])[0].numpy()
        studio = np.stack([16 + 219 * yuv[0], 128 + 224 * yuv[1], 128 + 224 * yuv[2]])
        assert np.abs(real.reshape(studio.shape) - studio).max() <= 0.5 + 1e-6, matrix
    level = lambda v: np.round(v * 255).clip(0, 255)  # noqa: E731
    proxy = level(CodecProxy(quality=None)(x)[0, :, 0].permute(1, 2, 0).numpy())
    real = level(_ffmpeg_round_trip(frame, 'yuv420p'))
    assert psnr(real, proxy) > 40
    # the proxy's 4:2:0 round trip loses about as much as the real one (within 2.5 dB)
    assert abs(psnr(frame, proxy) - psnr(frame, real)) < 2.5
    assert psnr(frame, proxy) < 50  # and it does lose something: chroma detail


def test_proxy_sits_between_quantiser_and_reveal():
    torch.manual_seed(0)
    model = CSTVRResampler(**TINY).eval()
    hr = torch.rand(1, 3, 5, 32, 32)
    clean = model(hr, 2, 2)
    coded = model(hr, 2, 2, channel=CodecProxy(quality=(10, 10)))
    assert torch.equal(clean['stego'], coded['stego'])  # what is sent is the same
    assert not torch.allclose(clean['revealed'], coded['revealed'])  # what is received is not
    same = model(hr, 2, 2, channel=CodecProxy(quality=None, chroma='444'))
    assert torch.allclose(same['output'], clean['output'], atol=1e-5)


def test_editor_option_keeps_the_parameter_layout():
    import mmagic_cstvr
    from mmengine.registry import DefaultScope
    from mmagic.registry import MODELS
    mmagic_cstvr.register_all_modules()
    DefaultScope.get_instance('test_codec_proxy', scope_name='mmagic')
    cfg = dict(type='CSTVR', generator=dict(type='CSTVRResampler', **TINY),
               pixel_loss=dict(type='CharbonnierLoss'),
               recovery_loss=dict(type='LatentRecoveryLoss'),
               train_cfg=dict(factors=dict(named=[(2, 2)], named_prob=1.0)),
               data_preprocessor=dict(type='DataPreprocessor', mean=[0.] * 3, std=[255.] * 3))
    plain = MODELS.build(cfg)
    proxy = dict(prob=1.0, quality=(20, 50))
    coded = MODELS.build(dict(cfg, train_cfg=dict(cfg['train_cfg'], codec_proxy=proxy)))
    assert plain.codec_proxy is None and coded.codec_proxy.prob == 1.0
    assert plain.state_dict().keys() == coded.state_dict().keys()
    coded.load_state_dict(plain.state_dict())
    torch.manual_seed(0)
    inputs = torch.rand(2, 5, 3, 32, 32)
    plain_losses, coded_losses = plain.forward_train(inputs), coded.forward_train(inputs)
    assert float(coded_losses['loss_recover']) > float(plain_losses['loss_recover'])
    with pytest.raises(ValueError, match='unknown codec_proxy setting'):
        MODELS.build(dict(cfg, train_cfg=dict(codec_proxy=dict(probability=0.5))))
    with pytest.raises(ValueError, match='needs a steg generator'):
        MODELS.build(dict(cfg, generator=dict(type='BlindResampler', up=TINY['up']),
                          recovery_loss=None, train_cfg=dict(codec_proxy=dict(prob=0.5))))
