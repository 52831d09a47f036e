"""Benchmark how a GIVEN palette's entries are matched, undithered, against Pillow and
ImageMagick, in one run.

Run on demand (``python benchmarks/bench_palette_match.py [--train N] [--photos DIR]``);
pytest does not collect it. A user mapping photos onto a thread maker's or a printer's
fixed colours (``--palette-in threads.gpl``) checks the result by mean CIEDE2000
(``skimage.color.deltaE_ciede2000``) against the photo.

Palettes: ``ink8`` (red, green, blue, cyan, magenta, yellow, black, white), and
``spread40`` / ``spread450``, 40 and 450 colours spread over sRGB as a thread palette's
are (farthest-point picks in Lab among 20,000 seeded random colours). Photos: the six
sample photos (scikit-learn's china and flower, scikit-image's astronaut, coffee,
chelsea and rocket) and ``--train`` (default 0) BSDS500 *train* photos, every 20th of
``--photos``.

Methods: ``reduce_colors(palette=...)`` of this checkout with ``space="rgb"`` (nearest
in RGB) and ``space="lab"`` (nearest by CIEDE2000); nearest by Lab distance
(``quantize._kernels.nearest`` on Lab, what ``space="lab"`` did before); Pillow's
``Image.quantize(palette=..., dither=NONE)``; ImageMagick's ``convert IN +dither -remap
SWATCH OUT``. For each palette it prints, per method, the range over the photos of the
mean CIEDE2000 against the photo and the median CPU seconds (ImageMagick's: wall
seconds of the process), and the median ratio of each method's mean CIEDE2000 to
ImageMagick's. Pillow takes at most 256 entries and is left out beyond.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

INK8 = np.array([[255, 0, 0], [0, 255, 0], [0, 0, 255], [0, 255, 255], [255, 0, 255],
                 [255, 255, 0], [0, 0, 0], [255, 255, 255]], np.uint8)


def spread_palette(n: int, seed: int) -> np.ndarray:
    """``(n, 3)`` uint8 colours picked farthest-first in Lab among 20,000 random ones."""
    from quantize.colors import srgb_to_lab

    pool = np.random.default_rng(seed).integers(0, 256, (20000, 3)).astype(np.uint8)
    lab = srgb_to_lab(pool).astype(np.float64)
    chosen, far = [0], ((lab - lab[0]) ** 2).sum(axis=1)
    for _ in range(n - 1):
        chosen.append(int(np.argmax(far)))
        far = np.minimum(far, ((lab - lab[chosen[-1]]) ** 2).sum(axis=1))
    return pool[chosen]


def photos(train_dir: Path, n_train: int) -> dict[str, np.ndarray]:
    sys.path.insert(0, str(HERE))
    from _images import sample_photos

    out = {name: image for name, image in sample_photos().items() if name != "motorcycle"}
    for path in sorted(train_dir.glob("*.jpg"))[::20][:n_train]:
        out[path.stem] = np.asarray(Image.open(path).convert("RGB"))
    return out


def by_lab_distance(rgb: np.ndarray, pal: np.ndarray) -> np.ndarray:
    from quantize._kernels import nearest
    from quantize.colors import color_histogram, pack_rgb, srgb_to_lab

    colors, _ = color_histogram(rgb)
    labels = nearest(srgb_to_lab(colors), srgb_to_lab(pal))
    rows = np.searchsorted(pack_rgb(colors), pack_rgb(rgb))
    return pal[labels[rows]]


def by_pillow(rgb: np.ndarray, pal: np.ndarray) -> np.ndarray:
    swatch = Image.new("P", (1, 1))
    swatch.putpalette(np.vstack([pal, np.repeat(pal[:1], 256 - len(pal), 0)]).tobytes())
    out = Image.fromarray(rgb).quantize(palette=swatch, dither=Image.Dither.NONE)
    return np.asarray(out.convert("RGB"))


def by_magick(rgb: np.ndarray, pal: np.ndarray, work: Path) -> tuple[np.ndarray, float]:
    src, swatch, out = work / "in.png", work / "swatch.png", work / "out.png"
    Image.fromarray(rgb).save(src)
    Image.fromarray(pal[None]).save(swatch)
    start = time.perf_counter()
    subprocess.run(["convert", str(src), "+dither", "-remap", str(swatch), str(out)], check=True)
    return np.asarray(Image.open(out).convert("RGB")), time.perf_counter() - start


def cpu_timed(run: Callable[[], np.ndarray]) -> tuple[np.ndarray, float]:
    start = time.process_time()
    out = run()
    return out, time.process_time() - start


def main() -> None:
    from quantize import reduce_colors
    from quantize.metrics import delta_e

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--train", type=int, default=0)
    parser.add_argument("--photos", type=Path,
                        default=REPO.parent / "shared" / "bsds500" / "images" / "train")
    args = parser.parse_args()
    palettes = {"ink8": INK8, "spread40": spread_palette(40, 1),
                "spread450": spread_palette(450, 2)}
    methods = ["rgb", "lab (CIEDE2000)", "Lab distance", "Pillow", "ImageMagick"]
    work = Path(tempfile.mkdtemp(prefix="bench_match_"))
    images = photos(args.photos, args.train)
    for pname, pal in palettes.items():
        scores = {m: [] for m in methods}
        seconds = {m: [] for m in methods}
        for rgb in images.values():
            runs = {
                "rgb": lambda: reduce_colors(rgb, palette=pal).to_rgb(),  # noqa: B023
                "lab (CIEDE2000)": lambda: reduce_colors(rgb, palette=pal,  # noqa: B023
                                                         space="lab").to_rgb(),
                "Lab distance": lambda: by_lab_distance(rgb, pal),  # noqa: B023
            }
            if len(pal) <= 256:
                runs["Pillow"] = lambda: by_pillow(rgb, pal)  # noqa: B023
            for method, run in runs.items():
                out, sec = cpu_timed(run)
                scores[method].append(delta_e(rgb, out))
                seconds[method].append(sec)
            out, sec = by_magick(rgb, pal, work)
            scores["ImageMagick"].append(delta_e(rgb, out))
            seconds["ImageMagick"].append(sec)
        print(f"{pname} ({len(pal)} entries), {len(images)} photos:")
        magick = np.array(scores["ImageMagick"])
        for m in methods:
            if not scores[m]:
                continue
            s = np.array(scores[m])
            print(f"  {m:16s} mean CIEDE2000 {s.min():6.2f} to {s.max():6.2f}, median "
                  f"{np.median(seconds[m]):.3f} s, x ImageMagick {np.median(s / magick):.3f}")


if __name__ == "__main__":
    main()
