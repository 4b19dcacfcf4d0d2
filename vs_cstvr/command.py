"""``cstvr downsample|upsample|roundtrip IN OUT``: video files through the VapourSynth graph and ffmpeg.

The command builds the same graph as the example scripts in this process (bestsource ->
RGBS -> ``core.cstvr.*`` -> YUV) and streams it as y4m into an ffmpeg subprocess (the one next to
the interpreter, else the one on PATH), with a progress bar. Audio is copied from IN when the output
lasts as long as the input (within a frame). Output goes to ``OUT.partial`` and is renamed to OUT
only when ffmpeg succeeded; an interrupted run leaves ``OUT.partial`` (marked as incomplete) and a
failed one removes it.

``cstvr downsample`` records the source (size, frame rate, frame count) in the output file's
metadata (tag ``cstvr_source``); ``cstvr upsample`` reads it back and restores the source by
default, as ``core.cstvr.Upsample`` does with the frame properties inside one graph.

Exit codes: 0 success, 1 failure (decoding, the network, ffmpeg), 2 usage (bad options or
arguments, missing input or model, output exists without ``-y``), 130 interrupted.
"""
from __future__ import annotations

import argparse
import os
import re
import shlex
import subprocess
import sys
import tempfile
from fractions import Fraction
from pathlib import Path
from typing import Dict, List, Optional

from .pipeline import OptionError, filter_kwargs, for_output, open_rgb

#: Container muxers by file extension (the output is written to OUT.partial, so ffmpeg is told).
MUXERS = {'.mp4': 'mp4', '.m4v': 'mp4', '.mov': 'mov', '.mkv': 'matroska', '.webm': 'webm',
          '.avi': 'avi', '.ts': 'mpegts', '.nut': 'nut', '.y4m': 'yuv4mpegpipe'}
#: y4m-capable VapourSynth output formats by ffmpeg pixel format.
PIX_FMTS = {'yuv420p': 'yuv420p8', 'yuv444p': 'yuv444p8', 'yuv420p10le': 'yuv420p10',
            'yuv444p10le': 'yuv444p10', 'yuv420p10': 'yuv420p10', 'yuv444p10': 'yuv444p10'}
#: ffmpeg -colorspace names of VapourSynth matrix names.
COLORSPACES = {'709': 'bt709', '170m': 'smpte170m', '470bg': 'bt470bg', '2020ncl': 'bt2020nc',
               '2020cl': 'bt2020c', '240m': 'smpte240m'}
METADATA_TAG = 'cstvr_source'

EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class UsageError(Exception):
    """Bad arguments: exit code 2."""


# -- argument parsing -----------------------------------------------------------------------------

def add_parsers(sub) -> None:
    """Add the downsample, upsample and roundtrip subcommands to ``sub`` (argparse subparsers)."""
    docs = {
        'downsample': 'video -> the low-resolution, low-frame-rate clip to transmit',
        'upsample': 'transmitted clip (steg) or ordinary footage (--mode blind) -> high '
                    'resolution and frame rate',
        'roundtrip': 'downsample then upsample back to the source, in one graph',
    }
    for name, doc in docs.items():
        p = sub.add_parser(name, help=doc, description=f'cstvr {name}: {doc}. ' + _EPILOG,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        p.add_argument('input', metavar='IN', help='input video file')
        p.add_argument('output', metavar='OUT', help='output video file (.mp4, .mkv, .mov, ...)')
        g = p.add_argument_group('resampling')
        g.add_argument('--factor', help='temporal factor: 2, 5/4 (30 -> 24 fps); upsample: '
                                        'multiplies the frame rate')
        g.add_argument('--fps', help='target frame rate, e.g. 24000/1001 (instead of --factor)')
        g.add_argument('--scale', help='spatial factor (downsample divides the size by it)')
        g.add_argument('--size', help='target size WxH (instead of --scale)')
        if name == 'upsample':
            g.add_argument('--mode', choices=('steg', 'blind'),
                           help='steg: a cstvr downsample output; blind: ordinary footage')
            g.add_argument('--num-frames', type=int, help='output frame count')
        if name != 'downsample':
            g.add_argument('--bf16', action='store_true', help='upsample in bfloat16')
        m = p.add_argument_group('model and device')
        m.add_argument('--model', help='shipped model name or .safetensors weights path')
        m.add_argument('--config', help='mmagic config for weights without an embedded config')
        m.add_argument('--device', type=int, help='-1 = CPU, 0.. = CUDA device (default: CUDA 0 '
                                                  'when there is one)')
        m.add_argument('--batch', type=int, help='windows per network call')
        m.add_argument('--tile', type=int, help='spatial tile size in HR pixels (0: off)')
        m.add_argument('--tile-overlap', type=int, help='tile overlap in HR pixels')
        m.add_argument('--window', type=int, help='output frames per window')
        m.add_argument('--scenechange', type=int, choices=(0, 1, 2),
                       help='0 ignore cuts, 1 honour _SceneChange props (default), 2 misc.SCDetect')
        e = p.add_argument_group('encoding')
        e.add_argument('--codec', default='libx264', help='ffmpeg video encoder (libx264)')
        e.add_argument('--crf', type=int, help='x264/x265 CRF (default: 12 downsample, 18 '
                                               'otherwise)')
        e.add_argument('--preset', default='medium', help='x264/x265 preset (medium)')
        e.add_argument('--pix-fmt', choices=sorted(PIX_FMTS),
                       help='output pixel format (default: yuv444p downsample, yuv420p otherwise)')
        e.add_argument('--matrix', help='YUV matrix of the input if untagged, and of the output '
                                        '(709, 170m, 2020ncl; default: the input\'s, else by size)')
        e.add_argument('--ffmpeg-args', default='', help='extra ffmpeg output options, one string')
        e.add_argument('--no-audio', action='store_true', help='do not copy the audio')
        p.add_argument('-y', '--overwrite', action='store_true', help='overwrite OUT')
        p.add_argument('-q', '--quiet', action='store_true', help='no progress bar')
        p.set_defaults(func=main_for(name))


_EPILOG = ('Builds the VapourSynth graph (bestsource -> RGBS -> core.cstvr.*) and pipes y4m into '
           'ffmpeg; writes OUT.partial and renames it when done. Exit codes: 0 ok, 1 failure, '
           '2 usage, 130 interrupted.')


def main_for(name: str):
    def run_command(args: argparse.Namespace) -> int:
        return run(name, args)
    return run_command


# -- the run -------------------------------------------------------------------------------------

def run(name: str, args: argparse.Namespace) -> int:
    try:
        return _run(name, args)
    except UsageError as err:
        print(f'cstvr {name}: error: {err}', file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f'cstvr {name}: interrupted', file=sys.stderr)
        return EXIT_INTERRUPTED


def _options(name: str, args: argparse.Namespace, direction: str) -> Dict[str, object]:
    opts = {k: getattr(args, k, None) for k in
            ('factor', 'fps', 'scale', 'model', 'config', 'device', 'batch', 'tile', 'window',
             'scenechange', 'mode')}
    opts['tile_overlap'] = args.tile_overlap
    if direction == 'up':
        opts['num_frames'] = getattr(args, 'num_frames', None)
        opts['bf16'] = 1 if getattr(args, 'bf16', False) else None
    if args.size:
        m = re.fullmatch(r'\s*(\d+)\s*[xX]\s*(\d+)\s*', args.size)
        if not m:
            raise UsageError(f'--size must be WxH, like 1920x1080; got {args.size!r}')
        opts['width'], opts['height'] = m.group(1), m.group(2)
    try:
        return filter_kwargs(opts, direction)
    except OptionError as err:
        raise UsageError(str(err)) from None


def _run(name: str, args: argparse.Namespace) -> int:
    import vapoursynth as vs

    src = Path(args.input)
    out = Path(args.output)
    if not src.is_file():
        raise UsageError(f'input file {src} does not exist')
    muxer = MUXERS.get(out.suffix.lower())
    if muxer is None:
        raise UsageError(f'unknown output container {out.suffix!r}; use one of '
                         f'{", ".join(sorted(MUXERS))}')
    if out.exists() and not args.overwrite:
        raise UsageError(f'{out} exists; pass -y to overwrite it')
    if args.size and args.scale:
        raise UsageError('give either --scale or --size, not both')
    ffmpeg = find_ffmpeg()
    if ffmpeg is None:
        print(f'cstvr {name}: error: ffmpeg not found (run make setup, or put ffmpeg on PATH)',
              file=sys.stderr)
        return EXIT_FAILURE

    down_kw = _options(name, args, 'down')
    up_kw = _options(name, args, 'up')
    core = vs.core
    try:
        clip, matrix = open_rgb(str(src.resolve()), args.matrix)
    except OptionError as err:
        raise UsageError(str(err)) from None
    except vs.Error as err:
        print(f'cstvr {name}: error: cannot read {src}: {err}', file=sys.stderr)
        return EXIT_FAILURE
    metadata = {}
    try:
        if name in ('downsample', 'roundtrip'):
            lr = core.cstvr.Downsample(clip, **down_kw)
            metadata[METADATA_TAG] = describe_source(clip)
        if name == 'downsample':
            result = lr
        elif name == 'roundtrip':
            shared = {k: v for k, v in down_kw.items()
                      if k in ('model', 'config', 'device_index', 'batch', 'tile', 'tile_overlap',
                               'window', 'scenechange')}
            extra = {'bf16': 1} if args.bf16 else {}
            result = core.cstvr.Upsample(lr, **shared, **extra)
            metadata = {}
        else:
            up_kw.update(restore_from_metadata(ffmpeg, src, clip, up_kw))
            result = core.cstvr.Upsample(clip, **up_kw)
    except vs.Error as err:
        message = str(err)
        print(f'cstvr {name}: error: {message}', file=sys.stderr)
        return EXIT_FAILURE if 'Traceback' in message else EXIT_USAGE

    pix_fmt = args.pix_fmt or ('yuv444p' if name == 'downsample' else 'yuv420p')
    final = for_output(result, PIX_FMTS[pix_fmt], matrix)
    audio = (not args.no_audio) and same_duration(clip, final)
    if not args.no_audio and not audio:
        print(f'cstvr {name}: the output does not last as long as the input: audio not copied',
              file=sys.stderr)
    crf = args.crf if args.crf is not None else (12 if name == 'downsample' else 18)
    partial = out.with_name(out.name + '.partial')
    cmd = [ffmpeg, '-hide_banner', '-nostdin', '-loglevel', 'error', '-y',
           '-f', 'yuv4mpegpipe', '-i', 'pipe:0']
    if audio:
        cmd += ['-i', str(src), '-map', '0:v:0', '-map', '1:a?', '-c:a', 'copy']
    cmd += ['-c:v', args.codec, '-pix_fmt', pix_fmt]
    if args.codec in ('libx264', 'libx265'):
        cmd += ['-crf', str(crf), '-preset', args.preset]
    if matrix in COLORSPACES:
        cmd += ['-colorspace', COLORSPACES[matrix]]
    for key, value in metadata.items():
        cmd += ['-metadata', f'{key}={value}']
    if metadata and muxer in ('mp4', 'mov'):
        cmd += ['-movflags', '+use_metadata_tags']
    cmd += shlex.split(args.ffmpeg_args) + ['-f', muxer, str(partial)]
    return encode(name, final, cmd, partial, out, args.quiet)


def encode(name: str, clip, cmd: List[str], partial: Path, out: Path, quiet: bool) -> int:
    """Stream ``clip`` as y4m into ``cmd`` (an ffmpeg writing ``partial``), then rename."""
    from tqdm import tqdm
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stderr=log)
        bar = tqdm(total=clip.num_frames, unit='frame', desc=f'cstvr {name}',
                   disable=True if quiet else None, dynamic_ncols=True)
        done = [0]

        def progress(current: int, total: int) -> None:
            bar.update(current - done[0])
            done[0] = current

        failure: Optional[str] = None
        try:
            clip.output(proc.stdin, y4m=True, progress_update=progress)
        except KeyboardInterrupt:
            bar.close()
            _stop(proc)
            print(f'cstvr {name}: interrupted; the incomplete output is {partial}',
                  file=sys.stderr)
            return EXIT_INTERRUPTED
        except BrokenPipeError:
            failure = 'ffmpeg stopped reading'
        except Exception as err:  # noqa: BLE001 - a frame failed: report it, clean up
            failure = f'{type(err).__name__}: {err}'
        finally:
            bar.close()
        try:
            proc.stdin.close()
        except BrokenPipeError:
            pass
        rc = proc.wait()
        log.seek(0)
        ffmpeg_log = log.read().decode('utf-8', 'replace').strip()
    if failure is None and rc != 0:
        failure = f'ffmpeg exited with code {rc}'
    if failure is not None:
        partial.unlink(missing_ok=True)
        print(f'cstvr {name}: error: {failure}', file=sys.stderr)
        if ffmpeg_log:
            print(ffmpeg_log, file=sys.stderr)
        if '-c:a' in cmd and ffmpeg_log:
            print('(if the audio cannot be copied into this container, pass --no-audio)',
                  file=sys.stderr)
        return EXIT_FAILURE
    os.replace(partial, out)
    if not quiet:
        print(f'cstvr {name}: wrote {out} ({clip.num_frames} frames, {clip.width}x{clip.height}, '
              f'{_fps_text(clip.fps)} fps)', file=sys.stderr)
    return EXIT_OK


def _stop(proc: subprocess.Popen) -> None:
    try:
        proc.stdin.close()
    except OSError:
        pass
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


# -- helpers --------------------------------------------------------------------------------------

def find_ffmpeg() -> Optional[str]:
    """ffmpeg next to this interpreter (the venv's), else the one on PATH."""
    import shutil
    local = Path(sys.executable).parent / 'ffmpeg'
    if local.exists() and os.access(local, os.X_OK):
        return str(local)
    return shutil.which('ffmpeg')


def _fps_text(fps: Fraction) -> str:
    return str(fps.numerator) if fps.denominator == 1 else f'{fps.numerator}/{fps.denominator}'


def describe_source(clip) -> str:
    """The ``cstvr_source`` metadata value: ``WxH FPS FRAMES``."""
    return f'{clip.width}x{clip.height} {_fps_text(clip.fps)} {clip.num_frames}'


def read_source_metadata(ffmpeg: str, path: Path) -> Optional[Dict[str, object]]:
    """The ``cstvr_source`` tag of a file written by ``cstvr downsample`` (None if absent)."""
    res = subprocess.run([ffmpeg, '-hide_banner', '-nostdin', '-i', str(path)],
                         capture_output=True, text=True)
    m = re.search(rf'^\s*{METADATA_TAG}\s*:\s*(\d+)x(\d+) (\d+(?:/\d+)?) (\d+)\s*$', res.stderr,
                  re.IGNORECASE | re.MULTILINE)
    if not m:
        return None
    return {'width': int(m.group(1)), 'height': int(m.group(2)), 'fps': Fraction(m.group(3)),
            'num_frames': int(m.group(4))}


def restore_from_metadata(ffmpeg: str, path: Path, clip, kwargs: Dict[str, object]) -> Dict:
    """Upsample arguments restoring the source recorded by ``cstvr downsample`` where the user gave
    none (blind mode: nothing)."""
    if kwargs.get('mode') == 'blind':
        return {}
    meta = read_source_metadata(ffmpeg, path)
    if meta is None:
        return {}
    out: Dict[str, object] = {}
    temporal = any(k in kwargs for k in ('fps_num', 'factor_num'))
    if not temporal:
        out['fps_num'], out['fps_den'] = meta['fps'].numerator, meta['fps'].denominator
    if not any(k in kwargs for k in ('scale', 'width', 'height')):
        out['width'], out['height'] = meta['width'], meta['height']
    if not temporal and 'num_frames' not in kwargs:
        from mmagic_cstvr.timeline import TimeMap
        if TimeMap(meta['fps'], clip.fps).count(meta['num_frames']) == clip.num_frames:
            out['num_frames'] = meta['num_frames']
    return out


def same_duration(src, dst) -> bool:
    """Whether ``dst`` lasts as long as ``src`` within one frame of either."""
    a = Fraction(src.num_frames) / src.fps
    b = Fraction(dst.num_frames) / dst.fps
    return abs(a - b) <= max(1 / src.fps, 1 / dst.fps)
