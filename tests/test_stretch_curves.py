"""The curves of a stretch (``stretch_curve``, ``--stretch-curve``) and ``mean_input``."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from quantize.cli import app
from quantize.io import load_image
from quantize.segment_file import segment_file

runner = CliRunner()

# 0, 1/64, 1/4 and 1: exact in float32, so the levels below are the formulas' own.
_RAMP = np.array([[0.0, 0.015625, 0.25, 1.0]], np.float32)

# Each level rint(255 * curve(x)), x the value scaled to 0..1 by the range 0..1:
# linear x: 3.98, 63.75; sqrt: 255 * 0.125 = 31.875, 255 * 0.5 = 127.5 (to even: 128);
# asinh(x / 0.1) / asinh(10): 0.155624 / 2.998223 * 255 = 13.24, 1.647231 / 2.998223 * 255
# = 140.10; log(1 + x / 0.1) / log(11): 0.145182 / 2.397895 * 255 = 15.44, 1.252763 /
# 2.397895 * 255 = 133.22.
_LEVELS = {"linear": [0, 4, 64, 255], "sqrt": [0, 32, 128, 255],
           "asinh": [0, 13, 140, 255], "log": [0, 15, 133, 255]}


def _float_tiff(path, values):
    Image.fromarray(np.asarray(values, np.float32), "F").save(path)
    return path


@pytest.mark.parametrize("curve", list(_LEVELS))
def test_each_curve_makes_the_levels_of_its_formula(tmp_path, curve):
    loaded = load_image(_float_tiff(tmp_path / "r.tif", _RAMP), stretch=True,
                        stretch_curve=curve)
    assert loaded.rgb[0, :, 0].tolist() == _LEVELS[curve]
    assert loaded.stretch_range == (0.0, 1.0)


def test_a_curve_comes_after_the_clip_percentiles_the_values_beyond_made_0_and_255(tmp_path):
    # 10% clipped at each end of 0..10: 1 and 9 read as 0 and 255, 0 and 10 beyond them
    values = np.arange(11, dtype=np.float32)[None]
    loaded = load_image(_float_tiff(tmp_path / "c.tif", values), stretch_clip=10,
                        stretch_curve="sqrt")
    expected = np.rint(255 * np.sqrt(np.clip((values[0] - 1) / 8, 0, 1))).astype(int)
    assert loaded.stretch_range == (1.0, 9.0)
    assert loaded.rgb[0, :, 0].tolist() == expected.tolist()
    assert (loaded.rgb[0, 0, 0], loaded.rgb[0, -1, 0]) == (0, 255)


@pytest.mark.parametrize(("curve", "softening"), [
    ("asinh", None), ("asinh", 0.01), ("asinh", 1.0), ("log", None), ("log", 0.01),
    ("log", 1.0), ("sqrt", None)])
def test_curves_rise_with_the_values_and_lift_them_above_linear(tmp_path, curve, softening):
    ramp = np.linspace(0.0, 1.0, 4096, dtype=np.float32).reshape(64, 64)
    path = _float_tiff(tmp_path / "r.tif", ramp)
    levels = load_image(path, stretch_curve=curve, stretch_softening=softening).rgb[..., 0]
    linear = load_image(path, stretch=True).rgb[..., 0]
    assert np.all(np.diff(levels.ravel().astype(int)) >= 0)
    assert (levels.min(), levels.max()) == (0, 255)
    assert np.all(levels >= linear) and np.any(levels > linear)


def test_a_smaller_softening_lifts_faint_values_more(tmp_path):
    path = _float_tiff(tmp_path / "r.tif", _RAMP)
    faint = [load_image(path, stretch_curve="asinh", stretch_softening=s).rgb[0, 1, 0]
             for s in (1.0, 0.1, 0.001)]
    assert faint[0] < faint[1] < faint[2]


def _linear_levels(values, low, high):
    return np.clip(np.rint((values.astype(np.float64) - low) * (255.0 / (high - low))), 0, 255)


def test_linear_is_the_plain_stretch_byte_for_byte_for_every_kind_of_input(tmp_path):
    rng = np.random.default_rng(0)
    grey = rng.integers(200, 3000, (9, 7)).astype(np.uint16)
    Image.fromarray(grey).save(tmp_path / "g.png")
    floats = rng.normal(0.0, 5.0, (9, 7)).astype(np.float32)
    _float_tiff(tmp_path / "f.tif", floats)
    eight = rng.integers(40, 90, (9, 7, 3)).astype(np.uint8)
    Image.fromarray(eight).save(tmp_path / "e.png")
    for name, values in (("g.png", grey), ("f.tif", floats), ("e.png", eight)):
        plain = load_image(tmp_path / name, stretch=True)
        linear = load_image(tmp_path / name, stretch=True, stretch_curve="linear")
        assert np.array_equal(plain.rgb, linear.rgb)
        low, high = plain.stretch_range
        assert (low, high) == (float(values.min()), float(values.max()))
        expected = _linear_levels(values, low, high)
        shown = plain.rgb if values.ndim == 3 else plain.rgb[..., 0]
        assert np.array_equal(shown, expected)


@pytest.mark.parametrize("name", ["rgb.png", "rgb.tif"])
def test_a_16_bit_rgb_file_is_curved_from_its_16_bit_values(tmp_path, name):
    from .test_io import _DARK_RGB, _wide_rgb_file

    loaded = load_image(_wide_rgb_file(tmp_path / name, _DARK_RGB), stretch_curve="sqrt")
    # 1257 of 1000..3000: sqrt(257 / 2000) * 255 = 91.41
    assert loaded.rgb.tolist() == [[[0, 91, 255], [255, 0, 91]]]
    assert loaded.stretch_values.tolist() == _DARK_RGB.tolist()


def test_an_8_bit_image_is_curved_from_its_own_levels(tmp_path):
    Image.fromarray(np.array([[10, 20, 50, 110]], np.uint8)).save(tmp_path / "e.png")
    loaded = load_image(tmp_path / "e.png", stretch_curve="sqrt")
    # sqrt((v - 10) / 100) * 255: 0, 80.64, 161.27, 255
    assert loaded.rgb[0, :, 0].tolist() == [0, 81, 161, 255]
    assert loaded.stretch_values.tolist() == [[10, 20, 50, 110]]


@pytest.mark.parametrize(("options", "message"), [
    ({"stretch_curve": "cube"},
     "stretch_curve='cube' should be one of 'linear', 'asinh', 'log', 'sqrt'"),
    ({"stretch_curve": "sqrt", "stretch_softening": 0.2},
     "stretch_softening=0.2 applies to the asinh and log curves only; expected none with "
     "stretch_curve='sqrt'"),
    ({"stretch_softening": 0.2},
     "stretch_softening=0.2 applies to the asinh and log curves only; expected none with "
     "stretch_curve='linear'"),
    ({"stretch_curve": "log", "stretch_softening": 0},
     "stretch_softening=0 should be a number above 0 (the curve's knee, as a fraction of "
     "the range stretched)"),
    ({"stretch_curve": "asinh", "stretch_softening": -1},
     "stretch_softening=-1 should be a number above 0 (the curve's knee, as a fraction of "
     "the range stretched)"),
])
def test_a_bad_curve_or_softening_is_refused_naming_it(tmp_path, options, message):
    path = _float_tiff(tmp_path / "r.tif", _RAMP)
    with pytest.raises(ValueError) as caught:
        load_image(path, **options)
    assert str(caught.value) == message
    with pytest.raises(ValueError) as caught:
        segment_file(path, tmp_path / "out", n_clusters=2, **options)
    assert str(caught.value) == message
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("args", "message"), [
    (["--stretch-curve", "cube"],
     "quantize: error: --stretch-curve='cube' should be one of 'linear', 'asinh', 'log', "
     "'sqrt'\n"),
    (["--stretch-curve", "sqrt", "--stretch-softening", "0.2"],
     "quantize: error: --stretch-softening=0.2 applies to the asinh and log curves only; "
     "expected none with --stretch-curve='sqrt'\n"),
    (["--stretch-curve", "asinh", "--stretch-softening", "0"],
     "quantize: error: --stretch-softening=0 should be a number above 0 (the curve's knee, "
     "as a fraction of the range stretched)\n"),
])
@pytest.mark.parametrize("command", ["segment", "batch"])
def test_the_command_line_refuses_them_in_one_line(tmp_path, args, message, command):
    folder = tmp_path / "in"
    folder.mkdir()
    _float_tiff(folder / "r.tif", _RAMP)
    target = [str(folder / "r.tif")] if command == "segment" else [str(folder), "--mode",
                                                                    "segment"]
    result = runner.invoke(app, [command, *target, "-o", str(tmp_path / "out"), "-k", "2",
                                 *args])
    assert result.exit_code == 2
    assert result.stderr == message
    assert not (tmp_path / "out").exists()


# Two regions of known input values: 0.01 and 0.03 in turn (mean 0.02 in float32:
# 0.019999999552965164), and 1 and 0.5 in turn (mean 0.75).
_TWO = np.zeros((8, 8), np.float32)
_TWO[:, :4] = np.resize(np.float32([0.01, 0.03]), (8, 4))
_TWO[:, 4:] = np.resize(np.float32([1.0, 0.5]), (8, 4))
_QUIET = {"n_clusters": 2, "min_region": 0, "smooth": 0, "weights": {"xy": 0, "texture": 0},
          "seed": 0}


@pytest.mark.parametrize("curve", list(_LEVELS))
def test_mean_input_is_the_mean_of_each_region_s_input_values_whatever_the_curve(
        tmp_path, curve):
    path = _float_tiff(tmp_path / "two.tif", _TWO)
    segment_file(path, tmp_path / "out", stretch=True, stretch_curve=curve, **_QUIET)
    document = json.loads((tmp_path / "out" / "segments.json").read_text())
    means = sorted(r["mean_input"] for r in document["region_stats"])
    assert means == [[0.02] * 3, [0.75] * 3]
    assert sorted(c["mean_input"] for c in document["cluster_stats"]) == means
    from quantize.segment import segment_pixels

    loaded = load_image(path, stretch_curve=curve, stretch=True)
    result = segment_pixels(loaded.rgb, loaded.alpha, stretch_range=loaded.stretch_range,
                            stretch_values=loaded.stretch_values, **_QUIET)
    exact = sorted(r["mean_input"][0] for r in result.region_stats(exact=True))
    assert exact == [float(np.float32(0.01) + np.float32(0.03)) / 2, 0.75]


def test_mean_input_leaves_no_data_out(tmp_path):
    values = _TWO.copy()
    values[0, 0] = np.nan  # no data (as segment reads it): not in its region's mean
    values[1, 0] = 0.03
    path = _float_tiff(tmp_path / "nan.tif", values)
    loaded = load_image(path, stretch_curve="asinh", nodata="tag")
    from quantize.segment import segment_pixels

    result = segment_pixels(loaded.rgb, loaded.alpha, stretch_range=loaded.stretch_range,
                            stretch_values=loaded.stretch_values, **_QUIET)
    left = [r for r in result.region_stats(exact=True)
            if r["mean_input"] is not None and r["mean_input"][0] < 0.5]
    # of its 32 pixels, one NaN, and 0.01 at (1, 0) made 0.03: 14 of 0.01, 17 of 0.03
    expected = (14 * np.float64(np.float32(0.01)) + 17 * np.float64(np.float32(0.03))) / 31
    assert len(left) == 1 and left[0]["mean_input"][0] == pytest.approx(expected, rel=1e-12)


def test_segments_json_and_batch_record_the_curve_and_softening(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    _float_tiff(folder / "two.tif", _TWO)
    args = ["-k", "2", "-w", "xy=0", "-w", "texture=0", "--smooth", "0", "--min-region", "0"]
    result = runner.invoke(app, ["segment", str(folder / "two.tif"), "-o", str(tmp_path / "one"),
                                 "--stretch-curve", "asinh", *args])
    assert result.exit_code == 0, result.output
    record = json.loads((tmp_path / "one" / "segments.json").read_text())
    assert {k: record[k] for k in list(record) if k.startswith("stretch")} == {
        "stretch": True, "stretch_curve": "asinh", "stretch_softening": 0.1,
        "stretch_range": [float(np.float32(0.01)), 1.0]}
    batch = ["batch", str(folder), "-o", str(tmp_path / "out"), "--mode", "segment", *args]
    result = runner.invoke(app, [*batch, "--stretch-curve", "log", "--stretch-softening",
                                 "0.05"])
    assert result.exit_code == 0, result.output
    record = json.loads((tmp_path / "out" / "two" / "segments.json").read_text())
    assert (record["stretch_curve"], record["stretch_softening"]) == ("log", 0.05)
    assert sorted(r["mean_input"] for r in record["region_stats"]) == [[0.02] * 3, [0.75] * 3]
    again = runner.invoke(app, [*batch, "--stretch-curve", "log", "--stretch-softening", "0.05"])
    assert "0 ok, 1 skipped" in again.output
    other = runner.invoke(app, [*batch, "--stretch-curve", "sqrt"])
    assert other.exit_code != 0
    plain = runner.invoke(app, ["segment", str(folder / "two.tif"), "-o", str(tmp_path / "p"),
                                "--stretch", *args])
    assert plain.exit_code == 0, plain.output
    record = json.loads((tmp_path / "p" / "segments.json").read_text())
    assert "stretch_curve" not in record and "stretch_softening" not in record
