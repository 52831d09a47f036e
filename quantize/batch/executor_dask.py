"""The Dask executor: run calls on a ``dask.distributed`` cluster.

:func:`run_dask` submits every :class:`~quantize.batch.calls.Call` with
``client.map`` and settles results (small records, never pixels) as they
complete. Workers must see the same paths as this process (shared storage).
dask is an optional dependency, imported only here, inside the functions.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .._validation import check_int
from .calls import WORKER_DIED, Call, Outcome, Settle, one_line, run_isolated

__all__ = ["MissingDependencyError", "require_distributed", "run_dask"]

#: Seconds to wait for a scheduler to answer.
CONNECT_TIMEOUT = 20.0


class MissingDependencyError(ImportError):
    """An optional dependency (dask.distributed) is needed but not installed."""


def run_dask(calls: Sequence[Call], scheduler: str, settle: Settle, *, retries: int = 2,
             connect_timeout: float = CONNECT_TIMEOUT) -> None:
    """Run ``calls`` on the dask.distributed cluster at ``scheduler``.

    A worker lost mid-task has its task rescheduled by the scheduler; a task
    that keeps killing workers, or raises after ``retries`` retries, settles as
    failed.

    Raises
    ------
    MissingDependencyError
        If dask.distributed is not installed.
    ValueError
        If no scheduler answers at ``scheduler`` within ``connect_timeout`` seconds.
    """
    client_class, as_completed = _import_distributed()
    retries = check_int(retries, "retries", minimum=0)
    try:
        client = client_class(scheduler, timeout=connect_timeout)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ValueError(f"scheduler={scheduler!r}: cannot connect ({one_line(exc)}); "
                         "expected the address of a running dask scheduler, "
                         "e.g. tcp://host:8786") from None
    with client:
        futures = client.map(run_isolated, list(calls), pure=False, retries=retries)
        index = {future.key: i for i, future in enumerate(futures)}
        for future in as_completed(futures):
            i = index[future.key]
            if future.status == "error":
                settle(i, _lost(future.exception()))
            else:
                settle(i, future.result())
            future.release()


def _lost(exc: BaseException) -> Outcome:
    """The outcome of a task the cluster gave up on (run_isolated never raises itself)."""
    if type(exc).__name__ == "KilledWorker":
        return Outcome.failure(WORKER_DIED)
    return Outcome.failure(f"{type(exc).__name__}: {one_line(exc)}")


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
