"""The result of a colour reduction: palette, indices, shares and fidelity metrics.

:class:`ReduceResult` is what :func:`quantize.reduce.reduce_colors` returns.
Its metrics are computed on demand from :class:`Pairs`, the distinct
(original colour, palette entry) pairs and their pixel counts, so measuring a
12 MP result costs about as much as its histogram, not its pixels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from PIL import Image

from .._kernels import srgb_to_lab
from ..colors import mean_ciede2000, mean_squared_error
from ..reconstruct.palette import indexed_image
from .fit import Histogram

__all__ = ["MAX_PALETTE", "Fidelity", "Pairs", "ReduceResult"]

#: Entries of an indexed (PNG/GIF) image.
MAX_PALETTE = 256


@dataclass(frozen=True)
class Pairs:
    """Distinct (original colour, palette entry) pairs and their pixel counts."""

    colors: np.ndarray
    entries: np.ndarray
    counts: np.ndarray
    histogram: Histogram | None = None  # holds the colours' Lab once computed


@dataclass(frozen=True)
class Fidelity:
    """What the metrics need: the histogram pairs, or where each pixel's colour is.

    Undithered, every distinct colour maps to one entry and ``pairs_known``
    holds the pairs. Dithered, one colour may go to several entries; then
    ``colors`` (the histogram's distinct colours) and ``colour_of`` (each
    counted pixel's row in ``colors``) let :meth:`pairs` count them.
    """

    pairs_known: Pairs | None
    colors: np.ndarray | None = None
    colour_of: np.ndarray | None = None
    counted: np.ndarray | None = None  # (H, W) bool mask of the pixels measured, or None

    def pairs(self, indices: np.ndarray) -> Pairs:
        if self.pairs_known is not None:
            return self.pairs_known
        drawn = indices.ravel() if self.counted is None else indices[self.counted]
        shape = (self.colors.shape[0], int(drawn.max(initial=0)) + 1)
        flat = np.ravel_multi_index((self.colour_of, drawn), shape)
        pairs, counts = np.unique(flat, return_counts=True)
        row, entry = np.unravel_index(pairs, shape)
        return Pairs(self.colors[row], entry.astype(np.intp), counts)


@dataclass(frozen=True, eq=False)
class ReduceResult:
    """An image reduced to a palette.

    Attributes
    ----------
    palette : (k, 3) ndarray of uint8
        The colours, most used first (a given palette keeps its own order).
    indices : (H, W) ndarray of uint8 (uint16 when there are more than 256 entries)
        Palette index of every pixel; fully transparent pixels hold
        ``transparent_index``.
    shares : (k,) ndarray of float64
        Fraction of the opaque pixels drawn with each entry.
    transparent_index : int or None
        ``k`` when the image has fully transparent pixels, else None.
    space : {"rgb", "lab"}
        Space the palette was fitted and matched in.
    dithered : bool
        Whether error diffusion was used.
    """

    palette: np.ndarray
    indices: np.ndarray
    shares: np.ndarray
    transparent_index: int | None
    space: str
    dithered: bool
    _fidelity: Fidelity = field(repr=False)

    @property
    def k(self) -> int:
        """Number of colours in the palette (the transparent entry not counted)."""
        return int(self.palette.shape[0])

    def to_rgb(self) -> np.ndarray:
        """The reduced image, ``(H, W, 3)`` uint8 (transparent pixels black)."""
        return self._full_palette()[self.indices]

    def to_image(self) -> Image.Image:
        """The reduced image as PIL: mode "P" with a transparent entry when it fits in 256.

        More than 256 entries give an "RGB" image ("RGBA" with transparency).
        """
        full = self._full_palette()
        if full.shape[0] <= MAX_PALETTE:
            return indexed_image(self.indices, full, self.transparent_index)
        if self.transparent_index is None:
            return Image.fromarray(full[self.indices])
        alpha = np.where(self.indices == self.transparent_index, 0, 255).astype(np.uint8)
        return Image.fromarray(np.dstack([full[self.indices], alpha]))

    def _full_palette(self) -> np.ndarray:
        if self.transparent_index is None:
            return self.palette
        return np.vstack([self.palette, np.zeros((1, 3), dtype=np.uint8)])

    @cached_property
    def _pairs(self) -> Pairs:
        return self._fidelity.pairs(self.indices)

    @cached_property
    def psnr(self) -> float:
        """PSNR in dB of the opaque pixels against the original (inf when lossless)."""
        f = self._pairs
        if f.counts.size == 0:
            return math.inf
        mse = mean_squared_error(f.colors, self.palette[f.entries], f.counts)
        return math.inf if mse == 0 else 10.0 * math.log10(255.0 ** 2 / mse)

    @cached_property
    def delta_e(self) -> float:
        """Mean CIEDE2000 of the opaque pixels against the original (0 when lossless)."""
        f = self._pairs
        if f.counts.size == 0:
            return 0.0
        lab = f.histogram.lab if f.histogram is not None else srgb_to_lab(f.colors)
        return mean_ciede2000(lab, srgb_to_lab(self.palette)[f.entries], f.counts)
