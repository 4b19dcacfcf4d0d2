# blind version 3 for time-only resampling (spatial factor 1): LR frames kept as they are, each
# in-between frame a learned per-pixel mix of four bicubic warps of its neighbours along DIS flow,
# each averaged over four flow estimates (fine preset as is, mirrored and transposed; medium)
# (archs/frame_synthesis.py); trained at 2x/1x (3 batches in 4) and uniform temporal factors in
# 1-3 on ordinary LR of ../shared/data/videos (native and half size).
# Command: OMP_NUM_THREADS=1 python tools/train.py CONFIG
_base_ = ['./_base_/cstvr_v3_model.py']

model = dict(
    generator=dict(_delete_=True, type='BlindResampler', design='frame-synthesis',
                   up=dict(channels=48, blocks=4, unshuffle=2,
                           flow_ensemble=['fine', 'fine:flip', 'fine:transpose', 'medium'],
                           warp_mode='bicubic', residual=False),
                   default_factors=(2, 1)),
    guidance_loss=None,
    recovery_loss=None,
    train_cfg=dict(factors=dict(temporal=(1, 3), spatial=(1, 1), named=[(2, 1)], named_prob=0.75)),
    test_cfg=dict(temporal=2, spatial=1))
train_dataloader = dict(dataset=dict(crop_size=192))
optim_wrapper = dict(optimizer=dict(lr=1e-3))
train_cfg = dict(max_iters=800, val_interval=200)
param_scheduler = dict(T_max=800)
default_hooks = dict(checkpoint=dict(interval=100))
