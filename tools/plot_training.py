"""Training curve from an mmengine work folder: losses, reconstruction PSNR and LR-vs-reference PSNR
against iterations, and the validation PSNR.

    python tools/plot_training.py WORK_DIR OUT.png
"""
import argparse
import json
from pathlib import Path

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def read_scalars(work_dir: Path):
    files = sorted(Path(work_dir).glob('*/vis_data/scalars.json'))
    if not files:
        raise SystemExit(f'no */vis_data/scalars.json under {work_dir}')
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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('work_dir')
    parser.add_argument('out')
    args = parser.parse_args()
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
