# Paper-sized CSTVR for 2x time / 1x space in the LR-grid design (11.79 M parameters; the paper
# reports 11.7 M): 128 channels on the LR grid folded by 2, two coupling cells per IMSM scale.
_base_ = ['./_base_/cstvr_v3_model.py']

model = dict(
    generator=dict(
        down=dict(channels=128, frame_blocks=2, blocks=8, unshuffle=2),
        imsm=dict(cells=2, growth=32),
        up=dict(channels=128, frame_blocks=4, blocks=12, unshuffle=2),
        default_factors=(2, 1)),
    train_cfg=dict(factors=dict(temporal=(2, 2), spatial=(1, 1))),
    test_cfg=dict(temporal=2, spatial=1))
