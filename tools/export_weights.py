"""Export a trained generator from an mmengine checkpoint to a cstvr safetensors weights file.

    python tools/export_weights.py CONFIG CHECKPOINT OUT.safetensors

A network without trained parameters (``HiddenMotionResampler``) takes ``-`` as CHECKPOINT.
``--cfg-options`` changes the exported network's config as it does mmengine's (for example an
inference setting such as ``model.generator.up.flow_ensemble``); an unknown key is refused (by
the config check ``tools/train.py`` uses, or by the network it does not fit).

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
from mmagic_cstvr.errors import WeightsError
from mmagic_cstvr.utils.runner_setup import check_option_keys


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
    check_option_keys(config, args.cfg_options)
    config.merge_from_dict(args.cfg_options)
    cfg = config.model.generator.to_dict()
    try:
        generator = build_generator(cfg)
    except WeightsError as err:
        raise SystemExit(f'tools/export_weights.py: {err}') from None
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
