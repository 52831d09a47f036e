"""Helper for the memory tests: the peak of what NumPy and Python allocate during a call."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from typing import Any


def peak_bytes(call: Callable[[], Any]) -> int:
    """Peak bytes allocated while ``call()`` runs, as tracemalloc traces them (NumPy's
    arrays included)."""
    tracemalloc.start()
    try:
        call()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
