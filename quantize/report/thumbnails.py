"""Images for the HTML batch report: palette shares and embedded thumbnails.

:func:`read_palette_shares` counts the colours of an image with at most 256 of
them (a reduced output). :func:`thumbnail_uri` shrinks an image into a
``data:`` URI, in one of four ways: a photo smoothly (JPEG), a reduced image
at the nearest pixel so it shows only palette colours (indexed PNG), a
dithered one by the mean of the pixels each thumbnail pixel covers (the mix of
palette colours the eye sees from afar; sampled at the nearest pixel, its
dither pattern became noise), and a segmentation overlay smoothly with its
one-pixel borders redrawn from the segment folder's ``boundaries.png``. A photo
or overlay small enough for the page to show enlarged (at most half the size
shown) is embedded as it is, in a PNG: its pixels are the image's; but a JPEG
photo's in a JPEG, at a higher quality and full colour resolution (its pixels
were a JPEG's already: in a PNG, 120 x 107 crops took five times the bytes). An
image more
than :data:`MAX_ASPECT` times as wide as high (or high as wide) is cut to its
middle part of that shape first, unstretched: shrunk whole, a 2000 x 20 strip
was a thumbnail 2 pixels high.
"""

from __future__ import annotations

import base64
import contextlib
import io as _io
import itertools
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
from PIL import Image

from .. import _threads
from .._validation import check_choice, check_int, check_max_pixels
from ..errors import ImageReadError, QuantizeWarning, warnings_held
from ..io import (
    DEFAULT_MAX_PIXELS,
    MAX_PALETTE,
    LoadedImage,
    load_image,
    require_regular_file,
)
from .assets import SHOWN_SIZE

__all__ = ["BOUNDARIES_NAME", "MAX_ASPECT", "THUMBNAIL_KINDS", "Swatch", "Thumbnail",
           "read_palette_shares", "thumbnail", "thumbnail_uri", "thumbnails"]

#: File of a segment output folder marking border pixels (redrawn on overlay thumbnails).
BOUNDARIES_NAME = "boundaries.png"
#: JPEG quality and chroma subsampling (Pillow's ``subsampling``: 0 is 4:4:4, 2 is 4:2:0) by
#: how a thumbnail is encoded (:func:`_encode`): a photo's shrunk, an overlay's (its thin
#: coloured borders keep their colour at 4:4:4), and a JPEG photo's shown enlarged, each of
#: its pixels a square of several, where a lower quality's blocks would show.
_JPEG = {"photo": (82, 2), "overlay": (82, 0), "enlarged": (90, 0)}
#: Pillow's formats of a JPEG file (an MPO is one holding further images).
_JPEG_FORMATS = ("JPEG", "MPO")
#: The longest a thumbnail's long side is, in its short sides: the part of an image longer
#: than that shown is its middle (a panorama up to 8:1 is shown whole; at 240 pixels, a
#: thumbnail is at least 30 high, or the image's own height when it is lower).
MAX_ASPECT = 8
#: A crop box, (left, upper, right, lower), as Pillow's ``Image.crop`` takes it.
_Box = tuple[int, int, int, int]

Kind = Literal["photo", "reduced", "dithered", "overlay"]
#: A thumbnail, how to encode it (:func:`_encode`) and the file it was made of.
_Shrunk = tuple[Image.Image, str, LoadedImage]


@dataclass(frozen=True)
class Swatch:
    """One palette entry: ``hex`` "#rrggbb", ``alpha`` 0..255, ``share`` of pixels."""

    hex: str
    alpha: int
    share: float


@dataclass(frozen=True)
class Thumbnail:
    """An embedded thumbnail: its ``data:`` URI and its size in pixels, with the ``frames``
    of the image it shows (the first of them when more than one) and its ``format``
    (Pillow's name, "GIF", "PNG", ...; None when unknown); ``cropped``: it shows the
    middle of an image longer than :data:`MAX_ASPECT` times its height or width."""

    uri: str
    width: int
    height: int
    frames: int = 1
    format: str | None = None
    cropped: bool = False


def read_palette_shares(path: str | os.PathLike[str], *,
                        max_pixels: int | None = DEFAULT_MAX_PIXELS) -> list[Swatch]:
    """The colours of an image with at most 256 of them, most used first.

    Returns an empty list when the image has more than 256 colours (e.g. a
    JPEG output).

    Raises
    ------
    ImageReadError
        If ``path`` cannot be read as an image.
    """
    max_pixels = check_max_pixels(max_pixels)
    with _quiet():
        im, _ = _loaded_pil(Path(path), max_pixels)
    colors = im.getcolors(MAX_PALETTE)
    if colors is None:
        return []
    counts: dict[tuple[str, int], int] = {}
    for count, color in colors:
        alpha = color[3] if len(color) == 4 else 255
        # fully transparent pixels are one entry, whatever their colour
        key = ("#000000", 0) if alpha == 0 else ("#{:02x}{:02x}{:02x}".format(*color[:3]), alpha)
        counts[key] = counts.get(key, 0) + count
    total = sum(counts.values())
    swatches = [Swatch(hex_, alpha, n / total) for (hex_, alpha), n in counts.items()]
    return sorted(swatches, key=lambda s: (-s.share, s.hex, s.alpha))


def thumbnail_uri(path: str | os.PathLike[str], size: int, *, kind: Kind = "photo",
                  max_pixels: int | None = DEFAULT_MAX_PIXELS) -> str:
    """The image at ``path`` shrunk to at most ``size`` pixels a side, as a ``data:`` URI.

    ``kind`` is "photo" (smooth, JPEG), "reduced" (nearest pixel, indexed PNG),
    "dithered" (each pixel the mean of those it covers, JPEG; a PNG when not
    shrunk) or "overlay" (smooth, borders redrawn from ``boundaries.png``
    beside it). Images smaller than ``size`` keep their size; a photo or
    overlay of at most half the size shown is a PNG of its very pixels (a
    JPEG photo's, a JPEG at quality 90 without chroma subsampling). Of an
    image more than :data:`MAX_ASPECT` times as long as its other side, only
    the middle part of that shape is shown (:attr:`Thumbnail.cropped`).

    Raises
    ------
    ImageReadError
        If the image cannot be read (or is larger than ``max_pixels``).
    ValueError
        If ``kind`` is unknown, or ``max_pixels`` below 1.
    TypeError
        If ``max_pixels`` is neither None nor an integer.
    """
    return thumbnail(path, size, kind=kind, max_pixels=max_pixels).uri


def thumbnail(path: str | os.PathLike[str], size: int, *, kind: Kind = "photo",
              max_pixels: int | None = DEFAULT_MAX_PIXELS) -> Thumbnail:
    """As :func:`thumbnail_uri`, with the thumbnail's width and height.

    >>> from PIL import Image
    >>> import tempfile, os
    >>> strip = os.path.join(tempfile.mkdtemp(), "strip.png")
    >>> Image.new("RGB", (2000, 20), "gray").save(strip)
    >>> made = thumbnail(strip, 240)
    >>> made.width, made.height, made.cropped
    (160, 20, True)
    """
    kind = check_choice(kind, "kind", THUMBNAIL_KINDS)
    max_pixels = check_max_pixels(max_pixels)
    with _quiet():
        return _made(Path(path), size, kind, max_pixels)


def thumbnails(wanted: Sequence[tuple[str | os.PathLike[str], Kind]], size: int, *,
               max_pixels: int | None = DEFAULT_MAX_PIXELS,
               threads: int | None = None) -> list[Thumbnail | None]:
    """:func:`thumbnail` of each ``(path, kind)`` of ``wanted``, in order, None for an image
    that cannot be read; made on ``threads`` threads (None: the shared threads of
    :mod:`quantize._threads`, two at most), each taking the next image when done with one:
    decoding, shrinking and encoding release the GIL. A batch's page is made on as many
    threads as the batch had workers (``--jobs``), which are done by then.

    Raises
    ------
    ValueError
        If a kind is unknown, or ``max_pixels`` or ``threads`` is below 1.

    >>> thumbnails([("no such file.png", "photo")], 64, threads=3)
    [None]
    """
    kinds = [check_choice(kind, "kind", THUMBNAIL_KINDS) for _, kind in wanted]
    max_pixels = check_max_pixels(max_pixels)
    n = _threads.count() if threads is None else check_int(threads, "threads", minimum=1)
    made: list[Thumbnail | None] = [None] * len(wanted)
    taken = itertools.count()  # next() of a count is one step: two threads take each once
    stop = threading.Event()

    def work() -> None:
        while not stop.is_set() and (i := next(taken)) < len(wanted):
            try:
                made[i] = _made(Path(wanted[i][0]), size, kinds[i], max_pixels)
            except ImageReadError:
                pass

    def first() -> None:  # the caller's: its error (Ctrl-C) stops the others taking more
        try:
            work()
        except BaseException:
            stop.set()
            raise

    # Held for the caller's context, which the threads are handed (a copy of it).
    with _quiet():
        _on_threads(first, work, max(1, min(n, len(wanted))), shared=threads is None)
    return made


def _on_threads(first: Callable[[], None], work: Callable[[], None], n: int, *,
                shared: bool) -> None:
    """``first`` run in the caller and ``work`` at once on ``n - 1`` other threads: those
    of the shared pool when ``shared`` (:func:`quantize._threads.run`, which has
    :func:`quantize._threads.count` threads at most), else threads of their own, each
    waited for, whatever becomes of ``first``."""
    if shared or n == 1:
        _threads.run([first, *[work] * (n - 1)])
        return
    others = [_threads.beside(work) for _ in range(n - 1)]
    try:
        first()
    finally:  # they write into the caller's list: let them finish the image each is on
        for other in others:
            other.join()
    for other in others:
        other.result()


def _made(path: Path, size: int, kind: str, max_pixels: int | None) -> Thumbnail:
    im, how, loaded = _THUMBNAILERS[kind](path, size, max_pixels)
    cropped = _middle_box(loaded.rgb.shape[1], loaded.rgb.shape[0]) is not None
    return Thumbnail(_encode(im, how), im.width, im.height, loaded.n_frames, loaded.format,
                     cropped)


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """The warnings of reading an image ignored: every one (a :class:`QuantizeWarning`)
    is about the file, which its job read first and reported on its own line. Held in
    this thread and the tasks it hands to quantize's threads alone
    (:func:`~quantize.errors.warnings_held`), not by the process's filters."""
    with warnings_held((QuantizeWarning,)):
        yield


def _loaded_pil(path: Path, max_pixels: int | None,
                shrink_to: int | None = None) -> tuple[Image.Image, LoadedImage]:
    """The image (the first frame of an animation) as upright sRGB (RGB or RGBA), and the
    file as read (a JPEG possibly decoded smaller, down to ``shrink_to`` a side: see
    :func:`quantize.io.load_image`). A pipe or device is refused unopened, as batch
    leaves it: opening a named pipe waits for a writer, for ever if none comes."""
    require_regular_file(path, "path")
    loaded = load_image(path, max_pixels=max_pixels, shrink_to=shrink_to)
    return _pil_image(loaded.rgb, loaded.alpha), loaded


def _loaded_middle(path: Path, max_pixels: int | None,
                   shrink_to: int | None = None) -> tuple[Image.Image, LoadedImage]:
    """As :func:`_loaded_pil`, the image cut to its middle part when it is longer than
    :data:`MAX_ASPECT` times its other side (:func:`_middle_box`): what a thumbnail shows.
    It is cut before it is made a PIL image, so a long image is not copied whole."""
    require_regular_file(path, "path")
    loaded = load_image(path, max_pixels=max_pixels, shrink_to=shrink_to)
    box = _middle_box(loaded.rgb.shape[1], loaded.rgb.shape[0])
    if box is None:
        return _pil_image(loaded.rgb, loaded.alpha), loaded
    left, top, right, bottom = box
    alpha = None if loaded.alpha is None else loaded.alpha[top:bottom, left:right]
    return _pil_image(loaded.rgb[top:bottom, left:right], alpha), loaded


def _pil_image(rgb: np.ndarray, alpha: np.ndarray | None) -> Image.Image:
    """``(H, W, 3)`` uint8 ``rgb`` as an RGB image, RGBA with ``alpha`` ``(H, W)``."""
    im = Image.fromarray(rgb)
    if alpha is not None:
        im.putalpha(Image.fromarray(alpha))
    return im


def _middle_box(width: int, height: int) -> _Box | None:
    """The middle part of a ``width`` x ``height`` image that is :data:`MAX_ASPECT` times as
    long as its short side, when the image is longer; None when it is not.

    >>> _middle_box(2000, 20), _middle_box(30, 300), _middle_box(160, 20)
    ((920, 0, 1080, 20), (0, 30, 30, 270), None)
    """
    if width > MAX_ASPECT * height:
        left = (width - MAX_ASPECT * height) // 2
        return left, 0, left + MAX_ASPECT * height, height
    if height > MAX_ASPECT * width:
        top = (height - MAX_ASPECT * width) // 2
        return 0, top, width, top + MAX_ASPECT * width
    return None


def _enlarged(im: Image.Image, size: int) -> bool:
    """The page shows ``im`` enlarged, its pixels as sharp squares (at most half the size
    shown): a JPEG's blocks and blurred colours would be enlarged with them."""
    return 2 * max(im.size) <= min(size, SHOWN_SIZE)


def _photo_thumbnail(path: Path, size: int, max_pixels: int | None) -> _Shrunk:
    """A photo shrunk smoothly, for a JPEG; one shown enlarged, as it is: for a PNG, or, when
    its file is a JPEG, for a finer JPEG (:data:`_JPEG`)."""
    im, loaded = _loaded_middle(path, max_pixels, shrink_to=size)
    if _enlarged(im, size):
        return im, "enlarged" if loaded.format in _JPEG_FORMATS else "flat", loaded
    im.thumbnail((size, size), Image.Resampling.LANCZOS)
    return im, "photo", loaded


def _reduced_thumbnail(path: Path, size: int, max_pixels: int | None) -> _Shrunk:
    """A reduced image sampled at the nearest pixel: only palette colours, for a PNG."""
    im, loaded = _loaded_middle(path, max_pixels)
    im.thumbnail((size, size), Image.Resampling.NEAREST)
    return im, "flat", loaded


def _dithered_thumbnail(path: Path, size: int, max_pixels: int | None) -> _Shrunk:
    """A dithered image shrunk by the mean of the pixels each thumbnail pixel covers: the
    colours its dither pattern mixes, as seen from afar. Not shrunk, it stays exact."""
    im, loaded = _loaded_middle(path, max_pixels)
    if max(im.size) <= size:
        return im, "flat", loaded
    im.thumbnail((size, size), Image.Resampling.BOX)
    return im, "photo", loaded


def _overlay_thumbnail(path: Path, size: int, max_pixels: int | None) -> _Shrunk:
    """The overlay shrunk smoothly, with its borders redrawn one pixel wide.

    Shrinking would fade one-pixel borders to a tint; the segment folder's
    ``boundaries.png`` says where they are, and the overlay what colour they have.
    """
    im, loaded = _loaded_middle(path, max_pixels)
    rgb = loaded.rgb
    if _enlarged(im, size):  # shown as it is: borders and all, exactly, in a PNG
        return im, "flat", loaded
    im.thumbnail((size, size), Image.Resampling.LANCZOS)
    try:
        mask = load_image(path.with_name(BOUNDARIES_NAME), max_pixels=max_pixels).rgb[..., 0] > 127
    except ImageReadError:
        return im, "overlay", loaded
    if mask.shape != rgb.shape[:2]:
        return im, "overlay", loaded
    box = _middle_box(rgb.shape[1], rgb.shape[0])
    if box is not None:  # the part the thumbnail shows
        left, top, right, bottom = box
        rgb, mask = rgb[top:bottom, left:right], mask[top:bottom, left:right]
    if not mask.any():
        return im, "overlay", loaded
    color = np.median(rgb[mask], axis=0).astype(np.uint8)
    scale = rgb.shape[1] / im.width
    # a border crossing a box of side s covers about s of its s*s pixels
    cover = np.asarray(Image.fromarray(mask.astype(np.float32)).resize(im.size,
                                                                       Image.Resampling.BOX))
    pixels = np.array(im)
    pixels[cover >= 0.4 / scale, :3] = color
    return Image.fromarray(pixels), "overlay", loaded


_THUMBNAILERS = {"photo": _photo_thumbnail, "reduced": _reduced_thumbnail,
                 "dithered": _dithered_thumbnail, "overlay": _overlay_thumbnail}
#: The ways :func:`thumbnail_uri` can shrink an image.
THUMBNAIL_KINDS = tuple(_THUMBNAILERS)


def _encode(im: Image.Image, kind: str) -> str:
    """``data:`` URI: a JPEG as :data:`_JPEG` says for ``kind`` (an RGB image), else a PNG
    ("flat": its very pixels)."""
    buffer = _io.BytesIO()
    if im.mode == "RGB" and kind != "flat":
        quality, subsampling = _JPEG[kind]
        im.save(buffer, format="JPEG", quality=quality, subsampling=subsampling)
        mime = "jpeg"
    else:
        _indexed_if_few_colors(im).save(buffer, format="PNG")
        mime = "png"
    return f"data:image/{mime};base64,{base64.b64encode(buffer.getvalue()).decode('ascii')}"


def _indexed_if_few_colors(im: Image.Image) -> Image.Image:
    """The same pixels as a palette image when it has at most 256 colours (smaller PNG)."""
    if im.mode not in ("RGB", "RGBA") or im.getcolors(MAX_PALETTE) is None:
        return im
    shifts = np.array([24, 16, 8, 0] if im.mode == "RGBA" else [16, 8, 0], np.uint32)
    codes = np.bitwise_or.reduce(np.asarray(im).astype(np.uint32) << shifts, axis=-1)
    values, inverse = np.unique(codes, return_inverse=True)
    palette = ((values[:, None] >> shifts) & 0xFF).astype(np.uint8)
    indexed = Image.fromarray(inverse.reshape(codes.shape).astype(np.uint8), mode="P")
    indexed.putpalette(palette.tobytes(), rawmode=im.mode)
    return indexed
