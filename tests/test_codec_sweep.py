"""``cstvr codec-sweep``: a real ffmpeg encode between Downsample and Upsample (small clip)."""
import json

import cv2
import numpy as np
import pytest

from mmagic_cstvr.cli import main
from mmagic_cstvr.evaluation.codec_sweep import parse_codec
from mmagic_cstvr.media.probe import find_ffmpeg


def moving_clip(folder, n=7, h=48, w=64):
    """A textured picture panning right by 2 pixels a frame, as a PNG frame folder."""
    rng = np.random.default_rng(0)
    texture = cv2.GaussianBlur(rng.uniform(0, 255, (h, w + 2 * n, 3)), (0, 0), 1.5)
    folder.mkdir()
    for k in range(n):
        frame = np.clip(texture[:, 2 * k:2 * k + w], 0, 255).astype(np.uint8)
        cv2.imwrite(str(folder / f'{k:03d}.png'), frame)
    return folder


@pytest.mark.skipif(find_ffmpeg() is None, reason='needs ffmpeg')
def test_sweep_writes_results_and_quality_falls_with_crf(tmp_path):
    clip = moving_clip(tmp_path / 'clip')
    out = tmp_path / 'report'
    assert main(['codec-sweep', '--model', 'naive', 'steg', '--data', str(clip), '--factors',
                 '2x2', '--codecs', 'libx264:10,40', '--out', str(out), '--quiet']) == 0
    report = json.loads((out / 'codec_sweep.json').read_text())
    rows = {(r['model'], r['codec'], r['quality']): r for r in report['results']}
    assert len(rows) == 6
    for model in ('naive', 'steg'):
        clean, fine, coarse = (rows[(model, 'clean 8-bit', None)], rows[(model, 'libx264', 10)],
                               rows[(model, 'libx264', 40)])
        assert clean['frames'] == fine['frames'] == 7
        assert 20 < coarse['psnr_rgb'] < fine['psnr_rgb'] < clean['psnr_rgb'] < 60
        assert 0 < coarse['kbps'] < fine['kbps']
        assert clean['kbps'] is None and clean['lr_psnr'] == float('inf')
        assert coarse['lr_psnr'] < fine['lr_psnr'] < 60
    bd = report['bd']
    assert [(b['model'], b['codec']) for b in bd] == [('steg', 'libx264')]
    assert 'naive RGB PSNR at this kbit/s' in (out / 'codec_sweep.md').read_text()
    picture = cv2.imread(str(out / 'rd_curves.png'))
    assert picture is not None and picture.shape[0] > 200


@pytest.mark.skipif(find_ffmpeg() is None, reason='needs ffmpeg')
def test_a_lossless_10_bit_444_point_delivers_the_hidden_motion_and_crf_12_does_not(tmp_path):
    clip = moving_clip(tmp_path / 'clip')
    out = tmp_path / 'report'
    assert main(['codec-sweep', '--model', 'naive', 'steg', '--data', str(clip), '--factors',
                 '2x1', '--codecs', 'libx264:lossless,12', '--pix-fmt', 'yuv444p10le', '--out',
                 str(out), '--quiet']) == 0
    report = json.loads((out / 'codec_sweep.json').read_text())
    assert report['settings']['pix_fmt'] == 'yuv444p10le'
    rows = {(r['model'], r['quality']): r for r in report['results']}
    clean, lossless, crf12 = rows[('steg', None)], rows[('steg', 'lossless')], rows[('steg', 12)]
    assert lossless['lr_psnr'] == float('inf') and crf12['lr_psnr'] < 60
    assert lossless['psnr_rgb_dropped'] == pytest.approx(clean['psnr_rgb_dropped'], abs=0.05)
    assert crf12['psnr_rgb_dropped'] < lossless['psnr_rgb_dropped'] - 1
    # written where the encode keeps it (as cstvr downsample does); naive writes none
    assert [clean['hidden_motion'], lossless['hidden_motion'], crf12['hidden_motion']] == \
        [True, True, False]
    assert rows[('naive', 12)]['hidden_motion'] is None
    assert '| lossless | steg | written |' in (out / 'codec_sweep.md').read_text()


def test_codec_specs():
    assert parse_codec('libx264:18,23') == ('libx264', (18, 23))
    assert parse_codec('libx264:lossless,4') == ('libx264', ('lossless', 4))
    assert parse_codec('libx265')[0] == 'libx265'
    with pytest.raises(ValueError, match='not supported by the sweep'):
        parse_codec('h264_nvenc:20')
    with pytest.raises(ValueError, match='integers'):
        parse_codec('libx264:high')
    with pytest.raises(ValueError, match='ladder'):
        parse_codec('mpeg4')


def test_bad_options_are_named(tmp_path, capsys):
    clip = moving_clip(tmp_path / 'clip')
    assert main(['codec-sweep', '--data', str(clip), '--codecs', 'foo', '--quiet']) == 2
    assert 'codec \'foo\' is not supported' in capsys.readouterr().err
    assert main(['codec-sweep', '--data', str(tmp_path / 'missing'), '--quiet']) == 2
    assert 'missing' in capsys.readouterr().err
