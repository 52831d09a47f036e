"""What was drawn: (original colour, drawn colour) pairs of opaque pixels (of visible ones,
with alpha), counted over frames."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .._kernels import pack_rgb, unpack_rgb
from ..reduce.result import psnr_db

__all__ = ["FrameStats", "merge_counts"]

# Per-frame parts are merged once this many have piled up (bounded memory).
_MERGE_EVERY = 16


def merge_counts(parts: list[np.ndarray], counts: list[np.ndarray]
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Merge lists of (keys, counts) arrays into sorted distinct keys and summed int64 counts."""
    if not parts:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    keys, inverse = np.unique(np.concatenate(parts), return_inverse=True)
    total = np.bincount(inverse.ravel(), weights=np.concatenate(counts), minlength=keys.size)
    return keys, total.astype(np.int64)


@dataclass
class FrameStats:
    """Frames written, pixels seen, and the colour pairs drawn for the opaque ones.

    With ``alpha`` (frames drawn with partial alpha), the colours are straight RGBA as
    32-bit words (``rgba.view("<u4")``, alpha in the top byte) of the visible pixels
    (alpha above 0), and ``transparent_pixels`` counts the fully transparent ones.
    """

    alpha: bool = False
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
    #: Whether the output's encoder took ``optimize`` (its sink's ``optimized``).
    optimized: bool = False
    _keys: list[np.ndarray] = field(default_factory=list)
    _counts: list[np.ndarray] = field(default_factory=list)

    def add_pairs(self, codes: np.ndarray, drawn: np.ndarray, counts: np.ndarray) -> None:
        """Count ``counts`` pixels of colour ``codes`` drawn as colour ``drawn`` (24-bit
        codes, or RGBA words with ``alpha``)."""
        self._keys.append(self._pair_keys(codes, drawn))
        self._counts.append(np.asarray(counts, dtype=np.int64))
        if len(self._keys) >= _MERGE_EVERY:
            keys, total = merge_counts(self._keys, self._counts)
            self._keys, self._counts = [keys], [total]

    def add_pixels(self, codes: np.ndarray, drawn: np.ndarray) -> None:
        """Count pixel by pixel: ``codes`` drawn as ``drawn`` (both 24-bit codes, or RGBA
        words with ``alpha``, same shape)."""
        keys, n = np.unique(self._pair_keys(codes, drawn), return_counts=True)
        self.add_pairs(*self._split_keys(keys), n)

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
        """(original (m, 3) uint8, drawn (m, 3) uint8, counts (m,) float64); with ``alpha``,
        (m, 4) straight RGBA colours."""
        keys, n = merge_counts(self._keys, self._counts)
        codes, drawn = self._split_keys(keys)
        return self._colors(codes), self._colors(drawn), n.astype(np.float64)

    def psnr(self) -> float:
        """PSNR in dB over the opaque pixels of all frames (inf when lossless or none); with
        ``alpha``, over all their pixels in premultiplied RGBA, as a still's with alpha."""
        a, b, n = self.pairs()
        if n.size == 0:
            return math.inf
        if self.alpha:
            return psnr_db(a, b, n, self.transparent_pixels)
        sq = ((a.astype(np.float64) - b) ** 2).mean(axis=1)
        mse = float(sq @ n / n.sum())
        return math.inf if mse == 0 else 10.0 * math.log10(255.0 ** 2 / mse)

    def entry_pixels(self, palette: np.ndarray) -> np.ndarray:
        """Pixels drawn with each (distinct) colour of ``palette`` (``(k, 4)`` with
        ``alpha``): a faint pixel drawn with the transparent entry, which is not in it,
        counts in none."""
        _, b, n = self.pairs()
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
