"""``cstvr downsample|upsample|roundtrip IN OUT``: real VapourSynth graph, real ffmpeg, tiny model."""
import re
import signal
import subprocess
import sys
import time

import pytest

import vs_testlib as lib

pytest.importorskip('vapoursynth')


@pytest.fixture(scope='module')
def assets(tmp_path_factory):
    lib.build_plugin()
    d = tmp_path_factory.mktemp('cli')
    return {
        'steg': lib.make_model(lib.STEG, d / 'steg.safetensors'),
        'clip': lib.make_clip(d / 'clip.mp4', 48, audio=True),
        'dir': d,
    }


def test_roundtrip_end_to_end_with_audio(assets, tmp_path):
    out = tmp_path / 'rt.mp4'
    res = lib.run_cli(['roundtrip', assets['clip'], out, '--model', assets['steg'],
                       '--factor', '2', '--scale', '2'])
    assert res.returncode == 0, res.stderr
    assert out.is_file() and not (tmp_path / 'rt.mp4.partial').exists()
    assert lib.count_frames(out) == 48
    info = lib.probe(out)
    assert '64x48' in info and ' 30 fps' in info
    assert 'Audio: aac' in info  # same duration: the audio is copied


def test_downsample_then_upsample_restores_the_source(assets, tmp_path):
    lr = tmp_path / 'lr.mkv'
    res = lib.run_cli(['downsample', assets['clip'], lr, '--model', assets['steg'],
                       '--fps', '24', '--size', '32x24', '--crf', '0', '-q'])
    assert res.returncode == 0, res.stderr
    info = lib.probe(lr)
    assert '32x24' in info and ' 24 fps' in info and 'yuv444p' in info
    assert 'cstvr_source' in info.lower() and '64x48 30 48' in info
    assert lib.count_frames(lr) == 39
    hr = tmp_path / 'hr.mp4'
    res = lib.run_cli(['upsample', lr, hr, '--model', assets['steg'], '--no-audio', '-q'])
    assert res.returncode == 0, res.stderr
    info = lib.probe(hr)
    assert '64x48' in info and ' 30 fps' in info and 'Audio' not in info
    assert lib.count_frames(hr) == 48
    # an explicit target wins over the recorded one
    hr2 = tmp_path / 'hr2.mkv'
    res = lib.run_cli(['upsample', lr, hr2, '--model', assets['steg'], '--factor', '2',
                       '--scale', '1.5', '-q'])
    assert res.returncode == 0, res.stderr
    assert '48x36' in lib.probe(hr2) and lib.count_frames(hr2) == 78


def test_hidden_motion_is_written_for_a_lossless_encode_only_and_upsample_says_when_it_is_lost(
        assets, tmp_path):
    from mmagic_cstvr.engine.weights import build_generator, save_weights
    cfg = dict(type='HiddenMotionResampler', fit_iterations=5)
    model = save_weights(build_generator(cfg), cfg, tmp_path / 'hm.safetensors')
    clip = lib.make_clip(tmp_path / 'src.mp4', 9)
    left_out = 'cstvr downsample: note: hidden motion not written'
    unread = 'cstvr: warning: the transmitted frames carry no readable hidden motion'
    for backend in ('vapoursynth', 'ffmpeg'):
        lossy, lossless = tmp_path / f'lossy_{backend}.mp4', tmp_path / f'lossless_{backend}.mp4'
        for out, flags in ((lossy, []), (lossless, ['--lossless'])):
            res = lib.run_cli(['downsample', clip, out, '--model', model, '--factor', '2',
                               '--scale', '1', '--backend', backend, '-q', *flags])
            assert res.returncode == 0, res.stderr
            assert (left_out in res.stderr) == (not flags), res.stderr
            assert 'warning' not in res.stderr
        assert 'yuv444p10le' in lib.probe(lossless) and 'yuv444p(' in lib.probe(lossy)
        assert re.search(r'cstvr_hidden_motion\s*: left out', lib.probe(lossy))
        assert re.search(r'cstvr_hidden_motion\s*: written', lib.probe(lossless))
        # a lossy re-encode of the lossless file loses the motion; its record still says written
        lost = tmp_path / f'lost_{backend}.mp4'
        subprocess.run([lib.tool('ffmpeg'), '-v', 'error', '-i', str(lossless), '-c:v', 'libx264',
                        '-crf', '12', '-pix_fmt', 'yuv444p', '-movflags', '+use_metadata_tags',
                        str(lost)], check=True)
        for out in (lossy, lossless, lost):
            res = lib.run_cli(['upsample', out, tmp_path / f'up_{out.stem}.mp4', '--model', model,
                               '--backend', backend, '-q'])
            assert res.returncode == 0, res.stderr
            assert (unread in res.stderr) == (out is lost), res.stderr


@pytest.mark.parametrize('args,message', [
    (['roundtrip', '{dir}/missing.mp4', '{tmp}/o.mp4'], 'does not exist'),
    (['downsample', '{clip}', '{tmp}/o.mp4', '--factor', 'abc'], 'factor must be a number'),
    (['downsample', '{clip}', '{tmp}/o.mp4', '--factor', '0'], 'must be positive'),
    (['downsample', '{clip}', '{tmp}/o.mp4', '--factor', '2', '--fps', '15'], 'not both'),
    (['downsample', '{clip}', '{tmp}/o.mp4', '--size', '12'], 'WxH'),
    (['downsample', '{clip}', '{tmp}/o.xyz'], 'unknown output container'),
    (['downsample', '{clip}', '{tmp}/o.mp4', '--lossless', '--crf', '4'], 'not both'),
    (['downsample', '{clip}', '{tmp}/o.mp4', '--lossless', '--codec', 'mpeg4'],
     '--lossless needs --codec'),
    (['downsample', '{clip}', '{clip}'], 'exists; pass -y'),
    (['upsample', '{clip}', '{tmp}/o.mp4', '--model', '/no/model.safetensors'],
     'neither a shipped model'),
    (['upsample', '{clip}', '{tmp}/o.mp4', '--mode', 'wrong'], 'invalid choice'),
    (['frobnicate'], 'invalid choice'),
    ([], ''),
])
def test_usage_errors_exit_2(assets, tmp_path, capsys, args, message):
    from mmagic_cstvr.cli import main
    fill = {'dir': assets['dir'], 'tmp': tmp_path, 'clip': assets['clip']}
    args = [a.format(**fill) for a in args]
    if args and args[0] != 'frobnicate' and '--model' not in args:
        args += ['--model', str(assets['steg'])]
    try:
        rc = main(args)
    except SystemExit as exit_:  # argparse
        rc = exit_.code
    assert rc == 2
    captured = capsys.readouterr()
    assert message in captured.err + captured.out
    assert not list(tmp_path.glob('o.*'))


def test_exit_codes_of_the_process(assets, tmp_path):
    res = lib.run_cli(['roundtrip', assets['dir'] / 'missing.mp4', tmp_path / 'o.mp4'])
    assert res.returncode == 2 and 'does not exist' in res.stderr
    bad = tmp_path / 'bad.mp4'
    bad.write_bytes(b'not a video')
    res = lib.run_cli(['roundtrip', bad, tmp_path / 'o.mp4', '--model', assets['steg']])
    assert res.returncode == 1 and 'cannot read' in res.stderr
    assert not list(tmp_path.glob('o.*'))


def test_interrupt_leaves_only_a_marked_partial_file(assets, tmp_path):
    long = lib.make_clip(tmp_path / 'long.mp4', 3000, size='32x24')
    out = tmp_path / 'out.mkv'
    partial = tmp_path / 'out.mkv.partial'
    proc = subprocess.Popen([sys.executable, '-m', 'mmagic_cstvr.cli', 'roundtrip', str(long),
                             str(out), '--model', str(assets['steg']), '--scale', '2', '-q'],
                            env=lib.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None and not partial.exists():
        time.sleep(0.1)
    time.sleep(1.0)  # frames are flowing
    assert proc.poll() is None, 'finished before it could be interrupted'
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert 'interrupted' in err
    assert not out.exists()
    assert partial.exists()
