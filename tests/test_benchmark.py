"""``cstvr benchmark`` / tools/benchmark.py end to end on tiny frames: the real CLI, the real
vspipe and plugin, the real mmengine FLOP analyser. Checks the structure and the arithmetic of the
results, never a speed."""
import json
import math
import statistics
import subprocess
import sys

import pytest

import vs_testlib as lib

pytest.importorskip('vapoursynth')


@pytest.fixture(scope='module')
def plugin():
    lib.build_plugin()


def _check_direction(stats, runs, frames, size):
    assert len(stats['times_s']) == runs and all(t > 0 for t in stats['times_s'])
    assert stats['median_s'] == pytest.approx(statistics.median(stats['times_s']))
    assert stats['frames_per_run'] == frames and stats['windows_per_run'] == 1
    assert stats['fps'] > 0
    assert stats['fps'] == pytest.approx(frames / stats['median_s'])
    assert stats['mpix_per_s'] == pytest.approx(stats['fps'] * size[0] * size[1] / 1e6)
    assert stats['latency_per_window_ms'] == pytest.approx(1000 * stats['median_s'])
    assert stats['peak_rss_mb'] >= max(stats['rss_after_runs_mb']) > 0
    assert len(stats['rss_after_runs_mb']) == runs
    assert stats['rss_growth_mb'] == pytest.approx(stats['rss_after_runs_mb'][-1]
                                                   - stats['rss_after_runs_mb'][0])


def test_benchmark_cli_with_vspipe(plugin, tmp_path):
    out = tmp_path / 'bench.json'
    res = lib.run_cli(['benchmark', 'steg', '--size', '64x48', '--factors', '2x4', '--warmup', '1',
                       '--runs', '2', '--threads', '1', '--json', out])
    assert res.returncode == 0, res.stderr
    r = json.loads(out.read_text())
    w = r['workload']
    assert (w['size'], w['lr_size'], w['factors']) == ([64, 48], [16, 12],
                                                        {'temporal': '2', 'spatial': 4.0})
    assert (w['dtype'], w['device'], w['threads'], w['runs'], w['warmup']) == \
        ('fp32', 'cpu', 1, 2, 1)
    assert r['trained_weights'] and r['params'] > 0
    # default windows: 4 LR frames per Downsample window, the 8 HR frames they span per Upsample
    sizes = {'down': (16, 12), 'up': (64, 48)}
    frames = {'down': 4, 'up': 8}
    for d in ('down', 'up'):
        _check_direction(r['direct'][d], 2, frames[d], sizes[d])
        _check_direction(r['naive'][d], 2, frames[d], sizes[d])
        assert r['ratios'][f'{d}_model_to_naive'] == pytest.approx(
            r['direct'][d]['fps'] / r['naive'][d]['fps'])
        plug = r['plugin'][d]
        assert plug['frames'] == 2 * frames[d] and plug['seconds'] > 0
        assert plug['fps'] == pytest.approx(plug['frames'] / plug['seconds'])
        assert plug['ratio_to_direct'] == pytest.approx(plug['fps'] / r['direct'][d]['fps'])
        assert plug['peak_rss_mb'] > 0 and 'vspipe' in plug['command']
        roof = r['roofline'][d]
        assert roof['flops_per_run'] > 0
        assert roof['achieved_gflops'] == pytest.approx(
            roof['flops_per_run'] / r['direct'][d]['median_s'] / 1e9)
        assert 0 < roof['fraction'] < 1
        assert roof['peak_gflops'] == r['peak'][roof['dtype']]['gflops'] > 0
        assert roof['fraction'] == pytest.approx(roof['achieved_gflops'] / roof['peak_gflops'])
    rt = r['roundtrip']
    for name in ('direct', 'naive', 'plugin'):
        down, up = r[name]['down']['fps'], r[name]['up']['fps']
        assert rt[name] == pytest.approx(1 / (1 / (2 * down) + 1 / up))
    assert rt['model_to_naive'] == pytest.approx(rt['direct'] / rt['naive'])
    assert 'precision' not in r  # fp32: nothing to compare
    table = res.stdout
    for row in ('direct   down', 'direct   up', 'naive    up', 'plugin   down', 'roofline up',
                'round trip', 'x naive', 'x direct', f'wrote {out}'):
        assert row in table


def test_benchmark_tool_config_bf16_precision(tmp_path):
    out = tmp_path / 'bench.json'
    res = subprocess.run([sys.executable, str(lib.REPO / 'tools' / 'benchmark.py'),
                          str(lib.REPO / 'configs' / 'cstvr_tiny.py'), '--size', '48x32',
                          '--factors', '2x2', '--dtype', 'bf16', '--runs', '1', '--warmup', '0',
                          '--no-vspipe', '-q', '--json', str(out)],
                         capture_output=True, text=True, env=lib.env(), timeout=300)
    assert res.returncode == 0, res.stderr
    r = json.loads(out.read_text())
    assert not r['trained_weights'] and r['workload']['dtype'] == 'bf16'
    # as in the plugin: bf16 is an Upsample option, Downsample computes in float32
    assert (r['workload']['down_dtype'], r['workload']['up_dtype']) == ('float32', 'bfloat16')
    assert {r['roofline'][d]['dtype'] for d in ('down', 'up')} == set(r['peak'])
    assert r['plugin'] == {'down': {'skipped': '--no-vspipe'}, 'up': {'skipped': '--no-vspipe'}}
    p = r['precision']
    assert p['frames'] == 8
    assert all(math.isfinite(p[k]) for k in ('psnr_fp32_db', 'psnr_low_db', 'psnr_low_vs_fp32_db'))
    assert p['delta_db'] == pytest.approx(p['psnr_low_db'] - p['psnr_fp32_db'])
    assert 20 < p['psnr_low_vs_fp32_db']  # bf16 rounding, not a broken network
    assert 'precision (bf16 vs fp32' in res.stdout and 'untrained' in res.stdout


@pytest.mark.parametrize('args, message', [
    (['steg', '--size', '64by48'], '--size must be WxH'),
    (['steg', '--factors', '1/2x4'], '--factors must be TIMExSPACE'),
    (['steg', 'extra.pth'], 'pass a CHECKPOINT only with a config'),
    (['nosuchmodel'], 'neither a shipped model'),
])
def test_benchmark_bad_input_names_the_fix(args, message):
    res = lib.run_cli(['benchmark', *args, '--no-vspipe'])
    assert res.returncode == 2
    assert message in res.stderr and 'Traceback' not in res.stderr
