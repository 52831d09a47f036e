"""Quality search: the fewest colours whose mean CIEDE2000 meets a target.

Quick fits on coarse cells, judged on a sample of pixel colours, bracket k;
then full fits (:func:`quantize.reduce.fit.fit`) walk from that guess to the
smallest k whose mean CIEDE2000 against the original meets the target.
Prior validation is assumed.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .._kernels import nearest
from ..colors import mean_ciede2000
from ..errors import QualityError
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

__all__ = ["search_quality", "smallest_k"]

# The first guess of k fits on 8 x 8 x 8-level cells, judged on this many pixels.
_GUESS_DIRECT_MAX = 1 << 12
_GUESS_CELL_SHIFT = 3
_GUESS_SAMPLE = 1 << 15


def smallest_k(test: Callable[[int], bool], guess: int, k_max: int, *,
               geometric: bool) -> int | None:
    """Smallest k in [1, k_max] for which ``test`` holds, assuming it holds from some k on.

    Gallops away from ``guess`` until the answer is bracketed (doubling k when
    ``geometric``, else steps of 1, 2, 4, ...), then bisects. None when
    ``test(k_max)`` fails.

    >>> smallest_k(lambda k: k >= 37, 16, 256, geometric=True)
    37
    """
    guess = min(max(guess, 1), k_max)
    if test(guess):
        lo, hi = _gallop_down(test, guess, geometric)
    else:
        bracket = _gallop_up(test, guess, k_max, geometric)
        if bracket is None:
            return None
        lo, hi = bracket
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if test(mid):
            hi = mid
        else:
            lo = mid
    return hi


def _gallop_down(test: Callable[[int], bool], hi: int, geometric: bool) -> tuple[int, int]:
    """``(lo, hi)`` with test(hi) true and test(lo) false (lo 0 stands for "below 1")."""
    step = 1
    while hi > 1:
        cand = hi // 2 if geometric else max(hi - step, 1)
        if not test(cand):
            return cand, hi
        hi, step = cand, step * 2
    return 0, hi


def _gallop_up(test: Callable[[int], bool], lo: int, k_max: int,
               geometric: bool) -> tuple[int, int] | None:
    """``(lo, hi)`` with test(lo) false and test(hi) true, or None if test(k_max) fails."""
    step = 1
    while True:
        cand = min(lo * 2 if geometric else lo + step, k_max)
        if test(cand):
            return lo, cand
        if cand == k_max:
            return None
        lo, step = cand, step * 2


def search_quality(hist: Histogram, quality: float, k_max: int, exact_colors: bool,
                   rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Fewest colours whose mean CIEDE2000 is <= ``quality``: palette and labels.

    A cheap search on the cell summary (fit and error measured on the cells)
    gives a first guess; the exact search then starts from it, so only a few
    full fits are paid for.

    Raises
    ------
    QualityError
        If even ``k_max`` colours do not reach ``quality``.
    """
    k_max = min(k_max, hist.colors.shape[0])  # m colours reproduce the image exactly
    guess = _summary_guess(hist, quality, k_max, rng)
    fits: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def exact(k: int) -> bool:
        palette, labels = fits[k] = fit(hist.colors, hist.counts, hist.features, k,
                                        hist.space, exact_colors, rng)
        error = mean_ciede2000(hist.lab, lab_of(palette)[labels], hist.counts)
        return error <= quality

    k = smallest_k(exact, guess, k_max, geometric=False)
    if k is None:
        raise QualityError(f"quality={quality:g}: mean CIEDE2000 <= {quality:g} needs more "
                           f"than {k_max} colours")
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

    def approx(k: int) -> bool:
        km = MiniBatchKMeans(k, refine=SUMMARY_REFINE, seed=rng).fit(data, sample_weight=weights)
        palette = distinct_rows(to_colors(km.cluster_centers_, hist.space,
                                          hist.colors.shape[1]))
        entries = nearest(judge, features_of(palette, hist.space))
        return mean_ciede2000(judge_lab, lab_of(palette)[entries], judge_w) <= quality

    guess = smallest_k(approx, DEFAULT_COLORS, limit, geometric=True)
    return k_max if guess is None else guess
