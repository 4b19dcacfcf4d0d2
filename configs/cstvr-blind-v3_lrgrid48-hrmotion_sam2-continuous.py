# blind version 3 for every factor pair: the shipped 2x/4x network (motion after upscaling)
# fine-tuned over continuous factors, temporal 1-4 and spatial 1-4, half the batches at the pairs
# streams use most. Its heads at scales 1-3 start from the trained 4x ones (tools/fill_scales.py).
# 72x72 crops: at small spatial factors the LR grid is large.
# Commands: python tools/fill_scales.py blind work_dirs/blind_v3c_init.safetensors
#           OMP_NUM_THREADS=1 python tools/train.py CONFIG --init-weights work_dirs/blind_v3c_init.safetensors
_base_ = ['./cstvr-blind-v3_lrgrid48-hrmotion_sam2-2x4.py']

model = dict(train_cfg=dict(factors=dict(
    temporal=(1, 4), spatial=(1, 4),
    named=[(1, 1.5), (1, 2), (1, 3), (2, 2), (2, 1.5), (1.25, 2), (2, 3), (1.25, 1)],
    named_prob=0.5)))
train_dataloader = dict(dataset=dict(crop_size=72))
load_from = None
optim_wrapper = dict(optimizer=dict(lr=1e-4))
train_cfg = dict(max_iters=1500, val_interval=10000)
param_scheduler = dict(T_max=1500)
default_hooks = dict(checkpoint=dict(interval=250, max_keep_ckpts=40))
