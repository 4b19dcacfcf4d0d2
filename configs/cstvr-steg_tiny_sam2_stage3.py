# Third stage of the `steg` model: the shipped weights continued for up to 4,000 iterations on the
# 48x48 crops of the first stage, with the named factor pairs (2x/1x, 2x/4x, 5/4x1) in 3 of 4
# batches and a 2.5x higher learning rate than the first stage (the iterations lever).
# Command: OMP_NUM_THREADS=1 python tools/train.py configs/cstvr-steg_tiny_sam2_stage3.py \
#              --init-weights steg
_base_ = ['./cstvr-steg_tiny_sam2.py']

model = dict(train_cfg=dict(factors=dict(named_prob=0.75)))
optim_wrapper = dict(optimizer=dict(lr=5e-4))
train_cfg = dict(max_iters=4000, val_interval=1000)
param_scheduler = dict(T_max=4000)
default_hooks = dict(checkpoint=dict(interval=250, max_keep_ckpts=2))
