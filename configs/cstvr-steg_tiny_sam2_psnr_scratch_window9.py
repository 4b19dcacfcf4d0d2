# The crop-and-window lever: configs/cstvr-steg_tiny_sam2_psnr_scratch.py on 9-frame 64x64 windows
# instead of 7-frame 48x48 ones (2.3x the pixels per batch), same losses, schedule and iterations.
# Command: OMP_NUM_THREADS=1 python tools/train.py configs/cstvr-steg_tiny_sam2_psnr_scratch_window9.py
_base_ = ['./cstvr-steg_tiny_sam2_psnr_scratch.py']

train_dataloader = dict(dataset=dict(num_frames=9, crop_size=64))
