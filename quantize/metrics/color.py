"""Colour fidelity of a reduced image: PSNR and mean CIEDE2000 colour difference.

Both take a reference and a test image of the same shape ``(..., 3)``, or
``(..., 4)`` with straight alpha, and an optional weight per pixel, so they also
measure a histogram of distinct colours (weights = pixel counts) exactly as they
would the full image. With alpha they measure as :class:`quantize.ReduceResult`
does: PSNR on premultiplied RGBA over the pixels visible in either image (alpha above
0), and CIEDE2000 of the colours
as they show over black, over the pixels visible in the reference, so that
``psnr(rgba, result.to_rgba())`` is ``result.psnr``; an alpha channel that is
opaque in every pixel is no alpha, to them as to ``reduce_colors``.
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
from PIL import Image

from .._validation import (
    as_array,
    check_choice,
    check_float,
    check_image_pixels,
    check_max_pixels,
    foreign_keywords,
    opaque_unit_alpha,
    refuse_masked,
    unit_floats,
)
from ..colors import mean_ciede2000, mean_squared_error, srgb_to_lab
from ..io import DEFAULT_MAX_PIXELS, SCALE_ADVICE, LoadedImage, as_rgba
from ._inputs import metric_array

__all__ = ["delta_e", "psnr"]



def _check_pair(reference: Any, test: Any, max_pixels: Any, *, srgb: bool = True,
                grey: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """``reference`` and ``test`` as two arrays of one shape ``(..., C)``, C the channels:
    3 or 4, or 1 for two grey images (:func:`_grey_pair`) with ``grey`` (psnr's), which
    also reads two grey-and-alpha images as RGBA (:func:`_grey_alpha_pair`); either of
    more pixels than ``max_pixels`` is refused first, from its shape."""
    limit = check_max_pixels(max_pixels)
    ref, tst = (_colours(reference, "reference", srgb, limit),
                _colours(test, "test", srgb, limit))
    given = ref.shape
    if srgb:
        if grey and _grey_alpha_pair(ref, tst):
            ref, tst = _levels_repeated(ref), _levels_repeated(tst)
        ref = _grey_as_read(ref, tst, "reference")
        tst = _grey_as_read(tst, ref, "test")
        ref, tst = _opaque_alpha_dropped(ref, tst)
    levels = grey and _grey_pair(ref, tst)
    if levels:  # one channel, of grey levels
        ref, tst = (a.reshape(*a.shape[:2], 1) for a in (ref, tst))
    if ref.shape != tst.shape:
        hint = ("; give both with alpha (..., 4), e.g. ReduceResult.to_rgba(), or both "
                "without (..., 3)" if {ref.shape[-1:], tst.shape[-1:]} == {(3,), (4,)}
                and ref.shape[:-1] == tst.shape[:-1] else "")
        raise ValueError(f"reference and test should have the same shape, got {ref.shape} "
                         f"and {tst.shape}{hint}")
    if ref.ndim < 1 or (ref.shape[-1] not in (3, 4) and not levels) or ref.size == 0:
        grey_image = (", or a grey image, (H, W) or (H, W, 1), or grey and alpha, (H, W, 2)"
                      if grey else "")
        raise ValueError(f"reference should be a non-empty (..., 3) array of colours, or "
                         f"(..., 4) with alpha{grey_image}, got shape {given}")
    for name, arr in (("reference", ref), ("test", tst)):
        if arr.dtype == bool or not np.issubdtype(arr.dtype, np.number):
            raise TypeError(f"{name} should be a numeric array, got dtype {arr.dtype}")
        if np.issubdtype(arr.dtype, np.complexfloating):  # its imaginary part would be lost
            raise TypeError(f"{name} should hold real numbers, got dtype {arr.dtype}")
    # A byte order other than the machine's (big-endian ">u2") holds the same values.
    ref, tst = (a if a.dtype.isnative else a.astype(a.dtype.newbyteorder("="))
                for a in (ref, tst))
    return ref, tst


def _colours(image: Any, name: str, srgb: bool, limit: int | None) -> np.ndarray:
    """``image`` as an array of colours: a PIL image (or a :class:`~quantize.io.LoadedImage`)
    as :func:`quantize.reduce_colors` reads it, ``(H, W, 3)`` uint8 sRGB, or ``(H, W, 4)``
    when some pixel is not opaque; anything else as NumPy makes it an array, but a
    result, a file name, None, a masked array or Python objects, refused saying what to
    pass (:func:`~quantize.metrics._inputs.metric_array`). Either is refused when it has
    more pixels than ``limit`` (:func:`_pixel_shape`).

    ``np.asarray`` of a PIL image is its stored bands: a palette image's indices, a
    YCbCr or CMYK image's own channels, colours not converted by their ICC profile.
    """
    if not isinstance(image, Image.Image | LoadedImage):
        arr = metric_array(image, name, "image")
        check_image_pixels(_pixel_shape(arr.shape), f"{name} of shape {arr.shape}", limit)
        return arr
    if not srgb:
        raise TypeError(f"{name} is an image, which holds sRGB colours; "
                        "expected an array of CIE Lab colours with input_space='lab'")
    rgb, alpha = as_rgba(image, name, max_pixels=limit, dark_advice=SCALE_ADVICE)
    return rgb if alpha is None else np.dstack([rgb, alpha])


def _pixel_shape(shape: tuple[int, ...]) -> tuple[int, ...]:
    """The axes of an array of ``shape`` that are pixels, as the metrics read it: all but
    the last, the channels, except for an ``(H, W)`` grey image (a width other than 3 or
    4, which make an ``(H, 3)`` or ``(H, 4)`` array a list of H colours).

    >>> _pixel_shape((2, 5, 3)), _pixel_shape((7, 3)), _pixel_shape((2, 5))
    ((2, 5), (7,), (2, 5))
    """
    if len(shape) == 2 and shape[1] not in (3, 4):
        return shape
    return shape[:-1]


def _grey_pair(ref: np.ndarray, tst: np.ndarray) -> bool:
    """Whether ``ref`` and ``tst`` are two grey images of one shape: ``(H, W, 1)``, or
    ``(H, W)`` but for a width of 3 or 4, which is a list of H colours (with alpha)."""
    if ref.shape != tst.shape:
        return False
    return ((ref.ndim == 2 and ref.shape[1] not in (3, 4))
            or (ref.ndim == 3 and ref.shape[2] == 1))


def _grey_alpha_pair(ref: np.ndarray, tst: np.ndarray) -> bool:
    """Whether ``ref`` and ``tst`` are two grey-and-alpha images of one shape, ``(H, W, 2)``.

    :func:`quantize.reduce_colors` reads such an image as RGBA, its grey level in
    three channels, and its ``psnr`` scores it so; two of them were refused.
    """
    return ref.shape == tst.shape and ref.ndim == 3 and ref.shape[2] == 2


def _levels_repeated(arr: np.ndarray) -> np.ndarray:
    """Grey image ``arr`` (``(H, W)``, ``(H, W, 1)`` or ``(H, W, 2)`` with alpha) as
    ``(H, W, 3)`` or ``(H, W, 4)``: its levels in three channels, values and dtype kept."""
    planes = arr if arr.ndim == 3 else arr[..., None]
    return np.concatenate([planes[..., :1]] * 3 + [planes[..., 1:]], axis=2)


def _grey_as_read(arr: np.ndarray, other: np.ndarray, name: str) -> np.ndarray:
    """``arr`` as :func:`quantize.reduce_colors` reads it, ``(H, W, 3)`` uint8 sRGB or
    ``(H, W, 4)`` when some pixel is not opaque, when it is a grey image array (``(H, W)``,
    ``(H, W, 1)``, or ``(H, W, 2)`` grey and alpha) and ``other`` a colour image of its
    size, ``(H, W, 3)`` or ``(H, W, 4)``: a result's ``to_rgb()`` of that image, say. Else
    ``arr`` as it is.

    Such an array holds no colours but grey levels, which reduce_colors repeats in three
    channels: compared as they are, the shapes differed, and ``psnr(image,
    result.to_rgb())`` was refused for the very image the result was made from. Next to
    colours of its own dtype (a float grey image and float colours), its levels are
    repeated as they are: read as reduce_colors reads them, they became uint8 beside the
    other's floats (an error naming a dtype the caller never gave, or, with
    ``data_range``, a PSNR of -43 dB for one image against itself).
    """
    grey = arr.ndim == 2 or (arr.ndim == 3 and arr.shape[2] in (1, 2))
    if not (grey and other.ndim == 3 and other.shape[2] in (3, 4)
            and other.shape[:2] == arr.shape[:2]):
        return arr
    if arr.dtype == other.dtype:
        return _levels_repeated(arr)
    rgb, alpha = as_rgba(arr, name, max_pixels=None, dark_advice=SCALE_ADVICE)
    return rgb if alpha is None else np.dstack([rgb, alpha])


def _opaque_alpha_dropped(ref: np.ndarray, tst: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``ref`` and ``tst`` without their fourth channel when it is alpha at its dtype's peak
    in every pixel (and the other is a colour image of their size, opaque too if it has
    alpha); else as they are.

    An opaque image stored as RGBA is read by :func:`quantize.reduce_colors` as its colours
    alone, and a PIL image so here: measured with its alpha, the three colour channels'
    errors were spread over four, PSNR 1.25 dB higher than ``result.psnr``, and
    ``psnr(Image.open(png), result.to_rgba())`` was refused, as of two shapes.
    """
    if ref.ndim < 1 or tst.ndim < 1 or ref.shape[:-1] != tst.shape[:-1]:
        return ref, tst
    channels = (ref.shape[-1], tst.shape[-1])
    if 4 not in channels or not set(channels) <= {3, 4}:
        return ref, tst
    if not all(_opaque(a) for a in (ref, tst) if a.shape[-1] == 4):
        return ref, tst
    return ref[..., :3], tst[..., :3]


def _opaque(rgba: np.ndarray) -> bool:
    """Whether the alpha of ``rgba`` (..., 4) is its dtype's peak in every pixel (False for
    a dtype without one, which needs ``data_range``). A float alpha a hair off 1 is 1
    (:func:`~quantize._validation.opaque_unit_alpha`), as ``reduce_colors`` reads it:
    ``1 + 1e-12`` and ``1 - 1e-9`` made the pair two shapes where 1.0 is compared."""
    alpha = rgba[..., 3]
    if np.issubdtype(alpha.dtype, np.floating):
        return opaque_unit_alpha(alpha)
    if alpha.dtype not in (np.uint8, np.uint16):
        return False
    return bool((alpha == _peak(alpha.dtype, "alpha")).all())


def _check_weights(weights: Any, shape: tuple[int, ...]) -> np.ndarray | None:
    if weights is None:
        return None
    refuse_masked(weights, "weights", "weights.filled(0) gives the masked pixels no weight")
    w = as_array(weights, "weights", f"an array of shape {shape}, one weight per pixel")
    if w.dtype != bool and (not np.issubdtype(w.dtype, np.number)
                            or np.issubdtype(w.dtype, np.complexfloating)):
        # (a bool mask weighs its pixels 1 and the others 0)
        raise TypeError(f"weights should be real numbers, one per pixel, got dtype {w.dtype}")
    w = w.astype(np.float64)
    if w.shape != shape:
        raise ValueError(f"weights should have shape {shape}, got {w.shape}")
    if not np.isfinite(w).all() or (w < 0).any() or w.sum() <= 0:
        raise ValueError("weights should be finite, >= 0 and have a positive sum")
    return w


def _peak(dtype: np.dtype, name: str) -> float:
    if dtype == np.uint8:
        return 255.0
    if dtype == np.uint16:
        return 65535.0
    if np.issubdtype(dtype, np.floating):
        return 1.0
    raise TypeError(f"{name} has dtype {dtype}; expected uint8, uint16 or float images, "
                    "or give data_range")


def _common_peak(ref: np.ndarray, tst: np.ndarray) -> float:
    """The peak both images' dtypes imply; refuse two that imply different ones."""
    peak = _peak(ref.dtype, "reference")
    if _peak(tst.dtype, "test") != peak:
        raise ValueError(f"reference has dtype {ref.dtype} (peak {peak:g}) but test has dtype "
                         f"{tst.dtype} (peak {_peak(tst.dtype, 'test'):g}); expected images "
                         "of the same scale: convert one to the other's, e.g. "
                         f"{_rescaled(ref.dtype, tst.dtype)} (data_range sets the peak of "
                         "both, it does not rescale either)")
    return peak


def _rescaled(ref: np.dtype, tst: np.dtype) -> str:
    """How to write one of two images of the dtypes ``ref`` and ``tst``, of different peaks
    (uint8, uint16, float), on the other's scale: a float image as reduce_colors reads it.

    >>> _rescaled(np.dtype(np.float32), np.dtype(np.uint8))
    'np.rint(reference * 255).astype(np.uint8), as reduce_colors reads a float image'
    >>> _rescaled(np.dtype(np.uint16), np.dtype(np.uint8))
    'test.astype(np.uint16) * 257'
    """
    names = {"reference": ref, "test": tst}
    floats = [name for name, dtype in names.items() if np.issubdtype(dtype, np.floating)]
    if floats:
        (other,) = (dtype for dtype in names.values() if not np.issubdtype(dtype, np.floating))
        return (f"np.rint({floats[0]} * {_peak(other, floats[0]):g}).astype(np.{other}), as "
                "reduce_colors reads a float image")
    eight = "reference" if ref == np.uint8 else "test"
    return f"{eight}.astype(np.uint16) * 257"


@foreign_keywords
def psnr(reference: Any, test: Any, *, weights: Any = None,
         data_range: float | None = None,
         max_pixels: int | None = DEFAULT_MAX_PIXELS, blur: float = 0.0) -> float:
    """Peak signal-to-noise ratio in dB between two images or colour lists.

    Parameters
    ----------
    reference, test : (..., 3) or (..., 4) array_like, (H, W) or (H, W, 1) array_like, or PIL image
        Same shape and dtype kind; uint8 (peak 255), uint16 (65535) or float (1.0;
        values up to 1/510 outside [0, 1], as arithmetic leaves them, are clipped).
        A PIL image (or a :class:`~quantize.io.LoadedImage`) is read as
        :func:`quantize.reduce_colors` reads it: ``(H, W, 3)`` uint8 sRGB, or
        ``(H, W, 4)`` when some pixel is not opaque; so is a grey image array,
        ``(H, W)``, ``(H, W, 1)`` or ``(H, W, 2)`` (grey and alpha), compared
        with an ``(H, W, 3)`` or ``(H, W, 4)`` image. Two grey images of one
        shape, ``(H, W)`` or ``(H, W, 1)``, are compared level by level; but
        an ``(H, 3)`` or ``(H, 4)`` array is a list of H colours (with alpha):
        give a grey image of width 3 or 4 as ``(H, W, 1)``. Two grey-and-alpha
        images, ``(H, W, 2)``, are compared as the RGBA images their levels
        make in three channels, as ``reduce_colors`` reads them (so with
        alpha, as below).
        Without ``data_range``, two dtypes of different peaks (uint8 against
        float, say) are refused rather than compared on different scales.
        A fourth channel is straight alpha (0 transparent, the peak opaque):
        both are then compared premultiplied, all four channels, over the
        pixels visible (alpha above 0) in either image (as
        :attr:`quantize.ReduceResult.psnr`): two fully transparent pixels are
        equal whatever colour they store, and are left out, so that padding an
        image with transparent canvas does not raise its PSNR (with ``blur``,
        every pixel is counted, as the blur spreads errors into them). Alpha at the
        peak in every pixel is left out, as ``reduce_colors`` leaves it out:
        an opaque image is compared by its three colour channels, also with
        an ``(..., 3)`` one.
    weights : (...) array_like, optional
        Weight of each pixel (e.g. pixel counts of distinct colours).
    data_range : float, optional
        Peak value, > 0; inferred from the dtypes when omitted.
    max_pixels : int or None
        Refuse an image of more pixels than this (default
        :data:`~quantize.io.DEFAULT_MAX_PIXELS`, the limit of
        :func:`quantize.reduce_colors`), checked from its shape before any copy (an
        ``(H, W, C)`` image has H x W pixels, an ``(n, C)`` list n); None means no limit.
    blur : float
        Blur both images by a Gaussian of this sigma in pixels first (each channel, after
        premultiplying alpha; truncated at 4 sigma, edges mirrored, as
        ``scipy.ndimage.gaussian_filter`` does): 1 is roughly what the eye sees of a
        dithered image at normal viewing, where plain PSNR counts the dither pattern as
        noise. Default 0, no blur. Images only, ``(H, W)`` or ``(H, W, C)``, no
        ``weights``.

    Raises
    ------
    ValueError
        For shapes that differ, bad weights, NaN or infinite values, (without
        ``data_range``) dtypes of different peaks or floats outside [0, 1], a
        ``max_pixels`` below 1, or a ``blur`` below 0 or given for a colour list or with
        ``weights``.
    TypeError
        For complex values, a dtype without a known peak (e.g. int64) and no
        ``data_range``, weights or ``data_range`` that are not numbers, a
        ``max_pixels`` that is no int, or an image given as a ReduceResult or
        SegmentResult, a file name, None, a masked array (weights too) or an
        array of Python objects: the message says what to pass.
    quantize.errors.ImageReadError
        If an image has more than ``max_pixels`` pixels (a ValueError).

    Returns
    -------
    float
        ``10 log10(peak^2 / MSE)``; ``inf`` when the images are identical.

    Examples
    --------
    >>> import numpy as np
    >>> from quantize.metrics import psnr
    >>> a = np.zeros((2, 2, 3), dtype=np.uint8)
    >>> b = a.copy(); b[0, 0] = 255
    >>> round(psnr(a, b), 3)
    6.021
    >>> round(psnr(np.zeros((2, 2), np.uint8), np.full((2, 2), 255, np.uint8)), 3)  # grey
    0.0
    >>> clear = np.zeros((1, 2, 4), np.uint8); clear[0, 1] = [90, 0, 0, 0]
    >>> psnr(clear[:, :1], clear[:, 1:])  # both fully transparent
    inf
    >>> dot = np.array([[[0, 0, 0, 255], [8, 8, 8, 128]]], np.uint8)
    >>> off = dot.copy(); off[..., 0] = 4
    >>> padded = [np.concatenate([x, clear], axis=1) for x in (dot, off)]
    >>> round(psnr(dot, off), 2), round(psnr(*padded), 2)  # the transparent pixels left out
    (44.14, 44.14)
    >>> checks = np.indices((8, 8)).sum(axis=0) % 2 * 255  # a fine pattern of black and white
    >>> grey = np.full((8, 8), 128)
    >>> round(psnr(grey, checks, data_range=255), 2), round(psnr(grey, checks, data_range=255,
    ...                                                           blur=1.0), 2)
    (6.02, 33.56)
    """
    ref, tst = _check_pair(reference, test, max_pixels, grey=True)
    sigma = check_float(blur, "blur")
    if sigma < 0:
        raise ValueError(f"blur={sigma:g} should be >= 0")
    if data_range is None:
        peak = _common_peak(ref, tst)
    else:
        peak = check_float(data_range, "data_range")
        if peak <= 0:
            raise ValueError(f"data_range={peak:g} should be > 0")
    ref, tst = (_check_float_values(arr, name, data_range is None)
                for name, arr in (("reference", ref), ("test", tst)))
    w = _check_weights(weights, ref.shape[:-1])
    if sigma and (w is not None or ref.ndim != 3):
        raise ValueError(f"blur={sigma:g} needs two images, (H, W) or (H, W, C), without "
                         f"weights; got shape {ref.shape}"
                         f"{'' if w is None else ' and weights'}")
    c = ref.shape[-1]
    if sigma:
        mse = _blurred_mean_square(ref, tst, sigma, peak)
    else:
        ref, tst = ref.reshape(-1, c), tst.reshape(-1, c)
        w = None if w is None else w.ravel()
        if c == 4:
            ref, tst, w = _visible_rows(ref, tst, w)
            if not ref.shape[0]:
                return math.inf
            ref, tst = _premultiplied(ref, peak), _premultiplied(tst, peak)
        mse = mean_squared_error(ref, tst, w)
    return math.inf if mse == 0 else float(10.0 * math.log10(peak * peak / mse))


def _visible_rows(ref: np.ndarray, tst: np.ndarray, w: np.ndarray | None
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """The rows of ``(n, 4)`` straight-alpha colours ``ref`` and ``tst`` (and of their
    weights ``w``) visible, alpha above 0, in either; all of them when every one is.

    >>> a = np.array([[9, 9, 9, 0], [1, 2, 3, 4], [5, 5, 5, 0]]); b = a * [1, 1, 1, 0]
    >>> [x.tolist() for x in _visible_rows(a, b, None)[:2]]
    [[[1, 2, 3, 4]], [[1, 2, 3, 0]]]
    """
    seen = (ref[:, 3] > 0) | (tst[:, 3] > 0)
    if seen.all():
        return ref, tst, w
    return ref[seen], tst[seen], None if w is None else w[seen]


#: Pixels of the band of rows :func:`_blurred_mean_square` blurs at a time (float64
#: temporaries of some 6 MB for RGB, where the whole of a 12 MP photo took 1.9 GB).
_BLUR_BAND_PIXELS = 1 << 18


def _blurred_mean_square(ref: np.ndarray, tst: np.ndarray, sigma: float,
                         peak: float) -> float:
    """Mean over pixels and channels of the square of the difference of ``(H, W, C)``
    images ``ref`` and ``tst`` (premultiplied by alpha / ``peak`` when ``C`` is 4) blurred
    by a Gaussian of ``sigma`` pixels along both axes, truncated at 4 sigma, its edges
    mirrored (``d c b a | a b c d``, again and again where a side is shorter than that):
    ``scipy.ndimage.gaussian_filter(diff, (sigma, sigma, 0))``, in NumPy, as importing
    SciPy's ndimage costs a command a quarter of a second. The blur is linear, so that of
    the difference is the difference of the blurs; it is made a band of rows at a time
    (with the rows its taps reach either side), the temporaries bounded.

    >>> flat = np.zeros((3, 2, 3), np.uint8); dot = flat.copy(); dot[1, 0] = 9
    >>> round(_blurred_mean_square(flat, dot, 1.0, 255.0), 4)
    2.5018
    """
    h, w, c = ref.shape
    radius = int(4.0 * sigma + 0.5)
    taps = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    taps /= taps.sum()
    rows, cols = _mirrored(h, radius), _mirrored(w, radius)
    step = max(1, _BLUR_BAND_PIXELS // w)
    total = 0.0
    for y in range(0, h, step):
        reach = rows[y:min(y + step, h) + 2 * radius]
        diff = _float_pixels(ref[reach], peak) - _float_pixels(tst[reach], peak)
        diff = _blurred_along(_blurred_along(diff, taps, 0)[:, cols], taps, 1)
        total += float(np.einsum("ijk,ijk->", diff, diff))
    return total / (h * w * c)


def _mirrored(n: int, radius: int) -> np.ndarray:
    """Indices of the items ``-radius`` to ``n + radius - 1`` of ``n`` items mirrored at
    both ends, again and again where ``n`` is shorter than ``radius`` (NumPy's "symmetric"
    padding).

    >>> _mirrored(3, 4).tolist()
    [2, 2, 1, 0, 0, 1, 2, 2, 1, 0, 0]
    """
    j = np.arange(-radius, n + radius) % (2 * n)
    return np.where(j < n, j, 2 * n - 1 - j)


def _blurred_along(padded: np.ndarray, taps: np.ndarray, axis: int) -> np.ndarray:
    """``padded`` (float64) convolved along ``axis`` with the symmetric ``taps`` (of odd
    length ``2r + 1``), where it holds ``r`` items beyond the result's at either end."""
    radius = len(taps) // 2
    n = padded.shape[axis] - 2 * radius
    part = np.moveaxis(padded, axis, 0)
    blurred = taps[radius] * part[radius:radius + n]
    for i in range(radius):  # the kernel is symmetric: a tap for each pair of rows
        blurred += taps[i] * (part[i:i + n] + part[2 * radius - i:2 * radius - i + n])
    return np.moveaxis(blurred, 0, axis)


def _float_pixels(pixels: np.ndarray, peak: float) -> np.ndarray:
    """``pixels`` as float64, premultiplied by alpha / ``peak`` when they have 4 channels."""
    return _premultiplied(pixels, peak) if pixels.shape[-1] == 4 else pixels.astype(np.float64)


def _premultiplied(rgba: np.ndarray, peak: float) -> np.ndarray:
    """``(..., 4)`` float64 copy of straight RGBA with the colour multiplied by alpha / peak."""
    out = rgba.astype(np.float64)
    out[..., :3] *= out[..., 3:] / peak
    return out


def _check_float_values(arr: np.ndarray, name: str, unit_range: bool) -> np.ndarray:
    """``arr``, but refuse NaN or infinite floats, and (``unit_range``: the peak 1 is
    implied by the dtype) floats outside [0, 1], which that peak does not describe, but for
    those a hair outside, clipped (:func:`~quantize._validation.unit_floats`)."""
    if not np.issubdtype(arr.dtype, np.floating):
        return arr
    low, high = arr.min(), arr.max()
    if not (math.isfinite(low) and math.isfinite(high)):
        raise ValueError(f"{name} contains NaN or infinite values; expected finite numbers")
    if not unit_range:
        return arr
    return unit_floats(arr, f"{name} holds float values in [{{low}}, {{high}}]; expected "
                            "values in [0, 1] (the peak of a float image), or give data_range")


@foreign_keywords
def delta_e(reference: Any, test: Any, *, weights: Any = None,
            input_space: Literal["srgb", "lab"] = "srgb",
            max_pixels: int | None = DEFAULT_MAX_PIXELS) -> float:
    """Mean CIEDE2000 colour difference between two images or colour lists.

    Parameters
    ----------
    reference, test : (..., 3) or (..., 4) array_like, or PIL image
        sRGB colours (uint8, uint16, or float in [0, 1], clipped as for
        :func:`psnr`; each converted by its own dtype), or CIE Lab colours
        when ``input_space="lab"``: floats or signed integers, read as the
        numbers they hold (L from 0 to 100, a and b signed); unsigned integers
        are refused there, as sRGB colours given with the wrong
        ``input_space``. A PIL
        image (or a :class:`~quantize.io.LoadedImage`), or a grey image array
        compared with a colour image, is read as :func:`quantize.reduce_colors`
        reads it, as for :func:`psnr` (``input_space="srgb"`` only). A
        fourth channel (sRGB only) is straight alpha: each colour is then
        compared as it shows over black (uint8 colours rounded to uint8, as a
        display shows them), and only the pixels visible in ``reference``
        (alpha > 0) count, as :attr:`quantize.ReduceResult.delta_e` measures;
        with none visible the result is 0.
    weights : (...) array_like, optional
        Weight of each pixel (e.g. pixel counts of distinct colours).
    input_space : {"srgb", "lab"}
        What the arrays hold.
    max_pixels : int or None
        Refuse an image of more pixels than this, as for :func:`psnr`; None means no
        limit.

    Returns
    -------
    float
        The (weighted) mean CIEDE2000 difference (Sharma et al. 2005, as
        ``skimage.color.deltaE_ciede2000``); about 1 is a just noticeable
        difference, 0 means identical colours.

    Raises
    ------
    ValueError
        For shapes that differ, bad weights, sRGB floats outside [0, 1], NaN
        or infinite values, alpha with ``input_space="lab"``, another
        ``input_space`` name, or a ``max_pixels`` below 1.
    TypeError
        For complex values, sRGB colours of another dtype than uint8,
        uint16 or float, unsigned integers or a PIL image with
        ``input_space="lab"``, an ``input_space`` that is no str, a
        ``max_pixels`` that is no int, or a result, file name, None, masked
        array or array of objects, as for :func:`psnr`.
    quantize.errors.ImageReadError
        If an image has more than ``max_pixels`` pixels (a ValueError).

    Examples
    --------
    >>> import numpy as np
    >>> from quantize.metrics import delta_e
    >>> white = np.full((1, 3), 255, dtype=np.uint8)
    >>> round(delta_e(white, white), 6), round(delta_e(white, np.zeros_like(white)), 2)
    (0.0, 100.0)
    """
    input_space = check_choice(input_space, "input_space", ("srgb", "lab"))
    ref, tst = _check_pair(reference, test, max_pixels, srgb=input_space == "srgb")
    w = _check_weights(weights, ref.shape[:-1])
    if input_space == "lab":
        if ref.shape[-1] == 4:
            raise ValueError(f"reference has shape {ref.shape}, but CIE Lab colours have no "
                             "alpha; expected (..., 3) with input_space='lab', or sRGB "
                             "colours with alpha with input_space='srgb'")
        for name, arr in (("reference", ref), ("test", tst)):
            _check_lab_dtype(arr, name)
            _check_float_values(arr, name, unit_range=False)
    if ref.shape[-1] == 4:
        visible = ref[..., 3] > 0
        w = visible.astype(np.float64) if w is None else w * visible
        if not w.any():
            return 0.0
        ref, tst = _on_black(ref, "reference"), _on_black(tst, "test")
    lab_ref, lab_tst = ((_to_lab(ref, "reference"), _to_lab(tst, "test"))
                        if input_space == "srgb" else (ref, tst))
    return mean_ciede2000(lab_ref.reshape(-1, 3), lab_tst.reshape(-1, 3),
                          None if w is None else w.ravel())


def _check_lab_dtype(arr: np.ndarray, name: str) -> None:
    """Refuse unsigned integers as CIE Lab colours.

    Their a and b cannot be negative (greens and blues), and uint8 is the dtype of
    sRGB colours: read as Lab numbers, sRGB red against green, 123.9, passed for
    a difference in place of 86.6, without a word.
    """
    if arr.dtype.kind == "u":
        raise TypeError(f"{name} has dtype {arr.dtype}, which holds no CIE Lab colours (L "
                        "0..100, a and b signed); expected floats or signed integers with "
                        "input_space='lab', or sRGB colours with input_space='srgb'")


def _on_black(rgba: np.ndarray, name: str) -> np.ndarray:
    """``(..., 3)`` sRGB colours of straight RGBA shown over black: uint8 rounded to uint8
    (as :func:`quantize.colors.lab_of`), the others as floats in [0, 1]."""
    if rgba.dtype == np.uint8:
        shown = rgba[..., :3] * (rgba[..., 3:] / 255.0)
        return np.clip(np.rint(shown), 0, 255).astype(np.uint8)
    unit = _unit_srgb(rgba, name)
    return unit[..., :3] * unit[..., 3:]


def _to_lab(rgb: np.ndarray, name: str) -> np.ndarray:
    """CIE Lab of sRGB colours, each dtype on its own scale (as ``psnr``'s peaks)."""
    if rgb.dtype == np.uint8:
        return srgb_to_lab(rgb)
    rgb = _unit_srgb(rgb, name)
    from skimage.color import rgb2lab

    return rgb2lab(rgb.reshape(-1, 1, 3)).reshape(rgb.shape)


def _unit_srgb(values: np.ndarray, name: str) -> np.ndarray:
    """uint16 or float sRGB values (alpha too) as floats in [0, 1], or raise naming them."""
    if values.dtype == np.uint16:
        return values / 65535.0
    if not np.issubdtype(values.dtype, np.floating):
        raise TypeError(f"{name} has dtype {values.dtype}; expected sRGB colours as uint8, "
                        "uint16 or float in [0, 1]")
    return unit_floats(values, f"{name} holds float sRGB colours in [{{low}}, {{high}}]; "
                               "expected values in [0, 1]")
