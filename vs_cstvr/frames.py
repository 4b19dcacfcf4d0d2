"""VapourSynth frames <-> numpy arrays, and the frame properties the cstvr filters write.

Frames are RGB, planar in VapourSynth and (H, W, 3) in numpy: RGB24 -> uint8 levels 0..255 (the
model reads ``v / 255``), RGBS -> float32 in [0, 1], RGBH -> float16. Writing a float array into an
RGB24 frame rounds to the nearest level, halves up
(:func:`mmagic_cstvr.structures.colour.to_uint8`).

Time properties are exact: frame ``n`` of a clip at ``fps`` gets ``_DurationNum/_DurationDen`` =
``fps.den/fps.num``, ``_AbsoluteTime`` = ``n / fps`` (float seconds, VapourSynth's convention) and the
exact fraction ``CSTVR_TimeNum/CSTVR_TimeDen``, plus ``CSTVR_PositionNum/CSTVR_PositionDen``: where
the frame lies in the source clip, in source frames.
"""
from __future__ import annotations

from fractions import Fraction
from typing import Dict, Iterable, List, Mapping

import numpy as np

from mmagic_cstvr.structures.colour import planes_to_array

#: Properties recorded by Downsample so Upsample can restore the source by default.
SRC_WIDTH = 'CSTVR_SrcWidth'
SRC_HEIGHT = 'CSTVR_SrcHeight'
SRC_FPS_NUM = 'CSTVR_SrcFpsNum'
SRC_FPS_DEN = 'CSTVR_SrcFpsDen'
SRC_NUM_FRAMES = 'CSTVR_SrcNumFrames'
SOURCE_PROPS = (SRC_WIDTH, SRC_HEIGHT, SRC_FPS_NUM, SRC_FPS_DEN, SRC_NUM_FRAMES)

#: Set by Downsample where the model hides the dropped frames' motion (the steg model at every
#: factor pair but 2x/4x): 1 when the frames carry it (only lossless RGB, or YUV 4:4:4 at 10 bits
#: or more, keeps it), 0 when ``hide_motion=0`` left it out.
HIDDEN_MOTION = 'CSTVR_HiddenMotion'

#: Scene-change properties (VapourSynth convention, as written by misc.SCDetect).
SC_PREV = '_SceneChangePrev'
SC_NEXT = '_SceneChangeNext'

#: Properties an output frame takes over from its nearest source frame.
INHERITED = ('_Primaries', '_Transfer')


def to_arrays(frames: Iterable) -> np.ndarray:
    """VapourSynth RGB frames of one format -> (T, H, W, 3) (uint8, float32 or float16)."""
    return np.stack([planes_to_array(f) for f in frames])


def write(frame, values: np.ndarray) -> None:
    """Copy (H, W, 3) ``values`` (already in the frame's sample type) into a writable frame."""
    for p in range(3):
        np.copyto(np.asarray(frame[p]), values[..., p])


def time_props(n: int, fps: Fraction, position: Fraction) -> Dict[str, object]:
    """The exact time properties of frame ``n`` of a clip at ``fps`` lying at source ``position``."""
    t = Fraction(n) / fps
    return {'_DurationNum': fps.denominator, '_DurationDen': fps.numerator,
            '_AbsoluteTime': float(t), 'CSTVR_TimeNum': t.numerator,
            'CSTVR_TimeDen': t.denominator, 'CSTVR_PositionNum': position.numerator,
            'CSTVR_PositionDen': position.denominator}


def inherited(props: Mapping) -> Dict[str, object]:
    """The properties an output frame copies from its nearest source frame."""
    return {k: props[k] for k in INHERITED if k in props}


def scene_cuts(first: int, props: List[Mapping]) -> List[int]:
    """Source frames starting a new scene, from the scene-change properties of frames
    ``first, first + 1, ...``: frame ``c`` starts a scene if it has ``_SceneChangePrev`` or frame
    ``c - 1`` has ``_SceneChangeNext``."""
    cuts = []
    for i in range(1, len(props)):
        if props[i].get(SC_PREV, 0) or props[i - 1].get(SC_NEXT, 0):
            cuts.append(first + i)
    return cuts
