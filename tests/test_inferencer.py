"""CSTVRInferencer: video files through ffmpeg pipes (real ffmpeg, tiny model, tiny clips), the
same pixels and frame rates as the VapourSynth front end, and the ``--backend ffmpeg`` command."""
import subprocess
from fractions import Fraction

import numpy as np
import pytest
import torch

import vs_testlib as lib
from mmagic_cstvr.apis import CSTVRInferencer
from mmagic_cstvr.media.probe import probe
from mmagic_cstvr.errors import FfmpegError
from mmagic_cstvr.structures.timeline import TimeMap

NTSC, FILM, NTSC60 = Fraction(30000, 1001), Fraction(24000, 1001), Fraction(60000, 1001)


@pytest.fixture(scope='module')
def assets(tmp_path_factory):
    d = tmp_path_factory.mktemp('inferencer')
    return {
        'steg': lib.make_model(lib.STEG, d / 'steg.safetensors'),
        'blind': lib.make_model(lib.BLIND, d / 'blind.safetensors', seed=1),
        'ntsc': lib.make_clip(d / 'ntsc.mp4', 24, rate='30000/1001', audio=True),
        'film': lib.make_clip(d / 'film.mkv', 24, rate='24'),
        'dir': d,
    }


@pytest.fixture(scope='module')
def steg(assets):
    return CSTVRInferencer(ckpt=assets['steg'], device=-1, show_progress=False)


@pytest.fixture(scope='module')
def lr(steg, assets):
    """The NTSC clip downsampled to 24000/1001 fps at half size, lossless 8-bit RGB."""
    out = assets['dir'] / 'lr.nut'
    result = steg(video=assets['ntsc'], result_out_dir=out, direction='down', fps=FILM, scale=2,
                  codec='ffv1', pix_fmt='gbrp')
    return out, result


@pytest.fixture(scope='module')
def vs_core():
    vs = pytest.importorskip('vapoursynth')
    lib.build_plugin()
    assert hasattr(vs.core, 'cstvr'), 'the cstvr plugin did not load'
    return vs.core


def decode(path, pix_fmt='rgb24'):
    """Every decoded frame of ``path`` (none repeated for a constant rate), raw bytes as uint8."""
    res = subprocess.run([lib.tool('ffmpeg'), '-v', 'error', '-i', str(path), '-map', '0:v:0',
                          '-fps_mode', 'passthrough', '-f', 'rawvideo', '-pix_fmt', pix_fmt, '-'],
                         capture_output=True, check=True)
    return np.frombuffer(res.stdout, np.uint8)


def vs_bytes(clip):
    """Every frame of a VapourSynth clip as planar bytes (ffmpeg's order for YUV, RGB packed)."""
    frames = []
    for f in clip.frames():
        planes = [np.asarray(f[p]) for p in range(clip.format.num_planes)]
        if clip.format.name == 'RGB24':
            frames.append(np.stack(planes, -1).ravel())
        else:
            frames.extend(p.ravel() for p in planes)
    return np.concatenate(frames)


# -- frame counts and exact rates ------------------------------------------------------------------

def test_downsample_ntsc_to_film_counts_rate_tag_and_audio(lr, assets):
    out, result = lr
    n = TimeMap(NTSC, FILM).count(24)
    assert n == 20
    assert (result['num_frames'], result['fps'], result['width'], result['height']) == \
        (20, FILM, 32, 24)
    info = probe(out)
    assert (info.num_frames, info.fps, info.width, info.height) == (20, FILM, 32, 24)
    assert info.recorded == {'width': 64, 'height': 48, 'fps': NTSC, 'num_frames': 24,
                             'hidden_motion': None}  # a learned network hides no motion
    assert result['audio_copied'] and info.has_audio  # 0.834 s of video for 0.801 s: within a frame
    assert not (assets['dir'] / 'lr.nut.partial').exists()


def test_blind_upsample_film_to_ntsc60(assets, tmp_path):
    out = tmp_path / 'hr.nut'
    blind = CSTVRInferencer(ckpt=assets['blind'], device=-1, show_progress=False)
    result = blind(video=assets['film'], result_out_dir=out, direction='up', mode='blind',
                   fps=NTSC60, scale=2, codec='ffv1')
    assert (result['num_frames'], result['fps']) == (TimeMap(24, NTSC60).count(24), NTSC60)
    assert result['num_frames'] == 60
    info = probe(out)
    assert (info.num_frames, info.fps, info.width, info.height) == (60, NTSC60, 128, 96)
    assert info.pix_fmt == 'yuv420p'


def test_upsample_restores_the_recorded_source(lr, steg, tmp_path):
    out = tmp_path / 'restored.mp4'
    result = steg(video=lr[0], result_out_dir=out, direction='up')
    info = probe(out)
    assert (info.num_frames, info.fps, info.width, info.height) == (24, NTSC, 64, 48)
    assert result['num_frames'] == 24 and result['fps'] == NTSC


def test_stream_reads_lazily_and_equals_the_whole_clip(assets):
    from mmagic_cstvr.engine.clip_resampler import ClipResampler
    from mmagic_cstvr.engine.window_stream import resample_stream
    from mmagic_cstvr.engine.weights import load_generator
    gen = load_generator(assets['steg'])
    rng = np.random.default_rng(0)
    src = rng.random((40, 16, 16, 3), dtype=np.float32)
    engine = ClipResampler(gen, 'down', 30, 12, 40, (8, 8))
    read = []

    def frames():
        for k, f in enumerate(src):
            read.append(k)
            yield f

    stream = resample_stream(engine, frames(), batch=2, sample='u8')
    first = next(stream)
    assert len(read) <= engine.source_span(engine.groups(2)[0])[1]  # only the first group's frames
    got = np.stack([first, *stream])
    whole = np.concatenate([out for g in engine.groups(2)
                            for out in engine.run(g, [src[w.src_start:w.src_stop] for w in g])])
    assert np.array_equal(got, np.floor(np.clip(whole, 0, 1) * 255 + 0.5).astype(np.uint8))


# -- the same pixels as the VapourSynth front end --------------------------------------------------

@pytest.mark.parametrize('name,encode', [
    ('tagged.mp4', ['-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-colorspace', 'bt709']),
    ('ms_stamps.mkv', ['-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-r', '24000/1001']),
    ('full_range.mkv', ['-c:v', 'libx264', '-pix_fmt', 'yuvj444p', '-colorspace', 'bt470bg']),
    ('deep.mkv', ['-c:v', 'libx264', '-pix_fmt', 'yuv420p10le']),
    ('rgb.mkv', ['-c:v', 'ffv1', '-pix_fmt', 'gbrp']),
    ('grey.mkv', ['-c:v', 'ffv1', '-pix_fmt', 'gray']),
    ('rotated.mp4', ['-c:v', 'libx264', '-pix_fmt', 'yuv420p']),
    ('tall.mp4', ['-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-vf', 'scale=320:180']),
])
def test_decoded_clip_equals_the_vapoursynth_source(vs_core, tmp_path, name, encode):
    """Both front ends read the same clip: frame count, frame rate, size, float RGB, and the 8-bit
    RGB that training and evaluation read (:func:`~mmagic_cstvr.media.readers.read_video`)."""
    from mmagic_cstvr.media.ffmpeg_pipes import FrameReader
    from mmagic_cstvr.media.readers import read_video
    from vs_cstvr.pipeline import open_rgb
    path = tmp_path / name
    subprocess.run([lib.tool('ffmpeg'), '-v', 'error', '-f', 'lavfi', '-i',
                    'testsrc2=size=48x32:rate=24000/1001', '-frames:v', '22', *encode, str(path)],
                   check=True)
    if name == 'rotated.mp4':  # a display matrix: both decode the picture upright
        subprocess.run([lib.tool('ffmpeg'), '-v', 'error', '-display_rotation', '90', '-i',
                        str(path), '-c', 'copy', str(tmp_path / 'r.mp4')], check=True)
        path = tmp_path / 'r.mp4'
    clip, matrix = open_rgb(str(path))
    info = probe(path)
    assert (info.num_frames, info.fps, info.width, info.height) == \
        (clip.num_frames, Fraction(clip.fps), clip.width, clip.height)
    assert info.matrix() == matrix
    ours = np.stack(list(FrameReader(lib.tool('ffmpeg'), info, info.matrix())))
    theirs = np.stack([np.stack([np.asarray(f[p]) for p in range(3)], -1) for f in clip.frames()])
    assert np.array_equal(ours, theirs)
    frames, fps = read_video(path)
    clip24 = open_rgb(str(path), fmt='RGB24')[0]
    assert fps == Fraction(clip24.fps) and frames.dtype == np.uint8
    assert np.array_equal(frames, np.stack([np.stack([np.asarray(f[p]) for p in range(3)], -1)
                                            for f in clip24.frames()]))


@pytest.mark.parametrize('sample', ['u8', 'f32'])
def test_output_conversions_equal_vapoursynth_resize(vs_core, sample):
    """RGB frames -> every output format: ffmpeg's zscale gives for_output's bytes (on frames
    tall enough that zscale would cut them into slices)."""
    import vapoursynth as vs

    from mmagic_cstvr.media.ffmpeg_pipes import (ONE_SLICE, RGB_PIX_FMTS, YUV_PIX_FMTS,
                                                 encode_filter, planar, raw_input_args)
    from vs_cstvr.pipeline import for_output
    h, w, n = 180, 320, 3
    rng = np.random.default_rng(1)
    frames = (rng.integers(0, 256, (n, h, w, 3), dtype=np.uint8) if sample == 'u8' else
              rng.random((n, h, w, 3), dtype=np.float32))
    blank = vs_core.std.BlankClip(width=w, height=h, length=n,
                                  format=vs.RGB24 if sample == 'u8' else vs.RGBS)

    def fill(n, f):
        out = f.copy()
        for p in range(3):
            np.copyto(np.asarray(out[p]), frames[n, ..., p])
        return out
    clip = vs_core.std.ModifyFrame(blank, blank, fill)
    names = {'yuv420p': 'yuv420p8', 'yuv444p': 'yuv444p8', 'yuv420p10le': 'yuv420p10',
             'yuv444p10le': 'yuv444p10', 'gbrp': 'rgb24'}
    for pix_fmt in YUV_PIX_FMTS + RGB_PIX_FMTS:
        res = subprocess.run([lib.tool('ffmpeg'), '-v', 'error', *ONE_SLICE,
                              *raw_input_args(w, h, Fraction(24), sample), '-vf',
                              encode_filter(pix_fmt, '709'), '-f', 'rawvideo', '-'],
                             input=b''.join(planar(f) for f in frames), capture_output=True,
                             check=True)
        order = [1, 2, 0] if pix_fmt == 'gbrp' else [0, 1, 2]
        theirs = b''.join(np.asarray(f[p]).tobytes() for f in
                          for_output(clip, names[pix_fmt], '709').frames() for p in order)
        assert res.stdout == theirs, pix_fmt


def test_downsample_pixels_equal_vapoursynth(vs_core, lr, assets):
    from vs_cstvr.pipeline import for_output, open_rgb
    clip, _ = open_rgb(str(assets['ntsc']))
    down = vs_core.cstvr.Downsample(clip, model=str(assets['steg']), fps_num=24000,
                                    fps_den=1001, scale=2.0, device_index=-1)
    assert (down.num_frames, Fraction(down.fps)) == (20, FILM)
    assert np.array_equal(decode(lr[0]), vs_bytes(for_output(down, 'rgb24')))


def test_upsample_pixels_equal_vapoursynth(vs_core, lr, steg, assets, tmp_path):
    from vs_cstvr.pipeline import for_output, open_rgb
    out = tmp_path / 'up.nut'
    steg(video=lr[0], result_out_dir=out, direction='up', codec='ffv1', pix_fmt='yuv444p')
    clip, matrix = open_rgb(str(lr[0]))
    up = vs_core.cstvr.Upsample(clip, model=str(assets['steg']), fps_num=30000, fps_den=1001,
                                width=64, height=48, num_frames=24, device_index=-1)
    assert np.array_equal(decode(out, 'yuv444p'), vs_bytes(for_output(up, 'yuv444p8', matrix)))


def test_blind_upsample_pixels_equal_vapoursynth(vs_core, assets, tmp_path):
    from vs_cstvr.pipeline import for_output, open_rgb
    out = tmp_path / 'blind.nut'
    blind = CSTVRInferencer(ckpt=assets['blind'], device=-1, show_progress=False)
    blind(video=assets['film'], result_out_dir=out, direction='up', mode='blind', fps=NTSC60,
          scale=2, codec='ffv1', pix_fmt='gbrp')
    clip, _ = open_rgb(str(assets['film']))
    up = vs_core.cstvr.Upsample(clip, mode='blind', model=str(assets['blind']), fps_num=60000,
                                fps_den=1001, scale=2.0, device_index=-1)
    assert np.array_equal(decode(out), vs_bytes(for_output(up, 'rgb24')))


@pytest.mark.parametrize('name,args', [
    ('downsample', ['--fps', '24000/1001', '--scale', '2']),
    ('roundtrip', ['--factor', '2', '--scale', '2', '--batch', '2']),
])
def test_command_backends_write_the_same_frames(vs_core, assets, tmp_path, name, args):
    from mmagic_cstvr.cli import main
    outs = {}
    for backend in ('vapoursynth', 'ffmpeg'):
        outs[backend] = tmp_path / f'{backend}.mkv'
        rc = main([name, str(assets['ntsc']), str(outs[backend]), '--model', str(assets['steg']),
                   '--device', '-1', '--codec', 'ffv1', '--pix-fmt', 'yuv444p', '-q',
                   '--backend', backend, *args])
        assert rc == 0
    a, b = (probe(outs[k]) for k in ('vapoursynth', 'ffmpeg'))
    assert (a.num_frames, a.fps, a.width, a.height, a.has_audio, a.recorded) == \
        (b.num_frames, b.fps, b.width, b.height, b.has_audio, b.recorded)
    assert np.array_equal(decode(outs['vapoursynth'], 'yuv444p'), decode(outs['ffmpeg'], 'yuv444p'))


# -- models, arguments and errors ------------------------------------------------------------------

def test_registered_and_built_from_config_or_embedded_config(assets, lr, tmp_path):
    from mmengine.registry import INFERENCERS
    assert INFERENCERS.get('CSTVRInferencer') is CSTVRInferencer
    from mmagic_cstvr.engine.weights import read_weights
    from mmagic_cstvr.errors import WeightsError
    _, state, cfg = read_weights(assets['steg'])
    config = tmp_path / 'cfg.py'
    config.write_text(f'model = dict(generator={cfg!r})\n')
    out = tmp_path / 'lr.nut'
    CSTVRInferencer(config=config, ckpt=assets['steg'], device=-1, show_progress=False)(
        video=assets['ntsc'], result_out_dir=out, fps=FILM, scale=2, codec='ffv1',
        pix_fmt='gbrp')
    assert np.array_equal(decode(out), decode(lr[0]))
    ckpt = tmp_path / 'iter_1.pth'  # an mmengine training checkpoint (a pickle): refused
    torch.save({'meta': {'cfg': f'model = dict(type="CSTVR", generator={cfg!r})\n'},
                'state_dict': {f'generator.{k}': v for k, v in state.items()}}, ckpt)
    with pytest.raises(WeightsError, match='convert it with: python tools/export_weights.py'):
        CSTVRInferencer(ckpt=ckpt, device=-1, show_progress=False)


def test_unreadable_missing_and_undecodable_inputs(steg, assets, tmp_path):
    bad = tmp_path / 'bad.mp4'
    bad.write_bytes(b'not a video')
    with pytest.raises(FfmpegError, match='cannot read .*Invalid data'):
        steg(video=bad, result_out_dir=tmp_path / 'o.mkv')
    with pytest.raises(FileNotFoundError, match='does not exist'):
        steg(video=tmp_path / 'missing.mp4', result_out_dir=tmp_path / 'o.mkv')
    ffv1 = tmp_path / 'ffv1.avi'  # a codec ffmpeg has no decoder for: FFV1's fourcc overwritten
    subprocess.run([lib.tool('ffmpeg'), '-v', 'error', '-f', 'lavfi', '-i',
                    'testsrc2=size=32x24:rate=24', '-frames:v', '3', '-c:v', 'ffv1', str(ffv1)],
                   check=True)
    unknown = tmp_path / 'unknown.avi'
    unknown.write_bytes(ffv1.read_bytes().replace(b'FFV1', b'QQQQ'))
    with pytest.raises(FfmpegError, match='cannot decode .*no decoder found'):
        steg(video=unknown, result_out_dir=tmp_path / 'o.mkv')
    assert not list(tmp_path.glob('o.*'))


def test_unknown_encoder_and_bad_requests(steg, assets, tmp_path):
    out = tmp_path / 'o.mkv'
    with pytest.raises(FfmpegError, match="Unknown encoder 'nosuchcodec'"):
        steg(video=assets['ntsc'], result_out_dir=out, codec='nosuchcodec')
    assert not out.exists() and not (tmp_path / 'o.mkv.partial').exists()
    from mmagic_cstvr.errors import CstvrError
    for kw, message in ((dict(fps=60), 'cannot raise the frame rate'),
                        (dict(fps='abc'), 'fps must be a number'),
                        (dict(direction='sideways'), 'direction must be'),
                        (dict(direction='up', mode='blind'), 'needs a BlindResampler'),
                        (dict(pix_fmt='rgb48'), 'pixel format must be')):
        with pytest.raises(CstvrError, match=message):
            steg(video=assets['ntsc'], result_out_dir=out, **kw)
    with pytest.raises(CstvrError, match='unknown output container'):
        steg(video=assets['ntsc'], result_out_dir=tmp_path / 'o.xyz')
    with pytest.raises(TypeError, match='unknown arguments: scal'):
        steg(video=assets['ntsc'], result_out_dir=out, scal=2)


def test_missing_ffmpeg_is_named(steg, assets, tmp_path, monkeypatch):
    import mmagic_cstvr.media.probe as media_probe
    monkeypatch.setattr(media_probe, 'find_ffmpeg', lambda: None)
    with pytest.raises(FfmpegError, match='ffmpeg not found'):
        steg(video=assets['ntsc'], result_out_dir=tmp_path / 'o.mkv')


def test_command_ffmpeg_backend_exit_codes(assets, tmp_path):
    bad = tmp_path / 'bad.mp4'
    bad.write_bytes(b'not a video')
    res = lib.run_cli(['downsample', bad, tmp_path / 'o.mkv', '--model', assets['steg'],
                       '--backend', 'ffmpeg', '--device', '-1'])
    assert res.returncode == 1 and 'cannot read' in res.stderr
    res = lib.run_cli(['downsample', assets['ntsc'], tmp_path / 'o.mkv', '--model',
                       assets['steg'], '--backend', 'ffmpeg', '--fps', '60'])
    assert res.returncode == 2 and 'cannot raise the frame rate' in res.stderr
    assert not list(tmp_path.glob('o.*'))


def test_a_downsample_warns_when_its_encode_drops_the_hidden_motion_and_can_leave_it_out(
        assets, tmp_path):
    import warnings
    from mmagic_cstvr.engine.weights import build_generator, save_weights
    from mmagic_cstvr.errors import PayloadLostWarning
    cfg = dict(type='HiddenMotionResampler', fit_iterations=2)
    model = save_weights(build_generator(cfg), cfg, tmp_path / 'hm.safetensors')
    clip = lib.make_clip(tmp_path / 'src.mp4', 9)
    inferencer = CSTVRInferencer(ckpt=model, device=-1, show_progress=False)
    for name, kw, warned, hidden in (('lossy', {}, True, True),
                                     ('plain', dict(hide_motion=False), False, False),
                                     ('lossless', dict(lossless=True), False, True)):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter('always')
            result = inferencer(video=str(clip), result_out_dir=str(tmp_path / f'{name}.mkv'),
                                direction='down', factor=2, scale=1, **kw)
        lost = [w for w in caught if issubclass(w.category, PayloadLostWarning)]
        assert bool(lost) == warned, name
        assert result['hidden_motion'] is hidden, name
    assert 'yuv444p10le' in lib.probe(tmp_path / 'lossless.mkv')
