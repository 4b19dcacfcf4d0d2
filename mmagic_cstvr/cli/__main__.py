"""``python -m mmagic_cstvr.cli``: the ``cstvr`` command."""
import sys

from . import main

sys.exit(main())
