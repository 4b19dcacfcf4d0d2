"""Inference weights: safetensors files that carry their own network config, and the shipped models.

A cstvr weights file is a safetensors file whose metadata holds ``cstvr_generator`` (the generator's
config as JSON: ``type`` plus keyword arguments). Loading never unpickles anything. A model is named
either by a shipped name (``steg``, ``blind``: files in ``mmagic_cstvr/model_zoo/``), by a path to
such a file, or by a path to plain safetensors weights plus an mmagic config (``config=``) whose
``model.generator`` describes the network.
"""
from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Dict, Optional, Tuple, Union

import torch
from torch import nn

from ..archs import SpecialistSet
from ..errors import WeightsError
from ..registry import BASELINES, GENERATORS

MODEL_ZOO = Path(__file__).resolve().parents[1] / 'model_zoo'
METADATA_KEY = 'cstvr_generator'


#: How PyTorch/pickle files begin: a zip archive (``torch.save`` since 1.6) or a raw pickle stream
#: (protocol 2 and later: the PROTO opcode ``0x80`` and the protocol number).
PICKLE_MAGICS = (b'PK\x03\x04',) + tuple(b'\x80' + bytes([p]) for p in range(2, 6))
EXPORT_HINT = ('convert it with: python tools/export_weights.py CONFIG CHECKPOINT OUT.safetensors '
               '(user-supplied weights load only as safetensors, so no pickle code can run)')


def refuse_pickle(path: Union[str, Path]) -> None:
    """:class:`WeightsError` if ``path`` is not safetensors but a PyTorch checkpoint or pickle (by
    its first bytes or its ``.pth``/``.pt``/``.pkl``/``.ckpt`` suffix); it is never unpickled."""
    path = Path(path)
    with open(path, 'rb') as handle:
        head = handle.read(9)
    safetensors = head[8:9] == b'{'  # an 8-byte header length, then the JSON header
    if not safetensors and (head.startswith(PICKLE_MAGICS) or
                            path.suffix.lower() in ('.pth', '.pt', '.pkl', '.ckpt')):
        raise WeightsError(f'{path} is a PyTorch checkpoint or pickle, not safetensors; '
                           f'{EXPORT_HINT}')


def shipped_models() -> Dict[str, Path]:
    """Name -> file of the models that ship with the package."""
    return {p.stem: p for p in sorted(MODEL_ZOO.glob('*.safetensors'))}


def build_generator(cfg: dict) -> nn.Module:
    """A resampler network from ``{'type': 'CSTVRResampler' | 'BlindResampler', **kwargs}``, or a
    :class:`SpecialistSet` from ``{'type': 'SpecialistSet', 'general': cfg, 'specialists':
    [{'factors': [t, s], 'generator': cfg}, ...]}``."""
    cfg = dict(cfg)
    kind = cfg.pop('type', None)
    if kind == 'SpecialistSet':
        try:
            specialists = {tuple(item['factors']): build_generator(item['generator'])
                           for item in cfg.pop('specialists')}
            return SpecialistSet(build_generator(cfg.pop('general')), specialists)
        except (KeyError, TypeError, ValueError) as err:
            raise WeightsError(f'the SpecialistSet config is malformed: {err}') from None
    if kind not in GENERATORS:
        raise WeightsError(f'unknown generator type {kind!r}; expected one of {sorted(GENERATORS)}')
    try:
        return GENERATORS[kind](**cfg)
    except TypeError as err:
        raise WeightsError(f'the generator config does not fit {kind}: {err}') from None


def save_weights(generator: nn.Module, cfg: dict, path: Union[str, Path]) -> Path:
    """Write ``generator``'s weights and its config ``cfg`` to a safetensors file."""
    from safetensors.torch import save_file
    state = {k: v.detach().cpu().contiguous() for k, v in generator.state_dict().items()}
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file(state, str(path), metadata={METADATA_KEY: json.dumps(cfg)})
    return path


def export_weights(generator: nn.Module, cfg: dict, path: Union[str, Path]) -> str:
    """Save ``generator`` with its config to ``path``, load the file back on its own (it must
    need nothing else) and return a one-line summary: size and parameter count."""
    path = save_weights(generator, cfg, path)
    load_generator(path)
    return (f'wrote {path} ({path.stat().st_size / 1e6:.2f} MB, '
            f'{sum(p.numel() for p in generator.parameters()) / 1e6:.3f} M parameters)')


def generator_cfg(config) -> dict:
    """``model.generator`` of an mmagic config (a file path, an mmengine ``Config`` or a dict)."""
    from mmengine import Config
    name = 'the config'
    if isinstance(config, (str, Path)):
        name = path = Path(config)
        if not path.is_file():
            raise WeightsError(f'config file {path} does not exist')
        config = Config.fromfile(str(path), import_custom_modules=False)
    generator = (config.get('model') or {}).get('generator')
    if generator is None:
        raise WeightsError(f'{name} has no model.generator section')
    return generator.to_dict() if hasattr(generator, 'to_dict') else dict(generator)


def resolve(model: Union[str, Path]) -> Path:
    """The weights file for a shipped model name or a path."""
    zoo = shipped_models()
    if str(model) in zoo:
        return zoo[str(model)]
    path = Path(model).expanduser()
    if not path.is_file():
        known = ', '.join(zoo) or 'none yet'
        raise WeightsError(f'model {str(model)!r} is neither a shipped model ({known}) '
                           f'nor an existing weights file')
    return path


def read_weights(model: Union[str, Path]) -> Tuple[Path, Dict[str, torch.Tensor], Optional[dict]]:
    """The file, tensors and embedded generator config (None if it has none) of a shipped model
    name or a safetensors path; :class:`WeightsError` for a missing, truncated or corrupt file and
    for a PyTorch checkpoint or pickle (:func:`refuse_pickle`)."""
    from safetensors import SafetensorError, safe_open
    from safetensors.torch import load_file
    path = resolve(model)
    refuse_pickle(path)
    try:
        with safe_open(str(path), framework='pt') as handle:
            metadata = handle.metadata() or {}
        state = load_file(str(path))
    except (SafetensorError, OSError, ValueError) as err:
        raise WeightsError(f'{path} is not a readable safetensors file ({err}); '
                           f'it may be truncated or corrupt') from None
    embedded = json.loads(metadata[METADATA_KEY]) if METADATA_KEY in metadata else None
    return path, state, embedded


def fit_weights(generator: nn.Module, state: Dict[str, torch.Tensor], source: Union[str, Path],
                kind: Optional[str] = None) -> None:
    """Load ``state`` into ``generator``; :class:`WeightsError` naming the keys that do not fit."""
    own = generator.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    wrong = [k for k in set(own) & set(state) if own[k].shape != state[k].shape]
    if missing or unexpected or wrong:
        detail = '; '.join(f'{what}: {", ".join(keys[:3])}{" ..." if len(keys) > 3 else ""}'
                           for what, keys in (('missing', missing), ('unexpected', unexpected),
                                              ('wrong shape', sorted(wrong))) if keys)
        raise WeightsError(f'{source} does not fit the {kind or type(generator).__name__} '
                           f'network ({detail})')
    generator.load_state_dict(state)


def members(state: Dict[str, torch.Tensor], cfg: Optional[dict]):
    """``(name, config, weights)`` of each network in a file: the one network, or a
    :class:`SpecialistSet`'s general network and its specialists (``2x4``, ``*x1``, ``*x*``)."""
    if not cfg or cfg.get('type') != 'SpecialistSet':
        return [('network', cfg, state)]

    def part(prefix):
        return {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}
    found = [('general', cfg.get('general'), part('general.'))]
    for i, item in enumerate(cfg.get('specialists', [])):
        t, s = ('*' if f is None else f'{f:g}' for f in item['factors'])
        found.append((f'specialist {t}x{s}', item['generator'], part(f'specialists.{i}.')))
    return found


def fit_member(generator: nn.Module, state: Dict[str, torch.Tensor], cfg: Optional[dict],
               source: Union[str, Path]) -> str:
    """Load into ``generator`` the first network of the file (:func:`members`) that fits it and
    return its name; :class:`WeightsError` naming why each one does not."""
    reasons = []
    for name, _, weights in members(state, cfg):
        try:
            fit_weights(generator, weights, source)
            return name
        except WeightsError as err:
            reasons.append(f'{name}: {str(err).split(" network (", 1)[-1].rstrip(")")}')
    raise WeightsError(f'{source} does not fit the {type(generator).__name__} network '
                       f'({"; ".join(reasons)})')


_loaded: Dict[Tuple, nn.Module] = {}
_loaded_lock = threading.Lock()


def load_generator(model: Union[str, Path], config=None, device: Union[str, torch.device] = 'cpu',
                   dtype: torch.dtype = torch.float32) -> nn.Module:
    """The resampler network of a shipped name or a weights path, in eval mode on ``device`` in
    ``dtype``; ``config`` (an mmagic config: file, ``Config`` or dict) describes the network of
    weights without an embedded config, or replaces it.

    Every front end loads through here. A network is loaded once per process for each (file,
    network config, device, precision) and shared (inference does not change a module, so threads
    can share it): a caller that changes the module works on a copy.

    Raises :class:`WeightsError` naming the problem for a missing, truncated or corrupt file, a
    file without config (and no ``config=``), or weights that do not fit the network.
    """
    path = resolve(model)
    refuse_pickle(path)
    cfg = None if config is None else generator_cfg(config)
    stat = path.stat()
    key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size,
           None if cfg is None else json.dumps(cfg, sort_keys=True, default=str), str(device),
           str(dtype))
    with _loaded_lock:
        generator = _loaded.get(key)
        if generator is None:
            path, state, embedded = read_weights(path)
            if cfg is None:
                if embedded is None:
                    raise WeightsError(f'{path} carries no network config: pass config=<mmagic '
                                       f'config file>')
                cfg = embedded
            generator = build_generator(cfg)
            fit_weights(generator, state, path, cfg.get('type'))
            generator = _loaded[key] = generator.to(device, dtype).eval()
    return generator


def load_resampler(model: str, config=None, device: Union[str, torch.device] = 'cpu') -> nn.Module:
    """A baseline by name (``naive``, ``flow``, ``mvtools``: a fresh one) or a trained network
    (:func:`load_generator`)."""
    if model in BASELINES:
        return BASELINES[model]().to(device).eval()
    return load_generator(model, config, device)
