"""Helpers for the reduce tests: six flat colours, and images written and read back as RGB."""

from __future__ import annotations

import numpy as np
from PIL import Image

COLOURS = np.array([[200, 30, 30], [30, 160, 40], [20, 30, 210], [240, 230, 220],
                    [90, 90, 90], [10, 10, 10]], np.uint8)


def read_rgb(path):
    return np.asarray(Image.open(path).convert("RGB"))


def rgba_input(path):
    rgba = np.zeros((8, 8, 4), np.uint8)
    rgba[..., :3] = COLOURS[np.arange(64) % 6].reshape(8, 8, 3)
    rgba[..., 3] = 255
    rgba[:2, :, 3] = 0
    Image.fromarray(rgba).save(path)
    return rgba
