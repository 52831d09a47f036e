"""Pixels to weighted feature vectors for segmentation.

``build_features`` turns an image into an ``(H*W, d)`` float32 array whose rows
k-means can cluster. The columns come in named groups, each switched on by a
weight:

- ``color``: the pixel's colour in CIE Lab (default) or RGB; when texture is
  on, smoothed by a Gaussian of sigma 3 pixels so that the pixel-to-pixel
  variation inside a textured region does not split it;
- ``intensity``: CIE lightness L*, the same way;
- ``xy``: the pixel's row and column, which makes clusters spatially compact;
- ``texture``: ``len(texture_scales) + 2`` columns of L* statistics averaged
  over a window so that a region of uniform texture gets one value (the filter
  bank of :mod:`quantize.texture`): the scales split L* into as many bands
  (the detail finer than the first scale, then between each two), and the
  columns are the share of the local energy in each band but the coarsest
  (whose share is the rest: the grain), the log of the total energy (the
  contrast) and two orientation columns of the structure tensor (its direction
  and how strongly it has one); each standardised over the image (with shared
  classes, :mod:`quantize.classes`, divided by a spread fixed for the set instead),
  computed on a copy box-downscaled to at most 1024 pixels on its longer side and interpolated
  back, each pixel from the middle of the box it was averaged into.

:attr:`FeatureSpec.column_names` names every column, in order.

The scaling rule
----------------
Before weighting, each group is divided by the square root of its *total
variance over the image* (the sum of its columns' variances, measured on the
unsmoothed pixels for ``color`` and ``intensity``), and then multiplied by
``sqrt(weight)``, so that the group's total variance in the array is its
*applied weight* (:attr:`FeatureSpec.applied_weights`): its weight, except for
texture's two scalings below. The summed squared distances between pixels are
the sum of the groups' total variances (times ``2 * (H*W)**2``), so a group's share
of them is its applied weight over the sum of the applied weights: at the
default weights (1, 0, 0.3, 1) on a photo, colour 1 / 2.3. ``weight=1`` means
"as influential as colour" whatever the image size, bit depth, colour space or
the number of columns in the group, and ``weight=0`` drops the group. Measuring
the colour spread before smoothing keeps a textured region's pixel noise from
counting as colour once it has been smoothed away: with texture on, the blur
leaves the ``color`` and ``intensity`` columns somewhat less variance than their
applied weight (0.82 of it on ``skimage.data.chelsea()``). A group that is
(nearly) constant over the image is divided by a small floor instead, so it is
not blown up to unit variance, and keeps less. Texture counts fully only where
at least a tenth of the pixels has fine detail
(:func:`quantize.texture.detail_share`); on fewer, its divisor is larger,
scaling its applied weight by their share over that tenth: a flat drawing's
texture is only the strips its edges give. Nor does it count fully on an image
(its texture working copy) of fewer pixels than 96 x 96 (8 sigmas of the
texture window a side): there the window spans most of the image, so its
statistics tell how far a pixel lies from the image's sides and edges rather
than its texture, and, standardised, they outweighed the colour of small
shapes; its applied weight is scaled by the image's pixels over 96 x 96 (0.27
of it on a 50 x 50 image). Each texture column has unit variance on the working
copy, so on a photo downscaled for it the interpolated columns keep a little
less, and a column flat over the image (no ``2 Jxy`` on horizontal stripes) is
left 0, with none of its part.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, Literal

import numpy as np
from PIL import Image

from ._validation import check_choice, check_float, shown_number
from .errors import CodeAdviceWarning, warn_caller
from .io import DEFAULT_MAX_PIXELS, SCALE_ADVICE, as_rgba
from .texture import (
    INTEGRATION_SIGMA,
    WORKING_MAX_SIDE,
    detail_share,
    lab_planes,
    resize_plane,
    sample_pixels,
    smooth,
    texture_bank,
    working_lightness,
)

# lab_planes lives in quantize.texture and stays importable from here, where
# the ``color`` and ``intensity`` groups take their Lab from it.
__all__ = ["DEFAULT_TEXTURE_SCALES", "DEFAULT_WEIGHTS", "GROUPS", "MAX_TEXTURE_SCALES",
           "MAX_WEIGHT", "MIN_WEIGHT", "SPACES", "WEIGHT_ALIASES", "AlphaIgnoredWarning",
           "FeatureSpec", "alpha_advice", "build_features", "check_weights", "lab_planes",
           "warn_alpha_ignored"]

Space = Literal["lab", "rgb"]

#: Feature groups in column order.
GROUPS = ("color", "intensity", "xy", "texture")
#: Other spellings taken for a group's name: "colour", as the documentation spells the
#: word, for the ``color`` group (named so, as ``reduce_colors`` and ``n_colors`` are).
WEIGHT_ALIASES = {"colour": "color"}
#: Weights used for any group the caller does not name.
DEFAULT_WEIGHTS: dict[str, float] = {"color": 1.0, "intensity": 0.0, "xy": 0.3,
                                     "texture": 1.0}
#: The largest weight accepted. With k-means weights only count relative to each other,
#: and far larger ones overflow the float32 features (1e38 made them NaN).
MAX_WEIGHT = 1e6
#: The smallest weight above 0 accepted. A smaller one is lost beside a weight of 1 in
#: the float32 distances (their precision is about 1e-7), and far smaller ones underflow
#: the features to 0 (1e-300 made a group's columns all 0, silently).
MIN_WEIGHT = 1e-6
#: Blur scales (Gaussian sigma, in working pixels) splitting L* into texture bands.
DEFAULT_TEXTURE_SCALES = (0.7, 1.4, 2.8, 5.6)
#: The most texture scales accepted. Each adds a band, filtered over the working copy,
#: and a feature column: time and memory grow with every scale (8 clusters of a
#: 1024 x 768 photo took 5 s and 0.19 GB with the default 4 scales, 8.5 s and 0.24 GB
#: with 12, 30 s and 0.55 GB with 50). 12 scales, one an octave from 0.5 to 1024, already
#: span every scale allowed; 16 leave room for a finer split of part of it.
MAX_TEXTURE_SCALES = 16

#: Colour spaces of the ``color`` group.
SPACES = ("rgb", "lab")  # in the order every command lists them
# Gaussian sigma (pixels) of the colour and intensity blur when texture is on,
# so that the pixel-to-pixel variation of a texture does not split it. Without
# texture the colours are used as they are: a blur would mix the colours of two
# neighbours into a third one at their border.
_COLOR_SIGMA = 0.0
_COLOR_SIGMA_WITH_TEXTURE = 3.0
# ... but at most the image's longer side divided by this (small images),
_BLUR_PER_SIDE = 128
# ... and along each axis at most that side divided by this: across a strip a few pixels
# high (a banner, an image of 2 rows) the blur mixed every row into one colour, and k-means
# then had nothing but position to tell its parts apart by.
_BLUR_PER_AXIS = 8
# Floors on a group's standard deviation (in its own units), see the module docstring.
_FLOORS = {"color": 1.0, "intensity": 1.0, "xy": 1.0}
# The texture group counts fully only where at least this share of the pixels has fine
# detail (texture.detail_share); where fewer have, its weight is scaled by their share
# over this one. A flat drawing has detail only along its edges, where the texture
# window gives strips of their own: at -k 3 a 500 x 300 flag of three flat stripes (share
# 0.03) spent a cluster on those strips, and its red and gold stripes became one region.
# 95 % of BSDS500 train photos have 0.12 or more.
_TEXTURED_SHARE = 0.1
# ... and only on an image (its texture working copy) of at least _WINDOWS_ACROSS **2
# windows of the texture statistics (a square of sides _WINDOWS_ACROSS times
# texture.INTEGRATION_SIGMA, 96 pixels); on a smaller one its weight is scaled by the
# image's pixels over that square's. There a window spans most of the image, and the
# standardised statistics of a noisy flat image tell where its sides and edges are:
# k-means at -k 2 cut a 16 x 16 square on a noisy background (sigma 6) across it,
# and a 24 x 24 noisy disc into 3 regions, by that blur rather than by colour. The
# square bounds what changes: images of at least 96 pixels a side keep the full share.
_WINDOWS_ACROSS = 8


class AlphaIgnoredWarning(CodeAdviceWarning):
    """The image has transparent or translucent pixels, which :func:`build_features`
    takes by the colour stored in them, shown or not; segmentation takes the translucent
    ones so, and the fully transparent ones as one colour
    (:func:`quantize.segment.fill_transparent`)."""


def warn_alpha_ignored(alpha: np.ndarray | None, advice: str = "", *,
                       taken: str = "segmented") -> None:
    """Say in one :class:`AlphaIgnoredWarning` how many pixels of an image with ``alpha``
    (``(H, W)`` uint8, or None) are ``taken`` ("segmented", "described") by a colour that
    does not fully show."""
    if alpha is None:
        return
    hidden = int(np.count_nonzero(alpha < 255))
    if hidden:
        pixels = "pixel" if alpha.size == 1 else "pixels"
        them = "it" if hidden == 1 else "them"
        warn_caller(AlphaIgnoredWarning(
            f"alpha is ignored: {hidden} of {alpha.size} {pixels} {_are(hidden)} transparent or "
            f"translucent and {_are(hidden)} {taken} by the colour stored in {them}",
            advice=advice))


def alpha_advice(image: Any, advice: str, taken: str = "segment") -> str:
    """``advice``, what a caller can do about an :class:`AlphaIgnoredWarning`, for an
    ``image`` of any shape but ``(H, W, 2)``; of such an array, what was assumed (its second
    channel read as alpha, as ``np.asarray`` of a PIL "LA" image gives it) and how to pass
    its channels to be ``taken`` ("segment", "describe") instead: ``image[..., :3]`` would
    still be ``(H, W, 2)``.

    >>> alpha_advice(np.zeros((2, 2, 3)), "pass image[..., :3]")
    'pass image[..., :3]'
    >>> print(alpha_advice(np.zeros((2, 2, 2)), "pass image[..., :3]"))
    an (H, W, 2) array is read as grey (channel 0) and alpha (channel 1), as np.asarray \
of a PIL "LA" image gives it: pass image[..., 0] to segment one channel alone, or \
np.dstack([image, np.zeros_like(image[..., :1])]) to segment both channels as colours \
(red and green)
    """
    shape = None if isinstance(image, Image.Image) else getattr(image, "shape", None)
    if not (isinstance(shape, tuple) and len(shape) == 3 and shape[2] == 2):
        return advice
    return ('an (H, W, 2) array is read as grey (channel 0) and alpha (channel 1), as '
            f'np.asarray of a PIL "LA" image gives it: pass image[..., 0] to {taken} one '
            "channel alone, or np.dstack([image, np.zeros_like(image[..., :1])]) to "
            f"{taken} both channels as colours (red and green)")


def _are(count: int) -> str:
    """The verb for ``count`` pixels: "is" for one, else "are"."""
    return "is" if count == 1 else "are"


# What a caller of build_features can do about an AlphaIgnoredWarning.
_ALPHA_ADVICE = ("composite the image on a background first to describe what shows, or pass "
                 'its colours alone (image[..., :3], or image.convert("RGB")) to describe '
                 "them without this warning")


@dataclass(frozen=True)
class FeatureSpec:
    """How the columns of a feature array were built.

    Attributes
    ----------
    shape : (int, int)
        ``(H, W)`` of the image; row ``i`` of the array is pixel ``divmod(i, W)``.
    space : str
        Colour space of the ``color`` group.
    weights : dict of str to float
        The weight of every group, including the ones left out (weight 0), as given.
    columns : dict of str to slice
        The columns of each group present in the array.
    scales : dict of str to float
        What each group was divided by before ``sqrt(weight)`` was applied.
    texture_scales : tuple of float
        Derivative scales of the texture bank.
    applied_weights : dict of str to float
        The weight each group was applied at, its columns' total variance in the
        array: ``weights``, but for texture on an image with little fine detail or
        of fewer than 96 x 96 pixels, which scale it down (see the module
        docstring); a group's share of the summed squared distances between pixels
        is its applied weight over their sum (the colour and intensity columns, blurred
        when texture is on, keep a little less variance than theirs, and a flat texture
        column none of its part).
    column_names : tuple of str
        The name of each column (a property), in order: see
        :attr:`FeatureSpec.column_names`.
    texture_spreads : tuple of float or None
        What each texture plane was divided by, fixed for a set of images (shared
        classes: :attr:`quantize.classes.SharedClasses.texture_spreads`); None when
        each was standardised over the image.
    """

    shape: tuple[int, int]
    space: str
    weights: dict[str, float]
    columns: dict[str, slice]
    scales: dict[str, float]
    texture_scales: tuple[float, ...]
    applied_weights: dict[str, float]
    texture_spreads: tuple[float, ...] | None = None

    @property
    def column_names(self) -> tuple[str, ...]:
        """The name of each column of the feature array, in order, as many as its columns.

        ``color``: ``L*``, ``a*``, ``b*`` (``R``, ``G``, ``B`` in space "rgb");
        ``intensity``: ``intensity (L*)``; ``xy``: ``y (row)``, ``x (column)``;
        ``texture``, for scales ``s1 < ... < sn``, which split L* into ``n`` bands (the
        detail finer than ``s1``, then between each two scales): the share of the local
        energy in each band but the coarsest, whose share is the rest
        (``texture: share of band 1 (finer than s1 px)``, ``texture: share of band 2
        (s1 to s2 px)``, ...), ``texture: log energy``, and the orientation of the
        structure tensor ``J``, ``texture: orientation (Jxx - Jyy) / tr J`` and
        ``texture: orientation 2 Jxy / tr J`` (its direction and how strongly it has
        one). Scales are in pixels of the texture working copy.

        Examples
        --------
        >>> import numpy as np
        >>> X, spec = build_features(np.zeros((4, 6, 3), np.uint8), {"texture": 0})
        >>> spec.column_names
        ('L*', 'a*', 'b*', 'y (row)', 'x (column)')
        """
        names: list[str] = []
        for group in self.columns:
            names.extend(_column_names(group, self.space, self.texture_scales))
        return tuple(names)


def _column_names(group: str, space: str, scales: tuple[float, ...]) -> list[str]:
    """The names of the columns of ``group`` (see :attr:`FeatureSpec.column_names`)."""
    if group == "color":
        return ["L*", "a*", "b*"] if space == "lab" else ["R", "G", "B"]
    if group == "intensity":
        return ["intensity (L*)"]
    if group == "xy":
        return ["y (row)", "x (column)"]
    edges = [shown_number(s) for s in scales]
    bands = [f"finer than {edges[0]} px"] + [f"{a} to {b} px"
                                            for a, b in zip(edges, edges[1:], strict=False)]
    return ([f"texture: share of band {i} ({band})" for i, band in enumerate(bands[:-1], 1)]
            + ["texture: log energy", "texture: orientation (Jxx - Jyy) / tr J",
               "texture: orientation 2 Jxy / tr J"])


# --------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------


def check_weights(weights: Mapping[str, Any] | None) -> dict[str, float]:
    """Merge ``weights`` over :data:`DEFAULT_WEIGHTS` and validate them.

    A name of :data:`WEIGHT_ALIASES` (``colour``) is taken for its group (``color``), under
    whose name the weights returned hold it.

    Raises
    ------
    TypeError
        If ``weights`` is not a mapping, a name is not a str or a value is not a number.
    ValueError
        If a name is not a feature group (the message lists the valid ones), a group is
        named in both spellings (``color`` and ``colour``), a
        value is negative, above :data:`MAX_WEIGHT` (1e6), above 0 but below
        :data:`MIN_WEIGHT` (1e-6), or not finite, or every weight is 0.

    Examples
    --------
    >>> check_weights({"texture": 0})["texture"]
    0.0
    >>> check_weights({"colour": 2})["color"]
    2.0
    """
    merged = dict(DEFAULT_WEIGHTS)
    if weights is None:
        return merged
    if not isinstance(weights, Mapping):
        raise TypeError(f"weights should be a mapping of group name to number, "
                        f"got {type(weights).__name__}")
    for given, value in weights.items():
        name = WEIGHT_ALIASES.get(given, given)
        check_choice(name, "weight name", GROUPS)
        if name != given and name in weights:
            raise ValueError(f"weight {given}={value} and {name}={weights[name]} are one "
                             f"weight, given twice; expected it once, as {name}")
        merged[name] = check_float(value, f"weight {given}", minimum=0.0, maximum=MAX_WEIGHT)
        if 0 < merged[name] < MIN_WEIGHT:
            raise ValueError(f"weight {given}={value} should be 0 or >= "
                             f"{shown_number(MIN_WEIGHT)}; with k-means, where weights count "
                             "relative to each other, a smaller one is lost beside a weight "
                             "of 1 in the float32 distances (the hierarchy takes the same "
                             "range)")
    if not any(merged.values()):
        named = ", ".join(f"{name}=0" for name in GROUPS[:-1]) + f" and {GROUPS[-1]}=0"
        raise ValueError(f"weight {named} leave nothing to compare pixels by; expected at "
                         "least one weight > 0")
    return merged


def check_texture_scales(scales: Sequence[Any]) -> tuple[float, ...]:
    """Validate the derivative scales of the texture bank: a sequence of 1 to
    :data:`MAX_TEXTURE_SCALES` (16) numbers from 0.5 to
    :data:`~quantize.texture.WORKING_MAX_SIDE` (1024).

    A list, tuple or 1-D array, in increasing order. A scale is a Gaussian sigma
    in pixels of the working image, whose longer side is at most 1024 pixels: a
    wider blur describes no texture, and its kernel (six sigmas wide) would take minutes
    and gigabytes of memory (a sigma of 1e7 takes 1.4 GB).

    Raises
    ------
    TypeError
        If ``scales`` is neither a sequence nor an array, or an item is not a number.
    ValueError
        If it is an array of another dimension than 1, is empty or holds more than 16
        scales, an item is below 0.5, above 1024 or not finite, or the scales do not
        increase.

    Examples
    --------
    >>> check_texture_scales([1, 2.5])
    (1.0, 2.5)
    >>> check_texture_scales(range(1, 51))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: texture_scales holds 50 scales; expected 1 to 16 (each adds a band ...
    """
    if isinstance(scales, np.ndarray):
        if scales.ndim != 1:
            raise ValueError(f"texture_scales should be a 1-D sequence of numbers, got a "
                             f"{scales.ndim}-D array of shape {scales.shape}")
        scales = scales.tolist()
    if isinstance(scales, str) or not isinstance(scales, Sequence):
        raise TypeError(f"texture_scales={scales!r} should be a sequence of numbers, "
                        f"got {type(scales).__name__}")
    if len(scales) == 0:
        raise ValueError(f"texture_scales={scales!r} should hold at least one scale")
    if len(scales) > MAX_TEXTURE_SCALES:
        raise ValueError(f"texture_scales holds {len(scales)} scales; expected 1 to "
                         f"{MAX_TEXTURE_SCALES} (each adds a band to filter and a feature "
                         "column; 12 scales, one an octave from 0.5 to 1024, span them all)")
    checked = tuple(check_float(s, f"texture_scales[{i}]", minimum=0.5,
                                maximum=WORKING_MAX_SIDE) for i, s in enumerate(scales))
    for i in range(1, len(checked)):
        if checked[i] <= checked[i - 1]:
            raise ValueError(f"texture_scales[{i}]={scales[i]!r} should be larger than "
                             f"texture_scales[{i - 1}]={scales[i - 1]!r} (each band lies "
                             "between two scales: give them in increasing order, none twice)")
    return checked


# --------------------------------------------------------------------------
# Public entry point
# --------------------------------------------------------------------------


def build_features(
    image: Any,
    weights: Mapping[str, float] | None = None,
    *,
    space: Space = "lab",
    texture_scales: Sequence[float] = DEFAULT_TEXTURE_SCALES,
    max_pixels: int | None = DEFAULT_MAX_PIXELS,
) -> tuple[np.ndarray, FeatureSpec]:
    """Per-pixel feature vectors, one weighted group of columns per feature kind.

    Parameters
    ----------
    image : (H, W), (H, W, 1), (H, W, 2), (H, W, 3) or (H, W, 4) ndarray, or PIL image
        uint8, uint16, bool or float in [0, 1] (see :func:`quantize.io.as_rgba`);
        an alpha channel is ignored, as :func:`quantize.segment` ignores it: each
        pixel is described by the colour stored in it, with an
        :class:`AlphaIgnoredWarning` when some pixel is not opaque.
    weights : dict of str to float, optional
        Weight per group (``color``, ``intensity``, ``xy``, ``texture``); groups
        not named keep :data:`DEFAULT_WEIGHTS`. Each group is scaled to a total
        variance of its weight, texture's lowered on an image with little fine detail
        or of fewer than 96 x 96 pixels (``spec.applied_weights``), so that its share of
        the squared distances between pixels is its applied weight over the sum of
        them (see the module docstring for the rule).
    space : {"lab", "rgb"}
        Colour space of the ``color`` group.
    texture_scales : sequence of float
        Derivative scales (Gaussian sigma in pixels of the texture working
        image, at most 1024 pixels on its longer side), 1 to :data:`MAX_TEXTURE_SCALES`
        (16) of them, each from 0.5 to 1024.
    max_pixels : int or None
        Refuse an image of more pixels than this (default
        :data:`~quantize.io.DEFAULT_MAX_PIXELS`, the limit
        :func:`~quantize.io.load_image` puts on files), checked from its shape before any
        copy; None means no limit.

    Returns
    -------
    X : (H*W, d) ndarray of float32
        Row ``i`` describes pixel ``divmod(i, W)``.
    spec : FeatureSpec
        Column layout and names (``spec.column_names``), weights and scales.

    Raises
    ------
    ValueError
        For an unknown group name, a negative or non-finite weight, an unknown
        ``space``, or a malformed image.
    TypeError
        For an image or parameter of the wrong type.
    quantize.errors.ImageReadError
        If ``image`` has more than ``max_pixels`` pixels (a ValueError).

    Examples
    --------
    >>> import numpy as np
    >>> img = np.zeros((4, 6, 3), dtype=np.uint8)
    >>> X, spec = build_features(img, {"texture": 0})
    >>> X.shape, X.dtype, spec.columns["xy"]
    ((24, 5), dtype('float32'), slice(3, 5, None))
    """
    rgb, alpha = as_rgba(image, max_pixels=max_pixels, dark_advice=SCALE_ADVICE)
    w = check_weights(weights)
    space = check_choice(space, "space", SPACES)
    scales = check_texture_scales(texture_scales)
    warn_alpha_ignored(alpha, alpha_advice(image, _ALPHA_ADVICE, "describe"),
                       taken="described")
    return feature_array(rgb, w, space, scales)


def feature_array(rgb: np.ndarray, w: dict[str, float], space: str,
                  scales: tuple[float, ...], lab: np.ndarray | None = None,
                  divisors: Mapping[str, float] | None = None,
                  texture_spreads: tuple[float, ...] | None = None
                  ) -> tuple[np.ndarray, FeatureSpec]:
    """:func:`build_features` on validated input, group by group.

    ``rgb`` is ``(H, W, 3)`` uint8, ``w`` every group's weight (from
    :func:`check_weights`), ``scales`` from :func:`check_texture_scales`; ``lab``
    the Lab planes of ``rgb`` (:func:`lab_planes`) when the caller has them, read and
    left as they are (otherwise converted here when a group needs them). ``divisors``,
    one per active group, replace the image's own (``spec.scales``), so that the
    features of several images are on one scale (shared classes,
    :mod:`quantize.classes`); so do ``texture_spreads``, one per texture column, the
    spread each texture plane is divided by instead of being standardised over the image
    (:func:`quantize.texture.texture_bank`).
    """
    h, wd, _ = rgb.shape
    active = [g for g in GROUPS if w[g] > 0]
    if lab is None and (space == "lab" or "intensity" in active):
        lab = lab_planes(rgb)
    widths = {"color": 3, "intensity": 1, "xy": 2,
              "texture": len(scales) + 2}
    columns, start = {}, 0
    for g in active:
        columns[g] = slice(start, start + widths[g])
        start += widths[g]
    X = np.empty((h * wd, start), dtype=np.float32)
    sigma = (min(_COLOR_SIGMA_WITH_TEXTURE, max(h, wd) / _BLUR_PER_SIDE) if w["texture"] > 0
             else _COLOR_SIGMA)
    blur = (min(sigma, h / _BLUR_PER_AXIS), min(sigma, wd / _BLUR_PER_AXIS))  # (rows, columns)
    given, divisors, applied = divisors, {}, dict.fromkeys(GROUPS, 0.0)
    for g in active:
        cols = X[:, columns[g]]
        fill = partial(_fill_texture, spreads=texture_spreads) if g == "texture" else _FILL[g]
        divisors[g], kept = fill(cols, rgb, lab, space, scales, blur)
        if given is not None:
            divisors[g] = given[g]
        cols *= np.float32(math.sqrt(w[g]) / divisors[g])
        applied[g] = w[g] * kept
    spec = FeatureSpec((h, wd), space, w, columns, divisors, scales, applied,
                       None if texture_spreads is None else tuple(texture_spreads))
    return X, spec


# --------------------------------------------------------------------------
# Groups: each fills its columns in place and returns its divisor and the share of its
# weight it keeps (below 1 for texture only: _TEXTURED_SHARE, _WINDOWS_ACROSS)
# --------------------------------------------------------------------------


def _fill_color(out, rgb, lab, space, scales, blur) -> tuple[float, float]:
    # Smoothed in the colour space itself, so a blurred border stays midway.
    planes = lab if space == "lab" else np.moveaxis(rgb, 2, 0).astype(np.float32)
    divisor = _group_std(planes, "color")
    for j, plane in enumerate(planes):
        out[:, j] = smooth(plane, blur).ravel()
    return divisor, 1.0


def _fill_intensity(out, rgb, lab, space, scales, blur) -> tuple[float, float]:
    divisor = _group_std(lab[:1], "intensity")
    out[:, 0] = smooth(lab[0], blur).ravel()
    return divisor, 1.0


def _fill_xy(out, rgb, lab, space, scales, blur) -> tuple[float, float]:
    h, w = rgb.shape[:2]
    view = out.reshape(h, w, 2)
    view[:, :, 0] = np.arange(h, dtype=np.float32)[:, None]
    view[:, :, 1] = np.arange(w, dtype=np.float32)[None, :]
    # Variance of 0..n-1 is (n^2 - 1) / 12: exact, no sample needed.
    return max(math.sqrt((h * h - 1) / 12 + (w * w - 1) / 12), _FLOORS["xy"]), 1.0


def _fill_texture(out, rgb, lab, space, scales, blur, spreads=None) -> tuple[float, float]:
    h, w = rgb.shape[:2]
    lightness, factor = working_lightness(rgb, None if lab is None else lab[0])
    bank = texture_bank(lightness, scales, INTEGRATION_SIGMA, spreads)
    for j, plane in enumerate(bank):
        out[:, j] = resize_plane(plane, (h, w), factor).ravel() if factor > 1 else plane.ravel()
    # Each column has unit variance, so the group's total variance is its width; with
    # fine detail on few pixels, or on an image of few windows, a larger divisor (see
    # _TEXTURED_SHARE and _WINDOWS_ACROSS).
    share = min(max(detail_share(lightness), 1e-6), _TEXTURED_SHARE)
    windows = _window_share(lightness.shape)
    divisor = math.sqrt(bank.shape[0] * _TEXTURED_SHARE / share)
    return divisor / math.sqrt(windows), share / _TEXTURED_SHARE * windows


def _window_share(shape: tuple[int, int]) -> float:
    """The share of its weight the texture group keeps on a texture working copy of
    ``shape`` (h, w): its pixels over a square of ``_WINDOWS_ACROSS`` windows a side,
    at most 1."""
    side = _WINDOWS_ACROSS * INTEGRATION_SIGMA
    return min(1.0, shape[0] * shape[1] / (side * side))


_FILL = {"color": _fill_color, "intensity": _fill_intensity, "xy": _fill_xy,
         "texture": _fill_texture}


def _group_std(planes: np.ndarray, group: str) -> float:
    """Square root of the summed variances of ``planes`` (c, H, W), on a strided sample."""
    sample = sample_pixels(planes)
    return max(math.sqrt(float(sample.var(axis=1).sum())), _FLOORS[group])
