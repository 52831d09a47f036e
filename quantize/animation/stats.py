"""What was drawn: (original colour, drawn colour) pairs of opaque pixels (of visible ones,
with alpha), counted over frames, and folded into running sums once there are many."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from .._kernels import pack_rgb, unpack_rgb
from ..colors import ciede2000, lab_of, mean_squared_error
from ..reduce.quality import worse_on_white
from ..reduce.result import psnr_db

__all__ = ["FrameStats", "merge_counts", "merge_if_many", "merge_pending", "recounted"]

# Per-frame parts are merged once this many have piled up, or once they hold many keys
# (merge_if_many; bounded memory, however large the frames).
_MERGE_EVERY = 16
#: Distinct pairs held, once merged, from which they are folded into running sums
#: (:meth:`FrameStats._fold`). With a palette per frame each frame draws its colours
#: with colours of its own, so the pairs grew with the frames: 300 frames of a pan over
#: a photo (640x360) held 30 M of them, 1.3 GB at the end, and each merge sorted them
#: all again. Fewer pairs are never folded, so their metrics are computed as before.
_FOLD_FROM = 1 << 21
#: Pixels of a frame whose (colour, drawn colour) pairs are sorted and counted at a time
#: (:meth:`FrameStats.add_pixels`), the counts then merged: counted whole, a page of
#: 2480 x 3508 (A4 at 300 dpi) took some 40 bytes a pixel, 350 MB, the peak of its TIFF.
_COUNT_PART = 1 << 20
#: The backgrounds frames with alpha are also measured on (:meth:`FrameStats.psnr_shown`).
_OVER: tuple[Literal["black", "white"], ...] = ("black", "white")


def merge_counts(parts: list[np.ndarray], counts: list[np.ndarray]
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Merge lists of (keys, counts) arrays into sorted distinct keys and summed int64 counts."""
    if not parts:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    keys, inverse = np.unique(np.concatenate(parts), return_inverse=True)
    total = np.bincount(inverse.ravel(), weights=np.concatenate(counts), minlength=keys.size)
    return keys, total.astype(np.int64)


def merge_pending(parts: list[np.ndarray], counts: list[np.ndarray]) -> None:
    """Merge, in place, the (keys, counts) arrays of ``parts`` and ``counts`` after the
    first into the first, whose keys are sorted and distinct (a merge's result or
    ``np.unique``'s): the lists are left with one pair, as :func:`merge_counts` gives.

    Only the newer parts are sorted; the first, which grows over the frames, is
    searched and copied once. Sorting it again at every merge took time growing with
    the square of the frames (8.6 s of 28 s for 300 frames of 320x180 with soft alpha).

    >>> parts, counts = [np.array([1, 5]), np.array([9, 1, 3])], [np.array([2, 2]),
    ...                                                          np.array([1, 4, 1])]
    >>> merge_pending(parts, counts)
    >>> parts[0].tolist(), counts[0].tolist()
    ([1, 3, 5, 9], [6, 1, 2, 1])
    """
    keys, total = parts[0], counts[0]
    new, new_total = merge_counts(parts[1:], counts[1:])
    at = np.searchsorted(keys, new)
    found = at < keys.size
    found[found] = keys[at[found]] == new[found]
    total = total.astype(np.int64)  # a copy: the first part's counts may be a caller's
    total[at[found]] += new_total[found]
    fresh = ~found
    parts[:] = [np.insert(keys, at[fresh], new[fresh].astype(keys.dtype))]
    counts[:] = [np.insert(total, at[fresh], new_total[fresh])]


def recounted(keys: np.ndarray, counts: np.ndarray, added: np.ndarray, removed: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray]:
    """The histogram of sorted distinct ``keys`` and their ``counts`` with the values
    ``added`` counted in and those ``removed`` (each one of ``keys``) counted out, keys
    left with no count dropped: sorted distinct keys and int64 counts, as
    ``np.unique(..., return_counts=True)`` gives them for the values recounted.

    A frame's histogram is its previous frame's recounted over the pixels that changed.

    >>> keys, counts = recounted(np.array([2, 5]), np.array([3, 1]), np.array([7, 2]),
    ...                          np.array([5]))
    >>> keys.tolist(), counts.tolist()
    ([2, 7], [4, 1])
    """
    parts = [keys, added.ravel(), removed.ravel()]
    n = [counts, np.ones(added.size, np.int64), np.full(removed.size, -1, np.int64)]
    merge_pending(parts, n)
    kept = n[0] != 0
    return parts[0][kept], n[0][kept]


def merge_if_many(parts: list[np.ndarray], counts: list[np.ndarray], most: int) -> bool:
    """Merge ``parts`` and ``counts`` in place (:func:`merge_pending`) once
    :data:`_MERGE_EVERY` of them have piled up, or once they hold ``most`` keys (repeats
    counted), and say whether they were merged: memory stays bounded however large the
    frames."""
    if len(parts) < _MERGE_EVERY and sum(part.size for part in parts) < most:
        return False
    merge_pending(parts, counts)
    return True


@dataclass
class _Folded:
    """Pairs folded into sums: their pixels, the sums over those pixels of the squared
    error (each pixel's mean over channels; with alpha, also composited on black and on
    white, by :data:`_OVER`), of CIEDE2000 and of CIEDE2000 as ``quality``
    measures it (:func:`_errors`), the pixels whose CIEDE2000 so measured is above each of
    :attr:`FrameStats.error_limits`, and the pixels drawn with each colour (sorted 24-bit
    codes, or RGBA words with alpha, and their counts)."""

    pixels: int = 0
    squared: float = 0.0
    shown: dict[str, float] = field(default_factory=dict)
    delta_e: float = 0.0
    quality_delta_e: float = 0.0
    above: list[float] = field(default_factory=list)
    drawn: np.ndarray | None = None
    drawn_counts: np.ndarray | None = None


@dataclass
class FrameStats:
    """Frames written, pixels seen, and the colour pairs drawn for the opaque ones.

    With ``alpha`` (frames drawn with partial alpha), the colours are straight RGBA as
    32-bit words (``rgba.view("<u4")``, alpha in the top byte) of the visible pixels
    (alpha above 0), and ``transparent_pixels`` counts the fully transparent ones.
    """

    alpha: bool = False
    #: CIEDE2000 differences whose share of pixels beyond :meth:`FrameStats.delta_e_and_tail`
    #: says (the tail bounds of a ``quality``): counted as pairs are folded, which drops them.
    error_limits: tuple[float, ...] = ()
    frames: int = 0
    #: Frames the output holds: fewer than ``frames`` when identical ones were merged.
    frames_written: int = 0
    pixels: int = 0
    transparent_pixels: int = 0
    #: Pixels with alpha strictly between 0 and 255 (written transparent or opaque).
    translucent_pixels: int = 0
    #: Frames that reached past the canvas and were cut to it (``Frame.cut``).
    frames_cut: int = 0
    #: The shortest and longest frame read (ms): inf and 0 before the first.
    shortest_ms: float = math.inf
    longest_ms: float = 0.0
    #: A GIF's frames under 20 ms written longer (the GifWriter's ``frames_lengthened``),
    #: and how long its frames play against how long the input's do (ms; 0 and 0 for
    #: other formats).
    frames_lengthened: int = 0
    played_ms: tuple[float, float] = (0.0, 0.0)
    #: Whether the output's encoder took ``optimize`` (its sink's ``optimized``: of a GIF,
    #: whether that stored some frame smaller).
    optimized: bool = False
    #: The most palette entries one frame's opaque pixels take (counted only where
    #: ``--palette per-frame`` fell back to one shared palette: what ``k`` then reports).
    most_entries: int = 0
    #: Pixels of the frames whose blurred error was counted (:meth:`FrameStats.add_blurred`,
    #: dithered frames only), and the sum over them of that squared error.
    blurred_pixels: int = 0
    blurred_squared: float = 0.0
    _keys: list[np.ndarray] = field(default_factory=list)
    #: The pairs of the last frame counted with ``keep``: sorted distinct keys
    #: (:meth:`FrameStats._pair_keys`) and their counts, for :meth:`FrameStats.add_changed`.
    _last: tuple[np.ndarray, np.ndarray] | None = None
    _counts: list[np.ndarray] = field(default_factory=list)
    _folded: _Folded = field(default_factory=_Folded)

    def add_pairs(self, codes: np.ndarray, drawn: np.ndarray, counts: np.ndarray) -> None:
        """Count ``counts`` pixels of colour ``codes`` drawn as colour ``drawn`` (24-bit
        codes, or RGBA words with ``alpha``)."""
        self._add_keys(self._pair_keys(codes, drawn), counts)

    def _add_keys(self, keys: np.ndarray, counts: np.ndarray) -> None:
        """Count ``counts`` pixels of each pair of ``keys`` (:meth:`FrameStats._pair_keys`)."""
        counts = np.asarray(counts, dtype=np.int64)
        if not self._keys:  # the first part is kept sorted and distinct (merge_pending)
            keys, counts = merge_counts([keys], [counts])
        self._keys.append(keys)
        self._counts.append(counts)
        if (merge_if_many(self._keys, self._counts, _FOLD_FROM)
                and self._keys[0].size >= _FOLD_FROM):
            self._fold(self._keys[0], self._counts[0])

    def held_pairs(self) -> int:
        """The (colour, drawn colour) pairs held, not yet folded into sums (counted with
        repeats until they are merged)."""
        return sum(keys.size for keys in self._keys)

    def add_pixels(self, codes: np.ndarray, drawn: np.ndarray, *, keep: bool = False) -> None:
        """Count pixel by pixel: ``codes`` drawn as ``drawn`` (both 24-bit codes, or RGBA
        words with ``alpha``, same shape): a frame's pixels. ``keep``: remember its pairs,
        for :meth:`FrameStats.add_changed` to count the next frame by its pixels that changed."""
        keys, n = self._counted(codes.ravel(), drawn.ravel())
        self._last = (keys, n) if keep else None
        self._add_keys(keys, n)

    def _counted(self, codes: np.ndarray, drawn: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The pairs of ``codes`` ``(n,)`` drawn as ``drawn`` ``(n,)``: sorted distinct keys
        (:meth:`FrameStats._pair_keys`) and their counts, as ``np.unique(...,
        return_counts=True)`` gives them, counted :data:`_COUNT_PART` pixels at a time."""
        keys, counts = np.unique(self._pair_keys(codes[:_COUNT_PART], drawn[:_COUNT_PART]),
                                 return_counts=True)
        for at in range(_COUNT_PART, codes.size, _COUNT_PART):
            part = slice(at, at + _COUNT_PART)
            more, n = np.unique(self._pair_keys(codes[part], drawn[part]), return_counts=True)
            merged, totals = [keys, more], [counts, n]
            merge_pending(merged, totals)
            keys, counts = merged[0], totals[0]
        return keys, counts

    def add_changed(self, removed: tuple[np.ndarray, np.ndarray],
                    added: tuple[np.ndarray, np.ndarray]) -> None:
        """Count a frame that shows what the last one counted (with ``keep``) shows but in
        some pixels: that frame's pairs less ``removed``, the (codes, drawn) of its pixels
        that changed, plus ``added``, this frame's (codes, drawn) there. The frame is
        counted as :meth:`FrameStats.add_pixels` counts it, with ``keep``, from the pixels that
        changed only: a small sprite moving on a large canvas costs what the sprite does.
        """
        if self._last is None:
            raise ValueError("add_changed: no frame was counted with keep=True before")
        keys, n = recounted(*self._last, self._pair_keys(*added), self._pair_keys(*removed))
        self._last = (keys, n)
        self._add_keys(keys, n)

    def _pair_keys(self, codes: np.ndarray, drawn: np.ndarray) -> np.ndarray:
        """One integer per (colour, drawn colour) pair: int64, or uint64 with ``alpha``."""
        if self.alpha:
            return (codes.astype(np.uint64) << np.uint64(32)) | drawn.astype(np.uint64)
        return (codes.astype(np.int64) << 24) | drawn.astype(np.int64)

    def _split_keys(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if self.alpha:
            return keys >> np.uint64(32), keys & np.uint64(0xFFFFFFFF)
        return keys >> 24, keys & 0xFFFFFF

    def _colors(self, codes: np.ndarray) -> np.ndarray:
        """``(m, 3)`` uint8 colours of 24-bit codes, or ``(m, 4)`` RGBA of words with ``alpha``."""
        if self.alpha:
            return codes.astype("<u4").view(np.uint8).reshape(-1, 4)
        return unpack_rgb(codes)

    def pairs(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(original (m, 3) uint8, drawn (m, 3) uint8, counts (m,) float64) of the pairs
        held, not folded; with ``alpha``, (m, 4) straight RGBA colours."""
        keys, n = self._held()
        codes, drawn = self._split_keys(keys)
        return self._colors(codes), self._colors(drawn), n.astype(np.float64)

    def _held(self) -> tuple[np.ndarray, np.ndarray]:
        """The pairs held, merged: sorted distinct keys (:meth:`FrameStats._pair_keys`)
        and their counts."""
        if not self._keys:  # none yet, or all folded
            return np.zeros(0, np.uint64 if self.alpha else np.int64), np.zeros(0, np.int64)
        return merge_counts(self._keys, self._counts)

    def _fold(self, keys: np.ndarray, counts: np.ndarray) -> None:
        """Fold the pairs held, merged as ``keys`` and ``counts``, into the running sums,
        and drop them."""
        codes, drawn = self._split_keys(keys)
        a, b, n = self._colors(codes), self._colors(drawn), counts.astype(np.float64)
        folded = self._folded
        folded.pixels += int(counts.sum())
        folded.squared += self._squared(a, b, n)
        for over in _OVER if self.alpha else ():
            folded.shown[over] = folded.shown.get(over, 0.0) + self._squared(a, b, n, over)
        errors, measured = _errors(a, b, bool(self.error_limits))
        folded.delta_e += float(errors @ n)
        folded.quality_delta_e += float(measured @ n)
        folded.above = _plus(folded.above, _above(measured, n, self.error_limits))
        folded.drawn, folded.drawn_counts = self._with_folded(drawn, counts)
        self._keys, self._counts = [], []

    def _with_folded(self, drawn: np.ndarray, counts: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray]:
        """Keys of colours ``drawn`` (``counts`` pixels each) merged with those folded:
        sorted distinct keys and their summed counts."""
        if self._folded.drawn is None:
            return merge_counts([drawn], [counts])
        return merge_counts([self._folded.drawn, drawn], [self._folded.drawn_counts, counts])

    def _squared(self, a: np.ndarray, b: np.ndarray, n: np.ndarray,
                 over: Literal["black", "white"] | None = None) -> float:
        """Sum over the pixels of pairs ``a`` drawn as ``b`` (``n`` of each) of the squared
        error, each pixel's mean over channels (premultiplied, with ``alpha``, or composited
        ``over`` black or white)."""
        if n.size == 0:
            return 0.0
        if self.alpha:
            return mean_squared_error(a, b, n, premultiplied=over is None,
                                      over=over) * float(n.sum())
        return float(((a.astype(np.float64) - b) ** 2).mean(axis=1) @ n)

    def psnr(self, over: Literal["black", "white"] | None = None) -> float:
        """PSNR in dB over the opaque pixels of all frames (inf when lossless or none); with
        ``alpha``, over their visible pixels (alpha above 0) in premultiplied RGBA, as a
        still's with alpha, or their RGB composited ``over`` black or white."""
        a, b, n = self.pairs()
        if self._folded.pixels:
            pixels = self._folded.pixels + float(n.sum())
            folded = self._folded.squared if over is None else self._folded.shown[over]
            mse = (folded + self._squared(a, b, n, over)) / pixels
        elif n.size == 0:
            return math.inf
        elif self.alpha:
            return psnr_db(a, b, n, over)
        else:
            mse = self._squared(a, b, n) / n.sum()
        return math.inf if mse == 0 else 10.0 * math.log10(255.0 ** 2 / mse)

    def add_blurred(self, frame_psnr: float, pixels: int) -> None:
        """Count a frame of ``pixels`` pixels whose PSNR after a blur is ``frame_psnr`` dB
        (:func:`quantize.metrics.psnr`'s ``blur``; inf when the frame is drawn exactly),
        for :meth:`FrameStats.blurred_psnr`."""
        self.blurred_pixels += pixels
        if not math.isinf(frame_psnr):
            self.blurred_squared += pixels * 255.0 ** 2 / 10.0 ** (frame_psnr / 10.0)

    def blurred_psnr(self) -> float | None:
        """PSNR in dB after a blur over the pixels of all the frames counted by
        :meth:`FrameStats.add_blurred`, pooled as :meth:`FrameStats.psnr` pools them (the
        mean squared error over all their pixels); inf when each was drawn exactly, None
        when none was counted.

        >>> stats = FrameStats()
        >>> stats.add_blurred(20.0, 100); stats.add_blurred(math.inf, 100)
        >>> round(stats.blurred_psnr(), 4)  # half the pixels at 20 dB, half exact
        23.0103
        """
        if not self.blurred_pixels:
            return None
        if self.blurred_squared == 0:
            return math.inf
        return 10.0 * math.log10(255.0 ** 2 * self.blurred_pixels / self.blurred_squared)

    def psnr_shown(self) -> tuple[float, float] | None:
        """With ``alpha``, :meth:`FrameStats.psnr` composited on black and on white (a record's
        ``psnr_on_black`` and ``psnr_on_white``, as a still's with translucent pixels);
        else None."""
        return tuple(self.psnr(over) for over in _OVER) if self.alpha else None  # type: ignore[return-value]

    def delta_e(self) -> float:
        """Mean CIEDE2000 of everything drawn so far (0 when nothing opaque was drawn); with
        ``alpha``, of the visible pixels composited on black, as a still's with alpha."""
        return self.delta_e_and_tail()[0]

    def delta_e_and_tail(self) -> tuple[float, float, tuple[float, ...]]:
        """:meth:`FrameStats.delta_e`; then, as a ``quality`` is measured (given
        :attr:`FrameStats.error_limits`, the worse of black and white for a translucent
        pixel, :func:`_errors`), the mean CIEDE2000 and the share of the pixels whose
        CIEDE2000 is above each of those limits (0 when none was drawn)."""
        a, b, n = self.pairs()
        folded = self._folded
        pixels = folded.pixels + float(n.sum())
        if pixels == 0:
            return 0.0, 0.0, (0.0,) * len(self.error_limits)
        errors, measured = _errors(a, b, bool(self.error_limits))
        above = _plus(folded.above, _above(measured, n, self.error_limits))
        return ((folded.delta_e + float(errors @ n)) / pixels,
                (folded.quality_delta_e + float(measured @ n)) / pixels,
                tuple(count / pixels for count in above))

    def drawn(self) -> tuple[np.ndarray, np.ndarray]:
        """The distinct colours drawn, ``(m, 3)`` uint8 (``(m, 4)`` RGBA with ``alpha``),
        sorted by code, and the pixels drawn with each, ``(m,)`` float64."""
        keys, n = self._held()
        drawn, total = self._with_folded(self._split_keys(keys)[1], n)
        return self._colors(drawn), total.astype(np.float64)

    def entry_pixels(self, palette: np.ndarray) -> np.ndarray:
        """Pixels drawn with each (distinct) colour of ``palette`` (``(k, 4)`` with
        ``alpha``): a faint pixel drawn with the transparent entry, which is not in it,
        counts in none."""
        b, n = self.drawn()
        if self.alpha:
            codes = np.ascontiguousarray(palette).view("<u4").ravel().astype(np.int64)
            drawn = np.ascontiguousarray(b).view("<u4").ravel().astype(np.int64)
        else:
            codes, drawn = pack_rgb(palette).astype(np.int64), pack_rgb(b).astype(np.int64)
        order = np.argsort(codes, kind="stable")
        pos = np.clip(np.searchsorted(codes[order], drawn), 0, max(codes.size - 1, 0))
        if self.alpha and codes.size:
            n = np.where(codes[order][pos] == drawn, n, 0.0)
        return np.bincount(order[pos], weights=n, minlength=palette.shape[0])


def _errors(a: np.ndarray, b: np.ndarray, for_quality: bool = False
            ) -> tuple[np.ndarray, np.ndarray]:
    """CIEDE2000 ``(m,)`` float64 of each pair of colours ``a`` drawn as ``b`` (straight RGBA
    composited on black, with alpha: :func:`~quantize.colors.lab_of`), and as a
    ``quality`` measures them (``for_quality``): a pair in which either colour is
    translucent counts the worse of its CIEDE2000 on black and on white, as a still's
    search does (:func:`~quantize.reduce.quality.worse_on_white`); the same array
    when no pair is translucent or ``for_quality`` is false.

    Measured on black alone, the frames of a dark translucent animation passed a ``quality``
    that they missed on a white page, without the warning a still's search gives."""
    if a.shape[0] == 0:
        return np.zeros(0), np.zeros(0)
    errors = ciede2000(lab_of(a), lab_of(b)).astype(np.float64)
    if not for_quality or a.shape[1] == 3:
        return errors, errors
    measured = errors.copy()
    pairs, _ = worse_on_white(measured, a, b, np.arange(a.shape[0]))
    return errors, (measured if pairs.size else errors)


def _above(errors: np.ndarray, n: np.ndarray, limits: tuple[float, ...]) -> list[float]:
    """The pixels (``n`` of each pair) whose ``errors`` are above each of ``limits``."""
    return [float(n[errors > limit].sum()) for limit in limits]


def _plus(was: list[float], now: list[float]) -> list[float]:
    """Counts ``now`` added to those folded before (``was``, empty before the first fold)."""
    return [a + b for a, b in zip(was, now, strict=True)] if was else now
