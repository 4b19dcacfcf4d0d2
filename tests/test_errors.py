"""One exception hierarchy (``mmagic_cstvr.errors``), and the types that survive the C bridge of
the VapourSynth plugin: a refused ``core.cstvr`` call raises ``vapoursynth.Error`` with the message,
and :func:`vs_cstvr.dispatch.original_error` gives the Python exception behind it."""
import ast
from pathlib import Path

import pytest

from mmagic_cstvr import errors
from mmagic_cstvr.errors import CstvrError, FfmpegError, WeightsError

REPO = Path(__file__).resolve().parents[1]
#: Exceptions of the environment's set-up rather than of a request: building the plugin at install
#: time, and mmcv's compiled ops missing (raised by a stand-in module before the project loads).
SETUP_ERRORS = {('vs_cstvr/build.py', 'BuildError'),
                ('mmagic_cstvr/utils/compat.py', 'MmcvOpsUnavailable')}


def test_request_errors_are_one_hierarchy():
    for name in ('WeightsError', 'OptionError', 'UsageError', 'BenchmarkError'):
        assert issubclass(getattr(errors, name), CstvrError), name
    assert issubclass(CstvrError, ValueError)
    assert issubclass(FfmpegError, RuntimeError) and not issubclass(FfmpegError, CstvrError)


def test_no_module_defines_its_own_exception():
    found = set()
    paths = (p for pkg in ('mmagic_cstvr', 'vs_cstvr') for p in (REPO / pkg).rglob('*.py'))
    for path in sorted(paths):
        rel = path.relative_to(REPO).as_posix()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef) and any(
                    getattr(b, 'id', getattr(b, 'attr', '')).endswith(('Error', 'Exception'))
                    for b in node.bases):
                found.add((rel, node.name))
    outside = found - SETUP_ERRORS - {('mmagic_cstvr/errors.py', n) for n in vars(errors)}
    assert not outside, f'exceptions defined outside mmagic_cstvr/errors.py: {sorted(outside)}'


@pytest.fixture(scope='module')
def core():
    vs = pytest.importorskip('vapoursynth')
    core = vs.core
    assert hasattr(core, 'cstvr'), 'the cstvr plugin is not installed: run make setup'
    return core


def rgb_clip(core):
    import vapoursynth as vs
    return core.std.BlankClip(format=vs.RGBS, width=64, height=48, length=4, fpsnum=30, fpsden=1)


def test_a_refused_call_keeps_its_type_across_the_bridge(core):
    import vapoursynth as vs
    from vs_cstvr.dispatch import original_error
    with pytest.raises(vs.Error) as caught:
        core.cstvr.Downsample(rgb_clip(core), factor_num=-1)
    original = original_error(caught.value)
    assert type(original) is CstvrError
    assert str(caught.value) == f'Downsample: {original}'
    assert original_error(caught.value) is None  # handed out once


def test_missing_weights_arrive_as_weights_error(core):
    import vapoursynth as vs
    from vs_cstvr.dispatch import original_error
    with pytest.raises(vs.Error) as caught:
        core.cstvr.Upsample(rgb_clip(core), model='/no/such/weights.safetensors', factor_num=2)
    original = original_error(caught.value)
    assert isinstance(original, WeightsError) and 'neither a shipped model' in str(original)
    assert 'Traceback' not in str(caught.value)


def test_errors_of_other_filters_have_no_cstvr_original(core):
    import vapoursynth as vs
    from vs_cstvr.dispatch import original_error
    with pytest.raises(vs.Error) as caught:
        core.std.Trim(rgb_clip(core), first=10, last=2)
    assert original_error(caught.value) is None
