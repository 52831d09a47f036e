"""Shared fixtures."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from quantize.batch import THREAD_VARIABLES, FileResult, environment_kept
from quantize.reduce import reduce_file

from .batch_support import local_cluster
from .collect_support import write_package_bytecode, write_rewritten_tests
from .reduce_support import COLOURS
from .report_support import BROKEN_REASON, close_browser, quadrants


def pytest_configure(config):
    write_rewritten_tests(config)  # once, for the processes of an -n N run to read back
    write_package_bytecode(config)  # once, for every Python a test starts


def pytest_sessionfinish(session):
    close_browser()  # the headless Chromium the report tests opened their pages in, if any


@pytest.fixture
def python_sigint():
    """SIGINT left to Python's own handler (KeyboardInterrupt) for the test, as in a terminal:
    a test run started in the background by a non-interactive shell inherits an ignored
    SIGINT, which quantize, rightly, leaves alone, so a Ctrl-C the test sends itself would
    be ignored too."""
    import signal

    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


@pytest.fixture
def spy(monkeypatch):
    """``spy(owner, name, record)``: for the test, ``owner.name`` appends
    ``record(*args, **kwargs)`` of every call to the list returned, then calls the real
    one (what a test counts: the rows a kernel was given, the trees built, ...)."""

    def install(owner, name, record):
        seen, real = [], getattr(owner, name)

        def wrapper(*args, **kwargs):
            seen.append(record(*args, **kwargs))
            return real(*args, **kwargs)

        monkeypatch.setattr(owner, name, wrapper)
        return seen

    return install


@pytest.fixture
def rng() -> np.random.Generator:
    """A seeded Generator, fresh for every test, so tests are reproducible and independent."""
    return np.random.default_rng(20240611)


# --------------------------------------------------------------------------
# Batch on Dask: test_batch_executor_dask.py and test_cli_batch.py
# --------------------------------------------------------------------------


def pytest_collection_modifyitems(items):
    """Every test of the session's Dask cluster (:func:`dask_cluster`) in one group, which
    an ``-n N`` run gives one process under ``--dist loadgroup`` (``make test``): each of
    its processes started a cluster of its own, about 14 s of CPU each, and kept it busy
    to the end."""
    for item in items:
        if "dask_cluster" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group("dask"))


@pytest.fixture(scope="session")
def dask_cluster():
    """A LocalCluster of 2 single-thread worker processes, started once: tests take it as
    :func:`dask_scheduler`.

    The workers' BLAS and OpenMP pools are pinned to one thread explicitly, as
    the local pool's are (float sums, hence outputs, may depend on the thread
    count): test_dask_workers_run_with_one_thread checks that this holds, and
    test_cli_on_a_local_dask_cluster_matches_the_local_pool_byte_for_byte relies on it.
    A task whose worker dies is not retried (allowed-failures 0), to keep tests short;
    the nanny starts a new worker in its place. The scheduler and the nannies read
    these settings as they start, so they are set only then, not for the tests after;
    so are the variables the nannies set in this process for their workers.

    The cluster lives until the session ends, idle between the tests that use it, and
    Dask's monitors kept it busy: its event loops' 20 ms ticks, each worker's 10 ms
    profiler samples and 0.5 s system monitor, 2.4 s of CPU time every 30 s idle, 0.7 s
    with these three slowed or off. None of them is what a test checks (heartbeats,
    timeouts and the memory monitor are left as they are).
    """
    pytest.importorskip("dask.distributed")
    import dask

    one_thread = dict.fromkeys(THREAD_VARIABLES, "1")
    with dask.config.set({"distributed.scheduler.allowed-failures": 0,
                          "distributed.nanny.pre-spawn-environ": one_thread,
                          "distributed.admin.tick.interval": "500ms",
                          "distributed.admin.system-monitor.interval": "5s",
                          "distributed.worker.profile.enabled": False}
                         ), environment_kept():  # the nannies' variables, set here too
        cluster = local_cluster(n_workers=2, threads_per_worker=1, processes=True)
    with cluster:
        yield cluster


#: The variables a nanny of the session's cluster sets in this process as it starts a worker.
NANNY_VARIABLES = (*THREAD_VARIABLES, "MALLOC_TRIM_THRESHOLD_")


@pytest.fixture
def dask_scheduler(dask_cluster):
    """Address of the session's cluster (:func:`dask_cluster`), with both its workers
    connected as the test starts, and again before the next one.

    A test that kills a worker (a file that kills it) leaves its nanny starting another,
    which takes a second or two: the tests after it found one worker, or none, and said
    so ("no worker is connected"; a run whose files waited for one). Each restart also
    sets the nanny's variables in this process again: they are put back as they were
    before the test once its workers are back.
    """
    with environment_kept(NANNY_VARIABLES):
        dask_cluster.wait_for_workers(2, timeout=60)
        yield dask_cluster.scheduler_address
        dask_cluster.wait_for_workers(2, timeout=60)


# --------------------------------------------------------------------------
# Reduce: test_reduce_file_job.py and test_reduce_shared.py
# --------------------------------------------------------------------------


@pytest.fixture
def photo(tmp_path, rng):
    """A small noisy RGB PNG with six colour bands."""
    bands = np.repeat(COLOURS, 6, axis=0)[:, None, :].repeat(40, axis=1)
    image = np.clip(bands + rng.normal(0, 6, bands.shape), 0, 255).astype(np.uint8)
    path = tmp_path / "photo.png"
    Image.fromarray(image).save(path)
    return path


@pytest.fixture(params=["fifo", "dev-fd"])
def piped_photo(request, photo, tmp_path):
    """``photo``'s bytes offered through a pipe: a FIFO fed by a writer thread, or /dev/fd/N."""
    data = photo.read_bytes()
    if request.param == "dev-fd":
        read_end, write_end = os.pipe()
        os.write(write_end, data)  # a small PNG fits in the pipe's buffer
        os.close(write_end)
        yield Path(f"/dev/fd/{read_end}")
        os.close(read_end)
        return
    fifo = tmp_path / "piped.png"
    os.mkfifo(fifo)

    def write() -> None:
        try:
            with open(fifo, "wb") as stream:
                stream.write(data)
        except BrokenPipeError:
            pass

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    yield fifo
    # Release a writer still waiting for a reader, then let it finish.
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    writer.join(timeout=10)
    os.close(reader)
    assert not writer.is_alive()


# --------------------------------------------------------------------------
# Report: test_report_page.py and test_report_thumbnails.py
# --------------------------------------------------------------------------


@pytest.fixture
def batch(tmp_path: Path) -> tuple[list[FileResult], Path]:
    """Three reduced photos (real reduce_file records) and one unreadable file."""
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    out.mkdir()
    results = []
    for i, name in enumerate(["alpha.png", "bravo.jpg", "charlie.png"]):
        Image.fromarray(np.roll(quadrants(), 5 * i, axis=1)).save(src / name)
        record = reduce_file(src / name, out / f"{Path(name).stem}.png", n_colors=3 + i, seed=0)
        results.append(FileResult(src / name, out / f"{Path(name).stem}.png", "ok", "", record))
    (src / "broken.png").write_text("not an image")
    results.append(FileResult(src / "broken.png", out / "broken.png", "failed", BROKEN_REASON,
                              {"seconds": 0.01}))
    return results, tmp_path


# --------------------------------------------------------------------------
# Segment: test_segment_file.py and test_cli_segment.py
# --------------------------------------------------------------------------


@pytest.fixture
def photo_path(tmp_path, rng):
    """A 60 x 90 PNG: three colour bands with noise and a textured patch."""
    img = np.zeros((60, 90, 3), dtype=np.float64)
    img[:, :30] = (180, 60, 50)
    img[:, 30:60] = (60, 150, 70)
    img[:, 60:] = (70, 80, 190)
    img[20:40, 65:85] += rng.normal(0, 40, (20, 20, 3))
    img += rng.normal(0, 6, img.shape)
    path = tmp_path / "photo.png"
    Image.fromarray(np.clip(np.rint(img), 0, 255).astype(np.uint8)).save(path)
    return path
