"""One batch at a time per output folder: :func:`batch_lock`.

A run reads the output folder's manifest to plan, rewrites it (compaction), appends to
it, and removes what a killed run left under the names it plans (empty folders,
temporary files): a second run into the same folder at the same time could remove the
folder of a job the first is running, or lose its records. The driver of a batch holds
an advisory lock on a file in the output folder from before planning to its end; a
second batch is refused up front. The lock is the driver's: workers (local or Dask)
never take it.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from ..errors import ExitCode, FailureKind, OutputError, OwnFileError
from ..io import check_output_folder, folder_made, lock_file_held, lock_file_taken, lock_holder
from ..names import quoted

__all__ = ["LOCK_NAME", "FolderInUseError", "batch_lock", "refuse_batch_folder"]

#: The lock file a running batch keeps in its output folder (hidden, as the manifest).
LOCK_NAME = ".quantize-batch.lock"


class FolderInUseError(OutputError):
    """A batch is writing into the output folder, a folder it lies under, or (for another
    batch) a folder under it (exit code 75, ``IN_USE``, before any work: a later run may
    succeed, where a change of options (15) never does): of another batch
    (:func:`batch_lock`), or of a command's output (:func:`refuse_batch_folder`)."""

    exit_code = ExitCode.IN_USE
    kind: FailureKind = "folder_in_use"


@contextlib.contextmanager
def batch_lock(output_dir: str | os.PathLike[str]) -> Iterator[bool]:
    """Hold the output folder ``output_dir`` for one batch, from before its plan reads the
    manifest (:func:`~quantize.batch.plan_batch`) to the end of its run; yield whether it
    is locked.

    The folder is made if it is not there (and removed again at the end if it is then
    empty, as a run that made nothing leaves it), and an exclusive advisory lock is taken
    on the file :data:`LOCK_NAME` in it, which is removed at the end
    (:func:`~quantize.io.lock_file_held`). The system lets the lock go when the process
    ends, however it ends: a killed run never keeps the next one out. Nothing is locked
    on Windows, in a folder that cannot be made or written (a read-only one, which no run
    writes into either), or on a file system without locks.

    A batch into a sub-folder of the folder of a batch running (or into a folder under it)
    is refused too, before anything is made (:func:`refuse_batch_folder`): that batch would
    replace its files, and the manifest would no longer tell what is there. So is a batch
    into a folder that a batch running writes into a sub-folder of, found once the lock is
    held (:func:`_refuse_batch_below`; links to folders are not followed, as the folders
    above are not resolved either); the folders above are asked again then, so that of two
    such batches started at once, one is refused. Batches into sibling folders are not.

    Raises
    ------
    FolderInUseError
        If another process holds the folder, a folder it lies under, or a folder under it,
        naming it and what to do.
    OwnFileError
        If something other than the lock file is at its name (a symbolic link, to a file
        or to nothing, or a folder): it is left as it is, and the folder is not locked
        (:func:`~quantize.io.lock_file_held`); exit 2.
    OutputError
        If the lock file was made but cannot be written (a full disk); it is removed.
    ValueError
        If ``output_dir`` is, or lies under, an existing file
        (:func:`~quantize.io.check_output_folder`).
    """
    dst = check_output_folder(output_dir)
    target = Path(os.path.abspath(dst))  # "out/.." is not under "out"
    if target.parent != target:  # its own folder is asked below, by taking the lock
        above = target.parent if dst.is_absolute() else Path(os.path.relpath(target.parent))
        refuse_batch_folder(above, name=dst, instead="choose another -o folder")
    with contextlib.ExitStack() as made:
        with contextlib.suppress(OSError):  # cannot be made: nothing can write into it
            made.enter_context(folder_made(dst, keep=False))
        try:
            held = made.enter_context(lock_file_held(dst / LOCK_NAME))
        except BlockingIOError:
            raise _in_use(dst / LOCK_NAME, "this output folder", "choose another -o folder",
                          dst) from None
        except OwnFileError:  # a link or a folder there: refused, not silently unlocked
            raise
        except OSError as exc:  # made, but not written into: a full disk
            raise OutputError(f"cannot write the lock file {quoted(LOCK_NAME)} "
                              f"({exc.strerror or exc}); no file was processed",
                              path=dst, os_errno=exc.errno) from None
        if held:  # asked with the lock held: a batch that locks one of them later sees it
            if target.parent != target:
                refuse_batch_folder(above, name=dst, instead="choose another -o folder")
            _refuse_batch_below(dst)
        yield held


def _refuse_batch_below(folder: Path) -> None:
    """Refuse to write into ``folder`` while a batch writes into a folder under it (holds
    the lock :func:`batch_lock` takes there): that batch's outputs and manifest lie among
    those of a batch into ``folder``, which could replace or remove them. Sub-folders are
    walked without following links; one that cannot be listed is passed over.

    Raises
    ------
    FolderInUseError
        Naming ``folder``, the batch and the first such sub-folder found.
    """
    for parent, _, names in os.walk(folder):
        below = Path(parent)
        if below == folder or LOCK_NAME not in names or not lock_file_taken(below / LOCK_NAME):
            continue
        raise _in_use(below / LOCK_NAME, f"{quoted(str(below))}, a folder under this one",
                      "choose another -o folder", folder)


def _in_use(lock: Path, where: str, instead: str,
            path: str | os.PathLike[str]) -> FolderInUseError:
    """The error that the batch holding ``lock`` is writing into ``where``: wait until it
    ends, or ``instead``; naming ``path``."""
    holder = lock_holder(lock)
    return FolderInUseError(f"another quantize batch{f' ({holder})' if holder else ''} is "
                            f"writing into {where}; wait until it ends, or {instead}",
                            path=path)


def refuse_batch_folder(folder: str | os.PathLike[str], *, name: str | os.PathLike[str],
                        instead: str) -> None:
    """Refuse to write into ``folder`` while a batch writes into it or into a folder it lies
    under (holds the lock :func:`batch_lock` takes): for a command other than batch, or a
    batch into a sub-folder of it, whose files the batch could replace, or take for those
    of a run it killed and remove.

    The error names ``name`` (the output, or its folder), the batch and its folder, and
    what to do: wait, or ``instead``. Asked once, before the command's work: a batch that
    starts later is not seen.

    Raises
    ------
    FolderInUseError
        If a batch holds ``folder`` or one of its parents.
    """
    target = Path(os.path.abspath(folder))
    for held in (target, *target.parents):
        if lock_file_taken(held / LOCK_NAME):
            shown = (str(folder) if held == target else
                     str(held) if os.path.isabs(folder) else os.path.relpath(held))
            where = "this folder" if shown == str(name) else quoted(shown)
            raise _in_use(held / LOCK_NAME, where, instead, name)
