"""Benchmark ``quantize reduce`` against pngquant on images with alpha, as they show on a page.

Run on demand (``python benchmarks/bench_alpha_backgrounds.py [--limit N] [--ks ...]``);
pytest does not collect it. An image with alpha is shown composited on a background: a
palette fitted by the error on black alone (premultiplied colour) can be poor on white,
where most web assets sit. This scores every output four ways, per image and k:

- ``premul``: PSNR on premultiplied RGBA, all four channels (``bench_reduce.py``'s and
  ``bench_icons.py``'s measure, and ``quantize``'s own);
- ``white``, ``black``, ``grey``: PSNR of the RGB composited on white, black and grey 128
  (float, not rounded), the original composited the same way;

and the output's bytes, for ``quantize reduce -k K``, ``pngquant --nofs K`` and pngquant's
default (dithered), one fresh process each, in the same run. The images:

- ``disc``: the RGBA disc of ``bench_reduce.py`` (:func:`_images.rgba_disc`);
- four photos under a soft alpha fade (:func:`faded_photos`): astronaut and china under
  a radial fade, coffee and chelsea under a linear one, opaque in part, transparent at
  an edge;
- ``sheet``: a 1024 x 640 sprite sheet of anti-aliased icons (:func:`sprite_sheet`);
- the icons ``bench_icons.py`` takes under ``--folder`` (``--limit`` of them).

It prints one line per image and k for the first three groups, then per group and k
the median of ours minus ``pngquant --nofs`` on each measure, the median byte ratio,
and on how many images ours is behind on white.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _images import rgba_disc  # noqa: E402
from bench_icons import find_icons  # noqa: E402
from bench_reduce import PNGQUANT, decode, premultiplied, psnr_of, quantize_command, run_once  # noqa: E402

#: The tools scored, in the order each image runs them (see :func:`argv_of`).
TOOLS = ("quantize", "pngquant --nofs", "pngquant")
#: The backgrounds an output is composited on, by name: grey level.
BACKGROUNDS = {"white": 255.0, "black": 0.0, "grey": 128.0}
MEASURES = ("premul", *BACKGROUNDS)
SHEET_SIZE, SHEET_CELL = (1024, 640), 64


def faded_photos() -> dict[str, np.ndarray]:
    """Four photos with a soft alpha fade ``(H, W, 4)`` uint8: a radial fade (opaque
    within 40 % of the half-diagonal, transparent from 95 %) on astronaut and china, a
    linear one (opaque on the left third, transparent on the right tenth) on coffee and
    chelsea."""
    from skimage import data
    from sklearn.datasets import load_sample_image

    photos = {"astronaut": data.astronaut(), "china": load_sample_image("china.jpg"),
              "coffee": data.coffee(), "chelsea": data.chelsea()}
    out = {}
    for name, rgb in photos.items():
        h, w = rgb.shape[:2]
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float64) + 0.5
        if name in ("astronaut", "china"):
            r = np.hypot(yy - h / 2, xx - w / 2) / np.hypot(h / 2, w / 2)
            alpha = np.clip((0.95 - r) / 0.55, 0.0, 1.0)
        else:
            alpha = np.clip((0.9 - xx / w) / (0.9 - 1 / 3), 0.0, 1.0)
        a = np.rint(alpha * 255).astype(np.uint8)
        out[f"{name}-fade"] = np.dstack([rgb, a])
    return out


def sprite_sheet(icons: list[np.ndarray]) -> np.ndarray:
    """A ``SHEET_SIZE`` sprite sheet ``(H, W, 4)`` uint8: the icons, each scaled (Pillow,
    premultiplied) to fit a ``SHEET_CELL`` cell less 4 pixels, in reading order, cycled
    until every cell is filled, on a transparent background."""
    sheet = Image.new("RGBA", SHEET_SIZE, (0, 0, 0, 0))
    cols, rows = SHEET_SIZE[0] // SHEET_CELL, SHEET_SIZE[1] // SHEET_CELL
    for cell in range(cols * rows):
        icon = Image.fromarray(icons[cell % len(icons)])
        icon.thumbnail((SHEET_CELL - 4, SHEET_CELL - 4), Image.Resampling.LANCZOS)
        x, y = (cell % cols) * SHEET_CELL + 2, (cell // cols) * SHEET_CELL + 2
        sheet.alpha_composite(icon, (x, y))
    return np.asarray(sheet)


def composited(rgba: np.ndarray, background: float) -> np.ndarray:
    """``(H, W, 3)`` float64: straight RGBA composited on the grey ``background``."""
    a = rgba[..., 3:].astype(np.float64) / 255.0
    return rgba[..., :3] * a + background * (1.0 - a)


def scores(original: np.ndarray, reduced: np.ndarray) -> dict[str, float]:
    """PSNR of ``reduced`` against ``original`` (both RGBA) on every measure."""
    out = {"premul": psnr_of(premultiplied(original), premultiplied(reduced))}
    for name, level in BACKGROUNDS.items():
        out[name] = psnr_of(composited(original, level), composited(reduced, level))
    return out


def argv_of(tool: str, k: int, src: Path, out: Path) -> list[str]:
    if tool == "quantize":
        return [*quantize_command(), "reduce", str(src), "-k", str(k), "-o", str(out),
                "--force"]
    flags = ["--nofs"] if tool.endswith("--nofs") else []
    return [PNGQUANT, *flags, "--force", "--output", str(out), str(k), str(src)]


def measure(name: str, rgba: np.ndarray, k: int, work: Path) -> dict[str, dict[str, float]]:
    """Every tool's scores and bytes on one image at ``k``; a tool that failed is left out."""
    src = work / f"{name}.png"
    if not src.exists():
        Image.fromarray(rgba).save(src)
    rows = {}
    for i, tool in enumerate(TOOLS):
        out = work / f"{name}.{k}.{i}.png"
        _, problem, _ = run_once(argv_of(tool, k, src, out))
        if problem:
            print(f"  {name} k={k}: {tool} {problem}")
            continue
        rows[tool] = {**scores(rgba, decode(out, 4)), "bytes": float(out.stat().st_size)}
    return rows


def image_line(name: str, k: int, rows: dict[str, dict[str, float]]) -> str:
    cells = [f"{tool} " + " ".join(f"{row[m]:.2f}" for m in MEASURES) + f" {row['bytes']:.0f}B"
             for tool, row in rows.items()]
    return f"  {name:<16} k={k:<3} " + " | ".join(cells)


def group_line(group: str, k: int, results: list[dict[str, dict[str, float]]]) -> str:
    """Medians of ours minus ``pngquant --nofs`` over a group's images at one k."""
    pairs = [(r["quantize"], r["pngquant --nofs"]) for r in results
             if "quantize" in r and "pngquant --nofs" in r]
    if not pairs:
        return f"  {group:<8} k={k:<3} nothing compared"
    gaps = {m: statistics.median(a[m] - b[m] for a, b in pairs) for m in MEASURES}
    ratio = statistics.median(a["bytes"] / b["bytes"] for a, b in pairs)
    behind = sum(a["white"] < b["white"] for a, b in pairs)
    ours = {m: statistics.median(a[m] for a, _ in pairs) for m in ("premul", "white")}
    return (f"  {group:<8} k={k:<3} n={len(pairs):<3} vs --nofs: "
            + " ".join(f"{m} {gaps[m]:+.2f}" for m in MEASURES)
            + f" dB; bytes {ratio:.3f}x; behind on white {behind}; ours premul "
            f"{ours['premul']:.2f} white {ours['white']:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--folder", type=Path, default=Path("/usr/share/icons"))
    parser.add_argument("--limit", type=int, default=30, metavar="N")
    parser.add_argument("--ks", type=int, nargs="+", default=[16, 64, 256])
    args = parser.parse_args()
    icons = find_icons(args.folder, args.limit) if args.folder.is_dir() else []
    sheet_icons = [rgba for _, rgba in find_icons(args.folder, 160)] if icons else []
    groups: dict[str, dict[str, np.ndarray]] = {
        "disc": {"disc": rgba_disc()},
        "photos": faded_photos(),
        "sheet": {"sheet": sprite_sheet(sheet_icons)} if sheet_icons else {},
        "icons": {f"icon{i}": rgba for i, (_, rgba) in enumerate(icons)},
    }
    print(f"{sum(map(len, groups.values()))} images ({len(icons)} icons from {args.folder}); "
          f"per tool: {' '.join(MEASURES)} (PSNR dB), bytes")
    with tempfile.TemporaryDirectory(prefix="bench_alpha_") as tmp:
        summary = []
        for k in args.ks:
            for group, images in groups.items():
                results = []
                for name, rgba in images.items():
                    rows = measure(name, rgba, k, Path(tmp))
                    results.append(rows)
                    if group != "icons":
                        print(image_line(name, k, rows), flush=True)
                summary.append(group_line(group, k, results))
        print("Medians, quantize minus pngquant --nofs:")
        print("\n".join(summary))


if __name__ == "__main__":
    main()
