"""Reports of a finished batch: per-file rows as JSON (with the summary) or CSV.

Rows come from :meth:`FileResult.as_row`: input, output, status, reason, then
the job's record (k, psnr, delta_e, seconds, bytes, ...). The HTML report with
thumbnails lives in :mod:`quantize.report`.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..io import atomic_write
from .results import BatchSummary, FileResult

__all__ = ["REPORT_COLUMNS", "check_report_path", "write_report"]

#: Columns of a CSV report, in order; extra keys from the per-file records follow.
REPORT_COLUMNS = ("input", "output", "status", "reason", "k", "space", "psnr", "delta_e",
                  "seconds", "bytes_in", "bytes_out")

_REPORT_FORMATS = (".json", ".csv")


def check_report_path(path: str | os.PathLike[str]) -> Path:
    """Return ``path`` if its extension is .json or .csv, else raise ValueError."""
    p = Path(path)
    if p.suffix.lower() not in _REPORT_FORMATS:
        raise ValueError(f"report={str(p)!r} has extension {p.suffix!r}; "
                         "expected .json or .csv")
    return p


def write_report(path: str | os.PathLike[str], results: Sequence[FileResult],
                 summary: BatchSummary) -> None:
    """Write per-file results as JSON (with a summary) or CSV, chosen by extension.

    Written atomically. Raises ValueError for another extension.
    """
    p = check_report_path(path)
    rows = [r.as_row() for r in results]
    if p.suffix.lower() == ".json":
        text = json.dumps({"summary": summary.as_dict(), "files": rows}, indent=2)
    else:
        text = _csv_text(rows)
    atomic_write(p, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def _csv_text(rows: Sequence[Mapping[str, Any]]) -> str:
    extra = sorted({k for row in rows for k in row} - set(REPORT_COLUMNS))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=[*REPORT_COLUMNS, *extra], restval="",
                            lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _csv_cell(v) for k, v in row.items()})
    return buffer.getvalue()


def _csv_cell(value: Any) -> Any:
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(value)
    return value
