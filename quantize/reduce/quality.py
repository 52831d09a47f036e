"""Quality search: the fewest colours whose CIEDE2000 meets a target.

The target Q bounds the mean CIEDE2000 against the original and, so that a
small area of its own colour is not lost in that mean, its tail
(:func:`quality_error`); a translucent pixel counts the worse of its difference
on black and on white. Quick fits on coarse cells, judged on a sample of
pixel colours, bracket k; then full fits (:func:`quantize.reduce.fit.fit`) walk
from that guess to the smallest k that meets the target.
Prior validation is assumed.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from .._kernels import nearest
from .._validation import shown_number
from ..colors import ciede2000, mean_ciede2000
from ..errors import (
    QualityError,
    QualityLimitWarning,
    QualityReached,
    QualityScaleWarning,
    warn_caller,
)
from ..kmeans import MiniBatchKMeans
from .fit import (
    DEFAULT_COLORS,
    SUMMARY_REFINE,
    Histogram,
    cell_summary,
    distinct_rows,
    features_of,
    fit,
    lab_of,
    to_colors,
)

__all__ = ["INNER_LEVELS", "QUALITY_ACCENT", "QUALITY_BOUNDS", "QUALITY_CELL_PIXELS",
           "QUALITY_MEANS", "QUALITY_SCALE_WARNING_ABOVE", "QUALITY_TAIL", "AccentAreas",
           "QualityScaleWarning", "accent_areas", "accent_pixels", "kept_within_limit",
           "limit_meeting", "on_white", "out_of_reach", "quality_bound", "quality_bound_words",
           "quality_error", "quality_reached", "quality_scale_reason", "quality_terms",
           "reached_words", "search_quality", "smallest_k", "starting_as", "tail_limits",
           "tail_missed", "warn_limit_kept", "warn_quality_scale", "worse_on_white"]

#: A ``quality`` above this lets nearly any image through with the fewest colours (two
#: colours of a photo are a mean CIEDE2000 of 8 to 17 away), as pngquant's scores do.
QUALITY_SCALE_WARNING_ABOVE = 20


#: Besides the mean, at most this share of the pixels may be more than this many times
#: Q away: the 99th percentile of CIEDE2000 at most 5 Q, the 99.9th at most 10 Q. A mean
#: alone let a large flat background hide small areas of their own colour. On three
#: screenshots (800 x 600 to 1280 x 800: grey and white panels, text in two greys and
#: blue, red and blue figures, small green, orange and purple badges) Q = 1 chose 5-7
#: colours and Q = 2 chose 2-4, drawing figures and badges grey (99th percentiles 10-32);
#: now 17-20 colours (99th percentiles 2.4-4.1), every colour within ΔE 1 of its own,
#: and 8-15 (4.8-8.0), every figure and badge within ΔE 13 (yellow dots of 0.03 % of
#: the pixels 27-40 away, under the 0.1 % the bounds allow). On three 64 x 64 icons
#: with soft alpha, Q = 2 chose 6 colours, 5 % of the visible pixels more than 5 away
#: (99th percentiles 18-19); now 21-26 (5.5-6.6). On 16 photos (skimage's astronaut,
#: coffee, chelsea and rocket, scikit-learn's china and flower, 10 BSDS500 training
#: photos) no k chosen at Q = 1, 2, 3 or 5 changed: there the k meeting the mean has its
#: 99th percentile at 2.4-4.9 Q and its 99.9th at 3.6-9.8 Q. With the 99th percentile
#: bound alone, Q = 1 chose 13 colours for the 1280 x 800 screenshot and drew its
#: yellow dots 27 away; with the 99.9th alone, the icons kept 5-6 colours at Q = 3.
QUALITY_TAIL = ((0.01, 5.0), (0.001, 10.0))
#: Besides the mean and its tail, no area of its own colour of at least this many pixels and
#: this share of them may be more than this many times Q away. The tail lets 0.1 % of the
#: pixels be anything: on two 800 x 500 and 1000 x 520 screenshots of white cards on grey
#: with grey text and 8 status dots of 10 px (0.02 % of the pixels each), Q = 3 chose 2
#: colours and Q = 2 chose 8-9, drawing the dots 5-37 away (grey, black or blue). At 4 Q, no
#: k chosen for the seven web photos of the benchmark at Q = 2, 3 or 5 changed (their worst
#: colour of 16 pixels is 1.9-3.7 Q away at that k); at 2 Q and 3 Q, k grew on five of them
#: (astronaut at Q = 3: 57 colours to 84 and 73; at 2 Q, flower and rocket at Q = 2 needed
#: more than 256).
#: An area was a distinct colour (RGB, or RGBA), every pixel of it counted. On 300-dpi scans
#: of A4 pages (8.7 MP, 435 pixels to count), that missed both ways: scanner noise spread a
#: red stamp of 88,643 pixels and a blue signature of 6,813 over thousands of colours of a
#: few pixels each, and Q = 5 chose 3 colours, drawing them brown-grey (mean ΔE 21 and 31);
#: on a grey page, the anti-aliased edges of text piled up into 256 levels of thousands of
#: pixels each, and Q = 2 chose 8 colours (1.46 MB), two on paper noise, where 4 have a mean
#: ΔE of 1.03 (176 KB). Now only inner pixels count (see :data:`INNER_LEVELS`), and an area
#: is a colour's, or a cell's of colours within 4 Q (:func:`accent_areas`, at least
#: :data:`QUALITY_CELL_PIXELS`), the difference of a cell being that of its mean colour from
#: the nearest entry. Q = 5 now chooses 15 colours for the colour page, drawing stamp and
#: signature 7.9 and 8.1 away (and Q = 2, 165 instead of 75: the areas of the photo on it
#: count now), and Q = 2 chooses 4 for the grey page (176 KB); two more
#: pages (green and purple inks, noise of 6 levels; an orange and a blue one, noise of 3 and
#: JPEG 85) chose 8 and 3 colours at Q = 5, drawing the signatures 22-25 away, and now 18
#: and 12, 8-9 away. On the photos of QUALITY_TAIL and the two screenshots, k at Q = 1, 2, 3
#: and 5 changed three times: a BSDS photo at Q = 3 and 5 (6 to 4, 4 to 3; the colour that
#: held them, of 17-18 pixels, has 3 inner ones, and the worst area at the new k is 11.5 and
#: 18.8 away) and the 800 x 500 screenshot at Q = 1 (22 to 21; a grey of 40 pixels, all on
#: text edges, was 4.3 away).
QUALITY_ACCENT = (16, 5e-5, 4.0)
#: A pixel is inner, and counts in an area of :data:`QUALITY_ACCENT`, when each of its
#: four neighbours is within this many levels of it in every channel: a scan's noise
#: (4 levels) leaves 84 % of a page's pixels inner and a 10 px status dot's 52 of 76;
#: anti-aliased edges (20 to 120 levels a pixel) are not. At 8 levels, 22 % of the page
#: was inner.
INNER_LEVELS = 16
#: The fewest inner pixels of a cell of :func:`accent_areas` that :data:`QUALITY_ACCENT`
#: bounds (a 16 x 16 area), besides its share. Cells of 16 pixels, measured by their pixels'
#: mean error, made k grow on 13 of the 16 photos of QUALITY_TAIL (flower at Q = 3: 58 to
#: 124; astronaut, chelsea, rocket and flower at Q = 2 past 256): noise and gradients pooled
#: in a cell counted as its error. Of 256 pixels, measured by the difference of their mean
#: from the mean they are drawn with, k grew at Q = 3 on flower (58 to 60) and a BSDS photo
#: (12 to 13): a cell cutting a cloud of colours has its mean off the entry that draws the
#: cloud.
QUALITY_CELL_PIXELS = 256
#: What ``quality`` measures, said where a value meant as a 0-100 score (pngquant's
#: ``--quality 80``; Pillow's JPEG ``quality=80``) is taken for it: the mean and the
#: tail of :data:`QUALITY_TAIL`, as :func:`quality_error` bounds them.
QUALITY_MEANS = ("a bound Q on CIEDE2000 differences (about 1 is just noticeable, 5 visibly "
                 "posterised), not pngquant's 0-100 score: their mean <= Q, 99th percentile "
                 f"<= {QUALITY_TAIL[0][1]:g} Q and 99.9th <= {QUALITY_TAIL[1][1]:g} Q")


#: What set the k a quality search chose (:func:`quality_bound`), as a record's
#: ``quality_bound`` names it: the bound of :func:`quality_error` that the fit of one colour
#: fewer missed the most (its mean, the 99th or 99.9th percentile of :data:`QUALITY_TAIL`,
#: or an area of its own colour of :data:`QUALITY_ACCENT`), or the fewest colours the search
#: could try (one, or the fixed colours), which met the quality.
QUALITY_BOUNDS = ("mean", "percentile_99", "percentile_99.9", "area", "fewest_colors")


def quality_terms(quality: float, difference: str = "CIEDE2000") -> str:
    """What ``quality`` bounds, in words: the mean ``difference`` and its tail.

    The bounds of the tail are multiples of ``quality`` as shown, computed in decimal
    (5 x 6.123456789 is 30.617283945, not the float's 30.617283944999997; 5 x 1e-400,
    typed so, is 5e-400).

    >>> quality_terms(2.0)
    'mean CIEDE2000 <= 2, its 99th percentile <= 10 and its 99.9th <= 20'
    >>> quality_terms(6.123456789, "ΔE2000")
    'mean ΔE2000 <= 6.123456789, its 99th percentile <= 30.617283945 and its 99.9th <= 61.23456789'
    """
    (_, times), (_, more_times) = QUALITY_TAIL
    return (f"mean {difference} <= {shown_number(quality)}, its 99th percentile <= "
            f"{_times(quality, times)} and its 99.9th <= {_times(quality, more_times)}")


def tail_limits(quality: float) -> tuple[float, ...]:
    """The differences that the tail of :data:`QUALITY_TAIL` bounds for ``quality``: at
    most a share of the pixels may be further than each.

    >>> tail_limits(2.0)
    (10.0, 20.0)
    """
    return tuple(times * quality for _, times in QUALITY_TAIL)


def tail_missed(quality: float, above: tuple[float, ...]) -> list[str]:
    """The bounds of the tail of :data:`QUALITY_TAIL` that ``above``, the shares of the
    pixels further than each of :func:`tail_limits` away, miss, each in words.

    A percentile is within its bound exactly when at most its share of the pixels is
    further: :func:`quality_error` measures so.

    >>> tail_missed(1.0, (0.013, 0.0005))
    ['1.3% of their pixels more than 5 away (1% allowed)']
    >>> tail_missed(1.0, (0.01, 0.001))
    []
    """
    return [f"{100 * got:.3g}% of their pixels more than {_times(quality, times)} away "
            f"({100 * share:g}% allowed)"
            for (share, times), got in zip(QUALITY_TAIL, above, strict=True) if got > share]


def _times(quality: float, multiple: float) -> str:
    """``multiple`` times ``quality`` as :func:`shown_number` shows it, in decimal.

    >>> _times(0.1, 5.0), _times(3.0, 10.0), _times(1e-5, 10.0)
    ('0.5', '30', '0.0001')
    """
    from decimal import Decimal

    value = (Decimal(shown_number(quality)) * Decimal(multiple)).normalize()
    return f"{value:f}" if -6 <= value.adjusted() < 16 else f"{value:e}"


def quality_error(lab: np.ndarray, palette_lab: np.ndarray, weights: np.ndarray | None,
                  rows: np.ndarray, shown: tuple[np.ndarray, ...] | None = None,
                  areas: AccentAreas | None = None) -> tuple[float, float]:
    """The error the quality searches hold to Q, and the mean CIEDE2000 in it, of the
    ``(n, 3)`` Lab colours ``lab`` (of ``weights`` pixels each, one each if None) drawn
    with their entries ``rows`` of ``palette_lab``.

    The error is the mean, a tail percentile of :data:`QUALITY_TAIL` over its multiple
    of Q, or the CIEDE2000 of the worst area of :func:`accent_pixels` pixels or more
    over the multiple of :data:`QUALITY_ACCENT`, whichever is the largest: it is at most
    Q when the mean is at most Q and each of the others within its bound. An area is a
    colour's pixels, or, with ``areas`` (:func:`accent_areas`, over the rows of ``lab``),
    the inner pixels of a colour or of a cell of colours. Identical rows
    of ``lab`` are one colour when ``weights`` is None, so weights give what repeated
    rows give. With ``shown``, the straight RGBA colours and
    palette whose Lab on black ``lab`` and ``palette_lab`` are (and, optionally third, the
    colours' Lab on white, :func:`on_white`), a pair in which either is translucent counts
    the worse of its CIEDE2000 on black and on white (:func:`worse_on_white`); opaque pairs
    count as they are. Prior validation is assumed.

    >>> grey, red = [53.585, 0.0, 0.0], [53.241, 80.092, 67.203]
    >>> lab = np.array([grey, red]); counts = np.array([1000, 10])
    >>> error, mean = quality_error(lab, lab[:1], counts, np.array([0, 0]))
    >>> round(mean, 2), round(error, 2)  # 1 % of the pixels 31 away: 99.9th percentile / 10
    (0.31, 3.12)
    >>> counts = np.array([100_000, 20])  # 20 pixels of red, 31 away: the worst colour / 4
    >>> [round(value, 2) for value in quality_error(lab, lab[:1], counts, np.array([0, 0]))]
    [7.8, 0.01]
    """
    errors, mean, _ = _pixel_errors(lab, palette_lab, weights, rows, shown)
    error = mean
    for share, times in QUALITY_TAIL:
        error = max(error, _percentile_above(errors, weights, share, times * mean) / times)
    worst = _worst_accent(lab, errors, weights, palette_lab, areas)[0]
    return max(error, worst / QUALITY_ACCENT[2]), mean


def accent_pixels(total: float) -> float:
    """The fewest pixels, of ``total``, of a colour that :data:`QUALITY_ACCENT` bounds.

    >>> accent_pixels(1000), accent_pixels(12e6)
    (16, 600.0)
    """
    pixels, share, _ = QUALITY_ACCENT
    return max(pixels, share * total)


def _worst_accent(lab: np.ndarray, errors: np.ndarray, weights: np.ndarray | None,
                  palette_lab: np.ndarray, areas: AccentAreas | None = None
                  ) -> tuple[float, float]:
    """The largest CIEDE2000 of an area of at least :func:`accent_pixels` pixels, and its
    pixels; ``(0.0, 0.0)`` when there is none; ``errors``: those of the rows of ``lab``
    drawn with the palette whose Lab is ``palette_lab``. Without ``areas``, an area is a
    colour's pixels (without ``weights``, each row of ``lab`` is a pixel, and identical
    rows one colour), of their mean error. With ``areas`` (over the rows of ``lab``, of
    ``weights`` pixels each; :class:`AccentAreas`), an area is the inner pixels of a
    colour, of its error, or those of a cell, at least :data:`QUALITY_CELL_PIXELS` of
    them, of the CIEDE2000 between their mean Lab and the nearest entry: a scanned ink's
    noise averages out, and a cell's edge, cutting a cloud of noise, does not count the
    noise beyond it as the ink's error.
    """
    if areas is None:
        if weights is None:
            _, colour, weights = np.unique(lab, axis=0, return_inverse=True,
                                           return_counts=True)
            errors = np.bincount(colour.ravel(), errors) / weights
        return _worst_of(errors, weights, accent_pixels(float(weights.sum())))
    least = accent_pixels(float(weights.sum()))
    worst = _worst_of(errors, areas.inner, least)
    least = max(least, QUALITY_CELL_PIXELS)
    for cell in areas.cells:
        pixels = np.bincount(cell, areas.inner)
        big = np.flatnonzero(pixels >= least)
        if big.size:
            nearest = _nearest_difference(_cell_means(cell, areas.inner, lab, pixels)[big],
                                          palette_lab)
            worst = max(worst, _worst_of(nearest, pixels[big], least))
    return worst


def _nearest_difference(lab: np.ndarray, palette_lab: np.ndarray) -> np.ndarray:
    """The CIEDE2000 ``(n,)`` of each of the ``(n, 3)`` Lab colours ``lab`` from the
    nearest of the ``(k, 3)`` ``palette_lab``.

    >>> nearest = _nearest_difference(np.array([[50.0, 0, 0], [70.0, 0, 0]]),
    ...                               np.array([[50.0, 0, 0], [60.0, 0, 0]]))
    >>> [round(float(value), 2) for value in nearest]
    [0.0, 8.23]
    """
    k = palette_lab.shape[0]
    pairs = ciede2000(np.repeat(lab, k, axis=0), np.tile(palette_lab, (lab.shape[0], 1)))
    return pairs.reshape(lab.shape[0], k).min(axis=1)


def _cell_means(cell: np.ndarray, weights: np.ndarray, values: np.ndarray,
                totals: np.ndarray) -> np.ndarray:
    """The ``weights``-weighted mean of the ``(m, 3)`` ``values`` in each ``cell``
    (``totals``: the weight of each; an empty cell's mean is 0)."""
    sums = np.stack([np.bincount(cell, weights * column, totals.size) for column in values.T],
                    axis=1)
    return sums / np.maximum(totals, 1e-300)[:, None]


def _worst_of(errors: np.ndarray, pixels: np.ndarray, least: float) -> tuple[float, float]:
    """The largest of ``errors`` of at least ``least`` ``pixels``, and its pixels;
    ``(0.0, 0.0)`` when there is none."""
    big = np.flatnonzero(pixels >= least)
    if big.size == 0:
        return 0.0, 0.0
    worst = big[np.argmax(errors[big])]
    return float(errors[worst]), float(pixels[worst])


class AccentAreas(NamedTuple):
    """The areas of their own colour that :data:`QUALITY_ACCENT` bounds, over ``m``
    colours: ``inner`` ``(m,)`` float, the pixels of each colour that count (its inner
    pixels: see :data:`INNER_LEVELS`), and ``cells``, the cell numbers ``(m,)`` of the
    colours in each grid of :func:`accent_areas`. An area is the inner pixels of one
    colour, or of the colours in one cell (see :func:`quality_error`)."""

    inner: np.ndarray
    cells: tuple[np.ndarray, ...]

    def taken(self, rows: np.ndarray, weights: np.ndarray, counts: np.ndarray
              ) -> AccentAreas:
        """These areas over the colours ``rows``, of ``weights`` pixels each in place of
        their ``counts``, with the same share of them inner (a sample of the colours)."""
        inner = weights * (self.inner[rows] / counts[rows])
        return AccentAreas(inner, tuple(cell[rows] for cell in self.cells))


def accent_areas(lab: np.ndarray, inner: np.ndarray, quality: float) -> AccentAreas:
    """The areas (:class:`AccentAreas`) of the Lab colours ``lab``, ``inner`` of whose
    pixels are inner, that :data:`QUALITY_ACCENT` bounds for ``quality``: each colour's,
    and each cell's of two grids of cubes ``QUALITY_ACCENT[2] * quality`` a side in CIE
    Lab (at least :data:`_CELL_MIN`), the second offset by half a side, so that the
    colours of a cloud of noise up to a quarter of a side across share a cell of one.
    Prior validation is assumed.

    >>> lab = np.array([[47.0, 0, 0], [49.0, 0, 0], [52.0, 0, 0]])
    >>> [cell.tolist() for cell in accent_areas(lab, np.ones(3), 2.0).cells]  # 8 a side
    [[0, 1, 1], [0, 0, 1]]
    """
    side = max(QUALITY_ACCENT[2] * quality, _CELL_MIN)
    return AccentAreas(inner.astype(np.float64), tuple(_lab_cells(lab, side, offset)
                                                       for offset in (0.0, 0.5)))


#: The narrowest cell of :func:`accent_areas`, in CIEDE2000 units (a step of one level of
#: 8-bit sRGB is 0.2-1 of them): a quality near 0 does not number cells past int64.
_CELL_MIN = 0.25


def _lab_cells(lab: np.ndarray, side: float, offset: float) -> np.ndarray:
    """The cell ``(m,)`` intp, numbered from 0, of each of the Lab colours ``lab`` in a
    grid of cubes ``side`` wide, moved by ``offset`` of a side."""
    levels = np.floor(lab / side + offset).astype(np.int64)
    levels -= levels.min(axis=0)
    span = levels.max(axis=0) + 1
    cell = (levels[:, 0] * span[1] + levels[:, 1]) * span[2] + levels[:, 2]
    return np.unique(cell, return_inverse=True)[1].ravel()


def _pixel_errors(lab: np.ndarray, palette_lab: np.ndarray, weights: np.ndarray | None,
                  rows: np.ndarray, shown: tuple[np.ndarray, ...] | None
                  ) -> tuple[np.ndarray, float, bool]:
    """The CIEDE2000 of each colour as :func:`quality_error` counts it (float32), their
    mean, and whether a pair was translucent, counting the worse of black and white."""
    errors = np.empty(lab.shape[0], np.float32)
    mean = mean_ciede2000(lab, palette_lab, weights, rows=rows, out=errors)
    if shown is None:
        return errors, mean, False
    colors, palette, *known = shown
    pairs, gain = worse_on_white(errors, colors, palette, rows, *known)
    if pairs.size == 0:
        return errors, mean, False
    if weights is None:
        return errors, mean + float(gain.sum()) / errors.size, True
    return errors, mean + float(gain @ weights[pairs]) / float(weights.sum()), True


def worse_on_white(errors: np.ndarray, colors: np.ndarray, palette: np.ndarray,
                   rows: np.ndarray, colors_on_white: np.ndarray | None = None
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Raise ``errors``, the CIEDE2000 on black of the ``(n, 4)`` straight RGBA ``colors``
    drawn with their entries ``rows`` of ``palette``, to their CIEDE2000 on white where
    that is larger, in the pairs in which the colour or its entry is translucent; return
    those pairs and how much each was raised (float64, 0 where it was not).
    ``colors_on_white``, the colours' Lab on white (:func:`on_white`), when known: a
    search measuring many palettes against the same colours converts them once.

    On black, a dark colour is near black whatever its alpha: the soft edge of a dark icon
    drawn with the wrong alpha passed there, and showed on a white page. Prior validation
    is assumed.
    """
    pairs = np.flatnonzero((colors[:, 3] < 255) | (palette[rows, 3] < 255))
    if pairs.size == 0:
        return pairs, np.zeros(0)
    seen = np.empty(pairs.size, np.float32)
    white = (lab_of(colors[pairs], "white") if colors_on_white is None
             else colors_on_white[pairs])
    mean_ciede2000(white, lab_of(palette, "white"), rows=rows[pairs], out=seen)
    before = errors[pairs]
    errors[pairs] = np.maximum(before, seen)
    return pairs, errors[pairs].astype(np.float64) - before


def on_white(colors: np.ndarray, lab: np.ndarray) -> np.ndarray:
    """CIE Lab on white of the ``(m, 4)`` straight RGBA ``colors`` whose Lab on black is
    ``lab``: an opaque colour's is that, only the translucent ones are converted.

    >>> colors = np.array([[0, 0, 0, 128], [200, 30, 30, 255]], np.uint8)
    >>> np.array_equal(on_white(colors, lab_of(colors)), lab_of(colors, "white"))
    True
    """
    translucent = np.flatnonzero(colors[:, 3] < 255)
    white = lab.copy()
    white[translucent] = lab_of(colors[translucent], "white")
    return white


def _percentile_above(errors: np.ndarray, weights: np.ndarray | None, share: float,
                      floor: float) -> float:
    """The smallest value, at least ``floor``, that at most ``share`` of the weight of
    ``errors`` is above (``floor`` when no more than that share is above it).

    Only the errors above ``floor`` are sorted: most are below it.
    """
    above = np.flatnonzero(errors > floor)
    top = errors[above]
    weight = np.ones(above.size) if weights is None else weights[above].astype(np.float64)
    allowed = share * (errors.size if weights is None else float(weights.sum()))
    if float(weight.sum()) <= allowed:
        return floor
    order = np.argsort(top, kind="stable")[::-1]
    first = int(np.searchsorted(np.cumsum(weight[order]), allowed, side="right"))
    return float(top[order[first]])


def quality_scale_reason(quality: float | None) -> str | None:
    """Why a checked ``quality`` above :data:`QUALITY_SCALE_WARNING_ABOVE` is likely
    pngquant's 0-100 score (nearly any image meets it with the fewest colours), or None:
    the words after its name, as :func:`warn_quality_scale` and the command line say them."""
    if quality is None or quality <= QUALITY_SCALE_WARNING_ABOVE:
        return None
    return (f"{QUALITY_MEANS}; above {QUALITY_SCALE_WARNING_ABOVE}, nearly any image meets it "
            "with the fewest colours; for a result close to the original, give 2 or 3")


def warn_quality_scale(quality: float | None) -> None:
    """Warn (:class:`QualityScaleWarning`) that a checked ``quality`` above
    :data:`QUALITY_SCALE_WARNING_ABOVE` is met by nearly any image with the fewest colours.

    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warn_quality_scale(20.0); warn_quality_scale(80.0)
    >>> print(caught[0].message)  # doctest: +NORMALIZE_WHITESPACE
    quality=80: a bound Q on CIEDE2000 differences (about 1 is just noticeable, 5 visibly
    posterised), not pngquant's 0-100 score: their mean <= Q, 99th percentile <= 5 Q and
    99.9th <= 10 Q; above 20, nearly any image meets it with the fewest colours; for a
    result close to the original, give 2 or 3
    """
    reason = quality_scale_reason(quality)
    if reason is not None:
        warn_caller(f"quality={shown_number(quality)}: {reason}", QualityScaleWarning)


def starting_as(rng: np.random.Generator) -> Callable[[], np.random.Generator]:
    """A maker of Generators, each a copy of ``rng`` as it is now, its seed sequence
    included (k-means spawns the seeds of its runs from it; ``copy.deepcopy`` keeps it
    only from NumPy 2.1 on).

    The quality searches fit every k from one, as ``n_colors=k`` fits from the
    seed: the palette of the k chosen is then the one ``n_colors=k`` gives, and
    the k below it, which missed the target, misses it with ``n_colors`` too.
    Drawing on the state the earlier fits left instead, each fit was another,
    and ``n_colors=k - 1`` could meet the target the search said it missed.
    """
    kind, state = type(rng.bit_generator), rng.bit_generator.state
    seq = rng.bit_generator.seed_seq
    seq_state = seq.state if isinstance(seq, np.random.SeedSequence) else None

    def fresh() -> np.random.Generator:
        bits = kind() if seq_state is None else kind(np.random.SeedSequence(**seq_state))
        bits.state = state
        return np.random.Generator(bits)

    return fresh


# The first guess of k fits on 8 x 8 x 8-level cells, judged on this many pixels.
_GUESS_DIRECT_MAX = 1 << 12
_GUESS_CELL_SHIFT = 3
_GUESS_SAMPLE = 1 << 15
# ... to within this share of k: the exact search from it settles the rest.
_GUESS_RESOLUTION = 1 / 32


def smallest_k(error: Callable[[int], float], target: float, guess: int,
               k_max: int, *, k_min: int = 1, resolution: float = 0.0) -> int | None:
    """Smallest k in [k_min, k_max] with ``error(k) <= target``; the error falls as k grows.

    Starts at ``guess`` and keeps the bracket ``lo < answer <= hi`` that the
    measurements so far give. Each next k is where a power law through the
    measurements meets the target (:func:`_next_k`): mean CIEDE2000 falls
    about as ``k ** -1/3`` (log-log slopes of 0.27-0.52 on three photos,
    k = 8 to 128), so from a close guess a search takes a few fits. When two
    measurements inside a bracket have not halved it, the next one bisects
    it, which bounds the fits on any falling curve (as Brent's method does).
    With ``resolution`` > 0 it stops early, once the bracket is at most that
    share of its upper end wide, and returns the upper end. None when
    ``error(k_max)`` misses the target.

    >>> smallest_k(lambda k: 20 / k ** 0.4, 3.0, 16, 256)
    115
    """
    # error(lo) > target (k_min - 1: nothing measured); error(hi) <= target (k_max + 1: idem)
    lo, hi = k_min - 1, k_max + 1
    errors: dict[int, float] = {}
    widths: list[int] = []  # of the bracket after each measurement made inside one
    k = min(max(guess, k_min), k_max)
    while True:
        errors[k] = error(k)
        lo, hi = (lo, k) if errors[k] <= target else (k, hi)
        if hi - lo <= max(1.0, resolution * hi):
            return hi if hi <= k_max else None
        if lo >= k_min and hi <= k_max:
            widths.append(hi - lo)
        if len(widths) >= 3 and 2 * widths[-1] > widths[-3]:
            k = (lo + hi) // 2
        else:
            k = min(max(_next_k(errors, target), lo + 1), hi - 1, k_max)


# The log-log slope of the error against k assumed until two measurements far
# enough apart (k in a ratio of at least _SLOPE_SPAN) measure one; measured
# slopes are clipped to [_MIN_SLOPE, _MAX_SLOPE] (errors are noisy).
_SLOPE, _MIN_SLOPE, _MAX_SLOPE, _SLOPE_SPAN = 1 / 3, 0.1, 2.0, 1.2


def _next_k(errors: dict[int, float], target: float) -> int:
    """The k at which a power law through the last measurement meets ``target``.

    Its slope is measured from the last measurement and the closest earlier
    one at least ``_SLOPE_SPAN`` times smaller or larger in k, if any (a flat
    or rising stretch, from noise, counts as the shallowest slope). After
    three steps the same way, each step is at least twice the one before, so
    a slowly falling error is galloped through rather than walked.
    """
    floor = max(target, 1e-6) * 1e-6  # zero errors (lossless fits) stay on the log scale
    *earlier, last = errors
    slope = _SLOPE
    apart = [k for k in earlier if max(k, last) >= _SLOPE_SPAN * min(k, last)]
    if apart:
        other = min(apart, key=lambda k: abs(math.log(k / last)))
        rise = math.log(max(errors[other], floor) / max(errors[last], floor))
        slope = min(max(rise / math.log(last / other), _MIN_SLOPE), _MAX_SLOPE)
    ratio = max(errors[last], floor) / max(target, floor)
    k = math.ceil(last * math.exp(min(math.log(ratio) / slope, 50.0)) - 1e-9)
    if len(earlier) >= 2:
        before, previous = earlier[-2:]
        step = last - previous
        same_way = (previous - before) * step > 0 and (k - last) * step > 0
        if same_way and abs(k - last) < 2 * abs(step):
            k = last + 2 * step
    return k


def search_quality(hist: Histogram, quality: float, k_max: int, exact_colors: bool,
                   rng: np.random.Generator, more: str = "", limit: float | None = None,
                   fixed: np.ndarray | None = None, clear: bool = False,
                   ) -> tuple[np.ndarray, np.ndarray, QualityReached | None, str | None]:
    """Fewest colours whose CIEDE2000 meets ``quality`` (:func:`quality_error`): palette,
    labels, None, and what set their k (:func:`quality_bound`: the bound the fit of one
    colour fewer, made by the search, misses the most).

    A cheap search on the cell summary (fit and error measured on the cells)
    gives a first guess; the exact search then starts from it, so only a few
    full fits are paid for. With ``limit`` (a ``quality_limit``, at least ``quality``),
    a ``quality`` out of reach of ``k_max`` colours whose fit meets ``limit`` by the same
    rule gives that fit, the one the search made (as ``n_colors=k_max`` fits it), what it
    reaches (:class:`~quantize.errors.QualityReached`) in place of None, and None in place
    of the bound.
    ``fixed``: colours every palette tried keeps as its first entries (``fit``'s), counted
    in its k, so the search starts at their number. ``clear``: the k entries are fitted
    around the transparent one, as ``fit``'s. Each k is fitted as ``fit`` fits it for
    ``n_colors=k`` (held colours included, :func:`~quantize.reduce.fit.held_colors`), so
    the palette of the k chosen is the one ``n_colors=k`` gives.

    Raises
    ------
    QualityError
        If even ``k_max`` colours do not reach ``quality``, nor ``limit`` when given (its
        message then names both bounds); ``more``, when given, is added to its message
        (how to allow more colours).
    """
    n_fixed = 0 if fixed is None else fixed.shape[0]
    # m colours reproduce the image exactly (beside the fixed ones)
    k_max = max(n_fixed, min(k_max, hist.colors.shape[0] + n_fixed))
    fresh = starting_as(rng)  # every full fit as n_colors=k fits it
    areas = accent_areas(hist.lab, hist.counts if hist.inner is None else hist.inner, quality)
    guess = max(n_fixed, _summary_guess(hist, quality, k_max, rng, areas))
    fits: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    means: dict[int, float] = {}
    errors: dict[int, float] = {}

    white = _on_white_if_alpha(hist.colors, hist.lab)

    def exact(k: int) -> float:
        palette, labels = fits[k] = fit(hist.colors, hist.counts, hist.features, k,
                                        hist.space, exact_colors, fresh(), seed_on_cells=True,
                                        fixed=fixed, clear=clear)
        errors[k], means[k] = quality_error(hist.lab, lab_of(palette), hist.counts, labels,
                                            _with_alpha(hist.colors, palette, white), areas)
        return errors[k]

    k = smallest_k(exact, quality, guess, k_max, k_min=max(1, n_fixed))
    if k is not None:
        below = None
        if k - 1 in fits:  # measured, and missed: the search stops beside it
            palette, labels = fits[k - 1]
            below = quality_reached(hist.lab, lab_of(palette), hist.counts, labels, k - 1,
                                    quality, _with_alpha(hist.colors, palette, white), areas)
        return *fits[k], None, quality_bound(below, quality)
    palette, labels = fits[k_max]
    got = quality_reached(hist.lab, lab_of(palette), hist.counts, labels, k_max, quality,
                          _with_alpha(hist.colors, palette, white), areas)
    colours = "1 colour" if k_max == 1 else f"{k_max} colours"
    missed = (f"{out_of_reach(quality, means[k_max], accent=got.accent is not None)} needs "
              f"more than {colours}")
    return palette, labels, kept_within_limit(missed, more, errors[k_max], quality, limit,
                                              got), None


def kept_within_limit(missed: str, more: str, error: float, quality: float,
                      limit: float | None, reached: QualityReached,
                      path: str | os.PathLike[str] | None = None, how: str = ""
                      ) -> QualityReached:
    """What the fit of the most colours allowed reaches (``reached``), when a ``quality``
    out of its reach is given with a ``limit`` that its ``error`` (:func:`quality_error`)
    meets: that fit is kept. Prior validation is assumed.

    Raises
    ------
    QualityError
        Without ``limit``, or when ``error`` is above it: ``missed`` (the start of the
        message: the quality, :func:`out_of_reach`, and the colours it needs more than),
        then the limit missed too, then what they reach against the bound missed last
        (:func:`reached_words`; ``how``, when given, says how that was measured), then the
        limit that would keep their fit (:func:`limit_meeting`), then ``more``; about
        ``path``.

    >>> reached = QualityReached(16, 3.2, (10.0, 20.0), False)
    >>> kept_within_limit("quality=1: mean CIEDE2000 <= 1 needs more than 16 colours", "",
    ...                   3.2, 1.0, 10.0, reached).k
    16
    >>> kept_within_limit("quality=1: mean CIEDE2000 <= 1 needs more than 16 colours", "",
    ...                   3.2, 1.0, 3.0, reached)
    Traceback (most recent call last):
    ...
    quantize.errors.QualityError: quality=1: mean CIEDE2000 <= 1 needs more than 16 colours, \
and so does quality_limit=3: mean CIEDE2000 <= 3 (they reach a mean CIEDE2000 of 3.2); \
quality_limit=3.2 or more keeps their result, which n_colors=16 alone gives
    >>> kept_within_limit("quality=1: mean CIEDE2000 <= 1 needs more than 16 colours", "",
    ...                   3.2, 1.0, None, reached)
    Traceback (most recent call last):
    ...
    quantize.errors.QualityError: quality=1: mean CIEDE2000 <= 1 needs more than 16 colours \
(they reach a mean CIEDE2000 of 3.2); quality_limit=3.2 or more keeps their result, which \
n_colors=16 alone gives
    """
    measured = f", {how}," if how else ""
    if limit is None:
        raise QualityError(f"{missed} (they reach{measured} {reached_words(reached, quality)})"
                           f"{limit_meeting(error, reached)}{more}", path=path)
    if error <= limit:
        return reached
    accent = reached.accent is not None and reached.accent[0] > QUALITY_ACCENT[2] * limit
    raise QualityError(f"{missed}, and so does "
                       f"{out_of_reach(limit, reached.mean, 'quality_limit', accent)} "
                       f"(they reach{measured} {reached_words(reached, limit)})"
                       f"{limit_meeting(error, reached)}{more}", path=path)


def limit_meeting(error: float, reached: QualityReached) -> str:
    """The way out that the error of a quality out of reach of the ``reached.k`` colours
    allowed ends with (before its advice on allowing more): the ``quality_limit`` that
    their fit, of ``error`` (:func:`quality_error`), meets, rounded up to two decimals,
    keeps it, the bound that sets it when that is not their mean, said before it
    (:func:`_limit_set_by`), and ``n_colors=k`` alone writes that same result. pngquant's
    ``--quality 65-80`` writes what its 80 is out of reach of when it meets 65, as a limit
    keeps it.

    >>> limit_meeting(2.121, QualityReached(256, 1.315, (10.605, 10.0), True))
    '; quality_limit=2.13 or more keeps their result (set by their 99th percentile 10.61 <= \
5 × 2.13), which n_colors=256 alone gives'
    """
    at_least = math.ceil(round(error * 100, 6)) / 100
    why = _limit_set_by(reached, at_least)
    return (f"; quality_limit={shown_number(at_least)} or more keeps their result"
            f"{f' ({why})' if why else ''}, which n_colors={reached.k} alone gives")


def _limit_set_by(reached: QualityReached, at_least: float) -> str:
    """The bound of :func:`quality_error` that sets the limit ``at_least`` that keeps the fit
    ``reached`` stands for, in words, the one that asks for the largest limit: a percentile
    of its tail over its multiple of :data:`QUALITY_TAIL`, or its worst colour over that
    of :data:`QUALITY_ACCENT` (each known where it is above its multiple of the quality,
    the error then being that bound's); "" for its mean, which the message says before.
    Without a word of why, a limit of 2.52 for a mean of 1.315 read as a mistake.

    >>> _limit_set_by(QualityReached(8, 0.8, (5.0, 10.0), False, (12.1, 40.0)), 3.03)
    'set by a colour of 40 pixels 12.1 away <= 4 × 3.03'
    >>> _limit_set_by(QualityReached(8, 0.8, (5.0, 25.13), False), 2.52)
    'set by their 99.9th percentile 25.13 <= 10 × 2.52'
    >>> _limit_set_by(QualityReached(8, 1.315, (5.0, 10.0), False), 1.32)
    ''
    """
    shown = shown_number(at_least)
    bound, words = reached.mean, ""
    for (share, times), value in zip(QUALITY_TAIL, reached.tail, strict=True):
        if value / times > bound:
            bound, words = value / times, (f"their {100 * (1 - share):g}th percentile "
                                           f"{_within(value, times * at_least)} <= {times:g} × "
                                           f"{shown}")
    times = QUALITY_ACCENT[2]
    if reached.accent is not None and reached.accent[0] / times > bound:
        worst, pixels = reached.accent
        words = (f"a colour of {pixels:.0f} pixels {_within(worst, times * at_least)} away "
                 f"<= {times:g} × {shown}")
    return f"set by {words}" if words else ""


def _within(value: float, bound: float) -> str:
    """``value``, at most ``bound``, to 4 significant digits, or as many more as it takes
    to show it within (as :func:`_above` shows a value above a bound).

    >>> _within(12.6, 12.6), _within(102.15, 102.15)
    ('12.6', '102.15')
    """
    for digits in range(4, 10):
        shown = f"{value:.{digits}g}"
        if float(shown) <= bound:
            return shown
    return repr(value)


def quality_reached(lab: np.ndarray, palette_lab: np.ndarray, weights: np.ndarray | None,
                    rows: np.ndarray, k: int, quality: float,
                    shown: tuple[np.ndarray, ...] | None = None,
                    areas: AccentAreas | None = None) -> QualityReached:
    """What a palette fitted for the most colours allowed, ``k``, whose Lab colours are
    ``palette_lab``, drawing the Lab colours ``lab`` (of ``weights`` pixels each) as
    ``rows`` says, reaches against ``quality`` (which it misses), measured as
    :func:`quality_error` measures it (with ``shown`` as there), for the messages that
    say so. Prior validation is assumed.

    >>> grey, red = [53.585, 0.0, 0.0], [53.241, 80.092, 67.203]
    >>> lab = np.array([grey, red]); counts = np.array([1000, 10])
    >>> got = quality_reached(lab, lab[:1], counts, np.array([0, 0]), 1, 2.0)
    >>> got.k, round(got.mean, 2), [round(value, 2) for value in got.tail]  # 1 % 31 away
    (1, 0.31, [10.0, 31.2])
    >>> got = quality_reached(lab, lab[:1], np.array([1000, 20]), np.array([0, 0]), 1, 2.0)
    >>> [round(value, 1) for value in got.accent]  # a colour of 20 pixels 31 away
    [31.2, 20.0]
    """
    errors, mean, translucent = _pixel_errors(lab, palette_lab, weights, rows, shown)
    tail = tuple(_percentile_above(errors, weights, share, times * quality)
                 for share, times in QUALITY_TAIL)
    worst, pixels = _worst_accent(lab, errors, weights, palette_lab, areas)
    accent = (worst, pixels) if worst > QUALITY_ACCENT[2] * quality else None
    return QualityReached(k, mean, tail, translucent, accent)


def reached_words(reached: QualityReached, bound: float) -> str:
    """What the most colours allowed reach, in words, against ``bound`` (a quality they
    miss, or a limit): their mean CIEDE2000, and when that is within ``bound``, each
    percentile of the tail above its bound; with translucent pixels, how those counted.

    >>> reached_words(QualityReached(1, 3.845, (41.22, 5.0), False), 4.0)
    'a mean CIEDE2000 of 3.845, its 99th percentile 41.22 > 20'
    >>> reached_words(QualityReached(1, 27.37, (2.5, 5.0), True), 26.0)
    'a mean CIEDE2000 of 27.37, counting translucent pixels on black or white, whichever is worse'
    >>> reached_words(QualityReached(2, 0.51, (15.0, 30.0), False, (31.2, 80.0)), 3.0)
    'a mean CIEDE2000 of 0.51, a colour of 80 pixels 31.2 away > 12'
    """
    words = f"a mean CIEDE2000 of {reached.mean:.4g}"
    if reached.mean <= bound:
        for (share, times), value in zip(QUALITY_TAIL, reached.tail, strict=True):
            if value > times * bound:
                words += (f", its {100 * (1 - share):g}th percentile "
                          f"{_above(value, times * bound)} > {_times(bound, times)}")
        times = QUALITY_ACCENT[2]
        if reached.accent is not None and reached.accent[0] > times * bound:
            worst, pixels = reached.accent
            words += (f", a colour of {pixels:.0f} pixels {_above(worst, times * bound)} away "
                      f"> {_times(bound, times)}")
    if reached.translucent:
        words += ", counting translucent pixels on black or white, whichever is worse"
    return words


def _above(value: float, bound: float) -> str:
    """``value``, above ``bound``, to 4 significant digits, or as many more as it takes to
    show it above.

    >>> _above(41.2214, 20.0), _above(20.00012, 20.0)
    ('41.22', '20.0001')
    """
    for digits in range(4, 10):
        shown = f"{value:.{digits}g}"
        if float(shown) > bound:
            return shown
    return repr(value)


def _with_alpha(colors: np.ndarray, palette: np.ndarray, white: np.ndarray | None
                ) -> tuple[np.ndarray, ...] | None:
    """``(colors, palette, white)`` for :func:`quality_error`'s ``shown`` when they have
    alpha (``white``: the colours' Lab on white), else None (opaque colours look the same
    on black and on white)."""
    return (colors, palette, white) if colors.shape[1] == 4 else None


def _on_white_if_alpha(colors: np.ndarray, lab: np.ndarray) -> np.ndarray | None:
    """:func:`on_white` of ``colors`` with alpha, once for a search; None without alpha."""
    return on_white(colors, lab) if colors.shape[1] == 4 else None


def out_of_reach(quality: float, mean: float, name: str = "quality",
                 accent: bool = False) -> str:
    """The start of the error of a ``quality`` that the most colours allowed miss, with
    ``mean`` their mean CIEDE2000: the mean bound alone when that is missed, else the
    tail bounds too (:func:`quality_terms`), and, when ``accent`` (a colour that
    :data:`QUALITY_ACCENT` bounds is missed), that bound; ``name`` is the parameter that
    gave it.

    >>> out_of_reach(0.5, 0.8)
    'quality=0.5: mean CIEDE2000 <= 0.5'
    >>> out_of_reach(0.5, 0.4)
    'quality=0.5: mean CIEDE2000 <= 0.5, its 99th percentile <= 2.5 and its 99.9th <= 5'
    >>> out_of_reach(0.5, 0.4, accent=True)  # doctest: +NORMALIZE_WHITESPACE
    'quality=0.5: mean CIEDE2000 <= 0.5, its 99th percentile <= 2.5 and its 99.9th <= 5
    (and every colour of at least 16 pixels and 0.005% of them within 2)'
    """
    shown = shown_number(quality)
    if mean > quality:
        return f"{name}={shown}: mean CIEDE2000 <= {shown}"
    if not accent:
        return f"{name}={shown}: {quality_terms(quality)}"
    return f"{name}={shown}: {quality_terms(quality)} (and {_accent_terms(quality)})"


def _accent_terms(quality: float) -> str:
    """The bound :data:`QUALITY_ACCENT` sets for ``quality``, in words.

    >>> _accent_terms(3.0)
    'every colour of at least 16 pixels and 0.005% of them within 12'
    """
    pixels, share, times = QUALITY_ACCENT
    return (f"every colour of at least {pixels} pixels and {100 * share:g}% of them within "
            f"{_times(quality, times)}")


def quality_bound(reached: QualityReached | None, quality: float) -> str:
    """What set the k a quality search chose (one of :data:`QUALITY_BOUNDS`), from what
    the fit of one colour fewer reaches (``reached``, :func:`quality_reached`), which
    misses ``quality``: the bound it misses the most against its multiple of ``quality``,
    as :func:`quality_error` weighs them (the mean first among equals); None for
    ``"fewest_colors"``, no fewer colours tried.

    >>> quality_bound(QualityReached(79, 2.1, (15.0, 30.0), False, (13.5, 40.0)), 3.0)
    'area'
    >>> quality_bound(QualityReached(23, 3.2, (16.0, 30.0), False), 3.0)
    'mean'
    >>> quality_bound(QualityReached(7, 2.9, (17.0, 30.0), False), 3.0), quality_bound(None, 3.0)
    ('percentile_99', 'fewest_colors')
    """
    if reached is None:
        return QUALITY_BOUNDS[-1]
    (_, p99), (_, p999) = QUALITY_TAIL
    ratios = [reached.mean, reached.tail[0] / p99, reached.tail[1] / p999,
              0.0 if reached.accent is None else reached.accent[0] / QUALITY_ACCENT[2]]
    return QUALITY_BOUNDS[int(np.argmax(ratios))] if max(ratios) > quality else QUALITY_BOUNDS[0]


def quality_bound_words(bound: str, quality: float, k: int) -> str:
    """What set the ``k`` colours a quality search chose for ``quality``, ``bound`` (one of
    :data:`QUALITY_BOUNDS`), in words, as ``quantize reduce`` says it after the bounds
    (:func:`quality_terms`): the bound that ``k - 1`` colours miss, or that ``k`` is the
    fewest there can be.

    >>> quality_bound_words("area", 3.0, 80)
    'set by every colour of at least 16 pixels and 0.005% of them within 12, which k=79 misses'
    >>> quality_bound_words("percentile_99", 3.0, 8)
    'set by the 99th percentile, which k=7 misses'
    >>> quality_bound_words("fewest_colors", 3.0, 1)
    'k=1, the fewest colours there can be'
    """
    if bound == "fewest_colors":
        return f"k={k}, the fewest colours there can be"
    words = {"mean": "the mean", "percentile_99": "the 99th percentile",
             "percentile_99.9": "the 99.9th percentile", "area": _accent_terms(quality)}
    return f"set by {words[bound]}, which k={k - 1} misses"


def warn_limit_kept(quality: float, limit: float, reached: QualityReached,
                    undithered: bool = False, how: str = "") -> None:
    """Warn (:class:`QualityLimitWarning`) that ``quality`` was out of reach and the result
    of the colours allowed was kept, meeting ``limit``: the k, and what they reach and miss
    of ``quality`` (:func:`reached_words`), measured without dithering when ``undithered``,
    or as ``how`` says when given (put after the k, between commas).

    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warn_limit_kept(0.5, 30.0, QualityReached(4, 23.95219, (2.5, 5.0), False))
    ...     warn_limit_kept(4.0, 10.0, QualityReached(1, 3.845, (41.22, 40.0), False), True)
    >>> print(caught[0].message)
    quality=0.5 was not reached: the most colours allowed, k=4, reach a mean CIEDE2000 of \
23.95, within quality_limit=30
    >>> print(caught[1].message)
    quality=4 was not reached: the most colours allowed, k=1, undithered, reach a mean \
CIEDE2000 of 3.845, its 99th percentile 41.22 > 20, within quality_limit=10
    """
    how = how or ("undithered" if undithered else "")
    measured = f" {how}," if how else ""
    warn_caller(f"quality={shown_number(quality)} was not reached: the most colours allowed, "
                f"k={reached.k},{measured} reach {reached_words(reached, quality)}, within "
                f"quality_limit={shown_number(limit)}", QualityLimitWarning)


def _summary_guess(hist: Histogram, quality: float, k_max: int,
                   rng: np.random.Generator, areas: AccentAreas) -> int:
    """Estimate of the k meeting ``quality`` from quick fits on a coarse cell summary.

    Each trial palette is fitted on 8 x 8 x 8-level cells and judged on a sample
    of pixel colours drawn in proportion to their counts (an unbiased estimate
    of its mean CIEDE2000), so the guess is usually within a few colours.
    """
    m = hist.colors.shape[0]
    if m > _GUESS_DIRECT_MAX:
        data, weights = cell_summary(hist.colors, hist.counts, hist.features,
                                     _GUESS_CELL_SHIFT)
    else:
        data, weights = hist.features, hist.counts
    if m > _GUESS_SAMPLE:
        picks = rng.choice(m, size=_GUESS_SAMPLE, p=hist.counts / hist.counts.sum())
        # a colour drawn n times is one row of weight n: as its repeats measure, and
        # quality_error need not find the repeats at every k (60 ms each)
        picks, judge_w = np.unique(picks, return_counts=True)
        judge, judge_lab = hist.features[picks], hist.lab[picks]
        judge_colors = hist.colors[picks]
        judge_areas = areas.taken(picks, judge_w, hist.counts)
    else:
        judge, judge_lab, judge_w = hist.features, hist.lab, hist.counts
        judge_colors, judge_areas = hist.colors, areas
    limit = min(k_max, data.shape[0] - 1)
    if limit < 1:
        return k_max
    white = _on_white_if_alpha(judge_colors, judge_lab)

    def approx(k: int) -> float:
        km = MiniBatchKMeans(k, refine=SUMMARY_REFINE, seed=rng).fit(data, sample_weight=weights)
        palette = distinct_rows(to_colors(km.cluster_centers_, hist.space,
                                          hist.colors.shape[1]))
        entries = nearest(judge, features_of(palette, hist.space))
        return quality_error(judge_lab, lab_of(palette), judge_w, entries,
                             _with_alpha(judge_colors, palette, white), judge_areas)[0]

    guess = smallest_k(approx, quality, DEFAULT_COLORS, limit, k_min=1,
                       resolution=_GUESS_RESOLUTION)
    return k_max if guess is None else guess
