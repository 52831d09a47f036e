"""Batch processing of folders: find images, plan per-file jobs, run them in parallel.

The per-file work is done by ``quantize.reduce.reduce_file`` or
``quantize.segment.segment_file``; this module only drives them. It runs them in
a local process pool or on a ``dask.distributed`` cluster and returns one
:class:`FileResult` per file. It never prints: progress goes to an ``on_result``
callback, and the CLI presents it.

The steps, each a public function:

1. :func:`find_images` lists candidate files (by extension, or by ``pattern``).
2. :func:`plan_batch` maps every input to an output that mirrors the input tree,
   refuses outputs that could be read back as inputs, skips files whose outputs
   already exist (unless ``force``), and rejects files that do not open as images.
3. :func:`run_batch` runs the planned jobs and reports each file as it finishes.

Guarantees:

- **Failure isolation.** A file that cannot be read or processed becomes a
  ``"failed"`` result with a one-line reason; the batch goes on. A worker
  process that dies (killed, out of memory) fails only the file it was working
  on: the files that were in flight with it are re-run one at a time to find
  the culprit.
- **No partial files.** The per-file functions write every output to a
  temporary file beside it and rename it into place. Temporary files left by a
  killed run are removed before the job for that output runs again.
- **Resumable.** An output that exists marks a finished file (for segment mode,
  ``segments.json``, which is written last), so rerunning finishes the job.
- **One thread per worker.** Local workers start with ``OMP_NUM_THREADS`` and the
  BLAS thread variables set to 1, so N workers use N cores, not N x cores.
"""

from __future__ import annotations

import contextlib
import csv
import io as _io
import json
import multiprocessing
import os
import threading
import time
import traceback
import warnings
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any, Literal

import numpy as np
from PIL import Image

from ._kernels import pack_rgb, unpack_rgb
from ._validation import check_int
from .errors import ImageReadError
from .io import DEFAULT_MAX_PIXELS, atomic_write, load_image, probe_image

__all__ = ["SHARED_PALETTE_NAME", "BatchPlan", "BatchSummary", "FileJob", "FileResult",
           "JobMode", "MissingDependencyError", "SharedPalette", "available_cpus",
           "check_report_path", "find_images", "image_extensions", "plan_batch",
           "reduce_mode", "require_distributed", "run_batch", "run_dask", "run_local",
           "sample_colors", "segment_mode", "shared_palette", "sniff_image", "write_report"]

Status = Literal["ok", "skipped", "failed"]

#: Environment variables that cap the threads of OpenMP and the BLAS libraries.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                    "BLIS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")

#: Reason given for a file whose worker process died while processing it.
WORKER_DIED = "the worker process died while processing this file (killed or out of memory)"

#: Columns of a CSV report, in order; extra keys from the per-file records follow.
REPORT_COLUMNS = ("input", "output", "status", "reason", "k", "space", "psnr", "delta_e",
                  "seconds", "bytes_in", "bytes_out")


class MissingDependencyError(ImportError):
    """An optional dependency (dask.distributed) is needed but not installed."""


# --------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------


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
    """

    name: str
    func: Callable[..., Mapping[str, Any]]
    suffix: str = ".png"
    marker: str | None = None

    @property
    def makes_folder(self) -> bool:
        return self.marker is not None

    def done_path(self, output: Path) -> Path:
        """The file whose existence means the job for ``output`` finished.

        >>> mode = JobMode("segment", print, suffix="", marker="segments.json")
        >>> mode.done_path(Path("out/a")).as_posix()
        'out/a/segments.json'
        """
        return output / self.marker if self.marker is not None else output


@dataclass(frozen=True)
class FileJob:
    """One file to process: ``func(input, output, **options)``."""

    input: Path
    output: Path
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class FileResult:
    """What happened to one input file.

    ``status`` is "ok", "skipped" (its output existed) or "failed", with a
    one-line ``reason`` (without the path). ``record`` holds the per-file
    function's metrics (k, psnr, delta_e, seconds, bytes_in, bytes_out, ...).
    """

    input: Path
    output: Path | None
    status: Status
    reason: str = ""
    record: Mapping[str, Any] = field(default_factory=dict)

    def as_row(self) -> dict[str, Any]:
        """A flat JSON-able dict: input, output, status, reason, then the metrics."""
        row: dict[str, Any] = {"input": str(self.input),
                               "output": "" if self.output is None else str(self.output),
                               "status": self.status, "reason": self.reason}
        row.update((k, v) for k, v in self.record.items() if k not in row)
        return row


@dataclass(frozen=True)
class BatchPlan:
    """Jobs to run, plus the files settled before running (skipped or unreadable)."""

    input_dir: Path
    output_dir: Path
    mode: JobMode
    jobs: list[FileJob]
    settled: list[FileResult]
    force: bool = False

    @property
    def total(self) -> int:
        return len(self.jobs) + len(self.settled)


@dataclass
class BatchSummary:
    """Counts of a finished (or interrupted) batch."""

    total: int
    ok: int = 0
    skipped: int = 0
    failed: int = 0
    seconds: float = 0.0
    interrupted: bool = False

    @property
    def done(self) -> int:
        return self.ok + self.skipped + self.failed

    @property
    def exit_code(self) -> int:
        """0 when every file succeeded or was already done, 1 when any failed."""
        return 1 if self.failed or self.interrupted else 0

    def add(self, result: FileResult) -> None:
        setattr(self, result.status, getattr(self, result.status) + 1)


# --------------------------------------------------------------------------
# Modes
# --------------------------------------------------------------------------


def reduce_mode() -> JobMode:
    """Colour reduction: ``INPUT`` -> ``OUT_DIR/<same folders>/<stem>.png``."""
    from .reduce import reduce_file

    return JobMode("reduce", reduce_file, suffix=".png")


def segment_mode() -> JobMode:
    """Segmentation: ``INPUT`` -> folder ``OUT_DIR/<same folders>/<stem>/``."""
    from .segment import segment_file

    return JobMode("segment", segment_file, suffix="", marker="segments.json")


# --------------------------------------------------------------------------
# Discovery
# --------------------------------------------------------------------------


def image_extensions() -> frozenset[str]:
    """Lower-case file extensions (".jpg", ".png", ...) of every format Pillow opens.

    >>> {".jpg", ".png", ".tif", ".webp"} <= image_extensions()
    True
    """
    Image.init()
    return frozenset(ext for ext, fmt in Image.registered_extensions().items()
                     if fmt in Image.OPEN)


def find_images(root: str | os.PathLike[str], *, recursive: bool = False,
                pattern: str | None = None,
                exclude: str | os.PathLike[str] | None = None) -> list[Path]:
    """List candidate image files under ``root``, sorted.

    Parameters
    ----------
    root : path
        Folder to search.
    recursive : bool
        Descend into sub-folders.
    pattern : str or None
        Glob matched against the path relative to ``root`` (``"*.jpg"``,
        ``"2024/*/IMG_*"``); replaces the extension filter. Files it selects
        that are not images are reported by :func:`plan_batch`, not skipped.
    exclude : path or None
        A folder whose contents are never listed (the output folder when it
        lies inside ``root``).

    Hidden files and folders (name starting with ".") are never listed.

    Raises
    ------
    ValueError
        If ``root`` is not a folder.
    """
    base = Path(root)
    if not base.is_dir():
        raise ValueError(f"input_dir={str(base)!r} is not a folder; expected a folder of images")
    skip = Path(exclude).resolve() if exclude is not None else None
    extensions = image_extensions()
    found = []
    for path in _walk(base, recursive, skip):
        rel = path.relative_to(base)
        if pattern is not None:
            if PurePath(rel).match(pattern):
                found.append(path)
        elif path.suffix.lower() in extensions:
            found.append(path)
    return sorted(found)


def _walk(base: Path, recursive: bool, skip: Path | None) -> Iterator[Path]:
    """Visible files under ``base``; assumes ``base`` is a folder."""
    for folder, dirs, files in os.walk(base):
        here = Path(folder)
        dirs[:] = [] if not recursive else sorted(
            d for d in dirs if not d.startswith(".")
            and (skip is None or (here / d).resolve() != skip))
        yield from (here / f for f in files if not f.startswith("."))


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
               recursive: bool = False, pattern: str | None = None,
               force: bool = False) -> BatchPlan:
    """Find the images, map each to an output mirroring the input tree, decide what to run.

    Parameters
    ----------
    input_dir, output_dir : path
        Where the images are and where the outputs go (created if needed at run
        time). ``output_dir`` may lie inside ``input_dir``: it is then excluded
        from the search. It may equal ``input_dir`` only when no output can be
        read back as an input (e.g. segment mode, not recursive).
    mode : JobMode
        What to do with each file (:func:`reduce_mode`, :func:`segment_mode`).
    options : mapping
        Keyword arguments passed to ``mode.func`` for every file.
    recursive, pattern
        See :func:`find_images`.
    force : bool
        Redo files whose outputs exist.

    Returns
    -------
    BatchPlan
        ``jobs`` to run, and ``settled`` results: "skipped" for finished files,
        "failed" for files that do not open as images.

    Raises
    ------
    ValueError
        If ``input_dir`` is not a folder, ``output_dir`` is an existing file, or
        an output could overwrite or be read back as an input.
    """
    src = Path(input_dir)
    dst = Path(output_dir)
    if dst.exists() and not dst.is_dir():
        raise ValueError(f"output_dir={str(dst)!r} is an existing file; expected a folder")
    inside = _is_within(dst, src) and dst.resolve() != src.resolve()
    inputs = find_images(src, recursive=recursive, pattern=pattern,
                         exclude=dst if inside else None)
    outputs = _map_outputs(inputs, src, dst, mode)
    _check_no_collision(outputs, src, dst, mode, recursive, excluded=dst if inside else None)
    jobs, settled = [], []
    for path, out in zip(inputs, outputs, strict=True):
        if not force and mode.done_path(out).exists():
            settled.append(FileResult(path, out, "skipped", "output exists"))
        elif (reason := sniff_image(path)) is not None:
            settled.append(FileResult(path, out, "failed", reason))
        else:
            jobs.append(FileJob(path, out, dict(options or {})))
    return BatchPlan(src, dst, mode, jobs, settled, force)


def _map_outputs(inputs: Sequence[Path], src: Path, dst: Path, mode: JobMode) -> list[Path]:
    """``dst/<relative folder>/<stem><suffix>``; inputs sharing a stem keep their extension.

    ``a.jpg`` and ``a.png`` in one folder would both become ``a.png``: they
    become ``a.jpg.png`` and ``a.png.png`` instead (folders ``a.jpg``, ``a.png``
    in segment mode).
    """
    rels = [p.relative_to(src) for p in inputs]
    plain = [r.with_suffix(mode.suffix) for r in rels]
    counts: dict[PurePath, int] = {}
    for r in plain:
        counts[r] = counts.get(r, 0) + 1
    mapped = [r if counts[r] == 1 else rel.with_name(rel.name + mode.suffix)
              for r, rel in zip(plain, rels, strict=True)]
    seen: dict[PurePath, Path] = {}
    for r, path in zip(mapped, inputs, strict=True):
        if r in seen:
            raise ValueError(f"inputs {str(seen[r])!r} and {str(path)!r} map to the same "
                             f"output {str(dst / r)!r}; rename one of them")
        seen[r] = path
    return [dst / r for r in mapped]


def _check_no_collision(outputs: Sequence[Path], src: Path, dst: Path, mode: JobMode,
                        recursive: bool, excluded: Path | None) -> None:
    """Refuse any output file that a search of ``src`` would list, now or on a rerun.

    That covers an output replacing an input. For folder outputs, the marker
    stands for every file of the folder.
    """
    root = src.resolve()
    skip = excluded.resolve() if excluded is not None else None
    for out in outputs:
        written = mode.done_path(out)
        if _would_be_listed(written.resolve(), root, recursive, skip):
            raise ValueError(
                f"output_dir={str(dst)!r} overlaps input_dir={str(src)!r}: output "
                f"{str(written)!r} would be read as an input; choose an output folder "
                "outside the input folder")


def _would_be_listed(path: Path, root: Path, recursive: bool, skip: Path | None) -> bool:
    if not _is_within(path, root) or (skip is not None and _is_within(path, skip)):
        return False
    return recursive or path.parent == root


def _is_within(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())


# --------------------------------------------------------------------------
# Running
# --------------------------------------------------------------------------


def run_batch(plan: BatchPlan, *, jobs: int | None = None, scheduler: str | None = None,
              retries: int = 2,
              on_result: Callable[[FileResult], None] | None = None) -> list[FileResult]:
    """Run every planned job; return one result per file of the plan.

    Parameters
    ----------
    plan : BatchPlan
        From :func:`plan_batch`.
    jobs : int or None
        Local worker processes (default: :func:`available_cpus`). Ignored with
        ``scheduler``.
    scheduler : str or None
        Address of a ``dask.distributed`` scheduler ("tcp://host:8786"). Workers
        must see the same paths (shared storage).
    retries : int
        Dask only: times a task is retried after an unexpected error.
    on_result : callable or None
        Called in this process with each :class:`FileResult` as it settles,
        settled-at-planning files first.

    Returns
    -------
    list of FileResult
        In the plan's order: settled files, then jobs.

    Raises
    ------
    MissingDependencyError
        If ``scheduler`` is given and dask.distributed is not installed.
    """
    report = on_result or (lambda result: None)
    for result in plan.settled:
        report(result)
    for job in plan.jobs:
        folder = job.output if plan.mode.makes_folder else job.output.parent
        folder.mkdir(parents=True, exist_ok=True)
    calls = [_Call(_run_job, (plan.mode, job)) for job in plan.jobs]
    job_results: list[FileResult | None] = [None] * len(calls)

    def settle(index: int, outcome: _Outcome) -> None:
        job_results[index] = _job_result(plan.jobs[index], outcome)
        report(job_results[index])

    if scheduler is not None:
        run_dask(calls, scheduler, settle, retries=retries)
    else:
        run_local(calls, settle, jobs=jobs)
    return plan.settled + [r for r in job_results if r is not None]


def _job_result(job: FileJob, outcome: _Outcome) -> FileResult:
    if outcome.ok:
        return FileResult(job.input, job.output, "ok", "", dict(outcome.value))
    reason = outcome.value
    prefix = f"{job.input}: "
    if reason.startswith(prefix):
        reason = reason[len(prefix):]
    return FileResult(job.input, job.output, "failed", reason, {"seconds": outcome.seconds})


def _run_job(mode: JobMode, job: FileJob) -> Mapping[str, Any]:
    """In a worker: clear temporary files a killed run left, then run the job.

    ``force=True`` because the plan already decided this output is to be
    (re)made: a folder output may hold files of an interrupted earlier run.
    Warnings are returned in the record (``"warnings"``), not printed by the worker.
    """
    _remove_stale_parts(mode, job.output)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        record = dict(mode.func(job.input, job.output, **{**job.options, "force": True}))
    if caught:
        record["warnings"] = [_one_line(w.message) for w in caught]
    return record


def _remove_stale_parts(mode: JobMode, output: Path) -> None:
    """Delete ``.<name>.*.part`` files (``quantize.io.atomic_write``'s) for this output."""
    if mode.makes_folder:
        stale = output.glob(".*.part") if output.is_dir() else ()
    else:
        stale = output.parent.glob(f".{output.name}.*.part")
    for part in stale:
        with contextlib.suppress(FileNotFoundError):
            part.unlink()


# --------------------------------------------------------------------------
# Shared palette (reduce mode)
# --------------------------------------------------------------------------

#: File in the output folder holding the palette of a ``--shared-palette`` run.
SHARED_PALETTE_NAME = "shared-palette.json"

#: Pixels drawn from each image for the shared palette.
SAMPLES_PER_FILE = 20_000


@dataclass(frozen=True)
class SharedPalette:
    """One palette for a whole batch, and the plan that maps every file onto it.

    ``colors`` is ``(k, 3)`` uint8, saved at ``path``; ``n_files`` images were
    sampled to fit it (0 when an earlier run's palette was reused).
    """

    colors: np.ndarray
    path: Path
    n_files: int
    plan: BatchPlan


def shared_palette(plan: BatchPlan, *, samples_per_file: int = SAMPLES_PER_FILE,
                   jobs: int | None = None, scheduler: str | None = None) -> SharedPalette:
    """Fit one palette on colours sampled from every image of a reduce plan.

    Each image contributes ``samples_per_file`` pixels drawn uniformly (so each
    colour is drawn in proportion to its pixel count, and every image weighs
    the same); the pooled colours are clustered with
    :func:`quantize.reduce.fit_palette` using the plan's ``n_colors``, ``space``,
    ``exact_colors`` and ``seed``. The palette is written to
    ``OUT_DIR/shared-palette.json``; a rerun reuses that file (unless the plan
    was made with ``force``), so resumed files get the same palette.

    Returns
    -------
    SharedPalette
        With a plan whose jobs pass the palette as ``palette_in``.

    Raises
    ------
    ValueError
        If the plan is not a reduce plan, or no image could be sampled.
    """
    from .reconstruct.palette import read_palette, write_palette
    from .reduce import fit_palette

    if plan.mode.name != "reduce":
        raise ValueError(f"shared palette needs --mode reduce, got mode={plan.mode.name!r}")
    check_int(samples_per_file, "samples_per_file", minimum=1)
    path = plan.output_dir / SHARED_PALETTE_NAME
    options = dict(plan.jobs[0].options) if plan.jobs else {}
    if not plan.jobs or (path.exists() and not plan.force):
        colors = read_palette(path) if path.exists() else np.zeros((0, 3), np.uint8)
        return SharedPalette(colors, path, 0, _onto(plan, colors))
    colors, counts, n_files = _pooled_sample(plan, options, samples_per_file, jobs, scheduler)
    palette = fit_palette(colors, counts, options.get("n_colors", 16),
                          space=options.get("space", "rgb"),
                          exact_colors=options.get("exact_colors", False),
                          seed=options.get("seed"))
    plan.output_dir.mkdir(parents=True, exist_ok=True)
    write_palette(path, palette)
    return SharedPalette(palette, path, n_files, _onto(plan, palette))


def _pooled_sample(plan: BatchPlan, options: Mapping[str, Any], samples_per_file: int,
                   jobs: int | None, scheduler: str | None
                   ) -> tuple[np.ndarray, np.ndarray, int]:
    """Colour samples of every readable image of the plan, merged into one histogram."""
    seed = options.get("seed")
    inputs = [j.input for j in plan.jobs] + [r.input for r in plan.settled
                                             if r.status == "skipped"]
    max_pixels = options.get("max_pixels", DEFAULT_MAX_PIXELS)
    calls = [_Call(sample_colors, (path, samples_per_file,
                                   None if seed is None else (seed, i), max_pixels))
             for i, path in enumerate(inputs)]
    samples: list[tuple[np.ndarray, np.ndarray] | None] = [None] * len(calls)

    def keep(index: int, outcome: _Outcome) -> None:
        samples[index] = outcome.value if outcome.ok else None

    if scheduler is not None:
        run_dask(calls, scheduler, keep)
    else:
        run_local(calls, keep, jobs=jobs)
    got = [s for s in samples if s is not None and len(s[0])]
    if not got:
        raise ValueError(f"input_dir={str(plan.input_dir)!r}: no image could be sampled "
                         "for the shared palette")
    codes = np.concatenate([pack_rgb(c) for c, _ in got])
    counts = np.concatenate([n for _, n in got])
    merged, inverse = np.unique(codes, return_inverse=True)
    total = np.bincount(inverse, weights=counts, minlength=len(merged))
    return unpack_rgb(merged), total, len(got)


def sample_colors(path: str | os.PathLike[str], n: int, seed: Any = None,
                  max_pixels: int | None = DEFAULT_MAX_PIXELS
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``n`` opaque pixels of an image uniformly, with replacement, as a histogram.

    Returns
    -------
    colors : (m, 3) ndarray of uint8
        Distinct colours drawn.
    counts : (m,) ndarray of int64
        Times each was drawn (sums to ``n``, or 0 for a fully transparent image).
    """
    from .colors import color_histogram

    image = load_image(path, max_pixels=max_pixels)
    rgb = image.rgb.reshape(-1, 3)
    if image.alpha is not None:
        rgb = rgb[image.alpha.ravel() > 0]
    if len(rgb) == 0:
        return np.zeros((0, 3), np.uint8), np.zeros(0, np.int64)
    picks = np.random.default_rng(seed).integers(0, len(rgb), size=n)
    return color_histogram(rgb[picks])


def _onto(plan: BatchPlan, palette: np.ndarray) -> BatchPlan:
    """The plan with every job mapping onto ``palette`` instead of fitting its own."""
    fitted = ("n_colors", "quality", "exact_colors")
    jobs = [FileJob(j.input, j.output,
                    {**{k: v for k, v in j.options.items() if k not in fitted},
                     "palette_in": palette})
            for j in plan.jobs]
    return BatchPlan(plan.input_dir, plan.output_dir, plan.mode, jobs, plan.settled, plan.force)


# --------------------------------------------------------------------------
# Isolated calls: what a worker runs, whatever the executor
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Call:
    """A function and its positional arguments, shipped to a worker."""

    func: Callable[..., Any]
    args: tuple[Any, ...]


@dataclass(frozen=True)
class _Outcome:
    """A call's return value (ok) or one-line failure reason (not ok), and its wall time."""

    ok: bool
    value: Any
    seconds: float


def _isolated(call: _Call) -> _Outcome:
    """Run ``call``; an ordinary exception becomes a failed outcome, never a crash.

    Errors from bad files (``QuantizeError``, ``ValueError``, ``OSError``) carry
    their own message; anything else is unexpected and keeps its type name.
    """
    start = time.perf_counter()
    try:
        value = call.func(*call.args)
    except MemoryError:
        return _Outcome(False, "out of memory", time.perf_counter() - start)
    except Exception as exc:  # noqa: BLE001 -- isolation: the reason is reported
        return _Outcome(False, _reason(exc), time.perf_counter() - start)
    return _Outcome(True, value, time.perf_counter() - start)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, (ValueError, OSError)):
        return _one_line(exc)
    where = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    at = f" at {Path(where[0].filename).name}:{where[0].lineno}" if where else ""
    return f"{type(exc).__name__}{at}: {_one_line(exc)}"


def _one_line(exc: BaseException | Warning | str) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


# --------------------------------------------------------------------------
# Local process pool
# --------------------------------------------------------------------------


def run_local(calls: Sequence[_Call], settle: Callable[[int, _Outcome], None], *,
              jobs: int | None = None) -> None:
    """Run ``calls`` in ``jobs`` spawned processes, calling ``settle(index, outcome)``.

    At most ``jobs`` calls are in flight, so when a worker dies the suspects are
    known: they are re-run one at a time in a fresh pool, and a call that kills
    its worker while running alone settles as failed (:data:`WORKER_DIED`).
    """
    n = check_int(jobs if jobs is not None else available_cpus(), "jobs", minimum=1)
    queue: deque[int] = deque(range(len(calls)))
    suspects: deque[int] = deque()
    with _one_thread_per_worker():
        while queue or suspects:
            _run_pool(calls, settle, queue, suspects, n)


def available_cpus() -> int:
    """CPUs this process may run on (its affinity mask where the OS has one)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def _run_pool(calls: Sequence[_Call], settle: Callable[[int, _Outcome], None],
              queue: deque[int], suspects: deque[int], n: int) -> None:
    """One pool's lifetime: until the work is done or a worker dies.

    ``running`` maps each future to (index, ran alone). Suspects run alone,
    once nothing else is running.
    """
    context = multiprocessing.get_context("spawn")
    running: dict[Future[_Outcome], tuple[int, bool]] = {}
    with ProcessPoolExecutor(n, mp_context=context, initializer=_init_worker,
                             initargs=(os.getpid(),)) as pool:
        try:
            while queue or suspects or running:
                if suspects and not running:
                    _submit(pool, calls, suspects, running, alone=True)
                alone_running = any(alone for _, alone in running.values())
                while queue and not suspects and not alone_running and len(running) < n:
                    _submit(pool, calls, queue, running, alone=False)
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                if _settle_done(done, running, settle, suspects):
                    _settle_done(wait(running).done, running, settle, suspects)
                    return
        except BrokenProcessPool:  # raised by submit when a worker just died
            _settle_done(wait(running).done, running, settle, suspects)
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise


def _submit(pool: ProcessPoolExecutor, calls: Sequence[_Call], source: deque[int],
            running: dict[Future[_Outcome], tuple[int, bool]], *, alone: bool) -> None:
    index = source.popleft()
    try:
        running[pool.submit(_isolated, calls[index])] = (index, alone)
    except BrokenProcessPool:
        source.appendleft(index)
        raise


def _settle_done(done: Iterable[Future[_Outcome]],
                 running: dict[Future[_Outcome], tuple[int, bool]],
                 settle: Callable[[int, _Outcome], None], suspects: deque[int]) -> bool:
    """Settle finished futures; return True when the pool broke (a worker died).

    A call caught in a broken pool becomes a suspect, unless it ran alone: then
    it is the one that killed its worker.
    """
    broken = False
    for future in done:
        index, alone = running.pop(future)
        try:
            outcome = future.result()
        except BrokenProcessPool:
            broken = True
            if alone:
                settle(index, _Outcome(False, WORKER_DIED, 0.0))
            else:
                suspects.append(index)
            continue
        settle(index, outcome)
    return broken


@contextlib.contextmanager
def _one_thread_per_worker() -> Iterator[None]:
    """Set the thread variables to 1 while worker processes are being started.

    Spawned workers inherit this process's environment, and OpenMP and BLAS
    read it once, when NumPy (and friends) load, before any initializer could
    run. The variables are restored on exit.
    """
    saved = {name: os.environ.get(name) for name in THREAD_VARIABLES}
    os.environ.update(dict.fromkeys(THREAD_VARIABLES, "1"))
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _init_worker(parent: int) -> None:
    """Cap thread pools already loaded (when threadpoolctl is available), and exit with
    the parent.

    Pool workers would otherwise outlive a batch process killed with SIGKILL,
    blocked forever on their task queue.
    """
    with contextlib.suppress(ImportError):
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True,
                     name="quantize-exit-with-parent").start()


def _exit_with_parent(parent: int, interval: float = 0.5) -> None:
    while os.getppid() == parent:
        time.sleep(interval)
    os._exit(1)


# --------------------------------------------------------------------------
# Dask
# --------------------------------------------------------------------------


def run_dask(calls: Sequence[_Call], scheduler: str, settle: Callable[[int, _Outcome], None],
             *, retries: int = 2, connect_timeout: float = 20.0) -> None:
    """Run ``calls`` on the dask.distributed cluster at ``scheduler``.

    ``client.map`` submits every call; results (small records, never pixels)
    are settled as they complete. A worker lost mid-task has its task
    rescheduled by the scheduler; a task that keeps killing workers, or raises
    after ``retries`` retries, settles as failed. Raises ValueError when no
    scheduler answers within ``connect_timeout`` seconds.
    """
    Client, as_completed = _import_distributed()
    retries = check_int(retries, "retries", minimum=0)
    try:
        client = Client(scheduler, timeout=connect_timeout)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ValueError(f"scheduler={scheduler!r}: cannot connect ({_one_line(exc)}); "
                         "expected the address of a running dask scheduler, "
                         "e.g. tcp://host:8786") from None
    with client:
        futures = client.map(_isolated, list(calls), pure=False, retries=retries)
        index = {future.key: i for i, future in enumerate(futures)}
        for future in as_completed(futures):
            i = index[future.key]
            if future.status == "error":
                settle(i, _Outcome(False, _dask_reason(future.exception()), 0.0))
            else:
                settle(i, future.result())
            future.release()


def _dask_reason(exc: BaseException) -> str:
    if type(exc).__name__ == "KilledWorker":
        return WORKER_DIED
    return _reason(exc)


def require_distributed() -> None:
    """Raise :class:`MissingDependencyError` unless dask.distributed can be imported."""
    _import_distributed()


def _import_distributed() -> tuple[Any, Any]:
    try:
        from dask.distributed import Client, as_completed
    except ImportError:
        raise MissingDependencyError(
            "--scheduler needs dask.distributed, which is not installed; "
            "install it with: pip install quantize[dask]") from None
    return Client, as_completed


# --------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------

_REPORT_FORMATS = (".json", ".csv")


def check_report_path(path: str | os.PathLike[str]) -> Path:
    """Return ``path`` if its extension is .json or .csv, else raise ValueError."""
    p = Path(path)
    if p.suffix.lower() not in _REPORT_FORMATS:
        raise ValueError(f"report={str(p)!r} has extension {p.suffix!r}; "
                         "expected .json or .csv")
    return p


def write_report(path: str | os.PathLike[str], results: Sequence[FileResult],
                 summary: BatchSummary) -> None:
    """Write per-file results as JSON (with a summary) or CSV, chosen by extension.

    Written atomically. Raises ValueError for another extension.
    """
    p = check_report_path(path)
    rows = [r.as_row() for r in results]
    if p.suffix.lower() == ".json":
        text = json.dumps({"summary": _summary_dict(summary), "files": rows}, indent=2)
    else:
        text = _csv_text(rows)
    atomic_write(p, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def _summary_dict(summary: BatchSummary) -> dict[str, Any]:
    return {"total": summary.total, "ok": summary.ok, "skipped": summary.skipped,
            "failed": summary.failed, "seconds": round(summary.seconds, 3),
            "interrupted": summary.interrupted}


def _csv_text(rows: Sequence[Mapping[str, Any]]) -> str:
    extra = sorted({k for row in rows for k in row} - set(REPORT_COLUMNS))
    buffer = _io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=[*REPORT_COLUMNS, *extra], restval="",
                            lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _csv_cell(v) for k, v in row.items()})
    return buffer.getvalue()


def _csv_cell(value: Any) -> Any:
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(value)
    return value
