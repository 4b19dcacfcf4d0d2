"""A published LR clip is reproducible: Downsample with the shipped ``steg`` model on the CPU gives
bit-identical output across runs and torch thread counts (each count in its own process, as a
user's machine would run it). The VapourSynth thread counts are in test_long_runs.py."""
import json
import subprocess
import sys
import textwrap

import vs_testlib as lib

RUN = textwrap.dedent('''
    import hashlib, json, sys
    import numpy as np, torch
    torch.set_num_threads(int(sys.argv[1]))
    from mmagic_cstvr.engine.clip_resampler import ClipResampler
    from mmagic_cstvr.engine.weights import load_generator
    hr = np.random.default_rng(0).random((9, 72, 96, 3), dtype=np.float32)
    engine = ClipResampler(load_generator('steg'), 'down', 30, 15, 9, (18, 24))
    digests = []
    for _ in range(2):  # two runs in one process
        lr = engine.run(engine.windows, [hr[w.src_start:w.src_stop] for w in engine.windows])
        digests.append(hashlib.sha256(np.concatenate(lr).tobytes()).hexdigest())
    print(json.dumps({'threads': torch.get_num_threads(), 'digests': digests}))
''')


def _digests(threads: int):
    res = subprocess.run([sys.executable, '-c', RUN, str(threads)], capture_output=True, text=True,
                         env=lib.env(), timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assert out['threads'] == threads
    return out['digests']


def test_cpu_downsample_is_bit_identical_across_runs_and_thread_counts():
    digests = {t: _digests(t) for t in (1, 2, 4)}
    assert len({d for ds in digests.values() for d in ds}) == 1, digests
