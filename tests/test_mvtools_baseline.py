"""The MVTools baseline on VapourSynth's real core: motion-compensated frames on a translating
pattern, key frames passed through, and ``cstvr eval --model mvtools`` end to end."""
import json
import subprocess
import sys
from fractions import Fraction

import cv2
import numpy as np
import pytest
import torch

from mmagic_cstvr.archs import NaiveResampler
from mmagic_cstvr.archs.classical import resize_frames
from mmagic_cstvr.archs.mvtools_baseline import (MVTOOLS_SETTINGS, MVToolsResampler, common_rate,
                                                 frame_positions)
from vs_testlib import REPO, env


def translating(n_frames: int, shift: float, size=(64, 96), seed=0) -> np.ndarray:
    """(n_frames, H, W, 3) float32: a smooth random texture moving ``shift`` pixels right per
    frame (frame k is the texture at time k; fractional times are exact sub-pixel crops)."""
    h, w = size
    rng = np.random.default_rng(seed)
    canvas = cv2.GaussianBlur(rng.random((h, w + 64, 3)).astype(np.float32), (0, 0), 2.5)
    canvas = (canvas - canvas.min()) / (canvas.max() - canvas.min()) * 0.8 + 0.1
    frames = []
    for k in range(n_frames):
        x = 48 - shift * k  # texture moves right: the crop window moves left
        m = np.float32([[1, 0, x], [0, 1, 0]])
        frames.append(cv2.warpAffine(canvas, m, (w, h),
                                     flags=cv2.INTER_CUBIC | cv2.WARP_INVERSE_MAP))
    return np.stack(frames)


def as_video(frames: np.ndarray) -> torch.Tensor:
    """(T, H, W, 3) -> (1, 3, T, H, W)."""
    return torch.from_numpy(frames).permute(3, 0, 1, 2)[None].contiguous()


def interior_psnr(a: torch.Tensor, b: torch.Tensor, border: int = 16) -> float:
    mse = ((a - b)[..., border:-border, border:-border] ** 2).mean().item()
    return 10 * np.log10(1 / mse)


@pytest.mark.parametrize('shift,step', [(6, Fraction(1, 2)), (5, Fraction(4, 5)),
                                        (6, Fraction(1, 3))])
def test_mvtools_frames_land_at_their_positions_and_beat_the_blend(shift, step):
    lr = as_video(translating(3, shift))
    positions = [float(j * step) for j in range(int(2 / step) + 1)]
    between = [i for i, p in enumerate(positions) if p != round(p)]
    # frame i of a clip moving shift * step per frame is the texture at position i * step
    truth = as_video(translating(len(positions), shift * step))
    size = tuple(lr.shape[-2:])
    mv = MVToolsResampler().upsample(lr, size, positions, float(step))
    blend = NaiveResampler().upsample(lr, size, positions, float(step))
    for i in between:
        mv_db = interior_psnr(mv[:, :, i], truth[:, :, i])
        blend_db = interior_psnr(blend[:, :, i], truth[:, :, i])
        # motion compensation moves the texture to where it is at that time, the blend ghosts it;
        # FlowFPS rounds the scaled vectors to its pel (1/2 pixel), hence ~38 dB at 1/3 or 4/5
        assert mv_db > max(33.0, blend_db + 3), (i, mv_db, blend_db)
        if step == Fraction(1, 2):  # 6-pixel vectors halve to whole pixels: exact up to 16 bit
            assert mv_db > 60, (i, mv_db)


def test_key_positions_return_the_bicubic_frames_exactly():
    torch.manual_seed(0)
    lr = torch.rand(2, 3, 3, 24, 32)
    size = (48, 64)
    positions = [0, 0.5, 1, 1.5, 2, 2.5]  # 2.5 lies past the last frame: it is held
    out = MVToolsResampler().upsample(lr, size, positions, 0.5)
    up = resize_frames(lr, size).clamp(0, 1)
    assert out.shape == (2, 3, 6, 48, 64)
    for i, k in ((0, 0), (2, 1), (4, 2), (5, 2)):
        assert torch.equal(out[:, :, i], up[:, :, k])
    for i in (1, 3):  # drawn by FlowFPS: neither neighbour
        assert not torch.equal(out[:, :, i], up[:, :, i // 2])
        assert not torch.equal(out[:, :, i], up[:, :, i // 2 + 1])


def test_flowfps_rate_makes_every_position_an_output_frame():
    exact = frame_positions([float(j * Fraction(4, 5)) for j in range(7)], 5)
    assert exact == [Fraction(4 * j, 5) for j in range(6)] + [Fraction(4)]
    assert common_rate([p for p in exact if p.denominator != 1]) == 5
    assert common_rate([Fraction(1, 2), Fraction(1, 3), Fraction(5, 4)]) == 12


def test_cstvr_eval_mvtools_scores_a_clip_and_writes_its_settings(tmp_path):
    clip = tmp_path / 'pan'
    clip.mkdir()
    for i, frame in enumerate(translating(7, 4)):
        rgb = (frame * 255).round().astype(np.uint8)
        cv2.imwrite(str(clip / f'im{i + 1}.png'), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    out = tmp_path / 'eval.json'
    proc = subprocess.run([sys.executable, '-m', 'mmagic_cstvr.cli', 'eval', '--model', 'naive',
                           'mvtools', '--data', str(clip), '--factors', '2x1', '--out', str(out),
                           '--quiet'], capture_output=True, text=True, timeout=600, cwd=REPO,
                          env=env())
    assert proc.returncode == 0, proc.stderr[-2000:]
    naive, mv = json.loads(out.read_text())
    assert 'settings' not in naive
    assert mv['settings'] == json.loads(json.dumps(MVTOOLS_SETTINGS))
    scores = {r['model']: r['results']['2x1']['pan']['all'] for r in (naive, mv)}
    assert scores['mvtools']['exact_frames'] == 4  # the kept key frames
    assert scores['mvtools']['psnr_rgb_dropped'] > scores['naive']['psnr_rgb_dropped'] + 5
    table = out.with_suffix('.md').read_text()
    assert '| mvtools | 2x1 | pan |' in table
    assert ('- mvtools settings: clip(format=YUV444P16, matrix=170m, range=full); Super(pel=2, '
            in table)
    assert 'Analyse(blksize=8, overlap=4' in table and 'FlowFPS(mask=2' in table
    assert 'mvtools settings' in proc.stdout
