"""The convolutions' CPU inference route: oneDNN for 3-D convolutions, channels-last weights.

torch picks its backend for ``conv3d`` with a heuristic made for 2-D images: a batch-1 input whose
``N * C * T * H`` is at most 20480 (few channels and frames, as in the IMSM and the backbones'
growth convolutions) goes to the slow unfold-and-matmul path, 5-12x slower on this project's
CPUs than oneDNN for the same shapes. :func:`use_onednn_conv3d` sends every ``nn.Conv3d`` of a
module to oneDNN when it runs on float32 CPU tensors without autograd (inference); training and
other devices take torch's own choice.

oneDNN computes in a channels-last layout; with weights stored contiguous (NCHW) it reorders every
input and output of every convolution. :func:`use_channels_last` stores the convolution weights
channels-last (NHWC / NDHWC), so a convolution's output stays channels-last and the next one reads
it as it is (the shipped 2x/4x networks 1.24-1.33x as fast, ``docs/benchmarks.md``).

Same parameters; results differ by float rounding only.
"""
from __future__ import annotations

import types

import torch
from torch import nn

#: The channels-last memory format of each convolution type's weight.
_CHANNELS_LAST = {nn.Conv2d: torch.channels_last, nn.Conv3d: torch.channels_last_3d}


def _forward(conv: nn.Conv3d, x: torch.Tensor) -> torch.Tensor:
    if (x.device.type == 'cpu' and x.dtype == torch.float32 and not torch.is_grad_enabled()
            and conv.padding_mode == 'zeros' and not isinstance(conv.padding, str)):
        return torch.mkldnn_convolution(x, conv.weight, conv.bias, conv.padding, conv.stride,
                                        conv.dilation, conv.groups)
    return nn.Conv3d.forward(conv, x)


def use_onednn_conv3d(module: nn.Module) -> nn.Module:
    """Route ``module``'s 3-D convolutions through oneDNN for CPU inference (in place; returns
    ``module``). Does nothing where torch has no oneDNN."""
    if torch.backends.mkldnn.is_available():
        for conv in module.modules():
            if type(conv) is nn.Conv3d:
                conv.forward = types.MethodType(_forward, conv)
    return module


def use_channels_last(module: nn.Module) -> nn.Module:
    """Store the weights of ``module``'s CPU 2-D and 3-D convolutions channels-last (in place;
    returns ``module``). Parameters keep their values, shapes and names, and stay trainable when
    this runs under ``torch.inference_mode``."""
    with torch.inference_mode(False):
        for conv in module.modules():
            fmt = _CHANNELS_LAST.get(type(conv))
            if fmt is not None and conv.weight.device.type == 'cpu':
                conv.weight.data = conv.weight.data.contiguous(memory_format=fmt)
    return module


def for_cpu_inference(module: nn.Module) -> nn.Module:
    """Both of the above: what :class:`~mmagic_cstvr.engine.clip_resampler.ClipResampler` runs."""
    return use_channels_last(use_onednn_conv3d(module))
