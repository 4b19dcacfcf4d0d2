"""The README's table of the ``core.cstvr.*`` arguments, from :mod:`mmagic_cstvr.engine.arguments`.

    python -m tools.argument_table            # print the table (from the repository root, so
                                              # the working tree's package is read)
    python -m tools.argument_table --write    # replace the table in README.md

The table is the block of lines starting with ``| argument |`` in README.md;
``tests/test_arguments.py`` checks that it equals :func:`table`.
"""
import argparse
import sys
from pathlib import Path
from typing import List

from mmagic_cstvr.engine.arguments import ARGUMENTS, DOWN, FILTERS, UP

README = Path(__file__).resolve().parents[1] / 'README.md'
HEADER = '| argument | type | Downsample | Upsample | default | allowed | meaning |'


def table() -> str:
    """The markdown table: one row per argument, then the filters' outputs."""
    rows = [HEADER, '| --- | --- | --- | --- | --- | --- | --- |']
    for a in ARGUMENTS:
        default = a.describe_default()
        cells = [f'`{a.name}`', a.vs_type, 'yes' if DOWN in a.filters else '',
                 'yes' if UP in a.filters else '', 'required' if default is None else default,
                 a.allowed_text() or '', a.help]
        rows.append('| ' + ' | '.join(cells) + ' |')
    rows.append(f'| output | vnode | {FILTERS[DOWN]} | {FILTERS[UP]} | | | |')
    return '\n'.join(rows) + '\n'


def table_span(lines: List[str]) -> slice:
    """The lines of README.md that hold the table."""
    start = next(i for i, line in enumerate(lines) if line.startswith('| argument |'))
    stop = start
    while stop < len(lines) and lines[stop].startswith('|'):
        stop += 1
    return slice(start, stop)


def readme_table(text: str) -> str:
    lines = text.splitlines(keepends=True)
    return ''.join(lines[table_span(lines)])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--write', action='store_true', help='replace the table in README.md')
    args = parser.parse_args(argv)
    if not args.write:
        sys.stdout.write(table())
        return 0
    lines = README.read_text().splitlines(keepends=True)
    lines[table_span(lines)] = [table()]
    README.write_text(''.join(lines))
    return 0


if __name__ == '__main__':
    sys.exit(main())
