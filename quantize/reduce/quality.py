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

import numpy as np

from .._kernels import nearest
from .._validation import shown_number
from ..colors import mean_ciede2000
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

__all__ = ["QUALITY_ACCENT", "QUALITY_MEANS", "QUALITY_SCALE_WARNING_ABOVE", "QUALITY_TAIL",
           "QualityScaleWarning", "accent_pixels", "kept_within_limit", "limit_meeting", "on_white",
           "out_of_reach", "quality_error", "quality_reached", "quality_scale_reason",
           "quality_terms", "reached_words", "search_quality", "smallest_k", "starting_as",
           "tail_limits", "tail_missed", "warn_limit_kept", "warn_quality_scale",
           "worse_on_white"]

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
#: Besides the mean and its tail, no colour of at least this many pixels and this share
#: of them may be more than this many times Q away. The tail lets 0.1 % of the pixels be
#: anything: on two 800 x 500 and 1000 x 520 screenshots of white cards on grey with
#: grey text and 8 status dots of 10 px (0.02 % of the pixels each), Q = 3 chose 2
#: colours and Q = 2 chose 8-9, drawing the dots 5-37 away (grey, black or blue). At
#: 4 Q, no k chosen for the seven web photos of the benchmark at Q = 2, 3 or 5 changed
#: (their worst colour of 16 pixels is 1.9-3.7 Q away at that k); at 2 Q and 3 Q, k
#: grew on five of them (astronaut at Q = 3: 57 colours to 84 and 73; at 2 Q, flower and
#: rocket at Q = 2 needed more than 256). A colour is a distinct one (RGB, or RGBA),
#: so the dots' own colours count, not their antialiased edges.
QUALITY_ACCENT = (16, 5e-5, 4.0)
#: What ``quality`` measures, said where a value meant as a 0-100 score (pngquant's
#: ``--quality 80``; Pillow's JPEG ``quality=80``) is taken for it: the mean and the
#: tail of :data:`QUALITY_TAIL`, as :func:`quality_error` bounds them.
QUALITY_MEANS = ("a bound Q on CIEDE2000 differences (about 1 is just noticeable, 5 visibly "
                 "posterised), not pngquant's 0-100 score: their mean <= Q, 99th percentile "
                 f"<= {QUALITY_TAIL[0][1]:g} Q and 99.9th <= {QUALITY_TAIL[1][1]:g} Q")


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
                  rows: np.ndarray, shown: tuple[np.ndarray, ...] | None = None
                  ) -> tuple[float, float]:
    """The error the quality searches hold to Q, and the mean CIEDE2000 in it, of the
    ``(n, 3)`` Lab colours ``lab`` (of ``weights`` pixels each, one each if None) drawn
    with their entries ``rows`` of ``palette_lab``.

    The error is the mean, a tail percentile of :data:`QUALITY_TAIL` over its multiple
    of Q, or the CIEDE2000 of the worst colour of :func:`accent_pixels` pixels or more
    over the multiple of :data:`QUALITY_ACCENT`, whichever is the largest: it is at most
    Q when the mean is at most Q and each of the others within its bound. Identical rows
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
    return max(error, _worst_accent(lab, errors, weights)[0] / QUALITY_ACCENT[2]), mean


def accent_pixels(total: float) -> float:
    """The fewest pixels, of ``total``, of a colour that :data:`QUALITY_ACCENT` bounds.

    >>> accent_pixels(1000), accent_pixels(12e6)
    (16, 600.0)
    """
    pixels, share, _ = QUALITY_ACCENT
    return max(pixels, share * total)


def _worst_accent(lab: np.ndarray, errors: np.ndarray, weights: np.ndarray | None
                  ) -> tuple[float, float]:
    """The largest of ``errors`` of a colour of at least :func:`accent_pixels` pixels, and
    its pixels; ``(0.0, 0.0)`` when there is none. Without ``weights``, each row of ``lab``
    is a pixel, and identical rows, one colour, of their mean error."""
    if weights is None:
        _, colour, weights = np.unique(lab, axis=0, return_inverse=True, return_counts=True)
        errors = np.bincount(colour.ravel(), errors) / weights
    big = np.flatnonzero(weights >= accent_pixels(float(weights.sum())))
    if big.size == 0:
        return 0.0, 0.0
    worst = big[np.argmax(errors[big])]
    return float(errors[worst]), float(weights[worst])


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
                   rng: np.random.Generator, more: str = "", limit: float | None = None
                   ) -> tuple[np.ndarray, np.ndarray, QualityReached | None]:
    """Fewest colours whose CIEDE2000 meets ``quality`` (:func:`quality_error`): palette,
    labels, and None.

    A cheap search on the cell summary (fit and error measured on the cells)
    gives a first guess; the exact search then starts from it, so only a few
    full fits are paid for. With ``limit`` (a ``quality_limit``, at least ``quality``),
    a ``quality`` out of reach of ``k_max`` colours whose fit meets ``limit`` by the same
    rule gives that fit, the one the search made (as ``n_colors=k_max`` fits it), and
    what it reaches (:class:`~quantize.errors.QualityReached`) in place of None.

    Raises
    ------
    QualityError
        If even ``k_max`` colours do not reach ``quality``, nor ``limit`` when given (its
        message then names both bounds); ``more``, when given, is added to its message
        (how to allow more colours).
    """
    k_max = min(k_max, hist.colors.shape[0])  # m colours reproduce the image exactly
    fresh = starting_as(rng)  # every full fit as n_colors=k fits it
    guess = _summary_guess(hist, quality, k_max, rng)
    fits: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    means: dict[int, float] = {}
    errors: dict[int, float] = {}

    white = _on_white_if_alpha(hist.colors, hist.lab)

    def exact(k: int) -> float:
        palette, labels = fits[k] = fit(hist.colors, hist.counts, hist.features, k,
                                        hist.space, exact_colors, fresh(), seed_on_cells=True)
        errors[k], means[k] = quality_error(hist.lab, lab_of(palette), hist.counts, labels,
                                            _with_alpha(hist.colors, palette, white))
        return errors[k]

    k = smallest_k(exact, quality, guess, k_max, k_min=1)
    if k is not None:
        return *fits[k], None
    palette, labels = fits[k_max]
    got = quality_reached(hist.lab, lab_of(palette), hist.counts, labels, k_max, quality,
                          _with_alpha(hist.colors, palette, white))
    colours = "1 colour" if k_max == 1 else f"{k_max} colours"
    missed = (f"{out_of_reach(quality, means[k_max], accent=got.accent is not None)} needs "
              f"more than {colours}")
    return palette, labels, kept_within_limit(missed, more, errors[k_max], quality, limit,
                                              got)


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
                    shown: tuple[np.ndarray, np.ndarray] | None = None) -> QualityReached:
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
    worst, pixels = _worst_accent(lab, errors, weights)
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
    pixels, share, times = QUALITY_ACCENT
    return (f"{name}={shown}: {quality_terms(quality)} (and every colour of at least {pixels} "
            f"pixels and {100 * share:g}% of them within {_times(quality, times)})")


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
                   rng: np.random.Generator) -> int:
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
    else:
        judge, judge_lab, judge_w = hist.features, hist.lab, hist.counts
        judge_colors = hist.colors
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
                             _with_alpha(judge_colors, palette, white))[0]

    guess = smallest_k(approx, quality, DEFAULT_COLORS, limit, k_min=1,
                       resolution=_GUESS_RESOLUTION)
    return k_max if guess is None else guess
