"""Reports of a finished batch: per-file rows as JSON (with the summary) or CSV.

Rows come from :meth:`FileResult.as_row`: input, output, status, skipped, reason, then
the job's record (k, psnr, delta_e, seconds, bytes, ...), a JSON report's each with every
key of its mode (:func:`report_row`); a file a stopped batch left
unsettled has a row of its own (:meth:`~quantize.batch.Unsettled.row`): one it did not
reach, one whose job a second interrupt abandoned, and one whose output another worker
finished, unrecorded, as an error stopped the run. The HTML report with thumbnails lives
in :mod:`quantize.report`.
"""

from __future__ import annotations

import csv
import heapq
import io
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from .._validation import check_choice, check_file_name, check_int
from ..errors import OutputError, OutputExistsError
from ..io import (
    STREAM_OUTPUT,
    atomic_write,
    is_stream,
    landing,
    link_to_nothing_words,
    written_through,
)
from ..names import (
    extension_words,
    landing_path,
    natural_key,
    printable_data,
    quoted,
    resolved_path,
    written_path,
)
from .manifest import SHARED_PALETTE_NAME
from .plan import BatchPlan, Selection, would_be_found
from .results import (
    ABANDONED,
    EDITED_LARGER,
    FEWER_COLORS,
    FINISHED_UNRECORDED,
    FOLDERS_LEFT,
    LARGER,
    LEFT_OUT,
    NOT_LISTED,
    NOT_REMOVED,
    NOT_SEARCHED,
    REMOVED,
    STALE,
    BatchSummary,
    FileResult,
    RemovedOutput,
    Unsettled,
    check_removed,
    check_unsettled,
    passed_over_suffixes,
)

__all__ = ["REPORT_COLUMNS", "ROW_KEYS", "SEGMENT_REPORT_COLUMNS",
           "check_report_clear_of_outputs", "check_report_folder", "check_report_not_an_input",
           "check_report_path", "check_report_replaceable", "report_row", "write_report"]

#: Columns of a CSV report, in order; extra keys from the per-file records follow.
REPORT_COLUMNS = ("input", "output", "status", "reason", "k", "space", "psnr", "delta_e",
                  "seconds", "bytes_in", "bytes_out")
#: The same for a batch of ``segment`` jobs, whose records hold no reduce metric.
SEGMENT_REPORT_COLUMNS = ("input", "output", "status", "reason", "n_regions",
                          "clusters_used", "n_clusters", "regions", "width", "height",
                          "space", "seconds")
_COLUMNS = {"reduce": REPORT_COLUMNS, "segment": SEGMENT_REPORT_COLUMNS}
#: Columns a CSV report of a mode gained after its others, in the order gained: last, so
#: that those keep their places.
_LATER_COLUMNS = {"reduce": ("skipped", "quality_limit", "quality_met", "max_bytes",
                             "max_bytes_bound", "failure"),
                  "segment": ("skipped", "working_width", "working_height", "min_region_share",
                              "failure", "pages", "page_regions")}
#: The options a job records only when given (so that the records of runs that could not
#: give them stay as they were), by mode: every row has them, null when not given, after
#: the others, so that those keep their places.
_GIVEN_OPTION_KEYS = {"reduce": ("palette_fitted", "matte", "fixed_colors", "strip",
                                 "keep_gps", "intent", "nodata", "nearest",
                                 "transparent_color"),
                      "segment": ("superpixels", "smooth", "working_size", "classes_in",
                                  "stretch", "stretch_clip", "stretch_range", "strip",
                                  "keep_gps", "intent", "nodata", "stretch_curve",
                                  "stretch_softening")}
#: Keys a job's record gained after the options recorded only when given, in the order
#: gained (reduce's ``quality_bound``: what set the k a ``quality`` search chose).
_ADDED_AFTER_GIVEN = {"reduce": ("quality_bound",), "segment": ()}
_LATER_COLUMNS = {mode: (*later, *_GIVEN_OPTION_KEYS[mode], *_ADDED_AFTER_GIVEN[mode])
                  for mode, later in _LATER_COLUMNS.items()}

_ROW_HEAD = ("input", "output", "status", "skipped", "reason")
#: The keys the batch adds to a job's record, and then its warnings.
_BATCH_KEYS = (LARGER, EDITED_LARGER, STALE, FEWER_COLORS, LEFT_OUT, REMOVED, FOLDERS_LEFT,
               NOT_REMOVED, NOT_SEARCHED, NOT_LISTED, "warnings")
#: The keys of every row of a JSON report, and of every object of ``batch --json`` (less
#: ``warnings``), by mode, in order: a file's input, output, status, why it was skipped and
#: its reason, its job's record (:func:`~quantize.reduce.reduce_file`'s, or
#: :func:`~quantize.segment_file.segment_file`'s), then what the batch adds
#: (:data:`~quantize.batch.results.LARGER`, ...), and last the keys added since, in the
#: order added (reduce's ``quality_limit``, ``quality_met``, ``max_bytes`` and
#: ``max_bytes_bound``, segment's ``min_region_share``, then both modes' ``failure``: what
#: kind of failure a failed file's was, :data:`~quantize.errors.FailureKind`, then
#: segment's ``pages`` and ``page_regions``: the pages of a TIFF stack segmented, each
#: into a folder of its own, and each page's regions, then the options a job records only
#: when given, :data:`_GIVEN_OPTION_KEYS`, then :data:`_ADDED_AFTER_GIVEN`), so that the
#: others keep their places. A key a
#: file has no value for is null.
ROW_KEYS = {
    "reduce": (*_ROW_HEAD, "k", "space", "n_colors", "quality", "dither", "exact_colors",
               "palette_in", "palette_mode", "seed", "optimize", "psnr", "delta_e", "seconds",
               "bytes_in", "bytes_out", "frames", "palette", "optimized", "alpha_thresholded",
               *_BATCH_KEYS, "quality_limit", "quality_met", "max_bytes", "max_bytes_bound",
               "failure", *_GIVEN_OPTION_KEYS["reduce"], *_ADDED_AFTER_GIVEN["reduce"]),
    "segment": (*_ROW_HEAD, "outdir", "width", "height", "working_width", "working_height",
                "n_clusters", "clusters_used",
                "regions", "n_regions", "min_region", "weights", "space", "seed", "outputs",
                "seconds", STALE, REMOVED, FOLDERS_LEFT, NOT_REMOVED, NOT_SEARCHED, NOT_LISTED,
                "warnings", "min_region_share", "failure", "pages", "page_regions",
                *_GIVEN_OPTION_KEYS["segment"]),
}

#: The keys of :data:`ROW_KEYS` that flag a file (true when so): false, not null, in a
#: row of a file not flagged.
_FLAG_KEYS = frozenset({STALE, FEWER_COLORS, NOT_SEARCHED, NOT_LISTED})

_REPORT_FORMATS = (".json", ".csv")


def check_report_path(path: str | os.PathLike[str], *,
                      output_dir: str | os.PathLike[str] | None = None) -> Path:
    """Return ``path`` if its extension is .json or .csv and it can be written, else raise.

    With ``output_dir``, the folder is checked too (see :func:`check_report_folder`).

    Raises
    ------
    ValueError
        If ``path`` is a folder (or a ``str`` ending in a separator, which names one:
        ``"r.csv/"``), the extension is another, or (with ``output_dir``) the folder
        cannot hold the report.
    """
    check_file_name(path, "report")  # whatever its name ends in: "." has no extension
    p = Path(path)
    if p.suffix.lower() not in _REPORT_FORMATS:
        raise ValueError(f"report={quoted(p)} has {extension_words(p.suffix)}; "
                         "expected .json or .csv")
    if output_dir is not None:
        check_report_folder(p, "report", output_dir)
    return p


def check_report_clear_of_outputs(path: str | os.PathLike[str], name: str,
                                  plan: BatchPlan) -> None:
    """Refuse a report that would overwrite an output of ``plan`` (or land in an output folder).

    E.g. ``OUT_DIR/a/segments.json`` in segment mode, which marks input ``a``'s
    job as finished, or the shared palette; or the ``palette_in`` file the
    jobs read; or ``OUT_DIR/r.json`` when the input tree has a sub-folder ``r.json/``,
    which the outputs mirror (a folder there once they are written).

    Raises
    ------
    ValueError
        Naming ``name``, the report's path and the output it would replace.
    """
    # Compared where they land, whatever links they are named through (a link at a
    # report's or an output's name is written through): -o outlink and the report as
    # real/a/segments.json are one file.
    # Files are compared as the outputs' checks compare them (landing): by inode where
    # they exist, so a hard link, or a name a case-insensitive volume folds, is one file.
    target, file = landing_path(path), landing(path)
    given = plan.options.get("palette_in")
    if isinstance(given, str | os.PathLike) and file == landing(given):
        raise ValueError(f"{name}={quoted(path)} is the palette_in={quoted(given)} file the "
                         "batch reads; expected another path")
    outputs = [plan.output_dir / SHARED_PALETTE_NAME, *(job.output for job in plan.jobs),
               *(r.output for r in plan.settled if r.output is not None)]
    folders: dict[str, str] = {}  # the outputs lie in a few folders, each resolved once
    for output in outputs:
        taken = landing_path(output, folders)
        inside = plan.mode.makes_folder and target.startswith(taken + os.sep)
        if inside or target == taken or file == landing(output, folders):
            where = "lies in the output folder" if inside else "would overwrite the output"
            raise ValueError(f"{name}={quoted(path)} {where} {quoted(output)} of the batch; "
                             "expected a path no job writes")
        if taken.startswith(target + os.sep):  # a sub-folder the outputs mirror, made by the run
            raise ValueError(f"{name}={quoted(path)} is a folder the batch writes its output "
                             f"{quoted(output)} into; expected a path no job writes")


def check_report_not_an_input(path: str | os.PathLike[str], name: str,
                              input_dir: str | os.PathLike[str],
                              output_dir: str | os.PathLike[str], *, recursive: bool = False,
                              pattern: str | Sequence[str] | None = None,
                              exclude_pattern: str | Sequence[str] | None = None) -> None:
    """Refuse a report that a rerun would take as an input (:func:`~quantize.batch.plan_batch`).

    E.g. ``photos/index.html`` with ``pattern="*"``: the next run would fail
    on it ("not an image"). The search parameters are those of
    :func:`~quantize.batch.plan_batch`. A report named by a link is written through it: the
    link, as the search lists it, and the file it leads to (an input among them) are both
    looked at.

    Raises
    ------
    ValueError
        Naming ``name``, the report's path, the folder and how it is searched.
    """
    through = landing_path(path)
    linked = through != written_path(path)  # written through the link: there too
    for place in (path, through) if linked else (path,):
        if would_be_found(place, input_dir, output_dir, recursive=recursive, pattern=pattern,
                          exclude_pattern=exclude_pattern):
            chosen = Selection.of(pattern)  # its exclude patterns leave the report in
            how = f"{chosen} selects it" if chosen else "it is an image"
            it = (f"is a link to {quoted(os.readlink(path))}, which " if place is through
                  else "")
            raise ValueError(f"{name}={quoted(path)} {it}would be read as an input by a "
                             f"rerun: it lies in input_dir={quoted(input_dir)} and {how}; "
                             "expected a path outside the input folder, or a pattern that "
                             "leaves it out")


def check_report_folder(path: str | os.PathLike[str], name: str,
                        output_dir: str | os.PathLike[str]) -> Path:
    """Refuse, before a batch runs, a report that could not be written after it.

    The report's folder must be an existing, writable folder, or lie inside
    ``output_dir`` (which the batch creates; the caller creates the report's
    folder there before writing). ``path`` itself must not be a folder.

    Parameters
    ----------
    path : path
        The report file.
    name : str
        The parameter that gave it, for the message ("report", "html").
    output_dir : path
        The batch's output folder.

    Raises
    ------
    ValueError
        Naming ``name``, the path and the folder.

    Examples
    --------
    >>> check_report_folder("out/sub/index.html", "html", "out").as_posix()
    'out/sub/index.html'
    """
    p = Path(path)
    folder = p.parent if str(p.parent) else Path(".")
    if p.is_dir():
        raise ValueError(f"{name}={quoted(p)} is a folder; expected a file name")
    if is_stream(p):
        raise ValueError(f"{name}={quoted(p)} {STREAM_OUTPUT}")
    if p.is_symlink():
        _check_link_target_folder(p, name)
        return p
    if folder.is_dir():
        if not os.access(folder, os.W_OK | os.X_OK):
            raise ValueError(f"{name}={quoted(p)}: folder {quoted(folder)} is not writable")
        return p
    # taken/sub/r.csv with taken a file: its folder cannot be made
    file = next((f for f in (folder, *folder.parents) if f.exists() and not f.is_dir()), None)
    if file is not None:
        raise ValueError(f"{name}={quoted(p)}: folder {quoted(file)} is a file; expected a "
                         "folder")
    # as the system finds them: -o outlink, and the report's folder named by outlink's target
    if not Path(written_path(folder)).is_relative_to(resolved_path(output_dir)):
        raise ValueError(f"{name}={quoted(p)}: folder {quoted(folder)} does not exist; "
                         "expected an existing folder or one inside "
                         f"output_dir={quoted(output_dir)}")
    return p


def _check_link_target_folder(link: Path, name: str) -> None:
    """:func:`check_report_folder` of a report named by a ``link``, which is written through
    (:func:`~quantize.io.written_through`): the folder of the file it leads to must be an
    existing, writable folder.

    Raises
    ------
    ValueError
        Naming ``name``, the link, where it leads and what is wrong.
    """
    try:
        target = written_through(link)
    except OutputError as exc:
        raise ValueError(f"{name}={quoted(link)} {exc.reason}") from None
    folder = target.parent
    leads = f"{name}={quoted(link)} is a link to {quoted(os.readlink(link))}"
    if not folder.is_dir():
        raise ValueError(f"{leads}, whose folder {quoted(folder)} does not exist; expected "
                         "an existing folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ValueError(f"{leads}, whose folder {quoted(folder)} is not writable")


# The start of each kind of report quantize writes, to tell its own reports (which a
# rerun replaces) from other files.
_REPORT_MARKS = {".json": '{\n  "summary": ', ".csv": ",".join(REPORT_COLUMNS[:4]) + ",",
                 ".html": "<title>quantize batch report", ".htm": "<title>quantize batch report"}


def check_report_replaceable(path: str | os.PathLike[str], name: str,
                             force: bool = False) -> None:
    """Refuse a report path holding a file that is not a quantize report (unless ``force``).

    A report of an earlier run is replaced, so that rerunning a batch updates
    it; any other existing file is left alone, and so is a link that leads nowhere
    (the report would be written where it leads), as ``reduce -o`` leaves one.

    Raises
    ------
    OutputExistsError
        Naming ``name`` and the path (and where a link that leads nowhere leads).
    """
    p = Path(path)
    if force:
        return
    if p.is_symlink() and not p.exists():
        raise OutputExistsError(f"{name}={quoted(p)} is {link_to_nothing_words(p)}: the "
                                "report would be written there; choose another path, or "
                                "remove the link (force=True writes through it, and redoes "
                                "every file)")
    if not p.is_file():
        return
    try:
        with open(p, "rb") as fp:
            head = fp.read(1024).decode("utf-8", "replace")
    except OSError:
        return  # writing it will fail with its own message
    if _REPORT_MARKS.get(p.suffix.lower(), "") not in head:
        link = f" (a link to {quoted(os.readlink(p))})" if p.is_symlink() else ""
        raise OutputExistsError(f"{name}={quoted(p)} exists{link} and is not a quantize batch "
                                "report; choose another path, or use force=True to replace it")


def report_row(row: Mapping[str, Any],
               mode: Literal["reduce", "segment"] = "reduce") -> dict[str, Any]:
    """``row`` (:meth:`~quantize.batch.FileResult.as_row`, or
    :meth:`~quantize.batch.Unsettled.row`) with every key of ``mode``'s rows
    (:data:`ROW_KEYS`), in that order, None for each it lacks (a failed file's ``psnr``)
    but False for a flag it lacks (``stale_output``, ``fewer_colors_than_asked``,
    ``folder_not_searched``, ``folder_not_listed``: a file not so flagged); then any other
    key it has, as it has it: none is dropped. So every row of a JSON report, and every
    object of ``batch --json``, has the same keys, whatever its status.

    >>> row = report_row({"input": "a.jpg", "output": None, "status": "failed", "reason": "?"})
    >>> list(row)[:6], row["psnr"], row["stale_output"], list(row) == list(ROW_KEYS["reduce"])
    (['input', 'output', 'status', 'skipped', 'reason', 'k'], None, False, True)
    """
    keys = ROW_KEYS[check_choice(mode, "mode", tuple(ROW_KEYS))]
    return {**{key: row.get(key, False if key in _FLAG_KEYS else None) for key in keys},
            **{key: value for key, value in row.items() if key not in keys}}


def write_report(path: str | os.PathLike[str], results: Sequence[FileResult],
                 summary: BatchSummary, *,
                 unsettled: Sequence[Unsettled] = (),
                 mode: Literal["reduce", "segment"] = "reduce",
                 unclaimed: int = 0, unfinished: int = 0,
                 removed: Sequence[RemovedOutput] = (),
                 passed_over: Sequence[str | os.PathLike[str]] = (),
                 not_entered: int = 0,
                 hidden: int = 0,
                 not_reached: Sequence[str | os.PathLike[str]] | None = None,
                 abandoned: Sequence[str | os.PathLike[str]] | None = None,
                 unrecorded: Sequence[tuple[str | os.PathLike[str],
                                            str | os.PathLike[str]]] | None = None) -> None:
    """Write per-file results as JSON (with a summary) or CSV, chosen by extension.

    A JSON summary holds ``summary``'s counts and, as the summary line and the HTML page
    say them (:func:`~quantize.batch.unclaimed_counts`), ``unclaimed``, the outputs the
    batch left in place and in no row (``BatchPlan.unclaimed``: of files not among its
    inputs, and those a stopped run left unfinished), and ``unfinished``, how many of them
    a stopped run left unfinished; and so ``removed`` and ``removed_unfinished``, the
    outputs of those kinds the batch removed before its files ran (``removed``, each a
    :class:`~quantize.batch.RemovedOutput`, :func:`~quantize.batch.removed_counts`), which
    a JSON report also lists after its rows, under ``removed``
    (:meth:`~quantize.batch.RemovedOutput.as_row`, sorted by path). It holds too, as the
    summary line says them (:func:`~quantize.batch.passed_over_counts`), what the search
    passed over (``BatchPlan.passed_over`` and ``BatchPlan.not_entered``):
    ``files_left_out``, the number of ``passed_over``, the files left out for their
    extension, and ``left_out_extensions``, their extensions (``""`` for a name without
    one); ``folders_not_entered``, ``not_entered``, the sub-folders not entered
    without ``recursive``; and ``hidden_files_left_out``, ``hidden``, the hidden files
    (names starting with ".") it left out that it would otherwise have taken
    (``BatchPlan.hidden``).

    A JSON report's rows each have every key of ``mode``'s rows, in one order, null where
    a file has no value, false for a flag not set (:func:`report_row`). A CSV's columns
    are the same for every report of ``mode``, whatever its rows hold: first those of
    ``mode``'s jobs (:data:`REPORT_COLUMNS`, or :data:`SEGMENT_REPORT_COLUMNS`: no
    always-empty ``k``, ``psnr`` or bytes columns in a report of segmentations), then the
    other keys of ``mode``'s rows (:data:`ROW_KEYS`), sorted, then ``skipped`` (why a
    skipped file was: :data:`~quantize.batch.results.SkipKind`) and, of reductions,
    ``quality_limit``, ``quality_met``, ``max_bytes`` and ``max_bytes_bound``, of
    segmentations, ``working_width`` and ``working_height``, and then ``failure`` (what kind
    of failure a failed file's was: :data:`~quantize.errors.FailureKind`), and of
    segmentations then ``pages`` and ``page_regions`` (of a TIFF stack segmented page by
    page; empty for any other file), added after the others, and last the options a job
    records only when given (:data:`_GIVEN_OPTION_KEYS`: empty when not given); its cells
    are those of the JSON rows.

    Each file of ``unsettled`` (each a :class:`~quantize.batch.Unsettled`: those a stopped
    batch did not reach, those whose jobs a second interrupt abandoned while they ran,
    :class:`~quantize.batch.FilesAbandoned`, and those whose outputs another worker
    finished as an error stopped the run, left in place and in no record,
    :class:`~quantize.batch.NotRecordedError`) gets a row too
    (:meth:`~quantize.batch.Unsettled.row`), its status "not reached", "abandoned" or
    "finished unrecorded", with no metrics and no output but the one finished, merged
    into the rows of ``results`` by the natural order of the inputs' paths (``img 9.png``
    before ``img 10.png``, :func:`~quantize.io.natural_key`): with ``results`` in that
    order, as the command line gives them, every row is. A JSON summary counts those
    abandoned, ``abandoned``, and those finished unrecorded, ``finished_unrecorded``.
    The keywords ``not_reached`` and ``abandoned`` (inputs) and ``unrecorded``
    (``(input, output)`` pairs) that ``unsettled`` replaced still add their files after
    its own, with a DeprecationWarning. Written atomically, in UTF-8; a CSV
    starts with a byte order mark (BOM), which tells a spreadsheet its encoding: without
    it, Excel opens a CSV in the system's legacy code page and garbles non-ASCII file names. pandas,
    DuckDB, R's readr and LibreOffice skip the mark; Python's :mod:`csv` reads
    it with ``encoding="utf-8-sig"`` (else the first column is named
    ``"\\ufeffinput"``). The bytes of a file name that are not valid UTF-8 are
    written ``\\xXX`` (:func:`~quantize.io.printable`), in JSON and CSV alike, so
    that both are valid UTF-8 any reader takes. A CSV cell that a
    spreadsheet would run as a formula (text starting with ``=``, ``+``, ``-``,
    ``@``, a tab or a carriage return, e.g. a file named ``=cmd.png``) is written
    behind a ``'``. Raises ValueError for another extension, or an invalid ``unclaimed``,
    ``unfinished`` (more than ``unclaimed``), ``not_entered``, ``hidden`` or item of
    ``unsettled`` (an
    output given for a status other than "finished unrecorded", or none for it), and
    TypeError for an item of ``removed`` that is not a
    :class:`~quantize.batch.RemovedOutput`, or of ``unsettled`` that is not an
    :class:`~quantize.batch.Unsettled`.
    """
    p = check_report_path(path)
    unsettled = check_unsettled(unsettled, "write_report", not_reached=not_reached,
                                abandoned=abandoned, unrecorded=unrecorded)
    columns = _COLUMNS[check_choice(mode, "mode", tuple(_COLUMNS))]
    gone = check_removed(removed)
    left = {"unclaimed": check_int(unclaimed, "unclaimed", minimum=0),
            "unfinished": check_int(unfinished, "unfinished", minimum=0, maximum=unclaimed),
            "removed": len(gone), "removed_unfinished": sum(r.unfinished for r in gone)}
    passed = {"files_left_out": len(passed_over),
              "left_out_extensions": passed_over_suffixes(passed_over),
              "folders_not_entered": check_int(not_entered, "not_entered", minimum=0),
              "hidden_files_left_out": check_int(hidden, "hidden", minimum=0)}

    def key(row: Mapping[str, Any]) -> Any:
        return natural_key(row["input"])

    missed = sorted((u.row() for u in unsettled), key=key)
    rows = [printable_data(row) for row in heapq.merge((r.as_row() for r in results), missed,
                                                       key=key)]
    if p.suffix.lower() == ".json":
        statuses = [u.status for u in unsettled]
        counts = {**summary.as_dict(), "abandoned": statuses.count(ABANDONED),
                  "finished_unrecorded": statuses.count(FINISHED_UNRECORDED)}
        report = {"summary": {**counts, **passed, **left},
                  "files": [report_row(row, mode) for row in rows],
                  "removed": [printable_data(r.as_row()) for r in gone]}
        atomic_write(p, lambda tmp: _write_json(tmp, report))
        return
    # Written as bytes: a file written as text on Windows turns each "\n" into "\r\n", so a
    # CSV's rows, which end in "\r\n", would end in "\r\r\n" (a blank row after each).
    data = _csv_text([report_row(row, mode) for row in rows], columns,
                     ROW_KEYS[mode], _LATER_COLUMNS[mode]).encode("utf-8-sig")
    atomic_write(p, lambda tmp: tmp.write_bytes(data))


def _write_json(path: Path, report: Mapping[str, Any]) -> None:
    """Write ``report`` as indented JSON (ASCII, so UTF-8 too; no byte order mark, RFC
    8259), as the encoder makes it: indented, :func:`json.dumps` holds every piece of the
    text before joining them, and a report of 16,000 files (35 MB) took 400 MB to write.
    No line end is translated (on Windows, a text file turns each "\n" into "\r\n")."""
    with open(path, "w", encoding="utf-8", newline="") as f:
        json.dump(report, f, indent=2)


def _csv_text(rows: Sequence[Mapping[str, Any]], columns: Sequence[str],
              keys: Sequence[str], later: Sequence[str]) -> str:
    """The CSV text of ``rows``: ``columns``, then the other ``keys`` (those every row of the
    mode has), sorted, then ``later`` (the mode's :data:`_LATER_COLUMNS`), whatever the
    rows hold, for a script that reads column N to find the same field in every report; a
    key of no row's mode, which no row should have, after them all rather than left out."""
    fixed = [*columns, *sorted(set(keys) - {*columns, *later}), *later]
    unknown = sorted({k for row in rows for k in row} - set(fixed))
    buffer = io.StringIO()
    # Rows end in "\r\n" (RFC 4180), so that the writer quotes a cell holding either
    # character: a file name with a bare "\r" would otherwise end its row for a reader.
    writer = csv.DictWriter(buffer, fieldnames=[*fixed, *unknown], restval="",
                            lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _csv_cell(v) for k, v in row.items()})
    return buffer.getvalue()


# A spreadsheet reads a cell starting with one of these as a formula (or, for tab and
# carriage return, trims them and reads what follows): a file named "=HYPERLINK(...).png".
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value: Any) -> Any:
    """``value`` as a CSV cell: lists and dicts as JSON, text that would be a formula as text;
    a boolean as Python writes it (``True``, ``False``), as docs/batch.md says."""
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(value)
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value
