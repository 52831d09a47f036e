"""Benchmark ``quantize reduce`` against pngquant on real RGBA icons, file to file.

Run on demand (``python benchmarks/bench_icons.py [--folder DIR] [--limit N]``); pytest
does not collect it. Icons are what users most often reduce with alpha: anti-aliased
edges, drop shadows and glows over a transparent background. The benchmark's own RGBA
image (``bench_reduce.py``, a photo disc) is one image; this runs over a set.

The icons are the PNG files under ``--folder`` (default ``/usr/share/icons``, where the
desktop's icon themes live, e.g. Debian's ``adwaita-icon-theme``) with alpha, at least
24 pixels a side and at most 0.6 MP, of which at least 1 % of the pixels are translucent
(0 < alpha < 255), at least 5 % opaque, and with at least 300 distinct RGBA values (an
icon of fewer is lossless at 256 colours for either tool). Icons whose pixels repeat an
earlier one's (the same picture in two themes) count once. Of those, in sorted path
order, ``--limit`` are taken at even steps (all when there are fewer).

Each is reduced at k = 16, 64 and 256 (``--ks``) by ``quantize reduce -k K`` and
``pngquant --nofs K``, one fresh process each; per k, over the set: the median and worst
PSNR difference (ours minus pngquant's, on premultiplied RGBA, as ``bench_reduce.py``
scores its RGBA image), the median byte ratio and on how many icons ours is larger, and
the median ratio of wall seconds (``--repeats`` runs each, the median); then all the
icons in one call of each tool (``quantize reduce -k K FILES``, its default jobs, and
``pngquant --nofs K FILES``), median wall seconds. Every ratio is against pngquant
measured in the same run.
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_reduce import (  # noqa: E402
    PNGQUANT,
    decode,
    premultiplied,
    psnr_of,
    quantize_command,
    run_median,
)

MIN_SIDE, MAX_PIXELS = 24, 600_000
MIN_TRANSLUCENT, MIN_OPAQUE, MIN_COLOURS = 0.01, 0.05, 300


def icon_rgba(path: Path) -> np.ndarray | None:
    """``path`` as ``(H, W, 4)`` uint8 if it is an icon this benchmark takes, else None."""
    try:
        with Image.open(path) as im:
            if im.format != "PNG" or im.mode not in ("RGBA", "LA", "P", "PA"):
                return None
            if min(im.size) < MIN_SIDE or im.size[0] * im.size[1] > MAX_PIXELS:
                return None
            rgba = np.asarray(im.convert("RGBA"))
    except (OSError, ValueError, Image.DecompressionBombError):
        return None
    alpha = rgba[..., 3]
    if np.mean((alpha > 0) & (alpha < 255)) < MIN_TRANSLUCENT or np.mean(alpha == 255) < MIN_OPAQUE:
        return None
    if np.unique(rgba.reshape(-1, 4).view(np.uint32)).size < MIN_COLOURS:
        return None
    return rgba


def find_icons(folder: Path, limit: int) -> list[tuple[Path, np.ndarray]]:
    """The icons under ``folder`` (see the module's docstring), ``limit`` at even steps."""
    found, seen = [], set()
    for path in sorted(folder.rglob("*.png")):
        if path.is_symlink() or not path.is_file():
            continue
        rgba = icon_rgba(path)
        if rgba is None:
            continue
        digest = hashlib.sha1(rgba.tobytes() + str(rgba.shape).encode()).hexdigest()
        if digest not in seen:
            seen.add(digest)
            found.append((path, rgba))
    if len(found) > limit:
        found = [found[i * len(found) // limit] for i in range(limit)]
    return found


def measure(icons: list[tuple[Path, np.ndarray]], k: int, repeats: int, work: Path) -> None:
    """One k over the set: print the per-set summary and the worst icons."""
    rows = []
    for i, (path, rgba) in enumerate(icons):
        src = work / f"icon{i}.png"
        if not src.exists():
            Image.fromarray(rgba).save(src)
        ours, theirs = work / f"q{i}_{k}.png", work / f"p{i}_{k}.png"
        argvs = {
            "quantize": [*quantize_command(), "reduce", str(src), "-k", str(k), "-o", str(ours),
                         "--force"],
            "pngquant": [PNGQUANT, "--nofs", "--force", "--output", str(theirs), str(k),
                         str(src)],
        }
        runs = {name: run_median(lambda seed, argv=argv: argv, repeats)
                for name, argv in argvs.items()}
        for name, run in runs.items():
            if run.problem:
                print(f"  {path}: {name} {run.problem}")
        if any(run.problem for run in runs.values()):
            continue
        original = premultiplied(rgba)
        gap = (psnr_of(original, premultiplied(decode(ours, 4)))
               - psnr_of(original, premultiplied(decode(theirs, 4))))
        rows.append((path, gap, ours.stat().st_size / theirs.stat().st_size,
                     runs["quantize"].seconds / runs["pngquant"].seconds))
    if not rows:
        print(f"  k={k}: no icon could be compared")
        return
    gaps, ratios, times = ([row[j] for row in rows] for j in (1, 2, 3))
    print(f"  k={k:<3} {len(rows)} icons: PSNR vs pngquant --nofs median "
          f"{statistics.median(gaps):+.2f} dB, worst {min(gaps):+.2f} "
          f"(behind on {sum(g < 0 for g in gaps)}); bytes median "
          f"{statistics.median(ratios):.3f}x (larger on {sum(r > 1 for r in ratios)}); "
          f"time median {statistics.median(times):.2f}x")
    for path, gap, ratio, _ in sorted(rows, key=lambda row: -row[2])[:3]:
        print(f"    largest bytes: {path.name} {ratio:.3f}x, PSNR {gap:+.2f} dB")
    one_call([work / f"icon{i}.png" for i in range(len(icons))], k, repeats)


def one_call(srcs: list[Path], k: int, repeats: int) -> None:
    """All icons in one call of each tool, as a user reduces a folder of them: the fixed
    costs of a file, not of a process. Ours runs its default number of jobs (the CPUs)."""
    ours = [*quantize_command(), "reduce", "-k", str(k), "--ext", f".q{k}.png", "--force",
            *map(str, srcs)]
    theirs = [PNGQUANT, "--nofs", "--force", "--ext", f".p{k}.png", str(k), *map(str, srcs)]
    runs = {"quantize": run_median(lambda seed: ours, repeats),
            "pngquant": run_median(lambda seed: theirs, repeats)}
    problems = [f"{name} {run.problem}" for name, run in runs.items() if run.problem]
    if problems:
        print(f"    {len(srcs)} icons in one call: " + "; ".join(problems))
        return
    print(f"    {len(srcs)} icons in one call: quantize {runs['quantize'].seconds:.2f} s, "
          f"pngquant --nofs {runs['pngquant'].seconds:.2f} s, "
          f"{runs['quantize'].seconds / runs['pngquant'].seconds:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--folder", type=Path, default=Path("/usr/share/icons"))
    parser.add_argument("--limit", type=int, default=100, metavar="N")
    parser.add_argument("--ks", type=int, nargs="+", default=[16, 64, 256])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    if not args.folder.is_dir():
        raise SystemExit(f"--folder {args.folder}: no such folder (install an icon theme, "
                         "e.g. apt-get install adwaita-icon-theme, or give another)")
    icons = find_icons(args.folder, args.limit)
    if not icons:
        raise SystemExit(f"--folder {args.folder}: no PNG icon with soft alpha edges found")
    sides = sorted(max(rgba.shape[:2]) for _, rgba in icons)
    print(f"{len(icons)} icons from {args.folder} ({sides[0]} to {sides[-1]} pixels a side), "
          f"median of {args.repeats} runs each")
    with tempfile.TemporaryDirectory(prefix="bench_icons_") as tmp:
        for k in args.ks:
            measure(icons, k, args.repeats, Path(tmp))


if __name__ == "__main__":
    main()
