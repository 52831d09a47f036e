"""Benchmark ``quantize batch`` on a folder of photos against a shell loop of pngquant.

Run on demand: ``python benchmarks/bench_batch.py [--images 200] [--colors 16]``.
pytest does not collect it.

In one run it

1. builds ``--images`` PNG photos of 1-2 MP in a temporary folder from the colour
   photographs in ``skimage.data`` (random crops, scales and flips, mild seeded
   noise so they have camera-like numbers of distinct colours);
2. times, end to end (process start-up, discovery, decoding, writing):

   - a bash loop of ``pngquant --nofs --force --output OUT N IN`` over the PNGs,
   - ``quantize batch IN -o OUT -k N --seed 0 --jobs 1``,
   - the same with ``--jobs 2``,
   - the same with ``--scheduler`` pointing at a ``dask.distributed``
     ``LocalCluster`` of 2 single-thread worker processes started beforehand
     (its start-up is not timed);

3. prints images/second, mean PSNR over the images (RGB, computed here the
   same way for every tool) and the ratios against the targets:
   ``--jobs 2`` >= 3 x pngquant's throughput at >= its PSNR, and >= 1.7 x
   ``--jobs 1``.
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image
from skimage import data

SOURCES = {"astronaut": data.astronaut, "coffee": data.coffee, "chelsea": data.chelsea,
           "rocket": data.rocket, "immunohistochemistry": data.immunohistochemistry,
           "hubble_deep_field": data.hubble_deep_field, "retina": data.retina,
           "motorcycle": lambda: data.stereo_motorcycle()[0]}
NOISE_SIGMA = 2.0
THROUGHPUT_TARGET = 3.0
SCALING_TARGET = 1.7


# --------------------------------------------------------------------------
# Photos
# --------------------------------------------------------------------------


def make_photos(folder: Path, n: int, seed: int = 0) -> list[Path]:
    """Write ``n`` PNG photos of 1-2 MP built from ``skimage.data`` into ``folder``."""
    sources = [Image.fromarray(load()).convert("RGB") for load in SOURCES.values()]
    rng = np.random.default_rng(seed)
    paths = []
    for i in range(n):
        photo = _variant(sources[i % len(sources)], rng)
        path = folder / f"photo{i:03d}.png"
        Image.fromarray(photo).save(path, compress_level=1)
        paths.append(path)
    return paths


def _variant(source: Image.Image, rng: np.random.Generator) -> np.ndarray:
    """A random crop (50-100 % of each side), flipped at random, scaled to 1-2 MP, noisy."""
    w, h = source.size
    cw, ch = (int(side * rng.uniform(0.5, 1.0)) for side in (w, h))
    x, y = int(rng.integers(0, w - cw + 1)), int(rng.integers(0, h - ch + 1))
    crop = source.crop((x, y, x + cw, y + ch))
    if rng.random() < 0.5:
        crop = crop.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    if rng.random() < 0.25:
        crop = crop.transpose(Image.Transpose.FLIP_TOP_BOTTOM)
    scale = math.sqrt(rng.uniform(1.0e6, 2.0e6) / (cw * ch))
    size = (round(cw * scale), round(ch * scale))
    pixels = np.asarray(crop.resize(size, Image.Resampling.BICUBIC), dtype=np.float32)
    pixels += rng.normal(0.0, NOISE_SIGMA, size=pixels.shape).astype(np.float32)
    return np.clip(np.rint(pixels), 0, 255).astype(np.uint8)


# --------------------------------------------------------------------------
# Runs
# --------------------------------------------------------------------------


def run_pngquant(src: Path, out: Path, colors: int) -> float:
    """Seconds for a bash loop of pngquant over every PNG of ``src``."""
    loop = ('for f in "$1"/*.png; do pngquant --nofs --force --output "$2/${f##*/}" '
            '"$3" "$f" || exit 1; done')
    return _timed(["bash", "-c", loop, "loop", str(src), str(out), str(colors)])


def run_quantize(src: Path, out: Path, colors: int, extra: list[str]) -> float:
    """Seconds for one ``quantize batch`` run over ``src``."""
    command = [sys.executable, "-c", "from quantize.cli import main; main()", "batch",
               str(src), "-o", str(out), "-k", str(colors), "--seed", "0", "--quiet", *extra]
    return _timed(command)


def _timed(command: list[str]) -> float:
    """Wall seconds of ``command``; also prints the CPUs it kept busy on average.

    CPU time is that of finished child processes (pool workers included, Dask
    workers not). Fewer busy CPUs than workers means the machine was shared.
    """
    start, cpu_start = time.perf_counter(), _children_cpu()
    done = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    print(f"  ({command[0].rsplit('/', 1)[-1]} {' '.join(command[-2:])}: "
          f"{(_children_cpu() - cpu_start) / seconds:.2f} CPUs busy on average)", flush=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command[:3])}... failed ({done.returncode}):\n"
                         f"{done.stdout}{done.stderr}")
    return seconds


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def mean_psnr(inputs: list[Path], out: Path) -> float:
    """Mean over images of the RGB PSNR (dB) of ``out/<name>`` against each input."""
    values = []
    for path in inputs:
        ref = np.asarray(Image.open(path).convert("RGB"), dtype=np.float64)
        test = np.asarray(Image.open(out / path.name).convert("RGB"), dtype=np.float64)
        mse = np.mean((ref - test) ** 2)
        values.append(10 * math.log10(255.0 ** 2 / mse) if mse > 0 else math.inf)
    return float(np.mean(values))


def _line(label: str, n: int, seconds: float, psnr: float) -> str:
    return f"{label:<36} {seconds:7.1f} s {n / seconds:7.2f} images/s   PSNR {psnr:6.2f} dB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=200)
    parser.add_argument("--colors", type=int, default=16)
    parser.add_argument("--no-dask", action="store_true", help="skip the LocalCluster run")
    args = parser.parse_args()
    if shutil.which("pngquant") is None:
        raise SystemExit("pngquant is not on PATH; install it (apt-get install pngquant)")
    with tempfile.TemporaryDirectory(prefix="bench_batch_") as tmp:
        root = Path(tmp)
        src = root / "photos"
        src.mkdir()
        inputs = make_photos(src, args.images)
        megapixels = [np.prod(Image.open(p).size) / 1e6 for p in inputs]
        print(f"{args.images} PNG photos of {min(megapixels):.2f}-{max(megapixels):.2f} MP "
              f"(mean {np.mean(megapixels):.2f}), k={args.colors}, no dither, "
              f"{os.cpu_count()} CPUs", flush=True)
        results = {}
        runs = [("pngquant --nofs (bash loop)", None), ("quantize batch --jobs 1", ["--jobs", "1"]),
                ("quantize batch --jobs 2", ["--jobs", "2"])]
        for i, (label, extra) in enumerate(runs):
            out = root / f"out{i}"
            out.mkdir()
            seconds = (run_pngquant(src, out, args.colors) if extra is None
                       else run_quantize(src, out, args.colors, extra))
            results[label] = (seconds, mean_psnr(inputs, out))
            print(_line(label, args.images, *results[label]), flush=True)
        if not args.no_dask:
            label = "quantize batch LocalCluster(2 workers)"
            results[label] = _run_dask(src, root / "out-dask", inputs, args.colors)
            print(_line(label, args.images, *results[label]), flush=True)
        _print_ratios(results)


def _run_dask(src: Path, out: Path, inputs: list[Path], colors: int) -> tuple[float, float]:
    from dask.distributed import LocalCluster

    # No dashboard; the scheduler's HTTP server, which it starts all the same, on a free port
    # rather than 8787, which another cluster on this host may hold (distributed warns then).
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None,
                      scheduler_kwargs={"dashboard_address": "127.0.0.1:0"}) as cluster:
        seconds = run_quantize(src, out, colors, ["--scheduler", cluster.scheduler_address])
    return seconds, mean_psnr(inputs, out)


def _print_ratios(results: dict[str, tuple[float, float]]) -> None:
    png_s, png_psnr = results["pngquant --nofs (bash loop)"]
    one_s, _ = results["quantize batch --jobs 1"]
    two_s, two_psnr = results["quantize batch --jobs 2"]
    vs_png, vs_one = png_s / two_s, one_s / two_s
    print(f"--jobs 2 vs pngquant: {vs_png:.2f}x throughput (target >= {THROUGHPUT_TARGET}x: "
          f"{_verdict(vs_png >= THROUGHPUT_TARGET)}), PSNR {two_psnr - png_psnr:+.2f} dB "
          f"(target >= 0: {_verdict(two_psnr >= png_psnr)})")
    print(f"--jobs 2 vs --jobs 1: {vs_one:.2f}x (target >= {SCALING_TARGET}x: "
          f"{_verdict(vs_one >= SCALING_TARGET)})")
    dask = results.get("quantize batch LocalCluster(2 workers)")
    if dask is not None:
        print(f"LocalCluster(2) vs --jobs 1: {one_s / dask[0]:.2f}x, "
              f"vs pngquant: {png_s / dask[0]:.2f}x")


def _verdict(met: bool) -> str:
    return "met" if met else "MISSED"


if __name__ == "__main__":
    main()
