# blind version 3 at 2x time / 4x space, motion after upscaling: the network of
# cstvr-blind-v3_lrgrid48_sam2-2x4.py with its in-between frames warped from the upscaled LR frames
# (motion='hr', plain blend of both warps) plus a residual from heads of their own (zero at the
# start), fine-tuned from the end of that run: 1,500 iterations at a peak learning rate of 2e-4.
# Command: OMP_NUM_THREADS=1 python tools/train.py CONFIG (after training the base config)
_base_ = ['./cstvr-blind-v3_lrgrid48_sam2-2x4.py']

model = dict(generator=dict(up=dict(motion='hr', occlusion_tolerance=None)))
load_from = 'work_dirs/cstvr-blind-v3_lrgrid48_sam2-2x4/iter_3500.pth'
optim_wrapper = dict(optimizer=dict(lr=2e-4))
train_cfg = dict(max_iters=1500, val_interval=500)
param_scheduler = dict(T_max=1500)
default_hooks = dict(checkpoint=dict(interval=100))
