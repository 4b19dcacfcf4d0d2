"""``cstvr downsample|upsample|roundtrip IN OUT``: video files through the VapourSynth graph and ffmpeg.

The command builds the same graph as the example scripts in this process (bestsource ->
RGBS -> ``core.cstvr.*`` -> YUV) and streams it as y4m into an ffmpeg subprocess (the one next to
the interpreter, else the one on PATH), with a progress bar. ``--backend ffmpeg`` runs the same
request without VapourSynth through :class:`mmagic_cstvr.apis.CSTVRInferencer` (ffmpeg decodes
and encodes; the same windows, so the same pixels). Audio is copied from IN when the output
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
import sys
import threading
import warnings
from pathlib import Path
from typing import Dict, List

from vs_cstvr.dispatch import original_error
from vs_cstvr.pipeline import filter_kwargs, for_output, open_rgb

from ..engine.arguments import BY_NAME, DOWN, ENGINE, UP, Argument, options as spec_options
from ..engine.targets import restore_from_tag
from ..errors import CstvrError, FfmpegError, OptionError, PayloadLostWarning, UsageError
from ..media.ffmpeg_pipes import (LOSSLESS_OPTIONS, LOSSLESS_PIX_FMT, RGB_PIX_FMTS,
                                  EncoderProcess, encode_settings, hidden_motion_note,
                                  keeps_payload, muxer_for, output_args)
from ..media.probe import (DAMAGED_HINT, HIDDEN_MOTION_TAG, HIDDEN_MOTION_VALUES, METADATA_TAG,
                           describe_source, motion_left_out, read_source_metadata,
                           require_ffmpeg)
from ..structures.lattice import parse_size
from ..structures.timeline import fraction_text, same_duration


#: y4m-capable VapourSynth output formats by ffmpeg pixel format.
PIX_FMTS = {'yuv420p': 'yuv420p8', 'yuv444p': 'yuv444p8', 'yuv420p10le': 'yuv420p10',
            'yuv444p10le': 'yuv444p10', 'yuv420p10': 'yuv420p10', 'yuv444p10': 'yuv444p10'}
BACKENDS = ('vapoursynth', 'ffmpeg')

EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


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
        _add_filter_flags(p, COMMAND_FILTERS[name], exclude=COMMAND_SETS[name])
        e = p.add_argument_group('encoding')
        e.add_argument('--codec', default='libx264', help='ffmpeg video encoder (libx264)')
        e.add_argument('--crf', type=int, help='x264/x265 CRF (default: 12 downsample, 18 '
                                               'otherwise)')
        e.add_argument('--lossless', action='store_true',
                       help=f'lossless encode (x264 QP 0, x265 lossless=1, or ffv1) at '
                            f'{LOSSLESS_PIX_FMT} unless --pix-fmt says otherwise: the steg '
                            f'model\'s hidden motion (every factor pair but 2x/4x) survives only '
                            f'this, or lossless RGB')
        e.add_argument('--preset', default='medium', help='x264/x265 preset (medium)')
        e.add_argument('--pix-fmt', choices=sorted(PIX_FMTS) + list(RGB_PIX_FMTS),
                       help='output pixel format (default: yuv444p downsample, yuv420p otherwise;'
                            ' gbrp: 8-bit RGB, --backend ffmpeg only)')
        e.add_argument('--matrix', help='YUV matrix of the input if untagged, and of the output '
                                        '(709, 170m, 2020ncl; default: the input\'s, else by size)')
        e.add_argument('--ffmpeg-args', default='', help='extra ffmpeg output options, one string')
        e.add_argument('--no-audio', action='store_true', help='do not copy the audio')
        p.add_argument('--backend', choices=BACKENDS, default='vapoursynth',
                       help='vapoursynth (default): bestsource and core.cstvr.*; ffmpeg: ffmpeg '
                            'decodes and encodes, no VapourSynth (same pixels)')
        p.add_argument('-y', '--overwrite', action='store_true', help='overwrite OUT')
        p.add_argument('-q', '--quiet', action='store_true', help='no progress bar')
        p.set_defaults(func=main_for(name))


#: The filters each command runs.
COMMAND_FILTERS = {'downsample': (DOWN,), 'upsample': (UP,), 'roundtrip': (DOWN, UP)}
#: Text options a command sets itself: the round trip's Upsample restores the source, and the
#: encode decides whether Downsample writes hidden motion (only a lossless one keeps it; a round
#: trip in one graph always does).
COMMAND_SETS = {'downsample': ('hide_motion',), 'upsample': (),
                'roundtrip': ('mode', 'num_frames', 'hide_motion')}
#: The flag that sets ``width`` and ``height`` together.
SIZE_HELP = 'target size WxH (instead of --scale)'


def flag_help(arg: Argument) -> str:
    """The help of the flag that sets ``arg``: its help and its default."""
    return f'{arg.help} (default: {arg.describe_default()})'


def _add_filter_flags(parser, filters, exclude=()) -> None:
    """One flag per text option of ``filters`` (:func:`~mmagic_cstvr.engine.arguments.options`),
    in argument groups as the spec groups them; ``width``/``height`` are set by ``--size``. The
    flags default to None: the filter's own default applies."""
    groups: Dict[str, object] = {}
    seen = set()
    for filter_name in filters:
        for option, targets in spec_options(filter_name).items():
            if option in seen or option in exclude:
                continue
            seen.add(option)
            arg = targets[0]
            group = groups.get(arg.group) or groups.setdefault(
                arg.group, parser.add_argument_group(arg.group))
            if option in ('width', 'height'):
                if 'size' not in seen:
                    seen.add('size')
                    group.add_argument('--size', help=SIZE_HELP)
                continue
            kw: Dict[str, object] = {'help': flag_help(arg)}
            if arg.py_type is bool:
                kw['action'] = 'store_true'
            elif arg.py_type is int and len(targets) == 1:
                kw['type'] = int
            if arg.choices is not None and arg.py_type is not bool:
                kw['choices'] = arg.choices
            group.add_argument('--' + option.replace('_', '-'), **kw)


_EPILOG = ('Builds the VapourSynth graph (bestsource -> RGBS -> core.cstvr.*) and pipes y4m into '
           'ffmpeg, or with --backend ffmpeg pipes raw frames from and to ffmpeg; writes '
           'OUT.partial and renames it when done. Exit codes: 0 ok, 1 failure, 2 usage, '
           '130 interrupted.')


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
    opts = {option: getattr(args, option, None)
            for option in spec_options(DOWN if direction == 'down' else UP)}
    if opts.get('bf16') is not None:
        opts['bf16'] = 1 if opts['bf16'] else None
    if args.size:
        try:
            opts['height'], opts['width'] = parse_size(args.size, '--size')
        except ValueError as err:
            raise UsageError(str(err)) from None
    try:
        return filter_kwargs(opts, direction)
    except OptionError as err:
        raise UsageError(str(err)) from None


def _run(name: str, args: argparse.Namespace) -> int:
    src = Path(args.input)
    out = Path(args.output)
    if not src.is_file():
        raise UsageError(f'input file {src} does not exist')
    try:
        muxer = muxer_for(out)
    except ValueError as err:
        raise UsageError(str(err)) from None
    if out.exists() and not args.overwrite:
        raise UsageError(f'{out} exists; pass -y to overwrite it')
    if args.size and args.scale:
        raise UsageError('give either --scale or --size, not both')
    if args.lossless and args.crf is not None:
        raise UsageError('give either --lossless or --crf, not both')
    if args.lossless and args.codec not in LOSSLESS_OPTIONS:
        raise UsageError(f'--lossless needs --codec {", ".join(LOSSLESS_OPTIONS)}; got '
                         f'{args.codec}')
    try:
        ffmpeg = require_ffmpeg()
    except FfmpegError as err:
        print(f'cstvr {name}: error: {err}', file=sys.stderr)
        return EXIT_FAILURE

    pix_fmt, crf = encode_settings('down' if name == 'downsample' else 'up', args.pix_fmt,
                                   args.crf, args.lossless)
    down_kw = _options(name, args, 'down')
    up_kw = _options(name, args, 'up')
    if name == 'downsample':
        down_kw['hide_motion'] = int(keeps_payload(args.codec, pix_fmt, args.lossless,
                                                   args.ffmpeg_args))
    if args.backend == 'ffmpeg':
        return _run_ffmpeg(name, args, up_kw if name == 'upsample' else down_kw, pix_fmt, crf)
    if args.pix_fmt in RGB_PIX_FMTS:
        raise UsageError(f'--pix-fmt {args.pix_fmt} needs --backend ffmpeg (y4m carries YUV only)')
    import vapoursynth as vs
    core = vs.core
    try:
        clip, matrix = open_rgb(str(src.resolve()), args.matrix)
    except OptionError as err:
        raise UsageError(str(err)) from None
    except vs.Error as err:
        print(f'cstvr {name}: error: cannot read {src}: {err}; {DAMAGED_HINT}', file=sys.stderr)
        return EXIT_FAILURE
    metadata = {}
    try:
        if name in ('downsample', 'roundtrip'):
            lr = core.cstvr.Downsample(clip, **down_kw)
            metadata[METADATA_TAG] = describe_source(clip.width, clip.height, clip.fps,
                                                     clip.num_frames)
        if name == 'downsample':
            result = lr
        elif name == 'roundtrip':
            shared = {k: v for k, v in up_kw.items() if BY_NAME[k].group == ENGINE}
            extra = {'bf16': 1} if args.bf16 else {}
            result = core.cstvr.Upsample(lr, **shared, **extra)
            metadata = {}
        else:
            recorded = read_source_metadata(ffmpeg, src)
            up_kw.update(restore_from_tag(recorded, clip.num_frames, clip.fps, up_kw))
            if motion_left_out(recorded):
                warnings.simplefilter('ignore', PayloadLostWarning)
            result = core.cstvr.Upsample(clip, **up_kw)
    except vs.Error as err:
        print(f'cstvr {name}: error: {err}', file=sys.stderr)
        return EXIT_USAGE if isinstance(original_error(err), CstvrError) else EXIT_FAILURE

    try:
        final = for_output(result, PIX_FMTS[pix_fmt], matrix)
    except OptionError as err:
        raise UsageError(f'{err} (--pix-fmt, --size)') from None
    if name == 'downsample':
        from vs_cstvr.frames import HIDDEN_MOTION
        # frame 0 is computed now; the encode takes it from the filter's cache
        written = result.get_frame(0).props.get(HIDDEN_MOTION)
        _hidden_motion_note(name, written, args.codec, pix_fmt, crf)
        if written is not None:
            metadata[HIDDEN_MOTION_TAG] = HIDDEN_MOTION_VALUES[bool(written)]
    audio = (not args.no_audio) and same_duration(clip.num_frames, clip.fps, final.num_frames,
                                                  final.fps)
    if not args.no_audio and not audio:
        _audio_note(name)
    partial = out.with_name(out.name + '.partial')
    cmd = [ffmpeg, '-hide_banner', '-nostdin', '-loglevel', 'error', '-y',
           '-f', 'yuv4mpegpipe', '-i', 'pipe:0',
           *output_args(codec=args.codec, pix_fmt=pix_fmt, crf=crf, preset=args.preset,
                        matrix=matrix, muxer=muxer, partial=partial,
                        audio_from=src if audio else None, metadata=metadata,
                        extra=args.ffmpeg_args, lossless=args.lossless)]
    return encode(name, final, cmd, partial, out, args.quiet)


def _run_ffmpeg(name: str, args: argparse.Namespace, kw: Dict[str, object], pix_fmt: str,
                crf) -> int:
    """The request through :class:`~mmagic_cstvr.apis.CSTVRInferencer` (no VapourSynth)."""
    from ..apis import CSTVRInferencer
    from ..engine.runtime import default_model
    if kw.get('scenechange') == 2:
        raise UsageError('--scenechange 2 (misc.SCDetect) needs --backend vapoursynth')
    direction = {'downsample': 'down', 'upsample': 'up', 'roundtrip': 'roundtrip'}[name]
    extra = {k: kw[k] for k in CSTVRInferencer.extra_parameters if k in kw}
    out = Path(args.output)
    try:
        inferencer = CSTVRInferencer(
            config=kw.get('config'), ckpt=kw.get('model') or default_model(direction,
                                                                           kw.get('mode')),
            device=kw.get('device_index'), extra_parameters=extra, show_progress=not args.quiet)
        result = inferencer(
            video=args.input, result_out_dir=out, direction=direction, mode=kw.get('mode'),
            fps=_ratio(kw, 'fps'), factor=_ratio(kw, 'factor'), scale=kw.get('scale'),
            width=kw.get('width'), height=kw.get('height'), num_frames=kw.get('num_frames'),
            matrix=args.matrix, hide_motion=bool(kw.get('hide_motion', 1)), codec=args.codec,
            crf=crf, preset=args.preset, pix_fmt=pix_fmt, ffmpeg_args=args.ffmpeg_args,
            audio=not args.no_audio, lossless=args.lossless)
    except CstvrError as err:
        raise UsageError(str(err)) from None
    except FfmpegError as err:
        print(f'cstvr {name}: error: {err}', file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        print(f'cstvr {name}: interrupted; the incomplete output is '
              f'{out.with_name(out.name + ".partial")}', file=sys.stderr)
        return EXIT_INTERRUPTED
    if not args.no_audio and not result['same_duration']:
        _audio_note(name)
    _hidden_motion_note(name, result['hidden_motion'], args.codec, pix_fmt, crf)
    if not args.quiet:
        print(f'cstvr {name}: wrote {out} ({result["num_frames"]} frames, {result["width"]}x'
              f'{result["height"]}, {fraction_text(result["fps"])} fps)', file=sys.stderr)
    return EXIT_OK


def _ratio(kw: Dict[str, object], name: str):
    num = kw.get(f'{name}_num')
    return None if num is None else f'{num}/{kw.get(f"{name}_den", 1)}'


def _hidden_motion_note(name: str, written, codec: str, pix_fmt: str, crf) -> None:
    """Say so when the model would have hidden motion in the frames (``written`` False, not
    None) but the encode does not keep it, so Downsample left it out."""
    if written is not None and not written:
        print(f'cstvr {name}: note: {hidden_motion_note(codec, pix_fmt, crf, written=False)}',
              file=sys.stderr)


def _audio_note(name: str) -> None:
    print(f'cstvr {name}: the output does not last as long as the input: audio not copied',
          file=sys.stderr)


def _output(clip, stream, progress) -> None:
    """``clip.output(stream)`` as y4m on a worker thread, re-raising its error here. The main
    thread waits in Python, so Ctrl-C interrupts it at once, whatever VapourSynth is waiting for
    (an interrupt raised inside ``output`` leaves it waiting for the frames in flight)."""
    errors: List[BaseException] = []

    def work() -> None:
        try:
            clip.output(stream, y4m=True, progress_update=progress)
        except BaseException as err:  # noqa: BLE001 - handed to the main thread
            errors.append(err)

    worker = threading.Thread(target=work, name='cstvr-output', daemon=True)
    worker.start()
    while worker.is_alive():
        worker.join(0.1)
    if errors:
        raise errors[0]


def encode(name: str, clip, cmd: List[str], partial: Path, out: Path, quiet: bool) -> int:
    """Stream ``clip`` as y4m into ``cmd`` (an ffmpeg writing ``partial``), then rename."""
    from tqdm import tqdm
    encoder = EncoderProcess(cmd, partial, out)
    bar = tqdm(total=clip.num_frames, unit='frame', desc=f'cstvr {name}',
               disable=True if quiet else None, dynamic_ncols=True)
    done = [0]

    def progress(current: int, total: int) -> None:
        bar.update(current - done[0])
        done[0] = current

    failure = None
    try:
        _output(clip, encoder.stdin, progress)
    except KeyboardInterrupt:
        bar.close()
        encoder.abort(keep_partial=True)
        print(f'cstvr {name}: interrupted; the incomplete output is {partial}', file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        failure = 'ffmpeg stopped reading'
    except Exception as err:  # noqa: BLE001 - a frame failed: report it, clean up
        failure = f'{type(err).__name__}: {err}'
    finally:
        bar.close()
    if failure is None:
        rc = encoder.close()
        if rc != 0:
            failure = f'ffmpeg exited with code {rc}'
    else:
        encoder.abort(keep_partial=False)
    if failure is not None:
        print(f'cstvr {name}: error: {failure}', file=sys.stderr)
        if encoder.log:
            print(encoder.log, file=sys.stderr)
        if '-c:a' in cmd and encoder.log:
            print('(if the audio cannot be copied into this container, pass --no-audio)',
                  file=sys.stderr)
        return EXIT_FAILURE
    if not quiet:
        print(f'cstvr {name}: wrote {out} ({clip.num_frames} frames, {clip.width}x{clip.height}, '
              f'{fraction_text(clip.fps)} fps)', file=sys.stderr)
    return EXIT_OK
