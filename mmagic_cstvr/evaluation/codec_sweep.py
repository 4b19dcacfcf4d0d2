"""``cstvr codec-sweep``: round-trip quality with a real lossy codec between Downsample and Upsample.

Each clip goes through the engine the plugin and the inferencer use (:class:`ClipResampler`,
whole clips in windows): Downsample -> the 8-bit LR clip -> ffmpeg encodes it (raw RGB in,
``yuv420p`` with the project's conversion, :mod:`mmagic_cstvr.media.ffmpeg_pipes`) at each point of
a codec's quality ladder (CRF, or ``-q:v`` for mpeg4) -> ffmpeg decodes it -> Upsample -> RGB and
BT.601 Y PSNR against the HR frames (every frame; :mod:`.metrics`, means as :func:`summarise`).
The bitrate is the encoded elementary stream's size (headers included) over the LR clip's
duration, in kbit/s; frame folders have no frame rate, ``fps`` (30) stands in.

Equal-bitrate comparison against the naive cascade, per dataset, factor pair and codec:
BD-PSNR (Bjontegaard: mean PSNR difference over the overlapping log-bitrate range of the two
fitted curves, cubic fits, quadratic with 3 points) and BD-rate (mean bitrate difference in %
at equal PSNR), and for each point the naive PSNR interpolated at the same bitrate (linear in
log-bitrate; '-' outside naive's range).
"""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from fractions import Fraction
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..engine.clip_resampler import ClipResampler
from ..engine.window_stream import resample_stream
from ..media.ffmpeg_pipes import (ONE_SLICE, EncoderProcess, FrameReader, encode_filter,
                                  output_args, planar, raw_input_args)
from ..media.probe import FfmpegError, probe, require_ffmpeg
from ..media.readers import expand_sources, read_source
from ..structures.colour import default_matrix, rgb_to_y, to_sample_type
from ..structures.lattice import scaled_size
from ..structures.timeline import as_fraction, training_positions
from .harness import MODEL_HELP, add_model_and_data_arguments, load_resampler, parse_factors
from .metrics import psnr
from .protocol import summarise

#: Default quality ladders (lower is better quality; x264's CRF 0 is lossless in YUV).
LADDERS = {'libx264': (0, 12, 18, 23, 28), 'libx265': (12, 18, 23, 28, 33)}
#: Per encoder: the elementary-stream muxer and how a ladder value is passed.
ENCODERS = {
    'libx264': ('h264', '-crf {q}'),
    'libx265': ('hevc', '-crf {q} -x265-params log-level=error'),
    'mpeg4': ('m4v', '-q:v {q}'),
    'libvpx-vp9': ('ivf', '-crf {q} -b:v 0'),
    'libaom-av1': ('ivf', '-crf {q} -b:v 0 -cpu-used 8'),
}
PIX_FMT = 'yuv420p'
CLEAN = 'clean 8-bit'


def parse_codec(text: str) -> Tuple[str, Tuple[int, ...]]:
    """``'libx264:18,23,28'`` -> ('libx264', (18, 23, 28)); ``'libx265'`` -> its default ladder."""
    name, _, values = text.partition(':')
    if name not in ENCODERS:
        raise ValueError(f'codec {name!r} is not supported by the sweep; choose one of '
                         f'{", ".join(ENCODERS)}')
    if not values:
        if name not in LADDERS:
            raise ValueError(f'give {name} a quality ladder, e.g. {name}:2,5,10')
        return name, LADDERS[name]
    try:
        return name, tuple(int(v) for v in values.split(','))
    except ValueError:
        raise ValueError(f'a quality ladder is integers, e.g. {name}:18,23,28; got {text!r}') from None


def check_encoders(ffmpeg: str, codecs: Sequence[str]) -> None:
    """:class:`ValueError` naming the encoders this ffmpeg lacks."""
    listed = subprocess.run([ffmpeg, '-hide_banner', '-encoders'], capture_output=True,
                            text=True).stdout
    names = {line.split()[1] for line in listed.splitlines() if len(line.split()) > 1}
    missing = [c for c in codecs if c not in names]
    if missing:
        raise ValueError(f'{ffmpeg} has no encoder {", ".join(missing)} (see ffmpeg -encoders)')


def encode(ffmpeg: str, frames: np.ndarray, fps: Fraction, codec: str, quality: int,
           matrix: str, path: Path) -> Path:
    """(N, h, w, 3) uint8 RGB -> an elementary stream of ``codec`` at ``quality`` in ``PIX_FMT``."""
    muxer, option = ENCODERS[codec]
    h, w = frames.shape[1:3]
    partial = path.with_name(path.name + '.partial')
    cmd = [ffmpeg, '-hide_banner', '-nostdin', '-loglevel', 'error', '-y', *ONE_SLICE,
           *raw_input_args(w, h, fps, 'u8'),
           *output_args(codec=codec, pix_fmt=PIX_FMT, crf=None, preset='medium', matrix=matrix,
                        muxer=muxer, partial=partial, extra=option.format(q=quality),
                        vf=encode_filter(PIX_FMT, matrix))]
    encoder = EncoderProcess(cmd, partial, path)
    for frame in frames:
        encoder.write(planar(frame))
    encoder.finish()
    return path


def decode(ffmpeg: str, path: Path, matrix: str) -> List[np.ndarray]:
    """The frames of an encoded file as (h, w, 3) float32 RGB (the front ends' conversion)."""
    reader = FrameReader(ffmpeg, probe(path, ffmpeg), matrix)
    try:
        return list(reader)
    finally:
        reader.close()


def score(hr: np.ndarray, out: Sequence[np.ndarray], factor: float) -> Dict[str, list]:
    """Per-frame RGB and Y PSNR of the output against the HR frames, and which were dropped."""
    kept = {round(p) for p in training_positions(len(hr), factor)[0] if p == round(p)}
    scores = dict(psnr_rgb=[], psnr_y=[], dropped=[])
    for i, (gt, pred) in enumerate(zip(hr, out)):
        scores['psnr_rgb'].append(psnr(gt, pred))
        scores['psnr_y'].append(psnr(rgb_to_y(gt), rgb_to_y(pred)))
        scores['dropped'].append(i not in kept)
    return scores


def clip_points(generator, hr: np.ndarray, fps: Fraction, factor: float, scale: float,
                ladder: Sequence[Tuple[str, Optional[int]]], ffmpeg: str, workdir: Path,
                progress=None) -> List[Dict]:
    """One clip (T, H, W, 3) uint8 at one factor pair through every ``(codec, quality)`` of
    ``ladder`` (``(CLEAN, None)``: no codec). Returns per point its bits, LR duration, the
    decoded LR's PSNR against the LR sent, and the per-frame scores."""
    n, h, w = hr.shape[:3]
    lr_fps = fps / as_fraction(factor, 'temporal factor')
    down = ClipResampler(generator, 'down', fps, lr_fps, n, scaled_size((h, w), scale))
    lr = np.stack(list(resample_stream(down, hr, sample='u8')))
    matrix = default_matrix(h)  # as the front ends pick it for an RGB source of this height
    points = []
    for codec, quality in ladder:
        if codec == CLEAN:
            received, bits, lr_db = list(lr), None, [float('inf')] * len(lr)
        else:
            stream = encode(ffmpeg, lr, lr_fps, codec, quality, matrix,
                            workdir / f'lr_{codec}_{quality}.{ENCODERS[codec][0]}')
            bits = stream.stat().st_size * 8
            received = decode(ffmpeg, stream, matrix)  # float RGB, as Upsample gets it
            stream.unlink()
            lr_db = [psnr(a, to_sample_type(b, 'u8')) for a, b in zip(lr, received)]
        up = ClipResampler(generator, 'up', lr_fps, fps, len(received), (h, w), n_dst=n)
        out = list(resample_stream(up, received, sample='u8'))
        points.append(dict(codec=codec, quality=quality, bits=bits,
                           seconds=float(len(lr) / lr_fps), lr_psnr=lr_db,
                           scores=score(hr, out, factor)))
        if progress is not None:
            progress.update(1)
    return points


def bd_metrics(anchor: Sequence[Tuple[float, float]], test: Sequence[Tuple[float, float]]):
    """(BD-PSNR in dB, BD-rate in %) of ``test`` against ``anchor``, each a list of
    (kbit/s, PSNR) points; None where the curves do not overlap or have under 3 points."""
    if len(anchor) < 3 or len(test) < 3:
        return None, None
    ra, pa = np.log10([r for r, _ in anchor]), np.array([p for _, p in anchor])
    rt, pt = np.log10([r for r, _ in test]), np.array([p for _, p in test])
    deg = min(3, len(anchor) - 1, len(test) - 1)

    def mean_gap(xa, ya, xt, yt):
        lo, hi = max(xa.min(), xt.min()), min(xa.max(), xt.max())
        if hi <= lo:
            return None
        ia, it = np.polyint(np.polyfit(xa, ya, deg)), np.polyint(np.polyfit(xt, yt, deg))
        return ((np.polyval(it, hi) - np.polyval(it, lo)) -
                (np.polyval(ia, hi) - np.polyval(ia, lo))) / (hi - lo)

    d_psnr = mean_gap(ra, pa, rt, pt)
    d_rate = mean_gap(pa, ra, pt, rt)
    return (None if d_psnr is None else float(d_psnr),
            None if d_rate is None else float((10 ** d_rate - 1) * 100))


def psnr_at(curve: Sequence[Tuple[float, float]], kbps: float) -> Optional[float]:
    """PSNR of a (kbit/s, PSNR) curve at ``kbps``, linear in log-bitrate; None outside it."""
    pts = sorted(curve)
    x = np.log10([r for r, _ in pts])
    if not x[0] <= np.log10(kbps) <= x[-1]:
        return None
    return float(np.interp(np.log10(kbps), x, [p for _, p in pts]))


def sweep(models: Sequence[str], sources: Sequence[str], factors: Sequence[Tuple[float, float]],
          codecs: Sequence[Tuple[str, Sequence[int]]], config: Optional[str] = None,
          fps: Fraction = Fraction(30), max_frames: Optional[int] = None, clean: bool = True,
          device='cpu', progress: bool = True) -> Dict:
    """Every model on every dataset at every factor pair and ladder point; see the module doc.

    Returns ``{'settings', 'results': [{model, dataset, factors, codec, quality, kbps,
    psnr_rgb, psnr_y, psnr_rgb_dropped, lr_psnr, frames}], 'bd': [...]}``.
    """
    from tqdm import tqdm
    ffmpeg = require_ffmpeg()
    check_encoders(ffmpeg, [c for c, _ in codecs])
    ladder = ([(CLEAN, None)] if clean else []) + [(c, q) for c, qs in codecs for q in qs]
    datasets = {Path(src).name: expand_sources([src]) for src in sources}
    total = len(models) * len(factors) * len(ladder) * sum(len(p) for p in datasets.values())
    results = []
    with tqdm(total=total, desc='codec sweep', unit='round trip', disable=not progress) as bar, \
            tempfile.TemporaryDirectory(prefix='cstvr-codec-') as tmp:
        for model in models:
            generator = load_resampler(model, config, device)
            for dataset, paths in datasets.items():
                per = {}  # (factors, codec, quality) -> per-clip points
                for path in paths:
                    hr, clip_fps = read_source(path)
                    hr = hr[:max_frames] if max_frames else hr
                    for t, s in factors:
                        bar.set_postfix_str(f'{Path(model).stem} {dataset}/{path.stem} {t:g}x{s:g}')
                        for p in clip_points(generator, hr, clip_fps or fps, t, s, ladder,
                                             ffmpeg, Path(tmp), bar):
                            per.setdefault((f'{t:g}x{s:g}', p['codec'], p['quality']), []).append(p)
                for (key, codec, quality), points in per.items():
                    summary = summarise({str(i): p['scores'] for i, p in enumerate(points)})['all']
                    lr_db = np.array([v for p in points for v in p['lr_psnr']], np.float64)
                    bits = None if codec == CLEAN else sum(p['bits'] for p in points)
                    results.append(dict(
                        model=Path(model).stem, dataset=dataset, factors=key, codec=codec,
                        quality=quality,
                        kbps=None if bits is None else bits / sum(p['seconds'] for p in points) / 1e3,
                        psnr_rgb=summary['psnr_rgb'], psnr_y=summary['psnr_y'],
                        psnr_rgb_dropped=summary['psnr_rgb_dropped'], frames=summary['frames'],
                        lr_psnr=float(np.mean(lr_db[np.isfinite(lr_db)])) if np.isfinite(lr_db).any()
                        else float('inf')))
    settings = dict(models=list(models), sources=[str(s) for s in sources],
                    factors=[f'{t:g}x{s:g}' for t, s in factors], pix_fmt=PIX_FMT,
                    codecs={c: list(q) for c, q in codecs}, fps_for_frame_folders=str(fps),
                    max_frames=max_frames)
    return dict(settings=settings, results=results, bd=equal_bitrate(results))


def _curve(results, model, dataset, factors, codec):
    return [(r['kbps'], r['psnr_rgb']) for r in results if (r['model'], r['dataset'], r['factors'],
            r['codec']) == (model, dataset, factors, codec)]


def equal_bitrate(results: List[Dict], anchor: str = 'naive') -> List[Dict]:
    """BD-PSNR and BD-rate of every model against ``anchor`` per dataset, factors and codec; each
    result also gets ``anchor_psnr_at_kbps`` (the anchor's PSNR at its bitrate)."""
    out = []
    keys = sorted({(r['dataset'], r['factors'], r['codec']) for r in results if r['codec'] != CLEAN})
    for dataset, factors, codec in keys:
        base = _curve(results, anchor, dataset, factors, codec)
        if not base:
            continue
        for model in sorted({r['model'] for r in results} - {anchor}):
            test = _curve(results, model, dataset, factors, codec)
            if not test:
                continue
            d_psnr, d_rate = bd_metrics(base, test)
            out.append(dict(model=model, anchor=anchor, dataset=dataset, factors=factors,
                            codec=codec, bd_psnr=d_psnr, bd_rate=d_rate, points=len(test)))
    for r in results:
        base = _curve(results, anchor, r['dataset'], r['factors'], r['codec'])
        r['anchor_psnr_at_kbps'] = (psnr_at(base, r['kbps']) if base and r['kbps']
                                    and r['model'] != anchor else None)
    return out


def _num(value, fmt='.2f', plus=False) -> str:
    if value is None:
        return '-'
    if value == float('inf'):
        return 'identical'
    return format(value, ('+' if plus else '') + fmt)


def markdown(report: Dict) -> str:
    """The points table and the equal-bitrate table."""
    lines = ['| dataset | factors | codec | setting | model | kbit/s | RGB PSNR | Y PSNR | '
             'RGB PSNR, dropped frames | decoded LR vs sent LR | naive RGB PSNR at this kbit/s | '
             'difference |', '|---|---|---|---|---|---|---|---|---|---|---|---|']
    for r in report['results']:
        anchor = r.get('anchor_psnr_at_kbps')
        diff = None if anchor is None else r['psnr_rgb'] - anchor
        setting = '-' if r['quality'] is None else (
            f"CRF {r['quality']}" if '-crf' in ENCODERS[r['codec']][1] else f"q {r['quality']}")
        lines.append(f"| {r['dataset']} | {r['factors']} | {r['codec']} | {setting} | {r['model']} "
                     f"| {_num(r['kbps'], '.1f')} | {_num(r['psnr_rgb'])} | {_num(r['psnr_y'])} | "
                     f"{_num(r['psnr_rgb_dropped'])} | {_num(r['lr_psnr'])} | {_num(anchor)} | {_num(diff, plus=True)} |")
    lines += ['', 'Equal bitrate against the naive cascade (Bjontegaard, RGB PSNR vs log bitrate):', '',
              '| dataset | factors | codec | model | BD-PSNR (dB) | BD-rate (%) | points |',
              '|---|---|---|---|---|---|---|']
    for b in report['bd']:
        lines.append(f"| {b['dataset']} | {b['factors']} | {b['codec']} | {b['model']} | "
                     f"{_num(b['bd_psnr'], plus=True)} | {_num(b['bd_rate'], '.1f', plus=True)} | "
                     f"{b['points']} |")
    return '\n'.join(lines) + '\n'


def plot(report: Dict, path: Path) -> None:
    """Rate-distortion curves: one panel per (dataset, factors), one curve per model and codec;
    the clean 8-bit round trip of each model as a dotted line (its protocol mean: a classical
    method's exact key frames left out)."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    results = report['results']
    panels = sorted({(r['dataset'], r['factors']) for r in results})
    models = sorted({r['model'] for r in results})
    codecs = sorted({r['codec'] for r in results if r['codec'] != CLEAN})
    colours = {m: f'C{i}' for i, m in enumerate(models)}
    markers = dict(zip(codecs, 'osD^v'))
    styles = dict(zip(codecs, ['-', '--', '-.', ':', '-']))
    fig, axes = plt.subplots(1, len(panels), figsize=(5.5 * len(panels), 4.2), squeeze=False)
    for ax, (dataset, factors) in zip(axes[0], panels):
        for model in models:
            for codec in codecs:
                pts = sorted(_curve(results, model, dataset, factors, codec))
                if pts:
                    ax.plot(*zip(*pts), marker=markers[codec], linestyle=styles[codec],
                            color=colours[model], label=f'{model}, {codec}')
            clean = [r['psnr_rgb'] for r in results if (r['model'], r['dataset'], r['factors'],
                     r['codec']) == (model, dataset, factors, CLEAN)]
            if clean:
                ax.axhline(clean[0], color=colours[model], linestyle=(0, (2, 3)), linewidth=1,
                           label=f'{model}, clean 8-bit')
        ax.set_xscale('log')
        ax.xaxis.set_minor_locator(matplotlib.ticker.LogLocator(subs=(2, 5)))
        for axis_formatter in (ax.xaxis.set_major_formatter, ax.xaxis.set_minor_formatter):
            axis_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f'{v:g}'))
        ax.set(xlabel='LR bitrate (kbit/s)', ylabel='RGB PSNR of the round trip (dB)',
               title=f'{dataset}, {factors} (time x space), {PIX_FMT}')
        ax.grid(alpha=0.3, which='both')
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def run(args) -> int:
    """The ``cstvr codec-sweep`` command: exit code 2 with the problem named for bad options,
    data, models or encoders."""
    try:
        factors = [parse_factors(f) for f in args.factors]
        codecs = [parse_codec(c) for c in args.codecs]
        report = sweep(args.model, args.data, factors, codecs, args.config,
                       as_fraction(args.fps, 'fps'), args.max_frames, not args.no_clean,
                       args.device, progress=not args.quiet)
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
        description='Downsample each clip, encode the 8-bit LR with ffmpeg (yuv420p) along a '
                    'quality ladder, decode, Upsample, and score RGB/Y PSNR against the HR '
                    'frames and the bitrate; rate-distortion plot and equal-bitrate comparison '
                    'against the naive cascade.')
    add_model_and_data_arguments(p, ['naive', 'steg'], MODEL_HELP + '; naive is the anchor of '
                                 'the equal-bitrate comparison')
    p.add_argument('--factors', nargs='+', default=['2x4', '2x1'], help='TIMExSPACE pairs')
    p.add_argument('--codecs', nargs='+', default=['libx264:0,12,18,23,28', 'libx265:12,18,23,28,33'],
                   help=f'ENCODER[:Q1,Q2,...] (CRF, or -q:v for mpeg4); encoders: {", ".join(ENCODERS)}')
    p.add_argument('--fps', default='30', help='frame rate of frame folders (bitrates only)')
    p.add_argument('--max-frames', type=int, help='score only the first N frames of each clip')
    p.add_argument('--no-clean', action='store_true', help='leave out the clean 8-bit round trip')
    p.add_argument('--device', default='cpu')
    p.add_argument('--out', default='reports/codec', help='folder for the JSON, table and plot')
    p.add_argument('--quiet', action='store_true', help='no progress bar')
    p.set_defaults(func=run)
