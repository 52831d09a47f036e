"""Still images joined as the frames of one animation (``reduce --frames``).

A folder of frames (``frame001.png`` ... ``frame045.png``, as screen recorders and
animation tools export them) read as one animation, as ImageMagick's ``convert -delay 10
frames/*.png out.gif`` and ``gifski --fps 10`` read them: :func:`open_frame_files` checks
every file's header first (all stills of one size, each within the pixel limit on its
own, as separate files are: a clip's length is no decompression bomb, its files decoded one
at a time), and :class:`FrameFiles` then reads them as
:class:`~quantize.animation.frames.OpenAnimation` reads an animation's frames, one at a
time, each as often as a job asks (a fit, then the frames written), so that memory holds
one decoded frame however many files there are.
Each still is read as :func:`~quantize.io.load_image` reads it (upright, converted to
sRGB, its alpha kept).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from .._validation import check_float, check_int, check_max_pixels
from ..colors import on_matte
from ..errors import ImageReadError
from ..io import DEFAULT_MAX_PIXELS, check_frame_pixels, load_image, require_regular_file
from ..names import quoted
from .frames import FRAMES_FORMAT, AnimationInfo, Frame, probe_animation
from .sinks import ANIMATION_EXTENSIONS

__all__ = ["DEFAULT_FPS", "MAX_FPS", "MAX_LOOP", "FrameFiles", "check_frame_timing",
           "check_joined_output", "joins_into",
           "open_frame_files"]

#: Frames a second when none is given: 100 ms a frame, as browsers show ImageMagick's
#: default delay of 0 (``convert frames/*.png out.gif``).
DEFAULT_FPS = 10.0
#: The most frames a second: 1 ms a frame.
MAX_FPS = 1000.0
#: The most plays a loop count holds in every animated format (WebP's 16 bits).
MAX_LOOP = 65535


class FrameFiles:
    """Still image files read as the frames of one animation, in the order given
    (:func:`open_frame_files`): ``paths``, ``path`` (the first, which names the animation
    in messages), ``info`` (an :class:`~quantize.animation.frames.AnimationInfo` of format
    ``FRAMES_FORMAT``) and :meth:`FrameFiles.frames`, as an
    :class:`~quantize.animation.frames.OpenAnimation` has them, for the same job.

    With ``matte``, every frame's translucent pixels are composited onto it; ``matted``
    says whether a frame read so far had one.
    """

    def __init__(self, paths: tuple[Path, ...], info: AnimationInfo, duration: float,
                 matte: tuple[int, int, int] | None = None) -> None:
        self.paths, self.path, self.info = paths, paths[0], info
        self.matte, self.matted = matte, False
        self._duration = duration

    def frames(self) -> Iterator[Frame]:
        """Yield every file as a frame of ``1000 / fps`` ms, kept on screen (disposal 1),
        decoding one at a time.

        Raises
        ------
        ImageReadError
            A file cannot be read, or is no longer of the size its header gave
            (written over since it was checked).
        """
        expected = self.info.size
        for p in self.paths:
            loaded = load_image(p, max_pixels=None)
            rgba = np.asarray(loaded.rgb if loaded.alpha is None else loaded)
            if rgba.shape[2] == 3:
                rgba = np.dstack([rgba, np.full(rgba.shape[:2], 255, np.uint8)])
            if rgba.shape[1::-1] != expected:
                raise _size_error(p, rgba.shape[1::-1], expected, self.path)
            if self.matte is not None:
                alpha = rgba[..., 3]
                self.matted = self.matted or bool(((alpha > 0) & (alpha < 255)).any())
                rgba = on_matte(rgba, self.matte)
            yield Frame(rgba, self._duration, 1)
            del rgba  # the caller's now: not kept while the next file is read

    def close(self) -> None:
        """Nothing is held open between readings: there for the same job as
        :meth:`~quantize.animation.frames.OpenAnimation.close`."""

    def __enter__(self) -> FrameFiles:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_frame_files(inputs: Sequence[str | os.PathLike[str]], *,
                     fps: float = DEFAULT_FPS, loop: int = 0,
                     max_pixels: int | None = DEFAULT_MAX_PIXELS,
                     matte: tuple[int, int, int] | None = None) -> FrameFiles:
    """Check ``inputs``, still images of one size, from their headers (no pixel is
    decoded), and give them as the frames of one animation.

    Parameters
    ----------
    inputs : sequence of path
        The frames, in the order shown (a shell's ``frames/*.png`` sorts them by name).
    fps : float
        Frames a second, from above 0 to ``MAX_FPS``: each frame is shown ``1000 / fps``
        ms.
    loop : int
        Times the animation plays, 0 (forever) to ``MAX_LOOP``.
    max_pixels : int or None
        Refuse a frame of more than this many pixels, width x height, as separate files
        are refused (None: no limit): not the frames together, which are decoded one at
        a time and hold no more memory for being many.
    matte : (int, int, int) or None
        The colour translucent pixels are composited onto (checked already).

    Returns
    -------
    FrameFiles

    Raises
    ------
    ImageReadError
        A file cannot be read, is a pipe or device, is an animation itself, or is of
        another size than the first (naming it, its size and the first's); or a frame is
        over ``max_pixels``.
    ValueError, TypeError
        No input, or a bad ``fps``, ``loop`` or ``max_pixels``.

    Examples
    --------
    >>> import tempfile
    >>> from PIL import Image
    >>> folder = tempfile.TemporaryDirectory()
    >>> names = [f"{folder.name}/f{i}.png" for i in range(3)]
    >>> for i, name in enumerate(names):
    ...     Image.new("RGB", (4, 3), (80 * i, 0, 0)).save(name)
    >>> clip = open_frame_files(names, fps=25)
    >>> clip.info.n_frames, clip.info.size, [f.duration for f in clip.frames()]
    (3, (4, 3), [40.0, 40.0, 40.0])
    >>> folder.cleanup()
    """
    if isinstance(inputs, str | os.PathLike) or len(inputs) == 0:
        raise ValueError("inputs should be a non-empty sequence of image files, one a frame")
    fps, loop = check_frame_timing(fps, loop)
    limit = check_max_pixels(max_pixels)
    paths = tuple(require_regular_file(p, "inputs", frames="first") for p in inputs)
    size = _checked_size(paths)
    check_frame_pixels(paths[0], 1, size, limit)  # each as a still: all are of its size
    info = AnimationInfo(paths[0], FRAMES_FORMAT, size, len(paths), loop)
    return FrameFiles(paths, info, 1000.0 / fps, matte)


def check_frame_timing(fps: float, loop: int) -> tuple[float, int]:
    """``fps`` and ``loop`` of :func:`open_frame_files`, checked.

    >>> check_frame_timing(25, 0)
    (25.0, 0)
    >>> check_frame_timing(0, 0)
    Traceback (most recent call last):
    ValueError: fps=0 should be > 0 (frames a second)
    """
    checked = check_float(fps, "fps", maximum=MAX_FPS)
    if checked <= 0:
        raise ValueError(f"fps={fps} should be > 0 (frames a second)")
    return checked, check_int(loop, "loop", minimum=0, maximum=MAX_LOOP)


def joins_into(suffix: str) -> bool:
    """Whether still images joined into an animation can be written in the format of the
    extension ``suffix`` (``".gif"``, any case): an animated one, not a TIFF's pages.

    >>> joins_into(".GIF"), joins_into(".apng"), joins_into(".tif"), joins_into(".jpg")
    (True, True, False, False)
    """
    return ANIMATION_EXTENSIONS.get(suffix.lower()) not in (None, "TIFF")


def check_joined_output(output: str | os.PathLike[str] | None) -> Path:
    """``output`` of still images joined into an animation, checked: a path whose extension
    is that of an animated format (not a TIFF's pages).

    >>> check_joined_output("out.tif")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ValueError: output='out.tif': frames are joined into an animation: expected a .gif, ...
    """
    if output is None or not joins_into(Path(output).suffix):
        shown = None if output is None else quoted(str(output))
        raise ValueError(f"output={shown}: frames are joined into an animation: expected a "
                         ".gif, .png (APNG), .apng or .webp file")
    return Path(output)


def _checked_size(paths: tuple[Path, ...]) -> tuple[int, int]:
    """The upright size every one of ``paths`` has, read from its header; refusing an
    animation, or the first file of another size than the first's."""
    size: tuple[int, int] | None = None
    for p in paths:
        info = probe_animation(p, max_pixels=None)
        if info.n_frames > 1:
            raise ImageReadError(f"is an animation ({info.n_frames} frames); the frames "
                                 "joined are still images: reduce it on its own", path=p)
        size = info.size if size is None else size
        if info.size != size:
            raise _size_error(p, info.size, size, paths[0])
    return size  # type: ignore[return-value]  # paths is not empty


def _size_error(p: Path, size: tuple[int, int], expected: tuple[int, int],
                first: Path) -> ImageReadError:
    """The error of the frame ``p``, of ``size``, not the ``expected`` one, the ``first``
    frame's."""
    return ImageReadError(f"is {size[0]}x{size[1]} pixels, but the frames must all be the "
                          f"size of the first ({first}): {expected[0]}x{expected[1]}", path=p)
