"""No-data values (``--nodata``, a TIFF's GDAL_NODATA tag): their pixels read as alpha 0."""

from __future__ import annotations

import csv
import json
import warnings

import numpy as np
import pytest
from PIL import Image, TiffImagePlugin, TiffTags
from typer.testing import CliRunner

from quantize.cli import app
from quantize.errors import InputParameterError
from quantize.io import GDAL_NODATA, NoDataWarning, load_image

runner = CliRunner()

#: A 4 x 4 16-bit tile: a border of 0 (no data) around two columns of 1000 and 50000.
_TILE = np.zeros((4, 4), np.uint16)
_TILE[1:3, 1], _TILE[1:3, 2] = 1000, 50000
_BORDER = _TILE == 0


def _tagged(text: str) -> TiffImagePlugin.ImageFileDirectory_v2:
    """TIFF tags holding GDAL_NODATA ``text`` (ASCII), as GDAL writes it."""
    tags = TiffImagePlugin.ImageFileDirectory_v2()
    tags[GDAL_NODATA] = text
    tags.tagtype[GDAL_NODATA] = TiffTags.ASCII
    return tags


def _tile(folder, tag: str | None = None):
    path = folder / "tile.tif"
    Image.fromarray(_TILE).save(path, **({} if tag is None else {"tiffinfo": _tagged(tag)}))
    return path


def _classes(tmp_path, src, *options: str) -> tuple[np.ndarray, str]:
    """segment -k 2's classes.png of ``src`` with ``options``, and its stderr."""
    out = tmp_path / "out"
    result = runner.invoke(app, ["segment", str(src), "-k", "2", "--classes", "--min-region",
                                 "0", "--smooth", "0", "-o", str(out), "--force", *options])
    assert result.exit_code == 0, result.output
    return np.asarray(Image.open(out / "classes.png")), result.stderr


def _two_classes_inside_and_the_last_on_the_border(classes: np.ndarray) -> None:
    assert (classes[_BORDER] == 2).all()  # the cluster beyond K, as transparent pixels'
    inside = classes[1:3, 1:3]
    assert sorted(np.unique(inside).tolist()) == [0, 1]
    assert (inside[:, 0] == inside[0, 0]).all() and (inside[:, 1] == inside[0, 1]).all()


def test_segment_nodata_0_leaves_the_border_out_of_the_classes(tmp_path):
    classes, _ = _classes(tmp_path, _tile(tmp_path), "--nodata", "0")
    _two_classes_inside_and_the_last_on_the_border(classes)


def test_segment_reads_the_gdal_nodata_tag_and_says_so(tmp_path):
    src = _tile(tmp_path, "0")
    classes, stderr = _classes(tmp_path, src)
    _two_classes_inside_and_the_last_on_the_border(classes)
    assert (f"quantize: warning: {src}: its GDAL_NODATA tag names 0 as no data: pixels of "
            "that value are read as fully transparent\n") in stderr


def test_nodata_none_leaves_the_tag_out_and_the_border_is_a_class(tmp_path):
    classes, stderr = _classes(tmp_path, _tile(tmp_path, "0"), "--nodata", "none")
    assert sorted(np.unique(classes).tolist()) == [0, 1]
    assert (classes[_BORDER] == classes[0, 0]).all()
    assert "GDAL_NODATA" not in stderr


def test_a_tag_no_pixel_can_hold_is_left_out_with_a_warning(tmp_path):
    with pytest.warns(NoDataWarning, match=r"its GDAL_NODATA tag \(-9999\) is left out: "
                      r"cannot occur in its 16-bit values: expected whole numbers from 0 to "
                      r"65535"):
        image = load_image(_tile(tmp_path, "-9999"), nodata="tag")
    assert image.alpha is None


def test_reduce_gives_nodata_pixels_of_an_rgb_tile_the_transparent_entry(tmp_path):
    rgb = np.zeros((4, 4, 3), np.uint8)
    rgb[1:3, 1:3] = [[10, 200, 30], [200, 10, 30]]
    rgb[0, 0] = [0, 0, 9]  # not (0, 0, 0): data
    src, out = tmp_path / "tile.tif", tmp_path / "tile.png"
    Image.fromarray(rgb).save(src)
    result = runner.invoke(app, ["reduce", str(src), "-k", "3", "-o", str(out),
                                 "--nodata", "0,0,0"])
    assert result.exit_code == 0, result.output
    alpha = np.asarray(Image.open(out).convert("RGBA"))[..., 3]
    assert (alpha == np.where((rgb == 0).all(axis=2), 0, 255)).all()


def test_a_single_value_is_every_band_of_an_rgb_image(tmp_path):
    rgb = np.zeros((2, 2, 3), np.uint8)
    rgb[0, 0], rgb[0, 1] = [5, 5, 5], [5, 5, 6]
    src = tmp_path / "tile.png"
    Image.fromarray(rgb).save(src)
    assert load_image(src, nodata=5).alpha.tolist() == [[0, 255], [255, 255]]


def test_nodata_is_matched_in_16_bit_units_and_left_out_of_a_stretch(tmp_path):
    image = load_image(_tile(tmp_path), nodata=0, stretch=True)
    assert image.alpha.tolist() == np.where(_BORDER, 0, 255).tolist()
    assert image.stretch_range == (1000.0, 50000.0)  # the border's 0 is not the darkest
    assert load_image(_tile(tmp_path), nodata=1000).alpha[1:3, 1].tolist() == [0, 0]


def test_a_float_tile_nodata_of_minus_9999(tmp_path):
    tifffile = pytest.importorskip("tifffile")
    values = np.full((2, 3), -9999.0, np.float32)
    values[1] = [0.25, 0.5, 0.75]
    src = tmp_path / "dem.tif"
    tifffile.imwrite(src, values)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # its -9999 pixels are not said to be negative
        image = load_image(src, nodata=-9999)
    assert image.alpha.tolist() == [[0, 0, 0], [255, 255, 255]]
    assert image.rgb[1, :, 0].tolist() == [64, 128, 191]  # 0..1, as without the -9999


def test_a_16_bit_rgb_tile_is_matched_on_all_16_bits(tmp_path):
    tifffile = pytest.importorskip("tifffile")
    values = np.full((1, 3, 3), 65535, np.uint16)
    values[0, 1] = [65535, 65535, 65534]  # the same high bytes
    src = tmp_path / "wide.tif"
    tifffile.imwrite(src, values, photometric="rgb")
    assert load_image(src, nodata=65535).alpha.tolist() == [[0, 255, 0]]


@pytest.mark.parametrize(("command", "value", "expected"), [
    ("segment", "-1", "--nodata=-1 cannot occur in its 8-bit values: expected whole numbers "
                      "from 0 to 255"),
    ("reduce", "256", "--nodata=256 cannot occur in its 8-bit values: expected whole numbers "
                      "from 0 to 255"),
    ("reduce", "0.5", "--nodata=0.5 cannot occur in its 8-bit values: expected whole numbers "
                      "from 0 to 255"),
    ("reduce", "0,0", "--nodata=(0, 0) should be one number, for every band, or three (red, "
                      "green, blue)"),
    ("segment", "zero", "--nodata='zero' should be a number, one a band separated by commas "
                        "(0,0,0), nan (a float image's NaN pixels), or none"),
    ("segment", "nan", "--nodata=NaN cannot occur in its 8-bit values: expected whole numbers "
                       "from 0 to 255"),
])
def test_a_value_the_input_cannot_hold_is_one_line_and_exit_2(tmp_path, command, value,
                                                               expected):
    src = tmp_path / "tile.png"
    Image.new("RGB", (4, 4)).save(src)
    out = ["-o", str(tmp_path / ("out" if command == "segment" else "out.png"))]
    result = runner.invoke(app, [command, str(src), "-k", "2", *out, "--nodata", value])
    assert result.exit_code == 2
    where = "" if "should be" in expected else f"{src}: "
    assert result.stderr == f"quantize: error: {where}{expected}\n"
    assert not (tmp_path / "out").exists() and not (tmp_path / "out.png").exists()


def test_images_of_no_values_of_one_or_three_bands_are_refused(tmp_path):
    src = tmp_path / "tile.jpg"
    Image.new("CMYK", (2, 2)).save(src)
    with pytest.raises(InputParameterError, match="nodata=0 cannot occur in an image of "
                       "mode CMYK: nodata reads grey or RGB images, with alpha or not, or of "
                       "a palette"):
        load_image(src, nodata=0)


def test_a_palette_image_is_matched_in_its_colours(tmp_path):
    """A palette (P) image was refused ('cannot occur in an image of mode P'): its pixels
    are indices, and the value names a colour, which they are matched in once decoded; its
    transparent entry stays transparent."""
    im = Image.new("P", (4, 1))
    im.putpalette([0, 0, 0, 9, 9, 9, 200, 0, 0, 5, 5, 5])
    for x in range(4):
        im.putpixel((x, 0), x)
    src = tmp_path / "tile.png"
    im.save(src, transparency=3)
    image = load_image(src, nodata=0)
    assert image.alpha.tolist() == [[0, 255, 255, 0]]
    assert image.rgb[0, 1:3].tolist() == [[9, 9, 9], [200, 0, 0]]
    assert image.nodata == (0.0, 0.0, 0.0)
    assert load_image(src, nodata=[9, 9, 9]).alpha.tolist() == [[255, 0, 255, 0]]


@pytest.mark.parametrize(("mode", "pixels", "nodata", "expected"), [
    ("RGBA", [[0, 0, 0, 255], [0, 0, 0, 128], [7, 7, 7, 0], [7, 7, 7, 255]], "0,0,0",
     [0, 0, 0, 255]),
    ("LA", [[0, 255], [9, 255], [9, 0], [9, 200]], "0", [0, 255, 0, 200]),
])
def test_of_an_image_with_alpha_a_pixel_no_data_or_transparent_is_set_apart(
        tmp_path, mode, pixels, nodata, expected):
    """An image with alpha was refused: a pixel of the value is set apart whatever its
    alpha, one transparent already stays so, and the others keep theirs."""
    src = tmp_path / "tile.png"
    Image.fromarray(np.array([pixels], np.uint8), mode).save(src)
    result = runner.invoke(app, ["reduce", str(src), "-k", "2", "-o", str(tmp_path / "o.png"),
                                 "--nodata", nodata, "--json"])
    assert result.exit_code == 0, result.output
    assert np.asarray(Image.open(tmp_path / "o.png").convert("RGBA"))[0, :, 3].tolist() == \
        expected
    assert json.loads(result.stdout)["nodata"] == [0.0] * (3 if mode == "RGBA" else 1)


def test_a_16_bit_image_with_alpha_is_refused_in_one_line(tmp_path):
    tifffile = pytest.importorskip("tifffile")
    src = tmp_path / "wide.tif"
    tifffile.imwrite(src, np.zeros((2, 2, 4), np.uint16), photometric="rgb", extrasamples=[2])
    result = runner.invoke(app, ["segment", str(src), "-k", "2", "-o", str(tmp_path / "out"),
                                 "--nodata", "0"])
    assert (result.exit_code, result.stderr) == (2, (
        f"quantize: error: {src}: --nodata=0 is matched in the 8-bit colours of an image with "
        "alpha, and this one has 16-bit values; expected one without alpha, or no nodata\n"))


def test_the_nodata_value_used_is_recorded(tmp_path):
    """segments.json and reduce --json did not say which value's pixels were set apart,
    given or read from the GDAL_NODATA tag; a batch row says it too."""
    out = tmp_path / "out"
    for tag, options, expected in (("0", [], [0.0]), (None, ["--nodata", "1000"], [1000.0]),
                                   ("0", ["--nodata", "none"], None)):
        _classes(tmp_path, _tile(tmp_path, tag), *options)
        assert json.loads((out / "segments.json").read_text()).get("nodata") == expected
    rgb = tmp_path / "rgb.tif"
    Image.new("RGB", (2, 2), (0, 0, 0)).save(rgb, tiffinfo=_tagged("0"))
    reduced = runner.invoke(app, ["reduce", str(rgb), "-k", "2", "-o",
                                  str(tmp_path / "rgb.png"), "--json"])
    assert reduced.exit_code == 0, reduced.output
    assert json.loads(reduced.stdout)["nodata"] == [0.0, 0.0, 0.0]
    folder = tmp_path / "tiles"
    folder.mkdir()
    _tile(folder, "0")
    report = tmp_path / "r.json"
    ran = runner.invoke(app, ["batch", str(folder), "-o", str(tmp_path / "b"), "--mode",
                              "segment", "-k", "2", "-q", "--report", str(report)])
    assert ran.exit_code == 0, ran.output
    assert json.loads(report.read_text())["files"][0]["nodata"] == [0.0]


def test_a_batch_rerun_without_nodata_finds_the_outputs_made_with_it_changed(tmp_path):
    folder = tmp_path / "tiles"
    folder.mkdir()
    _tile(folder)
    args = ["batch", str(folder), "-o", str(tmp_path / "out"), "--mode", "segment", "-k", "2",
            "--classes"]
    made = runner.invoke(app, [*args, "--nodata", "0"])
    assert made.exit_code == 0, made.output
    classes = np.asarray(Image.open(tmp_path / "out" / "tile" / "classes.png"))
    # the border a class of its own, the last (the default min_region leaves the 2 x 2
    # inside one region, so it is class 1 of 0..1, numbered without a gap)
    assert (classes[_BORDER] == classes.max()).all()
    assert not (classes[~_BORDER] == classes.max()).any()
    assert runner.invoke(app, [*args, "--nodata", "0"]).exit_code == 0  # done: skipped
    assert runner.invoke(app, args).exit_code == 15  # made with other settings


def test_palette_reads_the_gdal_nodata_tag_as_reduce_does(tmp_path):
    """quantize palette fits what reduce fits: the tag's pixels are no colour of it (they
    were the largest, #000000 at 75 %, while reduce --palette-out left them out)."""
    src = _tile(tmp_path, "0")
    result = runner.invoke(app, ["palette", str(src), "-k", "3", "--json"])
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert [(c["hex"], c["share"]) for c in record["palette"]] == [("#040404", 0.5),
                                                                   ("#c3c3c3", 0.5)]
    assert "its GDAL_NODATA tag names 0 as no data" in result.stderr


def _two_tagged_tiles(tmp_path):
    """A folder of two tiles, ``a.tif`` and ``b.tif``: ``_TILE`` with its first column of
    level 100 (25700), tagged GDAL_NODATA 0."""
    tile = _TILE.copy()
    tile[1:3, 1] = 25700  # level 100
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("a", "b"):
        Image.fromarray(tile).save(folder / f"{name}.tif", tiffinfo=_tagged("0"))
    return folder


def test_shared_classes_are_fitted_without_the_nodata_pixels(tmp_path):
    """The batch's fit read the tiles without their tag while each file's segment read it:
    the border's zeros were one of the two classes, and the columns of levels 100 and 195
    both fell in the other."""
    folder = _two_tagged_tiles(tmp_path)
    out = tmp_path / "out"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = runner.invoke(app, ["batch", str(folder), "-o", str(out), "--mode", "segment",
                                     "-k", "2", "--shared-classes", "--classes", "--min-region",
                                     "0", "--smooth", "0", "-q"])
    assert result.exit_code == 0, result.output
    for name in ("a", "b"):
        _two_classes_inside_and_the_last_on_the_border(
            np.asarray(Image.open(out / name / "classes.png")))
    # said by each file's job, naming the file; not again, unnamed, by the shared fit
    said = [line for line in result.stderr.splitlines()
            if "its GDAL_NODATA tag names 0 as no data" in line]
    assert sorted(line.split(": ")[2] for line in said) == [str(folder / "a.tif"),
                                                             str(folder / "b.tif")]


def test_shared_palette_is_fitted_without_the_nodata_pixels(tmp_path):
    """The shared palette's sampling read the tiles without their tag while each file's
    reduce read it: the border's zeros (75 % of the pixels) took one of the two colours,
    and the columns of levels 100 and 195 were both mapped onto the other."""
    folder = _two_tagged_tiles(tmp_path)
    out = tmp_path / "out"
    result = runner.invoke(app, ["batch", str(folder), "-o", str(out), "-k", "2",
                                 "--shared-palette", "-q"])
    assert result.exit_code == 0, result.output
    palette = json.loads((out / "shared-palette.json").read_text())["colors"]
    assert [(c["rgb"], c["alpha"]) for c in palette] == [([0, 0, 0], 0), ([100] * 3, 255),
                                                         ([195] * 3, 255)]
    for name in ("a", "b"):
        with Image.open(out / f"{name}.png") as image:  # the shared palette's indices
            indices = np.asarray(image)
            assert image.info["transparency"] == 0
        assert (indices[_BORDER] == 0).all()
        assert indices[1:3, 1].tolist() == [1, 1] and indices[1:3, 2].tolist() == [2, 2]
    assert result.stderr.count("its GDAL_NODATA tag names 0 as no data") == 2  # each file's


def _float_tif(folder, values, name: str = "sky.tif"):
    """``values`` saved as a float32 TIFF (mode F) in ``folder``."""
    path = folder / name
    Image.fromarray(np.asarray(values, np.float32)).save(path)
    return path


#: A sky-subtracted float tile: values below 0, NaN where nothing was measured.
_SKY = np.array([[-40.5, -40.5, 60.0, 60.0],
                 [-40.5, -40.5, 60.0, 60.0],
                 [np.nan, np.nan, 10.0, 10.0]], np.float32)


def test_a_stretch_of_a_file_reads_its_values_below_0_as_the_array_does(tmp_path):
    """segment --stretch read a float TIFF's values below 0 as black (0), with a warning
    that they were, and stretched from 0, while segment(array, stretch=True) stretched
    from the array's own darkest value."""
    values = _SKY[:2]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "4 negative of its 8 pixels are read as black"
        image = load_image(_float_tif(tmp_path, values), stretch=True)
    assert image.stretch_range == (-40.5, 60.0)
    assert image.rgb[:, :, 0].tolist() == [[0, 0, 255, 255]] * 2
    from quantize.io import as_rgba_ranged

    assert as_rgba_ranged(values, stretch=True)[2] == image.stretch_range
    from quantize.io import PixelRangeWarning

    with pytest.warns(PixelRangeWarning, match=r"^4 negative of its 8 pixels are read as black"):
        unstretched = load_image(tmp_path / "sky.tif")  # without a stretch, as before
    assert unstretched.rgb[:, :, 0].tolist() == [[0, 0, 60, 60]] * 2  # 0..255 of a float image


def test_segment_stretch_records_the_range_below_0(tmp_path):
    out = tmp_path / "out"
    result = runner.invoke(app, ["segment", str(_float_tif(tmp_path, _SKY[:2])), "--stretch",
                                 "-k", "2", "--min-region", "0", "-o", str(out), "--json"])
    assert result.exit_code == 0, result.output
    assert "negative" not in result.stderr
    assert json.loads(result.stdout)["stretch_range"] == [-40.5, 60.0]


def test_a_fill_that_sets_a_stretch_range_is_said_with_the_nodata_to_give(tmp_path):
    values = np.where(np.isnan(_SKY), -9999.0, _SKY)
    src = _float_tif(tmp_path, values)
    out = tmp_path / "out"
    result = runner.invoke(app, ["segment", str(src), "--stretch", "-k", "2", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert (f"quantize: warning: {src}: 2 of its 12 pixels are -9999, the darkest value, "
            "which the stretch reads as black (a no-data fill sets its range); give "
            "--nodata=-9999 to read them as no data\n") in result.stderr
    image = load_image(src, stretch=True, nodata=-9999)  # as advised
    assert image.stretch_range == (-40.5, 60.0)
    assert image.alpha.tolist() == [[255] * 4, [255] * 4, [0, 0, 255, 255]]


def test_nan_pixels_are_no_data_by_default_with_a_warning(tmp_path):
    """The NaN pixels were read as black and joined the darkest region."""
    src = _float_tif(tmp_path, _SKY)
    with pytest.warns(NoDataWarning, match=r"^2 NaN of its 12 pixels are read as no data "
                                           r"\(fully transparent\), as a float image's NaN "
                                           r"pixels are by default$"):
        image = load_image(src, stretch=True, nodata="tag")
    assert image.alpha.tolist() == [[255] * 4, [255] * 4, [0, 0, 255, 255]]
    assert image.stretch_range == (-40.5, 60.0)
    assert image.nodata is not None and np.isnan(image.nodata[0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # given: nothing to say
        given = load_image(src, stretch=True, nodata=float("nan"))
    assert np.array_equal(given.alpha, image.alpha) and np.array_equal(given.rgb, image.rgb)
    full = _float_tif(tmp_path, _SKY[:2], "full.tif")  # no NaN: none is recorded
    assert load_image(full, stretch=True, nodata="tag").nodata is None


def test_nodata_none_still_reads_nan_as_black(tmp_path):
    from quantize.io import PixelRangeWarning

    with pytest.warns(PixelRangeWarning, match=r"^2 NaN or infinite of its 12 pixels"):
        image = load_image(_float_tif(tmp_path, _SKY), stretch=True, nodata=None)
    assert image.alpha is None
    assert image.rgb[2, :2, 0].tolist() == [0, 0]


@pytest.mark.parametrize("option", [[], ["--nodata", "nan"], ["--nodata", "NaN"]])
def test_segment_leaves_nan_pixels_out_and_records_nan(tmp_path, option):
    """--nodata nan was refused (should be a finite number); NaN pixels joined a region."""
    out = tmp_path / "out"
    result = runner.invoke(app, ["segment", str(_float_tif(tmp_path, _SKY)), "--stretch", "-k",
                                 "2", "--min-region", "0", "--smooth", "0", "-o", str(out),
                                 *option])
    assert result.exit_code == 0, result.output
    assert ("NaN of its 12 pixels are read as no data" in result.stderr) == (not option)
    record = json.loads((out / "segments.json").read_text())
    assert record["nodata"] == "nan"  # JSON has no NaN
    transparent = [r for r in record["region_stats"] if r.get("transparent")]
    assert [r["area"] for r in transparent] == [2]
    assert json.loads((out / "segments.json").read_text())["stretch_range"] == [-40.5, 60.0]


def test_nodata_nan_is_checked_and_kept_in_a_batch_s_settings():
    from quantize.io import check_nodata, nodata_setting

    assert np.isnan(check_nodata(float("nan"))[0]) and np.isnan(check_nodata(" nan ")[0])
    assert nodata_setting(float("nan")) == "nan"
    assert np.isnan(check_nodata(nodata_setting("nan"))[0])
    with pytest.raises(ValueError, match=r"^nodata=inf should be a finite number$"):
        check_nodata(float("inf"))


def test_a_transparent_region_has_no_colour_statistics(tmp_path):
    """Its mean_input was the stand-in blue mapped back: [266.0, 266.0, 60307.0]."""
    out = tmp_path / "out"
    result = runner.invoke(app, ["segment", str(_tile(tmp_path)), "--nodata", "0", "--stretch",
                                 "-k", "2", "--min-region", "0", "--smooth", "0", "-o",
                                 str(out), "--classes"])
    assert result.exit_code == 0, result.output
    record = json.loads((out / "segments.json").read_text())
    border = [r for r in record["region_stats"] if r.get("transparent")]
    assert [(r["mean_color"], r["mean_input"], r["segmented_color"]) for r in border] == [
        (None, None, None)]
    inside = sorted(r["mean_input"] for r in record["region_stats"] if "transparent" not in r)
    assert inside == [[1000.0] * 3, [50000.0] * 3]
    clusters = {c["cluster"]: (c["mean_color"], c["mean_input"]) for c in record["cluster_stats"]}
    assert clusters[2] == (None, None)
    rows = (out / "regions.csv").read_text().splitlines()
    header = rows[0].split(",")
    row = dict(zip(header, next(r for r in rows[1:] if r.endswith("True")).split(","),
                   strict=True))
    assert [row[f"{f}_{c}"] for f in ("mean_color", "mean_input", "segmented_color")
            for c in "rgb"] == [""] * 9


def test_a_transparent_class_has_no_colour_in_the_class_legend(tmp_path):
    """Its null mean_color was read as black and written #000000, a colour of no pixel."""
    from quantize.batch.classes import write_class_legend
    from quantize.batch.results import FileResult

    for name, rgb in (("a", [200, 0, 0]), ("b", None)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "segments.json").write_text(json.dumps({"cluster_stats": [
            {"cluster": 0, "area": 2, "mean_color": [100, 0, 40]},
            {"cluster": 1, "area": 2, "mean_color": rgb,
             **({} if rgb else {"transparent": True})}]}))
    results = [FileResult(tmp_path / f"{n}.tif", tmp_path / n, "ok") for n in "ab"]
    legend = write_class_legend(tmp_path, results).read_text().splitlines()
    assert legend[1:] == ["0,#640028,100,0,40,4,0.5,2,", "1,#c80000,200,0,0,4,0.5,2,"]
    (tmp_path / "a" / "segments.json").unlink()
    legend = write_class_legend(tmp_path, results[1:]).read_text().splitlines()
    assert legend[2] == "1,,,,,2,0.5,1,"


def test_a_class_gives_its_share_of_the_valid_pixels_beside_that_of_all(tmp_path):
    """``fraction`` counted the no-data border in its denominator: each column of the tile,
    half its valid pixels, read 0.125 (2 of 16)."""
    out = tmp_path / "out"
    result = runner.invoke(app, ["segment", str(_tile(tmp_path)), "--nodata", "0", "-k", "2",
                                 "--min-region", "0", "--smooth", "0", "-o", str(out)])
    assert result.exit_code == 0, result.output
    stats = json.loads((out / "segments.json").read_text())["cluster_stats"]
    assert [(c["cluster"], c["area"], c["fraction"], c["valid_fraction"]) for c in stats] == [
        (0, 2, 0.125, 0.5), (1, 2, 0.125, 0.5), (2, 12, 0.75, 0.0)]
    assert list(stats[0])[3:5] == ["fraction", "valid_fraction"]


def _shared_classes_of_two_tagged_tiles(tmp_path):
    """The output folder of ``batch --shared-classes -k 2`` over :func:`_two_tagged_tiles`."""
    folder = _two_tagged_tiles(tmp_path)
    out = tmp_path / "out"
    result = runner.invoke(app, ["batch", str(folder), "-o", str(out), "--mode", "segment",
                                 "-k", "2", "--shared-classes", "--min-region", "0",
                                 "--smooth", "0", "-q", "-j", "1"])
    assert result.exit_code == 0, result.output
    return out


def test_the_class_table_gives_each_class_its_share_of_the_valid_pixels(tmp_path):
    out = _shared_classes_of_two_tagged_tiles(tmp_path)
    with open(out / "classes.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert sorted((r["file"][-5:], r["class"], r["fraction"], r["valid_fraction"])
                  for r in rows) == [
        (f"{name}.tif", k, fraction, valid) for name in "ab"
        for k, fraction, valid in (("0", "0.125", "0.5"), ("1", "0.125", "0.5"),
                                   ("2", "0.75", "0.0"))]


def test_the_class_legend_gives_each_class_its_share_of_the_valid_pixels(tmp_path):
    """class-legend.csv had no valid_fraction, though classes.csv and segments.json did:
    a class's share of the land over the folder was left to a script."""
    out = _shared_classes_of_two_tagged_tiles(tmp_path)
    with open(out / "class-legend.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [(r["class"], r["pixels"], r["fraction"], r["valid_fraction"]) for r in rows] == [
        ("0", "4", "0.125", "0.5"), ("1", "4", "0.125", "0.5"), ("2", "24", "0.75", "0.0")]


def test_the_class_legend_pools_the_valid_pixels_of_every_output(tmp_path):
    """Each class's visible pixels over all the visible pixels of the folder, not the mean
    of each output's share; empty when an output of an earlier version did not record it."""
    from quantize.batch.classes import write_class_legend
    from quantize.batch.results import FileResult

    hidden = {"mean_color": None, "transparent": True}
    outputs = {"a": [{"cluster": 0, "area": 3, "valid_fraction": 0.75},
                     {"cluster": 1, "area": 1, "valid_fraction": 0.25},
                     {"cluster": 2, "area": 4, "valid_fraction": 0.0, **hidden}],
               "b": [{"cluster": 0, "area": 2, "valid_fraction": 1.0},
                     {"cluster": 2, "area": 6, "valid_fraction": 0.0, **hidden}]}
    for name, stats in outputs.items():
        (tmp_path / name).mkdir()
        (tmp_path / name / "segments.json").write_text(json.dumps({"n_clusters": 4,
            "cluster_stats": [{"mean_color": [9, 9, 9], **c} for c in stats]}))
    results = [FileResult(tmp_path / f"{n}.tif", tmp_path / n, "ok") for n in "ab"]
    legend = write_class_legend(tmp_path, results).read_text().splitlines()
    assert legend == ["class,mean_color,r,g,b,pixels,fraction,files,valid_fraction",
                      "0,#090909,9,9,9,5,0.3125,2,0.833333",
                      "1,#090909,9,9,9,1,0.0625,1,0.166667",
                      "2,,,,,10,0.625,2,0.0",
                      "3,,,,,0,0.0,0,0.0"]
    del outputs["b"][1]["valid_fraction"]  # as an earlier version wrote it
    (tmp_path / "b" / "segments.json").write_text(json.dumps({"n_clusters": 4,
        "cluster_stats": [{"mean_color": [9, 9, 9], **c} for c in outputs["b"]]}))
    legend = write_class_legend(tmp_path, results).read_text().splitlines()
    assert [row.rsplit(",", 1)[1] for row in legend[1:]] == [""] * 4


def _framed_scene(folder, name: str = "scene.tif"):
    """A 40 x 40 16-bit RGB scene with no GDAL_NODATA tag: a frame of 0 in every band, 4
    pixels wide (576 of its 1600 pixels), around two halves of 12-bit values."""
    tifffile = pytest.importorskip("tifffile")
    scene = np.zeros((40, 40, 3), np.uint16)
    scene[4:36, 4:20], scene[4:36, 20:36] = (900, 1200, 700), (3000, 2600, 2100)
    tifffile.imwrite(folder / name, scene, photometric="rgb")
    return folder / name


_ZERO_BORDER = ("576 of its 1600 pixels (36.0 %) are 0 in every band and reach its edge, as a "
                "no-data border does (a rotated scene's corners), but no no-data value is set "
                "(no GDAL_NODATA tag): they are segmented as dark pixels; if they are no data, "
                "give --nodata=0")


@pytest.mark.parametrize("more", [(), ("--stretch",)])
def test_a_border_of_0_in_every_band_without_a_tag_is_said_once(tmp_path, more):
    src = _framed_scene(tmp_path)
    classes, stderr = _classes(tmp_path, src, *more)
    assert stderr.count("no-data border") == 1
    assert f"quantize: warning: {src}: {_ZERO_BORDER}\n" in stderr
    assert classes.max() < 2  # the border is segmented still: none of it transparent
    hidden, _ = _classes(tmp_path, src, "--nodata", "0", *more)
    last = hidden.max()  # the transparent pixels' class, after those of the scene
    assert (hidden[:4] == last).all() and (hidden[4:36, 4:36] < last).all()


@pytest.mark.parametrize("given", [("--nodata", "0"), ("--nodata", "none")])
def test_no_border_is_said_when_nodata_is_given(tmp_path, given):
    _, stderr = _classes(tmp_path, _framed_scene(tmp_path), *given)
    assert "no-data border" not in stderr


def test_the_batch_says_a_border_of_0_once_a_file(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("a.tif", "b.tif"):
        _framed_scene(folder, name)
    result = runner.invoke(app, ["batch", str(folder), "-o", str(tmp_path / "out"), "--mode",
                                 "segment", "-k", "2", "--shared-classes", "-q", "-j", "1"])
    assert result.exit_code == 0, result.output
    said = sorted(line for line in result.stderr.splitlines() if "no-data border" in line)
    assert said == [f"quantize: warning: {folder / name}: {_ZERO_BORDER}"
                    for name in ("a.tif", "b.tif")]


def test_a_dark_photo_whose_black_reaches_its_edge_is_not_said(tmp_path):
    """A photo's black (a quarter of it, in a corner) fades through near-black levels into
    the rest, as ``skimage.data.astronaut()``'s background does: no no-data border."""
    yy, xx = np.mgrid[0:40, 0:40]
    photo = np.clip(np.hypot(yy, xx) - 20, 0, None) * 2  # 0 within 20 of a corner, then up
    src = tmp_path / "dark.tif"
    Image.fromarray(np.repeat(photo.astype(np.uint8)[..., None], 3, axis=2)).save(src)
    _, stderr = _classes(tmp_path, src)
    assert "no-data border" not in stderr


def test_a_black_border_of_a_png_is_not_said(tmp_path):
    """No GDAL_NODATA tag names a PNG's no data: its black is a graphic's, a letterbox's."""
    tifffile = pytest.importorskip("tifffile")
    src = tmp_path / "frame.png"
    Image.fromarray((tifffile.imread(_framed_scene(tmp_path)) // 16).astype(np.uint8)).save(src)
    _, stderr = _classes(tmp_path, src)
    assert "no-data border" not in stderr
