"""Measurements of one benchmark: the time, rates and memory of engine runs, the FLOPs of a window
group against the device's matrix-product peak, the peak memory of a child process, and the
round trip's quality in a reduced precision against float32."""
from __future__ import annotations

import copy
import os
import re
import statistics
import subprocess
import sys
import threading
import time
from typing import Dict, List, Optional, Tuple

import numpy as np
import torch

from ...engine.clip_resampler import serving_network
from ..flops import count_macs
from ..metrics import psnr
from .workload import Workload, compute_dtype, dtype_name, test_pattern

PAGE = os.sysconf('SC_PAGE_SIZE')
MB = 1 << 20


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


def time_engine(engine, windows, sources, *, warmup: int, runs: int) -> Dict:
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


def group_flops(engine, windows, sources) -> Optional[float]:
    """FLOPs (2 x multiply-adds, :func:`~mmagic_cstvr.evaluation.flops.count_macs`) of one
    ``engine.run`` of ``windows``: the network calls only (0 when the network that serves them,
    a specialist set's member, has no layers to count; None when its call cannot be traced,
    ``traceable = False``)."""
    batch = torch.stack([engine.to_tensor(s) for s in sources])
    positions, step = windows[0].positions, float(engine.time_map.step)
    network = serving_network(engine.generator, engine.direction, step,
                              tuple(batch.shape[-2:]), engine.dst_size)
    if not getattr(network, 'traceable', True):
        return None
    return 2.0 * count_macs(network,
                            lambda x: engine.network_call(x, engine.dst_size, positions, step),
                            batch)


def _product_seconds(n: int, device, dtype) -> float:
    """Seconds of one n x n by n x n product in ``dtype``."""
    a = torch.randn(n, n, device=device).to(dtype)
    b = torch.randn(n, n, device=device).to(dtype)
    synchronize(device)
    start = time.perf_counter()
    torch.mm(a, b)
    synchronize(device)
    return time.perf_counter() - start


def peak_flops(device, dtype, *, n: Optional[int] = None, runs: int = 3,
               min_seconds: float = 0.25) -> Dict:
    """The device's matrix-product rate in ``dtype``: an n x n by n x n product, median of runs.
    Without ``n``, the side doubles from 256 until one product takes ``min_seconds`` or reaches
    8192 (GPU) or 2048 (CPU): a dtype the CPU has no fast kernel for (bf16 without AVX-512)
    is measured in seconds, not minutes."""
    device = torch.device(device)
    if n is None:
        largest = 8192 if device.type == 'cuda' else 2048
        n = 256
        while n < largest and _product_seconds(n, device, dtype) < min_seconds:
            n *= 2
    times = [_product_seconds(n, device, dtype) for _ in range(runs + 1)][1:]  # first warms up
    median = statistics.median(times)
    return dict(matmul_n=n, median_s=median, gflops=2 * n ** 3 / median / 1e9)


def roofline(engine, windows, sources, *, stats: Dict, peak: Dict) -> Dict:
    """FLOPs of one run of ``windows`` per run and per output pixel, and their rate against the
    device's ``peak`` (:func:`peak_flops`)."""
    flops = group_flops(engine, windows, sources)
    if flops is None:
        return dict(flops_per_run=None, flop_per_pixel=None, achieved_gflops=None,
                    peak_gflops=peak['gflops'], dtype=dtype_name(engine.dtype), fraction=None)
    h, w = engine.dst_size
    achieved = flops / stats['median_s'] / 1e9
    return dict(flops_per_run=flops, flop_per_pixel=flops / (stats['frames_per_run'] * h * w),
                achieved_gflops=achieved, peak_gflops=peak['gflops'],
                dtype=dtype_name(engine.dtype), fraction=achieved / peak['gflops'])


def roundtrip_fps(down_fps: float, up_fps: float, factor) -> float:
    """HR frames/s of a round trip from the LR frames/s of the downsample and the HR frames/s of
    the upsample (a downsample reads ``factor`` HR frames per LR frame)."""
    return 1.0 / (1.0 / (down_fps * float(factor)) + 1.0 / up_fps)


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


def precision_check(generator, work: Workload, *, device, dtype: str) -> Dict:
    """Round trip of the test pattern in ``dtype`` (as :func:`compute_dtype` says) and in float32:
    RGB PSNR of each against the source, their difference, and the PSNR of the ``dtype`` output
    against the float32 one."""
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
