"""Numbers written into 8-bit frames by dither modulation of block-DCT coefficients: they read back
to a fraction of their range, whatever the picture (flat black and white included), and writing
them costs little picture quality."""
import pytest
import torch

from mmagic_cstvr.archs.dither_steganography import (BLOCK, SLOTS, UNRELIABLE, capacity, embed, extract,
                                                     payload_grid)
from test_lr_grid import moving_texture


def psnr(x, y):
    return float(10 * torch.log10(1 / ((x - y) ** 2).mean()))


def pictures():
    texture = moving_texture(1, size=(56, 72))[:, :, 0]
    noise = torch.rand(1, 3, 56, 72, generator=torch.Generator().manual_seed(1))
    return {'texture': texture, 'black': torch.zeros(1, 3, 56, 72),
            'white': torch.ones(1, 3, 56, 72), 'noise': noise}


@pytest.mark.parametrize('name', ['texture', 'black', 'white', 'noise'])
def test_values_read_back_to_a_few_thousandths_of_their_range(name):
    frame = pictures()[name]
    values = torch.rand(1, 5, *payload_grid(frame.shape[-2:]), generator=torch.Generator().manual_seed(2))
    values[:, :, 0, 0] = torch.tensor([0.0, 1.0, 0.0, 1.0, 0.5])  # both ends of the range
    sent = embed(frame, values)
    assert torch.equal(sent, (sent * 255).round() / 255)  # on the 8-bit lattice
    values_read, mismatch = extract(sent, 5)
    error = (values_read - values).abs()
    assert (mismatch.mean(1) < UNRELIABLE).all()  # every block reads back as reliable
    assert error.max() < 4e-3 and error.median() < 1e-3
    assert psnr(sent, frame) > (44 if name in ('texture', 'noise') else 35)


def test_pixels_past_the_last_whole_block_are_left_alone():
    frame = pictures()['texture'][..., :53, :70]
    assert payload_grid(frame.shape[-2:]) == (53 // BLOCK, 70 // BLOCK)
    sent = embed(frame, torch.rand(1, 3, 6, 8))
    levels = (frame * 255).round() / 255
    assert torch.equal(sent[..., 48:, :], levels[..., 48:, :])
    assert torch.equal(sent[..., :, 64:], levels[..., :, 64:])


def test_unwritten_values_leave_the_picture_as_it_is():
    frame = pictures()['texture']
    values = torch.full((1, 4, *payload_grid(frame.shape[-2:])), float('nan'))
    assert torch.equal(embed(frame, values), (frame * 255).round() / 255)
    values[:, :2] = 0.3
    part = embed(frame, values)
    assert (extract(part, 2)[0] - 0.3).abs().max() < 4e-3
    assert psnr(part, frame) > psnr(embed(frame, torch.full_like(values, 0.3)), frame)


def test_capacity_and_bad_payloads_are_refused():
    frame = pictures()['texture']
    grid = payload_grid(frame.shape[-2:])
    assert capacity(5) == len(SLOTS) // 5 and len(SLOTS) == 99
    with pytest.raises(ValueError, match='coefficients per block'):
        embed(frame, torch.rand(1, capacity(5) + 1, *grid))
    with pytest.raises(ValueError, match='coefficients per block'):
        extract(frame, capacity(5) + 1)
    with pytest.raises(ValueError, match='do not fit frames'):
        embed(frame, torch.rand(1, 2, grid[0] + 1, grid[1]))
