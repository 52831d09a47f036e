"""Speed of Floyd-Steinberg dithering onto a GIVEN palette against ImageMagick and Pillow.

Run on demand (``python benchmarks/bench_given_speed.py [--before CHECKOUT] [--repeats N]
[--photos NAME ...] [--palettes NAME ...] [--keep DIR]``); pytest does not collect it.
A prepress operator dithering onto a fixed set of inks (``--palette-in``) found the
command 2x ImageMagick's time and 3-5x Pillow's; this measures that case.

Photos (PNG files in a temporary folder, nothing committed): ``p12``, scikit-learn's
``china`` enlarged to 4000 x 3000 (12 MP, Lanczos), and scikit-image's ``astronaut``,
``coffee`` and ``chelsea`` at their own size. Palettes (:func:`palettes`): ``inks10``
(black, white, cyan, magenta, yellow, red, green, blue, orange, grey), ``pico8`` (16)
and ``random64`` / ``random256`` (seeded random colours).

Each photo onto each palette, in the same run, under ``/usr/bin/time -v``, the tools in
turn ``--repeats`` times (medians of the wall time; the peak resident set size of the last):
``quantize reduce IN --palette-in PAL.gpl --dither -o OUT`` of this checkout (``after``)
and of ``--before`` (default ``/work/main``; ``before``), each run with that checkout on
its path; ImageMagick's ``convert IN -dither FloydSteinberg -remap SWATCH OUT``; and
Pillow's ``Image.quantize(palette=..., dither=FLOYDSTEINBERG)`` in a child process (image
read, mapped and saved). Scored by blurred PSNR (both images blurred by a Gaussian of
sigma 1 px first) of each output against the photo. Prints per photo and palette the
seconds, MB and dB of each tool, then after's time over before's, ImageMagick's and
Pillow's, and whether after's output is byte for byte before's.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

import numpy as np
from PIL import Image

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _measure import time_v, work_folder  # noqa: E402

REPO = HERE.parent
TOOLS = ("after", "before", "magick", "pillow")
#: Pillow's side, run as a child process: IN SWATCH OUT.
PILLOW_SCRIPT = """
import sys
from PIL import Image
swatch = Image.open(sys.argv[2])
swatch.load()
im = Image.open(sys.argv[1]).convert("RGB")
im.quantize(palette=swatch, dither=Image.Dither.FLOYDSTEINBERG).save(sys.argv[3])
"""


def palettes() -> dict[str, np.ndarray]:
    """name -> ``(k, 3)`` uint8 entries."""
    inks = [(0, 0, 0), (255, 255, 255), (0, 174, 239), (236, 0, 140), (255, 242, 0),
            (237, 28, 36), (0, 166, 81), (46, 49, 146), (247, 148, 29), (128, 128, 128)]
    pico8 = ["000000", "1d2b53", "7e2553", "008751", "ab5236", "5f574f", "c2c3c7", "fff1e8",
             "ff004d", "ffa300", "ffec27", "00e436", "29adff", "83769c", "ff77a8", "ffccaa"]
    rng = np.random.default_rng(1)
    return {"inks10": np.array(inks, np.uint8),
            "pico8": np.array([[int(h[i:i + 2], 16) for i in (0, 2, 4)] for h in pico8],
                              np.uint8),
            "random64": rng.integers(0, 256, (64, 3)).astype(np.uint8),
            "random256": rng.integers(0, 256, (256, 3)).astype(np.uint8)}


def photos() -> dict[str, np.ndarray]:
    """name -> ``(H, W, 3)`` uint8."""
    import skimage.data
    from sklearn.datasets import load_sample_image

    china = Image.fromarray(load_sample_image("china.jpg"))
    return {"p12": np.asarray(china.resize((4000, 3000), Image.Resampling.LANCZOS)),
            "astronaut": skimage.data.astronaut(), "coffee": skimage.data.coffee(),
            "chelsea": skimage.data.chelsea()}


def write_palette_files(pal: np.ndarray, stem: Path) -> tuple[Path, Path]:
    """``stem.gpl`` (GIMP palette, for quantize) and ``stem.png`` (a 1-row swatch, for
    ImageMagick, and a mode "P" one for Pillow, ``stem.p.png``)."""
    gpl = stem.with_suffix(".gpl")
    gpl.write_text("GIMP Palette\nName: bench\n#\n"
                   + "".join(f"{r} {g} {b}\tc{i}\n" for i, (r, g, b) in enumerate(pal.tolist())))
    swatch = stem.with_suffix(".png")
    Image.fromarray(pal[None]).save(swatch)
    p = Image.new("P", (1, 1))
    p.putpalette(np.vstack([pal, np.repeat(pal[:1], 256 - len(pal), 0)]).tobytes())
    p.save(stem.with_suffix(".p.png"))
    return gpl, swatch


def command(tool: str, src: Path, gpl: Path, swatch: Path, out: Path, before: Path
            ) -> list[str]:
    """The command line of ``tool`` (ours run by ``env`` with its checkout on the path)."""
    if tool in ("after", "before"):
        return ["env", f"PYTHONPATH={REPO if tool == 'after' else before}", sys.executable,
                "-m", "quantize", "reduce", str(src), "--palette-in", str(gpl), "--dither",
                "-o", str(out), "--force", "-q"]
    if tool == "magick":
        return ["convert", str(src), "-dither", "FloydSteinberg", "-remap", str(swatch),
                str(out)]
    return [sys.executable, "-c", PILLOW_SCRIPT, str(src), str(swatch.with_suffix(".p.png")),
            str(out)]


def blurred_psnr(a: np.ndarray, b: np.ndarray) -> float:
    from scipy.ndimage import gaussian_filter

    fa = gaussian_filter(a.astype(np.float32), (1, 1, 0))
    fb = gaussian_filter(b.astype(np.float32), (1, 1, 0))
    mse = float(np.mean((fa.astype(np.float64) - fb) ** 2))
    return float("inf") if mse == 0 else 10 * np.log10(255.0 ** 2 / mse)


def measure(folder: Path, name: str, rgb: np.ndarray, pal_name: str, pal: np.ndarray,
            args: argparse.Namespace) -> None:
    """Print one photo onto one palette by every tool."""
    src = folder / f"{name}.png"
    if not src.exists():
        Image.fromarray(rgb).save(src)
    gpl, swatch = write_palette_files(pal, folder / pal_name)
    outs = {tool: folder / f"{name}.{pal_name}.{tool}.png" for tool in TOOLS}
    runs = {tool: [] for tool in TOOLS}
    for _ in range(args.repeats):  # the tools in turn, so that a busy spell hits them alike
        for tool in TOOLS:
            runs[tool].append(time_v(command(tool, src, gpl, swatch, outs[tool], args.before)))
    scores = {}
    for tool in TOOLS:
        shown = np.asarray(Image.open(outs[tool]).convert("RGB"))
        scores[tool] = (statistics.median(s for _, s in runs[tool]), runs[tool][-1][0] / 1024,
                        blurred_psnr(shown, rgb))
    same = ((folder / f"{name}.{pal_name}.after.png").read_bytes()
            == (folder / f"{name}.{pal_name}.before.png").read_bytes())
    after = scores["after"][0]
    print(f"{name:9} {pal_name:9} " + " | ".join(
        f"{t} {s:6.2f} s {mb:5.0f} MB {p:5.2f} dB" for t, (s, mb, p) in scores.items())
        + f" || after / before {after / scores['before'][0]:.2f}, / magick "
        f"{after / scores['magick'][0]:.2f}, / pillow {after / scores['pillow'][0]:.2f}; "
        f"same bytes as before: {same}", flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, default=Path("/work/main"),
                        help="checkout of quantize to compare with")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each command")
    parser.add_argument("--photos", nargs="+", choices=("p12", "astronaut", "coffee",
                                                        "chelsea"),
                        default=["p12", "astronaut", "coffee", "chelsea"])
    parser.add_argument("--palettes", nargs="+",
                        choices=("inks10", "pico8", "random64", "random256"),
                        default=["inks10", "pico8", "random64", "random256"])
    parser.add_argument("--keep", type=Path, help="build/keep the files in this folder")
    args = parser.parse_args(argv)
    folder = work_folder(args.keep, "bench_given_speed_")
    images, pals = photos(), palettes()
    print(f"{args.repeats} runs each, medians of wall time; peak RSS of the last run")
    for name in args.photos:
        for pal_name in args.palettes:
            measure(folder, name, images[name], pal_name, pals[pal_name], args)


if __name__ == "__main__":
    main()
