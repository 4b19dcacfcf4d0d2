# Tiny blind space-time super-resolution: upsamples ordinary LR footage (no hidden information).
_base_ = ['./_base_/cstvr_model.py']

model = dict(
    generator=dict(_delete_=True, type='BlindResampler', design='full-res',
                   up=dict(channels=32, blocks=2, growth=16, fuse=16, hidden=64),
                   default_factors=(2, 4)),
    guidance_loss=None,
    recovery_loss=None,
    test_cfg=dict(temporal=2, spatial=4))
