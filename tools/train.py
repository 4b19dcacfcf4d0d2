"""Train a CSTVR model with mmengine (mmagic style).

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]] [--init-weights MODEL] [--amp]
                          [--cfg-options KEY=VALUE ...] [--launcher none|pytorch|slurm|mpi]

``--init-weights`` fine-tunes: the generator starts from a shipped model (``steg``, ``blind``) or a
``.safetensors`` file (no pickle), while the optimiser, schedule and iteration count start afresh.

Also run by ``mim train mmagic_cstvr CONFIG ...`` (the installed package carries a copy under
``mmagic_cstvr/.mim/tools/``).
"""
import argparse

import mmagic_cstvr  # noqa: F401  (first: applies the compatibility fixes before mmengine/mmagic)
from mmagic_cstvr.utils.runner_setup import add_common_arguments, build_runner, load_config, parse


def parse_args():
    parser = argparse.ArgumentParser(description="Train a CSTVR model")
    parser.add_argument("config", help="train config file path")
    parser.add_argument(
        "--resume", nargs="?", type=str, const="auto",
        help="resume from CKPT; without CKPT, from the latest checkpoint in the work folder")
    parser.add_argument(
        "--init-weights", metavar="MODEL",
        help="start the generator from a shipped model name or a .safetensors file (fine-tuning)")
    parser.add_argument("--amp", action="store_true", default=False,
                        help="automatic mixed precision training (AmpOptimWrapper)")
    add_common_arguments(parser)
    return parse(parser)


def build_config(args):
    cfg = load_config(args)
    if args.amp:
        optim_wrapper = cfg.optim_wrapper.get("type", "OptimWrapper")
        if optim_wrapper == "AmpOptimWrapper":
            print("AMP training is already enabled in the config.")
        else:
            assert optim_wrapper == "OptimWrapper", (
                f"--amp is only supported with OptimWrapper, but got {optim_wrapper}.")
            cfg.optim_wrapper.type = "AmpOptimWrapper"
            cfg.optim_wrapper.loss_scale = "dynamic"
    if args.resume == "auto":
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume
    return cfg


def init_generator(runner, model: str) -> None:
    """Load safetensors weights into the runner's generator (a resumed run overrides them); from
    a file of several networks, the first that fits (a specialist set's general network or one
    of its specialists)."""
    from mmengine.model import is_model_wrapper
    from mmagic_cstvr.engine.weights import fit_member, read_weights
    path, state, cfg = read_weights(model)
    editor = runner.model.module if is_model_wrapper(runner.model) else runner.model
    member = fit_member(editor.generator, state, cfg, path)
    runner.logger.info(f"generator initialised from {path} ({member})")


def main():
    args = parse_args()
    runner = build_runner(build_config(args))
    if not any(True for _ in runner.model.parameters()):
        raise SystemExit(f"tools/train.py: {args.config} builds a network without trained parameters; "
                         f"export it with: python tools/export_weights.py {args.config} - OUT.safetensors")
    if args.init_weights:
        init_generator(runner, args.init_weights)
    runner.train()


if __name__ == "__main__":
    main()
