"""Numbers written into 8-bit frames by dither modulation of block-DCT coefficients: they read back
to a fraction of their range, whatever the picture (flat black and white included), and writing
them costs little picture quality."""
import pytest
import torch

from mmagic_cstvr.archs.dither_steganography import (BLOCK, HEADROOM, SLOTS, UNRELIABLE, capacity,
                                                     embed, extract, payload_grid)
from test_lr_grid import moving_texture


def psnr(x, y):
    return float(10 * torch.log10(1 / ((x - y) ** 2).mean()))


def pictures():
    texture = moving_texture(1, size=(56, 72))[:, :, 0]
    noise = torch.rand(1, 3, 56, 72, generator=torch.Generator().manual_seed(1))
    return {'texture': texture, 'black': torch.zeros(1, 3, 56, 72),
            'white': torch.ones(1, 3, 56, 72), 'noise': noise}


@pytest.mark.parametrize('n_values', [5, capacity(5)])
@pytest.mark.parametrize('name', ['texture', 'black', 'white', 'noise'])
def test_values_read_back_to_a_few_thousandths_of_their_range(name, n_values):
    frame = pictures()[name]
    values = torch.rand(1, n_values, *payload_grid(frame.shape[-2:]),
                        generator=torch.Generator().manual_seed(2))
    values[:, :5, 0, 0] = torch.tensor([0.0, 1.0, 0.0, 1.0, 0.5])  # both ends of the range
    sent = embed(frame, values)
    assert torch.equal(sent, (sent * 255).round() / 255)  # on the 8-bit lattice
    values_read, mismatch = extract(sent, n_values)
    error = (values_read - values).abs()
    assert (mismatch.mean(1) < UNRELIABLE).all()  # every block reads back as reliable
    assert error.max() < 4e-3 and error.median() < 1e-3
    # Each value costs about the same squared error: a full block about 7 times five values'.
    floor = (44 if name in ('texture', 'noise') else 35) - (0 if n_values == 5 else 9)
    assert psnr(sent, frame) > floor


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
    assert capacity(5) == len(SLOTS) // 5 and len(SLOTS) == 3 * (64 - 3)
    with pytest.raises(ValueError, match='coefficients per block'):
        embed(frame, torch.rand(1, capacity(5) + 1, *grid))
    with pytest.raises(ValueError, match='coefficients per block'):
        extract(frame, capacity(5) + 1)
    with pytest.raises(ValueError, match='do not fit frames'):
        embed(frame, torch.rand(1, 2, grid[0] + 1, grid[1]))


def test_digits_take_low_frequencies_first_so_small_payloads_keep_their_coefficients():
    diagonals = [row + col for _, row, col in SLOTS]
    assert diagonals == sorted(diagonals) and min(diagonals) == 2 and max(diagonals) == 14
    assert len(set(SLOTS)) == len(SLOTS)  # every AC coefficient past the first diagonal, once
    # A payload of up to 99 coefficients (three slots of motion) uses diagonals 2-7 only, in the
    # order streams written before larger payloads existed use them.
    assert diagonals[98] == 7 and diagonals[99] == 8
    assert SLOTS[:6] == [(1, 0, 2), (0, 0, 2), (2, 0, 2), (1, 1, 1), (0, 1, 1), (2, 1, 1)]


def test_blocks_with_black_and_white_pixels_give_up_headroom_not_contrast():
    """Lines of black and white through mid-tones (text on a picture): a full payload reads back,
    and writing it moves the mid-tones by about what any block pays, the extremes by a few
    :data:`HEADROOM` steps (scaling such blocks' contrast would move both by tens of levels)."""
    gen = torch.Generator().manual_seed(3)
    levels = torch.randint(64, 193, (1, 3, 48, 64), generator=gen).float()
    levels[..., ::4, :], levels[..., 2::4, :] = 0, 255
    values = torch.rand(1, capacity(5), *payload_grid(levels.shape[-2:]), generator=gen)
    sent = embed(levels / 255, values)
    values_read, mismatch = extract(sent, capacity(5))
    assert (mismatch.mean(1) < UNRELIABLE).all() and (values_read - values).abs().max() < 4e-3
    change = (sent * 255 - levels).abs()
    extreme = (levels == 0) | (levels == 255)
    assert change[~extreme].mean() < 3 and change[extreme].mean() < 3 * HEADROOM
