"""Peak memory and wall time of a command, as ``/usr/bin/time -v`` reports them, and the order
of a benchmark's seeds."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path


def work_folder(keep: Path | None, prefix: str) -> Path:
    """Where a benchmark builds its inputs: ``keep`` (made if missing), else a new temporary
    folder named ``prefix...``; first checks that ``/usr/bin/time`` is there."""
    if shutil.which("/usr/bin/time") is None:
        raise SystemExit("needs /usr/bin/time (Debian package 'time')")
    folder = keep or Path(tempfile.mkdtemp(prefix=prefix))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def time_v(cmd: list[str]) -> tuple[int, float]:
    """Run ``cmd`` under ``/usr/bin/time -v``: its peak resident set size in KiB and its
    wall-clock seconds. A failing command ends the benchmark with its error output."""
    proc = subprocess.run(["/usr/bin/time", "-v", *cmd], capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"command failed ({proc.returncode}): {' '.join(cmd)}\n"
                         f"{proc.stderr[-2000:]}")
    rss_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr)[1])
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)",
                     proc.stderr)[1]
    seconds = sum(float(part) * 60 ** i for i, part in enumerate(reversed(wall.split(":"))))
    return rss_kb, seconds


def seeds_default_last(repeats: int) -> list[int]:
    """Seeds ``0..repeats-1`` with 0, the command line's default, last: a benchmark that scores
    the file its last run left scores what a user gets.

    >>> seeds_default_last(3), seeds_default_last(1)
    ([1, 2, 0], [0])
    """
    return [*range(1, repeats), 0] if repeats > 0 else []
