"""Batch processing: discovery, output mapping, resume, failure isolation, Dask.

The machinery is tested with small job functions defined here (importable by
name from the spawned workers); the reduce and segment jobs are tested end to
end through the CLI.
"""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from quantize import batch
from quantize.io import atomic_write, load_image, save_pil

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


# --------------------------------------------------------------------------
# Job functions run in worker processes
# --------------------------------------------------------------------------


def copy_job(input, output, *, force=False, **options):
    """Read an image and write it back as PNG: the smallest real per-file job."""
    image = load_image(input)
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


def thread_env_job(input, output, *, force=False, **options):
    """Report the thread settings a worker sees."""
    from threadpoolctl import threadpool_info

    Path(output).write_text("x")
    return {"env": {name: os.environ.get(name) for name in batch.THREAD_VARIABLES},
            "blas_threads": sorted({p["num_threads"] for p in threadpool_info()})}


COPY = batch.JobMode("copy", copy_job)
KILLING = batch.JobMode("copy", killing_job)


# --------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------


def _crop(name: str, box: tuple[int, int, int, int]) -> Image.Image:
    with Image.open(SAMPLES / name) as im:
        return im.convert("RGB").crop(box).resize((48, 40), Image.Resampling.BILINEAR)


@pytest.fixture
def photo_tree(tmp_path: Path) -> Path:
    """Four small real photos in two folders, three broken files and a non-image."""
    root = tmp_path / "in"
    (root / "sub").mkdir(parents=True)
    _crop("astronaut.jpg", (100, 0, 340, 200)).save(root / "astronaut.jpg", quality=90)
    _crop("chelsea.jpg", (100, 50, 340, 250)).save(root / "chelsea.png")
    _crop("coffee.jpg", (150, 100, 390, 300)).save(root / "sub" / "coffee.jpg", quality=90)
    _crop("rocket.jpg", (100, 100, 340, 300)).save(root / "sub" / "rocket.png")
    (root / "empty.jpg").write_bytes(b"")
    png = (root / "chelsea.png").read_bytes()
    (root / "sub" / "truncated.png").write_bytes(png[: len(png) // 2])
    (root / "notes.jpg").write_text("not a picture\n")
    (root / "README.txt").write_text("ignored: not an image extension\n")
    return root


GOOD = {"astronaut.jpg", "chelsea.png", "sub/coffee.jpg", "sub/rocket.png"}
BAD = {"empty.jpg", "notes.jpg", "sub/truncated.png"}


def _rel(results, root: Path, status: str) -> set[str]:
    return {r.input.relative_to(root).as_posix() for r in results if r.status == status}


# --------------------------------------------------------------------------
# Discovery and planning
# --------------------------------------------------------------------------


def test_find_images_by_extension_and_pattern(photo_tree):
    flat = batch.find_images(photo_tree)
    assert [p.name for p in flat] == ["astronaut.jpg", "chelsea.png", "empty.jpg", "notes.jpg"]
    deep = batch.find_images(photo_tree, recursive=True)
    assert {p.relative_to(photo_tree).as_posix() for p in deep} == GOOD | BAD
    only = batch.find_images(photo_tree, recursive=True, pattern="sub/*.png")
    assert [p.name for p in only] == ["rocket.png", "truncated.png"]


def test_find_images_skips_hidden_files_and_the_excluded_folder(photo_tree):
    (photo_tree / ".hidden.jpg").write_bytes(b"")
    (photo_tree / "out").mkdir()
    (photo_tree / "out" / "a.png").write_bytes(b"")
    found = batch.find_images(photo_tree, recursive=True, exclude=photo_tree / "out")
    assert {p.relative_to(photo_tree).as_posix() for p in found} == GOOD | BAD


def test_plan_mirrors_the_tree_and_rejects_non_images(photo_tree, tmp_path):
    plan = batch.plan_batch(photo_tree, tmp_path / "out", COPY, recursive=True)
    outputs = {j.input.relative_to(photo_tree).as_posix():
               j.output.relative_to(tmp_path / "out").as_posix() for j in plan.jobs}
    assert outputs == {"astronaut.jpg": "astronaut.png", "chelsea.png": "chelsea.png",
                       "sub/coffee.jpg": "sub/coffee.png", "sub/rocket.png": "sub/rocket.png",
                       "sub/truncated.png": "sub/truncated.png"}
    failed = {r.input.name: r.reason for r in plan.settled}
    assert failed == {"empty.jpg": "file is empty (0 bytes), expected an image",
                      "notes.jpg": "not an image Pillow can identify"}


def test_inputs_sharing_a_stem_keep_their_extension(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    for name in ("a.jpg", "a.png", "b.jpg"):
        Image.new("RGB", (4, 4)).save(src / name)
    plan = batch.plan_batch(src, tmp_path / "out", COPY)
    assert sorted(j.output.name for j in plan.jobs) == ["a.jpg.png", "a.png.png", "b.png"]


@pytest.mark.parametrize("out, recursive, mode, ok", [
    ("in", False, COPY, False),           # a.png would overwrite / be re-read
    ("in/out", True, COPY, True),         # inside, excluded from the search
    ("in/out", False, COPY, True),
    ("in", False, batch.JobMode("seg", copy_job, suffix="", marker="s.json"), True),
    ("in", True, batch.JobMode("seg", copy_job, suffix="", marker="s.json"), False),
    (".", True, COPY, False),             # in/in/x.png would map onto in/x.png's folder
])
def test_output_dir_overlapping_input_dir(tmp_path, out, recursive, mode, ok):
    src = tmp_path / "in"
    (src / "in").mkdir(parents=True)
    Image.new("RGB", (4, 4)).save(src / "a.png")
    Image.new("RGB", (4, 4)).save(src / "in" / "x.png")
    if ok:
        batch.plan_batch(src, tmp_path / out, mode, recursive=recursive)
    else:
        with pytest.raises(ValueError, match="overlaps input_dir"):
            batch.plan_batch(src, tmp_path / out, mode, recursive=recursive)


def test_plan_refuses_a_file_as_output_dir(photo_tree):
    with pytest.raises(ValueError, match="is an existing file"):
        batch.plan_batch(photo_tree, photo_tree / "notes.jpg", COPY)


def test_missing_input_dir_is_a_value_error(tmp_path):
    with pytest.raises(ValueError, match="is not a folder"):
        batch.plan_batch(tmp_path / "nope", tmp_path / "out", COPY)


# --------------------------------------------------------------------------
# Running locally
# --------------------------------------------------------------------------


def test_run_isolates_failures_and_resumes(photo_tree, tmp_path):
    out = tmp_path / "out"
    plan = batch.plan_batch(photo_tree, out, COPY, recursive=True, options={"seed": 1})
    seen = []
    results = batch.run_batch(plan, jobs=2, on_result=seen.append)
    assert sorted(map(id, seen)) == sorted(map(id, results))
    assert _rel(results, photo_tree, "ok") == GOOD
    assert _rel(results, photo_tree, "failed") == BAD
    truncated = next(r for r in results if r.input.name == "truncated.png")
    assert "cannot decode image" in truncated.reason and str(photo_tree) not in truncated.reason
    for r in results:
        assert r.output.exists() == (r.status == "ok")
    first = {r.output: r.output.stat().st_mtime_ns for r in results if r.status == "ok"}
    ok = next(r for r in results if r.status == "ok")
    assert ok.record["options"] == ["seed"]

    again = batch.run_batch(batch.plan_batch(photo_tree, out, COPY, recursive=True), jobs=2)
    assert _rel(again, photo_tree, "skipped") == GOOD
    assert {p: p.stat().st_mtime_ns for p in first} == first

    forced = batch.plan_batch(photo_tree, out, COPY, recursive=True, force=True)
    assert {j.input.relative_to(photo_tree).as_posix() for j in forced.jobs} == (
        GOOD | {"sub/truncated.png"})


def test_a_killed_worker_fails_only_its_file_and_leaves_no_partial_file(photo_tree, tmp_path):
    (photo_tree / "sub" / "truncated.png").unlink()
    _crop("rocket.jpg", (0, 0, 240, 200)).save(photo_tree / "kill-me.png")
    out = tmp_path / "out"
    plan = batch.plan_batch(photo_tree, out, KILLING, recursive=True)
    results = batch.run_batch(plan, jobs=2)
    killed = next(r for r in results if r.input.name == "kill-me.png")
    assert (killed.status, killed.reason) == ("failed", batch.WORKER_DIED)
    assert _rel(results, photo_tree, "ok") == GOOD
    assert not (out / "kill-me.png").exists()
    leftovers = list(out.glob(".kill-me.png.*.part"))
    assert leftovers, "the killed write should have left its temporary file"

    # The rerun removes the temporary file and finishes the job.
    rerun = batch.run_batch(batch.plan_batch(photo_tree, out, COPY, recursive=True), jobs=2)
    assert [r.input.name for r in rerun if r.status == "ok"] == ["kill-me.png"]
    assert not any(out.rglob("*.part"))
    assert load_image(out / "kill-me.png").shape == (40, 48)


def test_workers_run_with_one_thread(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    Image.new("RGB", (4, 4)).save(src / "a.png")
    before = {name: os.environ.get(name) for name in batch.THREAD_VARIABLES}
    plan = batch.plan_batch(src, tmp_path / "out", batch.JobMode("env", thread_env_job))
    [result] = batch.run_batch(plan, jobs=1)
    assert result.status == "ok", result.reason
    assert set(result.record["env"].values()) == {"1"}
    assert result.record["blas_threads"] in ([], [1])
    assert {name: os.environ.get(name) for name in batch.THREAD_VARIABLES} == before


def test_jobs_must_be_positive(photo_tree, tmp_path):
    plan = batch.plan_batch(photo_tree, tmp_path / "out", COPY)
    with pytest.raises(ValueError, match="jobs=0 should be >= 1"):
        batch.run_batch(plan, jobs=0)


# --------------------------------------------------------------------------
# Reports
# --------------------------------------------------------------------------


def _results(tmp_path):
    return [batch.FileResult(tmp_path / "a.jpg", tmp_path / "a.png", "ok", "",
                             {"k": 16, "psnr": 31.5, "seconds": 0.2, "n_regions": 3}),
            batch.FileResult(tmp_path / "b.jpg", tmp_path / "b.png", "failed", "not an image")]


def test_report_json_and_csv(tmp_path):
    summary = batch.BatchSummary(total=2, ok=1, failed=1, seconds=1.5)
    batch.write_report(tmp_path / "r.json", _results(tmp_path), summary)
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["summary"]["failed"] == 1
    assert data["files"][0]["psnr"] == 31.5 and data["files"][1]["reason"] == "not an image"

    batch.write_report(tmp_path / "r.csv", _results(tmp_path), summary)
    lines = (tmp_path / "r.csv").read_text().splitlines()
    assert lines[0] == ",".join(batch.REPORT_COLUMNS) + ",n_regions"
    assert lines[2].split(",")[2:4] == ["failed", "not an image"]


def test_report_extension_is_checked(tmp_path):
    with pytest.raises(ValueError, match=r"report=.*expected \.json or \.csv"):
        batch.check_report_path(tmp_path / "r.txt")


# --------------------------------------------------------------------------
# Dask
# --------------------------------------------------------------------------


def test_missing_dask_gives_one_line_install_hint(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_dask(name, *args, **kwargs):
        if name.startswith("dask"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_dask)
    with pytest.raises(batch.MissingDependencyError, match=r"pip install quantize\[dask\]"):
        batch.run_dask([], "tcp://127.0.0.1:1", lambda i, o: None)


def test_dask_runs_the_same_jobs(photo_tree, tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster:
        plan = batch.plan_batch(photo_tree, tmp_path / "out", COPY, recursive=True)
        results = batch.run_batch(plan, scheduler=cluster.scheduler_address)
    assert _rel(results, photo_tree, "ok") == GOOD
    assert _rel(results, photo_tree, "failed") == BAD
    for r in results:
        if r.status == "ok":
            assert np.array_equal(load_image(r.output).rgb, load_image(r.input).rgb)
