"""3-D convolutions on the CPU through oneDNN (mkldnn) for inference.

torch picks its backend for ``conv3d`` with a heuristic made for 2-D images: a batch-1 input whose
``N * C * T * H`` is at most 20480 (few channels and frames, as in the IMSM and the backbones'
growth convolutions) goes to the slow unfold-and-matmul path, 5-12x slower on this project's
CPUs than oneDNN for the same shapes. :func:`use_onednn_conv3d` sends every ``nn.Conv3d`` of a
module to oneDNN when it runs on float32 CPU tensors without autograd (inference); training and
other devices take torch's own choice. Same parameters; results differ by float rounding only.
"""
from __future__ import annotations

import types

import torch
from torch import nn


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
