"""Running a plan: each job on an executor, each file settled into a :class:`FileResult`.

:func:`run_batch` turns the plan's jobs into calls of :func:`run_job`, hands
them to the local pool (:mod:`~quantize.batch.executor_local`) or to Dask
(:mod:`~quantize.batch.executor_dask`) through :func:`run_calls`, and reports
every file as it settles. It never prints: progress goes to ``on_result``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import tempfile
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..errors import (
    FormatAdviceError,
    ImageReadError,
    OutputError,
    QualityError,
    ResultTooLargeError,
    command_line_text,
)
from ..io import missing_folders, remove_empty_folders, stale_parts
from .calls import Call, Outcome, Settle, attach_warnings, attached_warnings, one_line
from .manifest import check_appendable, compact_manifest, input_stamp, record_output
from .plan import BatchPlan, FileJob, JobMode
from .results import LARGER, STALE, FileResult

__all__ = ["absolute_paths", "call_with_warnings", "check_shared_storage", "file_result",
           "run_batch", "run_calls", "run_job", "worker_path"]


def run_batch(plan: BatchPlan, *, jobs: int | None = None, scheduler: str | None = None,
              retries: int = 2, on_result: Callable[[FileResult], None] | None = None,
              on_interrupt: Callable[[int], None] | None = None) -> list[FileResult]:
    """Run every planned job; return one result per file of the plan.

    Parameters
    ----------
    plan : BatchPlan
        From :func:`~quantize.batch.plan_batch`.
    jobs : int or None
        Local worker processes (default: the CPUs this process may use).
        Ignored with ``scheduler``.
    scheduler : str or None
        Address of a ``dask.distributed`` scheduler ("tcp://host:8786"). Workers
        must see the same paths (shared storage): this is checked before any job
        runs (:func:`check_shared_storage`), and a file that fails on its input
        although it is here is said to have failed on a worker without it.
    retries : int
        Dask only: times a task is retried after an unexpected error.
    on_result : callable or None
        Called in this process with each :class:`FileResult` as it settles,
        settled-at-planning files first.
    on_interrupt : callable or None
        Called with the number of files still running when the run is
        interrupted (KeyboardInterrupt); they are let finish, settled and
        recorded before the interrupt is raised again (a second one abandons
        them).

    Each file that succeeds is recorded, with the plan's settings, its record
    and its input's stamp as the job read it, in the output folder's manifest
    (:mod:`~quantize.batch.manifest`) as it settles; the manifest is first
    rewritten without the entries earlier runs superseded. Folders this run
    makes for outputs and leaves empty (all their files failed, or the run
    could not start) are removed at the end.

    Returns
    -------
    list of FileResult
        In the plan's order: settled files, then jobs. A job redoing an
        existing output (``FileJob.redo``) that succeeds is "ok" with that
        reason.

    Raises
    ------
    MissingDependencyError
        If ``scheduler`` is given and dask.distributed is not installed.
    OutputError
        If the manifest exists but cannot be added to (before any job runs), or
        cannot be written (a full disk, say), naming it.
    ValueError
        If a worker of ``scheduler`` does not see the plan's folders (before any
        job runs).
    ConnectionError
        If the Dask scheduler stops or is lost mid-run (the files settled before
        it are recorded).
    """
    report = on_result or (lambda result: None)
    with contextlib.suppress(OSError):  # housekeeping: a manifest left long still reads right
        compact_manifest(plan.output_dir)
    if plan.jobs:
        check_appendable(plan.output_dir)
    for output, entry in plan.restamped:  # copied or restored inputs: not read again next time
        with contextlib.suppress(OSError):
            record_output(plan.output_dir, output, entry.settings, entry.record, entry.input)
    for result in plan.settled:
        report(result)
    # A folder output is made by its job, which removes it on failure; the
    # folders that hold outputs are made here, and removed again if left empty.
    made = _make_folders({job.output.parent for job in plan.jobs})
    sent = plan.jobs if scheduler is None else [absolute_paths(job) for job in plan.jobs]
    calls = [Call(run_job, (plan.mode, job)) for job in sent]
    job_results: list[FileResult | None] = [None] * len(calls)

    def settle(index: int, outcome: Outcome) -> None:
        job = plan.jobs[index]
        if scheduler is not None:
            outcome = _as_given(_seen_here(job, outcome), sent[index], job)
        stamp = None
        if outcome.ok:
            record, stamp = outcome.value
            outcome = dataclasses.replace(outcome, value=record)
        result = file_result(job.input, job.output, outcome)
        if LARGER in result.record:  # recorded, so that a rerun does not try it again
            result = _kept_larger(plan.mode, job, result.record)
            record_output(plan.output_dir, job.output, plan.settings, result.record, stamp)
        elif result.status == "ok":
            result = dataclasses.replace(result, reason=job.redo)
            record_output(plan.output_dir, job.output, plan.settings, result.record, stamp)
        job_results[index] = result
        report(result)

    try:
        if scheduler is not None:
            check_shared_storage(plan, scheduler)
        run_calls(calls, settle, jobs=jobs, scheduler=scheduler, retries=retries,
                  on_interrupt=on_interrupt)
    finally:
        remove_empty_folders(made)
    return plan.settled + [r for r in job_results if r is not None]


#: Why a file a Dask worker handled is not as it is here: the worker has other storage.
NOT_SHARED = ("the Dask workers must see the input and output folders at the same paths as "
              "this machine (shared storage)")


#: The reason of a job whose input is not there when it starts (deleted since the plan was
#: made, or, on a Dask worker, not on the storage the worker sees).
INPUT_MISSING = "no such file"


def _seen_here(job: FileJob, outcome: Outcome) -> Outcome:
    """The ``outcome`` a Dask worker gave for ``job``, whose input it did not find although
    that is here: said to be a worker without the storage this process sees."""
    if (not outcome.ok and outcome.value == INPUT_MISSING and outcome.path is not None
            and _same_path(Path(outcome.path), job.input) and job.input.exists()):
        return dataclasses.replace(outcome, value=f"{INPUT_MISSING} on the Dask worker, but "
                                   f"it is here; {NOT_SHARED}")
    return outcome


def _as_given(outcome: Outcome, sent: FileJob, job: FileJob) -> Outcome:
    """``outcome`` of ``sent`` (``job`` with its paths made absolute for a Dask worker), its
    record's paths and the path of its error written as ``job`` has them: the reports, the
    manifest and the lines show them so, as when the job runs here."""
    def given(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        for absolute, path in ((sent.output, job.output), (sent.input, job.input)):
            try:
                below = Path(value).relative_to(absolute)
            except ValueError:
                continue
            return str(path / below) if below.parts else str(path)
        return value

    if not outcome.ok:
        return dataclasses.replace(outcome, path=given(outcome.path))
    record, stamp = outcome.value
    return dataclasses.replace(outcome, value=({k: given(v) for k, v in record.items()}, stamp))


def check_shared_storage(plan: BatchPlan, scheduler: str) -> None:
    """Refuse to run ``plan`` on the workers of ``scheduler`` if one of them does not see
    its folders as this process does (a worker with a folder of the same name on its own
    disk would write outputs where nobody looks for them, each reported as made).

    Looked at with the first job's input and a probe file made in the output folder,
    whose name is new (a network file system's cache cannot hold an old answer for it),
    then removed, with the output folder if this made it. A worker that joins later is
    not asked.

    Raises
    ------
    ValueError
        Naming the first worker that does not see one, and the path; or the first
        worker that runs another version of quantize
        (:func:`~quantize.batch.executor_dask.unseen_by_workers` checks both).
    """
    from .executor_dask import unseen_by_workers

    if not plan.jobs:
        return
    made = missing_folders(plan.output_dir)
    plan.output_dir.mkdir(parents=True, exist_ok=True)
    try:
        fd, probe = tempfile.mkstemp(prefix=".quantize-probe-", dir=plan.output_dir)
        os.close(fd)
        try:
            first = worker_path(plan.jobs[0].input)
            unseen = unseen_by_workers(scheduler, [first, worker_path(Path(probe))])
        finally:
            with contextlib.suppress(OSError):
                os.unlink(probe)
    finally:
        remove_empty_folders(made)
    if unseen:
        worker, path = next(iter(unseen.items()))
        others = f" (and {len(unseen) - 1} more)" if len(unseen) > 1 else ""
        what = "the input folder" if path == first else "the output folder"
        raise ValueError(f"scheduler={scheduler!r}: the worker {worker}{others} does not see "
                         f"{what} ({path.parent} has no {path.name} there); {NOT_SHARED}")


#: Added to the reason of a file whose result was larger and whose existing output is stale.
STALE_NOTE = ("; it is stale (not made from the input as it is now, or not with these "
              "options): rerun without --skip-if-larger to replace it")


def _kept_larger(mode: JobMode, job: FileJob, record: Mapping[str, Any]) -> FileResult:
    """A job whose result was larger than its input: skipped, with no output, or with the
    output of an earlier run, kept as ``reduce --force --skip-if-larger`` keeps it, and
    said to be stale (:data:`~quantize.batch.results.STALE` in its record). The one place
    that decides what such a file keeps; the planner skips it again from its record."""
    if not mode.done_path(job.output).exists():
        return FileResult.larger(job.input, None, record)
    return FileResult.larger(job.input, job.output,
                             {**record, LARGER: record[LARGER] + STALE_NOTE, STALE: True})


def worker_path(value: Any) -> Any:
    """``value`` made absolute (links not followed) when it is a path, else as it is.

    A Dask worker resolves a relative path in its own folder, not where the
    batch runs: every path sent to one goes through here.

    >>> worker_path(Path("a.png")) == Path.cwd() / "a.png", worker_path("rgb")
    (True, 'rgb')
    """
    return Path(os.path.abspath(value)) if isinstance(value, os.PathLike) else value


# Options that name a file, also when given as a string (plan_batch called from Python).
_PATH_OPTIONS = frozenset({"palette_in", "palette_out"})


def absolute_paths(job: FileJob) -> FileJob:
    """``job`` with its paths (input, output, path options) absolute, for a Dask worker.

    >>> job = absolute_paths(FileJob(Path("a.png"), Path("a.k8.png"),
    ...                              {"palette_in": "p.hex", "space": "rgb"}))
    >>> job.options["palette_in"] == Path.cwd() / "p.hex", job.options["space"]
    (True, 'rgb')
    """
    options = {k: worker_path(Path(v) if k in _PATH_OPTIONS and isinstance(v, str) else v)
               for k, v in job.options.items()}
    return FileJob(worker_path(job.input), worker_path(job.output), options, job.redo)


def _make_folders(folders: set[Path]) -> list[Path]:
    """Create ``folders`` (and their missing parents); return those created, deepest first.

    Raises
    ------
    OutputError
        If a folder cannot be created, naming it; the folders made before are removed.
    """
    made: list[Path] = []
    for folder in sorted(folders):
        missing = missing_folders(folder)
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            remove_empty_folders(missing + made)
            raise OutputError(f"output folder {exc.filename or folder} cannot be created "
                              f"({exc.strerror or exc}); no file was processed",
                              path=folder) from None
        made[:0] = missing  # a later folder's may lie below an earlier one's
    return made


def run_calls(calls: Sequence[Call], settle: Settle, *, jobs: int | None = None,
              scheduler: str | None = None, retries: int = 2,
              on_interrupt: Callable[[int], None] | None = None) -> None:
    """Run ``calls`` on Dask when ``scheduler`` is given, else in the local pool."""
    if scheduler is not None:
        from .executor_dask import run_dask

        run_dask(calls, scheduler, settle, retries=retries, on_interrupt=on_interrupt)
    else:
        from .executor_local import run_local

        run_local(calls, settle, jobs=jobs, on_interrupt=on_interrupt)


def file_result(input: Path, output: Path | None, outcome: Outcome) -> FileResult:
    """The :class:`FileResult` of a job's outcome.

    A failure's reason names its file only when that is not ``input`` itself
    (e.g. an output that cannot be written); its seconds are rounded as the
    jobs round theirs, and the warnings raised before it are kept in its record.
    """
    if outcome.ok:
        return FileResult(input, output, "ok", "", dict(outcome.value))
    reason = outcome.value
    if outcome.path is not None and not _same_path(Path(outcome.path), input):
        reason = f"{outcome.path}: {reason}"
    record: dict[str, Any] = {"seconds": round(outcome.seconds, 4)}
    if outcome.warnings:
        record["warnings"] = list(outcome.warnings)
    return FileResult(input, output, "failed", reason, record, exit_code=outcome.exit_code)


def _same_path(a: Path, b: Path) -> bool:
    return a == b or os.path.abspath(a) == os.path.abspath(b)


def run_job(mode: JobMode, job: FileJob) -> tuple[dict[str, Any], dict[str, Any]]:
    """In a worker: clear temporary files a killed run left, then run the job.

    ``force=True`` because the plan already decided this output is to be
    (re)made: a folder output may hold files of an interrupted earlier run.
    Warnings are returned in the record (``"warnings"``), not printed by the worker;
    like every file job's warning they do not name the input, which is shown before them.
    A warning's advice on the output format (:class:`~quantize.errors.FormatAdviceWarning`)
    is left out, and so is a :class:`~quantize.errors.QualityError`'s or a
    :class:`~quantize.errors.FormatAdviceError`'s: a batch chooses each
    output's format itself, which no option changes;
    so is its advice in Python (:class:`~quantize.errors.CodeAdviceWarning`), as in
    :func:`call_with_warnings`.

    A result larger than the input (``skip_if_larger``: nothing written) returns the
    record ``{LARGER: reason}`` (with the job's ``"warnings"``, if any), settled as
    skipped, not failed.

    Returns the job's record and the input's stamp
    (:func:`~quantize.batch.manifest.input_stamp`), taken before the job reads
    the input: an input edited while the job runs is seen as changed by the
    next run. Taken here, on the worker, so that a Dask cluster reads each
    input for its digest where it reads it for the job.
    """
    _remove_stale_parts(mode, job.output)
    if _missing(job.input):
        raise ImageReadError(INPUT_MISSING, path=job.input)
    stamp = input_stamp(job.input)
    try:
        record = _recorded(mode.func, (job.input, job.output),
                           {**job.options, "force": True}, format_advice=False)
    except ResultTooLargeError as exc:
        said = attached_warnings(exc)
        return {LARGER: exc.reason, **({"warnings": list(said)} if said else {})}, stamp
    except QualityError as exc:  # its advice on the output format, as a warning's, left out
        if not exc.format_advice:
            raise
        raise QualityError(exc.facts, path=exc.path) from None
    except FormatAdviceError as exc:  # e.g. "or for a still image a .jpg/.webp/.tif output"
        raise ValueError(exc.facts) from None
    return record, stamp


def _missing(path: Path) -> bool:
    """Whether ``path`` is not there (not even as a broken link, which the job names)."""
    return not os.path.lexists(path)


def call_with_warnings(func: Callable[..., Mapping[str, Any]], *args: Any,
                       **kwargs: Any) -> dict[str, Any]:
    """``func(*args, **kwargs)``'s record, with the warnings it raised under ``"warnings"``.

    For workers, which must not print: the warnings travel back in the record
    (one line each) and the driver shows them, as the command line words them
    (:func:`~quantize.errors.command_line_text`: without advice in Python). When
    ``func`` raises, the warnings raised before go with the error
    (:func:`~quantize.batch.calls.attach_warnings`), into the failed outcome.
    """
    return _recorded(func, args, kwargs, format_advice=True)


def _recorded(func: Callable[..., Mapping[str, Any]], args: tuple[Any, ...],
              kwargs: Mapping[str, Any], *, format_advice: bool) -> dict[str, Any]:
    """:func:`call_with_warnings`; without ``format_advice``, the warnings' advice on the
    output format is left out (:func:`~quantize.errors.command_line_text`)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            record = dict(func(*args, **kwargs))
        except Exception as exc:
            attach_warnings(exc, _messages(caught, format_advice))
            raise
    if caught:
        record["warnings"] = _messages(caught, format_advice)
    return record


def _messages(caught: list[warnings.WarningMessage], format_advice: bool) -> list[str]:
    """Each warning once, one line each: a file's frames may each raise the same one."""
    said = (command_line_text(w.message, format_advice=format_advice) for w in caught)
    return list(dict.fromkeys(one_line(m) for m in said))


def _remove_stale_parts(mode: JobMode, output: Path) -> None:
    """Delete the temporary files a killed run of this job left (see io.stale_parts)."""
    if mode.makes_folder:
        stale = stale_parts(output)
    else:
        stale = stale_parts(output.parent, output.name)
    for part in stale:
        with contextlib.suppress(FileNotFoundError):
            part.unlink()
