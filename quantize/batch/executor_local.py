"""The local executor: a pool of worker processes on this machine.

:func:`run_local` runs :class:`~quantize.batch.calls.Call` objects in at most
``jobs`` processes and settles each as it finishes. A worker that dies (killed,
out of memory) fails only the call it was running: the calls that were in
flight with it are re-run one at a time to find the culprit.

On Linux the workers are forked, so they start with everything this process
has imported (a spawned worker spends about 0.3 s importing NumPy, Pillow and
the package again before its first file); elsewhere they are spawned, with
``OMP_NUM_THREADS`` and the BLAS thread variables set to 1. A worker keeps its
work on one thread (the package's own threads are off, their matrix products are
sized for one BLAS thread, and loaded thread pools are capped when threadpoolctl
is installed), so N workers use N cores, not N x cores; it exits when its
parent dies.
Workers ignore SIGINT: when this process is interrupted (Ctrl-C sends
SIGINT to every process of the terminal's foreground group), calls not yet
started are dropped, the calls in flight finish and are settled, so every
output written is also reported (and, in a batch, recorded), and the
KeyboardInterrupt is raised again. A second interrupt while they finish
terminates the workers (their outputs are written atomically, so an unfinished
one leaves only a temporary file, which the next run of its job removes; a segment
job stopped while putting its files in place puts the old ones back first).
In the command, which takes SIGTERM and SIGHUP as Ctrl-C (:mod:`quantize._sigterm`), the
workers leave those to the parent as well (``timeout`` and systemd send SIGTERM to every
process of the batch, a closed terminal SIGHUP) until the parent abandons them: it then
terminates them.
:func:`run_inline` runs calls in this process instead, for a single file, where
starting a worker would cost more than the job, and for ``reduce -j 1`` (where it lets the
file in progress finish at a first interrupt, as the pool does).
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the pool machinery is imported by the functions that start a pool
    from concurrent.futures import Future, ProcessPoolExecutor

from .._sigterm import TAKEN_SIGNALS, SigtermFromParent, SigtermInterrupt
from .._validation import check_int
from .calls import (
    WORKER_DIED,
    Call,
    CallsAbandoned,
    Outcome,
    Settle,
    interrupts_held,
    interrupts_held_once_written,
    run_isolated,
)

__all__ = ["JOBS_PER_CPU", "START_METHOD", "THREAD_VARIABLES", "available_cpus", "capped_count",
           "environment_kept",
           "run_inline", "run_local", "worker_count"]

#: Worker processes per CPU at most, whatever ``jobs`` asks: the work is CPU-bound, so
#: more only share the CPUs, each holding an image (``-j 100000`` tried to start a process
#: per file); a few per CPU still let files that wait on slow storage overlap.
JOBS_PER_CPU = 4

#: How worker processes start: forked where fork is safe and cheap (Linux),
#: spawned elsewhere (macOS system libraries are not fork-safe; Windows has no fork).
START_METHOD = "fork" if sys.platform.startswith("linux") else "spawn"

#: Environment variables that cap the threads of OpenMP and the BLAS libraries.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                    "BLIS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")


def run_inline(calls: Sequence[Call], settle: Settle, *,
               on_interrupt: Callable[[int], None] | None = None) -> None:
    """Run ``calls`` one after the other in this process, calling ``settle(index, outcome)``.

    No isolation from crashes: a call that kills the process ends the run. Without
    ``on_interrupt``, Ctrl-C (and the command's SIGTERM) stops a call at once, until its
    files are in place (:func:`~quantize.batch.calls.interrupts_held_once_written`): from
    then on it is held back until the call is settled, as :func:`run_local` holds it while
    it settles, so an output written is also reported. With ``on_interrupt``, a call is
    let finish and is settled, as :func:`run_local` lets those in flight finish, and no
    other starts: ``on_interrupt(1)`` is called (in the signal handler) as the interrupt
    comes while the call runs, and a second interrupt stops the call at once.

    >>> got = []
    >>> run_inline([Call(abs, (-2,)), Call(int, ("x",))], lambda i, o: got.append((i, o.ok)))
    >>> got
    [(0, True), (1, False)]
    """
    for index, call in enumerate(calls):
        if on_interrupt is None:
            with interrupts_held_once_written():
                outcome = run_isolated(call)
                with interrupts_held():  # also when the call wrote nothing
                    settle(index, outcome)
            continue
        with interrupts_held(on_first=lambda: on_interrupt(1)) as held:
            outcome = run_isolated(call)
            if held is not None:
                held.on_first = None  # no call in progress: settling is not said
            settle(index, outcome)


def run_local(calls: Sequence[Call], settle: Settle, *, jobs: int | None = None,
              on_interrupt: Callable[[int], None] | None = None) -> None:
    """Run ``calls`` in ``jobs`` worker processes, calling ``settle(index, outcome)``.

    On KeyboardInterrupt, ``on_interrupt(n)`` (if given) is told how many calls
    are still running before they are waited for (see the module docstring).

    At most ``jobs`` calls are in flight (and no more workers start than there
    are calls, nor than :func:`worker_count` allows), so when a worker dies the suspects
    are known: they are re-run one at a time in a fresh pool, and a call that kills
    its worker while running alone settles as failed (:data:`WORKER_DIED`).
    """
    n = worker_count(jobs, len(calls))  # a fork pool starts all its workers at once
    queue: deque[int] = deque(range(len(calls)))
    suspects: deque[int] = deque()
    with _one_thread_per_worker():
        while queue or suspects:
            _run_pool(calls, settle, queue, suspects, n, on_interrupt)


def worker_count(jobs: int | None, n_calls: int, name: str = "jobs") -> int:
    """The worker processes to start for ``n_calls`` calls: ``jobs`` (None: one per
    available CPU), at most :data:`JOBS_PER_CPU` per available CPU and one per call.

    Raises
    ------
    ValueError, TypeError
        If ``jobs`` is not an integer >= 1 (``name`` is the parameter it was given as).

    >>> worker_count(3, 2), worker_count(2, 0), worker_count(10**5, 10**6) == 4 * available_cpus()
    (2, 1, True)
    """
    cpus = available_cpus()
    n = cpus if jobs is None else min(check_int(jobs, name, minimum=1), JOBS_PER_CPU * cpus)
    return max(1, min(n, n_calls))


def capped_count(jobs: int | None, n_calls: int) -> int | None:
    """The worker processes :func:`worker_count` starts for ``n_calls`` calls when
    :data:`JOBS_PER_CPU` is what holds them below ``jobs``; None when it is not (``jobs``
    None, or no more calls, nor ``jobs``, than the cap allows). Prior validation of
    ``jobs`` is assumed.

    >>> capped_count(2, 100), capped_count(10**5, 1), capped_count(None, 10**6)
    (None, None, None)
    >>> capped_count(10**5, 10**6) == 4 * available_cpus()
    True
    """
    if jobs is None:
        return None
    n = worker_count(jobs, n_calls)
    return n if n < min(jobs, n_calls) else None


def available_cpus() -> int:
    """CPUs this process may run on (its affinity mask where the OS has one)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def _run_pool(calls: Sequence[Call], settle: Settle, queue: deque[int], suspects: deque[int],
              n: int, on_interrupt: Callable[[int], None] | None) -> None:
    """One pool's lifetime: until the work is done or a worker dies.

    ``running`` maps each future to (index, ran alone). Suspects run alone,
    once nothing else is running.
    """
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    context = multiprocessing.get_context(START_METHOD)
    with contextlib.suppress(ImportError):  # not on Windows
        import resource  # noqa: F401 -- for _too_few_descriptors: with no descriptor left,
        # a module can no longer be imported
    running: dict[Future[Outcome], tuple[int, bool]] = {}
    # Set before the workers are terminated: a SIGTERM then ends them (see _init_worker).
    abandoned = context.RawValue("b", 0)
    as_interrupt = any(isinstance(signal.getsignal(signum), SigtermInterrupt)
                       for signum in TAKEN_SIGNALS)
    try:
        pool = ProcessPoolExecutor(n, mp_context=context, initializer=_init_worker,
                                   initargs=(os.getpid(), abandoned if as_interrupt else None))
    except OSError as exc:
        raise _too_few_descriptors(exc, n) from None
    with pool:
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
        except KeyboardInterrupt:  # nothing waits in the pool: at most n calls are submitted
            if running and on_interrupt is not None:
                on_interrupt(len(running))
            _settle_in_flight(pool, running, settle, abandoned)
            raise
        except OSError as exc:
            if exc.errno not in (errno.EMFILE, errno.ENFILE):
                pool.shutdown(wait=True, cancel_futures=True)
                raise
            # A worker could not be started: those that were wait for work that never
            # comes, and Python would wait for them at exit. None is running a call now.
            _settle_done(wait(running).done, running, settle, suspects)
            _stop_workers(pool, "kill")
            pool.shutdown(wait=False, cancel_futures=True)
            raise _too_few_descriptors(exc, n) from None
        except BaseException:
            # Waits for the calls in flight, as leaving would too: Python joins the pool's
            # manager thread at exit. Left to that join, its wakeup pipe could be closed
            # while Python's exit hook wrote to it ("Exception ignored ... Bad file
            # descriptor", a traceback after the one-line error).
            pool.shutdown(wait=True, cancel_futures=True)
            raise


def _too_few_descriptors(error: OSError, n: int) -> OSError:
    """``error``, raised while a pool of ``n`` workers started, in words that say what
    to do when it is for want of file descriptors (each worker holds some)."""
    if error.errno not in (errno.EMFILE, errno.ENFILE):
        return error
    try:
        import resource

        limit = f" (the limit is {resource.getrlimit(resource.RLIMIT_NOFILE)[0]})"
    except (ImportError, OSError, ValueError):
        limit = ""
    workers = "1 worker process" if n == 1 else f"{n} worker processes"
    return OSError(error.errno, f"too few file descriptors to start {workers}{limit}; "
                   "raise the limit (ulimit -n), or run fewer jobs at once")


def _submit(pool: ProcessPoolExecutor, calls: Sequence[Call], source: deque[int],
            running: dict[Future[Outcome], tuple[int, bool]], *, alone: bool) -> None:
    from concurrent.futures.process import BrokenProcessPool

    index = source.popleft()
    try:
        with interrupts_held(), _interrupts_blocked():  # a call submitted is also settled
            running[pool.submit(run_isolated, calls[index])] = (index, alone)
    except BrokenProcessPool:
        source.appendleft(index)
        raise


def _settle_done(done: Iterable[Future[Outcome]],
                 running: dict[Future[Outcome], tuple[int, bool]],
                 settle: Settle, suspects: deque[int]) -> bool:
    """Settle finished futures; return True when the pool broke (a worker died).

    A call caught in a broken pool becomes a suspect, unless it ran alone: then
    it is the one that killed its worker.
    """
    from concurrent.futures.process import BrokenProcessPool

    broken = False
    for future in done:
        with interrupts_held():  # an output written is also settled
            index, alone = running.pop(future)
            try:
                outcome = future.result()
            except BrokenProcessPool:
                broken = True
                if alone:
                    settle(index, Outcome.failure(WORKER_DIED))
                else:
                    suspects.append(index)
                continue
            settle(index, outcome)
    return broken


def _settle_in_flight(pool: ProcessPoolExecutor,
                      running: dict[Future[Outcome], tuple[int, bool]], settle: Settle,
                      abandoned: Any) -> None:
    """After an interrupt: wait for the calls in flight and settle those that return.

    A finished file must be settled like any other: a batch records its
    output, so that a rerun knows how it was made. Calls that do not return
    (their worker died) are left unsettled. A second interrupt terminates the
    workers and is raised at once, as :class:`~quantize.batch.calls.CallsAbandoned`
    naming the calls still running (those in flight: at most one a worker is submitted).
    """
    from concurrent.futures import FIRST_COMPLETED, wait

    try:
        while running:
            for future in wait(running, return_when=FIRST_COMPLETED).done:
                with interrupts_held():
                    index, _ = running.pop(future)
                    if not future.cancelled() and future.exception() is None:
                        settle(index, future.result())
    except KeyboardInterrupt:
        abandoned.value = 1
        _stop_workers(pool, "terminate")
        raise CallsAbandoned(sorted(index for index, _ in running.values())) from None


def _stop_workers(pool: ProcessPoolExecutor, how: str) -> None:
    """Stop the pool's worker processes now (Python 3.14 has a method for each way): ``how``
    is "terminate", SIGTERM, with which one putting a set of files in place first puts the
    old ones back, or "kill", SIGKILL, for idle workers, as one just started may not yet
    take SIGTERM as its own."""
    stop = getattr(pool, f"{how}_workers", None)
    if stop is not None:
        stop()
        return
    for worker in list((pool._processes or {}).values()):  # noqa: SLF001 -- before 3.14
        getattr(worker, how)()


#: The signals a worker starts with blocked, until :func:`_init_worker` has its handlers.
_BLOCKED_AT_START = frozenset({signal.SIGINT, *TAKEN_SIGNALS})


@contextlib.contextmanager
def _interrupts_blocked() -> Iterator[None]:
    """Block Ctrl-C (SIGINT), SIGTERM and SIGHUP in this thread while the block runs: a worker the
    pool starts in it (a submit starts them) has them blocked until :func:`_init_worker`
    has put the worker's own handlers in place and unblocks them.

    A forked worker begins as a copy of this process, with its handlers: those of a block
    holding interrupts back, which raised KeyboardInterrupt in the worker at a second
    Ctrl-C (a traceback on stderr, a worker dead, or the parent's own code run on in the
    copy, printing its error line), and kept a SIGTERM its parent sent to abandon it; a
    spawned one began with Python's, ended by SIGTERM, raising at Ctrl-C. A signal that
    comes to a worker before its handlers waits for them. Held in this process meanwhile
    (a few milliseconds), it is taken as the block ends. Nothing where the system has no
    signal masks (Windows).
    """
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _BLOCKED_AT_START)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


@contextlib.contextmanager
def environment_kept(names: Iterable[str] | None = None) -> Iterator[None]:
    """Put this process's environment variables (``os.environ``) back as they were on
    entry when the block ends, however it ends: those set in it removed, those changed or
    removed given their value again. Only ``names`` when given, else all.

    A ``dask.distributed`` nanny started in this process (a
    ``LocalCluster(processes=True)``'s, as the cluster starts and whenever it starts a
    worker again) sets the variables of Dask's ``distributed.nanny.pre-spawn-environ``
    setting in it, for its worker to inherit, and leaves them set: with Dask's defaults,
    ``MALLOC_TRIM_THRESHOLD_=65536`` and ``OMP_NUM_THREADS=1`` stay for the rest of the
    process, and the variable slows the workers of every later local run (``jobs=2``) as
    it slows Dask's (docs/batch.md). Make and use such a cluster in this block.

    Parameters
    ----------
    names : iterable of str, or None
        The variables to put back; None (the default) for every one.

    Examples
    --------
    >>> import os
    >>> with environment_kept():
    ...     os.environ["QUANTIZE_EXAMPLE"] = "set in the block"
    >>> "QUANTIZE_EXAMPLE" in os.environ
    False
    """
    kept = None if names is None else set(names)
    saved = {name: value for name, value in os.environ.items() if kept is None or name in kept}
    try:
        yield
    finally:
        for name in set(os.environ if kept is None else kept) - set(saved):
            os.environ.pop(name, None)
        for name, value in saved.items():
            if os.environ.get(name) != value:
                os.environ[name] = value


@contextlib.contextmanager
def _one_thread_per_worker() -> Iterator[None]:
    """Set the thread variables to 1 while worker processes are being started.

    Spawned workers inherit this process's environment, and OpenMP and BLAS
    read it once, when NumPy (and friends) load, before any initializer could
    run; forked workers have their libraries loaded already, but pass the
    variables on to any process they start. The variables are restored on exit
    (:func:`environment_kept`).
    """
    with environment_kept(THREAD_VARIABLES):
        os.environ.update(dict.fromkeys(THREAD_VARIABLES, "1"))
        yield


def _init_worker(parent: int, abandoned: Any) -> None:
    """Keep a worker's NumPy work on one thread, ignore SIGINT, exit with the parent, and
    list each output folder for temporary files once (:func:`~quantize.io.parts_listed_once`).

    The package's own threads are turned off; thread pools already loaded
    are capped when threadpoolctl is available (a forked worker inherits them).
    Pool workers would otherwise outlive a batch process killed with SIGKILL,
    blocked forever on their task queue. Given a shared flag ``abandoned`` (the parent
    takes SIGTERM and SIGHUP as Ctrl-C), SIGTERM and SIGHUP too (each not ignored: ``nohup``
    ignores SIGHUP) are left to the parent until it sets the flag.
    SIGINT, SIGTERM and SIGHUP, blocked since the worker started (:func:`_interrupts_blocked`),
    are then unblocked: one that came meanwhile is taken by these handlers.
    """
    from .. import set_threads
    from ..io import list_parts_once_from_now

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides (see the module docstring)
    if abandoned is not None:  # in place of the parent's (forked), which raises KeyboardInterrupt
        for signum in TAKEN_SIGNALS:
            if signal.getsignal(signum) is not signal.SIG_IGN:
                signal.signal(signum, SigtermFromParent(abandoned))
    if hasattr(signal, "pthread_sigmask"):  # blocked as it started (_interrupts_blocked)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _BLOCKED_AT_START)
    set_threads(1)
    list_parts_once_from_now()  # a worker that dies breaks the pool: the next one lists again
    with contextlib.suppress(ImportError):
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True,
                     name="quantize-exit-with-parent").start()


def _exit_with_parent(parent: int, interval: float = 0.5) -> None:
    while os.getppid() == parent:
        time.sleep(interval)
    os._exit(1)
