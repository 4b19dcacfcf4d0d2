"""Bad input through every front end (``core.cstvr.*``, ``cstvr`` with both backends, the
inferencer, tools/train.py): each case works or fails with an error naming the problem and the fix,
never a traceback, a crash or a hang. Cases the plugin tests already cover (YUV, grey, variable
format, size and frame rate clips, zero and negative factors, one to three frames) are in
test_vs_plugin.py."""
import re
import subprocess
import sys

import pytest

import vs_testlib as lib
from mmagic_cstvr.apis import CSTVRInferencer
from mmagic_cstvr.media.probe import DAMAGED_HINT, probe
from mmagic_cstvr.errors import FfmpegError, WeightsError

vs = pytest.importorskip('vapoursynth')

BACKENDS = ['vapoursynth', 'ffmpeg']


def ffmpeg(*args):
    subprocess.run([lib.tool('ffmpeg'), '-v', 'error', '-y', *map(str, args)], check=True,
                   timeout=120)


@pytest.fixture(scope='module')
def assets(tmp_path_factory):
    lib.build_plugin()
    d = tmp_path_factory.mktemp('bad')
    a = {'dir': d, 'steg': lib.make_model(lib.STEG, d / 'steg.safetensors'),
         'one': lib.make_clip(d / 'one.mp4', 1), 'clip': lib.make_clip(d / 'clip.mp4', 8)}
    a['odd'] = d / 'odd.mp4'  # 63x47: not a multiple of the model's 2x2 pixel shuffle
    ffmpeg('-f', 'lavfi', '-i', 'testsrc2=size=64x48:rate=30', '-vf', 'scale=63:47',
           '-frames:v', 6, '-c:v', 'libx264', '-pix_fmt', 'yuv444p', '-crf', 1, a['odd'])
    whole = d / 'whole.mkv'  # keyframes every 10 frames, no B-frames: half of it decodes
    ffmpeg('-f', 'lavfi', '-i', 'testsrc2=size=64x48:rate=30', '-frames:v', 60, '-c:v',
           'libx264', '-g', 10, '-bf', 0, whole)
    data = whole.read_bytes()
    a['half_mkv'] = d / 'half.mkv'
    a['half_mkv'].write_bytes(data[:len(data) // 2])
    mp4 = lib.make_clip(d / 'whole.mp4', 60)  # the index (moov) is at the end: cut, unreadable
    a['half_mp4'] = d / 'half.mp4'
    a['half_mp4'].write_bytes(mp4.read_bytes()[:mp4.stat().st_size // 2])
    return a


def cli(capsys, *args):
    """``cstvr ARGS`` in this process: (exit code, stderr)."""
    from mmagic_cstvr.cli import main
    try:
        rc = main([str(a) for a in args])
    except SystemExit as exit_:  # argparse
        rc = exit_.code
    return rc, capsys.readouterr().err


def rgb(clip_path):
    from vs_cstvr.pipeline import open_rgb
    return open_rgb(str(clip_path))[0]


# -- a one-frame clip ------------------------------------------------------------------------------

@pytest.mark.parametrize('backend', BACKENDS)
def test_one_frame_clip_down_and_up(assets, tmp_path, capsys, backend):
    lr, hr = tmp_path / 'lr.mkv', tmp_path / 'hr.mkv'
    common = ['--model', assets['steg'], '--device', '-1', '-q', '--backend', backend]
    rc, err = cli(capsys, 'downsample', assets['one'], lr, '--factor', 2, '--scale', 2, *common)
    assert rc == 0, err
    assert (probe(lr).num_frames, probe(lr).width) == (1, 32)
    rc, err = cli(capsys, 'upsample', lr, hr, *common)
    assert rc == 0, err
    info = probe(hr)
    assert (info.num_frames, info.width, info.height) == (1, 64, 48)  # the source restored


# -- a variable frame rate file ---------------------------------------------------------------------

def test_variable_frame_rate_file_reads_alike_in_both_backends(assets, tmp_path, capsys):
    """15 frames 1/30 s apart, then 15 frames 2/30 s apart: both backends read the 30 frames at
    bestsource's mean rate (as constant-rate frames) and write the same clip."""
    vfr = tmp_path / 'vfr.mkv'
    ffmpeg('-f', 'lavfi', '-i', 'testsrc2=size=64x48:rate=30', '-frames:v', 30, '-vf',
           "setpts='if(lt(N,15),N,15+(N-15)*2)/30/TB'", '-fps_mode', 'passthrough', '-c:v',
           'libx264', '-pix_fmt', 'yuv420p', vfr)
    assert probe(vfr).num_frames == 30
    outs = {}
    for backend in BACKENDS:
        outs[backend] = tmp_path / f'{backend}.mkv'
        rc, err = cli(capsys, 'downsample', vfr, outs[backend], '--model', assets['steg'],
                      '--factor', 2, '--scale', 2, '--codec', 'ffv1', '--device', '-1', '-q',
                      '--backend', backend)
        assert rc == 0, err
    a, b = probe(outs['vapoursynth']), probe(outs['ffmpeg'])
    assert (a.num_frames, a.fps) == (b.num_frames, b.fps) == (15, probe(vfr).fps / 2)
    frames = [subprocess.run([lib.tool('ffmpeg'), '-v', 'error', '-i', str(o), '-f', 'rawvideo',
                              '-'], capture_output=True, check=True).stdout for o in outs.values()]
    assert frames[0] == frames[1]


# -- sizes the model's multiples do not divide -----------------------------------------------------

@pytest.mark.parametrize('backend', BACKENDS)
def test_odd_size_round_trip(assets, tmp_path, capsys, backend):
    out = tmp_path / 'rt.mkv'
    common = [assets['odd'], out, '--model', assets['steg'], '--scale', 2, '--device', '-1',
              '-q', '--backend', backend]
    rc, err = cli(capsys, 'roundtrip', *common)  # default yuv420p cannot hold 63x47
    assert rc == 2
    assert 'the output is 63x47, but yuv420p (4:2:0) needs an even width and height' in err
    assert 'yuv444p' in err and 'Traceback' not in err
    assert not list(tmp_path.glob('rt.mkv*'))
    rc, err = cli(capsys, 'roundtrip', *common, '--pix-fmt', 'yuv444p')
    assert rc == 0, err
    info = probe(out)
    assert (info.num_frames, info.width, info.height) == (6, 63, 47)


# -- factors and targets ---------------------------------------------------------------------------

@pytest.mark.parametrize('args,message', [
    (['--factor', 'nan'], 'factor must be a number'),
    (['--factor', 'inf'], 'factor must be a number'),
    (['--scale', 'nan'], 'scale must be a positive finite number'),
    (['--scale', 'inf'], 'scale must be a positive finite number'),
    (['--scale', '-1'], 'scale must be a positive finite number'),
    (['--scale', '1000'], 'scale 1000 is larger than the supported maximum 16'),
    (['--factor', '1000'], 'the temporal factor 1000 is larger than the supported maximum 16'),
    (['--factor', '0'], 'must be positive'),
])
@pytest.mark.parametrize('backend', BACKENDS)
def test_bad_factors_exit_2_naming_the_value(assets, tmp_path, capsys, backend, args, message):
    rc, err = cli(capsys, 'upsample', assets['clip'], tmp_path / 'o.mkv', '--model',
                  assets['steg'], '--device', '-1', '--backend', backend, *args)
    assert rc == 2, err
    assert message in err and 'Traceback' not in err
    assert not list(tmp_path.glob('o.mkv*'))


@pytest.fixture
def four_gib(monkeypatch):
    """The machine has 4 GiB free (so the checks below do not depend on this machine)."""
    import mmagic_cstvr.engine.runtime as runtime
    monkeypatch.setattr(runtime, 'available_host_memory', lambda: 4 << 30)


@pytest.mark.parametrize('kw,needs', [
    (dict(width=16384), r'this request needs at least [0-9.]+ GiB of host memory \(8 output frames of '
                        r'16384x12288 per group of 1 window\(s\), the network on whole frames\)'),
    (dict(factor_num=16, width=4096), r'64 output frames of 4096x3072'),
])
def test_upscale_that_does_not_fit_is_refused_before_allocating(assets, four_gib, kw, needs):
    clip = rgb(assets['clip'])[:4]
    with pytest.raises(vs.Error, match=needs) as err:
        vs.core.cstvr.Upsample(clip, model=str(assets['steg']), device_index=-1, **kw)
    assert 'but 4.0 GiB are available; ask for a smaller target, fewer output frames per window ' \
           '(window=1), batch=1, or spatial tiles (tile=512)' in str(err.value)
    assert 'Traceback' not in str(err.value)


def test_what_fits_is_planned(assets, four_gib):
    """A large target with one frame per window and tiles passes the check (nothing computed)."""
    clip = rgb(assets['clip'])[:4]
    up = vs.core.cstvr.Upsample(clip, model=str(assets['steg']), device_index=-1, width=8192,
                                window=1, tile=512)
    assert (up.width, up.height, up.num_frames) == (8192, 6144, 8)


@pytest.mark.parametrize('backend', BACKENDS)
def test_command_refuses_a_target_that_does_not_fit(assets, tmp_path, capsys, four_gib, backend):
    rc, err = cli(capsys, 'upsample', assets['clip'], tmp_path / 'o.mkv', '--model',
                  assets['steg'], '--size', '16384x12288', '--device', '-1', '--backend', backend)
    assert rc == 2, err
    assert 'GiB of host memory' in err and 'window=1' in err and 'Traceback' not in err
    assert not list(tmp_path.glob('o.mkv*'))


# -- truncated video files -------------------------------------------------------------------------

@pytest.mark.parametrize('backend', BACKENDS)
def test_truncated_mp4_is_a_clear_error(assets, tmp_path, backend):
    res = lib.run_cli(['roundtrip', assets['half_mp4'], tmp_path / 'o.mkv', '--model',
                       assets['steg'], '--device', '-1', '--backend', backend])
    assert res.returncode == 1, res.stderr
    assert f'cannot read {assets["half_mp4"]}' in res.stderr and DAMAGED_HINT in res.stderr
    assert 'Traceback' not in res.stderr
    assert not list(tmp_path.glob('o.mkv*'))


def test_truncated_mp4_through_the_inferencer(assets, tmp_path):
    steg = CSTVRInferencer(ckpt=assets['steg'], device=-1, show_progress=False)
    with pytest.raises(FfmpegError, match='cannot read .*complete video file'):
        steg(video=assets['half_mp4'], result_out_dir=tmp_path / 'o.mkv')


def test_truncated_mkv_gives_the_frames_that_decode(assets, tmp_path):
    """Both backends (subprocesses with a timeout: nothing hangs) write the same frames."""
    counts = {}
    for backend in BACKENDS:
        out = tmp_path / f'{backend}.mkv'
        res = lib.run_cli(['roundtrip', assets['half_mkv'], out, '--model', assets['steg'],
                           '--device', '-1', '--scale', '2', '-q', '--backend', backend])
        assert res.returncode == 0, res.stderr
        counts[backend] = lib.count_frames(out)
    assert counts['vapoursynth'] == counts['ffmpeg']
    assert 10 <= counts['ffmpeg'] < 60


# -- ffmpeg missing --------------------------------------------------------------------------------

@pytest.mark.parametrize('backend', BACKENDS)
def test_configured_ffmpeg_that_does_not_exist(assets, tmp_path, backend):
    env = dict(lib.env(), CSTVR_FFMPEG=str(tmp_path / 'no' / 'ffmpeg'))
    res = subprocess.run([sys.executable, '-m', 'mmagic_cstvr.cli', 'downsample', assets['clip'],
                          tmp_path / 'o.mkv', '--model', assets['steg'], '--backend', backend],
                         capture_output=True, text=True, env=env, timeout=300)
    assert res.returncode == 1
    assert f'CSTVR_FFMPEG={tmp_path / "no" / "ffmpeg"} is not an executable file' in res.stderr
    assert 'Traceback' not in res.stderr


@pytest.mark.parametrize('backend', BACKENDS)
def test_no_ffmpeg_anywhere(assets, tmp_path, capsys, monkeypatch, backend):
    """No ffmpeg next to the interpreter, none on PATH, none configured."""
    monkeypatch.setattr(sys, 'executable', str(tmp_path / 'bin' / 'python'))
    monkeypatch.setenv('PATH', str(tmp_path))
    monkeypatch.delenv('CSTVR_FFMPEG', raising=False)
    rc, err = cli(capsys, 'downsample', assets['clip'], tmp_path / 'o.mkv', '--model',
                  assets['steg'], '--backend', backend)
    assert rc == 1
    assert 'ffmpeg not found: run make setup' in err and 'CSTVR_FFMPEG=/path/to/ffmpeg' in err


# -- weights and configs ---------------------------------------------------------------------------

@pytest.fixture(scope='module')
def bad_weights(assets):
    d = assets['dir']
    cut = d / 'cut.safetensors'
    cut.write_bytes(assets['steg'].read_bytes()[:1000])
    other = dict(lib.STEG, up=dict(lib.STEG['up'], hidden=32))
    wrong = lib.make_model(other, d / 'wrong.safetensors')
    config = d / 'steg_cfg.py'
    config.write_text(f'model = dict(generator={lib.STEG!r})\n')
    typo = d / 'typo_cfg.py'
    typo.write_text(f'model = dict(generator={dict(lib.STEG, up=dict(lib.STEG["up"], hiden=16))!r})\n')
    return {'cut': (cut, None, 'truncated or corrupt'),
            'wrong': (wrong, config, r'does not fit the CSTVRResampler network \(wrong shape: '),
            'typo': (assets['steg'], typo, "unexpected keyword argument 'hiden'"),
            'missing': (d / 'missing.safetensors', None, 'neither a shipped model')}


@pytest.mark.parametrize('case', ['cut', 'wrong', 'typo', 'missing'])
def test_bad_weights_and_configs_in_the_plugin(assets, bad_weights, case):
    weights, config, message = bad_weights[case]
    kw = {'config': str(config)} if config else {}
    with pytest.raises(vs.Error, match=message) as err:
        vs.core.cstvr.Downsample(rgb(assets['clip']), model=str(weights), **kw)
    assert 'Traceback' not in str(err.value)


@pytest.mark.parametrize('case', ['cut', 'wrong', 'typo'])
def test_bad_weights_and_configs_in_the_inferencer(bad_weights, case):
    weights, config, message = bad_weights[case]
    with pytest.raises(WeightsError, match=message):
        CSTVRInferencer(config=config, ckpt=weights, device=-1, show_progress=False)


@pytest.mark.parametrize('case', ['cut', 'typo'])
@pytest.mark.parametrize('backend', BACKENDS)
def test_bad_weights_and_configs_in_the_command(assets, bad_weights, tmp_path, capsys, case,
                                                backend):
    weights, config, message = bad_weights[case]
    extra = ['--config', config] if config else []
    rc, err = cli(capsys, 'downsample', assets['clip'], tmp_path / 'o.mkv', '--model', weights,
                  *extra, '--device', '-1', '--backend', backend)
    assert rc == 2, err
    assert message in err and 'Traceback' not in err


def train_with_option(tmp_path, option: str) -> subprocess.CompletedProcess:
    """tools/train.py on the tiny config with one ``--cfg-options`` entry."""
    return subprocess.run([sys.executable, str(lib.REPO / 'tools' / 'train.py'),
                           str(lib.REPO / 'configs' / 'cstvr_tiny.py'), '--work-dir',
                           str(tmp_path / 'w'), '--cfg-options', option],
                          capture_output=True, text=True, env=lib.env(), timeout=300)


def test_unknown_cfg_options_key_is_named(tmp_path):
    res = train_with_option(tmp_path, 'default_hook.checkpoint.interval=2')
    assert res.returncode == 1
    assert ("--cfg-options default_hook.checkpoint.interval: the config has no setting "
            "'default_hook' and mmengine's Runner takes none; did you mean 'default_hooks'?"
            ) in res.stderr
    assert not (tmp_path / 'w').exists()


def test_unknown_generator_key_in_cfg_options_is_named(tmp_path):
    res = train_with_option(tmp_path, 'model.generator.up.hiden=16')
    assert res.returncode == 1
    assert "got an unexpected keyword argument 'hiden'" in res.stderr


@pytest.mark.parametrize('option,message', [
    ('model.test_cfg.spatail=4', r'unknown key\(s\) in model.test_cfg: spatail; the CSTVR editor '
                                 r'reads temporal, spatial'),
    ('model.train_cfg.factor.named_prob=1', r'unknown key\(s\) in model.train_cfg: factor; the '
                                            r'CSTVR editor reads factors, codec_proxy'),
])
def test_unknown_editor_cfg_key_is_named(tmp_path, option, message):
    res = train_with_option(tmp_path, option)
    assert res.returncode == 1
    assert re.search(message, res.stderr), res.stderr[-2000:]
