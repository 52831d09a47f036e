"""Physical resolution: the dots per inch a file states, and what an output holds of it.

A scan's resolution is its physical size (2480 x 3508 pixels at 300 dpi is an A4 page),
which a print or scan workflow needs to survive the reduction; pngquant keeps a PNG's
pHYs chunk too. :func:`stated_dpi` reads it from a file opened by Pillow where the file
states it in real units (inches or centimetres), in the page's own orientation, and
:func:`upright_dpi` swaps it as the picture is turned (:func:`scaled_dpi` scales it as a
preview is shrunk); :func:`held_dpi` says what an output in a given format keeps of it,
and :func:`pixels_per_metre` what a PNG's pHYs chunk holds. Each format, as read:

- PNG and BMP: what Pillow reports, from pixels per metre (a PNG's pHYs of unit 1; a
  pHYs of unit 0 gives the pixels' aspect only, which Pillow reports as ``aspect``). The
  whole dpi an image was saved at comes back whole (:func:`_whole_per_metre`).
- JPEG (and MPO): the JFIF density in dots per inch or per centimetre (unit 1 or 2);
  with unit 0, the 1:1 aspect most encoders write, or no JFIF segment, the EXIF's
  XResolution and YResolution in inches or centimetres. Not Pillow's own reading of the
  EXIF, which reported 72 dpi for an EXIF without a resolution (a phone's orientation
  alone), read a unit of "none" as inches, and gave the x resolution for both.
- TIFF: XResolution and YResolution in inches or centimetres, for the page read. Not
  Pillow's report, which gave 1 dpi for a TIFF without resolution tags. A TIFF ImageJ
  wrote states its scale in the ``unit=`` of its ImageJ description (``um``, ``micron``,
  ``nm``, ``mm``...), its resolution tags then in pixels per that unit and its
  ResolutionUnit "none": that scale is read too (:func:`_imagej_dpi`).
- Every other format: none (GIF and WebP have no resolution field).

Where no ResolutionUnit is given, a TIFF's and an EXIF's resolution is in inches, as both
specifications say.

:func:`stated_pixel_size` is the size of a pixel in micrometres of a TIFF that states a
physical scale on purpose: a ResolutionUnit tag of centimetres, or of inches but not 72 or
96 dpi (what screen software writes of every image), or an ImageJ unit. Of every other
file (a TIFF without a ResolutionUnit tag, a photo's JPEG, whose 72, 180 or 300 dpi is a
nominal print size, a PNG), none: a dpi such files state is no measurement of the scene.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

from PIL import Image

from .._validation import check_dpi

__all__ = ["held_dpi", "pixels_per_metre", "scaled_dpi", "stated_dpi", "stated_pixel_size",
           "upright_dpi"]

Dpi = tuple[float, float]

_X_RESOLUTION, _Y_RESOLUTION, _RESOLUTION_UNIT = 0x011A, 0x011B, 0x0128
# ResolutionUnit (TIFF, EXIF): 2 inch, 3 centimetre; 1 "no absolute unit", an aspect only.
_INCH, _CENTIMETRE = 2, 3
# JFIF density units: 0 an aspect only, 1 dots per inch, 2 per centimetre.
_JFIF_REAL_UNITS = (1, 2)
_CM_PER_INCH = 2.54
_UM_PER_INCH = 25400.0
_IMAGE_DESCRIPTION = 0x010E
# The units ImageJ names in its description's "unit=" (as ImageJ writes them; a micro sign
# as the escape it writes, or as itself), in micrometres. "pixel" and others: no scale.
_IMAGEJ_UNITS_UM = {"nm": 1e-3, "micron": 1.0, "microns": 1.0, "um": 1.0, "\\u00B5m": 1.0,
                    "\u00b5m": 1.0, "\u03bcm": 1.0, "mm": 1e3, "cm": 1e4, "m": 1e6,
                    "inch": _UM_PER_INCH, "in": _UM_PER_INCH}
# The dpi screen software writes of every image (a screenshot's, an editor's default): no
# physical scale, even in a TIFF's explicit inches.
_SCREEN_DPI = frozenset({72.0, 96.0})
_M_PER_INCH = 0.0254
# What each output format's field holds, in dpi: a PNG's pHYs whole pixels per metre
# from 1 to 2**31 - 1, a JPEG's JFIF density whole dpi from 1 to 65535 (Pillow wrote 70000
# as 4464, and 0.3 as 0, which reads as no resolution), a TIFF's rationals 32-bit
# fractions (written by libtiff through a float: 1e12 came back NaN), a BMP's pixels per
# metre as a PNG's, which Pillow writes as int(dpi * 39.3701 + 0.5), a signed 32-bit field.
_HELD = {"PNG": (_M_PER_INCH, (2**31 - 1) * _M_PER_INCH),
         "JPEG": (1.0, 65535.0),
         "TIFF": (2.0**-32, 2.0**32 - 1),
         "BMP": (_M_PER_INCH, (2**31 - 2) / 39.3701)}
# EXIF orientations that turn the picture a quarter: its x and y swap.
_SWAPPING = frozenset({5, 6, 7, 8})


def stated_dpi(im: Image.Image) -> Dpi | None:
    """The resolution ``(x, y)`` in dots per inch that the file of ``im`` (opened by Pillow,
    at the page read) states in real units, as stored (before any EXIF orientation), or
    None when it states none, or only an aspect. See the module's notes for each format.

    >>> import io
    >>> jpeg = io.BytesIO(); Image.new("L", (4, 2)).save(jpeg, "JPEG", dpi=(300, 150))
    >>> stated_dpi(Image.open(jpeg))
    (300.0, 150.0)
    """
    if im.format in ("PNG", "BMP"):
        dpi = _positive_pair(im.info.get("dpi"))
        return None if dpi is None else (_whole_per_metre(dpi[0]), _whole_per_metre(dpi[1]))
    if im.format in ("JPEG", "MPO"):
        if im.info.get("jfif_unit") in _JFIF_REAL_UNITS:
            return _positive_pair(im.info.get("dpi"))
        return _tagged_dpi(im.getexif())
    if im.format == "TIFF":
        # the page's tags, found without importing Pillow's TIFF plugin (to check the
        # image's class), which every call would then pay for
        tags = getattr(im, "tag_v2", {})
        return _imagej_dpi(tags) or _tagged_dpi(tags)
    return None


def stated_pixel_size(im: Image.Image) -> Dpi | None:
    """The size ``(x, y)`` of a pixel in micrometres that the TIFF ``im`` (opened by Pillow,
    at the page read) states on purpose, as stored (before any EXIF orientation): from a
    ResolutionUnit tag of centimetres, or of inches unless 72 or 96 dpi both ways (screen
    software's default), or an ImageJ unit (:func:`_imagej_dpi`); None of any other file,
    a TIFF without a ResolutionUnit tag among them (see the module's notes).

    >>> import io
    >>> tiff = io.BytesIO(); Image.new("I;16", (4, 2)).save(tiff, "TIFF", dpi=(25400, 12700))
    >>> stated_pixel_size(Image.open(tiff))
    (1.0, 2.0)
    >>> tiff = io.BytesIO(); Image.new("I;16", (4, 2)).save(tiff, "TIFF", dpi=(72, 72))
    >>> print(stated_pixel_size(Image.open(tiff)))
    None
    """
    if im.format != "TIFF":
        return None
    tags = getattr(im, "tag_v2", {})
    unit = tags.get(_RESOLUTION_UNIT)
    if unit in (_INCH, _CENTIMETRE):
        dpi = _tagged_dpi(tags)
        if dpi is not None and unit == _INCH and dpi[0] == dpi[1] and dpi[0] in _SCREEN_DPI:
            return None
    else:
        dpi = _imagej_dpi(tags)
    if dpi is None:
        return None
    return _UM_PER_INCH / dpi[0], _UM_PER_INCH / dpi[1]


def upright_dpi(dpi: Dpi | None, orientation: int) -> Dpi | None:
    """``dpi`` of a picture turned by EXIF ``orientation`` (1 to 8): x and y swapped by 5 to
    8, which turn it a quarter.

    >>> upright_dpi((300.0, 150.0), 6), upright_dpi((300.0, 150.0), 3)
    ((150.0, 300.0), (300.0, 150.0))
    """
    if dpi is None or orientation not in _SWAPPING:
        return dpi
    return dpi[1], dpi[0]


def scaled_dpi(dpi: Dpi | None, scale: float) -> Dpi | None:
    """``dpi`` of a picture decoded at ``scale`` (a JPEG's preview at 1/2, 1/4 or 1/8): the
    same page in fewer pixels.

    >>> scaled_dpi((300.0, 150.0), 1 / 4)
    (75.0, 37.5)
    """
    if dpi is None or scale == 1:
        return dpi
    return dpi[0] * scale, dpi[1] * scale


def held_dpi(dpi: Any, fmt: str) -> Dpi | None:
    """``dpi`` (None, or ``(x, y)`` dots per inch) as an output in Pillow's format ``fmt``
    holds it, or None: GIF and WebP hold no resolution, and a value outside what the
    format's field holds (see ``_HELD``) is left out rather than written wrong.

    >>> held_dpi((300, 300), "PNG"), held_dpi((300, 300), "GIF"), held_dpi((7e4, 7e4), "JPEG")
    ((300.0, 300.0), None, None)

    Raises
    ------
    TypeError, ValueError
        If ``dpi`` is not None or two finite numbers > 0 (:func:`~quantize._validation.check_dpi`).
    """
    if dpi is None:
        return None
    dpi = check_dpi(dpi, "dpi")
    lowest, highest = _HELD.get(fmt, (math.inf, -math.inf))
    return dpi if all(lowest <= value <= highest for value in dpi) else None


def pixels_per_metre(dpi: Dpi) -> tuple[int, int]:
    """``dpi`` as a PNG's pHYs chunk holds it: whole pixels per metre, rounded as Pillow
    rounds them (so that a file written either way says the same).

    >>> pixels_per_metre((300.0, 72.0))
    (11811, 2835)
    """
    x, y = (int(value / _M_PER_INCH + 0.5) for value in dpi)
    return x, y


def _tagged_dpi(tags: Any) -> Dpi | None:
    """The resolution TIFF tags (or an EXIF's, which are TIFF's) state: XResolution and
    YResolution in inches, or in centimetres; None when either is missing or the unit is
    none (an aspect only)."""
    unit = tags.get(_RESOLUTION_UNIT, _INCH)
    if unit not in (_INCH, _CENTIMETRE):
        return None
    dpi = _positive_pair((tags.get(_X_RESOLUTION), tags.get(_Y_RESOLUTION)))
    if dpi is None or unit == _INCH:
        return dpi
    return dpi[0] * _CM_PER_INCH, dpi[1] * _CM_PER_INCH


def _imagej_dpi(tags: Any) -> Dpi | None:
    """The resolution in dots per inch of a TIFF ImageJ wrote, whose ImageDescription
    (``ImageJ=1.54f`` and a line a setting) names its ``unit=`` and whose XResolution and
    YResolution are pixels per that unit, its ResolutionUnit "none" or absent; None when
    the description is no ImageJ one, names no unit ImageJ measures in
    (:data:`_IMAGEJ_UNITS_UM`; ``pixel``), or a resolution tag is missing.

    >>> _imagej_dpi({0x010E: "ImageJ=1.54f\\nunit=micron\\n", 0x011A: 2.0, 0x011B: 2.0,
    ...              0x0128: 1})
    (50800.0, 50800.0)
    """
    if tags.get(_RESOLUTION_UNIT, 1) != 1:
        return None
    description = tags.get(_IMAGE_DESCRIPTION)
    if not isinstance(description, str) or not description.startswith("ImageJ="):
        return None
    settings = dict(line.partition("=")[::2] for line in description.splitlines())
    um = _IMAGEJ_UNITS_UM.get(settings.get("unit", "").strip())
    per_unit = _positive_pair((tags.get(_X_RESOLUTION), tags.get(_Y_RESOLUTION)))
    if um is None or per_unit is None:
        return None
    return per_unit[0] * _UM_PER_INCH / um, per_unit[1] * _UM_PER_INCH / um


def _positive_pair(value: Any) -> Dpi | None:
    """``value`` as two finite floats > 0, or None (absent, a zero or NaN rational, a
    single number as Pillow gives a WMF's)."""
    if not isinstance(value, tuple) or len(value) != 2:
        return None
    if not all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in value):
        return None
    x, y = float(value[0]), float(value[1])
    return (x, y) if all(math.isfinite(v) and v > 0 for v in (x, y)) else None


def _whole_per_metre(dpi: float) -> float:
    """``dpi``, read from whole pixels per metre, as the whole dpi it was saved at when that
    gives the same pixels per metre: a PNG's 300 dpi is 11811 per metre, which Pillow
    reads back as 299.9994 (a TIFF output would say so: libtiff wrote 299.99939).

    >>> _whole_per_metre(11811 * 0.0254), round(_whole_per_metre(11812 * 0.0254), 4)
    (300.0, 300.0248)
    """
    whole = round(dpi)
    if whole > 0 and round(whole / _M_PER_INCH) == round(dpi / _M_PER_INCH):
        return float(whole)
    return dpi
