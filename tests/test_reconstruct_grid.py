"""Grid palettes (RGB332, RGB565, ...): detection, channel-by-channel mapping and dithering."""

from __future__ import annotations

import numpy as np
import pytest

from quantize import reduce_colors
from quantize.colors import features_of
from quantize.reconstruct.grid import grid_nearest, grid_of, grid_ordered
from quantize.reconstruct.ordered import BAYER_8
from quantize.reduce.fit import tie_order

from .cli_support import run_in_process


def levels(n):
    return np.round(np.arange(n) * 255 / (n - 1)).astype(np.uint8)


def grid_palette(nr, ng, nb, seed=None):
    """Every (r, g, b) of ``nr`` x ``ng`` x ``nb`` evenly spread levels, red slowest;
    shuffled with a ``seed``."""
    r, g, b = np.meshgrid(levels(nr), levels(ng), levels(nb), indexing="ij")
    pal = np.stack([r.ravel(), g.ravel(), b.ravel()], axis=1)
    if seed is not None:
        pal = pal[np.random.default_rng(seed).permutation(len(pal))]
    return pal


EGA16 = np.array([[int(h[i:i + 2], 16) for i in (0, 2, 4)] for h in (
    "000000 0000aa 00aa00 00aaaa aa0000 aa00aa aa5500 aaaaaa "
    "555555 5555ff 55ff55 55ffff ff5555 ff55ff ffff55 ffffff").split()], np.uint8)


def general_nearest(colors, pal):
    """Each colour's entry as the search over every entry gives it (ties as tie_order)."""
    from quantize._kernels import nearest
    order = tie_order(pal)
    return order[nearest(features_of(colors, "rgb"), features_of(pal[order], "rgb"))]


@pytest.mark.parametrize("shape", [(8, 8, 4), (5, 6, 5), (2, 2, 2), (4, 4, 4)])
def test_a_grid_is_detected_in_any_order_of_entries(shape):
    pal = grid_palette(*shape, seed=3)
    grid = grid_of(pal)
    assert grid is not None
    assert [lv.tolist() for lv in grid.levels] == [levels(n).tolist() for n in shape]
    # every triple of levels names the entry of that colour
    r, g, b = np.meshgrid(*grid.levels, indexing="ij")
    assert (pal[grid.entry] == np.stack([r, g, b], axis=-1)).all()


def test_rgb565_is_a_grid():
    r, g, b = np.meshgrid(np.arange(32) * 255 // 31, np.arange(64) * 255 // 63,
                          np.arange(32) * 255 // 31, indexing="ij")
    pal = np.stack([r.ravel(), g.ravel(), b.ravel()], axis=1).astype(np.uint8)
    grid = grid_of(pal)
    assert grid is not None and grid.entry.shape == (32, 64, 32)


@pytest.mark.parametrize("case", ["ega16", "missing", "repeated", "translucent", "one level"])
def test_palettes_that_are_no_grid(case):
    pal = grid_palette(8, 8, 4, seed=1)
    if case == "ega16":
        pal = EGA16
    elif case == "missing":
        pal = pal[1:]
    elif case == "repeated":  # as many entries, one colour twice and one missing
        pal = pal.copy()
        pal[5] = pal[6]
    elif case == "translucent":
        pal = np.column_stack([pal, np.full(len(pal), 255, np.uint8)])
        pal[7, 3] = 200
    else:  # every blue 0: a product, but no mix of blue
        pal = grid_palette(4, 4, 2)
        pal[:, 2] = 0
        pal = np.unique(pal, axis=0)
    assert grid_of(pal) is None


def test_an_opaque_rgba_grid_is_a_grid():
    pal = grid_palette(2, 2, 2, seed=0)
    assert grid_of(np.column_stack([pal, np.full(8, 255, np.uint8)])) is not None


@pytest.mark.parametrize("shape", [(8, 8, 4), (2, 2, 2), (3, 5, 7)])
def test_the_nearest_level_per_channel_is_the_general_search_s_entry(shape):
    pal = grid_palette(*shape, seed=7)
    rng = np.random.default_rng(0)
    colors = rng.integers(0, 256, (3000, 3)).astype(np.uint8)
    # and every colour exactly half way between two levels of each channel (ties)
    half = [(lv[:-1].astype(int) + lv[1:]) // 2 for lv in grid_of(pal).levels]
    ties = np.stack(np.meshgrid(*half, indexing="ij"), axis=-1).reshape(-1, 3)
    colors = np.vstack([colors, ties.astype(np.uint8)])
    assert (grid_nearest(colors, grid_of(pal)) == general_nearest(colors, pal)).all()


def test_a_tiny_image_maps_onto_rgb332_as_the_general_search_maps_it():
    pal = grid_palette(8, 8, 4, seed=2)
    image = np.array([[[0, 0, 0], [18, 18, 43], [19, 18, 42]],
                      [[255, 128, 127], [200, 100, 50], [255, 255, 255]]], np.uint8)
    result = reduce_colors(image, palette=pal)
    want = general_nearest(image.reshape(-1, 3), pal).reshape(2, 3)
    assert (result.indices == want).all()
    # 18 is exactly half way from red 0 to 36 (and from green 0 to 36): the lower level
    assert pal[result.indices[0, 1]].tolist() == [0, 0, 85]
    assert pal[result.indices[0, 2]].tolist() == [36, 0, 0]


@pytest.mark.parametrize("name", ["chelsea", "coffee"])
def test_a_photo_maps_onto_grids_as_the_general_search_maps_it(name):
    skimage_data = pytest.importorskip("skimage.data")
    photo = getattr(skimage_data, name)()[::2, ::2]
    for shape in [(8, 8, 4), (4, 4, 4)]:
        pal = grid_palette(*shape, seed=5)
        result = reduce_colors(photo, palette=pal)
        want = general_nearest(photo.reshape(-1, 3), pal).reshape(photo.shape[:2])
        assert (result.indices == want).all()


def test_ordered_dithering_on_a_cube_is_the_hand_computed_pattern():
    # red 64 of 255: 128 * 64 > (2 r + 1) * 255 for ranks r < 16; green 128: r < 32;
    # blue 192: r < 48
    pal = grid_palette(2, 2, 2, seed=11)
    image = np.full((8, 16, 3), [64, 128, 192], np.uint8)
    result = reduce_colors(image, palette=pal, dither="ordered")
    rank = np.tile(BAYER_8, (1, 2))
    want = np.stack([rank < 16, rank < 32, rank < 48], axis=-1) * 255
    assert (pal[result.indices] == want).all()


def test_ordered_dithering_on_a_grid_mixes_adjacent_levels_of_each_channel():
    pal = grid_palette(8, 8, 4, seed=4)  # red and green 0, 36, 73, ...; blue 0, 85, 170, 255
    image = np.full((8, 8, 3), [40, 36, 100], np.uint8)
    drawn = pal[grid_ordered(image, grid_of(pal))]
    rank = BAYER_8
    # red: 4 of 37 above 36, in cells 128 * 4 > (2 r + 1) * 37, r < 6.4; blue: 15 of 85
    want = np.stack([np.where(rank < 7, 73, 36), np.full((8, 8), 36),
                     np.where(rank < 11, 170, 85)], axis=-1)
    assert (drawn == want).all()


@pytest.mark.parametrize("dither", ["ordered", "pattern"])
def test_greys_stay_grey_on_rgb332(dither):
    pal = grid_palette(8, 8, 4, seed=9)
    greys = np.arange(0, 256, 5, dtype=np.uint8)
    # an 8 x 8 tile of each grey, side by side
    image = np.repeat(np.repeat(greys[None, :], 8, axis=0), 8, axis=1)
    image = np.repeat(image[..., None], 3, axis=2)
    drawn = pal[reduce_colors(image, palette=pal, dither=dither).indices].astype(float)
    means = drawn.reshape(8, len(greys), 8, 3).mean(axis=(0, 2))
    # each channel's mean within 1/64 of its step (36.4 red and green, 85 blue) of the grey
    assert np.abs(means - greys[:, None]).max() <= 85 / 64 + 1e-9


def test_the_inputs_are_left_unchanged():
    pal = grid_palette(8, 8, 4, seed=9)
    image = np.random.default_rng(0).integers(0, 256, (9, 11, 3)).astype(np.uint8)
    pal_copy, image_copy = pal.copy(), image.copy()
    reduce_colors(image, palette=pal, dither="ordered")
    assert (pal == pal_copy).all() and (image == image_copy).all()


def test_ordered_dithering_onto_65536_grid_entries_is_allowed():
    pal = grid_palette(32, 64, 32, seed=1)
    image = np.full((8, 8, 3), [10, 20, 30], np.uint8)
    result = reduce_colors(image, palette=pal, dither="ordered")
    assert result.indices.dtype == np.uint16
    assert np.abs(pal[result.indices].mean(axis=(0, 1)) - [10, 20, 30]).max() <= 9 / 64


def test_error_diffusion_onto_more_than_256_grid_entries_is_still_refused():
    pal = grid_palette(8, 8, 8)
    with pytest.raises(ValueError, match=r"^dither=True supports at most 256 colours, got a "
                                         r"palette of 512"):
        reduce_colors(np.zeros((2, 2, 3), np.uint8), palette=pal, dither=True)


def test_ordered_onto_a_non_grid_of_more_than_256_entries_is_still_refused():
    pal = grid_palette(8, 8, 8)[1:]
    with pytest.raises(ValueError, match=r"^dither=ordered supports at most 256 colours, "
                                         r"got a palette of 511"):
        reduce_colors(np.zeros((2, 2, 3), np.uint8), palette=pal, dither="ordered")


def write_hex(path, pal):
    path.write_text("".join(bytes(row.tolist()).hex() + "\n" for row in pal))
    return path


def test_cli_ordered_onto_rgb565_writes_a_tiff_and_refuses_a_png(tmp_path):
    from PIL import Image
    r, g, b = np.meshgrid(np.arange(32) * 255 // 31, np.arange(64) * 255 // 63,
                          np.arange(32) * 255 // 31, indexing="ij")
    pal = np.stack([r.ravel(), g.ravel(), b.ravel()], axis=1).astype(np.uint8)
    hex_file = write_hex(tmp_path / "rgb565.hex", pal)
    src = tmp_path / "in.png"
    Image.fromarray(np.full((8, 8, 3), [100, 150, 200], np.uint8)).save(src)
    ran = run_in_process(["reduce", src, "--palette-in", hex_file, "--dither=ordered",
                          "-o", tmp_path / "out.tif", "-q"])
    assert (ran.returncode, ran.stderr) == (0, "")
    drawn = np.asarray(Image.open(tmp_path / "out.tif").convert("RGB")).astype(float)
    assert np.abs(drawn.mean(axis=(0, 1)) - [100, 150, 200]).max() <= 9 / 64
    ran = run_in_process(["reduce", src, "--palette-in", hex_file, "--dither=ordered",
                          "-o", tmp_path / "out.png", "-q"])
    assert ran.returncode == 2 and "more than a palette image holds" in ran.stderr
    assert not (tmp_path / "out.png").exists()


def test_best_entries_of_rgb565_start_from_a_fit_snapped_to_the_grid():
    skimage_data = pytest.importorskip("skimage.data")
    from quantize.reduce.image import palette_subset
    from quantize.reduce.subset import choose_entries, mapping_error

    photo = skimage_data.chelsea()[::3, ::3]  # 9952 colours; the snapped fit wins by 6 %
    pal = grid_palette(32, 64, 32)
    colors, counts = np.unique(photo.reshape(-1, 3), axis=0, return_counts=True)
    features = features_of(colors, "rgb")
    chosen = palette_subset(photo, None, pal, 16, "rgb")
    order = tie_order(pal)
    searched = order[choose_entries(features, counts, features_of(pal[order], "rgb"), 16)]
    assert chosen.size == 16
    # the snapped fit draws this photo with less error than dropping from every entry taken
    assert (mapping_error(features, counts, features_of(pal[chosen], "rgb"))
            < mapping_error(features, counts, features_of(pal[searched], "rgb")))
    # and each of its entries is a grid colour, the palette's own rows
    assert (reduce_colors(photo, 16, palette=pal).palette == pal[chosen]).all()
