# Paper-sized CSTVR for 2x time / 1x space (the paper reports 11.7 M parameters).
_base_ = ['./_base_/cstvr_model.py']

model = dict(test_cfg=dict(temporal=2, spatial=1))
