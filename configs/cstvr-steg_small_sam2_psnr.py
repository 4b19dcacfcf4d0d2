# The model-size lever: the small network (configs/cstvr_small.py, 2.5 M parameters, 6.6x the
# tiny one) trained from scratch exactly as configs/cstvr-steg_tiny_sam2_psnr_scratch.py trains
# the tiny one. About 3.1 s per iteration on one CPU thread. The sizes are cstvr_small's, written
# out because an mmengine config takes one base chain (test_configs checks that they agree).
# Command: OMP_NUM_THREADS=1 python tools/train.py configs/cstvr-steg_small_sam2_psnr.py
_base_ = ['./cstvr-steg_tiny_sam2_psnr_scratch.py']

model = dict(generator=dict(
    down=dict(channels=32, blocks=4, hidden=128, stem_shuffle=1),
    imsm=dict(cells=2, growth=16),
    up=dict(channels=64, blocks=6, growth=32, fuse=32, hidden=128)))
