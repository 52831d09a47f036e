"""quantize.texture: Lab planes, texture bank layout, region vectors, edge strength, the sample."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from quantize.features import check_weights
from quantize.texture import (
    INTEGRATION_SIGMA,
    box_statistics,
    colour_bins,
    edge_strength,
    lab_planes,
    opposite_difference,
    opposite_histogram_difference,
    region_planes,
    sample_pixels,
    texture_planes,
)

SCALES = (0.7, 1.4, 2.8)


def test_importing_the_module_loads_no_scipy():
    code = "import sys, quantize.texture; print('scipy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "False"


def test_texture_planes_are_standardised_at_full_resolution_for_small_images(rng):
    img = rng.integers(0, 256, (40, 60, 3), dtype=np.uint8)
    planes, factor = texture_planes(img, SCALES, INTEGRATION_SIGMA)
    assert factor == 1
    assert planes.shape == (len(SCALES) + 2, 40, 60) and planes.dtype == np.float32
    np.testing.assert_allclose(planes.reshape(len(planes), -1).mean(axis=1), 0, atol=1e-4)
    np.testing.assert_allclose(planes.reshape(len(planes), -1).std(axis=1), 1, rtol=1e-3)


def test_texture_planes_of_a_wide_image_use_the_working_copy(rng):
    img = rng.integers(0, 256, (30, 2100, 3), dtype=np.uint8)
    planes, factor = texture_planes(img, SCALES, INTEGRATION_SIGMA)
    assert factor == 3  # ceil(2100 / 1024)
    assert planes.shape == (len(SCALES) + 2, 10, 700)


def test_texture_planes_read_the_lightness_given_unless_the_image_is_downscaled(rng):
    img = rng.integers(0, 256, (40, 60, 3), dtype=np.uint8)
    own, _ = texture_planes(img, SCALES, INTEGRATION_SIGMA)
    given, _ = texture_planes(img, SCALES, INTEGRATION_SIGMA, lab_planes(img)[0])
    np.testing.assert_array_equal(given, own)
    other = lab_planes(rng.integers(0, 256, (40, 60, 3), dtype=np.uint8))[0]
    assert not np.array_equal(texture_planes(img, SCALES, INTEGRATION_SIGMA, other)[0], own)
    wide = rng.integers(0, 256, (30, 2100, 3), dtype=np.uint8)  # downscaled: converted again
    np.testing.assert_array_equal(
        texture_planes(wide, SCALES, INTEGRATION_SIGMA, lab_planes(wide)[0] + 50)[0],
        texture_planes(wide, SCALES, INTEGRATION_SIGMA)[0])


def test_texture_planes_of_a_flat_image_are_zero():
    img = np.full((20, 30, 3), 90, dtype=np.uint8)
    planes, _ = texture_planes(img, SCALES, INTEGRATION_SIGMA)
    assert not planes.any()


def test_region_planes_columns_follow_the_weights(rng):
    lab = lab_planes(rng.integers(0, 256, (12, 16, 3), dtype=np.uint8))
    only_colour = region_planes(lab, check_weights({"color": 4, "texture": 0}))
    assert only_colour.shape == (12, 16, 3)
    np.testing.assert_allclose(only_colour, 2 * np.moveaxis(lab, 0, 2), rtol=1e-6)
    everything = region_planes(lab, check_weights({"intensity": 1}))
    assert everything.shape == (12, 16, 3 + 1 + 3)
    # With every weight 0 but xy, the colour is kept at weight 1.
    xy_only = region_planes(lab, check_weights({"color": 0, "texture": 0, "xy": 1}))
    np.testing.assert_array_equal(xy_only, np.moveaxis(lab, 0, 2))


def test_region_planes_reshape_to_contiguous_columns_without_a_copy(rng):
    lab = lab_planes(rng.integers(0, 256, (12, 16, 3), dtype=np.uint8))
    planes = region_planes(lab, check_weights({"intensity": 1}))
    rows = planes.reshape(12 * 16, 7)
    assert np.shares_memory(rows, planes) and rows.flags.f_contiguous
    np.testing.assert_array_equal(rows[:, 3], planes[:, :, 3].ravel())


def test_region_texture_of_a_flat_image_is_zero():
    lab = lab_planes(np.full((10, 10, 3), 200, dtype=np.uint8))
    planes = region_planes(lab, check_weights({"color": 0}))
    assert planes.shape == (10, 10, 3) and not planes.any()


def test_edge_strength_of_a_step_integrates_to_its_height():
    lab = np.zeros((3, 8, 40), dtype=np.float32)
    lab[0, :, 20:] = 10.0  # a step of 10 in L* between columns 19 and 20
    strength = edge_strength(lab, sigma=1.0)
    assert strength.dtype == np.float32
    np.testing.assert_allclose(strength.sum(axis=1), 10.0, rtol=1e-4)
    assert set(np.argmax(strength, axis=1)) <= {19, 20}
    assert not strength[:, :14].any() and not strength[:, 26:].any()


def test_edge_strength_of_a_flat_image_is_zero():
    assert not edge_strength(np.full((3, 5, 6), 50.0, dtype=np.float32)).any()


@pytest.mark.parametrize(("shape", "step"), [((200, 300), 1), ((300, 500), 2)])
def test_sample_pixels_takes_every_step_th_pixel(rng, shape, step):
    planes = rng.random((2, *shape), dtype=np.float32)
    sample = sample_pixels(planes)
    assert sample.dtype == np.float64
    np.testing.assert_array_equal(sample, planes.reshape(2, -1)[:, ::step])


def test_lab_agrees_with_scikit_image(rng):
    from skimage.color import rgb2lab

    img = rng.integers(0, 256, size=(40, 50, 3), dtype=np.uint8)
    ours = lab_planes(img)
    assert ours.dtype == np.float32
    np.testing.assert_allclose(np.moveaxis(ours, 0, 2), rgb2lab(img), atol=0.01)


def test_box_statistics_are_the_box_mean_and_spread_with_reflected_sides():
    lab = np.zeros((3, 2, 3), np.float32)
    lab[0] = [[0, 3, 6], [0, 3, 6]]
    lab[1] = 5.0
    means, spread = box_statistics(lab, 3)
    # Column 0 reflects to 0 | 0 3: mean 1, values {0, 0, 3} (spread sqrt(2)).
    np.testing.assert_allclose(means[0], [[1, 3, 5], [1, 3, 5]], rtol=1e-6)
    np.testing.assert_allclose(means[1], 5.0)
    np.testing.assert_allclose(spread, [[np.sqrt(2), np.sqrt(6), np.sqrt(2)]] * 2, rtol=1e-5)
    assert means.dtype == spread.dtype == np.float32
    assert lab[0].tolist() == [[0, 3, 6], [0, 3, 6]]  # the input is left alone


def test_opposite_difference_takes_the_strongest_of_four_orientations():
    plane = np.arange(49, dtype=np.float32).reshape(1, 7, 7)  # 7 down a row, 1 along
    y, x = np.array([3, 0, 3]), np.array([3, 3, 6])
    # Offset 2 (1 step of each axis on a diagonal): down 2 * 2 * 7 = 28, right 4,
    # diagonals 2 * (7 + 1) = 16 and 2 * (7 - 1) = 12; at row 0 the row above is
    # clipped to row 0 (2 rows apart: 14); at column 6 the right one (2 columns: 2).
    assert opposite_difference(plane, y, x, 2).tolist() == [28.0, 14.0, 28.0]
    # Planes count together: ramps of 3 and 4 along the rows differ by 6 and 8 two
    # columns apart, 10 in all (down, nothing; the diagonals, the same two columns).
    ramps = (np.array([3, 4], np.float32)[:, None, None] * np.arange(7)[None, None, :]
             * np.ones((1, 7, 1), np.float32))
    assert opposite_difference(ramps, y[:1], x[:1], 1).tolist() == [10.0]
    diagonal = np.zeros((1, 9, 9), np.float32)
    diagonal[0][np.add.outer(np.arange(9), np.arange(9)) > 8] = 1.0
    assert opposite_difference(diagonal, np.array([4]), np.array([4]), 3).tolist() == [1.0]


def test_colour_bins_put_each_flat_colour_in_a_bin_of_its_own():
    # Three flat colours: with three bins, one each; with eight, still one per colour.
    img = np.zeros((6, 9, 3), np.uint8)
    img[:, 3:6] = (200, 30, 30)
    img[:, 6:] = (20, 40, 180)
    lab = lab_planes(img)
    for n_bins in (3, 8):
        bins = colour_bins(lab, n_bins)
        assert bins.shape == (6, 9) and bins.min() >= 0 and bins.max() < n_bins
        assert [np.unique(bins[:, c:c + 3]).size for c in (0, 3, 6)] == [1, 1, 1]
        assert len({int(bins[0, c]) for c in (0, 3, 6)}) == 3
    before = lab.copy()
    np.testing.assert_array_equal(colour_bins(lab, 3), colour_bins(lab, 3))
    np.testing.assert_array_equal(lab, before)


def test_opposite_histogram_difference_of_a_split_and_a_mix():
    # Bin 0 in columns 0-2, bin 1 in columns 3-5; radius 2. Column 0: the left box is
    # cut away (no difference), and the other orientations see one bin on both sides;
    # column 2: all 0 against all 1; column 4: half and half against all 1,
    # 0.5 * ((0.5 - 0) ** 2 / 0.5 + (0.5 - 1) ** 2 / 1.5) = 1/3; row 0, column 2: the
    # boxes above are cut away, left and right still differ.
    bins = np.zeros((5, 6), dtype=np.intp)
    bins[:, 3:] = 1
    y, x = np.array([2, 2, 2, 0]), np.array([0, 2, 4, 2])
    d = opposite_histogram_difference(bins, 2, y, x, 2)
    assert d.dtype == np.float32
    np.testing.assert_allclose(d, [0.0, 1.0, 1 / 3, 1.0], rtol=1e-6)
    np.testing.assert_array_equal(opposite_histogram_difference(1 - bins, 2, y, x, 2), d)
    # A diagonal split is seen by a diagonal pair of boxes only.
    lower = (np.arange(9)[:, None] > np.arange(9)[None, :]).astype(np.intp)
    assert opposite_histogram_difference(lower, 2, np.array([4]), np.array([4]), 2)[0] == 1.0


def _boxes_spelled_out(bins, n_bins, y, x, r):
    """opposite_histogram_difference at one pixel, each box cut out by slicing."""
    h, w = bins.shape

    def histogram(r0, r1, c0, c1):
        part = bins[max(r0, 0):max(min(r1, h), 0), max(c0, 0):max(min(c1, w), 0)]
        return np.bincount(part.ravel(), minlength=n_bins).astype(float)

    def chi(a, b):
        if a.sum() == 0 or b.sum() == 0:
            return 0.0
        p, q = a / a.sum(), b / b.sum()
        used = p + q > 0
        return 0.5 * float(((p - q)[used] ** 2 / (p + q)[used]).sum())

    return max(
        chi(histogram(y - r, y + r + 1, x - r, x), histogram(y - r, y + r + 1, x + 1, x + r + 1)),
        chi(histogram(y - r, y, x - r, x + r + 1), histogram(y + 1, y + r + 1, x - r, x + r + 1)),
        chi(histogram(y - r, y, x - r, x), histogram(y + 1, y + r + 1, x + 1, x + r + 1)),
        chi(histogram(y - r, y, x + 1, x + r + 1), histogram(y + 1, y + r + 1, x - r, x)))


def test_opposite_histogram_difference_is_that_of_the_boxes_spelled_out(rng):
    # Random bins on more than 65535 pixels (the integral image's 16-bit counts wrap
    # around, a box's count must not), with a change of mix at row 150; random pixels,
    # the corners and the pixels either side of the change.
    bins = rng.integers(0, 5, size=(300, 260))
    bins[150:] = rng.integers(3, 7, size=(150, 260))
    y = np.r_[rng.integers(0, 300, 40), 0, 299, 0, 299, 149, 150]
    x = np.r_[rng.integers(0, 260, 40), 0, 259, 259, 0, 100, 100]
    got = opposite_histogram_difference(bins, 7, y, x, 6)
    expected = [_boxes_spelled_out(bins, 7, int(i), int(j), 6)
                for i, j in zip(y, x, strict=True)]
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    assert got[-2] > 0.5 and got[-1] > 0.5
