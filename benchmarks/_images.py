"""The synthetic photo the benchmarks run on, built the same way every time.

``benchmark_photo(megapixels)`` tiles four photographs from ``skimage.data``
(astronaut, coffee, chelsea, rocket) in a 2 x 2 mosaic at a 4:3 aspect ratio,
each upscaled bicubically with Pillow, then adds mild seeded Gaussian noise
(sigma 2 grey levels). At 12 MP (4000 x 3000) the result has well over a
million distinct colours, like a real camera photo; at 3 and 48 MP it has the
same content at another scale, so timings across sizes compare like with like.

For the file-to-file benchmarks there are also the seven ordinary web-sized
photos (``sample_photos``: scikit-learn's two bundled JPEGs and five
scikit-image photos, 0.14-0.37 MP), an RGBA test image (``rgba_disc``: a photo
disc with an anti-aliased edge and a translucent drop shadow on a transparent
background), a set of small RGBA icons (``rgba_icons``: 16-64 px crops of the four
photos with a soft round edge and a tinted drop shadow) and a generated animation
(``pan_zoom_frames``: a slow pan and zoom over a photo with a static logo in one
corner).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter
from skimage import data

__all__ = ["PHOTOS", "SAMPLE_PHOTOS", "benchmark_photo", "pan_zoom_frames", "photo_size",
           "rgba_disc", "rgba_icons", "sample_photos", "save_benchmark_photo"]

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


#: The seven web-sized photos of the file-to-file benchmark, by output name.
SAMPLE_PHOTOS = ("china", "flower", "astronaut", "coffee", "chelsea", "rocket", "motorcycle")


def sample_photos() -> dict[str, np.ndarray]:
    """The seven photos of :data:`SAMPLE_PHOTOS`, each ``(H, W, 3)`` uint8, as shipped.

    ``china`` and ``flower`` are scikit-learn's ``load_sample_image`` JPEGs; the
    others come from ``skimage.data`` (``motorcycle`` is the left image of
    ``stereo_motorcycle``).
    """
    from sklearn.datasets import load_sample_image

    photos = {"china": load_sample_image("china.jpg"),
              "flower": load_sample_image("flower.jpg")}
    for name in ("astronaut", "coffee", "chelsea", "rocket"):
        photos[name] = getattr(data, name)()
    photos["motorcycle"] = data.stereo_motorcycle()[0]
    return {name: np.ascontiguousarray(photos[name][..., :3], dtype=np.uint8)
            for name in SAMPLE_PHOTOS}


def rgba_disc(size: int = 512, *, shadow_offset: int = 14, shadow_blur: float = 9.0,
              shadow_alpha: float = 0.55) -> np.ndarray:
    """A photo disc on a transparent background: ``(size, size, 4)`` uint8, straight alpha.

    The disc (a crop of ``skimage.data.coffee``) has an anti-aliased edge: its
    alpha is the pixel's coverage, estimated from the distance to the circle.
    Behind it, offset down and to the right, lies a black drop shadow whose
    alpha is the disc's mask blurred (Gaussian, ``shadow_blur`` px) times
    ``shadow_alpha``. Everything else is fully transparent, so the image holds
    opaque, semi-transparent (edge and shadow) and transparent pixels.
    """
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) + 0.5
    centre, radius = size * 0.46, size * 0.38
    distance = np.hypot(yy - centre, xx - centre)
    coverage = np.clip(radius - distance + 0.5, 0.0, 1.0)
    mask = Image.fromarray(np.rint(coverage * 255).astype(np.uint8))
    shifted = Image.new("L", mask.size, 0)
    shifted.paste(mask, (shadow_offset, shadow_offset))
    blurred = shifted.filter(ImageFilter.GaussianBlur(shadow_blur))
    shadow = np.asarray(blurred, dtype=np.float32) / 255 * shadow_alpha
    photo = Image.fromarray(data.coffee()).resize((size, size), Image.Resampling.BICUBIC)
    rgb = np.asarray(photo, dtype=np.float32) / 255
    # "disc over shadow" with straight alpha; the shadow's colour is black.
    alpha = coverage + shadow * (1 - coverage)
    premultiplied = rgb * coverage[..., None]
    with np.errstate(invalid="ignore", divide="ignore"):
        straight = np.where(alpha[..., None] > 0, premultiplied / alpha[..., None], 0.0)
    out = np.concatenate([straight, alpha[..., None]], axis=-1)
    return np.clip(np.rint(out * 255), 0, 255).astype(np.uint8)


def rgba_icons(n: int = 64, *, seed: int = 1) -> dict[str, np.ndarray]:
    """``n`` small RGBA icons, each ``(S, S, 4)`` uint8 with straight alpha, by name.

    Each is a random square crop (60-199 px) of one of :data:`PHOTOS` in turn, drawn
    at ``S`` = 16, 24, 32, 48 or 64 px: a disc with a soft edge (about a pixel wide)
    over a dark blue drop shadow (alpha up to 0.55, blurred), rendered 4 x larger and
    averaged down premultiplied, as an icon designer exports one. The same ``n`` and
    ``seed`` always give the same icons; ``n=200`` is the set of 200 icons whose
    figures docs/reduce.md quotes (the first ``n`` of it for fewer).
    """
    rng = np.random.default_rng(seed)
    photos = [getattr(data, name)() for name in PHOTOS]
    icons = {}
    for i in range(n):
        photo = photos[i % len(photos)]
        side = int(rng.integers(60, 200))
        top = int(rng.integers(0, photo.shape[0] - side))
        left = int(rng.integers(0, photo.shape[1] - side))
        size = int(rng.choice([16, 24, 32, 48, 64]))
        icons[f"i{i:03d}_{size}"] = _icon(photo[top:top + side, left:left + side], size)
    return icons


def _icon(crop: np.ndarray, size: int) -> np.ndarray:
    """``crop`` as a round icon of ``size`` px with a soft edge and a drop shadow."""
    from scipy import ndimage

    big = 4 * size
    rgb = np.asarray(Image.fromarray(crop).resize((big, big), Image.Resampling.LANCZOS),
                     dtype=np.float64)
    yy, xx = np.mgrid[0:big, 0:big] + 0.5
    radius, centre = big * 0.40, big * 0.46
    cover = np.clip(radius - np.hypot(yy - centre, xx - centre) + 2, 0, 4) / 4
    shift = centre + big * 0.06
    shadow = np.clip(radius - np.hypot(yy - shift, xx - shift), 0, 1)
    shadow = ndimage.gaussian_filter(shadow, big * 0.04) * 0.55
    alpha = cover + shadow * (1 - cover)
    # premultiplied: the photo over the shadow's dark blue, then averaged 4 x 4 down
    colour = rgb * cover[..., None] + np.array([20.0, 30.0, 70.0]) * (shadow * (1 - cover))[
        ..., None]
    pm = np.dstack([colour, alpha * 255]).reshape(size, 4, size, 4, 4).mean(axis=(1, 3))
    a = pm[..., 3]
    out = np.dstack([pm[..., :3] / np.maximum(a / 255, 1e-6)[..., None], a])
    out = np.clip(np.rint(out), 0, 255).astype(np.uint8)
    out[a < 0.5] = 0
    return out


def pan_zoom_frames(n_frames: int = 60, size: tuple[int, int] = (640, 360),
                    *, zoom: float = 1.35, source: np.ndarray | None = None
                    ) -> list[np.ndarray]:
    """A slow pan and zoom over a photo with a static logo: ``n_frames`` ``(H, W, 3)`` uint8.

    The source, ``(h, w, 3)`` uint8 (default ``skimage.data.astronaut``), is
    upscaled to a square twice the frame width; each frame is a crop
    window that drifts left to right while it narrows by a factor ``zoom``,
    resized to ``size`` (width, height) bicubically. A flat-coloured logo (a
    ring and a bar on a white card) sits unchanged in the top-left corner of
    every frame, as in a screencast or a channel watermark.
    """
    width, height = size
    photo = data.astronaut() if source is None else source
    src = Image.fromarray(photo).resize((2 * width, 2 * width), Image.Resampling.BICUBIC)
    logo = _logo(height // 5)
    frames = []
    for i in range(n_frames):
        t = i / max(n_frames - 1, 1)
        crop_w = src.width * 0.7 / (1 + (zoom - 1) * t)
        crop_h = crop_w * height / width
        left = (src.width - crop_w) * (0.2 + 0.35 * t)
        top = (src.height - crop_h) * (0.3 + 0.2 * t)
        box = (left, top, left + crop_w, top + crop_h)
        frame = src.resize((width, height), Image.Resampling.BICUBIC, box=box)
        frame = np.array(frame)
        frame[8:8 + logo.shape[0], 8:8 + logo.shape[1]] = logo
        frames.append(frame)
    return frames


def _logo(side: int) -> np.ndarray:
    """A flat logo: a red ring and a blue bar on a white card, ``(side, 2 * side, 3)``."""
    yy, xx = np.mgrid[0:side, 0:2 * side]
    logo = np.full((side, 2 * side, 3), 245, dtype=np.uint8)
    r = np.hypot(yy - side / 2, xx - side / 2)
    logo[(r < side * 0.4) & (r > side * 0.25)] = (200, 30, 40)
    logo[(yy > side * 0.35) & (yy < side * 0.65) & (xx > side) & (xx < 1.85 * side)] = (
        30, 60, 170)
    return logo


def _distinct_colors(image: np.ndarray) -> int:
    codes = ((image[..., 0].astype(np.uint32) << 16)
             | (image[..., 1].astype(np.uint32) << 8) | image[..., 2])
    return int(np.count_nonzero(np.bincount(codes.ravel(), minlength=1 << 24)))


if __name__ == "__main__":
    for mp in (3, 12, 48):
        img = benchmark_photo(mp)
        print(f"{mp:>3} MP: {img.shape[1]}x{img.shape[0]}, "
              f"{_distinct_colors(img):,} distinct colours")
