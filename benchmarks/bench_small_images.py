"""Time and quality of ``quantize.reduce_colors`` on small images, against Pillow and pngquant.

Run on demand: ``python benchmarks/bench_small_images.py --out FILE.json`` measures;
``python benchmarks/bench_small_images.py --compare BEFORE.json AFTER.json`` compares two
such runs (two versions of quantize, each first on ``PYTHONPATH``). pytest does not
collect it.

The images are the seven photos of :func:`_images.sample_photos`, each as centre crops of
``--crops`` pixels a side and as thumbnails (Lanczos) of ``--thumbs`` pixels on the long
side. For each image and k: the CPU time (``time.process_time``, which a loaded machine
raises least) of the library call at seed 0, the median of ``--repeats``; the PSNR of
the call at seeds ``0..--seeds-1`` (their mean); the image's distinct colours; as
references, Pillow's ``quantize(k, MEDIANCUT)`` (CPU time, median of the repeats, and
PSNR), scikit-learn's ``KMeans(k, n_init=1)`` on every pixel (PSNR) and the CPU time of
the whole ``pngquant --nofs k`` process (median of the repeats).

Thumbnail services: ``--dither`` measures every tool with its Floyd-Steinberg dithering
(``reduce_colors(dither=True)``, Pillow's ``Dither.FLOYDSTEINBERG``, ``pngquant`` without
``--nofs``); ``--photos`` picks some of the photos; Pillow's ``FASTOCTREE`` (its fastest
method, CPU time and PSNR) is measured beside ``MEDIANCUT`` in the same run, and
``--compare`` prints both, with the after / MEDIANCUT time ratio.

``--compare`` prints, per image kind and size, the median over photos of the after / before
time ratio and of the times of both and of Pillow and pngquant (from the AFTER run), the
mean PSNR change, and per k the mean PSNR change over the set and the worst image.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _images import sample_photos  # noqa: E402
from bench_reduce import kmeans_psnr, psnr_of  # noqa: E402

PNGQUANT = shutil.which("pngquant") or "/usr/bin/pngquant"
CROPS = (16, 32, 48, 64, 96, 128, 160, 192, 256)
THUMBS = (64, 96, 128, 160, 192, 256)


def crop(image: np.ndarray, side: int) -> np.ndarray:
    """The centre ``side`` x ``side`` pixels of ``image`` (fewer where it is smaller)."""
    h, w = image.shape[:2]
    top, left = max(0, (h - side) // 2), max(0, (w - side) // 2)
    return np.ascontiguousarray(image[top:top + side, left:left + side])


def thumbnail(image: np.ndarray, side: int) -> np.ndarray:
    """``image`` resized (Lanczos) to ``side`` pixels on its long side."""
    h, w = image.shape[:2]
    scale = side / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return np.asarray(Image.fromarray(image).resize(size, Image.Resampling.LANCZOS))


def images(crops: list[int], thumbs: list[int]) -> dict[tuple[str, str, int], np.ndarray]:
    """The set, keyed by (photo, "crop" or "thumb", side)."""
    out = {}
    for name, photo in sample_photos().items():
        for side in crops:
            out[name, "crop", side] = crop(photo, side)
        for side in thumbs:
            out[name, "thumb", side] = thumbnail(photo, side)
    return out


def pillow_quantize(image: np.ndarray, k: int, method: Image.Quantize,
                    dither: bool) -> np.ndarray:
    """Pillow's ``quantize(k, method)`` of ``image``, as RGB."""
    out = Image.fromarray(image).quantize(
        k, method=method, dither=Image.Dither.FLOYDSTEINBERG if dither else Image.Dither.NONE)
    return np.asarray(out.convert("RGB"))


def cpu_median(fn, repeats: int) -> tuple[float, object]:
    """Median CPU seconds of ``repeats`` calls of ``fn`` and its last result."""
    times = []
    for _ in range(repeats):
        start = time.process_time()
        result = fn()
        times.append(time.process_time() - start)
    return statistics.median(times), result


def pngquant_cpu(image: np.ndarray, k: int, repeats: int, folder: Path,
                 dither: bool = False) -> float:
    """Median CPU seconds (user + system) of the whole ``pngquant [--nofs] k`` process."""
    src, out = folder / "in.png", folder / "out.png"
    Image.fromarray(image).save(src)
    cmd = [PNGQUANT, *([] if dither else ["--nofs"]), "--force", "--output", str(out), str(k),
           str(src)]
    times = []
    for _ in range(repeats):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        times.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return statistics.median(times)


def measure(image: np.ndarray, k: int, args: argparse.Namespace, folder: Path) -> dict:
    from quantize import reduce_colors

    def ours(seed: int) -> np.ndarray:
        return reduce_colors(image, k, seed=seed, dither=args.dither).to_rgb()

    seconds, first = cpu_median(lambda: ours(0), args.repeats)
    psnrs = [psnr_of(image, first)] + [psnr_of(image, ours(s)) for s in range(1, args.seeds)]
    row = {"colors": len(np.unique(image.reshape(-1, 3), axis=0)), "q": seconds,
           "psnr": statistics.mean(psnrs)}
    for key, method in (("pillow", Image.Quantize.MEDIANCUT),
                        ("octree", Image.Quantize.FASTOCTREE)):
        row[key], out = cpu_median(lambda m=method: pillow_quantize(image, k, m, args.dither),
                                   args.repeats)
        row[f"{key}_psnr"] = psnr_of(image, out)
    if not args.no_pngquant:
        row["pngquant"] = pngquant_cpu(image, k, args.repeats, folder, args.dither)
    if not args.no_kmeans:
        row["kmeans_psnr"] = kmeans_psnr(image, k)
    return row


def run(args: argparse.Namespace) -> None:
    import quantize

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for (name, kind, side), image in images(args.crops, args.thumbs).items():
            if args.photos and name not in args.photos:
                continue
            for k in args.k:
                row = {"photo": name, "kind": kind, "side": side, "k": k,
                       **measure(image, k, args, Path(tmp))}
                rows.append(row)
                print(" ".join(f"{key}={value:.4f}" if isinstance(value, float)
                               else f"{key}={value}" for key, value in row.items()), flush=True)
    args.out.write_text(json.dumps({"quantize": str(Path(quantize.__file__).parent),
                                    "dither": args.dither, "rows": rows}, indent=1))


def compare(before_path: Path, after_path: Path) -> None:
    before = {_key(r): r for r in json.loads(before_path.read_text())["rows"]}
    after = {_key(r): r for r in json.loads(after_path.read_text())["rows"]}
    keys = [key for key in after if key in before]
    groups = defaultdict(list)
    for key in keys:
        groups[key[1], key[2], key[3]].append(key)
    print(f"{'kind':<6}{'side':>5}{'k':>4}{'colours':>9}{'before ms':>10}{'after ms':>9}"
          f"{'ratio':>7}{'Pillow ms':>10}{'/Pillow':>8}{'octree ms':>10}{'pngquant ms':>12}"
          f"{'dPSNR':>8}{'worst':>8}{'PSNR':>6}{'Pillow':>7}{'octree':>7}{'after-KMeans':>13}")
    for (kind, side, k), members in sorted(groups.items()):
        def med(field: str, rows: dict, members: list = members) -> float:
            return statistics.median(rows[m][field] for m in members)
        deltas = [after[m]["psnr"] - before[m]["psnr"] for m in members]
        ratio = statistics.median(after[m]["q"] / before[m]["q"] for m in members)
        gap = statistics.median(after[m]["psnr"] - (after[m].get("kmeans_psnr") or np.nan)
                                for m in members)
        print(f"{kind:<6}{side:>5}{k:>4}{med('colors', after):>9.0f}"
              f"{1e3 * med('q', before):>10.1f}{1e3 * med('q', after):>9.1f}{ratio:>7.2f}"
              f"{1e3 * med('pillow', after):>10.1f}"
              f"{statistics.median(after[m]['q'] / after[m]['pillow'] for m in members):>8.1f}"
              f"{1e3 * _median_or_nan(after, members, 'octree'):>10.1f}"
              f"{1e3 * _median_or_nan(after, members, 'pngquant'):>12.1f}"
              f"{statistics.mean(deltas):>+8.3f}{min(deltas):>+8.3f}{med('psnr', after):>6.1f}"
              f"{med('pillow_psnr', after):>7.1f}"
              f"{_median_or_nan(after, members, 'octree_psnr'):>7.1f}{gap:>+13.2f}")
    for k in sorted({key[3] for key in keys}):
        at_k = [key for key in keys if key[3] == k]
        deltas = {key: after[key]["psnr"] - before[key]["psnr"] for key in at_k}
        worst = min(deltas, key=deltas.get)
        total = sum(after[key]["q"] for key in at_k) / sum(before[key]["q"] for key in at_k)
        print(f"k={k}: {len(at_k)} images, PSNR change mean {statistics.mean(deltas.values()):+.4f}"
              f" dB, worst {deltas[worst]:+.3f} dB ({'/'.join(map(str, worst[:3]))}), "
              f"{sum(d < 0 for d in deltas.values())} worse, {sum(d > 0 for d in deltas.values())}"
              f" better; CPU time summed after / before {total:.2f}")


def _median_or_nan(rows: dict, members: list, field: str) -> float:
    values = [rows[m][field] for m in members if field in rows[m]]
    return statistics.median(values) if values else float("nan")


def _key(row: dict) -> tuple[str, str, int, int]:
    return row["photo"], row["kind"], row["side"], row["k"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path)
    parser.add_argument("--compare", type=Path, nargs=2, metavar=("BEFORE", "AFTER"))
    parser.add_argument("--k", type=int, nargs="+", default=[16, 64])
    parser.add_argument("--crops", type=int, nargs="*", default=list(CROPS))
    parser.add_argument("--thumbs", type=int, nargs="*", default=list(THUMBS))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--photos", nargs="*", default=[],
                        help="only these of the seven photos (default: all)")
    parser.add_argument("--dither", action="store_true",
                        help="every tool with its Floyd-Steinberg dithering")
    parser.add_argument("--no-pngquant", action="store_true")
    parser.add_argument("--no-kmeans", action="store_true")
    args = parser.parse_args()
    if args.compare:
        compare(*args.compare)
    elif args.out:
        run(args)
    else:
        parser.error("give --out FILE.json to measure or --compare BEFORE AFTER")


if __name__ == "__main__":
    main()
