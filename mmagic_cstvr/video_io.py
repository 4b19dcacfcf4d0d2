"""Reading real footage: video files through VapourSynth's bestsource, folders of frame images.

Frames come out as (H, W, 3) uint8 RGB numpy arrays. YUV sources are converted with the matrix their
frames declare (``_Matrix``), or BT.709 for HD / BT.601 for SD when they declare none.
"""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import List, Tuple

import numpy as np

IMAGE_SUFFIXES = ('.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff')


def open_video(path: str | Path):
    """A VapourSynth RGB24 clip of the video file ``path`` (frame-accurate, no index file written);
    YUV is converted as :func:`vs_cstvr.pipeline.open_rgb` does for the plugin's scripts."""
    import vapoursynth as vs
    from vs_cstvr.pipeline import open_rgb
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f'video file {path} does not exist')
    try:
        return open_rgb(str(path.resolve()), fmt='RGB24')[0]
    except vs.Error as err:
        raise ValueError(f'cannot decode {path}: {err}') from None


def clip_fps(clip) -> Fraction:
    """The clip's constant frame rate; variable-rate clips are refused."""
    if clip.fps_num == 0:
        raise ValueError('the clip has a variable frame rate; cstvr needs a constant one '
                         '(e.g. core.std.AssumeFPS(clip, fpsnum=30000, fpsden=1001))')
    return Fraction(clip.fps_num, clip.fps_den)


def frame_to_array(frame) -> np.ndarray:
    """An RGB VapourSynth frame -> (H, W, 3) array of its sample type."""
    return np.stack([np.asarray(frame[p]) for p in range(3)], axis=-1)


def read_clip_frames(clip, start: int = 0, stop: int | None = None) -> np.ndarray:
    """(T, H, W, 3) uint8 frames ``[start, stop)`` of an RGB24 clip."""
    stop = clip.num_frames if stop is None else stop
    return np.stack([frame_to_array(f) for f in
                     (clip.get_frame(n) for n in range(start, stop))]) if stop > start else \
        np.zeros((0, clip.height, clip.width, 3), np.uint8)


def list_frame_files(folder: str | Path) -> List[Path]:
    """Image files of a frame folder in name order."""
    files = sorted(p for p in Path(folder).iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise ValueError(f'{folder} holds no frame images ({", ".join(IMAGE_SUFFIXES)})')
    return files


def read_image(path: str | Path) -> np.ndarray:
    """(H, W, 3) uint8 RGB of an image file."""
    import cv2
    img = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if img is None:
        raise ValueError(f'cannot read image {path}')
    return img[..., ::-1].copy()


def read_frame_folder(folder: str | Path) -> np.ndarray:
    """(T, H, W, 3) uint8 RGB frames of a frame folder."""
    return np.stack([read_image(p) for p in list_frame_files(folder)])


def read_source(path: str | Path) -> Tuple[np.ndarray, Fraction | None]:
    """All frames of a video file or a frame folder, with the video's fps (None for folders)."""
    path = Path(path)
    if path.is_dir():
        return read_frame_folder(path), None
    clip = open_video(path)
    return read_clip_frames(clip), clip_fps(clip)
