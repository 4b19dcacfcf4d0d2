"""The papers' evaluation protocol, metrics and baselines, checked against independent code."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mmagic_cstvr.archs import FlowResampler, NaiveResampler
from mmagic_cstvr.evaluation import evaluate_clip, psnr, ssim, summarise
from mmagic_cstvr.evaluation.harness import parse_factors
from mmagic_cstvr.media.readers import read_frame_folder
from mmagic_cstvr.structures.timeline import eval_windows
from shared_data import SHARED, needs_shared_data


def test_psnr_of_one_level_offset_is_48_13_db():
    a = np.full((16, 16, 3), 100, np.uint8)
    assert psnr(a, a + 1) == pytest.approx(48.1308, abs=1e-4)
    assert psnr(a, a) == float('inf')


def test_ssim_identity_and_degradation():
    rng = np.random.default_rng(0)
    ramp = np.linspace(60, 190, 40)
    a = np.stack([ramp[None, :] + 0 * ramp[:, None]] * 3, -1).astype(np.uint8)
    assert ssim(a, a) == pytest.approx(1.0)
    noisy = np.clip(a + rng.normal(0, 20, a.shape), 0, 255).astype(np.uint8)
    slightly = np.clip(a + rng.normal(0, 2, a.shape), 0, 255).astype(np.uint8)
    assert 0 < ssim(a, noisy) < ssim(a, slightly) < 1


@pytest.mark.parametrize('n,expected', [
    (7, [(0, 7)]), (5, [(0, 5)]), (13, [(0, 7), (6, 13)]),
    (41, [(0, 7), (6, 13), (12, 19), (18, 25), (24, 31), (30, 37), (34, 41)])])
def test_protocol_windows_cover_every_frame(n, expected):
    assert eval_windows(n) == expected


def test_factor_parsing():
    assert parse_factors('2x4') == (2.0, 4.0)
    assert parse_factors('5/4x1') == (1.25, 1.0)
    assert parse_factors('2.5x2.5') == (2.5, 2.5)
    for bad in ('2', '0x4', '2x-1', 'axb'):
        with pytest.raises(ValueError):
            parse_factors(bad)


def _independent_naive(frames, factor, scale):
    """The naive cascade written again from its definition with plain torch calls."""
    t, h, w, _ = frames.shape
    hr = torch.from_numpy(frames).float().permute(0, 3, 1, 2) / 255
    lr_size = (round(h / scale), round(w / scale))
    keep = list(range(0, t, factor))
    lr = F.interpolate(hr[keep], size=lr_size, mode='bicubic', align_corners=False, antialias=True)
    lr = torch.floor(lr.clamp(0, 1) * 255 + 0.5) / 255
    up = F.interpolate(lr, size=(h, w), mode='bicubic', align_corners=False).clamp(0, 1)
    out = []
    for i in range(t):
        j, frac = divmod(i, factor)
        out.append(up[j] if frac == 0 else up[j] * (1 - frac / factor) + up[j + 1] * frac / factor)
    return np.floor(torch.stack(out).clamp(0, 1).permute(0, 2, 3, 1).numpy() * 255 + 0.5).astype(np.uint8)


@needs_shared_data
def test_naive_baseline_matches_independent_computation():
    frames = read_frame_folder(SHARED / 'vimeo_samples' / '00018_0043')
    ours = summarise({'c': evaluate_clip(NaiveResampler(), frames, 2, 4)})['all']['psnr_rgb']
    ref = np.mean([psnr(a, b) for a, b in zip(frames, _independent_naive(frames, 2, 4))])
    assert ours == pytest.approx(ref, abs=0.05)


@needs_shared_data
def test_flow_baseline_beats_naive_interpolation_on_motion():
    frames = read_frame_folder(SHARED / 'vimeo_samples' / '00001_0808')
    naive = summarise({'c': evaluate_clip(NaiveResampler(), frames, 2, 1)})['all']
    flow = summarise({'c': evaluate_clip(FlowResampler(), frames, 2, 1)})['all']
    assert naive['exact_frames'] == flow['exact_frames'] == 4
    # kept key frames are the exact ones, so the protocol mean is the mean over dropped frames
    assert naive['psnr_rgb_dropped'] == pytest.approx(naive['psnr_rgb'])
    scores = evaluate_clip(NaiveResampler(), frames, 2, 1)
    assert scores['dropped'] == [False, True, False, True, False, True, False]
    assert flow['psnr_rgb'] > naive['psnr_rgb'] + 3


@needs_shared_data
def test_report_writes_table_plot_and_picture(tmp_path):
    import subprocess
    import sys

    import cv2
    clip = SHARED / 'vimeo_samples' / '00018_0043'
    proc = subprocess.run([sys.executable, '-m', 'mmagic_cstvr.cli', 'report', '--model', 'naive',
                           '--data', str(clip), '--factors', '2x4', '--sweep-data', str(clip),
                           '--crop-data', str(clip), '--out', str(tmp_path), '--quiet'],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    table = (tmp_path / 'results.md').read_text()
    assert '| naive | 2x4 | 00018_0043 |' in table
    for picture in ('psnr_vs_factor.png', 'side_by_side.png'):
        image = cv2.imread(str(tmp_path / picture))
        assert image is not None and image.shape[0] > 100 and image.std() > 5
