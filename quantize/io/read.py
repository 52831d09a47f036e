"""Reading images: files, arrays and PIL images as 8-bit sRGB pixels and alpha.

:func:`load_image` reads any file Pillow opens; :func:`as_rgba` takes arrays and PIL
images; :func:`probe_image` reads a header only. What happens to each kind of input is
listed in :mod:`quantize.io`.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import io as _io
import math
import numbers
import os
import re
import struct
import sys
import threading
import unicodedata
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, BinaryIO, Literal, NamedTuple

import numpy as np
from PIL import Image, ImageFile, UnidentifiedImageError

from .._kernels import row_bands
from .._validation import (
    check_bool,
    check_choice,
    check_dpi,
    check_float,
    check_image_pixels,
    check_int,
    check_max_frames,
    check_max_pixels,
    check_optional_int,
    check_path,
    refuse_masked,
    shown_number,
    unit_floats,
)
from ..errors import (
    CodeAdviceWarning,
    FirstFrameWarning,
    ImageReadError,
    InputParameterError,
    QuantizeWarning,
    warn_caller,
)
from ..names import is_link_loop, quoted
from ..png import (
    check_frame_count,
    check_png_chunks,
    check_png_frames,
    damaged_png_chunk,
    damaged_png_file,
    first_short_png_image,
    frame_controls,
    overlong_trns,
    png_text,
    readable_png,
    second_reader,
    warn_png_end,
    whole_png_rows,
)
from .jpeg import check_jpeg_scan
from .nodata import (
    NoData,
    NoDataWarning,
    check_nodata,
    keyed_when_decoded,
    no_data_mask,
    nodata_key,
    set_apart,
)
from .profiles import (
    DEFAULT_INTENT,
    Intent,
    SourceProfile,
    check_intent,
    cms_intent,
    converted_profile,
)
from .resolution import scaled_dpi, stated_dpi, stated_pixel_size, upright_dpi
from .stretch import (
    DEFAULT_SOFTENING,
    StretchCurve,
    check_stretch,
    curve_levels,
)

__all__ = ["DEFAULT_MAX_FRAMES", "DEFAULT_MAX_PIXELS", "EXIF_PICTURE_TAGS", "GEOTIFF_TAGS",
           "ColorProfileWarning",
           "CompositedFrameWarning", "DamagedExifWarning", "DarkPages", "FOURTH_CHANNELS",
           "FourthChannelWarning", "KeyedCanvas",
           "OUTLIER_SHARE", "SCALE_ADVICE", "StretchAdvice", "bulk_levels", "outside_levels",
           "LoadedImage", "OpenInput", "PagesLeftOutWarning", "PixelListWarning",
           "stack_pages",
           "PixelRangeWarning",
           "TransparencyChunkWarning",
           "TransparentColorWarning", "UnterminatedGifWarning", "as_rgba", "check_frame_limit",
           "check_frame_pixels",
           "STREAM_NAME", "check_input_path", "copy_stream", "drawn_alike_by_pillow",
           "exif_orientation", "first_page",
           "forget_default_image", "frame_rgba", "frames_canvas", "hidden_frames",
           "ignore_overlong_trns", "input_size", "is_file_object",
           "is_readable_object", "is_stream", "keyed_canvas_frames", "kept_exif",
           "load_image", "low_depth_gray_key", "missing_file", "open_input", "pillow_limit_lifted",
           "probe_image",
           "read_errors", "read_unmapped", "readable_input", "require_regular_file",
           "seek_first_page",
           "shown_frames", "shows_animation", "sixteen_bit_key", "tiff_exif", "tiff_geo_tags",
           "unread_format",
           "upright_exif",
           "warn_pages_left_out", "warn_unterminated_gif", "wide_page", "wide_rgb_png"]

#: Largest image accepted by default: 250 megapixels (a 100 MP photo passes,
#: a 100k x 100k header does not). Override with ``max_pixels``.
DEFAULT_MAX_PIXELS = 250_000_000

#: Most frames (pages) of an animation or TIFF stack read by default: ten thousand, above
#: the 600 to 1,000 frames of a long motion-design clip, below the cost a service should
#: take from one upload (each frame costs a fixed time, however few its pixels, which
#: the pixel limit does not count). Override with ``max_frames``.
DEFAULT_MAX_FRAMES = 10_000

_SIXTEEN_BIT_MODES = {"I;16", "I;16B", "I;16L", "I;16N", "I"}
#: The modes of grey files (:attr:`LoadedImage.gray`), and of grey frames, which a TIFF's
#: pages keep grey (:attr:`~quantize.animation.frames.Frame.gray`).
GRAY_MODES = {"1", "L", "LA", "La", "F", *_SIXTEEN_BIT_MODES}
#: An image of more than 8 bits whose brightest pixel reads below this level (of 255) is
#: said to come out dark; segment's warning of clusters it cannot tell apart calls an
#: image so dark dark too.
DARK_TOP = 64
_EXIF_ORIENTATION = 0x0112
# Pixels converted per band when turning a Pillow image into arrays. Bands of
# 2**18 pixels (1 MB in Pillow) reuse the memory the last band freed; bands of
# 2**22 pixels were mapped afresh each time, and converting a 12 MP photo took
# 0.10-0.12 s instead of 0.05 s.
_BAND_PIXELS = 1 << 18


class DarkPages:
    """The pages of one file read in turn (:func:`frame_rgba`, a multi-page TIFF's as an
    animation's frames), said to come out dark (a :class:`PixelRangeWarning`) once a
    file: of the first page that does, named, the warning ending with ``advice`` when
    given (the caller's job's way out, as :func:`load_image`'s ``dark_advice``).
    ``said`` is whether it was said.

    >>> pages = DarkPages("the output is 8-bit and as dark")
    >>> pages.advice, pages.said
    ('the output is 8-bit and as dark', False)
    """

    def __init__(self, advice: str | None = None) -> None:
        self.advice = advice
        self.said = False


class _StretchRange:
    """The values a stretch read as black and white (``low``, ``high``: None until one
    did), recorded by :func:`_wide_gray_scale` and :func:`_wide_rgb_scale` as they read an
    image's values of more than 8 bits, for :attr:`LoadedImage.stretch_range`; and
    ``values``, the values so stretched, for :attr:`LoadedImage.stretch_values`."""

    def __init__(self) -> None:
        self.low: float | None = None
        self.high: float | None = None
        self.values: np.ndarray | None = None


class _ValueCount:
    """How many distinct values a grey image of more than 8 bits read without a stretch
    holds (``values``) and how many 8-bit levels they came out as (``levels``), recorded
    by :func:`_pil_to_rgba` for :attr:`LoadedImage.merged` a band of rows at a time
    (:meth:`_ValueCount.add`, then :meth:`_ValueCount.finish`); None until counted.

    >>> counted = _ValueCount()
    >>> counted.add(np.array([[900, 901]], np.uint16), None)
    >>> counted.add(np.array([[1000, 5]], np.uint16), np.array([[True, False]]))
    >>> counted.finish(lambda v: np.rint(v / 257.0).astype(np.uint8))
    >>> counted.values, counted.levels
    (3, 1)
    """

    def __init__(self) -> None:
        self.values: int | None = None
        self.levels: int | None = None
        self._present: np.ndarray | None = None  # of 16-bit counts: which occur
        self._distinct: list[np.ndarray] = []  # of others: each band's distinct values

    def add(self, band: np.ndarray, shown: np.ndarray | None) -> None:
        """Count the values of ``band``, of the pixels ``shown`` (all when None), NaN
        and infinite ones left out."""
        if shown is not None:
            band = band[shown]
        if band.dtype == np.uint16:
            if self._present is None:
                self._present = np.zeros(65536, bool)
            self._present[band] = True
            return
        if band.dtype.kind == "f":
            band = band[np.isfinite(band)]
        self._distinct.append(np.unique(band))

    def finish(self, levels_of: Callable[[np.ndarray], np.ndarray]) -> None:
        """Record how many distinct values were counted and how many levels
        ``levels_of`` (the scaling that read them) makes of them."""
        if self._present is not None:
            distinct = np.flatnonzero(self._present).astype(np.uint16)
        else:
            distinct = np.unique(np.concatenate(self._distinct or [np.zeros(0)]))
        self.values = int(distinct.size)
        self.levels = int(np.unique(levels_of(distinct)).size) if distinct.size else 0


class StretchAdvice(str):
    """A ``dark_advice`` (:func:`load_image`, :func:`as_rgba`) that offers a stretch of the
    image's own range, which an image of one value cannot use: its warning then says that
    it holds one value instead. A plain string (``reduce``'s "the output is 8-bit and as
    dark") is said of such an image too.

    >>> StretchAdvice("give stretch=True") == "give stretch=True"
    True
    """

    __slots__ = ()


#: The ``dark_advice`` of a function that takes no ``stretch`` (``build_features``, the
#: metrics): how to pass an image whose values come out dark, in place of
#: ``stretch=True``, which it cannot take.
SCALE_ADVICE = ("scale the values to fill their whole range first (0..65535 for 16-bit counts, "
                "0..1 for floats)")


class _Reading(NamedTuple):
    """How :func:`load_image` and :func:`as_rgba` read values of more than 8 bits:
    ``stretch`` maps an image's own range (its darkest to its brightest value) onto
    0..255; without it, an image whose brightest value comes out dark is said so
    (:func:`_warn_dark_values`), the warning ending with ``dark_advice`` when given (the
    caller's job's own way out, in the facts the command line shows); with it, such an
    image of one value, which cannot be stretched, is said so. Of the pages of a file
    read in turn, ``pages`` says it once (:class:`DarkPages`). ``clip`` (a percentage,
    with ``stretch``) stretches from the ``clip``-th to the ``100 - clip``-th percentile of
    the values instead of their darkest and brightest (:func:`_extent_of`). ``curve``
    and ``softening`` (:mod:`quantize.io.stretch`) make levels of the values scaled to
    0..1 by that range (:func:`_curved`). ``fixed`` (with ``stretch``) is the range
    itself, the values read as black and white whatever the image holds (values beyond
    it clipped): pages and files of other ranges are then read on one scale."""

    stretch: bool = False
    dark_advice: str | None = None
    pages: DarkPages | None = None
    stretched: _StretchRange | None = None
    clip: float = 0.0
    curve: str = "linear"
    softening: float = DEFAULT_SOFTENING
    fixed: tuple[float, float] | None = None
    counted: _ValueCount | None = None


def _stretch_reading(stretch: Any, stretch_clip: Any, dark_advice: str | None,
                     stretch_curve: Any = "linear", stretch_softening: Any = None,
                     stretch_range: Any = None) -> _Reading:
    """The :class:`_Reading` of :func:`load_image`'s ``stretch``, ``stretch_clip``,
    ``stretch_curve``, ``stretch_softening`` and ``stretch_range``, checked
    (:func:`~quantize._validation.check_stretch_clip`,
    :func:`~quantize.io.stretch.check_stretch_curve`,
    :func:`~quantize.io.stretch.check_stretch_range`): a stretch when ``stretch`` is
    given, ``stretch_clip`` above 0, a curve other than ``"linear"`` or a fixed range.

    >>> _stretch_reading(False, 0.5, None)[:2], _stretch_reading(False, 0.5, None).clip
    ((True, None), 0.5)
    >>> _stretch_reading(False, 0, None, "log")[0], _stretch_reading(False, 0, None, "log").curve
    (True, 'log')
    >>> _stretch_reading(False, 0, None, stretch_range=(0, 4095)).fixed
    (0.0, 4095.0)
    """
    asked = check_stretch(stretch, stretch_clip, stretch_curve, stretch_softening,
                          stretch_range)
    return _Reading(asked.stretch, dark_advice, clip=asked.clip, curve=asked.curve,
                    softening=asked.softening, fixed=asked.fixed)


def _curved(unit: np.ndarray, reading: _Reading) -> np.ndarray:
    """Levels 0..255 (float64, unrounded) of ``unit``, values scaled to 0..1 by the range
    a stretch read as black and white and clipped to it, through ``reading``'s curve
    (:func:`~quantize.io.stretch.curve_levels`).

    >>> _curved(np.array([0.0, 0.25, 1.0]), _Reading(True, curve="sqrt")).tolist()
    [0.0, 127.5, 255.0]
    """
    return curve_levels(unit, reading.curve, reading.softening)


def _extent_of(values: np.ndarray, clip: float = 0.0) -> tuple[Any, Any] | None:
    """The darkest and brightest of ``values`` (any shape), or with ``clip`` (a
    percentage) the values that leave ``clip`` percent beyond them at each end: each a
    value of the image, the lowest at or above the ``clip``-th percentile and the highest
    at or below the ``100 - clip``-th (:func:`numpy.percentile`'s ``"higher"`` and
    ``"lower"``; interpolated between them when those cross, of a few values). None when
    there are none.

    >>> values = np.array([10, 20, 30, 40, 50, 60, 70, 80, 90, 65535], np.uint16)
    >>> _extent_of(values), _extent_of(values, 10.0), _extent_of(values[8:], 10.0)
    ((10, 65535), (20.0, 90.0), (6634.5, 58990.5))
    """
    if values.size == 0:
        return None
    if not clip:
        return values.min().item(), values.max().item()
    low = float(np.percentile(values, clip, method="higher"))
    high = float(np.percentile(values, 100.0 - clip, method="lower"))
    if low > high:
        low, high = (float(v) for v in np.percentile(values, [clip, 100.0 - clip]))
    return low, high


def _record_stretch(reading: _Reading, low: float, high: float) -> None:
    """Record in ``reading.stretched``, when it has one, that ``low`` and ``high`` were
    read as black and white."""
    if reading.stretched is not None:
        reading.stretched.low, reading.stretched.high = float(low), float(high)


def _record_values(reading: _Reading | None, values: np.ndarray) -> None:
    """Record in ``reading.stretched``, when a range was recorded in it, ``values`` (the
    input's, ``(H, W)`` or ``(H, W, 3)``, upright) as those stretched, their NaN and
    infinite ones (of a float image, shown black) as the range's low."""
    stretched = None if reading is None else reading.stretched
    if stretched is None or stretched.low is None:
        return
    if values.dtype.kind == "f" and not np.isfinite(values).all():
        values = np.nan_to_num(values, nan=stretched.low, posinf=stretched.low,
                               neginf=stretched.low)
    stretched.values = values


def _curve_reading(reading: _Reading | None) -> _Reading | None:
    """``reading`` when its values were stretched (a range recorded in
    ``reading.stretched``) by a curve other than ``"linear"``, whose levels
    :func:`_curved` makes; None when they are made as a linear stretch (or none) makes
    them, by the code that made them before there were curves."""
    if (reading is None or reading.curve == "linear" or reading.stretched is None
            or reading.stretched.low is None):
        return None
    return reading


_AS_COUNTS = _Reading()


@dataclass(frozen=True, eq=False)
class LoadedImage:
    """Pixels read from a file, normalised for the pipeline.

    Two are equal only when they are the same object (as two
    :class:`~quantize.ReduceResult` are): compare their arrays with
    :func:`numpy.array_equal` to compare pixels.

    Attributes
    ----------
    rgb : (H, W, 3) ndarray of uint8
        sRGB pixels, upright.
    alpha : (H, W) ndarray of uint8, or None
        Opacity when the file has any transparency, else None.
    path : Path or None
        Where it came from.
    mode : str
        Pillow's mode of the file ("RGB", "P", "I;16", ...).
    format : str or None
        Pillow's format name ("PNG", "JPEG", ...).
    n_frames : int
        Frames a player shows (see :func:`hidden_frames`); only the first was read.
    loop, duration : int, float or None
        The loop count and the first frame's duration (ms) as the file stores
        them (a GIF counts repeats after the first play, APNG and WebP count
        plays), or None; an animation of one frame has them.
    dpi : (float, float) or None
        The physical resolution (x, y) in dots per inch that the file states in real
        units (a PNG's pHYs, a JPEG's JFIF density or EXIF, a TIFF's tags, a BMP's),
        upright: swapped by an EXIF orientation of 5 to 8. None when it states none, or
        only an aspect (see :func:`~quantize.io.resolution.stated_dpi`). Outputs
        written from it keep it where their format holds one.
    exif : bytes or None
        The EXIF block of a JPEG, WebP or PNG (``Exif\\0\\0`` and its TIFF structure: the
        artist, copyright, description, camera and date tags), its Orientation set to 1,
        as the pixels are upright (:func:`upright_exif`), or that a TIFF page's tags give
        (:func:`tiff_exif`); without the thumbnail of the original that a camera puts in
        its second directory (IFD1); None when it has none, or its EXIF is damaged.
        Outputs written from it keep it where their format holds one.
    stretch_range : (float, float) or None
        Read with ``stretch``, the input's own values read as 0 and as 255 (its darkest
        and brightest over the colour channels of the pixels that show: 16-bit or float
        values, or 8-bit levels); a value ``v`` of ``rgb`` is about ``low + v * (high -
        low) / 255`` of them. None when not stretched (an image of one value, say).
    source_profile : SourceProfile or None
        What the pixels were converted to sRGB from, by the file's embedded ICC profile:
        its colour space ("CMYK", "RGB", "GRAY") and the profile's description
        (:func:`~quantize.io.profiles.converted_profile`). None for a file without a
        profile, with an sRGB one, or with one left out (not applied).
    pixel_size : (float, float) or None
        The size (x, y) of a pixel in micrometres that a TIFF states on purpose (its
        ResolutionUnit tag in centimetres, or in inches but not 72 or 96 dpi, or an ImageJ
        unit; see :func:`~quantize.io.resolution.stated_pixel_size`), upright as ``dpi``
        is. None of any other file: a photo's or a screenshot's dpi is no scale.
    nodata : tuple of float or None
        The no-data value whose pixels were read as fully transparent (``nodata`` given, or
        a TIFF's GDAL_NODATA tag: :mod:`quantize.io.nodata`), in the input's own units: one
        number of a grey image, three (red, green, blue) of a colour one. None when none.
    gray_profile : bytes or None
        The grey ICC profile of a grey file read with ``keep_gray_profile``
        (:meth:`OpenInput.load`): its levels are read as they are, not converted to sRGB,
        for an output written grey with this profile. None otherwise.
    text : tuple of (bytes, bytes)
        A PNG's (APNG's) text chunks, the type (``b"tEXt"``, ``b"zTXt"``, ``b"iTXt"``) and
        the data of each as stored: its licence, author, an XMP packet
        (:func:`~quantize.png.png_text`: not ImageMagick's copies of its EXIF or profile).
        ``()`` of any other file. A PNG output written from it keeps them.
    stretch_values : (H, W) or (H, W, 3) ndarray, or None
        Read with ``stretch`` (``stretch_range`` not None), the input's values that were
        stretched, upright, in their own dtype (float64 of a float image, its NaN and
        infinite values as ``stretch_range``'s low, which they are shown as): of a grey
        image (H, W), else its colour channels. The regions' ``mean_input`` is their
        mean (:meth:`~quantize.segment.SegmentResult.region_stats`), exact whatever the
        curve. None when not stretched.
    geo_tags : bytes or None
        A TIFF page's georeferencing, the tags of :data:`GEOTIFF_TAGS` it has (GeoTIFF's
        and GDAL's), as an EXIF block of their types and values as stored
        (:func:`tiff_geo_tags`). A .tif output of the same pixels (``reduce``'s) keeps them
        byte for byte; other outputs say in a note that they leave them out. None of any
        other file, and of a page its orientation tag turns.
    merged : (int, int) or None
        Read without a stretch, of a grey image of more than 8 bits (16-bit, 32-bit or
        float), whose values came out as fewer 8-bit levels than it holds: how many
        distinct values it holds (of the pixels that show) and how many levels they came
        out as. Measures of ``rgb`` (a reduction's PSNR) are then of this 8-bit reading,
        not of the file's values. None otherwise.

    Raises
    ------
    TypeError, ValueError
        When built by hand with a field :func:`load_image` does not give: ``rgb`` not
        a non-empty (H, W, 3) uint8 array, ``alpha`` not None or an (H, W) uint8 array,
        ``path`` not a path or None, ``mode`` not a str, ``format`` not a str or None,
        ``n_frames`` not an integer >= 1, ``loop`` not an integer >= 0 or None,
        ``duration`` not a number >= 0 or None, ``dpi`` not None or two finite
        numbers > 0, ``exif`` not bytes or None, ``stretch_range`` not None or two finite
        numbers, the first the smaller, ``pixel_size`` not None or two finite numbers
        > 0, ``nodata`` not None or one or three finite numbers, ``gray_profile`` not
        bytes or None, ``text`` not pairs of bytes, ``geo_tags`` not bytes or None. The
        message names the field.
    """

    rgb: np.ndarray
    alpha: np.ndarray | None
    path: Path | None = None
    mode: str = "RGB"
    format: str | None = None
    n_frames: int = 1
    loop: int | None = None
    duration: float | None = None
    dpi: tuple[float, float] | None = None
    exif: bytes | None = None
    stretch_range: tuple[float, float] | None = None
    source_profile: SourceProfile | None = None
    pixel_size: tuple[float, float] | None = None
    nodata: tuple[float, ...] | None = None
    gray_profile: bytes | None = None
    text: tuple[tuple[bytes, bytes], ...] = ()
    stretch_values: np.ndarray | None = field(default=None, repr=False)
    geo_tags: bytes | None = field(default=None, repr=False)
    merged: tuple[int, int] | None = None

    def on_matte(self, matte: tuple[int, int, int] | None) -> LoadedImage:
        """This image with its translucent pixels composited onto the opaque colour
        ``matte`` and made opaque (:func:`~quantize.colors.on_matte`), its alpha None when
        nothing is left transparent; itself without a ``matte`` (None) or translucent
        pixels. Prior validation of ``matte`` is assumed
        (:func:`~quantize.reduce.options.check_matte`).

        >>> soft = LoadedImage(np.full((1, 2, 3), 200, np.uint8),
        ...                    np.array([[255, 128]], np.uint8))
        >>> matted = soft.on_matte((0, 0, 0))
        >>> matted.rgb[0, 1].tolist(), matted.alpha
        ([100, 100, 100], None)
        """
        alpha = self.alpha
        if matte is None or alpha is None or not ((alpha > 0) & (alpha < 255)).any():
            return self
        from ..colors import on_matte  # for a matte only

        rgba = on_matte(np.dstack([self.rgb, alpha]), matte)
        clear = rgba[..., 3] == 0
        return replace(self, rgb=np.ascontiguousarray(rgba[..., :3]),
                       alpha=np.ascontiguousarray(rgba[..., 3]) if clear.any() else None)

    def __post_init__(self) -> None:
        _check_arrays(self.rgb, self.alpha)
        for name, value in _checked_fields(self).items():  # a str path as a Path, say
            object.__setattr__(self, name, value)

    @property
    def shape(self) -> tuple[int, int]:
        return self.rgb.shape[:2]

    @property
    def gray(self) -> bool:
        """Whether the file holds grey pixels: Pillow's mode "1", "L", "LA", 16-bit or float
        grey (not a palette image, nor an RGB one whose pixels happen to be grey).

        >>> LoadedImage(np.zeros((1, 1, 3), np.uint8), None, mode="L").gray
        True
        """
        return self.mode in GRAY_MODES

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        """The pixels as the library reads them (:func:`as_rgba`): ``(H, W, 3)`` uint8
        sRGB, or ``(H, W, 4)`` with ``alpha`` as a fourth channel when some pixel is not
        opaque; the first frame of an animation, the one read. ``dtype`` and ``copy`` as
        NumPy's array protocol takes them: ``copy=False`` of an image with alpha raises
        ``ValueError``, as its channels are stacked into a new array.

        >>> image = LoadedImage(np.zeros((2, 3, 3), np.uint8), None)
        >>> np.asarray(image).shape, np.asarray(image) is image.rgb
        ((2, 3, 3), True)
        >>> see_through = LoadedImage(image.rgb, np.array([[0, 255, 255]] * 2, np.uint8))
        >>> np.asarray(see_through)[0, :, 3].tolist()
        [0, 255, 255]
        """
        alpha = _alpha_as_read(self)
        if alpha is None:
            return np.array(self.rgb, dtype=dtype, copy=copy)
        if copy is False:
            raise ValueError("a LoadedImage with alpha cannot be given as an array without "
                             "a copy: its rgb and alpha are stacked into a new one")
        stacked = np.dstack([self.rgb, alpha])
        return stacked if dtype is None else stacked.astype(dtype, copy=False)


def _alpha_as_read(image: LoadedImage) -> np.ndarray | None:
    """``image.alpha``, or None when it has none or is opaque in every pixel, as the
    library reads it (:func:`as_rgba`, :meth:`LoadedImage.__array__`)."""
    alpha = image.alpha
    return None if alpha is None or bool((alpha == 255).all()) else alpha


def load_image(path: str | os.PathLike[str] | BinaryIO, *,
               max_pixels: int | None = DEFAULT_MAX_PIXELS,
               shrink_to: int | None = None, stretch: bool = False,
               dark_advice: str | None = None, nodata: NoData = None,
               intent: Intent = DEFAULT_INTENT,
               page: int | None = None,
               stretch_clip: float = 0.0, stretch_curve: StretchCurve = "linear",
               stretch_softening: float | None = None,
               stretch_range: tuple[float, float] | None = None) -> LoadedImage:
    """Read an image file into upright 8-bit sRGB pixels and optional alpha.

    Parameters
    ----------
    path : str, path-like or binary file object
        The file to read, or an object with a ``read`` method giving its bytes
        (``io.BytesIO(data)``, a file opened ``"rb"``, an upload), read from its position
        to its end. A file object is copied into a temporary file first and read as a file
        is, with the same checks and the same errors, which name it ``<stream>``; the
        image's ``path`` is then None. As ``quantize reduce -`` copies stdin, one whose
        first MiB begins no image format Pillow knows (``open("/dev/zero", "rb")``) is
        refused there, unread past it; one whose first MiB may begin an image is copied to
        its end, however long.
    max_pixels : int or None
        Refuse images with more pixels than this (checked from the header,
        before decoding). None means no limit.
    shrink_to : int or None
        For a preview: a JPEG may be decoded at 1/2, 1/4 or 1/8 scale (its own
        DCT scaling, many times faster than a full decode), as long as both
        sides keep at least this many pixels. Other formats are decoded whole.
    stretch : bool, default False
        Map the image's own range, its darkest to its brightest value over all its
        channels together (so hues are kept) of the pixels that show (of alpha above 0, or
        not of the transparent colour a PNG's tRNS names), onto 0..255, as a display
        stretch does:
        a 16-bit, 32-bit or float grayscale image, or a still 16-bit RGB or RGBA one
        (its colours; alpha is not stretched), from its own values, before they are
        made 8-bit; any other image from its 8-bit values. An image of one value, or
        that shows no pixel, is read as without it. The values read as 0 and 255 are
        :attr:`LoadedImage.stretch_range`.
    stretch_clip : float, default 0
        A percentage from 0 to below 50: stretch (as ``stretch`` does, which it implies)
        from the ``stretch_clip``-th to the ``100 - stretch_clip``-th percentile of the
        values that show (each a value of the image: :func:`_extent_of`) instead of from
        the darkest to the brightest, the values beyond made 0 and 255: a few hot or dead
        pixels then set no range. ``0.1`` clips 0.1% at each end.
    stretch_curve : {"linear", "asinh", "log", "sqrt"}, default "linear"
        How a stretch (which any curve but ``"linear"`` implies) makes levels of the
        values, once its range (and ``stretch_clip``'s percentiles) is found: they are
        scaled to 0..1 by that range (those below it 0, those above 1), put through the
        curve (:mod:`quantize.io.stretch`) and made 0..255. ``"asinh"``, ``"log"`` and
        ``"sqrt"`` lift faint values near the bottom of the range, as survey viewers show
        a sky whose few bright stars set the range; ``"linear"`` keeps them as they are.
    stretch_softening : float or None
        The knee of ``"asinh"`` and ``"log"`` as a fraction of the range, above 0 (None:
        0.1): smaller lifts fainter values more. Refused with the other curves.
    stretch_range : (float, float) or None
        A fixed range to stretch (``stretch`` implied), ``(low, high)`` in the image's own
        values (of a signed image, below 0 too; of an 8-bit one, its levels): ``low`` is
        read as 0 and ``high`` as 255 whatever the image holds, values beyond them
        clipped (:func:`~quantize.io.stretch.clipped_share` counts them), so that the
        pages of a z-stack, or scans of other ranges, are read on one scale. Refused
        beside ``stretch_clip``, which finds a range. :attr:`LoadedImage.stretch_range` is
        this range.
    dark_advice : str or None
        What a :class:`PixelRangeWarning` of values of more than 8 bits that come out
        dark (its brightest pixel below 64 of 255) ends with: the caller's own way out
        (``segment`` names its ``stretch``). By default, in Python only, to pass
        ``stretch=True`` or scale the values first. Not said with ``stretch``: the
        warning then says that an image of one value cannot be stretched; without it,
        of an image of one value, which no stretch spreads, the warning says that it
        holds one value, and ends with ``dark_advice`` only when that is no
        :class:`StretchAdvice` (``reduce``'s fact that its output is as dark).
    nodata : float, sequence of 3 floats, "tag" or None
        The value that marks pixels as missing data in the image's own units (of a 16-bit
        tile, 0..65535; before any scaling to 8 bits or stretch): a pixel whose every band
        equals it (of an RGB image, each its own value when three are given) is read as
        fully transparent, alpha 0, and takes no part in a stretch. ``"tag"``: the value
        a TIFF's GDAL_NODATA tag names, when it has one (with a
        :class:`~quantize.io.nodata.NoDataWarning` saying it). For grey and RGB images
        only (:mod:`quantize.io.nodata`).
    intent : {"relative-bpc", "relative", "perceptual", "saturation", "absolute"}
        The rendering intent by which an embedded ICC profile (a CMYK file's, an Adobe
        RGB one's) is converted to sRGB (:mod:`quantize.io.profiles`): by default
        relative colorimetric with black-point compensation. Of no effect on a file
        without a profile or with an sRGB one.
    page : int or None
        The page to read, from 1, of a TIFF of several pages of one size (a z-stack or
        time series; :attr:`LoadedImage.n_frames` counts them), read as its first page
        is: 16-bit values, ``stretch`` (of that page's own range) and ``nodata`` alike.
        None or 1: the image read without it (a TIFF's first page). A page past the
        last, or above 1 of any other image (an animation's frames are not read one at
        a time), is refused.

    Returns
    -------
    LoadedImage

    Raises
    ------
    ImageReadError
        If the file is missing, unreadable, a directory, empty, truncated, not an image,
        a PNG or APNG with a chunk whose CRC does not match (:func:`check_png_chunks`)
        or whose image data (of the frame read) ends before its last row
        (:func:`~quantize.png.whole_png_rows`), or larger than ``max_pixels``. The
        message names the file.
    ValueError, TypeError
        If ``max_pixels`` or ``shrink_to`` is not an integer >= 1 (or None), or
        ``stretch`` not a bool, ``stretch_clip`` not a number from 0 to below 50,
        ``stretch_curve`` not one of the four, ``stretch_softening`` not None or a number
        above 0, or given with ``"linear"`` or ``"sqrt"``,
        ``nodata`` not a finite number, three, "tag" or None, or ``intent`` not one of
        the five;
        TypeError for a file object opened in text mode.
    InputParameterError
        For a ``nodata`` no pixel of the image can hold (-1 of an 8-bit one), or given for
        an image that is not grey or RGB (:func:`~quantize.io.nodata.nodata_key`); for a
        ``page`` the file does not have (:func:`_seek_page`).

    Warns
    -----
    PixelRangeWarning
        For a 16-bit, 32-bit or float grayscale image, or a still 16-bit RGB or RGBA one
        (its colour channels together), whose brightest pixel comes out below 64 of 255
        (with ``stretch``, when it is of one value: one that cannot be stretched), saying
        its values, their scale and the levels they come out as; and for NaN, infinite or
        negative pixels, read as black. With ``stretch``, when all but a few pixels (0.1%
        at either end) come out within fewer than 64 levels, a few outliers (hot or dead
        pixels) having set the range: the levels the rest came out as, and to give
        ``stretch_clip``.

    Examples
    --------
    >>> import io
    >>> from PIL import Image
    >>> from quantize.io import load_image
    >>> data = io.BytesIO()
    >>> Image.new("RGB", (3, 2), (200, 40, 40)).save(data, "PNG")
    >>> image = load_image(io.BytesIO(data.getvalue()))
    >>> image.rgb.shape, image.format, image.path
    ((2, 3, 3), 'PNG', None)
    >>> load_image(io.BytesIO(b"not an image"))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    quantize.errors.ImageReadError: <stream>: not an image Pillow can identify...
    """
    if is_readable_object(path):
        return _load_stream(path, max_pixels=max_pixels, shrink_to=shrink_to,
                            stretch=stretch, dark_advice=dark_advice, nodata=nodata,
                            intent=intent, page=page, stretch_clip=stretch_clip,
                            stretch_curve=stretch_curve, stretch_softening=stretch_softening,
                            stretch_range=stretch_range)
    p = check_input_path(path, "path")
    nodata = check_nodata(nodata)
    intent = check_intent(intent)
    limit = check_max_pixels(max_pixels)
    if shrink_to is not None:
        shrink_to = check_int(shrink_to, "shrink_to", minimum=1)
    if page is not None:
        page = check_int(page, "page", minimum=1)
    reading = _stretch_reading(stretch, stretch_clip, dark_advice, stretch_curve,
                               stretch_softening, stretch_range)
    with _opened(p, limit) as im:
        return _loaded(im, p, shrink_to, reading, nodata, intent, page)


#: How errors name an image read from a file object (:func:`load_image`).
STREAM_NAME = "<stream>"


def is_readable_object(value: Any) -> bool:
    """Whether ``value`` is a file object to read (not a path): it has a ``read`` method.

    >>> is_readable_object(_io.BytesIO(b"")), is_readable_object("photo.png")
    (True, False)
    """
    return not isinstance(value, str | os.PathLike) and callable(getattr(value, "read", None))


def _load_stream(stream: BinaryIO, **options: Any) -> LoadedImage:
    """:func:`load_image` of the bytes of ``stream``, copied into a temporary file and read
    as that file, whose second readers (chunk checks, 16-bit samples, GIF and WebP
    frames) need a file to read again, as ``quantize reduce -`` copies stdin, with its
    check (:func:`~quantize.io.streams.copy_image_stream`): a stream whose first
    :data:`~quantize.io.streams.STREAM_HEAD` bytes begin no image is refused there, not
    copied to its end (``/dev/zero`` has none); errors name the image
    :data:`STREAM_NAME`, and its ``path`` is None."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="quantize-") as folder:
        copy = Path(folder) / "stream"
        copy_stream(stream, copy)
        try:
            loaded = load_image(copy, **options)
        except ImageReadError as exc:
            raise type(exc)(exc.reason, path=STREAM_NAME) from None
    return replace(loaded, path=None)


def is_file_object(value: Any) -> bool:
    """Whether ``value`` is a file object to write (not a path): it has a ``write`` method.

    >>> is_file_object(_io.BytesIO()), is_file_object("out.png")
    (True, False)
    """
    return not isinstance(value, str | os.PathLike) and callable(getattr(value, "write", None))


def copy_stream(stream: Any, copy: Path, name: str = "path") -> None:
    """Copy the image the binary file object ``stream`` holds into the file ``copy``, with
    the check of :func:`~quantize.io.streams.copy_image_stream` (its errors name the image
    :data:`STREAM_NAME`), refusing one in text mode with a ``TypeError`` naming the
    parameter ``name`` that gave it.

    Raises
    ------
    TypeError
        ``stream`` reads text (``io.StringIO``, a file opened ``"r"``).
    ImageReadError
        Its head begins no image (:func:`~quantize.io.streams.copy_image_stream`).
    """
    from .streams import copy_image_stream

    text_mode = TypeError(f"{name}={stream!r} is a file object in text mode; open the file "
                          f"in binary mode ('rb')")
    if isinstance(stream, _io.TextIOBase):
        raise text_mode
    with open(copy, "wb") as out:
        try:
            copy_image_stream(stream, out, STREAM_NAME)
        except TypeError:  # str from an object of its own that reads text
            raise text_mode from None


def _loaded(im: Image.Image, p: Path, shrink_to: int | None = None,
            reading: _Reading = _AS_COUNTS,
            nodata: tuple[float, ...] | Literal["tag"] | None = None,
            intent: Intent = DEFAULT_INTENT,
            page: int | None = None, keep_gray_profile: bool = False) -> LoadedImage:
    """:func:`load_image` of ``im``, the file ``p`` opened by :func:`_opened` and not
    decoded yet, its values of more than 8 bits read as ``reading`` says, and those of
    ``nodata`` (checked) as transparent, its profile converted by ``intent`` (checked),
    at ``page`` (checked, from 1) when given, a grey one kept instead with
    ``keep_gray_profile`` (:attr:`LoadedImage.gray_profile`); its errors are left to the
    caller to name the file in."""
    check_png_chunks(im, p)
    text = png_text(im)
    ignore_overlong_trns(im)
    n_frames = shown_frames(im)
    check_frame_count(im, n_frames, p)
    warn_pages_left_out(im)
    if page is not None:
        _seek_page(im, page, n_frames, p)
    warn_samples_left_out(im)
    warn_unterminated_gif(p, im.format)
    if hidden_frames(im):
        forget_default_image(im)
        im.seek(1)
    # Pillow turns a TIFF's page upright as it decodes it, and then forgets how
    dpi, turned = stated_dpi(im), exif_orientation(im) if im.format == "TIFF" else None
    pixel_size = stated_pixel_size(im)  # of a TIFF, which no draft scales
    tagged = tiff_exif(im) if im.format == "TIFF" else None  # read before Pillow turns it
    geo_tags = tiff_geo_tags(im) if im.format == "TIFF" and turned == 1 else None
    if shrink_to is not None and im.format in ("JPEG", "MPO"):  # an MPO's first is one
        width = im.width
        drafted = im.draft(im.mode, (shrink_to, shrink_to))
        if drafted is not None:  # the same page in fewer pixels (box: the scaled size)
            dpi = scaled_dpi(dpi, drafted[1][2] / width)
    reading = reading._replace(stretched=_StretchRange()) if reading.stretch else (
        reading._replace(counted=_ValueCount()))
    key = nodata_key(im, nodata)
    decoded_key = keyed_when_decoded(im)  # of alpha or a palette: matched in its colours
    if key is not None and not decoded_key:  # matched as a transparent colour is, before
        im.info["transparency"] = key  # any scaling
    with whole_png_rows(im, p):
        decoded = _load_keyed(im, reading, _page_number(im))
    check_jpeg_scan(im, p)
    warn_png_end(p, im.format)
    loop, duration = im.info.get("loop"), im.info.get("duration")
    orientation = exif_orientation(decoded)  # read once: a damaged EXIF is said once
    if key is not None and decoded_key:
        decoded = set_apart(decoded, key)
    kept = _gray_profile_of(decoded) if keep_gray_profile else None
    upright = (_upright_srgb(decoded, orientation, intent) if kept is None
               else _upright(decoded, orientation))
    rgb, alpha = _pil_to_rgba(upright, _page_number(im), reading)
    key = _nodata_used(decoded, key, nodata, alpha)
    source_profile = (converted_profile(decoded.info.get("icc_profile"), decoded.mode)
                      if kept is None else None)
    stretch_range = None
    if reading.stretch:
        extent = _eight_bit_extent(rgb, alpha, reading)
        stretch_range = _stretch_range(extent, reading)
        values = _stretch_values(rgb, stretch_range, reading, orientation, decoded)
        rgb = _stretched(rgb, extent, _eight_bit_reading(reading))
        if reading.fixed is None:  # a range given is no outliers' doing
            _warn_outliers_set_stretch(rgb, alpha, p.name, reading.clip)
    else:
        values = None
    return LoadedImage(rgb, alpha, p, im.mode, im.format, n_frames,
                       None if loop is None else int(loop),
                       None if duration is None else float(duration),
                       upright_dpi(dpi, orientation if turned is None else turned),
                       tagged if im.format == "TIFF" else upright_exif(decoded.info.get("exif")),
                       stretch_range, source_profile,
                       upright_dpi(pixel_size, orientation if turned is None else turned),
                       None if key is None else tuple(np.atleast_1d(key).tolist()), kept, text,
                       values, geo_tags, _merged(reading.counted))


def _merged(counted: _ValueCount | None) -> tuple[int, int] | None:
    """:attr:`LoadedImage.merged` of what ``counted`` recorded: its distinct values and
    the levels they came out as, when fewer; None when none were counted or none merged.

    >>> counted = _ValueCount(); counted.values, counted.levels = 2208, 9
    >>> _merged(counted), _merged(None)
    ((2208, 9), None)
    """
    if counted is None or counted.values is None or counted.levels is None:
        return None
    return (counted.values, counted.levels) if counted.levels < counted.values else None


def _stretch_values(rgb: np.ndarray, stretch_range: tuple[float, float] | None,
                    reading: _Reading, orientation: int, decoded: Image.Image
                    ) -> np.ndarray | None:
    """:attr:`LoadedImage.stretch_values` of an image read with ``reading.stretch``,
    whose 8-bit levels are ``rgb`` before :func:`_stretched`: its values of more than 8
    bits recorded as stretched (of a 16-bit RGB image, as stored: turned by
    ``orientation`` here, as ``decoded``'s pixels were), or else its 8-bit levels (a grey
    image's one channel); None when not stretched (``stretch_range`` None)."""
    if stretch_range is None:
        return None
    recorded = reading.stretched.values if reading.stretched is not None else None
    if recorded is None:
        return rgb[:, :, 0].copy() if decoded.mode in GRAY_MODES else rgb.copy()
    if orientation != 1 and decoded.mode not in (*_SIXTEEN_BIT_MODES, "F"):
        recorded = _oriented(recorded, orientation)
    return recorded


def _oriented(values: np.ndarray, orientation: int) -> np.ndarray:
    """``values`` ``(H, W, ...)`` turned upright by the EXIF ``orientation`` 1..8, as
    :func:`PIL.ImageOps.exif_transpose` turns an image.

    >>> a = np.array([[1, 2], [3, 4]])
    >>> _oriented(a, 6).tolist(), _oriented(a, 8).tolist(), _oriented(a, 5).tolist()
    ([[3, 1], [4, 2]], [[2, 4], [1, 3]], [[1, 3], [2, 4]])
    """
    turns = {2: lambda a: a[:, ::-1], 3: lambda a: a[::-1, ::-1], 4: lambda a: a[::-1],
             5: lambda a: a.swapaxes(0, 1), 6: lambda a: np.rot90(a, -1),
             7: lambda a: a.swapaxes(0, 1)[::-1, ::-1], 8: lambda a: np.rot90(a, 1)}
    turn = turns.get(orientation)
    return values if turn is None else np.ascontiguousarray(turn(values))


def _gray_profile_of(im: Image.Image) -> bytes | None:
    """The ICC profile of ``im`` when it is a grey profile of its grey pixels (mode "L",
    "LA", 16-bit or float grey) that LittleCMS reads; else None.

    >>> from PIL import ImageCms
    >>> srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    >>> _gray_profile_of(Image.new("L", (1, 1))), _gray_profile_of(Image.new("RGB", (1, 1)))
    (None, None)
    """
    icc = im.info.get("icc_profile")
    if not icc or im.mode not in GRAY_MODES:
        return None
    from PIL import ImageCms  # for a file with a profile only

    try:
        space = ImageCms.ImageCmsProfile(_io.BytesIO(icc)).profile.xcolor_space.strip()
    except (ImageCms.PyCMSError, OSError):
        return None
    return icc if space == "GRAY" else None


def _nodata_used(decoded: Image.Image, key: Any,
                 nodata: tuple[float, ...] | Literal["tag"] | None,
                 alpha: np.ndarray | None) -> Any:
    """The no-data ``key`` (:func:`~quantize.io.nodata.nodata_key`) whose pixels
    ``decoded`` had read as transparent (``alpha`` 0), for :attr:`LoadedImage.nodata`:
    None when it is the NaN of a float image named by default (no tag) and no pixel is
    NaN. Of a float image whose NaN pixels were so read
    (:func:`~quantize.io.nodata.no_data_mask`), but ``nodata`` NaN given, a
    :class:`~quantize.io.nodata.NoDataWarning` says how many."""
    if key is None or decoded.mode != "F":
        return key
    given_nan = isinstance(nodata, tuple) and math.isnan(nodata[0])
    if given_nan:
        return key
    if math.isnan(key):  # a float image has no alpha of its own: its hidden pixels are NaN
        nan = 0 if alpha is None else int(np.count_nonzero(alpha == 0))
    else:
        nan = sum(int(np.count_nonzero(np.isnan(band))) for _, band in _gray_bands(decoded))
    if nan:
        warn_caller(f"{nan} NaN of its {decoded.width * decoded.height} pixels "
                    f"{'is' if nan == 1 else 'are'} read as no data (fully transparent), as a "
                    "float image's NaN pixels are by default", NoDataWarning)
    return None if math.isnan(key) and not nan else key


def _eight_bit_extent(rgb: np.ndarray, alpha: np.ndarray | None, reading: _Reading
                      ) -> tuple[Any, Any] | None:
    """The 8-bit levels of ``rgb`` that a stretch read as ``reading`` maps onto 0..255:
    of a fixed range, the range itself (an 8-bit image's range is in its levels), or None
    when the values of more than 8 bits were stretched by it already (their levels may
    not fill 0..255, and are kept); else the levels of the pixels that show
    (:func:`_shown_extent`)."""
    if reading.fixed is not None:
        done = reading.stretched is not None and reading.stretched.low is not None
        return None if done else reading.fixed
    return _shown_extent(rgb, alpha, 255.0, _eight_bit_clip(reading))


def _stretch_range(extent: tuple[Any, Any] | None, reading: _Reading
                   ) -> tuple[float, float] | None:
    """:attr:`LoadedImage.stretch_range` of an image read with ``reading.stretch``, whose
    8-bit levels span ``extent`` (:func:`_shown_extent`) before :func:`_stretched`: the
    values of more than 8 bits recorded as stretched, or else the 8-bit levels
    :func:`_stretched` maps onto 0..255 (None when they are one, or no pixel shows)."""
    if reading.stretched is not None and reading.stretched.low is not None:
        return reading.stretched.low, reading.stretched.high
    if extent is None or extent[0] == extent[1]:
        return None
    return float(extent[0]), float(extent[1])


def _eight_bit_clip(reading: _Reading) -> float:
    """The ``clip`` of the stretch of an image's 8-bit levels read as ``reading``: 0 when
    its values of more than 8 bits were stretched already (clipped then)."""
    done = reading.stretched is not None and reading.stretched.low is not None
    return 0.0 if done else reading.clip


def _eight_bit_reading(reading: _Reading) -> _Reading:
    """How :func:`_stretched` stretches an image's 8-bit levels read as ``reading``:
    linearly when its values of more than 8 bits were stretched already (by its curve
    then), else by its curve."""
    done = reading.stretched is not None and reading.stretched.low is not None
    return _AS_COUNTS if done else reading


def _page_number(im: Image.Image) -> int | None:
    """The number (from 1) of the page at which ``im``, an opened file whose frames are
    counted (:func:`shown_frames`), is, when the file has several; None when it has one."""
    return im.tell() + 1 if getattr(im, "n_frames", 1) > 1 else None


def _load_keyed(im: Image.Image, reading: _Reading | None = None,
                page: int | None = None) -> Image.Image:
    """Decode ``im``; a 16-bit RGB or RGBA PNG comes back as an 8-bit image read from all
    16 bits (:func:`wide_rgb_png`), RGBA when its tRNS chunk names a transparent colour,
    that colour transparent (:func:`sixteen_bit_key`), and a 2- or 4-bit grayscale one as
    a copy whose transparent value is that of its pixels (:func:`low_depth_gray_key`). A
    16-bit RGB or RGBA TIFF page or 16-bit SGI image is read from all 16 bits too
    (:func:`_wide_rgb_lows`), an 8-bit premultiplied RGBA TIFF page divided by its alpha
    as a 16-bit one is (:func:`wide_page`), and an XBM with its set bits black
    (:func:`_xbm_foreground_black`). The colours of a still image read from all 16 bits
    are read as ``reading`` says when it is given (:func:`_wide_rgb_scale`; its warnings
    name ``page``, the image's number from 1 in a file of several), else as counts of
    65535 without a word.

    Of a 16-bit RGB or RGBA one the low bytes are decoded too, from a
    :func:`second_reader` of the file: a still image's are combined with the high bytes a
    band at a time (:func:`_wide_rgb_still`); an APNG's first frame shown is drawn by a
    :class:`KeyedCanvas` (when its default image is not, onto a transparent canvas).
    So is that first frame of any APNG whose frames a :class:`KeyedCanvas` composites
    (:func:`keyed_canvas_frames`): Pillow drew it over the default image, or with
    :func:`forget_default_image` over opaque black, which showed where the frame does not
    reach (and which a frame blending over it let through). The first frame of a GIF
    that does not cover the screen is drawn on a transparent one
    (:func:`~quantize.gif_canvas.first_gif_frame`), as browsers show it.
    """
    shown = None
    if im.format == "GIF":  # the GIF canvas module is loaded for GIFs only
        from ..gif_canvas import first_gif_frame

        shown = first_gif_frame(im)
    if shown is not None:
        return shown
    gray_key = low_depth_gray_key(im)
    if gray_key is not None:
        im.load()
        scaled = im.copy()  # the caller's image keeps its own value
        scaled.info["transparency"] = gray_key
        return scaled
    key = sixteen_bit_key(im)
    first_shown = getattr(im, "fp", None) is not None and im.tell() == hidden_frames(im)
    if wide_rgb_png(im) and first_shown:
        # the file again, and its frame whole, past Pillow's guard, which im passed
        with pillow_limit_lifted():
            if not keyed_canvas_frames(im):  # a still image: no canvas beside it
                return _wide_rgb_still(im, key, reading=reading, page=page)
            with (second_reader(im) as fp, Image.open(fp) as low,
                  KeyedCanvas(im, key, low) as canvas):
                return canvas.draw(im)
    wide = _wide_page(im, reading, page)
    if wide is not None:
        return wide
    if first_shown and im.tell() == 1 and keyed_canvas_frames(im):
        with KeyedCanvas(im, im.info.get("transparency")) as canvas:
            return canvas.draw(im)
    im.load()  # a later frame (of an APNG, see _frame_drawn_again) is composited by Pillow
    if im.format == "XBM":
        return _xbm_foreground_black(im)
    if _unused_bmp_alpha(im):
        return im.convert("RGB")
    mask = _unused_icon_alpha_mask(im)
    if mask is not None:
        masked = im.copy()
        masked.putalpha(mask)
        return masked
    return im


def _xbm_foreground_black(im: Image.Image) -> Image.Image:
    """``im``, a decoded XBM, with its set bits black and its clear bits white, as X11,
    ImageMagick and browsers draw a bitmap: a set bit is the foreground.

    Pillow reads a set bit as 1, white, and so showed every XBM in negative.
    """
    from PIL import ImageChops  # for XBMs only

    return ImageChops.invert(im)


def _unused_bmp_alpha(im: Image.Image) -> bool:
    """Whether ``im``, a decoded image, is a BMP whose header names an alpha channel
    (Pillow reads it as RGBA) that is 0 in every pixel: its writer left the fourth byte
    of each pixel unused, as many do, and it is read opaque, as Chromium shows it.

    Read as alpha, such a file came out wholly transparent: an output of no visible
    colour ("0 colours"), and every region segmented from the colours under it.
    """
    return (im.format in ("BMP", "DIB") and im.mode == "RGBA"
            and im.getextrema()[3] == (0, 0))


def _unused_icon_alpha_mask(im: Image.Image) -> Image.Image | None:
    """The alpha, from its AND mask, of ``im``, a decoded ICO whose image is a 32-bit
    bitmap with an alpha channel 0 in every pixel; None for any other image.

    Pillow reads such an icon's alpha from the fourth byte of each pixel, and ignores
    its AND mask: one whose writer left that byte unused came out wholly transparent.
    Chromium then draws it opaque but where its AND mask is set, and so it is read. The
    mask (a bit a pixel, its rows padded to 4 bytes, bottom row first) ends the bitmap;
    one cut short leaves the icon opaque.
    """
    if im.format != "ICO" or im.mode != "RGBA" or im.getextrema()[3] != (0, 0):
        return None
    ico = getattr(im, "ico", None)
    if ico is None or ico.buf.closed:  # a PIL image whose file is closed: read as it is
        return None
    entry = ico.entry[ico.getentryindex(im.size)]
    if entry.bpp != 32:
        return None
    w, h = im.size
    stride = (w + 31) // 32 * 4
    ico.buf.seek(entry.offset)
    if ico.buf.read(8) == b"\x89PNG\r\n\x1a\n":  # a PNG keeps its alpha as it is
        return None
    ico.buf.seek(entry.offset + entry.size - stride * h)
    data = ico.buf.read(stride * h)
    if len(data) < stride * h:
        return Image.new("L", im.size, 255)
    bits = np.unpackbits(np.frombuffer(data, np.uint8).reshape(h, stride), axis=1)[::-1, :w]
    return Image.fromarray(np.where(bits == 1, np.uint8(0), np.uint8(255)))


@contextlib.contextmanager
def frames_canvas(im: Image.Image) -> Iterator[KeyedCanvas | None]:
    """The :class:`KeyedCanvas` on which the frames of ``im`` (opened, not yet decoded, at
    its start) are drawn, as :func:`~quantize.animation.iter_frames` draws them, for as
    long as the block runs: that of an APNG
    (:func:`keyed_canvas_frames`) or of a 16-bit RGB or RGBA PNG (:func:`wide_rgb_png`),
    whose low bytes come from a :func:`second_reader` of the file; None for any other image,
    and for an APNG whose frames Pillow composites alike (:func:`drawn_alike_by_pillow`):
    Pillow's pictures are then the frames.

    A 2- or 4-bit grayscale PNG's transparent value is put on the scale of its decoded
    pixels (:func:`low_depth_gray_key`) in ``im.info``.
    """
    gray_key = low_depth_gray_key(im)
    if gray_key is not None:
        im.info["transparency"] = gray_key
    if wide_rgb_png(im):
        with (second_reader(im) as fp, Image.open(fp) as low,
              KeyedCanvas(im, sixteen_bit_key(im), low) as canvas):
            yield canvas
    elif keyed_canvas_frames(im) and not drawn_alike_by_pillow(im):
        with KeyedCanvas(im, im.info.get("transparency")) as canvas:
            yield canvas
    else:
        yield None


def drawn_alike_by_pillow(im: Image.Image) -> bool:
    """Whether Pillow composites the frames of ``im``, an APNG opened and not yet decoded,
    to the very pixels a :class:`KeyedCanvas` draws, so that they need no canvas beside
    Pillow's (one frame's RGBA: 230 KB for frames of 320x180).

    So it does for an APNG without a transparent colour (tRNS), not of 16-bit RGB or RGBA
    (:func:`wide_rgb_png`: Pillow's frames hold their high bytes), in mode "RGB", "L", "P",
    "RGBA" or "LA" whose frames either have alpha and all replace what is below them
    (blend_op SOURCE: Pillow blends a translucent pixel's alpha as a colour), or are
    opaque, none clears the canvas before another frame (dispose_op BACKGROUND, or
    PREVIOUS on the first frame: Pillow clears to opaque black, or entry 0), and no
    default image that is not a frame comes before them. The frame controls (fcTL) are
    read from ``im``'s file (:func:`~quantize.png.frame_controls`), which is left where it
    was.
    """
    if (im.mode not in ("RGB", "L", "P", "RGBA", "LA") or "transparency" in im.info
            or wide_rgb_png(im)):
        return False
    controls = frame_controls(im.fp)
    if not controls:
        return False
    if im.mode in ("RGBA", "LA"):
        return all(blend == 0 for _, blend in controls)
    before_another = controls[:-1]
    return (not hidden_frames(im) and all(dispose != 1 for dispose, _ in before_another)
            and not (before_another and before_another[0][0] == 2))


def keyed_canvas_frames(im: Image.Image) -> bool:
    """Whether the frames of ``im``, an opened image, are composited by a
    :class:`KeyedCanvas` rather than by Pillow: those of every APNG, whatever its colour
    type and bit depth, with a transparent colour or without (:func:`frames_canvas` gives
    none to those Pillow composites alike: :func:`drawn_alike_by_pillow`). (A 16-bit RGB
    or RGBA still PNG is drawn on one too by :func:`frames_canvas`: see
    :func:`wide_rgb_png`.)"""
    return (im.format == "PNG" and getattr(im, "n_frames", 1) > 1
            and im.mode in ("1", "L", "LA", "I;16", "RGB", "RGBA", "P"))


class KeyedCanvas:
    """The frames of an APNG (of any colour type, with a transparent colour in its tRNS
    chunk or without), or of a 16-bit RGB or RGBA PNG, composited here rather than by
    Pillow.

    Pillow composites the frames of such an APNG on a canvas without alpha: what a
    frame's disposal clears, and where the first frame after a default image that is
    not a frame does not reach, became opaque black, where the APNG specification
    shows the canvas transparent; and a grayscale frame drawn over the canvas
    covered it with its transparent pixels instead of letting it show. A palette one
    Pillow composites on a canvas of palette indices: what a disposal clears became
    entry 0, whatever its colour and alpha, and a translucent entry drawn over the canvas
    had its index blended with the one below, which gave another entry. A translucent
    pixel of an RGBA or grayscale-alpha frame drawn over the canvas had its alpha
    blended as a colour (half-transparent over opaque came out at alpha 191).
    A 16-bit RGB or RGBA one (:func:`wide_rgb_png`) Pillow decodes to the high byte of
    each sample, which was read as its 8-bit value (floor(v / 256), not round(v / 257)),
    and matches against a 16-bit key (:func:`sixteen_bit_key`): the colour was drawn opaque.
    A 16-bit grayscale one (mode "I;16") Pillow could not draw over the canvas at
    all ("conversion from I;16 to RGBA not supported"), key or not: its frames come
    out here as "LA", scaled to 8 bits as :func:`load_image` scales a 16-bit
    grayscale image (and, as there, converted from its 16-bit values to sRGB by its gAMA).

    Here, for as long as the canvas is open (a context manager), the key is taken
    from ``frames`` (and ``low``), so that Pillow pastes each frame whole, and the
    key is matched on each frame's own pixels: those of ``frames``, as decoded, or
    for a 16-bit RGB or RGBA image, their high bytes with the low bytes that ``low`` (the
    same file, opened again) gives (:func:`_read_low_bytes`), read from all 16 bits as
    :func:`load_image` reads them (:func:`_wide_rgb_bands`). The frames are then
    composited as the APNG specification says, onto a canvas that starts
    transparent: the last frame's disposal (none, clear to transparent, or back to
    what it covered), then the frame, composited over the canvas (:func:`_over`) or
    replacing it (its transparent pixels too). A still image is one frame that covers
    the canvas. A palette frame is drawn in the colours and alpha of its entries.

    Parameters
    ----------
    frames : PIL image
        The file, opened and not yet decoded, in mode "1", "L", "LA", "I;16", "RGB",
        "RGBA" or "P".
    key : int or (int, int, int) or None
        The transparent colour, on the scale of the decoded pixels (16-bit for
        a 16-bit RGB image and a 16-bit grayscale one; see :func:`low_depth_gray_key`);
        None when there is none, for a palette image, whose tRNS is read from
        ``frames``, and for an image with alpha.
    low : PIL image, optional
        For a 16-bit RGB or RGBA image: the same file, opened again from a
        :func:`second_reader`.
    """

    def __init__(self, frames: Image.Image, key: int | tuple[int, ...] | None,
                 low: Image.Image | None = None):
        self._frames, self._low, self._key = frames, low, key
        self._saved: int | tuple[int, ...] | None = None
        w, h = frames.size
        self._mode = "LA" if frames.mode in ("1", "L", "LA", "I;16") else "RGBA"
        self._canvas = np.zeros((h, w, len(self._mode)), np.uint8)
        self._dispose: tuple[int, tuple[slice, slice], np.ndarray | None] | None = None

    def __enter__(self) -> KeyedCanvas:
        self._saved = self._frames.info.pop("transparency", None)
        if self._low is not None:
            self._low.info.pop("transparency", None)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._saved is not None:  # a caller's image keeps its key
            self._frames.info["transparency"] = self._saved

    def draw(self, frame: Image.Image) -> Image.Image:
        """Draw ``frame`` (``frames``, moved to a frame) and return the canvas, RGBA or LA,
        with the frame's ``info`` (its colour profile or gamma; of a 16-bit grayscale or RGB
        frame, its profile only, its gamma being applied here) and no transparent colour."""
        x0, y0, x1, y1 = frame.info.get("bbox", (0, 0, *frame.size))
        box = (slice(y0, y1), slice(x0, x1))
        first = self._dispose is None
        if not first:
            op, last, covered = self._dispose
            if op == 1:
                self._canvas[last] = 0
            elif op == 2:
                self._canvas[last] = covered
        blend = frame.info.get("blend")
        if hasattr(frame, "blend_op"):  # an APNG's: Pillow pastes it whole, blended here
            frame.blend_op = 0
        pixels, alpha = self._own_pixels(frame, box)
        region = self._canvas[box]
        op = int(frame.info.get("disposal", 0))
        op = 1 if op == 2 and first else op  # nothing to go back to: cleared
        self._dispose = (op, box, region.copy() if op == 2 else None)
        drawn = np.dstack([pixels, alpha])
        region[...] = _over(region, drawn) if blend == 1 else drawn
        canvas = Image.fromarray(self._canvas.copy(), self._mode)
        # the gamma of 16-bit grey or RGB is applied here, to its 16-bit values
        wide = frame.mode == "I;16" or self._low is not None
        dropped = {"transparency", "gamma"} if wide else {"transparency"}
        canvas.info = {k: v for k, v in frame.info.items() if k not in dropped}
        return canvas

    def _own_pixels(self, frame: Image.Image, box: tuple[slice, slice]
                    ) -> tuple[np.ndarray, np.ndarray]:
        """The pixels of ``frame`` in ``box`` (16-bit grayscale to 8-bit sRGB, a palette
        image's colours, 16-bit RGB from its high and low bytes), and their alpha from the
        key (a palette image's, from its tRNS)."""
        if self._low is not None:
            return self._wide_pixels(frame, box)
        pixels = np.asarray(frame)[box]
        if frame.mode == "P":
            return _palette_colours(pixels, frame.getpalette("RGB") or [], self._saved)
        if frame.mode in ("LA", "RGBA"):
            return pixels[..., :-1], pixels[..., -1]
        if pixels.dtype == bool:  # mode "1", whose key Pillow gives as 0 or 255
            pixels = np.where(pixels, 255, 0).astype(np.uint8)
        if self._key is None:
            clear = np.zeros(pixels.shape[:2], bool)
        elif pixels.ndim == 2:
            clear = pixels == self._key
        else:
            clear = np.all(pixels == self._key, axis=2)
        if pixels.dtype != np.uint8:  # 16-bit grayscale, from its gAMA as load_image reads it
            gamma = _file_gamma(frame.info)
            pixels = (_scale_wide_gray(pixels, 65535.0) if gamma is None
                      else _gamma_encoded(pixels / 65535.0, gamma))
        return pixels, np.where(clear, np.uint8(0), np.uint8(255))

    def _wide_pixels(self, frame: Image.Image, box: tuple[slice, slice]
                     ) -> tuple[np.ndarray, np.ndarray]:
        """The pixels of ``frame``, of a 16-bit RGB or RGBA image, in ``box`` and their
        alpha, from their high bytes and the low bytes ``low`` gives (:func:`_wide_rgb_bands`)."""
        self._low.seek(frame.tell())  # type: ignore[union-attr]  # the caller's check
        if hasattr(self._low, "blend_op"):  # pasted whole, as the frame is
            self._low.blend_op = 0
        grey_alpha = _wide_grey_alpha(self._low)  # type: ignore[arg-type]
        _read_low_bytes(self._low)
        crop = (box[1].start, box[0].start, box[1].stop, box[0].stop)
        high, low = frame.crop(crop), self._low.crop(crop)  # type: ignore[union-attr]
        h, w = high.height, high.width
        pixels = np.empty((h, w, 3), np.uint8)
        alpha = np.full((h, w), 255, np.uint8)
        for rows, band in _wide_rgb_bands(high, low, self._key, _wide_gamma(frame.info),
                                          grey_alpha):
            pixels[rows] = band[..., :3]
            if band.shape[2] == 4:
                alpha[rows] = band[..., 3]
        return pixels, alpha


def _over(below: np.ndarray, above: np.ndarray) -> np.ndarray:
    """``above`` composited over ``below`` (both ``(H, W, n)`` uint8, colour bands then
    alpha, not premultiplied): an APNG frame's blend_op OVER, on the stored values as APNG
    players composite them. Where ``above`` is opaque it replaces ``below``, where it is
    transparent ``below`` is kept; over a transparent pixel it is drawn as it is.

    >>> _over(np.array([[[200, 0, 0, 255], [200, 0, 0, 0], [200, 0, 0, 100]]], np.uint8),
    ...       np.array([[[0, 0, 255, 128], [0, 0, 255, 128], [0, 0, 255, 128]]], np.uint8))
    array([[[100,   0, 128, 255],
            [  0,   0, 255, 128],
            [ 56,   0, 184, 178]]], dtype=uint8)
    """
    out = np.where(above[..., -1:] > 0, above, below)
    # Translucent pixels, in floats (a frame's antialiased edges, say: a few of them).
    part = (above[..., -1] > 0) & (above[..., -1] < 255)
    if not part.any():
        return out
    top, bottom = above[part] / 255.0, below[part] / 255.0
    a_top = top[:, -1:]
    a_bottom = bottom[:, -1:] * (1.0 - a_top)
    alpha = a_top + a_bottom  # > 0: a_top is
    colour = (top[:, :-1] * a_top + bottom[:, :-1] * a_bottom) / alpha
    out[part] = np.rint(np.concatenate([colour, alpha], axis=1) * 255.0)
    return out


def _palette_colours(indices: np.ndarray, palette: list[int],
                     transparency: int | bytes | None) -> tuple[np.ndarray, np.ndarray]:
    """``(H, W, 3)`` colours and ``(H, W)`` alpha of the palette ``indices`` (uint8): the
    entries of ``palette`` (red, green, blue, ...; black past its end), their alpha from a
    PNG's tRNS (one transparent entry, or one alpha per entry; opaque past its end)."""
    table = np.zeros((256, 4), np.uint8)
    table[:, 3] = 255
    colours = np.array(palette[:768], np.uint8).reshape(-1, 3)
    table[:len(colours), :3] = colours
    if isinstance(transparency, bytes):
        alphas = np.frombuffer(transparency[:256], np.uint8)
        table[:len(alphas), 3] = alphas
    elif isinstance(transparency, int) and 0 <= transparency < 256:
        table[transparency, 3] = 0
    shown = table[indices]
    return shown[..., :3], shown[..., 3]


# Pillow's unpackers of 2- and 4-bit grayscale samples, and the factor by which they
# scale them to 8 bits (0..3 to 0, 85, 170, 255).
_LOW_DEPTH_GRAY = {"L;2": 85, "L;4": 17}


def low_depth_gray_key(im: Image.Image) -> int | None:
    """The transparent value that the tRNS chunk of ``im``, an opened 2- or 4-bit
    grayscale PNG not yet decoded, names, on the 8-bit scale of its decoded pixels;
    None for any other image.

    Pillow scales the pixels (2-bit 3 reads as 255) but not the value, which then
    matched no pixel (but 0, which scales to itself), and the transparency was lost.
    """
    key = im.info.get("transparency")
    rawmodes = [t[3] for t in getattr(im, "tile", ())]
    if (im.format != "PNG" or im.mode != "L" or not isinstance(key, int) or len(rawmodes) != 1
            or rawmodes[0] not in _LOW_DEPTH_GRAY):
        return None
    return key * _LOW_DEPTH_GRAY[rawmodes[0]]


def sixteen_bit_key(im: Image.Image) -> tuple[int, int, int] | None:
    """The transparent colour (16-bit red, green, blue) that the tRNS chunk of ``im``, an
    opened 16-bit RGB PNG or APNG not yet decoded, names; None for any other image.

    Pillow decodes such a PNG to the high byte of each sample but keeps the key in
    16 bits, which no 8-bit pixel equals: left to Pillow, the transparency was lost
    (it is matched on the high and low bytes: :func:`_wide_rgb_bands`).
    """
    key = im.info.get("transparency")
    if (im.format == "PNG" and im.mode == "RGB" and isinstance(key, tuple)
            and [t[3] for t in im.tile] == ["RGB;16B"]):
        return key
    return None


# Pillow's unpackers of 16-bit RGB, RGBA and grey+alpha PNG samples (the high byte of
# each), and the ones that read the low byte of each big-endian sample instead: the
# little-endian ones, and for grey+alpha (which Pillow decodes as RGBA, and has no
# little-endian unpacker for) the four bytes of a pixel as they are: grey high, grey low,
# alpha high, alpha low (:func:`_wide_lows`).
_WIDE_RGB_RAWMODES = {"RGB;16B": "RGB;16L", "RGBA;16B": "RGBA;16L", "LA;16B": "RGBA"}


def wide_rgb_png(im: Image.Image) -> bool:
    """Whether ``im`` is an opened 16-bit RGB, RGBA or grey+alpha PNG or APNG not yet
    decoded, which Pillow decodes to the high byte of each sample (grey+alpha as RGBA): it
    is read from all 16 bits here (:func:`_wide_rgb_bands`), its low bytes from a
    :func:`second_reader` of the file."""
    rawmodes = [t[3] for t in getattr(im, "tile", None) or ()]
    return (im.format == "PNG" and im.mode in ("RGB", "RGBA") and bool(rawmodes)
            and all(r in _WIDE_RGB_RAWMODES for r in rawmodes))


def _read_low_bytes(im: Image.Image) -> None:
    """Have the next decode of ``im``, a 16-bit RGB or RGBA PNG opened or moved to a
    frame, give the low byte of each sample instead of the high one (Pillow's
    little-endian unpacker reads the second byte of each big-endian sample)."""
    im.tile = [(*t[:3], _WIDE_RGB_RAWMODES[t[3]]) for t in im.tile]


def _wide_grey_alpha(im: Image.Image) -> bool:
    """Whether ``im``, a 16-bit PNG opened or moved to a frame and not yet decoded
    (:func:`wide_rgb_png`), is grey+alpha: its low bytes are then decoded with its high
    ones (:func:`_wide_lows`)."""
    return any(t[3] == "LA;16B" for t in im.tile)


def _wide_lows(low: np.ndarray, grey_alpha: bool) -> np.ndarray:
    """The low bytes of a band of 16-bit pixels as ``low`` (:func:`_read_low_bytes`) holds
    them, laid out as the high bytes are: of grey+alpha, decoded four bytes a pixel (grey
    high, grey low, alpha high, alpha low), the grey's repeated as red, green and blue.

    >>> _wide_lows(np.array([[[128, 7, 255, 9]]], np.uint8), True)
    array([[[7, 7, 7, 9]]], dtype=uint8)
    """
    return low[..., [1, 1, 1, 3]] if grey_alpha else low


def _wide_gamma(info: dict[str | tuple[int, int], Any]) -> float | None:
    """The gamma that a 16-bit RGB PNG's ``info`` states for its 16-bit values to be
    converted from (:func:`_file_gamma`); None also when it has an ICC profile, which is
    applied instead, to the 8-bit values."""
    return None if info.get("icc_profile") else _file_gamma(info)


def _wide_values(high: Image.Image, low: Image.Image, grey_alpha: bool = False,
                 premultiplied: bool = False
                 ) -> Iterator[tuple[slice, np.ndarray, np.ndarray, np.ndarray]]:
    """The 16-bit samples of the image whose high and low bytes are ``high`` and ``low``
    (as :func:`_wide_rgb_bands` takes them), a band of rows at a time: the rows, the high
    and low bytes and the ``(h, W, C)`` uint16 samples, colours that are ``premultiplied``
    divided by alpha (:func:`_unpremultiplied`)."""
    for (rows, high_band), (_, low_band) in zip(_row_bands(high), _row_bands(low), strict=True):
        highs, lows = np.asarray(high_band), _wide_lows(np.asarray(low_band), grey_alpha)
        values = highs.astype(np.uint16) << 8 | lows
        yield rows, highs, lows, _unpremultiplied(values) if premultiplied else values


def _wide_rgb_bands(high: Image.Image, low: Image.Image, key: tuple[int, int, int] | None,
                    gamma: float | None, grey_alpha: bool = False,
                    premultiplied: bool = False, scale: tuple[float, float] = (0.0, 65535.0),
                    curve: tuple[str, float] | None = None
                    ) -> Iterator[tuple[slice, np.ndarray]]:
    """The 8-bit pixels of a 16-bit RGB, RGBA or grey+alpha image whose high and low bytes
    are ``high`` and ``low`` (decoded images of one size and mode; of grey+alpha,
    ``grey_alpha``, as :func:`_wide_lows` reads them), a band of rows at a time
    (:func:`_row_bands`), with the rows each covers: ``(h, W, 3)`` uint8, or ``(h, W, 4)``
    with alpha (of RGBA, or 0 where an RGB pixel is the colour ``key``, else 255). Of
    RGBA whose colours are ``premultiplied`` by alpha, they are divided by it first
    (:func:`_unpremultiplied`). (CMYK comes out as RGBA does, its K scaled as alpha is.)

    Each sample is scaled as a 16-bit grey one is, ``round(v / 257)``; the colours, with
    ``gamma``, converted from it to sRGB from their 16-bit values (:func:`_gamma_encoded`).
    Of the colours, ``scale`` is the values read as black and as white (a stretch:
    :func:`_wide_rgb_scale`), and ``curve`` its curve and softening when not linear.
    """
    scaled, colour = _wide_levels(gamma, scale, curve)
    for rows, highs, lows, values in _wide_values(high, low, grey_alpha, premultiplied):
        band = colour[values]
        if band.ndim == 3 and band.shape[2] == 4:  # alpha is no colour: scaled only
            band[..., 3] = scaled[values[..., 3]]
        elif key is not None:
            band = np.dstack([band, _key_alpha(highs, lows, key)])
        yield rows, band


def _unpremultiplied(values: np.ndarray) -> np.ndarray:
    """``(h, W, 4)`` uint16 RGBA whose colours, premultiplied by alpha in ``values`` (of
    the same shape), are divided by it, rounded (halves to even: 16384 over 32768 is
    32767.5, so 32768), at most 65535; 0 where alpha is 0.

    >>> _unpremultiplied(np.array([[[16384, 100, 0, 32768], [5, 5, 5, 0]]], np.uint16))
    array([[[32768,   200,     0, 32768],
            [    0,     0,     0,     0]]], dtype=uint16)
    """
    alpha = values[..., 3:].astype(np.float64)
    colours = np.rint(values[..., :3] * 65535.0 / np.maximum(alpha, 1.0))
    colours = np.where(alpha > 0, np.minimum(colours, 65535.0), 0.0)
    return np.concatenate([colours.astype(np.uint16), values[..., 3:]], axis=2)


@functools.lru_cache(maxsize=4)
def _wide_levels(gamma: float | None, scale: tuple[float, float] = (0.0, 65535.0),
                 curve: tuple[str, float] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The 8-bit level of each 16-bit value, read-only: scaled (``round(v / 257)``, for
    alpha), and as a colour, ``scale[0]`` read as black and ``scale[1]`` as white, through
    ``curve`` (a stretch's curve and softening, :func:`_curved`) when given (with
    ``gamma``, converted to sRGB after it); made once for the frames of an APNG, whose
    every frame :func:`_wide_rgb_bands` reads."""
    counts = np.arange(65536)
    scaled = _scale_wide_gray(counts, 65535.0)
    black, white = scale
    if curve is not None:
        unit = np.clip((counts - black) / (white - black), 0.0, 1.0)
        curved = _curved(unit, _Reading(True, curve=curve[0], softening=curve[1])) / 255.0
        colour = (np.rint(curved * 255.0).astype(np.uint8) if gamma is None
                  else _gamma_encoded(curved, gamma))
    else:
        colour = (_scale_wide_gray(counts, white, black) if gamma is None else
                  _gamma_encoded(np.clip((counts - black) / (white - black), 0.0, 1.0),
                                 gamma))
    for levels in (scaled, colour):
        levels.flags.writeable = False
    return scaled, colour


def _wide_rgb_still(im: Image.Image, key: tuple[int, int, int] | None,
                    lows: list[tuple[Any, ...]] | None = None,
                    highs: list[tuple[Any, ...]] | None = None,
                    reading: _Reading | None = None, page: int | None = None) -> Image.Image:
    """``im``, a still 16-bit RGB or RGBA PNG opened and not yet decoded
    (:func:`wide_rgb_png`), decoded from all 16 bits (:func:`_wide_rgb_bands`): RGB, or
    RGBA when it has alpha or the transparent colour ``key`` (:func:`sixteen_bit_key`),
    with its ``info`` but for that colour and the gamma applied here. So is a 16-bit TIFF
    page (RGB, RGBA or CMYK) or SGI image, its page opened (:func:`first_page`), with
    ``lows``, the tiles that decode its low bytes (:func:`_wide_rgb_lows`), and ``highs``,
    those that decode its high bytes as stored when Pillow's decode does not
    (:func:`_wide_rgb_highs`).

    ``im`` is decoded (its high bytes, unless ``highs`` are given), the low bytes from a
    :func:`second_reader` of its file (and so are ``highs``); the result is filled a band
    at a time, so no 16-bit copy of the image is made. With ``reading``, the colours (not
    of CMYK) are read as it says (:func:`_wide_rgb_scale`, named ``page`` when given).
    """
    mode = "RGBA" if im.mode == "RGBA" or key is not None else im.mode
    out = Image.new(mode, im.size)
    grey_alpha = lows is None and _wide_grey_alpha(im)
    premultiplied = _premultiplied(im)  # read from its tiles, before it is decoded
    # before Pillow closes im's file (decoding it, when its own high bytes are taken)
    with (second_reader(im) as fp, Image.open(fp) as low,
          _page_read_again(im, highs) as high):
        if lows is None:
            _read_low_bytes(low)
        else:
            low.seek(im.tell())
            low.tile = lows
        low.load()
        scale = (_wide_rgb_scale(high, low, grey_alpha, premultiplied, reading, page, key)
                 if reading is not None and mode != "CMYK" else (0.0, 65535.0))
        curve = _curve_reading(reading)
        for rows, band in _wide_rgb_bands(high, low, key, _wide_gamma(high.info), grey_alpha,
                                          premultiplied, scale,
                                          None if curve is None else (curve.curve,
                                                                      curve.softening)):
            h, w = band.shape[:2]  # pasted in out's mode, CMYK too, not converted to it
            out.paste(Image.frombuffer(mode, (w, h), band, "raw", mode, 0, 1), (0, rows.start))
        if reading is not None and reading.stretched is not None and mode != "CMYK":
            _record_values(reading, _wide_colours(high, low, grey_alpha, premultiplied))
        # of the page decoded, as _premultiplied_8_bit_page takes it (im may be left undecoded)
        out.info = {k: v for k, v in high.info.items() if k not in ("transparency", "gamma")}
    return out


def _wide_rgb_scale(high: Image.Image, low: Image.Image, grey_alpha: bool,
                    premultiplied: bool, reading: _Reading, page: int | None,
                    key: tuple[int, int, int] | None = None) -> tuple[float, float]:
    """The 16-bit values read as black and as white in the colours (or grey, of a 16-bit
    SGI grey image) of the image whose high and low bytes are ``high`` and ``low``
    (:func:`_wide_values`), as :func:`_wide_gray_scale` reads a grey image's: 0 and
    65535, or with ``reading.stretch`` the darkest and brightest over all colour channels
    of the pixels that show (of alpha above 0, and not the transparent colour ``key``),
    unless they are one or none shows; without it, colours whose brightest, of those
    pixels too, comes out below 64 are said to come out dark (:func:`_warn_dark_values`),
    ``page`` named when given.

    Without a stretch, colours whose high bytes reach ``DARK_TOP`` come out at least that
    (a value of at least 64 * 256 reads 64 of 255) and, when no pixel can be hidden (no
    ``key``, and no alpha under 256), are not read again."""
    extrema = high.getextrema()
    bands = len(high.getbands())
    tops = [extrema[1]] if bands == 1 else [top for _, top in extrema[:3]]
    may_hide = key is not None or (bands in (2, 4) and extrema[-1][0] == 0)
    if not (reading.stretch or premultiplied or may_hide) and max(tops) >= DARK_TOP:
        return 0.0, 65535.0
    low_value, top, shown = 65535, 0, []
    for _, highs, lows, values in _wide_values(high, low, grey_alpha, premultiplied):
        colours = values if values.ndim == 2 else values[..., :3]
        hiding = _hiding_alpha(highs, lows, values, key)
        extent = _shown_extent(colours, hiding)
        if extent is not None:
            low_value, top = min(low_value, extent[0]), max(top, extent[1])
        if reading.stretch and reading.clip:
            shown.append(_shown_values(colours, hiding).reshape(-1))
    low_value = min(low_value, top)  # (0, 0) when no pixel shows
    if reading.fixed is not None:  # the range given, whatever the image's own
        _record_stretch(reading, *reading.fixed)
        return reading.fixed
    if shown and top > low_value:  # of a stretch from percentiles
        low_value, top = _extent_of(np.concatenate(shown), reading.clip)
    if reading.stretch and top > low_value:
        _record_stretch(reading, low_value, top)
        return float(low_value), float(top)
    if 0 < top and round(top / 257.0) < DARK_TOP:
        _warn_dark_values(f"{_on_page(page)}16-bit", (low_value, top), 65535.0, reading)
    return 0.0, 65535.0


def _wide_colours(high: Image.Image, low: Image.Image, grey_alpha: bool,
                  premultiplied: bool) -> np.ndarray:
    """The 16-bit colours (or grey) of the image whose high and low bytes are ``high``
    and ``low`` (:func:`_wide_values`), ``(H, W, 3)`` or ``(H, W)`` uint16, as stored
    (not upright)."""
    return np.concatenate([values if values.ndim == 2 else values[..., :3]
                           for _, _, _, values in _wide_values(high, low, grey_alpha,
                                                               premultiplied)])


def _hiding_alpha(highs: np.ndarray, lows: np.ndarray, values: np.ndarray,
                  key: tuple[int, int, int] | None) -> np.ndarray | None:
    """The 16-bit alpha of a band of a 16-bit image (:func:`_wide_values`) that may hide
    its pixels: its alpha channel, or 0 where the pixel is the transparent colour ``key``
    (:func:`_key_alpha`, as 65535 elsewhere); None when every pixel shows."""
    if values.ndim == 3 and values.shape[2] == 4:
        return values[..., 3]
    if key is None:
        return None
    return _key_alpha(highs, lows, key).astype(np.uint16) * 257


@contextlib.contextmanager
def _page_read_again(im: Image.Image, tiles: list[tuple[Any, ...]] | None
                     ) -> Iterator[Image.Image]:
    """``im`` itself, decoded, when ``tiles`` is None; else its page decoded by ``tiles``
    from a :func:`second_reader` of its file, for as long as the block runs (``im`` is not
    decoded: its own decode of those bytes would be thrown away)."""
    if tiles is None:
        im.load()
        yield im
        return
    with second_reader(im) as fp, Image.open(fp) as again:
        again.seek(im.tell())
        again.tile = tiles
        again.load()
        yield again


# Pillow's unpackers of the 16-bit RGB, RGBA and CMYK samples of a TIFF of samples side by
# side (the high byte of each; "N", libtiff's, in the machine's byte order; "RGBa", colours
# premultiplied by alpha, divided by alpha's high byte), the ones that read the low byte of
# each sample as stored instead (those of the other byte order), and the ones that read the
# high byte as stored (of "RGBa" only, not divided).
_OTHER_ORDER = "B" if sys.byteorder == "little" else "L"
_ORDERS = (("B", "L"), ("L", "B"), ("N", _OTHER_ORDER))
_WIDE_TIFF_RAWMODES = {f"{samples};16{order}": f"{samples.replace('RGBa', 'RGBA')};16{other}"
                       for samples in ("RGB", "RGBA", "RGBX", "CMYK", "RGBa")
                       for order, other in _ORDERS}
_STORED_TIFF_RAWMODES = {f"RGBa;16{order}": f"RGBA;16{order}" for order, _ in _ORDERS}
# The bands of a 16-bit RGB or RGBA TIFF of separate planes: Pillow decodes a plane by the
# unpacker of its band named by one letter, which reads 8-bit samples (the tiles of the
# planes of a compressed one it gives to libtiff, whose decoder keeps their high bytes).
_PLANE_BANDS = ("R", "G", "B", "A")
_PLANAR_CONFIGURATION = 284
_EXTRA_SAMPLES = 338  # 1: colours premultiplied by alpha


def _wide_rgb_lows(im: Image.Image) -> list[tuple[Any, ...]] | None:
    """The tiles that decode the low byte of each sample of ``im``, an opened image not yet
    decoded, when it is a 16-bit RGB, RGBA or CMYK TIFF page (of samples side by side,
    compressed or not, RGBA premultiplied too: :func:`_wide_tiff_tiles`), or a 16-bit grey,
    RGB or RGBA SGI image (compressed or not), which Pillow decodes to the high byte of
    each sample; None for any other image.

    An SGI image holds its samples a plane at a time, big-endian: each plane's low bytes
    are read by Pillow's little-endian unpacker of that band (of a compressed one, by its
    run-length decoder given the little-endian unpacker of the image).
    """
    tiles = getattr(im, "tile", None) or ()
    if im.format == "TIFF":
        return _wide_tiff_tiles(im, low=True)
    if im.format != "SGI" or len(tiles) != 1:
        return None
    decoder, box, offset, args = tiles[0]
    if decoder == "sgi_rle" and args[2] == 2:  # (rawmode, orientation, bytes a sample)
        low = "L;16" if args[0] == "L;16B" else args[0].replace(";16B", ";16L")
        return [_tile_like(tiles[0], decoder, box, offset, (low, *args[1:]))]
    if decoder != "SGI16":
        return None
    orientation = args[2]  # (mode, 0, orientation)
    plane = 2 * im.width * im.height
    return [_tile_like(tiles[0], "raw", box, offset + i * plane,
                       (f"{band};16L" if band != "L" else "L;16", 0, orientation))
            for i, band in enumerate(im.mode)]


def _wide_rgb_highs(im: Image.Image) -> list[tuple[Any, ...]] | None:
    """The tiles that decode the high byte of each sample of ``im`` (an opened image not
    yet decoded, read from all 16 bits: :func:`_wide_rgb_lows`) as stored, where Pillow's
    own decode does not: of a 16-bit TIFF page of separate planes, whose samples Pillow
    reads as 8-bit ones, and of premultiplied RGBA, whose colours Pillow divides by
    alpha's high byte; None for any other image, whose own decode gives them."""
    if im.format != "TIFF" or not (_separate_planes(im) or _premultiplied(im)):
        return None
    return _wide_tiff_tiles(im, low=False)


def _wide_tiff_tiles(im: Image.Image, low: bool) -> list[tuple[Any, ...]] | None:
    """The tiles that decode the ``low`` (else the high) byte of each sample, as stored, of
    ``im``, a TIFF page opened and not yet decoded, when it is of 16-bit RGB, RGBA or CMYK
    samples side by side (compressed or not, RGBA premultiplied too), or of 16-bit RGB or
    RGBA in separate planes, uncompressed (:func:`_separate_planes`); None for any other.

    A plane's samples are read by Pillow's unpacker of its band, of the file's byte order
    (their high bytes) or of the other (their low bytes)."""
    tiles = getattr(im, "tile", None) or ()
    if not tiles or getattr(im, "fp", None) is None:
        return None
    if _separate_planes(im):
        order = "L" if im.tag_v2.prefix == b"II" else "B"
        if low:
            order = "B" if order == "L" else "L"
        return [_tile_like(t, *t[:3], (f"{t[3][0]};16{order}", *t[3][1:])) for t in tiles
                if t[3][0] in _PLANE_BANDS]  # the planes of extra samples left out
    if not all(isinstance(t[3], tuple) and t[3][0] in _WIDE_TIFF_RAWMODES for t in tiles):
        return None
    rawmodes = _WIDE_TIFF_RAWMODES if low else _STORED_TIFF_RAWMODES
    return [_tile_like(t, *t[:3], (rawmodes.get(t[3][0], t[3][0]), *t[3][1:])) for t in tiles]


def _sixteen_bit_planes(im: Image.Image) -> bool:
    """Whether ``im`` is an opened TIFF page of 16-bit samples, more than one a pixel, in
    separate planes (PlanarConfiguration 2)."""
    tags = getattr(im, "tag_v2", None)
    if im.format != "TIFF" or tags is None or tags.get(_PLANAR_CONFIGURATION, 1) != 2:
        return False
    bits = tags.get(_BITS_PER_SAMPLE, (1,))
    bits = bits if isinstance(bits, tuple) else (bits,)
    return bits[0] == 16 and im.mode not in _SIXTEEN_BIT_MODES and len(im.getbands()) > 1


def _separate_planes(im: Image.Image) -> bool:
    """Whether ``im``, an opened TIFF page not yet decoded, is of 16-bit RGB or RGBA in
    separate planes, uncompressed (:func:`_sixteen_bit_planes`): Pillow reads each plane
    as 8-bit samples (by the unpacker of its band, ``_PLANE_BANDS``), which gave
    wrong pixels; its high and low bytes are read here (:func:`_wide_tiff_tiles`). Planes
    of extra samples after them (RGB and one marked "unspecified", say), which Pillow gives
    a character of its mode as an unpacker that is none (";"), and could not decode, are
    left out, as Pillow leaves them out of samples side by side
    (:func:`warn_samples_left_out`)."""
    tiles = getattr(im, "tile", None) or ()
    bands = [t[3][0] for t in tiles if t[0] == "raw"]
    colours = [band for band in bands if band in _PLANE_BANDS]
    return (bool(tiles) and _sixteen_bit_planes(im) and im.mode in ("RGB", "RGBA")
            and len(bands) == len(tiles) and set(colours) == set(im.getbands())
            and bands[:len(colours)] == colours)


def _premultiplied(im: Image.Image) -> bool:
    """Whether ``im``, an opened image not yet decoded, is a 16-bit TIFF page of RGBA
    whose colours are premultiplied by alpha (ExtraSamples 1), samples side by side."""
    tiles = getattr(im, "tile", None) or ()
    return im.format == "TIFF" and any(isinstance(t[3], tuple) and str(t[3][0]).startswith(
        "RGBa;16") for t in tiles)


# Pillow's unpackers of 8-bit RGBA premultiplied by alpha (ExtraSamples 1) in a TIFF, of
# samples side by side ("RGBa": the colours divided by alpha, truncated) and of alpha in a
# plane of its own ("a", which no RGBA image takes: such a page was "cannot decode"), with
# the ones that read the samples as stored.
_STORED_PREMULTIPLIED_RAWMODES = {"RGBa": "RGBA", "a": "A"}


def _premultiplied_8_bit_tiles(im: Image.Image) -> list[tuple[Any, ...]] | None:
    """The tiles that decode the samples as stored of ``im``, an opened image not yet
    decoded, when it is a TIFF page of 8-bit RGBA whose colours are premultiplied by alpha:
    samples side by side (compressed or not), or separate planes uncompressed; None for any
    other. (The planes of a compressed one go to libtiff's decoder in Pillow, which
    divides them itself, truncated, whatever it is told.)"""
    tiles = getattr(im, "tile", None) or ()
    tags = getattr(im, "tag_v2", None)
    if (im.format != "TIFF" or not tiles or getattr(im, "fp", None) is None or tags is None
            or not all(isinstance(t[3], tuple) for t in tiles)
            or not any(t[3][0] in _STORED_PREMULTIPLIED_RAWMODES for t in tiles)):
        return None
    if tiles[0][0] != "raw" and tags.get(_PLANAR_CONFIGURATION, 1) != 1:
        return None
    rawmodes = _STORED_PREMULTIPLIED_RAWMODES
    return [_tile_like(t, *t[:3], (rawmodes.get(t[3][0], t[3][0]), *t[3][1:])) for t in tiles]


def _premultiplied_8_bit_page(im: Image.Image, stored: list[tuple[Any, ...]]) -> Image.Image:
    """``im``, a TIFF page of 8-bit premultiplied RGBA opened and not yet decoded, as RGBA:
    its samples decoded as stored by the tiles ``stored``
    (:func:`_premultiplied_8_bit_tiles`) from a :func:`second_reader` of its file, each
    colour divided by alpha as a 16-bit page of the same colours is
    (:func:`_premultiplied_levels`). Pillow divided them truncated, 63.75 read 63, where
    the 16-bit page gives 64. ``im`` is left undecoded; the result has the ``info`` of the
    page decoded.
    """
    out = Image.new("RGBA", im.size)
    levels = _premultiplied_levels()
    with _page_read_again(im, stored) as page:
        for rows, band in _row_bands(page):
            rgba = np.array(band)
            pairs = np.empty(rgba.shape[:2] + (3,), np.uint16)
            pairs[...] = rgba[..., 3:]
            pairs <<= 8
            pairs |= rgba[..., :3]
            rgba[..., :3] = levels.take(pairs)
            out.paste(Image.fromarray(rgba), (0, rows.start))
        out.info = dict(page.info)
    return out


@functools.lru_cache(maxsize=1)
def _premultiplied_levels() -> np.ndarray:
    """The 8-bit level of each 8-bit colour ``c`` premultiplied by alpha ``a``, at
    ``a << 8 | c``, read-only: as a 16-bit page of samples ``257 * c`` and ``257 * a``
    reads it, divided by alpha and rounded (:func:`_unpremultiplied`), then scaled,
    ``round(v / 257)``; that is ``round(c * 255 / a)``, ties to even, at most 255, and 0
    where ``a`` is 0.

    >>> [int(_premultiplied_levels()[a << 8 | c]) for c, a in ((32, 128), (64, 128), (9, 0))]
    [64, 128, 0]
    """
    alpha, colour = np.divmod(np.arange(65536, dtype=np.uint16), np.uint16(256))
    samples = np.stack([colour, colour, colour, alpha], axis=1)[None] * np.uint16(257)
    levels = _wide_levels(None)[0][_unpremultiplied(samples)[0, :, 0]]
    levels.flags.writeable = False
    return levels


def _check_wide_planes(im: Image.Image) -> None:
    """Refuse ``im``, an opened TIFF page not yet decoded, when it is of 16-bit samples in
    separate planes that are not read from all 16 bits (:func:`_separate_planes`): a
    compressed one, which libtiff's decoder in Pillow gives the high bytes of only, and
    CMYK or premultiplied RGBA, whose planes Pillow reads as 8-bit samples.

    Raises
    ------
    ImageReadError
        Without a path (:func:`read_errors` gives it the file's).
    """
    if not _sixteen_bit_planes(im) or _separate_planes(im):
        return
    compressed = any(t[0] != "raw" for t in getattr(im, "tile", None) or ())
    kind = "premultiplied RGBA" if im.tag_v2.get(_EXTRA_SAMPLES) == (1,) else im.mode
    raise ImageReadError(
        f"is a 16-bit {kind} TIFF of separate colour planes (PlanarConfiguration 2)"
        f"{', compressed,' if compressed else ''} which Pillow does not decode from all 16 "
        "bits; save it with its samples side by side (tiffcp -p contig in.tif out.tif, or "
        "ImageMagick's convert in.tif -interlace none out.tif)")


_YCBCR, _YCBCR_SUBSAMPLING = 6, 530  # the photometric of YCbCr, and its chroma's tag


def _check_subsampled_ycbcr(im: Image.Image) -> None:
    """Refuse ``im``, an opened TIFF page not yet decoded, when it is YCbCr whose chroma
    is subsampled (its YCbCrSubsampling tag other than 1x1), uncompressed: Pillow's own
    decoder reads three samples a pixel, and the file was said to be truncated. (A
    compressed one is decoded by libtiff, which reads it right. One without the tag is
    read as Pillow reads it, three samples a pixel, as Pillow writes YCbCr, though the
    TIFF specification makes 2x2 the default.)

    Raises
    ------
    ImageReadError
        Without a path (:func:`read_errors` gives it the file's).
    """
    tags = getattr(im, "tag_v2", None)
    tiles = getattr(im, "tile", None) or ()
    if (im.format != "TIFF" or tags is None or tags.get(_PHOTOMETRIC) != _YCBCR
            or not tiles or any(t[0] != "raw" for t in tiles)):
        return
    factors = tags.get(_YCBCR_SUBSAMPLING, ())
    across, down = ((factors if isinstance(factors, tuple) else (factors,)) + (1, 1))[:2]
    if (across, down) != (1, 1):
        raise ImageReadError(
            f"is an uncompressed YCbCr TIFF of chroma subsampled {across}x{down} "
            "(YCbCrSubsampling), which Pillow cannot decode; save it as RGB, or compressed")


def wide_page(im: Image.Image, page: int | None = None,
              dark: DarkPages | None = None) -> Image.Image | None:
    """``im``, an opened image not yet decoded (a TIFF at any page), decoded from all 16
    bits when it is a 16-bit TIFF page or SGI image that Pillow decodes to the high byte
    of each sample (:func:`_wide_rgb_lows`), and, a TIFF page of 8-bit premultiplied RGBA,
    with its colours divided by alpha as a 16-bit one's are
    (:func:`_premultiplied_8_bit_page`), as :func:`load_image` reads it; None for any
    other image, which is left undecoded. That its colours come out dark is said as
    ``dark``, kept for the pages of one file, says (once a file, naming ``page``), as
    :func:`frame_rgba` says it of a grey page; not said without ``dark``.

    :func:`~quantize.animation.iter_frames` reads the pages of a TIFF so: each page after
    the first was read from its high bytes.

    Raises
    ------
    ImageReadError
        Without a path, for a 16-bit TIFF page of separate planes that is not read so
        (:func:`_check_wide_planes`), and for an uncompressed YCbCr TIFF page whose
        chroma is subsampled (:func:`_check_subsampled_ycbcr`).
    """
    return _wide_page(im, None if dark is None else _Reading(False, dark.advice, dark), page)


def _wide_page(im: Image.Image, reading: _Reading | None = None,
               page: int | None = None) -> Image.Image | None:
    """:func:`wide_page` of ``im``, the colours of a page read from all 16 bits read as
    ``reading`` says when it is given (:func:`_wide_rgb_scale`, named ``page``)."""
    _check_wide_planes(im)
    _check_subsampled_ycbcr(im)
    stored = _premultiplied_8_bit_tiles(im)
    if stored is not None:
        with pillow_limit_lifted():
            return _premultiplied_8_bit_page(im, stored)
    lows = _wide_rgb_lows(im)
    if lows is None:
        return None
    with pillow_limit_lifted():
        key = im.info.get("transparency")  # a no-data colour (a TIFF has no tRNS)
        return _wide_rgb_still(im, key if isinstance(key, tuple) else None, lows,
                               _wide_rgb_highs(im), reading, page)


def _tile_like(tile: tuple[Any, ...], *fields: Any) -> tuple[Any, ...]:
    """A tile of ``fields`` (decoder, box, offset, arguments) of the kind ``tile`` is: a
    named tuple, as Pillow 11 and later make them (its libtiff decoder reads their names),
    or a plain one."""
    make = getattr(type(tile), "_make", None)
    return tuple(fields) if make is None else make(fields)


def _key_alpha(highs: np.ndarray, lows: np.ndarray, key: tuple[int, int, int]) -> np.ndarray:
    """``(H, W)`` uint8 alpha: 0 where the 16-bit pixel whose high and low bytes are
    ``highs`` and ``lows`` (``(H, W, 3)`` uint8) is the colour ``key``, else 255.

    >>> _key_alpha(np.array([[[78, 1, 255], [78, 1, 255]]], np.uint8),
    ...           np.array([[[32, 44, 255], [33, 44, 255]]], np.uint8), (20000, 300, 65535))
    array([[  0, 255]], dtype=uint8)
    """
    clear = (np.all(highs == [k >> 8 for k in key], axis=2)
             & np.all(lows == [k & 0xFF for k in key], axis=2))
    return np.where(clear, np.uint8(0), np.uint8(255))


def hidden_frames(im: Image.Image) -> int:
    """Frames Pillow reads before the ones a player shows: an APNG's default image, when
    it is not the first frame of the animation (only viewers without APNG support show it).
    """
    return int(im.format == "PNG" and bool(im.info.get("default_image"))
               and getattr(im, "n_frames", 1) > 1)


def forget_default_image(im: Image.Image) -> None:
    """Have Pillow clear the canvas of ``im``, an APNG at a default image that is not a
    frame (:func:`hidden_frames`), before it draws the first frame.

    Pillow drew that frame over the default image, which showed where the frame does not
    reach and through its transparent pixels when it blends over; an APNG player starts
    the animation on a transparent canvas. It is cleared as Pillow clears what a frame's
    disposal clears: to transparent black in an image with alpha. (:func:`load_image`
    and :func:`~quantize.animation.iter_frames` draw the frames of an APNG on a
    :class:`KeyedCanvas`, which starts so, whatever the image's mode.)
    """
    from PIL.PngImagePlugin import Disposal

    im.dispose_op = Disposal.OP_BACKGROUND  # what Pillow does on moving to the next frame
    im.dispose_extent = (0, 0, *im.size)


def shown_frames(im: Image.Image) -> int:
    """Frames of an opened image that a player shows (:func:`hidden_frames` left out).

    One for an MPO (a JPEG with further images: viewers show the first), for a PSD
    (Pillow counts its layers as frames; the merged image, read at opening, is what
    viewers show) and for a TIFF whose pages are not all of one size, which cannot be
    the frames of one animation (a page and its reduced-size copy, say): its first page
    (:func:`first_page`: the first not marked a reduced-size copy).
    """
    n = int(getattr(im, "n_frames", 1))
    if n > 1 and (im.format in ("MPO", "PSD")
                  or (im.format == "TIFF" and not _same_size_pages(im, n))):
        return 1
    return n - hidden_frames(im)


def shows_animation(im: Image.Image) -> bool:
    """Whether an opened image shows more than one frame (``shown_frames(im) > 1``).

    Of a GIF, whose frame count Pillow finds by reading the whole file, only
    the start of the second frame is read.
    """
    if im.format == "GIF":
        return bool(getattr(im, "is_animated", False))
    return shown_frames(im) > 1


class SamplesLeftOutWarning(QuantizeWarning):
    """A TIFF holds more samples a pixel than are read: an extra sample that is not
    alpha (its ExtraSamples tag says "unspecified"), which Pillow leaves out."""


#: What a TIFF's ExtraSamples tag says an extra sample is.
_EXTRA_SAMPLE_KINDS = {0: "unspecified", 1: "alpha, premultiplied", 2: "alpha"}


def warn_samples_left_out(im: Image.Image) -> None:
    """Warn (:class:`SamplesLeftOutWarning`) when ``im``, a file opened and not yet
    decoded, is a TIFF of more samples a pixel than the bands Pillow reads of it (a
    16-bit RGB one with a fourth sample marked "unspecified" is read as RGB): naming the
    samples left out and what the file says they are."""
    tags = getattr(im, "tag_v2", None)
    if im.format != "TIFF" or tags is None:
        return
    samples = tags.get(_SAMPLES_PER_PIXEL, 1)
    read = sum(band != "X" for band in im.getbands())
    if not isinstance(samples, int) or samples <= read:
        return
    extra = tuple(tags.get(_EXTRA_SAMPLES, ()))
    kinds = sorted({_EXTRA_SAMPLE_KINDS.get(kind, f"of kind {kind}")
                    for kind in extra[-(samples - read):]} or {"unspecified"})
    one = samples - read == 1
    which = f"its sample {read + 1}" if one else f"its samples {read + 1} to {samples}"
    it, are = ("it", "is") if one else ("them", "are")
    warn_caller(f"TIFF of {samples} samples a pixel, read as {im.mode}: {which} (extra, "
                f"marked {' and '.join(kinds)}) {are} left out; to use {it}, save {it} as an "
                "image of its own, or as alpha", SamplesLeftOutWarning)


class PagesLeftOutWarning(QuantizeWarning):
    """A TIFF whose pages differ in size is read as one page (:func:`shown_frames`,
    :func:`first_page`), and some other page is not a reduced-size copy (NewSubfileType),
    or the page read is not the first: the other pages are left out. An icon (ICO, ICNS)
    holding several sizes is read at its largest, the others left out, likewise, and an
    MPO (a JPEG holding more images) at its first image, when some other is not marked
    a preview of it."""


# TIFF tags that mark a page as a reduced-resolution copy of another: NewSubfileType
# (bit 0 set) and the older SubfileType (value 2).
_NEW_SUBFILE_TYPE, _SUBFILE_TYPE = 254, 255


def _page_marks(im: Image.Image) -> list[bool] | None:
    """For a TIFF of several pages read as one (:func:`shown_frames`), whether each page is
    marked a reduced-size copy (its headers read, not its pixels; ``im`` is left at the
    page it was at); None for any other image, whose frames are not counted (Pillow reads
    a whole GIF to count them)."""
    if im.format != "TIFF":
        return None
    n = int(getattr(im, "n_frames", 1))
    if n < 2 or shown_frames(im) > 1:
        return None
    here, marks = im.tell(), []
    try:
        for i in range(n):
            im.seek(i)
            marks.append(_reduced_copy(im))
    finally:
        im.seek(here)
    return marks


def first_page(im: Image.Image) -> int:
    """The page of ``im``, opened at its first page and not yet decoded, that is read as
    the image: for a TIFF read as one page (:func:`shown_frames`) whose first pages are
    marked reduced-size copies (a thumbnail before the full image), the first page not so
    marked; 0 for any other image, and for a TIFF whose pages are all so marked."""
    marks = _page_marks(im)
    return 0 if marks is None or all(marks) else marks.index(False)


def seek_first_page(im: Image.Image) -> None:
    """Move ``im``, opened at its first page and not yet decoded, to the page read
    (:func:`first_page`)."""
    page = first_page(im)
    if page:  # only then: a PSD's frames count from 1, and it cannot seek to 0
        im.seek(page)


def _seek_page(im: Image.Image, page: int, n_frames: int, p: Path | str) -> None:
    """Move ``im``, the file ``p`` opened at the page read and not yet decoded, to
    ``page`` (from 1) of its ``n_frames`` (:func:`shown_frames`). Page 1 is the image
    read without a page (a TIFF's first page); a later one must be a page of a TIFF of
    pages of one size. Prior validation of ``page`` (an int >= 1) is assumed.

    Raises
    ------
    InputParameterError
        For a page past the last, or above 1 of an image that is not such a TIFF, naming
        ``p``, the page and the pages there are.
    """
    if page == 1:
        return
    if im.format == "TIFF" and page <= n_frames:
        im.seek(page - 1)
        return
    if im.format != "TIFF":
        what = (f"a {im.format or 'file'} of {n_frames} frames, whose frames are not read "
                "one at a time" if n_frames > 1 else f"a {im.format or 'file'} of one image")
    elif n_frames == 1 and getattr(im, "n_frames", 1) > 1:
        what = "a TIFF whose pages differ in size, read as one page"
    else:
        what = f"a TIFF of {n_frames} {'page' if n_frames == 1 else 'pages'}"
    last = n_frames if im.format == "TIFF" else 1
    raise InputParameterError(f"page={page}, but the input is {what}; expected a page "
                              f"from 1 to {last}", path=p)


def warn_pages_left_out(im: Image.Image) -> None:
    """Warn (:class:`PagesLeftOutWarning`) when ``im``, a file opened at the page read
    (:func:`first_page`) and not yet decoded, is a TIFF read as that page alone whose other
    pages are not all reduced-size copies, or whose page read is not its first: a document
    of pages of several sizes loses them. A page marked reduced-resolution (a thumbnail or
    preview) after the page read is left out silently, as viewers leave it. An icon of
    several sizes warns too (:func:`_warn_sizes_left_out`), and so does an MPO holding
    images other than previews of its first (:func:`_warn_images_left_out`)."""
    if im.format in ("ICO", "ICNS"):
        _warn_sizes_left_out(im)
        return
    if im.format == "MPO":
        _warn_images_left_out(im)
        return
    marks = _page_marks(im)
    if marks is None:
        return
    n, here, (w, h) = len(marks), im.tell(), im.size
    left_out = sum(not reduced for i, reduced in enumerate(marks) if i != here)
    if not left_out and not here:
        return
    read = (f"only its first page ({w}x{h}) is read" if not here else
            f"only its page {here + 1} ({w}x{h}), the first not marked a reduced-size copy, "
            "is read")
    others = left_out if not here else n - 1
    advice = "; save each page as an image of its own to use it" if left_out else ""
    warn_caller(f"TIFF of {n} pages of different sizes, which cannot be the frames of one "
                f"animation: {read}, and {others} other {'page' if others == 1 else 'pages'} "
                f"left out{advice}", PagesLeftOutWarning)


def _warn_sizes_left_out(im: Image.Image) -> None:
    """Warn (:class:`PagesLeftOutWarning`) when ``im``, an ICO or ICNS file opened and not
    yet decoded, holds images of more than one size: Pillow reads the largest. Sizes are
    counted in pixels (an ICNS image of 16x16 points at scale 2 is one of 32x32)."""
    sizes = {(s[0] * s[2], s[1] * s[2]) if len(s) == 3 else tuple(s)
             for s in im.info.get("sizes", ())}
    if len(sizes) < 2:
        return
    w, h = im.size
    others = len(sizes) - 1
    warn_caller(f"{im.format} of {len(sizes)} sizes: only the largest ({w}x{h}) is read, and "
                f"{others} other {'size' if others == 1 else 'sizes'} left out; save each "
                "size as an image of its own to use it", PagesLeftOutWarning)


def _warn_images_left_out(im: Image.Image) -> None:
    """Warn (:class:`PagesLeftOutWarning`) when ``im``, an MPO opened at its first image
    and not yet decoded, holds further images that its MP index does not mark as large
    thumbnails of the first (a stereo pair's other view, another angle, a panorama's
    next part, or of a type not stated): only the first is read, as viewers show it. A
    camera's preview of the photo is left out silently, as a TIFF's reduced-size copy is."""
    entries = im.mpinfo[0xB002][1:]  # type: ignore[attr-defined]
    others = sum(not str(e["Attribute"]["MPType"]).startswith("Large Thumbnail")
                 for e in entries)
    if not others:
        return
    w, h = im.size
    warn_caller(f"MPO of {len(entries) + 1} images: only its first image ({w}x{h}) is "
                f"read, as viewers show it, and {others} other "
                f"{'image' if others == 1 else 'images'} (not a preview of it) left out; "
                "save each image as a JPEG of its own to use it", PagesLeftOutWarning)


class UnterminatedGifWarning(QuantizeWarning):
    """A GIF ends after a whole frame without its trailer (the byte ``;`` every GIF ends
    with): it may have been cut short there, and frames after it lost. The frames it
    has are read, as viewers (and gifsicle and ImageMagick) show them."""


def warn_unterminated_gif(p: Path, fmt: str | None) -> None:
    """Warn (:class:`UnterminatedGifWarning`) when the file ``p``, of Pillow's format ``fmt``,
    is a GIF whose blocks end at the end of the file with no trailer, or that is cut after a
    whole frame inside an extension or before the terminator of its data (Pillow reads the
    frames before the cut), or inside the blocks of a frame after whole ones (those are
    read, :func:`readable_input`). A file cut inside its first frame is left to the
    decoder, which refuses it; one whose last byte is the trailer, or that has one followed
    by other bytes, is whole."""
    if fmt != "GIF":
        return
    with open(p, "rb") as f:
        f.seek(-1, os.SEEK_END)
        if f.read(1) == b";":  # every whole GIF but those with bytes after the trailer
            return
        f.seek(0)
        data = f.read()
    frames, _, end = _gif_blocks(data)
    held = "1 frame" if frames == 1 else f"{frames} frames"
    if frames and end == "whole":
        warn_caller(f"the GIF ends after {held} without its trailer (the ';' that ends "
                    "every GIF): it may have been cut short and later frames lost; the "
                    f"{held} it has {'is' if frames == 1 else 'are'} read",
                    UnterminatedGifWarning)
    elif frames and end == "image":
        warn_caller(f"the GIF is cut inside its frame {frames + 1} (a download broken off, "
                    "say): that frame and any later ones are lost; the "
                    f"{held} before it {'is' if frames == 1 else 'are'} read, as browsers "
                    "and gifsicle play them", UnterminatedGifWarning)


def readable_input(p: Path) -> Path | BinaryIO:
    """What Pillow is given to open the file ``p``: for a GIF cut inside the blocks of a
    frame after whole ones (a download broken off), the bytes of those whole frames and a
    trailer, read as browsers and gifsicle play such a file (Pillow refused it: "image file
    is truncated"); else :func:`~quantize.png.readable_png` of ``p``. A GIF cut inside its
    first frame is ``p``, which the decoder refuses. Only a regular file is read (a pipe
    cannot be read again); one that cannot be read is left to Pillow to report."""
    if not p.is_file():
        return p
    try:
        with open(p, "rb") as f:
            gif = f.read(6) in (b"GIF87a", b"GIF89a")
            f.seek(-1, os.SEEK_END)
            if not gif or f.read(1) == b";":  # not a GIF, or a whole one
                return p if gif else readable_png(p)
            f.seek(0)
            data = f.read()
    except OSError:
        return p
    frames, whole, end = _gif_blocks(data)
    return _io.BytesIO(data[:whole] + b";") if frames and end == "image" else p


def _gif_blocks(data: bytes) -> tuple[int, int, str]:
    """The image blocks of the GIF ``data`` read whole, where the last of them ends (after
    its terminator) and how the data ends: ``"trailer"``; ``"whole"`` when it ends without
    one at the end of a block, inside an extension after them (which Pillow reads as the
    end of the file), or before the terminator of the last image's data, whose sub-blocks
    are whole (Pillow reads that image whole, and it is counted); ``"image"`` when it is cut
    inside an image's descriptor, colour table or data sub-block (the decoder refuses that
    image); ``"unknown"`` at a byte no block starts with.

    >>> head = b"GIF89a" + bytes(7)  # a screen without a global colour table
    >>> image = b"," + bytes(8) + b"\\0" + b"\\2\\2\\x4c\\x01\\0"
    >>> _gif_blocks(head + image * 2 + b";")
    (2, 43, 'trailer')
    >>> _gif_blocks(head + image * 2 + image[:12])
    (2, 43, 'image')
    >>> _gif_blocks(head + image)
    (1, 28, 'whole')
    """
    flags = data[10] if len(data) > 10 else 0
    at = 13 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0)  # the global colour table
    frames, whole = 0, at
    while at < len(data):
        tag = data[at]
        image = tag == 0x2C
        if image:  # an image: its descriptor, local table, LZW code size, data
            if at + 10 > len(data):
                return frames, whole, "image"
            local = data[at + 9]
            at += 10 + (3 << ((local & 7) + 1) if local & 0x80 else 0) + 1
            if at >= len(data):  # cut before its data
                return frames, whole, "image"
        elif tag == 0x21:  # an extension: its label, then data sub-blocks
            at += 2
        else:  # the trailer, or a byte no block starts with
            return frames, whole, "trailer" if tag == 0x3B else "unknown"
        while at < len(data) and data[at]:  # sub-blocks, each led by its length
            at += data[at] + 1
        if image and at > len(data):  # cut inside a sub-block of its data
            return frames, whole, "image"
        frames += image
        if at >= len(data):  # cut before the terminator of its sub-blocks, or inside an
            return frames, whole, "whole"  # extension's
        at += 1
        whole = at if image else whole
    return frames, whole, "whole"


def _reduced_copy(im: Image.Image) -> bool:
    """Whether the TIFF page ``im`` is at is marked a reduced-resolution copy of another."""
    tags = getattr(im, "tag_v2", {})
    return bool(int(tags.get(_NEW_SUBFILE_TYPE, 0)) & 1) or tags.get(_SUBFILE_TYPE) == 2


def _same_size_pages(im: Image.Image, n: int) -> bool:
    """Whether the ``n`` pages of ``im`` share one size (reads their headers, not pixels)."""
    here, sizes = im.tell(), set()
    try:
        for i in range(n):
            im.seek(i)
            sizes.add(im.size)
    finally:
        im.seek(here)
    return len(sizes) == 1


def stack_pages(path: str | os.PathLike[str]) -> int:
    """The pages of ``path`` that :func:`load_image` reads one at a time (its ``page``):
    those of a TIFF of several pages of one size (a z-stack, a time series; an ImageJ or
    OME-TIFF stack), from their headers, without decoding; 1 for any other image (an
    animation's frames, a TIFF whose pages differ in size).

    Raises
    ------
    ImageReadError
        As :func:`probe_image`, for a file that cannot be opened as an image.

    Examples
    --------
    >>> import os, tempfile
    >>> folder = tempfile.TemporaryDirectory()
    >>> stack = os.path.join(folder.name, "z.tif")
    >>> page = Image.new("I;16", (4, 3))
    >>> page.save(stack, save_all=True, append_images=[page, page])
    >>> stack_pages(stack)
    3
    >>> folder.cleanup()
    """
    p = check_input_path(path, "path")
    with _opened(p, None) as im:
        return shown_frames(im) if im.format == "TIFF" else 1


def probe_image(path: str | os.PathLike[str], *,
                max_pixels: int | None = DEFAULT_MAX_PIXELS,
                frames: bool = False) -> tuple[int, int]:
    """Check from its header, without decoding, that ``path`` is an image within the limit.

    With ``frames``, the limit applies to the frames a player shows x width x
    height (:func:`check_frame_pixels`), as a job that reads every frame needs.

    Returns
    -------
    (width, height) : tuple of int
        As stored (before EXIF orientation).

    Raises
    ------
    ImageReadError
        As :func:`load_image`, for every problem the header shows (a truncated
        body is only found by decoding).
    """
    limit = check_max_pixels(max_pixels)
    p = check_input_path(path, "path")
    with _opened(p, None if frames else limit) as im:
        _probe_frames(im, p, limit, frames)
        return im.size


def _probe_frames(im: Image.Image, p: Path, limit: int | None, frames: bool) -> int:
    """:func:`probe_image`'s check of ``im``, the file ``p`` opened by :func:`_opened`
    (without a limit when ``frames``); the frames a player shows, with ``frames``, else 1.

    With frames, an animation is measured whole even when one frame is over the
    limit: the limit advised for one frame was then refused for them all.
    """
    n = shown_frames(im) if frames else 1
    if n > 1:
        check_frame_pixels(p, n, im.size, limit)
    else:
        _check_pixel_count(p, im.size, limit)
    return n


class OpenInput:
    """An input file opened once for a job that reads its header and then its pixels
    (:func:`open_input`): ``path``, ``n_frames`` (those a player shows) and :meth:`OpenInput.load`.
    """

    def __init__(self, path: Path, image: Image.Image, n_frames: int) -> None:
        self.path, self.n_frames, self._image = path, n_frames, image

    @property
    def image(self) -> Image.Image:
        """The Pillow image held open, at the page read (:func:`first_page`), not decoded
        until :meth:`OpenInput.load`: for a job that reads its frames itself (an
        animation's, :func:`~quantize.animation.frames.opened_animation`) instead.

        Raises
        ------
        ValueError
            Once the input was closed (its :func:`open_input` block has ended).
        """
        if self._image is None:
            raise ValueError(f"{self.path}: the input was closed; read it within open_input")
        return self._image

    def load(self, *, stretch: bool = False, dark_advice: str | None = None,
             nodata: NoData = None, intent: Intent = DEFAULT_INTENT,
             stretch_clip: float = 0.0, keep_gray_profile: bool = False,
             stretch_curve: StretchCurve = "linear", stretch_softening: float | None = None,
             stretch_range: tuple[float, float] | None = None) -> LoadedImage:
        """The pixels, as :func:`load_image` reads them (within the limit checked already),
        with its ``stretch``, ``dark_advice``, ``nodata``, ``intent``, ``stretch_clip``,
        ``stretch_curve``, ``stretch_softening`` and ``stretch_range``;
        with ``keep_gray_profile``, a grey file's grey ICC profile (:func:`_gray_profile_of`)
        is not applied: its levels are read as they are and the profile is kept
        (:attr:`LoadedImage.gray_profile`), for an output written grey.

        Raises
        ------
        ImageReadError
            As :func:`load_image`, naming the file.
        """
        if self._image is None:
            raise ValueError(f"{self.path}: the input was closed; load it within open_input")
        nodata, intent = check_nodata(nodata), check_intent(intent)
        with read_errors(self.path):
            return _loaded(self._image, self.path, None,
                           _stretch_reading(stretch, stretch_clip, dark_advice, stretch_curve,
                                            stretch_softening, stretch_range), nodata,
                           intent, keep_gray_profile=check_bool(keep_gray_profile,
                                                                "keep_gray_profile"))

    def close(self) -> None:
        """Let go of the image, and with it the pixels :meth:`OpenInput.load` decoded into
        it: :func:`open_input` does as its block ends, where the job that held it until
        it returned kept a 12 MP photo's 48 MB of decoded pixels through its fit."""
        self._image = None


@contextlib.contextmanager
def open_input(path: str | os.PathLike[str], *,
               max_pixels: int | None = DEFAULT_MAX_PIXELS,
               max_frames: int | None = DEFAULT_MAX_FRAMES) -> Iterator[OpenInput]:
    """:func:`probe_image` of ``path`` with ``frames``, and the file held open for the
    block, so that :meth:`OpenInput.load` decodes it without opening it again (a job
    that checks its outputs between the two, as :func:`~quantize.reduce.reduce_file`
    does). Errors raised in the block are its own: only the opening and
    :meth:`OpenInput.load` name the file.

    Raises
    ------
    ImageReadError, ValueError, TypeError
        As :func:`probe_image`; and for a file of more frames than ``max_frames`` (an int
        >= 1, or None: no limit; :func:`check_frame_limit`).
    """
    limit, most = check_max_pixels(max_pixels), check_max_frames(max_frames)
    p = check_input_path(path, "path")
    with contextlib.ExitStack() as held:
        with read_errors(p):
            im = held.enter_context(_held_open(p, None))
            n = _probe_frames(im, p, limit, frames=True)
            check_frame_limit(p, n, most)
        source = OpenInput(p, im, n)
        try:
            yield source
        finally:
            source.close()


def check_frame_limit(path: Path, n_frames: int, limit: int | None) -> None:
    """Refuse ``n_frames`` frames (or pages), those of the file ``path``, when they are more
    than ``limit`` (None: no limit). Each frame costs a fixed time however few its pixels,
    which the pixel limit does not count: ten thousand frames of 1x1 pass it.

    >>> check_frame_limit(Path("clip.gif"), 20_000, 10_000)
    Traceback (most recent call last):
    quantize.errors.ImageReadError: clip.gif: 20,000 frames exceed the limit of 10,000 \
frames; if the file is trusted, set max_frames=20000 or more

    Raises
    ------
    ImageReadError
        Naming ``path``, the frames, the limit and the ``max_frames`` that takes them.
    """
    if limit is not None and n_frames > limit:
        raise ImageReadError(f"{n_frames:,} frames exceed the limit of {limit:,} frames; if "
                             f"the file is trusted, set max_frames={n_frames} or more",
                             path=path)


def check_frame_pixels(path: Path, n_frames: int, size: tuple[int, int],
                       limit: int | None) -> None:
    """Refuse ``n_frames`` frames of ``size`` (w, h) whose pixels together exceed ``limit``:
    those of one animation, the file ``path``. One frame is checked as a still is
    (:func:`load_image`'s message).

    >>> check_frame_pixels(Path("clip.gif"), 300, (1280, 720), 250_000_000)
    Traceback (most recent call last):
    quantize.errors.ImageReadError: clip.gif: an animation of 300 frames of 1280x720, \
276,480,000 pixels in all, exceeds the limit of 250,000,000; if the file is trusted, set \
max_pixels=276480000 or more

    Raises
    ------
    ImageReadError
        Naming ``path``, the frames, their size, their pixels in all and the limit.
    """
    if n_frames == 1:
        _check_pixel_count(path, size, limit)
        return
    w, h = size
    total = n_frames * w * h
    if limit is not None and total > limit:
        raise ImageReadError(f"an animation of {n_frames} frames of {w}x{h}, {total:,} pixels "
                             f"in all, exceeds the limit of {limit:,}; if the file is "
                             f"trusted, set max_pixels={total} or more", path=path)


def is_stream(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a pipe or device rather than a file or folder (``<(cat a.png)``
    is ``/dev/fd/63``): it can be read only once. False when it cannot be checked (a name
    too long, a loop of links): the reader names that."""
    p = Path(path)
    try:
        return p.exists() and not p.is_file() and not p.is_dir()
    except OSError:
        return False


#: What the job given a file object for a path reads of it: its first frame, every frame, or
#: either (a still, or every frame of an animation, as reduce_file does).
FramesRead = Literal["first", "every", "either"]

#: What to do with a file object given for a path, by what the job reads of it: an
#: animation's frames, which load_image drops but the first, are read from a file's name,
#: or by reduce_file, which copies a file object into a file first.
_FILE_OBJECT_ADVICE: dict[str, str] = {
    "first": "read its image with quantize.io.load_image(file) and pass that to "
             "reduce_colors or segment, or write it to a file and pass the file's name",
    "every": "pass it to quantize.reduce.reduce_file, which takes a file object and keeps "
             "every frame, or write its bytes to a file "
             "(tempfile.NamedTemporaryFile(suffix='.gif'), say) and pass the file's name "
             "(quantize.io.load_image(file) reads the first frame only)",
    "either": "for a still image, read it with quantize.io.load_image(file) and pass that to "
              "reduce_colors; for an animation, write its bytes to a file "
              "(tempfile.NamedTemporaryFile(suffix='.gif'), say) and pass the file's name "
              "(quantize.io.load_image(file) reads the first frame only)",
}


def check_input_path(path: str | os.PathLike[str], name: str = "path", *,
                     frames: FramesRead = "first") -> Path:
    """``path``, a file to read, as a Path (:func:`~quantize._validation.check_path`),
    refusing a file's name followed by a separator (``"photo.png/"``), which the system
    refuses ("Not a directory") but a Path cuts to ``photo.png``, which was read, and a
    socket, which no program can open as a file (the system says "No such device or
    address"). A missing file, or a folder, passes, for the reader to name. A file object
    is refused saying what to do with it, by what the caller reads of it (``frames``):
    read it with :func:`load_image` ("first"), write it to a file ("every" frame), or
    either, by whether it is animated ("either": a still, or every frame).

    Raises
    ------
    ImageReadError
        If ``path`` ends in a separator and names a file without it, or is a socket.
    TypeError, ValueError
        As :func:`~quantize._validation.check_path` (``name`` is the parameter).

    >>> check_input_path("no/such/photo.png/").as_posix()
    'no/such/photo.png'
    """
    if is_readable_object(path):  # of these, only load_image reads one
        raise TypeError(f"{name} should be a path (str or os.PathLike), got "
                        f"{type(path).__name__}, a file object: "
                        f"{_FILE_OBJECT_ADVICE[frames]}")
    p = check_path(path, name)
    given = os.fspath(path)
    if isinstance(given, str) and given.endswith(("/", os.sep)):
        try:
            os.stat(given)
        except NotADirectoryError:
            raise ImageReadError(
                f"ends in {quoted(given[-1])}, which names a folder, but "
                f"{quoted(given.rstrip('/' + os.sep))} is a file; expected an image file, "
                f"named without the {quoted(given[-1])}", path=given) from None
        except OSError:  # missing, say: named by the reader
            pass
    if _is_socket(p):
        raise ImageReadError("is a socket, not a regular file, and cannot be read as one",
                             path=given)
    return p


def _is_socket(p: Path) -> bool:
    """Whether ``p`` is a socket; False when it cannot be checked (missing, a name too
    long): the reader names that."""
    try:
        return p.is_socket()
    except OSError:
        return False


def require_regular_file(path: str | os.PathLike[str], name: str = "input", *,
                         frames: FramesRead = "first") -> Path:
    """Refuse a pipe or device (a FIFO, ``/dev/stdin``, ``<(cat a.png)``) as an input.

    For jobs that read their input more than once (its header, then its pixels):
    a second read of a pipe waits for a writer that never comes, or finds it
    empty. A missing file or a folder passes, for the reader to name.

    Raises
    ------
    ImageReadError
        If ``path`` exists and is neither a regular file nor a folder, or is a file's
        name followed by a separator (:func:`check_input_path`).
    TypeError
        If ``path`` is not a path (``name`` is the parameter it was given as); for a file
        object, saying what to do by what the job reads of it, ``frames``
        (:func:`check_input_path`).
    """
    p = check_input_path(path, name, frames=frames)
    if is_stream(p):
        raise ImageReadError("is a pipe or device, not a regular file, and can be read "
                             "only once; save it to a file and pass that", path=p)
    return p


@contextlib.contextmanager
def _opened(p: Path, limit: int | None) -> Iterator[Image.Image]:
    """Open ``p`` with Pillow after the file checks, at the page read (:func:`first_page`);
    turn every failure into ImageReadError.

    Failures inside the ``with`` body (decoding) are translated too.
    """
    # the checks too: in a folder without permission, "cannot read the file (...)"
    with read_errors(p), _held_open(p, limit) as im:
        yield im


@contextlib.contextmanager
def _held_open(p: Path, limit: int | None) -> Iterator[Image.Image]:
    """:func:`_opened` without the translation of failures, which its caller makes."""
    if not p.exists():
        raise ImageReadError(missing_file(p), path=p)
    if p.is_dir():
        raise ImageReadError("is a directory, expected an image file", path=p)
    if p.is_file() and _is_empty(p):  # a pipe's size is 0 whatever it holds
        raise ImageReadError("file is empty (0 bytes), expected an image", path=p)
    with (pillow_limit_lifted(), Image.open(readable_input(p)) as opened,
          _webp_alpha_read(opened) as im):
        seek_first_page(im)  # a TIFF's full image, not the thumbnail before it
        _check_decodable(p, im)
        _check_pixel_count(p, im.size, limit)
        yield read_unmapped(im)


def _is_empty(p: Path) -> bool:
    """Whether the regular file ``p`` holds no byte. A size of 0 is checked by reading:
    a file the system makes as it is read (``/proc/cpuinfo``) says 0 and holds text."""
    if p.stat().st_size:
        return False
    with p.open("rb") as f:
        return not f.read(1)


def unread_format(kind: type | Any) -> str | None:
    """Why quantize reads no image of ``kind`` (a class of ``Image.OPEN``, or an opened
    image), in an error's words; None for a kind it reads. Refused are:

    - what Pillow identifies but cannot decode: an MPEG video (its header only is read)
      and the formats Pillow leaves to a handler it has none of (HDF5, GRIB, BUFR; WMF
      but on Windows, where Pillow draws it). An MPEG was said to be "truncated or
      malformed", an HDF5 file to have no pixels (0x0);
    - EPS and PostScript, which are programs themselves, drawn by running Ghostscript on
      the file (when it is installed). Opening reads the header only; a folder from
      elsewhere may hold one, under any name.

    >>> from PIL import EpsImagePlugin, GribStubImagePlugin, PngImagePlugin
    >>> unread_format(GribStubImagePlugin.GribStubImageFile)
    'GRIB file: Pillow reads its header but cannot decode its pixels; expected an image'
    >>> unread_format(EpsImagePlugin.EpsImageFile)[:44], unread_format(PngImagePlugin.PngImageFile)
    ('EPS/PostScript file: Pillow draws it by runn', None)
    """
    cls = kind if isinstance(kind, type) else type(kind)
    if not issubclass(cls, ImageFile.ImageFile):
        return None
    if cls.format == "MPEG" or (issubclass(cls, ImageFile.StubImageFile)
                                and not (cls.format == "WMF" and sys.platform == "win32")):
        return (f"{cls.format} file: Pillow reads its header but cannot decode its pixels; "
                "expected an image")
    if cls.format == "EPS":
        return ("EPS/PostScript file: Pillow draws it by running Ghostscript on the program "
                "it holds, which quantize does not do; expected an image (if you trust the "
                "file, convert it first: gs -dSAFER -sDEVICE=png16m -r150 -o page.png file.eps)")
    return None


def _check_decodable(p: Path, im: Image.Image) -> None:
    reason = unread_format(im)
    if reason is not None:
        raise ImageReadError(reason, path=p)


def read_unmapped(im: Image.Image) -> Image.Image:
    """``im``, opened by Pillow from a file name, set to decode a TIFF's pages by reading
    its file, as from a pipe, rather than through a memory map of it.

    Pillow maps the pixels of an uncompressed TIFF page held as stored (one strip, mode
    L, P, RGBA, CMYK or I;16) at the size the page has once turned upright: a page whose
    TIFF orientation turns it a quarter (5 to 8) came out as diagonal stripes, where a
    page held in RGB, or the same file opened from a file object, came out upright. Read,
    a 12 MP RGBA page took 0.08 s of CPU instead of 0.06 (medians of 7). Other formats are
    left as they are.
    """
    if im.format == "TIFF":
        im.filename = ""  # Pillow maps only a file it has the name of
    return im


def _webp_alpha_read(im: Image.Image) -> contextlib.AbstractContextManager[Image.Image]:
    """:func:`quantize.webp.frame_alpha_read` of ``im``, its module loaded for a WebP only."""
    if im.format != "WEBP":
        return contextlib.nullcontext(im)
    from ..webp import frame_alpha_read

    return frame_alpha_read(im)


def missing_file(p: Path, kind: str = "file") -> str:
    """Why ``p``, which is no ``kind`` ("file", or "folder"), cannot be read: "no such
    file", or for a link, since ``ls`` lists it, where it leads, and, for one that leads
    back to itself or into other links that do (which the system refuses to follow), that
    it leads into a link loop. (Linux refuses a chain of more than 40 links as it refuses
    a loop: it is said so too.)

    >>> missing_file(Path("no-such-file.png")), missing_file(Path("no-such-folder"), "folder")
    ('no such file', 'no such folder')
    """
    if not p.is_symlink():
        return f"no such {kind}{_misnamed_hint(p)}"
    target = quoted(os.readlink(p))
    if is_link_loop(p):
        return f"is a link to {target}, which leads into a link loop, never to a {kind}"
    return f"is a link to {target}, which leads to no {kind}"


def _misnamed_hint(p: Path) -> str:
    """Why ``p``, not found, may have been meant for another name: a Windows line end
    (``\\r``) at its end, kept by a list of names read from a file written on Windows, or
    a file of the same name in another Unicode form (NFC or NFD, which look alike: a name
    typed on Linux, the file copied from macOS). Two stat calls at most; "" when neither.

    >>> _misnamed_hint(Path("photo.jpg\\r"))
    ' (a Windows line end \\\\r at its end?)'
    """
    if p.name.endswith("\r"):
        return " (a Windows line end \\r at its end?)"
    for form in ("NFC", "NFD"):
        other = unicodedata.normalize(form, p.name)
        if other != p.name and os.path.lexists(p.with_name(other)):
            return (" (a file by the same name in another Unicode form exists: "
                    f"{quoted(other, by_code_point=True)})")
    return ""


def input_size(p: Path) -> int:
    """The size in bytes of the input ``p``, taken once, as its job starts to read it: the
    size of the file read, for the record and for ``skip_if_larger``, whatever is done to
    the file while the job works (removed, or replaced, once read), which then fails no
    output written.

    Raises
    ------
    ImageReadError
        If ``p`` is gone (removed since it was checked) or cannot be read.
    """
    try:
        return p.stat().st_size
    except FileNotFoundError:
        raise ImageReadError(missing_file(p), path=p) from None
    except OSError as exc:
        raise ImageReadError(f"cannot read the file ({exc.strerror})", path=p) from None


@contextlib.contextmanager
def read_errors(p: Path, what: str = "image") -> Iterator[None]:
    """Turn every failure of Pillow opening or decoding ``p`` into one ImageReadError.

    An ImageReadError raised without a path (by a decoder of ours that is given the
    image, not its file: :func:`wide_page`) is given ``p``'s, and so is an
    InputParameterError (a ``nodata`` the image cannot hold: :func:`load_image`).

    ``what`` names the thing read in the too-large messages ("image", "animation").
    Any other error raised inside Pillow (an ``IndexError`` or ``TypeError`` of a parser
    given a damaged file) is a file it cannot decode too; the block's own errors pass.
    """
    try:
        yield
    except (ImageReadError, InputParameterError) as exc:
        if exc.path is not None:
            raise
        raise type(exc)(exc.reason, path=p) from None  # a decoder's, of the file read
    except UnidentifiedImageError:
        raise ImageReadError(_unidentified(p), path=p) from None
    except Image.DecompressionBombError:
        raise ImageReadError(f"{what} too large for Pillow's decoder", path=p) from None
    except OSError as exc:
        if exc.errno is None:  # Pillow's decoders raise theirs without one
            raise ImageReadError(f"cannot decode image ({_decoder_reason(exc)})",
                                 path=p) from None
        # The system's: reading the file failed, whatever it holds.
        raise ImageReadError(f"cannot read the file ({exc.strerror})", path=p) from None
    except (SyntaxError, ValueError, EOFError) as exc:
        raise ImageReadError(f"cannot decode image ({_decoder_reason(exc)})", path=p) from None
    except MemoryError:
        raise ImageReadError(f"{what} too large for the available memory", path=p) from None
    except Exception as exc:
        if not _raised_in_pillow(exc):  # a defect of ours, not of the file
            raise
        # Pillow's parsers index and unpack what a damaged file holds without checking it
        # first (a GIF cut short gave "IndexError: index out of range").
        reason = str(exc) or type(exc).__name__
        raise ImageReadError(f"cannot decode image (truncated or malformed file: {reason})",
                             path=p) from None


#: Pillow's reasons that name its own machinery rather than the file, as the file's.
_DECODER_REASONS = {
    # libwebp's (and libavif's) decoder refused the file: a WebP (AVIF) cut short, say
    "could not create decoder object": "truncated or malformed file: its decoder cannot "
                                       "read it",
    "failed to read next frame": "truncated or malformed file: its decoder cannot read a "
                                 "frame",
    # a header, segment or chunk the file declares ends early (a JPEG cut short, say): said
    # as Pillow says it of image data cut short
    "Truncated File Read": "image file is truncated",
    # Pillow's words for its decoders' error codes (a JPEG or GIF whose bytes were changed)
    "broken data stream when reading image file": "malformed file: its image data is "
                                                  "damaged",
    "codec configuration error when reading image file": "malformed file: its header "
                                                         "describes image data its decoder "
                                                         "cannot read",
    # a file whose headers never lead to image data (a JPEG whose start-of-scan marker, or
    # a segment length before it, was changed)
    "cannot load this image": "truncated or malformed file: no image data follows its "
                              "headers",
    # an XPM colour table entry other than "c #rrggbb" or "c None" (a colour name too)
    "cannot read this XPM file": "malformed file: an entry of its colour table is not "
                                 "'c #rrggbb' or 'c None', the colours its decoder reads",
}


# Pillow's reason for image data that ends early, with the bytes left in its buffer.
_BYTES_NOT_PROCESSED = re.compile(r"image file is truncated \(\d+ bytes not processed\)")


def _decoder_reason(exc: BaseException) -> str:
    """Why Pillow could not decode a file, from its exception ``exc``, in words about the
    file (:data:`_DECODER_REASONS`)."""
    reason = str(exc) or type(exc).__name__
    if _BYTES_NOT_PROCESSED.fullmatch(reason):
        # a JPEG or BMP whose image data ends early: the count is of the bytes left in
        # Pillow's buffer, which says nothing of the file; said as a PNG cut short is
        return "image file is truncated"
    if (isinstance(exc, ValueError) and reason.startswith("invalid literal for int()")
            and _raised_in_pillow(exc)):
        # a parser's int() of a number its file spells wrong (an XPM colour '#FFzz00')
        return "malformed file: a number in its header cannot be read"
    return _DECODER_REASONS.get(reason, reason)


_PILLOW_DIR = Path(Image.__file__).resolve().parent


def _raised_in_pillow(exc: BaseException) -> bool:
    """Whether ``exc`` was raised by Pillow's own code (its innermost frame is in Pillow)."""
    tb = exc.__traceback__
    if tb is None:
        return False
    while tb.tb_next is not None:
        tb = tb.tb_next
    return Path(tb.tb_frame.f_code.co_filename).resolve().is_relative_to(_PILLOW_DIR)


def _unidentified(p: Path) -> str:
    """Why Pillow could not identify ``p``: a PNG with a bad CRC in a chunk before its
    image data (Pillow checks those, and a bad one makes it try the other formats) is
    named damaged, a float RGB(A) TIFF as one, since Pillow reads float TIFFs of one
    sample only, a TIFF of samples wider than 8 bits in another layout Pillow does not
    read (grey with alpha or CIELAB in 16 bits, RGB in 32-bit integers), or narrower than
    8 bits but for grey or palette of 1, 2 or 4 bits (RGB in 4 bits), by its samples (a
    CMYK one with extra samples, alpha say, at any depth: told to drop them, since Pillow
    reads none with alpha in 8 bits either), and a file that starts as an ICO, CUR or
    ICNS (cut short in its directory, say) a truncated or damaged one. Only a regular
    file is read again: a pipe, read once, would wait for a writer that never comes."""
    if not p.is_file():
        return "not an image Pillow can identify"
    damaged = damaged_png_file(p)
    if damaged is not None:
        return damaged
    icon = _icon_start(p)
    if icon is not None:
        name, what = icon
        return f"truncated or damaged {name} (it starts as {what}, but its images cannot be read)"
    foreign = _foreign_format(p)
    if foreign is not None:
        return (f"is {foreign}, which Pillow cannot read; convert it to PNG, JPEG or TIFF "
                "first (ImageMagick's convert does)")
    layout = _tiff_layout(p)
    if layout is None:
        return "not an image Pillow can identify"
    samples, bits, sample_format, photometric = layout
    if sample_format == _IEEE_FLOAT and samples in (3, 4):
        what = "RGB" if samples == 3 else "RGBA"
        return (f"is a floating-point {what} TIFF, which Pillow cannot read; convert it to "
                "8- or 16-bit integer samples")
    numbers = _SAMPLE_FORMATS.get(sample_format, f"sample format {sample_format}")
    if photometric == _CMYK and samples > 4:
        return (f"is a CMYK TIFF of {samples} samples of {bits}-bit {numbers} a pixel (the "
                f"4 inks and {samples - 4} extra, such as alpha), which Pillow cannot read; "
                "save it as CMYK of 4 samples, or as RGB or RGBA")
    if bits == 8 or (bits in _PILLOW_LOW_BITS and samples == 1):
        return "not an image Pillow can identify"  # a layout Pillow reads: something else
    what = _PHOTOMETRICS.get(photometric, "a")
    plural = "s" if samples != 1 else ""
    return (f"is {what} TIFF of {samples} sample{plural} of {bits}-bit {numbers} a pixel, "
            "which Pillow cannot read; "
            f"{_readable_layout(samples, bits, sample_format, photometric)}")


def _readable_layout(samples: int, bits: int, sample_format: int,
                     photometric: int | None) -> str:
    """How to save a TIFF of ``samples`` samples of ``bits`` bits a pixel (of sample format
    ``sample_format`` and photometric interpretation ``photometric``), which Pillow cannot
    read, so that it is read whole: grey or RGB take 1 or 3 samples (2 or 4 with alpha),
    floats 32 bits and one sample, integers 8 or 16 bits (grey 32 too).

    >>> _readable_layout(5, 16, 1, 2)
    'save 3 of its samples (RGB), 4 (RGB and alpha) or 1 (grey) as a TIFF of its own'
    >>> _readable_layout(1, 64, 3, 1)
    'save it as 32-bit floats (float32) or 16-bit unsigned integers (uint16)'
    """
    grey = photometric in (0, 1)
    if (grey and samples > 2) or (photometric == 2 and samples > 4):
        return ("save 3 of its samples (RGB), 4 (RGB and alpha) or 1 (grey) as a TIFF of "
                "its own")
    if sample_format == _IEEE_FLOAT and samples == 1:
        return "save it as 32-bit floats (float32) or 16-bit unsigned integers (uint16)"
    if bits > 16:
        return "save it with 16-bit unsigned samples (uint16)"
    if grey and samples == 2 and bits == 16:
        return "save it with 8-bit samples, or its grey alone as a 16-bit TIFF"
    return "save it with 8-bit samples"


# The icon formats recognised by their first bytes when Pillow cannot read them, with what
# their files are called: an ICO or CUR header (reserved 0, type 1 or 2), an ICNS's magic.
_ICON_HEADS = ((b"\0\0\1\0", "ICO", "an icon"), (b"\0\0\2\0", "CUR", "a cursor"),
               (b"icns", "ICNS", "an Apple icon"))


# What a file starting with these bytes is, for formats Pillow does not read: an ISO
# media file's brands of a still image (at byte 8 of its "ftyp" box), JPEG XL's two forms
# (a bare codestream, a container) and, read as text, a PDF and an SVG.
_HEIF_BRANDS = (b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1")
_FOREIGN_HEADS = ((b"\xff\x0a", "a JPEG XL image"),
                  (b"\0\0\0\x0cJXL \r\n\x87\n", "a JPEG XL image"),
                  (b"%PDF-", "a PDF document"))


def _foreign_format(p: Path) -> str | None:
    """What the file ``p`` is, in words (``"a HEIF/HEIC image"``), when its first bytes are
    those of an image or document format Pillow does not read (:data:`_FOREIGN_HEADS`, a
    HEIF box of :data:`_HEIF_BRANDS`, an SVG's ``<svg`` among its first 1,024 bytes);
    None for any other file."""
    with open(p, "rb") as f:
        head = f.read(1024)
    if head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS:
        return "a HEIF/HEIC image"
    for magic, what in _FOREIGN_HEADS:
        if head.startswith(magic):
            return what
    if b"<svg" in head.lstrip(b"\xef\xbb\xbf").lower():
        return "an SVG drawing"
    return None


def _icon_start(p: Path) -> tuple[str, str] | None:
    """The format name and what its files are, when the file ``p`` starts as an icon (an ICO
    or CUR header with a count of images of at least 1, or an ICNS's magic): Pillow, which
    opens such a file by those bytes, found it cut short or damaged when it could not
    identify it. None for another file."""
    with open(p, "rb") as f:
        head = f.read(6)
    for magic, name, what in _ICON_HEADS:
        counted = name == "ICNS" or (len(head) == 6 and head[4:] != b"\0\0")
        if head.startswith(magic) and counted:
            return name, what
    return None


# TIFF tags (baseline and extension) and the field types that hold unsigned integers.
_BITS_PER_SAMPLE, _PHOTOMETRIC, _SAMPLES_PER_PIXEL, _SAMPLE_FORMAT = 258, 262, 277, 339
_IEEE_FLOAT = 3
_CMYK = 5  # the photometric interpretation of inks ("separated")
# The bits per sample below 8 that Pillow reads, of one sample a pixel (grey or palette).
_PILLOW_LOW_BITS = (1, 2, 4)
_TIFF_UINTS = {3: "H", 4: "I"}  # SHORT, LONG
_SAMPLE_FORMATS = {1: "unsigned integers", 2: "signed integers", _IEEE_FLOAT: "floats"}
_PHOTOMETRICS = {0: "a grey", 1: "a grey", 2: "an RGB", 3: "a palette", 5: "a CMYK",
                 6: "a YCbCr", 8: "a CIELAB", 9: "an ICC Lab", 10: "an ITU Lab"}


def _tiff_layout(p: Path) -> tuple[int, int, int, int | None] | None:
    """The samples per pixel, bits per sample, sample format (1 unsigned, 2 signed,
    3 float) and photometric interpretation of the first image of a classic TIFF, the
    first three 1 where the file gives none; None for any other file, or one that cannot
    be read."""
    try:
        with open(p, "rb") as fp:
            head = fp.read(8)
            order = {b"II*\0": "<", b"MM\0*": ">"}.get(head[:4])
            if order is None:
                return None
            fp.seek(struct.unpack(order + "I", head[4:])[0])
            count, = struct.unpack(order + "H", fp.read(2))
            fields = {}
            for _ in range(min(count, 4096)):
                tag, kind, n, value = struct.unpack(order + "HHI4s", fp.read(12))
                if (tag in (_SAMPLES_PER_PIXEL, _BITS_PER_SAMPLE, _SAMPLE_FORMAT,
                            _PHOTOMETRIC) and kind in _TIFF_UINTS):
                    fields[tag] = _first_uint(fp, order, _TIFF_UINTS[kind], n, value)
    except (OSError, struct.error):
        return None
    return (fields.get(_SAMPLES_PER_PIXEL, 1), fields.get(_BITS_PER_SAMPLE, 1),
            fields.get(_SAMPLE_FORMAT, 1), fields.get(_PHOTOMETRIC))


def _first_uint(fp: Any, order: str, code: str, n: int, value: bytes) -> int:
    """The first of the ``n`` integers of a TIFF field: in ``value`` when they fit its
    4 bytes, else at the offset it holds (``fp`` is left where it was)."""
    if n * struct.calcsize(code) <= 4:
        return struct.unpack_from(order + code, value)[0]
    here = fp.tell()
    fp.seek(struct.unpack(order + "I", value)[0])
    first, = struct.unpack(order + code, fp.read(struct.calcsize(code)))
    fp.seek(here)
    return first


def _check_pixel_count(p: Path, size: tuple[int, int], limit: int | None) -> None:
    w, h = size
    if w < 1 or h < 1:
        raise ImageReadError(f"image has no pixels ({w}x{h})", path=p)
    if limit is not None and w * h > limit:
        raise ImageReadError(f"{w}x{h} = {w * h:,} pixels exceeds the limit of {limit:,}; "
                             f"if the file is trusted, set max_pixels={w * h} or more", path=p)


@contextlib.contextmanager
def pillow_limit_lifted() -> Iterator[None]:
    """Let our own ``max_pixels`` check replace Pillow's decompression-bomb guard, for the
    reads of the caller's thread (its context) only.

    Pillow's guard reads a module global, ``Image.MAX_IMAGE_PIXELS``; setting it to None
    for our reads turned the guard off for every thread of the process meanwhile (a
    service's own ``Image.open`` of a 200 MP bomb got through). Pillow's check itself,
    which ``Image.open``, crops and its plugins all call through the module, is wrapped
    instead (:func:`_pillow_check_wrapped`): it passes over the blocks in progress in the
    calling context (a task run for it by :mod:`quantize._threads` has a copy) and checks
    the rest against the global as it is. Blocks are counted, not nested: two frame
    generators read in turn, the first to end leaves the second past the guard. Should
    Pillow have no such function, the global is lowered as before, by the first block in
    and put back by the last one out.
    """
    if not _pillow_check_wrapped():
        with _global_limit_lifted():
            yield
        return
    _lifts.set(_lifts.get() + 1)
    try:
        yield
    finally:
        _lifts.set(max(0, _lifts.get() - 1))


def _pillow_check_wrapped() -> bool:
    """Whether Pillow's decompression-bomb check (``Image._decompression_bomb_check``) is
    wrapped to pass over :func:`pillow_limit_lifted`'s blocks; wrapped here on first use,
    and again when replaced since. False when Pillow has no such function."""
    check = getattr(Image, "_decompression_bomb_check", None)
    if check is None:
        return False
    if getattr(check, "_passes_lifted_blocks", False):
        return True
    with _lift_lock:
        check = Image._decompression_bomb_check
        if not getattr(check, "_passes_lifted_blocks", False):
            Image._decompression_bomb_check = _passing_lifted_blocks(check)
    return True


def _passing_lifted_blocks(check: Callable[..., None]) -> Callable[..., None]:
    """Pillow's ``check``, skipped inside a :func:`pillow_limit_lifted` block of the
    calling context."""
    @functools.wraps(check)
    def wrapped(*args: Any, **kwargs: Any) -> None:
        if _lifts.get() == 0:
            check(*args, **kwargs)

    wrapped._passes_lifted_blocks = True  # type: ignore[attr-defined]
    return wrapped


@contextlib.contextmanager
def _global_limit_lifted() -> Iterator[None]:
    """Pillow's guard off for the block, for the whole process (a Pillow without the
    function :func:`_pillow_check_wrapped` wraps). Loads on several threads overlap, so the
    guard is lifted by the first one in and restored to the caller's value by the last one
    out: each restoring its own saved value, the last to leave could put back the None
    another had set, turning the guard off for the rest of the process."""
    global _global_lifts, _saved_limit
    with _lift_lock:
        if _global_lifts == 0:
            _saved_limit = Image.MAX_IMAGE_PIXELS
            Image.MAX_IMAGE_PIXELS = None
        _global_lifts += 1
    try:
        yield
    finally:
        with _lift_lock:
            _global_lifts -= 1
            if _global_lifts == 0:
                Image.MAX_IMAGE_PIXELS = _saved_limit


#: The :func:`pillow_limit_lifted` blocks in progress in the current context.
_lifts: contextvars.ContextVar[int] = contextvars.ContextVar("quantize_pillow_lifts",
                                                            default=0)
# Pillow's check wrapped once; loads inside _global_limit_lifted, and Pillow's guard as it
# was before the first.
_lift_lock = threading.Lock()
_global_lifts = 0
_saved_limit: int | None = None


def frame_rgba(frame: Image.Image, page: int | None = None,
               dark: DarkPages | None = None) -> np.ndarray:
    """``(H, W, 4)`` uint8 sRGB pixels of one decoded frame of an animation or multi-page file.

    Converted as :func:`load_image` converts an image (ICC profile, PNG gamma,
    16-bit and float grayscale), except for the EXIF orientation, which is the
    caller's to apply to the picture composited on the canvas the file gives.
    ``page``, the frame's number in a file of several (from 1), is named in a warning
    about its pixels (:func:`_wide_gray_scale`). That it comes out dark is said as
    ``dark``, kept for the pages of one file, says (once a file, and how it ends); else
    of each page, as :func:`load_image` says it.
    """
    im = _srgb(frame)
    if im.mode not in _SIXTEEN_BIT_MODES and im.mode != "F":
        return np.array(im.convert("RGBA"))  # a copy: Pillow reuses its canvas
    reading = _AS_COUNTS if dark is None else _Reading(False, dark.advice, dark)
    gray, alpha = _pil_to_rgba(im, page, reading)  # alpha only from a PNG's transparent value
    return np.dstack([gray, np.full(gray.shape[:2], 255, np.uint8) if alpha is None else alpha])


def _upright_srgb(im: Image.Image, orientation: int,
                  intent: Intent = DEFAULT_INTENT) -> Image.Image:
    """Apply ``orientation`` (:func:`exif_orientation`'s of ``im``) and convert an image
    with an ICC profile (by ``intent``) or a PNG gamma to sRGB."""
    return _srgb(_upright(im, orientation), intent)


def _upright(im: Image.Image, orientation: int) -> Image.Image:
    """Apply ``orientation`` (:func:`exif_orientation`'s of ``im``)."""
    if orientation != 1:
        from PIL import ImageOps  # loaded for turned photos only

        im = ImageOps.exif_transpose(im)  # a full copy: only when there is work to do
    return im


def upright_exif(exif: Any) -> bytes | None:
    """The EXIF block ``exif`` (an image's ``info["exif"]``, with or without its
    ``Exif\\0\\0`` header) as an output of its upright pixels keeps it: its Orientation
    (if any) set to 1, every other tag of its first directory (IFD0) and of its Exif, GPS
    and Interoperability directories as it is, with the ``Exif\\0\\0`` header Pillow's
    writers take; None for no bytes, a block cut short (:func:`_exif_cut_short`) or one
    Pillow cannot read, which is not copied. Not its second directory (IFD1), where a
    camera keeps a thumbnail of the original: a picture of the unreduced photo, of
    kilobytes, that would disagree with the output (Pillow writes the first directory
    alone, linked to no other).

    >>> exif = Image.Exif(); exif[0x0112] = 6; exif[315] = "A. Artist"
    >>> kept = Image.Exif(); kept.load(upright_exif(exif.tobytes()))
    >>> kept[0x0112], kept[315]
    (1, 'A. Artist')
    >>> upright_exif(None), upright_exif(b"Exif\\0\\0junk")
    (None, None)
    """
    if not isinstance(exif, bytes) or not exif or _exif_cut_short(exif) is not None:
        return None
    kept = Image.Exif()
    try:
        kept.load(exif)
        if _EXIF_ORIENTATION in kept:
            kept[_EXIF_ORIENTATION] = 1
        data = kept.tobytes()
    except (SyntaxError, ValueError, struct.error, KeyError, TypeError, OSError):
        return None  # Pillow's readers raise these of a malformed block
    return data if len(kept) else None


#: The EXIF tag that links to the GPS directory, where a camera or a phone keeps where the
#: picture was taken (and often when, and which way it faced).
_EXIF_GPS = 0x8825


def kept_exif(exif: bytes | None, strip: bool = False, keep_gps: bool = False) -> bytes | None:
    """The EXIF block of an input (:func:`upright_exif`'s) that its output keeps: none with
    ``strip``; without ``keep_gps``, all of it but its GPS directory, the location a phone
    puts in its photos, which a picture published on the web should not give away
    (pngquant keeps no EXIF at all): the same bytes when it has none, None when nothing
    else is left or Pillow cannot rewrite it.

    >>> exif = Image.Exif(); exif[315] = "A. Artist"; exif[0x8825] = {1: "N", 2: (52.0, 22.0, 1.5)}
    >>> block = upright_exif(exif.tobytes())
    >>> kept = Image.Exif(); kept.load(kept_exif(block))
    >>> dict(kept), kept.get_ifd(0x8825)
    ({315: 'A. Artist'}, {})
    >>> kept_exif(block, keep_gps=True) == block, kept_exif(block, strip=True)
    (True, None)
    """
    if strip or exif is None:
        return None
    if keep_gps:
        return exif
    tags = Image.Exif()
    try:
        tags.load(exif)
        if _EXIF_GPS not in tags:
            return exif
        del tags[_EXIF_GPS]
        data = tags.tobytes()
    except (SyntaxError, ValueError, struct.error, KeyError, TypeError, OSError):
        return None  # Pillow's readers and writers raise these of malformed tags
    return data if len(tags) else None


#: The tags of a TIFF page's first directory that :func:`tiff_exif` keeps, and that a TIFF
#: output's first page is given of an EXIF (:func:`~quantize.encode.tiff_with_exif`):
#: those an EXIF's first directory holds that describe the picture (ImageDescription, Make,
#: Model, Orientation, Software, DateTime, Artist, HostComputer, Copyright, the XPTitle to
#: XPSubject that Windows writes) and the links to its Exif and GPS directories; not those
#: that lay out its pixels (size, strips, compression, colour map, resolution: the page's
#: own), nor its ICC profile, XMP or IPTC, which no output keeps of any input.
EXIF_PICTURE_TAGS = frozenset({270, 271, 272, 274, 305, 306, 315, 316, 33432, 0x8769, 0x8825,
                             0x9C9B, 0x9C9C, 0x9C9D, 0x9C9E, 0x9C9F})


#: The TIFF tags that place a picture on the ground, GeoTIFF's (ModelPixelScale,
#: ModelTiepoint, ModelTransformation, GeoKeyDirectory, GeoDoubleParams, GeoAsciiParams),
#: and GDAL's metadata and no-data value (GDAL_METADATA, GDAL_NODATA): a .tif output of
#: the same pixels keeps them (:func:`tiff_geo_tags`).
GEOTIFF_TAGS = frozenset({33550, 33922, 34264, 34735, 34736, 34737, 42112, 42113})


def tiff_geo_tags(im: Image.Image) -> bytes | None:
    """The tags of :data:`GEOTIFF_TAGS` that ``im``, a TIFF opened by Pillow at a page not
    yet decoded, has, as an EXIF block of their types and values as stored (for
    :func:`~quantize.encode.tiff_with_exif` to write them again byte for byte); None when
    it has none of them, or Pillow cannot read them. The caller leaves them out of a page
    its orientation turns: they place the pixels as stored.

    >>> import io
    >>> from PIL import TiffImagePlugin
    >>> tags = TiffImagePlugin.ImageFileDirectory_v2(); tags[42113] = "0"
    >>> page = Image.new("L", (2, 1)); data = io.BytesIO()
    >>> page.save(data, format="TIFF", tiffinfo=tags, artist="A. Artist")
    >>> kept = Image.Exif(); kept.load(tiff_geo_tags(Image.open(data)))
    >>> sorted(kept.items())
    [(42113, '0')]
    """
    try:
        tags = Image.Exif()
        tags.load(im.getexif().tobytes())
        for tag in [tag for tag in tags if tag not in GEOTIFF_TAGS]:
            del tags[tag]
        return tags.tobytes() if len(tags) else None
    except (SyntaxError, ValueError, struct.error, KeyError, TypeError, OSError):
        return None  # Pillow's readers and writers raise these of malformed tags


def tiff_exif(im: Image.Image) -> bytes | None:
    """The EXIF block that the tags of ``im``, a TIFF opened by Pillow at a page not yet
    decoded, give an output of its upright pixels: those of :data:`EXIF_PICTURE_TAGS`, its
    Exif and GPS directories whole, as :func:`upright_exif` keeps a JPEG's (Orientation
    set to 1); None when it has none of them, or Pillow cannot read them.

    >>> import io
    >>> page = Image.new("RGB", (2, 1)); data = io.BytesIO()
    >>> page.save(data, format="TIFF", artist="A. Artist", description="Pier")
    >>> kept = Image.Exif(); kept.load(tiff_exif(Image.open(data)))
    >>> sorted(kept.items())
    [(270, 'Pier'), (315, 'A. Artist')]
    """
    try:
        tags = Image.Exif()
        tags.load(im.getexif().tobytes())  # its own copy, whose directories it reads
        for tag in [tag for tag in tags if tag not in EXIF_PICTURE_TAGS]:
            del tags[tag]
        data = tags.tobytes()
    except (SyntaxError, ValueError, struct.error, KeyError, TypeError, OSError):
        return None  # Pillow's readers and writers raise these of malformed tags
    return upright_exif(data) if len(tags) else None


def exif_orientation(im: Image.Image) -> int:
    """The orientation, 2 to 8, that the EXIF of ``im`` (opened by Pillow) gives, or 1 (none,
    or a value out of range): a JPEG's or WebP's EXIF block, a PNG's eXIf chunk (one after
    the pixels only once they are decoded); a TIFF's tags as Pillow reads them (it turns a
    TIFF's pages upright as it decodes them, by its XMP's orientation too).

    The EXIF alone, as browsers turn a picture: not the XMP's ``tiff:Orientation``, which
    Pillow's ``getexif`` takes when the EXIF has none, nor the EXIF that ImageMagick keeps
    in a PNG text chunk ("Raw profile type exif"); Chromium shows a PNG, JPEG or WebP
    whose orientation is only there as stored.

    >>> im = Image.new("RGB", (2, 1))
    >>> im.info["xmp"] = b'<rdf:Description tiff:Orientation="6"/>'
    >>> im.getexif().get(0x0112), exif_orientation(im)
    (6, 1)
    """
    if im.format == "TIFF":
        value = im.getexif().get(_EXIF_ORIENTATION, 1)
    else:
        exif = Image.Exif()
        if isinstance(im.info.get("exif"), bytes):
            cut = _exif_cut_short(im.info["exif"])
            if cut is not None:
                reason, value = cut
                done = (f"the orientation read before the damage, {value}, is applied"
                        if value in range(2, 9) else "the image is read as stored, as no "
                        "orientation read before the damage turns it")
                warn_caller(f"its EXIF data is damaged ({reason}); {done}", DamagedExifWarning)
                return value if value in range(2, 9) else 1
            try:
                exif.load(im.info["exif"])
            except (SyntaxError, ValueError, struct.error, EOFError, OSError):
                return 1  # unreadable ("Exif" and no TIFF header): none, as browsers take it
            _warn_exif_values_damaged(im.info["exif"], exif.get(_EXIF_ORIENTATION, 1))
        value = exif.get(_EXIF_ORIENTATION, 1)
    return value if value in range(2, 9) else 1


class DamagedExifWarning(QuantizeWarning):
    """An input's EXIF data is damaged: its first directory of tags is cut short, or a tag
    of it gives a value that is not in the block (skipped, or, when the value ends past
    the block, it and the tags after it ignored). Only an orientation read from the tags
    read turns the image (as Pillow reads them; it says the damage in words of its own);
    else it is read as stored."""


def _exif_cut_short(exif: bytes) -> tuple[str, int] | None:
    """How the first directory of tags of ``exif`` (a JPEG's or WebP's EXIF block, a PNG's
    eXIf chunk) reaches past its end, and the orientation among its tags wholly before the
    cut (1 when none is), or None when it does not (or is no classic TIFF header's, left
    to Pillow). Pillow reads the tags of such a directory up to the cut with a warning in
    its own words ("Corrupt EXIF data. Expecting to read 2 bytes but only got 0."), and
    turns the image by an orientation it read, as this does.

    >>> _exif_cut_short(b"Exif\\0\\0II*\\0\\x10\\x27\\0\\0")
    ('its first directory of tags, at byte 10000, lies past its end, at byte 8', 1)
    >>> _exif_cut_short(b"MM\\0*\\0\\0\\0\\x08\\0\\x02" + bytes(12))
    ('its first directory, of 2 tags, ends at byte 38, past its end, at byte 22', 1)
    >>> turned = b"\\x01\\x12\\0\\x03\\0\\0\\0\\x01\\0\\x06\\0\\0"  # an orientation of 6, whole
    >>> _exif_cut_short(b"MM\\0*\\0\\0\\0\\x08\\0\\x02" + turned)
    ('its first directory, of 2 tags, ends at byte 38, past its end, at byte 22', 6)
    >>> _exif_cut_short(b"MM\\0*\\0\\0\\0\\x08\\0\\0" + bytes(4)) is None
    True
    """
    header = _exif_header(exif)
    if header is None:
        return None
    data, order, at = header
    if at + 2 > len(data):
        return (f"its first directory of tags, at byte {at}, lies past its end, at byte "
                f"{len(data)}", 1)
    (n,) = struct.unpack(order + "H", data[at:at + 2])
    end = at + 2 + 12 * n + 4  # the tags, then the offset of the next directory
    if end > len(data):
        whole = min(n, (len(data) - at - 2) // 12)
        return (f"its first directory, of {n} tag{'s' * (n != 1)}, ends at byte {end}, past "
                f"its end, at byte {len(data)}", _orientation_tag(data, order, at + 2, whole))
    return None


def _exif_header(exif: bytes) -> tuple[bytes, str, int] | None:
    """The TIFF data of ``exif`` (after any ``Exif\\0\\0``, as Pillow reads it), its byte
    order (``"<"`` or ``">"``) and the offset of its first directory of tags; None when it
    has no classic TIFF header (left to Pillow)."""
    data = re.sub(b"^(Exif\x00\x00){1,2}", b"", exif)  # as Pillow reads it
    if len(data) < 8 or data[:4] not in (b"II*\0", b"MM\0*"):
        return None
    order = "<" if data[:2] == b"II" else ">"
    return data, order, struct.unpack(order + "L", data[4:8])[0]


#: The bytes of one value of each TIFF field type Pillow reads (BYTE, ASCII, SHORT, LONG,
#: RATIONAL, SBYTE, UNDEFINED, SSHORT, SLONG, SRATIONAL, FLOAT, DOUBLE, IFD, LONG8); it
#: passes over a tag of another type.
_TIFF_TYPE_BYTES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8,
                    13: 4, 16: 8}


def _warn_exif_values_damaged(exif: bytes, orientation: Any) -> None:
    """Warn, in a :class:`DamagedExifWarning`, when a tag of the first directory of ``exif``
    (whole: :func:`_exif_cut_short` is None) gives a value that is not in it
    (:func:`_exif_values_damaged`), saying which tags are skipped or ignored and whether
    ``orientation``, the one Pillow read from the others, is applied (a value out of 2..8,
    as none, is not)."""
    damage = _exif_values_damaged(exif)
    if damage is None:
        return
    reason, ignored, lost = damage
    if orientation in range(2, 9):
        done = f"{ignored}, and the orientation, {orientation}, is applied"
    elif lost != 1:
        done = f"{ignored}, the orientation, {lost}, among them, so the image is read as stored"
    else:
        done = f"{ignored}; no orientation is read, so the image is read as stored"
    warn_caller(f"its EXIF data is damaged ({reason}); {done}", DamagedExifWarning)


def _exif_values_damaged(exif: bytes) -> tuple[str, str, int] | None:
    """Why a tag of the first directory of ``exif`` gives a value that is not in it, which
    tags are left out for it, and the orientation among them (1 when none is); None when
    every value is in it. The directory is read as Pillow reads it: a tag whose value
    would bring the bytes of the values read so far past the whole block's is skipped
    (Pillow: "Tag data larger than file. Skipping tag 271"), and a value that ends past
    the block ends the reading: its tag and those after it are ignored (Pillow:
    "Truncated File Read").

    >>> make = b"\\x01\\x0f\\0\\x02\\0\\0\\x03\\xe8\\0\\0\\0\\x08"  # 1000 bytes at byte 8
    >>> _exif_values_damaged(b"MM\\0*\\0\\0\\0\\x08\\0\\x01" + make + bytes(4))
    ('tag 271 (Make) gives a value of 1000 bytes, more than the 26 of the EXIF data', \
'that tag is skipped', 1)
    """
    header = _exif_header(exif)
    if header is None:
        return None
    data, order, at = header
    (count,) = struct.unpack(order + "H", data[at:at + 2])
    total, read, skipped = 0, set(), []
    reason, stop = None, None
    for i in range(count):
        start = at + 2 + 12 * i
        tag, kind, n, offset = struct.unpack(order + "HHLL", data[start:start + 12])
        size = n * _TIFF_TYPE_BYTES.get(kind, 0)
        if tag in read or size <= 4:
            read.update([tag] if size else [])
            continue
        total += size
        if total <= len(data) and offset + size <= len(data):
            read.add(tag)
            continue
        if reason is None:
            reason = (tag, _value_outside(tag, size, offset, total, len(data)))
        if total <= len(data):
            stop = i
            break
        skipped.append(tag)
    if reason is None:
        return None
    ignored = []
    if skipped:
        them = ("that tag is" if skipped == [reason[0]] else
                f"{_listed_tags(skipped)} {'is' if len(skipped) == 1 else 'are'}")
        ignored.append(f"{them} skipped")
    lost = 1
    if stop is not None:
        after = count - stop - 1
        tag = struct.unpack(order + "H", data[at + 2 + 12 * stop:at + 4 + 12 * stop])[0]
        them = "that tag" if tag == reason[0] else f"tag {tag}"
        ignored.append(f"{them}{f' and the {after} after it are' if after else ' is'} ignored")
        lost = _orientation_tag(data, order, at + 2 + 12 * stop, after + 1)
    return reason[1], " and ".join(ignored), lost


def _value_outside(tag: int, size: int, offset: int, total: int, length: int) -> str:
    """Why the value of ``tag``, of ``size`` bytes at byte ``offset``, is not in the
    ``length`` bytes of an EXIF block, where the values read up to it take ``total``."""
    what = _exif_tag_name(tag)
    if size > length:
        return f"{what} gives a value of {size} bytes, more than the {length} of the EXIF data"
    if total > length:
        return (f"the values of its tags add up to {total} bytes at {what}, more than the "
                f"{length} of the EXIF data")
    return (f"the value of {what}, {size} bytes at byte {offset}, runs past the end of the "
            f"EXIF data, at byte {length}")


def _exif_tag_name(tag: int) -> str:
    """``tag`` as a warning names it: ``tag 271 (Make)``, or ``tag 50000`` when Pillow knows
    no name for it."""
    from PIL import TiffTags

    name = TiffTags.lookup(tag).name
    return f"tag {tag}" if name == "unknown" else f"tag {tag} ({name})"


def _listed_tags(tags: list[int]) -> str:
    """``tag 271``, ``tags 271 and 272``, ``tags 271, 272 and 305``."""
    if len(tags) == 1:
        return f"tag {tags[0]}"
    return f"tags {', '.join(map(str, tags[:-1]))} and {tags[-1]}"


#: The ``struct`` format of one integer value held in a tag itself, by TIFF field type
#: (BYTE, SHORT, LONG, SBYTE, SSHORT, SLONG): Pillow reads an orientation of any of them.
_INLINE_INTEGERS = {1: "B", 3: "H", 4: "L", 6: "b", 8: "h", 9: "l"}


def _orientation_tag(data: bytes, order: str, start: int, count: int) -> int:
    """The value of the orientation tag (one integer, of any type Pillow reads it in: SHORT
    as written, or LONG, ...) among the ``count`` 12-byte tags of ``data`` from byte
    ``start`` (byte ``order`` ``"<"`` or ``">"``), or 1 when none is.

    >>> tag = struct.pack(">HHLL", 0x0112, 4, 1, 6)  # a LONG orientation of 6
    >>> _orientation_tag(tag, ">", 0, 1), _orientation_tag(tag, ">", 0, 0)
    (6, 1)
    """
    for at in range(start, start + 12 * count, 12):
        tag, kind, n = struct.unpack(order + "HHL", data[at:at + 8])
        if tag == _EXIF_ORIENTATION and n == 1 and kind in _INLINE_INTEGERS:
            return struct.unpack_from(order + _INLINE_INTEGERS[kind], data, at + 8)[0]
    return 1


def _srgb(im: Image.Image, intent: Intent = DEFAULT_INTENT) -> Image.Image:
    """Convert an image with an ICC profile (by ``intent``) or a PNG gamma to sRGB."""
    icc = im.info.get("icc_profile")
    return _profile_to_srgb(im, icc, intent) if icc else _gamma_to_srgb(im)


# PNG's gAMA of sRGB-like images, and the relative difference below which a file gamma
# is taken as that (libpng's threshold): 1/2.2 differs from sRGB's curve only in the shadows.
_SRGB_LIKE_GAMMA = 1 / 2.2
_GAMMA_THRESHOLD = 0.05


def _gamma_to_srgb(im: Image.Image) -> Image.Image:
    """``im`` converted from the gamma its PNG gAMA chunk states to sRGB, as browsers show it.

    No change when there is no gAMA, an sRGB chunk (which overrides it), or a gamma
    within 5 % of 1/2.2. 16-bit grayscale is converted from its 16-bit values
    (:func:`_wide_gray_gamma_to_srgb`).
    """
    gamma = _file_gamma(im.info)
    if gamma is None:
        return im
    im = _keyed_to_alpha(im)
    if im.mode in _SIXTEEN_BIT_MODES:
        return _wide_gray_gamma_to_srgb(im, gamma)
    if im.mode not in ("L", "LA", "RGB", "RGBA"):
        return im
    lut = _gamma_encoded(np.arange(256) / 255.0, gamma).tolist()
    colour = len(im.mode) - im.mode.endswith("A")
    return im.point(lut * colour + list(range(256)) * (len(im.mode) - colour))


def _file_gamma(info: dict[str | tuple[int, int], Any]) -> float | None:
    """The gamma that a PNG's ``info`` states (its gAMA chunk) for its pixels to be converted
    from; None when there is none, an sRGB chunk (which overrides it), or a gamma within
    5 % of 1/2.2."""
    gamma = info.get("gamma")
    if (not gamma or gamma <= 0 or "srgb" in info
            or abs(gamma / _SRGB_LIKE_GAMMA - 1) <= _GAMMA_THRESHOLD):
        return None
    return float(gamma)


def _gamma_encoded(values: np.ndarray, gamma: float) -> np.ndarray:
    """uint8 sRGB levels of ``values`` (0..1) stored with the file gamma ``gamma``."""
    linear = values ** (1.0 / gamma)
    srgb = np.where(linear <= 0.0031308, 12.92 * linear, 1.055 * linear ** (1 / 2.4) - 0.055)
    return np.rint(srgb * 255).astype(np.uint8)


def _wide_gray_gamma_to_srgb(im: Image.Image, gamma: float) -> Image.Image:
    """``im``, a 16-bit grayscale PNG stored with the file gamma ``gamma``, as an 8-bit sRGB
    "L" image ("LA" with its transparent value, a tRNS key, as alpha).

    Its 16-bit values are converted, not the 8 bits they scale to: those would have
    left steps of up to 13 levels in the shadows of a linear-light image.
    """
    black, full = _wide_gray_scale(im)
    key = im.info.get("transparency")
    w, h = im.size
    gray = np.empty((h, w), dtype=np.uint8)
    alpha = None if key is None else np.empty((h, w), dtype=np.uint8)
    for dest, values in _gray_bands(im):
        gray[dest] = _gamma_encoded(np.clip((values - black) / (full - black), 0.0, 1.0), gamma)
        if alpha is not None:
            alpha[dest] = np.where(values == key, 0, 255)
    out = Image.fromarray(gray)
    if alpha is not None:
        out.putalpha(Image.fromarray(alpha))
    return out


class TransparentColorWarning(CodeAdviceWarning):
    """The transparent colour of a 16-bit RGB PNG given as a PIL image already decoded, whose
    file cannot be read again, is matched on the high byte of each channel only: Pillow has
    dropped the low bytes.

    The advice, how to pass the image for the colour to be matched on all 16 bits,
    is apart from the facts (:class:`~quantize.errors.CodeAdviceWarning`).
    """


def _wide_key(im: Image.Image) -> bool:
    """Whether ``im`` is an RGB image whose transparent colour is over 255 in some channel
    (a 16-bit RGB PNG's, which Pillow keeps in 16 bits), which its 8-bit pixels cannot
    equal."""
    key = im.info.get("transparency")
    return im.mode == "RGB" and isinstance(key, tuple) and max(key) > 255


def _high_byte_key(im: Image.Image, name: str, unread: str = "") -> Image.Image:
    """``im``, or a copy whose transparent colour is the high bytes of its 16-bit one when
    its 8-bit RGB pixels cannot equal that (:func:`_wide_key`: a 16-bit RGB PNG decoded
    before it came here, which could not be read again from its file, for the reason
    ``unread``: Pillow kept the high byte of each sample), with a
    :class:`TransparentColorWarning`.

    Left as it was, the colour was matched against 8-bit pixels that no value over
    255 equals, and the transparency was lost without a word. A key under 256 in
    every channel cannot be told from an 8-bit image's, and is matched as 8-bit.
    """
    if not _wide_key(im):
        return im
    key = im.info["transparency"]
    high = tuple(k >> 8 for k in key)
    why = f" that cannot be read again from its file ({unread})" if unread else ""
    warn_caller(TransparentColorWarning(
        f"{name} is a 16-bit RGB PNG decoded at 8 bits per channel{why}, and its transparent "
        f"colour {key} is in 16 bits: the pixels of its high bytes {high} are made "
        "transparent, whatever their low bytes were",
        advice="pass the image as Image.open returns it, not yet decoded, or read the file "
        "with quantize.io.load_image, for the colour to be matched on all 16 bits"))
    keyed = im.copy()
    keyed.info["transparency"] = high
    return keyed


class TransparencyChunkWarning(QuantizeWarning):
    """A palette PNG's tRNS chunk holds more alpha values than a palette has entries (256):
    it is left out, as libpng and browsers leave it, and the image is read as opaque."""


def ignore_overlong_trns(im: Image.Image) -> None:
    """Leave out the transparency of ``im``, a file opened and not yet decoded, when it is a
    palette PNG whose tRNS chunk holds more than 256 alpha values
    (:func:`~quantize.png.overlong_trns`), with a :class:`TransparencyChunkWarning`.

    Pillow failed on such a file with its own words ("palette index out of range"), where
    libpng and browsers show the image opaque.
    """
    length = _drop_overlong_trns(im)
    if length is None:
        return
    warn_caller(f"its tRNS chunk holds {length} alpha values, more than the 256 entries a "
                "palette has; it is left out, as libpng and browsers leave it, and the image "
                "is read as opaque", TransparencyChunkWarning)


def _drop_overlong_trns(im: Image.Image) -> int | None:
    """Leave out the transparency of ``im`` as :func:`ignore_overlong_trns` does, without a
    warning; the number of alpha values its tRNS chunk holds, or None if it fits."""
    length = overlong_trns(im)
    if length is not None:
        del im.info["transparency"]
    return length


class ColorProfileWarning(QuantizeWarning):
    """An input's ICC profile could not be applied: its colours are read as sRGB."""


# The modes an ICC profile of each colour space applies to, and the sRGB mode they become.
_PROFILE_MODES = {"RGB": {"RGB": "RGB", "RGBA": "RGBA"}, "GRAY": {"L": "RGB", "LA": "RGBA"},
                  "CMYK": {"CMYK": "RGB"}}
_MODE_NAMES = {"RGB": "RGB", "RGBA": "RGB", "L": "grayscale", "LA": "grayscale",
               "CMYK": "CMYK"}


def _profile_to_srgb(im: Image.Image, icc: bytes,
                     intent: Intent = DEFAULT_INTENT) -> Image.Image:
    """``im`` converted from its ICC profile ``icc`` to sRGB by the rendering ``intent``
    (:func:`~quantize.io.profiles.cms_intent`; a palette image by its colours, 16-bit and
    float grayscale once scaled to 8 bits).

    A profile that cannot be read, or is not for the image's colours, is left
    out, as viewers do, with a :class:`ColorProfileWarning`.
    """
    from PIL import ImageCms  # its colour engine loads for images with a profile only

    im = _keyed_to_alpha(im)
    if im.mode in _SIXTEEN_BIT_MODES or im.mode == "F":  # the transforms take 8 bits
        gray, alpha = _pil_to_rgba(im)
        im = Image.fromarray(gray[:, :, 0])
        if alpha is not None:
            im.putalpha(Image.fromarray(alpha))
    try:
        src = ImageCms.ImageCmsProfile(_io.BytesIO(icc))
    except (ImageCms.PyCMSError, OSError):
        return _profile_ignored(im, "cannot be read")
    space = src.profile.xcolor_space.strip()
    if space == "Lab" and im.mode == "LAB":
        # CIELAB pixels described as such (Pillow gives its own LAB images this
        # profile): Pillow's conversion to RGB reads them as CIELAB already
        return im
    out_mode = _PROFILE_MODES.get(space, {}).get(im.mode)
    if out_mode is None:
        pixels = _MODE_NAMES.get(im.mode, f"mode {im.mode}")
        return _profile_ignored(im, f"is for {space or 'unknown'} colours, not {pixels} "
                                "pixels" if im.mode in _MODE_NAMES else
                                f"is not applied to {pixels} pixels")
    rendering, flags = cms_intent(intent)
    srgb = ImageCms.createProfile("sRGB")
    try:
        if im.mode == "LA":  # LittleCMS's LA transform mixes up the bands: alpha apart
            rgb = ImageCms.profileToProfile(im.convert("L"), src, srgb, outputMode="RGB",
                                            renderingIntent=rendering, flags=flags)
            rgb.putalpha(im.getchannel("A"))
            return rgb
        return ImageCms.profileToProfile(im, src, srgb, outputMode=out_mode,
                                         renderingIntent=rendering, flags=flags)
    except (ImageCms.PyCMSError, OSError) as exc:
        return _profile_ignored(im, f"cannot be applied ({exc})")


def _keyed_to_alpha(im: Image.Image) -> Image.Image:
    """``im`` with its colours and transparency apart, before they are converted.

    A palette image becomes RGB (RGBA with transparent entries); a grayscale or RGB
    PNG's transparent colour (its tRNS key) becomes alpha, since it names the colour
    as stored.
    """
    if im.mode in ("P", "PA"):
        return im.convert("RGBA" if im.mode == "PA" or "transparency" in im.info
                          or _palette_alpha(im) else "RGB")
    if im.mode in ("1", "L", "RGB") and "transparency" in im.info:
        return im.convert("RGBA" if im.mode == "RGB" else "LA")
    return im


def _palette_alpha(im: Image.Image) -> bool:
    """Whether ``im`` is a palette image whose palette holds alpha (an "RGBA" palette, as
    ``Image.quantize`` of an RGBA image makes), with no ``transparency`` to say so."""
    return im.mode == "P" and im.palette is not None and im.palette.mode == "RGBA"


def _profile_ignored(im: Image.Image, why: str) -> Image.Image:
    warn_caller(f"its ICC colour profile {why}; it is left out, as viewers leave it, and "
                "the colours are read as sRGB", ColorProfileWarning)
    return im


def _pil_to_rgba(im: Image.Image, page: int | None = None, reading: _Reading = _AS_COUNTS
                 ) -> tuple[np.ndarray, np.ndarray | None]:
    """8-bit RGB array and alpha (None when fully opaque) from any Pillow mode; ``page``,
    the image's number in a file of several pages, is named in a warning about its pixels.
    Values of more than 8 bits are read as ``reading`` says (:func:`_wide_gray_scale`).

    Converts a band of rows at a time into preallocated arrays, so a 100 MP
    image costs its decoded pixels plus the output, not several full copies.
    """
    if im.mode == "La":  # premultiplied grey: Pillow converts it to nothing but "LA"
        im = im.convert("LA")
    wide_gray = im.mode in _SIXTEEN_BIT_MODES or im.mode == "F"
    black, full = _wide_gray_scale(im, page, reading) if wide_gray else (0.0, 0.0)
    # A palette's transparent entries, or the colour a grayscale or RGB PNG makes
    # transparent (its tRNS chunk's colour key), are alpha too.
    key = im.info.get("transparency") if im.mode in ("P", "1", "L", "RGB") or wide_gray else None
    has_alpha = (im.mode in ("RGBA", "LA", "PA", "RGBa") or key is not None
                 or _palette_alpha(im))
    target = "RGBA" if has_alpha else "RGB"
    w, h = im.size
    rgb = np.empty((h, w, 3), dtype=np.uint8)
    alpha = np.empty((h, w), dtype=np.uint8) if has_alpha else None
    if wide_gray:
        curve = _curve_reading(reading)
        stretched = reading.stretched is not None and reading.stretched.low is not None
        counted = None if stretched else reading.counted
        kept: list[np.ndarray] | None = [] if stretched else None
        for dest, values in _gray_bands(im):
            rgb[dest] = _scale_wide_gray(values, full, black, curve)[:, :, None]
            if kept is not None:
                kept.append(values)
            if alpha is not None:
                alpha[dest] = np.where(no_data_mask(values, key), 0, 255)
            if counted is not None:
                counted.add(values, None if alpha is None else alpha[dest] > 0)
        if kept:
            _record_values(reading, np.concatenate(kept))
        if counted is not None:
            counted.finish(lambda distinct: _scale_wide_gray(distinct, full, black, curve))
    else:
        for dest, band in _row_bands(im):
            if band.mode != target:
                band = band.convert(target)
            arr = np.asarray(band)
            rgb[dest] = arr[:, :, :3]
            if alpha is not None:
                alpha[dest] = arr[:, :, 3]
    if alpha is not None and (alpha == 255).all():
        alpha = None
    return rgb, alpha


class PixelRangeWarning(CodeAdviceWarning):
    """Pixels of a 32-bit integer or float image lie outside any range they can be read in,
    or (32-bit integers, or a uint16 array or a 16-bit PIL image made from one, all at
    most 255; the alpha of a uint16 array alone at most 255; floats over 1 that come out
    dark) may be meant in another range than they are read in.

    The advice, how to convert the image or array in Python, is apart from the facts
    (:class:`~quantize.errors.CodeAdviceWarning`): the command line shows the facts alone.
    """


def _wide_gray_scale(im: Image.Image, page: int | None = None,
                     reading: _Reading = _AS_COUNTS) -> tuple[float, float]:
    """The values that read as black and white in a 16-bit, 32-bit or float grayscale
    image, a page of a file of several when ``page`` (from 1) is given: its warnings then
    name the page.

    White is 65535 for integers; for floats, the first of 1, 255 and 65535 that holds
    the largest value (float images come as 0..1, 0..255 or 16-bit counts).
    Values beyond 65535 are read by their largest; black is 0. With ``reading.stretch``,
    black and white are the image's own darkest and brightest values instead (below 0
    too), over the pixels that show (not of its transparent value,
    ``info["transparency"]``, nor NaN with one: :func:`~quantize.io.nodata.no_data_mask`),
    unless they are one or none shows; without it, whether the image comes out dark is
    judged by those pixels too. Pixels NaN or infinite (not hidden), and without
    ``reading.stretch`` those below 0, are read as black, with a
    :class:`PixelRangeWarning` (:func:`_wide_gray_extent`), and an image whose brightest
    pixel comes out below 64 is said to come out dark (:func:`_warn_dark_values`).
    """
    low, top = _wide_gray_extent(im, page, im.info.get("transparency"), reading.stretch)
    if reading.fixed is not None:  # the range given, whatever the image's own
        _record_stretch(reading, *reading.fixed)
        return reading.fixed
    if reading.stretch and reading.clip and top > low:
        low, top = _wide_gray_percentiles(im, im.info.get("transparency"), reading.clip)
    if reading.stretch and top > low:
        _warn_fill_sets_range(im, page, low, im.info.get("transparency"))
        _record_stretch(reading, low, top)
        return low, top
    if im.mode.startswith("I;16"):
        full = 65535.0
    elif im.mode == "F":
        full = next((full for full in (1.0, 255.0, 65535.0) if top <= full), top)
    else:
        full = max(65535.0, top)
    if 0 < top and full > 1 and round(top * 255.0 / full) < DARK_TOP:
        eight_bit = top <= 255 and (im.mode == "I" or (im.mode != "F" and im.format is None))
        kind = _gray_kind(im)
        _warn_dark_values(f"{_on_page(page)}{kind}", (low, top), full, reading,
                          _EIGHT_BIT_PIL_ADVICE if eight_bit else None)
    return 0.0, full


def _wide_gray_extent(im: Image.Image, page: int | None, hidden: float | None = None,
                      own_range: bool = False) -> tuple[float, float]:
    """The darkest and brightest values of ``im``, a wide grayscale image, at least 0 (but
    with ``own_range``, a stretch's, which reads values below 0 too), over its finite
    pixels but those no data by ``hidden`` when given (of that value, and NaN:
    :func:`~quantize.io.nodata.no_data_mask`; 0, 0 when there are none). Reads the image
    a band of rows at a time, so the whole image is scaled alike. Warns
    (:class:`PixelRangeWarning`) of pixels NaN or infinite, and without ``own_range`` of
    those below 0 (not of ``hidden``: a float tile's no-data -9999), which are read as
    black."""
    w, h = im.size
    low, top, negative, undefined = np.inf, -np.inf, 0, 0
    for _, band in _gray_bands(im):
        band, left_out = _values_read(band, hidden)
        undefined += left_out
        negative += 0 if own_range else int(np.count_nonzero(band < 0))
        if band.size:
            top, low = max(top, float(band.max())), min(low, float(band.min()))
    parts = [f"{undefined} NaN or infinite"] if undefined else []
    parts += [f"{negative} negative"] if negative else []
    if parts:
        verb = "is" if undefined + negative == 1 else "are"
        warn_caller(f"{_on_page(page)}{' and '.join(parts)} of its {w * h} pixels {verb} "
                    "read as black", PixelRangeWarning)
    if low == np.inf:
        return 0.0, 0.0
    return (low, top) if own_range else (max(low, 0.0), max(top, 0.0))


def _warn_fill_sets_range(im: Image.Image, page: int | None, low: float,
                          hidden: float | None) -> None:
    """Say when the value ``low`` that a stretch of ``im``, a float grayscale image, reads
    as black looks like a no-data fill that ``nodata`` did not name (-9999 of a float
    tile): a whole number below 0 that more than :data:`OUTLIER_SHARE` of the pixels
    read (:func:`_values_read`), and two at least, hold; the line says to give ``nodata``
    that value, which the command line writes as its flag."""
    if im.mode != "F" or low >= 0 or not float(low).is_integer():
        return
    held = sum(int(np.count_nonzero(_values_read(band, hidden)[0] == low))
               for _, band in _gray_bands(im))
    pixels = im.width * im.height
    if held < 2 or held <= OUTLIER_SHARE * pixels:  # one darkest pixel is no fill
        return
    shown = shown_number(float(low))
    warn_caller(PixelRangeWarning(
        f"{_on_page(page)}{held} of its {pixels} pixels are {shown}, the darkest value, which "
        f"the stretch reads as black (a no-data fill sets its range); give nodata={shown} to "
        "read them as no data"))


def _values_read(band: np.ndarray, hidden: float | None) -> tuple[np.ndarray, int]:
    """The values of ``band``, a wide grayscale image's pixels, that are read as numbers
    (flat): its finite ones but those no data by ``hidden``
    (:func:`~quantize.io.nodata.no_data_mask`); and how many NaN or infinite ones, not no
    data, are left out.

    >>> values, left_out = _values_read(np.array([[1.0, np.nan, np.inf, -5.0]]), -5.0)
    >>> values.tolist(), left_out
    ([1.0], 1)
    """
    shown = no_data_mask(band, hidden)
    shown = np.ones(band.shape, bool) if shown is None else ~shown
    if band.dtype.kind != "f":
        return band[shown], 0
    finite = np.isfinite(band)
    return band[shown & finite], int(np.count_nonzero(shown & ~finite))


def _wide_gray_percentiles(im: Image.Image, hidden: float | None,
                           clip: float) -> tuple[float, float]:
    """The ``clip``-th and ``100 - clip``-th percentiles (:func:`_extent_of`) of the
    values of ``im``, a wide grayscale image, as :func:`_wide_gray_extent` reads them for
    a stretch: over its finite pixels but those no data by ``hidden``, below 0 too."""
    kept = [_values_read(band, hidden)[0].reshape(-1) for _, band in _gray_bands(im)]
    extent = _extent_of(np.concatenate(kept), clip)
    return (0.0, 0.0) if extent is None else extent


def _row_bands(im: Image.Image) -> Iterator[tuple[slice, Image.Image]]:
    """``im`` a band of rows at a time (about ``_BAND_PIXELS`` pixels each,
    :func:`~quantize._kernels.row_bands`): the rows it covers and the band, so that a
    large image is never converted whole."""
    w, h = im.size
    for rows in row_bands(h, w, _BAND_PIXELS):
        yield rows, im.crop((0, rows.start, w, rows.stop))


def _gray_bands(im: Image.Image) -> Iterator[tuple[slice, np.ndarray]]:
    """The pixels of ``im``, a wide grayscale image, as numbers (:func:`_gray_values`), a
    band of rows at a time (:func:`_row_bands`), with the rows each covers."""
    unsigned = _unsigned_32(im)
    for rows, band in _row_bands(im):
        yield rows, _gray_values(band, unsigned)


def _gray_kind(im: Image.Image) -> str:
    """How warnings name the values of ``im``, a wide grayscale image: a TIFF of 16-bit
    signed samples (SampleFormat 2), which Pillow holds as 32-bit integers (mode "I"),
    as such; else by its mode.

    >>> _gray_kind(Image.new("I;16", (1, 1))), _gray_kind(Image.new("F", (1, 1)))
    ('16-bit', 'float')
    >>> _gray_kind(Image.new("I", (1, 1)))
    '32-bit integer'
    """
    if im.mode != "I":
        return "float" if im.mode == "F" else "16-bit"
    tags = getattr(im, "tag_v2", None) if im.format == "TIFF" else None
    if (tags is not None and tags.get(_BITS_PER_SAMPLE) == (16,)
            and tags.get(_SAMPLE_FORMAT, (1,)) == (2,)):
        return "16-bit signed"
    return "32-bit integer"


def _unsigned_32(im: Image.Image) -> bool:
    """Whether ``im`` is a TIFF of unsigned 32-bit grayscale samples (its SampleFormat 1,
    the default), which Pillow holds as signed (mode "I"): from 2**31 they read negative."""
    tags = getattr(im, "tag_v2", None)
    return (im.mode == "I" and im.format == "TIFF" and tags is not None
            and tags.get(_BITS_PER_SAMPLE) == (32,) and tags.get(_SAMPLE_FORMAT, (1,)) == (1,))


def _gray_values(band: Image.Image, unsigned: bool) -> np.ndarray:
    """The pixels of ``band``, of a wide grayscale image, as numbers: unsigned 32-bit
    ones (:func:`_unsigned_32` of the image) as such, not as Pillow's signed ones."""
    values = np.asarray(band)
    return values.view(np.uint32) if unsigned else values


def _on_page(page: int | None) -> str:
    """The start of a warning about the pixels of page ``page`` of a file of several, or
    of a file of one page (None): those of the whole file.

    >>> _on_page(2), _on_page(None)
    ('page 2: ', '')
    """
    return "" if page is None else f"page {page}: "


#: What a Python caller does with a 16-bit or 32-bit PIL image made in memory of values
#: up to 255 (:func:`_wide_gray_scale`): a file's 16-bit values are counts however dark.
_EIGHT_BIT_PIL_ADVICE = ('if they are 0..255, convert it to mode "L" first '
                         '(image.convert("L"), or the array as uint8)')


def _warn_dark_values(what: str, extent: tuple[float, float], full: float,
                      reading: _Reading, eight_bit_advice: str | None = None) -> None:
    """Say that ``what`` values (``"16-bit"``, ``"page 2: float"``, ``"image holds
    uint16"``), from ``extent[0]`` to ``extent[1]``, read with ``full`` as white, come
    out dark: what levels they come out as, and (counts read 257 to a level) that values
    closer than that become one level. Read with ``reading.stretch`` (the image is then of
    one value, which no stretch spreads), says so; else ends with ``reading.dark_advice``
    (the caller's job's way out) when given, or, in Python, with how to read the image
    stretched; but of one value, which no stretch spreads, says that the image holds one
    value, ending with ``reading.dark_advice`` only when it is no :class:`StretchAdvice`.
    Either way, ``eight_bit_advice`` (in Python) is given when the values may be 8-bit
    ones: before the stretch Python callers are offered, after ``reading.dark_advice``
    (:func:`_warn_dark_with_advice`), which the command line shows too.

    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     _warn_dark_values("16-bit", (1000, 3000), 65535.0, _Reading(False, "it is dark"))
    ...     _warn_dark_values("16-bit", (1234, 1234), 65535.0, _Reading(True, "it is dark"))
    ...     _warn_dark_values("16-bit", (1234, 1234), 65535.0, _Reading(False, "it is dark"))
    ...     _warn_dark_values("16-bit", (1234, 1234), 65535.0,
    ...                       _Reading(False, StretchAdvice("stretch it")))
    >>> print(caught[0].message)
    16-bit values 1000..3000 of 65535 come out 4..12 of 255: counts closer than 257 apart \
become one level; it is dark
    >>> print(caught[1].message)
    16-bit values 1234..1234 of 65535 come out 5..5 of 255: an image of one value cannot \
be stretched
    >>> print(caught[2].message)
    16-bit values 1234..1234 of 65535 come out 5..5 of 255: the image holds one value; it \
is dark
    >>> print(caught[3].message)
    16-bit values 1234..1234 of 65535 come out 5..5 of 255: the image holds one value, \
which no stretch spreads
    """
    if reading.pages is not None:  # the pages of one file: said of the first dark one
        if reading.pages.said:
            return
        reading.pages.said = True
    low, top = extent
    levels = "..".join(str(round(v * 255.0 / full)) for v in extent)
    step = full / 255.0
    apart = "counts" if "float" not in what else "values"
    merged = f": {apart} closer than {step:.6g} apart become one level" if step > 1 else ""
    facts = f"{what} values {low:.6g}..{top:.6g} of {full:.6g} come out {levels} of 255"
    if reading.stretch:
        warn_caller(PixelRangeWarning(f"{facts}: an image of one value cannot be stretched",
                                      advice=eight_bit_advice or ""))
        return
    if low == top:
        _warn_one_dark_value(facts, reading.dark_advice, eight_bit_advice)
        return
    facts += merged
    if reading.dark_advice is not None:
        _warn_dark_with_advice(facts, reading.dark_advice, eight_bit_advice)
        return
    stretch = ("or pass stretch=True, which maps its own range onto 0..255"
               if eight_bit_advice else
               "pass stretch=True to map its own range onto 0..255, or scale the "
               f"values to fill 0..{full:.6g} first")
    advice = f"{eight_bit_advice}, {stretch}" if eight_bit_advice else stretch
    warn_caller(PixelRangeWarning(facts, advice=advice))


def _warn_dark_with_advice(facts: str, dark_advice: str,
                           eight_bit_advice: str | None) -> None:
    """Say that values come out dark (``facts``), then ``dark_advice``, the caller's job's
    word on it (``reduce_colors``' "the output is 8-bit and as dark", ``segment``'s
    ``stretch=True``), which the command line shows too; of values that may be 8-bit
    ones, then ``eight_bit_advice`` (in Python), apart from the facts: read as 8-bit,
    they need neither a dark output nor a stretch.

    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     _warn_dark_with_advice("dark", "give stretch=True", "if 0..255, pass uint8")
    >>> str(caught[0].message), caught[0].message.facts
    ('dark; give stretch=True; if 0..255, pass uint8', 'dark; give stretch=True')
    """
    warn_caller(PixelRangeWarning(f"{facts}; {dark_advice}", advice=eight_bit_advice or ""))


def _warn_one_dark_value(facts: str, dark_advice: str | None,
                         eight_bit_advice: str | None) -> None:
    """Say of an image of one value, read without a stretch, that comes out dark
    (``facts``) that it holds one value: a stretch cannot spread it, so a
    :class:`StretchAdvice`, and the stretch Python callers are offered, are not given;
    another ``dark_advice`` (a fact of the caller's job) still ends the warning."""
    if dark_advice is not None and not isinstance(dark_advice, StretchAdvice):
        warn_caller(PixelRangeWarning(f"{facts}: the image holds one value; {dark_advice}"))
        return
    warn_caller(PixelRangeWarning(f"{facts}: the image holds one value, which no stretch "
                                  "spreads", advice=eight_bit_advice or ""))


def _scale_wide_gray(arr: np.ndarray, full: float, low: float = 0.0,
                     curve: _Reading | None = None) -> np.ndarray:
    """16-bit (or 32-bit integer / float) grayscale to uint8, ``low`` reading as 0 and
    ``full`` as 255, the values between through ``curve``'s curve when given
    (:func:`_curved`); NaN and infinite values as 0.

    >>> _scale_wide_gray(np.array([0.0, 25.0, 100.0]), 100.0).tolist()
    [0, 64, 255]
    >>> _scale_wide_gray(np.array([0.0, 25.0, 100.0]), 100.0, 0.0,
    ...                  _Reading(True, curve="sqrt")).tolist()
    [0, 128, 255]
    """
    a = np.nan_to_num(arr.astype(np.float64), nan=low, posinf=low, neginf=low)
    if curve is not None:
        unit = np.clip((a - low) / (full - low), 0.0, 1.0)
        return np.rint(_curved(unit, curve)).astype(np.uint8)
    if low:
        a -= low
    return np.clip(np.rint(a * (255.0 / (full - low))), 0, 255).astype(np.uint8)


def _stretched(rgb: np.ndarray, extent: tuple[Any, Any] | None,
               reading: _Reading = _AS_COUNTS) -> np.ndarray:
    """``rgb``, ``(H, W, 3)`` uint8, its darkest level (of any channel) made 0 and its
    brightest 255, the levels between spread alike (hues kept), over the pixels that show
    (their ``extent``, :func:`_shown_extent`, measured by the caller): ``rgb`` itself when
    they are 0 and 255 already, or one level, or when no pixel shows (``extent`` None).

    >>> rgb = np.array([[[4, 8, 12], [255, 0, 0]]], np.uint8)
    >>> _stretched(rgb[:, :1], _shown_extent(rgb[:, :1], None, 255.0)).tolist()
    [[[0, 128, 255]]]
    >>> _stretched(rgb, _shown_extent(rgb, np.array([[255, 0]], np.uint8), 255.0)).tolist()
    [[[0, 128, 255], [255, 0, 0]]]
    """
    if extent is None:
        return rgb
    low, top = extent
    linear = reading.curve == "linear"
    if top == low or ((low, top) == (0, 255) and linear):
        return rgb
    if not linear:
        unit = np.clip((np.arange(256) - low) / (top - low), 0.0, 1.0)
        return np.rint(_curved(unit, reading)).astype(np.uint8)[rgb]
    levels = np.rint((np.arange(256) - low) * (255.0 / (top - low)))
    return np.clip(levels, 0, 255).astype(np.uint8)[rgb]


#: The share of an image's pixels at each end of its levels that may lie beyond the rest
#: (:func:`bulk_levels`): 0.1%, as ImageJ's auto-contrast saturates 0.35%.
OUTLIER_SHARE = 0.001


def bulk_levels(rgb: np.ndarray, alpha: np.ndarray | None = None) -> tuple[int, int]:
    """The levels ``(low, high)`` that all but :data:`OUTLIER_SHARE` of the channel values
    of ``rgb`` ``(H, W, 3)`` uint8 lie within at each end, over the pixels that show
    (``alpha`` ``(H, W)`` above 0; all when None): a hot pixel among dark counts is left
    out of the range the rest span. Of an image of more than :data:`_BULK_SAMPLE` pixels,
    of every ``s``-th pixel of every ``s``-th row (a histogram of every value of a 24
    MP photo took seconds). ``(0, 0)`` when no pixel shows.

    >>> rgb = np.zeros((40, 50, 3), np.uint8); rgb[:, 25:] = 11; rgb[0, 0] = 255
    >>> bulk_levels(rgb)
    (0, 11)
    """
    step = max(1, int(np.ceil(np.sqrt(rgb.shape[0] * rgb.shape[1] / _BULK_SAMPLE))))
    sample = rgb[::step, ::step]
    shown = sample if alpha is None else sample[alpha[::step, ::step] > 0]
    if shown.size == 0:
        return 0, 0
    counts = np.cumsum(np.bincount(shown.reshape(-1), minlength=256))
    low = int(np.searchsorted(counts, OUTLIER_SHARE * counts[-1], side="right"))
    return low, int(np.searchsorted(counts, (1 - OUTLIER_SHARE) * counts[-1]))


#: :func:`bulk_levels` counts the levels of at most about this many pixels.
_BULK_SAMPLE = 1 << 20


def outside_levels(rgb: np.ndarray, alpha: np.ndarray | None, low: int, high: int) -> int:
    """How many of the pixels of ``rgb`` ``(H, W, 3)`` uint8 that show (``alpha`` above 0,
    or all) have a channel below ``low`` or above ``high`` (:func:`bulk_levels`).

    >>> outside_levels(np.array([[[0, 5, 9], [3, 3, 3]]], np.uint8), None, 1, 8)
    1
    """
    outside = 0
    for rows in _array_bands(rgb):
        band = rgb[rows] if alpha is None else rgb[rows][alpha[rows] > 0]
        outside += int(np.count_nonzero(((band < low) | (band > high)).any(axis=-1)))
    return outside


def _warn_outliers_set_stretch(rgb: np.ndarray, alpha: np.ndarray | None,
                               name: str = "image", clip: float = 0.0) -> None:
    """Say when a stretch (from percentiles, with ``clip``) left ``rgb`` ``(H, W, 3)``
    uint8 dark, or washed out: all but a few of the pixels that show (alpha above 0) lie
    within fewer than :data:`DARK_TOP` levels (:func:`bulk_levels`,
    :func:`outside_levels`), as when a hot pixel (one at 40000 among counts of
    227..1968) set the range. The line says the levels the rest came out as, and to give
    ``stretch_clip`` (:data:`OUTLIER_SHARE` as a percentage), or a larger one than
    ``clip``, which the command line writes as its flag.

    >>> import warnings
    >>> rgb = np.zeros((40, 50, 3), np.uint8); rgb[:, 25:] = 11; rgb[0, 0] = 255
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     _warn_outliers_set_stretch(rgb, None)
    >>> print(caught[0].message)
    image stretched from its own range comes out 0..11 of 255 but for 1 of its 2000 pixels \
(a few outliers, hot or dead pixels, set the range): its levels are too close to tell \
apart; give stretch_clip=0.1 to stretch from the 0.1th to the 99.9th percentile, which \
leaves them out
    """
    low, high = bulk_levels(rgb, alpha)
    if high - low >= DARK_TOP:
        return
    outside = outside_levels(rgb, alpha, low, high)
    if outside == 0:
        return
    pixels = rgb.shape[0] * rgb.shape[1] if alpha is None else int(np.count_nonzero(alpha))
    share = OUTLIER_SHARE * 100
    way = (f"give stretch_clip={share:g} to stretch from the {share:g}th to the "
           f"{100 - share:g}th percentile, which leaves them out") if not clip else (
           f"give a larger stretch_clip than {clip:g} to leave them out")
    ranged = "its own range" if not clip else f"its {clip:g}th to {100 - clip:g}th percentile"
    warn_caller(PixelRangeWarning(
        f"{name} stretched from {ranged} comes out {low}..{high} of 255 but for "
        f"{outside} of its {pixels} pixels (a few outliers, hot or dead pixels, set the "
        f"range): its levels are too close to tell apart; {way}"))


def as_rgba(image: Any, name: str = "image", *, every_frame: str | None = None,
            max_pixels: int | None = DEFAULT_MAX_PIXELS, stretch: bool = False,
            dark_advice: str | None = None, stretch_clip: float = 0.0,
            stretch_curve: StretchCurve = "linear", stretch_softening: float | None = None,
            stretch_range: tuple[float, float] | None = None,
            fourth_channel: FourthChannel | None = None
            ) -> tuple[np.ndarray, np.ndarray | None]:
    """Normalise an in-memory image to ``(rgb uint8 (H, W, 3), alpha uint8 (H, W) or None)``.

    Accepts a PIL image, a :class:`LoadedImage`, or an array of shape (H, W),
    (H, W, 1), (H, W, 2) (grey and alpha, as ``np.asarray`` gives a PIL "LA" image),
    (H, W, 3) or (H, W, 4) with dtype uint8, uint16 (scaled by 1/257; one whose values
    are all at most 255, which comes out near black, with a :class:`PixelRangeWarning`,
    and one whose alpha alone is, beside colour above 255, with one saying its alpha looks
    8-bit),
    bool, or float in [0, 1] (values up to 1/510, half a level, outside it, as arithmetic
    leaves them, read clipped: :func:`~quantize._validation.unit_floats`). Other integer
    dtypes are refused without ``stretch``: their scale is unknown (the message says how to
    pass them: as uint8 for values 0..255, else with ``stretch=True`` or as uint16). With
    ``stretch``, a float array of any range and an array of any integer dtype (of 1 or 3
    channels, and not of one value) are stretched from their own values; with
    ``stretch_clip``, from percentiles of them (as :func:`load_image` does). An object with
    NumPy's array protocol (``__array__``,
    ``__array_interface__``: an xarray DataArray, a CPU tensor) is read as
    ``np.asarray`` makes it; nested lists are refused, with how to pass them
    (``np.asarray(image, dtype=np.uint8)`` for levels 0..255, ``dtype=np.float32`` for
    values 0..1; a list of PIL images, one at a time). A 2-D array of 3 or 4 columns and more
    rows than columns is read as the grey image it is, with a
    :class:`PixelListWarning`: it looks like a list of pixels, which
    ``image.reshape(-1, 1, 3)`` passes. The fourth channel of an (H, W, 4) array is
    what ``fourth_channel`` says: "alpha", or "band" (a scene's near-infrared after red,
    green and blue, say), left out of the colours, every pixel shown. Not given, it is the
    alpha of a uint8 or bool array, and of one of another dtype that hides no pixel (all at
    65535, or 1.0); else a band, with a :class:`FourthChannelWarning` naming the keyword:
    a uint16 or float scene of four bands is read whole, not its dark near-infrared
    pixels made transparent (no data). The caller's array (or object) is never
    modified. A PIL image is converted as :func:`load_image` converts a file (its ICC
    profile, PNG gamma, 16-bit and float grayscale; a palette image's alpha, from its
    ``transparency`` or an "RGBA" palette as ``Image.quantize`` makes; one not yet
    decoded whose tRNS chunk holds more alpha values than a palette has entries is read
    opaque, with a :class:`TransparencyChunkWarning`), and turned upright by the EXIF
    orientation its ``info["exif"]`` gives (:func:`exif_orientation`), as the file is:
    ``Image.open`` of a phone photo gives the arrays the command line gives. One
    ``PIL.ImageOps.exif_transpose`` turned is upright already (it drops the orientation),
    but an image turned by hand (``im.rotate``, ``im.transpose``) keeps the tag Pillow
    copied with it, and is turned again: drop it first (``im.info.pop("exif")``). A PIL
    image
    of an animation or a multi-page file gives the frame it is at, and a
    :class:`LoadedImage` of one its first frame, with a
    :class:`quantize.animation.FirstFrameWarning` saying so; ``every_frame``, when
    given, is added to it: how the caller's job is done on every frame, where there
    is such a way. (A GIF or TIFF decoded in a ``with`` block that has ended is read
    too, but Pillow can no longer count its frames: the warning then comes at a later
    frame only, and says "at least" as many frames as lead to it.) Threads that pass one
    PIL image at once read it in turn: Pillow's decoding on first use is not thread-safe.

    A frame of an APNG is drawn as :func:`~quantize.animation.iter_frames` draws it
    (:class:`KeyedCanvas`), not as Pillow composites it, which differs where a frame's
    disposal cleared the canvas (opaque black, or palette entry 0, in an image without
    alpha), where a translucent pixel blended over it, and where a default image that is
    not a frame showed through. Its first frame (at the start of the file, or moved to
    after such a default image, ``image.seek(1)``), not yet decoded, is drawn from the
    image itself; a later frame, or that first one after a default image once decoded,
    from its file read again, its frames drawn up to that one: the file the image has
    open (what was drawn is kept while the image lives, so that the frames of an animation
    given in turn are each decoded once), or, once decoded (Pillow then keeps its file to
    itself), the file its ``filename`` names, when that still gives Pillow's picture of
    the frame (what was read of it kept likewise while the image lives); not so an APNG
    that Pillow composites alike (:func:`drawn_alike_by_pillow`), whose frame not yet
    decoded is Pillow's picture.
    A GIF's frame after its first, not yet decoded, is drawn as
    :func:`~quantize.animation.iter_frames` draws it too (:mod:`quantize.gif_canvas`:
    Pillow showed what a disposal cleared opaque), from the file the image has open
    (kept likewise); once decoded, it is Pillow's picture.
    ``image`` is left as it was. A decoded frame that cannot be read so (opened from a
    file object, its file gone or changed, or its pixels changed since it was decoded)
    is taken as it is, Pillow's picture, with a :class:`CompositedFrameWarning` saying
    why.

    The transparent colour (tRNS) of a 16-bit RGB PNG is matched on all 16 bits
    when the image comes as ``Image.open`` returns it, not yet decoded, at its first
    frame, and at a later frame of an APNG drawn again from its file. Once decoded (at
    its first frame), Pillow has kept the high byte of each sample only: the image is
    drawn again from the file its ``filename`` names, as a decoded later frame is, when
    that still gives Pillow's picture of it. When it cannot be, the colour is matched on
    its high bytes, with a :class:`TransparentColorWarning` saying so and why; a colour
    under 256 in every channel cannot then be told from an 8-bit image's, and is matched
    as one.

    An image of more than ``max_pixels`` pixels (default :data:`DEFAULT_MAX_PIXELS`, the
    limit :func:`load_image` puts on files; None for no limit) is refused from its shape
    or size, before any of its pixels is copied, converted or decoded.

    ``stretch`` and ``dark_advice`` are :func:`load_image`'s: with ``stretch``, the
    image's own range (over its colour channels together, of the pixels that show) is
    mapped onto 0..255, a
    uint16, other integer or float array's (a float array's whatever its range) and a
    16-bit, 32-bit or float grayscale PIL image's from their own values; without it, such
    an image whose brightest pixel comes out below 64 of 255
    is said so (a :class:`PixelRangeWarning`, ending with ``dark_advice`` when given).

    Raises
    ------
    ImageReadError
        For an image of more than ``max_pixels`` pixels (a ``ValueError``), naming
        ``name``, its shape, its pixel count and the limit.
    TypeError
        For a ``fourth_channel`` that is not a str, anything else that is not an image,
        or a PIL image whose
        ``info["transparency"]`` is of a type its mode does not take (P: an int
        0..255 or at most 256 bytes; 1, L, 16- and 32-bit grey: an int; F: a number;
        RGB: 3 ints).
    ValueError
        For a ``fourth_channel`` other than "alpha" and "band", a wrong shape (of a
        channel-first ``(3, H, W)`` or ``(4, H, W)`` array,
        saying to pass ``np.moveaxis(image, 0, -1)``; of any other ``(N, H, W)`` array,
        or one of them not uint8, that it may be a stack of planes, to pass one at a
        time, ``image[i]``: :func:`_shape_advice`), an empty image, NaN/inf or
        floats further outside [0, 1], a PIL image whose ``transparency`` is of the right
        type but out of range or of the wrong length, or a PIL image whose file was
        closed before its pixels were read, or that was closed itself (``image.close()``).
    ImageReadError
        For a PIL image whose file cannot be decoded (truncated, malformed) where it is
        read here: its pixels not yet decoded, its frames counted, an APNG's frames
        drawn again; with the reason :func:`load_image` gives, never Pillow's own
        exception. Or of a PNG or APNG not yet decoded (or of an APNG frame drawn again
        from its file) whose file has a chunk with a bad CRC (:func:`check_png_chunks`)
        or whose image data (of the frames read) ends before its last row
        (:func:`~quantize.png.whole_png_rows`), named by its file (or ``name``).
    """
    rgb, alpha, _ = as_rgba_ranged(image, name, every_frame=every_frame,
                                   max_pixels=max_pixels, stretch=stretch,
                                   dark_advice=dark_advice, stretch_clip=stretch_clip,
                                   stretch_curve=stretch_curve,
                                   stretch_softening=stretch_softening,
                                   stretch_range=stretch_range,
                                   fourth_channel=fourth_channel)
    return rgb, alpha


def as_rgba_ranged(image: Any, name: str = "image", *, every_frame: str | None = None,
                   max_pixels: int | None = DEFAULT_MAX_PIXELS, stretch: bool = False,
                   dark_advice: str | None = None, stretch_clip: float = 0.0,
                   stretch_curve: StretchCurve = "linear",
                   stretch_softening: float | None = None,
                   stretch_range: tuple[float, float] | None = None,
                   fourth_channel: FourthChannel | None = None
                   ) -> tuple[np.ndarray, np.ndarray | None, tuple[float, float] | None]:
    """:func:`as_rgba` (stretched from percentiles with ``stretch_clip``, through
    ``stretch_curve``, or from the fixed ``stretch_range``, as :func:`load_image`
    stretches), and with ``stretch`` the values read as 0 and 255, as
    :attr:`LoadedImage.stretch_range` gives them for a file (None without ``stretch``,
    and for an image of one value, which no stretch spreads, or none of whose pixels
    shows): those of a uint16, float or other integer array, or of a 16-bit, 32-bit or
    float grayscale PIL image, in its own values, else the 8-bit levels stretched.

    >>> as_rgba_ranged(np.array([[227, 1968]], np.uint16), stretch=True)[2]
    (227.0, 1968.0)
    >>> as_rgba_ranged(np.array([[0.25, 0.5]]))[2] is None
    True
    >>> rgb, _, fixed = as_rgba_ranged(np.array([[500, 1775]], np.uint16), stretch_range=(0, 2550))
    >>> rgb[0, :, 0].tolist(), fixed
    ([50, 178], (0.0, 2550.0))
    """
    rgb, alpha, stretch_range, _ = as_rgba_stretched(
        image, name, every_frame=every_frame, max_pixels=max_pixels, stretch=stretch,
        dark_advice=dark_advice, stretch_clip=stretch_clip, stretch_curve=stretch_curve,
        stretch_softening=stretch_softening, stretch_range=stretch_range,
        fourth_channel=fourth_channel)
    return rgb, alpha, stretch_range


def as_rgba_stretched(image: Any, name: str = "image", *, every_frame: str | None = None,
                      max_pixels: int | None = DEFAULT_MAX_PIXELS, stretch: bool = False,
                      dark_advice: str | None = None, stretch_clip: float = 0.0,
                      stretch_curve: StretchCurve = "linear",
                      stretch_softening: float | None = None,
                      stretch_range: tuple[float, float] | None = None,
                      fourth_channel: FourthChannel | None = None
                      ) -> tuple[np.ndarray, np.ndarray | None, tuple[float, float] | None,
                                 np.ndarray | None]:
    """:func:`as_rgba_ranged`, and the input's values so stretched, as
    :attr:`LoadedImage.stretch_values` gives them for a file (None when the range is):
    those of a uint16, float or other integer array (a copy, in its own dtype) or of a
    16-bit, 32-bit or float grayscale PIL image, ``(H, W)`` of one channel, else
    ``(H, W, 3)``;
    else the 8-bit levels before the stretch, one channel when the three are alike.
    Those values are read once: the copy made as they are stretched is the one kept.

    >>> rgb, _, extent, values = as_rgba_stretched(np.array([[1000, 3000]], np.uint16),
    ...                                            stretch=True)
    >>> rgb[0, :, 0].tolist(), extent, values.tolist()
    ([0, 255], (1000.0, 3000.0), [[1000, 3000]])
    >>> as_rgba_stretched(np.array([[1000, 3000]], np.uint16))[3] is None
    True
    """
    limit = check_max_pixels(max_pixels)
    if fourth_channel is not None:
        check_choice(fourth_channel, "fourth_channel", FOURTH_CHANNELS)
    reading = _stretch_reading(stretch, stretch_clip, dark_advice, stretch_curve,
                               stretch_softening, stretch_range)
    if reading.stretch:
        reading = reading._replace(stretched=_StretchRange())
    rgb, alpha = _rgba_of(image, name, every_frame, limit, reading, fourth_channel)
    if not reading.stretch:
        return rgb, alpha, None, None
    extent = _eight_bit_extent(rgb, alpha, reading)
    stretch_range = _stretch_range(extent, reading)
    values = _values_stretched(rgb, stretch_range, reading)
    rgb = _stretched(rgb, extent, _eight_bit_reading(reading))
    if reading.fixed is None:  # a range given is no outliers' doing
        _warn_outliers_set_stretch(rgb, alpha, name, reading.clip)
    return rgb, alpha, stretch_range, values


def _values_stretched(rgb: np.ndarray, stretch_range: tuple[float, float] | None,
                      reading: _Reading) -> np.ndarray | None:
    """:func:`as_rgba_stretched`'s values of an image read with ``reading.stretch``, whose
    8-bit levels are ``rgb`` before :func:`_stretched`: its values of more than 8 bits as
    recorded (upright), or else a copy of those levels, one channel when the three are
    alike; None when not stretched (``stretch_range`` None).

    >>> reading = _Reading(stretch=True, stretched=_StretchRange())
    >>> _values_stretched(np.full((1, 2, 3), 7, np.uint8), (7.0, 7.0), reading).tolist()
    [[7, 7]]
    """
    if stretch_range is None:
        return None
    recorded = reading.stretched.values if reading.stretched is not None else None
    if recorded is not None:
        return recorded
    grey = np.array_equal(rgb[..., 0], rgb[..., 1]) and np.array_equal(rgb[..., 0], rgb[..., 2])
    return rgb[:, :, 0].copy() if grey else rgb.copy()


def _rgba_of(image: Any, name: str, every_frame: str | None, limit: int | None,
             reading: _Reading, fourth_channel: FourthChannel | None = None
             ) -> tuple[np.ndarray, np.ndarray | None]:
    """:func:`as_rgba` of ``image``, its other parameters checked; a stretch is left to
    the caller but for values of more than 8 bits, read as ``reading`` says."""
    if isinstance(image, LoadedImage):
        check_image_pixels(image.rgb.shape[:2], f"{name} of shape {image.rgb.shape}", limit)
        if image.n_frames > 1:
            _warn_first_frame_read(image.n_frames, name, every_frame)
        return image.rgb, _alpha_as_read(image)  # as load_image gives it
    if isinstance(image, Image.Image):
        if image.width == 0 or image.height == 0:
            raise ValueError(f"{name} should have at least one pixel, got a PIL image of "
                             f"{image.width}x{image.height} pixels")
        check_image_pixels((image.height, image.width),
                            f"{name}, a PIL image of {image.width}x{image.height}", limit)
        with _taking_turns(image):
            key = _overlong_trns_left_out(image)  # read as load_image reads such a file
            try:
                return _pil_image_rgba(image, name, every_frame, reading)
            finally:
                if key is not None:  # the caller's image is left as it was
                    image.info["transparency"] = key
    if not isinstance(image, np.ndarray):
        image = _array_like(image, name)
    refuse_masked(image, name, "image.filled(...), or the mask as an alpha channel")
    arr = np.asarray(image)  # a subclass (np.matrix, always 2-D) as the plain array it holds
    if arr.ndim == 2:
        _warn_pixel_list(arr.shape, name)
        arr = arr[:, :, None]
    if arr.ndim != 3 or arr.shape[2] not in (1, 2, 3, 4):
        raise ValueError(f"{name} should have shape (H, W), (H, W, 1), (H, W, 2), (H, W, 3) "
                         f"or (H, W, 4), got {image.shape}{_shape_advice(arr, name)}")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"{name} should have at least one pixel, got shape {image.shape}")
    # before the array is copied or converted
    check_image_pixels(image.shape[:2], f"{name} of shape {image.shape}", limit)
    if not arr.dtype.isnative:  # e.g. big-endian ">u2" from a raw 16-bit file: same values
        arr = arr.astype(arr.dtype.newbyteorder("="))
    if arr.shape[2] == 4 and not _fourth_is_alpha(arr, name, fourth_channel):
        arr = arr[:, :, :3]  # a band of the scene (near-infrared): every pixel shows
    arr8 = _to_uint8(arr, name, reading)
    if arr8.shape[2] <= 2:  # grey, or grey and alpha
        rgb = np.repeat(arr8[:, :, :1], 3, axis=2)
    else:
        rgb = np.ascontiguousarray(arr8[:, :, :3])
    if arr8.shape[2] in (2, 4):
        alpha = np.ascontiguousarray(arr8[:, :, -1])
        return rgb, (None if (alpha == 255).all() else alpha)
    return rgb, None


#: What the fourth channel of an ``(H, W, 4)`` array is (``fourth_channel``): its alpha,
#: or a band of a scene (near-infrared after red, green and blue), left out of the colours.
FourthChannel = Literal["alpha", "band"]
FOURTH_CHANNELS: tuple[str, ...] = ("alpha", "band")


class FourthChannelWarning(CodeAdviceWarning):
    """The fourth channel of a uint16, float (or other integer) ``(H, W, 4)`` array that
    would hide pixels as alpha is read as a band, with ``fourth_channel`` not given: a
    scene of red, green, blue and near-infrared bands is more common at those depths than
    a 16-bit RGBA image, and its near-infrared read as alpha made dark water no data
    (:func:`_fourth_is_alpha`)."""


def _fourth_is_alpha(arr: np.ndarray, name: str, fourth_channel: FourthChannel | None
                     ) -> bool:
    """Whether the fourth channel of ``arr``, an ``(H, W, 4)`` array, is read as its alpha:
    as ``fourth_channel`` says; when it is None, that of a uint8 or bool array (an RGBA
    image), and that of any other dtype that hides no pixel (at its type's full value, or
    1 of a float array, everywhere: it reads alike either way). Else, a band, with a
    :class:`FourthChannelWarning` naming the keyword; a caller's array is not read twice
    over, the check is one comparison of the channel."""
    if fourth_channel is not None:
        return fourth_channel == "alpha"
    if arr.dtype in (np.uint8, np.bool_):
        return True
    fourth = arr[:, :, 3]
    full = 1.0 if arr.dtype.kind == "f" else np.iinfo(arr.dtype).max
    hidden = int(np.count_nonzero(~(fourth >= full)))  # NaN is no full value either
    if hidden == 0:
        return True
    warn_caller(FourthChannelWarning(
        f"{name} is {arr.dtype} of 4 channels: its fourth is read as a band, left out of "
        f"the colours, not as alpha, which would make {hidden} of its {fourth.size} pixels "
        "less than opaque",
        advice="pass fourth_channel='alpha' to read it as alpha, or "
        "fourth_channel='band' to keep this reading without the warning"))
    return False


def _shape_advice(arr: np.ndarray, name: str) -> str:
    """What the refusal of an array of shape ``arr.shape`` adds: of a ``(3, H, W)`` or
    ``(4, H, W)`` array, which reads like colour channels first (as PyTorch gives an
    image), to move them last; that it may be a stack of planes (z-slices, time points,
    as a microscope's TIFF stack reads), to pass one plane at a time, of an ``(N, H, W)``
    array whose first axis is its shortest (of a ``(3, H, W)`` or ``(4, H, W)`` one, only
    when it is not uint8, whose values read like colour), and of any ``(N, H, W, C)`` one.

    >>> _shape_advice(np.zeros((3, 5, 6), np.uint8), "image")
    '; for channels first, pass np.moveaxis(image, 0, -1)'
    >>> _shape_advice(np.zeros((7, 50, 90), np.uint16), "image")
    '; a stack of 7 planes (z-slices, time points) is read one plane at a time: pass image[i]'
    >>> _shape_advice(np.zeros((9, 6, 7), np.uint8), "image")  # 7 channels last, maybe
    ''
    """
    if arr.ndim not in (3, 4):
        return ""
    n = arr.shape[0]
    stack = (f"; a stack of {n} planes (z-slices, time points) is read one plane at a "
             f"time: pass {name}[i]")
    if arr.ndim == 4:
        return stack
    planes = n < min(arr.shape[1:])
    if n in (3, 4):
        colour = f"; for channels first, pass np.moveaxis({name}, 0, -1)"
        return colour + (stack if planes and arr.dtype != np.uint8 else "")
    return stack if planes else ""


#: What each mode's ``transparency`` names, as Pillow's readers give it: P, a palette
#: index or a byte of alpha per entry; grey (1, L, 16- and 32-bit), the transparent grey
#: level, F its value; RGB, the colour.
_TRANSPARENCY_FORMS = {"P": "an int 0..255 (the transparent palette index) or at most 256 "
                            "bytes (one alpha per palette entry)",
                       "grey": "an int >= 0 (the grey level drawn transparent)",
                       "F": "a number (the value drawn transparent)",
                       "RGB": "an (r, g, b) tuple of 3 ints (the colour drawn transparent)"}


#: A lock for each PIL image :func:`as_rgba` reads, by the id of the image, while it lives
#: (:func:`_taking_turns`).
_image_locks: dict[int, threading.RLock] = {}


@contextlib.contextmanager
def _taking_turns(image: Image.Image) -> Iterator[None]:
    """Hold ``image``'s own lock for the block: threads that pass one PIL image to the
    library at once read it in turn. Pillow decodes an opened image from its file on
    first use (``load``), which is not safe in two threads at once: each read the other's
    bytes, and a sound file was said to be damaged ("truncated or malformed file")."""
    key = id(image)
    with _reads_lock:
        lock = _image_locks.get(key)
        if lock is None:
            lock = _image_locks[key] = threading.RLock()
            weakref.finalize(image, _image_locks.pop, key, None)
    with lock:
        yield


def _check_transparency(image: Image.Image, name: str) -> None:
    """Refuse a PIL image whose ``info["transparency"]`` is not of the form its mode takes
    (:data:`_TRANSPARENCY_FORMS`): Pillow failed on it with its own words (``argument 2
    must be sequence of length 3``), or, of a 16-bit or float grey image, compared every
    pixel with a tuple and matched them column by column. A mode that has alpha of its
    own (RGBA, LA, ...) takes none: there it is left unread, as Pillow leaves it."""
    key = image.info.get("transparency")
    mode = image.mode
    kind = (mode if mode in ("P", "RGB", "F")
            else "grey" if mode in ("1", "L") or mode in _SIXTEEN_BIT_MODES else None)
    if key is None or kind is None:
        return

    def integer(v: object) -> bool:
        return isinstance(v, numbers.Integral) and not isinstance(v, bool)

    if kind == "P":
        fits = ((isinstance(key, bytes) and len(key) <= 256)
                or (integer(key) and 0 <= key <= 255))
        right_type = isinstance(key, bytes) or integer(key)
    elif kind == "grey":
        right_type = integer(key)
        fits = right_type and key >= 0
    elif kind == "F":
        fits = right_type = isinstance(key, numbers.Real) and not isinstance(key, bool)
    else:
        right_type = isinstance(key, tuple | list) and all(integer(v) for v in key)
        fits = right_type and len(key) == 3 and min(key) >= 0
    if not fits:
        shown = repr(key) if len(repr(key)) <= 60 else f"{repr(key)[:57]}..."
        raise (ValueError if right_type else TypeError)(
            f"{name}.info['transparency']={shown} does not fit a mode {mode!r} image; "
            f"expected {_TRANSPARENCY_FORMS[kind]}, or no 'transparency' key")


def _check_arrays(rgb: Any, alpha: Any) -> None:
    """Refuse the arrays of a :class:`LoadedImage` built by hand that are not what
    :func:`load_image` gives: ``rgb`` (H, W, 3) uint8, ``alpha`` None or (H, W) uint8.

    A wrong type or dtype is a ``TypeError``, a wrong shape a ``ValueError``.
    """
    rgb_ok = isinstance(rgb, np.ndarray) and rgb.dtype == np.uint8
    if not rgb_ok or rgb.ndim != 3 or rgb.shape[2] != 3 or 0 in rgb.shape:
        what = (f"a {rgb.dtype} array of shape {rgb.shape}" if isinstance(rgb, np.ndarray)
                else f"a {type(rgb).__name__}")
        raise (ValueError if rgb_ok else TypeError)(
            f"LoadedImage.rgb should be a non-empty (H, W, 3) uint8 array, got {what}; pass "
            "an array of another dtype or shape as the image itself")
    if alpha is None:
        return
    alpha_ok = isinstance(alpha, np.ndarray) and alpha.dtype == np.uint8
    if not alpha_ok or alpha.shape != rgb.shape[:2]:
        what = (f"a {alpha.dtype} array of shape {alpha.shape}" if isinstance(alpha, np.ndarray)
                else f"a {type(alpha).__name__}")
        raise (ValueError if alpha_ok else TypeError)(
            f"LoadedImage.alpha should be None or a {rgb.shape[:2]} uint8 array, got {what}")


def _checked_fields(image: LoadedImage) -> dict[str, Any]:
    """The fields of ``image`` but its arrays as :func:`load_image` gives them (a Path, an
    int, a float), or raise naming the one that cannot be."""
    for name in ("mode", "format"):
        value = getattr(image, name)
        if not isinstance(value, str) and (name == "mode" or value is not None):
            raise TypeError(f"LoadedImage.{name}={value!r} should be a str, Pillow's {name} "
                            f"name{'' if name == 'mode' else ', or None'}, got "
                            f"{type(value).__name__}")
    for name, what in (("exif", "an EXIF block"), ("gray_profile", "an ICC profile"),
                       ("geo_tags", "an EXIF block of GeoTIFF tags")):
        if not isinstance(getattr(image, name), bytes | None):
            raise TypeError(f"LoadedImage.{name} should be bytes ({what}) or None, got "
                            f"{type(getattr(image, name)).__name__}")
    path, loop, duration, dpi = image.path, image.loop, image.duration, image.dpi
    pixel_size = image.pixel_size
    return {"path": None if path is None else check_path(path, "LoadedImage.path"),
            "n_frames": check_int(image.n_frames, "LoadedImage.n_frames", minimum=1),
            "loop": check_optional_int(loop, "LoadedImage.loop", minimum=0),
            "duration": None if duration is None else check_float(
                duration, "LoadedImage.duration", minimum=0.0),
            "dpi": None if dpi is None else check_dpi(dpi, "LoadedImage.dpi"),
            "pixel_size": None if pixel_size is None else check_dpi(
                pixel_size, "LoadedImage.pixel_size", "micrometres"),
            "stretch_range": _checked_stretch_range(image.stretch_range),
            "source_profile": _checked_source_profile(image.source_profile),
            "nodata": None if image.nodata is None else _checked_nodata(image.nodata),
            "text": _checked_text(image.text)}


def _checked_text(value: Any) -> tuple[tuple[bytes, bytes], ...]:
    """:attr:`LoadedImage.text` as a tuple of pairs, or raise naming it."""
    pairs = tuple(value) if isinstance(value, tuple | list) else None
    if pairs is None or not all(isinstance(pair, tuple | list) and len(pair) == 2
                                and all(isinstance(v, bytes) for v in pair) for pair in pairs):
        raise TypeError(f"LoadedImage.text should be (type, data) pairs of bytes, a PNG's "
                        f"text chunks, got {value!r}")
    return tuple((pair[0], pair[1]) for pair in pairs)


def _checked_nodata(value: Any) -> tuple[float, ...]:
    """:attr:`LoadedImage.nodata` as a tuple of numbers, or raise naming it."""
    checked = check_nodata(value, "LoadedImage.nodata")
    if not isinstance(checked, tuple):
        raise TypeError(f"LoadedImage.nodata should be None or one or three numbers, got "
                        f"{value!r}")
    return checked


def _checked_source_profile(value: Any) -> SourceProfile | None:
    """:attr:`LoadedImage.source_profile` as a SourceProfile, or raise naming it."""
    if value is None:
        return None
    pair = tuple(value) if isinstance(value, tuple | list) else ()
    if len(pair) != 2 or not all(isinstance(v, str) for v in pair):
        raise TypeError(f"LoadedImage.source_profile should be None or (colour_space, "
                        f"description), two str, got {value!r}")
    return SourceProfile(*pair)


def _checked_stretch_range(value: Any) -> tuple[float, float] | None:
    """:attr:`LoadedImage.stretch_range` as floats, or raise naming it."""
    if value is None:
        return None
    pair = tuple(value) if isinstance(value, tuple | list) else ()
    if len(pair) != 2 or not all(isinstance(v, int | float) and np.isfinite(v)
                                 for v in pair) or not pair[0] < pair[1]:
        raise ValueError(f"LoadedImage.stretch_range should be None or (low, high), two "
                         f"finite numbers with low < high, got {value!r}")
    return float(pair[0]), float(pair[1])


def _overlong_trns_left_out(image: Image.Image) -> Any:
    """Leave out the ``transparency`` of ``image``, a PIL image given to :func:`as_rgba`, when
    it is not yet decoded and its tRNS chunk holds more alpha values than a palette has
    entries, as :func:`load_image` leaves out its file's (:func:`ignore_overlong_trns`, with
    a :class:`TransparencyChunkWarning`); the value left out, for the caller to put back,
    or None."""
    key = image.info.get("transparency")
    if not getattr(image, "tile", None) or _file_closed_before_decoding(image):
        return None
    ignore_overlong_trns(image)
    return None if "transparency" in image.info else key


def _array_like(image: Any, name: str) -> np.ndarray:
    """``image``, given to :func:`as_rgba` as no array, as ``np.asarray`` makes it when it
    exposes the array protocol (``__array__``, ``__array_interface__`` or
    ``__array_struct__``: an xarray DataArray, a CPU tensor), as scikit-image and
    :class:`~quantize.MiniBatchKMeans` take it; anything else refused, a nested list or
    tuple (whose ints NumPy makes int64, a dtype of no known range) with how to pass it.
    ``image`` itself is left as it was: what is read from it is copied."""
    protocol = ("__array__", "__array_interface__", "__array_struct__")
    if any(hasattr(image, attribute) for attribute in protocol):
        try:
            return np.asarray(image)
        except (TypeError, ValueError) as exc:  # a tensor on a GPU, say
            raise TypeError(f"{name}, a {type(image).__name__}, could not be made a numpy "
                            f"array: {exc}") from None
    hint = _nested_hint(image, name) if isinstance(image, list | tuple) else _file_hint(image)
    raise TypeError(f"{name} should be a numpy array or a PIL image, "
                    f"got {type(image).__name__}{hint}")


class PixelListWarning(CodeAdviceWarning):
    """A 2-D array of 3 or 4 columns and many more rows, as scikit-learn takes pixels
    (``image.reshape(-1, 3)``), is read as what it is, a grey image of 3 or 4 pixels a
    row (:func:`_warn_pixel_list`)."""


def _warn_pixel_list(shape: tuple[int, ...], name: str) -> None:
    """Warn that a 2-D array of ``shape``, ``(N, 3)`` or ``(N, 4)`` with more rows than
    columns, likely a list of RGB (RGBA) pixels, is read as a grey image of that shape, and
    how to pass pixels.

    Any N above the columns: a list of 4 pixels, ``(4, 3)``, was read as a grey image
    with no word when the warning asked for 64 times as many rows as columns (192 of 3),
    and a grey image 3 or 4 pixels wide and taller than that is rare. A square
    ``(4, 4)`` and a wide ``(1, 3)`` or ``(2, 4)`` array, as likely an image, are not
    warned of."""
    rows, columns = shape
    if columns not in (3, 4) or rows <= columns:
        return
    kind = "RGB" if columns == 3 else "RGBA"
    warn_caller(PixelListWarning(
        f"{name} of shape {shape} is read as a greyscale image of {columns}x{rows} pixels "
        "(width x height)",
        advice=f"for a list of {rows} {kind} pixels, pass {name}.reshape(-1, 1, {columns})"))


#: Nested lists of at most this many values are read to advise the dtype they fit
#: (:func:`_nested_hint`); a larger one is not read twice, by the advice and then its user.
NESTED_VALUES_READ = 1 << 20


#: The deepest nesting of lists walked for advice (:func:`_first_items`), NumPy's limit on
#: an array's dimensions: a list that holds itself is walked no further.
NESTED_LEVELS_WALKED = 64


def _nested_hint(image: list | tuple, name: str) -> str:
    """How to pass ``image``, a list or tuple given to :func:`as_rgba`: frames (PIL images,
    at any level of the walk down first items) one at a time, or as an animation's file;
    numbers as the array they fit, uint8 for integers 0..255, float32 for values 0..1
    (:func:`_nested_values`), or either when their values are not read or fit neither.

    >>> _nested_hint([[0.0, 0.5]], "image")
    '; for nested lists of values 0..1, pass np.asarray(image, dtype=np.float32)'
    >>> _nested_hint([[Image.new("RGB", (1, 1))]], "image")[:51]
    '; for frames, pass one image at a time (image[0][0]'
    """
    for depth, level in enumerate(_first_items(image)):
        if isinstance(level, list | tuple) and any(isinstance(item, Image.Image)
                                                   for item in level):
            return (f"; for frames, pass one image at a time ({name}{'[0]' * (depth + 1)}), "
                    "or save them as an animation and reduce it with "
                    "quantize.animation.reduce_animation_file")
    values = _nested_values(image)
    if values == "levels":
        return f"; for nested lists of levels 0..255, pass np.asarray({name}, dtype=np.uint8)"
    if values == "fractions":
        return (f"; for nested lists of values 0..1, pass np.asarray({name}, "
                "dtype=np.float32)")
    return (f"; for nested lists, pass np.asarray({name}, dtype=np.uint8) for levels "
            "0..255, or dtype=np.float32 for values 0..1")


def _first_items(image: list | tuple) -> Iterator[Any]:
    """``image``, its first item, that item's first item and so on while each is a
    non-empty list or tuple, at most :data:`NESTED_LEVELS_WALKED` of them (a list that
    holds itself ends there).

    >>> [len(level) for level in _first_items([[1, 2, 3], [4, 5, 6]])]
    [2, 3]
    """
    item = image
    for _ in range(NESTED_LEVELS_WALKED):
        if not isinstance(item, list | tuple) or not item:
            return
        yield item
        item = item[0]


def _nested_values(image: list | tuple) -> str | None:
    """"levels" when nested lists ``image`` hold integers 0..255, "fractions" when numbers
    0..1 of which some are floats; None for others, for more than
    :data:`NESTED_VALUES_READ` values (counted along the first item of each level), left
    unread, and for lists nested deeper than :data:`NESTED_LEVELS_WALKED`."""
    levels = list(_first_items(image))
    if len(levels) == NESTED_LEVELS_WALKED and isinstance(levels[-1][0], list | tuple):
        return None  # deeper than any array; a list that holds itself
    size = 1
    for level in levels:
        size *= len(level)
    if size > NESTED_VALUES_READ:
        return None
    try:
        values = np.asarray(image)
    except (TypeError, ValueError, OverflowError):  # ragged, or ints beyond int64
        return None
    if values.size == 0 or values.dtype.kind not in "iuf":
        return None
    low, high = values.min(), values.max()
    if values.dtype.kind in "iu":
        return "levels" if 0 <= low and high <= 255 else None
    return "fractions" if 0 <= low and high <= 1 else None  # False for NaN


def _file_hint(image: Any) -> str:
    """How to pass ``image``, given to :func:`as_rgba`, when it is a file: its path, its
    bytes or the open file (:func:`load_image` takes a path only)."""
    if isinstance(image, str | os.PathLike):
        return "; read a file with quantize.io.load_image"
    if isinstance(image, bytes | bytearray | memoryview):
        return "; for the bytes of an image file, pass PIL.Image.open(io.BytesIO(data))"
    if callable(getattr(image, "read", None)):
        return "; for an open image file, pass PIL.Image.open(file)"
    return ""


def _pil_image_rgba(image: Image.Image, name: str, every_frame: str | None,
                    wide: _Reading) -> tuple[np.ndarray, np.ndarray | None]:
    """:func:`as_rgba` of a PIL image of at least one pixel, its values of more than 8
    bits read as ``wide`` says."""
    _check_transparency(image, name)
    if _file_closed_before_decoding(image):
        raise ValueError(f"{name} is a PIL image whose file was closed before its pixels "
                         "were read (Image.open in a with block that has ended); call "
                         "image.load() while the file is open, or read the file with "
                         "quantize.io.load_image")
    if _closed_after_decoding(image):
        raise ValueError(f"{name} is a PIL image that was closed (image.close()), which "
                         "frees its pixels; pass it before closing it, or a copy "
                         "(image.copy())")
    undecoded = bool(getattr(image, "tile", None))  # a file's image: read here
    where = getattr(image, "filename", "") or name
    with contextlib.ExitStack() as reading_file:
        # a damaged file is named as load_image names it, wherever Pillow first reads it
        # (counting a GIF's frames, drawing an APNG's later frame again), also one whose
        # headers lead to no image data (no tile, its file still open: Pillow's "cannot
        # load this image")
        if undecoded or getattr(image, "fp", None) is not None:
            reading_file.enter_context(read_errors(Path(where)))
        _warn_one_frame(image, name, every_frame)
        decoded, unread = _decoded(image, name, undecoded, where, wide)
    orientation = exif_orientation(decoded)  # as load_image reads it, once decoded
    rgba = _pil_to_rgba(_upright_srgb(_high_byte_key(decoded, name, unread), orientation),
                        reading=wide)
    recorded = wide.stretched
    if (recorded is not None and recorded.values is not None and orientation != 1
            and decoded.mode not in (*_SIXTEEN_BIT_MODES, "F")):  # a 16-bit RGB's, as stored
        recorded.values = _oriented(recorded.values, orientation)
    return rgba


def _decoded(image: Image.Image, name: str, undecoded: bool, where: str | os.PathLike[str],
             wide: _Reading) -> tuple[Image.Image, str]:
    """The picture of :func:`_pil_image_rgba`'s ``image`` (``undecoded`` when its pixels are
    still in its file, named ``where``), and why a transparent colour is matched on its
    high bytes only (an empty string when it is not); Pillow's errors are the caller's."""
    reading = _frames_read(image) if undecoded else None
    if isinstance(reading, _GifFramesRead):
        return reading.draw(image), ""
    if _composited_by_pillow(image, undecoded, reading):
        return _frame_drawn_again(image, where, name, reading), ""
    if not undecoded and _wide_key(image):
        return _keyed_frame_again(image, where)
    if reading is not None:  # what whole_png_rows checks of a later frame, too
        reading.check(image.tell() + 1 if image.tell() else 0, where)
    elif undecoded:
        check_png_chunks(image, where)
    with contextlib.ExitStack() as decoding:
        if undecoded and not (reading is not None and image.tell()):
            decoding.enter_context(whole_png_rows(image, where))
        return _load_keyed(image, wide), ""


def _file_closed_before_decoding(image: Image.Image) -> bool:
    """Whether ``image`` still has pixels to decode (``tile``) but no open file to read them.

    Pillow opens a file lazily; used after its ``with`` block, the image fails
    with a bare ``AssertionError``.
    """
    fp = getattr(image, "fp", None)
    return bool(getattr(image, "tile", None)) and (fp is None or getattr(fp, "closed", False))


def _closed_after_decoding(image: Image.Image) -> bool:
    """Whether ``image``, its pixels decoded (or made in memory), was closed since: Pillow
    then fails on them with its bare "Operation on closed image"."""
    if getattr(image, "tile", None) or getattr(image, "fp", None) is not None:
        return False  # its pixels are still in its file, which is open (close() drops it)
    try:
        _ = image.im.mode  # raises once closed (on Pillow 10, on use of the core it hands out)
    except ValueError:
        return True
    return False


def _composited_by_pillow(image: Image.Image, undecoded: bool,
                          reading: _FramesRead | _GifFramesRead | None = None) -> bool:
    """Whether ``image``, a PIL image given to :func:`as_rgba`, is at a frame of an APNG
    that Pillow composites, where it may differ from what
    :func:`~quantize.animation.iter_frames` draws (:class:`KeyedCanvas`): a frame after the
    first one shown, or, once decoded, the first one shown after a default image that is
    not a frame (Pillow drew it over that image). Not so a frame not yet decoded of an
    APNG that Pillow composites alike (:func:`drawn_alike_by_pillow`) with no such
    default image, which Pillow left on screen: the frame it decodes is that one.
    ``reading``, when given, is what was read of the file (:func:`_frames_read`)."""
    if not keyed_canvas_frames(image):
        return False
    at, hidden = image.tell(), hidden_frames(image)
    if not (at > hidden or (at == hidden == 1 and not undecoded)):
        return False
    if not undecoded or hidden:
        return True
    if isinstance(reading, _FramesRead):
        return not reading.alike
    return not drawn_alike_by_pillow(image)


def _frame_drawn_again(image: Image.Image, where: str | os.PathLike[str], name: str,
                       reading: _FramesRead | _GifFramesRead | None = None) -> Image.Image:
    """The frame ``image`` is at (see :func:`_composited_by_pillow`), drawn as
    :func:`~quantize.animation.iter_frames` draws it: its file read again, its frames up to
    that one drawn on a :class:`KeyedCanvas`. ``image`` is left as it was.

    Not yet decoded, its open file is read from a :func:`second_reader`, kept in
    ``reading`` (:func:`_frames_read`) for its next frame; decoded, the file
    its name gives, when that still gives Pillow's picture of that frame
    (:func:`_file_of_frame`). When neither can be read, ``image`` itself, as Pillow
    composited it, with a :class:`CompositedFrameWarning` saying why.

    Raises
    ------
    ImageReadError
        Naming ``where``, when the file has a chunk with a bad CRC or image data (of a
        frame up to that one) that ends before its last row.
    """
    if image.tile and isinstance(reading, _FramesRead):
        return reading.draw(image, image.tell(), where)
    if image.tile:
        return _drawn_from(second_reader(image), image.tell(), where)
    drawn, why = _decoded_frames_read(image).draw(image, where)
    if drawn is None:
        _warn_composited(image, name, why)
        return image
    return drawn


def _keyed_frame_again(image: Image.Image, where: str | os.PathLike[str]
                       ) -> tuple[Image.Image, str]:
    """``image``, a 16-bit RGB PNG (or the first frame of such an APNG) already decoded,
    whose transparent colour is in 16 bits (:func:`_wide_key`), drawn again from the file
    its name gives, when that still gives Pillow's picture of it (:func:`_file_of_frame`),
    its colour matched on all 16 bits (:class:`KeyedCanvas`), and an empty string; or
    ``image`` itself and why its file cannot be read so."""
    reader, why = _file_of_frame(image)
    if reader is None:
        return image, why
    return _drawn_from(reader, image.tell(), where), ""


def _drawn_from(reader: BinaryIO, at: int, where: str | os.PathLike[str]) -> Image.Image:
    """Frame ``at`` of the PNG or APNG that ``reader`` holds (closed here), drawn as
    :func:`~quantize.animation.iter_frames` draws it; ``where`` names the file in errors."""
    def check(again: Image.Image) -> None:
        check_png_chunks(again, where)
        check_png_frames(again, where, at + 1)

    with _drawn_again(reader, check) as frames:
        return frames.frame(at)


@contextlib.contextmanager
def _drawn_again(reader: BinaryIO, check: Callable[[Image.Image], None] | None = None
                 ) -> Iterator[_FramesDrawn]:
    """The frames of the PNG or APNG that ``reader`` holds (closed on leaving), opened again
    to be drawn as :func:`~quantize.animation.iter_frames` draws them: its overlong tRNS
    dropped (the caller's image already warned of it), ``check`` called on it (raising for
    a damaged file) before its canvas is taken (:func:`frames_canvas`). Both files opened
    (the canvas of a 16-bit PNG opens its own) are opened past Pillow's
    decompression-bomb guard, which the caller's image passed or was opened without."""
    with reader, contextlib.ExitStack() as stack:
        with pillow_limit_lifted():
            again = stack.enter_context(Image.open(reader))
            _drop_overlong_trns(again)
            if check is not None:
                check(again)
            canvas = stack.enter_context(frames_canvas(again))
        yield _FramesDrawn(again, canvas)


class _FramesDrawn:
    """The frames of ``again``, a PNG or APNG opened again at its start (:func:`_drawn_again`),
    drawn on ``canvas``, or Pillow's pictures of them when it has none; a default image
    that is not a frame is forgotten (:func:`forget_default_image`). A frame after the
    last one drawn costs the frames between them; an earlier one is not drawn here."""

    def __init__(self, again: Image.Image, canvas: KeyedCanvas | None):
        self.again, self.canvas = again, canvas
        hidden = hidden_frames(again)
        if hidden:
            forget_default_image(again)
        self.drawn = hidden - 1  # the last frame drawn
        self._picture: Image.Image | None = None

    def frame(self, at: int) -> Image.Image:
        """Frame ``at``, not before the last one drawn, as a picture of the caller's own
        (drawn past Pillow's decompression-bomb guard, which checks the boxes it crops)."""
        with pillow_limit_lifted():
            if self.canvas is None:  # Pillow draws its frames alike (drawn_alike_by_pillow)
                self.again.seek(at)
                self.again.load()
                self.drawn = at
                return self.again.copy()
            for i in range(self.drawn + 1, at + 1):
                self.again.seek(i)
                self._picture = self.canvas.draw(self.again)
            self.drawn = at
            return self._picture.copy()  # type: ignore[union-attr]  # at >= the first frame


class _ImageDataChecked:
    """Which images of a PNG or APNG read one frame at a time are known to hold their data
    whole: those not checked yet are checked twice as many as before, or more (the file
    is read from its start each time), so that the frames of an animation given in turn
    cost a few reads of it in all, not one each."""

    def __init__(self) -> None:
        self.whole = 0  # images whose data is known whole
        self.short: tuple[int, str] | None = None  # the first that is not, and why

    def check(self, fp: BinaryIO | None, images: int, where: str | os.PathLike[str]) -> None:
        """Raise as :func:`check_png_frames` of the first ``images`` images raises, for the
        file ``fp`` (seekable, left where it was; None: no longer open, taken as whole)."""
        if self.short is None and images > self.whole:
            asked = max(images, 2 * self.whole)
            self.short = None if fp is None else first_short_png_image(fp, asked)
            self.whole = asked if self.short is None else self.short[0] - 1
        if self.short is not None and self.short[0] <= images:
            raise ImageReadError(f"damaged PNG ({self.short[1]})", path=where)


class _FramesRead:
    """What :func:`as_rgba` has read of the file that ``image``, a frame of an APNG not yet
    decoded, has open, kept while the image lives (:func:`_frames_read`), so that each
    frame given in turn costs its own decoding: the checks of the file (every chunk's CRC,
    and image data ending before its last row, in the images checked so far), and a
    second reader of it whose frames are drawn on a :class:`KeyedCanvas` up to the last
    one asked for (or, for an APNG Pillow composites alike, Pillow's picture of it). The
    reader reads through the image's own file (:func:`second_reader`, ``shared``): none is
    held open once the image is closed, and it is read only while the image is open.

    Read afresh for each frame, a frame cost the frames before it: every frame of an
    animation in turn took time growing with the square of their number.
    """

    def __init__(self, image: Image.Image, state: tuple[Any, ...]):
        self.state = state
        self.image = weakref.ref(image)
        self.alike = drawn_alike_by_pillow(image)
        self._damage = damaged_png_chunk(image)
        self._data = _ImageDataChecked()
        self._stack: contextlib.ExitStack | None = None
        self._frames: _FramesDrawn | None = None

    def check(self, images: int, where: str | os.PathLike[str]) -> None:
        """Raise as :func:`check_png_chunks` and :func:`check_png_frames` (of the first
        ``images`` images; 0: none) raise for the file. Images not checked yet are checked
        twice as many as before, or more: the file is read from its start each time."""
        if self._damage is not None:
            raise ImageReadError(self._damage, path=where)
        image = self.image()
        self._data.check(None if image is None else image.fp, images, where)

    def draw(self, image: Image.Image, at: int, where: str | os.PathLike[str]) -> Image.Image:
        """Frame ``at`` of the file of ``image``, as :func:`_drawn_from` draws it; the frames
        after the last one drawn only are drawn (all of them, for an earlier frame)."""
        self.check(at + 1, where)
        try:
            if self._frames is None or at < self._frames.drawn:
                self.close()  # drawn again from the start
                with contextlib.ExitStack() as stack:
                    reader = second_reader(image, shared=True)
                    self._frames = stack.enter_context(_drawn_again(reader))
                    self._stack = stack.pop_all()
            return self._frames.frame(at)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Close the second reader (drawn again from the start when asked for a frame)."""
        stack, self._stack, self._frames = self._stack, None, None
        if stack is not None:
            stack.close()


class _GifFramesRead:
    """What :func:`as_rgba` has read of the GIF file that ``image``, at a frame after the
    first and not yet decoded, has open, kept while the image lives (:func:`_frames_read`):
    its frames drawn as :func:`~quantize.animation.iter_frames` draws them
    (:class:`~quantize.gif_canvas.GifFrames`), through the image's own file
    (:func:`second_reader`, ``shared``). Pillow's picture showed opaque what a frame's
    disposal cleared (see :mod:`quantize.gif_canvas`). A GIF whose blocks are not read
    as Pillow reads them (:func:`~quantize.gif_canvas.pillow_gif_images`) is Pillow's
    picture.
    """

    def __init__(self, image: Image.Image, state: tuple[Any, ...]):
        self.state = state
        self.image = weakref.ref(image)
        from ..gif_canvas import GifFrames, pillow_gif_images

        self._reader = second_reader(image, shared=True)
        images = pillow_gif_images(image, self._reader, getattr(image, "n_frames", 1))
        self._frames = None if images is None else GifFrames(self._reader, images)

    def draw(self, image: Image.Image) -> Image.Image:
        """The frame ``image`` is at, drawn; ``image`` itself when its file is not read."""
        if self._frames is None:
            image.load()
            return image
        return Image.fromarray(self._frames.frame(image.tell()), "RGBA")

    def close(self) -> None:
        self._reader.close()


#: What as_rgba read of the file of each APNG or GIF image given not yet decoded, by the id
#: of the image, while it lives (:func:`_frames_read`).
_reads: dict[int, _FramesRead | _GifFramesRead] = {}
#: Re-entrant: a garbage collection may start at any allocation made while a thread holds
#: it (a ``weakref.finalize``, a new read), and run :func:`_forget_read` of another image in
#: that thread, which takes it again (with a plain lock, the thread waited for itself).
_reads_lock = threading.RLock()


def _frames_read(image: Image.Image) -> _FramesRead | _GifFramesRead | None:
    """The :class:`_FramesRead` of ``image``, a PIL image not yet decoded, when it is a
    frame of an APNG, or the :class:`_GifFramesRead` of a GIF at a frame after its first
    (of its file as it is now: read again when its size or time changed); None for any
    other image."""
    fp = getattr(image, "fp", None)
    gif = image.format == "GIF" and image.tell() > 0
    if (image.format != "PNG" and not gif) or fp is None or getattr(image, "n_frames", 1) < 2:
        return None
    try:
        now = os.fstat(fp.fileno())
        state: tuple[Any, ...] = (id(fp), now.st_ino, now.st_size, now.st_mtime_ns)
    except (AttributeError, OSError, ValueError):  # BytesIO: UnsupportedOperation
        state = (id(fp),)
    key = id(image)
    with _reads_lock:
        known = _reads.get(key)
    if known is not None and known.image() is image and known.state == state:
        return known
    read = _GifFramesRead(image, state) if gif else _FramesRead(image, state)
    with _reads_lock:
        _reads[key] = read
    if known is not None:
        known.close()
    weakref.finalize(image, _forget_read, _reads, key, read)
    return read


def _forget_read(reads: dict[int, Any], key: int,
                 read: _FramesRead | _GifFramesRead | _DecodedFramesRead) -> None:
    """Drop ``read``, kept in ``reads`` for the image of id ``key``, which is gone."""
    with _reads_lock:
        if reads.get(key) is read:
            del reads[key]
    read.close()


def _file_of_frame(image: Image.Image) -> tuple[BinaryIO | None, str]:
    """The file ``image``, a decoded PNG or frame of an APNG, was opened from, opened again by its
    name, and an empty string; or None and why it cannot be read again: opened from no
    name, no longer a regular file, or no longer giving, at that frame, the picture that
    ``image`` holds (the file replaced since, or the pixels changed since they were
    decoded: they are not the file's frame then, and are read as they are)."""
    filename = getattr(image, "filename", "")
    if not filename:
        return None, "it was opened from a file object, not by its name"
    if not os.path.isfile(filename):  # a pipe, read once; gone, or a folder now
        return None, f"{quoted(filename)} is no longer a regular file"
    same = False
    try:
        fp = open(filename, "rb")  # returned open: the caller closes it
    except OSError as exc:
        return None, f"{quoted(filename)} cannot be read ({exc.strerror})"
    try:
        with pillow_limit_lifted(), Image.open(fp) as pillow:
            same = _same_frame(pillow, image)
    except (OSError, ValueError, EOFError, SyntaxError):
        pass  # no longer the image it was
    if not same:
        fp.close()
        return None, (f"its pixels are not Pillow's picture of that frame of "
                      f"{quoted(filename)} as it reads now")
    fp.seek(0)
    return fp, ""


def _same_frame(pillow: Image.Image, image: Image.Image) -> bool:
    """Whether ``pillow``, a file opened, has the frames of ``image`` and gives its picture
    (mode, size, palette, pixels) at the frame ``image`` is at."""
    if pillow.format != "PNG" or getattr(pillow, "n_frames", 1) != image.n_frames:
        return False
    with pillow_limit_lifted():  # seeking crops boxes, which Pillow's guard checks
        pillow.seek(image.tell())
        pillow.load()
    return ((pillow.mode, pillow.size) == (image.mode, image.size)
            and pillow.getpalette() == image.getpalette() and pillow.tobytes() == image.tobytes())


class _DecodedFramesRead:
    """What :func:`as_rgba` has read of the file that ``image``, a decoded frame of an APNG,
    was opened from by its name, kept while the image lives (:func:`_decoded_frames_read`),
    so that the frames of an animation given in turn, each decoded first, cost their own
    decoding: the file opened by its name twice, once for Pillow's picture of each frame
    (which ``image`` should still hold, :func:`_same_frame`) and once for the frames drawn
    on a :class:`KeyedCanvas` up to the last one asked for (as :func:`_drawn_from` draws
    them), and what the checks of the file found. Read again from its start for an earlier
    frame, or when the file changed (its size, time or inode).

    Read afresh for each frame, a frame cost the frames before it, twice: every frame of an
    animation in turn took time growing with the square of their number.
    """

    def __init__(self, image: Image.Image) -> None:
        self.image = weakref.ref(image)
        self._stack: contextlib.ExitStack | None = None
        self._state: tuple[Any, ...] = ()
        self._pillow: Image.Image | None = None  # Pillow's pictures of the frames
        self._frames: _FramesDrawn | None = None  # the frames drawn again
        self._fp: BinaryIO | None = None  # self._pillow's file, for the checks
        self._data = _ImageDataChecked()

    def draw(self, image: Image.Image, where: str | os.PathLike[str]
             ) -> tuple[Image.Image | None, str]:
        """The frame ``image`` is at, as :func:`_drawn_from` draws it from the file
        :func:`_file_of_frame` opens, and an empty string; or None and why it is not read
        so. The frames after the last one drawn only are drawn (all, for an earlier one)."""
        at = image.tell()
        try:
            if not self._still_open(image, at):
                why = self._open(image, where)  # which found the file gives image's picture
                if why:
                    return None, why
            elif not self._same_frame(image):
                self.close()
                return None, (f"its pixels are not Pillow's picture of that frame of "
                              f"{quoted(image.filename)} as it reads now")
            self._data.check(self._fp, at + 1, where)
            return self._frames.frame(at), ""  # type: ignore[union-attr]  # opened
        except BaseException:
            self.close()
            raise

    def _still_open(self, image: Image.Image, at: int) -> bool:
        """Whether the file read is that of ``image`` as it is now, not read past ``at``."""
        if self._frames is None or at < self._frames.drawn:
            return False
        try:
            return self._state == _file_state(image.filename)
        except OSError:
            return False

    def _open(self, image: Image.Image, where: str | os.PathLike[str]) -> str:
        """Open the file of ``image`` by its name, twice; why it cannot be read, or ""."""
        self.close()
        fp, why = _file_of_frame(image)
        if fp is None:
            return why
        with contextlib.ExitStack() as stack:
            stack.enter_context(fp)
            self._state = _file_state(image.filename)
            with pillow_limit_lifted():
                self._pillow = stack.enter_context(Image.open(fp))
            self._frames = stack.enter_context(_drawn_again(
                open(image.filename, "rb"), lambda again: check_png_chunks(again, where)))
            self._fp, self._data = fp, _ImageDataChecked()
            self._stack = stack.pop_all()
        return ""

    def _same_frame(self, image: Image.Image) -> bool:
        """:func:`_same_frame` of the file read, moved on to the frame of ``image``."""
        try:
            return _same_frame(self._pillow, image)  # type: ignore[arg-type]  # open
        except (OSError, ValueError, EOFError, SyntaxError):
            return False  # no longer the image it was

    def close(self) -> None:
        """Close the files read (opened again when asked for a frame)."""
        stack, self._stack = self._stack, None
        self._pillow = self._frames = self._fp = None
        if stack is not None:
            stack.close()


def _file_state(filename: str) -> tuple[Any, ...]:
    """What tells a file named ``filename`` changed: its device, inode, size and time."""
    now = os.stat(filename)
    return now.st_dev, now.st_ino, now.st_size, now.st_mtime_ns


#: What as_rgba read of the file of each decoded APNG frame given, by the id of the image,
#: while it lives (:func:`_decoded_frames_read`).
_decoded_reads: dict[int, _DecodedFramesRead] = {}


def _decoded_frames_read(image: Image.Image) -> _DecodedFramesRead:
    """The :class:`_DecodedFramesRead` of ``image``, a decoded frame of an APNG."""
    key = id(image)
    with _reads_lock:
        known = _decoded_reads.get(key)
        if known is not None and known.image() is image:
            return known
        read = _DecodedFramesRead(image)
        _decoded_reads[key] = read
    weakref.finalize(image, _forget_read, _decoded_reads, key, read)
    return read


class CompositedFrameWarning(CodeAdviceWarning):
    """A later frame of an APNG, given as a PIL image already decoded, could not be drawn
    again from its file: it is read as Pillow composited it, which may differ from what
    players show (see :func:`as_rgba`).

    The advice, how to pass the frame for it to be drawn as players draw it, is apart from
    the facts (:class:`~quantize.errors.CodeAdviceWarning`).
    """


def _warn_composited(image: Image.Image, name: str, why: str) -> None:
    warn_caller(CompositedFrameWarning(
        f"{name} is frame {image.tell() - hidden_frames(image) + 1} of an APNG, already "
        f"decoded, that cannot be drawn again from its file ({why}): it is read as Pillow "
        "composited it, which differs from what players show where a frame's disposal "
        "cleared the canvas (opaque black, or palette entry 0, in an APNG without alpha), "
        "where a translucent pixel was drawn over it, and where a default image that is not "
        "a frame shows through",
        advice="pass the frame before it is decoded, its file open (Image.open, then seek), "
        "or read every frame with quantize.animation.iter_frames"))


def _warn_one_frame(image: Image.Image, name: str, every_frame: str | None) -> None:
    """Say that a PIL image of an animation (or of a multi-page file) gives one frame only."""
    try:
        n, count = shown_frames(image), "the"
    except ValueError:  # Pillow counts a GIF's frames by reading its file, closed since
        if getattr(image, "fp", None) is not None:  # (the image decoded in a with block)
            raise
        n, count = image.tell() + 1, "at least"  # the frames up to the one it holds
    if n > 1:
        what = (f"the default image of an APNG of {n} frames, which viewers with APNG "
                "support do not show" if image.tell() < hidden_frames(image)
                else f"one of {count} {n} frames (or pages) of its file")
        warn_caller(f"{name} is {what}, and a PIL image holds one at a time: only that one "
                    "is used" + ("" if every_frame is None else f"; {every_frame}"),
                    FirstFrameWarning)


def _warn_first_frame_read(n: int, name: str, every_frame: str | None) -> None:
    """Say that a :class:`LoadedImage` of an animation holds its first frame only."""
    warn_caller(f"{name} holds the first of the {n} frames (or pages) of its file, as "
                "load_image reads them: only that one is used"
                + ("" if every_frame is None else f"; {every_frame}"), FirstFrameWarning)


def _to_uint8(arr: np.ndarray, name: str, reading: _Reading = _AS_COUNTS) -> np.ndarray:
    if arr.dtype == np.uint8:
        return arr.copy()
    if arr.dtype == bool:
        return arr.astype(np.uint8) * 255
    if arr.dtype == np.uint16:
        return _counts_to_uint8(arr, name, reading)
    if arr.dtype.kind == "f":
        return _floats_to_uint8(arr, name, reading)
    if arr.dtype.kind in "iu" and reading.stretch:
        return _integers_stretched(arr, name, reading)
    raise TypeError(f"{name} should have dtype uint8, uint16, bool or float, got "
                    f"{arr.dtype}{_integers_hint(arr, name, reading)}")


def _floats_to_uint8(arr: np.ndarray, name: str, reading: _Reading) -> np.ndarray:
    """``arr``, an ``(H, W, C)`` float image, as uint8: its values in [0, 1] times 255, or
    with ``reading.stretch`` its colour channels' own range, whatever it is, onto 0..255
    (:func:`_own_range_to_uint8`; its alpha, if any, still in [0, 1]). NaN or infinite
    values are refused (:func:`_not_finite_message`)."""
    if not all(np.isfinite(arr[rows]).all() for rows in _array_bands(arr)):
        raise ValueError(_not_finite_message(arr, name, reading))
    if reading.stretch and arr.shape[2] in (2, 4):
        arr = arr.copy()  # its alpha clipped as unit_floats clips it; the caller's kept
        arr[:, :, -1] = unit_floats(arr[:, :, -1], f"{name}'s alpha channel (float) should "
                                    "hold values in [0, 1], got [{low}, {high}]")
    if reading.stretch:
        stretched = _own_range_to_uint8(arr, 1.0, reading)
        if stretched is not None:
            return stretched
    try:
        arr = unit_floats(arr, f"{name} of float dtype should hold values in [0, 1], "
                               "got [{low}, {high}]")
    except ValueError as exc:
        raise ValueError(f"{exc}{_levels_hint(arr)}{_slip_hint(arr, reading)}"
                         f"{_stretch_hint(arr, reading)}") from None
    # In float64: float32 or float16 products round to the .5 between two levels (a
    # float32 just above 0.5/255 read as 0, as a PIL "F" image of it read as 1).
    return _rounded_by_bands(arr, lambda band: np.multiply(band, 255.0, dtype=np.float64))


def _not_finite_message(arr: np.ndarray, name: str, reading: _Reading) -> str:
    """Why ``arr``, a float ``(H, W, C)`` image holding NaN or infinite values, is refused:
    the values expected (of any range with ``reading.stretch``, else in [0, 1]), and, of
    one of a grey or colour channels alone, how to mark its missing pixels instead, as
    alpha 0 (an array holds no no-data value; a masked array is refused alike): of colour
    channels, a fourth channel named alpha (:func:`_fourth_is_alpha`).

    >>> _not_finite_message(np.zeros((1, 1, 1)), "image", _Reading(stretch=True))
    'image contains NaN or infinite values; expected finite numbers (of any range, with \
stretch=True); to leave missing pixels out, pass them as alpha 0: \
np.dstack([np.nan_to_num(image), np.isfinite(image)]) of an (H, W) array'
    """
    expected = "(of any range, with stretch=True)" if reading.stretch else "in [0, 1]"
    message = f"{name} contains NaN or infinite values; expected finite numbers {expected}"
    if arr.shape[2] not in (1, 3):  # alpha of its own: the values are to be made finite
        return message
    if arr.shape[2] == 3:  # a fourth channel of floats is a band unless said to be alpha
        return (f"{message}; to leave missing pixels out, pass them as alpha 0: "
                f"np.dstack([np.nan_to_num({name}), np.isfinite({name}).all(axis=2)]) with "
                "fourth_channel='alpha'")
    return (f"{message}; to leave missing pixels out, pass them as alpha 0: "
            f"np.dstack([np.nan_to_num({name}), np.isfinite({name})]) of an (H, W) array")


def _integers_stretched(arr: np.ndarray, name: str, reading: _Reading = _AS_COUNTS
                        ) -> np.ndarray:
    """``arr``, an ``(H, W, C)`` image of an integer dtype other than uint8 and uint16
    (counts of any scale), as uint8 with its own range mapped onto 0..255
    (:func:`_own_range_to_uint8`). Refused with an alpha channel, whose scale is
    unknown, or of one value, which no stretch spreads and which has no scale either."""
    if arr.shape[2] in (2, 4):
        raise ValueError(f"{name} of dtype {arr.dtype} with {arr.shape[2]} channels has an "
                         "alpha channel of unknown scale; expected 1 or 3 channels to "
                         f"stretch (pass {name}[..., :{arr.shape[2] - 1}]), or the image as "
                         "uint16 with alpha 0..65535")
    stretched = _own_range_to_uint8(arr, 1.0, reading)
    if stretched is None:
        raise ValueError(f"{name} of dtype {arr.dtype} holds one value, "
                         f"{arr.flat[0]}, which no stretch spreads; expected values "
                         "of at least two levels, or the image as uint8 or uint16")
    return stretched


def _offers_stretch(reading: _Reading) -> bool:
    """Whether the caller that reads as ``reading`` takes ``stretch=True``: its
    ``dark_advice`` is a :class:`StretchAdvice`, or none (:func:`as_rgba`'s own)."""
    return reading.dark_advice is None or isinstance(reading.dark_advice, StretchAdvice)


def _stretch_hint(arr: np.ndarray, reading: _Reading) -> str:
    """What to do with an image of values beyond 255 or below -1 (counts, or floats that
    are no levels and no slip just outside [0, 1]), to a caller that takes
    ``stretch=True``; else nothing; and, read with ``stretch`` already (one value, which
    is left as it is), that it cannot be stretched.

    >>> _stretch_hint(np.array([227.0, 1968.0]), _Reading())
    '; pass stretch=True to map its own range onto 0..255'
    >>> _stretch_hint(np.array([0.0, 254.6]), _Reading()), _stretch_hint(
    ...     np.array([227.0, 1968.0]), _Reading(dark_advice="the output is as dark"))
    ('', '')
    """
    if reading.stretch:  # and yet not stretched: one value (or none shows)
        return "; an image of one value cannot be stretched"
    if not _offers_stretch(reading) or (arr.min() >= -1 and arr.max() <= 255):
        return ""  # levels (:func:`_levels_hint`), or a slip just past [0, 1]
    return "; pass stretch=True to map its own range onto 0..255"


def _slip_hint(arr: np.ndarray, reading: _Reading) -> str:
    """What to do with a float image refused for values a little outside [0, 1] (all within
    -1..2: a 0..1 image that interpolation, a gain or an offset took past its ends, as
    ``skimage.transform.resize(..., clip=False)`` does): clip them, or, to a caller that
    takes ``stretch=True``, stretch its own range. Nothing for levels or counts
    (:func:`_levels_hint`, :func:`_stretch_hint`), nor read with ``stretch`` already.

    >>> print(_slip_hint(np.array([-0.0022, 0.835]), _Reading())[48:])
    clip them first (np.clip(image, 0, 1)), or pass stretch=True to map their own range onto 0..255
    >>> print(_slip_hint(np.array([0.0, 1.1]), _Reading(dark_advice="the output is dark")))
    ; if they are 0..1 gone a little past its ends, clip them first (np.clip(image, 0, 1))
    >>> _slip_hint(np.array([0.0, 254.6]), _Reading()), _slip_hint(np.array([-5.0, 1]), _Reading())
    ('', '')
    """
    if reading.stretch or not (arr.min() >= -1 and arr.max() < 2):
        return ""
    hint = "; if they are 0..1 gone a little past its ends, clip them first (np.clip(image, 0, 1))"
    if _offers_stretch(reading):
        hint += ", or pass stretch=True to map their own range onto 0..255"
    return hint


def _integers_hint(arr: np.ndarray, name: str, reading: _Reading) -> str:
    """How to pass an image of an integer dtype quantize does not read (int32, say):
    as uint8 when its values are 0..255; beyond, stretched (:func:`_stretch_hint`) or
    as uint16 when they are 0..65535 (16-bit counts). Nothing for other dtypes.

    >>> _integers_hint(np.array([0, 200]), "image", _Reading())
    '; for values 0..255, pass it as .astype(np.uint8)'
    >>> print(_integers_hint(np.array([227, 1968]), "image", _Reading()))
    ; its values 227..1968 are no 8-bit levels: pass stretch=True to map its own range \
onto 0..255, or pass image.astype(np.uint16) to read them as 16-bit counts of 65535
    """
    if arr.dtype.kind not in "iu":
        return ""
    low, high = arr.min().item(), arr.max().item()
    if low >= 0 and high <= 255:
        return "; for values 0..255, pass it as .astype(np.uint8)"
    ways = ["pass stretch=True to map its own range onto 0..255"] if _offers_stretch(
        reading) else []
    if low >= 0 and high <= 65535:
        ways.append(f"pass {name}.astype(np.uint16) to read them as 16-bit counts of 65535")
    if not ways:
        ways.append("scale them to 0..255 (uint8) or 0..65535 (uint16) first")
    return f"; its values {low}..{high} are no 8-bit levels: {', or '.join(ways)}"


def _levels_hint(arr: np.ndarray) -> str:
    """What to do with a float image refused for values outside [0, 1], when they all lie in
    0..255 and reach 2 at least (8-bit levels as floats, as ``image.astype(float)`` of a
    uint8 image gives): divide by 255, or pass them as uint8. Else nothing: values just
    over 1 are a slip in a 0..1 image, not levels.

    >>> print(_levels_hint(np.array([0.0, 254.6])))
    ; for levels 0..255, divide by 255 (image / 255) or pass np.rint(image).astype(np.uint8)
    >>> _levels_hint(np.array([0.0, 300.0]))
    ''
    >>> _levels_hint(np.array([0.0, 1.0019607]))
    ''
    """
    if arr.min() >= 0 and 2 <= arr.max() <= 255:
        return ("; for levels 0..255, divide by 255 (image / 255) or pass "
                "np.rint(image).astype(np.uint8)")
    return ""


def _counts_to_uint8(arr: np.ndarray, name: str, reading: _Reading) -> np.ndarray:
    """``arr``, an ``(H, W, C)`` uint16 image, as uint8: ``round(v / 257)``, or with
    ``reading.stretch`` its colour channels' own range (all together, over the pixels
    that show) onto 0..255 (:func:`_own_range_to_uint8`), its alpha still by 1/257. Without a
    stretch, warns of colour that comes out dark (:func:`_warn_dark_values`), of the pixels
    that show as well, and of alpha that looks 8-bit (:func:`_warn_eight_bit_alpha`).
    """
    if reading.stretch:
        stretched = _own_range_to_uint8(arr, 65535.0, reading)
        if stretched is not None:
            return stretched
    n = 3 if arr.shape[2] >= 3 else 1  # (0, 0) when stretch is given and none shows
    alpha = arr[:, :, -1] if arr.shape[2] in (2, 4) else None
    low, bright = _shown_extent(arr[:, :, :n], alpha) or (0, 0)
    top = int(arr.max())
    if 0 < bright and round(bright / 257.0) < DARK_TOP:
        eight_bit = "if they are 0..255, pass it as .astype(np.uint8)" if top <= 255 else None
        _warn_dark_values(f"{name}: uint16", (low, bright), 65535.0, reading, eight_bit)
    if top > 255 and arr.shape[2] in (2, 4):
        _warn_eight_bit_alpha(arr, top, name)
    return _rounded_by_bands(arr, lambda band: np.divide(band, 257.0))


def _own_range_to_uint8(arr: np.ndarray, full: float, reading: _Reading = _AS_COUNTS
                        ) -> np.ndarray | None:
    """``arr``, an ``(H, W, C)`` image of values with ``full`` as white (uint16 counts of
    65535, floats of 1), as uint8 with its colour channels' own range (all together, over
    the pixels that show: :func:`_shown_extent`) mapped onto 0..255 from these values,
    before they are made 8-bit; its alpha scaled as it is, ``round(v * 255 / full)``.
    None when that range is of one value, or no pixel shows. The range is recorded in
    ``reading`` (:func:`_record_stretch`).

    >>> _own_range_to_uint8(np.array([[[0.001, 1.0], [0.002, 1.0], [1.0, 0.0]]]), 1.0)[..., 0]
    array([[  0, 255, 255]], dtype=uint8)
    """
    n = 3 if arr.shape[2] >= 3 else 1
    alpha = arr[:, :, -1] if arr.shape[2] in (2, 4) else None
    extent = (reading.fixed if reading.fixed is not None
              else _shown_extent(arr[:, :, :n], alpha, full, reading.clip))
    if extent is None or extent[1] <= extent[0]:
        return None
    low, top = extent
    _record_stretch(reading, low, top)
    _record_values(reading, arr[:, :, 0].copy() if n == 1 else arr[:, :, :n].copy())

    def scaled(band: np.ndarray) -> np.ndarray:
        levels = np.multiply(band, 255.0 / full, dtype=np.float64)
        colours = np.subtract(band[:, :, :n], low, dtype=np.float64) * (255.0 / (top - low))
        levels[:, :, :n] = np.clip(colours, 0.0, 255.0)  # hidden pixels may lie beyond
        if reading.curve != "linear":
            levels[:, :, :n] = _curved(levels[:, :, :n] / 255.0, reading)
        return levels

    return _rounded_by_bands(arr, scaled)


def _shown_extent(colours: np.ndarray, alpha: np.ndarray | None,
                  full: float = 65535.0, clip: float = 0.0) -> tuple[Any, Any] | None:
    """The darkest and brightest of ``colours``, ``(H, W, C)``, over the pixels that show
    (:func:`_shown_values`); None when none does. With ``clip``, their percentiles instead
    (:func:`_extent_of`).

    >>> _shown_extent(np.array([[[10], [20], [65535]]], np.uint16),
    ...               np.array([[65535, 129, 128]], np.uint16))
    (10, 20)
    """
    return _extent_of(_shown_values(colours, alpha, full), clip)


def _shown_values(colours: np.ndarray, alpha: np.ndarray | None,
                  full: float = 65535.0) -> np.ndarray:
    """The values of ``colours``, ``(H, W, C)``, of the pixels that show: all when
    ``alpha`` is None, else those whose alpha, ``(H, W)`` with ``full`` as opaque, reads
    above 0 of 255 (``round(v * 255 / full)``)."""
    if alpha is None:
        return colours
    shows = np.empty(alpha.shape, bool)
    for rows in _array_bands(alpha[:, :, None]):  # no float64 copy of the whole alpha
        shows[rows] = np.rint(np.multiply(alpha[rows], 255.0 / full,
                                          dtype=np.float64)) > 0
    return colours[shows]


def _warn_eight_bit_alpha(arr: np.ndarray, top: int, name: str) -> None:
    """Warn of a uint16 ``(H, W, 2)`` or ``(H, W, 4)`` array, whose largest value is ``top``
    (above 255), whose alpha channel is all at most 255 but not all 0: alpha put in 8-bit
    (255 for opaque) beside 16-bit colour, read as 16-bit counts, comes out nearly
    transparent (255 is alpha 1 of 255). The values are read as they are."""
    alpha_top = int(arr[:, :, -1].max())
    if 0 < alpha_top <= 255:
        warn_caller(PixelRangeWarning(
            f"{name} is uint16 with colour values up to {top} but alpha values of at most "
            f"{alpha_top}: its alpha looks 8-bit, and read as 16-bit counts (65535 is "
            f"opaque) it comes out nearly transparent (alpha {round(alpha_top / 257)} of 255)",
            advice="if alpha is 0..255, scale that channel by 257 first "
            "(image[..., -1] * 257)"))


def _array_bands(arr: np.ndarray) -> list[slice]:
    """Bands of rows of ``arr``, an ``(H, W, C)`` image, of about ``_BAND_PIXELS`` pixels
    each (:func:`~quantize._kernels.row_bands`)."""
    return row_bands(arr.shape[0], arr.shape[1], _BAND_PIXELS)


def _rounded_by_bands(arr: np.ndarray,
                      scaled: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """``rint(scaled(arr))``, levels 0..255, as uint8, made a band of rows at a time
    (:func:`_array_bands`): the whole image's float64 products and their rounding took
    16 bytes a sample, 2 GB more than the pixels for an 8000x8000 RGB float32 array."""
    out = np.empty(arr.shape, np.uint8)
    for rows in _array_bands(arr):
        levels = scaled(arr[rows])
        out[rows] = np.rint(levels, out=levels)
    return out


