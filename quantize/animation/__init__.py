"""Animated GIF, APNG and WebP (and multi-page TIFF): every frame reduced to one palette,
written as an animation (or as the pages of a TIFF).

- :mod:`~quantize.animation.frames`: reading, one composited RGBA frame at a
  time (:func:`iter_frames`), the pixel limit over frames x pixels
  (:func:`probe_animation`), :func:`count_frames`;
- :mod:`~quantize.animation.plans`: the palette (pooled over frames, or per
  frame) and the mapping of pixels to entries;
- :mod:`~quantize.animation.gif`, :mod:`~quantize.animation.apng` and
  :mod:`~quantize.animation.sinks`: the writers, storing each frame as its
  difference from the previous one;
- :mod:`~quantize.animation.sequence`: still images read as the frames of one animation;
- :mod:`~quantize.animation.job`: :func:`reduce_animation_file`, file to file, and
  :func:`reduce_frame_files`, still images joined into one animation.

:func:`first_frame_note` is for jobs that only use the first frame (segment).
"""

from __future__ import annotations

import os

from ..errors import FirstFrameWarning, StillImageWarning, TimingLossWarning
from .frames import (
    PAGE_DURATION_MS,
    TIMED_FORMATS,
    AnimationInfo,
    Frame,
    count_frames,
    iter_frames,
    probe_animation,
)
from .job import (
    FrameCutWarning,
    FrameDurationWarning,
    LoopCountWarning,
    QualityMissedWarning,
    ShortFramesWarning,
    UntimedFramesWarning,
    reduce_animation_file,
    reduce_frame_files,
)
from .plans import ALPHA_THRESHOLD
from .sinks import ANIMATION_EXTENSIONS

__all__ = ["ALPHA_THRESHOLD", "ANIMATION_EXTENSIONS", "PAGE_DURATION_MS", "TIMED_FORMATS",
           "AnimationInfo", "FirstFrameWarning", "Frame", "FrameCutWarning", "FrameDurationWarning",
           "LoopCountWarning", "QualityMissedWarning", "ShortFramesWarning", "StillImageWarning",
           "TimingLossWarning", "UntimedFramesWarning", "count_frames", "first_frame_note",
           "iter_frames", "probe_animation", "reduce_animation_file",
           "reduce_frame_files"]


def first_frame_note(path: str | os.PathLike[str], n_frames: int | None = None,
                     format: str | None = None) -> str | None:
    """One line saying only the first frame is used, when ``path`` is animated; else None.

    ``n_frames`` and ``format``, when the caller already knows them
    (``LoadedImage.n_frames``, ``.format``), spare reading the file again. A
    file of untimed frames (a multi-page TIFF) is said to have pages.

    Raises
    ------
    ImageReadError
        If the file cannot be opened as an image.

    Examples
    --------
    A still image gives None; a 24-frame GIF gives
    ``"animated (24 frames); only the first frame is segmented"`` (without the
    file's name, which whoever shows the warning puts before it, as for every
    file job's warning). It warns nothing itself: a job that uses one frame warns
    with the line, through :func:`~quantize.errors.warn_caller` as every warning of
    quantize, as ``segment_file`` does::

        note = first_frame_note(path)
        if note is not None:
            warn_caller(note, FirstFrameWarning)
    """
    if n_frames is None or format is None:
        info = probe_animation(path, max_pixels=None)
        n_frames, format = info.n_frames, info.format
    if n_frames <= 1:
        return None
    if format not in TIMED_FORMATS:
        return f"{n_frames} pages; only the first page is segmented"
    return f"animated ({n_frames} frames); only the first frame is segmented"
