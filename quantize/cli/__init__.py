"""The ``quantize`` command line: thin wrappers that parse, call the library, print.

Each sub-command lives in its own module (``reduce``, ``segment``, ``batch``)
and registers itself on ``app`` (:mod:`quantize.cli.common`, with what the commands
share); they are imported here, and :func:`main` runs the one named.
Library errors become one line on stderr and the exit code documented in
:mod:`quantize.errors`; no traceback reaches the user.

The command modules do without ``from __future__ import annotations``: typer
reads every command's parameters from its annotations on each call, and as
strings it compiled and evaluated them twice each time (about 12 ms of every
call here); evaluated once on import, they cost it almost nothing. Names
imported only for type checkers are quoted.
"""

import atexit
import codecs
import contextlib
import copy
import gc
import importlib
import os
import sys
from collections.abc import Sequence
from typing import Any

import typer

from .. import _threads
from .._sigterm import sigterm_as_interrupt
from .._start import INTERRUPTED_AT_START, command_process, end_process, release_start
from ..errors import ExitCode
from ..names import code_point_escapes
from . import batch, palette, reduce, segment  # noqa: F401 -- each registers its command on app
from .common import (
    FOLDER_GONE,
    app,
    echo_error,
    folder_gone,
    interruption,
)


def main(prog_name: str | None = None) -> None:
    """Console-script entry point (and ``python -m quantize``, which names itself ``quantize``).

    ``prog_name`` names the program in usage lines and hints; by default the name the
    process was started with (:func:`_program_name`), ``quantize`` when that is none.

    It is meant to end the process: it exits with the command's code, and
    leaves the objects alive at that point out of later garbage collections. In a
    process started as the command (:func:`~quantize._start.command_process`) it ends
    the process itself once the command is done (:func:`_end_process`). While the command
    runs, SIGTERM and SIGHUP (each left to the system) are taken as Ctrl-C, and given back
    after (:mod:`quantize._sigterm`): the command ends as after Ctrl-C, with exit code 143
    (SIGHUP: 129). Its own process, once the line is printed, then ends by the signal that
    stopped it (:func:`~quantize._start.end_process`), for a shell to stop its loop or script.
    """
    if prog_name is not None and not isinstance(prog_name, str):
        raise TypeError(f"prog_name={prog_name!r} should be a str, the program's name shown "
                        "in usage lines; main reads the command line from sys.argv")
    try:
        with sigterm_as_interrupt():
            release_start()  # interrupts are KeyboardInterrupt again, which the commands catch
            try:
                _fill_closed_std_fds()
                _escape_what_streams_cannot_encode()
                _small_pages()
                _keep_freed_memory()
                _invoked(sys.argv[1:])(prog_name=_program_name() if prog_name is None
                                       else prog_name)
            except FileNotFoundError as exc:  # not caught by a command, as in its checks
                if not folder_gone(exc):
                    raise
                echo_error(FOLDER_GONE)
                sys.exit(ExitCode.FAILED)
            except KeyboardInterrupt:  # before the command line was parsed (typer's Exit
                line, code = interruption(INTERRUPTED_AT_START)  # is no SystemExit out here)
                echo_error(line)
                sys.exit(code)
    except SystemExit as exc:
        if command_process():
            _end_process(exc.code)
        raise
    finally:
        # Whatever the outcome, the work is done. Frozen objects are left out of
        # the collections Python runs as it shuts down, which otherwise walk
        # every object the imports made: 40 ms of a 0.4 s reduce here.
        gc.freeze()


def _invoked(args: Sequence[str]) -> typer.Typer:
    """``app``, or a copy of it that holds only the command ``args`` begin with, if they do.

    Typer builds the parser of every command it holds on each call, each from its
    function's signature: the two not run took about 1.5 ms of CPU time. A command named
    first is the one that runs, and its parser, help and messages are the same alone;
    anything else (``--help``, ``--version``, a mistyped name) gets every command.
    """
    named = [command for command in app.registered_commands
             if args and command.name == args[0]]
    if not named:
        return app
    alone = copy.copy(app)
    alone.registered_commands = named
    return alone


def _end_process(code: Any) -> None:
    """End the command's process now with exit code ``code`` (a ``SystemExit``'s), as Python
    would end it but without taking its modules and objects apart first.

    Python's shutdown, once the command is done, freed every module and object the imports
    made, one at a time: about 5 ms of CPU time of every call (``quantize reduce`` of a web
    photo, medians of 15 on four photos), for a process that ends anyway. Here stdout and
    stderr are flushed, the ``atexit`` functions run (what a tool such as coverage.py
    registered is done), and the process ends (:func:`os._exit`), by the signal that
    stopped the command when one did (:func:`~quantize._start.end_process`).

    Returns, leaving the exit to Python, when ``code`` is not an int or None (Python
    prints it), when another thread than the idle ones of :mod:`quantize._threads` is
    alive (Python lets it finish), or when stdout or stderr cannot take what is left in
    its buffer (Python reports it).
    """
    if not (code is None or isinstance(code, int)) or not _threads.only_pool_besides():
        return
    if not _flushed():
        return
    gc.freeze()
    atexit._run_exitfuncs()
    end_process((code or 0) if _flushed() else _FLUSH_FAILED)


#: Python's exit code when stdout or stderr cannot be flushed as the process ends.
_FLUSH_FAILED = 120


def _flushed() -> bool:
    """Flush stdout and stderr (either may be closed: None); whether both took their bytes."""
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
    except (OSError, ValueError):
        return False
    return True


def _program_name() -> str:
    """The program's name in usage lines and hints: the last part of ``sys.argv[0]``, as
    the console script gives it (``quantize``), or ``quantize`` when that names no program:
    ``python -c`` (``-c``), an interactive session or an embedding (empty), which typer
    took as they were ("Usage: -c reduce", "see '-c --help'"). A script of the caller's
    that calls :func:`main` is named as it was run (``run.py``).
    """
    name = os.path.basename(sys.argv[0]) if sys.argv else ""
    return "quantize" if not name or name.startswith("-") else name


def _fill_closed_std_fds() -> None:
    """Point a standard file descriptor (0, 1, 2) closed at start at the null device.

    The system gives a file the lowest free descriptor: with stderr closed
    (``quantize reduce a.png 2>&-``), the next file opened, an output say, would
    be descriptor 2, and whatever a C library or a worker process writes to
    stderr would land in it. Python has already set ``sys.stdin``, ``sys.stdout``
    or ``sys.stderr`` to None for a closed stream, and that stays as it is: the
    commands still see the stream as closed.
    """
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            try:
                null = os.open(os.devnull, os.O_RDWR)
            except OSError:  # no null device (a bare container): left as it is
                return
            if null != fd:  # fd when the lower ones are open, as they are by now
                os.dup2(null, fd)
                os.close(null)


#: The codec error handler of stdout and stderr in the command (:func:`code_point_escapes`).
_CODE_POINTS = "quantize.code_points"
# The error handlers of a text stream that a character its encoding cannot hold ends in an
# exception or in the escape kept for a byte: Python's defaults for stdout and stderr.
_HANDLERS_REPLACED = frozenset({"strict", "surrogateescape", "backslashreplace"})


def _escape_what_streams_cannot_encode() -> None:
    r"""Have stdout and stderr write a character their encoding cannot hold by its code
    point (:func:`~quantize.names.code_point_escapes`): ``mean \u0394E2000`` in a
    Latin-1 locale, or a Windows code page, not a traceback.

    A line on stdout holding such a character (the "Δ" of every summary line, a name's
    "漢", the "≤" of ``batch --help``) raised ``UnicodeEncodeError``, after the work was
    done: ``reduce`` printed a traceback and exited 1, ``batch`` stopped with exit 2. A
    handler the user chose (``PYTHONIOENCODING=latin-1:replace``) is kept, and so is a
    stream that is not Python's own (it has no ``reconfigure``).
    """
    codecs.register_error(_CODE_POINTS, code_point_escapes)
    for stream in (sys.stdout, sys.stderr):
        if getattr(stream, "errors", None) in _HANDLERS_REPLACED:
            with contextlib.suppress(AttributeError, ValueError, OSError):
                stream.reconfigure(errors=_CODE_POINTS)


def _small_pages() -> None:
    """Stop NumPy asking Linux for transparent huge pages in this process.

    On Linux with transparent huge pages set to ``madvise``, NumPy advises them
    for every array of 4 MB or more. A process that lives for one command pays
    to find each fresh 2 MB page (the kernel may compact memory first) and
    rarely uses it again: on a 12 MP photo, ``quantize reduce`` took a median
    of 2.69 s with ordinary pages against 2.90 s with huge pages, with half the
    system time (6 runs each, alternated). Small images do not reach 4 MB
    arrays and are unaffected. A ``NUMPY_MADVISE_HUGEPAGE`` set by the user is
    left to decide.
    """
    if "NUMPY_MADVISE_HUGEPAGE" in os.environ:
        return
    for module in ("numpy._core.multiarray", "numpy.core.multiarray"):  # NumPy 2, then 1
        with contextlib.suppress(ImportError, AttributeError):
            importlib.import_module(module)._set_madvise_hugepage(False)
            return


# glibc's mallopt parameters (malloc.h).
_M_TRIM_THRESHOLD, _M_MMAP_MAX, _M_ARENA_MAX = -1, -4, -8


def _keep_freed_memory() -> None:
    """Let glibc's malloc reuse the memory this process frees instead of returning it.

    By default glibc gives every block over 32 MB its own mapping, unmapped when
    freed, and hands back the free top of the heap; the next large array then
    faults in fresh zeroed pages. A 12 MP reduce faulted in about 550 MB for a
    peak of under 300 MB. With mappings off and the heap kept, it faults in
    about 340 MB and took a median of 1.81 s against 2.00 s (7 alternated
    runs), for a peak 60 MB higher (356 MB against 295 MB).

    Every thread shares one arena (the heap): a thread's own arena kept what it freed
    for itself alone, so the metrics measured on a thread while the main thread encoded
    took memory that the main thread had freed, and the peaks of the two added up: 520
    against 440 MB for a 12 MP image with soft alpha at k = 64, 620 against 500 MB
    dithered, 314 against 283 MB for an opaque 12 MP photo.

    Any ``MALLOC_*`` or ``GLIBC_TUNABLES`` variable set by the user is left to decide,
    and other C libraries are left alone.
    """
    if "GLIBC_TUNABLES" in os.environ or any(name.startswith("MALLOC_") for name in os.environ):
        return
    try:
        if not os.confstr("CS_GNU_LIBC_VERSION"):
            return
    except (ValueError, OSError, AttributeError):  # not glibc, or no confstr (Windows)
        return
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        mallopt = ctypes.CDLL(None).mallopt
        mallopt(_M_TRIM_THRESHOLD, 1 << 30)
        mallopt(_M_MMAP_MAX, 0)
        mallopt(_M_ARENA_MAX, 1)
