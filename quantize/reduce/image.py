"""The array API: :func:`reduce_colors`, an image to a palette and palette indices.

Everything works on the weighted histogram of distinct colours; only the last
step touches pixels. An opaque image is counted by 24-bit colour code, in a sort
that also gives each pixel's row in the histogram, through which its index is read;
from 0.5 MP undithered (2 MP dithered, whose metrics need the rows) the codes are
sorted alone and each pixel's index read from a table indexed by its code. An image
with alpha is counted by straight RGBA colour and clustered premultiplied, in RGB
balanced between black and white (see :func:`quantize.reduce.fit.features_of`), so
semi-transparent pixels get entries with their own alpha; fully transparent pixels
are left out and share one extra entry, after the ``k`` colours. With ``dither``, indices come from
damped error diffusion in the space the palette was fitted in; with
``dither="ordered"`` or ``"pattern"``, from an 8 x 8 Bayer matrix's thresholds in that space.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Literal, NamedTuple, cast

import numpy as np

from .._kernels import (
    code_rows,
    code_table,
    keys_histogram,
    nearest,
    pack_rgb,
    row_bands,
    rows_by_sorting,
    sorted_code_histogram,
    unpack_rgb,
)
from .._validation import Seed, check_palette, check_seed, foreign_keywords
from ..colors import code_histogram, nearest_ciede2000, shown_features, srgb_to_lab
from ..errors import QualityReached
from ..io import DEFAULT_MAX_PIXELS, FourthChannel, as_rgba
from ..io.stretch import StretchCurve
from ..reconstruct.grid import Grid, grid_nearest, grid_of, grid_ordered
from ..reconstruct.ordered import ordered_indices
from ..reconstruct.palette import ShownEntries, dither_indices, palette_order
from .fit import (
    DEFAULT_COLORS,
    Histogram,
    Space,
    entry_weights,
    features_of,
    fit,
    fitted_order,
    spread_for_dither,
    tie_order,
    warn_few_colors,
    with_channels,
)
from .options import (
    PATTERN,
    POSITIONAL,
    Options,
    check_budget_alone,
    check_options,
    check_palette_draws,
    spread_strength,
    warn_palette_without_alpha,
    warn_repeated_entries,
)
from .quality import INNER_LEVELS, search_quality, warn_limit_kept, warn_quality_scale
from .result import MAX_PALETTE, Fidelity, Pairs, ReduceResult
from .subset import choose_entries

#: How a warning of an image of more than 8 bits that comes out dark ends, from
#: :func:`reduce_colors` and :func:`~quantize.reduce.reduce_file`: their output looks
#: as the input is read, so it is not stretched.
DARK_OUTPUT = "the output is 8-bit and as dark"

__all__ = ["histogram_entries", "palette_subset", "reduce_checked", "reduce_colors",
           "reduce_within_limit"]

@foreign_keywords
def reduce_colors(image: Any, n_colors: int | None = None, *, quality: float | None = None,
                  quality_limit: float | None = None, space: Space = "rgb",
                  dither: float | bool | Literal["ordered", "pattern"] = 0.0,
                  exact_colors: bool = False, palette: Any = None, seed: Seed = None,
                  max_pixels: int | None = DEFAULT_MAX_PIXELS,
                  fixed_colors: Any = None, max_bytes: int | str | None = None,
                  stretch: bool = False, stretch_clip: float = 0.0,
                  stretch_curve: StretchCurve = "linear", stretch_softening: float | None = None,
                  stretch_range: tuple[float, float] | None = None,
                  fourth_channel: FourthChannel | None = None) -> ReduceResult:
    """Reduce an image to a palette of k colours by weighted k-means on its distinct colours.

    Parameters
    ----------
    image : (H, W), (H, W, 1), (H, W, 2), (H, W, 3) or (H, W, 4) ndarray, or PIL image
        uint8, uint16, bool or float in [0, 1] (other integer dtypes are
        refused; pass ``image.astype(np.uint8)`` for values 0..255). With alpha, colours are
        clustered premultiplied together with their alpha, so partly
        transparent pixels get entries with their own alpha (an entry at least half
        of whose pixels are opaque is opaque); fully transparent
        pixels (alpha 0) share one extra entry. The
        :class:`~quantize.io.LoadedImage` that :func:`quantize.io.load_image`
        returns for a file is taken too, with its alpha. A PIL image is turned upright
        by its EXIF orientation, as ``load_image`` turns its file
        (:func:`quantize.io.as_rgba`). An object with NumPy's array protocol (an
        xarray DataArray, a CPU tensor) is read as ``np.asarray`` makes it; nested lists
        are refused (pass ``np.asarray(image, dtype=np.uint8)`` for levels 0..255,
        ``dtype=np.float32`` for values 0..1). A 2-D array is a grey
        image, even of 3 columns: pass a list of N RGB pixels as ``(N, 1, 3)``.
    n_colors : int, optional
        Palette size, >= 1 (default 16), not counting the fully transparent
        entry: 1 gives one colour, the image's mean (a one-entry palette, which PNG
        and GIF hold; pngquant refuses fewer than 2). With ``quality`` it is the most
        colours allowed (default 256). At most 65,536
        (:data:`~quantize.reduce.fit.MAX_COLORS`): up to 1,024 the time grows about as
        the square of the palette (on a 300 x 451 photo of 31,000 colours, 1,000
        colours took 1 s), beyond far more slowly: 4,096
        took 3-5 s on web photos and 12 s on a 12 MP photo, 60,000 took 26 s on
        an image of 65,536 random colours (CPU, 2 cores); no more than the image
        has are fitted: an
        image of at most ``n_colors`` colours keeps them all, each its own entry,
        without that cost. Beside ``palette``, how many of its entries to map onto, at
        most as many as it has: those whose mapping has the least error found
        (:func:`palette_subset`), or fewer when the image takes fewer of them.
    quality : float, optional
        Choose the fewest colours whose mean CIEDE2000 against the original is
        at most this, with its 99th percentile at most 5 times this and its
        99.9th at most 10 times (so that a small area of its own colour is not
        lost in the mean of a large flat one), measured without dithering, a
        number >= 0: about 1 is a just noticeable difference, 2-3 close, 5
        visibly posterised. A translucent pixel, or one drawn with a translucent
        entry, counts the worse of its difference shown on black and on white
        (the result's ``delta_e``, measured on black as its ``psnr`` is, is then at
        most the mean so bounded).
    quality_limit : float, optional
        With ``quality``, a number > 0 and at least ``quality``: when ``quality``
        cannot be reached within ``n_colors`` colours, the result with all of them
        (the one ``n_colors`` alone gives) is returned if it meets this bound by the
        same rule (mean at most this, 99th percentile at most 5 times, 99.9th at most
        10 times), with a :class:`~quantize.errors.QualityLimitWarning`; if it does
        not, ``QualityError`` as without it.
    space : {"rgb", "lab"}
        Cluster, match and diffuse errors in sRGB or in CIE Lab (but the error is
        diffused onto a given ``palette`` in sRGB, see ``palette``). Onto a given
        ``palette``, undithered, "lab" matches each opaque colour with the opaque entry
        nearest by CIEDE2000 (:func:`~quantize.colors.nearest_ciede2000`), not in Lab
        distance.
    dither : float, bool, "ordered" or "pattern"
        Error diffusion strength, 0 (none, the default) to 1; True means 1.
        ``"ordered"``: ordered (8 x 8 Bayer) dithering instead, each pixel mixed
        between its nearest entry and the next nearest by a threshold fixed to
        its position (:func:`~quantize.reconstruct.ordered.ordered_indices`):
        a regular pattern that keeps pixel art's blocks in palette colours
        intact and an animation's still areas steady. ``"pattern"``: the same
        matrix, each opaque pixel's colour mixed from two of its three nearest
        entries (onto a fitted palette or a given one): a pattern of two near
        colours, never a far one, as pixel art wants, where ``"ordered"`` onto a
        given palette mixes as many entries as the colour needs. Before either,
        a fitted palette moves outwards as for ``dither=1`` up to 8 colours and
        as for ``dither=0.5`` beyond (below), so that tones near the image's
        darkest and lightest are drawn. Onto a given grid palette (RGB332, RGB565:
        every mix of a few levels a channel, :mod:`~quantize.reconstruct.grid`) of an
        opaque image, both mix each channel between its two nearest levels by the
        matrix, as ImageMagick's ``-ordered-dither o8x8,R,G,B`` does.
        Diffusion is strongest where the undithered mapping would show flat
        bands, weaker in texture, and skips pixels whose colour is in the
        palette already. A fitted palette's entries first move outwards from
        the image's mean colour, by up to a quarter of their cluster's radius
        times the strength, so that diffusion can reach the outermost colours:
        the palette then differs a little from the undithered one (not with
        ``exact_colors`` or a given ``palette``). Dithering takes at most 256
        colours (``n_colors`` or a given ``palette``), but for ordered and pattern
        dithering onto a grid palette; more are refused with a ``ValueError``.
    exact_colors : bool
        Every palette entry is a colour of the image: each cluster's medoid.
    palette : (k, 3) or (k, 4) array_like of uint8, or PIL image, optional
        Map onto this palette (kept in its order) instead of fitting one. Floats are
        read as an image's are, 0..1 (0..255 floats are refused, with how to pass
        them). Pillow's
        forms are taken too: a flat sequence of 3k integers, as ``im.getpalette()``
        gives it (k RGB triples), and a mode "P" PIL image, whose palette is taken, every
        entry it holds whether its pixels draw it or not (``len(im.getpalette()) // 3``:
        the k of ``im.quantize(k)``, 256 for ``im.convert("P")``), with alpha from its
        ``transparency`` or "RGBA" palette, and its ``im.palette`` (an ``ImagePalette``),
        whose entries are taken as they are, without the image's ``transparency``. A
        colour it repeats (alpha included) is kept once, at its first index, so
        the entries after a repeat take lower indices in the result than in
        ``palette``, and a :class:`~quantize.errors.PaletteInWarning` says so;
        repeats after its last other colour (the black padding an Adobe colour
        table) move no index and are left out without a word. Each colour takes
        its nearest entry (in RGB, or by CIEDE2000 with ``space="lab"``). A
        colour as near to two entries takes the one the fit would give it (the
        entry whose colour sorts first), and the error is diffused over the
        entries in the order the fit diffuses it (by their undithered shares),
        so a fitted palette given back gives the fit's indices undithered (but for
        faint pixels, below; in Lab, where the fit matched by Lab distance, only
        through ``reduce_file(palette_fitted=True)``). Dithered, a given palette keeps
        the image's tone: the whole error is diffused, times the strength, into every
        pixel but those whose colour is an entry's (classic Floyd-Steinberg, in RGB
        whatever ``space``), and ordered dithering mixes each opaque pixel's colour from
        as many opaque entries as it needs, translucent pixels between two entries (see
        :func:`~quantize.reconstruct.ordered.ordered_indices`). A
        fourth column is alpha, used for an image with alpha (colours compared
        premultiplied, but an opaque pixel takes no translucent entry when an opaque
        one looks as near over black and over white, dithered or not); an opaque image
        is mapped onto the colours alone and stays opaque. Entries with alpha
        0 are dropped, and the result's indices number the entries kept: fully
        transparent pixels take the result's own transparent entry (an Adobe
        colour table's transparent index reads as alpha 0, which
        :func:`~quantize.palette_files.read_palette` warns of: Aseprite sets
        index 0 in every .act file), and so does a faint pixel nearer to it
        (premultiplied) than to every entry, even in an image with no fully
        transparent pixel (the entry is then added), so that how a pixel is drawn
        does not depend on the others; the fit, which adds that entry only for
        fully transparent pixels, may have drawn it with a translucent entry.
        Without a translucent entry, translucent pixels
        are matched premultiplied, alpha included, and drawn with an opaque entry
        (or the transparent one), so their alpha is not kept, and an
        :class:`~quantize.reduce.AlphaLossWarning` says so: give the palette a
        fourth column to keep it.
    seed : int, numpy.random.Generator or None
        Source of randomness; an int (>= 0) gives the same result every time.
        Default None, as scikit-learn's ``random_state``: fresh randomness, so two
        calls may give different palettes; ``quantize reduce``'s ``--seed``
        defaults to 0, which ``seed=0`` gives here.
    max_pixels : int or None
        Refuse an image of more pixels than this (default
        :data:`~quantize.io.DEFAULT_MAX_PIXELS`, the limit
        :func:`~quantize.io.load_image` puts on files), checked from its shape before any
        copy; None means no limit.
    fixed_colors : sequence of colours, optional
        Colours the fitted palette keeps as its first entries, in the order given,
        exactly, whether a pixel takes them or not (a colour key, black and white, a
        brand's colours): each a colour name, ``#rrggbb`` or ``(r, g, b)``, opaque (a
        colour with alpha is refused), no two alike. They count in ``n_colors`` (at
        most that many) and in the colours ``quality`` chooses; the k-means keeps them
        where they are and fits the others around them, so pixels nearest a fixed colour
        take it. The other entries follow in the order they have without (by share);
        the entry of fully transparent pixels comes after the fixed ones. Not with
        ``palette``.
    max_bytes : int or str, optional
        The most colours, at most ``n_colors`` (default 256, as with ``quality``; one
        fewer beside the entry of fully transparent pixels, as a PNG holds 256 entries in
        all), whose PNG (:meth:`ReduceResult.save`'s, the bytes ``quantize reduce``
        writes) fits in this many bytes: an int, or a number with a unit, in any case
        (``"800k"`` or ``"800kB"``: 1000 bytes a k; ``"1MB"``; ``"1MiB"``: 1,048,576), as
        ``quantize reduce --max-bytes`` reads it (:func:`~quantize.reduce.budget.check_max_bytes`).
        Searched as the command searches (:func:`~quantize.reduce.budget.most_fitting`:
        each k reduced from ``seed`` as ``n_colors=k`` reduces it), so with the same
        ``seed`` (``seed=0``, the command's default) the result saved is the command's
        file, byte for byte. Not with ``quality`` or ``palette``; at most 256 colours.
    fourth_channel : {"alpha", "band"}, optional
        What the fourth channel of an (H, W, 4) array is: "alpha", or "band" (a scene's
        near-infrared, say), left out of the colours, every pixel opaque. Not given, it is
        the alpha of a uint8 or bool array, and of one of another dtype that hides no
        pixel; of a uint16 or float array that would hide some, a band, with a
        :class:`~quantize.io.FourthChannelWarning` (:func:`quantize.io.as_rgba`).
    stretch, stretch_clip, stretch_curve, stretch_softening, stretch_range
        Read ``image`` stretched before the fit, as :func:`quantize.io.as_rgba` takes
        them (:func:`quantize.io.load_image`'s stretch): a uint16, other integer or float
        array (or a 16-bit, 32-bit or float PIL image) from its own range, its
        percentiles or a fixed ``(low, high)`` in its own values, values beyond clipped.
        Without them a uint16 array of 901..3116 is read as counts of 65535, levels 4..12.
        The range itself is :func:`quantize.io.as_rgba_ranged`'s to give; the result's
        ``psnr`` and ``delta_e`` are of the stretched 8-bit image.

    Returns
    -------
    ReduceResult

    Raises
    ------
    ValueError, TypeError
        For a bad parameter or image.
    quantize.errors.QualityError
        If ``quality`` cannot be reached within ``n_colors`` colours (256 when not
        given: the message then says to allow more with ``n_colors``), nor
        ``quality_limit`` when given (the message names both); a
        ValueError, so ``except ValueError`` catches it too.
    quantize.errors.ImageReadError
        If ``image`` has more than ``max_pixels`` pixels (a ValueError).
    quantize.errors.SizeBudgetError
        If even 2 colours do not fit in ``max_bytes`` (a ValueError), naming the smallest
        size reached, as ``quantize reduce --max-bytes`` says it (exit 99).

    Warns
    -----
    ColorCountWarning
        When the image has fewer distinct colours than ``n_colors``; the
        palette is then those colours.
    quantize.errors.PaletteInWarning
        When a given ``palette`` repeats a colour before another one, whose
        index in the result is then lower.
    AlphaLossWarning
        When some pixels are translucent and a given ``palette`` has no
        translucent entry: they are drawn opaque or fully transparent.
    quantize.reduce.quality.QualityScaleWarning
        When ``quality`` is above 20, which nearly any image meets with the
        fewest colours: a 0-100 score (pngquant's, or Pillow's JPEG quality)
        is not what it measures.
    quantize.errors.QualityLimitWarning
        When ``quality`` was out of reach and the result of all the colours
        allowed, which meets ``quality_limit``, is returned: it says the mean
        CIEDE2000 reached and the k.
    quantize.io.PixelListWarning
        When ``image`` is a 2-D array of 3 or 4 columns and more rows than columns,
        read as the grey image it is, which looks like a list of pixels
        (``pixels.reshape(-1, 1, 3)`` passes them).
    quantize.io.PixelRangeWarning
        When ``image`` is a uint16 array whose values are all at most 255 (read as
        16-bit counts, it comes out near black), or whose alpha alone is beside
        colour above 255 (it looks 8-bit and comes out nearly transparent), or such a
        PIL image made in memory (``Image.fromarray``: mode "I;16"), or a PIL image of
        32-bit integer or float grayscale (mode "I" or "F") with pixels read as black
        (NaN, infinite or negative) or likely meant in another range (see
        :func:`quantize.io.load_image`).
    quantize.animation.FirstFrameWarning
        When ``image`` is a PIL image of an animation: only the frame it is
        at is reduced (:func:`quantize.animation.reduce_animation_file`
        reduces every frame of a file).

    Examples
    --------
    >>> import numpy as np
    >>> from quantize import reduce_colors
    >>> image = np.zeros((4, 4, 3), dtype=np.uint8)
    >>> image[:2] = [200, 30, 30]; image[2:, :2] = [20, 20, 220]
    >>> result = reduce_colors(image, 3, seed=0)
    >>> result.palette.tolist(), result.indices[:, 0].tolist(), result.psnr
    ([[200, 30, 30], [0, 0, 0], [20, 20, 220]], [0, 0, 2, 2], inf)

    The most colours whose PNG fits in a byte budget:

    >>> import io
    >>> gradient = np.repeat(np.arange(0, 256, 4, dtype=np.uint8), 3).reshape(1, 64, 3)
    >>> small = reduce_colors(gradient, max_bytes=120, seed=0)
    >>> small.save(buffer := io.BytesIO()); small.k, len(buffer.getvalue())
    (6, 115)
    """
    rgb, alpha = as_rgba(image, every_frame="quantize.animation.reduce_animation_file "
                         "reduces every frame of a file", max_pixels=max_pixels,
                         dark_advice=DARK_OUTPUT, stretch=stretch, stretch_clip=stretch_clip,
                         stretch_curve=stretch_curve, stretch_softening=stretch_softening,
                         stretch_range=stretch_range,
                         fourth_channel=fourth_channel)
    budget = check_budget_alone(max_bytes, quality, palette, "palette")
    if budget is not None and n_colors is None:
        n_colors = MAX_PALETTE  # the search's most, as with quality
    opts = check_options(n_colors, quality, space, dither, exact_colors, palette, quality_limit,
                         fixed_colors=fixed_colors)
    if budget is not None:
        return _within_budget(rgb, alpha, opts, seed, budget)
    rng = check_seed(seed)
    warn_quality_scale(opts.quality)
    if opts.palette is not None:
        # opts keeps each colour once
        warn_repeated_entries(check_palette(palette, pillow_forms=True), "palette")
        check_palette_draws(opts.palette, alpha)
        warn_palette_without_alpha(opts.palette, alpha)
        if opts.n_colors is not None:
            pinned = None if opts.fixed_colors is None else \
                pinned_rows(opts.palette, opts.fixed_colors, "fixed_colors", "palette")
            chosen = palette_subset(rgb, alpha, opts.palette, opts.n_colors, opts.space, pinned)
            opts = replace(opts, palette=opts.palette[chosen], n_colors=None, fixed_colors=None)
    return reduce_within_limit(rgb, alpha, opts, rng)[0]


def _within_budget(rgb: np.ndarray, alpha: np.ndarray | None, opts: Options, seed: Seed,
                   max_bytes: int) -> ReduceResult:
    """The result of the most colours, at most ``opts.n_colors``, whose PNG
    (:meth:`ReduceResult.save`) fits in ``max_bytes``: the search of ``quantize reduce
    --max-bytes`` (:func:`~quantize.reduce.budget.most_fitting`), each k reduced from
    ``seed`` afresh, as ``n_colors=k`` reduces it. An image with fully transparent pixels
    gets at most 255 and their entry, which a PNG holds beside them.

    Raises
    ------
    ValueError
        For ``n_colors`` above 256, more than the PNG holds.
    SizeBudgetError
        As :func:`~quantize.reduce.budget.most_fitting`.
    """
    import io

    from .budget import most_fitting

    k_max = cast(int, opts.n_colors)  # set by reduce_colors beside a budget
    if k_max > MAX_PALETTE:
        raise ValueError(f"n_colors={k_max} with max_bytes: a budget is of the indexed PNG, "
                         f"which holds at most {MAX_PALETTE} colours; expected n_colors <= "
                         f"{MAX_PALETTE}")
    clear = alpha is not None and bool((alpha == 0).any())

    def make(k: int) -> ReduceResult:
        return reduce_within_limit(rgb, alpha, replace(opts, n_colors=k), check_seed(seed))[0]

    def size(result: ReduceResult) -> int:
        buffer = io.BytesIO()
        result.save(buffer)
        return len(buffer.getvalue())

    fixed = opts.fixed_colors  # counted in every k tried
    return most_fitting(make, size, max_bytes, min(k_max, MAX_PALETTE - clear),
                        0 if fixed is None else fixed.shape[0])[0]


def palette_subset(rgb: np.ndarray, alpha: np.ndarray | None, palette: np.ndarray,
                   n_colors: int, space: str, pinned: np.ndarray | None = None) -> np.ndarray:
    """The rows of a given ``palette`` whose mapping of the image has the least error
    found, ``n_colors`` of them, or fewer when the image takes fewer (ascending; see
    :mod:`~quantize.reduce.subset`).

    Each distinct visible colour counts by its pixels, compared with the entries in the
    fitting ``space`` as :func:`reduce_colors` maps onto a given palette (ties to the
    entry whose colour sorts first: :func:`~quantize.reduce.fit.tie_order`). Prior
    validation is assumed: ``rgb`` ``(H, W, 3)`` uint8, ``alpha`` ``(H, W)`` uint8 or None,
    ``palette`` ``(n, 3)`` or ``(n, 4)`` uint8 of distinct visible entries
    (:func:`~quantize.reduce.options.visible_entries`), ``1 <= n_colors``; ``pinned``, at
    most ``n_colors`` distinct rows of ``palette`` always among those chosen
    (``fixed_colors`` beside a palette: :func:`pinned_rows`).

    >>> image = np.zeros((2, 4, 3), np.uint8); image[:, 2:] = 200
    >>> palette = np.array([[250, 250, 250], [10, 10, 10], [190, 190, 190], [90, 90, 90]],
    ...                    np.uint8)
    >>> palette_subset(image, None, palette, 2, "rgb").tolist()
    [1, 2]
    """
    if alpha is None and palette.shape[1] == 4:
        palette = palette[:, :3]  # an opaque image is mapped onto its colours alone
    pixels = _count_rgba(rgb, alpha) if alpha is not None else _count_rgb(rgb)
    hist = Histogram(pixels.colors, pixels.counts, space)
    if hist.colors.shape[1] == 4 and palette.shape[1] == 3:
        palette = np.hstack([palette, np.full((palette.shape[0], 1), 255, np.uint8)])
    order = tie_order(palette)
    grid = grid_of(palette) if space == "rgb" and alpha is None else None
    start = None
    if grid is not None and palette.shape[0] > _GRID_SEARCHED_UPTO and hist.colors.shape[0]:
        start = _snapped_fit(hist, grid, n_colors, np.argsort(order))
    pins = None if pinned is None else np.argsort(order)[pinned]
    chosen = choose_entries(hist.features, hist.counts, features_of(palette[order], space),
                            n_colors, start, pins)
    return np.sort(order[chosen])


def pinned_rows(palette: np.ndarray, fixed: np.ndarray, name: str, palette_name: str
                ) -> np.ndarray:
    """The rows of ``palette`` (distinct visible entries) of the opaque colours ``fixed``
    ``(f, 3)`` (``fixed_colors`` beside a palette and ``n_colors``: entries always among
    those chosen), in their order; a ValueError naming ``name`` and ``palette_name`` for a
    colour the palette has not as an opaque entry.

    >>> pinned_rows(np.array([[0, 0, 0], [9, 9, 9]], np.uint8), np.array([[9, 9, 9]]),
    ...             "fixed_colors", "palette").tolist()
    [1]
    """
    opaque = palette[:, :3] if palette.shape[1] == 3 else \
        np.where(palette[:, 3:] == 255, palette[:, :3].astype(np.int64), -1)
    rows = []
    for color in np.asarray(fixed, np.int64):
        at = np.flatnonzero((opaque == color).all(axis=1))
        if at.size == 0:
            raise ValueError(f"{name}={'#' + bytes(int(v) for v in color).hex()} is not an "
                             f"entry of {palette_name}; expected colours of the palette, "
                             "pinned among the n_colors=K chosen (add it to the palette to "
                             "keep it)")
        rows.append(int(at[0]))
    return np.array(rows, np.intp)


#: A grid palette (:mod:`~quantize.reconstruct.grid`) of more entries than this is chosen
#: from by a fit of ``n_colors`` snapped to the grid, then the swaps of
#: :func:`~quantize.reduce.subset.choose_entries`, not by dropping from every entry the
#: image takes (thousands of RGB565's). On six photos at 320 x 240 (skimage astronaut,
#: chelsea; sklearn china; BSDS500 train 100075, 100080, 100098) at k = 16, PSNR of the
#: search / the snapped fit: RGB565 27.34-32.86 / 27.45-32.86 dB, each photo +0.00 to
#: +0.20 dB, 4.4-11.0 s / 0.17-0.30 s of CPU; RGB444 (4,096) 2 photos higher, 3 lower (to
#: -0.52 dB), 1 even; RGB332 all 6 lower (-0.12 to -0.36 dB). So from 4,097 entries.
_GRID_SEARCHED_UPTO = 4096


def _snapped_fit(hist: Histogram, grid: Grid, n_colors: int, rank: np.ndarray) -> np.ndarray:
    """Rows ``(k',)`` of a grid palette in tie order (``rank``: each entry's row there) of
    an RGB fit of ``n_colors`` to the opaque colours of ``hist``, each entry snapped to
    the grid (:func:`~quantize.reconstruct.grid.grid_nearest`); fitted from seed 0, so
    that :func:`palette_subset` stays deterministic."""
    pal, _ = fit(hist.colors, hist.counts, hist.features, n_colors, "rgb", False,
                 np.random.default_rng(0), seed_on_cells=True)
    return np.unique(rank[grid_nearest(pal[:, :3], grid)])


def reduce_within_limit(rgb: np.ndarray, alpha: np.ndarray | None, opts: Options,
                        rng: np.random.Generator, *, clear_entry: bool = True
                        ) -> tuple[ReduceResult, bool, str | None]:
    """:func:`reduce_checked`, whether ``opts.quality`` was met (True without it), and
    what set the k the quality search chose when it was
    (:data:`~quantize.reduce.quality.QUALITY_BOUNDS`; None without ``opts.quality``, or
    when it was not met).

    With ``opts.quality_limit``, a ``quality`` out of reach of the colours allowed whose
    result meets the limit gives that result, the fit the search made of them (as
    ``n_colors`` alone fits it, from the same seed, so the output is the one ``n_colors``
    alone writes), with a :class:`~quantize.errors.QualityLimitWarning`. Prior validation
    is assumed.
    """
    result, reached, bound = _reduced(rgb, alpha, opts, rng, clear_entry)
    if reached is not None:
        warn_limit_kept(cast(float, opts.quality), cast(float, opts.quality_limit),
                        reached, undithered=bool(opts.dither))  # both checked beside it
    return result, reached is None, bound


def reduce_checked(rgb: np.ndarray, alpha: np.ndarray | None, opts: Options,
                   rng: np.random.Generator, *, clear_entry: bool = True,
                   fixed: np.ndarray | None = None) -> ReduceResult:
    """:func:`reduce_colors` of an ``(H, W, 3)`` uint8 image and its ``(H, W)`` alpha (or
    None), its options checked by :func:`~quantize.reduce.options.check_options`.

    Prior validation is assumed, a given palette's included (it has a visible entry
    when the image has visible pixels); the caller warns of translucent pixels that it
    draws opaque, naming the palette as its user gave it. Mapped onto a given palette,
    a faint pixel may take the transparent entry even where no pixel is fully
    transparent (the entry is then added), so that how it is drawn does not depend on
    the other pixels; not with ``clear_entry`` false (a frame of an animation whose
    colour table has no such entry). ``fixed``: ``(H, W)`` entries of ``opts.palette``
    that pixels keep, -1 where free, for error diffusion onto that palette (an
    animation's pixels kept from the previous frame pass on their error; see ``fixed``
    in :func:`~quantize.reconstruct.palette.diffuse_errors`); unused otherwise.
    """
    return _reduced(rgb, alpha, opts, rng, clear_entry, fixed)[0]


def _reduced(rgb: np.ndarray, alpha: np.ndarray | None, opts: Options,
             rng: np.random.Generator, clear_entry: bool, fixed: np.ndarray | None = None
             ) -> tuple[ReduceResult, QualityReached | None, str | None]:
    """:func:`reduce_checked`, what the colours allowed reach when ``opts.quality`` is
    out of their reach and their result, kept, meets ``opts.quality_limit`` (else None),
    and what set the k of an ``opts.quality`` met (else None)."""
    if alpha is None and opts.palette is not None and opts.palette.shape[1] == 4:
        opts = replace(opts, palette=opts.palette[:, :3])  # an opaque image stays opaque
    with_alpha = alpha is not None
    pixels = _count_rgba(rgb, alpha) if with_alpha else _count_rgb(rgb, bool(opts.dither))
    searched = opts.quality is not None and opts.palette is None
    hist = Histogram(pixels.colors, pixels.counts, opts.space,
                     _inner_counts(rgb, alpha, pixels) if searched else None)
    hidden = pixels.hidden > 0
    offered = hidden or (with_alpha and clear_entry and opts.palette is not None)
    pal, entries, labels, fitted, reached, bound = histogram_entries(hist, offered, opts, rng)
    hist = hist.without_features()  # not held through dithering, encoding and metrics
    k = pal.shape[0]
    if len(entries) > k and not hidden and not (labels == k).any():
        entries = entries[:k]  # offered to the faint pixels, and taken by none
    transparent = k if len(entries) > k else None
    if opts.dither and k > 0:
        if fitted:
            flat = _dithered(rgb, alpha, pixels, entries, opts,
                             pixels.indices(labels, len(entries)))
        else:  # diffused over in the order the fit would have, as for the undithered ties
            first = palette_order(pal, entry_weights(labels, hist.counts, len(entries))[:k])
            first = np.append(first, np.arange(k, len(entries)))
            rank = np.argsort(first)
            flat = _dithered(rgb, alpha, pixels, entries[first], opts,
                             pixels.indices(rank[labels], len(entries)),
                             given=not opts.fitted_palette, fixed=_renumbered(fixed, rank))
            flat = first.astype(flat.dtype)[flat]
        drawn = flat.ravel() if pixels.visible is None else flat[pixels.visible]
        counts = np.bincount(drawn, minlength=k + 1)[:k]
        if fitted:  # diffusion moved pixels between entries: order by what they draw now
            order = fitted_order(pal, counts, opts.fixed_colors)
            rank = np.arange(len(entries), dtype=flat.dtype)
            rank[order] = np.arange(k, dtype=flat.dtype)
            flat, pal, counts = rank[flat], pal[order], counts[order]
        shares = counts / max(drawn.size, 1)
        return _result(pal, flat, shares, transparent, opts, fidelity=Fidelity(
            None, hist.colors, pixels.row_of(), pixels.hidden, pixels.visible)), reached, bound
    counts = entry_weights(labels, hist.counts, len(entries))[:k]
    return _result(pal, pixels.indices(labels, len(entries)),
                   counts / max(hist.counts.sum(), 1), transparent, opts,
                   fidelity=Fidelity(Pairs(hist.colors, labels, hist.counts, hist),
                                     hidden=pixels.hidden)), reached, bound


def _renumbered(fixed: np.ndarray | None, rank: np.ndarray) -> np.ndarray | None:
    """The entries ``fixed`` (-1: free) numbered as the diffusion numbers them, entry ``i``
    at ``rank[i]``.

    >>> _renumbered(np.array([[2, -1, 0]]), np.array([1, 2, 0])).tolist()
    [[0, -1, 1]]
    """
    if fixed is None:
        return None
    return np.where(fixed >= 0, rank[np.maximum(fixed, 0)], -1)


def histogram_entries(hist: Histogram, hidden: bool, opts: Options, rng: np.random.Generator
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool,
                                 QualityReached | None, str | None]:
    """The palette of a histogram of visible colours, fitted (or ``opts.palette``), as
    :func:`reduce_colors` makes it: ``(palette, entries, labels, fitted, reached, bound)``.

    ``entries`` are the palette's rows, then, when some pixel is fully transparent
    (``hidden``), the transparent entry ``[0, 0, 0, 0]``; ``labels`` each distinct colour's
    entry (a faint colour may take the transparent one); a fitted palette is spread for
    dithering and put in :func:`~quantize.reconstruct.palette.palette_order` of its
    labels' counts, the transparent entry last. ``reached`` is what the colours allowed
    reach when ``opts.quality`` is out of their reach and their fit, kept, meets
    ``opts.quality_limit`` (:func:`~quantize.reduce.quality.search_quality`), else None;
    ``bound`` what set the k of an ``opts.quality`` met
    (:data:`~quantize.reduce.quality.QUALITY_BOUNDS`), else None. The histogram of an
    animation's frames pooled is fitted here too. Prior validation of ``opts`` is
    assumed.
    """
    pal, labels, fitted, reached, bound = _palette_for(hist, opts, rng, hidden)
    strength = spread_strength(opts.dither, pal.shape[0])
    if fitted and strength > 0 and not opts.exact_colors and pal.shape[0] > 1:
        spread = _kept_fixed(spread_for_dither(pal, hist, labels, strength), pal,
                             opts.fixed_colors)
        if spread is not pal:  # ties broken as for a given palette, so that given back
            pal, labels = spread, _nearest_entries(hist.features, spread, spread, opts.space)
    entries = np.vstack([pal, np.zeros((1, 4), np.uint8)]) if hidden else pal
    if hist.colors.shape[0] and (not fitted or (hidden and not _own_colors(pal, hist))):
        # A given palette is matched here; a faint colour may also go to the transparent
        # entry, unless every colour has an entry of its own. (A fitted palette's
        # labels are its colours' nearest entries already.)
        labels = (_nearest_entries(hist.features, entries, None, opts.space) if fitted
                  else _given_entries(hist, entries, pal, _by_ciede2000(opts)))
    if fitted and hist.colors.shape[1] == 4:  # kept off translucent entries as a given one's
        labels = _kept_opaque(hist, entries, labels)
    k = pal.shape[0]
    if fitted and k:  # by share of the final labels; the transparent entry stays last
        order = fitted_order(pal, entry_weights(labels, hist.counts, len(entries))[:k],
                             opts.fixed_colors)
        order = np.append(order, np.arange(k, len(entries)))
        entries, labels = entries[order], np.argsort(order)[labels]
        pal = entries[:k]
    return pal, entries, labels, fitted, reached, bound


def _kept_fixed(spread: np.ndarray, pal: np.ndarray, fixed: np.ndarray | None) -> np.ndarray:
    """A palette ``spread`` for dithering with its fixed entries (the first
    ``len(fixed)`` of ``pal``) put back where they were."""
    if fixed is None or spread is pal:
        return spread
    spread = spread.copy()
    spread[:fixed.shape[0]] = pal[:fixed.shape[0]]
    return spread


def _result(pal: np.ndarray, indices: np.ndarray, shares: np.ndarray, transparent: int | None,
            opts: Options, fidelity: Fidelity) -> ReduceResult:
    """Assemble the result; ``shares`` are of the visible pixels drawn with each entry,
    ``transparent`` the transparent entry (``k``) or None."""
    k = pal.shape[0]
    alpha = None if pal.shape[1] == 3 else np.ascontiguousarray(pal[:, 3])
    return ReduceResult(np.ascontiguousarray(pal[:, :3]), indices, shares, transparent,
                        opts.space, bool(opts.dither) and k > 0, alpha, fidelity,
                        opts.clear_at, opts.clear_color)


# --------------------------------------------------------------------------
# Counting colours
# --------------------------------------------------------------------------


class _Counted(NamedTuple):
    """Distinct colours of an image and how to put per-colour labels back on its pixels.

    Each visible pixel's row in ``colors`` (``inverse``), in raster order, with the
    ``visible`` mask of an image with alpha; or, for an opaque image (see
    :func:`_count_rgb`), its 24-bit ``codes`` per pixel and the ``distinct`` codes,
    through which labels are read from a table. ``hidden`` counts the fully transparent
    pixels.
    """

    colors: np.ndarray
    counts: np.ndarray
    shape: tuple[int, int]
    codes: np.ndarray | None = None
    distinct: np.ndarray | None = None
    visible: np.ndarray | None = None
    inverse: np.ndarray | None = None
    hidden: int = 0

    def indices(self, labels: np.ndarray, n_entries: int) -> np.ndarray:
        """``(H, W)`` entry of every pixel; fully transparent ones get the last entry."""
        dtype = (np.uint8 if n_entries <= MAX_PALETTE
                 else np.uint16 if n_entries <= 1 << 16 else np.uint32)
        if self.codes is not None:
            return code_table(self.distinct, labels, dtype)[self.codes]
        if self.visible is None:
            return labels.astype(dtype)[self.inverse].reshape(self.shape)
        out = np.full(self.shape, n_entries - 1, dtype=dtype)
        out[self.visible] = labels.astype(dtype)[self.inverse]  # not 8 bytes a pixel
        return out

    def row_of(self) -> np.ndarray:
        """Each visible pixel's row in ``colors``, in raster order."""
        if self.codes is not None:
            return code_rows(self.codes, self.distinct)
        return self.inverse


# Undithered, an opaque image of up to this many pixels is counted by one sort that also
# gives each pixel's row in the histogram, its index then read through the row; a larger
# one has its codes sorted alone (half the bytes) and its indices read from a (2**24,)
# table indexed by code. Medians of 9 fresh processes, counting and indices together:
# 6.3 / 8.8 ms against 8.8 / 10.5 ms on china / motorcycle (0.27 / 0.37 MP), 13.1 against
# 13.7 ms at 0.5 MP, 17.4 against 15.8 ms at 0.7 MP, 25 against 20 ms at 1 MP (the
# benchmark mosaic). Dithered, the rows are needed anyway, and one sort is cheaper than
# two up to rows_by_sorting's limit (2 MP: 52 against 78 ms).
_ROWS_UNDITHERED_MAX = 1 << 19


def _count_rgb(rgb: np.ndarray, rows: bool = False) -> _Counted:
    """Histogram of an opaque image's colours, with each pixel's row in it from the same
    sort when that is cheaper (``rows``: they are wanted anyway), or with the pixels'
    codes."""
    codes = pack_rgb(rgb)
    if rows_by_sorting(codes.size) and (rows or codes.size <= _ROWS_UNDITHERED_MAX):
        distinct, counts, inverse = sorted_code_histogram(codes)
        return _Counted(unpack_rgb(distinct), counts, rgb.shape[:2], inverse=inverse)
    distinct, counts = code_histogram(codes)
    return _Counted(unpack_rgb(distinct), counts, rgb.shape[:2], codes, distinct)


def _count_rgba(rgb: np.ndarray, alpha: np.ndarray | None) -> _Counted:
    """Histogram of the straight RGBA colours of the visible pixels."""
    h, w = rgb.shape[:2]
    if alpha is None:
        alpha = np.full((h, w), 255, np.uint8)
    visible = alpha > 0
    distinct, inverse, counts = _word_histogram(rgb, alpha, visible)
    colors = np.ascontiguousarray(distinct, dtype="<u4").view(np.uint8).reshape(-1, 4)
    return _Counted(colors, counts, (h, w), visible=visible, inverse=inverse,
                    hidden=int(visible.size - counts.sum()))


def _inner_counts(rgb: np.ndarray, alpha: np.ndarray | None, pixels: _Counted
                  ) -> np.ndarray:
    """How many of the visible pixels of each of ``pixels``' colours are inner (see
    :func:`_inner_pixels`), in RGB and alpha."""
    planes = [rgb[..., channel] for channel in range(3)]
    inner = _inner_pixels(planes if alpha is None else [*planes, alpha])
    flat = inner.ravel() if pixels.visible is None else inner[pixels.visible]
    return np.bincount(pixels.row_of()[flat], minlength=pixels.colors.shape[0])


def _inner_pixels(planes: list[np.ndarray]) -> np.ndarray:
    """``(H, W)`` bool: whether each pixel of the ``(H, W)`` uint8 ``planes`` (the channels
    of an image) is inner, each of its four neighbours within
    :data:`~quantize.reduce.quality.INNER_LEVELS` of it in every plane; a neighbour past
    the edge counts as within. Scanner noise (4 levels) leaves the pixels of an area
    inner; an anti-aliased edge (20 levels a pixel or more) does not.

    >>> plane = np.array([[0, 0, 0, 0], [0, 10, 0, 200]], np.uint8)
    >>> _inner_pixels([plane]).astype(int).tolist()
    [[1, 1, 1, 0], [1, 1, 0, 0]]
    """
    inner = np.ones(planes[0].shape, bool)
    for plane in planes:
        down = _within(plane[1:], plane[:-1])
        inner[1:] &= down
        inner[:-1] &= down
        across = _within(plane[:, 1:], plane[:, :-1])
        inner[:, 1:] &= across
        inner[:, :-1] &= across
    return inner


def _within(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Whether uint8 ``a`` and ``b`` differ by at most :data:`INNER_LEVELS`: their
    difference modulo 256, moved up by that, is at most twice it."""
    moved = np.subtract(a, b, dtype=np.uint8)
    moved += np.uint8(INNER_LEVELS)
    return moved <= 2 * INNER_LEVELS


# Pixels whose RGBA words _split_words makes at a time (whole rows). Made for the whole
# image, the (H, W, 4) copy and the words of every visible pixel took 88 MB at 12 MP:
# counting the colours of a 12 MP image with soft alpha peaked at 371 MB of arrays
# (besides the image), 276 MB a band at a time with int32 rows.
_WORD_BAND_PIXELS = 1 << 20


def _split_words(rgb: np.ndarray, alpha: np.ndarray, clear: np.ndarray, codes: np.ndarray
                 ) -> None:
    """Write the 32-bit RGBA words of the translucent pixels (alpha 1..254) into ``clear``
    and the low 24 bits of the opaque ones' (alpha 255) into ``codes``, each in raster
    order, made a band of rows at a time; both ``(n,)`` uint32, of those pixels' numbers.

    A word is the pixel's four bytes R, G, B, A read as one little-endian number, alpha in
    the top byte on any machine.
    """
    h, w = alpha.shape
    at_clear = at_opaque = 0
    for rows in row_bands(h, w, _WORD_BAND_PIXELS):
        band = np.empty(alpha[rows].shape + (4,), dtype=np.uint8)
        band[..., :3] = rgb[rows]
        band[..., 3] = alpha[rows]
        words = band.view("<u4")[..., 0]
        opaque = alpha[rows] == 255
        taken = words[opaque] & np.uint32(0xFFFFFF)
        codes[at_opaque:at_opaque + taken.size] = taken
        at_opaque += taken.size
        taken = words[(alpha[rows] > 0) & ~opaque]
        clear[at_clear:at_clear + taken.size] = taken
        at_clear += taken.size


def _word_histogram(rgb: np.ndarray, alpha: np.ndarray, visible: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``np.unique(words, return_inverse=True, return_counts=True)`` of the RGBA words of
    the ``visible`` pixels (alpha above 0) of ``rgb`` and ``alpha``.

    The opaque words (alpha 255, the top byte) sort after all others and
    differ only in their low 24 bits, so they are counted as 24-bit codes (few in one
    sort that also gives their rows, many sorted on threads, then each given its row by
    :func:`~quantize._kernels.code_rows`). Most images with alpha are mostly opaque;
    the others' words are written straight into the keys of one sort with their
    positions (:func:`~quantize._kernels.keys_histogram`). On a 12 MP image whose pixels
    are all translucent (7.1 M distinct words) that took 0.42 s and 320 MB at most,
    against 2.0 s and 525 MB for ``np.unique``, whose sort carries an index array. The
    rows are int32, as the sort gives them.
    """
    n_opaque = int(np.count_nonzero(alpha == 255))
    codes = np.empty(n_opaque, dtype="<u4")

    def fill(clear: np.ndarray) -> None:
        _split_words(rgb, alpha, clear, codes)

    n_clear = int(np.count_nonzero(visible)) - n_opaque
    part, part_counts, part_inverse = keys_histogram(n_clear, fill, np.dtype("<u4"))
    if rows_by_sorting(codes.size):
        distinct, counts, rows = sorted_code_histogram(codes)
    else:
        distinct, counts = code_histogram(codes)
        rows = code_rows(codes, distinct)
    opaque = alpha[visible] == 255
    inverse = np.empty(opaque.size, dtype=np.int32)  # intp: 40 MB more at 10 MP
    inverse[~opaque] = part_inverse
    inverse[opaque] = rows + np.int32(part.size)
    return (np.concatenate([part, distinct | np.uint32(0xFF000000)]), inverse,
            np.concatenate([part_counts, counts]))


# --------------------------------------------------------------------------
# Palette
# --------------------------------------------------------------------------


def _palette_for(hist: Histogram, opts: Options, rng: np.random.Generator, clear: bool
                 ) -> tuple[np.ndarray, np.ndarray, bool, QualityReached | None, str | None]:
    """The palette, each distinct colour's entry, whether the palette was fitted, what
    the colours allowed reach when ``opts.quality`` was out of their reach (else None),
    and what set the k of an ``opts.quality`` met
    (:func:`~quantize.reduce.quality.quality_bound`; else None); ``clear``: the
    transparent entry follows the palette (a fit of ``k`` colours is made around it, see
    :func:`~quantize.reduce.fit.fit`)."""
    m, channels = hist.colors.shape
    if opts.palette is not None:
        pal = opts.palette
        if channels == 4 and pal.shape[1] == 3:
            pal = np.hstack([pal, np.full((pal.shape[0], 1), 255, np.uint8)])
        return pal, np.zeros(0, np.intp), False, None, None
    if m == 0:  # every pixel is transparent
        if opts.quality is None:  # a target met with no colour needs no word
            warn_few_colors(0, opts.asked or opts.n_colors or DEFAULT_COLORS, opts.where)
        return np.zeros((0, channels), np.uint8), np.zeros(0, np.intp), True, None, None
    if opts.quality is not None:
        k_max = MAX_PALETTE if opts.n_colors is None else opts.n_colors
        # Only the default cap can be raised: dithering takes at most 256 colours.
        more = "; allow more with n_colors=K" if opts.n_colors is None and not opts.dither else ""
        pal, labels, reached, bound = search_quality(hist, opts.quality, k_max,
                                                     opts.exact_colors, rng, more,
                                                     opts.quality_limit,
                                                     _fixed_entries(hist, opts), clear)
        return pal, labels, True, reached, bound
    k = DEFAULT_COLORS if opts.n_colors is None else opts.n_colors
    fixed = _fixed_entries(hist, opts)
    if m < k and fixed is None:
        warn_few_colors(m, opts.asked or k, opts.where)
    pal, labels = fit(hist.colors, hist.counts, hist.features, k, opts.space,
                      opts.exact_colors, rng, seed_on_cells=True, fixed=fixed, clear=clear)
    return pal, labels, True, None, None


def _fixed_entries(hist: Histogram, opts: Options) -> np.ndarray | None:
    """``opts.fixed_colors`` with the histogram's channels (opaque alpha for RGBA), or None."""
    return with_channels(opts.fixed_colors, hist.colors.shape[1])


def _own_colors(pal: np.ndarray, hist: Histogram) -> bool:
    """Whether the fitted palette ``pal`` is the histogram's colours themselves, each
    its own entry (:func:`fit` with no more colours than ``k``): the image is then drawn
    exactly, with no colour compared with another's entry."""
    return pal.shape[0] == hist.colors.shape[0]


def _nearest_entries(features: np.ndarray, entries: np.ndarray, given: np.ndarray | None,
                     space: str) -> np.ndarray:
    """Each distinct colour's nearest entry; ``given``: the palette a caller gave, ``entries``
    its rows and maybe the transparent entry after them (None for a fitted palette).

    Ties between the entries of a given palette are broken as :func:`fit` breaks them,
    by :func:`tie_order`, so that a fitted palette written out in its own order and
    given back maps every pixel as the fit did; a fitted palette is in that order already.
    """
    if given is None:
        return nearest(features, features_of(entries, space))
    k = given.shape[0]
    order = np.concatenate([tie_order(given), np.arange(k, entries.shape[0])])
    return order[nearest(features, features_of(entries[order], space))]


def _by_ciede2000(opts: Options) -> bool:
    """Whether a given palette's entries are matched by CIEDE2000 (:func:`_perceived`):
    in Lab, when the palette was not fitted to the image (``opts.fitted_palette``)."""
    return opts.space == "lab" and not opts.fitted_palette


def _given_entries(hist: Histogram, entries: np.ndarray, given: np.ndarray,
                   perceived: bool = False) -> np.ndarray:
    """Each distinct colour's entry in a given palette (:func:`_nearest_entries`; by
    CIEDE2000 with ``perceived``, :func:`_perceived`), but an
    opaque colour takes no translucent entry when an opaque entry looks as near over
    black and over white (:func:`~quantize._kernels.shown_distance`): it takes the opaque
    entry that looks nearest instead.

    Compared premultiplied, an opaque grey (128, 128, 128) went to a white entry of alpha
    128 (grey 128 over black) before opaque black or white, and the output drew it half
    transparent; over white it is white. Premultiplied distance still decides the rest,
    as the fit's does: a fitted palette given back keeps the fit's mapping, whose labels
    follow the same rule. Tried on palettes of opaque and translucent
    entries, and on palettes fitted to RGBA icons reused on others: matching every colour
    by how it looks instead, the worse background per channel (with a tie-break by
    alpha), met the same rule but lost up to 1.4 dB of premultiplied PSNR more on a
    ramp of greys, and moved translucent pixels too.
    """
    grid = grid_of(entries) if hist.space == "rgb" and entries.shape[1] == 3 else None
    if grid is not None:  # the same entries as the search, channel by channel
        return grid_nearest(hist.colors, grid)
    labels = _nearest_entries(hist.features, entries, given, hist.space)
    return _kept_opaque(hist, entries, _perceived(hist, entries, labels) if perceived
                        else labels)


# Onto a given palette in Lab, each opaque colour takes the entry nearest by CIEDE2000,
# the measure a user checks a mapping with. On six photos (skimage coffee, chelsea,
# astronaut, rocket; sklearn china, flower) x three palettes (8 inks: the six primaries
# and secondaries, black and white; 40 and 450 well-spread colours, as a thread maker's),
# mean CIEDE2000 of the pixels against the photo, nearest in RGB / in Lab / by CIEDE2000:
# 8 inks 15.7-27.9 / 15.5-32.4 / 14.9-24.8, 40 colours 11.9-16.7 / 11.2-14.4 / 9.7-13.2,
# 450 colours 5.1-6.6 / 4.4-5.5 / 4.1-5.3; CIEDE2000 lowest in all 18, Lab above RGB in 5
# (8 inks on four photos, 40 on rocket). It costs about 10 times RGB's time (16 entries
# compared a colour, fewer with fewer entries): reduce_colors took 0.04 to 0.46 s of CPU
# against 0.006 to 0.042 s (0.2 to 2.5 s of wall time on 2 cores at load 13, against
# 0.02 to 0.22 s), the most onto the 450 colours; 6.3 s of CPU against 2.0 s on the 12 MP
# benchmark photo (1.2 M colours) onto the 450. So the default (RGB) stays nearest in
# RGB, as the default fit, Pillow and ImageMagick match. A palette fitted to the image
# (``fitted_palette``) is matched as the fit matched it, in Lab distance, so given back it
# maps every pixel as the fit did.
def _perceived(hist: Histogram, entries: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """``labels``, but each opaque colour on an opaque entry moved to the opaque entry
    nearest by CIEDE2000 (:func:`~quantize.colors.nearest_ciede2000`); of entries as
    near, the one :func:`tie_order` puts first. A copy when some colour is opaque."""
    opaque = (np.ones(entries.shape[0], bool) if entries.shape[1] == 3
              else entries[:, 3] == 255)
    rows = opaque[labels]
    if hist.colors.shape[1] == 4:
        rows &= hist.colors[:, 3] == 255
    rows = np.flatnonzero(rows)
    if not rows.size:
        return labels
    order = np.flatnonzero(opaque)
    order = order[tie_order(entries[order])]
    labels = labels.copy()
    labels[rows] = order[nearest_ciede2000(srgb_to_lab(hist.colors[rows, :3]),
                                           srgb_to_lab(entries[order, :3]))]
    return labels


def _kept_opaque(hist: Histogram, entries: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """``labels``, each distinct colour's entry, but an opaque colour on a translucent
    entry moved to the opaque entry that looks nearest when that looks as near
    (:func:`_given_entries`); a copy when one moves.

    A fitted palette's labels are kept so too: undithered, 7 of the 1,411 opaque pixels
    of a noise image with 40 % of its pixels translucent took a translucent entry at
    k = 16, and none now, for 0.005 dB of premultiplied PSNR (23.306 then 23.301); no
    opaque pixel of the benchmarks' RGBA disc took one at k = 16, 64 or 256 (its output
    is unchanged).
    """
    shown = ShownEntries.of(entries, hist.space)
    if shown is None:  # no alpha, or no opaque or no translucent entry
        return labels
    rows = np.flatnonzero((hist.colors[:, 3] == 255) & ~shown.opaque[labels])
    if not rows.size:
        return labels
    labels = labels.copy()
    seen = shown_features(hist.colors[rows], hist.space)
    opaque = np.flatnonzero(shown.opaque)
    order = opaque[tie_order(entries[opaque])]  # ties broken as the palette's are
    shown.keep_nearer(labels, rows, seen, order[nearest(seen[:, :3], shown.features[order, :3])])
    return labels


# --------------------------------------------------------------------------
# Dithering
# --------------------------------------------------------------------------


def _dithered(rgb: np.ndarray, alpha: np.ndarray | None, pixels: _Counted,
              entries: np.ndarray, opts: Options, plain: np.ndarray, given: bool = False,
              fixed: np.ndarray | None = None) -> np.ndarray:
    """``(H, W)`` indices by weighted error diffusion (or ordered dithering) in the fitting
    space, from the ``plain`` (undithered) mapping; opaque pixels are kept off translucent
    entries that look no nearer (diffused) or mixed with none but their nearest (ordered),
    a fitted palette's as a given one's (:func:`_kept_opaque` keeps them so undithered):
    with a fitted palette's allowed too, error diffusion drew translucent 12 of the 1,411
    opaque pixels of a noise image with 40 % translucent pixels at k = 16 and ordered
    dithering 24, then 1 and 6 while the undithered mapping drew 7 so, and then none
    (with RGB's features balanced between black and white, diffused, 3: their colour
    with its error looks nearer a translucent entry over black and over white both).
    A ``given`` palette (not fitted to the image) is dithered onto so that the image keeps
    its tone (see ``given`` in :func:`~quantize.reconstruct.palette.dither_indices` and
    :func:`~quantize.reconstruct.ordered.ordered_indices`). ``fixed``: entries pixels keep
    in the error diffusion (-1: free; see :func:`reduce_checked`)."""
    grid = grid_of(entries) if given and alpha is None and opts.dither in POSITIONAL else None
    if grid is not None:
        out = grid_ordered(rgb, grid).astype(np.uint8 if len(entries) <= MAX_PALETTE
                                             else np.uint16)
    elif opts.dither in POSITIONAL:
        out = ordered_indices(rgb, entries, alpha=alpha, space=opts.space,
                              nearest_entries=plain, keep_opaque=True, given=given,
                              pattern=opts.dither == PATTERN)
    else:
        out = dither_indices(rgb, entries, opts.dither, alpha=alpha, space=opts.space,
                             nearest_entries=plain, keep_opaque=True, given=given,
                             fixed=fixed)
    if pixels.hidden:
        out[~pixels.visible] = len(entries) - 1
    return out
