"""quantize.reduce.shared: one palette for many images: sample, merge, fit, map."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from quantize.reduce import ColorCountWarning, check_reduce_options, fit_palette, reduce_file
from quantize.reduce.shared import (
    ColorPool,
    fit_shared_palette,
    merge_histograms,
    options_with_palette,
    sample_colors,
)

from .reduce_support import COLOURS, read_rgb, rgba_input


def test_sample_colors_draws_opaque_pixels_only(tmp_path):
    src = tmp_path / "alpha.png"
    rgba_input(src)  # rows 0-1 transparent
    colors, counts = sample_colors(src, 500, seed=0)
    assert counts.sum() == 500
    assert set(map(tuple, colors.tolist())) <= set(map(tuple, COLOURS.tolist()))
    again = sample_colors(src, 500, seed=0)
    assert np.array_equal(again[0], colors) and np.array_equal(again[1], counts)


def test_an_animation_is_sampled_on_every_frame(tmp_path):
    # Only the first frame was sampled: a shared palette then had no entry for the
    # colours of the later frames, and a clip red, green, blue, yellow came out red,
    # black, red (found with batch --shared-palette over a folder with a GIF).
    frames = [Image.fromarray(np.full((8, 8, 3), c, np.uint8)) for c in COLOURS[:4]]
    half = np.full((8, 8, 4), (*COLOURS[4], 255), np.uint8)
    half[:, :4, 3] = 0  # transparent in the written animation: never drawn
    frames.append(Image.fromarray(half, "RGBA"))
    src = tmp_path / "clip.png"
    frames[0].save(src, save_all=True, append_images=frames[1:], duration=50)
    colors, counts = sample_colors(src, 900, seed=0)
    assert colors.shape[1] == 3 and counts.sum() == 900
    assert sorted(map(tuple, colors.tolist())) == sorted(map(tuple, COLOURS[:5].tolist()))
    # 64 pixels in each of the first four frames, 32 of the fifth's colour
    assert abs(counts[(colors == COLOURS[4]).all(axis=1)][0] - 100) < 40
    again = sample_colors(src, 900, seed=0)
    assert np.array_equal(again[0], colors) and np.array_equal(again[1], counts)


def test_translucent_pixels_are_drawn_with_their_alpha(tmp_path):
    rgba = np.zeros((4, 6, 4), np.uint8)
    rgba[..., :3] = COLOURS[:6]
    rgba[..., 3] = [[0], [60], [180], [255]]
    Image.fromarray(rgba).save(tmp_path / "soft.png")
    colors, counts = sample_colors(tmp_path / "soft.png", 2000, seed=0)
    assert colors.shape[1] == 4 and counts.sum() == 2000
    drawn = set(map(tuple, colors.tolist()))
    assert drawn <= {tuple(p) for p in rgba.reshape(-1, 4).tolist() if p[3] > 0}
    assert {c[3] for c in drawn} == {60, 180, 255}


def test_binary_alpha_draws_a_still_as_a_gif_holds_it(tmp_path):
    # A shared palette for GIF outputs was fitted on translucent pixels with their alpha:
    # entries the GIFs then made opaque or left out ("4 translucent palette entries are
    # made opaque, or left out"), where reduce fits a single .gif on its binary alpha.
    rgba = np.zeros((4, 6, 4), np.uint8)
    rgba[..., :3] = COLOURS[:6]
    rgba[..., 3] = [[0], [127], [128], [255]]
    Image.fromarray(rgba).save(tmp_path / "soft.png")
    colors, counts, transparent = sample_colors(tmp_path / "soft.png", 2000, seed=0,
                                                transparency=True, binary_alpha=True)
    assert colors.shape[1] == 3 and counts.sum() == 2000 and transparent is True
    assert sorted(map(tuple, colors.tolist())) == sorted(map(tuple, COLOURS[:6].tolist()))
    # the same draws as of the image with that alpha written as it is
    rgba[..., 3] = [[0], [0], [255], [255]]
    Image.fromarray(rgba).save(tmp_path / "binary.png")
    drawn = sample_colors(tmp_path / "binary.png", 2000, seed=0)
    assert np.array_equal(drawn[0], colors) and np.array_equal(drawn[1], counts)
    # an opaque still is drawn as without it
    Image.fromarray(COLOURS[None, :6]).save(tmp_path / "opaque.png")
    plain = sample_colors(tmp_path / "opaque.png", 50, seed=0)
    binary = sample_colors(tmp_path / "opaque.png", 50, seed=0, binary_alpha=True)
    assert np.array_equal(plain[0], binary[0]) and np.array_equal(plain[1], binary[1])
    with pytest.raises(TypeError, match=r"^binary_alpha='no' should be a bool, got str$"):
        sample_colors(tmp_path / "opaque.png", 10, seed=0, binary_alpha="no")


def test_merged_histograms_with_and_without_alpha_count_the_others_opaque():
    soft = (np.array([[10, 20, 30, 100]], np.uint8), np.array([4]))
    opaque = (np.array([[10, 20, 30]], np.uint8), np.array([6]))
    colors, counts = merge_histograms([soft, opaque])
    got = {tuple(c): n for c, n in zip(colors.tolist(), counts.tolist(), strict=True)}
    assert got == {(10, 20, 30, 100): 4.0, (10, 20, 30, 255): 6.0}


def test_a_shared_palette_keeps_soft_alpha_through_the_file_job(tmp_path):
    """Sampled, pooled, fitted and mapped: translucent areas keep their alpha."""
    rgba = np.zeros((8, 8, 4), np.uint8)
    rgba[..., :3] = [200, 40, 40]
    rgba[..., 3] = np.repeat([0, 90, 170, 255], 16).reshape(8, 8)
    Image.fromarray(rgba).save(tmp_path / "soft.png")
    options = {"n_colors": 3, "seed": 0}
    colors, counts = merge_histograms([sample_colors(tmp_path / "soft.png", 5000, seed=1)])
    palette = fit_shared_palette(colors, counts, options)
    assert sorted(palette[:, 3].tolist()) == [90, 170, 255]
    reduce_file(tmp_path / "soft.png", tmp_path / "out.png",
                **options_with_palette(options, palette))
    with Image.open(tmp_path / "out.png") as im:
        assert np.array_equal(np.asarray(im.convert("RGBA"))[..., 3], rgba[..., 3])


def test_merge_histograms_adds_counts_of_equal_colours():
    a = (COLOURS[:2], np.array([3, 1]))
    b = (COLOURS[1:3], np.array([2, 5]))
    empty = (np.zeros((0, 3), np.uint8), np.zeros(0))
    colors, counts = merge_histograms([a, empty, b])
    got = {tuple(c): n for c, n in zip(colors.tolist(), counts.tolist(), strict=True)}
    assert got == {tuple(COLOURS[0]): 3.0, tuple(COLOURS[1]): 3.0, tuple(COLOURS[2]): 5.0}
    assert merge_histograms([empty])[0].shape == (0, 3)


def _histogram(rng, m, alpha=False):
    """A random histogram of ``m`` rows (repeats among them), with alpha when asked."""
    colors = rng.integers(0, 4, (m, 4 if alpha else 3)).astype(np.uint8) * 85
    return colors, rng.integers(1, 9, m)


@pytest.mark.parametrize("pending_rows", [1, 5, 1 << 20])
def test_a_color_pool_given_histograms_one_at_a_time_merges_them_as_one_list(pending_rows):
    # a shared palette's samples of every file were held in one list and merged at the
    # end: 844 MB for 1,600 map tiles; the pool merges them as they come, to the same result
    rng = np.random.default_rng(0)
    empty = (np.zeros((0, 3), np.uint8), np.zeros(0))
    samples = [_histogram(rng, 7), empty, _histogram(rng, 3), _histogram(rng, 9, alpha=True),
               _histogram(rng, 6), _histogram(rng, 4)]
    pool = ColorPool(pending_rows)
    for colors, counts in samples:
        pool.add(colors, counts)
    colors, counts = pool.histogram()
    whole = np.concatenate([np.hstack([c, np.full((len(c), 1), 255, np.uint8)])
                            if c.shape[1] == 3 else c for c, _ in samples])
    codes = whole.view(np.uint32).ravel()  # the four bytes as one number, as they are sorted
    expected, where = np.unique(codes, return_inverse=True)
    totals = np.bincount(where, weights=np.concatenate([n for _, n in samples]))
    assert np.array_equal(colors.view(np.uint32).ravel(), expected)
    assert counts.dtype == np.float64 and counts.tolist() == totals.tolist()
    assert pool.samples == 5                      # the empty one adds nothing
    assert ColorPool().histogram()[0].shape == (0, 3)


def test_a_color_pool_checks_each_histogram_and_its_size():
    pool = ColorPool()
    with pytest.raises(ValueError, match=r"^counts should be finite, >= 0"):
        pool.add(COLOURS[:1], np.array([-5]))
    with pytest.raises(ValueError, match=r"^pending_rows=0 should be >= 1"):
        ColorPool(0)


def test_shared_palette_maps_every_file_onto_the_same_colours(tmp_path, photo):
    colors, counts = merge_histograms([sample_colors(photo, 2000, seed=(0, i))
                                       for i in range(2)])
    options = check_reduce_options(n_colors=4, seed=0)
    palette = fit_shared_palette(colors, counts, options)
    assert palette.shape == (4, 3)
    assert np.array_equal(palette, fit_palette(colors, counts, 4, seed=0))
    mapped = options_with_palette(options, palette)
    assert "n_colors" not in mapped and mapped["palette_in"] is palette
    record = reduce_file(photo, tmp_path / "m.png", **mapped)
    used = np.unique(read_rgb(tmp_path / "m.png").reshape(-1, 3), axis=0)
    assert record["k"] == 4 and set(map(tuple, used.tolist())) <= set(map(tuple,
                                                                         palette.tolist()))


def test_sample_colors_says_whether_pixels_are_transparent(tmp_path):
    src = tmp_path / "alpha.png"
    rgba_input(src)  # rows 0-1 transparent
    colors, counts, transparent = sample_colors(src, 500, seed=0, transparency=True)
    assert transparent is True
    assert np.array_equal(colors, sample_colors(src, 500, seed=0)[0])
    Image.fromarray(COLOURS[None, :6]).save(tmp_path / "opaque.png")
    assert sample_colors(tmp_path / "opaque.png", 10, seed=0, transparency=True)[2] is False
    half = np.full((4, 4, 4), 255, np.uint8)
    half[:2, :, 3] = 100  # below 128: transparent in an animation, translucent in a still
    frames = [Image.fromarray(half, "RGBA"), Image.fromarray(255 - half, "RGBA")]
    frames[0].save(tmp_path / "clip.png", save_all=True, append_images=frames[1:], duration=50)
    frames[0].save(tmp_path / "soft.png")
    assert sample_colors(tmp_path / "clip.png", 10, seed=0, transparency=True)[2] is True
    assert sample_colors(tmp_path / "soft.png", 10, seed=0, transparency=True)[2] is False


def test_a_shared_palette_for_images_with_transparency_has_room_for_its_entry(tmp_path, rng):
    colors = rng.integers(0, 256, (600, 3), dtype=np.uint8)
    colors, counts = merge_histograms([(colors, np.ones(600))])
    assert fit_shared_palette(colors, counts, {"n_colors": 256}).shape == (256, 3)
    assert fit_shared_palette(colors, counts, {"n_colors": 256},
                              transparent=True).shape == (255, 3)
    assert np.array_equal(fit_shared_palette(colors, counts, {"n_colors": 8}, transparent=True),
                          fit_shared_palette(colors, counts, {"n_colors": 8}))


def test_a_shared_palette_with_few_colours_warns_of_the_n_colors_asked(rng):
    """With transparency, n_colors above 255 is fitted as 255; with fewer colours than that,
    the warning named the cap, "n_colors=255 but the image has only 60 distinct colours",
    as if the caller had asked for 255; and it spoke of "the image" for colours pooled from
    many."""
    colors = rng.integers(0, 256, (60, 3), dtype=np.uint8)
    colors, counts = merge_histograms([(colors, np.ones(60))])
    with pytest.warns(ColorCountWarning) as caught:
        palette = fit_shared_palette(colors, counts, {"n_colors": 256}, transparent=True)
    assert [str(w.message) for w in caught] == [
        f"n_colors=256 but the images together have only {len(colors)} distinct colours; "
        f"returning those {len(colors)}"]
    assert sorted(palette.tolist()) == sorted(colors.tolist())  # every colour, as before


def test_fit_shared_palette_refuses_an_option_name_it_does_not_know():
    # {"n_colours": 4} fitted the default 16 colours without a word.
    colors = np.array([[0, 0, 0], [10, 10, 10], [200, 0, 0], [0, 200, 0]], np.uint8)
    counts = np.ones(4)
    with pytest.raises(TypeError, match=r"^unknown reduce option\(s\) n_colours; expected some "
                                        r"of n_colors, "):
        fit_shared_palette(colors, counts, {"n_colours": 2})
    with pytest.raises(ValueError, match=r"^space='hsv' is not valid"):
        fit_shared_palette(colors, counts, {"space": "hsv"})
    assert fit_shared_palette(colors, counts, {"n_colors": 4}).shape == (4, 3)
    # None (no options) failed as "check_reduce_options() argument after ** must be a
    # mapping, not NoneType", naming a function the caller never called
    with pytest.raises(TypeError, match=r"^options should be a mapping of reduce_file options "
                       r"\(e\.g\. \{'n_colors': 16\}, or \{\} for the defaults\), got NoneType$"):
        fit_shared_palette(colors, counts, None)


@pytest.mark.parametrize(("colors", "counts", "error", "message"), [
    # 300 wrapped to 44, 0.5 became 0, a count of -5 was added: all without a word
    (np.array([[300, 0, 0]]), [1], ValueError, r"^colors should hold integers 0\.\.255, got "
                                               r"values from 0 to 300$"),
    (np.array([[0.5, 0, 0]]), [1], TypeError, r"^colors should hold integers 0\.\.255, got "
                                              r"dtype float64; for values 0\.\.1 pass "),
    (np.array([[1, 2, 3]], np.uint8), [-5], ValueError, r"^counts should be finite, >= 0"),
    # was an IndexError
    (np.array([[1, 2]], np.uint8), [1], ValueError, r"^colors should have shape \(k, 3\) or "
                                                    r"\(k, 4\) with k >= 1, got \(1, 2\)$"),
])
def test_merge_histograms_checks_each_sample(colors, counts, error, message):
    good = (COLOURS[:1], np.array([2]))
    with pytest.raises(error, match=message):
        merge_histograms([good, (colors, np.array(counts))])


def test_the_flags_of_sample_colors_and_fit_shared_palette_are_bools(tmp_path):
    # "no" was taken as true: sample_colors returned a third value, and
    # fit_shared_palette kept an entry free for transparent pixels (255 colours of 256)
    Image.fromarray(COLOURS[None, :6]).save(tmp_path / "opaque.png")
    with pytest.raises(TypeError, match=r"^transparency='no' should be a bool, got str$"):
        sample_colors(tmp_path / "opaque.png", 10, seed=0, transparency="no")
    colors = np.array([[0, 0, 0], [200, 0, 0]], np.uint8)
    with pytest.raises(TypeError, match=r"^transparent='no' should be a bool, got str$"):
        fit_shared_palette(colors, [1, 1], {"n_colors": 2}, transparent="no")
    assert len(sample_colors(tmp_path / "opaque.png", 10, seed=0, transparency=np.False_)) == 2


@pytest.mark.parametrize(("seed", "error", "message"), [
    # were NumPy's "SeedSequence expects int or sequence of ints for entropy not x" and
    # "expected non-negative integer", naming no parameter
    ("x", TypeError, r"^seed='x' should be what numpy\.random\.default_rng takes \(an int "
                     r">= 0, a sequence of them, a Generator or None\): SeedSequence expects"),
    (-1, ValueError, r"^seed=-1 should be what numpy\.random\.default_rng takes"),
])
def test_sample_colors_names_a_seed_numpy_does_not_take(tmp_path, seed, error, message):
    Image.fromarray(COLOURS[None, :6]).save(tmp_path / "opaque.png")
    with pytest.raises(error, match=message):
        sample_colors(tmp_path / "opaque.png", 10, seed=seed)
    drawn = sample_colors(tmp_path / "opaque.png", 10, seed=(3, 1))
    again = sample_colors(tmp_path / "opaque.png", 10, seed=np.random.default_rng((3, 1)))
    assert all(np.array_equal(a, b) for a, b in zip(drawn, again, strict=True))


def test_merge_histograms_names_a_sample_that_is_no_pair(tmp_path):
    # were Python's "too many values to unpack (expected 2)" (the triples of
    # sample_colors with transparency=True) and "'NoneType' object is not iterable"
    Image.fromarray(COLOURS[None, :6]).save(tmp_path / "opaque.png")
    triple = sample_colors(tmp_path / "opaque.png", 10, seed=0, transparency=True)
    with pytest.raises(TypeError, match=r"^samples\[0\] should be a \(colors, counts\) pair, "
                                        r"got a tuple of 3; sample_colors\(\.\.\., "
                                        r"transparency=True\) gives \(colors, counts, "
                                        r"transparent\): pass its first two$"):
        merge_histograms([triple])
    with pytest.raises(TypeError, match=r"^samples should be a sequence of \(colors, counts\) "
                                        r"pairs, got NoneType$"):
        merge_histograms(None)
    with pytest.raises(TypeError, match=r"^samples\[1\] should be a \(colors, counts\) pair, "
                                        r"got a ndarray$"):
        merge_histograms([triple[:2], triple[0]])
    colors, counts = merge_histograms([triple[:2], list(triple[:2])])
    assert np.array_equal(colors, triple[0]) and counts.tolist() == (2 * triple[1]).tolist()


@pytest.mark.parametrize("options, match", [
    ({"quality": 2}, r"^quality=2 cannot be used with a shared palette"),
    ({"palette_in": [[0, 0, 0]]}, r"^palette_in cannot be used with a shared palette"),
    ({"palette": "per-frame"}, r"^palette='per-frame' cannot be used with a shared palette"),
])
def test_fit_shared_palette_refuses_options_it_would_leave_unused(options, match):
    # quality was left unused (16 colours fitted), as were palette_in and per-frame.
    colors = np.array([[0, 0, 0], [9, 9, 9], [200, 0, 0]], np.uint8)
    with pytest.raises(ValueError, match=match):
        fit_shared_palette(colors, [1, 1, 1], options)


def test_sample_colors_with_a_matte_draws_the_colours_composited_onto_it(tmp_path):
    """batch --shared-palette --matte fitted its palette to the colours as read, its files
    then matted: the samples are composited onto the matte too, as each file's fit is."""
    from quantize.reduce.shared import sample_colors

    rgba = np.zeros((1, 4, 4), np.uint8)
    rgba[0, :2] = [200, 100, 0, 128]  # translucent: #e3b17f on white
    rgba[0, 2] = [1, 2, 3, 255]
    Image.fromarray(rgba, "RGBA").save(tmp_path / "soft.png")
    colors, counts, transparent = sample_colors(tmp_path / "soft.png", 300, seed=0,
                                                transparency=True, matte="white")
    assert colors.tolist() == [[1, 2, 3], [227, 177, 127]] and transparent
    assert counts.sum() == 300
