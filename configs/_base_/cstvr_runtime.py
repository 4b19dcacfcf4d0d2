# Training and evaluation runtime shared by every CSTVR config: real footage in, mmengine Runner.
# Paths are relative to the working directory; point data_root at your own footage with
# --cfg-options data_root=... (training sources are videos or frame folders).
default_scope = 'mmagic'
custom_imports = dict(imports=['mmagic_cstvr.models', 'mmagic_cstvr.losses', 'mmagic_cstvr.datasets'],
                      allow_failed_imports=False)

data_root = '../shared/data'
train_sources = [data_root + '/videos']
val_sources = [data_root + '/vimeo_samples']
test_sources = [data_root + '/vid4']

train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type='TrainingWindowDataset', sources=train_sources, num_frames=9,
                 crop_size=64, scales=(0.5,), samples_per_epoch=1000))
val_dataloader = dict(
    batch_size=1,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='EvalWindowDataset', sources=val_sources, window=7, stride=6))
test_dataloader = dict(
    batch_size=1,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='EvalWindowDataset', sources=test_sources, window=7, stride=6))

# The papers' protocol: RGB and BT.601 Y, no border crop, all frames of each window.
val_evaluator = [
    dict(type='PSNR', crop_border=0, prefix='RGB'),
    dict(type='SSIM', crop_border=0, prefix='RGB'),
    dict(type='PSNR', crop_border=0, convert_to='Y', prefix='Y'),
    dict(type='SSIM', crop_border=0, convert_to='Y', prefix='Y'),
]
test_evaluator = val_evaluator

train_cfg = dict(type='IterBasedTrainLoop', max_iters=20000, val_interval=2000)
val_cfg = dict(type='MultiValLoop')
test_cfg = dict(type='MultiTestLoop')

optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=2e-4, betas=(0.9, 0.99)),
                     clip_grad=dict(max_norm=1.0))
param_scheduler = dict(type='CosineAnnealingLR', by_epoch=False, T_max=20000, eta_min=1e-6)

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=20),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', interval=500, by_epoch=False, max_keep_ckpts=3,
                    save_last=True),
    sampler_seed=dict(type='DistSamplerSeedHook'))
env_cfg = dict(cudnn_benchmark=False, mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
               dist_cfg=dict(backend='nccl'))
log_processor = dict(type='LogProcessor', window_size=20, by_epoch=False)
log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0)
