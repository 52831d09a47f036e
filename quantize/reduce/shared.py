"""One palette for many images: sample each, merge the samples, fit once.

The steps a driver (batch, or the CLI with several files) runs, each a plain
function so it can run in worker processes:

1. :func:`sample_colors` draws pixels from one image as a small histogram;
2. :func:`merge_histograms` pools those histograms (:class:`ColorPool` one at a time, as
   they come);
3. :func:`fit_shared_palette` fits the palette with reduce's own defaults;
4. :func:`options_with_palette` turns a file job's options into options that
   map onto that palette instead of fitting their own, dithered onto as onto a palette
   fitted to the image (``palette_fitted``): it was fitted to colours drawn from it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from .._validation import check_bool, check_int, check_path, shown_number
from ..colors import color_histogram, merge_colors
from ..errors import warnings_held
from ..io import DEFAULT_MAX_PIXELS, GIF_ALPHA_THRESHOLD, NoData, NoDataWarning, load_image
from .fit import DEFAULT_COLORS, check_histogram, fit_palette, warn_few_colors
from .options import EDGE, check_matte, check_reduce_options
from .result import MAX_PALETTE

__all__ = ["ColorPool", "check_shared_options", "fit_shared_palette", "merge_histograms",
           "options_with_palette", "sample_colors"]

# Options that fit a palette; a job mapping onto a shared palette drops them.
_FITTING_OPTIONS = ("n_colors", "quality", "exact_colors", "fixed_colors",
                    "transparent_color")


def check_shared_options(options: Mapping[str, Any]) -> None:
    """Refuse checked reduce options (:func:`~quantize.reduce.check_reduce_options`) that a
    palette shared by many images would leave unused: ``quality`` (the palette is fitted to
    ``n_colors`` colours), a ``palette_in`` (the shared palette is mapped onto in its
    place) and ``palette="per-frame"`` (it is one palette for every frame of every image),
    as ``quantize batch --shared-palette`` refuses ``--quality`` and ``--palette-in``.

    >>> check_shared_options({"n_colors": 8, "quality": None, "palette_in": None})
    >>> check_shared_options({"quality": 2.0})
    Traceback (most recent call last):
    ...
    ValueError: quality=2 cannot be used with a shared palette, which is fitted to n_colors \
colours (16 by default); expected n_colors
    """
    quality = options.get("quality")
    if quality is not None:
        raise ValueError(f"quality={shown_number(quality)} cannot be used with a shared "
                         f"palette, which is fitted to n_colors colours ({DEFAULT_COLORS} by "
                         "default); expected n_colors")
    if options.get("palette_in") is not None:
        raise ValueError("palette_in cannot be used with a shared palette, which is mapped "
                         "onto in its place; expected n_colors, or palette_in without a "
                         "shared palette")
    if options.get("palette", "global") != "global":
        raise ValueError(f"palette={options['palette']!r} cannot be used with a shared "
                         "palette, one palette for every frame of every image; expected "
                         "palette='global'")
    if options.get("transparent_color") == EDGE:
        raise ValueError(f"transparent_color={EDGE!r} cannot be used with a shared palette, "
                         "whose one transparent entry serves every image, each of other "
                         "edges; expected a colour")


def sample_colors(path: str | os.PathLike[str], n: int, seed: Any = None,
                  max_pixels: int | None = DEFAULT_MAX_PIXELS, *, transparency: bool = False,
                  binary_alpha: bool = False, matte: Any = None, nodata: NoData = None
                  ) -> tuple[np.ndarray, np.ndarray] | tuple[np.ndarray, np.ndarray, bool]:
    """Draw ``n`` visible pixels of an image uniformly, with replacement, as a histogram.

    An animation's pixels are drawn from all its frames; as an animation mapped
    onto a given palette is written with binary transparency, only its opaque
    pixels (alpha >= 128) are drawn, as RGB. So are a still's with ``binary_alpha``.

    Parameters
    ----------
    path : path
        Image file.
    n : int
        Pixels to draw, >= 1.
    seed : anything :func:`numpy.random.default_rng` accepts
        E.g. ``(seed, file_number)`` so every file gets its own stream.
    max_pixels : int or None
        As in :func:`quantize.io.load_image`.
    transparency : bool
        Also return whether the image has transparent pixels, which take a
        palette entry of their own (pass it to :func:`fit_shared_palette`).
    binary_alpha : bool
        Draw a still's pixels with the alpha a GIF holds, as
        :func:`~quantize.reduce.reduce_file` fits a .gif's colours: below
        :data:`~quantize.io.GIF_ALPHA_THRESHOLD` transparent, the rest opaque; for
        a palette whose every image is written as a GIF, which would make its
        translucent entries opaque or leave them out.
    matte : colour, optional
        Composite translucent pixels onto this colour first, as
        :func:`~quantize.reduce.reduce_file`'s ``matte`` does before its fit
        (:func:`~quantize.reduce.options.check_matte`).
    nodata : number, tuple, "tag" or None
        A still's pixels of this value are fully transparent, never drawn, as
        :func:`quantize.io.load_image` reads them (``"tag"``: a TIFF's GDAL_NODATA
        tag's); the warning of a tag read is left to the file's own job. An
        animation's pixels are all data.

    Returns
    -------
    colors : (m, 3) or (m, 4) ndarray of uint8
        Distinct colours drawn, with their straight alpha as a fourth column
        when some visible pixel is translucent (fully transparent pixels are
        never drawn).
    counts : (m,) ndarray of int64
        Times each was drawn (sums to ``n``, or 0 for a fully transparent image).
    transparent : bool
        With ``transparency`` only: some pixel is fully transparent (alpha 0;
        in an animation, alpha below 128, as it is written).

    Raises
    ------
    ImageReadError
        If the image cannot be read.
    ValueError, TypeError
        For ``n`` below 1, a ``seed`` NumPy does not take, or a
        ``transparency`` or ``binary_alpha`` that is not a bool.
    """
    path = check_path(path, "path")
    n = check_int(n, "n", minimum=1)
    transparency = check_bool(transparency, "transparency")  # "no" would ask for a third value
    binary_alpha = check_bool(binary_alpha, "binary_alpha")
    try:  # one Generator, the same stream the helpers drew from the seed
        rng = np.random.default_rng(seed)
    except (TypeError, ValueError) as exc:  # NumPy's messages name no parameter
        raise type(exc)(f"seed={seed!r} should be what numpy.random.default_rng takes (an "
                        f"int >= 0, a sequence of them, a Generator or None): {exc}") from None
    from ..animation import count_frames  # the animation package builds on this one

    matte = check_matte(matte)
    if count_frames(path) > 1:
        colors, counts, transparent = _sample_animation(path, n, rng, max_pixels, matte)
    else:
        colors, counts, transparent = _sample_still(path, n, rng, max_pixels, binary_alpha,
                                                    matte, nodata)
    return (colors, counts, transparent) if transparency else (colors, counts)


def _sample_still(path: str | os.PathLike[str], n: int, seed: Any,
                  max_pixels: int | None, binary_alpha: bool,
                  matte: tuple[int, int, int] | None = None, nodata: NoData = None
                  ) -> tuple[np.ndarray, np.ndarray, bool]:
    """Draw ``n`` visible pixels of a still image (with their alpha when some is translucent;
    with ``binary_alpha``, that alpha made 0 or 255 first, as a GIF holds it), its
    translucent pixels composited onto ``matte`` first when given; its ``nodata`` pixels
    transparent."""
    with warnings_held((NoDataWarning,)):  # said by the file's job, which reads it too
        image = load_image(path, max_pixels=max_pixels, nodata=nodata)
    image = image.on_matte(matte)
    held = image.alpha
    if held is not None and binary_alpha:
        held = np.where(held < GIF_ALPHA_THRESHOLD, 0, 255).astype(np.uint8)
    transparent = held is not None and bool((held == 0).any())
    pixels = image.rgb.reshape(-1, 3)
    if held is not None:
        alpha = held.reshape(-1, 1)
        visible = alpha.ravel() > 0
        translucent = (alpha[visible] < 255).any()
        pixels = (np.hstack([pixels, alpha]) if translucent else pixels)[visible]
    if len(pixels) == 0:
        return np.zeros((0, 3), np.uint8), np.zeros(0, np.int64), transparent
    picks = np.random.default_rng(seed).integers(0, len(pixels), size=n)
    if pixels.shape[1] == 3:
        return (*color_histogram(pixels[picks]), transparent)
    colors, counts = merge_colors(pixels[picks], np.ones(n))
    return colors, counts.astype(np.int64), transparent


def _sample_animation(path: str | os.PathLike[str], n: int, seed: Any,
                      max_pixels: int | None, matte: tuple[int, int, int] | None = None
                      ) -> tuple[np.ndarray, np.ndarray, bool]:
    """Draw ``n`` pixels from every frame of an animation, as it is written: opaque ones only
    (translucent ones composited onto ``matte`` first when given).

    An animation mapped onto a given palette, as a shared one is, keeps binary
    transparency (alpha below 128 is transparent), so the pixels drawn are the opaque
    pixels of all frames pooled.
    """
    from .._kernels import unpack_rgb
    from ..animation.frames import open_animation
    from ..animation.plans import pooled_histogram

    with open_animation(path, max_pixels=max_pixels, matte=matte) as animation:
        pooled = pooled_histogram(animation.frames())
    if pooled.codes.size == 0:
        return np.zeros((0, 3), np.uint8), np.zeros(0, np.int64), pooled.transparent
    counts = pooled.counts.astype(np.float64)
    drawn = np.random.default_rng(seed).multinomial(n, counts / counts.sum())
    kept = drawn > 0
    return unpack_rgb(pooled.codes[kept]), drawn[kept].astype(np.int64), pooled.transparent


def merge_histograms(samples: Sequence[tuple[np.ndarray, np.ndarray]]
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Pool colour histograms ``(colors (m, 3) uint8, counts (m,))`` into one.

    Returns the distinct colours (sorted by 24-bit code) and their float64
    total counts; empty when every sample is empty. When some sample has
    alpha (``(m, 4)``), the others count as opaque and the result has alpha.
    Each sample is checked as :func:`quantize.reduce.fit_palette` checks its
    histogram: colours integers 0..255, counts finite and >= 0, one per colour
    (``ValueError`` or ``TypeError`` otherwise). :class:`ColorPool` pools them one at a
    time, as they come, to the same result.

    >>> a = (np.array([[1, 1, 1]], np.uint8), np.array([2]))
    >>> b = (np.array([[0, 0, 0], [1, 1, 1]], np.uint8), np.array([1, 3]))
    >>> colors, counts = merge_histograms([a, b])
    >>> colors.tolist(), counts.tolist()
    ([[0, 0, 0], [1, 1, 1]], [1.0, 5.0])
    """
    # (colours 300 wrapped to 44, 0.5 became 0 and negative counts were added, unchecked)
    pool = ColorPool()
    for colors, counts in _pairs(samples):
        pool.add(colors, counts)
    return pool.histogram()


#: Histogram rows a :class:`ColorPool` holds unmerged before it merges them into its pool
#: (or as many as the pool has, when more): each row is merged a few times at most, and
#: what is held is a few times the pool's distinct colours, not every row given.
POOL_PENDING_ROWS = 1 << 20


class ColorPool:
    """Colour histograms pooled as they are given, one at a time: the histogram of
    :func:`merge_histograms` of all of them, whatever their order, without holding them
    all (those given are merged into the pool every :data:`POOL_PENDING_ROWS` rows or so).

    The memory held is that of the distinct colours pooled (at most one row a pixel
    given), not that of every histogram given: a shared palette's samples of a million
    files are pooled in what their distinct colours take.

    Parameters
    ----------
    pending_rows : int
        Rows held unmerged at most (beyond the pool's own size), >= 1.

    Examples
    --------
    >>> pool = ColorPool()
    >>> pool.add(np.array([[1, 1, 1]], np.uint8), np.array([2]))
    >>> pool.add(np.array([[0, 0, 0], [1, 1, 1]], np.uint8), np.array([1, 3]))
    >>> colors, counts = pool.histogram()
    >>> colors.tolist(), counts.tolist(), pool.samples
    ([[0, 0, 0], [1, 1, 1]], [1.0, 5.0], 2)
    """

    def __init__(self, pending_rows: int = POOL_PENDING_ROWS) -> None:
        self._pending_rows = check_int(pending_rows, "pending_rows", minimum=1)
        self._merged: tuple[np.ndarray, np.ndarray] | None = None
        self._pending: list[tuple[np.ndarray, np.ndarray]] = []
        self._held = 0
        #: Histograms given with a colour (an empty one, of an image with no visible
        #: pixel, adds nothing and is not counted).
        self.samples = 0

    def add(self, colors: Any, counts: Any) -> None:
        """Pool one histogram ``(colors (m, 3) or (m, 4), counts (m,))``, checked as
        :func:`merge_histograms` checks each (an empty one adds nothing)."""
        if not len(colors):
            return
        checked = check_histogram(colors, counts)
        self._pending.append(checked)
        self._held += checked[0].shape[0]
        self.samples += 1
        pooled = 0 if self._merged is None else self._merged[0].shape[0]
        if self._held >= max(self._pending_rows, pooled):
            self._merge()

    def histogram(self) -> tuple[np.ndarray, np.ndarray]:
        """The distinct colours pooled (sorted by code) and their float64 total counts, as
        :func:`merge_histograms` returns them; empty when no colour was given."""
        self._merge()
        if self._merged is None:
            return np.zeros((0, 3), np.uint8), np.zeros(0, np.float64)
        return self._merged

    def _merge(self) -> None:
        """The histograms held merged into the pool."""
        if not self._pending:
            return
        parts = ([] if self._merged is None else [self._merged]) + self._pending
        channels = max(c.shape[-1] for c, _ in parts)
        colors = np.concatenate([_with_channels(c, channels) for c, _ in parts])
        counts = np.concatenate([n for _, n in parts])
        self._pending, self._held = [], 0
        del parts
        self._merged = merge_colors(colors, counts)


def _pairs(samples: Any) -> list[tuple[Any, Any]]:
    """``samples`` as a list of ``(colors, counts)`` pairs, or raise naming the one that is not.

    A triple is what :func:`sample_colors` returns with ``transparency``: its flag is
    for :func:`fit_shared_palette`, so the message says to pass the first two.
    """
    if isinstance(samples, str | bytes) or not isinstance(samples, Iterable):
        raise TypeError(f"samples should be a sequence of (colors, counts) pairs, got "
                        f"{type(samples).__name__}")
    pairs = list(samples)
    for i, sample in enumerate(pairs):
        if not isinstance(sample, tuple | list) or len(sample) != 2:
            size = f" of {len(sample)}" if isinstance(sample, tuple | list) else ""
            hint = ("; sample_colors(..., transparency=True) gives (colors, counts, "
                    "transparent): pass its first two" if size == " of 3" else "")
            raise TypeError(f"samples[{i}] should be a (colors, counts) pair, got a "
                            f"{type(sample).__name__}{size}{hint}")
    return pairs


def _with_channels(colors: np.ndarray, channels: int) -> np.ndarray:
    """``(m, 3)`` colours given an opaque alpha column when ``channels`` is 4."""
    if colors.shape[1] == channels:
        return colors
    return np.hstack([colors, np.full((colors.shape[0], 1), 255, np.uint8)])


def fit_shared_palette(colors: np.ndarray, counts: np.ndarray,
                       options: Mapping[str, Any], *, transparent: bool = False) -> np.ndarray:
    """Fit one palette to pooled colours with a file job's options and reduce's defaults.

    ``options`` are :func:`quantize.reduce.reduce_file` keyword options (as
    :func:`~quantize.reduce.check_reduce_options` returns them, or a subset),
    checked by it (an unknown name is a ``TypeError``, not a default silently
    used); ``n_colors``, ``space``, ``exact_colors`` and ``seed`` are used,
    the defaults filling what is missing; ``quality``, ``palette_in`` and
    ``palette="per-frame"``, which a shared palette would leave unused, are
    refused (:func:`check_shared_options`). ``transparent``: some image has
    transparent pixels (:func:`sample_colors` with ``transparency``), which
    take an entry of their own beside the palette, so asked for 256 colours
    (or more) the palette has 255, as :func:`~quantize.reduce.reduce_file` gives
    such an image for an indexed output; an image with transparent pixels could
    not be mapped onto 256 there. (:func:`~quantize.reduce.reduce_colors` fits
    the colours asked and adds the entry after them.) Fewer distinct colours
    than asked are all kept, with a :class:`~quantize.reduce.ColorCountWarning`
    naming the ``n_colors`` asked (``n_colors=16 but the images together have only 3
    distinct colours; returning those 3``); beside ``fixed_colors``, which the palette
    keeps first, all of them too, without a warning (as :func:`fit_palette`).

    Returns
    -------
    (k, 3) or (k, 4) ndarray of uint8
        Most weight first; with alpha when ``colors`` has it and some entry
        is not opaque.

    Raises
    ------
    ValueError, TypeError
        For an empty histogram or bad options.
    """
    if not isinstance(options, Mapping):  # ** would name check_reduce_options, not it
        raise TypeError("options should be a mapping of reduce_file options (e.g. "
                        f"{{'n_colors': 16}}, or {{}} for the defaults), got "
                        f"{type(options).__name__}")
    opts = check_reduce_options(**options)
    check_shared_options(opts)
    transparent = check_bool(transparent, "transparent")  # "no" would take a colour away
    n_colors = DEFAULT_COLORS if opts["n_colors"] is None else opts["n_colors"]
    visible = _visible_colors(colors, counts)
    fixed = len(opts["fixed_colors"] or ())
    if 0 < visible < n_colors - fixed:  # all kept beside the fixed colours (the same
        # palette as fit_palette gives), said as fit_palette says it, of the images pooled,
        # naming the n_colors asked, not the cap below
        if not fixed:
            warn_few_colors(visible, n_colors, "the images together have")
        n_colors = visible + fixed
    if transparent and n_colors > MAX_PALETTE - 1 and visible >= MAX_PALETTE - 1:
        n_colors = MAX_PALETTE - 1
    palette = fit_palette(colors, counts, n_colors, space=opts["space"],
                          exact_colors=opts["exact_colors"], seed=opts["seed"],
                          fixed_colors=opts["fixed_colors"])
    return palette[:, :3] if palette.shape[1] == 4 and (palette[:, 3] == 255).all() else palette


def _visible_colors(colors: Any, counts: Any) -> int:
    """Distinct colours of a histogram with a count and an alpha above 0 (checked as
    :func:`~quantize.reduce.fit_palette` checks it)."""
    cols, _ = check_histogram(colors, counts)
    return cols.shape[0] if cols.shape[1] == 3 else int(np.count_nonzero(cols[:, 3]))


def options_with_palette(options: Mapping[str, Any],
                         palette: np.ndarray | str | os.PathLike[str]) -> dict[str, Any]:
    """A file job's options changed to map onto ``palette`` (colours, or the file that
    holds them, by which the job's messages then name it) instead of fitting one: a palette
    fitted to colours pooled from the images (:func:`fit_shared_palette`), so dithered onto
    as a fitted palette is (``palette_fitted=True``), not as a given one.

    >>> options_with_palette({"n_colors": 8, "dither": 1.0}, np.zeros((2, 3), np.uint8))
    {'dither': 1.0, 'palette_in': array([[0, 0, 0],
           [0, 0, 0]], dtype=uint8), 'palette_fitted': True}
    """
    kept = {k: v for k, v in options.items() if k not in _FITTING_OPTIONS}
    return {**kept, "palette_in": palette, "palette_fitted": True}
