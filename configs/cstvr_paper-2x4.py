# Paper-sized CSTVR for 2x time / 4x space (the paper reports 17.4 M parameters): the up backbone
# interleaves dense blocks with four Video-Swin stages.
_base_ = ['./_base_/cstvr_model.py']

model = dict(
    generator=dict(
        up=dict(channels=128, blocks=3, growth=32, fuse=64, hidden=256, swin_stages=4,
                swin_depth=6, swin_heads=8, swin_window=(3, 7, 7)),
        default_factors=(2, 4)),
    test_cfg=dict(temporal=2, spatial=4))
