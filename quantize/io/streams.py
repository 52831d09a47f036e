"""Copying an image from a stream (stdin, a pipe, a file object) into a file, which the
readers need to read more than once, without filling a disk with what is no image.

Both ``quantize reduce -`` (and a pipe given as a file) and
:func:`~quantize.io.load_image` of a file object copy through :func:`copy_image_stream`:
its first :data:`STREAM_HEAD` bytes must be able to begin an image, and a PNG on stdin
is copied chunk by chunk up to its IEND chunk.
"""

from __future__ import annotations

import io
import select
from typing import BinaryIO

from ..errors import ImageReadError
from ..png import PNG_SIGNATURE

__all__ = ["STREAM_HEAD", "copy_image_stream"]

#: Bytes of a stream read before its copy goes on only if they may begin an image.
STREAM_HEAD = 1 << 20

#: Bytes read from a stream at a time once its head is copied.
_COPY_CHUNK = 1 << 16

#: The largest length a PNG chunk may give (2**31 - 1).
_PNG_MAX_CHUNK = (1 << 31) - 1


def copy_image_stream(stream: BinaryIO, copy: BinaryIO, name: str, *,
                      png_ends: bool = False) -> None:
    """Copy the binary stream ``stream`` (an input image, named ``name`` in errors) into
    the binary file ``copy``.

    A stream longer than :data:`STREAM_HEAD` bytes whose head no image format Pillow
    knows may begin (``/dev/zero``, ``<(yes)``, which never end) is refused unread past
    its head, rather than fill a disk or the memory. A shorter one is copied whole, for
    the reader to say what it holds; one whose head may begin an image is copied to its
    end, however long.

    With ``png_ends`` (stdin), a PNG is copied up to the end of its IEND chunk and not
    a byte further (:func:`_copy_png_chunks`), as pngquant reads it: a writer that keeps
    the pipe open after the image does not hold the command up; a chunk whose type is
    not four ASCII letters (a signature followed by zeros) is refused there as a
    damaged PNG. Other formats are read to the stream's end.

    Raises
    ------
    ImageReadError
        Naming ``name``: not an image (its head), or a damaged PNG (a chunk's type).
    OSError
        As the stream's reads and the copy's writes raise it.
    """
    head = _read_head(stream, len(PNG_SIGNATURE)) if png_ends else b""
    if head == PNG_SIGNATURE:
        copy.write(head)
        damage = _copy_png_chunks(stream, copy)
        if damage is not None:
            raise ImageReadError(f"damaged PNG ({damage})", path=name)
        return
    head += _read_head(stream, STREAM_HEAD - len(head))
    copy.write(head)
    if len(head) == STREAM_HEAD and not _may_begin_an_image(head):
        raise ImageReadError(f"not an image Pillow can identify ({_head_said(STREAM_HEAD)} "
                             "no image format it knows; the rest was not read)", path=name)
    while part := _read_some(stream, _COPY_CHUNK):
        copy.write(part)


def _copy_png_chunks(stream: BinaryIO, copy: BinaryIO) -> str | None:
    """Copy, from ``stream`` (just past a PNG's signature) into ``copy``, the PNG's chunks
    (length, type, data, CRC) up to the end of its IEND chunk, and nothing after it.

    A stream that ends first, or a length no chunk may have, stops the copy there: the job
    then says what is wrong with the file, as with any PNG cut short or damaged. A chunk
    whose type is not four ASCII letters (PNG's rule) stops it unread past its header,
    and why is returned: what follows is no PNG, and may not end (a signature followed
    by ``/dev/zero`` was copied 12 bytes at a time for ever). None when the copy ends
    otherwise.
    """
    at = len(PNG_SIGNATURE)
    while True:
        header = _read_head(stream, 8)
        copy.write(header)
        if len(header) < 8:
            return None
        length, kind = int.from_bytes(header[:4], "big"), header[4:]
        if not (kind.isascii() and kind.isalpha()):
            return (f"the chunk at byte {at} has the type 0x{kind.hex()}, not four ASCII "
                    "letters; the rest was not read")
        if length > _PNG_MAX_CHUNK:
            return None
        left = length + 4  # the data and the CRC
        while left:
            part = _read_head(stream, min(left, _COPY_CHUNK))
            copy.write(part)
            if len(part) < min(left, _COPY_CHUNK):
                return None
            left -= len(part)
        if kind == b"IEND":
            return None
        at += 12 + length


def _read_head(stream: BinaryIO, size: int) -> bytes:
    """The first ``size`` bytes of ``stream``, fewer only when it ends first (a pipe's
    read may return less than asked before it ends)."""
    parts, got = [], 0
    while got < size:
        part = _read_some(stream, size - got)
        if not part:
            break
        parts.append(part)
        got += len(part)
    return b"".join(parts)


def _read_some(stream: BinaryIO, size: int) -> bytes:
    """At most ``size`` bytes of ``stream``; none only at its end.

    A stream left non-blocking (``O_NONBLOCK``, set by another process that shares the
    pipe: Node.js, an earlier command) gives None while its writer has sent nothing yet,
    which was read as its end: a stdin still to come said "file is empty", or an image
    cut short. Such a read waits for the bytes, as on a blocking stream.
    """
    while True:
        try:
            part = stream.read(size)
        except BlockingIOError:
            part = None
        if part is not None:
            return part
        select.select([stream], [], [])


def _may_begin_an_image(head: bytes) -> bool:
    """Whether ``head`` may be the start of an image file: a format Pillow knows accepts its
    first bytes (a TIFF's directory may lie past the head), or one of those Pillow opens
    without such a test opens it.

    Those are opened as ``Image.open`` opens them, less its check of their size (a large
    size is for the job to check), whose warning was silenced by the process's warnings
    filters, which every thread shares. A format's own warning on opening (Pillow's
    deprecation of its IM format) is given, as reading the file gives it.
    """
    import struct

    from PIL import Image

    Image.init()
    if any(accept is not None and accept(head[:16]) for _, accept in Image.OPEN.values()):
        return True
    for factory, accept in Image.OPEN.values():
        if accept is None:
            try:
                with factory(io.BytesIO(head), ""):
                    return True
            except (SyntaxError, IndexError, TypeError, struct.error, OSError, ValueError):
                pass  # as Image.open passes on to the next format
    return False


def _head_said(size: int) -> str:
    """A stream's first ``size`` bytes beginning something, as the refusal says them: in
    MiB when whole ones.

    >>> _head_said(1 << 20), _head_said(64)
    ('its first 1 MiB begins', 'its first 64 bytes begin')
    """
    if size % (1 << 20) == 0:
        return f"its first {size >> 20} MiB begins"
    return f"its first {size} bytes begin"
