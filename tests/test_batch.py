"""Batch processing: discovery, output mapping, resume, failure isolation, Dask.

The machinery is tested with small job functions defined here (importable by
name from the spawned workers); the reduce and segment jobs are tested end to
end through the CLI.
"""

from __future__ import annotations

import json
import os
import signal
import warnings
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
    assert "warnings" not in ok.record

    again = batch.run_batch(batch.plan_batch(photo_tree, out, COPY, recursive=True), jobs=2)
    assert _rel(again, photo_tree, "skipped") == GOOD
    assert {p: p.stat().st_mtime_ns for p in first} == first

    forced = batch.plan_batch(photo_tree, out, COPY, recursive=True, force=True)
    assert {j.input.relative_to(photo_tree).as_posix() for j in forced.jobs} == (
        GOOD | {"sub/truncated.png"})


def test_warnings_come_back_in_the_record(photo_tree, tmp_path):
    plan = batch.plan_batch(photo_tree, tmp_path / "out", COPY, pattern="*.png",
                            options={"warn": "only 3 distinct colours"})
    [result] = batch.run_batch(plan, jobs=1)
    assert result.record["warnings"] == ["only 3 distinct colours"]


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


@pytest.fixture(scope="module")
def dask_scheduler():
    """Address of a LocalCluster of 2 single-thread worker processes.

    A task whose worker dies is not retried (allowed-failures 0), to keep tests short.
    """
    distributed = pytest.importorskip("dask.distributed")
    import dask

    with dask.config.set({"distributed.scheduler.allowed-failures": 0}), \
            distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                     dashboard_address=None) as cluster:
        yield cluster.scheduler_address


def test_dask_reports_a_file_that_kills_its_worker(tmp_path, dask_scheduler):
    src = tmp_path / "in"
    src.mkdir()
    for name in ("kill-me.png", "fine.png"):
        _crop("coffee.jpg", (0, 0, 200, 200)).save(src / name)
    plan = batch.plan_batch(src, tmp_path / "out", KILLING)
    results = batch.run_batch(plan, scheduler=dask_scheduler)
    status = {r.input.name: (r.status, r.reason) for r in results}
    assert status == {"kill-me.png": ("failed", batch.WORKER_DIED), "fine.png": ("ok", "")}


def test_dask_runs_the_same_jobs(photo_tree, tmp_path, dask_scheduler):
    plan = batch.plan_batch(photo_tree, tmp_path / "out", COPY, recursive=True)
    results = batch.run_batch(plan, scheduler=dask_scheduler)
    assert _rel(results, photo_tree, "ok") == GOOD
    assert _rel(results, photo_tree, "failed") == BAD
    for r in results:
        if r.status == "ok":
            assert np.array_equal(load_image(r.output).rgb, load_image(r.input).rgb)


# --------------------------------------------------------------------------
# The command, end to end with the real reduce and segment jobs
# --------------------------------------------------------------------------


def _cli(*args: str):
    from typer.testing import CliRunner

    from quantize.cli import app

    return CliRunner().invoke(app, ["batch", *map(str, args)])


def _palette(path: Path) -> list[int]:
    with Image.open(path) as im:
        assert im.mode == "P"
        return im.getpalette()


def test_cli_reduces_good_files_reports_bad_ones_and_resumes(photo_tree, tmp_path):
    out, report = tmp_path / "out", tmp_path / "report.json"
    first = _cli(photo_tree, "-o", out, "-r", "-k", "8", "--seed", "0", "--jobs", "2",
                 "--report", report)
    assert first.exit_code == 1, first.output
    for rel in GOOD:
        target = out / Path(rel).with_suffix(".png")
        assert len(_palette(target)) <= 8 * 3
        assert load_image(target).shape == (40, 48)
    for rel in BAD:
        assert f"failed: {photo_tree / rel}: " in first.stderr
    assert "7/7 files: 4 ok, 0 skipped, 3 failed" in first.stdout
    rows = {Path(r["input"]).relative_to(photo_tree).as_posix(): r
            for r in json.loads(report.read_text())["files"]}
    assert {k for k, r in rows.items() if r["status"] == "failed"} == BAD
    assert rows["notes.jpg"]["reason"] == "not an image Pillow can identify"
    assert rows["sub/truncated.png"]["reason"].startswith("cannot decode image")
    assert all(rows[k]["k"] == 8 and rows[k]["psnr"] > 15 for k in GOOD)
    stamps = {p: p.stat().st_mtime_ns for p in out.rglob("*.png")}

    again = _cli(photo_tree, "-o", out, "-r", "-k", "8", "--seed", "0", "--jobs", "2")
    assert again.exit_code == 1
    assert "4 skipped, 3 failed" in again.stdout
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*.png")} == stamps

    forced = _cli(photo_tree, "-o", out, "-r", "-k", "8", "--seed", "0", "--force", "-q")
    assert "4 ok, 0 skipped, 3 failed" in forced.stdout
    assert all(p.stat().st_mtime_ns != t for p, t in stamps.items())
    assert "[1/7]" not in forced.stdout  # --quiet: failures and the summary only


def test_cli_exit_0_when_all_succeed_and_csv_report(photo_tree, tmp_path):
    report = tmp_path / "r.csv"
    result = _cli(photo_tree, "-o", tmp_path / "out", "-k", "4", "--glob", "*.png",
                  "--seed", "1", "--report", report)
    assert result.exit_code == 0, result.output
    lines = report.read_text().splitlines()
    assert len(lines) == 2 and lines[1].split(",")[2] == "ok"


def test_cli_shared_palette_is_identical_across_outputs(photo_tree, tmp_path):
    out = tmp_path / "out"
    result = _cli(photo_tree, "-o", out, "-r", "-k", "6", "--seed", "0", "--shared-palette")
    assert result.exit_code == 1, result.output
    palettes = [_palette(out / Path(rel).with_suffix(".png")) for rel in GOOD]
    assert all(p == palettes[0] for p in palettes) and len(palettes[0]) == 6 * 3
    saved = json.loads((out / batch.SHARED_PALETTE_NAME).read_text())
    assert [c["rgb"] for c in saved["colors"]] == np.reshape(palettes[0], (-1, 3)).tolist()

    # A resumed run maps the remaining files onto the saved palette, whatever its seed.
    (out / "sub" / "rocket.png").unlink()
    resumed = _cli(photo_tree, "-o", out, "-r", "-k", "6", "--seed", "5", "--shared-palette")
    assert "shared palette: reusing 6 colours" in resumed.stdout
    assert _palette(out / "sub" / "rocket.png") == palettes[0]


def test_cli_segment_mode_writes_a_folder_per_image(photo_tree, tmp_path):
    out = tmp_path / "out"
    result = _cli(photo_tree, "-o", out, "--mode", "segment", "-k", "3", "-w", "xy=0.5",
                  "--min-region", "20", "--seed", "0", "--glob", "*.jpg")
    assert result.exit_code == 1, result.output   # empty.jpg and notes.jpg
    done = sorted(p.parent.name for p in out.rglob("segments.json"))
    assert done == ["astronaut"]
    with Image.open(out / "astronaut" / "labels.png") as labels:
        assert labels.size == (48, 40)


@pytest.mark.parametrize("args, match", [
    (["--mode", "paint"], "--mode='paint' is not valid; expected one of 'reduce', 'segment'"),
    (["--mode", "segment", "--dither"], "--dither does not apply to --mode segment"),
    (["-w", "texture=1"], "-w/--weight does not apply to --mode reduce"),
    (["--mode", "segment", "-w", "texture"], "-w 'texture' is not valid; expected NAME=NUMBER"),
    (["--mode", "segment", "--clusters", "1"], "-k/--colors=1 should be >= 2"),
    (["--mode", "segment", "-w", "shape=1"], "shape"),
    (["-k", "1"], "-k/--colors=1 should be >= 2"),
    (["-k", "300"], "-k/--colors=300 should be <= 256"),
    (["-k", "8", "--quality", "3"], "both given"),
    (["--space", "hsv"], "--space='hsv' is not valid"),
    (["--jobs", "0"], "--jobs=0 should be >= 1"),
    (["--jobs", "2", "--scheduler", "tcp://x:1"], "both given"),
    (["--report", "r.txt"], "expected .json or .csv"),
    (["--palette-in", "nowhere.gpl"], "--palette-in='nowhere.gpl' is not a file"),
    (["--palette-in", "p.gpl", "-k", "4"], "--palette-in='p.gpl' fixes the colours"),
    (["--max-pixels", "0"], "--max-pixels=0 should be >= 1"),
    (["--mode", "segment", "-w", "xy=1", "-w", "xy=2"], "-w xy is given twice"),
    (["--shared-palette", "--quality", "3"], "--shared-palette and --quality both given"),
])
def test_cli_usage_errors_exit_2_with_one_line(photo_tree, tmp_path, args, match):
    result = _cli(photo_tree, "-o", tmp_path / "out", *args)
    assert result.exit_code == 2, result.output
    assert match in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_cli_refuses_output_dir_equal_to_input_dir(photo_tree):
    result = _cli(photo_tree, "-o", photo_tree)
    assert result.exit_code == 2
    assert "overlaps input_dir" in result.stderr
    assert sorted(p.name for p in photo_tree.iterdir()) == [
        "README.txt", "astronaut.jpg", "chelsea.png", "empty.jpg", "notes.jpg", "sub"]


def test_cli_without_dask_says_what_to_install(photo_tree, tmp_path, monkeypatch):
    def missing():
        raise batch.MissingDependencyError(
            "--scheduler needs dask.distributed, which is not installed; "
            "install it with: pip install quantize[dask]")

    monkeypatch.setattr(batch, "_import_distributed", missing)
    for extra in ([], ["--shared-palette"]):
        result = _cli(photo_tree, "-o", tmp_path / "out", "--scheduler", "tcp://x:1", *extra)
        assert result.exit_code == 2
        assert result.stderr.strip().endswith("pip install quantize[dask]")
        assert len(result.stderr.strip().splitlines()) == 1


def test_unreachable_scheduler_is_a_value_error():
    pytest.importorskip("dask.distributed")
    with pytest.raises(ValueError, match=r"scheduler='tcp://127.0.0.1:9': cannot connect"):
        batch.run_dask([], "tcp://127.0.0.1:9", lambda i, o: None, connect_timeout=1)


def test_cli_on_a_local_dask_cluster_matches_the_local_pool_byte_for_byte(
        photo_tree, tmp_path, dask_scheduler):
    local, remote = tmp_path / "local", tmp_path / "dask"
    args = ["-r", "-k", "8", "--seed", "3", "--space", "lab", "-q"]
    assert _cli(photo_tree, "-o", local, "--jobs", "2", *args).exit_code == 1
    result = _cli(photo_tree, "-o", remote, "--scheduler", dask_scheduler, *args)
    assert result.exit_code == 1, result.output
    assert "4 ok, 0 skipped, 3 failed" in result.stdout
    made = sorted(p.relative_to(local) for p in local.rglob("*.png"))
    assert len(made) == 4
    assert made == sorted(p.relative_to(remote) for p in remote.rglob("*.png"))
    for rel in made:
        assert (local / rel).read_bytes() == (remote / rel).read_bytes()


def _big_tree(tmp_path: Path, n: int) -> Path:
    src = tmp_path / "big"
    src.mkdir()
    names = ["astronaut.jpg", "chelsea.jpg", "coffee.jpg", "rocket.jpg"]
    for i in range(n):
        with Image.open(SAMPLES / names[i % 4]) as im:
            photo = im.convert("RGB").rotate(7 * i, expand=False)
        photo.save(src / f"photo{i:02d}.png", compress_level=1)
    return src


def _start_batch(src: Path, out: Path):
    import subprocess
    import sys

    command = [sys.executable, "-c", "from quantize.cli import main; main()", "batch",
               str(src), "-o", str(out), "-k", "16", "--seed", "0", "--jobs", "2"]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _assert_complete_outputs(src: Path, out: Path) -> None:
    assert not list(out.rglob("*.part"))
    for path in src.iterdir():
        assert load_image(out / path.name).shape == load_image(path).shape


@pytest.mark.parametrize("victim", ["worker", "batch"])
def test_killing_a_process_mid_run_leaves_no_partial_file(tmp_path, victim):
    """SIGKILL a pool worker (the run recovers) or the whole batch (a rerun finishes)."""
    psutil = pytest.importorskip("psutil")
    src, out = _big_tree(tmp_path, 8), tmp_path / "out"
    proc = _start_batch(src, out)
    assert "ok" in proc.stdout.readline()          # work is under way
    workers = [p for p in psutil.Process(proc.pid).children(recursive=True)
               if "spawn_main" in " ".join(p.cmdline())]
    assert workers
    (workers[0] if victim == "worker" else proc).kill()
    stdout, stderr = proc.communicate(timeout=120)
    for path in out.glob("*.png"):                 # whatever exists is whole
        load_image(path)
    if victim == "worker":
        assert proc.returncode == 0, stderr        # the lost files were re-run
        _assert_complete_outputs(src, out)
        return
    assert proc.returncode == -signal.SIGKILL
    _, alive = psutil.wait_procs(workers, timeout=30)
    assert not alive, "pool workers should exit with the batch process"
    rerun = _start_batch(src, out)
    stdout, stderr = rerun.communicate(timeout=120)
    assert rerun.returncode == 0, stderr
    assert "skipped" in stdout
    _assert_complete_outputs(src, out)
