# Medium CSTVR (about 7.9 M parameters).
_base_ = ['./_base_/cstvr_model.py']

model = dict(generator=dict(
    down=dict(channels=64, blocks=4, hidden=256),
    imsm=dict(cells=2, growth=32),
    up=dict(channels=96, blocks=12, growth=32, fuse=64, hidden=256)))
