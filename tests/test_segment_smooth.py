"""segment(n_clusters=K, smooth=PX), --smooth: the speck size of the k-means path's majority
smoothing (0: none), and the SpecksRemovedWarning when it and min_region remove more than a
quarter of a cluster's pieces."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
from PIL import Image, ImageDraw
from typer.testing import CliRunner

from quantize import segment
from quantize.batch.manifest import _as_checked
from quantize.cli import app
from quantize.segment import RegionCountWarning, SpecksRemovedWarning, check_smooth
from quantize.segment_file import check_segment_options, segment_file

runner = CliRunner()
COLOUR = {"xy": 0, "texture": 0}


def _specks() -> np.ndarray:
    """64 x 64 dark grey with 4 light 8 x 8 squares and 8 light 2 x 2 dots: the dots are
    narrower than the default speck size (3 pixels on 64 x 64), the squares wider."""
    img = np.full((64, 64, 3), 40, dtype=np.uint8)
    for y, x in [(4, 4), (4, 40), (40, 4), (40, 40)]:
        img[y:y + 8, x:x + 8] = 220
    for y, x in [(26, 6), (26, 20), (26, 34), (26, 48), (52, 24), (58, 24), (16, 28),
                 (2, 28)]:
        img[y:y + 2, x:x + 2] = 220
    return img


def test_smooth_0_keeps_every_dot_that_the_default_smoothing_removes():
    img = _specks()
    before = img.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        kept = segment(img, 2, weights=COLOUR, min_region=0, seed=0, smooth=0)
    assert kept.n_regions == 13  # the background, 4 squares and 8 dots
    assert sorted(np.bincount(kept.labels.ravel())[1:].tolist())[:9] == [4] * 8 + [64]
    with pytest.warns(SpecksRemovedWarning):
        default = segment(img, 2, weights=COLOUR, min_region=0, seed=0)
    assert default.n_regions == 5
    np.testing.assert_array_equal(img, before)


def test_a_speck_size_given_keeps_the_details_at_least_that_wide():
    img = _specks()
    img[30:33, 8:11] = 220  # a 3 x 3 dot: kept at smooth=3, which removes the 2 x 2 ones
    with pytest.warns(SpecksRemovedWarning):
        result = segment(img, 2, weights=COLOUR, min_region=0, seed=0, smooth=3)
    assert sorted(np.bincount(result.labels.ravel())[1:].tolist())[:2] == [9, 64]


def test_the_warning_says_what_removed_the_pieces_and_what_keeps_them():
    with pytest.warns(SpecksRemovedWarning) as caught:
        segment(_specks(), 2, weights=COLOUR, min_region=0, seed=0)
    assert [str(w.message) for w in caught] == [
        "n_clusters=2: the majority smoothing (of specks narrower than about 3 pixels) left "
        "cluster 1 with 4 regions of the 12 connected pieces it had (of at least 4 pixels of "
        "the 64 x 64 image); smooth=0 keeps them"]
    with pytest.warns(SpecksRemovedWarning) as caught:
        segment(_specks(), 2, weights=COLOUR, min_region=5, seed=0, smooth=0)
    assert [str(w.message) for w in caught] == [
        "n_clusters=2: min_region=5 left cluster 1 with 4 regions of the 12 connected pieces "
        "it had (of at least 4 pixels of the 64 x 64 image); min_region=0 keeps them"]
    img = _specks()  # none with texture weights, nor when three quarters of them stay
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        segment(img, 2, weights={"xy": 0}, min_region=0, seed=0)
        img[26:28] = img[52:60] = img[2:4] = 40  # one dot left: 1 of 5 pieces lost
        assert segment(img, 2, weights=COLOUR, min_region=0, seed=0).n_regions == 5


@pytest.mark.parametrize("kwargs, error, match", [
    ({"smooth": -1, "n_clusters": 2}, ValueError, "smooth=-1 should be >= 0"),
    ({"smooth": 257, "n_clusters": 2}, ValueError, "smooth=257 should be <= 256"),
    ({"smooth": 2.0, "n_clusters": 2}, TypeError, "smooth=2.0 should be an integer, got float"),
    ({"smooth": True, "n_clusters": 2}, TypeError, "smooth=True should be an integer"),
    ({"smooth": 3}, ValueError,
     r"smooth=3 applies to k-means clusters only \(n_clusters=K\); the region hierarchy has "
     r"no majority smoothing to size; expected it with n_clusters=K only"),
])
def test_bad_smooth_is_refused_naming_it(kwargs, error, match):
    with pytest.raises(error, match=match):
        segment(_specks(), **kwargs)


def test_check_smooth_takes_none_as_the_default():
    assert (check_smooth(None, None), check_smooth(None, 2),
            check_smooth(np.int64(0), 2)) == (None, None, 0)


def test_segment_file_records_smooth_only_when_given(tmp_path):
    path = tmp_path / "specks.png"
    Image.fromarray(_specks()).save(path)
    given = segment_file(path, tmp_path / "given", n_clusters=2, weights=COLOUR,
                         min_region=0, smooth=0)
    assert (given["smooth"], given["n_regions"]) == (0, 13)
    saved = json.loads((tmp_path / "given" / "segments.json").read_text())
    assert saved["smooth"] == 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SpecksRemovedWarning)
        assert "smooth" not in segment_file(path, tmp_path / "default", n_clusters=2)


def test_batch_settings_without_smooth_match_those_recorded_before_it():
    options = check_segment_options(n_clusters=2)
    assert options["smooth"] is None
    assert "smooth" not in _as_checked(options)
    assert _as_checked(check_segment_options(n_clusters=2, smooth=0))["smooth"] == 0


def test_the_command_takes_smooth_and_refuses_it_without_k(tmp_path):
    path = tmp_path / "specks.png"
    Image.fromarray(_specks()).save(path)
    out = runner.invoke(app, ["segment", str(path), "-k", "2", "--smooth", "0",
                              "--min-region", "0", "-w", "xy=0", "-w", "texture=0", "--json",
                              "-o", str(tmp_path / "out")])
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["n_regions"] == 13
    bad = runner.invoke(app, ["segment", str(path), "--smooth", "3",
                              "-o", str(tmp_path / "bad")])
    assert bad.exit_code == 2
    assert bad.output.strip().splitlines() == [
        "quantize: error: --smooth=3 applies to k-means clusters only (-k/--clusters=K); the "
        "region hierarchy has no majority smoothing to size; expected it with "
        "-k/--clusters=K only"]
    bad = runner.invoke(app, ["segment", str(path), "-k", "2", "--smooth", "-1"])
    assert bad.exit_code == 2
    assert bad.output.strip() == "quantize: error: --smooth=-1 should be >= 0"


def test_the_command_warns_naming_the_option_that_keeps_the_specks(tmp_path):
    path = tmp_path / "specks.png"
    Image.fromarray(_specks()).save(path)
    out = runner.invoke(app, ["segment", str(path), "-k", "2", "--min-region", "0", "-w",
                              "xy=0", "-w", "texture=0", "-o", str(tmp_path / "out")])
    assert out.exit_code == 0, out.output
    assert ("-k/--clusters=2: the majority smoothing (of specks narrower than about 3 "
            "pixels) left cluster 1 with 4 regions of the 12 connected pieces it had (of at "
            "least 4 pixels of the 64 x 64 image); --smooth=0 keeps them") in out.output


def test_batch_takes_smooth_with_k_and_refuses_it_for_reduce(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    Image.fromarray(_specks()).save(folder / "specks.png")
    out = runner.invoke(app, ["batch", str(folder), "-o", str(tmp_path / "out"), "--mode",
                              "segment", "-k", "2", "--smooth", "0", "--min-region", "0",
                              "-w", "xy=0", "-w", "texture=0", "--json"])
    assert out.exit_code == 0, out.output
    record = json.loads((tmp_path / "out" / "specks" / "segments.json").read_text())
    assert (record["smooth"], record["n_regions"]) == (0, 13)
    reduce = runner.invoke(app, ["batch", str(folder), "-o", str(tmp_path / "red"),
                                 "--smooth", "0"])
    assert (reduce.exit_code, reduce.stderr) == (
        2, "quantize: error: --smooth does not apply to --mode reduce; expected it only with "
           "--mode segment\n")


def _box_and_blob() -> np.ndarray:
    """40 x 40 white, a 1-pixel black outline of a box (inside it, a closed white area)
    and a 5 x 5 black blob inside: line art, whose line is a speck at smooth=4."""
    img = np.full((40, 40, 3), 255, dtype=np.uint8)
    img[5, 5:35] = img[34, 5:35] = 0
    img[5:35, 5] = img[5:35, 34] = 0
    img[15:20, 15:20] = 0
    return img


def test_one_region_left_by_the_smoothing_then_min_region_names_both_in_turn():
    # min_region=30 alone keeps the outline, the inside and the outside (3 regions): the
    # smoothing removed the outline, then min_region merged the blob it left.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert segment(_box_and_blob(), 2, weights=COLOUR, min_region=30, seed=0,
                       smooth=0).n_regions == 3
        assert not [w for w in caught if w.category is RegionCountWarning]
        result = segment(_box_and_blob(), 2, weights=COLOUR, min_region=30, seed=0, smooth=4)
    assert result.n_regions == 1
    assert [str(w.message) for w in caught if w.category is RegionCountWarning] == [
        "n_clusters=2 gives 1 region: the majority smoothing removed the details narrower "
        "than about 4 pixels (of this 40 x 40 image), then min_region=30 merged those of the "
        "2 regions it left that were smaller than 30 pixels until one was left; smooth=0 "
        "keeps the details (and min_region=0 the small regions)"]


def test_pieces_joined_at_full_size_are_not_said_lost():
    # 20 rings of 2-pixel ink on a 1030 x 40 page: the 515 x 20 working copy cuts each
    # ring into pieces, which the full-size borders join again; with neither smoothing nor
    # min_region nothing is removed: each ring, each inside and the outside, and no warning.
    page = Image.new("RGB", (1030, 40), "white")
    draw = ImageDraw.Draw(page)
    for x in range(10, 1010, 50):
        draw.ellipse([x, 10, x + 40, 30], outline="black", width=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = segment(np.asarray(page), 2, weights=COLOUR, min_region=0, seed=0, smooth=0)
    assert result.n_regions == 41
