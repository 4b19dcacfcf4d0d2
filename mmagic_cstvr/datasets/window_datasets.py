"""mmagic datasets of space-time windows: random training crops and the evaluation protocol's
full-frame windows. Items are packed by mmagic's ``PackInputs`` with BGR frames (mmagic's
convention; the data preprocessor hands the model RGB)."""
from __future__ import annotations

import random
from pathlib import Path
from typing import List, Optional, Sequence

import numpy as np
from torch.utils.data import Dataset

from mmagic.datasets.transforms import PackInputs
from mmagic.registry import DATASETS

from ..media.readers import expand_sources, read_source
from ..structures.timeline import eval_windows
from .footage import Footage, load_footage


def _pack(frames: np.ndarray, **meta) -> dict:
    """(T, H, W, 3) RGB uint8 -> mmagic's packed {'inputs', 'data_samples'} with BGR frames."""
    bgr = [np.ascontiguousarray(f[..., ::-1]) for f in frames]
    return PackInputs(keys=['img'], meta_keys=['key'])(dict(img=bgr, gt=bgr, img_channel_order='bgr',
                                         gt_channel_order='bgr', **meta))


@DATASETS.register_module()
class TrainingWindowDataset(Dataset):
    """Random ``num_frames`` x ``crop_size`` x ``crop_size`` windows from real footage.

    Windows never contain a scene cut. Augmentations, each with probability 1/2: horizontal and
    vertical flip, height/width transpose, time reversal.

    Args:
        sources: video files, frame folders, or folders of either.
        num_frames: HR frames per window.
        crop_size: square crop side in HR pixels.
        scales: each clip is also used rescaled by these factors (more motion per pixel at < 1).
        samples_per_epoch: the dataset's length (windows are drawn at random).
        max_frames: decode at most this many frames per clip (quick runs).
    """

    def __init__(self, sources: Sequence[str], num_frames: int = 9, crop_size: int = 64,
                 scales: Sequence[float] = (1.0,), samples_per_epoch: int = 1000,
                 max_frames: Optional[int] = None, test_mode: bool = False, **unknown):
        if unknown:
            raise TypeError(f'TrainingWindowDataset got unknown arguments: {sorted(unknown)}')
        self.num_frames, self.crop_size = int(num_frames), int(crop_size)
        self.samples_per_epoch = int(samples_per_epoch)
        self.clips: List[Footage] = []
        for path in expand_sources(sources):
            for clip in load_footage(path, scales, max_frames):
                h, w = clip.frames.shape[1:3]
                if min(h, w) >= self.crop_size and clip.window_starts(self.num_frames):
                    self.clips.append(clip)
        if not self.clips:
            raise ValueError(f'no clip in {list(sources)} has a {self.num_frames}-frame scene of at '
                             f'least {self.crop_size}x{self.crop_size} pixels')
        self.starts = [c.window_starts(self.num_frames) for c in self.clips]
        weights = np.array([len(s) for s in self.starts], dtype=np.float64)
        self.clip_weights = (weights / weights.sum()).tolist()

    def __len__(self) -> int:
        return self.samples_per_epoch

    def __getitem__(self, index: int) -> dict:
        rng = random  # seeded per worker by mmengine
        k = rng.choices(range(len(self.clips)), weights=self.clip_weights)[0]
        clip, start = self.clips[k], rng.choice(self.starts[k])
        h, w = clip.frames.shape[1:3]
        y, x = rng.randint(0, h - self.crop_size), rng.randint(0, w - self.crop_size)
        win = clip.frames[start:start + self.num_frames, y:y + self.crop_size, x:x + self.crop_size]
        if rng.random() < 0.5:
            win = win[:, :, ::-1]
        if rng.random() < 0.5:
            win = win[:, ::-1]
        if rng.random() < 0.5:
            win = win.transpose(0, 2, 1, 3)
        if rng.random() < 0.5:
            win = win[::-1]
        return _pack(win, key=f'{clip.name}/{start}')


@DATASETS.register_module()
class EvalWindowDataset(Dataset):
    """The evaluation protocol's windows (see :func:`mmagic_cstvr.structures.timeline.eval_windows`)
    over whole frames of every clip in ``sources`` (frame folders such as Vid4 or Vimeo septuplets,
    or video files)."""

    def __init__(self, sources: Sequence[str], window: int = 7, stride: int = 6,
                 max_frames: Optional[int] = None, test_mode: bool = True, **unknown):
        if unknown:
            raise TypeError(f'EvalWindowDataset got unknown arguments: {sorted(unknown)}')
        self.paths = expand_sources(sources)
        self.max_frames = max_frames
        self.items = []
        for i, path in enumerate(self.paths):
            n = len(self._frames(i))
            self.items += [(i, s, e) for s, e in eval_windows(n, window, stride)]
        self._cache = (None, None)

    def _frames(self, i: int) -> np.ndarray:
        if getattr(self, '_cache', (None,))[0] != i:
            frames, _ = read_source(self.paths[i])
            self._cache = (i, frames[:self.max_frames] if self.max_frames else frames)
        return self._cache[1]

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> dict:
        i, s, e = self.items[index]
        name = Path(self.paths[i]).stem if Path(self.paths[i]).is_file() else Path(self.paths[i]).name
        return _pack(self._frames(i)[s:e], key=f'{name}/{s:04d}')
