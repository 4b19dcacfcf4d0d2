"""One clip through VapourSynth's real core at one factor pair, every method side by side.

    python tools/vs_roundtrip_check.py CLIP [--factor 2] [--scale 1] [--out REPORT.md]

Use footage the models were never trained or evaluated on, such as the bundled sample. The clip
is read as RGB by bestsource; at temporal ``--factor`` (a whole number) and spatial ``--scale``:

- the ordinary LR clip: every ``factor``-th frame, resized as the project's naive downsampler does
  (antialiased bicubic), rounded to 8 bits;
- ``naive``: that clip up again by bicubic resizing and a linear blend in time;
- ``MVTools``: bicubic resizing, then ``mv.Super``/``mv.Analyse``/``mv.FlowFPS`` (the project's
  MVTools settings);
- ``blind``: ``core.cstvr.Upsample(mode='blind', model='blind')`` of the ordinary LR clip;
- ``steg``: the source through ``core.cstvr.Downsample(model='steg')`` and back through
  ``core.cstvr.Upsample(mode='steg')``.

Every output frame is rounded to 8 bits and scored by RGB PSNR against the source frame at its
time: the mean over the dropped frames and over the kept ones, and how far the transmitted steg
frames are from the ordinary LR.
"""
import argparse
import math
from fractions import Fraction
from pathlib import Path

import numpy as np
import torch

import mmagic_cstvr  # noqa: F401  (compatibility fixes first)
from mmagic_cstvr.archs import NaiveResampler, reference_lr
from mmagic_cstvr.archs.mvtools_baseline import MVTOOLS_SETTINGS, MVToolsResampler, frames_clip
from mmagic_cstvr.evaluation.metrics import psnr
from mmagic_cstvr.structures.colour import planes_to_array, to_sample_type
from mmagic_cstvr.structures.lattice import scaled_size
from vs_cstvr.pipeline import open_rgb


def frames_of(clip, count=None) -> np.ndarray:
    """(T, H, W, 3) uint8 RGB of the first ``count`` frames of an RGB clip (8-bit or float)."""
    count = clip.num_frames if count is None else count
    frames = np.stack([planes_to_array(clip.get_frame(i)) for i in range(count)])
    if frames.dtype == np.uint8:
        return frames
    return to_sample_type(np.clip(frames, 0, 1), 'u8')


def as_video(frames: np.ndarray) -> torch.Tensor:
    """(T, H, W, 3) uint8 -> (1, 3, T, H, W) float in [0, 1]."""
    return torch.from_numpy(frames).permute(3, 0, 1, 2)[None].float() / 255


def as_frames(video: torch.Tensor) -> np.ndarray:
    """(1, 3, T, H, W) float in [0, 1] -> (T, H, W, 3) uint8."""
    return to_sample_type(video[0].clamp(0, 1).permute(1, 2, 3, 0).numpy(), 'u8')


def mean_psnr(frames: np.ndarray, truth: np.ndarray, which) -> float:
    """Mean RGB PSNR of ``frames[i]`` against ``truth[i]`` over ``which`` (identical frames left
    out; ``inf`` if all are identical)."""
    scores = [psnr(frames[i], truth[i]) for i in which]
    finite = [s for s in scores if math.isfinite(s)]
    return float(np.mean(finite)) if finite else math.inf


def decibels(value: float) -> str:
    return 'identical' if not math.isfinite(value) else f'{value:.2f}'


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('clip')
    parser.add_argument('--factor', type=int, default=2, help='temporal factor (whole number)')
    parser.add_argument('--scale', type=float, default=1.0, help='spatial factor')
    parser.add_argument('--out', type=Path, help='also write the table to this Markdown file')
    args = parser.parse_args()
    import vapoursynth as vs
    core = vs.core
    src, _ = open_rgb(args.clip)
    k = args.factor
    n = (src.num_frames - 1) // k * k + 1  # the clip ends on a kept frame
    src = src[:n]
    fps = Fraction(src.fps_num, src.fps_den)
    hr_size = (src.height, src.width)
    lr_size = scaled_size(hr_size, args.scale)
    truth = frames_of(src)
    lr_pos, hr_pos = list(range(0, n, k)), [i / k for i in range(n)]
    ordinary = as_frames(reference_lr(as_video(truth), lr_pos, lr_size))
    kept = core.std.AssumeFPS(frames_clip(ordinary.astype(np.float32) / 255),
                              fpsnum=(fps / k).numerator, fpsden=(fps / k).denominator)
    up = dict(fps_num=fps.numerator, fps_den=fps.denominator, num_frames=n, width=hr_size[1],
              height=hr_size[0], device_index=-1)
    stego = core.cstvr.Downsample(src, model='steg', factor_num=k, width=lr_size[1],
                                  height=lr_size[0], device_index=-1)
    with torch.no_grad():
        outputs = {
            'naive': as_frames(NaiveResampler().upsample(as_video(ordinary), hr_size, hr_pos,
                                                         1 / k)),
            'MVTools (bicubic, mv.FlowFPS)': as_frames(MVToolsResampler().upsample(
                as_video(ordinary), hr_size, hr_pos, 1 / k)),
        }
    outputs['blind (core.cstvr.Upsample)'] = frames_of(core.cstvr.Upsample(
        kept, model='blind', mode='blind', **up))
    outputs['steg (core.cstvr.Downsample, Upsample)'] = frames_of(core.cstvr.Upsample(
        stego, model='steg', mode='steg', **up))
    dropped = [i for i in range(n) if i % k]
    key = [i for i in range(n) if not i % k]
    lines = [f'`{Path(args.clip).name}`: {n} frames {hr_size[1]}x{hr_size[0]} at {fps} fps, '
             f'temporal factor {k}, spatial factor {args.scale:g} (LR {lr_size[1]}x{lr_size[0]}); '
             f'RGB PSNR of the 8-bit output frames against the source',
             '', '| method | dropped frames | kept frames |', '|---|---|---|']
    for name, frames in outputs.items():
        lines.append(f'| {name} | {decibels(mean_psnr(frames, truth, dropped))} | '
                     f'{decibels(mean_psnr(frames, truth, key))} |')
    sent = frames_of(stego)
    lines += ['', f'Transmitted steg frames against the ordinary LR: '
                  f'{decibels(mean_psnr(sent, ordinary, range(len(sent))))} dB. MVTools settings: '
                  f'{MVTOOLS_SETTINGS}.']
    text = '\n'.join(lines)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + '\n')


if __name__ == '__main__':
    main()
