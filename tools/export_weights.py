"""Export a trained generator from an mmengine checkpoint to a cstvr safetensors weights file.

    python tools/export_weights.py CONFIG CHECKPOINT OUT.safetensors

A network without trained parameters (``HiddenMotionResampler``) takes ``-`` as CHECKPOINT.
``--cfg-options`` changes the exported network's config as it does mmengine's (for example an
inference setting such as ``model.generator.up.flow_ensemble``); keys the config does not have
are refused.

The file carries the generator's config, so ``load_generator(OUT)``, ``core.cstvr.*(model=OUT)``
and ``cstvr ... --model OUT`` need nothing else. The checkpoint is one this project's training
wrote; it is read with ``weights_only=True`` (the exact classes mmengine stores are allowed by
:mod:`mmagic_cstvr.utils.compat`).
"""
import argparse

import torch

import mmagic_cstvr  # noqa: F401  (compatibility fixes first)
from mmengine import Config, DictAction

from mmagic_cstvr.engine.weights import build_generator, export_weights


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint', help="the training checkpoint ('-': none, for a network "
                                           "without trained parameters)")
    parser.add_argument('out')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={},
                        help='KEY=VALUE overrides of the config, e.g. '
                             "\"model.generator.up.flow_ensemble=['fine','medium']\"")
    args = parser.parse_args()
    config = Config.fromfile(args.config, import_custom_modules=False)
    flat = config.to_dict()
    for key in args.cfg_options:
        node = flat
        for part in key.split('.')[:-1]:
            node = node.get(part) if isinstance(node, dict) else None
        if not isinstance(node, dict) or key.split('.')[-1] not in node:
            raise SystemExit(f'--cfg-options: {args.config} has no key {key!r}')
    config.merge_from_dict(args.cfg_options)
    cfg = config.model.generator.to_dict()
    generator = build_generator(cfg)
    if args.checkpoint == '-':
        if any(True for _ in generator.parameters()):
            raise SystemExit(f'{cfg["type"]} has trained parameters: name the checkpoint they are in')
    else:
        state = torch.load(args.checkpoint, map_location='cpu', weights_only=True)['state_dict']
        prefix = 'generator.'
        generator.load_state_dict({k[len(prefix):]: v for k, v in state.items()
                                   if k.startswith(prefix)})
    print(export_weights(generator, cfg, args.out))


if __name__ == '__main__':
    main()
