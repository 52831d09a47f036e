"""Benchmark grid palettes (RGB332, RGB565) against ImageMagick's per-channel ordered dither.

Run on demand (``python benchmarks/bench_grid_palette.py [--before CHECKOUT] [--sizes
320x240,64x32] [--keep DIR]``); pytest does not collect it. An embedded developer converts
photos for a 64 x 32 LED panel (RGB332, one byte a pixel) and a 320 x 240 TFT (RGB565).

Photos: scikit-image's astronaut, coffee, chelsea and rocket, scikit-learn's china and
BSDS500 *train* 100075 (from ``--photos``, default ``../shared/bsds500/images/train``),
each cropped to the size's aspect and resized by Pillow (Lanczos). Palettes: every mix of
``round(i * 255 / (n - 1))`` levels, 8 x 8 x 4 and 32 x 64 x 32, written as ``.hex`` files
(red slowest), with a swatch PNG of RGB332 for ImageMagick's ``-remap``.

Methods, each a command timed by its CPU seconds (user + system, as ``/usr/bin/time``
gives them, the interpreter's start included): ``quantize reduce IN --palette-in PAL``
of this checkout (``after``) and of ``--before`` (default ``/work/main``), undithered, with
``--dither=ordered`` and with ``--dither=pattern``; ImageMagick 6's ``convert IN +dither
-remap SWATCH`` (undithered RGB332) and ``-ordered-dither o8x8,8,8,4`` (``o8x8,32,64,32``
for RGB565), the same levels per channel. RGB565 outputs are TIFF (more than 256 colours);
``before`` refused ordered dithering onto it. Scores against the input: blurred PSNR
(both blurred by a Gaussian of sigma 1 px), and the median number of distinct colours in
an 8 x 8 tile (how busy the pattern is). Per size, palette and mode it prints the medians
over the photos and, for ours, the median of (ours minus ImageMagick's) dB and of the CPU
ratio ours / ImageMagick's. Where ``PYTHONDONTWRITEBYTECODE`` is set, compile both
checkouts first (``python -m compileall -q quantize``): a checkout without bytecode pays
0.25 s of compiling a command.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

REPO = Path(__file__).resolve().parents[1]
NAMES = ("astronaut", "coffee", "chelsea", "rocket", "china", "bsds100075")
GRIDS = {"rgb332": (8, 8, 4), "rgb565": (32, 64, 32)}


def photos(folder: Path) -> dict[str, np.ndarray]:
    """The six photos, ``(H, W, 3)`` uint8."""
    from skimage import data
    from sklearn.datasets import load_sample_image

    out = {name: getattr(data, name)()[..., :3] for name in NAMES[:4]}
    out["china"] = load_sample_image("china.jpg")
    out["bsds100075"] = np.asarray(Image.open(folder / "100075.jpg").convert("RGB"))
    return out


def grid(shape: tuple[int, int, int]) -> np.ndarray:
    """Every colour of the grid of ``shape`` levels, red slowest, ``(k, 3)`` uint8."""
    levels = [np.round(np.arange(n) * 255 / (n - 1)).astype(np.uint8) for n in shape]
    r, g, b = np.meshgrid(*levels, indexing="ij")
    return np.stack([r.ravel(), g.ravel(), b.ravel()], axis=1)


def blurred_psnr(a: np.ndarray, b: np.ndarray) -> float:
    from scipy.ndimage import gaussian_filter

    a = gaussian_filter(a.astype(np.float64), (1, 1, 0))
    b = gaussian_filter(b.astype(np.float64), (1, 1, 0))
    return float(10 * np.log10(255.0 ** 2 / np.mean((a - b) ** 2)))


def tile_colours(image: np.ndarray) -> float:
    """Median number of distinct colours in the image's whole 8 x 8 tiles."""
    h, w = (s // 8 * 8 for s in image.shape[:2])
    codes = (image[:h, :w].astype(np.int64) @ [65536, 256, 1]).reshape(h // 8, 8, w // 8, 8)
    tiles = codes.transpose(0, 2, 1, 3).reshape(-1, 64)
    return float(np.median([np.unique(t).size for t in tiles]))


def cpu(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> float | None:
    """CPU seconds of ``cmd`` run in ``cwd`` (None when it fails). Not in the checkout:
    ``python -m`` puts its working folder before ``PYTHONPATH``."""
    proc = subprocess.run(["/usr/bin/time", "-f", "%U %S", *cmd], capture_output=True,
                          text=True, env=env, cwd=cwd)
    if proc.returncode:
        return None
    user, system = proc.stderr.strip().splitlines()[-1].split()
    return float(user) + float(system)


def quantize_cmd(checkout: Path, src: Path, pal: Path, mode: str, out: Path
                 ) -> tuple[list[str], dict[str, str]]:
    dither = {"none": [], "ordered": ["--dither=ordered"], "pattern": ["--dither=pattern"]}
    env = dict(os.environ, PYTHONPATH=str(checkout))
    return ([sys.executable, "-m", "quantize", "reduce", str(src), "--palette-in", str(pal),
             *dither[mode], "-o", str(out), "--force", "-q"], env)


def magick_cmd(src: Path, palette: str, mode: str, swatch: Path, out: Path) -> list[str] | None:
    if mode == "pattern":
        return None
    if mode == "none":
        return None if palette != "rgb332" else ["convert", str(src), "+dither", "-remap",
                                                  str(swatch), str(out)]
    r, g, b = GRIDS[palette]
    return ["convert", str(src), "-ordered-dither", f"o8x8,{r},{g},{b}", str(out)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, default=Path("/work/main"))
    parser.add_argument("--sizes", default="320x240,64x32")
    parser.add_argument("--photos", type=Path,
                        default=REPO.parent / "shared" / "bsds500" / "images" / "train")
    parser.add_argument("--keep", type=Path, default=None)
    args = parser.parse_args()
    if shutil.which("convert") is None or shutil.which("/usr/bin/time") is None:
        raise SystemExit("needs ImageMagick's convert and /usr/bin/time")
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench_grid_"))
    work.mkdir(parents=True, exist_ok=True)
    pals = {}
    for name, shape in GRIDS.items():
        colours = grid(shape)
        pals[name] = work / f"{name}.hex"
        pals[name].write_text("".join(bytes(c.tolist()).hex() + "\n" for c in colours))
    swatch = work / "rgb332_swatch.png"
    Image.fromarray(grid(GRIDS["rgb332"]).reshape(16, 16, 3)).save(swatch)
    sources = photos(args.photos)
    for size in args.sizes.split(","):
        w, h = (int(v) for v in size.split("x"))
        inputs = {}
        for name, photo in sources.items():
            inputs[name] = work / f"{name}_{w}x{h}.png"
            ImageOps.fit(Image.fromarray(photo), (w, h), Image.Resampling.LANCZOS).save(
                inputs[name])
        for palette in GRIDS:
            ext = ".png" if palette == "rgb332" else ".tif"
            for mode in ("none", "ordered", "pattern"):
                report(size, palette, mode, ext, inputs, pals[palette], swatch, work, args.before)


def report(size: str, palette: str, mode: str, ext: str, inputs: dict[str, Path], pal: Path,
           swatch: Path, work: Path, before: Path) -> None:
    """Print one table row per method of ``mode`` onto ``palette`` at ``size``."""
    scores: dict[str, list[tuple[float, float, float]]] = {}
    for name, src in inputs.items():
        ref = np.asarray(Image.open(src).convert("RGB"))
        runs = {}
        for version, checkout in (("before", before), ("after", REPO)):
            out = work / f"{name}_{size}_{palette}_{mode}_{version}{ext}"
            cmd, env = quantize_cmd(checkout, src, pal, mode, out)
            runs[version] = (cpu(cmd, work, env), out)
        out = work / f"{name}_{size}_{palette}_{mode}_magick{ext}"
        cmd = magick_cmd(src, palette, mode, swatch, out)
        runs["magick"] = (cpu(cmd, work), out) if cmd else (None, out)
        for method, (seconds, out) in runs.items():
            if seconds is None:
                continue
            drawn = np.asarray(Image.open(out).convert("RGB"))
            scores.setdefault(method, []).append(
                (blurred_psnr(ref, drawn), tile_colours(drawn), seconds))
    line = f"{size:>8} {palette} {mode:8}"
    for method, rows in scores.items():
        psnr, tiles, seconds = np.median(np.array(rows), axis=0)
        line += f" | {method} {psnr:.2f} dB, {tiles:.0f}/tile, {seconds:.2f} s"
    if "magick" in scores and len(scores["magick"]) == len(inputs):
        theirs = np.array(scores["magick"])
        for method in ("before", "after"):
            if len(scores.get(method, ())) == len(inputs):
                ours = np.array(scores[method])
                line += (f" | {method}-magick {np.median(ours[:, 0] - theirs[:, 0]):+.2f} dB,"
                         f" cpu x{np.median(ours[:, 2] / np.maximum(theirs[:, 2], 0.01)):.0f}")
    print(line, flush=True)


if __name__ == "__main__":
    main()
