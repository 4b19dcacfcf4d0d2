"""``cstvr report``: the results table, PSNR-vs-factor plots and side-by-side crops.

Writes into one folder: ``results.json`` and ``results.md`` (method x dataset x factors: RGB/Y
PSNR/SSIM, LR-vs-reference PSNR, parameters, FLOPs per output pixel), ``psnr_vs_factor.png`` and
``side_by_side.png`` (ground truth / baseline / model / the transmitted LR frame).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Dict, List, Sequence

import numpy as np
import torch

from ..engine.weights import load_resampler
from ..media.readers import expand_sources, read_source
from ..registry import BASELINES
from ..structures.colour import frames_to_video, video_to_frames
from .flops import count_macs
from .harness import evaluate, markdown_table, parse_factors, settings_lines
from .pictures import labelled_strip, nearest_upscale
from .protocol import evaluate_clip, summarise

TEMPORAL_SWEEP = (1.25, 1.5, 2.0, 2.5, 3.0, 4.0)
SPATIAL_SWEEP = (1.5, 2.0, 2.5, 3.0, 4.0)


def macs_per_output_pixel(generator: torch.nn.Module, factors=(2.0, 4.0), size=(7, 64, 64)) -> float:
    """Multiply-adds of one window's round trip (:func:`~.flops.count_macs`) divided by its HR
    output voxels; 0 for parameter-free baselines."""
    macs = count_macs(generator, lambda x: generator(x, *factors)['output'],
                      torch.rand(1, 3, *size))
    return macs / float(np.prod(size))


def sweep(models: Sequence[str], source: str, config=None, progress=True) -> Dict:
    """RGB PSNR on ``source`` for a temporal sweep at 1x space (over the dropped frames) and a
    spatial sweep at 1x time (over all frames)."""
    from tqdm import tqdm
    clips = [read_source(p)[0] for p in expand_sources([source])]
    out = {}
    for model in models:
        generator = load_resampler(model, config)
        rows = {'temporal': {}, 'spatial': {}}
        jobs = [('temporal', (t, 1.0)) for t in TEMPORAL_SWEEP] + \
               [('spatial', (1.0, s)) for s in SPATIAL_SWEEP]
        for axis, (t, s) in tqdm(jobs, desc=f'sweep {model}', disable=not progress):
            per_clip = {str(i): evaluate_clip(generator, c, t, s) for i, c in enumerate(clips)}
            scores = summarise(per_clip)['all']
            # in time, score the dropped frames: the same frames for every method
            rows[axis][t if axis == 'temporal' else s] = scores[
                'psnr_rgb_dropped' if axis == 'temporal' else 'psnr_rgb']
        out[Path(model).stem] = rows
    return out


def plot_sweep(results: Dict, path: Path) -> None:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for model, rows in results.items():
        for ax, axis in zip(axes, ('temporal', 'spatial')):
            xs = sorted(rows[axis])
            ax.plot(xs, [rows[axis][x] for x in xs], marker='o', label=model)
    axes[0].set(xlabel='temporal factor (space 1x)', ylabel='RGB PSNR of dropped frames (dB)',
                title='PSNR vs temporal factor')
    axes[1].set(xlabel='spatial factor (time 1x)', ylabel='RGB PSNR (dB)', title='PSNR vs spatial factor')
    for ax in axes:
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


@torch.inference_mode()
def side_by_side(models: Sequence[str], source: str, factors=(2.0, 4.0), path: Path = None,
                 crop: int = 160, config=None) -> None:
    """Crops of an interpolated frame: ground truth, every model, and the transmitted LR of the
    first learned model (nearest-upscaled to the crop size)."""
    frames = read_source(expand_sources([source])[0])[0][:7]
    hr = frames_to_video(frames)
    h, w = frames.shape[1:3]
    y, x = max(0, (h - crop) // 2), max(0, (w - crop) // 2)
    mid = min(1, len(frames) - 1)
    tiles = [('ground truth', frames[mid, y:y + crop, x:x + crop])]
    lr_tile = None
    for model in models:
        out = load_resampler(model, config)(hr, *factors)
        tiles.append((Path(model).stem, video_to_frames(out['output'])[mid, y:y + crop, x:x + crop]))
        if lr_tile is None and model not in BASELINES:
            s = factors[1]
            ly, lx, lc = int(y / s), int(x / s), max(1, int(crop / s))
            lr = video_to_frames(out['stego'])[0, ly:ly + lc, lx:lx + lc]
            lr_tile = ('transmitted LR', nearest_upscale(lr, (crop, crop)))
    labelled_strip(tiles + ([lr_tile] if lr_tile else []), path)


def run(args) -> int:
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    factors = [parse_factors(f) for f in args.factors]
    if args.data:
        runs: List[Dict] = []
        for model in args.model:
            result = evaluate(model, args.data, factors, args.config, device=args.device,
                              progress=not args.quiet)
            result['macs_per_pixel'] = macs_per_output_pixel(load_resampler(model, args.config))
            runs.append(result)
        table = markdown_table(runs)
        flops = '\n'.join(f"- {r['model']}: {r['params'] / 1e6:.3f} M parameters, "
                          f"{2 * r['macs_per_pixel'] / 1e3:.1f} kFLOP per output pixel (2x/4x round trip)"
                          for r in runs) + '\n' + settings_lines(runs)
        (out / 'results.json').write_text(json.dumps(runs, indent=1))
        (out / 'results.md').write_text(table + '\n' + flops)
        print(table + '\n' + flops)
    if args.sweep_data:
        sweeps = sweep(args.model, args.sweep_data, args.config, progress=not args.quiet)
        (out / 'sweep.json').write_text(json.dumps(sweeps, indent=1))
        plot_sweep(sweeps, out / 'psnr_vs_factor.png')
    if args.crop_data:
        side_by_side(args.model, args.crop_data, factors[0], out / 'side_by_side.png', config=args.config)
    print(f'report written to {out}/')
    return 0


def add_parser(subparsers) -> None:
    p = subparsers.add_parser('report', help='results table, PSNR-vs-factor plots, side-by-side crops')
    p.add_argument('--model', nargs='+', default=['naive', 'flow'])
    p.add_argument('--config', help='mmagic config for weights files without an embedded config')
    p.add_argument('--data', nargs='+', help='datasets for the table (e.g. Vid4); none: no table')
    p.add_argument('--factors', nargs='+', default=['2x4', '2x1', '5/4x1', '1x2.5'])
    p.add_argument('--sweep-data', help='clip or folder for the PSNR-vs-factor plots')
    p.add_argument('--crop-data', help='clip for the side-by-side picture')
    p.add_argument('--device', default='cpu')
    p.add_argument('--out', default='reports')
    p.add_argument('--quiet', action='store_true')
    p.set_defaults(func=run)
