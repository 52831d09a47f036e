"""quantize.colors: histograms, features, premultiplied alpha, 24-bit codes and CIEDE2000."""

from __future__ import annotations

import numpy as np
import pytest
from skimage import color as skcolor

from quantize import colors as colors_module
from quantize.colors import (
    _SQ_CHUNK,
    _TABLE_FROM,
    _TABLE_MIN_CODES,
    LAB_ALPHA_SCALE,
    ciede2000,
    code_histogram,
    color_histogram,
    features_of,
    from_premultiplied,
    lab_of,
    lab_to_srgb,
    mean_ciede2000,
    mean_squared_error,
    merge_colors,
    nearest_ciede2000,
    pack_rgb,
    premultiplied_features,
    premultiply,
    srgb_to_lab,
    to_premultiplied,
    unpack_codes,
)


def test_merge_colors_adds_the_weights_of_repeated_colours(rng):
    colors = rng.integers(0, 4, (200, 3), dtype=np.uint8)  # many repeats
    counts = rng.random(200)
    merged, totals = merge_colors(colors, counts)
    assert len(np.unique(merged, axis=0)) == len(merged)
    for c, t in zip(merged, totals, strict=True):
        assert t == pytest.approx(counts[(colors == c).all(axis=1)].sum())
    assert totals.sum() == pytest.approx(counts.sum())


def test_merge_colors_agrees_with_the_histogram_of_repeated_pixels(rng):
    colors = rng.integers(0, 3, (50, 3), dtype=np.uint8)
    counts = rng.integers(1, 5, 50)
    merged, totals = merge_colors(colors, counts)
    hist_colors, hist_counts = color_histogram(np.repeat(colors, counts, axis=0))
    assert np.array_equal(merged, hist_colors) and np.array_equal(totals, hist_counts)


def test_rgb_features_are_the_values_and_lab_features_are_lab(rng):
    colors = rng.integers(0, 256, (20, 3), dtype=np.uint8)
    assert np.array_equal(features_of(colors, "rgb"), colors.astype(np.float32))
    assert np.array_equal(features_of(colors, "lab"), srgb_to_lab(colors))


def test_many_rgba_features_read_from_the_table_are_those_computed_to_the_bit():
    """From _TABLE_FROM RGBA colours, features_of in RGB reads each (level, alpha) pair's
    features from a table: every level of each channel at every alpha, and the alpha
    features, are the float32 values premultiplied_features computes, bit for bit."""
    levels = np.arange(256, dtype=np.uint8)
    colors = np.empty((1 << 16, 4), np.uint8)
    colors[:, 0] = np.tile(levels, 256)
    colors[:, 1] = colors[::-1, 0]
    colors[:, 2] = np.roll(colors[:, 0], 7)
    colors[:, 3] = np.repeat(levels, 256)
    assert colors.shape[0] >= _TABLE_FROM
    got = features_of(colors[::-1], "rgb")  # a view with a negative stride too
    want = premultiplied_features(colors[::-1].copy(), "rgb")
    assert got.dtype == np.float32
    assert np.array_equal(got.view(np.uint32), want.view(np.uint32))


def test_the_feature_table_is_made_once_and_only_for_many_rgba_colours_in_rgb(rng, spy):
    """Below _TABLE_FROM colours, and in Lab, the features are computed (the table, made
    from 65,536 colours, would cost more than it saves); the table is made once."""
    made = spy(colors_module, "premultiplied_features", lambda colors, space: colors.shape[0])
    colors_module._feature_table.cache_clear()
    few = rng.integers(0, 256, (_TABLE_FROM - 1, 4), dtype=np.uint8)
    features_of(few, "rgb")
    many = rng.integers(0, 256, (_TABLE_FROM, 4), dtype=np.uint8)
    features_of(many, "lab")
    assert made == [_TABLE_FROM - 1, _TABLE_FROM]
    features_of(many, "rgb")
    features_of(many, "rgb")
    assert made[2:] == [1 << 16]


@pytest.mark.parametrize("space", ["rgb", "lab"])
def test_rgba_features_map_back_to_the_premultiplied_colour_and_alpha(rng, space):
    rgba = rng.integers(0, 256, (20, 4), dtype=np.uint8)
    got = features_of(rgba, space)
    colour = features_of(rgba[:, :3], space)
    assert got.shape == (20, 4)
    back = to_premultiplied(got.astype(np.float64), space)
    assert np.allclose(back[:, :3], colour * rgba[:, 3:] / 255.0, atol=1e-3)
    assert np.allclose(back[:, 3], rgba[:, 3], atol=1e-4)
    assert np.allclose(from_premultiplied(back, space), got, atol=1e-3)


def test_lab_feature_distance_is_the_mean_error_on_black_and_on_white_composited_in_lab(rng):
    """As in RGB, with Lab composited in Lab: premultiplied Lab on black, lighter by
    (255 - alpha) * 100 / 255 on white. Fitted on the premultiplied Lab and alpha, the
    error on black and alpha's, icons with soft alpha were 0.9-1.3 dB behind pngquant's
    on white."""
    a, b = (rng.integers(0, 256, (50, 4), dtype=np.uint8) for _ in range(2))
    got = np.sum((features_of(a, "lab").astype(np.float64) - features_of(b, "lab")) ** 2, axis=1)
    white = np.array([LAB_ALPHA_SCALE * 255.0, 0.0, 0.0])
    on = {level: [srgb_to_lab(x[:, :3]) * (x[:, 3:] / 255.0) + level * (1 - x[:, 3:] / 255.0)
                  * white for x in (a, b)] for level in (0.0, 1.0)}
    mean = sum(np.sum((x - y) ** 2, axis=1) for x, y in on.values()) / 2
    assert np.allclose(got, mean, rtol=1e-4, atol=1e-2)
    opaque = a[:, :3]  # opaque colours keep their Lab, then 0
    assert np.allclose(features_of(np.column_stack([opaque, np.full(50, 255, np.uint8)]), "lab"),
                       np.column_stack([srgb_to_lab(opaque), np.zeros(50)]), atol=1e-4)


def test_rgba_feature_distance_is_the_mean_error_on_black_and_on_white(rng):
    """A palette fitted on these features serves a page of either colour: dark
    translucent colours that differ in alpha alone look alike on black, not on white."""
    a, b = (rng.integers(0, 256, (50, 4), dtype=np.uint8) for _ in range(2))
    got = np.sum((features_of(a, "rgb").astype(np.float64) - features_of(b, "rgb")) ** 2, axis=1)
    on = {level: [premultiply(x)[:, :3] + level * (1 - x[:, 3:] / 255.0) for x in (a, b)]
          for level in (0.0, 255.0)}
    mean = sum(np.sum((x - y) ** 2, axis=1) for x, y in on.values()) / 2
    assert np.allclose(got, mean, rtol=1e-5, atol=1e-2)


def test_fully_transparent_colours_have_the_same_features_whatever_their_rgb():
    clear = np.array([[255, 0, 255, 0], [0, 0, 0, 0], [12, 200, 7, 0]], np.uint8)
    for space in ("rgb", "lab"):
        got = features_of(clear, space)
        assert np.allclose(got, got[1], atol=1e-5)
    assert np.allclose(features_of(clear, "lab"), [50.0, 0.0, 0.0, 50.0], atol=1e-5)  # grey


def test_premultiply_and_lab_of_show_colours_over_black():
    rgba = np.array([[200, 100, 50, 255], [200, 100, 50, 51], [9, 9, 9, 0]], np.uint8)
    pre = premultiply(rgba)
    assert pre.tolist() == [[200, 100, 50, 255], [40, 20, 10, 51], [0, 0, 0, 0]]
    shown = np.array([[200, 100, 50], [40, 20, 10], [0, 0, 0]], np.uint8)
    assert np.array_equal(lab_of(rgba), srgb_to_lab(shown))
    assert np.array_equal(premultiply(shown), shown.astype(float))  # no alpha: as is


def test_lab_of_composites_many_colours_chunk_by_chunk(rng, spy):
    # The float64 premultiplied copies are made a chunk at a time, not of every colour at
    # once (0.8 GB for the 7 M colours of a 12 MP photo with soft alpha).
    import quantize.colors as colors_module
    rgba = rng.integers(0, 256, (2 * _SQ_CHUNK + 5, 4), dtype=np.uint8)
    rows_seen = spy(colors_module, "premultiply", lambda colors: colors.shape[0])
    lab = lab_of(rgba)
    assert rows_seen == [_SQ_CHUNK, _SQ_CHUNK, 5]
    pre = rgba[:, :3].astype(np.float64) * (rgba[:, 3:] / 255.0)
    assert np.array_equal(lab, srgb_to_lab(np.clip(np.rint(pre), 0, 255).astype(np.uint8)))


def test_code_histogram_by_table_equals_by_sorting(rng):
    # Enough codes to be counted in a table of all codes; the extremes included.
    codes = rng.integers(0, 5000, _TABLE_MIN_CODES + 7).astype(np.uint32)
    codes[-3:] = [0xFFFFFF, 0xFFFFFF, 0]
    distinct, counts = code_histogram(codes.reshape(-1, 1))
    expected, expected_counts = np.unique(codes, return_counts=True)
    assert np.array_equal(distinct, expected) and np.array_equal(counts, expected_counts)
    assert distinct.dtype == np.uint32 and counts.dtype == np.int64 and counts[-1] == 2
    few, few_counts = code_histogram(codes[-9:])  # sorted: the same answer
    assert few.dtype == np.uint32 and few[-1] == 0xFFFFFF and few_counts[-1] == 2


def test_code_histogram_of_nothing_is_empty():
    distinct, counts = code_histogram(np.zeros(0, dtype=np.uint32))
    assert distinct.size == 0 and counts.size == 0 and counts.dtype == np.int64


def test_histogram_counts_colours_and_skips_transparent_pixels():
    rgb = np.array([[[1, 2, 3], [1, 2, 3], [9, 9, 9]], [[9, 9, 9], [4, 5, 6], [1, 2, 3]]],
                   np.uint8)
    alpha = np.array([[255, 255, 0], [10, 255, 255]], np.uint8)
    colors, counts = color_histogram(rgb, alpha)
    assert colors.tolist() == [[1, 2, 3], [4, 5, 6], [9, 9, 9]]
    assert counts.tolist() == [3, 1, 1]


@pytest.mark.parametrize("alpha", [np.full((1, 2), -1), np.full((1, 2), 0.4),
                                   np.full((1, 2), 300), np.ones((1, 2), bool)])
def test_histogram_refuses_alpha_that_is_not_uint8(alpha):
    # alpha -1 dropped the pixels and 0.4 or 300 counted them, without a word
    rgb = np.zeros((1, 2, 3), np.uint8)
    with pytest.raises(TypeError, match=rf"^alpha should have dtype uint8, got {alpha.dtype}$"):
        color_histogram(rgb, alpha)


# Each public conversion refuses what its tables would misread: srgb_to_lab read -1 as
# 255 (white), 0.5 raised an IndexError, pack_rgb packed 300 as 44 and 0.5 as 0, and
# lab_to_srgb turned NaN into black, all without naming the parameter.
@pytest.mark.parametrize("call, error, message", [
    (lambda: srgb_to_lab(np.full((2, 3), -1)), TypeError,
     "colors should have dtype uint8 (values 0..255), got int64"),
    (lambda: srgb_to_lab(np.full((2, 3), 0.5)), TypeError,
     "colors should have dtype uint8 (values 0..255), got float64; for floats in [0, 1], "
     "pass np.rint(x * 255).astype(np.uint8)"),
    (lambda: srgb_to_lab(np.zeros((2, 4), np.uint8)), ValueError,
     "colors should have shape (..., 3), got (2, 4)"),
    (lambda: srgb_to_lab([[1, 2, 3]]), TypeError,
     "colors should have dtype uint8 (values 0..255), got int64"),
    (lambda: pack_rgb(np.full((2, 3), 300, np.uint16)), TypeError,
     "rgb should have dtype uint8 (values 0..255), got uint16"),
    (lambda: pack_rgb(np.ones((2, 3), bool)), TypeError,
     "rgb should have dtype uint8 (values 0..255), got bool"),
    (lambda: lab_of(np.full((2, 3), 0.5)), TypeError,
     "colors should have dtype uint8 (values 0..255), got float64; for floats in [0, 1], "
     "pass np.rint(x * 255).astype(np.uint8)"),
    (lambda: lab_of(np.zeros(3, np.uint8)), ValueError,
     "colors should have shape (m, 3) or (m, 4), got (3,)"),
    (lambda: premultiply(np.full((2, 4), 300)), TypeError,
     "colors should have dtype uint8 (values 0..255), got int64"),
    (lambda: features_of(np.zeros((2, 3), np.uint8), "hsv"), ValueError,
     "space='hsv' is not valid; expected one of 'rgb', 'lab'"),
    (lambda: features_of(np.zeros((2, 3)), "rgb"), TypeError,
     "colors should have dtype uint8 (values 0..255), got float64; for floats in [0, 1], "
     "pass np.rint(x * 255).astype(np.uint8)"),
    (lambda: lab_to_srgb(np.full((1, 3), np.nan)), ValueError,
     "lab contains NaN or infinite values; expected finite numbers"),
    (lambda: lab_to_srgb(np.zeros((1, 2))), ValueError,
     "lab should have shape (..., 3), got (1, 2)"),
    (lambda: lab_to_srgb(np.array([["a", "b", "c"]])), TypeError,
     "lab should be a real numeric array of CIE Lab colours, got dtype <U1"),
    (lambda: ciede2000(np.zeros((5, 3)), np.zeros((7, 3))), ValueError,
     "lab1 and lab2 should have the same shape (or shapes that broadcast together), got "
     "(5, 3) and (7, 3)"),
    (lambda: ciede2000(np.zeros((7, 3)), np.zeros((5, 3))), ValueError,
     "lab1 and lab2 should have the same shape (or shapes that broadcast together), got "
     "(7, 3) and (5, 3)"),
    (lambda: ciede2000(np.zeros((2, 2)), np.zeros((2, 3))), ValueError,
     "lab1 should have shape (..., 3), got (2, 2)"),
    (lambda: ciede2000(np.zeros((1, 3)), np.full((1, 3), np.inf)), ValueError,
     "lab2 contains NaN or infinite values; expected finite numbers"),
    (lambda: ciede2000([["a", "b", "c"]], np.zeros((1, 3))), TypeError,
     "lab1 should be a real numeric array of CIE Lab colours, got dtype <U1"),
])
def test_conversions_refuse_colours_their_tables_would_misread(call, error, message):
    with pytest.raises(error) as caught:
        call()
    assert str(caught.value) == message


def test_conversions_take_uint8_of_any_shape_and_integer_lab():
    rgb = np.array([[[255, 0, 0], [0, 0, 0]]], np.uint8)  # (1, 2, 3): an image
    assert srgb_to_lab(rgb).shape == (1, 2, 3) and pack_rgb(rgb).tolist() == [[0xFF0000, 0]]
    assert lab_to_srgb(np.array([[100, 0, 0]])).tolist() == [[255, 255, 255]]


def test_pack_and_unpack_round_trip(rng):
    colors = rng.integers(0, 256, (100, 3), dtype=np.uint8)
    assert np.array_equal(unpack_codes(pack_rgb(colors)), colors)


def test_ciede2000_matches_skimage_including_neutral_and_wrapping_hues(rng):
    lab1 = rng.uniform([0, -100, -100], [100, 100, 100], (4000, 3))
    lab2 = lab1 + rng.normal(0, 5, lab1.shape)
    lab2[:500] = rng.uniform([0, -100, -100], [100, 100, 100], (500, 3))  # far apart
    lab1[500:600, 1:] = 0  # neutral greys: zero chroma
    lab1[600:700] = [50, -30, 1]  # hues either side of 180 degrees
    lab2[600:700] = [50, -30, -1]
    expected = skcolor.deltaE_ciede2000(lab1, lab2)
    assert np.abs(ciede2000(lab1, lab2) - expected).max() < 1e-3


def test_nearest_ciede2000_takes_the_entry_of_least_ciede2000_among_all_of_few(rng):
    """With no more entries than the shortlist, every entry is compared: the one taken has
    the least CIEDE2000 as scikit-image computes it (up to float32 rounding)."""
    lab = srgb_to_lab(rng.integers(0, 256, (2000, 3), dtype=np.uint8))
    entries = srgb_to_lab(rng.integers(0, 256, (12, 3), dtype=np.uint8))
    taken = nearest_ciede2000(lab, entries)
    every = skcolor.deltaE_ciede2000(lab[:, None, :].astype(np.float64),
                                     entries[None].astype(np.float64))
    assert np.all(every[np.arange(len(lab)), taken] <= every.min(axis=1) + 1e-3)
    assert (taken == every.argmin(axis=1)).mean() > 0.999


def test_nearest_ciede2000_of_many_entries_is_never_worse_than_the_lab_nearest(rng):
    """Of 300 entries, the 16 nearest in Lab are compared: the Lab-nearest among them, so
    the one taken is never farther by CIEDE2000, and for many colours it is nearer."""
    lab = srgb_to_lab(rng.integers(0, 256, (3000, 3), dtype=np.uint8))
    entries = srgb_to_lab(rng.integers(0, 256, (300, 3), dtype=np.uint8))
    taken = nearest_ciede2000(lab, entries)
    lab_nearest = (((lab[:, None, :] - entries[None]) ** 2).sum(axis=2)).argmin(axis=1)
    de_taken, de_lab = ciede2000(lab, entries[taken]), ciede2000(lab, entries[lab_nearest])
    assert np.all(de_taken <= de_lab)
    assert (de_taken < de_lab - 0.01).sum() > 100


def test_nearest_ciede2000_gives_a_tie_to_the_lower_index():
    entries = srgb_to_lab(np.array([[9, 9, 9], [200, 10, 10], [200, 10, 10]], np.uint8))
    lab = srgb_to_lab(np.array([[190, 20, 20], [200, 10, 10]], np.uint8))
    assert nearest_ciede2000(lab, entries).tolist() == [1, 1]


def test_ciede2000_of_lab_images_is_per_pixel_as_in_skimage(rng):
    """(H, W, 3) images give an (H, W) map, as skimage.color.deltaE_ciede2000 does; one
    colour broadcasts against many; a single pair gives a 0-d array."""
    lab1 = rng.uniform([0, -100, -100], [100, 100, 100], (4, 5, 3))
    lab2 = rng.uniform([0, -100, -100], [100, 100, 100], (4, 5, 3))
    d = ciede2000(lab1, lab2)
    assert d.shape == (4, 5) and d.dtype == np.float32
    assert np.abs(d - skcolor.deltaE_ciede2000(lab1, lab2)).max() < 1e-3
    assert np.array_equal(ciede2000(lab1[0], lab2[0, 0]), ciede2000(lab1[0], lab2[[0] * 5, 0]))
    assert ciede2000(lab1[0, 0], lab2[0, 0]).shape == ()
    assert ciede2000([[50, 0, 0]], [[50, 0, 0]]).tolist() == [0.0]


def test_ciede2000_leaves_its_inputs_alone(rng):
    lab1 = rng.uniform([0, -100, -100], [100, 100, 100], (6, 3))
    lab2 = lab1[::-1].copy()
    before = lab1.copy(), lab2.copy()
    ciede2000(lab1, lab2)
    assert np.array_equal(lab1, before[0]) and np.array_equal(lab2, before[1])


@pytest.mark.parametrize("weighted", [False, True])
def test_mean_ciede2000_in_chunks_of_entries_equals_the_mean_over_all_pairs(
        rng, monkeypatch, weighted):
    """Colours against a table of entries, gathered chunk by chunk: the mean over all
    the pairs at once, weighted or not, whether the pairs span one chunk or several."""
    from quantize import colors

    lab = rng.uniform([0, -100, -100], [100, 100, 100], (1000, 3))
    table = rng.uniform([0, -100, -100], [100, 100, 100], (7, 3))
    rows = rng.integers(0, 7, 1000)
    w = rng.random(1000) if weighted else None
    d = ciede2000(lab, table[rows]).astype(np.float64)
    expected = np.average(d, weights=w)
    assert mean_ciede2000(lab, table, w, rows=rows) == pytest.approx(expected, rel=1e-12)
    monkeypatch.setattr(colors, "_MEAN_DE_CHUNK", 64)
    assert mean_ciede2000(lab, table, w, rows=rows) == pytest.approx(expected, rel=1e-12)
    assert mean_ciede2000(lab, table[rows], w) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("channels", [3, 4])
def test_mean_squared_error_in_chunks_equals_the_formula_on_all_pairs(rng, channels):
    n = 2 * _SQ_CHUNK + 17  # three chunks, the last one short
    a = rng.integers(0, 256, (n, channels), dtype=np.uint8)
    b = rng.integers(0, 256, (n, channels), dtype=np.uint8)
    weights = rng.integers(1, 50, n)
    sq = ((a.astype(float) - b.astype(float)) ** 2).mean(axis=1)
    assert mean_squared_error(a, b) == pytest.approx(sq.mean(), rel=1e-12)
    assert mean_squared_error(a, b, weights) == pytest.approx(sq @ weights / weights.sum(),
                                                              rel=1e-12)
    pm = ((premultiply(a) - premultiply(b)) ** 2).mean(axis=1)
    assert mean_squared_error(a, b, weights, premultiplied=True) == pytest.approx(
        pm @ weights / weights.sum(), rel=1e-12)


def test_hue_angles_agree_with_arctan2_everywhere_on_the_circle(rng):
    from quantize.colors import _hue

    a = rng.normal(0, 60, 200_000).astype(np.float32)
    b = rng.normal(0, 60, 200_000).astype(np.float32)
    a[:100], b[100:200], a[200:300] = 0, 0, a[200:300] * 1e-6  # axes, near-axes
    a[300:400], b[300:400] = 0, 0  # no hue: 0 by convention, as arctan2 gives
    b[400:500] = -0.0
    expected = np.arctan2(b.astype(np.float64), a.astype(np.float64)) % (2 * np.pi)
    got = _hue(b, a).astype(np.float64)
    gap = np.abs(got - expected)
    assert np.minimum(gap, 2 * np.pi - gap).max() < 1e-6
    assert got.min() >= 0 and got.max() <= 2 * np.pi + 1e-6
    assert (got[300:400] == 0).all()
