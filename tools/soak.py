"""Soak test: many frames through ``core.cstvr.Upsample`` in a real ``vspipe``, watching memory and
time stamps.

    python tools/soak.py [--frames 10000] [--model steg] [--size 32x24] [--threads N]
                         [--warmup 0.1] [--plot outputs/soak_rss.png]

A small clip (ffmpeg's testsrc2 at 24000/1001 fps, looped) is upsampled 2x in space to 60000/1001
fps for ``--frames`` output frames by ``vspipe -p -j PROPS.json SCRIPT --``. While it runs, the
resident memory (VmRSS) of the vspipe processes is sampled with the frame count vspipe reports.
Printed: speed, RSS after the warm-up (the first 10% of the frames) and at the end, the growth
after warm-up in percent (target: under 5%), the spread and trend of RSS, and the time-stamp check over every output
frame (``_DurationNum/_DurationDen`` = 1001/60000, ``CSTVR_TimeNum/Den`` = n * 1001/60000 exactly,
``_AbsoluteTime`` within 1 microsecond of it: no drift). ``--plot`` saves RSS against frames.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from fractions import Fraction
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SRC_FPS, DST_FPS = Fraction(24000, 1001), Fraction(60000, 1001)

SCRIPT = '''
import vapoursynth as vs
core = vs.core
core.num_threads = int(threads) if int(threads) > 0 else core.num_threads
src = core.resize.Bicubic(core.bs.VideoSource(clip, cachemode=0), format=vs.RGBS,
                          matrix_in_s='170m')
src = core.std.Loop(src, times=int(loops))
up = core.cstvr.Upsample(src, model=model, fps_num=60000, fps_den=1001, scale=2.0,
                         num_frames=int(frames), device_index=-1)
up.set_output()
'''


def rss_bytes(pid: int):
    """Resident memory of process ``pid`` and its descendants (``.venv/bin/vspipe`` is a Python
    launcher running the vspipe binary as its child); None once ``pid`` has exited."""
    total, todo, seen = 0, [pid], set()
    while todo:
        p = todo.pop()
        seen.add(p)
        try:
            text = Path(f'/proc/{p}/status').read_text()
            for task in Path(f'/proc/{p}/task').iterdir():
                todo += [int(c) for c in (task / 'children').read_text().split()
                         if int(c) not in seen]
        except OSError:
            if p == pid:
                return None
            continue
        m = re.search(r'^VmRSS:\s+(\d+) kB', text, re.MULTILINE)
        total += int(m.group(1)) * 1024 if m else 0
    return total


def run_vspipe(script: Path, args: dict, props: Path, period: float):
    """Run vspipe; returns the samples [(seconds, frames done, RSS bytes)], wall time, stderr."""
    cmd = [str(Path(sys.executable).parent / 'vspipe'), '-p', '-j', str(props)]
    for key, value in args.items():
        cmd += ['-a', f'{key}={value}']
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO),
                                                                    os.environ.get('PYTHONPATH')])))
    start = time.perf_counter()
    proc = subprocess.Popen(cmd + [str(script), '--'], stderr=subprocess.PIPE, env=env)
    done, log = [0], []

    def read_progress():
        buffer = b''
        while True:
            chunk = proc.stderr.read1(4096) if hasattr(proc.stderr, 'read1') else proc.stderr.read(1)
            if not chunk:
                break
            buffer += chunk
            *lines, buffer = re.split(rb'[\r\n]', buffer)
            for line in lines:
                m = re.match(rb'Frame: (\d+)/(\d+)', line)
                if m:
                    done[0] = int(m.group(1))
                elif line.strip():
                    log.append(line.decode('utf-8', 'replace'))
    reader = threading.Thread(target=read_progress, daemon=True)
    reader.start()
    samples = []
    while proc.poll() is None:
        rss = rss_bytes(proc.pid)
        if rss is not None:
            samples.append((time.perf_counter() - start, done[0], rss))
        time.sleep(period)
    reader.join(timeout=10)
    return proc.returncode, samples, time.perf_counter() - start, '\n'.join(log)


def memory_figures(samples, total: int, warmup: float = 0.1) -> dict:
    """RSS after warm-up and at the end (medians of the samples in the 10-20% and in the last 10%
    of the frames), the growth between them in percent, the spread of the samples after warm-up
    (5th-95th percentile: windows are allocated and freed all the time), the growth of its floor
    (10th percentiles of the same two parts) and the linear trend."""
    import numpy as np
    last = max(s[1] for s in samples)  # the last count reported lasts into vspipe's shutdown
    after = np.array([s for s in samples if warmup * total <= s[1] < last], float)
    if len(after) < 10:
        raise SystemExit(f'soak: only {len(after)} RSS samples after warm-up: run more frames')
    frames, rss = after[:, 1], after[:, 2]
    first, end = rss[frames < 2 * warmup * total], rss[frames >= (1 - warmup) * total]
    baseline, final = float(np.median(first)), float(np.median(end))
    floor = 100 * (np.percentile(end, 10) - np.percentile(first, 10)) / np.percentile(first, 10)
    slope = float(np.polyfit(frames, rss, 1)[0])
    return {'baseline': baseline, 'final': final, 'growth_percent': 100 * (final - baseline) / baseline,
            'floor_growth_percent': float(floor),
            'p5': float(np.percentile(rss, 5)), 'p95': float(np.percentile(rss, 95)),
            'trend_per_1000': slope * 1000}


def time_stamp_figures(props: list) -> dict:
    """Mismatches of the exact duration and time stamps, and the largest ``_AbsoluteTime`` error
    (seconds), over every output frame."""
    step = 1 / DST_FPS
    wrong_duration = wrong_time = 0
    worst = 0.0
    for n, p in enumerate(props):
        wrong_duration += Fraction(p['_DurationNum'], p['_DurationDen']) != step
        wrong_time += Fraction(p['CSTVR_TimeNum'], p['CSTVR_TimeDen']) != n * step
        worst = max(worst, abs(p['_AbsoluteTime'] - float(n * step)))
    return {'frames': len(props), 'wrong_duration': wrong_duration, 'wrong_time': wrong_time,
            'max_abs_time_error_s': worst}


def plot(samples, total: int, warmup: float, path: Path) -> None:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7, 3.5))
    ax.plot([s[1] for s in samples], [s[2] / 2**20 for s in samples])
    ax.axvline(warmup * total, color='grey', linestyle='--', label='end of warm-up')
    ax.set_xlabel('output frames done')
    ax.set_ylabel('vspipe RSS (MiB)')
    ax.set_title('core.cstvr.Upsample in vspipe: resident memory')
    ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--frames', type=int, default=10000, help='output frames (10000)')
    parser.add_argument('--model', default='steg', help='shipped model name or .safetensors')
    parser.add_argument('--size', default='32x24', help='LR frame size WxH (output: twice it)')
    parser.add_argument('--threads', type=int, default=0, help='core.num_threads (0: default)')
    parser.add_argument('--period', type=float, default=0.25, help='RSS sampling period (s)')
    parser.add_argument('--warmup', type=float, default=0.1,
                        help='fraction of the frames counted as warm-up (0.1)')
    parser.add_argument('--plot', type=Path, help='save RSS against frames as a PNG')
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        clip = tmp / 'clip.mkv'
        subprocess.run([str(Path(sys.executable).parent / 'ffmpeg'), '-v', 'error', '-f',
                        'lavfi', '-i', f'testsrc2=size={args.size}:rate=24000/1001', '-frames:v',
                        '48', '-c:v', 'ffv1', str(clip)], check=True)
        n_src = -(-args.frames * SRC_FPS.denominator * DST_FPS.numerator //
                  (SRC_FPS.numerator * DST_FPS.denominator)) + 1
        script = tmp / 'soak.vpy'
        script.write_text(SCRIPT)
        props = tmp / 'props.json'
        model = str(Path(args.model).resolve()) if Path(args.model).is_file() else args.model
        print(f'soak: {args.frames} frames of {args.size} x2 through core.cstvr.Upsample '
              f'({SRC_FPS} -> {DST_FPS} fps) in vspipe, model {args.model}', flush=True)
        rc, samples, wall, log = run_vspipe(
            script, {'clip': clip, 'loops': -(-n_src // 48), 'frames': args.frames,
                     'model': model, 'threads': args.threads}, props, args.period)
        if rc != 0:
            print(f'soak: vspipe failed (exit code {rc}):\n{log}', file=sys.stderr)
            return 1
        stamps = time_stamp_figures(json.loads(props.read_text()))
    mem = memory_figures(samples, args.frames, args.warmup)
    mib = 2 ** 20
    print(f'speed: {args.frames / wall:.1f} output fps ({wall:.1f} s wall, {len(samples)} RSS '
          f'samples; shared CPU cores make this pessimistic)')
    print(f'vspipe RSS: {mem["baseline"] / mib:.1f} MiB after warm-up ({args.warmup:.0%} of the '
          f'frames), '
          f'{mem["final"] / mib:.1f} MiB at the end (medians); after warm-up the samples span '
          f'{mem["p5"] / mib:.1f}-{mem["p95"] / mib:.1f} MiB (5th-95th percentile), linear trend '
          f'{mem["trend_per_1000"] / mib:+.2f} MiB per 1000 frames')
    print(f'growth after warm-up: {mem["growth_percent"]:+.2f}% of the median, '
          f'{mem["floor_growth_percent"]:+.2f}% of the 10th percentile (target: under 5%): '
          f'{"PASS" if mem["growth_percent"] < 5 else "FAIL"}')
    print(f'time stamps: {stamps["frames"]} frames, {stamps["wrong_duration"]} wrong durations, '
          f'{stamps["wrong_time"]} inexact CSTVR_Time, largest _AbsoluteTime error '
          f'{stamps["max_abs_time_error_s"]:.3g} s: '
          f'{"PASS" if ok_stamps(stamps, args.frames) else "FAIL"}')
    if args.plot:
        plot(samples, args.frames, args.warmup, args.plot)
        print(f'plot: {args.plot}')
    return 0 if mem['growth_percent'] < 5 and ok_stamps(stamps, args.frames) else 1


def ok_stamps(stamps: dict, frames: int) -> bool:
    return (stamps['frames'] == frames and stamps['wrong_duration'] == 0 and
            stamps['wrong_time'] == 0 and stamps['max_abs_time_error_s'] < 1e-6)


if __name__ == '__main__':
    sys.exit(main())
