"""Borders at the image's own size on images segmented on a downscaled working copy."""

import numpy as np
import pytest
from PIL import Image

from quantize import boundary_map, segment
from quantize.reconstruct.refine import refined_labels
from quantize.reconstruct.regions import connected_regions
from quantize.texture import lab_planes

GREY, YELLOW = (40, 40, 40), (255, 220, 0)
# 2100 x 1300: worked on a copy downscaled 3x (700 x 434); the square's sides, rows 301
# and 1000 and columns 601 and 1600 (its first and last), all fall inside boxes of 3.
TOP, BOTTOM, LEFT, RIGHT = 301, 1001, 601, 1601


@pytest.fixture(scope="module")
def square():
    img = np.full((1300, 2100, 3), GREY, np.uint8)
    img[TOP:BOTTOM, LEFT:RIGHT] = YELLOW
    return img


def _square_of(labels):
    inside = labels == labels[(TOP + BOTTOM) // 2, (LEFT + RIGHT) // 2]
    rows, cols = np.flatnonzero(inside.any(axis=1)), np.flatnonzero(inside.any(axis=0))
    return inside, (int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1)


@pytest.fixture(scope="module")
def hierarchy(square):
    return segment(square)


def test_the_hierarchys_square_has_the_images_own_borders(square, hierarchy):
    # It covered rows 300-1002 and columns 600-1602: the boxes its sides cross.
    inside, box = _square_of(hierarchy.labels)
    assert hierarchy.n_regions == 2
    assert box == (TOP, BOTTOM, LEFT, RIGHT)
    assert inside.sum() == (BOTTOM - TOP) * (RIGHT - LEFT)


def test_kmeans_square_has_the_images_own_borders(square):
    labels = segment(square, 2, seed=0).labels
    _, box = _square_of(labels)
    assert box == (TOP, BOTTOM, LEFT, RIGHT)
    middle_row, middle_col = labels[(TOP + BOTTOM) // 2], labels[:, (LEFT + RIGHT) // 2]
    assert np.flatnonzero(np.diff(middle_row)).tolist() == [LEFT - 1, RIGHT - 1]
    assert np.flatnonzero(np.diff(middle_col)).tolist() == [TOP - 1, BOTTOM - 1]


def test_the_open_edge_map_peaks_once_at_each_true_border(square):
    # It peaked at the boxes' sides, and a strip box straddling the edge drew it twice.
    strength = boundary_map(square)
    row, col = strength[(TOP + BOTTOM) // 2], strength[:, (LEFT + RIGHT) // 2]
    assert np.flatnonzero(row > 0.1).tolist() == [LEFT - 1, RIGHT - 1]
    assert np.flatnonzero(col > 0.1).tolist() == [TOP - 1, BOTTOM - 1]
    assert row[LEFT - 1] > 0.8 and col[TOP - 1] > 0.8


def test_the_closed_map_draws_the_segmentations_borders(square, hierarchy):
    closed = boundary_map(square, closed=True)
    np.testing.assert_array_equal(closed >= 0.5, hierarchy.boundaries())


def test_regions_stay_connected_and_numbered_in_raster_order():
    # A photo over 1024 pixels a side: the moved borders leave every region 4-connected,
    # numbered 1..R in raster order of their first pixels.
    from skimage import data

    photo = np.asarray(Image.fromarray(data.astronaut()).resize((1100, 1100), Image.LANCZOS))
    result = segment(photo)
    components, n = connected_regions(result.labels)
    np.testing.assert_array_equal(result.labels, components)
    assert n == result.n_regions == len(result.region_stats())


def test_an_image_of_the_working_size_is_not_refined(monkeypatch, square):
    import sys

    seg = sys.modules["quantize.segment"]
    monkeypatch.setattr(seg, "refined_labels", None)  # any call would fail
    small = square[:1024, 500:756]  # its longest side that of the working copy
    assert segment(small).n_regions == 2
    assert boundary_map(small).shape == (1024, 256)


def _default_speck(work):
    """The smallest superpixel (working pixels) of the default superpixels of ``work``,
    as segment gives it to _full_size_regions."""
    from quantize.segment import SUPERPIXELS, _smallest_superpixel, _superpixel_step

    return _smallest_superpixel(_superpixel_step(work.shape[:2], SUPERPIXELS, True))


def _work(rgb, factor):
    h, w = rgb.shape[:2]
    return np.asarray(Image.fromarray(rgb).reduce(factor)), (h, w)


def test_refined_labels_follow_the_colours_and_leave_no_speck():
    rgb = np.full((6, 6, 3), 40, np.uint8)
    rgb[4:, 4:] = (200, 0, 0)  # box (2, 2)
    rgb[4, 3] = (200, 0, 0)  # beside it, in box (2, 1): joins it
    rgb[2, 2] = (200, 0, 0)  # in box (1, 1), touching no red pixel: stays
    small = np.zeros((3, 3), np.int32)
    small[2, 2] = 1
    work, _ = _work(rgb, 2)
    out = refined_labels(small, lab_planes(work), rgb, 2)
    expected = np.zeros((6, 6), int)
    expected[4:, 4:] = 1
    expected[4, 3] = 1
    np.testing.assert_array_equal(out, expected)
    assert small.tolist() == [[0, 0, 0], [0, 0, 0], [0, 0, 1]]  # not modified


def test_refined_labels_keep_labels_that_colour_cannot_tell_apart():
    # Two labels of one colour: the boxes' sides stay where they were.
    rgb = np.full((6, 9, 3), 90, np.uint8)
    rgb[:, 4:] = 91
    small = np.zeros((2, 3), np.int32)
    small[:, 2] = 1
    work, _ = _work(rgb, 3)
    out = refined_labels(small, lab_planes(work), rgb, 3)
    np.testing.assert_array_equal(out, np.repeat(np.repeat(small, 3, 0), 3, 1))


def test_moved_borders_cut_no_piece_off_a_region(monkeypatch):
    # Borders moved around a thin part of a region cut pieces off it, down to single
    # pixels (a BSDS500 train photo upscaled 8x: 13 regions became 41); each under the
    # smallest superpixel joins a neighbour, and coffee has no larger one, so there are as
    # many regions as on the working copy.
    from skimage import data

    from quantize.reconstruct import regions

    found = []
    connected = regions.connected_regions

    def recording(clusters):
        labels, n = connected(clusters)
        found.append(n)
        return labels, n

    monkeypatch.setattr(regions, "connected_regions", recording)
    photo = np.asarray(Image.fromarray(data.coffee()).resize((1800, 1200), Image.LANCZOS))
    result = segment(photo)
    assert result.n_regions == found[-1]  # the working copy's regions
    areas = np.bincount(result.labels.ravel())[1:]
    assert areas.min() >= 9  # none under a box of 3 x 3


def _dumbbell(right_boxes):
    # Working copy 12 x 20 (factor 2) with region 1 a blob, a neck one box tall that is
    # grey at full size, and a second blob of 2 x right_boxes boxes, yellow at full size.
    small = np.zeros((12, 20), np.int32)
    small[2:10, 2:8] = 1
    small[5, 8:12] = 1
    small[4:6, 12:12 + right_boxes] = 1
    rgb = np.full((24, 40, 3), GREY, np.uint8)
    rgb[4:20, 4:16] = YELLOW
    rgb[8:12, 24:24 + 2 * right_boxes] = YELLOW
    return small, rgb


@pytest.mark.parametrize("right_boxes", [2, 6])
def test_a_piece_the_moved_borders_cut_off_keeps_its_border(right_boxes):
    # The neck goes to the grey around it and cuts the second blob off; at 16 pixels or
    # more (the smallest superpixel on this working copy, 4 working pixels, at full size)
    # it is a region of its own, numbered after the first blob.
    from quantize.segment import _full_size_regions

    small, rgb = _dumbbell(right_boxes)
    work, _ = _work(rgb, 2)
    labels, sums = _full_size_regions(np.array([0, 1]), small, lab_planes(work), rgb, 2, None,
                                      speck=_default_speck(work))
    n = sums.area.size - 1
    expected = np.ones((24, 40), int)
    expected[4:20, 4:16] = 2
    expected[8:12, 24:24 + 2 * right_boxes] = 3
    assert n == 3
    np.testing.assert_array_equal(labels, expected)
    np.testing.assert_array_equal(connected_regions(labels)[0], labels)


def test_with_regions_n_a_cut_off_piece_joins_a_neighbour_to_keep_the_count():
    # regions=N promises N: the second blob, a region of its own by default, joins the grey
    # around it, and each region stays one piece.
    from quantize.segment import _full_size_regions

    small, rgb = _dumbbell(6)
    work, _ = _work(rgb, 2)
    labels, sums = _full_size_regions(np.array([0, 1]), small, lab_planes(work), rgb, 2, None,
                                      exact=True, speck=_default_speck(work))
    n = sums.area.size - 1
    expected = np.ones((24, 40), int)
    expected[4:20, 4:16] = 2
    assert n == 2
    np.testing.assert_array_equal(labels, expected)
    np.testing.assert_array_equal(connected_regions(labels)[0], labels)


def test_a_speck_the_moved_borders_cut_off_joins_a_neighbour():
    # 8 pixels: two boxes, but under the smallest superpixel's 16; it joins the grey.
    from quantize.segment import _full_size_regions

    small, rgb = _dumbbell(1)
    work, _ = _work(rgb, 2)
    labels, sums = _full_size_regions(np.array([0, 1]), small, lab_planes(work), rgb, 2, None,
                                      speck=_default_speck(work))
    n = sums.area.size - 1
    expected = np.ones((24, 40), int)
    expected[4:20, 4:16] = 2
    assert n == 2
    np.testing.assert_array_equal(labels, expected)


def test_a_cut_off_piece_joins_the_neighbour_nearest_in_colour():
    # The second blob, yellow, cut off its region by the moved borders, lies between the
    # grey around it (the largest neighbour, which it joined) and a smaller region of
    # nearly its yellow, which it joins now, as --min-region merges join the nearest.
    from quantize.segment import _full_size_regions

    small, rgb = _dumbbell(2)
    small[3:7, 14:17] = 2
    rgb[6:14, 28:34] = (230, 200, 40)
    work, _ = _work(rgb, 2)
    labels, sums = _full_size_regions(np.array([0, 1, 2]), small, lab_planes(work), rgb, 2,
                                      None, exact=True, speck=_default_speck(work))
    assert sums.area.size - 1 == 3
    assert (labels[8:12, 24:28] == labels[12, 30]).all()
    assert labels[12, 30] != labels[0, 0]
    np.testing.assert_array_equal(connected_regions(labels)[0], labels)
