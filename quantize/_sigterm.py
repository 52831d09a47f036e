"""SIGTERM in the ``quantize`` command: taken as Ctrl-C is, in a program that imports
quantize left as it was.

Python leaves SIGTERM to the system, which ends the process at once: a batch stopped by
``timeout``, systemd or a cluster's scheduler (which send SIGTERM) wrote no report, and a
file being written was left as its ``.part`` file, until the next run removed it. So the
command runs in :func:`sigterm_as_interrupt`, which has SIGTERM raise ``KeyboardInterrupt``
as Ctrl-C does (a :class:`SigtermInterrupt` handler, which remembers that it came), and the
command ends as after Ctrl-C, but with exit code 143 (128 + 15,
:attr:`~quantize.errors.ExitCode.TERMINATED`) and a line naming SIGTERM
(:func:`terminated`). Only a SIGTERM left to the system is taken so, in the main thread,
and it is given back when the command ends.

Those senders send SIGTERM to each process of the batch, its pool's workers too, which
would end with their files half-written. A worker of such a command takes SIGTERM with a
:class:`SigtermFromParent` handler: the parent decides, as it does for Ctrl-C (which the
workers ignore), and lets the files in progress finish; once it abandons its workers (a
second interrupt) it sets their ``abandoned`` flag before it terminates them, and SIGTERM
then ends a worker as the system's default does (held back while a worker puts a set of
files in place, as :func:`quantize.io.write_together` holds back the default).

This module imports only the standard library and :mod:`quantize._start`.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from typing import Any

from ._start import taken_at_start

__all__ = ["SigtermFromParent", "SigtermInterrupt", "ignored_now", "sigterm_as_interrupt",
           "terminated"]


class SigtermInterrupt:
    """The command's SIGTERM handler: raise ``KeyboardInterrupt``, as Python's own SIGINT
    handler does, and remember in ``came`` that SIGTERM came."""

    def __init__(self) -> None:
        self.came = False

    def __call__(self, signum: int, frame: Any) -> None:
        self.came = True
        raise KeyboardInterrupt


class SigtermFromParent:
    """A pool worker's SIGTERM handler under the command: ignored until ``abandoned`` (a
    shared flag its parent sets before terminating it) is true, then ending the process as
    the system's default action does."""

    def __init__(self, abandoned: Any) -> None:
        self.abandoned = abandoned

    def __call__(self, signum: int, frame: Any) -> None:
        if self.abandoned.value:
            signal.signal(signum, signal.SIG_DFL)
            signal.raise_signal(signum)


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Have SIGTERM raise ``KeyboardInterrupt`` (:class:`SigtermInterrupt`) while the block
    runs, if it is left to the system (or to the command's start-up, which ends it with a
    line: :func:`quantize._start.guard_start`) and this is the main thread; then give it
    back to the system."""
    if (threading.current_thread() is not threading.main_thread()
            or not (signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
                    or taken_at_start(signal.getsignal(signal.SIGTERM)))):
        yield
        return
    signal.signal(signal.SIGTERM, SigtermInterrupt())
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def terminated() -> bool:
    """Whether SIGTERM came to the command's handler (:class:`SigtermInterrupt`)."""
    handler = signal.getsignal(signal.SIGTERM)
    return isinstance(handler, SigtermInterrupt) and handler.came


def ignored_now(handler: Any) -> bool:
    """Whether a signal sent now to ``handler`` would be ignored: a
    :class:`SigtermFromParent` whose worker is not abandoned."""
    return isinstance(handler, SigtermFromParent) and not handler.abandoned.value
