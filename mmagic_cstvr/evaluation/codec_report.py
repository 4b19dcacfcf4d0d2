"""The results of ``cstvr codec-sweep`` as a markdown table and rate-distortion curves."""
from __future__ import annotations

from pathlib import Path
from typing import Dict

from ..media.lossy_codec import LOSSLESS, PIX_FMT, quality_label
from .codec_sweep import CLEAN, rd_curve


def _num(value, fmt='.2f', plus=False) -> str:
    if value is None:
        return '-'
    if value == float('inf'):
        return 'identical'
    return format(value, ('+' if plus else '') + fmt)


def markdown(report: Dict) -> str:
    """The points table and the equal-bitrate table."""
    lines = ['| dataset | factors | codec | setting | model | hidden motion | kbit/s | RGB PSNR | '
             'Y PSNR | RGB PSNR, dropped frames | decoded LR vs sent LR | naive RGB PSNR at this '
             'kbit/s | difference |', '|---|---|---|---|---|---|---|---|---|---|---|---|---|']
    hidden = {True: 'written', False: 'left out', None: '-'}
    for r in report['results']:
        anchor = r.get('anchor_psnr_at_kbps')
        diff = None if anchor is None else r['psnr_rgb'] - anchor
        setting = '-' if r['quality'] is None else quality_label(r['codec'], r['quality'])
        lines.append(f"| {r['dataset']} | {r['factors']} | {r['codec']} | {setting} | {r['model']} "
                     f"| {hidden[r.get('hidden_motion')]} | {_num(r['kbps'], '.1f')} | "
                     f"{_num(r['psnr_rgb'])} | {_num(r['psnr_y'])} | "
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
    """Rate-distortion curves: one panel per (dataset, factors), one curve per model and codec,
    each lossless point a star; the clean 8-bit round trip of each model as a dotted line (its
    protocol mean: a classical method's exact key frames left out)."""
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
                pts = sorted(rd_curve(results, model, dataset, factors, codec))
                if pts:
                    ax.plot(*zip(*pts), marker=markers[codec], linestyle=styles[codec],
                            color=colours[model], label=f'{model}, {codec}')
                for r in results:
                    if (r['model'], r['dataset'], r['factors'], r['codec'], r['quality']) == \
                            (model, dataset, factors, codec, LOSSLESS):
                        ax.plot(r['kbps'], r['psnr_rgb'], marker='*', markersize=11,
                                color=colours[model], linestyle='none',
                                label=f'{model}, {codec} lossless')
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
               title=f'{dataset}, {factors} (time x space), '
                     f'{report["settings"].get("pix_fmt", PIX_FMT)}')
        ax.grid(alpha=0.3, which='both')
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
