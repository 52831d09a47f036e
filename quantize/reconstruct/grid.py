"""Grid palettes: every mix of a few levels per channel (RGB332, RGB565, RGB444, ...).

An LED panel's or a TFT screen's colours are not a list but a product: RGB332 is the
8 red levels by the 8 green by the 4 blue, RGB565 32 by 64 by 32 (65,536 entries). A
palette is a grid when its colours are exactly the product of one set of levels per
channel, at least two each, in any order of entries, all opaque (:func:`grid_of`).

On a grid the nearest entry in RGB is found channel by channel: the squared distance
is a sum of one term per channel, each term depending on that channel's level alone,
so the entry of the three nearest levels is the nearest, and of equally near levels
the lower one gives the entry whose colour sorts first, which is the entry the
general search takes of equally near ones (:func:`~quantize.reduce.fit.tie_order`).
That is three table look-ups a pixel, where the general search compares each colour
with every entry (65,536 of them for RGB565). In Lab, distance is no such sum, and a
grid is searched as any palette is.

Ordered dithering onto a grid is done channel by channel too, as ImageMagick's
``-ordered-dither o8x8,R,G,B`` does with its own levels: a channel's value ``v``
between adjacent levels ``lo`` and ``hi`` takes ``hi`` in the cells of the 8 x 8 Bayer
matrix (:data:`~quantize.reconstruct.ordered.BAYER_8`) whose threshold
``(rank + 1/2) / 64`` is below ``(v - lo) / (hi - lo)``; a value on a level keeps it.
Over a flat area each channel's mean is then its value to within 1/64 of the step
between its levels, so a grey stays grey on average even on RGB332, whose blue levels
are not its red ones: no two entries of that grid mix a grey, and a mix of two (the
``pattern`` rule onto other palettes) tinted grey 131 to a mean (127, 127, 170).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .._kernels import pack_rgb
from .ordered import BAYER_8

__all__ = ["Grid", "grid_of", "grid_nearest", "grid_ordered"]


class Grid(NamedTuple):
    """A grid palette (:func:`grid_of`).

    ``levels`` holds each channel's levels, ascending, as ``(n_c,)`` int64 arrays;
    ``entry`` ``(n_r, n_g, n_b)`` the palette's row of each triple of levels (their
    indices in ``levels``).
    """

    levels: tuple[np.ndarray, np.ndarray, np.ndarray]
    entry: np.ndarray


def grid_of(palette: np.ndarray) -> Grid | None:
    """The grid of a ``(k, 3)`` or ``(k, 4)`` uint8 palette, or None when it is none.

    A grid's colours are exactly the product of one set of at least two levels per
    channel (``k`` is the product of their numbers and no colour repeats), its entries
    in any order, every alpha 255. Prior validation is assumed.

    >>> cube = np.array([[r, g, b] for b in (0, 255) for r in (0, 255) for g in (0, 255)],
    ...                 np.uint8)
    >>> grid = grid_of(cube)
    >>> [level.tolist() for level in grid.levels], int(grid.entry[1, 0, 1])
    ([[0, 255], [0, 255], [0, 255]], 6)
    >>> grid_of(cube[1:]) is None
    True
    """
    pal = np.asarray(palette)
    if pal.ndim != 2 or pal.shape[1] not in (3, 4) or pal.shape[0] < 8:
        return None
    if pal.shape[1] == 4 and not (pal[:, 3] == 255).all():
        return None
    levels, places = [], []
    for c in range(3):
        values, place = np.unique(pal[:, c], return_inverse=True)
        if values.size < 2:
            return None
        levels.append(values.astype(np.int64))
        places.append(place.reshape(-1))
    shape = tuple(level.size for level in levels)
    if int(np.prod(shape)) != pal.shape[0]:
        return None
    if np.unique(pack_rgb(np.ascontiguousarray(pal[:, :3]))).size != pal.shape[0]:
        return None  # k distinct colours of the product of the levels: all of them
    entry = np.empty(shape, np.intp)
    entry[places[0], places[1], places[2]] = np.arange(pal.shape[0])
    return Grid((levels[0], levels[1], levels[2]), entry)


def _nearest_level(levels: np.ndarray) -> np.ndarray:
    """Index ``(256,)`` of the nearest of ``levels`` (ascending) for each value 0..255,
    the lower of two as near.

    >>> _nearest_level(np.array([0, 10]))[[4, 5, 6, 200]].tolist()
    [0, 0, 1, 1]
    """
    values = np.arange(256)
    upper = np.searchsorted(levels, values).clip(1, levels.size - 1)
    lower = upper - 1
    return np.where(values - levels[lower] <= levels[upper] - values, lower, upper)


def grid_nearest(rgb: np.ndarray, grid: Grid) -> np.ndarray:
    """The nearest entry in RGB ``(...)`` of each colour of ``rgb`` ``(..., 3)`` uint8 on a
    ``grid``, channel by channel (see the module's description); of entries as near, the
    one whose colour sorts first.

    >>> grid = grid_of(np.array([[r, g, b] for r in (0, 100) for g in (0, 255)
    ...                          for b in (0, 255)], np.uint8))
    >>> grid_nearest(np.array([[50, 200, 10], [51, 0, 255]], np.uint8), grid).tolist()
    [2, 5]
    """
    at = [_nearest_level(grid.levels[c])[rgb[..., c]] for c in range(3)]
    return grid.entry[at[0], at[1], at[2]]


def _lower_level(levels: np.ndarray) -> np.ndarray:
    """Index ``(256,)`` of the level each value 0..255 mixes up from: the highest of
    ``levels`` (ascending) at or below it, but never the last (0 below the first)."""
    return (np.searchsorted(levels, np.arange(256), side="right") - 1).clip(0, levels.size - 2)


def grid_ordered(rgb: np.ndarray, grid: Grid) -> np.ndarray:
    """Entries ``(H, W)`` of an ``(H, W, 3)`` uint8 image ordered-dithered onto a ``grid``,
    channel by channel (see the module's description), the Bayer matrix tiled from the
    image's top left corner. A value outside a channel's levels takes the nearer end.

    Compared in integers: ``(v - lo) / (hi - lo) > (rank + 1/2) / 64`` is
    ``128 (v - lo) > (2 rank + 1) (hi - lo)``.

    >>> cube = grid_of(np.array([[r, g, b] for r in (0, 255) for g in (0, 255)
    ...                          for b in (0, 255)], np.uint8))
    >>> out = grid_ordered(np.full((8, 8, 3), [64, 128, 192], np.uint8), cube)
    >>> np.bincount(out.ravel(), minlength=8).tolist()
    [16, 16, 0, 16, 0, 0, 0, 16]
    """
    h, w = rgb.shape[:2]
    rank = BAYER_8[np.arange(h) % 8][:, np.arange(w) % 8]
    cut = 2 * rank + 1
    at = []
    for c in range(3):
        levels = grid.levels[c]
        low = _lower_level(levels)[rgb[..., c]]
        lo, step = levels[low], levels[low + 1] - levels[low]
        up = 128 * (rgb[..., c] - lo) > cut * step
        at.append(low + up)
    return grid.entry[at[0], at[1], at[2]]
