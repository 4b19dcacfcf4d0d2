"""What ``tools/train.py`` and ``tools/test.py`` share: the common command-line options, the config
they produce, and the mmengine Runner built from it (mmagic's tools, as one module)."""
from __future__ import annotations

import argparse
import difflib
import inspect
import os
import os.path as osp

from mmengine.config import Config, DictAction


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    """--work-dir, --cfg-options, --launcher and --local_rank."""
    parser.add_argument("--work-dir", help="the folder for logs (and checkpoints)")
    parser.add_argument(
        "--cfg-options", nargs="+", action=DictAction,
        help="override config settings, KEY=VALUE pairs (xxx=yyy), e.g. train_cfg.max_iters=10")
    parser.add_argument("--launcher", choices=["none", "pytorch", "slurm", "mpi"], default="none",
                        help="job launcher")
    # torch.distributed.launch passes --local-rank; torchrun sets LOCAL_RANK
    parser.add_argument("--local_rank", "--local-rank", type=int, default=0)


def parse(parser: argparse.ArgumentParser) -> argparse.Namespace:
    args = parser.parse_args()
    os.environ.setdefault("LOCAL_RANK", str(args.local_rank))
    return args


def load_config(args: argparse.Namespace) -> Config:
    """The config file with the launcher, ``--cfg-options`` and the work folder applied
    (command line > config > ``./work_dirs/<config name>``)."""
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        check_option_keys(cfg, args.cfg_options)
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get("work_dir", None) is None:
        cfg.work_dir = osp.join("./work_dirs", osp.splitext(osp.basename(args.config))[0])
    return cfg


def check_option_keys(cfg: Config, options: dict) -> None:
    """``SystemExit`` naming a ``--cfg-options`` key whose first part is neither a setting of the
    config nor an argument of mmengine's Runner: the Runner would silently ignore it (a typo such
    as ``default_hook.checkpoint.interval``). Keys below an existing section are checked by the
    component that takes them (an unknown argument of a hook, dataset or model is an error)."""
    from mmengine.runner import Runner
    known = set(cfg.keys()) | set(inspect.signature(Runner.__init__).parameters) - {"self"}
    for key in options:
        top = key.split(".")[0]
        if top not in known:
            close = difflib.get_close_matches(top, sorted(known), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise SystemExit(f"--cfg-options {key}: the config has no setting {top!r} and "
                             f"mmengine's Runner takes none{hint}")


def build_runner(cfg: Config):
    """mmengine's Runner (or the config's ``runner_type``) with cstvr's components registered."""
    import mmagic_cstvr
    from mmengine.registry import RUNNERS
    from mmengine.runner import Runner
    mmagic_cstvr.register_all_modules()
    return Runner.from_cfg(cfg) if "runner_type" not in cfg else RUNNERS.build(cfg)
