"""8-bit straight-through quantiser: the transmitted LR frames are 8-bit in training and inference."""
import torch
from torch import nn

from ..structures.colour import quantize


class Quantize8Bit(nn.Module):
    """Clip to [0, 1] and round to the 8-bit lattice ``k / 255``.

    Forward: ``round(255 * clip(x)) / 255`` (rounding, as in inference). Backward: the identity
    inside [0, 1] and zero outside (the clip's gradient), so gradients pass the rounding.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        clipped = x.clamp(0, 1)
        return clipped + (quantize(clipped) - clipped).detach()
