"""Benchmark quantize's MiniBatchKMeans against scikit-learn on real photo pixels.

Run on demand (``make bench`` or ``python benchmarks/bench_kmeans.py``); pytest
does not collect it. In one run, on 1,000,000 points drawn from photographs in
``skimage.data``, it times fit + predict of

- ``quantize.MiniBatchKMeans`` (defaults),
- ``sklearn.cluster.MiniBatchKMeans`` (defaults, fitted on all points, then predict),
- ``sklearn.cluster.KMeans`` (``algorithm="lloyd"``, ``n_init=1``),

for d = 3 (RGB) and d = 8 (RGB, CIE Lab, pixel coordinates) and k = 16, 64.
Every model's inertia is recomputed the same way, exactly in float64 over all
points, because scikit-learn's ``MiniBatchKMeans.inertia_`` need not cover all
points. Each measurement is repeated (seeds 0, 1, ...) and the medians printed
with the ratios against the targets: time <= 0.5 x sklearn MiniBatchKMeans and
inertia <= 1.01 x sklearn KMeans. Finally the peak extra memory of ``predict``
on 1M points is measured with ``tracemalloc``.

A second table covers the sizes ``quantize reduce`` fits on web photos (a few
thousand to 60,000 colour cells, d = 3): the first n = 5,000, 20,000 and
60,000 of those photo pixels (RGB), k = 16 and 64, ours against
``sklearn.cluster.KMeans`` (``n_init=1``), where fixed costs rather than passes
over the data decide. ``--part large`` or ``--part small`` runs one table only.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import tracemalloc
from collections.abc import Callable

import numpy as np
from skimage import color, data

from quantize import MiniBatchKMeans

IMAGES = ("astronaut", "coffee", "chelsea", "rocket", "immunohistochemistry",
          "hubble_deep_field")
TIME_TARGET = 0.5
INERTIA_TARGET = 1.01


# --------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------


def _image_features(image: np.ndarray) -> np.ndarray:
    """(H*W, 8) float32: RGB in [0, 1], Lab / 100, row and column / max side."""
    h, w, _ = image.shape
    rgb = image.astype(np.float32) / 255.0
    lab = color.rgb2lab(rgb).astype(np.float32) / 100.0
    rows, cols = np.mgrid[0:h, 0:w].astype(np.float32) / max(h, w)
    return np.concatenate(
        [rgb.reshape(-1, 3), lab.reshape(-1, 3), rows.reshape(-1, 1), cols.reshape(-1, 1)],
        axis=1,
    )


def load_points(n: int, seed: int = 0) -> np.ndarray:
    """``n`` distinct pixels drawn without replacement from the photos, (n, 8) float32."""
    pool = np.concatenate([_image_features(getattr(data, name)()) for name in IMAGES])
    if pool.shape[0] < n:
        raise SystemExit(f"only {pool.shape[0]} pixels available, need {n}")
    rng = np.random.default_rng(seed)
    return np.ascontiguousarray(pool[rng.choice(pool.shape[0], size=n, replace=False)])


# --------------------------------------------------------------------------
# Measurement
# --------------------------------------------------------------------------


def exact_inertia(X: np.ndarray, centers: np.ndarray, chunk: int = 32768) -> float:
    """Sum of squared distances to the nearest centre, all in float64."""
    c = np.asarray(centers, dtype=np.float64)
    c_sq = (c * c).sum(axis=1)
    total = 0.0
    for start in range(0, X.shape[0], chunk):
        x = X[start:start + chunk].astype(np.float64)
        nearest = (c_sq - 2.0 * (x @ c.T)).argmin(axis=1)
        diff = x - c[nearest]
        total += float(np.einsum("ij,ij->", diff, diff))
    return total


def _ours(k: int, seed: int):
    return MiniBatchKMeans(k, seed=seed)


def _sk_minibatch(k: int, seed: int):
    from sklearn.cluster import MiniBatchKMeans as SkMiniBatchKMeans

    return SkMiniBatchKMeans(k, random_state=seed)


def _sk_kmeans(k: int, seed: int):
    from sklearn.cluster import KMeans

    return KMeans(k, algorithm="lloyd", n_init=1, random_state=seed)


MODELS: dict[str, Callable[[int, int], object]] = {
    "quantize": _ours,
    "sk-minibatch": _sk_minibatch,
    "sk-kmeans": _sk_kmeans,
}


def run_once(make: Callable[[int, int], object], X: np.ndarray, k: int,
             seed: int) -> tuple[float, float]:
    """Seconds for fit + predict, and the exact inertia of the fitted centres."""
    model = make(k, seed)
    t0 = time.perf_counter()
    model.fit(X)
    model.predict(X)
    seconds = time.perf_counter() - t0
    return seconds, exact_inertia(X, model.cluster_centers_)


def bench_case(X: np.ndarray, k: int, repeats: int) -> dict[str, tuple[float, float]]:
    """Median time and median inertia per model, runs interleaved to share the noise."""
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in MODELS}
    for seed in range(repeats):
        for name, make in MODELS.items():
            samples[name].append(run_once(make, X, k, seed))
    return {name: (statistics.median(s for s, _ in runs),
                   statistics.median(i for _, i in runs))
            for name, runs in samples.items()}


def bench_small(points: np.ndarray, sizes: list[int], ks: list[int], repeats: int) -> None:
    """Print ours vs sklearn KMeans(n_init=1) at reduce's sizes (d = 3)."""
    models = {"quantize": _ours, "sk-kmeans": _sk_kmeans}
    print(f"small n, d=3: medians of {repeats} runs; fit + predict")
    print(f"{'n':>6} {'k':>3} | {'ours ms':>8} {'skKM ms':>8} | {'t/skKM':>6} | {'I/skKM':>7}")
    for n in sizes:
        X = np.ascontiguousarray(points[:n, :3])
        for k in ks:
            samples: dict[str, list[tuple[float, float]]] = {name: [] for name in models}
            for seed in range(repeats):
                for name, make in models.items():
                    samples[name].append(run_once(make, X, k, seed))
            t = {name: statistics.median(s for s, _ in r) for name, r in samples.items()}
            i = {name: statistics.median(v for _, v in r) for name, r in samples.items()}
            print(f"{n:>6} {k:>3} | {t['quantize'] * 1e3:8.1f} {t['sk-kmeans'] * 1e3:8.1f} | "
                  f"{t['quantize'] / t['sk-kmeans']:6.3f} | "
                  f"{i['quantize'] / i['sk-kmeans']:7.4f}", flush=True)


def predict_peak_memory(X: np.ndarray, k: int) -> tuple[int, int]:
    """Peak bytes allocated by ``predict`` on ``X``, and the bytes of its labels."""
    model = MiniBatchKMeans(k, seed=0).fit(X[:50_000])
    tracemalloc.start()
    tracemalloc.reset_peak()
    base, _ = tracemalloc.get_traced_memory()
    labels = model.predict(X)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak - base, labels.nbytes


# --------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------


def _load() -> str:
    try:
        return " ".join(f"{v:.1f}" for v in os.getloadavg())
    except OSError:  # not available on this platform
        return "unknown"


def _verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="points (default 1e6)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per model (default 3)")
    parser.add_argument("--k", type=int, nargs="+", default=[16, 64])
    parser.add_argument("--d", type=int, nargs="+", default=[3, 8], choices=[3, 8])
    parser.add_argument("--part", choices=["large", "small", "all"], default="all")
    parser.add_argument("--small-repeats", type=int, default=5,
                        help="runs per model in the small-n table (default 5)")
    args = parser.parse_args()
    points = load_points(args.n)
    print(f"{os.cpu_count()} CPUs, load average {_load()} at start (timings on a busy "
          "machine are noisy; scikit-learn's threads suffer most)")
    threads = {v: os.environ.get(v, "unset") for v in ("OMP_NUM_THREADS",
                                                        "OPENBLAS_NUM_THREADS")}
    print("threads: " + ", ".join(f"{k}={v}" for k, v in threads.items()))
    if args.part in ("large", "all"):
        bench_large(points, args)
    if args.part in ("small", "all"):
        bench_small(points, [5000, 20000, 60000], args.k, args.small_repeats)
    print(f"load average {_load()} at end")


def bench_large(points: np.ndarray, args: argparse.Namespace) -> None:
    """The 1M-point table against both scikit-learn estimators, and predict's memory."""
    print(f"{args.n} points from {', '.join(IMAGES)}; medians of {args.repeats} runs; "
          "inertia exact float64 over all points")
    print(f"{'d':>2} {'k':>3} | {'ours s':>7} {'skMB s':>7} {'skKM s':>7} | "
          f"{'t/skMB':>6} | {'I/skKM':>7} {'skMB I/skKM':>11} | targets")
    all_ok = True
    for d in args.d:
        X = np.ascontiguousarray(points[:, :d])
        for k in args.k:
            r = bench_case(X, k, args.repeats)
            t_ratio = r["quantize"][0] / r["sk-minibatch"][0]
            i_ratio = r["quantize"][1] / r["sk-kmeans"][1]
            mb_ratio = r["sk-minibatch"][1] / r["sk-kmeans"][1]
            ok_t, ok_i = t_ratio <= TIME_TARGET, i_ratio <= INERTIA_TARGET
            all_ok &= ok_t and ok_i
            print(f"{d:>2} {k:>3} | {r['quantize'][0]:7.2f} {r['sk-minibatch'][0]:7.2f} "
                  f"{r['sk-kmeans'][0]:7.2f} | {t_ratio:6.3f} | {i_ratio:7.4f} "
                  f"{mb_ratio:11.4f} | time {_verdict(ok_t)}, inertia {_verdict(ok_i)}",
                  flush=True)
    X = np.ascontiguousarray(points[:, :8])
    k = max(args.k)
    peak, label_bytes = predict_peak_memory(X, k)
    print(f"predict peak extra memory on {X.shape[0]}x{X.shape[1]}, k={k}: "
          f"{peak / 2**20:.1f} MiB (labels {label_bytes / 2**20:.1f} MiB, "
          f"an n x k float32 matrix would be {X.shape[0] * k * 4 / 2**20:.0f} MiB)")
    print(f"time target <= {TIME_TARGET} x sklearn MiniBatchKMeans, inertia target <= "
          f"{INERTIA_TARGET} x sklearn KMeans: {'all met' if all_ok else 'NOT all met'}")


if __name__ == "__main__":
    main()
