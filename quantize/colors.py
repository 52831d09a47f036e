"""Distinct colours of an image and their conversion to CIE Lab.

A photo has far fewer distinct colours than pixels, so colour reduction works
on a weighted histogram of its distinct colours instead of on every pixel:

- ``pack_rgb`` / ``unpack_codes`` (24-bit colour codes) and ``srgb_to_lab`` /
  ``lab_to_srgb`` (CIE Lab, D65) are the project's kernels, which check their
  input here (the kernels' tables, indexed by colour, would read a value out of
  0..255 as another colour);
- ``color_histogram`` returns the distinct colours of an image and how many
  pixels have each (fully transparent pixels are left out); ``merge_colors``
  pools repeated colours of a weighted list;
- ``features_of`` gives the clustering features of colours in RGB or Lab,
  premultiplied by alpha for RGBA colours (balanced between black and white:
  ``from_premultiplied``, ``to_premultiplied``); ``premultiply`` and ``lab_of``
  are the conventions for measuring;
- ``ciede2000`` is the CIEDE2000 colour difference of Lab pairs (lists or images,
  checked as the conversions are), and ``mean_ciede2000`` / ``mean_squared_error``
  weighted means, the kernels of :mod:`quantize.metrics` (prior validation
  assumed). They live here, with no SciPy or scikit-image import, so measuring a
  reduction does not pay for loading those; ``nearest_ciede2000``, the entry of a
  palette nearest each colour by CIEDE2000, imports SciPy when called.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any, Literal

import numpy as np

from . import _kernels
from ._kernels import by_parts
from ._kernels import unpack_rgb as unpack_codes
from ._validation import as_array, check_choice

__all__ = ["FEATURES", "LAB_ALPHA_SCALE", "RGB_ALPHA_SCALE", "ciede2000", "code_histogram",
           "color_histogram", "edge_color", "features_of", "from_premultiplied", "lab_of",
           "lab_to_srgb",
           "mean_ciede2000", "mean_squared_error", "merge_colors", "nearest_ciede2000", "on_matte",
           "pack_rgb",
           "premultiply",
           "shown_features", "sorted_runs", "srgb_to_lab", "to_premultiplied", "unpack_codes"]


def color_histogram(rgb: Any, alpha: Any = None) -> tuple[np.ndarray, np.ndarray]:
    """Distinct colours of an image and the number of pixels of each.

    Parameters
    ----------
    rgb : (H, W, 3) or (n, 3) ndarray of uint8
        Pixels.
    alpha : (H, W) or (n,) ndarray of uint8, optional
        Opacity; pixels with ``alpha == 0`` are fully transparent and not counted.

    Returns
    -------
    colors : (m, 3) ndarray of uint8
        The distinct colours, sorted by 24-bit code (red, then green, then blue).
    counts : (m,) ndarray of int64
        Pixels of each colour. ``m`` is 0 when every pixel is transparent.

    Raises
    ------
    TypeError
        If ``rgb`` or ``alpha`` is not uint8.
    ValueError
        If the shapes are wrong or do not match.

    Examples
    --------
    >>> rgb = np.array([[[0, 0, 0], [255, 0, 0], [0, 0, 0]]], dtype=np.uint8)
    >>> colors, counts = color_histogram(rgb)
    >>> colors.tolist(), counts.tolist()
    ([[0, 0, 0], [255, 0, 0]], [2, 1])
    """
    rgb = as_array(rgb, "rgb", "an (H, W, 3) or (n, 3) uint8 array")
    if rgb.dtype != np.uint8:
        raise TypeError(f"rgb should have dtype uint8, got {rgb.dtype}")
    if rgb.ndim not in (2, 3) or rgb.shape[-1] != 3:
        raise ValueError(f"rgb should have shape (H, W, 3) or (n, 3), got {rgb.shape}")
    codes = _kernels.pack_rgb(rgb)
    if alpha is not None:
        alpha = as_array(alpha, "alpha", f"a {rgb.shape[:-1]} uint8 array")
        if alpha.dtype != np.uint8:  # -1 or 0.4 would be counted or not without a word
            raise TypeError(f"alpha should have dtype uint8, got {alpha.dtype}")
        if alpha.shape != rgb.shape[:-1]:
            raise ValueError(f"alpha should have shape {rgb.shape[:-1]}, got {alpha.shape}")
        codes = codes[alpha > 0]
    distinct, counts = code_histogram(codes)
    return unpack_codes(distinct), counts


#: Codes from which :func:`code_histogram` counts into a table of all 2**24 codes
#: (``np.bincount``) instead of sorting them. Medians of 7 on prefixes of the 12 MP
#: benchmark photo: 68 / 90 / 128 ms at 2.1 / 4 / 12 MP, against 63 / 118 / 360 ms
#: for sorting halves of the codes on two threads. The table's 128 MB are freed at
#: once; the undithered 12 MP reduce's peak memory comes later.
_TABLE_MIN_CODES = 1 << 21


def code_histogram(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct 24-bit codes (sorted) and the int64 count of each, from an array of codes.

    >>> distinct, counts = code_histogram(np.array([7, 3, 7, 7], dtype=np.uint32))
    >>> distinct.tolist(), counts.tolist()
    ([3, 7], [1, 3])
    """
    flat = np.ravel(codes)
    if flat.size < _TABLE_MIN_CODES:
        return sorted_runs(np.sort(flat))
    table = np.bincount(flat, minlength=1 << 24)
    distinct = np.flatnonzero(table != 0)  # 22 against 64 ms on the int64 table itself
    return distinct.astype(flat.dtype), table[distinct]


def sorted_runs(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct values of sorted ``values`` and the int64 count of each: what
    ``np.unique(values, return_counts=True)`` gives, without its sorted copy.

    >>> distinct, counts = sorted_runs(np.array([2, 2, 5, 9, 9, 9]))
    >>> distinct.tolist(), counts.tolist()
    ([2, 5, 9], [2, 1, 3])
    """
    if values.size == 0:
        return values, np.zeros(0, dtype=np.int64)
    first = np.empty(values.size, dtype=bool)
    first[0] = True
    np.not_equal(values[1:], values[:-1], out=first[1:])
    starts = np.flatnonzero(first)
    return values[starts], np.diff(np.append(starts, values.size)).astype(np.int64, copy=False)


def merge_colors(colors: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Merge repeated colours of a weighted list; prior validation is assumed.

    ``colors`` is ``(m, 3)`` uint8, or ``(m, 4)`` with straight alpha, and
    ``counts`` ``(m,)``; returns the distinct colours (sorted by 24-bit code,
    or by their four bytes read as one 32-bit number) and the float64 total
    count of each.

    >>> merge_colors(np.array([[9, 9, 9], [0, 0, 0], [9, 9, 9]], np.uint8),
    ...              np.array([1, 2, 3])) [1].tolist()
    [2.0, 4.0]
    """
    with_alpha = colors.shape[1] == 4
    keys = (np.ascontiguousarray(colors).view(np.uint32).ravel() if with_alpha
            else _kernels.pack_rgb(colors))
    # np.unique's codes and inverse, in a fifth of its time (9 M keys: 0.28 against 1.27 s)
    codes, _, rows = _kernels.sorted_code_histogram(keys)
    totals = np.bincount(rows, weights=np.asarray(counts, dtype=np.float64),
                         minlength=codes.size)
    return (codes.view(np.uint8).reshape(-1, 4) if with_alpha else unpack_codes(codes)), totals


# --------------------------------------------------------------------------
# Clustering features, premultiplied alpha
# --------------------------------------------------------------------------


def _rgb_features(colors: np.ndarray) -> np.ndarray:
    return colors.astype(np.float32)


#: Clustering features of ``(m, 3)`` uint8 colours, by space name.
FEATURES: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "rgb": _rgb_features,
    "lab": _kernels.srgb_to_lab,
}


#: In Lab, transparency (255 - alpha) is scaled to the range of lightness (0..100): white
#: adds that much lightness to a premultiplied colour (see :func:`from_premultiplied`).
LAB_ALPHA_SCALE = 100.0 / 255.0
#: In RGB, transparency (255 - alpha) is weighted so that the features' distance is the
#: mean of the squared errors on black and on white (see :func:`from_premultiplied`).
RGB_ALPHA_SCALE = math.sqrt(0.75)


def features_of(colors: np.ndarray, space: str) -> np.ndarray:
    """Clustering features ``(m, d)`` float32 of ``(m, 3)`` or straight-alpha ``(m, 4)`` colours.

    Colours with alpha are clustered premultiplied, the colour features scaled by
    ``alpha / 255``, so a faint pixel's colour weighs as little as it shows, with their
    alpha (see :func:`from_premultiplied`). ``space`` is "rgb" or "lab". The squared
    distance of two colours' features is the mean of their squared differences
    composited on black and on white (in Lab, composited in Lab), so a palette fitted on
    them serves either page, and an opaque colour's features are its own, then 0:

    >>> colors = np.array([[0, 0, 0, 128], [10, 20, 30, 255]], np.uint8)
    >>> features_of(colors, "rgb").astype(float).round(2).tolist()
    [[63.5, 63.5, 63.5, 109.99], [10.0, 20.0, 30.0, 0.0]]
    >>> features_of(colors[:1], "lab").astype(float).round(2).tolist()
    [[24.9, 0.0, 0.0, 24.9]]
    """
    colors = _checked_colors(colors, "colors", alpha=True)
    space = check_choice(space, "space", FEATURES)
    if colors.shape[1] == 4 and space == "rgb" and colors.shape[0] >= _TABLE_FROM:
        return _table_features(colors)
    return premultiplied_features(colors, space)


def premultiplied_features(colors: np.ndarray, space: str) -> np.ndarray:
    """:func:`features_of`, computed from the channels (``(m, 3)`` colours: their features
    in ``space`` alone); prior validation is assumed. Every value is made from its own
    colour channel and alpha alone, so :func:`_table_features`, which looks them up in
    a table this made, gives the same values to the bit.

    >>> colors = np.array([[0, 0, 0, 128], [10, 20, 30, 255]], np.uint8)
    >>> premultiplied_features(colors, "rgb").astype(float).round(2).tolist()
    [[63.5, 63.5, 63.5, 109.99], [10.0, 20.0, 30.0, 0.0]]
    """
    rgb = FEATURES[space](np.ascontiguousarray(colors[:, :3]))
    if colors.shape[1] == 3:
        return rgb
    a = colors[:, 3].astype(np.float32)
    out = np.empty((colors.shape[0], 4), dtype=np.float32)
    np.multiply(rgb, (a / 255.0)[:, None], out=out[:, :3])
    out[:, 3] = a
    return from_premultiplied(out, space, out=out)


# From this many RGBA colours at once, features_of in RGB reads their features from a
# table of every (channel, alpha) pair rather than computing them: 0.7 against 6.6 ms for
# 65,536 colours (the table, made once a process by premultiplied_features, takes as long
# as computing them). Dithering an image with alpha makes the features of every pixel,
# twice: on a 512 x 512 photo with a soft round alpha that took 50 of the 250 ms of error
# diffusion. Lab's features mix the three channels, and are computed.
_TABLE_FROM = 1 << 15


@functools.cache
def _feature_table() -> tuple[np.ndarray, np.ndarray]:
    """The RGB features of a colour channel ``c`` at alpha ``a`` (at ``a * 256 + c``,
    ``(65536,)`` float32) and of alpha ``a`` (``(256,)`` float32), by
    :func:`premultiplied_features` itself."""
    levels = np.arange(256, dtype=np.uint8)
    pairs = np.empty((1 << 16, 4), np.uint8)
    pairs[:, :3] = np.tile(levels, 256)[:, None]
    pairs[:, 3] = np.repeat(levels, 256)
    table = premultiplied_features(pairs, "rgb")
    return np.ascontiguousarray(table[:, 0]), np.ascontiguousarray(table[::256, 3])


def _table_features(colors: np.ndarray) -> np.ndarray:
    """:func:`premultiplied_features` of ``(m, 4)`` uint8 ``colors`` in RGB, read from
    :func:`_feature_table`: the same values."""
    channel, alpha = _feature_table()
    out = np.empty((colors.shape[0], 4), np.float32)
    at = colors[:, 3].astype(np.intp)
    np.take(alpha, at, out=out[:, 3])
    at <<= 8
    for j in range(3):
        np.take(channel, at + colors[:, j], out=out[:, j])
    return out


def from_premultiplied(values: np.ndarray, space: str, *,
                       out: np.ndarray | None = None) -> np.ndarray:
    """Clustering features ``(m, 4)`` of premultiplied ``values`` ``(m, 4)``: a colour's
    features in ``space`` times ``alpha / 255``, then alpha (0..255); into ``out`` when
    given (``values`` itself may be). The inverse of :func:`to_premultiplied`.

    In RGB, a premultiplied colour ``p`` shows as ``p`` on black and as ``p + t`` on
    white, ``t = 255 - a`` in every channel, so the sum of the squared errors ``e`` on
    both is ``2 |e_p + e_t / 2|^2 + 1.5 e_t^2``: the features are ``p + t / 2``, the
    mean of what shows on black and on white, and ``t * sqrt(0.75)``, whose squared
    distance is that sum's half (an opaque colour's are its own and 0). Fitted on the
    premultiplied colour and alpha, that is the error on black and alpha's, palettes
    were 1.8-1.9 dB behind pngquant's on white on the median of four photos under an
    alpha fade, and 1.5-1.7 dB ahead on black (``benchmarks/bench_alpha_backgrounds.py``).
    In Lab alike, composited in Lab: premultiplied Lab ``p`` shows as ``p`` on black
    and, white being lightness 100, as ``p`` lighter by ``u = t * 100 / 255`` on white,
    so the features are ``p`` lighter by ``u / 2``, and ``u / 2``. Fitted on the
    premultiplied Lab and alpha scaled to 0..100, the error on black and alpha's,
    palettes of 20 icons with soft shadows and translucent overlays were 0.8-1.1 dB
    behind pngquant's on grey 128 and 0.9-1.3 dB on white (medians at k = 16 / 64 /
    256), and are -0.4 to +0.3 dB and 0.5-1.0 dB behind.

    >>> from_premultiplied(np.array([[10.0, 20.0, 30.0, 55.0]]), "rgb").round(2).tolist()
    [[110.0, 120.0, 130.0, 173.21]]
    """
    out = values.copy() if out is None else out
    if out is not values:
        out[...] = values
    np.subtract(255.0, out[:, 3], out=out[:, 3])
    if space == "lab":  # white adds t * 100 / 255 to lightness alone
        out[:, 3] *= 0.5 * LAB_ALPHA_SCALE
        out[:, 0] += out[:, 3]
    else:
        out[:, :3] += 0.5 * out[:, 3:]
        out[:, 3] *= RGB_ALPHA_SCALE
    return out


def to_premultiplied(features: np.ndarray, space: str) -> np.ndarray:
    """Premultiplied values ``(m, 4)`` of clustering features ``(m, 4)`` of colours with
    alpha in ``space``: the colour's features in ``space`` times ``alpha / 255``, then
    alpha (0..255), of the features' dtype. The inverse of :func:`from_premultiplied`,
    so cluster centres, means of features, map back exactly.

    >>> to_premultiplied(np.array([[110.0, 120.0, 130.0, 173.205]]), "rgb").round(2).tolist()
    [[10.0, 20.0, 30.0, 55.0]]
    """
    out = features.copy()
    if space == "lab":
        out[:, 0] -= out[:, 3]
        out[:, 3] /= 0.5 * LAB_ALPHA_SCALE
    else:
        out[:, 3] /= RGB_ALPHA_SCALE
        out[:, :3] -= 0.5 * out[:, 3:]
    np.subtract(255.0, out[:, 3], out=out[:, 3])
    return out


def shown_features(colors: np.ndarray, space: str) -> np.ndarray:
    """Features ``(m, 7)`` float32 of straight-alpha ``(m, 4)`` uint8 colours as they show:
    composited over black, then over white (in RGB exactly, in Lab rounded to 8 bits
    first), then alpha (0..255 in RGB, 0..100 in Lab, as :func:`features_of` scales it in
    Lab).

    An opaque colour's two composites are its own features, as :func:`features_of`'s
    colour features in RGB. For :func:`quantize._kernels.shown_distance`.

    >>> shown_features(np.array([[255, 255, 255, 128]], np.uint8), "rgb").tolist()
    [[128.0, 128.0, 128.0, 255.0, 255.0, 255.0, 128.0]]
    """
    colors = _checked_colors(colors, "colors", alpha=True)
    a = colors[:, 3:].astype(np.float64) / 255.0
    black = colors[:, :3] * a
    white = black + 255.0 * (1.0 - a)
    out = np.empty((colors.shape[0], 7), np.float32)
    if space == "lab":
        for part, shown in ((slice(0, 3), black), (slice(3, 6), white)):
            out[:, part] = _kernels.srgb_to_lab(np.clip(np.rint(shown), 0, 255).astype(np.uint8))
        out[:, 6] = colors[:, 3] * LAB_ALPHA_SCALE
    else:
        out[:, :3], out[:, 3:6], out[:, 6] = black, white, colors[:, 3]
    return out


def premultiply(colors: np.ndarray) -> np.ndarray:
    """Premultiplied float64 copy of straight-alpha ``(m, 4)`` uint8 colours (``(m, 3)``: as is)."""
    colors = _checked_colors(colors, "colors", alpha=True)
    out = colors.astype(np.float64)
    if colors.shape[1] == 4:
        out[:, :3] *= out[:, 3:] / 255.0
    return out


def lab_of(colors: np.ndarray, over: Literal["black", "white"] = "black") -> np.ndarray:
    """CIE Lab ``(m, 3)`` float32 of ``(m, 3)`` or straight-alpha ``(m, 4)`` uint8 colours;
    with alpha, of the colour composited on black, or on white with ``over="white"``.

    >>> half_black = np.array([[0, 0, 0, 128]], np.uint8)
    >>> [round(float(lab_of(half_black, over)[0, 0]), 1) for over in ("black", "white")]
    [0.0, 53.2]
    """
    colors = _checked_colors(colors, "colors", alpha=True)
    over = check_choice(over, "over", ("black", "white"))
    if colors.shape[1] == 3:
        return _kernels.srgb_to_lab(colors)
    return _kernels.srgb_to_lab(_shown_on(colors, _BACKGROUNDS[over]))


#: The grey level of each background colours with alpha are composited on.
_BACKGROUNDS = {"black": 0.0, "white": 255.0}


def on_matte(rgba: Any, matte: tuple[int, int, int]) -> np.ndarray:
    """``rgba`` with its translucent pixels (alpha 1 to 254) composited onto the opaque
    colour ``matte`` and made opaque, as an image shown on that background looks (a
    web page's or an e-mail's): Photoshop's "Matte", ImageMagick's
    ``-background C -alpha remove`` but for fully transparent pixels, which stay so.
    Opaque pixels are unchanged. Prior validation of ``matte`` is assumed
    (:func:`~quantize._validation.check_color`).

    Parameters
    ----------
    rgba : (..., 4) ndarray of uint8
        Straight (not premultiplied) alpha. Not modified.
    matte : (r, g, b)
        Integers 0..255.

    Returns
    -------
    (..., 4) ndarray of uint8
        A new array; the composited colours rounded.

    Examples
    --------
    >>> px = np.array([[[200, 100, 0, 128], [9, 9, 9, 0], [1, 2, 3, 255]]], np.uint8)
    >>> on_matte(px, (255, 255, 255)).tolist()
    [[[227, 177, 127, 255], [9, 9, 9, 0], [1, 2, 3, 255]]]
    """
    out = np.array(rgba, np.uint8, copy=True)
    alpha = out[..., 3]
    part = (alpha > 0) & (alpha < 255)
    if part.any():
        out[part, :3] = _shown_on(out[part], np.asarray(matte, np.float64))
        out[part, 3] = 255
    return out


def edge_color(rgb: np.ndarray, alpha: np.ndarray) -> tuple[int, int, int]:
    """The mean colour of the visible pixels (alpha above 0) next to a fully transparent
    one (sharing a side), each weighted by its alpha, rounded: the colour "alpha
    bleeding" gives transparent pixels, which a renderer that filters textures without
    premultiplying blends into the edge. Black when no such pixel is there.

    Parameters
    ----------
    rgb : (H, W, 3) ndarray of uint8
    alpha : (H, W) ndarray of uint8
        Not modified, either.

    Examples
    --------
    >>> rgb = np.array([[[9, 9, 9], [200, 100, 0], [0, 0, 100]]], np.uint8)
    >>> edge_color(rgb, np.array([[0, 255, 255]], np.uint8))
    (200, 100, 0)
    >>> edge_color(rgb, np.array([[0, 64, 0]], np.uint8))
    (200, 100, 0)
    """
    clear = alpha == 0
    near = np.zeros_like(clear)
    near[1:] |= clear[:-1]
    near[:-1] |= clear[1:]
    near[:, 1:] |= clear[:, :-1]
    near[:, :-1] |= clear[:, 1:]
    edge = near & ~clear
    weights = alpha[edge].astype(np.float64)
    if not weights.size:
        return 0, 0, 0
    mean = weights @ rgb[edge].astype(np.float64) / weights.sum()
    r, g, b = (int(v) for v in np.rint(mean))
    return r, g, b


def _shown_on(colors: np.ndarray, background: float | np.ndarray) -> np.ndarray:
    """``(m, 3)`` uint8: straight-alpha ``(m, 4)`` uint8 colours composited on the grey
    ``background`` (0 black, 255 white), or on the colour ``(3,)`` float ``background``,
    rounded; chunk by chunk, as the float64 copies of the colours of a 12 MP image with
    soft alpha, all at once, took 0.8 GB."""
    shown = np.empty((colors.shape[0], 3), np.uint8)
    for start in range(0, colors.shape[0], _SQ_CHUNK):
        part = slice(start, start + _SQ_CHUNK)
        shown[part] = np.clip(np.rint(_composited(colors[part], background)), 0, 255)
    return shown


def _composited(colors: np.ndarray, background: float | np.ndarray) -> np.ndarray:
    """``(m, 3)`` float64, not rounded: straight-alpha ``(m, 4)`` uint8 colours composited
    on the grey ``background`` (0 black, 255 white), or on the colour ``(3,)`` float
    ``background``."""
    seen = premultiply(colors)
    if np.any(background):
        seen[:, :3] += background * (1.0 - seen[:, 3:] / 255.0)
    return seen[:, :3]


def srgb_to_lab(colors: Any) -> np.ndarray:
    """CIE Lab ``(..., 3)`` float32 of ``(..., 3)`` uint8 sRGB colours.

    Raises
    ------
    TypeError
        If ``colors`` is not uint8 (floats in [0, 1]: pass
        ``np.rint(colors * 255).astype(np.uint8)``).
    ValueError
        If its last axis is not 3.

    >>> lab = srgb_to_lab(np.array([[255, 255, 255], [0, 0, 0], [255, 0, 0]], dtype=np.uint8))
    >>> lab.astype(float).round(1).tolist()
    [[100.0, -0.0, 0.0], [0.0, 0.0, 0.0], [53.2, 80.1, 67.2]]
    """
    return _kernels.srgb_to_lab(_checked_colors(colors, "colors", alpha=False, flat=False))


def pack_rgb(rgb: Any) -> np.ndarray:
    """24-bit codes ``r << 16 | g << 8 | b`` of ``(..., 3)`` uint8 colours, as uint32 ``(...)``.

    Raises ``TypeError`` if ``rgb`` is not uint8, ``ValueError`` if its last axis is not 3.

    >>> pack_rgb(np.array([[255, 128, 1]], dtype=np.uint8)).tolist() == [0xFF8001]
    True
    """
    return _kernels.pack_rgb(_checked_colors(rgb, "rgb", alpha=False, flat=False))


def lab_to_srgb(lab: Any) -> np.ndarray:
    """uint8 sRGB ``(..., 3)`` of CIE Lab colours, clipped to the sRGB gamut and rounded.

    The inverse of :func:`srgb_to_lab` (same white point and constants).

    Raises
    ------
    TypeError
        If ``lab`` is not numeric.
    ValueError
        If its last axis is not 3, or it holds NaN or infinite values.

    >>> lab_to_srgb(np.array([[100.0, 0.0, 0.0], [53.24, 80.09, 67.2]])).tolist()
    [[255, 255, 255], [255, 0, 0]]
    """
    return _kernels.lab_to_srgb(_checked_lab(lab, "lab"))


def _checked_lab(lab: Any, name: str) -> np.ndarray:
    """``lab`` as a real ``(..., 3)`` array of finite CIE Lab colours, else a TypeError or
    ValueError naming ``name``."""
    arr = as_array(lab, name, "a (..., 3) array of CIE Lab colours")
    if arr.dtype.kind not in "uif":
        raise TypeError(f"{name} should be a real numeric array of CIE Lab colours, got dtype "
                        f"{arr.dtype}")
    if arr.ndim == 0 or arr.shape[-1] != 3:
        raise ValueError(f"{name} should have shape (..., 3), got {arr.shape}")
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        raise ValueError(f"{name} contains NaN or infinite values; expected finite numbers")
    return arr


def _checked_colors(colors: Any, name: str, *, alpha: bool, flat: bool = True) -> np.ndarray:
    """``colors`` as a uint8 array of shape ``(m, 3)`` (``(m, 4)`` too with ``alpha``), or
    ``(..., 3)`` when not ``flat``; else a TypeError or ValueError naming ``name``.

    Only the dtype and shape are looked at, so the checks cost nothing on large inputs.
    """
    shapes = ("(m, 3) or (m, 4)" if alpha else "(m, 3)") if flat else "(..., 3)"
    arr = as_array(colors, name, f"a {shapes} uint8 array")
    if arr.dtype != np.uint8:
        hint = "; for floats in [0, 1], pass np.rint(x * 255).astype(np.uint8)" \
            if arr.dtype.kind == "f" else ""
        raise TypeError(f"{name} should have dtype uint8 (values 0..255), got "
                        f"{arr.dtype}{hint}")
    channels = (3, 4) if alpha else (3,)
    if (arr.ndim != 2 if flat else arr.ndim == 0) or arr.shape[-1] not in channels:
        raise ValueError(f"{name} should have shape {shapes}, got {arr.shape}")
    return arr


# --------------------------------------------------------------------------
# CIEDE2000 colour difference
# --------------------------------------------------------------------------

_25_POW_7 = 25.0 ** 7
_TWO_PI = np.float32(2 * np.pi)
# Pairs per chunk: keeps the two dozen temporaries of the formula in cache.
_DE_CHUNK = 1 << 14


def ciede2000(lab1: Any, lab2: Any) -> np.ndarray:
    """CIEDE2000 colour difference of CIE Lab colours, pair by pair, as float32.

    Sharma, Wu and Dalal's formulation (2005) with kL = kC = kH = 1, as
    ``skimage.color.deltaE_ciede2000`` computes it (a test checks they agree),
    evaluated chunk by chunk in float32 (many pairs split between threads, see
    :func:`quantize._kernels.by_parts`).

    Parameters
    ----------
    lab1, lab2 : (..., 3) array_like
        Finite CIE Lab colours of one shape, such as two ``(n, 3)`` lists or two
        ``(H, W, 3)`` images, or shapes that broadcast together (one colour ``(3,)``
        against many).

    Returns
    -------
    (...) ndarray of float32
        The difference of each pair: ``(n,)`` for ``(n, 3)`` lists, ``(H, W)`` for images.

    Raises
    ------
    TypeError
        If either is not a real numeric array.
    ValueError
        If either's last axis is not 3, it holds NaN or infinite values, or the shapes
        do not broadcast together.

    >>> d = ciede2000(np.array([[50.0, 2.6772, -79.7751]]), np.array([[50.0, 0.0, -82.7485]]))
    >>> round(float(d[0]), 4)  # the first pair of Sharma et al.'s test data
    2.0425
    """
    lab1, lab2 = _checked_lab(lab1, "lab1"), _checked_lab(lab2, "lab2")
    try:
        shape = np.broadcast_shapes(lab1.shape, lab2.shape)
    except ValueError:
        raise ValueError(f"lab1 and lab2 should have the same shape (or shapes that "
                         f"broadcast together), got {lab1.shape} and {lab2.shape}") from None
    pairs = [np.broadcast_to(lab, shape).reshape(-1, 3) for lab in (lab1, lab2)]
    return _ciede2000(*pairs).reshape(shape[:-1])


def _ciede2000(lab1: np.ndarray, lab2: np.ndarray) -> np.ndarray:
    """:func:`ciede2000` of ``(n, 3)`` Lab pairs, ``(n,)``; prior validation is assumed."""
    lab1 = np.asarray(lab1, dtype=np.float32)
    lab2 = np.asarray(lab2, dtype=np.float32)
    out = np.empty(lab1.shape[0], dtype=np.float32)

    def part(rows: slice) -> None:
        for start in range(rows.start, rows.stop, _DE_CHUNK):
            stop = min(start + _DE_CHUNK, rows.stop)
            out[start:stop] = _ciede2000_chunk(lab1[start:stop], lab2[start:stop])

    by_parts(lab1.shape[0], part)
    return out


def _ciede2000_chunk(lab1: np.ndarray, lab2: np.ndarray) -> np.ndarray:
    L1, a1, b1 = lab1[:, 0], lab1[:, 1], lab1[:, 2]
    L2, a2, b2 = lab2[:, 0], lab2[:, 1], lab2[:, 2]
    # a* is stretched for near-neutral colours, then chroma and hue are recomputed.
    c7 = _pow7(0.5 * (_norm(a1, b1) + _norm(a2, b2)))
    stretch = 1.5 - 0.5 * np.sqrt(c7 / (c7 + _25_POW_7))
    a1s, a2s = a1 * stretch, a2 * stretch
    C1, C2 = _norm(a1s, b1), _norm(a2s, b2)
    h1, h2 = _hue(b1, a1s), _hue(b2, a2s)
    # Hue difference and mean hue, the short way round the circle.
    CC = C1 * C2
    neutral = CC == 0.0
    h_diff, h_sum = h2 - h1, h1 + h2
    dh = h_diff - 2 * np.pi * np.sign(h_diff) * (np.abs(h_diff) > np.pi)
    dh[neutral] = 0.0
    far = (np.abs(h_diff) > np.pi) & ~neutral
    turn = np.where(h_sum < 2 * np.pi, _TWO_PI, -_TWO_PI)
    h_mean = np.where(neutral, h_sum, 0.5 * (h_sum + turn * far))
    # Weighting functions.
    L_mean, C_mean = 0.5 * (L1 + L2), 0.5 * (C1 + C2)
    t = (L_mean - 50.0) ** 2
    SL = 1.0 + 0.015 * t / np.sqrt(20.0 + t)
    SC = 1.0 + 0.045 * C_mean
    T = (1.0 - 0.17 * np.cos(h_mean - math.radians(30.0)) + 0.24 * np.cos(2 * h_mean)
         + 0.32 * np.cos(3 * h_mean + math.radians(6.0))
         - 0.20 * np.cos(4 * h_mean - math.radians(63.0)))
    SH = 1.0 + 0.015 * C_mean * T
    cm7 = _pow7(C_mean)
    RC = 2.0 * np.sqrt(cm7 / (cm7 + _25_POW_7))
    d_theta = math.radians(30.0) * np.exp(-(((np.rad2deg(h_mean) - 275.0) / 25.0) ** 2))
    # The terms.
    L_term = (L2 - L1) / SL
    C_term = (C2 - C1) / SC
    H_term = 2.0 * np.sqrt(CC) * np.sin(0.5 * dh) / SH
    de2 = L_term ** 2 + C_term ** 2 + H_term ** 2 - np.sin(2 * d_theta) * RC * C_term * H_term
    return np.sqrt(np.maximum(de2, 0.0))


# The entries compared by CIEDE2000 for each colour: its Lab-nearest few. Mapping the
# distinct colours of six photos (skimage coffee, chelsea, astronaut, rocket; sklearn
# china, flower) onto a 40- and a 450-entry palette of well-spread colours, 8 left
# 0.07 % to 2.4 % of the pixels off their CIEDE2000-nearest entry (searched among all
# 40, or the 64 Lab-nearest of the 450; mean difference at most 0.03 higher), 16 at
# most 1.0 % (0.01 higher), most at none.
CIEDE2000_SHORTLIST = 16
# Colours per block: bounds the shortlists, 16 indices a colour.
_NEAREST_BLOCK = 1 << 16


def nearest_ciede2000(lab: np.ndarray, entries: np.ndarray,
                      shortlist: int = CIEDE2000_SHORTLIST) -> np.ndarray:
    """Index ``(n,)`` of the entry of ``entries`` ``(k, 3)`` nearest each colour of ``lab``
    ``(n, 3)`` by CIEDE2000 (:func:`ciede2000`), both CIE Lab, among its ``shortlist``
    nearest by Lab distance (:func:`~quantize._kernels.nearest_few`); of entries as near,
    the lowest index. Prior validation is assumed.

    Nearest in Lab, a pale pink (230, 190, 200) takes the light grey (200, 200, 200);
    by CIEDE2000, which weighs a difference of chroma less the more saturated the
    colours, the pink (230, 150, 170):

    >>> rgb = np.array([[230, 190, 200], [200, 200, 200], [230, 150, 170]], np.uint8)
    >>> lab = srgb_to_lab(rgb)
    >>> int(nearest_ciede2000(lab[:1], lab[1:])[0])
    1
    """
    out = np.empty(lab.shape[0], dtype=np.intp)
    for start in range(0, lab.shape[0], _NEAREST_BLOCK):
        block = lab[start:start + _NEAREST_BLOCK]
        few = _kernels.nearest_few(block, entries, shortlist)
        taken = out[start:start + block.shape[0]]
        taken[:] = few[:, 0]
        least = _ciede2000(block, entries[taken])
        for column in few.T[1:]:  # in index order: a tie keeps the lower
            de = _ciede2000(block, entries[column])
            nearer = de < least
            least[nearer], taken[nearer] = de[nearer], column[nearer]
    return out


# NumPy's generic power, hypot and remainder cost several times these products,
# sums and square roots, which are exact enough at Lab magnitudes (< 300).
def _pow7(x: np.ndarray) -> np.ndarray:
    x2 = x * x
    return x2 * x2 * x2 * x


def _norm(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sqrt(a * a + b * b)


# The arctangent on [0, tan(pi / 8)] as u + u^3 P(u^2): coefficients of P fitted
# here by least squares (relative weight, 4000 Chebyshev nodes); the error is
# under 1e-8 rad in float64, so float32 rounding is what remains. NumPy's float32
# arctan2 is not vectorised and took 33 ns a value, two thirds of the formula.
_ATAN_P = tuple(np.float32(c) for c in (-0.3333297326250365, 0.19978490658396741,
                                        -0.13885105052249236, 0.08075415658692221))
_TAN_PI_8 = np.float32(math.tan(math.pi / 8))
_PI = np.float32(math.pi)


def _hue(b: np.ndarray, a: np.ndarray) -> np.ndarray:
    """Hue angle ``arctan2(b, a)`` taken into [0, 2 pi], float32, within 1e-6 rad.

    The angle is folded onto [0, pi / 4] (by octant, then by tan(pi / 8)),
    evaluated as a polynomial, and unfolded, with products by 0/1 masks instead
    of selections (``np.where`` costs seven products here): 125 us for 16384
    values against 400 us for ``np.arctan2``. ``(0, 0)`` gives 0; 2 pi comes
    only from float32 rounding.

    >>> angles = _hue(np.float32([0, 1, 0, -1, -1e-3]), np.float32([1, 0, -1, 0, 1]))
    >>> [round(float(angle / np.pi), 4) for angle in angles]
    [0.0, 0.5, 1.0, 1.5, 1.9997]
    """
    ax, ay = np.abs(a), np.abs(b)
    big = np.maximum(ax, ay)
    big += np.float32(1e-30)  # (0, 0): t = 0
    t = np.minimum(ax, ay)
    t /= big  # tan of the folded angle, in [0, 1]
    wide = (t > _TAN_PI_8).astype(np.float32)
    u = t - wide
    u /= wide * t + 1  # (t - 1) / (t + 1) where wide: tan(angle - pi / 4)
    z = u * u
    p0, p1, p2, p3 = _ATAN_P
    r = z * p3
    for p in (p2, p1, p0):
        r += p
        r *= z
    r *= u
    r += u
    r += wide * (_PI / 4)
    for mask, mirror in (((ay > ax), _PI / 2), ((a < 0), _PI), ((b < 0), 2 * _PI)):
        r += mask.astype(np.float32) * (mirror - 2 * r)  # r -> mirror - r where mask
    return r


#: Pairs per chunk of :func:`mean_ciede2000`: the differences of a 12 MP image with
#: soft alpha (7.1 M distinct colours), with the gathered Lab of their entries, took
#: 170 MB at once.
_MEAN_DE_CHUNK = 1 << 20


def mean_ciede2000(lab1: np.ndarray, lab2: np.ndarray, weights: np.ndarray | None = None,
                   *, rows: np.ndarray | None = None, out: np.ndarray | None = None) -> float:
    """(Weighted) mean CIEDE2000 of ``(n, 3)`` Lab pairs; prior validation is assumed.

    With ``rows``, ``lab2`` is a table: pair ``i`` is ``lab1[i]`` and ``lab2[rows[i]]``
    (a colour and its palette entry), gathered chunk by chunk. With ``out``, an
    ``(n,)`` float32 array, each pair's difference is also written there.

    >>> lab = np.array([[50.0, 2.6772, -79.7751], [50.0, 0.0, -82.7485]])
    >>> round(mean_ciede2000(lab, lab[::-1], np.array([1.0, 3.0])), 4)
    2.0425
    >>> mean_ciede2000(lab, lab[:1], rows=np.array([0, 0])) == mean_ciede2000(lab, lab[[0, 0]])
    True
    """
    n = lab1.shape[0]
    total = 0.0
    for start in range(0, n, _MEAN_DE_CHUNK):
        part = slice(start, start + _MEAN_DE_CHUNK)
        d = _ciede2000(lab1[part], lab2[part] if rows is None else lab2[rows[part]])
        if out is not None:
            out[part] = d
        d = d.astype(np.float64)
        total += float(d.sum() if weights is None else d @ weights[part])
    return float(np.divide(total, n if weights is None else float(weights.sum())))


#: Pairs per chunk when measuring squared errors: keeps the float64 temporaries
#: in cache (a 12 MP result's million pairs at once faulted in 110 MB of them).
_SQ_CHUNK = 1 << 15


def mean_squared_error(rgb1: np.ndarray, rgb2: np.ndarray,
                       weights: np.ndarray | None = None, *,
                       premultiplied: bool = False,
                       over: Literal["black", "white"] | None = None) -> float:
    """(Weighted) mean over pixels and channels of squared differences of ``(n, c)`` colours.

    With ``premultiplied``, straight-alpha ``(n, 4)`` uint8 colours are compared
    premultiplied (see :func:`premultiply`); with ``over``, as their RGB composited on
    black or on white, not rounded (``(n, 3)`` colours as they are). Computed chunk by
    chunk.

    >>> mean_squared_error(np.array([[0, 0, 0], [3, 0, 0]]), np.zeros((2, 3)), np.array([1, 2]))
    2.0
    >>> half_black, clear = np.array([[0, 0, 0, 128]], np.uint8), np.zeros((1, 4), np.uint8)
    >>> [mean_squared_error(half_black, clear, over=o) for o in ("black", "white")]
    [0.0, 16384.0]
    """
    convert = premultiply if premultiplied else _as_float64
    channels = rgb1.shape[1]
    if over is not None and channels == 4:
        convert, channels = functools.partial(_composited, background=_BACKGROUNDS[over]), 3
    total = 0.0
    for start in range(0, rgb1.shape[0], _SQ_CHUNK):
        part = slice(start, start + _SQ_CHUNK)
        sq = convert(rgb1[part]) - convert(rgb2[part])
        sq *= sq
        # A product with the weights, then a sum of c values: a mean over each row
        # of c values first took 13 times as long.
        total += float(sq.sum() if weights is None
                       else (weights[part].astype(np.float64) @ sq).sum())
    count = rgb1.shape[0] if weights is None else float(weights.sum())
    return total / (count * max(channels, 1))


def _as_float64(colors: np.ndarray) -> np.ndarray:
    return colors.astype(np.float64)
