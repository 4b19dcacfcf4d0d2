"""The VapourSynth plugin: core.cstvr.Downsample / Upsample through the real core, in this process
and through vspipe on the example scripts, with a tiny model on tiny clips (CPU)."""
import random
import re
from fractions import Fraction

import numpy as np
import pytest
import torch

import vs_testlib as lib

vs = pytest.importorskip('vapoursynth')

EXAMPLES = lib.REPO / 'examples'


@pytest.fixture(scope='module')
def assets(tmp_path_factory):
    lib.build_plugin()
    d = tmp_path_factory.mktemp('vs')
    return {
        'steg': lib.make_model(lib.STEG, d / 'steg.safetensors'),
        'blind': lib.make_model(lib.BLIND, d / 'blind.safetensors', seed=1),
        'clip': lib.make_clip(d / 'clip.mp4', 48),
        'ntsc': lib.make_clip(d / 'ntsc.mp4', 20, rate='24000/1001'),
        'dir': d,
    }


@pytest.fixture(scope='module')
def core(assets):
    c = vs.core
    assert hasattr(c, 'cstvr'), 'the cstvr plugin did not load'
    return c


@pytest.fixture(scope='module')
def rgb(core, assets):
    """The 48-frame 64x48 test clip as RGBS."""
    src = core.bs.VideoSource(str(assets['clip']), cachemode=0)
    return core.resize.Bicubic(src, format=vs.RGBS, matrix_in_s='709')


def frames_of(clip, order=None):
    from mmagic_cstvr.structures.colour import planes_to_array
    order = range(clip.num_frames) if order is None else order
    return {n: planes_to_array(clip.get_frame(n)) for n in order}


def stack(d):
    return np.stack([d[n] for n in sorted(d)])


# -- the namespace and its signatures --------------------------------------------------------------

def test_namespace_and_typed_signatures(core):
    funcs = {f.name: f for f in core.cstvr.functions()}
    assert {'Downsample', 'Upsample'} <= set(funcs)
    down = funcs['Downsample'].signature
    for arg in ('clip:vnode', 'factor_num:int:opt', 'fps_den:int:opt', 'scale:float:opt',
                'model:data:opt', 'device_index:int:opt', 'tile_overlap:int:opt'):
        assert arg in down, (arg, down)
    up = funcs['Upsample'].signature
    for arg in ('mode:data:opt', 'bf16:int:opt', 'num_frames:int:opt', 'width:int:opt'):
        assert arg in up, (arg, up)
    # types and names are checked before the filter's Python code runs
    with pytest.raises((vs.Error, ValueError)):
        core.cstvr.Downsample(core.std.BlankClip(format=vs.RGBS), factor_num='two')
    with pytest.raises(vs.Error, match='foo'):
        core.cstvr.Downsample(core.std.BlankClip(format=vs.RGBS), foo=1)


# -- pixels: plugin == ClipResampler, random access == sequential ---------------------------------

def test_plugin_pixels_equal_clip_resampler(core, rgb, assets):
    from mmagic_cstvr.engine.clip_resampler import ClipResampler
    from mmagic_cstvr.structures.colour import to_uint8
    from mmagic_cstvr.engine.weights import load_generator

    gen = load_generator(assets['steg'])
    hr = stack(frames_of(rgb))
    lr_clip = core.cstvr.Downsample(rgb, model=str(assets['steg']), factor_num=2, scale=2.0,
                                    device_index=-1)
    assert (lr_clip.format.name, lr_clip.width, lr_clip.height, lr_clip.num_frames) == \
        ('RGB24', 32, 24, 24)
    lr = stack(frames_of(lr_clip))
    down = ClipResampler(gen, 'down', 30, 15, 48, (24, 32))
    ref = np.concatenate([down.run([w], [hr[w.src_start:w.src_stop]])[0] for w in down.windows])
    ref = to_uint8(torch.from_numpy(ref)).numpy()
    assert np.array_equal(lr, ref)

    hr_clip = core.cstvr.Upsample(lr_clip, model=str(assets['steg']), device_index=-1)
    assert (hr_clip.format.name, hr_clip.width, hr_clip.height, hr_clip.num_frames,
            hr_clip.fps) == ('RGBS', 64, 48, 48, Fraction(30))
    out = stack(frames_of(hr_clip))
    up = ClipResampler(gen, 'up', 15, 30, 24, (48, 64), n_dst=48)
    ref = np.concatenate([up.run([w], [lr[w.src_start:w.src_stop]])[0] for w in up.windows])
    assert np.array_equal(out, ref)


@pytest.mark.parametrize('batch', [1, 3])
def test_random_access_equals_sequential(core, rgb, assets, batch):
    kw = dict(model=str(assets['steg']), factor_num=5, factor_den=4, scale=2.0, batch=batch)
    sequential = frames_of(core.cstvr.Downsample(rgb, **kw))
    order = list(range(len(sequential)))
    random.Random(batch).shuffle(order)
    shuffled = frames_of(core.cstvr.Downsample(rgb, **kw), order)  # a fresh filter: empty cache
    for n in order:
        assert np.array_equal(shuffled[n], sequential[n]), n
    up_kw = dict(model=str(assets['steg']), batch=batch)
    lr = core.cstvr.Downsample(rgb, **kw)
    seq_up = frames_of(core.cstvr.Upsample(lr, **up_kw))
    order = sorted(seq_up, reverse=True)
    rev_up = frames_of(core.cstvr.Upsample(core.cstvr.Downsample(rgb, **kw), **up_kw), order)
    assert all(np.array_equal(rev_up[n], seq_up[n]) for n in order)


def test_batches_and_tiles_change_nothing_but_memory(core, rgb, assets):
    kw = dict(model=str(assets['steg']), factor_num=2, scale=2.0)
    base = stack(frames_of(core.cstvr.Downsample(rgb, **kw)))
    batched = stack(frames_of(core.cstvr.Downsample(rgb, batch=4, **kw)))
    assert np.abs(batched.astype(int) - base).max() <= 1
    whole = stack(frames_of(core.cstvr.Downsample(rgb, tile=64, **kw)))  # one tile = no tiling
    assert np.array_equal(whole, base)
    tiled = stack(frames_of(core.cstvr.Downsample(rgb, tile=16, tile_overlap=16, **kw)))
    assert tiled.shape == base.shape
    assert np.abs(tiled.astype(int) - base).mean() < 2


# -- time: frame counts, fps fractions, time stamps, restoring the source -------------------------

def test_exact_time_props_and_restore(core, rgb, assets):
    clip47 = rgb[:47]
    lr = core.cstvr.Downsample(clip47, model=str(assets['steg']), fps_num=24, scale=2.0)
    assert (lr.num_frames, lr.fps) == (38, Fraction(24))  # ceil(47 * 24 / 30)
    p = lr.get_frame(37).props
    assert (p['_DurationNum'], p['_DurationDen']) == (1, 24)
    assert Fraction(p['CSTVR_TimeNum'], p['CSTVR_TimeDen']) == Fraction(37, 24)
    assert Fraction(p['CSTVR_PositionNum'], p['CSTVR_PositionDen']) == Fraction(37 * 5, 4)
    assert p['_AbsoluteTime'] == pytest.approx(37 / 24)
    assert (p['CSTVR_SrcWidth'], p['CSTVR_SrcHeight'], p['CSTVR_SrcFpsNum'], p['CSTVR_SrcFpsDen'],
            p['CSTVR_SrcNumFrames']) == (64, 48, 30, 1, 47)
    assert 'CSTVR_HiddenMotion' not in p  # a learned network's frames
    up = core.cstvr.Upsample(lr, model=str(assets['steg']))
    assert (up.num_frames, up.fps, up.width, up.height) == (47, Fraction(30), 64, 48)
    q = up.get_frame(46).props
    assert Fraction(q['CSTVR_TimeNum'], q['CSTVR_TimeDen']) == Fraction(46, 30)


def test_hidden_motion_is_written_unless_told_not_to_and_the_frames_say_which(core, rgb,
                                                                             tmp_path):
    from mmagic_cstvr.engine.weights import build_generator, save_weights
    cfg = dict(type='HiddenMotionResampler', fit_iterations=2)
    model = save_weights(build_generator(cfg), cfg, tmp_path / 'hm.safetensors')
    src = rgb[:9]
    hidden = core.cstvr.Downsample(src, model=str(model), factor_num=2, scale=1.0)
    plain = core.cstvr.Downsample(src, model=str(model), factor_num=2, scale=1.0, hide_motion=0)
    assert [hidden.get_frame(i).props['CSTVR_HiddenMotion'] for i in (0, 4)] == [1, 1]
    assert [plain.get_frame(i).props['CSTVR_HiddenMotion'] for i in (0, 4)] == [0, 0]
    dropped = np.floor(np.clip(stack(frames_of(src[::2])), 0, 1) * 255 + 0.5)  # 8-bit levels
    assert np.array_equal(stack(frames_of(plain)), dropped)
    assert not np.array_equal(stack(frames_of(hidden)), dropped)


def test_no_drift_over_ten_thousand_frames(core, assets):
    long = core.std.BlankClip(format=vs.RGB24, width=16, height=16, length=12000,
                              fpsnum=30000, fpsden=1001, color=[30, 60, 90])
    lr = core.cstvr.Downsample(long, model=str(assets['steg']), fps_num=24000, fps_den=1001,
                               scale=2.0)
    assert (lr.num_frames, lr.fps) == (9600, Fraction(24000, 1001))
    for n in (9599, 4801, 0):  # random access, far from the start
        p = lr.get_frame(n).props
        assert Fraction(p['CSTVR_TimeNum'], p['CSTVR_TimeDen']) == Fraction(n * 1001, 24000)
        assert Fraction(p['CSTVR_PositionNum'], p['CSTVR_PositionDen']) == Fraction(5 * n, 4)
    up = core.cstvr.Upsample(lr, model=str(assets['steg']), fps_num=60000, fps_den=1001)
    assert (up.num_frames, up.fps) == (24000, Fraction(60000, 1001))
    p = up.get_frame(23999).props
    assert Fraction(p['CSTVR_TimeNum'], p['CSTVR_TimeDen']) == Fraction(23999 * 1001, 60000)


# -- scene changes ---------------------------------------------------------------------------------

def _two_scenes(core, rgb, second):
    b = core.std.SetFrameProps(second[12:13], _SceneChangePrev=1) + second[13:24]
    return rgb[0:12] + b


def test_scene_cut_is_never_crossed(core, rgb, assets):
    other = core.std.Invert(rgb)
    a = _two_scenes(core, rgb, rgb)
    b = _two_scenes(core, rgb, other)  # same first scene, a different second scene
    kw = dict(model=str(assets['steg']), factor_num=2, scale=2.0, window=4)
    lr_a, lr_b = frames_of(core.cstvr.Downsample(a, **kw)), frames_of(core.cstvr.Downsample(b, **kw))
    # LR frame k sits on HR frame 2k: frames 0..5 belong to the first scene
    for n in range(6):
        assert np.array_equal(lr_a[n], lr_b[n]), n
    lr = core.cstvr.Downsample(b, **kw)
    assert lr.get_frame(6).props['_SceneChangePrev'] == 1
    assert lr.get_frame(5).props['_SceneChangeNext'] == 1
    assert lr.get_frame(4).props['_SceneChangePrev'] == 0
    # without scene changes the window 4..7 reads both scenes
    off = dict(kw, scenechange=0)
    lr_a, lr_b = (frames_of(core.cstvr.Downsample(c, **off)) for c in (a, b))
    assert not all(np.array_equal(lr_a[n], lr_b[n]) for n in range(6))
    # the Upsample of the Downsample honours the cut it carries (at LR frame 6; HR frame 11 lies
    # half way between LR frames 5 and 6 and goes with the later one, as the timeline rounds)
    up_a, up_b = (frames_of(core.cstvr.Upsample(core.cstvr.Downsample(c, **kw),
                                                model=str(assets['steg'])), range(12))
                  for c in (a, b))
    for n in range(11):
        assert np.array_equal(up_a[n], up_b[n]), n


# -- formats and errors ----------------------------------------------------------------------------

def test_input_formats(core, rgb, assets):
    m = str(assets['steg'])
    for fmt in (vs.RGB24, vs.RGBS, vs.RGBH):
        c = core.resize.Point(rgb[:6], format=fmt)
        lr = core.cstvr.Downsample(c, model=m)
        assert (lr.format.name, lr.num_frames, lr.width, lr.height) == ('RGB24', 3, 16, 12)
        up = core.cstvr.Upsample(c, model=m, factor_num=2, scale=1.5)
        assert (up.format.name, up.num_frames, up.width, up.height) == ('RGBS', 12, 96, 72)
        up.get_frame(11)
    bf = core.cstvr.Upsample(rgb[:4], model=m, bf16=1, factor_num=2, scale=1.0)
    assert bf.get_frame(7).format.name == 'RGBS'


def test_short_clips(core, rgb, assets):
    m = str(assets['steg'])
    for n in (1, 2, 3):
        lr = core.cstvr.Downsample(rgb[:n], model=m, factor_num=2, scale=2.0)
        assert lr.num_frames == -(-n // 2)
        up = core.cstvr.Upsample(lr, model=m)
        assert up.num_frames == n
        frames_of(up)
    one = core.cstvr.Upsample(rgb[0], model=m, factor_num=3, scale=1.0)
    assert one.num_frames == 3
    frames_of(one)


def _variable_fps(core):
    a = core.std.BlankClip(format=vs.RGBS, width=32, height=32, length=5, fpsnum=30)
    return core.std.Splice([a, core.std.AssumeFPS(a, fpsnum=25)], mismatch=True)


def _variable_size(core):
    a = core.std.BlankClip(format=vs.RGBS, width=32, height=32, length=5)
    return core.std.Splice([a, core.std.BlankClip(a, width=16)], mismatch=True)


@pytest.mark.parametrize('make,kw,message', [
    (lambda c: c.std.BlankClip(format=vs.YUV420P8), {},
     r'YUV420P8.*core\.resize\.Bicubic\(clip, format=vs\.RGBS, matrix_in_s="709"\)'),
    (lambda c: c.std.BlankClip(format=vs.GRAY8), {}, r'Gray8.*ShufflePlanes'),
    (lambda c: c.std.BlankClip(format=vs.RGB48), {}, r'RGB48.*format=vs\.RGBS'),
    (_variable_fps, {}, r'variable frame rate.*AssumeFPS'),
    (_variable_size, {}, r'variable format or frame size'),
    (None, dict(factor_num=0), r'factor_num/factor_den must be positive'),
    (None, dict(factor_num=-2), r'must be positive'),
    (None, dict(factor_num=2, factor_den=0), r'must be positive'),
    (None, dict(fps_num=0), r'must be positive'),
    (None, dict(factor_num=2, fps_num=15), r'either fps_num/fps_den or factor_num/factor_den'),
    (None, dict(fps_den=1001), r'fps_den was given without fps_num'),
    (None, dict(scale=0.0), r'scale must be a positive'),
    (None, dict(scale=-2.0), r'scale must be a positive'),
    (None, dict(scale=2.0, width=16), r'either scale or width/height'),
    (None, dict(fps_num=60), r'cannot raise the frame rate'),
    (None, dict(scale=0.5), r'cannot enlarge frames'),
    (None, dict(batch=0), r'batch must be >= 1'),
    (None, dict(tile=-1), r'tile must be >= 0'),
    (None, dict(model='/no/such/model.safetensors'), r'neither a shipped model.*pass model='),
    (None, dict(model='BLIND'), r'blind model, which has no learned Downsample'),
    (None, dict(device_index=7), r'device_index=7'),
])
def test_downsample_errors(core, rgb, assets, make, kw, message):
    clip = rgb[:4] if make is None else make(core)
    kw = dict(kw)
    kw['model'] = str(assets['blind']) if kw.get('model') == 'BLIND' else kw.get(
        'model', str(assets['steg']))
    if kw.get('device_index') == 7 and torch.cuda.device_count() > 7:
        pytest.skip('this machine has 8 CUDA devices')
    with pytest.raises(vs.Error, match=message) as err:
        core.cstvr.Downsample(clip, **kw)
    assert str(err.value).startswith('Downsample: ')
    assert 'Traceback' not in str(err.value)


@pytest.mark.parametrize('kw,message', [
    (dict(mode='blind'), r'mode="blind" needs a BlindResampler model'),
    (dict(mode='steg', model='BLIND'), r'mode="steg" needs a steg'),
    (dict(mode='other'), r'mode must be "steg" or "blind"'),
    (dict(num_frames=100), r'num_frames=100: the 4-frame clip covers only 8 frames'),
    (dict(fps_num=15), r'cannot lower the frame rate'),
    (dict(scale=0.5), r'cannot shrink frames'),
    (dict(bf16=2), r'bf16 must be one of 0, 1'),
    (dict(factor_num=0), r'must be positive'),
    (dict(model='/no/such.safetensors'), r'neither a shipped model'),
])
def test_upsample_errors(core, rgb, assets, kw, message):
    kw = dict(kw)
    kw['model'] = str(assets['blind']) if kw.get('model') == 'BLIND' else kw.get(
        'model', str(assets['steg']))
    with pytest.raises(vs.Error, match=message):
        core.cstvr.Upsample(rgb[:4], **kw)


def test_default_models_and_unknown_names(core, rgb):
    """Without model=, blind mode uses the shipped 'blind' model (and steg mode 'steg'); an unknown
    name names the fix."""
    from mmagic_cstvr.engine.weights import shipped_models
    shipped = shipped_models()
    assert {'steg', 'blind'} <= set(shipped)
    lr = core.resize.Bicubic(rgb[:4], width=32, height=24)
    for mode in ('blind', 'steg'):
        default = core.cstvr.Upsample(lr, mode=mode, factor_num=2, scale=2.0)
        named = core.cstvr.Upsample(lr, mode=mode, model=str(shipped[mode]), factor_num=2,
                                    scale=2.0)
        a, b = frames_of(default), frames_of(named)
        assert all(np.array_equal(a[n], b[n]) for n in a)
    with pytest.raises(vs.Error, match=r"model 'nope' is neither a shipped model.*pass model="):
        core.cstvr.Downsample(rgb[:4], model='nope')


def test_blind_upsample(core, rgb, assets):
    lr = core.resize.Bicubic(rgb[:10], width=32, height=24)
    up = core.cstvr.Upsample(lr, mode='blind', model=str(assets['blind']), factor_num=2,
                             scale=2.0)
    assert (up.num_frames, up.fps, up.width, up.height) == (20, Fraction(60), 64, 48)
    frames_of(up)


# -- the example scripts through vspipe ------------------------------------------------------------

@pytest.mark.parametrize('args,expect', [
    (dict(factor=2, scale=2), dict(frames=24, fps=Fraction(15), width=32, height=24)),
    (dict(factor='5/4', scale=4), dict(frames=39, fps=Fraction(24), width=16, height=12)),
    (dict(fps=24, width=48, height=36, format='yuv420p8'),
     dict(frames=39, fps=Fraction(24), width=48, height=36, format='YUV420P8')),
])
def test_vspipe_downsample_example(assets, args, expect):
    info = lib.vspipe_info(EXAMPLES / 'downsample.vpy',
                           {'in': assets['clip'], 'model': assets['steg'], **args})
    assert {k: info[k] for k in expect} == expect
    if 'format' not in expect:  # 10 bits: what lossless transport of hidden motion needs
        assert info['format'] == 'YUV444P10'


def test_vspipe_upsample_ntsc_film_to_60(assets):
    info = lib.vspipe_info(EXAMPLES / 'upsample.vpy',
                           {'in': assets['ntsc'], 'model': assets['steg'],
                            'fps': '60000/1001', 'scale': 1.5})
    assert info == dict(frames=50, fps=Fraction(60000, 1001), width=96, height=72,
                        format='YUV420P8')


def test_vspipe_upsample_blind(assets):
    info = lib.vspipe_info(EXAMPLES / 'upsample.vpy',
                           {'in': assets['ntsc'], 'model': assets['blind'], 'mode': 'blind',
                            'factor': 2, 'width': 128})
    assert (info['frames'], info['fps'], info['width'], info['height']) == \
        (40, Fraction(48000, 1001), 128, 96)


def test_vspipe_roundtrip_pipeline_into_ffmpeg(assets, tmp_path):
    """The README pipeline as written: vspipe -c y4m ... - | ffmpeg -i - -c:v libx264 ..."""
    import subprocess
    out = tmp_path / 'roundtrip.mp4'
    cmd = (f'"{lib.tool("vspipe")}" -c y4m -a in="{assets["clip"]}" -a model="{assets["steg"]}" '
           f'-a factor=5/4 -a scale=2 "{EXAMPLES / "roundtrip.vpy"}" - | '
           f'"{lib.tool("ffmpeg")}" -v error -i - -c:v libx264 -crf 18 "{out}"')
    res = subprocess.run(cmd, shell=True, capture_output=True, text=True, env=lib.env(),
                         timeout=300)
    assert res.returncode == 0, res.stderr
    assert lib.count_frames(out) == 48
    assert re.search(r'64x48.* 30 fps', lib.probe(out))
    lr = lib.vspipe_info(EXAMPLES / 'roundtrip.vpy',
                         {'in': assets['clip'], 'model': assets['steg'], 'factor': '5/4',
                          'scale': 2, 'output': 'lr'})
    assert (lr['frames'], lr['fps'], lr['width']) == (39, Fraction(24), 32)


def test_vspipe_reports_filter_errors(assets):
    import subprocess
    res = subprocess.run([lib.tool('vspipe'), '--info', '-a', f'in={assets["clip"]}', '-a',
                          f'model={assets["steg"]}', '-a', 'factor=2', '-a', 'fps=15',
                          str(EXAMPLES / 'downsample.vpy')], capture_output=True, text=True,
                         env=lib.env(), timeout=300)
    assert res.returncode != 0
    assert 'Downsample: give either fps_num/fps_den or factor_num/factor_den' in res.stderr



HOST_C = r'''
/* A VapourSynth host without Python: the cstvr plugin must answer with an error, not crash. */
#include <stdio.h>
#include "VapourSynth4.h"
int main(void) {
    const VSAPI *vsapi = getVapourSynthAPI(VAPOURSYNTH_API_VERSION);
    VSCore *core = vsapi->createCore(0);
    VSPlugin *cstvr = vsapi->getPluginByNamespace("cstvr", core);
    if (!cstvr) { puts("cstvr not loaded"); return 3; }
    VSMap *args = vsapi->createMap();
    VSMap *blank = vsapi->invoke(vsapi->getPluginByNamespace("std", core), "BlankClip", args);
    VSNode *clip = vsapi->mapGetNode(blank, "clip", 0, NULL);
    vsapi->mapSetNode(args, "clip", clip, maReplace);
    VSMap *out = vsapi->invoke(cstvr, "Downsample", args);
    const char *err = vsapi->mapGetError(out);
    printf("%s\n", err ? err : "NO ERROR");
    vsapi->freeMap(out); vsapi->freeNode(clip); vsapi->freeMap(blank); vsapi->freeMap(args);
    vsapi->freeCore(core);
    return err ? 0 : 1;
}
'''


def test_plugin_in_a_host_without_python(assets, tmp_path):
    """libpython is not linked: a non-Python host loads the plugin and gets a clear error."""
    import subprocess
    from pathlib import Path
    vsdir = Path(vs.__file__).resolve().parent
    src = tmp_path / 'host.c'
    src.write_text(HOST_C)
    exe = tmp_path / 'host'
    subprocess.run(['gcc', '-O1', str(src), f'-I{vsdir / "include"}', f'-L{vsdir}',
                    '-l:libvapoursynth.so.4', f'-Wl,-rpath,{vsdir}', '-o', str(exe)], check=True)
    res = subprocess.run([str(exe)], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "need VapourSynth's Python module" in res.stdout
