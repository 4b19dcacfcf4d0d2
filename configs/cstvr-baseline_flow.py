# Motion-compensated baseline: naive down; bicubic up, then interpolation in time along OpenCV's
# DIS optical flow. No parameters: python tools/test.py configs/cstvr-baseline_flow.py
_base_ = ['./_base_/cstvr_model.py']

model = dict(
    generator=dict(_delete_=True, type='FlowResampler', default_factors=(2, 4)),
    guidance_loss=None,
    recovery_loss=None,
    test_cfg=dict(temporal=2, spatial=4))
