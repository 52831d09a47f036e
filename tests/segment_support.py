"""Helpers for the segmentation tests: quadrants and steps with known borders; PNGs read back."""

from __future__ import annotations

import importlib.util
import io
import struct
import sys
import zlib
from pathlib import Path
from types import ModuleType

import numpy as np
from PIL import Image


def load_benchmark(name: str) -> ModuleType:
    """The script ``benchmarks/<name>.py``, imported as a module of that name."""
    path = Path(__file__).resolve().parents[1] / "benchmarks" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # where dataclasses look their module up
    spec.loader.exec_module(module)
    return module


QUADRANT_COLORS = [(200, 30, 30), (30, 200, 30), (30, 30, 200), (220, 220, 40)]


def quadrants(rng, shape=(64, 80), noise=10.0):
    """Four flat quadrants plus seeded Gaussian noise, and the true map (raster-numbered 0..3)."""
    h, w = shape
    truth = np.zeros(shape, dtype=np.int32)
    truth[:h // 2, w // 2:] = 1
    truth[h // 2:, :w // 2] = 2
    truth[h // 2:, w // 2:] = 3
    img = np.asarray(QUADRANT_COLORS, dtype=np.float64)[truth]
    img += rng.normal(0, noise, img.shape)
    return np.clip(np.rint(img), 0, 255).astype(np.uint8), truth


def step_image(shape=(40, 64), column=29, left=60, right=180, noise=0.0, rng=None):
    """Two flat halves split after ``column`` (columns 0..column are dark)."""
    img = np.full(shape + (3,), left, dtype=np.float64)
    img[:, column + 1:] = right
    if noise:
        img += rng.normal(0, noise, img.shape)
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def two_textures(shape=(80, 160), seed=0):
    """Two textures of one mean grey side by side: pixels of grey 88 or 168 at random on
    the left half, blocks of 8 x 8 pixels of them on the right."""
    h, w = shape
    rng = np.random.default_rng(seed)
    fine = rng.choice([88, 168], size=(h, w // 2))
    coarse = np.kron(rng.choice([88, 168], size=(h // 8, w // 16)), np.ones((8, 8), int))
    grey = np.concatenate([fine, coarse], axis=1).astype(np.uint8)
    return np.repeat(grey[:, :, None], 3, axis=2)


def read(path):
    with Image.open(path) as im:
        return np.asarray(im)


def png_bytes(img):
    """``img`` saved as PNG, as bytes."""
    buffer = io.BytesIO()
    Image.fromarray(img).save(buffer, format="PNG")
    return buffer.getvalue()


def with_png_size(data, width, height):
    """PNG ``data`` with its header claiming ``width`` x ``height`` (CRC fixed), pixels kept."""
    # Signature (8), IHDR length (4) and type (4), then width and height: bytes 16..24.
    ihdr = bytearray(data[12:29])
    ihdr[4:12] = struct.pack(">II", width, height)
    return data[:12] + bytes(ihdr) + struct.pack(">I", zlib.crc32(ihdr)) + data[33:]
