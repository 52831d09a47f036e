"""Helpers for tests that run the command line in a process of its own, or in this one as
its own process would run it (:func:`run_in_process`)."""

from __future__ import annotations

import contextlib
import gc
import io
import logging
import os
import signal
import subprocess
import sys
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Ran:
    """How a command run by :func:`run_in_process` ended, in the names of the
    ``subprocess.CompletedProcess`` of ``python -m quantize``."""

    returncode: int
    stdout: str | bytes
    stderr: str | bytes


def run_in_process(args: Sequence[object], *, cwd: Path | str | None = None,
                   env: dict[str, str] | None = None, text: bool = True) -> Ran:
    """Run ``python -m quantize *args`` in this process: :func:`quantize.cli.main`, as the
    package's ``__main__`` calls it, with its exit code and what it wrote on stdout and
    stderr (decoded as ``subprocess.run(..., text=True)`` decodes them, unless ``text`` is
    False), as ``subprocess.run([sys.executable, "-m", "quantize", *args], cwd=cwd,
    env=env, capture_output=True, text=text)`` gives them, without a Python to start.

    For a test of what the command does, not of its process: its start-up, signals, real
    streams (a pipe, a terminal, a closed descriptor) and the variables read as Python
    starts stay with a process of their own. Stdin is empty and neither it nor stdout and
    stderr has a file descriptor. The warnings are shown as a fresh Python shows them, not
    as the test run's filters would. What the command changes of this process is put back
    (:func:`_process_kept`); glibc's malloc, which it tunes for a process that ends with
    it and cannot be put back, is left alone (its rule: a user's ``GLIBC_TUNABLES``).
    """
    import quantize
    from quantize.cli import main

    stdout = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="strict")
    stderr = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="backslashreplace")
    with _process_kept(), warnings.catch_warnings():
        _fresh_warnings()
        if env is not None:
            os.environ.clear()
            os.environ.update(env)
        os.environ.setdefault("GLIBC_TUNABLES", "")
        if cwd is not None:
            os.chdir(cwd)
        sys.argv = [str(Path(quantize.__file__).with_name("__main__.py")), *map(str, args)]
        sys.stdin = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
        sys.stdout, sys.stderr = stdout, stderr
        try:
            main(prog_name="quantize")
            code = 0
        except SystemExit as exc:
            code = _exit_code(exc.code, stderr)
        stdout.flush()
        stderr.flush()
    return Ran(code, *(_read(stream, text) for stream in (stdout, stderr)))


def _exit_code(code: object, stderr: io.TextIOWrapper) -> int:
    """The exit code of a process that raised ``SystemExit(code)``, as Python gives it
    (anything but None or an int is printed on stderr, and the code is 1)."""
    if code is None or isinstance(code, int):
        return code or 0
    print(code, file=stderr)
    return 1


def _read(stream: io.TextIOWrapper, text: bool) -> str | bytes:
    data = stream.buffer.getvalue()
    if not text:
        return data
    return io.TextIOWrapper(io.BytesIO(data), encoding="utf-8").read()  # "\r\n" read as "\n"


def _fresh_warnings() -> None:
    """The warning filters of a Python just started without -W or PYTHONWARNINGS (the
    warnings module's documentation, "Default Warning Filter"), and warnings printed on
    stderr as it prints them (the test run records them instead)."""
    warnings.resetwarnings()
    warnings.filterwarnings("default", category=DeprecationWarning, module="__main__")
    for category in (DeprecationWarning, PendingDeprecationWarning, ImportWarning,
                     ResourceWarning):
        warnings.filterwarnings("ignore", category=category, append=True)

    def show(message, category, filename, lineno, file=None, line=None):
        (file or sys.stderr).write(warnings.formatwarning(message, category, filename,
                                                          lineno, line))

    warnings.showwarning = show


#: The signals whose handlers the command sets while it runs.
_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP")
                 if hasattr(signal, name))


@contextlib.contextmanager
def _process_kept() -> Iterator[None]:
    """Put back what a run of the command changes of this process: ``sys.argv``, the
    standard streams, the environment, the current folder, the signal handlers, Pillow's
    log handlers, NumPy's huge-page advice, and the objects the command's ``main`` freezes
    out of later garbage collections."""
    from quantize.batch import environment_kept

    streams = sys.argv, sys.stdin, sys.stdout, sys.stderr
    cwd = os.getcwd()
    handlers = {signum: signal.getsignal(signum) for signum in _SIGNALS}
    pillow_log = list(logging.getLogger("PIL").handlers)
    frozen = gc.get_freeze_count()
    huge_pages = _huge_page_advice(None)
    try:
        with environment_kept():
            yield
    finally:
        sys.argv, sys.stdin, sys.stdout, sys.stderr = streams
        os.chdir(cwd)
        for signum, handler in handlers.items():
            signal.signal(signum, handler)
        logging.getLogger("PIL").handlers[:] = pillow_log
        if not frozen:
            gc.unfreeze()
        _huge_page_advice(huge_pages)


def _huge_page_advice(advise: bool | None) -> bool | None:
    """Set NumPy's advice of huge pages for large arrays to ``advise`` (None: as it is),
    as the command's ``_small_pages`` sets it; return what it was (None where this NumPy
    cannot set it)."""
    with contextlib.suppress(ImportError, AttributeError):
        from numpy._core.multiarray import _set_madvise_hugepage

        before = _set_madvise_hugepage(True if advise is None else advise)
        if advise is None:
            _set_madvise_hugepage(before)
        return before
    return None
