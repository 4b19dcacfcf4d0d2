"""Exact rational time stamps, frame mapping and window tiling."""
from fractions import Fraction

import pytest

from mmagic_cstvr.structures.timeline import (TimeMap, as_fraction, plan_windows, round_half_up,
                                   training_positions, window_for_frame)

NTSC_FILM = Fraction(24000, 1001)
NTSC_60 = Fraction(60000, 1001)


@pytest.mark.parametrize('value,expected', [
    (2, Fraction(2)), ('30000/1001', Fraction(30000, 1001)), ((24000, 1001), NTSC_FILM),
    (29.97002997002997, Fraction(30000, 1001)), ('2.5', Fraction(5, 2)), (Fraction(5, 4), Fraction(5, 4)),
])
def test_as_fraction_parses_exactly(value, expected):
    assert as_fraction(value) == expected


@pytest.mark.parametrize('bad', [0, -2, '0/1', (1, 0), float('nan'), float('inf'), 'fast', None])
def test_as_fraction_rejects_bad_values(bad):
    with pytest.raises(ValueError, match='fps'):
        as_fraction(bad, 'fps')


def test_30_to_24_positions_counts_and_times():
    tm = TimeMap(30, 24)
    assert tm.step == Fraction(5, 4)
    assert [tm.position(j) for j in range(5)] == [0, Fraction(5, 4), Fraction(5, 2), Fraction(15, 4), 5]
    assert tm.count(300) == 240
    assert tm.time(24) == 1
    back = tm.inverse()
    assert back.count(240) == 300
    assert [back.position(i) for i in range(3)] == [0, Fraction(4, 5), Fraction(8, 5)]


def test_integer_factor_hits_key_frames_exactly():
    tm = TimeMap.from_factor(2, 60)
    assert tm.dst_fps == 30
    assert all(tm.position(j) == 2 * j for j in range(1000))
    assert tm.count(7) == 4
    assert training_positions(7, 2) == ([0.0, 2.0, 4.0, 6.0], [i / 2 for i in range(7)])


def test_ntsc_film_to_60_has_no_drift_over_long_clips():
    tm = TimeMap(NTSC_FILM, NTSC_60)
    assert tm.step == Fraction(2, 5)
    n = 24000 * 10  # 10,000 s of film
    assert tm.count(n) == n * 5 // 2
    j = tm.count(n) - 1
    assert tm.time(j) == Fraction(j * 1001, 60000)
    assert tm.position(j) * tm.dst_fps / tm.dst_fps == Fraction(2 * j, 5)


def test_round_half_up():
    assert [round_half_up(Fraction(x, 4)) for x in range(9)] == [0, 0, 1, 1, 1, 1, 2, 2, 2]


@pytest.mark.parametrize('src,dst,n_src,per', [
    (60, 30, 301, 4), (30, 24, 97, 4), (24, 30, 50, 5), (NTSC_FILM, NTSC_60, 37, 7), (30, 30, 10, 3),
    (30, 24, 1, 4), (60, 30, 3, 8)])
def test_windows_tile_the_clip_without_gaps_or_duplicates(src, dst, n_src, per):
    tm = TimeMap(src, dst)
    n_dst = tm.count(n_src)
    windows = plan_windows(tm, n_src, n_dst, per)
    covered = [j for w in windows for j in range(w.dst_start, w.dst_stop)]
    assert covered == list(range(n_dst))
    for w in windows:
        assert 0 <= w.src_start < w.src_stop <= n_src
        assert w.dst_stop - w.dst_start <= per
        for j, p in zip(range(w.dst_start, w.dst_stop), w.positions):
            assert p == pytest.approx(float(tm.position(j) - w.src_start))
            assert -1e-9 <= p <= w.src_stop - w.src_start  # inside or at the end of its span
        assert window_for_frame(windows, w.dst_start) is w
    # downsample windows start on a source frame
    if tm.step >= 1 and tm.step.denominator == 1:
        assert all(w.positions[0] == 0 for w in windows)


def test_windows_never_cross_a_scene_cut():
    tm = TimeMap(60, 30)
    windows = plan_windows(tm, 40, tm.count(40), 4, cuts=[11, 30])
    for w in windows:
        assert not (w.src_start < 11 < w.src_stop) and not (w.src_start < 30 < w.src_stop)
    assert [j for w in windows for j in range(w.dst_start, w.dst_stop)] == list(range(20))


def test_window_context_reads_frames_on_both_sides_inside_the_scene():
    """An upsample window of a network that fuses neighbouring frames reads one LR frame before
    and after its span, never across a cut or past the clip, with positions still on its frames."""
    tm = TimeMap(12, 24)
    plain = plan_windows(tm, 20, tm.count(20), 8, cuts=[9])
    wide = plan_windows(tm, 20, tm.count(20), 8, cuts=[9], context=1, context_before=1)
    assert [(w.dst_start, w.dst_stop) for w in wide] == [(w.dst_start, w.dst_stop) for w in plain]
    for p, w in zip(plain, wide):
        scene = (0, 9) if p.src_start < 9 else (9, 20)
        assert w.src_start == max(p.src_start - 1, scene[0])
        assert w.src_stop == min(p.src_stop + 1, scene[1])
        for j, q in zip(range(w.dst_start, w.dst_stop), w.positions):
            assert q == pytest.approx(float(tm.position(j) - w.src_start))
    assert any(w.src_start == p.src_start - 1 for p, w in zip(plain, wide))


def test_bad_windows_are_refused():
    with pytest.raises(ValueError, match='at least one frame'):
        plan_windows(TimeMap(30, 24), 10, 8, 0)
    with pytest.raises(ValueError, match='no frames'):
        plan_windows(TimeMap(30, 24), 0, 0, 4)
