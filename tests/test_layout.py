"""The packages import only downward: every import of a project module (at any depth of a module,
relative or absolute) goes to the same layer or a lower one, the library layers never import the
VapourSynth front end, and no module sits loose at the top of ``mmagic_cstvr/``."""
import ast
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Tuple

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ('mmagic_cstvr', 'vs_cstvr')

#: The layers of ``mmagic_cstvr``, lowest first; a package may import its own layer and the ones
#: below. ``errors`` (the exception hierarchy) is at the bottom, where every layer can raise them. ``utils`` shares a layer with the mmagic components: ``runner_setup`` registers them
#: (through the package's ``register_all_modules``, so the package root sits there too) and
#: ``compat`` imports nothing of the project. ``registry`` (name -> network class) sits there too:
#: it names the ``archs`` classes, ``models`` feeds mmagic's ``MODELS`` from it, and the weights
#: loader (``engine``) and the evaluation commands look names up in it.
LAYERS: List[Tuple[str, ...]] = [
    ('structures', 'errors'),
    ('media',),
    ('archs',),
    ('models', 'losses', 'datasets', 'utils', 'registry', ''),
    ('engine',),
    ('evaluation', 'apis'),
    ('cli',),
]
#: The front ends that drive a VapourSynth graph: the only part of ``mmagic_cstvr`` that may import
#: ``vs_cstvr`` (which in turn may import every layer but these).
FRONT_ENDS = ('cli',)
#: Modules allowed directly in ``mmagic_cstvr/``.
TOP_LEVEL = {'__init__.py', 'registry.py', 'errors.py'}


def module_name(path: Path) -> Tuple[str, bool]:
    """The dotted name of a source file, and whether it is a package's ``__init__``."""
    parts = list(path.relative_to(REPO).with_suffix('').parts)
    if parts[-1] == '__init__':
        return '.'.join(parts[:-1]), True
    return '.'.join(parts), False


def project_imports(path: Path) -> Iterator[str]:
    """Every project module ``path`` imports, at any depth (``from X import name`` yields
    ``X.name`` when that is a module, else ``X``)."""
    name, is_package = module_name(path)
    package = name.split('.') if is_package else name.split('.')[:-1]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - node.level + 1]
                module = '.'.join(base + ([node.module] if node.module else []))
            else:
                module = node.module
            targets = [f'{module}.{alias.name}' if is_module(f'{module}.{alias.name}') else module
                       for alias in node.names]
        else:
            continue
        yield from (t for t in targets if t.split('.')[0] in PACKAGES)


def is_module(name: str) -> bool:
    path = REPO.joinpath(*name.split('.'))
    return path.with_suffix('.py').is_file() or (path / '__init__.py').is_file()


def layer(module: str) -> Optional[int]:
    """The layer of a ``mmagic_cstvr`` module (None for ``vs_cstvr``)."""
    parts = module.split('.')
    if parts[0] != 'mmagic_cstvr':
        return None
    sub = parts[1] if len(parts) > 1 else ''
    for level, packages in enumerate(LAYERS):
        if sub in packages:
            return level
    raise AssertionError(f'{module}: mmagic_cstvr.{sub} is in no layer of tests/test_layout.py')


def sources() -> List[Path]:
    return sorted(p for package in PACKAGES for p in (REPO / package).rglob('*.py'))


def import_pairs() -> Dict[Tuple[str, str], Path]:
    return {(module_name(path)[0], target): path
            for path in sources() for target in project_imports(path)}


def test_imports_go_to_the_same_layer_or_below():
    upward = [f'{src} -> {dst}' for src, dst in import_pairs()
              if src.startswith('mmagic_cstvr') and dst.startswith('mmagic_cstvr')
              and layer(dst) > layer(src)]
    assert not upward, ('imports to a higher layer (move the function down instead):\n'
                        + '\n'.join(upward))


def test_only_the_front_ends_import_vs_cstvr():
    wrong = [f'{src} -> {dst}' for src, dst in import_pairs()
             if src.startswith('mmagic_cstvr') and dst.startswith('vs_cstvr')
             and layer(src) < min(layer(f'mmagic_cstvr.{p}') for p in FRONT_ENDS)]
    wrong += [f'{src} -> {dst}' for src, dst in import_pairs()
              if src.startswith('vs_cstvr') and dst.startswith('mmagic_cstvr')
              and layer(dst) >= min(layer(f'mmagic_cstvr.{p}') for p in FRONT_ENDS)]
    assert not wrong, ('the library layers must not import vs_cstvr, nor vs_cstvr the front '
                       'ends:\n' + '\n'.join(wrong))


def test_no_loose_modules_at_the_top_of_the_package():
    loose = sorted(p.name for p in (REPO / 'mmagic_cstvr').glob('*.py'))
    assert set(loose) <= TOP_LEVEL, f'modules outside a package: {sorted(set(loose) - TOP_LEVEL)}'
    packages = {p.name for p in (REPO / 'mmagic_cstvr').iterdir()
                if (p / '__init__.py').is_file()}
    modules = {Path(name).stem for name in TOP_LEVEL}
    assert packages == {n for layer_ in LAYERS for n in layer_ if n} - modules, packages


def test_the_checker_sees_every_kind_of_import():
    imports = set(project_imports(REPO / 'mmagic_cstvr' / 'cli' / '__init__.py'))
    assert {'mmagic_cstvr', 'mmagic_cstvr.media.probe', 'mmagic_cstvr.cli.resample',
            'mmagic_cstvr.evaluation.harness'} <= imports  # relative, and inside a function
    resample = REPO / 'mmagic_cstvr' / 'cli' / 'resample.py'
    assert 'vs_cstvr.pipeline' in set(project_imports(resample))  # absolute
