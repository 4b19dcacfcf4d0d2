"""Combine cstvr weights files into one model: a general network and fixed-factor specialists.

    python tools/compose_specialists.py OUT.safetensors --general FILE \\
        --specialist 2x4=FILE [--specialist *x1=FILE ...]

``TIMExSPACE`` names the factor pair a specialist was trained at (``*`` as the time factor: every
temporal factor at that spatial factor; ``*x*``: a time network at every spatial factor, over the
set's network for the spatial factor alone). Calls at a specialist's factors go to it, all others to
the general network (see :class:`mmagic_cstvr.archs.SpecialistSet`).
"""
import argparse

import mmagic_cstvr  # noqa: F401  (compatibility fixes first)

from mmagic_cstvr.evaluation.harness import parse_factors
from mmagic_cstvr.engine.weights import build_generator, export_weights, fit_weights, read_weights


def member_cfg(path) -> dict:
    """The embedded generator config of ``path``."""
    _, _, cfg = read_weights(path)
    if cfg is None:
        raise SystemExit(f'{path} carries no generator config; export it with tools/export_weights.py')
    return cfg


def parse_specialist(text: str):
    pair, _, path = text.partition('=')
    if not path:
        raise SystemExit(f'--specialist needs TIMExSPACE=FILE, got {text!r}')
    if pair == '*x*':
        return [None, None], path
    if pair.startswith('*x'):
        return [None, parse_factors('1' + pair[1:])[1]], path
    return list(parse_factors(pair)), path


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('out')
    parser.add_argument('--general', required=True)
    parser.add_argument('--specialist', action='append', required=True, metavar='TIMExSPACE=FILE')
    args = parser.parse_args()
    specialists = [parse_specialist(s) for s in args.specialist]
    cfg = dict(type='SpecialistSet', general=member_cfg(args.general),
               specialists=[dict(factors=pair, generator=member_cfg(path)) for pair, path in specialists])
    model = build_generator(cfg)
    fit_weights(model.general, read_weights(args.general)[1], args.general)
    for net, (_, path) in zip(model.specialists, specialists):
        fit_weights(net, read_weights(path)[1], path)
    print(export_weights(model, cfg, args.out))


if __name__ == '__main__':
    main()
