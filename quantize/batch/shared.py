"""One palette for a whole reduce batch (``quantize batch --shared-palette``).

The palette fit itself belongs to reduce (sampling, pooling, fitting, and
passing the palette on); this module only drives it across files: it samples
every image on the same executor as the batch, pools the samples, fits once,
saves the palette in the output folder and returns a plan whose jobs map onto
it. A rerun reuses the saved palette, so resumed files match the others.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import stat
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .._validation import check_int
from ..errors import (
    ImageReadError,
    OutputError,
    OutputExistsError,
    QuantizeError,
    QuantizeWarning,
    warn_caller,
)
from ..io import folder_made
from .calls import Call, Outcome
from .executor_dask import SchedulerLostError, check_scheduler_address
from .manifest import (
    SHARED_PALETTE_NAME,
    find_conflict,
    manifest_key,
    record_forced_run,
    record_output,
    source_key,
)
from .plan import INPUT_CHANGED, BatchPlan
from .results import is_folder
from .run import (
    check_shared_storage,
    check_writable_output,
    file_result,
    run_calls,
    seen_here,
    worker_path,
)

if TYPE_CHECKING:
    from ..reduce.shared import ColorPool

__all__ = ["MAX_SAMPLES", "SAMPLES_PER_FILE", "SHARED_PALETTE_NAME", "InputsChangedWarning",
           "SharedPalette", "WorkerFailedError", "check_saved_settings", "fitted_by_run",
           "recorded_outputs", "remove_unused_palette", "remove_unused_shared_file",
           "shared_palette"]

#: Pixels drawn from each image for the shared palette (fewer past
#: ``MAX_SAMPLES // SAMPLES_PER_FILE`` files: the share :func:`_per_file_share` gives).
SAMPLES_PER_FILE = 20_000

#: Pixels drawn for the shared palette at most, over all the images (100 of 20,000 each):
#: more images each give an equal share of them, so that what the fit holds, and the time
#: of its k-means, do not grow with the number of files.
MAX_SAMPLES = 2_000_000

#: The key of the palette's manifest record listing the inputs it was fitted on.
FITTED_ON = "inputs"


@dataclass(frozen=True)
class SharedPalette:
    """One palette for a whole batch, and the plan that maps every file onto it.

    ``colors`` is ``(k, 3)`` uint8 (or ``(k + 1, 4)``, a fully transparent entry first,
    index 0 of every output, when some image has transparent pixels), saved at
    ``path``; ``n_files`` images were sampled to fit it (0 when an earlier run's palette
    was reused). ``left_out``: the inputs that could not be sampled, each with why (one
    line, as their failure would read), whose colours the palette was fitted without;
    ``plan`` has them too (:attr:`~quantize.batch.BatchPlan.left_out`), for their results
    to say so. ``seconds``: the wall time of the fit, from the first image sampled to the
    palette saved (0 when none was fitted), which the batch's own time, of its files, leaves
    out, as :class:`~quantize.batch.BatchClasses`' does. ``per_file``: the pixels drawn from
    each image (the share :func:`_per_file_share` gives; 0 when none was fitted).
    """

    colors: np.ndarray
    path: Path
    n_files: int
    plan: BatchPlan
    left_out: Mapping[Path, str] = field(default_factory=dict)
    seconds: float = 0.0
    per_file: int = 0


def shared_palette(plan: BatchPlan, *, samples_per_file: int = SAMPLES_PER_FILE,
                   max_samples: int | None = None, jobs: int | None = None,
                   scheduler: str | None = None,
                   worker_timeout: float | None = None,
                   on_workers: Callable[[int, int, float], None] | None = None,
                   palette_out: str | None = None) -> SharedPalette:
    """Fit one palette on colours sampled from every image of a reduce plan.

    Each image contributes ``samples_per_file`` pixels drawn uniformly (so each
    colour is drawn in proportion to its pixel count, and every image weighs
    the same; fewer when the images together would give more than ``max_samples``:
    each then gives an equal share of them), as the plan's outputs hold them: when every
    one is a GIF, with its binary alpha (:func:`~quantize.reduce.shared.sample_colors`
    with ``binary_alpha``); the pooled colours are clustered with the plan's reduce options.
    The palette is written to ``OUT_DIR/shared-palette.json`` and recorded
    with the plan's settings in the output folder's manifest; a rerun reuses
    that file (unless the plan was made with ``force``, and does not finish the stopped
    run with force that fitted it: :attr:`BatchPlan.finishing`) when it was fitted with
    the same settings, and refuses it otherwise. Files redone on such a rerun
    because their inputs changed are mapped onto the saved palette too, so
    that the set still shares it (a warning says the palette was fitted on
    their earlier contents), and so are inputs added since (a warning says they are new
    since: the palette's record lists the inputs it was fitted on).

    Parameters
    ----------
    plan : BatchPlan
        A reduce plan (:func:`~quantize.batch.reduce_mode`).
    samples_per_file : int
        Pixels drawn from each image, at most.
    max_samples : int, optional
        Pixels drawn at most over all the images, >= 1 (None: :data:`MAX_SAMPLES`): past
        ``max_samples // samples_per_file`` images, each gives
        ``max_samples // n_images`` pixels (one at least). The colours drawn are pooled
        as each image's come (:class:`~quantize.reduce.shared.ColorPool`), so the memory
        the fit takes does not grow with the number of images.
    jobs, scheduler
        Where to sample, as in :func:`~quantize.batch.run_batch`.
    worker_timeout, on_workers
        Dask only: as in :func:`~quantize.batch.run_batch`, while the files are sampled:
        told when the last worker leaves and when one is back, and given up after
        ``worker_timeout`` seconds without one (:class:`~quantize.batch.NoWorkerError`);
        None waits until one joins.
    palette_out : str, optional
        A file name: the palette is also written as ``OUT_DIR/palette_out`` in the format
        its extension names (:func:`~quantize.palette_files.palette_file_bytes`: .gpl,
        .act, ...), entry i being index i of every output, the fixed colours
        (``fixed_colors``) first; on every call, from the saved palette when reused.

    Returns
    -------
    SharedPalette
        With a plan whose jobs map onto the palette instead of fitting their own: each is
        given its file (``palette_in=path``), which its messages then name.

    Raises
    ------
    ValueError
        If the plan is not a reduce plan made with ``shared_palette=True``, its options
        hold one a shared palette would leave unused (``quality``, ``palette_in``,
        ``palette="per-frame"``: :func:`~quantize.reduce.shared.check_shared_options`), or a
        worker of ``scheduler`` does not see the plan's folders
        (:func:`~quantize.batch.run.check_shared_storage`).
    ImageReadError
        If no image could be sampled (the message says why: the first file that
        could not be read, or that none has a visible pixel): the files' failure,
        as a file that cannot be read is (exit 1 on the command line).
    OptionsChangedError
        If the saved palette was fitted with other settings.
    OutputExistsError
        If the saved palette is missing while recorded outputs were mapped onto it.
    OutputError
        If the output folder cannot be made or written, before any file is sampled.
    SchedulerLostError
        A ConnectionError: the Dask scheduler was lost while the files were sampled, or no
        worker was connected for ``worker_timeout`` seconds
        (:class:`~quantize.batch.NoWorkerError`): no palette was fitted, no file run.
    WorkerFailedError
        If a Dask worker could not sample a file (it runs another version of quantize,
        does not see the input folder, or died): no palette is fitted rather than one
        that leaves that file out. A file that cannot be read is left out of the fit, and
        named, with why, in ``left_out``.
    """
    from ..palette_files import read_palette, write_palette
    from ..reduce.shared import check_shared_options, fit_shared_palette

    if plan.mode.name != "reduce":
        raise ValueError(f"plan.mode={plan.mode.name!r} should be 'reduce': a shared palette "
                         "is fitted for a reduce plan, made with plan_batch(..., "
                         "reduce_mode(), shared_palette=True)")
    if not plan.settings.get("shared_palette"):
        raise ValueError("the plan was made without shared_palette=True; expected "
                         "plan_batch(..., shared_palette=True)")
    check_shared_options(plan.options)  # before a saved palette is taken, as for a new one
    check_int(samples_per_file, "samples_per_file", minimum=1)
    max_samples = check_int(MAX_SAMPLES if max_samples is None else max_samples,
                            "max_samples", minimum=1)
    if scheduler is not None:
        scheduler = check_scheduler_address(scheduler)
    path = plan.output_dir / SHARED_PALETTE_NAME
    if path.exists() and (not plan.force or fitted_by_run(plan, path)):
        check_saved_settings(plan, path)
        colors = read_palette(path)
        _warn_changed_inputs(plan, path)
        _write_palette_out(plan, colors, palette_out)
        return SharedPalette(colors, path, 0, _onto(plan, path))
    if not plan.jobs:
        return SharedPalette(np.zeros((0, 3), np.uint8), path, 0, plan)
    if not plan.force:
        _check_none_mapped(plan, path)
    check_writable_output(plan.output_dir)  # not after every file is sampled
    start = time.perf_counter()
    per_file = _per_file_share(len(_files(plan)[0]), samples_per_file, max_samples)
    pool, transparent, left_out = _sample_all(plan, per_file, jobs, scheduler,
                                              {"worker_timeout": worker_timeout,
                                               "on_workers": on_workers})
    colors, counts = pool.histogram()
    fitting = {k: v for k, v in plan.options.items() if k != "ext"}  # names, not colours
    fixed = plan.options.get("fixed_colors")
    palette = _with_clear_entry(fit_shared_palette(colors, counts, fitting,
                                                   transparent=transparent), transparent,
                                0 if fixed is None else len(fixed),
                                plan.options.get("transparent_color"))
    with folder_made(plan.output_dir):  # not left behind, empty, when the write fails
        write_palette(path, palette)
    _write_palette_out(plan, palette, palette_out)
    record_output(plan.output_dir, path, plan.settings,  # its size: removed only as written
                  {"k": len(palette), "files": pool.samples, "bytes_out": path.stat().st_size,
                   FITTED_ON: _fitted_on(plan)}, run=plan.run)
    if plan.run is not None:  # a rerun with force that finds it unfinished keeps the palette
        record_forced_run(plan.output_dir, plan.settings, plan.run, plan.mode.name)
    mapped = dataclasses.replace(_onto(plan, path), left_out=left_out)
    return SharedPalette(palette, path, pool.samples, mapped, left_out,
                         time.perf_counter() - start, per_file)


def _per_file_share(n_files: int, samples_per_file: int, max_samples: int) -> int:
    """The pixels a shared palette draws from each of ``n_files`` images:
    ``samples_per_file``, or an equal share of ``max_samples`` when they would draw more
    (one at least). Prior validation is assumed.

    >>> _per_file_share(96, 20_000, 2_000_000), _per_file_share(1_600, 20_000, 2_000_000)
    (20000, 1250)
    >>> _per_file_share(3_000_000, 20_000, 2_000_000)
    1
    """
    return max(1, min(samples_per_file, max_samples // max(n_files, 1)))


def _with_clear_entry(palette: np.ndarray, transparent: bool, at: int = 0,
                      color: str | None = None) -> np.ndarray:
    """``palette`` with a fully transparent entry at index ``at`` (first, but after the
    ``at`` fixed colours), when some image has transparent pixels: every output mapped onto
    it holds every entry at its index, that one too (a GIF's transparent index), so index i
    is the same colour in every file. Its colour is ``color`` (``transparent_color``, as
    ``#rrggbb``; checked), black without one.

    >>> _with_clear_entry(np.array([[255, 0, 255], [9, 9, 9]], np.uint8), True, 1).tolist()
    [[255, 0, 255, 255], [0, 0, 0, 0], [9, 9, 9, 255]]
    >>> _with_clear_entry(np.array([[9, 9, 9]], np.uint8), True, 0, "#ff00ff").tolist()
    [[255, 0, 255, 0], [9, 9, 9, 255]]
    """
    from ..reduce.options import check_transparent_color

    if not transparent:
        return palette
    rgba = np.full((palette.shape[0] + 1, 4), 255, np.uint8)
    rgba[:at, :palette.shape[1]] = palette[:at]
    rgba[at] = 0
    if color is not None:
        rgba[at, :3] = check_transparent_color(color)
    rgba[at + 1:, :palette.shape[1]] = palette[at:]
    return rgba


def _write_palette_out(plan: BatchPlan, palette: np.ndarray, name: str | None) -> None:
    """The shared ``palette`` written as ``OUT_DIR/name`` in the format its extension names
    (nothing without ``name``), its fixed colours named as a palette file named them
    (:func:`~quantize.reduce.fit.fixed_entry_names`)."""
    from ..io import write_together
    from ..palette_files import palette_file_bytes
    from ..reduce.fit import fixed_entry_names

    if name is None:
        return
    out = plan.output_dir / name
    names = fixed_entry_names(palette, plan.options.get("fixed_colors"))
    write_together([(out, palette_file_bytes(out, palette, gpl_alpha=True,
                                             name="shared palette", names=names))],
                   replace=True)


def fitted_by_run(plan: BatchPlan, path: Path) -> bool:
    """Whether the file ``path`` a batch fits once for all its files (a shared palette,
    shared classes) was fitted by the stopped run with force that ``plan`` finishes
    (:attr:`BatchPlan.finishing`): its outputs were made with it."""
    if not plan.finishing:
        return False
    entry = plan.manifest.finished().get(manifest_key(plan.output_dir, path))
    return entry is not None and entry.run == plan.run


def check_saved_settings(plan: BatchPlan, path: Path) -> None:
    """Refuse a saved file of :func:`fitted_by_run`'s kind fitted with other settings (one
    with no record is reused)."""
    entry = plan.manifest.finished().get(manifest_key(plan.output_dir, path))
    conflict = find_conflict([entry] if entry is not None else [], plan.settings,
                             plan.output_dir, plan.manifest.forced)
    if conflict is not None:
        raise conflict


def recorded_outputs(plan: BatchPlan) -> int:
    """How many outputs of ``plan``'s inputs are recorded done (made with the saved file
    of :func:`fitted_by_run`'s kind, if any). A sub-folder skipped unsearched (a symbolic
    link, an earlier batch's output folder) has a record too, but no output."""
    return sum(1 for r in plan.settled
               if r.status == "skipped" and r.record and not is_folder(r.record))


class InputsChangedWarning(QuantizeWarning):
    """Inputs changed since the saved shared palette was fitted, or new since (no run
    sampled them), are done onto it as it is, so that every output keeps its colours."""


def _warn_changed_inputs(plan: BatchPlan, path: Path) -> None:
    """Say that the saved palette ``path`` was fitted on the earlier contents of the inputs
    redone, and without the inputs new since (:func:`_new_inputs`)."""
    changed = sum(1 for job in plan.jobs if job.redo == INPUT_CHANGED)
    new = _new_inputs(plan, path)
    said = ([("1 input has changed" if changed == 1 else f"{changed} inputs have changed")]
            if changed else []) + ([("1 input is new" if new == 1 else f"{new} inputs are new")]
                                   if new else [])
    if said:
        warn_caller(f"{' and '.join(said)} since {SHARED_PALETTE_NAME} was fitted; "
                    f"{_done_onto(changed, new)} onto it as it is, so that every output keeps "
                    "its colours (force=True fits a new palette on every file and redoes them "
                    "all)", InputsChangedWarning)


def _fitted_on(plan: BatchPlan) -> list[str]:
    """The :func:`~quantize.batch.manifest.source_key` of every input of ``plan``, sorted:
    those its palette was fitted on (sampled, or left out of the fit, already said),
    recorded with the palette for a rerun to tell the inputs new since
    (:func:`_new_inputs`)."""
    return sorted(source_key(plan.output_dir, path) for path in _files(plan)[0])


def _new_inputs(plan: BatchPlan, path: Path) -> int:
    """How many jobs of ``plan`` map an input the saved palette ``path`` was not fitted on
    (not among those its record lists, :data:`FITTED_ON`: added since); 0 for a palette
    recorded by a version that listed none."""
    entry = plan.manifest.finished().get(manifest_key(plan.output_dir, path))
    sampled = entry.record.get(FITTED_ON) if entry is not None else None
    if not isinstance(sampled, list):
        return 0
    known = set(sampled)
    return sum(1 for job in plan.jobs if source_key(plan.output_dir, job.input) not in known)


def _done_onto(changed: int, new: int) -> str:
    """How the inputs of :func:`_warn_changed_inputs` are done: redone (changed), mapped
    (new), or both."""
    return " and ".join(word for n, word in ((changed, "redone"), (new, "mapped")) if n)


def _check_none_mapped(plan: BatchPlan, path: Path) -> None:
    """Refuse to fit a palette anew when recorded outputs were mapped onto a saved one.

    The saved palette is missing (deleted?): the files still to do would get
    other colours than those done (:func:`recorded_outputs`).
    """
    mapped = recorded_outputs(plan)
    if mapped:
        outputs, them = ("output was", "it") if mapped == 1 else ("outputs were", "them")
        raise OutputExistsError(f"{path.name} is missing, while {mapped} {outputs} mapped onto "
                                f"it; a new palette would not match {them}: use force=True to "
                                "redo every file, or choose another output folder",
                                path=plan.output_dir)


def _onto(plan: BatchPlan, path: Path) -> BatchPlan:
    """``plan`` with every job mapping onto the saved palette ``path``: read from the file,
    so that a job's error or warning about the palette names the file, not ``palette_in``,
    a parameter its user never gave."""
    from ..reduce.shared import options_with_palette

    return plan.with_options(options_with_palette(plan.options, path))


def _sample_all(plan: BatchPlan, samples_per_file: int, jobs: int | None,
                scheduler: str | None, watch: Mapping[str, Any]
                ) -> tuple[ColorPool, bool, dict[Path, str]]:
    """Colour samples of every readable image of the plan, pooled as they come, whether
    some image has transparent pixels, and the images that could not be read, each with
    why (left out). On Dask, ``watch`` holds the ``worker_timeout`` and ``on_workers`` of
    the run."""
    from ..reduce.shared import ColorPool, sample_colors

    seed = plan.options.get("seed")
    max_pixels = plan.options.get("max_pixels")
    inputs, outputs = _files(plan)
    # every output a GIF: its colours fitted to the alpha a GIF holds, as reduce fits a .gif's
    gifs = all(Path(out).suffix.lower() == ".gif" for out in outputs)
    if scheduler is not None:
        check_shared_storage(plan, scheduler)  # before reading any file there
    sent = inputs if scheduler is None else [worker_path(path) for path in inputs]
    calls = [Call(sample_colors, (path, samples_per_file),
                  {"seed": None if seed is None else (seed, i), "max_pixels": max_pixels,
                   "transparency": True, "binary_alpha": gifs,
                   "matte": plan.options.get("matte"),
                   "nodata": plan.options.get("nodata", "tag")})
             for i, path in enumerate(sent)]
    pool = ColorPool()  # not a list of every file's sample: a million files' would not fit
    transparent = False
    failed: dict[int, str] = {}
    unrun: dict[int, str] = {}  # by their worker, not their file

    def keep(index: int, outcome: Outcome) -> None:
        nonlocal transparent
        if outcome.ok:
            colors, counts, clear = outcome.value
            pool.add(colors, counts)
            transparent = transparent or clear
        elif outcome.worker:
            unrun[index] = outcome.value
        elif not outcome.ok:  # worded as the file's failure would be (a Dask worker's too)
            path = inputs[index]
            shown = seen_here(path, outcome) if scheduler is not None else outcome
            failed[index] = file_result(path, None, shown).reason

    # a worker that joins after check_shared_storage and does not see the inputs: its
    # calls fail as the worker's, not as files that cannot be read
    if scheduler is None:
        run_calls(calls, keep, jobs=jobs)
    else:
        try:
            run_calls(calls, keep, scheduler=scheduler, must_see=sent[0],
                      must_see_as=str(inputs[0]), **watch)
        except SchedulerLostError as exc:  # the files it counts are those to sample
            raise type(exc)(f"sampling for the shared palette stopped, none was fitted: "
                            f"{exc}") from None
    if unrun:
        first = min(unrun)
        n = len(unrun) - 1
        more = "" if not n else f" ({n} more {'file' if n == 1 else 'files'} alike)"
        raise WorkerFailedError(f"not sampled for the shared palette, so none was fitted: "
                                f"{unrun[first]}{more}", path=inputs[first])
    if not pool.samples:
        raise ImageReadError("no image could be sampled for the shared palette; "
                             f"{_none_sampled(inputs, failed)}", path=plan.input_dir)
    left_out = {inputs[i]: why for i, why in sorted(failed.items())}
    return pool, transparent, left_out


def _files(plan: BatchPlan) -> tuple[list[Path], list[Path]]:
    """The inputs a palette fitted for ``plan`` is sampled from, its jobs' and those of
    the outputs made before (skipped), and their outputs, in the same order."""
    made = [r for r in plan.settled if r.status == "skipped" and r.output is not None]
    return ([j.input for j in plan.jobs] + [r.input for r in made],
            [j.output for j in plan.jobs] + [r.output for r in made])


def remove_unused_palette(output_dir: str | os.PathLike[str]) -> tuple[Path, str | None] | None:
    """Remove the shared palette an earlier run saved in ``output_dir`` once no output there
    is mapped onto it: a run with ``force`` and no shared palette has redone every file
    (:func:`~quantize.batch.run_batch` first), and the palette describes none of them.

    Only the file as that run wrote it is removed (the size it recorded, for a palette
    recorded with one), and the manifest records the removal. A palette some recorded
    output is still mapped onto (a file whose redo failed keeps its earlier output), or of
    no record, is left alone.

    Returns
    -------
    tuple or None
        None when there is no such palette, or outputs are still mapped onto it; else the
        palette's path and None when it was removed, or why it was left in place.
    """
    return remove_unused_shared_file(output_dir, SHARED_PALETTE_NAME, "shared_palette")


def remove_unused_shared_file(output_dir: str | os.PathLike[str], name: str, setting: str
                              ) -> tuple[Path, str | None] | None:
    """Remove the file ``name`` an earlier run saved in ``output_dir`` for every output made
    with ``setting`` (``shared_palette``: :data:`SHARED_PALETTE_NAME`; ``shared_classes``:
    the shared classes' file) once no recorded output was made with it, as
    :func:`remove_unused_palette` says of the palette; returns as it does."""
    from .manifest import load_manifest, record_removed

    folder = Path(output_dir)
    path = folder / name
    if not os.path.lexists(path):  # the usual case: no manifest to read through for it
        return None
    try:
        finished = load_manifest(folder).finished()
    except OSError:  # the run said so, if it could not read it
        return None
    key = manifest_key(folder, path)
    if key not in finished or any(
            entry.settings.get(setting) for other, entry in finished.items() if other != key):
        return None
    size = finished[key].record.get("bytes_out")
    try:
        st = os.lstat(path)
        if not stat.S_ISREG(st.st_mode) or (isinstance(size, int) and st.st_size != size):
            return path, "it changed since that run wrote it"
        path.unlink()
    except OSError as exc:
        return path, f"cannot remove it ({exc.strerror or exc})"
    with contextlib.suppress(OutputError):  # a full disk: the next run finds it gone
        record_removed(folder, path)
    return path, None


class WorkerFailedError(QuantizeError):
    """A Dask worker could not run a call of the run (it runs another version of quantize,
    does not see the batch's folders, or died): a failure of the worker, not of the file
    it was given (exit 1)."""


def _none_sampled(inputs: list[Path], failed: dict[int, str]) -> str:
    """Why no image gave a colour: the first failure (an animation whose frames x pixels
    exceed ``max_pixels``, say) and how many more, or that none has a visible pixel."""
    if not failed:
        return "no image has a visible pixel (each is fully transparent)"
    first = min(failed)
    more = f" (and {len(failed) - 1} more)" if len(failed) > 1 else ""
    return f"{inputs[first]}: {failed[first]}{more}"
