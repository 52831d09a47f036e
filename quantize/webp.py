"""Animated WebP files read below Pillow: alpha that the header does not announce.

Pillow decodes an animated WebP with alpha only when its VP8X chunk sets the alpha
flag. A file whose frames hold alpha (an ALPH chunk, or a lossless bitstream saying it
uses alpha) without the flag set was decoded as RGB: its transparent pixels came out
opaque, in whatever colour they stored, where libwebp's decoder and browsers show them
transparent. :func:`alpha_flag_set` gives the file's bytes with the flag set, which
Pillow then decodes with the alpha its frames hold. :mod:`quantize.io` and
:mod:`quantize.animation` open such a file from those bytes.
"""

from __future__ import annotations

import contextlib
import io
import struct
from collections.abc import Iterator

from PIL import Image

from .png import second_reader

__all__ = ["alpha_flag_set", "frame_alpha_read"]

# VP8X flags (the first byte of its payload): animation and alpha.
_ANIMATION_FLAG, _ALPHA_FLAG = 0x02, 0x10
# Where the VP8X flags byte is in the file: "RIFF", size, "WEBP", "VP8X", size.
_FLAGS_AT = 20
# An ANMF chunk's payload: offsets, size, duration and flags (16 bytes), then the frame's
# chunks.
_ANMF_HEAD = 16
_VP8L_SIGNATURE = 0x2F


def alpha_flag_set(im: Image.Image) -> bytes | None:
    """The bytes of the file of ``im``, an image Pillow opened and has not decoded, with the
    alpha flag of its VP8X chunk set, when it is an animated WebP that Pillow reads as RGB
    though some frame holds alpha; None for any other image.

    The file is read again (:func:`~quantize.png.second_reader`), not moved.
    """
    if im.format != "WEBP" or im.mode != "RGB" or getattr(im, "fp", None) is None:
        return None
    with second_reader(im) as fp:
        data = fp.read(_FLAGS_AT + 1)  # a still image, or one whose flag is set, stops here
        if not _unflagged_alpha(data, head_only=True):
            return None
        data += fp.read()
    if not _unflagged_alpha(data):
        return None
    flagged = bytearray(data)
    flagged[_FLAGS_AT] |= _ALPHA_FLAG
    return bytes(flagged)


@contextlib.contextmanager
def frame_alpha_read(im: Image.Image) -> Iterator[Image.Image]:
    """``im``, an image Pillow opened and has not decoded, or, for an animated WebP whose
    frames hold alpha that its header does not flag (:func:`alpha_flag_set`), the same
    file opened again from bytes with the flag set, for as long as the block runs."""
    flagged = alpha_flag_set(im)
    if flagged is None:
        yield im
        return
    with Image.open(io.BytesIO(flagged)) as again:
        yield again


def _unflagged_alpha(data: bytes, head_only: bool = False) -> bool:
    """Whether ``data``, a WebP file, is animated (VP8X), flags no alpha, and holds a frame
    with alpha; with ``head_only``, whether its head (the VP8X flags) leaves that open.

    >>> vp8l = b"VP8L" + struct.pack("<I", 5) + bytes([0x2F, 0, 0, 0, 0x10]) + b"\\0"
    >>> anmf = b"ANMF" + struct.pack("<I", 16 + len(vp8l)) + bytes(16) + vp8l
    >>> vp8x = b"VP8X" + struct.pack("<I", 10) + bytes([0x02]) + bytes(9)
    >>> _unflagged_alpha(b"RIFF" + bytes(4) + b"WEBP" + vp8x + anmf)
    True
    """
    if data[12:16] != b"VP8X" or len(data) <= _FLAGS_AT:
        return False
    flags = data[_FLAGS_AT]
    if flags & _ALPHA_FLAG or not flags & _ANIMATION_FLAG:
        return False
    return head_only or any(_frame_alpha(data[at + _ANMF_HEAD:end])
               for kind, at, end in _chunks(data, 12) if kind == b"ANMF")


def _frame_alpha(frame: bytes) -> bool:
    """Whether the chunks of an ANMF frame hold alpha: an ALPH chunk, or a lossless (VP8L)
    bitstream whose header says it uses alpha."""
    for kind, at, end in _chunks(frame, 0):
        if kind == b"ALPH":
            return True
        if kind == b"VP8L" and end - at >= 5 and frame[at] == _VP8L_SIGNATURE:
            bits = struct.unpack_from("<I", frame, at + 1)[0]
            return bool(bits >> 28 & 1)  # after 14 bits of width and 14 of height
    return False


def _chunks(data: bytes, at: int) -> Iterator[tuple[bytes, int, int]]:
    """The type of each RIFF chunk in ``data`` from ``at``, where its payload starts and
    ends; a chunk cut short ends the walk."""
    while at + 8 <= len(data):
        kind, size = data[at:at + 4], struct.unpack_from("<I", data, at + 4)[0]
        end = at + 8 + size
        if end > len(data):
            return
        yield kind, at + 8, end
        at = end + (size & 1)
