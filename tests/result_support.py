"""Helpers for the tests of result objects: a result copied as a caller may copy it, and
the check that its arrays cannot be made writable again."""

from __future__ import annotations

import copy
import pickle
from collections.abc import Iterable
from typing import Any

import pytest

#: How a caller may copy a result: not at all (None), through pickle, or with ``copy``.
_COPIES = {None: lambda result: result,
           "pickle": lambda result: pickle.loads(pickle.dumps(result)),
           "copy": copy.copy, "deepcopy": copy.deepcopy}


def copied(result: Any, how: str | None) -> Any:
    """``result`` copied ``how`` (a key of ``_COPIES``)."""
    return _COPIES[how](result)


def assert_stay_read_only(result: Any, names: Iterable[str]) -> None:
    """``setflags(write=True)`` is refused on each array ``names`` of ``result``."""
    for name in names:
        with pytest.raises(ValueError, match="^cannot set WRITEABLE flag to True of this "
                                             "array$"):
            getattr(result, name).setflags(write=True)
