"""Train a CSTVR model with mmengine (mmagic style).

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]] [--amp]
                          [--cfg-options KEY=VALUE ...] [--launcher none|pytorch|slurm|mpi]

Also run by ``mim train mmagic_cstvr CONFIG ...`` (the installed package carries a copy under
``mmagic_cstvr/.mim/tools/``).
"""
import argparse
import os
import os.path as osp

import mmagic_cstvr  # noqa: F401  (first: applies the compatibility fixes before mmengine/mmagic)
from mmengine.config import Config, DictAction
from mmengine.runner import Runner


def parse_args():
    parser = argparse.ArgumentParser(description="Train a CSTVR model")
    parser.add_argument("config", help="train config file path")
    parser.add_argument("--work-dir", help="the folder for logs and checkpoints")
    parser.add_argument(
        "--resume", nargs="?", type=str, const="auto",
        help="resume from CKPT; without CKPT, from the latest checkpoint in the work folder")
    parser.add_argument("--amp", action="store_true", default=False,
                        help="automatic mixed precision training (AmpOptimWrapper)")
    parser.add_argument(
        "--cfg-options", nargs="+", action=DictAction,
        help="override config settings, KEY=VALUE pairs (xxx=yyy), e.g. train_cfg.max_iters=10")
    parser.add_argument("--launcher", choices=["none", "pytorch", "slurm", "mpi"], default="none",
                        help="job launcher")
    # torch.distributed.launch passes --local-rank; torchrun sets LOCAL_RANK
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
    # work_dir: command line > config > ./work_dirs/<config name>
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get("work_dir", None) is None:
        cfg.work_dir = osp.join("./work_dirs", osp.splitext(osp.basename(args.config))[0])
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


def main():
    args = parse_args()
    cfg = build_config(args)
    mmagic_cstvr.register_all_modules()
    if "runner_type" not in cfg:
        runner = Runner.from_cfg(cfg)
    else:
        from mmengine.registry import RUNNERS
        runner = RUNNERS.build(cfg)
    runner.train()


if __name__ == "__main__":
    main()
