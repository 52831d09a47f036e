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

``timeout`` (without ``--foreground``) sends SIGTERM to the command and then to its whole
process group, which holds the command too: two SIGTERMs microseconds apart, one request.
So a SIGTERM within :data:`REPEAT_WINDOW` seconds of the one taken is that one again
(:meth:`SigtermInterrupt.take`): it neither abandons the files in progress nor raises a
second ``KeyboardInterrupt``.

SIGHUP (the terminal closed, an ssh connection dropped) ended the command as SIGTERM did,
with no report and the files in progress lost. The command takes it as it takes SIGTERM
(:data:`TAKEN_SIGNALS`), ending with exit code 129 (128 + 1,
:attr:`~quantize.errors.ExitCode.HANGUP`) and a line naming SIGHUP (:func:`stopped_by`),
and so do its pool's workers, which the terminal's hangup reaches too. Nobody is left to
send it again, so the files in progress finish (a second signal would abandon them, as a
second SIGTERM does). Where the system has no SIGHUP (Windows), SIGTERM alone is taken.

This module imports only the standard library and :mod:`quantize._start`.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from ._start import TAKEN_SIGNALS, taken_at_start

__all__ = ["REPEAT_WINDOW", "TAKEN_SIGNALS", "HeldInterrupts", "SigtermFromParent",
           "SigtermInterrupt", "StandIn", "ignored_now", "sigterm_as_interrupt", "stopped_by",
           "taken_now", "terminated"]

#: Seconds after a SIGTERM taken in which another is the same request sent again, not a
#: second one. ``timeout`` sends its pair microseconds apart (to the command, then to its
#: process group); a person, a service manager or a scheduler that means to abandon the
#: files in progress sends the second after reading the first's line or after a grace
#: period of seconds (systemd waits 90 s before SIGKILL). Half a second keeps a loaded
#: machine's late delivery of the pair inside and any deliberate second signal outside.
REPEAT_WINDOW = 0.5


class SigtermInterrupt:
    """The command's handler of SIGTERM (and of SIGHUP, each its own): raise
    ``KeyboardInterrupt``, as Python's own SIGINT handler does, and remember in ``came``
    that the signal came, and in ``first_at`` when (on ``clock``); a repeat within
    :data:`REPEAT_WINDOW` seconds (``timeout``'s second of a pair, or the SIGHUP of the
    shell after the system's) is let go. ``clock`` (seconds, :func:`time.monotonic`) is
    for tests."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.came = False
        self.first_at: float | None = None
        self._clock = clock
        self._taken_at: float | None = None

    def take(self) -> bool:
        """Take a SIGTERM that comes now: False when it repeats the one taken less than
        :data:`REPEAT_WINDOW` seconds before (the same request), else True, remembered.

        >>> times = iter([10.0, 10.000_01, 10.2, 12.0])
        >>> handler = SigtermInterrupt(clock=lambda: next(times))
        >>> [handler.take() for _ in range(4)]
        [True, False, False, True]
        """
        now = self._clock()
        if self._taken_at is not None and now - self._taken_at < REPEAT_WINDOW:
            return False
        self.came = True
        self._taken_at = now
        if self.first_at is None:
            self.first_at = now
        return True

    def __call__(self, signum: int, frame: Any) -> None:
        if self.take():
            raise KeyboardInterrupt


class SigtermFromParent:
    """A pool worker's SIGTERM (and SIGHUP) handler under the command: ignored until
    ``abandoned`` (a shared flag its parent sets before terminating it) is true, then
    ending the process as the system's default action does."""

    def __init__(self, abandoned: Any) -> None:
        self.abandoned = abandoned

    def __call__(self, signum: int, frame: Any) -> None:
        if self.abandoned.value:
            signal.signal(signum, signal.SIG_DFL)
            signal.raise_signal(signum)


class StandIn:
    """A handler that stands in for others while a block runs (:class:`HeldInterrupts`,
    and the one of :func:`quantize.io.write_together`'s renames): ``own`` maps each
    signal to the handler it stands in for, which :func:`stopped_by` looks through."""

    own: dict[int, Any]


class HeldInterrupts(StandIn):
    """The handler of SIGINT and of the command's SIGTERM while a block holds them back
    (:func:`quantize.batch.calls.interrupts_held`), standing in for ``own`` (the handler
    of each signal before): as those until :meth:`HeldInterrupts.hold` is called, then
    keeping the signal that comes in ``caught``, for the block to raise as it ends, and
    raising ``KeyboardInterrupt`` at a second one (a SIGTERM repeated at once is the same
    one: :func:`taken_now`). :func:`quantize.io.write_together` has it hold once its
    files are in place: from there until the file's line is printed, a file is never
    left written but unreported. ``on_first`` (if not None) is called, in the handler, as
    the first signal is held back: it should only say so, on stderr, at a moment nothing
    else writes there (:func:`quantize.batch.executor_local.run_inline`, while a call runs).
    """

    def __init__(self, own: dict[int, Any],
                 on_first: Callable[[], None] | None = None) -> None:
        self.own = own
        self.holding = False
        self.caught: list[int] = []
        self.on_first = on_first

    def hold(self) -> None:
        """Hold back the signals that come from now on."""
        self.holding = True

    def taken(self, signum: int) -> bool:
        """Whether ``signum`` sent now counts (:func:`taken_now` of its own handler)."""
        return taken_now(self.own[signum])

    def __call__(self, signum: int, frame: Any) -> None:
        if not self.holding:
            self.own[signum](signum, frame)
            return
        if not self.taken(signum):  # SIGTERM repeated at once (timeout's pair): the same
            return
        if self.caught:
            raise KeyboardInterrupt
        self.catch(signum)

    def catch(self, signum: int) -> None:
        """Keep ``signum``, taken, as the first signal held back (and call ``on_first``)."""
        self.caught.append(signum)
        if self.on_first is not None:
            self.on_first()


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Have SIGTERM and SIGHUP (:data:`TAKEN_SIGNALS`) raise ``KeyboardInterrupt`` (a
    :class:`SigtermInterrupt` each) while the block runs, each that is left to the system
    (or to the command's start-up, which ends it with a line:
    :func:`quantize._start.guard_start`), if this is the main thread; then give them back
    to the system. A signal ignored (``nohup`` ignores SIGHUP) stays ignored."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    taken = [signum for signum in TAKEN_SIGNALS
             if signal.getsignal(signum) is signal.SIG_DFL
             or taken_at_start(signal.getsignal(signum))]
    for signum in taken:
        signal.signal(signum, SigtermInterrupt())
    try:
        yield
    finally:
        for signum in taken:
            signal.signal(signum, signal.SIG_DFL)


def stopped_by() -> str | None:
    """The name of the signal (``"SIGTERM"``, ``"SIGHUP"``) that came first to the
    command's handlers (:class:`SigtermInterrupt`), also while handlers stand in for them
    (:class:`StandIn`, one for another); None when none came."""
    came: list[tuple[float, int]] = []
    for signum in TAKEN_SIGNALS:
        handler = signal.getsignal(signum)
        while isinstance(handler, StandIn):
            handler = handler.own.get(signum)
        if isinstance(handler, SigtermInterrupt) and handler.came:
            came.append((handler.first_at or 0.0, signum))
    return signal.Signals(min(came)[1]).name if came else None


def terminated() -> bool:
    """Whether SIGTERM or SIGHUP came to the command's handlers (:func:`stopped_by`)."""
    return stopped_by() is not None


def ignored_now(handler: Any) -> bool:
    """Whether a signal sent now to ``handler`` would be ignored: a
    :class:`SigtermFromParent` whose worker is not abandoned."""
    return isinstance(handler, SigtermFromParent) and not handler.abandoned.value


def taken_now(handler: Any) -> bool:
    """Whether a signal sent now to ``handler`` counts, for a block that holds signals back
    in place of ``handler``: not when a :class:`SigtermFromParent` would ignore it, nor when
    a :class:`SigtermInterrupt` takes it as the repeat of the one it took
    (:meth:`SigtermInterrupt.take`, which this calls)."""
    if isinstance(handler, SigtermInterrupt):
        return handler.take()
    return not ignored_now(handler)
