# steg version 3 at 2x time / 4x space, motion after upscaling, trained longer: the network of
# cstvr-steg-v3_lrgrid48-hrmotion_sam2-2x4.py resumed from the end of that run with a fresh cosine
# schedule, 8,000 iterations from a peak learning rate of 2e-4; the LR guidance at 0.5 holds the
# transmitted LR above 36 dB from the ordinary LR on Vid4 as the hiding grows.
# Command: OMP_NUM_THREADS=1 python tools/train.py CONFIG (after the second stage)
_base_ = ['./cstvr-steg-v3_lrgrid48-hrmotion_sam2-2x4.py']

model = dict(guidance_loss=dict(loss_weight=0.5))
load_from = 'work_dirs/steg_v3h_2x4/iter_1000.pth'
train_cfg = dict(max_iters=8000, val_interval=1000)
param_scheduler = dict(T_max=8000)
default_hooks = dict(checkpoint=dict(interval=250, max_keep_ckpts=40))
