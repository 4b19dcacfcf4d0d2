"""Where the real evaluation/training footage lives (../shared/data beside the checkout, as in CI).

Tests that need it skip with the reason when it is absent (a user's machine); CI always has it.
"""
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / 'shared' / 'data'

needs_shared_data = pytest.mark.skipif(not SHARED.is_dir(),
                                       reason=f'real footage not found at {SHARED}')
