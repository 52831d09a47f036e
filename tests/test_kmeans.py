"""The k-means core: toy answers, invariants, bad input and a reference check."""

from __future__ import annotations

import math
import pickle
import re
import subprocess
import sys
import textwrap
import tracemalloc
import types
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from quantize import MiniBatchKMeans, _threads, kmeans_plusplus
from quantize.kmeans import DistinctClustersWarning, NotFittedError, _centred_data
from quantize.kmeans_run import runs_fit_together

# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------

CORNERS = np.array([[0.0, 0.0, 0.0], [10.0, 0.0, 0.0], [0.0, 10.0, 0.0], [0.0, 0.0, 10.0]])


def blobs(rng, centres=CORNERS, per_blob=50, spread=0.3):
    """Points scattered tightly around ``centres``; returns X and the true labels."""
    truth = np.repeat(np.arange(len(centres)), per_blob)
    X = centres[truth] + spread * rng.standard_normal((truth.size, centres.shape[1]))
    return X, truth


def same_partition(a, b) -> bool:
    """True if labelings ``a`` and ``b`` are equal up to renumbering the clusters."""
    pairs = set(zip(a.tolist(), b.tolist(), strict=True))
    return len(pairs) == len(set(a.tolist())) == len(set(b.tolist()))


def sq_distances(X, centers):
    X = np.asarray(X, dtype=np.float64)
    return ((X[:, None, :] - centers[None, :, :]) ** 2).sum(axis=2)


# --------------------------------------------------------------------------
# Hand-computed answers
# --------------------------------------------------------------------------


def test_two_pairs_toy_answer():
    X = np.array([[0.0, 0.0], [0.0, 1.0], [10.0, 10.0], [10.0, 11.0]])
    km = MiniBatchKMeans(2, seed=0).fit(X)
    order = np.argsort(km.cluster_centers_[:, 0])
    np.testing.assert_array_equal(km.cluster_centers_[order], [[0.0, 0.5], [10.0, 10.5]])
    assert km.inertia_ == 1.0
    assert km.labels_[0] == km.labels_[1] != km.labels_[2] == km.labels_[3]
    assert km.cluster_centers_.dtype == np.float64
    assert km.labels_.shape == (4,)


@pytest.mark.parametrize("dtype", [np.float32, np.uint8])
def test_centres_are_float64_for_float32_data_too_as_the_manual_says(rng, dtype):
    # docs/kmeans.md: unlike scikit-learn's, float64 whatever X's dtype (quantize's own
    # fits go on from them in float64).
    X = (rng.random((600, 2)) * 100).astype(dtype)
    assert MiniBatchKMeans(3, seed=0).fit(X).cluster_centers_.dtype == np.float64
    assert MiniBatchKMeans(3, seed=0).partial_fit(X).cluster_centers_.dtype == np.float64


def test_one_dimensional_toy_answer():
    # {0, 2} has mean 1 and SSE 2; {10, 12, 14} has mean 12 and SSE 8.
    X = np.array([[0.0], [2.0], [10.0], [12.0], [14.0]])
    km = MiniBatchKMeans(2, seed=3).fit(X)
    np.testing.assert_allclose(np.sort(km.cluster_centers_[:, 0]), [1.0, 12.0])
    assert km.inertia_ == pytest.approx(10.0)
    assert km.score(X) == pytest.approx(-10.0)


def test_single_cluster_is_the_weighted_mean():
    X = np.array([[0.0, 0.0], [3.0, 6.0]])
    km = MiniBatchKMeans(1, seed=0).fit(X, sample_weight=[2.0, 1.0])
    np.testing.assert_allclose(km.cluster_centers_, [[1.0, 2.0]])
    # 2 * (1 + 4) + 1 * (4 + 16)
    assert km.inertia_ == pytest.approx(30.0)
    np.testing.assert_array_equal(km.labels_, [0, 0])


def test_as_many_clusters_as_distinct_points_gives_zero_inertia():
    X = np.array([[1.0, 1.0], [1.0, 1.0], [5.0, 2.0], [-3.0, 4.0], [5.0, 2.0]])
    km = MiniBatchKMeans(3, seed=0).fit(X)
    assert km.inertia_ == 0.0
    np.testing.assert_array_equal(km.cluster_centers_[km.labels_], X)


def test_explicit_init_converges_to_the_hand_computed_means():
    X = np.array([[0.0], [1.0], [2.0], [9.0], [10.0], [11.0]])
    km = MiniBatchKMeans(2, init=[[0.0], [11.0]], seed=0).fit(X)
    np.testing.assert_allclose(km.cluster_centers_, [[1.0], [10.0]])
    np.testing.assert_array_equal(km.labels_, [0, 0, 0, 1, 1, 1])
    assert km.inertia_ == pytest.approx(4.0)


def test_kmeans_plusplus_picks_rows_of_x_one_per_far_blob(rng):
    X, truth = blobs(rng)
    centers, idx = kmeans_plusplus(X, 4, seed=rng)
    np.testing.assert_allclose(centers, X[idx], rtol=1e-6)
    assert sorted(truth[idx].tolist()) == [0, 1, 2, 3]
    assert centers.dtype == np.float64 and idx.shape == (4,)


def test_kmeans_plusplus_never_picks_zero_weight_points(rng):
    X = rng.standard_normal((40, 2))
    w = np.zeros(40)
    w[[3, 8, 20, 33]] = 1.0
    _, idx = kmeans_plusplus(X, 4, sample_weight=w, seed=rng)
    assert sorted(idx.tolist()) == [3, 8, 20, 33]


@pytest.mark.parametrize("dtype", [np.float64, np.int64, object])
def test_kmeans_plusplus_returns_the_rows_of_x_themselves(dtype):
    # 0.1 and 0.7 are not float32 numbers: the centres are X's rows, not their roundings.
    X = np.array([[0.1, 7.0], [0.7, 1.0], [5.3, 2.0]]) * (10 if dtype is np.int64 else 1)
    X = X.astype(dtype)
    centers, idx = kmeans_plusplus(X, 3, seed=0)
    assert centers.dtype == np.float64
    np.testing.assert_array_equal(centers, X[idx].astype(np.float64))


# --------------------------------------------------------------------------
# Recovery, equivalences and invariants
# --------------------------------------------------------------------------


@pytest.mark.parametrize("init", ["k-means++", "random"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_well_separated_blobs_are_recovered_exactly(rng, init, seed):
    X, truth = blobs(rng)
    km = MiniBatchKMeans(4, init=init, n_init=3, seed=seed).fit(X)
    assert same_partition(km.labels_, truth)
    means = np.array([X[truth == j].mean(axis=0) for j in range(4)])
    found = km.cluster_centers_[[km.labels_[truth == j][0] for j in range(4)]]
    np.testing.assert_allclose(found, means, atol=1e-5)


def test_a_centre_started_far_away_is_reseeded(rng):
    X, truth = blobs(rng, centres=CORNERS[:3])
    init = [[0.0, 0.0, 0.0], [0.5, 0.5, 0.5], [1000.0, 1000.0, 1000.0]]
    km = MiniBatchKMeans(3, init=init, seed=0).fit(X)
    assert np.bincount(km.labels_, minlength=3).min() > 0
    assert same_partition(km.labels_, truth)

@pytest.mark.parametrize("offset", [1e4, -3e4])
def test_data_far_from_the_origin_cluster_as_when_centred(rng, offset):
    # Distances are float32 expansions ||c||^2 - 2 x.c: far from the origin they
    # lose every digit that tells these blobs apart unless the data are centred.
    X, truth = blobs(rng, centres=CORNERS * 0.3, per_blob=100, spread=0.3)
    near = MiniBatchKMeans(4, seed=0).fit(X)
    far = MiniBatchKMeans(4, seed=0).fit(X + offset)
    assert far.inertia_ == pytest.approx(near.inertia_, rel=1e-4)
    np.testing.assert_allclose(far.cluster_centers_ - offset, near.cluster_centers_, atol=2e-3)
    d2 = sq_distances(X + offset, far.cluster_centers_)
    np.testing.assert_array_equal(far.labels_, d2.argmin(axis=1))
    np.testing.assert_array_equal(far.predict(X + offset), far.labels_)
    assert far.score(X + offset) == pytest.approx(-far.inertia_, rel=1e-4)
    _, idx = kmeans_plusplus(X + offset, 4, seed=0)
    assert same_partition(truth[idx], np.arange(4))  # one seed per blob, as near the origin


@pytest.mark.parametrize("offset", [1e7, 1.7e9, -3e9])
def test_float64_data_beyond_float32s_reach_cluster_as_when_centred(rng, offset):
    # float64 rows 1e7 (coordinates) or 1.7e9 (timestamps) from the origin were rounded
    # to float32 before they were centred: blobs 0.1 wide around 1e7 came back as single
    # points (inertia 0, every centre on a float32 value), and around 1e9 fit raised
    # "n_clusters=4 should be <= the number of distinct points ... (1)".
    X, truth = blobs(rng, centres=CORNERS * 0.1, per_blob=100, spread=0.01)
    near = MiniBatchKMeans(4, seed=0).fit(X)
    far = MiniBatchKMeans(4, seed=0).fit(X + offset)
    assert same_partition(far.labels_, truth) and same_partition(near.labels_, truth)
    assert far.inertia_ == pytest.approx(near.inertia_, rel=1e-3)
    np.testing.assert_allclose(np.sort(far.cluster_centers_ - offset, axis=0),
                               np.sort(near.cluster_centers_, axis=0), atol=1e-4)
    np.testing.assert_array_equal(far.predict(X + offset), far.labels_)
    assert far.score(X + offset) == pytest.approx(-far.inertia_, rel=1e-3)
    np.testing.assert_allclose(far.transform(X + offset), near.transform(X), atol=1e-4)
    _, idx = kmeans_plusplus(X + offset, 4, seed=0)
    assert same_partition(truth[idx], np.arange(4))


@pytest.mark.parametrize("offset", [1e12, 1e13, -1e13])
def test_float64_data_far_beyond_float32s_reach_keep_float64s_precision(rng, offset):
    # The first shift was the mean rounded to 24 significant bits, which left up to
    # 2**-25 of the offset for float32 to round: at 1e13 the inertia came out 1 % off,
    # and at 1e15 three clusters 1 apart became three points (inertia 0).
    X, truth = blobs(rng, centres=CORNERS[:3], per_blob=200, spread=0.05)
    far = MiniBatchKMeans(3, seed=0).fit(X + offset)
    assert same_partition(far.labels_, truth)
    residual = X + offset - far.cluster_centers_[far.labels_]  # exact in float64 here
    assert far.inertia_ == pytest.approx(float((residual ** 2).sum()), rel=1e-3)
    assert far.score(X + offset) == pytest.approx(-far.inertia_, rel=1e-3)


def _two_pairs_1d(offset, per_pair=100, seed=0):
    """Groups at 0 and ``offset``, each two sub-clusters 0.1 apart (spread 0.01): float64
    rows and the true labels, and the true centres."""
    centres = np.array([[0.0], [0.1], [offset], [offset + 0.1]])
    truth = np.repeat(np.arange(4), per_pair)
    X = centres[truth] + 0.01 * np.random.default_rng(seed).standard_normal((truth.size, 1))
    return X, truth, centres


def _neighbourhoods(n=2_000, seed=0):
    """Longitude and latitude of 5 neighbourhoods of San Francisco and 5 of New York,
    0.002 degrees apart with a spread of 0.0003: float64 rows and the true labels."""
    rng = np.random.default_rng(seed)
    centres = np.array([(x + 0.002 * i, y) for x, y in [(-122.42, 37.77), (-74.0, 40.71)]
                        for i in range(5)])
    truth = rng.integers(0, 10, n)
    return centres[truth] + rng.normal(0.0, 0.0003, (n, 2)), truth


@pytest.mark.parametrize("offset", [1e3, 1e5])
def test_float64_sub_clusters_beside_a_far_group_are_told_apart(offset):
    # The distances were float32 expansions of the data centred on the column mean: they
    # lost about 1e-7 of the squared distance from it, and sub-clusters 0.1 apart next to
    # a group 1e3 away came out mixed (ARI 0.66) even from the true centres.
    X, truth, centres = _two_pairs_1d(offset)
    given = MiniBatchKMeans(4, init=centres).fit(X)
    seeded = MiniBatchKMeans(4, seed=0, n_init=5).fit(X)
    assert same_partition(given.labels_, truth) and same_partition(seeded.labels_, truth)
    assert same_partition(seeded.predict(X), truth)
    _, idx = kmeans_plusplus(X, 4, seed=0)
    assert same_partition(truth[idx], np.arange(4))


def test_float64_neighbourhoods_of_two_cities_are_told_apart():
    # Each city's neighbourhoods, 0.002 degrees apart, were mixed (ARI 0.16, from the
    # true centres too): 0.002 is below what float32 expansions resolve 24 degrees of
    # longitude from the mean.
    X, truth = _neighbourhoods()
    km = MiniBatchKMeans(10, seed=0, n_init=5).fit(X)
    assert same_partition(km.labels_, truth)
    assert same_partition(km.predict(X), truth)


@pytest.mark.parametrize("data", ["pairs 1e7", "neighbourhoods"])
def test_float64_inertia_is_that_of_the_returned_labels_and_centres(data):
    # inertia_ and score were float32 sums of squares of the centred, float32-rounded
    # rows: at 1e7 they said 0.53 where the labels and centres returned give 11.19.
    X = (_two_pairs_1d(float(data.split()[1]))[0] if data.startswith("pairs")
         else _neighbourhoods()[0])
    km = MiniBatchKMeans(4 if data.startswith("pairs") else 10, seed=0).fit(X)
    exact = float(((X - km.cluster_centers_[km.labels_]) ** 2).sum())
    assert km.inertia_ == pytest.approx(exact, rel=1e-6)
    labels = km.predict(X)
    assert -km.score(X) == pytest.approx(
        float(((X - km.cluster_centers_[labels]) ** 2).sum()), rel=1e-6)


def test_given_centres_far_from_the_origin_are_shifted_as_the_data_are():
    # The centres were rounded to float32 before they were shifted: around 1e9 the
    # three given here became one point, and the fit put 0, 0.1, 0.9 and 1 together.
    offset = 1e9
    X = np.array([[0.0], [0.1], [0.9], [1.0], [5.0], [5.1]]) + offset
    init = np.array([[0.05], [0.95], [5.05]]) + offset
    km = MiniBatchKMeans(3, init=init).fit(X)
    assert km.labels_.tolist() == [0, 0, 1, 1, 2, 2]
    np.testing.assert_allclose(km.cluster_centers_.ravel() - offset, [0.05, 0.95, 5.05],
                               atol=1e-6)
    assert km.inertia_ == pytest.approx(0.015, rel=1e-4)


@pytest.mark.parametrize("scale", [1e19, 1e30, 1e37])
def test_data_too_large_to_square_in_float32_cluster_as_at_unit_scale(rng, scale):
    # Squared distances of rows beyond about 1e19 overflow float32: the fit came back
    # with inertia inf, a centre at 0 and wrong labels, and RuntimeWarnings.
    X, truth = blobs(rng, per_blob=20, spread=0.3)
    unit = MiniBatchKMeans(4, seed=0).fit(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        big = MiniBatchKMeans(4, seed=0).fit(X * scale)
        assert same_partition(big.labels_, truth) and same_partition(unit.labels_, truth)
        np.testing.assert_array_equal(big.labels_, unit.labels_)
        np.testing.assert_allclose(big.cluster_centers_ / scale, unit.cluster_centers_,
                                   rtol=1e-5, atol=1e-6)
        assert big.inertia_ / scale**2 == pytest.approx(unit.inertia_, rel=1e-4)
        np.testing.assert_array_equal(big.predict(X * scale), big.labels_)
        assert big.score(X * scale) == pytest.approx(-big.inertia_, rel=1e-4)
        np.testing.assert_array_equal(unit.predict(X * scale), unit.predict(X * 1e3))
        _, idx = kmeans_plusplus(X * scale, 4, seed=0)
        np.testing.assert_array_equal(idx, kmeans_plusplus(X, 4, seed=0)[1])


@pytest.mark.parametrize("scale", [1e-25, 1e-30, 1e-40])
def test_data_too_small_to_square_in_float32_cluster_as_at_unit_scale(rng, scale):
    # Squared distances of rows below about 1e-19 underflow float32: well separated
    # blobs at 1e-25 were refused as "too close together for float32 distances".
    X, truth = blobs(rng, per_blob=20, spread=0.3)
    unit = MiniBatchKMeans(4, seed=0).fit(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        small = MiniBatchKMeans(4, seed=0).fit(X * scale)
        assert same_partition(small.labels_, truth) and same_partition(unit.labels_, truth)
        np.testing.assert_array_equal(small.labels_, unit.labels_)
        np.testing.assert_allclose(small.cluster_centers_ / scale, unit.cluster_centers_,
                                   rtol=1e-4, atol=1e-5)
        assert small.inertia_ / scale**2 == pytest.approx(unit.inertia_, rel=1e-4)
        np.testing.assert_array_equal(small.predict(X * scale), small.labels_)
        assert small.score(X * scale) == pytest.approx(-small.inertia_, rel=1e-4)
        _, idx = kmeans_plusplus(X * scale, 4, seed=0)
        assert same_partition(truth[idx], np.arange(4))


@pytest.mark.parametrize("exponent", [-130, -200, -1000])
def test_float64_data_below_float32s_range_cluster_as_at_unit_scale(rng, exponent):
    # They were rounded to float32 before being scaled up: below about 1e-45 every
    # value became 0, and four distinct rows at 1e-300 were refused as one
    # ("should be <= the number of distinct points with positive weight (1)").
    # Scaling by a power of two is exact, so the fit is the unit fit scaled.
    X, truth = blobs(rng, per_blob=20, spread=0.3)
    tiny = np.ldexp(X, exponent)
    unit = MiniBatchKMeans(4, seed=0).fit(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        small = MiniBatchKMeans(4, seed=0).fit(tiny)
        np.testing.assert_array_equal(small.labels_, unit.labels_)
        assert same_partition(small.labels_, truth)
        np.testing.assert_array_equal(small.cluster_centers_,
                                      np.ldexp(unit.cluster_centers_, exponent))
        assert small.inertia_ == math.ldexp(unit.inertia_, 2 * exponent)
        np.testing.assert_array_equal(small.predict(tiny), small.labels_)
        assert small.score(tiny) == -small.inertia_
        np.testing.assert_array_equal(small.transform(tiny),
                                      np.ldexp(unit.transform(X), exponent))
        _, idx = kmeans_plusplus(tiny, 4, seed=0)
        np.testing.assert_array_equal(idx, kmeans_plusplus(X, 4, seed=0)[1])


def test_four_distinct_rows_near_1e_300_make_two_clusters():
    X = np.array([[0.0, 0.0], [0.0, 1.0], [10.0, 10.0], [10.0, 11.0]])
    km = MiniBatchKMeans(2, seed=0).fit(X * 1e-300)
    assert same_partition(km.labels_, np.array([0, 0, 1, 1]))
    centres = km.cluster_centers_[np.argsort(km.cluster_centers_[:, 0])] / 1e-300
    np.testing.assert_allclose(centres, [[0.0, 0.5], [10.0, 10.5]], rtol=1e-7, atol=1e-7)
    np.testing.assert_array_equal(km.predict(X * 1e-300), km.labels_)
    given = MiniBatchKMeans(2, init=np.array([[0.0, 0.5], [10.0, 10.5]]) * 1e-300).fit(X * 1e-300)
    assert given.labels_.tolist() == [0, 0, 1, 1]


def test_a_model_fitted_on_tiny_data_measures_larger_rows_without_overflow():
    # Rows are scaled for each call, not by the factor the fit used (2**992 here),
    # which would make 1e30 inf in float32.
    X = np.array([[0.0], [1.0], [10.0], [11.0]])
    km = MiniBatchKMeans(2, seed=0).fit(X * 1e-300)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert set(km.predict([[1e30], [-1e30]]).tolist()) <= {0, 1}
        assert km.score([[1e30], [-1e30]]) == pytest.approx(-2e60, rel=1e-6)
        np.testing.assert_allclose(km.transform([[1e30]]), [[1e30, 1e30]], rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.uint8, np.int64, np.float32, np.float64])
def test_integer_and_float_inputs_agree(rng, dtype):
    X, _ = blobs(rng, centres=CORNERS * 10 + 50, spread=3.0)
    X = np.clip(np.round(X), 0, 255)
    ref = MiniBatchKMeans(4, seed=5).fit(X.astype(np.float64))
    km = MiniBatchKMeans(4, seed=5).fit(X.astype(dtype))
    np.testing.assert_array_equal(km.labels_, ref.labels_)
    np.testing.assert_allclose(km.cluster_centers_, ref.cluster_centers_)


def test_sample_weights_equal_repeated_points(rng):
    X, _ = blobs(rng, per_blob=15)
    w = rng.integers(0, 4, size=X.shape[0])
    w[::15] = 1  # every blob keeps some weight
    X_rep = np.repeat(X, w, axis=0)
    init = CORNERS + 1.0
    weighted = MiniBatchKMeans(4, init=init, seed=0).fit(X, sample_weight=w)
    repeated = MiniBatchKMeans(4, init=init, seed=0).fit(X_rep)
    np.testing.assert_allclose(weighted.cluster_centers_, repeated.cluster_centers_, atol=1e-5)
    assert weighted.inertia_ == pytest.approx(repeated.inertia_, rel=1e-5)
    np.testing.assert_array_equal(np.repeat(weighted.labels_, w), repeated.labels_)
    # Scoring is deterministic, so the equivalence there is exact up to rounding.
    assert weighted.score(X, sample_weight=w) == pytest.approx(weighted.score(X_rep), rel=1e-9)


def test_zero_weight_points_are_ignored(rng):
    X, _ = blobs(rng, per_blob=20)
    outliers = np.full((5, 3), 500.0) + rng.standard_normal((5, 3))
    w = np.r_[np.ones(len(X)), np.zeros(5)]
    init = CORNERS + 1.0
    with_outliers = MiniBatchKMeans(4, init=init, seed=0).fit(np.r_[X, outliers], sample_weight=w)
    without = MiniBatchKMeans(4, init=init, seed=0).fit(X)
    np.testing.assert_allclose(with_outliers.cluster_centers_, without.cluster_centers_,
                               atol=1e-5)
    assert with_outliers.inertia_ == pytest.approx(without.inertia_, rel=1e-6)


def overlapping(rng, n=3000, d=3, k=6):
    """Overlapping Gaussian clusters: Lloyd needs many passes to settle."""
    centres = rng.uniform(0, 4, size=(k, d))
    return centres[rng.integers(0, k, n)] + rng.standard_normal((n, d))


def test_refine_never_raises_inertia(rng):
    # Large enough (> 131,072 rows) that the polish before refinement runs on a
    # sample and leaves the full passes work to do.
    X = overlapping(rng, n=140_000, d=2, k=12)
    inertias = [MiniBatchKMeans(12, refine=r, seed=11).fit(X).inertia_ for r in range(5)]
    # Refinement runs after the seeded phases, so each fit repeats the previous
    # one plus one more full Lloyd pass.
    for before, after in zip(inertias, inertias[1:], strict=False):
        assert after <= before * (1 + 1e-7)
    assert inertias[-1] < inertias[0]


def test_refine_stops_early_when_no_label_changes(rng):
    X, truth = blobs(rng)
    means = np.array([X[truth == j].mean(axis=0) for j in range(4)])
    # From the true means the settling pass changes no label, and so does the
    # first refinement pass: one pass each, whatever the cap.
    km = MiniBatchKMeans(4, init=means, refine=50, seed=0).fit(X)
    assert (km.n_steps_, km.n_iter_) == (0, 2)
    assert MiniBatchKMeans(4, init=means, refine=0, seed=0).fit(X).n_iter_ == 1
    np.testing.assert_array_equal(km.labels_, truth)


# --------------------------------------------------------------------------
# Phases and stop rules
# --------------------------------------------------------------------------


def test_small_data_skip_the_mini_batch_phase(rng):
    X = overlapping(rng, n=2000)
    # 2000 rows are at most 32 batches of 64 but more than 32 batches of 16.
    assert MiniBatchKMeans(6, batch_size=64, seed=0).fit(X).n_steps_ == 0
    assert MiniBatchKMeans(6, batch_size=16, seed=0).fit(X).n_steps_ > 0


def test_max_no_improvement_none_runs_every_step_of_max_iter(rng):
    X = overlapping(rng, n=2000)
    steps_per_pass = math.ceil(2000 / 16)
    off = MiniBatchKMeans(6, batch_size=16, max_iter=3, max_no_improvement=None,
                          seed=0).fit(X)
    assert off.n_steps_ == 3 * steps_per_pass
    # The same seed follows the same path until a rule fires, so a shorter
    # patience can only stop sooner; patience 1 stops well before the cap.
    steps = [MiniBatchKMeans(6, batch_size=16, max_iter=3, max_no_improvement=p,
                             seed=0).fit(X).n_steps_ for p in (1, 3, 10)]
    assert steps == sorted(steps) and steps[0] < 3 * steps_per_pass


def test_tol_stops_the_mini_batch_phase_on_a_small_shift(rng):
    X = overlapping(rng, n=2000)
    common = {"batch_size": 16, "max_iter": 3, "max_no_improvement": None, "seed": 0}
    # Any first shift is below a huge tolerance; tol=0 switches the rule off.
    assert MiniBatchKMeans(6, tol=1e9, **common).fit(X).n_steps_ == 1
    assert MiniBatchKMeans(6, tol=0.0, **common).fit(X).n_steps_ == 3 * math.ceil(2000 / 16)
    steps = [MiniBatchKMeans(6, tol=t, **common).fit(X).n_steps_ for t in (1e-2, 1e-4, 1e-6)]
    assert steps == sorted(steps) and 1 < steps[0] < steps[-1]


def test_fixed_seed_is_deterministic(rng):
    X = overlapping(rng, n=1500)
    a = MiniBatchKMeans(5, n_init=2, seed=42).fit(X)
    b = MiniBatchKMeans(5, n_init=2, seed=42).fit(X)
    c = MiniBatchKMeans(5, n_init=2, seed=np.random.default_rng(42)).fit(X)
    for other in (b, c):
        np.testing.assert_array_equal(a.cluster_centers_, other.cluster_centers_)
        np.testing.assert_array_equal(a.labels_, other.labels_)
        assert a.inertia_ == other.inertia_
        assert (a.n_iter_, a.n_steps_) == (other.n_iter_, other.n_steps_)
    np.testing.assert_array_equal(kmeans_plusplus(X, 5, seed=1)[1],
                                  kmeans_plusplus(X, 5, seed=1)[1])


@pytest.mark.parametrize("make", [
    lambda X: X.astype(np.float32),
    lambda X: X.astype(np.float64),
    lambda X: np.asfortranarray(X),
    lambda X: X[:, ::-1],
])
def test_callers_arrays_are_unchanged(rng, make):
    X = make(overlapping(rng, n=400))
    w = rng.uniform(0.5, 2.0, size=X.shape[0])
    init = X[:4].copy()
    X_copy, w_copy, init_copy = X.copy(), w.copy(), init.copy()
    km = MiniBatchKMeans(4, init=init, seed=0).fit(X, sample_weight=w)
    km.predict(X)
    km.transform(X)
    km.score(X, sample_weight=w)
    kmeans_plusplus(X, 4, sample_weight=w, seed=0)
    for after, before in ((X, X_copy), (w, w_copy), (init, init_copy)):
        np.testing.assert_array_equal(after, before)
        assert after.dtype == before.dtype
    assert not np.shares_memory(km.cluster_centers_, init)


@pytest.mark.parametrize("offset", [0.0, 1e4, 1e25])  # as is, shifted, scaled down
def test_read_only_float32_data_are_fitted_and_left_as_they_were(rng, offset):
    """Float32 data are fitted in place of a copy when they need no shift and no scale;
    a shift or a scale is made in a copy, never in the caller's (here read-only) array."""
    X = (overlapping(rng, n=400) * (1.0 + offset / 1e3) + offset).astype(np.float32)
    X_copy = X.copy()
    X.flags.writeable = False
    km = MiniBatchKMeans(4, seed=0).fit(X)
    ref = MiniBatchKMeans(4, seed=0).fit(X_copy.copy())
    np.testing.assert_array_equal(km.cluster_centers_, ref.cluster_centers_)
    np.testing.assert_array_equal(km.labels_, ref.labels_)
    assert km.inertia_ == ref.inertia_
    np.testing.assert_array_equal(kmeans_plusplus(X, 4, seed=1)[1],
                                  kmeans_plusplus(X_copy, 4, seed=1)[1])
    np.testing.assert_array_equal(X, X_copy)
    # Only the shifted or scaled data are copied.
    assert np.shares_memory(_centred_data(X)[0], X) == (offset == 0.0)


def test_fit_on_float32_holds_no_copy_of_the_data(rng, monkeypatch):
    """A fit of float32 rows near the origin reads them where they are, and its passes
    over all rows keep a few numbers a row beside them."""
    X = (rng.random((200_000, 3)) * 255).astype(np.float32)
    monkeypatch.setattr(_threads, "_count", 1)  # one run's band at a time
    tracemalloc.start()
    try:
        MiniBatchKMeans(16, seed=0).fit(X)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # About 4 times the rows' bytes: the weights (8 bytes a row), the labels and the
    # bounds of the refining passes (32). A copy of the data, copies of all rows in
    # the passes and full-length float64 temporaries took it to nearly 10 times.
    assert peak < 6.5 * X.nbytes


def test_restarts_hold_the_labels_of_one_finished_run(rng, monkeypatch):
    """Eight restarts one after the other keep the best run's labels, not all eight: the
    peak stays that of one run. The rows are 16 tight clusters, which the runs settle in
    a few passes, where uniform noise took several times as long (the peak was 4.7 times
    the rows' bytes on both, and 8.7 with every run's labels kept)."""
    means = rng.random((16, 3)) * 255
    X = (means[rng.integers(0, 16, 200_000)]
         + rng.normal(scale=2.0, size=(200_000, 3))).astype(np.float32)
    monkeypatch.setattr(_threads, "_count", 1)
    tracemalloc.start()
    try:
        km = MiniBatchKMeans(16, n_init=8, seed=0).fit(X)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # Eight runs' labels alone (8 x 8 bytes a row) are 5.3 times the rows' bytes.
    assert peak < 6.5 * X.nbytes
    # The kept run is the first of the lowest inertia, as on two threads.
    monkeypatch.setattr(_threads, "_count", 2)
    other = MiniBatchKMeans(16, n_init=8, seed=0).fit(X)
    np.testing.assert_array_equal(km.cluster_centers_, other.cluster_centers_)
    assert km.inertia_ == other.inertia_


def _four_blobs(n=70_000):
    rng = np.random.default_rng(32)
    means = np.array([[20.0, 200.0], [90.0, 40.0], [160.0, 120.0], [230.0, 220.0]])
    X = means[rng.integers(0, 4, n)] + rng.normal(scale=25.0, size=(n, 2))
    return np.round(X, 2).astype(np.float32), np.random.default_rng(33).integers(1, 4, n)


def test_fits_on_a_fixed_set_keep_their_centres():
    """Seeding, mini-batches, settling and refinement with bounds (70,000 rows), as float32
    and as weighted float64 with restarts: the centres, inertia and labels they had
    before the fit stopped copying its data, to the bit (float64: since float64 data are
    clustered in float64, the same labels, centres moved by about 1e-12 and the inertia
    the exact one of those, where float32 sums of squares had made it 142886435.287)."""
    X, w = _four_blobs()
    km = MiniBatchKMeans(6, seed=5).fit(X)
    assert km.cluster_centers_.tolist() == [
        [88.23246152862149, 37.74913381097512], [230.68575750541376, 221.08926756558986],
        [37.133406743768404, 189.23168348662495], [142.97078568150474, 103.03696895685948],
        [2.426259551636321, 210.43227365453586], [174.52750960337886, 133.82694391037015]]
    assert km.inertia_ == 71429275.33990666
    assert np.bincount(km.labels_).tolist() == [16626, 17189, 8805, 9038, 8642, 9700]
    km = MiniBatchKMeans(6, n_init=3, seed=5).fit(X.astype(np.float64), sample_weight=w)
    assert km.cluster_centers_.tolist() == [
        [107.49646425970562, 59.84291772765509], [211.77514634897292, 206.43667259001484],
        [19.87592838831455, 199.7882211236062], [78.90727987570793, 26.92610061200675],
        [161.46177773201333, 121.07941526093421], [245.27301146143571, 230.95406882989556]]
    # Its last bit depends on the order NumPy sums the squares in, which the processor's
    # vector instructions set: …803 and …804 on two machines, the centres the same bits
    assert km.inertia_ == pytest.approx(142886435.6844803, rel=1e-15, abs=0)
    assert np.bincount(km.labels_).tolist() == [8390, 8502, 17402, 10051, 16318, 9337]


# --------------------------------------------------------------------------
# Prediction API and scikit-learn compatibility
# --------------------------------------------------------------------------


def test_predict_transform_score_are_consistent(rng):
    X = overlapping(rng, n=2000)
    km = MiniBatchKMeans(6, seed=0).fit(X)
    np.testing.assert_array_equal(km.predict(X), km.labels_)
    np.testing.assert_array_equal(km.fit_predict(X), km.labels_)
    D = km.transform(X)
    assert D.shape == (2000, 6)
    np.testing.assert_allclose(D, np.sqrt(sq_distances(X, km.cluster_centers_)), rtol=1e-6)
    np.testing.assert_array_equal(D.argmin(axis=1), km.predict(X))
    assert km.score(X) == pytest.approx(-km.inertia_, rel=1e-6)
    d2 = ((X - km.cluster_centers_[km.labels_]) ** 2).sum()
    assert km.inertia_ == pytest.approx(d2, rel=1e-5)
    new = rng.standard_normal((7, 3))
    np.testing.assert_array_equal(km.predict(new), km.transform(new).argmin(axis=1))


def _predict_extra_bytes(km, X) -> int:
    """Peak bytes ``predict`` allocates on ``X`` beyond the labels it returns."""
    tracemalloc.start()
    try:
        labels = km.predict(X)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak - labels.nbytes


def test_predict_memory_does_not_grow_with_n_beyond_the_labels(rng, monkeypatch):
    X = rng.random((400_000, 3), dtype=np.float32)
    km = MiniBatchKMeans(32, seed=0).fit(X[:2000])
    X_before = X.copy()
    # On one thread: on two, a busy machine decides whether the halves' blocks are in
    # memory at once (the caller runs a half itself when no pool thread has begun it),
    # and the test failed under load, the larger call having had both at once.
    monkeypatch.setattr(_threads, "_count", 1)
    small = _predict_extra_bytes(km, X[:100_000])
    large = _predict_extra_bytes(km, X)
    # Working memory is one (chunk, k) block whatever n is; an (n, k) float32
    # distance matrix would add 300,000 x 32 x 4 bytes = 38 MB from one to the other.
    assert large - small <= 0.01 * 300_000 * 32 * 4
    np.testing.assert_array_equal(X, X_before)  # read in place, not changed


def test_sklearn_clone_and_params_round_trip():
    base = pytest.importorskip("sklearn.base", reason="scikit-learn is a dev extra")
    km = MiniBatchKMeans(5, init="random", n_init=2, batch_size=128, refine=3, seed=7)
    params = km.get_params()
    assert params == {"n_clusters": 5, "init": "random", "n_init": 2, "batch_size": 128,
                      "max_iter": 100, "tol": 0.0, "max_no_improvement": 10, "refine": 3,
                      "fixed_centers": None, "seed": 7}
    copy = base.clone(km)
    assert copy is not km and copy.get_params() == params
    other = MiniBatchKMeans()
    assert other.set_params(**params) is other
    assert other.get_params() == params
    assert "n_clusters=5" in repr(km) and "batch_size=128" in repr(km)
    # Defaults given as NumPy scalars are defaults: the repr showed n_init=np.int64(1).
    assert repr(MiniBatchKMeans(np.int64(8), n_init=np.int64(1), tol=np.float32(0),
                                refine=np.int64(6))) == "MiniBatchKMeans(refine=np.int64(6))"
    assert repr(MiniBatchKMeans(n_init=True)) == "MiniBatchKMeans(n_init=True)"  # not 1


try:  # scikit-learn is a dev extra: the reference, never a runtime dependency
    from sklearn.utils.estimator_checks import parametrize_with_checks
except ImportError:
    parametrize_with_checks = None

# Each is explained in the Notes of MiniBatchKMeans's docstring.
EXPECTED_FAILED_CHECKS = {
    "check_sample_weight_equivalence_on_dense_data":
        "weighted draws follow other random paths than repeated rows",
}

if parametrize_with_checks is None:
    @pytest.mark.skip(reason="scikit-learn (dev extra) is not installed")
    def test_passes_sklearn_estimator_checks():
        """Placeholder reported as skipped when scikit-learn is missing."""
else:
    # Small settings keep the checks fast; batch_size=10 sends data of more
    # than 320 rows through the mini-batch phase, smaller data straight to Lloyd.
    with warnings.catch_warnings():
        # Deliberately not a BaseEstimator subclass: scikit-learn is not imported.
        warnings.filterwarnings("ignore", message=".*does not inherit from",
                                category=UserWarning)
        _sklearn_checks = parametrize_with_checks(
            [MiniBatchKMeans(2, max_iter=5, batch_size=10, seed=0)],
            expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS,
        )

    @_sklearn_checks
    def test_passes_sklearn_estimator_checks(estimator, check):
        check(estimator)


def test_docstring_names_how_the_estimator_checks_run_and_what_fails():
    # It said MiniBatchKMeans(2) failed two checks and listed one; with seed=None it
    # failed four, as scikit-learn's checks fix only a parameter named random_state.
    doc = MiniBatchKMeans.__doc__
    assert "``MiniBatchKMeans(2, seed=0)``" in " ".join(doc.split())
    assert "one check that conflicts" in doc
    notes = doc.split("Notes\n")[1].split("Examples\n")[0]
    assert set(re.findall(r"^ *- ``(check_\w+)``", notes, re.M)) == set(EXPECTED_FAILED_CHECKS)


def test_works_in_a_pipeline_and_grid_search(rng):
    pipeline = pytest.importorskip("sklearn.pipeline", reason="scikit-learn is a dev extra")
    model_selection = pytest.importorskip("sklearn.model_selection")
    preprocessing = pytest.importorskip("sklearn.preprocessing")
    X, truth = blobs(rng, centres=CORNERS * 100.0, per_blob=40)
    w = rng.uniform(0.5, 2.0, size=X.shape[0])
    pipe = pipeline.Pipeline([("scale", preprocessing.StandardScaler()),
                              ("km", MiniBatchKMeans(4, seed=0))])
    pipe.fit(X, km__sample_weight=w)
    assert same_partition(pipe.predict(X), truth)
    assert pipe.named_steps["km"].n_features_in_ == 3
    # score is -inertia, so more clusters always score better on held-out folds here.
    search = model_selection.GridSearchCV(MiniBatchKMeans(seed=0), {"n_clusters": [2, 3, 4]},
                                          cv=3).fit(X)
    assert search.best_params_ == {"n_clusters": 4}
    assert same_partition(search.best_estimator_.predict(X), truth)
    ranks = search.cv_results_["rank_test_score"].tolist()
    assert ranks == [3, 2, 1]


def test_feature_names_out_name_one_column_per_centre_as_sklearn_does(monkeypatch):
    monkeypatch.delitem(sys.modules, "sklearn.exceptions", raising=False)
    with pytest.raises(NotFittedError, match=r"^this MiniBatchKMeans is not fitted yet; "):
        MiniBatchKMeans(2).get_feature_names_out()
    km = MiniBatchKMeans(3, seed=0).fit(CORNERS)
    names = km.get_feature_names_out()
    assert names.dtype == object and names.tolist() == [
        "minibatchkmeans0", "minibatchkmeans1", "minibatchkmeans2"]
    assert km.get_feature_names_out(["a", "b", "c"]).tolist() == names.tolist()
    with pytest.raises(ValueError, match=r"^input_features should have length equal to "
                                         r"n_features_in_=3, got 2 names$"):
        km.get_feature_names_out(["a", "b"])


def test_feature_names_out_match_sklearns_own_minibatchkmeans():
    cluster = pytest.importorskip("sklearn.cluster", reason="scikit-learn is a dev extra")
    theirs = cluster.MiniBatchKMeans(4, n_init=1, random_state=0).fit(CORNERS)
    ours = MiniBatchKMeans(4, seed=0).fit(CORNERS).get_feature_names_out()
    assert ours.dtype == theirs.get_feature_names_out().dtype
    assert ours.tolist() == theirs.get_feature_names_out().tolist()


def test_set_output_chooses_the_container_of_transform(monkeypatch):
    """A stand-in pandas records what set_output(transform="pandas") builds, so the rule
    is tested where pandas is not installed; the real one runs in the Pipeline test."""
    class Frame:
        def __init__(self, data, index=None, columns=None):
            self.data, self.index, self.columns = data, index, columns

    monkeypatch.setitem(sys.modules, "pandas", types.SimpleNamespace(DataFrame=Frame))
    km = MiniBatchKMeans(2, seed=0).fit(GOOD_X)
    plain = km.transform(GOOD_X)
    assert km.set_output(transform="pandas") is km
    framed = km.transform(GOOD_X)
    np.testing.assert_array_equal(framed.data, plain)
    assert framed.index is None and framed.columns.tolist() == [
        "minibatchkmeans0", "minibatchkmeans1"]
    assert km.set_output() is km and isinstance(km.fit_transform(GOOD_X), Frame)  # kept
    km.set_output(transform="default")
    assert isinstance(km.transform(GOOD_X), np.ndarray)
    with pytest.raises(ValueError, match=r"^transform='numpy' is not valid; expected one "
                                         r"of 'default', 'pandas', 'polars'$"):
        km.set_output(transform="numpy")


def test_fit_keeps_a_frames_string_column_names_as_feature_names_in():
    class Columns(np.ndarray):
        """An array with column names, as a DataFrame gives them."""

    data = np.asarray(GOOD_X, dtype=float)
    named = data.view(Columns)
    named.columns = ["r", "g"][:data.shape[1]]
    km = MiniBatchKMeans(2, seed=0).fit(named)
    assert km.feature_names_in_.tolist() == named.columns
    assert km.get_feature_names_out(named.columns).tolist() == [
        "minibatchkmeans0", "minibatchkmeans1"]
    with pytest.raises(ValueError, match=r"^input_features is not equal to "
                                         r"feature_names_in_: got \['x', 'y'\], fitted on "
                                         r"\['r', 'g'\]$"):
        km.get_feature_names_out(["x", "y"])
    named.columns = [0, 1]  # names that are not all strings are not kept
    assert not hasattr(km.fit(named), "feature_names_in_")
    assert not hasattr(MiniBatchKMeans(2, seed=0).partial_fit(data), "feature_names_in_")


def test_columns_named_otherwise_than_at_fit_are_refused_not_taken_by_position():
    class Columns(np.ndarray):
        """An array with column names, as a DataFrame gives them."""

    def named(data, columns):
        view = np.asarray(data, dtype=float).view(Columns)
        view.columns = columns
        return view

    data = np.asarray(GOOD_X, dtype=float)
    km = MiniBatchKMeans(2, seed=0).fit(named(data, ["r", "g"]))
    swapped = named(data[:, ::-1], ["g", "r"])
    for method in (km.predict, km.transform, km.score, km.partial_fit):
        with pytest.raises(ValueError) as info:
            method(swapped)
        assert str(info.value) == ("X has columns ['g', 'r'], but MiniBatchKMeans was "
                                   "fitted on ['r', 'g'], in that order")
    with pytest.warns(UserWarning, match=r"^X does not have valid feature names, but "
                                         r"MiniBatchKMeans was fitted with feature names$"):
        km.predict(data)
    bare = MiniBatchKMeans(2, seed=0).fit(data)
    with pytest.warns(UserWarning, match=r"^X has feature names, but MiniBatchKMeans was "
                                         r"fitted without feature names$"):
        bare.predict(named(data, ["r", "g"]))
    assert km.predict(named(data, ["r", "g"])).tolist() == km.labels_.tolist()


def test_set_output_to_a_library_not_installed_is_one_line(monkeypatch):
    monkeypatch.setitem(sys.modules, "polars", None)  # its import fails
    km = MiniBatchKMeans(2, seed=0).fit(GOOD_X).set_output(transform="polars")
    with pytest.raises(ImportError, match=r"^set_output\(transform='polars'\) needs polars, "
                                          r"which is not installed; install it or call "
                                          r"set_output\(transform='default'\)$"):
        km.transform(GOOD_X)


def test_feature_names_and_output_in_a_pipeline_and_column_transformer(rng):
    pipeline = pytest.importorskip("sklearn.pipeline", reason="scikit-learn is a dev extra")
    compose = pytest.importorskip("sklearn.compose")
    preprocessing = pytest.importorskip("sklearn.preprocessing")
    checks = pytest.importorskip("sklearn.utils.estimator_checks")
    X, _ = blobs(rng, per_blob=10)
    pipe = pipeline.Pipeline([("scale", preprocessing.StandardScaler()),
                              ("km", MiniBatchKMeans(4, seed=0))]).fit(X)
    assert pipe.get_feature_names_out().tolist() == [f"minibatchkmeans{i}" for i in range(4)]
    assert isinstance(pipe.set_output(transform="default").transform(X), np.ndarray)
    columns = compose.ColumnTransformer([("km", MiniBatchKMeans(2, seed=0), [0, 1])],
                                        remainder="passthrough").fit(X)
    assert columns.get_feature_names_out().tolist() == [
        "km__minibatchkmeans0", "km__minibatchkmeans1", "remainder__x2"]
    for check in ("check_get_feature_names_out_error",
                  "check_transformer_get_feature_names_out", "check_set_output_transform"):
        getattr(checks, check)("MiniBatchKMeans", MiniBatchKMeans(2, seed=0))


def test_pipeline_set_output_pandas_gives_named_columns_and_the_index(rng):
    pipeline = pytest.importorskip("sklearn.pipeline", reason="scikit-learn is a dev extra")
    preprocessing = pytest.importorskip("sklearn.preprocessing")
    checks = pytest.importorskip("sklearn.utils.estimator_checks")
    pd = pytest.importorskip("pandas", reason="pandas is not installed: the DataFrame "
                                              "output of set_output is not checked")
    X, _ = blobs(rng, per_blob=10)
    frame = pd.DataFrame(X, columns=["r", "g", "b"], index=range(100, 100 + len(X)))

    def make():
        return pipeline.Pipeline([("scale", preprocessing.StandardScaler()),
                                  ("km", MiniBatchKMeans(4, seed=0))])

    pipe = make().set_output(transform="pandas").fit(frame)
    out = pipe.transform(frame)
    assert list(out.columns) == [f"minibatchkmeans{i}" for i in range(4)]
    assert list(out.index) == list(frame.index)
    assert pipe[-1].feature_names_in_.tolist() == ["r", "g", "b"]
    np.testing.assert_allclose(out.to_numpy(), make().fit(X).transform(X))
    for check in ("check_set_output_transform_pandas", "check_global_output_transform_pandas",
                  "check_transformer_get_feature_names_out_pandas"):
        getattr(checks, check)("MiniBatchKMeans", MiniBatchKMeans(2, seed=0))


def _blob_chunks(rng, n_chunks=4, per_blob=25):
    """Chunks of points around the four CORNERS, each chunk holding every blob."""
    return [blobs(rng, per_blob=per_blob) for _ in range(n_chunks)]


def _by_first_coords(centers):
    return centers[np.lexsort(centers.T[::-1])]


def test_partial_fit_over_chunks_finds_each_blobs_mean(rng):
    chunks = _blob_chunks(rng)
    km = MiniBatchKMeans(4, batch_size=16, seed=0)
    for X, _ in chunks:
        assert km.partial_fit(X) is km
    everything = np.concatenate([X for X, _ in chunks])
    truth = np.concatenate([t for _, t in chunks])
    assert same_partition(km.predict(everything), truth)
    # Every point went to its blob's centre from the first batch on: with rates of
    # 1/count each centre is the mean of all its blob's points over all chunks.
    means = np.array([everything[truth == j].mean(axis=0) for j in range(4)])
    np.testing.assert_allclose(_by_first_coords(km.cluster_centers_),
                               _by_first_coords(means), atol=1e-5)
    last, last_truth = chunks[-1]
    assert same_partition(km.labels_, last_truth) and km.labels_.shape == (100,)
    assert km.inertia_ == pytest.approx(float(sq_distances(last, km.cluster_centers_)
                                              .min(axis=1).sum()), rel=1e-5)
    assert (km.n_steps_, km.n_iter_, km.n_features_in_) == (4 * 7, 4, 3)  # ceil(100/16)


def test_partial_fit_is_deterministic_at_a_fixed_seed_and_leaves_x_unchanged(rng):
    chunks = [X for X, _ in _blob_chunks(rng)]
    before = [X.copy() for X in chunks]
    fitted = []
    for _ in range(2):
        km = MiniBatchKMeans(4, batch_size=32, seed=5)
        for X in chunks:
            km.partial_fit(X)
        fitted.append(km)
    np.testing.assert_array_equal(fitted[0].cluster_centers_, fitted[1].cluster_centers_)
    np.testing.assert_array_equal(fitted[0].labels_, fitted[1].labels_)
    for X, old in zip(chunks, before, strict=True):
        np.testing.assert_array_equal(X, old)


def test_partial_fit_a_zero_weight_chunk_moves_nothing(rng):
    (X1, _), (X2, _), (X3, _) = _blob_chunks(rng, n_chunks=3)
    plain, weighed = MiniBatchKMeans(4, seed=1), MiniBatchKMeans(4, seed=1)
    plain.partial_fit(X1)
    weighed.partial_fit(X1)
    centres = weighed.cluster_centers_.copy()
    weighed.partial_fit(X2 + 100.0, sample_weight=np.zeros(len(X2)))
    np.testing.assert_array_equal(weighed.cluster_centers_, centres)
    assert weighed.inertia_ == 0.0
    plain.partial_fit(X3)
    weighed.partial_fit(X3)  # and the counts it carries on with are unchanged too
    np.testing.assert_array_equal(weighed.cluster_centers_, plain.cluster_centers_)


def test_partial_fit_weights_count_as_repeated_rows():
    X = np.array([[0.0], [1.0], [10.0], [14.0]])
    km = MiniBatchKMeans(2, init=np.array([[0.0], [10.0]])).partial_fit(
        X, sample_weight=[3.0, 1.0, 1.0, 3.0])
    np.testing.assert_allclose(km.cluster_centers_, [[0.25], [13.0]])
    km.partial_fit([[2.0], [12.0]], sample_weight=[4.0, 0.0])  # rate 4/(4 + 4)
    np.testing.assert_allclose(km.cluster_centers_, [[1.125], [13.0]])


def _stream_after_a_far_first_chunk(seed):
    """partial_fit over a stream whose first chunk seeds one centre on three rows far
    from everything after: four blobs, and rows beside them of weight 0 farther still."""
    rng = np.random.default_rng(7)
    means = np.array([[0.0, 0.0], [5.0, 0.0], [0.0, 5.0], [5.0, 5.0]])
    first = np.concatenate([rng.normal(m, 0.1, (30, 2)) for m in means[:3]]
                           + [rng.normal(100.0, 0.1, (3, 2))])
    km = MiniBatchKMeans(4, batch_size=32, seed=seed).partial_fit(first)
    far_centres = int((km.cluster_centers_ > 50).all(axis=1).sum())
    for _ in range(40):
        chunk = np.concatenate([rng.normal(m, 0.1, (20, 2)) for m in means]
                               + [np.full((4, 2), 1000.0)])
        km.partial_fit(chunk, sample_weight=np.r_[np.ones(80), np.zeros(4)])
    return km, means, far_centres


def test_partial_fit_moves_a_centre_no_row_reaches_onto_the_data():
    km, means, far_centres = _stream_after_a_far_first_chunk(seed=0)
    assert far_centres == 1  # seeded on the far rows, which no later chunk comes near
    # Every centre ends nearer one blob than half their spacing, one to each (none on
    # the rows of weight 0); a centre moved late still carries the count it was given.
    nearest = np.linalg.norm(km.cluster_centers_[:, None] - means[None], axis=2)
    assert sorted(nearest.argmin(axis=1).tolist()) == [0, 1, 2, 3]
    assert nearest.min(axis=1).max() < 2.5
    assert np.bincount(km.labels_[:80], minlength=4).tolist() == [20] * 4


def test_partial_fit_reassignments_are_the_same_at_a_fixed_seed():
    first, _, _ = _stream_after_a_far_first_chunk(seed=4)
    again, _, _ = _stream_after_a_far_first_chunk(seed=4)
    np.testing.assert_array_equal(first.cluster_centers_, again.cluster_centers_)
    np.testing.assert_array_equal(first._counts, again._counts)


def _pickled_without_its_generator(km: MiniBatchKMeans) -> MiniBatchKMeans:
    """``km`` as a pickle made before ``_rng`` was kept comes back: without it."""
    copy = pickle.loads(pickle.dumps(km))
    del copy.__dict__["_rng"]
    return pickle.loads(pickle.dumps(copy))


@pytest.mark.parametrize("start", ["fit", "partial_fit"])
def test_partial_fit_goes_on_for_a_model_pickled_before_its_generator_was_kept(start):
    # It raised "AttributeError: 'MiniBatchKMeans' object has no attribute '_rng'".
    rng = np.random.default_rng(7)
    means = np.array([[0.0, 0.0], [5.0, 0.0], [0.0, 5.0], [5.0, 5.0]])
    first = np.concatenate([rng.normal(m, 0.1, (30, 2)) for m in means[:3]]
                           + [rng.normal(100.0, 0.1, (3, 2))])
    km = getattr(MiniBatchKMeans(4, batch_size=32, seed=5), start)(first)
    old = _pickled_without_its_generator(km)
    twin = pickle.loads(pickle.dumps(km))
    twin._rng = np.random.default_rng(5)  # a new Generator of the model's seed
    for _ in range(20):  # reassignments draw on it every 10th batch
        chunk = np.concatenate([rng.normal(m, 0.1, (20, 2)) for m in means])
        assert old.partial_fit(chunk) is old
        twin.partial_fit(chunk)
    np.testing.assert_array_equal(old.cluster_centers_, twin.cluster_centers_)
    nearest = np.linalg.norm(old.cluster_centers_[:, None] - means[None], axis=2)
    assert sorted(nearest.argmin(axis=1).tolist()) == [0, 1, 2, 3]


def test_partial_fit_refuses_another_feature_count_in_one_line(rng):
    km = MiniBatchKMeans(2, seed=0).partial_fit(GOOD_X)
    with pytest.raises(ValueError) as info:
        km.partial_fit(np.zeros((4, 3)))
    assert str(info.value) == ("X has 3 features, but MiniBatchKMeans is expecting 2 "
                               "features as input")


def test_partial_fit_refuses_n_clusters_changed_between_calls():
    km = MiniBatchKMeans(2, seed=0).partial_fit(GOOD_X)
    centres = km.cluster_centers_.copy()
    km.set_params(n_clusters=3)
    with pytest.raises(ValueError) as info:
        km.partial_fit(GOOD_X)
    assert str(info.value) == ("n_clusters=3 but the model has 2 centres from earlier "
                               "calls; fit it again or partial_fit a new model to change it")
    np.testing.assert_array_equal(km.cluster_centers_, centres)


def test_partial_fit_first_chunk_needs_k_distinct_weighted_rows():
    with pytest.raises(ValueError, match=r"^n_clusters=3 should be <= the number of "
                                         r"distinct points with positive weight \(2\): "
                                         r"seeding chooses that many distinct rows as "
                                         r"centres$"):
        MiniBatchKMeans(3, seed=0).partial_fit([[0.0], [0.0], [1.0], [5.0]],
                                               sample_weight=[1, 1, 1, 0])
    with pytest.raises(ValueError, match=r"^sample_weight sums to 0.0; expected a positive"):
        MiniBatchKMeans(2, seed=0).partial_fit(GOOD_X, sample_weight=0.0)


def test_fit_after_partial_fit_starts_afresh_and_partial_fit_after_fit_goes_on(rng):
    (X1, t1), (X2, t2) = _blob_chunks(rng, n_chunks=2)
    fresh = MiniBatchKMeans(4, seed=3).fit(X1)
    km = MiniBatchKMeans(4, seed=3).partial_fit(X2).fit(X1)
    np.testing.assert_array_equal(km.cluster_centers_, fresh.cluster_centers_)
    km.partial_fit(X2)  # each centre weighs its fitted cluster: the means of both chunks
    both, truth = np.concatenate([X1, X2]), np.concatenate([t1, t2])
    means = np.array([both[truth == j].mean(axis=0) for j in range(4)])
    np.testing.assert_allclose(_by_first_coords(km.cluster_centers_),
                               _by_first_coords(means), atol=1e-5)


def test_sklearn_api_works_without_sklearn():
    code = textwrap.dedent("""
        import sys
        sys.modules["sklearn"] = None  # any import of scikit-learn now fails
        import copy
        import numpy as np
        from quantize import MiniBatchKMeans
        X = np.array([[0.0, 0.0], [0.0, 1.0], [5.0, 5.0], [5.0, 6.0]])
        km = MiniBatchKMeans(2, seed=0)
        twin = type(km)(**km.get_params())
        assert twin.set_params(n_clusters=2) is twin
        assert km.fit(X, None) is km and km.n_features_in_ == 2
        assert km.fit_predict(X).tolist() == km.predict(X).tolist()
        assert km.fit_transform(X).shape == (4, 2)
        assert copy.deepcopy(km).score(X) == km.score(X)
        print("ok", sorted(k for k in sys.modules if k.startswith("sklearn")))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[0] == "ok ['sklearn']"  # only the blocked entry


# Restarts run together on small data, and one by one (side by side) once there is a
# mini-batch phase: more than 32 batches of rows.
RESTART_PATHS = pytest.mark.parametrize(("n", "batch_size", "together"),
                                        [(300, 2048, True), (600, 16, False)])


def documented_runs(seed, n_init):
    """The Generators of the ``n_init`` runs at an int ``seed``, as ``n_init`` documents them."""
    first = np.random.default_rng(seed)
    return [first, *first.spawn(n_init - 1)]


def check_path(n, batch_size, together):
    p = MiniBatchKMeans(8, n_init=2, batch_size=batch_size)._validated_params(2)
    assert runs_fit_together(n, p) is together


@RESTART_PATHS
def test_n_init_keeps_the_best_of_the_documented_runs(rng, n, batch_size, together):
    check_path(n, batch_size, together)
    X = overlapping(rng, n=n, d=2, k=8)
    # At seed 4 the best run on both paths is run 0, the Generator itself.
    singles = [MiniBatchKMeans(8, batch_size=batch_size, refine=2, seed=gen).fit(X)
               for gen in documented_runs(4, 4)]
    best = MiniBatchKMeans(8, n_init=4, batch_size=batch_size, refine=2, seed=4).fit(X)
    inertias = [s.inertia_ for s in singles]
    assert best.inertia_ == min(inertias)
    kept = singles[int(np.argmin(inertias))]
    np.testing.assert_array_equal(best.cluster_centers_, kept.cluster_centers_)
    np.testing.assert_array_equal(best.labels_, kept.labels_)
    assert len(set(inertias)) > 1  # the restarts really differ


@pytest.mark.parametrize(("n", "batch_size", "together", "seed"),
                         [(300, 2048, True, 11), (600, 16, False, 3)])
def test_more_restarts_never_end_with_a_higher_inertia(rng, n, batch_size, together, seed):
    """n_init=k + 1 makes the runs of n_init=k and one more. At these seeds, when every
    run of n_init > 1 was a spawned child, some n_init ended higher than a smaller one."""
    check_path(n, batch_size, together)
    X = overlapping(rng, n=n, d=2, k=8)
    inertias = [MiniBatchKMeans(8, n_init=m, batch_size=batch_size, seed=seed).fit(X).inertia_
                for m in range(1, 7)]
    assert inertias == sorted(inertias, reverse=True)
    assert inertias[-1] < inertias[0]  # some restart did better


@pytest.mark.parametrize(("copies", "batch_size"), [(1, 2048), (20, 1)])  # together, one by one
def test_restarts_tied_on_inertia_keep_the_earliest_run(copies, batch_size):
    X = np.repeat([[0.0, 0.0], [0.0, 1.0], [10.0, 10.0], [10.0, 11.0]], copies, axis=0)
    runs = [MiniBatchKMeans(2, batch_size=batch_size, seed=gen).fit(X).cluster_centers_
            for gen in documented_runs(2, 5)]
    assert any(not np.array_equal(run, runs[0]) for run in runs)  # the runs order the pairs apart
    for n_init in range(1, 6):
        km = MiniBatchKMeans(2, n_init=n_init, batch_size=batch_size, seed=2).fit(X)
        assert km.inertia_ == copies * 1.0
        np.testing.assert_array_equal(km.cluster_centers_, runs[0])


@RESTART_PATHS
def test_a_generator_seed_is_drawn_on_as_by_one_run(rng, n, batch_size, together):
    """Equal Generators give equal fits; run 0 leaves the Generator as the run of
    n_init=1 leaves it."""
    check_path(n, batch_size, together)
    X = overlapping(rng, n=n, d=2, k=8)
    gens = [np.random.default_rng(5) for _ in range(3)]
    a, b = (MiniBatchKMeans(8, n_init=3, batch_size=batch_size, seed=gen).fit(X)
            for gen in gens[:2])
    np.testing.assert_array_equal(a.cluster_centers_, b.cluster_centers_)
    np.testing.assert_array_equal(a.labels_, b.labels_)
    assert a.inertia_ == b.inertia_
    MiniBatchKMeans(8, batch_size=batch_size, seed=gens[2]).fit(X)
    assert gens[0].random() == gens[2].random()


def test_restarts_side_by_side_give_the_runs_one_after_the_other(rng, monkeypatch):
    X = overlapping(rng, n=60_000, k=5).astype(np.float32)
    km = MiniBatchKMeans(5, n_init=3, seed=4)
    assert not runs_fit_together(X.shape[0], km._validated_params(X.shape[1]))
    monkeypatch.setattr(_threads, "_count", 1)
    alone = km.fit(X).cluster_centers_.copy()
    monkeypatch.setattr(_threads, "_count", 2)
    np.testing.assert_array_equal(km.fit(X).cluster_centers_, alone)


def test_inertia_within_one_percent_of_sklearn_kmeans(rng):
    cluster = pytest.importorskip(
        "sklearn.cluster", reason="scikit-learn (dev extra) is the reference implementation")
    X = overlapping(rng, n=4000, d=4, k=8)
    ref = cluster.KMeans(8, n_init=1, random_state=0).fit(X)
    ours = MiniBatchKMeans(8, seed=0).fit(X)
    assert ours.inertia_ <= 1.01 * ref.inertia_


# --------------------------------------------------------------------------
# Lloyd's algorithm step by step: max_iter, n_iter_ and converged_
# --------------------------------------------------------------------------

LINE = np.array([[1.0], [2.0], [3.0], [10.0], [11.0], [12.0]])


def test_one_lloyd_step_from_given_centres_by_hand():
    # From 1 and 2: {1} and {2, 3, 10, 11, 12} give means 1 and 7.6, which take 2 and 3.
    # It took 2 passes and n_iter_ 3 whatever max_iter: settling was not bounded by it.
    km = MiniBatchKMeans(2, init=[[1.0], [2.0]], max_iter=1, refine=0).fit(LINE)
    assert km.cluster_centers_.ravel().tolist() == [1.0, 7.6]
    assert km.labels_.tolist() == [0, 0, 0, 1, 1, 1]
    assert km.inertia_ == pytest.approx(0 + 1 + 4 + 2.4**2 + 3.4**2 + 4.4**2, rel=1e-12)
    assert km.n_iter_ == 1 and not km.converged_


@pytest.mark.parametrize(("refine", "converged", "n_iter"), [
    (0, False, 1),  # no refinement pass: not known
    (1, False, 2),  # the one pass changed no label, but it was the last allowed
    (5, True, 2),   # stopped after one pass, which changed no label
])
def test_converged_says_whether_refinement_stopped_on_a_still_pass(refine, converged, n_iter):
    km = MiniBatchKMeans(2, init=[[1.0], [2.0]], max_iter=1, refine=refine).fit(LINE)
    assert km.converged_ is converged and km.n_iter_ == n_iter
    if refine:
        assert km.cluster_centers_.ravel().tolist() == [2.0, 11.0]


def test_converged_after_restarts_repeated_rows_and_partial_fit():
    X = np.array([[0.0], [0.0], [1.0], [5.0], [6.0], [6.0]])
    together = MiniBatchKMeans(2, n_init=3, seed=0).fit(X)  # runs passed together
    alone = MiniBatchKMeans(2, n_init=3, batch_size=1, seed=0).fit(X)  # one by one
    assert together.converged_ is True and alone.converged_ is True
    with pytest.warns(DistinctClustersWarning):
        assert MiniBatchKMeans(5, seed=0).fit(X).converged_ is True  # inertia 0
    assert together.partial_fit(X).converged_ is False


def _photo_sample(n):
    """``n`` pixels of scikit-image's astronaut, float64 in [0, 1], in a fixed order."""
    data = pytest.importorskip("skimage.data")
    pixels = data.astronaut().reshape(-1, 3) / 255.0
    return pixels[np.random.default_rng(0).choice(pixels.shape[0], n, replace=False)]


@pytest.mark.parametrize("max_iter", [1, 2, 3])
def test_max_iter_steps_lloyd_as_sklearn_kmeans_on_a_photo(max_iter):
    # On data that skip the mini-batch phase, max_iter did not bound the settling
    # passes: max_iter=1, 2 and 3 all gave inertia 164.833 and n_iter_ 14 on 5,000
    # pixels, where scikit-learn's KMeans gave 249.461, 207.605 and 177.945.
    cluster = pytest.importorskip(
        "sklearn.cluster", reason="scikit-learn (dev extra) is the reference implementation")
    X = _photo_sample(2000)
    init = X[:4].copy()
    ours = MiniBatchKMeans(4, init=init, max_iter=max_iter, refine=0).fit(X)
    ref = cluster.KMeans(4, init=init, n_init=1, max_iter=max_iter, tol=0.0).fit(X)
    np.testing.assert_array_equal(ours.labels_, ref.labels_)
    np.testing.assert_allclose(ours.cluster_centers_, ref.cluster_centers_, rtol=0, atol=1e-12)
    assert ours.inertia_ == pytest.approx(ref.inertia_, rel=1e-10)
    assert ours.n_iter_ == ref.n_iter_ == max_iter


def test_max_iter_bounds_the_passes_of_restarts_taken_together():
    X = _photo_sample(2000)
    p = MiniBatchKMeans(4, n_init=3)._validated_params(3)
    assert runs_fit_together(X.shape[0], p)
    assert MiniBatchKMeans(4, n_init=3, max_iter=2, refine=0, seed=0).fit(X).n_iter_ == 2


# --------------------------------------------------------------------------
# Bad parameters and inputs
# --------------------------------------------------------------------------

GOOD_X = np.array([[0.0, 0.0], [0.0, 1.0], [5.0, 5.0], [5.0, 6.0]])


@pytest.mark.parametrize(("params", "error", "match"), [
    ({"n_clusters": 0}, ValueError, r"n_clusters=0 should be >= 1"),
    ({"n_clusters": 2.5}, TypeError, r"n_clusters=2\.5 should be an integer, got float"),
    ({"n_clusters": True}, TypeError, r"n_clusters=True should be an integer, got bool"),
    ({"init": "foo"}, ValueError, r"init='foo' is not valid; expected one of 'k-means\+\+'"),
    ({"init": [[0.0, 0.0]]}, ValueError,
     r"init should have shape \(n_clusters, n_features\) = \(2, 2\), got \(1, 2\)"),
    # said "Reshape your data with X.reshape(-1, 1) ...": X for a wrong init
    ({"init": [1, 2]}, ValueError,
     r"^init should be a 2-D \(n_clusters, n_features\) = \(2, 2\) array, got shape "
     r"\(2,\)$"),
    ({"init": np.zeros((2, 2, 1))}, ValueError,
     r"^init should be a 2-D \(n_clusters, n_features\) = \(2, 2\) array, got shape "
     r"\(2, 2, 1\)$"),
    ({"init": [[0.0, 0.0], [1.0, 1.0]], "n_init": 3}, ValueError,
     r"n_init=3 should be 1 when init is an array"),
    # a callable, as scikit-learn takes, failed inside NumPy: "init should be a numeric
    # (n, d) array: float() argument must be a string or a real number, not 'function'"
    ({"init": len}, TypeError,
     r"^init=<built-in function len> should be 'k-means\+\+', 'random' or an \(n_clusters, "
     r"n_features\) array of centres, got builtin_function_or_method$"),
    ({"init": None}, TypeError, r"^init=None should be 'k-means\+\+', 'random' or an "),
    ({"n_init": 0}, ValueError, r"n_init=0 should be >= 1"),
    # was "OverflowError: Python int too large to convert to C long"
    ({"n_init": 10**30}, ValueError, r"^n_init=10{30} should be <= 10000$"),
    ({"batch_size": 0}, ValueError, r"batch_size=0 should be >= 1"),
    ({"max_iter": 0}, ValueError, r"max_iter=0 should be >= 1"),
    ({"tol": -1}, ValueError, r"tol=-1 should be >= 0"),
    ({"tol": "small"}, TypeError, r"tol='small' should be a number"),
    ({"refine": -1}, ValueError, r"refine=-1 should be >= 0"),
    ({"max_no_improvement": 0}, ValueError, r"max_no_improvement=0 should be >= 1"),
    ({"seed": "x"}, TypeError, r"seed='x' should be an int, a numpy Generator or None"),
    ({"seed": -3}, ValueError, r"seed=-3 should be >= 0"),
])
def test_bad_parameters_raise_naming_them(params, error, match):
    km = MiniBatchKMeans(**{"n_clusters": 2, **params})
    with pytest.raises(error, match=match):
        km.fit(GOOD_X)


@pytest.mark.parametrize(("X", "error", "match"), [
    ([[0.0, 1.0], [np.nan, 2.0], [3.0, 4.0]], ValueError, r"X\[1, 0\]=nan is not finite"),
    ([[0.0, 1.0], [2.0, np.inf], [3.0, 4.0]], ValueError, r"X\[1, 1\]=inf is not finite"),
    ([[0.0, 1.0], [2.0, 1e39], [3.0, 4.0]], ValueError, r"X\[1, 1\]=1e\+39 is not finite"),
    ([0.0, 1.0, 2.0], ValueError, r"X should be a 2-D \(n, d\) array, got shape \(3,\)"),
    (np.zeros((2, 2, 2)), ValueError, r"X should be a 2-D .* got shape \(2, 2, 2\)"),
    # said the shape twice: "got shape (0, 2): 0 sample(s), 2 feature(s) (shape=(0, 2))"
    (np.zeros((0, 2)), ValueError, r"^X has 0 sample\(s\) \(shape=\(0, 2\)\) while a minimum of "
                                   r"1 is required; expected a 2-D \(n, d\) array with at least "
                                   r"one row and one column$"),
    (np.zeros((4, 0)), ValueError, r"^X has 0 feature\(s\) \(shape=\(4, 0\)\) while a minimum of "
                                   r"1 is required; expected a 2-D "),
    ([["a", "b"], ["c", "d"]], TypeError, r"X should be a numeric \(n, d\) array"),
    # its mask was ignored: the masked row was clustered as if given
    (np.ma.masked_array([[0.0], [1.0], [9.0]], mask=[[0], [0], [1]]), TypeError,
     r"^X is a masked array, whose mask would be ignored; expected a plain array "
     r"\(np\.ma\.compress_rows\(X\) leaves out the masked rows\)$"),
    ([[0.0, 0.0], [1.0, 1.0]], ValueError,  # fit: rows; kmeans_plusplus: distinct points
     r"n_clusters=3 should be <= the number of (rows|distinct points) with positive weight "
     r"\(2\)"),
])
def test_bad_data_raise_naming_them(X, error, match):
    with pytest.raises(error, match=match):
        MiniBatchKMeans(3, seed=0).fit(X)
    with pytest.raises(error, match=match):
        kmeans_plusplus(X, 3, seed=0)


IMAGE_HINT = (r"^X should be a 2-D \(n, d\) array, got shape \(5, 5, 3\); Reshape your data with "
              r"X\.reshape\(-1, X\.shape\[-1\]\) for one row per pixel of an \(h, w, channels\) "
              r"image, shape \(25, 3\)$")


def test_an_image_given_as_data_is_shown_how_to_make_one_row_per_pixel():
    # It said "Reshape your data with X.reshape(-1, 1) for one feature or
    # X.reshape(1, -1) for one sample": following it clustered 75 numbers.
    image = np.arange(75, dtype=np.uint8).reshape(5, 5, 3)
    fitted = MiniBatchKMeans(2, seed=0).fit(GOOD_X[:, :1].repeat(3, axis=1))
    calls = [lambda: MiniBatchKMeans(2).fit(image),
             lambda: MiniBatchKMeans(2).fit_predict(image),
             lambda: MiniBatchKMeans(2).fit_transform(image),
             lambda: MiniBatchKMeans(2).partial_fit(image),
             lambda: fitted.partial_fit(image),
             lambda: fitted.predict(image), lambda: fitted.transform(image),
             lambda: fitted.score(image), lambda: kmeans_plusplus(image, 2)]
    for call in calls:
        with pytest.raises(ValueError, match=IMAGE_HINT):
            call()
    assert MiniBatchKMeans(2, seed=0).fit(image.reshape(-1, image.shape[-1])).n_features_in_ == 3


def test_n_clusters_is_bounded_by_rows_and_repeats_only_warn():
    # k=5 and 6 were fitted with a warning on these 6 rows of 4 points, but k=7 was
    # refused naming "the number of distinct points with positive weight (4)".
    Xd = np.array([[0.0], [0.0], [1.0], [1.0], [2.0], [3.0]])
    for k in (5, 6):
        with pytest.warns(DistinctClustersWarning, match=rf"^n_clusters={k} but X holds only 4 "):
            km = MiniBatchKMeans(k, seed=0).fit(Xd)
        assert km.cluster_centers_.ravel().tolist() == [0, 1, 2, 3] + [0] * (k - 4)
    with pytest.raises(ValueError, match=r"^n_clusters=7 should be <= the number of rows with "
                                         r"positive weight \(6\)$"):
        MiniBatchKMeans(7, seed=0).fit(Xd)
    with pytest.raises(ValueError, match=r"^n_clusters=4 should be <= the number of rows with "
                                         r"positive weight \(3\)$"):
        MiniBatchKMeans(4, seed=0).fit(Xd, sample_weight=[1, 0, 1, 0, 1, 0])
    with pytest.raises(ValueError, match=r"^n_clusters=5 should be <= the number of distinct "
                                         r"points with positive weight \(4\): seeding chooses "
                                         r"that many distinct rows as centres$"):
        kmeans_plusplus(Xd, 5, seed=0)


def test_n_init_auto_is_one_run_and_stays_auto():
    # It was "TypeError: n_init='auto' should be an integer, got str".
    base = pytest.importorskip("sklearn.base", reason="scikit-learn is a dev extra")
    X = np.random.default_rng(0).random((300, 2))
    auto = MiniBatchKMeans(3, n_init="auto", seed=4).fit(X)
    one = MiniBatchKMeans(3, n_init=1, seed=4).fit(X)
    np.testing.assert_array_equal(auto.cluster_centers_, one.cluster_centers_)
    assert auto.get_params()["n_init"] == "auto"
    assert repr(auto) == "MiniBatchKMeans(n_clusters=3, n_init='auto', seed=4)"
    copy = base.clone(auto)
    assert copy.get_params() == auto.get_params()
    np.testing.assert_array_equal(copy.fit(X).cluster_centers_, one.cluster_centers_)
    init = MiniBatchKMeans(3, init=one.cluster_centers_, n_init="auto").fit(X)  # one run
    np.testing.assert_array_equal(init.cluster_centers_, one.cluster_centers_)
    again = MiniBatchKMeans(3, n_init=2, seed=4).set_params(n_init="auto").fit(X)
    np.testing.assert_array_equal(again.cluster_centers_, one.cluster_centers_)
    with pytest.raises(ValueError, match=r"^n_init='warn' should be an integer from 1 to 10000 "
                                         r"or 'auto'$"):
        MiniBatchKMeans(3, n_init="warn").fit(X)


def test_transform_keeps_float32_as_sklearn_does():
    # float32 rows gave float64 distances; scikit-learn's KMeans gives float32 for
    # float32 and float64 for other dtypes.
    km = MiniBatchKMeans(2, init=[[0.0, 0.0], [3.0, 4.0]], refine=0).fit([[0, 0], [3, 4]])
    for dtype, out in [(np.float32, np.float32), (np.float64, np.float64),
                       (np.uint8, np.float64), (np.int64, np.float64)]:
        rows = np.array([[0, 0], [6, 8]], dtype=dtype)
        got = km.transform(rows)
        assert (got.dtype, MiniBatchKMeans(2, seed=0).fit_transform(rows).dtype) == (out, out)
        np.testing.assert_array_equal(got, np.array([[0, 5], [10, 5]], dtype=out))


def test_values_too_large_for_float32_of_both_signs_are_refused_without_a_numpy_warning():
    # they became inf and -inf, whose sum gave NumPy's "invalid value encountered in
    # reduce" RuntimeWarning before the error
    X = [[0.0], [1e300], [-1e300]]
    km = MiniBatchKMeans(2, seed=0).fit([[0.0], [1.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for call in (lambda: MiniBatchKMeans(2, seed=0).fit(X), lambda: km.predict(X),
                     lambda: kmeans_plusplus(X, 2, seed=0)):
            with pytest.raises(ValueError, match=r"^X\[1, 0\]=1e\+300 is not finite in "
                                                 r"float32; expected finite numbers"):
                call()


@pytest.mark.parametrize(("w", "error", "match"), [
    ([1.0, -1.0, 1.0, 1.0], ValueError, r"sample_weight\[1\]=-1\.0 should be finite and >= 0"),
    ([1.0, np.nan, 1.0, 1.0], ValueError, r"sample_weight\[1\]=nan should be finite"),
    ([1.0, 1.0], ValueError, r"sample_weight should have shape \(4,\) to match X, got "
                             r"shape \(2,\)"),
    ([[1.0, 1.0, 1.0, 1.0]], ValueError, r"sample_weight should have shape \(4,\)"),
    ([0.0, 0.0, 0.0, 0.0], ValueError, r"sample_weight sums to 0\.0; expected a positive sum "
                                       r"\(not all weights zero\)"),
    (["a", "b", "c", "d"], TypeError, r"sample_weight should be a numeric"),
    ([1.0 + 1j, 1.0, 1.0, 1.0], TypeError,
     r"sample_weight should be a numeric \(n,\) array of real numbers, got dtype complex128"),
    ([1e308, 1e308, 1.0, 1.0], ValueError,
     r"sample_weight sums to inf; expected a finite sum \(rescale the weights\)"),
    ([1.0, 0.0, 0.0, 0.0], ValueError,
     r"^n_clusters=2 should be <= the number of rows with positive weight \(1\)$"),
])
def test_bad_sample_weight_raise_naming_it(w, error, match):
    with pytest.raises(error, match=match):
        MiniBatchKMeans(2, seed=0).fit(GOOD_X, sample_weight=w)


def test_a_single_number_as_sample_weight_weighs_every_row_alike():
    # As scikit-learn takes it; it was refused with "should have shape (4,) ...,
    # got shape ()".
    plain = MiniBatchKMeans(2, seed=0).fit(GOOD_X)
    weighted = MiniBatchKMeans(2, seed=0).fit(GOOD_X, sample_weight=2.5)
    np.testing.assert_array_equal(weighted.cluster_centers_, plain.cluster_centers_)
    assert weighted.inertia_ == pytest.approx(2.5 * plain.inertia_)
    assert plain.score(GOOD_X, sample_weight=np.float32(3)) == pytest.approx(
        3 * plain.score(GOOD_X))
    # a number was named as the first of the rows it weighs: "sample_weight[0]=-1.0"
    with pytest.raises(ValueError, match=r"^sample_weight=-1 should be finite and >= 0$"):
        plain.score(GOOD_X, sample_weight=-1)
    with pytest.raises(ValueError, match=r"^sample_weight=nan should be finite and >= 0$"):
        MiniBatchKMeans(2).fit(GOOD_X, sample_weight=np.float32("nan"))
    assert plain.score(GOOD_X, sample_weight=True) == plain.score(GOOD_X)  # as scikit-learn


def test_bools_are_taken_as_0_and_1_in_data_and_weights():
    # Both were refused ("got dtype bool") while scikit-learn takes them as 0 and 1.
    X = np.array([[True, False], [True, True], [False, False], [False, True], [True, True]])
    w = np.array([True, True, False, True, True])
    ones = X.astype(np.float32)  # bools are clustered in float32, as float32 holds them
    for fit_w, float_w in ((None, None), (w, w.astype(np.float64))):
        as_bool = MiniBatchKMeans(2, seed=0).fit(X, sample_weight=fit_w)
        as_float = MiniBatchKMeans(2, seed=0).fit(ones, sample_weight=float_w)
        np.testing.assert_array_equal(as_bool.cluster_centers_, as_float.cluster_centers_)
        np.testing.assert_array_equal(as_bool.labels_, as_float.labels_)
        assert as_bool.inertia_ == as_float.inertia_
        np.testing.assert_array_equal(as_bool.predict(X), as_float.predict(ones))
        assert as_bool.score(X, sample_weight=fit_w) == as_float.score(ones,
                                                                       sample_weight=float_w)
    # a weight of False gives its row no say: the two rows left decide the centres
    centers = MiniBatchKMeans(2, seed=0).fit([[0.0], [5.0], [9.0]],
                                             sample_weight=[True, False, True]).cluster_centers_
    assert sorted(centers.ravel().tolist()) == [0.0, 9.0]
    centers, idx = kmeans_plusplus(X, 2, sample_weight=w, seed=0)
    assert centers.dtype == np.float64 and 2 not in idx.tolist()
    with pytest.raises(ValueError, match=r"^sample_weight sums to 0\.0; expected a positive "):
        MiniBatchKMeans(2, seed=0).fit(ones, sample_weight=False)


def test_a_masked_sample_weight_is_refused():
    # its mask was ignored: a masked weight weighed as the value under it
    w = np.ma.masked_array([1.0, 1.0, 5.0, 1.0], mask=[0, 0, 1, 0])
    match = (r"^sample_weight is a masked array, whose mask would be ignored; expected a plain "
             r"array \(sample_weight\.filled\(0\) gives the masked rows no weight\)$")
    km = MiniBatchKMeans(2, seed=0)
    with pytest.raises(TypeError, match=match):
        km.fit(GOOD_X, sample_weight=w)
    km.fit(GOOD_X, sample_weight=w.filled(0))
    with pytest.raises(TypeError, match=match):
        km.score(GOOD_X, sample_weight=w)
    with pytest.raises(TypeError, match=r"^X is a masked array"):
        km.predict(np.ma.masked_array(GOOD_X))


@pytest.mark.parametrize(("X", "w", "k", "n_rows"), [
    (GOOD_X[:3], None, 5, 3),  # fewer rows than clusters
    (GOOD_X, [1.0, 0.0, 0.0, 1.0], 3, 2),
])
def test_explicit_init_needs_as_many_weighted_rows_as_clusters(X, w, k, n_rows):
    # The limit of fit whatever init: it named the distinct points, as seeding does.
    init = np.arange(2.0 * k).reshape(k, 2)
    match = rf"^n_clusters={k} should be <= the number of rows with positive weight \({n_rows}\)$"
    with pytest.raises(ValueError, match=match):
        MiniBatchKMeans(k, init=init).fit(X, sample_weight=w)


def test_explicit_init_for_repeated_rows_warns_as_seeding_does():
    # 3 rows of 2 points at k=3 were refused with init centres ("should be <= the
    # number of distinct points with positive weight (2)"), fitted with k-means++.
    X = np.array([[0.0, 0.0], [0.0, 0.0], [1.0, 1.0]])
    with pytest.warns(DistinctClustersWarning, match=r"^n_clusters=3 but X holds only 2 "):
        km = MiniBatchKMeans(3, init=np.arange(6.0).reshape(3, 2)).fit(X)
    assert km.cluster_centers_.tolist() == [[0, 0], [1, 1], [0, 0]]
    assert km.labels_.tolist() == [0, 0, 1] and km.inertia_ == 0.0


@pytest.mark.parametrize("n_init", [1, 3])  # 3: the restarts seed together
def test_more_clusters_than_distinct_rows_off_the_float32_grid_raise(n_init):
    # Rows such as 0.1 are not exact in float32: a row's distance to itself came out
    # as a rounding residue, not 0, and seeding drew copies of chosen rows as new
    # centres, so k centres came back for fewer distinct rows.
    # (Which rows leave a residue depends on the rows: six sets, half of which did.)
    match = (r"^n_clusters=6 should be <= the number of distinct points with positive "
             r"weight \(5\): seeding chooses")
    for data_seed in range(6):
        rows = np.random.default_rng(data_seed).standard_normal((5, 3))
        with pytest.raises(ValueError, match=r"^n_clusters=6 should be <= the number of rows "
                                             r"with positive weight \(5\)$"):
            MiniBatchKMeans(6, n_init=n_init, seed=0).fit(rows)
        for X in (rows, np.repeat(rows, 4, axis=0)):
            with pytest.raises(ValueError, match=match):
                kmeans_plusplus(X, 6, seed=0)
        # 20 rows of 5 points: a fit, as scikit-learn's KMeans makes one, with a warning
        with pytest.warns(DistinctClustersWarning, match=r"only 5 distinct points"):
            six = MiniBatchKMeans(6, n_init=n_init, seed=0).fit(np.repeat(rows, 4, axis=0))
        assert np.unique(six.cluster_centers_, axis=0).shape[0] == 5
        assert six.inertia_ == 0.0 and set(six.labels_.tolist()) == {0, 1, 2, 3, 4}
        km = MiniBatchKMeans(5, n_init=n_init, seed=0).fit(np.repeat(rows, 4, axis=0))
        assert np.unique(km.cluster_centers_, axis=0).shape[0] == 5
        assert km.inertia_ == 0.0


@pytest.mark.parametrize("n_init", [1, 3])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_more_clusters_than_distinct_points_warn_and_repeat_the_first_centre(n_init, dtype):
    # It was "ValueError: n_clusters=5 should be <= the number of distinct points with
    # positive weight (4)", where scikit-learn's KMeans warns and returns 5 centres.
    X = np.array([[5, 5], [0, 0], [0, 0], [1, 1], [1, 1], [2, 2]], dtype=dtype)
    given = X.copy()
    with pytest.warns(DistinctClustersWarning) as caught:
        km = MiniBatchKMeans(5, n_init=n_init, seed=0).fit(X)
    assert [str(w.message) for w in caught] == [
        "n_clusters=5 but X holds only 4 distinct points with positive weight: the 1 centre "
        "beyond them repeats the first, and no point is labelled with them"]
    assert caught[0].filename == __file__  # stacklevel: the caller's line
    assert km.cluster_centers_.tolist() == [[0, 0], [1, 1], [2, 2], [5, 5], [0, 0]]
    assert km.labels_.tolist() == [3, 0, 0, 1, 1, 2] and km.inertia_ == 0.0
    assert km.predict(np.array([[5, 5], [0.4, 0.4], [9, 9]], dtype=dtype)).tolist() == [3, 0, 3]
    np.testing.assert_allclose(km.transform(X[:1]),
                               [[50 ** 0.5, 32 ** 0.5, 18 ** 0.5, 0, 50 ** 0.5]], rtol=1e-6)
    assert km.score(X) == 0.0
    np.testing.assert_array_equal(X, given)
    with pytest.warns(DistinctClustersWarning, match=r"^n_clusters=4 .* only 2 distinct points "
                                                     r"with positive weight: the 2 centres "
                                                     r"beyond them repeat the first"):
        weighted = MiniBatchKMeans(4, seed=0).fit(X, sample_weight=[0, 1, 1, 1, 1, 0])
    assert weighted.cluster_centers_.tolist() == [[0, 0], [1, 1], [0, 0], [0, 0]]
    assert weighted.labels_.tolist() == [1, 0, 0, 1, 1, 1]  # weight 0 rows: the nearest


def test_prediction_needs_a_fit_with_matching_features(monkeypatch):
    monkeypatch.delitem(sys.modules, "sklearn.exceptions", raising=False)
    km = MiniBatchKMeans(2)
    for method in (km.predict, km.transform, km.score):
        with pytest.raises(NotFittedError, match="^this MiniBatchKMeans is not fitted yet; "
                                                 r"call fit\(X\) first$") as caught:
            method(GOOD_X)
        assert type(caught.value) is NotFittedError
        assert isinstance(caught.value, ValueError) and isinstance(caught.value, AttributeError)
    km.fit(GOOD_X)
    with pytest.raises(ValueError, match="X has 3 features, but MiniBatchKMeans is "
                                         "expecting 2 features as input"):
        km.predict(np.zeros((2, 3)))


def test_not_fitted_is_scikit_learns_error_when_it_is_loaded():
    exceptions = pytest.importorskip("sklearn.exceptions", reason="scikit-learn is a dev extra")
    with pytest.raises(exceptions.NotFittedError) as caught:
        MiniBatchKMeans(2).predict(GOOD_X)
    assert isinstance(caught.value, NotFittedError)
    # Sent between processes, it comes back as quantize's class with its message.
    back = pickle.loads(pickle.dumps(caught.value))
    assert type(back) is NotFittedError and back.args == caught.value.args


def test_set_params_refuses_unknown_names():
    # k, as reduce_colors' result shows it, is named what the estimator calls it
    with pytest.raises(ValueError, match=r"invalid parameter 'k' for MiniBatchKMeans "
                                         r"\(quantize calls it n_clusters=\); valid "
                                         r"parameters are n_clusters"):
        MiniBatchKMeans().set_params(k=3)
    with pytest.raises(ValueError, match=r"invalid parameter 'bogus' for MiniBatchKMeans; "
                                         r"valid parameters are n_clusters"):
        MiniBatchKMeans().set_params(bogus=3)


# --------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------


@st.composite
def data_and_k(draw):
    n = draw(st.integers(1, 40))
    d = draw(st.integers(1, 3))
    # Quarter steps are exact in float32, so "distinct" means the same to us and to numpy.
    X = draw(hnp.arrays(np.float64, (n, d),
                        elements=st.integers(-400, 400).map(lambda v: v / 4)))
    # Weights include real zeros; one row keeps a positive weight.
    w = draw(st.one_of(st.none(), hnp.arrays(np.float64, n, elements=st.sampled_from(
        [0.0, 0.5, 1.0, 3.0]))))
    if w is not None and not (w > 0).any():
        w[draw(st.integers(0, n - 1))] = 1.0
    n_distinct = np.unique(X if w is None else X[w > 0], axis=0).shape[0]
    k = draw(st.integers(1, min(n_distinct, 6)))
    return X, k, w, draw(st.integers(0, 2**32 - 1))


@pytest.mark.parametrize("batch_size", [1, 16])  # 1: more than 32 rows take mini-batches
@settings(max_examples=40, deadline=None, derandomize=True,  # the same cases in every run
          suppress_health_check=[HealthCheck.too_slow])
@given(data_and_k())
def test_any_finite_input_with_enough_distinct_points_gives_k_centres(batch_size, case):
    X, k, w, seed = case
    km = MiniBatchKMeans(k, batch_size=batch_size, refine=3, seed=seed).fit(X, sample_weight=w)
    assert km.cluster_centers_.shape == (k, X.shape[1])
    assert np.isfinite(km.cluster_centers_).all()
    assert km.labels_.shape == (X.shape[0],)
    assert km.labels_.min() >= 0 and km.labels_.max() < k
    assert km.inertia_ >= 0.0
    weights = np.ones(X.shape[0]) if w is None else w
    d2 = ((X - km.cluster_centers_[km.labels_]) ** 2).sum(axis=1)
    assert km.inertia_ == pytest.approx(float(weights @ d2), rel=1e-4, abs=1e-3)
    # Every label is the nearest centre, zero-weight rows included.
    nearest = sq_distances(X, km.cluster_centers_).min(axis=1)
    np.testing.assert_allclose(d2, nearest, rtol=1e-4, atol=1e-3)
    # Zero-weight rows never pull a centre: all lie in the box of the others.
    kept = X[weights > 0]
    assert (km.cluster_centers_ >= kept.min(axis=0) - 1e-6).all()
    assert (km.cluster_centers_ <= kept.max(axis=0) + 1e-6).all()


@settings(max_examples=40, deadline=None)
@given(data_and_k())
def test_kmeans_plusplus_returns_k_distinct_rows(case):
    X, k, w, seed = case
    centers, idx = kmeans_plusplus(X, k, sample_weight=w, seed=seed)
    assert centers.shape == (k, X.shape[1])
    assert np.unique(centers, axis=0).shape[0] == k
    np.testing.assert_array_equal(centers, X[idx])
    if w is not None:
        assert (w[idx] > 0).all()
