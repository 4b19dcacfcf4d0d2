"""Where and in which precision the network runs, the model for a filter, and whether a request's
buffers fit in memory.

``device_index`` -1 is the CPU, 0.. a CUDA device; the default is CUDA device 0 when there is one.
Precision: float32, float16 when the clip is RGBH and the device CUDA, bfloat16 on request. Models
come from the shared cache of :func:`mmagic_cstvr.engine.weights.load_generator`, so every filter
using the same (file, config, device, precision) shares one.

:func:`check_memory` refuses, before anything is allocated, a request whose window groups cannot
fit (a huge target size or temporal factor): a clear error instead of an out-of-memory kill.
"""
from __future__ import annotations

from pathlib import Path
from typing import Dict, Optional, Tuple

from ..errors import CstvrError, WeightsError


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
    """The shared generator for ``model`` (shipped name or weights path) on ``device`` in ``dtype``
    (:func:`~mmagic_cstvr.engine.weights.load_generator`); :class:`WeightsError` names what is
    wrong with it."""
    from .weights import load_generator, resolve
    try:
        resolve(model)
    except WeightsError as err:
        raise WeightsError(f'{err}; pass model=<path to a cstvr .safetensors weights file>'
                           ) from None
    return load_generator(model, config, device, dtype)


GIB = 1 << 30


def available_host_memory() -> Optional[int]:
    """Bytes this process can still allocate: ``MemAvailable``, lowered by a cgroup (v2) limit;
    None where neither can be read."""
    found = []
    try:
        with open('/proc/meminfo') as handle:
            for line in handle:
                if line.startswith('MemAvailable:'):
                    found.append(int(line.split()[1]) * 1024)
    except (OSError, ValueError, IndexError):
        pass
    try:
        limit = Path('/sys/fs/cgroup/memory.max').read_text().strip()
        if limit != 'max':
            used = int(Path('/sys/fs/cgroup/memory.current').read_text())
            found.append(int(limit) - used)
    except (OSError, ValueError):
        pass
    return min(found) if found else None


def group_bytes(engine, batch: int, src_hw: Tuple[int, int]) -> Dict[str, int]:
    """Lower bounds of what the largest window group of ``engine`` holds at once: ``frames`` (its
    output frame count) and, in bytes, ``output`` (its float32 output frames), ``network`` (the
    float32 result of one network call: a batch of tiles, or of whole frames) and ``source`` (its
    float32 source frames)."""
    from .clip_resampler import tile_spans
    (h, w), (sh, sw) = engine.dst_size, src_hw
    groups = list(engine.groups(batch))
    frames = max(sum(len(win.positions) for win in g) for g in groups)
    spans = [engine.source_span(g) for g in groups]
    sources = max(hi - lo for lo, hi in spans)
    longest = max(len(win.positions) for win in engine.windows)

    def tile(n_src: int, n_dst: int) -> int:
        return max(t.dst_hi - t.dst_lo for t in tile_spans(n_src, n_dst, engine.tile,
                                                           engine.tile_overlap))
    call = min(batch, len(engine.windows)) * longest * tile(sh, h) * tile(sw, w)
    return {'frames': frames, 'output': frames * h * w * 3 * 4, 'network': call * 3 * 4,
            'source': sources * sh * sw * 3 * 4}


def check_memory(engine, batch: int, src_hw: Tuple[int, int], kept_groups: int = 0,
                 kept_bytes_per_sample: int = 4, what: str = 'this request') -> None:
    """:class:`CstvrError` if the buffers of ``engine``'s window groups cannot fit: on the host,
    the group being computed plus ``kept_groups`` finished groups kept at
    ``kept_bytes_per_sample``; on a CUDA device, one network call's output. These are lower
    bounds (the network's working memory comes on top; ``tile`` bounds it)."""
    need = group_bytes(engine, batch, src_hw)
    kept = kept_groups * need['output'] // 4 * kept_bytes_per_sample
    host = need['output'] + need['source'] + kept + \
        (need['network'] if engine.device.type == 'cpu' else 0)
    h, w = engine.dst_size
    detail = (f'{need["frames"]} output frames of {w}x{h} per group of {batch} window(s)'
              + (f', network calls on tiles of {engine.tile} pixels' if engine.tile else
                 ', the network on whole frames'))
    fix = ('ask for a smaller target, fewer output frames per window (window=1), batch=1, or '
           'spatial tiles (tile=512), which bound the network\'s memory but not the output frames')
    available = available_host_memory()
    if available is not None and host > available:
        raise CstvrError(f'{what} needs at least {host / GIB:.1f} GiB of host memory ({detail}), '
                         f'but {available / GIB:.1f} GiB are available; {fix}')
    if engine.device.type == 'cuda':
        import torch
        free, _ = torch.cuda.mem_get_info(engine.device)
        if need['network'] > free:
            raise CstvrError(f'{what} needs at least {need["network"] / GIB:.1f} GiB on '
                             f'{engine.device} ({detail}), but {free / GIB:.1f} GiB are free; '
                             f'{fix}')
