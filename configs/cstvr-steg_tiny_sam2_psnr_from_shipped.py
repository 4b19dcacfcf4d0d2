# The losses of configs/cstvr-steg_tiny_sam2_psnr.py (per-frame PSNR, LR floor at 36.5 dB) from the
# shipped `steg` weights instead of the MSE candidate: the shipped model returns its key frames at
# about 58 dB but hides nothing; does a loss that guards the key frames let it learn the motion?
# Command: OMP_NUM_THREADS=1 python tools/train.py configs/cstvr-steg_tiny_sam2_psnr_from_shipped.py \
#              --init-weights steg
_base_ = ['./cstvr-steg_tiny_sam2_psnr.py']

train_cfg = dict(max_iters=1500, val_interval=500)
param_scheduler = dict(T_max=1500)
default_hooks = dict(checkpoint=dict(interval=250, max_keep_ckpts=2))
