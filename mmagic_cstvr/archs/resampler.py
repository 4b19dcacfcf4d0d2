"""The resampler networks: CSTVR (down, hide, quantise, reveal, up) and blind space-time SR.

Both take explicit geometry, which :mod:`mmagic_cstvr.structures.timeline` and
:mod:`mmagic_cstvr.structures.lattice` compute: a target frame size and the target frames' positions
in source-frame units. Their ``downsample``/``upsample`` methods are what the VapourSynth plugin and
the inferencer call; ``forward`` is the training pass on one window.
"""
from __future__ import annotations

from typing import Callable, Dict, Optional, Sequence, Tuple

import torch
from torch import nn

from ..structures.lattice import check_scale, scaled_size
from ..structures.padding import crop_to, pad_to_multiple
from ..structures.timeline import training_positions
from .classical import reference_lr
from .down_backbone import DownNet
from .frame_synthesis import FrameSynthesisNet
from .lr_down import LRDownNet
from .lr_up import LRUpNet
from .quantizer import Quantize8Bit
from .steganography import IMSM
from .up_backbone import UpNet

#: Network designs by name: (downsampler, upsampler). ``lr-grid`` (version 3) runs every
#: convolution on the LR grid over a motion-compensated base; ``frame-synthesis`` (version 3,
#: time only) keeps the LR frames and synthesises the ones between them from warped candidates;
#: ``full-res`` (version 2) is the earlier design of 3-D convolutions and implicit samplers at
#: full resolution.
DESIGNS = {'lr-grid': (LRDownNet, LRUpNet), 'frame-synthesis': (LRDownNet, FrameSynthesisNet),
           'full-res': (DownNet, UpNet)}
DESIGN_VERSIONS = {'lr-grid': 3, 'frame-synthesis': 3, 'full-res': 2}


def _design(name: str):
    if name not in DESIGNS:
        raise ValueError(f'unknown resampler design {name!r}; choose one of {sorted(DESIGNS)}')
    return DESIGNS[name]


def _check_video(x: torch.Tensor, what: str):
    if x.dim() != 5 or x.shape[1] != 3:
        raise ValueError(f'{what} must be an RGB video tensor (B, 3, T, H, W), got {tuple(x.shape)}')
    if not x.is_floating_point():
        raise ValueError(f'{what} must be a float tensor in [0, 1], got {x.dtype}')


def _check_positions(positions: Sequence[float], n_src: int, what: str):
    if len(positions) == 0:
        raise ValueError(f'{what}: no target frames were asked for')
    if min(positions) < -1 or max(positions) > n_src:
        raise ValueError(f'{what}: frame positions {min(positions):g}..{max(positions):g} lie '
                         f'outside the {n_src} source frames')


def _factors(defaults, factor, scale) -> Tuple[float, float]:
    factor = check_scale(defaults[0] if factor is None else factor, 'temporal factor')
    scale = check_scale(defaults[1] if scale is None else scale, 'spatial factor')
    if factor < 1 or scale < 1:
        raise ValueError(f'a training pass downsamples: factors must be >= 1, '
                         f'got temporal {factor:g} and spatial {scale:g}')
    return factor, scale


class CSTVRResampler(nn.Module):
    """Learned space-time downsampler with motion steganography, and its upsampler.

    Args:
        down: keyword arguments of the design's downsampler (:class:`LRDownNet` or :class:`DownNet`).
        imsm: keyword arguments of :class:`IMSM`.
        up: keyword arguments of the design's upsampler (:class:`LRUpNet`,
            :class:`FrameSynthesisNet` or :class:`UpNet`).
        design: a key of :data:`DESIGNS`; a config or weights file that names none is version 2.
    """

    mode = 'steg'

    def __init__(self, down: dict, imsm: dict, up: dict,
                 default_factors: Tuple[float, float] = (2, 4), design: str = 'full-res'):
        super().__init__()
        self.default_factors = tuple(default_factors)
        self.design = design
        down_cls, up_cls = _design(design)
        self.down_net = down_cls(**down)
        self.imsm = IMSM(**imsm)
        self.up_net = up_cls(**up)
        self.quantizer = Quantize8Bit()

    def encode(self, hr: torch.Tensor, size: Tuple[int, int], positions: Sequence[float],
               step: float) -> Tuple[torch.Tensor, torch.Tensor]:
        """HR (B, 3, T, H, W) -> (latent, stego) (B, 3, T', h, w), the stego not yet quantised."""
        _check_video(hr, 'the HR clip')
        _check_positions(positions, hr.shape[2], 'Downsample')
        latent = self.down_net(hr, size, positions, step)
        stego = crop_to(self.imsm.hide(pad_to_multiple(latent, IMSM.multiple)), size)
        return latent, stego

    def reveal(self, stego: torch.Tensor) -> torch.Tensor:
        """Transmitted (B, 3, T', h, w) -> recovered latent of the same shape."""
        _check_video(stego, 'the transmitted clip')
        size = stego.shape[-2:]
        return crop_to(self.imsm.reveal(pad_to_multiple(stego, IMSM.multiple)), size)

    def downsample(self, hr: torch.Tensor, size: Tuple[int, int], positions: Sequence[float],
                   step: float) -> torch.Tensor:
        """HR -> 8-bit-valued stego LR (floats on the ``k/255`` lattice)."""
        return self.quantizer(self.encode(hr, size, positions, step)[1])

    def upsample(self, lr: torch.Tensor, size: Tuple[int, int], positions: Sequence[float],
                 step: float) -> torch.Tensor:
        """Transmitted LR -> HR (B, 3, len(positions), *size); ``positions`` in LR-frame units."""
        _check_positions(positions, lr.shape[2], 'Upsample')
        return self.up_net(self.reveal(lr), size, positions, step)

    def forward(self, hr: torch.Tensor, factor: Optional[float] = None,
                scale: Optional[float] = None,
                channel: Optional[Callable[[torch.Tensor], torch.Tensor]] = None) -> Dict[str, torch.Tensor]:
        """Training pass on a window that starts on an LR frame, at the temporal ``factor`` and
        spatial ``scale`` (``default_factors`` where not given); ``channel`` (e.g. a
        :class:`CodecProxy`) degrades the quantised stego before the reveal, as a codec would.

        Returns ``latent``, ``stego`` (quantised), ``revealed`` (latent recovered from it, after
        the channel), ``reference`` (the ordinary LR) and ``output`` (the HR reconstruction).
        """
        _check_video(hr, 'the HR clip')
        factor, scale = _factors(self.default_factors, factor, scale)
        lr_pos, hr_pos = training_positions(int(hr.shape[2]), factor)
        hr_size = (int(hr.shape[-2]), int(hr.shape[-1]))
        size = scaled_size(hr_size, scale)
        latent, stego = self.encode(hr, size, lr_pos, factor)
        stego = self.quantizer(stego)
        revealed = self.reveal(stego if channel is None else channel(stego))
        output = self.up_net(revealed, hr_size, hr_pos, 1 / factor)
        return dict(latent=latent, stego=stego, revealed=revealed, output=output,
                    reference=reference_lr(hr, lr_pos, size))


class BlindResampler(nn.Module):
    """Space-time super-resolution of ordinary LR footage (no hidden information to reveal).

    Args:
        up: keyword arguments of the design's upsampler (:class:`LRUpNet`,
            :class:`FrameSynthesisNet` or :class:`UpNet`).
        design: a key of :data:`DESIGNS`; a config or weights file that names none is version 2.
    """

    mode = 'blind'

    def __init__(self, up: dict, default_factors: Tuple[float, float] = (2, 4),
                 design: str = 'full-res'):
        super().__init__()
        self.default_factors = tuple(default_factors)
        self.design = design
        self.up_net = _design(design)[1](**up)
        self.quantizer = Quantize8Bit()

    def downsample(self, hr, size, positions, step) -> torch.Tensor:
        """The ordinary LR a blind model is trained on: frame dropping and antialiased bicubic."""
        _check_video(hr, 'the HR clip')
        _check_positions(positions, hr.shape[2], 'Downsample')
        return self.quantizer(reference_lr(hr, positions, size))

    def upsample(self, lr: torch.Tensor, size: Tuple[int, int], positions: Sequence[float],
                 step: float) -> torch.Tensor:
        _check_video(lr, 'the LR clip')
        _check_positions(positions, lr.shape[2], 'Upsample')
        return self.up_net(lr, size, positions, step)

    def forward(self, hr: torch.Tensor, factor: Optional[float] = None,
                scale: Optional[float] = None) -> Dict[str, torch.Tensor]:
        """Training pass: ``stego`` is the ordinary 8-bit LR here, ``output`` the reconstruction."""
        _check_video(hr, 'the HR clip')
        factor, scale = _factors(self.default_factors, factor, scale)
        lr_pos, hr_pos = training_positions(int(hr.shape[2]), factor)
        hr_size = (int(hr.shape[-2]), int(hr.shape[-1]))
        size = scaled_size(hr_size, scale)
        lr = self.downsample(hr, size, lr_pos, factor)
        output = self.up_net(lr, hr_size, hr_pos, 1 / factor)
        return dict(stego=lr, reference=lr, output=output)
