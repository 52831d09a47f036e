"""Draw the segmentation figures of the README and docs/segment.md.

Usage: python docs/figures_segment.py [SAMPLE] [OUTDIR]
(defaults: samples/coffee.jpg and docs/)

Writes three figures:

- ``segment_<sample>.png``: the photo with the region borders drawn on it, and
  each region filled with its mean colour (``quantize.segment``, defaults);
- ``segment_weights.png``: the texture mosaic of ``benchmarks/bench_segment.py``
  (grass, brick and gravel tinted to one mean colour) segmented into 3
  clusters with colour only, with the default weights, and with a heavier
  position weight, each with its adjusted Rand index and border F;
- ``segment_bsds.png``: a BSDS500 *val* photo (``BSDS_IMAGE``) with the default
  segmentation's borders, ``boundary_map`` as a grey image, and the human
  annotators' borders (darker where more of them drew one). Needs the data set
  in ``../shared/bsds500`` (skipped otherwise).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from quantize import boundary_map, segment
from quantize.io import load_image
from quantize.metrics import adjusted_rand_index, boundary_scores

ROOT = Path(__file__).resolve().parent.parent
LABEL = 22   # caption band height
GAP = 8
MOSAIC_SIZE = 1024
BSDS = ROOT.parent / "shared" / "bsds500"
BSDS_IMAGE = "101087"
WEIGHT_SETTINGS = (
    ("colour only (texture=0, xy=0)", {"texture": 0, "xy": 0}),
    ("default (color=1, texture=1, xy=0.3)", None),
    ("texture=1, xy=2", {"xy": 2}),
)


def panel(image: np.ndarray, caption: str) -> Image.Image:
    h, w, _ = image.shape
    canvas = Image.new("RGB", (w, LABEL + h), "white")
    ImageDraw.Draw(canvas).text((4, 4), caption, fill="black")
    canvas.paste(Image.fromarray(image), (0, LABEL))
    return canvas


def row(panels: list[Image.Image]) -> Image.Image:
    width = sum(p.width for p in panels) + GAP * (len(panels) - 1)
    out = Image.new("RGB", (width, max(p.height for p in panels)), "white")
    x = 0
    for p in panels:
        out.paste(p, (x, 0))
        x += p.width + GAP
    return out


def thick_overlay(result, color=(255, 40, 40)) -> np.ndarray:
    """The photo with 3-pixel borders, visible once the figure is scaled down."""
    borders = result.boundaries()
    borders[1:, :] |= borders[:-1, :]
    borders[:, 1:] |= borders[:, :-1]
    borders[:-1, :] |= borders[1:, :]
    out = result.image.copy()
    out[borders] = color
    return out


def photo_figure(sample: Path) -> Image.Image:
    rgb = load_image(sample).rgb
    result = segment(rgb)
    return row([
        panel(thick_overlay(result), f"{sample.name}: {result.n_regions} regions (default)"),
        panel(result.mean_color_image(), "each region in its mean colour"),
    ])


def weights_figure() -> Image.Image:
    path = ROOT / "benchmarks" / "bench_segment.py"
    spec = importlib.util.spec_from_file_location("bench_segment", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    image, truth = bench.texture_mosaic(MOSAIC_SIZE)
    panels = []
    for caption, weights in WEIGHT_SETTINGS:
        result = segment(image, 3, weights=weights, seed=0)
        ari = adjusted_rand_index(result.labels, truth)
        f = boundary_scores(result.labels, truth)[2]
        small = Image.fromarray(thick_overlay(result)).reduce(2)
        panels.append(panel(np.asarray(small), f"{caption}: ARI {ari:.2f}, F {f:.2f}"))
    return row(panels)


def bsds_figure() -> Image.Image:
    from scipy.io import loadmat

    rgb = load_image(BSDS / "images" / "val" / f"{BSDS_IMAGE}.jpg").rgb
    gt = loadmat(str(BSDS / "groundTruth" / "val" / f"{BSDS_IMAGE}.mat"))["groundTruth"]
    human = np.mean([gt[0, i]["Boundaries"][0, 0] for i in range(gt.shape[1])], axis=0)
    result = segment(rgb)
    strength = boundary_map(rgb)
    grey = lambda v: np.repeat((255 * (1 - v))[:, :, None], 3, axis=2).astype(np.uint8)  # noqa: E731
    return row([
        panel(thick_overlay(result), f"BSDS val {BSDS_IMAGE}: default, {result.n_regions} regions"),
        panel(grey(strength), "boundary_map (darker = stronger)"),
        panel(grey(np.clip(human * 1.5, 0, 1)), f"{gt.shape[1]} annotators' borders"),
    ])


def main(argv: list[str]) -> None:
    sample = Path(argv[1]) if len(argv) > 1 else ROOT / "samples" / "coffee.jpg"
    outdir = Path(argv[2]) if len(argv) > 2 else ROOT / "docs"
    photo_figure(sample).save(outdir / f"segment_{sample.stem}.png", optimize=True)
    weights_figure().save(outdir / "segment_weights.png", optimize=True)
    if BSDS.is_dir():
        bsds_figure().save(outdir / "segment_bsds.png", optimize=True)


if __name__ == "__main__":
    main(sys.argv)
