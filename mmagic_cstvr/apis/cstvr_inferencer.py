"""``CSTVRInferencer``: video files through a cstvr model and ffmpeg, in mmagic's inferencer style.

.. code-block:: python

    from fractions import Fraction
    from mmagic_cstvr.apis import CSTVRInferencer

    inferencer = CSTVRInferencer(ckpt='steg.safetensors')      # or config=..., ckpt=...
    inferencer(video='in.mp4', result_out_dir='lr.mkv', direction='down', factor=2, scale=4)
    inferencer(video='lr.mkv', result_out_dir='out.mp4', direction='up')  # restores the source
    CSTVRInferencer(ckpt='blind.safetensors')(video='in.mp4', result_out_dir='out.mkv',
        direction='up', mode='blind', fps=Fraction(60000, 1001), scale=2)

ffmpeg decodes the input into raw float RGB frames on a pipe (:class:`FrameReader`), the windows
run as the VapourSynth filters run them (:func:`mmagic_cstvr.engine.targets.resampler_for` plans the
same clip, :func:`mmagic_cstvr.engine.window_stream.resample_stream` computes the same window groups
while holding only the source frames of one group), and a second ffmpeg encodes the frames it is fed
(:class:`EncoderProcess`), so the pixels equal those of ``core.cstvr.*`` and the output frame rate
is exact. ``result_out_dir`` is the output file (named as mmagic's inferencers name it).
"""
from __future__ import annotations

import copy
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple, Union

import torch
from mmengine.infer import BaseInferencer
from mmengine.registry import INFERENCERS

from ..engine.clip_resampler import ClipResampler
from ..engine.runtime import check_memory, select_device
from ..engine.arguments import engine_defaults
from ..engine.targets import resampler_for, restore_from_tag
from ..errors import CstvrError, PayloadLostWarning, WeightsError
from ..engine.window_stream import resample_stream
from ..engine.weights import load_generator
from ..media.ffmpeg_pipes import (ONE_SLICE, EncoderProcess, FrameReader, check_subsampling,
                                  encode_filter, encode_settings, hidden_motion_note,
                                  keeps_payload, muxer_for, output_args, planar, raw_input_args)
from ..media.probe import (HIDDEN_MOTION_TAG, HIDDEN_MOTION_VALUES, METADATA_TAG, MediaInfo,
                           describe_source, motion_left_out, probe, require_ffmpeg)
from ..structures.colour import FFMPEG_COLORSPACES
from ..structures.timeline import as_fraction, same_duration

DIRECTIONS = ('down', 'up', 'roundtrip')


@dataclass
class ResamplePlan:
    """What :meth:`CSTVRInferencer.preprocess` worked out: the input, the matrix it is read and
    written with, and the engines in order with their output sample types ('u8' or 'f32')."""

    ffmpeg: str
    info: MediaInfo
    direction: str
    matrix: str
    stages: List[Tuple[ClipResampler, str]]
    metadata: Dict[str, str] = field(default_factory=dict)


@INFERENCERS.register_module()
class CSTVRInferencer(BaseInferencer):
    """Resample a video file with a cstvr model: downsample, upsample or both (``roundtrip``).

    mmagic 1.2.0's ``BaseMMagicInferencer`` cannot be imported here: importing any module of
    ``mmagic.apis`` runs ``mmagic/apis/__init__.py``, which needs the ``controlnet-aux`` extra this
    project does not install. So this class follows its interface (``__call__(**kwargs)``
    dispatched by :attr:`func_kwargs` to preprocess/forward/visualize/postprocess, and
    :attr:`extra_parameters`) on mmengine's ``BaseInferencer``, which mmagic's inferencers are
    built on; it is registered in mmengine's ``INFERENCERS`` (mmagic has no such registry).

    Args:
        config: an mmagic config (file, ``Config`` or dict) whose ``model.generator`` is the
            network (built as :func:`~mmagic_cstvr.engine.weights.build_generator` builds it).
            Optional for weights that carry their config (cstvr safetensors).
        ckpt: the weights: a shipped model name (``steg``, ``blind``) or a cstvr
            ``.safetensors`` file (default ``steg``). A training checkpoint (``.pth``, a pickle)
            is refused: ``tools/export_weights.py`` converts it.
        device: None (CUDA 0 when there is one, else the CPU), a torch device or its name, or a
            device index as the VapourSynth filters take it (-1: the CPU).
        extra_parameters: defaults of :attr:`extra_parameters` for every call.
        show_progress: show a progress bar of the output frames.
    """

    func_kwargs = dict(
        preprocess=['video', 'direction', 'mode', 'fps', 'factor', 'scale', 'width', 'height',
                    'num_frames', 'matrix', 'hide_motion'],
        forward=['result_out_dir', 'codec', 'crf', 'preset', 'pix_fmt', 'ffmpeg_args', 'audio',
                 'lossless'],
        visualize=[],
        postprocess=[])
    preprocess_kwargs = set(func_kwargs['preprocess'])
    forward_kwargs = set(func_kwargs['forward'])
    #: Engine settings (per call with ``extra_parameters=``), the filters' arguments of those
    #: names with their defaults (:mod:`mmagic_cstvr.engine.arguments`): windows per network call,
    #: output frames per window (None: the engine's default), spatial tiles and their overlap in HR
    #: pixels (0: whole frames), bfloat16 for the upsample.
    extra_parameters = engine_defaults(('batch', 'window', 'tile', 'tile_overlap', 'bf16'))

    def __init__(self, config=None, ckpt: Optional[Union[str, Path]] = None,
                 device: Union[None, int, str, torch.device] = None,
                 extra_parameters: Optional[Dict] = None, show_progress: bool = True):
        if isinstance(config, (str, Path)) and not Path(config).is_file():
            raise WeightsError(f'config file {config} does not exist')
        self.extra_parameters = self._merge_extra(type(self).extra_parameters, extra_parameters)
        self.model_name = str(ckpt if ckpt is not None else 'steg')
        if device is None or isinstance(device, int):
            device = select_device(device)
        super().__init__(model=str(config) if isinstance(config, Path) else config,
                         weights=self.model_name, device=torch.device(device),
                         show_progress=show_progress)
        self.device = torch.device(device)
        self._generators = {torch.float32: self.model}

    # -- the model -------------------------------------------------------------------------------

    def _init_model(self, cfg, weights: str, device) -> torch.nn.Module:
        """The generator of ``cfg`` (or the one embedded in ``weights``) with those weights
        (:func:`~mmagic_cstvr.engine.weights.load_generator`, shared)."""
        config = cfg if cfg and cfg.get('model') is not None else None
        return load_generator(weights, config, device)

    def _generator(self, dtype: torch.dtype) -> torch.nn.Module:
        """The network in ``dtype`` (a copy per precision, as the VapourSynth filters keep)."""
        if dtype not in self._generators:
            self._generators[dtype] = copy.deepcopy(self.model).to(dtype).eval()
        return self._generators[dtype]

    def _init_pipeline(self, cfg) -> None:
        """No data pipeline: frames come from ffmpeg."""
        return None

    def _init_collate(self, cfg) -> None:
        """No batches of data samples: windows are batched by the engine."""
        return None

    def _init_visualizer(self, cfg) -> None:
        """Nothing to visualize: the output is a video file."""
        return None

    # -- the call --------------------------------------------------------------------------------

    @staticmethod
    def _merge_extra(base: Dict, update: Optional[Dict]) -> Dict:
        unknown = set(update or {}) - set(base)
        if unknown:
            raise TypeError(f'unknown extra_parameters: {", ".join(sorted(unknown))}; known: '
                            f'{", ".join(base)}')
        return {**base, **(update or {})}

    def __call__(self, **kwargs) -> Dict:
        """Resample ``video`` into ``result_out_dir``; returns what was written (see
        :meth:`forward`). Keywords: those of :attr:`func_kwargs` and ``extra_parameters`` (a dict
        overriding the instance's for this call)."""
        known = {k for names in self.func_kwargs.values() for k in names} | {'extra_parameters'}
        unknown = set(kwargs) - known
        if unknown:
            raise TypeError(f'unknown arguments: {", ".join(sorted(unknown))}')
        saved = self.extra_parameters
        self.extra_parameters = self._merge_extra(saved, kwargs.pop('extra_parameters', None))
        try:
            pre, fwd, vis, post = ({k: kwargs[k] for k in self.func_kwargs[step] if k in kwargs}
                                   for step in ('preprocess', 'forward', 'visualize',
                                                'postprocess'))
            with torch.inference_mode():
                plan = self.preprocess(**pre)
                preds = self.forward(plan, **fwd)
            return self.postprocess(preds, self.visualize(preds, **vis), **post)
        finally:
            self.extra_parameters = saved

    def preprocess(self, video: Union[str, Path], direction: str = 'down',
                   mode: Optional[str] = None, fps=None, factor=None, scale=None,
                   width: Optional[int] = None, height: Optional[int] = None,
                   num_frames: Optional[int] = None, matrix: Optional[str] = None,
                   hide_motion: Optional[bool] = None) -> ResamplePlan:
        """Probe ``video`` and plan the engines.

        ``direction``: ``'down'``, ``'up'`` or ``'roundtrip'`` (down, then up back to the source);
        ``mode``: upsample of a cstvr downsample (``'steg'``) or of ordinary footage
        (``'blind'``); ``fps`` (exact: a Fraction, ``'24000/1001'``) or ``factor``; ``scale`` or
        ``width``/``height``; ``num_frames``: the upsample's frame count; ``matrix``: the input's
        YUV matrix (``'709'``, ``'170m'``, ...; default: the file's tag, else by frame height);
        ``hide_motion``: a downsample writes the dropped frames' motion where the model does
        (the default; False for a lossy encode, which would not keep it: the Downsample
        argument).
        An upsample without targets restores what ``direction='down'`` recorded in the file.
        """
        if direction not in DIRECTIONS:
            raise CstvrError(f'direction must be one of {", ".join(DIRECTIONS)}, got {direction!r}')
        if matrix is not None and matrix not in FFMPEG_COLORSPACES:
            raise CstvrError(f'matrix must be one of {", ".join(FFMPEG_COLORSPACES)}, got '
                             f'{matrix!r}')
        if direction != 'up' and mode == 'blind':
            raise CstvrError('mode="blind" upsamples ordinary footage: use direction="up"')
        if num_frames is not None and int(num_frames) < 1:
            raise CstvrError(f'num_frames must be >= 1, got {num_frames}')
        ffmpeg = require_ffmpeg()
        info = probe(video, ffmpeg)
        args = _request(fps, factor, scale, width, height)
        src = (info.fps, (info.height, info.width), info.num_frames)
        p = self.extra_parameters
        engine_kw = dict(window=p['window'], tile=p['tile'], tile_overlap=p['tile_overlap'],
                         device=self.device, model=self.model_name)
        up_dtype = torch.bfloat16 if p['bf16'] else torch.float32
        metadata = {}
        if direction == 'up':
            args.update(restore_from_tag(info.recorded, info.num_frames, info.fps,
                                         {**args, 'mode': mode, 'num_frames': num_frames}))
            up = resampler_for(self._generator(up_dtype), 'up', args, *src, mode=mode,
                               num_frames=args.pop('num_frames', num_frames), dtype=up_dtype,
                               **engine_kw)
            stages = [(up, 'f32')]
        else:
            down = resampler_for(self._generator(torch.float32), 'down', args, *src,
                                 dtype=torch.float32,
                                 hide_motion=hide_motion is None or bool(hide_motion), **engine_kw)
            stages = [(down, 'u8')]
            if direction == 'roundtrip':
                restored = {'fps': info.fps, 'size': src[1], 'num_frames': info.num_frames}
                stages.append((resampler_for(self._generator(up_dtype), 'up', {},
                                             down.time_map.dst_fps, down.dst_size, down.n_dst,
                                             restored=restored, dtype=up_dtype, **engine_kw),
                               'f32'))
            else:
                metadata[METADATA_TAG] = describe_source(info.width, info.height, info.fps,
                                                         info.num_frames)
                if down.hides_motion is not None:
                    metadata[HIDDEN_MOTION_TAG] = HIDDEN_MOTION_VALUES[down.hides_motion]
        src_hw = src[1]
        for engine, _ in stages:  # the stream holds one group of each stage at a time
            check_memory(engine, p['batch'], src_hw, what=f'the {engine.direction}sample')
            src_hw = engine.dst_size
        return ResamplePlan(ffmpeg, info, direction, info.matrix(matrix), stages, metadata)

    def forward(self, plan: ResamplePlan, result_out_dir: Union[str, Path],
                codec: str = 'libx264', crf: Optional[int] = None, preset: str = 'medium',
                pix_fmt: Optional[str] = None, ffmpeg_args: str = '', audio: bool = True,
                lossless: bool = False) -> Dict:
        """Decode, resample and encode, window by window, into ``result_out_dir`` (written as
        ``<name>.partial`` and renamed when ffmpeg has finished; an interrupt leaves the partial
        file, a failure removes it).

        ``codec``: ffmpeg video encoder; ``crf``/``preset``: x264/x265 settings (default CRF 12 for
        a downsample, else 18); ``pix_fmt``: ``yuv444p`` (downsample default), ``yuv420p``
        (otherwise), ``yuv420p10le``, ``yuv444p10le`` or ``gbrp`` (8-bit RGB, lossless with e.g.
        ``ffv1``); ``ffmpeg_args``: more ffmpeg output options, one string; ``audio``: copy the
        input's audio when the output lasts as long as the input (within a frame); ``lossless``:
        the codec's lossless mode instead of ``crf`` (``pix_fmt`` default ``yuv444p10le``). A
        downsample whose frames carry hidden motion, encoded so that it is lost, warns
        (:class:`~mmagic_cstvr.errors.PayloadLostWarning`); so does an upsample that finds none,
        unless the file records that its downsample left it out.
        """
        out = Path(result_out_dir)
        try:
            muxer = muxer_for(out)
        except ValueError as err:
            raise CstvrError(str(err)) from None
        pix_fmt, crf = encode_settings('down' if plan.direction == 'down' else 'up', pix_fmt, crf,
                                       lossless)
        if plan.direction == 'down' and plan.stages[0][0].hides_motion \
                and not keeps_payload(codec, pix_fmt, lossless, ffmpeg_args):
            warnings.warn(hidden_motion_note(codec, pix_fmt, crf, written=True),
                          PayloadLostWarning, stacklevel=2)
        try:
            vf = encode_filter(pix_fmt, plan.matrix)
        except ValueError as err:
            raise CstvrError(str(err)) from None
        info, final = plan.info, plan.stages[-1][0]
        fps = final.time_map.dst_fps
        (h, w), n_out = final.dst_size, final.n_dst
        try:
            check_subsampling(pix_fmt, w, h)
        except ValueError as err:
            raise CstvrError(str(err)) from None
        fits = same_duration(info.num_frames, info.fps, n_out, fps)
        copy_audio = audio and info.has_audio and fits
        out.parent.mkdir(parents=True, exist_ok=True)
        partial = out.with_name(out.name + '.partial')
        try:
            encoder_args = output_args(codec=codec, pix_fmt=pix_fmt, crf=crf, preset=preset,
                                       matrix=plan.matrix, muxer=muxer, partial=partial,
                                       audio_from=info.path if copy_audio else None,
                                       metadata=plan.metadata, extra=ffmpeg_args, vf=vf,
                                       lossless=lossless)
        except ValueError as err:
            raise CstvrError(str(err)) from None
        cmd = [plan.ffmpeg, '-hide_banner', '-nostdin', '-loglevel', 'error', '-y', *ONE_SLICE,
               *raw_input_args(w, h, fps, plan.stages[-1][1]), *encoder_args]
        with warnings.catch_warnings():
            if plan.direction == 'up' and motion_left_out(info.recorded):
                warnings.simplefilter('ignore', PayloadLostWarning)
            self._run(plan, EncoderProcess(cmd, partial, out))
        return {'output': str(out), 'num_frames': n_out, 'fps': fps, 'width': w, 'height': h,
                'pix_fmt': pix_fmt, 'audio_copied': copy_audio, 'same_duration': fits,
                'hidden_motion': plan.stages[0][0].hides_motion if plan.direction == 'down'
                else None,
                'source': {'width': info.width, 'height': info.height, 'fps': info.fps,
                           'num_frames': info.num_frames}}

    def _run(self, plan: ResamplePlan, encoder: EncoderProcess) -> None:
        from tqdm import tqdm
        reader = FrameReader(plan.ffmpeg, plan.info, plan.matrix)
        frames = iter(reader)
        for engine, sample in plan.stages:
            frames = resample_stream(engine, frames, self.extra_parameters['batch'], sample)
        final = plan.stages[-1][0]
        bar = tqdm(total=final.n_dst, unit='frame', desc=f'cstvr {plan.direction}',
                   disable=True if not self.show_progress else None, dynamic_ncols=True)
        try:
            for frame in frames:
                encoder.write(planar(frame))
                bar.update(1)
        except KeyboardInterrupt:
            encoder.abort(keep_partial=True)
            raise
        except BaseException:
            encoder.abort(keep_partial=False)
            raise
        finally:
            bar.close()
            reader.close()
        encoder.finish()

    def visualize(self, preds: Dict, **kwargs) -> None:
        """Nothing to show: the result is the video file."""
        return None

    def postprocess(self, preds: Dict, visualization=None, **kwargs) -> Dict:
        """The forward result: ``output``, ``num_frames``, ``fps`` (a Fraction), ``width``,
        ``height``, ``pix_fmt``, ``audio_copied``, ``same_duration`` and the ``source``'s."""
        return preds


def _request(fps, factor, scale, width, height) -> Dict[str, object]:
    """The request mapping of :mod:`mmagic_cstvr.engine.targets` from the call's keywords."""
    args: Dict[str, object] = {}
    try:
        for name, value in (('fps', fps), ('factor', factor)):
            if value is not None:
                frac = as_fraction(value, name)
                args[f'{name}_num'], args[f'{name}_den'] = frac.numerator, frac.denominator
    except ValueError as err:
        raise CstvrError(str(err)) from None
    if scale is not None:
        args['scale'] = scale
    for name, value in (('width', width), ('height', height)):
        if value is not None:
            args[name] = int(value)
    return args
