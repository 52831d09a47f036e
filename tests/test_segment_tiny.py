"""The region hierarchy on tiny images: flat shapes on flat backgrounds, exact regions."""

from __future__ import annotations

import numpy as np
import pytest

from quantize import segment
from quantize.segment import _superpixel_step, default_min_region

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
    assert _superpixel_step(shape, 600, small=True) == step
    assert _superpixel_step(shape, 600, small=False) == max(6, step)


# A rectangle (top, left, height, width) of one colour on another, noisy: the default cut
# split the background into several regions, each superpixel counted as a large share of
# the tiny image (see segment._MIN_COST_AREA).
_NOISY_RECTANGLES = [
    ((11, 6), (1, 3, 5, 3), [107, 177, 95], [217, 47, 39]),
    ((11, 40), (5, 22, 3, 7), [157, 156, 16], [213, 38, 130]),
    ((17, 12), (2, 1, 8, 5), [0, 148, 180], [122, 8, 81]),
    ((12, 14), (1, 0, 2, 6), [236, 111, 128], [141, 248, 254]),
    ((17, 7), (10, 2, 4, 3), [184, 219, 119], [65, 121, 147]),
    ((11, 15), (1, 3, 4, 4), [31, 61, 190], [64, 17, 15]),
    ((8, 9), (0, 5, 3, 3), [55, 93, 77], [48, 30, 223]),
    ((8, 15), (1, 10, 3, 5), [49, 181, 151], [205, 193, 76]),
    ((6, 17), (4, 0, 2, 7), [98, 198, 252], [29, 71, 27]),
]


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize(("shape", "box", "inside", "outside"), _NOISY_RECTANGLES)
def test_a_noisy_rectangle_on_a_tiny_image_is_two_regions(shape, box, inside, outside, seed):
    top, left, height, width = box
    parts = np.ones(shape, np.int32)
    parts[top:top + height, left:left + width] = 2
    img = np.where((parts == 2)[..., None], inside, outside).astype(np.float64)
    img += np.random.default_rng(seed).normal(0.0, 5.0, img.shape)
    img = np.clip(np.rint(img), 0, 255).astype(np.uint8)
    np.testing.assert_array_equal(segment(img).labels, parts)


# K-means (n_clusters, as many as the shape has parts) on shapes drawn with noise: the
# texture statistics are averaged over a window (sigma 12) that spans these images, and
# standardised they told pixels apart by their distance from the sides, not by colour
# (a 16 x 16 square came out cut across it, a 24 x 24 disc as 3 regions).
@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize(("n", "name"), [
    (16, "square"), (16, "line"), (24, "square"), (24, "disc"), (24, "line"), (32, "line"),
])
def test_k_means_tells_noisy_shapes_on_small_images_by_colour(n, name, seed):
    parts = _shape(name, n)
    img = _image(parts, 6.0, seed=n)
    np.testing.assert_array_equal(segment(img, int(parts.max()), seed=seed).labels, parts)


# The default smallest region was 16 pixels at least, a quarter of an 8 x 8 image: a
# 2 x 2 square, a small disc or a 1-pixel line on 8 x 8 or 12 x 12 pixels was merged into
# its background. Now 1/625 of an image under 100 x 100 pixels, 4 at least.
@pytest.mark.parametrize("noise", [0.0, 6.0])
@pytest.mark.parametrize("name", ["square", "disc", "line"])
@pytest.mark.parametrize("n", [8, 12])
def test_k_means_keeps_small_shapes_on_tiny_images(n, name, noise):
    parts = _shape(name, n)
    img = _image(parts, noise, seed=n)
    result = segment(img, int(parts.max()), seed=0)
    assert result.min_region == 4
    np.testing.assert_array_equal(result.labels, parts)


@pytest.mark.parametrize("noise", [0.0, 6.0])
@pytest.mark.parametrize("name", ["square", "halves", "quadrants", "disc", "line"])
@pytest.mark.parametrize("n", [16, 32, 48])
def test_k_means_finds_flat_shapes_on_small_images_as_drawn(n, name, noise):
    parts = _shape(name, n)
    img = _image(parts, noise, seed=n)
    np.testing.assert_array_equal(segment(img, int(parts.max()), seed=0).labels, parts)


@pytest.mark.parametrize(("shape", "expected"), [
    ((8, 8), 4), ((1, 2), 4), ((12, 12), 4), ((50, 50), 4), ((64, 64), 6), ((99, 100), 15),
    ((100, 100), 16), ((126, 126), 16), ((512, 512), 262), ((3000, 4000), 12000),
])
def test_the_default_min_region_follows_a_small_image_down_to_4_pixels(shape, expected):
    assert default_min_region(*shape) == expected


# Two flat halves of 16-bit counts 1000 and 3000 (a microscopy TIFF's, say) come out 4 and
# 12 of 255 when read as counts of 65535: too close to tell apart, one region; stretched from
# their own range, 0 and 255, two.
_DARK_HALVES = np.repeat(np.array([[1000, 3000]], np.uint16), 6, axis=0).repeat(4, axis=1)
_DARK_LINE = ("image: uint16 values 1000..3000 of 65535 come out 4..12 of 255: counts closer "
              "than 257 apart become one level; give stretch=True to map the image's own "
              "range onto 0..255 before segmenting")


@pytest.mark.parametrize("n_clusters", [None, 2])
def test_16_bit_halves_are_one_region_said_dark_and_two_stretched(n_clusters):
    from quantize.io import PixelRangeWarning

    with pytest.warns(PixelRangeWarning) as caught:
        one = segment(_DARK_HALVES, n_clusters, seed=0)
    assert [str(w.message) for w in caught if w.category is PixelRangeWarning] == [_DARK_LINE]
    assert one.labels.tolist() == [[1] * 8] * 6
    two = segment(_DARK_HALVES, n_clusters, seed=0, stretch=True)
    assert two.labels.tolist() == [[1, 1, 1, 1, 2, 2, 2, 2]] * 6
    assert [r["mean_color"] for r in two.region_stats()] == [[0.0] * 3, [255.0] * 3]


def test_k_means_calls_a_dark_image_dark_not_plain():
    """The warning told the user of a plain image or a gradient, and to cluster by position
    alone (-w color=0): no help for an image whose levels are merely squashed."""
    from quantize.pixel_kmeans import ClusterCountWarning

    with pytest.warns(ClusterCountWarning) as caught:
        segment(_DARK_HALVES, 2, seed=0)
    assert [str(w.message) for w in caught if w.category is ClusterCountWarning] == [
        "n_clusters=2 but no border between the 2 clusters k-means found shows a change in "
        "colour or texture, so they are united into 1 cluster: the image is dark, its levels "
        "4..12 of 255, too close to tell apart; give stretch=True to map the image's own "
        "range onto 0..255 before segmenting"]


def test_stretch_leaves_an_8_bit_photo_s_full_range_as_it_is():
    """An image that spans 0..255 already segments alike with and without stretch."""
    rng = np.random.default_rng(0)
    image = np.zeros((16, 24, 3), np.uint8)
    image[:, 12:] = [255, 40, 0]
    image[0, 0] = 0
    noisy = np.clip(image + rng.integers(0, 20, image.shape), 0, 255).astype(np.uint8)
    noisy[0, 0], noisy[0, -1] = [0, 0, 0], [255, 255, 255]
    np.testing.assert_array_equal(segment(noisy, stretch=True).labels, segment(noisy).labels)
