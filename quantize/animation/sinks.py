"""Where reduced frames go: a GIF written as it streams, or APNG / WebP through Pillow.

Each sink takes frames as palette indices (``add``) and finishes the file on
``close``. What each format keeps:

- **GIF** (:class:`~quantize.animation.gif.GifWriter`): one global palette (or
  a local one per frame), binary transparency, durations in centiseconds,
  loop count, disposal; frames written as difference boxes; every frame kept.
- **APNG** (``.png``): palette frames with a tRNS entry, durations, loop count,
  disposal (GIF's keep / background / previous as APNG's none / background /
  previous); Pillow crops each frame to its changed box, and merges a frame
  identical to its predecessor into it (durations added). An APNG with
  "clear to background" frames is written as RGBA frames (Pillow cannot clear
  palette frames).
- **WebP** (``.webp``): lossless RGBA frames (the palette colours exactly),
  durations, loop count; libwebp stores differences itself and has no
  disposal field. Identical frames are merged, as for APNG.

APNG and WebP keep the indexed frames (one byte per pixel) until the encoder
runs; the GIF sink holds two frames at a time.
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO, Protocol

import numpy as np
from PIL import Image

from .gif import GifWriter

__all__ = ["ANIMATION_EXTENSIONS", "FrameSink", "open_sink"]

#: Output extensions an animation can be written to, and Pillow's format name.
ANIMATION_EXTENSIONS = {".gif": "GIF", ".png": "PNG", ".apng": "PNG", ".webp": "WEBP"}
# GIF disposal (0 unspecified, 1 keep, 2 background, 3 previous) -> APNG dispose_op.
_GIF_TO_APNG_DISPOSAL = {0: 0, 1: 0, 2: 1, 3: 2}
#: Largest loop count GIF's NETSCAPE extension and WebP's ANIM chunk hold (16 bits).
_MAX_LOOP = 65535
_APNG_BACKGROUND = 1
_APNG_PREVIOUS = 2
# zlib level for APNG frames: 6 (about 10 % smaller than 4), 9 with ``optimize``
# (3 % smaller again, seven times slower).
_PNG_COMPRESS_LEVEL = 6
_PNG_COMPRESS_LEVEL_OPTIMIZE = 9


class FrameSink(Protocol):
    def add(self, indices: np.ndarray, *, palette: np.ndarray | None = None,
            transparent: int | None = None, duration: int = 0, disposal: int = 1,
            keep: np.ndarray | None = None) -> None: ...

    def close(self) -> None: ...


class _PillowSink:
    """Collect indexed frames and save them with Pillow's ``save_all`` on close."""

    def __init__(self, fp: BinaryIO, fmt: str, palette: np.ndarray, loop: int,
                 optimize: bool) -> None:
        self._fp, self._fmt, self._palette, self._loop = fp, fmt, palette, loop
        self._optimize = optimize
        self._frames: list[Image.Image] = []
        self._durations: list[int] = []
        self._disposals: list[int] = []

    def add(self, indices: np.ndarray, *, palette: np.ndarray | None = None,
            transparent: int | None = None, duration: int = 0, disposal: int = 1,
            keep: np.ndarray | None = None) -> None:
        """Queue a frame (``keep`` is for local palettes, which these formats do not have)."""
        pal = self._palette if palette is None else palette
        image = Image.fromarray(np.ascontiguousarray(indices, dtype=np.uint8), mode="P")
        image.putpalette(np.ascontiguousarray(pal, dtype=np.uint8).tobytes(), "RGB")
        if transparent is not None:
            image.info["transparency"] = int(transparent)
        if self._fmt == "WEBP":
            image = image.convert("RGBA")
        self._frames.append(image)
        self._durations.append(int(duration))
        apng = _GIF_TO_APNG_DISPOSAL.get(int(disposal), 0)
        if not self._disposals and apng == _APNG_PREVIOUS:
            # Nothing precedes the first frame: the APNG specification has its
            # "previous" mean "background" (and Pillow cannot write it there).
            apng = _APNG_BACKGROUND
        self._disposals.append(apng)

    def close(self) -> None:
        frames = self._frames
        if self._fmt == "PNG" and _APNG_BACKGROUND in self._disposals:
            # Pillow 13 cannot clear a palette frame to the background: write RGBA.
            frames = [f.convert("RGBA") for f in frames]
        first, rest = frames[0], frames[1:]
        params: dict[str, object] = {"save_all": True, "append_images": rest,
                                     "duration": self._durations}
        if self._fmt == "PNG":
            params.update(loop=self._loop,
                          disposal=self._disposals, blend=0,
                          compress_level=_PNG_COMPRESS_LEVEL_OPTIMIZE if self._optimize
                          else _PNG_COMPRESS_LEVEL)
            if "transparency" in first.info:
                params["transparency"] = first.info["transparency"]
        else:
            params.update(loop=self._loop, lossless=True,
                          background=(0, 0, 0, 0))
        first.save(self._fp, format=self._fmt, **params)


def open_sink(fp: BinaryIO, path: Path, size: tuple[int, int], palette: np.ndarray,
              plays: int | None, *, transparent: int | None = None,
              optimize: bool = False) -> FrameSink:
    """A sink for ``path``'s format (by extension; prior validation assumed).

    ``plays`` is how many times the animation plays, 0 forever (None: once);
    each format stores it its own way (:func:`_stored_loop`). ``transparent``
    is the palette's transparent entry, if any (GIF: the background entry).
    """
    fmt = ANIMATION_EXTENSIONS[path.suffix.lower()]
    loop = _stored_loop(fmt, 1 if plays is None else plays)
    if fmt == "GIF":
        return GifWriter(fp, size, palette, loop, background=transparent or 0,
                         try_both=optimize)
    return _PillowSink(fp, fmt, palette, loop, optimize)


def _stored_loop(fmt: str, plays: int) -> int | None:
    """The loop count ``fmt`` stores for ``plays`` plays (0 forever).

    A GIF stores repeats after the first play, and nothing to play once;
    APNG and WebP store plays (WebP in 16 bits).
    """
    if fmt == "GIF":
        return None if plays == 1 else min(max(plays - 1, 0), _MAX_LOOP)
    return min(plays, _MAX_LOOP) if fmt == "WEBP" else plays
