"""How many faint sources of a survey field get a region of their own, by stretch curve.

Run on demand (``python benchmarks/bench_survey_stretch.py``); pytest does not collect
it. A synthetic survey field (:func:`survey_field`, seeded): float32 sky noise, 512 faint
Gaussian sources and a few saturated stars that set the range. It is saved as a float
TIFF and segmented by ``segment_file`` as ``quantize segment field.tif -k 3
--stretch-clip 0.01 --stretch-curve C -w texture=0 -w xy=0 --smooth 0 --min-region 3``
would, for each curve. A faint source counts as found when the region at its centre is
not the sky (the largest region), holds no other source's centre, and is smaller than
a box of 8 sigma a side (not a sky patch). Only sources at least 8 pixels from the edges
and from every other source and star are counted. Prints the count per curve.

References measured alongside: none of the reference tools segments a stretched float
image; astropy's ``AsinhStretch`` is the same curve (a = softening), not installed here.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
from PIL import Image

SIDE = 1024
SIGMA = 1.6


def survey_field(seed: int = 0, n_faint: int = 512, n_bright: int = 6
                 ) -> tuple[np.ndarray, np.ndarray]:
    """``(SIDE, SIDE)`` float32 field and the ``(n_faint, 2)`` centres of its faint sources:
    sky 100 with noise of sigma 1, faint sources of peak 8..20 above the sky, bright
    stars of peak 60000 (saturated at 65000)."""
    rng = np.random.default_rng(seed)
    field = 100.0 + rng.normal(0.0, 1.0, (SIDE, SIDE))
    rows, cols = np.mgrid[0:SIDE, 0:SIDE]
    faint = rng.uniform(8, SIDE - 8, (n_faint, 2))
    for (r, c), peak in zip(faint, rng.uniform(8.0, 20.0, n_faint), strict=True):
        r0, c0 = int(r), int(c)
        box = (slice(r0 - 6, r0 + 7), slice(c0 - 6, c0 + 7))
        field[box] += peak * np.exp(-((rows[box] - r) ** 2 + (cols[box] - c) ** 2)
                                    / (2 * SIGMA ** 2))
    bright = rng.uniform(40, SIDE - 40, (n_bright, 2))
    for r, c in bright:
        field += 60000.0 * np.exp(-((rows - r) ** 2 + (cols - c) ** 2) / (2 * 4.0 ** 2))
    return np.minimum(field, 65000.0).astype(np.float32), np.vstack([faint, bright])


def counted(centres: np.ndarray, n_faint: int) -> np.ndarray:
    """The faint sources counted: 8 pixels from every other source or star."""
    gaps = np.linalg.norm(centres[:, None] - centres[None], axis=2)
    np.fill_diagonal(gaps, np.inf)
    return np.flatnonzero(gaps[:n_faint].min(axis=1) >= 8)


def found(labels: np.ndarray, centres: np.ndarray, kept: np.ndarray) -> int:
    """How many of the ``kept`` sources have a region of their own (see the module)."""
    areas = np.bincount(labels.ravel())
    sky = int(np.argmax(areas))
    at = labels[centres[:, 0].astype(int), centres[:, 1].astype(int)]
    shared = np.bincount(at, minlength=areas.size)
    small = (8 * SIGMA) ** 2
    return int(sum(at[i] != sky and shared[at[i]] == 1 and areas[at[i]] < small for i in kept))


def main() -> None:
    from quantize.segment_file import segment_file

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--softening", type=float, nargs="*", default=[0.1, 0.001, 0.0001],
                        help="softenings of asinh and log to measure")
    args = parser.parse_args()
    field, centres = survey_field(args.seed)
    kept = counted(centres, 512)
    print(f"field {SIDE} x {SIDE}, seed {args.seed}: {kept.size} of 512 faint sources "
          "counted (8 px from the edges and every other source)")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "field.tif"
        Image.fromarray(field, "F").save(path)
        runs = [("linear", None), ("sqrt", None),
                *((curve, s) for curve in ("log", "asinh") for s in args.softening)]
        for curve, softening in runs:
            out = Path(folder) / f"{curve}-{softening}"
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                segment_file(path, out, n_clusters=3, stretch_clip=0.01, stretch_curve=curve,
                             stretch_softening=softening, weights={"texture": 0, "xy": 0},
                             smooth=0, min_region=3)
            seconds = time.perf_counter() - start
            labels = np.asarray(Image.open(out / "labels.png"))
            record = json.loads((out / "segments.json").read_text())
            name = curve if softening is None else f"{curve} {softening:g}"
            print(f"{name:>13}: {found(labels, centres, kept):4d} of {kept.size} found, "
                  f"{record['n_regions']} regions, {seconds:.1f} s")


if __name__ == "__main__":
    main()
