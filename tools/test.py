"""Test (evaluate) a CSTVR checkpoint with mmengine (mmagic style).

    python tools/test.py CONFIG [CHECKPOINT] [--work-dir DIR] [--out RESULTS.pkl]

CHECKPOINT: an mmengine checkpoint (.pth) written by training, a cstvr weights file
(.safetensors) or a shipped model name (steg, blind). Classical baselines without parameters
(configs/cstvr-baseline_*.py) need none (``mim test`` insists on one: pass ``--checkpoint none``).
                         [--cfg-options KEY=VALUE ...] [--launcher none|pytorch|slurm|mpi]

Also run by ``mim test mmagic_cstvr CONFIG --checkpoint CHECKPOINT ...``.
"""
import argparse
import os
import os.path as osp

import mmagic_cstvr  # noqa: F401  (first: applies the compatibility fixes before mmengine/mmagic)
from mmengine.config import Config, DictAction
from mmengine.runner import Runner


def parse_args():
    parser = argparse.ArgumentParser(description="Test (evaluate) a CSTVR model")
    parser.add_argument("config", help="test config file path")
    parser.add_argument("checkpoint", nargs="?", default=None,
                        help="checkpoint (.pth), weights (.safetensors) or shipped model name")
    parser.add_argument("--work-dir", help="the folder for the evaluation logs")
    parser.add_argument("--out", help="also dump the predictions to this pickle file (.pkl) for offline evaluation")
    parser.add_argument(
        "--cfg-options", nargs="+", action=DictAction,
        help="override config settings, KEY=VALUE pairs (xxx=yyy)")
    parser.add_argument("--launcher", choices=["none", "pytorch", "slurm", "mpi"], default="none",
                        help="job launcher")
    parser.add_argument("--local_rank", "--local-rank", type=int, default=0)
    args = parser.parse_args()
    if "LOCAL_RANK" not in os.environ:
        os.environ["LOCAL_RANK"] = str(args.local_rank)
    return args


def build_config(args) -> Config:
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get("work_dir", None) is None:
        cfg.work_dir = osp.join("./work_dirs", osp.splitext(osp.basename(args.config))[0])
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
    cfg = build_config(args)
    mmagic_cstvr.register_all_modules()
    if "runner_type" not in cfg:
        runner = Runner.from_cfg(cfg)
    else:
        from mmengine.registry import RUNNERS
        runner = RUNNERS.build(cfg)
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
