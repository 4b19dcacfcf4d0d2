# configs/cstvr-steg_tiny_sam2_psnr.py continued for 1,500 more iterations at a lower learning rate
# (its key frames were still rising when its cosine schedule ended).
# Command: OMP_NUM_THREADS=1 python tools/train.py configs/cstvr-steg_tiny_sam2_psnr_stage2.py \
#              --init-weights work_dirs/steg_psnr.safetensors
# (work_dirs/steg_psnr.safetensors: tools/export_weights.py of the first run's iter_1200.pth)
_base_ = ['./cstvr-steg_tiny_sam2_psnr.py']

optim_wrapper = dict(optimizer=dict(lr=2e-4))
train_cfg = dict(max_iters=1500, val_interval=500)
param_scheduler = dict(T_max=1500)
default_hooks = dict(checkpoint=dict(interval=250, max_keep_ckpts=2))
