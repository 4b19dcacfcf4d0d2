"""Reading real footage for training and evaluation: video files decoded by ffmpeg, folders of
frame images, and the expansion of source paths into the clips they name.

Frames come out as (H, W, 3) uint8 RGB numpy arrays. A video file is decoded by ffmpeg as the
VapourSynth front end reads it (:func:`~mmagic_cstvr.media.probe.probe` gives bestsource's frame
count and frame rate, :class:`~mmagic_cstvr.media.ffmpeg_pipes.FrameReader` converts with zimg as
VapourSynth's ``resize`` does): YUV sources are converted with the matrix they are tagged with, or
BT.709 for HD / BT.601 for SD when they are untagged, straight to 8-bit RGB without dither.
"""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Iterable, List, Tuple

import numpy as np

from .ffmpeg_pipes import FrameReader
from .probe import probe, require_ffmpeg
from ..errors import FfmpegError

IMAGE_SUFFIXES = ('.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff')
VIDEO_SUFFIXES = ('.mp4', '.mkv', '.avi', '.mov', '.webm', '.y4m', '.m4v')


def expand_sources(sources: Iterable[str]) -> List[Path]:
    """Video files and frame folders named by ``sources``; a folder of videos or of frame folders
    expands to its members."""
    found: List[Path] = []
    for src in sources:
        path = Path(src).expanduser()
        if path.is_file():
            found.append(path)
        elif path.is_dir():
            members = sorted(path.iterdir())
            if any(p.suffix.lower() in IMAGE_SUFFIXES for p in members):
                found.append(path)
            else:
                found += [p for p in members if p.suffix.lower() in VIDEO_SUFFIXES
                          or (p.is_dir() and any(q.suffix.lower() in IMAGE_SUFFIXES
                                                 for q in p.iterdir()))]
        else:
            raise FileNotFoundError(f'training source {path} does not exist')
    if not found:
        raise ValueError(f'no video files or frame folders found in {list(sources)}')
    return found


def read_video(path: str | Path) -> Tuple[np.ndarray, Fraction]:
    """(T, H, W, 3) uint8 RGB frames of the video file ``path`` and its frame rate;
    ``ValueError`` with ffmpeg's message if it cannot be decoded."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f'video file {path} does not exist')
    ffmpeg = require_ffmpeg()
    try:
        info = probe(path, ffmpeg)
        reader = FrameReader(ffmpeg, info, info.matrix(), sample='u8')
        try:
            frames = np.empty((info.num_frames, info.height, info.width, 3), np.uint8)
            for k, frame in enumerate(reader):
                frames[k] = frame
        finally:
            reader.close()
    except FfmpegError as err:
        raise ValueError(f'cannot decode {path}: {err}') from None
    return frames, info.fps


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
    return read_video(path)
