"""Start a continuous-factor network from one trained at a single integer spatial scale.

    python tools/fill_scales.py MODEL OUT.safetensors [--trained-scale 4]

MODEL is a version-3 (LR-grid) weights file or shipped model name; from a file of several
networks (a specialist set), its LR-grid specialist at spatial factor ``--trained-scale`` is taken
(never the general network, which is trained over continuous factors).
Every other scale's input layer and output heads are filled from the trained ones
(:mod:`mmagic_cstvr.archs.subpixel_transfer`), and OUT starts a fine-tune over continuous
factors: ``python tools/train.py CONFIG --init-weights OUT.safetensors``.
"""
import argparse

import mmagic_cstvr  # noqa: F401  (compatibility fixes first)

from mmagic_cstvr.engine.weights import build_generator, export_weights, members, read_weights
from mmagic_cstvr.errors import WeightsError


def trained_at(name: str, cfg: dict, scale: int) -> bool:
    """Whether member ``name`` (:func:`members`) of a file was trained at spatial factor
    ``scale``: a file's one network by its default factors, a set's specialist by its pair."""
    if not cfg or cfg.get('design') != 'lr-grid':
        return False
    if name == 'network':
        return float(cfg.get('default_factors', (0, 0))[1]) == scale
    return name.startswith('specialist ') and name.endswith(f'x{scale:g}')


def lr_grid_member(model: str, scale: int):
    """(config, generator) of the LR-grid network of ``model`` trained at spatial factor
    ``scale``: the file's one network, or a set's specialist at that spatial factor."""
    path, state, cfg = read_weights(model)
    for name, member_cfg, weights in members(state, cfg):
        if trained_at(name, member_cfg, scale):
            generator = build_generator(member_cfg)
            generator.load_state_dict(weights)
            return member_cfg, generator
    raise SystemExit(f'tools/fill_scales.py: {path} holds no LR-grid network trained at spatial '
                     f'scale {scale}')


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('model', help='weights file or shipped model name')
    parser.add_argument('out')
    parser.add_argument('--trained-scale', type=int, default=4,
                        help='the integer spatial scale the network was trained at (default 4)')
    args = parser.parse_args()
    try:
        cfg, generator = lr_grid_member(args.model, args.trained_scale)
        for part in ('down_net', 'up_net'):  # a blind network has no downsampler
            if hasattr(generator, part):
                getattr(generator, part).fill_scales_from(args.trained_scale)
        print(export_weights(generator, cfg, args.out))
    except (WeightsError, ValueError) as err:
        raise SystemExit(f'tools/fill_scales.py: {err}') from None


if __name__ == '__main__':
    main()
