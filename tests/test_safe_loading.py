"""User-supplied weights load only as safetensors: a pickle (a ``torch.save`` checkpoint or a raw
pickle stream, whatever its name) is refused by every front end with the conversion command, and
none of its code runs (its ``__reduce__`` would create a marker file)."""
import builtins
import pickle
import subprocess
import sys

import pytest
import torch

import vs_testlib as lib
from mmagic_cstvr.engine.weights import load_generator
from mmagic_cstvr.errors import WeightsError

HINT = 'tools/export_weights.py'


class CreatesMarker:
    """Unpickling this calls ``open(marker, 'w')``: the marker file proves pickle code ran."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (builtins.open, (self.marker, 'w'))


@pytest.fixture(params=['torch_save.pth', 'torch_save.safetensors', 'raw_pickle.safetensors'])
def evil(request, tmp_path):
    """A malicious checkpoint and the marker its unpickling would create."""
    marker = tmp_path / 'pickle_code_ran'
    path = tmp_path / request.param
    payload = {'state_dict': {'w': torch.zeros(1)}, 'meta': CreatesMarker(marker)}
    if request.param.startswith('torch_save'):
        torch.save(payload, path)
    else:
        path.write_bytes(pickle.dumps(payload, protocol=4))
    yield path
    assert not marker.exists(), 'pickle code ran'


@pytest.fixture(scope='module')
def assets(tmp_path_factory):
    d = tmp_path_factory.mktemp('safe')
    return {'clip': lib.make_clip(d / 'clip.mp4', 6), 'dir': d}


def test_marker_proves_pickle_code_would_run(tmp_path):
    """The payload is live: plain pickle.load does create the marker (so its absence means
    something)."""
    marker = tmp_path / 'ran'
    pickle.loads(pickle.dumps(CreatesMarker(marker))).close()
    assert marker.exists()


def test_load_generator_refuses_pickles(evil):
    with pytest.raises(WeightsError, match=f'not safetensors; convert it with: python {HINT}'):
        load_generator(evil)


def test_plugin_refuses_pickles(evil, assets):
    vs = pytest.importorskip('vapoursynth')
    lib.build_plugin()
    clip = vs.core.std.BlankClip(format=vs.RGBS, width=32, height=24, length=4)
    with pytest.raises(vs.Error, match=f'Downsample: .*not safetensors.*{HINT}') as err:
        vs.core.cstvr.Downsample(clip, model=str(evil))
    assert 'Traceback' not in str(err.value)


def test_inferencer_refuses_pickles(evil, assets, tmp_path):
    from mmagic_cstvr.apis import CSTVRInferencer
    with pytest.raises(WeightsError, match=HINT):
        CSTVRInferencer(ckpt=evil, device=-1, show_progress=False)


@pytest.mark.parametrize('evil', ['torch_save.safetensors'], indirect=True)
@pytest.mark.parametrize('backend', ['vapoursynth', 'ffmpeg'])
def test_command_refuses_pickles(evil, assets, tmp_path, capsys, backend):
    pytest.importorskip('vapoursynth')
    lib.build_plugin()
    from mmagic_cstvr.cli import main
    out = tmp_path / 'o.mkv'
    rc = main(['downsample', str(assets['clip']), str(out), '--model', str(evil), '-q',
               '--backend', backend, '--device', '-1'])
    assert rc == 2
    assert HINT in capsys.readouterr().err
    assert not list(tmp_path.glob('o.mkv*'))


@pytest.mark.parametrize('evil', ['torch_save.pth'], indirect=True)
def test_tools_test_refuses_pickles(evil):
    res = subprocess.run([sys.executable, str(lib.REPO / 'tools' / 'test.py'),
                          str(lib.REPO / 'configs' / 'cstvr_tiny.py'), str(evil)],
                         capture_output=True, text=True, env=lib.env(), timeout=300)
    assert res.returncode == 1
    assert f'tools/test.py: {evil}' in res.stderr and HINT in res.stderr
    assert 'Traceback' not in res.stderr


@pytest.mark.parametrize('evil', ['torch_save.pth'], indirect=True)
def test_benchmark_refuses_pickles(evil):
    res = subprocess.run([sys.executable, str(lib.REPO / 'tools' / 'benchmark.py'),
                          str(lib.REPO / 'configs' / 'cstvr_tiny.py'), str(evil), '--no-vspipe',
                          '--size', '64x48'],
                         capture_output=True, text=True, env=lib.env(), timeout=300)
    assert res.returncode == 2
    assert HINT in res.stderr and 'Traceback' not in res.stderr


def test_safetensors_named_like_a_checkpoint_still_loads(tmp_path):
    """The content decides: a safetensors file called model.pth is not mistaken for a pickle."""
    from mmagic_cstvr.engine.weights import build_generator, save_weights
    path = save_weights(build_generator(lib.STEG), lib.STEG, tmp_path / 'model.pth')
    assert load_generator(path).mode == 'steg'
