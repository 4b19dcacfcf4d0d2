"""Benchmark Downsample/Upsample of a CSTVR model (mmagic-style tool; also ``cstvr benchmark``).

    python tools/benchmark.py CONFIG_OR_MODEL [CHECKPOINT] [--size WxH] [--factors TxS]
        [--batch N] [--dtype fp32|fp16|bf16] [--device cpu|cuda] [--warmup N] [--runs N]
        [--threads N] [--only down|up] [--json OUT] [--no-vspipe]

CONFIG_OR_MODEL: a shipped model name (steg), a cstvr .safetensors file, or an mmagic config
with CHECKPOINT (.pth, .safetensors or a shipped name; without one the config's untrained network,
which runs at the same speed). Prints frames/s, megapixels/s, latency per window and peak memory
of the model, the naive baseline and the VapourSynth plugin (vspipe), the roofline fraction and,
for fp16/bf16, the PSNR against fp32. See mmagic_cstvr/benchmark.py.
"""
import argparse
import sys

import mmagic_cstvr  # noqa: F401  (compatibility fixes first)
from mmagic_cstvr.benchmark import add_arguments, main

if __name__ == '__main__':
    parser = add_arguments(argparse.ArgumentParser(description=__doc__.splitlines()[0]))
    sys.exit(main(parser.parse_args()))
