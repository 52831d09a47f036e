"""Quality search: the fewest colours whose mean CIEDE2000 meets a target.

Quick fits on coarse cells, judged on a sample of pixel colours, bracket k;
then full fits (:func:`quantize.reduce.fit.fit`) walk from that guess to the
smallest k whose mean CIEDE2000 against the original meets the target.
Prior validation is assumed.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from .._kernels import nearest
from .._validation import shown_number
from ..colors import mean_ciede2000
from ..errors import QualityError, QualityScaleWarning, warn_caller
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

__all__ = ["QUALITY_MEANS", "QUALITY_SCALE_WARNING_ABOVE", "QualityScaleWarning",
           "quality_scale_reason", "search_quality", "smallest_k", "starting_as",
           "warn_quality_scale"]

#: What ``quality`` measures, said where a value meant as a 0-100 score (pngquant's
#: ``--quality 80``; Pillow's JPEG ``quality=80``) is taken for it.
QUALITY_MEANS = ("a mean CIEDE2000 difference (about 1 is just noticeable, 5 visibly "
                 "posterised), not pngquant's 0-100 score")
#: A ``quality`` above this lets nearly any image through with the fewest colours (two
#: colours of a photo are a mean CIEDE2000 of 8 to 17 away), as pngquant's scores do.
QUALITY_SCALE_WARNING_ABOVE = 20


def quality_scale_reason(quality: float | None) -> str | None:
    """Why a checked ``quality`` above :data:`QUALITY_SCALE_WARNING_ABOVE` is likely
    pngquant's 0-100 score (nearly any image meets it with the fewest colours), or None:
    the words after its name, as :func:`warn_quality_scale` and the command line say them."""
    if quality is None or quality <= QUALITY_SCALE_WARNING_ABOVE:
        return None
    return (f"{QUALITY_MEANS}: above {QUALITY_SCALE_WARNING_ABOVE}, nearly any image meets it "
            "with the fewest colours; for a result close to the original, give 2 or 3")


def warn_quality_scale(quality: float | None) -> None:
    """Warn (:class:`QualityScaleWarning`) that a checked ``quality`` above
    :data:`QUALITY_SCALE_WARNING_ABOVE` is met by nearly any image with the fewest colours.

    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warn_quality_scale(20.0); warn_quality_scale(80.0)
    >>> print(caught[0].message)  # doctest: +NORMALIZE_WHITESPACE
    quality=80: a mean CIEDE2000 difference (about 1 is just noticeable, 5 visibly
    posterised), not pngquant's 0-100 score: above 20, nearly any image meets it with the
    fewest colours; for a result close to the original, give 2 or 3
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
                   rng: np.random.Generator, more: str = "") -> tuple[np.ndarray, np.ndarray]:
    """Fewest colours whose mean CIEDE2000 is <= ``quality``: palette and labels.

    A cheap search on the cell summary (fit and error measured on the cells)
    gives a first guess; the exact search then starts from it, so only a few
    full fits are paid for.

    Raises
    ------
    QualityError
        If even ``k_max`` colours do not reach ``quality``; ``more``, when given, is
        added to its message (how to allow more colours).
    """
    k_max = min(k_max, hist.colors.shape[0])  # m colours reproduce the image exactly
    fresh = starting_as(rng)  # every full fit as n_colors=k fits it
    guess = _summary_guess(hist, quality, k_max, rng)
    fits: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def exact(k: int) -> float:
        palette, labels = fits[k] = fit(hist.colors, hist.counts, hist.features, k,
                                        hist.space, exact_colors, fresh())
        return mean_ciede2000(hist.lab, lab_of(palette), hist.counts, rows=labels)

    k = smallest_k(exact, quality, guess, k_max, k_min=1)
    if k is None:
        shown = shown_number(quality)
        colours = "1 colour" if k_max == 1 else f"{k_max} colours"
        raise QualityError(f"quality={shown}: mean CIEDE2000 <= {shown} needs more "
                           f"than {colours}{more}")
    return fits[k]


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
        judge, judge_lab, judge_w = hist.features[picks], hist.lab[picks], None
    else:
        judge, judge_lab, judge_w = hist.features, hist.lab, hist.counts
    limit = min(k_max, data.shape[0] - 1)
    if limit < 1:
        return k_max

    def approx(k: int) -> float:
        km = MiniBatchKMeans(k, refine=SUMMARY_REFINE, seed=rng).fit(data, sample_weight=weights)
        palette = distinct_rows(to_colors(km.cluster_centers_, hist.space,
                                          hist.colors.shape[1]))
        entries = nearest(judge, features_of(palette, hist.space))
        return mean_ciede2000(judge_lab, lab_of(palette), judge_w, rows=entries)

    guess = smallest_k(approx, quality, DEFAULT_COLORS, limit, k_min=1,
                       resolution=_GUESS_RESOLUTION)
    return k_max if guess is None else guess
