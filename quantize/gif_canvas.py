"""GIF frames composited as browsers show them, below Pillow.

Pillow composites a GIF's frames otherwise than browsers (Chromium, Firefox) show
them where the canvas has nothing drawn on it (so does ImageMagick 6's ``-coalesce``
where the first frame does not reach: it fills that with the background colour,
opaque):

- where the first frame does not reach (a frame smaller than the screen, at an
  offset), Pillow shows palette entry 0 (or the frame's transparent entry), opaque;
- a frame's disposal "restore to background" (2) cleared its box to the
  background colour, opaque, unless some frame had a transparent entry, where
  browsers clear it to transparent (and after a first frame without a transparent
  entry, every frame came out opaque);
- "restore to previous" (3) on the first frame left the frame on screen, where
  browsers go back to the empty canvas;
- a frame whose disposal is unspecified (0), or that has no graphic control
  extension, took the disposal of the last frame that had one;
- a frame of disposal 5 to 7, which the GIF specification leaves reserved, was
  restored to previous, where browsers keep it (:func:`browser_disposal`).

:class:`GifCanvas` composites the frames here instead, from each frame's own
indices (decoded by Pillow, one frame at a time), colour table (local, else
global), transparent entry and disposal: the canvas starts transparent, a
frame's transparent pixels leave what is below them, and disposal 2 clears the
frame's box to transparent, 3 (and 4) puts back what it covered, anything else keeps it.
A frame reaching past the screen is clipped to it. :func:`gif_images` reads the
frame table from the file's blocks, skipping what Pillow skips.
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

from .png import second_reader

__all__ = ["GifCanvas", "GifFrames", "GifImage", "browser_disposal", "first_gif_frame",
           "gif_global_table", "gif_images", "gif_loop", "gif_screen", "pillow_gif_images"]

_KEEP, _RESTORE_BACKGROUND, _RESTORE_PREVIOUS = 1, 2, 3
# The application extensions whose sub-block 1 holds the loop count (browsers read both).
_LOOP_APPLICATIONS = (b"NETSCAPE2.0", b"ANIMEXTS1.0")
# A frame without a graphic control extension: no transparent entry, disposal 0, 0 ms.
_NO_CONTROL: tuple[int | None, int, int] = (None, 0, 0)


@dataclass(frozen=True, eq=False)
class GifImage:
    """One frame of a GIF, as its blocks give it (equal only to itself: ``table`` is an
    array, which ``==`` does not reduce to one answer).

    Attributes
    ----------
    offset : int
        Where its image data starts in the file (after the LZW code size), as Pillow's
        tile gives it.
    box : (int, int, int, int)
        Left, top, right and bottom on the screen.
    interlaced : bool
    code_size : int
        The LZW minimum code size.
    table : (256, 3) ndarray of uint8, or None
        Its colour table (local, else global), padded with black; None when there is
        none, or when it is the grey ramp (entry i is (i, i, i)): each index is then
        shown as that grey, as Pillow reads it.
    transparent : int or None
        Its transparent entry.
    disposal : int
        As browsers read it (:func:`browser_disposal`; 0 when it has no graphic control
        extension).
    duration : int
        Milliseconds, as stored in centiseconds (0 without a graphic control extension).
    """

    offset: int
    box: tuple[int, int, int, int]
    interlaced: bool
    code_size: int
    table: np.ndarray | None
    transparent: int | None
    disposal: int
    duration: int


def gif_images(fp: Any, first: int | None = None) -> list[GifImage] | None:
    """The frames of the GIF in ``fp`` (seekable, read from its start and left at an
    unknown position), or its ``first`` frames only; None when its blocks (up to there)
    end early or a block is not as GIF has it (the caller then leaves the frames to
    Pillow)."""
    fp.seek(0)
    head = fp.read(13)
    if len(head) < 13 or head[:3] != b"GIF":
        return None
    flags = head[10]
    table = _table(fp, flags) if flags & 0x80 else None
    if flags & 0x80 and table is False:
        return None
    images: list[GifImage] = []
    control: tuple[int | None, int, int] = _NO_CONTROL
    while True:
        kind = fp.read(1)
        if not kind or kind == b";":
            return images
        if kind == b"!":
            control = _extension(fp, control)
            if control is None:
                return None
        elif kind == b",":
            image = _image(fp, table, control)
            if image is None:
                return None
            images.append(image)
            if len(images) == first:
                return images
            control = _NO_CONTROL
        # any other byte is skipped, as Pillow skips it


def gif_loop(fp: Any) -> int | None:
    """The loop count of the GIF in ``fp`` (seekable, read from its start and left at an
    unknown position), as browsers read it: from the first NETSCAPE2.0 or ANIMEXTS1.0
    application extension, wherever it is (Pillow reads only a NETSCAPE2.0 one before
    the first frame); None when there is none, or the blocks before it end early.

    Examples
    --------
    >>> import io
    >>> from PIL import Image
    >>> frames = [Image.new("P", (2, 2), i) for i in range(2)]
    >>> buffer = io.BytesIO()
    >>> frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:], loop=5)
    >>> gif_loop(buffer)
    5
    """
    fp.seek(0)
    head = fp.read(13)
    if len(head) < 13 or head[:3] != b"GIF":
        return None
    if head[10] & 0x80 and _table(fp, head[10]) is False:
        return None
    while True:
        kind = fp.read(1)
        if not kind or kind == b";":
            return None
        if kind == b"!":
            label = fp.read(1)
            body = _sub_blocks(fp)
            if not label or body is None:
                return None
            if (label[0] == 0xFF and body[:11] in _LOOP_APPLICATIONS and len(body) >= 14
                    and body[11] == 1):
                return int(struct.unpack_from("<H", body, 12)[0])
        elif kind == b"," and _image(fp, None, _NO_CONTROL) is None:
            return None


def gif_screen(fp: Any) -> tuple[int, int] | None:
    """The logical screen's width and height as the header of the GIF in ``fp`` (seekable,
    read from its start and left at an unknown position) gives them, before a first frame
    reaching past it makes it larger (:class:`GifFrames`); None when it is not a GIF."""
    fp.seek(0)
    head = fp.read(10)
    if len(head) < 10 or head[:3] != b"GIF":
        return None
    w, h = struct.unpack_from("<HH", head, 6)
    return w, h


def gif_global_table(fp: Any) -> np.ndarray | None:
    """The global colour table ``(n, 3)`` uint8 of the GIF in ``fp`` (seekable, read from
    its start and left at an unknown position), its ``n`` entries as stored (a grey ramp
    too); None when it has none, its header is cut short or it is not a GIF."""
    fp.seek(0)
    head = fp.read(13)
    if len(head) < 13 or head[:3] != b"GIF" or not head[10] & 0x80:
        return None
    stored = _stored_table(fp, head[10])
    return None if stored is None else stored.copy()


def pillow_gif_images(im: Image.Image, reader: Any,
                      n_frames: int | None = None) -> list[GifImage] | None:
    """The frames of ``im``, a GIF opened by Pillow, as :func:`gif_images` reads them from
    ``reader`` (a second reader of its file), when it reads its blocks as Pillow does;
    None when it does not, or cannot tell (the caller then leaves the frames to Pillow).

    Pillow reads the blocks alike when the frame ``im`` is at, not yet decoded, starts
    where Pillow's tile says (a block Pillow reads otherwise puts it elsewhere), and there
    are ``n_frames`` frames, Pillow's count of them. Without ``n_frames`` the frames up to
    the one ``im`` is at are read, and their count is not compared: what is drawn of
    them does not depend on the blocks after them (a file cut short there still shows
    its first frame as browsers show it).
    """
    tile = getattr(im, "tile", None)
    if not tile:
        return None
    at = im.tell()
    images = gif_images(reader, first=None if n_frames is not None else at + 1)
    if (images is None or len(images) <= at or images[at].offset != tile[0][2]
            or (n_frames is not None and len(images) != n_frames)):
        return None
    return images


def first_gif_frame(im: Image.Image) -> Image.Image | None:
    """The first frame of ``im``, a GIF opened and not yet decoded, as browsers show it
    (RGBA), when it does not cover the screen; None for any other image, and when Pillow's
    picture is that (the frame covers the screen), or the file's blocks are not read as
    Pillow reads them (:func:`pillow_gif_images`).

    Pillow showed palette entry 0 (or the transparent entry), opaque, where the frame
    does not reach; browsers show nothing there.
    """
    tile = getattr(im, "tile", None)
    if (im.format != "GIF" or im.tell() != 0 or not tile or getattr(im, "fp", None) is None
            or tuple(tile[0][1]) == (0, 0, *im.size)):
        return None
    with second_reader(im) as reader:
        images = pillow_gif_images(im, reader)
        if images is None:
            return None
        rgba = GifCanvas(reader, images, im.size).draw(0)
    return Image.fromarray(rgba, "RGBA")


def browser_disposal(stored: int) -> int:
    """A GIF frame's disposal as browsers draw it, from the three bits stored: 0 to 3 as
    they are (unspecified, keep, restore to background, restore to previous); 4, which
    the GIF specification leaves reserved, restore to previous, as some encoders write it
    and Chromium (Skia's SkGifImageReader) and Firefox (nsGIFDecoder2) read it; 5 to 7,
    reserved too, keep, as both draw them (Pillow restores to previous for 3 to 7).

    >>> [browser_disposal(stored) for stored in range(8)]
    [0, 1, 2, 3, 3, 1, 1, 1]
    """
    return _RESTORE_PREVIOUS if stored == 4 else _KEEP if stored > 4 else stored


def _stored_table(fp: Any, flags: int) -> np.ndarray | None:
    """The colour table that ``flags`` announces, read from ``fp`` as stored, ``(n, 3)``
    (read-only); None when cut short."""
    n = 2 << (flags & 7)
    data = fp.read(3 * n)
    return np.frombuffer(data, np.uint8).reshape(n, 3) if len(data) == 3 * n else None


def _table(fp: Any, flags: int) -> np.ndarray | None | bool:
    """The colour table that ``flags`` announces, read from ``fp``: (256, 3), None for the
    grey ramp, False when cut short."""
    colours = _stored_table(fp, flags)
    if colours is None:
        return False
    n = colours.shape[0]
    if np.array_equal(colours, np.repeat(np.arange(n, dtype=np.uint8)[:, None], 3, axis=1)):
        return None  # Pillow reads it as grey levels, past its end too
    table = np.zeros((256, 3), np.uint8)
    table[:n] = colours
    return table


def _sub_blocks(fp: Any) -> bytes | None:
    """The data of the sub-blocks at ``fp``, up to their terminator; None when cut short."""
    parts = []
    while True:
        size = fp.read(1)
        if not size:
            return None
        if size == b"\0":
            return b"".join(parts)
        part = fp.read(size[0])
        if len(part) < size[0]:
            return None
        parts.append(part)


def _extension(fp: Any, control: tuple[int | None, int, int]
               ) -> tuple[int | None, int, int] | None:
    """Read an extension; a graphic control extension gives the next frame's transparent
    entry, disposal and duration. None when cut short."""
    label = fp.read(1)
    body = _sub_blocks(fp)
    if not label or body is None:
        return None
    if label[0] == 0xF9:
        if len(body) < 4:
            return None
        packed = body[0]
        delay = struct.unpack_from("<H", body, 1)[0]
        return (body[3] if packed & 1 else None, browser_disposal((packed >> 2) & 7),
                10 * delay)
    return control


def _image(fp: Any, table: np.ndarray | None,
           control: tuple[int | None, int, int]) -> GifImage | None:
    descriptor = fp.read(9)
    if len(descriptor) < 9:
        return None
    x, y, w, h, flags = struct.unpack("<HHHHB", descriptor)
    if flags & 0x80:
        local = _table(fp, flags)
        if local is False:
            return None
        table = local
    code_size = fp.read(1)
    if not code_size:
        return None
    offset = fp.tell()
    if _sub_blocks(fp) is None:
        return None
    return GifImage(offset, (x, y, x + w, y + h), bool(flags & 0x40), code_size[0], table,
                    *control)


class GifCanvas:
    """The frames of a GIF composited as browsers show them (see the module's notes).

    Parameters
    ----------
    fp : binary file object
        The GIF, seekable; read at each frame's data.
    images : list of GifImage
        Its frames (:func:`gif_images`).
    size : (int, int)
        The screen's width and height.

    Notes
    -----
    The frames are drawn in order, each once (``draw``).
    """

    def __init__(self, fp: Any, images: list[GifImage], size: tuple[int, int]):
        self._fp, self._images = fp, images
        w, h = size
        self._canvas = np.zeros((h, w, 4), np.uint8)
        self._pixels = self._canvas.view(np.uint32)[..., 0]  # a pixel's RGBA as one number
        self._next = 0
        self._undo: tuple[GifImage, np.ndarray | None] | None = None

    def draw(self, i: int) -> np.ndarray:
        """``(H, W, 4)`` uint8: what the screen shows with frame ``i``, the next one."""
        if i != self._next:
            raise ValueError(f"frame {i} drawn after frame {self._next - 1}; expected "
                             f"frame {self._next}")
        self._next += 1
        if self._undo is not None:
            self._dispose(*self._undo)
        image = self._images[i]
        box = self._clipped(image)
        region = self._canvas[box]
        covered = region.copy() if image.disposal == _RESTORE_PREVIOUS else None
        self._undo = (image, covered)
        if region.size:
            indices = self._indices(image)[:region.shape[0], :region.shape[1]]
            colours = _opaque_table(image.table)[indices]
            if image.transparent is None:
                self._pixels[box] = colours
            else:
                np.copyto(self._pixels[box], colours, where=indices != image.transparent)
        return self._canvas.copy()

    def _dispose(self, image: GifImage, covered: np.ndarray | None) -> None:
        box = self._clipped(image)
        if image.disposal == _RESTORE_BACKGROUND:
            self._canvas[box] = 0
        elif image.disposal == _RESTORE_PREVIOUS and covered is not None:
            self._canvas[box] = covered

    def _clipped(self, image: GifImage) -> tuple[slice, slice]:
        h, w = self._canvas.shape[:2]
        x0, y0, x1, y1 = image.box
        return slice(min(y0, h), min(y1, h)), slice(min(x0, w), min(x1, w))

    def _indices(self, image: GifImage) -> np.ndarray:
        """``(h, w)`` uint8 indices of ``image``, decoded by Pillow from a GIF of that frame
        alone (no colour table: Pillow gives the indices as grey levels)."""
        x0, y0, x1, y1 = image.box
        self._fp.seek(image.offset)
        data = _raw_sub_blocks(self._fp)
        alone = (b"GIF89a" + struct.pack("<HHBBB", x1 - x0, y1 - y0, 0, 0, 0)
                 + b"," + struct.pack("<HHHHB", 0, 0, x1 - x0, y1 - y0,
                                      0x40 if image.interlaced else 0)
                 + bytes([image.code_size]) + data + b";")
        with Image.open(io.BytesIO(alone)) as one:
            one.load()
            return np.asarray(one, dtype=np.uint8)


def _opaque_table(table: np.ndarray | None) -> np.ndarray:
    """``(256,)`` uint32: each entry of a colour table ``(256, 3)`` as opaque RGBA bytes
    viewed as one number; without a table (None) the index as a grey level."""
    rgba = np.full((256, 4), 255, np.uint8)
    rgba[:, :3] = np.arange(256, dtype=np.uint8)[:, None] if table is None else table
    return rgba.view(np.uint32)[:, 0]


def _raw_sub_blocks(fp: Any) -> bytes:
    """The sub-blocks at ``fp`` as stored, their sizes and terminator included."""
    parts = []
    while True:
        size = fp.read(1)
        parts.append(size)
        if not size or size == b"\0":
            return b"".join(parts)
        parts.append(fp.read(size[0]))


class GifFrames:
    """The frames of a GIF drawn on a :class:`GifCanvas` for a reader of one frame at a
    time, in any order: a frame after the last one drawn costs the frames between them,
    an earlier one every frame up to it.

    Parameters
    ----------
    fp : binary file object
        The GIF, seekable.
    images : list of GifImage
        Its frames (:func:`gif_images`).

    Notes
    -----
    The screen is the one its header gives, made as large as the first frame reaches
    (as Pillow and browsers make it); later frames are clipped to it, as
    :func:`~quantize.animation.iter_frames` clips them.
    """

    def __init__(self, fp: Any, images: list[GifImage]):
        fp.seek(6)
        w, h = struct.unpack("<HH", fp.read(4))
        self.size = (max(w, images[0].box[2]), max(h, images[0].box[3]))
        self._fp, self._images = fp, images
        self._canvas: GifCanvas | None = None
        self._drawn = -1
        self._picture: np.ndarray | None = None

    def frame(self, at: int) -> np.ndarray:
        """``(H, W, 4)`` uint8: what the screen shows with frame ``at``."""
        if self._canvas is None or at < self._drawn:
            self._canvas, self._drawn = GifCanvas(self._fp, self._images, self.size), -1
        picture = self._picture
        for i in range(self._drawn + 1, at + 1):
            picture = self._canvas.draw(i)
        self._drawn, self._picture = at, picture
        return picture.copy()  # type: ignore[union-attr]  # at >= 0
