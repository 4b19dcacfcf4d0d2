# The shipped `steg` model: tiny CSTVR trained on 2 CPU cores on the sam2 clips and vtest.avi
# (../shared/data/videos, at half size), continuous factors (time 1-4, space 1-4, plus 2x/1x, 2x/4x
# and 5/4). Command: python tools/train.py configs/cstvr-steg_tiny_sam2.py
_base_ = ['./cstvr_tiny.py']

model = dict(test_cfg=dict(temporal=2, spatial=4))
train_dataloader = dict(batch_size=4, num_workers=1,
                        dataset=dict(num_frames=7, crop_size=48, scales=(0.5,)))
train_cfg = dict(max_iters=2500, val_interval=500)
param_scheduler = dict(T_max=2500)
default_hooks = dict(checkpoint=dict(interval=250), logger=dict(interval=10))
