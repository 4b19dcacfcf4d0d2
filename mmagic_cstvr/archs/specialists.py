"""A general resampler with fixed-factor specialists: one model name for every factor pair.

Each call goes to the specialist trained for its (temporal, spatial) factor pair, recognised from
the call's geometry, and to the general (continuous-factor) network otherwise. A stream
downsampled by a specialist is upsampled by the same specialist when the factors match.
"""
from __future__ import annotations

from typing import Dict, Optional, Sequence, Tuple

import torch
from torch import nn

from ..structures.lattice import scaled_size


class SpecialistSet(nn.Module):
    """``general`` and ``specialists`` behind one downsample/upsample/forward interface.

    Args:
        general: the network for factor pairs no specialist covers.
        specialists: ``(temporal, spatial)`` factor pair -> network trained at that pair; a
            temporal factor of None matches every temporal factor at that spatial factor (a
            time-only specialist at spatial factor 1, say), a spatial factor of None every
            spatial factor (:meth:`pick`). The first match that supports the temporal factor
            wins (a network with a ``supports(factor)`` method may decline one).
    """

    def __init__(self, general: nn.Module, specialists: Dict[Tuple[float, float], nn.Module]):
        super().__init__()
        modes = {general.mode} | {m.mode for m in specialists.values()}
        if len(modes) != 1:
            raise ValueError(f'a specialist set needs one mode, got {sorted(modes)}')
        self.mode = general.mode
        self.default_factors = general.default_factors
        self.general = general
        self.factors = [(None if t is None else float(t), None if s is None else float(s))
                        for t, s in specialists]
        for (_, s), net in specialists.items():
            if s is None and not hasattr(net, 'over'):
                raise ValueError(f'a specialist for every spatial factor must resample time over '
                                 f'another network (an over() method); {type(net).__name__} has '
                                 f'none')
        self.specialists = nn.ModuleList(specialists.values())

    def pick(self, factor: float, hr_size: Tuple[int, int], lr_size: Tuple[int, int]) -> nn.Module:
        """The first specialist whose temporal factor is ``factor``, whose spatial factor maps
        ``hr_size`` to ``lr_size`` and that supports ``factor``; the general network if none
        does. A specialist for every spatial factor (spatial factor None: a time network with an
        ``over`` method) serves the sizes it is given as they are, and other sizes over the
        network this set picks for temporal factor 1 at them."""
        for (t, s), net in zip(self.factors, self.specialists):
            if t is not None and abs(float(factor) - t) >= 1e-6 or \
                    not getattr(net, 'supports', lambda f: True)(float(factor)):
                continue
            if s is None and tuple(hr_size) == tuple(lr_size):
                return net
            if s is None and abs(float(factor) - 1) >= 1e-6:
                return net.over(self.pick(1, hr_size, lr_size))
            if s is not None and scaled_size(tuple(hr_size), s) == tuple(lr_size):
                return net
        return self.general

    def downsample(self, hr: torch.Tensor, size: Tuple[int, int], positions: Sequence[float],
                   step: float, **options) -> torch.Tensor:
        """The picked network's downsample, with its ``options`` (``hide_motion``)."""
        net = self.pick(step, hr.shape[-2:], size)
        return net.downsample(hr, size, positions, step, **options)

    def upsample(self, lr: torch.Tensor, size: Tuple[int, int], positions: Sequence[float],
                 step: float) -> torch.Tensor:
        net = self.pick(1 / float(step), size, lr.shape[-2:])
        return net.upsample(lr, size, positions, step)

    def forward(self, hr: torch.Tensor, factor: Optional[float] = None,
                scale: Optional[float] = None, **kwargs) -> Dict[str, torch.Tensor]:
        factor = self.default_factors[0] if factor is None else factor
        scale = self.default_factors[1] if scale is None else scale
        net = self.pick(factor, hr.shape[-2:], scaled_size(tuple(hr.shape[-2:]), scale))
        return net(hr, factor, scale, **kwargs)
