"""cstvr: continuous space-time video resampling with invertible motion steganography.

Importing the package applies the OpenMMLab stack fixes of :mod:`mmagic_cstvr.utils.compat` and
nothing heavier; :func:`register_all_modules` registers the model, losses and datasets in mmagic's
registries (configs do it through ``custom_imports``; the train/test tools call it).
"""
from .utils import compat

compat.apply()

__version__ = "0.1.0"


def register_all_modules() -> None:
    """Import every module that registers components in mmagic's registries."""
    from . import datasets, losses, models  # noqa: F401
