"""Draw the animation figure of the README: frames before and after colour reduction.

Usage: python docs/figures_animation.py [OUT]  (default: docs/animation_frames.png)

The animation is generated here: a slow pan and zoom over scikit-image's
``coffee`` photo with a flat logo fixed in a corner, 24 frames of 240 x 160.
It is saved as a GIF (Pillow, a 256-colour palette of its own per frame) and
reduced by ``quantize.animation.reduce_animation_file`` to 16 colours, one
palette for all frames. The figure shows four of the frames: the input, the
output as a viewer sees it, and for both the pixels identical to the previous
frame: the static logo stays identical (no flicker), as does much of the
slowly moving picture, which the GIF difference frames then do not store.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageSequence

from quantize.animation import reduce_animation_file

ROOT = Path(__file__).resolve().parent.parent
SIZE = (240, 160)
N_FRAMES = 24
SHOWN = (1, 8, 16, 23)
K = 16
LABEL = 20
GAP = 6


def pan_zoom(n: int = N_FRAMES) -> list[Image.Image]:
    """Frames of a pan and zoom over ``coffee`` with a static logo in the top-left corner."""
    from skimage import data

    photo = Image.fromarray(data.coffee())
    w, h = SIZE
    frames = []
    for i in range(n):
        t = i / (n - 1)
        crop_w = photo.width * 0.6 / (1 + 0.3 * t)
        crop_h = crop_w * h / w
        left = (photo.width - crop_w) * (0.2 + 0.5 * t)
        top = (photo.height - crop_h) * (0.3 + 0.2 * t)
        frame = photo.resize(SIZE, Image.Resampling.BICUBIC,
                             box=(left, top, left + crop_w, top + crop_h))
        draw = ImageDraw.Draw(frame)
        draw.rectangle((6, 6, 54, 30), fill=(245, 245, 240))
        draw.ellipse((10, 10, 26, 26), outline=(200, 30, 40), width=3)
        draw.rectangle((32, 15, 50, 21), fill=(30, 60, 170))
        frames.append(frame)
    return frames


def composited(path: Path) -> list[np.ndarray]:
    """Every frame of an animation as a viewer sees it, RGB."""
    with Image.open(path) as im:
        return [np.array(frame.convert("RGB")) for frame in ImageSequence.Iterator(im)]


def unchanged(frame: np.ndarray, previous: np.ndarray) -> np.ndarray:
    """The frame faded, with the pixels identical to the previous frame in black."""
    out = (frame * 0.3 + 178).astype(np.uint8)
    out[(frame == previous).all(axis=2)] = 0
    return out


def row(images: list[np.ndarray], caption: str) -> Image.Image:
    h, w, _ = images[0].shape
    canvas = Image.new("RGB", (len(images) * (w + GAP) - GAP, LABEL + h), "white")
    ImageDraw.Draw(canvas).text((2, 4), caption, fill="black")
    for i, image in enumerate(images):
        canvas.paste(Image.fromarray(image), (i * (w + GAP), LABEL))
    return canvas


def figure() -> Image.Image:
    with tempfile.TemporaryDirectory() as tmp:
        src, out = Path(tmp) / "pan.gif", Path(tmp) / "pan.k16.gif"
        frames = pan_zoom()
        frames[0].save(src, save_all=True, append_images=frames[1:], duration=60, loop=0)
        record = reduce_animation_file(src, out, n_colors=K, seed=0)
        before, after = composited(src), composited(out)
    rows = [
        row([before[i] for i in SHOWN],
            f"input: {N_FRAMES} frames, a palette per frame, {record['bytes_in']:,} bytes"),
        row([after[i] for i in SHOWN],
            f"{K} colours, one palette: PSNR {record['psnr']:.1f} dB, "
            f"{record['bytes_out']:,} bytes"),
        row([unchanged(before[i], before[i - 1]) for i in SHOWN],
            "input: pixels identical to the previous frame (black)"),
        row([unchanged(after[i], after[i - 1]) for i in SHOWN],
            f"{K} colours: pixels identical to the previous frame (black)"),
    ]
    out_image = Image.new("RGB", (rows[0].width, sum(r.height + GAP for r in rows)), "white")
    y = 0
    for r in rows:
        out_image.paste(r, (0, y))
        y += r.height + GAP
    return out_image


def main(out: Path) -> None:
    figure().save(out, optimize=True)
    print(f"wrote {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "animation_frames.png")
