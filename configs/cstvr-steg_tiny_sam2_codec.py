# Codec-aware short fine-tune of the shipped `steg` model: configs/cstvr-steg_tiny_sam2_finetune.py
# plus a differentiable codec stand-in (mmagic_cstvr/archs/codec_proxy.py: YCbCr 4:2:0 round trip
# and 8x8 block-DCT quantisation noise at a random JPEG quality) between the quantiser and the
# reveal on half of the batches. Same seed and iterations as the control run.
# Command: OMP_NUM_THREADS=1 python tools/train.py configs/cstvr-steg_tiny_sam2_codec.py \
#              --init-weights steg --work-dir work_dirs/steg_codec
_base_ = ['./cstvr-steg_tiny_sam2_finetune.py']

model = dict(train_cfg=dict(codec_proxy=dict(prob=0.5, quality=(40, 95))))
