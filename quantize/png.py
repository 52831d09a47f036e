"""PNG files read below Pillow: what Pillow does not check, and a second reader.

Pillow checks the CRCs of the chunks before the image data only, and takes the end of
the image data's zlib stream for the end of the image: a PNG with damaged image data,
or with data that ends before its last row (all CRCs right), decodes to a wrong image
without a word. :func:`check_png_chunks` checks every chunk's CRC (a damaged optional
chunk that does not change the pixels read is left out with a warning, as libpng
leaves it), and
:func:`whole_png_rows` and :func:`check_png_frames` that the image data holds every row;
both refuse a damaged file with a one-line :class:`~quantize.errors.ImageReadError`.
:func:`second_reader` reads the file Pillow opened a second time, for these checks and
for the low bytes of a 16-bit transparent colour, without reading a pipe twice.
:func:`readable_png` leaves out the text chunks whose text Pillow refuses as too long.
:func:`warn_png_end` warns of a file whose image data is whole but whose end is damaged
(no IEND chunk, or bytes after it), which Pillow reads without a word. :func:`png_text`
gives the text chunks (tEXt, zTXt, iTXt: XMP too) that a PNG output keeps as they are.
:mod:`quantize.io` re-exports the public functions.
"""

from __future__ import annotations

import contextlib
import io as _io
import os
import stat
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from PIL import Image

from .errors import ImageReadError, QuantizeWarning, warn_caller

__all__ = ["LEFT_OUT_TEXT", "PNG_SIGNATURE", "TEXT_CHUNKS", "DamagedChunkWarning",
           "DamagedPngEndWarning", "check_frame_count",
           "check_png_chunks", "check_png_frames",
           "chunks_of", "damaged_png_chunk", "damaged_png_end", "damaged_png_file",
           "first_short_png_image", "frame_controls", "overlong_trns", "png_end", "png_text",
           "readable_png", "second_reader",
           "still_png", "warn_chunks_left_out", "warn_png_end", "whole_png_rows"]

#: The eight bytes every PNG file begins with.
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def second_reader(im: Image.Image, *, shared: bool = False) -> BinaryIO:
    """A reader of its own of the file ``im`` (opened by Pillow, not yet decoded) was
    opened from, at its start; the caller closes it.

    For a second decode beside Pillow's, or a check after it (Pillow closes the file of
    a still image once it is decoded). A file is read where Pillow reads it, through a
    descriptor of its own with reads at its own offset: neither moves the other, and a
    file replaced or renamed since it was opened is still the one read; the file is not
    held in memory. A pipe, which Pillow read whole into memory on opening, is read
    from those bytes (shared, not copied), and so is a file object of the caller's
    (copied, its position kept): a pipe is never read twice.

    With ``shared``, a file is read through the descriptor of ``im``'s own file (still at
    an offset of its own), which the reader neither holds nor closes: a reader kept
    beside the image keeps no file open once the image is closed, and must not be read
    after that.
    """
    fp = im.fp
    try:
        fd = fp.fileno()
        regular = stat.S_ISREG(os.fstat(fd).st_mode)
    except (AttributeError, OSError, ValueError):  # BytesIO: UnsupportedOperation
        regular = False
    if regular and hasattr(os, "pread"):
        return _io.BufferedReader(_FileAt(fd, own=False) if shared else _FileAt(os.dup(fd)))
    if isinstance(fp, _io.BytesIO):
        return _io.BytesIO(fp.getvalue())
    here = fp.tell()
    fp.seek(0)
    data = fp.read()
    fp.seek(here)
    return _io.BytesIO(data)


class _FileAt(_io.RawIOBase):
    """The open file ``fd`` (with ``own``, a descriptor of its own, closed with this), read
    at an offset of its own (``os.pread``): the offset shared with other descriptors of
    the same opening is left alone."""

    def __init__(self, fd: int, own: bool = True):
        super().__init__()
        self._fd, self._at, self._own = fd, 0, own

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = os.pread(self._fd, len(buffer), self._at)
        buffer[:len(data)] = data
        self._at += len(data)
        return len(data)

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._at}.get(whence)
        if base is None:
            base = os.fstat(self._fd).st_size
        self._at = max(0, base + offset)
        return self._at

    def tell(self) -> int:
        return self._at

    def close(self) -> None:
        if not self.closed and self._own:
            os.close(self._fd)
        super().close()


# Bytes of a chunk read at a time when checking its CRC.
_CRC_BLOCK = 1 << 20

#: Optional (ancillary) chunks that change the pixels read: the transparency (tRNS), the
#: colours (iCCP, gAMA, and sRGB, which overrides gAMA), the orientation (eXIf) and an
#: APNG's frames (acTL, fcTL, fdAT). A bad CRC in one of them refuses the file, as one in
#: a critical chunk (IHDR, PLTE, IDAT, IEND) does. Any other optional chunk is
#: metadata that the pixels read do not depend on (text, time, pHYs, bKGD, and cHRM and
#: sBIT, which Pillow and this package do not apply): a bad CRC in one is a warning, and
#: the chunk is left out, as libpng leaves it by default.
PIXEL_CHUNKS = frozenset({b"tRNS", b"iCCP", b"gAMA", b"sRGB", b"eXIf", b"acTL", b"fcTL",
                          b"fdAT"})


class DamagedChunkWarning(QuantizeWarning):
    """Optional chunks of a PNG that its pixels do not depend on (text, time, ...) have a
    bad CRC: they are left out, as libpng leaves them, and the image is read."""


class DamagedPngEndWarning(QuantizeWarning):
    """A PNG (APNG) whose end is damaged though the image read holds every row: it ends
    without its IEND chunk (cut short after that image's data: a download broken off,
    say; later frames of an APNG may be lost), or holds bytes after it. The image is read;
    pngquant and ImageMagick refuse a PNG without its IEND chunk."""


def warn_png_end(p: Path, fmt: str | None, every_frame: bool = False) -> None:
    """Warn (:class:`DamagedPngEndWarning`) when the file ``p``, of Pillow's format ``fmt``,
    is a PNG whose end is damaged (:func:`damaged_png_end`). Call it once the image read is
    decoded, whose data cut short the decoder refuses; before reading ``every_frame`` of an
    APNG, a file cut inside its image data (IDAT or fdAT) is left to the decoder to refuse.
    Only a regular file is read (a pipe cannot be read again); one that cannot be read
    passes."""
    if fmt != "PNG" or not p.is_file():
        return
    try:
        with open(p, "rb", buffering=0) as fp:  # 8 bytes a chunk, not a buffer's 8 KiB
            end = _png_end(fp)
    except OSError:
        return
    if end is None or (every_frame and end[1] in (b"IDAT", b"fdAT")):
        return
    reason = end[0]
    read = "every frame holds every row" if every_frame else "the image read holds every row"
    warn_caller(f"damaged PNG: {reason}; {read} and is read", DamagedPngEndWarning)


def damaged_png_end(fp: Any) -> str | None:
    """What is wrong with the end of the PNG in ``fp`` (seekable, read from its start): no
    IEND chunk, a chunk cut short before it, or bytes after it; None when it ends with its
    IEND chunk, or holds no PNG signature. The chunks are walked by their heads.

    >>> import PIL.Image
    >>> still = _io.BytesIO(); PIL.Image.new("L", (1, 1)).save(still, format="PNG")
    >>> data = still.getvalue()
    >>> damaged_png_end(_io.BytesIO(data)), damaged_png_end(_io.BytesIO(data[:-12]))
    (None, 'it ends without its IEND chunk (the file may have been cut short)')
    >>> damaged_png_end(_io.BytesIO(data + b"junk"))
    'it has 4 bytes after its IEND chunk'
    """
    end = _png_end(fp)
    return None if end is None else end[0]


def _png_end(fp: Any) -> tuple[str, bytes | None] | None:
    """:func:`damaged_png_end` of ``fp``, and the type of the chunk cut short before the
    IEND chunk (None when none is)."""
    fp.seek(0)
    if fp.read(len(PNG_SIGNATURE)) != PNG_SIGNATURE:
        return None
    size = fp.seek(0, os.SEEK_END)
    fp.seek(len(PNG_SIGNATURE))
    for length, kind in _chunks(fp):
        end = fp.tell() + length + 4
        if not kind.isalpha():
            return "it holds bytes that are no chunk before its IEND chunk", None
        if kind == b"IEND":
            if end == size:
                return None
            return ("its IEND chunk is cut short (the file may have been cut short)" if end > size
                    else f"it has {size - end:,} byte{'s' * (size - end != 1)} after its IEND "
                    "chunk"), None
        if end > size:
            return (f"it is cut short inside {_a_chunk(kind.decode('ascii'))}, before its IEND "
                    "chunk", kind)
    return "it ends without its IEND chunk (the file may have been cut short)", None


def _optional(kind: bytes) -> bool:
    """Whether a damaged chunk of type ``kind`` may be left out: an ancillary chunk (its
    first letter lower case) whose data does not change the pixels read.

    >>> _optional(b"tEXt"), _optional(b"pHYs"), _optional(b"tRNS"), _optional(b"IDAT")
    (True, True, False, False)
    """
    return kind[:1].islower() and kind not in PIXEL_CHUNKS


def check_png_chunks(im: Image.Image, path: str | os.PathLike[str]) -> None:
    """Refuse a PNG or APNG, opened as ``im``, with a chunk whose CRC does not match; warn
    of a damaged optional chunk, left out.

    Pillow checks the CRCs of the chunks before the image data only: a PNG whose
    image data (IDAT or fdAT chunks) was damaged decoded to a wrong image without a
    word, where libpng-based viewers refuse it. Every chunk up to IEND is checked,
    reading ``im``'s open file (for a pipe, the copy Pillow holds in memory), which
    is left where it was; a chunk cut short is left for the decoder to report.
    Other formats pass. A bad CRC in an optional chunk that does not change the pixels
    (one not in :data:`PIXEL_CHUNKS`: a text chunk, say) is a warning instead, as libpng
    and pngquant read such a file; the chunk is left out (:func:`readable_png` leaves
    out one before the image data, which Pillow would refuse).

    Raises
    ------
    ImageReadError
        Naming ``path`` and the first chunk whose CRC is wrong, critical or in
        :data:`PIXEL_CHUNKS`.
    """
    fp = getattr(im, "fp", None)
    if im.format != "PNG" or fp is None:
        return
    refused, left_out = _crc_damage(fp)
    if refused is not None:
        raise ImageReadError(_damaged_png(refused), path=path)
    _warn_left_out([*getattr(fp, "left_out", ()), *left_out])


def warn_chunks_left_out(im: Image.Image) -> None:
    """Warn of the damaged optional chunks :func:`readable_png` left out of the file ``im``
    was opened from, as :func:`check_png_chunks` does: for a reader that checks the chunks
    of a copy of the file, its bytes kept, once per reading."""
    _warn_left_out(getattr(getattr(im, "fp", None), "left_out", ()))


def _warn_left_out(kinds: list[str]) -> None:
    """Warn of the damaged optional chunks left out, of types ``kinds`` (one a chunk), each
    type named once with its count, in the order met."""
    counts = {kind: kinds.count(kind) for kind in kinds}
    if counts:
        named = [_a_chunk(kind) if n == 1 else f"{n} {kind} chunks" for kind, n in counts.items()]
        many = len(kinds) > 1
        warn_caller(f"bad CRC in {' and '.join(named)}, metadata the "
                    f"pixels do not depend on: {'they are' if many else 'it is'} left out, "
                    "as libpng leaves a damaged optional chunk, and the image is read",
                    DamagedChunkWarning)


def check_frame_count(im: Image.Image, n_frames: int, path: str | os.PathLike[str]) -> None:
    """Refuse a PNG, opened as ``im`` and showing ``n_frames`` frames, that holds more frame
    controls (fcTL chunks) than that, or, as an APNG (its acTL chunk read), fewer.

    Pillow reads as many frames as the acTL chunk gives: the frames after them were left
    out without a word (an APNG whose acTL gave one frame became a still image), and a
    frame past the last one held was looked for past the end of the file ("image file is
    truncated", of a file that ends with its IEND chunk). ``im``'s file is left where it
    was; other formats pass.

    Raises
    ------
    ImageReadError
        Naming ``path``, both counts and what was expected.
    """
    fp = getattr(im, "fp", None)
    if im.format != "PNG" or fp is None:
        return
    controls = frame_controls(fp)
    if controls is None:
        return
    animated = getattr(im, "custom_mimetype", None) == "image/apng"  # Pillow read an acTL
    if len(controls) > n_frames or (animated and len(controls) < n_frames):
        given = _actl_count(fp)  # as the file gives it: Pillow reads 0 or 2**32 - 1 as 1
        said = ("it has no acTL chunk" if given is None
                else f"its acTL chunk gives {given} frame{'s' * (given != 1)}")
        raise ImageReadError(f"malformed APNG: {said} but it holds {len(controls)} (fcTL "
                             "chunks); expected the two counts to agree", path=path)


def _actl_count(fp: Any) -> int | None:
    """The frame count the acTL chunk of the PNG in ``fp`` gives, or None when it has none
    before its image data. ``fp`` (seekable) is left where it was."""
    here = fp.tell()
    try:
        fp.seek(len(PNG_SIGNATURE))
        for length, kind in _chunks(fp):
            if kind == b"acTL" and length >= 4:
                return int.from_bytes(fp.read(4), "big")
            if kind in (b"IDAT", b"IEND"):
                return None
        return None
    finally:
        fp.seek(here)


def damaged_png_chunk(im: Image.Image) -> str | None:
    """The reason :func:`check_png_chunks` gives for ``im``, or None when it passes."""
    fp = getattr(im, "fp", None)
    if im.format != "PNG" or fp is None:
        return None
    kind = _crc_damage(fp)[0]
    return None if kind is None else _damaged_png(kind)


def _damaged_png(kind: str) -> str:
    """The reason given for a PNG whose chunk of type ``kind`` has a bad CRC.

    >>> _damaged_png("IDAT"), _damaged_png("tEXt"), _damaged_png("fdAT")
    ('damaged PNG (bad CRC in an IDAT chunk)', 'damaged PNG (bad CRC in a tEXt chunk)', \
'damaged PNG (bad CRC in an fdAT chunk)')
    """
    return f"damaged PNG (bad CRC in {_a_chunk(kind)})"


def _a_chunk(kind: str) -> str:
    """A chunk of type ``kind``, with its article as the type is spelled out.

    >>> _a_chunk("tEXt"), _a_chunk("fdAT"), _a_chunk("iTXt")
    ('a tEXt chunk', 'an fdAT chunk', 'an iTXt chunk')
    """
    spelled = kind[0] in "AEIOUaeiou" or kind in ("fcTL", "fdAT", "sRGB", "sBIT", "sPLT",
                                                   "sCAL", "hIST")
    return f"{'an' if spelled else 'a'} {kind} chunk"


def damaged_png_file(p: Path) -> str | None:
    """The reason given for ``p`` when it is a PNG with a bad CRC, else None (also when
    it cannot be read again)."""
    try:
        with open(p, "rb") as fp:
            kind = _crc_damage(fp)[0]
    except OSError:
        return None
    return None if kind is None else _damaged_png(kind)


def _chunks(fp: Any) -> Iterator[tuple[int, bytes]]:
    """The length and type of each chunk of the PNG in ``fp``, from its position (the
    first chunk's head), to a head cut short.

    ``fp`` is at the chunk's data when each is given, and is moved past its data and CRC
    before the next, whatever the caller read of them: a chunk cut short ends the walk.
    """
    while True:
        head = fp.read(8)
        if len(head) < 8:
            return
        length, kind = struct.unpack(">I4s", head)
        data = fp.tell()
        yield length, kind
        fp.seek(data + length + 4)


def png_end(fp: Any, at: int = 0) -> int | None:
    """Where the PNG whose signature is at ``at`` of the file object ``fp`` ends: after its
    IEND chunk's CRC; None when it has none within ``fp`` (cut short, or damaged). Only
    the chunks' heads are read.

    >>> import PIL.Image
    >>> still = _io.BytesIO(); PIL.Image.new("L", (1, 1)).save(still, format="PNG")
    >>> data = still.getvalue()
    >>> png_end(_io.BytesIO(data * 2), len(data)), png_end(_io.BytesIO(data[:-1]))
    (134, None)
    """
    fp.seek(0, os.SEEK_END)
    size = fp.tell()
    fp.seek(at + len(PNG_SIGNATURE))
    for length, kind in _chunks(fp):
        if kind == b"IEND":
            end = fp.tell() + length + 4
            return end if end <= size else None
    return None


def chunks_of(data: bytes) -> list[tuple[int, bytes, bytes]]:
    """Where each chunk of the PNG held whole in ``data`` starts, its type and its data.

    >>> import PIL.Image
    >>> still = _io.BytesIO(); PIL.Image.new("L", (1, 1)).save(still, format="PNG")
    >>> [(at, kind) for at, kind, _ in chunks_of(still.getvalue())]
    [(8, b'IHDR'), (33, b'IDAT'), (55, b'IEND')]
    """
    fp = _io.BytesIO(data)
    fp.seek(len(PNG_SIGNATURE))
    return [(fp.tell() - 8, kind, fp.read(length)) for length, kind in _chunks(fp)]


#: The text chunks of a PNG (tEXt, zTXt, iTXt), which :func:`png_text` keeps.
TEXT_CHUNKS = (b"tEXt", b"zTXt", b"iTXt")

#: The keywords of the text chunks :func:`png_text` leaves out: ImageMagick's copies of
#: profiles that describe the pixels as stored, not the picture. The EXIF ("exif", or
#: "APP1" of older versions) is kept in an eXIf chunk already, its orientation set to
#: upright and its GPS left out; the ICC profile ("icc", "icm") is of colours converted to
#: sRGB as they are read; a Photoshop resource block ("8bim") holds the profile, the
#: resolution and a thumbnail of the original. Its "iptc" and "xmp" texts are kept.
LEFT_OUT_TEXT = frozenset(b"Raw profile type " + name
                          for name in (b"exif", b"APP1", b"app1", b"icc", b"icm", b"8bim"))


def png_text(im: Image.Image) -> tuple[tuple[bytes, bytes], ...]:
    """The text chunks of ``im``, a PNG (APNG) opened by Pillow, that an output keeps: the
    type and data of each tEXt, zTXt and iTXt chunk (an XMP packet, ``XML:com.adobe.xmp``,
    included), before or after its image data, in the file's order and as stored (a
    compressed text stays compressed); not one with a bad CRC, nor one whose keyword is in
    :data:`LEFT_OUT_TEXT`. ``()`` for any other format, or a PNG without text. The chunks
    are walked by their heads, from ``im``'s open file (a pipe's bytes, or
    :func:`readable_png`'s), which is left where it was.

    >>> from PIL import PngImagePlugin
    >>> info = PngImagePlugin.PngInfo(); info.add_text("Copyright", "CC BY 4.0")
    >>> info.add_text("Raw profile type exif", "exif 0")
    >>> still = _io.BytesIO(); Image.new("L", (1, 1)).save(still, "PNG", pnginfo=info)
    >>> png_text(Image.open(still))
    ((b'tEXt', b'Copyright\\x00CC BY 4.0'),)
    """
    fp = getattr(im, "fp", None)
    if im.format != "PNG" or fp is None:
        return ()
    whole = getattr(fp, "whole", None)  # the file's own bytes, before readable_png's
    if whole is not None:  # changes: with the text chunks too long for Pillow to read
        return _whole_text(whole)
    here = fp.tell()
    try:
        fp.seek(0)
        if fp.read(len(PNG_SIGNATURE)) != PNG_SIGNATURE:
            return ()
        return tuple(_text_chunks(fp))
    finally:
        fp.seek(here)


def _whole_text(data: bytes) -> tuple[tuple[bytes, bytes], ...]:
    """:func:`png_text` of the PNG file of bytes ``data``."""
    fp = _io.BytesIO(data)
    fp.seek(len(PNG_SIGNATURE))
    return tuple(_text_chunks(fp))


def _text_chunks(fp: Any) -> Iterator[tuple[bytes, bytes]]:
    """:func:`png_text` of the PNG in ``fp``, at its first chunk."""
    for length, kind in _chunks(fp):
        if kind == b"IEND":
            return
        if kind not in TEXT_CHUNKS:
            continue
        data, stored = fp.read(length), fp.read(4)
        whole = len(data) == length and len(stored) == 4
        if (whole and zlib.crc32(data, zlib.crc32(kind)) == int.from_bytes(stored, "big")
                and data.split(b"\0", 1)[0] not in LEFT_OUT_TEXT):
            yield kind, data


class _MendedPng(_io.BytesIO):
    """The bytes of a PNG file without some of its chunks (:func:`readable_png`);
    ``left_out``: the types of those left out as damaged, for :func:`check_png_chunks`
    to warn of; ``whole``: the file's own bytes when a text chunk was left out as too long
    for Pillow, for :func:`png_text` to read its text from (else None)."""

    def __init__(self, data: bytes, left_out: list[str], whole: bytes | None = None):
        super().__init__(data)
        self.left_out = left_out
        self.whole = whole


def readable_png(p: Path) -> Path | BinaryIO:
    """What Pillow is given to open the file ``p``: ``p`` itself, or, for a PNG (APNG) with
    a compressed text chunk (zTXt, or iTXt) whose text inflates past what Pillow reads
    (``PngImagePlugin.MAX_TEXT_CHUNK``, 1 MiB), or an optional chunk with a bad CRC that
    may be left out (not one in :data:`PIXEL_CHUNKS`, which Pillow refuses before the
    image data), its bytes without those chunks; for an APNG whose acTL chunk gives
    :data:`UNKNOWN_FRAME_COUNT` frames, its bytes with the count of its frame controls
    (fcTL chunks) there instead (:func:`_placeholder_count`).

    Pillow refused such a file whole ("Decompressed data too large for
    PngImagePlugin.MAX_TEXT_CHUNK"), where pngquant, ImageMagick and browsers read it:
    the XMP in which Photoshop keeps a document's history may take megabytes. Text is
    metadata: the pixels are the file's; a text chunk left out here as too long is read
    by :func:`png_text` from the file's own bytes all the same, so that a PNG output keeps
    it, as stored, and another names it (a damaged chunk is kept by none). The chunks are
    walked
    by their heads, a compressed text chunk read and inflated up to that limit; only a
    regular file is read (a pipe cannot be read again), and one that cannot be read is
    left to Pillow to report; the damaged chunks left out are named by
    :func:`check_png_chunks`.
    """
    if not p.is_file():
        return p
    try:
        with open(p, "rb") as fp:
            if fp.read(len(PNG_SIGNATURE)) != PNG_SIGNATURE:
                return p
            spans, left_out = _chunks_left_out(fp)
            fp.seek(len(PNG_SIGNATURE))
            counted = _placeholder_count(fp)
            if not spans and counted is None:
                return p
            fp.seek(0)
            data = fp.read()
    except OSError:
        return p
    kept, at = bytearray(), 0
    for start, end, instead in sorted([(start, end, b"") for start, end in spans]
                                      + ([] if counted is None else [counted])):
        kept += data[at:start] + instead
        at = end
    # a text chunk left out as too long is kept in a PNG output all the same (png_text)
    too_long = len(spans) > len(left_out)
    return _MendedPng(bytes(kept + data[at:]), left_out, data if too_long else None)


#: The frame count of an acTL chunk that ffmpeg writes to a stream it cannot seek back
#: in (``ffmpeg -f apng -``), to be corrected at the end, which it cannot be there;
#: Pillow reads such a file as a still (a count over 2**31 is no APNG to it).
UNKNOWN_FRAME_COUNT = 0xFFFFFFFF


def _placeholder_count(fp: Any) -> tuple[int, int, bytes] | None:
    """Where the acTL chunk of the PNG in ``fp`` (after its signature) starts and ends, and
    that chunk with its frame count set to the frame controls' (fcTL chunks) and its CRC
    computed again, when it gives :data:`UNKNOWN_FRAME_COUNT` frames (its CRC whole); else
    None."""
    actl, controls = None, 0
    for length, kind in _chunks(fp):
        start = fp.tell() - 8
        if kind == b"acTL" and length == 8:
            body = fp.read(8)
            if body[:4] == UNKNOWN_FRAME_COUNT.to_bytes(4, "big") and \
                    fp.read(4) == zlib.crc32(b"acTL" + body).to_bytes(4, "big"):
                actl = (start, body[4:])
        controls += kind == b"fcTL"
        if kind == b"IEND":
            break
    if actl is None or controls == 0:
        return None
    start, plays = actl
    body = controls.to_bytes(4, "big") + plays
    return start, start + 20, (struct.pack(">I4s", 8, b"acTL") + body
                               + zlib.crc32(b"acTL" + body).to_bytes(4, "big"))


def _chunks_left_out(fp: Any) -> tuple[list[tuple[int, int]], list[str]]:
    """Where the chunks of the PNG in ``fp`` (after its signature) that :func:`readable_png`
    leaves out start and end, and the types of those left out as damaged."""
    spans, left_out = [], []
    for length, kind in _chunks(fp):
        start = fp.tell() - 8
        if kind in (b"zTXt", b"iTXt") and _text_too_long(kind, fp.read(length)):
            spans.append((start, start + length + 12))
        elif kind.isalpha() and _optional(kind):
            fp.seek(start + 8)
            if _crc_matches(fp, kind, length) is False:
                spans.append((start, start + length + 12))
                left_out.append(kind.decode("ascii"))
        if kind == b"IEND":
            break
    return spans, left_out


def _text_too_long(kind: bytes, data: bytes) -> bool:
    """Whether the compressed text of a zTXt or iTXt chunk's ``data`` inflates past
    Pillow's ``MAX_TEXT_CHUNK``, as Pillow tells it; a chunk too short, uncompressed (an
    iTXt's flag) or whose data does not inflate is left to Pillow."""
    from PIL import PngImagePlugin

    keyword_end = data.find(b"\0")
    if keyword_end < 0:
        return False
    if kind == b"iTXt":  # keyword, flag, method, language, translated keyword, text
        if data[keyword_end + 1:keyword_end + 2] != b"\1":
            return False
        fields = data[keyword_end + 3:].split(b"\0", 2)
        if len(fields) < 3:
            return False
        text = fields[2]
    else:  # keyword, method, text
        text = data[keyword_end + 2:]
    inflater = zlib.decompressobj()
    try:
        inflater.decompress(text, PngImagePlugin.MAX_TEXT_CHUNK)
    except zlib.error:
        return False
    return bool(inflater.unconsumed_tail)


def _crc_damage(fp: Any) -> tuple[str | None, list[str]]:
    """The type of the first chunk of the PNG in ``fp`` whose CRC does not match and that
    cannot be left out (:func:`_optional`), or None; and the types of the damaged ones
    before it that can.

    The walk ends, with what it found, when ``fp`` holds no PNG signature, and at a
    chunk cut short or of a type that is not four letters (the decoder names those, or
    ignores them after the image data). ``fp`` (seekable) is read from its start and
    left where it was.
    """
    here = fp.tell()
    left_out: list[str] = []
    try:
        fp.seek(0)
        if fp.read(len(PNG_SIGNATURE)) != PNG_SIGNATURE:
            return None, left_out
        for length, kind in _chunks(fp):
            if not kind.isalpha():
                break
            intact = _crc_matches(fp, kind, length)
            if intact is None:
                break
            if not intact and not _optional(kind):
                return kind.decode("ascii"), left_out
            if not intact:
                left_out.append(kind.decode("ascii"))
            if kind == b"IEND":
                break
        return None, left_out
    finally:
        fp.seek(here)


def _crc_matches(fp: Any, kind: bytes, length: int) -> bool | None:
    """Whether the CRC after the ``length`` bytes of data at ``fp`` of a chunk of type
    ``kind`` matches them; None for a chunk cut short. ``fp`` is left after the CRC."""
    crc = zlib.crc32(kind)
    while length:
        block = fp.read(min(length, _CRC_BLOCK))
        if not block:
            return None
        crc = zlib.crc32(block, crc)
        length -= len(block)
    stored = fp.read(4)
    if len(stored) < 4:
        return None
    return crc == int.from_bytes(stored, "big")


@contextlib.contextmanager
def whole_png_rows(im: Image.Image, path: str | os.PathLike[str]) -> Iterator[None]:
    """Around the decoding of ``im``, a file opened and not yet decoded: refuse a PNG or
    APNG whose image data ends before the last row of the image decoded.

    Such data (a valid zlib stream, its CRCs right, of fewer rows than the header
    gives: a file cut and mended, or written by a program that stopped) Pillow decodes
    without a word, the missing rows black (in a later frame of an APNG, what the
    canvas held there); libpng-based viewers refuse it. The first image of a file is
    told apart cheaply once decoded: the rows a decoder writes last (the last one, or of
    an interlaced image the last odd one) hold a byte other than 0 when they were
    written. Only when they are all 0, or when Pillow fails on the data (an image cut
    within a row), is its image data inflated again and its bytes counted
    (:func:`_short_png_data`); so is, before decoding, that of an APNG's first frame
    after a default image that is not one (and of the default image), which Pillow
    decodes onto a canvas. The other frames of an APNG are not read here (a reader of
    every frame calls :func:`check_png_frames`). Other formats pass.

    Raises
    ------
    ImageReadError
        Naming ``path`` (the frame of an APNG) and where the image data ends.
    """
    if im.format != "PNG" or getattr(im, "fp", None) is None:
        yield
        return
    if im.tell() > 0:
        _refuse_short_png(_short_png_data(im.fp, im.tell() + 1), path)
        yield
        return
    with second_reader(im) as copy:
        try:
            yield
        except OSError:  # Pillow's "image file is truncated": its data may say where
            reason = _short_png_data(copy, 1)
            if reason is None:
                raise
        else:
            reason = None if _last_rows_written(im) else _short_png_data(copy, 1)
    _refuse_short_png(reason, path)


def _refuse_short_png(reason: str | None, path: str | os.PathLike[str]) -> None:
    if reason is not None:
        raise ImageReadError(f"damaged PNG ({reason})", path=path)


def check_png_frames(im: Image.Image, path: str | os.PathLike[str],
                     images: int | None = None) -> None:
    """Refuse a PNG or APNG, opened as ``im``, whose image data (of its default image or
    any frame; with ``images``, of one of its first ``images`` images) ends before the
    last row of the image it holds.

    Before decoding: Pillow decodes the frames after the first onto a canvas, where the
    rows they lack are not told apart (see :func:`whole_png_rows`), so the data of every
    image is inflated once more and its bytes counted (:func:`_short_png_data`).
    ``im``'s file is left where it was. Other formats pass.

    Raises
    ------
    ImageReadError
        Naming ``path``, the frame, and where its image data ends.
    """
    fp = getattr(im, "fp", None)
    if im.format != "PNG" or fp is None:
        return
    _refuse_short_png(_short_png_data(fp, images), path)


def still_png(fp: Any) -> bool:
    """Whether the file in ``fp`` is a still PNG: a PNG with no animation control chunk
    (acTL, which an APNG holds before its image data) before its first IDAT chunk. Only
    the chunk headers before it are read. False for anything else (not a PNG, cut short
    before its image data).

    ``fp`` (seekable) is read from its start and left where it was.
    """
    here = fp.tell()
    try:
        fp.seek(0)
        if fp.read(len(PNG_SIGNATURE)) != PNG_SIGNATURE:
            return False
        for _, kind in _chunks(fp):
            if kind in (b"acTL", b"IEND"):
                return False
            if kind == b"IDAT":
                return True
        return False
    finally:
        fp.seek(here)


#: The most entries a PNG palette has, and so the most alpha values its tRNS chunk holds.
_PALETTE_ENTRIES = 256


def overlong_trns(im: Image.Image) -> int | None:
    """The length of the tRNS chunk of ``im``, a palette PNG or APNG opened (at its first
    image, not yet decoded), when it holds more alpha values than a palette has entries
    (256); None for any other image, and for one whose tRNS chunk is of a length a
    palette can have.

    Pillow failed to decode such an image ("palette index out of range"), or, when its
    only transparent value came first, made that entry transparent; libpng and browsers
    leave the whole chunk out. Only the chunk headers before the image data are read;
    ``im``'s file is left where it was.
    """
    fp = getattr(im, "fp", None)
    if im.format != "PNG" or im.mode != "P" or fp is None or "transparency" not in im.info:
        return None
    here = fp.tell()
    try:
        fp.seek(len(PNG_SIGNATURE))
        for length, kind in _chunks(fp):
            if kind in (b"IDAT", b"IEND"):
                return None
            if kind == b"tRNS":
                return length if length > _PALETTE_ENTRIES else None
        return None
    finally:
        fp.seek(here)


def frame_controls(fp: Any) -> list[tuple[int, int]] | None:
    """The ``(dispose_op, blend_op)`` of every frame control (fcTL) chunk of the APNG in
    ``fp``, in the file's order, read from the chunk headers alone (no image data is
    read); None when a chunk is cut short or an fcTL chunk too short.

    ``fp`` (seekable) is read from its start and left where it was.
    """
    here = fp.tell()
    controls = []
    try:
        fp.seek(len(PNG_SIGNATURE))
        for length, kind in _chunks(fp):
            if kind == b"IEND":
                return controls
            if kind == b"fcTL":
                body = fp.read(length)
                if length < 26 or len(body) != length:
                    return None
                controls.append((body[24], body[25]))
        return None
    finally:
        fp.seek(here)


def _last_rows_written(im: Image.Image) -> bool:
    """Whether ``im``, a PNG decoded onto a new image (whose pixels start at 0), shows that
    its decoder wrote the row it writes last: it holds a byte other than 0.

    That is the last row, or of an interlaced image its last odd row (the last pass holds
    every odd row and no other). An interlaced image of one row is not told.
    """
    w, h = im.size
    if im.info.get("interlace") and h == 1:
        return False
    y = h - 1 - (h % 2) if im.info.get("interlace") else h - 1
    return im.crop((0, y, w, y + 1)).getbbox(alpha_only=False) is not None


# Samples per pixel of each PNG colour type, and the first row and column and the steps of
# the seven passes of an interlaced (Adam7) image.
_PNG_SAMPLES = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
_ADAM7 = ((0, 0, 8, 8), (0, 4, 8, 8), (4, 0, 8, 4), (0, 2, 4, 4), (2, 0, 4, 2), (0, 1, 2, 2),
          (1, 0, 2, 1))
# Bytes inflated at a time when counting a PNG's image data.
_INFLATE_BLOCK = 1 << 20


def _png_passes(size: tuple[int, int], bits: int, interlaced: bool
                ) -> list[tuple[int, int, int]]:
    """(pass number, rows, bytes per row with its filter byte) of each pass of the image
    data of a ``size`` (w, h) image of ``bits`` per pixel that holds rows; one pass (0)
    when it is not interlaced.

    >>> _png_passes((4, 5), 24, False)
    [(0, 5, 13)]
    >>> _png_passes((2, 1), 8, True)
    [(1, 1, 2), (6, 1, 2)]
    """
    w, h = size
    if not interlaced:
        return [(0, h, 1 + (w * bits + 7) // 8)]
    passes = []
    for n, (y0, x0, dy, dx) in enumerate(_ADAM7, start=1):
        rows, cols = max(0, -(-(h - y0) // dy)), max(0, -(-(w - x0) // dx))
        if rows and cols:
            passes.append((n, rows, 1 + (cols * bits + 7) // 8))
    return passes


def _where_data_ends(got: int, size: tuple[int, int], bits: int, interlaced: bool) -> str | None:
    """Where image data of ``got`` bytes ends in a ``size`` image (see :func:`_png_passes`),
    or None when it holds every row.

    >>> _where_data_ends(39, (4, 5), 24, False)
    'after 3 of 5 rows'
    >>> _where_data_ends(65, (4, 5), 24, False) is None
    True
    >>> _where_data_ends(2, (2, 1), 8, True)
    'in interlace pass 6 of 7'
    """
    passes = _png_passes(size, bits, interlaced)
    if got >= sum(rows * width for _, rows, width in passes):
        return None
    if not interlaced:
        return f"after {got // passes[0][2]} of {size[1]} rows"
    for n, rows, width in passes:
        if got < rows * width:
            return f"in interlace pass {n} of 7"
        got -= rows * width
    return None  # not reached


def _short_png_data(fp: Any, images: int | None = None) -> str | None:
    """Where the image data of one of the first ``images`` images of the PNG in ``fp`` (all
    by default) ends before its last row: "image data ends after 3 of 5 rows", or in an
    APNG "image data of frame 2 ends ..." (or "of the default image", when that is not a
    frame); None when they are whole.

    The images are the default image (IDAT chunks) and the frames (fdAT chunks) in the
    file's order; the data of each is inflated and its bytes counted. Data that cannot
    be inflated is said so ("image data cannot be inflated: invalid code lengths set").
    None too at a chunk cut short, which the decoder names.
    ``fp`` (seekable) is read from its start and left where it was.
    """
    short = first_short_png_image(fp, images)
    return None if short is None else short[1]


def first_short_png_image(fp: Any, images: int | None = None) -> tuple[int, str] | None:
    """The number (from 1) of the first of the first ``images`` images (all by default) of
    the PNG in ``fp`` whose image data ends before its last row, and where (the reason
    :func:`check_png_frames` gives); None when they are whole.

    For a reader of the frames one at a time, who checks more images than it needs now
    and keeps the answer. ``fp`` (seekable) is left where it was.
    """
    here = fp.tell()
    try:
        fp.seek(len(PNG_SIGNATURE))
        return _walk_png_data(fp, images)
    finally:
        fp.seek(here)


def _walk_png_data(fp: Any, images: int | None) -> tuple[int, str] | None:
    """:func:`first_short_png_image`, ``fp`` at the first chunk."""
    header: tuple[int, int, int, bool] | None = None  # width, height, bits a pixel, interlaced
    animated, frame, frame_size = False, 0, (0, 0)
    current: _ImageData | None = None
    done = 0  # images whose data is over
    for length, kind in _chunks(fp):
        if current is not None and kind not in (b"IDAT", b"fdAT"):  # its data is over
            reason, current, done = current.ends(), None, done + 1
            if reason is not None:
                return done, reason
            if done == images:
                return None
        if kind == b"IEND":
            return None
        if kind in (b"IHDR", b"fcTL"):
            body = fp.read(length)
            if len(body) != length or length < 13 + 13 * (kind == b"fcTL"):
                return None
            if kind == b"IHDR":
                w, h, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body[:13])
                header = (w, h, depth * _PNG_SAMPLES.get(colour, 0), bool(interlace))
            else:
                frame, frame_size = frame + 1, struct.unpack(">II", body[4:12])
        elif kind in (b"IDAT", b"fdAT") and header is not None:
            if current is None:
                what = f" of frame {frame}" if frame else " of the default image"
                size = header[:2] if kind == b"IDAT" else frame_size
                current = _ImageData(what if animated else "", size, *header[2:])
            if kind == b"fdAT":  # its sequence number, then data
                length -= len(fp.read(min(length, 4)))
            if not _read_into(fp, length, current):
                return None
        else:
            animated = animated or kind == b"acTL"
    return None


def _read_into(fp: Any, length: int, data: _ImageData) -> bool:
    """Read ``length`` bytes of image data from ``fp`` into ``data``; False when cut short."""
    while length > 0:
        block = fp.read(min(length, _CRC_BLOCK))
        if not block:
            return False
        data.add(block)
        length -= len(block)
    return True


class _ImageData:
    """The image data of one image of a PNG (the zlib stream its IDAT or fdAT chunks
    hold), inflated as it comes to count its bytes; ``what`` names the image in a
    message (" of frame 2")."""

    def __init__(self, what: str, size: tuple[int, int], bits: int, interlaced: bool):
        self._what, self._shape = what, (size, bits, interlaced)
        self._need = sum(rows * width for _, rows, width in _png_passes(size, bits, interlaced))
        self._inflate: Any = zlib.decompressobj()
        self._got = 0
        self._error: str | None = None  # why the data cannot be inflated

    def add(self, data: bytes) -> None:
        """Inflate ``data``, the next part of the stream, up to the bytes the image takes."""
        try:
            while data and self._inflate is not None and self._got < self._need:
                self._got += len(self._inflate.decompress(data, _INFLATE_BLOCK))
                data = self._inflate.unconsumed_tail
        except zlib.error as exc:
            self._inflate, self._error = None, _inflate_error(exc)

    def ends(self) -> str | None:
        """Where the image data ends before the last row ("image data ends after 3 of 5
        rows"), or that it cannot be inflated ("image data cannot be inflated: invalid
        distance too far back"); None when it holds every row."""
        if self._error is not None:
            return f"image data{self._what} cannot be inflated: {self._error}"
        if self._got < self._need:
            with contextlib.suppress(zlib.error):
                self._got += len(self._inflate.flush())
        where = _where_data_ends(self._got, *self._shape)
        return None if where is None else f"image data{self._what} ends {where}"


def _inflate_error(exc: zlib.error) -> str:
    """What zlib found wrong in a stream, without its error number: "Error -3 while
    decompressing data: invalid stored block lengths" says "invalid stored block lengths".

    >>> _inflate_error(zlib.error("Error -3 while decompressing data: incorrect header check"))
    'incorrect header check'
    """
    return str(exc).rpartition(": ")[2] or "invalid data"
