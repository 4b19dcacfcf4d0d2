"""Benchmark Downsample/Upsample of CSTVR models (mmagic-style tool; also ``cstvr benchmark``).

    python tools/benchmark.py MODEL [MODEL ...] [--mode steg|blind] [--size WxH] [--factors TxS]
        [--batch N] [--dtype fp32|fp16|bf16] [--device cpu|cuda] [--warmup N] [--runs N]
        [--threads N] [--only down|up] [--json OUT] [--no-vspipe]

MODEL: a shipped model name (steg, blind), a cstvr .safetensors file, or an mmagic config followed
by its CHECKPOINT (.safetensors or a shipped name; without one the config's untrained network,
which runs at the same speed), as in ``CONFIG [CHECKPOINT]``. Several models are measured side by
side against one naive baseline. Prints frames/s, megapixels/s, latency per window, FLOPs per
output pixel and peak memory of each model, the naive baseline and the VapourSynth plugin (vspipe),
the roofline fraction and, for fp16/bf16, the PSNR against fp32. ``--mode blind``: blind models,
Upsample only, and with TIMEx1 factors MVTools in vspipe. See mmagic_cstvr/cli/benchmark.py and
mmagic_cstvr/evaluation/speed/.
"""
import argparse
import sys

import mmagic_cstvr  # noqa: F401  (compatibility fixes first)
from mmagic_cstvr.cli.benchmark import add_arguments, main

if __name__ == '__main__':
    parser = add_arguments(argparse.ArgumentParser(description=__doc__.splitlines()[0]))
    sys.exit(main(parser.parse_args()))
