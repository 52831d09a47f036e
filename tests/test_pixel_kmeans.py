"""quantize.pixel_kmeans: the k-means path of segment on tiny images."""

from __future__ import annotations

import numpy as np
import pytest

from quantize.features import check_weights
from quantize.pixel_kmeans import ClusterCountWarning, cluster_pixels
from quantize.texture import lab_planes

from .memory_support import peak_bytes
from .segment_support import two_textures

COLOUR_ONLY = check_weights({"texture": 0, "xy": 0})


def halves(h: int = 8, w: int = 10) -> np.ndarray:
    img = np.zeros((h, w, 3), np.uint8)
    img[:, w // 2:] = (200, 40, 40)
    return img


def test_two_colours_give_two_regions_split_on_the_right_column():
    labels, clusters, centers, _, _, _ = cluster_pixels(halves(), (8, 10), 1, 2, COLOUR_ONLY,
                                                  "rgb", (), 0, np.random.default_rng(0))
    assert labels.tolist() == [[1] * 5 + [2] * 5] * 8
    assert sorted(clusters.tolist()) == [0, 1]
    assert centers.shape[0] == 2


def test_labels_come_back_at_the_full_size_asked_for():
    labels, _, _, _, _, _ = cluster_pixels(halves(4, 5), (8, 10), 2, 2, COLOUR_ONLY, "rgb", (), 0,
                                     np.random.default_rng(0))
    assert labels.shape == (8, 10)
    assert set(np.unique(labels).tolist()) == {1, 2}


def test_fewer_distinct_pixels_than_clusters_warns_and_uses_fewer():
    with pytest.warns(ClusterCountWarning, match="n_clusters=5 but the image has only 2 "
                                                 "distinct feature vectors; using 2"):
        labels, _, centers, _, _, _ = cluster_pixels(halves(), (8, 10), 1, 5, COLOUR_ONLY, "rgb",
                                               (), 0, np.random.default_rng(0))
    assert centers.shape[0] == 2
    assert int(labels.max()) == 2


def test_one_distinct_pixel_is_counted_in_the_singular():
    one = np.full((6, 6, 3), 90, np.uint8)
    with pytest.warns(ClusterCountWarning) as caught:
        labels, _, centers, _, _, _ = cluster_pixels(one, (6, 6), 1, 5, COLOUR_ONLY, "rgb", (), 0,
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


def test_unite_alike_joins_a_strip_of_one_flat_colour_beside_a_strong_edge():
    # The grain (L* less its blur) is high beside a strong edge, on pixels of one flat
    # colour: a strip of them along the edge, a cluster of its own, stayed one.
    from quantize.features import DEFAULT_TEXTURE_SCALES, feature_array
    from quantize.pixel_kmeans import unite_alike

    img = np.zeros((40, 60, 3), np.uint8)
    img[:] = (10, 200, 30)
    img[:, 30:] = (200, 10, 10)
    X, spec = feature_array(img, check_weights(None), "lab", DEFAULT_TEXTURE_SCALES)
    cluster_map = np.zeros((40, 60), np.int32)
    cluster_map[:, 25:30] = 1  # the strip, green as the rest of the left half
    cluster_map[:, 30:] = 2
    united = unite_alike(cluster_map, lab_planes(img), X, spec, np.zeros((3, X.shape[1])))
    assert united.shape[0] == 2
    assert cluster_map.tolist() == [[0] * 30 + [1] * 30] * 40


def _unite_halves(img, weights):
    """unite_alike on a map of ``img``'s left and right halves, clusters 0 and 1: the map
    after and the united centres (of rows 0 and 1)."""
    from quantize.features import DEFAULT_TEXTURE_SCALES, feature_array
    from quantize.pixel_kmeans import unite_alike

    h, w = img.shape[:2]
    X, spec = feature_array(img, check_weights(weights), "lab", DEFAULT_TEXTURE_SCALES)
    cluster_map = (np.arange(w)[None, :] >= w // 2).repeat(h, axis=0).astype(np.int32)
    centers = np.array([[0.0] * X.shape[1], [1.0] * X.shape[1]])
    return cluster_map, unite_alike(cluster_map, lab_planes(img), X, spec, centers)


@pytest.mark.parametrize("weights", [{"color": 0}, {"color": 0, "intensity": 1e-6},
                                     {"color": 1e-6}])
def test_unite_alike_tells_two_textures_of_one_colour_apart_without_colour(weights):
    # With colour weighted 0 its group was empty: no border showed a colour difference and
    # every side counted as flat, so every cluster was united with its neighbours; a tiny
    # colour or intensity weight made every side's colours look of one flat colour.
    cluster_map, united = _unite_halves(two_textures(), weights)
    assert cluster_map.tolist() == [[0] * 80 + [1] * 80] * 80
    assert united.tolist() == [[0.0] * united.shape[1], [1.0] * united.shape[1]]


@pytest.mark.parametrize("scale", [0.01, 0.1, 0.3, 10.0])
def test_unite_alike_takes_the_weights_relative_to_each_other(scale):
    # The texture features were compared at their weight with a fixed threshold: all
    # weights scaled by 0.1 united the two textures, which the default weights keep apart.
    defaults = {"color": 1.0, "texture": 1.0, "xy": 0.3}
    scaled = {g: v * scale for g, v in defaults.items()}
    cluster_map, united = _unite_halves(two_textures(), scaled)
    assert cluster_map.tolist() == _unite_halves(two_textures(), defaults)[0].tolist()
    assert cluster_map.tolist() == [[0] * 80 + [1] * 80] * 80
    assert united.shape[0] == 2


def test_unite_alike_unites_two_textures_when_texture_is_weighted_0():
    # The other way round: by colour (and position) alone, one grey is one cluster.
    cluster_map, united = _unite_halves(two_textures(), {"texture": 0})
    assert cluster_map.tolist() == [[0] * 160] * 80
    assert united.tolist() == [[0.5] * united.shape[1]]


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("k", [8, 32, 64])
def test_flat_halves_give_one_region_each_whatever_k(k, seed):
    # At -k 32 the green half came back as 3 or 4 regions, strips along the edge of the
    # same green, and a blue square in it at -k 8 made 8 to 10 regions.
    from quantize import segment

    img = np.zeros((50, 70, 3), np.uint8)
    img[:] = (10, 200, 30)
    img[:, 35:] = (200, 10, 10)
    img[20:30, 10:20] = (0, 0, 255)
    labels = segment(img, n_clusters=k, seed=seed).labels
    assert int(labels.max()) == 3  # numbered in raster order of first pixels
    assert (labels[:, 35:] == 2).all()
    # The square, its corners rounded by the majority vote; the rest of the half
    square = labels == 3
    assert square[21:29, 11:19].all() and not (square & ~_box(50, 70, 20, 30, 10, 20)).any()
    assert (labels[:, :35][~square[:, :35]] == 1).all()


@pytest.mark.parametrize("k, seed", [(17, 0), (17, 3), (20, 1), (20, 4)])
def test_wide_flat_halves_give_two_regions_at_a_large_k(k, seed):
    # A strip of the edge's texture, black and white pixels together, stayed a third
    # region: its pixels did not join the black or white cluster beside it, whose grain
    # the edge raised, as they join a flat one.
    from quantize import segment

    img = np.zeros((200, 200, 3), np.uint8)
    img[:, 100:] = 255
    labels = segment(img, n_clusters=k, seed=seed).labels
    assert labels.tolist() == np.where(np.arange(200) < 100, 1, 2)[None, :].repeat(
        200, axis=0).tolist()


def _box(h: int, w: int, top: int, bottom: int, left: int, right: int) -> np.ndarray:
    inside = np.zeros((h, w), bool)
    inside[top:bottom, left:right] = True
    return inside


def test_regions_of_one_cluster_that_touch_are_one_region():
    # Merging a small region into one neighbour left two regions of one cluster touching
    # on 'chelsea' at -k 4: a border drawn where the cluster map has none.
    from skimage import data

    from quantize import segment

    result = segment(data.chelsea(), n_clusters=4, seed=0)
    labels, clusters = result.labels, result.cluster_map()
    for a, b, ca, cb in ((labels[:, :-1], labels[:, 1:], clusters[:, :-1], clusters[:, 1:]),
                         (labels[:-1], labels[1:], clusters[:-1], clusters[1:])):
        assert not ((a != b) & (ca == cb)).any()


def _noise_clusters(rng, h: int, w: int, k: int, weights=None):
    """A noise image, its features and a cluster map of ``k`` clusters strewn at random:
    every pixel lies near most clusters, the worst case for the border steps."""
    from quantize.features import DEFAULT_TEXTURE_SCALES, feature_array

    img = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    X, spec = feature_array(img, check_weights(weights), "lab", DEFAULT_TEXTURE_SCALES)
    return img, X, spec, rng.integers(0, k, (h, w)).astype(np.int32)


def test_border_sides_count_the_pixels_of_each_cluster_near_another():
    # Columns of clusters 0 | 1 | 2, 8 pixels wide: cluster 0's pixels within 6 (a square)
    # of cluster 1 are its columns 2-7, none is near 2; cluster 1 has 6 columns near each.
    from quantize.pixel_kmeans import _border_sides, _Groups

    cluster_map = np.repeat(np.arange(3, dtype=np.int32), 8)[None, :].repeat(4, axis=0)
    described = np.tile(np.arange(24, dtype=np.float32), 4)[:, None]  # the column index
    counts, sums = _border_sides(cluster_map, described, _Groups(1, 0), 3)
    assert counts.tolist() == [[0, 24, 0], [24, 0, 24], [0, 24, 0]]
    assert sums[0, 1].tolist() == [4 * sum(range(2, 8)), 4 * sum(c * c for c in range(2, 8))]
    assert sums[2, 1, 0] == 4 * sum(range(16, 22))


@pytest.mark.parametrize("weights", [{"texture": 0, "xy": 0}, None])
def test_unite_alike_sums_border_sides_one_cluster_at_a_time(rng, weights):
    """The pixels near every cluster were gathered at once: with 256 clusters strewn over
    400 x 400 pixels of noise (-k 256 -w xy=0 -w texture=0) 1.4 GB. Now each cluster's
    in turn: 7000 bytes a pixel here before (13500 with texture), about 200 (500) now."""
    from quantize.pixel_kmeans import unite_alike

    img, X, spec, cluster_map = _noise_clusters(rng, 120, 120, 128, weights)
    peak = peak_bytes(lambda: unite_alike(cluster_map, lab_planes(img), X, spec,
                                            np.zeros((128, X.shape[1]))))
    assert cluster_map.max() < 128
    assert peak / cluster_map.size < 1500


def test_refine_borders_compares_a_bounded_block_of_pixels_with_the_centres(rng, monkeypatch):
    """All pixels near a border were compared with all centres at once, float64: 0.57 GB
    at 400 x 400 pixels of noise and -k 256; 1740 bytes a pixel here before, 400 now. Any
    block size gives the same map: on 120 x 120 pixels, 2 blocks of the default size or 46
    of one sq_dist_to chunk each (the peak needs 300 x 300: it is not a bound below)."""
    from quantize import pixel_kmeans
    from quantize.pixel_kmeans import refine_borders

    img, X, spec, cluster_map = _noise_clusters(rng, 300, 300, 128)
    refined = cluster_map.copy()
    peak = peak_bytes(lambda: refine_borders(refined, X, img, spec, 128, lab_planes(img)[0]))
    assert peak / cluster_map.size < 800
    assert (refined != cluster_map).mean() > 0.5  # the noise's pixels were assigned again
    img, X, spec, cluster_map = _noise_clusters(rng, 120, 120, 128)
    lightness = lab_planes(img)[0]
    refined = cluster_map.copy()
    refine_borders(refined, X, img, spec, 128, lightness)
    monkeypatch.setattr(pixel_kmeans, "_REFINE_CELLS", 1)  # one chunk_rows block at a time
    blocks = cluster_map.copy()
    refine_borders(blocks, X, img, spec, 128, lightness)
    np.testing.assert_array_equal(blocks, refined)


def _blurred_edge(h: int, w: int, at: float, seed: int) -> np.ndarray:
    """Skin colour left of column ``at``, a dark brown right of it, the change a Gaussian
    ramp of sigma 2 pixels centred on ``at``, plus seeded noise of sigma 8."""
    from scipy.special import erf

    share = 0.5 * (1 + erf((np.arange(w) - at) / (2.0 * np.sqrt(2))))[None, :, None]
    img = np.array([222.0, 178, 155]) * (1 - share) + np.array([110.0, 65, 48]) * share
    img = img + np.random.default_rng(seed).normal(0.0, 8.0, (h, w, 3))
    return np.clip(img, 0, 255).round().astype(np.uint8)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_blurred_colour_edge_is_cut_where_the_colour_changes(seed):
    # Texture's window gives the ramp a band of strong texture that k-means gave the dark
    # side: its border landed at columns 53 to 56 of this 80 x 120 image, not 40.
    from quantize import segment

    img = _blurred_edge(80, 120, 39.5, seed)
    result = segment(img, 2, seed=0)
    firsts = [int(np.argmax(row != row[0])) for row in result.labels]
    assert result.n_regions == 2
    assert min(firsts) >= 39 and max(firsts) <= 41  # the midpoint lies between 39 and 40


def test_a_blurred_dark_blob_keeps_its_area():
    # Texture's edge band went to the blob: its area came out 8 % too large.
    from scipy import ndimage

    from quantize import segment

    h, w = 240, 320
    yy, xx = np.mgrid[:h, :w]
    blob = ((yy - h / 2) / (0.28 * h)) ** 2 + ((xx - w / 2) / (0.3 * w)) ** 2 < 1
    soft = ndimage.gaussian_filter(blob.astype(float), 3.0)[..., None]
    img = np.array([222.0, 178, 155]) * (1 - soft) + np.array([110.0, 65, 48]) * soft
    img = np.clip(img + np.random.default_rng(0).normal(0.0, 8.0, img.shape), 0, 255)
    labels = segment(img.round().astype(np.uint8), 2, seed=0).labels
    found = labels == labels[h // 2, w // 2]
    assert abs(found.sum() / blob.sum() - 1) < 0.03
