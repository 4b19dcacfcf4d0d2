# The CSTVR editor with a version-3 (LR-grid) resampler, trained at one fixed factor pair with
# MSE on every HR pixel, 8-bit rounding in the loop and an MSE pull of the transmitted LR towards
# the ordinary LR. Model configs set the generator's sizes and the factor pair.
_base_ = ['./cstvr_runtime.py']

model = dict(
    type='CSTVR',
    generator=dict(
        type='CSTVRResampler', design='lr-grid',
        down=dict(channels=48, frame_blocks=1, blocks=4, unshuffle=1, taps=3),
        imsm=dict(cells=1, growth=16),
        up=dict(channels=48, frame_blocks=2, blocks=4, unshuffle=1, flow_preset='medium'),
        default_factors=(2, 4)),
    pixel_loss=dict(type='MSELoss', loss_weight=1.0, reduction='mean'),
    guidance_loss=dict(type='LRGuidanceLoss', loss_weight=1.0, criterion='mse'),
    recovery_loss=dict(type='LatentRecoveryLoss', loss_weight=1.0, criterion='mse'),
    train_cfg=dict(factors=dict(temporal=(2, 2), spatial=(4, 4), named=[], named_prob=0.0)),
    test_cfg=dict(temporal=2, spatial=4),
    data_preprocessor=dict(type='DataPreprocessor', mean=[0., 0., 0.], std=[255., 255., 255.],
                           output_channel_order='RGB'))

train_dataloader = dict(batch_size=8, num_workers=1,
                        dataset=dict(num_frames=5, crop_size=96, scales=(1.0, 0.5)))
optim_wrapper = dict(optimizer=dict(lr=5e-4))
train_cfg = dict(max_iters=3500, val_interval=500)
param_scheduler = dict(T_max=3500)
default_hooks = dict(checkpoint=dict(interval=250, max_keep_ckpts=2), logger=dict(interval=10))
