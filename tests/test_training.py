"""Real tiny training through mmengine's Runner started by `mim train`, evaluation, resume, and
`mim test` of a baseline giving the same numbers as `cstvr eval`."""
import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from shared_data import REPO, SHARED, needs_shared_data

MIM = Path(sys.executable).parent / 'mim'
VIMEO = SHARED / 'vimeo_samples'
#: The shipped `steg` general network's recipe.
CONTINUOUS_STEG = 'cstvr-steg-v3_lrgrid48-hrmotion_sam2-continuous.py'


def _run(cmd, cwd, timeout=900):
    proc = subprocess.run([str(c) for c in cmd], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout)
    assert proc.returncode == 0, f'{cmd} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}'
    return proc.stdout + proc.stderr


def _quick(iters, work_dir):
    return ['--work-dir', work_dir, '--cfg-options', f'train_cfg.max_iters={iters}',
            f'train_cfg.val_interval={iters}', 'default_hooks.checkpoint.interval=2',
            'default_hooks.logger.interval=1', 'train_dataloader.batch_size=2',
            'train_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False',
            f"train_dataloader.dataset.sources=['{SHARED / 'videos' / 'sam2_bedroom.mp4'}']",
            'train_dataloader.dataset.max_frames=24', 'train_dataloader.dataset.crop_size=32',
            f"val_dataloader.dataset.sources=['{VIMEO / '00018_0043'}']", 'model.test_cfg.spatial=4']


@needs_shared_data
def test_mim_train_evaluates_and_resumes(tmp_path):
    work = tmp_path / 'tiny'
    log = _run([MIM, 'train', 'mmagic_cstvr', REPO / 'configs' / 'cstvr_tiny.py', *_quick(4, work)], REPO)
    assert 'Iter(train) [4/4]' in log
    psnr = re.search(r'Iter\(val\) \[1/1\]\s+RGB/PSNR: ([\d.]+)', log)
    assert psnr and 15 < float(psnr.group(1)) < 60
    assert (work / 'iter_4.pth').is_file()
    log = _run([MIM, 'train', 'mmagic_cstvr', REPO / 'configs' / 'cstvr_tiny.py', '--resume',
                *_quick(6, work)], REPO)
    assert 'resumed epoch: 0, iter: 4' in log
    assert 'Iter(train) [5/6]' in log and 'Iter(train) [1/6]' not in log
    assert (work / 'iter_6.pth').is_file()
    plot = REPO / 'tools' / 'plot_training.py'
    for args in ([work, tmp_path / 'curve.png'],
                 ['--compare', tmp_path / 'compare.png', f'tiny={work}', '--baseline', '28',
                  '--baseline-label', 'an earlier run']):
        _run([sys.executable, plot, *args], REPO)
    for png in ('curve.png', 'compare.png'):
        assert (tmp_path / png).read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'


def test_training_hours_add_up_each_rows_mean_iteration_time():
    path = REPO / 'tools' / 'plot_training.py'
    spec = importlib.util.spec_from_file_location('plot_training', path)
    plot_training = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(plot_training)
    rows = [dict(step=10, time=1.0), dict(step=20, time=2.0), dict(step=25, time=7.2)]
    hours = plot_training.training_hours(rows)
    assert hours == pytest.approx({0: 0.0, 10: 10 / 3600, 20: 30 / 3600, 25: 66 / 3600})


@needs_shared_data
def test_mim_test_of_naive_baseline_agrees_with_cstvr_eval(tmp_path):
    log = _run([MIM, 'test', 'mmagic_cstvr', REPO / 'configs' / 'cstvr-baseline_naive.py',
                '--checkpoint', 'none', '--work-dir', tmp_path / 'naive', '--cfg-options',
                f"test_dataloader.dataset.sources=['{VIMEO}']"], REPO)
    mim_psnr = float(re.search(r'Iter\(test\) \[3/3\]\s+RGB/PSNR: ([\d.]+)', log).group(1))
    out = tmp_path / 'eval.json'
    _run([sys.executable, '-m', 'mmagic_cstvr.cli', 'eval', '--model', 'naive', '--data', VIMEO,
          '--factors', '2x4', '--out', out, '--quiet'], REPO)
    ours = json.loads(out.read_text())[0]['results']['2x4']['vimeo_samples']['all']['psnr_rgb']
    assert mim_psnr == pytest.approx(ours, abs=0.01)


@needs_shared_data
def test_init_weights_starts_the_generator_from_shipped_weights(tmp_path):
    """With a learning rate of zero, two fine-tuning steps from ``steg`` leave its weights as they
    were: the checkpoint's generator is exactly the shipped file."""
    import torch
    from mmagic_cstvr.engine.weights import members, read_weights
    work = tmp_path / 'ft'
    log = _run([sys.executable, REPO / 'tools' / 'train.py', REPO / 'configs' / CONTINUOUS_STEG,
                '--init-weights', 'steg', *_quick(2, work), 'optim_wrapper.optimizer.lr=0',
                'param_scheduler.eta_min=0'], REPO)
    member = re.search(r'generator initialised from \S+ \((.+)\)', log).group(1)
    assert member == 'general'  # the first network of the file that fits the config
    saved = torch.load(work / 'iter_2.pth', map_location='cpu')['state_dict']
    _, shipped, cfg = read_weights('steg')
    weights = {name: state for name, _, state in members(shipped, cfg)}[member]
    assert all(torch.equal(saved['generator.' + k], v) for k, v in weights.items())


@needs_shared_data
def test_init_weights_that_do_not_fit_are_named(tmp_path):
    proc = subprocess.run([sys.executable, str(REPO / 'tools' / 'train.py'),
                           str(REPO / 'configs' / 'cstvr-blind_tiny.py'), '--init-weights', 'steg',
                           *map(str, _quick(2, tmp_path / 'bad'))],
                          cwd=REPO, capture_output=True, text=True, timeout=600)
    assert proc.returncode != 0
    assert 'does not fit the BlindResampler network' in proc.stderr
