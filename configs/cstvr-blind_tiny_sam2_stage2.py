# Second stage of the shipped `blind` model: the first stage (configs/cstvr-blind_tiny_sam2.py,
# stopped at 500 iterations, exported to safetensors) continued at a 5x higher learning rate: after
# 500 iterations at 2e-4 the zero-initialised output layers had moved by only ~1e-3.
# Command: OMP_NUM_THREADS=1 python tools/train.py configs/cstvr-blind_tiny_sam2_stage2.py \
#              --init-weights work_dirs/blind_stage1.safetensors
_base_ = ['./cstvr-blind_tiny_sam2.py']

optim_wrapper = dict(optimizer=dict(lr=1e-3))
train_cfg = dict(max_iters=800, val_interval=400)
param_scheduler = dict(T_max=800)
