"""Shared helpers of the VapourSynth plugin and ``cstvr`` command tests: tiny models, tiny clips,
and running vspipe/ffmpeg/the command line against the working tree."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from fractions import Fraction
from pathlib import Path
from typing import Dict, Sequence

import torch

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent

STEG = dict(type='CSTVRResampler',
            down=dict(channels=8, blocks=1, hidden=16, stem_shuffle=2),
            imsm=dict(cells=1, growth=4),
            up=dict(channels=8, blocks=1, growth=4, fuse=4, hidden=16))
BLIND = dict(type='BlindResampler', up=dict(channels=8, blocks=1, growth=4, fuse=4, hidden=16))


def tool(name: str) -> str:
    """A program of the virtual environment (vspipe, ffmpeg), else the one on PATH."""
    local = BIN / name
    if local.exists():
        return str(local)
    found = shutil.which(name)
    assert found, f'{name} not found: run make setup'
    return found


def env() -> Dict[str, str]:
    """Environment for subprocesses: the working tree's packages first, the venv's tools on PATH."""
    e = dict(os.environ)
    e['PYTHONPATH'] = os.pathsep.join([str(REPO)] + ([e['PYTHONPATH']] if e.get('PYTHONPATH')
                                                       else []))
    e['PATH'] = os.pathsep.join([str(BIN), e.get('PATH', '')])
    return e


def build_plugin() -> Path:
    """Compile the plugin from the working tree into the core's autoload folder."""
    from vs_cstvr.build import build
    return build()


def make_model(cfg: dict, path: Path, seed: int = 0) -> Path:
    """A tiny model whose weights are moved off their initialisation, so pixels depend on them."""
    from mmagic_cstvr.engine.weights import build_generator, save_weights
    torch.manual_seed(seed)
    gen = build_generator(cfg)
    with torch.no_grad():
        for p in gen.parameters():
            p.add_(torch.randn_like(p) * 0.01)
    return save_weights(gen, cfg, path)


def make_clip(path: Path, frames: int, size: str = '64x48', rate: str = '30',
              audio: bool = False) -> Path:
    """A testsrc2 clip (x264, near lossless), with a sine audio track if asked."""
    cmd = [tool('ffmpeg'), '-v', 'error', '-y', '-f', 'lavfi', '-i',
           f'testsrc2=size={size}:rate={rate}']
    if audio:
        cmd += ['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-c:a', 'aac',
                '-shortest']
    cmd += ['-frames:v', str(frames), '-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-crf', '1',
            '-preset', 'ultrafast', str(path)]
    subprocess.run(cmd, check=True)
    return path


def vspipe_info(script: Path, args: Dict[str, object]) -> Dict[str, object]:
    """``vspipe --info`` of ``script`` with ``-a key=value`` arguments, parsed."""
    cmd = [tool('vspipe'), '--info']
    for k, v in args.items():
        cmd += ['-a', f'{k}={v}']
    res = subprocess.run(cmd + [str(script)], capture_output=True, text=True, env=env(),
                         timeout=300)
    assert res.returncode == 0, res.stderr
    return parse_info(res.stdout)


def parse_info(text: str) -> Dict[str, object]:
    fields = dict(re.findall(r'^([A-Za-z ]+): (.*)$', text, re.MULTILINE))
    fps = fields['FPS'].split()[0]
    return {'frames': int(fields['Frames']), 'fps': Fraction(fps),
            'width': int(fields['Width']), 'height': int(fields['Height']),
            'format': fields['Format Name']}


def run_cli(args: Sequence[str], **kw) -> subprocess.CompletedProcess:
    """``cstvr ARGS`` from the working tree."""
    return subprocess.run([sys.executable, '-m', 'mmagic_cstvr.cli', *map(str, args)],
                          capture_output=True, text=True, env=env(), timeout=300, **kw)


def probe(path: Path) -> str:
    """ffmpeg's description of a file (stream lines and metadata)."""
    res = subprocess.run([tool('ffmpeg'), '-hide_banner', '-nostdin', '-i', str(path)],
                         capture_output=True, text=True)
    return res.stderr


def count_frames(path: Path) -> int:
    """Decoded video frames of a file (ffmpeg's null muxer)."""
    res = subprocess.run([tool('ffmpeg'), '-nostdin', '-v', 'error', '-i', str(path), '-map',
                          '0:v:0', '-f', 'framemd5', '-'], capture_output=True, text=True,
                         check=True)
    return sum(1 for line in res.stdout.splitlines() if line and not line.startswith('#'))
