"""Carrying a layer trained at one integer scale to the others: the input layers read the box
upscale of their sub-pixel grid, the output heads write the box average; the tool that starts a
continuous-factor fine-tune from a fixed-scale network."""
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from mmagic_cstvr.archs import CSTVRResampler
from mmagic_cstvr.archs.subpixel_transfer import (fill_input_layer, fill_output_head,
                                                  subpixel_overlap)
from mmagic_cstvr.archs import SpecialistSet
from mmagic_cstvr.engine.weights import load_generator, save_weights

ROOT = Path(__file__).resolve().parents[1]
V3 = dict(type='CSTVRResampler', design='lr-grid', default_factors=(2, 4),
          down=dict(channels=8, frame_blocks=1, blocks=1), imsm=dict(cells=1, growth=4),
          up=dict(channels=8, frame_blocks=1, blocks=1, motion='hr'))


def box_upscale(x: torch.Tensor, r: int, big: int) -> torch.Tensor:
    """(N, C, r*h, r*w) -> (N, C, big*h, big*w): each big-grid sub-pixel takes the area-weighted
    mean of the r-grid sub-pixels it overlaps, computed by supersampling on the common grid."""
    fine = r * big
    return F.avg_pool2d(F.interpolate(x, scale_factor=fine // r, mode='nearest'), fine // big)


def random_conv(c_in, c_out, seed):
    torch.manual_seed(seed)
    conv = torch.nn.Conv2d(c_in, c_out, 3, padding=1)
    torch.nn.init.normal_(conv.weight, std=0.1)
    torch.nn.init.normal_(conv.bias, std=0.1)
    return conv


def test_overlap_partitions_one_lr_pixel():
    for r, big in ((1, 4), (2, 4), (3, 4), (4, 4), (3, 2)):
        o = subpixel_overlap(r, big)
        assert o.shape == (r, big) and (o >= 0).all()
        assert torch.allclose(o.sum(1), torch.full((r,), 1 / r, dtype=o.dtype))
        assert torch.allclose(o.sum(0), torch.full((big,), 1 / big, dtype=o.dtype))
    assert torch.allclose(subpixel_overlap(4, 4), torch.eye(4, dtype=torch.float64) / 4)


@pytest.mark.parametrize('r', [1, 2, 3])
def test_filled_input_layer_reads_the_box_upscale(r):
    big = 4
    source = random_conv(3 * big * big, 6, seed=r)
    target = torch.nn.Conv2d(3 * r * r, 6, 3, padding=1)
    fill_input_layer(target, source, r, big)
    image = torch.rand(2, 3, r * 5, r * 7)
    expected = source(F.pixel_unshuffle(box_upscale(image, r, big), big))
    assert torch.allclose(target(F.pixel_unshuffle(image, r)), expected, atol=1e-5)


@pytest.mark.parametrize('r', [1, 2, 3])
def test_filled_output_head_writes_the_box_average(r):
    big = 4
    source = random_conv(6, 3 * big * big, seed=10 + r)
    target = torch.nn.Conv2d(6, 3 * r * r, 3, padding=1)
    fill_output_head(target, source, r, big)
    features = torch.rand(2, 6, 5, 7)
    on_big = F.pixel_shuffle(source(features), big)                       # (2, 3, 20, 28)
    fine = r * big
    expected = F.avg_pool2d(F.interpolate(on_big, scale_factor=fine // big, mode='nearest'), fine // r)
    assert torch.allclose(F.pixel_shuffle(target(features), r), expected, atol=1e-5)


def trained_at_4(seed=0):
    torch.manual_seed(seed)
    net = CSTVRResampler(**{k: v for k, v in V3.items() if k != 'type'})
    with torch.no_grad():
        for p in net.parameters():
            p.add_(0.02 * torch.randn_like(p))
    return net.eval()


def test_networks_fill_every_other_scale_and_keep_the_trained_one():
    net = trained_at_4()
    kept = {k: v.clone() for k, v in net.state_dict().items() if '.4.' in k}
    before = {k: v.clone() for k, v in net.state_dict().items()}
    net.down_net.fill_scales_from(4)
    net.up_net.fill_scales_from(4)
    after = net.state_dict()
    assert all(torch.equal(after[k], v) for k, v in kept.items())
    changed = sorted({k.split('.')[1] for k in after if not torch.equal(after[k], before[k])})
    assert changed == ['between_heads', 'heads', 'stems']
    with pytest.raises(ValueError, match='no layer at scale 5'):
        net.up_net.fill_scales_from(5)


def test_tool_writes_a_network_whose_other_scales_start_from_the_trained_one(tmp_path):
    source = save_weights(trained_at_4(), V3, tmp_path / 'trained.safetensors')
    out = tmp_path / 'filled.safetensors'
    subprocess.run([sys.executable, str(ROOT / 'tools' / 'fill_scales.py'), str(source), str(out)],
                   check=True, cwd=ROOT, capture_output=True)
    expected = trained_at_4()
    expected.down_net.fill_scales_from(4)
    expected.up_net.fill_scales_from(4)
    filled = load_generator(out)
    for key, value in expected.state_dict().items():
        assert torch.equal(filled.state_dict()[key], value), key
    refused = subprocess.run([sys.executable, str(ROOT / 'tools' / 'fill_scales.py'), str(source),
                              str(tmp_path / 'x.safetensors'), '--trained-scale', '3'],
                             cwd=ROOT, capture_output=True, text=True)
    assert refused.returncode != 0 and 'no LR-grid network trained at spatial scale 3' in refused.stderr


def test_tool_takes_a_sets_specialist_at_the_scale_not_its_general_network(tmp_path):
    general, specialist = trained_at_4(seed=1), trained_at_4(seed=2)
    cfg = dict(type='SpecialistSet', general=V3, specialists=[dict(factors=[2, 4], generator=V3)])
    source = save_weights(SpecialistSet(general, {(2, 4): specialist}), cfg, tmp_path / 'set.safetensors')
    out = tmp_path / 'filled.safetensors'
    subprocess.run([sys.executable, str(ROOT / 'tools' / 'fill_scales.py'), str(source), str(out)],
                   check=True, cwd=ROOT, capture_output=True)
    filled = load_generator(out).state_dict()
    assert all(torch.equal(filled[k], v) for k, v in specialist.state_dict().items() if '.4.' in k)
    assert not torch.equal(filled['up_net.heads.4.weight'], general.state_dict()['up_net.heads.4.weight'])
