"""The package's own source, parsed once per test process for the tests that read it."""

from __future__ import annotations

import ast
import functools
from pathlib import Path


@functools.cache
def parsed(path: Path) -> ast.Module:
    """The syntax tree of the Python file ``path``, parsed on the first call and shared after:
    parsing the whole package takes about 2 s, and the tests that read the trees only read
    them (none may change one)."""
    return ast.parse(path.read_text(encoding="utf-8"))
