"""The environment made by scripts/setup_env.sh is real: VapourSynth R81 with vspipe and
bestsource, ffmpeg with libx264, the OpenMMLab stack, and this project installed where mim finds it.

Every binary is taken from the virtual environment that runs the tests.
"""
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent
REPO = Path(__file__).resolve().parents[1]


def run(cmd, **kw):
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    return subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=300, env=env, **kw)


# ---------------------------------------------------------------------------------------------
# VapourSynth

def test_vapoursynth_core_is_r81():
    import vapoursynth as vs

    assert vs.core.core_version.release_major == 81
    clip = vs.core.std.BlankClip(width=32, height=16, length=3, format=vs.YUV420P8)
    frame = clip.get_frame(2)
    assert (frame.width, frame.height) == (32, 16)


def test_vspipe_version():
    res = run([BIN / "vspipe", "--version"])
    assert res.returncode == 0, res.stderr
    assert "Core R81" in res.stdout


def test_vspipe_info_runs_a_script(tmp_path):
    script = tmp_path / "blank.vpy"
    script.write_text(textwrap.dedent("""\
        import vapoursynth as vs
        vs.core.std.BlankClip(width=64, height=48, length=7, format=vs.YUV420P8, fpsnum=25).set_output()
        """))
    res = run([BIN / "vspipe", "--info", script, "-"])
    assert res.returncode == 0, res.stderr
    assert "Frames: 7" in res.stdout
    assert "Width: 64" in res.stdout and "Height: 48" in res.stdout


def test_vspipe_y4m_to_stdout(tmp_path):
    script = tmp_path / "blank.vpy"
    script.write_text("import vapoursynth as vs\n"
                      "vs.core.std.BlankClip(width=16, height=8, length=2, format=vs.YUV420P8).set_output()\n")
    res = subprocess.run([str(BIN / "vspipe"), "-c", "y4m", str(script), "-"], capture_output=True, timeout=120)
    assert res.returncode == 0, res.stderr
    header, body = res.stdout.split(b"\n", 1)
    assert header.startswith(b"YUV4MPEG2 ") and b" W16 " in header and b" H8 " in header
    assert len(body) == 2 * (len(b"FRAME\n") + 16 * 8 * 3 // 2)  # two 4:2:0 frames


# ---------------------------------------------------------------------------------------------
# ffmpeg + bestsource

def test_ffmpeg_has_libx264():
    res = run([BIN / "ffmpeg", "-hide_banner", "-encoders"])
    assert res.returncode == 0, res.stderr
    assert "libx264" in res.stdout


def test_bestsource_reads_an_mp4_written_by_ffmpeg(tmp_path):
    import vapoursynth as vs

    video = tmp_path / "test.mp4"
    res = run([BIN / "ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "lavfi",
               "-i", "testsrc=size=96x64:rate=24", "-frames:v", "12",
               "-c:v", "libx264", "-pix_fmt", "yuv420p", video])
    assert res.returncode == 0, res.stderr
    assert video.stat().st_size > 0
    clip = vs.core.bs.VideoSource(source=str(video), cachemode=0)
    assert clip.num_frames == 12
    assert (clip.width, clip.height) == (96, 64)
    assert clip.format.name == "YUV420P8"
    assert clip.fps == vs.core.std.BlankClip(fpsnum=24, fpsden=1).fps
    import numpy as np

    luma = np.asarray(clip.get_frame(11)[0])
    assert luma.shape == (64, 96) and luma.std() > 10  # the test pattern, not a blank frame


# ---------------------------------------------------------------------------------------------
# OpenMMLab stack, the project, mim

def test_mmagic_registry_and_project_components():
    import mmagic_cstvr
    from mmagic.registry import MODELS

    mmagic_cstvr.register_all_modules()
    ours = {name for name, cls in MODELS.module_dict.items()
            if getattr(cls, "__module__", "").startswith("mmagic_cstvr")}
    assert ours, "no mmagic_cstvr component registered in mmagic's MODELS registry"


def test_mim_finds_the_installed_package(tmp_path):
    # mim's own package lookup, run the way `mim train` runs it: outside the source tree
    code = "from mim.utils import get_installed_path; print(get_installed_path('mmagic_cstvr'))"
    res = run([sys.executable, "-W", "ignore", "-c", code], cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    path = Path(res.stdout.strip().splitlines()[-1])
    assert path.name == "mmagic_cstvr"
    assert path.parent != REPO, "mim must see the installed (non-editable) package"
    mim = path / ".mim"
    assert (mim / "tools" / "train.py").read_text() == (REPO / "tools" / "train.py").read_text()
    assert (mim / "tools" / "test.py").read_text() == (REPO / "tools" / "test.py").read_text()
    shipped = {p.relative_to(mim / "configs") for p in (mim / "configs").rglob("*.py")}
    in_repo = {p.relative_to(REPO / "configs") for p in (REPO / "configs").rglob("*.py")}
    assert shipped == in_repo and shipped, "installed configs differ: rerun scripts/setup_env.sh"


def test_mim_list_shows_cstvr(tmp_path):
    res = run([BIN / "mim", "list"], cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert any(line.split()[:1] == ["mmagic-cstvr"] for line in res.stdout.splitlines()), res.stdout


def test_cstvr_info_command():
    res = run([BIN / "cstvr", "info"])
    assert res.returncode == 0, res.stderr
    assert "R81" in res.stdout
    assert "mmagic" in res.stdout and "1.2.0" in res.stdout
    assert str(BIN / "ffmpeg") in res.stdout
    res = run([BIN / "cstvr", "--version"])
    assert res.returncode == 0 and res.stdout.startswith("cstvr ")


@pytest.mark.parametrize("tool", ["train.py", "test.py"])
def test_tools_parse_their_arguments(tool):
    res = run([sys.executable, REPO / "tools" / tool, "--help"])
    assert res.returncode == 0, res.stderr
    assert "--launcher" in res.stdout and "--cfg-options" in res.stdout
