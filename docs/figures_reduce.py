"""Draw the colour-reduction figure of the README from a sample photo.

Usage: python docs/figures_reduce.py [SAMPLE] [OUT]
(defaults: samples/chelsea.jpg and docs/reduce_chelsea.png)

The figure shows the photo and ``quantize.reduce_colors`` at 8 and 32 colours
side by side; under each reduced panel a strip of its palette, each swatch as
wide as the share of pixels it draws, in palette order (most used first).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from quantize import reduce_colors
from quantize.io import load_image

ROOT = Path(__file__).resolve().parent.parent
COLOUR_COUNTS = (8, 32)
STRIP = 28   # swatch strip height, pixels
LABEL = 22   # caption band height
GAP = 8


def swatch_strip(palette: np.ndarray, shares: np.ndarray, width: int) -> np.ndarray:
    """``(STRIP, width, 3)`` strip: each palette colour as wide as its pixel share."""
    edges = np.rint(np.concatenate([[0], np.cumsum(shares)]) * width).astype(int)
    strip = np.empty((STRIP, width, 3), np.uint8)
    for colour, start, stop in zip(palette, edges[:-1], edges[1:], strict=True):
        strip[:, start:stop] = colour
    return strip


def panel(image: np.ndarray, caption: str, strip: np.ndarray | None) -> Image.Image:
    h, w, _ = image.shape
    canvas = Image.new("RGB", (w, LABEL + h + GAP + STRIP), "white")
    ImageDraw.Draw(canvas).text((4, 4), caption, fill="black")
    canvas.paste(Image.fromarray(image), (0, LABEL))
    if strip is not None:
        canvas.paste(Image.fromarray(strip), (0, LABEL + h + GAP))
    return canvas


def figure(sample: Path) -> Image.Image:
    rgb = load_image(sample).rgb
    panels = [panel(rgb, f"{sample.name}: original", None)]
    for k in COLOUR_COUNTS:
        result = reduce_colors(rgb, k, seed=0)
        caption = (f"{k} colours: PSNR {result.psnr:.1f} dB, "
                   f"mean dE2000 {result.delta_e:.2f}")
        strip = swatch_strip(result.palette, result.shares, rgb.shape[1])
        panels.append(panel(result.to_rgb(), caption, strip))
    width = sum(p.width for p in panels) + GAP * (len(panels) - 1)
    out = Image.new("RGB", (width, panels[0].height), "white")
    x = 0
    for p in panels:
        out.paste(p, (x, 0))
        x += p.width + GAP
    return out


def main(sample: Path, out: Path) -> None:
    figure(sample).save(out, optimize=True)
    print(f"wrote {out}")


if __name__ == "__main__":
    args = sys.argv[1:]
    main(Path(args[0]) if args else ROOT / "samples" / "chelsea.jpg",
         Path(args[1]) if len(args) > 1 else ROOT / "docs" / "reduce_chelsea.png")
