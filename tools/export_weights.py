"""Export a trained generator from an mmengine checkpoint to a cstvr safetensors weights file.

    python tools/export_weights.py CONFIG CHECKPOINT OUT.safetensors

The file carries the generator's config, so ``load_generator(OUT)``, ``core.cstvr.*(model=OUT)``
and ``cstvr ... --model OUT`` need nothing else. The checkpoint is one this project's training
wrote; it is read with ``weights_only=True`` (the exact classes mmengine stores are allowed by
:mod:`mmagic_cstvr.utils.compat`).
"""
import argparse

import torch

import mmagic_cstvr  # noqa: F401  (compatibility fixes first)
from mmengine import Config

from mmagic_cstvr.engine.weights import build_generator, export_weights


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('out')
    args = parser.parse_args()
    cfg = Config.fromfile(args.config, import_custom_modules=False).model.generator.to_dict()
    state = torch.load(args.checkpoint, map_location='cpu', weights_only=True)['state_dict']
    prefix = 'generator.'
    generator = build_generator(cfg)
    generator.load_state_dict({k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)})
    print(export_weights(generator, cfg, args.out))


if __name__ == '__main__':
    main()
