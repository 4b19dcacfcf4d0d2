"""Bjontegaard's BD-PSNR and BD-rate, and a curve's PSNR at a bitrate, on curves with known answers."""
import numpy as np
import pytest

from mmagic_cstvr.evaluation.bjontegaard import bd_metrics, psnr_at

RATES = [100, 200, 400, 800]
ANCHOR = [(r, 30 + 3 * np.log2(r / 100)) for r in RATES]


def test_a_curve_shifted_up_gains_its_shift_in_psnr():
    better = [(r, p + 1) for r, p in ANCHOR]
    d_psnr, d_rate = bd_metrics(ANCHOR, better)
    assert d_psnr == pytest.approx(1.0, abs=1e-6)
    assert d_rate < 0  # the same PSNR for fewer bits


def test_a_curve_at_half_the_bitrate_saves_half_the_bits():
    cheaper = [(r / 2, p) for r, p in ANCHOR]
    assert bd_metrics(ANCHOR, cheaper)[1] == pytest.approx(-50.0, abs=1e-4)


def test_the_comparison_is_antisymmetric_in_psnr():
    other = [(r * 1.3, p + 0.4 + 0.1 * k) for k, (r, p) in enumerate(ANCHOR)]
    assert bd_metrics(ANCHOR, other)[0] == pytest.approx(-bd_metrics(other, ANCHOR)[0], abs=1e-9)
    assert bd_metrics(ANCHOR, ANCHOR) == (pytest.approx(0, abs=1e-9), pytest.approx(0, abs=1e-9))


def test_too_few_points_or_no_overlap_give_none():
    assert bd_metrics(ANCHOR, ANCHOR[:2]) == (None, None)
    far = [(r * 1000, p + 40) for r, p in ANCHOR]  # neither bitrates nor PSNRs overlap
    assert bd_metrics(ANCHOR, far) == (None, None)


def test_psnr_at_interpolates_in_log_bitrate_inside_the_curve_only():
    assert psnr_at(ANCHOR, 300) == pytest.approx(30 + 3 * np.log2(3), abs=0.2)
    assert psnr_at(ANCHOR, 200) == pytest.approx(33.0)
    assert psnr_at(list(reversed(ANCHOR)), 400) == pytest.approx(36.0)  # any order
    assert psnr_at(ANCHOR, 50) is None and psnr_at(ANCHOR, 801) is None
