"""Exact rational time: frame rates, factors, frame positions and processing windows.

The one source of truth for time in cstvr. Every stream has a frame rate ``fps`` held as a
:class:`fractions.Fraction`; frame ``k`` of it sits at time ``k / fps`` seconds, exactly.

Resampling a *source* stream to a *destination* stream puts destination frame ``j`` at the
source position ``j * src_fps / dst_fps``, measured in source-frame units (0 is the first source
frame, 1 the second, 2.5 half way between the third and the fourth). With this convention an integer
factor lands every destination frame of a downsample exactly on a source frame (key frames), and
30 -> 24 fps (factor 5/4) puts the 24 fps frames at 0, 1.25, 2.5, 3.75, 5, ... of the 30 fps clip.

A destination stream of a source with ``n`` frames has every frame whose time lies inside the
source's duration ``n / src_fps``: ``ceil(n * dst_fps / src_fps)`` frames.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from numbers import Rational, Real
from typing import Iterable, List, Sequence, Tuple, Union

FractionLike = Union[int, float, str, Fraction, Tuple[int, int]]

#: Largest denominator accepted when a float is turned into an exact fraction (NTSC uses 1001).
MAX_DENOMINATOR = 1001 * 1000


def fraction_text(value: Fraction) -> str:
    """``Fraction(30000, 1001)`` -> ``'30000/1001'``, ``Fraction(30)`` -> ``'30'``."""
    if value.denominator == 1:
        return str(value.numerator)
    return f'{value.numerator}/{value.denominator}'


def as_fraction(value: FractionLike, name: str = 'value') -> Fraction:
    """Turn ``value`` into a positive, finite :class:`Fraction` or raise ``ValueError``.

    Accepts ints, Fractions, ``(num, den)`` pairs, strings like ``'30000/1001'`` or ``'2.5'`` and
    floats (snapped to the nearest fraction with a denominator up to ``MAX_DENOMINATOR``, so
    29.97002997 becomes 30000/1001).
    """
    try:
        if isinstance(value, tuple):
            num, den = value
            if den == 0:
                raise ZeroDivisionError
            frac = Fraction(int(num), int(den))
        elif isinstance(value, Rational):
            frac = Fraction(value)
        elif isinstance(value, str):
            frac = Fraction(value.strip())
        elif isinstance(value, Real):
            if not math.isfinite(value):
                raise ValueError(f'{name} must be a finite number, got {value!r}')
            frac = Fraction(value).limit_denominator(MAX_DENOMINATOR)
        else:
            raise TypeError
    except ZeroDivisionError:
        raise ValueError(f'{name} has a zero denominator: {value!r}') from None
    except (TypeError, ValueError) as err:
        if isinstance(err, ValueError) and str(err).startswith(name):
            raise
        raise ValueError(f'{name} must be a number or a fraction like "30000/1001", '
                         f'got {value!r}') from None
    if frac <= 0:
        raise ValueError(f'{name} must be positive, got {value!r}')
    return frac


@dataclass(frozen=True)
class TimeMap:
    """Where the frames of a destination stream sit in a source stream.

    Attributes:
        src_fps: frame rate of the stream that is read.
        dst_fps: frame rate of the stream that is produced.
    """

    src_fps: Fraction
    dst_fps: Fraction

    def __post_init__(self):
        object.__setattr__(self, 'src_fps', as_fraction(self.src_fps, 'source fps'))
        object.__setattr__(self, 'dst_fps', as_fraction(self.dst_fps, 'target fps'))

    @classmethod
    def from_factor(cls, factor: FractionLike, src_fps: FractionLike = 1) -> 'TimeMap':
        """A map whose destination has ``1/factor`` times the source rate (factor 2 halves it)."""
        src = as_fraction(src_fps, 'source fps')
        return cls(src, src / as_fraction(factor, 'temporal factor'))

    @property
    def step(self) -> Fraction:
        """Source frames per destination frame (2 for 60 -> 30 fps, 5/4 for 30 -> 24, 2/5 for
        24000/1001 -> 60000/1001)."""
        return self.src_fps / self.dst_fps

    def inverse(self) -> 'TimeMap':
        return TimeMap(self.dst_fps, self.src_fps)

    def position(self, j: int) -> Fraction:
        """Source position of destination frame ``j`` (in source-frame units)."""
        return j * self.step

    def time(self, j: int) -> Fraction:
        """Time stamp of destination frame ``j`` in seconds."""
        return Fraction(j) / self.dst_fps

    def count(self, n_src: int) -> int:
        """Destination frames whose time lies inside a source of ``n_src`` frames."""
        if n_src < 0:
            raise ValueError(f'frame count must be >= 0, got {n_src}')
        return math.ceil(Fraction(n_src) / self.step)

    def source_span(self, j0: int, j1: int, n_src: int) -> Tuple[int, int]:
        """Source frames ``[s0, s1)`` that bracket destination frames ``[j0, j1)``.

        Every position ``p`` of those frames has ``floor(p)`` and ``floor(p) + 1`` inside the span
        where the source has them, so interpolation never reads outside it.
        """
        s0 = math.floor(self.position(j0))
        s1 = math.floor(self.position(j1 - 1)) + 2
        return max(0, min(s0, n_src - 1)), max(1, min(s1, n_src))


@dataclass(frozen=True)
class Window:
    """One unit of work: destination frames ``[dst_start, dst_stop)`` computed from source frames
    ``[src_start, src_stop)``. ``positions`` are the destination frames' source positions relative
    to ``src_start`` (floats for the model)."""

    dst_start: int
    dst_stop: int
    src_start: int
    src_stop: int
    positions: Tuple[float, ...]


def plan_windows(time_map: TimeMap, n_src: int, n_dst: int, dst_per_window: int,
                 cuts: Iterable[int] = (), context: int = 0, context_before: int = 0
                 ) -> List[Window]:
    """Tile destination frames ``[0, n_dst)`` with windows of at most ``dst_per_window`` frames.

    Windows never span a scene cut: ``cuts`` are source frame indices that start a new scene.
    A destination frame belongs to the scene of its nearest-in-time source frame and reads only
    that scene's source frames. The result depends on the clip alone, so any frame can be computed
    on its own (random access gives the same pixels as a sequential pass). ``context``: source
    frames a window reads past the ones its destination frames span, inside the scene (what a
    network that looks ahead needs); ``context_before``: the same before them.
    """
    if dst_per_window < 1:
        raise ValueError(f'a window needs at least one frame, got {dst_per_window}')
    if n_src < 1:
        raise ValueError('the source clip has no frames')
    bounds = sorted({0, n_src} | {c for c in cuts if 0 < c < n_src})
    scenes = list(zip(bounds[:-1], bounds[1:]))

    def scene_of(j: int) -> Tuple[int, int]:
        nearest = min(n_src - 1, int(round_half_up(time_map.position(j))))
        return next(s for s in scenes if s[0] <= nearest < s[1])

    windows: List[Window] = []
    j = 0
    while j < n_dst:
        scene = scene_of(j)
        stop = j + 1
        while stop < n_dst and stop - j < dst_per_window and scene_of(stop) == scene:
            stop += 1
        windows.append(window_in_scene(time_map, n_src, j, stop, scene, context, context_before))
        j = stop
    return windows


def window_in_scene(time_map: TimeMap, n_src: int, dst_start: int, dst_stop: int,
                    scene: Tuple[int, int], context: int = 0, context_before: int = 0) -> Window:
    """The window computing destination frames ``[dst_start, dst_stop)`` from the source frames
    of ``scene`` (``[first, stop)``) only, reading ``context`` frames past its span and
    ``context_before`` before it where the scene has them (see :func:`plan_windows`)."""
    s0, s1 = time_map.source_span(dst_start, dst_stop, n_src)
    s0, s1 = max(s0 - context_before, scene[0]), min(max(s1 + context, s0 + 1), scene[1])
    s0 = min(s0, s1 - 1)
    positions = tuple(float(time_map.position(k) - s0) for k in range(dst_start, dst_stop))
    return Window(dst_start, dst_stop, s0, s1, positions)


def window_for_frame(windows: Sequence[Window], n: int) -> Window:
    """The window that computes destination frame ``n`` (binary search)."""
    lo, hi = 0, len(windows)
    while lo < hi:
        mid = (lo + hi) // 2
        if windows[mid].dst_stop <= n:
            lo = mid + 1
        else:
            hi = mid
    if lo == len(windows) or not windows[lo].dst_start <= n:
        raise IndexError(f'frame {n} lies outside the planned windows')
    return windows[lo]


def eval_windows(n: int, window: int = 7, stride: int = 6) -> List[Tuple[int, int]]:
    """Frame ranges ``[start, stop)`` of the evaluation protocol's windows over ``n`` frames: 7
    frames with stride 6 by default, and a last window ending on the last frame when the stride
    leaves frames uncovered."""
    if n < 1 or window < 1 or stride < 1:
        raise ValueError(f'need n, window and stride >= 1, got {n}, {window}, {stride}')
    if n <= window:
        return [(0, n)]
    wins = [(s, s + window) for s in range(0, n - window + 1, stride)]
    if wins[-1][1] < n:
        wins.append((n - window, n))
    return wins


def round_half_up(x: Fraction) -> int:
    """Nearest integer, halves rounded up (1.5 -> 2, 2.5 -> 3): exact for fractions."""
    return math.floor(x + Fraction(1, 2))


def training_positions(n_hr: int, factor: FractionLike) -> Tuple[List[float], List[float]]:
    """Positions for one training window of ``n_hr`` HR frames at temporal ``factor``.

    Returns ``(lr_positions, hr_positions)``: the LR frames' positions in HR-frame units (0, r, 2r,
    ... up to ``n_hr - 1``; 7 frames at factor 2 give 0, 2, 4, 6) and the HR frames' positions in
    LR-frame units (``i / r``). The window starts on an LR frame, as every window of
    :func:`plan_windows` for a downsample does.
    """
    step = as_fraction(factor, 'temporal factor')
    n_lr = math.floor(Fraction(n_hr - 1) / step) + 1
    return ([float(j * step) for j in range(n_lr)],
            [float(Fraction(i) / step) for i in range(n_hr)])


def same_duration(n_a: int, fps_a: FractionLike, n_b: int, fps_b: FractionLike) -> bool:
    """Whether ``n_a`` frames at ``fps_a`` last as long as ``n_b`` frames at ``fps_b``, within one
    frame of either (when a file's audio still fits the resampled video)."""
    fa, fb = as_fraction(fps_a, 'fps'), as_fraction(fps_b, 'fps')
    return abs(Fraction(n_a) / fa - Fraction(n_b) / fb) <= max(1 / fa, 1 / fb)
