"""Peak memory of ``quantize reduce`` on long animations, by number of frames.

Builds pans over scikit-image's coffee photo (320x180 frames, each a few
pixels from the last, so every frame differs) of 100, 200 and 400 frames,
saved by Pillow as GIF, APNG and WebP, and as an APNG with soft alpha (a
disc fading to its edge that moves over the frames), in a temporary folder
(nothing is committed), runs each conversion of the table of docs/animations.md in a child process
under ``/usr/bin/time -v`` and prints its peak resident set size in MB. A GIF
or APNG output is written as the frames come and should not grow with the
frames; a WebP output's frames wait for Pillow's writer (see
``quantize/animation/sinks.py``) and grow with them.

Usage::

    python benchmarks/bench_animation_memory.py [--frames 100 200 400] [--keep DIR]
        [--rows TEXT]
"""

from __future__ import annotations

import argparse
import math
import shutil
import sys
from pathlib import Path

from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _measure import time_v, work_folder  # noqa: E402

QUANTIZE = [sys.executable, "-m", "quantize"]
SIZE = (320, 180)
#: (row label, input name after pan<n>, output extension, extra options)
CASES = [
    ("GIF -> GIF", ".gif", ".gif", []),
    ("GIF -> GIF, --palette per-frame", ".gif", ".gif", ["--palette", "per-frame"]),
    ("GIF -> GIF, --dither", ".gif", ".gif", ["--dither"]),
    ("WebP -> GIF", ".webp", ".gif", []),
    ("APNG -> GIF", ".png", ".gif", []),
    ("GIF -> APNG", ".gif", ".png", []),
    ("APNG -> APNG", ".png", ".png", []),
    ("APNG -> APNG, --dither", ".png", ".png", ["--dither"]),
    ("WebP -> WebP", ".webp", ".webp", []),
    ("WebP -> WebP, --dither", ".webp", ".webp", ["--dither"]),
    ("GIF -> WebP", ".gif", ".webp", []),
    ("APNG, soft alpha -> APNG", "-alpha.png", ".png", []),
    ("APNG, soft alpha -> WebP", "-alpha.png", ".webp", []),
    ("APNG, soft alpha -> GIF", "-alpha.png", ".gif", []),
]


def pan(n: int) -> list[Image.Image]:
    """``n`` frames of ``SIZE`` cut from the coffee photo (scaled up 2x) along a Lissajous
    path, shifted 0-2 pixels more by frame number so that no two frames are the same."""
    from skimage import data

    photo = Image.fromarray(data.coffee()).resize((1200, 800), Image.BILINEAR)
    w, h = SIZE
    frames = []
    for i in range(n):
        t = i / n
        x = int(440 + 400 * math.sin(2 * math.pi * t)) + i % 3
        y = int(300 + 250 * math.sin(4 * math.pi * t + 0.3))
        x, y = min(max(x, 0), photo.width - w), min(max(y, 0), photo.height - h)
        frames.append(photo.crop((x, y, x + w, y + h)))
    return frames


def soft_alpha(frames: list[Image.Image]) -> list[Image.Image]:
    """The frames with alpha falling from 255 at the centre of a disc to 0 at 160 pixels
    from it, the disc moving along another path: most pixels translucent, and their
    colours with alpha differing from frame to frame."""
    import numpy as np

    w, h = SIZE
    y, x = np.mgrid[0:h, 0:w]
    out = []
    for i, frame in enumerate(frames):
        cx, cy = w / 2 + w / 3 * math.cos(i / 7), h / 2 + h / 4 * math.sin(i / 5)
        alpha = np.clip(255 - 1.6 * np.hypot(x - cx, y - cy), 0, 255).astype(np.uint8)
        out.append(Image.fromarray(np.dstack([np.asarray(frame.convert("RGB")), alpha])))
    return out


def build(folder: Path, n: int) -> None:
    """Save the pan of ``n`` frames as pan<n>.gif, .png (APNG) and .webp, and with soft
    alpha as pan<n>-alpha.png, unless present."""
    paths = [folder / f"pan{n}{name}" for name in (".gif", ".png", ".webp", "-alpha.png")]
    if all(p.exists() for p in paths):
        return
    frames = pan(n)
    for path in paths:
        extra = {"quality": 80} if path.suffix == ".webp" else {}
        seq = soft_alpha(frames) if path.name.endswith("-alpha.png") else frames
        seq[0].save(path, save_all=True, append_images=seq[1:], duration=40, loop=0, **extra)


def peak_mb(cmd: list[str]) -> float:
    """Run ``cmd`` under /usr/bin/time -v; its peak resident set size in MB (10^6 bytes)."""
    return time_v(cmd)[0] * 1024 / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, nargs="+", default=[100, 200, 400])
    parser.add_argument("--keep", type=Path, help="build/keep the animations in this folder")
    parser.add_argument("--rows", default="", metavar="TEXT",
                        help="only the rows whose label holds TEXT (e.g. 'soft alpha')")
    args = parser.parse_args()
    folder = work_folder(args.keep, "quantize-anim-mem-")
    try:
        for n in args.frames:
            build(folder, n)
        print(f"{'input -> output':<34}" + "".join(f"{f'{n} frames':>12}" for n in args.frames))
        for label, src, dst, options in CASES:
            if args.rows not in label:
                continue
            row = [peak_mb([*QUANTIZE, "reduce", str(folder / f"pan{n}{src}"), *options,
                            "-o", str(folder / f"out{dst}"), "--force"])
                   for n in args.frames]
            print(f"{label:<34}" + "".join(f"{mb:>9.0f} MB" for mb in row), flush=True)
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
