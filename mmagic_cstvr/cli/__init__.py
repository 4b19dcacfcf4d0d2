"""The ``cstvr`` command line.

Subcommands:
  info        versions of the stack (Python, torch, VapourSynth core, mmagic, mmengine, mmcv,
              ffmpeg) and whether CUDA is available.
  downsample  IN OUT: a video file through core.cstvr.Downsample and ffmpeg
  upsample    IN OUT: a video file through core.cstvr.Upsample and ffmpeg
  roundtrip   IN OUT: Downsample then Upsample in one graph
              (these three live in mmagic_cstvr/cli/resample.py)
  eval        score models and baselines with the papers' protocol
              (mmagic_cstvr/evaluation/harness.py)
  report      results table, PSNR-vs-factor plots and side-by-side crops
              (mmagic_cstvr/evaluation/report.py)
  benchmark   frames/s, latency, memory and roofline of Downsample/Upsample against the naive
              baseline, directly and through vspipe (mmagic_cstvr/cli/benchmark.py)
  codec-sweep round-trip quality with a real codec between Downsample and Upsample
              (mmagic_cstvr/cli/codec_sweep.py)
"""
from __future__ import annotations

import argparse
import importlib
import platform
import subprocess
import sys
import warnings

from .. import __version__
from ..errors import PayloadLostWarning
from ..media.probe import find_ffmpeg


def _module_version(module: str) -> str:
    try:
        mod = importlib.import_module(module)
    except Exception as exc:  # report, do not fail: `info` is a diagnostic
        return f"not importable ({type(exc).__name__}: {exc})"
    return str(getattr(mod, "__version__", "unknown"))


def collect_info() -> dict[str, str]:
    info: dict[str, str] = {}
    info["cstvr"] = __version__
    info["python"] = f"{platform.python_version()} ({sys.executable})"
    try:
        import torch

        info["torch"] = torch.__version__
        cuda = torch.cuda.is_available()
        info["cuda available"] = (
            f"yes ({torch.cuda.device_count()} device(s): {torch.cuda.get_device_name(0)})" if cuda else "no"
        )
    except Exception as exc:
        info["torch"] = f"not importable ({type(exc).__name__}: {exc})"
        info["cuda available"] = "unknown"
    try:
        import vapoursynth as vs

        ver = vs.core.core_version
        release = f"R{ver.release_major}" + (f".{ver.release_minor}" if ver.release_minor else "")
        info["vapoursynth core"] = f"{release} (API {vs.core.api_version}, {vs.__file__})"
        info["vapoursynth plugins"] = ", ".join(sorted(p.namespace for p in vs.core.plugins()))
    except Exception as exc:
        info["vapoursynth core"] = f"not importable ({type(exc).__name__}: {exc})"
    info["mmagic"] = _module_version("mmagic")
    info["mmengine"] = _module_version("mmengine")
    mmcv_version = _module_version("mmcv")
    try:
        from mmengine.utils.dl_utils import mmcv_full_available

        ops = "compiled ops available" if mmcv_full_available() else "no compiled ops (mmcv-lite)"
    except Exception as exc:
        ops = f"ops unknown ({type(exc).__name__})"
    info["mmcv"] = f"{mmcv_version} ({ops})"
    info["torchvision"] = _module_version("torchvision")
    ffmpeg = find_ffmpeg()
    if ffmpeg:
        try:
            first = subprocess.run([ffmpeg, "-version"], capture_output=True, text=True, timeout=30).stdout
            info["ffmpeg"] = f"{ffmpeg} ({first.splitlines()[0] if first else 'no version output'})"
        except Exception as exc:
            info["ffmpeg"] = f"{ffmpeg} (failed: {exc})"
    else:
        info["ffmpeg"] = "not found"
    return info


def cmd_info(args: argparse.Namespace) -> int:
    info = collect_info()
    width = max(len(k) for k in info)
    for key, value in info.items():
        print(f"{key:<{width}}  {value}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cstvr", description="Continuous space-time video resampling (CSTVR).")
    parser.add_argument("--version", action="version", version=f"cstvr {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    p_info = sub.add_parser("info", help="show versions of the installed stack")
    p_info.set_defaults(func=cmd_info)
    from .resample import add_parsers

    add_parsers(sub)
    from ..evaluation.harness import add_parser as add_eval_parser
    from ..evaluation.report import add_parser as add_report_parser

    add_eval_parser(sub)
    add_report_parser(sub)
    from .benchmark import add_parser as add_benchmark_parser
    from .codec_sweep import add_parser as add_codec_sweep_parser

    add_benchmark_parser(sub)
    add_codec_sweep_parser(sub)
    return parser


_python_format = warnings.formatwarning


def _format_warning(message, category, filename, lineno, line=None) -> str:
    """cstvr's own warnings as one line, ``cstvr: warning: ...``; others as Python prints them."""
    if issubclass(category, PayloadLostWarning):
        return f"cstvr: warning: {message}\n"
    return _python_format(message, category, filename, lineno, line)


def main(argv: list[str] | None = None) -> int:
    warnings.formatwarning = _format_warning
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    return int(args.func(args) or 0)

