# Second stage of the shipped `steg` model: the first stage (configs/cstvr-steg_tiny_sam2.py,
# 48x48 crops) fine-tuned on 96x96 crops, so that 4x space still leaves 24x24 LR frames to hide
# motion in, with the named factor pairs (2x/1x, 2x/4x, 5/4x1) in 3 of 4 batches.
# Command: OMP_NUM_THREADS=1 python tools/train.py configs/cstvr-steg_tiny_sam2_crop96.py \
#              --init-weights steg
_base_ = ['./cstvr-steg_tiny_sam2.py']

model = dict(train_cfg=dict(factors=dict(named_prob=0.75)))
train_dataloader = dict(dataset=dict(crop_size=96))
train_cfg = dict(max_iters=600, val_interval=300)
param_scheduler = dict(T_max=600)
default_hooks = dict(checkpoint=dict(interval=100))
