"""The region hierarchy on tiny images: flat shapes on flat backgrounds, exact regions."""

from __future__ import annotations

import numpy as np
import pytest

from quantize import segment
from quantize.segment import _superpixel_step

# Colours of the parts of a shape, by the number each part has in ``_shape``.
_COLOURS = np.array([[20, 20, 20], [230, 230, 230], [200, 40, 40], [40, 60, 200]], np.uint8)


def _shape(name: str, n: int) -> np.ndarray:
    """An (n, n) map of the parts of a flat shape, numbered 1.. in raster order of their
    first pixels, as ``segment`` numbers its regions."""
    yy, xx = np.mgrid[:n, :n]
    if name == "square":  # a third of the side, centred
        side = max(2, n // 3)
        start = (n - side) // 2
        inside = (yy >= start) & (yy < start + side) & (xx >= start) & (xx < start + side)
        return 1 + inside
    if name == "halves":
        return 1 + (xx >= n // 2)
    if name == "quadrants":
        return 1 + 2 * (yy >= n // 2) + (xx >= n // 2)
    if name == "disc":
        centre, radius = (n - 1) / 2, max(1.5, n / 6)
        return 1 + ((yy - centre) ** 2 + (xx - centre) ** 2 <= radius * radius)
    assert name == "line"  # one pixel wide, down the middle: three regions
    return 1 + (xx >= n // 2) + (xx > n // 2)


def _image(parts: np.ndarray, noise: float, seed: int) -> np.ndarray:
    """The shape drawn in ``_COLOURS`` (the line's two sides alike), with seeded noise."""
    colour = np.where(parts == 3, 0, parts - 1) if parts.max() == 3 else parts - 1
    img = _COLOURS[colour].astype(np.float64)
    img += np.random.default_rng(seed).normal(0.0, noise, img.shape)
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def test_a_square_in_the_middle_of_a_12_pixel_image_is_one_region():
    img = np.zeros((12, 12, 3), np.uint8)
    img[4:8, 4:8] = 255
    expected = np.ones((12, 12), np.int32)
    expected[4:8, 4:8] = 2
    np.testing.assert_array_equal(segment(img).labels, expected)
    np.testing.assert_array_equal(segment(img, regions=2).labels, expected)


@pytest.mark.parametrize("cut", ["default", "regions"])
@pytest.mark.parametrize("noise", [0.0, 6.0])
@pytest.mark.parametrize("name", ["square", "halves", "quadrants", "disc", "line"])
@pytest.mark.parametrize("n", [8, 12, 16])
def test_flat_shapes_on_tiny_images_come_out_as_drawn(n, name, noise, cut):
    parts = _shape(name, n)
    img = _image(parts, noise, seed=n)
    result = segment(img, regions=int(parts.max()) if cut == "regions" else None)
    np.testing.assert_array_equal(result.labels, parts)


@pytest.mark.parametrize(("shape", "step"), [
    ((8, 8), 3), ((8, 300), 3), ((12, 12), 4), ((16, 16), 5), ((17, 40), 5),
    ((18, 18), 6), ((100, 100), 6), ((160, 160), 7), ((321, 481), 16), ((12, 3000), 8),
])
def test_superpixel_cells_are_at_most_a_third_of_a_tiny_image(shape, step):
    # Cells of 6 pixels at least, as before, once the shorter side is 18 or more.
    assert _superpixel_step(shape, 600) == step
