"""Copying an image from a stream (stdin, a pipe, a file object) into a file, which the
readers need to read more than once, without filling a disk with what is no image.

Both ``quantize reduce -`` (and a pipe given as a file) and
:func:`~quantize.io.load_image` of a file object copy through :func:`copy_image_stream`:
its first :data:`STREAM_HEAD` bytes must be able to begin an image, and a PNG on stdin
is copied chunk by chunk up to its IEND chunk, and on when more comes.

A stream may hold several images one after another (``ffmpeg -f image2pipe``: PNG after
PNG, JPEG after JPEG): :func:`images_in_stream` tells where each of its copy begins and
ends, so that none is left out without a word.
"""

from __future__ import annotations

import io
import mmap
import os
import select
from typing import BinaryIO, NamedTuple

from ..errors import ImageReadError
from ..png import PNG_SIGNATURE, png_end

__all__ = ["NEXT_IMAGE_WAIT", "STREAM_HEAD", "StreamImage", "copy_image_stream",
           "images_in_stream"]

#: Bytes of a stream read before its copy goes on only if they may begin an image.
STREAM_HEAD = 1 << 20

#: Bytes read from a stream at a time once its head is copied.
_COPY_CHUNK = 1 << 16

#: The largest length a PNG chunk may give (2**31 - 1).
_PNG_MAX_CHUNK = (1 << 31) - 1

#: Seconds the copy of a PNG on stdin waits, after its IEND chunk, for more bytes (the
#: next image of ``ffmpeg -f image2pipe``) before it takes the PNG as all there is: a
#: writer that keeps the pipe open after one image then holds the command up that long.
NEXT_IMAGE_WAIT = 2.0


def copy_image_stream(stream: BinaryIO, copy: BinaryIO, name: str, *,
                      png_ends: bool = False) -> None:
    """Copy the binary stream ``stream`` (an input image, named ``name`` in errors) into
    the binary file ``copy``.

    A stream longer than :data:`STREAM_HEAD` bytes whose head no image format Pillow
    knows may begin (``/dev/zero``, ``<(yes)``, which never end) is refused unread past
    its head, rather than fill a disk or the memory. A shorter one is copied whole, for
    the reader to say what it holds; one whose head may begin an image is copied to its
    end, however long.

    With ``png_ends`` (stdin), a PNG is copied up to the end of its IEND chunk
    (:func:`_copy_png_chunks`), as pngquant reads it, and then on to the stream's end
    only when more bytes come within :data:`NEXT_IMAGE_WAIT` seconds (or the stream has
    no descriptor to wait on): a writer that keeps the pipe open after the image holds
    the command up no longer than that, and the images sent after it, or bytes after
    its end, are not left unread without a word (:func:`images_in_stream` tells them
    apart). A chunk whose type is not four ASCII letters (a signature followed by zeros)
    is refused there as a damaged PNG. Other formats are read to the stream's end.

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
        if _more_comes(stream, NEXT_IMAGE_WAIT):
            while part := _read_some(stream, _COPY_CHUNK):
                copy.write(part)
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


def _more_comes(stream: BinaryIO, wait: float) -> bool:
    """Whether ``stream`` has bytes to read, or its end, within ``wait`` seconds; True for
    a stream with no descriptor to wait on (a file object in memory never blocks)."""
    try:
        stream.fileno()
    except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is both
        return True
    return bool(select.select([stream], [], [], wait)[0])


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


class StreamImage(NamedTuple):
    """One image of a stream's copy: its format (``"PNG"``, ``"JPEG"``) and where its bytes
    start and end (the last one's end is the copy's: bytes after it are its own)."""

    format: str | None
    start: int
    end: int


#: The first bytes of a JPEG: its start-of-image marker and the marker after it.
_JPEG_START = b"\xff\xd8\xff"


def images_in_stream(path: str | os.PathLike[str]) -> list[StreamImage]:
    """The images the copy of a stream at ``path`` holds one after another: a PNG followed
    by PNGs, each starting where the previous one's IEND chunk ends, or a JPEG by JPEGs,
    each starting where the previous one's end marker (EOI) is, with the bytes of a start
    marker. Bytes after an image that begin none of its format are its own (a camera's
    data after a JPEG's end marker, say), and so are the images of a JPEG that lists them
    in an MPF segment (APP2: a multi-picture file, its second picture after the first's
    end). Any other file is one image, of format None, the whole copy.

    Only the chunks' heads of a PNG are read (:func:`~quantize.png.png_end`); a JPEG's
    markers are found in its bytes, mapped, not read into memory.

    >>> import PIL.Image, tempfile
    >>> one = io.BytesIO(); PIL.Image.new("L", (1, 1)).save(one, "PNG")
    >>> with tempfile.NamedTemporaryFile() as f:
    ...     _ = f.write(one.getvalue() * 3 + b"tail"); f.flush()
    ...     [tuple(image) for image in images_in_stream(f.name)]
    [('PNG', 0, 67), ('PNG', 67, 134), ('PNG', 134, 205)]
    """
    size = os.path.getsize(path)
    if size == 0:
        return [StreamImage(None, 0, 0)]
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
        if data[:len(PNG_SIGNATURE)] == PNG_SIGNATURE:  # its chunks' heads read from the file
            fmt, signature, walked, end_of = "PNG", PNG_SIGNATURE, f, png_end
        elif data[:3] == _JPEG_START:
            fmt, signature, walked, end_of = "JPEG", _JPEG_START, data, _jpeg_end
        else:
            return [StreamImage(None, 0, size)]
        images, at = [], 0
        while (end := end_of(walked, at)) is not None and \
                data[end:end + len(signature)] == signature:
            images.append(StreamImage(fmt, at, end))
            at = end
        images.append(StreamImage(fmt, at, size))
        return images


def _jpeg_end(data: mmap.mmap, at: int) -> int | None:
    """Where the JPEG whose start marker is at ``at`` of ``data`` ends: after its end
    marker (EOI), found by walking its segments (by their lengths) and the image data
    after each start of scan (to a marker other than a restart); None when it has none
    (cut short, or damaged), or when it lists other pictures in an MPF segment."""
    at += 2
    while at + 2 <= len(data):
        if data[at] != 0xFF:
            return None
        marker = data[at + 1]
        if marker == 0xFF:  # a fill byte before a marker
            at += 1
        elif marker == 0xD9:
            return at + 2
        elif marker == 0x01 or 0xD0 <= marker <= 0xD7:  # markers of no length
            at += 2
        else:
            length = int.from_bytes(data[at + 2:at + 4], "big")
            if marker == 0xE2 and data[at + 4:at + 8] == b"MPF\x00":
                return None  # a multi-picture file: its pictures are one file
            at += 2 + length
            if marker == 0xDA:  # the image data runs to the next marker not a restart
                at = _scan_end(data, at)
    return None


def _scan_end(data: mmap.mmap, at: int) -> int:
    """Where the image data of a JPEG's scan starting at ``at`` of ``data`` ends: at the
    first 0xFF followed by a byte other than 0 (a stuffed 0xFF) or a restart marker's;
    the data's end when none is."""
    while (at := data.find(b"\xff", at)) != -1 and at + 1 < len(data):
        following = data[at + 1]
        if following != 0 and not 0xD0 <= following <= 0xD7:
            return at
        at += 2
    return len(data)
