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
  Pillow's report, which gave 1 dpi for a TIFF without resolution tags.
- Every other format: none (GIF and WebP have no resolution field).

Where no ResolutionUnit is given, a TIFF's and an EXIF's resolution is in inches, as both
specifications say.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

from PIL import Image

from .._validation import check_dpi

__all__ = ["held_dpi", "pixels_per_metre", "scaled_dpi", "stated_dpi", "upright_dpi"]

Dpi = tuple[float, float]

_X_RESOLUTION, _Y_RESOLUTION, _RESOLUTION_UNIT = 0x011A, 0x011B, 0x0128
# ResolutionUnit (TIFF, EXIF): 2 inch, 3 centimetre; 1 "no absolute unit", an aspect only.
_INCH, _CENTIMETRE = 2, 3
# JFIF density units: 0 an aspect only, 1 dots per inch, 2 per centimetre.
_JFIF_REAL_UNITS = (1, 2)
_CM_PER_INCH = 2.54
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
        return _tagged_dpi(getattr(im, "tag_v2", {}))
    return None


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
