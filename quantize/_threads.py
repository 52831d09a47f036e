"""Work shared between the threads of this process.

NumPy's array loops and products and zlib release the GIL, so the largest
loops (nearest-centre searches over many rows, deflating a large image) can use
a second core: :func:`run` runs a few tasks at once in one shared pool of
:func:`count` threads. :func:`set_threads` (``quantize.set_threads``) sets that count
for the process: batch worker processes (local or Dask), which already take a core
each, set it to 1, and then every task runs in the caller. :func:`beside` runs one
task on a thread of its own while the caller goes on (a file's measurements while its
output is encoded).

:mod:`concurrent.futures` (with :mod:`queue`, about 1.5 ms of imports) is loaded
when the pool first starts (:func:`_futures`): a small image's command never
starts it.
"""

from __future__ import annotations

import contextvars
import os
import threading
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Generic, TypeVar

from ._validation import check_int

if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor

__all__ = ["Beside", "beside", "count", "only_pool_besides", "run", "set_threads", "split"]

T = TypeVar("T")

#: Two threads at most: the work is split in halves (only measured on two cores).
_count = min(2, os.cpu_count() or 1)
_pool: ThreadPoolExecutor | None = None
#: The count the pool was started for.
_pool_size = 0
_pool_lock = threading.Lock()
#: ``in_pool`` is true in the pool's threads.
_local = threading.local()
#: The pool's threads, each added as it starts.
_pool_threads: set[threading.Thread] = set()


def count() -> int:
    """Threads :func:`run` uses at most."""
    return _count


def set_threads(n: int) -> None:
    """Set the size of quantize's own thread pool in this process to ``n`` (1: no pool).

    quantize splits its largest loops (nearest-centre searches over 32,768 rows or
    more, k-means restarts, the deflate of a large PNG) into tasks that the calling
    thread runs beside a pool of ``n`` threads of its own, one pool for every thread of
    the process, started by the first such loop; most loops split in ``n`` parts. The
    default is 2 (1 on a machine of one core). A service that runs one worker process per
    core, or that calls quantize from many threads at once, sets 1: every task then runs
    in its caller and the pool is never started. A pool already started is replaced on
    its next use by one of the new size. Results do not depend on it: the same seed gives
    the same result whatever ``n``.

    Parameters
    ----------
    n : int
        Threads per call, at least 1.

    Raises
    ------
    TypeError
        When ``n`` is not an integer (a bool, a float or a string).
    ValueError
        When ``n`` is below 1.

    Examples
    --------
    >>> import quantize
    >>> from quantize import _threads
    >>> before = _threads.count()
    >>> quantize.set_threads(1)
    >>> _threads.count()
    1
    >>> quantize.set_threads(before)
    """
    global _count
    _count = check_int(n, "n", minimum=1)


def split(n: int, parts: int) -> list[slice]:
    """``parts`` consecutive slices of nearly equal length covering ``range(n)``.

    >>> split(5, 2)
    [slice(0, 2, None), slice(2, 5, None)]
    """
    edges = [n * i // parts for i in range(parts + 1)]
    return [slice(a, b) for a, b in zip(edges[:-1], edges[1:], strict=True)]


def run(tasks: Sequence[Callable[[], T]]) -> list[T]:
    """Results of ``tasks``, run at once on up to :func:`count` threads, in order.

    The caller runs the first task itself while the pool runs the others, so a
    caller never waits idle behind another caller's tasks (a measurement
    thread next to a parallel deflate, say). One task, or a count of 1, runs
    in the caller, and so do the tasks of a task already running in the pool
    (its thread waiting on the pool could leave no thread to run them). A task
    that no pool thread has begun when the caller is done with its own (the pool
    busy with another caller's tasks, or its thread not yet given a core on a
    busy machine) is taken back and run by the caller, not waited for. A task run in the
    pool sees the caller's context variables (a copy of its context), as one run by the
    caller does: a batch records the warnings of a file's tasks with that file's.

    >>> run([lambda: 1, lambda: 2])
    [1, 2]
    """
    if len(tasks) == 1 or _count == 1 or getattr(_local, "in_pool", False):
        return [task() for task in tasks]
    pool = _shared_pool()
    futures = [pool.submit(contextvars.copy_context().run, task) for task in tasks[1:]]
    try:
        first = tasks[0]()
        ran_here = {i: tasks[1 + i]() for i, future in enumerate(futures) if future.cancel()}
    finally:  # the others write into the caller's buffers: let them finish first
        _futures().wait([future for future in futures if not future.cancelled()])  # (wait
        # counts a cancelled future as done only once a pool thread has dequeued it)
    return [first, *(ran_here[i] if i in ran_here else future.result()
                     for i, future in enumerate(futures))]


def _shared_pool() -> ThreadPoolExecutor:
    """The one pool, started by the first caller (two threads' first calls start one),
    and started again when :func:`set_threads` changed the count since: the old one is
    let go, not shut down (a caller may still give it tasks), and its threads end once
    it is collected."""
    global _pool, _pool_size
    with _pool_lock:
        if _pool is None or _pool_size != _count:
            _pool = _futures().ThreadPoolExecutor(max_workers=_count,
                                                  thread_name_prefix="quantize",
                                                  initializer=_mark_pool_thread)
            _pool_size = _count
        return _pool


def _futures() -> ModuleType:
    """:mod:`concurrent.futures`, imported on the pool's first use."""
    import concurrent.futures

    return concurrent.futures


def _mark_pool_thread() -> None:
    _local.in_pool = True
    _pool_threads.add(threading.current_thread())


def only_pool_besides() -> bool:
    """Whether every other thread of the process than the caller's is a thread of the shared
    pool, and so idle: only :func:`run` gives them tasks, and its caller waits for them.
    """
    caller = threading.current_thread()
    return all(thread is caller or thread in _pool_threads for thread in threading.enumerate())


class Beside(Generic[T]):
    """A task running on a thread of its own (:func:`beside`); :meth:`Beside.result` waits for it,
    and so does the end of a ``with`` block on it, whatever the block's outcome. With
    ``here``, the task has already run in the caller."""

    def __init__(self, task: Callable[[], T], here: bool = False) -> None:
        self._value: T | None = None
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None
        if here:
            self._run(contextvars.copy_context(), task)
            return
        self._thread = threading.Thread(target=self._run,
                                        args=(contextvars.copy_context(), task),
                                        name="quantize-beside", daemon=True)
        self._thread.start()

    def _run(self, context: contextvars.Context, task: Callable[[], T]) -> None:
        try:
            self._value = context.run(task)
        except BaseException as exc:  # raised to the caller by result()
            self._error = exc

    def __enter__(self) -> Beside[T]:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.join()

    def join(self) -> None:
        """Wait for the task to end, whatever its outcome."""
        if self._thread is not None:
            self._thread.join()

    def result(self) -> T:
        """The task's value once it has ended, or its exception raised here."""
        self.join()
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]


def beside(task: Callable[[], T], *, here: bool = False) -> Beside[T]:
    """``task`` started now on a thread of its own, which sees the caller's context
    variables (a copy of its context), as a task of :func:`run` does.

    For one task that goes on while the caller works, apart from the shared pool (which
    it does not start). Each call starts a thread: take its :meth:`Beside.result`, or
    :meth:`Beside.join` it (a ``with`` block on it does), before the caller returns.
    With ``here`` (a task too small to pay for a thread), the task runs in the caller
    before this returns, in a copy of its context all the same, and its outcome is
    given as a thread's would be.

    >>> with beside(lambda: 6 * 7) as task:
    ...     task.result()
    42
    """
    return Beside(task, here)


def _forget_pool() -> None:
    """A forked child has none of its parent's pool threads: start a new pool when needed."""
    global _pool, _pool_lock
    _pool = None
    _pool_lock = threading.Lock()  # a fork taken while another thread held it
    _pool_threads.clear()


os.register_at_fork(after_in_child=_forget_pool)
