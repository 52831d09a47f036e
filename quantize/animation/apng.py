"""A streaming APNG writer: frames written as they come, one waiting at a time.

Pillow's ``save_all`` writes an APNG from every frame at once: it stores the
frame count (the acTL chunk) before the frames and holds every frame as an image
until it has seen them all, so memory grew with the number of frames. This
writer writes the bytes Pillow writes for the same palette frames with disposal
"none" and blend "source", frame by frame: each frame after the first cropped to
the box of the pixels that differ from the frame before it, its delay the
fraction Pillow gives its duration. A frame may also come with its box's pixels
that show what the frame before shows drawn with a transparent entry, to be
written with blend "over" (they leave the canvas as it is) when that deflates
smaller, as unchanged pixels of a GIF frame are left transparent. What comes
before the image data and each frame's compressed data are Pillow's own (a still
PNG of the first frame, and of each frame's box, saved with the same palette and
compression level); the acTL
chunk is written with a count of 0 and filled in on ``close``, so the file must
be seekable. A frame waits for the next one, as its chunk type and its
duration (frames showing one picture are merged by the caller) are known only
then. An animation of one frame is written as Pillow writes it with a default
image: the picture as the default image, then as the one frame. A frame longer
than an APNG frame holds (65,535 s) is written as several showing its picture
(:func:`split_duration`), each after the first written whole, as Pillow writes a
frame that changes no pixel of the one before it.
"""

from __future__ import annotations

import io
import struct
import zlib
from dataclasses import dataclass
from fractions import Fraction
from typing import BinaryIO

import numpy as np
from PIL import Image

from ..encode import apng_delay
from ..png import chunks_of
from .gif import split_delay

__all__ = ["ApngWriter", "split_duration"]

# fcTL's dispose_op "none", and blend_op "source" and "over".
_DISPOSE_NONE, _BLEND_SOURCE, _BLEND_OVER = 0, 0, 1
# Bytes a chunk of image data costs beside its data: length, type, CRC and fdAT's
# sequence number (an IDAT chunk has no sequence number: 4 fewer).
_CHUNK_OVERHEAD = 16


@dataclass
class _Pending:
    """A frame waiting for its successor: its entries, its box, its duration (ms) and its
    box to draw with blend "over", if any."""

    indices: np.ndarray
    box: tuple[int, int, int, int]  # (left, top, right, bottom)
    duration: float
    over: np.ndarray | None = None  # the box's entries, unchanged pixels transparent


class ApngWriter:
    """Write an APNG of palette frames to a seekable binary file object, frame by frame.

    Parameters
    ----------
    fp : binary file object
        Where the APNG goes; it is written in order, then acTL's frame count is
        filled in on ``close`` (a seek back and forth).
    size : (int, int)
        Width and height of every frame.
    palette : (k, 3) ndarray of uint8
        The colour table of every frame, k <= 256.
    transparent : int, bytes or None
        The entry shown transparent, or the alpha of the entries up to the last that
        is not opaque (the PNG's tRNS chunk).
    loop : int
        Plays, 0 forever.
    compress_levels : tuple of int
        zlib levels of the image data, as Pillow's ``compress_level``: each frame's data is
        deflated at each and the smallest kept (the first level's on a tie), so that adding
        a level never makes the file larger.
    longest_ms : float
        The longest frame written, a whole number of seconds: a longer one is written as
        several showing its picture (:func:`split_duration`).
    dpi : (float, float) or None
        The physical resolution written to a pHYs chunk (as Pillow's ``dpi``), or None.
    exif : bytes or None
        The EXIF block written to an eXIf chunk before the image data (as Pillow's
        ``exif``), or None.
    text : tuple of (bytes, bytes)
        Text chunks (type and data: :func:`~quantize.png.png_text`'s) written after it,
        before the acTL chunk and the image data.

    Notes
    -----
    Prior validation is assumed. Each frame given to ``add`` shows another
    picture than the one before it (the caller merges frames showing one, adding
    their durations with ``extend``).
    """

    def __init__(self, fp: BinaryIO, size: tuple[int, int], palette: np.ndarray,
                 transparent: int | bytes | None, loop: int, compress_levels: tuple[int, ...],
                 longest_ms: float, dpi: tuple[float, float] | None = None,
                 exif: bytes | None = None,
                 text: tuple[tuple[bytes, bytes], ...] = ()) -> None:
        self._fp, self._size, self._loop, self._dpi = fp, size, loop, dpi
        self._exif, self._text = exif, text
        self._palette = np.ascontiguousarray(palette, dtype=np.uint8).tobytes()
        self._transparent = transparent
        self._levels, self._longest = compress_levels, longest_ms
        self._pending: _Pending | None = None
        self._count_at: int | None = None  # where acTL's frame count is written
        self._sequence = 0
        #: Frames written so far (the one waiting is counted once it is written; a long
        #: one written as several counts as several).
        self.frames_written = 0

    @property
    def held_bytes(self) -> int:
        """Bytes of the frame waiting to be written (one frame's entries, or none)."""
        if self._pending is None:
            return 0
        over = self._pending.over
        return self._pending.indices.nbytes + (0 if over is None else over.nbytes)

    def add(self, indices: np.ndarray, box: tuple[int, int, int, int] | None,
            duration: float, over: np.ndarray | None = None) -> None:
        """Queue a frame of ``(H, W)`` entries lasting ``duration`` ms, its ``box`` the
        pixels that differ from the frame before it (None: the whole frame), and write
        the frame waiting before it. ``over``: the box's entries with the pixels that
        show what the frame before shows there given a transparent entry, written with
        blend "over" instead when that is smaller (every other pixel must be opaque)."""
        if self._pending is None:
            self._write_head(indices)
        else:
            self._write_frame(self._pending, first=self.frames_written == 0)
        w, h = self._size
        self._pending = _Pending(np.ascontiguousarray(indices, dtype=np.uint8),
                                 box or (0, 0, w, h), float(duration), over)

    def extend(self, duration: float) -> None:
        """Add ``duration`` ms to the frame waiting (the next frame showed the same picture)."""
        assert self._pending is not None
        self._pending.duration += float(duration)

    def close(self) -> None:
        """Write the frame waiting, the frame count and the end of the file."""
        if self._pending is None:
            return
        if self.frames_written == 0:  # one frame: the picture is also the default image
            self._chunks(b"IDAT", self._image_data(self._pending.indices))
        self._write_frame(self._pending, first=False)
        self._pending = None
        self._chunk(b"IEND", b"")
        end = self._fp.tell()
        assert self._count_at is not None
        self._fp.seek(self._count_at)
        self._chunk(b"acTL", struct.pack(">II", self.frames_written, self._loop))
        self._fp.seek(end)

    # -- chunks ------------------------------------------------------------

    def _write_head(self, indices: np.ndarray) -> None:
        """The signature and what Pillow writes before the image data, the text chunks,
        then acTL."""
        still = io.BytesIO()
        params: dict[str, object] = {"compress_level": self._levels[0]}
        if self._transparent is not None:
            params["transparency"] = self._transparent
        if self._dpi is not None:
            params["dpi"] = self._dpi
        if self._exif is not None:
            params["exif"] = self._exif
        self._image(indices).save(still, format="PNG", **params)
        data = still.getvalue()
        self._fp.write(data[:next(at for at, kind, _ in chunks_of(data) if kind == b"IDAT")])
        for kind, body in self._text:
            self._chunk(kind, body)
        self._count_at = self._fp.tell()
        self._chunk(b"acTL", struct.pack(">II", 0, self._loop))

    def _write_frame(self, frame: _Pending, *, first: bool) -> None:
        """The frame, as several showing its picture when it is longer than a frame holds:
        the first of its box (or its ``over`` box, when smaller), the others whole."""
        w, h = self._size
        for n, duration in enumerate(split_duration(frame.duration, self._longest)):
            box = frame.box if n == 0 else (0, 0, w, h)
            blend, data = _BLEND_SOURCE, self._image_data(_in_box(frame.indices, box))
            if n == 0 and frame.over is not None:
                over = self._image_data(frame.over)
                if _stored(over) < _stored(data):
                    blend, data = _BLEND_OVER, over
            self._write_part(data, box, duration, blend, first=first and n == 0)

    def _write_part(self, data: list[bytes], box: tuple[int, int, int, int],
                    duration: float, blend: int, *, first: bool) -> None:
        """fcTL, then the image ``data`` of ``box``: IDAT for the first frame of an
        animation of several (it is also the default image), fdAT for the others."""
        left, top, right, bottom = box
        num, den = apng_delay(duration)
        # the fraction Pillow makes of the duration in ms it is given, 1000 * num / den
        delay = Fraction(1000 * num / den / 1000).limit_denominator(65535)
        self._chunk(b"fcTL", struct.pack(">IIIIIHHBB", self._next(), right - left,
                                         bottom - top, left, top, delay.numerator,
                                         delay.denominator, _DISPOSE_NONE, blend))
        if first:
            self._chunks(b"IDAT", data)
        else:
            for part in data:
                self._chunk(b"fdAT", struct.pack(">I", self._next()) + part)
        self.frames_written += 1

    def _image_data(self, indices: np.ndarray) -> list[bytes]:
        """The data of the IDAT chunks Pillow writes for ``indices`` with this palette, at
        the level of ``compress_levels`` that makes the fewest bytes of chunks."""
        image = self._image(indices)
        return min((self._idat(image, level) for level in self._levels), key=_stored)

    @staticmethod
    def _idat(image: Image.Image, level: int) -> list[bytes]:
        still = io.BytesIO()
        image.save(still, format="PNG", compress_level=level)
        return [data for _, kind, data in chunks_of(still.getvalue()) if kind == b"IDAT"]

    def _image(self, indices: np.ndarray) -> Image.Image:
        h, w = indices.shape
        image = Image.frombytes("P", (w, h), np.ascontiguousarray(indices).tobytes())
        image.putpalette(self._palette, "RGB")
        return image

    def _next(self) -> int:
        number, self._sequence = self._sequence, self._sequence + 1
        return number

    def _chunks(self, kind: bytes, parts: list[bytes]) -> None:
        for part in parts:
            self._chunk(kind, part)

    def _chunk(self, kind: bytes, data: bytes) -> None:
        self._fp.write(struct.pack(">I", len(data)) + kind + data
                       + struct.pack(">I", zlib.crc32(data, zlib.crc32(kind))))


def _in_box(indices: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """The entries of ``box`` (left, top, right, bottom) of ``(H, W)`` ``indices``."""
    left, top, right, bottom = box
    return indices[top:bottom, left:right]


def _stored(parts: list[bytes]) -> int:
    """Bytes the image data ``parts`` take as chunks."""
    return sum(_CHUNK_OVERHEAD + len(part) for part in parts)


def split_duration(ms: float, most: float) -> list[float]:
    """``ms`` as the durations (ms) of the APNG frames that show one picture that long,
    each at most ``most`` ms (a whole number of seconds): ``[ms]`` when it fits, else whole
    seconds, which a frame's delay holds exactly, as few as hold it and as equal as can be
    (:func:`~quantize.animation.gif.split_delay`), adding up to ``ms`` to the nearest second.

    >>> split_duration(40.5, 65_535_000), split_duration(80_000_000.4, 65_535_000)
    ([40.5], [40000000.0, 40000000.0])
    """
    if ms <= most:
        return [ms]
    return [1000.0 * part for part in split_delay(round(ms / 1000), int(most // 1000))]
