"""Distinct colours of an image and their conversion to CIE Lab.

A photo has far fewer distinct colours than pixels, so colour reduction works
on a weighted histogram of its distinct colours instead of on every pixel:

- ``pack_rgb`` turns ``(..., 3)`` uint8 colours into 24-bit integer codes
  ``r << 16 | g << 8 | b``, and ``unpack_codes`` turns them back;
- ``color_histogram`` returns the distinct colours of an image and how many
  pixels have each (fully transparent pixels are left out);
- ``srgb_to_lab`` converts uint8 sRGB colours to CIE Lab (D65, 2 degree
  observer) with the same formulas as ``skimage.color.rgb2lab``, through a
  256-entry table for the sRGB transfer curve, so converting a million distinct
  colours takes tens of milliseconds; ``lab_to_srgb`` goes back for the few
  palette entries.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

__all__ = ["code_histogram", "color_histogram", "lab_to_srgb", "pack_rgb", "srgb_to_lab",
           "unpack_codes"]

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
# Linear RGB -> XYZ divided by the white point, as one matrix acting on rows.
_SCALED_FROM_LINEAR = (_XYZ_FROM_RGB / _WHITE[:, None]).T.copy()


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
    linear = _SRGB_TO_LINEAR[colors]
    # XYZ / white as three broadcast products: a BLAS call this thin is slower.
    scaled = linear[..., 0:1] * _SCALED_FROM_LINEAR[0]
    scaled += linear[..., 1:2] * _SCALED_FROM_LINEAR[1]
    scaled += linear[..., 2:3] * _SCALED_FROM_LINEAR[2]
    small = scaled <= 0.008856
    f = np.cbrt(scaled)
    f[small] = 7.787 * scaled[small] + 16.0 / 116.0
    lab = np.empty(f.shape, dtype=np.float32)
    lab[..., 0] = 116.0 * f[..., 1] - 16.0
    lab[..., 1] = 500.0 * (f[..., 0] - f[..., 1])
    lab[..., 2] = 200.0 * (f[..., 1] - f[..., 2])
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
