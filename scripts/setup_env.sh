#!/usr/bin/env bash
# Set up (or bring up to date) the project's virtual environment in <repo>/.venv.
#
# Idempotent: every step records a stamp (a hash of what it installs) under .venv/.cstvr-stamps and
# is skipped when the stamp matches, so a second run with nothing changed takes a few seconds.
#
# What it installs (see README.md, "Troubleshooting", for the why):
#   1. torch: kept when the venv already imports it; otherwise `pip install torch==2.13.0`
#      (on this project's machines pip takes the CPU wheel from its find-links folder).
#      A pip constraints file (.venv/cstvr-constraints.txt) then pins torch, torchvision and
#      setuptools<81 for every later pip call, so nothing can swap torch for a CUDA build.
#   2. VapourSynth R81 with vspipe: `pip install vapoursynth==81` on Python >= 3.12; on older
#      Pythons scripts/build_vapoursynth.py rebuilds the Python module of the R81 binary wheel for
#      this interpreter and repacks it (cached under .venv/cstvr-cache). Then `vapoursynth config`,
#      the bestsource source filter and MVTools (the `mvtools` baseline of `cstvr eval`).
#   3. The OpenMMLab stack: mmengine 0.10.7, mmcv-lite 2.1.0, mmagic 1.2.0 (--no-deps, plus what it
#      really imports), openmim 0.3.9 (--no-deps), torchvision (--no-deps), and tools.
#   4. ffmpeg: the static binary of the imageio-ffmpeg wheel, linked as .venv/bin/ffmpeg.
#   5. This project, installed non-editable (so `mim` finds its .mim/ folder); always reinstalled.
#
# Environment: PYTHON (interpreter for a new venv, default python3), CSTVR_VENV (venv path),
# CSTVR_TORCH_VERSION (torch to install when the venv has none, default 2.13.0).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${CSTVR_VENV:-$ROOT/.venv}"
PYTHON_BASE="${PYTHON:-python3}"
TORCH_DEFAULT="${CSTVR_TORCH_VERSION:-2.13.0}"
VS_RELEASE=81
BESTSOURCE_VERSION=22
MVTOOLS_VERSION=29
IMAGEIO_FFMPEG_VERSION=0.8.1
# OpenCV 4 (what mmcv 2.1 / mmagic 1.2 were written for); full and headless builds kept identical
# because albumentations pulls the headless one and both install the same cv2 package.
OPENCV_VERSION=4.14.0.94

T0=$(date +%s)
log() { echo "[setup] $*"; }
die() { echo "[setup] ERROR: $*" >&2; exit 1; }

# ---------------------------------------------------------------------------------------------
# venv
if [ ! -x "$VENV/bin/python" ]; then
    log "creating virtual environment $VENV with $PYTHON_BASE"
    "$PYTHON_BASE" -m venv "$VENV"
else
    log "using virtual environment $VENV"
fi
VPY="$VENV/bin/python"
PYVER="$("$VPY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
PYOK="$("$VPY" -c 'import sys; print(int(sys.version_info >= (3, 10)))')"
[ "$PYOK" = 1 ] || die "Python >= 3.10 needed, the venv has $PYVER"
PY_GE_312="$("$VPY" -c 'import sys; print(int(sys.version_info >= (3, 12)))')"
log "python $PYVER ($("$VPY" -c 'import sys; print(sys.executable)'))"

STAMPS="$VENV/.cstvr-stamps"
CACHE="$VENV/cstvr-cache"
CONSTRAINTS="$VENV/cstvr-constraints.txt"
mkdir -p "$STAMPS" "$CACHE"

# pip, quietly; drops only the warnings about missing local index folders some machines print.
pip_q() {
    "$VPY" -m pip --disable-pip-version-check "$@" 2>&1 \
        | { grep -v "^WARNING: Location 'file:.*' is ignored" || true; }
}
pip_c() { pip_q install -q -c "$CONSTRAINTS" "$@"; }

hash_of() { printf '%s\n' "$@" | sha256sum | cut -c1-16; }
# has_dists NAME==VERSION|NAME ...: are these distributions installed (cheap: metadata only)?
has_dists() {
    "$VPY" - "$@" <<'EOF' >/dev/null 2>&1
import sys, importlib.metadata as md
for req in sys.argv[1:]:
    name, _, version = req.partition("==")
    assert version in ("", md.version(name).split("+")[0]), req
EOF
}
# step NAME KEY FUNCTION [PROBE...]: run FUNCTION unless the stamp NAME holds KEY and the
# probe command (if given) still succeeds, e.g. nobody uninstalled the packages since.
step() {
    local name="$1" key="$2" fn="$3" t
    shift 3
    if [ -f "$STAMPS/$name" ] && [ "$(cat "$STAMPS/$name")" = "$key" ]; then
        if [ $# -eq 0 ] || "$@"; then
            log "[$name] up to date, skipped"
            return
        fi
        log "[$name] stamp is current but the packages are not: reinstalling"
    fi
    t=$(date +%s)
    log "[$name] installing ..."
    rm -f "$STAMPS/$name"
    "$fn"
    echo "$key" > "$STAMPS/$name"
    log "[$name] done in $(( $(date +%s) - t )) s"
}

# ---------------------------------------------------------------------------------------------
# 1. torch and the constraints file
TORCH_VERSION="$("$VPY" -c 'import torch; print(torch.__version__)' 2>/dev/null || true)"
if [ -n "$TORCH_VERSION" ]; then
    log "[torch] the venv already has torch $TORCH_VERSION: keeping it"
else
    log "[torch] installing torch==$TORCH_DEFAULT"
    # On this project's machines pip's find-links folder holds the CPU wheel of 2.13.0.
    pip_q install -q "torch==$TORCH_DEFAULT"
    TORCH_VERSION="$("$VPY" -c 'import torch; print(torch.__version__)')"
    log "[torch] installed torch $TORCH_VERSION"
fi
# torchvision's minor version is torch's + 15 (torch 2.13 <-> torchvision 0.28).
TORCHVISION_VERSION="${CSTVR_TORCHVISION_VERSION:-$("$VPY" - "$TORCH_VERSION" <<'EOF'
import sys
major, minor, patch = (sys.argv[1].split("+")[0].split(".") + ["0"])[:3]
print(f"0.{int(minor) + 15}.{int(''.join(c for c in patch if c.isdigit()) or 0)}")
EOF
)}"
cat > "$CONSTRAINTS.new" <<EOF
# Generated by scripts/setup_env.sh: used with -c on every pip call after torch is in place.
# It keeps pip from replacing the installed torch (e.g. by a CUDA build pulled in as a dependency).
torch==$TORCH_VERSION
torchvision==$TORCHVISION_VERSION
# pkg_resources is used by mmengine and openmim; setuptools 81 removed it.
setuptools<81
opencv-python==$OPENCV_VERSION
opencv-python-headless==$OPENCV_VERSION
EOF
if ! cmp -s "$CONSTRAINTS.new" "$CONSTRAINTS" 2>/dev/null; then
    mv "$CONSTRAINTS.new" "$CONSTRAINTS"
    log "[torch] wrote $CONSTRAINTS (torch==$TORCH_VERSION, torchvision==$TORCHVISION_VERSION)"
else
    rm -f "$CONSTRAINTS.new"
fi
BASEKEY="$(hash_of "$PYVER" "$TORCH_VERSION" "$(cat "$CONSTRAINTS")")"

# ---------------------------------------------------------------------------------------------
# 2. build tools, VapourSynth, bestsource, MVTools
BUILD_TOOLS=("setuptools>=64,<81" "wheel" "Cython==3.3.1")
do_build_tools() { pip_c "${BUILD_TOOLS[@]}"; }
step build-tools "$(hash_of "$BASEKEY" "${BUILD_TOOLS[@]}")" do_build_tools has_dists setuptools wheel Cython

do_vapoursynth() {
    if [ "$PY_GE_312" = 1 ]; then
        pip_c "vapoursynth==$VS_RELEASE"
    else
        log "[vapoursynth] Python $PYVER: building the R$VS_RELEASE Python module for this interpreter"
        log "[vapoursynth] (core, vspipe and headers come from the official binary wheel; see scripts/build_vapoursynth.py)"
        local whl key
        key="$(sha256sum "$ROOT/scripts/build_vapoursynth.py" | cut -c1-12)"
        whl="$("$VPY" "$ROOT/scripts/build_vapoursynth.py" --release "$VS_RELEASE" \
            --out "$CACHE/vapoursynth-$PYVER-$key" | tail -n 1)"
        [ -f "$whl" ] || die "VapourSynth wheel build failed"
        pip_c --force-reinstall --no-deps "$whl"
    fi
    "$VPY" -c "import vapoursynth as vs; assert vs.core.core_version.release_major == $VS_RELEASE, vs.core.core_version; print('[setup] [vapoursynth] core', vs.core.core_version)"
}
step vapoursynth "$(hash_of "$BASEKEY" "$VS_RELEASE" "$(sha256sum "$ROOT/scripts/build_vapoursynth.py")")" do_vapoursynth \
    has_dists "vapoursynth==$VS_RELEASE"

# plugin_wheel NAME VERSION: the PyPI wheel vapoursynth-NAME==VERSION, whose .so lands in the
# core's autoload folder. The wheels' metadata asks for Python >= 3.12 (and lists VapourSynth as a
# dependency) although the plugins do not use Python.
plugin_wheel() {
    rm -rf "$CACHE/$1"
    pip_q download -q --no-deps --only-binary=:all: --python-version 3.12 \
        -d "$CACHE/$1" "vapoursynth-$1==$2"
    pip_c --no-deps --ignore-requires-python "$CACHE/$1"/vapoursynth_"$1"-*.whl
}
do_bestsource() { plugin_wheel bestsource "$BESTSOURCE_VERSION"; }
step bestsource "$(hash_of "$BASEKEY" "$BESTSOURCE_VERSION")" do_bestsource \
    has_dists "vapoursynth-bestsource==$BESTSOURCE_VERSION"
do_mvtools() { plugin_wheel mvtools "$MVTOOLS_VERSION"; }
step mvtools "$(hash_of "$BASEKEY" "$MVTOOLS_VERSION")" do_mvtools \
    has_dists "vapoursynth-mvtools==$MVTOOLS_VERSION"

# vspipe finds Python through vapoursynth.toml (keyed by this install's libvsscript.so and the
# interpreter's mtime): cheap, so always refreshed.
log "[vapoursynth] vapoursynth config"
PATH="$VENV/bin:$PATH" "$VENV/bin/vapoursynth" config | sed 's/^/[setup] [vapoursynth] /'

# ---------------------------------------------------------------------------------------------
# 3. OpenMMLab stack and the rest
# mmagic 1.2.0 declares heavy dependencies it never imports for our use (mediapipe, av, tensorboard,
# facexlib, face-alignment, lmdb, controlnet-aux): it is installed with --no-deps plus what its
# subpackages really import. openmim's opendatalab dependency downgrades several packages: skipped.
MM_NODEPS=("mmagic==1.2.0" "openmim==0.3.9" "torchvision==$TORCHVISION_VERSION")
MM_DEPS=(
    "mmengine==0.10.7" "mmcv-lite==2.1.0"
    # what mmagic imports
    click requests einops safetensors tqdm scipy lpips imageio pandas resize-right pillow
    "albumentations" "diffusers==0.28.2" "huggingface_hub<0.26" "transformers<5"
    # what openmim imports
    model-index tabulate colorama rich
    # ours
    opencv-python matplotlib pytest "imageio-ffmpeg==$IMAGEIO_FFMPEG_VERSION"
)
do_openmmlab() {
    pip_c --no-deps "${MM_NODEPS[@]}"
    log "[openmmlab] (pip lists mmagic's and openmim's skipped dependencies below: expected, see README)"
    pip_c "${MM_DEPS[@]}"
    # albumentations pulls opencv-python-headless, whose files overwrite opencv-python's:
    # reinstall opencv-python last so cv2 is the full build.
    pip_c --no-deps --force-reinstall "opencv-python==$OPENCV_VERSION"
}
step openmmlab "$(hash_of "$BASEKEY" "${MM_NODEPS[@]}" "${MM_DEPS[@]}")" do_openmmlab \
    has_dists "${MM_NODEPS[@]}" mmengine==0.10.7 mmcv-lite==2.1.0 "opencv-python==$OPENCV_VERSION" \
    "imageio-ffmpeg==$IMAGEIO_FFMPEG_VERSION" diffusers transformers albumentations lpips pytest

# ---------------------------------------------------------------------------------------------
# 4. ffmpeg
FFMPEG_SRC="$("$VPY" -c 'import imageio_ffmpeg; print(imageio_ffmpeg.get_ffmpeg_exe())')"
if [ "$(readlink "$VENV/bin/ffmpeg" 2>/dev/null || true)" != "$FFMPEG_SRC" ]; then
    ln -sf "$FFMPEG_SRC" "$VENV/bin/ffmpeg"
    log "[ffmpeg] linked $VENV/bin/ffmpeg -> $FFMPEG_SRC"
fi
# (capture first: `ffmpeg | grep -q` can die of SIGPIPE, which pipefail would report as "no libx264")
FFMPEG_ENCODERS="$("$VENV/bin/ffmpeg" -hide_banner -encoders 2>/dev/null || true)"
if ! grep -q libx264 <<<"$FFMPEG_ENCODERS"; then
    log "[ffmpeg] the imageio-ffmpeg binary has no libx264"
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        log "[ffmpeg] installing Debian's ffmpeg (apt-get install -y ffmpeg) and linking it instead"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ffmpeg
        ln -sf "$(command -v ffmpeg)" "$VENV/bin/ffmpeg"
    else
        die "no ffmpeg with libx264: install one (e.g. apt-get install ffmpeg) and link it as $VENV/bin/ffmpeg"
    fi
fi
log "[ffmpeg] $("$VENV/bin/ffmpeg" -version | head -n 1)"

# ---------------------------------------------------------------------------------------------
# 5. the project itself, non-editable (mim's package lookup breaks on editable installs)
log "[cstvr] pip install --no-deps --no-build-isolation $ROOT"
rm -rf "$ROOT/build"
pip_c --no-deps --no-build-isolation --force-reinstall "$ROOT"
# the in-tree build leaves these behind; an .egg-info folder in the source tree would make
# pkg_resources (and so mim) see the source folder instead of the installed package
rm -rf "$ROOT/build" "$ROOT"/*.egg-info
# the VapourSynth plugin (core.cstvr.*), compiled into the core's autoload folder in under a second
"$VPY" -m vs_cstvr.build --check | sed 's/^/[setup] [cstvr] /'

# ---------------------------------------------------------------------------------------------
# check: everything imports together, and torch is still the one we started with
"$VPY" - "$TORCH_VERSION" <<'EOF'
import sys
import mmagic_cstvr  # applies the compatibility fixes
import torch, torchvision, mmengine, mmcv, mmagic.registry, vapoursynth as vs, cv2
assert torch.__version__ == sys.argv[1], f"torch changed: {torch.__version__} != {sys.argv[1]}"
assert hasattr(vs.core, "bs"), "bestsource plugin not loaded"
assert hasattr(vs.core, "mv"), "MVTools plugin not loaded"
print(f"[setup] check: torch {torch.__version__}, torchvision {torchvision.__version__}, "
      f"mmengine {mmengine.__version__}, mmcv {mmcv.__version__}, VapourSynth {vs.core.core_version.release_major}, "
      f"cv2 {cv2.__version__}, cstvr {mmagic_cstvr.__version__}")
EOF
log "done in $(( $(date +%s) - T0 )) s. Activate with: source $VENV/bin/activate"
