"""The segmentation API: exact regions on quadrants, texture mosaics, merging, numbering."""

from __future__ import annotations

import importlib.util
import warnings
from pathlib import Path

import numpy as np
import pytest

from quantize import SegmentResult, segment
from quantize.metrics import adjusted_rand_index, boundary_scores
from quantize.reconstruct.regions import (
    connected_regions,
    find_boundaries,
    merge_small_regions,
)
from quantize.segment import ClusterCountWarning

QUADRANT_COLORS = [(200, 30, 30), (30, 200, 30), (30, 30, 200), (220, 220, 40)]


def quadrants(rng, shape=(64, 80), noise=10.0):
    """Four flat quadrants plus seeded Gaussian noise, and the true map (raster-numbered 0..3)."""
    h, w = shape
    truth = np.zeros(shape, dtype=np.int32)
    truth[:h // 2, w // 2:] = 1
    truth[h // 2:, :w // 2] = 2
    truth[h // 2:, w // 2:] = 3
    img = np.asarray(QUADRANT_COLORS, dtype=np.float64)[truth]
    img += rng.normal(0, noise, img.shape)
    return np.clip(np.rint(img), 0, 255).astype(np.uint8), truth


def _load_benchmark():
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_segment.py"
    spec = importlib.util.spec_from_file_location("bench_segment", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def mosaic():
    """The benchmark's texture mosaic: grass, brick, gravel tinted to one mean colour."""
    return _load_benchmark().texture_mosaic(1024)


# --------------------------------------------------------------------------
# Exact answers
# --------------------------------------------------------------------------


@pytest.mark.parametrize("weights", [{"texture": 0}, {"texture": 0, "xy": 0}])
@pytest.mark.parametrize("shape", [(64, 80), (33, 47)])
def test_quadrants_give_exact_regions(rng, weights, shape):
    img, truth = quadrants(rng, shape)
    result = segment(img, 4, weights=weights, seed=0)
    np.testing.assert_array_equal(result.labels, truth + 1)
    assert result.n_regions == 4
    assert sorted(result.clusters.tolist()) == [0, 1, 2, 3]


def test_large_image_goes_through_the_working_copy(rng):
    # 2100 pixels wide: clustered on a copy downscaled 3x, labels brought back to full size.
    img, truth = quadrants(rng, (300, 2100))
    result = segment(img, 4, weights={"texture": 0}, seed=0)
    assert result.labels.shape == (300, 2100)
    assert adjusted_rand_index(result.labels, truth) > 0.995
    assert boundary_scores(result.labels, truth)[2] == 1.0


def test_texture_mosaic_default_weights(mosaic):
    image, truth = mosaic
    result = segment(image, 3, seed=0)
    assert adjusted_rand_index(result.labels, truth) >= 0.9
    assert boundary_scores(result.labels, truth)[2] >= 0.8


def test_texture_mosaic_defeats_colour_only(mosaic):
    image, truth = mosaic
    result = segment(image, 3, weights={"texture": 0, "xy": 0}, seed=0)
    assert adjusted_rand_index(result.labels, truth) < 0.5
    assert boundary_scores(result.labels, truth)[2] < 0.3


# --------------------------------------------------------------------------
# Regions: merging and numbering
# --------------------------------------------------------------------------


@pytest.mark.parametrize("min_region", [20, 150, 600])
def test_no_region_under_the_limit(rng, min_region):
    img = rng.integers(0, 256, size=(60, 70, 3), dtype=np.uint8)
    result = segment(img, 6, weights={"texture": 0, "xy": 0}, min_region=min_region, seed=0)
    areas = np.bincount(result.labels.ravel())[1:]
    assert areas.min() >= min_region or result.n_regions == 1
    assert areas.sum() == 60 * 70


def test_min_region_zero_keeps_every_component(rng):
    img, _ = quadrants(rng, noise=60.0)
    result = segment(img, 4, weights={"texture": 0, "xy": 0}, min_region=0, seed=0)
    _, n = connected_regions(result.cluster_map())
    assert result.n_regions == n


def test_labels_run_in_raster_order(rng):
    img = rng.integers(0, 256, size=(40, 50, 3), dtype=np.uint8)
    labels = segment(img, 5, weights={"texture": 0}, min_region=30, seed=0).labels
    _, first = np.unique(labels.ravel(), return_index=True)
    assert np.all(np.diff(first) > 0)
    assert set(np.unique(labels)) == set(range(1, labels.max() + 1))


def test_small_region_joins_the_closest_neighbour():
    regions = np.array([[1, 1, 2, 3, 3],
                        [1, 1, 2, 3, 3]])
    # Region 2 (2 pixels) is nearer to region 3's mean than to region 1's.
    means = np.array([[0.0], [0.0], [0.8], [1.0]])
    mapping = merge_small_regions(regions, 3, means, min_region=3)
    assert mapping[regions].tolist() == [[1, 1, 2, 2, 2], [1, 1, 2, 2, 2]]


def test_merging_never_joins_two_large_regions():
    regions = np.array([[1, 1, 2, 3, 3, 3]])
    means = np.array([[0.0], [0.0], [0.5], [1.0]])
    mapping = merge_small_regions(regions, 3, means, min_region=2)
    assert mapping.tolist() == [0, 1, 1, 2]


# --------------------------------------------------------------------------
# The result object
# --------------------------------------------------------------------------


def test_result_views(rng):
    img, truth = quadrants(rng)
    result = segment(img, 4, weights={"texture": 0}, seed=0)
    assert isinstance(result, SegmentResult)
    assert result.labels.dtype == np.int32
    np.testing.assert_array_equal(result.boundaries(), find_boundaries(truth))
    mean = result.mean_color_image()
    for lab in range(1, 5):
        inside = result.labels == lab
        expected = np.rint(img[inside].mean(axis=0))
        np.testing.assert_array_equal(np.unique(mean[inside], axis=0), [expected])
    overlay = result.overlay((255, 0, 255))
    assert (overlay[result.boundaries()] == (255, 0, 255)).all()
    np.testing.assert_array_equal(overlay[~result.boundaries()], img[~result.boundaries()])


def test_region_stats(rng):
    img, _ = quadrants(rng)
    stats = segment(img, 4, weights={"texture": 0}, seed=0).region_stats()
    assert [s["label"] for s in stats] == [1, 2, 3, 4]
    assert stats[0]["bbox"] == [0, 0, 32, 40]
    assert stats[0]["area"] == 32 * 40
    assert stats[0]["centroid"] == [15.5, 19.5]
    assert stats[3]["mean_color"] == pytest.approx(list(img[32:, 40:].reshape(-1, 3).mean(0)),
                                                   abs=0.05)


def test_same_seed_same_result_and_input_untouched(rng):
    img, _ = quadrants(rng, noise=30.0)
    before = img.copy()
    a = segment(img, 4, seed=3)
    b = segment(img, 4, seed=3)
    np.testing.assert_array_equal(a.labels, b.labels)
    np.testing.assert_array_equal(img, before)


def test_uint8_and_float_input_agree(rng):
    img, _ = quadrants(rng)
    a = segment(img, 4, seed=0)
    b = segment(img.astype(np.float64) / 255, 4, seed=0)
    np.testing.assert_array_equal(a.labels, b.labels)


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"n_clusters": 0}, ValueError, "n_clusters=0 should be >= 1"),
    ({"n_clusters": 2.5}, TypeError, "n_clusters=2.5 should be an integer"),
    ({"min_region": -1}, ValueError, "min_region=-1 should be >= 0"),
    ({"space": "hsv"}, ValueError, "space='hsv' is not valid; expected one of 'lab', 'rgb'"),
    ({"weights": {"colour": 1}}, ValueError, "expected one of 'color', 'intensity', 'xy'"),
    ({"weights": {"xy": -0.5}}, ValueError, "weight xy=-0.5 should be >= 0"),
    ({"seed": "a"}, TypeError, "seed='a'"),
])
def test_bad_parameters(rng, kwargs, error, match):
    img, _ = quadrants(rng)
    params = {"n_clusters": 4, **kwargs}
    with pytest.raises(error, match=match):
        segment(img, **params)


@pytest.mark.parametrize("shape", [(1, 1, 3), (1, 9, 3), (7, 1, 3), (2, 2, 3)])
def test_tiny_images(shape):
    img = np.full(shape, 90, dtype=np.uint8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ClusterCountWarning)  # a 1-pixel image has 1 vector
        result = segment(img, 3, seed=0)
    assert result.labels.shape == shape[:2]
    assert result.labels.min() == 1 and result.n_regions >= 1


def test_fewer_distinct_pixels_than_clusters_warns():
    img = np.zeros((20, 20, 3), dtype=np.uint8)
    img[:, 10:] = 255
    with pytest.warns(ClusterCountWarning, match="n_clusters=5 but the image has only 2"):
        result = segment(img, 5, weights={"texture": 0, "xy": 0}, seed=0)
    assert result.n_regions == 2
