"""A batch's results as one static HTML page a person can open in any browser.

:func:`write_html_report` writes a single self-contained file: every thumbnail
is embedded as a ``data:`` URI, the style sheet and the few lines of script that
sort and filter the table are inline, and nothing is fetched from the network. For every
file the page shows a thumbnail before and after (in segment mode, the overlay
of region borders), the palette as swatches as wide as their share of pixels,
and the metrics; failed files show their reason. In reduce mode the thumbnails of
an animation a browser plays (GIF, APNG, WebP) play its file, linked, not
embedded, with a button in the row to pause them; they show the first frame when
the browser asks for reduced motion (until the button is pressed) or the file is
not there. Clicking a column heading (or reaching it with Tab and pressing Enter)
sorts by it and puts the sort in the address; ``report.html#sort=-psnr`` opens
the page sorted (``-`` for descending). When the rows have more than one status,
buttons above the table, each with its count, show only the rows of one status
(ok, skipped, failed, not reached, abandoned, finished unrecorded; the rows of
sub-folders, which are no files, apart: folders skipped, folders not listed) or all of
them, and put it in the address too: ``report.html#show=failed`` opens the page
showing only the failed files.

Thumbnails and palettes are read by :mod:`quantize.report.thumbnails`; the fixed
style, script and page skeleton live in :mod:`quantize.report.assets`. Only
Pillow and NumPy are used.
"""

from __future__ import annotations

import hashlib
import html
import math
import os
import re
import stat
import urllib.parse
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, Protocol

from .. import __version__
from .._validation import (
    check_bool,
    check_choice,
    check_file_name,
    check_int,
    check_max_pixels,
    check_optional_int,
)
from ..batch.results import (
    ABANDONED,
    EDITED_LARGER,
    FEWER_COLORS_WORDS,
    FINISHED_UNRECORDED,
    FOLDER_LEFT,
    INPUT_COPIED,
    LARGER,
    LEFT_UNRECORDED,
    NOT_REACHED,
    REMOVED,
    RemovedOutput,
    Unsettled,
    check_removed,
    check_unsettled,
    edited_larger_counts,
    fewer_colors_counts,
    folder_counts,
    has_fewer_colors,
    is_folder,
    larger_counts,
    made_larger,
    output_sizes,
    passed_over_counts,
    redone_counts,
    removed_counts,
    removed_note,
    stopped_counts,
    unclaimed_counts,
)
from ..errors import ImageReadError
from ..io import DEFAULT_MAX_PIXELS, atomic_write, written_through
from ..names import (
    absolute_path,
    extension_words,
    natural_key,
    printable,
    printable_line,
    quoted,
    resolved_path,
)
from .assets import SCRIPT, SHOWN_SIZE, STYLE, TEMPLATE
from .thumbnails import (
    BOUNDARIES_NAME,
    MAX_ASPECT,
    Swatch,
    Thumbnail,
    read_palette_shares,
    thumbnails,
)

__all__ = ["HTML_EXTENSIONS", "Swatch", "check_html_path", "read_palette_shares",
           "write_html_report"]

#: Extensions accepted for the report file.
HTML_EXTENSIONS = (".html", ".htm")
#: File of a segment output folder shown as the "after" thumbnail.
OVERLAY_NAME = "overlay.png"
_MODES = ("reduce", "segment")
_HEX = re.compile(r"#[0-9a-fA-F]{6}")
_MISSING = '<span class="missing">—</span>'
#: Formats of the animations every current browser plays in an ``<img>`` (APNG is "PNG").
_PLAYABLE = frozenset({"GIF", "PNG", "WEBP", "AVIF"})
#: The least part of a palette's pixels in no swatch (faint ones drawn transparent) that
#: gets a swatch of its own: shares are rounded to 6 decimals, and their sum may miss 1 so.
_REST_SHOWN = 1e-4
#: What a row says of its thumbnails playing, by (before plays, after plays).
_PLAYS = {(True, True): "(playing)", (False, True): "(the output playing)",
          (True, False): "(the input playing)", (False, False): ""}
#: What the "after" thumbnail shows, in its alternative text, by mode.
_AFTER = {"reduce": "after", "segment": "overlay"}

Mode = Literal["reduce", "segment"]
#: A thumbnail on the page and what it was made of (:func:`_made_of`); either may be None.
_Made = tuple[str | None, Thumbnail | None]

#: An embedded thumbnail and what it was made of (``data-made``: a digest of the file's
#: path, size, times and identity and of the thumbnail's size and kind, then the
#: thumbnail's width, height, frames and format, and "middle" when it shows only the middle
#: of its image, else "whole"), as :func:`_thumb_cell` writes it.
#: A page written in place of one finds there the thumbnails of files unchanged since
#: and embeds them again unread: a rerun of a batch decoded every image for the page
#: (four 12 MP PNGs and four photos skipped in 0.25 s, in 2.4 s with ``--html``).
#: Matched in the page's bytes: read as text, a page of 16,000 rows took twice their size.
_MADE = re.compile(rb'<img src="(data:image/(?:png|jpeg);base64,[A-Za-z0-9+/=]*)" '
                   rb'data-made="([0-9a-f]{40}) ([0-9]{1,6}) ([0-9]{1,6}) ([0-9]{1,9}) '
                   rb'([A-Z0-9]{0,8}) (whole|middle)"')
#: The largest page read for its thumbnails; a larger one is written anew.
_EARLIER_PAGE_MAX = 1 << 30


class _Result(Protocol):
    """What the report reads from a batch result: ``as_row()`` (input, output, status,
    reason and the job record's keys)."""

    def as_row(self) -> dict[str, Any]: ...


class _Summary(Protocol):
    total: int
    ok: int
    skipped: int
    failed: int
    seconds: float
    interrupted: bool
    interrupted_by: str | None
    folders_skipped: int
    folders_failed: int


# --------------------------------------------------------------------------
# Public
# --------------------------------------------------------------------------


def check_html_path(path: str | os.PathLike[str]) -> Path:
    """Return ``path`` as a Path if it ends in .html or .htm and is no folder, else raise
    ValueError (also for a ``str`` ending in a separator, which names a folder).

    >>> check_html_path("out/index.html").name
    'index.html'
    """
    check_file_name(path, "html")  # whatever its name ends in: "." has no extension
    p = Path(path)
    if p.suffix.lower() not in HTML_EXTENSIONS:
        raise ValueError(f"html={quoted(p)} has {extension_words(p.suffix)}; "
                         "expected .html or .htm")
    return p


def write_html_report(path: str | os.PathLike[str], results: Sequence[_Result],
                      summary: _Summary, *, mode: Mode,
                      thumb_size: int = 240,
                      max_pixels: int | None = DEFAULT_MAX_PIXELS,
                      dithered: bool = False, per_frame: bool = False,
                      command: str | None = None,
                      unsettled: Sequence[Unsettled] = (),
                      input_dir: str | os.PathLike[str] | None = None,
                      unclaimed: int = 0, unfinished: int = 0,
                      removed: Sequence[RemovedOutput] = (),
                      passed_over: Sequence[str | os.PathLike[str]] = (),
                      not_entered: int = 0, hidden: int = 0,
                      not_reached: Sequence[str | os.PathLike[str]] | None = None,
                      abandoned: Sequence[str | os.PathLike[str]] | None = None,
                      unrecorded: Sequence[tuple[str | os.PathLike[str],
                                                 str | os.PathLike[str]]] | None = None,
                      threads: int | None = None) -> None:
    """Write a batch's results as one self-contained HTML page.

    Parameters
    ----------
    path : path
        The page to write (.html or .htm), atomically. Links to the input and
        output files are relative to its folder.
    results : sequence of FileResult
        One per file, as returned by :func:`quantize.batch.run_batch`; only
        their ``as_row()`` dicts are read.
    summary : BatchSummary
        Counts shown at the top; an interrupted batch is said so, and by what when
        ``summary.interrupted_by`` names it ("interrupted by SIGTERM").
    mode : {"reduce", "segment"}
        The batch's job: picks the "after" image (the output file, or
        ``overlay.png`` in the output folder) and the metric columns.
    thumb_size : int, default 240
        Longest side of the embedded thumbnails, in pixels.
    max_pixels : int or None
        Images larger than this get no thumbnail.
    dithered : bool
        The reduced outputs are dithered: their thumbnails show the mean of
        the pixels each covers (the colours the dither mixes), not the
        nearest pixel's, which turns the dither pattern into noise.
    per_frame : bool
        The animations were reduced with a palette per frame
        (``palette="per-frame"``): their rows say that k is the largest frame
        palette's and that the swatches are every frame's colours.
    command : str or None
        The command line that ran the batch, shown under the title (with the
        time the page was written and quantize's version, always shown).
    unsettled : sequence of Unsettled
        The files a stopped batch left unsettled (:class:`quantize.batch.Unsettled`), each
        with the row the JSON and CSV reports give it
        (:meth:`quantize.batch.Unsettled.row`), listed, sorted and counted with the
        others, its thumbnail before and no metrics: those an interrupted batch (or one an
        error stopped) did not reach, marked "not reached"; those whose jobs a second
        interrupt abandoned while they ran (:class:`quantize.batch.FilesAbandoned`),
        marked "abandoned", which the summary counts apart; and those whose outputs
        another worker finished as an error stopped the run
        (:class:`quantize.batch.NotRecordedError`), left in place and in no record, marked
        "finished unrecorded", their outputs linked and shown, which the summary counts
        beside those not reached.
    input_dir : path or None
        The folder the batch was given (INPUT_DIR): the title names it as given, and
        each file is named by its path from it (``2023/img.png``, also when every
        input lies in ``2023/``). None: the folder all inputs share, by its name.
    unclaimed : int, default 0
        The outputs the batch left in place and in no row (``BatchPlan.unclaimed``): those
        of files not among its inputs, and those a stopped run left unfinished under a name
        this run does not make. The summary counts them as the command's summary line does
        (:func:`quantize.batch.unclaimed_counts`).
    unfinished : int, default 0
        How many of ``unclaimed`` a stopped run left unfinished.
    removed : sequence of RemovedOutput
        The outputs of those kinds the batch removed before its files ran
        (``--remove-orphans``): counted by the summary as the command's summary line
        counts them (:func:`quantize.batch.removed_counts`), and listed under it, each
        from the page's folder, as its links name files.
    passed_over : sequence of paths
        The files the batch's search left out for their extension, not an image's
        (``BatchPlan.passed_over``): counted by the summary, their extensions named, as
        the command's summary line says them (:func:`quantize.batch.passed_over_counts`).
    not_entered : int, default 0
        The sub-folders the search did not enter, without ``-r``
        (``BatchPlan.not_entered``), counted so too.
    hidden : int, default 0
        The hidden files (names starting with ".") the search left out that it would
        otherwise have taken (``BatchPlan.hidden``), counted so too.
    not_reached, abandoned : sequence of paths, optional
        Deprecated, for ``unsettled``: inputs added after its files, with those statuses.
    unrecorded : sequence of (input, output) paths, optional
        Deprecated, for ``unsettled``: inputs, each with its output, added after those,
        finished unrecorded.
    threads : int or None
        Threads that make the thumbnails (:func:`quantize.report.thumbnails.thumbnails`);
        None: the shared threads, two at most. ``batch`` gives its worker count.

    Raises
    ------
    ValueError
        If ``path`` does not end in .html/.htm, or ``mode``, ``thumb_size``,
        ``max_pixels``, ``unclaimed``, ``unfinished`` (more than ``unclaimed``),
        ``not_entered``, ``hidden``, ``threads`` (below 1) or an item of ``unsettled`` (its output,
        for its status) is invalid.
    TypeError
        If an item of ``removed`` is not a :class:`quantize.batch.RemovedOutput`, or one
        of ``unsettled`` not a :class:`quantize.batch.Unsettled`.
    DeprecationWarning
        For each of ``not_reached``, ``abandoned`` and ``unrecorded`` given.
    OutputError
        If the page cannot be written.

    Notes
    -----
    Without ``input_dir``, files are named by their path from the folder all inputs
    share (``2024/img.png``), so that files of one name in two sub-folders are told
    apart, and listed in the natural order of those paths, ``img 9.png`` before
    ``img 10.png`` (:func:`quantize.io.natural_key`; row ``id`` ``file-<i>`` keeps
    their index in ``results``, then in ``unsettled``). Files
    whose images cannot be read (missing, not an image) get an empty thumbnail cell; a
    failed file shows its reason across the metric columns.
    The palette comes from the record's ``palette`` entry when present, else
    from the output image when it has at most 256 colours. Written over a page it
    wrote before, it embeds again that page's thumbnails of the files unchanged since
    (the same path, size, times, thumbnail size and kind), unread. File names that are
    not valid UTF-8 are shown with U+FFFD for their undecodable bytes and
    linked with those bytes percent-encoded.
    """
    target = check_html_path(path)
    mode = check_choice(mode, "mode", _MODES)
    size = check_int(thumb_size, "thumb_size", minimum=16, maximum=2048)
    max_pixels = check_max_pixels(max_pixels)
    threads = check_optional_int(threads, "threads", minimum=1)
    left = (check_int(unclaimed, "unclaimed", minimum=0),
            check_int(unfinished, "unfinished", minimum=0, maximum=unclaimed))
    gone = check_removed(removed)
    unsettled = check_unsettled(unsettled, "write_html_report", not_reached=not_reached,
                                abandoned=abandoned, unrecorded=unrecorded)
    passed = passed_over_counts([Path(p) for p in passed_over],
                                check_int(not_entered, "not_entered", minimum=0),
                                check_int(hidden, "hidden", minimum=0))
    landing = written_through(target)  # a link is written through: links from its folder
    folder = landing.parent if str(landing.parent) else Path(".")
    rows = [r.as_row() for r in results] + [u.row() for u in unsettled]
    base, labels = _labels(rows, input_dir)
    # by path, not in the order the workers finished; ids keep the order of ``results``
    order = sorted(range(len(rows)), key=lambda i: natural_key(labels[i]))
    kind = "overlay" if mode == "segment" else "dithered" if check_bool(
        dithered, "dithered") else "reduced"
    note = _PER_FRAME_NOTE if check_bool(per_frame, "per_frame") else ""
    wanted = [(path, "photo" if j == 0 else kind) for row in rows
              for j, path in enumerate(_thumbnail_files(row, mode)) if path is not None]
    thumbs = _thumbnails(wanted, size, max_pixels, _earlier_thumbnails(target), threads)
    body = (_file_row(i, rows[i], (labels[i], rank), mode, (size, kind, thumbs), max_pixels,
                      folder, note) for rank, i in enumerate(order))
    made = _made_html(command, datetime.now().astimezone())
    title = Path(base).name if input_dir is None else _folder_as_given(input_dir)
    around = _page(mode, title, rows, labels, order, (summary, left, gone, passed), made,
                   _removed_html(gone, folder))
    empty = f'<tr><td colspan="{len(_columns(mode))}">No files.</td></tr>'
    atomic_write(target, lambda tmp: _write_page(tmp, around, body, empty))


def _write_page(path: Path, around: tuple[str, str], body: Iterator[str], empty: str) -> None:
    """Write the page: its part before the rows, each row as it is made (one a line), and
    its part after them; the row ``empty`` when ``body`` has none. Joined
    first, the page was held whole about eight times over: a batch of 16,000 small images
    (a 143 MB page) took 1.6 GB to write it.

    A file name that is not UTF-8 shows its undecodable bytes as U+FFFD; links keep them
    (:func:`~quantize.names.printable`, on each part)."""
    before, after = around
    with open(path, "w", encoding="utf-8") as f:
        f.write(printable(before))
        first = next(body, None)
        f.write(printable(empty if first is None else first))
        for row in body:
            f.write("\n")
            f.write(printable(row))
        f.write(printable(after))


# --------------------------------------------------------------------------
# Rows
# --------------------------------------------------------------------------


def _labels(rows: Sequence[Mapping[str, Any]],
            input_dir: str | os.PathLike[str] | None = None) -> tuple[str, list[str]]:
    """The folder the inputs are named from, ``input_dir`` or else the one all inputs share,
    and each input's path from it: ``2024/img.png``, not ``img.png`` ("" and the names alone
    for inputs on several drives)."""
    inputs = [absolute_path(str(row.get("input", ""))) for row in rows]
    try:
        base = (absolute_path(input_dir) if input_dir is not None else
                os.path.commonpath([os.path.dirname(p) for p in inputs]) if inputs else "")
        return base, [os.path.relpath(p, base) for p in inputs]
    except ValueError:  # inputs on several drives (Windows)
        return "", [Path(p).name for p in inputs]


def _folder_as_given(folder: str | os.PathLike[str]) -> str:
    """``folder`` as the command was given it, with its own name after it when the path
    ends without one (``.``, ``..``), so that the title still says which folder it is.

    >>> _folder_as_given("photos/2023/")
    'photos/2023'
    """
    given = os.fspath(Path(folder))
    name = Path(given).name
    if name and name != "..":
        return given
    resolved = resolved_path(absolute_path(given)).name
    return f"{given} ({resolved})" if resolved else given


#: Added to the row of an animation reduced with a palette per frame.
_PER_FRAME_NOTE = "; a palette per frame: k is the largest, the swatches all their colours"


#: Statuses whose row shows no output, whatever its ``output`` names: a file that failed,
#: was not reached or was abandoned (one finished unrecorded shows the output it left).
_NO_OUTPUT = ("failed", NOT_REACHED, ABANDONED)


#: What the row of a file a stopped run left unsettled says across its metric columns,
#: after its status, for each status (:class:`~quantize.batch.Unsettled`).
_UNSETTLED_CELLS = {
    NOT_REACHED: "the run stopped before this file (rerun the command to finish)",
    ABANDONED: "the run was interrupted again while it made this file (rerun the command to "
               "make it)",
    FINISHED_UNRECORDED: "its output was finished as the run stopped, and is left in place, "
                         "unrecorded (the next run makes it again)",
}


def _file_row(index: int, row: Mapping[str, Any], name: tuple[str, int], mode: str,
              thumbs: tuple[int, str, Mapping[tuple[Path, str], _Made]],
              max_pixels: int | None, folder: Path, animation_note: str = "") -> str:
    """One ``<tr>``: name, before, after, then the mode's cells (or the failure reason).

    ``name`` is the row's file label and its place in the labels' natural order;
    ``thumbs`` is the thumbnails' size, the kind of the "after" one and every thumbnail
    by file and kind (:func:`_thumbnails`); ``animation_note`` is added to an animation's
    frame count.
    """
    label, rank = name
    size, kind, made = thumbs
    status = str(row.get("status", ""))
    src, after = _thumbnail_files(row, mode)
    out = Path(str(row["output"])) if row.get("output") else None
    failed = status in _NO_OUTPUT
    # segment uses an animation's first frame: its input plays only in reduce mode
    plays = folder if mode == "reduce" else None
    before_cell, before_plays = _thumb_cell(src, made[src, "photo"], size, ("before", label),
                                            kind="photo", play_from=plays)
    after_cell, after_plays = (("<td class=\"thumb\"></td>", False) if after is None
                               else _thumb_cell(after, made[after, kind], size,
                                                (_AFTER[mode], label), kind=kind,
                                                play_from=plays))
    plays = _PLAYS[before_plays, after_plays]
    sort_keys = _sort_keys(row, rank, mode)
    # skipped unopened (a link to a folder, a pipe): no output and no metric, only the reason
    unmade = status == "skipped" and out is None and sort_keys.keys() == {"name"}
    # a failed file's output is linked only when an earlier run's is left in place, stale
    shown_out = None if failed and not row.get("stale_output") else out
    # the reason of a file left unsettled is said across the metric columns, in the page's
    # own words (_UNSETTLED_CELLS)
    apart = status == "failed" or unmade or status in _UNSETTLED_CELLS
    cells = [_name_cell(row, label, src, shown_out, folder, animation_note,
                        plays, reason_apart=apart),
             before_cell, after_cell]
    span = len(_columns(mode)) - 3
    if status in _UNSETTLED_CELLS:
        cells.append(f'<td class="missing" colspan="{span}"><b>{status}:</b> '
                     f'{_UNSETTLED_CELLS[status]}</td>')
    elif failed:
        cells.append(f'<td class="reason" colspan="{span}"><b>failed:</b> '
                     f'{_name(row.get("reason", ""))}</td>')
    elif unmade:
        cells.append(f'<td class="missing" colspan="{span}"><b>skipped:</b> '
                     f'{_name(row.get("reason", ""))}</td>')
    else:
        cells += _metric_cells(row, mode, after, max_pixels)
    keys = " ".join(f'data-{k}="{_e(v)}"' for k, v in sort_keys.items())
    return (f'<tr id="file-{index}" class="file {_e(_row_class(row))}" {keys}>'
            + "".join(cells) + "</tr>")


def _row_class(row: Mapping[str, Any]) -> str:
    """The class of a row, which the status filter shows or hides: its status, after
    ``folder-`` for a sub-folder not searched or not listed, which is no file.

    >>> _row_class({"status": "not reached"}), _row_class({"status": "skipped"})
    ('not-reached', 'skipped')
    >>> _row_class({"status": "failed", "folder_not_listed": True})
    'folder-failed'
    """
    status = str(row.get("status", "")).replace(" ", "-")
    return f"folder-{status}" if is_folder(row) else status


def _name_cell(row: Mapping[str, Any], label: str, src: Path, out: Path | None,
               folder: Path, animation_note: str = "", plays: str = "", *,
               reason_apart: bool = False) -> str:
    """Input link, output link, an animation's frames or a TIFF's pages (and
    ``animation_note``), and the status when not "ok" with its reason (unless
    ``reason_apart``: the row shows it across the metric columns) and warnings.

    A row whose thumbnails play (``plays``, what the page says of them then) gets the
    button that plays and pauses them (hidden until the page's script shows it) and says
    which the thumbnails show.
    """
    parts = [_link(src, folder, label)]
    if out is not None:
        stale = " (stale, left in place)" if row.get("status") == "failed" else ""
        parts.append(f'<div class="out">→ {_link(out, folder, out.name)}{stale}</div>')
    frames = row.get("frames")
    pages = out is not None and out.suffix.lower() in (".tif", ".tiff")  # not an animation
    animation = ((f"{frames:.0f} pages" if pages else f"animation, {frames:.0f} frames")
                 if _number(frames) and frames > 1 else "animation" if plays else None)
    if animation is not None:
        # named with the file: every row's button reads "play" (its script says "pause")
        button = (f' <button type="button" class="play" aria-label="play {_name(label)}" '
                  'hidden>play</button>' if plays else "")
        shown = f' data-playing="{plays}"' if plays else ""
        parts.append(f'<div class="note">{animation} <span class="shown"{shown}>(first shown)'
                     f'</span>{_e(animation_note)}{button}</div>')
    status = str(row.get("status", ""))
    if status != "ok":
        reason = f": {row['reason']}" if row.get("reason") and not reason_apart else ""
        parts.append(f'<div class="status">{_name(status + reason)}</div>')
    elif row.get("reason"):  # redone, e.g. its input changed
        parts.append(f'<div class="status">{_name(row["reason"])}</div>')
    warned = row.get("warnings")
    if isinstance(warned, (list, tuple)):
        parts += [f'<div class="note">warning: {_name(w)}</div>' for w in warned]
    copied = row.get(INPUT_COPIED)  # --copy-if-larger: the output is the input's bytes
    if isinstance(copied, str) and copied:
        parts.append(f'<div class="note">{_name(copied)}</div>')
    if has_fewer_colors(status, row):  # all its colours kept: a fact, no fault
        flag = "-k/--colors"  # kept on one line: the name cell wraps anywhere
        words = _e(FEWER_COLORS_WORDS).replace(flag, f'<span class="flag">{flag}</span>')
        parts.append(f'<div class="note">{words}</div>')
    left_out = row.get("left_out_of_shared_palette")  # the shared palette was fitted without it
    if isinstance(left_out, str) and left_out:
        parts.append(f'<div class="note">warning: left out of the shared palette\'s fit, which '
                     f'the other files made: {_name(left_out)}</div>')
    parts += _earlier_output_notes(row, folder)
    # the row's header: a screen reader names the row's other cells by it
    return f'<th scope="row" class="name">{"".join(parts)}</th>'


def _earlier_output_notes(row: Mapping[str, Any], folder: Path) -> list[str]:
    """What the run did with the outputs an earlier run made of the file under another
    name: removed (``removed_outputs``), or left in place, and why (``outputs_not_removed``).

    Their paths, recorded as the command was given them, are shown from the report's
    folder, as its links are.
    """
    notes = []
    removed = row.get(REMOVED)
    if isinstance(removed, (list, tuple)) and removed:  # a folder only emptied is said left
        note = removed_note(row, shown=lambda path: _from_folder(path, folder))
        notes.append(f'<div class="note">{_name(note)}</div>')
    kept = row.get("outputs_not_removed")
    if isinstance(kept, Mapping):
        notes += [f'<div class="note">warning: {_name(_from_folder(str(path), folder))}, made '
                  f'of this file under another name by an earlier run, is left in place: '
                  f'{_name(why)}</div>' for path, why in kept.items()]
    return notes


def _metric_cells(row: Mapping[str, Any], mode: str, after: Path | None,
                  max_pixels: int | None) -> list[str]:
    if mode == "segment":
        size = (f"{row['width']}×{row['height']}"
                if _number(row.get("width")) and _number(row.get("height")) else None)
        return [_num(row.get("n_regions"), "{:.0f}"), _num(_clusters(row), "{:.0f}"),
                f'<td class="num">{_e(size) if size else _MISSING}</td>',
                _num(row.get("seconds"), "{:.2f}")]
    psnr = row.get("psnr")
    psnr_cell = ('<td class="num">lossless</td>' if psnr is None and row.get("k") is not None
                 else _num(psnr, "{:.2f}"))
    b_in, b_out = row.get("bytes_in"), row.get("bytes_out")
    # Two unbreakable pieces: a narrow cell wraps after the arrow, never before it.
    sizes = (f"<span>{b_in:,.0f} →</span> <span>{b_out:,.0f}</span>"
             if _number(b_in) and _number(b_out) else _MISSING)
    k_cell = _num(row.get("k"), "{:.0f}")
    if row.get("quality_met") is False:  # the colours allowed, kept within --quality-limit
        k_cell = _num(row.get("k"), "{:.0f} (Q missed)")
    return [_palette_cell(row, after, max_pixels), k_cell, psnr_cell,
            _num(row.get("delta_e"), "{:.2f}"),
            f'<td class="num bytes">{sizes}</td>',
            _num(_ratio(row), "{:.1%}"), _num(row.get("seconds"), "{:.2f}")]


def _sort_keys(row: Mapping[str, Any], rank: int, mode: str) -> dict[str, str]:
    """``data-*`` attributes the script sorts by; absent when the value is unknown.

    ``name`` is the row's place in the natural order of the file labels
    (:func:`quantize.io.natural_key`), so that the script orders names as the page does.
    """
    keys = {"name": str(rank)}
    if mode == "segment":
        width, height = row.get("width"), row.get("height")
        pixels = width * height if _number(width) and _number(height) else None
        numeric = {"regions": row.get("n_regions"), "clusters": _clusters(row),
                   "pixels": pixels, "seconds": row.get("seconds")}
    else:
        numeric = {"k": row.get("k"), "psnr": row.get("psnr"), "delta_e": row.get("delta_e"),
                   "bytes_out": row.get("bytes_out"), "ratio": _ratio(row),
                   "seconds": row.get("seconds")}
    for key, value in numeric.items():
        if _number(value):
            keys[key] = repr(float(value))
    if mode == "reduce" and row.get("psnr") is None and _number(row.get("k")):
        keys["psnr"] = "Infinity"  # lossless: the best PSNR
    return keys


def _clusters(row: Mapping[str, Any]) -> Any:
    """The k-means clusters a segmentation has: ``clusters_used``, fewer than the ``-k``
    asked (``n_clusters``) when the image has fewer distinct feature vectors, colour and
    texture cannot tell some clusters apart or some cluster is left no region, as the
    command's line says; ``n_clusters`` for a record without it."""
    used = row.get("clusters_used")
    return used if _number(used) else row.get("n_clusters")


def _ratio(row: Mapping[str, Any]) -> float | None:
    b_in, b_out = row.get("bytes_in"), row.get("bytes_out")
    if _number(b_in) and _number(b_out) and b_in > 0:
        return b_out / b_in
    return None


def _number(value: Any) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value))


def _num(value: Any, fmt: str) -> str:
    text = fmt.format(value) if _number(value) else None
    return f'<td class="num">{_e(text) if text is not None else _MISSING}</td>'


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _name(name: Any) -> str:
    """A file name, or a line that may hold one (a reason, a warning), as the page shows it:
    its control characters and text-reordering marks escaped as the command's lines show
    them (a newline would show as a space, U+202E would turn the rest of the line around),
    then HTML-escaped."""
    return _e(printable_line(str(name)))


def _link(path: Path, folder: Path, text: str) -> str:
    """``<a>`` to ``path``, relative to the report's folder when possible (:func:`_href`);
    ``text`` alone for a special file (:func:`_linkable`)."""
    if not _linkable(path):
        return f'<span class="unlinked">{_name(text)}</span>'
    return f'<a href="{_e(_href(path, folder))}">{_name(text)}</a>'


def _linkable(path: Path) -> bool:
    """Whether the page links ``path``: a regular file or a folder (where a link leads), or
    a path not there now (a link to nothing fails at once), but no named pipe, device or
    socket: a browser opening a named pipe waits for a writer, its tab hung for ever."""
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return True
    return stat.S_ISREG(mode) or stat.S_ISDIR(mode)


def _href(path: Path, folder: Path) -> str:
    """The address of ``path`` from a page in ``folder``: relative when possible.

    Paths are made absolute as the system finds them, but for the links they pass through
    (:func:`~quantize.names.absolute_path`: a ".." after a link to a folder is taken from
    the link's target, as the system takes it): a browser joins the link to the page's
    address as it was opened, ``..`` taking off its last folder, and finds the file there.
    """
    target = _from_folder(path, folder)
    if os.path.isabs(target):  # on another drive (Windows)
        return Path(target).as_uri()
    return urllib.parse.quote(Path(target).as_posix(), errors="surrogateescape")


def _from_folder(path: str | os.PathLike[str], folder: Path) -> str:
    """``path`` relative to the report's folder, as :func:`_link` links it (absolute when
    on another drive)."""
    try:
        return os.path.relpath(absolute_path(path), absolute_path(folder))
    except ValueError:  # another drive (Windows)
        return absolute_path(path)


# --------------------------------------------------------------------------
# Palette
# --------------------------------------------------------------------------


def _palette_cell(row: Mapping[str, Any], after: Path | None,
                  max_pixels: int | None) -> str:
    listed = row.get("palette")
    swatches = _record_palette(listed)
    # Entries dropped as malformed leave their part unknown: the others fill the bar.
    whole_known = swatches is not None and len(swatches) == len(listed)
    if swatches is None and after is not None:
        try:
            swatches = read_palette_shares(after, max_pixels=max_pixels)
        except ImageReadError:
            swatches = []
    if not swatches:
        return f'<td class="palette">{_MISSING}</td>'
    # Shares sum to 1 but for a still's faint pixels drawn transparent, in the whole and in
    # no share: their part is a swatch of its own (the rest was spread over the others,
    # each drawn wider than its title said), or above 1 by rounding, taken off every one.
    total = sum(s.share for s in swatches)
    whole = max(total, 1.0) if whole_known else total or 1.0
    parts, titles = [], []
    for s in swatches:
        r, g, b = (int(s.hex[i:i + 2], 16) for i in (1, 3, 5))
        title = f"{s.hex} alpha {s.alpha}, {s.share:.1%}" if s.alpha < 255 \
            else f"{s.hex}, {s.share:.1%}"
        titles.append(title)
        parts.append(f'<span class="swatch" style="width:{100 * s.share / whole:.4f}%;'
                     f'background:rgba({r},{g},{b},{s.alpha / 255:.3f})" '
                     f'title="{_e(title)}"></span>')
    rest = 1.0 - total if total > 0 and whole_known else 0.0
    if rest >= _REST_SHOWN:
        title = f"faint pixels drawn transparent, {rest:.1%}"
        titles.append(title)
        parts.append(f'<span class="swatch rest" style="width:{100 * rest:.4f}%" '
                     f'title="{_e(title)}"></span>')
    # Said to a screen reader, which shows no hover titles: how many colours, and the most
    # used (each swatch's title says its own; read out, 256 hex codes were noise).
    label = (f"palette of 1 colour: {titles[0]}" if len(swatches) == 1
             else f"palette of {len(swatches)} colours, most used {titles[0]}")
    if rest >= _REST_SHOWN:
        label += f"; {titles[-1]}"
    return (f'<td class="palette"><div class="bar" role="img" aria-label="{_e(label)}">'
            f'{"".join(parts)}</div></td>')


def _record_palette(value: Any) -> list[Swatch] | None:
    """The record's ``palette`` entries that are well formed; None when there are none."""
    if not isinstance(value, (list, tuple)):
        return None
    swatches = []
    for item in value:
        if not isinstance(item, Mapping):
            continue
        hex_, alpha, share = item.get("hex"), item.get("alpha", 255), item.get("share")
        if (isinstance(hex_, str) and _HEX.fullmatch(hex_) and _number(share) and share >= 0
                and _number(alpha) and 0 <= alpha <= 255):
            swatches.append(Swatch(hex_.lower(), int(alpha), float(share)))
    # In the record's order: most used first for a fitted palette, the palette's own order
    # for a given one (--palette-in, --shared-palette), the same in every row.
    return swatches or None


# --------------------------------------------------------------------------
# Thumbnails
# --------------------------------------------------------------------------


def _thumb_cell(path: Path, made: _Made, size: int, names: tuple[str, str], *, kind: str,
                play_from: Path | None = None) -> tuple[str, bool]:
    """The thumbnail ``made`` of ``path`` (:func:`_thumbnails`), and whether it plays; one
    less than half the size shown is enlarged by a whole factor. One of the middle of its
    image (:attr:`~quantize.report.thumbnails.Thumbnail.cropped`) says so in its title and
    alternative text, and its animation, when it plays, is cut to the same middle.

    ``names`` is what it shows ("before", "after", "overlay") and the row's file label: its
    alternative text names the file as the row does (every overlay is ``overlay.png``).
    With ``play_from``, the report's folder, an animation a browser plays (GIF, APNG, WebP)
    has its file linked in ``data-play``, for the page's script to show in place of the
    embedded first frame, at the same size (:data:`SCRIPT`); the page embeds no animation.
    """
    shows, label = names
    key, thumb = made
    if thumb is None:
        return f'<td class="thumb"><span class="missing">no {shows} image</span></td>', False
    factor = min(size, SHOWN_SIZE) // max(thumb.width, thumb.height, 1)
    href = (_href(path, play_from) if play_from is not None and thumb.frames > 1
            and thumb.format in _PLAYABLE else None)
    classes = ["middle"] if thumb.cropped else []  # a playing file is cut as the thumbnail
    if factor >= 2:
        classes.append("enlarged")
        shown = f' width="{thumb.width * factor}" height="{thumb.height * factor}"'
    elif href is not None:  # the file's frames drawn where the first frame was, as large
        scale = min(1.0, SHOWN_SIZE / max(thumb.width, thumb.height))
        classes += ["nearest"] if kind == "reduced" else []
        shown = (f' width="{round(thumb.width * scale)}" '
                 f'height="{round(thumb.height * scale)}"')
    else:  # a reduced still the browser shrinks (a narrow window) keeps its palette colours
        classes += ["nearest"] if kind == "reduced" else []
        shown = ""
    if classes:
        shown = f' class="{" ".join(classes)}"{shown}'
    # an animation is fetched once near the window; an embedded still at once
    shown += ' loading="eager"' if href is None else f' data-play="{_e(href)}" loading="lazy"'
    if key is not None:
        shown = (f' data-made="{key} {thumb.width} {thumb.height} {thumb.frames} '
                 f'{thumb.format or ""} {"middle" if thumb.cropped else "whole"}"{shown}')
    what = f"{shows}: {label}"
    if thumb.cropped:
        what += ", its middle"
        shown += (f' title="the middle of the image, which is more than {MAX_ASPECT} times as '
                  'long as its other side"')
    return (f'<td class="thumb"><img src="{thumb.uri}"{shown} '
            f'alt="{_name(what)}"></td>', href is not None)


def _thumbnail_files(row: Mapping[str, Any], mode: str) -> tuple[Path, Path | None]:
    """The files a row's thumbnails show: its input, and its output (in segment mode the
    overlay in its output folder), None when the file failed, was not reached or abandoned,
    or has no output."""
    src = Path(str(row.get("input", "")))
    out = row.get("output")
    if not out or row.get("status") in _NO_OUTPUT:
        return src, None
    return src, Path(str(out)) / OVERLAY_NAME if mode == "segment" else Path(str(out))


def _thumbnails(wanted: Sequence[tuple[Path, str]], size: int, max_pixels: int | None,
                earlier: Mapping[str, Thumbnail],
                threads: int | None) -> dict[tuple[Path, str], _Made]:
    """Each ``(path, kind)`` of ``wanted`` and its thumbnail (None when the image cannot be
    read), with what it was made of (:func:`_made_of`): the one of ``earlier``, the
    thumbnails of the page replaced, made of the file as it is now, else one made now, on
    ``threads`` threads (None: the shared ones; :func:`~quantize.report.thumbnails.thumbnails`)."""
    made: dict[tuple[Path, str], _Made] = {}
    todo = []
    for path, kind in dict.fromkeys(wanted):
        key = _made_of(path, size, kind, max_pixels)
        thumb = None if key is None else earlier.get(key)
        made[path, kind] = (key, thumb)
        if thumb is None:
            todo.append((path, kind))
    for (path, kind), thumb in zip(todo, thumbnails(todo, size, max_pixels=max_pixels,
                                                    threads=threads), strict=True):
        made[path, kind] = (made[path, kind][0], thumb)
    return made


def _made_of(path: Path, size: int, kind: str, max_pixels: int | None) -> str | None:
    """A digest of what the thumbnail of ``path`` is made of: the file (its absolute path,
    size, modification and change times, device and inode; for an overlay, its folder's
    borders file too), the thumbnail's size and kind, the largest image read and this
    quantize's version. None when it is no regular file (the thumbnail says why)."""
    parts: list[Any] = [absolute_path(path), size, kind, max_pixels, __version__]
    files = [path, path.with_name(BOUNDARIES_NAME)] if kind == "overlay" else [path]
    for i, file in enumerate(files):
        try:
            st = os.stat(file)
        except (OSError, ValueError):
            if i == 0:
                return None
            parts.append(None)  # no borders file: the overlay is only shrunk
            continue
        if i == 0 and not stat.S_ISREG(st.st_mode):
            return None
        parts += [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_dev, st.st_ino]
    return hashlib.sha1(repr(parts).encode("utf-8", "surrogateescape")).hexdigest()


def _earlier_thumbnails(page: Path) -> dict[str, Thumbnail]:
    """The thumbnails embedded in the page at ``page`` (one this module wrote), by what
    they were made of (:data:`_MADE`); none when there is no such page or it cannot be
    read."""
    try:
        st = os.stat(page)
        if not stat.S_ISREG(st.st_mode) or st.st_size > _EARLIER_PAGE_MAX:
            return {}
        data = page.read_bytes()
    except (OSError, ValueError):
        return {}
    return {m[2].decode("ascii"): Thumbnail(m[1].decode("ascii"), int(m[3]), int(m[4]),
                                            int(m[5]), m[6].decode("ascii") or None,
                                            m[7] == b"middle") for m in _MADE.finditer(data)}


# --------------------------------------------------------------------------
# Page
# --------------------------------------------------------------------------


def _columns(mode: str) -> list[tuple[str, str | None]]:
    """(heading, sort key) of every column."""
    head = [("File", "name"), ("Before", None),
            ("Overlay" if mode == "segment" else "After", None)]
    if mode == "segment":
        return head + [("Regions", "regions"), ("Clusters", "clusters"), ("Size", "pixels"),
                       ("Seconds", "seconds")]
    return head + [("Palette (width = share of pixels)", None), ("k", "k"),
                   ("PSNR (dB)", "psnr"), ("ΔE2000", "delta_e"),
                   ("Bytes in → out", "bytes_out"), ("Out / in", "ratio"),
                   ("Seconds", "seconds")]


#: The sort the rows are written in: by name, ascending.
_START_SORT = {"name": "ascending"}
#: The arrow a sorted heading shows, by its ``aria-sort`` (the script's are the same).
_ARROWS = {"ascending": " ▲", "descending": " ▼", "none": ""}


def _page(mode: str, folder: str, rows: Sequence[Mapping[str, Any]], labels: Sequence[str],
          order: Sequence[int],
          summary: tuple[_Summary, tuple[int, int], Sequence[RemovedOutput], Sequence[str]],
          made: str, removed: str = "") -> tuple[str, str]:
    """The page before its rows and after them (:data:`~quantize.report.assets.TEMPLATE`
    around ``{rows}``)."""
    # The page's script makes each sortable heading a button (:data:`SCRIPT`): without it, a
    # heading is its text, not a button that does nothing. The rows start in the order of
    # their names (:func:`_sort_keys`): File says so. The arrow is no part of its name.
    heads = "".join(
        f'<th scope="col" data-key="{key}" aria-sort="{(sort := _START_SORT.get(key, "none"))}">'
        f'{_e(text)}<span class="arrow" aria-hidden="true">{_ARROWS[sort]}</span></th>' if key
        else f'<th scope="col">{_e(text)}</th>' for text, key in _columns(mode))
    title = f"quantize batch report ({mode})" + (f": {printable_line(folder)}" if folder else "")
    fields = {"title": _e(title), "made": made, "summary": _summary_html(mode, rows, *summary),
              "failures": _failures_html(rows, labels, order) + removed,
              "filter": _filter_html(rows), "heads": heads, "style": STYLE, "script": SCRIPT}
    before, after = TEMPLATE.split("{rows}")
    return before.format(**fields), after.format(**fields)


def _made_html(command: str | None, when: datetime) -> str:
    """When the page was written, by which quantize, and the command line when given, its
    line broken between arguments only (not at the hyphens of ``--html``), unless one is
    wider than the page."""
    stamp = when.isoformat(timespec="seconds")
    shown = when.strftime("%Y-%m-%d %H:%M:%S UTC%z")  # no locale: the same in any language
    words = " ".join(f'<span class="arg">{_e(word)}</span>' for word in (command or "").split(" "))
    ran = f": <code>{words}</code>" if command else ""
    return (f'<p class="made">Written <time datetime="{stamp}">{_e(shown)}</time> by quantize '
            f"{_e(__version__)}{ran}</p>")


# Between the summary line's parts: the space before the dot does not break.
_SUMMARY_SEPARATOR = "\N{NO-BREAK SPACE}· "


def _summary_html(mode: str, rows: Sequence[Mapping[str, Any]], summary: _Summary,
                  unclaimed: tuple[int, int] = (0, 0),
                  removed: Sequence[RemovedOutput] = (), passed: Sequence[str] = ()) -> str:
    """The summary line: what the command's summary line counts, and the bytes in and out;
    ``unclaimed`` counts the outputs in no row, left in place, and those of them a stopped
    run left unfinished (:func:`~quantize.batch.unclaimed_counts`); ``removed``, those of
    them the run removed (:func:`~quantize.batch.removed_counts`); ``passed``, what the
    search passed over, in the summary line's words
    (:func:`~quantize.batch.passed_over_counts`)."""
    redone = [r["reason"] for r in rows if r.get("status") == "ok" and r.get("reason")]
    said = redone_counts(len(redone), sum(reason in LEFT_UNRECORDED for reason in redone))
    ok = f"{summary.ok} ok" + (f" ({said})" if said else "")
    # skipped as larger than the input (batch's LARGER record key), some keeping a stale
    # output (STALE), as the terminal's summary line counts them
    larger = [r for r in rows if r.get("status") == "skipped" and r.get(LARGER)]
    stale = sum(1 for r in larger if r.get("stale_output"))
    kept = f", {stale} of them with a stale output kept" if stale else ""
    skipped = f"{summary.skipped} skipped" + (
        f" ({len(larger)} larger than the input{kept})" if larger else "")
    files = "1 file" if summary.total == 1 else f"{summary.total} files"
    # failed, some leaving the output of an earlier run in place, stale (STALE)
    stale_failed = sum(1 for r in rows if r.get("status") == "failed" and r.get("stale_output"))
    failed = f"{summary.failed} failed" + (
        f" ({stale_failed} with a stale output left in place)" if stale_failed else "")
    # sub-folders not searched, or not listed: rows, but no files
    folders = folder_counts(summary.folders_skipped, summary.folders_failed)
    written_larger = sum(1 for r in rows if r.get("status") == "ok" and made_larger(r))
    edited = sum(1 for r in rows if r.get("status") == "skipped" and EDITED_LARGER in r)
    fewer = sum(1 for r in rows if has_fewer_colors(r.get("status"), r))
    parts = [files, ok, skipped, failed, *folders, *passed, *removed_counts(removed),
             *unclaimed_counts(*unclaimed), *larger_counts(written_larger),
             *edited_larger_counts(edited), *fewer_colors_counts(fewer),
             f"{summary.seconds:.1f} s"]
    unrecorded = sum(1 for r in rows if r.get("status") == FINISHED_UNRECORDED)
    if summary.interrupted:
        gave_up = sum(1 for r in rows if r.get("status") == ABANDONED)
        left = (summary.total - summary.ok - summary.skipped - summary.failed - gave_up
                - unrecorded)
        unlisted = left - sum(1 for r in rows if r.get("status") == NOT_REACHED)
        where = "" if unlisted <= 0 else ", in no row" if unlisted == left else \
            f", {unlisted} of them in no row"
        by = f" by {summary.interrupted_by}" if summary.interrupted_by else ""
        counts = [f"{left} not reached{where}"] if left > 0 else []
        counts += [f"{gave_up} abandoned"] if gave_up else []
        counts += [f"{unrecorded} finished unrecorded"] if unrecorded else []
        parts.append(f"interrupted{by} before the end" + (
            f": {', '.join(counts)} (rerun the command to finish)" if counts else ""))
    elif stopped := stopped_counts(sum(1 for r in rows if r.get("status") == NOT_REACHED),
                                    unrecorded):  # an error
        parts.append(f"stopped before the end: {stopped} (rerun the command to finish)")
    # a narrow page wraps the line after a separator, never before it: no line starts "·"
    line = _e(_SUMMARY_SEPARATOR.join(parts))
    if mode == "reduce":
        line += _bytes_html(rows, larger)
    return f'<p class="summary">{_e(mode)}: {line}</p>'


def _bytes_html(rows: Sequence[Mapping[str, Any]], larger: Sequence[Mapping[str, Any]]) -> str:
    """The bytes in and out of the summary line, each total saying what it counts: the files
    with an output (made now, or before: skipped as existing), then, when some of ``larger``
    (skipped as larger than their inputs) give their input's size, the same with those
    counted as kept, at that size; "" when no file has an output.

    >>> row = {"status": "ok", "bytes_in": 100, "bytes_out": 40}
    >>> print(_bytes_html([row], [{"bytes_in": 50}]).replace("\N{NO-BREAK SPACE}", " "))
     · <span>100 →</span> <span>40 bytes (40.0%)</span> for the 1 file with an output · \
<span>150 →</span> <span>90 bytes (60.0%)</span> counting the 1 skipped as larger, kept as it was
    """
    made = [sizes for r in rows if (sizes := output_sizes(r.get("status"), r)) is not None]
    b_in = sum(size_in for size_in, _ in made)
    b_out = sum(size_out for _, size_out in made)
    if not b_in:
        return ""
    files = "1 file" if len(made) == 1 else f"{len(made)} files"
    line = f"{_SUMMARY_SEPARATOR}{_bytes_in_out(b_in, b_out)} for the {files} with an output"
    kept = [r["bytes_in"] for r in larger if _number(r.get("bytes_in"))]
    if kept:
        were = "it was" if len(kept) == 1 else "they were"
        line += (f"{_SUMMARY_SEPARATOR}{_bytes_in_out(b_in + sum(kept), b_out + sum(kept))} "
                 f"counting the {len(kept)} skipped as larger, kept as {were}")
    return line


def _bytes_in_out(b_in: int, b_out: int) -> str:
    """Bytes in and out as two unbreakable pieces, as in the bytes cells: a narrow page
    wraps the line after the arrow, never before it."""
    return f"<span>{b_in:,} →</span> <span>{b_out:,} bytes ({b_out / b_in:.1%})</span>"


def _failures_html(rows: Sequence[Mapping[str, Any]], labels: Sequence[str],
                   order: Sequence[int]) -> str:
    items = [f'<li><a href="#file-{i}">{_name(labels[i])}</a>: '
             f'{_name(rows[i].get("reason", ""))}</li>'
             for i in order if rows[i].get("status") == "failed"]
    if not items:
        return ""
    return f'<section class="failures"><h2>Failed</h2><ul>{"".join(items)}</ul></section>'


def _removed_html(removed: Sequence[RemovedOutput], folder: Path) -> str:
    """The outputs the run removed before its files (in no row), each from the page's
    folder, as its links name files, and of what kind; "" when none was."""
    items = [f"<li>{_name(_removed_item(r, _from_folder(r.output, folder)))}</li>"
             for r in removed]
    if not items:
        return ""
    return f'<section class="removed"><h2>Removed</h2><ul>{"".join(items)}</ul></section>'


def _removed_item(removed: RemovedOutput, shown: str) -> str:
    """What the page says of an output the run removed, named ``shown``.

    >>> _removed_item(RemovedOutput(Path("out/b"), folder_left=True), "b")
    'the outputs in b, of a file not among the inputs; the folder is left, as it holds \
other files'
    """
    what = f"the outputs in {shown}" if removed.folder_left else shown
    kind = ("unfinished, of a stopped run" if removed.unfinished
            else "of a file not among the inputs")
    return f"{what}, {kind}" + (f"; {FOLDER_LEFT}" if removed.folder_left else "")


#: The row classes the filter offers (:func:`_row_class`), with their buttons' words, in its
#: order (a class of no row is left out): the files by status, then the sub-folders, which
#: the summary line counts apart from the files.
_CHOICES = {"ok": "ok", "skipped": "skipped", "failed": "failed", "not-reached": NOT_REACHED,
            ABANDONED: ABANDONED, "finished-unrecorded": FINISHED_UNRECORDED,
            "folder-skipped": "folders skipped", "folder-failed": "folders not listed"}


def _filter_html(rows: Sequence[Mapping[str, Any]]) -> str:
    """Buttons that show only the rows of one class, or all, each with its count; ""
    when every row has the same class (nothing to pick). Hidden until the page's script
    shows them: without it they could not filter. Their group is named for a screen reader
    by what the rows are: files, sub-folders, or both."""
    classes = [_row_class(r) for r in rows]
    shown = [(words, name, n) for name, words in _CHOICES.items() if (n := classes.count(name))]
    if len(shown) < 2:
        return ""
    buttons = [(f"all ({len(rows)})", "")] + [(f"{words} ({n})", name)
                                              for words, name, n in shown]
    folders = sum(1 for r in rows if is_folder(r))
    kinds = " and ".join(kind for kind, n in (("files", len(rows) - folders),
                                              ("folders", folders)) if n)
    return (f'<div class="filter" role="group" aria-label="show the {kinds}" hidden>Show: '
            + "".join(f'<button type="button" data-show="{_e(show)}" aria-controls="results" '
                      f'aria-pressed="{"true" if not show else "false"}">{_e(text)}</button>'
                      for text, show in buttons)
            + "</div>")
