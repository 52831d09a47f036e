"""The array API: :func:`reduce_colors`, an image to a palette and palette indices.

Everything works on the weighted histogram of distinct colours; only the last
step touches pixels: each pixel's index is read from a table indexed by its
24-bit colour code, or, with ``dither``, found by error diffusion. Fully
transparent pixels are left out of the histogram and get one extra palette
entry of their own, after the ``k`` colours.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._kernels import nearest, pack_rgb, unpack_rgb
from .._validation import Seed, check_seed
from ..colors import code_histogram
from ..io import as_rgba
from ..reconstruct.palette import dither_indices, palette_order
from .fit import DEFAULT_COLORS, FEATURES, Histogram, Space, entry_weights, fit, warn_few_colors
from .options import Options, check_options
from .quality import search_quality
from .result import MAX_PALETTE, Fidelity, Pairs, ReduceResult

__all__ = ["reduce_colors"]


def reduce_colors(image: Any, n_colors: int | None = None, *, quality: float | None = None,
                  space: Space = "rgb", dither: float | bool = 0.0, exact_colors: bool = False,
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
    dither : float or bool
        Error diffusion strength, 0 (none) to 1 (full); True means 1.
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
    opts = check_options(n_colors, quality, space, dither, exact_colors, palette)
    rng = check_seed(seed)
    codes = pack_rgb(rgb)
    opaque = None if alpha is None else alpha > 0
    distinct, counts = code_histogram(codes if opaque is None else codes[opaque])
    hist = Histogram(unpack_rgb(distinct), counts, opts.space)
    pal, labels, fitted = _palette_for(hist, opts, rng)
    if fitted and pal.shape[0]:
        order = palette_order(pal, entry_weights(labels, counts, len(pal)))
        pal, labels = pal[order], np.argsort(order)[labels]
    transparent = None if opaque is None or opaque.all() else pal.shape[0]
    indices = _pixel_indices(codes, rgb, distinct, labels, pal, opaque, transparent,
                             opts.dither)
    dithered = opts.dither > 0 and pal.shape[0] > 0
    if dithered:  # shares of the entries the ditherer actually used
        drawn = indices.ravel() if opaque is None else indices[opaque]
        shares = np.bincount(drawn, minlength=len(pal))[: len(pal)] / max(drawn.size, 1)
        measured = codes.ravel() if opaque is None else codes[opaque]
        fidelity = Fidelity(None, hist.colors, np.searchsorted(distinct, measured), opaque)
    else:
        shares = entry_weights(labels, counts, len(pal)) / max(counts.sum(), 1)
        fidelity = Fidelity(Pairs(hist.colors, labels, counts, hist))
    return ReduceResult(pal, indices, shares, transparent, opts.space, dithered, fidelity)


def _palette_for(hist: Histogram, opts: Options, rng: np.random.Generator
                 ) -> tuple[np.ndarray, np.ndarray, bool]:
    """The palette, each distinct colour's entry, and whether the palette was fitted."""
    m = hist.colors.shape[0]
    if opts.palette is not None:
        entries = FEATURES[opts.space](opts.palette)
        labels = nearest(hist.features, entries) if m else np.zeros(0, np.intp)
        return opts.palette, labels, False
    if m == 0:  # every pixel is transparent
        return np.zeros((0, 3), np.uint8), np.zeros(0, np.intp), True
    if opts.quality is not None:
        k_max = MAX_PALETTE if opts.n_colors is None else opts.n_colors
        pal, labels = search_quality(hist, opts.quality, k_max, opts.exact_colors, rng)
        return pal, labels, True
    k = DEFAULT_COLORS if opts.n_colors is None else opts.n_colors
    if m < k:
        warn_few_colors(m, k, stacklevel=3)  # the caller of reduce_colors
    pal, labels = fit(hist.colors, hist.counts, hist.features, k, opts.space,
                      opts.exact_colors, rng)
    return pal, labels, True


def _pixel_indices(codes: np.ndarray, rgb: np.ndarray, distinct: np.ndarray,
                   labels: np.ndarray, palette: np.ndarray, opaque: np.ndarray | None,
                   transparent: int | None, dither: float) -> np.ndarray:
    """``(H, W)`` palette index of every pixel, through a table indexed by colour code."""
    n_entries = palette.shape[0] + (transparent is not None)
    dtype = np.uint8 if n_entries <= MAX_PALETTE else np.uint16
    if dither > 0 and palette.shape[0]:
        indices = dither_indices(rgb, palette).astype(dtype, copy=False)
    else:
        table = np.zeros(1 << 24, dtype=dtype)
        table[distinct] = labels
        indices = table[codes]
    if transparent is not None:
        indices[~opaque] = transparent
    return indices
