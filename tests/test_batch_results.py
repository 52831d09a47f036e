"""quantize.batch.results: rows and the summary's exit code."""

from __future__ import annotations

from pathlib import Path

import pytest

from quantize import batch
from quantize.errors import ExitCode


def test_row_puts_the_fixed_columns_first_and_never_lets_the_record_override_them():
    result = batch.FileResult(Path("a.jpg"), None, "failed", "broken",
                              {"status": "ok", "seconds": 0.5}, exit_code=ExitCode.FAILED)
    assert result.as_row() == {"input": "a.jpg", "output": "", "status": "failed",
                               "reason": "broken", "seconds": 0.5}


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


def test_a_file_result_compares_by_value_and_says_it_is_not_hashable():
    """hash() of a FileResult failed inside the dataclass's hash with "unhashable type:
    'dict'" (its record); it is declared unhashable, and compares by its fields."""
    result = batch.FileResult(Path("a.jpg"), Path("a.png"), "ok", record={"k": 8})
    assert result == batch.FileResult(Path("a.jpg"), Path("a.png"), "ok", record={"k": 8})
    assert result != batch.FileResult(Path("a.jpg"), Path("a.png"), "ok", record={"k": 9})
    with pytest.raises(TypeError, match="^unhashable type: 'FileResult'$"):
        hash(result)
