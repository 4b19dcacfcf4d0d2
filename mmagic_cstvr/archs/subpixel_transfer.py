"""Carry a trained LR-grid layer from one integer scale to another.

The LR-grid networks have one input layer (downsampler) or output head (upsampler) per integer
scale ``r``: a 3x3 convolution over the ``r x r`` sub-pixels of each LR pixel, folded into channels
by space-to-depth. A network trained at one scale leaves the other scales' layers untrained. This
module fills them from the trained one, treating a sub-pixel grid as a partition of the LR pixel:

- an input layer at scale ``r`` reads the box upscale of its ``r``-grid to the trained ``R``-grid,
  so an image seen through it gives the trained layer's response to that upscale;
- an output head at scale ``r`` writes the box average of the trained head's ``R``-grid residual.
"""
from __future__ import annotations

import torch
from torch import nn


def subpixel_overlap(r: int, big: int) -> torch.Tensor:
    """(r, big): the length of overlap of sub-pixel ``i`` of an ``r``-grid with sub-pixel ``p``
    of a ``big``-grid over one LR pixel of length 1 (each row sums to 1/r, each column to 1/big)."""
    lo = torch.arange(r, dtype=torch.float64).view(-1, 1) / r
    lo_big = torch.arange(big, dtype=torch.float64).view(1, -1) / big
    return (torch.minimum(lo + 1 / r, lo_big + 1 / big) - torch.maximum(lo, lo_big)).clamp(min=0)


@torch.no_grad()
def fill_input_layer(target: nn.Conv2d, source: nn.Conv2d, r: int, big: int, colours: int = 3):
    """Set ``target`` (reading ``colours * r*r`` sub-pixel channels) to ``source`` (reading
    ``colours * big*big``) applied to the box upscale of its input from the ``r``- to the
    ``big``-grid."""
    read = (big * subpixel_overlap(r, big)).to(source.weight)               # (r, big)
    w = source.weight.view(source.out_channels, colours, big, big, *source.kernel_size)
    w = torch.einsum('ocpqyx,ip,jq->ocijyx', w, read, read)
    target.weight.copy_(w.reshape_as(target.weight))
    target.bias.copy_(source.bias)


@torch.no_grad()
def fill_output_head(target: nn.Conv2d, source: nn.Conv2d, r: int, big: int, colours: int = 3):
    """Set ``target`` (writing ``colours * r*r`` sub-pixel channels) to the box average of what
    ``source`` writes on the ``big``-grid (``colours * big*big`` channels)."""
    mean = (r * subpixel_overlap(r, big)).to(source.weight)                 # (r, big)
    w = source.weight.view(colours, big, big, source.in_channels, *source.kernel_size)
    b = source.bias.view(colours, big, big)
    target.weight.copy_(torch.einsum('cpqoyx,ip,jq->cijoyx', w, mean, mean).reshape_as(target.weight))
    target.bias.copy_(torch.einsum('cpq,ip,jq->cij', b, mean, mean).reshape_as(target.bias))


def fill_scales(layers: nn.ModuleDict, trained: int, unshuffle: int, fill) -> None:
    """Fill every layer of ``layers`` (keyed by scale) from the one at scale ``trained`` with
    ``fill`` (:func:`fill_input_layer` or :func:`fill_output_head`); a scale ``r`` layer covers
    an ``r * unshuffle`` sub-pixel grid."""
    if str(trained) not in layers:
        raise ValueError(f'no layer at scale {trained}; the network has scales {sorted(layers)}')
    for key, layer in layers.items():
        if key != str(trained):
            fill(layer, layers[str(trained)], int(key) * unshuffle, trained * unshuffle)
