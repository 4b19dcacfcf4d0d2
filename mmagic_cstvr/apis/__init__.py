"""Inference APIs in mmagic's style: :class:`CSTVRInferencer` resamples video files with ffmpeg."""
from .cstvr_inferencer import CSTVRInferencer, ResamplePlan

__all__ = ['CSTVRInferencer', 'ResamplePlan']
