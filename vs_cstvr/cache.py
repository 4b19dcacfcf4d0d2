"""A bounded cache of computed window groups, where each group is computed once.

Several VapourSynth threads ask for frames of the same window group at about the same time; the
first computes it, the others wait for it. Memory is bounded by ``capacity`` groups whatever the clip
length: the least recently used group is dropped first (a frame of a dropped group is recomputed,
with the same pixels, if it is asked for again).
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Callable, Dict, Generic, Hashable, Optional, TypeVar

V = TypeVar('V')


class ComputeOnceCache(Generic[V]):
    """LRU cache of at most ``capacity`` values whose misses are computed by one thread."""

    def __init__(self, capacity: int):
        if capacity < 1:
            raise ValueError(f'cache capacity must be >= 1, got {capacity}')
        self.capacity = int(capacity)
        self._lock = threading.Lock()
        self._values: 'OrderedDict[Hashable, V]' = OrderedDict()
        self._pending: Dict[Hashable, threading.Event] = {}
        self.computed = 0  # how many values were computed (for tests and statistics)

    def __len__(self) -> int:
        with self._lock:
            return len(self._values)

    def get(self, key: Hashable) -> Optional[V]:
        """The cached value, or None."""
        with self._lock:
            value = self._values.get(key)
            if value is not None:
                self._values.move_to_end(key)
            return value

    def get_or_compute(self, key: Hashable, compute: Callable[[], V]) -> V:
        """The cached value; on a miss, ``compute()`` in this thread unless another thread is
        already computing ``key``, in which case wait for it."""
        while True:
            with self._lock:
                if key in self._values:
                    self._values.move_to_end(key)
                    return self._values[key]
                event = self._pending.get(key)
                owner = event is None
                if owner:
                    event = self._pending[key] = threading.Event()
            if not owner:
                event.wait()
                continue  # computed (or failed: then this thread tries itself)
            try:
                value = compute()
            except BaseException:
                with self._lock:
                    del self._pending[key]
                event.set()
                raise
            with self._lock:
                self._values[key] = value
                self._values.move_to_end(key)
                while len(self._values) > self.capacity:
                    self._values.popitem(last=False)
                del self._pending[key]
                self.computed += 1
            event.set()
            return value
