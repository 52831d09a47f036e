"""The command's SIGTERM handler (:mod:`quantize._sigterm`): SIGTERM taken as Ctrl-C, and a
SIGTERM repeated at once (``timeout`` sends one to the command, then one to its process
group) taken as the same request, not as a second one that abandons the files in progress.
SIGHUP (a terminal closed) is taken as SIGTERM is. The clock is injected: no test waits
for real time to pass."""

from __future__ import annotations

import contextlib
import os
import signal

import pytest

from quantize._sigterm import (
    REPEAT_WINDOW,
    SigtermFromParent,
    SigtermInterrupt,
    sigterm_as_interrupt,
    stopped_by,
    taken_now,
    terminated,
)


class _Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _interrupts(handler: SigtermInterrupt) -> bool:
    """Whether ``handler`` raises KeyboardInterrupt for a SIGTERM that comes now."""
    try:
        handler(signal.SIGTERM, None)
    except KeyboardInterrupt:
        return True
    return False


def test_a_sigterm_repeated_within_the_window_is_the_same_request():
    """timeout's pair, microseconds apart: the second raised KeyboardInterrupt again, which
    the batch took as "SIGTERM again" and abandoned the files in progress."""
    clock = _Clock()
    handler = SigtermInterrupt(clock=clock)
    assert not handler.came
    assert _interrupts(handler)
    assert handler.came
    clock.now += 0.000_01
    assert not _interrupts(handler)
    clock.now += REPEAT_WINDOW / 2  # still within the window of the first
    assert not _interrupts(handler)


def test_a_sigterm_after_the_window_is_a_second_request():
    """Measured from the SIGTERM taken, not from the repeats let go: repeats do not keep
    extending the window, so someone sending SIGTERM again and again is heard."""
    clock = _Clock()
    handler = SigtermInterrupt(clock=clock)
    taken = []
    for _ in range(4):  # at 0, 0.4, 0.8 and 1.2 windows
        taken.append(_interrupts(handler))
        clock.now += REPEAT_WINDOW * 0.4
    assert taken == [True, False, False, True]
    clock.now += REPEAT_WINDOW
    assert _interrupts(handler)


def test_the_window_is_short_next_to_a_deliberate_second_signal():
    assert 0.05 <= REPEAT_WINDOW <= 1.0


class _Flag:
    def __init__(self, value: int) -> None:
        self.value = value


def test_taken_now_counts_as_the_handler_held_back_would():
    """For a block that holds signals back in the handler's place: a repeat at once is
    not taken, nor a SIGTERM a worker not abandoned ignores; Python's SIGINT handler and
    the default action take every one."""
    clock = _Clock()
    handler = SigtermInterrupt(clock=clock)
    assert [taken_now(handler), taken_now(handler)] == [True, False]
    clock.now += REPEAT_WINDOW
    assert taken_now(handler)
    assert [taken_now(SigtermFromParent(_Flag(0))), taken_now(SigtermFromParent(_Flag(1)))] \
        == [False, True]
    assert taken_now(signal.default_int_handler)
    assert taken_now(signal.SIG_DFL)


@pytest.mark.skipif(os.name != "posix", reason="signals sent to oneself")
def test_two_real_sigterms_in_quick_succession_raise_one_interrupt():
    """The pair as the process receives it (a few milliseconds apart at most)."""
    handler = SigtermInterrupt()
    previous = signal.signal(signal.SIGTERM, handler)
    raised = 0
    try:
        for _ in range(2):
            try:
                signal.raise_signal(signal.SIGTERM)
            except KeyboardInterrupt:
                raised += 1
        assert terminated()
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert raised == 1


def test_terminated_is_seen_through_a_handler_that_holds_interrupts_back():
    """A note said while SIGTERM is held back (a file let finish) named Ctrl-C: the
    command's handler was looked for, and a HeldInterrupts stood in for it."""
    from quantize._sigterm import HeldInterrupts

    own = SigtermInterrupt()
    own.came = True
    previous = signal.signal(signal.SIGTERM, HeldInterrupts({signal.SIGTERM: own}))
    try:
        assert terminated()
        own.came = False
        assert not terminated()
    finally:
        signal.signal(signal.SIGTERM, previous)


_NO_SIGHUP = pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="no SIGHUP (Windows)")


@contextlib.contextmanager
def _left_to_the_system(*signums: int):
    """``signums`` left to the system's default action while the block runs."""
    previous = {signum: signal.signal(signum, signal.SIG_DFL) for signum in signums}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


@_NO_SIGHUP
def test_the_command_takes_sighup_as_it_takes_sigterm_and_gives_it_back():
    """A closed terminal (SIGHUP) ended the command at once, exit 129, no report, the files
    in progress lost: it is taken as SIGTERM is, named as the signal that stopped it."""
    with _left_to_the_system(signal.SIGTERM, signal.SIGHUP):
        with sigterm_as_interrupt():
            assert isinstance(signal.getsignal(signal.SIGHUP), SigtermInterrupt)
            assert signal.getsignal(signal.SIGHUP) is not signal.getsignal(signal.SIGTERM)
            assert stopped_by() is None
            with pytest.raises(KeyboardInterrupt):
                signal.raise_signal(signal.SIGHUP)
            signal.raise_signal(signal.SIGHUP)  # the shell's, after the system's: the same
            assert stopped_by() == "SIGHUP"
            assert terminated()
        assert signal.getsignal(signal.SIGHUP) is signal.SIG_DFL
        assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


@_NO_SIGHUP
def test_an_ignored_sighup_stays_ignored():
    """``nohup`` ignores SIGHUP so that the command runs on after the terminal closes."""
    with _left_to_the_system(signal.SIGTERM, signal.SIGHUP):
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        with sigterm_as_interrupt():
            assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
            assert isinstance(signal.getsignal(signal.SIGTERM), SigtermInterrupt)
        assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN


@_NO_SIGHUP
@pytest.mark.parametrize("order", [("SIGHUP", "SIGTERM"), ("SIGTERM", "SIGHUP")])
def test_stopped_by_names_the_signal_that_came_first(order):
    """The terminal closed, then a service manager's SIGTERM (or the other way round): the
    line and exit code are of the first, which stopped the command."""
    from quantize._sigterm import HeldInterrupts

    clock = _Clock()
    handlers = {name: SigtermInterrupt(clock=clock) for name in order}
    previous = {name: signal.signal(getattr(signal, name), handler)
                for name, handler in handlers.items()}
    try:
        for name in order:
            assert _interrupts(handlers[name])
            clock.now += 2 * REPEAT_WINDOW
        assert stopped_by() == order[0]
        held = HeldInterrupts({getattr(signal, name): h for name, h in handlers.items()})
        for name in order:
            signal.signal(getattr(signal, name), held)
        assert stopped_by() == order[0]
    finally:
        for name, handler in previous.items():
            signal.signal(getattr(signal, name), handler)
