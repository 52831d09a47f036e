"""Palette images: palette order, dithering, the indexed PIL image.

- ``palette_order`` gives the deterministic order of a fitted palette: most
  pixels first, then darker first, then by colour code;
- ``diffuse_errors`` maps an image onto a palette with Floyd-Steinberg error
  diffusion, damped per pixel, in any feature space; ``local_contrast`` is the
  measure the damping is usually built from;
- ``indexed_image`` builds the mode "P" PIL image (with a transparent entry).

Palette files are read and written by :mod:`quantize.palette_files`; its
functions are re-exported here for existing callers.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from .._kernels import pack_rgb, srgb_to_lab
from ..palette_files import PALETTE_FORMATS, check_palette_path, read_palette, write_palette

__all__ = ["PALETTE_FORMATS", "check_palette_path", "diffuse_errors", "indexed_image",
           "local_contrast", "palette_order", "read_palette", "write_palette"]


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


# Error diffusion: Floyd and Steinberg's weights to the right, below-left, below
# and below-right neighbours.
_FS_RIGHT, _FS_DOWN_LEFT, _FS_DOWN, _FS_DOWN_RIGHT = 7 / 16, 3 / 16, 5 / 16, 1 / 16


def diffuse_errors(features: np.ndarray, entries: np.ndarray,
                   strength: np.ndarray) -> np.ndarray:
    """Map pixels onto palette entries with damped Floyd-Steinberg error diffusion.

    Parameters
    ----------
    features : (H, W, d) ndarray of float32
        Pixels in the space the palette was fitted in.
    entries : (k, d) ndarray of float32
        The palette in the same space.
    strength : (H, W) ndarray of float32
        Share of the error diffused *into* each pixel, 0..1; 0 everywhere gives
        the nearest entry of every pixel, as without dithering.

    Returns
    -------
    (H, W) ndarray of intp
        Entry of every pixel.

    Notes
    -----
    Each pixel's colour plus the error it receives is clipped to the box the
    palette and the pixel's own colour span, so a colour the palette cannot
    reach does not pile up error that then smears across the image. A pixel's error goes to
    neighbours that are all processed later; pixels on the same line
    ``x + 2 y = t`` depend on none of each other, so the image is swept one
    such line at a time, each line in one vectorised step.
    Prior validation is assumed.
    """
    h, w, d = features.shape
    entries = np.ascontiguousarray(entries, dtype=np.float32)
    minus_2e = np.ascontiguousarray(-2.0 * entries.T)
    e_sq = np.einsum("ij,ij->i", entries, entries)
    low, high = entries.min(axis=0), entries.max(axis=0)
    error = np.zeros((h + 1, w + 2, d), dtype=np.float32)  # pixel (y, x) at [y, x + 1]
    out = np.empty((h, w), dtype=np.intp)
    for t in range(w + 2 * (h - 1)):
        ys = np.arange(max(0, (t - w + 2) // 2), min(h - 1, t // 2) + 1)
        xs = t - 2 * ys
        own = features[ys, xs]
        value = own + strength[ys, xs, None] * error[ys, xs + 1]
        np.clip(value, np.minimum(own, low), np.maximum(own, high), out=value)
        idx = np.argmin(value @ minus_2e + e_sq, axis=1)
        out[ys, xs] = idx
        err = value - entries[idx]
        error[ys, xs + 2] += _FS_RIGHT * err
        error[ys + 1, xs] += _FS_DOWN_LEFT * err
        error[ys + 1, xs + 1] += _FS_DOWN * err
        error[ys + 1, xs + 2] += _FS_DOWN_RIGHT * err
    return out


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
    return hi - lo


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
