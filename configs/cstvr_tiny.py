# Tiny CSTVR (about 0.39 M parameters): trains on 2 CPU cores.
_base_ = ['./_base_/cstvr_model.py']

model = dict(generator=dict(
    down=dict(channels=16, blocks=2, hidden=64, stem_shuffle=2),
    imsm=dict(cells=1, growth=8),
    up=dict(channels=32, blocks=2, growth=16, fuse=16, hidden=64)))
