"""Helper for the memory tests: the peak of what NumPy and Python allocate during a call."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from typing import Any


def peak_bytes(call: Callable[[], Any], repeats: int = 1) -> int:
    """Peak bytes allocated while ``call()`` runs, as tracemalloc traces them (NumPy's
    arrays included): the least of ``repeats`` runs. tracemalloc counts every thread's
    allocations, and under pytest-xdist a worker's messaging thread allocates beside the
    test (some 0.3 MB seen); a call that allocates the same each run and has a bound close
    to its peak takes several runs, of which another thread would have to spoil every one.
    """
    peaks = []
    for _ in range(repeats):
        tracemalloc.start()
        try:
            call()
            peaks.append(tracemalloc.get_traced_memory()[1])
        finally:
            tracemalloc.stop()
    return min(peaks)
