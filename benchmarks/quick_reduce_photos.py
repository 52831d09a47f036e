"""Quick check of ``quantize reduce`` against pngquant on small photos, file to file.

Run on demand: ``python benchmarks/quick_reduce_photos.py DIR [--k 16 64] [--repeats 3]``
with PNG photos in DIR. For every photo and k it runs, through the command
line, ``quantize reduce`` (undithered and ``--dither``) and ``pngquant``
(``--nofs`` and its default dithering), and prints wall seconds and CPU
seconds (user + system; each the median of the repeats), bytes, PSNR and PSNR
after a Gaussian blur of sigma 1 (premultiplied RGBA when the input has alpha),
plus the median ratios to pngquant and the load average before and after. The
ratios hold on an idle machine only: under load, wall times measure the
scheduler, and pngquant's OpenMP threads spin as they wait, which raises its CPU
time too; quantize's CPU time changes least.
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

QUANTIZE = str(Path(sys.executable).with_name("quantize"))
PNGQUANT = shutil.which("pngquant") or "/usr/bin/pngquant"


def premultiplied(path: Path) -> np.ndarray:
    """``(H, W, 4)`` float64 premultiplied RGBA of an image file."""
    with Image.open(path) as im:
        rgba = np.asarray(im.convert("RGBA"), dtype=np.float64)
    rgba[..., :3] *= rgba[..., 3:] / 255.0
    return rgba


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(((a - b) ** 2).mean())
    return math.inf if mse == 0 else 10 * math.log10(255.0 ** 2 / mse)


def blurred(a: np.ndarray) -> np.ndarray:
    from scipy.ndimage import gaussian_filter

    return gaussian_filter(a, sigma=(1, 1, 0))


def timed(cmd: list[str], repeats: int) -> tuple[float, float]:
    """Median wall seconds and median CPU seconds (user + system) of ``repeats`` runs."""
    walls, cpus = [], []
    for _ in range(repeats):
        before = _children_cpu()
        start = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        walls.append(time.perf_counter() - start)
        cpus.append(_children_cpu() - before)
    return statistics.median(walls), statistics.median(cpus)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def tools(src: Path, out: Path, k: int) -> dict[str, list[str]]:
    q = [QUANTIZE, "reduce", str(src), "-k", str(k), "-o", str(out), "--force"]
    p = [PNGQUANT, "--force", "--output", str(out), str(k)]
    return {"q": q, "q-dither": q + ["--dither"],
            "pq-nofs": p[:1] + ["--nofs"] + p[1:] + [str(src)], "pq": p + [str(src)]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("folder", type=Path)
    parser.add_argument("--k", type=int, nargs="+", default=[16, 64])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    rows = []
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        for src in sorted(args.folder.glob("*.png")):
            ref = premultiplied(src)
            ref_blur = blurred(ref)
            for k in args.k:
                row = {"file": src.stem, "k": k}
                for name, cmd in tools(src, Path(tmp) / f"{src.stem}.{k}.png", k).items():
                    out = Path(cmd[cmd.index("--output") + 1] if "--output" in cmd
                               else cmd[cmd.index("-o") + 1])
                    row[name], row[name + " cpu"] = timed(cmd, args.repeats)
                    got = premultiplied(out)
                    row[name + " bytes"] = out.stat().st_size
                    row[name + " psnr"] = psnr(ref, got)
                    row[name + " blur"] = psnr(ref_blur, blurred(got))
                rows.append(row)
                print(" ".join(f"{key}={value:.3f}" if isinstance(value, float)
                               else f"{key}={value}" for key, value in row.items()), flush=True)
    summarise(rows, (load_before, os.getloadavg()[0]))


def summarise(rows: list[dict], load: tuple[float, float]) -> None:
    def med(f) -> float:
        return statistics.median(f(r) for r in rows)

    print("\nmedians over files and k:")
    print(f"  time  q/pq-nofs {med(lambda r: r['q'] / r['pq-nofs']):.2f}   "
          f"q-dither/pq {med(lambda r: r['q-dither'] / r['pq']):.2f}")
    print(f"  CPU   q/pq-nofs {med(lambda r: r['q cpu'] / r['pq-nofs cpu']):.2f}   "
          f"q-dither/pq {med(lambda r: r['q-dither cpu'] / r['pq cpu']):.2f}")
    print(f"  bytes q/pq-nofs {med(lambda r: r['q bytes'] / r['pq-nofs bytes']):.3f}   "
          f"q-dither/pq {med(lambda r: r['q-dither bytes'] / r['pq bytes']):.3f}")
    print(f"  PSNR  q-pq-nofs {med(lambda r: r['q psnr'] - r['pq-nofs psnr']):+.2f} dB "
          f"(min {min(r['q psnr'] - r['pq-nofs psnr'] for r in rows):+.2f})   "
          f"blurred q-dither - pq {med(lambda r: r['q-dither blur'] - r['pq blur']):+.2f} dB")
    print(f"  load average (1 min) {load[0]:.1f} before, {load[1]:.1f} after")


if __name__ == "__main__":
    main()
