"""A fixed range to stretch (``stretch_range``, ``--stretch-range``), the stretch of
``reduce``, and what ``reduce`` says of a file whose 8-bit reading merged its values."""

from __future__ import annotations

import json

import numpy as np
import pytest
import tifffile
from PIL import Image
from typer.testing import CliRunner

from quantize.cli import app
from quantize.io import PixelRangeWarning, load_image
from quantize.io.stretch import check_stretch_range, clipped_share, range_record
from quantize.reduce import reduce_file
from tests.batch_support import scenes_and_levels

runner = CliRunner()

# A 4 x 4 16-bit image of 1000, 1100, ..., 2500: its own range, 1000..2500, makes level
# rint((v - 1000) * 255 / 1500) = 17 i of the i-th value; the range 500..3050 makes
# rint((v - 500) / 10) = 50 + 10 i; 1500..2000 clips the first five to 0 and the last
# five to 255, and makes 51 (i - 5) of the rest.
_COUNTS = (1000 + 100 * np.arange(16)).reshape(4, 4).astype(np.uint16)
_OWN = 17 * np.arange(16)
_WIDE = 50 + 10 * np.arange(16)
_CLIPPED = np.clip(51 * (np.arange(16) - 5), 0, 255)
# -1024, -824, ..., 1976 in Hounsfield units: its own range makes 17 i too.
_HOUNSFIELD = (-1024 + 200 * np.arange(16)).reshape(4, 4).astype(np.int16)


def _levels(loaded):
    assert (loaded.rgb == loaded.rgb[..., :1]).all()
    return loaded.rgb[..., 0].reshape(-1).tolist()


@pytest.fixture
def wide_png(tmp_path):
    path = tmp_path / "wide.png"
    Image.fromarray(_COUNTS).save(path)
    return path


def test_a_fixed_range_reads_its_ends_as_0_and_255_whatever_the_image_holds(wide_png):
    assert _levels(load_image(wide_png, stretch=True)) == _OWN.tolist()
    loaded = load_image(wide_png, stretch_range=(500, 3050))
    assert _levels(loaded) == _WIDE.tolist()
    assert loaded.stretch_range == (500.0, 3050.0)
    assert loaded.stretch_values.tolist() == _COUNTS.tolist()


def test_values_beyond_a_fixed_range_are_clipped_and_counted(wide_png):
    loaded = load_image(wide_png, stretch_range=(1500, 2000))
    assert _levels(loaded) == _CLIPPED.tolist()
    assert clipped_share(loaded.stretch_values, loaded.stretch_range) == 10 / 16


@pytest.mark.parametrize("kind", ["float-tiff", "rgb16-tiff", "uint8-png"])
def test_a_fixed_range_stretches_float_16_bit_rgb_and_8_bit_files_alike(tmp_path, kind):
    path = tmp_path / ("c.png" if kind == "uint8-png" else "c.tif")
    if kind == "float-tiff":
        Image.fromarray(_COUNTS.astype(np.float32)).save(path)
        fixed = (500, 3050)
    elif kind == "rgb16-tiff":
        tifffile.imwrite(path, np.dstack([_COUNTS] * 3), photometric="rgb")
        fixed = (500, 3050)
    else:  # 8-bit levels 10..25: the range in levels, 5..30.5 as 0..255
        Image.fromarray((_COUNTS // 100).astype(np.uint8)).save(path)
        fixed = (5, 30.5)
    loaded = load_image(path, stretch_range=fixed)
    assert _levels(loaded) == _WIDE.tolist()
    assert loaded.stretch_range == tuple(float(v) for v in fixed)


def test_the_pages_of_a_stack_read_with_one_fixed_range_share_one_scale(tmp_path):
    """Each page was stretched on its own range: the same count came out as other levels
    on pages of other ranges."""
    path = tmp_path / "stack.tif"
    Image.fromarray(_COUNTS).save(path, save_all=True,
                                  append_images=[Image.fromarray(_COUNTS + 500)])
    own = [load_image(path, page=page, stretch=True) for page in (1, 2)]
    assert [image.stretch_range for image in own] == [(1000.0, 2500.0), (1500.0, 3000.0)]
    fixed = [load_image(path, page=page, stretch_range=(500, 3050)) for page in (1, 2)]
    assert _levels(fixed[0]) == _WIDE.tolist()
    assert _levels(fixed[1]) == (_WIDE + 50).tolist()  # 500 counts more, 50 levels more


def test_a_signed_16_bit_tiff_is_named_so_and_stretched_from_below_0(tmp_path):
    path = tmp_path / "ct.tif"
    tifffile.imwrite(path, _HOUNSFIELD)
    with pytest.warns(PixelRangeWarning) as caught:
        load_image(path, dark_advice="the output is 8-bit and as dark")
    assert [str(w.message) for w in caught] == [
        "6 negative of its 16 pixels are read as black",
        "16-bit signed values 0..1976 of 65535 come out 0..8 of 255: counts closer than 257 "
        "apart become one level; the output is 8-bit and as dark"]
    stretched = load_image(path, stretch=True)
    assert stretched.stretch_range == (-1024.0, 1976.0)
    assert _levels(stretched) == _OWN.tolist()
    window = load_image(path, stretch_range=(-1024, 1976))
    assert _levels(window) == _OWN.tolist()


@pytest.mark.parametrize("value, error, match", [
    ((3000, 1000), ValueError, r"^stretch_range=\(3000, 1000\) should be two finite numbers"),
    ((1, 1), ValueError, "LOW below HIGH"),
    ((0, float("nan")), ValueError, "should be two finite numbers"),
    ((0, 1, 2), ValueError, "should be two finite numbers"),
    ("0,1", ValueError, "should be two finite numbers"),
    ((0, "1"), TypeError, "should be two finite numbers"),
])
def test_a_bad_fixed_range_is_refused_naming_it(wide_png, value, error, match):
    with pytest.raises(error, match=match):
        load_image(wide_png, stretch_range=value)


def test_a_fixed_range_beside_a_clip_is_refused():
    with pytest.raises(ValueError, match=r"^stretch_clip=0.5 finds a range from "
                       r"percentiles; expected none beside stretch_range=\(0, 1\)"):
        load_image("unread.png", stretch_range=(0, 1), stretch_clip=0.5)
    assert check_stretch_range(None) is None
    assert range_record((0.0, 4095.0)) == {"stretch_fixed": [0.0, 4095.0]}


# ---------------------------------------------------------------------------
# reduce: the command and reduce_file
# ---------------------------------------------------------------------------

def _reduced_levels(path):
    with Image.open(path) as image:
        return np.asarray(image.convert("L")).reshape(-1).tolist()


def test_reduce_of_a_merged_8_bit_reading_says_what_it_measures_not_lossless(
        wide_png, tmp_path):
    """16 values of 1000..2500 read as counts of 65535 came out as 7 levels, 4..10: the
    line said "7 colours, lossless" and --json "psnr": null, of the 8-bit reading."""
    out = tmp_path / "r.png"
    result = runner.invoke(app, ["reduce", str(wide_png), "-k", "16", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "lossless" not in result.stdout
    assert ": 7 colours, against the 8-bit reading (16 values read as 7 levels): every level " \
        "kept, mean ΔE2000 0.00" in result.stdout
    assert (f"quantize: warning: {wide_png}: its 8-bit reading merged its 16 values into 7 "
            "levels: the PSNR and ΔE2000 are measured against that reading, not the file's "
            "values; a stretch maps its own range, or a fixed one, onto 0..255 first"
            ) in result.stderr.splitlines()
    result = runner.invoke(app, ["reduce", str(wide_png), "-k", "16", "-o", str(out),
                                 "--force", "--json"])
    record = json.loads(result.stdout)
    assert record["psnr"] is None
    assert (record["measured_against"], record["merged"]) == ("the 8-bit reading", [16, 7])


@pytest.mark.parametrize("flags, levels, said", [
    (["--stretch"], _OWN, "stretched 1000..2500, "),
    (["--stretch-range", "500,3050"], _WIDE, "stretched 500..3050 (0% clipped), "),
    (["--stretch-range", "1500,2000"], _CLIPPED, "stretched 1500..2000 (62.5% clipped), "),
])
def test_reduce_stretches_a_16_bit_image_before_the_fit(wide_png, tmp_path, flags, levels,
                                                        said):
    out = tmp_path / "r.png"
    result = runner.invoke(app, ["reduce", str(wide_png), "-k", "16", "-o", str(out),
                                 *flags])
    assert result.exit_code == 0, result.output
    assert _reduced_levels(out) == levels.tolist()
    assert said in result.stdout and "against" not in result.stdout
    assert "warning" not in result.stderr


def test_reduce_file_records_the_stretch_and_the_share_a_fixed_range_clipped(wide_png,
                                                                             tmp_path):
    record = reduce_file(wide_png, tmp_path / "r.png", n_colors=4,
                         stretch_range=(1500, 2000))
    assert record["stretch"] is True and record["stretch_fixed"] == [1500.0, 2000.0]
    assert record["stretch_range"] == [1500.0, 2000.0]
    assert record["stretch_clipped"] == 0.625
    assert "measured_against" not in record
    curved = reduce_file(wide_png, tmp_path / "c.png", n_colors=4, stretch_curve="sqrt",
                         stretch_clip=1)
    assert curved["stretch_curve"] == "sqrt" and curved["stretch_clip"] == 1.0
    assert curved["stretch_range"] == [1100.0, 2400.0]  # the values beyond 1% at each end


def test_reduce_stretches_a_signed_ct_slice_from_below_0(tmp_path):
    path, out = tmp_path / "ct.tif", tmp_path / "r.png"
    tifffile.imwrite(path, _HOUNSFIELD)
    result = runner.invoke(app, ["reduce", str(path), "-k", "16", "-o", str(out),
                                 "--stretch-range", "-1024,1976"])
    assert result.exit_code == 0, result.output
    assert _reduced_levels(out) == _OWN.tolist()
    assert "stretched -1024..1976 (0% clipped), " in result.stdout


@pytest.mark.parametrize("flags, line", [
    (["--stretch-range", "3000,1000"], "quantize: error: --stretch-range=3000,1000 should be "
     "two finite numbers LOW, HIGH with LOW below HIGH (the input's values read as black and "
     "white)"),
    (["--stretch-range", "3000"], "quantize: error: --stretch-range is '3000'; expected two "
     "numbers LOW,HIGH, in the input's own values (-1024,1976)"),
    (["--stretch-range", "0,1", "--stretch-clip", "1"], "quantize: error: --stretch-clip=1 "
     "finds a range from percentiles; expected none beside --stretch-range=0,1, which fixes "
     "it"),
])
def test_reduce_refuses_a_bad_stretch_range_in_one_line_writing_nothing(wide_png, tmp_path,
                                                                        flags, line):
    out = tmp_path / "r.png"
    result = runner.invoke(app, ["reduce", str(wide_png), "-k", "4", "-o", str(out), *flags])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines()[-1] == line
    assert "Traceback" not in result.output and not out.exists()


def test_reduce_refuses_a_stretch_of_an_animation(tmp_path):
    path, out = tmp_path / "stack.tif", tmp_path / "r.tif"
    Image.fromarray(_COUNTS).save(path, save_all=True,
                                  append_images=[Image.fromarray(_COUNTS + 500)])
    result = runner.invoke(app, ["reduce", str(path), "-k", "4", "-o", str(out), "--stretch"])
    assert result.exit_code != 0
    assert result.stderr.strip() == (
        f"quantize: error: {path}: --stretch: the input is an animation (or a TIFF of several "
        "pages), and a stretch is of a still image; expected a still (a TIFF's page: quantize "
        "segment --page, or one page saved apart), or no stretch")
    assert not out.exists()


def test_segment_reads_every_page_of_a_stack_on_the_fixed_range_and_records_it(tmp_path):
    """Each page was stretched from its own range: page 2, 500 counts brighter, came out
    alike, and its mean_input was measured on another scale."""
    from quantize.segment_file import segment_file

    path = tmp_path / "stack.tif"
    Image.fromarray(_COUNTS).save(path, save_all=True,
                                  append_images=[Image.fromarray(_COUNTS + 500)])
    record = segment_file(path, tmp_path / "out", n_clusters=2, stretch_range=(500, 3050),
                          seed=0)
    assert record["stretch_fixed"] == [500.0, 3050.0]
    for page in ("page-001", "page-002"):
        saved = json.loads((tmp_path / "out" / page / "segments.json").read_text())
        assert saved["stretch_fixed"] == saved["stretch_range"] == [500.0, 3050.0]
    with pytest.raises(ValueError, match="^stretch_clip=0.5 finds a range"):
        segment_file(path, tmp_path / "bad", stretch_range=(0, 1), stretch_clip=0.5)
    assert not (tmp_path / "bad").exists()


def test_batch_reduces_a_folder_on_one_fixed_range_and_records_it(tmp_path):
    """--stretch and its options were segment mode's only: a folder of 16-bit scans came
    out black in reduce mode."""
    (tmp_path / "in").mkdir()
    Image.fromarray(_COUNTS).save(tmp_path / "in" / "a.png")
    Image.fromarray(_COUNTS + 500).save(tmp_path / "in" / "b.png")
    out = tmp_path / "out"
    result = runner.invoke(app, ["batch", str(tmp_path / "in"), "-o", str(out), "-k", "16",
                                 "--stretch-range", "500,3050", "--json"])
    assert result.exit_code == 0, result.output
    assert _reduced_levels(out / "a.png") == _WIDE.tolist()
    assert _reduced_levels(out / "b.png") == (_WIDE + 50).tolist()  # one scale for both
    records = [json.loads(line) for line in result.stdout.splitlines()[:2]]
    assert [r["stretch_fixed"] for r in records] == [[500.0, 3050.0]] * 2
    again = runner.invoke(app, ["batch", str(tmp_path / "in"), "-o", str(out), "-k", "16",
                                "--stretch"])
    assert again.exit_code == 15  # other options than the folder was made with
    assert "--stretch-range" in again.stderr
    shared = runner.invoke(app, ["batch", str(tmp_path / "in"), "-o", str(tmp_path / "s"),
                                 "-k", "4", "--stretch", "--shared-palette"])
    assert shared.exit_code == 2
    assert shared.stderr.strip() == (
        "quantize: error: --shared-palette and a stretch both given; expected one of them "
        "(the shared palette is fitted to the files as read unstretched)")


@pytest.mark.parametrize("dtype", ["uint16", "int32", "float32"])
def test_reduce_colors_stretches_an_array_on_a_fixed_range_or_its_own(dtype):
    """reduce_colors took no stretch: a uint16 array of counts came out as a few dark
    levels; the array path now reads it as load_image reads a file."""
    from quantize import reduce_colors

    counts = _COUNTS.astype(dtype)
    original = counts.copy()
    fixed = reduce_colors(counts, 16, stretch_range=(500, 3050), seed=0)
    assert sorted(fixed.palette[:, 0].tolist()) == _WIDE.tolist()
    own = reduce_colors(counts, 16, stretch=True, seed=0)
    assert sorted(own.palette[:, 0].tolist()) == _OWN.tolist()
    np.testing.assert_array_equal(counts, original)  # the caller's array is left alone



def test_shared_classes_are_fitted_on_the_fixed_range_each_file_is_assigned_by(tmp_path):
    """The classes' sample was read on each file's own range, the files themselves on the
    fixed one: the classes' colours were those of another stretch than the regions'."""
    from quantize import batch

    # 16 * level + 1: 1..3201 of a 12-bit 1..4081
    scenes, levels = scenes_and_levels(tmp_path, (200, 30, 0), (0, 30, 200))
    fitted = {}
    for src, more in ((scenes, ("--stretch-range", "1,4081")), (levels, ())):
        out = tmp_path / f"out-{src.name}"
        result = runner.invoke(app, ["batch", str(src), "-o", str(out), "--mode", "segment",
                                     "-k", "2", "--shared-classes", "-w", "texture=0", *more])
        assert result.exit_code == 0, result.output
        fitted[src.name] = json.loads((out / batch.SHARED_CLASSES_NAME).read_text())["colors"]
    assert fitted["scenes"] == fitted["levels"]
    assert sorted(fitted["levels"]) == ["#001ec8", "#c81e00"]
