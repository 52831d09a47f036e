"""Batch processing of folders: find images, plan per-file jobs, run them in parallel.

The per-file work is done by the jobs' public file functions
(``quantize.reduce.reduce_file``, ``quantize.segment_file.segment_file``), whose
options are checked by the jobs' own checkers; this package only drives them
and never prints. The modules, in the order data flows through them:

- :mod:`~quantize.batch.plan`: find the images and plan a :class:`FileJob` per
  file (output mirroring the input tree, finished files skipped, non-images
  settled as failed) into a :class:`BatchPlan`;
- :mod:`~quantize.batch.modes`: the jobs a plan can run (:func:`reduce_mode`,
  :func:`segment_mode`);
- :mod:`~quantize.batch.shared`: one palette for a whole reduce plan (the fit is
  reduce's; this drives it across files and returns a plan mapping onto it);
- :mod:`~quantize.batch.classes`: one set of k-means classes for a whole
  segment plan (the fit is :mod:`quantize.classes`'), and the ``classes.csv`` of
  their areas;
- :mod:`~quantize.batch.run`: :func:`run_batch` turns jobs into calls, runs them
  on an executor and settles each file into a :class:`FileResult`;
- :mod:`~quantize.batch.calls`: what a worker runs, whatever the executor; a
  failure becomes an outcome with the error's reason, path and exit code;
- :mod:`~quantize.batch.executor_local`: a pool of worker processes (or inline);
- :mod:`~quantize.batch.executor_dask`: a ``dask.distributed`` cluster;
- :mod:`~quantize.batch.lock`: :func:`batch_lock`, one batch at a time per output
  folder, held by the driver from planning to the end of the run;
- :mod:`~quantize.batch.manifest`: the record of every finished output, kept
  in the output folder, that the planner reads back;
- :mod:`~quantize.batch.results`: :class:`FileResult` (a call's outcome as one:
  :func:`~quantize.batch.results.file_result`) and :class:`BatchSummary`;
- :mod:`~quantize.batch.report`: JSON and CSV reports.

Guarantees:

- **Failure isolation.** A file that cannot be read or processed becomes a
  ``"failed"`` result with a one-line reason; the batch goes on. A worker
  process that dies (killed, out of memory) fails only the file it was working
  on.
- **No partial files.** The jobs write every output to a temporary file beside
  it and rename it into place; temporary files left by a killed run are removed
  (``quantize.io.stale_parts``) before the job for that output runs again, but
  not those of a process still running (and on Windows, where that cannot be
  told, none named with a process id).
- **Resumable.** An output that exists marks a finished file (for segment mode,
  ``segments.json``, which is written last), so rerunning finishes the job.
  Every finished output is recorded with the settings that made it, its
  metrics and its input's size, time and digest in
  ``OUT_DIR/.quantize-batch.jsonl`` (:mod:`~quantize.batch.manifest`): a rerun
  skips only outputs made with the same settings (and reports their metrics),
  redoes those whose input changed since (saying so), and refuses outputs made
  with other settings unless forced. Outputs are recorded as pending before
  their jobs start, so one a killed run wrote but did not record is made again.
- **Outputs renamed, not doubled.** An output recorded as made from an input
  that this run names otherwise (an animation that became a still) is removed
  once the new output is there, never before; only the files its job wrote,
  and only as written. No input, no output of no record and no output of an
  input this run does not have (``BatchPlan.unclaimed``) is removed, unless
  asked (:func:`remove_unclaimed`: those, under the same rules).
- **One thread per worker.** Local workers start with ``OMP_NUM_THREADS`` and
  the BLAS thread variables set to 1, so N workers use N cores.
"""

import importlib
from typing import Any

# Where each name lives. A name is loaded on its first use (PEP 562), with its
# module: quantize reduce runs its files through three of them (calls,
# executor_local, results), and importing the whole package cost every call about
# 10 ms here.
_SOURCES = {
    "calls": ("WORKER_DIED",),
    "executor_dask": (
        "MissingDependencyError", "NoWorkerError", "SchedulerLostError", "check_scheduler",
        "require_distributed", "run_dask", "workers_trimming_malloc"),
    "executor_local": ("THREAD_VARIABLES", "available_cpus", "environment_kept", "run_inline",
                       "run_local"),
    "lock": ("LOCK_NAME", "FolderInUseError", "batch_lock", "refuse_batch_folder"),
    "manifest": ("MANIFEST_NAME", "ManifestUnreadableWarning", "OptionsChangedError",
                 "read_manifest"),
    "modes": ("reduce_job", "reduce_mode", "segment_mode"),
    "plan": (
        "FINISHED", "INPUT_CHANGED", "NO_RECORD", "OUTPUT_DELETED", "OUTPUT_EDITED",
        "OUTPUT_EMPTIED", "OUTPUT_LARGER", "OUTPUT_PART_DELETED", "OUTPUT_UNFINISHED",
        "OUTPUT_UNRECORDED", "BatchPlan", "FileJob", "JobMode", "Selection", "find_images",
        "image_extensions", "plan_batch", "would_be_found"),
    "report": (
        "REPORT_COLUMNS", "ROW_KEYS", "SEGMENT_REPORT_COLUMNS", "check_report_clear_of_outputs",
        "check_report_folder",
        "check_report_not_an_input", "check_report_path", "check_report_replaceable", "report_row",
        "write_report"),
    "results": (
        "ABANDONED", "EDITED_LARGER", "FEWER_COLORS", "FEWER_COLORS_WORDS", "FINISHED_UNRECORDED",
        "FOLDERS_LEFT", "FOLDER_LEFT", "INPUT_COPIED", "LEFT_OUT", "MISSED", "MISSED_BEFORE",
        "LEFT_UNRECORDED", "LIMITED", "NOTED", "NOT_LISTED",
        "NOT_REACHED",
        "NOT_REMOVED",
        "NOT_SEARCHED", "REMOVED", "SKIP_KINDS", "WORKERS_LOST",
        "BatchSummary", "FileResult", "RemovedOutput", "Unsettled",
        "abandoned_row", "bytes_counts", "edited_larger_counts", "edited_larger_line",
        "fewer_colors_counts", "finished_unrecorded_row", "folder_counts", "has_fewer_colors",
        "is_folder",
        "larger_counts", "left_out_line", "not_reached_row",
        "not_removed_lines",
        "passed_over_counts", "redone_counts", "removed_counts", "removed_note",
        "stopped_counts", "unclaimed_counts"),
    "run": ("NOT_DONE", "FilesAbandoned", "NotRecordedError", "kept_by_batch",
            "remove_unclaimed", "run_batch"),
    "shared": (
        "MAX_SAMPLES", "SAMPLES_PER_FILE", "SHARED_PALETTE_NAME", "InputsChangedWarning",
        "SharedPalette", "WorkerFailedError", "remove_unused_palette", "remove_unused_shared_file",
        "shared_palette"),
    "classes": ("CLASS_LEGEND_NAME", "CLASS_TABLE_NAME", "SHARED_CLASSES_NAME",
                "BatchClasses", "classes_assigned", "remove_class_tables",
                "remove_unused_classes",
                "shared_classes",
                "write_class_legend", "write_class_table"),
}
_MODULE_OF = {name: module for module, names in _SOURCES.items() for name in names}


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_MODULE_OF})


__all__ = sorted(_MODULE_OF)  # every name of the table above, each from its module
