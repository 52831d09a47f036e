"""Properties that hold for any input: hypothesis draws small images and arrays."""

from __future__ import annotations

import warnings

import numpy as np
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from quantize import MiniBatchKMeans
from quantize.reduce import reduce_colors

# derandomize: the same examples on every run, so that CI passes or fails by the code
# alone; a case found by a random run (hypothesis' own, or the database's) becomes an
# @example below.
SETTINGS = settings(max_examples=40, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])


@st.composite
def rgb_images(draw, max_side: int = 12):
    h = draw(st.integers(1, max_side))
    w = draw(st.integers(1, max_side))
    return draw(arrays(np.uint8, (h, w, 3)))


@st.composite
def few_colour_images(draw):
    """An image built from at most 6 distinct colours, and that number."""
    palette = draw(arrays(np.uint8, (draw(st.integers(1, 6)), 3)))
    h, w = draw(st.integers(1, 10)), draw(st.integers(1, 10))
    idx = draw(arrays(np.intp, (h, w), elements=st.integers(0, len(palette) - 1)))
    return palette[idx]


def _reduce(image, k, seed=0, **kw):
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*distinct colour.*")
        return reduce_colors(image, k, seed=seed, **kw)


@SETTINGS
@given(image=rgb_images(), k=st.integers(2, 16), space=st.sampled_from(["rgb", "lab"]))
def test_reduce_indices_in_range_and_palette_valid(image, k, space):
    before = image.copy()
    result = _reduce(image, k, space=space)
    assert result.indices.shape == image.shape[:2]
    assert result.palette.dtype == np.uint8 and result.palette.ndim == 2
    assert 1 <= result.k <= k
    assert result.indices.min() >= 0 and result.indices.max() < result.k
    np.testing.assert_array_equal(image, before)


@SETTINGS
@given(image=few_colour_images())
def test_reducing_an_image_with_few_colours_is_lossless(image):
    n_distinct = len(np.unique(image.reshape(-1, 3), axis=0))
    result = _reduce(image, max(2, n_distinct))
    np.testing.assert_array_equal(result.to_rgb(), image)


@SETTINGS
@given(image=rgb_images(), k=st.integers(2, 8), seed=st.integers(0, 2**31 - 1))
def test_same_seed_same_result(image, k, seed):
    a, b = _reduce(image, k, seed=seed), _reduce(image, k, seed=seed)
    np.testing.assert_array_equal(a.palette, b.palette)
    np.testing.assert_array_equal(a.indices, b.indices)


@SETTINGS
@given(image=rgb_images())
def test_uint8_and_float_inputs_agree(image):
    a = _reduce(image, 4)
    b = _reduce(image.astype(np.float64) / 255.0, 4)
    np.testing.assert_array_equal(a.palette, b.palette)
    np.testing.assert_array_equal(a.indices, b.indices)


@SETTINGS
@given(X=arrays(np.float64, st.tuples(st.integers(4, 40), st.integers(1, 4)),
                elements=st.floats(-1e3, 1e3, allow_nan=False, width=32)),
       k=st.integers(1, 4))
@example(X=np.array([[0.0, 1.0], [2.977231e-29, 1.0], [1.0, 0.0], [1.0, 1.0]]), k=4)
@example(X=np.array([[2.51259747e-36], [0.0], [0.0], [0.0]]), k=2)  # 6e-72 underflows
def test_kmeans_any_finite_data_with_enough_distinct_points(X, k):
    n_distinct = len(np.unique(X.astype(np.float32), axis=0))
    assume(n_distinct >= k)
    before = X.copy()
    try:
        km = MiniBatchKMeans(k, seed=0).fit(X)
    except ValueError as exc:
        # The documented refusal, only for points that float32 distances cannot
        # tell apart: beside their norms (1 and 1 + 3e-29), or because their squared
        # difference is below float32's smallest number (0 and 2.5e-36).
        assert "too close together" in str(exc)
        closest = _closest_pair_sq(X)
        assert closest <= 1e-4 * _largest_norm_sq(X) or closest < _FLOAT32_TINY
        np.testing.assert_array_equal(X, before)
        return
    assert km.cluster_centers_.shape == (k, X.shape[1])
    assert np.isfinite(km.cluster_centers_).all()
    assert km.labels_.min() >= 0 and km.labels_.max() < k
    assert km.inertia_ >= 0
    np.testing.assert_array_equal(X, before)


_FLOAT32_TINY = float(np.finfo(np.float32).tiny)  # the smallest normal float32


def _closest_pair_sq(X: np.ndarray) -> float:
    """Smallest squared distance between two distinct float32 rows, in float64."""
    rows = np.unique(X.astype(np.float32), axis=0).astype(np.float64)
    sq = ((rows[:, None, :] - rows[None, :, :]) ** 2).sum(axis=2)
    np.fill_diagonal(sq, np.inf)
    return float(sq.min())


def _largest_norm_sq(X: np.ndarray) -> float:
    return float((X.astype(np.float32).astype(np.float64) ** 2).sum(axis=1).max())
