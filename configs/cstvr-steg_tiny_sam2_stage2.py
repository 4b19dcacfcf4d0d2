# Second stage of the shipped `steg` model: the first stage (configs/cstvr-steg_tiny_sam2.py,
# 1,250 iterations on 48x48 crops) continued on 64x64 crops (16x16 LR frames at 4x space) with the
# named factor pairs (2x/1x, 2x/4x, 5/4x1) in 3 of 4 batches and a 2.5x higher learning rate.
# Command: OMP_NUM_THREADS=1 python tools/train.py configs/cstvr-steg_tiny_sam2_stage2.py \
#              --init-weights steg
_base_ = ['./cstvr-steg_tiny_sam2.py']

model = dict(train_cfg=dict(factors=dict(named_prob=0.75)))
train_dataloader = dict(dataset=dict(crop_size=64))
optim_wrapper = dict(optimizer=dict(lr=5e-4))
train_cfg = dict(max_iters=400, val_interval=200)
param_scheduler = dict(T_max=400)
default_hooks = dict(checkpoint=dict(interval=50))
