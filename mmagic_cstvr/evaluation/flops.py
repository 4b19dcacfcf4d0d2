"""Multiply-adds of a network call, counted by mmengine's analyser (the one mmagic's ``get_flops``
uses). One FLOP is two multiply-adds."""
from __future__ import annotations

import warnings
from typing import Callable

import torch


def count_macs(network: torch.nn.Module, call: Callable[[torch.Tensor], torch.Tensor],
               x: torch.Tensor) -> float:
    """Multiply-adds of ``call(x)``, a call into ``network``; 0 for a parameter-free network (the
    classical baselines)."""
    from mmengine.analysis import FlopAnalyzer
    if not any(True for _ in network.parameters()):
        return 0.0

    class Call(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.network = network

        def forward(self, inputs):
            return call(inputs)

    # autograd on: the convolutions take torch's own path, which the analyser counts (the oneDNN
    # route of mmagic_cstvr.engine.fast_conv computes the same convolutions)
    with torch.enable_grad(), warnings.catch_warnings():
        warnings.simplefilter('ignore')  # the tracer's notes on Python ints taken from tensors
        analyzer = FlopAnalyzer(Call().eval(), (x,))
        analyzer.unsupported_ops_warnings(False)
        analyzer.uncalled_modules_warnings(False)
        return float(analyzer.total())
