"""One set of k-means classes for a whole segment batch (``batch --shared-classes``).

The fit belongs to :mod:`quantize.classes`; this module drives it across the files of a
plan: it samples every image (locally, one at a time), fits once, saves the classes in
the output folder as ``shared-classes.json`` and returns a plan whose jobs assign their
pixels to them (``classes_in``), so that class ``i`` is the same in every output. A
rerun reuses the saved file, so resumed files match the others. After the run,
:func:`write_class_table` gathers every output's class areas into ``classes.csv``.
"""

from __future__ import annotations

import csv
import io
import json
import os
import stat
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from ..classes import SAMPLES_PER_IMAGE, SharedClasses, check_shared_weights, read_classes
from ..errors import ImageReadError, OutputExistsError, QuantizeError, warnings_held
from ..io import NoDataWarning, folder_made
from ..io.profiles import DEFAULT_INTENT
from ..names import natural_key
from ..segment import fit_classes
from .manifest import SHARED_CLASSES_NAME, load_manifest, record_forced_run, record_output
from .plan import BatchPlan
from .results import FileResult
from .run import check_writable_output
from .shared import (
    check_saved_settings,
    fitted_by_run,
    recorded_outputs,
    remove_unused_shared_file,
)

__all__ = ["CLASS_LEGEND_NAME", "CLASS_TABLE_NAME", "SHARED_CLASSES_NAME", "BatchClasses",
           "classes_assigned", "remove_class_tables", "remove_unused_classes", "shared_classes",
           "write_class_legend", "write_class_table"]

#: The per-file, per-class areas of a shared-classes batch, in its output folder.
CLASS_TABLE_NAME = "classes.csv"
#: Each class's colour and area over the whole folder, in its output folder.
CLASS_LEGEND_NAME = "class-legend.csv"


@dataclass(frozen=True)
class BatchClasses:
    """Shared classes of a segment batch, and the plan that assigns every file to them.

    ``classes`` were saved at ``path`` (None when no file was left to run and none was
    saved); ``n_files`` images were sampled to fit them (0 when
    an earlier run's file was reused); ``left_out``: the inputs that could not be read,
    each with why (one line, as their failure would read), which the classes were fitted
    without; ``plan`` has them too (:attr:`~quantize.batch.BatchPlan.left_out`), for their
    results' reasons to say so; ``seconds``: the wall time of the fit, from the first image
    read to the file saved (0 when none was fitted), which the batch's own time, of its
    files, leaves out.
    """

    classes: SharedClasses | None
    path: Path
    n_files: int
    plan: BatchPlan
    left_out: Mapping[Path, str] = field(default_factory=dict)
    seconds: float = 0.0


def shared_classes(plan: BatchPlan, *, samples_per_file: int = SAMPLES_PER_IMAGE
                   ) -> BatchClasses:
    """Fit k-means classes on feature vectors sampled from every image of a segment plan.

    Each image gives ``samples_per_file`` pixels of its working copy
    (:func:`quantize.segment.fit_classes`, with the plan's ``n_clusters``, weights, space,
    seed, working size and class order); the classes are written to ``OUT_DIR/shared-classes.json``,
    with the files fitted on (``files``, each as a path in the input folder), and
    recorded in the manifest with the plan's settings. A rerun reuses that file
    (unless the plan was made with ``force``, and does not finish the stopped run with
    force that fitted it: :attr:`BatchPlan.finishing`) when it was fitted with the same
    settings,
    and refuses it otherwise. Local only: the images are read in this process.

    Parameters
    ----------
    plan : BatchPlan
        A segment plan made with ``shared_classes=True`` and ``n_clusters``.
    samples_per_file : int
        Pixels drawn from each image.

    Returns
    -------
    BatchClasses
        With a plan whose jobs are given the file (``classes_in=path``).

    Raises
    ------
    ValueError
        If the plan is not such a plan, or its weights give ``xy`` above 0.
    ImageReadError
        If no image could be read (the first failure is named).
    OptionsChangedError
        If the saved classes were fitted with other settings.
    OutputExistsError
        If the saved classes are missing while recorded outputs were assigned to them, or
        were fitted with another ``n_clusters``, weights or space than the plan's (a file
        copied there with no record of its settings), before any file is run.
    """
    _check_plan(plan)
    path = plan.output_dir / SHARED_CLASSES_NAME
    if path.exists() and (not plan.force or fitted_by_run(plan, path)):
        check_saved_settings(plan, path)
        saved = read_classes(path)
        _check_saved_fit(plan, saved, path)
        return BatchClasses(saved, path, 0, _onto(plan, path))
    if not plan.jobs:
        return BatchClasses(None, path, 0, plan)
    if not plan.force:
        _check_none_assigned(plan, path)
    check_writable_output(plan.output_dir)  # not after every file is sampled
    start = time.perf_counter()
    made = [r.input for r in plan.settled if r.status == "skipped" and r.output is not None]
    inputs = [j.input for j in plan.jobs] + made
    left_out: dict[Path, str] = {}
    opts = plan.options
    classes = fit_classes(_readable(inputs, opts, left_out),
                          opts["n_clusters"], weights=opts.get("weights"),
                          space=opts.get("space", "lab"), seed=opts.get("seed"),
                          samples_per_image=samples_per_file,
                          working_size=opts.get("working_size"),
                          class_order=opts.get("class_order", "kmeans"))
    fitted = [_in_folder(p, plan.input_dir) for p in inputs if p not in left_out]
    with folder_made(plan.output_dir):  # not left behind, empty, when the write fails
        classes.save(path, files=fitted)
    n = len(fitted)
    record_output(plan.output_dir, path, plan.settings,
                  {"k": classes.n_clusters, "files": n, "bytes_out": path.stat().st_size},
                  run=plan.run)
    if plan.run is not None:  # a rerun with force that finds it unfinished keeps the classes
        record_forced_run(plan.output_dir, plan.settings, plan.run, plan.mode.name)
    return BatchClasses(classes, path, n, replace(_onto(plan, path), left_out=left_out),
                        left_out, time.perf_counter() - start)


def remove_unused_classes(output_dir: str | os.PathLike[str]
                          ) -> tuple[Path, str | None] | None:
    """Remove the ``shared-classes.json`` an earlier run with shared classes saved in
    ``output_dir`` once no recorded output is assigned to it: a run with ``force`` and no
    shared classes has redone every file, and it describes none of them. As
    :func:`~quantize.batch.remove_unused_palette` does for the palette: only the file as
    that run wrote it, and none some output is still assigned to; returns as it does."""
    return remove_unused_shared_file(output_dir, SHARED_CLASSES_NAME, "shared_classes")


def classes_assigned(output_dir: str | os.PathLike[str]) -> bool:
    """Whether some output recorded in ``output_dir`` was assigned to classes: a batch's
    shared classes (``shared_classes``) or those of a ``classes_in`` file, which the
    folder's ``classes.csv`` and ``class-legend.csv`` describe. False when the manifest
    cannot be read (the run said so).

    >>> import tempfile
    >>> classes_assigned(tempfile.mkdtemp())
    False
    """
    try:
        finished = load_manifest(output_dir, "segment").finished()
    except OSError:
        return False
    return any(entry.settings.get("shared_classes") or entry.settings.get("classes_in")
               for entry in finished.values())


def remove_class_tables(output_dir: str | os.PathLike[str]) -> list[tuple[Path, str | None]]:
    """Remove ``classes.csv`` and ``class-legend.csv`` from ``output_dir``, the tables of an
    earlier run's outputs, once the classes they were assigned to are removed
    (:func:`remove_unused_classes`): they describe outputs made again since, without them.
    Each table there, with why it was left in place (not a regular file, or it cannot be
    removed), or None when it was removed; none for a table that is not there.

    >>> import tempfile
    >>> out = Path(tempfile.mkdtemp()); _ = (out / CLASS_TABLE_NAME).write_text("file")
    >>> [(path.name, why) for path, why in remove_class_tables(out)]
    [('classes.csv', None)]
    """
    found = []
    for name in (CLASS_TABLE_NAME, CLASS_LEGEND_NAME):
        path = Path(output_dir) / name
        if not os.path.lexists(path):
            continue
        try:
            if not stat.S_ISREG(os.lstat(path).st_mode):
                found.append((path, "it is not a file a batch wrote"))
                continue
            path.unlink()
        except OSError as exc:
            found.append((path, f"cannot remove it ({exc.strerror or exc})"))
            continue
        found.append((path, None))
    return found


def _in_folder(path: Path, folder: Path) -> str:
    """``path`` as a path in the input ``folder`` (``sub/a.png``), as given when outside."""
    try:
        return Path(path).relative_to(folder).as_posix()
    except ValueError:
        return str(path)


def _check_plan(plan: BatchPlan) -> None:
    """Refuse a plan that is not a segment plan of shared classes with ``n_clusters``."""
    if plan.mode.name != "segment" or not plan.settings.get("shared_classes"):
        raise ValueError(f"plan of mode {plan.mode.name!r} made without shared_classes=True; "
                         "expected plan_batch(..., segment_mode(), shared_classes=True)")
    if plan.options.get("n_clusters") is None:
        raise ValueError("shared classes without n_clusters: they are k-means classes; "
                         "expected options with n_clusters=K (-k K)")


def _check_saved_fit(plan: BatchPlan, classes: SharedClasses, path: Path) -> None:
    """Refuse saved ``classes`` of another ``n_clusters``, weights or space than the plan's:
    every file would fail on them."""
    opts = plan.options
    asked = {"n_clusters": opts["n_clusters"], "weights": check_shared_weights(
        opts.get("weights")), "space": opts.get("space", "lab")}
    theirs = {"n_clusters": classes.n_clusters, "weights": classes.weights,
              "space": classes.space}
    differ = [key for key in asked if asked[key] != theirs[key]]
    if differ:
        given = ", ".join(f"{key}={asked[key]!r}" for key in differ)
        held = ", ".join(f"{key}={theirs[key]!r}" for key in differ)
        raise OutputExistsError(f"{path.name} holds classes fitted with {held}, while this "
                                f"run asks for {given}; expected those, or force=True to fit "
                                "new classes in its place, or another output folder",
                                path=plan.output_dir)


def _readable(inputs: Sequence[Path], opts: Mapping[str, Any],
              left_out: dict[Path, str]) -> Iterator[Any]:
    """Each input read in turn (one in memory at a time) as its job reads it, with the
    plan's options ``opts`` (:func:`~quantize.io.load_image`): its ``nodata`` pixels
    transparent, which says so (the tag's warning is held here), and stretched with
    ``stretch``, ``stretch_clip``, ``stretch_curve``, ``stretch_softening`` and
    ``stretch_range``, so that the classes are fitted on the levels each
    image is assigned by; one that cannot be read is left out, with why; none read at
    all raises :class:`ImageReadError`."""
    from ..io import load_image

    read = 0
    for path in inputs:
        try:
            with warnings_held((NoDataWarning,)):
                image = load_image(path, max_pixels=opts.get("max_pixels"),
                                   nodata=opts.get("nodata", "tag"),
                                   stretch=opts.get("stretch", False),
                                   stretch_clip=opts.get("stretch_clip", 0.0),
                                   stretch_curve=opts.get("stretch_curve", "linear"),
                                   stretch_softening=opts.get("stretch_softening"),
                                   stretch_range=opts.get("stretch_range"),
                                   intent=opts.get("intent", DEFAULT_INTENT))
        except (QuantizeError, OSError) as exc:  # worded as its failure's reason, no path
            left_out[path] = exc.reason if isinstance(exc, QuantizeError) else str(exc)
            continue
        read += 1
        yield image
    if not read:
        first = inputs[0] if inputs else None
        raise ImageReadError("no image could be read for the shared classes"
                             + (f"; {first}: {left_out[first]}" if first in left_out else ""),
                             path=first)


def _check_none_assigned(plan: BatchPlan, path: Path) -> None:
    """Refuse to fit anew when recorded outputs were assigned to saved classes now
    missing: the files still to do would be numbered otherwise than those done."""
    done = recorded_outputs(plan)
    if done:
        raise OutputExistsError(f"{path.name} is missing, while {done} outputs were assigned "
                                "to its classes; new classes would not match them: use "
                                "force=True to redo every file, or choose another output "
                                "folder", path=plan.output_dir)


def _onto(plan: BatchPlan, path: Path) -> BatchPlan:
    """``plan`` with every job assigning its pixels to the classes saved at ``path``."""
    return plan.with_options({**plan.options, "classes_in": path})


def write_class_table(output_dir: str | Path, results: Sequence[FileResult]) -> Path | None:
    """Write ``classes.csv`` in ``output_dir``: one row per output and class it holds,
    ``file`` (the input, as the results name it), ``class``, ``pixels``, ``fraction`` (of
    the image's pixels), ``mean_color`` (``#rrggbb``, the mean sRGB colour of the class's
    pixels in that image) and ``valid_fraction`` (of the image's visible pixels, not no
    data nor transparent: ``fraction`` of an image without such pixels; empty for an
    output of an earlier version with a transparent class, which did not record it),
    read from each output folder's ``segments.json``; sorted by
    file (in the natural order of the paths, as the reports list them) then class, not in
    the order the files finished; then one row for each class no output holds (of the
    ``n_clusters`` the outputs were assigned to), with an empty ``file`` and
    ``mean_color``, and ``pixels`` and the fractions 0, so that every class is seen. None,
    and nothing written, when no result has a ``segments.json``.

    >>> import tempfile
    >>> out = Path(tempfile.mkdtemp()); (out / "a").mkdir()
    >>> _ = (out / "a" / "segments.json").write_text(json.dumps({"n_clusters": 4,
    ...     "cluster_stats": [
    ...     {"cluster": 2, "area": 1, "fraction": 0.25, "mean_color": [0, 0, 9.6]},
    ...     {"cluster": 0, "area": 3, "fraction": 0.75, "mean_color": [255, 128, 0]}]}))
    >>> path = write_class_table(out, [FileResult(Path("a.png"), out / "a", "ok")])
    >>> print(path.read_text(), end="")
    file,class,pixels,fraction,mean_color,valid_fraction
    a.png,0,3,0.75,#ff8000,0.75
    a.png,2,1,0.25,#00000a,0.25
    ,1,0,0.0,,0.0
    ,3,0,0.0,,0.0
    """
    read = _read_stats(results)
    unknown = {file for file, c in _class_stats(read)  # hidden pixels, of no valid_fraction
               if c.get("transparent") and "valid_fraction" not in c}
    rows = [[file, c["cluster"], c["area"], c.get("fraction"), _hex(c.get("mean_color")),
             c.get("valid_fraction", None if file in unknown else c.get("fraction"))]
            for file, c in sorted(_class_stats(read), key=_by_file_and_class)]
    rows += [["", k, 0, 0.0, None, 0.0] for k in _classes_held_by_none(read)]
    return _write_csv(Path(output_dir) / CLASS_TABLE_NAME,
                      ["file", "class", "pixels", "fraction", "mean_color", "valid_fraction"],
                      rows)


def write_class_legend(output_dir: str | Path, results: Sequence[FileResult]
                       ) -> Path | None:
    """Write ``class-legend.csv`` in ``output_dir``: one row per class over every output
    of ``results`` (as :func:`write_class_table` reads them), ``class``, ``mean_color``
    (``#rrggbb``) and ``r``, ``g``, ``b`` (the mean sRGB colour of all its pixels, in
    every image; empty of the transparent class, whose ``mean_color`` is null), ``pixels``,
    ``fraction`` (of all the images' pixels), ``files`` (the outputs that hold it) and
    ``valid_fraction`` (of all the images' visible pixels, not no data nor transparent, as
    each output's ``cluster_stats`` gives it: a visible class's pixels are all visible,
    the hidden ones a class of their own, of none; the same as ``fraction`` when no image
    has such pixels; empty in every row when an output of an earlier version has a
    transparent class, as :func:`write_class_table` leaves it): which class is grass and
    which gravel, at a glance, and how much of the land each covers. None, and nothing
    written, when no result has a ``segments.json``.

    >>> import tempfile
    >>> out = Path(tempfile.mkdtemp())
    >>> for name, area, rgb in (("a", 3, [200, 0, 0]), ("b", 1, [100, 0, 40])):
    ...     (out / name).mkdir()
    ...     _ = (out / name / "segments.json").write_text(json.dumps({"cluster_stats": [
    ...         {"cluster": 0, "area": area, "mean_color": rgb},
    ...         {"cluster": 1, "area": 4 - area, "mean_color": [0, 0, 255]}]}))
    >>> path = write_class_legend(out, [FileResult(Path(f"{n}.png"), out / n, "ok")
    ...                                 for n in "ab"])
    >>> print(path.read_text(), end="")
    class,mean_color,r,g,b,pixels,fraction,files,valid_fraction
    0,#af000a,175,0,10,4,0.5,2,0.5
    1,#0000ff,0,0,255,4,0.5,2,0.5

    A class no output holds (of the ``n_clusters`` of their ``segments.json``) has its row
    too, in its place, as in :func:`write_class_table`: no colour, and ``pixels``,
    ``fraction``, ``files`` and ``valid_fraction`` 0.
    """
    read = _read_stats(results)
    # class: [pixels, r, g, b sums, files, pixels of a colour, visible pixels]
    totals: dict[int, list[float]] = {}
    for _, c in _class_stats(read):
        entry = totals.setdefault(int(c["cluster"]), [0, 0.0, 0.0, 0.0, 0, 0, 0])
        area = c["area"]
        entry[0] += area
        if c.get("mean_color") is not None:  # None: a transparent class, of no colour
            for i, level in enumerate(c["mean_color"]):
                entry[1 + i] += level * area
            entry[5] += area
        entry[4] += 1
        entry[6] += 0 if c.get("transparent") else area
    if not totals:
        return None
    everything = sum(entry[0] for entry in totals.values())
    shown = sum(entry[6] for entry in totals.values())
    unknown = any(c.get("transparent") and "valid_fraction" not in c  # of an earlier version
                  for _, c in _class_stats(read))
    rows = []
    for k in sorted(totals):
        pixels, *sums, files, coloured, visible = totals[k]
        rgb = [int(round(v / coloured)) for v in sums] if coloured else [None] * 3
        rows.append([k, _hex(None if not coloured else rgb), *rgb, pixels,
                     round(pixels / max(everything, 1), 6), files,
                     None if unknown else round(visible / max(shown, 1), 6)])
    rows += [[k, None, None, None, None, 0, 0.0, 0, None if unknown else 0.0]
             for k in _classes_held_by_none(read)]
    rows.sort(key=lambda row: row[0])
    return _write_csv(Path(output_dir) / CLASS_LEGEND_NAME,
                      ["class", "mean_color", "r", "g", "b", "pixels", "fraction", "files",
                       "valid_fraction"], rows)


def _hex(levels: Sequence[float] | None) -> str | None:
    """``#rrggbb`` of sRGB levels (rounded), None for None."""
    if levels is None:
        return None
    from ..palette_files import entry_hex

    return entry_hex(np.clip(np.round(np.asarray(levels, np.float64)), 0, 255))


def _write_csv(path: Path, header: list[str], rows: list[list[Any]]) -> Path | None:
    """Write ``rows`` under ``header`` as CSV at ``path``, atomically; None, and nothing
    written, for no row."""
    if not rows:
        return None
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    from ..io.write import atomic_write

    atomic_write(path, lambda tmp: tmp.write_text(text.getvalue(), encoding="utf-8"))
    return path


def _read_stats(results: Sequence[FileResult]) -> list[tuple[str, dict[str, Any]]]:
    """The input's name and the ``segments.json`` of every readable output of ``results``."""
    read = []
    for r in results:
        if r.output is None or r.status not in ("ok", "skipped"):
            continue
        try:
            stats = json.loads((Path(r.output) / "segments.json").read_text("utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(stats, dict):
            read.append((str(r.input), stats))
    return read


def _class_stats(read: Sequence[tuple[str, dict[str, Any]]]
                 ) -> Iterator[tuple[str, dict[str, Any]]]:
    """The input's name and each ``cluster_stats`` entry of every output ``read``
    (:func:`_read_stats`)."""
    for file, stats in read:
        for c in stats.get("cluster_stats", []):
            yield file, c


def _by_file_and_class(item: tuple[str, dict[str, Any]]) -> tuple[Any, int]:
    """Sort key of a ``cluster_stats`` entry with its input's name: the name in natural
    order (:func:`~quantize.names.natural_key`), then the class."""
    file, c = item
    return natural_key(file), int(c["cluster"])


def _classes_held_by_none(read: Sequence[tuple[str, dict[str, Any]]]) -> list[int]:
    """The classes of ``range(n_clusters)`` (the largest ``n_clusters`` of the outputs
    ``read``, which shared classes give them all) that no output's ``cluster_stats`` holds,
    sorted."""
    counts = [stats.get("n_clusters") for _, stats in read]
    n = max((k for k in counts if isinstance(k, int)), default=0)
    held = {int(c["cluster"]) for _, c in _class_stats(read)}
    return [k for k in range(n) if k not in held]
