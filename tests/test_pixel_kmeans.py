"""quantize.pixel_kmeans: the k-means path of segment on tiny images."""

from __future__ import annotations

import numpy as np
import pytest

from quantize.features import check_weights
from quantize.pixel_kmeans import ClusterCountWarning, cluster_pixels
from quantize.texture import lab_planes

COLOUR_ONLY = check_weights({"texture": 0, "xy": 0})


def halves(h: int = 8, w: int = 10) -> np.ndarray:
    img = np.zeros((h, w, 3), np.uint8)
    img[:, w // 2:] = (200, 40, 40)
    return img


def test_two_colours_give_two_regions_split_on_the_right_column():
    labels, clusters, centers = cluster_pixels(halves(), (8, 10), 1, 2, COLOUR_ONLY, "rgb",
                                               (), 0, np.random.default_rng(0))
    assert labels.tolist() == [[1] * 5 + [2] * 5] * 8
    assert sorted(clusters.tolist()) == [0, 1]
    assert centers.shape[0] == 2


def test_labels_come_back_at_the_full_size_asked_for():
    labels, _, _ = cluster_pixels(halves(4, 5), (8, 10), 2, 2, COLOUR_ONLY, "rgb", (), 0,
                                  np.random.default_rng(0))
    assert labels.shape == (8, 10)
    assert set(np.unique(labels).tolist()) == {1, 2}


def test_fewer_distinct_pixels_than_clusters_warns_and_uses_fewer():
    with pytest.warns(ClusterCountWarning, match="n_clusters=5 but the image has only 2 "
                                                 "distinct feature vectors; using 2"):
        labels, _, centers = cluster_pixels(halves(), (8, 10), 1, 5, COLOUR_ONLY, "rgb", (),
                                            0, np.random.default_rng(0))
    assert centers.shape[0] == 2
    assert int(labels.max()) == 2


def test_one_distinct_pixel_is_counted_in_the_singular():
    one = np.full((6, 6, 3), 90, np.uint8)
    with pytest.warns(ClusterCountWarning) as caught:
        labels, _, centers = cluster_pixels(one, (6, 6), 1, 5, COLOUR_ONLY, "rgb", (), 0,
                                            np.random.default_rng(0))
    assert [str(w.message) for w in caught] == [
        "n_clusters=5 but the image has only 1 distinct feature vector; using 1 cluster"]
    assert centers.shape[0] == 1
    assert labels.tolist() == [[1] * 6] * 6


def test_each_working_pixel_counts_for_the_region_under_its_own_box():
    # Columns 0-2, 3-5 and 6 (a partial box) of a 7-wide image, downscaled 3x: each box's
    # feature goes to the component of its own pixels. Box 2 was sampled at column 5:
    # component 2 got the mean of boxes 1 and 2 (25), component 3 none of its own.
    from quantize.pixel_kmeans import _component_means
    from quantize.reconstruct.regions import region_runs

    components = np.array([[1, 1, 1, 2, 2, 2, 3]] * 2)
    runs = region_runs(lambda start, stop: components[start:stop], components.shape)
    small_map = np.array([[0, 1, 2]])
    X = np.array([[10.0], [20.0], [30.0]])
    means = _component_means(runs, np.array([0, 0, 1, 2]), small_map, 3, X, 3)
    assert means[1:].ravel().tolist() == [10.0, 20.0, 30.0]


def test_unite_alike_joins_clusters_of_one_colour_and_weighs_their_centres_by_pixels():
    from quantize.features import DEFAULT_TEXTURE_SCALES, feature_array
    from quantize.pixel_kmeans import unite_alike

    img = np.full((20, 30, 3), 120, np.uint8)
    X, spec = feature_array(img, check_weights(None), "lab", DEFAULT_TEXTURE_SCALES)
    cluster_map = np.full((20, 30), 2, np.int32)
    cluster_map[:, :10] = 0  # cluster 1 has no pixel
    centers = np.zeros((3, X.shape[1]))
    centers[1], centers[2] = 10.0, 30.0
    united = unite_alike(cluster_map, lab_planes(img), X, spec, centers)
    np.testing.assert_allclose(united, np.full((1, X.shape[1]), (200 * 0 + 400 * 30) / 600))
    assert cluster_map.tolist() == [[0] * 30] * 20


def test_unite_alike_keeps_the_clusters_of_position_alone():
    from quantize.features import DEFAULT_TEXTURE_SCALES, feature_array
    from quantize.pixel_kmeans import unite_alike

    img = np.full((20, 30, 3), 120, np.uint8)
    w = check_weights({"color": 0, "texture": 0})
    X, spec = feature_array(img, w, "lab", DEFAULT_TEXTURE_SCALES)
    cluster_map = (np.arange(30)[None, :] >= 15).repeat(20, axis=0).astype(np.int32)
    centers = np.arange(2 * X.shape[1], dtype=np.float64).reshape(2, -1)
    united = unite_alike(cluster_map, lab_planes(img), X, spec, centers)
    assert united is centers
    assert cluster_map[:, 14:16].tolist() == [[0, 1]] * 20
