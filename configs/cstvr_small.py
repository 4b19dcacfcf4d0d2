# Small CSTVR (about 2.5 M parameters).
_base_ = ['./_base_/cstvr_model.py']

model = dict(generator=dict(
    down=dict(channels=32, blocks=4, hidden=128),
    imsm=dict(cells=2, growth=16),
    up=dict(channels=64, blocks=6, growth=32, fuse=32, hidden=128)))
