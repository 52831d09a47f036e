"""Helpers for tests that run the command line in a process of its own."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def run_with_palette_pipe(args: list[str], pipe: Path) -> subprocess.CompletedProcess[str]:
    """Run ``quantize *args --palette-in pipe`` with ``pipe`` a named pipe no one writes.

    A command that reads the palette twice waits for a writer for ever: the test fails
    after 60 s instead of hanging. Skipped where the system has no named pipes.
    """
    if not hasattr(os, "mkfifo"):
        pytest.skip("no named pipes here")
    os.mkfifo(pipe)
    try:
        return subprocess.run([sys.executable, "-m", "quantize", *args, "--palette-in",
                               str(pipe)], capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        pytest.fail(f"quantize {args[0]} waited for a writer of the --palette-in pipe")


def pipe_refusal(pipe: Path) -> str:
    """The error line a pipe given where a regular file is read twice gets."""
    return (f"quantize: error: {pipe}: is a pipe or device, not a regular file, and can be "
            "read only once; save it to a file and pass that\n")


def count_temporary_folders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The list of every temporary folder ``tempfile.mkdtemp`` makes from now on, in the
    order made (a scratch folder of the command line is one)."""
    import tempfile

    made: list[str] = []
    mkdtemp = tempfile.mkdtemp

    def counted(*args, **kwargs):
        made.append(mkdtemp(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(tempfile, "mkdtemp", counted)
    return made
