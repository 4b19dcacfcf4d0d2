"""mmagic registration of the resampler networks (:func:`mmagic_cstvr.registry.register_in_mmagic`)
and the editor."""
from ..archs import BlindResampler, CSTVRResampler, FlowResampler, NaiveResampler
from ..registry import register_in_mmagic
from .cstvr_editor import CSTVR
from .factor_sampler import FactorSampler

register_in_mmagic()

__all__ = ['CSTVR', 'FactorSampler', 'CSTVRResampler', 'BlindResampler', 'NaiveResampler',
           'FlowResampler']
