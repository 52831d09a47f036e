"""quantize.reduce.image: reduce_colors, known answers, invariants, options, quality, alpha."""

from __future__ import annotations

import io
import math
import warnings
from dataclasses import replace
from pathlib import PurePosixPath

import numpy as np
import pytest
from PIL import Image

from quantize import colors as colors_module
from quantize import reduce_colors
from quantize._validation import check_palette
from quantize.colors import color_histogram, pack_rgb, srgb_to_lab
from quantize.errors import PaletteInWarning, QualityError
from quantize.metrics import delta_e
from quantize.reduce import AlphaLossWarning, ColorCountWarning, fit_palette
from quantize.reduce.image import reduce_checked
from quantize.reduce.options import check_options

from .memory_support import peak_bytes

FOUR = np.array([[230, 30, 40], [20, 160, 60], [30, 40, 200], [250, 240, 230]], np.uint8)


def four_colour_image(shape=(12, 16)) -> np.ndarray:
    """Quadrants of four colours, with unequal areas so the palette order is known."""
    h, w = shape
    image = np.empty((h, w, 3), np.uint8)
    image[: h // 2, : w * 3 // 4] = FOUR[0]   # 72 pixels
    image[: h // 2, w * 3 // 4:] = FOUR[1]    # 24
    image[h // 2:, : w // 2] = FOUR[2]        # 48
    image[h // 2:, w // 2:] = FOUR[3]         # 48
    return image


def quadrant_labels(shape=(12, 16)) -> np.ndarray:
    h, w = shape
    labels = np.empty((h, w), int)
    labels[: h // 2, : w * 3 // 4] = 0
    labels[: h // 2, w * 3 // 4:] = 1
    labels[h // 2:, : w // 2] = 2
    labels[h // 2:, w // 2:] = 3
    return labels


def same_partition(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two label maps are equal up to renumbering."""
    pairs = set(zip(a.ravel().tolist(), b.ravel().tolist(), strict=True))
    return len(pairs) == len(np.unique(a)) == len(np.unique(b))


def noisy(image: np.ndarray, rng: np.random.Generator, sigma: float = 4.0) -> np.ndarray:
    noise = rng.normal(0, sigma, image.shape)
    return np.clip(np.rint(image + noise), 0, 255).astype(np.uint8)


# --------------------------------------------------------------------------
# Known answers
# --------------------------------------------------------------------------


@pytest.mark.parametrize("space", ["rgb", "lab"])
@pytest.mark.parametrize("exact_colors", [False, True])
def test_four_colours_at_k4_are_returned_exactly_and_losslessly(space, exact_colors):
    image = four_colour_image()
    result = reduce_colors(image, 4, space=space, exact_colors=exact_colors, seed=0)
    # Ordered by pixel share: 72, then the two 48s by lightness (blue darker), then 24.
    assert result.palette.tolist() == FOUR[[0, 2, 3, 1]].tolist()
    assert np.array_equal(result.to_rgb(), image)
    assert result.psnr == np.inf and result.delta_e == 0.0
    assert result.shares.tolist() == pytest.approx([72 / 192, 48 / 192, 48 / 192, 24 / 192])
    assert result.transparent_index is None and result.indices.dtype == np.uint8


def test_noisy_quadrants_are_recovered_up_to_renumbering(rng):
    image = noisy(four_colour_image((40, 48)), rng)
    result = reduce_colors(image, 4, seed=1)
    assert same_partition(result.indices, quadrant_labels((40, 48)))
    for entry in range(4):
        members = image[result.indices == entry].astype(float)
        assert np.abs(result.palette[entry] - members.mean(axis=0)).max() <= 0.5 + 1e-9


def test_more_colours_than_the_image_has_returns_them_with_a_warning():
    image = four_colour_image()
    with pytest.warns(ColorCountWarning, match=r"n_colors=10 .* only 4 distinct") as record:
        result = reduce_colors(image, 10, seed=0)
    assert record[0].filename == __file__  # stacklevel points at the caller
    assert sorted(map(tuple, result.palette.tolist())) == sorted(map(tuple, FOUR.tolist()))
    assert np.array_equal(result.to_rgb(), image)


def test_palette_entries_are_means_of_their_pixels_and_pixels_go_to_the_nearest(rng):
    image = rng.integers(0, 256, (30, 30, 3), dtype=np.uint8)
    result = reduce_colors(image, 8, seed=2)
    flat = image.reshape(-1, 3).astype(float)
    d = ((flat[:, None, :] - result.palette[None].astype(float)) ** 2).sum(axis=2)
    chosen = d[np.arange(len(flat)), result.indices.ravel()]
    assert np.allclose(chosen, d.min(axis=1))
    for entry in range(result.k):
        members = flat[result.indices.ravel() == entry]
        assert np.abs(members.mean(axis=0) - result.palette[entry]).max() <= 1.0


def test_palette_is_ordered_by_share_then_lightness(rng):
    result = reduce_colors(rng.integers(0, 256, (40, 40, 3), dtype=np.uint8), 6, seed=0)
    assert np.all(np.diff(result.shares) <= 0)
    assert result.shares.sum() == pytest.approx(1.0)


def test_a_palette_with_alpha_is_ordered_by_the_shares_it_draws(rng):
    """With alpha, faint colours may be drawn with the transparent entry: the order
    follows the final shares, and the transparent entry stays last."""
    rgba = rng.integers(0, 256, (40, 40, 4), dtype=np.uint8)
    result = reduce_colors(rgba, 12, seed=0)
    assert result.alpha is not None and result.transparent_index == result.k
    assert np.all(np.diff(result.shares) <= 0)
    drawn = np.bincount(result.indices.ravel(), minlength=result.k + 1)
    visible = np.count_nonzero(rgba[..., 3])  # shares are of the visible pixels
    assert np.allclose(result.shares, drawn[:result.k] / visible)


def test_a_dithered_palette_is_ordered_by_the_shares_it_draws():
    """The entries were ordered by the undithered mapping's shares, so after error
    diffusion moved pixels between entries they were no longer most used first."""
    ramp = np.linspace(0, 1, 97)[None, :, None] * np.ones((20, 1, 3))
    ramp[..., 1] **= 2
    plain = reduce_colors(ramp, 6, seed=0)
    result = reduce_colors(ramp, 6, dither=True, seed=0)
    assert np.all(np.diff(result.shares) <= 0)
    assert np.allclose(result.shares, np.bincount(result.indices.ravel()) / ramp[..., 0].size)
    assert result.k == plain.k


def test_dithering_spreads_the_palette_to_reach_the_outermost_colours():
    """A grey ramp of 0..255 at 4 colours: the undithered entries are their clusters'
    means, so dithering could draw nothing darker than the first or lighter than the
    last; dithered, the inner entries move outwards by a share of their distance from the
    mean, and the outer ones to their cluster's expectile."""
    ramp = np.repeat(np.arange(256, dtype=np.uint8), 3).reshape(1, 256, 3).repeat(4, axis=0)
    # The ramp has splits into 4 of equal inertia (at seed 0 the fit keeps one of them,
    # [31, 94.5, 159, 223.5]); at seed 5 it ends in the split into four 64 levels.
    plain = reduce_colors(ramp, 4, seed=5)
    dithered = reduce_colors(ramp, 4, dither=True, seed=5)
    half = reduce_colors(ramp, 4, dither=0.5, seed=5)
    levels = [sorted(r.palette[:, 0].tolist()) for r in (plain, half, dithered)]
    assert levels[0] == [32, 96, 160, 224]
    # The inner entries, near the mean (127.5), move 8 % of their distance from it (2.5
    # and 2.6 levels). The outer ones minimise the squared offsets of the 64 levels of
    # their cluster beyond them plus 0.05 times those short of them: moved 4.6 levels (a
    # quarter of the cluster's radius, to 229) they left 26 of those 64 levels beyond
    # them, now 11 (levels 0 and 255 mirror each other).
    grid = np.linspace(192, 255, 63001)
    off = np.arange(192, 256)[None, :] - grid[:, None]
    loss = (np.maximum(off, 0) ** 2 + 0.05 * np.minimum(off, 0) ** 2).sum(axis=1)
    light = grid[loss.argmin()]  # 243.8
    dark = 255 - light
    assert levels[2] == [round(dark), 93, 163, round(light)] == [11, 93, 163, 244]
    # Half the strength, half the move.
    assert levels[1] == [round((32 + dark) / 2), 95, 161, round((224 + light) / 2)]
    assert reduce_colors(ramp, 4, dither=0.0, seed=5).palette.tolist() == plain.palette.tolist()


def test_dithering_reaches_the_lightest_colours_of_a_photo():
    """skimage's camera at 8 colours: dithered, its lightest entry was 216, 2 levels
    above the undithered 214, and 3.1 % of the pixels (the sky's lightest) were lighter,
    out of reach; pngquant's is 239. Now it moves to its cluster's expectile."""
    from skimage import data

    camera = data.camera()
    plain = reduce_colors(camera, 8, seed=0)
    dithered = reduce_colors(camera, 8, dither=True, seed=0)
    assert plain.palette.max() == 214
    assert dithered.palette.max() == 231
    assert np.mean(camera > dithered.palette.max()) < 0.01
    inner = sorted(dithered.palette[:, 0].tolist())[1:-1]  # spread as before
    assert inner == [27, 60, 115, 146, 166, 199]


def test_dithering_leaves_the_entry_of_a_flat_area_where_it_is():
    """Half the image one colour, half a ramp: the flat colour's entry is exact (a cluster
    of radius 0) and stays exact, so the flat half is drawn with it alone."""
    img = np.zeros((8, 64, 3), np.uint8)
    img[:4] = (200, 40, 90)
    img[4:] = np.linspace(0, 255, 64).astype(np.uint8)[:, None]
    result = reduce_colors(img, 5, dither=True, seed=0)
    flat = result.palette[result.indices[:4]]
    assert np.all(flat == (200, 40, 90))


def test_dithering_keeps_an_outermost_entry_on_its_flat_background():
    """A dark page (96 % of its cluster one grey, 40) with a few darker specks (34): the
    darkest entry is outermost, and reaching for the specks took it to 38, leaving the
    whole background to be dithered between two entries (a screenshot's k = 16: 2.16x
    pngquant's bytes). An outermost cluster mostly of one colour keeps its entry there."""
    rng = np.random.default_rng(0)
    grey = np.full((60, 80), 40, np.uint8)
    grey[:, 60:] = np.linspace(110, 220, 20).astype(np.uint8)[None, :]
    grey[rng.random(grey.shape) < 0.02] = 34
    grey[:5, :60] = 250
    rgb = np.repeat(grey[..., None], 3, axis=2)
    assert sorted(reduce_colors(rgb, 4, seed=0).palette[:, 0].tolist())[0] == 40
    dithered = reduce_colors(rgb, 4, dither=True, seed=0)
    assert sorted(dithered.palette[:, 0].tolist())[0] == 40
    background = grey == 40
    assert np.all(dithered.palette[dithered.indices][background] == 40)


def test_pixel_art_blocks_in_an_entrys_colour_take_no_other_entry_when_dithered():
    """Blocks of six colours at k = 4: black and white, each a cluster of its own, keep
    their exact entries and take no dot of another, beside blocks of the four others,
    which share two entries and are dithered between them."""
    colors = np.array([[0, 0, 0], [255, 255, 255], [200, 40, 40], [150, 90, 40],
                       [40, 60, 200], [60, 110, 150]], np.uint8)
    blocks = np.array([[0, 2, 3, 1], [4, 0, 1, 5], [2, 5, 3, 4], [1, 3, 0, 2]])
    which = blocks.repeat(6, axis=0).repeat(6, axis=1)
    result = reduce_colors(colors[which], 4, dither=True, seed=0)
    drawn = result.palette[result.indices]
    assert (drawn[which == 0] == 0).all() and (drawn[which == 1] == 255).all()
    assert len(np.unique(result.indices[which == 5])) == 2


def test_dithering_does_not_spread_exact_colors():
    ramp = np.repeat(np.arange(0, 256, 4, dtype=np.uint8), 3).reshape(1, 64, 3).repeat(4, 0)
    result = reduce_colors(ramp, 4, dither=True, exact_colors=True, seed=0)
    assert set(result.palette[:, 0].tolist()) <= set(range(0, 256, 4))


# --------------------------------------------------------------------------
# Invariants
# --------------------------------------------------------------------------


def test_callers_arrays_are_unchanged(rng):
    image = rng.integers(0, 256, (20, 20, 4), dtype=np.uint8)
    image[:5, :, 3] = 0
    palette = FOUR.copy()
    before, palette_before = image.copy(), palette.copy()
    reduce_colors(image, 5, seed=0)
    with pytest.warns(AlphaLossWarning):  # FOUR has no alpha
        reduce_colors(image, palette=palette, dither=True)
    assert np.array_equal(image, before) and np.array_equal(palette, palette_before)


@pytest.mark.parametrize("convert", [
    lambda a: a.astype(np.float64) / 255.0,
    lambda a: a.astype(np.float32) / 255.0,
    lambda a: a.astype(np.uint16) * 257,
    Image.fromarray,
], ids=["float64", "float32", "uint16", "PIL"])
def test_other_input_types_agree_with_uint8(rng, convert):
    image = noisy(four_colour_image(), rng, sigma=10)
    expected = reduce_colors(image, 5, seed=3)
    got = reduce_colors(convert(image), 5, seed=3)
    assert np.array_equal(got.palette, expected.palette)
    assert np.array_equal(got.indices, expected.indices)


def test_same_seed_same_result_and_histogram_fit_matches(rng):
    image = rng.integers(0, 256, (25, 25, 3), dtype=np.uint8)
    a, b = reduce_colors(image, 7, seed=5), reduce_colors(image, 7, seed=5)
    assert np.array_equal(a.palette, b.palette) and np.array_equal(a.indices, b.indices)
    colors, counts = color_histogram(image)
    assert np.array_equal(fit_palette(colors, counts, 7, seed=5), a.palette)


def test_large_images_go_through_the_cell_summary_and_stay_exact(rng):
    # More distinct colours than _DIRECT_FIT_MAX, so the fit runs on the cell summary.
    image = rng.integers(0, 256, (200, 200, 3), dtype=np.uint8)
    result = reduce_colors(image, 12, seed=0)
    flat = image.reshape(-1, 3).astype(np.float32)
    d = ((flat[:, None, :] - result.palette[None].astype(np.float32)) ** 2).sum(axis=2)
    assert np.allclose(d[np.arange(len(flat)), result.indices.ravel()], d.min(axis=1))
    assert result.k == 12


# --------------------------------------------------------------------------
# Options
# --------------------------------------------------------------------------


def test_transparent_pixels_get_their_own_entry_and_steal_no_colour():
    rgba = np.zeros((12, 16, 4), np.uint8)
    rgba[..., :3] = four_colour_image()
    rgba[..., 3] = 255
    rgba[:3, :3] = [255, 0, 255, 0]  # transparent magenta: must not become a colour
    result = reduce_colors(rgba, 4, seed=0)
    assert result.k == 4 and result.transparent_index == 4
    assert [255, 0, 255] not in result.palette.tolist()
    assert np.all(result.indices[:3, :3] == 4)
    assert np.all(result.indices[3:] < 4)
    image = result.to_image()
    assert image.mode == "P" and image.info["transparency"] == 0  # the one transparent entry
    assert np.all(np.asarray(image)[:3, :3] == 0)
    assert result.transparency() == bytes([255] * 4 + [0])
    assert result.alpha.tolist() == [255] * 4


def test_one_colour_is_the_weighted_mean_in_a_one_entry_palette():
    """n_colors=1 was refused ("should be >= 2"), where fit_palette, segment(img, 1),
    MiniBatchKMeans(1) and Pillow's quantize(1) take it."""
    image = four_colour_image()
    result = reduce_colors(image, 1, seed=0)
    mean = np.rint(image.reshape(-1, 3).mean(axis=0)).astype(int)
    assert result.palette.tolist() == [mean.tolist()]
    assert result.indices.tolist() == np.zeros(image.shape[:2], int).tolist()
    assert result.shares.tolist() == [1.0]
    opaque_only = result.to_image()
    assert (opaque_only.mode, len(opaque_only.getpalette()) // 3) == ("P", 1)
    assert result.to_image(gif=True).mode == "P"


def test_fully_transparent_image_gives_an_empty_palette_and_says_so():
    rgba = np.zeros((4, 4, 4), np.uint8)
    with pytest.warns(ColorCountWarning) as record:
        result = reduce_colors(rgba, 4, seed=0)
    assert [str(w.message) for w in record] == [
        "n_colors=4 but the image has no visible colour (every pixel is fully transparent); "
        "returning the transparent entry alone"]
    assert result.k == 0 and result.transparent_index == 0
    assert np.all(result.indices == 0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a quality target met with no colour needs no word
        assert reduce_colors(rgba, quality=2.0, seed=0).k == 0


def test_exact_colors_are_colours_of_the_image(rng):
    image = rng.integers(0, 256, (30, 30, 3), dtype=np.uint8)
    result = reduce_colors(image, 9, exact_colors=True, seed=0)
    present = set(map(tuple, image.reshape(-1, 3).tolist()))
    assert all(tuple(c) in present for c in result.palette.tolist())


def test_lab_space_matches_pixels_to_the_nearest_entry_in_lab(rng):
    image = rng.integers(0, 256, (20, 20, 3), dtype=np.uint8)
    result = reduce_colors(image, 6, space="lab", seed=0)
    lab = srgb_to_lab(image.reshape(-1, 3)).astype(float)
    pal = srgb_to_lab(result.palette).astype(float)
    d = ((lab[:, None] - pal[None]) ** 2).sum(axis=2)
    assert np.allclose(d[np.arange(len(lab)), result.indices.ravel()], d.min(axis=1),
                       atol=1e-3)


def test_an_opaque_image_mapped_onto_a_palette_with_alpha_stays_opaque(rng):
    """The colours are used, not their alpha; an image with alpha uses both."""
    image = rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)
    palette = np.array([[250, 250, 250, 40], [0, 0, 0, 255], [255, 0, 0, 200]], np.uint8)
    result = reduce_colors(image, palette=palette)
    assert result.alpha is None and result.transparent_index is None
    assert np.array_equal(result.indices, reduce_colors(image, palette=palette[:, :3]).indices)
    with_alpha = reduce_colors(np.dstack([image, np.full((16, 16), 40, np.uint8)]),
                               palette=palette)
    assert with_alpha.alpha.tolist() == [40, 255, 200]


def test_a_palette_repeating_a_colour_says_so_once_and_keeps_it_once():
    # Repeats were left out and the later entries renumbered without a word.
    image = np.zeros((2, 2, 3), np.uint8)
    image[1] = 255
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        result = reduce_colors(image, palette=[[0, 0, 0], [0, 0, 0], [255, 255, 255]])
    assert result.palette.tolist() == [[0, 0, 0], [255, 255, 255]]
    assert result.indices.tolist() == [[0, 0], [1, 1]]
    assert [(w.category, str(w.message), w.filename) for w in said] == [(
        PaletteInWarning, "palette repeats colours: index 1 (#000000) as index 0; each colour "
        "is kept once, so its 3 entries give 2 colours, and those after index 1 take lower "
        "indices", __file__)]


@pytest.mark.parametrize("rgba", [False, True])
def test_a_second_fully_transparent_entry_is_said_as_a_repeated_colour(rgba):
    # The second 00000000 was left out without a word, and the colours after it took
    # an index one lower than the palette gives them.
    image = np.zeros((1, 4, 4), np.uint8)
    image[0, :, :3] = [[200, 30, 30], [20, 20, 220], [0, 255, 0], [0, 0, 0]]
    image[0, :, 3] = [255, 255, 255, 0 if rgba else 255]
    palette = [[200, 30, 30, 255], [0, 0, 0, 0], [20, 20, 220, 255], [9, 9, 9, 0],
               [0, 255, 0, 255]]
    with pytest.warns(PaletteInWarning) as said:
        result = reduce_colors(image if rgba else image[..., :3], palette=palette)
    assert [str(w.message) for w in said] == [
        "palette repeats colours: index 3 (#09090900) as index 1; each colour is kept once, "
        "so its 5 entries give 3 colours and one fully transparent entry, and those after "
        "index 3 take lower indices"]
    image_out = result.to_image()
    assert np.asarray(image_out).tolist() == ([[0, 2, 3, 1]] if rgba else [[0, 1, 2, 0]])


@pytest.mark.parametrize("palette", [
    [[0, 0, 0], [255, 255, 255], [0, 0, 0]],  # a tail of repeats moves no index
    [[0, 0, 0, 255], [0, 0, 0, 128], [255, 255, 255, 255]],  # alpha differs: two entries
    [[9, 9, 9, 0], [0, 0, 0, 255], [255, 255, 255, 255], [9, 9, 9, 0]],  # transparent ones
])
def test_a_palette_whose_repeats_move_no_index_maps_without_a_word(palette):
    image = np.zeros((2, 2, 3), np.uint8)
    image[1] = 255
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = reduce_colors(image, palette=palette)
    assert result.to_rgb().tolist() == image.tolist()


def test_given_palette_keeps_its_order_and_maps_to_nearest(rng):
    image = rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)
    palette = np.array([[255, 255, 255], [0, 0, 0], [255, 0, 0]], np.uint8)
    result = reduce_colors(image, palette=palette)
    assert result.palette.tolist() == palette.tolist()
    d = ((image.reshape(-1, 1, 3).astype(int) - palette[None].astype(int)) ** 2).sum(axis=2)
    assert np.array_equal(d[np.arange(d.shape[0]), result.indices.ravel()], d.min(axis=1))


def test_pillows_forms_of_a_palette_map_as_the_k_by_3_array(rng):
    """image.getpalette()'s flat list and a mode "P" image were refused ("got (24,)",
    "got (38, 57)": the image's pixels read as a palette)."""
    image = rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)
    quantized = Image.fromarray(image).quantize(5)
    flat = quantized.getpalette()
    as_rows = np.reshape(flat, (-1, 3))
    assert as_rows.shape == (5, 3)  # the entries it has, not 256
    expected = reduce_colors(image, palette=as_rows)
    for given in (flat, np.array(flat, np.uint8), quantized, quantized.palette):
        result = reduce_colors(image, palette=given)
        assert result.palette.tolist() == as_rows.tolist()
        assert np.array_equal(result.indices, expected.indices)
    assert quantized.getpalette() == flat  # the image is left as it was


def test_an_image_palette_is_taken_as_its_entries_or_refused_saying_what_to_pass(rng):
    """A Pillow ImagePalette (image.palette) was refused "... got ()"."""
    image = rng.integers(0, 256, (8, 8, 4), dtype=np.uint8)
    rgba = Image.new("P", (1, 1))
    rgba.putpalette([200, 0, 0, 255, 0, 0, 200, 128], "RGBA")
    assert check_palette(rgba.palette, pillow_forms=True).tolist() == [
        [200, 0, 0, 255], [0, 0, 200, 128]]
    result, expected = (reduce_colors(image, palette=given) for given in (rgba.palette, rgba))
    assert result.palette.tolist() == expected.palette.tolist()
    assert np.array_equal(result.indices, expected.indices)
    data = io.BytesIO()
    Image.fromarray(image).quantize(4).save(data, "BMP")
    with Image.open(data) as bmp:  # its palette still in the file's order, BGRX
        with pytest.raises(TypeError, match=r"^palette is a PIL ImagePalette \(raw 'BGRX'\) "
                           r"that cannot be read as colours; pass the mode 'P' image itself, "
                           r"or np\.reshape\(image\.getpalette\(\), \(-1, 3\)\)$"):
            reduce_colors(image, palette=bmp.palette)


@pytest.mark.filterwarnings("ignore::quantize.reduce.AlphaLossWarning")  # index 1: no 128
@pytest.mark.parametrize("transparency", [1, b"\xff\x00\x80", "rgba"])
def test_a_palette_images_alpha_comes_with_its_palette(transparency):
    entries = [[200, 0, 0], [0, 200, 0], [0, 0, 200]]
    image = Image.new("P", (2, 2))
    if transparency == "rgba":
        image.putpalette([v for rgb, a in zip(entries, (255, 0, 128), strict=True)
                          for v in (*rgb, a)],
                         "RGBA")
    else:
        image.putpalette([v for rgb in entries for v in rgb])
        image.info["transparency"] = transparency
    alphas = [255, 0, 255] if transparency == 1 else [255, 0, 128]
    opaque_red = np.full((2, 2, 4), [200, 0, 0, 255], np.uint8)
    opaque_red[0, 0] = [0, 0, 200, 128]
    result = reduce_colors(opaque_red, palette=image)
    # the fully transparent entry is dropped, as from a (k, 4) array
    kept = [[*rgb, a] for rgb, a in zip(entries, alphas, strict=True) if a]
    assert np.column_stack([result.palette, result.alpha]).tolist() == kept
    assert result.to_rgba()[1, 1].tolist() == [200, 0, 0, 255]


def test_dithering_keeps_local_averages_closer_to_the_original():
    ramp = np.repeat(np.linspace(0, 255, 64)[None, :, None], 32, axis=0)
    image = np.repeat(ramp, 3, axis=2).round().astype(np.uint8)
    palette = np.array([[0, 0, 0], [255, 255, 255]], np.uint8)
    plain = reduce_colors(image, palette=palette).to_rgb().astype(float)
    dithered = reduce_colors(image, palette=palette, dither=True).to_rgb().astype(float)

    def block_error(out):
        blocks = lambda a: a.reshape(4, 8, 8, 8, 3).mean(axis=(1, 3))  # noqa: E731
        return np.abs(blocks(out) - blocks(image.astype(float))).mean()

    assert block_error(dithered) < 0.3 * block_error(plain)
    assert set(np.unique(dithered)) <= {0.0, 255.0}


# --------------------------------------------------------------------------
# Quality target
# --------------------------------------------------------------------------


def eight_colour_image(twin_sizes: tuple[int, ...] = (40, 50, 60, 70)) -> np.ndarray:
    """Four colours, each with a twin at a different distance: the best k-partition is unique.
    Of as many pixels as its colour by default, a twin holds half of its pair, and the entry
    of a pair is its mean (:func:`~quantize.reduce.fit.held_colors` holds more than half)."""
    base = np.array([[20, 20, 20], [235, 20, 20], [20, 235, 20], [20, 20, 235]])
    twins = base + np.array([[4, 0, 0], [0, 10, 0], [0, 0, 20], [30, 30, 0]])
    colors = np.vstack([base, twins]).astype(np.uint8)
    sizes = np.array([40, 50, 60, 70, *twin_sizes])
    return np.repeat(colors, sizes, axis=0).reshape(1, -1, 3)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_quality_picks_the_smallest_k_that_meets_the_target(seed):
    image = eight_colour_image()
    errors = {k: reduce_colors(image, k, seed=0).delta_e for k in range(2, 9)}
    assert all(errors[k] > errors[k + 1] for k in range(2, 8))
    target = (errors[6] + errors[5]) / 2  # met at k = 6, missed at k = 5
    result = reduce_colors(image, quality=target, seed=seed)
    assert result.k == 6 and result.delta_e == errors[6]


def test_quality_counts_the_colours_a_held_entry_leaves_away():
    """Each twin holds 52-53 % of its pair, so a fit of k colours draws a pair with the
    twin's colour itself, and the other colour of the pair its whole distance away: at
    n_colors=6 and 7 the 40 pixels of [20, 20, 20] (39 inner) are 2.68 from their entry,
    beyond 4 Q for a Q between their means and n_colors=5's. The search measures the fits
    n_colors makes, so it needs all 8 colours (it fitted the pairs by their means before,
    and chose 6, whose output n_colors=6 did not write)."""
    image = eight_colour_image((45, 55, 65, 75))
    errors = {k: reduce_colors(image, k, seed=0).delta_e for k in range(5, 8)}
    target = (errors[6] + errors[5]) / 2
    assert reduce_colors(image, quality=target, seed=0).k == 8
    for k in (6, 7):
        with pytest.raises(QualityError, match=r"a colour of 39 pixels 2\.68 away > 1\.49"):
            reduce_colors(image, k, quality=target, seed=0)


def test_quality_zero_means_lossless_and_unreachable_quality_raises(rng):
    assert reduce_colors(eight_colour_image(), quality=0, seed=0).k == 8
    image = rng.integers(0, 256, (24, 24, 3), dtype=np.uint8)
    with pytest.raises(QualityError, match="quality=0.5.*more than 4 colours"):
        reduce_colors(image, 4, quality=0.5, seed=0)


def test_an_unreachable_quality_says_how_to_allow_more_colours_when_it_can(rng):
    # Without n_colors the search stops at 256 colours, which n_colors raises; the error
    # did not say so. Given n_colors, or dithering (at most 256), it is the cap.
    image = rng.integers(0, 256, (20, 20, 3), dtype=np.uint8)  # about 400 colours
    with pytest.raises(QualityError) as capped:
        reduce_colors(image, quality=0.01, seed=0)
    assert str(capped.value) == ("quality=0.01: mean CIEDE2000 <= 0.01 needs more than 256 "
                                 "colours (they reach a mean CIEDE2000 of 1.471); "
                                 "quality_limit=1.48 or more keeps their result, which "
                                 "n_colors=256 alone gives; allow more with n_colors=K")
    # at 300 colours their 99th percentile, not their mean, sets the limit
    set_by = " (set by their 99th percentile 4.592 <= 5 × 0.92)"
    for options, mean, limit, why in (({"n_colors": 300}, "0.8554", "0.92", set_by),
                                      ({"dither": True}, "1.471", "1.48", "")):
        with pytest.raises(QualityError) as fixed:
            reduce_colors(image, quality=0.01, seed=0, **options)
        k = options.get("n_colors", 256)
        assert str(fixed.value) == (f"quality=0.01: mean CIEDE2000 <= 0.01 needs more than "
                                    f"{k} colours (they reach a mean CIEDE2000 of {mean}); "
                                    f"quality_limit={limit} or more keeps their result{why}, "
                                    f"which n_colors={k} alone gives")
    allowed = reduce_colors(image, 400, quality=0.01, seed=0)
    assert allowed.k > 256 and allowed.delta_e <= 0.01


def test_quality_result_meets_the_target_on_a_photo_like_image(rng):
    image = noisy(four_colour_image((48, 64)), rng, sigma=12)
    result = reduce_colors(image, quality=4.0, seed=0)
    assert result.delta_e <= 4.0 and 2 <= result.k < 64


def many_colour_image(rng, size=200) -> np.ndarray:
    """A smooth colour field plus noise: tens of thousands of distinct colours."""
    y, x = np.mgrid[0:size, 0:size] / size
    field = np.dstack([200 * x + 30, 180 * y + 40, 120 * (1 - x * y) + 60])
    return np.clip(field + rng.normal(0, 8, field.shape), 0, 255).astype(np.uint8)


def test_quality_search_on_an_image_with_many_colours(rng):
    image = many_colour_image(rng)
    assert len(np.unique(pack_rgb(image))) > 1 << 15  # the cell and sampled paths
    loose = reduce_colors(image, quality=6.0, seed=0)
    tight = reduce_colors(image, quality=3.0, seed=0)
    assert loose.delta_e <= 6.0 and tight.delta_e <= 3.0
    assert 2 <= loose.k < tight.k <= 256
    # Same seed, same k: checked on the quicker of the two searches.
    assert reduce_colors(image, quality=6.0, seed=0).k == loose.k
    assert reduce_colors(image, tight.k // 2, seed=0).delta_e > 3.0


# --------------------------------------------------------------------------
# Alpha
# --------------------------------------------------------------------------


def test_four_distinct_alphas_at_k4_are_lossless():
    rgba = np.array([[[200, 10, 10, 255], [10, 200, 10, 180]],
                     [[10, 10, 200, 90], [250, 250, 0, 30]]], np.uint8)
    result = reduce_colors(rgba, 4, seed=0)
    assert result.k == 4 and result.transparent_index is None
    assert np.array_equal(result.to_rgba(), rgba)
    assert result.psnr == np.inf and result.delta_e == 0.0
    assert sorted(result.alpha.tolist()) == [30, 90, 180, 255]
    assert result.transparency() == result.alpha[: np.flatnonzero(result.alpha < 255)[-1]
                                                  + 1].tobytes()


def _shown_on(rgba: np.ndarray, level: float) -> np.ndarray:
    """Straight RGBA ``(..., 4)`` composited on the grey ``level``, float64 ``(..., 3)``."""
    a = rgba[..., 3:] / 255.0
    return rgba[..., :3] * a + level * (1.0 - a)


def test_dark_translucent_pixels_that_differ_in_alpha_are_fitted_as_they_show_on_white():
    """Black of alpha 40 and of alpha 220 look alike on black, not on white (215 against
    35). Fitted on the error on black (and alpha's, 180^2 = 32,400), the two shared black
    of alpha 130, 90 levels off on white in every channel, rather than opaque red and
    yellow sharing an entry (200^2 = 40,000): on white a mean squared error of 4,050.
    Fitted on the mean of the errors on black and on white, red and yellow share
    [255, 100, 0]: 1,667 on both."""
    rgba = np.array([[[0, 0, 0, 40], [0, 0, 0, 220], [255, 0, 0, 255], [255, 200, 0, 255]]
                     * 2], np.uint8)
    result = reduce_colors(rgba, 3, seed=0)
    assert result.to_rgba()[0, :4].tolist() == [[0, 0, 0, 40], [0, 0, 0, 220],
                                                [255, 100, 0, 255], [255, 100, 0, 255]]
    errors = [np.mean((_shown_on(rgba, level) - _shown_on(result.to_rgba(), level)) ** 2)
              for level in (0.0, 255.0)]
    assert errors == pytest.approx([5000 / 3] * 2)


def _opaque_with_one_faint(alpha_rest: int, alpha_odd: int) -> np.ndarray:
    """3 x 3 pixels of one colour at ``alpha_rest``, the last a close colour at ``alpha_odd``."""
    rgba = np.empty((3, 3, 4), np.uint8)
    rgba[...] = [100, 150, 200, alpha_rest]
    rgba[2, 2] = [110, 150, 200, alpha_odd]
    return rgba


@pytest.mark.parametrize("space", ["rgb", "lab"])
def test_an_entry_of_mostly_opaque_pixels_is_opaque(space):
    """Eight opaque pixels and one of alpha 128 share the one entry: its alpha was their
    mean, 241, so the opaque pixels came back translucent. It is 255 now, its colour
    the colour holding more than half of its pixels, the opaque one (without such a
    colour, their colours weighted by their alpha: (8 * 255 * 100 + 128 * 110) /
    (8 * 255 + 128) = 100.59, 150 and 200; the mean of their features, as they balance
    black and white, 102.08, 148.75 and 195.99, was the entry before: white glyphs'
    opaque entries came out grey)."""
    rgba = _opaque_with_one_faint(255, 128)
    result = reduce_colors(rgba, 1, seed=0, space=space)
    assert result.alpha.tolist() == [255]
    assert np.all(result.to_rgba()[..., 3] == 255)
    assert result.palette.tolist() == [[100, 150, 200]]


def test_a_shared_palette_entry_of_mostly_opaque_colours_is_opaque():
    colors = [[100, 150, 200, 255], [110, 150, 200, 128]]
    assert fit_palette(colors, [8, 1], 1, seed=0).tolist() == [[100, 150, 200, 255]]
    assert fit_palette(colors, [4, 5], 1, seed=0)[0, 3] < 255  # most are translucent
    # no colour holds more than half: the mean colour, made opaque
    three = [[100, 150, 200, 255], [90, 150, 200, 255], [110, 150, 200, 128]]
    assert fit_palette(three, [4, 4, 1], 1, seed=0)[0, 3] == 255


def test_an_entry_of_mostly_translucent_pixels_keeps_their_mean_alpha():
    """Eight pixels of alpha 245 and one opaque: not 255. (The eight hold more than half
    of the entry, which is their colour, alpha 245; their mean with the opaque one, 246.1,
    was the entry before.)"""
    result = reduce_colors(_opaque_with_one_faint(245, 255), 1, seed=0)
    assert result.alpha.tolist() == [245]



def _white_glyph_edges() -> np.ndarray:
    """8 x 8 white pixels as on a glyph sheet: 16 transparent, 8 opaque, and 40 anti-aliased
    edge pixels of alpha 6 to 250."""
    alpha = np.concatenate([np.zeros(16), np.full(8, 255), np.linspace(6, 250, 40).round()])
    rgba = np.full((64, 4), 255, np.uint8)
    rgba[:, 3] = alpha
    return rgba.reshape(8, 8, 4)


@pytest.mark.parametrize("space", ["rgb", "lab"])
@pytest.mark.parametrize("dither", [False, True])
@pytest.mark.parametrize("k", [1, 2, 3, 4, 8])
def test_white_pixels_at_many_alphas_get_only_white_entries(k, dither, space):
    """Each entry's colour is its premultiplied colour over its alpha before rounding, and a
    translucent entry is not moved for dithering: over the rounded alpha the entries came
    out 251-254, and moved away from the mean of colours of other alphas, dithered, a
    translucent one came out grey (151, 151, 151 at alpha 79 on a font sheet)."""
    result = reduce_colors(_white_glyph_edges(), k, seed=0, dither=dither, space=space)
    assert result.palette.tolist() == [[255, 255, 255]] * result.k
    shown = result.to_rgba()
    assert np.all(shown[shown[..., 3] > 0, :3] == 255)


def _dark_light_and_between(opaque: int, between: int) -> np.ndarray:
    """``opaque`` black and as many grey-200 opaque pixels, then ``between`` pixels of
    [100, 100, 100, 200] (premultiplied 78.4), in one row."""
    rows = [[0, 0, 0, 255]] * opaque + [[200, 200, 200, 255]] * opaque
    return np.array([rows + [[100, 100, 100, 200]] * between], np.uint8)


@pytest.mark.parametrize("space", ["rgb", "lab"])
def test_the_exact_colour_of_mostly_opaque_pixels_is_an_opaque_one(space):
    """Three black, three grey-200 and two translucent pixels in one entry: their mean
    is nearest the translucent colour (in RGB's features, premultiplied colour less half
    alpha, then alpha times 0.866: distance 36.5 against 171.1 for grey 200 and 176.2
    for black), so the opaque pixels came back at alpha 200. The medoid of a mostly
    opaque entry is taken among its opaque pixels: grey 200 in RGB."""
    result = reduce_colors(_dark_light_and_between(3, 2), 1, seed=0, space=space,
                           exact_colors=True)
    assert result.alpha.tolist() == [255]
    assert result.palette.tolist() in ([[0, 0, 0]], [[200, 200, 200]])
    if space == "rgb":
        assert result.palette.tolist() == [[200, 200, 200]]


def test_the_exact_colour_of_mostly_translucent_pixels_may_be_translucent():
    """One black, one grey-200 and six translucent pixels: the translucent colour."""
    result = reduce_colors(_dark_light_and_between(1, 6), 1, seed=0, exact_colors=True)
    assert result.to_rgba()[0, 0].tolist() == [100, 100, 100, 200]


def test_a_shared_exact_palette_entry_of_mostly_opaque_colours_is_opaque():
    colors = [[0, 0, 0, 255], [200, 200, 200, 255], [100, 100, 100, 200]]
    assert fit_palette(colors, [3, 3, 2], 1, seed=0,
                       exact_colors=True).tolist() == [[200, 200, 200, 255]]


def test_semi_transparent_pixels_keep_their_alpha_and_clear_ones_share_an_entry():
    rgba = np.zeros((8, 8, 4), np.uint8)
    rgba[..., :3] = [40, 90, 200]
    rgba[..., 3] = 255
    rgba[:, 4:6, 3] = 100  # a translucent shadow band
    rgba[:, 6:, :] = [[255, 0, 255, 0], [0, 255, 0, 0]]  # clear pixels of any colour
    result = reduce_colors(rgba, 2, seed=0)
    assert result.k == 2 and result.transparent_index == 2
    assert np.all(result.indices[:, 6:] == 2)
    assert np.array_equal(result.to_rgba()[:, :6], rgba[:, :6])
    assert result.transparency() == bytes(result.alpha.tolist() + [0])


def _three_inks_and_a_faint_shadow() -> np.ndarray:
    """Red, green and blue, 8 opaque pixels each, 8 pixels of a dark blue shadow at alpha
    6 and 16 fully transparent pixels."""
    rgba = np.zeros((6, 8, 4), np.uint8)
    rgba[0:2, :4] = [220, 40, 30, 255]
    rgba[0:2, 4:] = [30, 160, 60, 255]
    rgba[2:4, :4] = [40, 60, 210, 255]
    rgba[2:4, 4:] = [20, 30, 70, 6]
    return rgba


@pytest.mark.parametrize("space", ["rgb", "lab"])
def test_faint_pixels_join_the_transparent_entry_in_the_fit(space):
    """The transparent entry is the image's anyway, and the faint shadow is nearest it: the
    three colours are fitted around it, each its own entry. Fitted as if it were not there,
    the shadow took an entry of its own ([20, 30, 70, 6]) and green and blue shared
    [35, 110, 135], 58 levels off in some channel on black and on white alike."""
    rgba = _three_inks_and_a_faint_shadow()
    result = reduce_colors(rgba, 3, seed=0, space=space)
    assert result.k == 3 and result.transparent_index == 3
    out = result.to_rgba()
    assert np.array_equal(out[:2], rgba[:2]) and np.array_equal(out[2:4, :4], rgba[2:4, :4])
    assert np.all(out[2:4, 4:] == 0) and np.all(out[4:] == 0)
    for level in (0.0, 255.0):  # the shadow's error alone: at most its alpha, 6 levels
        shown = np.abs(_shown_on(rgba, level) - _shown_on(out, level))
        assert shown.max() <= 6


@pytest.mark.parametrize("clear", [False, True])
def test_k_at_or_above_the_colours_with_alpha_draws_each_colour_with_its_own_entry(
        rng, monkeypatch, clear):
    """No colour is compared with the other colours' entries (all pairs: 65,536 colours
    at k = 65536 took over a minute), and each is drawn exactly, faint ones included,
    the fully transparent pixels with their own entry."""
    from quantize.reduce import image

    monkeypatch.setattr(image, "_nearest_entries",
                        lambda *args: pytest.fail("colours matched against the entries"))
    rgba = rng.integers(0, 256, (24, 20, 4), dtype=np.uint8)
    rgba[..., 3] |= 1
    rgba[:3, :, 3] = np.arange(20) % 2 + 1  # faint: nearer the transparent entry than most
    if clear:
        rgba[-2:] = 0
    visible = rgba.reshape(-1, 4)[rgba.reshape(-1, 4)[:, 3] > 0]
    m = len({tuple(c) for c in visible.tolist()})
    with pytest.warns(ColorCountWarning):
        result = reduce_colors(rgba, m + 5, seed=0)
    assert result.k == m and result.transparent_index == (m if clear else None)
    assert np.array_equal(result.to_rgba(), rgba)
    assert result.psnr == np.inf and result.delta_e == 0.0


def test_an_rgba_fit_with_no_transparent_pixel_keeps_the_fits_labels(rng, monkeypatch):
    """The fit's labels are every colour's nearest entry already: with no transparent
    entry to go to, they are not matched again (a second all-pairs search)."""
    from quantize.colors import features_of
    from quantize.reduce import image

    monkeypatch.setattr(image, "_nearest_entries",
                        lambda *args: pytest.fail("colours matched again"))
    rgba = rng.integers(1, 256, (30, 30, 4), dtype=np.uint8)
    result = reduce_colors(rgba, 16, seed=4)
    assert result.k == 16 and result.transparent_index is None
    entries = np.column_stack([result.palette, result.alpha])
    d = ((features_of(rgba.reshape(-1, 4), "rgb")[:, None, :].astype(np.float64)
          - features_of(entries, "rgb")[None].astype(np.float64)) ** 2).sum(axis=2)
    drawn = d[np.arange(d.shape[0]), result.indices.ravel()]
    assert np.allclose(drawn, d.min(axis=1), rtol=1e-5, atol=1e-3)


def test_rgba_metrics_are_measured_on_premultiplied_rgba(rng):
    rgba = rng.integers(0, 256, (16, 16, 4), dtype=np.uint8)
    rgba[:3, :, 3] = 0
    result = reduce_colors(rgba, 5, seed=0)

    def shown(a):
        a = a.astype(float)
        a[..., :3] *= a[..., 3:] / 255
        return a

    visible = rgba[..., 3] > 0  # the pixels counted: those transparent in both left out
    mse = ((shown(rgba) - shown(result.to_rgba())) ** 2)[visible].mean()
    assert result.psnr == pytest.approx(10 * np.log10(255 ** 2 / mse))
    on_black = lambda a: np.rint(shown(a)[..., :3]).astype(np.uint8)[visible]  # noqa: E731
    assert result.delta_e == pytest.approx(delta_e(on_black(rgba), on_black(result.to_rgba())),
                                           rel=1e-5)


# --------------------------------------------------------------------------
# Dithering
# --------------------------------------------------------------------------


def test_dither_strength_zero_equals_no_dithering(rng):
    image = many_colour_image(rng, 40)
    plain = reduce_colors(image, 6, seed=0)
    for off in (0.0, False, 0):
        result = reduce_colors(image, 6, dither=off, seed=0)
        assert np.array_equal(result.indices, plain.indices) and not result.dithered
    assert reduce_colors(image, 6, dither=0.5, seed=0).dithered


def test_dithering_leaves_flat_areas_in_a_palette_colour_clean():
    image = np.zeros((32, 64, 3), np.uint8)
    image[:, :32] = np.linspace(0, 255, 32).round().astype(np.uint8)[None, :, None]
    image[:, 32:] = 255  # flat white, itself a palette entry, next to the ramp
    palette = np.array([[0, 0, 0], [255, 255, 255]], np.uint8)
    result = reduce_colors(image, palette=palette, dither=1.0)
    assert np.all(result.indices[:, 34:] == 1)
    assert len(np.unique(result.indices[:, 8:24])) == 2  # the ramp is dithered


def test_lower_strength_moves_fewer_pixels_off_their_nearest_entry(rng):
    image = many_colour_image(rng, 48)
    plain = reduce_colors(image, 8, seed=0).indices
    moved = [np.count_nonzero(reduce_colors(image, 8, dither=s, seed=0).indices != plain)
             for s in (0.25, 1.0)]
    assert 0 < moved[0] < moved[1]


def test_dithered_metrics_and_shares_are_measured_on_the_pixels(rng):
    image = rng.integers(0, 256, (24, 24, 4), dtype=np.uint8)
    image[..., 3] = 255
    image[:4, :, 3] = 0
    result = reduce_colors(image, 6, dither=True, seed=0)
    opaque = image[..., 3] > 0
    drawn = result.indices[opaque]
    assert np.allclose(result.shares, np.bincount(drawn, minlength=6) / drawn.size)
    rgb = image[..., :3][opaque]
    shown = image.astype(float)  # premultiplied RGBA, over the visible pixels
    shown[..., :3] *= shown[..., 3:] / 255
    got = result.to_rgba().astype(float)
    got[..., :3] *= got[..., 3:] / 255
    mse = ((shown - got) ** 2)[opaque].mean()
    assert result.psnr == pytest.approx(10 * np.log10(255 ** 2 / mse))
    assert result.delta_e == pytest.approx(delta_e(rgb, result.palette[drawn]), rel=1e-5)


def test_the_most_colours_keep_every_pixel_its_own_entry():
    # Indices were uint16 for any palette beyond 256 entries: with 65,600 distinct
    # colours (n_colors above that) they wrapped at 65,536, so to_rgb() differed
    # from the image while psnr said inf (lossless). n_colors is now at most 65,536
    # (MAX_COLORS, more is refused below): every index of that many entries fits.
    codes = np.arange(65_536, dtype=np.uint32) * 255  # distinct 24-bit colours
    rgb = np.stack([codes >> 16, (codes >> 8) & 255, codes & 255], axis=-1)
    image = rgb.astype(np.uint8).reshape(128, 512, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ColorCountWarning)  # as many colours as asked
        result = reduce_colors(image, 65_536, seed=0)
    assert result.k == 65_536 and result.indices.max() == 65_535
    np.testing.assert_array_equal(result.to_rgb(), image)
    assert result.psnr == math.inf


# --------------------------------------------------------------------------
# Bad parameters
# --------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_float_palette_is_read_as_an_images_floats_are(dtype):
    """A float palette was refused ("should hold integers 0..255, got dtype float64");
    images take floats 0..1, and so does a palette to map onto now, read alike."""
    image = np.zeros((2, 4, 3), np.uint8)
    image[:, 2:] = [200, 40, 40]
    levels = np.array([[0, 0, 0], [200, 40, 40], [255, 128, 0]], np.uint8)
    floats = (levels / 255).astype(dtype)
    floats[0, 0] = -1e-9  # a hair outside, clipped as an image's
    got = reduce_colors(image, palette=floats)
    want = reduce_colors(image, palette=levels)
    assert got.palette.tolist() == want.palette.tolist()
    np.testing.assert_array_equal(got.indices, want.indices)
    # the levels as_rgba reads a float image's pixels at
    image_levels = reduce_colors(floats.reshape(1, 3, 3), palette=levels).to_rgb()
    assert image_levels.reshape(3, 3).tolist() == levels.tolist()


@pytest.mark.parametrize(("palette", "error", "message"), [
    # k-means centres of uint8 pixels, 0..255 as floats: 255 times too bright if read 0..1
    (np.array([[0.0, 0.0, 0.0], [200.5, 40.0, 40.0]]), ValueError,
     "palette holds floats in [0, 200.5]; floats are read as 0..1, as an image's are: for "
     "0..255 values pass np.rint(palette).astype(np.uint8)"),
    (np.array([[0.0, np.nan, 0.0]]), ValueError,
     "palette contains NaN or infinite values; expected finite numbers"),
])
def test_a_float_palette_out_of_an_images_range_is_refused(palette, error, message):
    with pytest.raises(error) as refused:
        reduce_colors(np.zeros((2, 2, 3), np.uint8), palette=palette)
    assert str(refused.value) == message


@pytest.mark.parametrize("kwargs, error, match", [
    ({"n_colors": 0}, ValueError, "^n_colors=0 should be >= 1$"),
    ({"n_colors": 65537}, ValueError, "^n_colors=65537 should be <= 65536, the most colours a "
     "palette is fitted to"),
    ({"n_colors": 10**30, "quality": 1}, ValueError, "^n_colors=10+ should be <= 65536"),
    ({"n_colors": 2.0}, TypeError, "n_colors=2.0 should be an integer"),
    ({"space": "hsv"}, ValueError, "space='hsv' is not valid; expected one of 'rgb', 'lab'"),
    # a wrong type was a ValueError ("space=None is not valid")
    ({"space": None}, TypeError, "^space=None should be a str, one of 'rgb', 'lab'; got NoneType$"),
    ({"space": 3}, TypeError, "^space=3 should be a str, one of 'rgb', 'lab'; got int$"),
    ({"quality": -1}, ValueError, "quality=-1 should be >= 0"),
    # a string is taken for dither="ordered" or "pattern": another one is a bad value,
    # listing the choices
    ({"dither": "yes"}, ValueError, "^dither='yes' is not valid; expected a strength from 0 "
                                    "to 1, a bool, 'ordered' or 'pattern'$"),
    ({"dither": None}, TypeError, "^dither=None should be a bool, a number in \\[0, 1\\], "
                                  "'ordered' or 'pattern', got NoneType$"),
    ({"palette": [[1, 2]]}, ValueError, r"palette should have shape \(k, 3\)"),
    # a flat list not of RGB triples: "got (4,)" did not say a flat one is taken
    ({"palette": [0, 0, 0, 255]}, ValueError,
     r"^palette should have shape \(k, 3\) or \(k, 4\) with k >= 1, or a flat sequence of 3k "
     r"integers \(r, g, b, r, g, b, \.\.\.\), got 4 values$"),
    ({"palette": Image.new("RGB", (2, 2))}, TypeError,
     r"^palette is a PIL image of mode 'RGB'; expected a palette image, mode 'P' "
     r"\(palette\.quantize\(k\), say\), whose palette is taken, or a \(k, 3\) array"),
    ({"palette": [[1, 2, 300]]}, ValueError,
     "^palette should hold integers 0..255, got values from 1 to 300$"),
    ({"palette": FOUR, "n_colors": 5}, ValueError,
     "^n_colors=5 is more than palette has: 4 colours; expected at most 4, the number of its "
     "entries to map onto$"),
    ({"palette": FOUR, "quality": 2}, ValueError,
     "^palette fixes the colours, so quality=2 cannot be given with it; to map onto fewer of "
     "them, give n_colors=N, the best N of its entries$"),
    ({"palette": FOUR, "exact_colors": True}, ValueError,
     "^palette fixes the colours, so exact_colors=True cannot be given with it$"),
    # was NumPy's "setting an array element with a sequence. ..." naming nothing
    ({"palette": [[0, 0, 0], [255, 255]]}, ValueError,
     r"^palette should have shape \(k, 3\) or \(k, 4\) with k >= 1, got rows of different "
     r"lengths$"),
    # a name (the animation option of reduce_file, or a palette file) was "got ()"
    ({"palette": "per-frame"}, TypeError,
     r"^palette='per-frame' should be a \(k, 3\) or \(k, 4\) array of integers 0\.\.255, got "
     r"a str; read a palette file with quantize\.palette_files\.read_palette$"),
    ({"seed": -1}, ValueError, "seed=-1 should be >= 0"),
    ({"n_colors": 300, "dither": True}, ValueError, "dither=True supports at most 256"),
])
def test_bad_parameters_are_named(kwargs, error, match):
    with pytest.raises(error, match=match):
        reduce_colors(four_colour_image(), **kwargs)


@pytest.mark.parametrize("image, error, match", [
    (np.zeros((4, 4, 5), np.uint8), ValueError,
     r"shape \(H, W\), \(H, W, 1\), \(H, W, 2\), \(H, W, 3\) or \(H, W, 4\), got \(4, 4, 5\)"),
    # a file name, which segment_file and reduce_file take, said nothing of how to read one
    ("photo.png", TypeError, r"^image should be a numpy array or a PIL image, got str; read a "
     r"file with quantize\.io\.load_image$"),
    (PurePosixPath("photo.png"), TypeError,
     r"got PurePosixPath; read a file with quantize\.io\.load_image$"),
    # nested lists, whose ints NumPy makes int64, said nothing of how to pass them
    ([[0, 255]], TypeError, r"^image should be a numpy array or a PIL image, got list; for "
     r"nested lists of levels 0\.\.255, pass np\.asarray\(image, dtype=np\.uint8\)$"),
    (((0, 255),), TypeError, r"got tuple; for nested lists of levels 0\.\.255, pass "
     r"np\.asarray\(image, dtype=np\.uint8\)$"),
    # floats 0..1, and PIL frames, were told to pass uint8 levels (floats came out black)
    ([[0.0, 0.5], [1, 0.25]], TypeError, r"got list; for nested lists of values 0\.\.1, "
     r"pass np\.asarray\(image, dtype=np\.float32\)$"),
    ([[0, 300]], TypeError, r"got list; for nested lists, pass np\.asarray\(image, "
     r"dtype=np\.uint8\) for levels 0\.\.255, or dtype=np\.float32 for values 0\.\.1$"),
    ([Image.new("RGB", (2, 2))] * 2, TypeError, r"got list; for frames, pass one image at a "
     r"time \(image\[0\]\), or save them as an animation and reduce it with "
     r"quantize\.animation\.reduce_animation_file$"),
    (np.full((2, 2, 3), 2.0), ValueError, r"values in \[0, 1\]"),
    # a file's bytes, or the open file, were sent to load_image, which takes a path only
    (b"\x89PNG\r\n", TypeError, r"^image should be a numpy array or a PIL image, got bytes; "
     r"for the bytes of an image file, pass PIL\.Image\.open\(io\.BytesIO\(data\)\)$"),
    (bytearray(b"GIF89a"), TypeError, r"got bytearray; for the bytes of an image file, pass "
     r"PIL\.Image\.open\(io\.BytesIO\(data\)\)$"),
    (io.BytesIO(b"GIF89a"), TypeError, r"got BytesIO; for an open image file, pass "
     r"PIL\.Image\.open\(file\)$"),
])
def test_bad_images_are_refused(image, error, match):
    with pytest.raises(error, match=match):
        reduce_colors(image, 4)


class _ArrayLike:
    """A stand-in for an xarray DataArray or a CPU tensor: an object with ``__array__``."""

    def __init__(self, array: np.ndarray):
        self.array = array

    def __array__(self, dtype=None, copy=None):
        return self.array


class _InterfaceOnly:
    """An object exposing ``__array_interface__`` alone, as some buffers do."""

    def __init__(self, array: np.ndarray):
        self.__array_interface__ = array.__array_interface__
        self.keep = array


@pytest.mark.parametrize("wrap", [_ArrayLike, _InterfaceOnly])
@pytest.mark.parametrize("call", ["reduce_colors", "segment"])
def test_an_array_like_image_is_read_as_numpy_reads_it(wrap, call):
    """Objects with the array protocol were refused: "should be a numpy array or a PIL
    image, got _ArrayLike", where scikit-image and MiniBatchKMeans take them."""
    import quantize

    image = four_colour_image()
    before = image.copy()
    func = getattr(quantize, call)
    kwargs = {"seed": 0} if call == "segment" else {"n_colors": 4, "seed": 0}
    got, expected = func(wrap(image), **kwargs), func(image.copy(), **kwargs)
    field = "indices" if call == "reduce_colors" else "labels"
    assert np.array_equal(getattr(got, field), getattr(expected, field))
    assert np.array_equal(image, before)  # the object's array is left as it was


def test_an_array_like_that_numpy_cannot_read_is_one_typeerror():
    class OnTheGpu:
        def __array__(self, dtype=None, copy=None):
            raise TypeError("can't convert cuda:0 device type tensor to numpy")

    with pytest.raises(TypeError, match=r"^image, a OnTheGpu, could not be made a numpy "
                       r"array: can't convert cuda:0 device type tensor to numpy$"):
        reduce_colors(OnTheGpu(), 4)


@pytest.mark.parametrize("channels", [3, 4])
def test_a_list_of_pixels_is_read_as_a_grey_image_and_said_so(channels, recwarn):
    """A scikit-learn style (N, 3) list of pixels was silently read as a grey image of
    3 x N pixels, its palette grey."""
    from quantize.io import PixelListWarning

    pixels = np.zeros((64 * channels, channels), np.uint8)
    pixels[: 32 * channels] = 200
    kind = "RGB" if channels == 3 else "RGBA"
    with pytest.warns(PixelListWarning) as caught:
        result = reduce_colors(pixels, 2, seed=0)
    assert [str(w.message) for w in caught] == [
        f"image of shape ({64 * channels}, {channels}) is read as a greyscale image of "
        f"{channels}x{64 * channels} pixels (width x height); for a list of {64 * channels} "
        f"{kind} pixels, pass image.reshape(-1, 1, {channels})"]
    assert [w.filename for w in caught] == [__file__]
    assert result.indices.shape == pixels.shape  # read as it was: a grey image
    reduce_colors(pixels[:channels], 2, seed=0)  # as many rows as columns: an image
    reduce_colors(pixels[:2], 2, seed=0)  # fewer: a wide image
    reduce_colors(pixels.reshape(-1, 1, channels), 2, seed=0)  # the pixels passed so
    reduce_colors(np.zeros((1000, 5), np.uint8), 2, seed=0)  # 5 columns: no pixels
    assert not [w for w in recwarn if issubclass(w.category, PixelListWarning)]


@pytest.mark.parametrize("dtype", [np.uint8, np.float32, np.float64])
@pytest.mark.parametrize("shape", [(4, 3), (5, 3), (100, 3), (5, 4), (191, 3), (255, 4)])
def test_a_short_list_of_pixels_is_said_so_too(shape, dtype):
    """A 1 x 4 gradient's pixels, image.reshape(-1, 3), (4, 3), were read as a grey image
    of 3 x 4 pixels without a word: the warning came at 64 times as many rows as columns.
    Any list of more rows than its 3 or 4 columns gets it, uint8 or float."""
    from quantize.io import PixelListWarning

    pixels = (np.arange(shape[0] * shape[1]).reshape(shape) % 2).astype(dtype)
    if dtype == np.uint8:
        pixels *= 255
    with pytest.warns(PixelListWarning, match=rf"^image of shape \({shape[0]}, {shape[1]}\) is "
                      rf"read as a greyscale image of {shape[1]}x{shape[0]} pixels .*; for a "
                      rf"list of {shape[0]} RGBA? pixels, pass image\.reshape\(-1, 1, "
                      rf"{shape[1]}\)$"):
        reduce_colors(pixels, 2, seed=0)


@pytest.mark.parametrize("by_sort", [True, False])
@pytest.mark.parametrize("n, values", [(0, 5), (1, 5), (1000, 3), (20_000, 300), (5000, 10**6)])
def test_rgba_words_are_counted_as_numpy_unique_counts_them(rng, monkeypatch, n, values,
                                                            by_sort):
    """Few words take one sort; of many, opaque words take the 24-bit path, the others
    one sort with their positions; the same result as np.unique."""
    from quantize import _kernels
    from quantize.reduce import image
    from quantize.reduce.image import _word_histogram

    if by_sort:  # one sort, no second one for the rows
        monkeypatch.setattr(image, "code_rows", lambda *args: pytest.fail("code_rows"))
    else:
        monkeypatch.setattr(_kernels, "_ROWS_TABLE_MIN", 0)

    words = (rng.integers(0, values, n, dtype=np.uint64) * 2654435761 % (1 << 32))
    words = words.astype(np.uint32)
    words[rng.random(n) < 0.6] |= np.uint32(0xFF000000)
    words[(words >> 24) == 0] |= np.uint32(0x01000000)  # every pixel visible
    rgb, alpha = _pixels_of_words(words)
    distinct, inverse, counts = _word_histogram(rgb, alpha, alpha > 0)
    expected = np.unique(words, return_inverse=True, return_counts=True)
    assert np.array_equal(distinct, expected[0])
    assert np.array_equal(inverse, expected[1].ravel())
    assert np.array_equal(counts, expected[2])


def test_rows_of_a_small_image_come_without_a_colour_code_table(rng, monkeypatch):
    """Each pixel's row in the histogram (dithering's metrics, RGBA counting) is found by
    sorting, not through a (2**24,) int32 table: zeroing its 64 MB cost a 0.27 MP photo
    more than the sort."""
    from quantize import _kernels
    from quantize.reduce import image
    from quantize.reduce.image import _count_rgb, _word_histogram

    def no_table(*args):
        raise AssertionError("code_table called")

    monkeypatch.setattr(_kernels, "code_table", no_table)
    monkeypatch.setattr(image, "code_table", no_table)
    rgb = rng.integers(0, 4, (40, 30, 3), dtype=np.uint8) * 60
    pixels = _count_rgb(rgb)
    assert np.array_equal(pixels.colors[pixels.row_of()], rgb.reshape(-1, 3))
    words = np.array([0xFF000005, 0x01000007, 0xFF000001, 0x01000007, 0xFF000005], np.uint32)
    rgb, alpha = _pixels_of_words(words)
    assert _word_histogram(rgb, alpha, alpha > 0)[1].tolist() == [2, 0, 1, 0, 2]


def _pixels_of_words(words: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A one-row image ``(1, n, 3)`` and its alpha ``(1, n)`` whose pixels' RGBA bytes, read
    as little-endian words, are ``words``."""
    rgba = words.astype("<u4").view(np.uint8).reshape(1, -1, 4)
    return np.ascontiguousarray(rgba[..., :3]), np.ascontiguousarray(rgba[..., 3])


@pytest.mark.parametrize("rows", [False, True])
def test_a_small_opaque_image_is_counted_in_one_sort_that_gives_each_pixels_row(
        rng, monkeypatch, rows):
    """Counting the colours of a web photo also gives each pixel's row in the histogram,
    through which its index is read: no second sort (dithering's rows), no (2**24,) table
    (the indices), whose 16 MB of fresh pages cost more."""
    from quantize.reduce import image

    def refused(*args):
        raise AssertionError("a second sort or a code table")

    for name in ("code_histogram", "code_rows", "code_table"):
        monkeypatch.setattr(image, name, refused)
    rgb = rng.integers(0, 3, (30, 20, 3), dtype=np.uint8) * 100
    pixels = image._count_rgb(rgb, rows)
    colors, counts = color_histogram(rgb)
    assert np.array_equal(pixels.colors, colors) and np.array_equal(pixels.counts, counts)
    assert np.array_equal(pixels.colors[pixels.row_of()], rgb.reshape(-1, 3))
    labels = np.arange(colors.shape[0]) % 5
    assert np.array_equal(pixels.indices(labels, 6), labels[pixels.row_of()].reshape(30, 20))


@pytest.mark.parametrize("dither", [0.0, 1.0])
def test_counting_by_sort_or_by_code_table_gives_the_same_reduction(rng, monkeypatch, dither):
    """Over 0.5 MP undithered (2 MP dithered) the codes are sorted alone and the indices
    read from a code table; a reduction is the same either way."""
    from quantize import _kernels
    from quantize.reduce import image

    rgb = rng.integers(0, 256, (40, 50, 3), dtype=np.uint8)
    rgb[:20] //= 64
    by_sort = reduce_colors(rgb, 8, dither=dither, seed=3)
    monkeypatch.setattr(image, "_ROWS_UNDITHERED_MAX", 0)
    monkeypatch.setattr(_kernels, "_ROWS_TABLE_MIN", 0)
    by_table = reduce_colors(rgb, 8, dither=dither, seed=3)
    assert np.array_equal(by_sort.indices, by_table.indices)
    assert np.array_equal(by_sort.palette, by_table.palette)
    assert (by_sort.psnr, by_sort.delta_e) == (by_table.psnr, by_table.delta_e)


def test_fully_transparent_entries_of_a_given_palette_become_the_one_transparent_entry():
    """A palette with index 0 transparent (as taken from a GIF) adds no second clear entry."""
    rgba = np.array([[[250, 5, 5, 255], [0, 0, 0, 0]],
                     [[5, 5, 250, 255], [20, 20, 20, 255]]], np.uint8)
    palette = np.array([[0, 0, 0, 0], [255, 0, 0, 255], [0, 0, 255, 255]], np.uint8)
    result = reduce_colors(rgba, palette=palette)
    assert result.palette.tolist() == [[255, 0, 0], [0, 0, 255]]
    assert result.transparent_index == 2 and result.alpha.tolist() == [255, 255]
    # (20, 20, 20) is as near red as blue: it takes blue, whose colour sorts first, as
    # the fit gives such a colour the entry that sorts first.
    assert result.indices.tolist() == [[0, 2], [1, 1]]
    # An opaque image never draws the clear entry's colour (black here).
    opaque = reduce_colors(rgba[..., :3].copy(), palette=palette)
    assert opaque.palette.tolist() == [[255, 0, 0], [0, 0, 255]]
    assert opaque.transparent_index is None


def test_a_faint_pixel_onto_a_given_palette_is_drawn_alike_whatever_the_other_pixels():
    """It took the transparent entry only when some other pixel was fully transparent:
    without one, the faint half of this image was drawn opaque grey."""
    rgba = np.zeros((4, 4, 4), np.uint8)
    rgba[..., :3] = 120
    rgba[..., 3] = [[255] * 4, [255] * 4, [2] * 4, [2] * 4]
    cleared = rgba.copy()
    cleared[3, 3, 3] = 0
    palette = [[0, 0, 0], [255, 255, 255]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AlphaLossWarning)  # translucent pixels, opaque palette
        for image in (rgba, cleared):
            for dither in (0.0, 1.0):
                result = reduce_colors(image, palette=palette, dither=dither)
                assert result.transparent_index == 2
                assert result.to_rgba()[..., 3].tolist() == [[255] * 4] * 2 + [[0] * 4] * 2
        # with no faint pixel the entry is not added
        opaque_alpha = rgba.copy()
        opaque_alpha[2:, :, 3] = 250
        result = reduce_colors(opaque_alpha, palette=palette)
    assert result.transparent_index is None and result.k == 2
    assert result.full_palette(alpha=True).tolist() == [[0, 0, 0, 255], [255, 255, 255, 255]]


def test_a_fitted_palette_given_back_gives_the_fits_indices_but_for_a_faint_pixel():
    """As the docstring of ``palette`` says: the fit drew the faint pixel (alpha 8) with
    its translucent entry, as it adds no transparent entry without a fully transparent
    pixel; mapped onto the same palette it takes the transparent entry, nearer to it."""
    rgba = np.array([[[200, 0, 0, 255], [0, 0, 200, 100], [0, 0, 200, 8]]], np.uint8)
    fitted = reduce_colors(rgba, 2, seed=0)
    palette = np.column_stack([fitted.palette, fitted.alpha])
    assert palette.tolist() == [[0, 0, 200, 54], [200, 0, 0, 255]]
    assert fitted.indices.tolist() == [[1, 0, 0]] and fitted.transparent_index is None
    mapped = reduce_colors(rgba, palette=palette)
    assert mapped.indices.tolist() == [[1, 0, 2]] and mapped.transparent_index == 2
    opaque = rgba[..., :3].copy()  # without alpha the indices are the fit's
    again = reduce_colors(opaque, 2, seed=0)
    assert np.array_equal(reduce_colors(opaque, palette=again.palette).indices, again.indices)


def _grey_ramp_with_a_clear_pixel() -> np.ndarray:
    """(1, 257, 4): opaque greys 0..255, then one fully transparent pixel (so the image
    has alpha)."""
    rgba = np.zeros((1, 257, 4), np.uint8)
    rgba[0, :256, :3] = np.arange(256)[:, None]
    rgba[0, :256, 3] = 255
    return rgba


# A pale pink, a grey and a pink: the pale pink is nearer the grey in RGB (31.6 against
# 50.0) and in Lab (15.9 against 19.7), nearer the pink by CIEDE2000 (11.3 against 15.4).
_PALE_PINK_GREY_PINK = np.array([[[230, 190, 200], [200, 200, 200], [230, 150, 170]]], np.uint8)


def test_onto_a_given_palette_in_lab_a_colour_takes_the_entry_nearest_by_ciede2000():
    """In RGB the pale pink takes the grey; with space="lab", which took the grey too
    (nearest in Lab), the pink, nearest by CIEDE2000; with alpha too. A palette fitted to
    the pixels (an animation's, a batch's shared one) is matched as the fit matches it,
    in Lab distance."""
    image, palette = _PALE_PINK_GREY_PINK, np.array([[200, 200, 200], [230, 150, 170]], np.uint8)
    assert reduce_colors(image, palette=palette).indices.tolist() == [[0, 0, 1]]
    assert reduce_colors(image, palette=palette, space="lab").indices.tolist() == [[1, 0, 1]]
    rgba = np.dstack([image, np.array([[255, 255, 255]], np.uint8)])
    rgba = np.concatenate([rgba, np.zeros((1, 3, 4), np.uint8)])  # a transparent row
    result = reduce_colors(rgba, palette=palette, space="lab")
    assert result.indices.tolist() == [[1, 0, 1], [2, 2, 2]] and result.transparent_index == 2
    fitted = replace(check_options(None, None, "lab", 0.0, False, palette), fitted_palette=True)
    drawn = reduce_checked(image, None, fitted, np.random.default_rng(0))
    assert drawn.indices.tolist() == [[0, 0, 1]]


@pytest.mark.parametrize("space", ["rgb", "lab"])
@pytest.mark.parametrize("first", [True, False])
def test_an_opaque_pixel_never_takes_a_translucent_entry_when_an_opaque_one_looks_as_near(
        space, first):
    """Matched premultiplied, opaque greys 86..170 went to white of alpha 128, which shows
    as grey 128 over black, and the PNG drew them half transparent; over white it is white.
    Over both backgrounds, greys 128..191 are as near to it as to opaque white: they go to
    the opaque entry, whatever the palette's order."""
    rgba = _grey_ramp_with_a_clear_pixel()
    entries = [[255, 255, 255, 128], [0, 0, 0, 255], [255, 255, 255, 255]]
    palette = np.array(entries if first else entries[1:] + entries[:1], np.uint8)
    result = reduce_colors(rgba, palette=palette, space=space)
    drawn = result.full_palette(alpha=True)[result.indices[0, :256]]
    assert (drawn[:, 3] == 255).all()
    # the darker greys go to black, the lighter to white (Lab splits them at L* 50: 119)
    split = int(np.flatnonzero(drawn[:, 0] == 255)[0])
    assert drawn[:split, 0].tolist() == [0] * split and split == (128 if space == "rgb" else 119)
    assert result.indices[0, 256] == result.transparent_index


@pytest.mark.parametrize("space", ["rgb", "lab"])
@pytest.mark.parametrize("first", [True, False])
def test_dithered_opaque_pixels_take_no_translucent_given_entry_that_looks_no_nearer(
        space, first):
    """Dithered, the error diffusion chose its own premultiplied nearest entry: 99 opaque
    greys took white of alpha 128 (in RGB). No grey looks nearer to it than to black or
    to white, so the ramp is drawn as on black and white alone. (A given palette is
    diffused in RGB whatever the space: in Lab the ramp took 137 whites, 9 levels too
    light on average.)"""
    rgba = _grey_ramp_with_a_clear_pixel()
    entries = [[255, 255, 255, 128], [0, 0, 0, 255], [255, 255, 255, 255]]
    palette = np.array(entries if first else entries[1:] + entries[:1], np.uint8)
    drawn = reduce_colors(rgba, palette=palette, space=space, dither=1.0).to_rgba()
    alone = reduce_colors(rgba, palette=palette[palette[:, 3] == 255], space=space,
                          dither=1.0).to_rgba()
    assert np.array_equal(drawn, alone)
    assert (drawn[0, :256, 3] == 255).all() and drawn[0, 256].tolist() == [0, 0, 0, 0]
    assert int((drawn[0, :256, 0] == 255).sum()) == 129


def test_translucent_pixels_onto_a_given_palette_are_still_matched_premultiplied():
    """Only opaque pixels are kept from translucent entries that look no nearer: white of
    alpha 128 takes that entry, black of alpha 128 opaque black (premultiplied, both are
    black with half the alpha away), and an opaque grey 128 its own opaque entry."""
    rgba = np.array([[[255, 255, 255, 128], [0, 0, 0, 128], [128, 128, 128, 255],
                      [0, 0, 0, 0]]], np.uint8)
    palette = np.array([[128, 128, 128, 255], [255, 255, 255, 128], [0, 0, 0, 255]], np.uint8)
    result = reduce_colors(rgba, palette=palette)
    assert result.indices.tolist() == [[1, 2, 0, 3]] and result.transparent_index == 3


def test_a_palette_of_fully_transparent_entries_alone_is_refused_for_visible_pixels():
    clear = [[0, 0, 0, 0], [9, 9, 9, 0]]
    with pytest.raises(ValueError, match="palette has only fully transparent entries"):
        reduce_colors(np.zeros((2, 2, 3), np.uint8), palette=clear)
    # ... unless nothing is visible: the palette of a fully transparent image maps it
    result = reduce_colors(np.zeros((2, 2, 4), np.uint8), palette=clear)
    assert result.k == 0 and result.indices.tolist() == [[0, 0], [0, 0]]


def test_translucent_pixels_onto_a_palette_without_alpha_are_warned():
    """reduce_file warned that such pixels lose their alpha; reduce_colors drew them opaque
    or transparent without a word."""
    rgba = np.zeros((2, 4, 4), np.uint8)
    rgba[..., 0] = 200
    rgba[..., 3] = [[255, 100, 0, 255], [255, 255, 40, 255]]  # 2 of 8 translucent
    with pytest.warns(AlphaLossWarning) as caught:
        result = reduce_colors(rgba, palette=[[200, 0, 0], [0, 0, 255]])
    assert [str(w.message) for w in caught] == [
        "25% of the pixels are translucent but palette has no translucent entry, so they "
        "are drawn opaque or transparent; give the palette alpha (a fourth column) to keep it"]
    assert caught[0].filename == __file__  # the caller's line, not quantize's
    assert result.indices.tolist() == [[0, 2, 2, 0], [0, 0, 2, 0]]  # alpha 100 nearer clear
    assert result.alpha.tolist() == [255, 255] and result.transparent_index == 2
    with warnings.catch_warnings():  # a translucent entry, binary alpha, no alpha: quiet
        warnings.simplefilter("error", AlphaLossWarning)
        reduce_colors(rgba, palette=[[200, 0, 0, 255], [200, 0, 0, 100]])
        binary = rgba.copy()
        binary[..., 3] = np.where(binary[..., 3] < 128, 0, 255)
        reduce_colors(binary, palette=[[200, 0, 0], [0, 0, 255]])
        reduce_colors(rgba[..., :3].copy(), palette=[[200, 0, 0], [0, 0, 255]])


def test_a_pil_image_of_an_animation_reduces_its_frame_and_says_so(tmp_path):
    # A PIL image of a GIF was reduced as the frame it was at, without a word: the other
    # frames were dropped silently.
    from quantize.animation import FirstFrameWarning

    colours = [(200, 30, 30), (30, 160, 40), (20, 20, 220)]
    frames = []
    for c in colours:
        frame = np.zeros((4, 4, 3), np.uint8)
        frame[:2] = c
        frames.append(Image.fromarray(frame))
    frames[0].save(tmp_path / "a.gif", save_all=True, append_images=frames[1:], duration=50)
    with Image.open(tmp_path / "a.gif") as im:
        im.seek(1)
        with pytest.warns(FirstFrameWarning, match=r"^image is one of the 3 frames \(or pages\) "
                                                   r"of its file, and a PIL image holds one at "
                                                   r"a time: only that one is used; "):
            result = reduce_colors(im, 2, seed=0)
        assert im.tell() == 1
    assert sorted(result.palette.tolist()) == [[0, 0, 0], [30, 160, 40]]
    with Image.open(tmp_path / "a.gif") as im, warnings.catch_warnings():
        warnings.simplefilter("error", FirstFrameWarning)
        reduce_colors(im.convert("RGB"), 2, seed=0)  # a copy holds one frame: no warning


def test_a_pil_image_at_an_apngs_default_image_is_not_called_a_frame(tmp_path):
    # Its warning said "one of the 2 frames": the default image of an APNG is none of them.
    from quantize.animation import FirstFrameWarning

    default = Image.new("RGB", (4, 4), (200, 30, 30))
    frames = [Image.new("RGB", (4, 4), c) for c in ((30, 160, 40), (20, 20, 220))]
    default.save(tmp_path / "a.png", save_all=True, append_images=frames, default_image=True,
                 duration=50)
    with Image.open(tmp_path / "a.png") as im, pytest.warns(
            FirstFrameWarning, match=r"^image is the default image of an APNG of 2 frames, "
                                     r"which viewers with APNG support do not show, and a PIL "
                                     r"image holds one at a time: only that one is used; "):
        warnings.simplefilter("ignore", ColorCountWarning)
        result = reduce_colors(im, 2, seed=0)
    assert result.palette.tolist() == [[200, 30, 30]]


def test_an_animation_read_by_load_image_reduces_its_first_frame_and_says_so(tmp_path):
    # The README's way to read a file for reduce_colors: an animated GIF's other frames
    # were dropped without a word.
    from quantize.animation import FirstFrameWarning
    from quantize.io import load_image

    frames = [Image.new("RGB", (4, 2), c) for c in ((200, 30, 30), (20, 20, 220))]
    for frame in frames:
        frame.putpixel((0, 0), (0, 0, 0))
    frames[0].save(tmp_path / "a.gif", save_all=True, append_images=frames[1:], duration=50)
    with pytest.warns(FirstFrameWarning, match=r"^image holds the first of the 2 frames \(or "
                                               r"pages\) of its file, as load_image reads "
                                               r"them: only that one is used; "):
        result = reduce_colors(load_image(tmp_path / "a.gif"), 2, seed=0)
    assert sorted(result.palette.tolist()) == [[0, 0, 0], [200, 30, 30]]
    frames[0].save(tmp_path / "still.png")
    with warnings.catch_warnings():
        warnings.simplefilter("error", FirstFrameWarning)
        reduce_colors(load_image(tmp_path / "still.png"), 2, seed=0)


def test_a_given_palette_breaks_ties_as_the_fit_does():
    """A pixel as far from two entries takes the one the fit gives it, whatever the order.

    The fit maps onto its entries in colour order (the darker red first here) and then
    sorts them by share; a given palette was matched in its own order, so the tie pixel
    [5, 0, 0] took [10, 0, 0], the first entry, where the fit had given it [0, 0, 0].
    """
    image = np.zeros((1, 301, 3), np.uint8)
    image[0, :200, 0] = 10
    image[0, 200] = [5, 0, 0]
    fitted = reduce_colors(image, 2, seed=0)
    assert fitted.palette.tolist() == [[10, 0, 0], [0, 0, 0]]
    assert fitted.indices[0, 199:202].tolist() == [0, 1, 1]
    for palette in (fitted.palette, fitted.palette[::-1]):
        given = reduce_colors(image, palette=palette)
        assert given.to_rgb()[0, 200].tolist() == [0, 0, 0]
    assert np.array_equal(reduce_colors(image, palette=fitted.palette).indices, fitted.indices)
    # Of a repeated colour, the first row is taken, as before.
    twice = np.array([[0, 0, 0], [10, 0, 0], [0, 0, 0]], np.uint8)
    assert reduce_colors(image, palette=twice).indices[0, 199:202].tolist() == [1, 0, 0]


def test_a_given_palette_with_alpha_breaks_ties_as_the_fit_does():
    """The same with alpha: the entries' colour order, the transparent entry last."""
    image = np.zeros((1, 302, 4), np.uint8)
    image[0, :, 3] = 255
    image[0, :200, 0] = 10
    image[0, 200] = [5, 0, 0, 255]
    image[0, 301] = [0, 0, 0, 0]
    fitted = reduce_colors(image, 2, seed=0)
    assert fitted.palette.tolist() == [[10, 0, 0], [0, 0, 0]]
    assert fitted.alpha.tolist() == [255, 255] and fitted.transparent_index == 2
    assert fitted.indices[0, [199, 200, 301]].tolist() == [0, 1, 2]
    entries = np.column_stack([fitted.palette, fitted.alpha])
    for palette in (entries, entries[::-1]):
        given = reduce_colors(image, palette=palette)
        assert given.to_rgb()[0, 200].tolist() == [0, 0, 0]
    assert np.array_equal(reduce_colors(image, palette=entries).indices, fitted.indices)


@pytest.mark.parametrize("levels", [[0, 1, 128, 254, 255], [0, 255], [0, 7]])
@pytest.mark.parametrize("band", [1, 22, 10**9])
def test_rgba_words_made_a_band_at_a_time_are_those_of_the_whole_image(rng, monkeypatch, band,
                                                                       levels):
    """Made a band of rows at a time (here a row, two, or the whole image at once),
    the translucent pixels' words and the opaque ones' codes are those of the image's
    (H, W, 4) bytes read as little-endian words, in raster order; counted, they give what
    np.unique gives for the visible pixels' words, with or without translucent pixels and
    opaque ones."""
    from quantize.reduce import image
    from quantize.reduce.image import _count_rgba, _split_words

    monkeypatch.setattr(image, "_WORD_BAND_PIXELS", band)
    rgb = rng.integers(0, 3, (13, 11, 3), dtype=np.uint8) * 120
    alpha = rng.choice(np.array(levels, np.uint8), (13, 11))
    words = np.dstack([rgb, alpha]).view("<u4")[..., 0]
    clear = np.empty(np.count_nonzero((alpha > 0) & (alpha < 255)), "<u4")
    codes = np.empty(np.count_nonzero(alpha == 255), "<u4")
    _split_words(rgb, alpha, clear, codes)
    assert np.array_equal(clear, words[(alpha > 0) & (alpha < 255)])
    assert np.array_equal(codes, words[alpha == 255] & 0xFFFFFF)
    pixels = _count_rgba(rgb, alpha)
    distinct, inverse, counts = np.unique(words[alpha > 0], return_inverse=True,
                                          return_counts=True)
    assert np.array_equal(pixels.colors.view("<u4").ravel(), distinct)
    assert np.array_equal(pixels.inverse, inverse) and np.array_equal(pixels.counts, counts)
    assert pixels.hidden == np.count_nonzero(alpha == 0)
    assert pixels.inverse.dtype == np.int32


def test_counting_rgba_colours_copies_no_whole_rgba_image(rng):
    """No (H, W, 4) copy of the image nor a word for every visible pixel, the translucent
    ones' written straight into the sort's keys (the copy and the words: 88 MB at 12 MP;
    the translucent words apart, 40 MB), and int32 rows; each
    pixel's index is read through its row without a 8-byte label a pixel."""
    from quantize.reduce.image import _count_rgba

    rgb = rng.integers(0, 256, (300, 400, 3), dtype=np.uint8)
    alpha = rng.integers(0, 256, (300, 400), dtype=np.uint8)
    assert peak_bytes(lambda: _count_rgba(rgb, alpha), repeats=3) < 37 * alpha.size  # 43 before
    pixels = _count_rgba(rgb, alpha)
    labels = rng.integers(0, 16, pixels.colors.shape[0])
    indices = pixels.indices(labels, 17)
    expected = np.full(alpha.shape, 16)
    expected[alpha > 0] = labels[pixels.inverse]
    assert indices.dtype == np.uint8 and np.array_equal(indices, expected)
    assert peak_bytes(lambda: pixels.indices(labels, 17)) < 5 * alpha.size  # 9 before


@pytest.mark.parametrize("dither", [0.0, 1.0])
def test_a_reduced_image_holds_no_clustering_features_of_its_colours(rng, dither):
    """Once fitted, the histogram's features are let go: the result's metrics use the
    colours and their Lab, and keep the same values."""
    rgb = rng.integers(0, 256, (40, 50, 3), dtype=np.uint8)
    alpha = rng.integers(0, 256, (40, 50), dtype=np.uint8)
    result = reduce_colors(np.dstack([rgb, alpha]), 8, dither=dither, seed=0)
    known = result._fidelity.pairs_known
    assert known is None or "features" not in known.histogram.__dict__
    assert result.psnr == pytest.approx(_premultiplied_psnr(result, rgb, alpha), abs=1e-9)


def _premultiplied_psnr(result, rgb, alpha):
    """PSNR of ``result`` against the image, premultiplied, measured over its pixels
    visible in either."""
    a = alpha[..., None] / 255.0
    drawn = result.to_rgba().astype(np.float64)
    original = np.dstack([rgb * a, alpha]).astype(np.float64)
    shown = np.dstack([drawn[..., :3] * drawn[..., 3:] / 255.0, drawn[..., 3]])
    mse = np.mean(((original - shown) ** 2)[(alpha > 0) | (drawn[..., 3] > 0)])
    return 10 * math.log10(255.0 ** 2 / mse)


# --------------------------------------------------------------------------
# Ordered dithering
# --------------------------------------------------------------------------

BAYER_8 = np.array([[0, 32, 8, 40, 2, 34, 10, 42], [48, 16, 56, 24, 50, 18, 58, 26],
                    [12, 44, 4, 36, 14, 46, 6, 38], [60, 28, 52, 20, 62, 30, 54, 22],
                    [3, 35, 11, 43, 1, 33, 9, 41], [51, 19, 59, 27, 49, 17, 57, 25],
                    [15, 47, 7, 39, 13, 45, 5, 37], [63, 31, 55, 23, 61, 29, 53, 21]])


def test_ordered_dithering_draws_a_flat_grey_as_the_bayer_pattern():
    image = np.full((8, 16, 3), 64, np.uint8)
    result = reduce_colors(image, palette=[[0, 0, 0], [255, 255, 255]], dither="ordered")
    expected = (BAYER_8 < 16).astype(int)
    assert result.indices.tolist() == np.hstack([expected, expected]).tolist()
    assert result.dithered
    assert result.shares.tolist() == [0.75, 0.25]


def test_pattern_dithering_mixes_two_near_entries_of_a_fitted_palette_too():
    """A ramp of greys fitted with 3 entries: every pixel takes its nearest entry or the
    next one along the ramp, never the far end's; a grey half way between two entries
    takes each in 32 cells of a tile."""
    ramp = np.repeat(np.linspace(0, 255, 64).round().astype(np.uint8)[None, :, None], 8, 0)
    image = np.repeat(ramp, 3, axis=2)
    result = reduce_colors(image, 3, dither="pattern", seed=0)
    grey = result.palette[:, 0].astype(int)
    assert result.dithered
    levels = image[..., 0].astype(int)
    order = np.argsort(np.abs(levels[..., None] - grey), axis=2)
    assert ((result.indices == order[..., 0]) | (result.indices == order[..., 1])).all()
    middle = np.full((8, 8, 3), (grey.min() + np.median(grey)) // 2, np.uint8)
    mixed = reduce_colors(middle, palette=result.palette, dither="pattern")
    assert sorted(np.bincount(mixed.indices.ravel()).tolist()) in ([0, 32, 32], [32, 32])


def test_ordered_dithering_leaves_flat_areas_in_palette_colours_alone():
    """Error diffusion would spray the grey's neighbours; ordered dithering mixes only a
    pixel's own colour, so a flat area in an entry's colour keeps it to the pixel."""
    palette = np.array([[0, 0, 0], [128, 128, 128], [255, 255, 255]], np.uint8)
    image = np.zeros((16, 16, 3), np.uint8)
    image[:, 5:11] = 128
    image[:, 11:] = 255
    result = reduce_colors(image, palette=palette, dither="ordered")
    assert np.array_equal(palette[result.indices], image)


def _grey_ramp(width: int) -> np.ndarray:
    """``(8, width, 3)`` uint8: ``width`` greys from 0 to 255, evenly spaced, one a column."""
    row = np.linspace(0, 255, width).round().astype(np.uint8)
    return np.repeat(np.repeat(row[None, :, None], 8, 0), 3, 2)


@pytest.mark.parametrize("dither", ["ordered", "pattern"])
def test_ordered_dithering_at_few_colours_draws_the_ramps_dark_and_light_ends(dither):
    """At k = 2 the fitted entries move outwards as for error diffusion: the ramp of
    greys 0, 17, ..., 255 is drawn with 17 and 238 (the undithered fit's 60 and 196 drew
    nothing darker or lighter), and the columns of those greys keep their entry."""
    image = _grey_ramp(16)
    result = reduce_colors(image, 2, dither=dither, seed=0)
    drawn = result.palette[result.indices][..., 0]
    assert (int(drawn.min()), int(drawn.max())) == (17, 238)
    assert drawn[:, 0].tolist() == [17] * 8 and drawn[:, -1].tolist() == [238] * 8
    on_entry = np.isin(image[..., 0], result.palette[:, 0])
    assert image[on_entry, 0].tolist() == drawn[on_entry].tolist() == [17, 238] * 8


@pytest.mark.parametrize("dither", ["ordered", "pattern"])
@pytest.mark.parametrize("k, strength", [(6, 1.0), (8, 1.0), (12, 0.5)])
def test_ordered_dithering_spreads_the_palette_as_error_diffusion_does(dither, k, strength):
    """The fitted palette is moved outwards as for ``dither=1`` up to 8 colours and as for
    ``dither=0.5`` beyond (before, it was the undithered fit)."""
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (24, 24, 3), dtype=np.uint8)
    diffused = reduce_colors(image, k, dither=strength, seed=1)
    ordered = reduce_colors(image, k, dither=dither, seed=1)
    assert sorted(map(tuple, ordered.palette.tolist())) == sorted(
        map(tuple, diffused.palette.tolist()))
    assert sorted(map(tuple, ordered.palette.tolist())) != sorted(
        map(tuple, reduce_colors(image, k, seed=1).palette.tolist()))


def test_ordered_dithering_mixes_translucent_pixels_alpha_too():
    """A soft edge half way between an opaque entry and the transparent one is drawn as
    coverage: about half its pixels each (alpha is dithered as error diffusion diffuses
    it, one more feature)."""
    rgba = np.zeros((8, 8, 4), np.uint8)
    rgba[..., :3] = 200
    rgba[..., 3] = 128
    rgba[0, 0, 3] = 0  # some pixel fully transparent: the transparent entry is there
    palette = [[200, 200, 200, 255], [200, 200, 200, 128]]
    result = reduce_colors(rgba, palette=palette[:1], dither="ordered")
    clear = result.indices == result.transparent_index
    assert clear[0, 0] and 24 <= int(clear.sum()) <= 40
    assert not clear[BAYER_8 >= 40].any()  # the cells ranked high keep the nearest entry
    kept = reduce_colors(rgba, palette=palette, dither="ordered")
    assert (kept.alpha[kept.indices[rgba[..., 3] > 0]] == 128).all()  # its own entry


def _noise_with_translucent_pixels() -> np.ndarray:
    """48 x 48 noise around (120, 90, 60), 40 % of its pixels at alpha 200 (1,411 opaque)."""
    rng = np.random.default_rng(1)
    rgb = np.clip(rng.normal((120, 90, 60), 40, (48, 48, 3)), 0, 255).astype(np.uint8)
    alpha = np.where(rng.random((48, 48)) < 0.4, 200, 255).astype(np.uint8)
    return np.dstack([rgb, alpha])


@pytest.mark.parametrize("dither, fitted_off, given_off", [(0, 0, 0), (1.0, 1, 0),
                                                            ("ordered", 0, 0)])
def test_opaque_pixels_keep_off_a_fitted_palettes_translucent_entries(dither, fitted_off,
                                                                      given_off):
    """Undithered, 7 of the opaque pixels took a translucent entry of the fitted palette,
    their nearest premultiplied; error diffusion drew 12 so, ordered dithering 24: an
    opaque pixel is kept off translucent entries that look no nearer, as onto a given
    palette, and the fitted palette given back maps every pixel as the fit did
    undithered (dithered onto a given palette, the whole error is passed on, and an
    opaque pixel's colour is mixed from as many entries as it needs). Diffused, a few
    opaque pixels (``fitted_off``, ``given_off``; 3 and 2 when translucent entries were
    moved for dithering) whose colour with its error is far
    from every opaque entry take a translucent one that looks nearer over black and
    over white both, as the rule allows (none with the palette fitted on the error on
    black alone, whose translucent entries sat darker)."""
    image = _noise_with_translucent_pixels()
    opaque = image[..., 3] == 255
    assert int(opaque.sum()) == 1411
    result = reduce_colors(image, 16, dither=dither, seed=0)
    assert (result.alpha < 255).sum() == 5  # the fit has translucent entries
    assert int((opaque & (result.to_rgba()[..., 3] < 255)).sum()) == fitted_off
    palette = np.column_stack([result.palette, result.alpha])
    given = reduce_colors(image, palette=palette, dither=dither)
    assert int((opaque & (given.to_rgba()[..., 3] < 255)).sum()) == given_off
    if dither == 0:
        np.testing.assert_array_equal(given.indices, result.indices)


# --------------------------------------------------------------------------
# Dithering onto a given palette keeps tone and colour
# --------------------------------------------------------------------------

BLACK_WHITE = [[0, 0, 0], [255, 255, 255]]
EPAPER_7 = [[0, 0, 0], [255, 255, 255], [255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 0],
            [255, 128, 0]]


@pytest.mark.parametrize("grey", [16, 32, 64, 200])
def test_a_flat_grey_diffused_onto_black_and_white_keeps_its_level(grey):
    """Passing on three quarters of the error, with no error for pixels near an entry,
    drew greys 16 and 32 all black and 64 at 51.5 (200 at 215.2); the whole error gets
    32 x 32 patches within 2.6 levels (the first rows and columns warm up)."""
    image = np.full((32, 32, 3), grey, np.uint8)
    drawn = reduce_colors(image, palette=BLACK_WHITE, dither=1.0).to_rgb()
    assert abs(drawn.mean() - grey) <= 3
    assert set(np.unique(drawn)) == {0, 255}


@pytest.mark.parametrize("dither, within", [(1.0, 3), ("ordered", 2)])
def test_a_flat_brown_dithered_onto_seven_colours_keeps_its_colour(dither, within):
    """Error diffusion drew (150, 110, 80) as (160.6, 104.3, 64.2) on average, ordered
    dithering, which mixed two entries, as (255, 110, 0); now (150.9, 108.9, 78.2) and
    (151.4, 109.7, 79.7)."""
    image = np.full((32, 32, 3), (150, 110, 80), np.uint8)
    drawn = reduce_colors(image, palette=EPAPER_7, dither=dither).to_rgb()
    mean = drawn.reshape(-1, 3).mean(axis=0)
    assert np.abs(mean - [150, 110, 80]).max() <= within
    assert len(np.unique(drawn.reshape(-1, 3), axis=0)) >= 4  # mixed from several entries


@pytest.mark.parametrize("dither", [1.0, "ordered"])
def test_a_flat_area_in_a_given_entrys_colour_stays_that_entry(dither):
    image = np.full((16, 32, 3), 40, np.uint8)  # a dark grey, dithered, beside ...
    image[:, 16:] = [255, 128, 0]  # ... an orange entry's own colour
    result = reduce_colors(image, palette=EPAPER_7, dither=dither)
    assert (result.indices[:, 16:] == 6).all()
    assert len(np.unique(result.indices[:, :16])) > 1


def test_a_given_palettes_diffusion_scales_with_the_strength():
    """Grey 64 onto black and white: the share of the error passed on is the strength,
    so the level drawn rises with it from the undithered black (0 exactly at 0)."""
    image = np.full((32, 32, 3), 64, np.uint8)
    plain = reduce_colors(image, palette=BLACK_WHITE)
    assert (plain.indices == 0).all()
    off = reduce_colors(image, palette=BLACK_WHITE, dither=0.0)
    assert off.indices.tolist() == plain.indices.tolist() and not off.dithered
    means = [reduce_colors(image, palette=BLACK_WHITE, dither=s).to_rgb().mean()
             for s in (0.5, 0.75, 1.0)]
    assert [round(m, 1) for m in means] == [8.2, 51.8, 63.5]


# A tiny image's indices onto a fitted palette, as the code before given palettes were
# diffused apart gave them: those outputs are unchanged (ordered dithering's since its
# fitted palette moves outwards as for dither=1 at 3 colours).
_TINY_FITTED = {
    1.0: [[1, 1, 1, 1, 1, 0, 0, 0], [1, 1, 1, 0, 1, 0, 1, 0], [1, 2, 1, 1, 0, 0, 0, 0],
          [2, 1, 2, 2, 0, 0, 0, 0], [2, 2, 2, 2, 2, 0, 0, 0], [2, 2, 2, 0, 2, 0, 0, 0]],
    "ordered": [[0, 0, 0, 0, 1, 0, 0, 1], [0, 0, 0, 0, 0, 0, 1, 1], [2, 0, 2, 0, 0, 1, 0, 1],
                [2, 2, 2, 1, 1, 1, 1, 1], [0, 2, 1, 2, 1, 1, 2, 1], [2, 2, 2, 2, 2, 2, 1, 1]],
}


def _tiny_ramps() -> np.ndarray:
    y, x = np.mgrid[0:6, 0:8]
    return np.dstack([x * 30, y * 40, (x + y) * 12]).astype(np.uint8)


@pytest.mark.parametrize("dither", [1.0, "ordered"])
def test_a_fitted_palettes_dithered_indices_are_unchanged(dither):
    result = reduce_colors(_tiny_ramps(), 3, dither=dither, seed=0)
    assert result.indices.tolist() == _TINY_FITTED[dither]


_TINY_FITTED_LAB = {
    1.0: [[2, 2, 0, 0, 0, 0, 0, 0], [2, 2, 2, 2, 0, 0, 0, 0], [2, 2, 2, 2, 2, 0, 0, 0],
          [1, 1, 1, 2, 1, 0, 2, 0], [1, 1, 1, 1, 2, 1, 0, 1], [1, 1, 1, 1, 1, 1, 1, 0]],
    "ordered": [[1, 2, 2, 1, 2, 1, 1, 1], [2, 2, 2, 1, 1, 1, 1, 1], [0, 2, 0, 2, 1, 1, 2, 1],
                [0, 0, 0, 0, 2, 2, 1, 1], [2, 0, 2, 0, 2, 0, 0, 1], [0, 0, 0, 0, 0, 0, 0, 0]],
}
# With alpha, as given since the fit is made around the transparent entry (before, since
# Lab's features balance black and white as RGB's do; the translucent run moves the fit,
# so the opaque pixels' entries are others too).
_TINY_FITTED_LAB_ALPHA = {
    1.0: [[3, 3, 3, 1, 1, 1, 1, 1], [0, 0, 0, 1, 0, 1, 1, 1], [0, 0, 0, 0, 0, 1, 1, 1],
          [2, 0, 0, 0, 0, 0, 0, 1], [2, 2, 2, 0, 0, 0, 0, 0], [2, 2, 2, 2, 2, 3, 0, 3]],
    "ordered": [[3, 3, 3, 1, 0, 1, 1, 1], [0, 0, 0, 0, 1, 1, 1, 1], [2, 0, 0, 0, 1, 1, 0, 1],
                [2, 2, 0, 0, 0, 0, 0, 0], [0, 2, 0, 2, 2, 0, 0, 0], [2, 2, 2, 2, 2, 3, 3, 0]],
}


@pytest.mark.parametrize("dither", [1.0, "ordered"])
def test_a_fitted_palettes_dithered_indices_in_lab_are_unchanged(dither):
    """A given palette is dithered in RGB; a fitted one keeps its space: these are the
    indices the code before gave, with alpha (a transparent run, a translucent one) too
    (diffused with alpha, one pixel other since an entry made opaque takes its colours
    weighted by their alpha)."""
    image = _tiny_ramps()
    result = reduce_colors(image, 3, dither=dither, seed=0, space="lab")
    assert result.indices.tolist() == _TINY_FITTED_LAB[dither]
    alpha = np.full((6, 8), 255, np.uint8)
    alpha[0, :3], alpha[5, 5:] = 0, 120
    result = reduce_colors(np.dstack([image, alpha]), 3, dither=dither, seed=0, space="lab")
    assert result.indices.tolist() == _TINY_FITTED_LAB_ALPHA[dither]


@pytest.mark.parametrize("alpha", [False, True])
def test_ordered_dithering_onto_a_given_palette_mixes_an_image_with_alpha_as_an_opaque_one(
        alpha):
    """With any alpha, the brown's opaque pixels were mixed between two entries, the
    nearest and the next, and came out (255, 110, 0) on average; now as the opaque
    image's, each from its colour's mix of up to 64 entries, (151.4, 109.7, 79.7), and
    the transparent pixel takes the transparent entry, as with error diffusion."""
    image = np.full((32, 32, 3), (150, 110, 80), np.uint8)
    opaque = reduce_colors(image, palette=EPAPER_7, dither="ordered")
    rgba = np.dstack([image, np.full((32, 32), 255, np.uint8)])
    rgba[5, 7, 3] = 0
    palette = np.column_stack([EPAPER_7, np.full(7, 255)]) if alpha else EPAPER_7
    result = reduce_colors(rgba, palette=palette, dither="ordered")
    assert result.indices[5, 7] == result.transparent_index == 7
    shown = np.ones((32, 32), bool)
    shown[5, 7] = False
    assert result.indices[shown].tolist() == opaque.indices[shown].tolist()
    assert opaque.to_rgb().reshape(-1, 3).mean(axis=0).round(1).tolist() == [151.4, 109.7, 79.7]
    assert result.to_rgb()[shown].mean(axis=0).round(1).tolist() == [151.3, 109.6, 79.8]


def test_ordered_onto_a_given_palette_mixes_opaque_pixels_from_opaque_entries():
    """A dull red (160, 60, 60) with alpha was mixed from red and black, (159.4, 0, 0) on
    average; now from its mix of the opaque entries (red, black and white), and never
    the translucent white; pixels at alpha 64 are mixed, as before, between their
    nearest entry and the transparent one (coverage)."""
    palette = [[0, 0, 0, 255], [255, 255, 255, 255], [255, 0, 0, 255], [255, 255, 255, 128]]
    rgba = np.zeros((8, 16, 4), np.uint8)
    rgba[..., :3], rgba[..., 3] = (160, 60, 60), 255
    rgba[:, 8:] = [255, 255, 255, 64]
    rgba[0, 8, 3] = 0
    result = reduce_colors(rgba, palette=palette, dither="ordered")
    assert np.bincount(result.indices[:, :8].ravel(), minlength=5).tolist() == [24, 15, 25, 0, 0]
    assert result.to_rgb()[:, :8].reshape(-1, 3).mean(axis=0).round(1).tolist() == [
        159.4, 59.8, 59.8]
    assert np.bincount(result.indices[:, 8:].ravel(), minlength=5).tolist() == [0, 0, 0, 32, 32]


@pytest.mark.parametrize("colour", [(0, 128, 128), (128, 0, 128)])
@pytest.mark.parametrize("alpha", [False, True])
def test_diffusion_onto_a_given_palette_in_lab_keeps_the_hue(colour, alpha):
    """Diffused in Lab, teal came out black and white, (123.2, 123.2, 123.2) on
    average, and purple at half its brightness, (63.5, 2.1, 127.4): a given palette is
    diffused in RGB, whatever the space, as the default space diffuses it."""
    image = np.full((32, 32, 3), colour, np.uint8)
    if alpha:
        image = np.dstack([image, np.full((32, 32), 255, np.uint8)])
        image[0, 0, 3] = 0
    lab = reduce_colors(image, palette=EPAPER_7, dither=1.0, space="lab")
    rgb = reduce_colors(image, palette=EPAPER_7, dither=1.0)
    assert lab.indices.tolist() == rgb.indices.tolist()
    mean = lab.to_rgb()[1:].reshape(-1, 3).mean(axis=0)  # the first row, transparent pixel
    assert np.abs(mean - colour).max() <= 1.5


@pytest.mark.parametrize("table_from", [1, 1 << 62])
def test_rgba_reduced_with_features_from_the_table_or_computed_alike(monkeypatch, table_from):
    """The RGBA features read from quantize.colors' table (from one colour on, here) and
    those computed (never from the table) give one result, dithered or not: a 4 x 4
    ramp under a soft alpha with two transparent pixels, which take entry 3 (fitted around
    it since it is one: undithered, mean squared errors 532.5 on black and 645.0 on white,
    546.1 and 665.3 before). Its opaque entries' colours are their pixels' weighted by
    their alpha (before, the mean of what they show on black and on white: [40, 92, 200]
    and [152, 94, 89], dithered [7, 88, 230] and [175, 91, 65]; psnr_on's squared errors
    608.6 / 737.2 on black / white, now 601.5 / 759.1; dithered 1378.9 / 1545.6, now
    1369.9 / 1540.9)."""
    monkeypatch.setattr(colors_module, "_TABLE_FROM", table_from)
    image = np.zeros((4, 4, 4), np.uint8)
    image[..., 0] = np.arange(0, 240, 15).reshape(4, 4)
    image[..., 1] = 90
    image[..., 2] = np.arange(240, 0, -15).reshape(4, 4)
    image[..., 3] = [[255, 255, 200, 120], [255, 255, 160, 60], [255, 230, 100, 0],
                     [255, 180, 40, 0]]
    plain = reduce_colors(image, 3, seed=0)
    assert plain.indices.tolist() == [[1, 1, 1, 0], [1, 1, 0, 0], [2, 2, 0, 3], [2, 2, 3, 3]]
    assert plain.palette.tolist() == [[93, 90, 147], [36, 90, 204], [155, 90, 85]]
    assert plain.alpha.tolist() == [110, 255, 255]
    dithered = reduce_colors(image, 3, dither=True, seed=0)
    assert dithered.indices.tolist() == [[1, 1, 1, 0], [1, 2, 0, 0], [2, 2, 0, 3],
                                         [2, 0, 3, 3]]
    assert dithered.palette.tolist() == [[93, 90, 147], [8, 86, 230], [174, 87, 65]]
    assert dithered.alpha.tolist() == [110, 255, 255]


@pytest.mark.parametrize("k", [16, 24])
def test_argmin_in_float64_changes_no_byte_of_a_reduction(rng, monkeypatch, k):
    # A 64 px gradient with seeded noise: some 4,000 colours, whose nearest-centre
    # searches over 16 or 24 centres take their argmin in float64.
    from quantize import _kernels

    ramp = np.linspace(0, 200, 64)
    img = np.stack(np.broadcast_arrays(ramp[:, None], ramp[None, :], 100.0), axis=-1)
    img = np.clip(img + rng.normal(0, 12, img.shape), 0, 255).astype(np.uint8)
    faster = reduce_colors(img, k, seed=3)
    monkeypatch.setattr(_kernels, "_argmin_ready", lambda block: block)  # float32 argmin
    plain = reduce_colors(img, k, seed=3)
    assert faster.palette.shape[0] == k
    np.testing.assert_array_equal(faster.palette, plain.palette)
    np.testing.assert_array_equal(faster.to_rgb(), plain.to_rgb())
