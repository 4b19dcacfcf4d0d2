"""``cstvr codec-sweep``: the options, the sweep (:mod:`mmagic_cstvr.evaluation.codec_sweep`) and
its report files (:mod:`mmagic_cstvr.evaluation.codec_report`)."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from ..evaluation.codec_report import markdown, plot
from ..evaluation.codec_sweep import parse_codec, sweep
from ..evaluation.harness import MODEL_HELP, add_model_and_data_arguments, parse_factors
from ..media.ffmpeg_pipes import YUV_PIX_FMTS
from ..media.lossy_codec import ENCODERS, LOSSLESS, PIX_FMT
from ..errors import FfmpegError
from ..structures.timeline import as_fraction


def run(args) -> int:
    """The ``cstvr codec-sweep`` command: exit code 2 with the problem named for bad options,
    data, models or encoders."""
    try:
        factors = [parse_factors(f) for f in args.factors]
        codecs = [parse_codec(c) for c in args.codecs]
        report = sweep(args.model, args.data, factors=factors, codecs=codecs, config=args.config,
                       fps=as_fraction(args.fps, 'fps'), max_frames=args.max_frames,
                       clean=not args.no_clean, pix_fmt=args.pix_fmt,
                       hide_motion=args.hide_motion, device=args.device, progress=not args.quiet)
    except (ValueError, FileNotFoundError, FfmpegError) as err:
        print(f'cstvr codec-sweep: error: {err}', file=sys.stderr)
        return 2
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    table = markdown(report)
    (out / 'codec_sweep.json').write_text(json.dumps(report, indent=1))
    (out / 'codec_sweep.md').write_text(table)
    plot(report, out / 'rd_curves.png')
    print(table)
    print(f'wrote {out}/codec_sweep.json, codec_sweep.md and rd_curves.png')
    return 0


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        'codec-sweep', help='round-trip quality with a real codec between Downsample and Upsample',
        description='Downsample each clip, encode the 8-bit LR with ffmpeg (yuv420p, or '
                    '--pix-fmt) along a quality ladder, decode, Upsample, and score RGB/Y PSNR '
                    'against the HR frames and the bitrate; rate-distortion plot and '
                    'equal-bitrate comparison against the naive cascade.')
    add_model_and_data_arguments(p, ['naive', 'steg'], MODEL_HELP + '; naive is the anchor of '
                                 'the equal-bitrate comparison')
    p.add_argument('--factors', nargs='+', default=['2x4', '2x1'], help='TIMExSPACE pairs')
    p.add_argument('--codecs', nargs='+',
                   default=['libx264:0,12,18,23,28', 'libx265:12,18,23,28,33'],
                   help=f'ENCODER[:Q1,Q2,...] (CRF, or -q:v for mpeg4; {LOSSLESS}: the '
                        f'lossless mode of libx264 and libx265); encoders: {", ".join(ENCODERS)}')
    p.add_argument('--pix-fmt', choices=YUV_PIX_FMTS, default=PIX_FMT,
                   help=f'pixel format of the encoded LR ({PIX_FMT}; the steg model\'s hidden '
                        f'motion needs yuv444p10le and {LOSSLESS})')
    p.add_argument('--hide-motion', choices=('auto', 'always'), default='auto',
                   help='where the model hides motion: write it for the encodes that keep it '
                        '(auto, as cstvr downsample does) or for every point (always)')
    p.add_argument('--fps', default='30', help='frame rate of frame folders (bitrates only)')
    p.add_argument('--max-frames', type=int, help='score only the first N frames of each clip')
    p.add_argument('--no-clean', action='store_true', help='leave out the clean 8-bit round trip')
    p.add_argument('--device', default='cpu')
    p.add_argument('--out', default='reports/codec', help='folder for the JSON, table and plot')
    p.add_argument('--quiet', action='store_true', help='no progress bar')
    p.set_defaults(func=run)
