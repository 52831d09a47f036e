"""Benchmark choosing the best k entries of a given palette (``reduce_colors(im, k,
palette=...)``, ``quantize reduce --palette-in P -k K``) against a simple baseline.

Run on demand (``python benchmarks/bench_palette_subset.py [--ks 8 16 32]``); pytest does
not collect it. A user with a thread card or a printer's inks wants the image drawn with
the best k of them. The baseline fits k colours (``reduce_colors(im, k, seed=0)``) and
snaps each to its nearest entry of the palette (in the fitting space), duplicates kept
once (so it may give fewer than k), then maps the image onto those entries.

Palettes: ``rand40`` and ``rand450``, 40 and 450 RGB colours drawn uniformly (seed 0),
and ``grid448``, the 8 x 8 x 7 grid of RGB levels. Photos: scikit-image's ``coffee``,
``chelsea``, ``astronaut`` and ``rocket``, scikit-learn's ``china``.

Per palette and k it prints, per method, the mean over the photos of the mapping's mean
squared RGB error per pixel (:func:`quantize.reduce.subset.mapping_error` in RGB, the
error the choice lowers), its PSNR, the mean CIEDE2000 and the entries used, and the
seconds (the baseline's fit included), then on how many photos ours has the lower error.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from quantize import reduce_colors  # noqa: E402
from quantize._kernels import nearest  # noqa: E402
from quantize.reduce.fit import features_of  # noqa: E402


def palettes() -> dict[str, np.ndarray]:
    """The given palettes, ``(n, 3)`` uint8 of distinct colours."""
    rng = np.random.default_rng(0)
    levels = [np.linspace(0, 255, n).round().astype(np.uint8) for n in (8, 8, 7)]
    grid = np.array(list(itertools.product(*levels)), np.uint8)
    return {"rand40": np.unique(rng.integers(0, 256, (40, 3), dtype=np.uint8), axis=0),
            "rand450": np.unique(rng.integers(0, 256, (450, 3), dtype=np.uint8), axis=0),
            "grid448": grid}


def photos() -> dict[str, np.ndarray]:
    from skimage import data
    from sklearn.datasets import load_sample_image

    return {"coffee": data.coffee(), "chelsea": data.chelsea(),
            "astronaut": data.astronaut(), "rocket": data.rocket(),
            "china": load_sample_image("china.jpg")}


def baseline(image: np.ndarray, k: int, palette: np.ndarray) -> np.ndarray:
    """The entries of ``palette`` nearest each colour of a fitted palette of ``k``."""
    fitted = reduce_colors(image, k, seed=0).palette
    rows = nearest(features_of(fitted, "rgb"), features_of(palette, "rgb"))
    return palette[np.unique(rows)]


def scores(image: np.ndarray, result) -> tuple[float, float, float, int]:
    """Mean squared RGB error per pixel, PSNR, mean CIEDE2000 and entries used."""
    out = result.palette[result.indices].astype(np.float64)
    mse = float(np.mean(np.sum((out - image) ** 2, axis=-1)))
    psnr = 10 * np.log10(255.0 ** 2 / (mse / 3))
    return mse, psnr, float(result.delta_e), int(np.count_nonzero(result.shares))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ks", type=int, nargs="+", default=[8, 16, 32])
    args = parser.parse_args()
    images = photos()
    for (pname, palette), k in itertools.product(palettes().items(), args.ks):
        rows: dict[str, list[tuple[float, ...]]] = {"ours": [], "baseline": []}
        for image in images.values():
            start = time.perf_counter()
            ours = reduce_colors(image, k, palette=palette)
            mid = time.perf_counter()
            base = reduce_colors(image, palette=baseline(image, k, palette))
            end = time.perf_counter()
            rows["ours"].append((*scores(image, ours), mid - start))
            rows["baseline"].append((*scores(image, base), end - mid))
        for method, values in rows.items():
            mse, psnr, de, used, secs = np.mean(values, axis=0)
            print(f"{pname:8s} k={k:3d} {method:9s} mse={mse:8.1f} psnr={psnr:6.2f} "
                  f"dE={de:5.2f} used={used:5.1f} s={secs:5.2f}")
        better = sum(o[0] < b[0] for o, b in zip(rows["ours"], rows["baseline"], strict=True))
        print(f"{pname:8s} k={k:3d} ours lower mse on {better}/{len(images)} photos")


if __name__ == "__main__":
    main()
