"""Plain PyTorch modules of the CSTVR model (no registry code here)."""
from .down_backbone import DownNet, ResBlock3D
from .implicit_sampler import ImplicitSampler3D, trilinear_sample
from .quantizer import Quantize8Bit
from .classical import naive_upsample, reference_lr
from .codec_proxy import CodecProxy
from .baselines import FlowResampler, NaiveResampler
from .resampler import BlindResampler, CSTVRResampler
from .hidden_motion import HiddenMotionResampler
from .steganography import IMSM, AffineCoupling
from .specialists import SpecialistSet
from .lr_down import LRDownNet
from .lr_up import LRUpNet
from .motion import MotionPlan
from .swin3d import SwinStage3D
from .up_backbone import UpNet

__all__ = ['CodecProxy', 'FlowResampler', 'NaiveResampler', 'DownNet', 'ResBlock3D', 'ImplicitSampler3D', 'trilinear_sample', 'Quantize8Bit',
           'reference_lr', 'naive_upsample', 'BlindResampler', 'CSTVRResampler', 'HiddenMotionResampler', 'IMSM', 'AffineCoupling',
           'SwinStage3D', 'UpNet', 'SpecialistSet', 'LRDownNet', 'LRUpNet', 'MotionPlan']
