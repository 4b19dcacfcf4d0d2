"""The fixed glibc mmap threshold (``mmagic_cstvr.engine.host_allocator``): freed window-sized
blocks go back to the system. Each case runs in a fresh interpreter, since the setting is per
process."""
import platform
import subprocess
import sys

import pytest

import vs_testlib as lib

pytestmark = pytest.mark.skipif(platform.libc_ver()[0] != 'glibc',
                                reason='the mmap threshold is a glibc malloc setting')

# Blocks of 8 and 12 MiB allocated and freed while small blocks stay alive between them, as window
# tensors are; prints the resident memory the loop leaves behind, in MiB.
CHURN = '''
import re, torch
from mmagic_cstvr.engine.host_allocator import fix_mmap_threshold
def rss():
    return int(re.search(r'VmRSS:\\s+(\\d+)', open('/proc/self/status').read()).group(1)) / 1024
applied = {setup}
keep, base = [], rss()
for _ in range(20):
    a = torch.empty(2 << 20).fill_(1)
    b = torch.empty(3 << 20).fill_(1)
    keep.append(torch.ones(20000))
    del a, b
print(applied, rss() - base)
'''


def churn(setup: str, **env):
    out = subprocess.run([sys.executable, '-c', CHURN.format(setup=setup)],
                         env={**lib.env(), **env},
                         capture_output=True, text=True, check=True).stdout.split()
    return out[0], float(out[1])


def test_freed_blocks_return_to_the_system():
    applied, fixed = churn('fix_mmap_threshold()')
    _, default = churn('None')
    assert applied == 'True'
    assert fixed < 8, f'{fixed:.1f} MiB kept after freeing every large block'
    assert default > fixed + 16, (default, fixed)  # what the setting prevents


def test_a_clip_resampler_fixes_the_threshold():
    # only the engine is built here: the resident memory left behind shows whether it set the threshold
    setup = ("__import__('mmagic_cstvr.engine.clip_resampler', fromlist=['x']).ClipResampler("
             "__import__('mmagic_cstvr.archs', fromlist=['x']).NaiveResampler(), 'up', 24, 60, 4, "
             "(8, 8)) is not None")
    _, fixed = churn(setup)
    assert fixed < 8, f'{fixed:.1f} MiB kept: building a ClipResampler did not fix the threshold'


def test_a_users_own_threshold_is_left_alone():
    applied, kept = churn('fix_mmap_threshold()', MALLOC_MMAP_THRESHOLD_=str(64 << 20))
    assert applied == 'False'
    assert kept > 16  # the user's 64 MiB threshold puts these blocks on the heap
