# steg version 3 at 2x time / 4x space, motion after upscaling, with neighbour fusion: the network
# of cstvr-steg-v3_lrgrid48-hrmotion_sam2-2x4_long.py whose upsampler adds to every revealed LR
# frame's features a residual from both neighbouring frames' features, warped onto it along DIS
# flow (neighbours=True; the branch starts at zero), fine-tuned from the end of that run with a
# fresh cosine schedule, 2,000 iterations from a peak learning rate of 2e-4.
# Command: OMP_NUM_THREADS=1 python tools/train.py CONFIG (after the long config)
_base_ = ['./cstvr-steg-v3_lrgrid48-hrmotion_sam2-2x4_long.py']

model = dict(generator=dict(up=dict(neighbours=True)))
load_from = 'work_dirs/steg_v3l_2x4/iter_8000.pth'
train_cfg = dict(max_iters=2000, val_interval=500)
param_scheduler = dict(T_max=2000)
