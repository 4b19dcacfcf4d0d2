# blind version 3 at 2x time / 4x space: the LR-grid upsampler on a motion-compensated base,
# trained to upsample ordinary LR (frame dropping + antialiased bicubic) of the sam2 clips and
# vtest.avi (../shared/data/videos, native and half size). Command:
# OMP_NUM_THREADS=1 python tools/train.py CONFIG
_base_ = ['./_base_/cstvr_v3_model.py']

model = dict(
    generator=dict(_delete_=True, type='BlindResampler', design='lr-grid',
                   up=dict(channels=48, frame_blocks=2, blocks=4, unshuffle=1,
                           flow_preset='medium'),
                   default_factors=(2, 4)),
    guidance_loss=None,
    recovery_loss=None)
