"""quantize.segment: segment and boundary_map: exact regions, texture, hierarchy cuts, results."""

from __future__ import annotations

import re
import sys
import warnings

import numpy as np
import pytest
from PIL import Image, ImageDraw

import quantize
from quantize import SegmentResult, boundary_map, segment
from quantize.features import build_features
from quantize.io import load_image
from quantize.metrics import adjusted_rand_index, boundary_scores
from quantize.reconstruct.regions import connected_regions, find_boundaries
from quantize.segment import (
    _OPEN_SPARSE_PASSES,
    DEFAULT_LEVEL,
    AlphaIgnoredWarning,
    ClusterCountWarning,
    RegionCountWarning,
    _build_hierarchy,
)
from quantize.segment_file import OUTPUT_FILES, segment_file
from quantize.texture import lab_planes

from .result_support import assert_stay_read_only, copied
from .segment_support import load_benchmark, quadrants, step_image, two_textures


@pytest.fixture(scope="module")
def mosaic():
    """The benchmark's texture mosaic: grass, brick, gravel tinted to one mean colour."""
    return load_benchmark("bench_segment").texture_mosaic(1024)


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


def _step(shape, at, axis):
    """Black, then grey from row (axis 0) or column (axis 1) ``at`` on."""
    img = np.zeros((*shape, 3), np.uint8)
    img[(slice(None),) * axis + (slice(at, None),)] = 200
    return img


def _steps_along(labels, axis):
    """The positions where the labels change along ``axis``, over all rows or columns."""
    return sorted(set(np.nonzero(np.diff(labels, axis=axis))[axis].tolist()))


# Steps on a box border of the working copy, in images whose side is not a multiple of the
# factor: Pillow's reduce makes the last box partial, and the others must not stretch to
# cover it. (shape, step, axis): factor 2 (1025 -> 513), 3 (2050 -> 684, 2051 -> 684),
# 4 (3077 -> 770).
ALIGNED_STEPS = [((3, 1025), 700, 1), ((3, 2050), 2046, 1), ((4, 2051), 1401, 1),
                 ((3, 3077), 3072, 1), ((2050, 5), 1800, 0), ((1025, 2), 1000, 0)]


@pytest.mark.parametrize(("shape", "at", "axis"), ALIGNED_STEPS)
def test_kmeans_borders_stay_on_the_working_copys_box_borders(shape, at, axis):
    # Width 1025 (factor 2): column 699, in a black box, went grey; width 2050 (factor 3):
    # columns were mapped at 684/2050 instead of 1/3 and the border moved 2 columns left.
    result = segment(_step(shape, at, axis), 2, weights={"xy": 0, "texture": 0}, seed=0,
                     min_region=0)
    assert result.n_regions == 2
    assert _steps_along(result.labels, axis) == [at - 1]


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
# The k-means path's smoothing: specks go, shapes at least a speck wide stay whole
# --------------------------------------------------------------------------

COLOUR_ONLY = {"xy": 0, "texture": 0}


def _painted(shapes, rng, noise):
    """Blue ``shapes`` (bool) on grey, plus seeded Gaussian noise of ``noise`` levels."""
    img = np.where(shapes[..., None], np.array([40, 70, 160]), np.array([200, 190, 180]))
    img = img + rng.normal(0, noise, img.shape) if noise else img
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def _shapes_and_specks():
    """On 300 x 300 (specks are under 10 pixels wide): squares, bars, an L, two rings, and a
    9 x 9 square and a 3-wide line; and the same without those two specks."""
    shapes = np.zeros((300, 300), bool)
    shapes[20:30, 20:30] = True                                 # 10 x 10
    shapes[50:80, 20:50] = True                                 # 30 x 30
    shapes[100:112, 20:170] = True                              # a bar 12 wide
    shapes[130:280, 20:30] = True                               # a bar 10 wide
    shapes[130:190, 60:72] = shapes[178:190, 60:120] = True     # an L, 12 wide
    shapes[210:270, 60:120] = True
    shapes[222:258, 72:108] = False                             # a square ring, 12 wide
    yy, xx = np.mgrid[:300, :300]
    distance = np.hypot(yy - 200.5, xx - 210.5)
    shapes |= (distance >= 22) & (distance < 36)                # a round ring, 14 wide
    kept = shapes.copy()
    shapes[20:29, 60:69] = True                                 # a 9 x 9 speck
    shapes[20:60, 200:203] = True                               # a line 3 wide
    return shapes, kept


@pytest.mark.parametrize("noise", [0.0, 6.0])
def test_kmeans_smoothing_keeps_every_pixel_of_shapes_a_speck_wide_and_removes_specks(
        rng, noise):
    shapes, kept = _shapes_and_specks()
    result = segment(_painted(shapes, rng, noise), 2, min_region=0, weights=COLOUR_ONLY,
                     seed=0)
    expected, n = connected_regions(kept.astype(int))
    np.testing.assert_array_equal(result.labels, expected)
    assert result.n_regions == n == 10  # the background, seven shapes, two rings' holes


def test_a_round_outline_loses_at_most_a_few_pixels_at_its_tips(rng):
    # Centred between pixels, the ring above comes out whole; elsewhere a tip of its outline
    # may run straight for less than a third of a speck (3 pixels), and such a tip is voted
    # on.
    yy, xx = np.mgrid[:120, :120]
    for cy, cx in 60 + rng.random((10, 2)):
        distance = np.hypot(yy - cy, xx - cx)
        ring = (distance >= 22) & (distance < 36)
        img = _painted(np.pad(ring, 90), None, 0)
        result = segment(img, 2, min_region=0, weights=COLOUR_ONLY, seed=0)
        found = (result.cluster_map() != result.cluster_map()[0, 0])[90:-90, 90:-90]
        wrong = np.argwhere(found != ring) - (cy, cx)
        assert len(wrong) <= 8
        # at the four tips: within 3 pixels of the line through the centre along an axis
        assert (np.abs(wrong).min(axis=1) < 3).all()


@pytest.mark.parametrize(("side", "left"), [(9, 0), (10, 100), (12, 144), (30, 900)])
def test_a_square_comes_out_whole_from_the_speck_size_on(recwarn, side, left):
    # The speck size is 1/30 of the longer side: 10 pixels here. The smoothing used to
    # leave 4 pixels of the 10 x 10 square and 824 of the 30 x 30 one. (With noise, a lone
    # small square is too few pixels for a cluster of its own; see the test above.)
    shapes = np.zeros((300, 300), bool)
    shapes[140:140 + side, 150:150 + side] = True
    result = segment(_painted(shapes, None, 0), 2, min_region=0, weights=COLOUR_ONLY, seed=0)
    found = result.labels != result.labels[0, 0]
    assert found.sum() == left
    if left:
        np.testing.assert_array_equal(found, shapes)
    assert _smoothed_away_said(recwarn) == ([] if left else [(10, "300 x 300")])


@pytest.mark.parametrize(("side", "dot", "left"), [(40, 1, 0), (40, 2, 4), (64, 2, 0),
                                                  (64, 3, 9)])
def test_on_tiny_images_a_dot_under_the_speck_size_still_goes(recwarn, side, dot, left):
    # Speck sizes 1.3 and 2.1 pixels: a dot is removed under them, kept whole from them on
    # (the warning rounds them up, to the narrowest dot kept).
    shapes = np.zeros((side, side), bool)
    shapes[14:14 + dot, 14:14 + dot] = True
    result = segment(_painted(shapes, None, 0), 2, min_region=0, weights=COLOUR_ONLY, seed=0)
    assert (result.labels != result.labels[0, 0]).sum() == left
    speck = {40: 2, 64: 3}[side]
    assert _smoothed_away_said(recwarn) == ([] if left else [(speck, f"{side} x {side}")])


def _region_warnings(recwarn) -> list[str]:
    return [str(w.message) for w in recwarn if issubclass(w.category, RegionCountWarning)]


def test_a_cluster_the_smoothing_removes_is_said_when_several_regions_are_left(recwarn):
    """-k 3 of black and red halves with white 1-pixel dots on the black gave 2 regions of
    3 clusters without a word (only one region left was said)."""
    img = np.zeros((64, 64, 3), np.uint8)
    img[:, 32:] = (200, 0, 0)
    img[4:28:6, 4:28:6] = 255
    result = segment(img, 3, seed=0)
    # the cluster left no region, numbered between the two kept, is left out: no gap
    assert (result.n_regions, result.centers.shape[0]) == (2, 2)
    assert np.unique(result.cluster_map()).tolist() == [0, 1]
    assert _region_warnings(recwarn) == [
        "n_clusters=3 gives 2 regions, of 2 of the 3 clusters k-means found: the majority "
        "smoothing removed the rest, as their pixels lay in specks (details narrower than "
        "about 3 pixels on this 64 x 64 image); the speck size follows the image's longer "
        "side, so a crop of it keeps smaller details, and smooth=0 keeps them all"]


@pytest.mark.parametrize(("min_region", "n_regions"), [(0, 4), (30, 4), (40, 3)])
def test_a_cluster_min_region_merges_away_is_said(recwarn, min_region, n_regions):
    """A green 6 x 6 square of 36 pixels is its cluster's one region: min_region=40 merges
    it, leaving 3 regions of 4 clusters."""
    img = np.zeros((40, 60, 3), np.uint8)
    img[:, 20:40] = (200, 0, 0)
    img[:, 40:] = (0, 0, 200)
    img[10:16, 8:14] = (0, 200, 0)
    result = segment(img, 4, min_region=min_region, weights=COLOUR_ONLY, seed=0)
    assert (result.n_regions, result.centers.shape[0]) == (n_regions, 4)
    assert _region_warnings(recwarn) == ([] if n_regions == 4 else [
        "n_clusters=4 gives 3 regions, of 3 of the 4 clusters k-means found: min_region=40 "
        "merged the regions smaller than 40 pixels (of the 2400 of this 60 x 40 image) into "
        "their neighbours, and the majority smoothing removes specks (details narrower than "
        "about 2 pixels); min_region=0 keeps every region the smoothing leaves"])


def test_clusters_united_into_fewer_regions_than_k_are_not_region_warnings(recwarn):
    # The manual: K is the most clusters; two flat halves give 2 regions whatever K.
    img = np.zeros((60, 80, 3), np.uint8)
    img[:, 40:] = 255
    result = segment(img, 8, seed=0)
    assert result.n_regions == result.centers.shape[0] == 2
    assert _region_warnings(recwarn) == []


def _smoothed_away_said(recwarn) -> list[tuple[int, str]]:
    """The speck size and image size each RegionCountWarning names, of the majority
    smoothing (any other: 0 and its whole message)."""
    said = re.compile(r"n_clusters=2 gives 1 region: of the 2 clusters k-means found, the "
                      r"majority smoothing removed all but one, as their pixels lay in specks "
                      r"\(details narrower than about (\d+) pixels on this (\d+ x \d+) image\)")
    return [(int(m[1]), m[2]) if m else (0, str(w.message)) for w in recwarn
            if issubclass(w.category, RegionCountWarning) for m in [said.match(str(w.message))]]


@pytest.mark.parametrize(("weights", "keeps"), [(COLOUR_ONLY, True), ({"xy": 0}, False),
                                               (None, False)])
def test_only_without_texture_do_shapes_a_speck_wide_escape_the_vote(monkeypatch, weights,
                                                                     keeps):
    # With texture, a speck-wide blob near a border may be the texture window's blur: the
    # texture mosaics of bench_segment lost border F (worst layout 0.857 -> 0.832) when
    # such blobs were kept, so there the vote alone decides.
    import quantize.pixel_kmeans as pixel_kmeans

    sides = []
    smooth = pixel_kmeans._regions.smooth_label_map

    def recorded(*args, keep_side=0, **kwargs):
        sides.append(keep_side)
        return smooth(*args, keep_side=keep_side, **kwargs)

    monkeypatch.setattr(pixel_kmeans._regions, "smooth_label_map", recorded)
    shapes = np.zeros((300, 300), bool)
    shapes[140:170, 150:180] = True
    result = segment(_painted(shapes, None, 0), 2, min_region=0, weights=weights, seed=0)
    assert sides == [10 if keeps else 0]  # the speck size: 1/30 of 300, rounded up
    if keeps:
        assert (result.labels != result.labels[0, 0]).sum() == 900


def test_shapes_stay_whole_through_the_working_copy():
    # 1100 pixels a side: clustered on a copy halved, the labels brought back to full size.
    shapes = np.zeros((1100, 1100), bool)
    shapes[200:240, 300:340] = True
    shapes[500:560, 100:700] = True
    shapes[700:900, 700:900] = True
    shapes[740:860, 740:860] = False
    result = segment(_painted(shapes, None, 0), 2, min_region=0, weights=COLOUR_ONLY, seed=0)
    np.testing.assert_array_equal(result.labels, connected_regions(shapes.astype(int))[0])


def test_kmeans_regions_are_read_from_the_full_size_map_a_band_at_a_time(monkeypatch):
    """-k numbered the connected regions of its cluster map brought to full size whole,
    with a full-size map of them beside it (4 s and the whole remaining peak at 27 MP);
    the map is now made and read a band of rows at a time and kept as its runs (on a
    working copy, made a band at a time, its borders moved onto the image's edges, and
    read a band at a time). The regions are the same: those of the cluster map, numbered
    in raster order."""
    from skimage.measure import label

    from quantize.reconstruct import refine, regions

    bands = []
    enlarged = regions.enlarged_rows

    def recording(*args, **kwargs):
        rows = enlarged(*args, **kwargs)

        def band(start, stop):
            bands.append(stop - start)
            return rows(start, stop)

        return band

    monkeypatch.setattr(regions, "enlarged_rows", recording)
    monkeypatch.setattr(refine, "_ENLARGE_BAND_PIXELS", 50_000)
    shapes = np.zeros((1100, 1100), bool)
    shapes[100:1000, 300:800] = True  # a frame around a hole, and a bar in the hole
    shapes[300:800, 400:700] = False
    shapes[500:540, 450:650] = True
    result = segment(_painted(shapes, None, 0), 2, min_region=0, weights=COLOUR_ONLY, seed=0)
    # Bands of whole boxes of the working copy (factor 2), which refine's edges move.
    assert sum(bands) == 1100 and max(bands) == 50_000 // (2 * 1100) * 2
    np.testing.assert_array_equal(result.labels,
                                  label(result.cluster_map(), connectivity=1, background=-1))
    assert result.n_regions == 4


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


def test_hierarchy_weights_count_at_their_size_as_documented():
    # README: the merge cost is compared with a fixed height at the default cut, so
    # halving color and texture together merges a border that the default weights keep;
    # k-means, which standardises each group, gives the same clusters for both
    img = np.full((40, 40, 3), 100, np.uint8)
    img[:, 20:] = 130
    halved = {"color": 0.5, "texture": 0.5}
    assert segment(img).n_regions == 2
    assert segment(img, weights=halved).n_regions == 1
    np.testing.assert_array_equal(segment(img, 2, seed=0).labels,
                                  segment(img, 2, weights={**halved, "xy": 0.15}, seed=0).labels)


def test_a_mean_colour_of_exactly_a_half_rounds_to_even_as_documented():
    # one region of two pixels: means 0.5, 1.5 and 2.5 give 0, 2 and 2 (the README's
    # segmented.png), not the 1, 2 and 3 of rounding halves up
    img = np.array([[[0, 0, 0], [1, 3, 5]]], np.uint8)
    result = segment(img)
    assert result.n_regions == 1
    assert result.mean_color_image().tolist() == [[[0, 2, 2], [0, 2, 2]]]
    assert result.region_stats()[0]["mean_color"] == [0.5, 1.5, 2.5]
    assert result.mean_colors()[1].tolist() == [0, 2, 2]  # the table the image is drawn from


def test_mean_colors_is_the_table_mean_color_image_is_drawn_from():
    img = np.zeros((4, 6, 3), np.uint8)
    img[:, 3:] = [200, 10, 30]
    img[2:, :3, 1] = 101
    result = segment(img, 3, seed=0, min_region=0)
    table = result.mean_colors()
    assert table.dtype == np.uint8 and table.shape == (result.n_regions + 1, 3)
    np.testing.assert_array_equal(table[result.labels], result.mean_color_image())
    assert sorted(table[1:].tolist()) == [[0, 0, 0], [0, 101, 0], [200, 10, 30]]


def test_exact_mean_colors_are_the_unrounded_means():
    """Only rounded means were given (uint8 here, one decimal in region_stats): a feature
    computed from them was off by up to half a level."""
    img = np.array([[[0, 0, 0], [1, 3, 5]]], np.uint8)
    result = segment(img)
    exact = result.mean_colors(exact=True)
    assert exact.dtype == np.float64
    assert exact.tolist() == [[0.0, 0.0, 0.0], [0.5, 1.5, 2.5]]
    assert result.mean_colors().tolist() == [[0, 0, 0], [0, 2, 2]]  # the default stays


def test_exact_mean_colors_are_of_the_visible_pixels():
    rgba = half_hidden_left()
    with pytest.warns(AlphaIgnoredWarning):
        result = segment(rgba, regions=2)
    exact = result.mean_colors(exact=True)
    assert exact[1].tolist() == [7500 / 38, 30.0, 30.0]
    np.testing.assert_array_equal(exact[1:], result.centers)  # the hierarchy's centres
    exact[1] = 0  # a new array each call
    assert result.mean_colors(exact=True)[1, 0] == 7500 / 38


def test_mean_colors_exact_takes_a_bool_only():
    result = segment(np.zeros((4, 4, 3), np.uint8))
    with pytest.raises(TypeError, match=r"^exact='yes' should be a bool, got str$"):
        result.mean_colors(exact="yes")
    with pytest.raises(TypeError):
        result.mean_colors(True)  # keyword only


def test_exact_region_stats_are_the_unrounded_centroids_and_means():
    """region_stats() rounded centroids to two decimals and mean colours to one, with no
    unrounded form of the centroids; exact=True gives both as computed, the mean colours
    those of mean_colors(exact=True). Region 1 is the L of pixels (0, 0), (0, 1), (1, 0);
    region 2 the other six of a 3 x 3 image."""
    labels = np.array([[1, 1, 2], [1, 2, 2], [2, 2, 2]], np.int32)
    img = np.zeros((3, 3, 3), np.uint8)
    img[0, 0] = (1, 2, 4)
    img[0, 1] = (0, 0, 1)
    img[..., 1] += labels.astype(np.uint8) * 100 - 100  # region 2 green 100, region 1 not
    result = SegmentResult(labels=labels, clusters=np.array([0, 1]),
                           centers=np.zeros((2, 3)), image=img, weights={}, min_region=1)
    exact = result.region_stats(exact=True)
    assert [(s["centroid"], s["mean_color"]) for s in exact] == [
        ([1 / 3, 1 / 3], [1 / 3, 2 / 3, 5 / 3]),
        ([8 / 6, 8 / 6], [0.0, 100.0, 0.0])]
    assert all(type(v) is float for s in exact for key in ("centroid", "mean_color")
               for v in s[key])
    np.testing.assert_array_equal([s["mean_color"] for s in exact],
                                  result.mean_colors(exact=True)[1:])
    rounded = result.region_stats()  # the default, as segments.json writes it
    assert [(s["centroid"], s["mean_color"]) for s in rounded] == [
        ([0.33, 0.33], [0.3, 0.7, 1.7]), ([1.33, 1.33], [0.0, 100.0, 0.0])]
    assert [{k: v for k, v in s.items() if k not in ("centroid", "mean_color")}
            for s in exact] == [{k: v for k, v in s.items()
                                 if k not in ("centroid", "mean_color")} for s in rounded]
    with pytest.raises(TypeError, match=r"^exact='yes' should be a bool, got str$"):
        result.region_stats(exact="yes")
    with pytest.raises(TypeError):
        result.region_stats(True)  # keyword only


def test_cluster_map_has_the_dtype_of_labels(rng):
    """cluster_map() was int64 beside labels' int32."""
    img, _ = quadrants(rng)
    for result in (segment(img, regions=4), segment(img, 4, weights={"texture": 0}, seed=0)):
        cmap = result.cluster_map()
        assert cmap.dtype == result.labels.dtype == np.int32
        np.testing.assert_array_equal(cmap, result.clusters[result.labels - 1])


def test_read_only_labels_need_a_copy_for_scikit_image_as_documented(rng):
    """The README and SegmentResult name these two and the one-line fix."""
    from skimage.segmentation import join_segmentations, relabel_sequential

    img, truth = quadrants(rng)
    result = segment(img, regions=4)
    for call in (lambda x: relabel_sequential(x), lambda x: join_segmentations(x, x)):
        with pytest.raises(ValueError, match="buffer source array is read-only"):
            call(result.labels)
    np.testing.assert_array_equal(relabel_sequential(result.labels.copy())[0], truth + 1)
    assert join_segmentations(result.labels.copy(), result.labels.copy()).max() == 4


def test_np_asarray_of_a_segmentation_is_its_labels(rng):
    """np.asarray(result) was a 0-d object array; np.array(result), a writable copy of the
    labels, is what relabel_sequential takes."""
    from skimage.segmentation import relabel_sequential

    img, truth = quadrants(rng)
    result = segment(img, regions=4)
    labels = np.asarray(result, copy=False)
    assert labels.dtype == np.int32 and not labels.flags.writeable
    np.testing.assert_array_equal(labels, truth + 1)
    assert np.shares_memory(labels, result.labels)
    np.testing.assert_array_equal(relabel_sequential(np.array(result))[0], truth + 1)
    assert np.asarray(result, dtype=np.uint8).dtype == np.uint8
    with pytest.raises(ValueError, match=r"^copy=False: a SegmentResult's labels in uint8 need "
                                         r"a copy; expected copy=None or True$"):
        result.__array__(dtype=np.uint8, copy=False)
    with pytest.raises(ValueError, match="Unable to avoid copy"):  # NumPy's, read through
        np.asarray(result, dtype=np.uint8, copy=False)            # __array_interface__


def test_pillow_takes_a_segmentation_itself_as_the_picture_of_its_labels(rng):
    """Image.fromarray(result) raised AttributeError: Pillow wants __array_interface__ and
    a buffer (or, for an interface with strides, tobytes)."""
    img, truth = quadrants(rng)
    result = segment(img, regions=4)
    picture = Image.fromarray(result)
    assert picture.mode == "I" and picture.size == (80, 64)
    np.testing.assert_array_equal(np.asarray(picture), truth + 1)
    assert result.tobytes() == (truth + 1).astype(np.int32).tobytes()


def test_a_segmentation_is_never_equal_element_wise_to_its_labels(rng):
    """result == result.labels was NumPy's element-wise comparison (the reflected
    ndarray.__eq__), where a result's == is documented as identity."""
    result = segment(quadrants(rng)[0], regions=4)
    assert (result == result.labels) is False and (result != result.labels) is True
    assert result == result and len({result, result}) == 1


def test_16_bit_levels_closer_than_257_are_one_colour_as_documented():
    img = np.full((20, 30, 3), 1000, np.uint16)
    img[:, 15:] = 1100
    result = segment(img)
    assert result.n_regions == 1
    assert result.image.dtype == np.uint8 and set(result.image.ravel().tolist()) == {4}


def test_clusters_and_centers_are_as_documented_on_both_paths(rng):
    # The docstring described k-means centres only; from the hierarchy they are
    # the regions' mean colours, one per region.
    img, truth = quadrants(rng)
    tree = segment(img, regions=4)
    np.testing.assert_array_equal(tree.labels, truth + 1)
    assert tree.clusters.tolist() == [0, 1, 2, 3]
    assert tree.centers.shape == (4, 3) and tree.centers.dtype == np.float64
    for r in range(1, 5):
        np.testing.assert_allclose(tree.centers[r - 1], img[tree.labels == r].mean(axis=0))
    km = segment(img, 4, weights={"texture": 0}, seed=0)
    assert km.centers.shape[0] == 4 and km.centers.dtype == np.float64
    assert km.cluster_map().max() == 3
    # Fewer distinct feature vectors than clusters asked: one centre per cluster made.
    with pytest.warns(ClusterCountWarning):
        flat = segment(np.full((6, 6, 3), 40, np.uint8), 3, weights={"xy": 0}, seed=0)
    assert flat.centers.shape[0] == 1 and flat.clusters.tolist() == [0]


@pytest.mark.parametrize(("color", "error", "match"), [
    # the component at fault was named as the colour: "color=0.5 should be an integer"
    ((0.5, 0, 0), TypeError, r"^color=\(0.5, 0, 0\) should be \(r, g, b\), three integers "
                             r"from 0 to 255, or a colour name or #rrggbb, got a float \(0.5\)$"),
    ((255, True, 0), TypeError, r"^color=\(255, True, 0\) should be \(r, g, b\), three "
                                r"integers from 0 to 255, or a colour name or #rrggbb, got a bool "
                                r"\(True\)$"),
    ((300, 0, 0), ValueError, r"^color=\(300, 0, 0\) should be \(r, g, b\), three integers "
                              r"from 0 to 255, or a colour name or #rrggbb$"),
    ((0, 0, -1), ValueError, r"^color=\(0, 0, -1\) should be \(r, g, b\), three integers "
                             r"from 0 to 255, or a colour name or #rrggbb$"),
    ((0, 255, 0, 128), ValueError, r"^color=\(0, 255, 0, 128\) should be \(r, g, b\), three"),
    # a string is read as the command line reads --overlay-color
    ("rouge", ValueError, r"^color='rouge' is not valid; expected a colour name \(red, cyan, "
                          r"yellow, \.\.\.\), #rrggbb, #rgb, rrggbb, rgb\(r,g,b\), rgb\(r g b\) or "
                          r"hsl\(h,s%,l%\)$"),
    ("#00ff0080", ValueError, r"^color='#00ff0080' has alpha, which an overlay's opaque"),
    # a 0-d array was "len() of unsized object"
    (np.array(255), ValueError, r"^color=array\(255\) should be \(r, g, b\), three integers"),
    (np.array([[255, 0, 0]]), ValueError, r"^color=array\(\[\[255,   0,   0\]\]\) should be"),
])
def test_overlay_refuses_a_colour_it_cannot_draw(color, error, match):
    result = segment(step_image((8, 8), column=3), regions=2)
    with pytest.raises(error, match=match):
        result.overlay(color)


def test_overlay_takes_a_colour_name_or_hex_as_the_command_line_does():
    result = segment(step_image((8, 8), column=3), regions=2)
    cyan = result.overlay((0, 255, 255))
    # and with an opaque alpha, which was refused as "has alpha"
    for name in ("cyan", "Cyan", "#00ffff", "#0ff", "#00ffffff", "#0fff", "rgba(0,255,255,255)"):
        np.testing.assert_array_equal(result.overlay(name), cyan)


def test_region_stats(rng):
    img, _ = quadrants(rng)
    stats = segment(img, 4, weights={"texture": 0}, seed=0).region_stats()
    assert [s["label"] for s in stats] == [1, 2, 3, 4]
    assert stats[0]["bbox"] == [0, 0, 32, 40]
    assert stats[0]["area"] == 32 * 40
    assert stats[0]["centroid"] == [15.5, 19.5]
    # Plain Python numbers throughout, as the other fields (centroid held np.float64,
    # shown as np.float64(15.5) when a record was printed).
    assert repr(stats[0]["centroid"]) == "[15.5, 19.5]"
    assert all(type(v) in (int, float) for s in stats for key in ("bbox", "centroid",
               "mean_color") for v in s[key])
    assert stats[3]["mean_color"] == pytest.approx(list(img[32:, 40:].reshape(-1, 3).mean(0)),
                                                   abs=0.05)


def _large_image(rng, h=1100, w=2000):
    """A photo larger than the working copy (box factor 2): four flat quadrants, noise."""
    img = np.zeros((h, w, 3), np.uint8)
    img[:, w // 2:] = 200
    img[h // 2:, :, 1] = 120
    return (img + rng.integers(0, 20, img.shape)).astype(np.uint8)


# 600 x 1100, segmented on a copy of half its size as 1100 x 2000 is (the working copy's
# longest side is at most 1024): four quadrants of 300 x 550; min_region above that
# merges them in pairs
@pytest.mark.parametrize("args, kwargs, n_regions", [((), {}, 4), ((), {"min_region": 200_000}, 2),
                                                     ((2,), {"seed": 0}, 2)])
def test_region_colours_are_summed_over_the_photo_once(rng, monkeypatch, args, kwargs,
                                                       n_regions):
    """Segmenting a large photo and taking its segmented image and region statistics
    summed the colours of every pixel three times (the hierarchy's centres,
    mean_color_image(), region_stats()), 2.7 s of 8.2 s at 27 MP; once now, and the
    results are those of a plain mean of each region's pixels."""
    from quantize import _kernels
    from quantize.reconstruct import regions

    img = _large_image(rng, 600, 1100)
    summed = []

    def counting(group_sums):
        def wrapper(X, labels, k, weights=None):
            if X.shape[1] == 3 and X.dtype == np.uint8:  # the photo's colours
                summed.append(X.shape[0])
            return group_sums(X, labels, k, weights)
        return wrapper

    monkeypatch.setattr(_kernels, "group_sums", counting(_kernels.group_sums))
    monkeypatch.setattr(regions, "group_sums", counting(regions.group_sums))
    result = segment(img, *args, **kwargs)
    mean, stats = result.mean_color_image(), result.region_stats()
    assert sum(summed) == img.shape[0] * img.shape[1]
    assert result.n_regions == n_regions
    labels = result.labels
    for r in (1, result.n_regions):
        expected = img[labels == r].astype(np.float64).mean(axis=0)
        assert stats[r - 1]["mean_color"] == [round(float(v), 1) for v in expected]
        assert mean[labels == r][0].tolist() == np.rint(expected).astype(int).tolist()
        if not args:  # the hierarchy's centres are the regions' mean colours
            np.testing.assert_array_equal(result.centers[r - 1], expected)
        rows, cols = np.nonzero(labels == r)
        assert stats[r - 1]["centroid"] == [round(float(rows.mean()), 2),
                                            round(float(cols.mean()), 2)]


def test_hierarchy_regions_are_found_on_the_working_copy(rng, monkeypatch):
    """The hierarchy's regions, whole boxes of the working copy, were told apart by
    connected components of the full-size map (2.8 s at 27 MP); now on the working
    copy, numbered and brought to full size alike."""
    from quantize.reconstruct import regions

    img = _large_image(rng)
    sizes = []

    def recording(clusters):
        sizes.append(clusters.size)
        return connected_regions(clusters)

    monkeypatch.setattr(regions, "connected_regions", recording)
    result = segment(img)
    assert max(sizes) == 550 * 1000  # the working copy, box factor 2
    components, n = connected_regions(result.labels)
    np.testing.assert_array_equal(result.labels, components)
    assert n == result.n_regions == 4


def test_texture_scales_are_at_most_sixteen(rng):
    """50 texture scales were taken (30 s and 0.55 GB for 8 clusters of a 1024 x 768
    photo): at most 16 now, refused with the range."""
    img, _ = quadrants(rng)
    with pytest.raises(ValueError, match=r"^texture_scales holds 17 scales; expected 1 to 16 "
                                         r"\(each adds a band to filter"):
        segment(img, 2, texture_scales=[1.0] * 17, seed=0)
    assert segment(img, 2, texture_scales=np.geomspace(0.5, 64, 16), seed=0).n_regions >= 2


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
    ({"n_clusters": 257}, ValueError, r"^n_clusters=257 should be <= 256; for many regions, "
                                      r"cut the region hierarchy with regions=N instead$"),
    ({"n_clusters": 100_000}, ValueError, r"^n_clusters=100000 should be <= 256;"),
    ({"min_region": -1}, ValueError, "min_region=-1 should be >= 0"),
    ({"space": "hsv"}, ValueError, "space='hsv' is not valid; expected one of 'rgb', 'lab'"),
    # a wrong type was a ValueError ("space=None is not valid")
    ({"space": None}, TypeError, "^space=None should be a str, one of 'rgb', 'lab'; got NoneType$"),
    ({"space": 3}, TypeError, "^space=3 should be a str, one of 'rgb', 'lab'; got int$"),
    ({"weights": {"Colour": 1}}, ValueError, "expected one of 'color', 'intensity', 'xy'"),
    ({"weights": {"xy": -0.5}}, ValueError, "weight xy=-0.5 should be >= 0"),
    ({"seed": "a"}, TypeError, "seed='a'"),
])
def test_bad_parameters(rng, kwargs, error, match):
    img, _ = quadrants(rng)
    params = {"n_clusters": 4, **kwargs}
    with pytest.raises(error, match=match):
        segment(img, **params)


def test_another_space_without_clusters_is_refused_not_ignored(rng):
    img, _ = quadrants(rng)
    with pytest.raises(ValueError, match=r"^space='rgb' applies to k-means clusters only "
                                         r"\(n_clusters=K\); the region hierarchy works in CIELAB"):
        segment(img, space="rgb")
    assert segment(img, 4, space="rgb", seed=0).n_regions >= 1


def test_other_texture_scales_without_clusters_are_refused_not_ignored(rng):
    img, _ = quadrants(rng)
    with pytest.raises(ValueError, match=r"^texture_scales=\(1\.0, 2\.0\) applies to k-means "
                                         r"clusters only \(n_clusters=K\); the region hierarchy "
                                         r"describes texture by fixed bands"):
        segment(img, texture_scales=(1.0, 2.0))
    with pytest.raises(ValueError, match=r"^texture_scales=\[3\.0\] applies to"):
        segment(img, regions=2, texture_scales=[3.0])
    # The default, however spelt, is accepted; other scales are taken with clusters.
    assert segment(img, texture_scales=[0.7, 1.4, 2.8, 5.6]).n_regions == segment(img).n_regions
    # in float32 too, as a float32 array or its items hold it: was refused as other scales
    for default in (np.array([0.7, 1.4, 2.8, 5.6], np.float32), [np.float32(0.7), 1.4, 2.8, 5.6]):
        assert np.array_equal(segment(img, texture_scales=default).labels, segment(img).labels)
    with pytest.raises(ValueError, match=r"^texture_scales=\(0\.7, 1\.4, 2\.8, 5\.61\) applies"):
        segment(img, texture_scales=(0.7, 1.4, 2.8, 5.61))
    assert segment(img, 4, texture_scales=(1.0, 2.0), seed=0).n_regions >= 1


@pytest.mark.parametrize("weights", [{"color": 0, "texture": 0},
                                     {"color": 0, "texture": 0, "xy": 2}])
def test_no_colour_lightness_or_texture_weight_is_refused_by_the_hierarchy(rng, weights):
    # It compared colours at weight 1, as if color=0 had not been given.
    img, _ = quadrants(rng)
    refusal = (r"^weight color=0, intensity=0 and texture=0 leave the region hierarchy "
               r"nothing to compare regions by \(xy only shapes its superpixels\); expected "
               r"one of them > 0 \({}\)$")
    match = refusal.format(r"k-means clusters, n_clusters=K, may use xy alone")
    with pytest.raises(ValueError, match=match):
        segment(img, weights=weights)
    with pytest.raises(ValueError, match=match):
        segment(img, regions=4, weights=weights)
    # boundary_map has no k-means clusters to offer: its map is the hierarchy's
    with pytest.raises(ValueError, match=refusal.format(
            "the border-strength map is drawn from the region hierarchy, also beside "
            "k-means clusters")):
        boundary_map(img, weights=weights)
    assert segment(img, 4, weights=weights, seed=0).n_regions >= 1
    assert segment(img, weights={**weights, "intensity": 1}).n_regions >= 1


def test_the_cluster_count_limit_is_inclusive():
    from quantize.segment import MAX_CLUSTERS, check_n_clusters

    assert MAX_CLUSTERS == 256
    assert [check_n_clusters(k) for k in (1, 255, 256)] == [1, 255, 256]
    assert check_n_clusters(np.int64(256)) == 256
    with pytest.raises(ValueError, match=r"^n_clusters=257 should be <= 256;"):
        check_n_clusters(257)


@pytest.mark.parametrize("shape", [(1, 1, 3), (1, 9, 3), (7, 1, 3), (2, 2, 3)])
def test_tiny_images(shape):
    img = np.full(shape, 90, dtype=np.uint8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ClusterCountWarning)  # a 1-pixel image has 1 vector
        warnings.simplefilter("ignore", RegionCountWarning)  # the default min_region: 1 region
        result = segment(img, 3, seed=0)
    assert result.labels.shape == shape[:2]
    assert result.labels.min() == 1 and result.n_regions >= 1


def test_fewer_distinct_pixels_than_clusters_warns():
    img = np.zeros((20, 20, 3), dtype=np.uint8)
    img[:, 10:] = 255
    with pytest.warns(ClusterCountWarning, match="n_clusters=5 but the image has only 2"):
        result = segment(img, 5, weights={"texture": 0, "xy": 0}, seed=0)
    assert result.n_regions == 2


def test_count_warnings_point_at_the_caller_and_count_in_the_singular():
    img = np.full((3, 3, 3), 90, np.uint8)
    with pytest.warns(ClusterCountWarning) as clusters:
        segment(img, 3, weights={"xy": 0}, seed=0)
    with pytest.warns(RegionCountWarning) as regions:
        segment(img, regions=2)
    assert [w.filename for w in (*clusters, *regions)] == [__file__, __file__]
    assert str(regions[0].message) == ("regions=2 but the image has only 1 superpixel; "
                                       "cutting at 1")


def test_alpha_is_said_by_segment_and_boundary_map():
    """segment_file warned that alpha is ignored; segment and boundary_map of the same
    pixels segmented hidden colours without a word. Fully transparent pixels are now
    segmented as one colour, translucent ones by their stored colour."""
    rgba = np.zeros((8, 10, 4), np.uint8)
    rgba[:, 5:, :3] = 200
    rgba[..., 3] = 255
    rgba[:2, :3, 3] = 0
    rgba[2, 0, 3] = 128
    filled = rgba[..., :3].copy()
    filled[:2, :3] = (0, 0, 255)  # the corner of the RGB cube farthest from black and grey
    facts = ("6 of 80 pixels are fully transparent and are segmented as one colour, #0000ff, "
             "the corner of the RGB cube farthest from the visible colours, not by the colour "
             "stored in them, and 1 translucent pixel by the colour stored in it")
    for call in (lambda im: segment(im, regions=2), lambda im: segment(im, 2, seed=0),
                 boundary_map):
        with pytest.warns(AlphaIgnoredWarning) as caught:
            out = call(rgba)
        [said] = caught
        assert said.message.facts == facts and said.filename == __file__
        assert said.message.advice.startswith("composite the image on a background first")
        with warnings.catch_warnings():  # the colours alone, or opaque alpha: quiet
            warnings.simplefilter("error", AlphaIgnoredWarning)
            alone = call(filled)
            opaque = rgba.copy()
            opaque[..., 3] = 255
            call(opaque)
        labels = (out.labels, alone.labels) if isinstance(out, SegmentResult) else (out, alone)
        if isinstance(out, SegmentResult) and out.centers.shape[0] == 3:  # k-means: apart
            assert out.cluster_map()[:2, :3].tolist() == [[2] * 3] * 2
            assert np.array_equal(out.cluster_map() == 2, rgba[..., 3] == 0)
            left, right = out.cluster_map()[2:, :5], out.cluster_map()[:, 5:]
            assert len(np.unique(left)) == len(np.unique(right)) == 1
            assert {int(left[0, 0]), int(right[0, 0])} == {0, 1}
        else:
            assert np.array_equal(*labels)
    assert segment(rgba[..., :3], regions=2).labels[:, 4:6].tolist() == [[1, 2]] * 8


def test_translucent_pixels_alone_are_segmented_by_their_stored_colour():
    rgba = np.zeros((8, 10, 4), np.uint8)
    rgba[:, 5:, :3] = 200
    rgba[..., 3] = 255
    rgba[2, :3, 3] = 1
    with pytest.warns(AlphaIgnoredWarning) as caught:
        out = segment(rgba, regions=2)
    assert caught[0].message.facts == ("alpha is ignored: 3 of 80 pixels are transparent or "
                                       "translucent and are segmented by the colour stored "
                                       "in them")
    assert np.array_equal(out.labels, segment(rgba[..., :3], regions=2).labels)


@pytest.mark.parametrize("options", [{}, {"n_clusters": 4, "seed": 0}])
def test_colours_hidden_behind_transparent_pixels_do_not_cut_regions(rng, options):
    """Random colours behind a transparent area were segmented: 18 regions, not 4."""
    rgba = np.zeros((40, 40, 4), np.uint8)
    rgba[..., 3] = 255
    rgba[:20, :20, :3] = (200, 30, 30)
    rgba[:20, 20:, :3] = (30, 170, 40)
    rgba[20:, :20, :3] = (245, 245, 240)
    rgba[20:, 20:, :3] = rng.integers(0, 256, (20, 20, 3))
    rgba[20:, 20:, 3] = 0
    plain = rgba.copy()
    plain[20:, 20:, :3] = 0
    before = rgba.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AlphaIgnoredWarning)
        noisy, flat = segment(rgba, **options), segment(plain, **options)
    assert np.array_equal(rgba, before)
    assert np.array_equal(noisy.labels, flat.labels)
    assert noisy.labels[::20, ::20].tolist() == [[1, 2], [3, 4]]
    assert len(np.unique(noisy.labels[20:, 20:])) == 1
    assert noisy.image[20:, 20:].reshape(-1, 3).tolist() == [[0, 0, 255]] * 400


def test_fully_transparent_images_are_one_colour_and_one_region(rng):
    """The warning named "the corner of the RGB cube farthest from the visible colours"
    when no colour was visible; it says black, and why."""
    rgba = np.zeros((16, 16, 4), np.uint8)
    rgba[..., :3] = rng.integers(0, 256, (16, 16, 3))
    with pytest.warns(AlphaIgnoredWarning) as caught:
        result = segment(rgba)
    assert caught[0].message.facts == ("256 of 256 pixels are fully transparent and are "
                                       "segmented as one colour, #000000, black, as no pixel "
                                       "is visible, not by the colour stored in them")
    assert result.n_regions == 1
    assert result.region_stats()[0]["mean_color"] is None  # no colour shows
    assert result.mean_colors()[1].tolist() == [0, 0, 0]  # the one it was segmented as
    with pytest.warns(AlphaIgnoredWarning) as caught:
        segment(rgba[:1, :1], regions=1)
    assert caught[0].message.facts == ("1 of 1 pixel is fully transparent and is segmented "
                                       "as one colour, #000000, black, as no pixel is "
                                       "visible, not by the colour stored in it")


def half_hidden_left():
    """8 x 10: red left, green right, two hidden pixels and one translucent in the red."""
    rgba = np.zeros((8, 10, 4), np.uint8)
    rgba[:, :5] = (200, 30, 30, 255)
    rgba[:, 5:] = (30, 170, 40, 255)
    rgba[0, :2] = (9, 9, 9, 0)  # segmented as the fill colour, blue
    rgba[1, 0] = (100, 30, 30, 128)  # counted once, by its stored colour
    return rgba


def test_k_means_keeps_hidden_pixels_a_region_of_their_own_however_small():
    """With n_clusters, the two hidden pixels are no longer merged into the red region by
    min_region: they are the transparent cluster, beyond the 2 of the visible pixels; the
    red region's mean is that of its 38 visible pixels, as before."""
    with pytest.warns(AlphaIgnoredWarning):
        result = segment(half_hidden_left(), 2, min_region=4, weights={"xy": 0}, seed=0)
    assert result.labels[:2].tolist() == [[1, 1, 2, 2, 2, 3, 3, 3, 3, 3],
                                          [2] * 5 + [3] * 5]
    stats = result.region_stats()
    assert [(s["area"], s["mean_color"], s.get("transparent")) for s in stats] == [
        (2, None, True), (38, [197.4, 30.0, 30.0], None),
        (40, [30.0, 170.0, 40.0], None)]
    assert [s["cluster"] for s in stats] == [2, 0, 1]


@pytest.mark.parametrize("options", [
    {"regions": 2, "min_region": 4},
    {"min_region": 4},
])
def test_a_regions_mean_colour_is_that_of_its_visible_pixels(options):
    """The two hidden pixels merge into the red region, and its mean took in the blue they
    were segmented as: (187.5, 28.5, 41.2). It is now the mean of its 38 visible pixels,
    the translucent one counted once by its stored colour: (37 * 200 + 100) / 38."""
    rgba = half_hidden_left()
    with pytest.warns(AlphaIgnoredWarning):
        result = segment(rgba, **options)
    assert result.labels[:, :5].tolist() == [[1] * 5] * 8
    assert result.labels[:, 5:].tolist() == [[2] * 5] * 8
    assert result.image[0, :2].tolist() == [[0, 0, 255]] * 2
    stats = result.region_stats()
    assert [s["mean_color"] for s in stats] == [[197.4, 30.0, 30.0], [30.0, 170.0, 40.0]]
    assert [s["area"] for s in stats] == [40, 40]  # every pixel counted, shown or not
    assert [s["centroid"] for s in stats] == [[3.5, 2.0], [3.5, 7.0]]
    assert result.mean_colors().tolist() == [[0, 0, 0], [197, 30, 30], [30, 170, 40]]
    assert result.mean_color_image()[0, 0].tolist() == [197, 30, 30]
    if "n_clusters" not in options:
        assert result.centers.tolist() == [[7500 / 38, 30.0, 30.0], [30.0, 170.0, 40.0]]
    assert np.array_equal(result.alpha, rgba[..., 3])


def test_a_region_with_no_visible_pixel_has_no_mean_colour_but_keeps_its_fill(rng):
    """region_stats gave the stand-in blue as its mean_color (and segmented_color), a colour
    of no pixel of the image's; mean_colors() and centers keep it, as segmented."""
    rgba = np.zeros((8, 10, 4), np.uint8)
    rgba[:, :5, :3] = rng.integers(0, 256, (8, 5, 3))  # hidden, alpha 0
    rgba[:, 5:] = (30, 170, 40, 255)
    with pytest.warns(AlphaIgnoredWarning, match="one colour, #0000ff,"):
        result = segment(rgba, regions=2)
    assert result.labels[:, :5].tolist() == [[1] * 5] * 8
    assert [(s["mean_color"], s["segmented_color"]) for s in result.region_stats()] == [
        (None, None), ([30.0, 170.0, 40.0], [30, 170, 40])]
    assert result.mean_colors().tolist() == [[0, 0, 0], [0, 0, 255], [30, 170, 40]]
    assert result.centers.tolist() == [[0.0, 0.0, 255.0], [30.0, 170.0, 40.0]]


def test_opaque_and_translucent_images_keep_the_mean_of_every_pixel():
    """Only fully transparent pixels are left out: with none, alpha changes nothing."""
    rgba = half_hidden_left()
    rgba[0, :2, 3] = 1
    with pytest.warns(AlphaIgnoredWarning):
        faint = segment(rgba, regions=2, min_region=4)
    plain = segment(rgba[..., :3], regions=2, min_region=4)
    assert plain.alpha is None
    assert faint.region_stats() == plain.region_stats()
    # (37 * 200 + 100 + 2 * 9) / 40 = 187.95 and (38 * 30 + 2 * 9) / 40 = 28.95, as floats
    assert faint.region_stats()[0]["mean_color"] == [187.9, 28.9, 28.9]
    assert faint.mean_colors()[1].tolist() == [188, 29, 29]


def farthest_of_all(rgb, alpha):
    """The fill colour by its definition: every visible colour compared with each corner."""
    from quantize._kernels import pack_rgb, sq_dist_from, srgb_to_lab, unpack_rgb
    from quantize.segment import _FILL_COLOURS

    lab = srgb_to_lab(unpack_rgb(np.unique(pack_rgb(rgb)[alpha > 0])))
    corners = srgb_to_lab(_FILL_COLOURS)
    nearest = sq_dist_from(corners, lab, np.einsum("ij,ij->i", lab, lab)).min(axis=1)
    return _FILL_COLOURS[int(np.argmax(nearest))]


def fill_cases(rng):
    """Named (H, W, 3) uint8 images: sparse and dense noise, clusters, few colours, corners."""
    near = rng.integers(0, 20, (64, 64, 3))
    with_corners = rng.integers(0, 256, (40, 40, 3), dtype=np.uint8)
    with_corners[0, :8] = [[0, 0, 0], [255, 255, 255], [255, 0, 0], [0, 255, 0], [0, 0, 255],
                           [0, 255, 255], [255, 0, 255], [255, 255, 0]]
    centres = rng.integers(0, 256, (5, 3))
    blobs = centres[rng.integers(0, 5, (64, 64))] + rng.normal(0, 12, (64, 64, 3))
    return {"noise": rng.integers(0, 256, (96, 96, 3), dtype=np.uint8),
            "near corners": np.where(rng.random(near.shape) < 0.5, near, 255 - near),
            "all corners": with_corners,
            "blobs": np.clip(blobs, 0, 255),
            "few": rng.integers(0, 256, (3, 3), dtype=np.uint8)[rng.integers(0, 3, (30, 30))],
            "dark": rng.integers(0, 12, (50, 50, 3)),
            "grey": np.full((5, 5, 3), 128)}


@pytest.mark.parametrize("case", ["noise", "near corners", "all corners", "blobs", "few",
                                  "dark", "grey"])
def test_the_fill_colour_is_the_corner_farthest_from_every_visible_colour(rng, case):
    """The fill colour is found comparing only colours near the corners; it is the one
    comparing all of them gives, near-ties (corners shown exactly) settled the same way."""
    from quantize.segment import fill_transparent

    rgb = fill_cases(rng)[case].astype(np.uint8)
    for cut in (0.05, 0.5, 0.95):
        alpha = np.where(rng.random(rgb.shape[:2]) < cut, 0, 255).astype(np.uint8)
        alpha[0, 0], alpha[-1, -1] = 0, 255  # one hidden pixel, one shown
        filled, colour = fill_transparent(rgb, alpha)
        assert colour.tolist() == farthest_of_all(rgb, alpha).tolist()
        assert filled[alpha == 0].tolist() == [colour.tolist()] * int((alpha == 0).sum())
    if case == "all corners":  # every corner shown, each at a distance of about 0
        alpha = np.full(rgb.shape[:2], 255, np.uint8)
        alpha[-1, -1] = 0
        assert fill_transparent(rgb, alpha)[1].tolist() == farthest_of_all(rgb, alpha).tolist()


def test_the_fill_colour_compares_only_the_colours_near_the_corners(rng, monkeypatch):
    """fill_transparent compared every visible colour with the corners: 1.7 s on 12 MP of
    random noise (8 million colours). Blocks of colours farther from every corner than a
    first guess of its distance are skipped."""
    import importlib

    segment_module = importlib.import_module("quantize.segment")
    compared = []
    real = segment_module.sq_dist_from

    def counted(corners, lab, lab_sq):
        compared.append(lab.shape[0])
        return real(corners, lab, lab_sq)

    monkeypatch.setattr(segment_module, "sq_dist_from", counted)
    rgb = rng.integers(0, 256, (256, 256, 3), dtype=np.uint8)
    alpha = np.full(rgb.shape[:2], 255, np.uint8)
    alpha[:8] = 0
    colour = segment_module.fill_transparent(rgb, alpha)[1]
    shown = len(np.unique(rgb[8:].reshape(-1, 3), axis=0))
    assert 0 < sum(compared) < shown / 20
    monkeypatch.setattr(segment_module, "sq_dist_from", real)
    assert colour.tolist() == farthest_of_all(rgb, alpha).tolist()


def test_a_blocks_bounds_are_below_the_distance_of_each_of_its_colours(rng):
    """The bounds by which blocks of colours are skipped hold for every colour in them:
    the dark blocks (where Lab's f is a line), the corners' and a random sample."""
    import importlib

    from quantize._kernels import srgb_to_lab

    segment_module = importlib.import_module("quantize.segment")
    corners = srgb_to_lab(segment_module._FILL_COLOURS).astype(np.float64)
    blocks = np.unique(np.concatenate([np.arange(40), [1023, 31744, 32767, 32736, 1055],
                                       rng.integers(0, 32 ** 3, 300)]))
    bounds = segment_module._block_sq_bounds(blocks, srgb_to_lab(segment_module._FILL_COLOURS))
    full = np.ones(1 << 24, bool)
    for row, block in enumerate(blocks):
        lab = srgb_to_lab(segment_module._block_colours(full, blocks[row:row + 1]))
        assert lab.shape == (512, 3)
        sq = ((lab.astype(np.float64)[:, None] - corners) ** 2).sum(axis=2)
        assert (sq.min(axis=0) >= bounds[row]).all(), block


# --------------------------------------------------------------------------
# The region hierarchy: steps, the soft border map, cuts at N regions
# --------------------------------------------------------------------------


@pytest.mark.parametrize("column", [20, 29, 41])
def test_step_edge_lands_on_its_column(rng, column):
    img = step_image(column=column, noise=4.0, rng=rng)
    labels = segment(img, regions=2).labels
    expected = np.where(np.arange(64) <= column, 1, 2)
    np.testing.assert_array_equal(labels, np.broadcast_to(expected, labels.shape))


def test_default_segment_finds_the_quadrants_exactly(rng):
    img, truth = quadrants(rng, noise=6.0)
    result = segment(img)
    np.testing.assert_array_equal(result.labels, truth + 1)
    assert result.n_regions == 4


def test_soft_map_range_zero_inside_and_highest_on_the_step():
    img = step_image(shape=(40, 128), column=63)
    strength = boundary_map(img)
    assert strength.shape == img.shape[:2] and strength.dtype == np.float32
    assert strength.min() >= 0.0 and strength.max() <= 1.0
    # Zero inside each flat half (beyond the reach of the texture windows,
    # about 20 px); the maximum sits on the step's column.
    assert not strength[:, :43].any() and not strength[:, 84:].any()
    assert set(np.argwhere(strength == strength.max())[:, 1].tolist()) == {63}
    # Every pixel of the step is above every pixel off it (the spectral part of
    # the strength varies along the step, from one superpixel pair to the next).
    off = np.delete(strength, 63, axis=1)
    assert strength[:, 63].min() > off.max()


def test_stronger_step_gets_the_stronger_border():
    img = step_image(shape=(40, 96), column=31, left=60, right=100)
    img[:, 64:] = 220  # a second, larger step after column 63
    strength = boundary_map(img)
    assert strength[:, 63].min() > strength[:, 31].max() > 0


def test_soft_map_is_zero_on_a_flat_image():
    assert not boundary_map(np.full((30, 40, 3), 90, np.uint8)).any()


def test_regions_gives_n_regions_when_possible(rng):
    img, _ = quadrants(rng, noise=6.0)
    for n in (1, 2, 3, 4, 7, 15):
        assert segment(img, regions=n).n_regions == n
    n_superpixels = _build_hierarchy(lab_planes(img), _weights()).n_leaves
    with pytest.warns(RegionCountWarning, match=rf"^regions=1000000 but the image has only "
                      rf"{n_superpixels} superpixels; cutting at {n_superpixels}$"):
        assert segment(img, regions=10 ** 6).n_regions == n_superpixels


@pytest.mark.parametrize(("min_region", "left"), [(1000, 4), (10 ** 6, 1)])
def test_regions_merged_away_by_min_region_are_said(rng, min_region, left):
    """--regions 30 --min-region 2000 gave 15 regions without a word. (No 7 regions of
    1000 pixels fit in 5120.)"""
    img, _ = quadrants(rng, noise=6.0)
    with pytest.warns(RegionCountWarning) as caught:
        result = segment(img, regions=7, min_region=min_region)
    assert result.n_regions == left
    assert [str(w.message) for w in caught] == [
        f"regions=7 but min_region={min_region} leaves {left}: no cut of the region "
        f"hierarchy of this 80 x 64 image (5120 pixels) into more regions of at least "
        f"{min_region} pixels was found; lower it for more"]
    assert [w.filename for w in caught] == [__file__]


@pytest.mark.parametrize("min_region", [300, "5%"])
def test_regions_counts_only_the_regions_min_region_keeps(rng, recwarn, min_region):
    """--regions N --min-region S gave fewer than N once the specks of the cut at N had
    merged (4 of 7 here, with a warning): the hierarchy is cut finer, so that N regions of
    at least S pixels (5% of 80 x 64 is 256) are left."""
    img, _ = quadrants(rng, noise=6.0)
    result = segment(img, regions=7, min_region=min_region)
    assert result.n_regions == 7
    assert np.bincount(result.labels.ravel())[1:].min() >= result.min_region
    assert not [w for w in recwarn if issubclass(w.category, RegionCountWarning)]


#: The colours of _twelve_patches, row by row.
_PATCH_COLOURS = [(207, 21, 45), (60, 46, 205), (222, 149, 10), (24, 85, 110), (159, 122, 67),
                  (40, 177, 188), (8, 29, 115), (100, 227, 132), (107, 110, 170),
                  (150, 44, 188), (193, 244, 201), (72, 81, 166)]


def _twelve_patches() -> np.ndarray:
    """A 60 x 60 image of 12 flat patches, rows 10, 20 and 30 high by columns 10, 15, 15
    and 20 wide: 100, 150, 150, 200; 200, 300, 300, 400; 300, 450, 450, 600 pixels."""
    img = np.zeros((60, 60, 3), np.uint8)
    colours = iter(_PATCH_COLOURS)
    for top, height in ((0, 10), (10, 20), (30, 30)):
        for left, width in ((0, 10), (10, 15), (25, 15), (40, 20)):
            img[top:top + height, left:left + width] = next(colours)
    return img


@pytest.mark.parametrize("min_region", [450, "12.5%"])
def test_regions_reaches_n_regions_of_min_region_where_they_fit(recwarn, min_region):
    """The cut searched for --regions N --min-region S merged its regions under S by colour,
    and fell short where whole patches were under S: 5 regions of 450 pixels (12.5 %) came
    out 3 (with a warning). Regions of at least S are now cut from the hierarchy itself,
    patches under S glued to one beside them."""
    result = segment(_twelve_patches(), regions=5, min_region=min_region)
    assert result.n_regions == 5
    assert np.bincount(result.labels.ravel())[1:].min() >= result.min_region
    assert not [w for w in recwarn if issubclass(w.category, RegionCountWarning)]


@pytest.mark.parametrize(("given", "said"), [(300, "300"), ("8.33333%", "8.33333% (300 pixels)")])
def test_regions_short_of_n_says_the_count_reached_and_min_region_as_given(given, said):
    """9 regions of 300 pixels: 7 patches are 300 or more, and the three under it beside
    the 200 of the second row make one more; 6 came out, said as 'min_region=300 merges
    the regions smaller than 300 pixels ... leaving 6', a share given said in pixels."""
    with pytest.warns(RegionCountWarning) as caught:
        result = segment(_twelve_patches(), regions=9, min_region=given)
    assert result.n_regions == 8
    assert [str(w.message) for w in caught] == [
        f"regions=9 but min_region={said} leaves 8: no cut of the region hierarchy of this "
        "60 x 60 image (3600 pixels) into more regions of at least 300 pixels was found; "
        "lower it for more"]


def test_a_min_region_share_is_said_as_given_with_its_pixels(rng):
    """The warnings said a --min-region given as a share in pixels alone (min_region=600),
    which the user never typed: 1/7 of this 4200-pixel image is 600 pixels."""
    img = rng.integers(0, 256, size=(60, 70, 3), dtype=np.uint8)
    with pytest.warns(RegionCountWarning, match=r"min_region=14\.2857% \(600 pixels\) merged "
                      r"the regions smaller than 600 pixels \(of the 4200 of this 70 x 60"):
        segment(img, 6, weights={"texture": 0, "xy": 0}, min_region="14.2857%", seed=0)
    with pytest.warns(RegionCountWarning, match=r"^min_region=50% \(2100 pixels\) merges the "
                      r"regions smaller than 2100 pixels \(of the 4200 of this 70 x 60 image\) "
                      "until one is left"):
        segment(img, 6, weights={"texture": 0, "xy": 0}, min_region="50%", seed=0)


def test_regions_kept_whole_by_min_region_are_not_warned_about(rng, recwarn):
    img, _ = quadrants(rng, noise=6.0)
    assert segment(img, regions=7, min_region=20).n_regions == 7
    assert segment(img, min_region=1000).n_regions == 4  # no count asked: nothing to say
    assert not [w for w in recwarn if issubclass(w.category, RegionCountWarning)]


@pytest.mark.parametrize("n_clusters", [None, 4])
@pytest.mark.parametrize(("min_region", "share"), [(10 ** 6, "more than"),
                                                   (2401, "more than half of")])
def test_a_min_region_over_half_the_image_says_it_leaves_one_region(rng, n_clusters,
                                                                    min_region, share):
    """No two regions of a 4800-pixel image can both reach 2401 pixels: one region comes
    out, as asked, but said, not done without a word (a batch's --min-region meets small
    images too, so it is not refused)."""
    img, _ = quadrants(rng, (60, 80), noise=6.0)
    with pytest.warns(RegionCountWarning) as caught:
        result = segment(img, n_clusters, min_region=min_region, seed=0)
    assert (result.n_regions, result.min_region) == (1, min_region)
    assert result.labels.tolist() == [[1] * 80] * 60
    # k-means cut a quadrant by position and gave two others one cluster: 3 of the 4 asked
    united = [] if n_clusters is None else [
        "n_clusters=4 but no border between some of the 4 clusters k-means found shows a "
        "change in colour or texture, so they are united into 3 clusters"]
    assert [str(w.message) for w in caught] == [*united,
        f"min_region={min_region} is {share} the 4800 pixels of this 80 x 60 image: no two "
        "regions can both reach it, so every region merges into one; lower it to keep more"]
    assert [w.filename for w in caught] == [__file__] * len(caught)


def _bands() -> np.ndarray:
    """A 60 x 40 image of three flat bands, of 840, 780 and 780 pixels."""
    img = np.zeros((40, 60, 3), np.uint8)
    img[:14], img[14:27], img[27:] = (200, 30, 30), (30, 200, 30), (30, 30, 200)
    return img


@pytest.mark.parametrize("n_clusters", [None, 3])
def test_a_min_region_of_half_the_image_that_merges_all_into_one_is_said(n_clusters):
    """Three bands under 1200 pixels each: one joins a neighbour, then the last joins them,
    and one region came out of a 2400-pixel image at min_region=1200 without a word."""
    with pytest.warns(RegionCountWarning) as caught:
        result = segment(_bands(), n_clusters, min_region=1200, seed=0)
    assert result.labels.tolist() == [[1] * 60] * 40
    assert [str(w.message) for w in caught] == [
        "min_region=1200 merges the regions smaller than 1200 pixels (of the 2400 of this "
        "60 x 40 image) until one is left; lower it to keep more"]
    assert [w.filename for w in caught] == [__file__]


@pytest.mark.parametrize("n_clusters", [None, 3])
def test_a_min_region_that_leaves_several_regions_is_not_warned_about(recwarn, n_clusters):
    assert segment(_bands(), n_clusters, min_region=780, seed=0).n_regions == 3
    assert not [w for w in recwarn if issubclass(w.category, RegionCountWarning)]


def test_one_region_that_min_region_did_not_merge_is_not_blamed_on_it():
    """A one-pixel speck is smoothed away before any merging: k-means tells two clusters
    apart and one region comes out, but min_region=5 merged nothing; the smoothing is
    named instead."""
    img = np.full((40, 60, 3), 90, np.uint8)
    img[10, 10] = 250
    with pytest.warns(RegionCountWarning) as caught:
        result = segment(img, 2, min_region=5, seed=0)
    assert (result.n_regions, result.centers.shape[0]) == (1, 2)
    assert [str(w.message) for w in caught] == [
        "n_clusters=2 gives 1 region: of the 2 clusters k-means found, the majority "
        "smoothing removed all but one, as their pixels lay in specks (details narrower "
        "than about 2 pixels on this 60 x 40 image); the speck size follows the image's "
        "longer side, so a crop of it keeps smaller details, and smooth=0 keeps them all"]


@pytest.mark.parametrize("n_clusters", [None, 1, 4])
def test_a_min_region_of_half_the_image_or_of_a_plain_one_is_not_warned_about(
        rng, recwarn, n_clusters):
    """Two halves of 2400 pixels both reach min_region=2400 and stay; a plain image, or one
    cluster, has no second region for min_region to merge."""
    img = step_image((60, 80), column=39)
    assert segment(img, n_clusters, min_region=2400, seed=0).n_regions == (
        1 if n_clusters == 1 else 2)
    plain = np.full((60, 80, 3), 90, np.uint8)
    assert segment(plain, n_clusters, min_region=10 ** 6, seed=0).n_regions == 1
    assert not [w for w in recwarn if issubclass(w.category, RegionCountWarning)]


def test_the_default_min_region_says_it_merged_a_tiny_image_into_one_region(recwarn):
    """-k 2 on a 2 x 3 image of two parts gives 1 region: the default min_region, at
    least 4 pixels, is more than half of it; said, not done without a word."""
    img = step_image((2, 3), column=0)
    with pytest.warns(RegionCountWarning) as caught:
        result = segment(img, 2, seed=0)
    assert (result.n_regions, result.min_region) == (1, 4)
    assert [str(w.message) for w in caught] == [
        "n_clusters=2 gives 1 region: the default min_region=4 (at least 4 pixels) is more "
        "than half of this 6-pixel image, so every region merges into one; min_region=0 "
        "keeps them"]
    assert [w.filename for w in caught] == [__file__]
    recwarn.clear()
    assert segment(img, 2, min_region=0, seed=0).labels.tolist() == [[1, 2, 2]] * 2
    with pytest.warns(RegionCountWarning, match="min_region=4 is more than half of the 6 "):
        assert segment(img, 2, min_region=4, seed=0).n_regions == 1  # given: said as such
    assert segment(img, 1, seed=0).n_regions == 1  # one cluster asked: nothing merged
    # 2 x 4: both halves reach 4 pixels and stay apart; and 4 x 4, which the floor of
    # 16 pixels once merged into one region
    assert segment(step_image((2, 4), column=1), 2, seed=0).n_regions == 2
    assert segment(step_image((4, 4), column=1), 2, seed=0).n_regions == 2
    assert not [w for w in recwarn if issubclass(w.category, RegionCountWarning)]


def test_the_default_min_region_that_merges_every_region_into_one_is_said(recwarn):
    """-k 2 on a 5 x 3 image with a 1-pixel dot: the default min_region, 4 pixels, is under
    half of the 15, yet the dot merged into the rest without a word, where the same
    min_region=4 given was said."""
    img = np.zeros((3, 5, 3), np.uint8)
    img[1, 2] = (255, 0, 0)
    with pytest.warns(RegionCountWarning) as caught:
        result = segment(img, 2, seed=0)
    assert (result.n_regions, result.min_region) == (1, 4)
    assert [str(w.message) for w in caught] == [
        "n_clusters=2 gives 1 region: the default min_region=4 merges the regions smaller "
        "than 4 pixels (of the 15 of this 5 x 3 image) until one is left; min_region=0 "
        "keeps them"]
    assert [w.filename for w in caught] == [__file__]
    recwarn.clear()
    assert segment(img, 2, min_region=0, seed=0).labels.tolist() == [
        [1] * 5, [1, 1, 2, 1, 1], [1] * 5]
    assert not [w for w in recwarn if issubclass(w.category, RegionCountWarning)]


SMOOTHED_INTO_ONE = (
    "n_clusters=3 gives 1 region: of the 3 clusters k-means found, the majority smoothing "
    "removed all but one, as their pixels lay in specks (details narrower than about 3 "
    "pixels on this 64 x 64 image); the speck size follows the image's longer side, so a "
    "crop of it keeps smaller details, and smooth=0 keeps them all")


@pytest.mark.parametrize("min_region", [None, 0])
@pytest.mark.parametrize("weights", [None, {"texture": 0}])
def test_specks_the_smoothing_removes_into_one_region_are_said(recwarn, min_region, weights):
    """-k 3 on a black 64 x 64 image with a red and a blue 1-pixel dot: k-means finds the
    3 clusters, the majority smoothing leaves one region (each dot a speck), so min_region
    has nothing to merge; that one region came out without a word, of any min_region."""
    img = np.zeros((64, 64, 3), np.uint8)
    img[2, 2] = (255, 0, 0)
    img[61, 61] = (0, 0, 255)
    with pytest.warns(RegionCountWarning) as caught:
        result = segment(img, 3, min_region=min_region, weights=weights, seed=0)
    assert result.labels.tolist() == [[1] * 64] * 64
    assert (result.n_regions, result.centers.shape[0]) == (1, 3)
    assert [str(w.message) for w in caught] == [SMOOTHED_INTO_ONE]
    assert [w.filename for w in caught] == [__file__]
    assert not [w for w in recwarn if issubclass(w.category, ClusterCountWarning)]


def test_a_detail_the_smoothing_keeps_is_not_blamed_for_the_cluster_lost(recwarn):
    """The same image with a red 4 x 4 square, wider than the 3-pixel speck: 2 regions,
    the square whole; the blue dot's cluster, smoothed away, is said (it was not)."""
    img = np.zeros((64, 64, 3), np.uint8)
    img[2:6, 2:6] = (255, 0, 0)
    img[61, 61] = (0, 0, 255)
    result = segment(img, 3, min_region=0, weights={"texture": 0}, seed=0)
    assert result.n_regions == 2
    assert np.argwhere(result.labels == 2).tolist() == [[r, c] for r in range(2, 6)
                                                        for c in range(2, 6)]
    assert _region_warnings(recwarn) == [
        "n_clusters=3 gives 2 regions, of 2 of the 3 clusters k-means found: the majority "
        "smoothing removed the rest, as their pixels lay in specks (details narrower than "
        "about 3 pixels on this 64 x 64 image); the speck size follows the image's longer "
        "side, so a crop of it keeps smaller details, and smooth=0 keeps them all"]


def _weights():
    from quantize.features import check_weights

    return check_weights(None)


def test_threshold_of_the_closed_map_draws_the_cut_borders(rng):
    img, _ = quadrants(rng, noise=6.0)
    strength = boundary_map(img, closed=True)
    for n in (2, 3, 4):
        labels = segment(img, regions=n).labels
        level = np.sort(np.unique(strength))[::-1][n - 2]  # the (n-1)-th highest border
        np.testing.assert_array_equal(strength >= level, find_boundaries(labels))


def test_the_closed_map_at_the_default_level_keeps_the_borders_segment_unites():
    """boundary_map's docstring said that its closed map at DEFAULT_LEVEL draws the borders
    of segment(image); segment then unites neighbouring flat regions of one colour, here
    a 2-pixel strip of background between two rectangles, cut from the rest of it (the
    hierarchy's cut at 5 regions; segment(image, regions=5) merges that strip too, as a
    sliver, and cuts finer)."""
    img = np.full((40, 60, 3), 200, np.uint8)
    img[5:30, 6:29] = (59, 151, 6)
    img[10:35, 31:54] = (103, 10, 232)
    borders = boundary_map(img, closed=True) >= DEFAULT_LEVEL
    tree = _build_hierarchy(lab_planes(img), _weights(), small_image=True)
    np.testing.assert_array_equal(borders, find_boundaries(tree.cut(5)[tree.labels]))
    default = segment(img)
    assert default.n_regions == 3
    assert not (default.boundaries() & ~borders).any()
    assert np.argwhere(borders & ~default.boundaries()).tolist() == [
        [8, 29], [8, 30], [8, 31], [8, 32], [17, 29], [26, 29]]


def test_gradient_weighting_fades_borders_across_smooth_colour():
    # Left half: a hard step at column 40. Right half: a slow ramp with no edge,
    # which the hierarchy still cuts somewhere (regions differ at its two ends).
    img = np.zeros((60, 160, 3), np.uint8)
    img[:, :40] = 40
    img[:, 40:80] = 200
    img[:, 80:] = np.linspace(40, 200, 80).astype(np.uint8)[None, :, None]
    closed = boundary_map(img, closed=True)
    weighted = boundary_map(img)
    step, ramp = (slice(38, 43), slice(90, 150))
    # The hierarchy's strongest cut of the ramp is nearly as strong as the step,
    # but the gradient weighting leaves it at most about half the step.
    assert closed[:, ramp].max() > 0.8 * closed[:, step].max(axis=1).min() > 0
    assert weighted[:, ramp].max() < 0.6 * weighted[:, step].max(axis=1).min()
    tree = _build_hierarchy(lab_planes(img), _weights(), sparse_passes=_OPEN_SPARSE_PASSES)
    superpixel_border = tree.border_strength(np.ones(tree.pairs.shape[0])) > 0
    assert not weighted[~superpixel_border].any()  # no border, no strength


def test_gradient_weight_is_highest_on_the_ridge():
    # A vertical step blurred over a few pixels: each row's weight peaks at the
    # step, and one pixel off it keeps less than (g / m) of g / (g + 2).
    from quantize.segment import _gradient_weight

    img = np.zeros((12, 40, 3), dtype=np.uint8)
    img[:, 20:] = 200
    lab = lab_planes(img)
    weight = _gradient_weight(lab)
    assert weight.shape == (12, 40)
    assert (weight.argmax(axis=1) >= 19).all() and (weight.argmax(axis=1) <= 20).all()
    assert weight.min() >= 0.0 and weight.max() < 1.0
    assert weight[6, 17] < 0.9 * weight[6, 19:21].max()


def test_open_map_combines_its_cues_by_the_fitted_weights(rng):
    # The open map is sqrt(1 / (1 + exp(-z))) on the border pixels, z the fitted
    # weights times the cues plus the bias, and 0 elsewhere; the cues that come from
    # the earlier steps are checked against those steps on their own.
    from scipy import ndimage

    from quantize.segment import (
        _BELOW,
        _BOTH,
        _CUE_BIAS,
        _CUE_HINGE_WEIGHTS,
        _CUE_KNOTS,
        _CUE_WEIGHTS,
        _RIGHT,
        _border_cues,
        _coarse_support,
        _open_border_strength,
        _own_size_border_cues,
    )
    from quantize.texture import colour_bins, edge_strength, opposite_histogram_difference

    img, _ = quadrants(rng, noise=6.0)
    lab = lab_planes(img)
    h, w = img.shape[:2]
    entries, side, cues = _border_cues(lab, _weights())
    assert cues.shape == (entries.shape[0], len(_CUE_WEIGHTS))
    tree = _build_hierarchy(lab, _weights(), sparse_passes=_OPEN_SPARSE_PASSES)
    mix, _, _ = _open_border_strength(tree)
    # An entry for each border a pixel is on, and one for both when it is on two: the
    # image is its own working copy, so each border pixel shows its last entry.
    right, below = tree.border_pairs()
    assert side.tolist() == sorted(side.tolist())
    for way, on in ((_RIGHT, right >= 0), (_BELOW, below >= 0), (_BOTH, (right >= 0) &
                                                                 (below >= 0))):
        assert entries[side == way].tolist() == np.flatnonzero(on).tolist()
    by_name = dict(zip(_CUE_WEIGHTS, cues.T, strict=True))
    for way, pairs in ((_RIGHT, [right]), (_BELOW, [below]), (_BOTH, [right, below])):
        b = np.max([mix[pair.flat[entries[side == way]]] for pair in pairs], axis=0)
        np.testing.assert_array_equal(by_name["log b"][side == way], np.log(b + 1e-4))
    # A border mean is the mean of the cue over the pixels of the entry's border; an entry
    # on two borders takes the stronger one's (by b), as it takes its other border cues.
    one = side != _BOTH
    pair = np.concatenate([right.flat[entries[side == _RIGHT]],
                           below.flat[entries[side == _BELOW]]])
    for name in ("log1p colour mix", "log coarse"):
        mean, cue = by_name[f"border mean {name}"], by_name[name][one]
        of_pair = {p: cue[pair == p].mean() for p in np.unique(pair)}
        np.testing.assert_allclose(mean[one], [of_pair[p] for p in pair])
        both = entries[side == _BOTH]
        stronger = [right.flat[i] if mix[right.flat[i]] >= mix[below.flat[i]]
                    else below.flat[i] for i in both]
        np.testing.assert_allclose(mean[side == _BOTH], [of_pair[p] for p in stronger])
        np.testing.assert_allclose(by_name["log length"][side == _BOTH],
                                   np.log(tree.pair_lengths[stronger]))
    where, cues = _own_size_border_cues(lab, _weights())
    np.testing.assert_array_equal(where, np.flatnonzero(tree.border_strength(np.ones_like(mix))))
    column = dict(zip(_CUE_WEIGHTS, cues.T, strict=True))
    np.testing.assert_allclose(column["log b"],
                               np.log(tree.border_strength(mix).flat[where] + 1e-4))
    np.testing.assert_allclose(column["log coarse"],
                               np.log(_coarse_support(lab, _weights(), *np.divmod(where, w))))
    edges = edge_strength(lab)
    np.testing.assert_allclose(column["log1p g1"], np.log1p(edges.flat[where]), rtol=1e-6)
    ridge = edges / ndimage.maximum_filter(edges, size=3, mode="nearest")
    np.testing.assert_allclose(column["log g1 / m1"], np.log(ridge.flat[where] + 1e-4),
                               rtol=1e-5)
    mixes = opposite_histogram_difference(colour_bins(lab, 8), 8, *np.divmod(where, w), 8)
    np.testing.assert_array_equal(column["log1p colour mix"], np.log1p(mixes))
    z = cues @ np.array(list(_CUE_WEIGHTS.values())) + _CUE_BIAS
    for name, knots in _CUE_KNOTS.items():
        for knot, weight in zip(knots, _CUE_HINGE_WEIGHTS[name], strict=True):
            z += weight * np.maximum(0.0, column[name] - knot)
    model = np.zeros((h, w))
    model.flat[where] = np.sqrt(1 / (1 + np.exp(-z)))
    # Then each pixel that a stronger pixel of another border faces across it, 3 pixels
    # away at most, shows v * v / s, s the strongest such.
    shown_pair = np.where(below >= 0, below, right)
    both = (right >= 0) & (below >= 0)
    shown_pair[both] = np.where(mix[right[both]] >= mix[below[both]], right[both], below[both])
    expected = model.copy()
    for y, x in zip(*np.divmod(where, w), strict=True):
        # Across the border whose pair it shows: along the row for a right border.
        if shown_pair[y, x] == right[y, x]:
            across = [(0, d) for d in (-3, -2, -1, 1, 2, 3)]
        else:
            across = [(d, 0) for d in (-3, -2, -1, 1, 2, 3)]
        faced = [model[y + dy, x + dx] for dy, dx in across
                 if 0 <= y + dy < h and 0 <= x + dx < w
                 and shown_pair[y + dy, x + dx] not in (-1, shown_pair[y, x])]
        if max(faced, default=0.0) > model[y, x]:
            expected[y, x] = model[y, x] ** 2 / max(faced)
    assert (expected < model).sum() > 10
    np.testing.assert_allclose(boundary_map(img), expected, rtol=1e-6, atol=1e-7)
    # The pairs that separate quadrants are the strongest borders, and their pixels
    # the strongest border pixels.
    truth_pairs = np.array([tree.cut(4)[a] != tree.cut(4)[b] for a, b in tree.pairs])
    assert mix[truth_pairs].min() > mix[~truth_pairs].max()
    on_truth = tree.border_strength(truth_pairs.astype(float)).flat[where] > 0
    assert np.median(z[on_truth]) > z[~on_truth].max()


def test_a_border_beside_a_stronger_one_is_lowered_across_it_only():
    # Right borders on row 0 at columns 1, 3, 5 and 7 (superpixel borders 0, 1, 0, 3) and a
    # lower border at (1, 4): a pixel faced by a stronger pixel of another border, along
    # its row for a right border, at most 3 pixels away, shows v * v / s.
    from quantize.segment import _BELOW, _RIGHT, _weaker_beside_stronger

    value = np.array([0.8, 0.4, 0.2, 0.3, 0.1])
    where, pair = np.array([1, 3, 5, 7, 12]), np.array([0, 1, 0, 3, 2])
    side = np.array([_RIGHT, _RIGHT, _RIGHT, _RIGHT, _BELOW])
    lowered = _weaker_beside_stronger(value, where, side, pair, 8)
    # Column 3 faces 0.8 at column 1, column 5 faces 0.4 at column 3 (its own border's 0.8
    # is 4 pixels away), column 7 faces 0.2 only, (1, 4) nothing along its column.
    np.testing.assert_allclose(lowered, [0.8, 0.2, 0.1, 0.3, 0.1])
    np.testing.assert_array_equal(value, [0.8, 0.4, 0.2, 0.3, 0.1])
    # A border's own pixels never lower each other.
    same = _weaker_beside_stronger(value[:4], where[:4], side[:4], np.zeros(4, np.intp), 8)
    np.testing.assert_array_equal(same, value[:4])


def test_an_entry_on_two_borders_looks_across_the_one_it_shows():
    # A step down column 1 made of two superpixel borders, 5 above row 1 and 6 from it
    # on; (1, 1) is also on a faint lower border 7 and shows its stronger, 6. Along
    # column 1, the next piece of its own edge (border 5) does not lower it: it looks
    # along its row. Its faint lower border looks along the column and fades.
    from quantize.segment import _BELOW, _BOTH, _RIGHT, _weaker_beside_stronger

    value = np.array([0.9, 0.8, 0.8, 0.1, 0.8])
    where, pair = np.array([1, 5, 9, 5, 5]), np.array([5, 6, 6, 7, 6])
    side = np.array([_RIGHT, _RIGHT, _RIGHT, _BELOW, _BOTH])
    lowered = _weaker_beside_stronger(value, where, side, pair, 4)
    np.testing.assert_allclose(lowered, [0.9, 0.8, 0.8, 0.1 * 0.1 / 0.9, 0.8])


def test_hinge_terms_are_each_cue_past_each_of_its_knots():
    # Two cues, the first hinged at knots 0 and 2: max(0, cue - knot), cue by cue, knot by
    # knot; the columns past the knots' rows are not hinged.
    from quantize.segment import _CUE_KNOTS, _hinge_terms

    cues = np.array([[1.0, 5.0], [3.0, -1.0], [-2.0, 0.0]])
    terms = _hinge_terms(cues, np.array([[0.0, 2.0]]))
    assert terms.tolist() == [[1.0, 0.0], [3.0, 1.0], [0.0, 0.0]]
    # The model's knots rise along each cue.
    assert all(np.all(np.diff(knots) > 0) for knots in _CUE_KNOTS.values())


def test_open_map_is_zero_on_borders_across_flat_colour():
    # A step at column 63 between flat halves: the superpixel borders more than 3
    # pixels from it cross colour that does not change at all, and get no strength.
    from quantize.segment import _own_size_border_cues

    img = step_image(shape=(40, 128), column=63)
    where, _ = _own_size_border_cues(lab_planes(img), _weights())
    cols = where % 128
    assert ((cols < 59) | (cols > 67)).any()  # such borders exist
    strength = boundary_map(img).flat[where]
    assert not strength[(cols < 59) | (cols > 67)].any()
    assert strength[cols == 63].min() > 0.5


def test_coarse_scale_keeps_the_borders_it_also_sees(rng):
    # The factor is 1 - 0.5 + 0.5 * c, c the open map of the photo halved: in
    # [0.5, 1], near 1 along the quadrants' borders, which the coarse view finds
    # too, and lower on the fine borders that only follow the noise.
    from quantize.segment import _coarse_support

    img, truth = quadrants(rng, shape=(96, 128), noise=10.0)
    lab = lab_planes(img)
    factor = _coarse_support(lab, _weights(), *np.indices((96, 128))).reshape(96, 128)
    assert factor.min() >= 0.5 and factor.max() <= 1.0
    true_border = np.zeros(truth.shape, bool)
    true_border[:, 62:66] = true_border[46:50, :] = True
    tree = _build_hierarchy(lab, _weights(), sparse_passes=_OPEN_SPARSE_PASSES)
    fine = tree.border_strength(np.ones(tree.pairs.shape[0])) > 0
    assert np.median(factor[fine & true_border]) > 0.9
    assert factor[fine & ~true_border].mean() < factor[fine & true_border].mean() - 0.2


@pytest.mark.parametrize(("shape", "at", "axis"), [((49, 65), 40, 1), ((65, 49), 40, 0)])
def test_coarse_view_lands_on_the_pixels_it_was_halved_from(shape, at, axis):
    # Odd sides: the coarse view's border, on half pixel 19 (full pixels 38 and 39, the
    # dark side of a step at 40), was brought back by the ratio of the sizes (32/65), onto
    # pixels 39 and 40, one on the bright side. The last full pixel of an odd side, left
    # out of the halving, takes the last half pixel's value.
    from quantize.segment import _coarse_map, _half_index

    half = _coarse_map(lab_planes(_step(shape, at, axis)), _weights())
    assert half.shape == (shape[0] // 2, shape[1] // 2)
    rows, cols = _half_index(shape, half.shape)
    coarse = half[rows[:, None], cols[None, :]]
    profile = coarse.max(axis=1 - axis)
    assert np.flatnonzero(profile == profile.max()).tolist() == [at - 2, at - 1]
    assert profile[-1] == profile[-2]
    assert set(boundary_map(_step(shape, at, axis)).argmax(axis=axis).tolist()) == {at - 1}


@pytest.mark.parametrize("shape", [(7, 9), (8, 5), (1, 4), (2, 1)])
def test_max_around_is_the_3x3_maximum_filter_read_at_the_pixels(rng, shape):
    # At the map's own size, and through the halving index onto a map of odd sides
    # twice as large: the values of ndimage.maximum_filter of the full map.
    from scipy import ndimage

    from quantize.segment import _half_index, _max_around

    plane = rng.random(shape)
    y, x = np.indices(shape).reshape(2, -1)
    got = _max_around(plane, y, x, np.arange(shape[0]), np.arange(shape[1]))
    np.testing.assert_array_equal(
        got, ndimage.maximum_filter(plane, size=3, mode="nearest").ravel())
    full = (2 * shape[0] + 1, 2 * shape[1] + 1)
    rows, cols = _half_index(full, shape)
    y, x = np.indices(full).reshape(2, -1)
    enlarged = plane[rows[:, None], cols[None, :]]
    np.testing.assert_array_equal(
        _max_around(plane, y, x, rows, cols),
        ndimage.maximum_filter(enlarged, size=3, mode="nearest").ravel())
    np.testing.assert_array_equal(_max_around(plane, y[5:9], x[5:9], rows, cols),
                                  ndimage.maximum_filter(enlarged, size=3,
                                                         mode="nearest").ravel()[5:9])


def test_coarse_scale_is_skipped_on_small_images():
    from quantize.segment import _coarse_support

    lab = lab_planes(step_image(shape=(40, 64)))  # under 48 pixels a side
    y, x = np.indices((40, 64))
    np.testing.assert_array_equal(_coarse_support(lab, _weights(), y, x), np.ones((40, 64)))


def test_closed_map_uses_every_pixel_as_segment_does():
    # The closed map's thresholds are segment()'s cuts: its superpixels are
    # settled on every pixel, not on the open map's quarter.
    img = np.zeros((60, 90, 3), np.uint8)
    img[:, 45:] = 200
    img[30:, :] += 40
    closed = boundary_map(img, closed=True)
    labels = segment(img, regions=4).labels
    level = np.sort(np.unique(closed))[::-1][2]
    np.testing.assert_array_equal(closed >= level, find_boundaries(labels))


def test_closed_must_be_a_bool():
    with pytest.raises(TypeError, match="closed"):
        boundary_map(step_image(), closed="yes")


def test_caller_array_unchanged(rng):
    img, _ = quadrants(rng, noise=6.0)
    before = img.copy()
    boundary_map(img)
    segment(img, regions=3)
    np.testing.assert_array_equal(img, before)


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"regions": 0}, ValueError, "regions"),
    ({"regions": 2.5}, TypeError, "regions"),
    ({"n_clusters": 3, "regions": 2}, ValueError, "both given"),
    ({"weights": {"edges": 1}}, ValueError, "weight name"),
])
def test_bad_region_parameters(kwargs, error, match):
    with pytest.raises(error, match=match):
        segment(step_image(), **kwargs)


def test_large_image_goes_through_the_working_copy_for_the_hierarchy(rng):
    # 2100 pixels wide: the hierarchy is built on a copy downscaled 3x.
    from quantize.metrics import adjusted_rand_index

    img, truth = quadrants(rng, (300, 2100), noise=6.0)
    result = segment(img, regions=4)
    assert result.labels.shape == (300, 2100) and result.n_regions == 4
    assert adjusted_rand_index(result.labels, truth) > 0.99
    strength = boundary_map(img)
    assert strength.shape == (300, 2100)
    # The strongest borders are the quadrants' own, at full-size columns 1049-1051 and
    # rows 149-151 (the working copy's border pixel stands for three), each as strong as
    # the other within 0.01.
    vertical, horizontal = strength[:, 1049:1052].max(), strength[149:152].max()
    assert max(vertical, horizontal) == strength.max()
    assert abs(vertical - horizontal) < 0.01


@pytest.fixture(scope="module")
def wide_two_tone():
    """A noisy 256 x 8192 photo of four colour blocks and its 200 hierarchy regions with no
    merge (min_region=0), made once: the tests below only read them."""
    rng = np.random.default_rng(20240611)
    h, w = 256, 8192
    img = np.zeros((h, w, 3), np.uint8)
    img[:, w // 3:] = 200
    img[h // 2:, :, 1] = 120
    img = (img + rng.integers(0, 40, img.shape)).astype(np.uint8)
    return img, segment(img, regions=200, min_region=0)


@pytest.mark.parametrize("min_region", [5000, 50000])
def test_the_hierarchys_small_regions_are_merged_from_the_maps_runs(wide_two_tone, monkeypatch,
                                                                     min_region):
    """min_region merged the hierarchy's small regions on the full-size component map, with
    full-size temporaries and a renumbered copy of the map: 8.0 bytes a pixel beside it.
    The touching pairs now come from the map's runs, read a band at a time (made small
    here, as a band is a small share of a large photo), and the map is renumbered in
    place: 1.6. The regions are those the map's own merge gives (of the cut at 200: the
    search for a cut into regions of min_region, which leaves more, is left out here)."""
    import tracemalloc

    from quantize.reconstruct import regions

    monkeypatch.setattr(sys.modules["quantize.segment"], "_FULL_SIZE_TRIES", 0)

    img, whole = wide_two_tone
    h, w = img.shape[:2]
    sums = regions.region_sums(whole.labels, img, whole.n_regions)
    mapping = regions.merge_small_regions(whole.labels, whole.n_regions, sums.means(),
                                          min_region)
    monkeypatch.setattr(regions, "_RUN_BAND_PIXELS", 1 << 16)
    real, marks = regions.region_sums, []

    def summed(*args):  # the merge starts once the regions are summed: traced from there
        out = real(*args)
        marks.append(tracemalloc.is_tracing())
        tracemalloc.start()
        return out

    monkeypatch.setattr(regions, "region_sums", summed)
    try:
        with pytest.warns(RegionCountWarning, match=f"min_region={min_region} leaves"):
            result = segment(img, regions=200, min_region=min_region)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    np.testing.assert_array_equal(result.labels, mapping[whole.labels])
    assert result.n_regions == mapping.max() < 200
    # Blocks made before the merge and let go in it are not traced, so cannot lower the
    # peak: it is at least what tracing the whole call would give above the mark.
    assert marks == [False] and peak / (h * w) < 3.0


def test_the_hierarchy_reads_no_runs_when_no_region_is_under_min_region(rng, monkeypatch):
    """Reading the full-size map's runs costs 0.7 s at 27 MP; with every region large
    enough the merge would leave the map as it is."""
    from quantize.reconstruct import regions

    img, _ = quadrants(rng, (60, 80), noise=6.0)
    expected = segment(img, regions=4, min_region=0).labels

    def refused(*args):
        raise AssertionError("runs read")

    monkeypatch.setattr(regions, "region_runs", refused)
    result = segment(img, regions=4, min_region=100)
    np.testing.assert_array_equal(result.labels, expected)
    with pytest.raises(AssertionError, match="runs read"):
        segment(img, regions=4, min_region=1300)


def test_the_open_maps_cues_are_worked_out_once_per_working_pixel(rng):
    """boundary_map worked out the 16 cues (float64) of every full-size border pixel, those
    of a working pixel as many times as its box is wide: 2.7 GB at 108 MP, growing with the
    borders. They are worked out once per working pixel and way it is on a border, and the
    map painted from them: the image's copy and the map itself are what is left (7 bytes a
    pixel), the working copy's share small at a box factor of 8. 12.9 bytes a pixel before.
    The superpixels are now brought to full size along the image's edges, and the map's
    borders drawn from them: that map (2 bytes a pixel) is held beside it."""
    from .memory_support import peak_bytes

    h, w = 256, 8192
    img = np.zeros((h, w, 3), np.uint8)
    img[:, w // 3:] = 200
    img[h // 2:, :, 1] = 120
    img = (img + rng.integers(0, 40, img.shape)).astype(np.uint8)
    boundary_map(img[:40, :50])  # the modules it imports are not the map's memory
    maps = []
    peak = peak_bytes(lambda: maps.append(boundary_map(img)), repeats=3)
    strength = maps[0]
    assert (strength > 0).mean() > 0.02  # many border pixels
    assert peak / (h * w) < 11.0


def test_the_working_copy_is_reduced_a_band_of_boxes_at_a_time(rng, monkeypatch):
    """Pillow reduced the working copy from a copy of the whole photo (4 bytes a pixel, 0.43
    GB at 108 MP), made by segment and again by boundary_map; it reduces a band of whole
    boxes at a time, to the same pixels, the last boxes partial as before."""
    import sys

    seg = sys.modules["quantize.segment"]
    sizes = []
    fromarray = Image.fromarray

    def recording(array, *args, **kwargs):
        sizes.append(array.shape[0] * array.shape[1])
        return fromarray(array, *args, **kwargs)

    img = rng.integers(0, 256, (1100, 2050, 3), dtype=np.uint8)  # factor 3, 2 and 1 left over
    monkeypatch.setattr(seg, "_REDUCE_BAND_PIXELS", 100_000)
    monkeypatch.setattr(seg.Image, "fromarray", recording)
    work, factor = seg._working_copy(img)
    assert factor == 3 and work.shape == (367, 684, 3)
    assert max(sizes) == 48 * 2050  # 16 rows of boxes
    np.testing.assert_array_equal(work, np.asarray(fromarray(img).reduce(3)))


def test_maps_of_an_image_larger_than_the_working_copy_have_one_pixel_borders():
    # 2060 pixels wide: the hierarchy is built on a copy downscaled 3x, whose border
    # column 342 covers columns 1026..1028; the border is column 1028 alone, as the
    # segmentation's (its right neighbour is on the other side).
    img = np.zeros((12, 2060, 3), np.uint8)
    img[:, 1029:] = 200
    closed = boundary_map(img, closed=True)
    np.testing.assert_array_equal(closed >= 0.5, segment(img).boundaries())
    assert np.flatnonzero((closed >= 0.5).any(axis=0)).tolist() == [1028]
    strength = boundary_map(img)
    assert np.flatnonzero((strength > 0.5).any(axis=0)).tolist() == [1028]
    assert not strength[:, 1026:1028].any()


@pytest.mark.parametrize(("shape", "at", "axis"), ALIGNED_STEPS)
def test_hierarchy_borders_stay_on_the_working_copys_box_borders(shape, at, axis):
    # Width 2050 (factor 3): columns were mapped at 684/2050 instead of 1/3, so the box
    # of columns 2046-2048 reached back to 2045, and the borders there with it.
    shape = tuple(max(n, 24) for n in shape)
    img = _step(shape, at, axis)
    result = segment(img, min_region=0)
    assert result.n_regions == 2
    assert _steps_along(result.labels, axis) == [at - 1]
    closed, open_ = boundary_map(img, closed=True), boundary_map(img)
    other = 1 - axis
    assert np.flatnonzero((closed >= 0.5).any(axis=other)).tolist() == [at - 1]
    assert set(open_.argmax(axis=axis).tolist()) == {at - 1}


def test_old_import_path_still_works():
    from quantize.segment import OUTPUT_FILES as old_files
    from quantize.segment import segment_file as old_job

    assert old_job is segment_file and old_files == OUTPUT_FILES


def test_the_result_keeps_a_copy_of_a_loaded_image(tmp_path):
    rgb = np.zeros((6, 8, 3), np.uint8)
    rgb[:, 4:] = 200
    Image.fromarray(rgb).save(tmp_path / "two.png")
    loaded = load_image(tmp_path / "two.png")
    result = segment(loaded, regions=2)
    loaded.rgb[...] = 7
    np.testing.assert_array_equal(result.image, rgb)


def test_an_animations_first_frame_warning_gives_no_reduce_advice_to_segment(tmp_path):
    # segment(Image.open(gif)) warned "...; quantize.animation.reduce_animation_file
    # reduces every frame of a file": advice for reducing colours, not for segmenting.
    from quantize.animation import FirstFrameWarning

    frames = [Image.new("RGB", (8, 6), c) for c in ((200, 30, 30), (20, 20, 220))]
    frames[0].save(tmp_path / "a.gif", save_all=True, append_images=frames[1:], duration=50)
    said = []
    for job in (lambda im: segment(im, 1, seed=0), boundary_map):
        with Image.open(tmp_path / "a.gif") as im, warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            job(im)
            job(load_image(tmp_path / "a.gif"))
        said += [str(x.message) for x in w if issubclass(x.category, FirstFrameWarning)]
    assert said == 2 * [
        "image is one of the 2 frames (or pages) of its file, and a PIL image holds one at "
        "a time: only that one is used",
        "image holds the first of the 2 frames (or pages) of its file, as load_image reads "
        "them: only that one is used"]


def test_a_segmentations_arrays_are_read_only_and_the_callers_stay_writable():
    """Editing result.labels put boundaries(), the region count and region_stats() out of
    step with each other; the arrays are now read-only views."""
    img = np.zeros((6, 8, 3), np.uint8)
    img[:, 4:] = 200
    for result in (segment(img, regions=2), segment(img, 2, weights={"xy": 0}, seed=0)):
        for name in ("labels", "clusters", "centers", "image"):
            field = getattr(result, name)
            assert not field.flags.writeable
            with pytest.raises(ValueError, match="assignment destination is read-only"):
                field[0] = 1
        assert result.labels[:, 3:5].tolist() == [[1, 2]] * 6
        assert result.mean_color_image().flags.writeable
    assert img.flags.writeable


@pytest.mark.parametrize("how", [None, "pickle", "copy", "deepcopy"])
def test_a_segmentations_weights_are_read_only_and_still_pickle_and_compare(how):
    """result.weights was a dict a caller could edit, unlike the other fields."""
    img = np.zeros((6, 8, 3), np.uint8)
    img[:, 4:] = 200
    weights = {"texture": 0}
    result = segment(img, 2, weights=weights, seed=0)
    made = copied(result, how)
    expected = {"color": 1.0, "intensity": 0.0, "xy": 0.3, "texture": 0.0}
    assert made.weights == expected and dict(made.weights) == expected
    with pytest.raises(TypeError, match="does not support item assignment"):
        made.weights["xy"] = 5.0
    for change in (lambda w: w.update(xy=5.0), lambda w: w.pop("xy"), lambda w: w.clear(),
                   lambda w: w.setdefault("new", 1.0), lambda w: w.__delitem__("xy")):
        with pytest.raises(TypeError, match="does not support item assignment"):
            change(made.weights)
    assert result.weights == expected and weights == {"texture": 0}


def test_a_segmentations_weights_go_to_json_and_asdict():
    """The weights were a read-only proxy, which json.dumps and dataclasses.asdict refused."""
    import dataclasses
    import json

    img = np.zeros((6, 8, 3), np.uint8)
    img[:, 4:] = 200
    result = segment(img, 2, weights={"texture": 0}, seed=0)
    expected = {"color": 1.0, "intensity": 0.0, "xy": 0.3, "texture": 0.0}
    assert json.loads(json.dumps(result.weights)) == expected
    whole = dataclasses.asdict(result)
    assert whole["weights"] == expected and whole["labels"].tolist() == result.labels.tolist()
    editable = dict(result.weights)
    editable["xy"] = 5.0
    assert result.weights["xy"] == 0.3


@pytest.mark.parametrize("how", ["pickle", "copy", "deepcopy"])
def test_an_unpickled_or_copied_segmentation_stays_read_only(how):
    """An unpickled or deep-copied SegmentResult had writable arrays; now read-only too."""
    img = np.zeros((6, 8, 3), np.uint8)
    img[:, 4:] = 200
    result = segment(img, regions=2)
    made = copied(result, how)
    for name in ("labels", "clusters", "centers", "image"):
        assert not getattr(made, name).flags.writeable
        assert getattr(made, name).tolist() == getattr(result, name).tolist()
    with pytest.raises(ValueError, match="assignment destination is read-only"):
        made.labels[0, 0] = 1
    assert made.region_stats() == result.region_stats() and made.n_regions == 2


@pytest.mark.parametrize("side, floor", [(40, 9), (200, 16)])
def test_no_hierarchy_region_is_smaller_than_a_superpixel_fragment(side, floor):
    """As segment's and --regions' help say: a fragment under max(9, about 1/2400 of the
    image) pixels joins a neighbour, so a smaller detail comes out with some of its
    surroundings, one at the floor by itself; -k 2 --min-region 0 by colour alone
    keeps a 2 x 2 dot on a small image."""
    def dot(size: int) -> np.ndarray:
        img = np.full((side, side, 3), 200, np.uint8)
        img[20:20 + size, 20:20 + size] = (200, 0, 0)
        return img

    floor_side = int(floor ** 0.5)
    small, exact = segment(dot(floor_side - 1), regions=2), segment(dot(floor_side), regions=2)
    for result, size in ((small, floor_side - 1), (exact, floor_side)):
        inside = result.labels[20, 20]
        assert (result.labels[20:20 + size, 20:20 + size] == inside).all()
        assert result.n_regions == 2
    assert (exact.labels == exact.labels[20, 20]).sum() == floor
    assert (small.labels == small.labels[20, 20]).sum() > floor
    if side == 40:
        assert (small.labels == small.labels[20, 20]).sum() == 48  # the docstring's example
        clustered = segment(dot(2), 2, min_region=0, weights={"xy": 0, "texture": 0}, seed=0)
        assert ((clustered.labels == clustered.labels[20, 20]) == (dot(2)[..., 1] == 0)).all()


# --------------------------------------------------------------------------
# The k-means path: k is the most clusters; position alone does not cut a flat area
# --------------------------------------------------------------------------


def _two_halves(shape=(60, 80)):
    """Red left half, blue right half (the right one from column ``w // 2``)."""
    img = np.zeros((*shape, 3), np.uint8)
    img[:, : shape[1] // 2] = (200, 40, 40)
    img[:, shape[1] // 2:] = (40, 40, 200)
    return img


@pytest.mark.parametrize("k", [2, 5, 8, 12])
def test_a_plain_image_gives_one_region_whatever_k(k):
    img = np.full((60, 80, 3), (90, 140, 200), np.uint8)
    with pytest.warns(ClusterCountWarning, match=rf"^n_clusters={k} but no border between "
                                                 f"the {k} clusters k-means found shows a "
                                                 "change in colour or texture .* united "
                                                 "into 1 cluster;"):
        result = segment(img, k, seed=0)
    np.testing.assert_array_equal(result.labels, np.ones((60, 80), np.int32))
    assert result.clusters.tolist() == [0]
    assert result.centers.shape[0] == 1


def test_a_gradient_united_into_one_cluster_says_no_border_shows_a_step():
    """Black and white differ, but no border between the clusters of a black-to-white
    gradient does: the warning said colour and texture told no two parts apart."""
    ramp = np.rint(np.linspace(0, 255, 300)).astype(np.uint8)
    img = np.repeat(np.repeat(ramp[:, None, None], 400, axis=1), 3, axis=2)
    with pytest.warns(ClusterCountWarning) as caught:
        result = segment(img, 4, seed=0)
    assert result.labels.tolist() == [[1] * 400] * 300
    assert [str(w.message) for w in caught] == [
        "n_clusters=4 but no border between the 4 clusters k-means found shows a change in "
        "colour or texture (a plain image, or a smooth gradient), so they are united into "
        "1 cluster; to cluster by position alone, give weight color=0 and weight texture=0"]
    assert [w.filename for w in caught] == [__file__]


@pytest.mark.parametrize("weights", [{"color": 0}, {"color": 0, "intensity": 1e-6}])
def test_a_gradient_united_without_colour_says_which_groups_showed_no_change(weights):
    """With colour weighted 0 the warning said no border showed a change in colour or
    texture, as of a plain image, when colour was not looked at."""
    ramp = np.rint(np.linspace(0, 255, 300)).astype(np.uint8)
    img = np.repeat(np.repeat(ramp[:, None, None], 400, axis=1), 3, axis=2)
    with pytest.warns(ClusterCountWarning) as caught:
        result = segment(img, 4, weights=weights, seed=0)
    assert result.labels.tolist() == [[1] * 400] * 300
    groups = "intensity or texture, the only groups" if "intensity" in weights else \
        "texture, the only group"
    assert [str(w.message) for w in caught] == [
        "n_clusters=4 but no border between the 4 clusters k-means found shows a change in "
        f"{groups} weighted besides xy (weight color=0), so they are united into 1 cluster; "
        "to tell clusters apart by colour too, give weight color=1"]


@pytest.mark.parametrize("scale", [1.0, 0.01])
def test_two_textures_of_one_colour_give_two_regions_without_colour(scale):
    """-k with colour weighted 0 gave 1 region whatever the image and k, and all weights
    scaled by 0.1 gave 1 region too: the weights only count relative to each other."""
    weights = {"color": 0.0, "texture": scale, "xy": 0.3 * scale}
    labels = segment(two_textures(), 2, weights=weights, seed=0).labels
    # Each row: region 1, then region 2 from one column on, a few columns into the blocks
    starts = (labels == 2).argmax(axis=1)
    assert labels.tolist() == np.where(np.arange(160) >= starts[:, None], 2, 1).tolist()
    assert 80 <= starts.min() and starts.max() <= 86
    assert labels.tolist() == segment(two_textures(), 2, weights={"color": 0}, seed=0
                                      ).labels.tolist()


@pytest.mark.parametrize("k", [2, 3, 5, 8, 12])
@pytest.mark.parametrize("shape", [(60, 80), (45, 71)])
def test_two_halves_give_two_regions_split_on_the_right_column(k, shape):
    result = segment(_two_halves(shape), k, seed=0)
    expected = np.ones(shape, np.int32)
    expected[:, shape[1] // 2:] = 2
    np.testing.assert_array_equal(result.labels, expected)
    assert sorted(result.clusters.tolist()) == [0, 1]


@pytest.mark.parametrize(("shape", "left", "right"), [((60, 200), 0, 255), ((60, 200), 60, 180),
                                                     ((300, 300), 0, 255)])
def test_two_halves_of_strong_contrast_give_two_regions(shape, left, right):
    # The texture window makes a strip of a strong edge wider than two bands of
    # _BAND_RADIUS (38 columns on 300 x 300): the flat halves reach across it in rounds.
    img = np.full((*shape, 3), left, np.uint8)
    img[:, shape[1] // 2:] = right
    result = segment(img, 3, seed=0)
    expected = np.ones(shape, np.int32)
    expected[:, shape[1] // 2:] = 2
    np.testing.assert_array_equal(result.labels, expected)
    assert sorted(result.clusters.tolist()) == [0, 1]


@pytest.mark.parametrize("shape", [(60, 80), (200, 300)])
def test_a_plain_image_with_noise_gives_one_region(rng, shape):
    # Its noise is under texture.DETAIL_AMPLITUDE: the texture group counts for almost
    # nothing, and the clusters the noise gives k-means leave no region of their own.
    # (Where they all unite, a warning says "united into 1 cluster": at 200 x 300, not
    # 60 x 80, where the specks left merge under the default min_region, as a warning says.)
    img = np.clip(rng.normal((90, 140, 200), 2.0, (*shape, 3)), 0, 255).astype(np.uint8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ClusterCountWarning)
        warnings.simplefilter("ignore", RegionCountWarning)
        result = segment(img, 6, seed=0)
    np.testing.assert_array_equal(result.labels, np.ones(shape, np.int32))


@pytest.mark.parametrize(("rows", "k"), [(((0, 0, 0), (221, 0, 0), (255, 206, 0)), 3),
                                         (((0, 35, 149), (255, 255, 255), (237, 41, 57)), 3),
                                         (((0, 35, 149), (255, 255, 255), (237, 41, 57)), 5)])
def test_flat_stripes_each_give_a_region_at_k_as_many_as_they_are(rows, k):
    """Three flat stripes of 100 rows: the texture window gave their borders strips of
    texture as strong as colour, k-means spent a cluster on those strips, and two stripes
    (red and gold) came out one region of a colour in neither, orange. Fine detail
    on 3 % of the pixels weighs texture at 0.3."""
    img = np.zeros((300, 500, 3), np.uint8)
    for i, colour in enumerate(rows):
        img[100 * i:100 * (i + 1)] = colour
    result = segment(img, k, seed=0)
    np.testing.assert_array_equal(result.labels, np.repeat([1, 2, 3], 100)[:, None]
                                  * np.ones(500, np.int32))
    np.testing.assert_array_equal(result.mean_colors()[1:], np.array(rows, np.uint8))


def _flat_rectangles(seed: int, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Three flat rectangles at random on a flat red background, and the true regions (the
    4-connected pieces of each colour)."""
    h, w = shape
    img = np.full((h, w, 3), (230, 40, 40), np.uint8)
    colour = np.zeros((h, w), np.int32)
    rng = np.random.default_rng(seed)
    for i, c in enumerate([(40, 160, 60), (40, 70, 220), (240, 220, 40)]):
        dy, dx = rng.integers(h // 6, h // 2), rng.integers(w // 6, w // 2)
        y, x = rng.integers(0, h - dy), rng.integers(0, w - dx)
        img[y:y + dy, x:x + dx], colour[y:y + dy, x:x + dx] = c, i + 1
    return img, connected_regions(colour)[0]


@pytest.mark.parametrize(("shape", "seed"), [((100, 140), 0), ((100, 140), 4), ((100, 140), 6),
                                           ((100, 140), 9), ((300, 400), 1), ((300, 400), 7),
                                           ((300, 400), 10)])
def test_the_default_cut_keeps_a_flat_background_between_shapes_whole(shape, seed):
    """The hierarchy's cost counts the edges along a border, which the shapes nearby
    raise: the background between them came out in pieces along no edge (2 to 11 regions
    too many on 12 of 16 layouts at 100 x 140, 1 to 4 on 3 of 16 at 300 x 400, these
    among them). Neighbours that are flat and of one
    colour are united after the default cut."""
    img, truth = _flat_rectangles(seed, shape)
    result = segment(img, seed=0)
    assert result.n_regions == truth.max()
    assert adjusted_rand_index(result.labels, truth) == pytest.approx(1.0)


def _rectangle_on(background, fill, box, size=(400, 300)):
    """A flat rectangle ``box`` (PIL's, both corners inside) of ``fill`` on ``background``."""
    img = Image.new("RGB", size, background)
    ImageDraw.Draw(img).rectangle(box, fill=fill)
    return np.asarray(img)


def _box_of(labels, region):
    """Rows and columns (first, last) of ``region``'s pixels."""
    rows, cols = np.nonzero(labels == region)
    return [int(rows.min()), int(rows.max()), int(cols.min()), int(cols.max())]


@pytest.mark.parametrize(("background", "fill", "box"),
                         [((121, 131, 193), (65, 104, 164), [260, 95, 332, 184]),
                          ((128, 128, 128), (88, 88, 88), [100, 100, 139, 139])])
def test_the_default_cut_keeps_a_flat_shape_of_another_colour_apart(background, fill, box):
    """A flat rectangle (73 x 90, 14 apart in Lab; 40 x 40 grey, 16 apart) on a flat
    background merged into it below the default height, the size term of the merge cost
    outweighing a crisp edge: one region. Flat, unlike and crisply bordered regions the
    cut joined are apart again."""
    result = segment(_rectangle_on(background, fill, box))
    assert result.n_regions == 2
    assert _box_of(result.labels, result.labels[box[1], box[0]]) == [box[1], box[3], box[0],
                                                                      box[2]]
    assert result.labels[0, 0] != result.labels[box[1], box[0]]


def test_the_default_cut_keeps_an_anti_aliased_flat_shape_apart():
    """A 30 x 30 square drawn at 4x and downsampled with LANCZOS: its rim widens its spread
    past that of _unite_flat_alike's flat (2.2), and it still comes out."""
    big = Image.new("RGB", (1600, 1200), (178, 197, 88))
    ImageDraw.Draw(big).rectangle([601, 242, 721, 362], fill=(193, 176, 83))
    labels = segment(np.asarray(big.resize((400, 300), Image.LANCZOS))).labels
    assert labels.max() == 2
    assert _box_of(labels, labels[75, 165]) == [60, 90, 150, 180]


def test_the_default_cut_unites_a_flat_shape_of_nearly_the_background_colour():
    """5 apart in Lab (CIE76), under _APART_UNLIKE: one region, as before."""
    img = _rectangle_on((121, 131, 193), (104, 120, 180), [260, 95, 332, 184])
    np.testing.assert_array_equal(segment(img).labels, np.ones((300, 400), np.int32))


@pytest.mark.parametrize(("top", "bottom", "shape", "regions"),
                         [((48, 96, 192), (192, 224, 255), (40, 400), 4),
                          ((0, 0, 0), (255, 255, 255), (60, 400), 5),
                          ((32, 48, 64), (240, 192, 128), (480, 640), 5)])
def test_the_default_cut_splits_no_smooth_gradient_into_more_bands(top, bottom, shape,
                                                                   regions):
    """The flat bands a vertical ramp is cut into can be unlike their neighbours, but the
    edge along their borders is no stronger than within them: as many bands as before
    (without the edge test, or with _APART_EDGE at 0.15, 5, 6 and 5)."""
    ramp = np.linspace(0.0, 1.0, shape[0])[:, None, None]
    img = np.rint((1 - ramp) * top + ramp * np.array(bottom, float)).astype(np.uint8)
    labels = segment(np.repeat(img, shape[1], axis=1)).labels
    assert labels.max() == regions
    assert (labels == labels[:, :1]).all()  # bands across the whole width


def test_regions_n_cuts_at_n_whether_or_not_flat_neighbours_are_alike():
    """--regions N is a cut of the hierarchy at N regions: the flat neighbours are not
    united after it, so it still gives N (here more than the flat colours' pieces)."""
    img, truth = _flat_rectangles(4, (100, 140))
    assert segment(img, regions=int(truth.max()) + 3, seed=0).n_regions == truth.max() + 3


def _halves(shape, split, left=(200, 30, 30), right=(30, 30, 200)):
    """Two flat halves, columns ``split`` on in ``right``."""
    img = np.full(shape + (3,), left, np.uint8)
    img[:, split:] = right
    return img


def _first_right_column(labels):
    """The first column of the right region, checking every column is one region."""
    assert (labels == labels[:1]).all()
    return int(np.flatnonzero(labels[0] != labels[0, 0])[0])


def test_a_blended_column_between_two_colours_joins_a_side():
    """A column of in-between colour (anti-aliasing) came out as a region of its own, the
    border drawn on both of its sides; it now joins one of them."""
    img = _halves((40, 600), 300)
    img[:, 300] = (115, 30, 115)
    result = segment(img)
    assert result.n_regions == 2
    assert _first_right_column(result.labels) in (300, 301)


@pytest.mark.parametrize("split", [1024, 1025, 1027])
def test_a_working_pixel_across_an_edge_joins_a_side_and_the_border_is_the_edge(split):
    """On an image over 1024 pixels a side, a working pixel whose box of 3 straddles the
    edge is a mix of both sides: it made a 3-column strip region. It joins the side
    holding 2 of its pixels, which moved the border to the box edge nearest to it (1023
    for 1024 and 1025); at full size its pixels now take the side of their own colour,
    so the border is the edge itself."""
    result = segment(_halves((40, 2050), split))
    assert result.n_regions == 2
    assert _first_right_column(result.labels) == split


def test_a_blended_column_on_a_tiny_image_joins_the_nearer_colour():
    img = _halves((8, 12), 6)
    img[:, 6] = (155, 30, 75)  # nearer the left colour
    expected = np.ones((8, 12), np.int32)
    expected[:, 7:] = 2
    np.testing.assert_array_equal(segment(img).labels, expected)


@pytest.mark.parametrize("width", [1, 2])
def test_a_dark_line_between_areas_of_one_colour_stays_a_region(width):
    """A drawn line is no mix of the areas either side of it: it is kept."""
    img = np.full((40, 60, 3), 220, np.uint8)
    img[:, 29:29 + width] = 40
    labels = segment(img).labels
    np.testing.assert_array_equal(labels[:, 29:29 + width], 2)
    assert set(np.unique(labels[:, :29]).tolist()) == {1}
    assert set(np.unique(labels[:, 29 + width:]).tolist()) == {3}


def test_a_black_outline_between_a_dark_and_a_light_area_stays_a_region():
    img = _halves((40, 60), 31, left=(29, 53, 87), right=(255, 255, 255))
    img[:, 29:31] = 0
    labels = segment(img).labels
    assert _first_right_column(labels[:, 29:]) == 2  # columns 29-30, then the white
    assert labels[0, 28] != labels[0, 29]


def test_an_anti_aliased_line_keeps_its_core_and_loses_its_blends():
    img = np.full((40, 60, 3), 220, np.uint8)
    img[:, 28], img[:, 29:31], img[:, 31] = 160, 40, 100
    result = segment(img)
    labels = result.labels
    assert result.n_regions == 3
    # the blend nearer the background joins it, the one nearer the line joins the line
    np.testing.assert_array_equal(labels[0], [1] * 29 + [2] * 3 + [3] * 28)


def test_drawn_shapes_with_anti_aliased_edges_give_one_region_each():
    big = Image.new("RGB", (320, 240), (241, 250, 238))
    draw = ImageDraw.Draw(big)
    draw.ellipse([60, 40, 260, 200], fill=(230, 57, 70))
    draw.polygon([(20, 230), (100, 120), (180, 230)], fill=(29, 53, 87))
    img = np.asarray(big.resize((80, 60), Image.LANCZOS))
    assert segment(img).n_regions == 3


def _box_drawn(size, background, draw_shape):
    """A drawing made at 4x the size ``(w, h)`` and box-downscaled, and the share ``(h, w)``
    of each pixel's box that ``draw_shape(draw, fill)`` covered (0 to 1)."""
    big = Image.new("RGB", (4 * size[0], 4 * size[1]), background)
    mask = Image.new("L", big.size, 0)
    draw_shape(ImageDraw.Draw(big), ImageDraw.Draw(mask))
    cover = np.asarray(mask.resize(size, Image.BOX), np.float64) / 255
    return np.asarray(big.resize(size, Image.BOX)), cover


def _one_region_each(labels, *masks):
    """The label of each mask's pixels: one per mask, and a different one for each."""
    owners = []
    for mask in masks:
        found = np.unique(labels[mask])
        assert found.size == 1, found
        owners.append(int(found[0]))
    assert len(set(owners)) == len(owners)
    return owners


def test_a_chunk_of_flat_area_with_the_edge_beside_it_joins_that_area():
    """The cut gave 4 regions for 2: a chunk of background joined to the square's blended
    left column, and a chunk of square joined to its blended top row. Neither is thin, but
    each is mostly one neighbour's colour and the rest mixes: each joins that neighbour."""
    img, cover = _box_drawn((640, 480), (116, 250, 34), lambda big, mask: (
        big.rectangle([1442, 89, 1907, 527], fill=(124, 29, 251)),
        mask.rectangle([1442, 89, 1907, 527], fill=255)))
    result = segment(img)
    assert result.n_regions == 2
    _one_region_each(result.labels, cover == 1, cover == 0)  # blended pixels either side


def test_a_black_outline_ring_stays_one_region():
    """The 3-pixel ring was two regions touching at two cuts; the smaller piece is mostly
    the larger's colour, the rest mixes with the white and the green: one region."""
    outer, inner = [880, 240, 1440, 800], [892, 252, 1428, 788]
    img, ring = _box_drawn((400, 300), "white", lambda big, mask: (
        big.ellipse(outer, fill=(0, 160, 80), outline="black", width=12),
        mask.ellipse(outer, outline=255, width=12)))
    _, fill = _box_drawn((400, 300), "white", lambda big, mask: mask.ellipse(inner, fill=255))
    _, disc = _box_drawn((400, 300), "white", lambda big, mask: mask.ellipse(outer, fill=255))
    result = segment(img)
    assert result.n_regions == 3
    _one_region_each(result.labels, ring == 1, fill == 1, disc == 0)


def test_a_flat_chunk_joined_to_a_blended_column_joins_the_rest_of_its_colour():
    """The cut cut the green into rows 0-2 and 3-7, each with its part of the blended
    column (a quarter of the way to purple); rows 0-2 are 12 of 15 pixels the green of the
    larger piece, the rest a mix of green and purple: they join it."""
    green, purple = np.array([116, 250, 34]), np.array([124, 29, 251])
    img = _columns(8, [(4, green), (1, np.rint(0.75 * green + 0.25 * purple)), (7, purple)])
    expected = np.repeat(np.array([[1] * 5 + [2] * 7], np.int32), 8, axis=0)
    np.testing.assert_array_equal(segment(img).labels, expected)


@pytest.mark.parametrize("scale", [1, 2])
def test_flat_rectangles_saved_as_jpeg_give_one_region_each(scale):
    """JPEG keeps the rectangles' luma sharp but blurs their chroma: strips along their
    edges of their own luma and chroma partway to the white's (no mix of the two colours
    in RGB) were regions of their own (9 for 3 at 160 x 120). They are luma and chroma
    mixes, each in its own share, and join the nearer side."""
    import io

    im = Image.new("RGB", (160 * scale, 120 * scale), "white")
    draw = ImageDraw.Draw(im)
    red, blue = [20, 20, 69, 59], [90, 70, 149, 109]
    draw.rectangle([v * scale for v in red], fill=(255, 0, 0))
    draw.rectangle([v * scale for v in blue], fill=(0, 0, 255))
    buffer = io.BytesIO()
    im.save(buffer, "JPEG", quality=85)
    img = np.asarray(Image.open(buffer).convert("RGB"))
    result = segment(img)
    assert result.n_regions == 3
    inside = np.zeros((3,) + img.shape[:2], bool)
    for mask, (x0, y0, x1, y1) in zip(inside[:2], [red, blue], strict=True):
        mask[y0 * scale + 2:(y1 + 1) * scale - 2, x0 * scale + 2:(x1 + 1) * scale - 2] = True
    inside[2, :10 * scale], inside[2, -5 * scale:] = True, True
    _one_region_each(result.labels, *inside)


def test_a_strip_of_one_sides_luma_and_a_chroma_between_joins_that_side():
    """(204, 22, 18) beside red (250, 2, 1) and white: red's luma, a quarter of the way to
    white's chroma, 0.123 of the red-white distance from their RGB segment."""
    img = _columns(10, [(5, (250, 2, 1)), (1, (204, 22, 18)), (8, (255, 255, 255))])
    expected = np.repeat(np.array([[1] * 6 + [2] * 8], np.int32), 10, axis=0)
    np.testing.assert_array_equal(segment(img).labels, expected)


def test_an_anti_aliased_outline_between_areas_of_one_colour_stays():
    """A 2-pixel dark outline drawn at 4x and box-downscaled, the same fill inside and
    out: its pixels are no neighbour's colour and no mix of them, so it stays a region."""
    box = [160, 120, 1120, 840]
    img, cover = _box_drawn((320, 240), (200, 180, 60), lambda big, mask: (
        big.rectangle(box, outline=(30, 30, 30), width=8),
        mask.rectangle(box, outline=255, width=8)))
    labels = segment(img).labels
    (line,) = _one_region_each(labels, cover == 1)
    assert line not in labels[cover == 0]


def test_a_wide_band_of_a_mixed_colour_stays_a_region():
    """Grey between white and black is a mix of them, pixel for pixel, but none of its
    pixels is either neighbour's colour: the band is a region of its own."""
    img = _columns(30, [(20, (255, 255, 255)), (20, (128, 128, 128)), (20, (0, 0, 0))])
    expected = np.repeat(np.array([[1] * 20 + [2] * 20 + [3] * 20], np.int32), 30, axis=0)
    np.testing.assert_array_equal(segment(img).labels, expected)


def test_most_within_bounds_the_pixels_near_a_colour_by_groups_sums():
    """Exact values: a group whose mean is within the radius may lie there whole; of one
    beyond it, the one-sided Chebyshev share (3 / (3 + 3**2) of 4 pixels at 0, 0, 0 and 4
    from a centre at 6 within 2: the pixel at 4 attains it); of a flat one beyond it, none;
    and the groups' bounds add up."""
    from quantize.segment import _most_within

    count = np.array([4.0, 2.0, 3.0])
    mean = np.array([[1.0, 0.0, 0.0], [0.0, 8.0, 0.0], [5.0, 0.0, 0.0]])
    variance = np.array([3.0, 0.0, 1.0])
    centres = np.array([[6.0, 0.0, 0.0], [0.0, 8.0, 0.0]])
    most = _most_within(count, mean, variance, centres, np.array([2.0, 0.5]))
    # centre 0: 1 + 0 (the flat group's mean is 10 away) + 3 (mean 1 away); centre 1: the
    # first and third groups' means sqrt(65) and sqrt(89) away, the flat group's there
    expected = [4.0, 4 * 3 / (3 + (65 ** 0.5 - 0.5) ** 2) + 2 + 3 / (1 + (89 ** 0.5 - 0.5) ** 2)]
    np.testing.assert_allclose(most, expected, rtol=1e-12)


def test_most_within_is_never_fewer_than_the_pixels_there(rng):
    """Random groups of integer colours, centres near their pixels and random radii: the
    bound from the groups' counts, means and variances is at least the pixels within each
    radius."""
    from quantize._kernels import spread
    from quantize.segment import _most_within

    for _ in range(50):
        sizes = rng.integers(1, 40, size=rng.integers(1, 6))
        groups = [rng.integers(0, 256, 3) + rng.integers(-20, 21, (k, 3)) for k in sizes]
        pixels = np.concatenate(groups)
        centres = pixels[rng.integers(0, len(pixels), 4)] + rng.uniform(-10.0, 10.0, (4, 3))
        radius = rng.uniform(0.0, 30.0, 4)
        mean = np.array([g.mean(axis=0) for g in groups])
        squares = np.array([(g.astype(float) ** 2).mean(axis=0) for g in groups])
        most = _most_within(sizes.astype(float), mean, spread(mean, squares) ** 2, centres,
                            radius)
        within = sum((np.linalg.norm(g[:, None] - centres[None], axis=2) <= radius).sum(axis=0)
                     for g in groups)
        assert (within <= most + 1e-9).all()


def _columns(height, bands):
    """Vertical bands ``(width, colour)``, left to right."""
    img = np.zeros((height, sum(width for width, _ in bands), 3), np.uint8)
    start = 0
    for width, colour in bands:
        img[:, start:start + width] = colour
        start += width
    return img


_RED, _BLUE, _SKY = (200, 30, 30), (30, 30, 200), (30, 90, 200)
_RED_BLUE = (132, 30, 98)  # four tenths of the way from red to blue


def test_regions_n_gives_a_blended_columns_place_to_a_shape():
    """The cut at 3 was red, the blended column alone, and blue and sky together: the
    column now joins the red, nearer in colour, and blue and sky are two regions."""
    img = _columns(12, [(10, _RED), (1, _RED_BLUE), (9, _BLUE), (10, _SKY)])
    expected = np.repeat(np.array([[1] * 11 + [2] * 9 + [3] * 10], np.int32), 12, axis=0)
    np.testing.assert_array_equal(segment(img, regions=3).labels, expected)


def test_regions_n_keeps_a_dark_outline_of_its_own_colour():
    """A 2-pixel dark line is no mix of its sides: it keeps its region under regions=N,
    while the blended column's place goes to the sky."""
    img = _columns(16, [(10, _RED), (1, _RED_BLUE), (9, _BLUE), (10, _SKY), (2, (40, 40, 40)),
                      (10, (230, 230, 230))])
    labels = segment(img, regions=5).labels
    assert (labels == labels[:1]).all()
    assert labels[0].tolist() == [1] * 11 + [2] * 9 + [3] * 10 + [4] * 2 + [5] * 10


def test_regions_n_gives_n_regions_on_bands_without_blends():
    img = _columns(12, [(10, _RED), (10, _BLUE), (10, _SKY), (2, (40, 40, 40))])
    for n in range(1, 9):
        assert segment(img, regions=n).n_regions == n
    assert segment(img, regions=4).labels[0].tolist() == [1] * 10 + [2] * 10 + [3] * 10 + [4] * 2


def _drawn(shapes, background):
    """Shapes ``(ellipse?, box, fill, outlined?)`` drawn at 4x, brought to 320 x 240 with
    LANCZOS, and the map of the topmost shape under each pixel (0: the background)."""
    big = Image.new("RGB", (1280, 960), background)
    ids = Image.new("L", big.size, 0)
    draw, draw_ids = ImageDraw.Draw(big), ImageDraw.Draw(ids)
    for i, (ellipse, box, fill, outlined) in enumerate(shapes, start=1):
        outline = {"outline": (0, 0, 0), "width": 8} if outlined else {}
        (draw.ellipse if ellipse else draw.rectangle)(box, fill=fill, **outline)
        (draw_ids.ellipse if ellipse else draw_ids.rectangle)(box, fill=i)
    return (np.asarray(big.resize((320, 240), Image.LANCZOS)),
            np.asarray(ids.resize((320, 240), Image.NEAREST)))


def test_regions_n_gives_each_drawn_shape_a_region_and_no_strip_one():
    """4 shapes, 2 of them outlined, on a background: 7 regions. The cut at 7 had two
    strips of anti-aliased edge among them, and one shape shared a region."""
    from scipy import ndimage

    from quantize.segment import _thin_regions

    img, ids = _drawn([(True, [912, 120, 1268, 424], (242, 94, 168), False),
                       (True, [552, 36, 936, 264], (161, 172, 174), False),
                       (False, [608, 88, 1112, 472], (248, 250, 149), True),
                       (True, [664, 72, 1076, 420], (12, 191, 110), True)], (220, 219, 206))
    result = segment(img, regions=7)
    assert result.n_regions == 7
    assert not _thin_regions(result.labels - 1, 7).any()
    owners = [np.bincount(result.labels[ndimage.binary_erosion(ids == i, iterations=3)]).argmax()
              for i in range(5)]
    assert len(set(owners)) == 5


def test_a_smooth_gradient_is_not_cut_by_position():
    # A sky-like ramp, light blue to blue over 120 columns: no border shows a difference.
    ramp = np.linspace(0.0, 1.0, 120)[None, :, None]
    img = np.rint((1 - ramp) * (170, 200, 235) + ramp * (60, 110, 200)).astype(np.uint8)
    with pytest.warns(ClusterCountWarning, match="so they are united into 1 cluster;"):
        result = segment(np.repeat(img, 50, axis=0), 5, seed=0)
    assert result.n_regions == 1


@pytest.mark.parametrize("k", [4, 8, 12])
def test_flat_quadrants_with_noise_keep_their_four_regions(rng, k):
    # Without texture (whose window makes strips of the borders, which k-means then
    # mixes with the quadrants): the clusters that position cuts a quadrant into unite.
    img, truth = quadrants(rng, (64, 80), noise=3.0)
    result = segment(img, k, weights={"texture": 0}, seed=0)
    np.testing.assert_array_equal(result.labels, truth + 1)
    assert sorted(result.clusters.tolist()) == [0, 1, 2, 3]


def test_position_alone_still_cuts_a_plain_image_into_k_clusters():
    # With colour and texture off the clusters are the positions asked for.
    img = np.full((60, 80, 3), 128, np.uint8)
    result = segment(img, 4, weights={"color": 0, "texture": 0}, seed=0)
    assert sorted(set(result.clusters.tolist())) == [0, 1, 2, 3]


@pytest.mark.parametrize("k", [3, 8])
def test_united_clusters_are_at_most_k_and_numbered_from_0(rng, k):
    img, _ = quadrants(rng, (48, 64), noise=3.0)
    img[:, :20] = 128  # a flat band that k-means cuts by position
    result = segment(img, k, seed=0)
    used = sorted(set(result.clusters.tolist()))
    assert used == list(range(result.centers.shape[0])) and len(used) <= k


@pytest.mark.parametrize("first", [
    "import quantize",
    "import quantize.segment",
    "from quantize.segment import MAX_CLUSTERS",
    "import quantize.cli.segment",
])
def test_quantize_segment_is_the_function_whichever_import_comes_first(first):
    """The package loads the segment module on the first use of its names; the module,
    loaded later than the package, does not take the function's place."""
    import subprocess
    import sys

    code = (f"{first}\nimport quantize\nfunction = quantize.segment\nfrom quantize import "
            "segment, SegmentResult, boundary_map\nprint(function is segment, segment.__name__, "
            "SegmentResult.__name__, boundary_map.__name__)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.split() == ["True", "segment", "SegmentResult", "boundary_map"]


def test_importing_quantize_leaves_the_segment_modules_unloaded():
    import subprocess
    import sys

    code = ("import sys, quantize\nprint(sorted(m for m in ('quantize.segment', "
            "'quantize.features', 'quantize.pixel_kmeans') if m in sys.modules))\n"
            "quantize.segment\nprint('quantize.segment' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.split("\n")[:2] == ["[]", "True"]


def test_the_package_names_no_other_attribute():
    import quantize

    with pytest.raises(AttributeError, match="^module 'quantize' has no attribute 'bogus'$"):
        quantize.bogus  # noqa: B018
    assert {"segment", "SegmentResult", "boundary_map"} <= set(dir(quantize))


@pytest.mark.parametrize("shape", [(2, 1000), (1000, 2), (10, 1000), (100, 10000)])
def test_a_strip_of_two_colours_is_cut_between_them_with_the_default_weights(shape):
    """With texture on, the colours were blurred by 3 pixels whatever the image's height:
    across a strip of 2 or 10 rows (or a banner 100 high, blurred as its 10000 columns
    allow) the rows became one purple, k-means split the strip by position, and its halves
    were united with a ClusterCountWarning ("colour and texture tell no two parts of the
    image apart"): one region. The blur along each axis is now at most 1/8 of that side."""
    h, w = shape
    img = np.zeros((h, w, 3), np.uint8)
    red = np.zeros((h, w), bool)
    if h < w:
        red[: h // 2] = True
    else:
        red[:, : w // 2] = True
    img[red] = (255, 0, 0)
    img[~red] = (0, 0, 255)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        labels = segment(img, 2, seed=0).labels
    assert sorted(np.unique(labels).tolist()) == [1, 2]
    assert (labels == labels[red][0])[red].all()
    assert (labels != labels[red][0])[~red].all()


@pytest.mark.parametrize("how", [None, "pickle", "deepcopy"])
def test_a_segmentations_arrays_cannot_be_made_writable_again(how):
    """setflags(write=True) made result.labels writable again (numpy allows it on a view of
    a writable array); the arrays are now views of a read-only buffer."""
    img = np.zeros((6, 8, 3), np.uint8)
    img[:, 4:] = 200
    result = segment(img, regions=2)
    made = copied(result, how)
    assert_stay_read_only(made, ("labels", "clusters", "centers", "image"))
    assert made.labels[:, 3:5].tolist() == [[1, 2]] * 6 and img.flags.writeable


def test_cluster_stats_give_each_k_means_cluster_its_pixels_and_mean_colour():
    img = np.zeros((20, 30, 3), np.uint8)
    img[:, 15:] = 200
    img[:, 20:] = 100  # three bands, the first and the last unlike, two clusters
    result = segment(img, 2, weights={"xy": 0}, seed=0)
    stats = result.cluster_stats()
    clusters = result.cluster_map()
    assert [s["cluster"] for s in stats] == sorted(set(result.clusters.tolist()))
    for s in stats:
        pixels = img[clusters == s["cluster"]]
        assert s["area"] == len(pixels)
        assert s["regions"] == int((result.clusters == s["cluster"]).sum())
        assert s["mean_color"] == [round(float(v), 1) for v in pixels.mean(0)]
    assert sum(s["area"] for s in stats) == img.shape[0] * img.shape[1]


def test_cluster_stats_of_the_hierarchy_are_its_regions():
    img, _ = quadrants(np.random.default_rng(3))
    result = segment(img, regions=4)
    assert result.cluster_stats() == [
        {"cluster": s["label"] - 1, "regions": 1, "area": s["area"],
         "fraction": round(s["area"] / img[..., 0].size, 6),
         "mean_color": s["mean_color"]} for s in result.region_stats()]


def test_segmented_color_is_the_colour_segmented_png_fills_a_region_with():
    # A mean of 3.45 shows as 3.5 to one decimal, which rounds to 4; the image has 3.
    img = np.zeros((4, 5, 3), np.uint8)
    img.reshape(-1, 3)[:9, 0] = 4
    img.reshape(-1, 3)[9:, 0] = 3
    result = segment(img, regions=1)
    stats = result.region_stats()
    assert stats[0]["mean_color"] == [3.5, 0.0, 0.0]
    assert stats[0]["segmented_color"] == [3, 0, 0] == result.mean_color_image()[0, 0].tolist()
    assert all(type(v) is int for v in stats[0]["segmented_color"])


def test_a_region_of_transparent_pixels_alone_is_marked_so(rng):
    rgba = np.zeros((8, 10, 4), np.uint8)
    rgba[:, :5, :3] = rng.integers(0, 256, (8, 5, 3))  # hidden, alpha 0
    rgba[:, 5:] = (30, 170, 40, 255)
    with pytest.warns(AlphaIgnoredWarning):
        result = segment(rgba, regions=2)
    stats = result.region_stats()
    assert [s.get("transparent") for s in stats] == [True, None]
    assert list(stats[0])[-1] == "transparent"
    assert [s.get("transparent") for s in result.cluster_stats()] == [True, None]


def _speck() -> np.ndarray:
    """A 20 x 20 grey image with a 3 x 3 blue speck: 9 pixels, 2.25% of its 400."""
    img = np.full((20, 20, 3), 200, np.uint8)
    img[5:8, 5:8] = (20, 40, 160)
    return img


@pytest.mark.parametrize("n_clusters", [None, 2])
@pytest.mark.parametrize(("share", "pixels", "kept"), [("2.25%", 9, True), ("2.26%", 10, False),
                                                       ("2%", 8, True), ("3%", 12, False),
                                                       (" 0% ", 0, True)])
def test_a_min_region_share_counts_the_image_pixels(recwarn, n_clusters, share, pixels, kept):
    """--min-region took pixels only, though one value serves images of every size in a
    batch: a share of the image's pixels comes to ceil(share * H * W), and the 9-pixel
    speck is kept at 2.25% (9 pixels) and merged at 2.26% (10)."""
    weights = {"xy": 0, "texture": 0} if n_clusters else None
    result = segment(_speck(), n_clusters, min_region=share, weights=weights, seed=0)
    expected = np.ones((20, 20), np.int32)
    if kept:
        expected[5:8, 5:8] = 2
    np.testing.assert_array_equal(result.labels, expected)
    assert result.min_region == pixels


def test_a_min_region_share_merges_as_its_pixels_do(rng):
    img, _ = quadrants(rng, noise=6.0)  # 80 x 64: 0.5% is 25.6 pixels, so 26
    by_share = segment(img, regions=30, min_region="0.5%")
    np.testing.assert_array_equal(by_share.labels, segment(img, regions=30,
                                                           min_region=26).labels)
    assert by_share.min_region == 26


@pytest.mark.parametrize(("min_region", "error", "match"), [
    ("1.5", ValueError, r"^min_region='1.5' is not valid; expected a whole number of pixels "
                        r"\(5000\) or a percentage of the image's pixels from 0% to 100% "
                        r"\(0.1%\)$"),
    ("abc", ValueError, r"^min_region='abc' is not valid; expected a whole number"),
    ("%", ValueError, r"^min_region='%' is not valid; expected a whole number"),
    ("5000", ValueError, r"^min_region='5000' is not valid; expected a whole number"),
    ("nan%", ValueError, r"^min_region='nan%' is not valid; expected a whole number"),
    ("-1%", ValueError, r"^min_region='-1%' should be >= 0%$"),
    ("120%", ValueError, r"^min_region='120%' should be <= 100%$"),
    ("1e999999999%", ValueError, r"^min_region='1e999999999%' should be <= 100%$"),
])
def test_a_bad_min_region_is_named_with_what_was_expected(min_region, error, match):
    with pytest.raises(error, match=match):
        segment(_speck(), min_region=min_region)


def test_a_tiny_min_region_share_is_at_least_a_pixel():
    """A share however small, if above 0, is a pixel at least: worked out exactly, not in
    floats, where 1e-400 is 0."""
    assert segment(_speck(), min_region="1e-400%").min_region == 1


# --------------------------------------------------------------------------
# Arrays of counts (microscopy): stretch, its advice, two channels
# --------------------------------------------------------------------------


def _nucleus(hot: bool = False) -> np.ndarray:
    """A 96 x 128 uint16 stand-in for a microscopy image: a bright disc of counts about 1800
    on a background of about 300, seeded noise; with one hot pixel at 40000 when ``hot``."""
    yy, xx = np.mgrid[:96, :128]
    disc = (yy - 48) ** 2 + (xx - 64) ** 2 < 30 ** 2
    counts = 300 + 1500 * disc + np.random.default_rng(1).integers(0, 40, disc.shape)
    if hot:
        counts[5, 5] = 40000
    return counts.astype(np.uint16)


@pytest.mark.parametrize("dtype", [np.float32, np.int32])
def test_counts_as_floats_or_int32_segment_as_the_uint16_counts_do_when_stretched(dtype):
    """float32 counts were refused ("should hold values in [0, 1]") though documented as
    stretched from their own values, and int32 ones told to pass .astype(np.uint8)."""
    counts = _nucleus()
    expected = segment(counts, 2, stretch=True, seed=0)
    result = segment(counts.astype(dtype), 2, stretch=True, seed=0)
    assert expected.n_regions == 2
    np.testing.assert_array_equal(result.labels, expected.labels)
    np.testing.assert_array_equal(boundary_map(counts.astype(dtype), stretch=True),
                                  boundary_map(counts, stretch=True))


def test_boundary_map_takes_the_stretch_its_dark_warning_advises():
    counts = _nucleus()
    with pytest.warns(quantize.PixelRangeWarning) as caught:
        plain = boundary_map(counts)
    assert str(caught[0].message) == (
        "image: uint16 values 300..1839 of 65535 come out 1..7 of 255: counts closer than 257 "
        "apart become one level; give stretch=True to map the image's own range onto 0..255 "
        "before finding its borders")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        stretched = boundary_map(counts, stretch=True)
    lifted = (counts - 300.0) * (255.0 / (1839 - 300))
    np.testing.assert_array_equal(stretched, boundary_map(np.rint(lifted).astype(np.uint8)))
    assert stretched.max() > plain.max()


def test_a_function_without_stretch_does_not_advise_it():
    with pytest.warns(quantize.PixelRangeWarning) as caught:
        build_features(_nucleus()[:16, :16])
    assert "stretch=True" not in str(caught[0].message)
    assert str(caught[0].message).endswith(
        "; scale the values to fill their whole range first (0..65535 for 16-bit counts, 0..1 "
        "for floats)")


def test_a_hot_pixel_that_leaves_a_stretch_dark_is_named_by_both_warnings():
    """One hot pixel made the stretched nucleus 0..10 of 255: -k 2 gave one region without
    a word of the stretch, the cluster warning calling it a plain image or a gradient."""
    with pytest.warns(quantize.QuantizeWarning) as caught:
        result = segment(_nucleus(hot=True), 2, stretch=True, seed=0)
    assert result.n_regions == 1
    said = {w.category.__name__: str(w.message) for w in caught}
    assert said["PixelRangeWarning"].startswith(
        "image stretched from its own range comes out 0..10 of 255 but for 1 of its 12288 "
        "pixels (a few outliers, hot or dead pixels, set the range)")
    assert said["ClusterCountWarning"].endswith(
        "so they are united into 1 cluster: the image is dark, its levels 0..10 of 255 but for "
        "1 brighter or darker pixel, too close to tell apart")


def test_a_stretch_clip_segments_the_hot_nucleus_as_the_clean_one_and_is_advised(recwarn):
    """The warning of the hot pixel gave only numpy code to clip it; stretch_clip does."""
    with pytest.warns(quantize.PixelRangeWarning) as caught:
        segment(_nucleus(hot=True), 2, stretch=True, seed=0)
    assert str(caught[0].message).endswith(
        "; give stretch_clip=0.1 to stretch from the 0.1th to the 99.9th percentile, which "
        "leaves them out")
    recwarn.clear()
    clipped = segment(_nucleus(hot=True), 2, stretch_clip=0.1, seed=0)
    clean = segment(_nucleus(), 2, stretch=True, seed=0)
    assert not [w for w in recwarn.list if issubclass(w.category, quantize.QuantizeWarning)]
    assert clipped.n_regions == clean.n_regions == 2
    # the percentiles are the clean image's range: the disc and its ground come out alike
    assert clipped.stretch_range == clean.stretch_range == (300.0, 1839.0)
    assert np.array_equal(clipped.labels, clean.labels)


def test_two_channels_are_said_to_be_read_as_grey_and_alpha_and_the_advice_works():
    """The advice was image[..., :3], which is still (H, W, 2)."""
    image = np.zeros((24, 32, 2), np.uint8)
    image[:, 16:, 0] = 200
    image[:12, :, 1] = 255  # a second channel of data, read as alpha
    with pytest.warns(AlphaIgnoredWarning) as caught:
        segment(image, regions=2)
    assert str(caught[0].message).endswith(
        '; an (H, W, 2) array is read as grey (channel 0) and alpha (channel 1), as np.asarray '
        'of a PIL "LA" image gives it: pass image[..., 0] to segment one channel alone, or '
        "np.dstack([image, np.zeros_like(image[..., :1])]) to segment both channels as colours "
        "(red and green)")
    with pytest.warns(AlphaIgnoredWarning) as caught:
        boundary_map(image)
    assert "pass image[..., 0] to segment one channel alone" in str(caught[0].message)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert segment(image[..., 0], regions=2).n_regions == 2
        both = segment(np.dstack([image, np.zeros_like(image[..., :1])]))
    assert both.n_regions == 4


# Two halves of levels 100 and 103 (a float image of 0.392..0.404, say): the hierarchy and
# k-means alike see one region; stretched from their own range, 0 and 255, two.
def _close_halves(step=3):
    img = np.full((40, 40), 100, np.uint8)
    img[:, 20:] = 100 + step
    return img


_CLOSE_ADVICE = ("give stretch=True to map the image's own range onto 0..255 before "
                 "segmenting")


def _said(call):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = call()
    return result, [(w.category.__name__, str(w.message)) for w in caught]


@pytest.mark.parametrize("image", [_close_halves(), _close_halves() / 255.0],
                         ids=["uint8", "float"])
def test_one_region_of_levels_too_close_says_to_stretch(image):
    """A narrow-range image (a photo's grey * 0.02 + 0.4) gave 1 region without a word;
    only a 16-bit one was told of stretch=True. One region asked for is not said."""
    result, said = _said(lambda: segment(image))
    assert result.n_regions == 1
    assert said == [("RegionCountWarning", "the region hierarchy gives 1 region: its levels "
                     f"100..103 of 255 are too close to tell apart; {_CLOSE_ADVICE}")]
    stretched = segment(image, stretch=True)
    assert stretched.labels.tolist() == [[1] * 20 + [2] * 20] * 40
    assert _said(lambda: segment(image, regions=1))[1] == []


def test_k_means_of_levels_too_close_says_to_stretch_not_plain():
    """The -k warning called such an image 'a plain image, or a smooth gradient' and said
    to cluster by position alone. A plain image still is one, with no stretch advice; a
    dark photo that k-means still cuts is not warned of."""
    result, said = _said(lambda: segment(_close_halves(), 2, seed=0))
    assert result.n_regions == 1
    assert said == [("ClusterCountWarning", "n_clusters=2 but no border between the 2 "
                     "clusters k-means found shows a change in colour or texture, so they "
                     "are united into 1 cluster: its levels 100..103 of 255 are too close to "
                     f"tell apart; {_CLOSE_ADVICE}")]
    assert segment(_close_halves(), 2, seed=0, stretch=True).n_regions == 2
    _, said = _said(lambda: segment(np.full((40, 40), 100, np.uint8), 4, seed=0))
    assert [category for category, _ in said] == ["ClusterCountWarning"]
    assert "(a plain image, or a smooth gradient)" in said[0][1] and "stretch" not in said[0][1]
    from skimage import data

    result, said = _said(lambda: segment(data.camera() // 2, 4, seed=0))  # levels 0..127
    assert result.n_regions > 1 and said == []


def test_a_dark_8_bit_image_of_one_region_is_said_dark_with_the_stretch():
    """Levels 0 and 3 gave one region without a word. Not said: a plain image, the halves
    beside a hot pixel that sets the range (a stretch leaves them 3 levels apart), and a
    dark photo that still segments into several regions."""
    img = _close_halves() - 100
    _, said = _said(lambda: segment(img))
    assert said == [("RegionCountWarning", "the region hierarchy gives 1 region: the image is "
                     f"dark, its levels 0..3 of 255, too close to tell apart; {_CLOSE_ADVICE}")]
    assert _said(lambda: segment(np.full((40, 40), 100, np.uint8)))[1] == []
    img[0, 0] = 255
    result, said = _said(lambda: segment(img))
    assert result.n_regions == 1 and said == []
    from skimage import data

    result, said = _said(lambda: segment(data.camera() // 2))  # levels 0..127
    assert result.n_regions > 1 and said == []


def _two_colours_beside_a_transparent_column() -> np.ndarray:
    """4 x 4 RGBA: column 0 fully transparent (a colour hidden in it), columns 1-2 red,
    column 3 blue."""
    rgba = np.zeros((4, 4, 4), np.uint8)
    rgba[..., 3] = 255
    rgba[:, 1:3, :3] = (200, 30, 30)
    rgba[:, 3, :3] = (10, 10, 200)
    rgba[:, 0] = (90, 20, 120, 0)
    return rgba


def test_transparent_pixels_are_a_cluster_beyond_n_clusters():
    """Fully transparent pixels took one of the K clusters, leaving K - 1 to the visible
    ones (red and blue were one cluster at n_clusters=2); they are clustered into K, the
    transparent ones a cluster of their own, the last."""
    rgba = _two_colours_beside_a_transparent_column()
    with pytest.warns(AlphaIgnoredWarning):
        result = segment(rgba, 2, weights={"xy": 0, "texture": 0}, min_region=0, seed=0)
    assert result.cluster_map().tolist() == [[2, 0, 0, 1]] * 4
    assert result.labels.tolist() == [[1, 2, 2, 3]] * 4
    assert result.centers.shape[0] == 3
    stats = result.cluster_stats()
    assert [(s["cluster"], s["area"], s.get("transparent")) for s in stats] == [
        (0, 8, None), (1, 4, None), (2, 4, True)]
    assert stats[0]["mean_color"] == [200.0, 30.0, 30.0]


@pytest.mark.parametrize("options", [{"weights": {"xy": 0, "texture": 0}, "smooth": 0,
                                      "min_region": 0},
                                     {"min_region": 2000}])
def test_transparent_pixels_never_share_a_cluster_or_region_with_visible_ones(options):
    """Of a photo with a transparent band and edge, worked on a half-size copy, the
    transparent pixels are exactly the last cluster; smoothing and merges move none (they
    shared one with visible pixels)."""
    from skimage import data

    rgb = np.repeat(np.repeat(data.coffee()[:200, :300], 4, 0), 4, 1)
    rgba = np.dstack([rgb, np.full(rgb.shape[:2], 255, np.uint8)])
    rgba[:203, :, 3] = 0
    rgba[:, -17:, 3] = 0
    hidden = rgba[..., 3] == 0
    with pytest.warns(AlphaIgnoredWarning):
        result = segment(rgba, 4, seed=0, **options)
    last = result.centers.shape[0] - 1
    assert np.array_equal(result.cluster_map() == last, hidden)
    assert [s.get("transparent") for s in result.cluster_stats()][-1] is True
    assert set(np.unique(result.labels[hidden])).isdisjoint(np.unique(result.labels[~hidden]))


def _counts_in_two_colours() -> np.ndarray:
    """2 x 4 uint16 RGB: counts 1000 on the left half, (3000, 3000, 2000) on the right."""
    counts = np.full((2, 4, 3), 1000, np.uint16)
    counts[:, 2:] = (3000, 3000, 2000)
    return counts


def test_stats_of_a_stretched_image_give_the_means_in_its_own_values():
    """region_stats and cluster_stats gave the stretched 0..255 means only: the counts could
    not be had back from Python (segments.json's regions had mean_input, its clusters not).
    2000 comes out 127.5 of 255, stored as 128: its levels mapped back gave 2003.92, where
    the array's own values give 2000, as a file's do."""
    result = segment(_counts_in_two_colours(), 2, stretch=True, min_region=0, seed=0,
                     weights={"xy": 0, "texture": 0})
    assert result.stretch_range == (1000.0, 3000.0)
    expected = [[1000.0] * 3, [3000.0, 3000.0, 2000.0]]
    assert [s["mean_input"] for s in result.region_stats()] == expected
    assert [s["mean_input"] for s in result.cluster_stats()] == expected
    assert list(result.cluster_stats()[0]) == ["cluster", "regions", "area", "fraction",
                                               "mean_color", "mean_input", "std_input",
                                               "min_input", "max_input"]
    assert [(s["std_input"], s["min_input"], s["max_input"]) for s in result.cluster_stats()] \
        == [([0.0] * 3, [1000.0] * 3, [1000.0] * 3),
            ([0.0] * 3, [3000.0, 3000.0, 2000.0], [3000.0, 3000.0, 2000.0])]
    assert result.cluster_stats(exact=True)[1]["mean_input"] == [3000.0, 3000.0, 2000.0]
    with warnings.catch_warnings():  # read as counts, dark: said, and one cluster
        warnings.simplefilter("ignore")
        plain = segment(_counts_in_two_colours(), 2, min_region=0, seed=0,
                        weights={"xy": 0, "texture": 0})
    assert plain.stretch_range is None
    assert "mean_input" not in plain.cluster_stats()[0]
    assert "mean_input" not in plain.region_stats()[0]


_ONE_LEVEL_APART = {"min_region": 0, "smooth": 0, "weights": {"xy": 0, "texture": 0}}


@pytest.mark.parametrize("as_pil", [False, True])
def test_stats_of_a_stretched_array_are_its_own_values_exactly(as_pil):
    """Counts 1000, 2000, 3000: 2000 comes out level 128, which mapped back gave
    mean_input, min_input and max_input 2003.92; the array's values (and a 16-bit PIL
    image's) are kept beside the stretch, as a file's are, and give 2000 exactly. The
    caller's array is left as it was."""
    counts = np.array([[1000, 2000, 3000]], np.uint16)
    image = Image.fromarray(counts) if as_pil else counts
    stats = segment(image, 3, stretch=True, **_ONE_LEVEL_APART).region_stats(exact=True)
    assert [(s["mean_input"], s["std_input"], s["min_input"], s["max_input"])
            for s in stats] == [([v] * 3, [0.0], [v], [v]) for v in (1000.0, 2000.0, 3000.0)]
    assert counts.tolist() == [[1000, 2000, 3000]]


def test_stats_of_a_float_array_stretched_are_its_own_values_from_any_range():
    """A float array of 0.5 and 1.3: from its own range, or from a fixed stretch_range
    (0, 2), whose levels 64 and 166 mapped back gave 0.501961 and 1.30196, its regions'
    clusters' statistics are of its own values, 0.5 and 1.3, as a file's are."""
    from quantize.io import as_rgba_stretched
    from quantize.segment import segment_pixels

    values = np.array([[0.5, 0.5, 1.3, 1.3, 0.5, 1.3]])
    result = segment(values, 2, stretch=True, **_ONE_LEVEL_APART)
    assert result.stretch_range == (0.5, 1.3)
    stats = [(s["mean_input"], s["min_input"], s["max_input"]) for s in result.cluster_stats()]
    assert sorted(stats) == [([0.5] * 3, [0.5], [0.5]), ([1.3] * 3, [1.3], [1.3])]
    rgb, alpha, fixed, kept = as_rgba_stretched(values, stretch_range=(0.0, 2.0))
    assert (fixed, rgb[0, :2, 0].tolist()) == ((0.0, 2.0), [64, 64])
    result = segment_pixels(rgb, alpha, 2, stretch_range=fixed, stretch_values=kept,
                            **_ONE_LEVEL_APART)
    stats = [(s["mean_input"], s["std_input"]) for s in result.cluster_stats()]
    assert sorted(stats) == [([0.5] * 3, [0.0]), ([1.3] * 3, [0.0])]
    assert values.tolist() == [[0.5, 0.5, 1.3, 1.3, 0.5, 1.3]]


def test_region_stats_give_each_quadrant_its_outline_as_perimeter(rng):
    """A 32 x 40 quadrant's pixels on its edge, beside another quadrant or the image's edge,
    are its outline: 2 * (32 + 40) - 4."""
    img, _ = quadrants(rng)
    stats = segment(img, 4, weights={"texture": 0}, seed=0).region_stats()
    assert [s["area"] for s in stats] == [32 * 40] * 4
    assert [s["perimeter"] for s in stats] == [140] * 4


def test_a_four_band_scene_is_segmented_whole_its_near_infrared_a_band():
    """A uint16 scene of red, green, blue and near-infrared: the near-infrared was read as
    alpha, its dark water (300 of 65535) as all but transparent, no data. Read as a band,
    unless ``fourth_channel="alpha"`` says otherwise, every pixel is segmented; the
    keyword reaches reduce_colors, boundary_map and fit_classes too."""
    from quantize.io import FourthChannelWarning
    from quantize.segment import fit_classes

    scene = np.zeros((8, 8, 4), np.uint16)
    scene[:, :4], scene[:, 4:] = (4500, 9000, 13500, 300), (30000, 35000, 40000, 20000)
    with pytest.warns(FourthChannelWarning, match=r"pass fourth_channel='alpha'"):
        labels = segment(scene, regions=2).labels
    assert labels.tolist() == [[1] * 4 + [2] * 4] * 8
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert segment(scene, regions=2, fourth_channel="band").labels.tolist() == \
            labels.tolist()
        result = quantize.reduce_colors(scene, 2, seed=0, fourth_channel="band")
        borders = boundary_map(scene, fourth_channel="band")
        classes = fit_classes([scene], 2, seed=0, fourth_channel="band")
    assert result.palette.tolist() == [[18, 35, 53], [117, 136, 156]]
    np.testing.assert_array_equal(borders, boundary_map(scene[..., :3]))
    assert sorted(classes.colors.tolist()) == [[18, 35, 53], [117, 136, 156]]
    assert result.to_rgba()[0, :, 3].tolist() == [255] * 8
    as_alpha = quantize.reduce_colors(scene, 2, seed=0, fourth_channel="alpha")
    assert as_alpha.to_rgba()[0, :, 3].tolist() == [1] * 4 + [78] * 4  # asked for


def test_stats_of_a_stretched_grey_array_give_one_std_min_and_max_a_region():
    """Of a grey input, std_input, min_input and max_input are one value each (mean_input
    three alike, as before); levels 0, 1, 254, 255 of 0..2550 map back exactly."""
    counts = np.array([[0, 10, 2550, 2540]], np.uint16)
    result = segment(counts, 2, stretch=True, min_region=0, smooth=0, seed=0,
                     weights={"xy": 0, "texture": 0})
    assert [(s["mean_input"], s["std_input"], s["min_input"], s["max_input"])
            for s in result.region_stats()] == [([5.0] * 3, [5.0], [0.0], [10.0]),
                                               ([2545.0] * 3, [5.0], [2540.0], [2550.0])]


def _three_greys_shuffled(alpha=False):
    """4 x 6 grey: 200 | 20 | 120 in pairs of columns (bright, dark, middle); with
    ``alpha``, a fourth pair of columns fully transparent."""
    img = np.array([[200, 200, 20, 20, 120, 120, 60, 60]] * 4, np.uint8)
    if not alpha:
        return img[:, :6]
    return np.dstack([img, img, img, np.where(np.arange(8) >= 6, 0, 255)[None, :]
                      .repeat(4, axis=0).astype(np.uint8)])


_KMEANS_ONLY = {"min_region": 0, "smooth": 0, "seed": 0, "weights": {"xy": 0, "texture": 0}}


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_class_order_lightness_numbers_clusters_from_the_darkest(seed):
    """A CT run's class 1 was the darkest and class 2 the brightest: k-means numbers its
    clusters in no useful order. With class_order="lightness", 0 is the darkest, whatever
    the seed, in the class map, cluster_stats, each region's cluster and centers."""
    options = {**_KMEANS_ONLY, "seed": seed}
    result = segment(_three_greys_shuffled(), 3, class_order="lightness", **options)
    assert result.cluster_map()[0].tolist() == [2, 2, 0, 0, 1, 1]
    assert [c["mean_color"] for c in result.cluster_stats()] == [
        [20.0] * 3, [120.0] * 3, [200.0] * 3]
    assert [r["cluster"] for r in result.region_stats()] == [2, 0, 1]
    found = segment(_three_greys_shuffled(), 3, **options)  # the same regions and centres
    assert np.array_equal(found.labels, result.labels)
    back = {int(c): int(o) for c, o in zip(found.clusters, result.clusters, strict=True)}
    assert np.array_equal(result.centers[[back[c] for c in range(3)]], found.centers)


def test_class_order_lightness_keeps_the_transparent_pixels_cluster_last():
    with pytest.warns(AlphaIgnoredWarning):
        result = segment(_three_greys_shuffled(alpha=True), 3, class_order="lightness",
                         **_KMEANS_ONLY)
    assert result.cluster_map()[0].tolist() == [2, 2, 0, 0, 1, 1, 3, 3]
    assert result.cluster_stats()[3]["transparent"] is True


@pytest.mark.parametrize("kwargs, error, match", [
    ({"class_order": "dark", "n_clusters": 2}, ValueError,
     "class_order='dark' is not valid; expected one of 'kmeans', 'lightness'"),
    ({"class_order": None, "n_clusters": 2}, TypeError, "class_order=None should be a str"),
    ({"class_order": "lightness"}, ValueError,
     "class_order='lightness' applies to k-means clusters only"),
])
def test_class_order_refuses_bad_values(kwargs, error, match):
    with pytest.raises(error, match=match):
        segment(_three_greys_shuffled(), **kwargs)
