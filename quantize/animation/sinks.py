"""Where reduced frames go: a GIF, an APNG or a TIFF's pages written as they stream, or a
WebP through Pillow.

Each sink takes frames as palette indices (``add``), finishes the file on
``close`` and counts the frames it wrote (``frames_written``). What each
format keeps:

- **GIF** (:class:`~quantize.animation.gif.GifWriter`): one global palette (or
  a local one per frame), binary transparency, durations in centiseconds,
  loop count, disposal; frames written as difference boxes; every frame kept (one
  longer than 655.35 s as several showing its picture, each at most that long).
- **APNG** (``.png``, :class:`~quantize.animation.apng.ApngWriter`): palette
  frames, their tRNS chunk holding the transparent entry or, for a palette with
  alpha (``(k, 4)``), each entry's alpha (partial alpha); durations (a frame longer
  than 65,535 s as several, as for GIF, in whole seconds), loop count.
  Every frame is the whole picture shown, so each is written with disposal "none",
  cropped to the box that changed since the previous frame, pixels that become
  transparent or change only in alpha included, which draws every frame exactly
  whatever disposal the input used. Each box is written with blend "source" (the bytes
  Pillow's ``save_all`` writes for these frames) or, when smaller, with blend "over",
  its unchanged pixels drawn with a transparent entry (:class:`_ApngSink`). (With
  "background" or "previous" disposal, Pillow compared a frame with the canvas left
  after the previous frame is disposed of, and merged it into that frame when they
  matched: a frame cleared to background followed by an empty frame lost the empty one.)
- **WebP** (``.webp``): lossless RGBA frames (the palette colours and alpha exactly),
  durations (a frame longer than 16,777.215 s as several, as for GIF), loop count;
  libwebp stores differences itself (each frame cropped to what changed, unchanged
  pixels in it left transparent where that is smaller), with method 4 and no key frames
  (``optimize``: also ``minimize_size``), and has no disposal field.
- **TIFF** (``.tif``, ``.tiff``): one page per frame, every frame kept, each the
  whole picture shown, indexed (a palette TIFF page, 8 bits a pixel, the palette in
  its colour map, as a still ``.tif`` of an opaque image is; bilevel, Group 4, when it is
  black and white only, 1 bit a pixel of two other colours, and a grey page of a grey
  input's grey entries: :func:`~quantize.encode.tiff_page`), or in RGBA when the palette
  has a transparent entry or entries with alpha, and deflated losslessly as a still ``.tif`` is
  (:func:`~quantize.encode.tiff_options`); no durations, loop count nor
  disposal.

The input's physical resolution (``dpi``) is kept by an APNG (its pHYs chunk) and by a
TIFF's pages (their resolution tags: each page a TIFF page's own, given to ``add``); GIF and
WebP have no field for it. The input's
EXIF (``exif``) is kept by an APNG (an eXIf chunk before its image data, where Pillow
writes it), a WebP (its EXIF chunk) and a TIFF's first page (its tags:
:func:`~quantize.encode.tiff_with_exif`, once the pages are written); a GIF holds none.

The APNG and WebP sinks merge a frame that shows the same picture as the one
before it into that frame, adding its duration (as Pillow and libwebp would do,
but counted here). When one picture is left, an APNG is still written as an
animation of one frame, with the whole duration and the loop count (plus the
picture as the default image, as Pillow writes it); a WebP of one frame is a
still image (libwebp writes no animation of one frame).

The GIF sink holds two frames at a time, the APNG sink one (written when the
next one shows another picture, its duration then known; the frame count is
filled in on ``close``, so the file must be seekable: an APNG to a stream that
is not is made in memory, as compressed as the file), the TIFF sink none: each page is written as
it comes (to a file it can read back and seek in, as each page is linked into the
one before it; to another, into memory, deflated, until ``close``). Pillow writes a
WebP from every frame at once (its writer takes them as a list, and libwebp keeps
every encoded frame until it assembles the file), so those frames wait for
``close`` as deflated palette indices (a fraction of a byte a pixel); during
``close`` Pillow lists them all inflated (a byte a pixel each) and converts one at a
time to RGBA for the encoder.
"""

from __future__ import annotations

import io
import os
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

import numpy as np
from PIL import Image, TiffImagePlugin

from .._kernels import same_pixels
from ..encode import png_bit_depth, tiff_options, tiff_page, tiff_with_exif, trns
from ..errors import StillImageWarning, TimingLossWarning, warn_caller
from ..io import MAX_PALETTE, held_dpi
from ..reconstruct.palette import indexed_image
from .apng import ApngWriter
from .gif import MAX_DELAY_CS, GifWriter, RecentCodes, bounding_box, split_delay

__all__ = ["ANIMATION_EXTENSIONS", "FORMAT_NAMES", "FrameSink", "default_suffix",
           "max_plays", "open_sink", "palette_frames", "partial_alpha_frames", "warn_timing_loss"]

#: Output extensions an animation can be written to (a TIFF as its pages), and Pillow's
#: format name.
ANIMATION_EXTENSIONS = {".gif": "GIF", ".png": "PNG", ".apng": "PNG", ".webp": "WEBP",
                        ".tif": "TIFF", ".tiff": "TIFF"}
#: The name users know each of those formats by, for messages (Pillow's animated PNG is APNG).
FORMAT_NAMES = {"GIF": "GIF", "PNG": "APNG", "WEBP": "WebP", "TIFF": "TIFF"}
#: Formats whose frames are palette images: a colour table of at most 256 entries, the
#: transparent one among them (WebP frames and TIFF pages are written in RGB or RGBA).
_PALETTE_FRAMES = {"GIF", "PNG"}
#: Largest loop count GIF's NETSCAPE extension and WebP's ANIM chunk hold (16 bits).
_MAX_LOOP = 65535
#: Longest frame (ms) each format holds: GIF 16 bits of centiseconds, APNG 65,535/1 s,
#: WebP 24 bits of milliseconds (libwebp refuses a longer frame).
_MAX_FRAME_MS = {"GIF": 10.0 * MAX_DELAY_CS, "PNG": 65_535_000.0, "WEBP": float(0xFFFFFF)}
# An extended WebP file: RIFF header (12 bytes), then the VP8X chunk's tag, size and flags.
_VP8X_TAG, _VP8X_FLAGS, _VP8X_ALPHA = 12, 20, 0x10
# libwebp's settings for an animation's frames (Pillow's default for one is method 0, its
# fastest: 3-5 times larger on screen recordings). Method 4 without key frames (``kmax`` 0:
# every frame after the first stores only what changed) was the smallest short of
# ``minimize_size`` and no slower than method 0 with them; method 6 was larger and slower.
# With ``optimize`` also ``minimize_size`` (each frame tried more ways), the smaller kept.
_WEBP_ANIMATION = {"lossless": True, "method": 4, "kmin": 0, "kmax": 0}
_WEBP_ANIMATION_OPTIMIZE = {"minimize_size": True}
# zlib level for APNG frames: 6 (about 10 % smaller than 4); with ``optimize`` also 9
# (3 % smaller again, seven times slower, but now and then a few bytes larger: the
# smaller is kept, a frame's data at a time).
_PNG_COMPRESS_LEVEL = 6
_PNG_COMPRESS_LEVEL_OPTIMIZE = 9


class FrameSink(Protocol):
    frames_written: int
    #: Whether ``optimize`` made the encoder spend more effort on this format (for a GIF:
    #: whether that stored some frame smaller, :class:`~quantize.animation.gif.GifWriter`),
    #: the record's ``optimized``, which the command line reads to say that ``--optimize``
    #: did nothing.
    optimized: bool

    # ``gray``: the frame was read grey (:attr:`~quantize.animation.frames.Frame.gray`),
    # ``dpi``: a page's own resolution (:attr:`~quantize.animation.frames.Frame.dpi`),
    # which only a TIFF's pages keep (:class:`_TiffSink`); the other sinks take them unused.
    def add(self, indices: np.ndarray, *, palette: np.ndarray | None = None,
            transparent: int | None = None, duration: float = 0, disposal: int = 1,
            keep: np.ndarray | None = None, gray: bool = False,
            dpi: tuple[float, float] | None = None) -> None: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class _Packed:
    """An indexed frame waiting for the encoder: its indices deflated (a frame of an
    animation deflates to a fraction of a byte a pixel) and its palette's RGBA colours."""

    data: bytes     # zlib stream of the (H, W) uint8 indices (uint16 for a palette of
                    # more than 256 entries)
    palette: bytes  # the colours, RGBA (:func:`_rgba`)

    def image(self, size: tuple[int, int]) -> Image.Image:
        """The frame as a palette image of ``size`` (width, height); in RGBA when its palette
        has more entries than a palette image holds (256 colours and the transparent one)."""
        if len(self.palette) > 4 * MAX_PALETTE:
            table = np.frombuffer(self.palette, np.uint8).reshape(-1, 4)
            indices = np.frombuffer(zlib.decompress(self.data), np.uint16)
            return Image.fromarray(table.take(indices.reshape(size[1], size[0]), axis=0))
        image = Image.frombytes("P", size, zlib.decompress(self.data))
        image.putpalette(self.palette, "RGBA")
        return image


class _Unpacked:
    """Queued frames as palette images, inflated as they are iterated over (Pillow's WebP
    writer lists them, each a byte a pixel, and converts one at a time to RGBA)."""

    def __init__(self, frames: list[_Packed], size: tuple[int, int]) -> None:
        self._frames, self._size = frames, size

    def __len__(self) -> int:
        return len(self._frames)

    def __iter__(self) -> Iterator[Image.Image]:
        return (frame.image(self._size) for frame in self._frames)


@dataclass
class _Shown:
    """A frame's picture as its ``(H, W)`` entries into ``table``, ``(n, 4)`` RGBA (each
    entry's colour as shown: :func:`_rgba`), so that two frames' pictures are compared
    where their entries differ only, not colour by colour over the whole frame (unless
    they differ over more than half of it: the picture is then looked up once, and kept
    for the next frame's comparison)."""

    indices: np.ndarray
    table: np.ndarray
    _picture: np.ndarray | None = None  # ``table[indices]``, once looked up

    @property
    def whole(self) -> tuple[int, int, int, int]:
        """The frame's box (left, top, right, bottom)."""
        h, w = self.indices.shape
        return 0, 0, w, h

    def picture(self) -> np.ndarray:
        """The ``(H, W, 4)`` RGBA picture."""
        if self._picture is None:
            self._picture = self.table.take(self.indices, axis=0)  # a row at a time
        return self._picture

    def changed_box(self, before: _Shown) -> tuple[int, int, int, int] | None:
        """The box (left, top, right, bottom) of the pixels whose colour differs from what
        ``before`` shows there; None when the pictures are the same."""
        if np.array_equal(self.table, before.table):  # the same colours: same entries show them
            differ = self.indices != before.indices
            if not differ.any():
                return None
            left, top, right, bottom = bounding_box(differ)
            if 2 * (right - left) * (bottom - top) <= differ.size:
                now = self.indices[top:bottom, left:right]
                was = before.indices[top:bottom, left:right]
                return _offset(_changed(self.table.take(now, axis=0),
                                        before.table.take(was, axis=0)), left, top)
        return _changed(self.picture(), before.picture())

    def clear(self, box: tuple[int, int, int, int]) -> bool:
        """Whether some pixel of ``box`` is shown not opaque (alpha below 255)."""
        left, top, right, bottom = box
        return bool((self.table[:, 3] < 255)[self.indices[top:bottom, left:right]].any())


def _changed(picture: np.ndarray, before: np.ndarray) -> tuple[int, int, int, int] | None:
    """The box (left, top, right, bottom) of the pixels where two ``(H, W, 4)`` pictures
    differ; None where none does."""
    changed = ~same_pixels(picture, before)
    return bounding_box(changed) if changed.any() else None


def _offset(box: tuple[int, int, int, int] | None, left: int, top: int
            ) -> tuple[int, int, int, int] | None:
    """``box`` (left, top, right, bottom) moved ``left`` and ``top`` pixels; None stays."""
    if box is None:
        return None
    return box[0] + left, box[1] + top, box[2] + left, box[3] + top


class _PillowSink:
    """Collect indexed frames and save them with Pillow's ``save_all`` on close: a WebP
    (``fmt`` "WEBP", Pillow's name; :class:`_ApngSink` writes every APNG).

    Raises
    ------
    ValueError
        For another ``fmt``.
    """

    def __init__(self, fp: BinaryIO, fmt: str, size: tuple[int, int], palette: np.ndarray,
                 loop: int, optimize: bool, dpi: tuple[float, float] | None = None,
                 exif: bytes | None = None) -> None:
        if fmt != "WEBP":
            raise ValueError(f"fmt={fmt!r}: this sink writes a WebP only, expected 'WEBP' "
                             "(an APNG, 'PNG', is written by _ApngSink)")
        self._fp, self._palette, self._loop = fp, palette, loop
        self._size, self._dpi, self._exif = size, dpi, exif
        self._optimize = optimize
        #: With ``optimize``: whether libwebp's ``minimize_size`` stored the WebP smaller
        #: (set on ``close``).
        self.optimized = False
        self._frames: list[_Packed] = []
        self._durations: list[float] = []
        self._shown: _Shown | None = None  # the last frame queued
        self._clear = False  # whether some queued frame has pixels not opaque (alpha below 255)
        self.frames_written = 0

    @property
    def held_bytes(self) -> int:
        """Bytes held for the frames queued until ``close`` writes them (deflated indices)."""
        return sum(len(frame.data) for frame in self._frames)

    def add(self, indices: np.ndarray, *, palette: np.ndarray | None = None,
            transparent: int | None = None, duration: float = 0, disposal: int = 1,
            keep: np.ndarray | None = None, gray: bool = False,
            dpi: tuple[float, float] | None = None) -> None:
        """Queue a frame, or add its duration to the previous one when it shows the same
        picture (``disposal`` does not apply, see the module's notes; ``keep`` is for local
        palettes, which these formats do not have)."""
        pal = np.ascontiguousarray(self._palette if palette is None else palette,
                                   dtype=np.uint8)
        shown = _Shown(indices, _rgba(pal, transparent))
        box = shown.whole if self._shown is None else shown.changed_box(self._shown)
        if box is None:
            self._durations[-1] += float(duration)
            return
        self._shown = shown
        self._clear = self._clear or shown.clear(box)
        wide = transparent is not None and transparent >= MAX_PALETTE  # a WebP's 256 colours
        data = zlib.compress(np.ascontiguousarray(
            indices, dtype=np.uint16 if wide else np.uint8).tobytes(), 1)
        # converted to these RGBA colours one frame at a time
        self._frames.append(_Packed(data, _rgba(pal, transparent).tobytes()))
        self._durations.append(float(duration))

    def close(self) -> None:
        frames, durations = self._frames, self._durations
        most = _MAX_FRAME_MS["WEBP"]  # a frame may be longer: merged, or from another format
        one_picture = len(frames) == 1
        if not one_picture:  # (one frame is a still image, without a duration)
            frames, durations = _webp_repeats(frames, durations, int(most))
        durations = [min(d, most) for d in durations]  # a WebP of one picture: a still image
        first = frames[0].image(self._size)
        params: dict[str, object] = {"save_all": True,
                                     "append_images": _Unpacked(frames[1:], self._size),
                                     "duration": durations, "loop": self._loop,
                                     **_WEBP_ANIMATION, "background": (0, 0, 0, 0)}
        if self._dpi is not None:
            params["dpi"] = self._dpi
        if self._exif is not None:
            params["exif"] = self._exif
        self._fp.write(self._webp(first, params, one_picture))
        self.frames_written = len(frames)


    def _webp(self, first: Image.Image, params: dict[str, object], one_picture: bool) -> bytes:
        """The WebP's bytes (its alpha flag set when some frame has pixels not opaque); with
        ``optimize``, those of ``minimize_size`` too, the smaller kept (the default's on a
        tie; a still image has no frames to try)."""
        data = _saved(first, "WEBP", params)
        if self._optimize and not one_picture:
            effort = _saved(first, "WEBP", params, **_WEBP_ANIMATION_OPTIMIZE)
            self.optimized = len(effort) < len(data)
            data = effort if self.optimized else data
        return _with_webp_alpha_flag(data) if self._clear else data


def _saved(image: Image.Image, fmt: str, params: dict[str, object], **more: object) -> bytes:
    """The bytes of ``image`` saved as ``fmt`` with ``params`` and ``more``."""
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **{**params, **more})
    return buffer.getvalue()


class _ApngSink:
    """Write an APNG frame by frame (:class:`~quantize.animation.apng.ApngWriter`), holding
    one frame; a frame showing the same picture as the one before it is merged into it.

    Each frame after the first is its changed box, written with blend "source" (the bytes
    Pillow's ``save_all`` writes for it) or, when smaller, with blend "over", the box's pixels that
    show what the frame before shows there drawn with a transparent entry (they leave the
    canvas as it is), as a GIF frame leaves them: only where every other pixel of the box
    is opaque (blend "over" would draw a clear or translucent one over what was there).
    The transparent entry is the palette's, or one added before its first (the others
    renumbered one up: as entry 0 it runs on through each row's filter byte, 0 too, and
    such a box deflated to half the bytes it took as the last entry) where it has fewer
    than 256 and that keeps the bits a pixel (:func:`_clear_entry`); after its last where
    the palette's order is the user's (``keep_order``: a given palette, fixed colours), so
    that entry i of it stays index i. To a file object that cannot seek the APNG is made
    in memory and copied on ``close``.
    """

    def __init__(self, fp: BinaryIO, size: tuple[int, int], palette: np.ndarray, loop: int,
                 optimize: bool, dpi: tuple[float, float] | None = None,
                 exif: bytes | None = None, keep_order: bool = False,
                 text: tuple[tuple[bytes, bytes], ...] = ()) -> None:
        self._fp, self._size, self._palette, self._loop = fp, size, palette, loop
        self._keep_order, self._text = keep_order, text
        self.optimized, self._dpi, self._exif = optimize, dpi, exif
        self._out = fp if fp.seekable() else io.BytesIO()
        self._writer: ApngWriter | None = None
        self._shown: _Shown | None = None  # the last frame queued
        self._clear: int | None = None  # the entry unchanged pixels are drawn with
        self._shift = 0  # added to every entry written: 1 when the clear entry was added

    @property
    def frames_written(self) -> int:
        return 0 if self._writer is None else self._writer.frames_written

    @property
    def held_bytes(self) -> int:
        """Bytes held for frames not yet written: the one waiting for the next."""
        return 0 if self._writer is None else self._writer.held_bytes

    def add(self, indices: np.ndarray, *, palette: np.ndarray | None = None,
            transparent: int | None = None, duration: float = 0, disposal: int = 1,
            keep: np.ndarray | None = None, gray: bool = False,
            dpi: tuple[float, float] | None = None) -> None:
        """Queue a frame (``palette`` is the sink's, as for :class:`_PillowSink`)."""
        shown = _Shown(indices, _rgba(self._palette, transparent))
        if self._writer is None:
            self._writer = self._open(transparent)
            self._shown = shown
            self._writer.add(self._written(indices), None, duration)
            return
        assert self._shown is not None
        box = shown.changed_box(self._shown)
        if box is None:
            self._writer.extend(duration)
            return
        written = self._written(indices)
        same = None if self._clear is None else _unchanged(shown, self._shown, box)
        over = None
        if same is not None:
            left, top, right, bottom = box
            over = np.where(same, np.uint8(self._clear), written[top:bottom, left:right])
        self._shown = shown
        self._writer.add(written, box, duration, over)

    def _open(self, transparent: int | None) -> ApngWriter:
        levels = ((_PNG_COMPRESS_LEVEL, _PNG_COMPRESS_LEVEL_OPTIMIZE) if self.optimized
                  else (_PNG_COMPRESS_LEVEL,))
        colours, trns_, self._clear = _clear_entry(self._palette, transparent,
                                                   last=self._keep_order)
        self._shift = int(colours.shape[0] > self._palette.shape[0] and self._clear == 0)
        return ApngWriter(self._out, self._size, colours, trns_, self._loop, levels,
                          _MAX_FRAME_MS["PNG"], self._dpi, self._exif, self._text)

    def _written(self, indices: np.ndarray) -> np.ndarray:
        """The entries of the APNG's table that draw ``indices`` (one up after an added
        clear entry)."""
        return indices if not self._shift else (indices + self._shift).astype(np.uint8)

    def close(self) -> None:
        assert self._writer is not None
        self._writer.close()
        if self._out is not self._fp:
            self._fp.write(self._out.getvalue())


def _clear_entry(palette: np.ndarray, transparent: int | None, *, last: bool = False
                 ) -> tuple[np.ndarray, int | bytes | None, int | None]:
    """The colours (PLTE) and the tRNS an APNG of ``palette`` and its ``transparent`` entry
    is written with, and the entry it draws unchanged pixels with: its first fully
    transparent one, or else one added before the others (entry 0, black, alpha 0; after
    them with ``last``, the palette's order kept) when the palette has fewer than 256 and
    one more keeps the bits a pixel (:func:`~quantize.encode.png_bit_depth`: not after 2,
    4 or 16 entries); None when neither.

    >>> colours, kept, clear = _clear_entry(np.full((5, 3), 7, np.uint8), None)
    >>> colours[:2].tolist(), kept, clear
    ([[0, 0, 0], [7, 7, 7]], b'\\x00', 0)
    >>> _clear_entry(np.zeros((16, 3), np.uint8), None)[1:]
    (None, None)
    >>> _clear_entry(np.full((5, 3), 7, np.uint8), None, last=True)[1:]
    (b'\\xff\\xff\\xff\\xff\\xff\\x00', 5)
    """
    table = _rgba(palette, transparent)
    clear = np.flatnonzero(table[:, 3] == 0)
    if clear.size:
        return palette[:, :3], _trns(palette, transparent), int(clear[0])
    n = table.shape[0]
    if n >= MAX_PALETTE or png_bit_depth(n + 1) != png_bit_depth(n):
        return palette[:, :3], _trns(palette, transparent), None
    added = np.zeros((1, 4), np.uint8)
    table = np.vstack([table, added] if last else [added, table])  # each entry's alpha kept
    return table[:, :3], trns(table[:, 3]), n if last else 0


def _unchanged(shown: _Shown, before: _Shown, box: tuple[int, int, int, int]
               ) -> np.ndarray | None:
    """``(h, w)`` bool over ``box``: the pixels where ``shown`` shows what ``before`` shows,
    to leave to the canvas with blend "over"; None when there is none, or when some other
    pixel is not opaque (blend "over" would draw it over what was there)."""
    left, top, right, bottom = box
    now = shown.indices[top:bottom, left:right]
    same = same_pixels(shown.table.take(now, axis=0),
                       before.table.take(before.indices[top:bottom, left:right], axis=0))
    if not same.any() or (shown.table[now[~same], 3] < 255).any():
        return None
    return same


class _LinkingTiffWriter(TiffImagePlugin.AppendingTiffWriter):
    """Pillow's :class:`~PIL.TiffImagePlugin.AppendingTiffWriter`, which finds where to
    link the next page by walking every page's directory from the file's header, each
    time a page is added: n pages cost n * n / 2 directories read (2,000 1x1 pages, about
    half a minute). This one starts each walk at the link of the page before the last,
    found by the walk before, which the last page's link follows: the same place, found
    in two steps, so the same bytes."""

    _last_link: int | None = None

    def skipIFDs(self) -> None:  # noqa: N802  (Pillow's name)
        """Move to the link of the last page (Pillow's walk), from the one found before."""
        if self._last_link is not None:
            self.f.seek(self._last_link)
        super().skipIFDs()
        self._last_link = self.whereToWriteNewIFDOffset


class _TiffSink:
    """Write every frame as a page of a TIFF, as it comes: the palette's colours in RGB, or
    RGBA when it has a ``transparent`` entry (drawn clear) or alpha of its own (a ``(k, 4)``
    palette), deflated as a still is. Given no palette, each page brings its own (a palette
    per frame): a palette page of its colours, or RGBA where a pixel takes its
    ``transparent`` entry. An opaque page is written as a still's is
    (:func:`~quantize.encode.tiff_page`): a grey page where every entry is grey and the
    page read was grey (``gray``: :attr:`~quantize.animation.frames.Frame.gray`), 1 bit a
    pixel of two colours.

    Pillow's ``save_all`` takes ``append_images`` as any iterable, but turns it into a
    list before it writes the first page, and every page it writes stays decoded until
    the last is written; so the pages are written here as ``save_all`` writes them (the
    same bytes), one at a time, through the
    :class:`~PIL.TiffImagePlugin.AppendingTiffWriter` it uses, which reads back and
    seeks in the file to link each page to the one before it (as :class:`_LinkingTiffWriter`,
    which finds the last page without reading every page before it).
    """

    def __init__(self, fp: BinaryIO, palette: np.ndarray | None, transparent: int | None,
                 dpi: tuple[float, float] | None = None, exif: bytes | None = None) -> None:
        self._fp, self._exif = fp, exif
        # a file that cannot be read back and seeked in gets the pages whole on close
        self._buffer = None if fp.readable() and fp.seekable() else io.BytesIO()
        self._writer = _LinkingTiffWriter(
            fp if self._buffer is None else self._buffer)
        self._table = None if palette is None else _rgba(palette, transparent)
        self._dpi = {} if dpi is None else {"dpi": dpi}
        self.frames_written = 0
        self.optimized = False  # Deflate is given no effort setting

    @property
    def held_bytes(self) -> int:
        """Bytes held for the pages written: none, but for a file that cannot be read back."""
        return 0 if self._buffer is None else self._buffer.getbuffer().nbytes

    def add(self, indices: np.ndarray, *, palette: np.ndarray | None = None,
            transparent: int | None = None, duration: float = 0, disposal: int = 1,
            keep: np.ndarray | None = None, gray: bool = False,
            dpi: tuple[float, float] | None = None) -> None:
        """Write a page (``palette`` is the sink's, or, given none, the page's own, its
        ``transparent`` entry last; a page has no ``duration`` and needs no ``disposal``:
        each is the whole picture shown), grey where every entry is and it was read
        ``gray``, with its own resolution ``dpi`` when it has one, else the file's."""
        table = self._table
        if table is None and palette is not None:  # the page's own
            if transparent is not None and not (indices == transparent).any():
                palette, transparent = palette[:transparent], None  # its last entry, unused
            table = _rgba(palette, transparent)
        assert table is not None, "a palette per page, or the sink's"
        # opaque pages are palette pages, as a still .tif is; with alpha, RGBA pages
        if (table[:, 3] == 255).all() and table.shape[0] <= MAX_PALETTE:
            # black and white only: bilevel, Group 4; two other colours, 1 bit a pixel; grey
            # entries of a grey input, a grey page (tiff_page)
            page, options = tiff_page(indexed_image(indices, table[:, :3]), gray)
        else:
            page, options = Image.fromarray(table.take(indices, axis=0)), tiff_options()
        held = held_dpi(dpi, "TIFF")
        page.save(self._writer, format="TIFF", **options,
                  **(self._dpi if held is None else {"dpi": held}))
        self._writer.newFrame()  # the page is linked in; the next goes after it
        self.frames_written += 1

    def close(self) -> None:
        """Give the first page the EXIF, if any, and write a buffer's pages to the file."""
        if self._exif is not None and self.frames_written:
            tiff_with_exif(self._fp if self._buffer is None else self._buffer, self._exif)
        if self._buffer is not None:
            self._fp.write(self._buffer.getvalue())


def _with_webp_alpha_flag(data: bytes) -> bytes:
    """``data``, a WebP file, with the alpha flag of its VP8X header set.

    libwebp crops each frame of an animation to the pixels that change, so
    transparent pixels that stay so (a clear border) are left to the blank
    canvas and no frame's bitstream holds alpha; it then leaves the file's flag
    unset, and readers that trust it (Pillow) decode opaque RGB, clear pixels
    black. A WebP of one frame has no VP8X header and its bitstream holds its alpha.
    """
    if data[_VP8X_TAG:_VP8X_TAG + 4] != b"VP8X":
        return data
    out = bytearray(data)
    out[_VP8X_FLAGS] |= _VP8X_ALPHA
    return bytes(out)


def _webp_repeats(frames: list[_Packed], durations: list[float], most: int
                  ) -> tuple[list[_Packed], list[int]]:
    """The frames of a WebP and their durations in whole ms, each frame ending where Pillow
    ends it (on the millisecond nearest to where it ends in the input, which gives Pillow
    the same timestamps), and a frame longer than ``most`` ms given as several showing its
    picture (:func:`~quantize.animation.gif.split_delay`). libwebp merges a frame into the
    one before it when they show one picture and last ``most`` together at most: the
    parts, which last longer, stay apart.

    >>> _webp_repeats(["a", "b"], [33.4, 40_000_000.3], 16_777_215)
    (['a', 'b', 'b', 'b'], [33, 13333334, 13333334, 13333333])
    """
    parts: list[list[int]] = []
    elapsed, end = 0.0, 0
    for duration in durations:
        elapsed += duration  # as Pillow adds them up
        parts.append(split_delay(round(elapsed) - end, most))
        end += sum(parts[-1])
    return _repeated(frames, parts)


def _repeated(frames: list[_Packed], parts: list[list[int]]) -> tuple[list[_Packed], list[int]]:
    """Each frame once for each of its ``parts`` (its durations), and those durations."""
    return ([frame for frame, own in zip(frames, parts, strict=True) for _ in own],
            [duration for own in parts for duration in own])


def _rgba(palette: np.ndarray, transparent: int | None) -> np.ndarray:
    """``(n, 4)`` uint8: the palette's colours, opaque (or with their alpha, of a ``(k, 4)``
    palette), and its transparent entry clear."""
    n = max(palette.shape[0], 0 if transparent is None else transparent + 1)
    table = np.zeros((n, 4), np.uint8)
    table[:, 3] = 255
    table[:palette.shape[0], :palette.shape[1]] = palette
    if transparent is not None:
        table[transparent] = 0
    return table


def _trns(palette: np.ndarray, transparent: int | None) -> int | bytes | None:
    """What a PNG's tRNS holds for ``palette`` and its ``transparent`` entry: that entry, for
    a ``(k, 3)`` palette; for a ``(k, 4)`` one, the alpha of every entry up to the last that
    is not opaque (None when all are), as a still's PNG holds it.

    >>> _trns(np.array([[9, 9, 9, 255], [1, 2, 3, 80], [0, 0, 0, 255]], np.uint8), None)
    b'\\xffP'
    """
    if palette.shape[1] == 3:
        return transparent
    return trns(_rgba(palette, transparent)[:, 3])


def open_sink(fp: BinaryIO, path: Path, size: tuple[int, int], palette: np.ndarray | None,
              plays: int | None, *, transparent: int | None = None,
              optimize: bool = False, dpi: tuple[float, float] | None = None,
              lzw: RecentCodes | None = None, gif_delays: bool = False,
              exif: bytes | None = None, keep_order: bool = False,
              text: tuple[tuple[bytes, bytes], ...] = ()) -> FrameSink:
    """A sink for ``path``'s format (by extension; prior validation assumed).

    ``palette`` is ``(k, 3)``, or ``(k, 4)`` with each entry's straight alpha (partial
    alpha: an APNG, a WebP or a TIFF, not a GIF); None for a GIF or a TIFF whose every
    frame brings a palette of its own (:class:`~quantize.animation.gif.GifWriter`,
    :class:`_TiffSink`).
    ``plays`` is how many times the animation plays, 0 forever (None: once); each
    format stores it its own way (:func:`_stored_loop`). ``transparent`` is the
    palette's transparent entry, if any (GIF: the background entry).
    A TIFF's pages are written as they come to a file ``fp`` that can be read back
    and seeked in (opened ``w+b``). ``dpi`` is the input's resolution, kept by an APNG
    and a TIFF's pages where their fields hold it (:func:`~quantize.io.held_dpi`).
    ``lzw``: the LZW data a GIF writer takes rather than encode again (the plan's).
    ``gif_delays``: the durations are a GIF input's, which a GIF keeps as they are
    (:class:`~quantize.animation.gif.GifWriter`). ``exif``: the input's EXIF block, kept
    by an APNG, a WebP and a TIFF's first page (a GIF holds none). ``keep_order``: the
    palette's order is the user's (given, or fitted with fixed colours), which an APNG
    keeps, adding the entry of its unchanged pixels after the others, not before.
    ``text``: an APNG input's text chunks (:attr:`~quantize.animation.frames.AnimationInfo.text`),
    kept by an APNG before its image data; the other formats hold none.
    """
    fmt = ANIMATION_EXTENSIONS[path.suffix.lower()]
    loop = _stored_loop(fmt, 1 if plays is None else plays)
    dpi = held_dpi(dpi, fmt)
    if fmt == "GIF":
        return GifWriter(fp, size, palette, loop, background=transparent or 0,
                         try_both=optimize, codes=lzw, gif_delays=gif_delays)
    if palette is None and fmt != "TIFF":
        raise ValueError(f"palette=None: only a GIF's frames and a TIFF's pages bring "
                         f"palettes of their own, not {fmt}'s")
    if fmt == "TIFF":
        return _TiffSink(fp, palette, transparent, dpi, exif)
    if fmt == "PNG":
        return _ApngSink(fp, size, palette, loop, optimize, dpi, exif, keep_order, text)
    return _PillowSink(fp, fmt, size, palette, loop, optimize, dpi, exif)


def default_suffix(src: str | os.PathLike[str]) -> str:
    """The extension an animation read from ``src`` is written with when given no output:
    the input's own when an animation can be written in it (a TIFF's pages stay pages),
    else ``.gif``.

    >>> default_suffix("clip.WEBP"), default_suffix("pages.tif"), default_suffix("a.fli")
    ('.webp', '.tif', '.gif')
    """
    suffix = Path(src).suffix.lower()
    return suffix if suffix in ANIMATION_EXTENSIONS else ".gif"


def warn_timing_loss(format: str, frames: int, durations: tuple[float, float],
                     loop: int | None, out: Path) -> None:
    """Warn that ``out`` keeps neither the frame durations (the shortest and longest, ms)
    nor the ``loop`` count (as the file stores it) of an input of ``frames`` frames in
    ``format`` (Pillow's name): one frame written as a still image
    (:class:`~quantize.errors.StillImageWarning`), or several as the pages of a TIFF
    (:class:`~quantize.errors.TimingLossWarning`), saying which extension keeps them.
    """
    name = FORMAT_NAMES.get(format, format)
    shortest, longest = durations
    looped = ("no loop count" if loop is None else "looping forever" if loop == 0
              else f"loop count {loop}")
    keep = {"GIF": "write .gif to keep them", "PNG": "write .png to keep them"}
    if frames == 1:
        why = " (libwebp writes no animation of one frame)" if out.suffix.lower() == ".webp" else ""
        warn_caller(StillImageWarning(f"{name} of one frame, shown {shortest:g} ms, "
                                      f"{looped}: written as a still image without them{why}",
                                      advice=keep.get(format, "")))
        return
    shown = (f"{shortest:g} ms each" if shortest == longest
             else f"{shortest:g} to {longest:g} ms")
    keep["WEBP"] = "write .webp to keep them"
    warn_caller(TimingLossWarning(f"{name} of {frames} frames, shown {shown}, {looped}: "
                                  "written as the pages of a TIFF without them",
                                  advice=keep.get(format, "")))


def max_plays(suffix: str) -> int | None:
    """The most plays (short of forever) an animation written as ``suffix`` holds, or None.

    GIF stores repeats after the first play and WebP stores plays, both in 16
    bits; APNG's 32 bits hold any count the inputs can give.

    >>> max_plays(".gif"), max_plays(".webp"), max_plays(".apng")
    (65536, 65535, None)
    """
    fmt = ANIMATION_EXTENSIONS[suffix.lower()]
    return {"GIF": _MAX_LOOP + 1, "WEBP": _MAX_LOOP}.get(fmt)


def palette_frames(suffix: str) -> bool:
    """Whether an animation written as ``suffix`` stores its frames as palette images, whose
    table of at most 256 entries holds the transparent one (GIF, APNG); a WebP's frames and
    a TIFF's pages are RGBA, and hold 256 colours beside transparent pixels.

    >>> palette_frames(".gif"), palette_frames(".apng"), palette_frames(".webp")
    (True, True, False)
    """
    return ANIMATION_EXTENSIONS[suffix.lower()] in _PALETTE_FRAMES


def partial_alpha_frames(suffix: str) -> bool:
    """Whether an animation written as ``suffix`` keeps partial alpha (an APNG, a WebP, a
    TIFF's pages), not binary transparency alone (a GIF).

    >>> partial_alpha_frames(".gif"), partial_alpha_frames(".apng"), partial_alpha_frames(".webp")
    (False, True, True)
    """
    return ANIMATION_EXTENSIONS[suffix.lower()] != "GIF"


def _stored_loop(fmt: str, plays: int) -> int | None:
    """The loop count ``fmt`` stores for ``plays`` plays (0 forever).

    A GIF stores repeats after the first play, and nothing to play once;
    APNG and WebP store plays (WebP in 16 bits).
    """
    if fmt == "GIF":
        return None if plays == 1 else min(max(plays - 1, 0), _MAX_LOOP)
    return min(plays, _MAX_LOOP) if fmt == "WEBP" else plays
