"""oneDNN 3-D convolutions for CPU inference: same results as torch's own choice (float rounding),
really oneDNN for the shapes torch's heuristic sends to its slow path, untouched under autograd."""
import pytest
import torch
from torch import nn

from mmagic_cstvr.engine.fast_conv import use_onednn_conv3d
from mmagic_cstvr.engine.weights import build_generator

pytestmark = pytest.mark.skipif(not torch.backends.mkldnn.is_available(), reason='no oneDNN')

STEG = dict(type='CSTVRResampler', down=dict(channels=8, blocks=1, hidden=16, stem_shuffle=2),
            imsm=dict(cells=1, growth=4), up=dict(channels=8, blocks=1, growth=4, fuse=4, hidden=16))


def _kernels(fn):
    with torch.profiler.profile() as prof:
        fn()
    return {e.key for e in prof.key_averages()}


def test_small_batch1_conv_goes_to_onednn_with_the_same_result():
    torch.manual_seed(0)
    conv = nn.Conv3d(27, 8, 3, padding=1)
    x = torch.rand(1, 27, 5, 20, 30)  # N*C*T*H = 2700: torch's heuristic picks slow_conv3d
    with torch.inference_mode():
        ref = conv(x)
        assert 'aten::slow_conv3d_forward' in _kernels(lambda: conv(x))
        use_onednn_conv3d(conv)
        kernels = _kernels(lambda: conv(x))
        assert 'aten::mkldnn_convolution' in kernels and 'aten::slow_conv3d_forward' not in kernels
        assert torch.allclose(conv(x), ref, atol=1e-5)


def test_model_inference_matches_and_training_keeps_autograd():
    torch.manual_seed(0)
    gen = build_generator(STEG).eval()
    for p in gen.parameters():
        p.data.add_(torch.randn_like(p) * 0.01)
    hr = torch.rand(1, 3, 7, 32, 32)
    with torch.inference_mode():
        ref = gen(hr, 2, 2)['output']
        use_onednn_conv3d(gen)
        assert torch.allclose(gen(hr, 2, 2)['output'], ref, atol=1e-5)
    loss = gen(hr, 2, 2)['output'].square().mean()  # grad enabled: torch's own conv3d
    loss.backward()
    assert all(p.grad is not None for p in gen.down_net.stem.parameters())
