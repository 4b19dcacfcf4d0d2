"""Build hook only (metadata lives in pyproject.toml).

`mim train/test mmagic_cstvr ...` looks for `tools/` and `configs/` inside the installed package's
`.mim/` folder (and `model-index.yml` for `mim list` and `mim search`). The repository keeps one
copy of each at its root; this build_py step copies their Python files and `metafile.yml`
(sub-folders such as `configs/_base_/` included) into `mmagic_cstvr/.mim/` of the build, so the
wheel carries them without duplicates in git.
"""
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
MIM_FOLDERS = ("configs", "tools")
MIM_FILES = ("model-index.yml",)


class BuildPyWithMim(build_py):
    def run(self):
        super().run()
        mim_dir = Path(self.build_lib) / "mmagic_cstvr" / ".mim"
        if mim_dir.exists():
            shutil.rmtree(mim_dir)
        for folder in MIM_FOLDERS:
            for src in sorted((ROOT / folder).rglob("*")):
                carried = src.suffix == ".py" or src.name == "metafile.yml"
                if "__pycache__" in src.parts or not carried:
                    continue
                dest = mim_dir / src.relative_to(ROOT)
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, dest)
        for name in MIM_FILES:
            shutil.copy2(ROOT / name, mim_dir / name)


setup(cmdclass={"build_py": BuildPyWithMim})
