"""The rendering intent by which an input's ICC profile is converted to sRGB, and what the
conversion is said as (quantize.io.profiles)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageCms

from quantize.io import load_image
from quantize.io.profiles import INTENTS, SourceProfile
from tests.cli_support import run_in_process
from tests.corpus.generate import linear_gray_icc, linear_rgb_icc

#: Ghostscript's CMYK profile (a SWOP press, tables of each intent), where it is installed.
CMYK_ICC = Path("/usr/share/color/icc/ghostscript/default_cmyk.icc")
needs_cmyk_profile = pytest.mark.skipif(not CMYK_ICC.is_file(),
                                        reason="Ghostscript's default_cmyk.icc not installed")

#: Inks of a tiny CMYK image: paper, black ink alone, rich black, red, a light tint.
INKS = np.array([[[0, 0, 0, 0], [0, 0, 0, 255], [255, 255, 255, 255]],
                 [[0, 255, 255, 0], [30, 20, 10, 0], [128, 128, 128, 128]]], np.uint8)

_CMS = {"relative-bpc": (ImageCms.Intent.RELATIVE_COLORIMETRIC,
                         ImageCms.Flags.BLACKPOINTCOMPENSATION),
        "relative": (ImageCms.Intent.RELATIVE_COLORIMETRIC, 0),
        "perceptual": (ImageCms.Intent.PERCEPTUAL, 0),
        "saturation": (ImageCms.Intent.SATURATION, 0),
        "absolute": (ImageCms.Intent.ABSOLUTE_COLORIMETRIC, 0)}


def _cmyk_tiff(path: Path) -> Path:
    Image.fromarray(INKS, "CMYK").save(path, icc_profile=CMYK_ICC.read_bytes())
    return path


def _by_imagecms(intent: str) -> np.ndarray:
    rendering, flags = _CMS[intent]
    profile = ImageCms.ImageCmsProfile(io.BytesIO(CMYK_ICC.read_bytes()))
    return np.asarray(ImageCms.profileToProfile(
        Image.fromarray(INKS, "CMYK"), profile, ImageCms.createProfile("sRGB"),
        renderingIntent=rendering, flags=flags, outputMode="RGB"))


@needs_cmyk_profile
@pytest.mark.parametrize("intent", INTENTS)
def test_a_cmyk_file_is_converted_by_the_intent_given(tmp_path, intent):
    """The intent was PERCEPTUAL, always."""
    image = load_image(_cmyk_tiff(tmp_path / "inks.tif"), intent=intent)
    np.testing.assert_array_equal(image.rgb, _by_imagecms(intent))


@needs_cmyk_profile
def test_a_cmyk_file_is_converted_by_relative_colorimetric_with_black_point_by_default(
        tmp_path):
    """Perceptual before: chelsea made CMYK by relative colorimetric with black-point
    compensation came back mean CIEDE2000 1.22 from the original, 0.53 so."""
    image = load_image(_cmyk_tiff(tmp_path / "inks.tif"))
    np.testing.assert_array_equal(image.rgb, _by_imagecms("relative-bpc"))
    assert not np.array_equal(image.rgb, _by_imagecms("perceptual"))  # the test can fail
    assert image.source_profile == SourceProfile("CMYK", "Artifex CMYK SWOP Profile")


@pytest.mark.parametrize("tagged", [False, True])
@pytest.mark.parametrize("intent", INTENTS)
def test_untagged_and_srgb_tagged_files_read_alike_by_every_intent(tmp_path, rng, tagged,
                                                                    intent):
    pixels = rng.integers(0, 256, (6, 7, 3), dtype=np.uint8)
    params = ({"icc_profile": ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
               .tobytes()} if tagged else {})
    Image.fromarray(pixels).save(tmp_path / "p.png", **params)
    image = load_image(tmp_path / "p.png", intent=intent)
    np.testing.assert_array_equal(image.rgb, pixels)
    assert image.source_profile is None


def test_a_wide_rgb_profile_is_named_as_converted(tmp_path):
    Image.new("RGB", (2, 2), (128, 128, 128)).save(tmp_path / "p.png",
                                                   icc_profile=linear_rgb_icc())
    assert load_image(tmp_path / "p.png").source_profile == SourceProfile("RGB", "linear RGB")


@pytest.mark.parametrize("intent", ["vivid", None, 1])
def test_an_unknown_intent_is_refused_naming_the_valid_ones(tmp_path, intent):
    Image.new("RGB", (2, 2)).save(tmp_path / "p.png")
    with pytest.raises(ValueError, match=r"^intent=.* should be one of 'relative-bpc', "
                                         r"'relative', 'perceptual', 'saturation', 'absolute'$"):
        load_image(tmp_path / "p.png", intent=intent)


# --------------------------------------------------------------------------
# What the commands say of a conversion, and --intent
# --------------------------------------------------------------------------

_NOTE = ("the input's RGB colours (ICC profile 'linear RGB') are converted to sRGB, "
         "relative colorimetric with black-point compensation, and the profile is left out")


def _wide(path: Path) -> Path:
    """A photo-like image tagged with a linear RGB profile (not sRGB's)."""
    pixels = np.zeros((6, 8, 3), np.uint8)
    pixels[:, 4:] = (200, 40, 40)
    pixels[3:, :] += 30
    Image.fromarray(pixels).save(path, icc_profile=linear_rgb_icc())
    return path


def test_reduce_notes_a_converted_profile_and_records_it(tmp_path):
    """It said "2 colours, PSNR ..." alone: no word that the profile was converted and
    dropped, nor a field of --json."""
    src = _wide(tmp_path / "wide.png")
    result = run_in_process(["reduce", src, "-k", 2, "-o", tmp_path / "out.png", "--json"])
    assert result.returncode == 0, result.stderr
    assert result.stderr == f"quantize: note: {src}: out.png: {_NOTE}\n"
    record = json.loads(result.stdout)
    assert (record["source_colour_space"], record["profile"]) == ("RGB", "linear RGB")
    assert "intent" not in record
    quiet = run_in_process(["reduce", src, "-k", 2, "-o", tmp_path / "out.png", "--force",
                            "-q"])
    assert (quiet.returncode, quiet.stderr) == (0, "")


@pytest.mark.parametrize("tagged", [False, True])
def test_reduce_says_nothing_of_an_srgb_or_untagged_input(tmp_path, tagged):
    params = ({"icc_profile": ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
               .tobytes()} if tagged else {})
    Image.new("RGB", (4, 2), (200, 40, 40)).save(tmp_path / "p.png", **params)
    result = run_in_process(["reduce", tmp_path / "p.png", "-k", 2, "-o", tmp_path / "o.png",
                             "--json", "--intent", "perceptual"])
    assert (result.returncode, result.stderr) == (0, "")
    record = json.loads(result.stdout)
    assert "source_colour_space" not in record and record["intent"] == "perceptual"


#: Four grey levels of a linear-light grey image (linear 100 reads about 170 in sRGB).
_LINEAR_GREYS = np.repeat(np.array([20, 60, 100, 200], np.uint8), 4).reshape(4, 4)
_KEPT = ("the input's grey levels are kept, not converted to sRGB, and its ICC profile "
         "'linear GRAY' is embedded in the grey output")


@pytest.mark.parametrize("suffix", [".png", ".tif", ".jpg"])
def test_a_grey_output_keeps_a_grey_input_s_levels_and_its_profile(tmp_path, suffix):
    """The levels were converted to sRGB (100 -> about 170), written in RGB entries, and the
    profile left out; ImageMagick keeps both."""
    icc = linear_gray_icc()
    Image.fromarray(_LINEAR_GREYS).save(tmp_path / "lin.png", icc_profile=icc)
    out = tmp_path / f"out{suffix}"
    result = run_in_process(["reduce", tmp_path / "lin.png", "-k", 4, "-o", out, "--json"])
    assert result.returncode == 0, result.stderr
    # (a .jpg's second note: its compression adds levels)
    assert result.stderr.splitlines()[0] == (
        f"quantize: note: {tmp_path / 'lin.png'}: {out.name}: {_KEPT}")
    assert "source_colour_space" not in json.loads(result.stdout)  # nothing converted
    with Image.open(out) as im:
        assert im.mode == "L" and im.info["icc_profile"] == icc  # byte for byte
        got = np.asarray(im, np.int16)
    assert np.abs(got - _LINEAR_GREYS).max() <= (3 if suffix == ".jpg" else 0)


def test_a_grey_tiff_of_two_levels_keeps_its_grey_profile_in_a_grey_page(tmp_path):
    """Two levels are written 1 bit a pixel, with a colour map, which is RGB and which a
    grey ICC profile does not describe: with one, the page stays grey, 8 bits, and keeps
    it."""
    icc = linear_gray_icc()
    two = np.where(_LINEAR_GREYS < 100, 20, 200).astype(np.uint8)
    Image.fromarray(two).save(tmp_path / "lin.png", icc_profile=icc)
    result = run_in_process(["reduce", tmp_path / "lin.png", "-k", 2, "-o",
                             tmp_path / "out.tif"])
    assert result.returncode == 0, result.stderr
    with Image.open(tmp_path / "out.tif") as im:
        assert (im.mode, im.tag_v2[258], im.tag_v2[262]) == ("L", (8,), 1)
        assert im.info["icc_profile"] == icc
        assert np.array_equal(np.asarray(im), two)


@pytest.mark.parametrize("args", [["-o", "out.gif"], ["--palette-in", "greys.hex"]])
def test_a_grey_input_s_profile_is_converted_as_before_for_an_output_not_written_grey(
        tmp_path, args):
    Image.fromarray(_LINEAR_GREYS).save(tmp_path / "lin.png", icc_profile=linear_gray_icc())
    (tmp_path / "greys.hex").write_text("000000\n444444\naaaaaa\nffffff\n")
    args = [tmp_path / a if a.endswith((".gif", ".hex")) else a for a in args]
    output = [] if "-o" in args else ["-o", tmp_path / "out.png"]
    result = run_in_process(["reduce", tmp_path / "lin.png", "-k", 4, *args, *output,
                             "--json"])
    assert result.returncode == 0, result.stderr
    assert "converted to sRGB, relative colorimetric" in result.stderr
    assert json.loads(result.stdout)["source_colour_space"] == "GRAY"


def test_an_unknown_intent_is_one_line_and_exit_2(tmp_path):
    src = _wide(tmp_path / "wide.png")
    result = run_in_process(["reduce", src, "-k", 2, "--intent", "vivid"])
    assert (result.returncode, result.stderr) == (2, (
        "quantize: error: --intent='vivid' should be one of 'relative-bpc', 'relative', "
        "'perceptual', 'saturation', 'absolute'\n"))


def test_segment_and_palette_record_a_converted_profile(tmp_path):
    src = _wide(tmp_path / "wide.png")
    seg = run_in_process(["segment", src, "-k", 2, "-o", tmp_path / "seg", "--intent",
                          "relative"])
    assert seg.returncode == 0, seg.stderr
    assert seg.stderr == (f"quantize: note: {src}: seg: "
                          + _NOTE.replace(" with black-point compensation", "") + "\n")
    saved = json.loads((tmp_path / "seg" / "segments.json").read_text())
    assert (saved["intent"], saved["source_colour_space"], saved["profile"]) == (
        "relative", "RGB", "linear RGB")
    pal = run_in_process(["palette", src, "-k", 2, "--json"])
    assert pal.returncode == 0, pal.stderr
    assert pal.stderr == f"quantize: note: {src}: {_NOTE}\n"
    assert json.loads(pal.stdout)["profile"] == "linear RGB"


def test_batch_reports_a_converted_profile_among_the_files_warnings(tmp_path):
    (tmp_path / "in").mkdir()
    _wide(tmp_path / "in" / "wide.png")
    Image.new("RGB", (4, 2), (200, 40, 40)).save(tmp_path / "in" / "plain.png")
    result = run_in_process(["batch", tmp_path / "in", "-o", tmp_path / "out", "-k", 2,
                             "-j", 1, "--report", tmp_path / "r.json"])
    assert result.returncode == 0, result.stderr
    rows = {Path(row["input"]).name: row
            for row in json.loads((tmp_path / "r.json").read_text())["files"]}
    assert rows["wide.png"]["warnings"] == [f"wide.png: {_NOTE}"]
    assert (rows["wide.png"]["source_colour_space"], rows["wide.png"]["profile"]) == (
        "RGB", "linear RGB")
    assert "profile" not in rows["plain.png"] and not rows["plain.png"].get("warnings")
    again = run_in_process(["batch", tmp_path / "in", "-o", tmp_path / "out", "-k", 2,
                            "-j", 1, "--intent", "relative-bpc"])
    assert again.returncode == 0, again.stderr  # the default given: the outputs are alike
