"""Compatibility fixes for the OpenMMLab stack on a current PyTorch/NumPy (applied on import).

``import mmagic_cstvr`` calls :func:`apply` before anything imports torchvision, mmcv or mmagic.
Each fix is skipped when it is not needed, and :func:`apply` is idempotent. The four problems:

(a) **torchvision op schemas.** The only ``torchvision==0.28.0`` wheel (the one that matches torch
    2.13.0) is a CUDA build whose compiled ``_C`` library cannot load next to the CPU torch. Its
    Python part then still runs ``torch.library.register_fake("torchvision::nms")`` (and ``qnms``) at
    import time, which fails with ``operator torchvision::nms does not exist``. When the compiled
    library cannot be loaded we define the two schemas ourselves (same signatures as torchvision's),
    so ``import torchvision`` works; torchvision's compiled ops still raise if they are called (none
    is used by this project). Where torchvision's library loads (a matching build), nothing is done.

(b) **NumPy 2 removed ``np.bool8``**, which mmagic still uses: it becomes an alias of ``np.bool_``.

(c) **mmcv-lite has no ``mmcv._ext``** (the compiled ops), but ``mmagic.models`` imports
    ``mmcv.ops`` at module level for models other than ours. A stand-in module is installed in
    ``sys.modules``: every attribute is a function that raises :class:`MmcvOpsUnavailable` when
    called. Its ``__spec__`` has ``loader=None``, so mmengine's ``mmcv_full_available()`` (which asks
    ``pkgutil.find_loader("mmcv._ext")``) still answers False. Skipped when a real ``mmcv._ext`` exists.

(d) **Checkpoints written by mmengine no longer load** with torch >= 2.6, whose ``torch.load``
    defaults to ``weights_only=True``: mmengine pickles its ``HistoryBuffer`` (message hub) and some
    NumPy objects into the checkpoint. We allow exactly the classes mmengine writes with
    :func:`torch.serialization.add_safe_globals` (see :data:`CHECKPOINT_SAFE_GLOBALS`). We never
    fall back to ``weights_only=False``: a checkpoint holding any other class is refused by torch.
"""
from __future__ import annotations

import importlib.machinery
import importlib.util
import sys
import types
from pathlib import Path

__all__ = ["apply", "MmcvOpsUnavailable", "checkpoint_safe_globals", "applied"]

applied: dict[str, bool] = {}
"""Which fixes :func:`apply` installed (name -> True), for diagnostics and tests."""

_torchvision_lib = None  # keeps the torch.library.Library that owns our schema definitions alive


# --------------------------------------------------------------------------------------------
# (a) torchvision op schemas

TORCHVISION_SCHEMAS = {
    "nms": "nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
    "qnms": "qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
}


def _torch_has_op(namespace: str, name: str) -> bool:
    import torch

    return bool(torch._C._jit_get_schemas_for_operator(f"{namespace}::{name}"))


def _torchvision_library_loads() -> bool:
    """Try to load torchvision's compiled library the way torchvision does."""
    import torch

    spec = importlib.util.find_spec("torchvision")
    if spec is None or not spec.submodule_search_locations:
        return False
    for folder in spec.submodule_search_locations:
        for lib in sorted(Path(folder).glob("_C*.so")) + sorted(Path(folder).glob("_C*.pyd")):
            try:
                torch.ops.load_library(str(lib))
                return True
            except (ImportError, OSError):
                return False
    return False


def _fix_torchvision_ops() -> bool:
    global _torchvision_lib
    if importlib.util.find_spec("torchvision") is None or "torchvision" in sys.modules:
        return False
    if all(_torch_has_op("torchvision", name) for name in TORCHVISION_SCHEMAS):
        return False
    if _torchvision_library_loads():
        return False
    import torch.library

    lib = torch.library.Library("torchvision", "FRAGMENT")
    defined = False
    for name, schema in TORCHVISION_SCHEMAS.items():
        if not _torch_has_op("torchvision", name):
            lib.define(schema)
            defined = True
    _torchvision_lib = lib
    return defined


# --------------------------------------------------------------------------------------------
# (b) numpy alias

def _fix_numpy_bool8() -> bool:
    import numpy as np

    if "bool8" in np.__dict__:
        return False
    np.bool8 = np.bool_  # type: ignore[attr-defined]
    return True


# --------------------------------------------------------------------------------------------
# (c) mmcv._ext stand-in

class MmcvOpsUnavailable(RuntimeError):
    """A compiled mmcv op was called, but only mmcv-lite (no compiled ops) is installed."""


def _make_mmcv_ext_standin() -> types.ModuleType:
    module = types.ModuleType("mmcv._ext", "Stand-in for mmcv's compiled ops (cstvr compat): not available.")
    # loader=None: importlib and pkgutil.find_loader() report "no loader", i.e. no full mmcv.
    module.__spec__ = importlib.machinery.ModuleSpec("mmcv._ext", loader=None)
    module.__file__ = None
    module.__cstvr_standin__ = True

    def __getattr__(name: str):
        if name.startswith("__"):
            raise AttributeError(name)

        def unavailable(*args, **kwargs):
            raise MmcvOpsUnavailable(
                f"mmcv op '{name}' is not available: this environment has mmcv-lite (no compiled ops). "
                "cstvr does not need them; for other mmagic models install a full mmcv build."
            )

        unavailable.__name__ = name
        return unavailable

    module.__getattr__ = __getattr__  # PEP 562 module attribute hook
    return module


def _real_mmcv_ext_exists() -> bool:
    spec = importlib.util.find_spec("mmcv")  # finds the package without importing it
    if spec is None or not spec.submodule_search_locations:
        return False
    return any(any(Path(folder).glob("_ext.*")) for folder in spec.submodule_search_locations)


def _fix_mmcv_ext() -> bool:
    if "mmcv._ext" in sys.modules or importlib.util.find_spec("mmcv") is None:
        return False
    if _real_mmcv_ext_exists():
        return False
    standin = _make_mmcv_ext_standin()
    sys.modules["mmcv._ext"] = standin
    if "mmcv" in sys.modules:  # importing it later finds sys.modules; only a loaded parent needs the attribute
        sys.modules["mmcv"]._ext = standin
    return True


# --------------------------------------------------------------------------------------------
# (d) checkpoint loading with weights_only=True

def _history_buffer_getattr(obj, name):
    """Stand-in for ``builtins.getattr`` while unpickling with ``weights_only=True``.

    mmengine's ``HistoryBuffer`` pickles its statistics table, ``{'min': HistoryBuffer.min, ...}``,
    and pickle stores each method as ``getattr(HistoryBuffer, 'min')``. Allowing the real ``getattr``
    would let a checkpoint reach any attribute of any allowed object; this one only resolves the
    statistics methods of ``HistoryBuffer`` and refuses everything else.
    """
    from mmengine.logging.history_buffer import HistoryBuffer

    if obj is HistoryBuffer and isinstance(name, str) and not name.startswith("_"):
        # the four built-in statistics, and any registered with HistoryBuffer.register_statistics
        known = {"min", "max", "current", "mean"} | set(HistoryBuffer._statistics_methods)
        method = HistoryBuffer.__dict__.get(name)
        if name in known and isinstance(method, types.FunctionType):
            return method
    import pickle

    raise pickle.UnpicklingError(
        f"checkpoint asks for getattr({obj!r}, {name!r}); only HistoryBuffer statistics are allowed")


CHECKPOINT_NUMPY_DTYPES = ("Float64DType", "Float32DType", "Int64DType", "Int32DType", "BoolDType")


def checkpoint_safe_globals() -> list:
    """The globals mmengine writes into a checkpoint, and nothing else.

    Those a checkpoint of a real mmengine ``Runner`` holds (``message_hub`` with
    ``HistoryBuffer`` logs, ``meta`` with seed, iteration and dataset meta, optimizer and
    scheduler states) and ``weights_only=True`` needs allowed; tests/test_compat.py saves such a
    checkpoint and loads it. Entries:

    - ``mmengine.logging.history_buffer.HistoryBuffer`` (the message hub's log buffers);
    - ``builtins.getattr``, replaced by :func:`_history_buffer_getattr`, which resolves only
      ``HistoryBuffer``'s statistics methods (``min``, ``max``, ``current``, ``mean``, ...);
    - what NumPy arrays and scalars in those buffers and in the runtime info pickle as:
      ``numpy.ndarray``, ``numpy.dtype``, ``numpy._core.multiarray._reconstruct`` and ``scalar``,
      and the numeric dtype classes of :data:`CHECKPOINT_NUMPY_DTYPES`.

    ``collections.OrderedDict``/``Counter`` (scheduler milestones), ``_codecs.encode`` and the
    tensor rebuild functions are already allowed by torch itself.
    """
    import numpy as np
    from mmengine.logging.history_buffer import HistoryBuffer

    try:
        from numpy._core.multiarray import _reconstruct, scalar  # numpy >= 2
    except ImportError:  # pragma: no cover - numpy 1.x
        from numpy.core.multiarray import _reconstruct, scalar  # type: ignore[no-redef]
    allowed: list = [HistoryBuffer, (_history_buffer_getattr, "builtins.getattr"),
                     np.ndarray, np.dtype, _reconstruct, scalar]
    # A pickled dtype is rebuilt as an instance of its dtype class (numpy >= 1.25). mmengine's own
    # buffers and scalars are float64; the other numeric ones cover numpy scalars that a training
    # loop or hook may leave in the message hub's runtime info. Plain data types, no code.
    dtypes = getattr(np, "dtypes", None)
    if dtypes is not None:
        allowed += [getattr(dtypes, name) for name in CHECKPOINT_NUMPY_DTYPES if hasattr(dtypes, name)]
    return allowed


def _fix_checkpoint_loading() -> bool:
    import torch.serialization

    if importlib.util.find_spec("mmengine") is None or not hasattr(torch.serialization, "add_safe_globals"):
        return False
    torch.serialization.add_safe_globals(checkpoint_safe_globals())
    return True


# --------------------------------------------------------------------------------------------

def apply() -> dict[str, bool]:
    """Apply every fix that is needed (safe to call more than once). Returns :data:`applied`."""
    for name, fix in (("torchvision_ops", _fix_torchvision_ops), ("numpy_bool8", _fix_numpy_bool8),
                      ("mmcv_ext", _fix_mmcv_ext), ("checkpoint_safe_globals", _fix_checkpoint_loading)):
        if not applied.get(name):
            applied[name] = bool(fix())
    return applied
