"""The README's main job, end to end: examples/demo.py on the bundled sample with the shipped model
(real vspipe, plugin, x264 and bestsource)."""
import json
import subprocess
import sys
from pathlib import Path

from mmagic_cstvr.media.probe import probe

REPO = Path(__file__).resolve().parents[1]


def test_demo_round_trip_of_the_sample_clip(tmp_path):
    proc = subprocess.run([sys.executable, str(REPO / 'examples' / 'demo.py'), '--out', str(tmp_path)],
                          capture_output=True, text=True, timeout=900, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    metrics = json.loads((tmp_path / 'metrics.json').read_text())
    for name, frames, fps, size in (('transmitted_12fps_160x90.mp4', 24, 12, (160, 90)),
                                    ('restored_24fps_640x360.mp4', 48, 24, (640, 360)),
                                    ('upsampled_59.94fps_640x360.mp4', 120, '60000/1001', (640, 360))):
        info = probe(tmp_path / name)
        assert (info.num_frames, str(info.fps), (info.width, info.height)) == \
            (frames, str(fps), size)
    assert metrics['upsampled_59.94fps_frames'] == 120
    assert 15 < metrics['psnr_rgb']['naive'] < 60 and 15 < metrics['psnr_rgb']['ours'] < 60
    assert (tmp_path / 'side_by_side.png').stat().st_size > 10_000
    assert str(tmp_path) in proc.stdout
