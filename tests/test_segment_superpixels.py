"""segment(superpixels=N), --superpixels: how many superpixels the region hierarchy starts
from, and regions=N above the default's superpixels raising them."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from quantize import segment
from quantize.batch.manifest import _as_checked
from quantize.cli import app
from quantize.segment import RegionCountWarning, SuperpixelCountWarning, check_superpixels
from quantize.segment_file import check_segment_options, segment_file

runner = CliRunner()


def _dots() -> np.ndarray:
    """300 x 300 dark grey with 15 x 15 light 5 x 5 dots, 20 pixels apart: each dot far
    smaller than a default superpixel (cells of 12 pixels a side, pieces under 36 join a
    neighbour)."""
    img = np.full((300, 300, 3), 40, dtype=np.uint8)
    for y in range(10, 300, 20):
        for x in range(10, 300, 20):
            img[y:y + 5, x:x + 5] = 220
    return img


def _light_regions(img: np.ndarray, labels: np.ndarray) -> int:
    """The regions of ``labels`` whose mean red is light (over 130)."""
    labels = np.asarray(labels)
    mean = np.bincount(labels.ravel(), img[..., 0].ravel()) / np.bincount(labels.ravel())[
        np.arange(labels.max() + 1)].clip(1)
    return int((mean[1:] > 130).sum())


@pytest.fixture(scope="module")
def dots_at_2500():
    """``segment(_dots(), superpixels=2500)`` (2.3 s of CPU), made once for the tests that
    read it and leave it as it is; any warning it gives is an error. Also the image it
    was given, to check that the call left it unchanged."""
    img = _dots()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = segment(img, superpixels=2500)
    return img, result


def test_the_default_merges_small_dots_that_more_superpixels_keep_one_by_one(dots_at_2500):
    img = _dots()
    before = img.copy()
    default = segment(img)
    assert (default.n_regions, _light_regions(img, default.labels)) == (1, 0)
    np.testing.assert_array_equal(img, before)
    given, finer = dots_at_2500
    assert (finer.n_regions, _light_regions(img, finer.labels)) == (226, 225)
    np.testing.assert_array_equal(given, before)


def test_superpixels_of_the_default_count_give_the_default_regions():
    img = _dots()
    img[150:, :] = 120
    np.testing.assert_array_equal(segment(img, superpixels=600).labels, segment(img).labels)


def test_regions_above_the_default_superpixels_raise_them_and_cut_at_that_many():
    """The default's superpixels of the dots image are about 625 (cells of 12 pixels):
    regions=700 warned and cut at fewer; it now starts from about 1400."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = segment(_dots(), regions=700)
    assert result.n_regions == 700


def test_regions_above_the_superpixels_given_warn_and_cut_at_those():
    with pytest.warns(RegionCountWarning, match=r"regions=700 but the image has only \d+ "):
        result = segment(_dots(), regions=700, superpixels=100)
    assert result.n_regions < 700


def test_superpixels_above_the_smallest_cells_warn_saying_how_many_are_used(dots_at_2500):
    """Cells are at least 6 working pixels a side: 2500 of them on the 300 x 300 dots, so
    superpixels=5000 gave what 2500 gives, without a word."""
    img = _dots()
    with pytest.warns(SuperpixelCountWarning) as caught:
        capped = segment(img, superpixels=5000)
    assert [str(w.message) for w in caught] == [
        "superpixels=5000 is more than the 300 x 300 working copy holds in cells of at least "
        "6 pixels a side: 2500 cells of 6 are used, as for any larger number"]
    assert caught[0].filename == __file__
    np.testing.assert_array_equal(capped.labels, dots_at_2500[1].labels)


def test_on_a_tiny_image_the_warning_names_its_smaller_cells():
    """A 12 x 15 image's cells are at least 4 pixels a side (a third of its shorter side)."""
    img = np.zeros((12, 15, 3), np.uint8)
    img[:, 7:] = 200
    with pytest.warns(SuperpixelCountWarning, match=r"^superpixels=100 is more than the 15 x "
                                                     r"12 working copy holds in cells of at "
                                                     r"least 4 pixels a side: 12 cells of 4 "):
        segment(img, superpixels=100)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        segment(img, superpixels=12)


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"superpixels": 0}, ValueError, "superpixels=0 should be >= 1"),
    ({"superpixels": 2.0}, TypeError, "superpixels=2.0 should be an integer, got float"),
    ({"superpixels": True}, TypeError, "superpixels=True should be an integer"),
    ({"superpixels": 900, "n_clusters": 3}, ValueError,
     "superpixels=900 applies to the region hierarchy only; expected no superpixels with "
     "n_clusters=3"),
])
def test_bad_superpixels_are_refused_naming_them(kwargs, error, match):
    with pytest.raises(error, match=match):
        segment(np.zeros((8, 8, 3), dtype=np.uint8), **kwargs)


def test_check_superpixels_takes_none_as_the_default():
    assert (check_superpixels(None, None), check_superpixels(None, 4),
            check_superpixels(np.int64(900), None)) == (None, None, 900)


def test_segment_file_records_superpixels_only_when_given(tmp_path):
    path = tmp_path / "dots.png"
    Image.fromarray(_dots()).save(path)
    given = segment_file(path, tmp_path / "given", superpixels=2500)
    assert (given["superpixels"], given["n_regions"]) == (2500, 226)
    assert "superpixels" not in segment_file(path, tmp_path / "default")
    saved = json.loads((tmp_path / "given" / "segments.json").read_text())
    assert saved["superpixels"] == 2500


def test_batch_settings_without_superpixels_match_those_recorded_before_it():
    options = check_segment_options(regions=5)
    assert options["superpixels"] is None
    assert "superpixels" not in _as_checked(options)
    assert _as_checked(check_segment_options(superpixels=900))["superpixels"] == 900


def test_the_command_takes_superpixels_and_refuses_them_with_k(tmp_path):
    """One run past the cap (what 2500 gives, as segment says) shows both that the option
    reaches the hierarchy (226 regions, not the default's 1) and the cap's warning line."""
    path = tmp_path / "dots.png"
    Image.fromarray(_dots()).save(path)
    capped = runner.invoke(app, ["segment", str(path), "--superpixels", "5000", "--json",
                                 "-o", str(tmp_path / "capped")])
    assert capped.exit_code == 0, capped.output
    assert json.loads(capped.stdout)["n_regions"] == 226
    assert capped.stderr == (
        f"quantize: warning: {path}: --superpixels=5000 is more than the 300 x 300 working "
        "copy holds in cells of at least 6 pixels a side: 2500 cells of 6 are used, as for "
        "any larger number\n")
    bad = runner.invoke(app, ["segment", str(path), "-k", "3", "--superpixels", "900",
                              "-o", str(tmp_path / "bad")])
    assert (bad.exit_code, bad.stderr) == (
        2, "quantize: error: --superpixels=900 applies to the region hierarchy only; expected "
           "no superpixels with -k/--clusters=3\n")


def test_batch_takes_superpixels_for_segment_and_refuses_it_for_reduce(tmp_path):
    """The top 60 rows of the dots: 46 regions by default (a dot each, and the ground), one
    from 10 superpixels, whose cells hold several dots each."""
    folder = tmp_path / "in"
    folder.mkdir()
    Image.fromarray(_dots()[:60]).save(folder / "dots.png")
    assert segment(_dots()[:60]).n_regions == 46
    out = runner.invoke(app, ["batch", str(folder), "-o", str(tmp_path / "out"), "--mode",
                              "segment", "--superpixels", "10", "--json"])
    assert out.exit_code == 0, out.output
    record = json.loads((tmp_path / "out" / "dots" / "segments.json").read_text())
    assert (record["superpixels"], record["n_regions"]) == (10, 1)
    reduce = runner.invoke(app, ["batch", str(folder), "-o", str(tmp_path / "red"),
                                 "--superpixels", "2500"])
    assert (reduce.exit_code, reduce.stderr) == (
        2, "quantize: error: --superpixels does not apply to --mode reduce; expected it only with "
           "--mode segment\n")
