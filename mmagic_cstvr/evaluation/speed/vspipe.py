"""The plugin path of a benchmark: the same window groups through ``core.cstvr.*`` (and MVTools'
frame-rate conversion) in a real ``vspipe`` on a generated script with no output
(``vspipe script.vpy --``), warmed up inside the script before vspipe's clock starts."""
from __future__ import annotations

import math
import os
import re
import shutil
import statistics
import sys
from pathlib import Path
from typing import Dict, Optional

import torch

from ...errors import BenchmarkError
from .measure import MB, run_with_peak_rss
from .workload import SRC_FPS, Workload

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
from mmagic_cstvr.evaluation.speed.workload import test_pattern

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


def run_vspipe(script: Path, *, skip: int, count: int) -> Dict:
    """Frames ``skip`` to ``skip + count - 1`` of ``script`` through ``vspipe`` with no output (this
    package first on the path): frames, seconds, frames/s, peak RSS and the command."""
    env = dict(os.environ)
    package_root = str(Path(__file__).resolve().parents[3])
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
    from ...archs.mvtools_baseline import MVTOOLS_SETTINGS
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
