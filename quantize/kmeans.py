"""Mini-batch k-means written with NumPy: the public API.

The core of quantize, and the only layer that knows about clustering. It works
on an ``(n, d)`` array of float features and knows nothing about images.

:func:`kmeans_plusplus` and :class:`MiniBatchKMeans` validate their input
once (the data become float64 when float32 cannot hold their dtype, as for
float64, else float32; the weights float64, the seed one Generator)
and hand it to :mod:`quantize.kmeans_run`, which holds the phases of one fit:
seeding, mini-batches, settling and refinement. The numerical building blocks
(nearest centre, group sums, Lloyd passes) live in :mod:`quantize._kernels`.

Lloyd passes skip the rows whose label cannot change (Hamerly's bounds, in
:func:`quantize._kernels.lloyd`). Distances are computed in the data's dtype
(float32, or float64) through chunked matrix products (``||c||^2 - 2 x.c``), so
no ``n x k`` matrix is ever built for large ``n``; inertia is summed from exact
differences ``x - c`` in that dtype and added in float64. The products lose
about one epsilon of the dtype of the squared distance from the origin, so the
data are centred first (:func:`_centre`: float64 data on their column means, as
scikit-learn's ``KMeans`` centres them; float32 columns far from 0 on theirs,
exactly), and so are the rows ``predict`` and ``score`` compare. Data so large
that squared norms would overflow float32 (beyond about 1e19) are then scaled
down by a power of two (:func:`_shrink`), which is exact and changes no label;
data so small that squared distances would underflow it (below about 1e-12) are
scaled up likewise, and float64 data below float32's range are scaled up first
(:func:`_growth`).
"""

from __future__ import annotations

import functools
import importlib
import inspect
import math
import numbers
import sys
import threading
from collections.abc import Iterator
from typing import Any, Literal

import numpy as np

from . import _threads
from ._kernels import chunk_rows, labels_sq_dist, nearest
from ._validation import (
    Seed,
    check_choice,
    check_data,
    check_float,
    check_int,
    check_sample_weight,
    check_seed,
    foreign_keyword_note,
    foreign_keywords,
)
from .errors import ExitCode, FailureKind, QuantizeError, QuantizeWarning, warn_caller
from .kmeans_run import (
    REASSIGN_EVERY,
    Run,
    TooFewDistinctError,
    WeightedSampler,
    fit_once,
    fit_together,
    mini_batch_step,
    one_seeding,
    plusplus_indices,
    raise_too_few_distinct,
    reassign_starving,
    runs_fit_together,
)

__all__ = ["MAX_INIT", "DistinctClustersWarning", "FeatureNamesWarning", "MiniBatchKMeans",
           "NotFittedError", "kmeans_plusplus"]


class FeatureNamesWarning(QuantizeWarning):
    """``X`` has column names and the fit had none, or the other way round (a UserWarning,
    as scikit-learn's estimators give it)."""


class DistinctClustersWarning(QuantizeWarning):
    """``fit`` found fewer distinct points of positive weight than ``n_clusters``; the
    centres beyond them repeat the first (as scikit-learn's ``KMeans`` warns with a
    ``ConvergenceWarning`` and returns centres that repeat some)."""


class NotFittedError(QuantizeError, ValueError, AttributeError):
    """``predict``, ``transform`` or ``score`` called before ``fit``.

    A ValueError and an AttributeError, as scikit-learn's class of the same name
    is, and a :class:`~quantize.errors.QuantizeError` (exit 2, as a bad parameter).
    quantize does not import scikit-learn; when a program has loaded it, the
    error raised is an instance of scikit-learn's class too, so its handlers and
    its estimator checks catch it.
    """

    exit_code = ExitCode.USAGE
    kind: FailureKind = "bad_parameter"


@functools.cache
def _not_fitted_class(sklearn_class: type) -> type[NotFittedError]:
    # Pickled (to a Dask worker's client, say) as quantize's class alone.
    return type("NotFittedError", (NotFittedError, sklearn_class),
                {"__module__": __name__, "__reduce__": lambda self: (NotFittedError, self.args)})


def _not_fitted(message: str) -> NotFittedError:
    loaded = sys.modules.get("sklearn.exceptions")
    sklearn_class = getattr(loaded, "NotFittedError", None)
    if isinstance(sklearn_class, type) and issubclass(sklearn_class, Exception):
        return _not_fitted_class(sklearn_class)(message)
    return NotFittedError(message)


#: The methods whose ``sample_weight`` scikit-learn's metadata routing may pass on, as
#: it does to scikit-learn's MiniBatchKMeans.
_ROUTED_METHODS = ("fit", "partial_fit", "score")
# The default of set_*_request: the request is left as it is.
_UNCHANGED: Any = type("Unchanged", (), {"__repr__": lambda self: "UNCHANGED"})()


def _metadata_request(estimator: MiniBatchKMeans) -> Any:
    """A copy of ``estimator``'s requests (scikit-learn's ``MetadataRequest``): those set by
    its ``set_*_request`` methods, or ``sample_weight`` unrequested (None) by each method
    of ``_ROUTED_METHODS``."""
    from sklearn.utils.metadata_routing import MetadataRequest, get_routing_for_object

    held = vars(estimator).get("_metadata_request")
    if held is not None:
        return get_routing_for_object(held)  # a copy
    request = MetadataRequest(owner=estimator)
    for method in _ROUTED_METHODS:
        getattr(request, method).add_request(param="sample_weight", alias=None)
    return request


def _set_request(estimator: MiniBatchKMeans, method: str, alias: Any) -> MiniBatchKMeans:
    """``estimator``, its ``method`` requesting ``sample_weight`` as ``alias`` (kept in
    ``_metadata_request``, which ``sklearn.base.clone`` copies); refused, as scikit-learn
    refuses it, while metadata routing is off."""
    import sklearn
    from sklearn.utils.metadata_routing import UNCHANGED

    if not sklearn.get_config().get("enable_metadata_routing", False):
        raise RuntimeError(f"set_{method}_request is only available when metadata routing is "
                           "enabled: sklearn.set_config(enable_metadata_routing=True)")
    request = _metadata_request(estimator)
    if alias is not _UNCHANGED and not (isinstance(alias, str) and alias == UNCHANGED):
        getattr(request, method).add_request(param="sample_weight", alias=alias)
    estimator._metadata_request = request
    return estimator


# --------------------------------------------------------------------------
# Public seeding
# --------------------------------------------------------------------------


@foreign_keywords
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
        Finite numeric data. Float64, and integers float32 cannot hold
        exactly, are clustered in float64 (as scikit-learn keeps float64);
        float32, smaller integers and bools in float32. The nearest centres
        come from expansions ``||c||^2 - 2 x.c`` of the data centred on the
        column means, which lose about one epsilon of the dtype (1e-16 in
        float64, 1e-7 in float32) of the squared distance from that mean:
        clusters closer together than about 1e-8 (float64) or 3e-4 (float32)
        of their distance from the mean are not reliably told apart (float32
        columns within 4 standard deviations of 0 are not centred: there,
        of their distance from 0). Values of 3.4e38 or more are refused; data
        too small for float32's range are scaled up by a power of two first,
        which is exact. Bools are 0 and 1; a NumPy masked array is refused,
        as its mask would be ignored.
    n_clusters : int
        Number of centres, ``1 <= n_clusters <=`` number of distinct rows.
    sample_weight : (n,) array_like or float, optional
        Non-negative weights; a point of weight 2 counts as two points. A
        single number weighs every point alike; bools are weights 0 and 1.
    seed : int, numpy.random.Generator or None
        Source of randomness: an int >= 0 gives the same centres every time;
        a Generator is used as is, so a second call continues its stream;
        None draws fresh entropy.

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
        weight (the centres are rows of ``X`` for a fit to start from, and
        repeated rows would be repeated centres; ``MiniBatchKMeans.fit`` takes
        repeated rows, with a warning), or the input is malformed.

    Examples
    --------
    >>> from quantize import kmeans_plusplus
    >>> X = [[0, 0], [0, 1], [10, 10], [10, 11]]
    >>> centers, idx = kmeans_plusplus(X, 2, seed=0)
    >>> sorted(int(i) // 2 for i in idx)
    [0, 1]
    """
    data = _centred_data(X)[0]
    k = check_int(n_clusters, "n_clusters", minimum=1)
    w = check_sample_weight(sample_weight, data.shape[0])
    rng = check_seed(seed)
    idx = plusplus_indices(data, k, w, rng)
    if idx is None:
        raise_too_few_distinct(data, w, k)
    # The rows of X itself: data are shifted (and float32 data rounded).
    return np.asarray(X)[idx].astype(np.float64), idx


def _centre(data: np.ndarray) -> np.ndarray:
    """The shift ``(d,)``, in ``data``'s dtype, that brings the columns of ``data`` far from
    0 near it (``data`` is left as it is).

    A float32 column is far when its mean is more than 4 standard deviations
    from 0 (both estimated on at most 4,096 evenly spaced rows); nearer, the
    products lose no more than a few bits, so data such as colours are left as
    they are. A far column is shifted by its mean rounded to 12 significant
    bits, so the subtraction is exact for data on a grid (integers stay
    integers), unless the subtraction would round some value (values near 0
    next to a far mean, which could then coincide): that column is not shifted
    either. The shift is 0 for the columns to be left as they are.

    A float64 column is far when its mean is more than a quarter of a standard
    deviation from 0 (nearer, centring gains little), and is shifted by its mean
    as float64 holds it, as scikit-learn's ``KMeans`` centres its data
    (:func:`_wide_centre`): the subtraction rounds each value by at most about
    1e-16 of the mean, far less than the expansion loses on data left far from
    0 (about 1e-16 of the squared distance from the origin: groups 0.1 apart
    beside others 1e7 away were mixed); a mean rounded to fewer bits would
    leave part of a large offset in the data (2**-13 of 1e13, about 1e9, at 12
    bits).
    """
    sample = data[:: max(1, data.shape[0] // _CENTRE_SAMPLE)]
    mean = sample.mean(axis=0, dtype=np.float64)
    var = sample.var(axis=0, dtype=np.float64)
    if data.dtype == np.float64:
        return _wide_centre(data, np.where(16.0 * mean * mean > var, mean, 0.0))
    far = mean * mean > 16.0 * var
    fraction, exponent = np.frexp(np.where(far, mean, 0.0))
    shift = np.ldexp(np.round(fraction * 4096.0), exponent - 12).astype(np.float32)
    if shift.any():
        exact = np.ones(data.shape[1], dtype=bool)
        for start in range(0, data.shape[0], _CENTRED_ROWS):
            block = data[start:start + _CENTRED_ROWS]
            exact &= ((block - shift) + shift == block).all(axis=0)
        shift[~exact] = 0.0
    return shift


def _wide_centre(data: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """:func:`_centre`'s shift ``(d,)`` of float64 ``data``: each column's ``mean`` (0 for
    the columns to be left as they are), unless that would make two distinct values of the
    column coincide (values near 0 beside a mean 1e16 times larger: 0 and 3e-29 beside
    0.5), and then 0.

    Only where a subtraction rounds can two values coincide, and none rounds in data far
    from 0 (values within a factor of 2 of the mean subtract exactly): the column is
    sorted to compare neighbours only when some value rounds (a sort of its ``n`` values,
    about 0.1 s a million).
    """
    shift = mean.copy()
    for j in np.flatnonzero(shift):
        col = data[:, j]
        if np.array_equal((col - shift[j]) + shift[j], col):
            continue
        values = np.sort(col)
        moved = values - shift[j]  # in the same order: the subtraction never reverses two
        if ((moved[1:] == moved[:-1]) & (values[1:] != values[:-1])).any():
            shift[j] = 0.0
    return shift


def _centred_data(X: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, float]:
    """``X`` as ``(n, d)`` data centred by :func:`_centre`; the shifts ``(d,)``.

    Returns ``(data, wide_shift, shift, grow, scale)``. Data float32 holds
    exactly (float32 itself, small integers, bools) become float32; wider data
    (float64, large integers) a float64 copy, clustered in float64 from then on.
    ``data`` is a copy, or ``X`` itself when ``X`` is float32 that needs no
    shift and no scale (it is only read from then on, so a fit holds no second
    ``(n, d)`` array). Wider data too small for float32 are first multiplied by
    ``2**grow`` (:func:`_growth`; ``grow`` is 0 for all other data), and the
    shifts are in those units. ``shift`` is :func:`_centre`'s (float64);
    ``wide_shift`` is 0, kept for models fitted before float64 data stayed
    float64, which shifted such data before rounding them to float32
    (:meth:`MiniBatchKMeans._centred` still reads theirs). The data are then
    scaled by ``scale``, a power of two (:func:`_shrink`).
    """
    data = check_data(X, copy=False)  # X itself when float32: copied before any change
    wide = _wide(X)
    grow = 0
    if wide is not None:  # clustered in float64, as scikit-learn keeps float64
        grow = _growth(wide, data)
        data = wide.astype(np.float64)  # a copy
        if grow:
            np.ldexp(data, grow, out=data)
    # Converted from a wider dtype, or from another ndarray: a new array.
    owned = wide is not None or (isinstance(X, np.ndarray) and not np.may_share_memory(data, X))
    shift = _centre(data)
    if shift.any():
        data = np.subtract(data, shift, out=data if owned else None)
        owned = True
    data, scale = _shrink(data, owned)
    return data, np.zeros(data.shape[1]), shift.astype(np.float64), grow, scale


def _wide(X: Any) -> np.ndarray | None:
    """``X`` (already validated) as an array, when float32 cannot hold its dtype; else None."""
    arr = np.asarray(X)
    if arr.dtype == object:
        arr = arr.astype(np.float64)
    if not arr.dtype.isnative:
        arr = arr.astype(arr.dtype.newbyteorder("="))
    return None if np.can_cast(arr.dtype, np.float32) else arr


def _growth(wide: np.ndarray, data: np.ndarray) -> int:
    """The exponent ``e`` that brings float64 ``wide`` too small for float32 near 1; else 0.

    ``data`` is ``wide`` rounded to float32. Its rows are too small when their
    norms are below ``_SMALL_NORM`` (as :func:`_safe_scale` has it): rounded
    as they are, values below float32's smallest normal number (about 1e-38)
    keep only a few bits or become 0, and four distinct rows near 1e-300 were
    refused as one. ``wide * 2**e`` is exact in float64 and has row norms
    between 1/2 and 1, so the float32 rounding then costs what it costs near 1.
    Data whose values are all float32 normal get the labels they got when
    :func:`_shrink` scaled them after the rounding.
    """
    root_d = math.sqrt(data.shape[1])
    if _peak(data) * root_d >= _SMALL_NORM:  # the float32 copy tells most data apart
        return 0
    return _near_one(_peak(wide.astype(np.float64, copy=False)), data.shape[1], 0)


def _near_one(peak: float, d: int, none: int) -> int:
    """The exponent ``e`` that brings rows of ``d`` values, the largest in magnitude
    ``peak``, to norms between 1/2 and 1 at most (:func:`_growth`); ``none`` when ``peak``
    is 0, which no power of two moves."""
    norm = peak * math.sqrt(d)
    return math.floor(-math.log2(norm)) if norm > 0.0 else none


def _shrink(data: np.ndarray, owned: bool) -> tuple[np.ndarray, float]:
    """Float32 ``data`` scaled by :func:`_safe_scale` (in place when ``owned``, else in a
    copy), and the scale (1.0 as a rule: then ``data`` itself)."""
    scale = _safe_scale(_peak(data), data.shape[1])
    if scale != 1.0:
        data = np.multiply(data, np.float32(scale), out=data if owned else None)
    return data, scale


def _peak(a: np.ndarray) -> float:
    """Largest ``|value|`` of ``a`` (two reductions, no ``|a|`` copy)."""
    return max(-float(a.min()), float(a.max()))


def _safe_scale(peak: float, d: int) -> float:
    """A power of two ``s`` so that rows of ``d`` values up to ``peak`` times ``s`` have
    norms of at most ``_SAFE_NORM`` (their float32 squared distances then stay finite)
    and, when not all 0, of at least ``_SMALL_NORM`` (their squared distances do not
    underflow float32: data near 1e-25 were refused as too close together).

    1.0 for all but huge or tiny data. Multiplying by a power of two is exact, so
    distances scale by ``s**2`` and labels stay.
    """
    norm = peak * math.sqrt(d)
    if norm > _SAFE_NORM:
        return 2.0 ** -math.ceil(math.log2(norm / _SAFE_NORM))
    if 0.0 < norm < _SMALL_NORM:  # up to norms near 1, by at most 2**100 (float32 holds it)
        return 2.0 ** min(_MAX_GROWTH, math.floor(math.log2(1.0 / norm)))
    return 1.0


def _distinct_run(data: np.ndarray, w: np.ndarray, k: int, n_distinct: int) -> Run:
    """The fit of ``data`` whose rows of positive weight (``k`` or more) hold only
    ``n_distinct`` < ``k`` distinct points, with :class:`DistinctClustersWarning`: each of
    them a centre (in :func:`numpy.unique`'s order), the ``k - n_distinct`` others repeating
    the first, so every row's label, the lower index of tied centres, is one of the
    distinct ones; inertia 0. Prior validation is assumed."""
    extra = "centre beyond them repeats" if k - n_distinct == 1 else "centres beyond them repeat"
    warn_caller(f"n_clusters={k} but X holds only {n_distinct} distinct points with "
                f"positive weight: the {k - n_distinct} {extra} the first, and no point "
                "is labelled with them", DistinctClustersWarning, stacklevel=3)
    points = np.unique(data[w > 0], axis=0)
    rows = np.arange(k)
    centers = points[np.where(rows < points.shape[0], rows, 0)].astype(np.float64)
    return Run(centers, nearest(data, centers), 0.0, 0, 0, converged=True)


def _best_run(data: np.ndarray, w: np.ndarray, p: dict[str, Any],
              rngs: list[np.random.Generator]) -> Run:
    """The run of :func:`fit_once` with the lowest inertia (the first of equal ones), one
    run for each Generator; prior validation is assumed.

    The runs share nothing, so they run side by side. Each finished run is
    compared with the best so far at once and the other is let go: only one
    finished run's labels ``(n,)`` are held, not those of every run.
    """
    best: list[tuple[float, int, Run]] = []
    lock = threading.Lock()

    def one(index: int, rng: np.random.Generator) -> None:
        run = fit_once(data, w, p, rng)
        with lock:
            if not best or (run.inertia, index) < best[0][:2]:
                best[:] = [(run.inertia, index, run)]

    _threads.run([functools.partial(one, i, rng) for i, rng in enumerate(rngs)])
    return best[0][2]


# Row norms up to this keep squared norms and their sums (below 2**126) inside
# float32, whose largest value is about 2**128.
_SAFE_NORM = 2.0 ** 62
# Row norms below this are scaled up (towards 1, by at most 2**_MAX_GROWTH), so that
# squared distances of points far closer together than their norms stay above
# float32's smallest normal number (about 2**-126).
_SMALL_NORM = 2.0 ** -40
_MAX_GROWTH = 100
# Rows that _centre estimates the means and deviations on.
_CENTRE_SAMPLE = 4096
# Rows that _centre checks and predict and score centre at a time (so they
# copy no (n, d) array).
_CENTRED_ROWS = 1 << 16
#: What :meth:`MiniBatchKMeans.set_output` takes.
_OUTPUTS = ("default", "pandas", "polars")
#: The most runs ``n_init`` asks for: each is a whole fit (and far more would
#: not fit in memory: every run gets its own random generator up front).
MAX_INIT = 10_000


def _check_n_init(n_init: Any) -> int:
    """The number of runs ``n_init`` asks for: an int from 1 to :data:`MAX_INIT`, or
    ``"auto"``, scikit-learn's name for the default number of runs, which is 1 here (as
    scikit-learn's ``"auto"`` is for k-means++ and for given centres).

    >>> _check_n_init("auto"), _check_n_init(3)
    (1, 3)
    """
    if isinstance(n_init, str):
        if n_init == "auto":
            return 1
        raise ValueError(f"n_init={n_init!r} should be an integer from 1 to {MAX_INIT} "
                         "or 'auto'")
    return check_int(n_init, "n_init", minimum=1, maximum=MAX_INIT)


def _run_generators(rng: np.random.Generator, n_init: int) -> list[np.random.Generator]:
    """The Generators of ``n_init`` runs: ``rng`` itself, then ``rng.spawn(n_init - 1)``.

    Run 0 is the run ``n_init=1`` makes, and the children are numbered as
    spawned, so the runs of ``n_init=k`` are the first ``k`` runs of any larger
    ``n_init``: at a fixed seed, more runs never end with a higher inertia.
    """
    return [rng] if n_init == 1 else [rng, *rng.spawn(n_init - 1)]


# --------------------------------------------------------------------------
# The estimator
# --------------------------------------------------------------------------


class MiniBatchKMeans:
    """Mini-batch k-means with k-means++ seeding, restarts and exact refinement.

    Follows scikit-learn's estimator conventions (``get_params``,
    ``set_params``, ``fit(X, y=None, sample_weight=None)`` returning ``self``,
    ``n_features_in_``, ``__sklearn_tags__``, and for a transformer
    ``get_feature_names_out`` and ``set_output``) without depending on it, so it
    works in a scikit-learn ``Pipeline``, ``ColumnTransformer`` or ``GridSearchCV``, with
    metadata routing on or off: ``set_fit_request``, ``set_partial_fit_request`` and
    ``set_score_request`` say whether a meta-estimator passes ``sample_weight`` on, as
    for scikit-learn's ``MiniBatchKMeans``. The source of
    randomness is called ``seed`` (an int or a Generator), not
    ``random_state``. It passes scikit-learn's ``check_estimator`` except for
    one check that conflicts with a deliberate choice (see Notes), when given
    as ``MiniBatchKMeans(2, seed=0)``, as the test suite checks it. Both
    settings matter: some checks fit data of four points, which the
    default ``n_clusters=8`` refuses, as scikit-learn's ``KMeans`` refuses
    fewer samples than clusters; and the checks fix the randomness only of a
    parameter named ``random_state``, so with the default ``seed=None`` the
    checks that compare two fits (``check_fit_idempotent``,
    ``check_transformer_general``, ``check_pipeline_consistency`` and others)
    fail whenever fresh seeds end in different local minima.

    A fit validates its input once and then runs the phases of
    :mod:`quantize.kmeans_run` (seeding, mini-batches, settling, refinement)
    ``n_init`` times. On small data (at most 8,192 rows at the defaults), where
    a run is only seeding and Lloyd passes, the runs take their passes
    together, with the same result as one after the other.

    Parameters
    ----------
    n_clusters : int, default 8
        Number of clusters, from 1 to the number of rows with positive weight
        (``fit`` refuses more with a ValueError, as scikit-learn's ``KMeans``
        refuses more clusters than samples). When the rows hold fewer distinct
        points than that, ``fit`` warns (see Notes). Seeding alone
        (:func:`kmeans_plusplus`, the first chunk of ``partial_fit``) needs
        ``n_clusters`` distinct rows of positive weight.
    init : {"k-means++", "random"} or (n_clusters, d) array_like, default "k-means++"
        Seeding method ("random": ``n_clusters`` distinct rows drawn in
        proportion to their weight), or explicit initial centres (then
        ``n_init`` must be 1).
    n_init : int or "auto", default 1
        Number of runs from different seeds, 1 to :data:`MAX_INIT` (10,000),
        or ``"auto"`` (scikit-learn's default), which is 1 run here, as
        scikit-learn's ``"auto"`` is for k-means++ and for given centres
        (``get_params`` keeps ``"auto"``). The run with the lowest inertia over
        all points is kept (on a tie, the earliest). Run 0 draws from the
        seed's Generator itself, as the one run of ``n_init=1`` does, and run
        ``i >= 1`` from the child ``i - 1`` of its ``spawn(n_init - 1)``. So
        the runs are nested: at a fixed seed, ``n_init=k + 1`` makes every run
        of ``n_init=k`` and one more, and its inertia is never higher.
    batch_size : int, default 2048
        Points per mini-batch. Data with at most ``32 * batch_size`` rows skip
        the mini-batch phase: exact Lloyd passes settle them for less.
    max_iter : int, default 100
        Upper bound on the passes over the data before refinement. On data
        with more than ``32 * batch_size`` rows, the mini-batch passes (a pass
        is ``ceil(n / batch_size)`` steps; the Lloyd passes that then settle
        the centres are capped at 100). On fewer rows, which skip the
        mini-batch phase, the exact Lloyd passes that settle the centres
        instead, up to 100; they also stop once at most 0.02% of the labels
        change in a pass. So ``max_iter=m, refine=0`` on such data, with
        ``init`` centres, is ``m`` steps of Lloyd's algorithm from them (the
        labels and inertia of scikit-learn's ``KMeans(init=..., n_init=1,
        max_iter=m)``) unless that rule stops it sooner.
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
        label changes (``converged_`` is then True). The default is a cap,
        not convergence: on ``astronaut() / 255`` at k = 8 all 5 passes run
        and one more would still move 137 of its 262,144 labels. For a fixed
        point of Lloyd's algorithm, pass a large ``refine`` (such as 1000:
        31 passes there, ``n_iter_`` 32) and check ``converged_``. 0 skips
        refinement.
    fixed_centers : (f, d) array_like, optional
        Centres that never move, ``1 <= f <= n_clusters``: they are the first ``f``
        rows of ``cluster_centers_``, exactly as given, and take part in labelling
        (their points count in ``inertia_``), but no Lloyd pass, mini-batch step
        (``partial_fit``'s too) or reassignment of an empty or starving cluster moves
        them. Seeding starts from them: k-means++ adds the other centres, each row's
        distance being to the nearest centre so far; ``"random"`` draws the others.
        When the rows hold too few points away from them, the centres left over
        repeat the first fixed one and no row is labelled with them. Not with an
        ``init`` array. Fixed palette entries (``quantize reduce --fixed-color``) are
        fitted so.
    seed : int, numpy.random.Generator or None
        Source of randomness; a fixed int (>= 0) gives identical results, a
        Generator is used as is, None draws fresh entropy. A Generator is
        consumed by run 0 and, with ``n_init > 1``, spawns the other runs'
        children, which advances its count of children: a second fit with it
        continues its stream and gets new children, and two Generators made
        alike (``np.random.default_rng(7)`` twice) give equal fits. A legacy
        ``numpy.random.RandomState`` is refused with a TypeError.

    Attributes
    ----------
    cluster_centers_ : (n_clusters, d) ndarray of float64
        Means accumulated in float64, for float32 ``X`` too (scikit-learn keeps
        float32 there): ``astype(np.float32)`` gives its dtype.
    labels_ : (n,) ndarray of intp
        Of the rows of the last ``fit`` or ``partial_fit`` chunk.
    inertia_ : float
        Weighted sum of squared distances of points to their centre (of the last
        ``partial_fit`` chunk, under the updated centres), each an exact
        difference ``x - c`` squared in the dtype the data are clustered in,
        added in float64: for float64 ``X``, that of ``labels_`` and
        ``cluster_centers_`` to about 1e-12.
    n_features_in_ : int
        Number of features ``d`` seen by ``fit``.
    feature_names_in_ : (d,) ndarray of object (str)
        The column names of ``X`` when ``fit`` was given a DataFrame whose column
        names are all strings (not set otherwise).
    n_iter_ : int
        Passes over the data in the kept run: the mini-batch passes (steps
        over ``ceil(n / batch_size)``, rounded up), plus the settling Lloyd
        passes when they run on all rows (at most 131,072 rows; larger data
        settle on a sample, not counted), plus the refinement passes. Seeding
        (and the candidate seedings settled on samples of data of 32,768 rows
        or more) is not counted. Data that skip the mini-batch phase with
        ``refine=0`` have ``n_iter_ <= max_iter``, as scikit-learn's
        ``KMeans`` counts its iterations. After ``partial_fit``, those plus one
        per call (each passes over its chunk once).
    converged_ : bool
        True when refinement stopped on a pass that changed no label, before
        ``refine`` passes: the labels are then a fixed point of Lloyd's
        algorithm (one more pass would change none), and the centres the
        weighted means of their clusters. False when refinement ran all its
        ``refine`` passes (0 included), even if the last of them changed no
        label: telling that apart would take one more pass over the data.
        Also True for data of fewer distinct points than ``n_clusters``
        (inertia 0); False after ``partial_fit``.
    n_steps_ : int
        Mini-batch steps taken in the kept run (0 when the data were small
        enough to skip the mini-batch phase), plus the batches of each
        ``partial_fit`` call.

    Notes
    -----
    Float64 ``X`` (and integers float32 cannot hold exactly) is clustered in
    float64, as scikit-learn keeps float64; float32 ``X`` (and smaller integers,
    bools) in float32, as are quantize's own image features. The nearest centres
    are found from expansions ``||c||^2 - 2 x.c`` of the data centred on their
    column means (float32 columns only when their mean is more than 4 standard
    deviations from 0), which lose about one epsilon of the dtype (1e-16 in
    float64, 1e-7 in float32) of the squared distance from that mean. So
    clusters closer together than about 1e-8 (float64) or 3e-4 (float32) of
    their distance from the mean may be mixed: longitudes of neighbourhoods
    0.002 degrees apart in two cities 48 degrees apart are told apart in float64
    (in float32 they were not); two clusters 0.1 apart beside others 1e7 away
    (2e-8 of their distance from the mean) are at that limit, and a few points
    between them may take the other. ``inertia_`` and ``score`` do not use the
    expansion. Float64 takes up to about twice the time of float32 on the same
    data (1.0 to 2.2 times in medians of 3 fits of 100,000 x 8 and 1,000,000 x 3
    rows on a busy 2-core machine), and a float64 copy of ``X``; pass
    ``X.astype(np.float32)`` when float32's precision is enough.

    ``predict``, ``transform`` and ``score`` before ``fit`` raise
    :class:`NotFittedError` (an instance of scikit-learn's class of that name too
    when scikit-learn is loaded).

    ``fit`` takes ``n_clusters`` up to the number of rows with positive weight,
    whatever ``init``, and refuses more with a ValueError naming that number
    (``n_clusters=7 should be <= the number of rows with positive weight
    (6)``), as scikit-learn's ``KMeans`` refuses more clusters than samples.
    Rows that hold fewer distinct points than ``n_clusters`` are fitted as
    scikit-learn's ``KMeans`` fits them (which warns with a
    ``ConvergenceWarning``): with a :class:`DistinctClustersWarning` naming both
    numbers, each distinct point a centre and the other centres copies of the
    first, which no point is labelled with (``predict`` and ``transform`` take
    all ``n_clusters``; ties go to the lower index); inertia 0, the least there
    is, so given ``init`` centres make no difference there. Seeding alone needs
    ``n_clusters`` distinct rows of positive weight, and refuses fewer with a
    ValueError naming the number of distinct points: :func:`kmeans_plusplus`
    returns rows of ``X`` as the starting centres of a fit, and repeated rows
    would be repeated starting centres; ``partial_fit``'s first chunk seeds the
    centres every later chunk moves.

    The scikit-learn estimator check this estimator fails, on purpose, when
    given a fixed seed and ``n_clusters`` from 2 to 4:

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
    >>> from quantize import MiniBatchKMeans
    >>> X = np.array([[0., 0.], [0., 1.], [10., 10.], [10., 11.]])
    >>> km = MiniBatchKMeans(2, seed=0).fit(X)
    >>> km.cluster_centers_[np.argsort(km.cluster_centers_[:, 0])].tolist()
    [[0.0, 0.5], [10.0, 10.5]]
    >>> float(km.inertia_)
    1.0
    """

    @foreign_keywords
    def __init__(
        self,
        n_clusters: int = 8,
        *,
        init: Literal["k-means++", "random"] | Any = "k-means++",
        n_init: int | Literal["auto"] = 1,
        batch_size: int = 2048,
        max_iter: int = 100,
        tol: float = 0.0,
        max_no_improvement: int | None = 10,
        refine: int = 5,
        fixed_centers: Any = None,
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
        self.fixed_centers = fixed_centers
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
        """Set constructor parameters; unknown names raise ``ValueError``, with quantize's
        name for one of scikit-learn's (``random_state``: ``seed``)."""
        valid = self._param_names()
        for name, value in params.items():
            if name not in valid:
                note = foreign_keyword_note(name, valid)
                raise ValueError(
                    f"invalid parameter {name!r} for MiniBatchKMeans"
                    f"{'' if note is None else f' ({note})'}; "
                    f"valid parameters are {', '.join(valid)}"
                )
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        defaults = {p.name: p.default for p in
                    inspect.signature(type(self).__init__).parameters.values()}
        # NumPy scalars compare as numbers too: n_init=np.int64(1) is the default.
        changed = [f"{k}={v!r}" for k, v in self.get_params().items()
                   if not (isinstance(v, str | numbers.Number | type(None))
                           and not isinstance(v, bool) and v == defaults.get(k))]
        return f"MiniBatchKMeans({', '.join(changed)})"

    def __sklearn_tags__(self) -> Any:
        """Describe the estimator to scikit-learn (which alone calls this).

        scikit-learn is imported here only because it is the caller: the
        estimator itself never needs it.
        """
        from sklearn.utils import InputTags, Tags, TargetTags, TransformerTags

        return Tags(estimator_type="clusterer", target_tags=TargetTags(required=False),
                    transformer_tags=TransformerTags(), input_tags=InputTags())

    # -- scikit-learn metadata routing ---------------------------------------
    # With sklearn.set_config(enable_metadata_routing=True), a Pipeline,
    # GridSearchCV or cross_val_score passes sample_weight only to the methods that
    # request it, as it does to scikit-learn's own MiniBatchKMeans.

    def set_fit_request(self, *, sample_weight: bool | str | None | Any = _UNCHANGED
                        ) -> MiniBatchKMeans:
        """Whether a meta-estimator passes ``sample_weight`` on to ``fit`` (scikit-learn's
        metadata routing; only with ``sklearn.set_config(enable_metadata_routing=True)``).

        True: passed when given; False: not passed; None (the default): an error if
        given; a str: passed when given under that name. Returns ``self``.
        """
        return _set_request(self, "fit", sample_weight)

    def set_partial_fit_request(self, *, sample_weight: bool | str | None | Any = _UNCHANGED
                                ) -> MiniBatchKMeans:
        """As :meth:`MiniBatchKMeans.set_fit_request`, for ``partial_fit``."""
        return _set_request(self, "partial_fit", sample_weight)

    def set_score_request(self, *, sample_weight: bool | str | None | Any = _UNCHANGED
                          ) -> MiniBatchKMeans:
        """As :meth:`MiniBatchKMeans.set_fit_request`, for ``score``."""
        return _set_request(self, "score", sample_weight)

    def get_metadata_routing(self) -> Any:
        """The metadata each method takes, as scikit-learn's ``MetadataRequest`` (which
        alone calls this, so scikit-learn is imported here only)."""
        return _metadata_request(self)

    # -- validation ----------------------------------------------------------

    def _validated_params(self, d: int) -> dict[str, Any]:
        p = {
            "k": check_int(self.n_clusters, "n_clusters", minimum=1),
            "n_init": _check_n_init(self.n_init),
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
        elif self.init is None or callable(self.init):  # scikit-learn takes a callable
            raise TypeError(f"init={self.init!r} should be 'k-means++', 'random' or an "
                            "(n_clusters, n_features) array of centres, got "
                            f"{type(self.init).__name__}")
        else:
            centres = f"(n_clusters, n_features) = ({p['k']}, {d})"
            checked = check_data(self.init, "init",  # float32: shifted as X is, in float64
                                 shape=centres)
            wide_init = _wide(self.init)
            init = (checked if wide_init is None else wide_init).astype(np.float64)
            if init.shape != (p["k"], d):
                raise ValueError(f"init should have shape {centres}, got {init.shape}")
            if p["n_init"] != 1:
                raise ValueError(
                    f"n_init={p['n_init']} should be 1 when init is an array of centres"
                )
            p["init"] = init
        p["fixed"] = self._checked_fixed(p, d)
        return p

    def _checked_fixed(self, p: dict[str, Any], d: int) -> np.ndarray | None:
        """``fixed_centers`` as an ``(f, d)`` float64 array, ``1 <= f <= n_clusters``, or
        None; refused beside an ``init`` array."""
        if self.fixed_centers is None:
            return None
        fixed = check_data(self.fixed_centers, "fixed_centers",
                           shape=f"(f, n_features) with f <= n_clusters={p['k']}")
        wide = _wide(self.fixed_centers)
        fixed = (fixed if wide is None else wide).astype(np.float64)
        if fixed.shape[1] != d or not 1 <= fixed.shape[0] <= p["k"]:
            raise ValueError(f"fixed_centers should have shape (f, {d}) with 1 <= f <= "
                             f"n_clusters={p['k']}, got {fixed.shape}")
        if isinstance(p["init"], np.ndarray):
            raise ValueError("fixed_centers goes with init='k-means++' or 'random', not "
                             "with an init array of centres")
        return fixed

    def _check_fitted(self) -> None:
        if not hasattr(self, "cluster_centers_"):
            raise _not_fitted("this MiniBatchKMeans is not fitted yet; call fit(X) first")

    def _check_features(self, X: Any) -> np.ndarray:
        # Prediction only reads X, so float32 C-contiguous input is not copied.
        self._check_feature_names(X)
        data = check_data(X, copy=False)
        if data.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {data.shape[1]} features, but MiniBatchKMeans is "
                             f"expecting {self.n_features_in_} features as input")
        return data

    def _check_feature_names(self, X: Any) -> None:
        """Refuse a DataFrame ``X`` whose string column names are not those of the fit, in
        their order (its columns would be taken by position); warn, as scikit-learn does,
        when only one of the fit and ``X`` named its columns."""
        fitted, given = getattr(self, "feature_names_in_", None), _string_names(X)
        if fitted is not None and given is not None:
            if not np.array_equal(fitted, given):
                raise ValueError(f"X has columns {given.tolist()}, but MiniBatchKMeans "
                                 f"was fitted on {fitted.tolist()}, in that order")
        elif fitted is not None:
            warn_caller("X does not have valid feature names, but MiniBatchKMeans was "
                        "fitted with feature names", FeatureNamesWarning, stacklevel=3)
        elif given is not None and hasattr(self, "n_features_in_"):
            warn_caller("X has feature names, but MiniBatchKMeans was fitted without "
                        "feature names", FeatureNamesWarning, stacklevel=3)

    # -- fitting -------------------------------------------------------------

    def fit(self, X: Any, y: Any = None, sample_weight: Any = None) -> MiniBatchKMeans:
        """Cluster ``X`` (n, d), optionally weighting each row.

        Parameters
        ----------
        X : (n, d) array_like
            Finite numeric data, clustered in float64 or float32 as the class
            Notes say (float64 for float64). Values of 3.4e38 or more are
            refused; data too small for float32's range are scaled up by a
            power of two first, which is exact. Bools are 0 and 1; a NumPy
            masked array is refused, as its mask would be ignored.
        y : ignored
            Accepted for scikit-learn's API (``Pipeline``, ``GridSearchCV``).
        sample_weight : (n,) array_like or float, optional
            Non-negative weights; a point of weight 2 counts as two points. A
            single number weighs every point alike; bools are weights 0 and 1.

        Returns
        -------
        self : MiniBatchKMeans

        Raises
        ------
        ValueError
            If ``n_clusters`` exceeds the number of rows with positive weight, or
            ``X``/``sample_weight``/a parameter is malformed (for an ``(h, w, c)``
            image given as ``X``, the message names ``X.reshape(-1, X.shape[-1])``,
            one row per pixel).
        TypeError
            If a parameter or the data has the wrong type.

        Warns
        -----
        DistinctClustersWarning
            If the rows of positive weight hold fewer distinct points than
            ``n_clusters``: each is a centre, the others repeat the first.
        """
        data, wide_shift, shift, grow, scale = _centred_data(X)
        w = check_sample_weight(sample_weight, data.shape[0])
        p = self._validated_params(data.shape[1])
        rng = check_seed(self.seed)
        _check_enough_rows(w, p["k"])
        rngs = _run_generators(rng, p["n_init"])
        given_fixed = p["fixed"]
        if given_fixed is not None:
            p["fixed"] = (np.ldexp(given_fixed, grow) - shift) * scale
        try:
            if isinstance(p["init"], np.ndarray):
                p["init"] = (np.ldexp(p["init"], grow) - shift) * scale
                _check_distinct(data, w, p["k"])
            if len(rngs) > 1 and runs_fit_together(data.shape[0], p):
                best = fit_together(data, w, p, rngs)
            else:
                best = _best_run(data, w, p, rngs)
        except TooFewDistinctError as exc:  # enough rows, but repeated ones
            best = _distinct_run(data, w, p["k"], exc.n_distinct)
        self.cluster_centers_ = _with_fixed(np.ldexp(best.centers / scale + shift, -grow),
                                            given_fixed)
        self.labels_ = best.labels
        self.inertia_ = math.ldexp(best.inertia / (scale * scale), -2 * grow)
        self.n_steps_ = best.n_steps
        self.n_iter_ = best.n_iter
        self.converged_ = best.converged
        self.n_features_in_ = data.shape[1]
        self._keep_feature_names(X)
        self._shift, self._wide_shift, self._grow = shift, wide_shift, grow
        self._float64 = data.dtype == np.float64
        self._fixed = given_fixed
        # partial_fit continues from here, each centre standing for its points' weight,
        # its reassignments drawing on from the seed's Generator.
        self._counts = np.bincount(best.labels, weights=w, minlength=p["k"])
        self._rng = rng
        return self

    def partial_fit(self, X: Any, y: Any = None, sample_weight: Any = None
                    ) -> MiniBatchKMeans:
        """Update the centres with one chunk ``X`` (n, d) of data streamed in chunks.

        The first call (on a model not fitted yet) seeds ``n_clusters`` centres on its
        chunk by ``init``, as one seeding of ``fit`` does (k-means++ on the chunk,
        or on a weighted sample of it when it is large). Every call, the first too, then
        makes one mini-batch pass over its chunk in batches of ``batch_size`` rows: each
        centre moves towards the weighted mean of its rows with a learning rate of
        1/count, its count being the weight of all the rows it has taken, kept from call
        to call (after ``fit``, the weight of its cluster). After every 10th batch,
        counted over the calls (and after ``fit`` from its steps), centres whose count is
        below 1% of the largest are moved onto rows of that batch far from every centre,
        as ``fit``'s mini-batch phase moves them (a row of weight 0 is never taken), so a
        centre seeded where no later row comes does not stay there. Those draws go on
        with the Generator of the first call's seeding (or of ``fit``): at a fixed
        ``seed`` the same chunks give the same centres (a model pickled before that
        Generator was kept draws from a new one made from its ``seed``). ``n_init``,
        ``max_iter``, ``tol``, ``max_no_improvement`` and ``refine`` are not used;
        ``fit`` after ``partial_fit`` starts afresh.

        Parameters
        ----------
        X : (n, d) array_like
            One chunk, as ``fit`` takes ``X``; ``d`` is the first chunk's.
        y : ignored
            Accepted for scikit-learn's API.
        sample_weight : (n,) array_like or float, optional
            Non-negative weights, as for ``fit``; after the first call they may all
            be 0 (the chunk then moves no centre).

        Returns
        -------
        self : MiniBatchKMeans
            With ``cluster_centers_``, ``labels_`` and ``inertia_`` of this chunk (under
            the updated centres), ``n_steps_`` (batches of all calls) and ``n_iter_``
            (calls) updated.

        Raises
        ------
        ValueError
            If the first chunk holds fewer distinct rows of positive weight than
            ``n_clusters``, if a later chunk has another number of features or
            ``n_clusters`` was changed since the first call, or if
            ``X``, ``sample_weight`` or a parameter is malformed.
        TypeError
            If a parameter or the data has the wrong type.

        Examples
        --------
        >>> import numpy as np
        >>> from quantize import MiniBatchKMeans
        >>> rng = np.random.default_rng(0)
        >>> km = MiniBatchKMeans(2, seed=0)
        >>> for _ in range(3):
        ...     chunk = np.concatenate([rng.normal(1, 0.1, (50, 2)),
        ...                             rng.normal(10, 0.1, (50, 2))])
        ...     km = km.partial_fit(chunk)
        >>> np.round(km.cluster_centers_[np.argsort(km.cluster_centers_[:, 0])]).tolist()
        [[1.0, 1.0], [10.0, 10.0]]
        >>> km.n_iter_, km.labels_.shape
        (3, (100,))
        """
        if not hasattr(self, "_counts"):
            self._seed_chunk(X, sample_weight)
        elif self.n_clusters != self._counts.shape[0]:
            raise ValueError(f"n_clusters={self.n_clusters!r} but the model has "
                             f"{self._counts.shape[0]} centres from earlier calls; fit it "
                             "again or partial_fit a new model to change it")
        elif not hasattr(self, "_rng"):  # models pickled before _rng existed
            self._rng = check_seed(self.seed)
        data = self._check_features(X)
        w = check_sample_weight(sample_weight, data.shape[0], positive_sum=False)
        wide = _wide(X)
        self.n_steps_ += self._mini_batch_pass(data, wide, w)
        self.n_iter_ += 1
        self.converged_ = False  # no refinement: mini-batch steps only
        self.labels_, self.inertia_ = self._labels_inertia(data, wide, w)
        return self

    def _seed_chunk(self, X: Any, sample_weight: Any) -> None:
        """The first ``partial_fit``: centres seeded on chunk ``X``, counts 0, and the
        shifts that centre the data, kept for every later chunk as ``fit`` keeps them."""
        data, wide_shift, shift, grow, scale = _centred_data(X)
        w = check_sample_weight(sample_weight, data.shape[0])
        p = self._validated_params(data.shape[1])
        rng = check_seed(self.seed)
        if isinstance(p["init"], np.ndarray):
            _check_distinct(data, w, p["k"])
            self.cluster_centers_ = p["init"].copy()
        else:
            given_fixed = p["fixed"]
            if given_fixed is not None:
                p["fixed"] = (np.ldexp(given_fixed, grow) - shift) * scale
            seeds = one_seeding(data, w, p, WeightedSampler(w, rng), rng)
            self.cluster_centers_ = _with_fixed(np.ldexp(seeds / scale + shift, -grow),
                                                given_fixed)
            self._fixed = given_fixed
        self.n_features_in_ = data.shape[1]
        self._keep_feature_names(X)
        self._shift, self._wide_shift, self._grow = shift, wide_shift, grow
        self._float64 = data.dtype == np.float64
        self._counts = np.zeros(p["k"])
        self._rng = rng  # later calls' reassignments draw on from it
        self.n_steps_ = self.n_iter_ = 0

    def _mini_batch_pass(self, data: np.ndarray, wide: np.ndarray | None,
                         w: np.ndarray) -> int:
        """One pass of :func:`~quantize.kmeans_run.mini_batch_step` over the rows ``data``
        (``wide``: as given, when float32 cannot hold them) in batches of ``batch_size``,
        centred as ``predict`` centres them; returns the number of batches."""
        batch = check_int(self.batch_size, "batch_size", minimum=1)
        fixed = getattr(self, "_fixed", None)  # models pickled before had none
        n_fixed = 0 if fixed is None else fixed.shape[0]
        counts = self._counts.copy()
        steps = 0
        for rows, part, centers, scale, grow in self._centred(data, wide):
            # centers is one array for every chunk of rows: each step moves it in place.
            for start in range(0, part.shape[0], batch):
                xb, wb = part[start:start + batch], w[rows][start:start + batch]
                mini_batch_step(xb, centers, counts, wb, fixed=n_fixed)
                steps += 1
                if (self.n_steps_ + steps) % REASSIGN_EVERY == 0:  # as fit's steps
                    reassign_starving(xb, centers, counts, self._rng, wb, fixed=n_fixed)
            shift = self._shift if not grow else np.ldexp(self._shift, grow - self._grow)
            self.cluster_centers_ = _with_fixed(np.ldexp(centers / scale + shift, -grow),
                                                fixed)
        self._counts = counts
        return steps

    def _labels_inertia(self, data: np.ndarray, wide: np.ndarray | None,
                        w: np.ndarray) -> tuple[np.ndarray, float]:
        """Nearest centre of each row of ``data`` and the ``w``-weighted inertia, in the
        fitted centring (:meth:`MiniBatchKMeans._centred`)."""
        labels = np.empty(data.shape[0], dtype=np.intp)
        inertia = 0.0
        for rows, centred, centers, scale, grow in self._centred(data, wide):
            labels[rows], dist = labels_sq_dist(centred, centers)
            inertia += math.ldexp(float(w[rows] @ dist.astype(np.float64)) / (scale * scale),
                                  -2 * grow)
        return labels, inertia

    def fit_predict(self, X: Any, y: Any = None, sample_weight: Any = None) -> np.ndarray:
        """Fit and return the labels ``(n,)`` of ``X`` (``y`` is ignored)."""
        return self.fit(X, sample_weight=sample_weight).labels_

    def fit_transform(self, X: Any, y: Any = None, sample_weight: Any = None) -> np.ndarray:
        """Fit and return the distances ``(n, n_clusters)`` of ``X`` (``y`` is ignored)."""
        return self.fit(X, sample_weight=sample_weight).transform(X)

    def predict(self, X: Any) -> np.ndarray:
        """Index ``(n,)`` of the nearest centre for each row of ``X``."""
        self._check_fitted()
        data = self._check_features(X)
        labels = np.empty(data.shape[0], dtype=np.intp)
        for rows, centred, centers, _, _ in self._centred(data, _wide(X)):
            labels[rows] = nearest(centred, centers)
        return labels

    def transform(self, X: Any) -> np.ndarray:
        """Euclidean distances ``(n, n_clusters)`` from each row to each centre.

        Measured in float64 from the rows as given and ``cluster_centers_``, and
        returned in float32 when ``X`` is float32, else in float64, as
        scikit-learn's ``KMeans.transform`` returns them (it keeps float32 data
        float32 and converts other dtypes to float64).

        Examples
        --------
        >>> import numpy as np
        >>> from quantize import MiniBatchKMeans
        >>> km = MiniBatchKMeans(2, init=[[0.0], [4.0]], refine=0).fit([[0.0], [4.0]])
        >>> km.transform(np.array([[1.0]], np.float32))
        array([[1., 3.]], dtype=float32)
        >>> km.transform([[1.0]]).dtype
        dtype('float64')
        """
        self._check_fitted()
        data = self._check_features(X)
        wide = _wide(X)  # float64 rows are measured as given, not rounded to float32
        source = data if wide is None else wide
        grow = self._call_growth(source)  # squares of float64 below 1e-154 underflow
        dtype = np.float32 if np.asarray(X).dtype == np.float32 else np.float64
        out = np.empty((data.shape[0], self.cluster_centers_.shape[0]), dtype=dtype)
        rows = chunk_rows(*self.cluster_centers_.shape)
        c = np.ldexp(self.cluster_centers_, grow)
        for start in range(0, data.shape[0], rows):
            xc = np.ldexp(source[start:start + rows].astype(np.float64), grow)
            sq = ((xc[:, None, :] - c[None, :, :]) ** 2).sum(axis=2)
            out[start:start + rows] = np.ldexp(np.sqrt(sq), -grow)
        return self._output(out, X)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Names of the columns ``transform`` gives, one per centre, as scikit-learn names
        its clusterers' columns: ``minibatchkmeans0`` to ``minibatchkmeans{k-1}``.

        Parameters
        ----------
        input_features : array_like of str, optional
            Names of the input columns (a ``Pipeline`` passes them); they do not make
            the names out, but their number should be ``n_features_in_``.

        Returns
        -------
        (n_clusters,) ndarray of object (str)

        Raises
        ------
        NotFittedError
            Before ``fit``.
        ValueError
            If ``input_features`` has another number of names than ``n_features_in_``,
            or other names than ``feature_names_in_``.

        Examples
        --------
        >>> from quantize import MiniBatchKMeans
        >>> km = MiniBatchKMeans(2, seed=0).fit([[0.0], [1.0], [9.0], [10.0]])
        >>> km.get_feature_names_out().tolist()
        ['minibatchkmeans0', 'minibatchkmeans1']
        """
        self._check_fitted()
        if input_features is not None:
            names = np.asarray(input_features, dtype=object).reshape(-1)
            if names.shape[0] != self.n_features_in_:
                raise ValueError(f"input_features should have length equal to "
                                 f"n_features_in_={self.n_features_in_}, got "
                                 f"{names.shape[0]} names")
            known = getattr(self, "feature_names_in_", None)
            if known is not None and not np.array_equal(names, known):
                raise ValueError(f"input_features is not equal to feature_names_in_: got "
                                 f"{names.tolist()}, fitted on {known.tolist()}")
        prefix = type(self).__name__.lower()
        return np.asarray([f"{prefix}{i}" for i in range(self.cluster_centers_.shape[0])],
                          dtype=object)

    def _keep_feature_names(self, X: Any) -> None:
        """Keep the column names of a DataFrame ``X`` as ``feature_names_in_``, when all are
        strings, as scikit-learn's estimators do; forget names of an earlier fit."""
        names = _string_names(X)
        if names is not None:
            self.feature_names_in_ = names
        elif hasattr(self, "feature_names_in_"):
            del self.feature_names_in_

    def set_output(self, *, transform: Literal["default", "pandas", "polars"] | None = None
                   ) -> MiniBatchKMeans:
        """Choose what ``transform`` and ``fit_transform`` return, as scikit-learn's
        transformers do (``Pipeline.set_output`` calls it on each step).

        Parameters
        ----------
        transform : {"default", "pandas", "polars"} or None
            "default": a NumPy array; "pandas" or "polars": a DataFrame whose columns
            are :meth:`MiniBatchKMeans.get_feature_names_out` (a pandas one keeps the
            index of a pandas ``X``); None leaves the choice as it was. Until it is
            called, scikit-learn's global ``transform_output`` (``sklearn.set_config``)
            decides when scikit-learn is loaded, else "default". pandas and polars are
            imported by ``transform`` only when chosen (an ImportError when missing).

        Returns
        -------
        self : MiniBatchKMeans
        """
        if transform is not None:
            choice = check_choice(transform, "transform", _OUTPUTS)
            # The attribute scikit-learn's clone copies to the estimator it makes.
            self._sklearn_output_config = {"transform": choice}
        return self

    def _output(self, out: np.ndarray, X: Any) -> Any:
        """``out``, distances of the rows ``X``, in the container that
        :meth:`MiniBatchKMeans.set_output` chose."""
        chosen = getattr(self, "_sklearn_output_config", {}).get("transform")
        if chosen is None:
            sklearn = sys.modules.get("sklearn")
            get_config = getattr(sklearn, "get_config", None)
            chosen = get_config().get("transform_output", "default") if get_config else "default"
        if chosen == "default":
            return out
        return _data_frame(out, X, self.get_feature_names_out(), chosen)

    def score(self, X: Any, y: Any = None, sample_weight: Any = None) -> float:
        """Opposite of the weighted inertia of ``X`` under the fitted centres."""
        self._check_fitted()
        data = self._check_features(X)
        w = check_sample_weight(sample_weight, data.shape[0])
        return -self._labels_inertia(data, _wide(X), w)[1]

    def _call_growth(self, source: np.ndarray) -> int:
        """The exponent ``e`` that brings rows ``source`` and the centres near 1, for a
        model fitted on data too small for float32 (:func:`_growth`); else 0.

        Computed for each call, so rows far larger than the fitted data are not
        scaled beyond float32; any power of two gives the same labels.
        """
        if not getattr(self, "_grow", 0):  # models pickled before _grow existed
            return 0
        peak = max(_peak(source.astype(np.float64, copy=False)), _peak(self.cluster_centers_))
        return _near_one(peak, source.shape[1], self._grow)

    def _centred(self, data: np.ndarray, wide: np.ndarray | None = None
                 ) -> Iterator[tuple[slice, np.ndarray, np.ndarray, float, int]]:
        """``(rows, (data[rows] - shift) * s, (centres - shift) * s, s, e)``, chunk by chunk.

        Centred as ``fit`` centred; ``s`` is 1 unless these rows or the centres are
        so large that squared distances would overflow float32, or all so small that
        they would underflow it (:func:`_safe_scale`).
        A model fitted in float64 (:func:`_centred_data`) compares the rows in
        float64: ``wide``, the rows as given when float32 cannot hold them
        (:func:`_wide`), or ``data`` converted. A model fitted before float64
        data stayed float64 shifts ``wide`` in two steps, before and after
        rounding it to float32, as its ``fit`` shifted them. When ``fit`` scaled its data
        up before rounding them (:func:`_growth`), the rows, centres and shifts
        are first multiplied by ``2**e`` (:meth:`MiniBatchKMeans._call_growth`; else ``e`` is 0).
        """
        shift, wide_shift = self._shift, self._wide_shift
        centers = self.cluster_centers_
        in_float64 = getattr(self, "_float64", False)  # models pickled before: float32
        grow = self._call_growth(data if wide is None else wide)
        if in_float64 and wide is None:  # float32 rows, compared in float64 as in the fit
            wide = data
        if grow:  # one (n, d) copy, for such small data only
            wide = np.ldexp((data if wide is None else wide).astype(np.float64), grow)
            data = wide.astype(np.float32)
            fitted = self._grow
            shift, wide_shift = np.ldexp(shift, grow - fitted), np.ldexp(wide_shift, grow - fitted)
            centers = np.ldexp(centers, grow)
        centers = centers - shift
        peak = max(_peak(data) + float(np.abs(shift).max()), _peak(centers))
        scale = _safe_scale(peak, data.shape[1])
        centers = centers * scale
        copy = shift.any() or scale != 1.0  # usually not: the data were near the origin
        for start in range(0, data.shape[0], _CENTRED_ROWS):
            rows = slice(start, start + _CENTRED_ROWS)
            if in_float64:
                part = (wide[rows].astype(np.float64) - shift) * scale
            elif wide is not None and wide_shift.any():  # as a float32 fit shifted them
                first = (wide[rows].astype(np.float64) - wide_shift).astype(np.float32)
                rest = (shift - wide_shift).astype(np.float32)
                part = (first - rest) * np.float32(scale)
            elif copy:
                part = (data[rows] - shift.astype(np.float32)) * np.float32(scale)
            else:
                part = data[rows]
            yield rows, part, centers, scale, grow


def _with_fixed(centers: np.ndarray, fixed: np.ndarray | None) -> np.ndarray:
    """``centers`` with their first rows the ``fixed`` centres exactly as given (undoing
    the centring and scaling rounds them by an epsilon)."""
    if fixed is not None:
        centers[:fixed.shape[0]] = fixed
    return centers


def _string_names(X: Any) -> np.ndarray | None:
    """The column names ``(d,)`` of a DataFrame ``X`` when all are strings, else None."""
    columns = getattr(X, "columns", None)
    names = None if columns is None else np.asarray(list(columns), dtype=object)
    if names is not None and names.shape[0] and all(isinstance(n, str) for n in names):
        return names
    return None


def _check_enough_rows(w: np.ndarray, k: int) -> None:
    """Refuse ``n_clusters=k`` above the number of rows of positive weight (``w``), the
    limit of ``fit``; fewer distinct rows than ``k`` are fitted with a warning
    (:func:`_distinct_run`)."""
    n_rows = int(np.count_nonzero(w))
    if n_rows < k:
        raise ValueError(f"n_clusters={k} should be <= the number of rows with positive "
                         f"weight ({n_rows})")


def _check_distinct(data: np.ndarray, w: np.ndarray, k: int) -> None:
    """Raise :class:`~quantize.kmeans_run.TooFewDistinctError` for given centres when the
    data hold fewer than ``k`` distinct rows of positive weight (seeding checks this as it
    goes; given centres skip seeding): ``fit`` then fits the distinct points
    (:func:`_distinct_run`), ``partial_fit`` refuses the chunk."""
    if np.unique(data[w > 0], axis=0).shape[0] < k:
        raise_too_few_distinct(data, w, k)


def _data_frame(out: np.ndarray, X: Any, columns: np.ndarray, library: str) -> Any:
    """``out`` as a pandas or polars DataFrame of ``columns``; a pandas one takes the index
    of ``X`` when ``X`` is a pandas DataFrame, as scikit-learn's containers do."""
    try:
        module = importlib.import_module(library)
    except ImportError:
        raise ImportError(f"set_output(transform={library!r}) needs {library}, which is not "
                          "installed; install it or call set_output(transform='default')"
                          ) from None
    if library == "polars":
        return module.DataFrame(out, schema=columns.tolist(), orient="row")
    index = X.index if isinstance(X, module.DataFrame) else None
    return module.DataFrame(out, index=index, columns=columns)
