"""mmagic registration of the resampler networks and the editor."""
from mmagic.registry import MODELS

from ..archs import BlindResampler, CSTVRResampler, FlowResampler, NaiveResampler
from .cstvr_editor import CSTVR
from .factor_sampler import FactorSampler

MODELS.register_module(module=CSTVRResampler)
MODELS.register_module(module=BlindResampler)
MODELS.register_module(module=NaiveResampler)
MODELS.register_module(module=FlowResampler)

__all__ = ['CSTVR', 'FactorSampler', 'CSTVRResampler', 'BlindResampler', 'NaiveResampler',
           'FlowResampler']
