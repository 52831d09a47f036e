"""A streaming GIF writer that stores each frame as the difference from what is on screen.

Pillow's own ``save_all`` merges identical frames (adding their durations),
always uses 8-bit LZW codes and cannot be fed one frame at a time, so the
container is written here, of the GIF blocks :mod:`quantize.encode` writes a
still GIF with (``gif_*``), and only the LZW compression of each frame is
Pillow's (``Image.tobytes("gif", ...)``).

For every frame after the first, the writer keeps the canvas a viewer has
before drawing it (the previous frame after its disposal) and writes only the
bounding box of the pixels that differ. Inside that box, pixels that already
show the right colour may be given a transparent index, which leaves them as
they are: in static areas that makes long runs LZW compresses well, but among
changed pixels it breaks runs, so each box is encoded both ways and the
smaller kept. That index is the animation's own transparent entry when it has
one, otherwise the lowest entry of the colour table that none of the changed
pixels uses (the table is padded to a power of two, so there often is one for
free). When the changed pixels draw every entry of a full table, the marked
ways use a local table of twice the size, same colours, whose first added entry
is transparent; it is kept when its bytes are repaid (a frame of a palette-full
animation is otherwise stored whole). With the animation's own transparent
entry, marking is required for the unchanged pixels whose entry would draw
something else (pixels a frame with a palette of its own leaves on the canvas,
or shows transparent) and a choice for the others. A frame's local table, whose
bytes the frame pays, holds only the entries up to the largest its pixels use:
its marked pixels take the lowest entry no other pixel of the box uses rather
than its own transparent entry when that is higher (32 colours and entry 32
take a table of 64 entries and LZW codes a bit wider), and a frame that marks
no pixel and shows none transparent has no transparent entry (but the first,
and one cleared when disposed of, for Pillow's sake). When every frame
brings its own palette, the first frame's is made the global table, and a
later frame is also encoded with it, its entries moved to the table's entries
of the same colours and the colours the table lacks added after them (at most
256 entries in all), and written so when that is smaller than its own table
and data, the bytes those entries add to the table counted: it shows exactly
what its own palette shows. That table gets a transparent entry only once a
frame needs one (the first frame too only when some frame shows a pixel
transparent: Pillow reads the frames after a first frame without one as
opaque). As the table is written before the frames, they are held (in
memory, a temporary file past ``_SPOOLED`` bytes) until the writer closes.
Each frame's LZW codes start at the fewest bits that hold its largest index. A frame
identical to the one on screen is still written, as one transparent pixel, so
frame count and durations are kept exactly (durations as GIF's centiseconds,
each frame ending at the centisecond nearest to where it ends in the input; a
GIF's own delays, 0 and 1 included, as they are: ``gif_delays``). A
frame longer than a GIF frame holds (655.35 s) is written as that frame followed
by such repeats, its delay shared among them, each at most ``MAX_DELAY_CS``.

A pixel can only become transparent again by being cleared: when a frame needs
that and the previous frame's disposal would not do it, the previous frame is
switched to "restore to background" over a box covering those pixels (frames
are encoded one frame late for this reason).
"""

from __future__ import annotations

import dataclasses
import math
import shutil
import struct
import tempfile
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np

from .._kernels import pack_rgb, unpack_rgb
from ..encode import (
    gif_code_size,
    gif_color_table,
    gif_control,
    gif_image_data,
    gif_screen,
    gif_table_size,
)
from ..io import MAX_PALETTE

__all__ = ["MAX_DELAY_CS", "GifWriter", "RecentCodes", "bounding_box", "change_bytes",
           "in_runs", "local_frame_bytes", "split_delay"]

_KEEP, _CLEAR, _RESTORE = 1, 2, 3
_EMPTY = -1  # canvas code of a transparent (or cleared) pixel
# Unchanged pixels are marked transparent when in horizontal runs at least this
# long (1: all of them); with ``try_both`` each is encoded and the smallest kept.
_STATIC_RUNS = (1, 2, 4, 16)
#: Bytes of frames a writer without a global palette holds in memory until ``close``
#: writes the table they use; more go to a temporary file.
_SPOOLED = 16 << 20
#: Longest delay a GIF frame holds: 16 bits of centiseconds (655.35 s).
MAX_DELAY_CS = 0xFFFF


@dataclass
class _Pending:
    """A frame waiting for its successor before it is encoded."""

    indices: np.ndarray          # (H, W) uint8 entries into ``palette``
    palette: np.ndarray          # (k, 3) uint8
    local: bool                  # write ``palette`` as a local colour table
    transparent: int | None      # entry meaning "transparent pixel" in ``indices``
    target: np.ndarray           # (H, W) int32 colour codes shown, _EMPTY when transparent
    before: np.ndarray           # canvas codes before the frame is drawn
    box: tuple[int, int, int, int]  # (left, top, right, bottom) written
    delay: int                   # centiseconds
    disposal: int
    #: ``target`` is what ``indices`` draw with the global table: no pixel kept
    plain: bool = False


@dataclass(frozen=True)
class _Way:
    """One way of storing a frame's box: LZW data, transparent entry, colour table."""

    data: bytes              # LZW code size byte and data sub-blocks
    mark: int | None         # transparent entry, or None
    table: int               # entries of the colour table the data indexes
    local: bool              # that table is written as the frame's local table
    marked: bool = False     # some pixel of ``data`` holds ``mark``
    runs: bool = False       # a way ``try_both`` adds: only unchanged pixels in runs marked

    def size(self) -> int:
        """Bytes this way adds to the file beyond what every way writes."""
        return len(self.data) + (3 * self.table if self.local else 0)


class RecentCodes:
    """The LZW data of the arrays a frame plan encoded lately to estimate their bytes, for
    the writer to reuse.

    A plan weighs ways of mapping a frame by their LZW bytes (:func:`change_bytes`,
    :func:`local_frame_bytes`), and :class:`GifWriter` then encodes the way taken
    once more, when it writes the frame (after the next is queued). An array's data
    is found by its exact content (LZW code size, shape and entries as uint8), never
    by a hash alone, so what is found is what encoding it anew gives. At most
    ``most`` arrays are held, the oldest dropped first: the 8 default hold what a
    plan encodes for two frames (four ways a frame at most), each a frame of one
    byte a pixel at most, and its data.

    >>> codes = RecentCodes()
    >>> box = np.arange(6, dtype=np.uint8).reshape(2, 3)
    >>> codes.remembered(box) == codes.recalled(box.astype(np.int64)) == _lzw(box)
    True
    """

    def __init__(self, most: int = 8) -> None:
        self._most = most
        self._held: OrderedDict[tuple[int, tuple[int, ...], bytes], bytes] = OrderedDict()

    def remembered(self, indices: np.ndarray) -> bytes:
        """:func:`_lzw` of ``indices`` (an estimate's), held for
        :meth:`RecentCodes.recalled`."""
        bits, image = _lzw_input(indices)
        key = (bits, image.shape, image.tobytes())
        data = self._held.pop(key, None)
        if data is None:
            data = _lzw_of(bits, image)
        self._held[key] = data
        if len(self._held) > self._most:
            self._held.popitem(last=False)
        return data

    def recalled(self, indices: np.ndarray) -> bytes:
        """:func:`_lzw` of ``indices``: the data held for them, or else encoded and not held
        (the writer's own ways, which would push out the estimates of the next frame)."""
        bits, image = _lzw_input(indices)
        data = self._held.get((bits, image.shape, image.tobytes()))
        return _lzw_of(bits, image) if data is None else data


class GifWriter:
    """Write an animated GIF frame by frame to a binary file object.

    Parameters
    ----------
    fp : binary file object
        Where the GIF goes (written in order; no seeking).
    size : (int, int)
        Canvas width and height.
    global_palette : (k, 3) ndarray of uint8, or None
        The global colour table, k <= 256. None: every frame comes with a
        palette of its own, and the first frame's becomes the global table
        (with its transparent entry, when a frame needs one, as the
        background); a later frame is written with that table, the colours it
        lacks added, when that is smaller than its own local table and data.
        The frames are then written when the writer closes.
    loop : int or None
        Times to play (0 forever); None writes no loop extension (play once).
    background : int
        Background entry of the logical screen (the transparent entry, when
        there is one, is what viewers clear to).
    try_both : bool
        Also try marking only the unchanged pixels in runs (slower; a file smaller by
        0.05-0.4 % on a pan over a photo, none on banners of flat colours or a still
        photo). ``optimized`` says whether that stored some frame smaller.
    codes : RecentCodes, optional
        Where a frame's box encoded already (by the plan that mapped the frame, to
        estimate its bytes) is taken from rather than encoded again.
    gif_delays : bool
        The durations are a GIF's delays (whole centiseconds, in ms): each is
        written as it is, 0 and 1 centisecond too, which browsers play as the
        input's were played; never lengthened (``_delay``).

    Notes
    -----
    Prior validation is assumed: indices are in range, palettes hold at most
    256 colours, a transparent entry is below 256.
    """

    def __init__(self, fp: BinaryIO, size: tuple[int, int], global_palette: np.ndarray | None,
                 loop: int | None, *, background: int = 0, try_both: bool = False,
                 codes: RecentCodes | None = None, gif_delays: bool = False) -> None:
        self._fp = fp
        self._gif_delays = gif_delays
        #: LZW data of a box: encoded, or taken from ``codes``
        self._encoded: Callable[[np.ndarray], bytes] = _lzw if codes is None else codes.recalled
        self._size = size
        self._loop, self._background = loop, background
        #: None until the first frame's palette becomes it (``global_palette`` None)
        self._global = (None if global_palette is None
                        else np.asarray(global_palette, dtype=np.uint8))
        self._adopted = global_palette is None
        self._global_transparent: int | None = None  # the adopted table's transparent entry
        self._global_entries: dict[int, int] = {}  # its first entry of each colour code
        #: Where the frames go: ``fp``, or with an adopted table (which later frames may
        #: add colours to, and which is written before them) a spool until ``close``.
        self._out: BinaryIO = fp
        self._first: tuple[int, int] | None = None  # the first frame's delay and disposal
        self._shows_transparent = False  # a frame shows a pixel transparent
        if self._adopted:
            self._out = tempfile.SpooledTemporaryFile(max_size=_SPOOLED)
        self._try_runs = try_both
        #: Whether ``try_both`` stored some frame smaller than the ways tried without it,
        #: so that the file is smaller (what a sink says as ``optimized``): on banners of
        #: flat colours and on a still photo it never did.
        self.optimized = False
        self._pending: _Pending | None = None
        self.frames_written = 0
        #: Frames under 20 ms written longer (``_delay``): a 60 fps frame (16.7 ms)
        #: as 20 ms.
        self.frames_lengthened = 0
        self._elapsed_ms = 0.0   # the durations given so far
        self._elapsed_cs = 0     # the delays written for them
        if self._global is not None:
            self._write_header()

    # -- public ------------------------------------------------------------

    def add(self, indices: np.ndarray, *, palette: np.ndarray | None = None,
            transparent: int | None = None, duration: float = 0, disposal: int = _KEEP,
            keep: np.ndarray | None = None, gray: bool = False,
            dpi: tuple[float, float] | None = None) -> None:
        """Queue one full frame: ``(H, W)`` entries into ``palette`` (default: the global one).

        Pixels holding ``transparent`` are shown transparent. Pixels in ``keep``
        (a ``(H, W)`` mask; ignored without ``transparent``) show what the canvas
        shows once the previous frame is disposed of, whatever their entry (the
        transparent one too), wherever it shows something. Where it shows nothing
        they are drawn by their entry (shown transparent when that is
        ``transparent``): where the canvas is transparent already, and where it
        is cleared for this frame. A pixel of this frame to be shown transparent
        where the canvas shows something can only be cleared, so the previous
        frame is then disposed of by clearing the bounding box of its own box and
        all such pixels; every kept pixel in that box loses what it showed (a GIF
        frame clears its whole box) and is drawn by its entry. Kept pixels
        outside it are left as they are.

        ``disposal`` 2 (restore to background) and 3 (restore to previous) are written
        as given; any other as keep (1), as the canvas is then followed here: a 4 written
        would be drawn as 3 by browsers (:func:`~quantize.gif_canvas.browser_disposal`).

        A frame longer than a GIF frame holds is written as several showing its
        picture (each counted in ``frames_written``; :func:`split_delay`).
        """
        if palette is None and self._adopted:
            raise ValueError("palette=None: this writer takes every frame's own palette "
                             "(it was given no global one)")
        delays = split_delay(self._delay(duration))
        if len(delays) > 1:  # the parts keep the picture on screen; the next frame is drawn
            disposal = _KEEP  # over it, and what it needs cleared is cleared, as for any frame
        if disposal not in (_CLEAR, _RESTORE):
            disposal = _KEEP
        for delay in delays:
            self._queue(indices, palette, transparent, delay, int(disposal), keep)

    def _queue(self, indices: np.ndarray, palette: np.ndarray | None, transparent: int | None,
               delay: int, disposal: int, keep: np.ndarray | None) -> None:
        """Encode the frame pending and hold this one (``add``'s, with its delay)."""
        local = palette is not None
        pal = self._global if palette is None else np.asarray(palette, dtype=np.uint8)
        redrawn = None if local or keep is not None else self._redrawn(indices, transparent)
        own = _canvas_codes(pal, transparent)[indices] if redrawn is None else redrawn[0]
        target = own
        if self._pending is None:
            w, h = self._size
            before = np.full((h, w), _EMPTY, dtype=np.int32)
            box = (0, 0, w, h)
        else:
            kept = None
            if keep is not None and transparent is not None:
                # kept before settling: a kept pixel of the transparent entry is not one the
                # canvas must be cleared at
                shown = _disposed(self._pending)
                kept = keep & (shown != _EMPTY)
                target = np.where(kept, shown, own)
            on_screen = self._pending.target
            changed = None if redrawn is None else redrawn[1]
            self._note_transparent(target)  # before the frame pending is encoded
            before = self._settle(self._pending, target, changed)
            if kept is not None:  # where a clear for other pixels emptied the canvas
                target = np.where(kept & (before != _EMPTY), before, own)
            # the canvas shown, and the new frame differing from it only where entries did
            box = _changed_box(target, before, changed if before is on_screen else None)
        self._pending = _Pending(indices, pal, local, transparent, target, before, box, delay,
                                 disposal, plain=target is own and not local)

    def _note_transparent(self, target: np.ndarray) -> None:
        """Note whether the canvas codes ``target`` show a pixel transparent, with an
        adopted table: the table then needs its transparent entry (for the first frame,
        ``close``), which is added at once, so that later frames use it freely."""
        if not self._adopted or self._shows_transparent or not (target == _EMPTY).any():
            return
        self._shows_transparent = True
        if self._global is not None and self._global_transparent is None:
            self._take_global(self._global, self._global.shape[0])

    def _delay(self, duration: float) -> int:
        """The delay (centiseconds) that ends the frame nearest to where its duration ends.

        GIF counts centiseconds: rounding each frame on its own would drift
        (33 ms frames written as 30 ms play 10 % fast), so the frame ends are
        rounded instead, and 33 ms frames get 30, 40, 30 ms: 100 ms every three.
        A frame of any duration is never given less than 2 (browsers play delays of
        0 and 1 as 10, so 10 ms frames written as 1 would play ten times slower), so
        frames under 20 ms may drift; only a frame of no duration is given 0.
        With ``gif_delays`` the durations are whole centiseconds, each written as it
        is (a GIF's 1 cs plays as a browser played the input's).
        The delay may be longer than a GIF frame holds (655.35 s): ``add`` writes
        such a frame as several (:func:`split_delay`).
        """
        duration = max(float(duration), 0.0)
        self._elapsed_ms += duration
        delay = _centiseconds(self._elapsed_ms) - self._elapsed_cs
        if not self._gif_delays:
            delay = max(delay, 2 if duration > 0 else 0)
            self.frames_lengthened += int(duration < 20 and 10 * delay > duration)
        self._elapsed_cs += delay
        return delay

    def played_ms(self) -> tuple[int, float]:
        """How long the frames given so far play, and how long their durations add up to
        (ms). The first is later than the second rounded to a centisecond when frames under
        20 ms were written longer (``frames_lengthened``) and no later frame made up for it.

        >>> import io
        >>> writer = GifWriter(io.BytesIO(), (1, 1), np.zeros((1, 3), np.uint8), 0)
        >>> for _ in range(3):
        ...     writer.add(np.zeros((1, 1), np.uint8), duration=16)
        >>> writer.frames_lengthened, writer.played_ms()
        (3, (60, 48.0))
        """
        return 10 * self._elapsed_cs, self._elapsed_ms

    def cleared_box(self, transparent: np.ndarray) -> tuple[int, int, int, int] | None:
        """The box (left, top, right, bottom) the frame pending is cleared over, disposed
        of by "restore to background", when the next frame shows the pixels of the
        ``(H, W)`` mask ``transparent`` transparent: its own box and every such pixel
        where the canvas shows something once it is disposed of (only clearing empties
        them); None when none needs it, or no frame is pending. Outside it the canvas
        shows what the pending frame showed."""
        p = self._pending
        if p is None:
            return None
        stuck = transparent & (_disposed(p) != _EMPTY)
        return _cleared(p, stuck) if stuck.any() else None

    def close(self) -> None:
        """Encode the last frame and the trailer."""
        if self._pending is not None:
            self._encode(self._pending)
            self._pending = None
        if self._global is None:  # no frame gave its palette
            self._global = np.zeros((2, 3), np.uint8)
            self._write_header()
        elif self._adopted:
            self._write_adopted()
        self._fp.write(b";")

    def _write_adopted(self) -> None:
        """Write the header with the adopted table, then the frames spooled.

        The first frame is given the table's transparent entry (added now when no later
        frame needed it) only when some frame shows a transparent pixel or the first is
        cleared: Pillow reads the frames after a first frame without one as opaque.
        """
        assert self._first is not None and self._global is not None
        delay, disposal = self._first
        if (self._shows_transparent or disposal == _CLEAR) and self._global_transparent is None:
            self._take_global(self._global, self._global.shape[0])
        if self._global_transparent is not None:
            self._background = self._global_transparent
        self._write_header()
        self._fp.write(gif_control(delay, disposal, self._global_transparent))
        self._out.seek(0)
        shutil.copyfileobj(self._out, self._fp)
        self._out.close()

    # -- frames ------------------------------------------------------------

    def _redrawn(self, indices: np.ndarray, transparent: int | None
                 ) -> tuple[np.ndarray, tuple[int, int, int, int]] | None:
        """The canvas codes ``indices`` draw with the global table, and the box of those that
        differ from the frame pending's (empty when none does), when that frame drew its
        own entries of the same table and is kept once shown: its codes, looked up anew in
        that box only (a sprite moving on a large canvas costs what the sprite does).
        None otherwise, and when that box holds more than half the frame."""
        p = self._pending
        if (p is None or not p.plain or p.disposal != _KEEP or p.transparent != transparent
                or p.palette is not self._global or p.indices.shape != indices.shape):
            return None
        differ = indices != p.indices
        if not differ.any():
            return p.target.copy(), (0, 0, 0, 0)
        left, top, right, bottom = box = bounding_box(differ)
        if 2 * (right - left) * (bottom - top) > differ.size:  # then look every pixel up
            return None
        own = p.target.copy()
        own[top:bottom, left:right] = _canvas_codes(p.palette, transparent)[
            indices[top:bottom, left:right]]
        return own, box

    def _settle(self, prev: _Pending, target: np.ndarray,
                changed: tuple[int, int, int, int] | None = None) -> np.ndarray:
        """Encode ``prev`` so that ``target`` can follow; return the canvas ``target`` meets.

        ``changed``: the box outside which ``target`` shows what ``prev`` does (None: not
        known), where pixels may have to be cleared."""
        canvas = _disposed(prev)
        left, top, right, bottom = (0, 0, None, None) if changed is None else changed
        stuck = ((target[top:bottom, left:right] == _EMPTY)
                 & (canvas[top:bottom, left:right] != _EMPTY))
        if stuck.any():  # only clearing can make those pixels transparent again
            prev.disposal = _CLEAR
            prev.box = _cleared(prev, stuck, (left, top))
            canvas = _disposed(prev)
        self._encode(prev)
        return canvas

    def _encode(self, f: _Pending) -> None:
        left, top, right, bottom = f.box
        crop = f.indices[top:bottom, left:right]
        before = f.before[top:bottom, left:right]
        same = f.target[top:bottom, left:right] == before
        self._note_transparent(f.target)
        first = self._global is None
        if first:
            crop = self._adopt(f, crop)
        way = self._stored(crop, before, same, f.palette, f.transparent, f.local,
                           f.disposal)
        if f.local and self._adopted:
            way = self._shared(way, crop, before, same, f)
        self.optimized |= way.runs
        if first:  # its control block waits for the table (close)
            self._first = (f.delay, f.disposal)
        else:
            self._out.write(gif_control(f.delay, f.disposal, way.mark))
        out = self._out
        out.write(struct.pack("<cHHHH", b",", left, top, right - left, bottom - top))
        if way.local:
            out.write(bytes([0x80 | (way.table.bit_length() - 2)]))
            out.write(gif_color_table(f.palette, way.table))
        else:
            out.write(b"\x00")
        out.write(way.data)
        out.write(b"\x00")
        self.frames_written += 1

    def _shared(self, way: _Way, crop: np.ndarray, before: np.ndarray, same: np.ndarray,
                f: _Pending) -> _Way:
        """``way``, the frame ``f`` with its own table, or the frame on the adopted global
        table when that is smaller, the entries it adds to the table counted
        (:meth:`GifWriter._on_global`); the table grows by them when it is taken. A
        transparent entry the table lacks is added only for a way that marks pixels with
        it, or a frame that is cleared (:meth:`GifWriter._ways`).
        """
        on_global = self._on_global(crop, f.palette, f.transparent)
        if on_global is None:
            return way
        shared, table, transparent = on_global
        assert self._global is not None
        now = gif_table_size(_entries(self._global, self._global_transparent))

        def costed(other: _Way) -> tuple[int, _Way, int | None]:
            mark = transparent
            if mark != self._global_transparent and not other.marked and f.disposal != _CLEAR:
                other, mark = dataclasses.replace(other, mark=None), None
            return (other.size() + 3 * (gif_table_size(_entries(table, mark)) - now),
                    other, mark)

        size, other, mark = min((costed(other) for other in self._stored_ways(
            shared, before, same, table, transparent, False, f.disposal)
            if not other.local),  # a table of its own would be the global one's copy
            key=lambda costed_way: costed_way[0])
        if size >= way.size():
            return way
        for entry, code in enumerate(pack_rgb(table).tolist()[self._global.shape[0]:],
                                     start=self._global.shape[0]):
            self._global_entries.setdefault(code, entry)
        self._take_global(table, mark)
        return other

    def _take_global(self, table: np.ndarray, transparent: int | None) -> None:
        """Make ``table`` the adopted global table, with a row for ``transparent`` (black)
        when it lies past the colours, so that colours added later go after it."""
        if transparent is not None and transparent >= table.shape[0]:
            table = np.vstack([table, np.zeros((transparent + 1 - table.shape[0], 3),
                                               np.uint8)])
        self._global, self._global_transparent = table, transparent

    def _adopt(self, f: _Pending, crop: np.ndarray) -> np.ndarray:
        """Make the first frame ``f``'s palette the global table; return ``crop``, its box's
        entries. The header waits for the later frames (``close``), which may add to it.

        A transparent entry after the colours that no pixel of the frame uses (it shows
        none transparent) is left out of the table until a frame needs it. A palette
        Pillow would read as grey levels (:func:`_reads_as_grey`, of two entries at
        least), with that entry or without, has its first two entries swapped, in
        ``crop`` too.
        """
        late = (f.transparent is not None and f.transparent >= f.palette.shape[0] - 1
                and not (self._shows_transparent or f.disposal == _CLEAR))
        if _reads_as_grey(f.palette, f.transparent) or (
                late and _reads_as_grey(f.palette[:f.transparent], None)):
            swap = np.arange(_entries(f.palette, f.transparent), dtype=np.uint8)
            swap[:2] = (1, 0)
            f.palette = f.palette[swap[:f.palette.shape[0]]]
            f.transparent = None if f.transparent is None else int(swap[f.transparent])
            crop = swap[crop]
        if late:
            self._take_global(f.palette[:f.transparent], None)
        else:
            self._take_global(f.palette, f.transparent)
        for entry, code in enumerate(pack_rgb(self._global).tolist()):
            if entry != self._global_transparent:
                self._global_entries.setdefault(code, entry)
        f.local = False
        return crop

    def _stored(self, crop: np.ndarray, before: np.ndarray, same: np.ndarray,
                palette: np.ndarray, transparent: int | None, local: bool,
                disposal: int) -> _Way:
        """The smallest way to store ``crop``, entries into ``palette``, over the canvas
        codes ``before`` (``same`` where the frame shows what they show)."""
        return min(self._stored_ways(crop, before, same, palette, transparent, local,
                                     disposal), key=_Way.size)

    def _stored_ways(self, crop: np.ndarray, before: np.ndarray, same: np.ndarray,
                     palette: np.ndarray, transparent: int | None, local: bool,
                     disposal: int) -> list[_Way]:
        """The ways :meth:`GifWriter._stored` takes the smallest of."""
        table = gif_table_size(_entries(palette, transparent))
        redrawn = None
        if transparent is not None:  # unchanged pixels whose own entry draws what is there
            redrawn = same & (_canvas_codes(palette, transparent)[crop] == before)
        # Pillow reads every frame opaque after a first frame without a transparent entry,
        # and clears a frame's box to the background entry (opaque) when it has none.
        return self._ways(crop, same, table, transparent, local, redrawn,
                          entry=self.frames_written == 0 or disposal == _CLEAR)

    def _on_global(self, crop: np.ndarray, palette: np.ndarray, transparent: int | None
                   ) -> tuple[np.ndarray, np.ndarray, int | None] | None:
        """``crop``'s entries into ``palette`` moved to the adopted global table's entries of
        the same colours, the colours it lacks added after its entries, and
        ``transparent`` to its transparent entry (added after them when it has none):
        the entries moved, the table with those added and its transparent entry. None
        when they would take more than 256 entries, or make a table Pillow reads as grey
        levels (:func:`_reads_as_grey`). The frame draws exactly what it draws with
        ``palette``.
        """
        assert self._global is not None
        used = np.flatnonzero(np.bincount(crop.ravel(), minlength=palette.shape[0]))
        moved = np.zeros(max(palette.shape[0], int(used[-1]) + 1), dtype=np.uint8)
        entries, codes = self._global_entries, pack_rgb(palette).tolist()
        n = self._global.shape[0]
        room = MAX_PALETTE - (self._global_transparent is None)  # its entry may be needed
        added: dict[int, int] = {}
        for entry in used.tolist():
            if entry != transparent:
                if entry >= len(codes):
                    return None
                code = codes[entry]
                if code not in entries and code not in added:
                    if n + len(added) >= room:
                        return None
                    added[code] = n + len(added)
                moved[entry] = entries[code] if code in entries else added[code]
        table = self._global
        if added:
            table = np.vstack([table, unpack_rgb(np.array(list(added), np.int64))])
        mark = self._global_transparent
        if transparent is not None and mark is None:
            mark = table.shape[0]
        if _entries(table, mark) > MAX_PALETTE or (added and _reads_as_grey(table, mark)):
            return None
        if transparent is not None and transparent < moved.size:
            moved[transparent] = mark
        return moved[crop], table, mark

    def _ways(self, crop: np.ndarray, same: np.ndarray, table: int,
              transparent: int | None, local: bool,
              redrawn: np.ndarray | None = None, *, entry: bool = False) -> list[_Way]:
        """The ways to store the box (LZW data, transparent entry and colour table) the
        smallest is taken of, the first of equal ones.

        Marking unchanged pixels transparent pays in static areas and costs
        where they are scattered among changed ones (it breaks LZW's runs), so
        the box is encoded both unmarked and marked, and with ``try_both`` also
        with only the unchanged pixels in horizontal runs of each length in
        ``_STATIC_RUNS`` marked. With the animation's own ``transparent`` entry,
        the unchanged pixels not in ``redrawn`` (those whose entry in ``crop``
        does not draw what the canvas shows) are marked in every way; all of
        them are marked when ``redrawn`` is None (in a local table, with the entry
        :func:`_own_entry_way` picks; with ``entry`` the frame has a transparent
        entry even when it marks nothing). When every
        entry of a full table is drawn by a changed pixel, the marked ways use
        a local table twice as large (same colours) whose first added entry is
        the transparent one; its bytes count in the comparison.
        """
        if transparent is not None:
            way = _own_entry_way(crop, same, transparent, local, entry, self._encoded)
            if redrawn is None or not redrawn.any():
                return [way]
            required = same & ~redrawn
            ways = [way]
            runs = _STATIC_RUNS if self._try_runs else (1,)
            for length in runs:
                marked = required if length == 1 else required | in_runs(same, length)
                ways.append(dataclasses.replace(_own_entry_way(
                    crop, marked, transparent, local, entry, self._encoded), runs=length > 1))
            return ways
        ways = [_way(crop, None, local, self._encoded)]
        if not same.any():
            return ways
        mark, marked_local = _free_entry(crop, same, table), local
        if mark is None and table < MAX_PALETTE:
            mark, marked_local = table, True
        if mark is None:
            return ways
        runs = _STATIC_RUNS if self._try_runs else (1,)
        for length in runs:
            marked = same if length == 1 else in_runs(same, length)
            if marked.any():
                ways.append(dataclasses.replace(_way(
                    np.where(marked, np.uint8(mark), crop), mark, marked_local,
                    self._encoded), runs=length > 1))
        return ways

    def _write_header(self) -> None:
        assert self._global is not None
        table = gif_table_size(_entries(self._global, self._global_transparent))
        self._fp.write(gif_screen(self._size, self._global, table, self._background,
                                  self._loop))


def change_bytes(indices: np.ndarray, before: np.ndarray, spare: int | None,
                 codes: RecentCodes | None = None) -> int:
    """Estimated LZW bytes of a frame of entries ``indices`` shown after entries ``before``.

    The box of the pixels whose entry changes, coded as it is or (``spare``
    given) with its unchanged pixels as ``spare``, whichever is smaller; 0 when
    nothing changes. :class:`GifWriter` weighs more ways (colour tables, runs),
    but this is enough to compare two mappings of one frame. ``codes``: where the
    data encoded is held for the writer (:class:`RecentCodes`).
    """
    lzw = _lzw if codes is None else codes.remembered
    changed = indices != before
    if not changed.any():
        return 0
    left, top, right, bottom = bounding_box(changed)
    crop = indices[top:bottom, left:right]
    size = len(lzw(crop))
    if spare is not None:
        size = min(size, len(lzw(np.where(changed[top:bottom, left:right], crop, spare))))
    return size


def local_frame_bytes(indices: np.ndarray, entries: int,
                      codes: RecentCodes | None = None) -> int:
    """Bytes of a whole frame of ``indices`` with a local table of ``entries`` entries.

    The LZW data and the table, padded to a power of two; what every frame
    writes besides (control block, descriptor) is left out. ``codes``: where the
    data encoded is held for the writer (:class:`RecentCodes`).
    """
    lzw = _lzw if codes is None else codes.remembered
    return len(lzw(indices)) + 3 * gif_table_size(entries)


# --------------------------------------------------------------------------
# Helpers (prior validation assumed)
# --------------------------------------------------------------------------


def _centiseconds(ms: float) -> int:
    """``ms`` milliseconds to the nearest centisecond, halves up.

    >>> _centiseconds(33.3), _centiseconds(45), _centiseconds(100 / 3 * 3)
    (3, 5, 10)
    """
    return math.floor(ms / 10 + 0.5)


def split_delay(delay: int, most: int = MAX_DELAY_CS) -> list[int]:
    """``delay`` as the delays of the frames that show one picture that long: as few as
    hold it (``most`` each at most), as equal as can be, so that none is short enough for
    a viewer to lengthen it (browsers show a GIF's delays of 0 and 1 as 10).

    >>> split_delay(40), split_delay(100_000), split_delay(2 * MAX_DELAY_CS + 1)
    ([40], [50000, 50000], [43691, 43690, 43690])
    """
    n = max(1, -(-delay // most))
    return [delay // n + (i < delay % n) for i in range(n)]


def _disposed(f: _Pending) -> np.ndarray:
    """The canvas after frame ``f`` is shown and then disposed of."""
    if f.disposal == _RESTORE:
        return f.before
    if f.disposal == _CLEAR:
        left, top, right, bottom = f.box
        canvas = f.target.copy()
        canvas[top:bottom, left:right] = _EMPTY
        return canvas
    return f.target


def _cleared(f: _Pending, stuck: np.ndarray,
             at: tuple[int, int] = (0, 0)) -> tuple[int, int, int, int]:
    """The box frame ``f`` is cleared over for the pixels ``stuck``, a mask whose first
    pixel is pixel ``at`` (x, y) of the canvas: ``f``'s box and theirs."""
    x0, y0, x1, y1 = bounding_box(stuck)
    return _union(f.box, (at[0] + x0, at[1] + y0, at[0] + x1, at[1] + y1))


def _canvas_codes(palette: np.ndarray, transparent: int | None) -> np.ndarray:
    """The canvas code each entry draws: its colour, ``_EMPTY`` for the transparent one."""
    codes = pack_rgb(palette).astype(np.int32)
    if transparent is not None and transparent >= codes.size:
        codes = np.concatenate([codes, np.full(transparent + 1 - codes.size, _EMPTY,
                                               dtype=np.int32)])
    if transparent is not None:
        codes[transparent] = _EMPTY
    return codes


def bounding_box(mask: np.ndarray) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) of the True pixels of a ``(H, W)`` mask; a 1 x 1 box at
    the origin when none."""
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return (0, 0, 1, 1)
    cols = np.flatnonzero(mask[rows[0]:rows[-1] + 1].any(axis=0))
    return (int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1)


def _changed_box(target: np.ndarray, before: np.ndarray,
                 changed: tuple[int, int, int, int] | None) -> tuple[int, int, int, int]:
    """:func:`bounding_box` of the pixels where ``target`` differs from ``before``, looked
    for in the box ``changed`` outside which they are the same (None: everywhere)."""
    if changed is None:
        return bounding_box(target != before)
    left, top, right, bottom = changed
    differ = target[top:bottom, left:right] != before[top:bottom, left:right]
    if not differ.any():
        return bounding_box(differ)  # as of the whole frame: a 1 x 1 box at the origin
    x0, y0, x1, y1 = bounding_box(differ)
    return left + x0, top + y0, left + x1, top + y1


def _union(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


def _entries(palette: np.ndarray, transparent: int | None) -> int:
    """Entries a colour table needs for ``palette`` and its ``transparent`` entry, which
    may lie past the colours."""
    return max(palette.shape[0], (transparent or 0) + 1)


def _free_entry(crop: np.ndarray, same: np.ndarray, table: int) -> int | None:
    """An entry of the table that no changed pixel uses, or None."""
    if not same.any():
        return None
    used = np.bincount(crop[~same].ravel(), minlength=table)
    free = np.flatnonzero(used[:table] == 0)
    return int(free[0]) if free.size else None


def in_runs(mask: np.ndarray, length: int) -> np.ndarray:
    """Pixels of ``mask`` inside a horizontal run of at least ``length`` True pixels.

    >>> in_runs(np.array([[1, 1, 0, 1, 1, 1]], bool), 3).astype(int).tolist()
    [[0, 0, 0, 1, 1, 1]]
    """
    h, w = mask.shape
    if w < length:
        return np.zeros_like(mask)
    padded = np.zeros((h, w + 1), dtype=np.int32)
    np.cumsum(mask, axis=1, out=padded[:, 1:])
    starts = (padded[:, length:] - padded[:, :-length]) == length  # run of `length` starts here
    covered = np.zeros((h, w + 1), dtype=np.int32)
    covered[:, : w - length + 1] += starts
    covered[:, length: w + 1] -= starts
    return np.cumsum(covered[:, :w], axis=1) > 0


def _reads_as_grey(palette: np.ndarray, transparent: int | None) -> bool:
    """Whether ``palette`` (with ``transparent``) as a table is entry i = (i, i, i)
    throughout, padding too: Pillow reads a first frame drawn with such a table as
    greyscale, and the later frames' own tables then as grey levels (Pillow 13)."""
    table = gif_table_size(_entries(palette, transparent))
    ramp = np.repeat(np.arange(table, dtype=np.uint8)[:, None], 3, axis=1)
    return bool(np.array_equal(np.frombuffer(gif_color_table(palette, table), np.uint8)
                               .reshape(-1, 3), ramp))


def _way(indices: np.ndarray, mark: int | None, local: bool,
         lzw: Callable[[np.ndarray], bytes]) -> _Way:
    """``indices`` stored with transparent entry ``mark``, their data by ``lzw``; a local
    table holds the entries up to the largest of ``indices`` and ``mark``, and no more."""
    largest = max(int(indices.max()), mark or 0)
    marked = mark is not None and bool((indices == mark).any())
    return _Way(lzw(indices), mark, gif_table_size(largest + 1), local, marked)


def _own_entry_way(crop: np.ndarray, marked: np.ndarray, transparent: int, local: bool,
                   entry: bool, lzw: Callable[[np.ndarray], bytes]) -> _Way:
    """``crop`` with its ``marked`` pixels transparent, in a frame with a transparent entry
    (its data by ``lzw``).

    With the global table they take ``transparent``. With a local table,
    whose entries are paid for in the frame, they take the lowest entry that
    no unmarked pixel uses (``transparent`` itself when some unmarked pixel
    holds it): a frame of 32 colours and entry 32 for its kept pixels needs a
    table of 64 entries, but none of 32 when it leaves an entry unused. With no
    pixel marked and none holding ``transparent``, the frame has no
    transparent entry, unless ``entry`` asks for one (the first frame: Pillow
    reads the frames after a first frame without one as opaque; a frame cleared
    when disposed of: Pillow clears its box to the background entry, opaque,
    when it has none).
    """
    if not local:
        return _way(np.where(marked, np.uint8(transparent), crop), transparent, local, lzw)
    used = np.bincount(crop[~marked], minlength=transparent + 1)
    if used[transparent]:
        mark: int | None = transparent
    elif marked.any() or entry:
        mark = int(np.flatnonzero(used[:transparent + 1] == 0)[0])
    else:
        return _way(crop, None, local, lzw)
    return _way(np.where(marked, np.uint8(mark), crop), mark, local, lzw)


def _lzw(indices: np.ndarray) -> bytes:
    """The LZW code size byte and data sub-blocks of ``indices``.

    The code size is the smallest that holds the largest index present, which
    may be below the colour table's (frames drawing only the first, most used
    entries get shorter codes).
    """
    return _lzw_of(*_lzw_input(indices))


def _lzw_input(indices: np.ndarray) -> tuple[int, np.ndarray]:
    """What :func:`_lzw`'s data of ``indices`` depends on, and only that: the code size
    and the entries ``(H, W)`` as contiguous uint8."""
    return gif_code_size(indices), np.ascontiguousarray(indices, np.uint8)


def _lzw_of(bits: int, image: np.ndarray) -> bytes:
    """:func:`_lzw` of ``(H, W)`` contiguous uint8 entries, codes of ``bits`` bits at first."""
    return gif_image_data(image, bits)
