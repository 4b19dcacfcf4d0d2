# The shipped `blind` model: tiny blind space-time super-resolution trained on 1 CPU core on the
# sam2 clips and vtest.avi (../shared/data/videos, at half size), continuous factors (time 1-4,
# space 1-4, plus 2x/1x, 2x/4x and 5/4). LR is the ordinary 8-bit frame dropping + bicubic.
# Command: OMP_NUM_THREADS=1 python tools/train.py configs/cstvr-blind_tiny_sam2.py
_base_ = ['./cstvr-blind_tiny.py']

train_dataloader = dict(batch_size=4, num_workers=1,
                        dataset=dict(num_frames=7, crop_size=64, scales=(0.5,)))
train_cfg = dict(max_iters=2500, val_interval=500)
param_scheduler = dict(T_max=2500)
default_hooks = dict(checkpoint=dict(interval=100), logger=dict(interval=10))
