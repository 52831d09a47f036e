"""How frames become palette indices: one palette for all frames, or one per frame.

The plans map a frame's opaque pixels to entries and count what was drawn
(for PSNR, CIEDE2000 and palette shares); the caller marks transparent pixels.
:class:`AlphaPlan`, one palette with alpha for frames with translucent pixels written
where partial alpha is kept, maps every visible pixel, its alpha too.
Prior validation of the options is assumed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from .._kernels import (
    code_table,
    nearest,
    pack_rgb,
    same_pixels,
    second_nearest_gap,
    sorted_code_histogram,
    sorted_search,
    sq_dist_to_labels,
    srgb_to_lab,
    unpack_rgb,
)
from ..colors import features_of, shown_features
from ..errors import QualityError, QualityReached
from ..io import GIF_ALPHA_THRESHOLD, MAX_PALETTE
from ..reduce.fit import (
    DEFAULT_COLORS,
    Histogram,
    fit_palette,
    spread_for_dither,
    warn_few_colors,
)
from ..reduce.image import histogram_entries, reduce_checked
from ..reduce.options import (
    POSITIONAL,
    Options,
    check_options,
    kept_for_transparency,
    spread_strength,
)
from ..reduce.quality import (
    kept_within_limit,
    out_of_reach,
    quality_bound,
    quality_error,
    quality_reached,
    smallest_k,
    starting_as,
)
from .frames import Frame, OpenAnimation
from .gif import RecentCodes, bounding_box, change_bytes, in_runs, local_frame_bytes
from .options import AnimationOptions, one_palette_for
from .sinks import default_suffix, palette_frames, partial_alpha_frames
from .stats import FrameStats, merge_counts, merge_if_many, merge_pending, recounted

__all__ = ["ALPHA_THRESHOLD", "POOLED_NEAREST", "AlphaPlan", "GlobalPlan", "PerFramePlan",
           "Pooled", "PooledRGBA", "changed_box", "global_plan", "one_table_holds",
           "pooled_frames", "pooled_histogram", "pooled_rgba", "small_box", "split_alpha"]

#: Pixels with alpha below this are written transparent, the others opaque (as
#: reduce does for GIF outputs).
ALPHA_THRESHOLD = GIF_ALPHA_THRESHOLD
#: Undithered frames keep the entry of the pixel to the left when it is at most
#: this much (CIE76 Delta E, added in quadrature) further from the pixel's colour
#: than its nearest entry: a difference near the threshold of visibility that
#: gives LZW and deflate long runs (GIFs of panned photos 3 to 23 % smaller). A pixel
#: whose colour is an entry keeps it: white text paper took a #fcfcfc run's entry.
RUN_TOLERANCE = 2.0
#: Error diffused onto a given palette (``palette_in``): a pixel identical to the previous
#: frame's keeps its entry, and passes on its error as if freshly dithered, unless it is
#: within this many pixels (rows and columns) of a pixel that changed: those are diffused
#: afresh with the changed ones. GIF frames store only what changed, so a viewer shows
#: the kept pixels among the redrawn; kept up to the changes' edge, their pattern, from
#: an earlier frame's error, broke where the changes began. On skimage's
#: no_time_for_that_tiny.gif (25 x 14, a fifth of its pixels changing each frame), mean
#: blurred PSNR (sigma 1) of the frames against ImageMagick's ``-coalesce -dither
#: FloydSteinberg -remap`` of each frame alone: the e-paper / PICO-8 / black and white
#: palettes' pixels all kept (no error passed on) -3.74 / -1.43 / -2.80 dB; kept, passing
#: on their error -1.61 / -0.88 / -1.15 dB; at 1, 2, 3, 4 pixels from a change diffused
#: afresh, epd7 -1.05 / -0.30 / -0.09 / +0.05, bw -0.94 / -0.33 / -0.17 / -0.12 dB;
#: every pixel afresh (as ImageMagick) +0.08 / -0.02 / -0.15 dB. On a 20 x 20 sprite
#: moving over a 240 x 180 photo (10 frames), every pixel afresh took 4.6x the bytes of
#: the kept pixels (PICO-8) and changed 25 % of the unchanged pixels between frames; at
#: 3, 1.08x and 0.5 %. The tiny GIF's bytes at 3: 0.77x / 0.68x / 0.69x ImageMagick's.
REDITHERED_NEAR = 3
#: Pixels (about) of each band of rows :meth:`GlobalPlan._favoured` maps at a time: the
#: scans for runs keep some 50 bytes a pixel (each pixel's Lab colour, twice, its place in
#: the colour table, distances). Three pages of 2480 x 3508 (A4 at 300 dpi) of a TIFF at
#: k = 8 peaked at 793 MB scanned whole; in bands, their pairs counted in parts as well
#: (:class:`~quantize.animation.stats.FrameStats`), at 406 MB, the same file.
FAVOUR_BAND_PIXELS = 1 << 20
#: How a ``quality`` search measures the frames (in the words of its warning and error):
#: on their pooled colours, each on its nearest entry, not on the frames as written,
#: whose pixels may take a neighbour's or the previous frame's entry (undithered,
#: :data:`RUN_TOLERANCE`) or be dithered. A 40-frame pan whose search reached a mean
#: CIEDE2000 of 2.198 was written at 2.28, the figure of the summary line.
POOLED_NEAREST = "with each colour of the frames on its nearest entry"
#: With a palette per frame, a pixel identical to the previous frame is left on the
#: canvas only in a row or column of at least this many such pixels: scattered ones
#: (on a pan, colours that happen to repeat) would have to be marked transparent
#: among redrawn pixels, breaking LZW's runs, so they are redrawn instead when
#: that codes smaller.
STILL_RUN = 16
#: With a palette per frame, a frame of 2**n colours (n >= 1) that uses its transparent
#: entry (for kept or transparent pixels) needs a colour table of 2**(n+1) entries,
#: 2**n - 1 of them unused, and LZW codes one bit wider; it gives up the colour it needs
#: least instead when that takes at most this much (dB) from its PSNR and is estimated to
#: code smaller (2**n - 1 colours and that entry fit a table of 2**n).
FEWER_COLOURS_DB = 0.05
#: Distinct translucent colours :func:`pooled_rgba` holds at most for a palette with
#: alpha: beyond that, it pools them :func:`coarse` (level 3 leaves at most 2**20). 400
#: frames of 320 x 180 with soft alpha held 8.0 M of them and peaked at 837 MB, 100 frames
#: at 361 MB; bounded, both take about 330 MB (``benchmarks/bench_animation_memory.py``).
HELD_TRANSLUCENT = 1 << 21


def split_alpha(frame: Frame) -> tuple[np.ndarray, np.ndarray]:
    """RGB pixels ``(H, W, 3)`` and the opaque mask ``(H, W)`` of a frame."""
    return frame.rgba[..., :3], frame.rgba[..., 3] >= ALPHA_THRESHOLD


def _marker_doubles_table(k: int) -> bool:
    """Whether a transparent entry after ``k`` colours doubles a GIF colour table (``k`` a
    power of two; one colour and that entry fill the smallest table, of two entries).

    >>> [k for k in range(1, 10) if _marker_doubles_table(k)]
    [2, 4, 8]
    """
    return k >= 2 and k & (k - 1) == 0


def _squared_errors(drawn: np.ndarray, rgb: np.ndarray) -> np.ndarray:
    """Squared colour differences ``(...)`` int32 of two ``(..., 3)`` uint8 colour arrays."""
    diff = np.subtract(drawn, rgb, dtype=np.int32)
    return np.einsum("...k,...k->...", diff, diff)


def _dithered_onto(rgb: np.ndarray, opaque: np.ndarray, palette: np.ndarray,
                   dither: float | str, space: str, given: bool = False,
                   fixed: np.ndarray | None = None) -> np.ndarray:
    """Entries ``(H, W)`` of a frame mapped onto ``palette`` by reduce's error diffusion
    (or its ordered dithering, whose matrix is tiled from the canvas's corner in every frame).

    Pixels not ``opaque`` are diffused as reduce diffuses fully transparent ones: they
    pass on no error, so the colour they hide does not reach their neighbours; they
    get entry 0 (the caller writes them transparent).

    A palette fitted to the frames is dithered onto as a fitted still's is (damped); a
    ``given`` one (``palette_in``) as a still is onto a given palette, so that the frames
    keep their tone: the whole error diffused (classic Floyd-Steinberg), or ordered, each
    colour mixed from as many entries as it needs. Ordered dithering maps each pixel on its
    own, so onto a given palette the frame's transparent pixels are left out of it by the
    caller alone, and its opaque ones are mixed as an opaque still's are.

    ``fixed``: ``(H, W)`` entries that opaque pixels keep (-1: free), which error diffusion
    onto a ``given`` palette draws and passes their error on from
    (:func:`_kept_while_diffused`).
    """
    mixed = given and dither in POSITIONAL  # no pixel's entry depends on another's
    alpha = None if mixed or opaque.all() else np.where(opaque, 255, 0).astype(np.uint8)
    # As reduce_colors(palette=palette) maps a still, a palette fitted to the frames
    # dithered as one fitted to the still.
    checked = replace(check_options(None, None, space, dither, False, palette),
                      fitted_palette=not given)
    indices = reduce_checked(np.ascontiguousarray(rgb), alpha, checked,
                             np.random.default_rng(0), fixed=fixed).indices
    indices = indices.astype(np.uint8)  # a copy the caller may edit: the result's is read-only
    indices[~opaque] = 0
    return indices


def _kept_while_diffused(still: np.ndarray, opaque: np.ndarray) -> np.ndarray:
    """The ``still`` pixels (identical to the previous frame's) that keep their entries when
    a frame is diffused onto a given palette: those farther than :data:`REDITHERED_NEAR`
    pixels, in rows or columns, from every ``opaque`` pixel that changed. The others are
    diffused afresh with the changed ones.

    >>> still = np.ones((2, 10), bool); still[0, 4] = False
    >>> _kept_while_diffused(still, np.ones((2, 10), bool)).astype(int).tolist()
    [[1, 0, 0, 0, 0, 0, 0, 0, 1, 1], [1, 0, 0, 0, 0, 0, 0, 0, 1, 1]]
    """
    from scipy import ndimage

    near = ndimage.maximum_filter(opaque & ~still, size=2 * REDITHERED_NEAR + 1,
                                  mode="constant", cval=False)
    return still & ~near


def _features(colors: np.ndarray, space: str) -> np.ndarray:
    return srgb_to_lab(colors) if space == "lab" else colors.astype(np.float32)


def _run_features(colors: np.ndarray) -> np.ndarray:
    """``(m, 7)`` float32: straight RGBA uint8 ``colors`` as :class:`AlphaPlan` favours runs
    and holds entries by them (:data:`RUN_TOLERANCE`, CIE76): their Lab composited on black,
    then on white, then alpha scaled to 0..100 (:func:`~quantize.colors.shown_features`),
    so that a squared distance adds the squared differences seen on either page and
    alpha's; a fully transparent colour shows black, then white, alpha 0.

    Premultiplied Lab with alpha measured the error on black and alpha's, not what shows
    on white: on a 20-frame sprite with a soft shadow at 256 colours, pixels of the shadow
    took entries up to 5 alpha apart, and the frames were 4.6 dB behind the same palette
    mapped as a still on white (0.1 dB on black); counted on both pages they are 1.0 dB.

    >>> shadows = np.array([[0, 0, 0, 0], [0, 0, 0, 128]], np.uint8)
    >>> (_run_features(shadows).astype(float).round(1) + 0.0).tolist()
    [[0.0, 0.0, 0.0, 100.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 53.2, 0.0, 0.0, 50.2]]
    """
    return shown_features(colors, "lab")


def _nearest_of_codes(codes: np.ndarray, palette: np.ndarray, space: str) -> np.ndarray:
    """The nearest entry of ``palette`` to each colour code of ``codes`` (1-D), each distinct
    colour looked up once."""
    if codes.size == 0:
        return np.zeros(0, np.intp)
    distinct, at = np.unique(codes, return_inverse=True)
    return nearest(_features(unpack_rgb(distinct), space),
                   _features(palette, space))[at.ravel()]


def _nearest_of_pixels(codes: np.ndarray, opaque: np.ndarray, palette: np.ndarray,
                       space: str) -> np.ndarray:
    """The nearest entry ``(H, W)`` uint8 of ``palette`` to each pixel of colour ``codes``
    ``(H, W)``, each distinct opaque colour looked up once; a pixel not ``opaque`` takes
    the entry of the first opaque colour at or after its own in sorted order (the last
    one's past them all; entry 0 when none is opaque): the caller marks it transparent.

    One sort gives the opaque colours and their pixels' rows (a search of every pixel's
    code in them took three times as long on a 380 x 260 frame).

    >>> codes = np.array([[0x000000, 0xffffff, 0x0000ff]])
    >>> _nearest_of_pixels(codes, np.array([[True, True, False]]),
    ...                    np.array([[250, 250, 250], [5, 5, 5]], np.uint8), "rgb").tolist()
    [[1, 0, 0]]
    """
    opaque_codes = codes[opaque]
    if opaque_codes.size == 0:  # nothing opaque: every pixel is marked transparent
        return np.zeros(codes.shape, np.uint8)
    distinct, _, rows = sorted_code_histogram(opaque_codes)
    labels = nearest(_features(unpack_rgb(distinct), space),
                     _features(palette, space)).astype(np.uint8)
    indices = np.empty(codes.shape, np.uint8)
    indices[opaque] = labels[rows]
    if not opaque.all():  # their colours may lie past the last opaque one
        hidden = ~opaque
        at = np.minimum(sorted_search(distinct, codes[hidden]), distinct.size - 1)
        indices[hidden] = labels[at]
    return indices


def _drawn_error(palette: np.ndarray, indices: np.ndarray, colors: np.ndarray,
                 counts: np.ndarray, rows: np.ndarray, rgb: np.ndarray,
                 drawn: np.ndarray) -> int:
    """Squared RGB error summed of the ``drawn`` pixels of ``rgb`` ``(H, W, 3)``, drawn with
    entries ``indices`` ``(n,)`` of ``palette`` (in the mask's order). Their distinct
    ``colors`` (``counts`` pixels each, the ``i``-th pixel of colour ``rows[i]``) are
    weighed once each when each is drawn with one entry, as in undithered frames.
    """
    entry = np.zeros(colors.shape[0], indices.dtype)
    entry[rows] = indices
    if np.array_equal(entry[rows], indices):
        return int(counts @ _squared_errors(palette[entry], colors))
    return int(_squared_errors(palette[indices], rgb[drawn]).sum())


def _spread(palette: np.ndarray, colors: np.ndarray, counts: np.ndarray,
            opts: AnimationOptions) -> np.ndarray:
    """A palette fitted to ``colors`` moved outwards for dithering, as a still's is
    (:func:`quantize.reduce.fit.spread_for_dither`); as it is without dithering or
    with ``exact_colors``."""
    strength = spread_strength(opts.dither, palette.shape[0])
    if strength <= 0 or opts.exact_colors or palette.shape[0] < 2:
        return palette
    hist = Histogram(colors, counts, opts.space)  # its features: the colours' _features
    labels = nearest(hist.features, _features(palette, opts.space))
    spread = spread_for_dither(palette, hist, labels, strength)
    n_fixed = _n_fixed(opts)
    if n_fixed and spread is not palette:  # the fixed colours stay as they are
        spread = spread.copy()
        spread[:n_fixed] = palette[:n_fixed]
    return spread


def _n_fixed(opts: AnimationOptions) -> int:
    """How many fixed colours (``opts.fixed_colors``) the fitted palette begins with."""
    return 0 if opts.fixed_colors is None else int(opts.fixed_colors.shape[0])


@dataclass(frozen=True)
class Pooled:
    """The colour histogram of all frames' opaque pixels.

    ``codes`` are the distinct 24-bit colours (sorted), ``counts`` their
    pixels over all frames, ``moving`` their pixels that differ from the same
    pixel of the previous frame (what difference frames store), and
    ``transparent`` whether any pixel is transparent.
    """

    codes: np.ndarray
    counts: np.ndarray
    moving: np.ndarray
    transparent: bool


def pooled_histogram(frames: Iterator[Frame]) -> Pooled:
    """Pool the colour histograms of all frames' opaque pixels, one frame at a time."""
    return pooled_rgba(frames, partial_alpha=False).binary()


@dataclass(frozen=True)
class PooledRGBA:
    """The histogram of all frames' visible pixels (alpha above 0), with their alpha.

    ``words`` are the distinct straight RGBA colours as 32-bit words (sorted;
    ``rgba.view("<u4")``, alpha in the top byte), ``counts`` their pixels over all
    frames, ``moving`` their pixels that differ from the same pixel of the previous
    frame; ``transparent``: some pixel has alpha below :data:`ALPHA_THRESHOLD` (drawn
    transparent with binary transparency), ``clear``: some pixel has alpha 0.
    """

    words: np.ndarray
    counts: np.ndarray
    moving: np.ndarray
    transparent: bool
    clear: bool
    #: The :func:`coarse` level of the translucent words (0: exact).
    level: int = 0

    @property
    def colors(self) -> np.ndarray:
        """The distinct colours ``(m, 4)`` uint8, straight RGBA."""
        return self.words.astype("<u4").view(np.uint8).reshape(-1, 4)

    @property
    def translucent(self) -> bool:
        """Whether some pixel has alpha strictly between 0 and 255."""
        return bool((self.colors[:, 3] < 255).any())

    def binary(self) -> Pooled:
        """The :class:`Pooled` histogram of the pixels drawn opaque with binary transparency
        (alpha of at least :data:`ALPHA_THRESHOLD`), by 24-bit code."""
        colors = self.colors
        drawn = colors[:, 3] >= ALPHA_THRESHOLD
        codes = pack_rgb(colors[drawn, :3])
        distinct, n = merge_counts([codes], [self.counts[drawn]])
        _, moving = merge_counts([codes], [self.moving[drawn]])
        return Pooled(distinct, n, moving, self.transparent)


def one_table_holds(animation: OpenAnimation, opts: AnimationOptions) -> bool:
    """Whether one colour table holds every colour the opaque pixels (alpha
    :data:`ALPHA_THRESHOLD` and up) of all the frames of ``animation`` draw: at most
    ``n_colors`` of them, and 255 beside transparent pixels. Palettes per frame would
    then draw every frame exactly, as one shared palette does, which needs no table per
    frame. Frames are read until the colours outnumber that.
    """
    k = opts.n_colors or DEFAULT_COLORS
    # A flag per 24-bit code: a frame's colours are looked up, and only those not seen
    # before sorted (the union of each frame's sorted colours took 1.3 of 7.2 s on 300
    # frames of 640 x 360 in 175 colours).
    seen = np.zeros(1 << 24, bool)
    n_seen = 0
    transparent = False
    for frame in animation.frames():
        rgb, opaque = split_alpha(frame)
        codes = pack_rgb(rgb).ravel()
        if not opaque.all():
            transparent = True
            codes = codes[opaque.ravel()]
        fresh = np.unique(codes[~seen[codes]])
        seen[fresh] = True
        n_seen += fresh.size
        if n_seen > (min(k, MAX_PALETTE - 1) if transparent else k):
            return False
    return True


def pooled_rgba(frames: Iterator[Frame], *, partial_alpha: bool = True) -> PooledRGBA:
    """Pool the RGBA histograms of all frames' visible pixels, one frame at a time.

    Memory stays bounded however many frames there are. With ``partial_alpha``, for a
    palette with alpha (:class:`AlphaPlan`), at most :data:`HELD_TRANSLUCENT` distinct
    translucent colours are held: once they outnumber that, translucent colours are
    pooled :func:`coarse` (``level`` of the result), one level more each time. Without
    it, pixels are pooled as a palette without alpha draws them (:meth:`PooledRGBA.binary`):
    those with alpha of at least :data:`ALPHA_THRESHOLD` as opaque, the others not at
    all. Opaque colours stay exact (there are at most 2**24 of them).
    """
    parts: list[np.ndarray] = []
    counts: list[np.ndarray] = []
    moved: list[np.ndarray] = []
    moved_counts: list[np.ndarray] = []
    transparent = clear = False
    previous = None
    shown: tuple[np.ndarray, np.ndarray, int] | None = None  # the last frame's, and its level
    level = 0
    for frame in frames:
        rgba = frame.rgba
        # compared once: the box, and within it the pixels whose words moved
        differ = None if previous is None else ~same_pixels(rgba, previous)
        box = _whole(rgba) if differ is None else _box_of(differ)
        alpha = rgba[box][..., 3]  # the other pixels were looked at in an earlier frame
        transparent |= bool((alpha < ALPHA_THRESHOLD).any())
        clear |= not (alpha > 0).all()
        words, counted = _pooled_words(rgba[box], level, partial_alpha)
        shown = _frame_histogram(rgba, previous, box, (words, counted), shown, level,
                                 partial_alpha)
        parts.append(shown[0])
        counts.append(shown[1])
        merge_if_many(parts, counts, _MERGE_FROM)
        if differ is not None:
            _count(words[differ[box] & counted], moved, moved_counts)
        previous = rgba
        if partial_alpha and len(parts) == 1:  # merged, or the first frame alone
            level = _rounded(parts, counts, level)
    if len(parts) > 1:
        merge_pending(parts, counts)
    if partial_alpha and parts:
        level = _rounded(parts, counts, level)
    words, n = merge_counts(parts, counts)
    moving_words, moving_n = merge_counts([coarse(part, level) for part in moved],
                                          moved_counts)
    moving = np.zeros(words.size, np.int64)
    moving[np.searchsorted(words, moving_words)] = moving_n
    return PooledRGBA(words, n, moving, transparent, clear, level)


def changed_box(rgba: np.ndarray, previous: np.ndarray) -> tuple[slice, slice]:
    """Rows and columns holding every pixel of the ``(H, W, 4)`` frame ``rgba`` that differs
    from the same pixel of ``previous`` (empty slices when none does): outside them the
    frame shows what ``previous`` shows."""
    return _box_of(~same_pixels(rgba, previous))


def _box_of(changed: np.ndarray) -> tuple[slice, slice]:
    """The rows and columns of :func:`changed_box` holding every pixel set in the
    ``(H, W)`` mask ``changed``."""
    if not changed.any():
        return slice(0, 0), slice(0, 0)
    left, top, right, bottom = bounding_box(changed)
    return slice(top, bottom), slice(left, right)


def _widened(box: tuple[slice, slice], by: int, shape: tuple[int, ...]
             ) -> tuple[slice, slice]:
    """A :func:`changed_box` grown by ``by`` rows and columns on every side, within an
    image of ``shape`` ``(H, W, ...)``; an empty box stays empty.

    >>> _widened((slice(2, 4), slice(0, 1)), 3, (10, 5))
    (slice(0, 7, None), slice(0, 4, None))
    """
    if _area(box) == 0:
        return box
    rows, cols = box
    return (slice(max(rows.start - by, 0), min(rows.stop + by, shape[0])),
            slice(max(cols.start - by, 0), min(cols.stop + by, shape[1])))


def _whole(image: np.ndarray) -> tuple[slice, slice]:
    """Every row and column of an ``(H, W, ...)`` image, as :func:`changed_box` gives a box."""
    return slice(0, image.shape[0]), slice(0, image.shape[1])


def _area(box: tuple[slice, slice]) -> int:
    """Pixels in the rows and columns of a :func:`changed_box`."""
    return (box[0].stop - box[0].start) * (box[1].stop - box[1].start)


def small_box(box: tuple[slice, slice] | None, image: np.ndarray) -> bool:
    """Whether a :func:`changed_box` (None: not known) holds at most half the pixels of
    the ``(H, W, ...)`` ``image``: a frame's counts are then recounted from the previous
    frame's over the box, which costs less than counting every pixel again."""
    return box is not None and 2 * _area(box) <= image.shape[0] * image.shape[1]


def _pooled_words(rgba: np.ndarray, level: int, partial_alpha: bool
                  ) -> tuple[np.ndarray, np.ndarray]:
    """The words ``(H, W)`` :func:`pooled_rgba` counts for these pixels, :func:`coarse` at
    ``level``, and the mask of those it counts: the visible ones, or without
    ``partial_alpha``, those drawn opaque (their words made opaque)."""
    alpha = rgba[..., 3]
    words = coarse(_words(rgba), level)
    if not partial_alpha:
        return words | np.uint32(0xFF000000), alpha >= ALPHA_THRESHOLD  # a copy: the frame's
    return words, alpha > 0


def _frame_histogram(rgba: np.ndarray, previous: np.ndarray | None, box: tuple[slice, slice],
                     boxed: tuple[np.ndarray, np.ndarray],
                     shown: tuple[np.ndarray, np.ndarray, int] | None, level: int,
                     partial_alpha: bool) -> tuple[np.ndarray, np.ndarray, int]:
    """The histogram of the words :func:`pooled_rgba` counts in the frame ``rgba`` (sorted
    distinct words and their int64 counts) and ``level``, the words' :func:`coarse` level.

    ``boxed``: :func:`_pooled_words` of the pixels in ``box``, outside which the frame
    shows what ``previous`` shows. When the box is at most half the frame, the histogram
    ``shown`` of ``previous`` (and its level) is recounted over it
    (:func:`~quantize.animation.stats.recounted`): the same histogram, from the pixels
    that changed only (a sprite moving on a large canvas costs what the sprite does).
    """
    words, counted = boxed
    if shown is None or previous is None or not small_box(box, rgba):
        if _area(box) < rgba.shape[0] * rgba.shape[1]:
            words, counted = _pooled_words(rgba, level, partial_alpha)
        return (*np.unique(words[counted], return_counts=True), level)
    keys, n, at = shown
    if at != level:  # coarse at a higher level pools the words as coarse from the start does
        keys, n = merge_counts([coarse(keys, level)], [n])
    was, was_counted = _pooled_words(previous[box], level, partial_alpha)
    return (*recounted(keys, n, words[counted], was[was_counted]), level)


def coarse(words: np.ndarray, level: int) -> np.ndarray:
    """RGBA words (:func:`_words`) with the ``level`` low bits of each channel of the
    translucent ones (alpha below 255) set to the middle of their range, alpha kept
    below 255: colours that differ only in those bits pooled as one. Opaque words are
    kept. Level 8 pools every translucent colour as one.

    >>> w = np.array([[10, 20, 30, 255], [10, 20, 30, 254], [11, 22, 31, 200]], np.uint8)
    >>> coarse(w.view("<u4")[:, 0], 2).view(np.uint8).reshape(-1, 4).tolist()
    [[10, 20, 30, 255], [10, 22, 30, 254], [10, 22, 30, 202]]
    """
    if level == 0:
        return words
    low = (1 << level) - 1
    pooled = (words & np.uint32(~(low * 0x01010101) & 0xFFFFFFFF)
              | np.uint32((1 << (level - 1)) * 0x01010101))
    pooled -= np.where(pooled >= 0xFF000000, np.uint32(1 << 24), np.uint32(0))  # < 255
    return np.where(words >= 0xFF000000, words, pooled)


def _rounded(parts: list[np.ndarray], counts: list[np.ndarray], level: int) -> int:
    """Pool the colours of ``parts``, merged as one, :func:`coarse` a level more while more
    than :data:`HELD_TRANSLUCENT` of them are translucent; the level reached."""
    while level < 8 and _translucent(parts[0]) > HELD_TRANSLUCENT:
        level += 1
        keys, total = merge_counts([coarse(parts[0], level)], counts)
        parts[:], counts[:] = [keys], [total]
    return level


def _translucent(words: np.ndarray) -> int:
    """How many of ``words`` (:func:`_words`) have alpha below 255."""
    return int(np.count_nonzero(words < 0xFF000000))


def _words(rgba: np.ndarray) -> np.ndarray:
    """``(H, W)`` uint32: each pixel's straight RGBA as one word, alpha in the top byte."""
    return np.ascontiguousarray(rgba).view("<u4")[..., 0]


def _count(codes: np.ndarray, parts: list[np.ndarray], counts: list[np.ndarray]) -> None:
    """Append the histogram of ``codes``; merge once many have piled up, or once they hold
    :data:`_MERGE_FROM` colours (:func:`~quantize.animation.stats.merge_if_many`)."""
    distinct, n = np.unique(codes, return_counts=True)
    parts.append(distinct)
    counts.append(n)
    merge_if_many(parts, counts, _MERGE_FROM)


#: Colours :func:`_count` holds in parts not yet merged at most: 16 frames of 4K with
#: soft alpha would hold over 100 M of them.
_MERGE_FROM = 1 << 22


def _colours_held(transparent: bool, suffix: str) -> int:
    """The most colours a fitted palette takes in an animation written as ``suffix``:
    :data:`MAX_PALETTE`, less the entry of ``transparent`` pixels in a format whose frames
    are palette images (GIF, APNG: :func:`~quantize.animation.sinks.palette_frames`); a
    WebP's frames and a TIFF's pages, RGBA, hold all 256 beside it, as a given palette's.
    (A palette fitted with partial alpha, :class:`AlphaPlan`, numbers its pixels in 8
    bits, the transparent entry among them: 255 beside it in any format.)

    >>> _colours_held(True, ".gif"), _colours_held(True, ".webp"), _colours_held(False, ".gif")
    (255, 256, 256)
    """
    return MAX_PALETTE - (transparent and palette_frames(suffix))


def _room(transparent: bool, k: int, name: str, suffix: str) -> None:
    """Refuse a given palette with more colours than a table holds beside a transparent entry,
    in a format whose frames are palette images (:func:`~quantize.animation.sinks.palette_frames`).

    ``name`` names the palette: ``palette_in='brand.hex'`` or ``palette_in``.
    """
    if transparent and k > MAX_PALETTE - 1 and palette_frames(suffix):
        raise ValueError(f"{name} holds {k} colours, more than an animation with "
                         f"transparency holds: at most {MAX_PALETTE - 1} colours"
                         f"{kept_for_transparency(True)}")


@dataclass
class GlobalPlan:
    """One palette for every frame, fitted on the pooled histogram of all frames."""

    palette: np.ndarray                 # (k, 3) uint8
    transparent: int | None             # entry of transparent pixels (k) or None
    space: str
    codes: np.ndarray = field(repr=False)  # distinct opaque colours of all frames, sorted
    lab: np.ndarray = field(repr=False)    # their Lab colours
    table: np.ndarray = field(repr=False)  # entry of every 24-bit colour code
    exact: bool = False                    # every colour is an entry: map them exactly
    #: the LZW data of the frames' estimated bytes, which the GIF writer reuses (None:
    #: not held, for an output that is not a GIF)
    lzw: RecentCodes | None = field(default_factory=RecentCodes, repr=False, compare=False)
    #: the palette was given (``palette_in``), not fitted to the frames nor to colours like
    #: theirs (``palette_fitted``): dithered onto as a still is onto a given palette
    #: (:func:`_dithered_onto`)
    given: bool = False
    #: what the most colours allowed reach, when ``quality`` was out of their reach and
    #: their palette, meeting ``quality_limit``, was kept (None otherwise)
    reached: QualityReached | None = field(default=None, compare=False)
    #: what set the k of a ``quality`` met (:func:`~quantize.reduce.quality.quality_bound`;
    #: None otherwise)
    quality_bound: str | None = field(default=None, compare=False)
    #: every pixel takes its nearest entry (``nearest``): none takes its left neighbour's
    #: or the previous frame's for runs
    nearest: bool = False

    @classmethod
    def fit(cls, animation: OpenAnimation, opts: AnimationOptions, pooled: Pooled | None = None
            ) -> GlobalPlan:
        """Read every frame of ``animation`` once, pool the histograms and fit (or take) the
        palette (``pooled``: the histogram, when the frames were read already)."""
        if pooled is None:
            pooled = pooled_histogram(animation.frames())
        codes, counts, transparent = pooled.codes, pooled.counts, pooled.transparent
        colors = unpack_rgb(codes)
        reached = bound = None
        if opts.palette_in is not None and opts.palette_in.shape[0] == 0 and codes.size:
            raise ValueError(f"{opts.palette_name} has no entry with alpha >= "
                             f"{ALPHA_THRESHOLD}, but the animation has opaque pixels; an "
                             "animation draws its pixels opaque or transparent, so it needs "
                             "at least one opaque colour")
        if opts.palette_in is not None and opts.palette_in.shape[0]:
            _room(transparent, opts.palette_in.shape[0], opts.palette_name, opts.suffix)
            palette = opts.palette_in
        elif codes.size == 0:  # every pixel of every frame is transparent (and a given
            # palette has no opaque entry, as a palette written of such an animation)
            if opts.palette_in is None and opts.quality is None:
                warn_few_colors(0, opts.n_colors, "all the frames together have")
            palette = np.zeros((1, 3), np.uint8)
        elif opts.quality is not None:
            palette, reached, bound = _search_quality(colors, counts, opts,
                                                      _colours_held(transparent, opts.suffix),
                                                      animation.path)
        else:  # asked for 256 with transparency: 255 colours and the transparent entry
            # in a GIF or an APNG (:func:`_colours_held`)
            n_fixed = _n_fixed(opts)
            k = min(opts.n_colors, _colours_held(transparent, opts.suffix),
                    colors.shape[0] + n_fixed)
            if k < opts.n_colors and k == colors.shape[0] and not n_fixed:  # the -k asked
                warn_few_colors(k, opts.n_colors, "all the frames together have")  # not 255
            palette = fit_palette(colors, counts, max(k, n_fixed), space=opts.space,
                                  exact_colors=opts.exact_colors, seed=opts.rng,
                                  fixed_colors=opts.fixed_colors)
        if opts.palette_in is None and codes.size:
            palette = _spread(palette, colors, counts, opts)
        labels = (nearest(_features(colors, opts.space), _features(palette, opts.space))
                  if codes.size else np.zeros(0, np.intp))
        if opts.palette_in is None:
            palette, labels = _moving_first(palette, labels, pooled, _n_fixed(opts))
        exact = bool(np.isin(codes, pack_rgb(palette)).all())
        return cls(palette, palette.shape[0] if transparent else None, opts.space, codes,
                   srgb_to_lab(colors), code_table(codes, labels, np.uint8), exact,
                   RecentCodes() if opts.suffix == ".gif" else None,
                   given=opts.palette_in is not None and not opts.palette_fitted,
                   reached=reached, quality_bound=bound)

    @property
    def k(self) -> int:
        return int(self.palette.shape[0])

    @staticmethod
    def split(frame: Frame) -> tuple[np.ndarray, np.ndarray]:
        """The pixels :meth:`GlobalPlan.map` takes, and the mask of those drawn
        (:func:`split_alpha`)."""
        return split_alpha(frame)

    def table_palette(self) -> np.ndarray:
        """The colour table written: the palette, plus a black entry for transparency."""
        if self.transparent is None:
            return self.palette
        return np.vstack([self.palette, np.zeros((1, 3), np.uint8)])

    def map(self, rgb: np.ndarray, opaque: np.ndarray,
            previous: tuple[np.ndarray, np.ndarray] | None, dither: float | str,
            stats: FrameStats, box: tuple[slice, slice] | None = None
            ) -> tuple[np.ndarray, None, int | None, None]:
        """Entries of a frame's pixels; the palette is the global one (returned as None).

        A pixel equal to the previous frame's pixel (``previous`` = (rgba,
        indices) of that frame) keeps its entry, so static areas neither
        shimmer nor get redrawn; error diffused onto a given palette, only farther
        than :data:`REDITHERED_NEAR` from the pixels that changed, the others being
        diffused afresh with them, while the kept ones pass on their error
        (:func:`_kept_while_diffused`). Undithered, a pixel whose colour is an entry
        takes it; the other pixels take their
        nearest entry, or the entry of the pixel to their left when that is
        within :data:`RUN_TOLERANCE` (:func:`_favour_runs`); or, when that
        stores the frame in fewer bytes, the entry they had in the previous
        frame when that is within :data:`RUN_TOLERANCE` (:func:`_hold_entries`);
        with :attr:`GlobalPlan.nearest`, each takes its nearest entry, as a still's do.
        When every colour is an entry (fewer colours than asked for, or a
        given palette holding them all), each pixel takes its own: lossless.

        ``box``: the rows and columns outside which the frame shows what ``previous``
        shows (:func:`changed_box`), None when not known. When it is at most half the
        frame, only its pixels are mapped (undithered: dithered, the whole frame is
        diffused, as error reaches the box from the pixels around it) and counted in
        ``stats``; the others keep their entries, as they would anyway. A small sprite
        moving on a large canvas then costs what the sprite does. Pixels diffused afresh
        near the changes count with the box's.
        """
        entry_codes = pack_rgb(self.palette)
        if box is not None and self._diffused_afresh(dither):
            box = _widened(box, REDITHERED_NEAR, opaque.shape)
        if previous is None or not small_box(box, opaque):
            indices, codes = self._entries(rgb, opaque, previous, dither)
            stats.add_pixels(codes[opaque], entry_codes[indices[opaque]], keep=True)
            return indices, None, self.transparent, None
        prev_rgba, prev_indices = previous
        if dither:
            indices, _ = self._entries(rgb, opaque, previous, dither)
        else:  # and the column before the box, whose entries its rows' first pixels may take
            around = box[0], slice(max(box[1].start - 1, 0), box[1].stop)
            indices = prev_indices.copy()
            indices[around], _ = self._entries(rgb[around], opaque[around],
                                               (prev_rgba[around], prev_indices[around]), 0)
        was, was_opaque = prev_rgba[box], prev_rgba[box][..., 3] >= ALPHA_THRESHOLD
        now = opaque[box]
        stats.add_changed((pack_rgb(was[..., :3])[was_opaque],
                           entry_codes[prev_indices[box][was_opaque]]),
                          (pack_rgb(rgb[box])[now], entry_codes[indices[box][now]]))
        return indices, None, self.transparent, None

    def _entries(self, rgb: np.ndarray, opaque: np.ndarray,
                 previous: tuple[np.ndarray, np.ndarray] | None, dither: float | str
                 ) -> tuple[np.ndarray, np.ndarray]:
        """The entries ``(H, W)`` of :meth:`GlobalPlan.map` for these pixels (a whole
        frame, or its box and the column before it), and their 24-bit colour codes."""
        codes = pack_rgb(rgb)
        still = np.zeros(opaque.shape, bool)
        if previous is not None:
            prev_rgba, prev_indices = previous
            still = same_pixels(prev_rgba[..., :3], rgb) & opaque
            still &= prev_rgba[..., 3] >= ALPHA_THRESHOLD  # it was drawn, not transparent
        fixed = None
        if previous is not None and self._diffused_afresh(dither):
            still = _kept_while_diffused(still, opaque)
            fixed = np.where(still, prev_indices.astype(np.intp), -1)
        if dither == 0:
            indices = self.table[codes]
        else:
            indices = _dithered_onto(rgb, opaque, self.palette, dither, self.space,
                                     given=self.given, fixed=fixed)
        if previous is not None:
            indices[still] = prev_indices[still]
        if dither == 0 and self.codes.size and not (self.exact or self.nearest):
            entry_codes = pack_rgb(self.palette)
            free = opaque & ~still & (entry_codes[indices] != codes)
            indices = self._favoured(indices, codes, free, opaque, previous)
        return indices, codes

    def _diffused_afresh(self, dither: float | str) -> bool:
        """Whether frames are error-diffused onto a given palette: still pixels near the
        changes are then diffused afresh with them (:func:`_kept_while_diffused`)."""
        return self.given and bool(dither) and dither not in POSITIONAL

    def _favoured(self, indices: np.ndarray, codes: np.ndarray, free: np.ndarray,
                  opaque: np.ndarray, previous: tuple[np.ndarray, np.ndarray] | None
                  ) -> np.ndarray:
        """``indices`` (of pixels of colour ``codes``) with the ``free`` pixels taking
        their left neighbour's entry (:func:`_favour_runs`) or, those drawn in the
        ``previous`` frame (rgba, indices), their entry there (:func:`_hold_entries`).

        Only the box of the free pixels is looked at, from the column before it, whose
        fixed entries the first free pixel of a row may take: the other pixels keep their
        entries, so a small sprite moving on a large canvas costs what the sprite does.

        The box is scanned in bands of rows (:data:`FAVOUR_BAND_PIXELS`), as each row is
        scanned on its own, so that a large page holds the scans' arrays of one band; which
        of the two frames is smaller is decided on the whole frame, as for one band.
        """
        box = _scan_box(free)
        if box is None:
            return indices
        palette_lab = srgb_to_lab(self.palette)
        mapped = indices.copy()
        holding = None if previous is None else indices.copy()
        held_any = False
        for band in _bands(box, indices.shape):
            at = sorted_search(self.codes, codes[band])
            at[~opaque[band]] = 0  # transparent pixels: any colour, overwritten by the caller
            lab = self.lab.take(at, axis=0)
            pieces = _Pieces.gathered(self.lab, at, opaque[band])  # for both scans
            nearest_sq = _squared_distances(lab, palette_lab, indices[band])
            mapped[band] = _favour_runs(indices[band], lab, palette_lab, free[band],
                                        nearest_sq, drawn=opaque[band], pieces=pieces)
            if holding is None or previous is None:
                continue
            prev_rgba, prev_indices = previous
            held = free[band] & (prev_rgba[band][..., 3] >= ALPHA_THRESHOLD)
            held_band = _holding(indices[band], prev_indices[band], held, lab, palette_lab,
                                 nearest_sq, drawn=opaque[band], pieces=pieces)
            held_any |= held_band is not None
            holding[band] = mapped[band] if held_band is None else held_band
        if holding is None or previous is None or not held_any:
            return mapped
        return _smaller_change(mapped, holding, previous[1], palette_lab.shape[0], opaque,
                               self.lzw)


def _bands(box: tuple[slice, slice], shape: tuple[int, ...]
           ) -> Iterator[tuple[slice, slice]]:
    """``box`` (rows and columns of an image of ``shape`` ``(H, W, ...)``) cut into bands
    of whole rows of at most :data:`FAVOUR_BAND_PIXELS` pixels (one row at least).

    >>> [rows for rows, _ in _bands((slice(0, 5), slice(None)), (9, 1 << 19))]
    [slice(0, 2, None), slice(2, 4, None), slice(4, 5, None)]
    """
    top, bottom, _ = box[0].indices(shape[0])
    left, right, _ = box[1].indices(shape[1])
    step = max(FAVOUR_BAND_PIXELS // max(right - left, 1), 1)
    for at in range(top, bottom, step):
        yield slice(at, min(at + step, bottom)), box[1]


def _scan_box(free: np.ndarray) -> tuple[slice, slice] | None:
    """Rows and columns ``(H, W)`` holding every ``free`` pixel, and the column before
    them (whose pixel a row's first free pixel compares with); None when none is free."""
    if not free.any():
        return None
    left, top, right, bottom = bounding_box(free)
    return slice(top, bottom), slice(max(left - 1, 0), right)


def global_plan(animation: OpenAnimation, opts: AnimationOptions,
                pooled: PooledRGBA | None = None) -> GlobalPlan | AlphaPlan:
    """Read every frame of ``animation`` once and fit one palette for all of them: with alpha
    (:class:`AlphaPlan`) when some pixel is translucent and the output holds partial alpha
    (an APNG, a WebP or a TIFF's pages, not a GIF), or with a given palette such frames
    mapped onto it as a still's (:meth:`AlphaPlan.given`, when it leaves room for the
    transparent entry); else with binary transparency (:class:`GlobalPlan`). ``pooled``:
    the frames' :func:`pooled_frames`, when read already (a search fitting several k)."""
    with_alpha = _with_alpha(opts)
    given = opts.palette_in
    if pooled is None:
        pooled = pooled_frames(animation, opts)
    if with_alpha and pooled.translucent and given is None:
        plan: GlobalPlan | AlphaPlan = AlphaPlan.fit(animation, opts, pooled)
    elif given is not None and given.shape[1] == 4:  # translucent entries kept: as a still
        plan = AlphaPlan.given(opts, clear=pooled.clear)
    elif with_alpha and pooled.translucent and given is not None and 0 < len(given) < MAX_PALETTE:
        plan = AlphaPlan.given(opts)
    else:
        plan = GlobalPlan.fit(animation, opts, pooled.binary())
    return replace(plan, nearest=True) if opts.nearest else plan


def pooled_frames(animation: OpenAnimation, opts: AnimationOptions) -> PooledRGBA:
    """Every frame of ``animation`` read once and pooled (:func:`pooled_rgba`), with partial
    alpha where :func:`global_plan` may keep it."""
    return pooled_rgba(animation.frames(), partial_alpha=_with_alpha(opts))


def _with_alpha(opts: AnimationOptions) -> bool:
    """Whether the output holds partial alpha (an APNG, a WebP or a TIFF's pages, not a
    GIF): translucent frames then get an :class:`AlphaPlan`, fitted or given."""
    return partial_alpha_frames(opts.suffix)


@dataclass
class AlphaPlan:
    """One palette with alpha for every frame, fitted on the pooled RGBA histogram of all
    frames as a still's with alpha is (:func:`~quantize.reduce.image.histogram_entries`).

    Colours are clustered premultiplied together with their alpha, so translucent
    pixels get entries with their own alpha; fully transparent pixels (alpha 0) share
    the transparent entry ``[0, 0, 0, 0]`` after the ``k`` colours, and asked for 256
    colours such an animation gets 255 and that entry. Pixels are mapped to their
    nearest entry premultiplied, as a still's are (a faint one may take the
    transparent entry), or with ``dither`` as :func:`~quantize.reduce.reduce_colors`
    diffuses a still with alpha onto the palette fitted to it (damped; the palette is
    the frames' own; a given one, see below); a pixel
    identical to the previous frame's, alpha included, keeps its entry, and undithered
    the others favour runs and the previous frame's entries as :class:`GlobalPlan`'s do,
    by their Lab composited on black and on white, and alpha (:func:`_run_features`),
    unless ``nearest``.

    A palette fitted on colours pooled coarser (``level`` above 0, :func:`pooled_rgba`)
    holds no table of them: each frame's colours are then matched to their nearest
    entries as the frame comes.

    A given palette (``palette_in``, :meth:`AlphaPlan.given`) is not fitted: each frame is
    mapped onto it as a still with alpha is, frame by frame (:meth:`AlphaPlan._dithered`).
    """

    palette: np.ndarray                 # (k, 4) uint8 straight RGBA, alpha >= 1
    transparent: int | None             # entry of fully transparent pixels (k) or None
    space: str
    # The table, empty when ``level`` is above 0:
    words: np.ndarray = field(repr=False)     # distinct RGBA words of visible pixels, sorted
    labels: np.ndarray = field(repr=False)    # their entries, uint8
    features: np.ndarray = field(repr=False)  # their runs' features (_run_features)
    exact: bool = False                       # every colour is an entry: map them exactly
    level: int = 0                            # of the pooled colours (:func:`coarse`)
    #: as :attr:`GlobalPlan.reached`
    reached: QualityReached | None = field(default=None, compare=False)
    #: as :attr:`GlobalPlan.quality_bound`
    quality_bound: str | None = field(default=None, compare=False)
    #: The palette was given (``palette_in``): every frame is mapped onto it as a still is.
    given_palette: bool = False
    #: Dithered onto as a fitted palette (the frames' own, or ``palette_fitted``).
    fitted_palette: bool = True
    #: as :attr:`GlobalPlan.nearest`
    nearest: bool = False

    @classmethod
    def given(cls, opts: AnimationOptions, clear: bool = True) -> AlphaPlan:
        """Map frames onto ``opts.palette_in`` as a still with alpha is mapped onto a given
        palette: each visible pixel takes the entry that looks nearest over black and over
        white (:func:`~quantize.colors.features_of`), a faint one perhaps the transparent
        entry. The entries are the palette's as an animation takes them
        (:func:`~quantize.animation.options.check_animation_options`): RGBA, translucent
        ones kept, when the output keeps partial alpha (every frame is then mapped so), else
        those of alpha 128 and up, opaque (frames with translucent pixels alone are mapped
        so). The transparent entry comes last, where it has room (fewer than
        ``MAX_PALETTE`` entries); onto an RGBA palette, only when some pixel is fully
        transparent (``clear``), as a still's.

        Thresholded at alpha 128 and matched by their straight colour, a translucent
        pixel took the entry nearest its colour made opaque (grey 60 of alpha 130 took
        black), where a still takes the one that looks nearest (grey 128).
        """
        k = len(opts.palette_in)
        palette = (opts.palette_in if opts.palette_in.shape[1] == 4
                   else np.column_stack([opts.palette_in, np.full(k, 255, np.uint8)]))
        transparent = k if clear or opts.palette_in.shape[1] == 3 else None
        none = np.zeros(0, np.uint32)
        return cls(palette, transparent, opts.space, none, none.astype(np.uint8),
                   np.zeros((0, 4)), given_palette=True, fitted_palette=opts.palette_fitted)

    @classmethod
    def fit(cls, animation: OpenAnimation, opts: AnimationOptions,
            pooled: PooledRGBA) -> AlphaPlan:
        """Fit the palette to ``pooled``, the histogram of every frame of ``animation``."""
        hist = Histogram(pooled.colors, pooled.counts.astype(np.float64), opts.space)
        n = (None if opts.n_colors is None and opts.quality is None
             else min(opts.n_colors or MAX_PALETTE, MAX_PALETTE - pooled.clear))
        checked = Options(n, opts.quality, opts.space, opts.dither, opts.exact_colors, None,
                          asked=opts.n_colors, where="all the frames together have",
                          quality_limit=opts.quality_limit)
        try:
            palette, entries, labels, _, reached, bound = histogram_entries(
                hist, pooled.clear, checked, opts.rng)
        except QualityError as exc:
            raise QualityError(exc.reason, path=animation.path) from None
        transparent = palette.shape[0] if pooled.clear else None
        if pooled.level:  # the pooled colours are not the frames': no table of them
            if opts.exact_colors and palette.shape[0]:
                palette = _occurring(animation, opts, palette)
            none = np.zeros(0, np.uint32)
            return cls(palette, transparent, opts.space, none, none.astype(np.uint8),
                       np.zeros((0, 4)), False, pooled.level, reached, quality_bound=bound)
        exact = bool(np.array_equal(entries[labels], hist.colors))
        return cls(palette, transparent, opts.space, pooled.words, labels.astype(np.uint8),
                   _run_features(hist.colors), exact, reached=reached, quality_bound=bound)

    @property
    def k(self) -> int:
        return int(self.palette.shape[0])

    @staticmethod
    def split(frame: Frame) -> tuple[np.ndarray, np.ndarray]:
        """The pixels :meth:`AlphaPlan.map` takes, straight RGBA, and the mask of the visible
        ones."""
        return frame.rgba, frame.rgba[..., 3] > 0

    def table_palette(self) -> np.ndarray:
        """The colour table written ``(n, 4)``: the palette, then the transparent entry."""
        if self.transparent is None:
            return self.palette
        return np.vstack([self.palette, np.zeros((1, 4), np.uint8)])

    def map(self, rgba: np.ndarray, visible: np.ndarray,
            previous: tuple[np.ndarray, np.ndarray] | None, dither: float | str,
            stats: FrameStats) -> tuple[np.ndarray, None, int | None, None]:
        """Entries of a frame's ``(H, W, 4)`` pixels, those not ``visible`` the transparent
        entry; as :meth:`GlobalPlan.map`, with alpha (the palette is the global one)."""
        words = _words(rgba)
        still = np.zeros(visible.shape, bool)
        if previous is not None:
            prev_rgba, prev_indices = previous
            still = same_pixels(prev_rgba, rgba) & visible
        runs = not (self.exact or self.given_palette or self.nearest)
        if dither == 0 and not self.given_palette:
            indices, features = self._nearest(words, with_features=runs)
        else:
            indices = self._dithered(rgba, dither)
        if self.transparent is not None:  # as the caller writes them: they start no run
            indices[~visible] = self.transparent
        if previous is not None:
            indices[still] = prev_indices[still]
        table = self.table_palette()
        table_words = _words(table[None])[0]
        if dither == 0 and runs:
            entries = _run_features(table)
            features[~visible] = _run_features(np.zeros((1, 4), np.uint8))  # what shows there
            nearest_sq = _squared_distances(features, entries, indices)
            free = visible & ~still & (table_words[indices] != words)
            pieces = _Pieces.cut(features, None) if features.shape[1] else None  # both scans
            mapped = _favour_runs(indices, features, entries, free, nearest_sq, pieces=pieces)
            if previous is not None:
                mapped = _hold_entries(mapped, indices, prev_indices, free, features, entries,
                                       nearest_sq, pieces=pieces)
            indices = mapped
        stats.add_pixels(words[visible], table_words[indices[visible]])
        return indices, None, self.transparent, None

    def _nearest(self, words: np.ndarray, with_features: bool
                 ) -> tuple[np.ndarray, np.ndarray | None]:
        """The nearest entry of each of a frame's ``(H, W)`` RGBA ``words`` (uint8), and with
        ``with_features``, their runs' features ``(H, W, 7)`` (:func:`_run_features`): both
        copies the caller may edit. From the plan's table, or without one (fitted on colours pooled
        coarser), from the frame's distinct colours."""
        if self.level == 0:
            at = np.minimum(sorted_search(self.words, words), self.words.size - 1)
            return self.labels[at], self.features.take(at, axis=0) if with_features else None
        distinct, _, rows = sorted_code_histogram(words)
        colors = distinct.astype("<u4").view(np.uint8).reshape(-1, 4)
        matched = features_of(colors, self.space)
        table = features_of(self.table_palette(), self.space)
        labels = nearest(matched, table).astype(np.uint8)
        rows = rows.reshape(words.shape)
        if not with_features:
            return labels[rows], None
        return labels[rows], _run_features(colors).take(rows, axis=0)

    def _dithered(self, rgba: np.ndarray, dither: float | str) -> np.ndarray:
        """Entries ``(H, W)`` of a frame diffused onto the palette as a still with alpha is
        onto the palette fitted to it (``fitted_palette``: damped, as the palette was fitted
        to the frames), or onto a given one (:meth:`AlphaPlan.given`; undithered too, with
        ``dither`` 0), the palette taken as :func:`~quantize.reduce.reduce_colors` takes
        one it is given (ties broken by the entries' order); fully transparent pixels take
        the transparent entry."""
        checked = Options(None, None, self.space, dither, False, self.palette,
                          fitted_palette=self.fitted_palette)
        indices = reduce_checked(np.ascontiguousarray(rgba[..., :3]), rgba[..., 3], checked,
                                 np.random.default_rng(0),
                                 clear_entry=self.transparent is not None).indices
        return indices.astype(np.uint8)  # a copy the caller may edit: the result's is read-only


def _occurring(animation: OpenAnimation, opts: AnimationOptions,
               palette: np.ndarray) -> np.ndarray:
    """The visible colour of the frames of ``animation`` nearest to each entry of ``palette``
    (first found, of those as near): the entries of ``exact_colors`` fitted on colours
    pooled coarser, which the frames may not hold, made colours they do hold. One more
    pass over the frames."""
    target = features_of(palette, opts.space)
    best = np.full(palette.shape[0], np.inf)
    found = palette.copy()
    for frame in animation.frames():
        words = np.unique(_words(frame.rgba)[frame.rgba[..., 3] > 0])
        if words.size == 0:
            continue
        colors = words.astype("<u4").view(np.uint8).reshape(-1, 4)
        features = features_of(colors, opts.space)
        at = nearest(target, features)
        distance = sq_dist_to_labels(target, features, at)
        nearer = distance < best
        best[nearer], found[nearer] = distance[nearer], colors[at[nearer]]
    return found


def _hold_entries(mapped: np.ndarray, nearest_entries: np.ndarray, previous: np.ndarray,
                  free: np.ndarray, lab: np.ndarray, palette_lab: np.ndarray,
                  nearest_sq: np.ndarray | None = None, *,
                  drawn: np.ndarray | None = None,
                  box: tuple[slice, slice] | None = None,
                  pieces: _Pieces | None = None, codes: RecentCodes | None = None
                  ) -> np.ndarray:
    """``mapped``, or the frame with pixels holding their previous entry, whichever is smaller.

    A ``free`` pixel may hold its ``previous`` entry when that entry's squared
    Lab distance to the pixel's colour exceeds its nearest entry's (in
    ``nearest_entries``) by at most ``RUN_TOLERANCE**2``; the other free
    pixels then favour runs as in ``mapped``. Where a source's frames differ
    by noise, held pixels leave the canvas as it is and the frame shrinks to
    what really changed; where everything moves (a pan), the held pixels are
    scattered and would break the runs, so the estimated LZW bytes of the
    changed box (:func:`~quantize.animation.gif.change_bytes`) decide.
    ``nearest_sq``: the squared distances to ``nearest_entries``, if known; ``drawn``:
    the opaque pixels (None: all), the others being written with the transparent entry
    (``k``, as in ``previous``), whatever entry they hold here. ``box``: the rows and
    columns holding every free pixel, to which ``lab`` and ``nearest_sq`` are cut (the
    frame's other arrays are whole); None: the whole frame. ``pieces``: ``lab`` and
    ``drawn`` in that box cut as :func:`_favour_runs` reads them, if cut already.
    ``codes``: where the LZW data encoded for the estimates is held for the writer.
    """
    if box is None:
        box = (slice(None), slice(None))
    held = _holding(nearest_entries[box], previous[box], free[box], lab, palette_lab,
                    nearest_sq, drawn=None if drawn is None else drawn[box], pieces=pieces)
    if held is None:
        return mapped
    # Outside the box no pixel is free: there, as in mapped, every entry is the nearest.
    holding = mapped.copy()
    holding[box] = held
    return _smaller_change(mapped, holding, previous, palette_lab.shape[0], drawn, codes)


def _holding(nearest_entries: np.ndarray, previous: np.ndarray, free: np.ndarray,
             lab: np.ndarray, palette_lab: np.ndarray, nearest_sq: np.ndarray | None, *,
             drawn: np.ndarray | None, pieces: _Pieces | None) -> np.ndarray | None:
    """:func:`_hold_entries`'s frame with pixels holding their previous entry, of rows cut
    as ``lab`` is (every array but ``palette_lab`` of its shape): the ``free`` pixels
    close enough hold their ``previous`` entry, the others favour runs; None when none
    may hold one."""
    if nearest_sq is None:
        nearest_sq = _squared_distances(lab, palette_lab, nearest_entries)
    k = palette_lab.shape[0]
    held = free & (previous < k)  # entry k: the pixel was transparent
    extra = _squared_distances(lab, palette_lab, np.minimum(previous, k - 1)) - nearest_sq
    held &= extra <= RUN_TOLERANCE ** 2
    if not held.any():
        return None
    holding = np.where(held, previous, nearest_entries)
    # The pixels left free keep their nearest entry, so nearest_sq still holds for them.
    return _favour_runs(holding, lab, palette_lab, free & ~held, nearest_sq, drawn=drawn,
                        pieces=pieces)


def _smaller_change(mapped: np.ndarray, holding: np.ndarray, previous: np.ndarray, k: int,
                    drawn: np.ndarray | None, codes: RecentCodes | None) -> np.ndarray:
    """``holding`` when it changes the frame before it (its entries ``previous``) in fewer
    estimated LZW bytes than ``mapped`` (:func:`~quantize.animation.gif.change_bytes`),
    else ``mapped``: frames of ``k`` entries, of which the pixels not ``drawn`` (None: all
    are) are written with entry ``k``."""
    spare = k if k < MAX_PALETTE else None

    def written(entries: np.ndarray) -> np.ndarray:
        return entries if drawn is None else np.where(drawn, entries, k)

    if (change_bytes(written(holding), previous, spare, codes)
            < change_bytes(written(mapped), previous, spare, codes)):
        return holding
    return mapped


def _squared_distances(lab: np.ndarray, palette_lab: np.ndarray, entries: np.ndarray
                       ) -> np.ndarray:
    """Squared Lab distance ``(H, W)`` from each pixel's colour to its entry."""
    flat = sq_dist_to_labels(lab.reshape(-1, lab.shape[-1]), palette_lab, entries.ravel())
    return flat.reshape(entries.shape)


#: Columns a row is cut into for :func:`_favour_runs`'s scan: the pieces of every row
#: are scanned side by side, as rows of their own (a step of the scan handles a column
#: of every piece), so a frame 640 wide takes 64 steps, not 640 of a few NumPy calls.
RUN_PIECE = 64


def _favour_runs(entries: np.ndarray, lab: np.ndarray, palette_lab: np.ndarray,
                 free: np.ndarray, nearest_sq: np.ndarray | None = None, *,
                 drawn: np.ndarray | None = None, pieces: _Pieces | None = None
                 ) -> np.ndarray:
    """Entries ``(H, W)`` that repeat along rows where the colours allow.

    ``entries`` hold each ``free`` pixel's nearest entry and the fixed entry of
    the others. Scanning a row left to right, a free pixel takes the entry of
    the pixel before it instead when that entry's squared Lab distance to the
    pixel's colour ``lab`` (float32) exceeds the nearest entry's by at most
    ``RUN_TOLERANCE**2``. ``nearest_sq``: the free pixels' squared distances to
    their nearest entry, if known. ``drawn``: the pixels whose entry the pixel
    after them may take (None: all); the others (transparent ones, whose entry
    stands for a colour they hide) start no run. ``pieces``: ``lab`` and ``drawn``
    cut as the scan reads them (:class:`_Pieces`), when the caller cut them already.

    Rows are cut into pieces of at most :data:`RUN_PIECE` columns, scanned side by
    side, each from its first pixel's own entry; then the first pixel of each piece
    but the first is decided from the entry the piece before ended with, and the
    pixels after it again as far as their entries change (:func:`_run_rounds`): the
    entries of one scan along the whole row.
    """
    if nearest_sq is None:
        nearest_sq = _squared_distances(lab, palette_lab, entries)
    limit = np.where(free, nearest_sq + RUN_TOLERANCE ** 2, -1.0).astype(np.float32)
    h, w = entries.shape
    if w == 0:
        return entries.copy()
    if pieces is None:
        pieces = _Pieces.cut(lab, drawn)
    width = pieces.width
    out = pieces.side_by_side(entries, 0)
    limits = pieces.side_by_side(limit, -1.0)
    distance = pieces.distance(palette_lab)
    close = np.empty(out.shape[1], bool)
    for x in range(1, width):
        left = out[x - 1]
        np.less_equal(distance(x, left), limits[x], out=close)
        if pieces.drawn is not None:
            close &= pieces.drawn[x - 1]
        np.copyto(out[x], left, where=close)
    runs = pieces.rows(out)
    if w > width:
        may = free.copy()  # the pixels that may take their left neighbour's entry
        may[:, 0] = False
        if drawn is not None:
            may[:, 1:] &= drawn[:, :-1]
        later = -(-w // width) - 1  # pieces after the first
        starts = np.flatnonzero(may[:, width::width].ravel())
        first = (starts // later) * w + (starts % later + 1) * width
        _run_rounds(runs.reshape(-1), np.ravel(entries), lab.reshape(-1, lab.shape[-1]),
                    palette_lab, limit.ravel(), may.ravel(), first)
    return runs


def _side_by_side(a: np.ndarray, width: int, fill: object) -> np.ndarray:
    """``(H, W, ...)`` rows cut into pieces of ``width`` columns (the last padded with
    ``fill``), as ``(width, P * H, ...)``: column ``x`` of piece ``p`` of row ``i`` at
    ``[x, p * H + i]``."""
    h, w = a.shape[:2]
    pieces = -(-w // width)
    out = np.empty((width, pieces, h) + a.shape[2:], a.dtype)
    whole = (pieces - 1) * width
    out[:, :pieces - 1] = np.moveaxis(a[:, :whole].reshape((h, pieces - 1, width)
                                                           + a.shape[2:]), (0, 2), (2, 0))
    rest = w - whole
    out[:rest, pieces - 1] = np.swapaxes(a[:, whole:], 0, 1)
    out[rest:, pieces - 1] = fill
    return out.reshape((width, pieces * h) + a.shape[2:])


@dataclass(frozen=True)
class _Pieces:
    """Rows ``(H, W)``, W at least 1, cut into pieces of at most :data:`RUN_PIECE` columns
    laid side by side (:func:`_side_by_side`), with what :func:`_favour_runs`'s scan reads
    of every pixel so laid out: its colour, ``lab`` ``(width, P * H, d)`` float32, and
    whether it is ``drawn``, ``(width, P * H)`` (None: every pixel is). Cut once a frame
    and read by both of its scans (the runs, then :func:`_hold_entries`'s).
    """

    shape: tuple[int, int]
    width: int  # columns a piece
    lab: np.ndarray = field(repr=False)
    drawn: np.ndarray | None = field(repr=False)

    @staticmethod
    def piece_width(w: int) -> int:
        """Columns of each piece of rows ``w`` wide, as equal as :data:`RUN_PIECE` allows.

        >>> _Pieces.piece_width(640), _Pieces.piece_width(130), _Pieces.piece_width(5)
        (64, 44, 5)
        """
        pieces = -(-w // RUN_PIECE)
        return -(-w // pieces)

    @classmethod
    def cut(cls, lab: np.ndarray, drawn: np.ndarray | None) -> _Pieces:
        """The pieces of the colours ``lab`` ``(H, W, d)`` and of the mask ``drawn``."""
        width = cls.piece_width(lab.shape[1])
        return cls(lab.shape[:2], width, _side_by_side(lab, width, 0),
                   None if drawn is None else _side_by_side(drawn, width, False))

    @classmethod
    def gathered(cls, table: np.ndarray, rows: np.ndarray, drawn: np.ndarray | None
                 ) -> _Pieces:
        """The pieces of the colours ``table[rows]`` (``rows`` ``(H, W)`` of the ``(m, d)``
        ``table``) and of the mask ``drawn``: the colours gathered straight into the
        pieces, with no ``(H, W, d)`` array to cut."""
        width = cls.piece_width(rows.shape[1])
        lab = table.take(_side_by_side(rows, width, 0), axis=0)
        return cls(rows.shape, width, lab,
                   None if drawn is None else _side_by_side(drawn, width, False))

    def side_by_side(self, a: np.ndarray, fill: object) -> np.ndarray:
        """``a`` ``(H, W)`` cut as these pieces are (:func:`_side_by_side`)."""
        return _side_by_side(a, self.width, fill)

    def rows(self, cut: np.ndarray) -> np.ndarray:
        """The rows ``(H, W)``, a new contiguous array, of ``cut``, pieces cut as these."""
        h, w = self.shape
        return np.ascontiguousarray(cut.reshape(self.width, -1, h).transpose(2, 1, 0)
                                    .reshape(h, -1)[:, :w])

    def distance(self, palette_lab: np.ndarray) -> Callable[[int, np.ndarray], np.ndarray]:
        """The squared distance of column ``x`` of the pieces' colours to the entries
        ``left``, as :func:`~quantize._kernels.sq_dist_to_labels` gives it: of three
        channels, summed channel by channel in the order the kernel sums them (three
        passes over a column, where the kernel calls einsum on rows of three)."""
        cols = self.lab
        if cols.shape[-1] != 3:
            return lambda x, left: sq_dist_to_labels(cols[x], palette_lab, left)
        diff = np.empty(cols.shape[1:], np.float32)
        total, part = np.empty(cols.shape[1], np.float32), np.empty(cols.shape[1], np.float32)

        def distance(x: int, left: np.ndarray) -> np.ndarray:
            np.subtract(cols[x], palette_lab.take(left, axis=0), out=diff)
            np.multiply(diff[:, 0], diff[:, 0], out=total)
            for c in (1, 2):
                np.multiply(diff[:, c], diff[:, c], out=part)
                np.add(total, part, out=total)
            return total

        return distance


def _run_rounds(out: np.ndarray, entries: np.ndarray, lab: np.ndarray,
                palette_lab: np.ndarray, limit: np.ndarray, may: np.ndarray,
                pending: np.ndarray) -> None:
    """Bring ``out`` (raveled rows of entries) to what :func:`_favour_runs`'s scan gives,
    where only the ``pending`` pixels (flat positions) may differ from it: those decided
    from a left neighbour's entry that was not yet final.

    ``entries``, ``lab``, ``limit`` and ``may`` (the pixels that may take their left
    neighbour's entry), raveled as ``out``, are :func:`_favour_runs`'s. Each round
    decides the pending pixels from their left neighbours' entries as they are; a pixel
    whose entry changes makes the pixel after it pending. A pixel's entry is final once
    its left neighbour's is, so this ends, with every entry the one the scan gives.
    Prior validation is assumed.
    """
    while pending.size:
        left = out[pending - 1]
        own = entries[pending]
        ask = np.flatnonzero(left != own)  # the others keep their own entry either way
        taken = own.copy()
        close = (sq_dist_to_labels(lab[pending[ask]], palette_lab, left[ask])
                 <= limit[pending[ask]])
        taken[ask[close]] = left[ask[close]]
        moved = pending[taken != out[pending]]
        out[pending] = taken
        following = moved[moved + 1 < out.size] + 1
        pending = following[may[following]]


def _moving_first(palette: np.ndarray, labels: np.ndarray, pooled: Pooled, n_fixed: int = 0
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Order entries by the pixels they draw that change between frames, then by all pixels;
    the first ``n_fixed`` (fixed colours) stay first, in their order.

    Difference frames then mostly draw low entries, and GIF codes each frame
    with the fewest bits that hold its largest entry.
    """
    k = palette.shape[0]
    moving = np.bincount(labels, weights=pooled.moving, minlength=k)
    total = np.bincount(labels, weights=pooled.counts, minlength=k)
    fixed_first = np.minimum(np.arange(k), n_fixed)  # fixed i: i; the others after them
    order = np.lexsort((-total, -moving, fixed_first))
    rank = np.empty(k, np.intp)
    rank[order] = np.arange(k)
    return palette[order], rank[labels]


def _search_quality(colors: np.ndarray, counts: np.ndarray, opts: AnimationOptions,
                    room: int, src: Path
                    ) -> tuple[np.ndarray, QualityReached | None, str | None]:
    """Fewest colours (searched down from ``k_max``) whose CIEDE2000 meets ``opts.quality``
    (:func:`~quantize.reduce.quality.quality_error`: the mean and its tail), None, and what
    set their k (:func:`~quantize.reduce.quality.quality_bound`); or, out of reach of
    ``k_max`` colours, their fit, kept as it meets ``opts.quality_limit``
    (:func:`~quantize.reduce.quality.kept_within_limit`), what it reaches, and None."""
    lab = srgb_to_lab(colors)
    n_fixed = _n_fixed(opts)
    k_max = max(n_fixed, min(opts.n_colors or room, room, colors.shape[0] + n_fixed))
    fits: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    means: dict[int, float] = {}
    errors: dict[int, float] = {}
    fresh = starting_as(opts.rng)  # every fit as n_colors=k fits it

    def error(k: int) -> float:
        pal = fit_palette(colors, counts, k, space=opts.space,
                          exact_colors=opts.exact_colors, seed=fresh(),
                          fixed_colors=opts.fixed_colors)
        entries = nearest(_features(colors, opts.space), _features(pal, opts.space))
        fits[k] = pal, entries
        errors[k], means[k] = quality_error(lab, srgb_to_lab(pal), counts, entries)
        return errors[k]

    if k_max < 2 and not n_fixed:
        return colors.copy(), None, quality_bound(None, opts.quality)
    k = smallest_k(error, opts.quality, k_max, k_max, k_min=max(2, n_fixed))
    if k is not None:
        below = None
        if k - 1 in fits:  # measured, and missed: the search stops beside it
            pal, entries = fits[k - 1]
            below = quality_reached(lab, srgb_to_lab(pal), counts, entries, k - 1,
                                    opts.quality)
        return fits[k][0], None, quality_bound(below, opts.quality)
    pal, entries = fits[k_max]
    got = quality_reached(lab, srgb_to_lab(pal), counts, entries, k_max, opts.quality)
    missed = (f"{out_of_reach(opts.quality, means[k_max], accent=got.accent is not None)} "
              f"needs more than {k_max} colours")
    return pal, kept_within_limit(missed, _holds_no_more(k_max, room, src), errors[k_max],
                                  opts.quality, opts.quality_limit, got, path=src,
                                  how=POOLED_NEAREST), None


def _holds_no_more(k_max: int, room: int, src: Path) -> str:
    """What the error of a ``quality`` out of reach adds when the search stopped at the
    ``room`` of the one palette the frames of ``src`` share (rather than at the
    ``n_colors`` given): that no output of it holds more, whatever ``n_colors`` allowed."""
    if k_max < room:
        return ""
    holder, _, why = one_palette_for(default_suffix(src))
    beside = " beside its transparent entry" if room < MAX_PALETTE else ""
    return f"; {holder} holds no more{beside}{why}"


@dataclass
class PerFramePlan:
    """A palette for each frame (GIF local colour tables), fitted to the pixels that changed;
    or, for the pages of a TIFF (:attr:`PerFramePlan.whole`), to every pixel of the page.

    Pixels identical to the previous frame, in a row or column of at least
    :data:`STILL_RUN` such pixels, are not redrawn (the writer leaves them on
    the canvas, so static areas never flicker); the frame's palette is fitted
    to the other pixels. Each local table holds at most ``n_colors``
    colours and a transparent entry (255 colours and that entry for 256), as a
    global table does; ``k`` is the most colours any frame's palette holds. An
    undithered frame of 2**n colours that uses its transparent entry gives up
    one colour when that costs little (:data:`FEWER_COLOURS_DB`), as the entry
    would double its table. An undithered frame that the first frame's palette (the
    GIF's global table) draws as closely as its own is mapped onto that palette, and
    needs no local table.
    """

    opts: AnimationOptions
    k: int = 0
    transparent: int | None = None  # frames have their own transparent entries
    shown: np.ndarray | None = field(repr=False, default=None)  # colours on screen
    #: the colours on screen before the last frame mapped was drawn
    shown_before: np.ndarray | None = field(repr=False, default=None)
    #: the LZW data of the frames' estimated bytes, which the GIF writer reuses
    lzw: RecentCodes = field(default_factory=RecentCodes, repr=False, compare=False)
    #: the first frame's palette, which the GIF writer makes the global table
    first: np.ndarray | None = field(repr=False, default=None)
    #: the most distinct colours a frame's palette was fitted to, and whether every
    #: frame kept all of its colours (none had more than ``n_colors``, none gave one up)
    most_distinct: int = 0
    all_kept: bool = True

    split = staticmethod(split_alpha)  # the pixels map takes and the mask of those drawn

    @property
    def whole(self) -> bool:
        """Whether every frame is written whole with a colour map of its own (the pages of a
        TIFF), where a GIF keeps pixels on its canvas and has a global table: then no pixel
        is kept from the frame before, no colour is given up for the size of a table, and
        no frame is mapped onto the first frame's palette."""
        return self.opts.suffix != ".gif"

    def table_palette(self) -> None:
        """No global table of its own: the GIF writer takes the first frame's palette as
        the global table, and writes with it the later frames whose colours it holds or
        has room for, where that is smaller."""
        return None

    def map(self, rgb: np.ndarray, opaque: np.ndarray,
            previous: tuple[np.ndarray, np.ndarray] | None, dither: float | str,
            stats: FrameStats) -> tuple[np.ndarray, np.ndarray, int, np.ndarray | None]:
        """Fit this frame's palette and map its pixels.

        ``previous``: the input's canvas this frame is drawn on (the previous frame, or,
        that frame written to restore to previous, what was under it; transparent in the
        box the writer clears for pixels turning transparent) and the previous frame's
        entries. Pixels identical to that canvas are kept on it (not in
        a frame where a pixel drawn before turns transparent: the GIF then
        clears a box that may hold any of them); those
        in no run of :data:`STILL_RUN` of them are redrawn, unless keeping
        them all is estimated to code smaller
        (:meth:`PerFramePlan._keep_all`), as where static areas are small.
        Undithered, a palette of 2**n colours, in a frame with kept or
        transparent pixels, loses the colour it needs least when that takes at
        most :data:`FEWER_COLOURS_DB` from the frame's PSNR and codes smaller
        (:meth:`PerFramePlan._one_fewer`). Undithered, a frame after the first whose
        drawn pixels the first frame's palette draws as closely (squared RGB error
        summed) is mapped onto it when that is estimated to code no larger
        (:meth:`PerFramePlan._on_first`).

        Returns (indices, palette with a transparent entry last, that entry,
        pixels to keep from the previous frame or None). Frames written whole
        (:attr:`PerFramePlan.whole`) are fitted and mapped each as the first is, on their own.
        """
        codes = pack_rgb(rgb)
        still = None
        if self.whole:
            previous = None
        # A pixel drawn before and transparent now can only be cleared, over a box that
        # may hold every other pixel (GifWriter.add): none is kept then, all are drawn.
        if previous is not None and not (~opaque & (previous[0][..., 3] >= ALPHA_THRESHOLD)
                                         ).any():
            prev_rgba = previous[0]
            still = same_pixels(prev_rgba[..., :3], rgb)
            still &= opaque & (prev_rgba[..., 3] >= ALPHA_THRESHOLD)
        if still is None:
            palette, indices = self._mapped(rgb, codes, opaque, still, dither)
        else:
            h, w = still.shape  # a frame narrower than a run: its whole rows or columns
            runs = in_runs(still, min(STILL_RUN, w)) | in_runs(still.T, min(STILL_RUN, h)).T
            palette, indices = self._mapped(rgb, codes, opaque, runs, dither)
            if (runs != still).any() and self._keep_all(codes, opaque, still, runs, palette,
                                                        indices):
                palette, indices = self._mapped(rgb, codes, opaque, still, dither)
            else:
                still = runs
        if dither == 0 and not self.whole and _marker_doubles_table(palette.shape[0]) and (
                not opaque.all() or (still is not None and still.any())):
            kept = palette.shape[0]
            palette, indices = self._one_fewer(rgb, codes, opaque, still, palette, indices)
            self.all_kept &= palette.shape[0] == kept
        if self.first is None:
            self.first = palette
        elif dither == 0 and not self.whole:
            palette, indices = self._on_first(self.first, rgb, codes, opaque, still, palette,
                                              indices)
        shown = pack_rgb(palette)[indices].astype(np.int64)
        if still is not None and self.shown is not None:
            shown[still] = self.shown[still]
        self.shown_before, self.shown = self.shown, shown
        stats.add_pixels(codes[opaque], shown[opaque])
        self.k = max(self.k, palette.shape[0])
        return indices, np.vstack([palette, np.zeros((1, 3), np.uint8)]), palette.shape[0], still

    def dispose(self, disposal: int) -> None:
        """Follow the disposal written for the last frame mapped: after 3 (restore to
        previous) the screen shows again the colours it showed before that frame (a GIF
        viewer restores colours, whatever palette drew them); after any other, the frame's.
        The next frame's ``previous`` pixels are then the input's canvas it is drawn on."""
        if disposal == 3:
            self.shown = self.shown_before

    def _keep_all(self, codes: np.ndarray, opaque: np.ndarray, still: np.ndarray,
                  runs: np.ndarray, palette: np.ndarray, indices: np.ndarray) -> bool:
        """Whether keeping every ``still`` pixel codes smaller than keeping only the ``runs``.

        ``palette`` and ``indices`` are the frame mapped with the others
        redrawn; keeping every still pixel is costed with the same entries
        (marked) and the table a palette fitted to the fewer pixels drawn takes.
        """
        k = palette.shape[0]
        drawn = np.unique(codes[opaque & ~still]).size
        fewer = min(k, max(drawn, 1))
        return (local_frame_bytes(np.where(still | ~opaque, k, indices), fewer + 1, self.lzw)
                <= local_frame_bytes(np.where(runs | ~opaque, k, indices), k + 1, self.lzw))

    def _one_fewer(self, rgb: np.ndarray, codes: np.ndarray, opaque: np.ndarray,
                   still: np.ndarray | None, palette: np.ndarray,
                   indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``palette`` without the colour the frame needs least and the entries that follows,
        when that takes at most :data:`FEWER_COLOURS_DB` from the frame's PSNR and is
        estimated to code smaller; else ``palette`` and ``indices`` (undithered: nearest).

        The colour given up is the one whose drawn pixels (opaque, not ``still``) move
        least, in squared distance summed, to their next-nearest entry; its pixels take
        that entry, the others keep theirs. The PSNR is the frame's as shown: every
        opaque pixel, the kept ones too.

        Its transparent pixels move too: the caller marks them transparent afterwards, but
        meanwhile they index ``fewer``, where the entry given up, when last, is past the end.
        """
        k = palette.shape[0]
        drawn = opaque if still is None else opaque & ~still
        least = self._least_needed(codes[drawn], palette)
        fewer = np.delete(palette, least, axis=0)
        moved = indices == least
        mapped = indices.copy()
        mapped[indices > least] -= 1
        distinct, at = np.unique(codes[moved], return_inverse=True)
        space = self.opts.space
        mapped[moved] = nearest(_features(unpack_rgb(distinct), space),
                                _features(fewer, space))[at.ravel()]
        shown = np.take(palette, indices, axis=0)
        if still is not None and self.shown is not None:
            shown[still] = unpack_rgb(self.shown[still])
        error = _squared_errors(shown, rgb)[opaque].sum()
        redrawn = moved & drawn
        added = (_squared_errors(fewer[mapped[redrawn]], rgb[redrawn]).sum()
                 - _squared_errors(shown[redrawn], rgb[redrawn]).sum())
        if added > error * (10 ** (FEWER_COLOURS_DB / 10) - 1):
            return palette, indices
        marked = ~opaque if still is None else still | ~opaque
        if (local_frame_bytes(np.where(marked, k - 1, mapped), k, self.lzw)
                >= local_frame_bytes(np.where(marked, k, indices), k + 1, self.lzw)):
            return palette, indices
        return fewer, mapped

    def _on_first(self, first: np.ndarray, rgb: np.ndarray, codes: np.ndarray,
                  opaque: np.ndarray, still: np.ndarray | None, palette: np.ndarray,
                  indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The frame mapped onto ``first``, the first frame's palette (which the GIF writer
        makes the global table), when that draws it as closely as ``palette`` does and is
        estimated to code no larger (it needs no local table); else ``palette`` and
        ``indices`` (undithered: nearest).

        As closely: the drawn pixels (opaque, not ``still``) are no farther from their
        nearest entries of ``first`` than from their entries of ``palette``, in squared
        RGB distance summed, so the frame's PSNR does not drop. Its kept pixels take their
        nearest entries too (drawn only where the canvas is cleared). A sprite whose
        palette is fitted anew in each frame, from another state of the generator, often
        lands on a palette a little worse than the first frame's.
        """
        drawn = opaque if still is None else opaque & ~still
        if not drawn.any():
            return palette, indices
        space = self.opts.space
        distinct, counts, rows = sorted_code_histogram(codes[drawn])
        colors = unpack_rgb(distinct)
        entries = nearest(_features(colors, space), _features(first, space))
        if counts @ _squared_errors(first[entries], colors) > _drawn_error(
                palette, indices[drawn], colors, counts, rows, rgb, drawn):
            return palette, indices
        moved = np.zeros_like(indices)
        moved[drawn] = entries[rows]
        kept = opaque & ~drawn
        moved[kept] = _nearest_of_codes(codes[kept], first, space)
        marked = ~drawn
        k = palette.shape[0]
        if (len(self.lzw.remembered(np.where(marked, first.shape[0], moved)))
                > local_frame_bytes(np.where(marked, k, indices), k + 1, self.lzw)):
            return palette, indices
        return first, moved

    def _least_needed(self, codes: np.ndarray, palette: np.ndarray) -> int:
        """The entry whose pixels (of colour ``codes``) are nearest, summed, to another."""
        distinct, counts = np.unique(codes, return_counts=True)
        space = self.opts.space
        labels, gap = second_nearest_gap(_features(unpack_rgb(distinct), space),
                                         _features(palette, space))
        return int(np.argmin(np.bincount(labels, weights=counts * gap,
                                         minlength=palette.shape[0])))

    def _mapped(self, rgb: np.ndarray, codes: np.ndarray, opaque: np.ndarray,
                still: np.ndarray | None, dither: float | str) -> tuple[np.ndarray, np.ndarray]:
        """The palette fitted to the opaque pixels not ``still``, and every pixel's entry."""
        drawn = opaque if still is None else opaque & ~still
        palette = self._fit(codes[drawn] if drawn.any() else codes[opaque])
        if dither:
            return palette, _dithered_onto(rgb, opaque, palette, dither, self.opts.space)
        return palette, _nearest_of_pixels(codes, opaque, palette, self.opts.space)

    def _fit(self, codes: np.ndarray) -> np.ndarray:
        """At most ``n_colors`` colours for these colour codes (255 for 256: the table's last
        entry is the transparent one)."""
        if codes.size == 0:
            return np.zeros((1, 3), np.uint8)
        k = min(self.opts.n_colors or DEFAULT_COLORS, MAX_PALETTE - 1)
        distinct, counts = np.unique(codes, return_counts=True)
        colors = unpack_rgb(distinct)
        self.most_distinct = max(self.most_distinct, distinct.size)
        if distinct.size <= k:
            return colors
        self.all_kept = False
        palette = fit_palette(colors, counts, k, space=self.opts.space,
                              exact_colors=self.opts.exact_colors, seed=self.opts.rng)
        return _spread(palette, colors, counts, self.opts)
