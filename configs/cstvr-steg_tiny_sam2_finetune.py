# Short fine-tune of the shipped `steg` model (the control run of the codec-aware fine-tune,
# configs/cstvr-steg_tiny_sam2_codec.py): same data, factors and losses as
# configs/cstvr-steg_tiny_sam2.py, 500 iterations at a lower learning rate, one CPU thread.
# Command: OMP_NUM_THREADS=1 python tools/train.py configs/cstvr-steg_tiny_sam2_finetune.py \
#              --init-weights steg --work-dir work_dirs/steg_finetune
# The measured run (docs/training/steg_tiny_sam2_finetune/, reports/codec/finetune/) was stopped
# at its iter_250.pth checkpoint for time on shared cores, as was the codec-aware one.
_base_ = ['./cstvr-steg_tiny_sam2.py']

train_dataloader = dict(num_workers=0, persistent_workers=False)
train_cfg = dict(max_iters=500, val_interval=100000)
optim_wrapper = dict(optimizer=dict(lr=1e-4))
param_scheduler = dict(T_max=500)
default_hooks = dict(checkpoint=dict(interval=250), logger=dict(interval=10))
