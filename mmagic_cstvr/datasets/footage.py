"""Real footage held in memory for training: decoded once, optionally rescaled, with scene cuts."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import List, Sequence

import numpy as np

from ..media.readers import read_source


@dataclass
class Footage:
    """One clip: ``frames`` (T, H, W, 3) uint8 RGB and the source frame indices that start a scene."""

    name: str
    frames: np.ndarray
    cuts: List[int]

    def window_starts(self, length: int) -> List[int]:
        """Start frames of every ``length``-frame window that stays inside one scene."""
        bounds = [0] + self.cuts + [len(self.frames)]
        return [s for a, b in zip(bounds[:-1], bounds[1:]) for s in range(a, b - length + 1)]


def detect_cuts(frames: np.ndarray, factor: float = 4.0, floor: float = 12.0) -> List[int]:
    """Frames that start a new scene: the mean absolute difference to the previous frame (on a
    subsampled grey image, 0-255) exceeds ``factor`` times the clip's median difference plus
    ``floor``."""
    if len(frames) < 3:
        return []
    grey = frames[:, ::8, ::8].mean(-1)
    diff = np.abs(np.diff(grey, axis=0)).mean((1, 2))
    limit = factor * float(np.median(diff)) + floor
    return [int(k) + 1 for k in np.nonzero(diff > limit)[0]]


def load_footage(path: Path, scales: Sequence[float] = (1.0,), max_frames: int | None = None) -> List[Footage]:
    """Decode ``path`` once and return one :class:`Footage` per scale (INTER_AREA resizing)."""
    import cv2
    frames, _ = read_source(path)
    if max_frames:
        frames = frames[:max_frames]
    cuts = detect_cuts(frames)
    out = []
    for s in scales:
        if s == 1:
            scaled = frames
        else:
            h, w = frames.shape[1:3]
            size = (max(1, round(w * s)), max(1, round(h * s)))
            scaled = np.stack([cv2.resize(f, size, interpolation=cv2.INTER_AREA) for f in frames])
        out.append(Footage(f'{path.stem}@{s:g}', np.ascontiguousarray(scaled), cuts))
    return out
