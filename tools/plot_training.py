"""Training curves from mmengine work folders: losses, reconstruction PSNR and LR-vs-reference PSNR
against iterations, and the validation PSNR; or several runs' validation PSNR on one plot.

    python tools/plot_training.py WORK_DIR OUT.png
    python tools/plot_training.py --compare OUT.png LABEL=RUN [LABEL=RUN ...] [--baseline DB
                                  [--baseline-label TEXT]]

A run is an mmengine work folder or a folder holding its ``scalars.json`` (as in docs/training/).
"""
import argparse
import json
from pathlib import Path

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def read_scalars(work_dir: Path):
    work_dir = Path(work_dir)
    files = (sorted(work_dir.glob('*/vis_data/scalars.json'))
             or sorted(work_dir.glob('scalars.json')))
    if not files:
        raise SystemExit(f'no scalars.json or */vis_data/scalars.json under {work_dir}')
    rows = [json.loads(line) for f in files for line in f.read_text().splitlines() if line.strip()]
    train, val = [], []
    for row in rows:  # mmengine logs a validation's step as the epoch (0): use the iteration before it
        if 'loss' in row:
            train.append(row)
        elif 'RGB/PSNR' in row:
            val.append(dict(row, step=train[-1]['step'] if train else 0))
    return train, val


def smooth(values, n=10):
    values = np.asarray(values, np.float64)
    return np.convolve(values, np.ones(n) / n, mode='valid') if len(values) > n else values


def training_hours(train) -> dict:
    """Cumulative training time in hours at step 0 and at each logged step; a row's ``time`` is the
    mean iteration time over the iterations since the row before (validation time not included)."""
    seconds, done, hours = 0.0, 0, {0: 0.0}
    for row in train:
        seconds += (row['step'] - done) * row['time']
        done = row['step']
        hours[done] = seconds / 3600
    return hours


def plot_comparison(out: str, runs, baseline=None, baseline_label='naive cascade'):
    """Validation RGB PSNR of each ``LABEL=RUN`` against iterations and against training hours,
    with a ``baseline`` PSNR (e.g. the naive cascade's on the same data) drawn across, labelled
    ``baseline_label``."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for spec in runs:
        label, sep, folder = spec.partition('=')
        if not sep:
            raise SystemExit(f'--compare takes LABEL=RUN pairs, got {spec!r}')
        train, val = read_scalars(Path(folder))
        if not val:
            raise SystemExit(f'{folder} has no validation results')
        hours = training_hours(train)
        steps = [r['step'] for r in val]
        psnr = [r['RGB/PSNR'] for r in val]
        axes[0].plot(steps, psnr, marker='o', label=label)
        axes[1].plot([hours[s] for s in steps], psnr, marker='o', label=label)
    if baseline is not None:
        for ax in axes:
            ax.axhline(baseline, color='gray', linestyle='--', label=baseline_label)
    axes[0].set(xlabel='iteration', ylabel='RGB PSNR (dB)', title='validation (Vimeo samples)')
    axes[1].set(xlabel='training hours (one CPU thread)', ylabel='RGB PSNR (dB)',
                title='validation against compute')
    for ax in axes:
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(out, dpi=90)
    print(f'wrote {out}')


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('work_dir', nargs='?')
    parser.add_argument('out', nargs='?')
    parser.add_argument('--compare', nargs='+', metavar=('OUT', 'LABEL=RUN'),
                        help='plot several runs\' validation PSNR into OUT')
    parser.add_argument('--baseline', type=float, metavar='DB',
                        help='with --compare: the naive cascade\'s validation PSNR, drawn across')
    parser.add_argument('--baseline-label', default='naive cascade', metavar='TEXT',
                        help='with --compare: what the --baseline line is (naive cascade)')
    args = parser.parse_args()
    if args.compare:
        if len(args.compare) < 2:
            parser.error('--compare takes OUT then at least one LABEL=RUN')
        plot_comparison(args.compare[0], args.compare[1:], args.baseline, args.baseline_label)
        return
    if not (args.work_dir and args.out):
        parser.error('give WORK_DIR OUT.png, or --compare OUT.png LABEL=RUN ...')
    train, val = read_scalars(Path(args.work_dir))
    fig, axes = plt.subplots(1, 3, figsize=(14, 4))
    steps = [r['step'] for r in train]
    signed = False
    for key in ('loss', 'loss_rec', 'loss_recover', 'loss_guide'):
        if key in train[0]:
            v = smooth([r[key] for r in train])
            signed |= bool((v <= 0).any())  # e.g. FramePSNRLoss, in -dB
            axes[0].plot(steps[len(steps) - len(v):], v, label=key)
    if signed:
        axes[0].set_yscale('symlog', linthresh=1e-3)
    else:
        axes[0].set_yscale('log')
    axes[0].set(xlabel='iteration', title='losses (moving average of 10 logs)')
    for key, label in (('psnr_rec', 'reconstruction (training crops)'),
                       ('psnr_lr', 'transmitted LR vs ordinary LR')):
        v = smooth([min(r[key], 100) for r in train])
        axes[1].plot(steps[len(steps) - len(v):], v, label=label)
    axes[1].set(xlabel='iteration', ylabel='PSNR (dB)', title='training PSNR')
    if val:
        axes[2].plot([r['step'] for r in val], [r['RGB/PSNR'] for r in val], marker='o', label='RGB')
        axes[2].plot([r['step'] for r in val], [r['Y/PSNR'] for r in val], marker='o', label='Y')
    axes[2].set(xlabel='iteration', ylabel='PSNR (dB)', title='validation (Vimeo samples)')
    for ax in axes:
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend()
    fig.tight_layout()
    fig.savefig(args.out, dpi=90)
    print(f'wrote {args.out}')


if __name__ == '__main__':
    main()
