"""The synthetic photo the benchmarks run on, built the same way every time.

``benchmark_photo(megapixels)`` tiles four photographs from ``skimage.data``
(astronaut, coffee, chelsea, rocket) in a 2 x 2 mosaic at a 4:3 aspect ratio,
each upscaled bicubically with Pillow, then adds mild seeded Gaussian noise
(sigma 2 grey levels). At 12 MP (4000 x 3000) the result has well over a
million distinct colours, like a real camera photo; at 3 and 48 MP it has the
same content at another scale, so timings across sizes compare like with like.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from PIL import Image
from skimage import data

__all__ = ["PHOTOS", "benchmark_photo", "photo_size", "save_benchmark_photo"]

#: The ``skimage.data`` photos tiled into the mosaic, in reading order.
PHOTOS = ("astronaut", "coffee", "chelsea", "rocket")
NOISE_SIGMA = 2.0
_ROWS_PER_CHUNK = 512


def photo_size(megapixels: float) -> tuple[int, int]:
    """``(width, height)`` of a 4:3 image with about ``megapixels`` million pixels.

    Both sides are even so the 2 x 2 mosaic tiles exactly; 12 gives (4000, 3000).
    """
    if not megapixels > 0:
        raise ValueError(f"megapixels={megapixels!r} should be > 0")
    width = 2 * round(math.sqrt(megapixels * 1e6 * 4 / 3) / 2)
    height = 2 * round(width * 3 / 4 / 2)
    return width, height


def benchmark_photo(megapixels: float = 12.0, *, seed: int = 0) -> np.ndarray:
    """Build the benchmark photo: ``(H, W, 3)`` uint8, 4:3, about ``megapixels`` MP.

    The same ``megapixels`` and ``seed`` always give the same pixels.
    """
    width, height = photo_size(megapixels)
    tile_w, tile_h = width // 2, height // 2
    out = np.empty((height, width, 3), dtype=np.uint8)
    for i, name in enumerate(PHOTOS):
        tile = Image.fromarray(getattr(data, name)()).convert("RGB")
        tile = tile.resize((tile_w, tile_h), Image.Resampling.BICUBIC)
        r, c = divmod(i, 2)
        out[r * tile_h:(r + 1) * tile_h, c * tile_w:(c + 1) * tile_w] = np.asarray(tile)
    _add_noise(out, np.random.default_rng(seed))
    return out


def _add_noise(image: np.ndarray, rng: np.random.Generator) -> None:
    """Add rounded Gaussian noise in place, a band of rows at a time to bound memory."""
    for start in range(0, image.shape[0], _ROWS_PER_CHUNK):
        band = image[start:start + _ROWS_PER_CHUNK]
        noise = rng.normal(0.0, NOISE_SIGMA, size=band.shape).astype(np.float32)
        noise += band
        np.clip(np.rint(noise, out=noise), 0, 255, out=noise)
        band[...] = noise.astype(np.uint8)


def save_benchmark_photo(path: str | Path, megapixels: float = 12.0, *,
                         seed: int = 0) -> Path:
    """Write the benchmark photo to ``path`` (format from the extension; PNG is lossless).

    Uses PNG ``compress_level=1`` so building the file takes seconds, not minutes.
    """
    path = Path(path)
    image = Image.fromarray(benchmark_photo(megapixels, seed=seed))
    params = {"compress_level": 1} if path.suffix.lower() == ".png" else {}
    image.save(path, **params)
    return path


def _distinct_colors(image: np.ndarray) -> int:
    codes = ((image[..., 0].astype(np.uint32) << 16)
             | (image[..., 1].astype(np.uint32) << 8) | image[..., 2])
    return int(np.count_nonzero(np.bincount(codes.ravel(), minlength=1 << 24)))


if __name__ == "__main__":
    for mp in (3, 12, 48):
        img = benchmark_photo(mp)
        print(f"{mp:>3} MP: {img.shape[1]}x{img.shape[0]}, "
              f"{_distinct_colors(img):,} distinct colours")
