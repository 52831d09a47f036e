"""quantize._threads: tasks in order, in the caller when alone, a fresh pool after fork."""

from __future__ import annotations

import concurrent.futures
import contextvars
import multiprocessing
import re
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

import quantize
from quantize import _threads


@pytest.mark.parametrize("n, parts", [(0, 1), (1, 2), (7, 3), (10, 2)])
def test_split_covers_the_range_in_order(n, parts):
    slices = _threads.split(n, parts)
    assert len(slices) == parts
    assert [i for s in slices for i in range(s.start, s.stop)] == list(range(n))
    assert max(s.stop - s.start for s in slices) - min(s.stop - s.start for s in slices) <= 1


def test_run_keeps_the_order_of_the_tasks(monkeypatch):
    monkeypatch.setattr(_threads, "_count", 2)
    assert _threads.run([lambda i=i: i * i for i in range(5)]) == [0, 1, 4, 9, 16]


def test_one_thread_runs_every_task_in_the_caller(monkeypatch):
    monkeypatch.setattr(_threads, "_count", 1)
    here = threading.get_ident()
    assert _threads.run([threading.get_ident, threading.get_ident]) == [here, here]


def test_two_first_calls_at_once_start_one_pool(monkeypatch):
    # Two threads' first calls could both see no pool and start one each; the
    # pool of the first was then lost with its threads, never shut down.
    started = []

    class SlowPool(ThreadPoolExecutor):
        def __init__(self, *args, **kwargs):
            time.sleep(0.1)  # widen the window between the check and the assignment
            super().__init__(*args, **kwargs)
            started.append(self)

    monkeypatch.setattr(concurrent.futures, "ThreadPoolExecutor", SlowPool)
    monkeypatch.setattr(_threads, "_pool", None)
    monkeypatch.setattr(_threads, "_count", 2)
    go = threading.Barrier(2, timeout=10)
    results = []

    def call() -> None:
        go.wait()
        results.append(_threads.run([lambda: 1, lambda: 2]))

    callers = [threading.Thread(target=call) for _ in range(2)]
    for t in callers:
        t.start()
    for t in callers:
        t.join()
    for pool in started:
        pool.shutdown()
    assert results == [[1, 2], [1, 2]]
    assert len(started) == 1


def _run_two_at_once() -> list[int]:
    """Run two tasks that each wait for the other: the pool then has two threads."""
    both = threading.Barrier(2, timeout=10)

    def meet() -> int:
        both.wait()
        return threading.get_ident()

    return _threads.run([meet, meet])


def test_two_threads_run_two_tasks_at_once_the_first_in_the_caller(monkeypatch):
    monkeypatch.setattr(_threads, "_count", 2)
    first, second = _run_two_at_once()
    assert first == threading.get_ident() != second


#: A context variable, set by a caller of run in test_a_task_in_the_pool_sees_the_callers_context.
_SETTING: contextvars.ContextVar[str] = contextvars.ContextVar("setting", default="unset")


def test_a_task_in_the_pool_sees_the_callers_context(monkeypatch):
    # A batch records a file's warnings through a context variable: a warning raised in a
    # pool task went to the pool thread's own (empty) context, not to the file's record.
    monkeypatch.setattr(_threads, "_count", 2)
    both = threading.Barrier(2, timeout=10)

    def meet() -> tuple[int, str]:
        both.wait()  # each waits for the other: the second runs in the pool
        seen = _SETTING.get()
        _SETTING.set("changed by a task")
        return threading.get_ident(), seen

    token = _SETTING.set("the caller's")
    try:
        (first, first_seen), (second, second_seen) = _threads.run([meet, meet])
        assert first == threading.get_ident() != second
        assert first_seen == second_seen == "the caller's"
        assert _SETTING.get() == "changed by a task"  # by the caller's own task only
    finally:
        _SETTING.reset(token)


def test_a_failing_first_task_raises_after_the_others_finished(monkeypatch):
    monkeypatch.setattr(_threads, "_count", 2)
    finished = threading.Event()

    def fail() -> None:
        raise ValueError("first")

    def slow() -> None:
        time.sleep(0.05)
        finished.set()

    with pytest.raises(ValueError, match="first"):
        _threads.run([fail, slow])
    assert finished.is_set()


def test_a_task_no_pool_thread_has_begun_is_run_by_the_caller(monkeypatch):
    # With the pool's one thread held by another task, the caller used to wait, idle, for
    # its second task to get a thread (here until the hold is released, 2 s later).
    pool = ThreadPoolExecutor(max_workers=1, initializer=_threads._mark_pool_thread)
    monkeypatch.setattr(_threads, "_pool", pool)
    monkeypatch.setattr(_threads, "_count", 2)
    release = threading.Event()
    held = pool.submit(release.wait, 10)
    timer = threading.Timer(2.0, release.set)
    timer.start()
    try:
        assert _threads.run([threading.get_ident, threading.get_ident]) == [
            threading.get_ident()] * 2
        assert not held.done()
    finally:
        release.set()
        timer.cancel()
        pool.shutdown()


@pytest.mark.parametrize(("n", "error", "message"), [
    (0, ValueError, "n=0 should be >= 1"),
    (-1, ValueError, "n=-1 should be >= 1"),
    ("2", TypeError, "n='2' should be an integer, got str"),
    (2.0, TypeError, "n=2.0 should be an integer, got float"),
    (True, TypeError, "n=True should be an integer, got bool"),
])
def test_set_threads_refuses_what_is_no_count_of_threads(monkeypatch, n, error, message):
    """A service's misread setting is refused, naming it: the count was floored at 1
    (0 and -1 ran every task in the caller) and "2" taken as 2."""
    monkeypatch.setattr(_threads, "_count", 2)
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        quantize.set_threads(n)
    assert _threads.count() == 2


def test_set_threads_sets_the_count_and_the_size_of_a_pool_already_started(monkeypatch):
    monkeypatch.setattr(_threads, "_count", _threads.count())  # restored afterwards
    quantize.set_threads(2)
    _run_two_at_once()  # the pool is started for two threads
    quantize.set_threads(4)
    assert _threads.count() == 4
    four = threading.Barrier(4, timeout=10)  # the caller and three of the pool's threads

    def meet() -> int:
        four.wait()
        return threading.get_ident()

    assert len(set(_threads.run([meet] * 4))) == 4
    quantize.set_threads(1)
    assert _threads.run([threading.get_ident] * 2) == [threading.get_ident()] * 2


def _squares_in_threads(_):
    _threads.set_threads(2)
    return _threads.run([lambda: 3 * 3, lambda: 4 * 4])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork is used on Linux only")
def test_a_forked_child_starts_its_own_pool(monkeypatch):
    monkeypatch.setattr(_threads, "_count", 2)
    _run_two_at_once()  # the parent's pool now has two busy-then-idle threads
    with multiprocessing.get_context("fork").Pool(1) as pool:
        assert pool.map_async(_squares_in_threads, [0]).get(timeout=30) == [[9, 16]]


def test_a_task_in_the_pool_runs_its_own_tasks_in_its_thread(monkeypatch):
    monkeypatch.setattr(_threads, "_count", 2)
    both = threading.Barrier(2, timeout=10)  # the second runs in the pool, not taken back

    def outer() -> tuple[int, list[int]]:
        both.wait()
        return threading.get_ident(), _threads.run([threading.get_ident, threading.get_ident])

    got: list = []
    caller = threading.Thread(target=lambda: got.extend(_threads.run([outer, outer])),
                              daemon=True)
    caller.start()
    caller.join(timeout=30)
    assert not caller.is_alive(), "the pool's threads waited on the pool itself"
    (in_caller, caller_inner), (in_pool, pool_inner) = got
    assert pool_inner == [in_pool, in_pool]  # a pool thread runs its tasks itself
    assert caller_inner[0] == in_caller != in_pool  # the caller runs the first of its own



def test_beside_gives_the_tasks_value_from_another_thread_in_the_callers_context():
    token = _SETTING.set("the caller's")
    try:
        def task() -> tuple[int, str]:
            seen = _SETTING.get()
            _SETTING.set("changed by the task")
            return threading.get_ident(), seen

        with _threads.beside(task) as running:
            ident, seen = running.result()
        assert ident != threading.get_ident()
        assert seen == "the caller's"
        assert _SETTING.get() == "the caller's"  # the task changed its copy only
    finally:
        _SETTING.reset(token)


def test_beside_here_runs_the_task_in_the_caller_before_returning_in_a_copy_of_its_context():
    token = _SETTING.set("the caller's")
    ran = []
    try:
        def task() -> tuple[int, str]:
            seen = _SETTING.get()
            _SETTING.set("changed by the task")
            ran.append(True)
            return threading.get_ident(), seen

        running = _threads.beside(task, here=True)
        assert ran == [True]  # already done, not waited for
        with running:
            assert running.result() == (threading.get_ident(), "the caller's")
        assert _SETTING.get() == "the caller's"
    finally:
        _SETTING.reset(token)


@pytest.mark.parametrize("here", [False, True])
def test_beside_raises_the_tasks_exception_at_result_wherever_it_ran(here):
    def fail() -> None:
        raise ValueError("measured nothing")

    running = _threads.beside(fail, here=here)  # not raised here
    with pytest.raises(ValueError, match="^measured nothing$"):
        running.result()


def test_beside_raises_the_tasks_exception_in_the_caller():
    def fail() -> None:
        raise ValueError("measured nothing")

    running = _threads.beside(fail)
    with pytest.raises(ValueError, match="^measured nothing$"):
        running.result()


def test_a_with_block_on_beside_waits_for_the_task_when_the_block_fails():
    # As a pool's with block did: the caller's error comes once the task has ended.
    finished = threading.Event()

    def slow() -> None:
        time.sleep(0.05)
        finished.set()

    with pytest.raises(OSError, match="^disk full$"):
        with _threads.beside(slow):
            raise OSError("disk full")
    assert finished.is_set()
    assert not any(thread.name == "quantize-beside" for thread in threading.enumerate())


_POOL_PROBE = """\
import sys
from quantize import _threads
_threads.set_threads(2)
loaded = ["concurrent.futures" in sys.modules]
with _threads.beside(lambda: 1) as running:
    running.result()
loaded.append("concurrent.futures" in sys.modules)
_threads.run([lambda: 1, lambda: 2])
loaded.append("concurrent.futures" in sys.modules)
print(*loaded)
"""


def test_concurrent_futures_is_loaded_when_the_pool_first_starts():
    # About 1.5 ms of imports that a small image's command, which never starts the pool,
    # no longer pays.
    done = subprocess.run([sys.executable, "-c", _POOL_PROBE], capture_output=True, text=True,
                          check=True, timeout=60)
    assert done.stdout.split() == ["False", "False", "True"]


_IDLE_PROBE = """\
import threading
from quantize import _threads
_threads.set_threads(2)
both = threading.Barrier(2, timeout=10)
_threads.run([both.wait, both.wait])  # the pool now has a thread, idle
seen = [_threads.only_pool_besides(), len(threading.enumerate())]
release = threading.Event()
other = threading.Thread(target=release.wait)
other.start()
seen.append(_threads.only_pool_besides())
release.set()
other.join()
seen.append(_threads.only_pool_besides())
print(*seen)
"""


def test_only_idle_pool_threads_besides_the_caller():
    # In a fresh process: other tests may leave threads of their own running here.
    done = subprocess.run([sys.executable, "-c", _IDLE_PROBE], capture_output=True, text=True,
                          check=True, timeout=60)
    assert done.stdout.split() == ["True", "2", "False", "True"]
