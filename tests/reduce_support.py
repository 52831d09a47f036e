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


def translucent_blocks(path):
    """Four 8 x 8 blocks written to ``path``: opaque red, green of alpha 100, blue of
    alpha 200 and a fully transparent white; the (8, 32, 4) array is returned."""
    rgba = np.zeros((8, 32, 4), np.uint8)
    rgba[:, :8] = [240, 0, 0, 255]
    rgba[:, 8:16] = [0, 240, 0, 100]
    rgba[:, 16:24] = [0, 0, 240, 200]
    rgba[:, 24:] = [250, 250, 250, 0]
    Image.fromarray(rgba).save(path)
    return rgba


def gif_blocks(data: bytes) -> dict:
    """A GIF file's blocks as stored: version, global table entries, the labels of its
    extensions, and of each image its interlace flag and LZW minimum code size (the
    image data itself is skipped sub-block by sub-block)."""
    assert data[:3] == b"GIF" and data[-1:] == b";"
    flags = data[10]
    table = 2 << (flags & 7) if flags & 0x80 else 0
    at, extensions, images = 13 + 3 * table, [], []
    while data[at] != 0x3B:
        if data[at] == 0x21:
            extensions.append(data[at + 1])
            at += 2
        else:
            assert data[at] == 0x2C
            image_flags = data[at + 9]
            local = 2 << (image_flags & 7) if image_flags & 0x80 else 0
            at += 10 + 3 * local
            images.append({"interlaced": bool(image_flags & 0x40), "code_size": data[at]})
            at += 1
        while data[at]:  # sub-blocks up to the terminator
            at += data[at] + 1
        at += 1
    return {"version": data[3:6], "table": table, "extensions": extensions, "images": images}
