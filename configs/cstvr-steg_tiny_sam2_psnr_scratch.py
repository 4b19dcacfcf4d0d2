# Control run for the model-size lever: the tiny model trained from scratch with the losses of the
# shipped model's last stages (FramePSNRLoss + LR floor), 1,500 iterations, the schedule of
# configs/cstvr-steg_small_sam2_psnr.py, so the two differ in the network's size only.
# Command: OMP_NUM_THREADS=1 python tools/train.py configs/cstvr-steg_tiny_sam2_psnr_scratch.py
_base_ = ['./cstvr-steg_tiny_sam2_psnr.py']

optim_wrapper = dict(optimizer=dict(lr=4e-4))
train_cfg = dict(max_iters=1500, val_interval=250)
param_scheduler = dict(T_max=1500)
default_hooks = dict(checkpoint=dict(interval=250, max_keep_ckpts=2))
