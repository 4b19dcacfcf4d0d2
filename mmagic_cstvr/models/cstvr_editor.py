"""The mmagic editor: train/val/test steps around a resampler network."""
from typing import Dict, Optional

import torch

from mmagic.models.base_models import BaseEditModel
from mmagic.registry import MODELS
from mmagic.structures import DataSample

from ..archs.codec_proxy import CodecProxy
from ..losses import psnr_db
from .factor_sampler import FactorSampler


TRAIN_CFG_KEYS = ('factors', 'codec_proxy')
TEST_CFG_KEYS = ('temporal', 'spatial')


def _check_keys(cfg: Optional[dict], allowed, what: str) -> dict:
    """``cfg`` (or {}) after refusing keys the editor would silently ignore."""
    cfg = dict(cfg or {})
    unknown = sorted(set(cfg) - set(allowed))
    if unknown:
        raise ValueError(f'unknown key(s) in model.{what}: {", ".join(unknown)}; '
                         f'the CSTVR editor reads {", ".join(allowed)}')
    return cfg


@MODELS.register_module()
class CSTVR(BaseEditModel):
    """Space-time resampling editor for a ``CSTVRResampler`` (steg) or ``BlindResampler``.

    Inputs are HR clips (B, T, C, H, W) in the data preprocessor's range; each training batch gets
    one random (temporal, spatial) factor pair from ``train_cfg['factors']`` (see
    :class:`FactorSampler`); validation and tests use ``test_cfg['temporal']`` and
    ``test_cfg['spatial']``. Predictions hold the reconstruction (``pred_img``) and the transmitted
    LR clip (``pred_lr``).

    Args:
        generator: the resampler's config.
        pixel_loss: reconstruction loss on all HR frames (e.g. mmagic's ``CharbonnierLoss``).
        guidance_loss: ``LRGuidanceLoss`` config, or None.
        recovery_loss: ``LatentRecoveryLoss`` config, or None (steg models only).

    ``train_cfg['codec_proxy']`` (steg models only), e.g. ``dict(prob=0.5, quality=(40, 95))``:
    a :class:`~mmagic_cstvr.archs.CodecProxy` between the quantiser and the reveal on a fraction
    ``prob`` of the training batches (no parameters: weights files are unchanged).
    """

    def __init__(self, generator: dict, pixel_loss: dict, guidance_loss: Optional[dict] = None,
                 recovery_loss: Optional[dict] = None, train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None, init_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None):
        train_cfg = _check_keys(train_cfg, TRAIN_CFG_KEYS, 'train_cfg')
        test_cfg = _check_keys(test_cfg, TEST_CFG_KEYS, 'test_cfg')
        super().__init__(generator, pixel_loss, train_cfg, test_cfg, init_cfg, data_preprocessor)
        self.guidance_loss = MODELS.build(guidance_loss) if guidance_loss else None
        self.recovery_loss = MODELS.build(recovery_loss) if recovery_loss else None
        if self.recovery_loss is not None and getattr(self.generator, 'mode', None) != 'steg':
            raise ValueError('recovery_loss needs a steg generator (CSTVRResampler)')
        self.factor_sampler = FactorSampler(**train_cfg.get('factors', {}))
        proxy_cfg = train_cfg.get('codec_proxy')
        self.codec_proxy = CodecProxy.from_cfg(dict(proxy_cfg)) if proxy_cfg else None
        if self.codec_proxy is not None and getattr(self.generator, 'mode', None) != 'steg':
            raise ValueError('train_cfg.codec_proxy needs a steg generator (CSTVRResampler)')
        self.test_factors = (float(test_cfg.get('temporal', 2)), float(test_cfg.get('spatial', 4)))

    def _run(self, inputs: torch.Tensor, factor: float, scale: float,
             **kwargs) -> Dict[str, torch.Tensor]:
        if inputs.dim() != 5:
            raise ValueError(f'CSTVR expects video batches (B, T, C, H, W), got {tuple(inputs.shape)}')
        return self.generator(inputs.transpose(1, 2), factor, scale, **kwargs)

    def forward_tensor(self, inputs: torch.Tensor, data_samples=None, **kwargs) -> torch.Tensor:
        """HR (B, T, C, H, W) -> reconstruction (B, T, C, H, W) at the test factors."""
        return self._run(inputs, *self.test_factors)['output'].transpose(1, 2)

    def forward_train(self, inputs: torch.Tensor, data_samples=None, **kwargs) -> Dict[str, torch.Tensor]:
        factor, scale = self.factor_sampler()
        extra = {} if self.codec_proxy is None else dict(channel=self.codec_proxy.for_batch())
        outputs = self._run(inputs, factor, scale, **extra)
        losses = dict(loss_rec=self.pixel_loss(outputs['output'], inputs.transpose(1, 2)))
        if self.guidance_loss is not None:
            losses['loss_guide'] = self.guidance_loss(outputs)
        if self.recovery_loss is not None:
            losses['loss_recover'] = self.recovery_loss(outputs)
        with torch.no_grad():  # logged, not optimised: reconstruction and LR-ordinariness PSNR
            losses['psnr_rec'] = psnr_db(outputs['output'].clamp(0, 1), inputs.transpose(1, 2))
            losses['psnr_lr'] = psnr_db(outputs['stego'].clamp(0, 1), outputs['reference'])
        return losses

    def forward_inference(self, inputs: torch.Tensor, data_samples=None, **kwargs) -> DataSample:
        outputs = self._run(inputs, *self.test_factors)
        hr = self.data_preprocessor.destruct(outputs['output'].transpose(1, 2), data_samples)
        lr = self.data_preprocessor.destruct(outputs['stego'].transpose(1, 2), data_samples)
        return DataSample(pred_img=hr.cpu(), pred_lr=lr.cpu())
