# Naive baseline, measured by the same harness: frame dropping + antialiased bicubic down; bicubic
# up + linear blend in time. No parameters: python tools/test.py configs/cstvr-baseline_naive.py
_base_ = ['./_base_/cstvr_model.py']

model = dict(
    generator=dict(_delete_=True, type='NaiveResampler', default_factors=(2, 4)),
    guidance_loss=None,
    recovery_loss=None,
    test_cfg=dict(temporal=2, spatial=4))
