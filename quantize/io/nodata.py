"""No-data values: the pixels a georeferenced tile marks as missing by a value, not by alpha.

A land-cover or elevation tile marks the pixels it has no data for with one value in
every band (0 or 65535 of a 16-bit band, (0, 0, 0) of an RGB tile, -9999 of a float
one), which a GeoTIFF names in its GDAL_NODATA tag (:data:`GDAL_NODATA`, ASCII text
such as ``"0"``). :func:`~quantize.io.load_image` reads the pixels of that value as
fully transparent, as it reads alpha 0, when given ``nodata`` (:func:`check_nodata`):
a value, one a band, or ``"tag"``, the tag's when the file has one
(:func:`nodata_key`). The value is matched in the input's own units, before any
scaling to 8 bits or stretch, which the pixels so hidden take no part in. Of an 8-bit
image with alpha, or of a palette, it is matched in the colours decoded
(:func:`set_apart`): a pixel that is no data or transparent is left out. NaN (``"nan"``)
names the NaN pixels of a float image, which are no data whenever ``nodata`` is not None
(astropy's convention, :func:`no_data_mask`): with ``"tag"`` and no tag, the key of a
float image is NaN (:func:`nodata_key`).
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Literal

import numpy as np
from PIL import Image

from .._validation import as_typed, check_float, shown_number
from ..errors import InputParameterError, QuantizeWarning, warn_caller

__all__ = ["GDAL_NODATA", "NoData", "NoDataWarning", "ZERO_BORDER_SHARE", "check_nodata",
           "edge_reached", "keyed_when_decoded", "no_data_mask", "nodata_key", "nodata_record",
           "nodata_setting", "set_apart"]

#: The TIFF tag in which GDAL writes a raster's no-data value, as ASCII text.
GDAL_NODATA = 42113

#: What ``nodata`` takes: one value for every band, one a band, ``"tag"`` (the file's
#: GDAL_NODATA tag, when it has one), or None (no pixel is no data). NaN, or ``"nan"``,
#: names a float image's NaN pixels.
NoData = float | tuple[float, ...] | Literal["tag", "nan"] | None

#: The share of an image's pixels above which its pixels of 0 in every band that reach its
#: edge look like a no-data border (a rotated scene's corners) that no value names
#: (:func:`edge_reached`).
ZERO_BORDER_SHARE = 0.01

# The bits a sample of a TIFF's BitsPerSample tag, and SampleFormat (2: signed integers).
_BITS_PER_SAMPLE, _SAMPLE_FORMAT = 258, 339
# The modes whose pixels are values: one band (grey) or three (RGB), and their range.
_GREY_RANGES = {"L": (0, 255), "I;16": (0, 65535), "I;16B": (0, 65535), "I;16L": (0, 65535),
                "I;16N": (0, 65535)}
# The 8-bit modes whose no-data pixels are matched once decoded (:func:`set_apart`), not as
# a transparent colour: those with alpha, or of a palette; and their bands of values.
_DECODED_BANDS = {"RGBA": 3, "LA": 1, "P": 3, "PA": 3}


class NoDataWarning(QuantizeWarning):
    """A TIFF's GDAL_NODATA tag names the value of its missing pixels, which are read as
    fully transparent (``nodata=None``, ``--nodata none``, reads them as any other); or
    it names a value no pixel of the image can hold, or that is not a number, and is left
    out; or a float image has NaN pixels, read as no data (fully transparent) unless
    ``nodata`` is None or NaN itself."""


def check_nodata(value: Any, name: str = "nodata") -> tuple[float, ...] | Literal["tag"] | None:
    """``value`` as :func:`~quantize.io.load_image` takes ``nodata``: None, ``"tag"``, or a
    tuple of one number (for every band; finite, or NaN, also written ``"nan"``: a float
    image's NaN pixels) or three finite ones (red, green, blue).

    Whether a pixel can hold the value is checked once the image is opened
    (:func:`nodata_key`): that depends on its depth.

    Raises
    ------
    TypeError
        For a value that is neither a number, a sequence of numbers, ``"tag"``, ``"nan"``
        nor None.
    ValueError
        For a value that is infinite, a word other than ``"tag"`` and ``"nan"``, or a
        sequence of other than one or three numbers.

    Examples
    --------
    >>> check_nodata(0), check_nodata([0, 0, 255]), check_nodata("tag"), check_nodata("NaN")
    ((0.0,), (0.0, 0.0, 255.0), 'tag', (nan,))
    >>> check_nodata([1, 2])
    Traceback (most recent call last):
    ...
    ValueError: nodata=[1, 2] should be one number, for every band, or three (red, green, blue)
    """
    if value is None or (isinstance(value, str) and value == "tag"):
        return value
    if isinstance(value, str) and value.strip().lower() == "nan":
        return (math.nan,)
    if isinstance(value, str):
        raise ValueError(f"{name}={value!r} should be a number, one a band, 'nan' (a float "
                         f"image's NaN pixels), 'tag' (the file's GDAL_NODATA tag) or None")
    values = (value,) if isinstance(value, numbers.Real) else value
    try:
        values = tuple(values)
    except TypeError:
        raise TypeError(f"{name}={value!r} should be a number or a sequence of numbers, got "
                        f"{type(value).__name__}") from None
    if len(values) not in (1, 3):
        raise ValueError(f"{name}={value!r} should be one number, for every band, or three "
                         f"(red, green, blue)")
    if len(values) == 1 and _is_nan(values[0]):
        return (math.nan,)
    return tuple(as_typed(v, check_float(v, name)) for v in values)


def _is_nan(value: Any) -> bool:
    """Whether ``value`` is a NaN number (not a bool, which ``check_float`` refuses).

    >>> _is_nan(float("nan")), _is_nan(0), _is_nan(True)
    (True, False, False)
    """
    return (isinstance(value, numbers.Real) and not isinstance(value, bool)
            and math.isnan(value))


def nodata_setting(value: Any, name: str = "nodata") -> list[float] | Literal["tag", "nan"] | None:
    """``value`` checked (:func:`check_nodata`) as a job's settings hold it, in JSON as a
    batch's manifest records them: a list of numbers, ``"tag"``, ``"nan"`` (NaN, which
    JSON has no number for) or None.

    >>> nodata_setting(0), nodata_setting((0, 0, 255)), nodata_setting("tag")
    ([0.0], [0.0, 0.0, 255.0], 'tag')
    >>> nodata_setting(float("nan"))
    'nan'
    """
    checked = check_nodata(value, name)
    if checked is None or isinstance(checked, str):
        return checked
    return nodata_record(checked)


def nodata_record(values: tuple[float, ...] | None) -> list[float] | Literal["nan"] | None:
    """The no-data value used (:attr:`~quantize.io.LoadedImage.nodata`) as a record holds
    it, in JSON: a list of one number or three, ``"nan"`` for NaN, or None.

    >>> nodata_record((0.0,)), nodata_record((float("nan"),)), nodata_record(None)
    ([0.0], 'nan', None)
    """
    if values is None:
        return None
    return "nan" if len(values) == 1 and math.isnan(values[0]) else list(values)


def no_data_mask(values: np.ndarray, key: float | None) -> np.ndarray | None:
    """Which of ``values``, a wide grey image's pixels, are no data by ``key``
    (:func:`nodata_key`, its transparent value): of that value, and of a float image also
    NaN (astropy's convention: a float image's NaN pixels are no data whenever a key is
    set); None when ``key`` is None.

    >>> no_data_mask(np.array([0.0, np.nan, -9999.0]), -9999.0).tolist()
    [False, True, True]
    >>> no_data_mask(np.array([0, 7], np.uint16), 7).tolist()
    [False, True]
    """
    if key is None:
        return None
    if values.dtype.kind != "f":
        return values == key
    return np.isnan(values) | (values == key)


def nodata_key(im: Image.Image, nodata: tuple[float, ...] | Literal["tag"] | None
               ) -> float | tuple[int, int, int] | None:
    """The value (grey) or colour (RGB) that ``nodata`` (checked: :func:`check_nodata`)
    names as no data in ``im``, an opened image not yet decoded, in its own units: the
    key its pixels are matched against as a transparent colour (``info["transparency"]``)
    is; None when there is none. ``"tag"`` names the file's GDAL_NODATA tag, with a
    :class:`NoDataWarning` saying the value read (or, one no pixel can hold, that the tag
    is left out). Of a float image (mode "F") the key is NaN when no value is named (no
    tag): its NaN pixels are no data by default (:func:`no_data_mask`).

    Raises
    ------
    InputParameterError
        For a ``nodata`` given that no pixel of ``im`` can hold (out of its range, or not
        a whole number of an integer image), of a count of bands ``im`` has not, or for an
        image whose pixels are no values of one or three bands (CMYK, say), that has alpha
        and values of more than 8 bits, or that names a transparent colour of its own (a
        grey or RGB image's; a palette's transparent entry stays transparent). The caller
        names the file. An image with alpha, or of a palette, is keyed once decoded:
        :func:`keyed_when_decoded`, :func:`set_apart`.
    """
    if nodata is None:
        return None
    tagged = isinstance(nodata, str)
    values = _tag_values(im) if tagged else nodata
    if values is None:
        return math.nan if im.mode == "F" else None
    problem = _cannot_hold(im, values)
    if problem is None and "transparency" in im.info and not keyed_when_decoded(im):
        problem = "the image names a transparent colour of its own"
    shown = ",".join(shown_number(v) for v in values)
    if problem is not None and tagged:
        warn_caller(f"its GDAL_NODATA tag ({_tag_text(im)}) is left out: {problem}",
                    NoDataWarning)
        return math.nan if im.mode == "F" else None
    if problem is not None:
        raise InputParameterError(f"nodata={shown} {problem}")
    if tagged:
        warn_caller(f"its GDAL_NODATA tag names {shown} as no data: pixels of that value are "
                    f"read as fully transparent", NoDataWarning)
    if im.mode == "F":
        return float(values[0])
    if _bands(im) == 1:
        return int(values[0])
    three = values * 3 if len(values) == 1 else values
    return int(three[0]), int(three[1]), int(three[2])


def keyed_when_decoded(im: Image.Image) -> bool:
    """Whether the no-data pixels of ``im``, an opened image, are matched once decoded
    (:func:`set_apart`), in its colours, not as a transparent colour: an image with alpha,
    or of a palette (whose pixels are indices).

    >>> keyed_when_decoded(Image.new("P", (1, 1))), keyed_when_decoded(Image.new("RGB", (1, 1)))
    (True, False)
    """
    return im.mode in _DECODED_BANDS


def set_apart(decoded: Image.Image, key: int | tuple[int, int, int]) -> Image.Image:
    """``decoded``, an image :func:`keyed_when_decoded`, as RGBA (or LA, of a grey one)
    whose pixels of the colour (or grey value) ``key`` (:func:`nodata_key`) are fully
    transparent, as are those transparent already; ``decoded`` itself when no pixel is
    of it. Its ``info`` (profile, EXIF) is kept.

    >>> im = Image.new("P", (2, 1))
    >>> im.putpalette([0, 0, 0, 9, 9, 9]); im.putpixel((1, 0), 1)
    >>> np.asarray(set_apart(im, (0, 0, 0)))[0, :, 3].tolist()
    [0, 255]
    """
    rgba = decoded.convert("LA" if isinstance(key, int) else "RGBA")
    pixels = np.asarray(rgba)
    matched = (pixels[..., :-1] == np.atleast_1d(np.asarray(key))).all(axis=-1)
    if not matched.any():
        return decoded
    alpha = np.array(pixels[..., -1])
    alpha[matched] = 0
    rgba.putalpha(Image.fromarray(alpha))
    rgba.info = {k: v for k, v in decoded.info.items() if k != "transparency"}
    return rgba


def _bands(im: Image.Image) -> int:
    """The bands of values of ``im``'s pixels that ``nodata`` names: three of an RGB image,
    with alpha or not, or of a palette; one of a grey one."""
    return 3 if im.mode == "RGB" else _DECODED_BANDS.get(im.mode, 1)


def _tag_text(im: Image.Image) -> str | None:
    """The text of ``im``'s GDAL_NODATA tag, stripped of blanks and NULs; None when it has
    none (not a TIFF, or no such tag)."""
    tags = getattr(im, "tag_v2", None)
    text = None if tags is None else tags.get(GDAL_NODATA)
    if isinstance(text, bytes):
        text = text.decode("ascii", "replace")
    return None if text is None else str(text).strip().strip("\0").strip()


def _tag_values(im: Image.Image) -> tuple[float, ...] | None:
    """The value ``im``'s GDAL_NODATA tag names, as :func:`check_nodata` gives it; None
    when it has none, or (with a :class:`NoDataWarning`) one that is no finite number."""
    text = _tag_text(im)
    if text is None:
        return None
    try:
        return check_nodata(float(text))
    except ValueError:
        warn_caller(f"its GDAL_NODATA tag ({text!r}) is left out: it is no finite number",
                    NoDataWarning)
        return None


def _cannot_hold(im: Image.Image, values: tuple[float, ...]) -> str | None:
    """Why no pixel of ``im`` can be ``values``, in words that follow the value; None
    when some can."""
    bands = _bands(im)
    if im.mode not in ("RGB", "I", "F", *_GREY_RANGES, *_DECODED_BANDS):
        return (f"cannot occur in an image of mode {im.mode}: nodata reads grey or RGB "
                f"images, with alpha or not, or of a palette")
    if len(values) != 1 and len(values) != bands:
        return f"names {len(values)} bands; the image has {bands}"
    if im.mode == "F":
        return None
    if keyed_when_decoded(im) and _value_range(im)[1] > 255:
        return ("is matched in the 8-bit colours of an image with alpha, and this one has "
                "16-bit values; expected one without alpha, or no nodata")
    low, high = _value_range(im)
    outside = [v for v in values if not (low <= v <= high and float(v).is_integer())]
    if outside:
        return (f"cannot occur in its {_depth(high)} values: expected whole numbers from "
                f"{low} to {high}")
    return None


def _value_range(im: Image.Image) -> tuple[int, int]:
    """The smallest and largest value a pixel of ``im``, a grey or RGB image, can hold in
    its own units: 16-bit of a 16-bit RGB TIFF or PNG, which Pillow opens as RGB of
    their high bytes (and :func:`~quantize.io.load_image` reads from all 16 bits)."""
    if im.mode in _GREY_RANGES:
        return _GREY_RANGES[im.mode]
    tags = getattr(im, "tag_v2", None)
    bits = (tags.get(_BITS_PER_SAMPLE, (8,)) if tags is not None else (8,))
    wide = max(bits, default=8) > 8 or any(str(t[3]).endswith(";16B")
                                           for t in getattr(im, "tile", ()))
    if im.mode == "RGB" or keyed_when_decoded(im):
        return (0, 65535) if wide else (0, 255)
    if tags is not None and tags.get(_SAMPLE_FORMAT, (1,)) == (1,) and max(bits) == 32:
        return 0, 2**32 - 1  # unsigned 32-bit, which Pillow holds as signed
    if tags is not None and max(bits, default=32) == 16:
        return (-32768, 32767) if tags.get(_SAMPLE_FORMAT, (1,)) == (2,) else (0, 65535)
    return -2**31, 2**31 - 1


def _depth(high: int) -> str:
    """The depth of values whose largest is ``high``, in words.

    >>> _depth(255), _depth(65535), _depth(32767)
    ('8-bit', '16-bit', '16-bit')
    """
    return {255: "8-bit", 65535: "16-bit", 32767: "16-bit"}.get(high, "32-bit")


def edge_reached(marked: np.ndarray) -> int:
    """How many of the pixels ``marked`` ``(H, W)`` bool holds lie in pieces of them
    (4-connected) that reach the image's edge: a border of no data, the corners of a
    rotated scene, are such pieces, and a dark object inside the image is not.

    >>> corners = np.zeros((6, 6), bool); corners[:2, :2] = corners[4:, 5] = True
    >>> corners[3, 3] = True  # a piece inside
    >>> edge_reached(corners)
    6
    """
    if not (marked[0].any() or marked[-1].any() or marked[:, 0].any()
            or marked[:, -1].any()):
        return 0  # none on the edge: no labelling of a photo's pixels
    from scipy import ndimage

    pieces, _ = ndimage.label(marked)
    edge = np.concatenate([pieces[0], pieces[-1], pieces[:, 0], pieces[:, -1]])
    reaching = np.unique(edge[edge > 0])
    return int(np.count_nonzero(np.isin(pieces, reaching))) if reaching.size else 0
