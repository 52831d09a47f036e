"""quantize.reduce.quality: the fewest colours that meet a CIEDE2000 target (mean and tail)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from quantize.colors import ciede2000, lab_of
from quantize.errors import QualityError, QualityReached
from quantize.reduce.fit import Histogram
from quantize.reduce.quality import limit_meeting, quality_error, search_quality, smallest_k

FOUR = np.array([[230, 30, 40], [20, 160, 60], [30, 40, 200], [250, 240, 230]], np.uint8)


def power_law(scale, slope, noise=0.0, seed=0):
    """An error curve ``scale * k ** -slope``, optionally with multiplicative noise."""
    wobble = np.random.default_rng(seed).normal(1.0, noise, 1000)
    return lambda k: float(scale * k ** -slope * wobble[k])


CURVES = {
    "power law": power_law(12.0, 1 / 3),
    "steep power law": power_law(40.0, 0.9),
    "shallow power law": power_law(4.0, 0.12),
    "straight line": lambda k: 10.0 - 0.2 * k,
    "step": lambda k: 9.0 if k < 29 else 0.0,
    "plateaus": lambda k: float(8 - k // 6),
}


@pytest.mark.parametrize("curve", list(CURVES))
@pytest.mark.parametrize("guess", [-3, 1, 5, 16, 40, 99])
def test_smallest_k_finds_the_threshold_of_any_falling_curve_from_any_guess(curve, guess):
    error = CURVES[curve]
    for target in np.linspace(error(40), error(1), 23):
        asked = []

        def measured(k, asked=asked):
            asked.append(k)
            return error(k)

        expected = next(k for k in range(1, 41) if error(k) <= target)
        assert smallest_k(measured, target, guess, 40) == expected
        assert 1 <= min(asked) and max(asked) <= 40  # never outside [1, k_max]
        assert len(asked) == len(set(asked))  # never the same k twice
        assert len(asked) <= 3 * 6  # three times bisection's count on [1, 40] at most


def test_smallest_k_is_none_when_k_max_is_not_enough():
    assert smallest_k(lambda k: 10.0 / k, 0.2, 8, 40) is None
    assert smallest_k(lambda k: 1.0, 0.5, 1, 1) is None


def test_smallest_k_needs_few_fits_on_a_power_law_from_a_rough_guess():
    """Mean CIEDE2000 falls about as a power of k; a guess 10 % high costs a few fits."""
    for slope, noise in [(1 / 3, 0.0), (0.3, 0.002), (0.5, 0.002)]:
        error = power_law(20.0, slope, noise, seed=3)
        target = error(150) * 1.001
        expected = next(k for k in range(1, 1000) if error(k) <= target)
        asked = []

        def measured(k, asked=asked, error=error):
            asked.append(k)
            return error(k)

        assert smallest_k(measured, target, round(expected * 1.1), 999) == expected
        assert len(asked) <= 5, asked


def test_smallest_k_with_a_resolution_stops_on_a_narrow_bracket():
    asked = []

    def error(k):
        asked.append(k)
        return 50.0 / k

    k = smallest_k(error, 1.0, 16, 1000, resolution=0.25)
    assert 50 <= k <= 50 / 0.75  # the bracket's upper end, at most a quarter too high
    assert 1.0 < 50.0 / max(x for x in asked if 50.0 / x > 1.0) and len(asked) < 6


def test_quality_zero_keeps_every_colour_and_a_loose_target_fewer():
    hist = Histogram(FOUR, np.array([40.0, 30.0, 20.0, 10.0]), "rgb")
    palette, labels, reached, bound = search_quality(hist, 0.0, 256, False,
                                                     np.random.default_rng(0))
    # met; 3 colours miss every bound, the area the most: the entry of two colours is the
    # larger one (held), the other drawn whole in it
    assert (reached, bound) == (None, "area")
    assert sorted(map(tuple, palette.tolist())) == sorted(map(tuple, FOUR.tolist()))
    assert np.array_equal(palette[labels], FOUR)
    palette, _, _, bound = search_quality(hist, 100.0, 256, False, np.random.default_rng(0))
    assert (palette.shape, bound) == ((1, 3), "fewest_colors")  # the fewest n_colors allows
    one = Histogram(FOUR[:1], np.array([5.0]), "rgb")
    assert search_quality(one, 100.0, 256, False, np.random.default_rng(0))[0].shape == (1, 3)


def test_a_quality_one_colour_meets_gives_one_colour():
    """n_colors=1 is taken, but the search began at 2: a near-flat image that one colour
    draws within the target got two."""
    from quantize import reduce_colors

    noise = np.random.default_rng(0).integers(-2, 3, (16, 16, 3))
    image = np.clip(128 + noise, 0, 255).astype(np.uint8)
    one = reduce_colors(image, 1, seed=0)
    assert one.delta_e <= 3.0
    result = reduce_colors(image, quality=3, seed=0)
    assert result.k == 1
    assert np.array_equal(result.palette, one.palette)


def test_smallest_k_from_a_lower_bound():
    asked = []

    def error(k):
        asked.append(k)
        return 10.0 / k

    assert smallest_k(error, 100.0, 8, 40, k_min=2) == 2 and min(asked) == 2
    assert smallest_k(error, 1.0, 1, 40, k_min=5) == 10


@pytest.mark.parametrize("k_max, allowed", [(2, "2 colours (they reach a mean CIEDE2000 of "
                                                  "25.69); quality_limit=25.7 or more keeps "
                                                  "their result, which n_colors=2 alone gives"),
                                             (1, "1 colour (they reach a mean CIEDE2000 of "
                                                 "35.56); quality_limit=35.56 or more keeps "
                                                 "their result, which n_colors=1 alone gives")])
def test_an_unreachable_quality_says_how_many_colours_were_allowed(k_max, allowed):
    # -k 1 was said "needs more than 1 colours"
    hist = Histogram(FOUR, np.ones(4), "rgb")
    with pytest.raises(QualityError) as info:
        search_quality(hist, 0.5, k_max, False, np.random.default_rng(0))
    assert str(info.value) == f"quality=0.5: mean CIEDE2000 <= 0.5 needs more than {allowed}"


def test_a_quality_past_20_is_said_to_be_a_colour_difference_not_a_score():
    """reduce_colors(image, quality=80), a 0-100 score as pngquant's or Pillow's JPEG
    quality=80 means, gave 2 colours without a word, while the command line warns of it."""
    import warnings

    from quantize import reduce_colors
    from quantize.reduce.quality import QualityScaleWarning

    image = np.repeat(FOUR[None], 3, axis=0)
    with pytest.warns(QualityScaleWarning) as caught:
        result = reduce_colors(image, quality=80, seed=0)
    assert [str(w.message) for w in caught] == [
        "quality=80: a bound Q on CIEDE2000 differences (about 1 is just noticeable, 5 "
        "visibly posterised), not pngquant's 0-100 score: their mean <= Q, 99th percentile "
        "<= 5 Q and 99.9th <= 10 Q; above 20, nearly any image meets it with the fewest "
        "colours; for a result close to the original, give 2 or 3"]
    assert caught[0].filename == __file__
    assert result.k == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        reduce_colors(image, quality=20, seed=0)  # at most 20: no word
        reduce_colors(image, 4, seed=0)


@pytest.mark.parametrize("frames", [1, 2])
def test_reduce_file_says_a_quality_past_20_is_not_a_score(tmp_path, frames):
    """reduce_file(quality=80) from Python gave no word of it, while reduce_colors and the
    command line warned; a still and an animation now warn once, at the caller's line."""
    from PIL import Image

    from quantize.reduce import reduce_file
    from quantize.reduce.quality import QualityScaleWarning

    images = [Image.new("RGB", (4, 4), c) for c in ("red", "blue")][:frames]
    images[0].save(tmp_path / "a.gif", save_all=True, append_images=images[1:])
    with pytest.warns(QualityScaleWarning) as caught:
        reduce_file(tmp_path / "a.gif", quality=80)
    assert [(str(w.message)[:60], w.filename) for w in caught] == [
        ("quality=80: a bound Q on CIEDE2000 differences (about 1 is j", __file__)]


def noisy_quadrants(seed: int, n: int) -> np.ndarray:
    """Four flat quadrants under strong seeded noise: hundreds of colours, so that the
    search compares many k close to the target."""
    image = np.zeros((n, n, 3), np.int16)
    h = n // 2
    image[:h, :h], image[:h, h:] = (200, 40, 40), (40, 160, 60)
    image[h:, :h], image[h:, h:] = (40, 60, 200), (230, 220, 200)
    image += np.random.default_rng(seed).integers(-40, 41, image.shape).astype(np.int16)
    return np.clip(image, 0, 255).astype(np.uint8)


def test_quality_chooses_the_fewest_colours_and_the_palette_n_colors_gives():
    """Each fit of the search drew on the random state its earlier fits had left, so a
    k colour fit was not the one n_colors=k gives: quality=4 chose 45 colours here, while
    n_colors=44 is a mean CIEDE2000 of 3.93 away."""
    from quantize import reduce_colors

    image = noisy_quadrants(0, 48)
    chosen = reduce_colors(image, quality=4.0, seed=0)
    direct = reduce_colors(image, n_colors=chosen.k, seed=0)
    assert chosen.k == 44
    assert np.array_equal(chosen.palette, direct.palette)
    assert np.array_equal(chosen.indices, direct.indices)
    assert chosen.delta_e == direct.delta_e <= 4.0
    assert reduce_colors(image, n_colors=43, seed=0).delta_e > 4.0


def test_quality_of_an_animation_writes_what_n_colors_writes_and_no_fewer_meets_it(tmp_path):
    """As for a still: the animation's search fitted each k on the state the fits before
    had left, and chose 46 colours where 45 met the target too."""
    from PIL import Image

    from quantize.reduce import reduce_file

    frames = [Image.fromarray(noisy_quadrants(10 + i, 32)) for i in range(3)]
    src = tmp_path / "a.png"
    frames[0].save(src, save_all=True, append_images=frames[1:])
    chosen = reduce_file(src, tmp_path / "q.png", quality=4.0)
    reduce_file(src, tmp_path / "k.png", n_colors=chosen["k"])
    assert chosen["k"] == 45
    assert (tmp_path / "q.png").read_bytes() == (tmp_path / "k.png").read_bytes()
    with pytest.raises(QualityError, match=r"quality=4: mean CIEDE2000 <= 4 needs more than "
                                           r"44 colours"):
        reduce_file(src, tmp_path / "k1.png", quality=4.0, n_colors=44)


GREY, LIGHT, WHITE, RED = (128, 128, 128), (145, 145, 145), (255, 255, 255), (220, 30, 30)


def pixels(*runs: tuple[tuple[int, ...], int]) -> np.ndarray:
    """An ``(n, 1, c)`` image of runs of one colour each: (colour, count), ..."""
    return np.concatenate([np.tile(np.array(c, np.uint8), (n, 1)) for c, n in runs])[:, None]


def test_a_small_area_of_its_own_colour_is_not_lost_in_the_mean():
    """10 red pixels beside 1000 grey ones are a mean CIEDE2000 of 1.43 from one colour:
    quality=2 chose that one colour and drew the red grey."""
    from quantize import reduce_colors

    image = pixels((GREY, 1000), (RED, 10))
    assert reduce_colors(image, 1, seed=0).delta_e < 2.0  # the mean alone is met
    result = reduce_colors(image, quality=2.0, seed=0)
    assert result.k == 2
    assert np.array_equal(result.palette[result.indices], image)


@pytest.mark.parametrize("runs, k", [
    (((GREY, 1000), (RED, 1)), 1),     # 0.1 % of the pixels more than 10 Q away: allowed
    (((GREY, 1000), (RED, 2)), 2),     # 0.2 %: the 99.9th percentile is above 10 Q
    (((GREY, 990), (LIGHT, 10)), 1),   # 1 % between 5 Q and 10 Q away: allowed
    (((GREY, 989), (LIGHT, 11)), 2),   # 1.1 %: the 99th percentile is above 5 Q
    (((GREY, 1000), (WHITE, 1000), (RED, 10)), 3),
])
def test_quality_bounds_the_99th_and_999th_percentiles_at_5_and_10_times_q(runs, k):
    from quantize import reduce_colors

    light = ciede2000(lab_of(np.array([GREY], np.uint8)), lab_of(np.array([LIGHT], np.uint8)))
    assert 5.0 < light[0] < 10.0
    image = pixels(*runs)
    assert reduce_colors(image, quality=1.0, seed=0).k == k


def test_quality_bounds_the_tail_of_faint_pixels_as_drawn_on_black():
    """Translucent pixels are measured composited on black: 10 white pixels of alpha 40
    beside 1000 opaque white ones are dark grey there, and keep an entry of their own."""
    from quantize import reduce_colors

    image = pixels((WHITE + (255,), 1000), (WHITE + (40,), 10))
    assert reduce_colors(image, 1, seed=0).delta_e < 2.0
    result = reduce_colors(image, quality=2.0, seed=0)
    assert result.k == 2 and sorted(result.alpha.tolist()) == [40, 255]


def test_quality_error_is_the_mean_or_a_percentile_over_its_multiple():
    lab = lab_of(np.array([GREY, LIGHT, RED], np.uint8))
    far = ciede2000(lab[:1], lab[1:])  # LIGHT and RED from GREY
    rows = np.zeros(3, np.intp)
    cases = {  # counts: (error, mean)
        (990, 10, 0): (far[0] / 10, far[0] * 10 / 1000),  # 1 %: the 99.9th percentile / 10
        (989, 11, 0): (far[0] / 5, far[0] * 11 / 1000),    # 1.1 %: the 99th percentile / 5
        (1000, 0, 2): (far[1] / 10, far[1] * 2 / 1002),    # 0.2 %: the 99.9th / 10
        (1000, 0, 1): (far[1] * 1 / 1001, far[1] * 1 / 1001),  # 0.1 %: the mean
        (1000, 0, 0): (0.0, 0.0),
    }
    for counts, (error, mean) in cases.items():
        got = quality_error(lab, lab[:1], np.array(counts), rows)
        assert got == pytest.approx((error, mean), rel=1e-6)


def test_quality_error_of_weights_is_that_of_repeated_colours():
    rng = np.random.default_rng(4)
    colors = rng.integers(0, 256, (50, 3)).astype(np.uint8)
    counts = rng.integers(1, 40, 50)
    counts[:5] = 5000  # most pixels are the palette's own colours: the tail binds
    palette = lab_of(colors[:5])
    rows = rng.integers(0, 5, 50)
    rows[:5] = np.arange(5)
    lab, before = lab_of(colors), colors.copy()
    weighted = quality_error(lab, palette, counts, rows)
    repeated = quality_error(np.repeat(lab, counts, axis=0), palette, None,
                             np.repeat(rows, counts))
    assert weighted == pytest.approx(repeated, rel=1e-9)
    assert weighted[0] > weighted[1]  # the tail binds on random colours
    assert np.array_equal(colors, before)


def test_an_unreachable_tail_says_the_whole_target():
    """The mean is met at k_max, its tail is not: the error says both bounds, and what the
    fit of ``n_colors=2`` reaches (grey holds more than half of its entry's pixels, so is
    that entry, and red is 29.89 from it)."""
    hist = Histogram(np.array([GREY, WHITE, RED], np.uint8), np.array([1000.0, 1000, 10]),
                     "rgb")
    with pytest.raises(QualityError) as info:
        search_quality(hist, 1.0, 2, False, np.random.default_rng(0))
    assert str(info.value) == ("quality=1: mean CIEDE2000 <= 1, its 99th percentile <= 5 and "
                               "its 99.9th <= 10 needs more than 2 colours (they reach a "
                               "mean CIEDE2000 of 0.1487, its 99.9th percentile 29.89 > 10); "
                               "quality_limit=2.99 or more keeps their result (set by "
                               "their 99.9th percentile 29.89 <= 10 × 2.99), which "
                               "n_colors=2 alone gives")


def test_quality_of_an_animation_bounds_the_tail_too(tmp_path):
    from PIL import Image

    from quantize.reduce import reduce_file

    image = pixels((GREY, 1000), (WHITE, 1000), (RED, 10)).reshape(30, 67, 3)
    frames = [Image.fromarray(image), Image.fromarray(image[::-1].copy())]
    src = tmp_path / "a.png"
    frames[0].save(src, save_all=True, append_images=frames[1:])
    record = reduce_file(src, tmp_path / "q.png", quality=1.0)
    # At n_colors=2 grey holds 1000 of its entry's 1010 pixels, so is that entry (as
    # n_colors=2 fits it), and red is 29.89 from it.
    assert (record["frames"], record["k"]) == (2, 3)
    with pytest.raises(QualityError, match=r"quality=1: mean CIEDE2000 <= 1, its 99th "
                                           r"percentile <= 5 and its 99\.9th <= 10 \(and "
                                           r"every colour of at least 16 pixels and 0\.005% "
                                           r"of them within 4\) needs more than 2 colours "
                                           r"\(they reach, with each colour of the frames "
                                           r"on its nearest entry, a mean CIEDE2000 of "
                                           r"0\.1487, its 99\.9th percentile 29\.89 > 10, a "
                                           r"colour of 20 pixels 29\.89 away > 4\)"):
        reduce_file(src, tmp_path / "k2.png", quality=1.0, n_colors=2)


def test_quality_error_of_translucent_pairs_is_the_worse_on_black_or_on_white():
    """A dark colour is near black on black whatever its alpha: drawn with the wrong alpha
    it measured 0 there, and showed on a white page. Opaque pairs measure as before."""
    colors = np.array([[0, 0, 0, 64], [200, 30, 30, 255], [255, 255, 255, 128]], np.uint8)
    palette = np.array([[0, 0, 0, 255], [200, 30, 30, 255], [255, 255, 255, 255]], np.uint8)
    rows, counts = np.array([0, 1, 2]), np.array([1, 5, 2])
    on_black = ciede2000(lab_of(colors), lab_of(palette)[rows])
    on_white = ciede2000(lab_of(colors, "white"), lab_of(palette, "white")[rows])
    assert on_black[0] == on_white[1] == on_black[1] == on_white[2] == 0.0
    worse = np.maximum(on_black, on_white).astype(np.float64)
    expected = float(worse @ counts) / counts.sum()
    plain = quality_error(lab_of(colors), lab_of(palette), counts, rows)
    shown = quality_error(lab_of(colors), lab_of(palette), counts, rows, (colors, palette))
    assert plain[1] == pytest.approx(float(on_black.astype(np.float64) @ counts) / 8, rel=1e-6)
    assert shown[1] == pytest.approx(expected, rel=1e-6) and shown[1] > plain[1]
    opaque = colors.copy()
    opaque[:, 3] = 255
    assert quality_error(lab_of(opaque), lab_of(palette), counts, rows,
                         (opaque, palette)) == quality_error(lab_of(opaque), lab_of(palette),
                                                             counts, rows)


def test_quality_keeps_the_alpha_of_a_dark_colour_as_a_white_page_shows_it():
    """A dark blue at eight alphas took 2 entries for quality=2, measured on black alone
    (mean ΔE2000 on white 8.7, up to 19); now 6, within the bounds on white too."""
    from quantize import reduce_colors

    image = np.zeros((4, 8, 4), np.uint8)
    image[..., :3] = (10, 10, 40)
    image[..., 3] = [40, 80, 120, 160, 200, 230, 250, 255]
    result = reduce_colors(image, quality=2, seed=0)
    assert result.k == 6
    drawn = result.to_rgba().reshape(-1, 4)
    for over in ("black", "white"):
        errors = ciede2000(lab_of(image.reshape(-1, 4), over), lab_of(drawn, over))
        assert errors.mean() <= 2 and errors.max() <= 10
    fewer = reduce_colors(image, 5, seed=0).to_rgba().reshape(-1, 4)
    assert ciede2000(lab_of(image.reshape(-1, 4), "white"), lab_of(fewer, "white")).mean() > 2


def test_the_delta_e_reported_beside_quality_is_on_black_and_at_most_the_bound():
    """``delta_e`` is measured on black, as ``psnr`` and ``metrics.delta_e`` are; the
    search bounds the worse of black and white, so the figure is at most that mean."""
    from quantize import reduce_colors
    from quantize.metrics import delta_e

    image = np.zeros((4, 8, 4), np.uint8)
    image[..., :3] = (10, 10, 40)
    image[..., 3] = [40, 80, 120, 160, 200, 230, 250, 255]
    result = reduce_colors(image, quality=2, seed=0)
    flat, drawn = image.reshape(-1, 4), result.to_rgba().reshape(-1, 4)
    on_black = ciede2000(lab_of(flat), lab_of(drawn)).astype(np.float64)
    worse = np.maximum(on_black, ciede2000(lab_of(flat, "white"), lab_of(drawn, "white")))
    assert result.delta_e == pytest.approx(on_black.mean(), rel=1e-5)
    assert result.delta_e == pytest.approx(delta_e(image, result.to_rgba()), rel=1e-5)
    assert result.delta_e < worse.mean() <= 2


def test_quality_keeps_a_small_accent_that_the_tail_allows():
    """A 6 x 6 red area among 40,000 grey pixels (0.09 %, as a 10 px status dot on a
    screen) is within the 0.1 % the tail lets be anything: Q = 2 chose 1 colour and drew it
    grey. An area of its own colour of 16 inner pixels or more is now kept within 4 Q:
    here exactly (the red has 16; a 5 x 3 light area has 3 and is drawn grey)."""
    from quantize import reduce_colors

    image = np.full((200, 200, 3), GREY, np.uint8)
    image[50:56, 50:56] = RED
    image[150:153, 100:105] = LIGHT
    result = reduce_colors(image, quality=2.0, seed=0)
    assert result.k == 2
    assert sorted(map(tuple, result.palette.tolist())) == [GREY, RED]
    red = (image == RED).all(axis=-1)
    assert (result.to_rgb()[red] == RED).all()  # LIGHT, 15 pixels, is drawn grey


def test_the_worst_colour_bounded_weighs_as_repeated_rows():
    """The accent bound counts a colour's pixels: its count, or its repeated rows."""
    lab = lab_of(np.array([GREY, RED, LIGHT], np.uint8))
    rows = np.zeros(3, np.intp)
    red = float(ciede2000(lab[:1], lab[1:2])[0])
    counts = np.array([100_000, 16, 15])  # 16 pixels are bounded, 15 are not
    weighted = quality_error(lab, lab[:1], counts, rows)
    repeated = quality_error(np.repeat(lab, counts, axis=0), lab[:1], None,
                             np.repeat(rows, counts))
    assert weighted[0] == pytest.approx(red / 4, rel=1e-6)
    assert repeated == pytest.approx(weighted, rel=1e-9)
    fewer = quality_error(lab, lab[:1], np.array([100_000, 15, 15]), rows)
    assert fewer[0] == pytest.approx(fewer[1], rel=1e-9)  # the mean alone


def test_an_accent_out_of_reach_is_said():
    """Mean and tail are met at k_max, the worst colour of 16 pixels or more is not: the
    error says that bound too, and a limit missed says the colour."""
    hist = Histogram(np.array([GREY, RED], np.uint8), np.array([20_000.0, 18]), "rgb")
    with pytest.raises(QualityError) as info:
        search_quality(hist, 2.0, 1, False, np.random.default_rng(0))
    assert str(info.value) == (
        "quality=2: mean CIEDE2000 <= 2, its 99th percentile <= 10 and its 99.9th <= 20 (and "
        "every colour of at least 16 pixels and 0.005% of them within 8) needs more than 1 "
        "colour (they reach a mean CIEDE2000 of 0.02687, a colour of 18 pixels 29.89 away > "
        "8); quality_limit=7.48 or more keeps their result (set by a colour of 18 pixels "
        "29.89 away <= 4 × 7.48), which n_colors=1 alone gives")
    with pytest.raises(QualityError) as info:
        search_quality(hist, 2.0, 1, False, np.random.default_rng(0), limit=3.0)
    assert str(info.value).endswith(
        "(and every colour of at least 16 pixels and 0.005% of them within 12) (they reach a "
        "mean CIEDE2000 of 0.02687, a colour of 18 pixels 29.89 away > 12); quality_limit=7.48 "
        "or more keeps their result (set by a colour of 18 pixels 29.89 away <= 4 × 7.48), "
        "which n_colors=1 alone gives")


def noisy_ink() -> np.ndarray:
    """A 20 x 20 ink of 400 distinct colours near red (as a scanner's noise spreads one)
    on a 640 x 640 white page: 0.1 % of the pixels, which the tail lets be anything."""
    image = np.full((640, 640, 3), 255, np.uint8)
    steps = np.arange(400)
    ink = np.stack([196 + steps % 8, 28 + steps // 8 % 8, 36 + steps // 64], axis=1)
    image[300:320, 300:320] = ink.reshape(20, 20, 3)
    return image


def test_a_noisy_ink_is_an_area_of_its_own_colour():
    """No colour of the ink had 16 pixels, so Q = 2 chose 1 colour and drew the red white
    (as a scanned page's stamp and signature were drawn grey): its 324 inner pixels share
    a cell 8 wide in CIE Lab, and it keeps an entry of its own."""
    from quantize import reduce_colors

    image = noisy_ink()
    result = reduce_colors(image, quality=2.0, seed=0)
    assert result.k == 2
    ink = result.to_rgb()[300:320, 300:320].reshape(-1, 3)
    assert ciede2000(lab_of(image[300:320, 300:320].reshape(-1, 3)), lab_of(ink)).mean() < 2


def grey_text() -> np.ndarray:
    """Three dark grey strokes of 3 px on a 400 x 400 light grey page, each edge an
    anti-aliased column of 20 pixels of 190, 140 or 90 (40 pixels of each level)."""
    image = np.full((400, 400), 240, np.uint8)
    for x, (left, right) in zip((100, 200, 300), ((190, 90), (140, 140), (90, 190)),
                                strict=True):
        image[100:120, x] = left
        image[100:120, x + 1:x + 4] = 40
        image[100:120, x + 4] = right
    return np.repeat(image[..., None], 3, axis=2)


def test_anti_aliased_edges_do_not_take_colours_of_their_own():
    """Each edge level had 40 pixels, a colour the accent bound kept within 4 Q: Q = 2
    chose 5 colours, paper, ink and the three edge greys. The edge pixels are not inner
    (their neighbours are 50 levels or more away): paper and ink are enough (the ink holds
    180 of the 260 pixels of its entry, with the edges of 90 and 140, so is that entry, as
    ``n_colors=2`` draws it; the 190s are drawn as paper)."""
    from quantize import reduce_colors

    result = reduce_colors(grey_text(), quality=2.0, seed=0)
    assert result.k == 2
    assert sorted(result.palette[:, 0].tolist()) == [40, 240]


@pytest.mark.parametrize("error, reached, why", [
    (1.315, QualityReached(255, 1.315, (5.0, 10.0), True), ""),  # the mean, said before
    (2.52, QualityReached(255, 1.315, (12.6, 10.0), True),
     " (set by their 99th percentile 12.6 <= 5 × 2.52)"),
    (2.944, QualityReached(2, 0.7178, (5.0, 29.44), False),
     " (set by their 99.9th percentile 29.44 <= 10 × 2.95)"),
    (2.51, QualityReached(255, 1.315, (12.4, 24.0), True, (10.04, 57.0)),
     " (set by a colour of 57 pixels 10.04 away <= 4 × 2.51)"),
])
def test_the_limit_that_keeps_a_result_names_the_bound_that_sets_it(error, reached, why):
    """'--quality 1' on a 1024 px icon said "they reach a mean CIEDE2000 of 1.315 ...
    --quality-limit=2.52 or more keeps their result": why 2.52, not 1.32, was not said.
    The percentile or colour that sets it is named, the largest of them; the mean is not
    named again."""
    limit = f"{math.ceil(round(error * 100, 6)) / 100:g}"
    assert limit_meeting(error, reached) == (
        f"; quality_limit={limit} or more keeps their result{why}, which "
        f"n_colors={reached.k} alone gives")
