"""Numbers hidden in 8-bit frames: dither modulation of block-DCT coefficients.

A frame (B, 3, H, W) in [0, 1] is cut into 8x8 blocks per channel and each block is mapped by the
orthonormal 2-D DCT-II (an invertible linear map). One number ``u`` in [0, 1) is written into one
coefficient ``c`` by moving ``c`` to the nearest point of the lattice ``step * (Z + u)``
(quantisation-index modulation); it is read back as ``c / step mod 1``. The picture's own content
does not disturb the reading, only what happens to the pixels after writing: rounding to 8 bits
moves a coefficient by about 0.29 (standard deviation), so ``step`` 10 reads ``u`` to about 0.03.
Writing costs ``step ** 2 / 12`` of squared error per coefficient used (about 47 dB for 25 of a
block's 192 coefficients at step 10).

A value in [0, 1] is written as ``digits`` digits in base ``base`` (coarse to fine), each in a
coefficient of its own, and read back by unwrapping each digit against the one before: precision
``0.03 / base ** (digits - 1)`` of the range. Unwrapping needs each digit's reading error well
under ``0.5 / base``: at step 10, base 3 leaves about six standard deviations (after the
dither :func:`embed` uses, about four). Only whole blocks carry values: the payload grid of a
frame is ``(H // 8, W // 8)``; pixels past the last whole block are left as they are.
"""
from __future__ import annotations

import math
from typing import List, Tuple

import torch

#: Block side (pixels).
BLOCK = 8

#: A value in [0, 1] is written at ``MARGIN + (1 - 2 * MARGIN) * value`` so that its coarse digit
#: never lies next to the wrap-around of the lattice.
MARGIN = 0.15


#: Mean unwrapping mismatch (in units of a digit's step) above which values are taken as not
#: what was written. Read back as written, a digit sits about 0.1 from where the one before it
#: points; after a lossy codec, or where nothing was written, anywhere in [0, 0.5] (mean 0.25).
UNRELIABLE = 0.17

#: Levels by which each retry of a block that does not read back keeps its pixels further from
#: black and white.
HEADROOM = 4

#: Largest error of one digit (in units of a digit's step, times the base) a written block may
#: keep: well inside the half step past which unwrapping takes the wrong turn.
DIGIT_TOLERANCE = 0.4


def _coefficient_slots() -> List[Tuple[int, int, int]]:
    """(channel, row, column) of the coefficients that carry digits, in the order they are used:
    every frequency past the first diagonal (row + column from 2 to 14), low frequencies first,
    green before red before blue."""
    slots = []
    for diagonal in range(2, 2 * BLOCK - 1):
        for row in range(diagonal + 1):
            col = diagonal - row
            if row < BLOCK and col < BLOCK:
                slots += [(channel, row, col) for channel in (1, 0, 2)]
    return slots


#: Coefficients available per block, in the order digits take them.
SLOTS = _coefficient_slots()


def capacity(digits: int) -> int:
    """How many values one block holds at ``digits`` digits per value."""
    return len(SLOTS) // digits


def _block_transform(dtype, device) -> torch.Tensor:
    """(64, 64) orthonormal 2-D DCT-II of a flattened 8x8 block (row-major): a block's
    coefficients are ``pixels @ T.T``, its pixels ``coefficients @ T``."""
    k = torch.arange(BLOCK, dtype=torch.float64).view(-1, 1)
    i = torch.arange(BLOCK, dtype=torch.float64).view(1, -1)
    d = torch.cos(math.pi * (2 * i + 1) * k / (2 * BLOCK)) * math.sqrt(2 / BLOCK)
    d[0] /= math.sqrt(2)
    return torch.kron(d, d).to(dtype=dtype, device=device)


def payload_grid(size: Tuple[int, int]) -> Tuple[int, int]:
    """(rows, columns) of whole blocks in a frame of ``size`` (H, W)."""
    return size[0] // BLOCK, size[1] // BLOCK


def _split(levels: torch.Tensor) -> torch.Tensor:
    """(B, 3, H, W) -> the whole blocks' pixels (B * h * w, 3, 64), blocks in raster order."""
    b, c, _, _ = levels.shape
    h, w = payload_grid(levels.shape[-2:])
    x = levels[..., :h * BLOCK, :w * BLOCK].reshape(b, c, h, BLOCK, w, BLOCK)
    return x.permute(0, 2, 4, 1, 3, 5).reshape(b * h * w, c, BLOCK * BLOCK)


def _merge(blocks: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`_split`, written over the whole-block region of a copy of ``out``."""
    b, c, _, _ = out.shape
    h, w = payload_grid(out.shape[-2:])
    out = out.clone()
    out[..., :h * BLOCK, :w * BLOCK] = blocks.reshape(b, h, w, c, BLOCK, BLOCK).permute(
        0, 3, 1, 4, 2, 5).reshape(b, c, h * BLOCK, w * BLOCK)
    return out


def _slot_index(n: int, device) -> Tuple[torch.Tensor, torch.Tensor]:
    """Channel and flattened coefficient index of the first ``n`` :data:`SLOTS`."""
    chosen = torch.tensor(SLOTS[:n], device=device)
    return chosen[:, 0], chosen[:, 1] * BLOCK + chosen[:, 2]


def _digits(values: torch.Tensor, digits: int, base: int) -> torch.Tensor:
    """(B, V, h, w) values in [0, 1] -> (B * h * w, V, digits) digits in [0, 1)."""
    u = MARGIN + (1 - 2 * MARGIN) * values.clamp(0, 1)
    out = [torch.remainder(u * base ** d, 1.0) for d in range(digits)]
    return torch.stack(out, -1).permute(0, 2, 3, 1, 4).flatten(0, 2)


def _unwrap(read: torch.Tensor, base: int) -> Tuple[torch.Tensor, torch.Tensor]:
    """Digits ``read`` (..., V, digits) in [0, 1), coarse to fine -> the values they spell
    (..., V) in [0, 1) and each value's mean mismatch (..., V) of a digit against where the ones
    before it point (in units of a digit's step)."""
    digits = read.shape[-1]
    u = read[..., 0]
    mismatch = torch.zeros_like(u)
    for d in range(1, digits):
        scale = base ** d
        turns = u * scale - read[..., d]
        mismatch = mismatch + (turns - torch.round(turns)).abs()
        u = (torch.round(turns) + read[..., d]) / scale
    return u, mismatch / max(digits - 1, 1)


def _write(picture: torch.Tensor, target: torch.Tensor, written: torch.Tensor, step: float,
           base: int, rounds: int, noise: torch.Generator) -> Tuple[torch.Tensor, torch.Tensor]:
    """Blocks ``picture`` (N, 3, 64) of 8-bit levels with ``target`` digits (N, V, digits)
    written where ``written`` (N, V): the best of ``rounds`` rounded tries (N, 3, 64) and how
    far it is from reading back (N,): its largest digit error over :data:`DIGIT_TOLERANCE`
    ``/ base`` or its values' mean mismatch over :data:`UNRELIABLE`, whichever is larger; at
    most 1 reads back as written."""
    t = _block_transform(picture.dtype, picture.device)
    n_values, digits = target.shape[1:]
    ch, index = _slot_index(n_values * digits, picture.device)
    target = target.flatten(1)
    every_digit = written.repeat_interleave(digits, -1)

    def coefficients(x):
        return (x @ t.T)[:, ch, index]

    def miss(c):
        read = torch.remainder(c / step, 1.0)
        digit = (torch.remainder(read - target + 0.5, 1.0) - 0.5).abs() * every_digit
        _, mismatch = _unwrap(read.unflatten(-1, (n_values, digits)), base)
        mean_mismatch = (mismatch * written).sum(-1) / written.sum(-1).clamp(min=1)
        return torch.maximum(digit.amax(-1) * base / DIGIT_TOLERANCE, mean_mismatch / UNRELIABLE)

    c = coefficients(picture)
    best, best_miss = picture, miss(c)
    correction = torch.zeros_like(picture)
    for _ in range(rounds):
        missing = torch.where(every_digit, step * (torch.round(c / step - target) + target) - c,
                              0.0)
        change = torch.zeros_like(picture)
        change[:, ch, index] = missing
        correction = correction + change @ t
        dither = torch.rand(picture.shape, generator=noise, dtype=picture.dtype) - 0.5
        x = picture + correction + dither.to(picture.device)
        x = x + (-x.amin(-1, keepdim=True)).clamp(min=0) \
            - (x.amax(-1, keepdim=True) - 255).clamp(min=0)
        sent = x.round().clamp(0, 255)
        c = coefficients(sent)
        now = miss(c)
        better = now < best_miss
        best = torch.where(better[:, None, None], sent, best)
        best_miss = torch.minimum(now, best_miss)
    return best, best_miss


def embed(frames: torch.Tensor, values: torch.Tensor, step: float = 10.0, digits: int = 5,
          base: int = 3, rounds: int = 8, retries: int = 4) -> torch.Tensor:
    """Write ``values`` (B, V, h, w) in [0, 1], ``(h, w) = payload_grid``, into ``frames``
    (B, 3, H, W) in [0, 1]; returns the frames on the 8-bit lattice (``k / 255``). NaN values
    are not written: their coefficients keep the picture's.

    Rounding to 8 bits would erase a small change to an already 8-bit picture, so the change is
    made ``rounds`` times, each time adding what the rounded picture still misses to a running
    correction; a block pushed past black or white is shifted back inside. A block whose digits
    still do not read back (one with both black and white pixels) has its pixels kept
    :data:`HEADROOM` levels further from black and white and is written again, up to ``retries``
    times."""
    n = values.shape[1] * digits
    if n > len(SLOTS):
        raise ValueError(f'{values.shape[1]} values of {digits} digits need {n} coefficients per '
                         f'block; a block has {len(SLOTS)}')
    if tuple(values.shape[-2:]) != payload_grid(frames.shape[-2:]):
        raise ValueError(f'values of grid {tuple(values.shape[-2:])} do not fit frames of size '
                         f'{tuple(frames.shape[-2:])} (grid {payload_grid(frames.shape[-2:])})')
    target = _digits(values.to(torch.float64).nan_to_num(0.0), digits, base)
    written = ~values.isnan().permute(0, 2, 3, 1).flatten(0, 2)
    levels = (frames.to(torch.float64) * 255).round().clamp(0, 255)
    picture = _split(levels)
    sent = picture.clone()
    noise = torch.Generator().manual_seed(0)
    todo = torch.arange(picture.shape[0], device=picture.device)
    for attempt in range(1, retries + 2):
        best, best_miss = _write(picture[todo], target[todo], written[todo], step, base, rounds,
                                 noise)
        sent[todo] = best
        failed = best_miss > 1
        if not failed.any():
            break
        todo = todo[failed]
        picture[todo] = picture[todo].clamp(HEADROOM * attempt, 255 - HEADROOM * attempt)
    return (_merge(sent, levels) / 255).to(frames.dtype)


def extract(frames: torch.Tensor, n_values: int, step: float = 10.0, digits: int = 5,
            base: int = 3) -> Tuple[torch.Tensor, torch.Tensor]:
    """The ``n_values`` values (B, V, h, w) in [0, 1] that :func:`embed` wrote into ``frames``,
    and each value's mean mismatch (B, V, h, w) of its digits against the ones before them: to
    be compared, averaged over several values, with :data:`UNRELIABLE`."""
    n = n_values * digits
    if n > len(SLOTS):
        raise ValueError(f'{n_values} values of {digits} digits need {n} coefficients per block; '
                         f'a block has {len(SLOTS)}')
    ch, index = _slot_index(n, frames.device)
    levels = (frames.to(torch.float64) * 255).round()
    t = _block_transform(levels.dtype, levels.device)
    read = torch.remainder((_split(levels) @ t.T)[:, ch, index] / step, 1.0)
    h, w = payload_grid(frames.shape[-2:])
    u, mismatch = _unwrap(read.view(frames.shape[0], h, w, n_values, digits), base)
    values = ((u - MARGIN) / (1 - 2 * MARGIN)).clamp(0, 1)
    as_maps = lambda x: x.permute(0, 3, 1, 2).to(frames.dtype)  # noqa: E731
    return as_maps(values), as_maps(mismatch)
