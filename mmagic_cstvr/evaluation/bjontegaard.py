"""Bjontegaard's equal-bitrate comparison of two rate-distortion curves (VCEG-M33), and a curve's
PSNR at a bitrate. A curve is a list of (kbit/s, PSNR) points."""
from __future__ import annotations

from typing import Optional, Sequence, Tuple

import numpy as np


def bd_metrics(anchor: Sequence[Tuple[float, float]], test: Sequence[Tuple[float, float]]):
    """(BD-PSNR in dB, BD-rate in %) of ``test`` against ``anchor``, each a list of
    (kbit/s, PSNR) points; None where the curves do not overlap or have under 3 points."""
    if len(anchor) < 3 or len(test) < 3:
        return None, None
    ra, pa = np.log10([r for r, _ in anchor]), np.array([p for _, p in anchor])
    rt, pt = np.log10([r for r, _ in test]), np.array([p for _, p in test])
    deg = min(3, len(anchor) - 1, len(test) - 1)

    def mean_gap(xa, ya, xt, yt):
        lo, hi = max(xa.min(), xt.min()), min(xa.max(), xt.max())
        if hi <= lo:
            return None
        ia, it = np.polyint(np.polyfit(xa, ya, deg)), np.polyint(np.polyfit(xt, yt, deg))
        return ((np.polyval(it, hi) - np.polyval(it, lo)) -
                (np.polyval(ia, hi) - np.polyval(ia, lo))) / (hi - lo)

    d_psnr = mean_gap(ra, pa, rt, pt)
    d_rate = mean_gap(pa, ra, pt, rt)
    return (None if d_psnr is None else float(d_psnr),
            None if d_rate is None else float((10 ** d_rate - 1) * 100))


def psnr_at(curve: Sequence[Tuple[float, float]], kbps: float) -> Optional[float]:
    """PSNR of a (kbit/s, PSNR) curve at ``kbps``, linear in log-bitrate; None outside it."""
    pts = sorted(curve)
    x = np.log10([r for r, _ in pts])
    if not x[0] <= np.log10(kbps) <= x[-1]:
        return None
    return float(np.interp(np.log10(kbps), x, [p for _, p in pts]))
