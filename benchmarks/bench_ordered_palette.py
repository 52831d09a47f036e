"""Benchmark ordered and pattern dithering onto a FITTED palette, greys and colour, in one run.

Run on demand (``python benchmarks/bench_ordered_palette.py [--before CHECKOUT]``); pytest
does not collect it. A newspaper's picture editor reduces photos to a few tones with
``quantize reduce IN -k K --dither=ordered`` and compares them with ImageMagick's ordered
dithering.

Images: 10 greys (skimage's camera; astronaut, coffee and chelsea made grey; six BSDS500
train photos (``--photos``), every 33rd of the sorted 200 from the first, made grey) and 11
colour images (astronaut, coffee, chelsea, rocket, scikit-learn's china, the same six
photos). For each
k of ``--colors`` (default 2, 4, 8, 16, 64, 256) and each of ``--dither=ordered`` and
``--dither=pattern``: ``reduce_colors(image, k, dither=..., seed=0)`` saved as a PNG with
``ReduceResult.save``, its blurred PSNR (both images blurred by a Gaussian of sigma 1 px,
as ``bench_reduce.py`` scores) and bytes; with ``--before``, the same from that checkout (a
process with it on ``PYTHONPATH``). ImageMagick, for ordered dithering: the greys with
``convert IN -colorspace gray -ordered-dither o8x8,K OUT`` (K evenly spaced levels), the
colour images with ``convert IN -ordered-dither o8x8,L +dither -colors K OUT`` (L levels a
channel, the fewest whose cube holds K; ImageMagick has no ordered dithering onto K fitted
colours). Per set, dither and k it prints the medians, the median and least gain over
``--before`` and how many images score above ImageMagick.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
#: The BSDS500 train photos (``--photos``), as ``bench_bsds.py`` finds them.
BSDS = REPO.parent / "shared" / "bsds500" / "images" / "train"
COLOURS = (2, 4, 8, 16, 64, 256)
DITHERS = ("ordered", "pattern")


def images(kind: str, folder: Path) -> dict[str, np.ndarray]:
    """The set ``kind`` ("grey" or "colour"), with six photos of ``folder``: name ->
    ``(H, W)`` or ``(H, W, 3)`` uint8."""
    from skimage import data
    from skimage.color import rgb2gray
    from sklearn.datasets import load_sample_image

    photos = sorted(folder.glob("*.jpg"))[::33][:6]
    if len(photos) < 6:
        raise SystemExit(f"--photos {folder}: fewer than 6 photos (*.jpg) every 33rd")
    if kind == "grey":
        out = {"camera": data.camera()}
        for name in ("astronaut", "coffee", "chelsea"):
            out[name] = np.rint(rgb2gray(getattr(data, name)()) * 255).astype(np.uint8)
        out.update({p.stem: np.asarray(Image.open(p).convert("L")) for p in photos})
        return out
    out = {name: getattr(data, name)() for name in ("astronaut", "coffee", "chelsea", "rocket")}
    out["china"] = load_sample_image("china.jpg")
    out.update({p.stem: np.asarray(Image.open(p).convert("RGB")) for p in photos})
    return out


def blurred_psnr(a: np.ndarray, b: np.ndarray) -> float:
    """PSNR after a Gaussian blur of sigma 1 px of both ``(H, W, C)`` images."""
    from scipy.ndimage import gaussian_filter

    a, b = (gaussian_filter(x.astype(np.float32), (1, 1, 0), mode="nearest") for x in (a, b))
    mse = float(np.mean((a.astype(np.float64) - b) ** 2))
    return float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)


def as_rgb(image: np.ndarray) -> np.ndarray:
    return np.repeat(image[..., None], 3, axis=2) if image.ndim == 2 else image


def ours(kind: str, dither: str, colours: list[int], folder: Path) -> dict[str, list[float]]:
    """``"name k" -> [blurred PSNR, bytes]`` of the checkout this process imports."""
    import io

    from quantize import reduce_colors

    scores = {}
    for name, image in images(kind, folder).items():
        for k in colours:
            result = reduce_colors(image, k, dither=dither, seed=0)
            buffer = io.BytesIO()
            result.save(buffer, "png")
            scores[f"{name} {k}"] = [blurred_psnr(as_rgb(image), result.to_rgb()),
                                     buffer.tell()]
    return scores


def magick(kind: str, colours: list[int], folder: Path, work: Path) -> dict[str, list[float]]:
    """``"name k" -> [blurred PSNR, bytes]`` of ImageMagick's ordered dithering."""
    scores = {}
    for name, image in images(kind, folder).items():
        src, out = work / "in.png", work / "out.png"
        Image.fromarray(image).save(src)
        for k in colours:
            levels = 2
            while levels**3 < k:
                levels += 1
            steps = (["-colorspace", "gray", "-ordered-dither", f"o8x8,{k}"] if kind == "grey"
                     else ["-ordered-dither", f"o8x8,{levels}", "+dither", "-colors", str(k)])
            subprocess.run(["convert", str(src), *steps, str(out)], check=True)
            drawn = np.asarray(Image.open(out).convert("RGB"))
            scores[f"{name} {k}"] = [blurred_psnr(as_rgb(image), drawn), out.stat().st_size]
    return scores


def from_checkout(checkout: Path, kind: str, dither: str, colours: list[int], folder: Path
                  ) -> dict[str, list[float]]:
    """:func:`ours` in a process with ``checkout`` first on its path."""
    cmd = [sys.executable, __file__, "--photos", str(folder), "--ours", kind, dither,
           ",".join(map(str, colours))]
    env = os.environ | {"PYTHONPATH": str(checkout)}
    return json.loads(subprocess.run(cmd, env=env, check=True, capture_output=True,
                                     text=True, cwd=tempfile.gettempdir()).stdout)


def report(kind: str, dither: str, k: int, now: dict, before: dict | None,
           im: dict | None) -> str:
    keys = [key for key in now if key.endswith(f" {k}") and np.isfinite(now[key][0])
            and (before is None or np.isfinite(before[key][0]))]
    if not keys:
        return f"{kind:6} {dither:7} k={k:3}: every image drawn exactly"
    line = f"{kind:6} {dither:7} k={k:3}: {np.median([now[x][0] for x in keys]):6.2f} dB"
    line += f", {np.median([now[x][1] for x in keys]):9,.0f} B"
    if before is not None:
        gains = np.array([now[x][0] - before[x][0] for x in keys])
        ratio = np.median([now[x][1] / before[x][1] for x in keys])
        line += (f" | before {np.median([before[x][0] for x in keys]):6.2f} dB, gain median "
                 f"{np.median(gains):+.2f} least {gains.min():+.2f}, bytes {ratio:.3f}x")
    if im is not None:
        ahead = sum(now[x][0] > im[x][0] for x in keys)
        line += (f" | ImageMagick {np.median([im[x][0] for x in keys]):6.2f} dB, "
                 f"{np.median([im[x][1] for x in keys]):9,.0f} B, ahead {ahead}/{len(keys)}")
    return line


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, default=None, metavar="CHECKOUT",
                        help="another checkout to measure in the same run")
    parser.add_argument("--colors", default=",".join(map(str, COLOURS)),
                        help="the k to measure, comma-separated")
    parser.add_argument("--photos", type=Path, default=BSDS, metavar="DIR",
                        help="the BSDS500 train photos (default: %(default)s)")
    parser.add_argument("--ours", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.ours:  # a child measuring its own checkout
        kind, dither, colours = args.ours
        print(json.dumps(ours(kind, dither, [int(k) for k in colours.split(",")],
                              args.photos)))
        return
    colours = [int(k) for k in args.colors.split(",")]
    with tempfile.TemporaryDirectory() as work:
        for kind in ("grey", "colour"):
            im = magick(kind, colours, args.photos, Path(work))
            for dither in DITHERS:
                now = from_checkout(REPO, kind, dither, colours, args.photos)
                before = (None if args.before is None else
                          from_checkout(args.before.resolve(), kind, dither, colours,
                                        args.photos))
                for k in colours:
                    print(report(kind, dither, k, now, before,
                                 im if dither == "ordered" else None), flush=True)


if __name__ == "__main__":
    main()
