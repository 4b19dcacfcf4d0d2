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


def test_metafile_lists_every_config_and_its_files():
    """configs/metafile.yml (OpenMMLab's model-index format) names every config here, and the
    configs and weights it names exist."""
    import yaml
    meta = yaml.safe_load((REPO / 'configs' / 'metafile.yml').read_text())
    collections = {c['Name'] for c in meta['Collections']}
    listed = set()
    for model in meta['Models']:
        assert model['In Collection'] in collections, model['Name']
        assert (REPO / model['Config']).is_file(), model['Config']
        assert model['Name'] == (REPO / model['Config']).stem
        if 'Weights' in model:
            assert (REPO / model['Weights']).is_file(), model['Weights']
        listed.add((REPO / model['Config']).resolve())
    assert listed == {p.resolve() for p in CONFIGS}
