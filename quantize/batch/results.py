"""What a batch produces: one :class:`FileResult` per file and a :class:`BatchSummary`.

These are plain data, shared by the planner (files settled before running), the
runner (files settled by a job), the reports and the command line.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, get_args

from ..errors import (
    FAILURE_KINDS,
    ExitCode,
    FailureKind,
    QuantizeDeprecationWarning,
    failure_kind_of_code,
    warn_caller,
)
from ..names import absolute_path, natural_key
from .calls import Outcome

__all__ = ["ABANDONED", "EDITED_LARGER", "FEWER_COLORS", "FEWER_COLORS_WORDS",
           "FINISHED_UNRECORDED", "FOLDERS_LEFT", "FOLDER_LEFT", "INPUT_COPIED", "LARGER",
           "MISSED", "MISSED_BEFORE",
           "LEFT_OUT",
           "LEFT_UNRECORDED", "LIMITED", "NOTED", "NOT_LISTED", "NOT_REACHED", "NOT_REMOVED",
           "NOT_SEARCHED",
           "OUTPUT_UNFINISHED", "OUTPUT_UNRECORDED", "REMOVED", "SKIP_KINDS", "STALE",
           "BatchSummary", "FileResult", "RemovedOutput", "SkipKind", "Status", "Unsettled",
           "UnsettledStatus", "WORKERS_LOST",
           "abandoned_row", "bytes_counts", "check_removed", "check_unsettled",
           "classes_left_out_reason",
           "edited_larger_counts", "edited_larger_line", "fewer_colors_counts", "file_result",
           "has_fewer_colors",
           "finished_unrecorded_row", "folder_counts", "is_folder", "larger_counts",
           "left_out_line", "made_larger", "not_reached_row", "not_removed_lines",
           "output_sizes", "passed_over_counts", "passed_over_suffixes", "redone_counts",
           "removed_counts", "removed_note", "same_path", "stale_kept", "stopped_counts",
           "unclaimed_counts", "unrecorded_kept"]

Status = Literal["ok", "skipped", "failed"]

#: Why a file was skipped, its report row's ``skipped`` (null for a file not skipped), so
#: that a reader need not parse its reason: "done", its output made by an earlier run (or
#: by the stopped run with force this one finishes), kept; "larger", its result larger
#: than its input (``skip_if_larger``); "no_record", a file at its output that no run is
#: recorded to have made, left alone; "folder", a sub-folder not searched
#: (:data:`NOT_SEARCHED`); "palette_in", the ``palette_in`` image every file is mapped
#: onto; "special", a pipe, socket or device, not read; "quality", its ``quality`` or
#: ``max_bytes`` out of reach in an earlier run with these settings, its input the same
#: since (:data:`MISSED`), not tried again, exit code ``QUALITY`` as when it was tried;
#: "link", a symbolic link to a file outside the input folder, not read.
SkipKind = Literal["done", "larger", "no_record", "folder", "palette_in", "special",
                   "quality", "link"]
SKIP_KINDS: tuple[str, ...] = get_args(SkipKind)

#: Record key of a file kept without output because its result was larger than the input
#: (``skip_if_larger``); its value is the job's reason.
LARGER = "larger_than_input"

#: Record key of a file whose ``quality`` (or ``max_bytes``) was out of reach: nothing
#: written, its value the job's reason. The manifest records it, so that a rerun with the
#: same settings skips the file while its input stays the same (:meth:`FileResult.missed`):
#: the search would miss again, as it is seeded.
MISSED = "missed_quality"
#: What a file skipped so is said to be, before the reason of the run that tried it.
MISSED_BEFORE = "missed its quality last run"

#: Record key of a file whose result was larger than the input and whose output, in the
#: input's format, is the input's own bytes (``copy_if_larger``): the job's reason, ending
#: in what was written instead. The file is "ok": its output is there, as pngquant keeps
#: the original where it replaces files in place.
INPUT_COPIED = "input_copied"

#: Record key (value True) of such a file whose existing output was kept, or of a failed file
#: whose output from an earlier run is left in place (:func:`stale_kept`): made from the input
#: before it changed (or with other options under ``force``), it is stale.
STALE = "stale_output"

#: Record key of a file skipped with ``skip_if_larger`` whose output, changed since it was made
#: (by hand, or by an optimiser), is now larger than its input: its size in bytes. It is kept
#: as it is (no longer the output a run made, it is not removed), and said so
#: (:func:`edited_larger_line`).
EDITED_LARGER = "edited_larger_than_input"

#: Record key (value True) of a file whose image has fewer distinct colours than ``n_colors``
#: asked, each kept as an entry of its own: a lossless result (but for the alpha a GIF
#: thresholds), which its job raises as :class:`~quantize.reduce.FewerColorsWarning`. No
#: fault, so no warning of the batch: its progress line, its report row and the summary's
#: count (:func:`fewer_colors_counts`) say it.
FEWER_COLORS = "fewer_colors_than_asked"
#: Key of a job's record holding its notes: facts about its output that are no fault
#: (:class:`~quantize.errors.ExifLeftOutWarning`, the input's EXIF left out;
#: :class:`~quantize.errors.GifTableWarning`, a GIF's table doubled;
#: :class:`~quantize.errors.LossyColorsWarning`, a JPEG's colours), which the
#: command line says as note lines, not with ``-q``, as ``quantize reduce`` does. Its
#: report row and the HTML page list them after its warnings, as before they were notes.
NOTED = "noted"
#: Key of a job's record holding its :class:`~quantize.errors.QualityLimitWarning` line:
#: ``quality`` out of reach of the colours allowed, their result kept within
#: ``quality_limit`` (``quality_met`` false). The command line says it as a warning of the
#: file, but with ``-q`` says those of a run's files in one line; its report row and the HTML
#: page list it among its warnings, as before it was kept apart.
LIMITED = "quality_limited"

#: How a file's progress line and the summary line say :data:`FEWER_COLORS`.
FEWER_COLORS_WORDS = "fewer colours than -k/--colors, kept whole"

#: Record key of the outputs an earlier run made of a file under another name (an animation
#: that became a still, ...), removed by this run once the file's output was there: their
#: paths. Not recorded in the manifest: a rerun does not remove them again.
REMOVED = "removed_outputs"

#: Record key of those of :data:`REMOVED` that are folders emptied of the files their job wrote
#: but left, as they hold other files (a user's, or the outputs of a mirrored sub-folder):
#: their paths. The folder is not removed: only its job's files are.
FOLDERS_LEFT = "removed_outputs_folders_left"

#: Said of such a folder, after the removal of its job's files.
FOLDER_LEFT = "the folder is left, as it holds other files"

#: Record key of such outputs left in place, each path with why (it changed since, ...).
NOT_REMOVED = "outputs_not_removed"


#: Record key (value True) of a sub-folder reported as skipped without being searched: a
#: symbolic link to a folder, not followed, or a folder of quantize's outputs (a segment's, an
#: earlier batch's). A row of the reports, but no file: a :class:`BatchSummary` counts it
#: apart from the files.
NOT_SEARCHED = "folder_not_searched"

#: Record key (value True) of a sub-folder reported as failed as it could not be listed (no
#: permission): its files were not processed. A row of the reports, but no file, as
#: :data:`NOT_SEARCHED`: a :class:`BatchSummary` counts it apart from the files, and it
#: fails the batch.
NOT_LISTED = "folder_not_listed"


def is_folder(record: Mapping[str, Any]) -> bool:
    """Whether a result's record (or its report row) is of a sub-folder, not of a file: one
    not searched (:data:`NOT_SEARCHED`) or one that could not be listed (:data:`NOT_LISTED`).

    >>> is_folder({NOT_LISTED: True}), is_folder({"psnr": 31.5})
    (True, False)
    """
    return bool(record.get(NOT_SEARCHED) or record.get(NOT_LISTED))


#: Record key of a file whose colours were left out of the shared palette's fit (it could not
#: be sampled): why, one line. The palette was fitted on the other files.
LEFT_OUT = "left_out_of_shared_palette"

#: Record key of a file whose task a Dask worker held as it was lost (died, or left without
#: being retired): the addresses of those workers, in the order lost. The file was run
#: again after each loss, but maybe the last (it then failed, its worker lost).
WORKERS_LOST = "workers_lost"


def made_larger(record: Mapping[str, Any]) -> bool:
    """Whether a job's record says its output (``bytes_out``) is larger than its input
    (``bytes_in``), as a run without ``skip_if_larger`` keeps it.

    >>> made_larger({"bytes_in": 77, "bytes_out": 83}), made_larger({"bytes_out": 83})
    (True, False)
    """
    size_in, size_out = record.get("bytes_in"), record.get("bytes_out")
    return isinstance(size_in, int) and isinstance(size_out, int) and size_out > size_in


def left_out_line(record: Mapping[str, Any]) -> str:
    """The line saying that a file was left out of the shared palette's fit (:data:`LEFT_OUT`),
    and why, or "".

    >>> left_out_line({LEFT_OUT: "no such file"})
    "left out of the shared palette's fit, which the other files made: no such file"
    """
    why = record.get(LEFT_OUT)
    return (f"left out of the shared palette's fit, which the other files made: {why}"
            if why else "")


def classes_left_out_reason(reason: str, why: str) -> str:
    """The ``reason`` of a file's result, saying too that the file was left out of the
    shared classes' fit (:func:`~quantize.batch.shared_classes`), and ``why``: a segment
    row has no key of its own for it, as a reduce row has for the shared palette
    (:data:`LEFT_OUT`).

    >>> classes_left_out_reason("cannot decode image", "cannot decode image")
    "cannot decode image; so left out of the shared classes' fit, which the other files made"
    >>> classes_left_out_reason("", "no such file")
    "left out of the shared classes' fit, which the other files made: no such file"
    """
    said = "left out of the shared classes' fit, which the other files made"
    if why == reason:
        return f"{reason}; so {said}"
    return f"{reason}; {said}: {why}" if reason else f"{said}: {why}"


#: Status of the report row of an input that a batch interrupted (or stopped by an error)
#: did not reach. Not a :class:`FileResult` status: such a file never settled, and no
#: summary count holds it.
NOT_REACHED = "not reached"


def not_reached_row(input: str | os.PathLike[str]) -> dict[str, Any]:
    """The report row of an input a batch interrupted (or stopped by an error) did not
    reach: the keys of :meth:`FileResult.as_row`, no output (None) and no metrics.

    >>> not_reached_row(Path("a.jpg"))["status"]
    'not reached'
    """
    return {"input": str(input), "output": None, "status": NOT_REACHED,
            "reason": "the run stopped before this file; rerun the same command to finish it"}


#: Status of the report row of an input whose job a second interrupt abandoned while it
#: ran (its worker stopped): begun, unlike one :data:`NOT_REACHED`, but as unsettled.
ABANDONED = "abandoned"


def abandoned_row(input: str | os.PathLike[str]) -> dict[str, Any]:
    """The report row of an input whose job a second interrupt abandoned while it ran:
    as :func:`not_reached_row`'s, its status :data:`ABANDONED`.

    >>> abandoned_row(Path("a.jpg"))["status"]
    'abandoned'
    """
    return {"input": str(input), "output": None, "status": ABANDONED,
            "reason": "the run was interrupted again while it made this file, and abandoned "
                      "it; rerun the same command to make it"}


#: Status of the report row of an input whose output another worker finished as an error
#: stopped the run (the record of finished outputs could not be written:
#: :class:`~quantize.batch.NotRecordedError`): left in place and in no record, unlike one
#: :data:`NOT_REACHED`, but as unsettled, in no summary count; the next run makes it again
#: (:data:`OUTPUT_UNRECORDED`).
FINISHED_UNRECORDED = "finished unrecorded"


def finished_unrecorded_row(input: str | os.PathLike[str],
                            output: str | os.PathLike[str]) -> dict[str, Any]:
    """The report row of an input whose ``output`` another worker finished as an error
    stopped the run, left in place, unrecorded: as :func:`not_reached_row`'s, its status
    :data:`FINISHED_UNRECORDED`, its output that file.

    >>> row = finished_unrecorded_row(Path("in/a.jpg"), Path("out/a.png"))
    >>> row["output"], row["status"]
    ('out/a.png', 'finished unrecorded')
    """
    return {"input": str(input), "output": str(output), "status": FINISHED_UNRECORDED,
            "reason": "its output was finished as the run stopped, before it was recorded, "
                      "and is left in place, unrecorded; the next run makes it again"}


#: The statuses of the files a stopped run left unsettled (:class:`Unsettled`).
UnsettledStatus = Literal["not reached", "abandoned", "finished unrecorded"]


@dataclass(frozen=True)
class Unsettled:
    """A file a stopped run left unsettled, with no :class:`FileResult`: one it did not
    reach (:data:`NOT_REACHED`), one whose job a second interrupt abandoned
    (:data:`ABANDONED`), or one whose ``output`` another worker finished, unrecorded, as
    an error stopped it (:data:`FINISHED_UNRECORDED`; ``output`` is None for the others).
    No summary count holds it; the reports give it a row of its own (:meth:`Unsettled.row`).

    >>> Unsettled(Path("a.jpg"), ABANDONED).row() == abandoned_row(Path("a.jpg"))
    True
    """

    input: str | os.PathLike[str]
    status: UnsettledStatus
    output: str | os.PathLike[str] | None = None

    def row(self) -> dict[str, Any]:
        """Its report row: :func:`not_reached_row`'s, :func:`abandoned_row`'s or
        :func:`finished_unrecorded_row`'s, by its status."""
        return _UNSETTLED_ROWS[self.status](self)


_UNSETTLED_ROWS: dict[str, Callable[[Unsettled], dict[str, Any]]] = {
    NOT_REACHED: lambda u: not_reached_row(u.input),
    ABANDONED: lambda u: abandoned_row(u.input),
    FINISHED_UNRECORDED: lambda u: finished_unrecorded_row(u.input, u.output or ""),
}

#: The keywords :class:`Unsettled` replaced in the reports' writers, with their statuses.
_UNSETTLED_KEYWORDS = {"not_reached": NOT_REACHED, "abandoned": ABANDONED,
                       "unrecorded": FINISHED_UNRECORDED}


def check_unsettled(unsettled: Sequence[Unsettled], caller: str = "",
                    **deprecated: Sequence[Any] | None) -> list[Unsettled]:
    """``unsettled`` as a list, each an :class:`Unsettled` of a known status, with an
    output when finished unrecorded and none else, else a TypeError or ValueError naming
    it; followed by the files of the keywords of ``caller`` it replaced, ``deprecated``,
    each given one said in a :class:`~quantize.errors.QuantizeDeprecationWarning` (a
    DeprecationWarning) at the first caller outside quantize: ``not_reached``
    and ``abandoned`` (inputs), then ``unrecorded`` (``(input, output)`` pairs).

    >>> check_unsettled([Unsettled(Path("a.jpg"), "skipped")])
    Traceback (most recent call last):
    ...
    ValueError: unsettled[0].status='skipped' should be one of 'not reached', 'abandoned', \
'finished unrecorded'
    """
    unsettled = [*unsettled]
    for keyword, given in deprecated.items():
        if given is not None:
            unsettled += _deprecated_unsettled(caller, keyword, given)
    for i, item in enumerate(unsettled):
        if not isinstance(item, Unsettled):
            raise TypeError(f"unsettled[{i}]={item!r} should be an Unsettled, got "
                            f"{type(item).__name__}")
        if item.status not in _UNSETTLED_ROWS:
            raise ValueError(f"unsettled[{i}].status={item.status!r} should be one of "
                             + ", ".join(map(repr, _UNSETTLED_ROWS)))
        if (item.output is None) != (item.status != FINISHED_UNRECORDED):
            raise ValueError(f"unsettled[{i}].output={item.output!r} should be "
                             + ("a path" if item.output is None else "None")
                             + f" for status {item.status!r}")
    return unsettled


def _deprecated_unsettled(caller: str, keyword: str, given: Sequence[Any]) -> list[Unsettled]:
    """The files given by ``keyword``, one of :data:`_UNSETTLED_KEYWORDS`, as
    :class:`Unsettled`, their paths as given; said deprecated, at the first caller outside
    quantize (:func:`~quantize.errors.warn_caller`, held where quantize's warnings are)."""
    status = _UNSETTLED_KEYWORDS[keyword]
    pair = status == FINISHED_UNRECORDED
    warn_caller(f"{caller}({keyword}=...) is deprecated; use unsettled=, each file an "
                f"Unsettled(input, {status!r}{', output' if pair else ''}) "
                "(quantize.batch.Unsettled)", QuantizeDeprecationWarning)
    return [Unsettled(item[0], status, item[1]) if pair else Unsettled(item, status)
            for item in given]


#: Why a file is made again whose output a run wrote (its job finished it, as its mark says)
#: and was stopped (killed) before it recorded: not known to be finished with these settings.
OUTPUT_UNRECORDED = "redone: the run that wrote its output was stopped before it recorded it"
#: The same for a folder output such a run left without its marker: a job stopped half-way.
OUTPUT_UNFINISHED = "redone: the run that was writing its output was stopped before it finished it"
#: The reasons of the files redone as a stopped run left their outputs unrecorded; every
#: other file redone is so as its input or its output changed since (quantize.batch.plan).
LEFT_UNRECORDED = (OUTPUT_UNRECORDED, OUTPUT_UNFINISHED)


def redone_counts(redone: int, unrecorded: int) -> str:
    """The files made again although their outputs existed, as a batch's summary line and
    its page say them: ``redone`` counts them all, ``unrecorded`` those of them whose output
    a stopped run left unrecorded (:data:`LEFT_UNRECORDED`), the others' input or output
    having changed since; "" for none.

    >>> redone_counts(2, 0), redone_counts(1, 1), redone_counts(0, 0)
    ('2 redone: input or output changed', '1 redone: left unrecorded by a stopped run', '')
    >>> redone_counts(3, 1)
    '3 redone: 2 input or output changed, 1 left unrecorded by a stopped run'
    """
    kinds = [(n, what) for n, what in ((redone - unrecorded, "input or output changed"),
                                       (unrecorded, "left unrecorded by a stopped run")) if n]
    if len(kinds) < 2:
        return "".join(f"{redone} redone: {what}" for _, what in kinds)
    return f"{redone} redone: " + ", ".join(f"{n} {what}" for n, what in kinds)


def stopped_counts(not_reached: int, unrecorded: int) -> str:
    """The files a run an error stopped left unsettled, as its summary line and its page
    say them: those it did not reach (:data:`NOT_REACHED`) and those whose outputs other
    workers finished, unrecorded, as it stopped (:data:`FINISHED_UNRECORDED`); "" for none.

    >>> stopped_counts(2, 1), stopped_counts(0, 1), stopped_counts(0, 0)
    ('2 not reached, 1 finished unrecorded', '1 finished unrecorded', '')
    """
    return ", ".join(f"{n} {what}" for n, what in ((not_reached, "not reached"),
                                                    (unrecorded, "finished unrecorded")) if n)


def folder_counts(folders_skipped: int, folders_failed: int) -> list[str]:
    """The sub-folders of a batch, which are counted apart from its files, as its summary
    line and its page say them: those not searched (:data:`NOT_SEARCHED`) and those that
    could not be listed (:data:`NOT_LISTED`), each when there is one.

    >>> folder_counts(1, 2), folder_counts(0, 0)
    (['1 folder skipped', '2 folders could not be listed'], [])
    """
    return [f"{n} folder{'s' if n > 1 else ''} {what}" for n, what in (
        (folders_skipped, "skipped"), (folders_failed, "could not be listed")) if n]


def passed_over_counts(files: Sequence[Path], folders: int, hidden: int = 0) -> list[str]:
    """What a batch's search passed over, as its summary line says it: the ``files`` left
    out for their extension, which names them, the number of ``hidden`` files left out
    that it would otherwise have taken (``BatchPlan.hidden``), and the number of
    sub-folders not entered without ``-r``; one phrase, or none.

    >>> passed_over_counts([Path("a.HEIC"), Path("b.heic"), Path("c.svg")], 1)
    ['3 files left out (.heic, .svg: not images quantize reads), 1 folder not entered (use -r)']
    >>> passed_over_counts([Path("notes")], 0), passed_over_counts([], 0)
    (['1 file left out (no extension: not images quantize reads)'], [])
    >>> passed_over_counts([], 0, hidden=2)
    ["2 hidden files left out (names starting with '.')"]
    """
    kinds = []
    if files:
        suffixes = sorted(s or "no extension" for s in passed_over_suffixes(files))
        shown = ", ".join(suffixes[:4]) + (", ..." if len(suffixes) > 4 else "")
        kinds.append(f"{len(files)} file{'s' * (len(files) > 1)} left out ({shown}: not "
                     "images quantize reads)")
    if hidden:
        kinds.append(f"{hidden} hidden file{'s' * (hidden > 1)} left out (names starting "
                     "with '.')")
    if folders:
        kinds.append(f"{folders} folder{'s' * (folders > 1)} not entered (use -r)")
    return [", ".join(kinds)] if kinds else []


def passed_over_suffixes(files: Sequence[str | os.PathLike[str]]) -> list[str]:
    """The extensions of the ``files`` a batch's search left out for them, each once, in
    lower case and sorted (``""`` for a name without one), as its summary line names them
    (:func:`passed_over_counts`) and a JSON report lists them.

    >>> passed_over_suffixes([Path("a.HEIC"), Path("notes"), Path("b.heic")])
    ['', '.heic']
    """
    return sorted({Path(p).suffix.lower() for p in files})


def larger_counts(larger: int) -> list[str]:
    """The outputs a batch wrote larger than their inputs (:func:`made_larger`), as its
    summary line and its page say them: one phrase, or none.

    >>> larger_counts(1), larger_counts(7), larger_counts(0)
    (['1 output larger than its input (--skip-if-larger skips it)'], \
['7 outputs larger than their inputs (--skip-if-larger skips them)'], [])
    """
    if larger == 1:
        return ["1 output larger than its input (--skip-if-larger skips it)"]
    return [f"{larger} outputs larger than their inputs (--skip-if-larger skips them)"
            ] if larger else []


def edited_larger_line(result: FileResult) -> str:
    """The line saying that the output of ``result``, a file skipped with ``skip_if_larger``,
    changed since it was made and is larger than its input, so is kept as it is
    (:data:`EDITED_LARGER`), or "".

    >>> edited_larger_line(FileResult(Path("in/x.png"), Path("out/x.png"), "skipped",
    ...                               record={"bytes_in": 73, EDITED_LARGER: 3172}))
    'out/x.png, edited since it was made, is larger than its input (3,172 > 73 bytes); it is \
kept as it is'
    """
    size = result.record.get(EDITED_LARGER)
    if not isinstance(size, int):
        return ""
    return (f"{result.output}, edited since it was made, is larger than its input "
            f"({size:,} > {result.record['bytes_in']:,} bytes); it is kept as it is")


def edited_larger_counts(edited: int) -> list[str]:
    """The outputs changed since they were made and larger than their inputs that a batch
    with ``skip_if_larger`` kept (:data:`EDITED_LARGER`), as its summary line and its page
    say them: one phrase, or none.

    >>> edited_larger_counts(1), edited_larger_counts(3), edited_larger_counts(0)
    (['1 edited output larger than its input kept as it is'], \
['3 edited outputs larger than their inputs kept as they are'], [])
    """
    if edited == 1:
        return ["1 edited output larger than its input kept as it is"]
    return [f"{edited} edited outputs larger than their inputs kept as they are"
            ] if edited else []


def fewer_colors_counts(files: int) -> list[str]:
    """The files of a batch with an output whose image has fewer distinct colours than asked,
    all kept (:data:`FEWER_COLORS`), as its summary line and its page say them: one phrase,
    or none.

    >>> fewer_colors_counts(1), fewer_colors_counts(3), fewer_colors_counts(0)
    (['1 file with fewer colours than -k/--colors, kept whole'], \
['3 files with fewer colours than -k/--colors, kept whole'], [])
    """
    if not files:
        return []
    return [f"{'1 file' if files == 1 else f'{files} files'} with {FEWER_COLORS_WORDS}"]


def has_fewer_colors(status: str | None, record: Mapping[str, Any]) -> bool:
    """Whether the output of a file (``status`` and ``record``: a job's record or a report
    row) holds all its image's colours, fewer than asked (:data:`FEWER_COLORS`): made now
    ("ok") or before ("skipped" as existing, its record replayed), not one skipped as larger
    than its input (:data:`LARGER`), which has none.

    >>> has_fewer_colors("ok", {FEWER_COLORS: True}), has_fewer_colors("ok", {"k": 16})
    (True, False)
    >>> has_fewer_colors("skipped", {FEWER_COLORS: True, LARGER: "larger"})
    False
    """
    return (status in ("ok", "skipped") and record.get(FEWER_COLORS) is True
            and not record.get(LARGER))


def output_sizes(status: str | None, record: Mapping[str, Any]) -> tuple[int, int] | None:
    """The bytes in and out (``bytes_in``, ``bytes_out`` of ``record``, a job's record or a
    report row) of a file that has an output: made now ("ok") or before ("skipped" as
    existing), not one skipped as larger than its input (:data:`LARGER`), kept without
    one, nor one whose quality an earlier run missed (:data:`MISSED`); None for any other,
    or a record without both sizes (segment's).

    >>> output_sizes("ok", {"bytes_in": 100, "bytes_out": 40})
    (100, 40)
    >>> output_sizes("skipped", {"bytes_in": 100, LARGER: "larger"}) is None
    True
    """
    if status not in ("ok", "skipped") or record.get(LARGER) or record.get(MISSED):
        return None
    size_in, size_out = record.get("bytes_in"), record.get("bytes_out")
    if not all(isinstance(n, int) and not isinstance(n, bool) for n in (size_in, size_out)):
        return None
    return size_in, size_out


def bytes_counts(size_in: int, size_out: int, files: int) -> list[str]:
    """The bytes in and out of the ``files`` with an output (:func:`output_sizes`), as a
    batch's summary line says them (its page says the same, in its own markup): one phrase,
    or none when no file has an output.

    >>> bytes_counts(1380527, 688155, 5), bytes_counts(0, 0, 0)
    (['1,380,527 -> 688,155 bytes (49.8%) for the 5 files with an output'], [])
    """
    if not size_in:
        return []
    which = "the 1 file" if files == 1 else f"the {files} files"
    return [f"{size_in:,} -> {size_out:,} bytes ({size_out / size_in:.1%}) for {which} "
            "with an output"]


def unclaimed_counts(unclaimed: int, unfinished: int, done: str = "left in place") -> list[str]:
    """The outputs a batch left in place and in no report, as its summary line and its page
    say them: ``unclaimed`` counts them all, ``unfinished`` those of them a stopped run left
    unfinished, the others being of files not among the inputs; one phrase, or none.
    ``done`` says what became of them: "removed" for those it removed
    (:func:`removed_counts`).

    >>> unclaimed_counts(3, 1), unclaimed_counts(0, 0)
    (['2 outputs of files not among the inputs and 1 unfinished output of a stopped run \
left in place'], [])
    """
    gone = unclaimed - unfinished
    kinds = [f"{n} {what}" for n, what in (
        (gone, f"output{'s' if gone > 1 else ''} of files not among the inputs"),
        (unfinished, f"unfinished output{'s' if unfinished > 1 else ''} of a stopped run"))
        if n > 0]
    return [f"{' and '.join(kinds)} {done}"] if kinds else []


@dataclass(frozen=True)
class RemovedOutput:
    """An output a batch removed before its files ran (``--remove-orphans``,
    :func:`~quantize.batch.remove_unclaimed`): of a file not among its inputs, or, when
    ``unfinished``, left unfinished by a stopped run under a name the batch does not make.
    ``folder_left``: a segment folder only emptied of the files its job wrote, as it holds
    others. In no row of the reports: their summaries count these, and a JSON report and
    the page list them (:meth:`RemovedOutput.as_row`).

    >>> RemovedOutput(Path("out/x.gif")).as_row()
    {'output': 'out/x.gif', 'unfinished': False, 'folder_left': False}
    """

    output: Path
    unfinished: bool = False
    folder_left: bool = False

    def as_row(self) -> dict[str, Any]:
        return {"output": str(self.output), "unfinished": self.unfinished,
                "folder_left": self.folder_left}


def check_removed(removed: Sequence[RemovedOutput]) -> list[RemovedOutput]:
    """``removed`` as a list, each a :class:`RemovedOutput`, else a TypeError naming it; in
    the order the reports list them, by output path (``img 9.png`` before ``img 10.png``,
    :func:`~quantize.names.natural_key`).

    >>> check_removed(["out/x.gif"])
    Traceback (most recent call last):
    ...
    TypeError: removed[0]='out/x.gif' should be a RemovedOutput, got str
    """
    removed = list(removed)
    for i, item in enumerate(removed):
        if not isinstance(item, RemovedOutput):
            raise TypeError(f"removed[{i}]={item!r} should be a RemovedOutput, got "
                            f"{type(item).__name__}")
    return sorted(removed, key=lambda r: natural_key(str(r.output)))


def removed_counts(removed: Sequence[RemovedOutput]) -> list[str]:
    """The outputs a batch removed before its files ran, as its summary line and its page
    say them (:func:`unclaimed_counts`, "removed"); one phrase, or none.

    >>> removed_counts([RemovedOutput(Path("out/a.png")), RemovedOutput(Path("out/b"), True)])
    ['1 output of files not among the inputs and 1 unfinished output of a stopped run removed']
    """
    return unclaimed_counts(len(removed), sum(r.unfinished for r in removed), "removed")


def removed_note(record: Mapping[str, Any], shown: Callable[[str], str] = str) -> str:
    """The line saying which earlier outputs of a file were removed (:data:`REMOVED`), or "";
    a folder only emptied of its job's files (:data:`FOLDERS_LEFT`) is said to be left.
    ``shown`` writes each path as the line shows it.

    >>> removed_note({REMOVED: ["out/a.gif"]})
    'removed out/a.gif, made of this file under another name by an earlier run'
    >>> removed_note({REMOVED: ["out/a"], FOLDERS_LEFT: ["out/a"]})
    'removed the outputs in out/a, made of this file under another name by an earlier run; \
the folder is left, as it holds other files'
    """
    removed = [str(path) for path in record.get(REMOVED) or ()]
    if not removed:
        return ""
    folders_left = {str(path) for path in record.get(FOLDERS_LEFT) or ()}
    left = [path for path in removed if path in folders_left]
    names = ", ".join(f"the outputs in {shown(path)}" if path in left else shown(path)
                      for path in removed)
    note = f"removed {names}, made of this file under another name by an earlier run"
    if left and len(removed) == 1:
        note += f"; {FOLDER_LEFT}"
    elif left:  # several removed: which folders are left
        folders = ", ".join(map(shown, left))
        note += (f"; the folder {folders} is left, as it holds other files" if len(left) == 1
                 else f"; the folders {folders} are left, as they hold other files")
    return note


def not_removed_lines(record: Mapping[str, Any]) -> list[str]:
    """One line for each earlier output of a file left in place (:data:`NOT_REMOVED`)."""
    kept = record.get(NOT_REMOVED) or {}
    return [f"{path}, made of this file under another name by an earlier run, is left in "
            f"place: {why}" for path, why in kept.items()]


@dataclass(frozen=True)
class FileResult:
    """What happened to one input file.

    ``status`` is "ok", "skipped" (its output existed; or, with no output, a
    symbolic link to a folder that was not followed, or a result larger than
    its input with ``skip_if_larger``, ``exit_code`` then ``TOO_LARGE``; ``output`` is then the
    stale output kept from before, if any, and the record has :data:`STALE`, or, with
    ``force``, the file of no record at its output, kept as it was, without it) or "failed", with a
    one-line ``reason`` (without the input's path; ``output`` then the output left in place,
    if any: an earlier run's, stale, or a file of no record, or None); an "ok" file has one only
    when it was redone (:attr:`FileResult.redone`), the reason saying why. ``record`` holds
    the per-file function's metrics (k, psnr, delta_e, seconds, bytes_in, bytes_out, ...).
    ``exit_code`` is the code a failure maps to (:class:`~quantize.errors.ExitCode`;
    ``OK`` unless failed or skipped as larger). ``skipped`` says why a skipped file was
    (:data:`SkipKind`), None for any other: given where the file is settled; when it is
    not, "larger" with exit code ``TOO_LARGE``, "folder" for a record with
    :data:`NOT_SEARCHED`, else "done". ``failure`` says, in one word, what kind of failure
    a failed file's was (:data:`~quantize.errors.FailureKind`: "unreadable_input",
    "disk_full", ...), None for any other: given where the file is settled (a job's error
    gives it: :func:`file_result`); when it is not, by ``exit_code``
    (:func:`~quantize.errors.failure_kind_of_code`: "bad_parameter" for ``USAGE``, ...).

    Two are equal when their fields are, the record included; unlike the other results
    (:class:`~quantize.ReduceResult`, equal only to itself), it holds no array to stop
    that. It is not hashable: its record is a dict, which may change (``hash()`` raises
    ``TypeError: unhashable type: 'FileResult'``); key a dict by its ``input`` instead.

    Examples
    --------
    >>> FileResult(Path("a.jpg"), Path("a.png"), "ok", record={"k": 8}).as_row()
    {'input': 'a.jpg', 'output': 'a.png', 'status': 'ok', 'skipped': None, 'reason': '', \
'failure': None, 'k': 8}
    >>> FileResult(Path("a.jpg"), Path("a.png"), "skipped", "output exists").skipped
    'done'
    >>> FileResult(Path("a.jpg"), None, "failed", "bad", exit_code=ExitCode.USAGE).failure
    'bad_parameter'
    """

    input: Path
    output: Path | None
    status: Status
    reason: str = ""
    record: Mapping[str, Any] = field(default_factory=dict)
    exit_code: ExitCode = ExitCode.OK
    skipped: SkipKind | None = None
    failure: FailureKind | None = None

    __hash__ = None  # type: ignore[assignment]  # see the docstring

    def __post_init__(self) -> None:
        self._check_failure()
        if self.status != "skipped":
            if self.skipped is not None:
                raise ValueError(f"skipped={self.skipped!r} should be None for status "
                                 f"{self.status!r}")
        elif self.skipped is None:
            object.__setattr__(self, "skipped", _skip_kind(self.exit_code, self.record))
        elif self.skipped not in SKIP_KINDS:
            raise ValueError(f"skipped={self.skipped!r} should be one of "
                             + ", ".join(map(repr, SKIP_KINDS)))

    def _check_failure(self) -> None:
        """Give a failed file without a ``failure`` the one of its exit code; refuse one given
        to another status, or a word that is no :data:`~quantize.errors.FailureKind`."""
        if self.status != "failed":
            if self.failure is not None:
                raise ValueError(f"failure={self.failure!r} should be None for status "
                                 f"{self.status!r}")
        elif self.failure is None:
            object.__setattr__(self, "failure", failure_kind_of_code(self.exit_code))
        elif self.failure not in FAILURE_KINDS:
            raise ValueError(f"failure={self.failure!r} should be one of "
                             + ", ".join(map(repr, FAILURE_KINDS)))

    @classmethod
    def larger(cls, input: Path, output: Path | None, record: Mapping[str, Any]) -> FileResult:
        """A file whose result was larger than its input (``skip_if_larger``): skipped, its
        reason the record's :data:`LARGER`, exit code ``TOO_LARGE``; ``output`` is the stale
        output kept from before, or None."""
        return cls(input, output, "skipped", str(record[LARGER]), dict(record),
                   exit_code=ExitCode.TOO_LARGE, skipped="larger")

    @classmethod
    def missed(cls, input: Path, record: Mapping[str, Any]) -> FileResult:
        """A file an earlier run found its quality out of reach of (its record's
        :data:`MISSED`), skipped: no output, exit code ``QUALITY`` as then, so that a build
        still fails; its reason says so, with that run's (``force`` tries it again).

        >>> FileResult.missed(Path("a.png"), {MISSED: "quality=0.5: ..."}).reason
        'missed its quality last run (quality=0.5: ...); force=True tries it again'
        """
        return cls(input, None, "skipped",
                   f"{MISSED_BEFORE} ({record[MISSED]}); force=True tries it again",
                   dict(record), exit_code=ExitCode.QUALITY, skipped="quality")

    @property
    def redone(self) -> bool:
        """Made again although its output existed (e.g. its input changed since)."""
        return self.status == "ok" and bool(self.reason)

    def as_row(self) -> dict[str, Any]:
        """A flat JSON-able dict: input, output (None when the file has none, as one that
        failed), status, skipped, reason, then the record's keys, its line of a quality kept
        within its limit (:data:`LIMITED`) and its notes (:data:`NOTED`) after its
        ``warnings``; not :data:`MISSED`, which its reason says (every row has the same
        keys)."""
        row: dict[str, Any] = {"input": str(self.input),
                               "output": None if self.output is None else str(self.output),
                               "status": self.status, "skipped": self.skipped,
                               "reason": self.reason, "failure": self.failure}
        row.update((k, v) for k, v in self.record.items()
                   if k not in row and k not in (LIMITED, MISSED, NOTED))
        if self.record.get(LIMITED) or self.record.get(NOTED):
            row["warnings"] = [*row.get("warnings", ()), *self.record.get(LIMITED, ()),
                               *self.record.get(NOTED, ())]
        return row


def _skip_kind(exit_code: ExitCode, record: Mapping[str, Any]) -> SkipKind:
    """The :data:`SkipKind` of a skipped file whose maker did not give it: "larger" for
    exit code ``TOO_LARGE``, "quality" for ``QUALITY``, "folder" for a sub-folder not
    searched, else "done"."""
    if exit_code == ExitCode.TOO_LARGE:
        return "larger"
    if exit_code == ExitCode.QUALITY:
        return "quality"
    return "folder" if record.get(NOT_SEARCHED) else "done"


@dataclass
class BatchSummary:
    """Counts of a finished (or interrupted) batch; ``redone`` counts among ``ok``.

    ``interrupted_by``: what interrupted it, when the caller knows and names it (the
    command: ``"SIGTERM"``, which it takes as Ctrl-C), for the reports to say; None for
    Ctrl-C, or when not said.

    ``total`` and the counts are of files: a sub-folder skipped without being searched
    (:data:`NOT_SEARCHED`) is counted in ``folders_skipped`` alone, one that could not be
    listed (:data:`NOT_LISTED`) in ``folders_failed`` alone.
    ``pages`` counts the pages of the ok and skipped files (a TIFF stack segmented page by
    page, its record's ``pages``; any other file, one), ``stacks`` those stacks.

    >>> summary = BatchSummary(total=1)
    >>> summary.add(FileResult(Path("in/a.jpg"), Path("out/a.png"), "ok"))
    >>> summary.add(FileResult(Path("in/a.segments"), None, "skipped", "region maps",
    ...                        {NOT_SEARCHED: True}))
    >>> summary.add(FileResult(Path("in/locked"), None, "failed", "cannot list this folder",
    ...                        {NOT_LISTED: True}))
    >>> summary.done, summary.skipped, summary.failed, summary.folders_skipped
    (1, 0, 0, 1)
    >>> summary.folders_failed, summary.exit_code.name
    (1, 'FAILED')
    """

    total: int
    ok: int = 0
    skipped: int = 0
    failed: int = 0
    seconds: float = 0.0
    interrupted: bool = False
    interrupted_by: str | None = None
    redone: int = 0
    redone_unrecorded: int = 0  # among redone: outputs a stopped run left (LEFT_UNRECORDED)
    larger: int = 0  # among skipped: results larger than their inputs (skip_if_larger)
    missed: int = 0  # among failed: quality or max_bytes out of reach (exit code QUALITY)
    missed_before: int = 0  # among skipped: out of reach in an earlier run (MISSED)
    larger_written: int = 0  # among ok: outputs larger than their inputs (made_larger)
    stale: int = 0  # among larger: a stale output kept from before (STALE)
    edited_larger: int = 0  # among skipped: outputs edited since, larger, kept (EDITED_LARGER)
    failed_stale: int = 0  # among failed: an earlier output left in place, stale (STALE)
    folders_skipped: int = 0  # sub-folders not searched (NOT_SEARCHED): in no other count
    folders_failed: int = 0  # sub-folders that could not be listed (NOT_LISTED): the same
    with_output: int = 0  # among ok and skipped: files with an output (output_sizes)
    bytes_in: int = 0  # of those files, their inputs' bytes
    bytes_out: int = 0  # and their outputs'
    fewer_colors: int = 0  # among ok and skipped: outputs of all an image's colours (FEWER_COLORS)
    pages: int = 0  # of the ok and skipped files: the pages segmented (a still's one)
    stacks: int = 0  # among ok and skipped: TIFF stacks segmented page by page ("pages")

    @property
    def done(self) -> int:
        return self.ok + self.skipped + self.failed

    @property
    def exit_code(self) -> ExitCode:
        """OK when every file succeeded or was already done; FAILED when any failed for
        another reason than its quality, or a sub-folder could not be listed (its files were
        not processed); else QUALITY when some missed their ``quality`` or ``max_bytes`` (as
        ``quantize reduce --quality`` exits 99), in this run or, skipped, in an earlier one
        (:data:`MISSED`); else TOO_LARGE when some were skipped as
        larger than their inputs (as ``quantize reduce --skip-if-larger`` exits 98).

        An interrupted batch is FAILED here; the command line reports it as
        ``ExitCode.INTERRUPTED``.

        >>> summary = BatchSummary(total=2)
        >>> summary.add(FileResult(Path("a.jpg"), None, "failed", "quality",
        ...                        exit_code=ExitCode.QUALITY))
        >>> summary.exit_code.name
        'QUALITY'
        >>> summary.add(FileResult(Path("b.jpg"), None, "failed", "unreadable"))
        >>> summary.exit_code.name
        'FAILED'
        """
        if self.failed > self.missed or self.folders_failed or self.interrupted:
            return ExitCode.FAILED
        if self.missed or self.missed_before:
            return ExitCode.QUALITY
        return ExitCode.TOO_LARGE if self.larger else ExitCode.OK

    def add(self, result: FileResult) -> None:
        if result.record.get(NOT_SEARCHED):
            self.folders_skipped += 1
            return
        if result.record.get(NOT_LISTED):
            self.folders_failed += 1
            return
        setattr(self, result.status, getattr(self, result.status) + 1)
        self.redone += result.redone
        self.redone_unrecorded += result.redone and result.reason in LEFT_UNRECORDED
        larger = result.exit_code == ExitCode.TOO_LARGE and result.status == "skipped"
        self.larger += larger
        self.missed += result.status == "failed" and result.exit_code == ExitCode.QUALITY
        self.missed_before += result.status == "skipped" and result.exit_code == ExitCode.QUALITY
        self.larger_written += result.status == "ok" and made_larger(result.record)
        self.stale += larger and bool(result.record.get(STALE))
        self.edited_larger += result.status == "skipped" and EDITED_LARGER in result.record
        self.failed_stale += result.status == "failed" and bool(result.record.get(STALE))
        self.fewer_colors += has_fewer_colors(result.status, result.record)
        if result.status in ("ok", "skipped"):
            stack = result.record.get("pages")
            self.stacks += isinstance(stack, int)
            self.pages += stack if isinstance(stack, int) else 1
        if (sizes := output_sizes(result.status, result.record)) is not None:
            self.with_output += 1
            self.bytes_in += sizes[0]
            self.bytes_out += sizes[1]

    def as_dict(self) -> dict[str, Any]:
        """The counts as a JSON-able dict (seconds rounded to ms), those of the summary line."""
        return {"total": self.total, "ok": self.ok, "redone": self.redone,
                "larger_written": self.larger_written,
                "skipped": self.skipped, "larger": self.larger, "stale": self.stale,
                "edited_larger": self.edited_larger,
                "failed": self.failed, "failed_stale": self.failed_stale,
                "folders_skipped": self.folders_skipped, "folders_failed": self.folders_failed,
                "seconds": round(self.seconds, 3),
                "interrupted": self.interrupted, "interrupted_by": self.interrupted_by,
                "with_output": self.with_output, "bytes_in": self.bytes_in,
                "bytes_out": self.bytes_out, "fewer_colors": self.fewer_colors}


def file_result(input: Path, output: Path | None, outcome: Outcome) -> FileResult:
    """The :class:`FileResult` of a job's outcome.

    A failure's reason names its file only when that is not ``input`` itself
    (e.g. an output that cannot be written); its seconds are rounded as the
    jobs round theirs, and the warnings raised before it are kept in its record. The Dask
    workers lost while they held it (:attr:`~quantize.batch.calls.Outcome.workers_lost`)
    are in its record as :data:`WORKERS_LOST`, an ok file's too.

    >>> from quantize.batch.calls import Outcome
    >>> file_result(Path("a.png"), Path("out/a.png"),
    ...             Outcome(True, {"k": 8}, 0.1, workers_lost=("tcp://10.0.0.9:1",))).record
    {'k': 8, 'workers_lost': ['tcp://10.0.0.9:1']}
    """
    lost = {WORKERS_LOST: list(outcome.workers_lost)} if outcome.workers_lost else {}
    if outcome.ok:
        return FileResult(input, output, "ok", "", {**outcome.value, **lost})
    reason = outcome.value
    if outcome.path is not None and not same_path(Path(outcome.path), input):
        reason = f"{outcome.path}: {reason}"
    record: dict[str, Any] = {"seconds": round(outcome.seconds, 4)}
    if outcome.warnings:
        record["warnings"] = list(outcome.warnings)
    record.update(lost)
    return FileResult(input, output, "failed", reason, record, exit_code=outcome.exit_code,
                      failure=outcome.kind)


def stale_kept(result: FileResult, kept: Path) -> FileResult:
    """``result``, of a file that failed, with the output an earlier run made of it, ``kept``,
    which is left in place: its ``output``, said in its reason to be stale (made from the
    input before it changed, or with other options), :data:`STALE` in its record. A run
    neither removes it (it may be the one good copy the user has) nor lets it pass for the
    file's output as it is now.

    >>> stale = stale_kept(FileResult(Path("a.jpg"), Path("out/a.png"), "failed", "empty"),
    ...                    Path("out/a.png"))
    >>> stale.reason[:55], stale.record
    ('empty; its output out/a.png, made by an earlier run, is', {'stale_output': True})
    """
    reason = (f"{result.reason}; its output {kept}, made by an earlier run, is left in place, "
              "stale (not made from the input as it is now, or not with these options): "
              "remove it, or rerun once this file can be processed to replace it")
    return replace(result, output=kept, reason=reason, record={**result.record, STALE: True})


def unrecorded_kept(result: FileResult, kept: Path) -> FileResult:
    """``result``, of a file that failed, with the file of no record at its output, ``kept``
    (one the manifest does not list as a batch's: put there by hand, or by another
    program), which is left in place, as it was: its ``output``, said in its reason to be of
    no record. A run with ``force`` would have replaced it; nothing says what made it, so
    it is not said to be an earlier run's, nor stale (no :data:`STALE` in its record).

    >>> kept = unrecorded_kept(FileResult(Path("a.jpg"), Path("out/a.png"), "failed", "empty"),
    ...                        Path("out/a.png"))
    >>> kept.reason[:57], kept.record
    ('empty; the file at its output out/a.png, of no record (no', {})
    """
    reason = (f"{result.reason}; the file at its output {kept}, of no record (no run is "
              "recorded to have made it), is left in place as it was: remove it, or rerun "
              "once this file can be processed to replace it")
    return replace(result, output=kept, reason=reason)


def same_path(a: Path, b: Path) -> bool:
    """Whether ``a`` and ``b`` name one path, as given or made absolute."""
    return a == b or absolute_path(a) == absolute_path(b)
