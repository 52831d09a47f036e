"""Colour reduction: an image to N colours, or to the fewest colours that reach a quality.

How it stays fast on photos
---------------------------
A 12 MP photo has about a million distinct colours, twelve times fewer than
pixels, so everything works on the weighted histogram of distinct colours
(:func:`quantize.colors.color_histogram`) and only the last step touches pixels:

1. **Summary for fitting.** With more than ``_DIRECT_FIT_MAX`` distinct colours,
   they are pooled into cells of 4 x 4 x 4 sRGB levels; each occupied cell
   becomes one point at the weighted mean of its colours (in the clustering
   space) with their total pixel count as weight.
2. **Fit.** :class:`quantize.kmeans.MiniBatchKMeans` clusters those points with
   the counts as sample weights.
3. **Exact pass.** A weighted Lloyd pass over *all* distinct colours (weights =
   pixel counts; ``_EXACT_PASSES`` of them) makes each centre the exact mean of
   the pixels nearest to it, as k-means over every pixel would.
   ``MiniBatchKMeans`` cannot start from given centres without a mini-batch
   phase, so this step lives here.
4. **Palette.** Centres are rounded to sRGB (or replaced by the cluster's medoid
   with ``exact_colors``), duplicates dropped, every distinct colour mapped to
   its nearest entry, and the palette put in a fixed order (most pixels first).
5. **Pixels.** Each pixel's index is read from a table indexed by its 24-bit
   colour code; with ``dither`` Pillow's Floyd-Steinberg ditherer maps them.

Cost grows with the number of distinct colours, not pixels. Fully transparent
pixels are left out of the histogram and get one extra palette entry of their
own, after the ``k`` colours.

With a quality target, quick fits on coarser cells, judged on a sample of pixel
colours, bracket k; then full fits walk from that guess to the smallest k whose
mean CIEDE2000 meets the target.
"""

from __future__ import annotations

import math
import os
import time
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import numpy as np
from PIL import Image

from ._kernels import group_sums, lloyd_update, nearest
from ._validation import Seed, check_choice, check_float, check_int, check_seed
from .colors import (
    code_histogram,
    lab_to_srgb,
    mean_ciede2000,
    mean_squared_error,
    pack_rgb,
    srgb_to_lab,
    unpack_codes,
)
from .errors import QualityError
from .io import DEFAULT_MAX_PIXELS, as_rgba, check_output_path, load_image, save_pil
from .kmeans import MiniBatchKMeans
from .reconstruct.palette import (
    check_palette_path,
    dither_indices,
    indexed_image,
    palette_order,
    read_palette,
    write_palette,
)

__all__ = ["DEFAULT_COLORS", "PALETTE_EXTENSIONS", "RGB_EXTENSIONS", "ColorCountWarning",
           "ReduceResult", "fit_palette", "reduce_colors", "reduce_file"]

Space = Literal["rgb", "lab"]

#: Colours when neither ``n_colors`` nor ``quality`` is given.
DEFAULT_COLORS = 16
#: Output extensions written as indexed (palette) images, at most 256 entries.
PALETTE_EXTENSIONS = (".png", ".gif")
#: Output extensions written as the reduced image in RGB (RGBA when it has alpha).
RGB_EXTENSIONS = (".jpg", ".jpeg", ".webp", ".tif", ".tiff")
_MAX_PALETTE = 256
_PNG_COMPRESS_LEVEL = 4

# Up to this many distinct colours, k-means is fitted on them directly; above,
# on their 4 x 4 x 4-level cells (at most 2**18 points).
_DIRECT_FIT_MAX = 1 << 14
_CELL_SHIFT = 2
# The first guess of k for a quality target fits on 8 x 8 x 8-level cells.
_GUESS_DIRECT_MAX = 1 << 12
_GUESS_CELL_SHIFT = 3
_GUESS_SAMPLE = 1 << 15
# The fit on the summary: runs from different seeds (the best is kept) and full
# Lloyd passes after the core's own polish (which settles small data already);
# then exact weighted passes over all distinct colours.
_SUMMARY_N_INIT = 1
_SUMMARY_REFINE = 2
_EXACT_PASSES = 1


class ColorCountWarning(UserWarning):
    """The image has fewer distinct colours than the palette size asked for."""


# --------------------------------------------------------------------------
# Result
# --------------------------------------------------------------------------


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
        Whether Floyd-Steinberg dithering was used.
    """

    palette: np.ndarray
    indices: np.ndarray
    shares: np.ndarray
    transparent_index: int | None
    space: str
    dithered: bool
    _fidelity: _Fidelity = field(repr=False)

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
        if full.shape[0] <= _MAX_PALETTE:
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
    def _pairs(self) -> _Pairs:
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


@dataclass(frozen=True)
class _Pairs:
    """Distinct (original colour, palette entry) pairs and their pixel counts."""

    colors: np.ndarray
    entries: np.ndarray
    counts: np.ndarray
    histogram: _Histogram | None = None  # holds the colours' Lab once computed


@dataclass(frozen=True)
class _Fidelity:
    """What the metrics need: the histogram pairs, or the pixels when dithered."""

    pairs_known: _Pairs | None
    rgb: np.ndarray | None = None
    opaque: np.ndarray | None = None

    def pairs(self, indices: np.ndarray) -> _Pairs:
        if self.pairs_known is not None:
            return self.pairs_known
        # Dithered: one pixel colour may go to several entries; count the pairs.
        codes = pack_rgb(self.rgb).astype(np.int64) << 9
        codes |= indices
        if self.opaque is not None:
            codes = codes[self.opaque]
        pairs, counts = np.unique(codes.ravel(), return_counts=True)
        return _Pairs(unpack_codes(pairs >> 9), (pairs & 0x1FF).astype(np.intp), counts)


# --------------------------------------------------------------------------
# Public: fit a palette from a histogram
# --------------------------------------------------------------------------


def fit_palette(colors: Any, counts: Any, n_colors: int | None = DEFAULT_COLORS, *,
                space: Space = "rgb", exact_colors: bool = False,
                seed: Seed = None) -> np.ndarray:
    """Fit a k-means palette to a weighted list of colours (e.g. merged histograms).

    Parameters
    ----------
    colors : (m, 3) array_like of uint8
        Colours; repeats are merged.
    counts : (m,) array_like
        Non-negative weight (pixel count) of each colour.
    n_colors : int or None
        Palette size, >= 1 (None means the default, 16).
    space : {"rgb", "lab"}
        Space to cluster in.
    exact_colors : bool
        Use each cluster's medoid (a colour from ``colors``) instead of its mean.
    seed : int, numpy.random.Generator or None
        Source of randomness.

    Returns
    -------
    (k, 3) ndarray of uint8
        The palette, most weight first; ``k < n_colors`` only when there are
        fewer distinct colours (then with a :class:`ColorCountWarning`).

    Raises
    ------
    ValueError, TypeError
        For malformed colours, counts or parameters.

    Examples
    --------
    >>> colors = np.array([[0, 0, 0], [0, 0, 2], [250, 0, 0], [254, 0, 0]], np.uint8)
    >>> fit_palette(colors, [1, 1, 3, 1], 2, seed=0).tolist()
    [[251, 0, 0], [0, 0, 1]]
    """
    cols, cnt = _check_histogram(colors, counts)
    k = DEFAULT_COLORS if n_colors is None else check_int(n_colors, "n_colors", minimum=1)
    space = check_choice(space, "space", _FEATURES)
    rng = check_seed(seed)
    if cols.shape[0] < k:
        _warn_few_colors(cols.shape[0], k, stacklevel=2)
    features = _FEATURES[space](cols)
    palette, labels = _fit(cols, cnt, features, k, space, bool(exact_colors), rng)
    order = palette_order(palette, np.bincount(labels, weights=cnt, minlength=len(palette)))
    return palette[order]


def _check_histogram(colors: Any, counts: Any) -> tuple[np.ndarray, np.ndarray]:
    """Validate a colour histogram and merge repeated colours."""
    cols = np.asarray(colors)
    if cols.ndim != 2 or cols.shape[1] != 3 or cols.shape[0] == 0:
        raise ValueError(f"colors should have shape (m, 3) with m >= 1, got {cols.shape}")
    if cols.dtype != np.uint8:
        raise TypeError(f"colors should have dtype uint8, got {cols.dtype}")
    cnt = np.asarray(counts, dtype=np.float64)
    if cnt.shape != (cols.shape[0],):
        raise ValueError(f"counts should have shape ({cols.shape[0]},), got {cnt.shape}")
    if not np.isfinite(cnt).all() or (cnt < 0).any() or cnt.sum() <= 0:
        raise ValueError("counts should be finite, >= 0 and have a positive sum")
    codes, inverse = np.unique(pack_rgb(cols), return_inverse=True)
    merged = np.bincount(inverse.ravel(), weights=cnt, minlength=codes.size)
    keep = merged > 0
    return unpack_codes(codes[keep]), merged[keep]


def _warn_few_colors(m: int, k: int, stacklevel: int) -> None:
    """Warn that only ``m < k`` colours exist; ``stacklevel`` counts from the caller."""
    warnings.warn(f"n_colors={k} but the image has only {m} distinct colours; "
                  f"returning those {m}", ColorCountWarning, stacklevel=stacklevel + 1)


# --------------------------------------------------------------------------
# Fitting (prior validation is assumed below)
# --------------------------------------------------------------------------


def _rgb_features(colors: np.ndarray) -> np.ndarray:
    return colors.astype(np.float32)


_FEATURES: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "rgb": _rgb_features,
    "lab": srgb_to_lab,
}


def _fit(colors: np.ndarray, counts: np.ndarray, features: np.ndarray, k: int,
         space: str, exact_colors: bool,
         rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Palette ``(k', 3)`` uint8 and each distinct colour's entry; k' <= k."""
    if colors.shape[0] <= k:
        return colors.copy(), np.arange(colors.shape[0])
    centers = _fit_centers(colors, counts, features, k, rng)
    centers, labels = _exact_passes(features, counts, centers, _EXACT_PASSES)
    if exact_colors:
        palette = colors[_medoids(features, labels, centers)]
    else:
        palette = _to_srgb(centers, space)
    palette = np.unique(palette, axis=0)  # rounding may merge two centres
    return palette, nearest(features, _FEATURES[space](palette))


def _fit_centers(colors: np.ndarray, counts: np.ndarray, features: np.ndarray, k: int,
                 rng: np.random.Generator) -> np.ndarray:
    """Weighted mini-batch k-means on the colours, or on their cell summary when many."""
    data, weights = features, counts
    if colors.shape[0] > _DIRECT_FIT_MAX:
        cell_data, cell_weights = _cell_summary(colors, counts, features)
        if cell_data.shape[0] >= 4 * k:
            data, weights = cell_data, cell_weights
    km = MiniBatchKMeans(k, n_init=_SUMMARY_N_INIT, refine=_SUMMARY_REFINE, seed=rng)
    return km.fit(data, sample_weight=weights).cluster_centers_


def _cell_summary(colors: np.ndarray, counts: np.ndarray, features: np.ndarray,
                  shift: int = _CELL_SHIFT) -> tuple[np.ndarray, np.ndarray]:
    """Weighted mean feature and total count of each occupied sRGB cell.

    Cells are ``2**shift`` levels wide per channel (4 x 4 x 4 by default).
    """
    bits = 8 - shift
    levels = (colors >> shift).astype(np.intp)
    cell = (levels[:, 0] << (2 * bits)) | (levels[:, 1] << bits) | levels[:, 2]
    n_cells = 1 << (3 * bits)
    totals, sums = group_sums(features, cell, n_cells, counts)
    occupied = np.flatnonzero(totals)
    means = (sums[occupied] / totals[occupied, None]).astype(np.float32)
    return means, totals[occupied]


def _exact_passes(features: np.ndarray, counts: np.ndarray, centers: np.ndarray,
                  passes: int) -> tuple[np.ndarray, np.ndarray]:
    """Weighted Lloyd passes over all colours.

    Returns centres that are the exact weighted means of their members and the
    labels those means were taken over. A centre with no members stays put.
    """
    labels = nearest(features, centers)
    for p in range(passes):
        centers = lloyd_update(features, counts, labels, centers, empty="keep")
        if p + 1 < passes:
            new_labels = nearest(features, centers)
            if np.array_equal(new_labels, labels):
                break
            labels = new_labels
    return centers, labels


def _medoids(features: np.ndarray, labels: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """Row index of the member nearest to each non-empty cluster's mean.

    For squared distances this member is the weighted medoid: it minimises the
    weighted sum of squared distances to the other members.
    """
    d = ((features - centers[labels].astype(np.float32)) ** 2).sum(axis=1)
    order = np.lexsort((d, labels))
    first = np.ones(order.size, dtype=bool)
    first[1:] = labels[order][1:] != labels[order][:-1]
    return order[first]


def _to_srgb(centers: np.ndarray, space: str) -> np.ndarray:
    if space == "lab":
        return lab_to_srgb(centers)
    return np.clip(np.rint(centers), 0, 255).astype(np.uint8)


# --------------------------------------------------------------------------
# Choosing k for a quality target
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Histogram:
    """Distinct colours of the opaque pixels, their counts and clustering features."""

    colors: np.ndarray
    counts: np.ndarray
    space: str

    @cached_property
    def features(self) -> np.ndarray:
        return self.lab if self.space == "lab" else _rgb_features(self.colors)

    @cached_property
    def lab(self) -> np.ndarray:
        """CIE Lab of the colours, computed when first needed (metrics, quality, space)."""
        return srgb_to_lab(self.colors)


def _smallest_k(test: Callable[[int], bool], guess: int, k_max: int, *,
                geometric: bool) -> int | None:
    """Smallest k in [1, k_max] for which ``test`` holds, assuming it holds from some k on.

    Gallops away from ``guess`` until the answer is bracketed (doubling k when
    ``geometric``, else steps of 1, 2, 4, ...), then bisects. None when
    ``test(k_max)`` fails.
    """
    guess = min(max(guess, 1), k_max)
    step = 1
    if test(guess):
        lo, hi = 0, guess  # test(lo) fails (0 stands for "below the range"), test(hi) holds
        while hi > 1:
            cand = hi // 2 if geometric else max(hi - step, 1)
            if not test(cand):
                lo = cand
                break
            hi, step = cand, step * 2
    else:
        lo = guess
        while True:
            cand = min(lo * 2 if geometric else lo + step, k_max)
            if test(cand):
                hi = cand
                break
            if cand == k_max:
                return None
            lo, step = cand, step * 2
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if test(mid):
            hi = mid
        else:
            lo = mid
    return hi


def _search_quality(hist: _Histogram, quality: float, k_max: int, space: str,
                    exact_colors: bool, rng: np.random.Generator
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Fewest colours whose mean CIEDE2000 is <= ``quality``: palette and labels.

    A cheap search on the cell summary (fit and error measured on the cells)
    gives a first guess; the exact search then starts from it, so only a few
    full fits are paid for.
    """
    m = hist.colors.shape[0]
    k_max = min(k_max, m)  # m colours reproduce the image exactly
    guess = _summary_guess(hist, quality, k_max, space, rng)
    fits: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def exact(k: int) -> bool:
        palette, labels = fits[k] = _fit(hist.colors, hist.counts, hist.features, k, space,
                                         exact_colors, rng)
        error = mean_ciede2000(hist.lab, srgb_to_lab(palette)[labels], hist.counts)
        return error <= quality

    k = _smallest_k(exact, guess, k_max, geometric=False)
    if k is None:
        raise QualityError(f"quality={quality:g}: mean CIEDE2000 <= {quality:g} needs more "
                           f"than {k_max} colours")
    return fits[k]


def _summary_guess(hist: _Histogram, quality: float, k_max: int, space: str,
                   rng: np.random.Generator) -> int:
    """Estimate of the k meeting ``quality`` from quick fits on a coarse cell summary.

    Each trial palette is fitted on 8 x 8 x 8-level cells and judged on a sample
    of pixel colours drawn in proportion to their counts (an unbiased estimate
    of its mean CIEDE2000), so the guess is usually within a few colours.
    """
    m = hist.colors.shape[0]
    if m > _GUESS_DIRECT_MAX:
        data, weights = _cell_summary(hist.colors, hist.counts, hist.features,
                                      _GUESS_CELL_SHIFT)
    else:
        data, weights = hist.features, hist.counts
    if m > _GUESS_SAMPLE:
        picks = rng.choice(m, size=_GUESS_SAMPLE, p=hist.counts / hist.counts.sum())
        judge, judge_lab, judge_w = hist.features[picks], hist.lab[picks], None
    else:
        judge, judge_lab, judge_w = hist.features, hist.lab, hist.counts
    limit = min(k_max, data.shape[0] - 1)
    if limit < 1:
        return k_max

    def approx(k: int) -> bool:
        km = MiniBatchKMeans(k, refine=_SUMMARY_REFINE, seed=rng).fit(data, sample_weight=weights)
        palette = np.unique(_to_srgb(km.cluster_centers_, space), axis=0)
        entries = nearest(judge, _FEATURES[space](palette))
        return mean_ciede2000(judge_lab, srgb_to_lab(palette)[entries], judge_w) <= quality

    guess = _smallest_k(approx, DEFAULT_COLORS, limit, geometric=True)
    return k_max if guess is None else guess


# --------------------------------------------------------------------------
# Public: reduce an image
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Options:
    n_colors: int | None
    quality: float | None
    space: str
    dither: bool
    exact_colors: bool
    palette: np.ndarray | None


def _check_options(n_colors: Any, quality: Any, space: Any, dither: Any,
                   exact_colors: Any, palette: Any) -> _Options:
    """Validate reduce_colors' parameters once."""
    k = None if n_colors is None else check_int(n_colors, "n_colors", minimum=2)
    q = None if quality is None else check_float(quality, "quality", minimum=0.0)
    space = check_choice(space, "space", _FEATURES)
    for name, value in (("dither", dither), ("exact_colors", exact_colors)):
        if not isinstance(value, bool | np.bool_):
            raise TypeError(f"{name}={value!r} should be a bool, got {type(value).__name__}")
    pal = None
    if palette is not None:
        pal = _check_palette(palette)
        for name, value in (("n_colors", k), ("quality", q)):
            if value is not None:
                raise ValueError(f"palette and {name}={value!r} cannot be combined: a given "
                                 "palette fixes the colours")
        if exact_colors:
            raise ValueError("palette and exact_colors=True cannot be combined: a given "
                             "palette fixes the colours")
    if dither and (pal.shape[0] if pal is not None else (k or 0)) > _MAX_PALETTE:
        raise ValueError(f"dither=True supports at most {_MAX_PALETTE} colours, got "
                         f"n_colors={k if pal is None else pal.shape[0]}")
    return _Options(k, q, space, bool(dither), bool(exact_colors), pal)


def _check_palette(palette: Any, name: str = "palette") -> np.ndarray:
    """Return a ``(k, 3)`` uint8 copy of an integer palette with values 0..255, or raise."""
    arr = np.asarray(palette)
    if arr.ndim != 2 or arr.shape[1] != 3 or arr.shape[0] == 0:
        raise ValueError(f"{name} should have shape (k, 3) with k >= 1, got {arr.shape}")
    if not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(f"{name} should hold integers 0..255, got dtype {arr.dtype}")
    if arr.min() < 0 or arr.max() > 255:
        raise ValueError(f"{name} values should lie in 0..255, got "
                         f"[{int(arr.min())}, {int(arr.max())}]")
    return arr.astype(np.uint8, copy=True)


def reduce_colors(image: Any, n_colors: int | None = None, *, quality: float | None = None,
                  space: Space = "rgb", dither: bool = False, exact_colors: bool = False,
                  palette: Any = None, seed: Seed = None) -> ReduceResult:
    """Reduce an image to a palette of k colours by weighted k-means on its distinct colours.

    Parameters
    ----------
    image : (H, W), (H, W, 3) or (H, W, 4) ndarray, or PIL image
        uint8, uint16, bool or float in [0, 1]. Fully transparent pixels
        (alpha 0) get a palette entry of their own; partly transparent ones
        are treated as opaque.
    n_colors : int, optional
        Palette size, >= 2 (default 16). With ``quality`` it is the most
        colours allowed (default 256).
    quality : float, optional
        Choose the fewest colours whose mean CIEDE2000 against the original is
        at most this (measured without dithering).
    space : {"rgb", "lab"}
        Cluster and match colours in sRGB or in CIE Lab.
    dither : bool
        Map pixels with Floyd-Steinberg error diffusion (in RGB).
    exact_colors : bool
        Every palette entry is a colour of the image: each cluster's medoid.
    palette : (k, 3) array_like of uint8, optional
        Map onto this palette (kept in its order) instead of fitting one.
    seed : int, numpy.random.Generator or None
        Source of randomness; an int gives the same result every time.

    Returns
    -------
    ReduceResult

    Raises
    ------
    ValueError, TypeError
        For a bad parameter or image.
    QualityError
        If ``quality`` cannot be reached within ``n_colors`` colours.

    Warns
    -----
    ColorCountWarning
        When the image has fewer distinct colours than ``n_colors``; the
        palette is then those colours.

    Examples
    --------
    >>> image = np.zeros((4, 4, 3), dtype=np.uint8)
    >>> image[:2] = [200, 30, 30]; image[2:, :2] = [20, 20, 220]
    >>> result = reduce_colors(image, 3, seed=0)
    >>> result.palette.tolist(), result.indices[:, 0].tolist(), result.psnr
    ([[200, 30, 30], [0, 0, 0], [20, 20, 220]], [0, 0, 2, 2], inf)
    """
    rgb, alpha = as_rgba(image)
    opts = _check_options(n_colors, quality, space, dither, exact_colors, palette)
    rng = check_seed(seed)
    codes = pack_rgb(rgb)
    opaque = None if alpha is None else alpha > 0
    distinct, counts = code_histogram(codes if opaque is None else codes[opaque])
    hist = _Histogram(unpack_codes(distinct), counts, opts.space)
    pal, labels, fitted = _palette_for(hist, opts, rng)
    if fitted and pal.shape[0]:
        order = palette_order(pal, np.bincount(labels, weights=counts, minlength=len(pal)))
        pal, labels = pal[order], np.argsort(order)[labels]
    transparent = None if opaque is None or opaque.all() else pal.shape[0]
    indices = _pixel_indices(codes, rgb, distinct, labels, pal, opaque, transparent,
                             opts.dither)
    if opts.dither:  # shares of the entries the ditherer actually used
        drawn = indices.ravel() if opaque is None else indices[opaque]
        shares = np.bincount(drawn, minlength=len(pal))[: len(pal)] / max(drawn.size, 1)
    else:
        shares = np.bincount(labels, weights=counts, minlength=len(pal)) / max(counts.sum(), 1)
    pairs = None if opts.dither else _Pairs(hist.colors, labels, counts, hist)
    fidelity = _Fidelity(pairs, rgb if opts.dither else None, opaque)
    return ReduceResult(pal, indices, shares, transparent, opts.space, opts.dither, fidelity)


def _palette_for(hist: _Histogram, opts: _Options, rng: np.random.Generator
                 ) -> tuple[np.ndarray, np.ndarray, bool]:
    """The palette, each distinct colour's entry, and whether the palette was fitted."""
    m = hist.colors.shape[0]
    if opts.palette is not None:
        entries = _FEATURES[opts.space](opts.palette)
        labels = nearest(hist.features, entries) if m else np.zeros(0, np.intp)
        return opts.palette, labels, False
    if m == 0:  # every pixel is transparent
        return np.zeros((0, 3), np.uint8), np.zeros(0, np.intp), True
    if opts.quality is not None:
        k_max = _MAX_PALETTE if opts.n_colors is None else opts.n_colors
        pal, labels = _search_quality(hist, opts.quality, k_max, opts.space,
                                      opts.exact_colors, rng)
        return pal, labels, True
    k = DEFAULT_COLORS if opts.n_colors is None else opts.n_colors
    if m < k:
        _warn_few_colors(m, k, stacklevel=3)  # the caller of reduce_colors
    pal, labels = _fit(hist.colors, hist.counts, hist.features, k, opts.space,
                       opts.exact_colors, rng)
    return pal, labels, True


def _pixel_indices(codes: np.ndarray, rgb: np.ndarray, distinct: np.ndarray,
                   labels: np.ndarray, palette: np.ndarray, opaque: np.ndarray | None,
                   transparent: int | None, dither: bool) -> np.ndarray:
    """``(H, W)`` palette index of every pixel, through a table indexed by colour code."""
    n_entries = palette.shape[0] + (transparent is not None)
    dtype = np.uint8 if n_entries <= _MAX_PALETTE else np.uint16
    if dither and palette.shape[0]:
        indices = dither_indices(rgb, palette).astype(dtype, copy=False)
    else:
        table = np.zeros(1 << 24, dtype=dtype)
        table[distinct] = labels
        indices = table[codes]
    if transparent is not None:
        indices[~opaque] = transparent
    return indices


# --------------------------------------------------------------------------
# Public: file to file
# --------------------------------------------------------------------------


def _output_kind(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in PALETTE_EXTENSIONS:
        return "palette"
    if suffix in RGB_EXTENSIONS:
        return "rgb"
    valid = ", ".join(PALETTE_EXTENSIONS + RGB_EXTENSIONS)
    raise ValueError(f"output={str(path)!r} has an unsupported extension "
                     f"{suffix or '(none)'!r}; expected one of {valid}")


def _check_palette_size(k: int, kind: str, has_alpha: bool, what: str) -> None:
    """Refuse more colours than an indexed output holds (one slot goes to transparency)."""
    room = _MAX_PALETTE - has_alpha
    if kind == "palette" and k > room:
        extra = " (one entry is kept for the transparent pixels)" if has_alpha else ""
        raise ValueError(f"{what}={k} is more than a palette image holds: at most {room} "
                         f"colours{extra}; use fewer colours or a .jpg/.webp/.tif output")


def _load_palette_in(palette_in: Any) -> np.ndarray | None:
    if palette_in is None:
        return None
    if isinstance(palette_in, str | os.PathLike):
        return read_palette(palette_in)
    return _check_palette(palette_in, "palette_in")


def _save(result: ReduceResult, path: Path, kind: str) -> None:
    if kind == "palette":
        # zlib level 4 writes a palette PNG about twice as fast as Pillow's default
        # 6, for files about 3 % larger.
        params = {"compress_level": _PNG_COMPRESS_LEVEL} if path.suffix.lower() == ".png" else {}
        save_pil(result.to_image(), path, **params)
        return
    rgb = result.to_rgb()
    fmt_params = {".jpg": {"quality": 95}, ".jpeg": {"quality": 95},
                  ".webp": {"quality": 95}}.get(path.suffix.lower(), {})
    if result.transparent_index is not None and path.suffix.lower() not in (".jpg", ".jpeg"):
        alpha = np.where(result.indices == result.transparent_index, 0, 255).astype(np.uint8)
        save_pil(Image.fromarray(np.dstack([rgb, alpha])), path, **fmt_params)
    else:
        save_pil(Image.fromarray(rgb), path, **fmt_params)


def reduce_file(input: str | os.PathLike[str], output: str | os.PathLike[str] | None = None,
                *, n_colors: int | None = None, quality: float | None = None,
                space: Space = "rgb", dither: bool = False, exact_colors: bool = False,
                palette_in: Any = None, palette_out: str | os.PathLike[str] | None = None,
                seed: Seed = None, force: bool = False,
                max_pixels: int | None = DEFAULT_MAX_PIXELS) -> dict[str, Any]:
    """Reduce the colours of an image file and write the result; the job behind ``quantize reduce``.

    Parameters
    ----------
    input : path
        Image to read (any mode Pillow opens; EXIF orientation applied).
    output : path, optional
        Where to write; the extension picks the format: .png and .gif are
        indexed (at most 256 colours, transparency kept), .jpg/.jpeg/.webp/
        .tif/.tiff get the reduced image in RGB. Default ``<stem>.k<N>.png``
        beside the input.
    n_colors, quality, space, dither, exact_colors, seed
        As in :func:`reduce_colors` (``n_colors`` defaults to 16, or to at
        most 256 with ``quality``).
    palette_in : path or (k, 3) uint8 array, optional
        Map onto this palette (a .gpl/.json/.hex file) instead of fitting one.
    palette_out : path, optional
        Also write the palette (.gpl, .json or .hex by extension).
    force : bool
        Overwrite existing outputs. The input is never overwritten.
    max_pixels : int or None
        Refuse larger images (see :func:`quantize.io.load_image`).

    Returns
    -------
    dict
        ``{"input", "output", "k", "space", "psnr", "delta_e", "seconds",
        "bytes_in", "bytes_out"}``: paths as strings, ``k`` the colours used,
        ``psnr`` in dB (None when lossless), ``delta_e`` the mean CIEDE2000,
        ``seconds`` the wall time of the whole job.

    Raises
    ------
    ImageReadError
        The input (or palette file) is missing, unreadable or not an image.
    OutputExistsError
        An output exists and ``force`` is false.
    OutputError
        An output cannot be written or would replace the input.
    QualityError
        ``quality`` cannot be reached.
    ValueError, TypeError
        A bad parameter (e.g. more colours than a .png holds).
    """
    start = time.perf_counter()
    src = Path(input)
    job = _plan_file_job(src, output, n_colors, quality, palette_in, palette_out, force)
    _check_options(job.n_colors, quality, space, dither, exact_colors, job.palette)
    with ThreadPoolExecutor(max_workers=1) as pool:
        loaded = load_image(src, max_pixels=max_pixels)
        k = job.colors_for(loaded, quality)
        result = reduce_colors(loaded, k, quality=quality, space=space, dither=dither,
                               exact_colors=exact_colors, palette=job.palette, seed=seed)
        out = job.output or check_output_path(src.with_name(f"{src.stem}.k{result.k}.png"),
                                              inputs=(src,), force=force)
        # Measure while the output is encoded: both release the GIL for most of the work.
        metrics = pool.submit(lambda: (result.psnr, result.delta_e))
        _save(result, out, job.kind)
        if palette_out is not None:
            write_palette(palette_out, result.palette, result.shares, name=src.stem)
        value, error = metrics.result()
    return {
        "input": str(src), "output": str(out), "k": result.k, "space": result.space,
        "psnr": None if math.isinf(value) else round(value, 4),
        "delta_e": round(error, 4),
        "seconds": round(time.perf_counter() - start, 4),
        "bytes_in": src.stat().st_size, "bytes_out": out.stat().st_size,
    }


@dataclass(frozen=True)
class _FileJob:
    """A reduce_file call's checked outputs: path (None: named after the fitted k), format."""

    output: Path | None
    kind: str
    palette: np.ndarray | None
    n_colors: int | None

    def colors_for(self, loaded: Any, quality: float | None) -> int | None:
        """The ``n_colors`` to fit, once we know whether a transparent entry is needed."""
        has_alpha = loaded.alpha is not None and bool((loaded.alpha == 0).any())
        if quality is None:
            what = "palette_in size" if self.palette is not None else "n_colors"
            k = self.palette.shape[0] if self.palette is not None else self.n_colors
            _check_palette_size(k or DEFAULT_COLORS, self.kind, has_alpha, what)
            return self.n_colors
        if self.kind == "palette":  # with quality, n_colors is a bound: make room
            return min(self.n_colors or _MAX_PALETTE, _MAX_PALETTE - has_alpha)
        return self.n_colors


def _plan_file_job(src: Path, output: Any, n_colors: Any, quality: Any, palette_in: Any,
                   palette_out: Any, force: bool) -> _FileJob:
    """Check everything about the outputs that can be checked before reading the image."""
    out = None if output is None else Path(output)
    kind = _output_kind(out if out is not None else Path("default.png"))
    pal_in = _load_palette_in(palette_in)
    k = None if n_colors is None else check_int(n_colors, "n_colors", minimum=2)
    if k is not None and quality is None:
        _check_palette_size(k, kind, False, "n_colors")
    if pal_in is not None:
        _check_palette_size(pal_in.shape[0], kind, False, "palette_in size")
    if palette_out is not None:
        check_palette_path(palette_out, "palette_out")
        check_output_path(palette_out, inputs=(src,), force=force)
    if out is None and quality is None:
        n = pal_in.shape[0] if pal_in is not None else (k or DEFAULT_COLORS)
        out = src.with_name(f"{src.stem}.k{n}.png")
    if out is not None:
        check_output_path(out, inputs=(src,), force=force)
    return _FileJob(out, kind, pal_in, k)
