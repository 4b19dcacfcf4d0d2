"""Round-trip quality with a real lossy codec between Downsample and Upsample (``cstvr codec-sweep``).

Each clip goes through the engine the plugin and the inferencer use (:class:`ClipResampler`,
whole clips in windows): Downsample -> the 8-bit LR clip -> ffmpeg encodes it
(:mod:`mmagic_cstvr.media.lossy_codec`, ``yuv420p`` unless told otherwise) at each point of a
codec's quality ladder (CRF, or ``-q:v`` for mpeg4, or the codec's lossless mode) -> ffmpeg
decodes it -> Upsample -> RGB and BT.601 Y PSNR against the HR frames (every
frame; :mod:`.metrics`, means as :func:`summarise`). The bitrate is the encoded elementary
stream's size (headers included) over the LR clip's duration, in kbit/s; frame folders have no
frame rate, ``fps`` (30) stands in.

Equal-bitrate comparison against the naive cascade, per dataset, factor pair and codec: BD-PSNR
and BD-rate (:mod:`.bjontegaard`), and for each point the naive PSNR interpolated at the same
bitrate (linear in log-bitrate; '-' outside naive's range). :mod:`.codec_report` writes the
results as a table and rate-distortion curves.
"""
from __future__ import annotations

import tempfile
from fractions import Fraction
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..engine.clip_resampler import ClipResampler
from ..engine.weights import load_resampler
from ..engine.window_stream import resample_stream
from ..media.lossy_codec import (ENCODERS, LOSSLESS, PIX_FMT, Quality, check_encoders, decode,
                                 encode)
from ..media.ffmpeg_pipes import keeps_payload
from ..media.probe import require_ffmpeg
from ..media.readers import expand_sources, read_source
from ..structures.colour import default_matrix, rgb_to_y, to_sample_type
from ..structures.lattice import scaled_size
from ..structures.timeline import as_fraction, training_positions
from .bjontegaard import bd_metrics, psnr_at
from .metrics import psnr
from .protocol import summarise

#: Default quality ladders (lower is better quality; x264's CRF 0 is lossless in YUV).
LADDERS = {'libx264': (0, 12, 18, 23, 28), 'libx265': (12, 18, 23, 28, 33)}
#: The ladder point without a codec: the 8-bit LR as Downsample writes it.
CLEAN = 'clean 8-bit'


def parse_codec(text: str) -> Tuple[str, Tuple[Quality, ...]]:
    """``'libx264:18,23,28'`` -> ('libx264', (18, 23, 28)); ``'libx265'`` -> its default ladder;
    ``'libx264:lossless,4'`` -> ('libx264', ('lossless', 4)), the codec's lossless mode first."""
    name, _, values = text.partition(':')
    if name not in ENCODERS:
        raise ValueError(f'codec {name!r} is not supported by the sweep; choose one of '
                         f'{", ".join(ENCODERS)}')
    if not values:
        if name not in LADDERS:
            raise ValueError(f'give {name} a quality ladder, e.g. {name}:2,5,10')
        return name, LADDERS[name]
    try:
        return name, tuple(v if v == LOSSLESS else int(v) for v in values.split(','))
    except ValueError:
        raise ValueError(f'a quality ladder is integers or {LOSSLESS}, e.g. {name}:18,23,28; got '
                         f'{text!r}') from None


def score(hr: np.ndarray, out: Sequence[np.ndarray], factor: float) -> Dict[str, list]:
    """Per-frame RGB and Y PSNR of the output against the HR frames, and which were dropped."""
    kept = {round(p) for p in training_positions(len(hr), factor)[0] if p == round(p)}
    scores = dict(psnr_rgb=[], psnr_y=[], dropped=[])
    for i, (gt, pred) in enumerate(zip(hr, out)):
        scores['psnr_rgb'].append(psnr(gt, pred))
        scores['psnr_y'].append(psnr(rgb_to_y(gt), rgb_to_y(pred)))
        scores['dropped'].append(i not in kept)
    return scores


def clip_points(generator, hr: np.ndarray, *, fps: Fraction, factor: float, scale: float,
                ladder: Sequence[Tuple[str, Optional[Quality]]], ffmpeg: str, workdir: Path,
                pix_fmt: str = PIX_FMT, hide_motion: str = 'auto', progress=None) -> List[Dict]:
    """One clip (T, H, W, 3) uint8 at one factor pair through every ``(codec, quality)`` of
    ``ladder`` (``(CLEAN, None)``: no codec), encoded in ``pix_fmt``. Where the model hides
    motion, ``hide_motion='auto'`` writes it for the encodes that keep it only
    (:func:`~mmagic_cstvr.media.ffmpeg_pipes.keeps_payload`), as ``cstvr downsample`` does;
    ``'always'`` writes it for every point. Returns per point its bits, LR duration, the decoded
    LR's PSNR against the LR sent, whether hidden motion was written, and the per-frame scores."""
    n, h, w = hr.shape[:3]
    lr_fps = fps / as_fraction(factor, 'temporal factor')
    lrs = {}

    def transmitted(hide: bool) -> Tuple[np.ndarray, Optional[bool]]:
        if hide not in lrs:
            down = ClipResampler(generator, 'down', fps, lr_fps, n, scaled_size((h, w), scale),
                                 src_size=(h, w), hide_motion=hide)
            lrs[hide] = np.stack(list(resample_stream(down, hr, sample='u8'))), down.hides_motion
        return lrs[hide]

    matrix = default_matrix(h)  # as the front ends pick it for an RGB source of this height
    points = []
    for codec, quality in ladder:
        keeps = codec == CLEAN or keeps_payload(codec, pix_fmt, quality == LOSSLESS)
        lr, hidden = transmitted(keeps or hide_motion == 'always')
        if codec == CLEAN:
            received, bits, lr_db = list(lr), None, [float('inf')] * len(lr)
        else:
            stream = encode(ffmpeg, lr, fps=lr_fps, codec=codec, quality=quality, matrix=matrix,
                            path=workdir / f'lr_{codec}_{quality}.{ENCODERS[codec][0]}',
                            pix_fmt=pix_fmt)
            bits = stream.stat().st_size * 8
            received = decode(ffmpeg, stream, matrix)  # float RGB, as Upsample gets it
            stream.unlink()
            lr_db = [psnr(a, to_sample_type(b, 'u8')) for a, b in zip(lr, received)]
        up = ClipResampler(generator, 'up', lr_fps, fps, len(received), (h, w), n_dst=n,
                           src_size=lr.shape[1:3])
        out = list(resample_stream(up, received, sample='u8'))
        points.append(dict(codec=codec, quality=quality, bits=bits,
                           seconds=float(len(lr) / lr_fps), lr_psnr=lr_db, hidden_motion=hidden,
                           scores=score(hr, out, factor)))
        if progress is not None:
            progress.update(1)
    return points


def sweep(models: Sequence[str], sources: Sequence[str], *,
          factors: Sequence[Tuple[float, float]],
          codecs: Sequence[Tuple[str, Sequence[Quality]]], config: Optional[str] = None,
          fps: Fraction = Fraction(30), max_frames: Optional[int] = None, clean: bool = True,
          pix_fmt: str = PIX_FMT, hide_motion: str = 'auto', device='cpu',
          progress: bool = True) -> Dict:
    """Every model on every dataset at every factor pair and ladder point, the LR encoded in
    ``pix_fmt``, hidden motion written as ``hide_motion`` says (:func:`clip_points`); see the
    module doc.

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
                        for p in clip_points(generator, hr, fps=clip_fps or fps, factor=t,
                                             scale=s, ladder=ladder, ffmpeg=ffmpeg,
                                             workdir=Path(tmp), pix_fmt=pix_fmt,
                                             hide_motion=hide_motion, progress=bar):
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
                        hidden_motion=points[0]['hidden_motion'],
                        lr_psnr=float(np.mean(lr_db[np.isfinite(lr_db)])) if np.isfinite(lr_db).any()
                        else float('inf')))
    settings = dict(models=list(models), sources=[str(s) for s in sources],
                    factors=[f'{t:g}x{s:g}' for t, s in factors], pix_fmt=pix_fmt,
                    hide_motion=hide_motion,
                    codecs={c: list(q) for c, q in codecs}, fps_for_frame_folders=str(fps),
                    max_frames=max_frames)
    return dict(settings=settings, results=results, bd=equal_bitrate(results))


def rd_curve(results: List[Dict], model: str, dataset: str, factors: str, codec: str):
    """The (kbit/s, RGB PSNR) points of ``model`` on ``dataset`` at ``factors`` with ``codec``,
    lossless points left out: there a classical method's key frames are exact, which the
    protocol mean leaves out, so its PSNR is not on the same curve."""
    return [(r['kbps'], r['psnr_rgb']) for r in results if (r['model'], r['dataset'], r['factors'],
            r['codec']) == (model, dataset, factors, codec) and r['quality'] != LOSSLESS]


def equal_bitrate(results: List[Dict], anchor: str = 'naive') -> List[Dict]:
    """BD-PSNR and BD-rate of every model against ``anchor`` per dataset, factors and codec; each
    result also gets ``anchor_psnr_at_kbps`` (the anchor's PSNR at its bitrate)."""
    out = []
    keys = sorted({(r['dataset'], r['factors'], r['codec']) for r in results if r['codec'] != CLEAN})
    for dataset, factors, codec in keys:
        base = rd_curve(results, anchor, dataset, factors, codec)
        if not base:
            continue
        for model in sorted({r['model'] for r in results} - {anchor}):
            test = rd_curve(results, model, dataset, factors, codec)
            if not test:
                continue
            d_psnr, d_rate = bd_metrics(base, test)
            out.append(dict(model=model, anchor=anchor, dataset=dataset, factors=factors,
                            codec=codec, bd_psnr=d_psnr, bd_rate=d_rate, points=len(test)))
    for r in results:
        base = rd_curve(results, anchor, r['dataset'], r['factors'], r['codec'])
        r['anchor_psnr_at_kbps'] = (psnr_at(base, r['kbps']) if base and r['kbps']
                                    and r['model'] != anchor else None)
    return out


