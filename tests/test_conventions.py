"""Colour, lattice and padding conventions (one source of truth each)."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mmagic_cstvr.structures.colour import from_uint8, quantize, rgb_to_y, to_uint8
from mmagic_cstvr.structures.lattice import check_scale, pixel_centres, scaled_size
from mmagic_cstvr.structures.padding import crop_to, pad_to_multiple, padded_size


def test_uint8_rounds_to_nearest_level():
    x = torch.tensor([0.0, 0.5 / 255, 0.49 / 255, 1.0, 1.2, -0.1, 254.5 / 255])
    assert to_uint8(x).tolist() == [0, 1, 0, 255, 255, 0, 255]
    assert torch.equal(quantize(x), from_uint8(to_uint8(x)))


def test_bt601_luma_of_black_white():
    assert rgb_to_y(np.array([0, 0, 0])) == pytest.approx(16)
    assert rgb_to_y(np.array([255, 255, 255])) == pytest.approx(235, abs=1e-6)


def test_pixel_centres_match_interpolate_convention():
    src = torch.arange(10.0).view(1, 1, 10)
    out = F.interpolate(src, size=25, mode='linear', align_corners=False)
    coords = pixel_centres(25, 10).clamp(0, 9)
    assert torch.allclose(out.flatten(), coords, atol=1e-6)
    assert torch.allclose(pixel_centres(4, 4), torch.arange(4.0))


def test_scaled_size_and_scale_checks():
    assert scaled_size((720, 1280), 2.5) == (288, 512)
    assert scaled_size((3, 3), 16) == (1, 1)
    for bad in (0, -1, float('nan'), float('inf'), 'x', 17):
        with pytest.raises(ValueError):
            check_scale(bad)


def test_padding_is_bottom_right_replicate_and_crops_back():
    x = torch.rand(1, 3, 2, 5, 7)
    y = pad_to_multiple(x, 4)
    assert y.shape[-2:] == padded_size((5, 7), 4) == (8, 8)
    assert torch.equal(crop_to(y, (5, 7)), x)
    assert torch.equal(y[..., 7, :7], x[..., 4, :])
    assert pad_to_multiple(torch.rand(1, 3, 8, 8), 4).shape == (1, 3, 8, 8)
