"""quantize.batch.calls: a failure's fields cross the process boundary, nothing is parsed."""

from __future__ import annotations

import contextlib
import io
import os
import pickle
import threading
import warnings

import pytest
from PIL import Image

from quantize import _threads
from quantize.batch.calls import (
    Call,
    attached_warnings,
    call_with_warnings,
    recorded_call,
    run_isolated,
)
from quantize.errors import ExitCode, ImageReadError, OutputError, QualityError
from quantize.io import DamagedChunkWarning, load_image


def _raise(exc):
    raise exc


@pytest.mark.parametrize("exc, reason, path, code", [
    (ImageReadError("not an image", path="a.png"), "not an image", "a.png", ExitCode.FAILED),
    (QualityError("needs more colours"), "needs more colours", None, ExitCode.QUALITY),
    (FileNotFoundError(2, "No such file or directory", "b.png"),
     "No such file or directory", "b.png", ExitCode.FAILED),
    (ValueError("n_colors=0 should be >= 1\nmore"), "n_colors=0 should be >= 1", None,
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


@contextlib.contextmanager
def _python_sigint():
    """Python's own SIGINT handler while the block runs, as in the command."""
    import signal

    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@pytest.mark.skipif(os.name != "posix", reason="signals sent to oneself")
def test_interrupts_held_once_written_stop_the_block_at_once_before_a_write(tmp_path):
    import signal

    from quantize.batch.calls import interrupts_held_once_written

    done = []
    with _python_sigint():
        with pytest.raises(KeyboardInterrupt):
            with interrupts_held_once_written():
                os.kill(os.getpid(), signal.SIGINT)
                done.append("not reached")
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    assert done == []


@pytest.mark.skipif(os.name != "posix", reason="signals sent to oneself")
def test_interrupts_held_once_written_hold_from_the_files_put_in_place(tmp_path):
    """Once write_together has put its files in place, Ctrl-C waits for the block's end
    (where the file is reported); a second one is not held."""
    import signal

    from quantize.batch.calls import interrupts_held_once_written
    from quantize.io import write_together

    done = []
    with _python_sigint():
        with pytest.raises(KeyboardInterrupt):
            with interrupts_held_once_written():
                write_together([(tmp_path / "a.txt", b"a")])
                os.kill(os.getpid(), signal.SIGINT)
                done.append("reported")
            done.append("not reached")
        with pytest.raises(KeyboardInterrupt):
            with interrupts_held_once_written():
                write_together([(tmp_path / "b.txt", b"b")])
                os.kill(os.getpid(), signal.SIGINT)
                done.append("held")
                os.kill(os.getpid(), signal.SIGINT)
                done.append("not reached")
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    assert done == ["reported", "held"]
    assert (tmp_path / "a.txt").read_bytes() == b"a"


@pytest.mark.skipif(os.name != "posix", reason="signals sent to oneself")
def test_an_interrupt_during_the_renames_still_puts_the_old_files_back(tmp_path, monkeypatch):
    """Inside interrupts_held_once_written, Ctrl-C between write_together's renames undoes
    them as it does elsewhere: the old file is back, the new one not in place."""
    import signal

    from quantize.batch.calls import interrupts_held_once_written
    from quantize.io import write, write_together

    (tmp_path / "a.txt").write_bytes(b"old")
    real = os.replace

    def replaced_then_interrupted(src, dst):
        real(src, dst)
        os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(write.os, "replace", replaced_then_interrupted)
    with _python_sigint():
        with pytest.raises(KeyboardInterrupt), interrupts_held_once_written():
            write_together([(tmp_path / "a.txt", b"new"), (tmp_path / "b.txt", b"b")])
    assert (tmp_path / "a.txt").read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]


@pytest.mark.skipif(os.name != "posix", reason="signals sent to oneself")
def test_a_write_inside_interrupts_held_is_finished_before_the_interrupt(tmp_path,
                                                                        monkeypatch):
    """A settle that writes files (a batch's records) holds Ctrl-C to its end: the renames
    of its write_together are not undone by it."""
    import signal

    from quantize.batch.calls import interrupts_held
    from quantize.io import write, write_together

    real = os.replace

    def replaced_then_interrupted(src, dst):  # once, after the first rename
        real(src, dst)
        monkeypatch.setattr(write.os, "replace", real)
        os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(write.os, "replace", replaced_then_interrupted)
    done = []
    with _python_sigint():
        with pytest.raises(KeyboardInterrupt), interrupts_held():
            write_together([(tmp_path / "a.txt", b"a"), (tmp_path / "b.txt", b"b")])
            done.append("written")
    assert done == ["written"]
    assert sorted(p.read_bytes() for p in tmp_path.iterdir()) == [b"a", b"b"]


def _renames_interrupted(monkeypatch, write) -> None:
    """Have ``write``'s renames send this process SIGINT after the first one, once."""
    import signal

    real = os.replace

    def replaced_then_interrupted(src, dst):
        real(src, dst)
        monkeypatch.setattr(write.os, "replace", real)
        os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(write.os, "replace", replaced_then_interrupted)


@pytest.mark.skipif(os.name != "posix", reason="signals sent to oneself")
def test_a_second_interrupt_during_the_renames_of_a_held_block_puts_the_old_files_back(
        tmp_path, monkeypatch, python_sigint):
    """In a block that holds Ctrl-C from its start (a call let finish), a second one raised
    KeyboardInterrupt wherever the renames were, from the handler: one file new, the other
    old, or the putting back stopped half-way. The renames now stop and are undone."""
    import signal

    from quantize.batch.calls import interrupts_held
    from quantize.io import write, write_together

    (tmp_path / "a.txt").write_bytes(b"old")
    _renames_interrupted(monkeypatch, write)
    notes = []
    with pytest.raises(KeyboardInterrupt), interrupts_held(on_first=lambda: notes.append(1)):
        os.kill(os.getpid(), signal.SIGINT)  # the first: the block goes on
        write_together([(tmp_path / "a.txt", b"new"), (tmp_path / "b.txt", b"b")])
    assert notes == [1]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]
    assert (tmp_path / "a.txt").read_bytes() == b"old"
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


@pytest.mark.skipif(os.name != "posix", reason="signals sent to oneself")
def test_a_first_interrupt_during_the_renames_of_a_held_block_is_the_blocks(
        tmp_path, monkeypatch, python_sigint):
    """The first Ctrl-C of a block that holds it from its start lets the renames finish,
    is said once (``on_first``) and is raised as the block ends."""
    from quantize.batch.calls import interrupts_held
    from quantize.io import write, write_together

    _renames_interrupted(monkeypatch, write)
    done, notes = [], []
    with pytest.raises(KeyboardInterrupt), interrupts_held(on_first=lambda: notes.append(1)):
        write_together([(tmp_path / "a.txt", b"a"), (tmp_path / "b.txt", b"b")])
        done.append("written")
    assert (done, notes) == (["written"], [1])
    assert sorted(p.read_bytes() for p in tmp_path.iterdir()) == [b"a", b"b"]


@pytest.mark.skipif(os.name != "posix", reason="signals sent to oneself")
def test_interrupts_held_inside_interrupts_held_once_written_hold_to_its_end():
    import signal

    from quantize.batch.calls import interrupts_held, interrupts_held_once_written

    done = []
    with _python_sigint():
        with pytest.raises(KeyboardInterrupt):
            with interrupts_held_once_written():
                with interrupts_held():
                    done.append("settling")
                os.kill(os.getpid(), signal.SIGINT)
                done.append("after the settle")
            done.append("not reached")
    assert done == ["settling", "after the settle"]


class _Clock:
    """A clock the test moves by hand, for the command's SIGTERM handler."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@contextlib.contextmanager
def _commands_sigterm(clock: _Clock):
    """The command's SIGTERM handler (:mod:`quantize._sigterm`) on ``clock``, installed
    while the block runs."""
    import signal

    from quantize._sigterm import SigtermInterrupt

    previous = signal.signal(signal.SIGTERM, SigtermInterrupt(clock=clock))
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@pytest.mark.skipif(not hasattr(__import__("signal"), "SIGHUP"), reason="no SIGHUP (Windows)")
def test_the_commands_sighup_is_held_as_its_sigterm_is():
    """A closed terminal (SIGHUP, which the command takes as SIGTERM) was not held back: it
    stopped a settle half-way (an output written, not recorded)."""
    import signal

    from quantize._sigterm import SigtermInterrupt, stopped_by
    from quantize.batch.calls import interrupts_held

    done = []
    previous = signal.signal(signal.SIGHUP, SigtermInterrupt(clock=_Clock()))
    try:
        with pytest.raises(KeyboardInterrupt):
            with interrupts_held():
                os.kill(os.getpid(), signal.SIGHUP)
                done.append("held")
            done.append("not reached")
        assert stopped_by() == "SIGHUP"
        assert isinstance(signal.getsignal(signal.SIGHUP), SigtermInterrupt)
    finally:
        signal.signal(signal.SIGHUP, previous)
    assert done == ["held"]


@pytest.mark.skipif(os.name != "posix", reason="signals sent to oneself")
def test_the_commands_sigterm_is_held_as_ctrl_c_is_and_a_second_one_is_not():
    """In the command, SIGTERM raises KeyboardInterrupt (:mod:`quantize._sigterm`): it was
    not held back, and stopped a settle half-way (an output written, not recorded). A
    second one, seconds later, is not held back."""
    import signal

    from quantize._sigterm import REPEAT_WINDOW, terminated
    from quantize.batch.calls import interrupts_held

    clock = _Clock()
    done = []
    with _commands_sigterm(clock):
        with pytest.raises(KeyboardInterrupt):
            with interrupts_held():
                os.kill(os.getpid(), signal.SIGTERM)
                done.append("held")
            done.append("not reached")
        assert terminated()
        clock.now += 2 * REPEAT_WINDOW
        with pytest.raises(KeyboardInterrupt):
            with interrupts_held():
                os.kill(os.getpid(), signal.SIGTERM)
                done.append("held again")
                clock.now += 2 * REPEAT_WINDOW
                os.kill(os.getpid(), signal.SIGTERM)
                done.append("not reached")
    assert done == ["held", "held again"]


@pytest.mark.skipif(os.name != "posix", reason="signals sent to oneself")
def test_a_sigterm_repeated_at_once_is_held_as_the_first():
    """timeout sends SIGTERM to the command, then to its process group: the second of the
    pair raised KeyboardInterrupt in the middle of the block, as a second request would
    (a batch then abandoned its files in progress). Within the window it is the first."""
    import signal

    from quantize._sigterm import REPEAT_WINDOW
    from quantize.batch.calls import interrupts_held

    clock = _Clock()
    done = []
    with _commands_sigterm(clock):
        with pytest.raises(KeyboardInterrupt):
            with interrupts_held():
                os.kill(os.getpid(), signal.SIGTERM)
                clock.now += REPEAT_WINDOW / 10
                os.kill(os.getpid(), signal.SIGTERM)
                done.append("held")
            done.append("not reached")
        with interrupts_held():  # and after the block, still the same request
            os.kill(os.getpid(), signal.SIGTERM)
            done.append("let go")
    assert done == ["held", "let go"]


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


def _chunk_left_out_then(error):
    warnings.warn("bad CRC in a tEXt chunk ...", DamagedChunkWarning, stacklevel=2)
    warnings.warn("a warning of the caller's own", stacklevel=2)
    raise error


@pytest.mark.parametrize(("error", "said"), [
    # the file could not be read: its chunk left out is of no file read
    (ImageReadError("cannot decode image (image file is truncated)", path="a.png"),
     ("a warning of the caller's own",)),
    # read, then its output could not be written: the file read was left a chunk short
    (OutputError("cannot write in out (No space left on device)", path="out/a.png"),
     ("bad CRC in a tEXt chunk ...", "a warning of the caller's own")),
    (ValueError("n_clusters=300 should be <= 256"),
     ("bad CRC in a tEXt chunk ...", "a warning of the caller's own")),
])
def test_a_damaged_chunk_left_out_is_said_with_an_error_only_of_a_file_read(error, said):
    with pytest.raises(type(error)) as info:
        call_with_warnings(_chunk_left_out_then, error)
    assert attached_warnings(info.value) == said


def _warns_its_own(name: str, meet: threading.Barrier) -> dict:
    for step in ("read", "fitted"):
        meet.wait()  # every call is recording when each warns: their warnings interleave
        warnings.warn(f"{name} {step}", UserWarning, stacklevel=1)
    warnings.warn("only 4 distinct colours", UserWarning, stacklevel=1)  # one line for all
    meet.wait()  # no call stops recording before the others have warned
    if name == "failing":
        raise ImageReadError("not an image", path=name)
    return {"name": name}


def test_calls_recorded_side_by_side_on_threads_each_keep_their_own_warnings():
    """On a Dask worker of several threads, one file's warnings landed in another file's
    record, or in none."""
    names = ["a", "b", "c", "failing"]
    meet = threading.Barrier(len(names), timeout=10)
    outcomes = {}

    def record(name: str) -> None:
        outcomes[name] = run_isolated(Call(call_with_warnings, (_warns_its_own, name, meet)))

    threads = [threading.Thread(target=record, args=(name,)) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    said = {name: [f"{name} read", f"{name} fitted", "only 4 distinct colours"]
            for name in names}
    assert {name: (o.ok, o.value, o.warnings) for name, o in outcomes.items()} == {
        **{name: (True, {"name": name, "warnings": said[name]}, ()) for name in "abc"},
        "failing": (False, "not an image", tuple(said["failing"]))}


def _warns_when_told(started: threading.Event, told: threading.Event) -> dict:
    started.set()
    told.wait(10)
    warnings.warn("the file's", UserWarning, stacklevel=1)
    return {}


def test_a_warning_of_another_thread_goes_where_it_went_before():
    started, told = threading.Event(), threading.Event()
    records = []
    thread = threading.Thread(target=lambda: records.append(
        call_with_warnings(_warns_when_told, started, told)))
    with warnings.catch_warnings(record=True) as shown:
        warnings.simplefilter("always")
        thread.start()
        started.wait(10)
        warnings.warn("not the file's", UserWarning, stacklevel=1)  # while it is recorded
        told.set()
        thread.join()
        warnings.warn("after the call", UserWarning, stacklevel=1)
    assert records == [{"warnings": ["the file's"]}]
    assert [str(w.message) for w in shown] == ["not the file's", "after the call"]


def _warns_here() -> dict:
    warnings.warn("only 2 distinct colours", UserWarning, stacklevel=1)
    return {}


def test_a_warning_shown_once_before_is_recorded_by_each_call():
    # "default" shows a warning once per line: the line's registry then held it back.
    with warnings.catch_warnings(record=True) as shown:
        warnings.simplefilter("default")
        _warns_here()
        _warns_here()
        records = [call_with_warnings(_warns_here), call_with_warnings(_warns_here)]
    assert [str(w.message) for w in shown] == ["only 2 distinct colours"]
    assert records == [{"warnings": ["only 2 distinct colours"]}] * 2


@pytest.mark.parametrize("action", ["error", "ignore"])
def test_a_call_records_its_warnings_whatever_the_filters(action):
    with warnings.catch_warnings():
        warnings.simplefilter(action)
        assert call_with_warnings(_warns_here) == {"warnings": ["only 2 distinct colours"]}


def _warns_in_two_tasks() -> dict:
    both = threading.Barrier(2, timeout=10)

    def task(i: int) -> int:
        both.wait()  # each waits for the other: the second runs in the pool's thread
        warnings.warn(f"task {i}", UserWarning, stacklevel=1)
        return threading.get_ident()

    first, second = _threads.run([lambda: task(0), lambda: task(1)])
    return {"threads": int(first != second)}


def test_the_warnings_of_a_calls_tasks_on_the_packages_threads_are_its_own():
    count = _threads.count()
    _threads.set_threads(2)
    try:
        record = call_with_warnings(_warns_in_two_tasks)
    finally:
        _threads.set_threads(count)
    assert record["threads"] == 1
    assert sorted(record["warnings"]) == ["task 0", "task 1"]


@pytest.mark.parametrize("pillow_said, line", [
    ("Possibly corrupt EXIF data.  Expecting to read 20 bytes but only got 4. Skipping tag 271",
     "damaged metadata: tag 271 gives a value of 20 bytes, of which 4 are there, so that tag "
     "is ignored"),
    ("Tag data larger than file. Skipping tag 270",
     "damaged metadata: tag 270 gives a value of more bytes than the file holds, so that tag "
     "is ignored"),
    ("Tag offset too large", "Tag offset too large")])  # of a BigTIFF alone: as it is
def test_pillows_warnings_of_a_tag_skipped_are_said_in_words_of_our_own(pillow_said, line):
    """They came out as Pillow words them (of a TIFF's tags, where no warning of the
    reader's says it). The first is in Pillow's reader of tags, though in Pillow 13 its
    'Truncated File Read' comes first for a value read short."""
    from PIL import TiffImagePlugin

    from quantize.batch.calls import warning_lines

    said = warnings.WarningMessage(UserWarning(pillow_said), UserWarning,
                                   TiffImagePlugin.__file__, 1)
    assert warning_lines([said]) == [line]


class _Told(UserWarning):
    pass


def _tells(fail: bool) -> dict[str, int]:
    warnings.warn("fewer colours, all kept", _Told, stacklevel=2)
    warnings.warn("alpha dropped", UserWarning, stacklevel=2)
    if fail:
        raise ValueError("no room")
    return {"k": 2}


def test_notes_are_recorded_apart_from_warnings_and_dropped_with_an_error():
    record = recorded_call(_tells, (False,), {}, format_advice=True, notes=(_Told,))
    assert record == {"k": 2, "warnings": ["alpha dropped"],
                      "notes": ["fewer colours, all kept"]}
    assert recorded_call(_tells, (False,), {}, format_advice=True) == {
        "k": 2, "warnings": ["fewer colours, all kept", "alpha dropped"]}
    with pytest.raises(ValueError) as failed:
        recorded_call(_tells, (True,), {}, format_advice=True, notes=(_Told,))
    assert attached_warnings(failed.value) == ("alpha dropped",)
