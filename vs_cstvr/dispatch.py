"""The hand-over between the native plugin and the Python filters.

The plugin stores a public function's arguments under a token and runs
``vs_cstvr.dispatch.create(name, token)`` with the GIL held. :func:`create` fetches the arguments
with ``core.cstvr.CallArgs(token=...)``, builds the clip (:mod:`vs_cstvr.filters`) and hands it
back with ``core.cstvr.CallResult(token=..., clip=...)``; any failure goes back as
``core.cstvr.CallResult(token=..., error=...)`` and becomes the filter's ``vapoursynth.Error``: the
message alone for a request cstvr refuses (:class:`~mmagic_cstvr.errors.CstvrError` and its
subclasses), the whole traceback for anything else (and for everything when ``CSTVR_DEBUG=1``).
Nothing escapes into the interpreter. The exception itself stays available to Python callers in
the same process through :func:`original_error`, so its type survives the bridge.
"""
from __future__ import annotations

import os
import threading
import traceback
from collections import OrderedDict
from typing import Optional

#: How many failed calls :func:`original_error` remembers.
REMEMBERED_FAILURES = 32

_failures: 'OrderedDict[str, BaseException]' = OrderedDict()
_failures_lock = threading.Lock()


def create(name: str, token: int) -> None:
    import vapoursynth as vs
    core = vs.core
    try:
        args = core.cstvr.CallArgs(token=token)
        args.pop('_token', None)
        from . import filters
        build = {'Downsample': filters.downsample, 'Upsample': filters.upsample}[name]
        clip = build(args)
        core.cstvr.CallResult(token=token, clip=clip)
    except BaseException as err:  # noqa: BLE001 - everything goes back to the caller as an error
        message = describe(name, err)
        remember(message, err)
        try:
            core.cstvr.CallResult(token=token, error=message)
        except BaseException:  # noqa: BLE001
            traceback.print_exc()


def describe(name: str, err: BaseException) -> str:
    """The error message for a failed call of ``name``."""
    from mmagic_cstvr.errors import CstvrError
    if isinstance(err, CstvrError) and os.environ.get('CSTVR_DEBUG', '') in ('', '0'):
        return f'{name}: {err}'
    trace = ''.join(traceback.format_exception(type(err), err, err.__traceback__))
    return f'{name}: {type(err).__name__}: {err}\n{trace}'


def remember(message: str, err: BaseException) -> None:
    with _failures_lock:
        _failures[message] = err
        _failures.move_to_end(message)
        while len(_failures) > REMEMBERED_FAILURES:
            _failures.popitem(last=False)


def original_error(error: BaseException) -> Optional[BaseException]:
    """The Python exception behind ``error``, a ``vapoursynth.Error`` that a ``core.cstvr`` call
    of this process raised (a :class:`~mmagic_cstvr.errors.CstvrError` for a refused request);
    None for an error that did not come from cstvr's filters."""
    with _failures_lock:
        return _failures.pop(str(error), None)
