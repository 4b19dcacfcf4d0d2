"""The networks cstvr builds by name: one registry, name -> class.

``GENERATORS`` are the trained resamplers a config or a weights file names by ``type``
(:func:`mmagic_cstvr.engine.weights.build_generator`); ``BASELINES`` the parameter-free methods the
evaluation commands take by name (``naive``, ``flow``, ``mvtools``). :func:`register_in_mmagic`
puts the classes mmagic's configs build (``model.generator``) into mmagic's ``MODELS``; this module
imports no mmagic itself, so the plugin loads weights without it.
"""
from __future__ import annotations

from typing import Dict

from .archs import (BlindResampler, CSTVRResampler, FlowResampler, HiddenMotionResampler,
                    NaiveResampler)
from .archs.mvtools_baseline import MVToolsResampler

GENERATORS: Dict[str, type] = {'CSTVRResampler': CSTVRResampler, 'BlindResampler': BlindResampler,
                               'HiddenMotionResampler': HiddenMotionResampler}
BASELINES: Dict[str, type] = {'naive': NaiveResampler, 'flow': FlowResampler,
                              'mvtools': MVToolsResampler}
#: The classes an mmagic config may name as its generator: the trained resamplers and the
#: baselines that run inside a training graph (MVTools runs in VapourSynth only).
MMAGIC_GENERATORS = (CSTVRResampler, BlindResampler, HiddenMotionResampler, NaiveResampler,
                     FlowResampler)


def register_in_mmagic() -> None:
    """Register :data:`MMAGIC_GENERATORS` in mmagic's ``MODELS`` (once; a second call is a no-op)."""
    from mmagic.registry import MODELS
    for cls in MMAGIC_GENERATORS:
        if cls.__name__ not in MODELS.module_dict:
            MODELS.register_module(module=cls)
