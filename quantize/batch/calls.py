"""Isolated calls: what a worker runs, whatever the executor (local pool or Dask).

A :class:`Call` is a module-level function and its arguments; :func:`run_isolated`
runs it and turns any ordinary exception into a failed :class:`Outcome` holding
the error's ``reason``, ``path`` and exit code as fields (taken from
:class:`~quantize.errors.QuantizeError` and ``OSError`` attributes; no message
is parsed). Executors call ``settle(index, outcome)`` as calls finish, each
inside :func:`interrupts_held`, so that Ctrl-C never stops a settle half-way.
:func:`call_with_warnings` wraps a job so that the warnings it raised travel
back in its record (or with its error), one line each: its own, not those of a
job run beside it on another thread of the process (a Dask worker's).
"""

from __future__ import annotations

import contextlib
import re
import signal
import threading
import time
import traceback
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image

from .._sigterm import TAKEN_SIGNALS, HeldInterrupts, SigtermInterrupt
from ..errors import (
    ExitCode,
    FailureKind,
    ImageReadError,
    QualityScaleWarning,
    QuantizeError,
    command_line_text,
    failure_kind,
    warnings_recorded,
)
from ..png import DamagedChunkWarning

__all__ = ["WORKER_DIED", "Call", "CallsAbandoned", "Outcome", "Settle", "attach_warnings",
           "attached_warnings", "call_with_warnings", "interrupts_held",
           "interrupts_held_once_written", "one_line", "recorded_call", "run_isolated",
           "warning_lines"]

#: Reason given for a call whose worker process died while running it.
WORKER_DIED = "the worker process died while processing this file (killed or out of memory)"


@dataclass(frozen=True)
class Call:
    """A function and its arguments, shipped to a worker (picklable by reference)."""

    func: Callable[..., Any]
    args: tuple[Any, ...] = ()
    kwargs: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Outcome:
    """A call's return value, or why it failed, and its wall time.

    When ``ok`` is false, ``value`` is the one-line reason (without a path),
    ``path`` the file the error was about (None when it named none),
    ``exit_code`` the code the failure maps to and ``warnings`` the warnings
    the call raised before it failed (:func:`attach_warnings`), one line each.
    ``kind`` is the failure's :data:`~quantize.errors.FailureKind` (:func:`failure_kind`
    of the error; "other" for a worker that died, or ran out of memory).
    ``worker`` is true when the failure is of the worker that was to run the call
    (a Dask worker unfit for the run, or lost), not of the call or its file: the
    call did not run, and may run elsewhere. ``workers_lost`` holds the addresses of the
    Dask workers lost while they held the call, in the order lost (the call was run again
    after each, but maybe the last): empty on a local pool, and when none was.
    """

    ok: bool
    value: Any
    seconds: float
    path: str | None = None
    exit_code: ExitCode = ExitCode.OK
    warnings: tuple[str, ...] = ()
    worker: bool = False
    kind: FailureKind = "other"
    workers_lost: tuple[str, ...] = ()

    @classmethod
    def failure(cls, reason: str, seconds: float = 0.0, *, path: str | None = None,
                exit_code: ExitCode = ExitCode.FAILED,
                warnings: tuple[str, ...] = (), worker: bool = False,
                kind: FailureKind = "other") -> Outcome:
        return cls(False, reason, seconds, path, exit_code, warnings, worker, kind)


#: ``settle(index, outcome)``: how an executor reports a finished call.
Settle = Callable[[int, Outcome], None]


class CallsAbandoned(KeyboardInterrupt):
    """The second interrupt of an executor that was letting its calls in flight finish:
    ``indices``, the calls it abandoned while they ran (their workers stopped), never
    settled, in their order."""

    def __init__(self, indices: Sequence[int]) -> None:
        super().__init__()
        self.indices = tuple(indices)


@contextlib.contextmanager
def interrupts_held(on_first: Callable[[], None] | None = None
                    ) -> Iterator[HeldInterrupts | None]:
    """Hold back Ctrl-C (SIGINT) while the block runs, and raise it when the block ends;
    in the command, SIGTERM and SIGHUP too, which it takes as Ctrl-C (:mod:`quantize._sigterm`).

    An executor settles each finished call inside this block: an interrupt landing
    half-way through a settle would leave an output written but not recorded or
    reported. A second interrupt is not held back (a settle blocked writing to a pipe
    nobody reads must not make the run impossible to stop); a SIGTERM repeated at once
    (:data:`~quantize._sigterm.REPEAT_WINDOW`) is no second one. Only the main thread
    with Python's own SIGINT handler (or the command's SIGTERM handler) holds it back;
    elsewhere (another thread, a handler of the caller's) the block runs as it is.
    Nested blocks hold it back until the outermost one ends (that of
    :func:`interrupts_held_once_written` too, from the inner block on).

    The block is given the :class:`~quantize._sigterm.HeldInterrupts` handler that holds
    them (None where nothing is held); ``on_first`` becomes its own: called, in the
    handler, as the first interrupt is held back (not for an inner block).

    >>> with interrupts_held():
    ...     pass
    """
    with _held(at_once=True, on_first=on_first) as held:
        yield held


@contextlib.contextmanager
def interrupts_held_once_written() -> Iterator[None]:
    """As :func:`interrupts_held`, but from the moment a
    :func:`~quantize.io.write_together` in the block puts its files in place (or an inner
    :func:`interrupts_held` begins): before, Ctrl-C and SIGTERM act at once, as outside.

    For a call run in this process and then settled, inside this block: the call's image
    work can be stopped, and an output it put in place is also settled. The call should
    do no long work once its files are in place.

    >>> with interrupts_held_once_written():
    ...     pass
    """
    with _held(at_once=False):
        yield


@contextlib.contextmanager
def _held(*, at_once: bool,
          on_first: Callable[[], None] | None = None) -> Iterator[HeldInterrupts | None]:
    """Stand a :class:`~quantize._sigterm.HeldInterrupts` in for the handlers of SIGINT
    and the command's SIGTERM and SIGHUP while the block runs, holding from the start when
    ``at_once``; inside another such block, have that one hold (when ``at_once``).
    Yield the handler that holds them (None where none does)."""
    if threading.current_thread() is not threading.main_thread():
        yield None
        return
    outer = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, *TAKEN_SIGNALS)}
    for handler in outer.values():
        if isinstance(handler, HeldInterrupts):
            if at_once:
                handler.hold()
            yield handler
            return
    own = {signum: handler for signum, handler in outer.items()
           if (signum == signal.SIGINT and handler is signal.default_int_handler)
           or isinstance(handler, SigtermInterrupt)}
    if not own:
        yield None
        return
    held = HeldInterrupts(own, on_first)
    if at_once:
        held.hold()
    for signum in own:
        signal.signal(signum, held)
    try:
        yield held
    finally:
        for signum, handler in own.items():
            signal.signal(signum, handler)
    if held.caught:  # as the handler held back would: it was taken (taken_now) already
        raise KeyboardInterrupt


def run_isolated(call: Call) -> Outcome:
    """Run ``call``; an ordinary exception becomes a failed outcome, never a crash.

    >>> run_isolated(Call(int, ("12",))).value
    12
    >>> bad = run_isolated(Call(int, ("twelve",)))
    >>> bad.ok, bad.value, int(bad.exit_code)
    (False, "invalid literal for int() with base 10: 'twelve'", 2)
    """
    start = time.perf_counter()
    try:
        value = call.func(*call.args, **call.kwargs)
    except MemoryError:
        return Outcome.failure("out of memory", time.perf_counter() - start)
    except Exception as exc:  # noqa: BLE001 -- isolation: the reason is reported
        return _failed(exc, time.perf_counter() - start)
    return Outcome(True, value, time.perf_counter() - start)


def _failed(exc: Exception, seconds: float) -> Outcome:
    """The outcome of a call that raised ``exc``: its fields, not its message, when it has them.

    Errors from bad files (``QuantizeError``, ``OSError``) are expected; so are
    ``ValueError`` and ``TypeError`` from a parameter the file cannot take (exit
    code USAGE, as the command line reports them). Anything else keeps its type
    name and where it was raised.
    """
    said, kind = attached_warnings(exc), failure_kind(exc)
    if isinstance(exc, QuantizeError):  # its own reason is one line, but may name a file
        # whose name holds a newline ("output folder a\nb does not exist"): kept whole
        return Outcome.failure(exc.reason.strip() or type(exc).__name__, seconds, path=exc.path,
                               exit_code=exc.exit_code, warnings=said, kind=kind)
    if isinstance(exc, OSError) and exc.strerror:
        path = None if exc.filename is None else str(exc.filename)
        return Outcome.failure(one_line(exc.strerror), seconds, path=path, warnings=said,
                               kind=kind)
    if isinstance(exc, OSError):
        return Outcome.failure(one_line(exc), seconds, warnings=said, kind=kind)
    if isinstance(exc, (ValueError, TypeError)):
        return Outcome.failure(one_line(exc), seconds, exit_code=ExitCode.USAGE,
                               warnings=said, kind=kind)
    where = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    at = f" at {Path(where[0].filename).name}:{where[0].lineno}" if where else ""
    return Outcome.failure(f"{type(exc).__name__}{at}: {one_line(exc)}", seconds,
                           warnings=said)


# The attribute of an exception holding the warnings raised before it (attach_warnings).
_WARNINGS = "quantize_warnings"


def attach_warnings(exc: BaseException, messages: list[str]) -> None:
    """Keep ``messages``, the warnings a call raised before ``exc`` ended it, on ``exc``,
    for its failed :class:`Outcome` (a file that failed still shows its warnings).

    >>> exc = ValueError("bad")
    >>> attach_warnings(exc, ["only 1 distinct colour"])
    >>> attached_warnings(exc)
    ('only 1 distinct colour',)
    """
    setattr(exc, _WARNINGS, tuple(messages))


def attached_warnings(exc: BaseException) -> tuple[str, ...]:
    """The warnings :func:`attach_warnings` kept on ``exc`` (none when it kept none)."""
    return tuple(getattr(exc, _WARNINGS, ()))


def one_line(message: BaseException | Warning | str) -> str:
    """The first line of a message (the type name when it is empty).

    >>> one_line(ValueError("first\\nsecond"))
    'first'
    """
    text = str(message).strip() or type(message).__name__
    return text.splitlines()[0]


def call_with_warnings(func: Callable[..., Mapping[str, Any]], *args: Any,
                       **kwargs: Any) -> dict[str, Any]:
    """``func(*args, **kwargs)``'s record, with the warnings it raised under ``"warnings"``.

    For workers, which must not print: the warnings travel back in the record
    (one line each) and the driver shows them, as the command line words them
    (:func:`~quantize.errors.command_line_text`: without advice in Python). When
    ``func`` raises, the warnings raised before go with the error
    (:func:`attach_warnings`), into the failed outcome. A
    :class:`~quantize.errors.QualityScaleWarning` is left out: the driver says it once
    for all its files.
    """
    return recorded_call(func, args, kwargs, format_advice=True)


def recorded_call(func: Callable[..., Mapping[str, Any]], args: tuple[Any, ...],
                  kwargs: Mapping[str, Any], *, format_advice: bool,
                  said_once: tuple[type[Warning], ...] = (),
                  notes: tuple[type[Warning], ...] = (),
                  noted: tuple[type[Warning], ...] = (),
                  limited: tuple[type[Warning], ...] = ()) -> dict[str, Any]:
    """:func:`call_with_warnings`; without ``format_advice``, the warnings' advice on the
    output format is left out (:func:`~quantize.errors.command_line_text`); warnings of the
    categories ``said_once`` are left out too, as the driver says them once. Those of the
    categories ``notes`` are facts about a result that is no fault (``FewerColorsWarning``:
    fewer colours than asked, all kept): recorded apart, under ``"notes"``, in the same
    words, and dropped when the call fails; so are those of the categories ``noted``
    (``ExifLeftOutWarning``), under ``"noted"``, which the driver says as note lines. Those
    of the categories ``limited`` (``QualityLimitWarning``) are warnings, recorded apart under
    ``"quality_limited"``, which the driver says in one line for all files with ``-q``.

    Only the warnings raised by this call are recorded
    (:func:`~quantize.errors.warnings_recorded`): not those of a call run beside it on
    another thread of the same process (a Dask worker with several threads)."""
    with warnings_recorded((QualityScaleWarning, *said_once)) as caught:
        try:
            record = dict(func(*args, **kwargs))
        except Exception as exc:
            said = [w for w in caught if not issubclass(w.category, (*notes, *noted))]
            attach_warnings(exc, warning_lines(_said_with_error(said, exc),
                                               format_advice=format_advice))
            raise
    told = [w for w in caught if issubclass(w.category, notes)]
    shown = [w for w in caught if issubclass(w.category, noted)]
    kept = [w for w in caught if issubclass(w.category, limited)]
    said = [w for w in caught if not issubclass(w.category, (*notes, *noted, *limited))]
    if said:
        record["warnings"] = warning_lines(said, format_advice=format_advice)
    if told:
        record["notes"] = warning_lines(told, format_advice=format_advice)
    if shown:
        record["noted"] = warning_lines(shown, format_advice=format_advice)
    if kept:
        record["quality_limited"] = warning_lines(kept, format_advice=format_advice)
    return record


def _said_with_error(caught: list[warnings.WarningMessage], exc: Exception
                     ) -> list[warnings.WarningMessage]:
    """The warnings ``caught`` that are said before ``exc``, the error that ended the call:
    not Pillow's own, about the damage its error names (a cut TIFF's "Corrupt EXIF data.
    Expecting to read 2 bytes ..."), which its error line says; nor, when the file could not
    be read (an :class:`~quantize.errors.ImageReadError`: "cannot decode image (image file
    is truncated)"), a :class:`~quantize.png.DamagedChunkWarning`, of metadata left out of
    a file that was not read at all."""
    unread = isinstance(exc, ImageReadError)
    return [w for w in caught if not _from_pillow(w)
            and not (unread and issubclass(w.category, DamagedChunkWarning))]


_PILLOW_DIR = Path(Image.__file__).resolve().parent


def _from_pillow(caught: warnings.WarningMessage) -> bool:
    """Whether a warning was raised by Pillow's own code (attributed to a file of Pillow's)."""
    return Path(caught.filename).resolve().is_relative_to(_PILLOW_DIR)


#: Pillow's warnings that name its own machinery rather than the file, in words about the
#: file. "Truncated File Read" is what its reader of EXIF (and TIFF) tags warns when a
#: tag's value lies past the end of the data, after which it reads no more tags.
_PILLOW_WARNINGS = {
    "Truncated File Read": "damaged metadata: a tag's value lies past the end of the EXIF "
                           "or TIFF tags, so that tag and the ones after it are ignored",
}
#: Pillow's warnings of one tag its reader of EXIF and TIFF tags skips, and the same in
#: words about the file: a value of more bytes than the data holds, or one read short.
#: Of an EXIF block a :class:`~quantize.io.DamagedExifWarning` says them instead
#: (:func:`_without_pillow_exif_twice`); these are for a TIFF's own tags.
_PILLOW_TAG_WARNINGS = (
    (re.compile(r"Tag data larger than file\. Skipping tag (\d+)"),
     r"damaged metadata: tag \1 gives a value of more bytes than the file holds, so that "
     r"tag is ignored"),
    (re.compile(r"Possibly corrupt EXIF data\. Expecting to read (\d+) bytes but only got "
                r"(\d+)\. Skipping tag (\d+)"),
     r"damaged metadata: tag \3 gives a value of \1 bytes, of which \2 are there, so that "
     r"tag is ignored"),
)


def warning_lines(caught: list[warnings.WarningMessage], *,
                  format_advice: bool = True) -> list[str]:
    """The lines a command shows for the warnings ``caught``
    (:func:`~quantize.errors.command_line_text`): each warning once, one line each (a
    file's frames may each raise the same one). Pillow's own have their runs of spaces
    made one ("Corrupt EXIF data.  Expecting to read 12 bytes but only got 6. "), and
    those that name its machinery are said of the file (:data:`_PILLOW_WARNINGS`)."""
    caught = _without_pillow_exif_twice(caught)
    said = (command_line_text(w.message, format_advice=format_advice) for w in caught)
    lines = (_pillow_line(m) if _from_pillow(w) else one_line(m)
             for w, m in zip(caught, said, strict=True))
    return list(dict.fromkeys(lines))


#: How Pillow's warnings of a damaged EXIF block begin, which a
#: :class:`~quantize.io.DamagedExifWarning` says in words of our own: a first directory cut
#: short, a tag's value more than the block holds, a value that ends past it (the last also
#: of a TIFF's tags, where no warning of ours says it), and a value read short.
_PILLOW_EXIF_DAMAGE = ("Corrupt EXIF data.", "Tag data larger than file.",
                       "Truncated File Read", "Possibly corrupt EXIF data.")


def _without_pillow_exif_twice(caught: list[warnings.WarningMessage]
                               ) -> list[warnings.WarningMessage]:
    """``caught`` without Pillow's warnings of a damaged EXIF block
    (:data:`_PILLOW_EXIF_DAMAGE`) when the reader said, in words of its own, that the EXIF
    is damaged and what it did (:class:`~quantize.io.DamagedExifWarning`): Pillow says it
    too as it opens a JPEG, before any reader of the file can."""
    from ..io import DamagedExifWarning

    if not any(issubclass(w.category, DamagedExifWarning) for w in caught):
        return caught
    return [w for w in caught
            if not (_from_pillow(w) and str(w.message).startswith(_PILLOW_EXIF_DAMAGE))]


def _pillow_line(message: str) -> str:
    """A warning of Pillow's as one line, its runs of spaces made one, in words about the
    file where :data:`_PILLOW_WARNINGS` or :data:`_PILLOW_TAG_WARNINGS` has them."""
    line = " ".join(one_line(message).split())
    for pattern, words in _PILLOW_TAG_WARNINGS:
        if pattern.fullmatch(line):
            return pattern.sub(words, line)
    return _PILLOW_WARNINGS.get(line, line)
