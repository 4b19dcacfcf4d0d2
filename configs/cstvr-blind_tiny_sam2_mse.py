# Third stage of the `blind` model: the shipped weights continued with an MSE reconstruction loss.
# mmagic's CharbonnierLoss (eps 1e-12) is L1: on real batches its sign-only gradient left the
# zero-initialised output layers where they were (a 100-step probe at 1x/4x, lr 1e-3: -0.001 dB
# with it, +0.166 dB with MSE). Named factor pairs (2x/1x, 2x/4x, 5/4x1) in 3 of 4 batches.
# Command: OMP_NUM_THREADS=1 python tools/train.py configs/cstvr-blind_tiny_sam2_mse.py \
#              --init-weights blind
_base_ = ['./cstvr-blind_tiny_sam2.py']

model = dict(pixel_loss=dict(_delete_=True, type='MSELoss', loss_weight=1.0, reduction='mean'),
             train_cfg=dict(factors=dict(named_prob=0.75)))
optim_wrapper = dict(optimizer=dict(lr=1e-3))
train_cfg = dict(max_iters=3000, val_interval=500)
param_scheduler = dict(T_max=3000)
default_hooks = dict(checkpoint=dict(interval=250, max_keep_ckpts=2))
