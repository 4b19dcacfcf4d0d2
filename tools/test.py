"""Test (evaluate) a CSTVR checkpoint with mmengine (mmagic style).

    python tools/test.py CONFIG [CHECKPOINT] [--work-dir DIR] [--out RESULTS.pkl]

CHECKPOINT: a cstvr weights file (.safetensors) or a shipped model name (steg, blind); a training
checkpoint (.pth, a pickle) is refused: convert it with ``tools/export_weights.py`` first, so no
pickle code from a supplied file runs. Classical baselines without parameters
(configs/cstvr-baseline_*.py) need none (``mim test`` insists on one: pass ``--checkpoint none``).
                         [--cfg-options KEY=VALUE ...] [--launcher none|pytorch|slurm|mpi]

Also run by ``mim test mmagic_cstvr CONFIG --checkpoint CHECKPOINT ...``.
"""
import argparse

import mmagic_cstvr  # noqa: F401  (first: applies the compatibility fixes before mmengine/mmagic)
from mmagic_cstvr.utils.runner_setup import add_common_arguments, build_runner, load_config, parse


def parse_args():
    parser = argparse.ArgumentParser(description="Test (evaluate) a CSTVR model")
    parser.add_argument("config", help="test config file path")
    parser.add_argument("checkpoint", nargs="?", default=None,
                        help="weights (.safetensors) or shipped model name; convert a training "
                             "checkpoint (.pth) with tools/export_weights.py")
    parser.add_argument("--out", help="also dump the predictions to this pickle file (.pkl) for offline evaluation")
    add_common_arguments(parser)
    return parse(parser)


def build_config(args):
    cfg = load_config(args)
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
    trained = trained_weights(args.checkpoint)  # before the Runner: a bad file fails at once
    runner = build_runner(build_config(args))
    load_generator_weights(runner, trained, args.checkpoint)
    runner.test()


def trained_weights(checkpoint):
    """``(path, state, config)`` of a .safetensors file or shipped model (None for no
    checkpoint); a pickle checkpoint or an unreadable file ends the run with the reason and the
    fix."""
    if checkpoint in (None, "none"):
        return None
    from mmagic_cstvr.engine.weights import load_generator, read_weights
    from mmagic_cstvr.errors import WeightsError

    try:
        load_generator(checkpoint)  # the whole file must load, not only the member tested
        return read_weights(checkpoint)
    except WeightsError as err:
        raise SystemExit(f"tools/test.py: {err}") from None


def load_generator_weights(runner, trained, checkpoint):
    """Load into the runner's generator the network of the file that fits the config (the file's
    only network, or the member of a specialist set trained for this config); an error naming
    the keys that do not fit; refuse to test an untrained learned model."""
    model = runner.model.module if hasattr(runner.model, "module") else runner.model
    if trained is None:
        if any(True for _ in model.parameters()):
            raise SystemExit(f"{type(model.generator).__name__} has learned parameters: "
                             "pass a CHECKPOINT (.safetensors or a shipped model name)")
        return
    from mmagic_cstvr.engine.weights import fit_member
    from mmagic_cstvr.errors import WeightsError

    path, state, cfg = trained
    try:
        member = fit_member(model.generator, state, cfg, path)
    except WeightsError as err:
        raise SystemExit(f"tools/test.py: {err}") from None
    runner.logger.info(f"testing {member} of {path}")


if __name__ == "__main__":
    main()
