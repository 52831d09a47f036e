"""Mini-batch k-means written with NumPy.

The core of quantize, and the only module that knows about clustering. It works
on an ``(n, d)`` array of float features and knows nothing about images.

Every fixed cost is capped by the size of the data, so small inputs (such as
the few thousand colour cells of a web photo) pay for little more than their
own Lloyd passes. A fit runs these phases:

1. **Seeding** with greedy k-means++, on the data themselves when they hold at
   most 8,192 rows, else on a sample drawn in proportion to the weights. On
   data of 32,768 rows or more, up to eight seedings (one per 16,384 rows) are
   each settled by Lloyd passes on one weighted sample of 16,384 rows and the
   one with the lowest inertia there is kept: a single seeding too often ends
   in a poorer local minimum, and a better start saves passes over all rows.
2. **Mini-batch updates**, only on data with more than 32 batches of rows (on
   fewer, exact passes cost less than the steps needed to settle): batches
   drawn with probability proportional to the sample weights move each centre
   towards the mean of its points with a per-centre learning rate of
   1/count. Stops on a small centre shift, on no improvement of a smoothed
   batch inertia, or after ``max_iter`` passes.
3. **Settling**: Lloyd passes on all rows, or on a weighted sample of 65,536
   rows when there are more than twice as many, until at most 0.02% of the
   labels change or the centres move by less than ``1e-4`` of the data's
   variance. Mini-batch centres lag behind (each is an average over its whole
   history); passes on a sample settle them for a fraction of the cost of full
   passes.
4. **Refinement**: up to ``refine`` exact weighted Lloyd passes over all points,
   stopping early once no point switches cluster.

Lloyd passes skip the rows whose label cannot change (Hamerly's bounds, in
:func:`quantize._kernels.lloyd`). Distances are computed in float32 through
chunked matrix products (``||c||^2 - 2 x.c``), so no ``n x k`` matrix is ever
built for large ``n``; inertia is accumulated in float64. Weighted sampling
costs O(n) once per run and O(batch log n) per draw.
"""

from __future__ import annotations

import inspect
import math
from typing import Any, Literal

import numpy as np

from ._kernels import (
    chunk_rows,
    group_sums,
    labels_sq_dist,
    lloyd,
    nearest,
    sq_dist_to,
    sq_dist_to_labels,
)
from ._validation import (
    Seed,
    check_choice,
    check_data,
    check_float,
    check_int,
    check_sample_weight,
    check_seed,
)

__all__ = ["MiniBatchKMeans", "kmeans_plusplus"]

# Rows used for seeding when the data are larger: k-means++ is O(n k d).
_SEED_SAMPLE_MIN = 8192
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
# The best of up to this many seedings (one per this many rows, if two or
# more), each settled on one weighted sample of this size.
_SEED_CANDIDATES = 8
_CANDIDATE_SAMPLE = 16384
_CANDIDATE_MAX_PASSES = 30
# A centre is starving when its count falls below this share of the largest.
_REASSIGNMENT_RATIO = 0.01
# Rows used to estimate the data's variance.
_VARIANCE_SAMPLE = 65536


# --------------------------------------------------------------------------
# Public seeding
# --------------------------------------------------------------------------


def kmeans_plusplus(
    X: Any,
    n_clusters: int,
    *,
    sample_weight: Any = None,
    seed: Seed = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Choose initial centres with greedy k-means++.

    The first centre is drawn with probability proportional to the sample
    weights. Each following step draws ``2 + floor(ln k)`` candidates with
    probability proportional to ``weight * D(x)^2`` and keeps the one that
    lowers the weighted potential ``sum(weight * D(x)^2)`` most.

    Parameters
    ----------
    X : (n, d) array_like
        Finite numeric data.
    n_clusters : int
        Number of centres, ``1 <= n_clusters <=`` number of distinct rows.
    sample_weight : (n,) array_like, optional
        Non-negative weights; a point of weight 2 counts as two points.
    seed : int, numpy.random.Generator or None
        Source of randomness.

    Returns
    -------
    centers : (n_clusters, d) ndarray of float64
        The chosen centres, rows of ``X``.
    indices : (n_clusters,) ndarray of intp
        Their row indices in ``X``.

    Raises
    ------
    ValueError
        If ``n_clusters`` exceeds the number of distinct rows with positive
        weight, or the input is malformed.

    Examples
    --------
    >>> X = [[0, 0], [0, 1], [10, 10], [10, 11]]
    >>> centers, idx = kmeans_plusplus(X, 2, seed=0)
    >>> sorted(int(i) // 2 for i in idx)
    [0, 1]
    """
    data = check_data(X)
    k = check_int(n_clusters, "n_clusters", minimum=1)
    w = check_sample_weight(sample_weight, data.shape[0])
    rng = check_seed(seed)
    idx = _kmeans_plusplus(data, k, w, rng)
    if idx is None:
        _raise_too_few_distinct(data, w, k)
    return data[idx].astype(np.float64), idx


def _kmeans_plusplus(X: np.ndarray, k: int, w: np.ndarray,
                     rng: np.random.Generator) -> np.ndarray | None:
    """Greedy k-means++ on valid float32 ``X``; prior validation is assumed.

    Returns the chosen row indices, or None when the weighted points run out of
    distinct positions before ``k`` centres are chosen.
    """
    n_trials = 2 + int(math.log(k))
    x_sq = np.einsum("ij,ij->i", X, X)
    first = _draw_weighted(np.cumsum(w), 1, rng)
    indices = [int(first[0])]
    closest = sq_dist_to(X, x_sq, X[first])[:, 0]
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
    return np.asarray(indices, dtype=np.intp)


def _draw_weighted(cdf: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """``size`` indices drawn with probability proportional to the increments of ``cdf``."""
    u = rng.random(size) * cdf[-1]
    return np.minimum(np.searchsorted(cdf, u, side="right"), cdf.shape[0] - 1)


def _raise_too_few_distinct(X: np.ndarray, w: np.ndarray, k: int) -> None:
    """Raise the error for data that hold fewer than ``k`` distinct weighted rows.

    Called only once seeding has failed, so the costly ``np.unique`` over all
    rows is never paid on the normal path.
    """
    n_distinct = np.unique(X[w > 0], axis=0).shape[0]
    if n_distinct >= k:  # distinct, but too close for float32 distances to tell apart
        raise ValueError(
            f"n_clusters={k}: the {n_distinct} distinct points with positive weight are "
            "too close together (relative to their distance from the origin) to be "
            "separated in float32; expected fewer clusters or rescaled data"
        )
    raise ValueError(
        f"n_clusters={k} should be <= the number of distinct points with positive "
        f"weight ({n_distinct})"
    )


# --------------------------------------------------------------------------
# Weighted sampling: O(n) set-up once, O(batch log n) per draw
# --------------------------------------------------------------------------


class _WeightedSampler:
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


# --------------------------------------------------------------------------
# The estimator
# --------------------------------------------------------------------------


class MiniBatchKMeans:
    """Mini-batch k-means with k-means++ seeding, restarts and exact refinement.

    Follows scikit-learn's estimator conventions (``get_params``,
    ``set_params``, ``fit(X, y=None, sample_weight=None)`` returning ``self``,
    ``n_features_in_``, ``__sklearn_tags__``) without depending on it, so it
    works in a scikit-learn ``Pipeline`` or ``GridSearchCV``; the source of
    randomness is called ``seed`` (an int or a Generator), not
    ``random_state``. It passes scikit-learn's ``check_estimator`` except for
    two checks that conflict with deliberate choices (see Notes).

    Parameters
    ----------
    n_clusters : int, default 8
        Number of clusters.
    init : {"k-means++", "random"} or (n_clusters, d) array_like, default "k-means++"
        Seeding method, or explicit initial centres (then ``n_init`` must be 1).
    n_init : int, default 1
        Number of runs from different seeds; the run with the lowest inertia
        over all points is kept.
    batch_size : int, default 2048
        Points per mini-batch. Data with at most ``32 * batch_size`` rows skip
        the mini-batch phase: exact Lloyd passes settle them for less.
    max_iter : int, default 100
        Upper bound on mini-batch passes over the data (a pass is
        ``ceil(n / batch_size)`` steps).
    tol : float, default 0.0
        Stop the mini-batch phase when the largest squared centre shift of a
        step falls below ``tol`` times the mean per-feature variance of the
        data. 0 disables this rule (as in scikit-learn): with learning rates of
        1/count the shift of one step shrinks long before the centres settle.
    max_no_improvement : int or None, default 10
        Stop the mini-batch phase after this many steps without improvement
        of the smoothed batch inertia. None disables this rule.
    refine : int, default 5
        Upper bound on full weighted Lloyd passes over all points after the
        mini-batch phase and the settling passes; they stop early when no
        label changes. 0 skips refinement.
    seed : int, numpy.random.Generator or None
        Source of randomness; a fixed int gives identical results.

    Attributes
    ----------
    cluster_centers_ : (n_clusters, d) ndarray of float64
    labels_ : (n,) ndarray of intp
    inertia_ : float
        Weighted sum of squared distances of points to their centre.
    n_features_in_ : int
        Number of features ``d`` seen by ``fit``.
    n_iter_ : int
        Mini-batch passes over the data (rounded up) plus the Lloyd passes over
        all rows (settling on all rows, and refinement).
    n_steps_ : int
        Mini-batch steps taken in the kept run (0 when the data were small
        enough to skip the mini-batch phase).

    Notes
    -----
    The two scikit-learn estimator checks this estimator fails, on purpose:

    - ``check_estimators_unfitted`` wants scikit-learn's own
      ``NotFittedError`` class from ``predict`` before ``fit``. quantize does
      not import scikit-learn, so it raises a ``ValueError`` (the base class
      of scikit-learn's) saying that the model is not fitted yet.
    - ``check_sample_weight_equivalence_on_dense_data`` compares a fit with
      integer weights to a fit on shuffled repeated rows. Every deterministic
      step treats a weight as that many repeats (tested with explicit initial
      centres), but seeding and mini-batches are drawn in proportion to the
      weights, so the two fits follow different random paths and may end in
      different local minima. scikit-learn's own ``KMeans`` and
      ``MiniBatchKMeans`` fail this check for the same reason.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0., 0.], [0., 1.], [10., 10.], [10., 11.]])
    >>> km = MiniBatchKMeans(2, seed=0).fit(X)
    >>> km.cluster_centers_[np.argsort(km.cluster_centers_[:, 0])].tolist()
    [[0.0, 0.5], [10.0, 10.5]]
    >>> float(km.inertia_)
    1.0
    """

    def __init__(
        self,
        n_clusters: int = 8,
        *,
        init: Literal["k-means++", "random"] | Any = "k-means++",
        n_init: int = 1,
        batch_size: int = 2048,
        max_iter: int = 100,
        tol: float = 0.0,
        max_no_improvement: int | None = 10,
        refine: int = 5,
        seed: Seed = None,
    ):
        self.n_clusters = n_clusters
        self.init = init
        self.n_init = n_init
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.tol = tol
        self.max_no_improvement = max_no_improvement
        self.refine = refine
        self.seed = seed

    # -- scikit-learn style parameter access ---------------------------------

    @classmethod
    def _param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return [p for p in sig.parameters if p != "self"]

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """Constructor parameters as a dict (``deep`` is accepted for scikit-learn)."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params: Any) -> MiniBatchKMeans:
        """Set constructor parameters; unknown names raise ``ValueError``."""
        valid = self._param_names()
        for name, value in params.items():
            if name not in valid:
                raise ValueError(
                    f"invalid parameter {name!r} for MiniBatchKMeans; "
                    f"valid parameters are {', '.join(valid)}"
                )
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        defaults = {p.name: p.default for p in
                    inspect.signature(type(self).__init__).parameters.values()}
        changed = [f"{k}={v!r}" for k, v in self.get_params().items()
                   if not (isinstance(v, str | int | float | type(None))
                           and v == defaults.get(k))]
        return f"MiniBatchKMeans({', '.join(changed)})"

    def __sklearn_tags__(self) -> Any:
        """Describe the estimator to scikit-learn (which alone calls this).

        scikit-learn is imported here only because it is the caller: the
        estimator itself never needs it.
        """
        from sklearn.utils import InputTags, Tags, TargetTags, TransformerTags

        return Tags(estimator_type="clusterer", target_tags=TargetTags(required=False),
                    transformer_tags=TransformerTags(), input_tags=InputTags())

    # -- validation ----------------------------------------------------------

    def _validated_params(self, d: int) -> dict[str, Any]:
        p = {
            "k": check_int(self.n_clusters, "n_clusters", minimum=1),
            "n_init": check_int(self.n_init, "n_init", minimum=1),
            "batch_size": check_int(self.batch_size, "batch_size", minimum=1),
            "max_iter": check_int(self.max_iter, "max_iter", minimum=1),
            "tol": check_float(self.tol, "tol", minimum=0.0),
            "refine": check_int(self.refine, "refine", minimum=0),
            "max_no_improvement": (None if self.max_no_improvement is None else
                                   check_int(self.max_no_improvement,
                                             "max_no_improvement", minimum=1)),
        }
        if isinstance(self.init, str):
            p["init"] = check_choice(self.init, "init", ["k-means++", "random"])
        else:
            init = check_data(self.init, "init").astype(np.float64)
            if init.shape != (p["k"], d):
                raise ValueError(
                    f"init should have shape (n_clusters, n_features) = ({p['k']}, {d}), "
                    f"got {init.shape}"
                )
            if p["n_init"] != 1:
                raise ValueError(
                    f"n_init={p['n_init']} should be 1 when init is an array of centres"
                )
            p["init"] = init
        return p

    def _check_fitted(self) -> None:
        if not hasattr(self, "cluster_centers_"):
            raise ValueError("this MiniBatchKMeans is not fitted yet; call fit(X) first")

    def _check_features(self, X: Any) -> np.ndarray:
        # Prediction only reads X, so float32 C-contiguous input is not copied.
        data = check_data(X, copy=False)
        if data.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {data.shape[1]} features, but MiniBatchKMeans is "
                             f"expecting {self.n_features_in_} features as input")
        return data

    # -- fitting -------------------------------------------------------------

    def fit(self, X: Any, y: Any = None, sample_weight: Any = None) -> MiniBatchKMeans:
        """Cluster ``X`` (n, d), optionally weighting each row.

        Parameters
        ----------
        X : (n, d) array_like
            Finite numeric data.
        y : ignored
            Accepted for scikit-learn's API (``Pipeline``, ``GridSearchCV``).
        sample_weight : (n,) array_like, optional
            Non-negative weights; a point of weight 2 counts as two points.

        Returns
        -------
        self : MiniBatchKMeans

        Raises
        ------
        ValueError
            If ``n_clusters`` exceeds the number of distinct rows with positive
            weight, or ``X``/``sample_weight``/a parameter is malformed.
        TypeError
            If a parameter or the data has the wrong type.
        """
        data = check_data(X)
        w = check_sample_weight(sample_weight, data.shape[0])
        p = self._validated_params(data.shape[1])
        rng = check_seed(self.seed)
        best = None
        # One run uses the Generator itself, so n_init restarts equal single runs
        # seeded with the children ``seed.spawn(n_init)``.
        for run_rng in [rng] if p["n_init"] == 1 else rng.spawn(p["n_init"]):
            run = _fit_once(data, w, p, run_rng)
            if best is None or run.inertia < best.inertia:
                best = run
        self.cluster_centers_ = best.centers
        self.labels_ = best.labels
        self.inertia_ = best.inertia
        self.n_steps_ = best.n_steps
        self.n_iter_ = best.n_iter
        self.n_features_in_ = data.shape[1]
        return self

    def fit_predict(self, X: Any, y: Any = None, sample_weight: Any = None) -> np.ndarray:
        """Fit and return the labels ``(n,)`` of ``X`` (``y`` is ignored)."""
        return self.fit(X, sample_weight=sample_weight).labels_

    def fit_transform(self, X: Any, y: Any = None, sample_weight: Any = None) -> np.ndarray:
        """Fit and return the distances ``(n, n_clusters)`` of ``X`` (``y`` is ignored)."""
        return self.fit(X, sample_weight=sample_weight).transform(X)

    def predict(self, X: Any) -> np.ndarray:
        """Index ``(n,)`` of the nearest centre for each row of ``X``."""
        self._check_fitted()
        return nearest(self._check_features(X), self.cluster_centers_)

    def transform(self, X: Any) -> np.ndarray:
        """Euclidean distances ``(n, n_clusters)`` from each row to each centre."""
        self._check_fitted()
        data = self._check_features(X)
        out = np.empty((data.shape[0], self.cluster_centers_.shape[0]), dtype=np.float64)
        rows = chunk_rows(*self.cluster_centers_.shape)
        c = self.cluster_centers_
        for start in range(0, data.shape[0], rows):
            xc = data[start:start + rows].astype(np.float64)
            sq = ((xc[:, None, :] - c[None, :, :]) ** 2).sum(axis=2)
            out[start:start + rows] = np.sqrt(sq)
        return out

    def score(self, X: Any, y: Any = None, sample_weight: Any = None) -> float:
        """Opposite of the weighted inertia of ``X`` under the fitted centres."""
        self._check_fitted()
        data = self._check_features(X)
        w = check_sample_weight(sample_weight, data.shape[0])
        _, dist = labels_sq_dist(data, self.cluster_centers_)
        return -float(w @ dist.astype(np.float64))


# --------------------------------------------------------------------------
# One run: seed, mini-batch phase, settling, refinement
# --------------------------------------------------------------------------


class _Run:
    __slots__ = ("centers", "labels", "inertia", "n_steps", "n_iter")

    def __init__(self, centers, labels, inertia, n_steps, n_iter):
        self.centers, self.labels, self.inertia = centers, labels, inertia
        self.n_steps, self.n_iter = n_steps, n_iter


def _fit_once(X: np.ndarray, w: np.ndarray, p: dict[str, Any],
              rng: np.random.Generator) -> _Run:
    """One full run on valid data; prior validation is assumed."""
    sampler = _WeightedSampler(w, rng)
    mini_batch = X.shape[0] > _MINI_BATCH_MIN_BATCHES * p["batch_size"]
    centers, counts = _initial_centers(X, w, p, sampler, rng)
    n_iter = n_steps = 0
    if mini_batch:
        centers, n_steps = _mini_batch_phase(X, centers, counts, p, sampler, rng)
        n_iter = math.ceil(n_steps / math.ceil(X.shape[0] / p["batch_size"]))
    # Equal weights need no multiplications: the means are the same.
    lloyd_w = None if sampler.uniform else w
    centers, n_settle = _settle(X, lloyd_w, centers, sampler)
    centers, labels, n_refine = lloyd(X, lloyd_w, centers, p["refine"])
    dist = sq_dist_to_labels(X, centers, labels)
    inertia = float(w @ dist.astype(np.float64))
    return _Run(centers, labels, inertia, n_steps, n_iter + n_settle + n_refine)


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
    n_seed = max(_SEED_SAMPLE_MIN, 3 * p["batch_size"], 10 * k)
    n_candidates = min(_SEED_CANDIDATES, X.shape[0] // _CANDIDATE_SAMPLE)
    if n_candidates > 1:
        sample = X[sampler.draw(_CANDIDATE_SAMPLE)]
        best = _best_candidate(sample, min(n_seed, _CANDIDATE_SAMPLE), n_candidates, p, rng)
        if best is not None:
            return best
    if X.shape[0] <= n_seed:
        sample, sw = X[w > 0], w[w > 0]
    else:
        # Drawn in proportion to weight, so the sample's own weights are uniform.
        sample = X[sampler.draw(n_seed)]
        sw = np.ones(n_seed)
    idx = _seed_indices(sample, sw, k, p["init"], rng)
    if idx is None:  # the sample holds fewer than k distinct rows; do the data?
        sample, inverse = np.unique(X[w > 0], axis=0, return_inverse=True)
        sw = np.bincount(inverse.ravel(), weights=w[w > 0])
        idx = _seed_indices(sample, sw, k, p["init"], rng)
        if idx is None:
            _raise_too_few_distinct(X, w, k)
    return sample[idx].astype(np.float64), np.zeros(k)


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
        return _kmeans_plusplus(sample, k, sw, rng)
    distinct, first = np.unique(sample, axis=0, return_index=True)
    if distinct.shape[0] < k:
        return None
    return rng.choice(first, size=k, replace=False)


def _mini_batch_phase(X, centers, counts, p, sampler, rng) -> tuple[np.ndarray, int]:
    """Run mini-batch steps until a stopping rule fires; return centres and step count."""
    n, batch = X.shape[0], p["batch_size"]
    max_steps = p["max_iter"] * math.ceil(n / batch)
    tol = p["tol"] * _mean_variance(X, sampler)
    counts = counts.copy()
    state = _Convergence(n, batch, p["max_no_improvement"])
    centers = centers.copy()
    step = 0
    while step < max_steps:
        xb = X[sampler.draw(batch)]
        batch_inertia, shift = _mini_batch_step(xb, centers, counts)
        step += 1
        if p["tol"] > 0 and shift <= tol:
            break
        if state.no_improvement(batch_inertia):
            break
        if step % 10 == 0:
            _reassign_starving(xb, centers, counts, rng)
    return centers, step


def _mean_variance(X, sampler) -> float:
    """Mean per-feature variance of the rows, or of a weighted sample of 65,536 when more."""
    rows = X if X.shape[0] <= _VARIANCE_SAMPLE else X[sampler.draw(_VARIANCE_SAMPLE)]
    return float(np.var(rows, axis=0, dtype=np.float64).mean())


def _mini_batch_step(xb: np.ndarray, centers: np.ndarray,
                     counts: np.ndarray) -> tuple[float, float]:
    """Move centres towards their batch members with learning rate 1/count.

    Updates ``centers`` and ``counts`` in place. Returns the mean squared
    distance of the batch to the centres before the move and the largest
    squared centre shift.
    """
    k = centers.shape[0]
    labels, dist = labels_sq_dist(xb, centers)
    n_j, sums = group_sums(xb, labels, k)
    hit = n_j > 0
    new_counts = counts + n_j
    old = centers[hit].copy()
    centers[hit] = (old * counts[hit, None] + sums[hit]) / new_counts[hit, None]
    counts[:] = new_counts
    shift = float(((centers[hit] - old) ** 2).sum(axis=1).max()) if hit.any() else 0.0
    return float(dist.mean(dtype=np.float64)), shift


class _Convergence:
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


def _reassign_starving(xb, centers, counts, rng) -> None:
    """Move centres that receive almost no points onto batch points far from their centre."""
    starving = counts < _REASSIGNMENT_RATIO * counts.max()
    n_move = int(starving.sum())
    if n_move == 0:
        return
    k = centers.shape[0]
    if n_move > k // 2:  # move only the worst half at once (k >= 2 here)
        starving = np.zeros(k, dtype=bool)
        starving[np.argsort(counts)[: k // 2]] = True
        n_move = k // 2
    _, dist = labels_sq_dist(xb, centers)
    prob = dist.astype(np.float64)
    if prob.sum() <= 0:
        return
    n_move = min(n_move, int((prob > 0).sum()))
    chosen = rng.choice(xb.shape[0], size=n_move, replace=False, p=prob / prob.sum())
    targets = np.flatnonzero(starving)[:n_move]
    centers[targets] = xb[chosen]
    counts[targets] = counts[~starving].min() if (~starving).any() else 1.0


def _settle(X: np.ndarray, w: np.ndarray | None, centers: np.ndarray,
            sampler: _WeightedSampler) -> tuple[np.ndarray, int]:
    """Lloyd passes until few labels change or the centres stop moving.

    On all rows when there are at most twice ``_POLISH_SAMPLE`` (then the
    passes count towards ``n_iter_``), else on a weighted sample of that size.
    Mini-batch centres are averages over the whole history of a centre, so they
    lag behind; passes on a large sample settle them cheaply and leave the
    exact passes over all points little to do.
    """
    tol = _POLISH_TOL * _mean_variance(X, sampler)
    if X.shape[0] <= 2 * _POLISH_SAMPLE:
        centers, _, passes = lloyd(X, w, centers, _POLISH_MAX_PASSES,
                                   max_changed=_POLISH_CHANGED, tol=tol)
        return centers, passes
    sample = X[sampler.draw(_POLISH_SAMPLE)]  # drawn by weight, so weighs the same
    centers = lloyd(sample, None, centers, _POLISH_MAX_PASSES,
                    max_changed=_POLISH_CHANGED, tol=tol)[0]
    return centers, 0
