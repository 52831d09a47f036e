"""Palette images: palette order, dithering, the indexed PIL image.

- ``palette_order`` gives the deterministic order of a fitted palette: most
  pixels first, then darker first, then by colour code;
- ``dither_indices`` maps an image onto a palette with Floyd-Steinberg error
  diffusion of a given strength, damped at edges, in texture and on pixels
  already in the palette; ``diffuse_errors`` is its core (any feature space,
  any per-pixel strength) and ``local_contrast`` the damping's measure;
- ``indexed_image`` builds the mode "P" PIL image (with a transparent entry).

Palette files are read and written by :mod:`quantize.palette_files`; its
functions are re-exported here for existing callers.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PIL import Image

from .._kernels import by_parts, nearest, pack_rgb, srgb_to_lab
from ..colors import features_of
from ..palette_files import PALETTE_FORMATS, check_palette_path, read_palette, write_palette

__all__ = ["PALETTE_FORMATS", "check_palette_path", "diffuse_errors", "dither_indices",
           "indexed_image", "local_contrast", "palette_order", "read_palette", "write_palette"]


# --------------------------------------------------------------------------
# Mapping colours to entries
# --------------------------------------------------------------------------


def palette_order(palette: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Permutation that sorts entries by weight (largest first), then lightness, then code.

    ``palette`` is (k, 3) uint8, or (k, 4) straight RGBA (more opaque first
    among otherwise equal entries), and ``weights`` (k,) the pixels of each entry.

    >>> palette_order(np.array([[255, 255, 255], [0, 0, 0], [9, 9, 9]], np.uint8),
    ...               np.array([5, 5, 7])).tolist()
    [2, 1, 0]
    """
    rgb = np.ascontiguousarray(palette[:, :3])
    lightness = srgb_to_lab(rgb)[:, 0]
    keys = [pack_rgb(rgb), lightness, -np.asarray(weights, dtype=np.float64)]
    if palette.shape[1] == 4:
        keys.insert(1, -palette[:, 3].astype(np.int64))
    return np.lexsort(keys)


# Dithering damps the error diffusion: it fades out as the local contrast (3 x 3
# max - min of the grey level, 0..255) rises from _CONTRAST_FADE to
# _CONTRAST_STOP, and pixels within _EXACT (feature units) of their nearest
# entry take no error. Chosen by blurred PSNR and PNG bytes against pngquant's
# default dithering on photos outside the benchmark set: first four scikit-image
# images (hubble_deep_field, immunohistochemistry, retina, colorwheel), then ten
# BSDS500 train photos (every 20th), where 10 / 40 / 5 gave, medians over the ten,
# 0.972x pngquant's bytes at +0.03 dB blurred PSNR at k=16 and 0.987x at +0.02 dB
# at k=64 (the earlier 6 / 24 / 4: 0.950x at -0.11 dB, 0.975x at -0.25 dB).
_CONTRAST_FADE, _CONTRAST_STOP = 10.0, 40.0
_EXACT = 5.0
_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)


def dither_indices(rgb: np.ndarray, palette: np.ndarray, strength: float = 1.0, *,
                   alpha: np.ndarray | None = None, space: str = "rgb") -> np.ndarray:
    """Map an image onto a palette with damped Floyd-Steinberg error diffusion.

    Parameters
    ----------
    rgb : (H, W, 3) ndarray of uint8
        The pixels.
    palette : (k, 3) or (k, 4) ndarray of uint8
        The entries; a fourth column is straight alpha (then the image is
        matched premultiplied, with ``alpha``).
    strength : float
        Share of the error diffused, 0..1; 0 gives every pixel its nearest entry.
    alpha : (H, W) ndarray of uint8, optional
        Opacity of the pixels (None: opaque).
    space : {"rgb", "lab"}
        Space the error is measured and diffused in (the palette's fitting space).

    Returns
    -------
    (H, W) ndarray of uint8 (uint16 beyond 256 entries)
        Entry of every pixel.

    Notes
    -----
    The error diffused into a pixel is scaled by ``strength``, fading to 0 where
    the local contrast is high (edges and texture hide banding; noise there only
    costs bytes) and on pixels whose colour is already (nearly) an entry, so
    flat areas in a palette colour stay clean. Prior validation is assumed.
    """
    h, w = rgb.shape[:2]
    pal = np.asarray(palette, dtype=np.uint8)
    colors = rgb.reshape(-1, 3)
    if pal.shape[1] == 4:
        a = np.full(h * w, 255, np.uint8) if alpha is None else alpha.ravel()
        colors = np.column_stack([colors, a])
    entries = features_of(pal, space)

    def to_features(pixels: np.ndarray) -> np.ndarray:
        return features_of(pixels, space)

    # The pixels' features are made a block or a line at a time, never for the
    # whole image: at 12 MP they would take 144 MB (192 MB with alpha).
    exact = _near_an_entry(colors, entries, to_features).reshape(h, w)
    scale = _luma_contrast(rgb, alpha)  # then, in place: the fade, times the strength
    np.subtract(_CONTRAST_STOP, scale, out=scale)
    scale /= _CONTRAST_STOP - _CONTRAST_FADE
    np.clip(scale, 0.0, 1.0, out=scale)
    scale[exact] = 0.0
    scale *= float(strength)
    out = diffuse_errors(colors.reshape(h, w, -1), entries, scale, to_features=to_features)
    return out.astype(np.uint8 if pal.shape[0] <= 256 else np.uint16)


# Pixels handled at once by the steps before the diffusion (bounded temporaries).
_BLOCK_PIXELS = 1 << 16


def _blocks(h: int, w: int) -> list[slice]:
    """Bands of whole rows of about ``_BLOCK_PIXELS`` pixels covering ``range(h)``."""
    step = max(1, _BLOCK_PIXELS // max(w, 1))
    return [slice(y, min(y + step, h)) for y in range(0, h, step)]


def _luma_contrast(rgb: np.ndarray, alpha: np.ndarray | None) -> np.ndarray:
    """:func:`local_contrast` of the luma (times the opacity), ``(H, W)`` float32.

    A band of rows at a time, each with a row of its neighbours on either side,
    so that the luma of the whole image never exists at once.
    """
    h, w = rgb.shape[:2]
    out = np.empty((h, w), dtype=np.float32)
    for rows in _blocks(h, w):
        top, bottom = max(rows.start - 1, 0), min(rows.stop + 1, h)
        gray = rgb[top:bottom].astype(np.float32) @ _LUMA
        if alpha is not None:
            gray *= alpha[top:bottom] / np.float32(255.0)
        out[rows] = local_contrast(gray)[rows.start - top:rows.stop - top]
    return out


def _near_an_entry(colors: np.ndarray, entries: np.ndarray,
                   to_features: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """``(n,)`` bool: the pixel's features lie within ``_EXACT`` of its nearest entry."""
    n = colors.shape[0]
    near = np.empty(n, dtype=bool)

    def part(rows: slice) -> None:
        for start in range(rows.start, rows.stop, _BLOCK_PIXELS):
            block = to_features(colors[start:min(start + _BLOCK_PIXELS, rows.stop)])
            off = block - entries[nearest(block, entries)]
            near[start:start + block.shape[0]] = np.einsum("ij,ij->i", off, off) <= _EXACT ** 2

    by_parts(n, part)
    return near


# Error diffusion: Floyd and Steinberg's weights to the right, below-left, below
# and below-right neighbours.
_FS_RIGHT, _FS_DOWN_LEFT, _FS_DOWN, _FS_DOWN_RIGHT = 7 / 16, 3 / 16, 5 / 16, 1 / 16


def diffuse_errors(features: np.ndarray, entries: np.ndarray, strength: np.ndarray, *,
                   to_features: Callable[[np.ndarray], np.ndarray] | None = None
                   ) -> np.ndarray:
    """Map pixels onto palette entries with damped Floyd-Steinberg error diffusion.

    Parameters
    ----------
    features : (H, W, c) ndarray
        Pixels in the space the palette was fitted in (float32), or in any form
        ``to_features`` turns into that space.
    entries : (k, d) ndarray of float32
        The palette in the same space.
    strength : (H, W) ndarray of float32
        Share of the error diffused *into* each pixel, 0..1; 0 everywhere gives
        the nearest entry of every pixel, as without dithering.
    to_features : callable, optional
        ``(m, c) -> (m, d)`` float32, applied to one sweep line of pixels at a
        time (so that the whole image's features never exist at once); default:
        the values as float32.

    Returns
    -------
    (H, W) ndarray of int16 (intp beyond 32,768 entries)
        Entry of every pixel.

    Notes
    -----
    Each pixel's colour plus the error it receives is clipped to the box the
    palette and the pixel's own colour span, so a colour the palette cannot
    reach does not pile up error that then smears across the image. A pixel's error goes to
    neighbours that are all processed later; pixels on the same line
    ``x + 2 y = t`` depend on none of each other, so the image is swept one
    such line at a time, each line in one vectorised step on a strided view.
    Prior validation is assumed.
    """
    h, w, c = features.shape
    d = entries.shape[1]
    convert = to_features or (lambda pixels: pixels.astype(np.float32))
    entries = np.ascontiguousarray(entries, dtype=np.float32)
    minus_2e = np.ascontiguousarray(-2.0 * entries.T)
    e_sq = np.einsum("ij,ij->i", entries, entries)
    low, high = entries.min(axis=0), entries.max(axis=0)
    # Pixel (y, x) lies on line t = x + 2 y, at flat index t + (w - 2) y: a line is
    # a strided slice of the flat arrays. Its error comes from lines t - 1 to
    # t - 3 only, so four lines of error are kept, line t at [t % 4, y].
    flat = np.ascontiguousarray(features).reshape(h * w, c)
    gain = np.ascontiguousarray(strength).reshape(h * w)
    out = np.empty(h * w, dtype=np.intp if entries.shape[0] > 1 << 15 else np.int16)
    error = np.zeros((4, h + 1, d), dtype=np.float32)
    step = w - 2
    for t in range(w + 2 * (h - 1)):
        y0, y1 = max(0, (t - w + 2) // 2), min(h - 1, t // 2) + 1
        here = error[t % 4]
        if y1 <= y0:  # no pixel on this line (one-pixel-wide images)
            here[:] = 0.0
            continue
        start = t + step * y0
        line = (slice(start, start + step * (y1 - y0 - 1) + 1, step) if step > 0
                else start + step * np.arange(y1 - y0))
        own = convert(flat[line])
        value = own + gain[line, None] * here[y0:y1]
        here[:] = 0.0
        np.clip(value, np.minimum(own, low), np.maximum(own, high), out=value)
        idx = np.argmin(value @ minus_2e + e_sq, axis=1)
        out[line] = idx
        err = value - entries[idx]
        error[(t + 1) % 4, y0:y1] += _FS_RIGHT * err
        error[(t + 1) % 4, y0 + 1:y1 + 1] += _FS_DOWN_LEFT * err
        error[(t + 2) % 4, y0 + 1:y1 + 1] += _FS_DOWN * err
        error[(t + 3) % 4, y0 + 1:y1 + 1] += _FS_DOWN_RIGHT * err
    return out.reshape(h, w)


def local_contrast(gray: np.ndarray) -> np.ndarray:
    """Largest minus smallest value of each pixel's 3 x 3 neighbourhood, ``(H, W)`` float32.

    >>> local_contrast(np.array([[0, 0, 0, 9]], np.uint8)).tolist()
    [[0.0, 0.0, 9.0, 9.0]]
    """
    g = np.pad(gray.astype(np.float32), 1, mode="edge")
    h, w = gray.shape
    hi = g[1:-1, 1:-1].copy()
    lo = hi.copy()
    for dy in (0, 1, 2):
        for dx in (0, 1, 2):
            window = g[dy:dy + h, dx:dx + w]
            np.maximum(hi, window, out=hi)
            np.minimum(lo, window, out=lo)
    return np.subtract(hi, lo, out=hi)


def indexed_image(indices: np.ndarray, palette: np.ndarray,
                  transparency: int | bytes | None = None) -> Image.Image:
    """Mode "P" image of ``(H, W)`` indices into ``(k, 3)`` uint8 ``palette`` (k <= 256).

    ``transparency`` is the index of the one fully transparent entry (int),
    or the alpha of the first entries (bytes, one per entry, as in a PNG tRNS
    chunk; entries after them are opaque).
    """
    if palette.shape[0] > 256:
        raise ValueError(f"an indexed image holds at most 256 palette entries, "
                         f"got {palette.shape[0]}")
    image = Image.fromarray(np.ascontiguousarray(indices, dtype=np.uint8), mode="P")
    image.putpalette(np.ascontiguousarray(palette, dtype=np.uint8).tobytes(), "RGB")
    if transparency is not None:
        image.info["transparency"] = (transparency if isinstance(transparency, bytes)
                                      else int(transparency))
    return image
