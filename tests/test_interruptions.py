"""Runs stopped from outside: Ctrl-C during ``cstvr ... --backend ffmpeg`` (the VapourSynth backend's
is in test_cli_resample.py), and a training run killed with SIGKILL and resumed with ``--resume``
(real mmengine Runner through tools/train.py, tiny config, a generated clip)."""
import re
import signal
import subprocess
import sys
import time


import vs_testlib as lib


def _wait_for(predicate, proc, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline and proc.poll() is None and not predicate():
        time.sleep(0.1)
    return predicate()


def test_ctrl_c_ffmpeg_backend_leaves_only_a_marked_partial_file(tmp_path):
    steg = lib.make_model(lib.STEG, tmp_path / 'steg.safetensors')
    long = lib.make_clip(tmp_path / 'long.mp4', 3000, size='32x24')
    out = tmp_path / 'out.mkv'
    partial = tmp_path / 'out.mkv.partial'
    proc = subprocess.Popen([sys.executable, '-m', 'mmagic_cstvr.cli', 'roundtrip', str(long),
                             str(out), '--model', str(steg), '--scale', '2', '-q',
                             '--backend', 'ffmpeg', '--device', '-1'],
                            env=lib.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        assert _wait_for(partial.exists, proc, 120), 'the encoder did not start'
        time.sleep(1.0)  # frames are flowing (ffmpeg buffers tiny frames: the file may be empty)
        assert proc.poll() is None, 'finished before it could be interrupted'
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert f'interrupted; the incomplete output is {partial}' in err
    assert 'Traceback' not in err
    assert not out.exists() and partial.exists()


def _train_cmd(config, work, clip, max_iters, resume=False):
    return [sys.executable, str(lib.REPO / 'tools' / 'train.py'), str(config), '--work-dir',
            str(work), *(['--resume'] if resume else []), '--cfg-options',
            f'train_cfg.max_iters={max_iters}', 'train_cfg.val_interval=100000',
            'default_hooks.checkpoint.interval=2', 'default_hooks.checkpoint.max_keep_ckpts=100',
            'default_hooks.logger.interval=1', 'train_dataloader.batch_size=1',
            'train_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False',
            f"train_dataloader.dataset.sources=['{clip}']", 'train_dataloader.dataset.scales=[1.0]',
            'train_dataloader.dataset.crop_size=32', 'train_dataloader.dataset.num_frames=5',
            f"val_dataloader.dataset.sources=['{clip}']", 'val_dataloader.dataset.max_frames=7']


def test_training_killed_mid_run_resumes_from_the_last_checkpoint(tmp_path):
    """SIGKILL after a few checkpoints (interval 2), then ``--resume``: training continues at the
    last checkpoint, so at most one checkpoint interval of iterations is lost."""
    clip = lib.make_clip(tmp_path / 'train.mp4', 24, size='48x40')
    config = lib.REPO / 'configs' / 'cstvr_tiny.py'
    work = tmp_path / 'work'
    log_path = tmp_path / 'killed.log'
    env = dict(lib.env(), PYTHONUNBUFFERED='1')
    with open(log_path, 'w') as log:
        proc = subprocess.Popen(_train_cmd(config, work, clip, 1000), cwd=lib.REPO, env=env,
                                stdout=log, stderr=subprocess.STDOUT)
        try:
            started = _wait_for(lambda: (work / 'iter_4.pth').exists(), proc, 600)
            if started:
                time.sleep(1.5)  # kill part-way into a later interval
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=60)
    text = log_path.read_text()
    assert started, text[-3000:]
    assert proc.returncode == -signal.SIGKILL
    done = max(int(k) for k in re.findall(r'Iter\(train\) \[\s*(\d+)/1000\]', text))
    last = (work / 'last_checkpoint').read_text().strip()
    saved = int(re.search(r'iter_(\d+)\.pth$', last).group(1))
    assert done - saved <= 2, (done, saved)  # at most one checkpoint interval lost

    res = subprocess.run(_train_cmd(config, work, clip, saved + 2, resume=True), cwd=lib.REPO,
                         env=env, capture_output=True, text=True, timeout=600)
    log = res.stdout + res.stderr
    assert res.returncode == 0, log[-3000:]
    assert f'resumed epoch: 0, iter: {saved}' in log
    # mmengine pads the iteration to the width of the total ("[ 9/10]")
    assert re.search(rf'Iter\(train\) \[\s*{saved + 1}/{saved + 2}\]', log)
    assert not re.search(r'Iter\(train\) \[\s*1/', log)
    assert (work / f'iter_{saved + 2}.pth').is_file()
