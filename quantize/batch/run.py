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
import re
import stat
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..errors import (
    ExifLeftOutWarning,
    ExitCode,
    FormatAdviceError,
    GeoTagsLeftOutWarning,
    GifTableWarning,
    ImageReadError,
    LossyColorsWarning,
    OutputError,
    PaletteInWarning,
    ProfileConvertedWarning,
    QualityError,
    QualityLimitWarning,
    ResultTooLargeError,
    SizeBudgetError,
    TextLeftOutWarning,
    WideLabelsWarning,
    failure_kind,
)
from ..io import (
    folder_made,
    link_to_nothing_words,
    parts_listed_once,
    remove_empty_folders,
    stale_parts,
    written_through,
)
from ..names import quoted
from ..palette_files import PaletteReadWarning
from ..reduce.fit import FewerColorsWarning
from ..reduce.records import EXISTING_KEPT
from .calls import (
    Call,
    CallsAbandoned,
    Outcome,
    Settle,
    attached_warnings,
    call_with_warnings,
    recorded_call,
)
from .executor_dask import NOT_SHARED, SchedulerLostError, check_scheduler_address
from .lock import LOCK_NAME
from .manifest import (
    DAMAGED_SUFFIX,
    MANIFEST_NAME,
    SHARED_PALETTE_NAME,
    Entry,
    check_appendable,
    compact_manifest,
    input_stamp,
    manifest_key,
    mark_written,
    marked_written,
    read_manifest,
    record_entries,
    record_forced_done,
    record_forced_run,
    record_output,
    record_pending,
    record_removed,
    remove_mark,
    source_key,
    written_mark,
)
from .plan import BatchPlan, FileJob, JobMode
from .results import (
    FEWER_COLORS,
    FOLDERS_LEFT,
    LARGER,
    LEFT_OUT,
    MISSED,
    NOT_REMOVED,
    REMOVED,
    STALE,
    FileResult,
    classes_left_out_reason,
    file_result,
    made_larger,
    same_path,
)

__all__ = ["NOT_DONE", "FilesAbandoned", "NotRecordedError", "absolute_paths",
           "call_with_warnings", "check_shared_storage", "check_writable_output", "file_result",
           "kept_by_batch", "remove_stale_probes", "remove_unclaimed",
           "run_batch", "run_calls", "run_job", "seen_here", "worker_path"]


def run_batch(plan: BatchPlan, *, jobs: int | None = None, scheduler: Any = None,
              retries: int = 2, on_result: Callable[[FileResult], None] | None = None,
              on_interrupt: Callable[[int], None] | None = None,
              worker_timeout: float | None = None,
              on_workers: Callable[[int, int, float], None] | None = None,
              on_retry: Callable[[Path, str, int, int | None], None] | None = None
              ) -> list[FileResult]:
    """Run every planned job; return one result per file of the plan.

    Parameters
    ----------
    plan : BatchPlan
        From :func:`~quantize.batch.plan_batch`.
    jobs : int or None
        Local worker processes (default: the CPUs this process may use).
        Ignored with ``scheduler``.
    scheduler : str, dask cluster or None
        Address of a ``dask.distributed`` scheduler ("tcp://host:8786"), or a cluster
        object (``LocalCluster``), or a ``Client``, taken as its scheduler's address
        and left open: :func:`check_scheduler_address`. Workers
        must see the same paths (shared storage): this is checked before any job
        runs (:func:`check_shared_storage`), and a file that fails on its input
        although it is here is said to have failed on a worker without it. A
        worker that joins later is checked by each file's task: a file given to one
        that does not see the output folder, or runs another version of quantize,
        fails without being run, the reason saying so.
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
    worker_timeout : float or None
        Dask only: seconds without any worker connected after which the run gives up on
        the files not done (:class:`~quantize.batch.NoWorkerError`); None waits until one
        joins (:func:`~quantize.batch.run_dask`).
    on_workers : callable or None
        Dask only: ``on_workers(n_workers, n_waiting, seconds)``, called from another
        thread when the last worker leaves, as a reminder while none is back, and when
        workers are back (:func:`~quantize.batch.run_dask`).
    on_retry : callable or None
        Dask only: ``on_retry(input, worker, n, of)``, called from another thread when the
        Dask worker ``worker`` was lost (it died) holding the job of ``input``, which is
        run again: the ``n``-th time, of at most ``of`` (None when the scheduler does not
        say its ``allowed-failures``). The workers lost so are in the file's record,
        :data:`~quantize.batch.WORKERS_LOST`, whether it then succeeded or not.

    Every job is handed its paths absolute (:func:`absolute_paths`), on either
    executor, so that its outputs hold the same bytes wherever it ran; its result
    names them as the plan has them, in its record, its warnings and its error (a
    ``palette_in`` file as given, not made absolute).

    Each file that succeeds is recorded, with the plan's settings, its record
    and its input's stamp as the job read it, in the output folder's manifest
    (:mod:`~quantize.batch.manifest`) as it settles; before any job runs, the outputs
    not there yet are recorded as pending (a run killed between writing one and
    recording it leaves it known as a batch's, made again by the next run), and the
    pending entry of a file that fails without output is taken back, as are those of the
    files a stopped run did not reach, unless on Dask: a worker still running one of them
    when the run stopped (a lost scheduler, a second interrupt) writes its output
    afterwards, which its pending entry claims, so that the next run makes it again and
    records it. The manifest is first
    rewritten without the entries earlier runs superseded, and the probe files of Dask runs
    killed on this host are removed (:func:`remove_stale_probes`). A file the shared
    palette was fitted without (:attr:`BatchPlan.left_out`) has why in its result's
    record, and so in the manifest. Folders this run
    makes for outputs and leaves empty (all their files failed, or the run
    could not start) are removed at the end, and so is the folder a failed job made for
    its outputs (a worker that died or was lost mid-job left it, holding at most the
    temporary files it was writing), unless it holds other files. So is the folder of a job
    the run stops without (a second interrupt, a lost scheduler; on Dask only while empty,
    as its worker may still write into it), and, before the jobs, what a run killed outright
    left of the outputs it recorded as pending: their folders holding nothing but its
    temporary files, and the folders made for them, if empty. So a second batch must not
    plan or run into the same folder at the same time: hold
    :func:`~quantize.batch.batch_lock` around both, as ``quantize batch`` does.

    Returns
    -------
    list of FileResult
        In the plan's order: settled files, then jobs. A job redoing an
        existing output (``FileJob.redo``) that succeeds is "ok" with that
        reason. A job whose output goes into a folder below the output folder that cannot
        be made, as a file (or a link to nothing) has its name or that of a folder above
        it, fails without running, among the settled files, its reason naming that file
        (and ``--remove-orphans`` when it is one of :attr:`BatchPlan.unclaimed`); the other
        jobs run. Nothing is recorded of it.

    Raises
    ------
    MissingDependencyError
        If ``scheduler`` is given and dask.distributed is not installed.
    TypeError
        If ``scheduler`` is neither an address, a cluster nor a client (a closed
        ``Client``, say), before anything is read or written.
    OutputError
        If the manifest exists but cannot be added to (before any job runs), naming it.
    NotRecordedError
        An :class:`~quantize.errors.OutputError`: the manifest cannot be written (a full
        disk, say), naming it. The file whose record it could not take is first given to
        ``on_result`` as failed, that error and that the run stopped its reason; the output
        its job wrote, which no record holds, is removed (only as written: one changed
        since is left, and said), as a killed job leaves none.
    ValueError
        If a worker of ``scheduler`` does not see the plan's folders (before any
        job runs).
    FilesAbandoned
        A KeyboardInterrupt: a second interrupt abandoned the files in progress (on the
        local pool), named by its ``inputs``; any other interrupt is raised as it came.
    SchedulerLostError
        A ConnectionError: the Dask scheduler stopped or was lost mid-run (a
        :class:`~quantize.batch.NoWorkerError`: no worker for ``worker_timeout``). The files
        settled before are reported and recorded; its ``not_done`` holds a "failed"
        result for each file of the plan not settled, its reason :data:`NOT_DONE`
        (not given to ``on_result``: they did not settle).
    """
    if scheduler is not None:  # before any housekeeping in the output folder
        scheduler = check_scheduler_address(scheduler)
    report = on_result or (lambda result: None)
    with contextlib.suppress(OSError):  # housekeeping: a manifest left long still reads right
        compact_manifest(plan.output_dir, plan.manifest)
    remove_stale_probes(plan.output_dir)  # left by a run killed on this host
    _remove_killed_runs_folders(plan)
    if plan.jobs:
        check_appendable(plan.output_dir)
    # copied or restored inputs: not read again next time (and outputs whose inputs went, or
    # came back; a pending one left by a stopped run, under a name no longer planned), but
    # those removed since (remove_unclaimed); an unfinished folder output has no mark yet
    with contextlib.suppress(OSError):
        record_entries(plan.output_dir, [
            (output, entry) for output, entry in plan.restamped
            if os.path.lexists(output if entry.pending else plan.mode.done_path(output))])
    if plan.dropped:  # pending, no longer planned, never written: no output to remember
        with contextlib.suppress(OutputError):
            record_removed(plan.output_dir, *(output for output in plan.dropped
                                              if not os.path.lexists(output)))
    if plan.disowned:  # pending, but the file there is not the one that run wrote: not its
        with contextlib.suppress(OutputError):
            record_removed(plan.output_dir, *plan.disowned)
        for output in plan.disowned:
            remove_mark(plan.mode.done_path(output))
    settled = [_left_out(plan, _replace_earlier(plan, result) if result.status == "skipped"
                         else _none_there(result)) for result in plan.settled]
    # The files whose output folder a file is in the way of fail alone, the others run.
    plan, blocked = _without_blocked(plan)
    settled += blocked
    # A folder output is made by its job, which removes it on failure; the
    # folders that hold outputs are made here, and removed again if left empty. The
    # settled files are reported once they are made: a run that cannot make them
    # stops with that one error, no file reported.
    with _output_folders({job.output.parent for job in plan.jobs}, plan.unclaimed):
        for result in settled:
            report(result)
        told = None if on_retry is None else (
            lambda i, worker, n, of: on_retry(plan.jobs[i].input, worker, n, of))
        return settled + _run_jobs(plan, report, jobs, scheduler, retries, on_interrupt,
                                   {"worker_timeout": worker_timeout, "on_workers": on_workers,
                                    "on_retry": told})


def _run_jobs(plan: BatchPlan, report: Callable[[FileResult], None], jobs: int | None,
              scheduler: str | None, retries: int,
              on_interrupt: Callable[[int], None] | None,
              watch: Mapping[str, Any]) -> list[FileResult]:
    """:func:`run_batch`'s jobs, once the folders of their outputs are made: each file's
    result, in the plan's order, given to ``report`` as it settles and recorded."""
    # Absolute on either executor: what a job writes into its outputs (the input and folder
    # segments.json names) is then the same, wherever it ran.
    sent = [absolute_paths(job) for job in plan.jobs]
    calls = [Call(run_job, (plan.mode, job)) for job in sent]
    job_results: list[FileResult | None] = [None] * len(calls)
    new = {job.output for job in plan.jobs if not os.path.lexists(plan.mode.done_path(job.output))}
    # A folder a job makes as it starts: one its failed job leaves (its worker lost) is
    # removed, if it held none of the job's files before (not there, or left so by a kill),
    # once the run's workers have ended (a dead worker's temporary files are then stale).
    unmade = {job.output for job in plan.jobs if plan.mode.makes_folder and not any(
        os.path.lexists(path) for path in plan.mode.written_files(job.output))}
    failed_folders: list[Path] = []
    first = not os.path.lexists(plan.output_dir / MANIFEST_NAME)  # made by this run's pending
    recorded = []  # a file this run recorded: the manifest it made holds an entry

    def settle(index: int, outcome: Outcome) -> None:
        job = plan.jobs[index]
        if scheduler is not None:
            outcome = seen_here(job.input, outcome)
        outcome = _as_given(outcome, sent[index], job)
        stamp = None
        if outcome.ok:
            record, stamp = outcome.value
            if plan.settings.get("shared_palette"):
                record = _shared_palette_named(plan.output_dir, record)
            outcome = dataclasses.replace(outcome, value=record)
        result = _left_out(plan, file_result(job.input, job.output, outcome))  # recorded too
        source = source_key(plan.output_dir, job.input)
        try:
            if LARGER in result.record:  # recorded, so that a rerun does not try it again
                result = _kept_larger(plan, job, result.record)
                if _records_larger(result):
                    record_output(plan.output_dir, job.output, plan.settings, result.record,
                                  stamp, source, run=plan.run)
                    recorded.append(index)
            elif MISSED in result.record:  # failed; recorded, so that a rerun skips it
                result = _failed_kept(plan, job, _missed_now(result, outcome.seconds))
                if result.output is None:  # else not recorded: the entry would claim that file
                    record_output(plan.output_dir, job.output, plan.settings,
                                  _missed_entry(result, record), stamp, source,
                                  run=plan.run)
                    recorded.append(index)
                elif job.output in new:
                    _take_back_pending(plan, [job.output])
            elif result.status == "ok":
                result = dataclasses.replace(result, reason=job.redo)
                record_output(plan.output_dir, job.output, plan.settings, result.record, stamp,
                              source, run=plan.run)
                recorded.append(index)
                remove_mark(plan.mode.done_path(job.output))  # recorded: no longer needed
                result = _replace_earlier(plan, result)
            else:  # failed: an earlier output left in place is said to be stale
                if job.output in unmade:  # its worker lost, the folder its job made is left
                    failed_folders.append(job.output)
                result = _failed_kept(plan, job, result)
                if job.output in new:  # no longer pending, if nothing was made
                    _take_back_pending(plan, [job.output])
        except OutputError as exc:  # the run stops; this file is reported failed first
            written = result.status == "ok"  # (a larger result wrote nothing)
            job_results[index] = _not_recorded(plan.mode, result, exc, written)
            remove_mark(plan.mode.done_path(job.output))
            report(job_results[index])
            raise NotRecordedError(exc.reason, path=exc.path, input=job.input,
                                   os_errno=exc.os_errno) from None
        job_results[index] = result
        report(result)

    pending = set()  # recorded as pending: taken back below for the jobs that never ran
    started = time.time_ns()  # an output finished since is this run's
    try:
        if scheduler is None or not plan.jobs:
            _record_pending(plan, new)
            pending = new
            run_calls(calls, settle, jobs=jobs, scheduler=scheduler, retries=retries,
                      on_interrupt=on_interrupt)
            _finished(plan)
        else:  # the probe stays for the run: a worker that joins later looks for it too
            with _probe_file(plan.output_dir) as probe:
                check_shared_storage(plan, scheduler, probe)
                _record_pending(plan, new)  # once the workers are known to see the folder
                pending = new
                run_calls(calls, settle, scheduler=scheduler, retries=retries,
                          on_interrupt=on_interrupt, must_see=worker_path(probe),
                          must_see_as=str(probe), must_write=True, **watch)
            _finished(plan)
    except KeyboardInterrupt as exc:  # once every file settled (the last let finish), done
        if all(result is not None for result in job_results):
            _finished(plan)
        if isinstance(exc, CallsAbandoned):  # by their inputs, for the reports
            raise FilesAbandoned([plan.jobs[i].input for i in exc.indices]) from None
        raise
    except NotRecordedError as exc:
        if scheduler is not None:  # a worker may still finish its job: not known here
            raise
        raise NotRecordedError(exc.reason, path=exc.path, input=exc.input,
                               left=_finished_unsettled(plan, job_results, started),
                               os_errno=exc.os_errno) from None
    except SchedulerLostError as exc:
        not_done = [FileResult(job.input, job.output, "failed", NOT_DONE,
                               exit_code=ExitCode.FAILED)
                    for job, result in zip(plan.jobs, job_results, strict=True)
                    if result is None]
        raise type(exc)(str(exc), not_done) from None  # a NoWorkerError stays one
    finally:
        for folder in failed_folders:
            _remove_unfinished_folder(plan.mode, folder)
        # Abandoned (a second Ctrl-C terminated its worker) or not reported (a lost Dask
        # scheduler, whose worker may still write into it: only an empty one is removed).
        abandoned = [job.output for job, result in zip(plan.jobs, job_results, strict=True)
                     if result is None and job.output in unmade]
        for folder in abandoned:
            if scheduler is None:
                _remove_unfinished_folder(plan.mode, folder)
        if scheduler is not None:
            remove_empty_folders(abandoned)
        # A run stopped (Ctrl-C, an error) takes back the pending entries of the outputs it
        # did not make. Not on Dask: a worker cannot stop a job it runs (a lost scheduler, a
        # second Ctrl-C), and writes its output after the run stopped; its entry left
        # pending, as a killed run leaves it, claims only the file that job marks
        # (manifest.mark_written), which a rerun makes again. A file put under such a name
        # since, unmarked, is of no record (plan: disowned); one never written is planned as
        # one not there.
        if scheduler is None:
            _take_back_pending(plan, [job.output for job, result in zip(
                plan.jobs, job_results, strict=True) if result is None and job.output in pending])
        # every file failed: the folder is left as it was, empty or not there
        if first and not recorded:
            _remove_if_no_entry(plan.output_dir)
    return [r for r in job_results if r is not None]


class FilesAbandoned(KeyboardInterrupt):
    """A second interrupt abandoned the files in progress (local runs: their workers were
    stopped): ``inputs``, those files, in the plan's order. Neither settled nor recorded;
    the reports have them apart from those the run did not reach (status "abandoned")."""

    def __init__(self, inputs: Sequence[Path]) -> None:
        super().__init__()
        self.inputs = list(inputs)


class NotRecordedError(OutputError):
    """The manifest could not take the record of a file done (a full disk): the run stopped.

    ``input`` is that file, given to ``on_result`` as failed with this error in its reason
    (:func:`run_batch`): a caller that shows each file's failure has said it. ``left``
    are the outputs of other files whose jobs, running beside it in local workers,
    finished as the run stopped: written, given to no ``on_result`` and in no record,
    they are left in place with their pending entries, as a killed run leaves them, and
    the next run makes them again.
    """

    def __init__(self, reason: str, *, path: str | os.PathLike[str] | None = None,
                 input: str | os.PathLike[str] | None = None, left: Sequence[Path] = (),
                 os_errno: int | None = None):
        super().__init__(reason, path=path, os_errno=os_errno)
        self.input = None if input is None else Path(input)
        self.left = tuple(left)

    def __reduce__(self):
        return (_not_recorded_error, (self.reason, self.path, self.input, self.left,
                                      self.os_errno))


def _not_recorded_error(reason: str, path: str | None, input: Path | None,
                        left: Sequence[Path] = (), os_errno: int | None = None
                        ) -> NotRecordedError:
    return NotRecordedError(reason, path=path, input=input, left=left, os_errno=os_errno)


def _finished_unsettled(plan: BatchPlan, job_results: Sequence[FileResult | None],
                        since: int) -> list[Path]:
    """The outputs of the jobs of ``plan`` with no result that their jobs finished (marked
    written: :func:`~quantize.batch.manifest.marked_written`) at ``since`` (ns) or later,
    in the run that stopped: not a mark an earlier run left."""
    left = []
    for job, result in zip(plan.jobs, job_results, strict=True):
        done = plan.mode.done_path(job.output)
        if result is None and marked_written(done):
            with contextlib.suppress(OSError):
                if os.stat(done).st_mtime_ns >= since:
                    left.append(job.output)
    return left


def _remove_if_no_entry(folder: Path) -> None:
    """Remove the manifest of ``folder`` when it holds no entry (this run made it, for
    outputs pending that were not made). Asked only after a run that recorded no file:
    the first run over a folder of 1,000 small files read its 2,000 lines back (29 ms) to
    find one."""
    with contextlib.suppress(OSError):
        if not read_manifest(folder, pending=True):
            (folder / MANIFEST_NAME).unlink()


def _take_back_pending(plan: BatchPlan, outputs: list[Path]) -> None:
    """Record as no longer pending each of ``outputs`` that is not there (its job did not
    run, failed, or stopped before writing it), in one write; one that is there stays pending, a
    batch's unfinished output (:func:`_record_pending`). A manifest that cannot be written
    here leaves them pending, as a killed run does."""
    gone = [output for output in outputs if not os.path.lexists(plan.mode.done_path(output))]
    if gone:
        with contextlib.suppress(OutputError):
            record_removed(plan.output_dir, *gone)


def _finished(plan: BatchPlan) -> None:
    """Record that the run of ``plan`` reached every file: no run with force is unfinished
    in its output folder (:func:`~quantize.batch.manifest.record_forced_done`). A
    manifest that cannot be written here leaves it unfinished: a rerun with force skips
    the outputs it made. Only a run with force, or one that found such a run unfinished
    when planned, can leave one recorded: any other does not read the manifest again (a
    whole second reading of it, at every run)."""
    if plan.run is None and plan.manifest.forced is None:
        return
    with contextlib.suppress(OSError):
        record_forced_done(plan.output_dir, plan.mode.name)


def _record_pending(plan: BatchPlan, new: set[Path]) -> None:
    """Record the outputs in ``new`` (the plan's that are not there) as pending, before any
    job runs: a run killed between writing one and recording it leaves it known as a
    batch's, which the next run makes again (:func:`~quantize.batch.manifest.record_pending`).
    With force, first that the run is under way
    (:func:`~quantize.batch.manifest.record_forced_run`), so that a rerun with force and
    the same settings finishes it rather than redoing the outputs it made.

    Raises
    ------
    OutputError
        If the manifest cannot be written, naming it; no file was processed.
    """
    outputs = [(job.output, source_key(plan.output_dir, job.input))
               for job in plan.jobs if job.output in new]
    try:
        if plan.run is not None and plan.jobs:
            record_forced_run(plan.output_dir, plan.settings, plan.run, plan.mode.name)
        record_pending(plan.output_dir, outputs, plan.settings)
    except OutputError as exc:
        raise OutputError(f"{exc.reason}; no file was processed", path=exc.path,
                          os_errno=exc.os_errno) from None


def _not_recorded(mode: JobMode, result: FileResult, exc: OutputError,
                  written: bool) -> FileResult:
    """``result``, of a file done whose record the manifest could not take (``exc``: a full
    disk), as failed, the reason that error and that the run stopped. The output its job
    has just ``written``, which no record would hold, is removed (only as written:
    :func:`_remove_output`), or said to be left in place, with why; a stale output kept
    from before (a larger result) is left as it is. Its warnings and why it was left out
    of the shared palette are kept; its metrics are not reported, as of any failed file."""
    kept = {key: result.record[key] for key in ("seconds", "warnings", LEFT_OUT)
            if key in result.record}
    output, reason = result.output, f"{exc}; the run stopped"
    if written and output is not None:
        why = _remove_output(mode, output, Entry({}, result.record))
        if why is None:
            output, reason = None, f"{reason}, and this file's output, unrecorded, was removed"
        else:
            reason = f"{reason}, and this file's output, unrecorded, is left in place: {why}"
    return FileResult(result.input, output, "failed", reason, kept, exit_code=exc.exit_code,
                      failure=failure_kind(exc))


def remove_unclaimed(plan: BatchPlan) -> tuple[list[Path], dict[Path, str]]:
    """Remove the outputs of files that are not among the plan's inputs
    (:attr:`BatchPlan.unclaimed`: deleted, renamed, or not selected by its folder, pattern
    or recursion), as an earlier run's outputs under other names are removed: only the
    files its job wrote, and only as written; the manifest records each removal. Those
    are also the outputs a stopped run left pending under names the plan does not give:
    that run's, unfinished, with no size recorded to check them against.

    The folders below the output folder that held them are removed too when that empties
    them, as a run leaves no mirrored folder without an output.

    Returns the outputs removed, and those left in place with why (changed since that run
    wrote them, or the system refused), each sorted.
    """
    recorded = plan.manifest.entries  # a stopped run's too
    removed, kept = [], {}
    for old in plan.unclaimed:
        entry = recorded.get(manifest_key(plan.output_dir, old))
        why = ("no record of it" if entry is None
               else _remove_output(plan.mode, old, entry, unused=True))
        if why is None:
            with contextlib.suppress(OutputError):  # a full disk: the next run sees it gone
                record_removed(plan.output_dir, old)
            removed.append(old)
        else:
            kept[old] = why
    remove_empty_folders(_folders_below(plan.output_dir, removed))
    return removed, kept


def _folders_below(folder: Path, paths: Sequence[Path]) -> list[Path]:
    """The folders ``paths`` (each named as ``folder / key``) lie in below ``folder``, the
    deepest first.

    >>> [p.as_posix() for p in _folders_below(Path("out"), [Path("out/a/b/x.png"),
    ...                                                     Path("out/a/y.png"), Path("out/z")])]
    ['out/a/b', 'out/a']
    """
    below = {parent for path in paths for parent in path.relative_to(folder).parents
             if parent != Path(".")}
    return [folder / rel for rel in sorted(below, key=lambda p: (-len(p.parts), p.as_posix()))]


def _left_out(plan: BatchPlan, result: FileResult) -> FileResult:
    """``result`` with why its file was left out of the shared palette's fit, if it was
    (:attr:`BatchPlan.left_out`, under :data:`~quantize.batch.results.LEFT_OUT`), or of
    the shared classes' fit, in its reason
    (:func:`~quantize.batch.results.classes_left_out_reason`)."""
    why = plan.left_out.get(result.input)
    if why is None:
        return result
    if plan.settings.get("shared_classes"):
        return dataclasses.replace(result, reason=classes_left_out_reason(result.reason, why))
    return dataclasses.replace(result, record={**result.record, LEFT_OUT: why})


def _none_there(result: FileResult) -> FileResult:
    """``result``, of a file settled when planned, without its output when it failed and
    nothing is there (its report row then names no file that does not exist); the plan
    keeps it, for the steps before the jobs to look at what a killed run left there."""
    if result.status != "failed" or result.output is None or os.path.lexists(result.output):
        return result
    return dataclasses.replace(result, output=None)


def _replace_earlier(plan: BatchPlan, result: FileResult) -> FileResult:
    """Remove the outputs an earlier run made of ``result``'s input under other names
    (:attr:`BatchPlan.replaces`), now that its output is there (never before); ``result``
    with their paths under :data:`~quantize.batch.results.REMOVED`, and those left in
    place, with why, under :data:`~quantize.batch.results.NOT_REMOVED`. Only what the
    job wrote is removed (a folder output's files, then the folder if that empties it: one
    that holds other files is left, and under :data:`~quantize.batch.results.FOLDERS_LEFT`
    too), and the manifest records each removal.
    """
    earlier = plan.replaces.get(result.output) if result.output is not None else None
    if not earlier or not plan.mode.done_path(result.output).is_file():
        return result
    removed, kept, left = [], {}, []
    for old, entry in earlier:
        if not os.path.lexists(plan.mode.done_path(old)):  # gone since: only the record left
            with contextlib.suppress(OutputError):
                record_removed(plan.output_dir, old)
            continue
        why = _remove_output(plan.mode, old, entry, unused=True)
        if why is None:
            with contextlib.suppress(OutputError):  # a full disk: the next run sees it gone
                record_removed(plan.output_dir, old)
            removed.append(str(old))
            if plan.mode.makes_folder and os.path.isdir(old):  # it holds other files
                left.append(str(old))
        else:
            kept[str(old)] = why
    record = {**result.record, **({REMOVED: removed} if removed else {}),
              **({FOLDERS_LEFT: left} if left else {}),
              **({NOT_REMOVED: kept} if kept else {})}
    return dataclasses.replace(result, record=record)


def _remove_output(mode: JobMode, output: Path, entry: Entry,
                   unused: bool = False) -> str | None:
    """Remove the files the job wrote for ``output`` (recorded as ``entry``); None when
    done, else why it was left: it changed since (a file whose size is not the one
    recorded, or that is no longer a regular file; a folder that is now a link), or the
    system refused. A file written through a link at its name (the link kept,
    :func:`~quantize.io.written_through`) is the file the link leads to: that one is
    looked at and removed, and the link kept, as a job that writes it again keeps it.

    With ``unused`` (an orphan's output, or one under a name its input no longer gets),
    no job writes the name again: the link, in the output folder, is removed too, as
    kept it would lead nowhere, its record gone, and fail a later run that makes the
    name again ("a link to ..., which does not exist")."""
    size = entry.record.get("bytes_out")
    try:
        if mode.makes_folder:  # a job makes a folder, never a link to one
            if not stat.S_ISDIR(os.lstat(output).st_mode):
                return "it changed since that run wrote it"
        elif not stat.S_ISREG((st := os.stat(output)).st_mode) or (
                isinstance(size, int) and st.st_size != size):
            return "it changed since that run wrote it"
        files = mode.written_files(output)
        for path in files:  # the marker last: an interrupted removal is taken up again
            with contextlib.suppress(FileNotFoundError):
                written_through(path).unlink()
            if unused and os.path.islink(path):
                os.unlink(path)
        remove_mark(mode.done_path(output))
    except OSError as exc:
        return f"cannot remove it ({exc.strerror or exc})"
    if mode.makes_folder:
        remove_empty_folders([output])
    return None


#: The reason of a file not done when the Dask scheduler was lost: a worker may still finish
#: it (its output is then kept by the rerun), or not.
NOT_DONE = ("not done: the Dask scheduler stopped, or the connection to it was lost, before "
            "this file was reported done; rerun the same command to finish it")


#: The reason of a job whose input is not there when it starts (deleted since the plan was
#: made, or, on a Dask worker, not on the storage the worker sees).
INPUT_MISSING = "no such file"


def seen_here(input: Path, outcome: Outcome) -> Outcome:
    """The ``outcome`` a Dask worker gave for a call on ``input``, which it did not find
    although that is here: said to be a worker without the storage this process sees."""
    if (not outcome.ok and outcome.value == INPUT_MISSING and outcome.path is not None
            and same_path(Path(outcome.path), input) and input.exists()):
        return dataclasses.replace(outcome, value=f"{INPUT_MISSING} on the Dask worker, but "
                                   f"it is here; {NOT_SHARED}")
    return outcome


def _as_given(outcome: Outcome, sent: FileJob, job: FileJob) -> Outcome:
    """``outcome`` of ``sent`` (``job`` with its paths made absolute for a worker), its
    record's paths, the path of its error and the paths its warnings and error name as
    parameters written as ``job`` has them: the reports, the manifest and the lines show
    them so, as when the job runs here.

    A job names a path it was given as its parameter, ``palette_in='/abs/p.act'``
    (:func:`~quantize.reduce.options.palette_in_name`), ``output='/abs/out/a.gif'``: each
    such mention is written again from the path as ``job`` has it. Another mention of
    the same path (as part of a longer name, or unquoted) is left as the job wrote it.
    """
    options = _path_options(sent, job)
    shown = {f"{name}={quoted(absolute)}": f"{name}={quoted(path)}"
             for name, (absolute, path) in _named_paths(sent, job).items()}

    def given(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        if value in options:  # a palette file, named as given (not a folder of files)
            return options[value]
        for absolute, path in ((sent.output, job.output), (sent.input, job.input)):
            try:
                below = Path(value).relative_to(absolute)
            except ValueError:
                continue
            return str(path / below) if below.parts else str(path)
        return value

    def told(message: str) -> str:  # each parameter naming a path this run made absolute
        for absolute, path in shown.items():  # (palette_in='/abs/p.act'), as given
            message = message.replace(absolute, path)
        return message

    if not outcome.ok:
        return dataclasses.replace(outcome, value=told(outcome.value), path=given(outcome.path),
                                   warnings=tuple(told(w) for w in outcome.warnings))
    record, stamp = outcome.value
    record = {k: given(v) for k, v in record.items()}
    if "warnings" in record:
        record["warnings"] = [told(w) for w in record["warnings"]]
    if MISSED in record:  # an error's reason, as a failed outcome's
        record[MISSED] = told(record[MISSED])
    return dataclasses.replace(outcome, value=(record, stamp))


def _shared_palette_named(folder: Path, record: dict[str, Any]) -> dict[str, Any]:
    """``record`` of a file mapped onto the batch's shared palette, its ``palette_in`` (the
    colours, as the job was given them) named by the file that holds them,
    ``OUT_DIR/shared-palette.json``, instead of listed again in every row."""
    if not isinstance(record.get("palette_in"), list):
        return record
    return {**record, "palette_in": os.fspath(folder / SHARED_PALETTE_NAME)}


def _path_options(sent: FileJob, job: FileJob) -> dict[str, str]:
    """Each path option of ``job`` (a file it reads or writes), as ``sent`` (absolute) and
    as ``job`` names it."""
    return {os.fspath(sent.options[key]): os.fspath(value)
            for key, value in job.options.items()
            if key in _PATH_OPTIONS and isinstance(value, str | os.PathLike)
            and os.fspath(sent.options[key]) != os.fspath(value)}


def _named_paths(sent: FileJob, job: FileJob) -> dict[str, tuple[str, str]]:
    """Each parameter of ``job`` that names a path (``output`` and its path options) by its
    name, with that path as ``sent`` has it (absolute) and as ``job`` does, if they differ."""
    paths = {"output": (os.fspath(sent.output), os.fspath(job.output))}
    paths.update((key, (os.fspath(sent.options[key]), os.fspath(value)))
                 for key, value in job.options.items()
                 if key in _PATH_OPTIONS and isinstance(value, str | os.PathLike))
    return {name: pair for name, pair in paths.items() if pair[0] != pair[1]}


def check_shared_storage(plan: BatchPlan, scheduler: str, probe: Path | None = None) -> None:
    """Refuse to run ``plan`` on the workers of ``scheduler`` if one of them does not see
    its folders as this process does (a worker with a folder of the same name on its own
    disk would write outputs where nobody looks for them, each reported as made).

    Looked at with the first job's input and ``probe``, a file in the output folder
    (:func:`_probe_file`); without it, one is made for the check, then removed, with the
    output folder if this made it. A worker that joins later is not asked here: the
    tasks of :func:`run_batch` look for its probe on their worker.

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
    first = worker_path(plan.jobs[0].input)
    if probe is not None:
        unseen = unseen_by_workers(scheduler, [first, worker_path(probe)])
    else:
        with folder_made(plan.output_dir, keep=False), _probe_file(plan.output_dir) as made_probe:
            unseen = unseen_by_workers(scheduler, [first, worker_path(made_probe)])
    if unseen:
        worker, path = next(iter(unseen.items()))
        others = f" (and {len(unseen) - 1} more)" if len(unseen) > 1 else ""
        what = "the input folder" if path == first else "the output folder"
        folder = plan.jobs[0].input.parent if path == first else plan.output_dir  # as given
        raise ValueError(f"scheduler={scheduler!r}: the worker {worker}{others} does not see "
                         f"{what} ({folder} has no {path.name} there); {NOT_SHARED}")


#: How a probe file's name starts (:func:`_probe_file`).
_PROBE_PREFIX = ".quantize-probe-"
#: A probe's name: the prefix, the host and process that made it, a random token.
_PROBE_NAME = re.compile(re.escape(_PROBE_PREFIX) + r"(?P<host>.+)-(?P<pid>[0-9]+)-[a-z0-9_]+")
#: The name of a probe made by an earlier version: the prefix and a random token alone.
_OLD_PROBE_NAME = re.compile(re.escape(_PROBE_PREFIX) + r"[a-z0-9_]{8}")
#: Seconds after which a probe whose run cannot be asked about is taken for one a killed run
#: left (:func:`remove_stale_probes`): a week, longer than a batch runs.
PROBE_MAX_AGE = 7 * 24 * 3600


@contextlib.contextmanager
def _probe_file(folder: Path) -> Iterator[Path]:
    """An empty file made in ``folder`` (which exists), removed at the end: whether a Dask
    worker sees it tells whether it sees the folder. Its name is new, so that a network
    file system's cache cannot hold an old answer for it, and names this host and process,
    so that a later run can tell the probe of a killed run (:func:`remove_stale_probes`)."""
    fd, name = tempfile.mkstemp(prefix=f"{_PROBE_PREFIX}{_host()}-{os.getpid()}-",
                                dir=os.path.realpath(folder))  # as _temporary_beside: "link/.."
    os.close(fd)
    try:
        yield folder / Path(name).name  # as ``folder`` is given (mkstemp's is absolute)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(name)


def kept_by_batch(name: str) -> bool:
    """Whether ``name`` is that of a file a batch keeps for itself in its output folder: the
    manifest (:data:`~quantize.batch.manifest.MANIFEST_NAME`) or a copy of it kept before
    lines that could not be read were dropped (:func:`~quantize.batch.manifest.damaged_copy`),
    the lock of a running batch (:data:`~quantize.batch.lock.LOCK_NAME`) or a probe
    (:func:`_probe_file`, of this version or an earlier one). Such a file is no image to
    rename and process.

    >>> kept_by_batch(".quantize-batch.jsonl"), kept_by_batch(".quantize-batch.lock")
    (True, True)
    >>> kept_by_batch(".quantize-batch.jsonl.damaged-2"), kept_by_batch(".a.png")
    (True, False)
    """
    return (name in (MANIFEST_NAME, LOCK_NAME) or name.startswith(_PROBE_PREFIX)
            or name.startswith(MANIFEST_NAME + DAMAGED_SUFFIX))


def remove_stale_probes(folder: Path) -> list[Path]:
    """Remove the probe files (:func:`_probe_file`) that runs killed on this host left in
    ``folder``; return them, sorted.

    A probe is removed only when it is an empty regular file, its name is a probe's, and
    it names this host and a process that no longer runs: any other file, and the probe
    of a run still going (here or on another host), is left alone. A probe whose run
    cannot be asked about is removed once it is older than :data:`PROBE_MAX_AGE` (a
    week): one made by an earlier version (its name names no host or process), and, on
    Windows, any of this host (no process is asked there: ``os.kill`` would end it). A
    run going on longer loses its probe: a worker that joins it later then fails its
    files, saying that it does not see the output folder.
    """
    if not folder.is_dir():
        return []
    removed = []
    for path in sorted(folder.glob(_PROBE_PREFIX + "*")):
        with contextlib.suppress(OSError):
            st = os.lstat(path)
            if (stat.S_ISREG(st.st_mode) and st.st_size == 0
                    and _left_by_killed_run(path.name, time.time() - st.st_mtime)):
                path.unlink()
                removed.append(path)
    return removed


def _left_by_killed_run(name: str, age: float) -> bool:
    """Whether the probe named ``name``, made ``age`` seconds ago, is one a run killed on
    this host left (see :func:`remove_stale_probes`)."""
    match = _PROBE_NAME.fullmatch(name)
    if match is None:
        return _OLD_PROBE_NAME.fullmatch(name) is not None and age > PROBE_MAX_AGE
    if match["host"] != _host():
        return False
    if os.name != "posix":  # no signal 0 to ask with
        return age > PROBE_MAX_AGE
    return not _running(int(match["pid"]))


def _host() -> str:
    """This machine's name, as a probe's name holds it (letters, digits, "." and "_")."""
    import socket  # here: every reduce and segment call loads this module, and not this

    return re.sub(r"[^A-Za-z0-9._]", "_", socket.gethostname()) or "host"


def _running(pid: int) -> bool:
    """Whether a process ``pid`` runs on this host (POSIX: signal 0 asks without sending)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process (EPERM), or a pid the system refuses
        return True
    return True


#: Added to the reason of a file whose result was larger and whose existing output is stale.
STALE_NOTE = ("; it is stale (not made from the input as it is now, or not with these "
              "options): rerun without --skip-if-larger to replace it")

#: Added to the reason of a file whose result was larger (with force) and at whose output is
#: a file of no record: not said to be stale, as nothing says what made it.
UNRECORDED_NOTE = ("; it is of no record (no run is recorded to have made it): rerun with "
                   "--force and without --skip-if-larger to replace it")


#: Added to the reason of a file whose result was larger and whose earlier output, of record
#: and larger than its input too, was removed: skip_if_larger keeps no such output.
REMOVED_NOTE = ("; the output an earlier run made ({size:,} bytes), larger than its input too, "
                "was removed")

#: Added instead when that output could not be removed (changed since, or the system refused).
LEFT_NOTE = ("; the output an earlier run made ({size:,} bytes), larger than its input too, "
             "is left in place: {why}")


def _kept_larger(plan: BatchPlan, job: FileJob, record: Mapping[str, Any]) -> FileResult:
    """A job whose result was larger than its input: skipped, with no output, or with the
    output of an earlier run (under this name, or under another that it would have
    replaced: :attr:`BatchPlan.replaces`), kept as ``reduce --force --skip-if-larger``
    keeps it, and said to be stale (:data:`~quantize.batch.results.STALE` in its record),
    or with the file of no record at its output (which only ``force`` planned to replace),
    kept as it was and said to be of no record, not stale (:data:`UNRECORDED_NOTE`).
    The one place that decides what such a file keeps; the planner skips it again from
    its record (none is made of the file of no record: see :func:`_records_larger`).
    An output of record that is larger than the input too is removed
    (:func:`_removed_larger`): the option keeps no output larger than its input."""
    kept = plan.kept_output(job.output)
    if kept is None:
        return FileResult.larger(job.input, None, record)
    if not plan.of_record(kept):
        return FileResult.larger(job.input, kept, {**record, LARGER: record[LARGER]
                                                   + UNRECORDED_NOTE})
    entry = plan.manifest.entries.get(manifest_key(plan.output_dir, kept))
    if entry is not None and made_larger(entry.record):
        return _removed_larger(plan, job, record, kept, entry)
    return FileResult.larger(job.input, kept,
                             {**record, LARGER: record[LARGER] + STALE_NOTE, STALE: True})


def _removed_larger(plan: BatchPlan, job: FileJob, record: Mapping[str, Any], kept: Path,
                    entry: Entry) -> FileResult:
    """A job whose result was larger than its input, and whose output ``kept``, that an
    earlier run without ``skip_if_larger`` recorded (``entry``) as made larger than its
    input too (:func:`~quantize.batch.results.made_larger`): ``kept`` is removed, only as
    that run wrote it (:func:`_remove_output`), and the manifest records the removal of
    one under another name (this file's own entry takes the larger record). Without an
    output then; else with ``kept``, left in place with why, and said to be stale."""
    size = entry.record["bytes_out"]
    why = _remove_output(plan.mode, kept, entry)
    if why is not None:
        return FileResult.larger(job.input, kept, {
            **record, LARGER: record[LARGER] + LEFT_NOTE.format(size=size, why=why),
            STALE: True})
    if kept != job.output:
        with contextlib.suppress(OutputError):  # a full disk: the next run sees it gone
            record_removed(plan.output_dir, kept)
    reason = record[LARGER].removesuffix(EXISTING_KEPT) + REMOVED_NOTE.format(size=size)
    return FileResult.larger(job.input, None, {**record, LARGER: reason})


def _missed_now(result: FileResult, seconds: float) -> FileResult:
    """``result``, of a job whose record says its quality was out of reach
    (:data:`~quantize.batch.results.MISSED`), as the failure it is: its reason that of the
    error, exit code ``QUALITY``, its record the seconds taken and the warnings said before
    (and the Dask workers lost), as a failed job's."""
    record = {k: v for k, v in result.record.items() if k not in (MISSED, "bytes_in")}
    return FileResult(result.input, result.output, "failed", result.record[MISSED],
                      {"seconds": round(seconds, 4), **record}, exit_code=ExitCode.QUALITY,
                      failure="quality")


def _missed_entry(result: FileResult, record: Mapping[str, Any]) -> dict[str, Any]:
    """What the manifest records of a file whose quality was out of reach (``result``, from
    the job's ``record``): its reason, as :data:`~quantize.batch.results.MISSED`, the
    input's size and the seconds taken; not its warnings, said as it was tried."""
    return {MISSED: result.reason, "bytes_in": record["bytes_in"],
            "seconds": result.record["seconds"]}


def _records_larger(result: FileResult) -> bool:
    """Whether the manifest takes the record of ``result``, a file whose result was larger
    (:func:`_kept_larger`): with no output, or a stale one kept; not with a file of no record
    kept at its output, which an entry would claim as the batch's (a rerun without the
    option would then redo it over that file, without ``force``). Such a file stays of no
    record, and a rerun with ``force`` tries it again."""
    return result.output is None or bool(result.record.get(STALE))


def _failed_kept(plan: BatchPlan, job: FileJob, result: FileResult) -> FileResult:
    """A job that failed: ``result``, with the output of its file that is there (under this
    name, or under another its output would have replaced), which is left in place, said to
    be stale when an earlier run made it, and of no record when the manifest does not say
    so (with ``force``); else without an output, as none is there for its report row to
    name (:meth:`BatchPlan.failed_kept`)."""
    return plan.failed_kept(result, plan.kept_output(job.output))


def worker_path(value: Any) -> Any:
    """``value`` made absolute (links not followed) when it is a path, else as it is.

    A Dask worker resolves a relative path in its own folder, not where the
    batch runs: every path sent to one goes through here. A ".." is kept, for the
    system to resolve: after a link to a folder, it leads to the folder above the
    link's target, where dropping it with the name before it would lead elsewhere.

    >>> worker_path(Path("a.png")) == Path.cwd() / "a.png", worker_path("rgb")
    (True, 'rgb')
    >>> worker_path(Path("link/../a.png")) == Path.cwd() / "link" / ".." / "a.png"
    True
    """
    if not isinstance(value, os.PathLike):
        return value
    if os.path.isabs(value):  # as it is: in a current folder since removed, getcwd fails
        return Path(value)
    return Path(os.path.join(os.getcwd(), value))


# Options that name a file, also when given as a string (plan_batch called from Python).
_PATH_OPTIONS = frozenset({"palette_in", "palette_out"})


def absolute_paths(job: FileJob) -> FileJob:
    """``job`` with its paths (input, output, path options) absolute, for a worker: on Dask,
    a worker resolves a relative path in its own folder; on either executor, what a job
    writes (the input and folder ``segments.json`` names) is then the same.

    >>> job = absolute_paths(FileJob(Path("a.png"), Path("a.k8.png"),
    ...                              {"palette_in": "p.hex", "space": "rgb"}))
    >>> job.options["palette_in"] == Path.cwd() / "p.hex", job.options["space"]
    (True, 'rgb')
    """
    options = {k: worker_path(Path(v) if k in _PATH_OPTIONS and isinstance(v, str) else v)
               for k, v in job.options.items()}
    return FileJob(worker_path(job.input), worker_path(job.output), options, job.redo)


def check_writable_output(output_dir: Path) -> None:
    """Refuse, before any work, an output folder that cannot be made or written: as
    :func:`run_batch` refuses it, for work that comes before its jobs (the samples of a
    shared palette), which would otherwise read every file first. A folder made to tell
    is removed again.

    Raises
    ------
    OutputError
        Naming the folder, and that no file was processed.
    """
    with _output_folders({output_dir}):
        pass
    check_appendable(output_dir)


@contextlib.contextmanager
def _output_folders(folders: set[Path], unclaimed: Sequence[Path] = ()) -> Iterator[None]:
    """Create ``folders`` (and their missing parents) for the block; remove those it
    created again when the block ends, however it ends, if they are left empty
    (:func:`~quantize.io.folder_made`). A file in the way that is one of ``unclaimed``
    (:attr:`BatchPlan.unclaimed`) is said to be an earlier run's output left in place.

    Raises
    ------
    OutputError
        If a folder cannot be created, naming it; the folders made before are removed.
    """
    with contextlib.ExitStack() as made:  # let go in reverse: a later folder's may lie below
        for folder in sorted(folders):
            try:
                made.enter_context(folder_made(folder, keep=False))
            except OSError as exc:
                why = _in_the_way(folder, unclaimed) or exc.strerror or exc
                raise OutputError(f"output folder {exc.filename or folder} cannot be created "
                                  f"({why}); no file was processed", path=folder,
                                  os_errno=exc.errno) from None
        yield


def _without_blocked(plan: BatchPlan) -> tuple[BatchPlan, list[FileResult]]:
    """``plan`` without the jobs whose output folder, below the output folder, cannot be
    made as a file is in its way (:func:`_in_the_way`: ``out/x.png``, the output of an
    earlier run's ``x.png``, where a sub-folder ``x.png/`` of images now mirrors); and a
    failed result for each of them, naming that file. Nothing is recorded of them: such
    a job never runs, and its output was not there."""
    why = {folder: _in_the_way(folder, plan.unclaimed, top=plan.output_dir)
           for folder in {job.output.parent for job in plan.jobs}}
    if not any(why.values()):
        return plan, []
    failed = [_left_out(plan, _failed_kept(plan, job, FileResult(
        job.input, job.output, "failed", f"{job.output}: output folder {job.output.parent} "
        f"cannot be created ({why[job.output.parent]})", exit_code=ExitCode.FAILED,
        failure="write_failed")))
        for job in plan.jobs if why[job.output.parent]]
    jobs = [job for job in plan.jobs if not why[job.output.parent]]
    return dataclasses.replace(plan, jobs=jobs), failed


def _in_the_way(folder: Path, unclaimed: Sequence[Path] = (),
                top: Path | None = None) -> str | None:
    """The file that keeps ``folder`` from being made, where one does (``x is a file``;
    mkdir says only "File exists" or "Not a directory"), else None; with ``top``, only a
    file below it, which ``folder`` lies in. One of ``unclaimed``
    is said to be the output of a file no longer among the inputs, which
    ``--remove-orphans`` removes (a file put there otherwise would be named alike)."""
    for path in (folder, *folder.parents):
        if path == top or path.is_dir():
            return None
        if path.is_symlink() and not path.exists():
            return f"{path} is {link_to_nothing_words(path)}"
        if path.exists():
            if path in unclaimed:
                return (f"{path} is a file, an earlier run's output of a file that is not "
                        "among this run's inputs, left in place: remove it, or rerun with "
                        "--remove-orphans")
            return f"{path} is a file"
    return None


def run_calls(calls: Sequence[Call], settle: Settle, *, jobs: int | None = None,
              scheduler: str | None = None, retries: int = 2,
              on_interrupt: Callable[[int], None] | None = None,
              must_see: Path | None = None, must_see_as: str | None = None,
              must_write: bool = False, worker_timeout: float | None = None,
              on_workers: Callable[[int, int, float], None] | None = None,
              on_retry: Callable[[int, str, int, int | None], None] | None = None) -> None:
    """Run ``calls`` on Dask when ``scheduler`` is given (on workers that see the file
    ``must_see``, if given, named ``must_see_as`` when one does not, and with
    ``must_write``, can write into its folder; ``worker_timeout``, ``on_workers`` and
    ``on_retry`` as it takes them: :func:`~quantize.batch.executor_dask.run_dask`), else in
    the local pool."""
    if scheduler is not None:
        from .executor_dask import run_dask

        run_dask(calls, scheduler, settle, retries=retries, on_interrupt=on_interrupt,
                 must_see=must_see, must_see_as=must_see_as, must_write=must_write,
                 worker_timeout=worker_timeout, on_workers=on_workers, on_retry=on_retry)
    else:
        from .executor_local import run_local

        run_local(calls, settle, jobs=jobs, on_interrupt=on_interrupt)


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
    :func:`call_with_warnings`. A :class:`~quantize.errors.PaletteInWarning` and a
    :class:`~quantize.palette_files.PaletteReadWarning` are left out: the plan said them
    once for the batch (``check_options`` of the reduce mode). A
    :class:`~quantize.reduce.FewerColorsWarning` (fewer colours than asked, all kept: a
    lossless result, no fault) is no warning either: the record says it as
    :data:`~quantize.batch.results.FEWER_COLORS` (:func:`_fewer_colors_said`); nor is an
    :class:`~quantize.errors.ExifLeftOutWarning`, a
    :class:`~quantize.errors.GifTableWarning`, a
    :class:`~quantize.errors.LossyColorsWarning` (a JPEG output's colours), a
    :class:`~quantize.errors.ProfileConvertedWarning`, a
    :class:`~quantize.errors.TextLeftOutWarning` or a
    :class:`~quantize.errors.WideLabelsWarning` (facts of the output), recorded under
    :data:`~quantize.batch.results.NOTED`, which the command line says as a note. A
    :class:`~quantize.errors.QualityLimitWarning` is recorded apart, under
    :data:`~quantize.batch.results.LIMITED`, which ``-q`` says for all files in one line.

    A result larger than the input (``skip_if_larger``: nothing written) returns the
    record ``{LARGER: reason}`` (with the job's ``"warnings"``, if any), settled as
    skipped, not failed.

    Returns the job's record and the input's stamp
    (:func:`~quantize.batch.manifest.input_stamp`), taken before the job reads
    the input: an input edited while the job runs is seen as changed by the
    next run. Taken here, on the worker, so that a Dask cluster reads each
    input for its digest where it reads it for the job.
    """
    with parts_listed_once():  # for its output's, its mark's and the reduce's parts
        _remove_stale_parts(mode, job.output)
        if _missing(job.input):
            raise ImageReadError(INPUT_MISSING, path=job.input)
        stamp = _stamp_of_input(job.input)
        try:
            record = _fewer_colors_said(recorded_call(
                mode.func, (job.input, job.output), {**job.options, "force": True},
                format_advice=False, said_once=(PaletteInWarning, PaletteReadWarning),
                notes=(FewerColorsWarning,),
                noted=(ExifLeftOutWarning, GeoTagsLeftOutWarning, GifTableWarning,
                       LossyColorsWarning, ProfileConvertedWarning, TextLeftOutWarning,
                       WideLabelsWarning),
                limited=(QualityLimitWarning,)))
        except ResultTooLargeError as exc:
            said = attached_warnings(exc)
            # its input's size: a report counts it as kept at that size
            return {LARGER: exc.reason, "bytes_in": stamp["size"],
                    **({"warnings": list(said)} if said else {})}, stamp
        except (QualityError, SizeBudgetError) as exc:  # recorded, with the input's stamp
            return _missed_record(exc, stamp), stamp
        except FormatAdviceError as exc:  # e.g. "or for a still image a .jpg/.webp/.tif output"
            raise ValueError(exc.facts) from None
        with contextlib.suppress(OSError):  # unmarked, a run killed before recording it keeps it
            mark_written(mode.done_path(job.output))  # the file its pending entry claims
        return record, stamp


def _missed_record(exc: QualityError | SizeBudgetError, stamp: Mapping[str, Any]
                   ) -> dict[str, Any]:
    """The record of a job whose ``quality`` (or ``max_bytes``) ``exc`` says was out of
    reach: its reason as :data:`~quantize.batch.results.MISSED` (a
    :class:`~quantize.errors.QualityError`'s advice on the output format left out, as a
    warning's: a batch chooses each output's format itself), the input's size and the
    warnings said before it. :func:`run_batch` settles it as failed, exit code ``QUALITY``,
    and records it, so that a rerun with the same settings skips the file while its input
    stays the same."""
    said = attached_warnings(exc)
    reason = exc.facts if isinstance(exc, QualityError) else exc.reason
    return {MISSED: reason, "bytes_in": stamp["size"], **({"warnings": list(said)} if said
                                                           else {})}


def _fewer_colors_said(record: dict[str, Any]) -> dict[str, Any]:
    """``record`` with its notes (:func:`~quantize.batch.calls.recorded_call`, those of a
    :class:`~quantize.reduce.FewerColorsWarning` alone) said as
    :data:`~quantize.batch.results.FEWER_COLORS`: a fact of the output, which its report
    row and the manifest keep, not a line each.

    >>> _fewer_colors_said({"k": 2, "notes": ["n_colors=8 but the image has only 2 ..."]})
    {'k': 2, 'fewer_colors_than_asked': True}
    >>> _fewer_colors_said({"k": 8})
    {'k': 8}
    """
    if record.pop("notes", None):
        record[FEWER_COLORS] = True
    return record


def _stamp_of_input(path: Path) -> dict[str, Any]:
    """:func:`~quantize.batch.manifest.input_stamp` of a job's input, a failure to read it
    named as the job names it: the file removed, or a folder put in its place, since the
    run listed it.

    Raises
    ------
    ImageReadError
        If the file is gone, is a folder, or cannot be read.
    """
    try:
        return input_stamp(path)
    except FileNotFoundError:
        raise ImageReadError(INPUT_MISSING, path=path) from None
    except IsADirectoryError:
        raise ImageReadError("is a directory, expected an image file", path=path) from None
    except OSError as exc:
        raise ImageReadError(f"cannot read the file ({exc.strerror})", path=path) from None


def _missing(path: Path) -> bool:
    """Whether ``path`` is not there (not even as a broken link, which the job names)."""
    return not os.path.lexists(path)


def _remove_killed_runs_folders(plan: BatchPlan) -> None:
    """Remove what a run killed outright (SIGKILL, a power cut) left of the outputs it had
    not finished under the names ``plan`` gives (and those it :attr:`BatchPlan.dropped`):
    the temporary files of its dead workers, the folder a job of it made when that leaves
    it empty, and the folders made for such outputs that hold nothing. Only outputs the
    manifest records as pending (that run's) are looked at; a folder this run needs is made
    again, by it or by its job."""
    pending = {key for key, entry in plan.manifest.entries.items() if entry.pending}
    outputs = [job.output for job in plan.jobs] + [
        result.output for result in plan.settled if result.output is not None]
    if not pending:  # no run was killed: nothing of one to remove, no output to name
        outputs = []
    left = [out for out in outputs if manifest_key(plan.output_dir, out) in pending
            and not os.path.lexists(plan.mode.done_path(out))]
    with parts_listed_once():  # each folder once, not once an output
        for output in left:
            _remove_stale_parts(plan.mode, output)
    remove_empty_folders(left if plan.mode.makes_folder else [])
    remove_empty_folders(_folders_below(plan.output_dir, left + plan.dropped))


def _remove_unfinished_folder(mode: JobMode, output: Path) -> None:
    """Remove the folder ``output`` that the job of a file that failed made, with the
    temporary files a killed job left in it (:func:`_remove_stale_parts`), when nothing else
    is in it: a job's folder appears only with its outputs. A job that fails in its worker
    removes its folder itself; one whose worker died or was lost mid-job (killed, out of
    memory, a Dask worker gone) left it, empty but for its parts, to be filled by a rerun."""
    _remove_stale_parts(mode, output)
    remove_empty_folders([output])


def _remove_stale_parts(mode: JobMode, output: Path) -> None:
    """Delete the temporary files a killed run of this job left (see io.stale_parts): of
    its output, and of the output's written mark (a worker of a pool that broke is
    stopped wherever it is, also while it writes that mark)."""
    if mode.makes_folder:  # the mark is in the folder too
        stale = stale_parts(output)
    else:
        mark = written_mark(mode.done_path(output))
        stale = stale_parts(output.parent, output.name) + stale_parts(mark.parent, mark.name)
    for part in stale:
        with contextlib.suppress(FileNotFoundError):
            part.unlink()
