"""Safetensors weights with embedded configs, loading errors, and whole-clip windowing."""
from fractions import Fraction

import numpy as np
import pytest
import torch

from mmagic_cstvr.engine.clip_resampler import ClipResampler
from mmagic_cstvr.engine.weights import build_generator, load_generator, save_weights
from mmagic_cstvr.errors import WeightsError

TINY = dict(type='CSTVRResampler',
            down=dict(channels=8, blocks=1, hidden=16, stem_shuffle=2),
            imsm=dict(cells=1, growth=4),
            up=dict(channels=8, blocks=1, growth=4, fuse=4, hidden=16))


@pytest.fixture(scope='module')
def weights(tmp_path_factory):
    torch.manual_seed(0)
    gen = build_generator(TINY)
    with torch.no_grad():  # move away from the identity init so pixels depend on the weights
        for p in gen.parameters():
            p.add_(torch.randn_like(p) * 0.01)
    return save_weights(gen, TINY, tmp_path_factory.mktemp('w') / 'tiny.safetensors'), gen


def test_roundtrip_of_weights_file(weights):
    path, gen = weights
    loaded = load_generator(path)
    for (k, a), (_, b) in zip(gen.state_dict().items(), loaded.state_dict().items()):
        assert torch.equal(a, b), k
    assert not loaded.training


def test_missing_truncated_and_mismatched_weights_are_named(weights, tmp_path):
    path, _ = weights
    with pytest.raises(WeightsError, match='neither a shipped model'):
        load_generator(tmp_path / 'nope.safetensors')
    cut = tmp_path / 'cut.safetensors'
    cut.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(WeightsError, match='truncated or corrupt'):
        load_generator(cut)
    other = dict(TINY, up=dict(TINY['up'], hidden=32))
    wrong = save_weights(build_generator(other), other, tmp_path / 'wrong.safetensors')
    with pytest.raises(WeightsError, match='wrong shape'):
        _load_with_cfg(wrong, TINY, tmp_path)


def _load_with_cfg(path, cfg, tmp_path):
    config = tmp_path / 'cfg.py'
    config.write_text(f'model = dict(generator={cfg!r})\n')
    return load_generator(path, config=config)


def test_pickle_files_are_refused(tmp_path):
    bad = tmp_path / 'model.pth'
    torch.save({'a': torch.zeros(1)}, bad)
    with pytest.raises(WeightsError, match='PyTorch checkpoint or pickle, not safetensors; '
                                           'convert it with: python tools/export_weights.py'):
        load_generator(bad)


@pytest.mark.parametrize('src,dst,n', [(60, 30, 13), (30, 24, 11), (Fraction(60000, 1001), Fraction(24000, 1001), 9)])
def test_clip_downsample_then_upsample_counts_and_random_access(weights, src, dst, n):
    _, gen = weights
    gen.eval()
    rng = np.random.default_rng(0)
    hr = rng.random((n, 16, 24, 3), dtype=np.float32)
    down = ClipResampler(gen, 'down', src, dst, n, (8, 12))
    lr = np.concatenate(down.run(down.windows, [hr[w.src_start:w.src_stop] for w in down.windows]))
    assert lr.shape == (down.n_dst, 8, 12, 3)
    assert np.allclose(lr * 255, np.round(lr * 255), atol=1e-3)
    # one window on its own gives the same pixels as the batched pass
    w = down.window_for(down.n_dst - 1)
    alone = down.run([w], [hr[w.src_start:w.src_stop]])[0]
    assert np.array_equal(alone, lr[w.dst_start:w.dst_stop])
    up = ClipResampler(gen, 'up', dst, src, down.n_dst, (16, 24), n_dst=n)
    out = np.concatenate(up.run(up.windows, [lr[w.src_start:w.src_stop] for w in up.windows]))
    assert out.shape == hr.shape


def test_clip_resampler_refuses_bad_requests(weights):
    _, gen = weights
    with pytest.raises(ValueError, match='cannot raise the frame rate'):
        ClipResampler(gen, 'down', 24, 30, 10, (8, 8))
    with pytest.raises(ValueError, match='no frames'):
        ClipResampler(gen, 'up', 24, 30, 0, (8, 8))
    with pytest.raises(ValueError, match='target fps'):
        ClipResampler(gen, 'up', 24, 0, 10, (8, 8))
    with pytest.raises(ValueError, match='target size'):
        ClipResampler(gen, 'up', 24, 30, 10, (0, 8))
    with pytest.raises(ValueError, match=r'\(3, H, W, 3\)'):
        c = ClipResampler(gen, 'down', 60, 30, 3, (8, 8))
        c.run(c.windows, [np.zeros((2, 16, 16, 3), np.float32)])
