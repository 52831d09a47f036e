"""quantize.reconstruct.regions: small regions merged into their closest neighbour, and the
majority smoothing that upsamples a cluster map."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from quantize.reconstruct import regions
from quantize.reconstruct.regions import merge_small_regions, smooth_label_map


def test_small_region_joins_the_closest_neighbour():
    regions = np.array([[1, 1, 2, 3, 3],
                        [1, 1, 2, 3, 3]])
    # Region 2 (2 pixels) is nearer to region 3's mean than to region 1's.
    means = np.array([[0.0], [0.0], [0.8], [1.0]])
    mapping = merge_small_regions(regions, 3, means, min_region=3)
    assert mapping[regions].tolist() == [[1, 1, 2, 2, 2], [1, 1, 2, 2, 2]]


def test_join_names_each_component_by_its_smallest_label():
    # A chain whose links run from large labels to small ones one step at a time, so a
    # name needs several passes to reach its end, a loop, and labels 9 and 10 alone.
    links = np.array([[8, 7], [7, 6], [6, 5], [5, 1], [2, 4], [4, 3], [3, 2], [0, 11]])
    assert regions._join(links, 12).tolist() == [0, 1, 2, 2, 2, 1, 1, 1, 1, 9, 10, 0]


def test_join_agrees_with_the_connected_components_of_a_random_graph(rng):
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    links = rng.integers(0, 400, (300, 2))
    graph = coo_matrix((np.ones(300), (links[:, 0], links[:, 1])), shape=(400, 400))
    _, comp = connected_components(graph, directed=False)
    root = regions._join(links, 400)
    smallest = np.full(comp.max() + 1, 400)
    np.minimum.at(smallest, comp, np.arange(400))
    np.testing.assert_array_equal(root, smallest[comp])


def test_merging_never_joins_two_large_regions():
    regions = np.array([[1, 1, 2, 3, 3, 3]])
    means = np.array([[0.0], [0.0], [0.5], [1.0]])
    mapping = merge_small_regions(regions, 3, means, min_region=2)
    assert mapping.tolist() == [0, 1, 1, 2]


def _interpolated_everywhere(labels, k, sigma, shape):
    """The map smoothed at its own size, each label's indicator resized to ``shape`` by Pillow
    (bilinear); first max wins."""
    smoothed = smooth_label_map(labels, k, sigma)
    shares = [np.asarray(Image.fromarray((smoothed == c).astype(np.float32), mode="F").resize(
        (shape[1], shape[0]), Image.Resampling.BILINEAR)) for c in range(k)]
    return np.argmax(shares, axis=0)


@pytest.mark.parametrize(("small", "shape", "k"), [
    ((30, 40), (90, 120), 4),    # 3x
    ((31, 47), (100, 101), 5),   # uneven scales, one label absent below
    ((20, 20), (20, 20), 3),     # same size: no interpolation
])
def test_upsampling_matches_interpolating_every_pixel(rng, small, shape, k):
    blocks = np.kron(rng.integers(0, k - 1, (4, 4)), np.ones((small[0] // 4 + 1,
                                                               small[1] // 4 + 1), int))
    labels = blocks[:small[0], :small[1]]
    labels = np.where(rng.random(small) < 0.1, rng.integers(0, k - 1, small), labels)
    got = smooth_label_map(labels, k, 2.0, shape)
    assert got.shape == shape and got.dtype == np.int32
    assert np.array_equal(got, _interpolated_everywhere(labels, k, 2.0, shape))


def test_smoothing_removes_a_speck_and_keeps_a_straight_border():
    labels = np.zeros((20, 20), int)
    labels[:, 10:] = 1
    labels[5, 3] = 1
    got = smooth_label_map(labels, 2, 1.5)
    assert got[5, 3] == 0
    assert (got[:, :10] == 0).all() and (got[:, 10:] == 1).all()


@pytest.mark.parametrize(("factor", "short"), [(2, 0), (2, 1), (3, 1), (3, 2), (4, 1), (4, 3)])
@pytest.mark.parametrize("column", [4, 8, 11])
def test_upsampling_boxes_puts_each_pixel_back_in_its_box(factor, short, column):
    # labels is the map of an image box-downscaled by `factor`, its last box `short` pixels
    # short of full: a border between boxes comes back between their full-size pixels,
    # whatever the partial box (scaling by 12 / (12 * factor - short) moved it).
    labels = np.zeros((5, 12), int)
    labels[:, column:] = 1
    shape = (5 * factor - short, 12 * factor - short)
    got = smooth_label_map(labels, 2, 1.0, shape, factor=factor)
    assert (got == (np.arange(shape[1]) >= column * factor)).all()
    got = smooth_label_map(labels.T, 2, 1.0, shape[::-1], factor=factor)
    assert (got.T == (np.arange(shape[1]) >= column * factor)).all()


def _shapes_and_specks():
    """An 8 x 8 square of 1 with a one-pixel spur, a 6-wide bar of 1, an L of 2 six wide, a
    4 x 4 and a one-pixel speck; and the same map with the spur and the specks gone."""
    shapes = np.zeros((24, 34), int)
    shapes[2:10, 2:10] = 1
    shapes[14:20, 2:20] = 1
    shapes[2:18, 24:30] = 2
    shapes[12:18, 24:33] = 2
    marked = shapes.copy()
    marked[6, 10:14] = 1
    marked[3:7, 14:18] = 2
    marked[20, 30] = 1
    return marked, shapes


def test_keep_side_keeps_every_pixel_of_shapes_that_wide_and_still_removes_specks():
    marked, shapes = _shapes_and_specks()
    assert np.array_equal(smooth_label_map(marked, 3, 3.0, keep_side=6), shapes)
    # The vote alone rounds the corners off: 39 of the square's 64 pixels are left.
    assert (smooth_label_map(marked, 3, 3.0)[2:10, 2:10] == 1).sum() == 39


def test_keep_side_keeps_a_disks_outline_not_only_its_inner_squares():
    # Squares of the full side (6) miss some of the rim; those of a third of it do not.
    yy, xx = np.mgrid[:40, :40]
    disk = (np.hypot(yy - 19.3, xx - 20.6) < 6).astype(int)
    assert np.array_equal(smooth_label_map(disk, 2, 3.0, keep_side=6), disk)
    assert (smooth_label_map(disk, 2, 3.0) != disk).sum() == 30


@pytest.mark.parametrize("side", [2, 3, 4, 5])
def test_pixels_in_a_square_of_their_own_label(side):
    labels = np.zeros((24, 24), int)
    labels[5:5 + side, 5:5 + side] = 1         # just holds the square
    labels[16:16 + side - 1, 5:19] = 2         # a bar one row too thin
    got = regions._in_square_of_own_label(labels, side)
    assert np.array_equal(got, labels != 2)


@pytest.mark.parametrize("factor", [2, 3])
def test_upsampling_brings_a_kept_square_back_over_its_boxes(factor):
    square = np.zeros((16, 16), int)
    square[4:10, 4:10] = 1
    got = smooth_label_map(square, 2, 2.0, (16 * factor, 16 * factor), factor=factor,
                           keep_side=4)
    boxes = np.kron(square, np.ones((factor, factor), int))
    # Only each corner's outermost pixel is rounded off, at 3x.
    assert (got != boxes).sum() == (0 if factor == 2 else 4)
    assert (got[boxes == 0] == 0).all()


# -- regions held as runs ---------------------------------------------------


def _runs_of(labels, band_pixels, monkeypatch):
    monkeypatch.setattr(regions, "_RUN_BAND_PIXELS", band_pixels)
    return regions.region_runs(lambda start, stop: labels[start:stop], labels.shape)


@pytest.mark.parametrize("band_pixels", [1, 4, 1 << 20])
def test_region_runs_number_regions_in_raster_order_of_their_first_pixels(monkeypatch,
                                                                         band_pixels):
    labels = np.array([[0, 0, 1],
                       [1, 0, 1],
                       [1, 1, -1]])
    runs = _runs_of(labels, band_pixels, monkeypatch)
    assert runs.label_map().tolist() == [[1, 1, 2], [3, 1, 2], [3, 3, 0]]
    assert runs.n == 3
    assert runs.areas().tolist() == [1, 3, 2, 3]
    assert runs.pairs.tolist() == [[1, 2], [1, 3]]
    assert runs.label_map(np.array([0, 5, 6, 5])).tolist() == [[5, 5, 6], [5, 5, 6],
                                                                [5, 5, 0]]
    assert runs.regions_at(np.array([[0, 3], [5, 8]])).tolist() == [[1, 3], [2, 0]]


def test_region_runs_join_the_arms_of_a_shape_that_meet_in_a_later_band(monkeypatch):
    # Read one row at a time: the two arms of the U are one region from the last row on.
    labels = np.array([[0, 1, 0],
                       [0, 1, 0],
                       [0, 0, 0]])
    runs = _runs_of(labels, 1, monkeypatch)
    assert runs.label_map().tolist() == [[1, 2, 1], [1, 2, 1], [1, 1, 1]]
    assert runs.n == 2 and runs.pairs.tolist() == [[1, 2]]


@pytest.mark.parametrize("band_pixels", [1, 7, 60, 1 << 20])
def test_region_runs_agree_with_a_labelling_of_the_whole_map(rng, monkeypatch, band_pixels):
    # scikit-image's labelling of the map held whole is the reference; the blocky maps
    # have long runs, the noisy ones short runs and many regions.
    from skimage.measure import label

    for trial in range(30):
        h, w = (int(v) for v in rng.integers(1, 30, 2))
        labels = rng.integers(-1, 3, (h, w))
        if trial % 2:
            labels = np.kron(labels, np.ones((3, 4), int))[:h, :w]
        expected = label(labels, background=-1, connectivity=1)
        runs = _runs_of(labels, band_pixels, monkeypatch)
        n = int(expected.max())
        np.testing.assert_array_equal(runs.label_map(), expected)
        assert runs.n == n
        np.testing.assert_array_equal(runs.areas(), np.bincount(expected.ravel(),
                                                                minlength=n + 1))
        touching = {tuple(sorted((int(a), int(b))))
                    for a_map, b_map in ((expected[:, :-1], expected[:, 1:]),
                                         (expected[:-1], expected[1:]))
                    for a, b in zip(a_map.ravel(), b_map.ravel(), strict=True)
                    if a != b and a and b}
        assert runs.pairs.tolist() == sorted(list(p) for p in touching)


def test_merging_regions_from_their_areas_and_pairs_is_merging_their_map(rng):
    from skimage.measure import label

    labels = label(np.kron(rng.integers(0, 3, (12, 12)), np.ones((2, 2), int)),
                   connectivity=1, background=-1)
    n = int(labels.max())
    means = rng.random((n + 1, 2))
    runs = regions.region_runs(lambda start, stop: labels[start:stop], labels.shape)
    for min_region in (0, 5, 13, 40):
        expected = merge_small_regions(labels, n, means, min_region)
        np.testing.assert_array_equal(
            regions.merge_regions(runs.areas(), runs.pairs, means, min_region), expected)


@pytest.mark.parametrize("shape", [(1, 7), (7, 1), (5, 6), (9, 4)])
def test_label_changes_are_the_pixels_whose_right_or_lower_neighbour_differs(rng, shape):
    # Few labels, so that a row's last pixel often differs from the next row's first,
    # which is not its neighbour.
    labels = rng.integers(0, 2, shape)
    right, below = regions.label_changes(labels)
    h, w = shape
    assert right.tolist() == [y * w + x for y in range(h) for x in range(w - 1)
                              if labels[y, x] != labels[y, x + 1]]
    assert below.tolist() == [y * w + x for y in range(h - 1) for x in range(w)
                              if labels[y, x] != labels[y + 1, x]]
    assert np.union1d(right, below).tolist() == np.flatnonzero(
        regions.find_boundaries(labels)).tolist()


def test_linked_components_number_them_as_scipy_does():
    """segment's unions of regions took SciPy's connected_components (loading
    scipy.sparse.csgraph, 40 ms of a command's start); the same numbering without it."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    rng = np.random.default_rng(0)
    for size, m in [(1, 0), (5, 0), (7, 3), (40, 25), (300, 280), (1000, 200), (1000, 3000)]:
        a, b = rng.integers(0, size, m), rng.integers(0, size, m)
        graph = coo_matrix((np.ones(m), (a, b)), shape=(size, size))
        expected = connected_components(graph, directed=False)[1]
        assert regions.linked_components(a, b, size).tolist() == expected.tolist()


def test_linked_components_of_a_chain_given_backwards():
    # names must flow down a chain whose links come in the worst order
    a, b = np.arange(9, 0, -1), np.arange(8, -1, -1)
    assert regions.linked_components(a, b, 12).tolist() == [0] * 10 + [1, 2]


def test_linked_components_of_a_long_chain_with_scrambled_labels():
    # each pass hooks a tree's root under a smaller one, so a chain whose labels come in
    # random order joins in a few passes (names flowing link by link took one a link)
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    order = np.random.default_rng(5).permutation(5000)
    a, b = order[:-2000], order[1:-1999]  # one chain of 3001 nodes, 1999 nodes alone
    graph = coo_matrix((np.ones(a.shape[0]), (a, b)), shape=(5000, 5000))
    expected = connected_components(graph, directed=False)[1]
    got = regions.linked_components(a, b, 5000)
    assert got.tolist() == expected.tolist()
    assert np.unique(got).shape[0] == 2000


def test_the_inner_point_of_a_u_lies_in_it_where_its_centroid_does_not():
    # A U of label 2, arms 3 pixels wide, around a pocket of label 1: its centroid (row
    # 6.48, col 5) is in the pocket; the inner point, 1 pixel from every edge, in an arm.
    labels = np.ones((13, 11), np.int32)
    labels[1:12, 1:10] = 2
    labels[1:9, 4:7] = 1
    stats = regions.region_stats(labels, np.zeros((13, 11, 3), np.uint8), np.array([0, 1]), 2)
    assert stats[1]["centroid"] == [6.48, 5.0]
    assert labels[6, 5] == 1
    assert stats[1]["inner_point"] == [2, 2]
    assert [labels[tuple(s["inner_point"])] for s in stats] == [1, 2]


def test_the_inner_point_is_the_first_farthest_pixel_in_raster_order():
    labels = np.zeros((5, 8), np.int32)
    labels[:, 4:] = 1
    points = regions.inner_points(labels + 1, 2)
    assert points.tolist() == [[0, 0], [1, 1], [1, 5]]  # rows 1 to 3 all 1 from an edge


def test_a_cluster_record_sums_its_regions():
    # Regions 1 and 3 in cluster 1, region 2 in cluster 0; cluster 2 has no region.
    labels = np.array([[1, 1, 2, 3]], np.int32)
    rgb = np.array([[[10, 0, 0], [20, 0, 0], [0, 90, 0], [30, 0, 3]]], np.uint8)
    sums = regions.region_sums(labels, rgb, 3)
    assert regions.cluster_stats(sums, np.array([1, 0, 1]), 3) == [
        {"cluster": 0, "regions": 1, "area": 1, "fraction": 0.25, "mean_color": [0.0, 90.0, 0.0]},
        {"cluster": 1, "regions": 2, "area": 3, "fraction": 0.75,
         "mean_color": [20.0, 0.0, 1.0]}]


def test_region_perimeters_count_the_pixels_on_each_region_s_edge():
    """The perimeter (segments.json had none): a region's pixels with a 4-neighbour in
    another region or on the image's edge, counted by hand on tiny maps."""
    rings = np.array([[1, 1, 1, 1, 1],
                      [1, 2, 2, 2, 1],
                      [1, 2, 3, 2, 1],
                      [1, 2, 2, 2, 1],
                      [1, 1, 1, 1, 1]])
    assert regions.region_perimeters(rings, 3).tolist() == [0, 16, 8, 1]
    assert regions.region_perimeters(np.ones((4, 5), int), 1).tolist() == [0, 14]
    # two staircases of 6 pixels either side of a diagonal, on a row: every pixel is on an edge
    shapes = np.array([[1, 2, 2, 2],
                       [1, 1, 2, 2],
                       [1, 1, 1, 2],
                       [3, 3, 3, 3]])
    assert regions.region_perimeters(shapes, 3).tolist() == [0, 6, 6, 4]
    square = np.ones((6, 6), int)
    square[1:5, 1:5] = 2  # 4 x 4: 12 on its edge, 4 inside
    assert regions.region_perimeters(square, 2).tolist() == [0, 20, 12]
    one_row = np.array([[1, 1, 2]])
    assert regions.region_perimeters(one_row, 2).tolist() == [0, 2, 1]


def test_region_stats_give_the_perimeter_after_the_area():
    labels = np.ones((6, 6), np.int32)
    labels[1:5, 1:5] = 2
    stats = regions.region_stats(labels, np.zeros((6, 6, 3), np.uint8), np.array([0, 1]), 2)
    assert [(s["area"], s["perimeter"]) for s in stats] == [(20, 20), (16, 12)]
    assert list(stats[0])[2:5] == ["area", "perimeter", "bbox"]
    assert all(type(s["perimeter"]) is int for s in stats)


@pytest.mark.parametrize("dtype, offset", [(np.uint16, 0), (np.int32, -40000),
                                           (np.float64, 1e6), (np.float32, 300.0)])
def test_input_value_stats_agree_with_numpy_label_by_label(rng, monkeypatch, dtype, offset):
    """Each label's mean, std (ddof=0), min and max of its visible values, read a band of
    rows at a time (3 rows here, so that bands meet inside labels), as NumPy gives them
    label by label; merged labels as the values of both; a large common offset of float
    values (1e6) does not cancel the spread away."""
    monkeypatch.setattr(regions, "_BAND_ROWS", 3)
    labels = rng.integers(0, 5, (10, 7))
    values = (offset + rng.integers(0, 60, (10, 7, 3)) * 0.25).astype(dtype)
    alpha = np.where(rng.random((10, 7)) < 0.2, 0, 255).astype(np.uint8)
    stats = regions.input_value_stats(labels, values, 4, alpha)
    merged = stats.merged(np.array([0, 1, 1, 2, 2]), 2)
    for got, groups in ((stats, [[1], [2], [3], [4]]), (merged, [[1, 2], [3, 4]])):
        for row, group in enumerate(groups, start=1):
            picked = values[np.isin(labels, group) & (alpha > 0)].astype(np.float64)
            assert got.count[row] == picked.shape[0]
            np.testing.assert_allclose(got.means()[row], picked.mean(axis=0), rtol=1e-12)
            np.testing.assert_allclose(got.stds()[row], picked.std(axis=0), rtol=1e-6)
            assert got.low[row].tolist() == picked.min(axis=0).tolist()
            assert got.high[row].tolist() == picked.max(axis=0).tolist()


def test_input_value_stats_of_a_grey_input_have_one_channel():
    labels = np.array([[1, 1, 2]])
    stats = regions.input_value_stats(labels, np.array([[4, 8, 30]], np.uint16), 2)
    table = regions.input_table(stats, (0.0, 100.0))
    assert table["mean_input"][1].tolist() == [6.0, 6.0, 6.0]  # as it was written before
    assert [table[k][1].tolist() for k in ("std_input", "min_input", "max_input")] == [
        [2.0], [4.0], [8.0]]
