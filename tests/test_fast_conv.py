"""The CPU inference route of the convolutions: oneDNN 3-D convolutions (really oneDNN for the
shapes torch's heuristic sends to its slow path, untouched under autograd) and channels-last
weights; same results as torch's own choice (float rounding)."""
import pytest
import torch
from torch import nn

from mmagic_cstvr.engine.fast_conv import for_cpu_inference, use_channels_last, use_onednn_conv3d
from mmagic_cstvr.engine.weights import build_generator, load_resampler, save_weights

pytestmark = pytest.mark.skipif(not torch.backends.mkldnn.is_available(), reason='no oneDNN')

STEG = dict(type='CSTVRResampler', down=dict(channels=8, blocks=1, hidden=16, stem_shuffle=2),
            imsm=dict(cells=1, growth=4), up=dict(channels=8, blocks=1, growth=4, fuse=4, hidden=16))
STEG_V3 = dict(type='CSTVRResampler', design='lr-grid',
               down=dict(channels=8, frame_blocks=1, blocks=1), imsm=dict(cells=1, growth=4),
               up=dict(channels=8, frame_blocks=1, blocks=1, motion='hr', neighbours=True))


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


def test_channels_last_weights_keep_values_and_pass_the_layout_on():
    torch.manual_seed(0)
    convs = nn.Sequential(nn.Conv2d(12, 16, 3, padding=1), nn.ReLU(), nn.Conv2d(16, 8, 3, padding=1))
    x = torch.rand(3, 12, 20, 30)
    with torch.inference_mode():
        ref = convs(x)
        before = {k: v.clone() for k, v in convs.state_dict().items()}
        use_channels_last(convs)
        assert all(c.weight.is_contiguous(memory_format=torch.channels_last)
                   for c in convs if isinstance(c, nn.Conv2d))
        assert all(torch.equal(before[k], v) for k, v in convs.state_dict().items())
        assert convs[0](x).is_contiguous(memory_format=torch.channels_last)
        assert torch.allclose(convs(x), ref, atol=1e-5)
    conv3d = use_channels_last(nn.Conv3d(4, 4, 3))
    assert conv3d.weight.is_contiguous(memory_format=torch.channels_last_3d)
    elsewhere = use_channels_last(nn.Conv2d(4, 4, 3, device='meta'))
    assert elsewhere.weight.is_contiguous() and not elsewhere.weight.is_contiguous(
        memory_format=torch.channels_last)


@pytest.mark.parametrize('cfg', [STEG, STEG_V3], ids=['version 2', 'version 3'])
def test_model_after_the_cpu_route_matches_trains_and_saves_its_weights(cfg, tmp_path):
    torch.manual_seed(0)
    gen = build_generator(cfg).eval()
    for p in gen.parameters():
        p.data.add_(torch.randn_like(p) * 0.01)
    hr = torch.rand(1, 3, 7, 32, 32)
    with torch.inference_mode():
        ref = gen(hr, 2, 2)['output']
        for_cpu_inference(gen)
        assert torch.allclose(gen(hr, 2, 2)['output'], ref, atol=1e-5)
    loss = gen(hr, 2, 2)['output'].square().mean()  # grad enabled: torch's own conv3d
    loss.backward()
    convs = [m for m in gen.modules() if isinstance(m, (nn.Conv2d, nn.Conv3d))]
    assert sum(c.weight.grad is not None and bool(c.weight.grad.any()) for c in convs) > len(convs) // 2
    save_weights(gen, cfg, tmp_path / 'w.safetensors')
    reloaded = load_resampler(str(tmp_path / 'w.safetensors')).state_dict()
    assert all(torch.equal(reloaded[k], v) for k, v in gen.state_dict().items())
