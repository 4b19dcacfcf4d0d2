# steg version 3 for time-only resampling (spatial factor 1; whole temporal factors 1-8, others
# up to 7): the transmitted frames are the frame-dropped clip, each carrying the motion of the
# frames dropped after it (flows to both neighbours and their blend weight on 8x8 blocks, fitted
# by the encoder with the dropped frame in view: 50 gradient steps, each on one random pixel of
# every 2x2 cell) in its block-DCT coefficients (archs/hidden_motion.py,
# archs/dither_steganography.py). Nothing is trained: export it without a checkpoint.
# Composed into a set as `*x*` (tools/compose_specialists.py), it also serves the space-time pairs
# no specialist takes, over the set's network for the spatial factor alone: the motion of 8x8
# LR blocks, fitted at HR size against that network's upscaled kept frames.
# Command: python tools/export_weights.py CONFIG - OUT.safetensors
_base_ = ['./_base_/cstvr_v3_model.py']

model = dict(
    generator=dict(_delete_=True, type='HiddenMotionResampler', default_factors=(2, 1),
                   fit_iterations=50, fit_lr=1.0, fit_stride=2, dis_preset='fine',
                   flow_range=128.0, spatial_flow_range=32.0, logit_range=6.0, step=10.0,
                   digits=5, base=3),
    guidance_loss=None,
    recovery_loss=None,
    test_cfg=dict(temporal=2, spatial=1))
