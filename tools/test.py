"""Test (evaluate) a CSTVR checkpoint with mmengine (mmagic style).

    python tools/test.py CONFIG [CHECKPOINT] [--work-dir DIR] [--out RESULTS.pkl]

CHECKPOINT: an mmengine checkpoint (.pth) written by training, a cstvr weights file
(.safetensors) or a shipped model name (steg, blind). Classical baselines without parameters
(configs/cstvr-baseline_*.py) need none (``mim test`` insists on one: pass ``--checkpoint none``).
                         [--cfg-options KEY=VALUE ...] [--launcher none|pytorch|slurm|mpi]

Also run by ``mim test mmagic_cstvr CONFIG --checkpoint CHECKPOINT ...``.
"""
import argparse

import mmagic_cstvr  # noqa: F401  (first: applies the compatibility fixes before mmengine/mmagic)
from mmagic_cstvr.runner_setup import add_common_arguments, build_runner, load_config, parse


def parse_args():
    parser = argparse.ArgumentParser(description="Test (evaluate) a CSTVR model")
    parser.add_argument("config", help="test config file path")
    parser.add_argument("checkpoint", nargs="?", default=None,
                        help="checkpoint (.pth), weights (.safetensors) or shipped model name")
    parser.add_argument("--out", help="also dump the predictions to this pickle file (.pkl) for offline evaluation")
    add_common_arguments(parser)
    return parse(parser)


def build_config(args):
    cfg = load_config(args)
    if args.checkpoint and args.checkpoint.endswith(".pth"):
        cfg.load_from = args.checkpoint
    if args.out:
        dump = dict(type="DumpResults", out_file_path=args.out)
        evaluator = cfg.get("test_evaluator", None)
        if evaluator is None:
            cfg.test_evaluator = [dump]
        elif isinstance(evaluator, (list, tuple)):
            cfg.test_evaluator = [*evaluator, dump]
        elif "metrics" in evaluator:  # dict(type=..., metrics=[...])
            metrics = evaluator["metrics"]
            evaluator["metrics"] = [*(metrics if isinstance(metrics, (list, tuple)) else [metrics]), dump]
        else:
            cfg.test_evaluator = [evaluator, dump]
    return cfg


def main():
    args = parse_args()
    runner = build_runner(build_config(args))
    load_generator_weights(runner, args.checkpoint)
    runner.test()


def load_generator_weights(runner, checkpoint):
    """Load safetensors weights (or a shipped model) into the runner's generator; refuse to test
    an untrained learned model."""
    model = runner.model.module if hasattr(runner.model, "module") else runner.model
    if checkpoint in (None, "none"):
        if any(True for _ in model.parameters()):
            raise SystemExit(f"{type(model.generator).__name__} has learned parameters: "
                             "pass a CHECKPOINT (.pth, .safetensors or a shipped model name)")
        return
    if checkpoint.endswith(".pth"):
        return  # cfg.load_from: mmengine loads it
    from mmagic_cstvr.weights import load_generator

    trained = load_generator(checkpoint)
    model.generator.load_state_dict(trained.state_dict())


if __name__ == "__main__":
    main()
