"""Reading animations: what a viewer sees, one frame at a time.

GIF, APNG and animated WebP are read through Pillow, which composites every
frame onto the canvas (disposal, blending and transparency applied), so each
frame comes out as the full picture shown at that moment, ``(H, W, 4)`` RGBA.
An APNG's frames are composited by :class:`quantize.io.KeyedCanvas` instead, as
the APNG specification says: Pillow composites a grayscale, RGB or palette one
on a canvas without alpha (what a frame's disposal cleared came out opaque black,
or palette entry 0, not transparent), blends the alpha of a translucent frame as
a colour, cannot draw a 16-bit grayscale frame over the canvas, and keeps the high
byte of each sample of a 16-bit RGB or RGBA one (read here from all 16 bits). A GIF's frames
are composited by :class:`quantize.gif_canvas.GifCanvas`, as browsers show them:
Pillow showed what a frame's disposal cleared, and where the first frame does not
reach, opaque, in the background colour or palette entry 0.
Frames are decoded one at a time as the caller iterates: memory holds one
frame (plus Pillow's canvas, and an APNG's own, unless Pillow draws its frames
alike: :func:`quantize.io.drawn_alike_by_pillow`), however long the animation.

The pixel limit (``max_pixels``) applies to frames x width x height and is
checked before any frame is decoded.

Every frame is turned upright by the file's EXIF orientation (an APNG's eXIf chunk, an
animated WebP's EXIF chunk; Pillow turns a TIFF's pages itself), as a still is: composited
on the canvas as stored, then turned, so that an orientation of 5 to 8 swaps the canvas's
width and height.

A multi-page TIFF is read the same way, page after page, but its pages carry
no duration and the file no loop count: each page is given
``PAGE_DURATION_MS`` (one second, so that a viewer can look at each page; a
duration of 0 made players flash through them) and the animation loops
forever, as a slide show of the pages (see :attr:`AnimationInfo.timed`).
"""

from __future__ import annotations

import contextlib
import io
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image, ImageSequence

from .._validation import check_max_pixels, check_path
from ..colors import on_matte
from ..errors import ImageReadError
from ..gif_canvas import (
    GifCanvas,
    GifImage,
    browser_disposal,
    gif_loop,
    gif_screen,
    pillow_gif_images,
)
from ..io import (
    DEFAULT_MAX_FRAMES,
    DEFAULT_MAX_PIXELS,
    GRAY_MODES,
    DarkPages,
    KeyedCanvas,
    OpenInput,
    check_frame_pixels,
    exif_orientation,
    first_page,
    forget_default_image,
    frame_rgba,
    frames_canvas,
    hidden_frames,
    ignore_overlong_trns,
    missing_file,
    open_input,
    pillow_limit_lifted,
    read_errors,
    read_unmapped,
    readable_input,
    seek_first_page,
    shown_frames,
    stated_dpi,
    tiff_exif,
    upright_dpi,
    upright_exif,
    warn_samples_left_out,
    wide_page,
)
from ..png import (
    check_frame_count,
    check_png_chunks,
    check_png_frames,
    png_text,
    second_reader,
    still_png,
    warn_chunks_left_out,
    whole_png_rows,
)
from ..webp import frame_alpha_read

__all__ = ["FRAMES_FORMAT", "PAGE_DURATION_MS", "TIMED_FORMATS", "AnimationInfo", "Frame",
           "OpenAnimation",
           "count_frames", "iter_frames", "open_animation", "opened_animation",
           "probe_animation"]

#: The format of still images joined as the frames of one animation
#: (:mod:`~quantize.animation.sequence`), timed by the frame rate given.
FRAMES_FORMAT = "FRAMES"
#: Pillow formats whose frames carry a duration and whose files a loop count, and still
#: images joined as frames (``FRAMES_FORMAT``). The frames of other formats (the pages of
#: a multi-page TIFF) are not timed.
TIMED_FORMATS = frozenset({"GIF", "PNG", "WEBP", "AVIF", "FLI", FRAMES_FORMAT})
#: Milliseconds each frame of a file whose frames are not timed is shown.
PAGE_DURATION_MS = 1000.0

# Disposal as GIF numbers it (0 unspecified, 1 keep, 2 clear to background,
# 3 restore previous); APNG's dispose_op 0/1/2 maps onto 1/2/3.
_APNG_TO_GIF_DISPOSAL = {0: 1, 1: 2, 2: 3}


@dataclass(frozen=True)
class AnimationInfo:
    """What the header and frame table of an animation say.

    Attributes
    ----------
    path : Path
        The file.
    format : str
        Pillow's format name ("GIF", "PNG", "WEBP", "AVIF", "TIFF"...).
    size : (int, int)
        Canvas width and height, upright: swapped from those the file stores by an
        EXIF orientation of 5 to 8.
    n_frames : int
        Number of frames.
    loop : int or None
        The loop count as the file stores it (0 forever); None when the file
        says nothing (GIF without a loop extension: play once). An animated AVIF's
        is taken as 0, as Pillow does not read it. A GIF counts
        repeats after the first play, APNG and WebP count plays: see ``plays``.
    orientation : int
        The EXIF orientation every frame is turned upright by, 1 to 8 (1: as stored).
    screen : (int, int) or None
        A GIF's screen as its header gives it, upright, when its first frame reaches
        past it: ``size`` is then as large as that frame reaches (as Pillow and Chromium
        make it). None otherwise.
    dpi : (float, float) or None
        The physical resolution (x, y) in dots per inch the file states (of a TIFF, its
        first page's), upright, as :attr:`quantize.io.LoadedImage.dpi`; None when it
        states none.
    exif : bytes or None
        The file's EXIF block (an APNG's eXIf chunk, a WebP's EXIF chunk, a TIFF's first
        page's tags), its Orientation set to 1 as the frames are upright, as
        :attr:`quantize.io.LoadedImage.exif`; None when it has none (a GIF), or it is
        damaged.
    text : tuple of (bytes, bytes)
        An APNG's text chunks, as :attr:`quantize.io.LoadedImage.text`; ``()`` of any
        other file.
    """

    path: Path
    format: str
    size: tuple[int, int]
    n_frames: int
    loop: int | None
    orientation: int = 1
    screen: tuple[int, int] | None = None
    dpi: tuple[float, float] | None = None
    exif: bytes | None = None
    text: tuple[tuple[bytes, bytes], ...] = ()

    @property
    def timed(self) -> bool:
        """Whether the format stores frame durations (not so a multi-page TIFF's pages)."""
        return self.format in TIMED_FORMATS

    @property
    def plays(self) -> int:
        """Times the animation is played, 0 for forever, whatever the format.

        A GIF's loop count (the NETSCAPE extension) is the number of repeats,
        so a GIF with loop count N plays N + 1 times, and once without the
        extension (as browsers play it, and as libwebp's ``gif2webp`` converts
        it); APNG's ``num_plays`` and WebP's loop count are plays already.
        Pages that are not timed (a multi-page TIFF) are shown forever, in turn.
        """
        if not self.timed:
            return 0
        if self.loop is None:
            return 1
        if self.format == "GIF" and self.loop > 0:
            return self.loop + 1
        return self.loop


@dataclass(frozen=True)
class Frame:
    """One composited frame.

    Attributes
    ----------
    rgba : (H, W, 4) ndarray of uint8
        What a viewer shows, as RGBA, upright.
    duration : float
        Milliseconds the frame stays on screen (a fraction for an APNG, which
        stores seconds as a fraction: 1/30 s is 33.33 ms); ``PAGE_DURATION_MS``
        for a page of a format without durations (a multi-page TIFF).
    disposal : int
        GIF disposal of the frame (0 unspecified, 1 keep, 2 clear to background, 3
        restore previous), as browsers read the one stored (a reserved 4 is 3, 5 to 7
        are 1: :func:`~quantize.gif_canvas.browser_disposal`); 1 for WebP, which has no
        such field.
    cut : bool
        Whether the frame reached past the canvas (a GIF frame larger than the
        screen its header gives, which browsers clip) and was cut to it.
    gray : bool
        Whether the file stores the frame grey (a TIFF's grey page, a grey APNG), as
        :attr:`quantize.io.LoadedImage.gray` says of a still: Pillow's mode "1", "L",
        "LA", 16-bit or float grey. A TIFF's page of it is written grey where every entry
        of its palette is (:func:`~quantize.encode.tiff_page`).
    dpi : (float, float) or None
        A TIFF page's own resolution (x, y) in dots per inch, upright, which its page in a
        TIFF output keeps; None of a page that states none and of any other frame (whose
        file's, :attr:`AnimationInfo.dpi`, is kept).
    """

    rgba: np.ndarray
    duration: float
    disposal: int
    cut: bool = False
    gray: bool = False
    dpi: tuple[float, float] | None = None


def count_frames(path: str | os.PathLike[str]) -> int:
    """Frames in an image file (1 for stills), without decoding them.

    Raises
    ------
    ImageReadError
        If the file is missing or not an image Pillow opens.
    """
    p = check_path(path, "path")
    _require_file(p)
    with _opened(p) as im:
        return shown_frames(im)


def probe_animation(path: str | os.PathLike[str], *,
                    max_pixels: int | None = DEFAULT_MAX_PIXELS,
                    max_frames: int | None = DEFAULT_MAX_FRAMES) -> AnimationInfo:
    """Check an animation from its header and frame table, without decoding pixels.

    Parameters
    ----------
    path : str or path-like
        The file.
    max_pixels : int or None
        Refuse animations whose frames x width x height exceeds this. None:
        no limit.
    max_frames : int or None
        Refuse animations (and TIFF stacks) of more frames than this, counted
        before any is decoded (:func:`~quantize.io.check_frame_limit`). None:
        no limit.

    Returns
    -------
    AnimationInfo

    Raises
    ------
    ImageReadError
        If the file cannot be read, or is over the pixel or frame limit (one
        line, naming the file).
    """
    p = check_path(path, "path")
    limit = check_max_pixels(max_pixels)
    with open_input(p, max_pixels=limit, max_frames=max_frames) as source:
        return _opened_info(source)


class OpenAnimation:
    """An animation opened once (:func:`open_animation`, :func:`opened_animation`): its
    ``path``, its ``info`` (:class:`AnimationInfo`) and :meth:`OpenAnimation.frames`, which
    reads every frame as often as a job asks (a fit, then the frames written) without
    opening the file by its name or probing it again.

    Each reading has Pillow open the file again, through a descriptor of its own kept
    from the opening (or, opened from bytes, those bytes), and decodes that image: the
    image opened stays undecoded, holding no frame while the next reading runs. A file put
    in the animation's place meanwhile is not read, and one written over in place is
    refused.

    Pages of more than 8 bits that come out dark are said so once, however often they
    are read (:class:`~quantize.io.DarkPages`), the warning ending with ``dark_advice``
    when given. With ``matte``, an ``(r, g, b)`` colour, every frame's translucent pixels
    are composited onto it (:func:`~quantize.colors.on_matte`); ``matted`` says whether a
    frame read so far had one (a matte on opaque frames does nothing).
    """

    def __init__(self, image: Image.Image, info: AnimationInfo, max_pixels: int | None,
                 dark_advice: str | None = None,
                 matte: tuple[int, int, int] | None = None) -> None:
        self.path, self.info, self._max_pixels = info.path, info, max_pixels
        self.matte = matte
        self.matted = False  # a frame read had a translucent pixel, blended onto ``matte``
        self._kept: int | bytes | None = _kept_file(image)
        self._state = _file_state(self._kept)
        self._dark = DarkPages(dark_advice)

    def frames(self) -> Iterator[Frame]:
        """Yield every frame as :func:`iter_frames` does, decoding one at a time.

        Raises
        ------
        ImageReadError
            As :func:`iter_frames`; and when the file was written over in place since it
            was opened (its size or time changed): its frames are no longer those its
            ``info`` describes.
        ValueError
            Once the animation was closed (its block has ended).
        """
        if self._kept is None:
            raise ValueError(f"{self.path}: the animation was closed; read its frames "
                             "within open_animation")
        with self._opened_again() as im:
            for frame in _stored_frames(self.path, im, self.info, self._max_pixels,
                                        self._dark):
                if self.info.orientation != 1:
                    frame = replace(frame, rgba=_upright(frame.rgba, self.info.orientation))
                if self.matte is not None:
                    alpha = frame.rgba[..., 3]
                    self.matted = self.matted or bool(((alpha > 0) & (alpha < 255)).any())
                    frame = replace(frame, rgba=on_matte(frame.rgba, self.matte))
                yield frame
                del frame  # the caller's now: not kept while the next frame is drawn

    @contextlib.contextmanager
    def _opened_again(self) -> Iterator[Image.Image]:
        """The file opened by Pillow again, from its kept descriptor or bytes, at the page
        read (:func:`~quantize.io.first_page`)."""
        if _file_state(self._kept) != self._state:
            raise ImageReadError("changed while it was read (its size or time differ from "
                                 "when it was opened); run again once it is written",
                                 path=self.path)
        fp = (os.fdopen(os.dup(self._kept), "rb") if isinstance(self._kept, int)
              else io.BytesIO(self._kept))  # type: ignore[arg-type]  # not None: frames checks
        # a file of several frames is read from page 0 (:func:`_pages_read`)
        with fp, _opened(self.path, fp, at_first_page=self.info.n_frames == 1) as im:
            yield im

    def close(self) -> None:
        """Close the file kept (as a ``with`` block of it ends, and
        :func:`open_animation`'s)."""
        kept, self._kept = self._kept, None
        if isinstance(kept, int):
            os.close(kept)

    def __enter__(self) -> OpenAnimation:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@contextlib.contextmanager
def open_animation(path: str | os.PathLike[str], *,
                   max_pixels: int | None = DEFAULT_MAX_PIXELS,
                   max_frames: int | None = DEFAULT_MAX_FRAMES,
                   dark_advice: str | None = None,
                   matte: tuple[int, int, int] | None = None) -> Iterator[OpenAnimation]:
    """:func:`probe_animation` of ``path``, with the file held open for the block so that
    its frames are read (:meth:`OpenAnimation.frames`, as often as asked) without opening
    it by its name again. Errors raised in the block are its own. ``dark_advice`` ends the
    warning that its pages come out dark, ``matte`` (checked already) is the colour its
    frames' translucent pixels are composited onto (:class:`OpenAnimation`).

    Raises
    ------
    ImageReadError, ValueError, TypeError
        As :func:`probe_animation`.
    """
    p = check_path(path, "path")
    limit = check_max_pixels(max_pixels)
    with open_input(p, max_pixels=limit, max_frames=max_frames) as source:
        animation = opened_animation(source, limit, dark_advice, matte)
    with animation:
        yield animation


def opened_animation(source: OpenInput, max_pixels: int | None,
                     dark_advice: str | None = None,
                     matte: tuple[int, int, int] | None = None) -> OpenAnimation:
    """The animation ``source`` holds open (:func:`~quantize.io.open_input`, whose limit
    ``max_pixels`` was, not yet loaded), as :func:`open_animation` gives it: for a job
    that opened its input before it knew it was an animation. It keeps a descriptor of
    its own of the file, and outlives ``source``, whose image (a WebP's decoder holds two
    frames) can be let go: close it, or read it in a ``with`` block. ``dark_advice`` and
    ``matte`` are :func:`open_animation`'s.

    Raises
    ------
    ImageReadError
        As :func:`probe_animation`: ``source`` is not a regular file, or its frame table
        or header cannot be read.

    Warns
    -----
    SamplesLeftOutWarning
        Once, for a TIFF of more samples a pixel than its pages are read with
        (:func:`~quantize.io.warn_samples_left_out`).
    """
    info = _opened_info(source)
    warn_chunks_left_out(source.image)  # its frames are read from the bytes kept
    warn_samples_left_out(source.image)  # once a file, as load_image says it of a still
    with read_errors(source.path, "animation"):
        return OpenAnimation(source.image, info, max_pixels, dark_advice, matte)


def _opened_info(source: OpenInput) -> AnimationInfo:
    """The :class:`AnimationInfo` of the animation ``source`` holds open, not yet loaded
    (:func:`probe_animation`'s, without keeping the file for a reading of the frames)."""
    p = source.path
    _require_file(p)
    with read_errors(p, "animation"):
        return _info(source.image, p, source.n_frames)


def _info(im: Image.Image, p: Path, n: int) -> AnimationInfo:
    """The :class:`AnimationInfo` of ``im``, opened from ``p`` and not yet decoded, which
    shows ``n`` frames (:func:`~quantize.io.shown_frames`)."""
    check_frame_count(im, n, p)
    w, h = im.size
    loop = im.info.get("loop")
    if loop is None and im.format == "GIF":  # an extension Pillow does not read
        with second_reader(im) as reader:
            loop = gif_loop(reader)
    if loop is None and im.format == "AVIF" and n > 1:
        # Pillow reads no repetition count from an AVIF: taken as forever, which
        # libavif writes unless told otherwise, and as browsers play such files
        loop = 0
    # Read without decoding a frame (a PNG's from an eXIf chunk before its image data,
    # where the PNG specification places it). A TIFF's is left to Pillow, which turns
    # its pages upright as it decodes them; its resolution is turned by it all the same.
    stored = exif_orientation(im)
    orientation = 1 if im.format == "TIFF" else stored
    screen = _grown_screen(im)
    dpi = upright_dpi(stated_dpi(im), stored)
    exif = tiff_exif(im) if im.format == "TIFF" else upright_exif(im.info.get("exif"))
    return AnimationInfo(p, str(im.format), _turned_size((w, h), orientation), n,
                         None if loop is None else int(loop), orientation,
                         None if screen is None else _turned_size(screen, orientation), dpi,
                         exif, png_text(im))


def _kept_file(im: Image.Image) -> int | bytes:
    """What a later reading of ``im``'s file opens (:meth:`OpenAnimation.frames`): a
    descriptor of its own of the regular file ``im`` was opened from, or, opened from
    bytes (a PNG without its overlong text, a WebP with its alpha flag set), those bytes.
    Taken before ``im`` is decoded: Pillow closes a still's file once it is."""
    try:
        fd = im.fp.fileno()
        if stat.S_ISREG(os.fstat(fd).st_mode):
            return os.dup(fd)
    except (AttributeError, OSError, ValueError):  # BytesIO: UnsupportedOperation
        pass
    with second_reader(im) as reader:
        return reader.read()


def _file_state(kept: int | bytes | None) -> tuple[int, int] | None:
    """The size and time of the file ``kept`` (a descriptor), which tell it written over;
    None for bytes, which do not change."""
    if not isinstance(kept, int):
        return None
    st = os.fstat(kept)
    return st.st_size, st.st_mtime_ns


def _grown_screen(im: Image.Image) -> tuple[int, int] | None:
    """The screen the header of ``im``, an opened GIF, gives, when its first frame reaches
    past it and Pillow made ``im.size`` as large as that frame reaches; else None (and
    for any other image)."""
    if im.format != "GIF":
        return None
    with second_reader(im) as reader:
        screen = gif_screen(reader)
    return None if screen is None or screen == im.size else screen


def iter_frames(path: str | os.PathLike[str], *,
                max_pixels: int | None = DEFAULT_MAX_PIXELS,
                max_frames: int | None = DEFAULT_MAX_FRAMES) -> Iterator[Frame]:
    """Yield every frame of an animation as a viewer sees it, decoding one at a time.

    Parameters
    ----------
    path : str or path-like
        A GIF, APNG or animated WebP, or a multi-page TIFF (whose pages last
        ``PAGE_DURATION_MS`` each); a still image yields one frame.
    max_pixels, max_frames : int or None
        As in :func:`probe_animation`, checked before the first frame is decoded.

    Yields
    ------
    Frame

    Raises
    ------
    ImageReadError
        If the file cannot be read or decoded, or is over the pixel or frame limit, or a
        chunk of a PNG (APNG) has a bad CRC (:func:`quantize.png.check_png_chunks`) or the
        image data of a frame ends before its last row (:func:`quantize.png.check_png_frames`).
    """
    with open_animation(path, max_pixels=max_pixels, max_frames=max_frames) as animation:
        yield from animation.frames()


def _stored_frames(p: Path, im: Image.Image, info: AnimationInfo,
                   max_pixels: int | None, dark: DarkPages) -> Iterator[Frame]:
    """The frames of :func:`iter_frames` as the file stores them, before its orientation,
    of ``im``, opened from ``p`` (at the page read, not yet decoded); pages that come out
    dark said so as ``dark`` says (:func:`~quantize.io.frame_rgba`)."""
    w, h = _stored_size(info)
    with read_errors(p, "animation"), _keyed_canvas(p, im) as (keyed, still):
        drawn = _gif_frames(p, im, info, max_pixels)
        if drawn is not None:
            yield from drawn
            return
        start, hidden, end = _pages_read(im, info)
        timed = im.format in TIMED_FORMATS
        for i, frame in enumerate(ImageSequence.Iterator(im)):
            if i < start:  # a TIFF's reduced-size copy before the page read
                continue
            if i < hidden:  # the default image, not a frame
                forget_default_image(frame)
                continue
            if i >= end:  # an MPO's preview, a TIFF's page of another size
                break
            # A GIF frame reaching past the canvas makes Pillow's canvas larger from there
            # on: checked before it is decoded, then cut to the canvas.
            cut = frame.size != (w, h)
            if cut:
                check_frame_pixels(p, info.n_frames, frame.size, max_pixels)
            page = i + 1 if getattr(im, "n_frames", 1) > 1 else None
            with whole_png_rows(frame, p) if still else contextlib.nullcontext():
                rgba = frame_rgba(_drawn(frame, keyed, page, dark), page, dark)
            if cut:
                rgba = np.ascontiguousarray(rgba[:h, :w])
            duration = float(frame.info.get("duration", 0) or 0) if timed else PAGE_DURATION_MS
            dpi = (upright_dpi(stated_dpi(frame), exif_orientation(frame))
                   if im.format == "TIFF" else None)
            yield Frame(rgba, duration, _disposal(frame), cut, frame.mode in GRAY_MODES, dpi)
            del rgba  # the caller's now: not kept while the next frame is drawn


def _pages_read(im: Image.Image, info: AnimationInfo) -> tuple[int, int, int]:
    """The first page of ``im`` read, the frames before the first of ``info`` (the
    default image of an APNG: :func:`~quantize.io.hidden_frames`) and the page after its
    last frame.

    A file of several frames starts at page 0 (a TIFF of several shown pages has pages of
    one size, none a reduced-size copy to pass: :func:`~quantize.io.shown_frames`), and
    shows the ``info.n_frames`` counted when it was opened (the file is checked unchanged
    since): counted again, each TIFF page's header was read twice more a reading.
    """
    hidden = hidden_frames(im)  # counted once, on the opened file
    if info.n_frames > 1:
        return 0, hidden, hidden + info.n_frames
    start = first_page(im)  # a TIFF's full image after its thumbnail, else 0
    return start, hidden, start + hidden + shown_frames(im)


def _drawn(frame: Image.Image, keyed: KeyedCanvas | None, page: int | None = None,
           dark: DarkPages | None = None) -> Image.Image:
    """``frame`` (the opened file, moved to it) decoded: drawn on ``keyed``, the canvas of
    an APNG or 16-bit PNG, or else, a page of a 16-bit TIFF, read from all 16 bits
    (:func:`~quantize.io.wide_page`; its colours that come out dark said as ``dark``
    says, naming ``page``), or as Pillow decodes it."""
    if keyed is not None:
        return keyed.draw(frame)
    wide = wide_page(frame, page, dark)
    return frame if wide is None else wide


def _gif_frames(p: Path, im: Image.Image, info: AnimationInfo,
                max_pixels: int | None) -> Iterator[Frame] | None:
    """The frames of ``im``, a GIF opened from ``p``, drawn on a :class:`GifCanvas` as
    browsers show them; None for any other image, and for a GIF whose blocks are not
    read as Pillow reads them (:func:`~quantize.gif_canvas.pillow_gif_images`): its frames
    are then Pillow's.

    Pillow decoded every frame as it moved to the next, so the frames are taken from the
    file's blocks here, each decoded once; a frame's duration is the one Pillow gives, its
    disposal the one its block stores (Pillow keeps the last disposal given for a frame
    whose disposal is unspecified, which would have the writer clear and redraw what
    stays), and a frame reaching past the screen is clipped to it (Pillow's canvas grew
    from there on, checked against the pixel limit as it was).
    """
    if im.format != "GIF":
        return None
    reader = second_reader(im)
    images = pillow_gif_images(im, reader, info.n_frames)
    if images is None:
        reader.close()
        return None
    return _drawn_gif_frames(reader, images, p, info, max_pixels)


def _drawn_gif_frames(reader: BinaryIO, images: list[GifImage], p: Path, info: AnimationInfo,
                      max_pixels: int | None) -> Iterator[Frame]:
    size = _stored_size(info)
    with reader:
        canvas = GifCanvas(reader, images, size)
        grown = size
        for i, image in enumerate(images):
            # This frame reaches past the canvas (not: an earlier one did, which Pillow's
            # canvas keeps, and every frame after the first cut was counted as cut too)
            cut = image.box[2] > size[0] or image.box[3] > size[1]
            if cut:
                grown = (max(grown[0], image.box[2]), max(grown[1], image.box[3]))
                check_frame_pixels(p, info.n_frames, grown, max_pixels)
            yield Frame(canvas.draw(i), float(image.duration), image.disposal, cut)


@contextlib.contextmanager
def _keyed_canvas(p: Path, im: Image.Image) -> Iterator[tuple[KeyedCanvas | None, bool]]:
    """Check the chunks of ``im`` (opened from ``p``) and, but for a still PNG, the image
    data of every frame (:func:`~quantize.png.check_png_frames`), and give the
    :class:`~quantize.io.KeyedCanvas` its frames are drawn on
    (:func:`~quantize.io.frames_canvas`), or None, and whether it is a still PNG
    (:func:`~quantize.png.still_png`).

    The image data of a still PNG is not counted here: Pillow decodes it onto an image of
    its own, where the caller tells rows that are missing apart cheaply, as
    :func:`~quantize.io.load_image` does (:func:`~quantize.png.whole_png_rows`).
    """
    check_png_chunks(im, p)
    ignore_overlong_trns(im)
    still = im.format == "PNG" and still_png(im.fp)
    if not still:
        check_png_frames(im, p)
    with frames_canvas(im) as canvas:
        yield canvas, still


# EXIF orientations that turn a picture by a quarter (or transpose it): width and height swap.
_SWAPPING = frozenset({5, 6, 7, 8})


def _turned_size(size: tuple[int, int], orientation: int) -> tuple[int, int]:
    """A width and height turned by EXIF ``orientation``: swapped by 5 to 8, which turn a
    picture by a quarter (turning twice gives them back)."""
    w, h = size
    return (h, w) if orientation in _SWAPPING else (w, h)


def _stored_size(info: AnimationInfo) -> tuple[int, int]:
    """The canvas width and height as the file stores them, before its orientation."""
    return _turned_size(info.size, info.orientation)


def _upright(rgba: np.ndarray, orientation: int) -> np.ndarray:
    """``rgba``, an ``(H, W, 4)`` frame as stored, turned as EXIF ``orientation`` (2 to 8)
    says, as :func:`PIL.ImageOps.exif_transpose` turns a still."""
    if orientation in _SWAPPING:  # rows become columns, then mirrored as below
        rgba = rgba.transpose(1, 0, 2)
    if orientation in (2, 3, 6, 7):  # mirrored left to right
        rgba = rgba[:, ::-1]
    if orientation in (3, 4, 7, 8):  # mirrored top to bottom
        rgba = rgba[::-1]
    return np.ascontiguousarray(rgba)


def _disposal(frame: Image.Image) -> int:
    if frame.format == "GIF":
        return browser_disposal(int(getattr(frame, "disposal_method", 0) or 0))
    if frame.format == "PNG":
        return _APNG_TO_GIF_DISPOSAL.get(int(frame.info.get("disposal", 0)), 1)
    return 1


@contextlib.contextmanager
def _opened(p: Path, fp: BinaryIO | None = None,
            at_first_page: bool = True) -> Iterator[Image.Image]:
    """Open ``p`` (or ``fp``, its file or bytes, opened already) with Pillow at the page
    read (:func:`~quantize.io.first_page`; without ``at_first_page``, at page 0, for a
    file known to start there); every failure (also while decoding) becomes
    ImageReadError."""
    # Pillow's decompression-bomb guard is lifted, not its warning filtered (the warning
    # filters are one per process, not per thread): max_pixels is checked instead.
    with (read_errors(p, "animation"), pillow_limit_lifted(),
          Image.open(readable_input(p) if fp is None else fp) as opened,
          frame_alpha_read(opened) as im):
        if at_first_page:
            seek_first_page(im)
        yield read_unmapped(im)


def _require_file(p: Path) -> None:
    """Refuse ``p`` when it is missing or not a regular file, naming which."""
    if not p.is_file():
        raise ImageReadError(missing_file(p) if not p.exists() else "not a regular file", path=p)
