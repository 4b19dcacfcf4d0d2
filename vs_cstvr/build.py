"""Compile the cstvr VapourSynth plugin and install it where the core autoloads plugins.

    python -m vs_cstvr.build            # build and install into the core's plugin folder
    python -m vs_cstvr.build --dest DIR # build into DIR instead (load it with std.LoadPlugin)
    python -m vs_cstvr.build --check    # also load it in a fresh core and list its functions

The plugin is one C file (``cstvr_plugin.c`` next to this module) compiled with the C compiler
(``$CC``, default ``gcc``) against the VapourSynth headers of the installed ``vapoursynth`` package
(``vapoursynth/include``; ``pkg-config vapoursynth`` for a system install). It does not link
libpython, so the same file works for any Python. The core autoloads
``<folder of libvapoursynth.so.4>/plugins`` (``vapoursynth.get_plugin_dir()``).
"""
from __future__ import annotations

import argparse
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import List, Optional

SOURCE = Path(__file__).resolve().parent / 'cstvr_plugin.c'
LIBRARY = 'libcstvr.so'


class BuildError(RuntimeError):
    """The plugin could not be compiled or installed."""


def _vapoursynth_dir() -> Optional[Path]:
    try:
        import importlib.util
        spec = importlib.util.find_spec('vapoursynth')
    except (ImportError, ValueError):
        return None
    if spec is None or spec.origin is None:
        return None
    return Path(spec.origin).resolve().parent


def include_flags() -> List[str]:
    """Compiler flags that find VapourSynth4.h."""
    vsdir = _vapoursynth_dir()
    if vsdir is not None and (vsdir / 'include' / 'VapourSynth4.h').is_file():
        return [f'-I{vsdir / "include"}']
    pkg = shutil.which('pkg-config')
    if pkg:
        res = subprocess.run([pkg, '--cflags', 'vapoursynth'], capture_output=True, text=True)
        if res.returncode == 0:
            return shlex.split(res.stdout)
    raise BuildError('VapourSynth4.h not found: install the vapoursynth package '
                     '(scripts/setup_env.sh does) or VapourSynth with its pkg-config file')


def plugin_dir() -> Path:
    """The folder the core autoloads plugins from."""
    try:
        import vapoursynth
        getter = getattr(vapoursynth, 'get_plugin_dir', None)
        if getter is not None:
            return Path(getter())
    except ImportError:
        pass
    vsdir = _vapoursynth_dir()
    if vsdir is not None and (vsdir / 'libvapoursynth.so.4').exists():
        return vsdir / 'plugins'
    raise BuildError('cannot find the VapourSynth core (libvapoursynth.so.4): pass --dest')


def build(dest: Optional[Path] = None, cc: Optional[str] = None, verbose: bool = False) -> Path:
    """Compile the plugin into ``dest`` (default: :func:`plugin_dir`) and return its path.

    The library is written to a temporary name and renamed into place, so a process that has the
    old one loaded keeps working.
    """
    dest = Path(dest) if dest is not None else plugin_dir()
    dest.mkdir(parents=True, exist_ok=True)
    compiler = cc or os.environ.get('CC') or 'gcc'
    if shutil.which(compiler) is None:
        raise BuildError(f'C compiler {compiler!r} not found (set CC or install gcc)')
    target = dest / LIBRARY
    fd, tmp = tempfile.mkstemp(prefix='.libcstvr-', suffix='.so', dir=dest)
    os.close(fd)
    cmd = [compiler, '-O2', '-std=c11', '-Wall', '-Wextra', '-shared', '-fPIC',
           '-fvisibility=hidden', *include_flags(), str(SOURCE), '-o', tmp, '-ldl', '-lpthread']
    if verbose:
        print(' '.join(shlex.quote(c) for c in cmd))
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        os.unlink(tmp)
        raise BuildError(f'compiling the cstvr plugin failed:\n{res.stderr}')
    if res.stderr.strip() and verbose:
        print(res.stderr, file=sys.stderr)
    os.chmod(tmp, 0o755)
    os.replace(tmp, target)
    return target


def check(path: Path) -> List[str]:
    """Load ``path`` in a fresh process and return the functions of the cstvr namespace."""
    code = ('import vapoursynth as vs, sys\n'
            'core = vs.core\n'
            'if not hasattr(core, "cstvr"):\n'
            '    core.std.LoadPlugin(path=sys.argv[1])\n'
            'print(" ".join(f.name for f in core.cstvr.functions()))\n')
    res = subprocess.run([sys.executable, '-c', code, str(path)], capture_output=True, text=True)
    if res.returncode != 0:
        raise BuildError(f'the plugin does not load:\n{res.stderr}')
    return res.stdout.split()


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog='python -m vs_cstvr.build', description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--dest', type=Path, help='output folder (default: the core plugin folder)')
    parser.add_argument('--cc', help='C compiler (default: $CC or gcc)')
    parser.add_argument('--check', action='store_true', help='load the plugin after building it')
    parser.add_argument('-v', '--verbose', action='store_true')
    args = parser.parse_args(argv)
    try:
        path = build(args.dest, args.cc, args.verbose)
        print(f'cstvr plugin: {path}')
        if args.check:
            print('functions:', ' '.join(check(path)))
    except BuildError as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
