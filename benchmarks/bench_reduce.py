"""Benchmark ``quantize reduce`` against Pillow, scikit-learn and pngquant in one run.

Run on demand (``python benchmarks/bench_reduce.py``); pytest does not collect it.
On the ~12 MP photo of :mod:`benchmarks._images` (4000 x 3000, over a million
distinct colours), for k = 16 and 64, no dithering, it measures

- library calls on the in-memory image: ``quantize.reduce_colors``; Pillow's
  ``Image.quantize`` with MEDIANCUT and FASTOCTREE; scikit-learn ``KMeans``
  (``algorithm="lloyd"``, ``n_init=1``) on every pixel; scikit-learn
  ``MiniBatchKMeans`` fitted on a 100k-pixel sample, then ``predict`` on all;
- file to file: the ``quantize reduce`` command vs ``pngquant --nofs --speed 3``
  on the same PNG, with the peak RSS of each process (``/usr/bin/time -v``);
- how the library time grows at 3, 12 and 48 MP.

Every result is scored the same way, exactly over all pixels: PSNR and mean
CIEDE2000 (``quantize.metrics``) computed on the distinct (original, reduced)
colour pairs weighted by their pixel counts. Times are medians of ``--repeats``
runs (seeds 0, 1, ...); quality is the median too. Ratios are printed against
the targets: library time <= 0.5 x MEDIANCUT, PSNR >= KMeans - 0.1 dB, CLI >= 3x
faster than pngquant at >= its PSNR, CLI peak RSS <= 600 MB.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _images import benchmark_photo, save_benchmark_photo  # noqa: E402

from quantize import reduce_colors  # noqa: E402
from quantize.colors import pack_rgb, unpack_codes  # noqa: E402
from quantize.metrics import delta_e, psnr  # noqa: E402

TIME_TARGET = 0.5
PSNR_MARGIN = 0.1
CLI_SPEEDUP_TARGET = 3.0
RSS_TARGET_MB = 600.0
PNGQUANT = shutil.which("pngquant") or "/usr/bin/pngquant"
GNU_TIME = "/usr/bin/time"


# --------------------------------------------------------------------------
# Scoring
# --------------------------------------------------------------------------


def fidelity(original: np.ndarray, reduced: np.ndarray) -> tuple[float, float]:
    """Exact PSNR and mean CIEDE2000 over all pixels, via distinct colour pairs."""
    pairs = (pack_rgb(original).astype(np.int64) << 24) | pack_rgb(reduced)
    distinct, counts = np.unique(pairs.ravel(), return_counts=True)
    ref, out = unpack_codes(distinct >> 24), unpack_codes(distinct & 0xFFFFFF)
    return psnr(ref, out, weights=counts), delta_e(ref, out, weights=counts)


def timed(fn: Callable[[], np.ndarray]) -> tuple[float, np.ndarray]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


# --------------------------------------------------------------------------
# The methods: each returns the reduced (H, W, 3) uint8 image
# --------------------------------------------------------------------------


def ours(image: np.ndarray, k: int, seed: int) -> np.ndarray:
    return reduce_colors(image, k, seed=seed).to_rgb()


def pillow(method: Image.Quantize) -> Callable[[np.ndarray, int, int], np.ndarray]:
    def run(image: np.ndarray, k: int, seed: int) -> np.ndarray:
        out = Image.fromarray(image).quantize(k, method=method, dither=Image.Dither.NONE)
        return np.asarray(out.convert("RGB"))
    return run


def sklearn_kmeans(image: np.ndarray, k: int, seed: int) -> np.ndarray:
    from sklearn.cluster import KMeans

    X = image.reshape(-1, 3).astype(np.float32)
    km = KMeans(k, algorithm="lloyd", n_init=1, random_state=seed).fit(X)
    palette = np.clip(np.rint(km.cluster_centers_), 0, 255).astype(np.uint8)
    return palette[km.labels_].reshape(image.shape)


def sklearn_minibatch(image: np.ndarray, k: int, seed: int) -> np.ndarray:
    from sklearn.cluster import MiniBatchKMeans

    X = image.reshape(-1, 3).astype(np.float32)
    rng = np.random.default_rng(seed)
    sample = X[rng.choice(X.shape[0], size=100_000, replace=False)]
    km = MiniBatchKMeans(k, random_state=seed, n_init=1).fit(sample)
    palette = np.clip(np.rint(km.cluster_centers_), 0, 255).astype(np.uint8)
    return palette[km.predict(X)].reshape(image.shape)


METHODS = {
    "quantize.reduce_colors": ours,
    "Pillow MEDIANCUT": pillow(Image.Quantize.MEDIANCUT),
    "Pillow FASTOCTREE": pillow(Image.Quantize.FASTOCTREE),
    "sklearn KMeans lloyd": sklearn_kmeans,
    "sklearn MiniBatch 100k": sklearn_minibatch,
}


def measure(name: str, image: np.ndarray, k: int, repeats: int) -> dict[str, float]:
    times, psnrs, des = [], [], []
    for seed in range(repeats):
        seconds, reduced = timed(lambda: METHODS[name](image, k, seed))  # noqa: B023
        p, d = fidelity(image, reduced)
        times.append(seconds)
        psnrs.append(p)
        des.append(d)
    return {"seconds": statistics.median(times), "psnr": statistics.median(psnrs),
            "delta_e": statistics.median(des)}


# --------------------------------------------------------------------------
# Command-line tools, file to file
# --------------------------------------------------------------------------


def quantize_command() -> list[str]:
    script = Path(sys.executable).with_name("quantize")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from quantize.cli import main; main()"]


def run_tool(argv: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS in MB of one run of ``argv``."""
    cmd = [GNU_TIME, "-v", *argv] if Path(GNU_TIME).exists() else argv
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr[-500:]}")
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
    return seconds, (int(rss.group(1)) / 1024 if rss else float("nan"))


def measure_cli(tool: str, src: Path, out: Path, k: int, repeats: int,
                original: np.ndarray) -> dict[str, float]:
    times, rsss = [], []
    for seed in range(repeats):
        if tool == "quantize":
            argv = [*quantize_command(), "reduce", str(src), "-o", str(out), "-k", str(k),
                    "--seed", str(seed), "--force"]
        else:
            argv = [PNGQUANT, "--nofs", "--speed", "3", "--force", "--output", str(out),
                    str(k), str(src)]
        seconds, rss = run_tool(argv)
        times.append(seconds)
        rsss.append(rss)
    reduced = np.asarray(Image.open(out).convert("RGB"))
    p, d = fidelity(original, reduced)
    return {"seconds": statistics.median(times), "rss": max(rsss), "psnr": p, "delta_e": d,
            "bytes": out.stat().st_size}


# --------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "MET" if ok else "MISSED"


def library_table(image: np.ndarray, k: int, repeats: int, methods: list[str]) -> None:
    rows = {name: measure(name, image, k, repeats) for name in methods}
    base = rows["quantize.reduce_colors"]
    print(f"\nk={k}: library calls on the in-memory image, median of {repeats} "
          "(ours/this: our time over this method's)")
    print(f"  {'method':<24}{'seconds':>9}{'PSNR dB':>9}{'mean dE':>9}{'ours/this':>11}")
    for name, r in rows.items():
        print(f"  {name:<24}{r['seconds']:9.3f}{r['psnr']:9.3f}{r['delta_e']:9.3f}"
              f"{base['seconds'] / r['seconds']:11.2f}")
    mc = rows["Pillow MEDIANCUT"]["seconds"]
    print(f"  target time <= {TIME_TARGET} x MEDIANCUT: ours/MEDIANCUT = "
          f"{base['seconds'] / mc:.2f}  {verdict(base['seconds'] <= TIME_TARGET * mc)}")
    if "sklearn KMeans lloyd" in rows:
        ref = rows["sklearn KMeans lloyd"]["psnr"]
        gap = base["psnr"] - ref
        print(f"  target PSNR >= KMeans - {PSNR_MARGIN} dB: ours - KMeans = {gap:+.3f} dB  "
              f"{verdict(gap >= -PSNR_MARGIN)}")


def cli_table(image: np.ndarray, k: int, repeats: int, workdir: Path, src: Path) -> None:
    ours_cli = measure_cli("quantize", src, workdir / f"ours.k{k}.png", k, repeats, image)
    pq = measure_cli("pngquant", src, workdir / f"pngquant.k{k}.png", k, repeats, image)
    print(f"\nk={k}: file to file ({src.stat().st_size / 1e6:.1f} MB PNG in), "
          f"median of {repeats}")
    print(f"  {'tool':<24}{'seconds':>9}{'PSNR dB':>9}{'mean dE':>9}{'peak MB':>9}"
          f"{'bytes out':>11}")
    for name, r in (("quantize reduce", ours_cli), ("pngquant --speed 3", pq)):
        print(f"  {name:<24}{r['seconds']:9.3f}{r['psnr']:9.3f}{r['delta_e']:9.3f}"
              f"{r['rss']:9.0f}{r['bytes']:11,d}")
    speedup = pq["seconds"] / ours_cli["seconds"]
    ok = speedup >= CLI_SPEEDUP_TARGET and ours_cli["psnr"] >= pq["psnr"]
    print(f"  target CLI >= {CLI_SPEEDUP_TARGET:g}x faster than pngquant at >= its PSNR: "
          f"{speedup:.2f}x, PSNR {ours_cli['psnr'] - pq['psnr']:+.3f} dB  {verdict(ok)}")
    print(f"  target CLI peak RSS <= {RSS_TARGET_MB:g} MB: {ours_cli['rss']:.0f} MB  "
          f"{verdict(ours_cli['rss'] <= RSS_TARGET_MB)}")


def growth_table(sizes: list[float], k: int, repeats: int) -> None:
    print(f"\nGrowth: quantize.reduce_colors at k={k}, median of {repeats}")
    print(f"  {'MP':>5}{'pixels':>13}{'distinct':>11}{'seconds':>9}{'us/pixel':>10}"
          f"{'MEDIANCUT s':>13}")
    for mp in sizes:
        row = _growth_row(benchmark_photo(mp), k, repeats)
        print(f"  {mp:5g}{row[0]:13,d}{row[1]:11,d}{row[2]:9.3f}{1e6 * row[2] / row[0]:10.3f}"
              f"{row[3]:13.3f}")


def _growth_row(image: np.ndarray, k: int, repeats: int) -> tuple[int, int, float, float]:
    """Pixels, distinct colours, our median seconds and MEDIANCUT's, for one image."""
    distinct = np.unique(pack_rgb(image)).size
    ours_s = statistics.median(timed(lambda s=s: ours(image, k, s))[0] for s in range(repeats))
    mediancut = METHODS["Pillow MEDIANCUT"]
    mc = statistics.median(timed(lambda: mediancut(image, k, 0))[0] for _ in range(repeats))
    return image.shape[0] * image.shape[1], distinct, ours_s, mc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megapixels", type=float, default=12.0)
    parser.add_argument("--ks", type=int, nargs="+", default=[16, 64])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--growth", type=float, nargs="*", default=[3, 12, 48])
    parser.add_argument("--quick", action="store_true",
                        help="skip scikit-learn KMeans on every pixel (minutes per run)")
    parser.add_argument("--no-cli", action="store_true", help="skip the file-to-file part")
    args = parser.parse_args()

    image = benchmark_photo(args.megapixels)
    distinct = np.unique(pack_rgb(image)).size
    print(f"Image: {image.shape[1]}x{image.shape[0]} = {image.shape[0] * image.shape[1]:,} "
          f"pixels, {distinct:,} distinct colours (benchmarks/_images.py)")
    methods = [m for m in METHODS if not (args.quick and m == "sklearn KMeans lloyd")]
    for k in args.ks:
        library_table(image, k, args.repeats, methods)
    if not args.no_cli:
        with tempfile.TemporaryDirectory(prefix="bench_reduce_") as tmp:
            src = save_benchmark_photo(Path(tmp) / "photo.png", args.megapixels)
            for k in args.ks:
                cli_table(image, k, args.repeats, Path(tmp), src)
    if args.growth:
        growth_table(args.growth, args.ks[0], args.repeats)


if __name__ == "__main__":
    main()
