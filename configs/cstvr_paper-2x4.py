# Paper-sized CSTVR for 2x time / 4x space in the LR-grid design (17.49 M parameters; the paper
# reports 17.4 M): 144 channels, deeper down- and upsamplers, two coupling cells per IMSM scale.
# For GPU training: the recipe of configs/cstvr-steg-v3_lrgrid48_sam2-2x4.py at this size.
_base_ = ['./_base_/cstvr_v3_model.py']

model = dict(generator=dict(
    down=dict(channels=144, frame_blocks=2, blocks=11),
    imsm=dict(cells=2, growth=32),
    up=dict(channels=144, frame_blocks=4, blocks=20)))
