"""Palette fit: weighted k-means on the distinct colours of an image.

A 12 MP photo has about a million distinct colours, twelve times fewer than
pixels, so the fit works on the weighted histogram of distinct colours:

1. **Summary.** With more than ``DIRECT_FIT_MAX`` distinct colours, they are
   pooled into cells of 8 x 8 x 8 sRGB levels (4 x 4 x 4 up to ``FINE_CELLS_BELOW``
   and from half a million colours; with alpha, a fourth side, and twice as wide when too many are
   occupied, finer when fewer than 4k are); each occupied cell becomes one point
   at the weighted mean of its colours (in the clustering space) with their
   total pixel count as weight, but a colour holding a large share of the
   pixels (a screenshot's background) stays a point of its own. For a still
   image of ``SUMMARY_SEEDED_FROM`` to ``SUMMARY_SEEDED_TO`` colours that fill few
   4 x 4 x 4 cells, or else few 8 x 8 x 8 cells (a photo crop's or thumbnail's),
   the seedings are made and settled on those cells, then compared on the colours.
2. **Fit.** :class:`quantize.kmeans.MiniBatchKMeans` clusters those points with
   the counts as sample weights (around the transparent entry, a fixed centre, for an
   image with fully transparent and translucent pixels: :func:`_clear_center`),
   from several seedings, the best kept: up to
   eight below 32 colours; from 32 to 128 colours up to four, the best then
   improved by swaps of whole centres (:func:`quantize.kmeans_run.swap_search`;
   on summaries of up to ``SWAP_ROWS`` points, else as below 32); three from
   129 colours, one from 257. From 64 colours, a summary large enough that one
   run compares several seedings on samples (32,768 points) gets that one run.
3. **Exact passes.** Weighted Lloyd passes over *all* distinct colours (the
   kernel's, which skip colours whose label cannot change) until almost no
   label changes, so each centre is the mean of the colours nearest to it, as
   k-means over every pixel would end.
4. **Palette.** Centres of mostly opaque clusters are made opaque, centres are
   rounded to sRGB (or replaced by the cluster's medoid with ``exact_colors``,
   an opaque one for a mostly opaque cluster), duplicates dropped, and every
   distinct colour mapped to its nearest entry.

Prior validation is assumed below :func:`fit_palette`.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

import numpy as np

from .._kernels import (
    chunk_rows,
    group_argmax,
    group_sums,
    lab_to_srgb,
    lloyd,
    nearest,
    occupied_group_sums,
    pack_rgb,
    sq_dist_to_labels,
)
from .._validation import (
    Seed,
    as_array,
    check_bool,
    check_choice,
    check_color,
    check_int,
    check_palette,
    check_seed,
)
from ..colors import (
    FEATURES,
    features_of,
    from_premultiplied,
    lab_of,
    merge_colors,
    premultiply,
    to_premultiplied,
)
from ..errors import QuantizeWarning, warn_caller
from ..kmeans import MiniBatchKMeans
from ..kmeans_run import seedings_per_run, summary_runs, swap_search
from ..reconstruct.palette import palette_order

__all__ = ["DEFAULT_COLORS", "FEATURES", "MAX_COLORS", "ColorCountWarning",
           "FewerColorsWarning", "Histogram", "NamedColor", "cell_summary",
           "check_fixed_colors", "check_n_colors", "fixed_entry_names", "fixed_names",
           "fitted_order", "fixed_shown", "with_channels",
           "entry_weights", "features_of", "fit", "fit_palette", "lab_of", "premultiply",
           "spread_for_dither", "to_colors", "to_srgb", "warn_few_colors"]

Space = Literal["rgb", "lab"]

#: Colours when neither ``n_colors`` nor ``quality`` is given.
DEFAULT_COLORS = 16
#: The most colours a palette is fitted to (:func:`check_n_colors`). Up to 1,024 colours
#: the fit's time grows about as their square (1,000 colours of a 300 x 451 photo of
#: 31,000 colours took 1 s); beyond, the nearest-colour searches and k-means++ use k-d
#: trees (:func:`quantize._kernels.uses_tree`) and it grows far more slowly: 4,096
#: colours of four 0.15-0.4 MP photos took 2.7-4.6 s of CPU, of a 12 MP photo 12 s, of
#: a 1 MP image of random colours 13 s, and 60,000 of 65,536 random colours 26 s (2
#: cores; without the trees 3.9-10 s, 148 s, 88 s and more than 800 s). Past 2**16 a
#: palette's entries would need 32-bit indices.
MAX_COLORS = 1 << 16

# The figures below were measured on the data each comment names. Those said to be
# with nested restarts were measured again once a fit's restarts were nested (run 0 of
# several seedings is the run of one seeding: MiniBatchKMeans's n_init); the others
# date from before, when the restarts were not nested. Nesting them did not change the
# fit's time, and moved the PSNR of reduce at seed 0 on 47 photos by at most 0.007 dB
# on average (worst 0.20 dB, one dithered file).

# Up to this many distinct colours, k-means is fitted on them directly; above,
# on cells of 8 x 8 x 8 sRGB levels, or of 4 x 4 x 4 beyond FINE_CELLS_FROM
# colours (a 12 MP photo's million colours fill the finer cells well, and the fit
# there gains 0.08 dB at k=64 from them). Cells are made finer while fewer than
# 4k are occupied, and only if even the finest (2 levels) are too few is the fit
# on all colours (astronaut's 113k colours fill 4k coarse cells: at k = 1024 the
# fit on all of them took 23 s for 42.25 dB, on its 16k finer cells 18 s for
# 42.57 dB, 4.8 s with one seeding; with nested restarts and the one seeding
# ONE_SEEDING_ABOVE gives, the whole reduction took 2.2 s of CPU for 42.57 dB, seed
# 0, median of 3).
DIRECT_FIT_MAX = 1 << 13
FINE_CELLS_FROM = 1 << 19
COARSE_SHIFT, FINE_SHIFT = 3, 2
# Up to DIRECT_FIT_MAX colours the seedings of a fit run together
# (kmeans_run.fit_together); above, each is a run of its own, seeded on a sample
# and settled on all rows: the direct fit on the colours of 160 x 120 photos
# took 210 / 354 ms of CPU a photo at k = 16 / 64. Up to FINE_CELLS_BELOW
# colours they are pooled into 4 x 4 x 4 cells: on 20
# BSDS500 train photos at 160 x 120 (4,700-18,000 colours; seeds 0-1), against
# the direct fit up to 16,384 colours, -0.0005 dB at k = 16 (worst -0.016) and
# -0.010 dB at k = 64 (worst -0.039) in 15 % and 18 % of the CPU time (8 x 8 x 8
# cells: -0.015 and -0.024 dB, worst -0.067; a direct fit up to 4,096 colours:
# -0.013 dB at k = 64, worst -0.062).
FINE_CELLS_BELOW = 1 << 14
# For a still image (fit's seed_on_cells; not fit_palette, so neither an animation's
# palette nor a batch's shared one), from SUMMARY_SEEDED_FROM to DIRECT_FIT_MAX colours,
# the seedings are made and settled on the colours' 4 x 4 x 4 cells (as above
# DIRECT_FIT_MAX), then each is settled on the colours themselves by up to
# SUMMARY_SEEDED_PASSES passes and the best there is kept
# (kmeans_run.summary_runs; swaps, from SWAPS_FROM colours, on the cells). Settling
# every seeding on the colours, 20-40 passes each, made a small crop of a photo cost
# more than a larger one whose colours are pooled into cells: chelsea at 112 px (7,959
# colours) took 88 / 160 ms of CPU at k = 16 / 64, at 128 px (9,494) 36 / 88 ms. On 25
# crops of chelsea, coffee and astronaut (64-136 px, 1,355-7,959 colours; seeds 0-2)
# against the direct fit: -0.003 / -0.000 dB on average at k = 16 / 64 (worst crop
# -0.042 / -0.040 dB, mean of the seeds), in 0.63 / 0.51 of the CPU time (medians of 3,
# summed); keeping the seeding best on the cells instead, as above DIRECT_FIT_MAX, lost
# 0.009 dB on average (worst -0.101 dB). On 25 other crops (96-200 px of astronaut,
# chelsea, coffee, rocket, immunohistochemistry, china and flower, 1,231-8,115 colours),
# reduce_file took 0.67 / 0.56 of the CPU time at k = 16 / 64 (medians of 7, summed) for
# -0.006 / -0.011 dB on average over seeds 0-2 (worst crop -0.064 / -0.063 dB). Fewer
# colours, and colours that fill more cells than half their number (scattered, as random
# colours are; the first 25 crops filled 0.19-0.48 of theirs), are fitted on directly:
# their fit costs little, or their cells would save little. An animation's pooled colours
# keep the direct fit: on them this path changed the palette, and the animation
# benchmark's 60-frame pan at 32 colours came out 2,214,760 bytes instead of 2,188,491
# (1.003x gifsicle's, 0.991x before).
#
# From SUMMARY_SEEDED_FROM to SUMMARY_SEEDED_TO colours (up to FINE_CELLS_BELOW: beyond,
# the coarse summary is already small), the cells seeded on are those 4 levels wide when
# they number at most SUMMARY_SEEDED_SHARE of the colours, else those 8 levels wide when
# they number at most SUMMARY_COARSE_SHARE of them; a run is settled on the cells until at most
# kmeans_run.SUMMARY_SETTLE_CHANGED of their labels change or for
# kmeans_run.SUMMARY_SETTLE_PASSES passes, then by SUMMARY_SEEDED_PASSES passes on the
# colours before the runs are compared (the exact passes below settle the best). Before,
# a still of 8,193-16,384 colours was fitted on its 4-level cells however many there were
# (a 128 px crop of china, 10,795 colours, filled 6,959: 139 ms of CPU at k = 16, more
# than the whole photo's 96,000 colours), and one of 1,025-8,192 colours that filled more
# than half as many 4-level cells was fitted on every colour (a 96 px crop of china: 113
# ms). On 105 crops (16-256 px) and thumbnails (64-256 px) of the seven benchmark photos,
# the 63 of 1,025-16,384 colours (seeds 0-2; both versions interleaved, medians of 3),
# 0.63 / 0.60 of the CPU time at k = 16 / 64 (summed; 60 / 104 ms against 68 / 119 ms
# at 12,289-16,384 colours, medians) for -0.009 / -0.014 dB on average (worst image
# -0.095 / -0.056 dB, crops of china at 48 and 64 px; over all 105, -0.005 / -0.008
# dB). With up to 10 passes on the colours and the 4-level cells up to half the
# colours: 1.30 / 1.10 of the time; 8-level cells only up to 0.3 of the colours: 0.67 /
# 0.65 for -0.006 / -0.013 dB, but a 96 px crop of china (6,792 colours in 2,063 such
# cells) kept the fit on every colour and took twice as long as a 128 px one.
SUMMARY_SEEDED_FROM = 1 << 10
SUMMARY_SEEDED_TO = 1 << 14
SUMMARY_SEEDED_SHARE = 0.3
SUMMARY_COARSE_SHARE = 0.5
SUMMARY_SEEDED_PASSES = 3
# With alpha, colours spread over four dimensions and fill many more cells: when
# they fill more than ALPHA_CELLS_MAX, cells twice as wide. On two photos given an
# alpha ramp (205k distinct colours, 16-23k cells), the fit at k = 16 / 64 / 255
# took 0.26 / 0.41 / 1.17 s instead of 0.92 / 1.40 / 4.26 s (one of them) for
# -0.10 to +0.06 dB; the benchmark's soft-edged disc fills 2.8k cells and is
# unaffected.
ALPHA_CELLS_MAX = 1 << 14
# Cells are summed in a table by cell number up to this many cells
# (32^4 with alpha), else numbered by the occupied ones first.
_CELL_TABLE_MAX = 1 << 22
# The fit on the summary: seedings, the best kept (a single one ends in a worse
# local optimum than scikit-learn's KMeans on about a third of photos at k=16,
# by up to 0.15 dB): as many as fit in SEEDING_WORK summary points, 3 to 8,
# counting those a run on a large summary already compares by itself (on the
# 12 MP benchmark photo: same PSNR to 0.001 dB in about two thirds of the time).
# Web-sized photos (summaries of a few thousand cells) get 8. On two 12 MP
# mosaics of other photos than the benchmark's, 2**18 instead of 2**19 took
# 0-30 % less time for 0-0.026 dB (mean of three seeds).
SEEDING_WORK = 1 << 18
MIN_N_INIT, MAX_N_INIT = 3, 8
# Many colours need fewer seedings: the spread between seedings shrinks as k
# grows, and each costs k times more. Beyond FEW_SEEDINGS_ABOVE colours, 3: on
# the seven benchmark photos (seeds 0-2, with nested restarts, undithered), 3
# instead of 8 changed PSNR by -0.002 dB on average at k = 128 (worst -0.016) and
# -0.004 dB at k = 256 (worst -0.024), in 77 % and 65 % of the CPU time of the
# reduction (medians). Beyond ONE_SEEDING_ABOVE (outputs that are not palette
# images), 1: on astronaut and china at k = 512 and 1024 (seed 0), within 0.02 dB
# of eight (better on two of the four) in 16-52 % of the CPU time.
FEW_SEEDINGS_ABOVE = 128
ONE_SEEDING_ABOVE = 256
# From ONE_RUN_FROM colours, a summary large enough that one run compares several
# seedings (kmeans_run.seedings_per_run: from 32,768 points; the benchmark photo's
# fine cells are 38,000 at 3 MP, 49,000 at 12 MP) gets that one run: the runs'
# spread shrinks as k grows, and each costs k times more. On the 12 MP benchmark
# photo (seeds 0-2, with nested restarts: the one run is the first of the two), the
# fit on its summary took 0.17-0.18 against 0.33-0.34 s of CPU with one run instead
# of two at k = 64 (medians of 3) for -0.017 dB on average (0 on two seeds), and
# 0.30-0.34 against 0.57-0.68 s at k = 128 for -0.016 dB (0 to -0.025); at k = 32
# it lost 0.053 dB on average (0 to -0.122), at k = 16 nothing, so below 64 the runs
# stay. Before the restarts were nested, on it and three 12 MP mosaics of BSDS500
# *train* photos (four each, bicubic, noise as the benchmark's; seeds 0-2), one run
# changed PSNR by -0.010 dB on average at k = 64 (-0.027 to +0.002) and -0.012 dB at
# k = 128 (-0.037 to +0.012), and at k = 16 a mosaic lost 0.063 dB; two more mosaics
# had fewer cells, one seeding a run, and did not change.
ONE_RUN_FROM = 64
# From SWAPS_FROM colours to FEW_SEEDINGS_ABOVE, summaries of at most SWAP_ROWS
# points get at most SWAP_N_INIT seedings, the best then improved by up to
# SWAP_TRIALS swaps (a centre taken from the cluster cheapest to remove to split
# the one that gains most, kept if the inertia falls: kmeans_run.swap_search). A
# seeding costs k times more as k grows, a swap little more. Against 8 seedings,
# with nested restarts, on 40 BSDS500 train photos (every 5th from the second) at
# k = 64 (seeds 0-2, undithered): +0.024 dB on average (worst -0.047; the mean of 37
# of the 40 photos at least +0.000, the lowest -0.008), 6 % less CPU time for the
# reduction (single runs, summed); on 30 of them (seed 0) +0.035 dB at k = 32 (worst
# -0.008) for 5 % less, +0.022 dB at k = 128 (worst -0.009) for 7 % less. Before the
# restarts were nested: the worst seed against the best of KMeans's seeds 0-2
# -0.004 instead of -0.028 dB on average (worst -0.056 instead of -0.092); at k = 16
# swaps gained nothing (8 seedings and 3 swaps: +0.003 dB for 27 % more time); a
# 12 MP photo's 49k fine cells get none: 8 swaps took 0.3-0.4 s there, 2-4 times the
# fit on them, for 0.02-0.04 dB.
SWAPS_FROM = 32
SWAP_N_INIT, SWAP_TRIALS = 4, 8
SWAP_ROWS = 1 << 14
# A colour holding at least 1 / HEAVY_SHARE of a cluster's average count is a point
# of its own in the summary, not pooled with its cell: two such colours in one cell
# (a screenshot's white and #fafafa backgrounds) otherwise become one summary point,
# then one centre between them that the exact passes do not split. On 18 screenshots
# of web pages showing BSDS500 *train* photos (Chromium), undithered at k = 16, 64 and
# 256 against pngquant --nofs: behind it on 5 of 54 (by up to 2.93 dB: white and
# #fafafa became #fefefe) before, on none after; on the seven benchmark photos (seeds
# 0-2) PSNR moved by +0.000 / +0.000 / +0.010 dB on average. Shares of 1, 8 and 16
# did as well, within a few hundredths of a dB.
HEAVY_SHARE = 4
# Refinement passes of the runs on the summary, when fewer than EXACT_PASSES
# exact passes follow (a 12 MP photo's two); with all of them, none: on the 54
# fits of the benchmark and BSDS500 train photos at k = 16 and 64 that moved PSNR
# by -0.003 to +0.0004 dB (19 changed, mean -0.0001 dB), for 3-6 ms of CPU on china.
SUMMARY_REFINE = 2
# Then weighted Lloyd passes over all distinct colours until at most
# EXACT_SETTLED of them change label in a pass, or EXACT_PASSES passes, or
# about EXACT_WORK colour-passes in all. A 12 MP photo's 1.2 million colours
# get two passes (a pass costs about 0.2 s there, and its fine summary needs
# few: a third moved PSNR by under 0.002 dB on the benchmark photo and by
# nothing on two other 12 MP mosaics); web-sized photos' 30-150 thousand
# colours get up to EXACT_PASSES. Past four passes, each but the last tries
# centres moved past the means by EXACT_OVERSHOOT times their step
# (quantize._kernels.lloyd's overshoot): plain passes creep towards the minimum,
# and 20 of them still gained 0.006 dB on average when doubled. On the seven
# benchmark photos and 20 BSDS500 train photos at k = 16 and 64, 10 passes with
# overshoot against the 20 plain passes before: PSNR -0.001 / +0.001 dB on
# average (photos / BSDS), worst -0.008 dB, for 55 against 70 ms of CPU on china
# at k = 16 (medians of 15).
EXACT_PASSES = 10
EXACT_SETTLED = 1e-3
EXACT_WORK = 3 << 20
EXACT_OVERSHOOT = 1.0


class ColorCountWarning(QuantizeWarning):
    """The image (or the colours pooled from frames or images, or given to
    :func:`fit_palette`) has fewer distinct colours than the palette size asked for."""


class FewerColorsWarning(ColorCountWarning):
    """A :class:`ColorCountWarning` of an image with some visible colours, each kept as an
    entry of its own: a lossless result, which the command line says as a note (its other
    case, no visible colour at all, stays a warning there)."""


@dataclass(frozen=True)
class Histogram:
    """Distinct colours of the visible pixels, their counts and clustering features.

    ``colors`` is ``(m, 3)`` uint8, or ``(m, 4)`` straight RGBA for an image
    with alpha. ``inner``, when counted, the pixels of each colour whose four neighbours
    share it (see :data:`~quantize.reduce.quality.INNER_LEVELS`): the quality search
    bounds the areas of their own colour that those make.
    """

    colors: np.ndarray
    counts: np.ndarray
    space: str
    inner: np.ndarray | None = None

    @cached_property
    def features(self) -> np.ndarray:
        return self.feature_rows(slice(None))

    def feature_rows(self, rows: slice) -> np.ndarray:
        """The clustering features of the colours ``rows``, as ``features`` holds them
        (made pixel by pixel, so a chunk's are those of the whole)."""
        if self.space == "lab" and self.colors.shape[1] == 3:
            return self.lab[rows]
        return features_of(self.colors[rows], self.space)

    def forget_features(self) -> None:
        """Let go of the cached clustering features (their Lab, if any, is kept): they are
        computed again when next asked for."""
        self.__dict__.pop("features", None)

    @cached_property
    def lab(self) -> np.ndarray:
        """CIE Lab of the colours, computed when first needed (metrics, quality, space)."""
        return lab_of(self.colors)

    def without_features(self) -> Histogram:
        """This histogram without its clustering features, its Lab kept if computed: to
        hold on to once the palette is fitted (the features of the 4 M colours of a 12 MP
        image with soft alpha take 61 MB); features asked for again are computed again."""
        out = Histogram(self.colors, self.counts, self.space, self.inner)
        if "lab" in self.__dict__:
            out.__dict__["lab"] = self.lab
        return out


# --------------------------------------------------------------------------
# Public: fit a palette from a histogram
# --------------------------------------------------------------------------


def check_n_colors(n_colors: Any, minimum: int = 1) -> int:
    """``n_colors`` as an int from ``minimum`` to :data:`MAX_COLORS`, or raise naming it.

    >>> check_n_colors(100000)
    Traceback (most recent call last):
    ...
    ValueError: n_colors=100000 should be <= 65536, the most colours a palette is fitted to \
(4096 took 12 s on a 12 MP photo, 60000 took 26 s on 65536 random colours)
    """
    k = check_int(n_colors, "n_colors", minimum=minimum)
    if k > MAX_COLORS:
        raise ValueError(f"n_colors={k} should be <= {MAX_COLORS}, the most colours a palette "
                         "is fitted to (4096 took 12 s on a 12 MP photo, 60000 took 26 s on "
                         "65536 random colours)")
    return k


def fit_palette(colors: Any, counts: Any, n_colors: int | None = DEFAULT_COLORS, *,
                space: Space = "rgb", exact_colors: bool = False,
                seed: Seed = None, fixed_colors: Any = None) -> np.ndarray:
    """Fit a k-means palette to a weighted list of colours (e.g. merged histograms).

    Parameters
    ----------
    colors : (m, 3) or (m, 4) array_like of integers 0..255
        Colours, with straight alpha as a fourth column if any (clustered
        premultiplied, as :func:`quantize.reduce_colors` does); repeats are merged.
        An entry at least half of whose colours' count is opaque is opaque (with
        ``exact_colors``, one of its opaque colours).
        Colours with alpha 0 are fully transparent whatever their RGB: they
        are left out of the fit and share one entry ``[0, 0, 0, 0]``.
    counts : (m,) array_like
        Non-negative weight (pixel count) of each colour.
    n_colors : int or None
        Palette size, >= 1 (None means the default, 16), not counting the
        fully transparent entry.
    space : {"rgb", "lab"}
        Space to cluster in.
    exact_colors : bool
        Use each cluster's medoid (a colour from ``colors``) instead of its mean.
    seed : int, numpy.random.Generator or None
        Source of randomness; an int (>= 0) gives the same palette every time.
    fixed_colors : sequence of colours, optional
        Opaque colours the palette keeps as its first entries, in the order given, as
        :func:`quantize.reduce_colors` keeps them (counted in ``n_colors``).

    Returns
    -------
    (k, 3) or (k, 4) ndarray of uint8
        The palette (with alpha when ``colors`` has it), most weight first (after the
        fixed colours);
        ``k < n_colors`` only when there are fewer distinct visible colours
        (then with a :class:`ColorCountWarning`: ``n_colors=16 but colors has only
        3 distinct colours; returning those 3``). When some colour has alpha
        0, the fully transparent entry ``[0, 0, 0, 0]`` follows, as the last
        of ``k + 1`` rows (as :func:`quantize.reduce_colors` places it).

    Raises
    ------
    ValueError, TypeError
        For malformed colours, counts or parameters.

    Examples
    --------
    >>> colors = np.array([[0, 0, 0], [0, 0, 2], [250, 0, 0], [254, 0, 0]], np.uint8)
    >>> fit_palette(colors, [1, 1, 3, 1], 2, seed=0).tolist()
    [[250, 0, 0], [0, 0, 1]]
    """
    cols, cnt = check_histogram(colors, counts)
    k = DEFAULT_COLORS if n_colors is None else check_n_colors(n_colors, minimum=1)
    space = check_choice(space, "space", FEATURES)
    exact = check_bool(exact_colors, "exact_colors")
    rng = check_seed(seed)
    fixed = with_channels(check_fixed_colors(fixed_colors, k), cols.shape[1])
    hidden = cols[:, 3] == 0 if cols.shape[1] == 4 else np.zeros(cols.shape[0], bool)
    transparent = np.zeros((int(hidden.any()), cols.shape[1]), np.uint8)
    cols, cnt = cols[~hidden], cnt[~hidden]
    if cols.shape[0] == 0 and fixed is None:  # every colour is fully transparent
        return transparent
    if cols.shape[0] < k and fixed is None:
        warn_few_colors(cols.shape[0], k, "colors has")
    features = features_of(cols, space)
    palette, labels = fit(cols, cnt, features, k, space, exact, rng, seed_on_cells=False,
                          fixed=fixed)
    order = fitted_order(palette, entry_weights(labels, cnt, len(palette)), fixed)
    return np.vstack([palette[order], transparent])


def fitted_order(pal: np.ndarray, counts: np.ndarray, fixed: np.ndarray | None) -> np.ndarray:
    """:func:`~quantize.reconstruct.palette.palette_order` of a fitted palette, but for its
    first ``len(fixed)`` entries (the fixed colours, when given), which stay first in
    their order.

    >>> pal = np.array([[0, 0, 0], [9, 9, 9], [5, 5, 5]], np.uint8)
    >>> fitted_order(pal, np.array([1, 2, 3]), None).tolist()
    [2, 1, 0]
    >>> fitted_order(pal, np.array([1, 2, 3]), pal[:1]).tolist()
    [0, 2, 1]
    """
    f = 0 if fixed is None else fixed.shape[0]
    if f == 0:
        return palette_order(pal, counts)
    return np.concatenate([np.arange(f), f + palette_order(pal[f:], counts[f:])])


def check_fixed_colors(fixed_colors: Any, n_colors: int | None,
                       name: str = "fixed_colors") -> np.ndarray | None:
    """``fixed_colors``, colours a fitted palette keeps as its first entries, as an
    ``(f, 3)`` uint8 array, or None when None or empty: each a colour name, ``#rrggbb``,
    ``rgb(r,g,b)`` or three ints (:func:`~quantize._validation.check_color`), opaque, no
    two alike, at most ``n_colors`` of them (None: the default palette size). Errors name
    ``name``.

    >>> check_fixed_colors(["#ff00ff", "black", (255, 255, 255)], 16).tolist()
    [[255, 0, 255], [0, 0, 0], [255, 255, 255]]
    >>> check_fixed_colors(["black", "#000"], 16)
    Traceback (most recent call last):
    ...
    ValueError: fixed_colors='#000' repeats #000000, given before it; expected each colour once
    >>> check_fixed_colors(["red", "lime", "blue"], 2)
    Traceback (most recent call last):
    ...
    ValueError: fixed_colors=red,lime,blue holds 3 colours, more than n_colors=2; expected at most 2
    """
    if fixed_colors is None:
        return None
    if isinstance(fixed_colors, str) or (isinstance(fixed_colors, tuple | list | np.ndarray)
                                         and len(fixed_colors) == 3
                                         and all(isinstance(v, numbers.Integral)
                                                 for v in fixed_colors)):
        fixed_colors = [fixed_colors]  # one colour
    opaque = ("which a fixed entry cannot have (fixed entries are opaque; transparent "
              "pixels take an entry of their own, after them)")
    rows: list[tuple[int, int, int]] = []
    for color in fixed_colors:
        rgb = check_color(color if isinstance(color, str) else tuple(color), name,
                          opaque=opaque)
        if rgb in rows:
            raise ValueError(f"{name}={color!r} repeats #{bytes(rgb).hex()}, given before "
                             "it; expected each colour once")
        rows.append(rgb)
    if not rows:
        return None
    k = DEFAULT_COLORS if n_colors is None else n_colors
    if len(rows) > k:
        raise ValueError(f"{fixed_shown(name, fixed_colors)} holds {len(rows)} colours, "
                         f"more than n_colors={k}; expected at most {k}")
    return np.array(rows, dtype=np.uint8)


class NamedColor(str):
    """A colour as text (``#d32f2f``) that a palette file names (``label``, ``Error red``):
    a fixed colour read from a named palette (.gpl, .json, .css, .ase) keeps its name
    through the options, to every palette file written with it (:func:`fixed_entry_names`).
    As a str it is the colour alone.

    >>> color = NamedColor("#d32f2f", "Error red")
    >>> color == "#d32f2f", color.label
    (True, 'Error red')
    """

    label: str | None

    def __new__(cls, color: str, label: str | None = None) -> NamedColor:
        self = super().__new__(cls, color)
        self.label = label
        return self

    def __reduce__(self) -> tuple[Any, ...]:  # kept through a process pool, a dask worker
        return NamedColor, (str(self), self.label)


def fixed_names(fixed_colors: Any) -> tuple[str | None, ...]:
    """The name of each of ``fixed_colors`` as given (:class:`NamedColor`'s ``label``,
    else None), in their order, or ``()`` when none has one.

    >>> fixed_names([NamedColor("#d32f2f", "Error red"), "black"]), fixed_names(["red"])
    (('Error red', None), ())
    """
    if fixed_colors is None or isinstance(fixed_colors, str):
        fixed_colors = [fixed_colors]
    names = tuple(getattr(color, "label", None) for color in fixed_colors)
    return names if any(names) else ()


def fixed_entry_names(palette: np.ndarray, fixed_colors: Any) -> list[str | None] | None:
    """The name of each entry of the ``(k, 3)`` or ``(k, 4)`` ``palette`` that is one of
    the ``fixed_colors`` (``#rrggbb``, checked) a palette file named
    (:func:`fixed_names`): opaque and of that colour; None for the others, and None when
    no fixed colour has a name. For the ``names`` of a palette file written
    (:func:`~quantize.palette_files.palette_file_bytes`).

    >>> pal = np.array([[211, 47, 47], [1, 2, 3]], np.uint8)
    >>> fixed_entry_names(pal, [NamedColor("#d32f2f", "Error red")])
    ['Error red', None]
    """
    names = fixed_names(fixed_colors)
    if not names:
        return None
    by_color = {bytes.fromhex(str(c)[1:7]): n for c, n in zip(fixed_colors, names, strict=True)}
    opaque = np.ones(len(palette), bool) if palette.shape[1] == 3 else palette[:, 3] == 255
    return [by_color.get(bytes(int(v) for v in row[:3])) if shown else None
            for row, shown in zip(palette, opaque, strict=True)]


def fixed_shown(name: str, fixed_colors: Any) -> str:
    """``name=`` and the fixed colours as given, joined by commas (as errors show them).

    >>> fixed_shown("fixed_colors", ["red", (0, 0, 255)])
    'fixed_colors=red,(0, 0, 255)'
    """
    if isinstance(fixed_colors, str):
        return f"{name}={fixed_colors}"
    return f"{name}=" + ",".join(c if isinstance(c, str) else str(tuple(int(v) for v in c))
                                 for c in fixed_colors)


def check_histogram(colors: Any, counts: Any) -> tuple[np.ndarray, np.ndarray]:
    """Validate a colour histogram and merge repeated colours (zero counts dropped)."""
    cols = check_palette(colors, "colors")  # any integers 0..255, as a palette's colours
    cnt = as_array(counts, "counts", "a numeric (m,) array, one count per colour")
    if (cnt.dtype == bool or not np.issubdtype(cnt.dtype, np.number)
            or np.issubdtype(cnt.dtype, np.complexfloating)):
        raise TypeError(f"counts should be real numbers, got dtype {cnt.dtype}")
    cnt = cnt.astype(np.float64)
    if cnt.shape != (cols.shape[0],):
        raise ValueError(f"counts should have shape ({cols.shape[0]},), got {cnt.shape}")
    with np.errstate(over="ignore"):  # an overflowing sum is refused just below
        total = cnt.sum()
    if not np.isfinite(cnt).all() or (cnt < 0).any() or total <= 0:
        raise ValueError("counts should be finite, >= 0 and have a positive sum")
    if total == np.inf:
        raise ValueError("counts sum to inf; expected a finite sum (rescale the counts)")
    merged, totals = merge_colors(cols, cnt)
    keep = totals > 0
    return merged[keep], totals[keep]


def with_channels(fixed: np.ndarray | None, channels: int) -> np.ndarray | None:
    """Fixed colours ``(f, 3)`` with an opaque alpha column when ``channels`` is 4."""
    if fixed is None or channels == 3:
        return fixed
    return np.hstack([fixed, np.full((fixed.shape[0], 1), 255, np.uint8)])


def warn_few_colors(m: int, k: int, where: str = "the image has",
                    kept: str | None = None) -> None:
    """Warn that only ``m < k`` colours exist, from the caller's first line outside quantize;
    ``where`` says what holds them (``"all the frames together have"`` when pooled), ``kept``
    what is returned when not those ``m`` colours (a palette per frame: each frame's own).
    ``m = 0`` is an image whose every pixel is fully transparent."""
    if m == 0:
        warn_caller(f"n_colors={k} but {where} no visible colour (every pixel is fully "
                    "transparent); returning the transparent entry alone", ColorCountWarning)
        return
    noun = "colour" if m == 1 else "colours"
    if kept is None:
        kept = "returning it" if m == 1 else f"returning those {m}"
    warn_caller(f"n_colors={k} but {where} only {m} distinct {noun}; {kept}",
                FewerColorsWarning)


def entry_weights(labels: np.ndarray, counts: np.ndarray, k: int) -> np.ndarray:
    """Total count ``(k,)`` float64 of the colours mapped to each of ``k`` entries."""
    return group_sums(np.empty((labels.size, 0)), labels, k, counts)[0]


# --------------------------------------------------------------------------
# Fitting (prior validation is assumed below)
# --------------------------------------------------------------------------


def fit(colors: np.ndarray, counts: np.ndarray, features: np.ndarray, k: int,
        space: str, exact_colors: bool,
        rng: np.random.Generator, *, seed_on_cells: bool,
        fixed: np.ndarray | None = None, clear: bool = False
        ) -> tuple[np.ndarray, np.ndarray]:
    """Palette ``(k', 3)`` uint8 and each distinct colour's entry; k' <= k.

    ``seed_on_cells``: a still image's fit, whose seedings of ``SUMMARY_SEEDED_FROM`` to
    ``SUMMARY_SEEDED_TO`` colours filling few cells are made on the cells (see the constants);
    false for colours pooled from frames or images (:func:`fit_palette`), fitted on directly.
    ``fixed``: ``(f, channels)`` uint8 distinct opaque colours, ``f <= k``, that are the
    palette's first entries, exactly (:func:`fit_with_fixed`).
    ``clear``: the image's fully transparent pixels have an entry of their own, which
    faint colours may take too: the k entries are fitted around it (see
    :func:`_clear_center`); ignored with ``fixed``.
    An entry more than half of whose pixels are one colour is that colour
    (:func:`held_colors`).
    """
    if fixed is not None:
        return fit_with_fixed(colors, counts, features, k, space, exact_colors, rng, fixed)
    if colors.shape[0] <= k:
        return colors.copy(), np.arange(colors.shape[0])
    passes = max(1, min(EXACT_PASSES, EXACT_WORK // colors.shape[0]))
    # Given all their passes, the exact passes do the refinement's work over again.
    refine = 0 if passes == EXACT_PASSES else SUMMARY_REFINE
    with_alpha = colors.shape[1] == 4
    around = _clear_center(colors, space) if clear and with_alpha else None
    if around is None:
        centers = _fit_centers(colors, counts, features, k, refine, rng, seed_on_cells)
    else:
        centers = _fit_centers(colors, counts, features, k + 1, refine, rng, False, around)
    centers, labels, _ = lloyd(features, counts, centers, passes, max_changed=EXACT_SETTLED,
                               empty="keep", labels_needed=exact_colors or with_alpha,
                               overshoot=EXACT_OVERSHOOT, fixed=0 if around is None else 1)
    most = _mostly_opaque(labels, colors[:, 3], counts, centers.shape[0]) if with_alpha else None
    if exact_colors:
        candidates = None if most is None else ~most[labels] | (colors[:, 3] == 255)
        palette = colors[_medoids(features, labels, centers, candidates)]
    else:
        if most is not None:
            centers = _opaque_where(most, centers, space)
        palette = to_colors(centers, space, colors.shape[1])
    if around is not None:  # the transparent entry is the image's already: k others
        palette = palette[1:]
    palette = distinct_rows(palette)  # rounding may merge two centres
    labels = nearest(features, features_of(palette, space))
    held = held_colors(palette, labels, colors, counts)
    if held is not palette:
        palette = distinct_rows(held)
        labels = nearest(features, features_of(palette, space))
    # An entry no colour is nearest to (an empty cluster kept, or one beside a merged
    # pair) would be listed with a share of 0 and counted in k: -k 5000 on 10,972
    # colours gave 4998 entries, 4997 drawn.
    used = np.bincount(labels, minlength=palette.shape[0]) > 0
    if not used.all():
        palette, labels = palette[used], (np.cumsum(used) - 1)[labels]
    return palette, labels


# An entry more than half of whose pixels are one colour is that colour (one colour at
# most can hold more than half). A flat colour of a chart (a line's, a bar's) and its
# anti-aliased edge shades fall in one cluster, whose mean is pulled off the flat colour by
# the shades: on a 900 x 600 matplotlib line plot at k = 16 every series colour moved by
# CIEDE2000 1.0-2.0 (#1f77b4 to #257ab5; pngquant --nofs 16 moved them 1.6-3.5). In that
# plot the five
# series colours hold 54-62 % of their clusters' pixels, the background and text 88-99 %;
# in the seven photos of bench_reduce (china, flower, astronaut, coffee, chelsea, rocket,
# motorcycle) at k = 16 and 64 no cluster but astronaut's black background (64 %, 77 %
# and 45 %) has one colour over 18 % of it. At DOMINANT_SHARE = 0.5 every series colour
# is kept exactly, at a PSNR cost of 0.1-0.3 dB on the plots (still above pngquant
# --nofs 16); at 0.6 three of the five series moved as before. Photos: astronaut k = 16
# 0.02 dB lower, the others unchanged to the bit. See docs/reduce.md, *Flat colours*.
DOMINANT_SHARE = 0.5


def held_colors(palette: np.ndarray, labels: np.ndarray, colors: np.ndarray,
                counts: np.ndarray, first: int = 0) -> np.ndarray:
    """``palette`` with each entry from ``first`` on whose most frequent colour (of those
    ``labels`` maps to it) holds more than :data:`DOMINANT_SHARE` of its pixels replaced by
    that colour (with alpha, only by one as opaque as the entry, or as translucent); the
    same array when none is.

    >>> colors = np.array([[0, 0, 0], [0, 0, 9], [90, 0, 0], [99, 0, 0]], np.uint8)
    >>> pal = np.array([[0, 0, 4], [95, 0, 0]], np.uint8)
    >>> held_colors(pal, np.array([0, 0, 1, 1]), colors, np.array([6., 4., 1., 1.])).tolist()
    [[0, 0, 0], [95, 0, 0]]
    >>> held_colors(pal, np.array([0, 0, 1, 1]), colors, np.array([5., 5., 1., 3.])).tolist()
    [[0, 0, 4], [99, 0, 0]]
    """
    k = palette.shape[0]
    top = group_argmax(counts, labels, k)
    held = top >= 0
    held[:first] = False
    held[held] = counts[top[held]] > DOMINANT_SHARE * entry_weights(labels, counts, k)[held]
    if colors.shape[1] == 4:
        held[held] = (colors[top[held], 3] == 255) == (palette[held, 3] == 255)
    held[held] = (palette[held] != colors[top[held]]).any(axis=1)
    if not held.any():
        return palette
    out = palette.copy()
    out[held] = colors[top[held]]
    return out


def _clear_center(colors: np.ndarray, space: str) -> np.ndarray | None:
    """The features ``(1, 4)`` float64 of the transparent entry ``[0, 0, 0, 0]``, a fixed
    centre of the fit of an image with fully transparent pixels, when some of its visible
    ``colors`` is translucent; None when all are opaque (none takes it then).

    A faint colour takes the transparent entry when it is its nearest
    (:func:`~quantize.reduce.image.histogram_entries`); fitted as if that entry were not
    there, a palette of few colours spent one of its entries on the faintest colours, which
    the transparent entry served nearly as well (alpha 9-15 on 16-64 px icons with a soft
    drop shadow, at 7 colours and the transparent entry). Fitted around it, faint colours
    join it and the k entries serve the rest: see docs/reduce.md, *Transparency*.
    """
    if not (colors[:, 3] < 255).any():
        return None
    return features_of(np.zeros((1, 4), np.uint8), space).astype(np.float64)


def fit_with_fixed(colors: np.ndarray, counts: np.ndarray, features: np.ndarray, k: int,
                   space: str, exact_colors: bool, rng: np.random.Generator,
                   fixed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`fit` whose first ``f`` entries are the colours ``fixed``, kept whether any
    colour takes them or not; the other ``k - f`` (at most) are fitted around them.

    The k-means centres of the fixed colours never move (``MiniBatchKMeans``'s
    ``fixed_centers``, :func:`~quantize._kernels.lloyd`'s ``fixed``); its seedings are
    not made on a summary of the cells (its runs would move them), and swaps take and
    split only the others (:func:`~quantize.kmeans_run.swap_search`'s ``fixed``); how many
    runs and swaps the fit makes is set by the ``k - f`` centres that move, as for a fit of
    ``k - f`` colours. The
    fitted entries follow in :func:`distinct_rows` order, less any that rounds to a
    fixed colour. Colours as near to a fixed entry as to a fitted one take the fixed one.
    Prior validation is assumed.
    """
    f = fixed.shape[0]
    free = ~np.isin(_row_codes(colors), _row_codes(fixed))
    if np.count_nonzero(free) <= k - f:  # every other colour an entry of its own
        palette = np.concatenate([fixed, colors[free]])
        return palette, nearest(features, features_of(palette, space))
    fixed_features = features_of(fixed, space).astype(np.float64)
    passes = max(1, min(EXACT_PASSES, EXACT_WORK // colors.shape[0]))
    refine = 0 if passes == EXACT_PASSES else SUMMARY_REFINE
    centers = _fit_centers(*_with_fixed_rows(colors, counts, features, fixed, k, space), k,
                           refine, rng, False, fixed_features)
    with_alpha = colors.shape[1] == 4
    centers, labels, _ = lloyd(features, counts, centers, passes, max_changed=EXACT_SETTLED,
                               empty="keep", labels_needed=True,
                               overshoot=EXACT_OVERSHOOT, fixed=f)
    if exact_colors:
        most = _mostly_opaque(labels, colors[:, 3], counts, k) if with_alpha else None
        candidates = None if most is None else ~most[labels] | (colors[:, 3] == 255)
        fitted = colors[_medoids(features, labels, centers, candidates)][f:]
    else:
        if with_alpha:
            centers = _opaque_where(_mostly_opaque(labels, colors[:, 3], counts, k),
                                    centers, space)
        fitted = to_colors(centers[f:], space, colors.shape[1])
    fitted = distinct_rows(fitted)
    fitted = fitted[~np.isin(_row_codes(fitted), _row_codes(fixed))]
    palette = np.concatenate([fixed, fitted])
    labels = nearest(features, features_of(palette, space))
    held = held_colors(palette, labels, colors, counts, first=f)
    if held is not palette:  # a fixed colour takes its own pixels: none is held elsewhere
        palette = np.concatenate([fixed, distinct_rows(held[f:])])
        labels = nearest(features, features_of(palette, space))
    used = np.bincount(labels, minlength=palette.shape[0]) > 0
    used[:f] = True
    if not used.all():
        palette, labels = palette[used], (np.cumsum(used) - 1)[labels]
    return palette, labels


def _with_fixed_rows(colors: np.ndarray, counts: np.ndarray, features: np.ndarray,
                     fixed: np.ndarray, k: int, space: str
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``colors``, ``counts`` and ``features`` as :func:`fit_with_fixed`'s k-means takes
    them: with fewer colours than its ``k`` centres, which k-means refuses, the fixed
    colours not among them joined as rows of a weight that moves nothing (each lies on
    its own centre, which never moves). Two colours and two fixed ones at ``k = 3`` stopped
    with "n_clusters=3 should be <= the number of rows" where the one entry beside the
    fixed ones serves both colours.

    >>> cols = np.array([[10, 200, 30], [240, 240, 10]], np.uint8)
    >>> fixed = np.array([[211, 47, 47], [240, 240, 10]], np.uint8)
    >>> rows, weights, _ = _with_fixed_rows(cols, np.array([5.0, 3.0]), cols * 1.0, fixed, 3,
    ...                                     "rgb")
    >>> rows.tolist(), weights[:2].tolist()
    ([[10, 200, 30], [240, 240, 10], [211, 47, 47]], [5.0, 3.0])
    """
    if colors.shape[0] >= k:
        return colors, counts, features
    extra = fixed[~np.isin(_row_codes(fixed), _row_codes(colors))]
    weight = np.full(extra.shape[0], counts.min() * 1e-9)  # float: counts may be ints
    return (np.concatenate([colors, extra]), np.concatenate([counts, weight]),
            np.concatenate([features, features_of(extra, space).astype(features.dtype)]))


# A cluster of mostly opaque pixels and a few translucent ones (a sprite's soft edge) has
# a mean alpha a little under 255, so its opaque pixels came back translucent: 48,637 of
# the 53,359 opaque pixels of a 512 x 512 sprite sheet at k = 16 (alpha 240-254), which
# breaks alpha testing and costs blending. An entry at least OPAQUE_SHARE of whose pixels
# are opaque is made opaque, of its pixels' colours weighted by their alpha (its mean
# premultiplied colour over its mean alpha), so that a cluster of one colour keeps it:
# when its colour features stayed the mean of its pixels' (in RGB, the mean of what they
# show on black and on white), white glyphs anti-aliased on a transparent sheet came back
# 248-253 where opaque. (These figures date from when it was the mean premultiplied
# colour, nearest them on black.) Premultiplied PSNR at k = 16 / 64 / 256: on the
# sheet -0.03 / -0.07 / -0.01 dB, no opaque pixel made translucent (6 at k = 256, where
# 12,889 were); on bench_reduce's RGBA disc -0.006 / 0 / 0 dB; on three Adwaita icons with
# soft alpha -0.12 dB at worst (48 x 48 trophy-silver at k = 16). Making opaque every entry
# within 16 levels of 255 instead cost up to 10 dB at k = 256 on icons whose translucent
# pixels had entries of their own. With exact colours the medoid of such a cluster is taken
# among its opaque pixels (8,043 of the sheet's opaque pixels came back translucent at
# k = 16 when it was taken among them all).
OPAQUE_SHARE = 0.5


def _mostly_opaque(labels: np.ndarray, alpha: np.ndarray, counts: np.ndarray,
                   k: int) -> np.ndarray:
    """Whether each of the ``k`` clusters (``labels``; the colours' ``alpha`` and
    ``counts``) is at least :data:`OPAQUE_SHARE` opaque by count, ``(k,)`` bool."""
    totals = entry_weights(labels, counts, k)
    opaque = entry_weights(labels, counts * (alpha == 255), k)
    return (totals > 0) & (opaque >= OPAQUE_SHARE * totals)


def _opaque_where(most: np.ndarray, centers: np.ndarray, space: str) -> np.ndarray:
    """``centers`` (features of colours with alpha) made opaque where ``most``: each of
    those the colour of its premultiplied mean over its mean alpha, its pixels' colours
    weighted by their alpha (see ``OPAQUE_SHARE``)."""
    if not most.any():
        return centers
    out = centers.copy()
    premultiplied = to_premultiplied(centers[most], space)
    premultiplied[:, :3] /= (np.maximum(premultiplied[:, 3:], 1.0) / 255.0)
    premultiplied[:, 3] = 255.0
    out[most] = from_premultiplied(premultiplied, space)
    return out


def _fit_centers(colors: np.ndarray, counts: np.ndarray, features: np.ndarray, k: int,
                 refine: int, rng: np.random.Generator, seed_on_cells: bool,
                 fixed: np.ndarray | None = None) -> np.ndarray:
    """Weighted mini-batch k-means on the colours, or on their cell summary when many (or
    seeded on it, with ``seed_on_cells``, when fewer; see ``SUMMARY_SEEDED_FROM``);
    ``fixed``: the features of the first centres, which never move (then no swaps)."""
    data, weights = features, counts
    m = colors.shape[0]
    if seed_on_cells and SUMMARY_SEEDED_FROM < m <= SUMMARY_SEEDED_TO:
        centers = _summary_seeded(colors, counts, features, k, rng)
        if centers is not None:
            return centers
    if m > DIRECT_FIT_MAX:
        fine = m >= FINE_CELLS_FROM or m <= FINE_CELLS_BELOW
        shift = FINE_SHIFT if fine else COARSE_SHIFT
        if colors.shape[1] == 4 and occupied_cells(colors, shift) > ALPHA_CELLS_MAX:
            shift += 1
        apart = counts >= counts.sum() / (HEAVY_SHARE * k)
        cell_data, cell_weights = _summary(colors, counts, features, shift, apart)
        while cell_data.shape[0] < 4 * k and shift > 1:  # too few cells for k: finer ones
            shift -= 1
            cell_data, cell_weights = _summary(colors, counts, features, shift, apart)
        if cell_data.shape[0] >= 4 * k:
            data, weights = cell_data, cell_weights
    n_fixed = 0 if fixed is None else fixed.shape[0]
    free = k - n_fixed  # the runs and swaps suit the centres that move
    km = MiniBatchKMeans(k, n_init=_runs(data.shape[0], max(free, 1)), refine=refine,
                         fixed_centers=fixed, seed=rng)
    centers = km.fit(data, sample_weight=weights).cluster_centers_
    trials = _swap_trials(data.shape[0], free)
    if trials:
        centers = swap_search(data, weights.astype(np.float64), centers, trials,
                              fixed=n_fixed)
    return centers


def _summary_seeded(colors: np.ndarray, counts: np.ndarray, features: np.ndarray, k: int,
                    rng: np.random.Generator) -> np.ndarray | None:
    """Centres fitted on the colours from runs seeded and settled on their summary in
    the cells :func:`_seeding_shift` picks (see ``SUMMARY_SEEDED_FROM``), or None when it
    picks none (none is summed then), or when the summary holds fewer than 4k points (or
    k distinct ones)."""
    shift = _seeding_shift(colors, k)
    if shift is None:
        return None
    apart = counts >= counts.sum() / (HEAVY_SHARE * k)
    data, weights = _summary(colors, counts, features, shift, apart)
    if data.shape[0] < 4 * k:
        return None
    centers = summary_runs(data, weights, features, counts, k, _runs(colors.shape[0], k),
                           SUMMARY_SEEDED_PASSES, rng)
    trials = _swap_trials(data.shape[0], k)
    if centers is not None and trials:
        centers = swap_search(data, weights.astype(np.float64), centers, trials)
    return centers


def _seeding_shift(colors: np.ndarray, k: int) -> int | None:
    """The cells a still's seedings are made on (see ``SUMMARY_SEEDED_SHARE``): 4 levels
    wide (``FINE_SHIFT``) when they number at most that share of the colours, else 8
    (``COARSE_SHIFT``) when those number at most ``SUMMARY_COARSE_SHARE`` of them; None
    when neither does, or when the cells number fewer than ``4 k``.

    4,096 colours 1, 4 and 16 levels apart fill 64 cells 4 levels wide, 512 cells 8
    levels wide, and 4,096 of those:

    >>> def grid(step):
    ...     levels = np.arange(0, 16 * step, step)
    ...     return np.stack(np.meshgrid(levels, levels, levels), -1).reshape(-1, 3)
    >>> [_seeding_shift(grid(step).astype(np.uint8), 2) for step in (1, 4, 16)]
    [2, 3, None]
    >>> _seeding_shift(grid(1).astype(np.uint8), 32)  # 64 cells: too few for 32 colours
    """
    for shift, share in ((FINE_SHIFT, SUMMARY_SEEDED_SHARE),
                         (COARSE_SHIFT, SUMMARY_COARSE_SHARE)):
        cells = occupied_cells(colors, shift)
        if cells < 4 * k:
            return None
        if cells <= share * colors.shape[0]:
            return shift
    return None


def _summary(colors: np.ndarray, counts: np.ndarray, features: np.ndarray, shift: int,
             apart: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`cell_summary` of the colours but those marked ``apart``, then those, each a
    point of its own."""
    if not apart.any():
        return cell_summary(colors, counts, features, shift)
    data, weights = cell_summary(colors, counts, features, shift, leave_out=apart)
    return (np.concatenate([data, features[apart].astype(np.float32)]),
            np.concatenate([weights, counts[apart]]))


def _seedings(n: int, k: int) -> int:
    """How many seedings the fit on ``n`` summary points makes for ``k`` colours."""
    if k > ONE_SEEDING_ABOVE:
        return 1
    if k > FEW_SEEDINGS_ABOVE:
        return MIN_N_INIT
    most = SWAP_N_INIT if _swap_trials(n, k) else MAX_N_INIT
    return min(most, max(MIN_N_INIT, SEEDING_WORK // n))


def _runs(n: int, k: int) -> int:
    """How many runs the fit on ``n`` summary points makes for ``k`` colours, each comparing
    :func:`~quantize.kmeans_run.seedings_per_run` seedings: one from ``ONE_RUN_FROM`` colours
    when a run compares several (see the constant), else as many as make
    :func:`_seedings`."""
    per_run = seedings_per_run(n)
    if per_run > 1 and k >= ONE_RUN_FROM:
        return 1
    return max(1, _seedings(n, k) // per_run)


def _swap_trials(n: int, k: int) -> int:
    """How many swaps the fit on ``n`` summary points tries for ``k`` colours."""
    return SWAP_TRIALS if SWAPS_FROM <= k <= FEW_SEEDINGS_ABOVE and n <= SWAP_ROWS else 0


# Dithering draws a colour by mixing the entries around it, so it can only draw colours
# inside the palette's span. k-means centres sit at their clusters' means, inside the
# span of the image's colours: its brightest lights, deepest shadows and most saturated
# hues cannot be reached, and the error diffused towards them is clipped. So before
# dithering each fitted entry moves straight away from the image's mean colour, by
# _SPREAD_RADIUS of its cluster's RMS radius, at most _SPREAD_FAR of its distance from
# that mean: an entry of a flat area (a tight cluster) stays where it is, and so does an
# entry near the mean. Chosen by blurred PSNR (Gaussian, sigma 1) and PNG bytes against
# pngquant's default dithering on 80 BSDS500 *train* photos (four sets of 20, every 10th
# from 0, 2, 5, 7): at k = 16 the median gap to pngquant went from +0.35 / +0.21 / +0.17
# / +0.30 dB to +0.88 / +0.76 / +0.67 / +0.73 dB (photos behind pngquant 5 / 5 / 8 / 6
# of 20 to 0 / 2 / 4 / 2), at k = 64 from +0.74 / +0.60 / +0.60 / +0.67 to +1.07 /
# +0.91 / +0.87 / +1.05 dB (behind 1 / 2 / 3 / 2 to 1 / 1 / 3 / 1), for -0.4 to +1.4 %
# bytes (medians). Every entry moved away from the
# mean by a share of its distance alone (no radius) gained as much on the median but
# lost up to 1 dB on photos with a large flat area (train 238011, 253036), whose exact
# entry moved and then dithered; wider shares (radius 0.35-0.5) gained 0.05-0.1 dB more
# on the median and lost up to 0.2 dB more on the worst photos.
_SPREAD_FAR, _SPREAD_RADIUS = 0.08, 0.25
# That move keeps the entries that mark the palette's outer edge well inside their
# clusters, and colours beyond the edge are drawn with that entry, their whole error left
# (3.1 % of skimage's camera at k = 8, lighter than its top entry 216 where pngquant's is
# 239: 2.72 dB of blurred PSNR behind pngquant). A colour dithered between two entries
# keeps its local average, and of its dither pattern the blur leaves 1.3-2.5 % of the
# variance (a flat grey and a noisy ramp, between entries 20 levels apart). So an entry
# beyond every other along its own outward direction moves further, when that is
# further, to where its cluster's colours beyond it weigh _REACH_COST of those short of
# it, by the sum of their offsets along the direction (the entry minimising the squared
# offsets beyond it plus _REACH_COST times those short of it: an expectile, as the mean
# minimises both at full weight). The cost stands for the blurred dither noise, which
# also grows with the gap to the next entry: 0.02, 0.05, 0.1 and 0.2 all gained, 0.05
# most evenly. Against pngquant's default, on the seven benchmark photos at k = 16 and
# 64 the median blurred PSNR gap went from +1.35 to +1.52 dB for bytes 0.989x to 0.993x
# of pngquant's; on 20 BSDS500 train photos (every 10th from 3) at k = 8 and 32 from
# +0.52 to +0.70 dB (photos behind pngquant 5 to 3 of 40; worst -1.02 to -0.93 dB) for
# bytes 0.996x to 1.008x; on five greyscale images of skimage.data at k = 4, 8 and 16,
# camera at k = 8 from -2.72 to +1.09 dB and the median from +1.56 to +3.33 dB.
_REACH_COST = 0.05
# An outermost cluster of which one colour holds this share of the pixels or more (a page's
# flat background, 54 % of a screenshot) is left where the spread puts it: moved off
# that colour, the entry left the whole flat area to be dithered between two entries
# (one such screenshot at k = 16: 2.16x pngquant's bytes, blurred PSNR 3.3 dB behind).
_FLAT_SHARE = 0.5


def spread_for_dither(palette: np.ndarray, hist: Histogram, labels: np.ndarray,
                      strength: float) -> np.ndarray:
    """A fitted ``palette`` with its entries moved outwards for dithering (see above).

    ``labels`` are the entries of ``hist``'s colours; ``strength`` (the dithering's,
    0..1) scales each move, the outermost entries' reach too. Alpha does not move, and a
    translucent entry (alpha < 255) does not move at all: its colour features are its
    premultiplied colour, which its alpha scales, so a move away from the mean of
    colours of other alphas changes its straight colour for their alpha, not for any
    colour of the image (white glyphs anti-aliased on a transparent sheet, dithered at
    k = 3, had an entry (151, 151, 151) at alpha 79). The palette itself is returned when
    two entries would round to one colour.
    """
    k = palette.shape[0]
    mean = _mean_feature(hist)
    entries = features_of(palette, hist.space).astype(np.float64)
    # Each colour's offset from its entry a chunk at a time: as (m, d) float64 arrays, the
    # offsets and the entries gathered for them took 450 MB more for the 7.1 M colours of
    # a 12 MP image with soft alpha (1.17 GB dithered, against 0.58 GB undithered).
    off_sq = sq_dist_to_labels(hist.features, entries, labels, np.float64)
    spread = np.bincount(labels, weights=hist.counts * off_sq, minlength=k)
    totals = entry_weights(labels, hist.counts, k)
    radius = np.sqrt(spread / np.maximum(totals, 1e-12))
    outward = entries - mean
    if palette.shape[1] == 4:
        outward[:, 3] = 0.0
    far = np.sqrt(np.einsum("ij,ij->i", outward, outward))
    step = strength * np.minimum(_SPREAD_FAR * far, _SPREAD_RADIUS * radius)
    unit = outward / np.maximum(far, 1e-12)[:, None]
    outermost = _outermost(entries, unit)
    if outermost.any():
        reach = strength * _reach_steps(hist, entries, labels, unit, outermost)
        step[outermost] = np.maximum(step[outermost], reach)
    if palette.shape[1] == 4:
        step[palette[:, 3] < 255] = 0.0  # see above
    moved = entries + outward * (step / np.maximum(far, 1e-12))[:, None]
    out = to_colors(moved, hist.space, palette.shape[1])
    out[step == 0.0] = palette[step == 0.0]
    return out if distinct_rows(out).shape[0] == k else palette


def _outermost(entries: np.ndarray, unit: np.ndarray) -> np.ndarray:
    """Mask ``(k,)`` of the entries that lie beyond every other along their own outward
    ``unit`` direction (not one at the image's mean, which has none)."""
    beyond = entries @ unit.T - np.einsum("ij,ij->i", entries, unit)[None, :]
    return (beyond.max(axis=0) <= 1e-9) & unit.any(axis=1)


def _reach_steps(hist: Histogram, entries: np.ndarray, labels: np.ndarray, unit: np.ndarray,
                 chosen: np.ndarray) -> np.ndarray:
    """How far each ``chosen`` entry moves along its ``unit`` direction: to the
    ``_REACH_COST`` expectile of its cluster's colours along it (see above), at least 0.

    A cluster at a time, its colours' offsets along the direction taken a chunk at a time
    (as :func:`~quantize._kernels.sq_dist_to_labels` takes its offsets): at k = 2 on a
    12 MP image with soft alpha every one of its 3.8 M colours is in an outermost cluster.
    """
    steps = np.zeros(entries.shape[0])
    size = chunk_rows(1, entries.shape[1])
    for j in np.flatnonzero(chosen):
        rows = np.flatnonzero(labels == j)
        weights = np.take(hist.counts, rows)
        if _FLAT_SHARE * weights.sum() <= weights.max(initial=0):
            continue  # a flat colour's cluster: its entry stays on it (see above)
        along = np.empty(rows.size)
        for start in range(0, rows.size, size):  # np.take: 5x faster than [] on (n, d) rows
            part = slice(start, start + size)
            off = np.take(hist.features, rows[part], axis=0).astype(np.float64)
            off -= entries[j]
            np.matmul(off, unit[j], out=along[part])
        steps[j] = _expectile(along, weights, _REACH_COST)
    return steps[chosen].clip(min=0.0)


# Newton steps _expectile takes at most; it settles in a few (at most 6 on the seven
# benchmark photos, camera and moon, k = 2 to 256).
_EXPECTILE_STEPS = 64


def _expectile(values: np.ndarray, weights: np.ndarray, cost: float) -> float:
    """The ``cost`` expectile of ``values`` (weighted by ``weights``): the ``s`` where the
    weighted offsets of the values beyond it sum ``cost`` times those of the values short
    of it, that is the ``s`` least in the sum of the squared offsets beyond it and
    ``cost`` times those short of it (0 for no values).

    By Newton's steps from the mean, each the least of that sum with the values beyond
    ``s`` and short of it as they are; the sum's slope is increasing and concave in
    ``s`` (``cost`` < 1), so the steps settle on ``s`` from below, in a few, with no sort
    and no copy of the values but one product.

    >>> _expectile(np.array([0., 1., 2., 3.]), np.ones(4), 1.0)
    1.5
    >>> round(_expectile(np.array([0., 1., 2., 3.]), np.ones(4), 1 / 3), 12)
    2.0
    """
    if not values.size:
        return 0.0
    total = float(weights.sum())
    wv = weights * values
    wv_total = float(wv.sum())
    s = wv_total / total
    for _ in range(_EXPECTILE_STEPS):
        beyond = values > s
        w_beyond = float(np.sum(weights, where=beyond))
        wv_beyond = float(np.sum(wv, where=beyond))
        step = ((wv_beyond + cost * (wv_total - wv_beyond))
                / (w_beyond + cost * (total - w_beyond)))
        if step == s:
            break
        s = step
    return s


# Colours whose float64 features _mean_feature makes at a time.
_MEAN_ROWS = 1 << 16


def _mean_feature(hist: Histogram) -> np.ndarray:
    """The count-weighted mean ``(d,)`` float64 of ``hist``'s features.

    One product of the counts with the float64 features of all the colours, as it always
    was: summed a chunk at a time, the mean differs in its last bits (BLAS orders a long
    sum its own way), and so could a palette entry rounded from it. The float64 features
    are made from the colours a chunk at a time, and the float32 ones cached on ``hist``
    let go first (computed again when next asked for): held beside the float64 copy, they
    took 57 MB more for the 3.8 M colours of a 12 MP image with soft alpha.
    """
    hist.forget_features()
    m = hist.colors.shape[0]
    features = np.empty((m, hist.feature_rows(slice(0, 0)).shape[1]), np.float64)
    for start in range(0, m, _MEAN_ROWS):
        rows = slice(start, start + _MEAN_ROWS)
        features[rows] = hist.feature_rows(rows)
    return hist.counts @ features / hist.counts.sum()


def cell_summary(colors: np.ndarray, counts: np.ndarray, features: np.ndarray,
                 shift: int, *, leave_out: np.ndarray | None = None
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Weighted mean feature and total count of each occupied sRGB cell.

    Cells are ``2**shift`` levels wide per channel (alpha, when present, is
    a fourth channel). The colours marked in ``leave_out`` (an ``(m,)`` bool mask) are
    not counted: they are summed in one more cell, dropped, rather than left out of
    copies of the colours, counts and features (107 MB for the 4 M colours of a 12 MP
    image with soft alpha).
    """
    cell, n_cells = _cell_numbers(colors, shift)
    if leave_out is not None:
        cell[leave_out] = n_cells  # numbered after every cell, by a table or np.unique
        n_cells += 1
    if n_cells > _CELL_TABLE_MAX:  # too many cells for a table: number the occupied ones
        _, cell = np.unique(cell, return_inverse=True)
        n_cells = int(cell.max()) + 1
    occupied, totals, sums = occupied_group_sums(features, cell.ravel(), n_cells, counts)
    if leave_out is not None and leave_out.any():  # the cell of those left out, the last
        kept = occupied < n_cells - 1
        totals, sums = totals[kept], sums[kept]
    return (sums / totals[:, None]).astype(np.float32), totals


def occupied_cells(colors: np.ndarray, shift: int) -> int:
    """How many cells of ``2**shift`` levels a side (see :func:`cell_summary`) hold a colour."""
    cell, n_cells = _cell_numbers(colors, shift)
    seen = np.zeros(n_cells, dtype=bool)
    seen[cell] = True
    return int(np.count_nonzero(seen))


def _cell_numbers(colors: np.ndarray, shift: int) -> tuple[np.ndarray, int]:
    """Cell number ``(m,)`` of each colour in cells of ``2**shift`` levels, and how many cells.

    The first channel's level is the most significant, as ``np.ravel_multi_index`` numbers
    them; summed a channel at a time into one array (the levels of every channel at once,
    as intp, took 230 MB for the 7.1 M colours of a 12 MP image with soft alpha).

    >>> _cell_numbers(np.array([[255, 0, 8], [8, 16, 255]], np.uint8), 3)[0].tolist()
    [31745, 1119]
    """
    side = 256 >> shift
    cell = np.zeros(colors.shape[0], np.intp)
    for channel in colors.T:
        cell *= side
        cell += channel >> shift
    return cell, side ** colors.shape[1]


def _medoids(features: np.ndarray, labels: np.ndarray, centers: np.ndarray,
             candidates: np.ndarray | None = None) -> np.ndarray:
    """Row index of the member nearest to each non-empty cluster's mean, among the
    members where ``candidates`` (bool, one per row) is true when given; each cluster
    must keep one.

    For squared distances this member is the weighted medoid: it minimises the
    weighted sum of squared distances to the other members.
    """
    d = ((features - centers[labels].astype(np.float32)) ** 2).sum(axis=1)
    if candidates is not None:
        d[~candidates] = np.inf
    order = np.lexsort((d, labels))
    first = np.ones(order.size, dtype=bool)
    first[1:] = labels[order][1:] != labels[order][:-1]
    return order[first]


def to_srgb(centers: np.ndarray, space: str) -> np.ndarray:
    """Round cluster centres in ``space`` to uint8 sRGB colours."""
    if space == "lab":
        return lab_to_srgb(centers)
    return np.clip(np.rint(centers), 0, 255).astype(np.uint8)


def distinct_rows(palette: np.ndarray) -> np.ndarray:
    """The distinct rows of a uint8 palette, in the order ``np.unique(palette, axis=0)`` gives.

    Each row is packed into one integer (its 24-bit colour code, then alpha),
    whose order is the rows' lexicographic order. ``np.unique`` with ``axis``
    would import ``numpy.ma`` on its first call, 12-16 ms of every command's time.

    >>> distinct_rows(np.array([[9, 0, 1], [0, 5, 5], [9, 0, 1]], np.uint8)).tolist()
    [[0, 5, 5], [9, 0, 1]]
    """
    _, first = np.unique(_row_codes(palette), return_index=True)
    return palette[first]


def first_rows(palette: np.ndarray) -> np.ndarray:
    """The distinct rows of a uint8 palette, each at its first occurrence, in the palette's
    order (``palette`` itself when no row repeats).

    >>> first_rows(np.array([[9, 0, 1], [0, 5, 5], [9, 0, 1]], np.uint8)).tolist()
    [[9, 0, 1], [0, 5, 5]]
    """
    _, first = np.unique(_row_codes(palette), return_index=True)
    if first.size == palette.shape[0]:
        return palette
    return palette[np.sort(first)]


def tie_order(palette: np.ndarray) -> np.ndarray:
    """Rows ``(k,)`` of a uint8 palette in the order :func:`distinct_rows` sorts them.

    :func:`fit` maps each colour onto its palette in that order, so of two
    equally near entries the one whose colour sorts first (by red, green, blue,
    then alpha) takes it. Mapping onto ``palette[order]`` and reading the
    labels through ``order`` breaks ties the same way whatever order the
    palette is in (a repeated colour: its first row).

    >>> tie_order(np.array([[9, 0, 1], [0, 5, 5], [9, 0, 1]], np.uint8)).tolist()
    [1, 0, 2]
    """
    return np.argsort(_row_codes(palette), kind="stable")


def _row_codes(palette: np.ndarray) -> np.ndarray:
    """One integer ``(k,)`` per row, ordered as the rows are lexicographically."""
    codes = pack_rgb(palette[:, :3]).astype(np.uint64)
    if palette.shape[1] == 4:
        codes = codes << np.uint64(8) | palette[:, 3].astype(np.uint64)
    return codes


def to_colors(centers: np.ndarray, space: str, channels: int) -> np.ndarray:
    """Round cluster centres (features of colours with alpha when ``channels`` is 4, see
    :func:`~quantize.colors.to_premultiplied`) to uint8 colours.

    With alpha, the result is straight RGBA with alpha >= 1: fully transparent
    pixels have an entry of their own, outside the fit. Its colour is the premultiplied
    colour over the centre's alpha before that is rounded, so that a cluster of one
    straight colour at many alphas keeps that colour exactly.
    """
    if channels == 3:
        return to_srgb(centers, space)
    premultiplied = to_premultiplied(centers, space)
    # The colour over the alpha before rounding: a cluster of one straight colour keeps it
    # (over the rounded alpha, white glyphs' entries came out 251-254)
    exact = np.clip(premultiplied[:, 3], 1, 255)
    alpha = np.rint(exact)
    straight = premultiplied[:, :3] / (exact / 255.0)[:, None]
    out = np.empty((centers.shape[0], 4), dtype=np.uint8)
    out[:, :3] = to_srgb(straight, space)
    out[:, 3] = alpha
    return out
