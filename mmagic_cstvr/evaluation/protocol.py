"""The evaluation protocol of STVSR papers, applied to any resampler.

Each clip is cut into windows of 7 HR frames with stride 6 (one shared frame); a last window ending
on the clip's last frame is added when the stride leaves frames uncovered. Each window is
downsampled (the transmitted LR quantised to 8 bit) and upsampled back; every frame of every window
is scored (shared frames twice, as in the papers), on RGB and on BT.601 Y, without border crop.
"""
from __future__ import annotations

from typing import Dict

import numpy as np
import torch

from ..structures.colour import frames_to_video, video_to_frames
from ..structures.timeline import eval_windows, training_positions
from .metrics import frame_scores, psnr


@torch.inference_mode()
def evaluate_clip(generator, frames: np.ndarray, factor: float, scale: float, window: int = 7,
                  stride: int = 6, device='cpu') -> Dict[str, list]:
    """Score ``generator`` on one clip (T, H, W, 3) uint8 RGB.

    Returns per-frame lists ``psnr_rgb``, ``ssim_rgb``, ``psnr_y``, ``ssim_y`` over all scored frames,
    ``dropped`` (True for HR frames that have no LR frame at their time: the frames a temporal
    downsample drops) and ``lr_psnr``: each transmitted LR frame against the ordinary reference LR
    (frame dropping + antialiased bicubic), which says how ordinary the transmitted clip looks.
    """
    scores: Dict[str, list] = dict(psnr_rgb=[], ssim_rgb=[], psnr_y=[], ssim_y=[], dropped=[],
                                   lr_psnr=[])
    for s, e in eval_windows(len(frames), window, stride):
        out = generator(frames_to_video(frames[s:e], device), factor, scale)
        pred, lr, ref = (video_to_frames(out[k]) for k in ('output', 'stego', 'reference'))
        kept = {round(p) for p in training_positions(e - s, factor)[0] if p == round(p)}
        for i, (gt_frame, pred_frame) in enumerate(zip(frames[s:e], pred)):
            for k, v in frame_scores(gt_frame, pred_frame).items():
                scores[k].append(v)
            scores['dropped'].append(i not in kept)
        scores['lr_psnr'] += [psnr(a, b) for a, b in zip(ref, lr)]
    return scores


#: Frames scoring at least this PSNR are reconstructed exactly (a kept key frame of a classical
#: method); as in the CSTVR Vimeo-90K test they are left out of PSNR means and counted instead.
EXACT_PSNR = 90.0


def summarise(per_clip: Dict[str, Dict[str, list]]) -> Dict[str, Dict[str, float]]:
    """Mean of every score per clip, and ``all``: the mean over every scored frame of every clip.

    PSNR means leave out exact frames (>= ``EXACT_PSNR``); ``exact_frames`` counts them. As a
    classical method reproduces kept key frames exactly, its protocol mean covers fewer frames than
    a learned resampler's; ``psnr_rgb_dropped`` (RGB PSNR over the dropped frames only) compares
    methods on the same frames, and ``psnr_rgb_key`` over the kept (key) frames (``inf`` when all
    of them are exact).
    """
    def mean(key, values):
        values = np.asarray(values, np.float64)
        if key.startswith(('psnr', 'lr_psnr')):
            values = values[values < EXACT_PSNR]
        return float(values.mean()) if values.size else float('inf')

    def stats(scores):
        out = {k: mean(k, v) for k, v in scores.items() if k != 'dropped'}
        dropped = np.asarray(scores['dropped'], bool)
        out['psnr_rgb_dropped'] = mean('psnr', np.asarray(scores['psnr_rgb'])[dropped])
        out['psnr_rgb_key'] = mean('psnr', np.asarray(scores['psnr_rgb'])[~dropped])
        out['frames'] = len(scores['psnr_rgb'])
        out['exact_frames'] = int(np.sum(np.asarray(scores['psnr_rgb']) >= EXACT_PSNR))
        return out

    result = {clip: stats(s) for clip, s in per_clip.items()}
    if per_clip:
        keys = next(iter(per_clip.values())).keys()
        result['all'] = stats({k: [x for s in per_clip.values() for x in s[k]] for k in keys})
    return result
