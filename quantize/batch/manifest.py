"""What a batch made, kept in its output folder so that a rerun can trust it.

Every output a batch finishes is recorded in ``OUT_DIR/.quantize-batch.jsonl``,
one JSON line per output: its path relative to the output folder, the settings
that shaped it (:func:`output_settings`), the job's record (k, PSNR, ΔE,
bytes, palette, ...) and the stamp of its input as the job read it
(:func:`input_stamp`: size, modification time, SHA-256). The planner reads it
back (:func:`read_manifest`) to skip only outputs made with the same settings
from inputs that have not changed since (:func:`input_changed`), and to give a
skipped file the metrics of the run that made it. Names are written as their bytes read
as UTF-8 whatever the locale, so that a rerun in another finds them (:func:`_portable_name`).

Each entry also names its input, as a path relative to the output folder
(:func:`source_key`), so that an output a later run makes of the same input
under another name can replace it (:func:`source_of`); the line of an output
removed so is followed by one saying so (:func:`record_removed`).

Lines are appended as files finish (:func:`record_output`), so an interrupted
run keeps what it did; a later line for the same output replaces an earlier one. A
line that cannot be read (torn, junk, or written by another version) is ignored;
the rewrite that drops it first keeps the file as it was beside it
(:func:`damaged_copy`), so that no record is lost without a copy. Before a run
starts its jobs, each output that is not there yet is recorded as pending
(:func:`record_pending`): a run killed between writing an output and recording it
leaves that output with a pending entry, which tells the next run that the file
is a batch's, unfinished, to make again. Before each run the file is rewritten
without such lines (:func:`compact_manifest`), so reruns with ``force`` do not
grow it without end. The name starts with a dot, so a batch never lists the
file as an input.

A run with ``force`` that starts its jobs records that it is under way, with its
settings and an id that each output it makes is recorded with
(:func:`record_forced_run`), and that it finished once it has reached every file
(:func:`record_forced_done`): a run with ``force`` and the same settings that
finds it unfinished (:func:`read_forced_run`) finishes it, keeping the outputs it
made rather than redoing them. Each mode keeps that state apart, so that a batch of
the other mode into the same folder neither replaces it nor takes it as finished.
"""

from __future__ import annotations

import contextlib
import enum
import errno
import gc
import hashlib
import json
import os
import stat
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import Any, NamedTuple

from ..errors import (
    FailureKind,
    OutputError,
    OutputExistsError,
    OwnFileError,
    QuantizeWarning,
)
from ..io import atomic_write, write_together
from ..names import absolute_path, quoted
from ..reduce.result import MAX_PALETTE

__all__ = ["DAMAGED_SUFFIX", "MANIFEST_NAME", "MISSING", "PYTHON_FIX_WORDS",
           "SHARED_PALETTE_NAME", "Entry", "FixWords", "ForcedRun",
           "Manifest", "ManifestUnreadableWarning", "OptionsChangedError",
           "changed_settings", "check_appendable",
           "compact_manifest", "damaged_copy", "describe_settings", "find_conflict",
           "input_changed",
           "input_stamp", "load_manifest", "made_alike", "manifest_key", "mark_written",
           "marked_written",
           "new_run_id", "options_changed_fix",
           "output_settings", "read_forced_run", "read_manifest", "record_forced_done",
           "record_entries", "record_forced_run",
           "record_output", "record_pending", "record_removed", "remove_mark", "restamp",
           "source_key", "source_of", "written_mark"]

#: File in the output folder recording every finished output.
MANIFEST_NAME = ".quantize-batch.jsonl"
#: What follows the manifest's name in the name of the copy of it kept, as it was, before a
#: rewrite dropped lines that could not be read (:func:`damaged_copy`).
DAMAGED_SUFFIX = ".damaged"
#: File in the output folder holding the palette of a ``--shared-palette`` run, which the
#: records of the files mapped onto it name as their ``palette_in``.
SHARED_PALETTE_NAME = "shared-palette.json"
#: File in the output folder holding the classes of a ``--shared-classes`` segment run,
#: which the records of the files assigned to them name as their ``classes_in``.
SHARED_CLASSES_NAME = "shared-classes.json"

#: Options that decide whether a file is processed or its output kept, not what it holds
#: (dropped from settings read back too: earlier versions recorded skip_if_larger;
#: ``max_frames``, added later, is never recorded, so a folder made before it reruns).
#: ``copy_if_larger`` decides what is written for a result not kept; the record of an
#: output so written says it (``input_copied``), and a rerun without it keeps that output.
_NOT_SHAPING = frozenset({"force", "max_pixels", "max_frames", "skip_if_larger",
                          "copy_if_larger"})
#: Options added since outputs were first recorded, each with the value it takes when not
#: given, at which it is left out of the settings: those of outputs made before it was
#: added lack it, and a rerun must find them made alike. Reduce's ``quality_limit``
#: (recorded as None since it was added, so a folder made before was refused) and
#: ``palette_fitted`` (the jobs of a shared palette are given it by the batch; the
#: settings hold ``shared_palette``), ``max_bytes`` (among the file job's checked
#: options, None, before batch took it), ``matte``, ``strip``, ``keep_gps`` and ``masks``
#: (among the file job's checked options, None: batch writes no masks); segment's
#: ``superpixels`` (None: about 600, as before it was added), ``smooth`` (None: the
#: speck size of 1/30 of the longer side, as before it was added), ``working_size``
#: (None: a working copy of at most 1024 pixels a side, as before it was added),
#: ``classes`` (False: no classes.png, as before it was added), ``classes_in`` (None: each
#: image fits its own k-means, as before it was added; the jobs of shared classes are
#: given it by the batch) and the setting ``shared_classes`` (False: no shared classes,
#: as before it was added; :func:`output_settings` writes it only when True); of both,
#: ``nodata`` ("tag": a TIFF's GDAL_NODATA tag read, which earlier versions left out; a
#: folder of tiles that have none is made alike), ``intent`` ("relative-bpc": an ICC
#: profile converted by relative colorimetric with black-point compensation, where earlier
#: versions converted by perceptual; a folder of files without a profile, or with a
#: matrix RGB one, as Adobe RGB's, which every intent converts alike, is made alike),
#: reduce's ``fixed_colors`` (None: no fixed palette entry, as before it was added) and
#: segment's ``stretch_clip`` (0: a stretch from the darkest to the brightest value, or
#: none, as before it was added) and ``stretch_curve`` ("linear", with no
#: ``stretch_softening``: the stretch of before curves were added), reduce's ``nearest``
#: (False: an animation's pixels may take a neighbour's or the previous frame's entry, as
#: before it was added) and
#: ``transparent_color`` (None: the entry of transparent pixels black, as before it was added),
#: and ``stretch_range`` (None: no fixed range, as before it was added).
_LEFT_OUT_UNLESS_GIVEN: dict[str, Any] = {"quality_limit": None, "palette_fitted": False,
                                          "max_bytes": None, "matte": None, "strip": False,
                                          "keep_gps": False, "superpixels": None,
                                          "smooth": None, "working_size": None,
                                          "masks": None, "classes": False, "nodata": "tag",
                                          "intent": "relative-bpc",
                                          "classes_in": None, "shared_classes": False,
                                          "fixed_colors": None, "stretch_clip": 0.0,
                                          "stretch_curve": "linear",
                                          "stretch_softening": None, "stretch_range": None,
                                          "nearest": False, "transparent_color": None}
#: Options that shape animations only (the palette of each frame, how pixels are mapped onto
#: one): a still is made alike.
_ANIMATION_ONLY = frozenset({"palette", "nearest"})
#: Options that name the outputs, their extension picking the format (reduce's ``ext``):
#: an output found under the name a run gives it is in the format that name says, alike.
_NAMING_ONLY = frozenset({"ext"})
#: Options that name a file whose contents shape the outputs (the settings hold a digest too).
_READ_FILES = frozenset({"palette_in", "classes_in"})
_VERSION = 1
#: The key of a record's palette packed in columns in a manifest line (:func:`_record_written`);
#: read back, it is the record's ``palette`` again (lines of earlier versions hold that list).
_PACKED_PALETTE = "palette_packed"
#: The manifest's name for the state of the last run with ``force`` that did not finish
#: (hidden, as no output's name is: see :func:`read_forced_run`): of reduce mode (and of
#: either mode, as versions before the modes kept it apart wrote it), or followed by
#: another mode's name (:func:`_forced_key`).
_FORCED_KEY = ".forced-run"


@dataclass(frozen=True)
class Entry:
    """One finished output: the ``settings`` that shaped it, the job's ``record``, the
    ``input`` stamp of the file it was made from (None: recorded by a version that
    kept none, or not made from one input, as the shared palette), and that file's
    ``source``, its path relative to the output folder (:func:`source_key`; None:
    recorded by a version that kept none, or not made from one input). ``unclaimed``:
    a run found that file not among its inputs (deleted, renamed, not selected) and left
    the output in place; false again once a run has that file among its inputs.
    ``pending``: not a finished output but one a run was about to make
    (:func:`record_pending`), with the ``settings`` and ``source`` of that run, an
    empty ``record`` and no ``input`` stamp; a file there is that run's, unrecorded.
    ``run``: the id of the run with ``force`` that made it (:func:`record_forced_run`),
    None for a run without."""

    settings: Mapping[str, Any]
    record: Mapping[str, Any]
    input: Mapping[str, Any] | None = None
    source: str | None = None
    unclaimed: bool = False
    pending: bool = False
    run: str | None = None


@dataclass(frozen=True)
class ForcedRun:
    """A run with ``force`` that started its jobs and did not finish (stopped or killed):
    its ``run`` id, which the outputs it made are recorded with (:attr:`Entry.run`), and
    the ``settings`` it made them with."""

    run: str
    settings: Mapping[str, Any]


@dataclass(frozen=True)
class Manifest:
    """The manifest of an output folder as one reading of it found it (:func:`load_manifest`),
    for the steps of a run to share rather than each reading the file again.

    ``entries``: the latest entry of every output, of the outputs a run was about to make
    and did not record too (:attr:`Entry.pending`; :func:`read_manifest` with
    ``pending``); ``forced``: the run with ``force`` that started its jobs and has not
    finished, or None (:func:`read_forced_run`). ``kept``: the latest line of each
    output (and of the forced run), in the order they were written, for
    :func:`compact_manifest` to write, when the file holds lines to drop (superseded, of a
    removed output, or unreadable); None when it holds none, as after a rewrite, so that
    a rerun's reading does not hold every line twice; ``n_lines``: the lines the file
    held; ``stamp``: the file's device,
    inode, size and modification time as read (``()``: no file; None: it changed while
    it was read), by which a later step tells whether the file is still as read.
    ``n_unread``: the lines, not blank, that could not be read as an entry (torn, junk,
    or written by another version): the outputs they recorded are of no record, which a
    caller should say (:class:`ManifestUnreadableWarning`). ``unreadable``: there are
    such lines and none could be read, so that every output in the folder is of no record.
    """

    entries: Mapping[str, Entry] = field(default_factory=dict)
    forced: ForcedRun | None = None
    kept: tuple[str, ...] | None = None
    n_lines: int = 0
    stamp: tuple[int, ...] | None = ()
    unreadable: bool = False
    n_unread: int = 0

    def finished(self) -> dict[str, Entry]:
        """The entries of finished outputs (those not :attr:`Entry.pending`)."""
        return {output: entry for output, entry in self.entries.items() if not entry.pending}


class ManifestUnreadableWarning(QuantizeWarning):
    """``n_unread`` lines of the manifest at ``path`` could not be read as entries
    (:attr:`Manifest.n_unread`; ``readable``: others could, else none could): the outputs
    they recorded are taken as of no record (skipped when found, with no metrics; not known
    to be the batch's). ``copy``: where the file was kept as it was (:func:`damaged_copy`)
    before it was rewritten without them; None when it could not be (``why``) and was left
    as it is. ``reason`` is the message without the path.

    >>> str(ManifestUnreadableWarning("out/.quantize-batch.jsonl"))[:48]
    'out/.quantize-batch.jsonl: no line could be read'
    >>> ManifestUnreadableWarning("out/.quantize-batch.jsonl", 2, True).reason[:38]
    '2 lines could not be read as a record '
    """

    def __init__(self, path: str | os.PathLike[str], n_unread: int = 1, readable: bool = False,
                 copy: str | os.PathLike[str] | None = None, why: str | None = None):
        self.path, self.n_unread, self.readable = Path(path), n_unread, readable
        self.copy, self.why = None if copy is None else Path(copy), why
        self.reason = f"{_unread_lines(n_unread, readable)}; " + (
            f"the file as it was is kept as {self.copy}" if self.copy is not None else
            f"it is left as it is, as it could not be copied aside: {why}")
        super().__init__(f"{self.path}: {self.reason}")

    def __reduce__(self):
        return (type(self), (self.path, self.n_unread, self.readable, self.copy, self.why))


def _unread_lines(n_unread: int, readable: bool) -> str:
    """What :class:`ManifestUnreadableWarning` says of the lines that could not be read."""
    if not readable:
        return ("no line could be read as a record; its outputs are treated as of no record "
                "(force=True makes them again)")
    lines, outputs, them = (("1 line", "the output it recorded is", "it") if n_unread == 1
                            else (f"{n_unread} lines", "the outputs they recorded are", "them"))
    return (f"{lines} could not be read as a record (cut short, or written by another "
            f"version); {outputs} treated as of no record (force=True makes {them} again)")


class OptionsChangedError(OutputExistsError):
    """Outputs in the folder were made with other settings than this run's.

    Attributes
    ----------
    count : int
        How many outputs (files of this plan, or the shared palette) differ.
    before, now : dict
        The settings that differ, as the first such output was made and as this
        run asks for them (the same keys in both).
    unfinished : bool
        A run with ``force`` and the settings this run asks for stopped before it
        redid them (:func:`read_forced_run`): ``force=True`` finishes it, keeping the
        outputs it made.
    """

    kind: FailureKind = "options_changed"

    def __init__(self, output_dir: str | os.PathLike[str], count: int,
                 before: Mapping[str, Any], now: Mapping[str, Any], unfinished: bool = False):
        self.count, self.before, self.now = count, dict(before), dict(now)
        self.unfinished = unfinished
        outputs = "output was" if count == 1 else "outputs were"
        super().__init__(f"{count} {outputs} made with {describe_settings(before)}, while this "
                         f"run asks for {describe_settings(now)}; {options_changed_fix(self)}",
                         path=output_dir)

    @property
    def renamed(self) -> bool:
        """Whether this run names the outputs otherwise (another ``ext``): redone with
        ``force``, each earlier output is removed once its new one is made."""
        return "ext" in self.now

    def __reduce__(self):
        return (type(self), (self.path, self.count, self.before, self.now, self.unfinished))


class FixWords(NamedTuple):
    """How :func:`options_changed_fix` names the option that redoes outputs (``force``, and
    ``give_force``, the words that ask for it), the settings and the output folder: in
    Python (:data:`PYTHON_FIX_WORDS`), or in a command's own words."""

    force: str
    give_force: str
    settings: str
    folder: str


#: The words of an :class:`OptionsChangedError`'s own message, for a caller in Python.
PYTHON_FIX_WORDS = FixWords("force=True", "pass force=True", "settings", "output_dir")


def options_changed_fix(error: OptionsChangedError, words: FixWords = PYTHON_FIX_WORDS) -> str:
    """The way out of ``error``, in ``words``: to redo the outputs with ``force`` (under
    their new names, which removes the earlier outputs, when
    :attr:`~OptionsChangedError.renamed`; to finish the run with ``force`` that stopped,
    when ``error.unfinished``), or to choose another output folder (to
    keep both sets, when renamed).

    >>> error = OptionsChangedError("out", 2, {"ext": ".png"}, {"ext": ".gif"})
    >>> print(options_changed_fix(error))
    pass force=True to redo them under their new names, which removes the earlier outputs, \
or choose another output_dir to keep both sets
    """
    one = error.count == 1
    them = "it" if one else "them"
    if error.unfinished:
        fix = (f"a run with {words.force} and these {words.settings} stopped before it redid "
               f"{them}: {words.give_force} to finish it (the outputs it made are not redone)")
    elif error.renamed:
        fix = (f"{words.give_force} to redo "
               + ("it under its new name, which removes the earlier output" if one else
                  "them under their new names, which removes the earlier outputs"))
    else:
        fix = f"{words.give_force} to redo {them}"
    return f"{fix}, or choose another {words.folder}" + (
        " to keep both sets" if error.renamed else "")


def output_settings(options: Mapping[str, Any], *,
                    shared_palette: bool = False, shared_classes: bool = False
                    ) -> dict[str, Any]:
    """The settings that shape a job's outputs, as JSON values.

    That is every checked job option but ``force``, ``max_pixels`` and
    ``skip_if_larger`` (which only decide whether a file is processed or its
    output kept), and whether the outputs map onto
    one palette shared by the batch, and, only when they do, onto shared classes
    (``shared_classes``: segment mode). Paths become absolute strings, so one file
    named two ways compares equal. A palette file read by the job
    (``palette_in``) also adds ``palette_in_digest``, the first 16 hex digits
    of the SHA-256 of its bytes (None when it cannot be read), so that editing
    the file counts as a change. An option given as the value it takes when left
    out is recorded as left out, and so is the seed where no k-means runs
    (:func:`_as_checked`).

    >>> output_settings({"n_colors": 8, "space": "rgb", "force": False, "max_pixels": 9})
    {'n_colors': 8, 'shared_palette': False, 'space': 'rgb'}
    """
    shaping = _as_checked(options)
    shaping["shared_palette"] = bool(shared_palette)
    if shared_classes:  # left out otherwise, as earlier versions' settings lack it
        shaping["shared_classes"] = True
    for key in _READ_FILES & shaping.keys():
        if shaping[key] is not None:
            shaping[f"{key}_digest"] = _file_digest(shaping[key])
    return _as_json(dict(sorted(shaping.items())))


class _Missing(enum.Enum):
    """The type of :data:`MISSING`."""

    MISSING = "missing"

    def __repr__(self) -> str:
        return "missing"


#: How :func:`changed_settings` gives a setting one side lacks where the other holds it
#: as None, and :func:`describe_settings` says it: "missing".
MISSING = _Missing.MISSING


def changed_settings(before: Mapping[str, Any],
                     now: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The entries that differ between two settings, from each side (None when absent;
    :data:`MISSING` when absent where the other side holds None).

    >>> changed_settings({"n_colors": 8, "seed": 0}, {"n_colors": 16, "seed": 0})
    ({'n_colors': 8}, {'n_colors': 16})
    >>> changed_settings({"n_colors": 8, "seed": None}, {"n_colors": 8})
    ({'seed': None}, {'seed': missing})
    """
    keys = sorted(k for k in before.keys() | now.keys()
                  if k not in before or k not in now or before[k] != now[k])

    def side(settings: Mapping[str, Any], other: Mapping[str, Any], key: str) -> Any:
        return MISSING if key not in settings and other[key] is None else settings.get(key)

    return ({k: side(before, now, k) for k in keys}, {k: side(now, before, k) for k in keys})


def describe_settings(settings: Mapping[str, Any]) -> str:
    """``name=value`` pairs, comma-separated; ``name missing`` for a :data:`MISSING` one.

    >>> describe_settings({"n_colors": 8, "space": "lab"})
    "n_colors=8, space='lab'"
    >>> describe_settings({"quality_limit": MISSING})
    'quality_limit missing'
    """
    return ", ".join(f"{k} missing" if v is MISSING else f"{k}={v!r}"
                     for k, v in settings.items())


def manifest_key(output_dir: str | os.PathLike[str], output: str | os.PathLike[str]) -> str:
    """How ``output`` is named in the manifest: its path relative to ``output_dir``.

    >>> manifest_key("out", "out/sub/a.png")
    'sub/a.png'
    """
    return Path(output).relative_to(output_dir).as_posix()


def source_key(output_dir: str | os.PathLike[str], input: str | os.PathLike[str]) -> str:
    """How the manifest names the input an output was made from: its path relative to
    ``output_dir`` (absolute where there is none, as across Windows drives), links not
    followed, so that it stays true when both folders move together.

    >>> source_key("out", "photos/a.jpg")
    '../photos/a.jpg'
    """
    here, folder = absolute_path(input), absolute_path(output_dir)
    try:
        return Path(os.path.relpath(here, folder)).as_posix()
    except ValueError:
        return Path(here).as_posix()


def source_of(entry: Entry, output_dir: str | os.PathLike[str]) -> str | None:
    """The :func:`source_key` of the input ``entry``'s output was made from, or None.

    The entry's ``source``; for an entry recorded by a version that kept none, the
    path its job's record gives the input, as the run that made it named it, taken
    from the current folder: the same command run from the same folder finds it,
    another may not (and the output is then taken for no input's). None for an
    output made from no one input (the shared palette).
    """
    if entry.source is not None:
        return entry.source
    given = entry.record.get("input")
    return source_key(output_dir, given) if isinstance(given, str) and given else None


#: How the mark a job leaves beside the file it finished is named after it (:func:`written_mark`).
_MARK_SUFFIX = ".quantize-written"


def written_mark(path: str | os.PathLike[str]) -> Path:
    """The mark beside ``path`` that says a job finished the file there (:func:`mark_written`):
    hidden, so that no batch lists it as an input.

    >>> written_mark("out/a.png").as_posix()
    'out/.a.png.quantize-written'
    """
    p = Path(path)
    return p.parent / f".{p.name}{_MARK_SUFFIX}"


def mark_written(path: str | os.PathLike[str]) -> None:
    """Leave beside ``path``, a file a job has just finished, its size and modification time
    (:func:`written_mark`), for as long as its entry is not recorded: a run killed before it
    recorded the output leaves a pending entry, which then claims only the file this mark
    describes (:func:`marked_written`), never one put under that name since.

    Raises
    ------
    OSError
        If the file cannot be looked at or the mark written.
    """
    st = os.stat(path)
    text = json.dumps({"size": st.st_size, "mtime_ns": st.st_mtime_ns})
    atomic_write(written_mark(path), lambda tmp: tmp.write_text(text, encoding="utf-8"),
                 through_links=False)  # the batch's own file: never written elsewhere


def marked_written(path: str | os.PathLike[str]) -> bool:
    """Whether the file at ``path`` is the one a job finished there: its mark
    (:func:`mark_written`) gives its size and modification time. False with no mark, or
    another file there.

    >>> marked_written("no-such-file.png")
    False
    """
    try:
        mark = json.loads(written_mark(path).read_text(encoding="utf-8"))
        st = os.stat(path)
    except (OSError, ValueError):
        return False
    return (isinstance(mark, dict) and mark.get("size") == st.st_size
            and mark.get("mtime_ns") == st.st_mtime_ns)


def remove_mark(path: str | os.PathLike[str]) -> None:
    """Remove the mark of ``path`` (:func:`mark_written`), if there is one: its entry is
    recorded, or the file is gone, or not the batch's. A mark that cannot be removed is
    left, as it claims only the file it describes."""
    with contextlib.suppress(OSError):
        written_mark(path).unlink()


def read_manifest(output_dir: str | os.PathLike[str], *,
                  pending: bool = False) -> dict[str, Entry]:
    """The latest entry of every output recorded in ``output_dir`` (empty when none): of
    every finished output, and with ``pending``, also of every output a run was about to
    make and did not record (:attr:`Entry.pending`).

    Lines that are not well-formed entries (torn by a crash, or from another
    version) are ignored.

    Raises
    ------
    OSError
        If the manifest exists but cannot be read.
    """
    found = load_manifest(output_dir)
    return dict(found.entries) if pending else found.finished()


def read_forced_run(output_dir: str | os.PathLike[str], mode: str = "reduce"
                    ) -> ForcedRun | None:
    """The run with ``force`` in ``mode`` (a batch mode's name) into ``output_dir`` that
    started its jobs and has not finished (:func:`record_forced_run`), or None.

    Raises
    ------
    OSError
        If the manifest exists but cannot be read.
    """
    return load_manifest(output_dir, mode).forced


def load_manifest(output_dir: str | os.PathLike[str], mode: str = "reduce") -> Manifest:
    """The manifest of ``output_dir``, read once (an empty one when there is none): what
    :func:`read_manifest` and :func:`read_forced_run` (of ``mode``, a batch mode's name)
    give, and what :func:`compact_manifest` keeps.

    The manifest is the batch's own file, kept in the output folder: a symbolic link at
    its name is refused, never followed, as a run would add its lines to the file the link
    leads to and its rewrite (:func:`compact_manifest`) replace the link, leaving the
    record in two places.

    Raises
    ------
    OwnFileError
        An OutputError: the manifest is a symbolic link (to a file or to nothing), or a
        pipe, device or socket, naming it, what it is and what to do (exit 2).
    OutputError
        An OSError: the manifest exists but cannot be read (a folder of that name),
        naming it and how to go on.
    """
    path = Path(output_dir) / MANIFEST_NAME
    _refuse_not_its_file(path)
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            before = _file_stamp(os.fstat(f.fileno()))
            lines = f.read().splitlines()
            after = _file_stamp(os.fstat(f.fileno()))
    except FileNotFoundError:
        return Manifest()
    except OSError as exc:
        raise _unread_error(path, exc.strerror or str(exc)) from None
    with _collector_paused():
        latest, n_read = _latest_lines(lines)
    n_unread = sum(1 for line in lines if line.strip()) - n_read
    kept = (tuple(line for _, line in latest.values()) if len(latest) != len(lines)
            else None)  # (every line is an output's latest: none to drop)
    forced = latest.pop(_forced_key(mode), None)
    for key in [key for key in latest if _is_forced_key(key)]:  # another mode's
        del latest[key]
    return Manifest({output: entry for output, (entry, _) in latest.items()},
                    None if forced is None or forced[0].run is None
                    else ForcedRun(forced[0].run, forced[0].settings),
                    kept, len(lines), before if before == after else None,
                    unreadable=not n_read and n_unread > 0, n_unread=n_unread)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for the ``with`` block, if it runs: while a
    manifest's lines are parsed, which makes many containers and no cycle. Its passes over
    every object of the process, run as they pile up, made the read of 16,000 entries
    take 28 µs an entry against 22 µs for 1,000. Left as it was after."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _refuse_not_its_file(path: Path) -> None:
    """Refuse a symbolic link, or a pipe, device or socket, at the manifest's name ``path``
    (:func:`load_manifest`): a link would be followed, and opening a pipe waits for a
    writer, or a reader, forever. Nothing there, a file or a folder (which cannot be read,
    and is said so) pass.

    Raises
    ------
    OwnFileError
        Naming ``path``, what it is (where a link leads) and what to do.
    """
    try:
        st = os.lstat(path)
    except OSError:
        return
    if stat.S_ISLNK(st.st_mode):
        raise OwnFileError(f"is a symbolic link (to {quoted(os.readlink(path))}); quantize "
                           "keeps its record of finished outputs there itself: put the file "
                           "it leads to in its place, or remove the link to start a new "
                           "record; no file was processed", path=path)
    if not stat.S_ISREG(st.st_mode) and not stat.S_ISDIR(st.st_mode):
        raise OwnFileError("is a pipe, device or socket; quantize keeps its record of "
                           "finished outputs there itself: remove it to start a new record; "
                           "no file was processed", path=path)


def _no_link(name: str, flags: int) -> int:
    """``os.open`` of the manifest ``name`` without following a link at its name (an opener
    for ``open``): one made during a run is refused, not written through."""
    return os.open(name, flags | getattr(os, "O_NOFOLLOW", 0), 0o666)


def _unread_error(path: Path, why: str) -> OutputError:
    """The error of a manifest at ``path`` that cannot be read (``why``), before any file
    is processed: the run would take every output for one of no record."""
    return OutputError(f"cannot read the record of finished outputs ({why}); expected a "
                       "file: restore it, or move it away to start a new record (its outputs "
                       "are then of no record); no file was processed", path=path)


def _file_stamp(st: os.stat_result) -> tuple[int, ...]:
    """What tells a manifest file from the same file changed: device, inode, size, mtime."""
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def _still_as_read(path: Path, found: Manifest) -> bool:
    """Whether the manifest at ``path`` is as ``found`` read it (no file then, none now)."""
    try:
        now = _file_stamp(os.stat(path))
    except FileNotFoundError:
        now = ()
    return found.stamp is not None and now == found.stamp


def new_run_id() -> str:
    """A new id for a run with ``force`` (:attr:`Entry.run`): 16 random hex digits.

    >>> len(new_run_id())
    16
    """
    import secrets

    return secrets.token_hex(8)


def record_forced_run(output_dir: str | os.PathLike[str], settings: Mapping[str, Any],
                      run: str, mode: str = "reduce") -> None:
    """Append to the manifest of ``output_dir`` that the run ``run`` with ``force`` is
    making its outputs with ``settings`` in ``mode`` (a batch mode's name): it replaces
    any earlier such line of that mode, and holds until :func:`record_forced_done`.

    Raises
    ------
    OutputError
        If the manifest cannot be written.
    """
    _append(output_dir, {"version": _VERSION, "output": _forced_key(mode), "run": run,
                         "settings": dict(settings)})


def record_forced_done(output_dir: str | os.PathLike[str], mode: str = "reduce") -> None:
    """Append to the manifest of ``output_dir`` that no run with ``force`` in ``mode`` (a
    batch mode's name) is unfinished there (nothing when none is recorded so).

    Raises
    ------
    OutputError
        If the manifest cannot be written.
    """
    if read_forced_run(output_dir, mode) is not None:
        _append(output_dir, {"version": _VERSION, "output": _forced_key(mode),
                             "removed": True})


def _forced_key(mode: str) -> str:
    """The manifest's name for the unfinished run with force of ``mode`` (:data:`_FORCED_KEY`).

    >>> _forced_key("reduce"), _forced_key("segment")
    ('.forced-run', '.forced-run-segment')
    """
    return _FORCED_KEY if mode == "reduce" else f"{_FORCED_KEY}-{mode}"


def _is_forced_key(key: str) -> bool:
    """Whether a manifest ``key`` names the unfinished run with force of some mode."""
    return key == _FORCED_KEY or key.startswith(f"{_FORCED_KEY}-")


def compact_manifest(output_dir: str | os.PathLike[str],
                     found: Manifest | None = None) -> Path | None:
    """Rewrite the manifest of ``output_dir`` with only the latest entry of each output;
    return where the file was kept as it was (:func:`damaged_copy`), if it was.

    Does nothing when there is no manifest or no line to drop (superseded, of a
    removed output or saying it was removed, or that cannot be read). A line that cannot
    be read (torn, junk, or written by another version: :attr:`Manifest.n_unread`) is
    dropped only once the whole file is kept beside it as it was. The
    new file replaces the old one by a rename, so a crash leaves one or the
    other whole. ``found``: the manifest as read before (:func:`load_manifest`), used
    when the file is still as it was read, else read again.

    Raises
    ------
    OSError
        If the manifest cannot be read, kept as it was, or rewritten; it is then left
        as it is.
    """
    path = Path(output_dir) / MANIFEST_NAME
    if found is None or not _still_as_read(path, found):
        found = load_manifest(output_dir)
    if found.kept is None:
        return None
    copy = damaged_copy(path) if found.n_unread else None
    text = "".join(line + "\n" for line in found.kept)
    atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"),
                 through_links=False)  # the batch's own file: never written elsewhere
    return copy


def damaged_copy(path: str | os.PathLike[str]) -> Path:
    """Copy the manifest at ``path`` as it is to a new file beside it, and return that
    file: named as it is with :data:`DAMAGED_SUFFIX` after it, and then ``-2``, ``-3``, ...
    while that name is taken, so that no earlier copy is replaced.

    Raises
    ------
    OSError
        If the manifest cannot be read or the copy written (nothing is left half-written).
    """
    source = Path(path)
    data = source.read_bytes()
    n = 1
    while True:
        copy = source.with_name(source.name + DAMAGED_SUFFIX + ("" if n == 1 else f"-{n}"))
        if not os.path.lexists(copy):
            with contextlib.suppress(OutputExistsError):  # made since: the next name
                write_together([(copy, data)], replace=False, through_links=False)
                return copy
        n += 1


def record_output(output_dir: str | os.PathLike[str], output: str | os.PathLike[str],
                  settings: Mapping[str, Any], record: Mapping[str, Any],
                  input: Mapping[str, Any] | None = None, source: str | None = None,
                  unclaimed: bool = False, run: str | None = None) -> None:
    """Append the entry of one finished ``output`` to the manifest of ``output_dir``.

    ``settings`` come from :func:`output_settings`; ``record`` is the job's
    JSON-able record (values JSON cannot hold are written as strings);
    ``input`` the :func:`input_stamp` of the file the output was made from,
    taken before the job read it, and ``source`` that file's :func:`source_key`;
    ``unclaimed`` as :attr:`Entry.unclaimed`; ``run`` as :attr:`Entry.run`.

    Raises
    ------
    OutputError
        If the manifest cannot be written (a full disk, say), naming it and the output.
    """
    _append(output_dir, _output_item(output_dir, output, Entry(settings, record, input, source,
                                                               unclaimed, run=run)))


def record_entries(output_dir: str | os.PathLike[str],
                   entries: Sequence[tuple[str | os.PathLike[str], Entry]]) -> None:
    """Append each of ``entries``, an output and its entry, to the manifest of ``output_dir``
    in one write, in their order: a pending one as :func:`record_pending` records it, any
    other as :func:`record_output` does. A rerun over inputs copied anew (new times, the
    same bytes) records every one of them again: one write each, 16,000 took 0.9 s.

    Raises
    ------
    OutputError
        If the manifest cannot be written, naming it and the first output.
    """
    _append(output_dir, *(_pending_item(output_dir, output, entry.source, entry.settings,
                                        entry.unclaimed) if entry.pending
                          else _output_item(output_dir, output, entry)
                          for output, entry in entries))


def _output_item(output_dir: str | os.PathLike[str], output: str | os.PathLike[str],
                 entry: Entry) -> dict[str, Any]:
    """The manifest line of the finished ``output`` recorded as ``entry``."""
    item = {"version": _VERSION, "output": manifest_key(output_dir, output),
            "settings": dict(entry.settings), "record": _record_written(entry.record)}
    if entry.input is not None:
        item["input"] = dict(entry.input)
    if entry.source is not None:
        item["source"] = entry.source
    if entry.unclaimed:
        item["unclaimed"] = True
    if entry.run is not None:
        item["run"] = entry.run
    return item


def _pending_item(output_dir: str | os.PathLike[str], output: str | os.PathLike[str],
                  source: str | None, settings: Mapping[str, Any],
                  unclaimed: bool = False) -> dict[str, Any]:
    """The manifest line of ``output``, about to be made from ``source`` with ``settings``."""
    flag = {"unclaimed": True} if unclaimed else {}
    return {"version": _VERSION, "output": manifest_key(output_dir, output), "pending": True,
            "settings": dict(settings), "source": source, **flag}


def record_pending(output_dir: str | os.PathLike[str],
                   outputs: Sequence[tuple[str | os.PathLike[str], str]],
                   settings: Mapping[str, Any], unclaimed: bool = False) -> None:
    """Append to the manifest of ``output_dir`` that each of ``outputs`` (with the
    :func:`source_key` of its input) is about to be made with ``settings``: a pending
    entry (:attr:`Entry.pending`), replaced by the entry :func:`record_output` adds once
    it is done. Written before the jobs start, none of those outputs being there, so that
    a file found under such a name is known to be a batch's. One write for all.
    ``unclaimed``: as :attr:`Entry.unclaimed`, for a pending output a later run no
    longer plans, recorded again so.

    Raises
    ------
    OutputError
        If the manifest cannot be written, naming it and the first output.
    """
    _append(output_dir, *(_pending_item(output_dir, output, source, settings, unclaimed)
                          for output, source in outputs))


def record_removed(output_dir: str | os.PathLike[str],
                   *outputs: str | os.PathLike[str]) -> None:
    """Append to the manifest of ``output_dir`` that each of ``outputs`` was removed (or,
    pending, was not made): its entry is gone for :func:`read_manifest` (and from the file
    at the next :func:`compact_manifest`). One write for all.

    Raises
    ------
    OutputError
        If the manifest cannot be written, naming it and the first output.
    """
    _append(output_dir, *({"version": _VERSION, "output": manifest_key(output_dir, output),
                           "removed": True} for output in outputs))


def _append(output_dir: str | os.PathLike[str], *items: Mapping[str, Any]) -> None:
    """Append each of ``items`` as one line to the manifest of ``output_dir`` (see
    record_output), in one write. A write the system refuses part-way (a full disk) leaves
    the file as it was (:func:`_append_whole`)."""
    if not items:
        return
    item = items[0]
    text = "".join(json.dumps(_named_portably(each)) + "\n" for each in items)
    # ASCII JSON: file names that are not valid UTF-8 (surrogate escapes) stay as escapes.
    path = Path(output_dir) / MANIFEST_NAME
    try:
        _append_whole(path, text.encode("utf-8"))
    except OSError as exc:  # the system's own message named neither file
        raise OutputError(f"cannot add {quoted(item['output'])} to the record of finished outputs "
                          f"({exc.strerror or exc})", path=path,
                          os_errno=exc.errno) from None


def _append_whole(path: Path, data: bytes) -> None:
    """Append ``data`` to the file at ``path`` (made if missing, a link at its name refused),
    on a fresh line, even after a line torn by a crash; an error part-way (a full disk
    taking half a line, an interrupt) cuts the file back to its length before, so that no
    line is left cut short, which the next run would warn of and keep a damaged copy of.
    Unbuffered: each byte the system takes is written by the write that took it, and none
    is left for a later flush to append after the cut.

    Raises
    ------
    OSError
        If the file cannot be opened, or ``data`` written (the file is then as it was).
    """
    with open(path, "a+b", buffering=0, opener=_no_link) as f:
        end = f.seek(0, os.SEEK_END)
        if end:
            f.seek(-1, os.SEEK_END)
            if f.read(1) != b"\n":
                data = b"\n" + data
        try:
            view = memoryview(data)
            while view:  # a write may take part of the bytes: the rest go next
                taken = f.write(view)
                if not taken:  # (never of a file: a write that cannot take any raises)
                    raise OSError(errno.EIO, "the file took none of the bytes written")
                view = view[taken:]
        except BaseException:
            with contextlib.suppress(OSError):
                os.ftruncate(f.fileno(), end)
            raise


# The fields of a manifest line that name a file, and are compared with the names of files.
_NAME_FIELDS = ("output", "source")


def _named_portably(item: Mapping[str, Any]) -> Mapping[str, Any]:
    """``item`` (a manifest line) with the names it holds as :func:`_portable_name` writes
    them."""
    return {**item, **{key: _portable_name(item[key]) for key in _NAME_FIELDS
                       if isinstance(item.get(key), str)}}


def _named_locally(item: Any) -> Any:
    """``item`` (a manifest line as JSON reads it) with the names it holds as this process
    reads the names of files (:func:`_local_name`)."""
    if not isinstance(item, dict):
        return item
    return {**item, **{key: _local_name(item[key]) for key in _NAME_FIELDS
                       if isinstance(item.get(key), str)}}


def _portable_name(name: str) -> str:
    """``name`` as its bytes on the system read as UTF-8 (a byte that is not UTF-8 as a
    surrogate escape), whatever the locale; in a UTF-8 locale, ``name`` itself.

    Python reads a name's bytes in the locale's encoding: ``caf\xc3\xa9`` is "caf\u00e9"
    in a UTF-8 locale, two surrogate escapes in an ASCII one (``PYTHONUTF8=0 LC_ALL=C``),
    "caf\u00c3\u00a9" in a Latin-1 one. A manifest written under one and read under another
    named none of the outputs a run planned: each was skipped as having "no record of the
    run that made it", also when the settings had changed, and listed as an orphan.
    As it is when it holds a character no name decodes to.
    """
    try:
        return os.fsencode(name).decode("utf-8", "surrogateescape")
    except UnicodeError:
        return name


def _local_name(name: str) -> str:
    """A name :func:`_portable_name` wrote, as this process reads the same bytes."""
    try:
        return os.fsdecode(name.encode("utf-8", "surrogateescape"))
    except UnicodeError:
        return name


def check_appendable(output_dir: str | os.PathLike[str]) -> None:
    """Refuse, before a run starts, a manifest in ``output_dir`` that cannot be added to,
    or an output folder that cannot be written.

    Otherwise the run would write its first output and stop there, unrecorded; or, in a
    folder that cannot be written, every file would fail alike, each with its own line,
    also when the manifest there, a file that can be written, can be added to. No
    manifest is fine, in a folder that can be written: the first finished output makes it.

    Raises
    ------
    OwnFileError
        If the manifest is a symbolic link, or a pipe, device or socket
        (:func:`load_manifest`).
    OutputError
        Naming the output folder when it cannot be written, or the manifest and why it
        cannot be opened.
    """
    folder = Path(output_dir)
    if folder.is_dir() and not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError("output folder is not writable; no file was processed",
                          path=folder)
    path = folder / MANIFEST_NAME
    if not os.path.lexists(path):
        return
    _refuse_not_its_file(path)
    try:
        with open(path, "ab", opener=_no_link):
            pass
    except OSError as exc:
        raise OutputError(f"cannot add to the record of finished outputs "
                          f"({exc.strerror or exc}); no file was processed", path=path,
                          os_errno=exc.errno) from None


def made_alike(entry: Entry, settings: Mapping[str, Any], same_name: bool = False) -> bool:
    """Whether ``entry``'s output is as a run with ``settings`` makes it: the same settings,
    but for those that shape animations only when it is a still image (its record says one
    frame) and the run names it as it was named (``same_name``; an animation written as a
    still WebP, its frames all alike, is named anew by ``--palette per-frame``):
    ``--palette per-frame`` or ``global`` makes the same still; and but for those that only
    name the output (``ext``), when the run names it as it was named: its extension, and so
    its format, is the same (``--ext .png`` or none makes the same ``a.png`` of a still).

    >>> made_alike(Entry({"palette": "global"}, {"frames": 1}), {"palette": "per-frame"}, True)
    True
    >>> made_alike(Entry({}, {"frames": 1}), {"ext": ".png"}, True)
    True
    >>> made_alike(Entry({"palette": "global"}, {"frames": 3}), {"palette": "per-frame"}, True)
    False
    """
    before, now = _as_bearing(entry, settings, same_name)
    return before == now


def _as_bearing(entry: Entry, settings: Mapping[str, Any], same_name: bool
                ) -> tuple[dict[str, Any], dict[str, Any]]:
    """``entry``'s settings and ``settings``, each without the settings that do not bear on
    its output (:func:`made_alike`; of one found under the name this run gives it
    (``same_name``), those that only name it), nor the seed where its record shows that no k-means
    ran (:func:`_kept_every_colour`), nor ``n_colors`` when, besides, both ask for at least
    the colours the image has: it keeps them all either way; nor ``quality_limit`` unless
    its record says that ``quality`` was missed (``quality_met`` false): a limit changes
    nothing where ``quality`` is reached, and a record without it is of an output that
    reached it (one that did not was no output)."""
    before, now = dict(entry.settings), dict(settings)
    if entry.record.get("quality_met") is not False:
        before.pop("quality_limit", None)
        now.pop("quality_limit", None)
    for key in _NAMING_ONLY if same_name else ():
        before.pop(key, None)
        now.pop(key, None)
    if same_name and entry.record.get("frames") == 1:
        for key in _ANIMATION_ONLY:
            before.pop(key, None)
            now.pop(key, None)
    if (_kept_every_colour(entry.record) and before.get("quality") is None
            and now.get("quality") is None):
        before.pop("seed", None)
        now.pop("seed", None)
        kept = entry.record.get("k")
        if (isinstance(kept, int) and isinstance(before.get("n_colors"), int)
                and isinstance(now.get("n_colors"), int)
                and min(before["n_colors"], now["n_colors"]) >= kept):
            before.pop("n_colors")
            now.pop("n_colors")
    return before, now


def _kept_every_colour(record: Mapping[str, Any]) -> bool:
    """Whether a reduce job's ``record`` shows its output to hold every pixel's own colour
    (no PSNR: the error is 0): a palette of at most ``n_colors`` entries can, only when the
    image has no more distinct colours, each kept as its own entry with no k-means run, so
    that no seed shapes it. (With ``quality``, the seed shapes the fits the search for k
    tries first, and may let a smaller k meet it.)

    >>> _kept_every_colour({"psnr": None, "delta_e": 0.0})
    True
    >>> _kept_every_colour({"psnr": 31.5, "delta_e": 2.1}), _kept_every_colour({})
    (False, False)
    """
    return "psnr" in record and record["psnr"] is None and record.get("delta_e") == 0


def find_conflict(entries: Sequence[Entry], settings: Mapping[str, Any],
                  output_dir: str | os.PathLike[str], forced: ForcedRun | None,
                  same_names: Sequence[Entry] = ()) -> OptionsChangedError | None:
    """The error to raise when any of ``entries`` was made with other ``settings``, or any
    of ``same_names`` (outputs found under the names this run gives them) with settings
    that bear on it (:func:`made_alike`); it says
    so when ``forced``, the run with ``force`` unfinished in ``output_dir`` as its manifest
    records it (:attr:`Manifest.forced`), was with these settings (the error's
    ``unfinished``)."""
    first, differing = None, 0
    for entry, same_name in chain(((e, False) for e in entries), ((e, True) for e in same_names)):
        bearing = _as_bearing(entry, settings, same_name)  # once: compared, and said if first
        if bearing[0] != bearing[1]:
            differing += 1
            first = first or bearing
    if first is None:
        return None
    before, now = changed_settings(*first)
    return OptionsChangedError(output_dir, differing, before, now,
                               forced is not None and dict(forced.settings) == dict(settings))


def _latest_lines(lines: Sequence[str]) -> tuple[dict[str, tuple[Entry, str]], int]:
    """Latest well-formed entry of each output among a manifest's ``lines``, with its line,
    and how many of the lines were well-formed.

    Outputs come in the order they last finished.
    """
    latest: dict[str, tuple[Entry, str]] = {}
    n_read = 0
    seen: dict[tuple[Any, ...], dict[str, Any]] = {}
    for line in lines:
        parsed = _parse(line, seen)
        if parsed is not None:
            n_read += 1
            latest.pop(parsed[0], None)  # re-inserted last: finishing order
            if parsed[1] is not None:  # None: the output was removed
                latest[parsed[0]] = (parsed[1], line)
    return latest, n_read


def _parse(line: str, seen: dict[tuple[Any, ...], dict[str, Any]]
           ) -> tuple[str, Entry | None] | None:
    """The output a line names and its entry (None for a line saying it was removed),
    or None for a line that is no well-formed entry; its settings are those of ``seen``
    (the settings of the lines read before) when alike (:func:`_settings_read`)."""
    try:
        item = _named_locally(json.loads(line))
    except ValueError:
        return None
    if (isinstance(item, dict) and item.get("version") == _VERSION
            and isinstance(item.get("output"), str) and item.get("removed") is True):
        return item["output"], None
    if (isinstance(item, dict) and item.get("version") == _VERSION
            and isinstance(item.get("output"), str) and item.get("pending") is True
            and isinstance(item.get("settings"), dict)):
        source = item.get("source")
        return item["output"], Entry(_settings_read(item["settings"], seen), {}, None,
                                     source if isinstance(source, str) else None,
                                     item.get("unclaimed") is True, pending=True)
    if (isinstance(item, dict) and item.get("version") == _VERSION
            and isinstance(item.get("output"), str) and _is_forced_key(item["output"])
            and isinstance(item.get("run"), str) and isinstance(item.get("settings"), dict)):
        return item["output"], Entry(_settings_read(item["settings"], seen), {}, run=item["run"])
    if not (isinstance(item, dict) and item.get("version") == _VERSION
            and isinstance(item.get("output"), str) and isinstance(item.get("settings"), dict)
            and isinstance(item.get("record"), dict)):
        return None
    stamp, source, run = item.get("input"), item.get("source"), item.get("run")
    return item["output"], Entry(_settings_read(item["settings"], seen),
                                 _record_read(_interned_keys(item["record"])),
                                 _interned_keys(stamp) if isinstance(stamp, dict) else None,
                                 source if isinstance(source, str) else None,
                                 item.get("unclaimed") is True,
                                 run=run if isinstance(run, str) else None)


def _settings_read(settings: dict[str, Any], seen: dict[tuple[Any, ...], dict[str, Any]]
                   ) -> dict[str, Any]:
    """``settings`` as read from a manifest line (:func:`_as_checked`): the dict of ``seen``
    (by the settings as written) when an earlier line had the same, else a new one, added
    to ``seen``. A run records its settings with each output: 16,000 outputs held 16,000
    copies of them. Values are compared with their types, so that ``1``, ``1.0`` and
    ``true`` stay apart, as an entry written back keeps them; settings holding a list or a
    mapping are read on their own.

    >>> seen = {}
    >>> _settings_read({"n_colors": 8}, seen) is _settings_read({"n_colors": 8}, seen)
    True
    >>> _settings_read({"dither": 1}, seen) == _settings_read({"dither": 1.0}, seen), len(seen)
    (True, 3)
    """
    try:
        key = tuple((name, type(value), value) for name, value in settings.items())
        found = seen.get(key)
    except TypeError:  # a list or a mapping among the values: not hashable
        return _as_checked(settings)
    if found is None:
        found = seen[key] = _as_checked(settings)
    return found


def _record_written(record: Mapping[str, Any]) -> dict[str, Any]:
    """``record`` as a manifest line holds it (:func:`_as_json`), its ``palette`` packed
    under :data:`_PACKED_PALETTE` when that reads back the same (:func:`_packed_palette`):
    a list of 256 entries of ``{"hex", "alpha", "share"}`` was some 13 KB of a line of
    14 KB, three times the bytes of a small PNG output.

    >>> _record_written({"k": 1, "palette": [{"hex": "#0a0b0c", "alpha": 255, "share": 1.0}]})
    {'k': 1, 'palette_packed': {'hex': '0a0b0c', 'share': [1000000]}}
    """
    written = _as_json(record)
    packed = _packed_palette(written.get("palette"))
    if packed is None:
        return written
    return _replaced(written, "palette", _PACKED_PALETTE, packed)


def _record_read(record: dict[str, Any]) -> dict[str, Any]:
    """``record`` as read from a manifest line, its packed palette (:func:`_record_written`)
    unpacked to the record's ``palette``, at its place; a record of an earlier version,
    which holds the list, is as it was.

    >>> _record_read({"k": 1, "palette_packed": {"hex": "0a0b0c", "share": [1000000]}})
    {'k': 1, 'palette': [{'hex': '#0a0b0c', 'alpha': 255, 'share': 1.0}]}
    """
    packed = record.get(_PACKED_PALETTE)
    if packed is None:
        return record
    return _replaced(record, _PACKED_PALETTE, "palette", _unpacked_palette(packed))


def _replaced(record: Mapping[str, Any], key: str, new_key: str, value: Any) -> dict[str, Any]:
    """``record`` with ``key`` renamed ``new_key`` and given ``value``, at its place (the
    order of a record's keys is the order of a report's columns).

    >>> _replaced({"k": 1, "a": 2, "z": 3}, "a", "b", 4)
    {'k': 1, 'b': 4, 'z': 3}
    """
    return {(new_key if name == key else name): (value if name == key else held)
            for name, held in record.items()}


def _packed_palette(palette: Any) -> dict[str, Any] | None:
    """A record's ``palette``, a list of ``{"hex": "#rrggbb", "alpha": a, "share": s}``, as
    columns: ``hex``, the entries' ``rrggbb`` run together; ``share``, each share in
    millionths (the record rounds them to 6 decimals); ``alpha``, two hex digits an entry,
    only when some entry is not opaque. None when it is no such list, or would not read
    back as it is, to the byte of its JSON (:func:`_unpacked_palette`).

    >>> _packed_palette([{"hex": "#ff0000", "alpha": 128, "share": 0.25}])
    {'hex': 'ff0000', 'share': [250000], 'alpha': '80'}
    >>> _packed_palette([{"hex": "#ff0000", "alpha": 255, "share": 0.1234567}]) is None
    True
    """
    if not isinstance(palette, list) or not palette:
        return None
    try:
        packed: dict[str, Any] = {
            "hex": "".join(entry["hex"][1:] for entry in palette),
            "share": [round(entry["share"] * 1_000_000) for entry in palette]}
        if any(entry["alpha"] != 255 for entry in palette):
            packed["alpha"] = "".join(f"{entry['alpha']:02x}" for entry in palette)
        same = json.dumps(_unpacked_palette(packed)) == json.dumps(palette)
    except (TypeError, KeyError, ValueError, OverflowError):
        return None
    return packed if same else None


def _unpacked_palette(packed: Any) -> Any:
    """The palette list :func:`_packed_palette` packed; ``packed`` as it is when it is no
    such columns (a report takes a malformed palette as none)."""
    try:
        hexes, shares = packed["hex"], packed["share"]
        alphas = packed.get("alpha") or "ff" * len(shares)
        return [{"hex": "#" + hexes[6 * i:6 * i + 6], "alpha": int(alphas[2 * i:2 * i + 2], 16),
                 "share": share / 1_000_000} for i, share in enumerate(shares)]
    except (TypeError, KeyError, ValueError, AttributeError):
        return packed


def _interned_keys(item: dict[str, Any]) -> dict[str, Any]:
    """``item`` (a record or stamp read from a manifest line) with its keys interned: each
    line read makes its own copy of every key, some 1.3 KB an entry held for the run.

    >>> _interned_keys({"k": 8})
    {'k': 8}
    """
    return {sys.intern(key): value for key, value in item.items()}


def _as_checked(settings: Mapping[str, Any]) -> dict[str, Any]:
    """``settings`` without the options that shape no output, and with an option given
    as the value it takes when left out written as left out, so that runs giving it and
    runs leaving it out match: ``n_colors=256`` beside ``quality`` (the most colours
    ``quality`` may choose), and a segment job's ``min_region=0`` without
    ``n_clusters`` (the region hierarchy keeps every region), and ``"0%"``, which earlier
    versions recorded as given, as 0. The seed shapes nothing
    where no k-means runs: a reduce job mapping onto a ``palette_in`` file, a segment
    job cutting the region hierarchy (no ``n_clusters``); it is then recorded as None,
    so that a rerun with another ``--seed`` takes those outputs as made alike. Options
    that later versions added are left out at the value they take when not given
    (:data:`_LEFT_OUT_UNLESS_GIVEN`), as the settings of earlier versions lack them.
    Applied to the settings read back too, as earlier versions recorded them as given
    (and ``skip_if_larger``).

    >>> _as_checked({"n_clusters": None, "min_region": 0, "seed": 3, "skip_if_larger": True})
    {'n_clusters': None, 'min_region': None, 'seed': None}
    >>> _as_checked({"n_clusters": 4, "min_region": "0%"}), _as_checked({"min_region": "1%"})
    ({'n_clusters': 4, 'min_region': 0}, {'min_region': '1%'})
    >>> _as_checked({"n_colors": 256, "quality": 2.0, "quality_limit": None,
    ...              "palette_fitted": False})
    {'n_colors': None, 'quality': 2.0}
    """
    settings = {k: v for k, v in settings.items() if k not in _NOT_SHAPING}
    for key, unset in _LEFT_OUT_UNLESS_GIVEN.items():
        if key in settings and settings[key] is unset:
            del settings[key]
    if isinstance(settings.get("min_region"), str):  # "0%", as earlier versions recorded it
        from ..segment import check_min_region

        settings["min_region"] = check_min_region(settings["min_region"])
    if settings.get("min_region") == 0 and settings.get("n_clusters") is None:
        settings["min_region"] = None
    no_kmeans = (settings.get("palette_in") is not None
                 or ("n_clusters" in settings and settings["n_clusters"] is None))
    if no_kmeans and "seed" in settings:
        settings["seed"] = None
    if settings.get("n_colors") == MAX_PALETTE and settings.get("quality") is not None:
        settings["n_colors"] = None
    return settings


def input_stamp(path: str | os.PathLike[str]) -> dict[str, Any]:
    """What identifies the contents of the file at ``path``: size, mtime (ns) and SHA-256.

    Taken by a job before it reads its input, and recorded with its output.
    The digest costs a read of the file (about 5 ms for a 3.5 MB JPEG in the
    page cache, against some 1.7 s to reduce it); it is what tells an input
    whose time changed but not its bytes (copied, restored, touched) from an
    edited one, see :func:`input_changed`.

    Raises
    ------
    OSError
        If the file cannot be read.
    """
    with open(path, "rb") as f:
        st = os.fstat(f.fileno())
        digest = hashlib.file_digest(f, "sha256").hexdigest()
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": digest}


def input_changed(stamp: Mapping[str, Any] | None, path: str | os.PathLike[str]) -> bool:
    """Whether the file at ``path`` differs from the one ``stamp`` describes.

    As make does, a file whose size and modification time are those recorded is
    taken as unchanged, without reading it. Another size means changed. The same
    size at another time is read: changed only when its SHA-256 differs too, so
    that copying or restoring a folder of photos does not redo them all (see
    :func:`restamp`). A stamp of None (an output recorded by a version that
    kept none) is trusted: never changed. A file that cannot be read counts as
    changed.

    >>> input_changed(None, "no-such-file.jpg")
    False
    """
    if stamp is None:
        return False
    try:
        now = os.stat(path)
    except OSError:
        return True
    if now.st_size != stamp.get("size"):
        return True
    if now.st_mtime_ns == stamp.get("mtime_ns"):
        return False
    try:
        with open(path, "rb") as f:
            return hashlib.file_digest(f, "sha256").hexdigest() != stamp.get("sha256")
    except OSError:
        return True


def restamp(stamp: Mapping[str, Any] | None,
            path: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The stamp of an unchanged input whose time differs from ``stamp``'s, else None.

    Recorded in place of the old one, so that the next run does not read the
    file again for its digest. Assumes ``not input_changed(stamp, path)``.
    """
    if stamp is None:
        return None
    try:
        mtime_ns = os.stat(path).st_mtime_ns
    except OSError:
        return None
    return None if mtime_ns == stamp.get("mtime_ns") else {**stamp, "mtime_ns": mtime_ns}


def _file_digest(path: str | os.PathLike[str]) -> str | None:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]
    except OSError:
        return None


def _as_json(value: Mapping[str, Any]) -> dict[str, Any]:
    """``value`` as it reads back from JSON (tuples as lists, paths as strings)."""
    return json.loads(json.dumps(value, default=_plain))


def _plain(value: Any) -> Any:
    if isinstance(value, os.PathLike):
        return absolute_path(value)
    if hasattr(value, "tolist"):  # NumPy arrays and scalars
        return value.tolist()
    return str(value)
