# steg version 3 at 2x time / 4x space: LR-grid down- and upsampler (1.0 M parameters), trained
# on the sam2 clips and vtest.avi (../shared/data/videos, native and half size), 96x96 crops of
# 5 frames, batch 8, 3,000 iterations; the LR guidance at 0.4 keeps the transmitted LR above
# 36 dB from the ordinary LR on Vid4. Command: OMP_NUM_THREADS=1 python tools/train.py CONFIG
_base_ = ['./_base_/cstvr_v3_model.py']

model = dict(guidance_loss=dict(loss_weight=0.4))
train_cfg = dict(max_iters=3000, val_interval=500)
param_scheduler = dict(T_max=3000)
