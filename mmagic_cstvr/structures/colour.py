"""Colour conventions: value range, 8-bit lattice, YUV matrices and BT.601 luma.

Frames inside the model are RGB float in [0, 1]. The transmitted LR frames are 8-bit: value ``v``
stands for ``v / 255`` and a float frame becomes 8-bit by rounding to the nearest level, halves up
(``floor(255 x + 1/2)``; never by truncation, and the same in numpy and torch). Luma for metrics is BT.601 studio range (16-235), as STVSR papers compute it.

YUV files are read and written with the matrix they are tagged with; untagged ones with BT.709 for
HD and BT.601 (170m) for SD (:func:`default_matrix`). Matrices are named as VapourSynth names them
(``'709'``), and :data:`FFMPEG_COLORSPACES` gives ffmpeg's names.
"""
from __future__ import annotations

import numpy as np
import torch

LEVELS = 255


def levels(x: torch.Tensor) -> torch.Tensor:
    """[0, 1] float -> nearest level 0..255 (halves up), still float; values are clipped."""
    return torch.floor(x.clamp(0, 1) * LEVELS + 0.5)


def to_uint8(x: torch.Tensor) -> torch.Tensor:
    """[0, 1] float -> uint8 levels."""
    return levels(x).to(torch.uint8)


def from_uint8(x: torch.Tensor, dtype=torch.float32) -> torch.Tensor:
    """uint8 -> [0, 1] float."""
    return x.to(dtype) / LEVELS


def frames_to_video(frames: np.ndarray, device=None) -> torch.Tensor:
    """(T, H, W, 3) uint8 frames -> (1, 3, T, H, W) float video in [0, 1]."""
    return from_uint8(torch.from_numpy(np.ascontiguousarray(frames)).to(device)).permute(3, 0, 1, 2)[None]


def video_to_frames(video: torch.Tensor) -> np.ndarray:
    """(1, 3, T, H, W) float video -> (T, H, W, 3) uint8 frames (rounded as :func:`to_uint8`)."""
    return to_uint8(video[0].permute(1, 2, 3, 0)).cpu().numpy()


def quantize(x: torch.Tensor) -> torch.Tensor:
    """[0, 1] float snapped onto the 8-bit lattice ``k / 255`` (no gradient)."""
    return levels(x) / LEVELS


def planes_to_array(frame) -> np.ndarray:
    """Three RGB planes (a VapourSynth frame, or anything indexed by plane) -> (H, W, 3) array in
    the planes' sample type (a copy)."""
    return np.stack([np.asarray(frame[p]) for p in range(3)], axis=-1)


def to_sample_type(values: np.ndarray, sample: str) -> np.ndarray:
    """Float [0, 1] array -> ``'u8'`` (8-bit levels, halves up), ``'f32'`` or ``'f16'`` samples."""
    if sample == 'u8':
        return to_uint8(torch.from_numpy(np.ascontiguousarray(values, dtype=np.float32))).numpy()
    if sample == 'f16':
        return values.astype(np.float16)
    return values.astype(np.float32, copy=False)


#: Matrix names (VapourSynth's ``matrix_s``) of the H.273 codes a source may carry.
MATRIX_NAMES = {1: '709', 5: '470bg', 6: '170m', 9: '2020ncl', 10: '2020cl', 7: '240m'}
#: ffmpeg's names (``-colorspace``, zscale's ``matrix``) of those matrices.
FFMPEG_COLORSPACES = {'709': 'bt709', '170m': 'smpte170m', '470bg': 'bt470bg',
                      '2020ncl': 'bt2020nc', '2020cl': 'bt2020c', '240m': 'smpte240m'}


#: Luma weights (Kr, Kb) of the constant-coefficient matrices by name; Kg = 1 - Kr - Kb.
LUMA_WEIGHTS = {'709': (0.2126, 0.0722), '170m': (0.299, 0.114), '470bg': (0.299, 0.114),
                '2020ncl': (0.2627, 0.0593), '240m': (0.212, 0.087)}


def ycbcr_matrix(matrix: str) -> np.ndarray:
    """(3, 3) matrix taking RGB in [0, 1] to Y in [0, 1] and Cb, Cr in [-1/2, 1/2] for the named
    matrix (before the studio-range scaling an encoder applies: 16 + 219 Y, 128 + 224 C)."""
    if matrix not in LUMA_WEIGHTS:
        raise ValueError(f'no constant YCbCr matrix {matrix!r}; choose one of {sorted(LUMA_WEIGHTS)}')
    kr, kb = LUMA_WEIGHTS[matrix]
    y = np.array([kr, 1 - kr - kb, kb])
    return np.stack([y, (np.eye(3)[2] - y) / (2 * (1 - kb)), (np.eye(3)[0] - y) / (2 * (1 - kr))])


def default_matrix(height: int) -> str:
    """The usual matrix for untagged video of this height."""
    return '709' if height >= 600 else '170m'


def rgb_to_y(rgb: np.ndarray) -> np.ndarray:
    """BT.601 studio-range luma of RGB values in [0, 255] on the last axis -> Y in [16, 235]."""
    rgb = np.asarray(rgb, dtype=np.float64)
    return 16.0 + (65.481 * rgb[..., 0] + 128.553 * rgb[..., 1] + 24.966 * rgb[..., 2]) / 255.0
