"""Distinct colours of an image and their conversion to CIE Lab.

A photo has far fewer distinct colours than pixels, so colour reduction works
on a weighted histogram of its distinct colours instead of on every pixel:

- ``pack_rgb`` turns ``(..., 3)`` uint8 colours into 24-bit integer codes
  ``r << 16 | g << 8 | b``, and ``unpack_codes`` turns them back;
- ``color_histogram`` returns the distinct colours of an image and how many
  pixels have each (fully transparent pixels are left out);
- ``srgb_to_lab`` converts uint8 sRGB colours to CIE Lab (D65, 2 degree
  observer) with the same formulas as ``skimage.color.rgb2lab``, through
  256-entry tables (transfer curve and matrix folded together), so converting
  a million distinct colours takes tens of milliseconds; ``lab_to_srgb`` goes
  back for the few palette entries;
- ``ciede2000`` is the CIEDE2000 colour difference of Lab pairs, and
  ``mean_ciede2000`` / ``mean_squared_error`` their weighted means, the kernels
  of :mod:`quantize.metrics`. They live here, with no SciPy or scikit-image
  import, so measuring a reduction does not pay for loading those.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

__all__ = ["ciede2000", "code_histogram", "color_histogram", "lab_to_srgb", "mean_ciede2000",
           "mean_squared_error", "pack_rgb", "srgb_to_lab", "unpack_codes"]

# Linear-light value of each 8-bit sRGB level (IEC 61966-2-1, as skimage uses).
_LEVELS = np.arange(256, dtype=np.float64) / 255.0
_SRGB_TO_LINEAR = np.where(_LEVELS > 0.04045, ((_LEVELS + 0.055) / 1.055) ** 2.4,
                           _LEVELS / 12.92)
# sRGB -> XYZ matrix (its columns are the XYZ of the primaries) and the D65 /
# 2 degree white, the values skimage.color uses (a test checks they agree).
_XYZ_FROM_RGB = np.array([[0.412453, 0.357580, 0.180423],
                          [0.212671, 0.715160, 0.072169],
                          [0.019334, 0.119193, 0.950227]])
_WHITE = np.array([0.95047, 1.0, 1.08883])
# _CONTRIB[c, j, v]: what level v of input channel c adds to XYZ[j] / white[j];
# a colour's scaled XYZ is a sum of three table look-ups per component.
_CONTRIB = np.einsum("v,jc->cjv", _SRGB_TO_LINEAR,
                     _XYZ_FROM_RGB / _WHITE[:, None]).astype(np.float32)


def pack_rgb(rgb: np.ndarray) -> np.ndarray:
    """24-bit codes ``r << 16 | g << 8 | b`` of ``(..., 3)`` uint8 colours, as uint32 ``(...)``.

    >>> pack_rgb(np.array([[255, 128, 1]], dtype=np.uint8)).tolist() == [0xFF8001]
    True
    """
    codes = rgb[..., 0].astype(np.uint32)
    codes <<= 8
    codes |= rgb[..., 1]
    codes <<= 8
    codes |= rgb[..., 2]
    return codes


def unpack_codes(codes: np.ndarray) -> np.ndarray:
    """``(..., 3)`` uint8 colours of 24-bit codes; the inverse of :func:`pack_rgb`."""
    codes = np.asarray(codes)
    out = np.empty(codes.shape + (3,), dtype=np.uint8)
    out[..., 0] = codes >> 16
    out[..., 1] = (codes >> 8) & 0xFF
    out[..., 2] = codes & 0xFF
    return out


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
        If ``rgb`` is not uint8.
    ValueError
        If the shapes are wrong or do not match.

    Examples
    --------
    >>> rgb = np.array([[[0, 0, 0], [255, 0, 0], [0, 0, 0]]], dtype=np.uint8)
    >>> colors, counts = color_histogram(rgb)
    >>> colors.tolist(), counts.tolist()
    ([[0, 0, 0], [255, 0, 0]], [2, 1])
    """
    rgb = np.asarray(rgb)
    if rgb.dtype != np.uint8:
        raise TypeError(f"rgb should have dtype uint8, got {rgb.dtype}")
    if rgb.ndim not in (2, 3) or rgb.shape[-1] != 3:
        raise ValueError(f"rgb should have shape (H, W, 3) or (n, 3), got {rgb.shape}")
    codes = pack_rgb(rgb)
    if alpha is not None:
        alpha = np.asarray(alpha)
        if alpha.shape != rgb.shape[:-1]:
            raise ValueError(f"alpha should have shape {rgb.shape[:-1]}, got {alpha.shape}")
        codes = codes[alpha > 0]
    distinct, counts = code_histogram(codes)
    return unpack_codes(distinct), counts


def code_histogram(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct 24-bit codes (sorted) and the int64 count of each, from an array of codes."""
    distinct, counts = np.unique(np.ravel(codes), return_counts=True)
    return distinct, counts.astype(np.int64)


def srgb_to_lab(colors: np.ndarray) -> np.ndarray:
    """CIE Lab (D65, 2 degree observer) of uint8 sRGB colours, ``(..., 3)`` float32.

    Agrees with ``skimage.color.rgb2lab(colors)`` to about 1e-4.

    >>> lab = srgb_to_lab(np.array([[255, 255, 255], [0, 0, 0], [255, 0, 0]], dtype=np.uint8))
    >>> lab.astype(float).round(1).tolist()
    [[100.0, -0.0, 0.0], [0.0, 0.0, 0.0], [53.2, 80.1, 67.2]]
    """
    colors = np.asarray(colors)
    if colors.dtype != np.uint8 or colors.shape[-1:] != (3,):
        raise TypeError(f"colors should be a (..., 3) uint8 array, got {colors.dtype} "
                        f"{colors.shape}")
    r, g, b = colors[..., 0], colors[..., 1], colors[..., 2]
    scaled = np.empty(colors.shape, dtype=np.float32)  # XYZ divided by the white point
    for j in range(3):
        out = scaled[..., j]
        np.add(_CONTRIB[0, j][r], _CONTRIB[1, j][g], out=out)
        out += _CONTRIB[2, j][b]
    f = np.cbrt(scaled)
    small = scaled <= 0.008856
    f[small] = 7.787 * scaled[small] + 16.0 / 116.0
    lab = np.empty_like(f)
    np.multiply(f[..., 1], 116.0, out=lab[..., 0])
    lab[..., 0] -= 16.0
    np.subtract(f[..., 0], f[..., 1], out=lab[..., 1])
    lab[..., 1] *= 500.0
    np.subtract(f[..., 1], f[..., 2], out=lab[..., 2])
    lab[..., 2] *= 200.0
    return lab


def lab_to_srgb(lab: np.ndarray) -> np.ndarray:
    """uint8 sRGB of ``(..., 3)`` CIE Lab colours, clipped to the sRGB gamut and rounded."""
    from skimage.color import lab2rgb  # imported here: it takes a while to load

    lab = np.asarray(lab, dtype=np.float64)
    with warnings.catch_warnings():
        # Out-of-gamut colours are clipped below; skimage's notice about it is noise here.
        warnings.simplefilter("ignore", UserWarning)
        rgb = lab2rgb(lab.reshape(-1, 1, 3)).reshape(lab.shape)
    return np.clip(np.rint(rgb * 255.0), 0, 255).astype(np.uint8)


# --------------------------------------------------------------------------
# CIEDE2000 colour difference
# --------------------------------------------------------------------------

_25_POW_7 = 25.0 ** 7
_TWO_PI = np.float32(2 * np.pi)
# Pairs per chunk: keeps the two dozen temporaries of the formula in cache.
_DE_CHUNK = 1 << 14


def ciede2000(lab1: np.ndarray, lab2: np.ndarray) -> np.ndarray:
    """CIEDE2000 colour difference of ``(n, 3)`` CIE Lab pairs, ``(n,)`` float32.

    Sharma, Wu and Dalal's formulation (2005) with kL = kC = kH = 1, as
    ``skimage.color.deltaE_ciede2000`` computes it (a test checks they agree),
    evaluated chunk by chunk in float32. Prior validation is assumed.

    >>> d = ciede2000(np.array([[50.0, 2.6772, -79.7751]]), np.array([[50.0, 0.0, -82.7485]]))
    >>> round(float(d[0]), 4)  # the first pair of Sharma et al.'s test data
    2.0425
    """
    lab1 = np.asarray(lab1, dtype=np.float32)
    lab2 = np.asarray(lab2, dtype=np.float32)
    out = np.empty(lab1.shape[0], dtype=np.float32)
    for start in range(0, lab1.shape[0], _DE_CHUNK):
        stop = start + _DE_CHUNK
        out[start:stop] = _ciede2000_chunk(lab1[start:stop], lab2[start:stop])
    return out


def _ciede2000_chunk(lab1: np.ndarray, lab2: np.ndarray) -> np.ndarray:
    L1, a1, b1 = lab1[:, 0], lab1[:, 1], lab1[:, 2]
    L2, a2, b2 = lab2[:, 0], lab2[:, 1], lab2[:, 2]
    # a* is stretched for near-neutral colours, then chroma and hue are recomputed.
    c7 = (0.5 * (np.hypot(a1, b1) + np.hypot(a2, b2))) ** 7
    stretch = 1.5 - 0.5 * np.sqrt(c7 / (c7 + _25_POW_7))
    a1s, a2s = a1 * stretch, a2 * stretch
    C1, C2 = np.hypot(a1s, b1), np.hypot(a2s, b2)
    h1 = np.arctan2(b1, a1s) % (2 * np.pi)
    h2 = np.arctan2(b2, a2s) % (2 * np.pi)
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
    cm7 = C_mean ** 7
    RC = 2.0 * np.sqrt(cm7 / (cm7 + _25_POW_7))
    d_theta = math.radians(30.0) * np.exp(-(((np.rad2deg(h_mean) - 275.0) / 25.0) ** 2))
    # The terms.
    L_term = (L2 - L1) / SL
    C_term = (C2 - C1) / SC
    H_term = 2.0 * np.sqrt(CC) * np.sin(0.5 * dh) / SH
    de2 = L_term ** 2 + C_term ** 2 + H_term ** 2 - np.sin(2 * d_theta) * RC * C_term * H_term
    return np.sqrt(np.maximum(de2, 0.0))


def mean_ciede2000(lab1: np.ndarray, lab2: np.ndarray,
                   weights: np.ndarray | None = None) -> float:
    """(Weighted) mean CIEDE2000 of ``(n, 3)`` Lab pairs; prior validation is assumed."""
    d = ciede2000(lab1, lab2).astype(np.float64)
    return float(d.mean() if weights is None else d @ weights / weights.sum())


def mean_squared_error(rgb1: np.ndarray, rgb2: np.ndarray,
                       weights: np.ndarray | None = None) -> float:
    """(Weighted) mean over pixels and channels of squared differences of ``(n, c)`` colours."""
    sq = ((rgb1.astype(np.float64) - rgb2.astype(np.float64)) ** 2).mean(axis=1)
    return float(sq.mean() if weights is None else sq @ weights / weights.sum())
