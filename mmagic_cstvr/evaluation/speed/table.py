"""The results of ``cstvr benchmark`` as markdown: the workload, one table of every measured row
with its ratio, then each model's roofline, host memory and precision."""
from __future__ import annotations

import json
from typing import Dict, List, Optional

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
        if r['flops_per_run'] is None:
            lines.append(f"- {m['label']} roofline {direction}: not counted (the network's call "
                         f"cannot be traced: its encoder fits motion by gradient steps)")
            continue
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
