"""Where and in which precision the network runs, and the cache of loaded models.

``device_index`` -1 is the CPU, 0.. a CUDA device; the default is CUDA device 0 when there is one.
Precision: float32, float16 when the clip is RGBH and the device CUDA, bfloat16 on request. A model is
loaded once per process for each (file, config, device, precision) and shared by every filter that
uses it (inference does not change a module, so threads can share it).
"""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Dict, Optional, Tuple

from .targets import CstvrError

_models: Dict[Tuple, object] = {}
_models_lock = threading.Lock()


def select_device(device_index: Optional[int]):
    """``torch.device`` for ``device_index`` (None: CUDA 0 if available, else the CPU)."""
    import torch
    cuda = torch.cuda.is_available()
    if device_index is None:
        device_index = 0 if cuda else -1
    if device_index < 0:
        return torch.device('cpu')
    if not cuda:
        raise CstvrError(f'device_index={device_index} asks for a CUDA device, but torch sees none '
                         f'(torch {torch.__version__}); pass device_index=-1 for the CPU')
    count = torch.cuda.device_count()
    if device_index >= count:
        raise CstvrError(f'device_index={device_index}: there are only {count} CUDA device(s)')
    return torch.device('cuda', device_index)


def select_dtype(device, half_input: bool, bf16: bool):
    """The compute precision: bfloat16 if asked, float16 for RGBH clips on CUDA, else float32."""
    import torch
    if bf16:
        return torch.bfloat16
    if half_input and device.type == 'cuda':
        return torch.float16
    return torch.float32


def default_model(direction: str, mode: Optional[str]) -> str:
    """The shipped model used when none is given."""
    return 'blind' if (direction == 'up' and mode == 'blind') else 'steg'


def load_model(model: str, config: Optional[str], device, dtype):
    """The generator for ``model`` (shipped name or weights path) on ``device`` in ``dtype``."""
    from mmagic_cstvr.weights import WeightsError, load_generator, resolve
    try:
        path = resolve(model)
    except WeightsError as err:
        raise CstvrError(f'{err}; pass model=<path to a cstvr .safetensors weights file>') from None
    stat = path.stat()
    key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size,
           str(Path(config).resolve()) if config else None, str(device), str(dtype))
    with _models_lock:
        generator = _models.get(key)
        if generator is None:
            try:
                generator = load_generator(path, config=config, device=device)
            except WeightsError as err:
                raise CstvrError(str(err)) from None
            generator = generator.to(dtype).eval()
            _models[key] = generator
    return generator


def clear_models() -> None:
    """Forget the loaded models (frees their memory once no filter uses them)."""
    with _models_lock:
        _models.clear()
