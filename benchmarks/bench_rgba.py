"""Benchmark what alpha costs ``quantize reduce``: RGBA time against the same RGB pixels, and
against pngquant on the same RGBA files.

Run on demand (``python benchmarks/bench_rgba.py [--ks 16 64 256] [--repeats 5]
[--no-cli]``); pytest does not collect it. The photos are six of
:func:`_images.sample_photos` (china, flower, astronaut, coffee, chelsea, rocket) and the
first BSDS500 val photo when ``--bsds`` names its folder (default
``/work/shared/bsds500/images/val``; left out when missing). Each is given three alphas:

- **opaque**: alpha 255 everywhere (read as RGB: no alpha, no tRNS chunk written);
- **soft**: a round disc, alpha 255 inside, falling to 0 over a 20-pixel feathered
  edge, transparent in the corners;
- **icon**: the photo resized to 64 and to 256 pixels a side under a binary round mask.

For each case, k (``--ks``) and dithering (none, and ``dither=True``):

1. **Library:** ``quantize.reduce_colors`` on the RGBA image and on its RGB pixels, in
   this process, median seconds of ``--repeats`` calls (after one unmeasured), and the
   ratio RGBA / RGB.
2. **File to file** (unless ``--no-cli``): ``quantize reduce`` on the RGBA PNG against
   ``pngquant`` (``--nofs`` undithered, its default dithered) on the same file, each a
   fresh process, median of ``--repeats``; the ratio ours / pngquant's.

The summary gives, per alpha and dithering, the median and largest library ratio RGBA /
RGB and the median CLI ratio against pngquant. Every ratio is against a measure taken in
the same run.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _images import sample_photos  # noqa: E402
from bench_reduce import PNGQUANT, quantize_command, run_median  # noqa: E402

PHOTOS = ("china", "flower", "astronaut", "coffee", "chelsea", "rocket")
FEATHER = 20          # soft alpha: the edge's width in pixels
DISC_SHARE = 0.45     # soft alpha: the disc's radius over the shorter side
ICON_SIDES = (64, 256)
ICON_SHARE = 0.42     # icons: the mask's radius over the side


def soft_alpha(rgb: np.ndarray) -> np.ndarray:
    """``(H, W, 4)``: ``rgb`` under a round alpha feathered over :data:`FEATHER` pixels."""
    h, w = rgb.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w] + 0.5
    edge = min(h, w) * DISC_SHARE - np.hypot(yy - h / 2, xx - w / 2)
    alpha = np.rint(np.clip(edge / FEATHER, 0, 1) * 255).astype(np.uint8)
    return np.dstack([rgb, alpha])


def icon(rgb: np.ndarray, side: int) -> np.ndarray:
    """``(side, side, 4)``: ``rgb`` resized, under a binary round mask."""
    small = np.asarray(Image.fromarray(rgb).resize((side, side), Image.Resampling.BICUBIC))
    yy, xx = np.mgrid[0:side, 0:side] + 0.5
    inside = np.hypot(yy - side / 2, xx - side / 2) < side * ICON_SHARE
    return np.dstack([small, np.where(inside, 255, 0).astype(np.uint8)])


def cases(bsds: Path) -> dict[str, dict[str, np.ndarray]]:
    """``{alpha kind: {photo name: (H, W, 4) uint8}}``."""
    photos = {name: rgb for name, rgb in sample_photos().items() if name in PHOTOS}
    found = sorted(bsds.glob("*.jpg")) if bsds.is_dir() else []
    if found:
        with Image.open(found[0]) as im:
            photos[f"bsds-{found[0].stem}"] = np.asarray(im.convert("RGB"))
    opaque = {name: np.dstack([rgb, np.full(rgb.shape[:2], 255, np.uint8)])
              for name, rgb in photos.items()}
    out = {"opaque": opaque, "soft": {name: soft_alpha(rgb) for name, rgb in photos.items()}}
    for side in ICON_SIDES:
        out[f"icon{side}"] = {name: icon(rgb, side) for name, rgb in photos.items()}
    return out


def library_seconds(image: np.ndarray, k: int, dither: bool, repeats: int) -> float:
    """Median wall seconds of ``reduce_colors(image, k)``, after one unmeasured call."""
    from quantize import reduce_colors

    times = []
    for i in range(repeats + 1):
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # fewer colours than k, on small icons
            reduce_colors(image, k, dither=dither, seed=0)
        if i:
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def cli_ratio(src: Path, out: Path, k: int, dither: bool, repeats: int) -> float:
    """Median seconds of ``quantize reduce`` over pngquant's on ``src``; nan on a failure."""
    ours = [*quantize_command(), "reduce", str(src), "-o", str(out), "-k", str(k), "--force",
            *(["--dither"] if dither else [])]
    theirs = [PNGQUANT, *([] if dither else ["--nofs"]), "--force", "--output",
              str(out.with_suffix(".pq.png")), str(k), str(src)]
    runs = [run_median(lambda seed, argv=argv: argv, repeats) for argv in (ours, theirs)]
    if any(run.problem for run in runs):
        print(f"    {src.name}: {'; '.join(run.problem for run in runs if run.problem)}")
        return float("nan")
    return runs[0].seconds / runs[1].seconds


def measure(kind: str, images: dict[str, np.ndarray], k: int, dither: bool, repeats: int,
            work: Path | None) -> None:
    """One alpha kind at one k: a line per photo and the kind's summary line."""
    label = "dithered" if dither else "undithered"
    ratios, against = [], []
    for name, rgba in images.items():
        rgb = np.ascontiguousarray(rgba[..., :3])
        with_alpha = library_seconds(rgba, k, dither, repeats)
        without = library_seconds(rgb, k, dither, repeats)
        ratios.append(with_alpha / without)
        line = (f"  {kind:<7} {name:<16} k={k:<3} {label:<10} RGBA {with_alpha * 1000:6.0f} ms, "
                f"RGB {without * 1000:6.0f} ms, {ratios[-1]:.2f}x")
        if work is not None:
            src = work / f"{kind}_{name}.png"
            if not src.exists():
                Image.fromarray(rgba).save(src)
            against.append(cli_ratio(src, work / f"{kind}_{name}_q.png", k, dither, repeats))
            line += f"; file to file {against[-1]:.2f}x pngquant"
        print(line, flush=True)
    summary = (f"{kind:<7} k={k:<3} {label:<10} RGBA / RGB median {statistics.median(ratios):.2f}x,"
               f" largest {max(ratios):.2f}x")
    if against:
        summary += f"; against pngquant median {statistics.median(against):.2f}x"
    print(summary, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ks", type=int, nargs="+", default=[16, 64, 256])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--kinds", nargs="+", default=["opaque", "soft", "icon64", "icon256"])
    parser.add_argument("--bsds", type=Path, default=Path("/work/shared/bsds500/images/val"))
    parser.add_argument("--no-cli", action="store_true", help="skip the file-to-file part")
    args = parser.parse_args()
    all_cases = cases(args.bsds)
    unknown = sorted(set(args.kinds) - set(all_cases))
    if unknown:
        raise SystemExit(f"--kinds {' '.join(unknown)}: expected some of {', '.join(all_cases)}")
    print(f"median of {args.repeats} runs each; ratios are RGBA / RGB (library) and "
          "quantize / pngquant (file to file)")
    with tempfile.TemporaryDirectory(prefix="bench_rgba_") as tmp:
        work = None if args.no_cli else Path(tmp)
        for kind in args.kinds:
            for k in args.ks:
                for dither in (False, True):
                    measure(kind, all_cases[kind], k, dither, args.repeats, work)


if __name__ == "__main__":
    main()
