"""The command's SIGTERM handler (:mod:`quantize._sigterm`): SIGTERM taken as Ctrl-C, and a
SIGTERM repeated at once (``timeout`` sends one to the command, then one to its process
group) taken as the same request, not as a second one that abandons the files in progress.
The clock is injected: no test waits for real time to pass."""

from __future__ import annotations

import os
import signal

import pytest

from quantize._sigterm import (
    REPEAT_WINDOW,
    SigtermFromParent,
    SigtermInterrupt,
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
