"""segment(n_clusters=K, working_size=PX|"full"), --working-size: the longest side of the
working copy the k-means path clusters, for line art whose thin lines the default
1024-pixel copy turns to faint grey."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image, ImageDraw
from typer.testing import CliRunner

from quantize import segment
from quantize.batch.manifest import _as_checked
from quantize.cli import app
from quantize.segment import check_working_size, working_shape
from quantize.segment_file import check_segment_options, segment_file

runner = CliRunner()
COLOUR = {"xy": 0, "texture": 0}


def _rings() -> np.ndarray:
    """1100 x 80 white page with 18 rings of 1-pixel ink: 19 white areas (each ring's
    inside, 2283 pixels, and the outside). The default working copy, 550 x 40, turns the
    ink to grey that the white takes, and the areas join."""
    page = Image.new("RGB", (1100, 80), "white")
    draw = ImageDraw.Draw(page)
    for x in range(10, 1050, 60):
        draw.ellipse([x, 10, x + 50, 70], outline="black", width=1)
    return np.asarray(page)


def _white_areas(result) -> list[int]:
    """The sizes of the regions of a near-white mean colour, over 100 pixels, sorted."""
    white = result.mean_colors()[1:].astype(int).sum(axis=1) > 600
    areas = np.bincount(result.labels.ravel())[1:]
    return sorted(areas[white & (areas > 100)].tolist())


def test_the_full_size_keeps_every_area_closed_by_1_pixel_ink():
    img = _rings()
    before = img.copy()
    default = segment(img, 2, weights=COLOUR, min_region=0, smooth=0, seed=0)
    assert len(_white_areas(default)) == 1  # every inside joined the outside
    full = segment(img, 2, weights=COLOUR, min_region=0, smooth=0, seed=0,
                   working_size="full")
    assert _white_areas(full)[:-1] == [2283] * 18
    assert len(_white_areas(full)) == 19
    np.testing.assert_array_equal(img, before)


@pytest.mark.parametrize("working_size", [1100, "full", 300])
def test_texture_features_on_a_working_copy_larger_than_1024(working_size):
    # texture is measured on a copy of at most 1024 pixels a side and brought back to the
    # working copy's size, its borders refined there: two noisy halves stay two regions
    rng = np.random.default_rng(0)
    img = np.zeros((40, 1100, 3), np.uint8)
    img[:, :550], img[:, 550:] = (30, 90, 200), (220, 200, 40)
    img = np.clip(img + rng.normal(0, 6, img.shape), 0, 255).astype(np.uint8)
    result = segment(img, 2, seed=0, working_size=working_size)
    assert result.n_regions == 2
    assert np.unique(result.labels[:, :550]).tolist() == [1]
    assert np.unique(result.labels[:, 550:]).tolist() == [2]


def test_the_working_copy_is_as_documented(tmp_path):
    assert working_shape((1800, 2400)) == (600, 800)
    assert working_shape((1800, 2400), 1200) == (900, 1200)
    assert working_shape((1800, 2400), 1000) == (600, 800)  # a whole factor, 3
    assert working_shape((1800, 2400), "full") == (1800, 2400)
    path = tmp_path / "rings.png"
    Image.fromarray(_rings()).save(path)
    sizes = {}
    for given in (None, 200, "full"):
        record = segment_file(path, tmp_path / str(given), n_clusters=2, weights=COLOUR,
                              smooth=0, min_region=0, working_size=given)
        sizes[given] = (record["working_width"], record["working_height"],
                        record.get("working_size"))
    assert sizes == {None: (550, 40, None), 200: (184, 14, 200),
                     "full": (1100, 80, "full")}
    saved = json.loads((tmp_path / "full" / "segments.json").read_text())
    assert saved["working_size"] == "full"


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"working_size": 63, "n_clusters": 2}, ValueError, "working_size=63 should be >= 64"),
    ({"working_size": "max", "n_clusters": 2}, ValueError,
     "working_size='max' should be a whole number of pixels >= 64 or 'full'"),
    ({"working_size": 512.0, "n_clusters": 2}, TypeError,
     "working_size=512.0 should be an integer, got float"),
    ({"working_size": "full"}, ValueError,
     r"working_size='full' applies to k-means clusters only \(n_clusters=K\); the region "
     r"hierarchy works on a copy of at most 1024 pixels a side; expected it with "
     r"n_clusters=K only"),
])
def test_bad_working_size_is_refused_naming_it(kwargs, error, match):
    with pytest.raises(error, match=match):
        segment(np.zeros((8, 8, 3), np.uint8), **kwargs)


def test_batch_settings_without_working_size_match_those_recorded_before_it():
    assert check_working_size(None, 2) is None
    options = check_segment_options(n_clusters=2)
    assert options["working_size"] is None
    assert "working_size" not in _as_checked(options)
    assert _as_checked(check_segment_options(n_clusters=2, working_size="full")
                       )["working_size"] == "full"


def test_the_command_takes_working_size_and_says_the_size_worked_at(tmp_path):
    path = tmp_path / "rings.png"
    Image.fromarray(_rings()).save(path)
    args = ["segment", str(path), "-k", "2", "--smooth", "0", "--min-region", "0",
            "-w", "xy=0", "-w", "texture=0", "-o"]
    out = runner.invoke(app, [*args, str(tmp_path / "a"), "--working-size", "600"])
    assert out.exit_code == 0, out.output
    assert ", worked on a 550 x 40 copy," in out.output
    out = runner.invoke(app, [*args, str(tmp_path / "b"), "--working-size", "full", "--json"])
    assert out.exit_code == 0, out.output
    record = json.loads(out.stdout)
    assert (record["working_width"], record["working_size"]) == (1100, "full")
    bad = runner.invoke(app, ["segment", str(path), "--working-size", "full",
                              "-o", str(tmp_path / "bad")])
    assert bad.exit_code == 2
    assert bad.output.strip().splitlines() == [
        "quantize: error: --working-size='full' applies to k-means clusters only "
        "(-k/--clusters=K); the region hierarchy works on a copy of at most 1024 pixels a "
        "side; expected it with -k/--clusters=K only"]
