"""Per-batch random space-time factors for training continuous-scale models."""
import random
from typing import Optional, Sequence, Tuple

from ..structures.lattice import check_scale


class FactorSampler:
    """Draws one (temporal, spatial) factor pair per training batch.

    With probability ``named_prob`` a pair is taken from ``named`` (e.g. 2x/1x, 2x/4x and 5/4 for
    30 <-> 24 fps); otherwise each factor is uniform in its range. A range (a, a) fixes the factor.
    """

    def __init__(self, temporal: Sequence[float] = (1.0, 4.0), spatial: Sequence[float] = (1.0, 4.0),
                 named: Sequence[Tuple[float, float]] = ((2, 1), (2, 4), (1.25, 1)),
                 named_prob: float = 0.5, seed: Optional[int] = None):
        for lo, hi in (temporal, spatial):
            check_scale(lo, 'factor range start')
            check_scale(hi, 'factor range end')
            if lo > hi:
                raise ValueError(f'factor range ({lo}, {hi}) is empty')
        if not 0 <= named_prob <= 1:
            raise ValueError(f'named_prob must lie in [0, 1], got {named_prob}')
        self.temporal, self.spatial = tuple(temporal), tuple(spatial)
        self.named = [(check_scale(t, 'temporal factor'), check_scale(s, 'spatial factor'))
                      for t, s in named]
        self.named_prob = named_prob if self.named else 0.0
        self.rng = random.Random(seed) if seed is not None else random

    def __call__(self) -> Tuple[float, float]:
        if self.rng.random() < self.named_prob:
            return self.rng.choice(self.named)
        return self.rng.uniform(*self.temporal), self.rng.uniform(*self.spatial)
