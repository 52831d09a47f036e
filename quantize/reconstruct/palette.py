"""Palette images: palette order, dithering, the indexed PIL image.

- ``palette_order`` gives the deterministic order of a fitted palette: most
  pixels first, then darker first, then by colour code;
- ``dither_indices`` maps an image onto a palette with Floyd-Steinberg error
  diffusion (Pillow's C ditherer);
- ``indexed_image`` builds the mode "P" PIL image (with a transparent entry).

Palette files are read and written by :mod:`quantize.palette_files`; its
functions are re-exported here for existing callers.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from .._kernels import pack_rgb, srgb_to_lab
from ..palette_files import PALETTE_FORMATS, check_palette_path, read_palette, write_palette

__all__ = ["PALETTE_FORMATS", "check_palette_path", "dither_indices", "indexed_image",
           "palette_order", "read_palette", "write_palette"]



# --------------------------------------------------------------------------
# Mapping colours to entries
# --------------------------------------------------------------------------


def palette_order(palette: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Permutation that sorts entries by weight (largest first), then lightness, then code.

    ``palette`` is (k, 3) uint8 and ``weights`` (k,) the pixels of each entry.

    >>> palette_order(np.array([[255, 255, 255], [0, 0, 0], [9, 9, 9]], np.uint8),
    ...               np.array([5, 5, 7])).tolist()
    [2, 1, 0]
    """
    lightness = srgb_to_lab(palette)[:, 0]
    code = pack_rgb(palette)
    return np.lexsort((code, lightness, -np.asarray(weights, dtype=np.float64)))


def dither_indices(rgb: np.ndarray, palette: np.ndarray) -> np.ndarray:
    """Map ``(H, W, 3)`` uint8 pixels onto ``(k, 3)`` uint8 ``palette`` with Floyd-Steinberg.

    Returns ``(H, W)`` uint8 indices into ``palette`` (k <= 256). Uses Pillow's
    error diffusion, which works in RGB.
    """
    holder = Image.new("P", (1, 1))
    holder.putpalette(np.ascontiguousarray(palette, dtype=np.uint8).tobytes(), "RGB")
    image = Image.fromarray(np.ascontiguousarray(rgb))
    out = image.quantize(palette=holder, dither=Image.Dither.FLOYDSTEINBERG)
    return np.array(out, dtype=np.uint8)  # a writable copy


def indexed_image(indices: np.ndarray, palette: np.ndarray,
                  transparent_index: int | None = None) -> Image.Image:
    """Mode "P" image of ``(H, W)`` indices into ``(k, 3)`` uint8 ``palette`` (k <= 256).

    With ``transparent_index``, that entry is marked fully transparent.
    """
    if palette.shape[0] > 256:
        raise ValueError(f"an indexed image holds at most 256 palette entries, "
                         f"got {palette.shape[0]}")
    image = Image.fromarray(np.ascontiguousarray(indices, dtype=np.uint8), mode="P")
    image.putpalette(np.ascontiguousarray(palette, dtype=np.uint8).tobytes(), "RGB")
    if transparent_index is not None:
        image.info["transparency"] = int(transparent_index)
    return image
