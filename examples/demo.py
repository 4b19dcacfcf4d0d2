"""The main job: a real round trip of the bundled sample clip with the shipped model.

    .venv/bin/python examples/demo.py [--model steg] [--clip examples/sample/...mp4] [--out outputs/demo]

1. Downsample through vspipe (examples/downsample.vpy) at 2x time / 4x space, the paper's main
   factor pair: 24 fps 640x360 -> 12 fps 160x90, the 8-bit clip to transmit, encoded by a real
   ffmpeg (libx264, 4:4:4, CRF 12).
2. Upsample the encoded file through vspipe (examples/upsample.vpy) back to 24 fps 640x360, and to
   a non-integer target, 60000/1001 fps (4.995x the transmitted rate).
3. Score the restored clip against the source (RGB PSNR/SSIM over all frames) next to the naive
   cascade through the same encoder, measure how ordinary the transmitted frames look (PSNR against
   frame dropping + antialiased bicubic), and draw a side-by-side picture.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
SAMPLE = HERE / 'sample' / 'big_buck_bunny_2s_640x360.mp4'
#: Spatial factor of the round trip (the time factor is 2).
SCALE = 4
ENCODE_LR = ['-c:v', 'libx264', '-crf', '12', '-preset', 'medium', '-pix_fmt', 'yuv444p']
ENCODE_HR = ['-c:v', 'libx264', '-crf', '16', '-preset', 'medium', '-pix_fmt', 'yuv420p']


def vspipe_to_file(script: str, args: dict, out: Path, encode: list) -> None:
    """``vspipe -c y4m script - | ffmpeg -i - ENCODE out``, with vspipe's progress on the terminal."""
    cmd = [str(BIN / 'vspipe'), '-p', '-c', 'y4m']
    for key, value in args.items():
        cmd += ['-a', f'{key}={value}']
    cmd += [str(HERE / script), '-']
    print('$', ' '.join(cmd), '|', 'ffmpeg -i -', ' '.join(encode), out.name, flush=True)
    vspipe = subprocess.Popen(cmd, stdout=subprocess.PIPE)
    ffmpeg = subprocess.run([str(BIN / 'ffmpeg'), '-v', 'error', '-y', '-i', '-', *encode, str(out)],
                            stdin=vspipe.stdout)
    vspipe.stdout.close()
    if vspipe.wait() or ffmpeg.returncode:
        raise SystemExit(f'the pipeline for {out.name} failed (vspipe {vspipe.returncode}, '
                         f'ffmpeg {ffmpeg.returncode})')


def encode_decode(frames: np.ndarray, fps: Fraction, out: Path) -> np.ndarray:
    """Encode (T, H, W, 3) uint8 RGB frames with the transmitted clip's settings, decode them back."""
    from mmagic_cstvr.media.ffmpeg_pipes import planar, raw_input_args
    from mmagic_cstvr.media.readers import read_source
    h, w = frames.shape[1:3]
    subprocess.run([str(BIN / 'ffmpeg'), '-v', 'error', '-y', *raw_input_args(w, h, fps, 'u8'),
                    *ENCODE_LR, str(out)], input=b''.join(planar(f) for f in frames), check=True)
    return read_source(out)[0]


def ordinary_lr(src: np.ndarray) -> np.ndarray:
    """The naive cascade's transmitted frames: frame dropping + antialiased bicubic, 8 bit."""
    from mmagic_cstvr.archs import reference_lr
    from mmagic_cstvr.structures.colour import frames_to_video, video_to_frames
    from mmagic_cstvr.structures.timeline import training_positions
    size = (src.shape[1] // SCALE, src.shape[2] // SCALE)
    return video_to_frames(reference_lr(frames_to_video(src), training_positions(len(src), 2)[0], size))


def naive_upsample(lr: np.ndarray, n: int, size) -> np.ndarray:
    """The naive cascade's restored frames from (decoded) transmitted frames."""
    from mmagic_cstvr.archs import NaiveResampler
    from mmagic_cstvr.structures.colour import frames_to_video, video_to_frames
    from mmagic_cstvr.structures.timeline import training_positions
    hr_pos = training_positions(n, 2)[1]
    return video_to_frames(NaiveResampler().upsample(frames_to_video(lr), size, hr_pos, 0.5))


def side_by_side(frames: dict, lr: np.ndarray, n: int, path: Path, crop=(200, 200)) -> None:
    """Crops of HR frame ``n`` of each clip and of the transmitted LR frame nearest in time."""
    from mmagic_cstvr.evaluation.pictures import labelled_strip, nearest_upscale
    h, w = frames['source'].shape[1:3]
    y, x = (h - crop[0]) // 2, (w - crop[1]) // 2
    tiles = [(name, f[n][y:y + crop[0], x:x + crop[1]]) for name, f in frames.items()]
    k = min(len(lr) - 1, (n + 1) // 2)
    small = lr[k][y // SCALE:(y + crop[0]) // SCALE, x // SCALE:(x + crop[1]) // SCALE]
    labelled_strip(tiles + [(f'transmitted LR {k}', nearest_upscale(small, crop))], path)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--model', default='steg', help='shipped model name or weights file')
    parser.add_argument('--clip', default=str(SAMPLE), help='input video (default: the sample)')
    parser.add_argument('--out', default='outputs/demo', help='output folder')
    args = parser.parse_args()
    from mmagic_cstvr.evaluation import psnr, ssim
    from mmagic_cstvr.media.readers import read_source
    from mmagic_cstvr.engine.weights import resolve

    resolve(args.model)  # a clear error now rather than inside vspipe
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    started = time.time()
    src, fps = read_source(args.clip)
    h, w = src.shape[1:3]
    lr_fps = fps / 2
    common = dict(model=args.model, device=-1)
    transmitted = out / f'transmitted_{float(lr_fps):g}fps_{w // SCALE}x{h // SCALE}.mp4'
    restored = out / f'restored_{float(fps):g}fps_{w}x{h}.mp4'
    smooth = out / f'upsampled_59.94fps_{w}x{h}.mp4'
    vspipe_to_file('downsample.vpy', dict(common, **{'in': args.clip, 'factor': 2, 'scale': SCALE,
                                                     'format': 'yuv444p8'}),
                   transmitted, ENCODE_LR)
    up = dict(common, **{'in': transmitted, 'width': w, 'height': h})
    vspipe_to_file('upsample.vpy', dict(up, fps=f'{fps.numerator}/{fps.denominator}',
                                        num_frames=len(src)), restored, ENCODE_HR)
    vspipe_to_file('upsample.vpy', dict(up, fps='60000/1001'), smooth, ENCODE_HR)

    ours, lr = read_source(restored)[0], read_source(transmitted)[0]
    reference = ordinary_lr(src)
    naive = naive_upsample(encode_decode(reference, lr_fps, out / 'naive_transmitted.mp4'),
                           len(src), (h, w))
    summary = {
        'clip': str(args.clip), 'model': args.model,
        'source': f'{len(src)} frames {w}x{h} at {fps} fps',
        'transmitted': (f'{len(lr)} frames {w // SCALE}x{h // SCALE} at {lr_fps} fps '
                        '(x264 CRF 12 4:4:4)'),
        'upsampled_59.94fps_frames': len(read_source(smooth)[0]),
        'psnr_rgb': {'ours': float(np.mean([psnr(a, b) for a, b in zip(src, ours)])),
                     'naive': float(np.mean([psnr(a, b) for a, b in zip(src, naive)]))},
        'ssim_rgb': {'ours': float(np.mean([ssim(a, b) for a, b in zip(src, ours)])),
                     'naive': float(np.mean([ssim(a, b) for a, b in zip(src, naive)]))},
        'transmitted_vs_ordinary_lr_psnr': float(np.mean([psnr(a, b) for a, b in zip(reference, lr)])),
        'seconds': round(time.time() - started, 1),
    }
    (out / 'metrics.json').write_text(json.dumps(summary, indent=1))
    side_by_side({'source': src, 'naive': naive, Path(args.model).stem: ours}, lr, 1,
                 out / 'side_by_side.png')
    print(json.dumps(summary, indent=1))
    print(f'\nwritten to {out}/:')
    for path in (transmitted, restored, smooth, out / 'metrics.json', out / 'side_by_side.png'):
        print(f'  {path.name}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
