"""Benchmark a folder of many small images: ``quantize reduce`` in one call and
``quantize batch``, against pngquant's one call, at two folder sizes.

Run on demand (``python benchmarks/bench_many_files.py [--counts 1000 4000] [-k 16]``);
pytest does not collect it. Thumbnails and icons come by the thousand in one folder.
What a file costs must not grow with the folder: before each output it writes, the run
looks beside it for the temporary files a killed run left, and listing the whole
folder for every output made both commands quadratic.

For each count N, N PNG images of 32-64 pixels a side are cut from scikit-image's
photographs (seeded) into a fresh folder, then timed, end to end, ``--repeats`` times
(the median):

- ``quantize reduce -k K --ext .q.png --force FILES`` (outputs beside the inputs: the
  folder ends with 2N files) and ``pngquant --nofs --force --ext .p.png K FILES``;
- ``quantize batch IN -o OUT -k K`` into an empty ``OUT`` each time.

Printed: seconds and milliseconds a file, each command's time over pngquant's one call
at the same N, and how much a file's time grew from the smallest N to the largest
(1.00x: linear).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image
from skimage import data

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_reduce import PNGQUANT, quantize_command, run_median  # noqa: E402

SOURCES = (data.astronaut, data.coffee, data.chelsea, data.rocket)


def make_images(folder: Path, n: int, seed: int = 0) -> list[Path]:
    """Write ``n`` PNG crops of 32-64 pixels a side from the photos into ``folder``."""
    photos = [load() for load in SOURCES]
    rng = np.random.default_rng(seed)
    paths = []
    for i in range(n):
        photo = photos[i % len(photos)]
        h, w = rng.integers(32, 65, size=2)
        y, x = rng.integers(0, photo.shape[0] - h), rng.integers(0, photo.shape[1] - w)
        path = folder / f"img{i:05d}.png"
        Image.fromarray(photo[y:y + h, x:x + w]).save(path)
        paths.append(path)
    return paths


def measure(n: int, k: int, repeats: int, work: Path) -> dict[str, float]:
    """Median seconds of each command on a fresh folder of ``n`` images."""
    src, out = work / f"in{n}", work / f"out{n}"
    src.mkdir()
    files = [str(path) for path in make_images(src, n)]
    ours = [*quantize_command(), "reduce", "-q", "-k", str(k), "--ext", ".q.png", "--force",
            *files]
    theirs = [PNGQUANT, "--nofs", "--force", "--ext", ".p.png", str(k), *files]

    def batch(seed: int) -> list[str]:
        shutil.rmtree(out, ignore_errors=True)
        return [*quantize_command(), "batch", "-q", str(src), "-o", str(out), "-k", str(k)]

    runs = {"quantize reduce": run_median(lambda seed: ours, repeats),
            "quantize batch": run_median(batch, repeats),
            "pngquant": run_median(lambda seed: theirs, repeats)}
    for name, run in runs.items():
        if run.problem:
            raise SystemExit(f"{name} on {n} files: {run.problem}")
    return {name: run.seconds for name, run in runs.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--counts", type=int, nargs="+", default=[1000, 4000], metavar="N")
    parser.add_argument("-k", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    counts = sorted(set(args.counts))
    print(f"Folders of {', '.join(map(str, counts))} images of 32-64 pixels a side, "
          f"k={args.k}, median of {args.repeats} runs (quantize: its default jobs)")
    print(f"  {'files':>6}  {'command':<16}{'seconds':>9}{'ms/file':>9}{'/pngquant':>11}")
    per_file: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="bench_many_") as tmp:
        for n in counts:
            seconds = measure(n, args.k, args.repeats, Path(tmp))
            for name, value in seconds.items():
                per_file.setdefault(name, []).append(value / n)
                print(f"  {n:>6}  {name:<16}{value:9.2f}{1000 * value / n:9.2f}"
                      f"{value / seconds['pngquant']:10.2f}x")
    if len(counts) > 1:
        growth = ", ".join(f"{name} {values[-1] / values[0]:.2f}x"
                           for name, values in per_file.items())
        print(f"  time a file at {counts[-1]} files over at {counts[0]}: {growth}")


if __name__ == "__main__":
    main()
