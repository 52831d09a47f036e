"""The region hierarchy: exact steps, the soft border map, cuts at N regions, nesting."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from quantize import boundary_map, segment
from quantize.reconstruct.regions import find_boundaries
from quantize.segment import _build_hierarchy
from quantize.superpixels import cell_step, connected_superpixels, local_kmeans

QUADRANT_COLORS = [(200, 30, 30), (30, 200, 30), (30, 30, 200), (220, 220, 40)]


def step_image(shape=(40, 64), column=29, left=60, right=180, noise=0.0, rng=None):
    """Two flat halves split after ``column`` (columns 0..column are dark)."""
    img = np.full(shape + (3,), left, dtype=np.float64)
    img[:, column + 1:] = right
    if noise:
        img += rng.normal(0, noise, img.shape)
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def quadrants(rng, shape=(64, 80), noise=6.0):
    h, w = shape
    truth = np.zeros(shape, dtype=np.int32)
    truth[:h // 2, w // 2:] = 1
    truth[h // 2:, :w // 2] = 2
    truth[h // 2:, w // 2:] = 3
    img = np.asarray(QUADRANT_COLORS, dtype=np.float64)[truth]
    img += rng.normal(0, noise, img.shape)
    return np.clip(np.rint(img), 0, 255).astype(np.uint8), truth


@pytest.mark.parametrize("column", [20, 29, 41])
def test_step_edge_lands_on_its_column(rng, column):
    img = step_image(column=column, noise=4.0, rng=rng)
    labels = segment(img, regions=2).labels
    expected = np.where(np.arange(64) <= column, 1, 2)
    np.testing.assert_array_equal(labels, np.broadcast_to(expected, labels.shape))


def test_default_segment_finds_the_quadrants_exactly(rng):
    img, truth = quadrants(rng)
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
    assert (strength[:, 63] == strength.max()).all()


def test_stronger_step_gets_the_stronger_border():
    img = step_image(shape=(40, 96), column=31, left=60, right=100)
    img[:, 64:] = 220  # a second, larger step after column 63
    strength = boundary_map(img)
    assert strength[:, 63].min() > strength[:, 31].max() > 0


def test_soft_map_is_zero_on_a_flat_image():
    assert not boundary_map(np.full((30, 40, 3), 90, np.uint8)).any()


def test_regions_gives_n_regions_when_possible(rng):
    img, _ = quadrants(rng)
    for n in (1, 2, 3, 4, 7, 15):
        assert segment(img, regions=n).n_regions == n
    n_superpixels = _build_hierarchy(img, _weights()).n_leaves
    assert segment(img, regions=10 ** 6).n_regions == n_superpixels


def _weights():
    from quantize.features import check_weights

    return check_weights(None)


def test_coarser_cuts_are_unions_of_finer_ones(rng):
    img = rng.integers(0, 256, (48, 64, 3)).astype(np.uint8)
    img[:, 32:] //= 3
    tree = _build_hierarchy(img, _weights())
    cuts = [tree.cut(n) for n in (30, 12, 5, 2, 1)]
    for fine, coarse in zip(cuts, cuts[1:]):
        # Each fine region maps to exactly one coarse region.
        pairs = np.unique(np.stack([fine, coarse], axis=1), axis=0)
        assert np.unique(pairs[:, 0]).size == pairs.shape[0]


def test_threshold_of_the_map_draws_the_cut_borders(rng):
    img, _ = quadrants(rng)
    strength = boundary_map(img)
    for n in (2, 3, 4):
        labels = segment(img, regions=n).labels
        level = np.sort(np.unique(strength))[::-1][n - 2]  # the (n-1)-th highest border
        np.testing.assert_array_equal(strength >= level, find_boundaries(labels))


def test_heights_never_decrease(rng):
    img, _ = quadrants(rng, noise=20.0)
    heights = _build_hierarchy(img, _weights()).heights
    assert (np.diff(heights) >= 0).all()


def test_caller_array_unchanged(rng):
    img, _ = quadrants(rng)
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
def test_bad_parameters(kwargs, error, match):
    with pytest.raises(error, match=match):
        segment(step_image(), **kwargs)


def test_superpixels_stay_on_one_side_of_a_step(rng):
    img = step_image(shape=(48, 64), column=30, noise=3.0, rng=rng)
    from quantize.features import srgb_to_lab

    lab = srgb_to_lab(img)
    step = cell_step(img.shape[:2], 40)
    labels, n = connected_superpixels(local_kmeans(lab, step, 10.0), lab, 4)
    assert labels.min() == 0 and labels.max() == n - 1
    left, right = set(labels[:, :31].ravel()), set(labels[:, 31:].ravel())
    assert not left & right


def test_import_quantize_loads_no_scipy_or_skimage():
    code = ("import sys, quantize; print(sorted({m.split('.')[0] for m in sys.modules} "
            "& {'scipy', 'skimage'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"
