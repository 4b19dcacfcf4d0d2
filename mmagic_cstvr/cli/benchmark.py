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
"""
from __future__ import annotations

import argparse
import copy
import json
import math
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from fractions import Fraction
from pathlib import Path
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

import numpy as np
import torch

from ..structures.lattice import scaled_size

DTYPES = {'fp32': torch.float32, 'fp16': torch.float16, 'bf16': torch.bfloat16}
SRC_FPS = Fraction(30)
PAGE = os.sysconf('SC_PAGE_SIZE')
MB = 1 << 20


class BenchmarkError(ValueError):
    """A benchmark request that cannot run; the message says what to change."""


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
    raise BenchmarkError(f'{label!r} is a blind model, which has no Downsample: benchmark it '
                         f'with --mode blind (Upsample of ordinary LR only)')


def parse_size(text: str) -> Tuple[int, int]:
    """``'960x540'`` -> (height, width)."""
    m = re.fullmatch(r'\s*(\d+)\s*[xX]\s*(\d+)\s*', text)
    if not m or int(m.group(1)) < 1 or int(m.group(2)) < 1:
        raise BenchmarkError(f'--size must be WxH with positive sides, like 960x540; got {text!r}')
    return int(m.group(2)), int(m.group(1))


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


def test_pattern(frames: int, height: int, width: int, start: int = 0) -> np.ndarray:
    """(frames, H, W, 3) float32 frames in [0, 1]: moving gratings of a few frequencies and a
    moving disc, deterministic, so quality checks compare like with like."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32) / max(height, width)
    out = np.empty((frames, height, width, 3), np.float32)
    for i in range(frames):
        t = (start + i) / 30.0
        disc = ((x - 0.3 - 0.2 * t) ** 2 + (y - 0.25) ** 2 < 0.02).astype(np.float32)
        out[i, ..., 0] = 0.5 + 0.35 * np.sin(2 * np.pi * (3 * x + 2 * y - 0.5 * t))
        out[i, ..., 1] = 0.5 + 0.3 * np.sin(2 * np.pi * (9 * x - 0.8 * t)) * np.cos(6 * np.pi * y)
        out[i, ..., 2] = 0.15 + 0.7 * disc
    return out


class Workload:
    """The engines and source frames of one benchmark: ``down`` turns HR frames into LR, ``up``
    LR into HR; each times its first window group (``batch`` windows of the default length)."""

    def __init__(self, hr: Tuple[int, int], factor: Fraction, scale: float, batch: int):
        if batch < 1:
            raise BenchmarkError(f'--batch must be >= 1, got {batch}')
        self.hr, self.factor, self.scale, self.batch = hr, factor, scale, batch
        self.lr = scaled_size(hr, scale)
        self.lr_fps = SRC_FPS / factor

    def engine(self, generator, direction: str, device, dtype, n_src: Optional[int] = None):
        """The ClipResampler of ``direction`` for a clip long enough for ``batch + 1`` groups."""
        from ..engine.clip_resampler import LR_FRAMES_PER_WINDOW, ClipResampler
        span = LR_FRAMES_PER_WINDOW * (self.batch + 1) + 2
        if direction == 'down':
            n = n_src or math.ceil(span * self.factor) + 1
            return ClipResampler(generator, 'down', SRC_FPS, self.lr_fps, n, self.lr,
                                 device=device, dtype=dtype)
        return ClipResampler(generator, 'up', self.lr_fps, SRC_FPS, n_src or span, self.hr,
                             device=device, dtype=dtype)

    def group(self, engine) -> list:
        return engine.groups(self.batch)[0]

    def sources(self, engine, windows) -> List[np.ndarray]:
        h, w = self.hr if engine.direction == 'down' else self.lr
        return [test_pattern(win.src_stop - win.src_start, h, w, win.src_start) for win in windows]

    def describe(self) -> Dict:
        return dict(size=[self.hr[1], self.hr[0]], lr_size=[self.lr[1], self.lr[0]],
                    factors=dict(temporal=str(self.factor), spatial=self.scale), batch=self.batch)


# -- measuring ------------------------------------------------------------------------------------

def rss_bytes() -> int:
    """Resident set size of this process now."""
    with open('/proc/self/statm') as handle:
        return int(handle.read().split()[1]) * PAGE


class PeakRSS:
    """The largest RSS seen while the block runs: sampled every ``interval`` seconds and at each
    ``sample()``, so the peak is never below a reading taken inside the block."""

    def __init__(self, interval: float = 0.005):
        self.interval, self.peak = interval, rss_bytes()
        self._stop = threading.Event()
        self._lock = threading.Lock()

    def sample(self) -> int:
        """The RSS now, in bytes, counted towards the peak."""
        now = rss_bytes()
        with self._lock:
            self.peak = max(self.peak, now)
        return now

    def _watch(self):
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)

    def __enter__(self):
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.sample()


def synchronize(device) -> None:
    if torch.device(device).type == 'cuda':
        torch.cuda.synchronize(device)


def time_engine(engine, windows, sources, warmup: int, runs: int) -> Dict:
    """Median time of ``engine.run(windows, sources)`` after ``warmup`` runs, with the rates,
    latency per window and memory it took."""
    cuda = engine.device.type == 'cuda'
    for _ in range(warmup):
        engine.run(windows, sources)
    if cuda:
        torch.cuda.reset_peak_memory_stats(engine.device)
    times, rss_after = [], []
    with PeakRSS() as peak:
        for _ in range(runs):
            synchronize(engine.device)
            start = time.perf_counter()
            out = engine.run(windows, sources)
            synchronize(engine.device)
            times.append(time.perf_counter() - start)
            rss_after.append(peak.sample() / MB)
    frames = sum(len(o) for o in out)
    h, w = engine.dst_size
    median = statistics.median(times)
    stats = dict(frames_per_run=frames, windows_per_run=len(windows), times_s=times,
                 median_s=median, fps=frames / median, mpix_per_s=frames * h * w / median / 1e6,
                 latency_per_window_ms=1000 * median / len(windows), peak_rss_mb=peak.peak / MB,
                 rss_after_runs_mb=rss_after, rss_growth_mb=rss_after[-1] - rss_after[0])
    if cuda:
        stats['cuda_max_allocated_mb'] = torch.cuda.max_memory_allocated(engine.device) / MB
    return stats


def group_flops(engine, windows, sources) -> float:
    """FLOPs (2 x multiply-adds, mmengine's analyser as in mmagic's get_flops) of one
    ``engine.run`` of ``windows``: the network calls only."""
    from mmengine.analysis import FlopAnalyzer
    generator = engine.generator
    if not any(True for _ in generator.parameters()):
        return 0.0
    batch = torch.stack([engine._to_tensor(s) for s in sources])
    positions, step = windows[0].positions, float(engine.time_map.step)
    method = generator.downsample if engine.direction == 'down' else generator.upsample

    class Call(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.generator = generator

        def forward(self, x):
            return method(x, engine.dst_size, positions, step)

    # autograd on: the convolutions take torch's own path, which the analyser counts (the oneDNN
    # route of mmagic_cstvr.engine.fast_conv computes the same convolutions)
    with torch.enable_grad(), warnings.catch_warnings():
        warnings.simplefilter('ignore')  # the tracer's notes on Python ints taken from tensors
        analyzer = FlopAnalyzer(Call().eval(), (batch,))
        analyzer.unsupported_ops_warnings(False)
        analyzer.uncalled_modules_warnings(False)
        return 2.0 * analyzer.total()


def peak_flops(device, dtype, n: Optional[int] = None, runs: int = 3) -> Dict:
    """The device's matrix-product rate in ``dtype``: an n x n by n x n product, median of runs."""
    device = torch.device(device)
    n = n or (8192 if device.type == 'cuda' else 2048)
    a = torch.randn(n, n, device=device).to(dtype)
    b = torch.randn(n, n, device=device).to(dtype)
    times = []
    for i in range(runs + 1):
        synchronize(device)
        start = time.perf_counter()
        torch.mm(a, b)
        synchronize(device)
        if i:
            times.append(time.perf_counter() - start)
    median = statistics.median(times)
    return dict(matmul_n=n, median_s=median, gflops=2 * n ** 3 / median / 1e9)


# -- the plugin path and MVTools -----------------------------------------------------------------

VPY = '''\
import torch
import vapoursynth as vs

torch.set_num_threads({threads})
core = vs.core
src = core.std.BlankClip(format=vs.{fmt}, width={src_w}, height={src_h}, length={length},
                         fpsnum={fps_num}, fpsden={fps_den}, color=[0.6, 0.4, 0.2])
out = core.cstvr.{function}(src, model={model!r}, device_index={device_index}, batch={batch},
                            factor_num={factor_num}, factor_den={factor_den},
                            width={dst_w}, height={dst_h}{extra})
for n in range(0, {skip}, {group_frames}):  # warm-up groups, computed before vspipe's clock
    out.get_frame(n)
out.set_output()
'''

MVTOOLS_VPY = '''\
import vapoursynth as vs

from mmagic_cstvr.archs.mvtools_baseline import flow_fps, frames_clip
from mmagic_cstvr.cli.benchmark import test_pattern

vs.core.num_threads = {threads}
src = vs.core.std.AssumeFPS(frames_clip(test_pattern({length}, {height}, {width})),
                            fpsnum={fps_num}, fpsden={fps_den})
out = flow_fps(src, num={dst_num}, den={dst_den})
for n in range({skip}):  # warm-up frames, computed before vspipe's clock
    out.get_frame(n)
out.set_output()
'''


def find_vspipe() -> Optional[str]:
    """vspipe next to this interpreter (the venv's), else the one on PATH."""
    local = Path(sys.executable).parent / 'vspipe'
    return str(local) if local.exists() else shutil.which('vspipe')


def plugin_skip_reason(*, vspipe: bool) -> Optional[str]:
    """Why the vspipe rows are not measured (None: they are)."""
    if not vspipe:
        return '--no-vspipe'
    if find_vspipe() is None:
        return 'vspipe not found (run make setup)'
    return None


def mvtools_skip_reason(work: Workload, *, vspipe: bool) -> Optional[str]:
    """Why MVTools is not timed (None: it is): it converts the frame rate only, through vspipe."""
    if work.scale != 1:
        return f'spatial factor {work.scale:g}: MVTools converts the frame rate only (use TIMEx1)'
    reason = plugin_skip_reason(vspipe=vspipe)
    if reason is not None:
        return reason
    try:
        import vapoursynth as vs
    except ImportError:
        return 'vapoursynth is not importable'
    if not hasattr(vs.core, 'mv'):
        return 'the MVTools plugin (core.mv) is not loaded (run make setup)'
    return None


def compute_dtype(direction: str, dtype: str) -> torch.dtype:
    """What ``direction`` computes in for ``--dtype``, as in the plugin: bf16 is an Upsample option
    (Downsample then runs in float32), fp16 (RGBH clips on CUDA) serves both."""
    return torch.float32 if (direction == 'down' and dtype == 'bf16') else DTYPES[dtype]


#: Started by a fresh interpreter, so that the child's peak RSS is its own: a child forked from
#: this process would count this process's resident memory at the fork in its ``ru_maxrss``.
_PEAK_RSS_LAUNCHER = ('import os, subprocess, sys\n'
                      'p = subprocess.Popen(sys.argv[1:])\n'
                      '_, status, usage = os.wait4(p.pid, 0)\n'
                      'sys.stderr.write(f"\\ncstvr-peak-rss-kb {usage.ru_maxrss}\\n")\n'
                      'sys.exit(os.waitstatus_to_exitcode(status))\n')


def run_with_peak_rss(cmd: List[str], env: Dict[str, str]) -> Tuple[int, str, int]:
    """Run ``cmd`` (stdout discarded): its exit code, stderr and peak resident memory in KiB."""
    proc = subprocess.run([sys.executable, '-S', '-c', _PEAK_RSS_LAUNCHER, *cmd],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    stderr = proc.stderr.decode(errors='replace')
    m = re.search(r'\ncstvr-peak-rss-kb (\d+)\n\Z', stderr)
    if m is None:
        return proc.returncode or 1, stderr, 0
    return proc.returncode, stderr[:m.start()], int(m.group(1))


def run_vspipe(script: Path, *, skip: int, count: int) -> Dict:
    """Frames ``skip`` to ``skip + count - 1`` of ``script`` through ``vspipe`` with no output (this
    package first on the path): frames, seconds, frames/s, peak RSS and the command."""
    env = dict(os.environ)
    package_root = str(Path(__file__).resolve().parents[2])
    env['PYTHONPATH'] = os.pathsep.join([package_root] + [p for p in [env.get('PYTHONPATH')] if p])
    cmd = [find_vspipe(), '-s', str(skip), '-e', str(skip + count - 1), str(script), '--']
    returncode, stderr, peak_kb = run_with_peak_rss(cmd, env)
    # vspipe prints the seconds to 1/100 s and the rate from its exact clock: keep the rate
    m = re.search(r'Output (\d+) frames in [\d.]+ seconds \(([\d.]+) fps\)', stderr)
    if returncode or not m:
        raise BenchmarkError(f'vspipe failed (exit {returncode}): {stderr.strip()[-2000:]}')
    frames, fps = int(m.group(1)), float(m.group(2))
    return dict(frames=frames, seconds=frames / fps, fps=fps, peak_rss_mb=peak_kb * 1024 / MB,
                command=' '.join(cmd))


def time_plugin(work: Workload, *, direction: str, weights: str, mode: str, dtype: str, device,
                threads: int, warmup: int, runs: int, group_frames: int, folder: Path) -> Dict:
    """The same groups through ``core.cstvr.*`` in a real ``vspipe`` with no output (Upsample in
    ``mode``)."""
    device = torch.device(device)
    skip, total = warmup * group_frames, (warmup + runs) * group_frames
    if direction == 'down':
        (src_h, src_w), (dst_h, dst_w), fps = work.hr, work.lr, SRC_FPS
        length = math.ceil((total + group_frames) * work.factor)
        function = 'Downsample'
    else:
        (src_h, src_w), (dst_h, dst_w), fps = work.lr, work.hr, work.lr_fps
        length = math.ceil((total + group_frames) / work.factor)
        function = 'Upsample'
    extra = (f', mode="{mode}"' + (', bf16=1' if dtype == 'bf16' else '')
             if direction == 'up' else '')
    script = folder / f'{direction}.vpy'
    script.write_text(VPY.format(
        threads=threads, fmt='RGBH' if dtype == 'fp16' else 'RGBS', src_w=src_w, src_h=src_h,
        length=length, fps_num=fps.numerator, fps_den=fps.denominator, function=function,
        model=weights, device_index=device.index or 0 if device.type == 'cuda' else -1,
        batch=work.batch, factor_num=work.factor.numerator, factor_den=work.factor.denominator,
        dst_w=dst_w, dst_h=dst_h, extra=extra, skip=skip, group_frames=group_frames))
    stats = run_vspipe(script, skip=skip, count=runs * group_frames)
    stats['mpix_per_s'] = stats['fps'] * dst_w * dst_h / 1e6
    return stats


def time_mvtools(work: Workload, *, threads: int, warmup: int, runs: int, group_frames: int,
                 folder: Path) -> Dict:
    """MVTools' conversion of the LR test pattern to the HR rate (``flow_fps`` with
    ``MVTOOLS_SETTINGS``) in a real ``vspipe`` on ``threads`` VapourSynth threads: output frames/s,
    the median of ``runs`` vspipe runs of ``group_frames`` frames after ``warmup`` groups each."""
    from ..archs.mvtools_baseline import MVTOOLS_SETTINGS
    skip = warmup * group_frames
    (h, w), fps = work.lr, work.lr_fps
    script = folder / 'mvtools.vpy'
    script.write_text(MVTOOLS_VPY.format(
        threads=threads, length=math.ceil((skip + 2 * group_frames) / work.factor), height=h,
        width=w, fps_num=fps.numerator, fps_den=fps.denominator, dst_num=SRC_FPS.numerator,
        dst_den=SRC_FPS.denominator, skip=skip))
    timed = [run_vspipe(script, skip=skip, count=group_frames) for _ in range(runs)]
    median = statistics.median(t['fps'] for t in timed)
    return dict(frames_per_run=group_frames, fps_per_run=[t['fps'] for t in timed], fps=median,
                mpix_per_s=median * h * w / 1e6, peak_rss_mb=max(t['peak_rss_mb'] for t in timed),
                command=timed[0]['command'], settings=MVTOOLS_SETTINGS)


# -- precision ------------------------------------------------------------------------------------

def precision_check(generator, work: Workload, device, dtype: str) -> Dict:
    """Round trip of the test pattern in ``dtype`` (as :func:`compute_dtype` says) and in float32:
    RGB PSNR of each against the source, their difference, and the PSNR of the ``dtype`` output
    against the float32 one."""
    from ..evaluation.metrics import psnr
    outputs = {}
    for name, kind in (('fp32', 'fp32'), ('low', dtype)):
        dt = {d: compute_dtype(d, kind) for d in ('down', 'up')}
        nets = {t: copy.deepcopy(generator).to(device, t).eval() for t in set(dt.values())}
        down = work.engine(nets[dt['down']], 'down', device, dt['down'])
        windows = work.group(down)
        hr = work.sources(down, windows)
        lr = down.run(windows, hr)
        lr_clip = np.concatenate(lr)
        up = work.engine(nets[dt['up']], 'up', device, dt['up'], n_src=len(lr_clip))
        out = up.run(up.windows, [lr_clip[w.src_start:w.src_stop] for w in up.windows])
        frames = np.concatenate(out)
        reference = test_pattern(len(frames), *work.hr)
        outputs[name] = (frames, reference)
    (f32, ref), (low, _) = outputs['fp32'], outputs['low']
    db = lambda a, b: psnr(np.round(a * 255), np.round(b * 255))  # noqa: E731
    return dict(psnr_fp32_db=db(ref, f32), psnr_low_db=db(ref, low),
                delta_db=db(ref, low) - db(ref, f32), psnr_low_vs_fp32_db=db(f32, low),
                frames=len(f32))


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


def roofline(engine, windows, sources, *, stats: Dict, peak: Dict) -> Dict:
    """FLOPs of one run of ``windows`` per run and per output pixel, and their rate against the
    device's ``peak`` (:func:`peak_flops`)."""
    flops = group_flops(engine, windows, sources)
    h, w = engine.dst_size
    achieved = flops / stats['median_s'] / 1e9
    return dict(flops_per_run=flops, flop_per_pixel=flops / (stats['frames_per_run'] * h * w),
                achieved_gflops=achieved, peak_gflops=peak['gflops'],
                dtype=_name(engine.dtype), fraction=achieved / peak['gflops'])


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
        direct[direction] = time_engine(engine, windows, work.sources(engine, windows), warmup,
                                        runs)
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
    generator = bench.generator.to(device).eval()
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
        entry['direct'][direction] = stats = time_engine(engine, windows, sources, warmup, runs)
        entry['ratios'][f'{direction}_model_to_naive'] = (stats['fps'] /
                                                          naive['direct'][direction]['fps'])
        entry['roofline'][direction] = roofline(engine, windows, sources, stats=stats,
                                                peak=peak[_name(torch_dtype)])
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
        entry['precision'] = precision_check(generator, work, device, dtype)
    return entry


def model_roundtrip(entry: Dict, *, work: Workload, naive_fps: float) -> Dict:
    """HR frames/s of the round trip directly and (when measured) through the plugin, against the
    naive one, and its FLOPs per HR pixel (the Downsample's spread over the HR pixels it reads)."""
    direct, plugin, roof = entry['direct'], entry['plugin'], entry['roofline']
    hr_pixels = work.hr[0] * work.hr[1]
    flop = (roof['down']['flops_per_run'] /
            (direct['down']['frames_per_run'] * float(work.factor) * hr_pixels)
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
    dtypes = {_name(compute_dtype(d, dtype)): compute_dtype(d, dtype) for d in directions}
    workload = dict(work.describe(), mode=mode, dtype=dtype, device=str(device), threads=threads,
                    warmup=warmup, runs=runs, **{f'{d}_dtype': _name(compute_dtype(d, dtype))
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


def _name(dtype: torch.dtype) -> str:
    return str(dtype).replace('torch.', '')


def roundtrip_fps(down_fps: float, up_fps: float, factor) -> float:
    """HR frames/s of a round trip from the LR frames/s of the downsample and the HR frames/s of
    the upsample (a downsample reads ``factor`` HR frames per LR frame)."""
    return 1.0 / (1.0 / (down_fps * float(factor)) + 1.0 / up_fps)


# -- the report -----------------------------------------------------------------------------------

COLUMNS = ('model', 'path', 'direction', 'frames/s', 'Mpix/s', 'ms/window', 'FLOP/pixel',
           'peak RSS MB', 'CUDA MB', 'ratio')


def _fmt(value: Optional[float], spec: str) -> str:
    return '-' if value is None else format(value, spec)


def _flop(value: Optional[float]) -> str:
    """FLOPs per pixel in k or M."""
    if value is None:
        return '-'
    return f'{value / 1e6:.2f} M' if value >= 1e6 else f'{value / 1e3:.1f} k'


def _times(value: Optional[float], what: str) -> str:
    return '-' if value is None else f'{value:.3f} x {what}'


def _row(model: str, path: str, direction: str, stats: Dict, *, flop: Optional[float] = None,
         ratio: str = '-') -> str:
    """One markdown table row; for ``stats`` with ``skipped``, the reason in place of figures."""
    if 'skipped' in stats:
        figures = [f"skipped: {stats['skipped']}"] + ['-'] * 6
    else:
        figures = [f"{stats['fps']:.3f}", _fmt(stats.get('mpix_per_s'), '.3f'),
                   _fmt(stats.get('latency_per_window_ms'), '.1f'), _flop(flop),
                   _fmt(stats.get('peak_rss_mb'), '.0f'),
                   _fmt(stats.get('cuda_max_allocated_mb'), '.0f'), ratio]
    return '| ' + ' | '.join([model, path, direction, *figures]) + ' |'


def table_rows(result: Dict) -> List[str]:
    """The naive baseline's rows, then each model's (every direct row followed by its plugin row,
    then the round trip), then MVTools'."""
    naive = result['naive']
    rows = [_row('naive', 'direct', d, s) for d, s in naive['direct'].items()]
    if 'roundtrip' in naive:
        rows.append(_row('naive', 'direct', 'round trip', dict(fps=naive['roundtrip'])))
    for m in result['models']:
        for d, s in m['direct'].items():
            flop, plug = m['roofline'][d]['flop_per_pixel'], m['plugin'][d]
            rows.append(_row(m['label'], 'direct', d, s, flop=flop,
                             ratio=_times(m['ratios'][f'{d}_model_to_naive'], 'naive')))
            rows.append(_row(m['label'], 'plugin', d, plug, flop=flop,
                             ratio=_times(plug.get('ratio_to_direct'), 'direct')))
        if 'roundtrip' in m:
            rt = m['roundtrip']
            rows.append(_row(m['label'], 'direct', 'round trip', dict(fps=rt['direct']),
                             flop=rt['flop_per_pixel'],
                             ratio=_times(rt['model_to_naive'], 'naive')))
            if 'plugin' in rt:
                rows.append(_row(m['label'], 'plugin', 'round trip', dict(fps=rt['plugin']),
                                 flop=rt['flop_per_pixel'],
                                 ratio=_times(rt['plugin_to_direct'], 'direct')))
    if 'mvtools' in result:
        rows.append(_row('mvtools', 'vspipe', 'up', result['mvtools']))
    return rows


def model_notes(m: Dict, workload: Dict, peak: Dict) -> List[str]:
    """A model's roofline, host memory and precision lines."""
    lines = []
    for direction, r in m['roofline'].items():
        lines.append(f"- {m['label']} roofline {direction}: {r['flops_per_run'] / 1e9:.2f} GFLOP "
                     f"per run, {r['achieved_gflops']:.2f} GFLOP/s of a measured peak of "
                     f"{r['peak_gflops']:.1f} GFLOP/s ({r['dtype']} "
                     f"{peak[r['dtype']]['matmul_n']}^2 matrix product): "
                     f"{100 * r['fraction']:.2f}%")
    for direction, s in m['direct'].items():
        lines.append(f"- {m['label']} host memory {direction}: RSS after each run "
                     + ' '.join(f'{x:.0f}' for x in s['rss_after_runs_mb'])
                     + f" MB (growth {s['rss_growth_mb']:+.1f} MB)")
    if 'precision' in m:
        p = m['precision']
        lines.append(f"- {m['label']} precision ({workload['dtype']} vs fp32, round trip of "
                     f"{p['frames']} frames): RGB PSNR {p['psnr_low_db']:.3f} vs "
                     f"{p['psnr_fp32_db']:.3f} dB (delta {p['delta_db']:+.4f} dB); "
                     f"{workload['dtype']} output vs fp32 output {p['psnr_low_vs_fp32_db']:.2f} dB")
    return lines


def format_table(result: Dict) -> str:
    """The results as markdown: the workload, the models, one table of every row with the ratios,
    then the roofline, memory and precision of each model."""
    w = result['workload']
    lines = [f"{w['size'][0]}x{w['size'][1]} HR <-> {w['lr_size'][0]}x{w['lr_size'][1]} LR, "
             f"factors {w['factors']['temporal']}x{w['factors']['spatial']:g}, {w['mode']} mode, "
             f"batch {w['batch']}, {w['dtype']}, {w['device']}, {w['threads']} thread(s), median "
             f"of {w['runs']} runs after {w['warmup']} warm-up", '']
    lines += [f"- {m['label']}: {m['kind']}, {m['params'] / 1e6:.2f} M parameters"
              f"{'' if m['trained_weights'] else ', untrained'}" for m in result['models']]
    lines += ['', '| ' + ' | '.join(COLUMNS) + ' |', '|' + '---|' * len(COLUMNS),
              *table_rows(result), '']
    for m in result['models']:
        lines += model_notes(m, w, result['peak'])
    if 'fps' in result.get('mvtools', {}):
        mv = result['mvtools']
        per_run = ' '.join(f'{x:.3f}' for x in mv['fps_per_run'])
        lines.append(f"- mvtools: frames/s per run {per_run} on {w['threads']} VapourSynth "
                     f"thread(s); MVTOOLS_SETTINGS {json.dumps(mv['settings'])}")
    return '\n'.join(lines)


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
    from ..engine.targets import CstvrError
    from ..engine.weights import WeightsError
    log = (lambda *a, **k: None) if args.quiet else \
        (lambda msg: print(f'[benchmark] {msg}', file=sys.stderr, flush=True))
    try:
        result = run_benchmark(args.models, size=args.size, factors=args.factors,
                               batch=args.batch, dtype=args.dtype, device=args.device,
                               warmup=args.warmup, runs=args.runs, threads=args.threads,
                               mode=args.mode, vspipe=not args.no_vspipe, only=args.only, log=log)
    except (BenchmarkError, WeightsError, CstvrError) as err:
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
