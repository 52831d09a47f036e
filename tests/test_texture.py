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
    edge_strength,
    lab_planes,
    opposite_difference,
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
