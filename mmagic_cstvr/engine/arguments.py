"""The arguments of ``core.cstvr.Downsample`` and ``core.cstvr.Upsample``: one typed definition.

Every front end reads its arguments from :data:`ARGUMENTS`:

- the native plugin registers :func:`signature` of each filter (``tests/test_arguments.py`` loads
  the real plugin and compares);
- the filters read their arguments with :func:`read` (types, defaults, ranges, errors naming the
  argument);
- the text options of the example scripts and the ``cstvr`` command (:func:`options`), the command's
  flags and the inferencer's engine settings (:func:`engine_defaults`) come from the same entries;
- the README's argument table is written by ``tools/argument_table.py``.

It lives in the engine layer, next to :mod:`~mmagic_cstvr.engine.targets` (which checks the target
geometry the arguments describe): the VapourSynth plugin, the inferencer (``apis``) and the
command (``cli``) all sit above it, and it imports neither VapourSynth nor torch.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Mapping, Optional, Tuple

from .targets import TILE_OVERLAP
from ..errors import CstvrError

DOWN, UP = 'Downsample', 'Upsample'
#: The filters and what each returns.
FILTERS: Dict[str, str] = {
    DOWN: 'RGB24 (the transmitted 8-bit frames)',
    UP: 'RGBS; RGBH when the input is RGBH on CUDA (computed in float16)',
}
#: Groups of arguments: the input clip, the target geometry (with what is read differently per
#: direction) and the model and engine settings every filter shares.
INPUT, RESAMPLING, ENGINE = 'input', 'resampling', 'model and device'


@dataclass(frozen=True)
class Argument:
    """One argument of the filters.

    ``vs_type``: the type in the plugin's signature (``vnode``, ``int``, ``float``, ``data``);
    ``py_type``: what :func:`read` returns; ``default``: the value when the argument is not given
    (None: worked out from the clip, the model or what Downsample recorded, as ``default_text``
    says); ``low``/``high`` (``low_open``: ``low`` excluded) or ``choices``: the allowed values;
    ``option``: the text option that sets it (``vspipe -a option=...``, ``cstvr --option``), a
    fraction for ``*_num``/``*_den`` pairs, None when there is none; ``path``: a file path
    (relative ones are taken from the shell's folder).
    """

    name: str
    vs_type: str
    py_type: type
    filters: Tuple[str, ...]
    group: str
    help: str
    default: object = None
    default_text: Optional[str] = None
    low: Optional[float] = None
    high: Optional[float] = None
    low_open: bool = False
    choices: Optional[Tuple[object, ...]] = None
    option: Optional[str] = None
    path: bool = False

    @property
    def required(self) -> bool:
        return self.vs_type == 'vnode'

    def allowed_text(self) -> Optional[str]:
        """The allowed values in words (``>= 1``, ``in (0, 1]``, ``one of 0, 1``,
        ``"steg" or "blind"``), None when any value of the type is taken."""
        if self.choices is not None:
            if self.py_type is str:
                return ' or '.join(f'"{c}"' for c in self.choices)
            return 'one of ' + ', '.join(str(int(c)) for c in self.choices)
        if self.low is not None and self.high is not None:
            return f'in {"(" if self.low_open else "["}{self.low:g}, {self.high:g}]'
        if self.low is not None:
            return f'{">" if self.low_open else ">="} {self.low:g}'
        return None

    def describe_default(self) -> Optional[str]:
        """The default in words (None for a required argument)."""
        if self.required:
            return None
        if self.default_text is not None:
            return self.default_text
        return str(int(self.default) if self.py_type is bool else self.default)

    def check(self, value):
        """``value`` (as the plugin passes it) converted to :attr:`py_type`; CstvrError naming the
        argument when it is not allowed."""
        if self.vs_type == 'data' and isinstance(value, (bytes, bytearray)):
            value = bytes(value).decode('utf-8')
        value = self.py_type(value) if self.py_type is not bool else value
        too_low = self.low is not None and (value <= self.low if self.low_open
                                            else value < self.low)
        too_high = self.high is not None and value > self.high
        if (self.choices is not None and value not in self.choices) or too_low or too_high:
            shown = repr(value) if self.py_type is str else value
            raise CstvrError(f'{self.name} must be {self.allowed_text()}, got {shown}')
        return bool(value) if self.py_type is bool else value


BOTH = (DOWN, UP)
_FACTOR = ('Downsample: the model\'s factor (2); Upsample: what Downsample recorded, else the '
           'model\'s factor')
_SIZE = ('Downsample: the model\'s scale (4); Upsample: what Downsample recorded, else the '
         'model\'s scale')

#: The arguments in the order of the plugin's signatures.
ARGUMENTS: Tuple[Argument, ...] = (
    Argument('clip', 'vnode', object, BOTH, INPUT,
             'RGBS, RGBH or RGB24; constant format, size and frame rate'),
    Argument('factor_num', 'int', int, BOTH, RESAMPLING,
             'temporal factor factor_num/factor_den (2/1; 5/4 is 30 -> 24 fps): Downsample '
             'divides the frame rate by it, Upsample multiplies it', default_text=_FACTOR,
             option='factor'),
    Argument('factor_den', 'int', int, BOTH, RESAMPLING, 'denominator of factor_num',
             default_text='1', option='factor'),
    Argument('fps_num', 'int', int, BOTH, RESAMPLING,
             'the exact target frame rate fps_num/fps_den (24000/1001), instead of the factor '
             '(never both)', default_text='from the factor', option='fps'),
    Argument('fps_den', 'int', int, BOTH, RESAMPLING, 'denominator of fps_num',
             default_text='1', option='fps'),
    Argument('scale', 'float', float, BOTH, RESAMPLING,
             'spatial factor: Downsample divides the size by it, Upsample multiplies it',
             default_text=_SIZE, option='scale'),
    Argument('width', 'int', int, BOTH, RESAMPLING,
             'output width instead of scale (never both; alone, the aspect ratio is kept)',
             default_text='from height or scale', option='width'),
    Argument('height', 'int', int, BOTH, RESAMPLING,
             'output height instead of scale (never both; alone, the aspect ratio is kept)',
             default_text='from width or scale', option='height'),
    Argument('mode', 'data', str, (UP,), RESAMPLING,
             'steg: a Downsample output (also after a lossy codec); blind: ordinary footage '
             '(needs a BlindResampler model)', default_text='the model\'s kind',
             choices=('steg', 'blind'), option='mode'),
    Argument('bf16', 'int', bool, (UP,), RESAMPLING, 'compute in bfloat16', default=False,
             choices=(0, 1), option='bf16'),
    Argument('num_frames', 'int', int, (UP,), RESAMPLING, 'output frame count',
             default_text='every frame inside the input\'s duration, or the recorded count',
             low=1, option='num_frames'),
    Argument('hide_motion', 'int', bool, (DOWN,), RESAMPLING,
             'write the dropped frames\' motion into the transmitted frames (steg model, every '
             'factor pair but 2x/4x); it survives lossless RGB or YUV 4:4:4 of 10 bits or more '
             'only: 0 for lossy transport (Upsample then uses DIS flow)', default=True,
             choices=(0, 1), option='hide_motion'),
    Argument('model', 'data', str, BOTH, ENGINE,
             'shipped model name or .safetensors weights path (weights with their config)',
             default_text='steg (blind with mode=blind)', option='model', path=True),
    Argument('config', 'data', str, BOTH, ENGINE,
             'mmagic config for weights without an embedded config',
             default_text='the one in the weights', option='config', path=True),
    Argument('device_index', 'int', int, BOTH, ENGINE, '-1 = CPU, 0.. = CUDA device',
             default_text='CUDA 0 when there is one', option='device'),
    Argument('batch', 'int', int, BOTH, ENGINE, 'windows per network call', default=1, low=1,
             option='batch'),
    Argument('tile', 'int', int, BOTH, ENGINE,
             'spatial tile size in HR pixels (0: whole frames)', default=0, low=0,
             option='tile'),
    Argument('tile_overlap', 'int', int, BOTH, ENGINE, 'tile overlap (context) in HR pixels',
             default=TILE_OVERLAP, low=0, option='tile_overlap'),
    Argument('window', 'int', int, BOTH, ENGINE, 'output frames per window',
             default_text='4 LR frames\' worth', low=1, option='window'),
    Argument('scenechange', 'int', int, BOTH, ENGINE,
             '0 ignore cuts, 1 honour the _SceneChangePrev/_SceneChangeNext properties of the '
             'input frames, 2 run misc.SCDetect first', default=1, choices=(0, 1, 2),
             option='scenechange'),
    Argument('sc_threshold', 'float', float, BOTH, ENGINE,
             'threshold of misc.SCDetect (scenechange=2)', default=0.1, low=0, high=1,
             low_open=True),
)
BY_NAME: Dict[str, Argument] = {a.name: a for a in ARGUMENTS}


def arguments(filter_name: str) -> Tuple[Argument, ...]:
    """The arguments of one filter, in signature order."""
    if filter_name not in FILTERS:
        raise KeyError(f'no filter {filter_name!r}; the filters are {", ".join(FILTERS)}')
    return tuple(a for a in ARGUMENTS if filter_name in a.filters)


def signature(filter_name: str) -> str:
    """The filter's argument string as the plugin registers it
    (``clip:vnode;factor_num:int:opt;...``)."""
    return ''.join(f'{a.name}:{a.vs_type}{"" if a.required else ":opt"};'
                   for a in arguments(filter_name))


def read(args: Mapping[str, object], filter_name: str) -> Dict[str, object]:
    """Every argument of the filter from the plugin's mapping: converted, checked, defaulted."""
    out: Dict[str, object] = {}
    for a in arguments(filter_name):
        value = args.get(a.name)
        out[a.name] = a.default if value is None else (value if a.required else a.check(value))
    return out


def options(filter_name: str) -> Dict[str, Tuple[Argument, ...]]:
    """The filter's text options, each with the arguments it sets (two for a fraction)."""
    out: Dict[str, Tuple[Argument, ...]] = {}
    for a in arguments(filter_name):
        if a.option is not None:
            out[a.option] = out.get(a.option, ()) + (a,)
    return out


def engine_defaults(names: Tuple[str, ...]) -> Dict[str, object]:
    """The defaults of the named arguments, by name."""
    return {name: BY_NAME[name].default for name in names}
