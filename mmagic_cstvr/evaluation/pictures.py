"""Pictures people look at instead of reading numbers: labelled strips of image crops."""
from __future__ import annotations

from pathlib import Path
from typing import Sequence, Tuple

import numpy as np


def nearest_upscale(image: np.ndarray, size: Tuple[int, int]) -> np.ndarray:
    """(h, w, 3) -> (H, W, 3) with visible pixels (nearest neighbour), ``size`` = (H, W)."""
    import cv2
    return cv2.resize(image, size[::-1], interpolation=cv2.INTER_NEAREST)


def labelled_strip(tiles: Sequence[Tuple[str, np.ndarray]], path: Path, gap: int = 5) -> None:
    """Write (H, W, 3) uint8 RGB tiles of equal height side by side, each under its label, as PNG."""
    import cv2
    canvas = np.concatenate([np.pad(tile, ((26, 0), (0, gap), (0, 0)), constant_values=255)
                             for _, tile in tiles], 1)
    x = 0
    for label, tile in tiles:
        cv2.putText(canvas, label, (x + 4, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1,
                    cv2.LINE_AA)
        x += tile.shape[1] + gap
    cv2.imwrite(str(path), canvas[..., ::-1])
