"""Helpers for the animation tests: small animations, and what a viewer sees of one."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageSequence

RED, GREEN, BLUE, WHITE = (220, 30, 30), (30, 170, 40), (20, 40, 210), (245, 245, 240)
CYAN, MAGENTA, YELLOW, BLACK = (0, 200, 210), (200, 0, 190), (240, 220, 0), (10, 10, 10)


def moving_square(n: int = 3, size: int = 16, colors=(RED, GREEN, BLUE, WHITE)) -> list:
    """Frames of a square moving right on a background, four flat colours (RGB arrays)."""
    frames = []
    for i in range(n):
        f = np.empty((size, size, 3), np.uint8)
        f[:] = colors[3]
        f[:, : size // 4] = colors[2]  # a static bar on the left
        f[4:8, 4 + 2 * i: 8 + 2 * i] = colors[i % 2]
        frames.append(f)
    return frames


def save_animation(path, frames, **params):
    images = [Image.fromarray(f) for f in frames]
    images[0].save(path, save_all=True, append_images=images[1:], **params)
    return path


def composited(path) -> list[np.ndarray]:
    with Image.open(path) as im:
        return [np.array(f.convert("RGBA")) for f in ImageSequence.Iterator(im)]


def frame_info(path, key):
    values = []
    with Image.open(path) as im:
        for f in ImageSequence.Iterator(im):
            f.load()  # WebP fills in a frame's duration when it is decoded
            values.append(f.info.get(key))
    return values


def gif_disposals(path):
    with Image.open(path) as im:
        return [f.disposal_method for f in ImageSequence.Iterator(im)]


def same_picture(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal alpha, and equal colour wherever opaque."""
    opaque = a[..., 3] > 0
    return np.array_equal(a[..., 3], b[..., 3]) and np.array_equal(a[opaque, :3], b[opaque, :3])
