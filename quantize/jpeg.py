"""JPEG files read below Pillow: image data cut short before the file's end marker.

libjpeg reads a baseline JPEG whose image data (its scan) stops at a marker before the
last block, as a file cut short and given its end marker (EOI) back does, with a warning
Pillow does not pass on, and fills the blocks it lacks with zeros: every row after the
cut comes out grey, 128 in each channel, and the file is read without a word (without the
end marker, Pillow refuses it: "image file is truncated"). :func:`check_jpeg_scan`
refuses such a file with the one-line :class:`~quantize.errors.ImageReadError` of any
file cut short. :mod:`quantize.io` reads through it.
"""

from __future__ import annotations

import io as _io
import os
from pathlib import Path

import numpy as np
from PIL import Image

from .errors import ImageReadError

__all__ = ["check_jpeg_scan", "cut_scan"]

#: The value every sample of a block libjpeg leaves without data comes out as.
_EMPTY_BLOCK = 128
#: Bytes without a marker (0xFF) put where a JPEG's end marker was, to tell a scan cut short
#: (whose later blocks they fill with something other than grey) from a whole one (which
#: never reads them) when its last pixels are all grey.
_FILLER = b"\x5a\xa5" * 2048
_END_MARKER = b"\xff\xd9"


def check_jpeg_scan(im: Image.Image, path: str | os.PathLike[str]) -> None:
    """Refuse a JPEG, opened as ``im`` and decoded, whose image data is cut short before
    its end marker (:func:`cut_scan`). Its last pixels are looked at first: only when they
    are all grey (128 in each channel) is the file read again. Other formats, a JPEG of
    other modes than grey, RGB and YCbCr, and a file that is not a regular file (a pipe
    cannot be read again) pass.

    Raises
    ------
    ImageReadError
        Naming ``path``: "cannot decode image (image file is truncated: ...)".
    """
    if im.format != "JPEG" or im.mode not in ("L", "RGB", "YCbCr") or not _grey_end(im):
        return
    p = Path(path)
    if p.is_file() and cut_scan(p.read_bytes(), im.size):
        raise ImageReadError("cannot decode image (image file is truncated: its image data "
                             "ends before its last rows, which come out grey, and its end "
                             "marker follows the cut)", path=path)


def _grey_end(im: Image.Image) -> bool:
    """Whether the last 8 pixels of the last row of ``im``, decoded, are all 128."""
    w, h = im.size
    corner = np.asarray(im.crop((max(w - 8, 0), h - 1, w, h)))
    return bool((corner == _EMPTY_BLOCK).all())


def cut_scan(data: bytes, size: tuple[int, int]) -> bool:
    """Whether the JPEG ``data``, which decodes to ``size`` with its last pixels grey, has
    image data cut short before its end marker: decoded again with bytes in place of its
    end marker (:data:`_FILLER`), which a whole scan never reads and a cut one reads
    into the blocks it lacked, its last pixels change. A file that does not end with its
    end marker, or that fails to decode so, is not told to be cut (its own reading said).

    >>> whole = _io.BytesIO()
    >>> Image.new("RGB", (16, 16), (128, 128, 128)).save(whole, "JPEG")
    >>> cut_scan(whole.getvalue(), (16, 16))
    False
    """
    if not data.endswith(_END_MARKER):
        return False
    try:
        with Image.open(_io.BytesIO(data[:-2] + _FILLER + _END_MARKER)) as again:
            again.load()
            return again.size == size and not _grey_end(again)
    except (OSError, ValueError, SyntaxError):
        return False
