"""Several cstvr filters in one vspipe graph, and VapourSynth thread counts: real vspipe, raw frames
compared with the same graph built in this process. (10,000 frames, host memory and time-stamp
drift: ``python tools/soak.py``, which prints figures.)

Within one host program the frames are bit-identical whatever ``core.num_threads``. Between host
programs (vspipe, this Python process) the 8-bit Downsample output is bit-identical and the float
Upsample output may differ by one float32 ulp in a few percent of the samples (MKL's matrix
products take other code paths in the two programs: ``MKL_CBWR`` changes the results too)."""
import hashlib
import subprocess

import numpy as np
import pytest

import vs_testlib as lib

vs = pytest.importorskip('vapoursynth')

SCRIPT = '''
import vapoursynth as vs
core = vs.core
if int(threads):
    core.num_threads = int(threads)
src = core.resize.Bicubic(core.bs.VideoSource(clip, cachemode=0), format=vs.RGBS,
                          matrix_in_s='170m')
a = core.cstvr.Upsample(src, model=steg, factor_num=2, scale=1.5, device_index=-1)
b = core.cstvr.Upsample(src, model=other, factor_num=2, scale=1.5, device_index=-1)
core.std.StackHorizontal([a, b]).set_output(0)
lr = core.cstvr.Downsample(src, model=steg, factor_num=2, scale=2.0, device_index=-1)
core.cstvr.Upsample(lr, model=steg, device_index=-1).set_output(1)
lr.set_output(2)
'''


@pytest.fixture(scope='module')
def graph(tmp_path_factory):
    lib.build_plugin()
    d = tmp_path_factory.mktemp('long')
    script = d / 'graph.vpy'
    script.write_text(SCRIPT)
    args = {'clip': lib.make_clip(d / 'clip.mp4', 12),
            'steg': lib.make_model(lib.STEG, d / 'steg.safetensors'),
            'other': lib.make_model(lib.STEG, d / 'other.safetensors', seed=5)}
    return script, {k: str(v) for k, v in args.items()}


def vspipe_raw(script, args, output: int, threads: int) -> bytes:
    """The raw frames of one output of ``script`` through vspipe."""
    cmd = [lib.tool('vspipe'), '-o', str(output), '-a', f'threads={threads}']
    for k, v in args.items():
        cmd += ['-a', f'{k}={v}']
    res = subprocess.run(cmd + [str(script), '-'], capture_output=True, env=lib.env(),
                         timeout=300)
    assert res.returncode == 0, res.stderr.decode()[-2000:]
    return res.stdout


def in_process(args, output: int) -> bytes:
    """The same output built in this process (fresh filters), as vspipe writes raw frames (RGB
    planes in G, B, R order)."""
    namespace = {'threads': '0', **args}
    exec(compile(SCRIPT, 'graph.vpy', 'exec'), namespace)
    clip = vs.get_output(output)
    clip = clip[0] if isinstance(clip, tuple) else clip
    order = (1, 2, 0) if clip.format.color_family == vs.RGB else range(clip.format.num_planes)
    data = b''.join(np.asarray(f[p]).tobytes() for f in clip.frames() for p in order)
    vs.clear_outputs()
    return data


def floats(data: bytes, shape):
    return np.frombuffer(data, np.float32).reshape(shape)


def test_two_upsamples_side_by_side_and_a_chain_in_one_graph(graph):
    script, args = graph
    side_by_side = floats(vspipe_raw(script, args, 0, 0), (24, 3, 72, 192))  # two 96x72 RGBS
    np.testing.assert_array_max_ulp(side_by_side, floats(in_process(args, 0), (24, 3, 72, 192)),
                                    maxulp=1)
    assert not np.array_equal(side_by_side[..., :96], side_by_side[..., 96:])  # two models
    chain = floats(vspipe_raw(script, args, 1, 0), (12, 3, 48, 64))  # the 12 frames restored
    np.testing.assert_array_max_ulp(chain, floats(in_process(args, 1), (12, 3, 48, 64)),
                                    maxulp=1)
    lr = vspipe_raw(script, args, 2, 0)  # the transmitted 8-bit frames: bit-identical
    assert len(lr) == 6 * 3 * 24 * 32 and lr == in_process(args, 2)


def test_vapoursynth_thread_counts_give_identical_frames(graph):
    script, args = graph
    digests = {t: hashlib.sha256(vspipe_raw(script, args, 1, t)).hexdigest() for t in (1, 2, 4, 8)}
    assert len(set(digests.values())) == 1, digests
