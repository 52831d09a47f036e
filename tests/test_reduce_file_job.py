"""quantize.reduce.file_job: reduce_file's formats, modes, outputs, refusals and animations."""

from __future__ import annotations

import errno
import importlib
import json
import struct
import threading
import warnings
from contextlib import nullcontext
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from quantize.animation import StillImageWarning, count_frames, reduce_animation_file
from quantize.cli import app
from quantize.errors import (
    ImageReadError,
    LossyColorsWarning,
    OutputError,
    OutputExistsError,
    PaletteInWarning,
    QualityError,
    ResultTooLargeError,
)
from quantize.io import load_image, save_pil
from quantize.palette_files import PaletteReadWarning, read_palette
from quantize.reduce import (
    GIF_ALPHA_THRESHOLD,
    AlphaLossWarning,
    ColorCountWarning,
    FewerColorsWarning,
    ReduceResult,
    ShownOutput,
    reduce_colors,
    reduce_file,
)

from .animation_support import frame_info, moving_square, one_frame_webp, save_animation
from .reduce_support import COLOURS, gif_blocks, read_rgb, rgba_input, translucent_blocks

RECORD_KEYS = {"input", "output", "k", "space", "n_colors", "quality", "dither",
               "exact_colors", "palette_in", "palette_mode", "seed", "optimize", "psnr",
               "delta_e", "seconds", "bytes_in", "bytes_out", "frames", "palette"}


def png_chunk(path, name: bytes) -> bytes | None:
    """The data of the first chunk called ``name`` in a PNG file, or None."""
    data = path.read_bytes()
    pos = 8
    while pos < len(data):
        length = int.from_bytes(data[pos:pos + 4], "big")
        if data[pos + 4:pos + 8] == name:
            return data[pos + 8:pos + 8 + length]
        pos += 12 + length
    return None


# --------------------------------------------------------------------------
# Outputs
# --------------------------------------------------------------------------


@pytest.mark.parametrize("given", ["a.png/", "a.png//", "link/"])
@pytest.mark.parametrize("output", [None, "out.png"])
def test_a_file_name_followed_by_a_slash_is_refused_as_the_command_refuses_it(
        tmp_path, monkeypatch, given, output):
    """reduce_file("a.png/") read a.png (a Path drops the '/'), which the command refuses."""
    monkeypatch.chdir(tmp_path)
    Image.new("RGB", (4, 4), (200, 30, 30)).save("a.png")
    Path("link").symlink_to("a.png")
    with pytest.raises(ImageReadError) as refused:
        reduce_file(given, output, n_colors=2)
    assert (refused.value.path, refused.value.reason) == (
        given, f"ends in '/', which names a folder, but '{given.rstrip('/')}' is a file; "
               "expected an image file, named without the '/'")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png", "link"]


def test_default_output_is_an_indexed_png_beside_the_input(photo):
    record = reduce_file(photo, n_colors=6, seed=0)
    out = photo.with_name("photo.k6.png")
    assert set(record) == RECORD_KEYS and record["output"] == str(out)
    assert record["k"] == 6 and record["bytes_out"] == out.stat().st_size
    json.dumps(record)  # JSON-able
    with Image.open(out) as im:
        assert im.mode == "P" and "transparency" not in im.info


def test_the_record_names_colours_given_as_an_array_and_gives_them_back(photo, tmp_path):
    """An array palette_in is recorded as its rows, which make the same file again; a
    Generator seed is recorded as null (it cannot be given again)."""
    colours = np.array([[200, 40, 30, 255], [30, 160, 60, 128]], np.uint8)
    record = reduce_file(photo, tmp_path / "a.png", palette_in=colours,
                         seed=np.random.default_rng(1))
    assert record["palette_in"] == [[200, 40, 30, 255], [30, 160, 60, 128]]
    assert (record["n_colors"], record["seed"], record["palette_mode"]) == (None, None, "global")
    json.dumps(record)
    reduce_file(photo, tmp_path / "b.png", palette_in=record["palette_in"])
    assert (tmp_path / "b.png").read_bytes() == (tmp_path / "a.png").read_bytes()


@pytest.mark.parametrize("dither", [1.0, "ordered"])
def test_a_fitted_palette_given_back_as_fitted_is_dithered_onto_as_the_fit_was(photo, tmp_path,
                                                                              dither):
    """palette_fitted: the palette was fitted to colours like these (a batch's shared one),
    so it is dithered onto as a fit dithers onto its own; palette_in alone is dithered onto
    as a device's palette, keeping the image's tone."""
    reduce_file(photo, tmp_path / "fit.png", n_colors=6, dither=dither,
                palette_out=tmp_path / "p.hex")
    record = reduce_file(photo, tmp_path / "fitted.png", palette_in=tmp_path / "p.hex",
                         palette_fitted=True, dither=dither)
    reduce_file(photo, tmp_path / "given.png", palette_in=tmp_path / "p.hex", dither=dither)
    fit, fitted, given = (read_rgb(tmp_path / name) for name in ("fit.png", "fitted.png",
                                                                 "given.png"))
    assert np.array_equal(fitted, fit)
    assert not np.array_equal(given, fit)
    assert set(record) == RECORD_KEYS | {"palette_fitted", "blurred_psnr",  # dithered
                                         "colours_used"}  # mapped onto a given palette
    assert record["palette_fitted"] is True
    assert "palette_fitted" not in reduce_file(photo, tmp_path / "b.png", n_colors=2)


def test_an_image_palette_given_as_palette_in_maps_as_its_image_does(photo, tmp_path):
    # Image.open(gif).palette, a Pillow ImagePalette, was refused "... got ()"
    gif = tmp_path / "pal.gif"
    Image.fromarray(np.array([[[200, 40, 30], [30, 160, 60], [20, 20, 20]]], np.uint8)
                    ).quantize(3).save(gif)
    with Image.open(gif) as im:
        reduce_file(photo, tmp_path / "image.png", palette_in=im)
        record = reduce_file(photo, tmp_path / "palette.png", palette_in=im.palette)
        entries = np.reshape(im.getpalette(), (-1, 3)).tolist()
    assert record["palette_in"] == entries and [20, 20, 20] in entries
    assert (tmp_path / "palette.png").read_bytes() == (tmp_path / "image.png").read_bytes()


@pytest.mark.filterwarnings("ignore::quantize.animation.StillImageWarning")
@pytest.mark.parametrize("given", [{"output": "/dev/null"}, {"palette_out": "/dev/null"}])
def test_a_device_as_an_output_is_refused_as_one_not_for_its_extension(photo, tmp_path, given):
    # '/dev/null' was refused as having no extension (ValueError), unlike a FIFO named .png
    options = {"output": tmp_path / "o.png", **given}
    for reduce in (reduce_file, reduce_animation_file):
        with pytest.raises(OutputError) as info:
            reduce(photo, **options)
        assert str(info.value) == ("/dev/null: is a pipe, device or socket, not a regular file; "
                                   "expected an output file name (an output is put in place "
                                   "whole, which would replace it)")
    assert [p.name for p in tmp_path.iterdir()] == [photo.name]


@pytest.mark.parametrize("shape, in_caller", [((128, 128), True), ((128, 129), False)])
def test_small_images_are_measured_in_the_caller_larger_ones_beside_the_encoding(
        tmp_path, monkeypatch, rng, shape, in_caller):
    src = tmp_path / "in.png"
    Image.fromarray(rng.integers(0, 256, (*shape, 3), dtype=np.uint8)).save(src)
    threads = []
    measured = ReduceResult.psnr.func

    def psnr(result: ReduceResult) -> float:
        threads.append(threading.get_ident())
        return measured(result)

    monkeypatch.setattr(ReduceResult, "psnr", property(psnr))
    record = reduce_file(src, tmp_path / "out.png", n_colors=4)
    assert (threads == [threading.get_ident()]) is in_caller
    assert len(threads) == 1
    assert record["psnr"] == pytest.approx(reduce_colors(np.asarray(Image.open(src)), 4,
                                                         seed=0).psnr, abs=0.005)


def test_indexed_png_round_trip_keeps_palette_and_indices(photo, tmp_path):
    out = tmp_path / "out.png"
    reduce_file(photo, out, n_colors=6, seed=0)
    expected = reduce_colors(read_rgb(photo), 6, seed=0)
    with Image.open(out) as im:
        palette = np.asarray(im.getpalette()[: 3 * expected.k], np.uint8).reshape(-1, 3)
        assert np.array_equal(palette, expected.palette)
        assert np.array_equal(np.asarray(im), expected.indices)


@pytest.mark.parametrize("suffix, mode", [(".gif", "P"), (".jpg", "RGB"), (".webp", "RGB"),
                                          (".tif", "P")])
def test_output_format_follows_the_extension(photo, tmp_path, suffix, mode):
    out = tmp_path / f"out{suffix}"
    record = reduce_file(photo, out, n_colors=6, seed=0)
    with Image.open(out) as im:
        assert im.mode == mode
    lossless = suffix != ".jpg"  # WebP is written lossless: the file has the k colours
    if lossless:
        assert np.array_equal(read_rgb(out), reduce_colors(read_rgb(photo), 6, seed=0).to_rgb())
    assert record["psnr"] > 25


@pytest.mark.parametrize("suffix", [".jpg", ".jpeg", ".JPG"])
def test_jpeg_output_keeps_full_resolution_colour(photo, tmp_path, suffix):
    """Written with Pillow's default 4:2:0, the colour of each 2 x 2 block was averaged."""
    from PIL import JpegImagePlugin

    out = tmp_path / f"out{suffix}"
    reduce_file(photo, out, n_colors=6, seed=0)
    with Image.open(out) as im:
        assert (im.format, JpegImagePlugin.get_sampling(im)) == ("JPEG", 0)  # 0: 4:4:4


@pytest.mark.parametrize(("suffix", "fmt", "longest"), [
    (".webp", "WebP", 16383), (".jpg", "JPEG", 65500), (".gif", "GIF", 65535)])
def test_an_image_longer_than_the_output_format_holds_is_refused_before_work(
        tmp_path, suffix, fmt, longest):
    """The encoders failed once the image was reduced: 'encoding error 5: Image size
    exceeds WebP limit', libjpeg's own line and 'broken data stream', and for a GIF
    'OverflowError at _binary.py:103: int too big to convert'."""
    src = tmp_path / "strip.png"
    strip = np.zeros((longest + 1, 1, 3), np.uint8)
    strip[::2] = 255
    Image.fromarray(strip).save(src)
    out = tmp_path / f"strip{suffix}"
    with pytest.raises(ValueError) as info:
        reduce_file(src, out, n_colors=2)
    assert str(info.value) == (f"output={str(out)!r}: {fmt} holds at most {longest} pixels "
                               f"a side, and the image is 1x{longest + 1}; use .png or .tif "
                               "instead")
    assert [p.name for p in tmp_path.iterdir()] == ["strip.png"]


def test_an_animation_longer_than_the_output_format_holds_is_refused(tmp_path):
    frames = [np.zeros((1, 16384, 3), np.uint8), np.full((1, 16384, 3), 255, np.uint8)]
    src = save_animation(tmp_path / "strip.png", frames, duration=100)
    out = tmp_path / "strip.webp"
    with pytest.raises(ValueError) as info:
        reduce_file(src, out, n_colors=2)
    assert str(info.value) == (f"output={str(out)!r}: WebP holds at most 16383 pixels a "
                               "side, and the image is 16384x1; use .png (an APNG) instead")
    assert [p.name for p in tmp_path.iterdir()] == ["strip.png"]


@pytest.mark.parametrize("alpha", [False, True])
@pytest.mark.parametrize("suffix", [".tif", ".tiff"])
def test_a_tiff_output_is_deflated_losslessly(photo, tmp_path, suffix, alpha):
    """TIFF outputs were written uncompressed: 36 MB for a 12 MP image of 16 colours."""
    src = photo
    if alpha:
        src = tmp_path / "rgba.png"
        rgba_input(src)
    out = tmp_path / f"out{suffix}"
    reduce_file(src, out, n_colors=6, seed=0)
    with Image.open(src) as im:
        expected = reduce_colors(im, 6, seed=0)
    pixels = expected.to_rgba() if alpha else expected.to_rgb()
    with Image.open(out) as im:
        assert im.info["compression"] == "tiff_adobe_deflate"
        assert np.array_equal(np.asarray(im.convert("RGBA" if alpha else "RGB")), pixels)
    assert out.stat().st_size < pixels.nbytes


def test_a_tiff_output_is_written_uncompressed_by_a_pillow_without_libtiff(photo, tmp_path,
                                                                           monkeypatch):
    """A Pillow built without libtiff writes no compressed TIFF ('encoder libtiff not
    available'): the output is then written as before, uncompressed."""
    from PIL import features

    real = features.check
    monkeypatch.setattr(features, "check", lambda name: name != "libtiff" and real(name))
    out = tmp_path / "out.tif"
    reduce_file(photo, out, n_colors=6, seed=0)
    with Image.open(out) as im:
        assert im.info["compression"] == "raw"
        assert np.array_equal(np.asarray(im.convert("RGB")),
                              reduce_colors(read_rgb(photo), 6, seed=0).to_rgb())


def test_an_opaque_tiff_output_is_a_palette_tiff_of_the_png_s_entries(photo, tmp_path):
    """A .tif was RGB, which GIMP and Photoshop open in RGB mode, half as large again as a
    palette TIFF of the same pixels: now photometric palette, the .png's palette and
    indices, deflated, its resolution and EXIF kept."""
    import tifffile

    src = tmp_path / "scan.png"
    exif = Image.Exif()
    exif[315] = "A. Printer"
    Image.open(photo).save(src, dpi=(300, 300), exif=exif.tobytes())
    reduce_file(src, tmp_path / "out.png", n_colors=6, seed=0)
    reduce_file(src, tmp_path / "out.tif", n_colors=6, seed=0)
    with Image.open(tmp_path / "out.png") as png, Image.open(tmp_path / "out.tif") as tif:
        assert (tif.mode, tif.info["compression"], tif.info["dpi"]) == (
            "P", "tiff_adobe_deflate", (300.0, 300.0))
        assert tif.tag_v2[315] == "A. Printer"
        assert np.array_equal(np.asarray(tif), np.asarray(png))
        assert tif.getpalette()[:18] == png.getpalette()[:18]
    with tifffile.TiffFile(tmp_path / "out.tif") as tf:
        assert (tf.pages[0].photometric.name, tf.pages[0].bitspersample) == ("PALETTE", 8)


def test_a_tiff_mapped_onto_a_given_palette_keeps_its_indices(tmp_path):
    """Entry i of the palette given is index i of the palette TIFF, unused entries too,
    as of the .png."""
    src = tmp_path / "two.png"
    image = np.zeros((2, 4, 3), np.uint8)
    image[:, 2:] = [250, 10, 10]
    Image.fromarray(image).save(src)
    palette = np.array([[0, 255, 0], [250, 10, 10], [0, 0, 0]], np.uint8)
    reduce_file(src, tmp_path / "out.tif", palette_in=palette)
    with Image.open(tmp_path / "out.tif") as tif:
        assert tif.mode == "P"
        assert np.asarray(tif).tolist() == [[2, 2, 1, 1]] * 2
        assert tif.getpalette()[:9] == palette.ravel().tolist()


@pytest.mark.parametrize("order", [[[0, 0, 0], [255, 255, 255]], [[255, 255, 255], [0, 0, 0]]])
def test_a_tiff_of_black_and_white_only_is_bilevel_group_4(tmp_path, rng, order):
    """Mapped onto black and white (a palette file of the two, in either order), a .tif
    was a palette TIFF of 8 bits a pixel, deflated: now 1 bit a pixel, CCITT Group 4, as
    archives keep scanned text, its resolution and EXIF kept, its pixels the result's."""
    import tifffile

    src = tmp_path / "page.png"
    exif = Image.Exif()
    exif[315] = "A. Clerk"
    grey = rng.integers(0, 256, (9, 14), dtype=np.uint8)
    Image.fromarray(grey).save(src, dpi=(300, 300), exif=exif.tobytes())
    palette = np.array(order, np.uint8)
    reduce_file(src, tmp_path / "out.tif", palette_in=palette)
    reduce_file(src, tmp_path / "out.png", palette_in=palette)
    with Image.open(tmp_path / "out.tif") as tif:
        assert (tif.mode, tif.info["compression"], tif.info["dpi"]) == (
            "1", "group4", (300.0, 300.0))
        assert tif.tag_v2[315] == "A. Clerk"
        assert np.array_equal(np.asarray(tif.convert("RGB")), read_rgb(tmp_path / "out.png"))
    with tifffile.TiffFile(tmp_path / "out.tif") as tf:
        assert (tf.pages[0].bitspersample, tf.pages[0].compression.name) == (1, "CCITTFAX4")


@pytest.mark.parametrize(("mode", "levels"), [
    ("L", [[37, 37, 37], [219, 219, 219]]),  # a grey scan's ink and paper
    ("RGB", [[20, 20, 120], [250, 248, 240]]),  # blue ink on cream paper
    ("RGB", [[90, 120, 30]]),  # one colour: its colour map's second entry black
])
def test_a_tiff_of_two_colours_is_one_bit_a_pixel_with_their_colour_map(tmp_path, rng, mode,
                                                                       levels):
    """Two colours (a grey input's two levels too) were 8 bits a pixel, deflated: a grey
    TIFF or a palette one of a 256-entry colour map. Now 1 bit a pixel, the index, with a
    colour map of the two (photometric palette), its resolution and EXIF kept, the levels
    read back exactly by Pillow and tifffile."""
    import tifffile

    src = tmp_path / "page.png"
    exif = Image.Exif()
    exif[315] = "A. Clerk"
    entries = np.array(levels, np.uint8)
    pixels = entries[rng.integers(0, len(levels), (9, 14))]
    Image.fromarray(pixels).convert(mode).save(src, dpi=(300, 300), exif=exif.tobytes())
    record = reduce_file(src, tmp_path / "out.tif", n_colors=2, seed=0)
    assert record["k"] == len(levels)
    with Image.open(tmp_path / "out.tif") as tif:
        assert (tif.mode, tif.info["compression"], tif.info["dpi"]) == (
            "P", "tiff_adobe_deflate", (300.0, 300.0))
        assert (tif.tag_v2[258], tif.tag_v2[262]) == ((1,), 3)  # 1 bit, photometric palette
        assert tif.tag_v2[315] == "A. Clerk"
        assert np.array_equal(np.asarray(tif.convert("RGB")), pixels)
    with tifffile.TiffFile(tmp_path / "out.tif") as tf:
        page = tf.pages[0]
        assert (page.bitspersample, page.photometric.name) == (1, "PALETTE")
        table = page.colormap.T  # 16 bits a sample: level * 257
        assert np.array_equal(table[page.asarray().astype(int)], pixels.astype(int) * 257)


def test_a_palette_tiff_s_colour_map_scales_each_level_by_257(tmp_path):
    """Pillow's colour map of a "P" image scales a level by 256 (236: 60416), which libtiff
    readers (ImageMagick) read one level darker, 235: now by 257 (236: 60652), as the TIFF
    specification's 65535 for 255, which Pillow and tifffile read back as the level."""
    import tifffile

    entries = np.array([[236, 30, 30], [30, 236, 30], [30, 30, 236], [255, 255, 255]],
                       np.uint8)
    pixels = entries[np.arange(24).reshape(4, 6) % 4]
    Image.fromarray(pixels).save(tmp_path / "in.png")
    reduce_file(tmp_path / "in.png", tmp_path / "out.tif", n_colors=4, seed=0)
    with Image.open(tmp_path / "out.tif") as tif:
        assert (tif.mode, tif.tag_v2[258]) == ("P", (8,))
        assert np.array_equal(np.asarray(tif.convert("RGB")), pixels)
    with tifffile.TiffFile(tmp_path / "out.tif") as tf:
        page = tf.pages[0]
        assert np.array_equal(page.colormap.T[page.asarray()], pixels.astype(int) * 257)


def test_more_than_256_colours_need_an_rgb_output(tmp_path, rng):
    src = tmp_path / "noise.png"
    Image.fromarray(rng.integers(0, 256, (40, 40, 3), dtype=np.uint8)).save(src)
    with pytest.raises(ValueError, match="n_colors=300 is more than a palette image holds"):
        reduce_file(src, tmp_path / "x.png", n_colors=300)
    record = reduce_file(src, tmp_path / "x.tif", n_colors=300, seed=0)
    assert record["k"] == 300
    assert len(np.unique(read_rgb(tmp_path / "x.tif").reshape(-1, 3), axis=0)) <= 300


# --------------------------------------------------------------------------
# Grey outputs
# --------------------------------------------------------------------------

# Four levels of 16 pixels each, none a multiple of 17: an 8-bit grey PNG holds them
_GREY_LEVELS = np.repeat(np.array([10, 100, 160, 240], np.uint8), 16).reshape(8, 8)


#: Twenty levels, none a multiple of 17: 8 bits a pixel grey or indexed
_TWENTY_LEVELS = np.resize(np.arange(20, 240, 11, dtype=np.uint8), (8, 8))


@pytest.mark.parametrize(("mode", "header"), [("L", (8, 0)), ("RGB", (8, 3))])
def test_a_grey_file_is_written_as_a_grey_png_a_colour_file_as_a_palette_one(
        tmp_path, mode, header):
    src = tmp_path / "in.png"
    Image.fromarray(_TWENTY_LEVELS).convert(mode).save(src)  # RGB: grey pixels, colour file
    record = reduce_file(src, tmp_path / "out.png", n_colors=20, seed=0)
    ihdr = png_chunk(tmp_path / "out.png", b"IHDR")
    assert (ihdr[8], ihdr[9]) == header  # bit depth, colour type: 0 grey, 3 palette
    assert record["k"] == 20 and record["psnr"] is None  # lossless: the levels kept
    with Image.open(tmp_path / "out.png") as im:
        assert im.mode == {"L": "L", "RGB": "P"}[mode]
        assert np.array_equal(np.asarray(im.convert("L")), _TWENTY_LEVELS)


def test_a_grey_file_onto_a_given_palette_of_greys_keeps_its_indices(tmp_path):
    """A given palette's entry i is the file's index i (a grey PNG has no indices): twenty
    grey levels given, in an order not of their levels, stay a palette PNG in that order."""
    Image.fromarray(_TWENTY_LEVELS).save(tmp_path / "in.png")
    given = np.repeat(np.unique(_TWENTY_LEVELS)[::-1, None], 3, axis=1)
    reduce_file(tmp_path / "in.png", tmp_path / "out.png", palette_in=given)
    with Image.open(tmp_path / "out.png") as im:
        assert im.mode == "P"
        entries = np.asarray(im.getpalette()).reshape(-1, 3)[:20]
        assert np.array_equal(entries, given)
        assert np.array_equal(entries[np.asarray(im), 0], _TWENTY_LEVELS)


def test_a_grey_png_of_levels_that_take_more_bits_than_indices_is_indexed(tmp_path):
    """Four fitted levels take 8 bits a pixel grey, 2 as indices: the indexed PNG is
    written, the same pixels (a grey PNG was 6-35 % larger on six grey photos at k = 4)."""
    Image.fromarray(_GREY_LEVELS).save(tmp_path / "in.png")
    reduce_file(tmp_path / "in.png", tmp_path / "out.png", n_colors=4, seed=0)
    ihdr = png_chunk(tmp_path / "out.png", b"IHDR")
    assert (ihdr[8], ihdr[9]) == (2, 3)
    with Image.open(tmp_path / "out.png") as im:
        assert np.array_equal(np.asarray(im.convert("L")), _GREY_LEVELS)


@pytest.mark.parametrize(("levels", "depth"), [([0, 255], 1), ([0, 85, 170, 255], 2),
                                               ([0, 17, 34, 51, 255], 4)])
def test_a_grey_png_takes_the_fewest_bits_that_hold_its_levels(tmp_path, levels, depth):
    grey = np.resize(np.array(levels, np.uint8), (6, 6))
    Image.fromarray(grey).save(tmp_path / "in.png")
    reduce_file(tmp_path / "in.png", tmp_path / "out.png", n_colors=len(levels), seed=0)
    ihdr = png_chunk(tmp_path / "out.png", b"IHDR")
    assert (ihdr[8], ihdr[9]) == (depth, 0)
    with Image.open(tmp_path / "out.png") as im:
        assert np.array_equal(np.asarray(im.convert("L")), grey)


def test_a_grey_file_is_written_as_a_one_channel_jpeg_and_a_grey_tiff(tmp_path):
    src = tmp_path / "in.png"
    Image.fromarray(_GREY_LEVELS).save(src)
    reduce_file(src, tmp_path / "out.jpg", n_colors=4, seed=0)
    with Image.open(tmp_path / "out.jpg") as im:
        assert im.mode == "L" and im.layers == 1
        assert np.abs(np.asarray(im, np.int16) - _GREY_LEVELS).max() <= 3
    reduce_file(src, tmp_path / "out.tif", n_colors=4, seed=0)
    with Image.open(tmp_path / "out.tif") as im:
        assert im.mode == "L" and im.tag_v2[262] == 1  # photometric: min-is-black
        assert np.array_equal(np.asarray(im), _GREY_LEVELS)


@pytest.mark.parametrize("suffix", [".tif"])  # a .png: indexed with tRNS, 8 bits at most
def test_a_grey_file_with_alpha_is_written_grey_and_alpha(tmp_path, suffix):
    alpha = np.full((8, 8), 255, np.uint8)
    alpha[:2] = 0
    src = tmp_path / "in.png"
    Image.fromarray(np.dstack([_GREY_LEVELS, alpha]), "LA").save(src)
    reduce_file(src, tmp_path / f"out{suffix}", n_colors=4, seed=0)
    with Image.open(tmp_path / f"out{suffix}") as im:
        assert im.mode == "LA"
        got = np.asarray(im)
    assert np.array_equal(got[..., 1], alpha)
    assert np.array_equal(got[2:, :, 0], _GREY_LEVELS[2:])  # the levels that show


# --------------------------------------------------------------------------
# Input modes and orientation
# --------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["L", "LA", "P", "RGBA", "CMYK", "I;16"])
def test_every_input_mode_is_reduced(tmp_path, mode, rng):
    base = np.repeat(np.linspace(0, 255, 16), 16).reshape(16, 16).astype(np.uint8)
    rgb = np.dstack([base, base[::-1], base.T])
    if mode == "I;16":
        image = Image.fromarray(base.astype(np.uint16) * 257)  # 16-bit grayscale
        assert image.mode.startswith("I;16")
    elif mode in ("L", "LA"):
        image = Image.fromarray(base).convert(mode)
    else:
        image = Image.fromarray(rgb).convert(mode)
    src = tmp_path / ("in.tif" if mode == "CMYK" else "in.png")
    image.save(src)
    record = reduce_file(src, tmp_path / "out.png", n_colors=4, seed=0)
    assert record["k"] == 4 and record["delta_e"] > 0
    with Image.open(tmp_path / "out.png") as im:  # 4 fitted levels: indexed, the smaller
        assert im.mode == "P" and im.size == (16, 16)
    if mode == "I;16":
        assert set(np.unique(read_rgb(tmp_path / "out.png"))) <= set(range(256))


@pytest.mark.parametrize("suffix", [".png", ".gif"])
def test_transparency_survives_as_one_palette_entry(tmp_path, suffix):
    src = tmp_path / "alpha.png"
    rgba = rgba_input(src)
    out = tmp_path / f"out{suffix}"
    record = reduce_file(src, out, n_colors=6, seed=0)
    assert record["k"] == 6
    with Image.open(out) as im:
        back = np.asarray(im.convert("RGBA"))
    assert np.all(back[:2, :, 3] == 0) and np.all(back[2:, :, 3] == 255)
    assert np.array_equal(back[2:, :, :3], rgba[2:, :, :3])  # the 6 colours, exactly


def test_256_entries_with_transparency_are_255_colours_and_the_transparent_one(tmp_path, rng):
    src = tmp_path / "alpha.png"
    rgba = np.dstack([rng.integers(0, 256, (40, 40, 3), dtype=np.uint8),
                      np.full((40, 40), 255, np.uint8)])
    rgba[:5, :, 3] = 0
    Image.fromarray(rgba).save(src)
    out = tmp_path / "out.png"
    record = reduce_file(src, out, n_colors=256, seed=0)
    assert record["k"] == 255
    with Image.open(out) as im:
        assert im.mode == "P" and len(im.getpalette()) == 3 * 256
        back = np.asarray(im)
    # the clear entry first, so tRNS holds its alpha alone (the 255 opaque ones need none)
    assert png_chunk(out, b"tRNS") == bytes([0])
    assert np.all(back[:5] == 0) and np.all(back[5:] > 0)


def test_palette_in_of_256_colours_leaves_no_room_for_transparency(tmp_path):
    src = tmp_path / "alpha.png"
    rgba_input(src)
    palette = np.arange(256 * 3).reshape(256, 3) % 256
    with pytest.raises(ValueError, match="one entry is kept for the transparent pixels"):
        reduce_file(src, tmp_path / "out.png", palette_in=palette)


def test_a_256_entry_palette_file_with_a_transparent_entry_fits_an_image_with_alpha(tmp_path):
    """Index 0 transparent and 255 colours, as a GIF's palette: one tRNS entry, 256 in all."""
    src = tmp_path / "alpha.png"
    rgba_input(src)
    colours = np.arange(255 * 3).reshape(255, 3) % 256
    lines = ["00000000"] + ["{:02x}{:02x}{:02x}ff".format(*c) for c in colours]
    hex_file = tmp_path / "gif.hex"
    hex_file.write_text("\n".join(lines) + "\n")
    out = tmp_path / "out.png"
    record = reduce_file(src, out, palette_in=hex_file)
    assert record["k"] == 255
    with Image.open(out) as im:
        assert im.mode == "P" and len(im.getpalette()) == 3 * 256
    assert png_chunk(out, b"tRNS").endswith(b"\x00")


def test_a_palette_file_that_repeats_colours_keeps_every_entry_at_its_index(tmp_path):
    """A palette of 5 entries, 3 distinct, made a "5 colours" output of 5 entries; then
    each colour was kept once, and green moved from 3 to 2 with a warning: now every
    entry keeps its index (a repeat takes no pixel), which was said nowhere: a warning
    names the repeats."""
    src = tmp_path / "three.png"
    Image.fromarray(np.array([[[0, 0, 0], [255, 0, 0], [0, 255, 0], [0, 0, 0]]],
                             np.uint8)).save(src)
    hex_file = tmp_path / "dup.hex"
    hex_file.write_text("000000\nff0000\nff0000\n00ff00\n000000\n")
    out = tmp_path / "out.png"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        record = reduce_file(src, out, palette_in=hex_file)
    assert [(w.category, str(w.message)) for w in caught] == [(
        PaletteInWarning,
        f"palette_in={str(hex_file)!r} repeats colours: index 2 (#ff0000) as index 1, index 4 "
        "(#000000) as index 0; each pixel takes the first index of its colour, so no pixel "
        "takes indices 2, 4, and its 5 entries give 3 colours")]
    assert record["k"] == 3
    with Image.open(out) as im:
        assert im.getpalette() == [0, 0, 0, 255, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 0]
        assert np.asarray(im).tolist() == [[0, 1, 3, 0]]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        hex_file.write_text("000000\nff0000\n00ff00\nff000080\n")  # alpha tells them apart
        reduce_file(src, out, palette_in=hex_file, force=True)


@pytest.mark.parametrize("lines, table, warned", [
    # a run of three or more at the end is the padding of a table, kept once: no repeat
    ("000000\n000000\n000000\n", [0, 0, 0], None),
    ("ff0000\n000000\n000000\n000000\n", [255, 0, 0, 0, 0, 0], None),
    # two alike at the end are both kept, as any repeat is, and said
    ("ff0000\n000000\n000000\n", [255, 0, 0, 0, 0, 0, 0, 0, 0],
     "index 2 (#000000) as index 1; each pixel takes the first index of its colour, so no "
     "pixel takes index 2, and its 3 entries give 2 colours"),
    # a padding that repeats an earlier colour is one entry, which repeats it
    ("000000\nff0000\n000000\n000000\n000000\n", [0, 0, 0, 255, 0, 0, 0, 0, 0],
     "index 2 (#000000) as index 0; each pixel takes the first index of its colour, so no "
     "pixel takes index 2, and its 3 entries give 2 colours"),
])
def test_the_repeats_said_are_those_the_output_holds(tmp_path, lines, table, warned):
    """000000 three times made a PNG of 1 entry, but the warning said "no pixel takes
    indices 1, 2, and its 3 entries give 1 colour" (an all-black 768-byte .act: "256
    entries"): the padding at the end is kept once, and is no repeat."""
    src = tmp_path / "dark.png"
    Image.fromarray(np.array([[[0, 0, 0], [9, 0, 0]]], np.uint8)).save(src)
    hex_file = tmp_path / "pad.hex"
    hex_file.write_text(lines)
    out = tmp_path / "out.png"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        reduce_file(src, out, palette_in=hex_file)
    assert [str(w.message) for w in caught] == (
        [] if warned is None else [f"palette_in={str(hex_file)!r} repeats colours: {warned}"])
    with Image.open(out) as im:
        assert im.getpalette() == table


def test_an_all_black_adobe_colour_table_is_one_entry_unwarned(tmp_path):
    src = tmp_path / "dark.png"
    Image.fromarray(np.zeros((2, 2, 3), np.uint8)).save(src)
    act = tmp_path / "allblack.act"
    act.write_bytes(bytes(768))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        record = reduce_file(src, tmp_path / "out.png", palette_in=act)
    assert record["k"] == 1
    with Image.open(tmp_path / "out.png") as im:
        assert im.getpalette() == [0, 0, 0]


def test_a_padded_adobe_colour_table_gives_its_own_colours(tmp_path):
    """A 768-byte table of 2 colours and 254 black entries wrote a 256-entry palette,
    named .k256 and said to have 256 colours; for an image with transparency it was
    refused as more than a palette image holds. Then its black tail was kept once, a
    third colour that the palette's device may not have; it is left out."""
    rgba = np.array([[[255, 0, 0, 255], [0, 0, 255, 255], [9, 9, 9, 0], [0, 0, 0, 255]]],
                    np.uint8)
    src = tmp_path / "icon.png"
    Image.fromarray(rgba, "RGBA").save(src)
    act = tmp_path / "pad.act"
    act.write_bytes(bytes([255, 0, 0, 0, 0, 255]) + bytes(762))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        record = reduce_file(src, None, palette_in=act)
    assert [w.category for w in caught] == [PaletteReadWarning]  # the black tail, once
    out = tmp_path / "icon.k2.png"
    assert (record["k"], record["output"]) == (2, str(out))
    with Image.open(out) as im:
        # the table's colours at their indices, the transparent entry after them; black
        # as near to both takes the one that sorts first, blue
        assert im.getpalette() == [255, 0, 0, 0, 0, 255, 0, 0, 0]
        assert im.info["transparency"] == 2
        assert np.asarray(im).tolist() == [[0, 1, 2, 1]]


def test_an_animation_mapped_onto_a_palette_that_repeats_colours_is_warned_of(tmp_path):
    src = save_animation(tmp_path / "clip.gif", moving_square(), duration=50)
    hex_file = tmp_path / "dup.hex"
    hex_file.write_text("ff0000\n00ff00\n00ff00\n0000ff\nffffff\n")
    with pytest.warns(UserWarning) as caught:
        record = reduce_file(src, tmp_path / "out.gif", palette_in=hex_file)
    assert [str(w.message) for w in caught if "repeats" in str(w.message)] == [
        f"palette_in={str(hex_file)!r} repeats colours: index 2 (#00ff00) as index 1; each "
        "colour is kept once, so its 5 entries give 4 colours, and those after index 2 take "
        "lower indices"]
    assert record["k"] == 4


def test_a_palette_file_of_transparent_entries_alone_is_named(photo, tmp_path):
    hex_file = tmp_path / "clear.hex"
    hex_file.write_text("00000000\nffffff00\n")
    with pytest.raises(ValueError, match=r"palette_in='.*clear\.hex' has only fully transparent"):
        reduce_file(photo, tmp_path / "out.png", palette_in=hex_file)


@pytest.mark.parametrize("out", ["out.png", "out.gif", "out.webp"])
def test_few_colours_are_warned_of_with_the_n_colors_asked(tmp_path, out):
    """Asked for 256, an indexed output with fully transparent pixels is fitted 255 colours
    and that entry: the warning named n_colors=255, which the user never gave."""
    rgba = np.array([[[200, 10, 10, 255], [10, 200, 10, 255]],
                     [[10, 10, 200, 255], [250, 250, 250, 0]]], np.uint8)
    src = tmp_path / "icon.png"
    Image.fromarray(rgba).save(src)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        record = reduce_file(src, tmp_path / out, n_colors=256)
    assert [(w.category, str(w.message)) for w in caught] == [(
        FewerColorsWarning,  # a ColorCountWarning, which the command line says as a note
        "n_colors=256 but the image has only 3 distinct colours; returning those 3")]
    assert issubclass(FewerColorsWarning, ColorCountWarning)
    assert record["k"] == 3 and record["n_colors"] == 256


def test_partial_alpha_round_trips_through_the_png_trns(tmp_path):
    """A 2 x 2 RGBA image with four distinct alphas at k=4 is lossless, file to file."""
    rgba = np.array([[[200, 10, 10, 255], [10, 200, 10, 128]],
                     [[10, 10, 200, 40], [250, 250, 250, 0]]], np.uint8)
    src = tmp_path / "icon.png"
    Image.fromarray(rgba).save(src)
    out = tmp_path / "out.png"
    with pytest.warns(ColorCountWarning, match="only 3 distinct"):  # 3 visible + clear
        record = reduce_file(src, out, n_colors=4, seed=0)
    assert record["psnr"] is None and record["k"] == 3
    assert sorted(e["alpha"] for e in record["palette"]) == [40, 128, 255]
    with Image.open(out) as im:
        assert im.mode == "P"
        palette = np.asarray(im.getpalette(), np.uint8).reshape(-1, 3)
        indices = np.asarray(im)
        back = np.asarray(im.convert("RGBA"))
    trns = png_chunk(out, b"tRNS")
    assert trns is not None and len(trns) <= len(palette)
    alpha_of = np.frombuffer(trns, np.uint8)  # entries after the tRNS bytes are opaque
    for y, x in np.ndindex(2, 2):
        i = indices[y, x]
        assert (alpha_of[i] if i < len(alpha_of) else 255) == rgba[y, x, 3]
        if rgba[y, x, 3]:
            assert palette[i].tolist() == rgba[y, x, :3].tolist()
    assert np.array_equal(back[..., 3], rgba[..., 3])
    visible = rgba[..., 3] > 0
    assert np.array_equal(back[visible], rgba[visible])


def test_png_puts_the_clear_entry_first_then_translucent_ones_so_trns_is_short(tmp_path):
    """Fitted: [clear, translucent, opaque by share]; tRNS stops after the translucent one."""
    rgba = np.zeros((4, 4, 4), np.uint8)
    rgba[0] = [200, 10, 10, 255]
    rgba[1, :3] = [10, 10, 200, 255]
    rgba[1, 3] = [10, 200, 10, 96]
    rgba[2:, :, 3] = 0  # half the pixels clear
    src = tmp_path / "icon.png"
    Image.fromarray(rgba).save(src)
    out = tmp_path / "out.png"
    record = reduce_file(src, out, n_colors=3, seed=0, palette_out=tmp_path / "p.json")
    assert [(e["hex"], e["alpha"]) for e in record["palette"]] == [
        ("#0ac80a", 96), ("#c80a0a", 255), ("#0a0ac8", 255)]
    assert png_chunk(out, b"tRNS") == bytes([0, 96])
    with Image.open(out) as im:
        assert im.getpalette()[:12] == [0, 0, 0, 10, 200, 10, 200, 10, 10, 10, 10, 200]
        assert np.asarray(im).tolist() == [[2, 2, 2, 2], [3, 3, 3, 1]] + [[0] * 4] * 2
    # the palette given back keeps its order, after the clear entry: the same file again
    again = tmp_path / "again.png"
    reduce_file(src, again, palette_in=tmp_path / "p.json")
    assert again.read_bytes() == out.read_bytes()


def test_a_given_palette_keeps_its_order_after_the_clear_entry(tmp_path):
    rgba = np.zeros((2, 3, 4), np.uint8)
    rgba[0] = [[250, 250, 250, 255], [5, 5, 5, 255], [250, 0, 0, 128]]  # row 1 clear
    src = tmp_path / "icon.png"
    Image.fromarray(rgba).save(src)
    (tmp_path / "p.hex").write_text("050505\nff000080\nfafafa\n")
    out = tmp_path / "out.png"
    reduce_file(src, out, palette_in=tmp_path / "p.hex")
    # every entry at the file's index, the transparent one after them (it came first,
    # each colour one index up)
    assert png_chunk(out, b"tRNS") == bytes([255, 128, 255, 0])
    with Image.open(out) as im:
        assert im.getpalette()[:12] == [5, 5, 5, 255, 0, 0, 250, 250, 250, 0, 0, 0]
        assert np.asarray(im).tolist() == [[2, 0, 1], [3, 3, 3]]


@pytest.mark.parametrize("clear", [False, True])
def test_optimize_keeps_a_given_palettes_entries_and_order(tmp_path, clear):
    # optimize reordered a given palette along a colour path and dropped the entries no
    # pixel takes: 7 of pico-8's 16 colours came out, in a new order.
    rgba = np.full((2, 3, 4), 255, np.uint8)
    rgba[0, :, :3] = [[250, 250, 250], [5, 5, 5], [250, 250, 250]]
    rgba[1, :, :3] = [[5, 5, 5], [250, 250, 250], [5, 5, 5]]
    if clear:
        rgba[1, 1, 3] = 0
    src = tmp_path / "icon.png"
    Image.fromarray(rgba).save(src)
    (tmp_path / "p.hex").write_text("ff0000\n050505\n00ff00\nfafafa\n0000ff\n")
    default, optimized = tmp_path / "default.png", tmp_path / "optimized.png"
    reduce_file(src, default, palette_in=tmp_path / "p.hex")
    record = reduce_file(src, optimized, palette_in=tmp_path / "p.hex", optimize=True)
    assert record["optimized"] is True
    given = [255, 0, 0, 5, 5, 5, 0, 255, 0, 250, 250, 250, 0, 0, 255]
    with Image.open(optimized) as im:
        if clear:  # the entry of fully transparent pixels after them, as without optimize
            assert im.getpalette() == [*given, 0, 0, 0]
            assert np.asarray(im).tolist() == [[3, 1, 3], [1, 5, 1]]
        else:
            assert im.getpalette() == given
            assert np.asarray(im).tolist() == [[3, 1, 3], [1, 3, 1]]
    with Image.open(default) as im, Image.open(optimized) as opt:
        assert im.getpalette() == opt.getpalette()
        assert np.array_equal(np.asarray(im), np.asarray(opt))
    assert optimized.stat().st_size <= default.stat().st_size


def _sprite_sheet(seed: int, cells: int) -> np.ndarray:
    """``cells`` x ``cells`` sprites of 16 pixels (some left empty) on a clear sheet: discs
    with spots, every other one with a soft edge, of random colours."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:16, 0:16]
    r = np.hypot(y - 7.5, x - 7.5) / 8
    sheet = np.zeros((16 * cells, 16 * cells, 4), np.uint8)
    for i in range(cells):
        for j in range(cells):
            if rng.random() < 0.3:
                continue
            cell = sheet[16 * i:16 * (i + 1), 16 * j:16 * (j + 1)]
            cell[r < 0.9] = [*rng.integers(0, 256, 3), 255]
            for _ in range(5):
                a, b = rng.integers(2, 10, 2)
                cell[a:a + rng.integers(2, 5), b:b + rng.integers(2, 5)] = [
                    *rng.integers(0, 256, 3), 255]
            if (i + j) % 2 == 0:
                cell[..., 3] = np.where(cell[..., 3] > 0, np.clip((1 - r) * 4, 0, 1) * 255, 0)
    return sheet


@pytest.mark.parametrize("seed, cells, k", [(162, 4, 24), (194, 4, 16), (194, 4, 32),
                                            (7, 2, 16)])
def test_optimize_never_writes_a_larger_png_than_without_it(tmp_path, seed, cells, k):
    # Optimize compared its reordered palette with the palette's order before the entry of
    # transparent pixels was moved first, not with the file written without it: on these
    # sheets (the first three) one byte larger.
    src = tmp_path / "sheet.png"
    Image.fromarray(_sprite_sheet(seed, cells)).save(src)
    default, optimized = tmp_path / "default.png", tmp_path / "optimized.png"
    reduce_file(src, default, n_colors=k, seed=0)
    reduce_file(src, optimized, n_colors=k, seed=0, optimize=True)
    assert optimized.stat().st_size <= default.stat().st_size
    with Image.open(default) as im, Image.open(optimized) as opt:
        assert np.array_equal(np.asarray(im.convert("RGBA")), np.asarray(opt.convert("RGBA")))


def test_a_given_palette_keeps_its_entries_and_order_in_a_small_still_gif(tmp_path):
    # Pillow's GIF writer optimizes by default: under 512 x 512 it dropped the entries no
    # pixel takes and renumbered the rest (six colours came out four, black at index 0),
    # where the PNG, the animations and a larger GIF kept the file's order.
    pixels = np.zeros((4, 4, 3), np.uint8)
    pixels[:, 2:] = 255
    src = tmp_path / "small.png"
    Image.fromarray(pixels).save(src)
    (tmp_path / "p.hex").write_text("00ff00\nff00ff\n000000\nffffff\n0000ff\nc08070\n")
    out = tmp_path / "out.gif"
    reduce_file(src, out, palette_in=tmp_path / "p.hex")
    with Image.open(out) as im:
        assert im.getpalette()[:18] == [0, 255, 0, 255, 0, 255, 0, 0, 0, 255, 255, 255,
                                        0, 0, 255, 192, 128, 112]
        assert np.asarray(im).tolist() == [[2, 2, 3, 3]] * 4
    again = tmp_path / "again.gif"
    save_pil(Image.open(out), again)  # the library's saver keeps them too
    with Image.open(again) as im:
        assert im.getpalette()[:18] == [0, 255, 0, 255, 0, 255, 0, 0, 0, 255, 255, 255,
                                        0, 0, 255, 192, 128, 112]


def _sprite(tmp_path):
    """A 3 x 2 RGBA sprite of blue, red and green pixels and two fully transparent ones,
    and the PNG of it."""
    rgba = np.zeros((2, 3, 4), np.uint8)
    rgba[0] = [[0, 0, 250, 255], [250, 0, 0, 255], [0, 0, 0, 0]]
    rgba[1] = [[0, 0, 0, 0], [0, 250, 0, 255], [250, 0, 0, 255]]
    src = tmp_path / "sprite.png"
    Image.fromarray(rgba).save(src)
    return rgba, src


@pytest.mark.parametrize("text", ["00000000\nff0000ff\n00ff00ff\n0000ffff\n",
                                  "ff0000\n00ff00\n0000ff\n"])
def test_a_gif_numbers_a_given_palette_as_a_png_does(tmp_path, text):
    # The GIF put the entry of transparent pixels last, after the palette's colours: of a
    # palette file with its transparent entry at index 0 (as pico-8's and Aseprite's
    # are), the PNG kept every index and the GIF moved each colour down by one.
    _, src = _sprite(tmp_path)
    (tmp_path / "p.hex").write_text(text)
    for name in ("out.png", "out.gif"):
        reduce_file(src, tmp_path / name, palette_in=tmp_path / "p.hex")
        with Image.open(tmp_path / name) as im:
            if text.startswith("00000000"):
                assert im.getpalette()[:12] == [0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255]
                assert im.info["transparency"] in (0, b"\x00")  # a GIF's index, a tRNS
                assert np.asarray(im).tolist() == [[3, 1, 0], [0, 2, 1]]
            else:  # no transparent entry: one after the file's, which keep their indices
                assert im.getpalette()[:12] == [255, 0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0]
                assert im.info["transparency"] in (3, b"\xff\xff\xff\x00")
                assert np.asarray(im).tolist() == [[2, 0, 3], [3, 1, 0]]


@pytest.mark.parametrize("name", ["out.png", "out.gif"])
@pytest.mark.parametrize("text, suffix", [("ff0000ff\n00ff00ff\n00000000\n0000ffff\n", "hex"),
                                          ("JASC-PAL\n0100\n4\n255 0 0 255\n0 255 0 255\n"
                                           "0 0 0 0\n0 0 255 255\n", "pal")])
def test_a_transparent_entry_in_the_middle_of_a_given_palette_keeps_its_index(tmp_path, name,
                                                                            text, suffix):
    # It moved to index 0, each colour before it one index up: the file's red 0, green 1
    # and blue 3 were written 1, 2 and 3.
    rgba, src = _sprite(tmp_path)
    pal = tmp_path / f"p.{suffix}"
    pal.write_text(text)
    reduce_file(src, tmp_path / name, palette_in=pal)
    with Image.open(tmp_path / name) as im:
        assert im.getpalette()[:12] == [255, 0, 0, 0, 255, 0, 0, 0, 0, 0, 0, 255]
        assert im.info["transparency"] in (2, b"\xff\xff\x00")  # a GIF's index, a PNG's tRNS
        assert np.asarray(im).tolist() == [[3, 0, 2], [2, 1, 0]]
        assert np.array_equal(np.asarray(im.convert("RGBA"))[rgba[..., 3] > 0],
                              [[0, 0, 255, 255], [255, 0, 0, 255], [0, 255, 0, 255],
                               [255, 0, 0, 255]])


@pytest.mark.parametrize("name", ["out.png", "out.gif"])
def test_a_transparent_entry_of_a_given_palette_is_kept_for_an_opaque_image(tmp_path, name):
    # No pixel is transparent: the transparent entry was dropped and the colours after it
    # took one index less, so blue was 2 here and 3 in a file with transparent pixels.
    src = tmp_path / "opaque.png"
    Image.fromarray(np.array([[[0, 0, 250], [250, 0, 0], [0, 250, 0]]], np.uint8)).save(src)
    (tmp_path / "p.hex").write_text("ff0000ff\n00ff00ff\n00000000\n0000ffff\n")
    reduce_file(src, tmp_path / name, palette_in=tmp_path / "p.hex")
    with Image.open(tmp_path / name) as im:
        assert im.info["transparency"] == 2
        assert im.getpalette()[:12] == [255, 0, 0, 0, 255, 0, 0, 0, 0, 0, 0, 255]
        assert np.asarray(im).tolist() == [[3, 0, 1]]


def test_a_translucent_entry_a_gif_cannot_draw_is_its_transparent_one(tmp_path):
    # Beside a .gif, entries of alpha below 128 were left out, and blue moved from 3 to
    # 2: every entry keeps its index, the first the GIF cannot draw (1) its transparent one.
    rgba = np.array([[[250, 0, 0, 255], [0, 0, 0, 0], [0, 0, 250, 255]]], np.uint8)
    src = tmp_path / "in.png"
    Image.fromarray(rgba).save(src)
    (tmp_path / "p.hex").write_text("ff0000ff\n00ff0040\n00000000\n0000ffff\n")
    with pytest.warns(AlphaLossWarning):
        reduce_file(src, tmp_path / "a.gif", palette_in=tmp_path / "p.hex")
    reduce_file(src, tmp_path / "a.png", palette_in=tmp_path / "p.hex")
    with Image.open(tmp_path / "a.gif") as gif, Image.open(tmp_path / "a.png") as png:
        assert (gif.info["transparency"], np.asarray(gif).tolist()) == (1, [[0, 1, 3]])
        assert (png.info["transparency"], np.asarray(png).tolist()) == (b"\xff\x40\x00",
                                                                       [[0, 2, 3]])


_SPRITE = np.array([[[200, 30, 30, 255], [0, 0, 0, 0], [20, 20, 220, 255]],
                    [[0, 255, 0, 255], [200, 30, 30, 255], [0, 0, 0, 0]]], np.uint8)
_GIVEN = ["c81e1eff", "1414dcff", "00ff00ff"]


@pytest.mark.parametrize("fmt", ["hex", "json", "act", "pal", "txt", "gpl"])
@pytest.mark.parametrize("name", ["out.png", "out.gif"])
@pytest.mark.parametrize("at", [0, 1, 3])
def test_a_palette_out_file_of_a_given_palette_gives_the_same_file_back(tmp_path, fmt, name,
                                                                        at):
    # With the given palette's transparent entry in the middle or at the end, the file
    # written left it out: given back, its entry came first, and the image's bytes differed.
    src = tmp_path / "sprite.png"
    Image.fromarray(_SPRITE).save(src)
    given = tmp_path / "given.hex"
    given.write_text("\n".join(_GIVEN[:at] + ["00000000"] + _GIVEN[at:]) + "\n")
    listed = tmp_path / f"listed.{fmt}"
    reduce_file(src, tmp_path / name, palette_in=given, palette_out=listed)
    with Image.open(tmp_path / name) as im:
        assert im.info["transparency"] in (at, bytes([255] * at + [0]))
        assert np.asarray(im)[0, 1] == at
    again = tmp_path / f"again{Path(name).suffix}"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PaletteInWarning)  # an .act's transparent index
        reduce_file(src, again, palette_in=listed)
    # a .gpl file too, written in Aseprite's RGBA form: it left the entry out, and given
    # back the entry came first
    assert again.read_bytes() == (tmp_path / name).read_bytes()


@pytest.mark.parametrize("at", [0, 1])
def test_a_palette_out_file_holds_the_transparent_entry_where_the_image_does(tmp_path, at):
    src = tmp_path / "sprite.png"
    Image.fromarray(_SPRITE).save(src)
    given = tmp_path / "given.hex"
    given.write_text("\n".join(_GIVEN[:at] + ["00000000"] + _GIVEN[at:]) + "\n")
    for fmt in ("hex", "act", "json"):
        reduce_file(src, tmp_path / f"o{fmt}.png", palette_in=given,
                    palette_out=tmp_path / f"p.{fmt}")
    hex_lines = (tmp_path / "p.hex").read_text().split()
    count, transparent = struct.unpack(">HH", (tmp_path / "p.act").read_bytes()[768:])
    entries = json.loads((tmp_path / "p.json").read_text())["colors"]
    if at == 0:  # first: written too (it was left out, entry i of the file was i + 1)
        assert hex_lines == ["00000000", "c81e1eff", "1414dcff", "00ff00ff"]
        assert (count, transparent) == (4, 0)
        assert [(e["hex"], e["alpha"]) for e in entries] == [
            ("#000000", 0), ("#c81e1e", 255), ("#1414dc", 255), ("#00ff00", 255)]
    else:
        assert hex_lines == ["c81e1eff", "00000000", "1414dcff", "00ff00ff"]
        assert (count, transparent) == (4, 1)
        assert [(e["hex"], e["alpha"], e["share"]) for e in entries] == [
            ("#c81e1e", 255, 0.5), ("#000000", 0, 0.0), ("#1414dc", 255, 0.25),
            ("#00ff00", 255, 0.25)]


@pytest.mark.parametrize("name", ["out.png", "out.gif"])
def test_a_fitted_palette_out_file_holds_the_transparent_entry_at_the_images_index(tmp_path,
                                                                                    name):
    # It was left out: entry i of the file was entry i + 1 of the image (the .act's count
    # 3, its transparent index 0xffff).
    src = tmp_path / "sprite.png"
    Image.fromarray(_SPRITE).save(src)
    for fmt in ("hex", "act", "json", "gpl", "pal", "txt"):
        reduce_file(src, tmp_path / name, n_colors=3, palette_out=tmp_path / f"p.{fmt}",
                    seed=0, force=True)
    with Image.open(tmp_path / name) as im:
        assert im.info["transparency"] in (0, b"\x00")
        assert np.asarray(im).tolist() == [[1, 0, 2], [3, 1, 0]]
        assert im.getpalette()[:12] == [0, 0, 0, 200, 30, 30, 20, 20, 220, 0, 255, 0]
    assert (tmp_path / "p.hex").read_text().split() == ["00000000", "c81e1eff", "1414dcff",
                                                        "00ff00ff"]
    assert struct.unpack(">HH", (tmp_path / "p.act").read_bytes()[768:]) == (4, 0)
    gpl = (tmp_path / "p.gpl").read_text().splitlines()
    # as GIMP reads it: no Channels line (GIMP 2.10 reads it as a black entry first, every
    # index one higher), the transparent entry black, its alpha in its name
    assert "Channels: RGBA" not in gpl and len(gpl) == 8
    assert gpl[4] == "  0   0   0\t#000000 0.00% alpha 0"
    assert [line[:11] for line in gpl[5:]] == ["200  30  30", " 20  20 220", "  0 255   0"]
    for fmt in ("hex", "act", "json", "gpl", "pal", "txt"):  # given back: the same indices
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PaletteInWarning)  # an .act's transparent index
            reduce_file(src, tmp_path / f"again.{fmt}{Path(name).suffix}",
                        palette_in=tmp_path / f"p.{fmt}")
        assert ((tmp_path / f"again.{fmt}{Path(name).suffix}").read_bytes()
                == (tmp_path / name).read_bytes()), fmt


def test_a_palette_file_repeating_its_transparent_entry_keeps_its_indices(tmp_path,
                                                                          monkeypatch):
    # A second 00000000 moved the colours after it one index down (then with a warning):
    # every entry keeps its index, and a warning says that no pixel takes the second.
    monkeypatch.chdir(tmp_path)
    Image.fromarray(_SPRITE).save("sprite.png")
    Path("twice.hex").write_text("c81e1eff\n00000000\n1414dcff\n00000000\n00ff00ff\n")
    ran = CliRunner().invoke(app, ["reduce", "sprite.png", "--palette-in", "twice.hex",
                                   "-o", "out.png", "-q"])
    assert ran.exit_code == 0, ran.output
    assert ran.stderr == (
        "quantize: warning: sprite.png: --palette-in='twice.hex' repeats colours: index 3 "
        "(#00000000) as index 1; each pixel takes the first index of its colour, so no pixel "
        "takes index 3, and its 5 entries give 3 colours and one fully transparent entry\n")
    with Image.open("out.png") as im:
        assert im.getpalette() == [200, 30, 30, 0, 0, 0, 20, 20, 220, 0, 0, 0, 0, 255, 0]
        assert np.asarray(im).tolist() == [[0, 1, 2], [4, 0, 1]]


def test_the_library_gif_image_is_numbered_as_the_command_writes_it(tmp_path):
    # ReduceResult.to_image(gif=True) put the entry of transparent pixels last, the .gif
    # quantize reduce writes first.
    rgba, src = _sprite(tmp_path)
    reduce_file(src, tmp_path / "out.gif", n_colors=3, seed=0)
    image = reduce_colors(rgba, 3, seed=0).to_image(gif=True)
    with Image.open(tmp_path / "out.gif") as written:
        assert image.info["transparency"] == written.info["transparency"] == 0
        assert np.asarray(image).tolist() == np.asarray(written).tolist()
        assert image.getpalette()[:12] == written.getpalette()[:12]


@pytest.mark.parametrize("how", ["fitted", "mapped"])
def test_the_library_image_is_numbered_as_the_command_writes_a_png(tmp_path, how):
    # ReduceResult.to_image() put the entry of transparent pixels last, the .png
    # quantize reduce writes first: two numberings, and a longer tRNS, of one result.
    rgba = np.zeros((2, 3, 4), np.uint8)
    rgba[0] = [[0, 0, 250, 255], [250, 0, 0, 100], [0, 0, 0, 0]]
    rgba[1] = [[0, 0, 0, 0], [0, 250, 0, 255], [0, 0, 250, 255]]
    src = tmp_path / "sprite.png"
    Image.fromarray(rgba).save(src)
    # a given palette with a translucent entry and one no pixel takes, in its own order
    palette = np.array([[0, 0, 0, 0], [0, 250, 0, 255], [250, 0, 0, 100], [0, 0, 250, 255],
                        [255, 255, 255, 255]], np.uint8)
    (tmp_path / "given.hex").write_text("00000000\n00fa00ff\nfa000064\n0000faff\nffffffff\n")
    given = ["--palette-in", str(tmp_path / "given.hex")] if how == "mapped" else ["-k", "3"]
    ran = CliRunner().invoke(app, ["reduce", str(src), "-o", str(tmp_path / "out.png"),
                                   "--seed", "0", *given])
    assert ran.exit_code == 0, ran.output
    result = (reduce_colors(rgba, palette=palette) if how == "mapped"
              else reduce_colors(rgba, 3, seed=0))
    image = result.to_image()
    with Image.open(tmp_path / "out.png") as written:
        assert image.getpalette() == written.getpalette()
        assert image.info["transparency"] == written.info["transparency"]
        assert np.asarray(image).tolist() == np.asarray(written).tolist()
    assert image.info["transparency"][0] == 0 and np.asarray(image)[0, 2] == 0


@pytest.mark.parametrize("name", ["out.png", "out.gif"])
@pytest.mark.parametrize("at", [0, 1, 3])
def test_the_library_image_numbers_a_given_transparent_entry_as_the_command(tmp_path, name, at):
    # to_image() put the entry of transparent pixels first (transparency 0) where the
    # command's .png and .gif, mapped onto the same palette, have it at the palette's index.
    src = tmp_path / "sprite.png"
    Image.fromarray(_SPRITE).save(src)
    lines = _GIVEN[:at] + ["00000000"] + _GIVEN[at:]
    (tmp_path / "given.hex").write_text("\n".join(lines) + "\n")
    ran = CliRunner().invoke(app, ["reduce", str(src), "-o", str(tmp_path / name),
                                   "--palette-in", str(tmp_path / "given.hex")])
    assert ran.exit_code == 0, ran.output
    palette = np.array([list(bytes.fromhex(line)) for line in lines], np.uint8)
    image = reduce_colors(_SPRITE, palette=palette).to_image(gif=name.endswith(".gif"))
    with Image.open(tmp_path / name) as written:
        assert image.getpalette()[:12] == written.getpalette()[:12]
        assert image.info["transparency"] == written.info["transparency"]
        assert np.asarray(image).tolist() == np.asarray(written).tolist()
    assert image.info["transparency"] in (at, bytes([255] * at + [0]))
    assert np.asarray(image)[0, 1] == at and np.asarray(image)[1, 2] == at


def test_a_given_translucent_entry_written_to_a_gif_is_said_once(tmp_path):
    # The file job said it, and then the result's to_image(gif=True) said it again, in the
    # library's words ("give reduce_colors the alpha made 0 below 128").
    rgba = np.zeros((2, 4, 4), np.uint8)
    rgba[..., 0] = [[0, 80, 160, 240]] * 2
    rgba[..., 3] = 255
    rgba[0, 0, 3] = 0
    src = tmp_path / "a.png"
    Image.fromarray(rgba).save(src)
    (tmp_path / "p.hex").write_text("ff0000ff\nffffff80\n000000ff\n")
    with pytest.warns(AlphaLossWarning) as said:
        reduce_file(src, tmp_path / "a.gif", palette_in=tmp_path / "p.hex")
    assert [str(w.message) for w in said if w.category is AlphaLossWarning] == [
        "a.gif: GIF has no partial alpha, so 1 translucent palette entry is made opaque, or "
        f"left out below alpha 128, before the image is mapped onto palette_in="
        f"{str(tmp_path / 'p.hex')!r}; write .png to keep alpha"]


def test_a_gif_says_which_given_entries_become_one_colour_once_opaque(tmp_path):
    """Beside a .gif output, ffffff80 and ffffffff became one entry without a word."""
    rgba = np.zeros((1, 3, 4), np.uint8)
    rgba[0, :, :3] = [[255, 255, 255], [250, 250, 250], [0, 0, 0]]
    rgba[..., 3] = [[255, 255, 0]]
    src = tmp_path / "a.png"
    Image.fromarray(rgba).save(src)
    (tmp_path / "p.hex").write_text("ffffff80\n000000ff\nffffffff\n")
    with pytest.warns(AlphaLossWarning) as said:
        record = reduce_file(src, tmp_path / "a.gif", palette_in=tmp_path / "p.hex")
    assert [str(w.message) for w in said if w.category is AlphaLossWarning] == [
        "a.gif: GIF has no partial alpha, so 1 translucent palette entry is made opaque, or "
        f"left out below alpha 128, before the image is mapped onto palette_in="
        f"{str(tmp_path / 'p.hex')!r}; index 2 (#ffffff) is then the colour of index 0 "
        "(#ffffff80), each colour kept once: 2 colours are drawn; write .png to keep alpha"]
    assert record["k"] == 2


def test_a_gif_maps_onto_a_given_palette_as_it_holds_it_and_reports_that(tmp_path):
    """Beside a .gif output, an image with transparency was mapped onto a given palette's
    translucent entries, which the GIF then wrote transparent or opaque: opaque white pixels
    on the entry ffffff64 vanished, --json said alpha 0 and 255 while palette_out kept 200
    and 100. Now the entries are made what the GIF holds first, as an animation's are."""
    rgba = np.zeros((1, 4, 4), np.uint8)
    rgba[0, :, :3] = [[250, 250, 250], [250, 250, 250], [10, 200, 30], [0, 0, 0]]
    rgba[0, :, 3] = [255, 255, 255, 0]
    src = tmp_path / "a.png"
    Image.fromarray(rgba).save(src)
    (tmp_path / "p.json").write_text('[{"hex": "#0ac81e", "alpha": 200}, '
                                     '{"hex": "#ffffff", "alpha": 100}, "#000000"]')
    with pytest.warns(AlphaLossWarning, match="2 translucent palette entries are made opaque"):
        record = reduce_file(src, tmp_path / "a.gif", palette_in=tmp_path / "p.json",
                             palette_out=tmp_path / "out.json")
    assert [(e["hex"], e["alpha"]) for e in record["palette"]] == [("#0ac81e", 255),
                                                                   ("#000000", 255)]
    assert read_palette(tmp_path / "out.json").tolist() == [  # entry i: the GIF's i
        [10, 200, 30, 255], [255, 255, 255, 0], [0, 0, 0, 255]]
    with Image.open(tmp_path / "a.gif") as im:
        shown = np.asarray(im.convert("RGBA"))
    assert shown[0, :, 3].tolist() == [255, 255, 255, 0]  # no opaque pixel made transparent
    assert shown[0, :3, :3].tolist() == [[10, 200, 30]] * 3
    reduce_file(src, tmp_path / "b.gif", palette_in=tmp_path / "out.json")  # given back
    assert (tmp_path / "b.gif").read_bytes() == (tmp_path / "a.gif").read_bytes()


def test_a_gif_of_opaque_pixels_needs_a_given_entry_it_draws_opaque(tmp_path):
    rgba = np.full((1, 2, 4), 255, np.uint8)
    rgba[0, 0, 3] = 0
    src = tmp_path / "a.png"
    Image.fromarray(rgba).save(src)
    (tmp_path / "p.hex").write_text("ffffff7f\n00000010\n")
    with pytest.raises(ValueError) as info, pytest.warns(AlphaLossWarning):
        reduce_file(src, tmp_path / "a.gif", palette_in=tmp_path / "p.hex")
    assert str(info.value) == (
        f"palette_in={str(tmp_path / 'p.hex')!r} has no entry with alpha >= 128, but the "
        "image has opaque pixels; a GIF draws its pixels opaque or transparent, so it needs "
        "at least one opaque colour")
    assert not (tmp_path / "a.gif").exists()
    reduce_file(src, tmp_path / "b.png", palette_in=tmp_path / "p.hex")  # a PNG keeps alpha


def _quadrants(colours: np.ndarray, side: int = 16) -> np.ndarray:
    """``(side, side, 3)``: the four ``colours`` in the four quadrants."""
    half = side // 2
    rgb = np.zeros((side, side, 3), np.uint8)
    rgb[:half, :half], rgb[:half, half:], rgb[half:, :half], rgb[half:, half:] = colours[:4]
    return rgb


def test_a_still_gif_is_not_interlaced_and_its_codes_fit_its_palette(tmp_path):
    # Pillow interlaced it (its default from 16 pixels a side) and started the LZW codes at
    # 8 bits whatever the palette: photos came out 4-14 % larger than needed
    rgb = _quadrants(COLOURS)
    src = tmp_path / "four.png"
    Image.fromarray(rgb).save(src)
    out = tmp_path / "four.gif"
    record = reduce_file(src, out, n_colors=4, seed=0)
    assert gif_blocks(out.read_bytes()) == {
        "version": b"87a", "table": 4, "extensions": [],
        "images": [{"interlaced": False, "code_size": 2}]}
    entries = np.array([[int(e["hex"][i:i + 2], 16) for i in (1, 3, 5)]
                        for e in record["palette"]], np.uint8)
    with Image.open(out) as im:
        indices, palette = np.asarray(im), np.array(im.getpalette()[:12]).reshape(4, 3)
    assert np.array_equal(palette, entries)  # in the record's order
    expected = (rgb[..., None, :] == entries).all(axis=-1).argmax(axis=-1)
    assert np.array_equal(indices, expected) and np.array_equal(entries[indices], rgb)


def test_a_still_gif_keeps_its_transparent_entry(tmp_path):
    src = tmp_path / "a.png"
    rgba = rgba_input(src)  # six colours, the first two rows transparent
    out = tmp_path / "a.gif"
    reduce_file(src, out, n_colors=6, seed=0)
    blocks = gif_blocks(out.read_bytes())
    assert blocks["extensions"] == [0xF9] and blocks["table"] == 8  # six colours and one clear
    assert blocks["images"] == [{"interlaced": False, "code_size": 3}]
    with Image.open(out) as im:
        assert im.info["transparency"] == 0  # first, as in a PNG
        back = np.asarray(im.convert("RGBA"))
    assert np.array_equal(back[..., 3], rgba[..., 3])
    assert np.array_equal(back[2:, :, :3], rgba[2:, :, :3])


def test_gif_output_makes_alpha_binary_at_the_documented_threshold(tmp_path):
    rgba = np.zeros((2, 4, 4), np.uint8)
    rgba[..., :3] = [[[200, 0, 0]] * 4, [[0, 0, 200]] * 4]
    rgba[:, :, 3] = [GIF_ALPHA_THRESHOLD - 1, GIF_ALPHA_THRESHOLD, 255, 255]
    src = tmp_path / "a.png"
    Image.fromarray(rgba).save(src)
    with pytest.warns(AlphaLossWarning, match=r"^a\.gif: GIF has no partial alpha, so 4 "
                                              r"translucent pixels are made transparent \("
                                              r"alpha below 128\) or opaque before the "
                                              r"colours are fitted"):
        reduce_file(src, tmp_path / "a.gif", n_colors=2, seed=0)
    with Image.open(tmp_path / "a.gif") as im:
        back = np.asarray(im.convert("RGBA"))
    assert back[:, 0, 3].tolist() == [0, 0]
    assert (back[:, 1:, 3] == 255).all()
    assert np.array_equal(back[:, 1:, :3], rgba[:, 1:, :3])


def test_gif_output_fits_its_colours_to_the_alpha_it_holds(tmp_path):
    """Four opaque colours and faint pixels of eight others (alpha 60): fitted on the
    alpha as read, entries went to the faint colours, which the GIF then drew
    transparent, and the four opaque colours shared fewer entries. Fitted on the GIF's
    alpha, the four are drawn exactly and every faint pixel is transparent."""
    rgba = np.zeros((8, 16, 4), np.uint8)
    rgba[:4, :, 3] = 255
    rgba[:4, :4, :3], rgba[:4, 4:8, :3] = (230, 20, 20), (20, 200, 40)
    rgba[:4, 8:12, :3], rgba[:4, 12:, :3] = (30, 40, 220), (240, 240, 240)
    rgba[4:, :, :3] = np.repeat(np.linspace(0, 255, 8).astype(np.uint8), 2)[:, None]
    rgba[4:, :, 3] = 60
    src = tmp_path / "a.png"
    Image.fromarray(rgba).save(src)
    with pytest.warns(AlphaLossWarning, match="so 64 translucent pixels are made transparent"):
        record = reduce_file(src, tmp_path / "a.gif", n_colors=4, seed=0)
    assert record["k"] == 4 and record["psnr"] is None
    with Image.open(tmp_path / "a.gif") as im:
        back = np.asarray(im.convert("RGBA"))
    assert np.array_equal(back[:4], rgba[:4])
    assert (back[4:, :, 3] == 0).all()


def test_jpeg_output_draws_translucent_pixels_on_black(tmp_path):
    """Each 8 x 8 block of one colour and alpha: the JPEG shows it premultiplied."""
    src = tmp_path / "a.png"
    translucent_blocks(src)
    with pytest.warns(AlphaLossWarning, match="translucent pixels are drawn on black"):
        reduce_file(src, tmp_path / "a.jpg", n_colors=3, seed=0)
    back = read_rgb(tmp_path / "a.jpg")[4, [4, 12, 20, 28]].astype(int)
    expected = np.array([[240, 0, 0], [0, 94, 0], [0, 0, 188], [0, 0, 0]])
    assert np.abs(back - expected).max() <= 3  # JPEG's own coding error on flat blocks


def test_dropping_alpha_is_warned_and_keeping_it_is_not(tmp_path):
    """JPEG drops all alpha and GIF partial alpha, each with a warning; binary
    alpha in a GIF, alpha in a WebP or TIFF, and an opaque JPEG go quietly."""
    rgba_input(tmp_path / "binary.png")  # alpha 0 or 255
    with pytest.warns(AlphaLossWarning, match=r"^b\.jpg: JPEG has no alpha, so transparent"):
        reduce_file(tmp_path / "binary.png", tmp_path / "b.jpg", n_colors=4, seed=0)
    opaque = np.zeros((4, 4, 3), np.uint8)
    opaque[:, 2:] = 200
    Image.fromarray(opaque).save(tmp_path / "opaque.png")
    with warnings.catch_warnings():
        warnings.simplefilter("error", AlphaLossWarning)
        reduce_file(tmp_path / "binary.png", tmp_path / "b.gif", n_colors=4, seed=0)
        for suffix in (".webp", ".tif"):
            reduce_file(tmp_path / "binary.png", tmp_path / f"b{suffix}", n_colors=4, seed=0)
        reduce_file(tmp_path / "opaque.png", tmp_path / "o.jpg", n_colors=2, seed=0)
    with Image.open(tmp_path / "b.webp") as webp, Image.open(tmp_path / "b.tif") as tif:
        assert np.array_equal(np.asarray(webp.convert("RGBA")), np.asarray(tif.convert("RGBA")))


def test_translucent_pixels_onto_a_palette_without_alpha_are_warned(tmp_path):
    """Each goes to an opaque entry or the transparent one; a palette with a translucent
    entry, or an image with binary alpha only, goes quietly."""
    rgba = np.zeros((4, 4, 4), np.uint8)
    rgba[..., :3] = 200
    rgba[..., 3] = [[255, 255, 255, 0]] * 3 + [[100, 100, 255, 0]]  # 2 of 16 translucent
    src = tmp_path / "soft.png"
    Image.fromarray(rgba).save(src)
    opaque = tmp_path / "opaque.hex"
    opaque.write_text("c8c8c8\n000000\n")
    with pytest.warns(AlphaLossWarning, match=r"^12.5% of the pixels are translucent but "
                                              r"palette_in='.*opaque\.hex' has no translucent "
                                              r"entry, so they are drawn opaque or transparent; "
                                              r"give the palette alpha \(\"alpha\" in \.json, "
                                              r"rrggbbaa in \.hex, R G B A in \.pal, aarrggbb "
                                              r"in \.txt, #rrggbbaa in \.css, R G B A after a "
                                              r"'Channels: RGBA' "
                                              r"line in \.gpl, or translucent pixels in a "
                                              r"\.png image: RGBA, or indexed with a tRNS "
                                              r"chunk\) to keep it$"):
        reduce_file(src, tmp_path / "a.png", palette_in=opaque)
    swatch = tmp_path / "swatch.png"  # the advice's palette image: its alpha is kept
    Image.fromarray(np.array([[[200, 200, 200, 255], [200, 200, 200, 100]]], np.uint8)).save(
        swatch)
    with warnings.catch_warnings():
        warnings.simplefilter("error", AlphaLossWarning)
        reduce_file(src, tmp_path / "s.png", palette_in=swatch)
    with Image.open(tmp_path / "a.png") as im:
        assert set(np.unique(np.asarray(im.convert("RGBA"))[..., 3]).tolist()) <= {0, 255}
    with pytest.warns(AlphaLossWarning) as caught:  # once, with the advice for an array
        reduce_file(src, tmp_path / "d.png", palette_in=[[200, 200, 200], [0, 0, 0]])
    assert [str(w.message) for w in caught] == [
        "12.5% of the pixels are translucent but palette_in has no translucent entry, so "
        "they are drawn opaque or transparent; give the palette alpha (a fourth column) to "
        "keep it"]
    with warnings.catch_warnings():
        warnings.simplefilter("error", AlphaLossWarning)
        reduce_file(src, tmp_path / "b.png", palette_in=[[200, 200, 200, 255],
                                                          [200, 200, 200, 100]])
        rgba_input(tmp_path / "binary.png")
        reduce_file(tmp_path / "binary.png", tmp_path / "c.png", palette_in=opaque)


def test_exif_rotated_input_comes_out_upright(tmp_path):
    upright = np.zeros((4, 6, 3), np.uint8)
    upright[:2] = [250, 0, 0]  # red on top
    upright[2:] = [0, 0, 250]
    stored = Image.fromarray(upright).transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to display"
    src = tmp_path / "rotated.png"
    stored.save(src, exif=exif.tobytes())
    reduce_file(src, tmp_path / "out.png", n_colors=2, seed=0)
    assert np.array_equal(read_rgb(tmp_path / "out.png"), upright)


# --------------------------------------------------------------------------
# Physical resolution
# --------------------------------------------------------------------------

# The field each output format holds a resolution of (300, 150) dpi in: a PNG's pHYs
# (pixels per metre x, y, unit 1: the metre), a JPEG's JFIF (unit 1: the inch, density x,
# y), a TIFF's ResolutionUnit (2: the inch), XResolution and YResolution.
HELD_300_BY_150 = {".png": (11811, 5906, 1), ".jpg": (1, 300, 150), ".tif": (2, 300.0, 150.0)}


def held_resolution(path: Path) -> tuple | None:
    """The resolution ``path`` holds, as its format's field stores it (``HELD_300_BY_150``);
    None when it holds none (a JPEG's JFIF of unit 0 gives an aspect only)."""
    with Image.open(path) as im:
        if im.format == "PNG":
            data = png_chunk(path, b"pHYs")
            return None if data is None else struct.unpack(">IIB", data)
        if im.format == "JPEG":
            unit, (x, y) = im.info["jfif_unit"], im.info["jfif_density"]
            return None if unit == 0 else (unit, x, y)
        if 282 not in im.tag_v2:  # a TIFF's XResolution
            return None
        return im.tag_v2[296], float(im.tag_v2[282]), float(im.tag_v2[283])


def orientation_exif(value: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = value
    return exif.tobytes()


def scan(path: Path, photo: Path, **params) -> Path:
    """``photo``'s pixels saved as ``path`` (format by extension) with ``params``."""
    Image.fromarray(read_rgb(photo)).save(path, **params)
    return path


@pytest.mark.parametrize("suffix", [".png", ".jpg", ".tif"])
@pytest.mark.parametrize("source", ["scan.png", "scan.jpg", "scan.tif"])
def test_the_resolution_of_the_input_is_kept_where_the_output_format_holds_one(
        photo, tmp_path, source, suffix):
    # Every output dropped it: a 300-dpi scan came out with no pHYs, no TIFF resolution,
    # and a JFIF density of 1:1 without a unit, its physical size lost.
    src = scan(tmp_path / source, photo, dpi=(300, 150))
    out = tmp_path / f"out{suffix}"
    reduce_file(src, out, n_colors=6, seed=0)
    assert held_resolution(out) == HELD_300_BY_150[suffix]
    assert load_image(out).dpi == (300.0, 150.0)


@pytest.mark.parametrize("suffix", [".png", ".tif"])
def test_a_page_turned_upright_by_its_exif_orientation_has_its_resolution_turned_too(
        photo, tmp_path, suffix):
    # stored on its side (orientation 6): its x runs along the page's height
    src = scan(tmp_path / "turned.jpg", photo, dpi=(150, 300), exif=orientation_exif(6))
    out = tmp_path / f"out{suffix}"
    reduce_file(src, out, n_colors=6, seed=0)
    assert held_resolution(out) == HELD_300_BY_150[suffix]
    assert load_image(out).shape == read_rgb(photo).shape[1::-1]


@pytest.mark.parametrize("exif", [None, 1], ids=["jfif-only", "exif-orientation-only"])
@pytest.mark.parametrize("suffix", [".png", ".jpg", ".tif"])
def test_a_jpeg_giving_an_aspect_only_gives_no_resolution(photo, tmp_path, exif, suffix):
    # A JFIF density of 1:1 without a unit (what most encoders write) is an aspect, and
    # an EXIF of an orientation alone has no resolution: Pillow reads 72 dpi into it,
    # which was not to be written into the outputs.
    params = {} if exif is None else {"exif": orientation_exif(exif)}
    src = scan(tmp_path / "photo.jpg", photo, **params)
    with Image.open(src) as im:
        assert im.info["jfif_unit"] == 0
        assert im.info.get("dpi") == (None if exif is None else (72, 72))
    out = tmp_path / f"out{suffix}"
    reduce_file(src, out, n_colors=6, seed=0)
    assert held_resolution(out) is None


def test_an_input_without_a_resolution_gives_an_output_without_one_byte_for_byte(
        photo, tmp_path):
    # An input stating none gets no pHYs chunk, and a JPEG's JFIF as Pillow writes it
    # without one (unit 0, 1:1). The same pixels stating one differ by the 21 bytes of a
    # pHYs chunk alone, and in a JPEG by its JFIF unit and density alone; a GIF and a WebP
    # are the same bytes, and nothing is said of what they cannot hold.
    plain, stated = photo, scan(tmp_path / "scan.png", photo, dpi=(300, 150))
    outputs = {}
    for name, src in (("plain", plain), ("stated", stated)):
        for suffix in (".png", ".jpg", ".tif", ".gif", ".webp"):
            out = tmp_path / f"{name}{suffix}"
            with warnings.catch_warnings():
                warnings.simplefilter("error")  # GIF and WebP hold none: nothing to say
                warnings.simplefilter("ignore", LossyColorsWarning)  # a JPEG's note, always
                reduce_file(src, out, n_colors=6, seed=0)
            outputs[name, suffix] = out.read_bytes()
    assert png_chunk(tmp_path / "plain.png", b"pHYs") is None
    phys = outputs["stated", ".png"].index(b"pHYs") - 4
    assert (outputs["stated", ".png"][:phys] + outputs["stated", ".png"][phys + 21:]
            == outputs["plain", ".png"])
    jfif = slice(13, 18)  # the unit byte and the two densities of 16 bits
    assert outputs["plain", ".jpg"][jfif] == b"\0\0\x01\0\x01"
    assert (outputs["stated", ".jpg"][:13] + outputs["stated", ".jpg"][18:]
            == outputs["plain", ".jpg"][:13] + outputs["plain", ".jpg"][18:])
    assert held_resolution(tmp_path / "plain.tif") is None
    assert np.array_equal(read_rgb(tmp_path / "plain.tif"), read_rgb(tmp_path / "stated.tif"))
    for suffix in (".gif", ".webp"):
        assert outputs["stated", suffix] == outputs["plain", suffix]


@pytest.mark.parametrize(("source", "suffix"), [("clip.png", ".png"), ("pages.tif", ".tif"),
                                                ("pages.tif", ".png"), ("clip.png", ".tif")])
def test_an_animation_keeps_its_resolution_in_an_apng_and_in_the_pages_of_a_tiff(
        tmp_path, source, suffix):
    src = save_animation(tmp_path / source, moving_square(3), dpi=(300, 150), duration=100)
    out = tmp_path / f"out{suffix}"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pages have no timing: warned of (and tested) apart
        reduce_file(src, out, n_colors=4, seed=0)
    assert count_frames(out) == 3
    assert held_resolution(out) == HELD_300_BY_150[suffix]
    if suffix == ".tif":
        with Image.open(out) as im:
            pages = []
            for n in range(im.n_frames):
                im.seek(n)
                pages.append((im.tag_v2[296], float(im.tag_v2[282]), float(im.tag_v2[283])))
        assert pages == [HELD_300_BY_150[".tif"]] * 3


# --------------------------------------------------------------------------
# Refusals: nothing is written
# --------------------------------------------------------------------------


def test_existing_output_is_kept_without_force(photo, tmp_path):
    out = tmp_path / "out.png"
    out.write_bytes(b"keep me")
    with pytest.raises(OutputExistsError, match="output exists; use force=True to overwrite$"):
        reduce_file(photo, out)
    assert out.read_bytes() == b"keep me"
    reduce_file(photo, out, force=True, seed=0)
    assert Image.open(out).mode == "P"


def test_the_input_is_never_overwritten(photo):
    before = photo.read_bytes()
    with pytest.raises(OutputError, match="output path is the input file"):
        reduce_file(photo, photo, force=True)
    assert photo.read_bytes() == before


@pytest.mark.parametrize("make, error, match", [
    (lambda p: None, ImageReadError, "no such file"),
    (lambda p: p.write_text("not an image"), ImageReadError, "not an image"),
])
def test_unreadable_inputs_raise_and_write_nothing(tmp_path, make, error, match):
    src = tmp_path / "in.png"
    make(src)
    with pytest.raises(error, match=match):
        reduce_file(src, tmp_path / "out.png")
    assert sorted(p.name for p in tmp_path.iterdir()) == (["in.png"] if src.exists() else [])


def test_unknown_output_extension_is_refused(photo, tmp_path):
    with pytest.raises(ValueError, match=r"unsupported extension '.xyz'; expected one of"):
        reduce_file(photo, tmp_path / "out.xyz")


def test_unreachable_quality_writes_nothing(photo, tmp_path):
    with pytest.raises(QualityError, match="more than 2 colours"):
        reduce_file(photo, tmp_path / "out.png", n_colors=2, quality=0.1, seed=0)
    assert not (tmp_path / "out.png").exists()


def test_quality_names_the_default_output_after_the_chosen_k(photo):
    record = reduce_file(photo, quality=8.0, seed=0)
    assert record["output"] == str(photo.with_name(f"photo.k{record['k']}.png"))
    assert record["delta_e"] <= 8.0


def test_skip_if_larger_writes_nothing_when_the_result_is_larger(tmp_path):
    src = tmp_path / "flat.gif"  # a tiny GIF: any PNG of it is larger
    image = np.zeros((8, 8, 3), np.uint8)
    image[4:] = 255
    Image.fromarray(image).convert("P").save(src)
    out = tmp_path / "out.png"
    with pytest.raises(ResultTooLargeError, match="larger than the input") as info:
        reduce_file(src, out, n_colors=2, skip_if_larger=True, optimize=False)
    assert info.value.exit_code == 98 and not out.exists()


# --------------------------------------------------------------------------
# Palette files in and out
# --------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".gpl", ".json", ".hex"])
def test_palette_files_round_trip_through_palette_out_and_in(photo, tmp_path, suffix):
    pal_file = tmp_path / f"palette{suffix}"
    reduce_file(photo, tmp_path / "a.png", n_colors=5, palette_out=pal_file, seed=0)
    fitted = reduce_colors(read_rgb(photo), 5, seed=0).palette
    assert np.array_equal(read_palette(pal_file), fitted)
    record = reduce_file(photo, tmp_path / "b.png", palette_in=pal_file)
    assert record["k"] == 5
    assert np.array_equal(read_rgb(tmp_path / "b.png"), read_rgb(tmp_path / "a.png"))


@pytest.mark.parametrize("output, palette_out, named", [
    ("out.png/", None, "output='out.png/'"),
    ("out.png", "p.hex/", "palette_out='p.hex/'"),
])
def test_a_file_name_ending_in_a_slash_is_refused(photo, tmp_path, monkeypatch, output,
                                                  palette_out, named):
    """Path dropped the slash, so "out.png/", a folder's name, wrote the file out.png."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError) as caught:
        reduce_file(photo, output, n_colors=2, palette_out=palette_out)
    assert str(caught.value) == f"{named} ends in '/', which names a folder; expected a file name"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["photo.png"]


@pytest.mark.parametrize("output, palette_out, named", [
    ("out", None, "output='out'"),
    (Path("out"), None, "output='out'"),
    ("out.png", "out", "palette_out='out'"),
])
def test_an_output_file_name_that_is_a_folder_is_refused_as_a_bad_value(
        photo, tmp_path, monkeypatch, output, palette_out, named):
    """It was an OutputError ("out: is a directory, expected an output file name"), not the
    ValueError of a name ending in '/'."""
    monkeypatch.chdir(tmp_path)
    Path("out").mkdir()
    with pytest.raises(ValueError) as caught:
        reduce_file(photo, output, n_colors=2, palette_out=palette_out)
    assert str(caught.value) == f"{named} is a folder; expected a file name"
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["out", "photo.png"]


@pytest.mark.parametrize("suffix", [".json", ".hex"])
def test_palette_out_keeps_the_alpha_of_translucent_entries(tmp_path, suffix):
    """The file holds each entry's alpha, in the order of the image's palette, and maps
    the image onto itself."""
    rgba = np.array([[[200, 10, 10, 255], [10, 200, 10, 128], [10, 200, 10, 128]],
                     [[10, 10, 200, 40], [10, 10, 200, 40], [10, 10, 200, 40]]], np.uint8)
    src, pal_file = tmp_path / "icon.png", tmp_path / f"palette{suffix}"
    Image.fromarray(rgba).save(src)
    record = reduce_file(src, tmp_path / "a.png", n_colors=3, palette_out=pal_file, seed=0)
    written = read_palette(pal_file)
    assert written.tolist() == [[10, 10, 200, 40], [10, 200, 10, 128], [200, 10, 10, 255]]
    assert [e["alpha"] for e in record["palette"]] == [40, 128, 255]
    reduce_file(tmp_path / "a.png", tmp_path / "b.png", palette_in=pal_file)
    with Image.open(tmp_path / "b.png") as im:
        assert np.array_equal(np.asarray(im.convert("RGBA")), rgba)


def _translucent_photo(path: Path, rng: np.random.Generator, binary: bool = False) -> None:
    """A 24 x 24 RGBA image of seeded noisy colour bands: a fully transparent quarter, a
    quarter of alpha ramping from 20 to 240 (or, ``binary``, of alpha 0 or 255), the rest
    opaque."""
    rgb = np.clip(np.repeat(np.linspace(30, 220, 24), 24).reshape(24, 24, 1)
                  + rng.normal(0, 20, (24, 24, 3)), 0, 255).astype(np.uint8)
    alpha = np.full((24, 24), 255, np.uint8)
    alpha[:, :6] = 0
    alpha[:, 6:12] = np.linspace(20, 240, 24).astype(np.uint8)[:, None]
    if binary:
        alpha = np.where(alpha < GIF_ALPHA_THRESHOLD, 0, 255).astype(np.uint8)
    Image.fromarray(np.dstack([rgb, alpha])).save(path)


@pytest.mark.parametrize("output", ["a.gif", "a.png"])
@pytest.mark.parametrize("suffix", [".json", ".hex", ".pal", ".txt", ".gpl", ".act"])
def test_palette_out_given_back_gives_the_same_output(tmp_path, rng, output, suffix):
    """The file gives the same output back, in every format that holds alpha: beside a
    .png the fitted alpha of each entry; beside a .gif, whose colours are fitted to the
    alpha it holds (0 or 255), the opaque entries (the transparent pixels take the
    GIF's transparent entry), after the transparent entry, first. .act holds no alpha but
    one fully transparent entry, which a warning says, and gives the same output for an
    image whose alpha is 0 or 255 only."""
    src, pal_file = tmp_path / "photo.png", tmp_path / f"p{suffix}"
    translucent = suffix != ".act"
    _translucent_photo(src, rng, binary=not translucent)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AlphaLossWarning)  # the GIF's own: 0 or 255
        record = reduce_file(src, tmp_path / output, n_colors=12, palette_out=pal_file,
                             seed=0)
        reduce_file(src, tmp_path / f"b{Path(output).suffix}", palette_in=pal_file)
    written = read_palette(pal_file)
    if output == "a.gif":  # the record gives the alpha the GIF holds, the file its
        assert {e["alpha"] for e in record["palette"]} == {255}  # transparent entry first
        assert written[0].tolist() == [0, 0, 0, 0] and set(written[1:, 3].tolist()) == {255}
    elif translucent:
        assert written.shape[1] == 4 and not set(written[:, 3].tolist()) <= {0, 255}
    assert (tmp_path / f"b{Path(output).suffix}").read_bytes() == \
        (tmp_path / output).read_bytes()


@pytest.mark.parametrize("suffix", [".act"])
def test_palette_out_without_alpha_warns_of_translucent_entries(tmp_path, rng, suffix):
    """The formats that hold no alpha write translucent entries opaque, and say so (a
    palette_out .gpl is written in Aseprite's RGBA form, which holds it)."""
    src = tmp_path / "photo.png"
    _translucent_photo(src, rng)
    with pytest.warns(AlphaLossWarning, match=f"p{suffix}: .* written opaque"):
        reduce_file(src, tmp_path / "a.png", n_colors=12, palette_out=tmp_path / f"p{suffix}",
                    seed=0)


@pytest.mark.parametrize("suffix", [".json", ".hex"])
def test_palette_out_of_a_fully_transparent_image_holds_its_transparent_entry(tmp_path,
                                                                               suffix):
    """Not an empty file, which palette_in refuses: the image's one entry, read back."""
    src, pal_file = tmp_path / "clear.png", tmp_path / f"palette{suffix}"
    Image.fromarray(np.zeros((4, 5, 4), np.uint8)).save(src)
    with pytest.warns(ColorCountWarning, match="no visible colour"):
        record = reduce_file(src, tmp_path / "a.png", n_colors=4, palette_out=pal_file)
    assert record["k"] == 0
    assert read_palette(pal_file).tolist() == [[0, 0, 0, 0]]
    reduce_file(src, tmp_path / "b.png", palette_in=pal_file)
    with Image.open(tmp_path / "b.png") as im:
        assert (np.asarray(im.convert("RGBA"))[..., 3] == 0).all()


def test_a_palette_file_too_large_for_the_output_is_named_with_its_size(photo, tmp_path):
    big = tmp_path / "big.hex"
    big.write_text("".join(f"{i:06x}\n" for i in range(300)))
    with pytest.raises(ValueError, match=r"^palette_in='.*big\.hex' holds 300 colours, more "
                                         r"than a palette image holds: at most 256 colours"):
        reduce_file(photo, tmp_path / "out.png", palette_in=big)
    assert not (tmp_path / "out.png").exists()


def test_a_palette_file_too_large_beside_the_transparent_entry_is_named(tmp_path):
    """An image with transparent pixels leaves 255 entries; the error names the file too."""
    src, full = tmp_path / "icon.png", tmp_path / "full.hex"
    rgba_input(src)
    full.write_text("".join(f"{i:06x}\n" for i in range(256)))
    # and how to make room: one entry of the palette marked transparent
    with pytest.raises(ValueError, match=r"^palette_in='.*full\.hex' holds 256 colours, more "
                                         r"than a palette image holds: at most 255 colours "
                                         r"\(one entry is kept for the transparent pixels, "
                                         r"unless one of the palette's own is transparent, "
                                         r"which they take, every entry keeping its index: "
                                         r"alpha 0, as rrggbb00 in \.hex, R G B 0 in \.pal"):
        reduce_file(src, tmp_path / "out.png", palette_in=full)
    assert not (tmp_path / "out.png").exists()


_KEYED = [[255, 0, 0], [255, 0, 255], [0, 255, 0], [0, 0, 255]]  # magenta: the key


@pytest.mark.parametrize("keyed", ["trns", "rgba"])
def test_a_bmp_keeps_a_given_transparent_entrys_colour(tmp_path, keyed):
    # BMP has no alpha, and the entry of a palette's transparent index was written black
    # (00000000) where the file, and the .png and .gif, keep its colour, #ff00ff; its
    # pixels kept index 0. Now the entry keeps the file's colour, and the warning says so.
    rgb = np.array([_KEYED], np.uint8)
    if keyed == "trns":
        Image.fromarray(rgb).save(tmp_path / "in.png", transparency=(255, 0, 255))
    else:
        alpha = np.array([[255, 0, 255, 255]], np.uint8)
        Image.fromarray(np.dstack([rgb, alpha])).save(tmp_path / "in.png")
    table = bytes([255, 0, 255, 255, 0, 0, 0, 255, 0, 0, 0, 255]).ljust(768, b"\0")
    (tmp_path / "p.act").write_bytes(table + struct.pack(">HH", 4, 0))
    with (pytest.warns(PaletteInWarning, match="marks index 0 transparent"),
          pytest.warns(AlphaLossWarning, match=r"BMP has no alpha, so transparent pixels keep "
                                               r"index 0 and show its colour in the palette, "
                                               r"#ff00ff, and translucent ones are drawn on "
                                               r"black")):
        reduce_file(tmp_path / "in.png", tmp_path / "out.bmp", palette_in=tmp_path / "p.act")
    with Image.open(tmp_path / "out.bmp") as im:
        assert im.getpalette()[:12] == [255, 0, 255, 255, 0, 0, 0, 255, 0, 0, 0, 255]
        assert np.asarray(im).tolist() == [[1, 0, 2, 3]]


def _jasc(path: Path, colors) -> Path:
    """A JASC palette of ``colors``, its count stated."""
    lines = ["JASC-PAL", "0100", str(len(colors)), *(" ".join(map(str, c)) for c in colors)]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode())
    return path


@pytest.mark.parametrize("name", ["out.png", "out.gif", "out.bmp"])
def test_a_jasc_palette_keeps_the_count_it_states(tmp_path, name):
    # A .pal of 6 entries whose last 3 are black was cut to 4 (the padding of a table
    # filled to 256, kept once), the warning naming repeats alone; a file that states its
    # count means each entry, and the output holds them all, as the palette file written.
    # A .hex, which states none, still holds such a run once.
    colors = [[255, 0, 0], [0, 0, 0], [0, 255, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0]]
    Image.fromarray(np.array([colors[:3]], np.uint8)).save(tmp_path / "in.png")
    pal = _jasc(tmp_path / "p.pal", colors)
    (tmp_path / "p.hex").write_text("".join(f"{r:02x}{g:02x}{b:02x}\n" for r, g, b in colors))
    with pytest.warns(PaletteInWarning, match=r"indices 3, 4, 5, .* its 6 entries give 3 "):
        reduce_file(tmp_path / "in.png", tmp_path / name, palette_in=pal,
                    palette_out=tmp_path / "back.pal")
    with pytest.warns(PaletteInWarning, match=r"index 3 .* its 4 entries give 3 "):
        reduce_file(tmp_path / "in.png", tmp_path / f"hex{name}", palette_in=tmp_path / "p.hex")
    with Image.open(tmp_path / name) as im:  # a GIF's table is of 8 entries
        assert im.getpalette()[:18] == [v for c in colors for v in c]
        assert np.asarray(im).tolist() == [[0, 1, 2]]
    assert (tmp_path / "back.pal").read_bytes() == pal.read_bytes()
    with Image.open(tmp_path / f"hex{name}") as im:
        assert len(im.getpalette()) == 3 * 4


def test_a_stated_count_of_256_gives_its_padding_to_the_transparent_pixels(tmp_path):
    # 256 entries leave no room for the entry of transparent pixels after them: the
    # padding's second entry takes them, made transparent, every entry kept at its index.
    colors = [[i, 255 - i, 7] for i in range(1, 241)] + [[0, 0, 0]] * 16
    pal = _jasc(tmp_path / "p.pal", colors)
    rgba = np.array([[[1, 254, 7, 255], [0, 0, 0, 0], [0, 0, 0, 255]]], np.uint8)
    Image.fromarray(rgba).save(tmp_path / "in.png")
    with pytest.warns(PaletteInWarning, match="its 256 entries give 241 colours"):
        reduce_file(tmp_path / "in.png", tmp_path / "out.png", palette_in=pal)
    with Image.open(tmp_path / "out.png") as im:
        assert im.getpalette() == [v for c in colors for v in c]
        assert im.info["transparency"] == 241
        assert np.asarray(im).tolist() == [[0, 241, 240]]


def test_palette_in_accepts_an_array(photo, tmp_path):
    record = reduce_file(photo, tmp_path / "o.png", palette_in=COLOURS[:3])
    assert record["k"] == 3
    assert set(map(tuple, np.unique(read_rgb(tmp_path / "o.png").reshape(-1, 3), axis=0)
                   .tolist())) <= set(map(tuple, COLOURS[:3].tolist()))


def test_palette_extensions_are_checked(photo, tmp_path):
    with pytest.raises(ValueError, match=r"palette_out=.*unknown palette extension '.csv'"):
        reduce_file(photo, tmp_path / "o.png", palette_out=tmp_path / "p.csv")
    assert not (tmp_path / "o.png").exists()


# --------------------------------------------------------------------------
# Animated inputs
# --------------------------------------------------------------------------


def test_reduce_file_default_name_of_an_animation_ignores_an_unrelated_png(tmp_path):
    """The still-image default name (.k4.png) is not what an animated GIF writes."""
    src = save_animation(tmp_path / "clip.gif", moving_square(), duration=50)
    (tmp_path / "clip.k4.png").write_bytes(b"someone else's file")
    record = reduce_file(src, n_colors=4, seed=0)
    assert record["output"] == str(tmp_path / "clip.k4.gif")
    assert (tmp_path / "clip.k4.png").read_bytes() == b"someone else's file"


def test_reduce_file_still_gif_default_name_is_checked(tmp_path):
    src = tmp_path / "still.gif"
    levels = np.repeat(np.arange(0, 256, 32, dtype=np.uint8), 4)  # eight grey levels
    Image.fromarray(np.tile(levels, (8, 1))).save(src)
    (tmp_path / "still.k4.png").write_bytes(b"x")
    with pytest.raises(OutputExistsError):
        reduce_file(src, n_colors=4, seed=0)


@pytest.mark.parametrize("timing", [{"duration": 250, "loop": 2}, {"duration": 70},
                                    {"loop": 0}, {}])
def test_a_gif_of_one_frame_keeps_its_duration_and_loop_as_a_gif(tmp_path, timing):
    # It went through the still path and lost both.
    src = save_animation(tmp_path / "one.gif", moving_square(1), **timing)
    out = tmp_path / "out.gif"
    assert reduce_file(src, out, n_colors=3, seed=0)["frames"] == 1
    with Image.open(out) as im:
        assert {key: im.info.get(key) for key in ("duration", "loop")} == {
            "duration": timing.get("duration"), "loop": timing.get("loop")}
    still = nullcontext() if not timing else pytest.warns(
        StillImageWarning, match="GIF of one frame, shown .* written as a still image without "
                                 "them; write .gif to keep them")
    with still:
        out = reduce_file(src, tmp_path / "out.png", n_colors=3)["output"]
    with Image.open(out) as im:
        assert "loop" not in im.info  # a still PNG


def test_a_gif_of_one_frame_without_a_loop_count_is_said_to_have_none(tmp_path):
    # It said "shown 70 ms with loop count None".
    src = save_animation(tmp_path / "one.gif", moving_square(1), duration=70)
    with pytest.warns(StillImageWarning) as caught:
        reduce_file(src, tmp_path / "out.tif", n_colors=3)
    assert [str(w.message) for w in caught] == [
        "GIF of one frame, shown 70 ms, no loop count: written as a still image without "
        "them; write .gif to keep them"]


@pytest.mark.parametrize("output", ["out.png", "out.apng"])
def test_an_apng_of_one_frame_stays_one_with_its_duration_and_loop(tmp_path, output):
    """It was written as a plain PNG, without its acTL and fcTL: the loop count and duration
    were dropped, and nothing said so."""
    from quantize.encode import one_frame_apng

    plain = tmp_path / "plain.png"
    Image.fromarray(moving_square(1)[0]).save(plain)
    src = tmp_path / "one.png"
    src.write_bytes(one_frame_apng(plain.read_bytes(), plays=3, duration=1000 / 30))
    with Image.open(src) as im:
        assert (im.format, im.n_frames, im.info["loop"]) == ("PNG", 1, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        record = reduce_file(src, tmp_path / output, n_colors=3, seed=0)
    assert record["frames"] == 1
    with Image.open(tmp_path / output) as im:
        assert (im.n_frames, im.info["loop"], im.info["duration"]) == (1, 3, 1000 / 30)
        assert np.array_equal(np.array(im.convert("RGB")), moving_square(1)[0])
    with pytest.warns(StillImageWarning, match=r"^APNG of one frame, shown 33.3333 ms, "
                      r"loop count 3: written as a still image without them; write \.png"):
        reduce_file(src, tmp_path / "out.gif", n_colors=3, seed=0)


@pytest.mark.parametrize("output, why", [
    ("out.png", ""), ("out.webp", r" \(libwebp writes no animation of one frame\)")])
def test_a_webp_animation_of_one_frame_written_as_a_still_says_so(tmp_path, output, why):
    src = one_frame_webp(tmp_path / "one.webp", moving_square(1)[0], duration=500, loop=3)
    with Image.open(src) as im:
        assert (im.format, im.info["loop"]) == ("WEBP", 3)
    with pytest.warns(StillImageWarning, match=r"^WebP of one frame, shown 500 ms, loop "
                      rf"count 3: written as a still image without them{why}$"):
        reduce_file(src, tmp_path / output, n_colors=3, seed=0)
    still = tmp_path / "still.webp"
    Image.fromarray(moving_square(1)[0]).save(still, lossless=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a still WebP has nothing to lose
        reduce_file(still, tmp_path / f"still-{output}", n_colors=3, seed=0)


def test_reduce_file_keeps_every_frame(tmp_path):
    from quantize.reduce import reduce_file

    src = save_animation(tmp_path / "in.gif", moving_square(), duration=[40, 80, 120], loop=0)
    out = tmp_path / "out.gif"
    record = reduce_file(src, out, n_colors=4, seed=0)
    assert record["frames"] == 3 and count_frames(out) == 3
    assert frame_info(out, "duration") == [40, 80, 120]


def test_reduce_file_one_frame_gif_stays_still(tmp_path):
    from quantize.reduce import reduce_file

    src = tmp_path / "still.gif"
    Image.fromarray(moving_square(1)[0]).save(src)
    out = tmp_path / "out.gif"
    record = reduce_file(src, out, n_colors=3, seed=0)  # red, blue and white
    assert record["frames"] == 1
    with Image.open(out) as im:
        assert getattr(im, "n_frames", 1) == 1 and not getattr(im, "is_animated", False)


def test_an_existing_palette_out_is_named_with_an_existing_output(photo, tmp_path, monkeypatch):
    # Only the palette file was named, so a second run stopped at the output.
    monkeypatch.chdir(tmp_path)
    Path("p.hex").write_bytes(b"keep me")
    Path("out.png").write_bytes(b"keep me too")
    with pytest.raises(OutputExistsError) as info:
        reduce_file(photo, "out.png", n_colors=2, palette_out="p.hex")
    assert str(info.value) == ("out.png: output exists, and so does palette_out='p.hex'; use "
                               "force=True to overwrite both")
    assert (Path("p.hex").read_bytes(), Path("out.png").read_bytes()) == (b"keep me",
                                                                          b"keep me too")


def test_a_multi_page_tiff_is_not_refused_for_an_existing_png_of_its_name(tmp_path):
    """Its pages are written as scan.k4.tif, but scan.k4.png was checked before the file was
    read: an unrelated PNG refused the job (exit 15). A TIFF of one page still writes, and
    checks, one.k3.png."""
    pages = [Image.fromarray(f) for f in moving_square(2)]
    pages[0].save(tmp_path / "scan.tif", save_all=True, append_images=pages[1:])
    (tmp_path / "scan.k4.png").write_bytes(b"not ours")
    record = reduce_file(tmp_path / "scan.tif", n_colors=4, seed=0)
    assert (record["output"], record["frames"]) == (str(tmp_path / "scan.k4.tif"), 2)
    assert (tmp_path / "scan.k4.png").read_bytes() == b"not ours"
    pages[0].save(tmp_path / "one.tif")
    (tmp_path / "one.k3.png").write_bytes(b"not ours")
    with pytest.raises(OutputExistsError):
        reduce_file(tmp_path / "one.tif", n_colors=3, seed=0)
    assert (tmp_path / "one.k3.png").read_bytes() == b"not ours"


@pytest.mark.parametrize("kind", ["still", "animation"])
def test_an_output_whose_palette_file_fails_is_removed(tmp_path, photo, monkeypatch, kind):
    """The image was written, then the palette file failed (a full disk): the job failed,
    but its output stayed, and a rerun was refused with "output exists"."""
    import quantize.animation.job
    import quantize.reduce.file_job

    def disk_full(path, *args, **kwargs):
        raise OutputError("cannot write (No space left on device)", path=path)

    src = photo if kind == "still" else save_animation(tmp_path / "in.gif", moving_square())
    out = tmp_path / ("o.png" if kind == "still" else "o.gif")
    for module in (quantize.reduce.file_job, quantize.animation.job):
        monkeypatch.setattr(module, "palette_file_bytes", disk_full)
    with pytest.raises(OutputError, match="No space left"):
        reduce_file(src, out, n_colors=4, palette_out=tmp_path / "p.hex")
    assert not out.exists()
    monkeypatch.undo()
    reduce_file(src, out, n_colors=4, palette_out=tmp_path / "p.hex")  # no --force needed
    assert out.exists() and read_palette(tmp_path / "p.hex").shape[0] >= 1


def _full_disk_in(folder: Path, write):
    """``write`` (a method of Path) failing as on a full disk for the files of ``folder``."""
    def written(path, *args, **kwargs):
        if path.parent == folder:
            raise OSError(errno.ENOSPC, "No space left on device")
        return write(path, *args, **kwargs)
    return written


@pytest.mark.parametrize("kind", ["still", "animation"])
def test_a_palette_file_that_cannot_be_written_leaves_both_earlier_files(tmp_path, photo,
                                                                        monkeypatch, kind):
    """With force, the new image was put in place before its palette file failed (a
    full disk), and stayed beside the earlier palette file: now neither is replaced."""
    src = photo if kind == "still" else save_animation(tmp_path / "in.gif", moving_square())
    out = tmp_path / ("o.png" if kind == "still" else "o.gif")
    (tmp_path / "pal").mkdir()
    pal = tmp_path / "pal" / "p.hex"
    out.write_bytes(b"earlier image")
    pal.write_bytes(b"earlier palette")
    before = sorted(tmp_path.rglob("*"))
    for method in ("write_bytes", "write_text"):
        monkeypatch.setattr(Path, method, _full_disk_in(pal.parent, getattr(Path, method)))
    with pytest.raises(OutputError, match="No space left"):
        reduce_file(src, out, n_colors=4, palette_out=pal, force=True)
    assert (out.read_bytes(), pal.read_bytes()) == (b"earlier image", b"earlier palette")
    assert sorted(tmp_path.rglob("*")) == before  # no temporary file left either


def test_file_job_warnings_point_at_the_callers_line(tmp_path):
    """Warnings of reduce_file and segment_file named lines of quantize's own source
    (reduce/file_job.py for a still's colour count, animation/plans.py and file_job.py
    for an animation's), so a filter on the caller's module missed them."""
    from quantize.segment_file import segment_file

    frames = []
    for shade in (0, 40):
        rgba = np.zeros((8, 8, 4), np.uint8)
        rgba[..., 0], rgba[..., 3] = shade, 128
        rgba[0, 0, 3] = 0
        frames.append(Image.fromarray(rgba, "RGBA"))
    frames[0].save(tmp_path / "a.png", save_all=True, append_images=frames[1:], duration=100)
    Image.new("RGB", (4, 4), "red").save(tmp_path / "still.png")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        reduce_file(tmp_path / "a.png", tmp_path / "o.gif", n_colors=4)  # 2 colours, translucent
        reduce_file(tmp_path / "still.png", tmp_path / "o.png", n_colors=4)  # 1 colour
        # animated; its visible pixels of one colour (the clusters united), its one
        # transparent pixel a cluster of its own
        segment_file(tmp_path / "a.png", tmp_path / "seg", n_clusters=2, seed=0)
        segment_file(tmp_path / "still.png", tmp_path / "seg1", n_clusters=2, seed=0)  # 1 colour
    assert sorted(type(w.message).__name__ for w in caught) == [
        "AlphaIgnoredWarning", "AlphaLossWarning", "ClusterCountWarning", "ClusterCountWarning",
        "FewerColorsWarning", "FewerColorsWarning", "FirstFrameWarning", "GifTableWarning"]
    assert {w.filename for w in caught} == {__file__}


def test_format_advice_warnings_point_at_the_callers_line(tmp_path):
    # A warning raised as an instance (facts and advice apart) is still attributed
    # to the caller's line, as the plain ones are, not to quantize's own source.
    from quantize.reduce.file_job import AlphaLossWarning

    rgba = np.zeros((4, 4, 4), np.uint8)
    rgba[..., 3] = 255
    rgba[0, 0, 3] = 0
    Image.fromarray(rgba, "RGBA").save(tmp_path / "a.png")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        reduce_file(tmp_path / "a.png", tmp_path / "a.jpg", n_colors=2)
    [alpha] = [w for w in caught if w.category is AlphaLossWarning]
    assert alpha.filename == __file__
    assert alpha.message.advice == "write .png, .webp or .tif to keep alpha"
    assert str(alpha.message) == f"{alpha.message.facts}; {alpha.message.advice}"


def test_default_output_suffix_reads_a_gif_only_to_its_second_frame(tmp_path, monkeypatch):
    # It counted every frame, which Pillow does by reading the whole GIF: batch, which
    # names each output by it, read every GIF of a folder through at every rerun.
    from PIL import GifImagePlugin

    from quantize.reduce import default_output_suffix

    save_animation(tmp_path / "clip.gif", moving_square(3, 8), duration=40)
    Image.fromarray(moving_square(1, 8)[0]).save(tmp_path / "one.gif")

    def counted(self):
        raise AssertionError("the frame table was read through")

    monkeypatch.setattr(GifImagePlugin.GifImageFile, "n_frames", property(counted))
    assert default_output_suffix(tmp_path / "clip.gif") == ".gif"
    assert default_output_suffix(tmp_path / "one.gif") == ".png"


@pytest.mark.parametrize("name", ["one.gif", "one.webp", "one.apng", "one.tif", "one.tiff"])
def test_default_output_names_a_still_gif_webp_apng_or_tiff_as_reduce_file_writes_it(
        tmp_path, name):
    # It was None for any input named so, which may be an animation: the header tells.
    from quantize.reduce import default_output

    src = tmp_path / name
    Image.fromarray(moving_square(1, 8)[0]).save(src, format="PNG" if name == "one.apng" else None)
    named = default_output(src, 2, None, None)
    assert named == tmp_path / "one.k2.png"
    assert reduce_file(src, n_colors=2)["output"] == str(named)


@pytest.mark.parametrize("name, names", [
    ("clip.gif", {".png": (3,), ".gif": (2,)}),  # a still keeps 3; a GIF holds 2
    ("clip.webp", {".png": (3,), ".webp": (3,)}),  # a WebP keeps the translucent entry
    ("clip.png", {".png": (3,)}),  # a still, or an APNG, which keeps it too
    ("clip.tif", {".png": (3,), ".tif": (3,)}),
    ("photo.jpg", {".png": (3,), ".gif": (2,)}),
])
def test_default_output_names_with_a_palette_give_each_extension_its_own_n(name, names):
    # Every N from 1 to the still's entries was given for every extension, so a .gif
    # named after entries of alpha below 128, which the GIF leaves out, was among them.
    from quantize.reduce import default_output_names
    from quantize.reduce.options import entries_drawn

    palette = np.array([[255, 0, 0, 255], [0, 0, 255, 200], [0, 255, 0, 64]], np.uint8)
    sizes = (entries_drawn(palette, animated=False), entries_drawn(palette, animated=True),
             entries_drawn(palette, animated=True, partial_alpha=True))
    assert default_output_names(Path(name), None, None, sizes) == names
    assert default_output_names(Path(name), 8, None, None) == dict.fromkeys(names, range(8, 9))


def test_default_output_names_no_animation_nor_an_unreadable_file(tmp_path):
    from quantize.reduce import default_output

    clip = save_animation(tmp_path / "clip.gif", moving_square(3, 8), duration=40)
    Image.fromarray(moving_square(1, 8)[0]).save(tmp_path / "one.gif")
    (tmp_path / "broken.gif").write_bytes(b"GIF89a")
    assert [default_output(path, 4, None, None) for path in (
        clip, tmp_path / "broken.gif", tmp_path / "missing.gif")] == [None, None, None]
    # the header's answer when the caller has it, and none with quality (N is the k chosen)
    assert default_output(tmp_path / "one.gif", 4, None, None, animated=True) is None
    assert default_output(clip, 4, None, None, animated=False) == tmp_path / "clip.k4.png"
    assert default_output(tmp_path / "one.gif", 4, 2.0, None) is None


def test_an_animation_over_the_pixel_limit_is_refused_before_a_frame_is_decoded(
        tmp_path, monkeypatch):
    # Each frame was checked from the header, then the first one decoded before the
    # frames were counted against the limit: a file of a few frames just under the limit
    # each cost a whole frame's memory and time before it was refused.
    from quantize.io import OpenInput
    src = save_animation(tmp_path / "in.gif", moving_square(3, size=10), duration=50)

    def decoded(*args, **kwargs):
        raise AssertionError("the first frame was decoded")

    monkeypatch.setattr(OpenInput, "load", decoded)
    with pytest.raises(ImageReadError) as err:
        reduce_file(src, tmp_path / "out.gif", max_pixels=299)
    assert str(err.value) == (f"{src}: an animation of 3 frames of 10x10, 300 pixels in all, "
                              "exceeds the limit of 299; if the file is trusted, "
                              "set max_pixels=300 or more")
    assert not (tmp_path / "out.gif").exists()


def test_an_act_palette_out_is_refused_more_than_256_colours(tmp_path):
    # An Adobe colour table holds 256 colours: the palette file failed after the image
    # was made, naming write_palette's parameter ("path='p.act': ...").
    src = tmp_path / "many.png"
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (17, 17, 3), dtype=np.uint8)).save(src)
    pal = tmp_path / "p.act"
    advice = "; write the palette as .gpl, .json, .hex, .pal, .txt, .css or .ase"
    with pytest.raises(ValueError) as info:
        reduce_file(src, tmp_path / "a.webp", n_colors=300, palette_out=pal)
    assert str(info.value) == (f"palette_out={str(pal)!r} is an Adobe colour table (.act), of "
                               f"at most 256 colours, but n_colors=300 asks for more{advice}")
    given = tmp_path / "big.hex"
    given.write_text("".join(f"{i:06x}\n" for i in range(257)))
    with pytest.raises(ValueError) as info:
        reduce_file(src, tmp_path / "b.webp", palette_in=given, palette_out=pal)
    assert str(info.value).endswith(f"but palette_in={str(given)!r} holds more{advice}")
    with pytest.raises(ValueError) as info:  # the colours known only once fitted
        reduce_file(src, tmp_path / "c.webp", quality=0, n_colors=1000, palette_out=pal)
    assert str(info.value).endswith(f"but the palette has 289 colours{advice}")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.hex", "many.png"]
    reduce_file(src, tmp_path / "d.webp", n_colors=256, palette_out=pal)
    assert read_palette(pal).shape == (256, 3)


def test_an_act_palette_written_of_an_image_with_transparency_and_given_back(tmp_path):
    """Its transparent entry, black, takes the image's fully transparent pixels again, at
    the same indices: the warning said they got an entry of their own."""
    rgba = np.random.default_rng(0).integers(0, 256, (16, 16, 4), dtype=np.uint8)
    rgba[..., 3] = 255
    rgba[:4, :4, 3] = 0
    src = tmp_path / "in.png"
    Image.fromarray(rgba).save(src)
    reduce_file(src, tmp_path / "first.png", n_colors=8, palette_out=tmp_path / "p.act")
    with pytest.warns(UserWarning) as caught:
        reduce_file(src, tmp_path / "again.png", palette_in=tmp_path / "p.act")
    assert [str(w.message) for w in caught] == [
        f"palette_in={str(tmp_path / 'p.act')!r} marks index 0 transparent (an Adobe colour "
        "table's transparent index, which Aseprite sets to 0 in every file it writes), so "
        "its colour #000000 is not mapped onto: only fully transparent pixels take that "
        "entry (no colour is lost if it is an image's transparent entry, which quantize "
        "writes #000000)"]
    first, again = (np.asarray(Image.open(tmp_path / n)) for n in ("first.png", "again.png"))
    np.testing.assert_array_equal(again, first)
    assert (again[:4, :4] == 0).all()


def test_the_transparent_entry_of_an_act_palette_is_said_to_be_left_out(tmp_path):
    # Aseprite marks index 0 transparent in every .act it writes: mapping onto one left
    # its first colour out without a word (4 colours given, 3 used).
    src = tmp_path / "in.png"
    Image.fromarray(COLOURS[np.arange(16) % 4].reshape(4, 4, 3)).save(src)
    pal = tmp_path / "p.act"
    pal.write_bytes(COLOURS[:4].tobytes() + bytes(756) + b"\x00\x04\x00\x00")
    with pytest.warns(UserWarning) as caught:
        record = reduce_file(src, tmp_path / "out.png", palette_in=pal)
    assert [str(w.message) for w in caught] == [
        f"palette_in={str(pal)!r} marks index 0 transparent (an Adobe colour table's "
        "transparent index, which Aseprite sets to 0 in every file it writes), so its colour "
        "#c81e1e is not mapped onto: only fully transparent pixels take that entry"]
    # every entry the PNG holds, at its index (the transparent first, which no pixel takes)
    assert [(p["hex"], p["alpha"]) for p in record["palette"]] == [
        ("#c81e1e", 0), ("#1ea028", 255), ("#141ed2", 255), ("#f0e6dc", 255)]
    given = tmp_path / "p.hex"  # alpha given with the colour: meant transparent, no word
    given.write_text("c81e1e00\n1ea028\n141ed2\nf0e6dc\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        reduce_file(src, tmp_path / "out2.png", palette_in=given)


def test_palette_out_onto_the_palette_in_file_is_refused_through_a_link_too(tmp_path):
    # The command line refuses it before any work; the library's own check stays.
    src = tmp_path / "a.png"
    Image.fromarray(np.zeros((2, 2, 3), np.uint8)).save(src)
    pal = tmp_path / "brand.hex"
    pal.write_text("000000\nffffff\n")
    link = tmp_path / "link.hex"
    link.symlink_to(pal)
    with pytest.raises(OutputError, match=r"link\.hex: is the file of palette_in='.*brand\.hex', "
                                          r"the palette mapped onto, which is never overwritten"):
        reduce_file(src, tmp_path / "o.png", palette_in=pal, palette_out=link, force=True)
    assert pal.read_text() == "000000\nffffff\n" and not (tmp_path / "o.png").exists()


def _another_run_writes_before_the_renames(monkeypatch, module: str, out: Path) -> None:
    """Have ``out`` written by "another run" once the job's work is done, just before its
    outputs are put in place (the folder checked free long before)."""
    real = importlib.import_module(module).remove_stale_parts

    def written_meanwhile(paths):
        out.write_bytes(b"theirs")
        return real(paths)

    monkeypatch.setattr(f"{module}.remove_stale_parts", written_meanwhile)


@pytest.mark.parametrize("kind", ["still", "animation"])
@pytest.mark.parametrize("force", [False, True])
def test_an_output_another_run_wrote_while_this_one_worked_is_replaced_only_with_force(
        tmp_path, monkeypatch, kind, force):
    """Without force, an output someone wrote while the job fitted its colours was silently
    replaced (the check that it did not exist was made before the work)."""
    if kind == "still":
        src = tmp_path / "in.png"
        Image.fromarray(moving_square(1)[0]).save(src)
        module, out = "quantize.reduce.file_job", tmp_path / "out.png"
    else:
        src = save_animation(tmp_path / "in.gif", moving_square(2), duration=100, loop=0)
        module, out = "quantize.animation.job", tmp_path / "out.gif"
    _another_run_writes_before_the_renames(monkeypatch, module, out)
    with pytest.raises(OutputExistsError) if not force else nullcontext() as refused:
        reduce_file(src, out, n_colors=2, palette_out=tmp_path / "p.hex", force=force)
    if force:
        assert out.read_bytes() != b"theirs" and (tmp_path / "p.hex").exists()
    else:
        assert (refused.value.path, refused.value.reason) == (
            str(out), "output exists (another run wrote it while this one worked); use "
                      "force=True to overwrite")
        assert out.read_bytes() == b"theirs" and not (tmp_path / "p.hex").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [src.name, out.name] + ["p.hex"] * force)


@pytest.mark.parametrize("kind", ["still", "animation"])
def test_an_input_removed_once_read_still_gets_its_output_and_its_size(
        tmp_path, monkeypatch, kind):
    """Its size was read again after the work: the job failed with the system's
    "No such file or directory" (an animation's once its output was in place)."""
    if kind == "still":
        src = tmp_path / "in.png"
        Image.fromarray(moving_square(1)[0]).save(src)
        module, hook, out = "quantize.reduce.file_job", "reduce_within_limit", tmp_path / "out.png"
    else:
        src = save_animation(tmp_path / "in.gif", moving_square(2), duration=100, loop=0)
        module, hook, out = "quantize.animation.job", "_warn_still", tmp_path / "out.gif"
    size = src.stat().st_size
    real = getattr(importlib.import_module(module), hook)

    def removed_meanwhile(*args, **kwargs):
        src.unlink()
        return real(*args, **kwargs)

    monkeypatch.setattr(f"{module}.{hook}", removed_meanwhile)
    record = reduce_file(src, out, n_colors=2, skip_if_larger=False)
    assert (record["bytes_in"], record["bytes_out"]) == (size, out.stat().st_size)
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name]


@pytest.mark.parametrize("size, beside", [((8, 8), False), ((129, 128), True)])
def test_a_warning_raised_while_the_output_is_measured_is_the_files(tmp_path, monkeypatch,
                                                                    size, beside):
    # The metrics of an image over 128 x 128 pixels are measured on a thread of the job's
    # own while the output is encoded: a batch, which records each file's warnings, did
    # not see that thread's. A smaller image's are measured in the caller.
    import threading

    from quantize.batch.calls import call_with_warnings
    from quantize.reduce import result as result_module

    measured_on = []
    psnr_db = result_module.psnr_db

    def warning_psnr_db(*args):
        measured_on.append(threading.get_ident())
        warnings.warn("measured", UserWarning, stacklevel=1)
        return psnr_db(*args)

    monkeypatch.setattr(result_module, "psnr_db", warning_psnr_db)
    image = Image.new("RGB", size, (0, 0, 255))
    image.paste((255, 0, 0), (0, 0, 4, 4))
    image.paste((0, 255, 0), (4, 4, 8, 8))
    image.save(tmp_path / "a.png")
    record = call_with_warnings(reduce_file, tmp_path / "a.png", tmp_path / "b.png",
                                n_colors=2)
    assert len(measured_on) == 1 and (measured_on[0] != threading.get_ident()) is beside
    assert record["warnings"] == ["measured"]


# --------------------------------------------------------------------------
# An output shown as the caller names it (shown_as)
# --------------------------------------------------------------------------

STDOUT = ShownOutput("stdout", "--format='gif'")


def _translucent(path):
    """An 8x8 red ramp whose rows fade in: its first row transparent, the 56 others
    translucent."""
    rgba = np.zeros((8, 8, 4), np.uint8)
    rgba[..., 0] = np.arange(8) * 30
    rgba[..., 3] = np.arange(8)[:, None] * 36
    Image.fromarray(rgba).save(path)
    return path


@pytest.mark.parametrize("shown, named", [(None, "out.gif"), (STDOUT, "stdout")])
def test_shown_as_names_the_output_of_a_gif_partial_alpha_warning(tmp_path, shown, named):
    src = _translucent(tmp_path / "in.png")
    with pytest.warns(AlphaLossWarning) as caught:
        reduce_file(src, tmp_path / "out.gif", n_colors=4, shown_as=shown)
    assert [str(w.message) for w in caught if w.category is AlphaLossWarning] == [
        f"{named}: GIF has no partial alpha, so 56 translucent pixels are made transparent "
        f"(alpha below {GIF_ALPHA_THRESHOLD}) or opaque before the colours are fitted (the "
        "metrics compare with that); write .png to keep alpha, or give matte=COLOR, the "
        "background the GIF is shown on, to blend them onto it"]


def test_shown_as_names_the_output_of_a_palette_mapped_for_a_gif(tmp_path):
    src = _translucent(tmp_path / "in.png")
    given = np.array([[0, 0, 0, 255], [200, 0, 0, 100]], np.uint8)
    with pytest.warns(AlphaLossWarning) as caught:
        reduce_file(src, tmp_path / "out.gif", palette_in=given, shown_as=STDOUT)
    assert [str(w.message).split(",")[0] for w in caught  # (and the palette is far from it)
            if issubclass(w.category, AlphaLossWarning)] == ["stdout: GIF has no partial alpha"] * 2


def test_shown_as_names_the_output_of_a_jpeg_alpha_warning(tmp_path):
    src = tmp_path / "in.png"
    rgba_input(src)
    with pytest.warns(AlphaLossWarning, match=r"^stdout: JPEG has no alpha, so ") as caught:
        reduce_file(src, tmp_path / "out.jpg", n_colors=4,
                    shown_as=ShownOutput("stdout", "--format='jpg'"))
    assert "out.jpg" not in "".join(str(w.message) for w in caught)


def test_shown_as_names_the_option_of_an_animation_refused_as_jpg(tmp_path):
    src = save_animation(tmp_path / "in.gif", moving_square(), duration=100, loop=0)
    with pytest.raises(ValueError) as caught:
        reduce_file(src, tmp_path / "stdout.jpg", shown_as=ShownOutput("stdout", "--format='jpg'"))
    assert str(caught.value) == ("--format='jpg' has an unsupported extension '.jpg' for an "
                                 "animation; expected one of .gif, .png, .apng, .webp, .tif, "
                                 ".tiff")


def test_shown_as_names_the_option_of_an_image_too_wide_for_its_format(tmp_path):
    src = tmp_path / "wide.png"
    Image.new("RGB", (16384, 1), (9, 9, 9)).save(src)
    with pytest.raises(ValueError) as caught:
        reduce_file(src, tmp_path / "stdout.webp", n_colors=2,
                    shown_as=ShownOutput("stdout", "--format='webp'"))
    assert caught.value.facts == ("--format='webp': WebP holds at most 16383 pixels a side, "
                                  "and the image is 16384x1")


def test_shown_as_names_stdout_where_an_animation_plays_longer(tmp_path):
    frames = [np.full((2, 2, 3), 40 * i, np.uint8) for i in range(6)]
    src = save_animation(tmp_path / "in.png", frames, duration=10, loop=0)
    with pytest.warns(UserWarning) as caught:
        reduce_file(src, tmp_path / "stdout.gif", n_colors=6, shown_as=STDOUT)
    assert [str(w.message).split(",")[0] for w in caught] == [
        "6 of 6 frames under 20 ms written longer in stdout"]


@pytest.mark.parametrize("animated", [False, True])
def test_shown_as_leaves_the_path_out_of_a_result_too_large(tmp_path, rng, animated):
    noise = rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)
    if animated:  # the pages of a TIFF, larger than a GIF of four colours
        src = save_animation(tmp_path / "in.gif", moving_square(), duration=100)
        out = tmp_path / "stdout.tif"
    else:  # a 128-colour PNG, larger than a JPEG of noise at quality 5
        src, out = tmp_path / "noise.jpg", tmp_path / "stdout.png"
        Image.fromarray(noise).save(src, quality=5)
    with pytest.raises(ResultTooLargeError) as caught:
        reduce_file(src, out, n_colors=4 if animated else 128, skip_if_larger=True,
                    shown_as=STDOUT)
    assert caught.value.path is None and str(caught.value).startswith("result (")
    assert not out.exists()


def test_shown_as_needs_a_shown_output_and_an_output(tmp_path):
    src = tmp_path / "in.png"
    rgba_input(src)
    with pytest.raises(TypeError, match=r"^shown_as should be a ShownOutput or None, got str$"):
        reduce_file(src, tmp_path / "out.png", shown_as="stdout")
    with pytest.raises(ValueError, match=r"^shown_as names the output given as output, but "
                                         r"output is None$"):
        reduce_file(src, shown_as=STDOUT)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.png"]


def test_shown_as_leaves_the_path_out_of_a_full_disk_for_the_output_alone(tmp_path, photo,
                                                                          monkeypatch):
    (tmp_path / "scratch").mkdir()
    (tmp_path / "pal").mkdir()
    out, pal = tmp_path / "scratch" / "stdout.png", tmp_path / "pal" / "p.hex"
    for folder, path in ((out.parent, None), (pal.parent, str(pal))):
        monkeypatch.setattr(Path, "write_bytes", _full_disk_in(folder, Path.write_bytes))
        with pytest.raises(OutputError) as caught:
            reduce_file(photo, out, n_colors=4, palette_out=pal, shown_as=STDOUT)
        assert (caught.value.path, caught.value.reason) == (
            path, "cannot write (No space left on device)")
        monkeypatch.undo()
    assert not out.exists() and not pal.exists()


def test_shown_as_names_the_option_of_an_extension_no_output_has(photo, tmp_path):
    with pytest.raises(ValueError) as caught:
        reduce_file(photo, tmp_path / "stdout.tga",
                    shown_as=ShownOutput("stdout", "--format='tga'"))
    assert str(caught.value) == ("--format='tga' has an unsupported extension '.tga'; expected "
                                 "one of .png, .apng, .gif, .bmp, .jpg, .jpeg, .webp, .tif, "
                                 ".tiff")


# --------------------------------------------------------------------------
# Reading the input
# --------------------------------------------------------------------------


def _counting_opens(monkeypatch) -> list[object]:
    """Record each file Pillow is asked to open from now on."""
    opened, pillow_open = [], Image.open

    def counted(fp, *args, **kwargs):
        opened.append(fp)
        return pillow_open(fp, *args, **kwargs)

    monkeypatch.setattr(Image, "open", counted)
    return opened


@pytest.mark.parametrize("name", ["in.png", "in.gif"])
def test_a_still_input_is_opened_once_for_its_checks_and_its_pixels(tmp_path, monkeypatch,
                                                                       name):
    src = tmp_path / name
    Image.fromarray(np.array([[[0, 0, 0], [255, 0, 0]]], np.uint8)).save(src)
    opened = _counting_opens(monkeypatch)
    record = reduce_file(src, tmp_path / "out.png", n_colors=2)
    assert opened == [src]
    assert record["k"] == 2


def test_an_output_refused_while_the_input_is_open_is_not_called_a_read_error(tmp_path):
    src = tmp_path / "in.png"
    Image.fromarray(np.zeros((2, 2, 3), np.uint8)).save(src)
    with pytest.raises(ValueError, match=r"^output='.*out\.tga' has .*; expected one of "):
        reduce_file(src, tmp_path / "out.tga", n_colors=2)
    (tmp_path / "out.png").write_bytes(b"old")
    with pytest.raises(OutputExistsError, match="output exists") as caught:
        reduce_file(src, tmp_path / "out.png", n_colors=2)
    assert Path(caught.value.path) == tmp_path / "out.png"
    assert (tmp_path / "out.png").read_bytes() == b"old"


@pytest.mark.parametrize("suffix", [".png", ".gif"])
def test_to_image_numbers_a_palette_without_a_transparent_entry_as_the_command_does(
        tmp_path, suffix):
    # to_image put the entry of transparent pixels at 0 and every colour one higher
    # ([[1, 4, 0, 2]]), while the file written keeps the colours at their indices and adds
    # that entry after the last
    image = np.array([[[255, 0, 0, 255], [0, 0, 255, 255], [0, 0, 0, 0], [0, 255, 0, 255]]],
                     np.uint8)
    Image.fromarray(image).save(tmp_path / "in.png")
    palette = np.array([[255, 0, 0], [0, 255, 0], [18, 52, 86], [0, 0, 255]], np.uint8)
    (tmp_path / "p.hex").write_text("ff0000\n00ff00\n123456\n0000ff\n")
    reduce_file(tmp_path / "in.png", tmp_path / f"out{suffix}", palette_in=tmp_path / "p.hex")
    with Image.open(tmp_path / f"out{suffix}") as written:
        file_indices = np.asarray(written).tolist()
        assert written.info["transparency"] == 4
    shown = reduce_colors(image, palette=palette).to_image(gif=suffix == ".gif")
    assert np.asarray(shown).tolist() == file_indices == [[0, 3, 4, 1]]
    assert shown.info["transparency"] == 4
