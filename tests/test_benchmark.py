"""``cstvr benchmark`` / tools/benchmark.py end to end on tiny frames: the real CLI, the real
vspipe and plugin, the real mmengine FLOP analyser. Checks the structure and the arithmetic of the
results, never a speed."""
import json
import math
import statistics
import subprocess
import sys

import pytest
import torch

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


def test_benchmark_two_models_side_by_side_with_vspipe(plugin, tmp_path):
    lib.make_model(lib.STEG, tmp_path / 'tiny.safetensors')
    tiny = 'tiny.safetensors'  # relative to the working directory, as users type it
    out = tmp_path / 'bench.json'
    res = lib.run_cli(['benchmark', 'steg', tiny, '--size', '64x48', '--factors', '2x4',
                       '--warmup', '1', '--runs', '2', '--threads', '1', '--json', out],
                      cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    r = json.loads(out.read_text())
    w = r['workload']
    assert (w['size'], w['lr_size'], w['factors']) == ([64, 48], [16, 12],
                                                        {'temporal': '2', 'spatial': 4.0})
    assert (w['mode'], w['dtype'], w['device'], w['threads'], w['runs'], w['warmup']) == \
        ('steg', 'fp32', 'cpu', 1, 2, 1)
    # default windows: 4 LR frames per Downsample window, the 8 HR frames they span per Upsample
    sizes = {'down': (16, 12), 'up': (64, 48)}
    frames = {'down': 4, 'up': 8}
    naive = r['naive']['direct']
    assert set(naive) == {'down', 'up'}  # one naive baseline for both models
    for d in ('down', 'up'):
        _check_direction(naive[d], 2, frames[d], sizes[d])
    assert r['naive']['roundtrip'] == pytest.approx(
        1 / (1 / (2 * naive['down']['fps']) + 1 / naive['up']['fps']))
    assert [m['label'] for m in r['models']] == ['steg', tiny]
    for m in r['models']:
        assert m['trained_weights'] and m['params'] > 0 and m['kind'] == 'steg'
        for d in ('down', 'up'):
            _check_direction(m['direct'][d], 2, frames[d], sizes[d])
            assert m['ratios'][f'{d}_model_to_naive'] == pytest.approx(
                m['direct'][d]['fps'] / naive[d]['fps'])
            plug = m['plugin'][d]
            assert plug['frames'] == 2 * frames[d] and plug['seconds'] > 0
            assert plug['fps'] == pytest.approx(plug['frames'] / plug['seconds'])
            assert plug['ratio_to_direct'] == pytest.approx(plug['fps'] / m['direct'][d]['fps'])
            assert plug['peak_rss_mb'] > 0 and 'vspipe' in plug['command']
            roof = m['roofline'][d]
            assert roof['flops_per_run'] > 0
            assert roof['flop_per_pixel'] == pytest.approx(
                roof['flops_per_run'] / (frames[d] * sizes[d][0] * sizes[d][1]))
            assert roof['achieved_gflops'] == pytest.approx(
                roof['flops_per_run'] / m['direct'][d]['median_s'] / 1e9)
            assert 0 < roof['fraction'] < 1
            assert roof['peak_gflops'] == r['peak'][roof['dtype']]['gflops'] > 0
            assert roof['fraction'] == pytest.approx(roof['achieved_gflops'] / roof['peak_gflops'])
        rt = m['roundtrip']
        for name in ('direct', 'plugin'):
            down, up = m[name]['down']['fps'], m[name]['up']['fps']
            assert rt[name] == pytest.approx(1 / (1 / (2 * down) + 1 / up))
        assert rt['model_to_naive'] == pytest.approx(rt['direct'] / r['naive']['roundtrip'])
        assert rt['plugin_to_direct'] == pytest.approx(rt['plugin'] / rt['direct'])
        # the Downsample's FLOPs spread over the 8 HR frames it reads, plus the Upsample's
        assert rt['flop_per_pixel'] == pytest.approx(
            (m['roofline']['down']['flops_per_run'] + m['roofline']['up']['flops_per_run'])
            / (8 * 64 * 48))
        assert 'precision' not in m  # fp32: nothing to compare
    assert 'mvtools' not in r  # steg mode
    table = res.stdout
    assert table.count('| naive | direct | down |') == 1
    for label in ('steg', tiny):
        for row in ('direct | down', 'plugin | down', 'direct | up', 'plugin | up',
                    'direct | round trip', 'plugin | round trip'):
            assert f'| {label} | {row} |' in table
        assert f'- {label} roofline up:' in table
    for text in ('x naive', 'x direct', ' k |', f'wrote {out}'):
        assert text in table


def test_benchmark_blind_mode_times_mvtools_in_vspipe(plugin, tmp_path):
    from mmagic_cstvr.archs.mvtools_baseline import MVTOOLS_SETTINGS
    out = tmp_path / 'bench.json'
    res = lib.run_cli(['benchmark', 'blind', '--mode', 'blind', '--size', '64x48', '--factors',
                       '2x1', '--warmup', '0', '--runs', '1', '--threads', '1', '--json', out])
    assert res.returncode == 0, res.stderr
    r = json.loads(out.read_text())
    assert r['workload']['mode'] == 'blind' and r['workload']['lr_size'] == [64, 48]
    # blind models have no Downsample: Upsample of ordinary LR only, for the baseline too
    assert set(r['naive']['direct']) == {'up'} and 'roundtrip' not in r['naive']
    (m,) = r['models']
    assert m['kind'] == 'blind' and set(m['direct']) == set(m['plugin']) == {'up'}
    assert m['plugin']['up']['fps'] > 0 and 'roundtrip' not in m
    mv = r['mvtools']
    assert mv['fps'] > 0 and mv['fps'] == pytest.approx(statistics.median(mv['fps_per_run']))
    assert len(mv['fps_per_run']) == 1 and mv['frames_per_run'] == 8
    assert mv['mpix_per_s'] == pytest.approx(mv['fps'] * 64 * 48 / 1e6)
    assert mv['settings'] == json.loads(json.dumps(MVTOOLS_SETTINGS))
    assert mv['peak_rss_mb'] > 0 and 'vspipe' in mv['command']
    rows = [line for line in res.stdout.splitlines() if line.startswith('| ')]
    assert rows[-2].startswith('| blind | plugin | up |')
    assert rows[-1].startswith(f"| mvtools | vspipe | up | {mv['fps']:.3f} |")
    assert '| down |' not in res.stdout


def test_benchmark_tool_config_bf16_precision(tmp_path):
    out = tmp_path / 'bench.json'
    res = subprocess.run([sys.executable, str(lib.REPO / 'tools' / 'benchmark.py'),
                          str(lib.REPO / 'configs' / 'cstvr_tiny.py'), '--size', '48x32',
                          '--factors', '2x2', '--dtype', 'bf16', '--runs', '1', '--warmup', '0',
                          '--no-vspipe', '-q', '--json', str(out)],
                         capture_output=True, text=True, env=lib.env(), timeout=300)
    assert res.returncode == 0, res.stderr
    r = json.loads(out.read_text())
    (m,) = r['models']
    assert not m['trained_weights'] and r['workload']['dtype'] == 'bf16'
    # as in the plugin: bf16 is an Upsample option, Downsample computes in float32
    assert (r['workload']['down_dtype'], r['workload']['up_dtype']) == ('float32', 'bfloat16')
    assert {m['roofline'][d]['dtype'] for d in ('down', 'up')} == set(r['peak'])
    assert m['plugin'] == {'down': {'skipped': '--no-vspipe'}, 'up': {'skipped': '--no-vspipe'}}
    p = m['precision']
    assert p['frames'] == 8
    assert all(math.isfinite(p[k]) for k in ('psnr_fp32_db', 'psnr_low_db', 'psnr_low_vs_fp32_db'))
    assert p['delta_db'] == pytest.approx(p['psnr_low_db'] - p['psnr_fp32_db'])
    assert 20 < p['psnr_low_vs_fp32_db']  # bf16 rounding, not a broken network
    assert 'precision (bf16 vs fp32' in res.stdout and 'untrained' in res.stdout


@pytest.mark.parametrize('args, message', [
    (['steg', '--size', '64by48'], '--size must be WxH'),
    (['steg', '--factors', '1/2x4'], '--factors must be TIMExSPACE'),
    (['nosuchmodel'], 'neither a shipped model'),
    (['steg', 'nosuchmodel'], "'nosuchmodel' is neither a shipped model"),  # checked before timing
    (['steg', '--mode', 'blind'], "--mode blind needs blind models (BlindResampler), but 'steg'"),
    (['blind'], "'blind' is a blind model, which has no learned Downsample: benchmark it with"),
    (['blind', '--mode', 'blind', '--only', 'down'], '--mode blind measures Upsample only'),
])
def test_benchmark_bad_input_names_the_fix(args, message):
    res = lib.run_cli(['benchmark', *args, '--no-vspipe'])
    assert res.returncode == 2
    assert message in res.stderr and 'Traceback' not in res.stderr


@pytest.mark.parametrize('factors, flops', [('2x1', 0.0), ('2x2', None)])
def test_benchmark_times_the_hidden_motion_members(tmp_path, factors, flops):
    """At 2x/1x the shipped steg's calls go to its hidden-motion network, which has no layers for
    the FLOP analyser: 0 FLOPs. At 2x/2x they go to the hidden motion over the general network,
    whose encoder's fit the analyser cannot trace: its FLOPs are not counted, not wrong."""
    out = tmp_path / 'bench.json'
    res = lib.run_cli(['benchmark', 'steg', '--size', '64x48', '--factors', factors, '--warmup',
                       '0', '--runs', '1', '--threads', '1', '--no-vspipe', '--json', out])
    assert res.returncode == 0, res.stderr
    (model,) = json.loads(out.read_text())['models']
    for d in ('down', 'up'):
        assert model['direct'][d]['fps'] > 0
        assert model['roofline'][d]['flops_per_run'] == flops
    assert model['roundtrip']['direct'] > 0
    assert ('roofline down: not counted' in res.stdout) == (flops is None)


def test_peak_matrix_side_doubles_until_one_product_takes_long_enough():
    from mmagic_cstvr.evaluation.speed.measure import peak_flops
    assert peak_flops('cpu', torch.float32, min_seconds=0, runs=1)['matmul_n'] == 256
    assert peak_flops('cpu', torch.float32, min_seconds=float('inf'), runs=1)['matmul_n'] == 2048
    assert peak_flops('cpu', torch.float32, n=64, runs=1)['matmul_n'] == 64
