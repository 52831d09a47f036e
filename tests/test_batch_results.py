"""quantize.batch.results: rows and the summary's exit code."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from quantize import batch
from quantize.batch.results import LARGER
from quantize.errors import ExitCode, QuantizeDeprecationWarning


def test_row_puts_the_fixed_columns_first_and_never_lets_the_record_override_them():
    result = batch.FileResult(Path("a.jpg"), None, "failed", "broken",
                              {"status": "ok", "seconds": 0.5}, exit_code=ExitCode.FAILED)
    assert result.as_row() == {"input": "a.jpg", "output": None, "status": "failed",
                               "skipped": None, "reason": "broken", "failure": "other",
                               "seconds": 0.5}


@pytest.mark.parametrize("result, kind", [
    (batch.FileResult(Path("a.jpg"), Path("a.png"), "ok"), None),
    (batch.FileResult(Path("a.jpg"), None, "failed", "broken"), None),
    (batch.FileResult(Path("a.jpg"), Path("a.png"), "skipped", "output exists"), "done"),
    (batch.FileResult.larger(Path("a.jpg"), None, {LARGER: "result is larger"}),
     "larger"),
    (batch.FileResult(Path("a.jpg"), None, "skipped", "larger",
                      exit_code=ExitCode.TOO_LARGE), "larger"),
    (batch.FileResult(Path("a"), None, "skipped", "region maps", {batch.NOT_SEARCHED: True}),
     "folder"),
    (batch.FileResult(Path("a.png"), None, "skipped", "a socket", skipped="special"),
     "special"),
])
def test_a_skipped_row_says_which_kind_of_skipped_and_any_other_none(result, kind):
    """A script told a file done by an earlier run from one larger than its input
    (--skip-if-larger) by the prose of its reason alone."""
    assert (result.skipped, result.as_row()["skipped"]) == (kind, kind)
    assert list(result.as_row())[:5] == ["input", "output", "status", "skipped", "reason"]


@pytest.mark.parametrize("status, skipped, match", [
    ("ok", "done", "skipped='done' should be None for status 'ok'"),
    ("failed", "larger", "skipped='larger' should be None for status 'failed'"),
    ("skipped", "exists", "skipped='exists' should be one of 'done', 'larger', 'no_record', "
                          "'folder', 'palette_in', 'special', 'quality', 'link'$"),
])
def test_a_kind_of_skipped_is_refused_for_another_status_or_unknown(status, skipped, match):
    with pytest.raises(ValueError, match=match):
        batch.FileResult(Path("a.jpg"), None, status, skipped=skipped)


@pytest.mark.parametrize("status, given, failure", [
    ("ok", {}, None),
    ("skipped", {}, None),
    ("failed", {"failure": "disk_full"}, "disk_full"),
    ("failed", {"exit_code": ExitCode.USAGE}, "bad_parameter"),
    ("failed", {"exit_code": ExitCode.EXISTS}, "output_exists"),
    ("failed", {"exit_code": ExitCode.FAILED}, "other"),
])
def test_a_failed_row_says_which_kind_of_failure_and_any_other_none(status, given, failure):
    """A script told a full disk from a corrupt input or a read-only output (all exit 1) by
    the prose of the reason alone."""
    result = batch.FileResult(Path("a.jpg"), None, status, "why", **given)
    assert (result.failure, result.as_row()["failure"]) == (failure, failure)


def test_a_failed_file_gets_the_kind_of_the_error_that_failed_it():
    import errno

    from quantize.batch.calls import Call, run_isolated
    from quantize.batch.results import file_result
    from quantize.errors import ImageReadError, WriteRefusedError

    def refused(number):
        raise WriteRefusedError(os.strerror(number), number, path="out/a.png")

    def unreadable():
        raise ImageReadError("cannot identify image file", path="in/a.png")

    def broken():
        raise RuntimeError("a bug")

    outcomes = [run_isolated(Call(refused, (errno.ENOSPC,))),
                run_isolated(Call(refused, (errno.EROFS,))), run_isolated(Call(unreadable)),
                run_isolated(Call(int, ("twelve",))), run_isolated(Call(broken))]
    assert [o.kind for o in outcomes] == ["disk_full", "write_failed", "unreadable_input",
                                          "bad_parameter", "other"]
    assert file_result(Path("in/a.png"), None, outcomes[0]).failure == "disk_full"


@pytest.mark.parametrize("status, failure, match", [
    ("ok", "disk_full", "failure='disk_full' should be None for status 'ok'"),
    ("skipped", "other", "failure='other' should be None for status 'skipped'"),
    ("failed", "full", "failure='full' should be one of 'unreadable_input', 'bad_parameter', "),
])
def test_a_kind_of_failure_is_refused_for_another_status_or_unknown(status, failure, match):
    with pytest.raises(ValueError, match=match):
        batch.FileResult(Path("a.jpg"), None, status, failure=failure)


@pytest.mark.parametrize("counts, interrupted, code", [
    ({"ok": 3}, False, ExitCode.OK),
    ({"ok": 1, "skipped": 2}, False, ExitCode.OK),
    ({"ok": 2, "failed": 1}, False, ExitCode.FAILED),
    ({"ok": 1}, True, ExitCode.FAILED),
])
def test_summary_exit_code(counts, interrupted, code):
    summary = batch.BatchSummary(total=3, interrupted=interrupted)
    for status, n in counts.items():
        for _ in range(n):
            summary.add(batch.FileResult(Path("x"), None, status))
    assert summary.exit_code is code
    assert summary.done == sum(counts.values())


@pytest.mark.parametrize("failed, code", [(0, ExitCode.TOO_LARGE), (1, ExitCode.FAILED)])
def test_a_file_skipped_as_larger_exits_98_unless_one_failed(failed, code):
    summary = batch.BatchSummary(total=3)
    summary.add(batch.FileResult(Path("a"), Path("a.png"), "ok"))
    summary.add(batch.FileResult(Path("b"), None, "skipped", "larger",
                                 exit_code=ExitCode.TOO_LARGE))
    for _ in range(failed):
        summary.add(batch.FileResult(Path("c"), None, "failed", "broken"))
    assert (summary.skipped, summary.larger, summary.exit_code) == (1, 1, code)


@pytest.mark.parametrize("others, code", [
    ([], ExitCode.QUALITY),
    ([("skipped", ExitCode.TOO_LARGE)], ExitCode.QUALITY),  # a miss outranks a larger skip
    ([("failed", ExitCode.FAILED)], ExitCode.FAILED),  # an I/O failure outranks a miss
    ([("failed", ExitCode.USAGE)], ExitCode.FAILED),
])
def test_a_batch_whose_only_failures_missed_their_quality_exits_99(others, code):
    """A batch whose files missed --quality (or --max-bytes) exited 1, the code of an
    unreadable input or a full disk, where reduce exits 99: a build script could not tell
    them apart without reading --json."""
    summary = batch.BatchSummary(total=3)
    summary.add(batch.FileResult(Path("a"), Path("a.png"), "ok"))
    summary.add(batch.FileResult(Path("b"), None, "failed", "quality",
                                 exit_code=ExitCode.QUALITY))
    for status, exit_code in others:
        summary.add(batch.FileResult(Path("c"), None, status, "why", exit_code=exit_code))
    assert summary.exit_code is code


def test_a_file_result_compares_by_value_and_says_it_is_not_hashable():
    """hash() of a FileResult failed inside the dataclass's hash with "unhashable type:
    'dict'" (its record); it is declared unhashable, and compares by its fields."""
    result = batch.FileResult(Path("a.jpg"), Path("a.png"), "ok", record={"k": 8})
    assert result == batch.FileResult(Path("a.jpg"), Path("a.png"), "ok", record={"k": 8})
    assert result != batch.FileResult(Path("a.jpg"), Path("a.png"), "ok", record={"k": 9})
    with pytest.raises(TypeError, match="^unhashable type: 'FileResult'$"):
        hash(result)


def test_each_unsettled_file_gives_the_row_of_its_status():
    """The three kinds of files a stopped run leaves unsettled, each its existing row."""
    rows = [batch.Unsettled(Path("in/a.png"), "not reached").row(),
            batch.Unsettled(Path("in/b.png"), "abandoned").row(),
            batch.Unsettled(Path("in/c.png"), "finished unrecorded", Path("out/c.png")).row()]
    assert rows == [batch.not_reached_row(Path("in/a.png")),
                    batch.abandoned_row(Path("in/b.png")),
                    batch.finished_unrecorded_row(Path("in/c.png"), Path("out/c.png"))]
    assert [(r["input"], r["output"], r["status"]) for r in rows] == [
        ("in/a.png", None, "not reached"), ("in/b.png", None, "abandoned"),
        ("in/c.png", "out/c.png", "finished unrecorded")]


@pytest.mark.parametrize("item, error, message", [
    ("a.png", TypeError, "unsettled[1]='a.png' should be an Unsettled, got str"),
    (batch.Unsettled("a.png", "failed"), ValueError,
     "unsettled[1].status='failed' should be one of 'not reached', 'abandoned', "
     "'finished unrecorded'"),
    (batch.Unsettled("a.png", "finished unrecorded"), ValueError,
     "unsettled[1].output=None should be a path for status 'finished unrecorded'"),
    (batch.Unsettled("a.png", "abandoned", "o.png"), ValueError,
     "unsettled[1].output='o.png' should be None for status 'abandoned'"),
])
def test_unsettled_files_are_checked_each_named_by_its_place(item, error, message):
    from quantize.batch.results import check_unsettled

    ok = batch.Unsettled(Path("b.png"), "not reached")
    with pytest.raises(error) as caught:
        check_unsettled((ok, item))
    assert str(caught.value) == message
    assert check_unsettled((ok,)) == [ok]


def test_the_keywords_unsettled_replaced_add_their_files_after_its_own_and_warn():
    from quantize.batch.results import check_unsettled

    first = batch.Unsettled(Path("z.png"), "abandoned")
    with pytest.warns(DeprecationWarning) as caught:
        files = check_unsettled([first], "write_report", not_reached=["a.png"],
                                abandoned=None, unrecorded=[("b.png", "out/b.png")])
    assert files == [first, batch.Unsettled("a.png", "not reached"),
                     batch.Unsettled("b.png", "finished unrecorded", "out/b.png")]
    assert [str(w.message) for w in caught] == [
        "write_report(not_reached=...) is deprecated; use unsettled=, each file an "
        "Unsettled(input, 'not reached') (quantize.batch.Unsettled)",
        "write_report(unrecorded=...) is deprecated; use unsettled=, each file an "
        "Unsettled(input, 'finished unrecorded', output) (quantize.batch.Unsettled)"]


def test_a_deprecated_keyword_is_held_as_quantize_s_warnings_and_reaches_the_caller_once(
        tmp_path):
    """A block holding quantize's warnings (a driver saying each once) holds it too; given
    again, it is said once, from the caller's line."""
    import warnings

    from quantize.errors import warn_again, warnings_held

    summary = batch.BatchSummary(total=1, interrupted=True)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        with warnings_held() as held:
            batch.write_report(tmp_path / "r.json", [], summary, not_reached=["a.png"])
        assert seen == [] and [w.category for w in held] == [QuantizeDeprecationWarning]
        warn_again(held)
    assert [str(w.message) for w in seen] == [
        "write_report(not_reached=...) is deprecated; use unsettled=, each file an "
        "Unsettled(input, 'not reached') (quantize.batch.Unsettled)"]
    assert seen[0].filename == __file__


def test_summary_adds_the_bytes_of_the_files_with_an_output():
    """ok and skipped-as-done files count; one skipped as larger (no output), a failed one
    and a record without sizes (segment's) do not."""
    summary = batch.BatchSummary(total=5)
    summary.add(batch.FileResult(Path("a"), Path("a.png"), "ok", "",
                                 {"bytes_in": 100, "bytes_out": 40}))
    summary.add(batch.FileResult(Path("b"), Path("b.png"), "skipped", "output exists",
                                 {"bytes_in": 50, "bytes_out": 30}))
    summary.add(batch.FileResult(Path("c"), None, "skipped", "larger",
                                 {batch.results.LARGER: "larger", "bytes_in": 7}))
    summary.add(batch.FileResult(Path("d"), None, "failed", "broken", {"bytes_in": 9}))
    summary.add(batch.FileResult(Path("e"), Path("e"), "ok", "", {"n_regions": 3}))
    assert (summary.with_output, summary.bytes_in, summary.bytes_out) == (2, 150, 70)
    assert {k: summary.as_dict()[k] for k in ("with_output", "bytes_in", "bytes_out")} == {
        "with_output": 2, "bytes_in": 150, "bytes_out": 70}
    assert batch.bytes_counts(summary.bytes_in, summary.bytes_out, summary.with_output) == [
        "150 -> 70 bytes (46.7%) for the 2 files with an output"]
    assert batch.bytes_counts(0, 0, 0) == []


def test_summary_counts_the_outputs_of_fewer_colours_than_asked_made_now_or_before():
    """ok and skipped-as-done files whose record says so count (a rerun replays the record);
    one skipped as larger (no output) and a failed one do not."""
    fewer = {batch.FEWER_COLORS: True}
    summary = batch.BatchSummary(total=5)
    summary.add(batch.FileResult(Path("a"), Path("a.png"), "ok", "", dict(fewer)))
    summary.add(batch.FileResult(Path("b"), Path("b.png"), "skipped", "output exists",
                                 dict(fewer)))
    summary.add(batch.FileResult(Path("c"), None, "skipped", "larger",
                                 {**fewer, batch.results.LARGER: "larger"}))
    summary.add(batch.FileResult(Path("d"), None, "failed", "broken", dict(fewer)))
    summary.add(batch.FileResult(Path("e"), Path("e.png"), "ok", "", {"k": 16}))
    assert (summary.fewer_colors, summary.as_dict()["fewer_colors"]) == (2, 2)
    assert batch.fewer_colors_counts(summary.fewer_colors) == [
        "2 files with fewer colours than -k/--colors, kept whole"]
