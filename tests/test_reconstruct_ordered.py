"""Ordered (Bayer) dithering: exact patterns on flat tiny images."""

from __future__ import annotations

import numpy as np
import pytest

from quantize.colors import features_of
from quantize.reconstruct.ordered import BAYER_8, _lightest_first, ordered_indices

# The 8 x 8 Bayer matrix as published (ranks 0..63), written out to pin the tiling.
BAYER = np.array([
    [0, 32, 8, 40, 2, 34, 10, 42],
    [48, 16, 56, 24, 50, 18, 58, 26],
    [12, 44, 4, 36, 14, 46, 6, 38],
    [60, 28, 52, 20, 62, 30, 54, 22],
    [3, 35, 11, 43, 1, 33, 9, 41],
    [51, 19, 59, 27, 49, 17, 57, 25],
    [15, 47, 7, 39, 13, 45, 5, 37],
    [63, 31, 55, 23, 61, 29, 53, 21],
])
BLACK_WHITE = np.array([[0, 0, 0], [255, 255, 255]], np.uint8)


def flat(value, h=16, w=16):
    return np.full((h, w, 3), value, np.uint8)


def test_the_matrix_is_bayers():
    assert np.array_equal(BAYER_8, BAYER)


@pytest.mark.parametrize("grey, cells", [(64, 16), (128, 32), (191, 48)])
def test_a_flat_grey_between_two_entries_gives_the_bayer_pattern(grey, cells):
    # the nearest entry is kept where the pixel's share of the other, grey / 255, is at or
    # below the cell's threshold (rank + 0.5) / 64
    out = ordered_indices(flat(grey), BLACK_WHITE)
    share = grey / 255
    nearest, other = (0, 1) if share <= 0.5 else (1, 0)
    mix = share if nearest == 0 else 1 - share
    expected = np.where((BAYER + 0.5) / 64 < mix, other, nearest)
    assert np.array_equal(out, np.tile(expected, (2, 2)))
    assert int((out[:8, :8] == 1).sum()) == cells


def test_a_quarter_grey_takes_white_in_the_cells_ranked_below_16():
    out = ordered_indices(flat(64, 8, 8), BLACK_WHITE)
    assert out.tolist() == (BAYER < 16).astype(int).tolist()


def test_the_pattern_is_fixed_to_the_image_corner():
    """Cropping off the left 3 columns shifts the pattern: it is tied to the position."""
    out = ordered_indices(flat(100, 8, 16), BLACK_WHITE)
    assert np.array_equal(out[:, 8:], out[:, :8])
    assert np.array_equal(ordered_indices(flat(100, 8, 13), BLACK_WHITE), out[:, :13])


@pytest.mark.parametrize("space", ["rgb", "lab"])
def test_flat_areas_in_palette_colours_stay_their_entry(space):
    palette = np.array([[200, 30, 30], [20, 20, 220], [250, 250, 250], [10, 90, 10]],
                       np.uint8)
    image = np.empty((16, 16, 3), np.uint8)
    image[:8, :8], image[:8, 8:], image[8:, :8], image[8:, 8:] = palette
    out = ordered_indices(image, palette, space=space)
    expected = np.zeros((16, 16), int)
    expected[:8, 8:], expected[8:, :8], expected[8:, 8:] = 1, 2, 3
    assert np.array_equal(out, expected)


def test_an_upscaled_sprite_in_palette_colours_keeps_its_blocks():
    rng = np.random.default_rng(3)
    palette = rng.integers(0, 256, (16, 3), dtype=np.uint8)
    sprite = palette[rng.integers(0, 16, (8, 8))]
    big = sprite.repeat(4, axis=0).repeat(4, axis=1)
    out = ordered_indices(big, palette)
    assert np.array_equal(palette[out], big)


def test_one_entry_takes_every_pixel():
    out = ordered_indices(flat(90), BLACK_WHITE[:1])
    assert (out == 0).all()


def test_the_known_nearest_entries_are_kept_as_each_pixels_first():
    # a grey as near both entries: told that white is its nearest, it mixes in black
    out = ordered_indices(flat(64, 8, 8), BLACK_WHITE, nearest_entries=np.ones((8, 8), int))
    assert out.tolist() == np.where((BAYER + 0.5) / 64 < 191 / 255, 0, 1).tolist()


def test_an_opaque_pixel_is_not_mixed_with_a_given_translucent_entry():
    palette = np.array([[0, 0, 0, 255], [255, 255, 255, 255], [96, 96, 96, 128]], np.uint8)
    image = flat(70, 8, 8)
    fitted = ordered_indices(image, palette, alpha=np.full((8, 8), 255, np.uint8))
    given = ordered_indices(image, palette, alpha=np.full((8, 8), 255, np.uint8), keep_opaque=True)
    assert set(np.unique(fitted)) == {0, 2}  # premultiplied, 48 looks nearest after black
    assert set(np.unique(given)) == {0, 1}
    assert int((given == 1).sum()) == int(((BAYER + 0.5) / 64 < 70 / 255).sum())


def test_the_inputs_are_left_unchanged():
    image, palette = flat(64), BLACK_WHITE.copy()
    before = image.copy(), palette.copy()
    ordered_indices(image, palette)
    assert np.array_equal(image, before[0]) and np.array_equal(palette, before[1])


def test_a_given_palette_mixes_a_colour_from_as_many_entries_as_it_needs():
    """Brown (150, 110, 80) onto seven colours: two entries, the nearest and the next,
    mixed to (255, 110, 0); its mixing plan of 64 entries, one for each cell of the
    tile, averages it to a level."""
    palette = np.array([[0, 0, 0], [255, 255, 255], [255, 0, 0], [0, 255, 0], [0, 0, 255],
                        [255, 255, 0], [255, 128, 0]], np.uint8)
    out = ordered_indices(flat((150, 110, 80), 8, 8), palette, given=True)
    assert np.abs(palette[out].reshape(-1, 3).mean(axis=0) - [150, 110, 80]).max() <= 2
    assert np.bincount(out.ravel(), minlength=7).tolist() == [9, 7, 9, 4, 13, 11, 11]


@pytest.mark.parametrize("grey, cells", [(64, 16), (128, 32), (191, 48)])
def test_a_given_two_entry_palette_draws_a_grey_as_a_bayer_pattern_too(grey, cells):
    """White in the cells ranked below ``cells`` (the lightest entry first in a mix)."""
    out = ordered_indices(flat(grey), BLACK_WHITE, given=True)
    assert np.array_equal(out, np.tile(BAYER < cells, (2, 2)))


def test_a_given_palette_mixes_the_opaque_pixels_of_an_image_with_alpha_as_without():
    """The brown's opaque pixels were mixed between two entries once the image had alpha;
    now from its plan of the opaque entries, as without alpha. The transparent pixel is
    left to the mix of two entries (here the transparent one)."""
    palette = np.array([[0, 0, 0], [255, 255, 255], [255, 0, 0], [0, 255, 0], [0, 0, 255],
                        [255, 255, 0], [255, 128, 0]], np.uint8)
    image = flat((150, 110, 80), 8, 8)
    alpha = np.full((8, 8), 255, np.uint8)
    alpha[2, 3] = 0
    with_clear = np.vstack([np.column_stack([palette, np.full(7, 255, np.uint8)]),
                            [[0, 0, 0, 0]]])
    out = ordered_indices(image, with_clear, alpha=alpha, keep_opaque=True, given=True)
    opaque = ordered_indices(image, palette, given=True)
    assert out[2, 3] == 7
    alpha_kept = alpha == 255
    assert np.array_equal(out[alpha_kept], opaque[alpha_kept])


def cube_and_greys():
    """256 entries: a 6 x 6 x 6 cube and 40 greys, the last six replaced by copies of
    earlier entries and entries one level off them, with many entries as light as
    others (equal sums of the levels)."""
    six = np.linspace(0, 255, 6).round()
    cube = np.array(np.meshgrid(six, six, six, indexing="ij")).reshape(3, -1).T
    greys = np.repeat(np.linspace(0, 255, 42).round()[1:-1, None], 3, axis=1)
    palette = np.vstack([cube, greys]).astype(np.uint8)
    palette[250:] = palette[[0, 43, 43, 100, 7, 215]] + np.array(
        [[0, 0, 0], [0, 0, 0], [1, 0, 0], [0, 0, 1], [0, 1, 0], [0, 0, 0]], np.uint8)
    return palette


# The picks of 8 x 8 seeded noise (its top two rows one violet) onto cube_and_greys(),
# given, as the mixing plans have drawn them since they came in: a faster sort of the
# plans must keep them.
PINNED_GIVEN = [[118, 82, 118, 87, 118, 82, 118, 82], [82, 118, 82, 118, 82, 118, 82, 88],
                [79, 104, 178, 123, 56, 66, 47, 139], [117, 22, 116, 106, 52, 201, 20, 15],
                [165, 200, 127, 20, 122, 52, 87, 195], [92, 242, 182, 85, 16, 53, 150, 145],
                [133, 121, 213, 202, 200, 49, 176, 109], [64, 164, 11, 79, 112, 200, 158, 88]]


def pinned_noise():
    rgb = np.random.default_rng(7).integers(0, 256, (8, 8, 3)).astype(np.uint8)
    rgb[:2] = [120, 60, 200]
    return rgb


def test_the_picks_onto_256_entries_with_copies_and_translucent_pixels_are_pinned():
    palette, rgb = cube_and_greys(), pinned_noise()
    assert ordered_indices(rgb, palette, given=True).tolist() == PINNED_GIVEN
    # with alpha: entry 255 transparent and 254 half, pixels of row 6 half, of row 7 clear
    with_alpha = np.column_stack([palette, np.full(256, 255, np.uint8)])
    with_alpha[254:, 3] = [128, 0]
    alpha = np.full((8, 8), 255, np.uint8)
    alpha[6, :4], alpha[7, :2] = 128, 0
    out = ordered_indices(rgb, with_alpha, alpha=alpha, given=True, keep_opaque=True)
    expected = np.array(PINNED_GIVEN)
    expected[6, :4], expected[7, :2] = [91, 254, 240, 242], [255, 255]
    assert out.tolist() == expected.tolist()


@pytest.mark.parametrize("k", [256, 6000])  # keys of 32 bits, and of 64 beyond 5,792 entries
def test_a_plan_is_sorted_lightest_first_as_a_stable_argsort_sorts_it(rng, k):
    """Entries of equal lightness (a third of them share one with another) keep the
    order they were picked in."""
    steps = rng.integers(0, k, (64, 500)).astype(np.int16)
    lightness = rng.integers(0, 2 * k // 3, k).astype(np.float32)
    expected = np.take_along_axis(
        steps.T, np.argsort(-lightness[steps.T], axis=1, kind="stable"), axis=1)
    plans = _lightest_first(steps, lightness)
    assert plans.dtype == steps.dtype and np.array_equal(plans, expected)


PICO8 = np.array([[int(h[i:i + 2], 16) for i in (0, 2, 4)] for h in (
    "000000 1d2b53 7e2553 008751 ab5236 5f574f c2c3c7 fff1e8 ff004d ffa300 ffec27 00e436 "
    "29adff 83769c ff77a8 ffccaa").split()], np.uint8)


def test_a_pattern_draws_a_flat_colour_with_its_two_entries_in_the_matrix_s_proportion():
    """(203, 91, 69) lies near the segment from ab5236 (4) to ff004d (8): its share of
    ff004d is (32, 9, 15) . (84, -82, 23) / |(84, -82, 23)|^2 = 2295 / 14309 = 0.160, so
    ff004d, the lighter, takes the cells of rank r with (r + 1/2) / 64 < 0.160: the 10
    ranked 0..9. The 64-entry mix of a given palette drew it with 7 entries."""
    image = flat((203, 91, 69), 16, 16)
    out = ordered_indices(image, PICO8, pattern=True)
    assert np.array_equal(out, np.tile(np.where(BAYER < 10, 8, 4), (2, 2)))
    assert len(np.unique(ordered_indices(image, PICO8, given=True))) == 7


@pytest.mark.parametrize("space", ["rgb", "lab"])
def test_a_pattern_takes_none_of_a_pixel_s_entries_farther_than_its_third_nearest(space):
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)
    out = ordered_indices(image, PICO8, space=space, pattern=True)
    features = features_of(image.reshape(-1, 3), space).astype(np.float64)
    dist = ((features[:, None] - features_of(PICO8, space)[None]) ** 2).sum(axis=2)
    nearer = (dist < dist[np.arange(256), out.reshape(-1)][:, None]).sum(axis=1)
    assert nearer.max() <= 2
    # in a tile, a flat colour's two entries or a random one's: fewer than the 64-entry mix
    assert len(np.unique(out[:8, :8])) < len(np.unique(ordered_indices(image, PICO8,
                                                                       given=True)[:8, :8]))


@pytest.mark.parametrize("grey, cells", [(64, 16), (128, 32), (191, 48)])
def test_a_pattern_draws_a_grey_between_black_and_white_as_ordered_does(grey, cells):
    out = ordered_indices(flat(grey), BLACK_WHITE, pattern=True)
    assert np.array_equal(out, np.tile(BAYER < cells, (2, 2)))


def test_a_pattern_keeps_an_upscaled_sprite_in_palette_colours():
    rng = np.random.default_rng(3)
    sprite = PICO8[rng.integers(0, 16, (8, 8))]
    big = sprite.repeat(4, axis=0).repeat(4, axis=1)
    assert np.array_equal(PICO8[ordered_indices(big, PICO8, pattern=True)], big)


def test_a_pattern_keeps_opaque_pixels_on_opaque_entries_and_the_transparent_one_clear():
    with_clear = np.vstack([np.column_stack([PICO8, np.full(16, 255, np.uint8)]),
                            [[0, 0, 0, 0]]])
    image = flat((203, 91, 69), 8, 8)
    alpha = np.full((8, 8), 255, np.uint8)
    alpha[2, 3] = 0
    out = ordered_indices(image, with_clear, alpha=alpha, keep_opaque=True, pattern=True)
    assert out[2, 3] == 16
    kept = alpha == 255
    assert np.array_equal(out[kept], ordered_indices(image, PICO8, pattern=True)[kept])


@pytest.mark.parametrize("mode", [{"pattern": True}, {"given": True}])
def test_onto_a_palette_without_an_opaque_entry_every_pixel_is_mixed_between_two(mode):
    # A fit to a soft alpha ramp can leave no entry fully opaque: then no pixel has a
    # plan of opaque entries, and each is mixed between two entries, as without a plan.
    palette = np.array([[0, 0, 0, 0], [250, 250, 250, 254], [90, 40, 20, 200]], np.uint8)
    image = flat((128, 128, 128), 8, 8)
    alpha = np.full((8, 8), 254, np.uint8)
    alpha[0, :4] = 255
    alpha[7, :] = 0
    out = ordered_indices(image, palette, alpha=alpha, keep_opaque=True, **mode)
    assert np.array_equal(out, ordered_indices(image, palette, alpha=alpha, keep_opaque=True))
    assert set(np.unique(out).tolist()) <= {0, 1, 2}
