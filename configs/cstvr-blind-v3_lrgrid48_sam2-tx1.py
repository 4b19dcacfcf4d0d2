# blind version 3 for time-only resampling (spatial factor 1, any temporal factor): the LR-grid
# upsampler on a grid folded by 4, on the plain blend of both DIS warps (the DIS-flow baseline),
# trained at 2x/1x and 5/4x1 (3 batches in 4) and uniform temporal factors in 1-3, on ordinary LR
# of ../shared/data/videos.
# Command: OMP_NUM_THREADS=1 python tools/train.py CONFIG
_base_ = ['./cstvr-blind-v3_lrgrid48_sam2-2x4.py']

model = dict(
    generator=dict(up=dict(unshuffle=4, max_scale=1, occlusion_tolerance=None),
                   default_factors=(2, 1)),
    train_cfg=dict(factors=dict(temporal=(1, 3), spatial=(1, 1), named=[(2, 1), (1.25, 1)],
                                named_prob=0.75)),
    test_cfg=dict(temporal=2, spatial=1))
train_dataloader = dict(dataset=dict(crop_size=128))
train_cfg = dict(max_iters=600, val_interval=200)
param_scheduler = dict(T_max=600)
default_hooks = dict(checkpoint=dict(interval=100))
