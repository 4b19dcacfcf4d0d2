# The CSTVR editor with a paper-2x1-sized resampler; size configs override the generator's parts.
_base_ = ['./cstvr_runtime.py']

model = dict(
    type='CSTVR',
    generator=dict(
        type='CSTVRResampler', design='full-res',
        down=dict(channels=64, blocks=10, hidden=256, stem_shuffle=1),
        imsm=dict(cells=2, growth=32),
        up=dict(channels=128, blocks=16, growth=32, fuse=64, hidden=256),
        default_factors=(2, 1)),
    pixel_loss=dict(type='CharbonnierLoss', loss_weight=1.0, reduction='mean'),
    guidance_loss=dict(type='LRGuidanceLoss', loss_weight=0.05, criterion='mse'),
    recovery_loss=dict(type='LatentRecoveryLoss', loss_weight=1.0, criterion='l1'),
    train_cfg=dict(factors=dict(temporal=(1.0, 4.0), spatial=(1.0, 4.0),
                                named=[(2, 1), (2, 4), (1.25, 1)], named_prob=0.5)),
    test_cfg=dict(temporal=2, spatial=1),
    data_preprocessor=dict(type='DataPreprocessor', mean=[0., 0., 0.], std=[255., 255., 255.],
                           output_channel_order='RGB'))
