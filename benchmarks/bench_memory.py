"""Peak memory of the CLI on large images: ``quantize reduce`` and ``quantize segment``.

Builds the benchmark photo (see ``_images.py``) at 12, 48 and 100 megapixels as
PNG files in a temporary folder (nothing is committed), runs each command in a
child process under ``/usr/bin/time -v`` and prints its peak resident set size
and wall time, with the size of the decoded image for scale.

Targets (issue 6): at 100 MP, reduce peaks at <= 1.5 GB and segment at <= 4 GB.

Usage::

    python benchmarks/bench_memory.py [--sizes 12 48 100] [--keep DIR]
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _images import photo_size, save_benchmark_photo  # noqa: E402
from _measure import time_v, work_folder  # noqa: E402

QUANTIZE = Path(sys.executable).with_name("quantize")
TARGETS_GB = {"reduce": 1.5, "segment": 4.0}


def _measure(cmd: list[str]) -> tuple[float, float]:
    """Run ``cmd`` under /usr/bin/time -v; return (peak RSS in GB, wall seconds)."""
    rss_kb, seconds = time_v(cmd)
    return rss_kb / 1024 ** 2, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=float, nargs="+", default=[12, 48, 100])
    parser.add_argument("--keep", type=Path, help="build/keep the images in this folder")
    args = parser.parse_args()
    folder = work_folder(args.keep, "quantize-mem-")
    print(f"{'MP':>5} {'size':>11} {'decoded':>8}  {'command':<8} {'peak RSS':>9} "
          f"{'target':>7} {'wall s':>7}")
    try:
        for mp in args.sizes:
            w, h = photo_size(mp)
            src = folder / f"photo_{mp:g}mp.png"
            if not src.exists():
                save_benchmark_photo(src, mp)
            runs = {
                "reduce": [str(QUANTIZE), "reduce", str(src), "-k", "16",
                           "-o", str(folder / f"reduced_{mp:g}.png"), "--force"],
                "segment": [str(QUANTIZE), "segment", str(src), "-k", "8",
                            "-o", str(folder / f"segments_{mp:g}"), "--force"],
            }
            for name, cmd in runs.items():
                rss, wall = _measure(cmd)
                target, verdict = "-", ""
                if mp >= 100:
                    target = f"{TARGETS_GB[name]:.1f}GB"
                    verdict = "  met" if rss <= TARGETS_GB[name] else "  MISSED"
                print(f"{mp:>5g} {w:>5}x{h:<5} {w * h * 3 / 1024 ** 3:>6.2f}GB  {name:<8} "
                      f"{rss:>7.2f}GB {target:>7} {wall:>7.1f}{verdict}", flush=True)
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
