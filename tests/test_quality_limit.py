"""``--quality-limit L`` / ``quality_limit=L``: a ``quality`` out of reach of the colours
allowed still writes the result with all of them when it meets L by the same rule."""

from __future__ import annotations

import csv
import json
import pickle
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from quantize import QualityLimitWarning, reduce_colors
from quantize.cli import app
from quantize.errors import QualityError, QualityReached
from quantize.reduce import reduce_file

runner = CliRunner()

#: Eight well-separated colours: -k 4 is a mean CIEDE2000 of 23.95 away, so quality=0.5
#: is out of reach of 4 colours, a limit of 30 is met and one of 10 is not.
EIGHT = np.array([[0, 0, 0], [255, 255, 255], [255, 0, 0], [0, 255, 0], [0, 0, 255],
                  [255, 255, 0], [0, 255, 255], [255, 0, 255]], np.uint8)
KEPT = ("quality=0.5 was not reached: the most colours allowed, k=4, reach a mean CIEDE2000 "
        "of 23.95, within quality_limit=30")
#: :data:`KEPT` and :data:`BOTH_MISSED` as a batch's lines and rows word them.
KEPT_FLAGS = ("--quality=0.5 was not reached: the most colours allowed, k=4, reach a mean "
              "CIEDE2000 of 23.95, within --quality-limit=30")
BOTH_MISSED_FLAGS = ("--quality=0.5: mean CIEDE2000 <= 0.5 needs more than 4 colours, and so "
                     "does --quality-limit=10: mean CIEDE2000 <= 10 (they reach a mean "
                     "CIEDE2000 of 23.95); --quality-limit=23.96 or more keeps their result, "
                     "which -k/--colors=4 alone gives")
BOTH_MISSED = ("quality=0.5: mean CIEDE2000 <= 0.5 needs more than 4 colours, and so does "
               "quality_limit=10: mean CIEDE2000 <= 10 (they reach a mean CIEDE2000 of 23.95); "
               "quality_limit=23.96 or more keeps their result, which n_colors=4 alone gives")


def eight_rows() -> np.ndarray:
    """An 8 x 8 image, one row of each of :data:`EIGHT`."""
    return np.repeat(EIGHT[:, None], 8, axis=1)


def grey_with_red_dots() -> np.ndarray:
    """1010 grey pixels and 10 red ones: one colour, grey (which holds more than half of
    the pixels, so is the entry), is a mean CIEDE2000 of 0.293 away, but its tail (the red
    pixels, 1 % of them, 29.89 away) misses quality=2 and a limit of 2.5."""
    image = np.full((10, 102, 3), 128, np.uint8)
    image[0, :10] = (220, 30, 30)
    return image


@pytest.fixture
def eight(tmp_path):
    path = tmp_path / "eight.png"
    Image.fromarray(eight_rows()).save(path)
    return path


def run(*args):
    return runner.invoke(app, ["reduce", *map(str, args)])


def test_without_a_limit_an_unreachable_quality_writes_nothing(eight, tmp_path):
    result = run(eight, "-k", 4, "--quality", 0.5, "-o", tmp_path / "q.png")
    assert (result.exit_code, result.stderr) == (
        99, f"quantize: error: {eight}: --quality=0.5: mean CIEDE2000 <= 0.5 needs more than "
            "4 colours (they reach a mean CIEDE2000 of 23.95); --quality-limit=23.96 or more "
            "keeps their result, which -k/--colors=4 alone gives\n")
    assert not (tmp_path / "q.png").exists()


def test_a_limit_met_writes_what_k_alone_writes_with_a_warning(eight, tmp_path):
    alone = run(eight, "-k", 4, "-o", tmp_path / "k4.png")
    assert alone.exit_code == 0, alone.output
    result = run(eight, "-k", 4, "--quality", 0.5, "--quality-limit", 30, "-o",
                 tmp_path / "q.png")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "q.png").read_bytes() == (tmp_path / "k4.png").read_bytes()
    warnings = [line for line in result.stderr.splitlines() if "warning" in line]
    assert warnings == [f"quantize: warning: {eight}: --quality=0.5 was not reached: the most "
                        "colours allowed, k=4, reach a mean CIEDE2000 of 23.95, within "
                        "--quality-limit=30"]
    assert result.stdout.startswith(
        f"{eight} -> {tmp_path / 'q.png'}: kept k=4, the most allowed, for mean ΔE2000 <= 30, "
        "its 99th percentile <= 150 and its 99.9th <= 300; 4 colours, ")


def test_a_limit_missed_too_writes_nothing_and_names_both(eight, tmp_path):
    result = run(eight, "-k", 4, "--quality", 0.5, "--quality-limit", 10, "-o",
                 tmp_path / "q.png")
    assert (result.exit_code, result.stderr) == (
        99, f"quantize: error: {eight}: --quality=0.5: mean CIEDE2000 <= 0.5 needs more than "
            "4 colours, and so does --quality-limit=10: mean CIEDE2000 <= 10 (they reach a "
            "mean CIEDE2000 of 23.95); --quality-limit=23.96 or more keeps their result, "
            "which -k/--colors=4 alone gives\n")
    assert not (tmp_path / "q.png").exists()


def test_a_limit_is_met_by_the_tail_rule_too(tmp_path):
    """One colour of the grey image with red dots has a mean of 0.293, within 2.5, but its
    red pixels are more than 25 away: the limit is missed, as the quality is. The figures
    are those of the output ``-k 1`` writes (its entry is grey, held), which the error says
    gives that result."""
    Image.fromarray(grey_with_red_dots()).save(tmp_path / "dots.png")
    missed = run(tmp_path / "dots.png", "-k", 1, "--quality", 2, "--quality-limit", 2.5,
                 "-o", tmp_path / "q.png")
    assert (missed.exit_code, missed.stderr) == (
        99, f"quantize: error: {tmp_path / 'dots.png'}: --quality=2: mean CIEDE2000 <= 2, its "
            "99th percentile <= 10 and its 99.9th <= 20 needs more than 1 colour, and so does "
            "--quality-limit=2.5: mean CIEDE2000 <= 2.5, its 99th percentile <= 12.5 and its "
            "99.9th <= 25 (they reach a mean CIEDE2000 of 0.293, its 99.9th percentile 29.89 "
            "> 25); --quality-limit=2.99 or more keeps their result (set by their 99.9th "
            "percentile 29.89 <= 10 × 2.99), which -k/--colors=1 alone gives\n")
    met = run(tmp_path / "dots.png", "-k", 1, "--quality", 2, "--quality-limit", 3,
              "-o", tmp_path / "q.png")
    assert met.exit_code == 0, met.output
    assert Image.open(tmp_path / "q.png").getcolors() == [(1020, 0)]
    assert met.stderr == (f"quantize: warning: {tmp_path / 'dots.png'}: --quality=2 was not "
                          "reached: the most colours allowed, k=1, reach a mean CIEDE2000 of "
                          "0.293, its 99.9th percentile 29.89 > 20, within --quality-limit=3\n")
    alone = run(tmp_path / "dots.png", "-k", 1, "-o", tmp_path / "k1.png")
    assert alone.exit_code == 0, alone.output
    assert (tmp_path / "k1.png").read_bytes() == (tmp_path / "q.png").read_bytes()


def test_a_tail_missed_names_its_percentile_and_only_the_one_missed():
    """Grey with 2 % of red pixels: one colour misses quality=0.5 by its mean and a limit
    of 4 by the 99th percentile alone; the 99.9th, within 40, is not named. (The second row
    of red is a duller one: with the first's, the mean of the entry then fitted, 2.77452,
    rounded either way by the order of float32 sums on different machines.) The entry is
    grey, which holds more than half of the pixels, as ``n_colors=1`` alone draws it."""
    image = grey_with_red_dots()
    image[1, :10] = (200, 40, 40)
    with pytest.raises(QualityError) as info:
        reduce_colors(image, 1, quality=0.5, quality_limit=4, seed=0)
    assert str(info.value).endswith(
        "and so does quality_limit=4: mean CIEDE2000 <= 4, its 99th percentile <= 20 and its "
        "99.9th <= 40 (they reach a mean CIEDE2000 of 0.5805, its 99th percentile 29.33 > "
        "20); quality_limit=5.87 or more keeps their result (set by their 99th percentile "
        "29.33 <= 5 × 5.87), which n_colors=1 alone gives")
    with pytest.warns(QualityLimitWarning) as caught:
        reduce_colors(image, 1, quality=2, quality_limit=6, seed=0)
    assert [str(w.message) for w in caught] == [
        "quality=2 was not reached: the most colours allowed, k=1, reach a mean CIEDE2000 of "
        "0.5805, its 99th percentile 29.33 > 10, its 99.9th percentile 29.89 > 20, within "
        "quality_limit=6"]


def translucent_black(tmp_path):
    """A PNG of 16 black pixels, half at alpha 100: one colour, opaque black (its pixels'
    colour, weighted by their alpha), draws it exactly on black, and a mean CIEDE2000 of
    25.35 away counting the translucent half the worse of black and white, as the quality
    rule does."""
    image = np.zeros((4, 4, 4), np.uint8)
    image[..., 3] = 255
    image[:2, :, 3] = 100
    Image.fromarray(image, "RGBA").save(tmp_path / "black.png")
    return tmp_path / "black.png"


def test_a_figure_counting_translucent_pixels_on_white_says_so(tmp_path):
    """The summary's mean ΔE2000 is on black; the figures of the warning and the error
    count translucent pixels the worse of black and white, as the rule does, and say so."""
    path = translucent_black(tmp_path)
    plain = run(path, "-k", 1, "-o", tmp_path / "k1.png")
    assert "mean ΔE2000 0.00," in plain.stdout
    missed = run(path, "-k", 1, "--quality", 0.5, "--quality-limit", 20, "-o",
                 tmp_path / "q.png")
    assert (missed.exit_code, missed.stderr) == (
        99, f"quantize: error: {path}: --quality=0.5: mean CIEDE2000 <= 0.5 needs more than 1 "
            "colour, and so does --quality-limit=20: mean CIEDE2000 <= 20 (they reach a mean "
            "CIEDE2000 of 25.35, counting translucent pixels on black or white, whichever is "
            "worse); --quality-limit=25.35 or more keeps their result, which -k/--colors=1 "
            "alone gives\n")
    met = run(path, "-k", 1, "--quality", 0.5, "--quality-limit", 30, "-o", tmp_path / "q.png")
    assert met.exit_code == 0, met.output
    assert met.stderr == (f"quantize: warning: {path}: --quality=0.5 was not reached: the most "
                          "colours allowed, k=1, reach a mean CIEDE2000 of 25.35, counting "
                          "translucent pixels on black or white, whichever is worse, within "
                          "--quality-limit=30\n")
    assert (tmp_path / "q.png").read_bytes() == (tmp_path / "k1.png").read_bytes()


def test_with_dither_the_lines_say_the_limit_is_met_undithered(eight, tmp_path):
    """The search measures each k undithered; the dithered file's own mean ΔE2000 follows."""
    result = run(eight, "-k", 4, "--quality", 0.5, "--quality-limit", 30, "--dither", "-o",
                 tmp_path / "q.png")
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if "warning" in line]
    assert warnings == [f"quantize: warning: {eight}: --quality=0.5 was not reached: the most "
                        "colours allowed, k=4, undithered, reach a mean CIEDE2000 of 23.95, "
                        "within --quality-limit=30"]
    assert result.stdout.startswith(
        f"{eight} -> {tmp_path / 'q.png'}: kept k=4, the most allowed, whose undithered result "
        "meets mean ΔE2000 <= 30, its 99th percentile <= 150 and its 99.9th <= 300; 4 colours, ")


def test_a_quality_reached_is_not_changed_by_a_limit(eight, tmp_path):
    plain = run(eight, "--quality", 2, "-o", tmp_path / "q.png", "--json")
    limited = run(eight, "--quality", 2, "--quality-limit", 3, "-o", tmp_path / "l.png",
                  "--json")
    assert limited.exit_code == 0 and limited.stderr == plain.stderr
    assert (tmp_path / "l.png").read_bytes() == (tmp_path / "q.png").read_bytes()
    record = json.loads(limited.stdout)
    assert (record["k"], record["quality_limit"], record["quality_met"]) == (8, 3.0, True)
    assert "chose k=8 for mean ΔE2000 <= 2," in run(
        eight, "--quality", 2, "--quality-limit", 3, "-o", tmp_path / "m.png").stdout


def test_json_records_the_limit_after_quality_and_whether_quality_was_met(eight, tmp_path):
    result = run(eight, "-k", 4, "--quality", 0.5, "--quality-limit", 30, "-o",
                 tmp_path / "q.png", "--json")
    record = json.loads(result.stdout)
    keys = list(record)
    assert keys[keys.index("quality") + 1] == "quality_limit" and keys[-1] == "quality_met"
    assert (record["quality"], record["quality_limit"], record["quality_met"]) == (
        0.5, 30.0, False)
    plain = json.loads(run(eight, "-k", 4, "-o", tmp_path / "k.png", "--json").stdout)
    assert "quality_limit" not in plain and "quality_met" not in plain


@pytest.mark.parametrize("args, message", [
    (["-k", 4, "--quality-limit", 10],
     "--quality-limit=10 needs --quality=Q beside it: it bounds the result kept when Q is out "
     "of reach"),
    (["--quality", 2, "--quality-limit", 1], "--quality-limit=1 should be >= --quality=2"),
    (["--quality", 0, "--quality-limit", 0], "--quality-limit=0 should be > 0"),
    (["--quality", 2, "--quality-limit", -3], "--quality-limit=-3 should be > 0"),
    (["--quality", 2, "--quality-limit", "abc"],
     "--quality-limit='abc' is not valid; expected a number"),
    (["--quality", 2, "--quality-limit", "nan"], "--quality-limit=nan should be a finite number"),
])
def test_a_bad_limit_is_refused_in_one_line(eight, tmp_path, args, message):
    result = run(eight, *args, "-o", tmp_path / "q.png")
    assert (result.exit_code, result.stderr) == (2, f"quantize: error: {message}\n")
    assert not (tmp_path / "q.png").exists()


def three_frames(path: Path, colors=("red", "lime", "blue"), mode="RGB") -> Path:
    """An 8 x 8 animation of one flat frame of each of ``colors``: two colours of red, lime
    and blue are a mean CIEDE2000 of 28.22 away, so quality=0.5 is out of reach of -k 2, a
    limit of 30 is met and one of 10 is not."""
    frames = [Image.new(mode, (8, 8), c) for c in colors]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100)
    return path


def test_an_animation_keeps_the_colours_allowed_within_the_limit(tmp_path):
    gif = three_frames(tmp_path / "a.gif")
    alone = run(gif, "-k", 2, "-o", tmp_path / "k2.gif")
    assert alone.exit_code == 0, alone.output
    result = run(gif, "-k", 2, "--quality", 0.5, "--quality-limit", 30, "-o",
                 tmp_path / "q.gif", "--json")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "q.gif").read_bytes() == (tmp_path / "k2.gif").read_bytes()
    assert result.stderr == (f"quantize: warning: {gif}: --quality=0.5 was not reached: the "
                             "most colours allowed, k=2, with each colour of the frames on its "
                             "nearest entry, reach a mean CIEDE2000 of 28.22, within "
                             "--quality-limit=30\n")
    record = json.loads(result.stdout)
    assert (record["k"], record["frames"], record["quality_limit"], record["quality_met"]) == (
        2, 3, 30.0, False)
    assert list(record)[-1] == "quality_met"


def test_an_animation_that_reaches_quality_records_it_met_without_a_warning(tmp_path):
    gif = three_frames(tmp_path / "a.gif")
    result = run(gif, "-k", 3, "--quality", 0.5, "--quality-limit", 30, "-o",
                 tmp_path / "q.gif", "--json")
    assert (result.exit_code, result.stderr) == (0, "")
    record = json.loads(result.stdout)
    assert (record["k"], record["quality_limit"], record["quality_met"]) == (3, 30.0, True)


def test_an_animation_missing_the_limit_too_writes_nothing_and_names_both(tmp_path):
    gif = three_frames(tmp_path / "a.gif")
    result = run(gif, "-k", 2, "--quality", 0.5, "--quality-limit", 10, "-o",
                 tmp_path / "q.gif")
    assert (result.exit_code, result.stderr) == (
        99, f"quantize: error: {gif}: --quality=0.5: mean CIEDE2000 <= 0.5 needs more than "
            "2 colours, and so does --quality-limit=10: mean CIEDE2000 <= 10 (they reach, with "
            "each colour of the frames on its nearest entry, a mean CIEDE2000 of 28.22); "
            "--quality-limit=28.23 or more keeps their result, which -k/--colors=2 alone "
            "gives\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.gif"]


def test_an_animation_with_partial_alpha_keeps_its_palette_within_the_limit(tmp_path):
    """An APNG with translucent frames is fitted with alpha (the still's histogram fit):
    the limit is taken there too, counting translucent pixels as the quality does."""
    from quantize.animation import reduce_animation_file

    apng = three_frames(tmp_path / "t.png", ((255, 0, 0, 128), (0, 255, 0, 255),
                                             (0, 0, 255, 60)), "RGBA")
    alone = reduce_animation_file(apng, tmp_path / "k2.png", n_colors=2)
    with pytest.warns(QualityLimitWarning) as caught:
        kept = reduce_animation_file(apng, tmp_path / "q.png", n_colors=2, quality=0.5,
                                     quality_limit=40)
    assert [str(w.message) for w in caught] == [
        "quality=0.5 was not reached: the most colours allowed, k=2, with each colour of the "
        "frames on its nearest entry, reach a mean CIEDE2000 of 14.74, counting translucent "
        "pixels on black or white, whichever is worse, within quality_limit=40"]
    assert (tmp_path / "q.png").read_bytes() == (tmp_path / "k2.png").read_bytes()
    assert (kept["palette"], kept["quality_met"]) == (alone["palette"], False)
    with pytest.raises(QualityError, match=r"and so does quality_limit=5: mean CIEDE2000 <= 5 "):
        reduce_animation_file(apng, tmp_path / "m.png", n_colors=2, quality=0.5,
                              quality_limit=5)


@pytest.fixture
def fitted_k(monkeypatch):
    """The k of every full fit a quality search or ``n_colors`` makes, of a still
    (:func:`quantize.reduce.fit.fit`) or of an animation's one palette (``fit_palette``)."""
    import quantize.animation.plans as plans
    import quantize.reduce.image as image
    import quantize.reduce.quality as quality

    ks: list[int] = []

    def counting(fitted: Callable[..., Any], k_at: int) -> Callable[..., Any]:
        def counted(*args: Any, **kwargs: Any) -> Any:
            ks.append(args[k_at])
            return fitted(*args, **kwargs)
        return counted

    for module, name, k_at in ((image, "fit", 3), (quality, "fit", 3),
                               (plans, "fit_palette", 2)):
        monkeypatch.setattr(module, name, counting(getattr(module, name), k_at))
    return ks


def test_the_colours_kept_for_a_limit_are_fitted_once(fitted_k, tmp_path):
    """The search's fit of the most colours allowed is the result kept: not fitted again."""
    with pytest.warns(QualityLimitWarning):
        reduce_colors(eight_rows(), 4, quality=0.5, quality_limit=30, seed=0)
    assert sorted(fitted_k) == sorted(set(fitted_k)) and 4 in fitted_k
    fitted_k.clear()
    with pytest.warns(QualityLimitWarning):
        reduce_file(three_frames(tmp_path / "a.gif"), tmp_path / "q.gif", n_colors=2,
                    quality=0.5, quality_limit=30)
    assert fitted_k == [2]


def test_reduce_colors_keeps_the_colours_allowed_within_the_limit():
    image = eight_rows()
    alone = reduce_colors(image, 4, seed=0)
    with pytest.warns(QualityLimitWarning) as caught:
        kept = reduce_colors(image, 4, quality=0.5, quality_limit=30, seed=0)
    assert [(str(w.message), w.filename) for w in caught] == [(KEPT, __file__)]
    assert np.array_equal(kept.palette, alone.palette)
    assert np.array_equal(kept.indices, alone.indices)
    with pytest.raises(QualityError) as info:
        reduce_colors(image, 4, quality=0.5, quality_limit=10, seed=0)
    assert str(info.value) == BOTH_MISSED


def test_reduce_colors_with_a_generator_keeps_what_n_colors_gives_from_it():
    """The search draws on the Generator; the result kept is fitted from its state as given."""
    image = eight_rows()
    alone = reduce_colors(image, 4, seed=np.random.default_rng(5))
    with pytest.warns(QualityLimitWarning):
        kept = reduce_colors(image, 4, quality=0.5, quality_limit=30,
                             seed=np.random.default_rng(5))
    assert np.array_equal(kept.palette, alone.palette)
    assert np.array_equal(kept.indices, alone.indices)


@pytest.mark.parametrize("kwargs, error, match", [
    ({"quality_limit": 3}, ValueError, r"^quality_limit=3 needs quality=Q beside it"),
    ({"quality": 2, "quality_limit": 1.5}, ValueError,
     r"^quality_limit=1.5 should be >= quality=2$"),
    ({"quality": 0, "quality_limit": 0}, ValueError, r"^quality_limit=0 should be > 0$"),
    ({"quality": 2, "quality_limit": float("inf")}, ValueError,
     r"^quality_limit=inf should be a finite number$"),
    ({"quality": 2, "quality_limit": "3"}, TypeError,
     r"^quality_limit='3' should be a number, got str$"),
])
def test_reduce_colors_refuses_a_bad_limit(kwargs, error, match):
    with pytest.raises(error, match=match):
        reduce_colors(eight_rows(), 4, **kwargs)


def test_reduce_file_writes_what_n_colors_writes_and_records_it(tmp_path):
    Image.fromarray(eight_rows()).save(tmp_path / "eight.png")
    alone = reduce_file(tmp_path / "eight.png", tmp_path / "k4.png", n_colors=4)
    with pytest.warns(QualityLimitWarning) as caught:
        kept = reduce_file(tmp_path / "eight.png", tmp_path / "q.png", n_colors=4, quality=0.5,
                           quality_limit=30)
    assert [str(w.message) for w in caught] == [KEPT]
    assert (tmp_path / "q.png").read_bytes() == (tmp_path / "k4.png").read_bytes()
    assert (kept["quality"], kept["quality_limit"], kept["quality_met"]) == (0.5, 30.0, False)
    assert "quality_limit" not in alone and "quality_met" not in alone
    with pytest.raises(QualityError) as info:
        reduce_file(tmp_path / "eight.png", tmp_path / "m.png", n_colors=4, quality=0.5,
                    quality_limit=10)
    assert str(info.value) == BOTH_MISSED
    assert not (tmp_path / "m.png").exists()


def test_the_error_keeps_what_was_reached_across_processes():
    reached = QualityReached(4, 23.95, (2.5, 41.2), True)
    err = QualityError("needs more", path="a.png", reached=reached)
    copy = pickle.loads(pickle.dumps(err))
    assert (copy.reached, copy.path, copy.reason) == (reached, "a.png", "needs more")
    assert type(copy.reached) is QualityReached


def test_a_folder_carries_the_limit_into_the_batch_call_it_proposes(tmp_path):
    """batch takes --quality-limit: the call proposed for a folder left it out."""
    (tmp_path / "pics").mkdir()
    folder = tmp_path / "pics"
    result = run(folder, "--quality", 2, "--quality-limit", 3)
    assert (result.exit_code, result.stderr) == (
        1, f"quantize: error: {folder}: is a directory, expected an image file; for every "
           f"image in it: quantize batch {folder} -o OUT_DIR --quality 2 --quality-limit 3\n")


# --------------------------------------------------------------------------
# batch
# --------------------------------------------------------------------------

@pytest.fixture
def eight_and_two(tmp_path):
    """A folder of eight.png, whose quality=0.5 4 colours miss, and two.png, of 2 colours,
    which reach it."""
    folder = tmp_path / "in"
    folder.mkdir()
    Image.fromarray(eight_rows()).save(folder / "eight.png")
    Image.fromarray(np.repeat(EIGHT[:2, None], 8, axis=1)).save(folder / "two.png")
    return folder


def run_batch(*args):
    return runner.invoke(app, ["batch", *map(str, args)])


def test_plan_batch_takes_a_limit_and_its_rows_say_whether_quality_was_met(tmp_path,
                                                                           eight_and_two):
    """plan_batch refused quality_limit before any file was read."""
    from quantize import batch

    reduce_file(eight_and_two / "eight.png", tmp_path / "k4.png", n_colors=4)
    plan = batch.plan_batch(eight_and_two, tmp_path / "out", batch.reduce_mode(),
                            options={"n_colors": 4, "quality": 0.5, "quality_limit": 30})
    results = batch.run_batch(plan, jobs=1)
    rows = {Path(r.input).name: r.as_row() for r in results}
    assert {name: (r["status"], r["k"], r["quality_limit"], r["quality_met"])
            for name, r in rows.items()} == {"eight.png": ("ok", 4, 30.0, False),
                                             "two.png": ("ok", 2, 30.0, True)}
    assert rows["eight.png"]["warnings"] == [KEPT]
    assert "warnings" not in rows["two.png"]
    assert (tmp_path / "out" / "eight.png").read_bytes() == (tmp_path / "k4.png").read_bytes()


#: The options a reduce job records only when given, last in every row and CSV: null when
#: not given.
_GIVEN = ["palette_fitted", "matte", "fixed_colors", "strip", "keep_gps", "intent", "nodata",
          "nearest", "transparent_color"]


def test_batch_reports_gain_the_limit_and_whether_quality_was_met_last(tmp_path,
                                                                      eight_and_two):
    """The CSV's columns and the JSON rows' keys had neither; the ones before stay put."""
    from quantize import batch

    out, csv_report, json_report = tmp_path / "out", tmp_path / "r.csv", tmp_path / "r.json"
    result = run_batch(eight_and_two, "-o", out, "-k", 4, "--quality", 0.5, "--quality-limit",
                       30, "-j", 1, "--report", csv_report)
    assert result.exit_code == 0, result.output
    assert result.stderr == (f"quantize: warning: {eight_and_two / 'eight.png'}: "
                             f"{KEPT_FLAGS}\n")
    with open(csv_report, newline="", encoding="utf-8-sig") as f:
        table = list(csv.reader(f))
    earlier = [*batch.REPORT_COLUMNS,
               *sorted(set(batch.ROW_KEYS["reduce"])
                       - {*batch.REPORT_COLUMNS, "skipped", "quality_limit", "quality_met",
                          "max_bytes", "max_bytes_bound", "failure", *_GIVEN,
                          "quality_bound"})]
    assert table[0] == [*earlier, "skipped", "quality_limit", "quality_met", "max_bytes",
                        "max_bytes_bound", "failure",  # the kind of a failure, added after them
                        *_GIVEN, "quality_bound"]
    assert [(Path(row[0]).name, row[2], *row[-16:-11]) for row in table[1:]] == [
        ("eight.png", "ok", "", "30.0", "False", "", ""),
        ("two.png", "ok", "", "30.0", "True", "", "")]
    again = run_batch(eight_and_two, "-o", out, "-k", 4, "--quality", 0.5, "--quality-limit",
                      30, "--report", json_report, "--json")
    assert again.exit_code == 0, again.output
    rows = json.loads(json_report.read_text())["files"]
    assert list(rows[0])[-16:] == ["warnings", "quality_limit", "quality_met", "max_bytes",
                                   "max_bytes_bound", "failure", *_GIVEN, "quality_bound"]
    assert [(r["skipped"], r["quality_limit"], r["quality_met"]) for r in rows] == [
        ("done", 30.0, False), ("done", 30.0, True)]
    objects = [json.loads(line) for line in again.stdout.splitlines()]
    assert [list(o)[-15:] for o in objects] == [["quality_limit", "quality_met", "max_bytes",
                                                 "max_bytes_bound", "failure", *_GIVEN,
                                                 "quality_bound"]] * 2


def test_a_batch_without_a_limit_has_empty_limit_cells(tmp_path, eight_and_two):
    out, report = tmp_path / "out", tmp_path / "r.json"
    result = run_batch(eight_and_two, "-o", out, "-k", 4, "-j", 1, "--report", report)
    assert result.exit_code == 0, result.output
    rows = json.loads(report.read_text())["files"]
    assert [(r["quality_limit"], r["quality_met"]) for r in rows] == [(None, None)] * 2


def test_a_batch_file_missing_the_limit_too_fails_with_both_bounds(tmp_path, eight_and_two):
    report = tmp_path / "r.json"
    result = run_batch(eight_and_two, "-o", tmp_path / "out", "-k", 4, "--quality", 0.5,
                       "--quality-limit", 10, "-j", 1, "-q", "--report", report)
    assert (result.exit_code, result.stderr) == (  # 99, as reduce: no other failure
        99, f"quantize: error: {eight_and_two / 'eight.png'}: "
           f"{BOTH_MISSED_FLAGS}\n")
    rows = {Path(r["input"]).name: r for r in json.loads(report.read_text())["files"]}
    assert (rows["eight.png"]["status"], rows["eight.png"]["reason"]) == (
        "failed", BOTH_MISSED_FLAGS)
    assert (rows["two.png"]["status"], rows["two.png"]["quality_met"]) == ("ok", True)
    assert not (tmp_path / "out" / "eight.png").exists()


def test_with_q_the_files_kept_within_the_limit_are_said_in_one_line(tmp_path, eight_and_two):
    """-q prints warnings (its help and docs/batch.md say so), but a folder of photos kept
    within --quality-limit printed one warning line per file: 32 lines for 32 photos. With
    -q one line counts them; their report rows keep each file's warning."""
    shutil.copy(eight_and_two / "eight.png", eight_and_two / "nine.png")
    report = tmp_path / "r.json"
    result = run_batch(eight_and_two, "-o", tmp_path / "out", "-k", 4, "--quality", 0.5,
                       "--quality-limit", 30, "-j", 1, "-q", "--report", report)
    assert (result.exit_code, result.stderr) == (0, (
        "quantize: warning: 2 files did not reach --quality=0.5, each kept with the most "
        "colours allowed, within --quality-limit=30 (mean CIEDE2000 up to 23.95): "
        f"{eight_and_two / 'eight.png'}, {eight_and_two / 'nine.png'}; their --report rows "
        "say quality_met false\n"))
    rows = {Path(r["input"]).name: r for r in json.loads(report.read_text())["files"]}
    assert [rows[name].get("warnings") for name in ("eight.png", "nine.png", "two.png")] == [
        [KEPT_FLAGS], [KEPT_FLAGS], None]
    loud = run_batch(eight_and_two, "-o", tmp_path / "loud", "-k", 4, "--quality", 0.5,
                     "--quality-limit", 30, "-j", 1)  # without -q: a line each, as before
    assert loud.stderr == "".join(f"quantize: warning: {eight_and_two / name}: {KEPT_FLAGS}\n"
                                  for name in ("eight.png", "nine.png"))


def test_a_rerun_skips_a_file_that_missed_its_quality_until_its_input_or_options_change(
        tmp_path, eight_and_two):
    """Each file that missed its quality was searched again at every rerun of an unchanged
    folder (a 16-file rerun took 11.2 s for 11 such files). The manifest records the miss;
    a rerun with the same options skips the file, exit 99 still, so that a build still
    fails; --force, a changed input or other options try it again."""
    out, eight = tmp_path / "out", eight_and_two / "eight.png"
    args = (eight_and_two, "-o", out, "-k", 4, "--quality", 0.5, "--quality-limit", 10, "-j", 1)
    first = run_batch(*args, "-q")
    assert (first.exit_code, first.stderr) == (99, f"quantize: error: {eight}: "
                                                   f"{BOTH_MISSED_FLAGS}\n")
    again = run_batch(*args)
    skipped = f"missed its quality last run ({BOTH_MISSED_FLAGS}); --force tries it again"
    assert (again.exit_code, again.stderr) == (99, f"quantize: warning: {eight}: {skipped}\n")
    line = next(x for x in again.stdout.splitlines() if str(eight) in x)
    assert line.startswith(f"[1/2] skipped {eight}  seconds=") and line.endswith(f"({skipped})")
    assert again.stdout.splitlines()[-1].startswith(
        "2/2 files: 0 ok, 2 skipped (1 missed its quality last run), 0 failed in ")
    rows = [json.loads(x) for x in run_batch(*args, "--json").stdout.splitlines()]
    assert [(r["status"], r["skipped"], r["output"]) for r in rows] == [
        ("skipped", "quality", None), ("skipped", "done", str(out / "two.png"))]
    assert len({len(r) for r in rows}) == 1  # every object with the same keys
    forced = run_batch(*args, "--force", "-q")  # tried again: missed again
    assert (forced.exit_code, forced.stderr) == (99, first.stderr)
    Image.fromarray(eight_rows()[::-1]).save(eight)  # its input changed: tried, missed again
    changed = run_batch(*args, "-q")
    assert (changed.exit_code, changed.stderr) == (99, first.stderr)
    within = run_batch(*args[:-4], "--quality-limit", 30, "-j", 1, "--json")
    assert within.exit_code == 0, within.output  # another limit: tried, kept within it
    assert {Path(r["input"]).name: r["status"] for r in map(
        json.loads, within.stdout.splitlines())} == {"eight.png": "ok", "two.png": "skipped"}


def _as_before_the_limit(output_dir: Path) -> None:
    """Rewrite ``output_dir``'s record of finished outputs as versions before
    --quality-limit wrote it: no ``quality_limit`` among the settings."""
    from quantize import batch

    manifest = output_dir / batch.MANIFEST_NAME
    lines = [json.loads(line) for line in manifest.read_text(encoding="utf-8").splitlines()]
    for line in lines:
        line.get("settings", {}).pop("quality_limit", None)
    manifest.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")


def test_a_rerun_over_a_folder_of_an_earlier_version_skips_its_outputs(tmp_path,
                                                                      eight_and_two):
    """The settings recorded gained quality_limit=None: every output of an earlier version
    was taken as made with other options (exit 15)."""
    out = tmp_path / "out"
    assert run_batch(eight_and_two, "-o", out, "-k", 4, "-j", 1, "-q").exit_code == 0
    _as_before_the_limit(out)
    again = run_batch(eight_and_two, "-o", out, "-k", 4, "--json")
    assert again.exit_code == 0, again.output
    assert [json.loads(line)["skipped"] for line in again.stdout.splitlines()] == ["done"] * 2


def test_a_limit_added_on_a_rerun_bears_only_on_outputs_that_missed_quality(tmp_path,
                                                                           eight_and_two):
    """An output that reached quality is what a limit gives too; one kept within a limit is
    not what a run without it gives (that file fails)."""
    out = tmp_path / "out"
    (eight_and_two / "eight.png").rename(tmp_path / "eight.png")
    assert run_batch(eight_and_two, "-o", out, "-k", 4, "--quality", 0.5, "-q").exit_code == 0
    _as_before_the_limit(out)
    limited = run_batch(eight_and_two, "-o", out, "-k", 4, "--quality", 0.5,
                        "--quality-limit", 30, "--json")
    assert (limited.exit_code, json.loads(limited.stdout)["skipped"]) == (0, "done")
    (tmp_path / "eight.png").rename(eight_and_two / "eight.png")
    assert run_batch(eight_and_two, "-o", out, "-k", 4, "--quality", 0.5,
                     "--quality-limit", 30, "-q").exit_code == 0
    without = run_batch(eight_and_two, "-o", out, "-k", 4, "--quality", 0.5, "-q")
    assert (without.exit_code, without.stderr) == (
        15, f"quantize: error: {out}: 1 output was made with --quality-limit=30.0, while this "
            "run asks for --quality-limit=(not given); add --force to redo it, or choose "
            "another -o folder\n")


@pytest.mark.parametrize("args, message", [
    (["-k", 4, "--quality-limit", 10],
     "--quality-limit=10 needs --quality=Q beside it: it bounds the result kept when Q is out "
     "of reach"),
    (["--quality", 2, "--quality-limit", 1], "--quality-limit=1 should be >= --quality=2"),
    (["--mode", "segment", "--quality-limit", 1],
     "--quality-limit does not apply to --mode segment; expected it only with --mode reduce"),
])
def test_batch_refuses_a_bad_limit_before_any_file(tmp_path, eight_and_two, args, message):
    result = run_batch(eight_and_two, "-o", tmp_path / "out", *args)
    assert (result.exit_code, result.stderr) == (2, f"quantize: error: {message}\n")
    assert not (tmp_path / "out").exists()


def test_the_html_report_says_a_k_kept_as_quality_was_missed(tmp_path, eight_and_two):
    html = tmp_path / "r.html"
    result = run_batch(eight_and_two, "-o", tmp_path / "out", "-k", 4, "--quality", 0.5,
                       "--quality-limit", 30, "-q", "--html", html)
    assert result.exit_code == 0, result.output
    page = html.read_text(encoding="utf-8")
    assert page.count("(Q missed)") == 1
    assert '<td class="num">4 (Q missed)</td>' in page


def test_an_animation_in_a_batch_takes_the_limit_as_the_stills_do(tmp_path, eight_and_two):
    """The animation's one palette of the colours allowed is kept within the limit, and
    its row says that quality was missed, as a still's does."""
    three_frames(eight_and_two / "a.gif")
    result = run_batch(eight_and_two, "-o", tmp_path / "out", "-k", 2, "--quality", 0.5,
                       "--quality-limit", 40, "-j", 1, "--json")
    assert result.exit_code == 0, result.output
    objects = {Path(o["input"]).name: o for o in map(json.loads, result.stdout.splitlines())}
    assert {name: (o["status"], o["k"], o["quality_met"]) for name, o in objects.items()} == {
        "a.gif": ("ok", 2, False), "eight.png": ("ok", 2, False), "two.png": ("ok", 2, True)}


def test_an_animation_whose_only_miss_is_an_accent_says_so_as_its_first_frame_does(tmp_path):
    """A 6 x 6 red area a frame among 39,964 grey and blue pixels: 2 colours meet the mean
    and the tail, but draw the red 29.89 away, beyond 4 Q. The animation's error said only
    the mean and tail bounds; it says the accent bound as the still of its first frame
    does, and both say what the colours allowed reach (the animation on its pooled
    colours, twice the red pixels; the still on the 16 inner pixels of its area)."""
    def frame(shift: int) -> np.ndarray:
        image = np.full((200, 200, 3), 128, np.uint8)
        image[:40, :60] = (20, 40, 210)
        image[150:156, 100 + shift:106 + shift] = (220, 30, 30)
        return image

    first = Image.fromarray(frame(0))
    first.save(tmp_path / "a.gif", save_all=True, append_images=[Image.fromarray(frame(2))],
               duration=100)
    first.save(tmp_path / "first.png")
    bounds = ("--quality=2: mean CIEDE2000 <= 2, its 99th percentile <= 10 and its 99.9th <= "
              "20 (and every colour of at least 16 pixels and 0.005% of them within 8) needs "
              "more than 2 colours (they reach")
    still = run(tmp_path / "first.png", "-k", 2, "--quality", 2, "-o", tmp_path / "q.png")
    assert (still.exit_code, still.stderr) == (
        99, f"quantize: error: {tmp_path / 'first.png'}: {bounds} a mean CIEDE2000 of 0.0269, "
            "a colour of 16 pixels 29.89 away > 8); --quality-limit=7.48 or more keeps their "
            "result (set by a colour of 16 pixels 29.89 away <= 4 × 7.48), which "
            "-k/--colors=2 alone gives\n")
    animation = run(tmp_path / "a.gif", "-k", 2, "--quality", 2, "-o", tmp_path / "q.gif")
    assert (animation.exit_code, animation.stderr) == (
        99, f"quantize: error: {tmp_path / 'a.gif'}: {bounds}, with each colour of the frames "
            "on its nearest entry, a mean CIEDE2000 of 0.0269, a colour of 72 pixels 29.89 "
            "away > 8); --quality-limit=7.48 or more keeps their result (set by a colour of 72 "
            "pixels 29.89 away <= 4 × 7.48), which -k/--colors=2 alone gives\n")


@pytest.mark.parametrize("make", [lambda tmp_path: tmp_path / "eight.png",
                                  lambda tmp_path: three_frames(tmp_path / "a.gif")])
def test_the_error_of_a_quality_out_of_reach_names_the_limit_that_keeps_the_result(
        eight, tmp_path, make):
    """The error said what the colours allowed reach, not what to do about it (a web build
    moved from pngquant's --quality 65-80 failed 3 of 34 files with --quality 2): it names
    the smallest --quality-limit their result meets, which writes what -k alone writes, and
    one a hundredth below it misses."""
    src = make(tmp_path)
    missed = run(src, "-k", 2, "--quality", 0.5, "-o", tmp_path / f"q{src.suffix}")
    assert missed.exit_code == 99
    said = missed.stderr.split("; --quality-limit=")[1]
    limit, rest = said.split(" ", 1)
    assert rest == "or more keeps their result, which -k/--colors=2 alone gives\n"
    kept = run(src, "-k", 2, "--quality", 0.5, "--quality-limit", limit, "-o",
               tmp_path / f"kept{src.suffix}")
    alone = run(src, "-k", 2, "-o", tmp_path / f"k2{src.suffix}")
    assert (kept.exit_code, alone.exit_code) == (0, 0), kept.output + alone.output
    assert ((tmp_path / f"kept{src.suffix}").read_bytes()
            == (tmp_path / f"k2{src.suffix}").read_bytes())
    below = run(src, "-k", 2, "--quality", 0.5, "--quality-limit", float(limit) - 0.01, "-o",
                tmp_path / f"below{src.suffix}")
    assert below.exit_code == 99
