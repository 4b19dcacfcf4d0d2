"""The one definition of the filters' arguments (:mod:`mmagic_cstvr.engine.arguments`) against
every front end: the native plugin's registered signatures (through the real core), the filters'
checks, the text options, the ``cstvr`` command's flags, the inferencer's keywords and the README's
table."""
import inspect

import pytest

import vs_testlib as lib
from mmagic_cstvr.engine import arguments as spec
from mmagic_cstvr.errors import CstvrError


def _parse(signature: str):
    return [tuple(part.split(':')) for part in signature.split(';') if part]


def test_plugin_signatures_equal_the_spec():
    vs = pytest.importorskip('vapoursynth')
    lib.build_plugin()
    core = vs.core
    funcs = {f.name: f for f in core.cstvr.functions()}
    for name in spec.FILTERS:
        assert _parse(funcs[name].signature) == _parse(spec.signature(name)), name


@pytest.mark.parametrize('filter_name,kw,message', [
    ('Downsample', dict(batch=0), 'batch must be >= 1, got 0'),
    ('Downsample', dict(tile=-1), 'tile must be >= 0, got -1'),
    ('Downsample', dict(window=0), 'window must be >= 1, got 0'),
    ('Downsample', dict(scenechange=3), 'scenechange must be one of 0, 1, 2, got 3'),
    ('Downsample', dict(sc_threshold=0.0), r'sc_threshold must be in (0, 1], got 0.0'),
    ('Upsample', dict(mode=b'other'), 'mode must be "steg" or "blind", got \'other\''),
    ('Upsample', dict(bf16=2), 'bf16 must be one of 0, 1, got 2'),
    ('Upsample', dict(num_frames=0), 'num_frames must be >= 1, got 0'),
])
def test_read_refuses_with_the_arguments_name(filter_name, kw, message):
    with pytest.raises(CstvrError) as err:
        spec.read(dict(clip=object(), **kw), filter_name)
    assert str(err.value) == message


def test_read_converts_and_defaults():
    got = spec.read(dict(clip='c', mode=b'blind', bf16=1, model=b'm.safetensors'), 'Upsample')
    assert got['mode'] == 'blind' and got['bf16'] is True and got['model'] == 'm.safetensors'
    assert got['batch'] == 1 and got['tile_overlap'] == spec.TILE_OVERLAP
    assert got['window'] is None and got['sc_threshold'] == 0.1
    assert set(got) == {a.name for a in spec.arguments('Upsample')}
    assert 'mode' not in spec.read(dict(clip='c'), 'Downsample')


def test_text_options_set_every_argument_with_an_option():
    from vs_cstvr.pipeline import filter_kwargs
    for name, direction in (('Downsample', 'down'), ('Upsample', 'up')):
        text = {option: ('5/4' if len(args) == 2 else '2' if args[0].py_type in (int, float, bool)
                         else 'steg') for option, args in spec.options(name).items()}
        kw = filter_kwargs(text, direction)
        assert set(kw) == {a.name for a in spec.arguments(name) if a.option}, name
        for a in spec.arguments(name):
            if a.option is not None and a.vs_type == 'int':
                assert isinstance(kw[a.name], int), a.name


def _flags(command: str):
    from mmagic_cstvr.cli import build_parser
    parser = build_parser()
    sub = next(a for a in parser._actions if hasattr(a, 'choices') and isinstance(a.choices, dict))
    return {flag: action for action in sub.choices[command]._actions
            for flag in action.option_strings}


@pytest.mark.parametrize('command', ['downsample', 'upsample', 'roundtrip'])
def test_cli_flags_follow_the_spec(command):
    from mmagic_cstvr.cli.resample import COMMAND_FILTERS, COMMAND_SETS, SIZE_HELP, flag_help
    flags = _flags(command)
    expected = {}
    for filter_name in COMMAND_FILTERS[command]:
        for option, targets in spec.options(filter_name).items():
            if option not in COMMAND_SETS[command]:
                expected[option] = targets[0]
    for option, arg in expected.items():
        if option in ('width', 'height'):
            assert flags['--size'].help == SIZE_HELP
            continue
        action = flags['--' + option.replace('_', '-')]
        assert action.help == flag_help(arg), option
        assert action.default in (None, False), option   # the filter's default applies
        if arg.choices is not None and arg.py_type is not bool:
            assert tuple(action.choices) == arg.choices
    if command == 'roundtrip':
        assert not {'--mode', '--num-frames'} & set(flags)
    if command == 'downsample':
        assert not {'--mode', '--num-frames', '--bf16'} & set(flags)
    assert '--hide-motion' not in flags  # the encode decides: only a lossless one keeps it


#: Inferencer keywords named differently from the text option (the constructor's).
INFERENCER_NAMES = {'model': 'ckpt'}
#: Text options the inferencer does not take: scene changes are VapourSynth frame properties
#: (misc.SCDetect), which the ffmpeg pipeline does not have.
NOT_IN_INFERENCER = {'scenechange'}


def test_inferencer_keywords_follow_the_spec():
    from mmagic_cstvr.apis import CSTVRInferencer
    preprocess = inspect.signature(CSTVRInferencer.preprocess).parameters
    init = inspect.signature(CSTVRInferencer.__init__).parameters
    extra = CSTVRInferencer.extra_parameters
    for name in spec.FILTERS:
        for option, targets in spec.options(name).items():
            if option in NOT_IN_INFERENCER:
                continue
            keyword = INFERENCER_NAMES.get(option, option)
            if keyword in extra:
                assert extra[keyword] == targets[0].default, keyword
            elif keyword in preprocess:
                assert preprocess[keyword].default is None, keyword
            else:
                assert keyword in init and init[keyword].default is None, keyword


def test_readme_table_is_generated():
    from tools.argument_table import README, readme_table, table
    assert readme_table(README.read_text()) == table(), \
        'README.md: run python -m tools.argument_table --write'
