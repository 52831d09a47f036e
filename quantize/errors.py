"""Exceptions raised for user-facing failures, and the exit codes they map to.

Bad parameter values raise plain ``ValueError`` and bad types ``TypeError``
(the CLI reports both as usage errors). The classes below are for failures tied
to files and results; each carries the ``path`` it is about (or None) and the
``reason`` as separate fields, so callers never parse the message.

:class:`ExitCode` is the one definition of the command line's exit codes
(documented in docs/errors.md, modelled on pngquant's where they overlap).
:data:`FailureKind` names what kind of failure an error is, in one word a script can test
(:func:`failure_kind`), finer than the exit codes where they share one.

:class:`QuantizeWarning` is the base class of every warning quantize gives.
:func:`warn_caller` issues a warning attributed to the first line outside the
package, for warnings raised deep in a helper that several public functions reach;
:func:`warnings_held` holds them back for the calling thread alone (a context variable),
where ``warnings.catch_warnings`` would change the filters every thread shares.
:class:`FormatAdviceWarning` and :class:`CodeAdviceWarning` keep a warning's facts
apart from its advice, which :func:`command_line_text` leaves out where the user
cannot follow it.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sys
import threading
import warnings
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from enum import IntEnum
from typing import Any, Literal, NamedTuple, get_args

__all__ = ["FAILURE_KINDS", "AdvisedFormats", "AlphaLossWarning", "CodeAdviceWarning",
           "ExcludeAdviceError", "ExifLeftOutWarning", "ExitCode", "FailureKind",
           "FirstFrameWarning", "FormatAdviceError", "FormatAdviceWarning", "GeoTagsLeftOutWarning",
           "GifTableWarning",
           "ImageReadError",
           "InputParameterError", "OutputError", "OutputExistsError", "OwnFileError",
           "PaletteInWarning", "PaletteRepeatWarning", "ProfileConvertedWarning", "QualityError",
           "QualityReached",
           "QualityScaleWarning",
           "QuantizeDeprecationWarning",
           "QuantizeError", "QuantizeWarning", "ResultTooLargeError", "SharedOutputError",
           "SizeBudgetError", "StillExpectedError",
           "StillImageWarning", "TextLeftOutWarning", "TimingLossWarning", "WideLabelsWarning",
           "WriteRefusedError",
           "command_line_text",
           "failure_kind", "failure_kind_of_code", "warn_again", "warn_caller", "warnings_held",
           "warnings_recorded"]


class ExitCode(IntEnum):
    """Exit codes of every ``quantize`` command."""

    #: Success.
    OK = 0
    #: An input could not be read or is not a usable image, or an output cannot be written.
    FAILED = 1
    #: Usage error: a bad option or parameter value.
    USAGE = 2
    #: The output exists and ``--force`` was not given (as pngquant).
    EXISTS = 15
    #: Another batch is writing into the output folder: a later run may succeed (as
    #: EX_TEMPFAIL of sysexits.h, "try again later"); before, it was EXISTS.
    IN_USE = 75
    #: ``--skip-if-larger``: the result would be larger than the input (as pngquant).
    TOO_LARGE = 98
    #: ``--quality`` could not be reached (as pngquant), or ``--max-bytes``.
    QUALITY = 99
    #: Stopped by SIGHUP (the terminal closed, an ssh connection dropped), 128 + 1.
    HANGUP = 129
    #: Interrupted by Ctrl-C (SIGINT), 128 + 2 as a shell reports a process it ends.
    INTERRUPTED = 130
    #: Stopped by SIGTERM (``kill``, ``timeout``, a job scheduler), 128 + 15.
    TERMINATED = 143


#: What kind of failure an error is, one word a script tests rather than the error's prose
#: (:func:`failure_kind`), each kind asking for its own way on: "unreadable_input", an
#: input missing, unreadable or no image (:class:`ImageReadError`); "bad_parameter", a value
#: the command or the file cannot take (``ValueError``, ``TypeError``,
#: :class:`InputParameterError`); "write_failed", an output that cannot be written (a
#: folder missing or read-only, a name in the way: :class:`OutputError`); "disk_full", a
#: write the system refused for want of room (a full disk, a quota: ``ENOSPC``,
#: ``EDQUOT``), which freeing room and rerunning gets past; "output_exists", an output there
#: and no ``force`` (:class:`OutputExistsError`); "options_changed", outputs made with other
#: settings (a batch's ``OptionsChangedError``); "folder_in_use", another batch writing into
#: the folder (a batch's ``FolderInUseError``), which a later run gets past; "quality", a
#: ``quality`` or ``max_bytes`` out of reach (:class:`QualityError`,
#: :class:`SizeBudgetError`); "larger", a result larger than its input
#: (:class:`ResultTooLargeError`); "cluster_lost", a batch's Dask cluster gone mid-run (its
#: scheduler lost, or no worker connected for its ``worker_timeout``), which a rerun once it
#: is back gets past, said of the run, never of a file; "other", anything else (a worker
#: that died, out of memory, an error of quantize's own).
FailureKind = Literal["unreadable_input", "bad_parameter", "write_failed", "disk_full",
                      "output_exists", "options_changed", "folder_in_use", "quality", "larger",
                      "cluster_lost", "other"]
FAILURE_KINDS: tuple[str, ...] = get_args(FailureKind)
#: The system's error numbers of a write refused for want of room: a full disk, a quota.
_NO_ROOM = frozenset({errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)})


class QuantizeError(Exception):
    """Base class of every error quantize raises of its own: the file and result errors
    below, and, each keeping its other base, :class:`FormatAdviceError` and
    :class:`ExcludeAdviceError` (``ValueError``), :class:`~quantize.kmeans.NotFittedError`,
    :class:`~quantize.kmeans_run.TooFewDistinctError` and the batch's errors (Dask's
    ``SchedulerLostError``, a ``ConnectionError``; ``MissingDependencyError``, an
    ``ImportError``). Bad parameter values raise plain ``ValueError`` and ``TypeError``.
    ``exit_code`` is the command line's code for the class.

    Parameters
    ----------
    reason : str
        What went wrong, without the path.
    path : str or os.PathLike, optional
        The file the error is about; the message is ``"<path>: <reason>"``.

    Examples
    --------
    >>> from quantize import ImageReadError
    >>> err = ImageReadError("no such file", path="a.png")
    >>> str(err), err.path, err.reason, err.exit_code
    ('a.png: no such file', 'a.png', 'no such file', <ExitCode.FAILED: 1>)
    """

    exit_code = ExitCode.FAILED
    #: The :data:`FailureKind` of the class (:func:`failure_kind` gives an instance's).
    kind: FailureKind = "other"

    def __init__(self, reason: str, *, path: str | os.PathLike[str] | None = None):
        self.reason = reason
        self.path = None if path is None else os.fspath(path)
        super().__init__(reason if self.path is None else f"{self.path}: {reason}")

    def __reduce__(self):  # keeps the fields across process boundaries (batch workers)
        return (_rebuild, (type(self), self.reason, self.path))


def _rebuild(cls: type[QuantizeError], reason: str, path: str | None) -> QuantizeError:
    return cls(reason, path=path)


class ImageReadError(QuantizeError, ValueError):
    """An input file is missing, unreadable, truncated, too large or not an image."""

    kind: FailureKind = "unreadable_input"


class InputParameterError(QuantizeError, ValueError):
    """A parameter that one input cannot take, found once the input was read
    (``page=3`` of an image of one page, a palette image of too many colours): a usage error,
    exit 2, as a bad parameter is, but naming the file, as the file's other errors do."""

    exit_code = ExitCode.USAGE
    kind: FailureKind = "bad_parameter"


def _advised(facts: str, advice: str) -> str:
    """The line of an error or warning whose ``facts`` end with ``advice`` after "; ",
    if there is any.

    >>> _advised("has 3 frames", "call reduce_file"), _advised("has 3 frames", "")
    ('has 3 frames; call reduce_file', 'has 3 frames')
    """
    return f"{facts}; {advice}" if advice else facts


class _AdviceError(QuantizeError, ValueError):
    """A bad parameter value (of one input, when ``path`` is given) whose message is its
    ``facts``, then (after "; ") its ``advice``, if any, which a caller that cannot follow
    that advice leaves out, as :class:`_AdviceWarning` keeps a warning's apart. Exit 2, as
    a bad parameter. Pickled with both parts and the fields ``_kept`` gives (batch
    workers), as the class it is."""

    exit_code = ExitCode.USAGE
    kind: FailureKind = "bad_parameter"

    def __init__(self, facts: str, *, advice: str = "",
                 path: str | os.PathLike[str] | None = None):
        self.facts, self.advice = facts, advice
        super().__init__(_advised(facts, advice), path=path)

    def _kept(self) -> dict[str, Any]:
        """The keywords, but ``facts``, that make this error again."""
        return {"advice": self.advice, "path": self.path}

    def __reduce__(self):  # keeps both parts across process boundaries (batch workers)
        return (_rebuild_advice, (type(self), self.facts, self._kept()))


def _rebuild_advice(cls: type[_AdviceError], facts: str, kept: dict[str, Any]
                    ) -> _AdviceError:
    return cls(facts, **kept)


class CodeAdviceError(_AdviceError, InputParameterError):
    """A bad parameter (of one input, when ``path`` is given) whose message ends, after
    "; ", with advice in Python (``reduce_file(input, palette_out=...)``), which only a
    caller of the library can follow: ``facts`` is the reason without it, for the command
    line to give its own advice (a command) in its place, as a
    :class:`CodeAdviceWarning` keeps its facts apart.

    >>> err = CodeAdviceError("has 3 frames", advice="call reduce_file", path="a.gif")
    >>> str(err), err.facts, err.exit_code
    ('a.gif: has 3 frames; call reduce_file', 'has 3 frames', <ExitCode.USAGE: 2>)
    """


class StillExpectedError(CodeAdviceError):
    """An input of several frames (an animation, a TIFF's pages) given where a still image
    is expected (:func:`~quantize.reduce.palette_job.extract_palette`): the file is the
    cause, not a parameter, so the command line exits 1 (``FAILED``), as for an input that
    is not a usable image, not 2. Its message keeps :class:`CodeAdviceError`'s two parts.

    >>> err = StillExpectedError("has 3 frames", advice="call reduce_file", path="a.tif")
    >>> str(err), err.exit_code, isinstance(err, CodeAdviceError)
    ('a.tif: has 3 frames; call reduce_file', <ExitCode.FAILED: 1>, True)
    """

    exit_code = ExitCode.FAILED


class OutputError(QuantizeError, OSError):
    """An output cannot be written (folder missing or unwritable, same path as the input).

    ``os_errno``: the system's error number of the write it refused, when there was one
    (None else), which tells a full disk apart (:func:`failure_kind`). (Not ``errno``: set,
    it would make the message OSError's.)

    >>> import errno
    >>> from quantize import OutputError
    >>> OutputError("cannot add to the record (No space left on device)", path="out",
    ...             os_errno=errno.ENOSPC).os_errno == errno.ENOSPC
    True
    """

    kind: FailureKind = "write_failed"

    def __init__(self, reason: str, *, path: str | os.PathLike[str] | None = None,
                 os_errno: int | None = None):
        super().__init__(reason, path=path)
        self.os_errno = os_errno

    def __reduce__(self):  # keeps the error number across process boundaries
        return (_rebuild_output, (type(self), self.reason, self.path, self.os_errno))


def _rebuild_output(cls: type[OutputError], reason: str, path: str | None,
                    os_errno: int | None) -> OutputError:
    return cls(reason, path=path, os_errno=os_errno)


class WriteRefusedError(OutputError):
    """The system refused to write an output: a full disk, a quota, a file-size limit.

    ``os_strerror`` and ``os_errno`` are the system's words and error number, kept so that
    a caller that writes the file somewhere of its own first (``quantize reduce -o -``: a
    temporary folder) can say where the room was missing. (Not ``strerror`` and ``errno``:
    set, they would make the message OSError's.)

    >>> err = WriteRefusedError("No space left on device", 28, path="a.png")
    >>> str(err), err.os_errno, err.os_strerror
    ('a.png: cannot write (No space left on device)', 28, 'No space left on device')
    """

    def __init__(self, os_strerror: str, os_errno: int | None = None, *,
                 path: str | os.PathLike[str] | None = None):
        super().__init__(f"cannot write ({os_strerror})", path=path, os_errno=os_errno)
        self.os_strerror = os_strerror

    def __reduce__(self):  # keeps the system's fields across process boundaries
        return (_rebuild_refused, (self.os_strerror, self.os_errno, self.path))


def _rebuild_refused(os_strerror: str, os_errno: int | None,
                     path: str | None) -> WriteRefusedError:
    return WriteRefusedError(os_strerror, os_errno, path=path)


class OutputExistsError(OutputError, FileExistsError):
    """The output file exists and overwriting was not asked for."""

    exit_code = ExitCode.EXISTS
    kind: FailureKind = "output_exists"


class OwnFileError(OutputError):
    """Something other than the file a run keeps for itself is at its name (a batch's lock
    or record of finished outputs): a symbolic link, a folder, ... The run would write
    elsewhere, or hold no lock: refused before any work, exit 2."""

    exit_code = ExitCode.USAGE


class SharedOutputError(OutputError):
    """Two outputs of one call land on one file through a symbolic link at a name
    (:func:`~quantize.io.shared_landing`): written in turn, the second would replace the
    first, and both would be said written. Refused before any work, exit 2."""

    exit_code = ExitCode.USAGE


class ResultTooLargeError(OutputError):
    """The result would be larger than the input and ``skip_if_larger`` was asked for."""

    exit_code = ExitCode.TOO_LARGE
    kind: FailureKind = "larger"


def failure_kind(exc: BaseException) -> FailureKind:
    """The :data:`FailureKind` of ``exc``: "disk_full" for a write the system refused for
    want of room (an :class:`OutputError`'s ``os_errno``, an ``OSError``'s ``errno``:
    ``ENOSPC``, ``EDQUOT``), else a :class:`QuantizeError`'s own ``kind``, "bad_parameter"
    for another ``ValueError`` or ``TypeError``, "other" for anything else.

    >>> failure_kind(WriteRefusedError("No space left on device", errno.ENOSPC, path="a.png"))
    'disk_full'
    >>> failure_kind(WriteRefusedError("Read-only file system", errno.EROFS, path="a.png"))
    'write_failed'
    >>> failure_kind(ImageReadError("truncated", path="a.png")), failure_kind(ValueError("k=0"))
    ('unreadable_input', 'bad_parameter')
    """
    if isinstance(exc, OutputError):
        number = exc.os_errno
    else:
        number = exc.errno if isinstance(exc, OSError) else None
    if number in _NO_ROOM:
        return "disk_full"
    if isinstance(exc, QuantizeError):
        return exc.kind
    return "bad_parameter" if isinstance(exc, (ValueError, TypeError)) else "other"


#: The :data:`FailureKind` an exit code stands for where no error says more.
_KIND_OF_CODE: dict[int, FailureKind] = {
    ExitCode.USAGE: "bad_parameter", ExitCode.EXISTS: "output_exists",
    ExitCode.QUALITY: "quality", ExitCode.TOO_LARGE: "larger"}


def failure_kind_of_code(code: int) -> FailureKind:
    """The :data:`FailureKind` of a failure known by its exit ``code`` alone (no error of
    a class says more): "bad_parameter" for ``USAGE``, "output_exists" for ``EXISTS``,
    "quality" for ``QUALITY``, "larger" for ``TOO_LARGE``, "other" for any other.

    >>> failure_kind_of_code(ExitCode.USAGE), failure_kind_of_code(ExitCode.FAILED)
    ('bad_parameter', 'other')
    """
    return _KIND_OF_CODE.get(code, "other")


class AdvisedFormats(NamedTuple):
    """The output formats an error's ``format_advice`` names: ``words``, the part of the
    advice that lists them, and ``suffixes``, the extensions it lists, in its order, so that
    a caller that lets its user choose the format otherwise than by a file's extension
    (``quantize reduce -o - --format tif``) can say the advice in its own words
    (:meth:`FormatAdviceError.advice_naming`).

    >>> AdvisedFormats(".png or .tif", (".png", ".tif")).named_by("--format")
    '--format png or tif'
    """

    words: str
    suffixes: tuple[str, ...]

    def named_by(self, option: str) -> str:
        """The formats as ``option`` takes them: ``--format jpg, webp or tif``."""
        names = [suffix[1:] for suffix in self.suffixes]
        listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
        return f"{option} {listed}"


def _advice_naming(advice: str, formats: AdvisedFormats | None, option: str) -> str:
    if formats is None or formats.words not in advice:
        return advice
    return advice.replace(formats.words, formats.named_by(option), 1)


class QualityReached(NamedTuple):
    """What the most colours allowed, ``k``, reach when a ``quality`` is out of their reach,
    as the quality rule measures it: ``mean``, the mean CIEDE2000; ``tail``, its 99th and
    99.9th percentiles where they are above 5 and 10 times ``quality`` (those multiples
    where they are not); ``translucent``, whether translucent pixels counted the worse of
    their difference on black and on white; ``accent``, the CIEDE2000 and the pixels of
    the worst colour that :data:`~quantize.reduce.quality.QUALITY_ACCENT` bounds, when it
    is above its multiple of ``quality`` (else None)."""

    k: int
    mean: float
    tail: tuple[float, ...]
    translucent: bool
    accent: tuple[float, float] | None = None


class QualityError(QuantizeError, ValueError):
    """The requested quality cannot be reached within the allowed number of colours.

    ``format_advice``, when given, ends the message after "; ": another output
    format that holds more colours, the ``formats`` it names (:class:`AdvisedFormats`).
    ``facts`` is the reason without it, for a caller whose outputs' format the user does
    not choose (``quantize batch``), as :class:`FormatAdviceWarning` does for warnings.
    ``reached``, when given, is a :class:`QualityReached`: what the most colours allowed
    reach, kept across processes. The quality searches no longer raise one so: a result
    kept within a ``quality_limit`` is returned, with a :class:`QualityLimitWarning`.

    >>> from quantize.errors import AdvisedFormats, QualityError
    >>> err = QualityError("needs more than 256 colours", format_advice="write .tif",
    ...                    formats=AdvisedFormats(".tif", (".tif",)))
    >>> err.reason, err.facts
    ('needs more than 256 colours; write .tif', 'needs more than 256 colours')
    >>> err.advice_naming("--format")
    'write --format tif'
    """

    exit_code = ExitCode.QUALITY
    kind: FailureKind = "quality"

    def __init__(self, reason: str, *, path: str | os.PathLike[str] | None = None,
                 format_advice: str = "", formats: AdvisedFormats | None = None,
                 reached: QualityReached | None = None):
        self.facts, self.format_advice, self.formats = reason, format_advice, formats
        self.reached = reached
        super().__init__(_advised(reason, format_advice), path=path)

    def advice_naming(self, option: str) -> str:
        """``format_advice`` naming its formats by ``option``, as
        :meth:`FormatAdviceError.advice_naming` does."""
        return _advice_naming(self.format_advice, self.formats, option)

    def __reduce__(self):  # keeps the advice apart across process boundaries
        return (_rebuild_quality, (self.facts, self.path, self.format_advice, self.formats,
                                   self.reached))


def _rebuild_quality(facts: str, path: str | None, format_advice: str,
                     formats: AdvisedFormats | None,
                     reached: QualityReached | None = None) -> QualityError:
    return QualityError(facts, path=path, format_advice=format_advice, formats=formats,
                        reached=reached)


class SizeBudgetError(QuantizeError, ValueError):
    """The output does not fit in ``max_bytes`` even with the fewest colours tried (2):
    exit 99, as a ``quality`` out of reach is, and nothing is written.

    >>> from quantize import SizeBudgetError
    >>> err = SizeBudgetError("max_bytes=100: even 2 colours take 412 bytes", path="a.png")
    >>> str(err), err.exit_code
    ('a.png: max_bytes=100: even 2 colours take 412 bytes', <ExitCode.QUALITY: 99>)
    """

    exit_code = ExitCode.QUALITY
    kind: FailureKind = "quality"


class FormatAdviceError(_AdviceError):
    """A bad parameter value whose message ends, after "; ", with advice on the output's
    format (``.jpg/.webp/.tif`` hold more colours than a ``.png``): exit 2, as a bad
    parameter.

    ``facts`` is the message without that advice, for a caller whose outputs'
    format the user does not choose (``quantize batch``), as
    :class:`QualityError` keeps it.

    ``formats`` are the formats the advice names (:class:`AdvisedFormats`), which
    :meth:`FormatAdviceError.advice_naming` names otherwise.

    >>> err = FormatAdviceError("300 colours, at most 256", format_advice="write .tif",
    ...                         formats=AdvisedFormats(".tif", (".tif",)))
    >>> str(err), err.facts
    ('300 colours, at most 256; write .tif', '300 colours, at most 256')
    """

    def __init__(self, facts: str, *, format_advice: str = "",
                 formats: AdvisedFormats | None = None):
        self.formats = formats
        super().__init__(facts, advice=format_advice)

    @property
    def format_advice(self) -> str:
        """The advice on the output's format ("" when there is none)."""
        return self.advice

    def advice_naming(self, option: str) -> str:
        """``format_advice`` with its formats named as ``option`` takes them, for a caller
        whose user chooses the format by that option: "use .png or .tif instead" by
        ``--format``, "use --format png or tif instead" (an advice naming no formats is
        given as it is).

        >>> err = FormatAdviceError("too wide", format_advice="use .png or .tif instead",
        ...                         formats=AdvisedFormats(".png or .tif", (".png", ".tif")))
        >>> err.advice_naming("--format")
        'use --format png or tif instead'
        """
        return _advice_naming(self.format_advice, self.formats, option)

    def _kept(self) -> dict[str, Any]:
        return {"format_advice": self.advice, "formats": self.formats}


class ExcludeAdviceError(QuantizeError, ValueError):
    """A file of a batch that its options refuse, whose message says to leave it out with
    ``exclude_pattern`` (``quantize batch --exclude``): ``what`` the file ``path`` is, and
    the ``patterns`` that leave it (and others refused alike) out, all named in one message
    (:meth:`ExcludeAdviceError.joined`), so that one rerun gets past them. ``instead`` ends
    the message: what else to do. ``path`` and ``patterns`` are given quoted, as messages
    quote names (:func:`quantize.names.quoted`), and unlike other errors' ``path``, the
    message does not begin with it. Exit 2, as a bad parameter.

    >>> err = ExcludeAdviceError("ext='same' keeps each input's name, but", "'a/A.JPG'",
    ...                          "a JPEG", ("'*.JPG'",), "or write PNGs (ext='.png')")
    >>> print(err.joined([ExcludeAdviceError(err.head, "'b.jpeg'", err.what, ("'*.jpeg'",),
    ...                                      err.instead)]))
    ext='same' keeps each input's name, but 'a/A.JPG' is a JPEG (as is 1 other file): \
leave them out (exclude_pattern='*.JPG' exclude_pattern='*.jpeg'), or write PNGs (ext='.png')
    """

    exit_code = ExitCode.USAGE
    kind: FailureKind = "bad_parameter"

    def __init__(self, head: str, path: str, what: str, patterns: tuple[str, ...],
                 instead: str, others: int = 0):
        also = ("" if not others else " (as is 1 other file)" if others == 1
                else f" (as are {others} other files)")
        them = "them" if others or patterns[0].startswith("'*") else "it"
        left = " ".join(f"exclude_pattern={pattern}" for pattern in patterns)
        super().__init__(f"{head} {path} is {what}{also}: leave {them} out ({left}), {instead}")
        self.head, self.path, self.what, self.patterns = head, path, what, patterns
        self.instead, self.others = instead, others

    def joined(self, others: list[ExcludeAdviceError]) -> ExcludeAdviceError:
        """This error with those of ``others`` refused alike (the same ``what``) counted,
        and their patterns named after its own, each once; ``others`` refused otherwise
        are left out (a rerun says them)."""
        alike = [other for other in others if other.what == self.what]
        patterns = dict.fromkeys(p for err in (self, *alike) for p in err.patterns)
        return ExcludeAdviceError(self.head, self.path, self.what, tuple(patterns),
                                  self.instead, len(alike))

    def __reduce__(self):  # keeps its parts across process boundaries
        return (ExcludeAdviceError, (self.head, self.path, self.what, self.patterns,
                                     self.instead, self.others))


_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


class QuantizeWarning(UserWarning):
    """Base class of every warning quantize gives, so that one filter takes them all:
    ``warnings.filterwarnings("ignore", category=quantize.QuantizeWarning)``.

    Each class is importable from :mod:`quantize` itself (``quantize.RegionCountWarning``)
    as well as from the module that gives it.
    """


class QuantizeDeprecationWarning(QuantizeWarning, DeprecationWarning):
    """A deprecated keyword or name: a DeprecationWarning, shown as Python shows those
    (hidden but in ``__main__`` and test runs), and a :class:`QuantizeWarning`."""


class _Hold(NamedTuple):
    """A block of :func:`warnings_held`: the list its warnings go to, the categories it
    holds and those it lets through."""

    caught: list[warnings.WarningMessage]
    categories: tuple[type[Warning], ...]
    given: tuple[type[Warning], ...]


#: The blocks of :func:`warnings_held` around the code running here, the innermost last.
#: A context variable: each thread has its own, and the tasks of
#: :func:`quantize._threads.run` and :func:`quantize._threads.beside` the caller's, so
#: that a warning held on one thread is still given on another at the same time.
_HOLDS: ContextVar[tuple[_Hold, ...]] = ContextVar("quantize_warnings_held", default=())


@contextlib.contextmanager
def warnings_held(categories: tuple[type[Warning], ...] = (Warning,), *,
                  given: tuple[type[Warning], ...] = ()
                  ) -> Iterator[list[warnings.WarningMessage]]:
    """The list of quantize's warnings (:func:`warn_caller`) of ``categories``, but those
    of ``given``, raised in this thread (and the tasks it hands to quantize's threads)
    while the block runs, each time it is raised, held back rather than given; the
    others go on out (to an enclosing block first). To drop them, leave the list unread.

    Unlike ``warnings.catch_warnings``, this touches nothing the process shares (its
    filters, ``warnings.showwarning``): other threads' warnings are given as they were.
    Warnings of other libraries (Pillow's, NumPy's) are not held.

    >>> with warnings_held() as caught:
    ...     warn_caller("held", QuantizeWarning)
    >>> [(w.category.__name__, str(w.message)) for w in caught]
    [('QuantizeWarning', 'held')]
    """
    caught: list[warnings.WarningMessage] = []
    token = _HOLDS.set((*_HOLDS.get(), _Hold(caught, categories, given)))
    try:
        yield caught
    finally:
        _HOLDS.reset(token)


def warn_caller(message: str | Warning, category: type[Warning] = QuantizeWarning, *,
                stacklevel: int | None = None) -> None:
    """Warn, attributing the warning to the first caller outside the quantize package.

    ``message`` may be a warning instance (a :class:`FormatAdviceWarning` with
    its advice apart), whose own class is then the category. ``stacklevel``, when
    given, attributes it as ``warnings.warn`` does instead (1: the caller of this).

    A fixed ``stacklevel`` is right for one path only: a helper that
    :func:`quantize.io.load_image`, ``reduce_colors``, ``segment`` and
    ``boundary_map`` all reach sits at a different depth under each, and a
    warning pointing into quantize's own source cannot be filtered by the
    caller's module or traced to the caller's line.

    Every warning quantize gives comes through here, so that :func:`warnings_held`
    holds it back where a block of it is running.
    """
    frame = sys._getframe(1)
    level = 2  # warnings.warn's stacklevel of the frame that called this function
    while frame.f_back is not None and (
            frame.f_code.co_filename.startswith(_PACKAGE_DIR) if stacklevel is None
            else level <= stacklevel):
        frame = frame.f_back
        level += 1
    if isinstance(message, Warning):
        category = type(message)
    hold = _hold_of(category)
    if hold is None:
        warnings.warn(message, category, stacklevel=level)
        return
    hold.caught.append(warnings.WarningMessage(
        message if isinstance(message, Warning) else category(message), category,
        frame.f_code.co_filename, frame.f_lineno))


def _hold_of(category: type[Warning]) -> _Hold | None:
    """The innermost block of :func:`warnings_held` here that holds ``category``."""
    return next((hold for hold in reversed(_HOLDS.get())
                 if issubclass(category, hold.categories)
                 and not issubclass(category, hold.given)), None)


def warn_again(caught: list[warnings.WarningMessage]) -> None:
    """Give again the warnings ``caught`` (by :func:`warnings_held`), each of its own
    category and from its own line, or hold them in a block of :func:`warnings_held`
    around this call that holds their category.

    >>> with warnings_held() as outer:
    ...     with warnings_held() as inner:
    ...         warn_caller("once held", QuantizeWarning)
    ...     warn_again(inner)
    >>> [str(w.message) for w in outer]
    ['once held']
    """
    for w in caught:
        hold = _hold_of(w.category)
        if hold is None:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        else:
            hold.caught.append(w)


# Recording the warnings of one thread, other libraries' too. warnings.catch_warnings swaps
# the process's filters and handler, which every thread shares: two calls recorded side by
# side on two threads took each other's warnings, lost some, and left the handler of one of
# them in place. Instead a handler and a filter are put in place (_install_recorder), and
# both ask _RECORDING, which each thread (and each Dask task) holds for itself, whether to
# record: a batch's calls leave them in place for good, a max_bytes search only while it
# runs (_RECORDING_BLOCKS counts the blocks running in the process).

_Recording = tuple[list[warnings.WarningMessage], tuple[type[Warning], ...]]

#: The warnings list of the block recording here and the categories it leaves out; None
#: where no block is recording. A context variable: each thread has its own, so does each
#: Dask task, and :func:`quantize._threads.run` hands the caller's to its tasks.
_RECORDING: ContextVar[_Recording | None] = ContextVar("quantize_recording", default=None)


class _WhereRecorded:
    """The message pattern of :data:`_RECORDED_FILTER`: it matches any message raised where
    a block is recording, and none elsewhere (the warnings filters call a pattern's
    ``match`` with the message)."""

    def match(self, message: str) -> bool:
        return _RECORDING.get() is not None


#: Every warning raised where a block is recording is shown, that is, recorded, each time
#: it is raised: as ``simplefilter("always")`` inside ``catch_warnings`` did, whatever
#: filters the process has ("error", "ignore", or "default", which shows a warning once per
#: line).
_RECORDED_FILTER = ("always", _WhereRecorded(), Warning, None, 0)


class _Recorder:
    """``warnings.showwarning`` while warnings are recorded in this process: a warning
    raised where a block is recording goes to that block's list (unless its category is
    left out); any other goes to the handler that was in place before, ``previous``."""

    def __init__(self, previous: Callable[..., None]) -> None:
        self.previous = previous

    def __call__(self, message: Warning | str, category: type[Warning], filename: str,
                 lineno: int, file: Any = None, line: str | None = None) -> None:
        recording = _RECORDING.get()
        if recording is None:
            self.previous(message, category, filename, lineno, file, line)
            return
        caught, left_out = recording
        if not issubclass(category, left_out):
            caught.append(warnings.WarningMessage(message, category, filename, lineno,
                                                  file, line))


_LISTEN_LOCK = threading.Lock()
#: The blocks of :func:`warnings_recorded` running in the process, on any thread.
_RECORDING_BLOCKS = 0


def _install_recorder() -> None:
    """Put :class:`_Recorder` in place as ``warnings.showwarning`` and
    :data:`_RECORDED_FILTER` first among the filters, unless they are already. Called
    with :data:`_LISTEN_LOCK` held.

    Done for each block: ``catch_warnings`` (pytest's around each test, a caller's) puts
    back the handler and filters it found when it ends. The modules' registries of the
    warnings already shown once are made stale too, as ``catch_warnings`` did: a warning
    shown before, outside any recorded call, is recorded again.
    """
    if not isinstance(warnings.showwarning, _Recorder):
        warnings.showwarning = _Recorder(warnings.showwarning)
    if not warnings.filters or warnings.filters[0] is not _RECORDED_FILTER:
        with contextlib.suppress(ValueError):
            warnings.filters.remove(_RECORDED_FILTER)
        warnings.filters.insert(0, _RECORDED_FILTER)
    _filters_changed()


def _remove_recorder() -> None:
    """Take :class:`_Recorder` and :data:`_RECORDED_FILTER` away, where they still are
    (a ``catch_warnings`` entered since restores its own state as it ends). Called with
    :data:`_LISTEN_LOCK` held, no block recording."""
    if isinstance(warnings.showwarning, _Recorder):
        warnings.showwarning = warnings.showwarning.previous
    with contextlib.suppress(ValueError):
        warnings.filters.remove(_RECORDED_FILTER)
    _filters_changed()


def _filters_changed() -> None:
    filters_changed = getattr(warnings, "_filters_mutated", None)
    if filters_changed is not None:  # Python's own, which filterwarnings calls
        filters_changed()


@contextlib.contextmanager
def warnings_recorded(left_out: tuple[type[Warning], ...] = (), *, for_good: bool = True
                      ) -> Iterator[list[warnings.WarningMessage]]:
    """The list of the warnings raised in this thread (or Dask task, or task of
    :func:`quantize._threads.run` it started) while the block runs, other libraries' too,
    each time it is raised, except those of the categories ``left_out``; not those of
    other threads, which go where they went before. (quantize's own warnings, held by an
    inner :func:`warnings_held`, never reach it.)

    A handler (``warnings.showwarning``) and a first filter that record are put in place
    in the process for this: ``for_good``, they are left there (a batch's calls);
    else they are taken away once no block records in the process.

    >>> with warnings_recorded((DeprecationWarning,), for_good=False) as caught:
    ...     warnings.warn("kept", UserWarning)
    ...     warnings.warn("left out", DeprecationWarning)
    >>> [str(w.message) for w in caught]
    ['kept']
    """
    global _RECORDING_BLOCKS
    caught: list[warnings.WarningMessage] = []
    with _LISTEN_LOCK:
        _install_recorder()
        _RECORDING_BLOCKS += 1
    token = _RECORDING.set((caught, left_out))
    try:
        yield caught
    finally:
        _RECORDING.reset(token)
        with _LISTEN_LOCK:
            _RECORDING_BLOCKS -= 1
            if not for_good and not _RECORDING_BLOCKS:
                _remove_recorder()


class _AdviceWarning(QuantizeWarning):
    """A warning whose line is its facts, then (after "; ") its advice, if any.

    ``str()`` is the whole line; ``facts`` is the line without the advice and
    ``advice`` the advice alone ("" when there is none). Issued with a plain
    message, the message is all facts.
    """

    def __init__(self, facts: str, advice: str = ""):
        self.facts, self.advice = facts, advice
        super().__init__(_advised(facts, advice))

    def __reduce__(self):  # keeps both parts across process boundaries
        return (type(self), (self.facts, self.advice))


class FormatAdviceWarning(_AdviceWarning):
    """A warning that may end with advice on the output format ("write .gif to keep them").

    ``str()`` is the whole line; ``facts`` is the line without the advice and
    ``advice`` the advice alone ("" when there is none), so that a caller whose
    outputs have a format the user does not choose (``quantize batch`` writes
    every image as ``.png``) can show the facts alone.

    Examples
    --------
    >>> w = FormatAdviceWarning("a GIF has no alpha", advice="write .png to keep it")
    >>> str(w), w.facts
    ('a GIF has no alpha; write .png to keep it', 'a GIF has no alpha')
    """


class AlphaLossWarning(FormatAdviceWarning):
    """The image's alpha is not all kept: the output format (or the palette file's) cannot
    hold it, or the given palette has no translucent entry."""


class TimingLossWarning(FormatAdviceWarning):
    """The output's format keeps neither the frame durations nor the loop count of the input:
    an animation written as the pages of a TIFF, or as a still image."""


class StillImageWarning(TimingLossWarning):
    """An animation was written as a still image (a WebP whose frames are all the same)."""


class FirstFrameWarning(QuantizeWarning):
    """Only one frame of an animation was used: by segment, its first; from a PIL image of
    an animation (given to reduce_colors, say), the frame the image is at."""


class QualityScaleWarning(QuantizeWarning):
    """A ``quality`` above 20 (:data:`~quantize.reduce.quality.QUALITY_SCALE_WARNING_ABOVE`):
    a bound on CIEDE2000 (the mean, and 5 and 10 times it for the 99th and 99.9th
    percentiles) that nearly any image meets with the fewest colours, likely meant as a
    0-100 score. A driver of many files (the command line, ``plan_batch``) says it once,
    not for each file (:func:`~quantize.batch.calls.call_with_warnings`)."""


class QualityLimitWarning(QuantizeWarning):
    """A ``quality`` was out of reach of the colours allowed, and the result with all of
    them was kept as it meets the ``quality_limit`` given beside it (by the same rule: its
    mean CIEDE2000, and 5 and 10 times it for the 99th and 99.9th percentiles). The
    warning says the mean reached and the k used."""


class PaletteInWarning(QuantizeWarning):
    """A ``palette_in``'s own entries need a word, the same for every image mapped onto
    it: it repeats colours, or its file marks an entry transparent. A batch says it once,
    when it is planned, not for each file (:func:`~quantize.batch.run.run_job`).
    ``reduce_colors`` says so too of a ``palette`` that repeats colours."""


class ExifLeftOutWarning(QuantizeWarning):
    """The input's EXIF (artist, copyright, description, camera, date) is not kept: the
    output's format holds none (GIF, a still's BMP). A fact, not a fault: ``quantize
    reduce`` says it as a note, which ``-q`` leaves out (``quantize batch`` too, as a note of
    the file, which its report row lists among the file's warnings); ``strip=True``
    (``--strip``) drops the EXIF without it."""


class GeoTagsLeftOutWarning(QuantizeWarning):
    """A GeoTIFF input's georeferencing (its GeoTIFF tags, GDAL's metadata and no-data
    value: :data:`~quantize.io.GEOTIFF_TAGS`) is not kept: only a .tif output of ``reduce``
    keeps it, byte for byte; a .png, .jpg, .webp or .gif, and every output of ``segment``
    (PNG maps and pictures), hold no such tags. A fact, not a fault, said as
    :class:`ExifLeftOutWarning` is: a note, which ``-q`` leaves out; ``strip=True``
    (``--strip``) drops the tags without it."""


class TextLeftOutWarning(QuantizeWarning):
    """A PNG input's text chunks (tEXt, zTXt, iTXt: a licence, an author, an XMP packet)
    are not kept: only a PNG output keeps them (a .gif or .bmp holds none; a .jpg's,
    .webp's or .tif's XMP is not written). The note names their keywords. A fact, not a
    fault, said as :class:`ExifLeftOutWarning` is: a note, which ``-q`` leaves out;
    ``strip=True`` (``--strip``) drops the text without it."""


class ProfileConvertedWarning(QuantizeWarning):
    """The input's colours were converted to sRGB from an ICC profile of another colour
    space or gamut (a CMYK file's, an Adobe RGB or ProPhoto one's), by the rendering intent
    given (:mod:`quantize.io.profiles`), and the output carries no profile. A fact, not a
    fault: ``quantize reduce`` says it as a note, which ``-q`` leaves out (``quantize batch``
    too, as a note of the file, which its report row lists among the file's warnings). Not
    said of a file without a profile or with an sRGB one."""


class GifTableWarning(QuantizeWarning):
    """A GIF's colours and its entry of transparent pixels take a colour table twice the
    size its colours alone take: ``n_colors`` counts colours, not entries, so 64 colours
    and that entry take 65 entries and a table of 128 (gifsicle's ``--colors 64`` counts the
    entry among its 64; so does ``n_colors=63``). A fact, not a fault: ``quantize reduce``
    and ``quantize batch`` say it as a note, which ``-q`` leaves out."""


class LossyColorsWarning(QuantizeWarning):
    """The output's format adds colours of its own: a JPEG's compression blends the
    palette's colours at their edges, so the file holds more colours than the palette
    (thousands), and an error the metrics, measured before it, leave out. A fact, not a
    fault: ``quantize reduce`` says it as a note, which ``-q`` leaves out."""


class FarPaletteWarning(QuantizeWarning):
    """The palette an image is drawn with was not fitted to it and is far from its colours:
    a given ``palette_in`` whose mapping's mean CIEDE2000 is over
    :data:`~quantize.reduce.options.FAR_DELTA_E` (a chart's series colours given as the
    whole palette paint its white background pink), or ``fixed_colors`` that fill
    ``n_colors``, so that no entry is left to fit. Said once per image."""


class PaletteRepeatWarning(QuantizeWarning):
    """An animation mapped onto a ``palette_in`` that repeats a colour before another keeps
    each colour once, so the colours after the repeat take lower indices in its frames
    than the palette gives them (a still keeps every entry at its index, and is not
    warned). Said on each animation's line, as only animations are concerned."""


class WideLabelsWarning(QuantizeWarning):
    """The segmentation has more regions than ``labels.png`` can number (65535, its 16
    bits), so its labels are written to ``labels.tif``
    (:data:`~quantize.segment_file.WIDE_LABELS_FILE`, 32-bit) in its place, every other
    output as usual. A fact of the outputs, not a fault:
    ``quantize segment`` and ``quantize batch`` say it as a note, which ``-q`` leaves out.
    A larger ``min_region`` merges the small regions (a scan's dust) into fewer."""


class CodeAdviceWarning(_AdviceWarning):
    """A warning that may end with advice in Python (``image.convert("L")``).

    Only a caller of the library can follow such advice: the command line shows
    the ``facts`` alone (:func:`command_line_text`). ``str()`` is the whole line.

    Examples
    --------
    >>> w = CodeAdviceWarning("read as 16-bit", advice='convert it first (image.convert("L"))')
    >>> str(w), w.facts
    ('read as 16-bit; convert it first (image.convert("L"))', 'read as 16-bit')
    """


def command_line_text(message: Warning | str, *, format_advice: bool = True) -> str:
    """The line a command shows for a warning.

    A :class:`CodeAdviceWarning` gives its facts alone: its advice is Python, which
    a user of the command line cannot follow. A :class:`FormatAdviceWarning` gives
    its facts alone unless ``format_advice`` (the user chooses the output's format,
    as ``quantize reduce -o`` does, which ``quantize batch`` does not). Any
    other warning is its whole message.

    >>> command_line_text(CodeAdviceWarning("read as 16-bit", advice="image.convert('L')"))
    'read as 16-bit'
    >>> command_line_text(FormatAdviceWarning("no alpha", advice="write .png"))
    'no alpha; write .png'
    >>> command_line_text(FormatAdviceWarning("no alpha", advice="write .png"),
    ...                   format_advice=False)
    'no alpha'
    """
    if isinstance(message, CodeAdviceWarning) or (
            isinstance(message, FormatAdviceWarning) and not format_advice):
        return message.facts
    return str(message)
