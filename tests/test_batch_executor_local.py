"""quantize.batch.executor_local: one thread per worker, dead workers, killed runs.

The kill tests stop a process at a moment they control: the ``slow*`` files of
:func:`tests.batch_support.gated_job` wait half-written until the test releases
them, so the kill always lands mid-write, whatever the machine's speed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

from quantize import batch
from quantize.batch import executor_local
from quantize.batch.calls import Call
from quantize.io import load_image

from .batch_support import THREAD_ENV, crop, interrupted_in_settle, interrupted_run

ROOT = Path(__file__).resolve().parent.parent


def test_workers_run_with_one_thread(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    Image.new("RGB", (4, 4)).save(src / "a.png")
    before = {name: os.environ.get(name) for name in batch.THREAD_VARIABLES}
    plan = batch.plan_batch(src, tmp_path / "out", THREAD_ENV)
    [result] = batch.run_batch(plan, jobs=1)
    assert result.status == "ok", result.reason
    assert set(result.record["env"].values()) == {"1"}
    assert result.record["blas_threads"] == [1]
    assert result.record["threads"] == 1
    assert result.record["pid"] != os.getpid()
    assert {name: os.environ.get(name) for name in batch.THREAD_VARIABLES} == before


def test_environment_kept_puts_back_what_the_block_set_changed_or_removed(monkeypatch):
    monkeypatch.setenv("QUANTIZE_KEPT_CHANGED", "before")
    monkeypatch.setenv("QUANTIZE_KEPT_REMOVED", "there")
    monkeypatch.delenv("QUANTIZE_KEPT_SET", raising=False)
    before = dict(os.environ)
    with pytest.raises(KeyError), batch.environment_kept():
        os.environ["QUANTIZE_KEPT_CHANGED"] = "after"
        del os.environ["QUANTIZE_KEPT_REMOVED"]
        os.environ["QUANTIZE_KEPT_SET"] = "new"
        raise KeyError("the block failed")
    assert dict(os.environ) == before


def test_environment_kept_of_names_leaves_the_others_as_the_block_left_them(monkeypatch):
    monkeypatch.delenv("QUANTIZE_KEPT_SET", raising=False)
    monkeypatch.setenv("QUANTIZE_KEPT_CHANGED", "before")
    with batch.environment_kept(["QUANTIZE_KEPT_SET"]):
        os.environ["QUANTIZE_KEPT_SET"] = "new"
        os.environ["QUANTIZE_KEPT_CHANGED"] = "after"
    assert ("QUANTIZE_KEPT_SET" in os.environ, os.environ["QUANTIZE_KEPT_CHANGED"]) == (
        False, "after")


def test_run_inline_settles_in_order_in_this_process():
    got = []
    batch.run_inline([Call(os.getpid), Call(int, ("x",))],
                     lambda i, outcome: got.append((i, outcome.ok, outcome.value)))
    assert got[0] == (0, True, os.getpid())
    assert got[1][:2] == (1, False)


def _interrupted(times: int, value: str) -> str:
    """Send this process SIGINT ``times`` times (as Ctrl-C does), then return ``value``."""
    for _ in range(times):
        os.kill(os.getpid(), signal.SIGINT)
    return value


@pytest.mark.skipif(os.name != "posix", reason="signals sent to oneself")
@pytest.mark.parametrize(("on_interrupt", "settled", "told"), [
    pytest.param(None, [], [], id="stopped-at-once"),
    pytest.param(True, [(0, "finished")], [1], id="let-finish")])
def test_run_inline_with_on_interrupt_lets_the_call_in_progress_finish(
        python_sigint, on_interrupt, settled, told):
    """Ctrl-C stopped the call in progress at once (``reduce -j 1`` of several files), where
    a pool lets the calls in flight finish: with ``on_interrupt`` it finishes, is settled,
    and the next call is not started."""
    got, notes = [], []
    with pytest.raises(KeyboardInterrupt):
        batch.run_inline([Call(_interrupted, (1, "finished")), Call(abs, (-3,))],
                         lambda i, o: got.append((i, o.value)),
                         on_interrupt=notes.append if on_interrupt else None)
    assert (got, notes) == (settled, told)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


@pytest.mark.skipif(os.name != "posix", reason="signals sent to oneself")
def test_run_inline_abandons_the_call_in_progress_at_a_second_interrupt(python_sigint):
    got, notes = [], []
    with pytest.raises(KeyboardInterrupt):
        batch.run_inline([Call(_interrupted, (2, "finished")), Call(abs, (-3,))],
                         lambda i, o: got.append((i, o.value)), on_interrupt=notes.append)
    assert (got, notes) == ([], [1])


@pytest.mark.skipif(os.name != "posix", reason="signals sent to oneself")
def test_run_inline_does_not_say_an_interrupt_that_comes_while_a_call_is_settled(
        python_sigint):
    """Once the call is done nothing is in progress: the run stops after the settle,
    without the note that a file is let finish."""
    got, notes = [], []
    with pytest.raises(KeyboardInterrupt):
        batch.run_inline([Call(abs, (-2,)), Call(abs, (-3,))],
                         lambda i, o: (got.append(o.value), _interrupted(1, "")),
                         on_interrupt=notes.append)
    assert (got, notes) == ([2], [])


@pytest.mark.skipif(executor_local.START_METHOD != "fork", reason="a forked worker")
@pytest.mark.parametrize("second", ["SIGINT", "SIGTERM", "SIGHUP"])
def test_a_worker_interrupted_before_its_initializer_still_runs_its_calls(
        monkeypatch, python_sigint, capfd, second):
    """Ctrl-C, then Ctrl-C, SIGTERM or SIGHUP, reaching a worker just forked, before its
    initializer put its own handlers in place: it had the parent's (a block holding
    interrupts back), and raised KeyboardInterrupt, with a traceback, its calls failing as
    of a dead worker (here the copy exits 99 where it would have run the parent's code on;
    SIGHUP, not taken before, ended it). The signals
    now wait for the worker's handlers, which leave them to the parent."""
    from quantize._sigterm import sigterm_as_interrupt

    real = os.fork

    def fork_then_interrupted():
        pid = real()
        if pid == 0:  # the worker, as it starts
            try:
                os.kill(os.getpid(), signal.SIGINT)
                os.kill(os.getpid(), getattr(signal, second))
            except KeyboardInterrupt:
                os._exit(99)
        return pid

    monkeypatch.setattr(os, "fork", fork_then_interrupted)
    got = []
    with sigterm_as_interrupt():
        batch.run_local([Call(abs, (-2,)), Call(abs, (-3,))],
                        lambda i, o: got.append((i, o.ok, o.value)), jobs=1)
    assert got == [(0, True, 2), (1, True, 3)]
    assert signal.pthread_sigmask(signal.SIG_BLOCK, []) & {signal.SIGINT, signal.SIGTERM,
                                                            signal.SIGHUP} == set()
    assert "Traceback" not in capfd.readouterr().err


def test_run_local_settles_every_call_once():
    got = {}
    batch.run_local([Call(pow, (i, 2)) for i in range(7)],
                    lambda i, outcome: got.setdefault(i, outcome.value), jobs=2)
    assert got == {i: i * i for i in range(7)}



def _stale_then_leave(folder: str, name: str) -> list[str]:
    """In a pool's worker: the stale temporary files of ``name`` in ``folder``, then one
    more left there (no process id: an earlier version's, stale whoever asks)."""
    from quantize.io import stale_parts

    found = [path.name for path in stale_parts(folder, name)]
    Path(folder, f".{name}.k2_9x0ab.part").write_bytes(b"half")
    return found


def test_a_pool_worker_lists_each_output_folder_once(tmp_path):
    """A batch's worker listed the output folder for temporary files three times a job,
    13 ms each in a folder of 20,000 files. Its listing now holds for its pool: a worker
    that dies mid-write breaks the pool, whose next workers list again."""
    from quantize.io import stale_parts

    got = {}
    batch.run_local([Call(_stale_then_leave, (str(tmp_path), "a.png"))] * 2,
                    lambda i, outcome: got.setdefault(i, outcome.value), jobs=1)
    assert got == {0: [], 1: []}  # the second job looked in the first one's listing
    assert [path.name for path in stale_parts(tmp_path, "a.png")] == [".a.png.k2_9x0ab.part"]


def test_an_error_while_settling_leaves_no_pool_thread_for_python_to_join_at_exit():
    """The pool was shut down without waiting, so Python's exit hook joined its manager
    thread, and now and then wrote to the pipe that thread had just closed: after the
    batch's one-line error (a full disk) came 'Exception ignored in: <module 'threading'>'
    and a traceback ending 'OSError: [Errno 9] Bad file descriptor'."""
    import threading

    def settle(index, outcome):
        raise RuntimeError(f"settling call {index} failed")

    with pytest.raises(RuntimeError, match="settling call 0 failed"):
        batch.run_local([Call(time.sleep, (0.0,)), Call(time.sleep, (0.5,))], settle, jobs=2)
    assert [t for t in threading.enumerate() if "ExecutorManager" in type(t).__name__] == []


def _recorded_pools(monkeypatch) -> list[int]:
    """The ``max_workers`` of each process pool started from now on, in order."""
    import concurrent.futures

    started: list[int] = []

    class Recording(concurrent.futures.ProcessPoolExecutor):
        def __init__(self, max_workers, **kwargs):
            started.append(max_workers)
            super().__init__(max_workers, **kwargs)

    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", Recording)
    return started


def test_run_local_starts_no_more_workers_than_calls(monkeypatch):
    started = _recorded_pools(monkeypatch)
    got = {}
    batch.run_local([Call(pow, (i, 2)) for i in range(2)],
                    lambda i, outcome: got.setdefault(i, outcome.value), jobs=8)
    assert got == {0: 0, 1: 1} and started == [2]


def test_run_local_starts_at_most_jobs_per_cpu_workers(monkeypatch):
    """jobs=100000 started a worker per call (10 here): one process per file of a batch."""
    from quantize.batch import executor_local

    started = _recorded_pools(monkeypatch)
    monkeypatch.setattr(executor_local, "available_cpus", lambda: 1)
    got = {}
    batch.run_local([Call(pow, (i, 2)) for i in range(10)],
                    lambda i, outcome: got.setdefault(i, outcome.value), jobs=100_000)
    assert got == {i: i * i for i in range(10)} and started == [executor_local.JOBS_PER_CPU]


@pytest.mark.parametrize("jobs, n_calls, cpus, n", [
    (None, 10, 3, 3), (None, 2, 3, 2), (5, 10, 2, 5), (100_000, 100, 2, 8),
    (100_000, 0, 2, 1), (True, 3, 2, "jobs=True should be an integer"),
    (0, 3, 2, "jobs=0 should be >= 1"), (-1, 3, 2, "jobs=-1 should be >= 1"),
])
def test_worker_count(monkeypatch, jobs, n_calls, cpus, n):
    from quantize.batch import executor_local

    monkeypatch.setattr(executor_local, "available_cpus", lambda: cpus)
    if isinstance(n, int):
        assert executor_local.worker_count(jobs, n_calls) == n
    else:
        with pytest.raises((ValueError, TypeError), match=n):
            executor_local.worker_count(jobs, n_calls)


@pytest.mark.parametrize("jobs, n_calls, cpus, used", [
    (100_000, 100, 2, 8), (9, 9, 2, 8), (9, 8, 2, None), (8, 100, 2, None),
    (100_000, 3, 2, None), (None, 100, 2, None), (2, 100, 1, None), (5, 6, 1, 4),
])
def test_capped_count_is_the_worker_count_when_the_cap_lowers_it(monkeypatch, jobs, n_calls,
                                                                  cpus, used):
    from quantize.batch import executor_local

    monkeypatch.setattr(executor_local, "available_cpus", lambda: cpus)
    assert executor_local.capped_count(jobs, n_calls) == used
    if used is not None:
        assert executor_local.worker_count(jobs, n_calls) == used < min(jobs, n_calls)


def test_an_interrupt_settles_the_calls_in_flight_and_drops_the_rest(tmp_path):
    told = []
    settled, finished = interrupted_run(
        lambda calls, settle: batch.run_local(calls, settle, jobs=2, on_interrupt=told.append),
        tmp_path, (0.0, 1.0, 0.0, 0.0))
    assert settled == ["call0", "call1"] and finished == ["call0", "call1"]
    assert told == [1]


def test_an_interrupt_during_a_settle_lets_it_finish():
    """Ctrl-C landing while a finished file is being recorded stops the run after it."""
    assert interrupted_in_settle(lambda calls, settle: batch.run_local(calls, settle,
                                                                       jobs=1)) == [1]


def test_an_interrupt_while_a_call_is_submitted_waits_for_that_call(monkeypatch,
                                                                    python_sigint):
    """Ctrl-C (or the command's SIGTERM) landing in the pool's submit, once the call was
    queued but before the run knew of it: the call ran, its output unreported, while the
    run went on as if nothing were running."""
    from concurrent.futures import ProcessPoolExecutor

    real = ProcessPoolExecutor.submit

    def submit_interrupted(pool, *args, **kwargs):
        future = real(pool, *args, **kwargs)
        signal.raise_signal(signal.SIGINT)
        return future

    monkeypatch.setattr(ProcessPoolExecutor, "submit", submit_interrupted)
    settled, told = [], []
    with pytest.raises(KeyboardInterrupt):
        batch.run_local([Call(abs, (-2,)), Call(abs, (-3,))],
                        lambda i, o: settled.append((i, o.value)), jobs=1,
                        on_interrupt=told.append)
    assert (settled, told) == ([(0, 2)], [1])


def test_a_second_interrupt_abandons_the_calls_in_flight(tmp_path):
    import threading

    def interrupt_again(n_running):  # while the pool waits for the 3-second call
        threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT)).start()

    # SIGINT must raise KeyboardInterrupt here, also where pytest started with it ignored.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    start = time.monotonic()
    try:
        settled, finished = interrupted_run(
            lambda calls, settle: batch.run_local(calls, settle, jobs=2,
                                                  on_interrupt=interrupt_again),
            tmp_path, (0.0, 3.0))
    finally:
        signal.signal(signal.SIGINT, previous)
    assert settled == ["call0"] and finished == ["call0"]  # the worker was stopped
    assert time.monotonic() - start < 3.0 + 3.5            # interrupted_run waits 3.5 s


def test_a_second_interrupt_names_the_calls_it_abandons(tmp_path, python_sigint):
    """The reports could not tell a file abandoned mid-way from one never started: the
    second interrupt now names the calls still running, which are never settled."""
    import threading

    from quantize.batch.calls import CallsAbandoned

    from .batch_support import touch_after

    def interrupt_again(n_running):  # while the pool waits for the 3-second call
        threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT)).start()

    def settle(index, outcome):
        settled.append(index)
        raise KeyboardInterrupt

    settled = []
    calls = [Call(touch_after, (s, str(tmp_path / f"call{i}")))
             for i, s in enumerate((0.0, 3.0, 0.0))]
    with pytest.raises(CallsAbandoned) as caught:
        batch.run_local(calls, settle, jobs=2, on_interrupt=interrupt_again)
    assert (settled, caught.value.indices) == ([0], (1,))


# --------------------------------------------------------------------------
# Killing a worker or the whole batch mid-write
# --------------------------------------------------------------------------

_DRIVER = """
import signal
import sys
from quantize import batch

# Ctrl-C raises KeyboardInterrupt even when this test runs where SIGINT was
# ignored on start (a background job of a non-interactive shell).
signal.signal(signal.SIGINT, signal.default_int_handler)
from tests.batch_support import GATED

plan = batch.plan_batch(sys.argv[1], sys.argv[2], GATED, options={"control": sys.argv[3]})
results = batch.run_batch(plan, jobs=2, on_result=lambda r: print(r.status, r.input.name,
                                                                  flush=True))
sys.exit(1 if any(r.status == "failed" for r in results) else 0)
"""


def _gated_tree(tmp_path: Path) -> tuple[Path, Path, Path]:
    """Two fast files (taken first, in name order) and two that wait half-written."""
    src, out, control = tmp_path / "in", tmp_path / "out", tmp_path / "control"
    for folder in (src, control):
        folder.mkdir()
    for i, name in enumerate(["a0.png", "a1.png", "slow0.png", "slow1.png"]):
        crop("coffee.jpg", (40 * i, 0, 40 * i + 200, 200)).save(src / name)
    return src, out, control


def _start(src: Path, out: Path, control: Path, **popen) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-c", _DRIVER, str(src), str(out), str(control)],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, **popen)


def _wait_until_both_slow_files_are_half_written(control: Path, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 120
    while len(list(control.glob("started-*"))) < 2:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the slow jobs never started"
        time.sleep(0.05)


def _pool_workers(proc: subprocess.Popen, psutil) -> list:
    """The two pool workers of the batch process (not multiprocessing's resource tracker)."""
    workers = [p for p in psutil.Process(proc.pid).children(recursive=True)
               if "resource_tracker" not in " ".join(p.cmdline())]
    assert len(workers) == 2
    return workers


def test_killing_a_worker_mid_write_reruns_its_file_and_leaves_no_partial_file(tmp_path):
    psutil = pytest.importorskip("psutil")
    src, out, control = _gated_tree(tmp_path)
    proc = _start(src, out, control)
    _wait_until_both_slow_files_are_half_written(control, proc)
    assert len(list(out.glob(".slow*.part"))) == 2
    _pool_workers(proc, psutil)[0].kill()
    (control / "release").touch()
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 0, stderr
    assert sorted(stdout.split()) == sorted(
        ["ok", "a0.png", "ok", "a1.png", "ok", "slow0.png", "ok", "slow1.png"])
    assert not list(out.glob(".*.part"))
    for path in src.iterdir():
        assert load_image(out / path.name).shape == load_image(path).shape


def test_killing_the_batch_mid_write_stops_its_workers_and_a_rerun_finishes(tmp_path):
    psutil = pytest.importorskip("psutil")
    src, out, control = _gated_tree(tmp_path)
    proc = _start(src, out, control)
    _wait_until_both_slow_files_are_half_written(control, proc)
    workers = _pool_workers(proc, psutil)
    proc.kill()
    proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    _, alive = psutil.wait_procs(workers, timeout=30)
    assert not alive, "pool workers should exit with the batch process"
    assert sorted(p.name for p in out.glob("*.png")) == ["a0.png", "a1.png"]
    assert len(list(out.glob(".slow*.part"))) == 2        # the killed writes

    (control / "release").touch()
    rerun = _start(src, out, control)
    stdout, stderr = rerun.communicate(timeout=120)
    assert rerun.returncode == 0, stderr
    assert sorted(stdout.splitlines()) == ["ok slow0.png", "ok slow1.png",
                                           "skipped a0.png", "skipped a1.png"]
    assert not list(out.glob(".*.part"))
    for path in src.iterdir():
        assert load_image(out / path.name).shape == load_image(path).shape


def test_ctrl_c_lets_the_files_in_progress_finish_and_records_them(tmp_path):
    src, out, control = _gated_tree(tmp_path)
    proc = _start(src, out, control, start_new_session=True)
    _wait_until_both_slow_files_are_half_written(control, proc)
    os.killpg(proc.pid, signal.SIGINT)  # as Ctrl-C in a terminal: every process of the group
    time.sleep(0.5)
    assert proc.poll() is None, "the batch should wait for the files in progress"
    (control / "release").touch()
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode != 0 and "KeyboardInterrupt" in stderr
    assert sorted(stdout.splitlines()) == ["ok a0.png", "ok a1.png", "ok slow0.png",
                                           "ok slow1.png"]
    assert sorted(batch.read_manifest(out)) == ["a0.png", "a1.png", "slow0.png", "slow1.png"]
    assert not list(out.glob(".*.part"))


# --------------------------------------------------------------------------
# The folder a job makes as it starts, when the batch is killed or abandons it
# --------------------------------------------------------------------------

_FOLDER_DRIVER = """
import signal
import sys
from quantize import batch

signal.signal(signal.SIGINT, signal.default_int_handler)
from tests.batch_support import GATED_FOLDER

plan = batch.plan_batch(sys.argv[1], sys.argv[2], GATED_FOLDER, recursive=True,
                        options={"control": sys.argv[3]})
batch.run_batch(plan, jobs=2, on_result=lambda r: print(r.status, r.input.name, flush=True),
                on_interrupt=lambda n: print("interrupted with", n, "running", flush=True))
"""


def _start_folder_job(tmp_path: Path, **popen) -> tuple[Path, Path, Path, subprocess.Popen]:
    """A batch of folder jobs on in/a0.png (done at once) and in/sub/slow0.png, which waits
    half-written in out/sub/slow0/ until the test releases it; started and waiting."""
    src, out, control = tmp_path / "in", tmp_path / "out", tmp_path / "control"
    for folder in (src / "sub", control):
        folder.mkdir(parents=True)
    crop("coffee.jpg", (0, 0, 200, 200)).save(src / "a0.png")
    crop("coffee.jpg", (40, 0, 240, 200)).save(src / "sub" / "slow0.png")
    proc = subprocess.Popen([sys.executable, "-c", _FOLDER_DRIVER, str(src), str(out),
                             str(control)], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen)
    deadline = time.monotonic() + 120
    while not (control / "started-slow0.png").exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the slow job never started"
        time.sleep(0.05)
    assert proc.stdout.readline() == "ok a0.png\n"
    return src, out, control, proc


def _wait_for_dead_writer(folder: Path) -> None:
    """Wait until the worker writing into ``folder`` has died with the batch: its temporary
    file is stale."""
    from quantize.io import stale_parts

    deadline = time.monotonic() + 60
    while not stale_parts(folder):
        assert time.monotonic() < deadline, "the worker outlived the batch"
        time.sleep(0.05)


def test_a_rerun_removes_the_folder_a_killed_batchs_job_left_unfinished(tmp_path):
    from .batch_support import GATED_FOLDER

    src, out, control, proc = _start_folder_job(tmp_path)
    proc.kill()  # kill -9: nothing of the batch runs after this
    proc.communicate(timeout=60)
    _wait_for_dead_writer(out / "sub" / "slow0")
    assert [p.name for p in (out / "sub").iterdir()] == ["slow0"]  # what a kill leaves
    (src / "sub" / "slow0.png").write_text("not an image now\n")  # failed, not a job
    plan = batch.plan_batch(src, out, GATED_FOLDER, recursive=True,
                            options={"control": str(control)})
    results = batch.run_batch(plan, jobs=1)
    assert [(r.input.name, r.status) for r in results] == [("a0.png", "skipped"),
                                                           ("slow0.png", "failed")]
    assert sorted(p.name for p in out.iterdir()) == [".quantize-batch.jsonl", "a0"]


def test_a_second_ctrl_c_leaves_no_folder_of_the_job_it_abandons(tmp_path):
    _, out, _, proc = _start_folder_job(tmp_path, start_new_session=True)
    os.killpg(proc.pid, signal.SIGINT)  # as Ctrl-C in a terminal: every process of the group
    # Only once the first is taken (two signals that arrive before the batch runs its
    # handler are one), and the batch is then given time to start waiting.
    assert proc.stdout.readline() == "interrupted with 1 running\n"
    time.sleep(0.5)
    assert proc.poll() is None, "the batch should wait for the files in progress"
    os.killpg(proc.pid, signal.SIGINT)  # again: the job in progress is abandoned, and named
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode != 0
    assert stderr.splitlines()[-1] == "quantize.batch.run.FilesAbandoned"
    assert stdout == ""  # the lines before were read already
    assert sorted(p.name for p in out.iterdir()) == [".quantize-batch.jsonl", "a0"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs fork and setrlimit")
@pytest.mark.parametrize("command", [["reduce", "--ext", ".q.png"], ["batch", "-o", "out"]])
def test_too_few_file_descriptors_is_one_line_not_a_hang(tmp_path, command):
    """With 16 file descriptors, the pool could not start its workers: 'quantize reduce'
    printed a traceback from os.pipe, then waited at exit for a worker started before,
    which waited for work; 'quantize batch' said only 'Too many open files'."""
    import resource

    src = tmp_path / "in"
    src.mkdir()
    for i in range(6):
        Image.new("RGB", (4, 4), (40 * i, 0, 0)).save(src / f"{i}.png")
    inputs = [str(p) for p in sorted(src.iterdir())] if command[0] == "reduce" else ["in"]

    def few_descriptors() -> None:
        hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        resource.setrlimit(resource.RLIMIT_NOFILE, (16, hard))

    done = subprocess.run([sys.executable, "-m", "quantize", command[0], *inputs, *command[1:],
                           "-k", "2", "-j", "4"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=60, preexec_fn=few_descriptors)
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == ("quantize: error: too few file descriptors to start 4 worker "
                           "processes (the limit is 16); raise the limit (ulimit -n), or run "
                           "fewer jobs at once\n")
    assert not list(src.glob("*.q.png"))
