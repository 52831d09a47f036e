"""One fitting run of mini-batch k-means: seeding, mini-batches, settling, refinement.

:class:`quantize.kmeans.MiniBatchKMeans` validates its input and parameters
once and calls :func:`fit_once` for each of its ``n_init`` runs; prior
validation is assumed here.

In: ``X`` an ``(n, d)`` float32 array (float64 for float64 input, whose distances
are then computed in float64 throughout), ``w`` its ``(n,)`` non-negative
float64 weights (not all 0), ``p`` the validated parameters (``k``, ``init``
(``"k-means++"``, ``"random"`` or a ``(k, d)`` float64 array), ``batch_size``,
``max_iter``, ``tol``, ``max_no_improvement``, ``refine``, ``fixed``: None or an
``(f, d)`` float64 array of centres that never move, the first ``f`` of the ``k``)
and one ``numpy.random.Generator``. Out: a :class:`Run` with the centres, labels,
weighted inertia and step and pass counts. The numerical building blocks
(nearest centre, group sums, Lloyd passes) come from :mod:`quantize._kernels`.

Every fixed cost is capped by the size of the data, so small inputs (such as
the few thousand colour cells of a web photo) pay for little more than their
own Lloyd passes. A run has these phases:

1. **Seeding** with greedy k-means++ (:func:`plusplus_indices`), on the data
   themselves when they hold at most 8,192 rows, else on a sample drawn in
   proportion to the weights. On data of 32,768 rows or more, up to eight
   seedings (one per 16,384 rows) are each settled by Lloyd passes on one
   weighted sample of 16,384 rows and the one with the lowest inertia there
   is kept: a single seeding too often ends in a poorer local minimum, and a
   better start saves passes over all rows.
2. **Mini-batch updates** (:func:`mini_batch_step`), only on data with more
   than 32 batches of rows (on fewer, exact passes cost less than the steps
   needed to settle): batches drawn with probability proportional to the
   sample weights (:class:`WeightedSampler`) move each centre towards the
   mean of its points with a per-centre learning rate of 1/count. Stops on a
   small centre shift, on no improvement of a smoothed batch inertia
   (:class:`Convergence`), or after ``max_iter`` passes.
3. **Settling**: Lloyd passes on all rows, or on a weighted sample of 65,536
   rows when there are more than twice as many, until at most 0.02% of the
   labels change or the centres move by less than ``1e-4`` of the data's
   variance, or for at most 100 passes (``max_iter`` passes, up to 100, on data
   that skipped the mini-batch phase: they are then its passes over the data).
   Mini-batch centres lag behind (each is an average over its whole
   history); passes on a sample settle them for a fraction of the cost of full
   passes.
4. **Refinement**: up to ``refine`` exact weighted Lloyd passes over all points,
   stopping early once no point switches cluster (``Run.converged``: the labels
   are then a fixed point of Lloyd's algorithm).

Weighted sampling costs O(n) once per run and O(batch log n) per draw.

On small data (at most 8,192 rows at the default parameters) a run is only
seeding, settling and refinement, and each pass costs less than the NumPy
calls that make it; :func:`fit_together` then takes the k-means++ steps and
the Lloyd passes of all restarts at once, with the result of running them one
after the other.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ._kernels import (
    group_sums,
    labels_sq_dist,
    lloyd,
    lloyd_runs,
    second_nearest_gap,
    sq_dist_from,
    sq_dist_to,
    sq_dist_to_labels,
    uses_tree,
)
from .errors import ExitCode, FailureKind, QuantizeError

__all__ = ["Convergence", "Run", "TooFewDistinctError", "WeightedSampler", "fit_once",
           "fit_together", "fixed_count", "mini_batch_step", "one_seeding", "plusplus_indices",
           "plusplus_runs", "raise_too_few_distinct", "runs_fit_together", "seed_after_fixed",
           "seedings_per_run", "summary_runs", "swap_search"]

# Rows used for seeding when the data are larger: k-means++ is O(n k d).
_SEED_SAMPLE_MIN = 8192
# Many centres (_plusplus_balls): a k-means++ step compares its candidates with
# the rows a k-d tree finds near them when those are fewer than all rows over
# this factor (a row found costs about this many rows compared in a product),
# else with all rows; the tree is tried again after this many steps, then
# twice as many each time it finds too many.
_BALL_ROW_COST = 16
_BALL_PROBE = 16
# Restarts on few rows (plusplus_runs): the squared distances between all rows
# are worked out once, in a table, and each k-means++ step looks its candidates'
# rows up there, when the rows are at most _TABLE_MAX_ROWS and at most half the
# candidate rows the steps would compare with all rows, plus _TABLE_SLACK. On
# rows subsampled from BSDS500 train photos (medians of 10 photos), the table
# broke even at about 550 rows for 8 runs at k = 16 (480 candidate rows), 650
# for 4 at k = 32 (620), 1,000 for 4 at k = 64 (1,512), 1,500 for 4 at k = 128
# (3,048) and 2,100 for 3 at k = 256 (5,355); at 2,000 rows it took 0.9-5.1
# times as long as the steps. Beyond 1,536 rows the table would weigh 19 MB.
_TABLE_MAX_ROWS = 1536
_TABLE_SLACK = 512
# The mini-batch phase runs only on data with more than this many batches.
_MINI_BATCH_MIN_BATCHES = 32
# Settling: Lloyd passes on a weighted sample of this many rows when the data
# hold more than twice as many (else on all rows) ...
_POLISH_SAMPLE = 65536
# ... until at most this share of the labels change in a pass, or the squared
# centre shifts of a pass sum to at most this share of the mean variance.
_POLISH_CHANGED = 2e-4
_POLISH_TOL = 1e-4
_POLISH_MAX_PASSES = 100
# summary_runs settles its runs on the summary until at most this share of the labels
# change in a pass, or for this many passes, where the other runs settle until almost
# none change: the passes on the rows themselves follow, and the runs on the cells of
# small photos took 9-54 passes each (see quantize.reduce.fit.SUMMARY_SEEDED_TO).
SUMMARY_SETTLE_CHANGED = 2e-3
SUMMARY_SETTLE_PASSES = 15
# The best of up to this many seedings (one per this many rows, if two or
# more), each settled on one weighted sample of this size.
_SEED_CANDIDATES = 8
_CANDIDATE_SAMPLE = 16384
_CANDIDATE_MAX_PASSES = 30
# A centre is starving when its count falls below this share of the largest.
_REASSIGNMENT_RATIO = 0.01
#: Starving centres are moved after every this many mini-batch steps.
REASSIGN_EVERY = 10
# Rows used to estimate the data's variance.
_VARIANCE_SAMPLE = 65536


# --------------------------------------------------------------------------
# One run: seed, mini-batch phase, settling, refinement
# --------------------------------------------------------------------------


class Run:
    """What one run leaves: centres, labels, inertia, the step and pass counts, and whether
    refinement stopped on a pass that changed no label (``converged``)."""

    __slots__ = ("centers", "labels", "inertia", "n_steps", "n_iter", "converged")

    def __init__(self, centers, labels, inertia, n_steps, n_iter, converged=False):
        self.centers, self.labels, self.inertia = centers, labels, inertia
        self.n_steps, self.n_iter, self.converged = n_steps, n_iter, converged


def fit_once(X: np.ndarray, w: np.ndarray, p: dict[str, Any],
             rng: np.random.Generator) -> Run:
    """One full run on valid data; prior validation is assumed."""
    sampler = WeightedSampler(w, rng)
    mini_batch = X.shape[0] > _MINI_BATCH_MIN_BATCHES * p["batch_size"]
    centers, counts = _initial_centers(X, w, p, sampler, rng)
    n_iter = n_steps = 0
    if mini_batch:
        centers, n_steps = _mini_batch_phase(X, centers, counts, p, sampler, rng)
        n_iter = math.ceil(n_steps / math.ceil(X.shape[0] / p["batch_size"]))
    # Equal weights need no multiplications: the means are the same.
    lloyd_w = None if sampler.uniform else w
    settle_passes = _POLISH_MAX_PASSES if mini_batch else _settle_cap(p)
    n_fixed = fixed_count(p)
    centers, n_settle = _settle(X, lloyd_w, centers, sampler, settle_passes, n_fixed)
    centers, labels, n_refine = lloyd(X, lloyd_w, centers, p["refine"], fixed=n_fixed)
    dist = sq_dist_to_labels(X, centers, labels)
    inertia = float(w @ dist.astype(np.float64))
    return Run(centers, labels, inertia, n_steps, n_iter + n_settle + n_refine,
               n_refine < p["refine"])


def fixed_count(p: dict[str, Any]) -> int:
    """How many centres ``p["fixed"]`` holds (0 when None): the first that many of a run
    never move.

    >>> fixed_count({"fixed": None}), fixed_count({"fixed": np.zeros((2, 3))})
    (0, 2)
    """
    fixed = p.get("fixed")
    return 0 if fixed is None else fixed.shape[0]


def _settle_cap(p: dict[str, Any]) -> int:
    """The most settling passes of a run that skips the mini-batch phase: ``max_iter``,
    up to ``_POLISH_MAX_PASSES`` (100, ``max_iter``'s default).

    Those passes are then the run's passes over the data, so ``max_iter`` bounds
    them as it bounds the mini-batch passes of larger data: at ``max_iter=1,
    refine=0`` a run is one Lloyd step from its initial centres.

    >>> _settle_cap({"max_iter": 3}), _settle_cap({"max_iter": 100}), _settle_cap({"max_iter": 500})
    (3, 100, 100)
    """
    return min(p["max_iter"], _POLISH_MAX_PASSES)


def runs_fit_together(n_rows: int, p: dict[str, Any]) -> bool:
    """Whether runs on ``n_rows`` rows are only seeding, settling and refinement.

    True for small data: seeded on all rows, no candidate seedings, no
    mini-batch phase, variance and settling on all rows. Such runs draw
    nothing at random after their seeding, so :func:`fit_together` can pass
    them all at once.
    """
    return (not isinstance(p["init"], np.ndarray)
            and p.get("fixed") is None
            and n_rows <= _seed_rows(p)
            and seedings_per_run(n_rows) == 1
            and n_rows <= _MINI_BATCH_MIN_BATCHES * p["batch_size"]
            and n_rows <= min(_VARIANCE_SAMPLE, 2 * _POLISH_SAMPLE))


def fit_together(X: np.ndarray, w: np.ndarray, p: dict[str, Any],
                 rngs: list[np.random.Generator]) -> Run:
    """The best of ``len(rngs)`` runs on small data, their Lloyd passes taken together.

    Each run is seeded with its own Generator as :func:`fit_once` would seed
    it; then :func:`quantize._kernels.lloyd_runs` settles and refines all of
    them at once. The result is :func:`fit_once`'s best run (up to float32
    ties; of runs tied on inertia, the first), for a fraction of the NumPy
    calls. Requires :func:`runs_fit_together`.
    """
    sampler = WeightedSampler(w, rngs[0])
    sample, sw = X[w > 0], w[w > 0]
    if p["init"] == "k-means++":
        chosen = plusplus_runs(sample, p["k"], sw, rngs)
    else:
        chosen = [_seed_indices(sample, sw, p["k"], p["init"], rng) for rng in rngs]
    seeds = np.stack([_seed_distinct(X, w, p, rng) if idx is None
                      else sample[idx].astype(np.float64)
                      for idx, rng in zip(chosen, rngs, strict=True)])
    lloyd_w = None if sampler.uniform else w
    tol = _POLISH_TOL * _mean_variance(X, sampler)
    centers, labels, settle = lloyd_runs(X, lloyd_w, seeds, _settle_cap(p),
                                         max_changed=_POLISH_CHANGED, tol=tol)
    centers, labels, refine = lloyd_runs(X, lloyd_w, centers, p["refine"], labels=labels)
    inertia = [_weighted_inertia(X, w, c, lab) for c, lab in zip(centers, labels, strict=True)]
    best = int(np.argmin(inertia))
    return Run(centers[best], labels[best], inertia[best], 0,
               int(settle[best] + refine[best]), bool(refine[best] < p["refine"]))


def summary_runs(S: np.ndarray, sw: np.ndarray, X: np.ndarray, w: np.ndarray, k: int,
                 n_runs: int, passes: int, rng: np.random.Generator) -> np.ndarray | None:
    """The best centres ``(k, d)`` of ``n_runs`` k-means++ runs seeded and settled on a
    summary ``S`` of the rows ``X``, then settled on ``X``; prior validation is assumed.

    ``S`` ``(s, d)`` float32 with weights ``sw`` stands for ``X`` ``(n, d)`` float32
    with weights ``w`` (> 0) in fewer points (such as the means of cells of them). The
    runs are seeded on ``S`` together, as :func:`fit_together` does, and settled there
    more loosely (``SUMMARY_SETTLE_CHANGED``, ``SUMMARY_SETTLE_PASSES``), each then
    takes up to ``passes`` Lloyd passes on ``X`` (all at once, stopping as settling
    stops), and the one of lowest inertia on ``X`` is kept (the first of equal ones):
    the runs are compared where they will be used, for a fraction of the passes on
    ``X`` that settling every run there takes. The Generators of the runs are those
    ``MiniBatchKMeans`` gives its ``n_init`` runs. Returns None when some seeding finds
    fewer than ``k`` distinct points in ``S``.
    """
    rngs = [rng] if n_runs == 1 else [rng, *rng.spawn(n_runs - 1)]
    chosen = plusplus_runs(S, k, sw, rngs)
    if any(idx is None for idx in chosen):
        return None
    seeds = np.stack([S[idx].astype(np.float64) for idx in chosen])
    centers = lloyd_runs(S, sw, seeds, SUMMARY_SETTLE_PASSES,
                         max_changed=SUMMARY_SETTLE_CHANGED,
                         tol=_POLISH_TOL * _mean_variance(S, WeightedSampler(sw, rng)))[0]
    tol = _POLISH_TOL * _mean_variance(X, WeightedSampler(w, rng))
    centers, labels, _ = lloyd_runs(X, w, centers, passes, max_changed=_POLISH_CHANGED,
                                    tol=tol)
    inertia = [_summed_inertia(X, w, c, lab) for c, lab in zip(centers, labels, strict=True)]
    return centers[int(np.argmin(inertia))]


def _summed_inertia(X: np.ndarray, w: np.ndarray, centers: np.ndarray,
                    labels: np.ndarray) -> float:
    """:func:`_weighted_inertia` summed by ``np.einsum``, not by a BLAS product: OpenBLAS
    runs a dot product of more than 10,000 rows on several threads, whose waiting took
    about 50 ms of CPU in the eight comparisons of :func:`summary_runs` on the 12,534
    colours of a 160 px thumbnail (under load; 2 cores). Not used where the runs on
    the summaries of larger images compare: its last bits may differ, and so a choice
    between two runs of equal inertia."""
    return float(np.einsum("i,i->", w, sq_dist_to_labels(X, centers, labels, np.float64)))


def _weighted_inertia(X: np.ndarray, w: np.ndarray, centers: np.ndarray,
                      labels: np.ndarray) -> float:
    """Sum of the ``w``-weighted squared distances of the rows of ``X`` to their ``labels``'
    centres, added in float64."""
    return float(w @ sq_dist_to_labels(X, centers, labels).astype(np.float64))


# --------------------------------------------------------------------------
# Seeding: the best of a few settled seedings, or one
# --------------------------------------------------------------------------


def seedings_per_run(n_rows: int) -> int:
    """How many settled seedings one run on ``n_rows`` rows compares (k-means++ init).

    >>> seedings_per_run(10_000), seedings_per_run(100_000), seedings_per_run(10**6)
    (1, 6, 8)
    """
    return max(1, min(_SEED_CANDIDATES, n_rows // _CANDIDATE_SAMPLE))


def _initial_centers(X, w, p, sampler, rng) -> tuple[np.ndarray, np.ndarray]:
    """Initial centres and the mini-batch counts they start with.

    On data of two candidate samples or more, the best of a few seedings, each
    settled by Lloyd passes on one weighted sample, is kept (the counts are
    then its cluster sizes). Otherwise, or if the sample holds too few
    distinct rows, one seeding.
    """
    k = p["k"]
    if isinstance(p["init"], np.ndarray):
        return p["init"].copy(), np.zeros(k)
    if p.get("fixed") is not None:  # candidates settled without the fixed centres: no
        return one_seeding(X, w, p, sampler, rng), np.zeros(k)
    n_seed = _seed_rows(p)
    n_candidates = seedings_per_run(X.shape[0])
    # A candidate sample of no more rows than k cannot be seeded: skip it.
    if n_candidates > 1 and k < _CANDIDATE_SAMPLE:
        sample = X[sampler.draw(_CANDIDATE_SAMPLE)]
        best = _best_candidate(sample, min(n_seed, _CANDIDATE_SAMPLE), n_candidates, p, rng)
        if best is not None:
            return best
    return one_seeding(X, w, p, sampler, rng), np.zeros(k)


def one_seeding(X: np.ndarray, w: np.ndarray, p: dict[str, Any], sampler: WeightedSampler,
                rng: np.random.Generator) -> np.ndarray:
    """``p["init"]`` ("k-means++" or "random") once, on the rows of positive weight, or
    on a weighted sample of :func:`_seed_rows` of them when there are more; prior
    validation is assumed. Also the first centres of ``MiniBatchKMeans.partial_fit``.
    With ``p["fixed"]``, those are the first centres and the seeding continues from
    them (:func:`seed_after_fixed`).

    Raises
    ------
    ValueError
        If the rows hold fewer than ``p["k"]`` distinct rows of positive weight.
    """
    n_seed = _seed_rows(p)
    if X.shape[0] <= n_seed:
        sample, sw = X[w > 0], w[w > 0]
    else:
        # Drawn in proportion to weight, so the sample's own weights are uniform.
        sample = X[sampler.draw(n_seed)]
        sw = np.ones(n_seed)
    if p.get("fixed") is not None:
        return seed_after_fixed(sample, sw, p["fixed"], p["k"], p["init"], rng)
    idx = _seed_indices(sample, sw, p["k"], p["init"], rng)
    if idx is None:
        return _seed_distinct(X, w, p, rng)
    return sample[idx].astype(np.float64)


def _seed_distinct(X, w, p, rng) -> np.ndarray:
    """Seed on the distinct rows of the data (the seeding sample held fewer than k)."""
    sample, inverse = np.unique(X[w > 0], axis=0, return_inverse=True)
    sw = np.bincount(inverse.ravel(), weights=w[w > 0])
    idx = _seed_indices(sample, sw, p["k"], p["init"], rng)
    if idx is None:
        raise_too_few_distinct(X, w, p["k"])
    return sample[idx].astype(np.float64)


def seed_after_fixed(X: np.ndarray, w: np.ndarray, fixed: np.ndarray, k: int, method: str,
                     rng: np.random.Generator) -> np.ndarray:
    """``k`` initial centres ``(k, d)`` float64: the ``fixed`` ones first, then rows of ``X``
    chosen by ``method``; prior validation is assumed.

    k-means++ starts from the fixed centres: its first row is drawn by weight, as
    :func:`plusplus_indices` draws its first, and each next is the candidate (drawn by
    weight times squared distance to the nearest centre so far, the fixed ones included)
    that lowers the weighted potential most; "random" draws distinct rows by weight. (Drawn
    by its distance to the fixed centres, the first row lay far from them: a colour key
    such as #ff00ff, far from a photo's colours, put it among the photo's greens, and the
    fit on astronaut's colour summary at k = 64 ended 1.2 % higher in inertia than the fit
    of 63 colours without it, mean of seeds 0-5; drawn by weight, within 0.1 %.) When the rows
    run out of points away from every centre chosen, the centres left repeat the first
    fixed one (no row is labelled with a repeat: ties go to the lower index).

    >>> X = np.array([[0.], [1.], [10.], [10.]], np.float32)
    >>> seed_after_fixed(X, np.ones(4), np.array([[0.5]]), 2, "k-means++",
    ...                  np.random.default_rng(0))[:, 0].tolist()
    [0.5, 10.0]
    """
    f = fixed.shape[0]
    chosen = []
    if method == "random":
        distinct, first, inverse = np.unique(X, axis=0, return_index=True, return_inverse=True)
        weight = np.bincount(inverse.ravel(), weights=w)
        n = min(k - f, int((weight > 0).sum()))
        chosen = rng.choice(first, size=n, replace=False, p=weight / weight.sum()).tolist()
    elif k > f:
        chosen = _plusplus_after(X, w, fixed, k - f, rng)
    rows = X[np.asarray(chosen, dtype=np.intp)].astype(np.float64)
    repeats = np.repeat(fixed[:1], k - f - rows.shape[0], axis=0)
    return np.concatenate([fixed, rows, repeats])


def _plusplus_after(X: np.ndarray, w: np.ndarray, fixed: np.ndarray, n: int,
                    rng: np.random.Generator) -> list[int]:
    """Up to ``n`` rows chosen by greedy k-means++ beyond the ``fixed`` centres (fewer when
    every row of positive weight sits on a centre)."""
    n_trials = 2 + int(math.log(n + fixed.shape[0]))
    x_sq = np.einsum("ij,ij->i", X, X)
    first = int(_draw_weighted(np.cumsum(w), 1, rng)[0])
    closest = np.minimum(sq_dist_to(X, x_sq, fixed.astype(X.dtype)).min(axis=1),
                         sq_dist_to(X, x_sq, X[[first]])[:, 0])
    closest[first] = 0.0
    indices = [first]
    for _ in range(n - 1):
        potential = w * closest
        if float(potential.sum()) <= 0.0:
            break
        candidates = _draw_weighted(np.cumsum(potential), n_trials, rng)
        cand_d = sq_dist_to(X, x_sq, X[candidates])
        np.minimum(cand_d, closest[:, None], out=cand_d)
        best = int(np.argmin(w @ cand_d))
        indices.append(int(candidates[best]))
        closest = cand_d[:, best].copy()
        closest[indices[-1]] = 0.0
    return indices


def _seed_rows(p: dict[str, Any]) -> int:
    """Rows k-means++ seeds on: all rows up to this many, else a sample of it."""
    return max(_SEED_SAMPLE_MIN, 3 * p["batch_size"], 10 * p["k"])


def _best_candidate(sample, n_seed, n_candidates, p, rng,
                    ) -> tuple[np.ndarray, np.ndarray] | None:
    """Seed ``n_candidates`` times on ``sample``, settle each, keep the lowest inertia.

    The sample was drawn by weight, so its rows weigh the same. Returns None if
    the sample holds fewer than k distinct rows.
    """
    k, best = p["k"], None
    for _ in range(n_candidates):
        idx = _seed_indices(sample[:n_seed], np.ones(n_seed), k, p["init"], rng)
        if idx is None:
            return None
        centers, labels, _ = lloyd(sample, None, sample[idx].astype(np.float64),
                                   _CANDIDATE_MAX_PASSES, max_changed=_POLISH_CHANGED)
        inertia = float(sq_dist_to_labels(sample, centers, labels).sum(dtype=np.float64))
        if best is None or inertia < best[0]:
            # The centres already average these many points: the mini-batch
            # phase continues from them instead of starting over.
            best = (inertia, centers, np.bincount(labels, minlength=k).astype(np.float64))
    return best[1], best[2]


def _seed_indices(sample, sw, k, method, rng) -> np.ndarray | None:
    if method == "k-means++":
        return plusplus_indices(sample, k, sw, rng)
    # "random": k distinct rows, each drawn in proportion to its total weight.
    distinct, first, inverse = np.unique(sample, axis=0, return_index=True,
                                         return_inverse=True)
    if distinct.shape[0] < k:
        return None
    weight = np.bincount(inverse.ravel(), weights=sw)
    return rng.choice(first, size=k, replace=False, p=weight / weight.sum())


def plusplus_indices(X: np.ndarray, k: int, w: np.ndarray,
                     rng: np.random.Generator) -> np.ndarray | None:
    """Greedy k-means++ on valid float32 ``X``; prior validation is assumed.

    Returns the chosen row indices, or None when the weighted points run out of
    distinct positions before ``k`` centres are chosen. Past 1,024 centres of at
    most 4 features (:func:`quantize._kernels.uses_tree`) the same steps compare
    each candidate with the rows near it only (:func:`_plusplus_balls`).
    """
    if uses_tree(k, X.shape[1]):
        return _plusplus_balls(X, k, w, rng)
    n_trials = 2 + int(math.log(k))
    x_sq = np.einsum("ij,ij->i", X, X)
    bound = _residue_bound(X, x_sq)
    first = _draw_weighted(np.cumsum(w), 1, rng)
    indices = [int(first[0])]
    closest = sq_dist_to(X, x_sq, X[first])[:, 0]
    _zero_at_copies(closest, X, indices[0], bound)
    potential = float(w @ closest)
    for _ in range(1, k):
        if potential <= 0.0:
            return None
        candidates = _draw_weighted(np.cumsum(w * closest), n_trials, rng)
        cand_d = sq_dist_to(X, x_sq, X[candidates])  # (n, trials)
        np.minimum(cand_d, closest[:, None], out=cand_d)
        potentials = w @ cand_d
        best = int(np.argmin(potentials))
        indices.append(int(candidates[best]))
        closest = cand_d[:, best].copy()
        potential = float(potentials[best])
        if _zero_at_copies(closest, X, indices[-1], bound):
            potential = float(w @ closest)
    return np.asarray(indices, dtype=np.intp)


def _plusplus_balls(X: np.ndarray, k: int, w: np.ndarray,
                    rng: np.random.Generator) -> np.ndarray | None:
    """:func:`plusplus_indices` for many centres, comparing candidates with the rows near them.

    A candidate ``c`` brings a row nearer only if ``|x - c|^2`` is below the
    row's current squared distance, so below the largest of them, ``r^2``.
    Once the centres fill the space, ``r`` is small, and a step compares each
    candidate, by float64 differences, with the rows a k-d tree finds within
    ``r`` of it; until then (and on data whose sparse outliers keep ``r``
    large, as rare colours of a photo do) a step compares every row with the
    candidates in one product, as the dense steps do. Which one is tried
    again, at doubling intervals, while the tree's rows are too many. The
    draws and the greedy choice are those of the dense steps, but the
    potentials are summed otherwise, so near ties may go the other way.
    """
    from scipy.spatial import cKDTree

    n_trials = 2 + int(math.log(k))
    n = X.shape[0]
    x_sq = np.einsum("ij,ij->i", X, X)
    bound = _residue_bound(X, x_sq)
    xs = X.astype(np.float64)
    tree, live = cKDTree(xs), w > 0
    first = int(_draw_weighted(np.cumsum(w), 1, rng)[0])
    indices = [first]
    closest = sq_dist_to(X, x_sq, X[[first]])[:, 0]
    _zero_at_copies(closest, X, first, bound)
    probe, wait = 1, _BALL_PROBE
    for step in range(1, k):
        cdf = np.cumsum(w * closest)
        if cdf[-1] <= 0.0:
            return None
        candidates = _draw_weighted(cdf, n_trials, rng)
        chosen = None
        if step >= probe:
            reach = math.sqrt(float(np.max(closest, where=live, initial=0.0))) * (1.0 + 1e-6)
            lists = tree.query_ball_point(xs[candidates], reach, return_sorted=False)
            if sum(map(len, lists)) * _BALL_ROW_COST <= n * n_trials:
                chosen = _ball_step(xs, w, closest, candidates, lists)
            else:
                probe, wait = step + wait, 2 * wait
        if chosen is None:
            cand_d = sq_dist_to(X, x_sq, X[candidates])
            np.minimum(cand_d, closest[:, None], out=cand_d)
            best = int(np.argmin(w @ cand_d))
            chosen = int(candidates[best])
            closest = cand_d[:, best].copy()
            _zero_at_copies(closest, X, chosen, bound)
        indices.append(chosen)
    return np.asarray(indices, dtype=np.intp)


def _ball_step(xs, w, closest, candidates, lists) -> int:
    """One greedy step on the rows near each candidate (``lists``); updates ``closest``."""
    best = None
    for cand, rows in zip(candidates, lists, strict=True):
        rows = np.array(rows, dtype=np.intp)
        near = np.minimum(((xs[rows] - xs[cand]) ** 2).sum(axis=1), closest[rows])
        gain = float(w[rows] @ (closest[rows] - near))
        if best is None or gain > best[0]:
            best = (gain, int(cand), rows, near)
    _, cand, rows, near = best
    closest[rows] = near
    return cand


def _residue_bound(X: np.ndarray, x_sq: np.ndarray) -> float:
    """A bound on the rounding residue :func:`sq_dist_to` can leave on a zero distance.

    The expansion ``||x||^2 - 2 x.c + ||c||^2`` errs by at most a few ``(d + 4)``
    epsilons of ``X``'s dtype (float32 or float64) of ``||x||^2 + ||c||^2``; this is
    4 times that.
    """
    eps = float(np.finfo(X.dtype).eps)
    return 16.0 * (X.shape[1] + 4) * eps * float(x_sq.max(initial=0.0))


def _zero_at_copies(closest: np.ndarray, X: np.ndarray, chosen: int, bound: float) -> bool:
    """Set ``closest`` to exactly 0 on the rows of ``X`` equal to row ``chosen``.

    The float32 expansion leaves a rounding residue (about 1e-7 of the norms) on
    a row's distance to itself; left there, a copy of a chosen centre could be
    drawn again, giving k centres for fewer than k distinct rows instead of the
    error that says so. Only rows within ``bound`` (:func:`_residue_bound`) are
    compared. Returns whether some residue was not 0 already.
    """
    near = np.flatnonzero(closest <= bound)
    copies = near[(X[near] == X[chosen]).all(axis=1)]
    residue = bool(closest[copies].any())
    closest[copies] = 0.0
    return residue


def plusplus_runs(X: np.ndarray, k: int, w: np.ndarray,
                  rngs: list[np.random.Generator]) -> list[np.ndarray | None]:
    """:func:`plusplus_indices` for several runs at once, one Generator each.

    Each run draws what it would draw alone (:class:`_RunDraws`); the
    candidates of all runs are compared with the rows in one product per step,
    and the copies of their new centres are found in one call for all runs. A
    run whose points run out of distinct positions gets None and draws no more. On few rows
    (:func:`_uses_table`) the candidates' distances are looked up instead in a
    table of the distances between all rows, built once with copies at exactly 0
    (:func:`_distance_table`): the runs then choose as they would, up to float32
    rounding of the products that fill the table.
    """
    n_trials = 2 + int(math.log(k))
    n_runs, n = len(rngs), X.shape[0]
    x_sq = np.einsum("ij,ij->i", X, X)
    cdf = np.cumsum(w)
    first = [int(_draw_weighted(cdf, 1, rng)[0]) for rng in rngs]
    indices = np.empty((n_runs, k), dtype=np.intp)
    indices[:, 0] = first
    alive = np.arange(n_runs)
    bound = _residue_bound(X, x_sq)
    table = _distance_table(X, x_sq, bound) if _uses_table(n, k, n_runs, n_trials) else None
    if table is not None:
        closest = table[first]  # (r, n), a copy
        looked_up = np.empty((n_runs * n_trials, n))  # each step's rows of the table
    else:
        closest = sq_dist_from(X[first], X, x_sq)  # (r, n) float32
        _zero_at_copies_runs(closest, alive, indices[:, 0], X, bound)
    potential = closest @ w
    draws = _RunDraws(rngs, k, n_trials, n)
    every = np.arange(n_runs)
    for step in range(1, k):
        # A run stops for good once its potential is 0: its potential no longer changes.
        alive = np.flatnonzero(potential > 0.0)
        if alive.size == 0:
            break
        # While every run goes on (the usual case), its rows are a view, not a copy.
        runs = slice(None) if alive.size == n_runs else alive
        near = closest[runs]
        candidates = draws.candidates(runs, step, w, near)  # (a, trials)
        rows = candidates.ravel()
        cand_d = (table.take(rows, axis=0, out=looked_up[: rows.size], mode="clip")
                  if table is not None else sq_dist_from(X[rows], X, x_sq)
                  ).reshape(alive.size, n_trials, n)
        np.minimum(cand_d, near[:, None, :], out=cand_d)
        potentials = cand_d @ w  # (a, trials), float64
        best = potentials.argmin(axis=1)
        at = every[: alive.size]
        indices[runs, step] = candidates[at, best]
        closest[runs] = cand_d[at, best]
        potential[runs] = potentials[at, best]
        if table is None:  # the table holds copies at 0 already
            for run in _zero_at_copies_runs(closest, alive, indices[runs, step], X, bound):
                potential[run] = closest[run] @ w
    done = np.zeros(n_runs, dtype=bool)
    done[alive] = True
    draws.wind_back(done)
    return [indices[run] if done[run] else None for run in range(n_runs)]


def _uses_table(n: int, k: int, n_runs: int, n_trials: int) -> bool:
    """Whether :func:`plusplus_runs` of ``n_runs`` runs, comparing ``n_trials`` candidates
    a step, looks the distances up in a table of all ``n`` rows.

    >>> _uses_table(600, 64, 4, 6), _uses_table(600, 16, 8, 4), _uses_table(2000, 256, 3, 7)
    (True, False, False)
    """
    return n <= _TABLE_MAX_ROWS and 2 * n <= n_runs * (k - 1) * n_trials + _TABLE_SLACK


def _distance_table(X: np.ndarray, x_sq: np.ndarray, bound: float) -> np.ndarray:
    """The squared distances ``(n, n)`` float64 between all rows of ``X``, those between
    copies of a row exactly 0 (products within ``bound`` of 0 are checked)."""
    n = X.shape[0]
    table = sq_dist_from(X, X, x_sq)  # (n, n) float32
    # (np.nonzero on the square took 1 ms on 775 rows, np.flatnonzero 0.15 ms)
    row, col = np.divmod(np.flatnonzero(table <= bound), n)
    copy = (X[row] == X[col]).all(axis=1)
    table[row[copy], col[copy]] = 0.0
    # In float64, as the potentials are summed: no conversion in every step.
    return table.astype(np.float64)


class _RunDraws:
    """The candidates of the k-means++ steps of several runs, each drawn from its own
    Generator as :func:`plusplus_indices` draws them.

    The uniform draws of all of a run's steps are taken at once (the values it
    would draw step by step), and each step's cumulative weighted distances of
    all runs are summed in one call, in a buffer kept for all steps; a run that
    stops early is wound back to what it drew step by step
    (:meth:`_RunDraws.wind_back`), as a later seeding goes on from its Generator.
    """

    def __init__(self, rngs: list[np.random.Generator], k: int, n_trials: int,
                 n: int) -> None:
        self._rngs = rngs
        self._states = [rng.bit_generator.state for rng in rngs]
        self._uniform = np.stack([rng.random((max(k - 1, 0), n_trials)) for rng in rngs])
        self._drawn = np.zeros(len(rngs), dtype=int)
        self._cdf = np.empty((len(rngs), n))

    def candidates(self, runs: np.ndarray | slice, step: int, w: np.ndarray,
                   closest: np.ndarray) -> np.ndarray:
        """Step ``step``'s candidates ``(a, trials)`` of runs ``runs`` (their indices, or
        ``slice(None)`` for all), whose rows are at squared distances ``closest`` ``(a, n)``
        from their centres so far."""
        a = closest.shape[0]
        self._drawn[runs] += 1
        cdf = np.multiply(closest, w, out=self._cdf[:a])
        cdf.cumsum(axis=1, out=cdf)
        u = self._uniform[runs, step - 1] * cdf[:, -1:]
        # Each run's searches written in place: np.stack of the runs' results cost
        # three times the searches themselves on an icon's 800 colours.
        found = np.empty(u.shape, dtype=np.intp)
        for i in range(a):
            found[i] = cdf[i].searchsorted(u[i], side="right")
        return np.minimum(found, cdf.shape[1] - 1, out=found)

    def wind_back(self, done: np.ndarray) -> None:
        """Leave the Generators of the runs not ``done`` as their steps left them."""
        for run in np.flatnonzero(~done):
            self._rngs[run].bit_generator.state = self._states[run]
            self._rngs[run].random((self._drawn[run], self._uniform.shape[2]))


def _zero_at_copies_runs(closest: np.ndarray, runs: np.ndarray, chosen: np.ndarray,
                         X: np.ndarray, bound: float) -> np.ndarray:
    """:func:`_zero_at_copies` for several runs in one call: run ``runs[i]`` (a row of
    ``closest``) has just chosen row ``chosen[i]`` of ``X``. Returns the runs whose
    ``closest`` had some residue that is now 0."""
    run_of, near = np.divmod(np.flatnonzero(closest[runs] <= bound), closest.shape[1])
    copy = (X[near] == X[chosen[run_of]]).all(axis=1)
    run_of, near = runs[run_of[copy]], near[copy]
    residue = np.bincount(run_of[closest[run_of, near] != 0.0], minlength=closest.shape[0])
    closest[run_of, near] = 0.0
    return np.flatnonzero(residue)  # not np.unique, which would import numpy.ma


def raise_too_few_distinct(X: np.ndarray, w: np.ndarray, k: int) -> None:
    """Raise the error for data that hold fewer than ``k`` distinct weighted rows.

    Called only once seeding has failed, so the costly ``np.unique`` over all
    rows is never paid on the normal path.
    """
    n_distinct = np.unique(X[w > 0], axis=0).shape[0]
    if n_distinct >= k:  # distinct, but too close for the distances to tell apart
        raise ValueError(
            f"n_clusters={k}: the {n_distinct} distinct points with positive weight are "
            f"too close together for {X.dtype} distances to separate them (their squared "
            "distances round to 0 beside their distance from the origin, or are too "
            f"small for {X.dtype}); expected fewer clusters or rescaled data"
        )
    raise TooFewDistinctError(
        f"n_clusters={k} should be <= the number of distinct points with positive "
        f"weight ({n_distinct}): seeding chooses that many distinct rows as centres",
        n_distinct
    )


class TooFewDistinctError(QuantizeError, ValueError):
    """The data hold ``n_distinct`` distinct rows of positive weight, fewer than the
    clusters asked for (:func:`raise_too_few_distinct`): a bad parameter, exit 2."""

    exit_code = ExitCode.USAGE
    kind: FailureKind = "bad_parameter"

    def __init__(self, message: str, n_distinct: int):
        super().__init__(message)
        self.n_distinct = n_distinct

    def __reduce__(self):
        return (type(self), (str(self), self.n_distinct))


# --------------------------------------------------------------------------
# Weighted sampling: O(n) set-up once, O(batch log n) per draw
# --------------------------------------------------------------------------


class WeightedSampler:
    """Draw row indices with probability proportional to ``w``."""

    def __init__(self, w: np.ndarray, rng: np.random.Generator):
        self._rng = rng
        self._n = w.shape[0]
        self.uniform = bool(np.all(w == w[0]))
        self._cdf = None if self.uniform else np.cumsum(w)

    def draw(self, size: int) -> np.ndarray:
        if self.uniform:
            return self._rng.integers(0, self._n, size=size)
        return _draw_weighted(self._cdf, size, self._rng)


def _draw_weighted(cdf: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """``size`` indices drawn with probability proportional to the increments of ``cdf``."""
    u = rng.random(size) * cdf[-1]
    return np.minimum(np.searchsorted(cdf, u, side="right"), cdf.shape[0] - 1)


# --------------------------------------------------------------------------
# Mini-batch phase
# --------------------------------------------------------------------------


def _mini_batch_phase(X, centers, counts, p, sampler, rng) -> tuple[np.ndarray, int]:
    """Run mini-batch steps until a stopping rule fires; return centres and step count."""
    n, batch, n_fixed = X.shape[0], p["batch_size"], fixed_count(p)
    max_steps = p["max_iter"] * math.ceil(n / batch)
    tol = p["tol"] * _mean_variance(X, sampler)
    counts = counts.copy()
    state = Convergence(n, batch, p["max_no_improvement"])
    centers = centers.copy()
    step = 0
    while step < max_steps:
        xb = X[sampler.draw(batch)]
        batch_inertia, shift = mini_batch_step(xb, centers, counts, fixed=n_fixed)
        step += 1
        if p["tol"] > 0 and shift <= tol:
            break
        if state.no_improvement(batch_inertia):
            break
        if step % REASSIGN_EVERY == 0:
            reassign_starving(xb, centers, counts, rng, fixed=n_fixed)
    return centers, step


def _mean_variance(X, sampler) -> float:
    """Mean per-feature variance of the rows, or of a weighted sample of 65,536 when more."""
    rows = X if X.shape[0] <= _VARIANCE_SAMPLE else X[sampler.draw(_VARIANCE_SAMPLE)]
    return float(np.var(rows, axis=0, dtype=np.float64).mean())


def mini_batch_step(xb: np.ndarray, centers: np.ndarray, counts: np.ndarray,
                    weights: np.ndarray | None = None, fixed: int = 0) -> tuple[float, float]:
    """Move centres towards their batch members with learning rate 1/count.

    Updates ``centers`` and ``counts`` in place. A row of weight ``weights[i]``
    (default 1) counts as that many rows; a centre whose rows weigh 0 in all
    stays, and so do the first ``fixed`` centres (their counts grow all the same).
    Returns the (unweighted) mean squared distance of the batch to the centres before
    the move and the largest squared centre shift.
    """
    k = centers.shape[0]
    labels, dist = labels_sq_dist(xb, centers)
    n_j, sums = group_sums(xb, labels, k, weights)
    hit = n_j > 0
    hit[:fixed] = False
    new_counts = counts + n_j
    old = centers[hit].copy()
    centers[hit] = (old * counts[hit, None] + sums[hit]) / new_counts[hit, None]
    counts[:] = new_counts
    shift = float(((centers[hit] - old) ** 2).sum(axis=1).max()) if hit.any() else 0.0
    return float(dist.mean(dtype=np.float64)), shift


class Convergence:
    """Smoothed batch inertia and the no-improvement counter (one per run)."""

    def __init__(self, n: int, batch: int, patience: int | None):
        self.alpha = min(1.0, 2.0 * batch / (n + 1))
        self.patience = patience
        self.ewa = None
        self.best = math.inf
        self.since_best = 0

    def no_improvement(self, batch_inertia: float) -> bool:
        if self.ewa is None:
            self.ewa = batch_inertia
        else:
            self.ewa = self.ewa * (1.0 - self.alpha) + batch_inertia * self.alpha
        if self.ewa < self.best:
            self.best, self.since_best = self.ewa, 0
        else:
            self.since_best += 1
        return self.patience is not None and self.since_best >= self.patience


def reassign_starving(xb: np.ndarray, centers: np.ndarray, counts: np.ndarray,
                      rng: np.random.Generator, weights: np.ndarray | None = None,
                      fixed: int = 0) -> None:
    """Move centres that receive almost no points onto batch points far from their centre.

    A centre starves when its count is below 1% of the largest; at most half the
    centres move at once, each onto a row of the batch ``xb`` drawn with probability
    proportional to its squared distance to its nearest centre (times its weight,
    ``weights``, when given: a row of weight 0 is never drawn), and takes the smallest
    count of the others. Updates ``centers`` and ``counts`` in place; prior validation
    is assumed. :func:`_mini_batch_phase` calls it every :data:`REASSIGN_EVERY` steps,
    and ``MiniBatchKMeans.partial_fit`` likewise. The first ``fixed`` centres never move.
    """
    starving = counts < _REASSIGNMENT_RATIO * counts.max()
    starving[:fixed] = False
    n_move = int(starving.sum())
    if n_move == 0:
        return
    k = centers.shape[0]
    if n_move > k // 2:  # move only the worst half at once (k >= 2 here)
        starving = np.zeros(k, dtype=bool)
        starving[fixed + np.argsort(counts[fixed:])[: k // 2]] = True
        n_move = k // 2
    _, dist = labels_sq_dist(xb, centers)
    prob = dist.astype(np.float64)
    if weights is not None:
        prob *= weights
    if prob.sum() <= 0:
        return
    n_move = min(n_move, int((prob > 0).sum()))
    chosen = rng.choice(xb.shape[0], size=n_move, replace=False, p=prob / prob.sum())
    targets = np.flatnonzero(starving)[:n_move]
    centers[targets] = xb[chosen]
    counts[targets] = counts[~starving].min() if (~starving).any() else 1.0


# --------------------------------------------------------------------------
# Settling
# --------------------------------------------------------------------------


def _settle(X: np.ndarray, w: np.ndarray | None, centers: np.ndarray,
            sampler: WeightedSampler, max_passes: int, fixed: int = 0
            ) -> tuple[np.ndarray, int]:
    """Up to ``max_passes`` Lloyd passes, until few labels change or the centres stop moving.

    On all rows when there are at most twice ``_POLISH_SAMPLE`` (then the
    passes count towards ``n_iter_``), else on a weighted sample of that size.
    Mini-batch centres are averages over the whole history of a centre, so they
    lag behind; passes on a large sample settle them cheaply and leave the
    exact passes over all points little to do.
    """
    tol = _POLISH_TOL * _mean_variance(X, sampler)
    if X.shape[0] <= 2 * _POLISH_SAMPLE:
        centers, _, passes = lloyd(X, w, centers, max_passes,
                                   max_changed=_POLISH_CHANGED, tol=tol, fixed=fixed)
        return centers, passes
    sample = X[sampler.draw(_POLISH_SAMPLE)]  # drawn by weight, so weighs the same
    centers = lloyd(sample, None, centers, max_passes,
                    max_changed=_POLISH_CHANGED, tol=tol, fixed=fixed)[0]
    return centers, 0


# --------------------------------------------------------------------------
# Swaps: a centre moved from where it is needed least to where most
# --------------------------------------------------------------------------

# Each round of swap_search tries the pairs of the clusters cheapest to remove
# and those splitting would gain most from, this many of each (one more to split,
# in case a cluster is both), best estimated net gain first (3 was not tuned).
# The estimates only order the trials: all 48 pairs tried on china's colour
# summary (16 from each of three fits, k = 16 and 64) were estimated to cost,
# removing a cluster with the others held still costing more than the gain of a
# split, yet 32 of them lowered the inertia once Lloyd passes had settled them.
_SWAP_CANDIDATES = 3


def swap_search(X: np.ndarray, w: np.ndarray, centers: np.ndarray, trials: int,
                fixed: int = 0) -> np.ndarray:
    """Settled centres improved by up to ``trials`` tried swaps; prior validation is assumed.

    A swap takes one centre from the cluster whose removal costs least (its
    rows' weighted gap to their second-nearest centre, or merging it with the
    nearest cluster, whichever is less) and splits the cluster that gains most
    from a split in two along its principal axis; Lloyd passes then settle the
    centres, and the swap is kept if the weighted inertia fell. Lloyd passes
    stop in a local minimum where moves of single rows cannot help; a swap moves
    a whole centre across the data. Stops after ``trials`` trials or a round in
    which no tried pair lowered the inertia.

    ``X`` is ``(n, d)`` float32, ``w`` its ``(n,)`` float64 weights (> 0),
    ``centers`` ``(k, d)``, settled by Lloyd passes on them. Returns ``(k, d)``
    float64 centres; the inertia never rises. The first ``fixed`` centres are neither taken
    nor split, and the Lloyd passes leave them where they are.

    Lloyd passes leave one centre on each of 0 and 1, one between the pairs
    near 10 and 20; a swap gives each pair its centre:

    >>> X = np.array([[0.], [1.], [10.], [11.], [20.], [21.]], np.float32)
    >>> sorted(swap_search(X, np.ones(6), np.array([[0.], [1.], [15.5]]), 4).ravel().tolist())
    [0.5, 10.5, 20.5]
    """
    centers = np.asarray(centers, dtype=np.float64)
    labels, gap = second_nearest_gap(X, centers)
    inertia = _weighted_inertia(X, w, centers, labels)
    while trials > 0:
        removal = _removal_costs(w, centers, labels, gap)
        gains, halves = _split_gains(X, w, centers, labels)
        removal[:fixed], gains[:fixed] = np.inf, 0.0
        worst = np.argsort(removal, kind="stable")[:_SWAP_CANDIDATES]
        best = np.argsort(-gains, kind="stable")[:_SWAP_CANDIDATES + 1]
        pairs = sorted(((gains[i] - removal[j], i, j) for j in worst for i in best
                        if i != j and gains[i] > 0 and j >= fixed), key=lambda p: -p[0])
        improved = False
        for _, i, j in pairs[:trials]:
            trials -= 1
            trial = centers.copy()
            trial[j], trial[i] = halves[i]
            trial, trial_labels, _ = lloyd(X, w, trial, _POLISH_MAX_PASSES,
                                           max_changed=_POLISH_CHANGED, fixed=fixed)
            trial_inertia = _weighted_inertia(X, w, trial, trial_labels)
            if trial_inertia < inertia:
                centers, inertia, improved = trial, trial_inertia, True
                break
        if not improved or trials == 0:  # no round follows to use the gaps
            break
        labels, gap = second_nearest_gap(X, centers)
    return centers


def _removal_costs(w: np.ndarray, centers: np.ndarray, labels: np.ndarray,
                   gap: np.ndarray) -> np.ndarray:
    """What removing each centre would add to the inertia ``(k,)``, estimated from above.

    The least of: its rows moved to their second-nearest centres, the others
    held still; its cluster merged with the nearest other (Ward's cost).
    """
    k = centers.shape[0]
    moved = np.bincount(labels, weights=w * gap, minlength=k)
    totals = np.bincount(labels, weights=w, minlength=k)
    pair = totals[:, None] * totals[None, :]
    pair /= np.maximum(totals[:, None] + totals[None, :], np.finfo(np.float64).tiny)
    # Column by column: the sums NumPy's sum along an axis of fewer than 8 features
    # makes (in the same order), without its call for each pair of centres, which cost
    # 0.2 ms a round at k = 64.
    sq = (centers[:, None, 0] - centers[None, :, 0]) ** 2
    for j in range(1, centers.shape[1]):
        sq += (centers[:, None, j] - centers[None, :, j]) ** 2
    merged = pair * sq
    np.fill_diagonal(merged, np.inf)
    return np.minimum(moved, merged.min(axis=1))


def _split_gains(X: np.ndarray, w: np.ndarray, centers: np.ndarray,
                 labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """How much splitting each cluster in two lowers the inertia ``(k,)``, and the
    means ``(k, 2, d)`` of the two halves.

    Each cluster is cut through its centre across its principal axis (of its
    weighted scatter); the gain of two halves of totals ``W1, W2`` and means
    ``m1, m2`` is ``W1 W2 / (W1 + W2) |m1 - m2|^2``. An empty half gains 0.
    """
    k, d = centers.shape
    diff = X - centers[labels].astype(X.dtype)
    # np.linalg.eigh reads the lower triangle only: the products above it are not summed.
    row, col = np.tril_indices(d)
    _, lower = group_sums(diff[:, row] * diff[:, col], labels, k, w)
    scatter = np.zeros((k, d, d))
    scatter[:, row, col] = lower
    axes = np.linalg.eigh(scatter)[1][:, :, -1]
    side = np.einsum("ij,ij->i", diff, axes[labels].astype(X.dtype)) > 0
    totals, sums = group_sums(X, 2 * labels + side, 2 * k, w)
    totals, sums = totals.reshape(k, 2), sums.reshape(k, 2, d)
    halves = sums / np.maximum(totals, np.finfo(np.float64).tiny)[:, :, None]
    gains = (totals.prod(axis=1) / np.maximum(totals.sum(axis=1), np.finfo(np.float64).tiny)
             * ((halves[:, 0] - halves[:, 1]) ** 2).sum(axis=1))
    return gains, halves
