"""Benchmark ``quantize.segment`` against scikit-image and scikit-learn.

Run on demand (``python benchmarks/bench_segment.py``); pytest does not collect
it. Two parts, both measured in the same run:

1. **Speed and memory** on the ~12 MP benchmark photo of ``_images.py``
   (4000 x 3000): ``quantize.segment(photo, 8)`` with default weights against
   ``skimage.segmentation.slic(photo, n_segments=400)``. Each run happens in a
   fresh child process, which reports its wall time for the call and its peak
   resident memory (``ru_maxrss``; the photo itself and the imports are
   included for both); medians of ``--repeats`` runs are printed with the
   ratios against the targets: time <= 1.0 x slic, peak RSS <= 2 GB.
2. **Quality** on the texture mosaic (:func:`texture_mosaic`): three regions of
   the same mean colour that differ only in texture (grass, brick, gravel from
   ``skimage.data``). Adjusted Rand index and border F (BSDS-style, tolerance
   0.0075 x diagonal) for quantize (default weights, and colour only), SLIC,
   Felzenszwalb-Huttenlocher and scikit-learn ``KMeans`` on RGB pixels, each
   asked for three regions where it takes such a parameter. SLIC and
   Felzenszwalb get the best of a small parameter grid, so the comparison
   favours them. Target: quantize above every reference on both measures.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

TIME_TARGET = 1.0
RSS_TARGET_GB = 2.0
MOSAIC_TEXTURES = ("grass", "brick", "gravel")
MOSAIC_TINT = np.array([100.0, 130.0, 70.0])
MOSAIC_CONTRAST = 0.7


# --------------------------------------------------------------------------
# The texture mosaic
# --------------------------------------------------------------------------


def mosaic_truth(size: int) -> np.ndarray:
    """``(size, size)`` int32 map of three regions with wavy borders (0 top, 1 and 2 below)."""
    y, x = np.mgrid[0:size, 0:size] / size
    top = y < (0.42 + 0.07 * np.sin(2 * np.pi * x / 0.55)
               + 0.03 * np.sin(2 * np.pi * x / 0.21 + 1.0))
    left = x < (0.5 + 0.08 * np.sin(2 * np.pi * y / 0.45 + 0.5)
                + 0.03 * np.sin(2 * np.pi * y / 0.17))
    return np.where(top, 0, np.where(left, 1, 2)).astype(np.int32)


def _texture(name: str, size: int) -> np.ndarray:
    """A ``skimage.data`` texture as float, mirror-tiled to ``(size, size)``.

    Grass is cropped to its lower right part: elsewhere it holds patches of
    clover leaves, a second texture that would make the "grass" region two.
    """
    from skimage import data

    tex = getattr(data, name)().astype(np.float64)
    if name == "grass":
        tex = tex[200:, 300:]
    reps = (-(-size // tex.shape[0]), -(-size // tex.shape[1]))
    pad = ((0, tex.shape[0] * (reps[0] - 1)), (0, tex.shape[1] * (reps[1] - 1)))
    return np.pad(tex, pad, mode="symmetric")[:size, :size]


def texture_mosaic(size: int = 1024) -> tuple[np.ndarray, np.ndarray]:
    """Three textures tinted to one mean colour, and the true region map.

    Returns ``(image (size, size, 3) uint8, truth (size, size) int32)``. Each
    region shows its texture as ``tint * (1 + 0.7 * (g - m) / m)``, ``g`` the
    grey texture and ``m`` its mean over the region, so all three regions have
    the mean colour ``tint`` (up to rounding): only texture tells them apart.
    """
    truth = mosaic_truth(size)
    out = np.empty((size, size, 3))
    for i, name in enumerate(MOSAIC_TEXTURES):
        g = _texture(name, size)
        inside = truth == i
        m = g[inside].mean()
        out[inside] = (1.0 + MOSAIC_CONTRAST * (g[inside, None] - m) / m) * MOSAIC_TINT
    return np.clip(np.rint(out), 0, 255).astype(np.uint8), truth


# --------------------------------------------------------------------------
# Part 1: 12 MP speed and memory, each run in a child process
# --------------------------------------------------------------------------


def _child(method: str, megapixels: float, seed: int, queue: Any) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _images import benchmark_photo

    photo = benchmark_photo(megapixels)
    if method == "quantize":
        from quantize import segment

        start = time.perf_counter()
        n = segment(photo, 8, seed=seed).n_regions
    else:
        from skimage.segmentation import slic

        start = time.perf_counter()
        n = int(slic(photo, n_segments=400, start_label=1).max())
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux
    queue.put((seconds, peak, n))


def run_in_child(method: str, megapixels: float, seed: int) -> tuple[float, int, int]:
    """Seconds for the call, peak RSS in bytes, and the number of regions."""
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(method, megapixels, seed, queue))
    proc.start()
    result = queue.get()
    proc.join()
    return result


def bench_photo(megapixels: float, repeats: int) -> None:
    runs: dict[str, list[tuple[float, int, int]]] = {"quantize": [], "slic": []}
    for seed in range(repeats):  # interleaved so both see the same machine noise
        for method in runs:
            runs[method].append(run_in_child(method, megapixels, seed))
    med = {m: (statistics.median(r[0] for r in v), statistics.median(r[1] for r in v),
               statistics.median(r[2] for r in v)) for m, v in runs.items()}
    print(f"photo {megapixels:g} MP, k=8, default weights, median of {repeats} runs "
          "(each in a fresh process):")
    for method, (sec, rss, n) in med.items():
        label = "quantize.segment" if method == "quantize" else "slic(n_segments=400)"
        print(f"  {label:22s} {sec:7.2f} s   peak RSS {rss / 1e9:5.2f} GB   {n} regions")
    ratio = med["quantize"][0] / med["slic"][0]
    rss_gb = med["quantize"][1] / 1e9
    print(f"  time ratio quantize/slic = {ratio:.2f} (target <= {TIME_TARGET:.1f}: "
          f"{'met' if ratio <= TIME_TARGET else 'MISSED'}); peak RSS {rss_gb:.2f} GB "
          f"(target <= {RSS_TARGET_GB:.0f} GB: {'met' if rss_gb <= RSS_TARGET_GB else 'MISSED'})")


# --------------------------------------------------------------------------
# Part 2: quality on the texture mosaic
# --------------------------------------------------------------------------


def _ours(image: np.ndarray, **weights: float) -> np.ndarray:
    from quantize import segment

    return segment(image, 3, weights=weights or None, seed=0).labels


def _slic(image: np.ndarray) -> np.ndarray:
    from skimage.segmentation import slic

    return [slic(image, n_segments=3, compactness=c, start_label=1) for c in (1, 10, 30)]


def _felzenszwalb(image: np.ndarray) -> list[np.ndarray]:
    from skimage.segmentation import felzenszwalb

    min_size = image.shape[0] * image.shape[1] // 1000
    return [felzenszwalb(image, scale=s, sigma=0.8, min_size=min_size)
            for s in (300, 1000, 3000)]


def _sk_kmeans(image: np.ndarray) -> np.ndarray:
    from sklearn.cluster import KMeans

    pixels = image.reshape(-1, 3).astype(np.float32)
    labels = KMeans(3, n_init=1, random_state=0).fit_predict(pixels)
    return labels.reshape(image.shape[:2])


def _best(candidates: list[np.ndarray], truth: np.ndarray) -> np.ndarray:
    from quantize.metrics import adjusted_rand_index

    return max(candidates, key=lambda lab: adjusted_rand_index(lab, truth))


def bench_mosaic(size: int) -> None:
    from quantize.metrics import adjusted_rand_index, boundary_scores

    image, truth = texture_mosaic(size)
    methods = {
        "quantize (default weights)": lambda: _ours(image),
        "quantize (colour only)": lambda: _ours(image, texture=0, xy=0),
        "slic (n_segments=3, best c)": lambda: _best(_slic(image), truth),
        "felzenszwalb (best scale)": lambda: _best(_felzenszwalb(image), truth),
        "sklearn KMeans RGB (k=3)": lambda: _sk_kmeans(image),
    }
    print(f"texture mosaic {size}x{size} (grass / brick / gravel, one mean colour):")
    scores = {}
    for name, run in methods.items():
        labels = run()
        ari = adjusted_rand_index(labels, truth)
        p, r, f = boundary_scores(labels, truth)
        scores[name] = (ari, f)
        print(f"  {name:28s} ARI {ari:6.3f}   border P {p:.3f} R {r:.3f} F {f:.3f}")
    ours = scores["quantize (default weights)"]
    refs = [v for k, v in scores.items() if not k.startswith("quantize")]
    best_ari, best_f = max(v[0] for v in refs), max(v[1] for v in refs)
    print(f"  quantize - best reference: ARI {ours[0] - best_ari:+.3f}, F {ours[1] - best_f:+.3f}"
          f" (target > 0 on both: "
          f"{'met' if ours[0] > best_ari and ours[1] > best_f else 'MISSED'})")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--megapixels", type=float, default=12.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--mosaic-size", type=int, default=1024)
    parser.add_argument("--skip-photo", action="store_true", help="only the mosaic part")
    args = parser.parse_args(argv)
    bench_mosaic(args.mosaic_size)
    if not args.skip_photo:
        bench_photo(args.megapixels, args.repeats)


if __name__ == "__main__":
    main()
