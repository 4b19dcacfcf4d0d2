# Second training of the `steg` model: the shipped weights continued with an MSE reconstruction
# loss (weight 10, so that it keeps about the size the Charbonnier term had next to the guidance
# and recovery terms). mmagic's CharbonnierLoss (eps 1e-12) is L1, whose sign-only gradient did not
# move the zero-initialised output layers on real batches (see configs/cstvr-blind_tiny_sam2_mse.py).
# Named factor pairs (2x/1x, 2x/4x, 5/4x1) in 3 of 4 batches, learning rate 5e-4.
# Command: OMP_NUM_THREADS=1 python tools/train.py configs/cstvr-steg_tiny_sam2_mse.py \
#              --init-weights steg
_base_ = ['./cstvr-steg_tiny_sam2.py']

model = dict(pixel_loss=dict(_delete_=True, type='MSELoss', loss_weight=10.0, reduction='mean'),
             train_cfg=dict(factors=dict(named_prob=0.75)))
optim_wrapper = dict(optimizer=dict(lr=5e-4))
train_cfg = dict(max_iters=3000, val_interval=500)
param_scheduler = dict(T_max=3000)
default_hooks = dict(checkpoint=dict(interval=250, max_keep_ckpts=2))
