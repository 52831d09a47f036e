"""quantize.batch.calls: a failure's fields cross the process boundary, nothing is parsed."""

from __future__ import annotations

import pickle

import pytest

from quantize.batch.calls import Call, run_isolated
from quantize.errors import ExitCode, ImageReadError, QualityError


def _raise(exc):
    raise exc


@pytest.mark.parametrize("exc, reason, path, code", [
    (ImageReadError("not an image", path="a.png"), "not an image", "a.png", ExitCode.FAILED),
    (QualityError("needs more colours"), "needs more colours", None, ExitCode.QUALITY),
    (FileNotFoundError(2, "No such file or directory", "b.png"),
     "No such file or directory", "b.png", ExitCode.FAILED),
    (ValueError("n_colors=1 should be >= 2\nmore"), "n_colors=1 should be >= 2", None,
     ExitCode.USAGE),
    (TypeError("seed should be an int"), "seed should be an int", None, ExitCode.USAGE),
    (OSError("disk on fire"), "disk on fire", None, ExitCode.FAILED),
    (MemoryError(), "out of memory", None, ExitCode.FAILED),
])
def test_expected_errors_become_outcomes_with_their_fields(exc, reason, path, code):
    outcome = pickle.loads(pickle.dumps(run_isolated(Call(_raise, (exc,)))))
    assert (outcome.ok, outcome.value, outcome.path, outcome.exit_code) == (
        False, reason, path, code)


def test_unexpected_errors_keep_their_type_and_place():
    outcome = run_isolated(Call(_raise, (KeyError("palette"),)))
    assert not outcome.ok
    assert outcome.value.startswith("KeyError at test_batch_calls.py:")
    assert outcome.value.endswith(": 'palette'")


def test_keyword_arguments_are_passed():
    outcome = run_isolated(Call(int, ("ff",), {"base": 16}))
    assert (outcome.ok, outcome.value) == (True, 255)


def test_interrupts_held_raise_once_the_block_ends():
    import os
    import signal

    from quantize.batch.calls import interrupts_held

    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    done = []
    try:
        with pytest.raises(KeyboardInterrupt):
            with interrupts_held(), interrupts_held():  # nested: held to the outer end
                os.kill(os.getpid(), signal.SIGINT)
                done.append("inner")
            done.append("after")
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        signal.signal(signal.SIGINT, previous)
    assert done == ["inner"]


def test_a_second_interrupt_is_not_held():
    import os
    import signal

    from quantize.batch.calls import interrupts_held

    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    done = []
    try:
        with pytest.raises(KeyboardInterrupt):
            with interrupts_held():
                os.kill(os.getpid(), signal.SIGINT)
                done.append("held")
                os.kill(os.getpid(), signal.SIGINT)
                done.append("not reached")
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        signal.signal(signal.SIGINT, previous)
    assert done == ["held"]
