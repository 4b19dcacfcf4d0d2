# Control for configs/cstvr-steg_tiny_sam2_psnr.py: the same start (the MSE candidate, iteration
# 2000) and schedule, the MSE reconstruction loss kept, only the guidance raised from 0.05 to 10
# (the MSE candidate's LR ended 33 dB from the ordinary LR; the target is 35 dB).
# Command: OMP_NUM_THREADS=1 python tools/train.py configs/cstvr-steg_tiny_sam2_mse_guided.py \
#              --init-weights docs/training/steg_tiny_sam2_mse/iter_2000.safetensors
_base_ = ['./cstvr-steg_tiny_sam2_mse.py']

model = dict(guidance_loss=dict(loss_weight=10.0))
optim_wrapper = dict(optimizer=dict(lr=3e-4))
train_cfg = dict(max_iters=1200, val_interval=400)
param_scheduler = dict(T_max=1200)
default_hooks = dict(checkpoint=dict(interval=200, max_keep_ckpts=2))
