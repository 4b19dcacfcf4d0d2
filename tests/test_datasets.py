"""Training and evaluation datasets on real decoded video: windows, cuts, augmentation, packing."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import mmagic_cstvr

mmagic_cstvr.register_all_modules()
from mmagic.registry import DATASETS  # noqa: E402

from mmagic_cstvr.datasets.footage import detect_cuts, load_footage  # noqa: E402
from mmagic_cstvr.media.readers import expand_sources  # noqa: E402

FFMPEG = Path(sys.executable).parent / 'ffmpeg'


@pytest.fixture(scope='module')
def clip_with_cut(tmp_path_factory):
    """20 frames of one scene, then 20 of a very different one, 96x64, x264."""
    path = tmp_path_factory.mktemp('video') / 'cut.mp4'
    subprocess.run([str(FFMPEG), '-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=96x64:rate=25:d=0.8',
                    '-f', 'lavfi', '-i', 'mandelbrot=size=96x64:rate=25', '-filter_complex',
                    '[1]trim=end_frame=20[b];[0][b]concat=n=2:v=1', '-c:v', 'libx264', '-crf', '10',
                    '-pix_fmt', 'yuv420p', str(path)], check=True)
    return path


def test_scene_cut_is_detected_and_windows_avoid_it(clip_with_cut):
    clip = load_footage(clip_with_cut)[0]
    assert clip.frames.shape == (40, 64, 96, 3)
    assert clip.cuts == [20]
    starts = clip.window_starts(7)
    assert starts and all(not (s < 20 < s + 7) for s in starts)
    assert len(starts) == 2 * (20 - 7 + 1)


def test_training_dataset_packs_augmented_windows(clip_with_cut):
    ds = DATASETS.build(dict(type='TrainingWindowDataset', sources=[str(clip_with_cut)],
                             num_frames=7, crop_size=32, samples_per_epoch=12, scales=(1.0, 0.5)))
    assert len(ds) == 12 and len(ds.clips) == 2  # both scales have 32-pixel crops
    for i in range(12):
        item = ds[i]
        assert tuple(item['inputs'].shape) == (7, 3, 32, 32)
        sample = item['data_samples']
        assert sample.metainfo['gt_channel_order'] == 'bgr'
        assert tuple(sample.gt_img.shape) == (7, 3, 32, 32)


def test_training_dataset_rejects_bad_arguments(clip_with_cut, tmp_path):
    with pytest.raises(TypeError, match='unknown arguments'):
        DATASETS.build(dict(type='TrainingWindowDataset', sources=[str(clip_with_cut)], cropsize=3))
    with pytest.raises(ValueError, match='no clip'):
        DATASETS.build(dict(type='TrainingWindowDataset', sources=[str(clip_with_cut)], crop_size=512))
    with pytest.raises(FileNotFoundError, match='does not exist'):
        expand_sources([str(tmp_path / 'missing')])


def test_cut_detector_ignores_steady_motion():
    row = (128 + 100 * np.sin(np.arange(64) * 2 * np.pi / 64)).astype(np.uint8)  # periodic pan
    frames = np.stack([np.roll(np.tile(row, (48, 1)), 2 * k, 1) for k in range(12)])
    assert detect_cuts(np.repeat(frames[..., None], 3, -1)) == []


def test_eval_dataset_windows_over_frame_folders(tmp_path):
    import cv2
    for clip, n in (('a', 13), ('b', 5)):
        folder = tmp_path / clip
        folder.mkdir()
        for k in range(n):
            cv2.imwrite(str(folder / f'{k:08d}.png'), np.full((16, 24, 3), k * 10, np.uint8))
    ds = DATASETS.build(dict(type='EvalWindowDataset', sources=[str(tmp_path)]))
    keys = [ds[i]['data_samples'].metainfo['key'] for i in range(len(ds))]
    assert keys == ['a/0000', 'a/0006', 'b/0000']
    assert tuple(ds[2]['inputs'].shape) == (5, 3, 16, 24)
