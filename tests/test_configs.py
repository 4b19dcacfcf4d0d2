"""Every shipped config loads through mmengine and builds its editor, losses and generator from the
mmagic registry (a typo in a config key or a component name fails here, not hours into a run)."""
import pytest
import torch

import mmagic_cstvr  # noqa: F401  (compatibility fixes before mmengine/mmagic)
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmagic.registry import MODELS

import mmagic_cstvr.losses  # noqa: F401  (registers the CSTVR components)
import mmagic_cstvr.models  # noqa: F401
from shared_data import REPO

CONFIGS = sorted(p for p in (REPO / 'configs').glob('*.py'))


def test_configs_are_found():
    assert len(CONFIGS) >= 10


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: p.name)
def test_config_builds_its_model(path):
    cfg = Config.fromfile(str(path))
    init_default_scope(cfg.get('default_scope', 'mmagic'))
    with torch.device('meta'):
        model = MODELS.build(cfg.model)
    assert model.pixel_loss is not None
    assert cfg.train_cfg.max_iters > 0 and cfg.train_cfg.val_interval > 0
    scheduler = cfg.param_scheduler
    assert scheduler.T_max >= cfg.train_cfg.max_iters, 'the cosine schedule ends before the run'


def test_lever_runs_differ_from_their_control_in_one_thing():
    """The model-size and window runs are controlled experiments against the tiny scratch run."""
    control = Config.fromfile(str(REPO / 'configs' / 'cstvr-steg_tiny_sam2_psnr_scratch.py'))
    small = Config.fromfile(str(REPO / 'configs' / 'cstvr-steg_small_sam2_psnr.py'))
    window = Config.fromfile(str(REPO / 'configs' / 'cstvr-steg_tiny_sam2_psnr_scratch_window9.py'))
    sizes = Config.fromfile(str(REPO / 'configs' / 'cstvr_small.py')).model.generator
    assert small.model.generator == sizes
    for cfg in (small, window):
        assert cfg.model.pixel_loss == control.model.pixel_loss
        assert cfg.optim_wrapper == control.optim_wrapper and cfg.train_cfg == control.train_cfg
    assert small.train_dataloader == control.train_dataloader
    assert window.model == control.model
    dataset = window.train_dataloader.dataset
    assert (dataset.num_frames, dataset.crop_size) == (9, 64)
