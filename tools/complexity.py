"""Parameters and FLOPs per output pixel of every size config, as a markdown table.

    python tools/complexity.py [CONFIG ...]

FLOPs are 2 x the multiply-adds that mmengine's analyser counts (the analyser mmagic's get_flops
uses) for one 7-frame 64x64 window's round trip (Downsample, IMSM both ways, Upsample), divided by
the 7 x 64 x 64 output voxels.
"""
import sys
from pathlib import Path

import mmagic_cstvr  # noqa: F401  (compatibility fixes first)
from mmengine import Config

from mmagic_cstvr.evaluation.report import macs_per_output_pixel
from mmagic_cstvr.engine.weights import build_generator

DEFAULT = ['cstvr_tiny', 'cstvr-blind_tiny', 'cstvr-steg-v3_lrgrid48_sam2-2x4',
           'cstvr-blind-v3_lrgrid48_sam2-2x4', 'cstvr-blind-v3_synthesis48_sam2-tx1',
           'cstvr_paper-2x1', 'cstvr_paper-2x4']


def mflop_per_output_pixel(gen, factors) -> str:
    """The figure as text; '-' for a factor pair the network refuses (time-only networks)."""
    try:
        return f'{2 * macs_per_output_pixel(gen, factors) / 1e6:.3f}'
    except ValueError:
        return '-'


def main(configs):
    root = Path(__file__).resolve().parents[1] / 'configs'
    paths = [Path(c) for c in configs] or [root / f'{name}.py' for name in DEFAULT]
    print('| config | parameters | MFLOP per output pixel, 2x/1x | MFLOP per output pixel, 2x/4x |')
    print('|---|---|---|---|')
    for path in paths:
        cfg = Config.fromfile(str(path), import_custom_modules=False).model.generator.to_dict()
        gen = build_generator(cfg)
        params = sum(p.numel() for p in gen.parameters())
        flops = [mflop_per_output_pixel(gen, f) for f in ((2, 1), (2, 4))]
        print(f'| {path.stem} | {params / 1e6:.2f} M | {flops[0]} | {flops[1]} |')


if __name__ == '__main__':
    main(sys.argv[1:])
