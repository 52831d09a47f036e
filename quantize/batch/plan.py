"""Planning a batch: find the images, map each to an output, decide what to run.

1. :func:`find_images` lists candidate files (by extension, or by ``pattern``; less those
   ``exclude_pattern`` matches).
2. :func:`plan_batch` checks the job options once (the mode's own checker),
   maps every input to an output that mirrors the input tree, refuses outputs
   that could be read back as inputs, skips files whose outputs already exist
   (unless ``force``, or the input changed since its output was made), and
   settles files that do not open as images as failed.

Nothing is written here; :func:`quantize.batch.run_batch` runs the plan.
"""

from __future__ import annotations

import dataclasses
import errno
import fnmatch
import os
import stat
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any

from PIL import Image

from ..errors import ExcludeAdviceError, ExitCode, ImageReadError, OutputError, warn_caller
from ..io import (
    STREAM_OUTPUT,
    check_name_length,
    check_output_folder,
    is_stream,
    link_to_nothing_words,
    missing_file,
    probe_image,
    shared_landing,
    unread_format,
)
from ..names import (
    absolute_path,
    folded_name,
    landing_path,
    one_file_names,
    output_parts,
    quoted,
    resolved_path,
    same_file,
    written_path,
)
from .manifest import (
    MANIFEST_NAME,
    SHARED_PALETTE_NAME,
    Entry,
    ForcedRun,
    Manifest,
    ManifestUnreadableWarning,
    compact_manifest,
    find_conflict,
    input_changed,
    load_manifest,
    manifest_key,
    marked_written,
    new_run_id,
    output_settings,
    restamp,
    source_key,
    source_of,
)
from .results import (
    EDITED_LARGER,
    LARGER,
    MISSED,
    NOT_LISTED,
    NOT_REMOVED,
    NOT_SEARCHED,
    OUTPUT_UNFINISHED,
    OUTPUT_UNRECORDED,
    STALE,
    FileResult,
    is_folder,
    made_larger,
    stale_kept,
    unrecorded_kept,
)

__all__ = ["FINISHED", "INPUT_CHANGED", "NO_RECORD", "OUTPUT_DELETED", "OUTPUT_EDITED",
           "OUTPUT_EMPTIED", "OUTPUT_LARGER", "OUTPUT_PART_DELETED", "OUTPUT_UNFINISHED",
           "OUTPUT_UNRECORDED", "BatchPlan", "FileJob", "JobMode",
           "find_images", "image_extensions", "plan_batch", "sniff_image", "would_be_found"]

#: Why a file whose output exists is redone: its input changed since (see FileJob.redo).
INPUT_CHANGED = "redone: the input changed since its output was made"
#: Why a file whose output exists is redone: the output was emptied since its job wrote it.
#: (One changed otherwise, by an optimiser say, is kept: see :func:`_skipped`.)
OUTPUT_EMPTIED = "redone: its output was emptied since it was made"
#: Why a file is made again whose output a run recorded as finished, with these settings,
#: and which is not there (or, for a folder output, not whole) now: deleted since.
OUTPUT_DELETED = "redone: its output was deleted since it was made"
#: The same for a folder output that is there without a file its job wrote.
OUTPUT_PART_DELETED = "redone: a file of its output was deleted since it was made"
#: Why a file is redone with skip_if_larger whose output an earlier run made, as recorded,
#: larger than its input: a result as large is not kept (the run removes that output).
OUTPUT_LARGER = "redone: its output is larger than its input (skip_if_larger)"
# Why a file is made again whose output a stopped run left unrecorded (OUTPUT_UNRECORDED,
# OUTPUT_UNFINISHED): in results, beside the summary that counts such files apart.
#: How a skipped file's reason goes on when its output changed since it was made.
OUTPUT_EDITED = "it changed since it was made"
#: Why a file is skipped whose output exists with no record of a run of the batch: it may
#: be another program's file, which only force=True replaces.
NO_RECORD = "output exists; no record of the run that made it"
#: Why a run with force skips a file: the stopped run with force it finishes made its output.
FINISHED = "output exists, made by the stopped run with force=True that this run finishes"


@dataclass(frozen=True)
class JobMode:
    """How one kind of per-file job maps an input to its output.

    Attributes
    ----------
    name : str
        Shown in messages ("reduce", "segment").
    func : callable
        ``func(input, output, *, force, **options) -> dict`` writes the output(s)
        and returns a small JSON-able record. Must be importable by name in a
        worker process (a module-level function).
    suffix : str
        Output file extension (".png"); "" when the output is a folder.
    marker : str or None
        For folder outputs, the file written last inside it: its presence marks
        the job as finished.
    check_options : callable or None
        ``check_options(**options) -> dict``: the job's own validator, which
        also fills the job's defaults. None: options are passed as given.
    suffix_for : callable or None
        ``suffix_for(input, options) -> str``: the output extension of an input
        when it depends on the file (reduce: an animation keeps its format), given
        the checked options; it must not open a file that is not a regular file.
        None: ``suffix`` for every input.
    folder_files : tuple of str
        For folder outputs, the names of every file the job may write in the
        folder: all that a batch removes of an output it replaces
        (:attr:`BatchPlan.replaces`), the folder itself only once empty.
    settings_key : str or None
        An option that the settings of this mode's outputs always hold and another
        mode's never do (reduce: ``n_colors``; segment: ``n_clusters``), by which the
        manifest of a folder both modes wrote into tells their outputs apart
        (:meth:`JobMode.made_alike`). None: every output on record is this mode's.
    keeps_suffix : callable or None
        ``keeps_suffix(input, options, entry, suffix) -> bool``: whether ``suffix``, the
        extension of the output the manifest ``entry`` records as made from ``input`` as
        the file is now (the size and time of its stamp), is the one ``suffix_for`` gives
        it with the checked ``options``, told without opening the file. A rerun then
        takes that extension rather than opening every input again
        (:func:`_output_suffixes`). None: ``suffix_for`` is asked of every input.
    """

    name: str
    func: Callable[..., Mapping[str, Any]]
    suffix: str = ".png"
    marker: str | None = None
    check_options: Callable[..., dict[str, Any]] | None = None
    suffix_for: Callable[[Path, Mapping[str, Any]], str] | None = None
    folder_files: tuple[str, ...] = ()
    settings_key: str | None = None
    keeps_suffix: Callable[[Path, Mapping[str, Any], Entry, str], bool] | None = None

    @property
    def makes_folder(self) -> bool:
        return self.marker is not None

    def made_alike(self, settings: Mapping[str, Any]) -> bool:
        """Whether an output recorded with ``settings`` was made by a job of this mode.

        >>> JobMode("segment", print, settings_key="n_clusters").made_alike({"n_colors": 8})
        False
        """
        return self.settings_key is None or self.settings_key in settings

    def done_path(self, output: Path) -> Path:
        """The file whose existence means the job for ``output`` finished.

        >>> mode = JobMode("segment", print, suffix="", marker="segments.json")
        >>> mode.done_path(Path("out/a")).as_posix()
        'out/a/segments.json'
        """
        return output / self.marker if self.marker is not None else output

    def written_files(self, output: Path) -> list[Path]:
        """The files the job for ``output`` may have written, the :meth:`JobMode.done_path` last.

        >>> mode = JobMode("segment", print, suffix="", marker="segments.json",
        ...                folder_files=("segments.json", "labels.png"))
        >>> [p.as_posix() for p in mode.written_files(Path("out/a"))]
        ['out/a/labels.png', 'out/a/segments.json']
        """
        if not self.makes_folder:
            return [output]
        return [output / name for name in self.folder_files if name != self.marker] + [
            self.done_path(output)]

    def kept_output(self, output: Path, earlier: Sequence[Path] = ()) -> Path | None:
        """The output of a file an earlier run made that is there: ``output`` when it is (a
        folder holding its :meth:`JobMode.done_path`, or a file), else the first of
        ``earlier`` (the file's outputs under other names, :attr:`BatchPlan.replaces`) that
        is, else None.

        >>> JobMode("segment", print, suffix="", marker="segments.json").kept_output(
        ...     Path("no/such/folder")) is None
        True
        """
        return next((path for path in (output, *earlier) if self._made(path)), None)

    def _made(self, output: Path) -> bool:
        """Whether an output is at ``output`` as this mode makes them: a folder holding its
        :meth:`JobMode.done_path`, or a file (not a folder)."""
        return self.done_path(output).exists() if self.makes_folder else output.is_file()

    def output_suffix(self, input: Path, options: Mapping[str, Any]) -> str:
        """The extension of ``input``'s output (:attr:`JobMode.suffix_for`, else ``suffix``).

        >>> JobMode("reduce", print).output_suffix(Path("a.jpg"), {})
        '.png'
        """
        return self.suffix if self.suffix_for is None else self.suffix_for(input, options)

    def checked_options(self, options: Mapping[str, Any] | None) -> dict[str, Any]:
        """``options`` checked and completed by :attr:`JobMode.check_options` (a new dict)."""
        given = dict(options or {})
        return self.check_options(**given) if self.check_options is not None else given


@dataclass(frozen=True)
class FileJob:
    """One file to process: ``func(input, output, **options)``.

    ``redo`` says why an output on record is made again (:data:`INPUT_CHANGED`,
    :data:`OUTPUT_EMPTIED`, :data:`OUTPUT_DELETED`, :data:`OUTPUT_PART_DELETED`), or one a
    stopped run wrote and did not record (:data:`OUTPUT_UNRECORDED`,
    :data:`OUTPUT_UNFINISHED`); "" for an output that no run wrote, or with ``force``.
    """

    input: Path
    output: Path
    options: Mapping[str, Any] = field(default_factory=dict)
    redo: str = ""


@dataclass(frozen=True)
class BatchPlan:
    """Jobs to run, plus the files settled before running (skipped or unreadable).

    ``settings`` are what shapes the outputs (:func:`~quantize.batch.manifest.output_settings`
    of the options as asked): recorded with every finished output. ``restamped``
    are manifest entries for the run to record again: those of skipped outputs whose
    inputs have the same bytes at another time (copied, restored), with their new input
    stamps (:func:`~quantize.batch.manifest.restamp`), and those whose
    :attr:`~quantize.batch.manifest.Entry.unclaimed` changes. ``replaces``
    maps an output of the plan to the outputs the manifest records (with their
    entries) as made from the same input under other names (an animation that
    became a still, a name that now keeps its extension, ...): the run removes
    them once that output is there, made by its job or recorded by an earlier
    run from this input. ``unclaimed`` are the outputs the manifest records as
    made from inputs this plan does not have (deleted, renamed, or not selected
    by its folder, pattern or recursion), which are still there, and the outputs a
    stopped run left pending (:attr:`~quantize.batch.manifest.Entry.pending`) under names
    this plan does not give: left as they are, in no result; ``newly_unclaimed`` are those
    of them no earlier run found so (the others are recorded as found so: a caller can say
    so once); ``unfinished`` are those of them a stopped run left pending, whose input may
    be among the plan's (named otherwise now). ``dropped`` are the outputs left pending under
    names this plan does not give that are not there: the run takes their entries out of
    the manifest. ``left_out`` are
    the inputs whose colours the shared palette the jobs map onto was fitted without
    (:func:`~quantize.batch.shared_palette`), each with why: the run adds that to their
    results (:data:`~quantize.batch.results.LEFT_OUT`); or those the shared classes were
    fitted without (:func:`~quantize.batch.shared_classes`), which their results' reasons
    say. ``run``: with ``force``, the id
    the run records its outputs with (:func:`~quantize.batch.manifest.record_forced_run`):
    that of the run with force and these settings that stopped before it finished, which
    this plan finishes (``finishing``: the outputs it made are skipped, not redone), or a
    new one. ``disowned`` are the outputs a stopped run left pending (killed before it
    recorded them) under whose names is a file that is not the one its job finished there
    (:func:`~quantize.batch.manifest.marked_written`): put there since, by hand say, or the
    one its job wrote whose record and mark could not be written (which cannot be told
    apart). Each is
    a file of no record, neither made again nor removed: the run takes the pending entry
    out of the manifest, and a caller can say so. ``manifest``: the output folder's
    manifest as planning read it (:class:`~quantize.batch.manifest.Manifest`), which the
    steps before the jobs (:func:`~quantize.batch.remove_unclaimed`,
    :func:`~quantize.batch.shared_palette`, the compaction :func:`~quantize.batch.run_batch`
    starts with) read rather than the file again. ``passed_over``: the files the search
    left out for their extension, not an image's (without a pattern); ``not_entered``:
    the sub-folders it did not enter, without ``recursive`` (but the output folder and
    folders of quantize's outputs); in no result, for a caller to count
    (:func:`~quantize.batch.results.passed_over_counts`). ``unmatched``: the ``pattern``
    and ``exclude_pattern`` patterns that no file the search saw matches (by its path
    relative to ``input_dir``, as :func:`find_images` matches them), each as
    ``(parameter, pattern)``: one that takes no file, or leaves none out, for a caller to
    say. ``hidden``: the hidden files (names starting with ".": ``..png``, ``.thumb.png``)
    in the folders searched that it would otherwise have taken (by extension, or by
    pattern: then the manifest too, in an output folder that is the input folder, which
    :func:`~quantize.batch.run.kept_by_batch` tells apart), which no search lists; in no
    result, for a caller to count as it counts ``passed_over``
    (:func:`~quantize.batch.results.passed_over_counts`).
    """

    input_dir: Path
    output_dir: Path
    mode: JobMode
    jobs: list[FileJob]
    settled: list[FileResult]
    force: bool = False
    options: Mapping[str, Any] = field(default_factory=dict)
    settings: Mapping[str, Any] = field(default_factory=dict)
    restamped: list[tuple[Path, Entry]] = field(default_factory=list)
    replaces: Mapping[Path, tuple[tuple[Path, Entry], ...]] = field(default_factory=dict)
    unclaimed: list[Path] = field(default_factory=list)
    newly_unclaimed: list[Path] = field(default_factory=list)
    dropped: list[Path] = field(default_factory=list)
    left_out: Mapping[Path, str] = field(default_factory=dict)
    unfinished: list[Path] = field(default_factory=list)
    run: str | None = None
    finishing: bool = False
    disowned: list[Path] = field(default_factory=list)
    manifest: Manifest = field(default_factory=Manifest)
    passed_over: list[Path] = field(default_factory=list)
    not_entered: list[Path] = field(default_factory=list)
    unmatched: list[tuple[str, str]] = field(default_factory=list)
    hidden: list[Path] = field(default_factory=list)

    @property
    def total(self) -> int:
        """The inputs found: the jobs and the settled results, sub-folders not searched
        (:data:`~quantize.batch.results.NOT_SEARCHED`) or not listed
        (:data:`~quantize.batch.results.NOT_LISTED`) among them."""
        return len(self.jobs) + len(self.settled)

    @property
    def n_files(self) -> int:
        """The files of :attr:`BatchPlan.total`, without the sub-folders not searched or
        not listed."""
        return self.total - sum(1 for r in self.settled if is_folder(r.record))

    def replaced(self, output: Path) -> list[Path]:
        """The outputs an earlier run made of ``output``'s input under other names
        (:attr:`BatchPlan.replaces`), which the run removes once ``output`` is there."""
        return _paths(self.replaces.get(output, ()))

    def kept_output(self, output: Path) -> Path | None:
        """The output an earlier run made of ``output``'s input that is there: ``output``,
        else the first of :meth:`BatchPlan.replaced` that is, else None
        (:meth:`JobMode.kept_output`)."""
        return self.mode.kept_output(output, self.replaced(output))

    def failed_kept(self, result: FileResult, kept: Path | None) -> FileResult:
        """``result``, of a file that failed, with ``kept``, the output of its file that is
        there (:meth:`BatchPlan.kept_output`), left in place: said to be stale when the
        manifest records it, to be of no record when not (:func:`_kept_there`), and without
        an output when ``kept`` is None, as none is there for its report row to name."""
        if kept is None:
            return dataclasses.replace(result, output=None)
        return _kept_there(self.mode, result, kept, self.output_dir, self.manifest.entries,
                           self.disowned)

    def of_record(self, kept: Path) -> bool:
        """Whether ``kept``, an output of a file that is there (:meth:`BatchPlan.kept_output`),
        is one the manifest records as a batch's (:func:`_of_record`), not a file of no
        record, which only ``force`` planned to replace."""
        return _of_record(self.mode, kept, self.output_dir, self.manifest.entries,
                          self.disowned)

    def with_options(self, options: Mapping[str, Any]) -> BatchPlan:
        """The same plan (and settings) with every job run with ``options`` instead."""
        jobs = [FileJob(j.input, j.output, dict(options), j.redo) for j in self.jobs]
        return dataclasses.replace(self, jobs=jobs, options=dict(options))


def image_extensions() -> frozenset[str]:
    """Lower-case file extensions (".jpg", ".png", ...) of every format Pillow opens and
    decodes, and quantize reads: not a video's (.mpg), whose header alone Pillow reads,
    nor those it leaves to a handler it has none of (.h5, .grib, .bufr): a camera's folder
    of photos and clips failed on each clip; nor EPS and PostScript (.eps, .ps), programs
    Pillow would run Ghostscript on, which quantize refuses
    (:func:`~quantize.io.read.unread_format`). An MPO's (.mpo, a stereo camera's
    photos), which Pillow opens as a JPEG, is one.

    >>> {".jpg", ".mpo", ".png", ".tif", ".webp"} <= image_extensions()
    True
    >>> {".mpg", ".h5", ".eps", ".ps"} & image_extensions()
    set()
    """
    Image.init()
    return frozenset(ext for ext, fmt in Image.registered_extensions().items()
                     if _opened_as(fmt) in Image.OPEN
                     and unread_format(Image.OPEN[_opened_as(fmt)][0]) is None)


def _opened_as(fmt: str) -> str:
    """The format whose opener reads files of the format ``fmt``: "JPEG" for "MPO" (a JPEG
    holding more images, which Pillow's JPEG opener turns into an MPO, and which has none
    of its own in ``Image.OPEN``), else ``fmt``."""
    return "JPEG" if fmt == "MPO" else fmt


def find_images(root: str | os.PathLike[str], *, recursive: bool = False,
                pattern: str | Sequence[str] | None = None,
                exclude: str | os.PathLike[str] | None = None,
                exclude_pattern: str | Sequence[str] | None = None) -> list[Path]:
    """List candidate image files under ``root``, sorted.

    Parameters
    ----------
    root : path
        Folder to search.
    recursive : bool
        Descend into sub-folders.
    pattern : str, sequence of str, or None
        Glob matched against the end of the path relative to ``root`` (``"*.jpg"``,
        ``"2024/*/IMG_*"``; ``**`` stands for any number of folders, ``"2024/**/*.jpg"``;
        ``[*]``, ``[?]`` and ``[[]`` match a literal ``*``, ``?`` or ``[``: ``"v[*].jpg"``
        matches ``v*.jpg`` alone), case-sensitive; one ending in ``/`` names folders and
        selects the files under them (``"thumbs/"`` as ``"thumbs/**"``, but not a file
        named ``thumbs``), and one without a wildcard (``*``, ``?`` or ``[``) a file or a
        folder (``"thumbs"``: a file of that name, and the files under a folder of that
        name); several: a file matching any of them; replaces the extension filter. Files
        it selects that are not images are reported by :func:`plan_batch`, not skipped.
    exclude : path or None
        A folder whose contents are never listed (the output folder when it
        lies inside ``root``).
    exclude_pattern : str, sequence of str, or None
        Globs, matched as ``pattern`` is, of files not to list even when ``pattern`` (or
        their extension) selects them: ``"*.min.png"``; ``"thumbs"``, ``"thumbs/"`` or
        ``"thumbs/**"`` for the files under every folder named ``thumbs``.

    Hidden files and folders (name starting with ".") are never listed. A sub-folder that
    cannot be listed (no permission) is left out here; :func:`plan_batch` reports it as
    failed. Symbolic links to folders are not followed (a link may lead out of ``root``, to
    a folder also reached another way, or back up the tree); :func:`plan_batch` reports each
    as skipped. Links to files are listed when they lead to a file under ``root`` (all links
    followed); one that leads out of it (``upload/a.png`` to ``/etc/passwd``) is not, so
    that no file outside ``root`` is read through a link planted in it: :func:`plan_batch`
    reports each as skipped, unread. A sub-folder that holds the outputs of ``quantize
    segment`` (its ``labels.png`` and ``segments.json``: region maps, not photos) or of an
    earlier batch (its manifest, ``.quantize-batch.jsonl``: results, which would be reduced
    again) is not searched either; :func:`plan_batch` reports it as skipped.

    Raises
    ------
    ImageReadError
        If ``root`` is missing or not a folder (a ``ValueError`` too).
    ValueError
        If a pattern is empty, or only slashes.
    TypeError
        If a pattern is not a string.
    OSError
        If ``root`` cannot be listed.
    """
    chosen = Selection.of(pattern, exclude_pattern)
    return _search(Path(root), recursive, chosen, exclude)[0]


@dataclass(frozen=True)
class Selection:
    """The files a search takes, by their path relative to the input folder: those that
    match one of ``patterns`` (none: those of an image extension, in any case) and none of
    ``excluded``, each matched as :func:`find_images` matches ``pattern`` (:func:`_selects`).
    Made by :meth:`Selection.of`, which checks the patterns.

    >>> chosen = Selection.of(["*.png", "*.gif"], "thumbs/**")
    >>> [chosen.takes(PurePath(name)) for name in ("a.png", "b.gif", "thumbs/c.png", "d.jpg")]
    [True, True, False, False]
    >>> [Selection.of(None, "thumbs").takes(PurePath(name)) for name in ("a/thumbs/c.png",
    ...                                                                  "thumbs.png")]
    [False, True]
    >>> [Selection.of(None, "*.jpg").takes(PurePath(name)) for name in ("a.JPG", "b.jpg")]
    [True, False]
    >>> str(Selection.of("*.png", ["a*", "b*"]))
    "pattern='*.png' exclude_pattern='a*' exclude_pattern='b*'"
    """

    patterns: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()
    extensions: frozenset[str] = field(default=frozenset(), repr=False, compare=False)

    @classmethod
    def of(cls, pattern: str | Sequence[str] | None,
           exclude_pattern: str | Sequence[str] | None = None) -> Selection:
        """The selection of ``pattern`` and ``exclude_pattern`` (see :func:`find_images`).

        Raises
        ------
        ValueError
            If a pattern is empty, or only slashes.
        TypeError
            If a pattern is not a string.
        """
        patterns = _patterns(pattern, "pattern")
        return cls(patterns, _patterns(exclude_pattern, "exclude_pattern"),
                   frozenset() if patterns else image_extensions())

    def takes(self, rel: PurePath) -> bool:
        """Whether the search takes the file at ``rel``, relative to the input folder."""
        if self.leaves_out(rel):
            return False
        if self.patterns:
            return any(_selects(rel, pattern) for pattern in self.patterns)
        return rel.suffix.lower() in self.extensions

    def leaves_out(self, rel: PurePath) -> bool:
        """Whether one of the ``excluded`` patterns selects ``rel`` (:func:`_selects`)."""
        return any(_selects(rel, pattern) for pattern in self.excluded)

    def __bool__(self) -> bool:
        """Whether any pattern is given: the search then selects by name."""
        return bool(self.patterns or self.excluded)

    def __str__(self) -> str:
        """The patterns as parameters, for messages (the command line's flags)."""
        return " ".join([*(f"pattern={quoted(p)}" for p in self.patterns),
                         *(f"exclude_pattern={quoted(p)}" for p in self.excluded)])


def _patterns(value: str | Sequence[str] | None, name: str) -> tuple[str, ...]:
    """``value``, one pattern or several, as a tuple; each checked."""
    given = () if value is None else (value,) if isinstance(value, str) else tuple(value)
    for pattern in given:
        if not isinstance(pattern, str):
            raise TypeError(f"{name}={pattern!r} is a {type(pattern).__name__}; expected a "
                            "string such as '*.jpg'")
        if not pattern:
            raise ValueError(f"{name}='' is empty; expected a pattern such as '*.jpg'")
        if not pattern.strip("/"):
            raise ValueError(f"{name}={quoted(pattern)} names no file nor folder; expected a "
                             "pattern such as '*.jpg' or 'thumbs/'")
    return given


@dataclass
class _PassedOver:
    """What a search saw and did not take, for the summary to count: the visible files of
    no image extension (without a pattern), and the visible sub-folders it did not enter
    (without ``recursive``; not the output folder, nor a folder of quantize's outputs);
    the patterns that matched none of the files it saw, each with its parameter's
    name (``pattern``, ``exclude_pattern``), for a caller to say; and the hidden files
    (names starting with ".") in the folders it searched that it would otherwise have
    taken (:func:`_hidden_taken`)."""

    files: list[Path] = field(default_factory=list)
    folders: list[Path] = field(default_factory=list)
    unmatched: list[tuple[str, str]] = field(default_factory=list)
    hidden: list[Path] = field(default_factory=list)


def would_be_found(path: str | os.PathLike[str], input_dir: str | os.PathLike[str],
                   output_dir: str | os.PathLike[str], *, recursive: bool = False,
                   pattern: str | Sequence[str] | None = None,
                   exclude_pattern: str | Sequence[str] | None = None) -> bool:
    """Whether :func:`plan_batch` would take ``path`` as an input (now, or once it exists).

    The parameters are those of :func:`plan_batch`: ``output_dir`` is left out of
    the search when it lies inside ``input_dir``. Prior validation is assumed.

    ``path`` is taken by its own name, as the search lists a link to a file and as a
    file written there replaces the link: only the folders it lies in are resolved.

    >>> would_be_found("photos/index.html", "photos", "out", pattern="*")
    True
    """
    base, target = resolved_path(input_dir), Path(written_path(path))
    if not target.is_relative_to(base):
        return False
    skip = _left_out(Path(input_dir), Path(output_dir))
    if skip is not None and target.is_relative_to(resolved_path(skip)):
        return False
    rel = target.relative_to(base)
    if any(part.startswith(".") for part in rel.parts) or (not recursive and len(rel.parts) > 1):
        return False
    return Selection.of(pattern, exclude_pattern).takes(rel)


def _check_input_dir(base: Path) -> None:
    """Refuse an input folder that is not there, or not a folder, as an input that cannot be
    read (exit 1), in the words reduce and segment use for a file."""
    if base.is_dir():
        return
    if base.is_symlink():  # to nothing, to a file, or into a loop of links
        what = missing_file(base, "folder")
    elif base.exists():
        what = "is a file, expected a folder of images"
    else:
        what = "no such folder"
    raise ImageReadError(what, path=base)


def _search(base: Path, recursive: bool, chosen: Selection,
            exclude: str | os.PathLike[str] | None, passed: _PassedOver | None = None
            ) -> tuple[list[Path], list[OSError], list[Path], list[Path], list[Path]]:
    """:func:`find_images`, the errors of the sub-folders it could not list, the
    symbolic links to folders it did not follow, the folders of quantize's outputs it
    did not search (with ``recursive``; :func:`_holds_outputs`) and the links to files
    outside ``base`` it took and did not list (:func:`_leading_out`). What it passed over for
    its extension (not a file an exclude pattern leaves out) is added to ``passed``
    (sorted), when given."""
    _check_input_dir(base)
    skip = resolved_path(exclude) if exclude is not None else None
    found = []
    unlisted: list[OSError] = []
    linked: list[Path] = []
    outputs: list[Path] = []
    passed = passed if passed is not None else _PassedOver()
    unmatched = [*(("pattern", p) for p in chosen.patterns),
                 *(("exclude_pattern", p) for p in chosen.excluded)]
    hidden: list[Path] = []
    file_links: list[Path] = []
    walk = _walk(base, recursive, skip, unlisted, (linked, outputs), passed.folders, hidden,
                 file_links)
    for path in walk:
        rel = path.relative_to(base)
        if unmatched:
            unmatched = [(name, p) for name, p in unmatched if not _selects(rel, p)]
        if chosen.takes(rel):
            found.append(path)
        elif not chosen.patterns and not chosen.leaves_out(rel):
            passed.files.append(path)
    for exc in unlisted:
        if exc.filename is not None and Path(exc.filename) == base:
            raise exc
    passed.files.sort()
    passed.folders.sort()
    passed.unmatched[:] = unmatched
    passed.hidden[:] = sorted(_hidden_taken(hidden, base, chosen))
    leading = _leading_out(file_links, resolved_path(base))  # most folders have none
    outside = [path for path in found if path in leading] if leading else []
    found = [path for path in found if path not in leading] if leading else found
    return sorted(found), unlisted, sorted(linked), sorted(outputs), sorted(outside)


def _hidden_taken(hidden: Sequence[Path], base: Path, chosen: Selection) -> list[Path]:
    """The ``hidden`` files (names starting with ".", under ``base``) that the search would
    take (``chosen``) were they not hidden (``..png``, ``.thumb.png``, a Mac's ``._a.jpg``).
    Those a batch keeps for itself in an output folder that is ``base`` are among them when
    a pattern takes them (:func:`~quantize.batch.run.kept_by_batch` tells them)."""
    return [path for path in hidden if chosen.takes(path.relative_to(base))]


def _leading_out(links: Sequence[Path], root: Path) -> set[Path]:
    """The symbolic links to files of ``links`` whose target, every link followed, lies
    outside ``root`` (the input folder, resolved): a link to a missing file too, which is
    never read. A link within ``root`` is listed as the file it leads to is."""
    return {path for path in links if not resolved_path(path).is_relative_to(root)}


def _links_in(folder: Path) -> frozenset[str]:
    """The names of the symbolic links in ``folder``, told by one listing (each entry's type,
    with no call per file: an ``lstat`` of each of 16,000 files took 0.5 s here); none
    where it cannot be listed (the walk reports such a folder, and lists none of its files).
    """
    try:
        with os.scandir(folder) as entries:
            return frozenset(entry.name for entry in entries if entry.is_symlink())
    except OSError:
        return frozenset()


def _selects(rel: PurePath, pattern: str) -> bool:
    """Whether ``pattern`` selects the file at ``rel``: ``rel`` matches it
    (:func:`_glob_match`), or it names a folder that holds ``rel``, at any depth. A pattern
    ending in "/" names only folders; one without a wildcard (``*``, ``?`` or ``[``) a file
    or a folder, as ``--exclude thumbs`` is meant: ``thumbs`` alone matched only a file of
    that name, ``thumbs/`` too (a path drops its last slash).

    >>> [_selects(PurePath(p), "thumbs") for p in ("thumbs", "a/thumbs/b/c.png", "thumbs.png")]
    [True, True, False]
    >>> [_selects(PurePath(p), "thumbs/") for p in ("thumbs", "thumbs/c.png", "x/thumbs")]
    [False, True, False]
    """
    folder = pattern.rstrip("/")
    if folder != pattern:
        return _glob_match(rel.parent, f"{folder}/**")
    if _glob_match(rel, pattern):
        return True
    return not any(c in pattern for c in "*?[") and _glob_match(rel.parent, f"{pattern}/**")


def _glob_match(rel: PurePath, pattern: str) -> bool:
    """``PurePath(rel).match(pattern)``, with ``**`` standing for any number of folders.

    ``PurePath.match`` (before Python 3.13's ``full_match``) reads ``**`` as ``*``, one
    folder, so ``**/*.jpg`` left out the files at the top. Like ``match``, a pattern
    matches the end of the path: ``*.jpg`` matches ``a/b.jpg``.

    >>> _glob_match(PurePath("a.jpg"), "**/*.jpg"), _glob_match(PurePath("a/b/c.jpg"), "a/**")
    (True, True)
    """
    if "**" not in pattern:
        return PurePath(rel).match(pattern)
    return _match_parts(PurePath(rel).parts, ("**", *PurePath(pattern).parts))


def _match_parts(parts: Sequence[str], pattern: Sequence[str]) -> bool:
    if not pattern:
        return not parts
    if pattern[0] == "**":
        return any(_match_parts(parts[i:], pattern[1:]) for i in range(len(parts) + 1))
    return (bool(parts) and fnmatch.fnmatchcase(parts[0], pattern[0])
            and _match_parts(parts[1:], pattern[1:]))


def _walk(base: Path, recursive: bool, skip: Path | None, unlisted: list[OSError],
          left: tuple[list[Path], list[Path]], not_entered: list[Path] | None = None,
          hidden: list[Path] | None = None, file_links: list[Path] | None = None
          ) -> Iterator[Path]:
    """Visible files under ``base``; assumes ``base`` is a folder. The hidden files of the
    folders it searches (names starting with ".") are appended to ``hidden``, and the
    visible files that are symbolic links (:func:`_links_in`) to ``file_links``, when given.

    The errors of folders that cannot be listed are appended to ``unlisted``; the
    visible sub-folders not searched to ``left``: the links to folders, which are not
    followed, to its first list, those of quantize's outputs (:func:`_holds_outputs`) to
    its second; without ``recursive``, the visible sub-folders of ``base`` (but ``skip``,
    links and those of quantize's outputs, which ``recursive`` leaves too) to
    ``not_entered``.
    """
    linked, output_folders = left
    for folder, dirs, files in os.walk(base, onerror=unlisted.append):
        here = Path(folder)
        searched = sorted(d for d in dirs if not d.startswith(".")
                          and (skip is None or resolved_path(here / d) != skip))
        if not recursive and not_entered is not None:
            not_entered += (here / d for d in searched  # -r follows no link either
                            if not _is_link(here / d) and not _holds_outputs(here / d))
        visible = searched if recursive else []
        links = [d for d in visible if _is_link(here / d)]
        linked += (here / d for d in links)
        outputs = [d for d in visible if d not in links and _holds_outputs(here / d)]
        output_folders += (here / d for d in outputs)
        dirs[:] = [d for d in visible if d not in links and d not in outputs]
        if hidden is not None:
            hidden += (here / f for f in files if f.startswith("."))
        if file_links is not None and files:
            named = _links_in(here)
            file_links += (here / f for f in files if f in named and not f.startswith("."))
        yield from (here / f for f in files if not f.startswith("."))


def _holds_outputs(folder: Path) -> bool:
    """Whether ``folder`` holds quantize's outputs: an earlier batch's (its manifest,
    :data:`~quantize.batch.manifest.MANIFEST_NAME`) or segment's
    (:func:`_holds_segment_outputs`)."""
    return _is_file(folder / MANIFEST_NAME) or _holds_segment_outputs(folder)


def _holds_segment_outputs(folder: Path) -> bool:
    """Whether ``folder`` holds what ``quantize segment`` writes, its region map and the
    ``segments.json`` that marks it finished (``photo.segments/``): images of regions, not
    photos."""
    from ..segment_file import OUTPUT_FILES

    return all(_is_file(folder / name) for name in (OUTPUT_FILES[0], OUTPUT_FILES[-1]))


def _is_file(path: Path) -> bool:
    """``path.is_file()``, False where it cannot be told: in a folder without permission
    ``is_file`` raises, where the walk that comes to that folder reports it (it cannot
    list it), rather than stopping the whole batch."""
    try:
        return path.is_file()
    except OSError:
        return False


def _is_link(path: Path) -> bool:
    """``path.is_symlink()``, False where it cannot be told (as :func:`_is_file`): a folder
    that can be listed but not entered (mode ``r--``) names sub-folders that cannot be
    looked at, which the walk then reports as folders it cannot list."""
    try:
        return path.is_symlink()
    except OSError:
        return False


def sniff_image(path: Path) -> str | None:
    """Open ``path``'s header: None when it is an image quantize accepts, else the reason."""
    try:
        probe_image(path, max_pixels=None)
    except ImageReadError as exc:
        return exc.reason
    return None


# --------------------------------------------------------------------------
# Planning
# --------------------------------------------------------------------------


def plan_batch(input_dir: str | os.PathLike[str], output_dir: str | os.PathLike[str],
               mode: JobMode, *, options: Mapping[str, Any] | None = None,
               recursive: bool = False, pattern: str | Sequence[str] | None = None,
               exclude_pattern: str | Sequence[str] | None = None,
               force: bool = False, shared_palette: bool = False,
               shared_classes: bool = False) -> BatchPlan:
    """Find the images, map each to an output mirroring the input tree, decide what to run.

    Parameters
    ----------
    input_dir, output_dir : path
        Where the images are and where the outputs go (created if needed at run
        time). ``output_dir`` may lie inside ``input_dir``: it is then excluded
        from the search. It may equal ``input_dir`` only when no output can be
        read back as an input, nor made where an input is (e.g. segment mode, not
        recursive, no two inputs sharing a stem).
    mode : JobMode
        What to do with each file (:func:`~quantize.batch.modes.reduce_mode`,
        :func:`~quantize.batch.modes.segment_mode`).
    options : mapping
        Keyword arguments passed to ``mode.func`` for every file, checked and
        completed by the mode's own checker first.
    recursive, pattern, exclude_pattern
        See :func:`find_images`.
    force : bool
        Redo files whose outputs exist, whatever options made them and whether
        or not their inputs changed; but for the outputs that a run with ``force`` and
        the same settings made before it was stopped (it did not reach every file):
        this plan finishes that run, skipping them as :data:`FINISHED`
        (:attr:`BatchPlan.finishing`).
    shared_palette : bool
        The jobs will map onto one palette fitted by
        :func:`~quantize.batch.shared_palette`; recorded with the options.
    shared_classes : bool
        Segment mode, with ``n_clusters``: the jobs will assign their pixels to classes
        fitted on every file by :func:`~quantize.batch.shared_classes`; recorded with the
        options.

    Returns
    -------
    BatchPlan
        ``jobs`` to run, and ``settled`` results: "skipped" for finished files (with the
        record of the run that made the output, from the output folder's manifest), for
        symbolic links to folders, which are not followed (with no output), for symbolic
        links to files outside ``input_dir``, which are not read (with no output), and for
        pipes, sockets and devices, which are not opened (with no output), "failed" for
        files that do not open as images and for sub-folders that cannot be listed (with no
        output, and :data:`~quantize.batch.results.NOT_LISTED` in the record). A file whose
        output exists but whose input changed since the output was made (as recorded in the
        manifest: :func:`~quantize.batch.manifest.input_changed`) is a job again, with
        ``redo`` saying so; an output recorded without its input's stamp (by an older
        version), or not recorded, is skipped. One recorded as pending (a run was killed
        between writing it and recording it:
        :func:`~quantize.batch.manifest.record_pending`) is a job, with ``redo`` saying so
        when that output is there.
        An output kept stale by ``skip_if_larger`` (its changed input's result
        was larger) is "skipped" again as larger while the input and settings stay
        the same and the option is given, and a job again otherwise; with the option, one
        a run without it recorded as larger than its input, as that run wrote it, is a job
        again too (``redo`` :data:`OUTPUT_LARGER`), whose run removes it once the result is
        found larger (:func:`~quantize.batch.run.run_batch`). An output
        the manifest records as made from an input of the plan under another name
        than the plan gives it is in ``replaces``, for the run to remove; but when
        the name the plan gives it is held by a file of no record, that file is
        not known to be its output: without ``force`` the input is "failed"
        (exit code ``EXISTS``), and neither file is touched. One recorded as made
        from a file that is no input of the plan is in ``unclaimed``, and left
        alone.

    Raises
    ------
    ImageReadError
        If ``input_dir`` is missing or not a folder (a ``ValueError`` too).
    ValueError
        If ``output_dir`` is (or lies under) an
        existing file, an output could overwrite or be read back as an input,
        an output folder would be made where an input is, ``output_dir`` lies inside
        ``input_dir`` searched with ``recursive`` and holds images that no batch made
        (the search would leave them out, and outputs could replace them), or an option is bad (in
        reduce mode, a ``palette_in`` whose every entry is fully transparent, which
        only an image without visible pixels could be mapped onto).
    OSError
        If ``input_dir`` cannot be listed.
    TypeError
        If an option has the wrong type or is unknown to the mode.
    OptionsChangedError
        If, without ``force``, an existing output was made with other settings
        (options, or ``shared_palette``), also one of an input under another
        name: nothing is planned, rather than skipping outputs that do not match
        this run.

    Warns
    -----
    quantize.reduce.quality.QualityScaleWarning
        In reduce mode, when ``quality`` is above 20, as
        :func:`~quantize.reduce.reduce_colors` warns: once, here, not by each file's job.
    quantize.batch.manifest.ManifestUnreadableWarning
        When the manifest of ``output_dir`` holds lines that cannot be read as a record
        (torn, junk, or written by another version): the outputs they recorded are then
        of no record. Before the plan is made, the file is kept as it was beside it
        (:func:`~quantize.batch.manifest.damaged_copy`) and rewritten without them
        (:func:`~quantize.batch.manifest.compact_manifest`), so that it is said once;
        where it cannot be copied (a read-only folder), it is left as it is.
    """
    checked = mode.checked_options(options)
    settings = output_settings(checked, shared_palette=shared_palette,
                               shared_classes=shared_classes)
    chosen = Selection.of(pattern, exclude_pattern)
    src = Path(input_dir)
    dst = Path(output_dir)
    _check_input_dir(src)  # before any path is resolved: a link loop made that fail
    check_output_folder(dst)
    skip = _left_out(src, dst)
    if skip is not None and recursive:
        _check_no_photos_left_out(src, dst, chosen)
    passed = _PassedOver()
    inputs, unlisted, linked, left_out, outside = _search(src, recursive, chosen, skip,
                                                          passed)
    sources = [source_key(dst, path) for path in inputs]
    read = _manifest_if_readable(dst, mode)  # once a run
    outputs = _map_outputs(inputs, src, dst, _output_suffixes(
        mode, inputs, sources, checked, read.entries if read is not None else {}, dst))
    _check_no_collision(list(zip(inputs, outputs, strict=True)), src, dst, mode,
                        (recursive, chosen), excluded=skip, shared_palette=shared_palette)
    keys = [manifest_key(dst, out) for out in outputs]  # each output's name in the manifest
    if mode.makes_folder:
        _check_no_folder_on_an_input(outputs, inputs, src, dst, mode.name)
    manifest = read if read is not None else load_manifest(dst, mode.name)  # says why not
    if manifest.n_unread:
        manifest = _without_unread_lines(dst, manifest, mode.name)
    recorded = manifest.entries
    # With force, only the outputs of the run with force and these settings that stopped
    # before it finished: this run finishes it, keeping what it made (not redone).
    run = _forced_run(manifest, settings) if force else None
    made = recorded if not force else {key: entry for key, entry in recorded.items()
                                       if run is not None and entry.run == run.run
                                       and not entry.pending}
    # Folders the search did not enter, links it did not follow: their files' outputs are
    # not judged unclaimed
    unsearched = [Path(exc.filename) for exc in unlisted if exc.filename is not None]
    earlier, unclaimed, flagged, dropped, disowned = _earlier_outputs(
        recorded, inputs, sources, (outputs, keys), dst, mode,
        unsearched + linked + left_out + outside)
    jobs, found, found_here, replaces = [], [], [], {}
    input_ids: dict[tuple[int, int], Path] = {}  # made at the first output that is a link
    landed = _outputs_landing_together(mode, inputs, outputs)
    restamped = [(old, dataclasses.replace(entry, unclaimed=not entry.unclaimed))
                 for old, entry in flagged]  # first: a new stamp below is recorded after
    settled = ([_unlisted(exc) for exc in unlisted] + [_not_followed(p) for p in linked]
               + [_outputs_left(p) for p in left_out] + [_leads_outside(p) for p in outside])
    for path, out, key in zip(inputs, outputs, keys, strict=True):
        if (special := _not_regular(path)) is not None:  # opening a pipe could wait forever
            settled.append(special)
            continue
        if (palette := _palette_in_image(path, checked)) is not None:
            settled.append(palette)
            continue
        if (too_long := _name_too_long(out, mode.done_path(out))) is not None:
            settled.append(FileResult(path, out, "failed", too_long, exit_code=ExitCode.FAILED,
                                      failure="write_failed"))
            continue
        if (stream := _stream_output(mode, out)) is not None:  # force or not: never replaced
            settled.append(FileResult(path, out, "failed", stream, exit_code=ExitCode.FAILED,
                                      failure="write_failed"))
            continue
        if (onto := _link_onto_an_input(mode, out, inputs, input_ids)) is not None:
            settled.append(FileResult(path, out, "failed", onto, exit_code=ExitCode.FAILED,
                                      failure="write_failed"))
            continue
        if (into := _link_into_the_search(mode, out, src, dst, recursive, pattern)) is not None:
            settled.append(FileResult(path, out, "failed", into, exit_code=ExitCode.FAILED,
                                      failure="write_failed"))
            continue
        if (shared := landed.get(out)) is not None:
            settled.append(FileResult(path, out, "failed", shared, exit_code=ExitCode.FAILED,
                                      failure="write_failed"))
            continue
        if (held := _held_by_other_mode(mode, path, out, recorded.get(key),
                                        earlier.get(out, ()))) is not None:
            settled.append(held)
            continue
        redo = ""
        if (older := earlier.get(out)) and not force:  # it too must match these settings
            found += [entry for _, entry in older if not entry.pending]
        # An output (a folder's marker) on record that is a link leading nowhere is not
        # there: the run removed the file the link led to (an output found larger than its
        # input), or its job was killed after removing it (write_together's removed_first);
        # it is made again, through the link, as a removed file is.
        if (not force and key not in recorded
                and (link := _link_to_nothing(mode.done_path(out))) is not None):
            settled.append(FileResult(path, out, "failed", f"output is {link}; use force=True "
                                      "to overwrite", exit_code=ExitCode.EXISTS))
            continue
        # An output a run stopped before recording (pending) is its, not finished: made again;
        # but only the file its job finished there, not one put under that name since.
        # With force, only one the unfinished run with force made is known: see ``made``.
        here = made.get(key)
        if _pending(here) and _disowned(mode, out):
            disowned.append(out)
            here = None  # a file of no record
        if here is not None and MISSED in here.record and _output_there(mode, out):
            here = None  # put there since a run missed its quality: a file of no record
        if ((not force or here is not None) and _output_there(mode, out, here)
                and not _pending(here)):
            entry = here
            found_here += [entry] if entry is not None else []
            if entry is None and older:  # not known to be this file's output: left alone
                settled.append(_taken(path, out, older))
                continue
            if entry is not None and STALE in entry.record:  # kept when a result was larger
                if (kept := _still_larger(entry, path, checked, settings, out)) is not None:
                    settled.append(kept)
                    continue
                redo = INPUT_CHANGED
            elif entry is not None and _output_size(mode, out, entry) == 0:
                redo = OUTPUT_EMPTIED  # emptied since: nothing there to keep
            elif _larger_on_record(mode, checked, path, out, entry):
                redo = OUTPUT_LARGER  # not kept with skip_if_larger: its job removes it
            elif entry is None or not input_changed(entry.input, path):
                settled.append(_skipped(path, out, entry, finishing=force,
                                        size=_output_size(mode, out, entry),
                                        skip_if_larger=bool(checked.get("skip_if_larger"))))
                if entry is not None and (stamp := restamp(entry.input, path)) is not None:
                    restamped.append((out, Entry(entry.settings, entry.record, stamp,
                                                 entry.source, run=entry.run)))
                if older and entry is not None and source_of(entry, dst) == source_key(
                        dst, path):  # made from this input: it replaces them
                    replaces[out] = tuple(older)
                continue
            else:
                redo = INPUT_CHANGED
        elif (larger := _still_larger(here, path, checked, settings,
                                      older[0][0] if older else None)) is not None:
            settled.append(larger)
            continue
        elif (missed := _still_missed(here, path, settings)) is not None:
            settled.append(missed)
            continue
        elif _pending(here) and _output_there(mode, out):  # a killed run's, not recorded
            redo = _left_pending(mode, out)
        elif not force:
            redo = _gone_since(mode, here, path, out)
        if (reason := sniff_image(path)) is not None:
            failed = FileResult(path, out, "failed", reason, exit_code=ExitCode.FAILED,
                                failure="unreadable_input")
            kept = mode.kept_output(out, _paths(older or ()))
            settled.append(failed if kept is None
                           else _kept_there(mode, failed, kept, dst, recorded, disowned))
        else:
            jobs.append(FileJob(path, out, dict(checked), redo))
            if older:
                replaces[out] = tuple(older)
    if (conflict := find_conflict(found, settings, dst, manifest.forced,
                                  same_names=found_here)) is not None:
        raise conflict
    return BatchPlan(src, dst, mode, jobs, settled, force, checked, settings, restamped,
                     replaces, [old for old, _ in unclaimed],
                     [old for old, entry in unclaimed if not entry.unclaimed], dropped,
                     unfinished=[old for old, entry in unclaimed if entry.pending],
                     run=(run.run if run is not None else new_run_id()) if force else None,
                     finishing=run is not None, disowned=sorted(disowned), manifest=manifest,
                     passed_over=passed.files, not_entered=passed.folders,
                     unmatched=passed.unmatched, hidden=passed.hidden)


def _manifest_if_readable(dst: Path, mode: JobMode) -> Manifest | None:
    """The manifest of ``dst`` for ``mode`` (:func:`~quantize.batch.manifest.load_manifest`;
    an empty one while ``dst`` is no folder), or None when it cannot be read, which
    :func:`plan_batch` raises once it has checked the outputs' names, whose errors come
    first."""
    if not dst.is_dir():
        return Manifest()
    try:
        return load_manifest(dst, mode.name)
    except OutputError:
        return None


def _output_suffixes(mode: JobMode, inputs: Sequence[Path], sources: Sequence[str],
                     options: Mapping[str, Any], entries: Mapping[str, Entry],
                     dst: Path) -> list[str]:
    """The extension of the output of each of ``inputs`` (named as the manifest names them
    in ``sources``): that of the output the manifest ``entries`` record as made from it as
    it is now, when there is one and the mode takes it (:func:`_recorded_suffix`), else
    :meth:`JobMode.output_suffix`, which may open the file.

    A rerun over a folder of 16,000 small files spent about 3 s opening each to tell a
    still from an animation, for the names its manifest already held.

    Raises
    ------
    ExcludeAdviceError
        When the options refuse some inputs that ``exclude_pattern`` could leave out
        (``ext="same"`` of JPEGs): the first, naming the patterns of every one refused
        alike, so that one rerun gets past them (``A.JPG`` then ``b.jpeg`` were refused
        in turn).
    """
    if mode.suffix_for is None:
        return [mode.suffix] * len(inputs)
    recorded = _suffixes_on_record(mode, entries, dst)
    suffixes: list[str] = []
    refused: list[ExcludeAdviceError] = []
    for path, source in zip(inputs, sources, strict=True):
        try:
            suffixes.append(_recorded_suffix(mode, path, options, recorded.get(source, ()))
                            or mode.output_suffix(path, options))
        except ExcludeAdviceError as exc:
            refused.append(exc)
    if refused:
        raise refused[0].joined(refused[1:])
    return suffixes


def _suffixes_on_record(mode: JobMode, entries: Mapping[str, Entry], dst: Path
                        ) -> dict[str, list[tuple[str, Entry]]]:
    """The extension of each finished output ``entries`` record (a manifest of ``dst``) as
    made by ``mode`` from one input whose stamp they hold, with its entry, by that input's
    :func:`~quantize.batch.manifest.source_key`."""
    if mode.keeps_suffix is None:
        return {}
    found: dict[str, list[tuple[str, Entry]]] = {}
    for key, entry in entries.items():
        if entry.pending or entry.input is None or not mode.made_alike(entry.settings):
            continue
        if (source := source_of(entry, dst)) is not None:
            found.setdefault(source, []).append((PurePath(key).suffix, entry))
    return found


def _recorded_suffix(mode: JobMode, path: Path, options: Mapping[str, Any],
                     recorded: Sequence[tuple[str, Entry]]) -> str | None:
    """The extension of the outputs ``recorded`` (each with its entry) as made from
    ``path`` as it is now, a regular file of the size and modification time their stamps
    give, that ``mode`` takes as this run's (:attr:`JobMode.keeps_suffix`); None when
    there is none, or they differ: the file is then looked at. A file replaced since (a
    still by an animation) differs in size or time, as
    :func:`~quantize.batch.manifest.input_changed` takes it."""
    keeps = mode.keeps_suffix
    if not recorded or keeps is None:
        return None
    try:
        st = os.stat(path)
    except OSError:
        return None
    if not stat.S_ISREG(st.st_mode):
        return None
    kept = {suffix for suffix, entry in recorded
            if entry.input is not None and entry.input.get("size") == st.st_size
            and entry.input.get("mtime_ns") == st.st_mtime_ns
            and keeps(path, options, entry, suffix)}
    return kept.pop() if len(kept) == 1 else None


def _gone_since(mode: JobMode, entry: Entry | None, path: Path, out: Path) -> str:
    """Why the file ``path`` is made again whose output ``out`` is not there (or, for a
    folder, not whole), as ``entry`` (the output's) records it: :data:`OUTPUT_DELETED` (or
    :data:`OUTPUT_PART_DELETED` for a folder still there) for an output a run finished, or
    :data:`INPUT_CHANGED` when its input changed since too; "" when no run finished it (no
    entry, pending, or none kept as larger than its input). Assumes ``out`` is not there."""
    if entry is None or entry.pending or LARGER in entry.record or MISSED in entry.record:
        return ""
    if input_changed(entry.input, path):
        return INPUT_CHANGED
    return OUTPUT_PART_DELETED if mode.makes_folder and out.is_dir() else OUTPUT_DELETED


def _left_pending(mode: JobMode, out: Path) -> str:
    """Why the file whose output ``out`` a stopped run left pending is made again, that
    output being there and that run's (not :func:`_disowned`): :data:`OUTPUT_UNRECORDED`
    when its job finished it, :data:`OUTPUT_UNFINISHED` for a folder without its marker."""
    return OUTPUT_UNRECORDED if os.path.lexists(mode.done_path(out)) else OUTPUT_UNFINISHED


def _paths(outputs: Sequence[tuple[Path, Entry]]) -> list[Path]:
    """The paths of ``outputs``, each given with its manifest entry."""
    return [path for path, _ in outputs]


def _output_there(mode: JobMode, output: Path, entry: Entry | None = None) -> bool:
    """Whether the output of a job writing ``output`` is there: its file, or, for a mode
    that makes a folder, its marker or any file its job writes (one not made by a run on
    record, such as a user's own ``labels.png``, is not written over without force). A
    folder on record as finished (``entry``) is there only whole: one that lost a file its
    job wrote (the ``outputs`` of its record) is made again, as a deleted file is. A folder
    where a mode that writes a file writes it is no output: its job fails, naming it."""
    if not mode.makes_folder:
        return output.exists() and not output.is_dir()
    if entry is not None and not entry.pending and "outputs" in entry.record:
        return all(os.path.isfile(output / name) for name in entry.record["outputs"])
    return mode.done_path(output).exists() or any(
        os.path.lexists(p) for p in mode.written_files(output))


def _output_size(mode: JobMode, output: Path, entry: Entry | None) -> int | None:
    """The size of the file output ``output`` when it is not the size its job wrote
    (``bytes_out`` of ``entry``'s record): emptied (0), or changed since, by hand or by an
    optimiser; None when it is as written, or one recorded without its size. A folder
    output is 0 when one of the files its record names (``outputs``) was emptied, else
    None: its files' sizes are not recorded."""
    if mode.makes_folder:
        return 0 if _emptied_file_in(output, entry) else None
    size = entry.record.get("bytes_out") if entry is not None else None
    if not isinstance(size, int):
        return None
    try:
        now = os.stat(output).st_size
    except OSError:
        return None
    return None if now == size else now


def _emptied_file_in(folder: Path, entry: Entry | None) -> bool:
    """Whether a file the job wrote into the folder output ``folder``, as ``entry``'s record
    names them, is there and empty (a missing one is seen as no output at all)."""
    names = entry.record.get("outputs") if entry is not None else None
    for name in names if isinstance(names, list) else ():
        try:
            if isinstance(name, str) and os.stat(folder / name).st_size == 0:
                return True
        except OSError:
            continue
    return False


def _disowned(mode: JobMode, output: Path) -> bool:
    """Whether a file is at ``output``, which a stopped run left pending, that is not known
    to be the one its job finished there (:func:`~quantize.batch.manifest.marked_written`):
    put there since, written by a job the run was killed in, or finished by one whose
    record and mark could not be written. A folder output without its marker (a job
    stopped half-way) is the run's, unfinished; so is one whose marker is a link that
    leads nowhere (the file it led to removed first by that job: it writes through it)."""
    done = mode.done_path(output)
    there = os.path.exists(done) if mode.makes_folder else os.path.lexists(done)
    return there and not marked_written(done)


def _without_unread_lines(dst: Path, manifest: Manifest, mode: str) -> Manifest:
    """The manifest of ``dst`` (``manifest``, as read for ``mode``, holding lines that
    cannot be read) once kept as it was beside it and rewritten without those lines, and
    say so (:class:`~quantize.batch.manifest.ManifestUnreadableWarning`); ``manifest`` as
    it is, and said so, when that cannot be done."""
    path = dst / MANIFEST_NAME
    try:
        copy = compact_manifest(dst, manifest)
    except OSError as exc:
        why = exc.reason if isinstance(exc, OutputError) else (exc.strerror or str(exc))
        warn_caller(ManifestUnreadableWarning(path, manifest.n_unread, not manifest.unreadable,
                                              why=why))
        return manifest
    if copy is not None:  # (None: written anew since it was read, without such lines)
        warn_caller(ManifestUnreadableWarning(path, manifest.n_unread, not manifest.unreadable,
                                              copy))
    return load_manifest(dst, mode)


def _forced_run(manifest: Manifest, settings: Mapping[str, Any]) -> ForcedRun | None:
    """The run with force that stopped before it finished, as ``manifest`` records it, when
    it made its outputs with ``settings`` (another run's are redone), else None."""
    forced = manifest.forced
    return forced if forced is not None and dict(forced.settings) == dict(settings) else None


def _earlier_outputs(recorded: Mapping[str, Entry], inputs: Sequence[Path],
                     sources: Sequence[str], outputs: tuple[Sequence[Path], Sequence[str]],
                     dst: Path, mode: JobMode,
                     unsearched: Sequence[Path] = ()
                     ) -> tuple[dict[Path, list[tuple[Path, Entry]]], list[tuple[Path, Entry]],
                                list[tuple[Path, Entry]], list[Path], list[Path]]:
    """The outputs ``recorded`` in the manifest of ``dst`` that this plan does not name
    (names compared ignoring case as a case-insensitive volume does), in one pass, the
    ``inputs`` named as the manifest names them in ``sources`` (:func:`source_key`), and
    ``outputs`` the plan's outputs with their names in the manifest
    (:func:`~quantize.batch.manifest.manifest_key`):

    - those made from one of ``inputs`` under another name than its output in
      ``outputs``, which are still there as ``mode`` makes outputs (:func:`_made_so`),
      and are no input of the plan: by that output, for the run to replace;
    - those made from a file that is none of ``inputs``, still there, and those a stopped
      run left pending under a name this plan does not give, still there (that run's,
      unfinished): sorted, left alone;
    - the recorded outputs whose :attr:`~quantize.batch.manifest.Entry.unclaimed` is not
      what this plan finds (an output unclaimed for the first time, or made from a file
      that is among ``inputs`` again), for the run to record it so;
    - the outputs left pending under a name this plan does not give, not there: for the
      run to take out of the manifest;
    - those left pending under such a name where a file is that the stopped run did not
      finish there (:func:`_disowned`): a file of no record, left alone, for the run to
      take their entries out of the manifest.

    Only names below ``dst`` count (the manifest is plain text in the output folder: a
    name with ".." or a hidden part is ignored), and only outputs made from one input. An
    output made from a file under one of the folders ``unsearched`` (that could not be
    listed, a link not followed) is none of these, nor one made from a file of
    ``unsearched`` itself (a link to a file outside the input folder, unread): whether its
    input is there is not known, and ``--remove-orphans`` removed the outputs of a
    sub-folder that failed to list.
    """
    if not recorded:
        return {}, [], [], [], []
    paths, keys = outputs
    mine = dict(zip(sources, paths, strict=True))
    hidden = tuple(source_key(dst, folder) + "/" for folder in unsearched)
    unread = {source_key(dst, path) for path in unsearched}
    planned = {folded_name(PurePath(key)): (out, key)
               for out, key in zip(paths, keys, strict=True)}
    given = {absolute_path(path) for path in inputs}
    renamed: dict[Path, list[tuple[Path, Entry]]] = {}
    unclaimed, flagged, dropped, disowned = [], [], [], []
    for key, entry in recorded.items():
        source = source_of(entry, dst)
        if source is None or not _plain_key(key) or not mode.made_alike(entry.settings):
            continue  # not one of this mode's: another mode's batch into the same folder
        if source.startswith(hidden) or source in unread:  # not looked for
            continue
        old = dst / key
        if entry.pending and not _planned_here(key, old, planned):  # never finished
            if not os.path.lexists(old):
                dropped.append(old)
            elif _disowned(mode, old):  # not the file that run wrote there: of no record
                disowned.append(old)
            else:  # that run's, also a folder without its marker: an orphan now
                unclaimed.append((old, entry))
                if not entry.unclaimed:
                    flagged.append((old, entry))
            continue
        if entry.unclaimed and source in mine:  # its input is back
            flagged.append((old, entry))
        if _planned_here(key, old, planned):
            continue
        if source not in mine:
            if os.path.lexists(mode.done_path(old)):
                unclaimed.append((old, entry))
                if not entry.unclaimed:
                    flagged.append((old, entry))
        elif absolute_path(old) not in given and _made_so(mode, old):
            renamed.setdefault(mine[source], []).append((old, entry))
    return (renamed, sorted(unclaimed, key=lambda item: item[0]), flagged, sorted(dropped),
            disowned)


def _planned_here(key: str, old: Path, planned: Mapping[str, tuple[Path, str]]) -> bool:
    """Whether the recorded output ``old`` (manifest ``key``) is one of the outputs
    ``planned`` (by folded name, each with its manifest key): the same name, or one
    differing in case or Unicode form only where the volume takes both for one file
    (``A.png`` once ``a.png`` is planned, on macOS). Where it does not (Linux), the two are
    two files, and ``old`` is not planned."""
    twin = planned.get(folded_name(PurePath(key)))
    if twin is None or twin[1] == key:
        return twin is not None
    return same_file(old, twin[0])  # False when either is not there


def _pending(entry: Entry | None) -> bool:
    """Whether ``entry`` is of an output a run was making and did not record (killed)."""
    return entry is not None and entry.pending


def _made_so(mode: JobMode, output: Path) -> bool:
    """Whether ``output`` is there as ``mode`` makes outputs: a folder holding its marker,
    or a file (not a folder: the output of another mode's batch into the same folder)."""
    if mode.makes_folder:
        return os.path.lexists(mode.done_path(output))
    return os.path.lexists(output) and not os.path.isdir(output)


def _plain_key(key: str) -> bool:
    """Whether a manifest ``key`` names a path below the output folder (no "..", not
    absolute, no hidden part such as the manifest)."""
    parts = PurePath(key).parts
    return bool(parts) and not PurePath(key).is_absolute() and not any(
        part in ("", "..") or part.startswith(".") for part in parts)


def _larger_on_record(mode: JobMode, options: Mapping[str, Any], path: Path, output: Path,
                      entry: Entry | None) -> bool:
    """Whether, with ``skip_if_larger`` among ``options``, the file ``output`` is one a run
    without it recorded (``entry``) as made larger than its input (:func:`made_larger`),
    from ``path`` as it is now, and is there as written: the job of a run with the
    option removes it (:func:`~quantize.batch.run.run_batch`). Not an output changed since
    (an optimiser's)."""
    return (entry is not None and bool(options.get("skip_if_larger")) and not mode.makes_folder
            and made_larger(entry.record) and _output_size(mode, output, entry) is None
            and os.path.isfile(output) and not input_changed(entry.input, path))


def _still_larger(entry: Entry | None, path: Path, options: Mapping[str, Any],
                  settings: Mapping[str, Any], output: Path | None = None) -> FileResult | None:
    """Whether a file need not be run again: an earlier run with these settings found it
    larger than its input once reduced and kept what it had (``skip_if_larger``: no output,
    or ``output``, a stale one, under this name or under another its output would have
    replaced, as :func:`~quantize.batch.run.run_batch` settled it), and
    its input has not changed since. Then it is that run's result again (recorded in
    ``entry``, still said to be larger, and stale), else None: the file is a job, also
    with ``copy_if_larger``, whose job writes the input's bytes for such a result."""
    if (entry is None or LARGER not in entry.record or not options.get("skip_if_larger")
            or options.get("copy_if_larger")
            or dict(entry.settings) != dict(settings) or input_changed(entry.input, path)):
        return None
    return FileResult.larger(path, output, entry.record)


def _still_missed(entry: Entry | None, path: Path, settings: Mapping[str, Any]
                  ) -> FileResult | None:
    """Whether a file need not be tried again: an earlier run with these settings found its
    quality (or size budget) out of reach (:data:`~quantize.batch.results.MISSED`, no
    output), and its input has not changed since; the search is seeded, so it would miss
    again. Then it is skipped as so (:meth:`~quantize.batch.results.FileResult.missed`,
    exit code ``QUALITY``, as then), else None: the file is a job."""
    if (entry is None or MISSED not in entry.record or entry.pending
            or dict(entry.settings) != dict(settings) or input_changed(entry.input, path)):
        return None
    return FileResult.missed(path, entry.record)


def _unlisted(exc: OSError) -> FileResult:
    """A sub-folder that could not be listed: failed, so that its images are not lost unseen;
    a folder, not a file (:data:`~quantize.batch.results.NOT_LISTED`)."""
    return FileResult(Path(exc.filename), None, "failed",
                      f"cannot list this folder ({exc.strerror or exc}); "
                      "the files in it were not processed", {NOT_LISTED: True},
                      exit_code=ExitCode.FAILED, failure="unreadable_input")


def _not_followed(link: Path) -> FileResult:
    """A symbolic link to a folder: skipped, and said, so that its images are not lost unseen."""
    return FileResult(link, None, "skipped", f"symbolic link to a folder "
                      f"({quoted(os.readlink(link))}), not followed; the files in it were not "
                      "processed (run the batch on its target to process them)",
                      {NOT_SEARCHED: True}, skipped="folder")


def _leads_outside(link: Path) -> FileResult:
    """A symbolic link to a file outside the input folder (:func:`_leading_out`): skipped,
    unread, and said, as a link to a folder is not followed: a link planted in a folder of
    uploads must not have a file elsewhere read (``/etc/passwd``)."""
    return FileResult(link, None, "skipped", f"symbolic link to a file outside the input "
                      f"folder ({quoted(os.readlink(link))}), not read; links are followed "
                      "only within the input folder (copy the file in to process it)",
                      skipped="link")


def _outputs_left(folder: Path) -> FileResult:
    """A sub-folder of quantize's outputs: skipped, and said. A segment's images are region
    maps of a photo, not photos to process; an earlier batch's are its results, which
    this one would reduce again (``batch photos -r -o photos/small``, then ``-o
    photos/small64``: ``photos/small64/small/``)."""
    if (folder / MANIFEST_NAME).is_file():
        return FileResult(folder, None, "skipped", f"a folder of an earlier quantize batch's "
                          f"outputs (it holds {MANIFEST_NAME}), not searched: name it as "
                          "INPUT_DIR to process its images", {NOT_SEARCHED: True},
                          skipped="folder")
    return FileResult(folder, None, "skipped", "a folder of quantize segment's outputs (it "
                      "holds labels.png and segments.json), not searched: its images are "
                      f"region maps, not photos{_images_among_outputs(folder)}",
                      {NOT_SEARCHED: True}, skipped="folder")


def _images_among_outputs(folder: Path) -> str:
    """What the skip of a folder of segment's outputs adds of the images in it (and in
    its sub-folders) that are not segment's: a photo's folder that ``segment -o`` wrote
    into (which it now refuses) had them left out unseen. Empty when there are none."""
    from ..segment_file import foreign_entries

    extensions = image_extensions()
    count = 0
    for name in foreign_entries(folder):
        path = folder / name
        if path.is_dir() and not path.is_symlink():
            count += sum(1 for _, _, files in os.walk(path) for f in files
                         if not f.startswith(".") and Path(f).suffix.lower() in extensions)
        elif Path(name).suffix.lower() in extensions:
            count += 1
    if not count:
        return ""
    images = "1 image file" if count == 1 else f"{count:,} image files"
    return (f"; {images} in it that segment did not write {'was' if count == 1 else 'were'} "
            "not processed either (move segment's outputs out of it to have them "
            "processed)")


# What a file that is neither regular nor a folder is, by its stat mode.
_SPECIAL_KINDS = ((stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISSOCK, "a socket"),
                  (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"))


def _kept_there(mode: JobMode, result: FileResult, kept: Path, output_dir: Path,
                entries: Mapping[str, Entry], disowned: Sequence[Path]) -> FileResult:
    """``result``, of a file that failed, with the output ``kept`` that is there, left in
    place: an output the manifest ``entries`` record (finished, or written by a run killed
    before it recorded it, not one of the ``disowned``) is an earlier run's, said to be stale
    (:func:`~quantize.batch.results.stale_kept`); any other file there, which only
    ``force`` planned to replace, is of no record
    (:func:`~quantize.batch.results.unrecorded_kept`)."""
    if _of_record(mode, kept, output_dir, entries, disowned):
        return stale_kept(result, kept)
    return unrecorded_kept(result, kept)


def _of_record(mode: JobMode, kept: Path, output_dir: Path, entries: Mapping[str, Entry],
               disowned: Sequence[Path]) -> bool:
    """Whether the output ``kept`` that is there is an earlier run's: the manifest
    ``entries`` record it (finished, or written by a run killed before it recorded it: the
    file its job marked, :func:`_disowned`, which a plan with ``force`` does not ask), and it
    is not one of the ``disowned``."""
    entry = entries.get(manifest_key(output_dir, kept))
    return (entry is not None and kept not in disowned
            and not (entry.pending and _disowned(mode, kept)))


def _palette_in_image(path: Path, options: Mapping[str, Any]) -> FileResult | None:
    """``path``, found by the search, when it is the ``palette_in`` image of ``options``
    (a palette kept beside the images it is for): skipped, and said, as every image is
    mapped onto it; None for any other file."""
    given = options.get("palette_in")
    if not isinstance(given, str | os.PathLike) or not same_file(path, given):
        return None
    return FileResult(path, None, "skipped", "the palette image every file is mapped onto; "
                      "not reduced itself", skipped="palette_in")


def _not_regular(path: Path) -> FileResult | None:
    """A listed name that is a pipe, socket or device: skipped, unopened (reading it may wait
    for a writer forever), and said; None for anything else (a regular file, a link to one,
    a name that has gone, which its job reports)."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return None
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    kind = next((name for test, name in _SPECIAL_KINDS if test(mode)), "a special file")
    return FileResult(path, None, "skipped", f"{kind}, not a regular file; not read",
                      skipped="special")


def _name_too_long(out: Path, done: Path) -> str | None:
    """Why the system cannot take the name of ``out`` (whose job leaves ``done``), or None.

    Looking up such a name fails ("File name too long"), which, once the output folder
    exists, ended the whole plan; it is the failure of that one file. The reason starts
    with ``out``, as a job's failure names the output it is about.
    """
    try:
        check_name_length(out, remedy="shorten the name of the input it is made from: a batch "
                                      "names each output after its input")
        os.lstat(done)
    except OutputError as exc:
        return f"{out}: {exc.reason}"
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG:
            return (f"{out}: path too long for the system ({len(os.fsencode(str(done)))} "
                    "bytes); choose an output folder with a shorter path")
    return None


def _stream_output(mode: JobMode, out: Path) -> str | None:
    """Why a file the job for ``out`` writes cannot be written, when one is a pipe, device
    or socket (:data:`~quantize.io.STREAM_OUTPUT`), else None. Without force such a name
    was taken for an output of no record and skipped; with force its job failed. Left in
    place either way, never opened: a FIFO's reader would be left waiting. The reason
    starts with that file, as a job's failure names the output it is about."""
    stream = next((p for p in mode.written_files(out) if is_stream(p)), None)
    return None if stream is None else f"{stream}: {STREAM_OUTPUT}"


def _link_onto_an_input(mode: JobMode, out: Path, inputs: Sequence[Path],
                        input_ids: dict[tuple[int, int], Path]) -> str | None:
    """Why the job for ``out`` must not run when a file it writes is a link to one of
    ``inputs`` (an output is written through a link, which would overwrite that input),
    force or not; else None. ``input_ids`` holds the inputs by device and inode
    (:func:`_file_id`), filled at the first link met: most folders hold none."""
    for path in mode.written_files(out):
        if not os.path.islink(path) or (there := _file_id(path)) is None:
            continue
        if not input_ids:
            input_ids.update((key, src) for src in inputs
                             if (key := _file_id(src)) is not None)
        if (src := input_ids.get(there)) is not None:
            return (f"{path}: is a link to the input {quoted(src)}, which is never overwritten "
                    "(not even with force=True); remove the link, or choose another output "
                    "folder")
    return None


def _outputs_landing_together(mode: JobMode, inputs: Sequence[Path],
                              outputs: Sequence[Path]) -> dict[Path, str]:
    """Why the job of each output in ``outputs`` (of ``inputs``) must not run when a file
    it writes lands on one an earlier job writes, through a symbolic link at either name
    (:func:`~quantize.io.shared_landing`): the later would replace the earlier's, both
    said "ok". By output; the first job landing there runs. Without a link among the
    files written, no file is looked at further (one ``lstat`` each)."""
    files = [(path, out, written) for path, out in zip(inputs, outputs, strict=True)
             for written in mode.written_files(out)]
    if not any(os.path.islink(written) for _, _, written in files):
        return {}
    why: dict[Path, str] = {}
    for later, earlier in shared_landing(written for _, _, written in files).items():
        (_, out, path), (first, other, there) = files[later], files[earlier]
        if out != other:  # one job's files: its own job refuses them
            why.setdefault(out, f"{path} and {there} (the output of {quoted(first)}) are "
                                "one file through a link, where one would replace the "
                                "other; remove the link")
    return why


def _link_into_the_search(mode: JobMode, out: Path, src: Path, dst: Path, recursive: bool,
                          pattern: str | None) -> str | None:
    """Why the job for ``out`` must not run when a file it writes is a link to a file that
    is no input yet but that a rerun would take as one (:func:`would_be_found`: a new
    name in the input folder ``src``), force or not; else None. Written through the
    link, an output there would be reduced again by the next run."""
    for path in mode.written_files(out):
        if not os.path.islink(path):
            continue
        landing = landing_path(path)
        if would_be_found(landing, src, dst, recursive=recursive, pattern=pattern):
            return (f"{path}: is a link to {quoted(os.readlink(path))}, which lies in the "
                    f"input folder {quoted(src)}: a rerun would read the output written "
                    "there as an input; remove the link, or choose another output folder")
    return None


def _link_to_nothing(path: Path) -> str | None:
    """Where ``path`` leads when it is a link to a missing file (a job would write that
    file through the link, as reduce refuses to without force), in words
    (:func:`~quantize.io.link_to_nothing_words`), else None."""
    if path.is_symlink() and not path.exists():
        return link_to_nothing_words(path)
    return None


def _skipped(path: Path, out: Path, entry: Entry | None, finishing: bool = False,
             size: int | None = None, skip_if_larger: bool = False) -> FileResult:
    """A finished file, with the record of the run that made its output when there is one;
    ``finishing``: made by the stopped run with force that this one finishes. ``size``: the
    output's size when it changed since that run wrote it (:func:`_output_size`), which the
    reason then says, as the record's figures describe the output as it was made. Such an
    output is kept, not made again: an optimiser run over the outputs must not be undone;
    with ``skip_if_larger``, when it is now larger than its input (as it was when the
    record was made: the caller checked that the input did not change), the record says
    so (:data:`~quantize.batch.results.EDITED_LARGER`), not being the output a run made
    for the option to remove."""
    if entry is None:
        return FileResult(path, out, "skipped", NO_RECORD, skipped="no_record")
    reason = FINISHED if finishing else "output exists"
    record = dict(entry.record)
    if size is not None:
        made = entry.record["bytes_out"]
        reason += (f"; {OUTPUT_EDITED} ({size:,} bytes, {made:,} as made), and its figures "
                   "are those it was made with (force=True makes it again)")
        size_in = entry.record.get("bytes_in")
        if skip_if_larger and isinstance(size_in, int) and size > size_in:
            record[EDITED_LARGER] = size
    return FileResult(path, out, "skipped", reason, record, skipped="done")


def _held_by_other_mode(mode: JobMode, path: Path, out: Path, entry: Entry | None,
                        older: Sequence[tuple[Path, Entry]] = ()) -> FileResult | None:
    """A file whose output's name holds, as ``entry`` records it, an output that a batch in
    another mode made in the same folder (``x.png``, reduced, where segment mode makes the
    folder ``x.png/`` of an ``x.png`` beside a sub-folder ``x/``): failed (``EXISTS``), as
    neither can take the other's place nor its record, also with force, with no output of
    its own (that one is not its, for a run to clean up after), and each of its outputs
    under another name (``older``, as :func:`_taken` has them) left in place, under
    :data:`~quantize.batch.results.NOT_REMOVED` with why; else None."""
    if entry is None or mode.made_alike(entry.settings) or not os.path.lexists(out):
        return None
    kind = "folder" if mode.makes_folder else "file"
    why = f"{out}, the name of this file's output now, holds the output of another mode"
    return FileResult(path, None, "failed", f"{out} is the output of a batch in another mode "
                      f"into this folder, where this {mode.name} batch would write its {kind}; "
                      "neither is overwritten, not even with force=True: write the "
                      f"{mode.name} outputs into another output folder",
                      {NOT_REMOVED: {str(old): why for old, _ in older}} if older else {},
                      exit_code=ExitCode.EXISTS)


def _taken(path: Path, out: Path, older: Sequence[tuple[Path, Entry]]) -> FileResult:
    """A file whose output's name is held by a file of no record, while an earlier run
    recorded its output under another name (``older``, an animation that became a still):
    that file is not known to be its output, so it is neither taken for one (skipped) nor
    overwritten, and the earlier output is not removed. Failed (``EXISTS``, as an output
    that exists without force), the reason naming that file, and each earlier output,
    left in place, under :data:`~quantize.batch.results.NOT_REMOVED` with why.
    """
    names = ", ".join(str(old) for old, _ in older)
    reason = (f"{out} exists with no record of the run that made it, so it is neither taken "
              f"for this file's output nor overwritten (an earlier run made that as {names}); "
              f"remove {out}, or use force=True, to make it there")
    why = f"{out}, the name of this file's output now, holds a file of no record"
    return FileResult(path, out, "failed", reason, {NOT_REMOVED: {str(old): why
                                                                  for old, _ in older}},
                      exit_code=ExitCode.EXISTS)


def _map_outputs(inputs: Sequence[Path], src: Path, dst: Path,
                 suffixes: Sequence[str]) -> list[Path]:
    """``dst/<relative folder>/<stem><suffix>``, each input with its output's ``suffixes``;
    inputs sharing an output name keep their extension. A 9-patch keeps its ``.9.png`` at
    the end of a PNG output's name (:func:`~quantize.names.output_parts`): ``btn.9.png``
    with ``--ext .q.png`` becomes ``btn.q.9.png``.

    ``a.jpg`` and ``a.png`` in one folder would both become ``a.png``: they
    become ``a.jpg.png`` and ``a.png.png`` instead (folders ``a.jpg``, ``a.png``
    in segment mode). So does an input whose output would be named as a folder the
    outputs mirror: in segment mode ``a.jpg`` beside a sub-folder ``a/`` becomes
    ``a.jpg/``, not a folder shared with ``a/``'s outputs; in reduce mode ``b.jpg``
    beside a sub-folder ``b.png/`` becomes ``b.jpg.png``, not a file where that folder
    is. When that name too is a mirrored folder's or another input's output's, it is
    numbered (:func:`_numbered`: ``a.jpg-2``). Names are compared ignoring case, as a
    case-insensitive output volume (macOS,
    Windows, most USB sticks) compares them: ``A.jpg`` and ``a.png`` become
    ``A.jpg.png`` and ``a.png.png``; and ignoring Unicode normalization, as macOS does
    (see :func:`~quantize.io.folded_name`).
    """
    rels = [p.relative_to(src) for p in inputs]
    plain = [r.with_name("".join(output_parts(r, s))) for r, s in zip(rels, suffixes, strict=True)]
    counts: dict[str, int] = {}
    for r in plain:
        counts[folded_name(r)] = counts.get(folded_name(r), 0) + 1
    for folder in {folded_name(f) for r in rels for f in r.parents if f.parts}:
        if folder in counts:  # an output named as a mirrored folder: not alone in its name
            counts[folder] += 1
    mapped = [r if counts[folded_name(r)] == 1 else rel.with_name(rel.name + s)
              for r, rel, s in zip(plain, rels, suffixes, strict=True)]
    mapped = _numbered(mapped, plain, rels, suffixes)
    seen: dict[str, tuple[Path, PurePath]] = {}
    for r, path in zip(mapped, inputs, strict=True):
        if (key := folded_name(r)) in seen:
            first, other = seen[key]
            raise ValueError(f"{path}: maps to the same output file as {first}: "
                             f"{one_file_names(str(dst / other), str(dst / r))}; "
                             "rename one of them")
        seen[key] = path, r
    return [dst / r for r in mapped]


def _numbered(mapped: Sequence[PurePath], plain: Sequence[PurePath], rels: Sequence[PurePath],
              suffixes: Sequence[str]) -> list[PurePath]:
    """``mapped``, each output named with its input's extension (not its ``plain`` name)
    whose name is still that of a folder the outputs mirror, or of another input's output,
    numbered instead: ``a.jpg-2`` (``a.jpg-2.png``), the first number from 2 that names no
    output and no mirrored folder. A file ``a.jpg`` beside the folders ``a/`` and ``A.JPG/``
    (one folder on a case-insensitive volume) wrote its region maps among ``A.JPG/``'s outputs.
    Names are compared as :func:`~quantize.names.folded_name` folds them.
    """
    folders = {folded_name(f) for r in rels for f in r.parents if f.parts}
    kept = {folded_name(r) for r, first in zip(mapped, plain, strict=True) if r == first}
    taken = folders | {folded_name(r) for r in mapped}
    named = []
    for r, first, rel, suffix in zip(mapped, plain, rels, suffixes, strict=True):
        if r != first and (folded_name(r) in folders or folded_name(r) in kept):
            n = 2
            while folded_name(r := rel.with_name(f"{rel.name}-{n}{suffix}")) in taken:
                n += 1
            taken.add(folded_name(r))
        named.append(r)
    return named


def _check_no_collision(jobs: Sequence[tuple[Path, Path]], src: Path, dst: Path,
                        mode: JobMode, search: tuple[bool, Selection], excluded: Path | None,
                        shared_palette: bool = False) -> None:
    """Refuse any output file (``jobs``: each input with its output) that a search of
    ``src`` (``recursive``, ``chosen``: its ``search``) would list, now or on a rerun.

    That covers an output replacing an input. For folder outputs, the marker
    stands for every file of the folder. The error names the file written there that the
    search would take as an input, as it takes its inputs (:class:`Selection`: by
    pattern, else by extension), the ``shared_palette``'s file among them; or, when it
    takes none, says that the patterns leave them out (others may not); or the output
    that would replace its input. It says how the folders overlap, and which to choose
    instead (:func:`_overlap`).
    """
    recursive, chosen = search
    root = resolved_path(src)
    skip = resolved_path(excluded) if excluded is not None else None
    folders: dict[str, str] = {}  # the outputs lie in a few folders, each resolved once
    for path, out in jobs:
        written = mode.done_path(out)
        # where the job writes it: a link of its name is replaced, not the file it leads to
        if _would_be_listed(Path(written_path(written, folders)), root, recursive, skip):
            palette = dst / SHARED_PALETTE_NAME
            files = mode.written_files(out) + ([palette] if shared_palette else [])
            read = _first_selected(files, root, chosen)
            what = (f"output {quoted(out)} would replace its input" if _replaces(out, path)
                    else _read_there(mode, out, read, palette, chosen))
            raise ValueError(_overlap(src, dst, mode.name, what))


def _replaces(output: Path, path: Path) -> bool:
    """Whether writing ``output`` would replace the input ``path``: the same file."""
    found = _file_id(path)
    return found is not None and _file_id(output) == found


def _overlap(src: Path, dst: Path, mode: str, what: str) -> str:
    """The error of an output folder ``dst`` whose outputs would be written among the inputs
    in ``src`` as ``what`` says, for a batch in ``mode`` ("reduce", "segment"): how the
    folders overlap (``dst`` is ``src``, or a link to it; holds it; or leads into it
    another way, by a sub-folder that is a link), and what to choose instead, a folder
    beside ``src`` or one inside it (which the search leaves out).

    >>> error = _overlap(Path("x4"), Path("x4"), "reduce", "...")
    >>> error.split(": ")[0], error.split("; ")[1]
    ("output_dir='x4' is input_dir='x4' itself", "choose another output folder, e.g. \
output_dir='x4-reduced' or output_dir='x4/reduced'")
    """
    named = src if src.name else resolved_path(src)
    word = {"reduce": "reduced", "segment": "segments"}.get(mode, "out")
    instead = (f"e.g. output_dir={quoted(named.parent / f'{named.name}-{word}')} or "
               f"output_dir={quoted(src / word)}")
    if resolved_path(dst) == resolved_path(src):
        how, advice = "is input_dir={} itself", "choose another output folder"
    elif _is_within(src, dst):
        how, advice = ("holds input_dir={}",
                       "choose an output folder that does not hold the input folder")
    else:
        how, advice = "overlaps input_dir={}", "choose an output folder outside the input folder"
    return (f"output_dir={quoted(dst)} {how.format(quoted(src))}: outputs would be written "
            f"among the inputs ({what}); {advice}, {instead}")


def _read_there(mode: JobMode, output: Path, read: Path | None, palette: Path,
                chosen: Selection) -> str:
    """What of the files a job writes for ``output`` in the folder searched the search
    would read: ``read``, the first it takes (the shared ``palette`` too), else none: the
    output named, and that the patterns ``chosen`` leave it out (others may not)."""
    if read is not None:
        what = "the shared palette" if read == palette else "output"
        return f"{what} {quoted(read)} would be read as an input"
    left = "" if not chosen else (f", which {chosen} leaves out, but other patterns, or "
                                  "none, may not")
    return f"output {quoted(_image_written(mode, output))}{left}"


def _first_selected(files: Sequence[Path], root: Path, chosen: Selection) -> Path | None:
    """The first of ``files`` (each where it is written, in ``root``, the resolved input
    folder) that a search of ``root`` listing it takes as an input (``chosen``)."""
    return next((path for path in files
                 if chosen.takes(Path(written_path(path)).relative_to(root))), None)


def _image_written(mode: JobMode, output: Path) -> Path:
    """The file of the job for ``output`` that a search takes as an input: ``output``
    itself, or the first image written in a folder (segment's ``labels.png``), not its
    marker (``segments.json``), which no search takes by its extension."""
    if not mode.makes_folder:
        return output
    extensions = image_extensions()
    return next((path for path in mode.written_files(output)
                 if path.suffix.lower() in extensions), mode.done_path(output))


def _check_no_photos_left_out(src: Path, dst: Path, chosen: Selection) -> None:
    """Refuse an output folder inside the tree searched that holds files the search would
    take as inputs (``chosen``: by extension, or by pattern), unless an earlier batch's manifest (or
    segment's files) says they are quantize's outputs (:func:`_holds_outputs`).

    The search leaves the output folder out, so those photos were silently not processed,
    and each input of the same name as one of them took it for its output: skipped as of
    no record, and replaced with ``force``. Its hidden files, links to folders and
    sub-folders of outputs are passed over, as the search passes them over.
    """
    if not dst.is_dir() or _holds_outputs(dst):  # new, or a rerun into an earlier batch's
        return
    under = resolved_path(dst).relative_to(resolved_path(src))  # as the search of ``src`` names it
    for path in _walk(dst, True, None, [], ([], [])):
        if chosen.takes(under / path.relative_to(dst)):
            raise ValueError(
                f"output_dir={quoted(dst)} lies inside input_dir={quoted(src)} and holds "
                f"images that no batch made, such as {quoted(path)}: the search leaves them "
                "out, and outputs of the same name would replace them; choose an output "
                "folder outside the input folder, or an empty one")


def _check_no_folder_on_an_input(outputs: Sequence[Path], inputs: Sequence[Path], src: Path,
                                 dst: Path, mode: str) -> None:
    """Refuse an output folder that would be made where an input file is.

    In segment mode ``a.jpg`` and ``a.png`` make the folders ``a.jpg`` and ``a.png``; with
    ``dst`` the input folder those are the inputs themselves, and each job failed on
    finding a file there. :func:`_check_no_collision` checks the marker inside each
    folder, which is never listed, so it does not see them. Files are told apart as the
    system tells them (device and inode): an ``output_dir`` that is a link to
    ``input_dir`` is caught too. ``mode``, the batch's mode name, picks the folders the
    error suggests (:func:`_overlap`).
    """
    files = [(out, path) for out, path in zip(outputs, inputs, strict=True) if out.is_file()]
    if not files:  # the usual case: no output folder's name is held by a file
        return
    found = {_file_id(path) for path in inputs} - {None}
    for out, path in files:
        if _file_id(out) in found:
            raise ValueError(_overlap(src, dst, mode, f"{quoted(path)} would have its output "
                                      f"folder {quoted(out)} made where an input file is"))


def _file_id(path: Path) -> tuple[int, int] | None:
    """The device and inode of ``path`` (links followed), or None when it cannot be read."""
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_dev, st.st_ino


def _would_be_listed(path: Path, root: Path, recursive: bool, skip: Path | None) -> bool:
    """Whether a search of ``root`` would list ``path``; all three resolved (``path``'s
    folders, not its own name: see :func:`~quantize.names.written_path`)."""
    if not path.is_relative_to(root) or (skip is not None and path.is_relative_to(skip)):
        return False
    return recursive or path.parent == root


def _left_out(src: Path, dst: Path) -> Path | None:
    """The output folder when the search of ``src`` leaves it out: inside ``src``, not ``src``."""
    return dst if _is_within(dst, src) and resolved_path(dst) != resolved_path(src) else None


def _is_within(path: Path, folder: Path) -> bool:
    return resolved_path(path).is_relative_to(resolved_path(folder))
