"""Helpers for the batch tests: small job functions and a tree of real photos.

The job functions run in spawned worker processes, so they live in an
importable module (``tests.batch_support``), not in a test file.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import os
import signal
import threading
import time
import warnings
from pathlib import Path

from PIL import Image

from quantize import batch
from quantize.io import atomic_write, load_image, save_pil
from quantize.reduce.shared import sample_colors

SAMPLES = Path(__file__).resolve().parent.parent / "samples"

GOOD = {"astronaut.jpg", "chelsea.png", "sub/coffee.jpg", "sub/rocket.png"}
BAD = {"empty.jpg", "notes.jpg", "sub/truncated.png"}


def copy_job(input, output, *, force=False, **options):
    """Read an image and write it back as PNG: the smallest real per-file job."""
    image = load_image(input)
    if "warn" in options:
        warnings.warn(options["warn"], UserWarning, stacklevel=2)
    save_pil(Image.fromarray(image.rgb), output)
    return {"k": 0, "bytes_in": os.path.getsize(input), "bytes_out": os.path.getsize(output),
            "options": sorted(options)}


def killing_job(input, output, *, force=False, **options):
    """Like copy_job, but dies mid-write (SIGKILL) for files named ``*kill*``."""
    if "kill" in Path(input).name:
        def write_then_die(tmp: Path) -> None:
            tmp.write_bytes(b"\x89PNG half a file")
            os.kill(os.getpid(), signal.SIGKILL)

        atomic_write(output, write_then_die)
    return copy_job(input, output, **options)


def killing_folder_job(input, output, *, force=False, **options):
    """A job that writes a folder, as segment does: its folder is made first, then each file;
    for files named ``*kill*`` the process dies (SIGKILL) once the folder is made and the
    first file half-written into a temporary file, as a worker lost mid-job leaves it."""
    folder = Path(output)
    folder.mkdir(exist_ok=True)
    if "kill" in Path(input).name:
        def write_then_die(tmp: Path) -> None:
            tmp.write_bytes(b"\x89PNG half a file")
            os.kill(os.getpid(), signal.SIGKILL)

        atomic_write(folder / "copy.png", write_then_die)
    record = copy_job(input, folder / "copy.png", **options)
    (folder / "done.json").write_text("{}")
    return record


def gated_job(input, output, *, force=False, control, **options):
    """Like copy_job, but files named ``slow*`` stop half-written until released.

    The worker writes half a file into the output's temporary file, drops
    ``<control>/started-<name>`` and waits for ``<control>/release`` before
    finishing, so a test can kill a process at a moment it knows: mid-write.
    """
    gate = Path(control)
    if Path(input).name.startswith("slow"):
        def write_and_wait(tmp: Path) -> None:
            tmp.write_bytes(b"\x89PNG half a file")
            (gate / f"started-{Path(input).name}").touch()
            while not (gate / "release").exists():
                time.sleep(0.05)
            Image.fromarray(load_image(input).rgb).save(tmp, format="PNG")

        atomic_write(output, write_and_wait)
        return {"k": 0}
    return copy_job(input, output, **options)


def gated_folder_job(input, output, *, force=False, control, **options):
    """A job that writes a folder, as segment does: made as the job starts, then filled
    (``copy.png``, then ``done.json``); for files named ``slow*`` it waits half-written, as
    :func:`gated_job` does, once the folder is made."""
    folder = Path(output)
    folder.mkdir(exist_ok=True)
    record = gated_job(input, folder / "copy.png", control=control, **options)
    (folder / "done.json").write_text("{}")
    return record


def waiting_folder_job(input, output, *, force=False, control, **options):
    """A job that writes a folder, as segment does: made as the job starts, then filled
    once the work is done; for files named ``slow*`` the work is to wait, the folder still
    empty, for ``<control>/release`` (as a segmentation takes its time before any file is
    written)."""
    folder = Path(output)
    folder.mkdir(exist_ok=True)
    while Path(input).name.startswith("slow") and not (Path(control) / "release").exists():
        time.sleep(0.05)
    record = copy_job(input, folder / "copy.png", **options)
    (folder / "done.json").write_text("{}")
    return record


def gated_reduce_file(input, output, **options):
    """quantize's reduce_file, but for files named ``slow*`` it first drops
    ``$QUANTIZE_TEST_GATE/started-<name>`` and waits for ``$QUANTIZE_TEST_GATE/release``: a
    stand-in for a slow file, for a test that acts while a real batch runs."""
    from quantize.reduce import reduce_file

    gate = Path(os.environ["QUANTIZE_TEST_GATE"])
    if Path(input).name.startswith("slow"):
        (gate / f"started-{Path(input).name}").touch()
        while not (gate / "release").exists():
            time.sleep(0.05)
    return reduce_file(input, output, **options)


#: The barrier the meeting_reduce_file jobs of a test wait at (None: they do not wait), set
#: by that test; the threads of a worker of an in-process cluster share it.
MEETING: threading.Barrier | None = None


def meeting_reduce_file(input, output, **options):
    """quantize's reduce_file, once as many jobs as MEETING has parties wait there (or its
    timeout passed): so many files are reduced at once, side by side on a worker's threads,
    each recording its own warnings from before the meeting to its end."""
    from quantize.reduce import reduce_file

    if MEETING is not None:
        with contextlib.suppress(threading.BrokenBarrierError):  # then without meeting
            MEETING.wait()
    return reduce_file(input, output, **options)


#: Set by a test that runs LOSING_REDUCE on a cluster in this process: called by the job of
#: each file named ``*lose*`` as it starts, in its worker's thread (see the next function).
LOSE_WORKER = None


def losing_reduce_file(input, output, **options):
    """quantize's reduce_file, after ``LOSE_WORKER()`` for files named ``*lose*``: a test's
    function that has the scheduler lose the worker running the job (as when it dies),
    once; the job then goes on, on a worker whose results the scheduler no longer takes."""
    from quantize.reduce import reduce_file

    if LOSE_WORKER is not None and "lose" in Path(input).name:
        LOSE_WORKER()
    return reduce_file(input, output, **options)


def losing_sample_colors(path, *args, **options):
    """quantize's sample_colors (as this module imported it), after ``LOSE_WORKER()`` for
    files named ``*lose*``: the shared palette's sampling, losing its worker."""
    if LOSE_WORKER is not None and "lose" in Path(path).name:
        LOSE_WORKER()
    return sample_colors(path, *args, **options)


def worker_loser(cluster):
    """A ``LOSE_WORKER`` for ``cluster`` (of workers in this process): the first call has its
    scheduler remove the worker that runs it, unexpectedly (as for a worker that died: its
    task is run again), and the worker close; the address of that worker is appended to
    the returned list. Later calls do nothing."""
    from distributed import get_worker

    lost = []

    def lose():
        if not lost:
            lost.append(get_worker().address)
            cluster.sync(cluster.scheduler.remove_worker, address=lost[0],
                         stimulus_id="test-worker-lost", expected=False)

    return lose, lost


def thread_env_job(input, output, *, force=False, **options):
    """Report the thread settings a worker sees, once NumPy (and its BLAS) is loaded."""
    import numpy  # noqa: F401 -- loads the BLAS library threadpoolctl inspects
    from threadpoolctl import threadpool_info

    from quantize import _threads

    Path(output).write_text("x")
    return {"env": {name: os.environ.get(name) for name in batch.THREAD_VARIABLES},
            "malloc_trim": os.environ.get("MALLOC_TRIM_THRESHOLD_"),
            "blas_threads": sorted({p["num_threads"] for p in threadpool_info()
                                    if p["user_api"] == "blas"}),
            "threads": _threads.count(), "pid": os.getpid()}


def sleepy_job(input, output, *, force=False, **options):
    """Like copy_job, a fifth of a second later, and a second later for any file but
    ``a.png``: the others are still running when a test acts on the first one's result."""
    time.sleep(0.2 if Path(input).name == "a.png" else 1.0)
    return copy_job(input, output, **options)


def touch_after(seconds: float, path: str) -> str:
    """Sleep, then create ``path``: a call whose side effect shows that it finished."""
    time.sleep(seconds)
    Path(path).touch()
    return Path(path).name


def interrupted_run(run, tmp_path: Path, seconds: tuple[float, ...]):
    """Run ``touch_after`` calls with ``run(calls, settle)``, interrupting at the first settle.

    Returns (the names settled, the names of the calls that finished).
    """
    from quantize.batch.calls import Call

    calls = [Call(touch_after, (s, str(tmp_path / f"call{i}"))) for i, s in enumerate(seconds)]
    settled = []

    def settle(index, outcome):
        settled.append(outcome.value)
        if len(settled) == 1:
            raise KeyboardInterrupt

    try:
        run(calls, settle)
    except KeyboardInterrupt:
        pass
    else:
        raise AssertionError("the interrupt was not raised again")
    time.sleep(max(seconds) + 0.5)  # a call the run did not wait for would finish by now
    return settled, sorted(p.name for p in tmp_path.glob("call*"))


def interrupted_in_settle(run) -> list:
    """Run two quick calls with ``run(calls, settle)``; the first settle sends this process
    SIGINT (as Ctrl-C does) half-way through, then finishes.

    Returns the values settled: the KeyboardInterrupt must be raised, and only once
    the settle has finished (an output written is also recorded and reported).
    """
    from quantize.batch.calls import Call

    settled = []

    def settle(index, outcome):
        if not settled:
            os.kill(os.getpid(), signal.SIGINT)
        settled.append(outcome.value)

    # SIGINT must raise KeyboardInterrupt here, also where pytest started with it ignored.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        run([Call(abs, (-1,)), Call(abs, (-2,))], settle)
    except KeyboardInterrupt:
        pass
    else:
        raise AssertionError("the interrupt was not raised")
    finally:
        signal.signal(signal.SIGINT, previous)
    return settled


COPY = batch.JobMode("copy", copy_job)
KILLING = batch.JobMode("copy", killing_job)
KILLING_FOLDER = batch.JobMode("folder", killing_folder_job, suffix="", marker="done.json",
                               folder_files=("copy.png", "done.json"))
GATED = batch.JobMode("gated", gated_job)
GATED_FOLDER = batch.JobMode("folder", gated_folder_job, suffix="", marker="done.json",
                             folder_files=("copy.png", "done.json"))
WAITING_FOLDER = batch.JobMode("folder", waiting_folder_job, suffix="", marker="done.json",
                               folder_files=("copy.png", "done.json"))
THREAD_ENV = batch.JobMode("env", thread_env_job)
SLEEPY = batch.JobMode("copy", sleepy_job)
MEETING_REDUCE = dataclasses.replace(batch.reduce_mode(), func=meeting_reduce_file)
LOSING_REDUCE = dataclasses.replace(batch.reduce_mode(), func=losing_reduce_file)


def hide_dask(monkeypatch) -> None:
    """Have every import of dask (and so of dask.distributed) fail, as where it is not
    installed, until the test ends."""
    import builtins

    real_import = builtins.__import__

    def no_dask(name, *args, **kwargs):
        if name.startswith("dask"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_dask)


def crop(name: str, box: tuple[int, int, int, int]) -> Image.Image:
    """A 48x40 piece of a sample photo (a copy of its own: the caller may change it)."""
    return _cropped(name, box).copy()


@functools.cache
def _cropped(name: str, box: tuple[int, int, int, int]) -> Image.Image:
    """:func:`crop`'s piece, cut once a test process: the photo tree of the batch tests
    (:func:`make_photo_tree`, a few hundred tests) decoded four 512 x 512 JPEGs each time,
    14 of its 17 ms of CPU."""
    with Image.open(SAMPLES / name) as im:
        return im.convert("RGB").crop(box).resize((48, 40), Image.Resampling.BILINEAR)


def make_photo_tree(root: Path) -> Path:
    """Four small real photos in two folders, three broken files and a non-image."""
    (root / "sub").mkdir(parents=True)
    crop("astronaut.jpg", (100, 0, 340, 200)).save(root / "astronaut.jpg", quality=90)
    crop("chelsea.jpg", (100, 50, 340, 250)).save(root / "chelsea.png")
    crop("coffee.jpg", (150, 100, 390, 300)).save(root / "sub" / "coffee.jpg", quality=90)
    crop("rocket.jpg", (100, 100, 340, 300)).save(root / "sub" / "rocket.png")
    (root / "empty.jpg").write_bytes(b"")
    png = (root / "chelsea.png").read_bytes()
    (root / "sub" / "truncated.png").write_bytes(png[: len(png) // 2])
    (root / "notes.jpg").write_text("not a picture\n")
    (root / "README.txt").write_text("ignored: not an image extension\n")
    return root


def scenes_and_levels(tmp_path: Path, top: tuple[int, int, int],
                      rest: tuple[int, int, int]) -> tuple[Path, Path]:
    """Two folders of the same two 40 x 40 images, ``top`` over rows 0..9 of ``a`` and
    0..29 of ``b``, ``rest`` below: ``scenes``, 16-bit RGB TIFFs of 12-bit values
    (16 * level + 1, 1..4081 for levels 0..255), and ``levels``, the 8-bit levels as
    PNGs, which a shared fit of the scenes stretched should match."""
    import numpy as np
    import pytest

    tifffile = pytest.importorskip("tifffile")
    scenes, levels = tmp_path / "scenes", tmp_path / "levels"
    scenes.mkdir(), levels.mkdir()
    for name, rows in (("a", slice(0, 10)), ("b", slice(10, 40))):
        img = np.empty((40, 40, 3), np.uint8)
        img[:] = rest
        img[rows] = top
        tifffile.imwrite(scenes / f"{name}.tif", img.astype(np.uint16) * 16 + 1,
                         photometric="rgb")
        Image.fromarray(img).save(levels / f"{name}.png")
    return scenes, levels


def rel(results, root: Path, status: str) -> set[str]:
    """Inputs (relative to ``root``) of the results with ``status``."""
    return {r.input.relative_to(root).as_posix() for r in results if r.status == status}


def link_to_sub(tmp_path: Path) -> Path:
    """tmp/real/a.png (red), tmp/a.png (blue, beside the link) and tmp/link -> tmp/real/sub;
    return tmp/link/.., the folder the system finds as tmp/real. Skips the test where no
    symbolic link can be made."""
    from .fs_support import symlink_or_skip  # not at the top: workers import this module

    (tmp_path / "real" / "sub").mkdir(parents=True)
    symlink_or_skip(tmp_path / "link", tmp_path / "real" / "sub", to_folder=True)
    Image.new("RGB", (4, 4), (255, 0, 0)).save(tmp_path / "real" / "a.png")
    Image.new("RGB", (4, 4), (0, 0, 255)).save(tmp_path / "a.png")
    return tmp_path / "link" / ".."


def left_unfinished_folder(tmp_path):
    """in/a.png, out/a/ left unfinished by a stopped segment run (pending, no segments.json),
    then in/a.jpg added: in/a.png's output is out/a.png/ now."""
    from quantize.batch.manifest import record_pending

    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    Image.new("RGB", (4, 4), (255, 0, 0)).save(src / "a.png")
    plan = batch.plan_batch(src, out, batch.segment_mode())
    out.mkdir()
    record_pending(out, [(out / "a", "../in/a.png")], plan.settings)
    (out / "a").mkdir()
    (out / "a" / "labels.png").write_bytes(b"half an image")
    Image.new("RGB", (4, 4), (0, 0, 255)).save(src / "a.jpg")
    return src, out


#: The scheduler's HTTP server of a test cluster: a free port of the loopback interface.
HTTP_ADDRESS = "127.0.0.1:0"


def local_cluster(**options):
    """A dask.distributed ``LocalCluster(**options)`` for a test, without a dashboard.

    A scheduler starts an HTTP server (health and metrics routes) even without the
    dashboard, at port 8787 unless told otherwise: with 8787 held by another cluster (the
    session's, or another program's on this host), distributed warned "Port 8787 is already
    in use" for each cluster a test made. Its server is put on a free port instead.
    """
    import distributed  # here: worker processes import this module, not dask

    return distributed.LocalCluster(dashboard_address=None,
                                    scheduler_kwargs={"dashboard_address": HTTP_ADDRESS},
                                    **options)
