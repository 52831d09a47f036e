"""quantize.batch.executor_dask: the same jobs on a dask.distributed cluster."""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import quantize
from quantize import batch
from quantize.io import load_image

from . import batch_support
from .batch_support import (
    BAD,
    COPY,
    GATED,
    GOOD,
    KILLING,
    KILLING_FOLDER,
    LOSING_REDUCE,
    MEETING_REDUCE,
    SLEEPY,
    THREAD_ENV,
    WAITING_FOLDER,
    crop,
    hide_dask,
    interrupted_in_settle,
    interrupted_run,
    local_cluster,
    make_photo_tree,
    rel,
    worker_loser,
)

# The PyPI package named quantize is another project, so the hint names dask itself.
INSTALL_HINT = (r"^scheduler='tcp://127\.0\.0\.1:1' needs dask\.distributed, which is not "
                r"installed; install it into the same environment as quantize with: "
                r"pip install 'dask\[distributed\]>=2024\.1'$")



@contextlib.contextmanager
def _cluster_here() -> Iterator[tuple[str, str]]:
    """A LocalCluster of one single-thread worker in this process (monkeypatches reach
    it): the scheduler's address and the worker's."""
    pytest.importorskip("dask.distributed")
    with local_cluster(n_workers=1, threads_per_worker=1, processes=False) as cluster:
        [worker] = cluster.scheduler_info["workers"]
        yield cluster.scheduler_address, worker

@contextlib.contextmanager
def distributed_client(address: str) -> Iterator[object]:
    """A client of the scheduler at ``address``, closed at the end."""
    from distributed import Client

    with Client(address) as client:
        yield client


def test_a_test_cluster_leaves_the_dashboard_port_alone():
    # With the dashboard off, each cluster's scheduler still served HTTP at port 8787, and
    # warned "Port 8787 is already in use" when another cluster (the session's) held it.
    import warnings

    pytest.importorskip("dask.distributed")
    with socket.socket() as holder:
        with contextlib.suppress(OSError):  # held already, by another cluster on this host
            holder.bind(("", 8787))
            holder.listen()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with local_cluster(n_workers=0, processes=False) as cluster:
                port = cluster.scheduler.http_server.port
    assert [str(w.message) for w in caught if "already in use" in str(w.message)] == []
    assert port != 8787


def test_missing_dask_gives_one_line_install_hint(monkeypatch):
    hide_dask(monkeypatch)
    with pytest.raises(batch.MissingDependencyError, match=INSTALL_HINT):
        batch.run_dask([], "tcp://127.0.0.1:1", lambda i, o: None)
    with pytest.raises(batch.MissingDependencyError, match=INSTALL_HINT):
        batch.require_distributed("tcp://127.0.0.1:1")


def test_run_batch_without_dask_names_its_scheduler_parameter(photo_tree, tmp_path,
                                                               monkeypatch):
    # It named "--scheduler", the command line's option, to a caller of the library.
    hide_dask(monkeypatch)
    plan = batch.plan_batch(photo_tree, tmp_path / "out", COPY, recursive=True)
    with pytest.raises(batch.MissingDependencyError, match=INSTALL_HINT):
        batch.run_batch(plan, scheduler="tcp://127.0.0.1:1")


@pytest.fixture
def photo_tree(tmp_path):
    return make_photo_tree(tmp_path / "in")


def test_dask_workers_run_with_one_thread(tmp_path, dask_scheduler):
    src = tmp_path / "in"
    src.mkdir()
    crop("coffee.jpg", (0, 0, 200, 200)).save(src / "a.png")
    plan = batch.plan_batch(src, tmp_path / "out", THREAD_ENV)
    [result] = batch.run_batch(plan, scheduler=dask_scheduler)
    assert result.status == "ok", result.reason
    assert result.record["blas_threads"] == [1]
    assert result.record["threads"] == 1


def test_a_cluster_made_in_environment_kept_leaves_later_local_runs_its_variables(
        tmp_path, monkeypatch):
    """A LocalCluster's nanny sets Dask's pre-spawn-environ variables in this process for
    its worker, and left them there: MALLOC_TRIM_THRESHOLD_=65536 (which slows NumPy's
    large arrays) reached the workers of every later local run. Made in the block, the
    cluster leaves none."""
    pytest.importorskip("dask.distributed")
    import dask

    names = ("MALLOC_TRIM_THRESHOLD_", *batch.THREAD_VARIABLES)
    for name in names:
        monkeypatch.delenv(name, raising=False)
    src = tmp_path / "in"
    src.mkdir()
    Image.new("RGB", (4, 4)).save(src / "a.png")
    with dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": 65536}):
        with batch.environment_kept():
            with local_cluster(n_workers=1, threads_per_worker=1, processes=True) as cluster:
                assert os.environ.get("MALLOC_TRIM_THRESHOLD_") == "65536"  # the nanny's
                [on_dask] = batch.run_batch(batch.plan_batch(src, tmp_path / "dask", THREAD_ENV),
                                            scheduler=cluster)
    assert (on_dask.status, on_dask.record["malloc_trim"]) == ("ok", "65536")
    assert {name: os.environ.get(name) for name in names} == dict.fromkeys(names)
    [local] = batch.run_batch(batch.plan_batch(src, tmp_path / "local", THREAD_ENV), jobs=2)
    assert (local.status, local.record["malloc_trim"]) == ("ok", None)


def _worker_died(address: str) -> str:
    """The reason of a file that kills its worker on the cluster at ``address``, whose
    workers share one memory limit: named, as the cluster tells it."""
    with distributed_client(address) as client:
        [limit] = {info["memory_limit"] for info in client.scheduler_info()["workers"].values()}
    return (f"the worker process died while processing this file (killed or out of memory: "
            f"worker memory limit {limit / 1e6:,.0f} MB)")


def test_dask_reports_a_file_that_kills_its_worker(tmp_path, dask_scheduler):
    src = tmp_path / "in"
    src.mkdir()
    for name in ("kill-me.png", "fine.png"):
        crop("coffee.jpg", (0, 0, 200, 200)).save(src / name)
    plan = batch.plan_batch(src, tmp_path / "out", KILLING)
    died = _worker_died(dask_scheduler)  # asked first: the worker killed restarts
    results = batch.run_batch(plan, scheduler=dask_scheduler)
    status = {r.input.name: (r.status, r.reason) for r in results}
    assert status == {"kill-me.png": ("failed", died),
                      "fine.png": ("ok", "")}


def test_dask_does_not_fail_the_files_queued_behind_one_that_kills_its_worker(tmp_path):
    """A worker is sent more files than it has threads: when one kills it, the scheduler
    counts the death against every file that worker held, and those files failed beside
    it, at every rerun. They are run again, one at a time, as the local pool does."""
    pytest.importorskip("dask.distributed")
    import dask

    src = tmp_path / "in"
    src.mkdir()
    for name in ("a-kill-me.png", "b.png", "c.png", "d.png"):
        Image.new("RGB", (4, 4), (9, 99, 199)).save(src / name)
    plan = batch.plan_batch(src, tmp_path / "out", KILLING)
    # Without Dask's MALLOC_TRIM_THRESHOLD_: its nanny set it in this process, where a worker
    # of the session's cluster restarted meanwhile (killed by a test) took it too.
    with dask.config.set({"distributed.scheduler.allowed-failures": 0,
                          "distributed.nanny.pre-spawn-environ":
                              dict.fromkeys(batch.THREAD_VARIABLES, "1")}), \
            batch.environment_kept():
        cluster = local_cluster(n_workers=1, threads_per_worker=1, processes=True,
                                memory_limit="350MB")
        with cluster:
            results = batch.run_batch(plan, scheduler=cluster.scheduler_address)
    # the memory limit the cluster reports is named: "out of memory" may be that
    assert {r.input.name: (r.status, r.reason) for r in results} == {
        "a-kill-me.png": ("failed", "the worker process died while processing this file "
                          "(killed or out of memory: worker memory limit 350 MB)"),
        "b.png": ("ok", ""),
        "c.png": ("ok", ""), "d.png": ("ok", "")}


def test_a_file_retried_after_its_worker_was_lost_says_so_and_records_the_worker(tmp_path,
                                                                                monkeypatch):
    """A file whose worker died under it once, then made on another, looked like any
    other: nothing said it was retried. ``on_retry`` is told at once (the retry, of the
    most the scheduler's allowed-failures of 1 give: 1 + 1 alone + 1), and the record,
    so the report and the manifest, names the worker lost."""
    pytest.importorskip("dask.distributed")
    import dask

    src = tmp_path / "in"
    src.mkdir()
    for name in ("lose-me.png", "fine.png"):
        Image.new("RGB", (4, 4), (9, 99, 199)).save(src / name)
    plan = batch.plan_batch(src, tmp_path / "out", LOSING_REDUCE, options={"n_colors": 2})
    told = []
    with dask.config.set({"distributed.scheduler.allowed-failures": 1}), \
            local_cluster(n_workers=2, threads_per_worker=1, processes=False) as cluster:
        lose, lost = worker_loser(cluster)
        monkeypatch.setattr(batch_support, "LOSE_WORKER", lose)  # the workers run in here
        results = batch.run_batch(plan, scheduler=cluster.scheduler_address,
                                  on_retry=lambda *said: told.append(said))
    assert told == [(src / "lose-me.png", lost[0], 1, 3)]
    assert {r.input.name: (r.status, r.record.get(batch.WORKERS_LOST)) for r in results} == {
        "lose-me.png": ("ok", lost), "fine.png": ("ok", None)}
    manifest = batch.read_manifest(tmp_path / "out")
    assert manifest["lose-me.png"].record[batch.WORKERS_LOST] == lost
    assert batch.WORKERS_LOST not in manifest["fine.png"].record


def test_dask_leaves_no_folder_of_a_job_whose_worker_was_lost(tmp_path, dask_scheduler):
    # the folder the job made before its worker died stayed, empty, until a rerun filled it
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    for name in ("kill-me.png", "fine.png"):
        Image.new("RGB", (4, 4), (9, 99, 199)).save(src / name)
    died = _worker_died(dask_scheduler)  # asked first: the worker killed restarts
    results = batch.run_batch(batch.plan_batch(src, out, KILLING_FOLDER),
                              scheduler=dask_scheduler)
    assert {r.input.name: (r.status, r.reason) for r in results} == {
        "kill-me.png": ("failed", died), "fine.png": ("ok", "")}
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == ["fine"]


def test_dask_runs_the_same_jobs(photo_tree, tmp_path, dask_scheduler):
    plan = batch.plan_batch(photo_tree, tmp_path / "out", COPY, recursive=True)
    results = batch.run_batch(plan, scheduler=dask_scheduler)
    assert rel(results, photo_tree, "ok") == GOOD
    assert rel(results, photo_tree, "failed") == BAD
    for r in results:
        if r.status == "ok":
            assert np.array_equal(load_image(r.output).rgb, load_image(r.input).rgb)


def test_a_worker_of_several_threads_records_each_files_own_warnings(tmp_path, monkeypatch):
    """On a worker of four threads, a photo's record said "only 4 distinct colours", which
    a flat image reduced beside it had warned, and flat images' records lost theirs. That
    warning now comes back as the record's field of fewer colours than asked, no warning."""
    pytest.importorskip("dask.distributed")
    src = tmp_path / "in"
    src.mkdir()
    for i in range(4):
        flat = Image.new("RGB", (8, 8), (200, 40 * i, 0))
        flat.paste((0, 0, 255), (0, 0, 4, 4))
        flat.paste((255, 255, 255), (4, 4, 8, 8))
        flat.paste((0, 255, 0), (0, 4, 4, 8))
        flat.save(src / f"flat{i}.png")
        crop("coffee.jpg", (40 * i, 0, 40 * i + 120, 120)).save(src / f"photo{i}.png")
    # four jobs at a time reduce side by side, every one recording while the others warn
    monkeypatch.setattr(batch_support, "MEETING", threading.Barrier(4, timeout=10))
    plan = batch.plan_batch(src, tmp_path / "out", MEETING_REDUCE,
                            options={"n_colors": 16, "seed": 0})
    with local_cluster(n_workers=1, threads_per_worker=4, processes=False) as cluster:
        results = batch.run_batch(plan, scheduler=cluster.scheduler_address)
    assert {r.input.name: (r.status, r.record.get(batch.FEWER_COLORS), r.record.get("warnings"))
            for r in results} == {**{f"flat{i}.png": ("ok", True, None) for i in range(4)},
                                  **{f"photo{i}.png": ("ok", None, None) for i in range(4)}}
    assert not batch_support.MEETING.broken  # the files did meet


#: A probe file's name: the host and process that made it, and a random token.
PROBE = r"\.quantize-probe-[\w.]+-[0-9]+-\w+"

SHARED = ("the Dask workers must see the input and output folders at the same paths as "
          "this machine (shared storage)")


def test_dask_says_an_input_here_was_not_found_on_the_worker(tmp_path, monkeypatch):
    """Only for an input the worker did not find: not for one it could not decode."""
    pytest.importorskip("dask.distributed")
    from quantize.batch import run as run_module

    missing = run_module._missing
    monkeypatch.setattr(run_module, "_missing",  # the worker's view of its own storage
                        lambda path: path.name == "blind.png" or missing(path))
    src = tmp_path / "in"
    src.mkdir()
    for name in ("blind.png", "fine.png"):
        Image.new("RGB", (4, 4)).save(src / name)
    plan = batch.plan_batch(src, tmp_path / "out", COPY)
    (src / "fine.png").write_bytes((src / "fine.png").read_bytes()[:40])  # truncated since
    with _cluster_here() as (address, _):
        results = batch.run_batch(plan, scheduler=address)
    assert {r.input.name: (r.status, r.reason) for r in results} == {
        "blind.png": ("failed", f"no such file on the Dask worker, but it is here; {SHARED}"),
        "fine.png": ("failed", "not an image Pillow can identify")}


def test_dask_refuses_workers_that_do_not_see_the_output_folder(tmp_path, monkeypatch):
    """A worker with a folder of that name on its own disk: nothing is run or written."""
    pytest.importorskip("dask.distributed")
    from quantize.batch import executor_dask

    def own_disk(path):  # the worker sees the inputs, but not the probe written here
        return ".quantize-probe-" not in path

    monkeypatch.setattr(executor_dask, "_exists", own_disk)
    monkeypatch.chdir(tmp_path)  # the folder is named as given, not made absolute
    src = Path("in")
    (src / "sub").mkdir(parents=True)
    Image.new("RGB", (4, 4)).save(src / "sub" / "a.png")
    out = Path("out")
    plan = batch.plan_batch(src, out, COPY, recursive=True)
    shared = batch.plan_batch(src, out, batch.reduce_mode(), recursive=True,
                              shared_palette=True)
    with _cluster_here() as (address, worker):
        with pytest.raises(ValueError) as caught:
            batch.run_batch(plan, scheduler=address)
        with pytest.raises(ValueError) as sampling:  # before any file is sampled there
            batch.shared_palette(shared, scheduler=address)
    line = re.escape(f"scheduler={address!r}: the worker {worker} does not see the output "
                     f"folder ({out} has no ") + PROBE + re.escape(
                         f" there); {SHARED}")
    assert re.fullmatch(line, str(caught.value)), str(caught.value)
    assert re.fullmatch(line, str(sampling.value)), str(sampling.value)
    assert not out.exists()  # the folders made for the run are removed again


def test_segment_folders_hold_the_same_bytes_whichever_executor_made_them(tmp_path,
                                                                          monkeypatch):
    """segments.json named the input and folder as the batch was given them (relative)
    when made here, and as the paths a Dask worker is sent (absolute) when made there."""
    pytest.importorskip("dask.distributed")
    monkeypatch.chdir(tmp_path)
    Path("in").mkdir()
    quadrants = np.zeros((8, 8, 3), np.uint8)
    quadrants[:4, 4:], quadrants[4:] = (200, 30, 30), (30, 30, 200)
    Image.fromarray(quadrants).save("in/a.png")
    options = {"n_clusters": 2, "seed": 0}
    made = {}
    with _cluster_here() as (address, _):
        for where in ("local", "dask"):
            plan = batch.plan_batch(Path("in"), Path("out"), batch.segment_mode(),
                                    options=options, force=True)
            [result] = batch.run_batch(plan, **({"jobs": 1} if where == "local"
                                                else {"scheduler": address}))
            assert (result.status, result.output) == ("ok", Path("out/a"))
            made[where] = {p.name: p.read_bytes() for p in sorted(Path("out/a").iterdir())}
    assert made["local"] == made["dask"]
    segments = json.loads(made["dask"]["segments.json"])
    assert (segments["input"], segments["outdir"], segments["input_path"]) == (
        str(tmp_path / "in" / "a.png"), str(tmp_path / "out" / "a"), "../../in/a.png")


def _run_as_a_worker_joins(monkeypatch, plan, **options):
    """``run_batch`` of ``plan`` on a cluster that has no worker until the run has checked
    its workers' storage; then one joins, in this process."""
    from quantize.batch import run as run_module

    checked = run_module.check_shared_storage
    with local_cluster(n_workers=0, threads_per_worker=1, processes=False) as cluster:
        def then_a_worker_joins(*args):
            checked(*args)  # no worker to ask yet
            cluster.scale(1)

        monkeypatch.setattr(run_module, "check_shared_storage", then_a_worker_joins)
        return batch.run_batch(plan, scheduler=cluster.scheduler_address, **options)


def test_a_worker_that_joins_after_the_check_and_does_not_see_the_output_fails_its_files(
        tmp_path, monkeypatch):
    """It was never asked: its outputs went to its own disk, each reported as made."""
    pytest.importorskip("dask.distributed")
    from quantize.batch import executor_dask

    monkeypatch.setattr(executor_dask, "_exists",  # the late worker's own disk
                        lambda path: ".quantize-probe-" not in path)
    monkeypatch.chdir(tmp_path)  # the folder is named as given, not made absolute
    src, out = Path("in"), Path("out")
    src.mkdir()
    for name in ("a.png", "b.png"):
        Image.new("RGB", (4, 4)).save(src / name)
    plan = batch.plan_batch(src, out, COPY)
    results = _run_as_a_worker_joins(monkeypatch, plan)
    line = (r"the Dask worker \S+ does not see the batch's folders \(" + re.escape(str(out))
            + " has no " + PROBE + r" there\); " + re.escape(SHARED))
    assert [(r.input.name, r.status) for r in results] == [("a.png", "failed"),
                                                           ("b.png", "failed")]
    assert all(re.fullmatch(line, r.reason) for r in results), results[0].reason
    assert not out.exists()  # nothing written, the probe removed, the folder made removed


@pytest.mark.parametrize("mode", ["reduce", "segment"])
def test_a_worker_that_sees_the_output_folder_but_cannot_write_into_it_is_named(
        tmp_path, monkeypatch, mode):
    """Each file failed as it would on this machine ("output folder out is not writable"),
    naming no worker: which one to fix was not said. The file fails without being run,
    nothing is written, and a rerun once the worker is fixed does it."""
    pytest.importorskip("dask.distributed")
    from quantize.batch import executor_dask

    monkeypatch.setattr(executor_dask, "_writable",  # the worker's user may not write there
                        lambda folder: folder != str(tmp_path / "out"))
    monkeypatch.chdir(tmp_path)  # the folder is named as given, not made absolute
    src, out = Path("in"), Path("out")
    src.mkdir()
    for name in ("a.png", "b.png"):
        Image.new("RGB", (4, 4), (9, 9, 9) if name == "a.png" else (90, 9, 9)).save(src / name)
    job = batch.reduce_mode() if mode == "reduce" else batch.segment_mode()
    options = {"n_colors": 2} if mode == "reduce" else {"n_clusters": 2}
    plan = batch.plan_batch(src, out, job, options=options)
    with _cluster_here() as (address, worker):
        results = batch.run_batch(plan, scheduler=address)
        assert [(r.input.name, r.status, r.reason) for r in results] == [
            (name, "failed", f"the Dask worker {worker} cannot write into the output folder "
                             f"({out} is not writable there); the Dask workers must be able to "
                             "write into the output folder, as this machine can: give the user "
                             "the worker runs as write permission there, or stop that worker")
            for name in ("a.png", "b.png")]
        assert not out.exists()  # nothing written, the folder made for the run removed
        monkeypatch.setattr(executor_dask, "_writable", lambda folder: True)  # fixed
        again = batch.run_batch(batch.plan_batch(src, out, job, options=options),
                                scheduler=address)
    assert [r.status for r in again] == ["ok", "ok"]


def test_a_worker_that_joins_before_the_samples_and_does_not_see_the_inputs_stops_the_fit(
        tmp_path, monkeypatch):
    """Its sample calls found no file and were left out of the shared palette as unreadable
    files, the palette fitted on the others."""
    pytest.importorskip("dask.distributed")
    from quantize.batch import executor_dask
    from quantize.batch import shared as shared_module

    monkeypatch.chdir(tmp_path)  # the file is named as given, not made absolute
    src, out = Path("in"), Path("out")
    src.mkdir()
    for name in ("a.png", "b.png"):
        Image.new("RGB", (4, 4), (9, 9, 9) if name == "a.png" else (90, 9, 9)).save(src / name)
    monkeypatch.setattr(executor_dask, "_exists",  # the late worker's own disk
                        lambda path: not path.startswith(str(tmp_path / src)))
    plan = batch.plan_batch(src, out, batch.reduce_mode(), shared_palette=True,
                            options={"n_colors": 2})
    with local_cluster(n_workers=0, threads_per_worker=1, processes=False) as cluster:
        monkeypatch.setattr(shared_module, "check_shared_storage",  # no worker to ask yet
                            lambda plan, scheduler: cluster.scale(1))
        with pytest.raises(batch.WorkerFailedError) as stopped:
            batch.shared_palette(plan, scheduler=cluster.scheduler_address)
    line = (r"not sampled for the shared palette, so none was fitted: the Dask worker \S+ "
            r"does not see the batch's folders \("
            + re.escape(f"{src} has no a.png there); {SHARED} (1 more file alike)"))
    assert stopped.value.path == str(src / "a.png")
    assert re.fullmatch(line, stopped.value.reason), stopped.value.reason
    assert not out.exists()


def test_a_shared_palette_whose_workers_all_die_while_sampling_gives_up_after_worker_timeout(
        tmp_path, monkeypatch):
    """The samples were taken without the run's watch of the workers: with every worker
    gone, the fit waited for one, whatever the worker_timeout, and no line said why. It
    is told as the last worker leaves, and gives up as a run does."""
    pytest.importorskip("dask.distributed")
    from quantize.batch import executor_dask
    from quantize.reduce import shared as reduce_shared

    monkeypatch.setattr(executor_dask, "WORKER_POLL", 0.05)
    monkeypatch.setattr(reduce_shared, "sample_colors", batch_support.losing_sample_colors)
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    Image.new("RGB", (4, 4), (9, 99, 199)).save(src / "lose-me.png")
    plan = batch.plan_batch(src, out, batch.reduce_mode(), shared_palette=True,
                            options={"n_colors": 2})
    told = []
    with local_cluster(n_workers=1, threads_per_worker=1, processes=False) as cluster:
        lose, lost = worker_loser(cluster)  # the only worker, as it samples lose-me.png
        monkeypatch.setattr(batch_support, "LOSE_WORKER", lose)  # the worker runs in here
        address = cluster.scheduler_address
        with pytest.raises(batch.NoWorkerError) as caught:
            batch.shared_palette(plan, scheduler=address, worker_timeout=0.2,
                                 on_workers=lambda *said: told.append(said))
    assert str(caught.value) == (
        f"sampling for the shared palette stopped, none was fitted: no Dask worker was "
        f"connected to {address} for worker_timeout=0.2 s: gave up on the files still to do "
        "(1 of 1); start workers and rerun the same command to finish them")
    assert lost and [(n, waiting) for n, waiting, _ in told] == [(0, 1)]
    assert not (out / batch.SHARED_PALETTE_NAME).exists()


RESTART = "install on every worker the quantize this machine runs, and restart the workers"


def test_a_task_of_another_version_of_quantize_is_not_run(tmp_path):
    """The driver sends the code it runs with each task: a worker that joined after the
    check with other code refuses the call, saying what it runs."""
    pytest.importorskip("dask.distributed")
    from quantize.batch import executor_dask
    from quantize.batch.calls import Call

    made = tmp_path / "made"
    theirs = executor_dask.worker_protocol()
    expected = {**theirs, "protocol": executor_dask.WORKER_PROTOCOL + 1}
    with _cluster_here() as (address, worker), distributed_client(address) as client:
        said = client.submit(executor_dask._task_checking_its_worker(), Call(made.touch),
                             expected=expected).result()
    assert said == {"worker": worker, "code": theirs}
    assert not made.exists()


def test_a_task_sent_by_another_version_of_quantize_is_not_run(tmp_path, monkeypatch):
    """A worker that joined after the check with the same task protocol but another
    quantize was accepted, and its files recorded as made with this run's options: the
    driver sends its version with each task, and the task names both."""
    pytest.importorskip("dask.distributed")
    from quantize.batch import executor_dask
    from quantize.batch.calls import Call

    monkeypatch.setattr(executor_dask, "worker_protocol",  # what the worker's code says
                        lambda: {"protocol": executor_dask.WORKER_PROTOCOL, "version": "0.0.9"})
    made = tmp_path / "made"
    outcomes = []
    with _cluster_here() as (address, worker):
        batch.run_dask([Call(made.touch)], address, lambda i, outcome: outcomes.append(outcome))
    assert [(o.ok, o.value, o.worker) for o in outcomes] == [(False, (
        f"the Dask worker {worker} runs quantize 0.0.9, where this machine runs quantize "
        f"{quantize.__version__}; {RESTART}"), True)]
    assert not made.exists()


def test_a_task_whose_worker_cannot_say_its_code_is_said_with_the_error(tmp_path,
                                                                         monkeypatch):
    """A worker whose quantize has no worker_protocol (or whose call of it fails) was said
    to run "another version of quantize": its task now says why it cannot tell."""
    pytest.importorskip("dask.distributed")
    from quantize.batch import executor_dask
    from quantize.batch.calls import Call

    def missing():
        raise AttributeError("module 'quantize.batch.executor_dask' has no attribute "
                             "'worker_protocol'\nsecond line")

    ours = executor_dask.worker_protocol()
    monkeypatch.setattr(executor_dask, "worker_protocol", missing)  # the worker's code
    made = tmp_path / "made"
    with _cluster_here() as (address, worker), distributed_client(address) as client:
        said = client.submit(executor_dask._task_checking_its_worker(), Call(made.touch),
                             expected=ours).result()
    assert executor_dask._refused(said, ours).value == (
        f"the Dask worker {worker} runs a quantize that cannot say which it is "
        "(AttributeError: module 'quantize.batch.executor_dask' has no attribute "
        f"'worker_protocol'); {RESTART}")
    assert not made.exists()


def test_a_task_of_the_same_version_of_quantize_is_run(tmp_path):
    pytest.importorskip("dask.distributed")
    from quantize.batch import executor_dask
    from quantize.batch.calls import Call

    made = tmp_path / "made"
    with _cluster_here() as (address, _), distributed_client(address) as client:
        outcome = client.submit(executor_dask._task_checking_its_worker(), Call(made.touch),
                                expected=executor_dask.worker_protocol()).result()
    assert outcome.ok and made.exists()


def test_a_worker_with_older_tasks_that_joins_late_gets_the_version_message(tmp_path,
                                                                            monkeypatch):
    """A worker of protocol 5 (its task took no ``version``) that joined after the check
    failed each file with "could not run quantize's task (TypeError: ... unexpected
    keyword argument 'version')": the task now asks the worker's code first."""
    pytest.importorskip("dask.distributed")
    from quantize.batch import executor_dask

    def old_task(call, stop=None, protocol=None, must_see=None, must_see_as=None,
                 must_write=False):  # the task as quantize of protocol 5 defines it
        raise AssertionError("not reached: called with newer arguments")

    monkeypatch.setattr(executor_dask, "_run_on_one_thread", old_task)
    monkeypatch.setattr(executor_dask, "worker_protocol", lambda: 5)  # as protocol 5 said it
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    for name in ("a.png", "b.png"):
        Image.new("RGB", (4, 4)).save(src / name)
    plan = batch.plan_batch(src, out, COPY)
    results = _run_as_a_worker_joins(monkeypatch, plan, retries=0)
    line = r"the Dask worker \S+ runs " + re.escape(
        f"an older quantize, from before versions were compared (its batch tasks are of "
        f"protocol 5, this machine's of protocol {executor_dask.WORKER_PROTOCOL}); {RESTART}")
    assert [(r.input.name, r.status) for r in results] == [("a.png", "failed"),
                                                           ("b.png", "failed")]
    assert all(re.fullmatch(line, r.reason) for r in results), results[0].reason
    assert not any(out.glob("*.png"))


#: Appended to quantize/batch/executor_dask.py of a copy: the tasks of protocol 5 (its task
#: took no ``version``, and its worker said its protocol alone).
PROTOCOL_5 = """

WORKER_PROTOCOL = 5


def worker_protocol():
    return WORKER_PROTOCOL


def _run_on_one_thread(call, stop=None, protocol=None, must_see=None, must_see_as=None,
                       must_write=False):
    raise AssertionError("not reached: called with newer arguments")
"""


def _package_copy(root: Path, appended: str, to: str) -> Path:
    """A copy of quantize under ``root``, with ``appended`` to its file ``to``: the folder
    to put on a path."""
    import shutil

    package = Path(quantize.__file__).parent
    shutil.copytree(package, root / "quantize", ignore=shutil.ignore_patterns("__pycache__"))
    with open(root / "quantize" / to, "a") as module:
        module.write(appended)
    return root


@contextlib.contextmanager
def _worker_process(address: str, path: Path) -> Iterator[str]:
    """A dask worker process of the scheduler at ``address`` that imports quantize from
    ``path``, started from an empty folder: its address."""
    import subprocess
    import sys

    from distributed import Client

    with Client(address) as client:
        before = set(client.scheduler_info()["workers"])
        process = subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1",
             "--no-nanny", "--no-dashboard"], cwd=path, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, env={**os.environ, "PYTHONPATH": str(path)})
        try:
            client.wait_for_workers(len(before) + 1, timeout=60)
            [worker] = set(client.scheduler_info()["workers"]) - before
            yield worker
        finally:
            process.terminate()
            process.wait(30)


#: Appended as :data:`PROTOCOL_5`: the tasks of protocol 6, whose worker said its version
#: of quantize (the same as this machine's) but no build.
PROTOCOL_6 = """

WORKER_PROTOCOL = 6


def worker_protocol():
    return {"protocol": WORKER_PROTOCOL, "version": __version__}


def _run_on_one_thread(call, stop=None, must_see=None, must_see_as=None, must_write=False):
    raise AssertionError("not reached: called by a newer machine")
"""


@pytest.mark.parametrize("appended, to, runs", [
    pytest.param(PROTOCOL_5, "batch/executor_dask.py", "an older quantize, from before "
                 "versions were compared (its batch tasks are of protocol 5, this machine's "
                 "of protocol {protocol})", id="protocol-5"),
    # It said "another version of quantize", though it says the same version: what differs
    # is the build, older than the digest of its sources, and its tasks.
    pytest.param(PROTOCOL_6, "batch/executor_dask.py", "an older build of quantize {version}, "
                 "from before builds were compared (it says no digest of its source files; "
                 "this machine's is {ours}; its batch tasks are of protocol 6, this machine's "
                 "of protocol {protocol})", id="protocol-6"),
    pytest.param("# built from another commit\n", "colors.py",
                 "a different build of quantize {version} (its source files differ from this "
                 "machine's: digest {theirs} there, {ours} here)", id="another-build"),
])
def test_a_worker_process_of_other_code_fails_each_file_saying_so(tmp_path, appended, to,
                                                                  runs):
    """A real worker process running other code, which dask runs as its own: the task's
    code travels with it, so no TypeError about the arguments comes first (protocol 5),
    and a build that says the same version is told apart by its sources."""
    pytest.importorskip("dask.distributed")
    from quantize.batch import executor_dask
    from quantize.batch.calls import Call

    other = _package_copy(tmp_path / "other", appended, to)
    made = tmp_path / "made"
    outcomes = []
    with local_cluster(n_workers=0, processes=False, protocol="tcp") as cluster:
        with _worker_process(cluster.scheduler_address, other) as worker:
            batch.run_dask([Call(made.touch)], cluster.scheduler_address,
                           lambda i, outcome: outcomes.append(outcome), retries=0)
    theirs = executor_dask._digest_of_sources(other / "quantize")
    ours = executor_dask.worker_protocol()["build"]
    assert theirs != ours
    runs = runs.format(version=quantize.__version__, theirs=theirs, ours=ours,
                       protocol=executor_dask.WORKER_PROTOCOL)
    assert [(o.ok, o.value, o.worker) for o in outcomes] == [(
        False, f"the Dask worker {worker} runs {runs}; {RESTART}", True)]
    assert not made.exists()


def test_the_build_digest_follows_the_source_files_only(tmp_path):
    """Two copies of the same sources have one digest, wherever they are and whatever
    compiled files lie beside them; a changed byte, or a file renamed, moved or added,
    changes it."""
    import shutil

    from quantize.batch import executor_dask

    digest = executor_dask._digest_of_sources
    package = Path(quantize.__file__).parent
    copy = tmp_path / "elsewhere" / "quantize"
    shutil.copytree(package, copy, ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "__pycache__").mkdir()
    (copy / "__pycache__" / "colors.cpython-311.pyc").write_bytes(b"compiled")
    (copy / "notes.txt").write_text("not a source")
    assert digest(copy) == digest(package) == executor_dask._source_digest()
    assert re.fullmatch("[0-9a-f]{12}", digest(copy))

    def changed(name: str, change) -> str:
        tree = tmp_path / name
        shutil.copytree(copy, tree)
        change(tree)
        return digest(tree)

    variants = [
        changed("byte", lambda tree: (tree / "colors.py").write_bytes(
            (tree / "colors.py").read_bytes() + b" ")),
        changed("renamed", lambda tree: (tree / "colors.py").rename(tree / "colours.py")),
        changed("moved", lambda tree: (tree / "colors.py").rename(tree / "io" / "colors.py")),
        changed("added", lambda tree: (tree / "extra.py").write_text("")),
    ]
    assert len({digest(copy), *variants}) == 5


def test_a_task_its_worker_cannot_run_names_the_likely_cause(tmp_path, monkeypatch):
    """A task that raises on its worker (its quantize cannot import what the call
    needs): said as such, with what to do."""
    pytest.importorskip("dask.distributed")
    from quantize.batch import executor_dask

    def broken(call, **rest):  # the worker's quantize lacks a module the task imports
        raise ImportError("No module named 'quantize.jobs'")

    monkeypatch.setattr(executor_dask, "_run_on_one_thread", broken)
    src = tmp_path / "in"
    src.mkdir()
    Image.new("RGB", (4, 4)).save(src / "a.png")
    plan = batch.plan_batch(src, tmp_path / "out", COPY)
    with _cluster_here() as (address, _):
        [result] = batch.run_batch(plan, scheduler=address, retries=0)
    assert (result.status, result.reason) == ("failed", (
        "a Dask worker could not run quantize's task (ImportError: No module named "
        f"'quantize.jobs'); if it runs another version of quantize, {RESTART}"))


def test_a_host_name_that_does_not_resolve_is_said_so():
    """Not 'Timed out trying to connect' after the whole timeout: the name is unknown
    (.invalid never resolves, RFC 6761)."""
    pytest.importorskip("dask.distributed")
    with pytest.raises(ValueError, match=r"^scheduler='tcp://nowhere\.invalid:8786': cannot "
                       r"connect \(unknown host 'nowhere\.invalid': [^()]+\); expected the "
                       r"address of a running dask scheduler, e\.g\. tcp://host:8786$"):
        batch.check_scheduler("tcp://nowhere.invalid:8786", connect_timeout=2)


def test_a_server_that_is_not_a_scheduler_is_named_so():
    """An HTTP server answers at once: its first bytes were read as a message length."""
    pytest.importorskip("dask.distributed")
    import threading

    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()

        def answer():  # every connection, as a server does (the first is a plain probe)
            with contextlib.suppress(OSError):  # the server closed at the end of the test
                while True:
                    peer, _ = server.accept()
                    with peer, contextlib.suppress(OSError):
                        peer.recv(1000)
                        peer.sendall(b"HTTP/1.1 400 Bad Request\r\n"
                                     b"content-length: 0\r\n\r\n")

        threading.Thread(target=answer, daemon=True).start()
        address = f"tcp://127.0.0.1:{server.getsockname()[1]}"
        with pytest.raises(ValueError) as caught:
            batch.check_scheduler(address, connect_timeout=3)
    assert str(caught.value) == (f"scheduler={address!r}: cannot connect (it answered, but "
                                 "not as a dask scheduler does); expected the address of a "
                                 "running dask scheduler, e.g. tcp://host:8786")


def test_a_scheduler_lost_mid_run_is_one_error_after_the_files_done():
    pytest.importorskip("dask.distributed")
    import time

    from quantize.batch.calls import Call

    settled = []
    with local_cluster(n_workers=1, threads_per_worker=1, processes=False) as cluster:
        def settle(index, outcome):  # the cluster stops after the first file
            settled.append(index)
            if len(settled) == 1:
                cluster.close()

        address = cluster.scheduler_address
        with pytest.raises(ConnectionError) as caught:
            batch.run_dask([Call(time.sleep, (0.1,)) for _ in range(4)], address, settle)
    assert str(caught.value) == (
        f"the Dask scheduler at {address} dropped the files still to do (3 of 4): it "
        "stopped, or the connection to it was lost; rerun the same command to finish them")
    assert len(settled) == 1


def test_a_batch_whose_scheduler_is_lost_gives_the_files_not_done(tmp_path):
    """The files settled before are reported and recorded; the others come with the error,
    failed as not done, so that the reports can list them."""
    pytest.importorskip("dask.distributed")
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    for name in ("a.png", "b.png", "c.png"):
        Image.new("RGB", (4, 4)).save(src / name)
    plan = batch.plan_batch(src, out, SLEEPY)
    reported = []
    with local_cluster(n_workers=1, threads_per_worker=1, processes=False) as cluster:
        def on_result(result):  # the cluster stops once the first file is done
            reported.append(result)
            cluster.close()

        address = cluster.scheduler_address
        with pytest.raises(batch.SchedulerLostError) as caught:
            batch.run_batch(plan, scheduler=address, on_result=on_result)
    assert [(r.input.name, r.status) for r in reported] == [("a.png", "ok")]
    assert [(r.input, r.output, r.status, r.reason, int(r.exit_code))
            for r in caught.value.not_done] == [
        (src / name, out / name, "failed", batch.NOT_DONE, 1) for name in ("b.png", "c.png")]
    assert str(caught.value).startswith(f"the Dask scheduler at {address} dropped the files "
                                        "still to do (2 of 3)")
    assert sorted(batch.read_manifest(out)) == ["a.png"]
    # A rerun plans the files not done (their entries left pending, c.png's never written):
    # b.png is skipped only when its worker, going on after the loss (see the test below),
    # was between writing it and marking it as the rerun looked.
    rerun = batch.plan_batch(src, out, SLEEPY)
    planned = {job.input.name for job in rerun.jobs}
    kept = {r.input.name: r.status for r in rerun.settled}
    assert "c.png" in planned and planned | set(kept) == {"a.png", "b.png", "c.png"}
    assert set(kept.values()) <= {"skipped"} and "a.png" in kept


def test_a_batch_whose_scheduler_is_lost_leaves_no_empty_folder_of_a_job_not_done(tmp_path):
    # out/slow0/ and out/slow1/, made by their jobs as they started, stayed empty
    pytest.importorskip("dask.distributed")
    import dask

    src, out, control = tmp_path / "in", tmp_path / "out", tmp_path / "control"
    for folder in (src, control):
        folder.mkdir()
    for name in ("a.png", "slow0.png", "slow1.png"):
        Image.new("RGB", (4, 4)).save(src / name)
    plan = batch.plan_batch(src, out, WAITING_FOLDER, options={"control": str(control)})
    # The lost scheduler is given up once reconnecting to it times out: 2 s, not 30.
    with dask.config.set({"distributed.comm.timeouts.connect": "2s"}), \
            local_cluster(n_workers=1, threads_per_worker=3, processes=False) as cluster:
        def on_result(result):  # the scheduler stops once a.png is done, the others running
            while len([p for p in out.iterdir() if not p.name.startswith(".")]) < 3:
                time.sleep(0.05)
            cluster.sync(cluster.scheduler.close)  # the scheduler alone: the worker goes on

        try:
            with pytest.raises(batch.SchedulerLostError):
                batch.run_batch(plan, scheduler=cluster.scheduler_address, on_result=on_result)
            assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == ["a"]
        finally:
            (control / "release").touch()  # the jobs still running fail: no folder


def test_a_file_its_worker_finishes_after_the_scheduler_is_lost_is_made_again(tmp_path):
    # Its pending entry was taken back as the run stopped, before the worker wrote it: every
    # rerun then skipped its output as one of no record.
    pytest.importorskip("dask.distributed")
    import dask

    from quantize.batch.manifest import written_mark

    src, out, control = tmp_path / "in", tmp_path / "out", tmp_path / "control"
    for folder in (src, control):
        folder.mkdir()
    for name in ("a.png", "slow.png"):
        Image.new("RGB", (4, 4), (len(name), 90, 200)).save(src / name)
    options = {"control": str(control)}
    plan = batch.plan_batch(src, out, GATED, options=options)
    with dask.config.set({"distributed.comm.timeouts.connect": "2s"}), \
            local_cluster(n_workers=1, threads_per_worker=2, processes=False) as cluster:
        def on_result(result):  # the scheduler stops once a.png is done, slow.png running
            while not (control / "started-slow.png").exists():
                time.sleep(0.05)
            cluster.sync(cluster.scheduler.close)  # the scheduler alone: the worker goes on

        try:
            with pytest.raises(batch.SchedulerLostError) as caught:
                batch.run_batch(plan, scheduler=cluster.scheduler_address, on_result=on_result)
        finally:
            (control / "release").touch()  # the worker finishes slow.png, unreported
        for _ in range(400):
            if written_mark(out / "slow.png").exists():
                break
            time.sleep(0.05)
    assert [r.input.name for r in caught.value.not_done] == ["slow.png"]
    assert (out / "slow.png").is_file()
    pending = batch.read_manifest(out, pending=True)
    assert (pending["a.png"].pending, pending["slow.png"].pending) == (False, True)
    rerun = batch.plan_batch(src, out, GATED, options=options)
    assert [(r.input.name, r.status) for r in rerun.settled] == [("a.png", "skipped")]
    assert [job.input.name for job in rerun.jobs] == ["slow.png"]
    assert [(r.input.name, r.status) for r in batch.run_batch(rerun, jobs=1)] == [
        ("a.png", "skipped"), ("slow.png", "ok")]
    assert not batch.read_manifest(out)["slow.png"].pending
    assert not written_mark(out / "slow.png").exists()


@pytest.mark.parametrize("n_workers", [0, 2])
def test_check_scheduler_counts_the_workers(n_workers):
    pytest.importorskip("dask.distributed")
    with local_cluster(n_workers=n_workers, threads_per_worker=1, processes=False) as cluster:
        assert batch.check_scheduler(cluster.scheduler_address) == n_workers


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_interrupt_settles_every_task_that_ran(tmp_path, dask_scheduler):
    """Tasks already running finish and are settled; the ones not started are cancelled."""
    told = []
    settled, finished = interrupted_run(
        lambda calls, settle: batch.run_dask(calls, dask_scheduler, settle,
                                             on_interrupt=told.append),
        tmp_path, (0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0))
    assert sorted(settled) == finished
    assert len(finished) < 8 and told and told[0] >= 1


def test_an_interrupt_starts_no_file_a_worker_holds_but_has_not_started(tmp_path):
    """With queuing off (worker-saturation inf), the scheduler sends every task to a
    worker at once: they are not "running", and must not all be run after Ctrl-C."""
    pytest.importorskip("dask.distributed")
    import dask

    told = []
    with dask.config.set({"distributed.scheduler.worker-saturation": float("inf")}), \
            local_cluster(n_workers=2, threads_per_worker=1, processes=False) as cluster:
        settled, finished = interrupted_run(
            lambda calls, settle: batch.run_dask(calls, cluster.scheduler_address, settle,
                                                 on_interrupt=told.append),
            tmp_path, (0.0,) + (0.5,) * 9)
    assert sorted(settled) == finished
    assert len(finished) <= 3 and told == [2]  # call0, the two running, maybe one starting


def test_an_interrupt_during_a_settle_lets_it_finish(dask_scheduler):
    """Ctrl-C landing while a finished file is being recorded stops the run after it."""
    settled = interrupted_in_settle(
        lambda calls, settle: batch.run_dask(calls, dask_scheduler, settle))
    assert sorted(settled) in ([1], [2], [1, 2])  # either may finish first; none twice


@pytest.mark.parametrize("listening", [False, True], ids=["refused", "silent"])
def test_an_unreachable_scheduler_is_a_value_error(listening):
    """Nothing on the port, or a socket that accepts and never answers."""
    pytest.importorskip("dask.distributed")
    with socket.socket() as silent:
        if listening:
            silent.bind(("127.0.0.1", 0))
            silent.listen()
            port = silent.getsockname()[1]
        else:
            port = _closed_port()
        address = f"tcp://127.0.0.1:{port}"
        # The silent socket never answers, so any timeout ends in the error: one second
        # is the shortest the client is given.
        with pytest.raises(ValueError, match=rf"scheduler='{address}': cannot connect"):
            batch.run_dask([], address, lambda i, o: None, connect_timeout=1)


def test_a_port_nothing_listens_on_is_said_at_once():
    """Refused connections were retried by the client until its timeout, and then said
    "Timed out trying to connect"; a plain connection is tried first, and refused."""
    pytest.importorskip("dask.distributed")
    port = _closed_port()
    address = f"tcp://127.0.0.1:{port}"
    with pytest.raises(ValueError) as caught:
        batch.check_scheduler(address, connect_timeout=3)
    assert str(caught.value) == (
        f"scheduler={address!r}: cannot connect (nothing listens on port {port} of "
        "127.0.0.1: connection refused); expected the address of a running dask scheduler, "
        "e.g. tcp://host:8786")


@pytest.mark.parametrize("offset", [65536, 0], ids=["above-65535", "zero"])
def test_a_port_out_of_range_is_said_so(offset):
    """Port 99999 was taken modulo 65536 by the resolver, so the error said that nothing
    listens on port 99999 (it had tried 34463), or waited for whatever listened there."""
    pytest.importorskip("dask.distributed")
    port = offset + _closed_port() if offset else 0
    address = f"tcp://127.0.0.1:{port}"
    with pytest.raises(ValueError) as caught:
        batch.check_scheduler(address, connect_timeout=3)
    assert str(caught.value) == (
        f"scheduler={address!r}: cannot connect (port {port} is not a TCP port; expected 1 "
        "to 65535); expected the address of a running dask scheduler, e.g. tcp://host:8786")


@pytest.mark.parametrize("address, port", [("tcp://127.0.0.1:notaport", "notaport"),
                                           ("tcp://[::1]:87a6", "87a6")])
def test_a_port_that_is_no_number_is_said_so(address, port):
    """The client's error was Python's: "invalid literal for int() with base 10"."""
    pytest.importorskip("dask.distributed")
    with pytest.raises(ValueError) as caught:
        batch.check_scheduler(address, connect_timeout=3)
    assert str(caught.value) == (
        f"scheduler={address!r}: cannot connect (port {port!r} is not a number; expected 1 "
        "to 65535); expected the address of a running dask scheduler, e.g. tcp://host:8786")


@pytest.mark.parametrize("told, runs", [
    # workers started before an upgrade keep the old code: every file failed on them with
    # a TypeError about the task's arguments; it said "another version of quantize", of a
    # worker that says no version
    ("protocol", "an older quantize, from before versions were compared (its batch tasks are "
                 "of protocol {older}, this machine's of protocol {protocol})"),
    # a worker that says the version, but no build: "another version of quantize" too,
    # though the version is this machine's
    ("no build", "an older build of quantize {version}, from before builds were compared (it "
                 "says no digest of its source files; this machine's is {build})"),
    ("no build, older tasks", "an older build of quantize {version}, from before builds were "
                              "compared (it says no digest of its source files; this "
                              "machine's is {build}; its batch tasks are of protocol {older}, "
                              "this machine's of protocol {protocol})"),
    # a worker of the same task protocol but another quantize was accepted, and the files
    # it made recorded as made by this one
    ("version", "quantize 0.0.9, where this machine runs quantize {version}"),
    # quantize.__version__ is the same for every build: another build passed as this one
    ("build", "a different build of quantize {version} (its source files differ from this "
              "machine's: digest 000000000000 there, {build} here)"),
])
def test_dask_refuses_workers_that_run_another_version(tmp_path, monkeypatch, told, runs):
    """Refused before the run, naming the worker (and both versions, or both builds, when
    the worker says its own): nothing is run or written."""
    pytest.importorskip("dask.distributed")
    from quantize.batch import executor_dask

    ours = executor_dask.worker_protocol()
    older = ours["protocol"] - 1
    said = {"protocol": older,  # as a quantize older than versions said it
            "no build": {"protocol": ours["protocol"], "version": ours["version"]},
            "no build, older tasks": {"protocol": older, "version": ours["version"]},
            "version": {**ours, "version": "0.0.9"},
            "build": {**ours, "build": "000000000000"}}[told]
    monkeypatch.setattr(executor_dask, "worker_protocol", lambda: said)  # the worker's code
    src = tmp_path / "in"
    src.mkdir()
    Image.new("RGB", (4, 4)).save(src / "a.png")
    out = tmp_path / "out"
    plan = batch.plan_batch(src, out, COPY)
    with _cluster_here() as (address, worker), pytest.raises(ValueError) as caught:
        batch.run_batch(plan, scheduler=address)
    runs = runs.format(version=quantize.__version__, build=ours["build"], older=older,
                       protocol=ours["protocol"])
    assert str(caught.value) == (
        f"scheduler={address!r}: the worker {worker} runs {runs}; {RESTART}")
    assert not out.exists()


def test_a_client_given_as_the_scheduler_runs_on_its_scheduler_and_stays_open(tmp_path):
    # It was refused, "TypeError: scheduler=<Client ...> should be the address of a dask
    # scheduler, ...; for a Client, pass client.scheduler.address".
    src = tmp_path / "in"
    src.mkdir()
    Image.new("RGB", (4, 4), (9, 99, 199)).save(src / "a.png")
    plan = batch.plan_batch(src, tmp_path / "out", COPY)
    refused = (r"^scheduler=<Client.* should be the address of a dask scheduler, a str such "
               r"as 'tcp://host:8786', a dask cluster \(LocalCluster\) or a Client, got "
               r"Client$")
    with _cluster_here() as (address, _):
        with distributed_client(address) as client:
            [result] = batch.run_batch(plan, scheduler=client)
            assert client.status == "running" and client.submit(sum, [1, 2]).result() == 3
        assert result.status == "ok", result.reason
        with pytest.raises(TypeError, match=refused):  # closed: it names no scheduler
            batch.run_batch(plan, scheduler=client)
    with pytest.raises(TypeError, match=refused):  # and its cluster's loop closed too
        batch.run_batch(plan, scheduler=client)


@pytest.mark.parametrize("scheduler", [8786, b"tcp://host:8786"])
def test_a_scheduler_that_is_no_address_is_refused_before_the_output_folder_is_touched(
        tmp_path, scheduler):
    src = tmp_path / "in"
    src.mkdir()
    Image.new("RGB", (4, 4), (9, 99, 199)).save(src / "a.png")
    plan = batch.plan_batch(src, tmp_path / "out", COPY)
    with pytest.raises(TypeError, match=rf"^scheduler={re.escape(repr(scheduler))} should be "
                                        rf"the address of a dask scheduler, .*, got "
                                        rf"{type(scheduler).__name__}$"):
        batch.run_batch(plan, scheduler=scheduler)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("address", ["tcp://host:8786/", "ws://host:8786/x", "host:8786/"])
def test_a_scheduler_address_with_a_path_is_a_value_error_before_the_output_folder_is_touched(
        tmp_path, address):
    """dask takes no path after the port: a final "/" failed after connecting, in Python's
    words about the port ("invalid literal for int() with base 10: '8786/'")."""
    src = tmp_path / "in"
    src.mkdir()
    Image.new("RGB", (4, 4), (9, 99, 199)).save(src / "a.png")
    plan = batch.plan_batch(src, tmp_path / "out", COPY)
    alone = address[:address.index("8786") + 4]
    with pytest.raises(ValueError) as caught:
        batch.run_batch(plan, scheduler=address)
    assert str(caught.value) == (f"scheduler={address!r}: expected the address of a dask "
                                 f"scheduler without a path or a final '/', as {alone!r}")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("address", ["tcp://host:8786", "host:8786", "inproc://10.0.0.1/7/1"])
def test_a_scheduler_address_without_a_path_is_taken_as_it_is(address):
    # an in-process cluster's address has slashes of its own
    from quantize.batch.executor_dask import check_scheduler_address

    assert check_scheduler_address(address) == address


def test_a_cluster_object_may_be_given_as_the_scheduler(tmp_path):
    pytest.importorskip("dask.distributed")
    src = tmp_path / "in"
    src.mkdir()
    Image.new("RGB", (4, 4), (9, 99, 199)).save(src / "a.png")
    plan = batch.plan_batch(src, tmp_path / "out", COPY)
    with local_cluster(n_workers=1, threads_per_worker=1, processes=False) as cluster:
        [result] = batch.run_batch(plan, scheduler=cluster)
    assert result.status == "ok", result.reason


def test_a_run_with_no_worker_gives_up_after_its_worker_timeout(monkeypatch):
    """It waited silently for as long as no worker joined (ten minutes, in one run)."""
    pytest.importorskip("dask.distributed")
    from quantize.batch import executor_dask
    from quantize.batch.calls import Call

    monkeypatch.setattr(executor_dask, "WORKER_POLL", 0.05)
    settled = []
    with local_cluster(n_workers=0, processes=False) as cluster:
        address = cluster.scheduler_address
        with pytest.raises(batch.NoWorkerError) as caught:
            batch.run_dask([Call(abs, (-1,)) for _ in range(3)], address,
                           lambda i, o: settled.append(i), worker_timeout=0.2)
    assert isinstance(caught.value, batch.SchedulerLostError)
    assert str(caught.value) == (
        f"no Dask worker was connected to {address} for worker_timeout=0.2 s: gave up on the "
        "files still to do (3 of 3); start workers and rerun the same command to finish them")
    assert settled == []


def test_a_worker_timeout_below_zero_is_refused():
    pytest.importorskip("dask.distributed")
    with pytest.raises(ValueError, match=r"^worker_timeout=-1 should be >= 0$"):
        batch.run_dask([], "tcp://127.0.0.1:1", lambda i, o: None, worker_timeout=-1)


def test_a_run_says_when_its_last_worker_leaves_and_when_one_is_back(monkeypatch):
    """Killing every worker mid-run left no line for minutes: the run now tells
    ``on_workers`` (the command warns) as the last one leaves and as one is back."""
    pytest.importorskip("dask.distributed")
    from quantize.batch import executor_dask
    from quantize.batch.calls import Call

    monkeypatch.setattr(executor_dask, "WORKER_POLL", 0.05)
    told = []
    with local_cluster(n_workers=1, threads_per_worker=1, processes=False) as cluster:
        def settle(index, outcome):  # the worker leaves once a file is done, then one joins
            if not told:
                cluster.scale(0)
                while not told:
                    time.sleep(0.05)
                cluster.scale(1)

        batch.run_dask([Call(time.sleep, (0.2,)) for _ in range(3)], cluster.scheduler_address,
                       settle, on_workers=lambda *said: told.append(said))
    assert [(n, waiting) for n, waiting, _ in told] == [(0, 2), (1, 2)]
    assert told[0][2] == 0.0 and told[1][2] > 0


def test_workers_running_with_malloc_trim_are_named(monkeypatch):
    """Dask's nanny sets MALLOC_TRIM_THRESHOLD_, which slowed the files 1.5 to 2 times."""
    pytest.importorskip("dask.distributed")
    with local_cluster(n_workers=1, threads_per_worker=1, processes=False) as cluster:
        [worker] = cluster.scheduler_info["workers"]
        monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_", raising=False)
        assert batch.workers_trimming_malloc(cluster.scheduler_address) == {}
        monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "65536")  # the worker runs in here
        assert batch.workers_trimming_malloc(cluster.scheduler_address) == {worker: "65536"}


#: Released by the test below once its question has come back: the workers' answer waits
#: for it (the function is pickled by reference, so the worker in this process sees it).
_ANSWER_HELD = threading.Event()


def _answer_late(name):
    _ANSWER_HELD.wait(60)
    return "65536"


def test_workers_that_do_not_answer_in_time_are_not_waited_for(monkeypatch):
    """The question is advice before the files go: a worker that does not answer within
    the connection's timeout (restarting, say) must not hold the batch back."""
    pytest.importorskip("dask.distributed")
    from quantize.batch import executor_dask

    _ANSWER_HELD.clear()
    with local_cluster(n_workers=1, threads_per_worker=1, processes=False) as cluster:
        monkeypatch.setattr(executor_dask, "_environment_value", _answer_late)
        try:
            seen = batch.workers_trimming_malloc(cluster.scheduler_address,
                                                 connect_timeout=3.0)
        finally:
            _ANSWER_HELD.set()
    assert seen == {}
