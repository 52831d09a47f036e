"""quantize.batch.run: failure isolation, resume, warnings, stale temporary files."""

from __future__ import annotations

import json
import os
import time
import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from quantize import batch
from quantize.batch.calls import Call, Outcome, run_isolated
from quantize.batch.run import call_with_warnings, file_result
from quantize.errors import ExitCode, ResultTooLargeError
from quantize.io import load_image

from .batch_support import (
    BAD,
    COPY,
    GATED,
    GOOD,
    KILLING,
    KILLING_FOLDER,
    crop,
    left_unfinished_folder,
    link_to_sub,
    make_photo_tree,
    rel,
)
from .fs_support import refuse_mkdir, symlink_or_skip


@pytest.fixture
def photo_tree(tmp_path):
    return make_photo_tree(tmp_path / "in")


SENTINEL = b"left alone"


def test_files_abandoned_by_a_second_interrupt_are_named_by_their_inputs(
        photo_tree, tmp_path, monkeypatch):
    """A second interrupt stopped the jobs in progress and was raised as any Ctrl-C: the
    caller could not tell them from the files never started. It is raised as
    FilesAbandoned, naming their inputs; nothing of theirs is recorded."""
    from quantize.batch import run as run_module
    from quantize.batch.calls import CallsAbandoned

    out = tmp_path / "out"
    plan = batch.plan_batch(photo_tree, out, COPY, recursive=True)

    def abandoned(calls, settle, **kwargs):
        settle(0, run_isolated(calls[0]))
        raise CallsAbandoned([2])

    monkeypatch.setattr(run_module, "run_calls", abandoned)
    settled = []
    with pytest.raises(batch.FilesAbandoned) as caught:
        batch.run_batch(plan, jobs=1, on_result=settled.append)
    assert isinstance(caught.value, KeyboardInterrupt)
    assert caught.value.inputs == [plan.jobs[2].input]
    assert plan.jobs[0].input in {r.input for r in settled}
    assert plan.jobs[2].input not in {r.input for r in settled}
    assert sorted(batch.read_manifest(out)) == [plan.jobs[0].output.name]


def test_run_isolates_failures_and_resumes(photo_tree, tmp_path):
    out = tmp_path / "out"
    plan = batch.plan_batch(photo_tree, out, COPY, recursive=True, options={"seed": 1})
    seen = []
    results = batch.run_batch(plan, jobs=2, on_result=seen.append)
    assert sorted(map(id, seen)) == sorted(map(id, results))
    assert rel(results, photo_tree, "ok") == GOOD
    assert rel(results, photo_tree, "failed") == BAD
    truncated = next(r for r in results if r.input.name == "truncated.png")
    assert truncated.reason.startswith("cannot decode image")
    assert str(photo_tree) not in truncated.reason
    for r in results:  # a failed file names no output, as none is there
        assert (r.output is None) == (r.status == "failed")
        assert r.output is None or r.output.exists()
    ok = next(r for r in results if r.status == "ok")
    assert ok.record["options"] == ["seed"] and "warnings" not in ok.record

    # A rerun with the same options leaves finished outputs alone (their content
    # proves it) and reports the records of the run that made them ...
    # (the same size: an output of another size is redone, changed since it was made)
    marks = {r.output: SENTINEL.ljust(r.output.stat().st_size, b".")
             for r in results if r.status == "ok"}
    for output, mark in marks.items():
        output.write_bytes(mark)
    again = batch.run_batch(batch.plan_batch(photo_tree, out, COPY, recursive=True,
                                             options={"seed": 1}), jobs=2)
    assert rel(again, photo_tree, "skipped") == GOOD
    assert all(output.read_bytes() == mark for output, mark in marks.items())
    made = {r.input: r.record for r in results if r.status == "ok"}
    assert {r.input: r.record for r in again if r.status == "skipped"} == made

    # ... refuses to skip them with other options ...
    with pytest.raises(batch.OptionsChangedError) as err:
        batch.plan_batch(photo_tree, out, COPY, recursive=True, options={"seed": 2})
    assert (err.value.count, err.value.before, err.value.now) == (4, {"seed": 1}, {"seed": 2})
    assert int(err.value.exit_code) == 15

    # ... and --force redoes them.
    forced = batch.plan_batch(photo_tree, out, COPY, recursive=True, force=True)
    assert {j.input.relative_to(photo_tree).as_posix() for j in forced.jobs} == (
        GOOD | {"sub/truncated.png"})
    batch.run_batch(forced, jobs=2)
    assert all(load_image(r.output).shape == (40, 48) for r in results if r.status == "ok")
    entries = batch.read_manifest(out)
    assert sorted(entries) == ["astronaut.png", "chelsea.png", "sub/coffee.png",
                               "sub/rocket.png"]
    assert all(e.settings == {"shared_palette": False} for e in entries.values())


@pytest.mark.parametrize("shared", [False, True])
def test_each_reduced_file_keeps_its_own_resolution(tmp_path, shared):
    # The files of a batch, reduced by reduce_file's job, all lost it as a single file did.
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    crop("astronaut.jpg", (0, 0, 40, 30)).save(src / "scan.png", dpi=(300, 150))
    crop("coffee.jpg", (0, 0, 40, 30)).save(src / "photo.jpg")  # JFIF 1:1, no unit
    plan = batch.plan_batch(src, out, batch.reduce_mode(), shared_palette=shared,
                            options={"n_colors": 4, "seed": 0})
    if shared:
        plan = batch.shared_palette(plan, samples_per_file=100, jobs=1).plan
    assert [r.status for r in batch.run_batch(plan, jobs=1)] == ["ok", "ok"]
    assert load_image(out / "scan.png").dpi == (300.0, 150.0)
    with Image.open(out / "photo.png") as im:
        assert "dpi" not in im.info


def test_only_files_that_succeed_are_recorded_as_they_settle(photo_tree, tmp_path):
    out = tmp_path / "out"
    plan = batch.plan_batch(photo_tree, out, COPY, recursive=True, options={"seed": 1})
    recorded = []
    batch.run_batch(plan, jobs=1, on_result=lambda r: recorded.append(
        (r.input.name, sorted(batch.read_manifest(out)))))
    lines = (out / batch.MANIFEST_NAME).read_text().splitlines()
    done = [item["output"] for item in map(json.loads, lines) if "record" in item]
    assert len(done) == 4                       # the truncated PNG failed: not recorded
    assert ("rocket.png", ["astronaut.png", "chelsea.png", "sub/coffee.png",
                           "sub/rocket.png"]) in recorded
    entry = batch.read_manifest(out)["sub/coffee.png"]
    assert entry.settings == {"seed": 1, "shared_palette": False}
    assert entry.record["k"] == 0 and entry.record["options"] == ["seed"]


def test_a_failed_segment_job_leaves_no_output_folder(photo_tree, tmp_path):
    out = tmp_path / "out"
    plan = batch.plan_batch(photo_tree, out, batch.segment_mode(), recursive=True,
                            pattern="sub/*", options={"n_clusters": 2, "seed": 0})
    results = {r.input.name: r for r in batch.run_batch(plan, jobs=1)}
    assert results["truncated.png"].status == "failed"
    assert sorted(p.name for p in (out / "sub").iterdir()) == ["coffee", "rocket"]
    assert (out / "sub" / "coffee" / "segments.json").is_file()


def test_warnings_come_back_in_the_record(photo_tree, tmp_path):
    plan = batch.plan_batch(photo_tree, tmp_path / "out", COPY, pattern="*.png",
                            options={"warn": "only 3 distinct colours"})
    [result] = batch.run_batch(plan, jobs=1)
    assert result.record["warnings"] == ["only 3 distinct colours"]


def test_fewer_colours_than_asked_is_a_field_of_the_record_and_of_the_manifest_not_a_warning(
        tmp_path):
    """A sprite of fewer colours than n_colors came back with the library's warning in its
    record, said as a warning line per file: a lossless result is no fault."""
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    two = np.zeros((4, 4, 3), np.uint8)
    two[:, 2:] = (255, 0, 0)
    Image.fromarray(two).save(src / "two.png")
    crop("coffee.jpg", (0, 0, 16, 16)).save(src / "photo.png")
    plan = batch.plan_batch(src, out, batch.reduce_mode(), options={"n_colors": 4, "seed": 0})
    results = {r.input.name: r.record for r in batch.run_batch(plan, jobs=1)}
    assert [(name, record.get(batch.FEWER_COLORS), "warnings" in record, "notes" in record)
            for name, record in sorted(results.items())] == [
        ("photo.png", None, False, False), ("two.png", True, False, False)]
    recorded = batch.read_manifest(out)
    assert (recorded["two.png"].record[batch.FEWER_COLORS],
            batch.FEWER_COLORS in recorded["photo.png"].record) == (True, False)


def _warns_per_frame() -> dict:
    for message in ("its ICC colour profile cannot be read", "other", "other", "other"):
        warnings.warn(message, UserWarning, stacklevel=1)
    return {"k": 2}


def test_a_warning_raised_again_comes_back_once():
    """A warning of every frame of an animation came back once per frame (and pass)."""
    assert call_with_warnings(_warns_per_frame) == {
        "k": 2, "warnings": ["its ICC colour profile cannot be read", "other"]}


def _warns_then_fails() -> dict:
    warnings.warn("only 1 distinct colour", UserWarning, stacklevel=1)
    raise ResultTooLargeError("result (83 bytes) is larger than the input (78 bytes)",
                              path="a.png")


def test_the_warnings_of_a_call_that_fails_come_back_with_its_failure(tmp_path):
    """A file skipped as larger (or failed) lost the warnings raised before its error."""
    outcome = run_isolated(Call(call_with_warnings, (_warns_then_fails,)))
    assert (outcome.ok, outcome.exit_code, outcome.warnings) == (
        False, ExitCode.TOO_LARGE, ("only 1 distinct colour",))
    result = file_result(tmp_path / "a.png", None, outcome)
    assert (result.status, result.record["warnings"]) == ("failed", ["only 1 distinct colour"])


def test_a_job_clears_what_a_stopped_worker_left_of_its_written_mark(photo_tree, tmp_path):
    # A pool that breaks stops its other workers wherever they are: one stopped while it
    # wrote the mark beside its finished output left the mark's temporary file, which the
    # job, run again, clears as it clears its output's.
    import subprocess
    import sys

    ended = subprocess.Popen([sys.executable, "-c", ""])
    ended.wait()
    out = tmp_path / "out"
    out.mkdir()
    left = out / f"..chelsea.png.quantize-written.{ended.pid}-k2_9x0ab.part"
    left.write_text('{"size": 1')
    plan = batch.plan_batch(photo_tree, out, COPY, recursive=True)
    results = batch.run_batch(plan, jobs=1)
    assert "chelsea.png" in [r.input.name for r in results if r.status == "ok"]
    assert not left.exists()
    assert not any(out.rglob("*.part"))


def test_a_killed_worker_fails_only_its_file_and_a_rerun_clears_its_temporary_file(
        photo_tree, tmp_path):
    (photo_tree / "sub" / "truncated.png").unlink()
    crop("rocket.jpg", (0, 0, 240, 200)).save(photo_tree / "kill-me.png")
    out = tmp_path / "out"
    plan = batch.plan_batch(photo_tree, out, KILLING, recursive=True)
    results = batch.run_batch(plan, jobs=2)
    killed = next(r for r in results if r.input.name == "kill-me.png")
    assert (killed.status, killed.reason) == ("failed", batch.WORKER_DIED)
    assert rel(results, photo_tree, "ok") == GOOD
    assert not (out / "kill-me.png").exists()
    assert len(list(out.glob(".kill-me.png.*.part"))) == 1   # the killed write's

    rerun = batch.run_batch(batch.plan_batch(photo_tree, out, COPY, recursive=True), jobs=2)
    assert [r.input.name for r in rerun if r.status == "ok"] == ["kill-me.png"]
    assert not any(out.rglob("*.part"))
    assert load_image(out / "kill-me.png").shape == (40, 48)


def _losing_a_job(tmp_path):
    """in/kill-me.png, whose job dies once its folder is made, and in/fine.png."""
    src = tmp_path / "in"
    src.mkdir()
    for name in ("kill-me.png", "fine.png"):
        crop("rocket.jpg", (0, 0, 40, 40)).save(src / name)
    return src, tmp_path / "out"


def test_the_folder_a_job_whose_worker_died_made_is_not_left_behind(tmp_path):
    # out/kill-me/ stayed, empty but for the dead worker's temporary file, until a rerun
    # filled it.
    src, out = _losing_a_job(tmp_path)
    (out / "kill-me").mkdir(parents=True)  # as a killed run left it: made again, then removed
    results = batch.run_batch(batch.plan_batch(src, out, KILLING_FOLDER), jobs=1)
    assert [(r.input.name, r.status, r.reason) for r in results] == [
        ("fine.png", "ok", ""), ("kill-me.png", "failed", batch.WORKER_DIED)]
    assert sorted(p.name for p in out.iterdir()) == [".quantize-batch.jsonl", "fine"]


def test_a_folder_holding_other_files_is_left_by_a_lost_job(tmp_path):
    src, out = _losing_a_job(tmp_path)
    (out / "kill-me").mkdir(parents=True)
    (out / "kill-me" / "notes.txt").write_text("mine")
    batch.run_batch(batch.plan_batch(src, out, KILLING_FOLDER), jobs=1)
    assert [p.name for p in (out / "kill-me").iterdir()] == ["notes.txt"]


def test_a_failure_names_a_file_only_when_it_is_not_the_input(tmp_path):
    src, dst = tmp_path / "a.jpg", tmp_path / "a.png"
    same = Outcome.failure("not an image", path=str(src))
    other = Outcome.failure("folder is not writable", path=str(tmp_path / "x"),
                            exit_code=ExitCode.FAILED)
    nameless = Outcome.failure("out of memory")
    assert file_result(src, dst, same).reason == "not an image"
    assert file_result(src, dst, other).reason == f"{tmp_path / 'x'}: folder is not writable"
    assert file_result(src, dst, nameless).reason == "out of memory"
    timed = Outcome.failure("not an image", 0.0015209140001388732)
    assert file_result(src, dst, timed).record == {"seconds": 0.0015}


def test_a_jobs_exit_code_reaches_the_result(tmp_path):
    from quantize.errors import OutputExistsError

    outcome = Outcome.failure("output exists", path=str(tmp_path / "a.png"),
                              exit_code=OutputExistsError.exit_code)
    result = file_result(tmp_path / "a.jpg", tmp_path / "a.png", outcome)
    assert result.status == "failed" and result.exit_code is ExitCode.EXISTS
    assert result.reason == f"{tmp_path / 'a.png'}: output exists"


def test_jobs_must_be_positive(photo_tree, tmp_path):
    plan = batch.plan_batch(photo_tree, tmp_path / "out", COPY)
    with pytest.raises(ValueError, match="jobs=0 should be >= 1"):
        batch.run_batch(plan, jobs=0)


def test_settled_files_are_reported_first(photo_tree, tmp_path):
    plan = batch.plan_batch(photo_tree, tmp_path / "out", COPY)
    seen: list[Path] = []
    batch.run_batch(plan, jobs=1, on_result=lambda r: seen.append(r.input.name))
    assert seen[:2] == ["empty.jpg", "notes.jpg"]
    assert sorted(seen[2:]) == ["astronaut.jpg", "chelsea.png"]


def _truncated_png(path: Path) -> None:
    """A PNG whose header opens (so it is planned) but whose pixels are cut short."""
    path.parent.mkdir(parents=True, exist_ok=True)
    crop("coffee.jpg", (0, 0, 64, 64)).save(path)
    path.write_bytes(path.read_bytes()[:200])


def test_folders_whose_files_all_failed_are_not_left_behind(tmp_path):
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    crop("coffee.jpg", (0, 0, 64, 64)).save(src / "ok.png")
    _truncated_png(src / "broken" / "deep" / "a.png")
    plan = batch.plan_batch(src, out, COPY, recursive=True)
    assert len(plan.jobs) == 2
    results = {r.input.name: r.status for r in batch.run_batch(plan, jobs=1)}
    assert results == {"ok.png": "ok", "a.png": "failed"}
    assert sorted(p.name for p in out.iterdir()) == [".quantize-batch.jsonl", "ok.png"]


def test_a_run_where_every_file_failed_leaves_no_output_folder(tmp_path):
    src, out = tmp_path / "in", tmp_path / "out" / "sub"
    _truncated_png(src / "a.png")
    [result] = batch.run_batch(batch.plan_batch(src, out, COPY), jobs=1)
    assert result.status == "failed"
    assert not (tmp_path / "out").exists()


def test_folders_that_existed_are_kept_even_when_empty(tmp_path):
    src, out = tmp_path / "in", tmp_path / "out"
    _truncated_png(src / "a.png")
    out.mkdir()
    batch.run_batch(batch.plan_batch(src, out, COPY), jobs=1)
    assert out.is_dir() and not list(out.iterdir())


def _writes_read_only_files(folder: Path) -> bool:
    """Whether this process may write a file without write permission (root may)."""
    probe = folder / "probe"
    probe.write_text("")
    probe.chmod(0o444)
    try:
        with open(probe, "a"):
            return True
    except PermissionError:
        return False
    finally:
        probe.chmod(0o644)
        probe.unlink()


def test_a_manifest_that_cannot_be_appended_to_stops_the_run_before_any_file(photo_tree,
                                                                             tmp_path):
    from quantize.errors import OutputError

    if _writes_read_only_files(tmp_path):
        pytest.skip("this process writes read-only files (root)")
    out = tmp_path / "out"
    batch.run_batch(batch.plan_batch(photo_tree, out, COPY, pattern="astronaut.jpg"), jobs=1)
    manifest = out / batch.MANIFEST_NAME
    manifest.chmod(0o444)
    try:
        plan = batch.plan_batch(photo_tree, out, COPY, recursive=True)
        with pytest.raises(OutputError) as err:
            batch.run_batch(plan, jobs=1)
    finally:
        manifest.chmod(0o644)
    assert str(err.value) == (f"{manifest}: cannot add to the record of finished outputs "
                              "(Permission denied); no file was processed")
    assert [p.name for p in out.rglob("*.png")] == ["astronaut.png"]


@pytest.mark.parametrize("mode", ["reduce", "segment"])
def test_an_output_the_manifest_cannot_record_is_removed_and_the_run_stops(tmp_path,
                                                                           monkeypatch, mode):
    """The file was failed but its output was left in place, unrecorded: a rerun skipped it
    as made by no run, without its metrics."""
    from PIL import Image

    from quantize.errors import OutputError

    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    for i, name in enumerate(("a.png", "b.png")):
        Image.fromarray(np.full((4, 4, 3), 90 * i, np.uint8)).save(src / name)
    job = batch.reduce_mode() if mode == "reduce" else batch.segment_mode()
    options = {"n_colors": 2} if mode == "reduce" else {"regions": 1}
    real = batch.run.record_output

    def full_after_the_first(folder, output, *args, **kwargs):
        if Path(output).name.startswith("b"):
            raise OutputError("cannot add 'b' to the record (No space left on device)",
                              path=folder / batch.MANIFEST_NAME)
        real(folder, output, *args, **kwargs)

    monkeypatch.setattr(batch.run, "record_output", full_after_the_first)
    seen = []
    with pytest.raises(batch.NotRecordedError) as err:
        batch.run_batch(batch.plan_batch(src, out, job, options=options), jobs=1,
                        on_result=seen.append)
    assert (err.value.input, str(err.value)) == (src / "b.png", f"{out / batch.MANIFEST_NAME}: "
                                                 "cannot add 'b' to the record (No space left "
                                                 "on device)")
    failed = seen[-1]
    assert (failed.input, failed.output, failed.status, failed.reason) == (
        src / "b.png", None, "failed", f"{err.value}; the run stopped, and this file's output, "
        "unrecorded, was removed")
    assert sorted(p.name for p in out.iterdir()) == [batch.MANIFEST_NAME, "a" + job.suffix]
    monkeypatch.setattr(batch.run, "record_output", real)  # a rerun makes it, recorded
    again = batch.run_batch(batch.plan_batch(src, out, job, options=options), jobs=1)
    assert [(r.input.name, r.status) for r in again] == [("a.png", "skipped"), ("b.png", "ok")]
    assert set(batch.read_manifest(out)) == {"a" + job.suffix, "b" + job.suffix}


def test_a_stop_names_the_outputs_other_workers_finished_unrecorded(tmp_path, monkeypatch):
    """-j 2: the run stopped at a.png's record, and the worker finishing slow.png wrote its
    output and mark after, which nothing said; the error now holds it (left pending, the
    next run makes it again)."""
    from PIL import Image

    from quantize.batch.manifest import written_mark
    from quantize.errors import OutputError

    src, out, control = tmp_path / "in", tmp_path / "out", tmp_path / "control"
    for folder in (src, control):
        folder.mkdir()
    for name in ("a.png", "slow.png"):
        Image.new("RGB", (4, 4), (len(name), 90, 200)).save(src / name)
    plan = batch.plan_batch(src, out, GATED, options={"control": str(control)})

    def full(folder, output, *args, **kwargs):  # once slow.png is half-written
        while not (control / "started-slow.png").exists():
            time.sleep(0.05)
        (control / "release").touch()
        raise OutputError("cannot add to the record (No space left on device)",
                          path=folder / batch.MANIFEST_NAME)

    monkeypatch.setattr(batch.run, "record_output", full)
    with pytest.raises(batch.NotRecordedError) as err:
        batch.run_batch(plan, jobs=2)
    assert (err.value.input, err.value.left) == (src / "a.png", (out / "slow.png",))
    assert written_mark(out / "slow.png").exists()
    assert sorted(p.name for p in out.iterdir()) == sorted([
        ".slow.png.quantize-written", batch.MANIFEST_NAME, "slow.png"])
    monkeypatch.undo()
    again = batch.run_batch(batch.plan_batch(src, out, GATED,
                                             options={"control": str(control)}), jobs=1)
    assert [(r.input.name, r.status, bool(r.reason)) for r in again] == [
        ("a.png", "ok", False), ("slow.png", "ok", True)]  # made again: "redone: ..."
    assert sorted(p.name for p in out.iterdir()) == [batch.MANIFEST_NAME, "a.png", "slow.png"]


def test_an_output_folder_that_cannot_be_written_stops_the_run_before_any_file(
        photo_tree, tmp_path, monkeypatch):
    """Every file failed on its own line ('output folder out is not writable'), a
    thousand lines for a thousand files."""
    from quantize.errors import OutputError

    out = tmp_path / "out"
    out.mkdir()
    plan = batch.plan_batch(photo_tree, out, COPY, recursive=True)
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode, **kw: (
        Path(p) != out and real_access(p, mode, **kw)))  # as a read-only mount gives it
    with pytest.raises(OutputError) as err:
        batch.run_batch(plan, jobs=1)
    assert str(err.value) == f"{out}: output folder is not writable; no file was processed"
    assert list(out.iterdir()) == []


@pytest.mark.parametrize("force", [False, True])
def test_an_output_folder_with_a_manifest_that_cannot_be_written_stops_the_run_before_any_file(
        photo_tree, tmp_path, monkeypatch, force):
    """Only a folder without a manifest was asked: with an earlier run's manifest there (a
    file that can be added to), every job ran and failed on its own line, 'output folder
    out is not writable'."""
    from quantize.errors import OutputError

    out = tmp_path / "out"
    batch.run_batch(batch.plan_batch(photo_tree, out, COPY, pattern="astronaut.jpg"), jobs=1)
    made = (out / "astronaut.png").read_bytes()
    plan = batch.plan_batch(photo_tree, out, COPY, recursive=True, force=force)
    assert plan.jobs and ("astronaut.jpg" in {j.input.name for j in plan.jobs}) == force
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode, **kw: (
        Path(p) != out and real_access(p, mode, **kw)))  # as a read-only folder gives it
    with pytest.raises(OutputError) as err:
        batch.run_batch(plan, jobs=1, on_result=lambda r: pytest.fail(f"{r.input} was reported"))
    assert str(err.value) == f"{out}: output folder is not writable; no file was processed"
    assert {p.name: p.read_bytes() for p in out.iterdir()
            if p.name != batch.MANIFEST_NAME} == {"astronaut.png": made}
    assert set(batch.read_manifest(out)) == {"astronaut.png"}  # compacted only, as it may be


def test_an_output_folder_that_cannot_be_made_is_named_and_leaves_no_folder(
        photo_tree, tmp_path, monkeypatch):
    """The system's error came alone ('quantize: error: out/sub: Read-only file system'), and
    the folders made before it were left behind, empty."""

    from quantize.errors import OutputError

    out = tmp_path / "out"
    plan = batch.plan_batch(photo_tree, out, COPY, recursive=True)
    refuse_mkdir(monkeypatch, out / "sub")
    with pytest.raises(OutputError) as err:
        batch.run_batch(plan, jobs=1)
    assert str(err.value) == (f"{out / 'sub'}: output folder {out / 'sub'} cannot be created "
                              "(Read-only file system); no file was processed")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in"]


def test_a_file_where_the_output_folder_goes_is_named(photo_tree, tmp_path):
    """mkdir said only "Not a directory" (out a file, naming out/sub): the file in the way
    is named instead, and no file can be processed."""
    from quantize.errors import OutputError

    out = tmp_path / "out"
    plan = batch.plan_batch(photo_tree, out, COPY, recursive=True)
    out.write_bytes(b"a file")
    with pytest.raises(OutputError) as err:
        batch.run_batch(plan, jobs=1)
    assert f"cannot be created ({out} is a file); no file was processed" in str(err.value)
    assert out.read_bytes() == b"a file"


def test_a_file_where_a_sub_folder_of_outputs_goes_fails_only_the_files_under_it(
        photo_tree, tmp_path):
    """mkdir said only "File exists" (out/sub a file), and the whole run stopped on it, no
    file processed: the files whose outputs go under it now fail, naming that file, before
    the jobs, which run; nothing of theirs is recorded, and the file is left as it was."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "sub").write_bytes(b"a file")
    plan = batch.plan_batch(photo_tree, out, COPY, recursive=True)
    reported = []
    results = batch.run_batch(plan, jobs=1, on_result=reported.append)
    assert reported == results
    failed = {r.input.relative_to(photo_tree).as_posix(): (r.output, r.reason, r.exit_code)
              for r in results if r.status == "failed"}
    assert {name: failed[name] for name in ("sub/coffee.jpg", "sub/rocket.png")} == {
        f"sub/{name}.{ext}": (None, f"{out / 'sub' / name}.png: output folder {out / 'sub'} "
                              f"cannot be created ({out / 'sub'} is a file)", ExitCode.FAILED)
        for name, ext in (("coffee", "jpg"), ("rocket", "png"))}
    assert set(failed) == {"sub/coffee.jpg", "sub/rocket.png"} | BAD
    assert rel(results, photo_tree, "ok") == {"astronaut.jpg", "chelsea.png"}
    assert (out / "sub").read_bytes() == b"a file"
    assert set(batch.read_manifest(out, pending=True)) == {"astronaut.png", "chelsea.png"}


def test_a_run_whose_output_folder_cannot_be_made_reports_no_file(photo_tree, tmp_path,
                                                                   monkeypatch):
    """The files settled at planning (empty.jpg, notes.jpg) were reported as failed before the run
    stopped on the output folder: an error line for a file, then "no file was processed"."""

    from quantize.errors import OutputError

    out = tmp_path / "out"
    plan = batch.plan_batch(photo_tree, out, COPY)
    assert sorted(r.input.name for r in plan.settled) == ["empty.jpg", "notes.jpg"]
    refuse_mkdir(monkeypatch, out)
    reported = []
    with pytest.raises(OutputError, match="cannot be created .*; no file was processed$"):
        batch.run_batch(plan, jobs=1, on_result=reported.append)
    assert reported == []


def _edit(path: Path, box: tuple[int, int, int, int]) -> None:
    """Write another picture over ``path``, as a photo editor saving in place does."""
    crop("coffee.jpg", box).save(path, format="PNG" if path.suffix == ".png" else "JPEG")


def test_an_input_changed_since_its_output_was_made_is_redone_and_said_so(photo_tree, tmp_path):
    out = tmp_path / "out"
    batch.run_batch(batch.plan_batch(photo_tree, out, COPY, recursive=True), jobs=1)
    edited, touched = photo_tree / "chelsea.png", photo_tree / "astronaut.jpg"
    _edit(edited, (0, 0, 120, 100))
    stamp = batch.read_manifest(out)["astronaut.png"].input
    later = stamp["mtime_ns"] + 10**9
    os.utime(touched, ns=(later, later))        # same bytes at another time: not a change

    plan = batch.plan_batch(photo_tree, out, COPY, recursive=True)
    assert {(j.input, j.redo) for j in plan.jobs} == {   # the truncated PNG failed before
        (edited, batch.INPUT_CHANGED), (photo_tree / "sub" / "truncated.png", "")}
    assert rel(plan.settled, photo_tree, "skipped") == GOOD - {"chelsea.png"}
    summary = batch.BatchSummary(plan.total)
    results = batch.run_batch(plan, jobs=1, on_result=summary.add)
    [redone] = [r for r in results if r.status == "ok"]
    assert (redone.input, redone.reason, redone.redone) == (edited, batch.INPUT_CHANGED, True)
    assert np.array_equal(load_image(redone.output).rgb, load_image(edited).rgb)
    assert (summary.ok, summary.redone, summary.skipped) == (1, 1, 3)
    assert batch.read_manifest(out)["chelsea.png"].input == batch.manifest.input_stamp(edited)
    # the touched input's new time is recorded: the next run does not read it again
    assert batch.read_manifest(out)["astronaut.png"].input == {**stamp, "mtime_ns": later}
    again = batch.plan_batch(photo_tree, out, COPY, recursive=True)
    assert [j.input.name for j in again.jobs] == ["truncated.png"]


def test_an_output_deleted_since_it_was_made_is_redone_and_said_so(photo_tree, tmp_path):
    # A rerun made a recorded output that had been deleted again with no reason: its
    # progress line, report row and the summary's "redone" count said nothing of it.
    out = tmp_path / "out"
    batch.run_batch(batch.plan_batch(photo_tree, out, COPY, recursive=True), jobs=1)
    (out / "astronaut.png").unlink()
    (out / "sub" / "coffee.png").unlink()
    _edit(photo_tree / "sub" / "coffee.jpg", (0, 0, 120, 100))  # deleted, and its input changed
    plan = batch.plan_batch(photo_tree, out, COPY, recursive=True)
    assert {(j.input, j.redo) for j in plan.jobs} == {
        (photo_tree / "astronaut.jpg", batch.OUTPUT_DELETED),
        (photo_tree / "sub" / "coffee.jpg", batch.INPUT_CHANGED),
        (photo_tree / "sub" / "truncated.png", "")}  # never made: nothing to say
    summary = batch.BatchSummary(plan.total)
    results = batch.run_batch(plan, jobs=1, on_result=summary.add)
    assert {(r.input.name, r.reason) for r in results if r.status == "ok"} == {
        ("astronaut.jpg", batch.OUTPUT_DELETED), ("coffee.jpg", batch.INPUT_CHANGED)}
    assert (summary.ok, summary.redone) == (2, 2)
    assert (out / "astronaut.png").is_file()
    # with force, every file is made again: no reason is given for any
    (out / "astronaut.png").unlink()
    forced = batch.plan_batch(photo_tree, out, COPY, recursive=True, force=True)
    assert len(forced.jobs) == 5 and {j.redo for j in forced.jobs} == {""}


def test_a_folder_output_missing_a_file_is_redone_and_said_so(tmp_path):
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    crop("coffee.jpg", (0, 0, 40, 30)).save(src / "a.png")
    crop("coffee.jpg", (40, 0, 80, 30)).save(src / "b.png")
    batch.run_batch(batch.plan_batch(src, out, batch.segment_mode(), options={"seed": 0}),
                    jobs=1)
    (out / "a" / "overlay.png").unlink()
    for name in os.listdir(out / "b"):
        (out / "b" / name).unlink()
    (out / "b").rmdir()
    plan = batch.plan_batch(src, out, batch.segment_mode(), options={"seed": 0})
    assert sorted((j.input.name, j.redo) for j in plan.jobs) == [
        ("a.png", batch.OUTPUT_PART_DELETED), ("b.png", batch.OUTPUT_DELETED)]


def test_outputs_recorded_without_input_stamps_are_still_skipped(photo_tree, tmp_path):
    """Outputs of a version that kept no stamps: an upgrade does not redo them all."""
    out = tmp_path / "out"
    batch.run_batch(batch.plan_batch(photo_tree, out, COPY, recursive=True), jobs=1)
    manifest = out / batch.MANIFEST_NAME
    lines = [json.loads(line) for line in manifest.read_text().splitlines()]
    manifest.write_text("".join(json.dumps({k: v for k, v in line.items() if k != "input"})
                                + "\n" for line in lines))
    _edit(photo_tree / "chelsea.png", (0, 0, 120, 100))
    plan = batch.plan_batch(photo_tree, out, COPY, recursive=True)
    assert rel(plan.settled, photo_tree, "skipped") == GOOD
    assert batch.plan_batch(photo_tree, out, COPY, recursive=True, force=True).jobs


def test_the_input_stamp_is_taken_before_the_job_reads_it(tmp_path):
    """An input edited while its job runs is seen as changed by the next run."""
    src = tmp_path / "in"
    src.mkdir()
    crop("coffee.jpg", (0, 0, 200, 200)).save(src / "a.png")
    before = batch.manifest.input_stamp(src / "a.png")
    record, stamp = batch.run.run_job(COPY, batch.FileJob(src / "a.png", tmp_path / "a.png"))
    assert stamp == before and record["k"] == 0


def test_a_changed_input_in_segment_mode_remakes_its_folder(tmp_path):
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    crop("coffee.jpg", (0, 0, 200, 200)).save(src / "a.png")
    options = {"n_clusters": 2, "seed": 0}
    batch.run_batch(batch.plan_batch(src, out, batch.segment_mode(), options=options), jobs=1)
    crop("coffee.jpg", (0, 0, 200, 200)).resize((30, 20)).save(src / "a.png")
    plan = batch.plan_batch(src, out, batch.segment_mode(), options=options)
    [result] = batch.run_batch(plan, jobs=1)
    assert (result.status, result.reason) == ("ok", batch.INPUT_CHANGED)
    segments = json.loads((out / "a" / "segments.json").read_text())
    assert (segments["width"], segments["height"]) == (30, 20)


@pytest.mark.parametrize("lost", ["labels.png", "segments.json"])
def test_a_segment_folder_that_lost_a_file_is_made_again(tmp_path, lost):
    """A finished folder on record missing one of its files is no finished output: made
    again, as a deleted output file of reduce mode is, not skipped as "output exists", and
    said so."""
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    crop("coffee.jpg", (0, 0, 40, 30)).save(src / "a.png")
    options = {"n_clusters": 2, "seed": 0}
    batch.run_batch(batch.plan_batch(src, out, batch.segment_mode(), options=options), jobs=1)
    made = (out / "a" / lost).read_bytes()
    (out / "a" / lost).unlink()
    plan = batch.plan_batch(src, out, batch.segment_mode(), options=options)
    assert ([j.input for j in plan.jobs], plan.settled) == ([src / "a.png"], [])
    [result] = batch.run_batch(plan, jobs=1)
    assert (result.status, result.reason) == ("ok", batch.OUTPUT_PART_DELETED)
    assert (out / "a" / lost).read_bytes() == made


def test_a_later_run_removes_the_probe_a_killed_run_left_and_nothing_else(tmp_path):
    """A Dask run keeps an empty .quantize-probe-* in the output folder while it runs; a
    run killed with SIGKILL left it there for good."""
    import signal
    import subprocess
    import sys

    from quantize.batch import run as run_module

    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    out.mkdir()
    crop("coffee.jpg", (0, 0, 200, 200)).save(src / "a.png")
    child = subprocess.Popen(  # a run holding its probe, killed as kill -9 kills it
        [sys.executable, "-c", "import sys, time; from pathlib import Path; "
         "from quantize.batch.run import _probe_file\n"
         "with _probe_file(Path(sys.argv[1])) as probe:\n"
         "    print(probe.name, flush=True); time.sleep(60)", str(out)],
        stdout=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(Path(run_module.__file__).parents[2])})
    killed = child.stdout.readline().strip()
    child.send_signal(signal.SIGKILL)
    child.wait()
    child.stdout.close()
    host = run_module._host()
    others = {f".quantize-probe-other.host-{child.pid}-abc": b"",  # another host's run
              f".quantize-probe-{host}-{child.pid}-def": b"not empty",  # not a probe of ours
              ".quantize-probe-abcd1234": b"",  # an earlier version's: no host or process
              f".quantize-probe-{host}-{child.pid}": b""}  # no token
    for name, data in others.items():
        (out / name).write_bytes(data)
    assert killed.startswith(f".quantize-probe-{host}-{child.pid}-") and (out / killed).exists()
    with run_module._probe_file(out) as running:  # a run still going here keeps its probe
        [result] = batch.run_batch(batch.plan_batch(src, out, COPY), jobs=1)
        assert result.status == "ok" and running.exists()
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".quantize-probe-")) \
        == sorted(others)


def _probes(folder: Path, names: dict[str, tuple[bytes, float]]) -> None:
    """Write each probe ``name`` with its bytes, made that many days ago."""
    for name, (data, days) in names.items():
        (folder / name).write_bytes(data)
        when = time.time() - days * 24 * 3600
        os.utime(folder / name, (when, when))


def test_a_probe_of_an_earlier_version_is_removed_once_a_week_old(tmp_path):
    """An earlier version named its probe with a random token alone: a killed run's was
    never removed, as nothing tells whether its run still goes."""
    from quantize.batch.run import remove_stale_probes

    _probes(tmp_path, {".quantize-probe-abcd1234": (b"", 8),  # a killed run's, long ago
                       ".quantize-probe-x_9z0k2q": (b"", 6),  # may be a run still going
                       ".quantize-probe-efgh5678": (b"not a probe", 30),
                       ".quantize-probe-abcd12345": (b"", 30)})  # not such a name
    assert remove_stale_probes(tmp_path) == [tmp_path / ".quantize-probe-abcd1234"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".quantize-probe-abcd12345", ".quantize-probe-efgh5678", ".quantize-probe-x_9z0k2q"]


def test_on_windows_a_probe_of_this_host_is_removed_by_age_and_no_process_is_asked(
        tmp_path, monkeypatch):
    """On Windows none was removed; asking with os.kill(pid, 0) would have ended the run."""
    from quantize.batch import run as run_module

    host = run_module._host()
    _probes(tmp_path, {f".quantize-probe-{host}-{os.getpid()}-old": (b"", 8),
                       f".quantize-probe-{host}-{os.getpid()}-new": (b"", 1),
                       f".quantize-probe-other-{os.getpid()}-old": (b"", 8)})

    def asked(pid):
        raise AssertionError(f"process {pid} asked")

    monkeypatch.setattr(run_module, "_running", asked)
    monkeypatch.setattr(os, "name", "nt")
    removed = run_module.remove_stale_probes(tmp_path)
    monkeypatch.undo()
    assert removed == [tmp_path / f".quantize-probe-{host}-{os.getpid()}-old"]
    assert {p.name for p in tmp_path.iterdir()} == {
        f".quantize-probe-{host}-{os.getpid()}-new", f".quantize-probe-other-{os.getpid()}-old"}


def test_a_folder_named_through_a_link_and_dotdot_is_the_one_the_system_finds(tmp_path):
    """``link/..`` (link -> real/sub) is ``real``: the jobs were handed paths with ".."
    dropped with the link's name, and read tmp/a.png instead of real/a.png."""
    through = link_to_sub(tmp_path)  # tmp/a.png beside the link, real/a.png through it
    [result] = batch.run_batch(batch.plan_batch(through, tmp_path / "out", COPY), jobs=1)
    assert (result.input, result.status) == (through / "a.png", "ok")
    assert load_image(tmp_path / "out" / "a.png").rgb[0, 0].tolist() == [255, 0, 0]


def test_an_output_folder_named_through_a_link_and_dotdot_is_written(tmp_path):
    """``-o link/../out`` (link -> real/sub): every file failed, "cannot write in
    tmp/link/../out (No such file or directory)": the temporary file was made where
    tmp/link/../out is without the link, tmp/out, which does not exist."""
    from PIL import Image

    (tmp_path / "real" / "sub").mkdir(parents=True)
    symlink_or_skip(tmp_path / "link", tmp_path / "real" / "sub", to_folder=True)
    (tmp_path / "in").mkdir()
    Image.new("RGB", (4, 4), (255, 0, 0)).save(tmp_path / "in" / "a.png")
    out = tmp_path / "link" / ".." / "out"
    [result] = batch.run_batch(batch.plan_batch(tmp_path / "in", out, COPY), jobs=1)
    assert (result.status, result.output) == ("ok", out / "a.png")
    assert sorted(p.name for p in (tmp_path / "real" / "out").iterdir()) == [
        batch.MANIFEST_NAME, "a.png"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "link", "real"]


def _left_pending(tmp_path, *names):
    """in/a.png, and out/ with a.png made and ``names`` left pending by a killed run whose
    inputs are gone since."""
    from PIL import Image

    from quantize.batch.manifest import record_pending

    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    Image.new("RGB", (4, 4), (255, 0, 0)).save(src / "a.png")
    plan = batch.plan_batch(src, out, COPY)
    batch.run_batch(plan, jobs=1)
    record_pending(out, [(out / name, f"../in/{name}") for name in names], plan.settings)
    return src, out


@pytest.mark.parametrize("input_gone", [False, True])
def test_a_file_put_under_a_name_a_killed_run_left_pending_is_not_taken(tmp_path, input_gone):
    """The pending entry claimed whatever file was there: one put by hand under that name was
    overwritten by the rerun, or, its input gone, removed as an orphan."""
    from PIL import Image

    from quantize.batch.manifest import read_manifest

    src, out = _left_pending(tmp_path, "b.png")
    if not input_gone:
        Image.new("RGB", (4, 4), (0, 0, 255)).save(src / "b.png")
    (out / "b.png").write_bytes(b"the user's")
    plan = batch.plan_batch(src, out, COPY)
    assert (plan.disowned, plan.unclaimed) == ([out / "b.png"], [])
    results = batch.run_batch(plan, jobs=1)
    assert [(r.input.name, r.status, r.reason) for r in results] == [
        ("a.png", "skipped", "output exists"),
        *([("b.png", "skipped", "output exists; no record of the run that made it")]
          if not input_gone else [])]
    assert batch.remove_unclaimed(batch.plan_batch(src, out, COPY)) == ([], {})
    assert (out / "b.png").read_bytes() == b"the user's"
    assert list(read_manifest(out, pending=True)) == ["a.png"]  # said once, then of no record
    assert batch.plan_batch(src, out, COPY).disowned == []


def test_an_output_a_killed_run_wrote_is_known_by_its_mark_until_recorded(tmp_path):
    from PIL import Image

    from quantize.batch.manifest import written_mark
    from quantize.batch.run import run_job

    src, out = _left_pending(tmp_path, "b.png")
    Image.new("RGB", (4, 4), (0, 0, 255)).save(src / "b.png")
    run_job(COPY, batch.FileJob(src / "b.png", out / "b.png"))  # written, not recorded
    assert written_mark(out / "b.png").is_file()
    plan = batch.plan_batch(src, out, COPY)
    assert (plan.disowned, [job.output for job in plan.jobs]) == ([], [out / "b.png"])
    batch.run_batch(plan, jobs=1)
    assert sorted(p.name for p in out.iterdir()) == [".quantize-batch.jsonl", "a.png", "b.png"]


def test_an_output_a_killed_run_wrote_is_made_again_saying_why(tmp_path):
    """It was made again as a plain "ok", as a file never made, where an output deleted or
    emptied since is said to be redone; one pending and never written is made as new."""
    from quantize.batch.run import run_job

    src, out = _left_pending(tmp_path, "b.png", "c.png")
    for name in ("b.png", "c.png"):
        Image.new("RGB", (4, 4), (0, 0, 255)).save(src / name)
    run_job(COPY, batch.FileJob(src / "b.png", out / "b.png"))  # written, not recorded
    plan = batch.plan_batch(src, out, COPY)
    assert [(job.input.name, job.redo) for job in plan.jobs] == [
        ("b.png", batch.OUTPUT_UNRECORDED), ("c.png", "")]
    results = batch.run_batch(plan, jobs=1)
    assert sorted((r.input.name, r.status, r.reason) for r in results) == [
        ("a.png", "skipped", "output exists"),
        ("b.png", "ok", "redone: the run that wrote its output was stopped before it recorded "
                        "it"),
        ("c.png", "ok", "")]
    forced = batch.plan_batch(src, out, COPY, force=True)  # redoes all: no reason to give
    assert [job.redo for job in forced.jobs] == ["", "", ""]


def test_a_folder_output_a_killed_run_left_half_written_is_made_again_saying_why(tmp_path):
    from quantize.batch.manifest import record_pending

    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    Image.new("RGB", (4, 4), (255, 0, 0)).save(src / "a.png")
    plan = batch.plan_batch(src, out, batch.segment_mode())
    (out / "a").mkdir(parents=True)
    record_pending(out, [(out / "a", "../in/a.png")], plan.settings)
    (out / "a" / "labels.png").write_bytes(b"an image")  # no segments.json: stopped half-way
    again = batch.plan_batch(src, out, batch.segment_mode())
    assert [(job.input, job.redo) for job in again.jobs] == [
        (src / "a.png", "redone: the run that was writing its output was stopped before it "
                        "finished it")]


def test_an_unfinished_output_no_longer_planned_is_an_orphan(tmp_path):
    """A killed run's output (pending) whose input then went was never said nor removed:
    it was left out of ``unclaimed``, as a file of no record."""
    from quantize.batch.manifest import mark_written, read_manifest

    src, out = _left_pending(tmp_path, "b.png")
    (out / "b.png").write_bytes(b"its image")
    mark_written(out / "b.png")  # its job finished it, as the mark says
    plan = batch.plan_batch(src, out, COPY)
    assert (plan.unclaimed, plan.newly_unclaimed) == ([out / "b.png"], [out / "b.png"])
    batch.run_batch(plan, jobs=1)
    again = batch.plan_batch(src, out, COPY)
    assert (again.unclaimed, again.newly_unclaimed) == ([out / "b.png"], [])  # said once
    assert read_manifest(out, pending=True)["b.png"].pending
    assert batch.remove_unclaimed(again) == ([out / "b.png"], {})
    assert sorted(p.name for p in out.iterdir()) == [".quantize-batch.jsonl", "a.png"]
    assert list(read_manifest(out, pending=True)) == ["a.png"]


def test_an_unfinished_folder_output_no_longer_planned_is_found_so_once(tmp_path):
    """segment: the run recorded such an output as found so only when its folder held
    segments.json, which an unfinished one has not: every later run found it for the first
    time, and the command warned of it again."""
    src, out = left_unfinished_folder(tmp_path)
    plan = batch.plan_batch(src, out, batch.segment_mode())
    assert (plan.unclaimed, plan.newly_unclaimed) == ([out / "a"], [out / "a"])
    assert sorted(r.status for r in batch.run_batch(plan, jobs=1)) == ["ok", "ok"]
    again = batch.plan_batch(src, out, batch.segment_mode())
    assert (again.unclaimed, again.newly_unclaimed) == ([out / "a"], [])


def test_removing_the_outputs_of_files_gone_leaves_no_empty_mirrored_folder(tmp_path):
    """out/2023/ stayed behind, empty, once --remove-orphans had removed the outputs of the
    files of in/2023/; a folder that holds anything else stays."""
    from PIL import Image

    src, out = tmp_path / "in", tmp_path / "out"
    for name in ("2023/deep/a.png", "2023/b.png", "2024/c.png", "d.png"):
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (4, 4), (255, 0, 0)).save(src / name)
    batch.run_batch(batch.plan_batch(src, out, COPY, recursive=True), jobs=1)
    (out / "2024" / "mine.txt").write_text("kept")
    for name in ("2023/deep/a.png", "2023/b.png", "2024/c.png"):
        (src / name).unlink()
    plan = batch.plan_batch(src, out, COPY, recursive=True)
    assert batch.remove_unclaimed(plan) == (
        [out / "2023" / "b.png", out / "2023" / "deep" / "a.png", out / "2024" / "c.png"], {})
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*")) == [
        ".quantize-batch.jsonl", "2024", "2024/mine.txt", "d.png"]


def test_a_pending_entry_of_no_file_no_longer_planned_is_dropped(tmp_path):
    """Its entry stayed in the manifest for good, no run planning that name again."""
    from quantize.batch.manifest import read_manifest

    src, out = _left_pending(tmp_path, "c.png")
    plan = batch.plan_batch(src, out, COPY)
    [result] = batch.run_batch(plan, jobs=1)
    assert (plan.unclaimed, result.status) == ([], "skipped")
    assert list(read_manifest(out, pending=True)) == ["a.png"]
    assert (plan.dropped, batch.plan_batch(src, out, COPY).dropped) == ([out / "c.png"], [])


@pytest.mark.parametrize(("change", "reason"), [
    ("folder", "is a directory, expected an image file"),
    ("removed", "no such file"),
    ("unreadable", "cannot read the file (Permission denied)"),
])
def test_an_input_changed_since_the_run_listed_it_is_named_as_the_job_names_it(
        tmp_path, monkeypatch, change, reason):
    """The input's stamp is read before the job: its failure was the system's bare words
    ("a.png: Is a directory", "a.png: No such file or directory")."""
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.png").write_bytes(b"listed")

    def changed_since(path):  # just after the job found it there
        (src / "a.png").unlink()
        if change == "folder":
            (src / "a.png").mkdir()
        return False

    def unreadable(path):  # as for a user without permission (root reads it all the same)
        raise PermissionError(13, "Permission denied", str(path))

    if change == "unreadable":
        monkeypatch.setattr(batch.run, "input_stamp", unreadable)
    else:
        monkeypatch.setattr(batch.run, "_missing", changed_since)
    outcome = run_isolated(Call(batch.run.run_job, (COPY, batch.FileJob(src / "a.png",
                                                                        tmp_path / "a.png"))))
    assert (outcome.ok, outcome.value, outcome.path, outcome.exit_code) == (
        False, reason, str(src / "a.png"), ExitCode.FAILED)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in"]


def _counting_reads(monkeypatch):
    """Count the readings of a manifest from now on (each one parses the whole file)."""
    from quantize.batch import manifest, plan

    reads = []
    real = manifest.load_manifest

    def counted(output_dir, mode="reduce"):
        reads.append(Path(output_dir))
        return real(output_dir, mode)

    for module in (manifest, plan):
        monkeypatch.setattr(module, "load_manifest", counted)
    return reads


def test_a_run_without_force_reads_the_manifest_once_to_plan_and_not_again(
        photo_tree, tmp_path, monkeypatch):
    out = tmp_path / "out"
    batch.run_batch(batch.plan_batch(photo_tree, out, COPY, recursive=True), jobs=1)
    (photo_tree / "astronaut.jpg").write_bytes(  # one file to redo, the others skipped
        (photo_tree / "chelsea.png").read_bytes())
    reads = _counting_reads(monkeypatch)
    plan = batch.plan_batch(photo_tree, out, COPY, recursive=True)
    assert reads == [out]
    assert {job.input.name for job in plan.jobs} == {"astronaut.jpg", "truncated.png"}
    results = batch.run_batch(plan, jobs=1)
    assert reads == [out]  # the run used what planning read: at 16,000 outputs, 0.5 s each
    assert rel(results, photo_tree, "ok") == {"astronaut.jpg"}


def test_a_run_without_force_still_closes_an_unfinished_run_with_force(photo_tree, tmp_path):
    out = tmp_path / "out"
    batch.run_batch(batch.plan_batch(photo_tree, out, COPY, recursive=True), jobs=1)
    forced = batch.plan_batch(photo_tree, out, COPY, recursive=True, force=True)
    batch.manifest.record_forced_run(out, forced.settings, forced.run, COPY.name)
    assert batch.manifest.read_forced_run(out, COPY.name) is not None
    plain = batch.plan_batch(photo_tree, out, COPY, recursive=True)
    assert plain.run is None and plain.manifest.forced is not None
    batch.run_batch(plain, jobs=1)
    assert batch.manifest.read_forced_run(out, COPY.name) is None


def test_a_rerun_over_inputs_copied_anew_records_their_new_stamps_in_one_write(
        photo_tree, tmp_path, monkeypatch):
    from quantize.batch import manifest

    out = tmp_path / "out"
    batch.run_batch(batch.plan_batch(photo_tree, out, COPY, recursive=True), jobs=1)
    touched = [photo_tree / name for name in sorted(GOOD)]
    for path in touched:  # the same bytes at another time: a copy, a restore
        os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    writes = []
    real = manifest._append

    def counted(output_dir, *items):
        writes.append([item["output"] for item in items if "input" in item])
        real(output_dir, *items)

    monkeypatch.setattr(manifest, "_append", counted)
    plan = batch.plan_batch(photo_tree, out, COPY, recursive=True)
    assert len(plan.restamped) == 4
    results = batch.run_batch(plan, jobs=1)
    assert rel(results, photo_tree, "skipped") == GOOD
    assert [sorted(names) for names in writes if names] == [
        ["astronaut.png", "chelsea.png", "sub/coffee.png", "sub/rocket.png"]]
    entries = batch.read_manifest(out)
    for path in touched:  # not hashed again by the next run: the stamps are the files' now
        entry = entries[manifest.manifest_key(out, out / path.relative_to(photo_tree)
                                              .with_suffix(".png"))]
        assert entry.input["mtime_ns"] == path.stat().st_mtime_ns
    assert batch.plan_batch(photo_tree, out, COPY, recursive=True).restamped == []


def test_a_first_run_reads_its_manifest_back_only_when_it_recorded_no_file(tmp_path,
                                                                           monkeypatch):
    """A first run removes the manifest its pending entries made when every file failed;
    it read the whole manifest back to tell, also after recording files."""
    import quantize.batch.run as run

    reads = []

    def counted(folder, **kwargs):
        reads.append(Path(folder).name)
        return batch.read_manifest(folder, **kwargs)

    monkeypatch.setattr(run, "read_manifest", counted)
    src = tmp_path / "in"
    src.mkdir()
    crop("astronaut.jpg", (0, 0, 200, 160)).save(src / "a.png")
    whole = (src / "a.png").read_bytes()
    (src / "b.png").write_bytes(whole[:len(whole) // 2])  # its header read, not its pixels
    plan = batch.plan_batch(src, tmp_path / "done", COPY)
    assert [(r.input.name, r.status) for r in batch.run_batch(plan, jobs=1)] == [
        ("a.png", "ok"), ("b.png", "failed")]
    assert reads == [] and (tmp_path / "done" / batch.MANIFEST_NAME).is_file()

    (src / "a.png").unlink()
    plan = batch.plan_batch(src, tmp_path / "failed", COPY)
    assert [r.status for r in batch.run_batch(plan, jobs=1)] == ["failed"]
    assert reads == ["failed"] and not (tmp_path / "failed" / batch.MANIFEST_NAME).exists()
