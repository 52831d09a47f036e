"""quantize.batch.calls: a failure's fields cross the process boundary, nothing is parsed."""

from __future__ import annotations

import io
import pickle
import warnings

import pytest
from PIL import Image

from quantize.batch.calls import Call, attached_warnings, call_with_warnings, run_isolated
from quantize.errors import ExitCode, ImageReadError, QualityError
from quantize.io import load_image


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


def test_the_commands_sigterm_is_held_as_ctrl_c_is_and_a_second_one_is_not():
    """In the command, SIGTERM raises KeyboardInterrupt (:mod:`quantize._sigterm`): it was
    not held back, and stopped a settle half-way (an output written, not recorded)."""
    import os
    import signal

    from quantize._sigterm import sigterm_as_interrupt, terminated
    from quantize.batch.calls import interrupts_held

    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    done = []
    with sigterm_as_interrupt():
        with pytest.raises(KeyboardInterrupt):
            with interrupts_held():
                os.kill(os.getpid(), signal.SIGTERM)
                done.append("held")
            done.append("not reached")
        assert terminated()
        with pytest.raises(KeyboardInterrupt):
            with interrupts_held():
                os.kill(os.getpid(), signal.SIGTERM)
                done.append("held again")
                os.kill(os.getpid(), signal.SIGTERM)
                done.append("not reached")
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    assert done == ["held", "held again"]


def _read_then_warn(src):
    warnings.warn("a warning of the caller's own", stacklevel=2)
    return load_image(src)


def test_a_failed_call_drops_pillows_warnings_about_the_damage_its_error_names(tmp_path):
    """A cut TIFF: Pillow's "Corrupt EXIF data.  Expecting to read 2 bytes but only got 0."
    came as a warning line before the error that names the file as malformed."""
    frames = [Image.new("RGB", (8, 6), c) for c in [(255, 0, 0), (0, 255, 0), (0, 0, 255)]]
    buf = io.BytesIO()
    frames[0].save(buf, "TIFF", save_all=True, append_images=frames[1:])
    src = tmp_path / "cut.tif"
    src.write_bytes(buf.getvalue()[: buf.tell() // 2])
    with pytest.raises(ImageReadError) as info:
        call_with_warnings(_read_then_warn, src)
    assert attached_warnings(info.value) == ("a warning of the caller's own",)
