"""The Dask executor: run calls on a ``dask.distributed`` cluster.

:func:`run_dask` submits every :class:`~quantize.batch.calls.Call` with
``client.map`` and settles results (small records, never pixels) as they
complete. Workers must see the same paths as this process (shared storage).
When this process is interrupted, no task starts its call any more (each task
first looks at the run's stop :class:`distributed.Event`, which the interrupt
sets), the tasks the scheduler has not sent to a worker are cancelled, and the
calls already running are let finish and settled before the interrupt is
raised again (a worker cannot stop a running task, so its output would
otherwise be written unreported); a second interrupt stops waiting.
A call runs on its worker's thread alone (the package's own threads are off),
since a cluster is best run as one single-thread worker per core; a worker of
several threads runs as many calls at once, each recording only its own warnings
(:func:`~quantize.batch.calls.recorded_call`). dask is an optional
dependency, imported only here, inside the functions.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import os
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .. import __version__, set_threads
from .._validation import check_float, check_int
from ..errors import ExitCode, FailureKind, QuantizeError
from .calls import WORKER_DIED, Call, Outcome, Settle, interrupts_held, one_line, run_isolated

__all__ = ["MALLOC_TRIM", "NOT_SHARED", "NOT_WRITABLE", "NO_WORKER_REMINDER", "WORKER_PROTOCOL",
           "MissingDependencyError", "NoWorkerError", "SchedulerLostError", "check_scheduler",
           "check_scheduler_address", "require_distributed", "run_dask", "unseen_by_workers",
           "worker_protocol", "workers_trimming_malloc"]

#: Seconds to wait for a scheduler to answer.
CONNECT_TIMEOUT = 20.0

#: Seconds between two looks at how many workers the cluster has, while a run waits for its
#: files (:func:`run_dask`): one small request to the scheduler each.
WORKER_POLL = 1.0

#: Seconds between two reminders, while no worker is connected, that the files still wait.
NO_WORKER_REMINDER = 300.0

#: The environment variable Dask's nanny sets in its workers, which slows the files there
#: (docs/batch.md, "Memory settings of the workers").
MALLOC_TRIM = "MALLOC_TRIM_THRESHOLD_"


class MissingDependencyError(QuantizeError, ImportError):
    """An optional dependency (dask.distributed) is needed but not installed: exit 2."""

    exit_code = ExitCode.USAGE
    kind: FailureKind = "bad_parameter"


class SchedulerLostError(QuantizeError, ConnectionError):
    """The Dask scheduler stopped, or the connection to it was lost, before every call
    settled (those settled before are kept): exit 75, a rerun once it is back finishes.

    ``not_done`` holds what the caller made of the calls not settled
    (:func:`~quantize.batch.run_batch`: a failed result for each file); empty as
    :func:`run_dask` raises it.
    """

    exit_code = ExitCode.IN_USE
    kind: FailureKind = "cluster_lost"

    def __init__(self, message: str, not_done: Sequence[Any] = ()) -> None:
        super().__init__(message)
        self.not_done = list(not_done)

    def __reduce__(self):  # keeps its own arguments across process boundaries
        return (type(self), (self.reason, self.not_done))


class NoWorkerError(SchedulerLostError):
    """No worker was connected to the Dask scheduler for the ``worker_timeout`` seconds
    :func:`run_dask` was given: it gave up on the calls not settled (those settled before
    are kept), as on a lost scheduler."""


def check_scheduler_address(scheduler: Any) -> Any:
    """``scheduler`` as the functions that run on Dask take it: the address of a dask
    scheduler, a str such as "tcp://host:8786", or a ``dask.distributed`` cluster object
    (a ``LocalCluster``), which a client connects to as to its address. A
    ``dask.distributed`` ``Client`` is taken as its scheduler's address (the run
    connects a client of its own there, and leaves the given one open).

    Raises
    ------
    TypeError
        For anything else.
    ValueError
        For an address over TCP with a path after its host and port, a final "/" too
        (``tcp://host:8786/``, as a URL is often written): dask takes none, and its own
        error was Python's words about the port ("invalid literal for int()").

    >>> check_scheduler_address("tcp://host:8786")
    'tcp://host:8786'
    >>> check_scheduler_address(8786)
    Traceback (most recent call last):
    TypeError: scheduler=8786 should be the address of a dask scheduler, a str such as \
'tcp://host:8786', a dask cluster (LocalCluster) or a Client, got int
    >>> check_scheduler_address("tcp://host:8786/")
    Traceback (most recent call last):
    ValueError: scheduler='tcp://host:8786/': expected the address of a dask scheduler \
without a path or a final '/', as 'tcp://host:8786'
    """
    if isinstance(scheduler, str):
        _check_no_path(scheduler)
        return scheduler
    if hasattr(scheduler, "scheduler_address"):
        return scheduler
    address = _client_address(scheduler)
    if address is not None:
        return address
    raise TypeError(f"scheduler={scheduler!r} should be the address of a dask scheduler, a str "
                    f"such as 'tcp://host:8786', a dask cluster (LocalCluster) or a Client, "
                    f"got {type(scheduler).__name__}")


def _client_address(client: Any) -> str | None:
    """The scheduler's address of ``client``, a ``dask.distributed`` ``Client`` (told by
    its ``scheduler.address`` or, failing that, its ``scheduler_info()``; distributed is
    not imported), or None for anything else, a closed client too (whose scheduler
    is None and info empty, or not to be asked once its loop is closed).

    >>> from types import SimpleNamespace
    >>> _client_address(SimpleNamespace(scheduler=SimpleNamespace(address="tcp://h:8786")))
    'tcp://h:8786'
    >>> _client_address(8786) is None
    True
    """
    address = getattr(getattr(client, "scheduler", None), "address", None)
    info = getattr(client, "scheduler_info", None)
    if not isinstance(address, str) and callable(info):
        try:
            said = info()  # {} for a closed client
        except RuntimeError:  # closed, as its cluster's loop: "IOLoop is closed"
            said = None
        address = said.get("address") if isinstance(said, dict) else None
    return address if isinstance(address, str) and address else None


def _check_no_path(address: str) -> None:
    """Refuse an ``address`` over TCP (:data:`_OVER_TCP`; without a scheme, dask's default,
    tcp) with anything after its host and port: the address without it is said."""
    scheme, given, rest = address.partition("://")
    if not given:
        scheme, rest = "tcp", address
    if scheme.lower() in _OVER_TCP and "/" in rest:
        alone = address[:len(address) - len(rest)] + rest.split("/", 1)[0]
        raise ValueError(f"scheduler={address!r}: expected the address of a dask scheduler "
                         f"without a path or a final '/', as {alone!r}")


def run_dask(calls: Sequence[Call], scheduler: str, settle: Settle, *, retries: int = 2,
             connect_timeout: float = CONNECT_TIMEOUT,
             on_interrupt: Callable[[int], None] | None = None,
             must_see: Path | None = None, must_see_as: str | None = None,
             must_write: bool = False, worker_timeout: float | None = None,
             on_workers: Callable[[int, int, float], None] | None = None,
             on_retry: Callable[[int, str, int, int | None], None] | None = None) -> None:
    """Run ``calls`` on the dask.distributed cluster at ``scheduler``.

    A worker lost mid-task has its task rescheduled by the scheduler; a task
    that keeps killing workers, or raises after ``retries`` retries, settles as
    failed. The scheduler blames a death on every task its worker held, also those
    only queued there: such tasks are run again at the end, one at a time, and only
    one that kills its worker running alone settles as failed (as in the local pool).
    Each worker lost while it held a call (the scheduler's "remove-worker" event: it died,
    or left without being retired) is named in the call's outcome
    (:attr:`~quantize.batch.calls.Outcome.workers_lost`), and, when the call is run again,
    ``on_retry(i, worker, n, of)`` (if given) is told at once, from the client's thread:
    call ``i`` lost with ``worker`` is run again for the ``n``-th time of at most ``of``
    (:class:`_WorkerLosses`). On KeyboardInterrupt, ``on_interrupt(n)`` (if given) is told
    how many tasks are still running before they are waited for.

    Every task first checks its worker, as :func:`unseen_by_workers` checks the
    workers there before a run, for a worker that joined since: a worker that
    runs another version of quantize or of its tasks, or does not see the file
    ``must_see`` (an absolute path; shared storage), or, with ``must_write``, sees it
    but cannot write into its folder (the output folder, which the worker's user may
    have no permission on), fails the call without running it, the reason saying so
    and naming the worker, and the file as ``must_see_as`` (as the user gave it;
    default ``must_see``).

    While the run waits for its calls, the number of workers is looked at every
    :data:`WORKER_POLL` seconds, in a thread of its own: when the last worker leaves,
    ``on_workers(0, n_waiting, 0.0)`` is called (in that thread), ``n_waiting`` the calls
    not settled; while none is back, ``on_workers(0, n_waiting, seconds)`` every
    :data:`NO_WORKER_REMINDER` seconds, ``seconds`` the time since there was one; and
    ``on_workers(n, n_waiting, seconds)`` when ``n`` workers are connected again (also
    when the run started with none). With ``worker_timeout`` (seconds, >= 0), the run
    gives up once no worker was connected for that long (from the start too): the calls
    not settled are cancelled and :class:`NoWorkerError` is raised (0: as soon as none is
    seen); without, it waits until a worker joins.

    Raises
    ------
    MissingDependencyError
        If dask.distributed is not installed.
    ValueError
        If no scheduler answers at ``scheduler`` within ``connect_timeout`` seconds (at
        once when its host is unknown or nothing listens on its port), or if
        ``worker_timeout`` is a number < 0 (TypeError: no number).
    SchedulerLostError
        A ConnectionError: the cluster dropped the tasks not settled yet (the scheduler
        stopped, or the connection to it was lost); those settled before are kept.
    NoWorkerError
        A SchedulerLostError: no worker was connected for ``worker_timeout`` seconds.
    """
    scheduler = check_scheduler_address(scheduler)
    client_class, as_completed = _import_distributed(scheduler)
    retries = check_int(retries, "retries", minimum=0)
    if worker_timeout is not None:
        worker_timeout = check_float(worker_timeout, "worker_timeout", minimum=0)
    client = _connect(client_class, scheduler, connect_timeout)
    task, ours = _task_checking_its_worker(), _code()
    pending: dict[str, int] = {}  # key of each future not settled -> its call's index
    alone: set[str] = set()  # keys of the futures run with nothing else in flight
    with client, _WorkerWatch(client, on_workers, worker_timeout) as watch, \
            _WorkerLosses(client, pending, alone, on_retry) as losses:
        stop = f"quantize-stop-{uuid.uuid4().hex}"
        futures: list[Any] = []
        suspects: list[int] = []  # calls lost with a worker that another call may have killed

        def submit(indices: Sequence[int]) -> list[Any]:
            new = client.map(task, [calls[i] for i in indices], expected=ours, stop=stop,
                             must_see=None if must_see is None else str(must_see),
                             must_see_as=None if must_see_as is None else str(must_see_as),
                             must_write=must_write, pure=False, retries=retries)
            pending.update((future.key, i) for future, i in zip(new, indices, strict=True))
            futures.extend(new)
            return new

        watch.start(lambda: len(pending) + len(suspects),
                    lambda: client.cancel([f for f in list(futures) if not f.done()]))

        def settle_done(future: Any) -> None:
            with interrupts_held():  # an output written is also settled
                i = pending.pop(future.key)
                error = future.exception() if future.status == "error" else None
                if _killed(error) and future.key not in alone:
                    suspects.append(i)  # perhaps only queued on the worker another call killed
                    future.release()
                    return
                outcome = _lost(error) if error is not None else future.result()
                if isinstance(outcome, dict):  # refused by the task: its worker's code differs
                    outcome = _refused(outcome, ours)
                if outcome is not None:  # None: stopped before its call started
                    settle(i, losses.named(i, outcome))
            future.release()

        def settle_all(group: list[Any]) -> None:
            for future in as_completed(group):
                if future.status == "cancelled" and watch.gave_up:
                    raise NoWorkerError(
                        f"no Dask worker was connected to {scheduler} for "
                        f"worker_timeout={worker_timeout:g} s: gave up on the files still to "
                        f"do ({len(pending) + len(suspects)} of {len(calls)}); start workers "
                        "and rerun the same command to finish them")
                if future.status == "cancelled":  # by the cluster: this run cancels none
                    _close_quietly(client)
                    raise SchedulerLostError(
                        f"the Dask scheduler at {scheduler} dropped the files still to do "
                        f"({len(pending) + len(suspects)} of {len(calls)}): it stopped, or "
                        "the connection to it was lost; rerun the same command to finish them")
                settle_done(future)

        try:
            settle_all(submit(range(len(calls))))
            while suspects:  # one at a time: a worker it kills then held it alone
                [future] = submit([suspects.pop(0)])
                alone.add(future.key)
                settle_all([future])
        except KeyboardInterrupt:
            _event(stop, client).set()  # from now on, no task starts its call
            kept, n_running = _keep_started(client, [f for f in futures if f.key in pending])
            if n_running and on_interrupt is not None:
                on_interrupt(n_running)
            for future in as_completed(kept):
                if future.status != "cancelled":
                    settle_done(future)
            raise


class _WorkerLosses:
    """The workers lost while they held calls of a :func:`run_dask` run, by call: told by
    the scheduler's "remove-worker" events, which ``client`` subscribes to (its topic
    "all"; the event says the worker and the keys it held, and comes before the client
    hears of those keys again). A loss the scheduler expected (a worker retired, whose
    tasks move elsewhere) is none.

    A call lost with its worker is run again by the scheduler up to its
    ``allowed-failures`` times (asked once, when ``on_retry`` is given; None when it
    cannot be), then once more alone (:func:`run_dask`'s ``suspects``), that run up to as
    many times again: at most ``2 * allowed + 1`` times in all. ``on_retry(i, worker, n,
    of)`` is called at each loss after which call ``i`` is run again, from the client's
    thread; ``n`` counts the call's losses, ``of`` is that most (None when unknown).
    ``pending`` (key -> call) and ``alone`` (keys run alone) are :func:`run_dask`'s own.
    Subscribed from the start of the block to its end: a client still subscribed as it
    closes had the scheduler log a traceback (the events of its leaving sent to it).
    """

    def __init__(self, client: Any, pending: dict[str, int], alone: set[str],
                 on_retry: Callable[[int, str, int, int | None], None] | None) -> None:
        self.client, self.pending, self.alone, self.on_retry = client, pending, alone, on_retry
        self.allowed = None if on_retry is None else _allowed_failures(client)
        self.workers: dict[int, list[str]] = {}  # call -> the workers lost holding it
        self.of_key: dict[str, int] = {}  # key -> its losses, as the scheduler counts them

    def __enter__(self) -> _WorkerLosses:
        self.client.subscribe_topic("all", self._seen)
        return self

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(Exception):  # a scheduler lost: nothing to unsubscribe from
            self.client.unsubscribe_topic("all")

    def named(self, index: int, outcome: Outcome) -> Outcome:
        """``outcome`` of call ``index``, naming the workers lost while they held it."""
        lost = self.workers.get(index)
        return outcome if not lost else dataclasses.replace(outcome, workers_lost=tuple(lost))

    def _seen(self, event: Any) -> None:
        msg = event[1] if isinstance(event, tuple | list) and len(event) == 2 else None
        if not isinstance(msg, dict) or msg.get("action") != "remove-worker" \
                or msg.get("expected"):
            return
        worker = str(msg.get("worker", "a worker"))
        for key in msg.get("processing-tasks", ()):
            index = self.pending.get(key)
            if index is not None:
                self._lost(index, key, worker)

    def _lost(self, index: int, key: str, worker: str) -> None:
        lost = self.workers.setdefault(index, [])
        lost.append(worker)
        self.of_key[key] = n_key = self.of_key.get(key, 0) + 1
        allowed = self.allowed
        again = key not in self.alone or (allowed is not None and n_key <= allowed)
        if self.on_retry is not None and again:
            self.on_retry(index, worker, len(lost), None if allowed is None else 2 * allowed + 1)


def _allowed_failures(client: Any) -> int | None:
    """How many times ``client``'s scheduler runs a task again whose worker was lost (its
    ``distributed.scheduler.allowed-failures``), or None when it cannot be asked (the
    function is sent by value: the scheduler need not have quantize), or does not answer
    within :data:`CONNECT_TIMEOUT` seconds."""
    try:
        said = client.run_on_scheduler(lambda dask_scheduler: dask_scheduler.allowed_failures,
                                       callback_timeout=CONNECT_TIMEOUT)
    except Exception:  # noqa: BLE001 -- a scheduler refusing pickled functions: not said
        return None
    return said if isinstance(said, int) and not isinstance(said, bool) and said >= 0 else None


class _WorkerWatch:
    """Looks at how many workers ``client``'s scheduler has, in a daemon thread, from
    ``start()`` to the end of the block (:func:`run_dask` says what it tells
    ``on_workers`` and when it gives up, after ``timeout`` seconds without a worker;
    ``gave_up`` is then true)."""

    def __init__(self, client: Any, on_workers: Callable[[int, int, float], None] | None,
                 timeout: float | None) -> None:
        self.client, self.on_workers, self.timeout = client, on_workers, timeout
        self.gave_up = False
        self._done = threading.Event()

    def __enter__(self) -> _WorkerWatch:
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()

    def start(self, n_waiting: Callable[[], int], give_up: Callable[[], None]) -> None:
        """Start watching; ``n_waiting()`` counts the calls not settled, ``give_up()``
        cancels them."""
        if self.on_workers is None and self.timeout is None:
            return
        threading.Thread(target=self._watch, args=(n_waiting, give_up), daemon=True,
                         name="quantize-dask-workers").start()

    def _watch(self, n_waiting: Callable[[], int], give_up: Callable[[], None]) -> None:
        n = self._n_workers()
        since = time.monotonic() if n == 0 else None  # when the last worker left
        reminded = since
        while not self._done.wait(WORKER_POLL):
            n, now = self._n_workers(), time.monotonic()
            if n is None:  # the scheduler lost: the run says it
                continue
            if n and since is not None:
                self._tell(n, n_waiting(), now - since)
                since = reminded = None
            elif not n and since is None:
                since = reminded = now
                self._tell(0, n_waiting(), 0.0)
            elif since is not None and self.timeout is not None and now - since >= self.timeout:
                self.gave_up = True
                give_up()
                return
            elif since is not None and reminded is not None \
                    and now - reminded >= NO_WORKER_REMINDER:
                reminded = now
                self._tell(0, n_waiting(), now - since)

    def _n_workers(self) -> int | None:
        try:
            return len(self.client.nthreads())
        except Exception:  # noqa: BLE001 -- the scheduler lost: the run says it
            return None

    def _tell(self, n: int, n_waiting: int, seconds: float) -> None:
        if self.on_workers is not None and n_waiting and not self._done.is_set():
            self.on_workers(n, n_waiting, seconds)


def _close_quietly(client: Any) -> None:
    """Close ``client``, which has lost its scheduler, without the traceback the client
    logs when closing stops its attempts to reconnect (the caller says what happened)."""
    import logging

    logger = logging.getLogger("distributed.client")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        client.close()
    finally:
        logger.setLevel(level)


def _keep_started(client: Any, futures: list[Any]) -> tuple[list[Any], int]:
    """Cancel the ``futures`` the scheduler has not sent to a worker; return the others
    and how many of them are running (at most one per worker thread).

    Called once the run's stop event is set: a task sent to a worker after that
    returns without starting its call. A task is kept when it was on a worker when
    asked, or is finished by the time its result is asked for afterwards (held by
    its future, a result stays): one that finished in between, its result still on
    its way to this client, must not be cancelled, as its output is written.
    """
    on_workers = client.processing()
    sent = {key for keys in on_workers.values() for key in keys}
    finished = {key for key, where in client.who_has(futures).items() if where}
    kept = [f for f in futures if f.key in sent or f.key in finished or f.done()]
    waiting = [f for f in futures if not (f.key in sent or f.key in finished or f.done())]
    if waiting:
        client.cancel(waiting)
    ours = {f.key for f in futures}
    threads = client.nthreads()
    n_running = sum(min(len(ours.intersection(keys)), threads.get(worker, 1))
                    for worker, keys in on_workers.items())
    return kept, n_running


def check_scheduler(scheduler: str, connect_timeout: float | None = None) -> int:
    """Connect to ``scheduler`` and disconnect: fail early, before any work is planned.

    Returns the number of workers connected to it now. With none, the files
    of a run wait until one joins (as on a cluster that starts its workers on
    demand).

    ``connect_timeout`` defaults to :data:`CONNECT_TIMEOUT`.

    Raises
    ------
    MissingDependencyError, ValueError
        As :func:`run_dask`: dask.distributed is missing, or nothing answers in time.
    """
    client, _, _ = _client_at(scheduler, connect_timeout)
    with client:
        return len(client.nthreads())


def _client_at(scheduler: str, connect_timeout: float | None) -> tuple[Any, str, float]:
    """A client of ``scheduler`` for a question to its workers before a run
    (:func:`_connect`), with the address as checked and the timeout used
    (:data:`CONNECT_TIMEOUT` when ``connect_timeout`` is None)."""
    scheduler = check_scheduler_address(scheduler)
    client_class, _ = _import_distributed(scheduler)
    timeout = CONNECT_TIMEOUT if connect_timeout is None else connect_timeout
    return _connect(client_class, scheduler, timeout), scheduler, timeout


def workers_trimming_malloc(scheduler: str, connect_timeout: float | None = None
                            ) -> dict[str, str]:
    """The workers of ``scheduler`` connected now that run with :data:`MALLOC_TRIM` set,
    each with its value (Dask's nanny sets it to 65536 by default): one question to the
    workers. With glibc, the variable makes every large NumPy array a fresh mapping, and
    the files take up to twice as long as in a local pool (docs/batch.md, "Memory
    settings of the workers"). Empty when none has it, and when the workers cannot be
    asked, or do not all answer within the connection's timeout (a worker restarting,
    say: the question is only advice, and the checks of :func:`unseen_by_workers` say
    why a worker cannot be asked).

    Raises
    ------
    MissingDependencyError, ValueError
        As :func:`check_scheduler`: dask.distributed is missing, or nothing answers in time.
    """
    client, _, timeout = _client_at(scheduler, connect_timeout)
    with client:
        try:
            seen = client.run(_environment_value, MALLOC_TRIM, callback_timeout=timeout)
        except Exception:  # noqa: BLE001 -- a worker lost, refusing or slow: checked later
            return {}
    return {worker: value for worker, value in sorted(seen.items()) if value is not None}


#: Run on the workers by :func:`workers_trimming_malloc`: a function every worker has.
_environment_value = os.getenv


#: Increased whenever the calls a worker runs for a batch change how they are called: a worker
#: started before an upgrade still runs the old code, and must be restarted. A worker must
#: also run the same version of quantize (``quantize.__version__``) as the batch's machine,
#: and the same build of it: the same source files (:func:`_source_digest`).
WORKER_PROTOCOL = 7

#: How a worker that runs other code than this machine is told to be fixed.
RESTART = "install on every worker the quantize this machine runs, and restart the workers"

#: Why a worker that does not see the batch's folders cannot run its files.
NOT_SHARED = ("the Dask workers must see the input and output folders at the same paths as "
              "this machine (shared storage)")

#: Why a worker that cannot write into the output folder cannot run its files.
NOT_WRITABLE = ("the Dask workers must be able to write into the output folder, as this "
                "machine can: give the user the worker runs as write permission there, or "
                "stop that worker")


def worker_protocol() -> dict[str, Any]:
    """Run on each worker by :func:`unseen_by_workers` (and by each task, on its own worker):
    the code it runs, as ``{"protocol": WORKER_PROTOCOL, "version": quantize.__version__,
    "build": _source_digest()}`` (that of an older quantize said no build; one older still,
    which did not compare versions, returned its protocol alone, an int).

    >>> worker_protocol() == {"protocol": WORKER_PROTOCOL, "version": __version__,
    ...                       "build": _source_digest()}
    True
    """
    return _code()


def _code() -> dict[str, Any]:
    """The code this process runs, as :func:`worker_protocol` says it: what the batch's
    machine expects of every worker."""
    return {"protocol": WORKER_PROTOCOL, "version": __version__, "build": _source_digest()}


@functools.cache
def _source_digest() -> str:
    """The build of quantize this process runs: :func:`_digest_of_sources` of its package
    folder, read on the first call only.

    ``quantize.__version__`` stays the same between releases, so two checkouts or
    wheels of different code said the same version; their sources differ. Read only
    for a run on Dask, never as quantize starts (about 75 files, a few ms).
    """
    return _digest_of_sources(Path(__file__).resolve().parent.parent)


def _digest_of_sources(package: Path) -> str:
    """12 hex digits of a SHA-256 over the ``.py`` files in the folder ``package`` and its
    subfolders: each one's path in it, length and bytes, in the order of their paths
    (compiled files and other files are left out)."""
    import hashlib

    sources = sorted((path.relative_to(package).as_posix(), path)
                     for path in package.rglob("*.py"))
    digest = hashlib.sha256()
    for name, path in sources:
        data = path.read_bytes()
        digest.update(f"{name}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()[:12]


def _other_code(code: Any, ours: dict[str, Any]) -> str:
    """How a worker whose :func:`worker_protocol` gave ``code`` is said to run other code
    than the batch's machine, which runs ``ours`` (:func:`_code`), by what differs: both
    versions when they do; under one version, both builds, or an older build that says
    none (protocols 6 and 7 before builds were compared); an older quantize that says no
    version (protocols 2 to 5: its protocol alone); the error of one that cannot say
    (a task's worker without the function); else both as said.

    >>> ours = {"protocol": 7, "version": "0.1.0", "build": "5e6f7a8b9c0d"}
    >>> _other_code({**ours, "version": "0.0.9"}, ours)
    'quantize 0.0.9, where this machine runs quantize 0.1.0'
    >>> _other_code({**ours, "build": "1a2b3c4d5e6f"}, ours)
    "a different build of quantize 0.1.0 (its source files differ from this machine's: \
digest 1a2b3c4d5e6f there, 5e6f7a8b9c0d here)"
    >>> _other_code({"protocol": 6, "version": "0.1.0"}, ours)
    "an older build of quantize 0.1.0, from before builds were compared (it says no digest \
of its source files; this machine's is 5e6f7a8b9c0d; its batch tasks are of protocol 6, \
this machine's of protocol 7)"
    >>> _other_code(5, ours)
    "an older quantize, from before versions were compared (its batch tasks are of \
protocol 5, this machine's of protocol 7)"
    """
    if not isinstance(code, dict):
        return _unversioned(code, ours)
    version, build = code.get("version"), code.get("build")
    if not isinstance(version, str):
        return _as_said(code, ours)
    if version != ours["version"]:
        return f"quantize {version}, where this machine runs quantize {ours['version']}"
    tasks = _tasks_differ(code.get("protocol"), ours["protocol"])
    if "build" not in code:
        return (f"an older build of quantize {version}, from before builds were compared (it "
                f"says no digest of its source files; this machine's is {ours['build']}"
                f"{tasks})")
    if isinstance(build, str) and build != ours["build"]:
        return (f"a different build of quantize {version} (its source files differ from this "
                f"machine's: digest {build} there, {ours['build']} here{tasks})")
    return _as_said(code, ours)


def _unversioned(code: Any, ours: dict[str, Any]) -> str:
    """:func:`_other_code` of a worker that says no version: ``code`` is its protocol
    alone (an int), or the error its task met asking for it (a string)."""
    if isinstance(code, str):
        return f"a quantize that cannot say which it is ({one_line(code)})"
    if isinstance(code, int) and not isinstance(code, bool) and code < ours["protocol"]:
        return (f"an older quantize, from before versions were compared (its batch tasks "
                f"are of protocol {code}, this machine's of protocol {ours['protocol']})")
    return _as_said(code, ours)


def _as_said(code: Any, ours: dict[str, Any]) -> str:
    """:func:`_other_code` of a worker whose ``code`` no quantize has said (a newer one's,
    or altered): both as they are said.

    >>> _as_said(9, {"protocol": 7})
    "other code than this machine's (it says 9, this machine {'protocol': 7})"
    """
    return f"other code than this machine's (it says {code!r}, this machine {ours!r})"


def _tasks_differ(theirs: Any, ours: int) -> str:
    """What :func:`_other_code` adds of a worker whose batch tasks are of protocol
    ``theirs``, where this machine's are of ``ours``: nothing when they are the same."""
    if theirs == ours:
        return ""
    return f"; its batch tasks are of protocol {theirs}, this machine's of protocol {ours}"


def _check_worker_code(client: Any, scheduler: str) -> None:
    """Refuse workers of ``client``'s scheduler that run other code than this machine:
    another version of quantize, another build of it, or other batch tasks (ValueError
    naming the first one and what differs, :func:`_other_code`, or saying that one cannot
    run the check at all: older than the check itself).

    Workers started before quantize was upgraded keep the code they imported: without
    this check, every file failed on them with a TypeError about the task's arguments, or,
    with the same arguments, was recorded as made by this version with these options.
    """
    try:
        seen = client.run(worker_protocol)
    except Exception as exc:  # noqa: BLE001 -- a worker without this function: said
        raise ValueError(f"scheduler={scheduler!r}: a worker cannot run this version of "
                         f"quantize's tasks ({one_line(exc)}); {RESTART}") from None
    ours = _code()
    stale = sorted((worker, code) for worker, code in seen.items() if code != ours)
    if stale:
        (worker, code), others = stale[0], (
            f" (and {len(stale) - 1} more)" if len(stale) > 1 else "")
        raise ValueError(f"scheduler={scheduler!r}: the worker {worker}{others} runs "
                         f"{_other_code(code, ours)}; {RESTART}")


def unseen_by_workers(scheduler: str, paths: Sequence[Path],
                      connect_timeout: float | None = None) -> dict[str, Path]:
    """The workers of ``scheduler`` that do not see one of ``paths`` (absolute paths of
    files that exist here).

    Returns the address of each such worker and the first path it does not see
    (empty when every worker sees them all: shared storage). The workers' code is
    checked first, on the same connection (:func:`_check_worker_code`). A worker
    that joins later is checked by each task :func:`run_dask` gives it.

    Raises
    ------
    MissingDependencyError, ValueError
        As :func:`run_dask`: dask.distributed is missing, or nothing answers in time;
        ValueError also when a worker cannot be asked, or runs another version of
        quantize.
    """
    client, scheduler, _ = _client_at(scheduler, connect_timeout)
    unseen: dict[str, Path] = {}
    with client:
        _check_worker_code(client, scheduler)
        for path in paths:
            try:
                seen = client.run(_exists, str(path))
            except Exception as exc:  # noqa: BLE001 -- a worker lost or refusing: said
                raise ValueError(f"scheduler={scheduler!r}: cannot ask the workers whether "
                                 f"they see {path} ({one_line(exc)})") from None
            for worker, there in sorted(seen.items()):
                if not there:
                    unseen.setdefault(worker, path)
    return unseen


#: Run on the workers by :func:`unseen_by_workers`: a function every worker has, whatever
#: version of quantize it runs.
_exists = os.path.exists


def _task_checking_its_worker() -> Callable[..., Outcome | dict[str, Any] | None]:
    """The function each task of :func:`run_dask` runs: ``task(call, expected, **rest)``
    runs ``_run_on_one_thread(call, **rest)`` as the worker's quantize defines it when
    the worker's :func:`worker_protocol` is ``expected`` (the batch's machine's code), and
    otherwise, without running anything, returns ``{"worker": its address, "code": what
    it said}`` (:func:`_refused` words it).

    The function is made in here so that dask sends its code with each task, where a
    function of the module is sent by name and run as the worker defines it: a worker
    with other code (one that joined after :func:`unseen_by_workers` looked) then failed
    each file with a TypeError about the task's arguments, before any check could run.
    It uses only what every worker has: dask and a module of quantize by name.
    """
    def task(call: Call, expected: dict[str, Any], **rest: Any) -> Any:
        from distributed import get_worker

        try:
            from quantize.batch import executor_dask as worker_side

            code = worker_side.worker_protocol()
        except Exception as exc:  # noqa: BLE001 -- older than the function: said as other code
            code = f"{type(exc).__name__}: {exc}"
        if code != expected:
            return {"worker": str(get_worker().address), "code": code}
        return worker_side._run_on_one_thread(call, **rest)  # noqa: SLF001 -- this module's

    return task


def _refused(said: dict[str, Any], ours: dict[str, Any]) -> Outcome:
    """The failure of a call that its task refused (:func:`_task_checking_its_worker`): the
    worker ``said["worker"]`` runs ``said["code"]``, where the batch's machine runs ``ours``.

    >>> _refused({"worker": "tcp://10.0.0.9:1", "code": 5}, {**_code(), "protocol": 7}).value
    "the Dask worker tcp://10.0.0.9:1 runs an older quantize, from before versions were \
compared (its batch tasks are of protocol 5, this machine's of protocol 7); install on every \
worker the quantize this machine runs, and restart the workers"
    """
    return Outcome.failure(f"the Dask worker {said['worker']} runs "
                           f"{_other_code(said['code'], ours)}; {RESTART}",
                           worker=True)


def _run_on_one_thread(call: Call, stop: str | None = None, must_see: str | None = None,
                       must_see_as: str | None = None,
                       must_write: bool = False) -> Outcome | None:
    """:func:`run_isolated` in a worker, with the package's own threads off; None,
    without running it, once the run's ``stop`` event is set (interrupted); a failure,
    without running it, on a worker unfit for the run (:func:`_unfit_worker`). Run by
    the task of :func:`_task_checking_its_worker`, on a worker that runs this code."""
    if stop is not None and _event(stop).is_set():
        return None
    unfit = _unfit_worker(must_see, must_see_as, must_write)
    if unfit is not None:
        return Outcome.failure(unfit, worker=True)
    set_threads(1)
    return run_isolated(call)


def _unfit_worker(must_see: str | None, must_see_as: str | None = None,
                  must_write: bool = False) -> str | None:
    """Why this worker must not run the run's calls, or None: it does not see the file
    ``must_see`` (checks of :func:`unseen_by_workers`, for a worker that joined after
    them; a look at one file), named as ``must_see_as`` (the path as the user gave it)
    when given; or, with ``must_write``, cannot write into the folder of ``must_see``
    (the output folder: its files would each fail to be written, without naming this
    worker). Its code was checked before (:func:`_task_checking_its_worker`)."""
    if must_see is None:
        return None
    path = Path(must_see if must_see_as is None else must_see_as)
    if not _exists(must_see):
        return (f"the Dask worker {_worker_address()} does not see the batch's folders "
                f"({path.parent} has no {path.name} there); {NOT_SHARED}")
    if must_write and not _writable(os.path.dirname(must_see)):
        return (f"the Dask worker {_worker_address()} cannot write into the output folder "
                f"({path.parent} is not writable there); {NOT_WRITABLE}")
    return None


def _writable(folder: str) -> bool:
    """Whether this process may make and remove files in ``folder``."""
    return os.access(folder, os.W_OK | os.X_OK)


def _worker_address() -> str:
    """The address of the worker running this task."""
    from distributed import get_worker

    return str(get_worker().address)


def _event(name: str, client: Any = None) -> Any:
    """The cluster's :class:`distributed.Event` named ``name`` (the worker's client when
    ``client`` is None)."""
    from distributed import Event

    return Event(name, client=client)


def _connect(client_class: Any, scheduler: str, timeout: float) -> Any:
    """A client of ``scheduler``, or ValueError after ``timeout`` seconds.

    The client is made in a daemon thread: a peer that accepts the connection
    but never answers (not a dask scheduler) would otherwise block forever,
    as the client's own timeout covers only the connection. The address is
    first tried with a plain TCP connection (:func:`_unreachable`): the client
    retries a refused one until its timeout, which made a port nothing listens
    on take the whole ``timeout`` to be said.
    """
    made: list[Any] = []
    failed: list[str] = []

    def connect() -> None:
        start = time.monotonic()
        unreachable = _unreachable(scheduler, timeout)
        if unreachable is not None:
            failed.append(unreachable)
            return
        left = max(timeout - (time.monotonic() - start), 1.0)
        try:
            made.append(client_class(scheduler, timeout=left))
        except MemoryError:  # the first bytes of another protocol's answer, read as a length
            failed.append("it answered, but not as a dask scheduler does")
        except Exception as exc:  # noqa: BLE001 -- reported below as a connection failure
            failed.append(one_line(exc))

    thread = threading.Thread(target=connect, daemon=True, name="quantize-dask-connect")
    thread.start()
    thread.join(timeout + 1.0)
    if made:
        return made[0]
    why = failed[0] if failed else f"no answer within {timeout:g} s"
    raise ValueError(f"scheduler={scheduler!r}: cannot connect ({why}); expected the "
                     "address of a running dask scheduler, e.g. tcp://host:8786")


#: The address schemes whose connections are TCP connections (tls and websockets over TCP).
_OVER_TCP = ("tcp", "tls", "ws", "wss")


def _unreachable(scheduler: str, timeout: float) -> str | None:
    """Why nothing can be reached at the network address ``scheduler``, or None.

    Its host is resolved and a TCP connection opened (and closed again at once,
    which the scheduler logs as a connection closed before its handshake): an
    unknown host, a refused connection (nothing listens on the port) or an
    unreachable network is said as soon as it is known, where the client would
    retry it until its timeout. None when the connection is made, and for an
    address that is not over TCP or has no host and port: the client then says
    what is wrong with it. A port outside 1..65535 is said as such (the resolver
    would take 99999 as 34463, and try that port), and so is one that is no number
    (the client said Python's "invalid literal for int() with base 10").
    """
    import socket

    from distributed.comm import get_address_host_port, parse_address

    try:
        scheme, _ = parse_address(scheduler)
        host, port = get_address_host_port(scheduler)
    except (ValueError, TypeError, KeyError):  # a cluster object is no address to parse
        return _port_not_a_number(scheduler) if isinstance(scheduler, str) else None
    if scheme not in _OVER_TCP:
        return None
    if not 0 < port < 65536:  # getaddrinfo would take it modulo 65536, another port
        return f"port {port} is not a TCP port; expected 1 to 65535"
    try:
        socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        return f"unknown host {host!r}: {exc.strerror}"
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except ConnectionRefusedError:
        return f"nothing listens on port {port} of {host}: connection refused"
    except TimeoutError:
        return f"no answer within {timeout:g} s"
    except OSError as exc:
        return f"{host}:{port}: {exc.strerror or one_line(exc)}"
    return None


def _port_not_a_number(scheduler: str) -> str | None:
    """Why the port of ``scheduler`` is no port, when it is written but is not digits, else None.

    >>> _port_not_a_number("tcp://host:87a6"), _port_not_a_number("tcp://[::1]")
    ("port '87a6' is not a number; expected 1 to 65535", None)
    """
    rest = scheduler.partition("://")[2] or scheduler
    host, colon, port = rest.rpartition(":")
    if not colon or not host or rest.endswith("]") or port.isdigit():  # [::1]: no port
        return None
    return f"port {port!r} is not a number; expected 1 to 65535"


def _killed(exc: BaseException | None) -> bool:
    """Whether ``exc`` is the cluster's KilledWorker: the task's workers kept dying."""
    return type(exc).__name__ == "KilledWorker"


def _lost(exc: BaseException) -> Outcome:
    """The outcome of a task the cluster gave up on.

    Its worker died, or the task itself raised: run_isolated does not, so the
    worker could not run it as this machine sends it (its quantize could not read the
    call, say; one that runs other code refuses it first, :func:`_refused`).
    """
    if _killed(exc):
        return Outcome.failure(_worker_died(exc), worker=True)
    return Outcome.failure(f"a Dask worker could not run quantize's task "
                           f"({type(exc).__name__}: {one_line(exc)}); if it runs another "
                           f"version of quantize, {RESTART}", worker=True)


def _worker_died(exc: BaseException) -> str:
    """:data:`~quantize.batch.calls.WORKER_DIED`, naming the memory limit of the last worker
    that died running the task, when the cluster's KilledWorker ``exc`` tells it (a Dask
    worker over its limit is restarted by its nanny, as one killed is).

    >>> from types import SimpleNamespace
    >>> _worker_died(SimpleNamespace(last_worker=SimpleNamespace(memory_limit=350_000_000)))
    'the worker process died while processing this file (killed or out of memory: worker \
memory limit 350 MB)'
    >>> _worker_died(ValueError()) == WORKER_DIED
    True
    """
    limit = getattr(getattr(exc, "last_worker", None), "memory_limit", None)
    if isinstance(limit, bool) or not isinstance(limit, int) or limit <= 0:  # 0: none
        return WORKER_DIED
    return f"{WORKER_DIED[:-1]}: worker memory limit {limit / 1e6:,.0f} MB)"


def require_distributed(scheduler: Any) -> None:
    """Raise :class:`MissingDependencyError` unless dask.distributed can be imported: the
    message names ``scheduler``, the address (or cluster) a run was given, as
    ``scheduler=...`` (the command line writes it as its option, ``--scheduler``)."""
    _import_distributed(scheduler)


def _import_distributed(scheduler: Any) -> tuple[Any, Any]:
    try:
        from dask.distributed import Client, as_completed
    except ImportError:
        raise MissingDependencyError(
            f"scheduler={scheduler!r} needs dask.distributed, which is not installed; install "
            "it into the same environment as quantize with: "
            "pip install 'dask[distributed]>=2024.1'"
        ) from None
    return Client, as_completed
