"""Speed of Downsample and Upsample: ``cstvr benchmark`` and ``tools/benchmark.py``.

For one workload (HR size, temporal x spatial factors, batch, dtype, device, threads) and one or
more models it measures, in one process and on the same synthetic frames:

- each model through :class:`~mmagic_cstvr.engine.clip_resampler.ClipResampler` (the engine every
  front end runs) and the naive baseline (:class:`~mmagic_cstvr.archs.NaiveResampler`) through the
  same engine, measured once for all models: output frames/s, megapixels/s and latency per window
  (median of ``runs`` timed window groups after ``warmup`` untimed ones), peak RSS while running
  (sampled), RSS after every run (flat over a long clip?) and, on CUDA,
  ``torch.cuda.max_memory_allocated``;
- the same work through the VapourSynth plugin: a real ``vspipe`` on a generated script with no
  output (``vspipe script.vpy --``), warmed up inside the script, giving the plugin/direct ratio;
- the roofline: FLOPs of one group (mmengine's analyser, the one mmagic's ``get_flops`` uses) per
  output pixel and over its measured time, against the device's peak measured with a large matrix
  product in this run;
- for ``--dtype fp16/bf16``: the round trip's RGB PSNR against the source in that dtype and in
  float32 (their difference in dB) and the PSNR between the two outputs.

The round trip's rate (HR frames/s) follows from the two directions: a downsample consumes
``factor`` HR frames per LR frame, so ``1 / (1 / (down_fps * factor) + 1 / up_fps)``.

``mode='blind'`` benchmarks blind models (``BlindResampler``): they have no Downsample, so only the
Upsample of ordinary LR is measured; with a time-only factor pair (spatial factor 1) MVTools'
frame-rate conversion (:mod:`~mmagic_cstvr.archs.mvtools_baseline`) is timed in ``vspipe`` too.

The measurements, the vspipe scripts and the table are :mod:`mmagic_cstvr.evaluation.speed`; this
module reads the options, loads and checks the models and runs the measurements in order.
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import resource
import shutil
import sys
import tempfile
from fractions import Fraction
from pathlib import Path
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

import torch

from ..engine.targets import BLIND_HAS_NO_DOWNSAMPLE
from ..errors import BenchmarkError, CstvrError
from ..evaluation.speed.measure import (MB, precision_check, roofline, roundtrip_fps,
                                        time_engine, peak_flops)
from ..evaluation.speed.table import format_table
from ..evaluation.speed.vspipe import (mvtools_skip_reason, plugin_skip_reason, time_mvtools,
                                       time_plugin)
from ..structures.lattice import parse_size as lattice_size
from ..evaluation.speed.workload import (DTYPES, SRC_FPS, Workload, compute_dtype,
                                         dtype_name)


# -- the model and the workload ------------------------------------------------------------------

def parse_models(args: Sequence[str]) -> List[Tuple[str, Optional[str]]]:
    """MODEL arguments -> ``(model, checkpoint)`` pairs: a config (``.py``) takes the argument after
    it as its checkpoint unless that is a config too; anything else is a model of its own."""
    pairs, rest = [], list(args)
    while rest:
        model = rest.pop(0)
        takes_checkpoint = model.endswith('.py') and rest and not rest[0].endswith('.py')
        pairs.append((model, rest.pop(0) if takes_checkpoint else None))
    return pairs


def load_benchmark_model(model: str, checkpoint: Optional[str] = None):
    """``(generator, cfg, weights)`` for ``model`` (shipped name, ``.safetensors`` path or mmagic
    config ``.py``) and, with a config, ``checkpoint`` (``.safetensors`` or a shipped name, never a
    pickle; none: the config's untrained network, which runs at the same speed). ``weights`` is
    whether trained weights were loaded."""
    from ..engine.weights import build_generator, generator_cfg, load_generator, read_weights
    if model.endswith('.py'):
        cfg = generator_cfg(model)
        if checkpoint is None:
            return build_generator(cfg).eval(), cfg, False
        return load_generator(checkpoint, config=model), cfg, True
    _, _, cfg = read_weights(model)
    return load_generator(model), cfg, True


def check_kind(generator, *, label: str, mode: str) -> None:
    """Refuse a model whose kind (steg or blind) is not ``mode``."""
    kind = getattr(generator, 'mode', 'steg')
    if kind == mode:
        return
    if mode == 'blind':
        raise BenchmarkError(f'--mode blind needs blind models (BlindResampler), but {label!r} '
                             f'is a {kind} model; benchmark it without --mode blind')
    raise BenchmarkError(f'{label!r} {BLIND_HAS_NO_DOWNSAMPLE}: benchmark it with --mode blind '
                         f'(Upsample of ordinary LR only)')


def parse_size(text: str) -> Tuple[int, int]:
    """``'960x540'`` -> (height, width)."""
    try:
        return lattice_size(text, '--size')
    except ValueError as err:
        raise BenchmarkError(str(err)) from None


def parse_factors(text: str) -> Tuple[Fraction, float]:
    """``'2x4'`` or ``'5/4x1'`` -> (temporal factor, spatial factor), both >= 1."""
    from ..evaluation.harness import parse_factor_pair
    try:
        factor, scale = parse_factor_pair(text)
    except ValueError:
        factor, scale = None, None
    if factor is None or factor < 1 or scale < 1:
        raise BenchmarkError(f'--factors must be TIMExSPACE with factors >= 1, like 2x4 or 5/4x1;'
                             f' got {text!r}')
    return factor, scale


# -- the whole benchmark ---------------------------------------------------------------------------

class BenchModel(NamedTuple):
    """One model of the run, loaded: ``label`` names it in the table."""
    label: str
    model: str
    checkpoint: Optional[str]
    generator: torch.nn.Module
    cfg: Optional[dict]
    trained: bool


def load_models(args: Sequence[str], *, mode: str) -> List[BenchModel]:
    """Every model of ``args`` (:func:`parse_models`), loaded and checked against ``mode``, before
    anything is timed."""
    models = []
    for model, checkpoint in parse_models(args):
        label = model if checkpoint is None else f'{model} + {checkpoint}'
        generator, cfg, trained = load_benchmark_model(model, checkpoint)
        check_kind(generator, label=label, mode=mode)
        models.append(BenchModel(label, model, checkpoint, generator, cfg, trained))
    return models


def check_options(*, dtype: str, warmup: int, runs: int, device: str,
                  threads: Optional[int]) -> Tuple[torch.device, int]:
    """Refuse impossible options; the device and the torch threads the run uses (set here)."""
    if dtype not in DTYPES:
        raise BenchmarkError(f'--dtype must be one of {", ".join(DTYPES)}, got {dtype!r}')
    if warmup < 0 or runs < 1:
        raise BenchmarkError(f'need --warmup >= 0 and --runs >= 1, got {warmup} and {runs}')
    device = torch.device(device)
    if device.type == 'cuda' and not torch.cuda.is_available():
        raise BenchmarkError('--device cuda: torch sees no CUDA device; use --device cpu')
    if dtype == 'fp16' and device.type != 'cuda':
        raise BenchmarkError('--dtype fp16 runs on CUDA only (the plugin computes in float16 for '
                             'RGBH clips on CUDA); use --dtype bf16 on the CPU')
    if threads is not None:
        if threads < 1:
            raise BenchmarkError(f'--threads must be >= 1, got {threads}')
        torch.set_num_threads(threads)
    return device, torch.get_num_threads()


def pick_directions(*, mode: str, only: Optional[str]) -> Tuple[str, ...]:
    """The directions measured: both (or ``only``) for steg models, Upsample for blind ones."""
    if mode not in ('steg', 'blind'):
        raise BenchmarkError(f'--mode must be steg or blind, got {mode!r}')
    if mode == 'blind':
        if only == 'down':
            raise BenchmarkError('--mode blind measures Upsample only (blind models have no '
                                 'Downsample); drop --only down')
        return ('up',)
    return (only,) if only else ('down', 'up')


def plugin_weights(bench: BenchModel, path: Path) -> str:
    """The absolute path of the weights file the plugin loads (vspipe runs the script from its
    own folder): the model's own, or (config) the network saved to ``path``."""
    from ..engine.weights import resolve, save_weights
    if bench.model.endswith('.py'):
        return str(save_weights(bench.generator, bench.cfg, path).resolve())
    return str(resolve(bench.model).resolve())


def measure_naive(work: Workload, *, directions: Sequence[str], device, warmup: int, runs: int,
                  log) -> Dict:
    """The naive baseline in every direction (float32), and its round trip when both are run."""
    from ..archs import NaiveResampler
    naive = NaiveResampler().to(device).eval()
    direct = {}
    for direction in directions:
        engine = work.engine(naive, direction, device, torch.float32)
        windows = work.group(engine)
        log(f'naive {direction}: {len(windows)} window(s), {warmup} warm-up + {runs} timed runs')
        direct[direction] = time_engine(engine, windows, work.sources(engine, windows),
                                        warmup=warmup, runs=runs)
    result = dict(direct=direct)
    if set(directions) == {'down', 'up'}:
        result['roundtrip'] = roundtrip_fps(direct['down']['fps'], direct['up']['fps'],
                                            work.factor)
    return result


def measure_model(bench: BenchModel, *, work: Workload, directions: Sequence[str], mode: str,
                  dtype: str, device, threads: int, warmup: int, runs: int, naive: Dict,
                  peak: Dict, plugin_skip: Optional[str], folder: Path, log) -> Dict:
    """One model in every direction: directly (against ``naive``), its roofline, through the plugin
    (unless ``plugin_skip`` says why not), the round trip and, for steg in fp16/bf16, the
    precision."""
    generator = copy.deepcopy(bench.generator).to(device).eval()
    networks = {dt: copy.deepcopy(generator).to(dt) for dt in
                {compute_dtype(d, dtype) for d in directions}}
    weights = None if plugin_skip else plugin_weights(bench, folder / 'model.safetensors')
    entry = dict(label=bench.label, model=bench.model, checkpoint=bench.checkpoint, kind=mode,
                 trained_weights=bench.trained,
                 params=sum(p.numel() for p in generator.parameters()),
                 direct={}, plugin={}, roofline={}, ratios={})
    for direction in directions:
        torch_dtype = compute_dtype(direction, dtype)
        engine = work.engine(networks[torch_dtype], direction, device, torch_dtype)
        windows = work.group(engine)
        sources = work.sources(engine, windows)
        log(f'{bench.label} {direction}: {len(windows)} window(s) of {len(windows[0].positions)} '
            f'frames, {warmup} warm-up + {runs} timed runs, then FLOPs (mmengine analyser)')
        entry['direct'][direction] = stats = time_engine(engine, windows, sources,
                                                         warmup=warmup, runs=runs)
        entry['ratios'][f'{direction}_model_to_naive'] = (stats['fps'] /
                                                          naive['direct'][direction]['fps'])
        entry['roofline'][direction] = roofline(engine, windows, sources, stats=stats,
                                                peak=peak[dtype_name(torch_dtype)])
        if plugin_skip:
            entry['plugin'][direction] = dict(skipped=plugin_skip)
            continue
        log(f'{bench.label} {direction}: the same through core.cstvr in vspipe')
        plug = time_plugin(work, direction=direction, weights=weights, mode=mode, dtype=dtype,
                           device=device, threads=threads, warmup=warmup, runs=runs,
                           group_frames=stats['frames_per_run'], folder=folder)
        plug['ratio_to_direct'] = plug['fps'] / stats['fps']
        entry['plugin'][direction] = plug
    if set(directions) == {'down', 'up'}:
        entry['roundtrip'] = model_roundtrip(entry, work=work, naive_fps=naive['roundtrip'])
    if dtype != 'fp32' and mode == 'steg':
        log(f'{bench.label} precision: round trip in {dtype} and in fp32')
        entry['precision'] = precision_check(generator, work, device=device, dtype=dtype)
    return entry


def model_roundtrip(entry: Dict, *, work: Workload, naive_fps: float) -> Dict:
    """HR frames/s of the round trip directly and (when measured) through the plugin, against the
    naive one, and its FLOPs per HR pixel (the Downsample's spread over the HR pixels it reads)."""
    direct, plugin, roof = entry['direct'], entry['plugin'], entry['roofline']
    hr_pixels = work.hr[0] * work.hr[1]
    flop = None if None in (roof['down']['flops_per_run'], roof['up']['flops_per_run']) else (
        roof['down']['flops_per_run'] / (direct['down']['frames_per_run'] * float(work.factor)
                                         * hr_pixels)
        + roof['up']['flops_per_run'] / (direct['up']['frames_per_run'] * hr_pixels))
    fps = roundtrip_fps(direct['down']['fps'], direct['up']['fps'], work.factor)
    rt = dict(direct=fps, model_to_naive=fps / naive_fps, flop_per_pixel=flop)
    if 'fps' in plugin['down'] and 'fps' in plugin['up']:
        rt['plugin'] = roundtrip_fps(plugin['down']['fps'], plugin['up']['fps'], work.factor)
        rt['plugin_to_direct'] = rt['plugin'] / fps
    return rt


def run_benchmark(models: Sequence[str], *, size: str = '960x540', factors: str = '2x4',
                  batch: int = 1, dtype: str = 'fp32', device: str = 'cpu', warmup: int = 1,
                  runs: int = 3, threads: Optional[int] = None, mode: str = 'steg',
                  vspipe: bool = True, only: Optional[str] = None, log=print) -> Dict:
    """Measure the workload for every one of ``models`` (MODEL arguments, :func:`parse_models`)
    next to one naive baseline (module docstring); returns the JSON-ready results."""
    device, threads = check_options(dtype=dtype, warmup=warmup, runs=runs, device=device,
                                    threads=threads)
    work = Workload(parse_size(size), *parse_factors(factors), batch)
    directions = pick_directions(mode=mode, only=only)
    benched = load_models(models, mode=mode)
    if mode == 'blind':
        log('blind mode: Upsample of ordinary LR only (blind models have no Downsample)')
    dtypes = {dtype_name(compute_dtype(d, dtype)): compute_dtype(d, dtype) for d in directions}
    workload = dict(work.describe(), mode=mode, dtype=dtype, device=str(device), threads=threads,
                    warmup=warmup, runs=runs, **{f'{d}_dtype': dtype_name(compute_dtype(d, dtype))
                                                 for d in directions})
    result = dict(workload=workload,
                  system=dict(torch=torch.__version__, cpu_count=os.cpu_count(),
                              device_name=(torch.cuda.get_device_name(device)
                                           if device.type == 'cuda' else 'cpu'),
                              load_average=os.getloadavg()))
    log('peak: a large matrix product in ' + ', '.join(dtypes))
    result['peak'] = {name: peak_flops(device, dt) for name, dt in dtypes.items()}
    result['naive'] = measure_naive(work, directions=directions, device=device, warmup=warmup,
                                    runs=runs, log=log)
    plugin_skip = plugin_skip_reason(vspipe=vspipe)
    folder = Path(tempfile.mkdtemp(prefix='cstvr-benchmark-'))
    try:
        result['models'] = [measure_model(
            bench, work=work, directions=directions, mode=mode, dtype=dtype, device=device,
            threads=threads, warmup=warmup, runs=runs, naive=result['naive'], peak=result['peak'],
            plugin_skip=plugin_skip, folder=folder, log=log) for bench in benched]
        if mode == 'blind':
            result['mvtools'] = measure_mvtools(work, vspipe=vspipe, threads=threads, warmup=warmup,
                                                runs=runs, naive=result['naive'], folder=folder,
                                                log=log)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    result['self_peak_rss_mb'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / MB
    return result


def measure_mvtools(work: Workload, *, vspipe: bool, threads: int, warmup: int, runs: int,
                    naive: Dict, folder: Path, log) -> Dict:
    """MVTools in vspipe on the naive Upsample's groups (:func:`time_mvtools`), or why not."""
    reason = mvtools_skip_reason(work, vspipe=vspipe)
    if reason is not None:
        log(f'mvtools: skipped ({reason})')
        return dict(skipped=reason)
    log(f'mvtools: mv.FlowFPS to {SRC_FPS} fps in vspipe, {runs} run(s)')
    return time_mvtools(work, threads=threads, warmup=warmup, runs=runs,
                        group_frames=naive['direct']['up']['frames_per_run'], folder=folder)


# -- command line ---------------------------------------------------------------------------------

def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument('models', nargs='+', metavar='MODEL',
                        help='shipped model name (steg, blind), .safetensors weights, or an mmagic '
                             'config followed by its CHECKPOINT (.safetensors or shipped name; '
                             'none: untrained); several are measured side by side')
    parser.add_argument('--mode', choices=('steg', 'blind'), default='steg',
                        help='blind: blind models, Upsample of ordinary LR only (and MVTools at '
                             'TIMEx1)')
    parser.add_argument('--size', default='960x540', help='HR (output of Upsample) size WxH')
    parser.add_argument('--factors', default='2x4', help='temporal x spatial, e.g. 2x4, 2x1, 5/4x1')
    parser.add_argument('--batch', type=int, default=1, help='windows per network call')
    parser.add_argument('--dtype', choices=sorted(DTYPES), default='fp32')
    parser.add_argument('--device', default='cpu', help='cpu, cuda or cuda:N')
    parser.add_argument('--warmup', type=int, default=1, help='untimed runs first')
    parser.add_argument('--runs', type=int, default=3, help='timed runs (the median is reported)')
    parser.add_argument('--threads', type=int, help='torch threads (default: torch\'s)')
    parser.add_argument('--only', choices=('down', 'up'), help='measure one direction')
    parser.add_argument('--json', metavar='OUT', help='also write the results to this JSON file')
    parser.add_argument('--no-vspipe', action='store_true', help='skip the plugin path')
    parser.add_argument('-q', '--quiet', action='store_true', help='no progress lines')
    return parser


def main(args: argparse.Namespace) -> int:
    log = (lambda *a, **k: None) if args.quiet else \
        (lambda msg: print(f'[benchmark] {msg}', file=sys.stderr, flush=True))
    try:
        result = run_benchmark(args.models, size=args.size, factors=args.factors,
                               batch=args.batch, dtype=args.dtype, device=args.device,
                               warmup=args.warmup, runs=args.runs, threads=args.threads,
                               mode=args.mode, vspipe=not args.no_vspipe, only=args.only, log=log)
    except CstvrError as err:
        print(f'cstvr benchmark: error: {err}', file=sys.stderr)
        return 2
    print(format_table(result))
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(result, indent=2))
        print(f'wrote {args.json}')
    return 0


def add_parser(sub) -> None:
    """The ``cstvr benchmark`` subcommand."""
    p = sub.add_parser('benchmark', help='frames/s, latency, memory and roofline of '
                                         'Downsample/Upsample against the naive baseline',
                       description=__doc__.split('\n\n')[0])
    add_arguments(p)
    p.set_defaults(func=main)
