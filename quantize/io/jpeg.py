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

from ..errors import ImageReadError

__all__ = ["check_jpeg_scan", "cut_scan"]

#: The value every sample of a block libjpeg leaves without data comes out as.
_EMPTY_BLOCK = 128
#: Bytes put where a JPEG's end marker was, to tell a scan cut short (which reads them into
#: the blocks after the cut) from a whole one (which never reads them) when its last pixels
#: are all grey. Zero bits are always a code of a Huffman table (its first), never a marker.
_FILLER = bytes(4096)
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
    if p.is_file() and cut_scan(p.read_bytes(), im):
        raise ImageReadError("cannot decode image (image file is truncated: its image data "
                             "ends before its last rows, which come out grey, and its end "
                             "marker follows the cut)", path=path)


def _grey_end(im: Image.Image) -> bool:
    """Whether the last 8 pixels of the last row of ``im``, decoded, are all 128."""
    w, h = im.size
    corner = np.asarray(im.crop((max(w - 8, 0), h - 1, w, h)))
    return bool((corner == _EMPTY_BLOCK).all())


def cut_scan(data: bytes, decoded: Image.Image) -> bool:
    """Whether the JPEG ``data``, ``decoded`` (at the scale it was, drafted or not),
    has image data cut short before its end marker: decoded again with bytes in place of
    its end marker (:data:`_FILLER`), which a whole scan never reads and a cut one reads
    into the blocks it lacked, its pixels change. A file that does not end with its end
    marker, or that fails to decode so, is not told to be cut (its own reading said).

    >>> noise = Image.effect_noise((64, 64), 80).convert("RGB")
    >>> whole = _io.BytesIO(); noise.save(whole, "JPEG"); data = whole.getvalue()
    >>> cut = data[: len(data) // 2] + _END_MARKER
    >>> cut_scan(data, Image.open(_io.BytesIO(data))), cut_scan(cut, Image.open(_io.BytesIO(cut)))
    (False, True)
    """
    if not data.endswith(_END_MARKER):
        return False
    try:
        with Image.open(_io.BytesIO(data[:-2] + _FILLER + _END_MARKER)) as again:
            again.draft(decoded.mode, decoded.size)
            again.load()
            return again.size != decoded.size or not np.array_equal(np.asarray(again),
                                                                     np.asarray(decoded))
    except (OSError, ValueError, SyntaxError):
        return False
