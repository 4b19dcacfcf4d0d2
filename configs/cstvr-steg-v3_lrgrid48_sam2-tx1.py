# steg version 3 for time-only resampling (spatial factor 1, any temporal factor): the LR-grid
# networks on a grid folded by 4 (space-to-depth), trained at 2x/1x and 5/4x1 (3 batches in 4) and
# uniform temporal factors in 1-3, on 96x96 crops of 5 frames of ../shared/data/videos; the
# base is the plain blend of both DIS warps (the DIS-flow baseline); the LR guidance at 0.3 keeps
# the transmitted frames near 40 dB from the ordinary ones.
# Command: OMP_NUM_THREADS=1 python tools/train.py CONFIG
_base_ = ['./_base_/cstvr_v3_model.py']

model = dict(
    generator=dict(down=dict(unshuffle=4, max_scale=1),
                   up=dict(unshuffle=4, max_scale=1, occlusion_tolerance=None),
                   default_factors=(2, 1)),
    guidance_loss=dict(loss_weight=0.3),
    train_cfg=dict(factors=dict(temporal=(1, 3), spatial=(1, 1), named=[(2, 1), (1.25, 1)],
                                named_prob=0.75)),
    test_cfg=dict(temporal=2, spatial=1))
train_dataloader = dict(dataset=dict(crop_size=96))
train_cfg = dict(max_iters=400, val_interval=100)
param_scheduler = dict(T_max=400)
default_hooks = dict(checkpoint=dict(interval=50))
