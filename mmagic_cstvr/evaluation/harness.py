"""``cstvr eval``: any resampler (a trained model or a classical baseline) on frame folders and
video files, with the papers' protocol, for a list of (temporal, spatial) factor pairs."""
from __future__ import annotations

import json
import time
from fractions import Fraction
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

from ..engine.weights import load_resampler
from ..media.readers import expand_sources, read_source
from ..structures.lattice import check_scale
from ..structures.timeline import as_fraction
from .protocol import evaluate_clip, summarise


def parse_factor_pair(text: str) -> Tuple[Fraction, float]:
    """``'5/4x1'`` -> (Fraction(5, 4), 1.0): the exact temporal and the spatial factor."""
    try:
        t, s = text.lower().split('x')
    except ValueError:
        raise ValueError(f'factors must look like TIMExSPACE (e.g. 2x4, 5/4x1), got {text!r}') from None
    return as_fraction(t, 'temporal factor'), check_scale(float(Fraction(s)), 'spatial factor')


def parse_factors(text: str) -> Tuple[float, float]:
    """``'2x4'`` -> (2.0, 4.0); ``'5/4x1'`` -> (1.25, 1.0): temporal x spatial."""
    t, s = parse_factor_pair(text)
    return float(t), s


def evaluate(model: str, sources: Sequence[str], factors: Sequence[Tuple[float, float]],
             config: str | None = None, window: int = 7, stride: int = 6, device='cpu',
             progress: bool = True) -> Dict:
    """Scores of ``model`` on every clip of ``sources`` for every factor pair.

    Returns ``{'model', 'params', 'results': {'TxS': {dataset: {clip|'all': scores}}}}``, and
    ``settings`` for a resampler that has them (the MVTools baseline's filter arguments).
    """
    from tqdm import tqdm
    generator = load_resampler(model, config, device)
    keys = [f'{t:g}x{s:g}' for t, s in factors]
    out = dict(model=model, params=sum(p.numel() for p in generator.parameters()),
               results={key: {} for key in keys})
    if getattr(generator, 'settings', None):
        out['settings'] = generator.settings
    for src in sources:
        dataset = Path(src).name
        per_clip = {key: {} for key in keys}
        paths = expand_sources([src])
        for path in tqdm(paths, desc=f'{model} {dataset}', disable=not progress, unit='clip'):
            frames, _ = read_source(path)  # decoded once, scored at every factor pair
            name = path.stem if path.is_file() else path.name
            for key, (t, s) in zip(keys, factors):
                per_clip[key][name] = evaluate_clip(generator, frames, t, s, window, stride, device)
        for key in keys:
            out['results'][key][dataset] = summarise(per_clip[key])
    return out


def _db(value: float) -> str:
    if value != value:  # not in the results (NaN)
        return '-'
    return 'identical' if value == float('inf') else f'{value:.2f}'


def markdown_table(runs: List[Dict]) -> str:
    """One row per (model, factors, dataset): RGB and Y PSNR/SSIM (all frames), RGB PSNR of the key
    and of the dropped frames, LR-vs-reference PSNR, params."""
    lines = ['| model | factors (time x space) | dataset | RGB PSNR / SSIM | Y PSNR / SSIM | '
             'RGB PSNR, key frames | RGB PSNR, dropped frames | LR vs reference PSNR | params |',
             '|---|---|---|---|---|---|---|---|---|']
    for run in runs:
        for key, datasets in run['results'].items():
            for dataset, clips in datasets.items():
                a = clips['all']
                lines.append(f"| {run['model']} | {key} | {dataset} | {a['psnr_rgb']:.2f} / "
                             f"{a['ssim_rgb']:.4f} | {a['psnr_y']:.2f} / {a['ssim_y']:.4f} | "
                             f"{_db(a.get('psnr_rgb_key', float('nan')))} | "
                             f"{_db(a.get('psnr_rgb_dropped', float('nan')))} | "
                             f"{_db(a['lr_psnr'])} | {run['params'] / 1e6:.2f} M |")
    return '\n'.join(lines) + '\n'


def settings_lines(runs: List[Dict]) -> str:
    """A line for each run with settings: ``- mvtools settings: Super(pel=2, ...); ...``."""
    def call(name, args):
        return f"{name}({', '.join(f'{k}={v}' for k, v in args.items())})"
    return ''.join(f"- {run['model']} settings: "
                   + '; '.join(call(k, v) for k, v in run['settings'].items()) + '\n'
                   for run in runs if run.get('settings'))


def run(args) -> int:
    """The ``cstvr eval`` command."""
    factors = [parse_factors(f) for f in args.factors]
    runs = []
    for model in args.model:
        started = time.time()
        result = evaluate(model, args.data, factors, args.config, args.window, args.stride,
                          args.device, progress=not args.quiet)
        result['seconds'] = round(time.time() - started, 1)
        runs.append(result)
    table = markdown_table(runs)
    if any(r.get('settings') for r in runs):
        table += '\n' + settings_lines(runs)
    print(table)
    if args.out:
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(runs, indent=1))
        out.with_suffix('.md').write_text(table)
        print(f'wrote {out} and {out.with_suffix(".md")}')
    return 0


MODEL_HELP = 'shipped model name, weights file, or baseline (naive, flow, mvtools)'


def add_model_and_data_arguments(p, models: List[str], model_help: str = MODEL_HELP) -> None:
    """``--model``, ``--config`` and ``--data``, as every evaluation command takes them."""
    p.add_argument('--model', nargs='+', default=models, help=model_help)
    p.add_argument('--config', help='mmagic config for weights files without an embedded config')
    p.add_argument('--data', nargs='+', required=True,
                   help='frame folders, video files, or folders of either (e.g. Vid4)')


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        'eval', help='score models and baselines with the papers\' protocol',
        description='Downsample and upsample every 7-frame window (stride 6) of every clip, LR '
                    'quantised to 8 bit, and score all frames: PSNR/SSIM on RGB and BT.601 Y, no '
                    'border crop.')
    add_model_and_data_arguments(p, ['naive'])
    p.add_argument('--factors', nargs='+', default=['2x4'], help='TIMExSPACE pairs, e.g. 2x4 2x1 5/4x1')
    p.add_argument('--window', type=int, default=7)
    p.add_argument('--stride', type=int, default=6)
    p.add_argument('--device', default='cpu')
    p.add_argument('--out', help='write results JSON here (and a .md table beside it)')
    p.add_argument('--quiet', action='store_true', help='no progress bars')
    p.set_defaults(func=run)
