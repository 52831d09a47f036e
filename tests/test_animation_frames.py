"""quantize.animation.frames: frames read one at a time with their timing; the pixel limit."""

from __future__ import annotations

import io
import os
import re
import struct
import warnings
import zlib

import numpy as np
import pytest
from PIL import Image, ImageOps, ImageSequence, features
from typer.testing import CliRunner

from quantize.animation import (
    PAGE_DURATION_MS,
    FirstFrameWarning,
    UntimedFramesWarning,
    count_frames,
    iter_frames,
    probe_animation,
    reduce_animation_file,
)
from quantize.animation import frames as frames_module
from quantize.animation.frames import open_animation, opened_animation
from quantize.cli import app
from quantize.errors import ImageReadError
from quantize.io import (
    CompositedFrameWarning,
    PagesLeftOutWarning,
    PixelRangeWarning,
    SamplesLeftOutWarning,
    TransparencyChunkWarning,
    TransparentColorWarning,
    as_rgba,
    load_image,
    open_input,
    probe_image,
)
from quantize.png import chunks_of, frame_controls, still_png
from quantize.reduce import ColorCountWarning, reduce_file

from .animation_support import BLUE, RED, composited, moving_square, save_animation
from .corpus.generate import (
    MPO_DISPARITY,
    MPO_PREVIEW,
    linear_rgb_icc,
    mpo_file,
    png_of_chunks,
    stored_idats,
)


def test_frames_are_streamed_with_timing(tmp_path):
    src = save_animation(tmp_path / "in.gif", moving_square(), duration=[40, 80, 120], loop=0)
    frames = iter_frames(src)
    first = next(frames)
    assert first.rgba.shape == (16, 16, 4) and first.duration == 40
    assert [f.duration for f in frames] == [80, 120]


def test_reading_frames_leaves_the_warning_filters_alone(tmp_path, monkeypatch):
    """The frames were read inside warnings.catch_warnings(), which swaps the process's one
    list of filters: another thread's warnings were silenced or its filters lost meanwhile.
    Pillow's decompression-bomb guard is lifted instead (max_pixels checks the size)."""
    import warnings

    src = save_animation(tmp_path / "in.gif", moving_square(), duration=50)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 64)  # 16 x 16 frames: over Pillow's guard
    before = list(warnings.filters)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a DecompressionBombWarning would raise
        filters = list(warnings.filters)
        seen = [list(warnings.filters) == filters for _ in iter_frames(src, max_pixels=None)]
    assert seen and all(seen)
    assert warnings.filters == before and Image.MAX_IMAGE_PIXELS == 64


@pytest.mark.parametrize("read", [lambda path: list(iter_frames(path)), probe_animation,
                                  count_frames, probe_image])
@pytest.mark.parametrize(("path", "got"), [(None, "NoneType"), (b"a.gif", "bytes"),
                                           (np.zeros((2, 2, 3), np.uint8), "ndarray")])
def test_a_path_that_is_no_file_name_is_refused_naming_path(read, path, got):
    """They failed inside pathlib: "expected str, bytes or os.PathLike object, not
    NoneType", naming no parameter, and for bytes "argument should be a str object"."""
    with pytest.raises(TypeError, match=rf"^path should be a path \(str or os\.PathLike\), "
                       rf"got {got}$"):
        read(path)


def test_pixel_limit_counts_every_frame(tmp_path):
    src = save_animation(tmp_path / "in.gif", moving_square(3, size=10), duration=50)
    assert probe_animation(src, max_pixels=300).n_frames == 3
    with pytest.raises(ImageReadError, match=r"an animation of 3 frames of 10x10, 300 pixels in "
                                             r"all, exceeds the limit of 299; if the file is "
                                             r"trusted, set max_pixels=300 or more") as err:
        reduce_animation_file(src, tmp_path / "out.gif", max_pixels=299)
    assert "in.gif" in str(err.value) and "\n" not in str(err.value)
    assert not (tmp_path / "out.gif").exists()


@pytest.mark.parametrize("reduce", [reduce_file, reduce_animation_file])
def test_a_frame_over_the_pixel_limit_is_refused_with_the_limit_every_frame_needs(
        tmp_path, reduce):
    # One 10x10 frame already exceeds 99: the error gave max_pixels=100, the size of
    # one frame, and the limit it advised then refused the 3 frames (300 pixels).
    src = save_animation(tmp_path / "in.gif", moving_square(3, size=10), duration=50)
    with pytest.raises(ImageReadError) as err:
        reduce(src, tmp_path / "out.gif", max_pixels=99)
    assert str(err.value) == (f"{src}: an animation of 3 frames of 10x10, 300 pixels in all, "
                              "exceeds the limit of 99; if the file is trusted, "
                              "set max_pixels=300 or more")
    assert not (tmp_path / "out.gif").exists()


def test_frames_over_the_frame_limit_are_refused_before_any_is_decoded(tmp_path):
    # 10,000 frames of 1x1 passed the pixel limit and cost minutes: the frames are
    # counted too, from the file, and refused naming the count, the limit and the keyword
    src = save_animation(tmp_path / "in.gif", moving_square(3, size=10), duration=50)
    with pytest.raises(ImageReadError) as err:
        reduce_file(src, tmp_path / "out.gif", max_frames=2)
    assert str(err.value) == (f"{src}: 3 frames exceed the limit of 2 frames; if the file "
                              "is trusted, set max_frames=3 or more")
    assert not (tmp_path / "out.gif").exists()
    assert reduce_file(src, tmp_path / "out.gif", n_colors=4, max_frames=3)["frames"] == 3


def test_the_pages_of_a_tiff_stack_count_against_the_frame_limit(tmp_path):
    src = tmp_path / "stack.tif"
    pages = [Image.new("RGB", (2, 2), (60 * i, 0, 0)) for i in range(4)]
    pages[0].save(src, save_all=True, append_images=pages[1:])
    with pytest.raises(ImageReadError, match=r"4 frames exceed the limit of 3 frames; if the "
                                             r"file is trusted, set max_frames=4 or more$"):
        reduce_file(src, tmp_path / "out.tif", max_frames=3)
    assert not (tmp_path / "out.tif").exists()
    reduce_file(src, tmp_path / "none.tif", n_colors=4, max_frames=None)  # no limit
    assert Image.open(tmp_path / "none.tif").n_frames == 4


@pytest.mark.parametrize("read", [
    lambda src, out, **kw: list(iter_frames(src, **kw)),
    lambda src, out, **kw: probe_animation(src, **kw),
    lambda src, out, **kw: reduce_animation_file(src, out, n_colors=4, **kw),
])
def test_the_animation_functions_take_the_frame_limit(tmp_path, read):
    # the default limit applies to them all: each takes max_frames to raise or lift it
    src = save_animation(tmp_path / "in.gif", moving_square(3, size=10), duration=50)
    with pytest.raises(ImageReadError, match=r"in\.gif: 3 frames exceed the limit of 2 "
                                             r"frames; if the file is trusted, set "
                                             r"max_frames=3 or more$"):
        read(src, tmp_path / "out.gif", max_frames=2)
    read(src, tmp_path / "out.gif", max_frames=None)


def test_a_tiff_stack_is_read_with_fewer_passes_over_its_page_headers(tmp_path, monkeypatch):
    # Each pass over a TIFF's pages reads every page's header (Pillow's seek): a reduce of
    # 30 pages made 13 of them (391 reads), counting the pages again at each reading of
    # the frames, though the file is checked unchanged since it was counted; now 7.
    from PIL import TiffImagePlugin

    src = tmp_path / "stack.tif"
    pages = [Image.new("RGB", (2, 2), (8 * i, 0, 0)) for i in range(30)]
    pages[0].save(src, save_all=True, append_images=pages[1:])
    reads = []
    seek = TiffImagePlugin.TiffImageFile._seek
    monkeypatch.setattr(TiffImagePlugin.TiffImageFile, "_seek",
                        lambda im, frame: (reads.append(frame), seek(im, frame))[1])
    reduce_file(src, tmp_path / "out.tif", n_colors=4)
    assert len(reads) <= 7 * 30 + 1
    monkeypatch.undo()
    with Image.open(tmp_path / "out.tif") as out:
        assert out.n_frames == 30


@pytest.mark.parametrize(("value", "error", "match"), [
    (0, ValueError, r"^max_frames=0 should be >= 1"),
    (2.5, TypeError, r"^max_frames"),
])
def test_a_bad_frame_limit_is_refused_naming_max_frames(tmp_path, value, error, match):
    src = save_animation(tmp_path / "in.gif", moving_square(3, size=10), duration=50)
    with pytest.raises(error, match=match):
        reduce_file(src, tmp_path / "out.gif", max_frames=value)


def test_the_cli_refuses_frames_over_max_frames_in_one_line_as_max_pixels(tmp_path):
    src = save_animation(tmp_path / "in.gif", moving_square(3, size=10), duration=50)
    over_frames = CliRunner().invoke(app, ["reduce", str(src), "-o", str(tmp_path / "a.gif"),
                                           "--max-frames", "2"])
    over_pixels = CliRunner().invoke(app, ["reduce", str(src), "-o", str(tmp_path / "b.gif"),
                                           "--max-pixels", "2"])
    assert over_frames.exit_code == over_pixels.exit_code != 0
    assert over_frames.output.strip().splitlines() == [
        f"quantize: error: {src}: 3 frames exceed the limit of 2 frames; if the file is "
        "trusted, set --max-frames=3 or more"]
    assert not (tmp_path / "a.gif").exists()


def test_an_apng_default_image_is_not_a_frame(tmp_path):
    # A PNG viewer without APNG support shows the default image; APNG players never
    # do. It was reduced as a first frame of its own (duration 0), so the output
    # animation flashed it, and its colours took palette entries.
    colours = [(255, 255, 255), (200, 0, 0), (0, 200, 0), (0, 0, 200)]
    images = [Image.fromarray(np.full((4, 4, 3), c, np.uint8)) for c in colours]
    src = tmp_path / "in.png"
    images[0].save(src, save_all=True, append_images=images[1:], duration=[0, 70, 80, 90],
                   loop=0, default_image=True)
    assert count_frames(src) == 3 and probe_animation(src).n_frames == 3
    frames = list(iter_frames(src))
    assert [tuple(f.rgba[0, 0, :3]) for f in frames] == colours[1:]
    out = tmp_path / "out.gif"
    record = reduce_animation_file(src, out, n_colors=3)
    assert record["frames"] == 3 and record["delta_e"] == 0.0
    assert [tuple(f[0, 0, :3]) for f in composited(out)] == colours[1:]


def _pages(path, colours, sizes=None):
    sizes = sizes or [(6, 4)] * len(colours)
    images = [Image.fromarray(np.full((h, w, 3), c, np.uint8))
              for c, (w, h) in zip(colours, sizes, strict=True)]
    images[0].save(path, save_all=True, append_images=images[1:])
    return path


def _apng_timing(path):
    with Image.open(path) as im:
        durations = []
        for i in range(im.n_frames):
            im.seek(i)
            durations.append(im.info["duration"])
        return durations, im.info.get("loop")


def test_the_pages_of_a_tiff_are_shown_a_second_each_looping_forever(tmp_path):
    # TIFF pages carry no duration: they were given 0 ms, and the APNG flashed through them.
    colours = [(200, 0, 0), (0, 200, 0), (0, 0, 200)]
    src = _pages(tmp_path / "scan.tif", colours)
    info = probe_animation(src)
    assert (info.n_frames, info.timed, info.plays) == (3, False, 0)
    assert [f.duration for f in iter_frames(src)] == [PAGE_DURATION_MS] * 3 == [1000.0] * 3
    out = tmp_path / "scan.png"
    with pytest.warns(UntimedFramesWarning, match=r"^TIFF of 3 pages, which have no duration: "
                      r"written as an animation showing each page for 1 s, looping forever$"):
        record = reduce_animation_file(src, out, n_colors=3)
    assert record["frames"] == 3
    assert _apng_timing(out) == ([1000.0] * 3, 0)
    assert [tuple(f[0, 0, :3]) for f in composited(out)] == colours


def test_a_timed_animation_gives_no_untimed_warning(tmp_path, recwarn):
    src = save_animation(tmp_path / "in.gif", moving_square(3), duration=50)
    assert probe_animation(src).timed
    reduce_animation_file(src, tmp_path / "out.png", n_colors=4)
    assert not [w for w in recwarn if w.category is UntimedFramesWarning]


@pytest.mark.skipif(not features.check("avif"), reason="this Pillow reads no AVIF")
def test_an_animated_avif_keeps_its_durations_and_loops_forever(tmp_path):
    """AVIF was not among the timed formats: its frames were called pages and shown 1 s
    each, a 100 ms animation ten times slower."""
    src = save_animation(tmp_path / "clip.avif", moving_square(3), duration=[100, 200, 300],
                         quality=100)
    info = probe_animation(src)
    assert (info.format, info.n_frames, info.timed, info.plays) == ("AVIF", 3, True, 0)
    assert [f.duration for f in iter_frames(src)] == [100.0, 200.0, 300.0]
    out = tmp_path / "clip.gif"
    with warnings.catch_warnings():
        warnings.simplefilter("error", UntimedFramesWarning)
        record = reduce_animation_file(src, out, n_colors=4)
    assert record["frames"] == 3
    with Image.open(out) as im:
        assert im.info["loop"] == 0  # forever
        assert [frame.info["duration"] for frame in ImageSequence.Iterator(im)] == [100, 200, 300]


def test_the_pages_of_a_sixteen_bit_tiff_are_scaled_as_a_still_image_is(tmp_path):
    """Each page was converted by Pillow's RGBA conversion, which clips 16-bit values:
    a 16-bit TIFF stack came out all white."""
    pages = [np.linspace(0, 65535, 12, dtype=np.uint16).reshape(3, 4) // d for d in (1, 2)]
    Image.fromarray(pages[0]).save(tmp_path / "stack.tif", save_all=True,
                                   append_images=[Image.fromarray(pages[1])])
    for frame, page in zip(iter_frames(tmp_path / "stack.tif"), pages, strict=True):
        expected = np.rint(page / 257.0).astype(np.uint8)
        np.testing.assert_array_equal(frame.rgba, np.dstack([expected] * 3 + [
            np.full_like(expected, 255)]))


# 16-bit samples whose high byte is not round(v / 257) (0x00FF reads 1, not 0; 0xFE00
# reads 253, not 254), and some whose high byte is; and what each reads.
_WIDE_SAMPLES = [0x00FF, 0x0180, 0x01FF, 0x7F80, 0xFE00, 0xFFFF]
_WIDE_READ = [1, 1, 2, 127, 253, 255]


@pytest.mark.parametrize("compression", [None, "zlib"])
@pytest.mark.parametrize("samples", [3, 4])
def test_every_page_of_a_16_bit_rgb_tiff_is_read_from_all_16_bits(tmp_path, samples,
                                                                  compression):
    """The pages were read from the high byte of each sample (0x00FF as 0, 0xFE00 as 254),
    the first one too, where load_image reads the first page round(v / 257)."""
    tifffile = pytest.importorskip("tifffile")
    index = np.add.outer(np.arange(2), np.arange(3))[None, :, :, None] + np.arange(samples)
    index = index + np.arange(3)[:, None, None, None]  # three pages, each its own
    src = tmp_path / "pages.tif"
    tifffile.imwrite(src, np.array(_WIDE_SAMPLES, np.uint16)[index % 6], photometric="rgb",
                     extrasamples=["unassalpha"] if samples == 4 else None,
                     compression=compression)
    expected = np.array(_WIDE_READ, np.uint8)[index % 6]
    if samples == 3:
        expected = np.concatenate([expected, np.full_like(expected[..., :1], 255)], axis=3)
    frames = [frame.rgba for frame in iter_frames(src)]
    np.testing.assert_array_equal(np.stack(frames), expected)
    np.testing.assert_array_equal(load_image(src).rgb, expected[0, ..., :3])


def test_a_tiff_of_pages_whose_extra_sample_is_left_out_says_so_once(tmp_path):
    """load_image and segment said so of its first page; reduce, which reads its pages as
    an animation's frames, left the sample out without a word."""
    tifffile = pytest.importorskip("tifffile")
    pixels = np.zeros((2, 3, 4), np.uint8)
    pixels[..., 0], pixels[..., 3] = 255, 7
    src = tmp_path / "ch4.tif"
    tifffile.imwrite(src, np.stack([pixels, pixels]), photometric="rgb",
                     extrasamples=["unspecified"])
    said = ("TIFF of 4 samples a pixel, read as RGB: its sample 4 (extra, marked "
            "unspecified) is left out; to use it, save it as an image of its own, or as alpha")
    with pytest.warns(SamplesLeftOutWarning) as caught:
        frames = [frame.rgba for frame in iter_frames(src)]
    assert [str(w.message) for w in caught] == [said]
    assert [frame[0, 0].tolist() for frame in frames] == [[255, 0, 0, 255]] * 2
    result = CliRunner().invoke(app, ["reduce", str(src), "-k", "2", "-o",
                                      str(tmp_path / "out.tif"), "-q"])
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [f"quantize: warning: {src}: {said}"]


@pytest.mark.parametrize("photometric", ["minisblack", "rgb"])
def test_a_tiff_of_dark_16_bit_pages_is_said_dark_once_in_reduce_s_words(tmp_path,
                                                                         photometric):
    """reduce warned once a page, each line ending with the facts alone, where the docs
    say once a file, ending 'the output is 8-bit and as dark'; of RGB pages, read from all
    16 bits, it said nothing."""
    tifffile = pytest.importorskip("tifffile")
    counts = np.repeat(np.array([[1000, 3000]], np.uint16), 2, axis=0)
    if photometric == "rgb":
        counts = np.dstack([counts, counts, counts])
    src = tmp_path / "pages.tif"
    tifffile.imwrite(src, np.stack([counts, counts + 5, counts + 10]), photometric=photometric)
    said = ("page 1: 16-bit values 1000..3000 of 65535 come out 4..12 of 255: counts closer "
            "than 257 apart become one level; the output is 8-bit and as dark")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        reduce_animation_file(src, tmp_path / "out.tif", n_colors=2)
    assert [str(w.message) for w in caught if w.category is PixelRangeWarning] == [said]
    result = CliRunner().invoke(app, ["reduce", str(src), "-k", "2", "-o",
                                      str(tmp_path / "cli.tif"), "-q"])
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [f"quantize: warning: {src}: {said}"]
    with pytest.warns(PixelRangeWarning) as caught:  # in Python, without reduce's words
        assert len(list(iter_frames(src))) == 3
    assert [w.message.facts for w in caught] == [said.split("; ")[0]]


@pytest.mark.parametrize("suffix", [".png", ".webp"])
def test_the_frames_of_an_animation_with_a_colour_profile_are_converted_to_srgb(tmp_path,
                                                                                 suffix):
    """The profile was left out: linear 128 stayed 128, where viewers show 188."""
    frames = [Image.new("RGB", (4, 4), (v, v, v)) for v in (128, 255)]
    src = tmp_path / f"anim{suffix}"
    frames[0].save(src, save_all=True, append_images=frames[1:], duration=100,
                   icc_profile=linear_rgb_icc(), lossless=True)
    assert [f.rgba[0, 0].tolist() for f in iter_frames(src)] == [[188, 188, 188, 255],
                                                                 [255, 255, 255, 255]]


def test_the_pages_of_an_uncompressed_tiff_turned_a_quarter_come_out_upright(tmp_path):
    """Pillow memory-mapped each grey page at its upright size: diagonal stripes."""
    pages = [Image.fromarray(np.arange(24, dtype=np.uint8).reshape(4, 6) * d) for d in (5, 10)]
    src = tmp_path / "scans.tif"
    pages[0].save(src, save_all=True, append_images=pages[1:], tiffinfo={274: 6})
    for frame, page in zip(iter_frames(src), pages, strict=True):
        np.testing.assert_array_equal(frame.rgba, np.rot90(np.asarray(page.convert("RGBA")), -1))


def test_a_tiff_whose_pages_differ_in_size_is_read_as_its_first_page(tmp_path):
    # A page and its thumbnail are not frames of one picture: reducing them as an
    # animation failed with "operands could not be broadcast together".
    src = _pages(tmp_path / "thumb.tif", [(200, 0, 0), (0, 200, 0)], [(6, 4), (3, 2)])
    assert count_frames(src) == 1
    assert [f.rgba.shape for f in iter_frames(src)] == [(4, 6, 4)]
    with (pytest.warns(ColorCountWarning, match="only 1 distinct colour"),
          pytest.warns(PagesLeftOutWarning)):  # not marked as a thumbnail: said left out
        record = reduce_file(src, tmp_path / "thumb.png", n_colors=2)
    assert record["k"] == 1
    with Image.open(tmp_path / "thumb.png") as im:
        assert (im.size, getattr(im, "n_frames", 1)) == ((6, 4), 1)


def _reduced_copy_tiff(path, reduced):
    """A 6x4 red page, then a 3x2 green one marked a reduced-resolution copy (NewSubfileType
    1) when ``reduced``, else a page of its own (NewSubfileType 0)."""
    from PIL.TiffImagePlugin import AppendingTiffWriter, ImageFileDirectory_v2

    with AppendingTiffWriter(path, new=True) as tiff:
        for colour, size, subfile in (((200, 0, 0), (6, 4), 0),
                                      ((0, 200, 0), (3, 2), int(reduced))):
            info = ImageFileDirectory_v2()
            info[254] = subfile
            Image.new("RGB", size, colour).save(tiff, format="TIFF", tiffinfo=info)
            tiff.newFrame()
    return path


def test_a_tiff_page_of_another_size_left_out_is_said(tmp_path):
    """The pages after the first of a TIFF whose pages differ in size (a document of pages
    of two sizes) were left out without a word."""
    src = _pages(tmp_path / "doc.tif", [(200, 0, 0), (0, 200, 0), (0, 0, 200)],
                 [(6, 4), (4, 6), (6, 4)])
    with pytest.warns(PagesLeftOutWarning) as caught:
        loaded = load_image(src)
    assert loaded.n_frames == 1 and loaded.rgb.shape == (4, 6, 3)
    assert [str(w.message) for w in caught if w.category is PagesLeftOutWarning] == [
        "TIFF of 3 pages of different sizes, which cannot be the frames of one animation: "
        "only its first page (6x4) is read, and 2 other pages left out; save each page as "
        "an image of its own to use it"]


def test_a_tiff_page_marked_a_reduced_copy_is_left_out_without_a_warning(tmp_path):
    """A thumbnail marked as one (NewSubfileType 1) is what viewers leave out too."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", PagesLeftOutWarning)
        loaded = load_image(_reduced_copy_tiff(tmp_path / "thumb.tif", reduced=True))
    assert loaded.n_frames == 1 and loaded.rgb[0, 0].tolist() == [200, 0, 0]
    with pytest.warns(PagesLeftOutWarning, match=r"only its first page \(6x4\) is read, "
                      r"and 1 other page left out;"):
        load_image(_reduced_copy_tiff(tmp_path / "page.tif", reduced=False))


def test_the_pages_of_one_size_give_no_pages_left_out_warning(tmp_path):
    src = _pages(tmp_path / "scan.tif", [(200, 0, 0), (0, 200, 0)])
    with warnings.catch_warnings():
        warnings.simplefilter("error", PagesLeftOutWarning)
        assert load_image(src).n_frames == 2


def test_a_jpeg_holding_more_images_is_read_as_its_first_image(tmp_path):
    # MPO: a camera's JPEG with a preview or a stereo pair's second view. Viewers show
    # the first image; it was reduced as a two-frame animation of 0 ms frames.
    src = tmp_path / "camera.jpg"
    first, second = (Image.new("RGB", (8, 6), c) for c in ((200, 0, 0), (0, 0, 200)))
    first.save(src, format="MPO", save_all=True, append_images=[second])
    with Image.open(src) as im:
        assert (im.format, im.n_frames) == ("MPO", 2)
    assert count_frames(src) == 1
    with pytest.warns(PagesLeftOutWarning, match="1 other image"):  # the blue one
        assert load_image(src).n_frames == 1
    out = tmp_path / "camera.png"
    with (pytest.warns(PagesLeftOutWarning, match="1 other image"),
          pytest.warns(ColorCountWarning, match="only 1 distinct colour")):  # the red view alone
        reduce_file(src, out, n_colors=2)
    with Image.open(out) as im:
        assert getattr(im, "n_frames", 1) == 1


@pytest.mark.parametrize("mp_type", [0, MPO_DISPARITY])  # of no stated type, a stereo view
def test_an_mpo_s_other_images_left_out_are_a_warning(tmp_path, mp_type):
    """Its first image was read and the others dropped without a word."""
    src = mpo_file(tmp_path / "pair.mpo", [(200, 0, 0), (0, 0, 200), (0, 200, 0)], mp_type)
    with pytest.warns(PagesLeftOutWarning) as caught:
        loaded = load_image(src)
    assert [str(w.message) for w in caught if w.category is PagesLeftOutWarning] == [
        "MPO of 3 images: only its first image (8x6) is read, as viewers show it, and 2 "
        "other images (not a preview of it) left out; save each image as a JPEG of its own "
        "to use it"]
    assert loaded.n_frames == 1 and np.abs(loaded.rgb.astype(int) - (200, 0, 0)).max() <= 2


def test_an_mpo_s_previews_of_its_first_image_are_left_out_silently(tmp_path):
    """A camera's JPEG with a large preview (MP type large thumbnail), as a TIFF's
    reduced-size copy: the photo is read whole, nothing is lost."""
    src = mpo_file(tmp_path / "camera.jpg", [(200, 0, 0), (200, 0, 0)], MPO_PREVIEW)
    with warnings.catch_warnings():
        warnings.simplefilter("error", PagesLeftOutWarning)
        assert load_image(src).n_frames == 1


def _layered_psd(path, merged, layers):
    """A Photoshop file of the RGB image ``merged`` ((H, W, 3) uint8, the merged image
    viewers show) and of ``layers``, each (top, left, (h, w, 3) uint8 RGB), stored raw."""
    records, data = b"", b""
    for top, left, px in layers:
        h, w = px.shape[:2]
        records += struct.pack(">iiiiH", top, left, top + h, left + w, 3)
        records += b"".join(struct.pack(">hI", c, 2 + h * w) for c in range(3))
        extra = bytes(12)  # no mask, no blending ranges, an empty name
        records += b"8BIMnorm" + bytes([255, 0, 0, 0]) + struct.pack(">I", len(extra)) + extra
        data += b"".join(b"\0\0" + px[..., c].tobytes() for c in range(3))
    info = struct.pack(">h", len(layers)) + records + data
    info += bytes(len(info) % 2)
    block = struct.pack(">I", len(info)) + info + bytes(4)
    h, w = merged.shape[:2]
    path.write_bytes(b"8BPS" + struct.pack(">H6xHIIHH", 1, 3, h, w, 8, 3) + bytes(8)
                     + struct.pack(">I", len(block)) + block
                     + b"\0\0" + b"".join(merged[..., c].tobytes() for c in range(3)))
    return path


def test_a_photoshop_file_of_layers_is_read_as_its_merged_image(tmp_path):
    """Pillow counts a PSD's layers as frames: they were reduced as the pages of an
    animation, a GIF said to show each for 1 s, and on a 451x300 file with two layers
    the reduction failed ('no image data follows its headers')."""
    merged = np.zeros((4, 6, 3), np.uint8)
    merged[:, :3], merged[:, 3:] = RED, BLUE
    layers = [(0, 0, np.full((4, 3, 3), RED, np.uint8)), (0, 3, np.full((4, 3, 3), BLUE, np.uint8))]
    src = _layered_psd(tmp_path / "art.psd", merged, layers)
    with Image.open(src) as im:
        assert (im.format, im.n_frames) == ("PSD", 2)
    assert count_frames(src) == 1
    loaded = load_image(src)
    assert loaded.n_frames == 1 and loaded.alpha is None
    np.testing.assert_array_equal(loaded.rgb, merged)
    out = tmp_path / "art.png"
    assert reduce_file(src, out, n_colors=2)["frames"] == 1
    with Image.open(out) as im:
        assert getattr(im, "n_frames", 1) == 1
        np.testing.assert_array_equal(np.asarray(im.convert("RGB")), merged)


# PNG bit depth, colour type and sample type of the keyed APNGs below.
_KEYED_KINDS = {"RGB16": (16, 2, ">u2"), "RGB": (8, 2, "u1"), "L": (8, 0, "u1"),
                "L16": (16, 0, ">u2")}


def _keyed_apng(path, kind: str, key, other, default_image: bool = False):
    """A 3x1 APNG of ``kind`` whose tRNS chunk makes ``key`` transparent, of four frames
    of ``key``, ``other`` and a colour next to the key (of the same high bytes) that use
    every disposal (none, clear, back) and both blends (replace, over); with
    ``default_image``, a black image before them that is not one of the frames."""
    depth, colour_type, sample = _KEYED_KINDS[kind]
    near = (key[0] + 1, *key[1:]) if isinstance(key, tuple) else key + 1
    frames = [  # pixels, x, disposal, blend
        ([key, near, other], 0, 0, 0),
        ([other, key], 1, 1, 1),   # over: its key pixel leaves the colour below; then cleared
        ([near, key], 0, 2, 0),    # replace: its key pixel clears; then put back
        ([other], 2, 0, 1),
    ]

    def rows(pixels):
        return b"\0" + np.array(pixels, sample).tobytes()

    keys = key if isinstance(key, tuple) else (key,)
    chunks = [(b"IHDR", struct.pack(">IIBBBBB", 3, 1, depth, colour_type, 0, 0, 0)),
              (b"acTL", struct.pack(">II", len(frames), 0)),
              (b"tRNS", struct.pack(f">{len(keys)}H", *keys))]
    if default_image:
        chunks.append((b"IDAT", zlib.compress(rows([0 * np.array(key)] * 3))))
    seq = 0
    for i, (pixels, x, disposal, blend) in enumerate(frames):
        chunks.append((b"fcTL", struct.pack(">IIIIIHHBB", seq, len(pixels), 1, x, 0, 1, 10,
                                            disposal, blend)))
        data = zlib.compress(rows(pixels))
        in_idat = i == 0 and not default_image
        chunks.append((b"IDAT", data) if in_idat else
                      (b"fdAT", struct.pack(">I", seq + 1) + data))
        seq += 1 if in_idat else 2
    path.write_bytes(png_of_chunks([*chunks, (b"IEND", b"")]))
    return path


def _keyed_16_bit_apng(path, key: tuple[int, int, int], default_image: bool = False):
    return _keyed_apng(path, "RGB16", key, (0, 0, 65535), default_image)


@pytest.mark.parametrize("default_image", [False, True])
def test_the_transparent_colour_of_a_16_bit_rgb_apng_is_alpha_in_every_frame(tmp_path,
                                                                              default_image):
    """Pillow composites such frames at 8 bits and matches the 16-bit key against them:
    the transparent colour came out opaque in every frame, and in the first one that
    load_image reads when it follows a default image (the first image of the file it
    read right)."""
    src = _keyed_16_bit_apng(tmp_path / "k.png", (20000, 300, 65535), default_image)
    key, near, blue, clear = [78, 1, 255, 0], [78, 1, 255, 255], [0, 0, 255, 255], [0] * 4
    got = [frame.rgba.tolist() for frame in iter_frames(src)]
    assert got == [[[key, near, blue]],
                   [[key, blue, blue]],
                   [[near, key, clear]],
                   [[key, clear, blue]]]
    first = load_image(src)
    assert first.n_frames == 4
    np.testing.assert_array_equal(first.alpha, [[0, 255, 255]])
    np.testing.assert_array_equal(first.rgb, [[key[:3], near[:3], blue[:3]]])


@pytest.mark.parametrize(("kind", "key", "other", "shown"), [
    ("RGB", (200, 30, 90), (0, 0, 255), [[200, 30, 90], [201, 30, 90], [0, 0, 255]]),
    ("L", 7, 200, [[7] * 3, [8] * 3, [200] * 3]),
    ("L16", 700, 60000, [[3] * 3, [3] * 3, [233] * 3]),
])
def test_the_frames_of_an_apng_with_a_transparent_colour_are_composited_with_it(
        tmp_path, kind, key, other, shown):
    """Pillow composites such frames on a canvas without alpha: what a frame's disposal
    cleared came out opaque black, and a grayscale frame drawn over the canvas covered it
    with its transparent pixels instead of letting it show. A 16-bit grayscale one failed:
    'cannot decode image (conversion from I;16 to RGBA not supported)'."""
    src = _keyed_apng(tmp_path / "k.png", kind, key, other)
    key, near, other = [*shown[0], 0], [*shown[1], 255], [*shown[2], 255]
    clear = [0] * 4
    got = [frame.rgba.tolist() for frame in iter_frames(src)]
    assert got == [[[key, near, other]],
                   [[key, other, other]],
                   [[near, key, clear]],
                   [[key, clear, other]]]


@pytest.mark.parametrize(("kind", "key", "value", "hidden", "value_rgb"), [
    ("L", 7, 50, 100, [50] * 3),
    ("RGB", (1, 2, 3), (50, 60, 70), (100, 100, 100), [50, 60, 70]),
    ("L16", 700, 12850, 25700, [50] * 3),
])
def test_the_first_frame_after_a_default_image_starts_on_a_transparent_canvas(
        tmp_path, kind, key, value, hidden, value_rgb):
    """An APNG with a transparent colour whose default image is not one of its frames:
    load_image drew the first frame over that image, as Pillow does, and it showed where
    the frame does not reach, and through its transparent pixel, which blends over the
    canvas (a 16-bit grayscale one failed)."""
    depth, colour_type, sample = _KEYED_KINDS[kind]

    def row(pixels) -> bytes:
        return b"\0" + np.array(pixels, sample).tobytes()

    def frame(seq: int, pixels, x: int) -> list[tuple[bytes, bytes]]:
        control = struct.pack(">IIIIIHHBB", seq, len(pixels), 1, x, 0, 1, 10, 0, 1)
        return [(b"fcTL", control), (b"fdAT", struct.pack(">I", seq + 1) + zlib.compress(
            row(pixels)))]

    keys = key if isinstance(key, tuple) else (key,)
    src = tmp_path / "k.png"
    src.write_bytes(png_of_chunks([
        (b"IHDR", struct.pack(">IIBBBBB", 3, 1, depth, colour_type, 0, 0, 0)),
        (b"acTL", struct.pack(">II", 2, 0)), (b"tRNS", struct.pack(f">{len(keys)}H", *keys)),
        (b"IDAT", zlib.compress(row([hidden] * 3))),
        *frame(0, [value, key], 0), *frame(2, [value], 2), (b"IEND", b"")]))
    first = load_image(src)
    assert first.n_frames == 2
    np.testing.assert_array_equal(first.rgb, [[value_rgb, [0] * 3, [0] * 3]])
    np.testing.assert_array_equal(first.alpha, [[255, 0, 0]])
    frames = [frame.rgba for frame in iter_frames(src)]
    np.testing.assert_array_equal(frames[0], np.dstack([first.rgb, first.alpha]))


def test_a_16_bit_grayscale_apng_without_a_transparent_value_is_read(tmp_path):
    """A frame drawn over the canvas failed: 'cannot decode image (conversion from I;16 to
    RGBA not supported)'. Its frames are converted as load_image converts the first, from
    its linear gAMA to sRGB (1000 of 65535 is 33, 50000 is 226 and 30000 is 180)."""
    def frame(seq: int, values: list[int], x: int, blend: int) -> list[tuple[bytes, bytes]]:
        control = struct.pack(">IIIIIHHBB", seq, len(values), 1, x, 0, 1, 10, 0, blend)
        data = zlib.compress(b"\0" + np.array(values, ">u2").tobytes())
        return [(b"fcTL", control),
                (b"IDAT", data) if seq == 0 else (b"fdAT", struct.pack(">I", seq + 1) + data)]

    src = tmp_path / "gray16.png"
    src.write_bytes(png_of_chunks([
        (b"IHDR", struct.pack(">IIBBBBB", 2, 1, 16, 0, 0, 0, 0)), (b"gAMA", struct.pack(
            ">I", 100_000)), (b"acTL", struct.pack(">II", 2, 0)),
        *frame(0, [1000, 50000], 0, 0), *frame(1, [30000], 1, 1), (b"IEND", b"")]))
    got = [f.rgba.tolist() for f in iter_frames(src)]
    assert got == [[[[33] * 3 + [255], [226] * 3 + [255]]], [[[33] * 3 + [255], [180] * 3 + [255]]]]
    first = load_image(src)
    assert first.alpha is None
    np.testing.assert_array_equal(first.rgb, np.array(got[0])[:, :, :3])


def _wide_apng(path, frames: list[tuple[list[tuple[int, ...]], int, int]]):
    """A 3x1 16-bit RGB or RGBA APNG (by the samples of its pixels) of ``frames``: pixels,
    x and blend (0 replace, 1 over), each of one row, disposal none."""
    channels = len(frames[0][0][0])
    chunks = [(b"IHDR", struct.pack(">IIBBBBB", 3, 1, 16, 2 if channels == 3 else 6, 0, 0, 0)),
              (b"acTL", struct.pack(">II", len(frames), 0))]
    seq = 0
    for i, (pixels, x, blend) in enumerate(frames):
        chunks.append((b"fcTL", struct.pack(">IIIIIHHBB", seq, len(pixels), 1, x, 0, 1, 10, 0,
                                            blend)))
        data = zlib.compress(b"\0" + np.array(pixels, ">u2").tobytes())
        chunks.append((b"IDAT", data) if i == 0 else
                      (b"fdAT", struct.pack(">I", seq + 1) + data))
        seq += 1 if i == 0 else 2
    path.write_bytes(png_of_chunks([*chunks, (b"IEND", b"")]))
    return path


@pytest.mark.parametrize(("frames", "expected"), [
    ([([(0x00FF, 0x01FF, 0xFE00, 0xFFFF), (0x7F80, 0x7F80, 0x7F80, 0x7F80),
        (0xFFFF, 0, 0, 0x00FF)], 0, 0),
      ([(0x01FF, 0xFE00, 0x00FF, 0xFFFF), (0xFFFF, 0xFFFF, 0xFFFF, 0)], 1, 1)],
     [[[1, 2, 253, 255], [127, 127, 127, 127], [255, 0, 0, 1]],
      [[1, 2, 253, 255], [2, 253, 1, 255], [255, 0, 0, 1]]]),
    ([([(0x00FF, 0x01FF, 0xFE00)] * 3, 0, 0), ([(0xFE00, 0x00FF, 0x01FF)], 2, 0)],
     [[[1, 2, 253, 255]] * 3, [[1, 2, 253, 255]] * 2 + [[253, 1, 2, 255]]]),
])
def test_the_frames_of_a_16_bit_rgb_or_rgba_apng_are_read_from_all_16_bits(tmp_path, frames,
                                                                          expected):
    """Pillow decodes and composites such frames at the high byte of each sample: each was
    read as floor(v / 256), not round(v / 257) as a 16-bit grey sample is read. (0x00FF
    reads as 1, 0x01FF as 2, 0xFE00 as 253; 0x7F80 as 127; a transparent pixel drawn over
    the canvas leaves it.)"""
    src = _wide_apng(tmp_path / "w.png", frames)
    got = [frame.rgba.tolist() for frame in iter_frames(src)]
    assert got == [[row] for row in expected]
    def rgba(rgb, alpha):
        return np.dstack([rgb, np.full(rgb.shape[:2], 255) if alpha is None else alpha])

    first = load_image(src)
    np.testing.assert_array_equal(rgba(first.rgb, first.alpha), [expected[0]])
    with Image.open(src) as opened, pytest.warns(FirstFrameWarning):
        opened.seek(1)  # a later frame, as a PIL image not yet decoded
        np.testing.assert_array_equal(rgba(*as_rgba(opened)), [expected[1]])


def test_the_low_bytes_of_a_16_bit_rgb_apng_come_from_the_file_opened(tmp_path, monkeypatch):
    """They were read by opening the path again: a file put in its place meanwhile (a
    download or a sync replacing it) gave its low bytes to the pixels of the first, and its
    transparent colour came out opaque, without a word."""
    src = _keyed_16_bit_apng(tmp_path / "k.png", (20000, 300, 65535))
    expected = [frame.rgba.tolist() for frame in iter_frames(src)]
    other = _keyed_16_bit_apng(tmp_path / "other.png", (20001, 300, 65535))
    check = frames_module.check_png_chunks

    def replaced_once_opened(im, path):
        os.replace(other, src)
        check(im, path)

    monkeypatch.setattr(frames_module, "check_png_chunks", replaced_once_opened)
    assert [frame.rgba.tolist() for frame in iter_frames(src)] == expected
    assert expected[0][0][0] == [78, 1, 255, 0]


def _apng(path, depth: int, colour_type: int, frames, hidden=None, chunks=(), sample="u1"):
    """A 3x1 APNG of ``frames`` (pixels, x, dispose_op, blend_op), after the ``chunks``
    (PLTE, tRNS); with ``hidden``, the pixels of a default image that is not a frame."""
    def row(pixels) -> bytes:
        return b"\0" + np.array(pixels, sample).tobytes()

    out = [(b"IHDR", struct.pack(">IIBBBBB", 3, 1, depth, colour_type, 0, 0, 0)),
           (b"acTL", struct.pack(">II", len(frames), 0)), *chunks]
    if hidden is not None:
        out.append((b"IDAT", zlib.compress(row(hidden))))
    seq = 0
    for i, (pixels, x, dispose, blend) in enumerate(frames):
        out.append((b"fcTL", struct.pack(">IIIIIHHBB", seq, len(pixels), 1, x, 0, 1, 10,
                                         dispose, blend)))
        in_idat = i == 0 and hidden is None
        data = zlib.compress(row(pixels))
        out.append((b"IDAT", data) if in_idat else (b"fdAT", struct.pack(">I", seq + 1) + data))
        seq += 1 if in_idat else 2
    path.write_bytes(png_of_chunks([*out, (b"IEND", b"")]))
    return path


@pytest.mark.parametrize(("colour_type", "value", "other", "hidden"), [
    (2, [50, 60, 70], [9, 8, 7], [100, 100, 100]),
    (0, 50, 9, 100),
])
def test_what_a_grey_or_rgb_apng_clears_is_transparent(tmp_path, colour_type, value, other,
                                                       hidden):
    """Pillow composites a grey or RGB APNG on a canvas without alpha: where the first frame
    after a hidden default image does not reach, and what a frame's disposal clears, came
    out opaque black; the APNG specification shows them fully transparent."""
    src = _apng(tmp_path / "a.png", 8, colour_type, [([value] * 2, 0, 1, 1), ([other], 2, 0, 0)],
                hidden=[hidden] * 3)
    rgb = value if colour_type == 2 else [value] * 3
    ink = other if colour_type == 2 else [other] * 3
    first = load_image(src)
    np.testing.assert_array_equal(first.rgb, [[rgb, rgb, [0] * 3]])
    np.testing.assert_array_equal(first.alpha, [[255, 255, 0]])
    clear = [0] * 4
    assert [f.rgba.tolist() for f in iter_frames(src)] == [[[[*rgb, 255], [*rgb, 255], clear]],
                                                           [[clear, clear, [*ink, 255]]]]
    for out in (tmp_path / "out.gif", tmp_path / "out.png"):  # the outputs keep it
        reduce_animation_file(src, out, n_colors=2)
        assert [f[0, :, 3].tolist() for f in composited(out)] == [[255, 255, 0], [0, 0, 255]]


@pytest.mark.parametrize("mode", ["RGB", "L", "P", "RGBA", "LA"])
def test_an_apng_that_clears_nothing_reads_as_pillow_composites_it(tmp_path, mode):
    """Frames that leave nothing transparent come out as before: opaque, Pillow's pixels."""
    rng = np.random.default_rng(0)
    src = tmp_path / "a.png"
    images = [Image.fromarray(rng.integers(0, 256, (3, 4, 3), np.uint8)) for _ in range(3)]
    images[1].paste((1, 2, 3), (0, 0, 2, 2))  # the second frame is stored 2x2
    images = [im.convert(mode) for im in images]
    images[0].save(src, save_all=True, append_images=images[1:], duration=50,
                   disposal=[0, 2, 0], blend=[0, 1, 0])
    got = [f.rgba for f in iter_frames(src)]
    assert len(got) == 3 and all(np.array_equal(f, np.array(im.convert("RGBA")))
                                 for f, im in zip(got, images, strict=True))
    assert all(np.array_equal(f, c) for f, c in zip(got, composited(src), strict=True))
    assert load_image(src).alpha is None


@pytest.mark.parametrize(("key", "expected"), [
    (None, [[[[255] * 4, [0, 0, 0, 255], [255] * 4]], [[[0] * 4, [255] * 4, [0] * 4]]]),
    (1, [[[[255, 255, 255, 0], [0, 0, 0, 255], [255, 255, 255, 0]]], [[[0] * 4] * 3]]),
])
def test_a_1_bit_grey_apng_is_composited_with_its_transparent_value(tmp_path, key, expected):
    """Its first frame kept white, the transparent value, opaque (load_image made it
    transparent), and what a disposal cleared came out as Pillow cleared it."""
    def frame(seq: int, bits: int, width: int, x: int, dispose: int, blend: int):
        data = zlib.compress(bytes([0, bits]))
        return [(b"fcTL", struct.pack(">IIIIIHHBB", seq, width, 1, x, 0, 1, 10, dispose, blend)),
                (b"IDAT", data) if seq == 0 else (b"fdAT", struct.pack(">I", seq + 1) + data)]

    trns = [] if key is None else [(b"tRNS", struct.pack(">H", key))]
    src = tmp_path / "bits.png"
    src.write_bytes(png_of_chunks([
        (b"IHDR", struct.pack(">IIBBBBB", 3, 1, 1, 0, 0, 0, 0)),
        (b"acTL", struct.pack(">II", 2, 0)), *trns,
        *frame(0, 0b1010_0000, 3, 0, 1, 0), *frame(1, 0b1000_0000, 1, 1, 0, 1),
        (b"IEND", b"")]))
    assert [f.rgba.tolist() for f in iter_frames(src)] == expected
    first = load_image(src)
    assert (None if first.alpha is None else first.alpha.tolist()) == (
        None if key is None else [[0, 255, 0]])


_PLTE = (b"PLTE", bytes([200, 0, 0, 0, 200, 0, 0, 0, 200, 10, 10, 10]))
_RED, _GREEN, _BLUE, _CLEAR = [200, 0, 0, 255], [0, 200, 0, 255], [0, 0, 200, 255], [0] * 4


@pytest.mark.parametrize(("trns", "second"), [
    ([], [[_CLEAR, _CLEAR, _BLUE]]),
    # entry 3 is (10, 10, 10) at alpha 128: over the cleared canvas, drawn as it is
    ([(b"tRNS", bytes([255, 255, 255, 128]))],
     [[_CLEAR, [10, 10, 10, 128], [10, 10, 10, 128]]]),
])
def test_what_a_palette_apng_clears_is_transparent(tmp_path, trns, second):
    """Pillow cleared a palette APNG's canvas to entry 0, an opaque red here; and it blended
    the indices of a translucent entry with those below (entry 3 at alpha 128 over
    entry 0 gave entry 2, opaque blue)."""
    frames = [([1, 1, 1], 0, 1, 0), ([2], 2, 0, 0) if not trns else ([3, 3], 1, 0, 1)]
    src = _apng(tmp_path / "p.png", 8, 3, frames, chunks=[_PLTE, *trns])
    assert [f.rgba.tolist() for f in iter_frames(src)] == [[[_GREEN] * 3], second]


def test_a_palette_apngs_first_frame_after_its_default_image_starts_clear(tmp_path):
    src = _apng(tmp_path / "p.png", 8, 3, [([1, 1], 0, 0, 0), ([2], 2, 0, 0)],
                hidden=[0, 0, 0], chunks=[_PLTE])
    first = load_image(src)
    np.testing.assert_array_equal(first.rgb, [[_GREEN[:3], _GREEN[:3], [0] * 3]])
    np.testing.assert_array_equal(first.alpha, [[255, 255, 0]])
    assert [f.rgba.tolist() for f in iter_frames(src)] == [[[_GREEN, _GREEN, _CLEAR]],
                                                           [[_GREEN, _GREEN, _BLUE]]]


def test_a_palette_apng_with_an_overlong_trns_chunk_warns_once_at_any_frame(tmp_path):
    """A frame after the first is drawn again from its file, opened anew: its tRNS chunk
    is said once, however the frame is read, and left out there too (opaque blue, not
    the chunk's alpha 7)."""
    trns = (b"tRNS", bytes([0, 128]) + bytes([7]) * 298)  # more values than any palette
    src = _apng(tmp_path / "p.png", 8, 3, [([1, 1, 1], 0, 1, 0), ([2], 2, 0, 0)],
                chunks=[_PLTE, trns])
    said = ("its tRNS chunk holds 300 alpha values, more than the 256 entries a palette "
            "has; it is left out, as libpng and browsers leave it, and the image is read as "
            "opaque")
    drawn = []
    for at in (0, 1):
        with warnings.catch_warnings(record=True) as caught, Image.open(src) as im:
            warnings.simplefilter("always")
            im.seek(at)
            rgb, alpha = as_rgba(im)
        drawn.append(np.dstack([rgb, np.full(rgb.shape[:2], 255) if alpha is None else alpha]))
        assert [str(w.message) for w in caught if w.category is TransparencyChunkWarning] == [
            said]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        frames = [f.rgba.tolist() for f in iter_frames(src)]
    assert [str(w.message) for w in caught if w.category is TransparencyChunkWarning] == [said]
    assert frames[1] == [[_CLEAR, _CLEAR, _BLUE]]
    assert [d.tolist() for d in drawn] == frames


@pytest.mark.parametrize(("colour_type", "below", "above", "shown"), [
    # (0, 0, 255) at alpha 128 over opaque red, red at alpha 100 and a transparent pixel
    (6, [[200, 0, 0, 255], [200, 0, 0, 100], [0, 0, 0, 0]], [[0, 0, 255, 128]] * 3,
     [[100, 0, 128, 255], [56, 0, 184, 178], [0, 0, 255, 128]]),
    (4, [[200, 255], [200, 100], [0, 0]], [[0, 128]] * 3,
     [[100, 100, 100, 255], [56, 56, 56, 178], [0, 0, 0, 128]]),
])
def test_a_translucent_frame_blends_over_the_canvas_as_the_png_specification_says(
        tmp_path, colour_type, below, above, shown):
    """Pillow blended the alpha too as if it were a colour: half-transparent blue over
    opaque red came out at alpha 191 instead of opaque, and over a transparent pixel at
    half its own colour and alpha. Expected, with a = 128/255 over alpha b:
    alpha a + b(1 - a), colour (above a + below b(1 - a)) / that alpha."""
    src = _apng(tmp_path / "a.png", 8, colour_type, [(below, 0, 0, 0), (above, 0, 0, 1)])
    assert [f.rgba[0].tolist() for f in iter_frames(src)][1] == shown


@pytest.mark.parametrize(("colour_type", "pixel", "shown"), [
    (6, [1, 2, 3, 255], [1, 2, 3, 255]), (2, [1, 2, 3], [1, 2, 3, 255]),
    (0, 7, [7, 7, 7, 255]),
])
def test_a_first_frame_disposed_to_previous_is_cleared(tmp_path, colour_type, pixel, shown):
    """The APNG specification: dispose_op PREVIOUS on the first frame is BACKGROUND."""
    src = _apng(tmp_path / "a.png", 8, colour_type, [([pixel] * 3, 0, 2, 0), ([pixel], 2, 0, 0)])
    assert [f.rgba[0].tolist() for f in iter_frames(src)] == [[shown] * 3,
                                                              [[0] * 4, [0] * 4, shown]]


@pytest.mark.parametrize(("colour_type", "chunks", "pixels", "hidden"), [
    (2, [], [[50, 60, 70], [1, 2, 3]], [100, 100, 100]),
    (0, [], [50, 60], 100),
    (3, [_PLTE], [1, 3], 0),
    (6, [], [[50, 60, 70, 255], [1, 2, 3, 128]], [100, 100, 100, 255]),
])
def test_a_pil_image_at_the_first_frame_after_a_default_image_reads_as_iter_frames(
        tmp_path, colour_type, chunks, pixels, hidden):
    """Moved there by the caller (seek(1)), not yet decoded: a grey, RGB or palette one was
    drawn by Pillow over the default image, which showed where the frame does not reach."""
    src = _apng(tmp_path / "a.png", 8, colour_type, [(pixels, 0, 0, 1), (pixels[:1], 2, 0, 0)],
                hidden=[hidden] * 3, chunks=chunks)
    first = next(iter_frames(src)).rgba
    assert first[0, 2].tolist() == [0] * 4
    with Image.open(src) as opened, pytest.warns(FirstFrameWarning):
        opened.seek(1)
        rgb, alpha = as_rgba(opened)
    np.testing.assert_array_equal(np.dstack([rgb, alpha]), first)


def _as_rgba_shown(image, **kwargs) -> np.ndarray:
    """as_rgba of ``image`` as one (H, W, 4) array, as iter_frames gives a frame."""
    rgb, alpha = as_rgba(image, **kwargs)
    return np.dstack([rgb, np.full(rgb.shape[:2], 255, np.uint8) if alpha is None else alpha])


def _apngs_pillow_composites_otherwise(tmp_path) -> list:
    """APNGs whose later frames Pillow composites otherwise than the APNG specification:
    what a disposal clears (grey, RGB, palette), a translucent pixel drawn over the canvas
    (RGBA, palette), a transparent colour (16-bit RGB, grey), after a default image."""
    return [
        _apng(tmp_path / "rgb.png", 8, 2, [([[50, 60, 70]] * 3, 0, 1, 0), ([[9, 8, 7]], 2, 0, 0),
                                          ([[1, 1, 1]], 0, 2, 1), ([[5, 5, 5]], 1, 0, 0)]),
        _apng(tmp_path / "gray.png", 8, 0, [([50, 50], 0, 0, 1), ([9], 2, 1, 0), ([7], 1, 0, 0)],
              hidden=[100] * 3),
        _apng(tmp_path / "rgba.png", 8, 6, [([[200, 0, 0, 255]] * 3, 0, 0, 0),
                                           ([[0, 0, 255, 128]] * 2, 1, 0, 1)]),
        _apng(tmp_path / "p.png", 8, 3, [([1, 1, 1], 0, 1, 0), ([3, 3], 1, 0, 1)],
              chunks=[_PLTE, (b"tRNS", bytes([255, 255, 255, 128]))]),
        _keyed_16_bit_apng(tmp_path / "k16.png", (20000, 300, 65535), default_image=True),
        _keyed_apng(tmp_path / "kl.png", "L", 7, 200),
    ]


def test_a_later_apng_frame_given_as_a_pil_image_is_drawn_as_iter_frames_draws_it(tmp_path):
    """Moved to a later frame (seek), decoded or not: it was the picture Pillow composites,
    where what a disposal cleared came out opaque black (palette entry 0), a translucent pixel
    over opaque red at alpha 191, and a 16-bit transparent colour matched on its high bytes
    (a colour next to it was made transparent too). The caller's image stays where it was."""
    for src in _apngs_pillow_composites_otherwise(tmp_path):
        frames = [f.rgba for f in iter_frames(src)]
        for k in range(len(frames)):
            for decoded in (False, True):
                with Image.open(src) as opened:
                    opened.seek(opened.tell() + k + bool(opened.info.get("default_image")))
                    at = opened.tell()
                    if decoded:
                        opened.load()
                    with warnings.catch_warnings():
                        warnings.simplefilter("error", CompositedFrameWarning)
                        warnings.simplefilter("error", TransparentColorWarning)
                        warnings.simplefilter("ignore", FirstFrameWarning)
                        got = _as_rgba_shown(opened)
                    assert opened.tell() == at
                np.testing.assert_array_equal(got, frames[k], err_msg=f"{src.name} {k}")


def test_the_first_frame_of_a_16_bit_rgb_apng_given_decoded_is_matched_on_all_16_bits(
        tmp_path):
    """Decoded at its first frame, its transparent colour was matched on its high bytes, with
    a TransparentColorWarning: the next pixel, of the same high bytes, came out transparent
    too. Its file is read again, as a later frame's is."""
    src = _keyed_16_bit_apng(tmp_path / "k16.png", (20000, 300, 65535))
    with Image.open(src) as opened:
        opened.load()
        with warnings.catch_warnings():
            warnings.simplefilter("error", TransparentColorWarning)
            warnings.simplefilter("ignore", FirstFrameWarning)
            got = _as_rgba_shown(opened)
        assert opened.tell() == 0
    assert got.tolist() == [[[78, 1, 255, 0], [78, 1, 255, 255], [0, 0, 255, 255]]]
    np.testing.assert_array_equal(got, next(iter_frames(src)).rgba)


@pytest.mark.parametrize("decoded", [False, True])
def test_a_later_16_bit_apng_frame_is_drawn_under_a_guard_the_caller_lowered_since_opening(
        tmp_path, monkeypatch, decoded):
    """Its file is opened again twice (the frames, and its 16-bit samples for the canvas): the
    second open kept Pillow's decompression-bomb guard, so that a frame the caller had
    opened came out as Pillow's error for a file of more pixels than the guard allows."""
    src = _keyed_16_bit_apng(tmp_path / "k16.png", (20000, 300, 65535))
    expected = [f.rgba for f in iter_frames(src)]
    with Image.open(src) as opened:
        opened.seek(2)
        if decoded:
            opened.load()
        monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1)  # 3 pixels: over twice that
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)  # nor warned of
            warnings.simplefilter("ignore", FirstFrameWarning)
            got = _as_rgba_shown(opened)
    np.testing.assert_array_equal(got, expected[2])
    assert Image.MAX_IMAGE_PIXELS == 1


def test_the_cases_apart_are_drawn_as_before(tmp_path):
    """The frames drawn, where Pillow's picture of them differs."""
    rgb, gray, rgba, palette, k16, _ = _apngs_pillow_composites_otherwise(tmp_path)
    expected = {rgb: (1, [[0, 0, 0, 0], [0, 0, 0, 0], [9, 8, 7, 255]]),
                rgba: (1, [[200, 0, 0, 255], [100, 0, 128, 255], [100, 0, 128, 255]]),
                palette: (1, [[0, 0, 0, 0], [10, 10, 10, 128], [10, 10, 10, 128]]),
                k16: (2, [[78, 1, 255, 0], [0, 0, 255, 255], [0, 0, 255, 255]]),
                gray: (3, [[50, 50, 50, 255], [7, 7, 7, 255], [0, 0, 0, 0]])}
    for src, (at, row) in expected.items():
        with Image.open(src) as opened, pytest.warns(FirstFrameWarning):
            opened.seek(at)
            assert _as_rgba_shown(opened)[0].tolist() == row
        assert composited(src)[at][0].tolist() != row


def test_a_decoded_apng_frame_is_drawn_again_from_the_file_it_names(tmp_path):
    """Its file closed (the with block over), it is opened again by its name."""
    src = _apngs_pillow_composites_otherwise(tmp_path)[0]
    with Image.open(src) as opened:
        opened.seek(2)
        opened.load()
    with pytest.warns(FirstFrameWarning):
        got = _as_rgba_shown(opened)
    assert got[0].tolist() == [[1, 1, 1, 255], [0, 0, 0, 0], [9, 8, 7, 255]]


_COMPOSITED = ("it is read as Pillow composited it, which differs from what players show "
               "where a frame's disposal cleared the canvas (opaque black, or palette entry "
               "0, in an APNG without alpha), where a translucent pixel was drawn over it, and "
               "where a default image that is not a frame shows through; "
               "pass the frame before it is decoded, its file open (Image.open, then seek), or "
               "read every frame with quantize.animation.iter_frames")


@pytest.mark.parametrize("how", ["file object", "changed pixels", "file replaced"])
def test_a_decoded_apng_frame_that_cannot_be_drawn_again_is_pillows_with_a_warning(tmp_path,
                                                                                  how):
    """A decoded frame opened from a file object, whose pixels were changed, or whose file
    was replaced, is read as it is (the caller's pixels are never replaced by the file's)."""
    src = _apngs_pillow_composites_otherwise(tmp_path)[0]
    data = src.read_bytes()
    opened = Image.open(io.BytesIO(data) if how == "file object" else src)
    opened.seek(1)
    opened.load()
    why = {"file object": "it was opened from a file object, not by its name",
           "changed pixels": f"its pixels are not Pillow's picture of that frame of '{src}' as "
                             "it reads now",
           "file replaced": f"its pixels are not Pillow's picture of that frame of '{src}' as "
                            "it reads now"}[how]
    if how == "changed pixels":
        opened.putpixel((2, 0), (9, 8, 6))
    if how == "file replaced":
        _apng(src, 8, 2, [([[50, 60, 70]] * 3, 0, 1, 0), ([[9, 8, 6]], 2, 0, 0)])
    with pytest.warns(CompositedFrameWarning) as caught, pytest.warns(FirstFrameWarning):
        got = _as_rgba_shown(opened)
    opened.close()
    [warning] = [w for w in caught if w.category is CompositedFrameWarning]
    assert str(warning.message) == (f"image is frame 2 of an APNG, already decoded, that "
                                    f"cannot be drawn again from its file ({why}): "
                                    + _COMPOSITED)
    shown = (9, 8, 6) if how == "changed pixels" else (9, 8, 7)
    assert got[0].tolist() == [[0, 0, 0, 255], [0, 0, 0, 255], [*shown, 255]]


def _rgb_apng(path, n: int):
    """An APNG of ``n`` RGB frames of 6x4 whose disposal clears them (drawn on a
    KeyedCanvas, not by Pillow), a bar moving down."""
    frames = []
    for i in range(n):
        f = np.full((4, 6, 3), (30, 60 + i, 90), np.uint8)
        f[i % 4] = (200, 10 * i, 0)
        frames.append(Image.fromarray(f))
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=40, disposal=1)
    return path


def test_an_apng_with_a_damaged_text_chunk_is_read_with_one_warning(tmp_path):
    """Its frames read twice (a fit, then the frames written), from the bytes kept."""
    src = _rgb_apng(tmp_path / "a.png", 3)
    expected = [f.rgba for f in iter_frames(src)]
    data = src.read_bytes()
    at = data.index(b"IEND") - 4
    text = b"tEXt" + b"Comment\0hi"
    src.write_bytes(data[:at] + struct.pack(">I", len(text) - 4) + text
                    + struct.pack(">I", zlib.crc32(text) ^ 1) + data[at:])
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        with open_animation(src) as animation:
            for _ in range(2):
                got = [f.rgba for f in animation.frames()]
                for frame, want in zip(got, expected, strict=True):
                    np.testing.assert_array_equal(frame, want)
    assert [str(w.message) for w in said] == [
        "bad CRC in a tEXt chunk, metadata the pixels do not depend on: it is left out, as "
        "libpng leaves a damaged optional chunk, and the image is read"]


def test_the_frames_of_an_apng_given_in_turn_are_each_decoded_once(tmp_path, monkeypatch):
    """Each frame was drawn again from the start of the file, and every chunk's CRC checked
    for each frame: the frames of an APNG given in turn (ImageSequence) were drawn
    1 + 2 + ... + n times, in time growing with the square of their number. What was drawn
    is kept while the image lives; a frame before the last one drawn (given again, or
    earlier) is drawn alike."""
    from quantize import io as io_module
    from quantize import png

    src = _rgb_apng(tmp_path / "a.png", 12)
    expected = [f.rgba for f in iter_frames(src)]
    draws, passes = [], []
    draw, walk = io_module.KeyedCanvas.draw, png._crc_damage
    monkeypatch.setattr(io_module.KeyedCanvas, "draw",
                        lambda canvas, frame: (draws.append(frame.tell()), draw(canvas, frame))[1])
    monkeypatch.setattr(png, "_crc_damage", lambda fp: (passes.append(1), walk(fp))[1])
    order = [*range(12), 11, 3, 4, 4]
    got = []
    with Image.open(src) as opened, warnings.catch_warnings():
        warnings.simplefilter("ignore", FirstFrameWarning)
        for at in order:
            opened.seek(at)
            got.append(_as_rgba_shown(opened))
    assert draws == [*range(12), *range(4), 4]  # frame 0 first: Pillow decodes it
    assert len(passes) == 1
    for at, frame in zip(order, got, strict=True):
        np.testing.assert_array_equal(frame, expected[at], err_msg=f"frame {at}")


def test_the_decoded_frames_of_an_apng_given_in_turn_are_each_drawn_once(tmp_path,
                                                                         monkeypatch):
    """Decoded first (seek, then load), each frame was drawn again from the start of the
    file opened by its name, which Pillow decoded up to it once more to check the frame's
    pixels: 400 frames in turn took 4.8 s. What was read is kept while the image lives;
    the frames are those iter_frames draws, whatever their disposal and blending."""
    from quantize import io as io_module

    draws = []
    draw = io_module.KeyedCanvas.draw
    monkeypatch.setattr(io_module.KeyedCanvas, "draw",
                        lambda canvas, frame: (draws.append(frame.tell()), draw(canvas, frame))[1])
    for src in [_rgb_apng(tmp_path / "a.png", 12), *_apngs_pillow_composites_otherwise(tmp_path)]:
        expected = [f.rgba for f in iter_frames(src)]
        hidden = int(src.name in ("gray.png", "k16.png"))  # a default image before the frames
        order = [*range(len(expected)), len(expected) - 1]
        got = []
        draws.clear()
        with Image.open(src) as opened, warnings.catch_warnings():
            warnings.simplefilter("error", CompositedFrameWarning)
            warnings.simplefilter("ignore", FirstFrameWarning)
            for at in order:
                opened.seek(at + hidden)
                opened.load()
                got.append(_as_rgba_shown(opened))
        for at, frame in zip(order, got, strict=True):
            np.testing.assert_array_equal(frame, expected[at], err_msg=f"{src.name} {at}")
        if src.name == "a.png":
            assert draws == list(range(12))  # frame 0 on its own: Pillow's picture of it


def test_the_frames_of_an_apng_given_in_turn_are_refused_from_the_first_short_one(tmp_path):
    """Its image data checked once for several frames ahead (not from the start of the file
    for each frame), a frame before the short one still reads, and the short one and those
    after it are refused as when each is read alone."""
    def frame(seq: int, rows: list[int]) -> list[tuple[bytes, bytes]]:
        data = zlib.compress(b"".join(b"\0" + bytes([v] * 6) for v in rows))
        return [(b"fcTL", struct.pack(">IIIIIHHBB", seq, 2, 2, 0, 0, 1, 10, 1, 0)),
                (b"IDAT", data) if seq == 0 else (b"fdAT", struct.pack(">I", seq + 1) + data)]

    src = tmp_path / "cut.png"
    src.write_bytes(png_of_chunks([(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)),
                                   (b"acTL", struct.pack(">II", 4, 0)), *frame(0, [10, 20]),
                                   *frame(1, [30, 40]), *frame(3, [50]), *frame(5, [7, 8]),
                                   (b"IEND", b"")]))
    refused = f"{src}: damaged PNG (image data of frame 3 ends after 1 of 2 rows)"
    with Image.open(src) as opened, warnings.catch_warnings():
        warnings.simplefilter("ignore", FirstFrameWarning)
        for at in (0, 1):
            opened.seek(at)
            np.testing.assert_array_equal(_as_rgba_shown(opened)[..., 0],
                                          [[10, 10], [20, 20]] if at == 0 else [[30, 30],
                                                                                  [40, 40]])
        for at in (2, 3):
            opened.seek(at)
            with pytest.raises(ImageReadError) as info:
                as_rgba(opened)
            assert str(info.value) == refused


def test_a_later_apng_frame_given_as_a_pil_image_is_refused_when_data_before_it_is_short(
        tmp_path):
    """Drawn again from the frames before it, whose data is checked as iter_frames checks
    it: frame 2's holds one of its two rows (Pillow left the other as the canvas was)."""
    def frame(seq: int, rows: list[int]) -> list[tuple[bytes, bytes]]:
        data = zlib.compress(b"".join(b"\0" + bytes([v] * 6) for v in rows))
        return [(b"fcTL", struct.pack(">IIIIIHHBB", seq, 2, 2, 0, 0, 1, 10, 0, 0)),
                (b"IDAT", data) if seq == 0 else (b"fdAT", struct.pack(">I", seq + 1) + data)]

    src = tmp_path / "cut.png"
    src.write_bytes(png_of_chunks([(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)),
                                   (b"acTL", struct.pack(">II", 3, 0)), *frame(0, [10, 20]),
                                   *frame(1, [30]), *frame(3, [50, 60]), (b"IEND", b"")]))
    assert _refusals_at_later_frames(src) == [
        f"{src}: damaged PNG (image data of frame 2 ends after 1 of 2 rows)"] * 4


def _refusals_at_later_frames(src: os.PathLike[str]) -> list[str]:
    """as_rgba's error for frames 1 and 2 of the APNG ``src``, each not decoded, then decoded."""
    messages = []
    for at, decoded in [(1, False), (2, False), (1, True), (2, True)]:
        with Image.open(src) as opened:
            opened.seek(at)
            if decoded:
                opened.load()
            with pytest.raises(ImageReadError) as info, pytest.warns(FirstFrameWarning):
                as_rgba(opened)
        messages.append(str(info.value))
    return messages


@pytest.mark.parametrize(("damaged", "rows", "expected"), [
    (7, [30, 40], "bad CRC in an fdAT chunk"),  # frame 3's, after the frame asked for too
    (None, [30], "image data of frame 2 ends after 1 of 2 rows"),
    (7, [30], "bad CRC in an fdAT chunk"),  # the chunks are checked first
])
def test_a_later_apng_frame_given_as_a_pil_image_is_refused_naming_the_damage_found_first(
        tmp_path, damaged, rows, expected):
    """Decoded or not, drawn again from its file, checked as iter_frames checks it. The
    damaged byte is in the first of frame 3's two chunks of stored (not compressed) data:
    Pillow decodes it to a changed pixel."""
    def frame(seq: int, values: list[int]) -> list[tuple[bytes, bytes]]:
        data = zlib.compress(b"".join(b"\0" + bytes([v] * 6) for v in values))
        return [(b"fcTL", struct.pack(">IIIIIHHBB", seq, 2, 2, 0, 0, 1, 10, 1, 0)),
                (b"IDAT", data) if seq == 0 else (b"fdAT", struct.pack(">I", seq + 1) + data)]

    third = [(b"fdAT", struct.pack(">I", seq) + data) for seq, (_, data) in
             enumerate(stored_idats(b"\0" + bytes([50] * 6) + b"\0" + bytes([60] * 6)), 4)]
    src = tmp_path / "bad.png"
    src.write_bytes(png_of_chunks([(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)),
                                   (b"acTL", struct.pack(">II", 3, 0)), *frame(0, [10, 20]),
                                   *frame(1, rows), frame(3, [])[0], *third, (b"IEND", b"")],
                                  damaged=damaged))
    assert _refusals_at_later_frames(src) == [f"{src}: damaged PNG ({expected})"] * 4


_OPAQUE, _ALPHA = [[50, 60, 70]] * 3, [[50, 60, 70, 128]] * 3


@pytest.mark.parametrize(("colour_type", "pixels", "frames", "chunks", "hidden", "alike"), [
    (2, _OPAQUE, [(0, 0), (2, 1), (0, 1)], [], None, True),    # replaced, put back, over
    (2, _OPAQUE, [(0, 0), (1, 0), (0, 0)], [], None, False),   # cleared: black in Pillow's
    (2, _OPAQUE, [(0, 0), (0, 0), (1, 0)], [], None, True),    # the last one's: not seen
    (2, _OPAQUE, [(2, 0), (0, 0)], [], None, False),           # back, from the first: cleared
    (2, _OPAQUE, [(0, 0), (0, 0)], [], [1, 2, 3] * 3, False),  # after a default image
    (0, [50] * 3, [(0, 1), (2, 0)], [], None, True),
    (0, [50] * 3, [(0, 1), (2, 0)], [(b"tRNS", struct.pack(">H", 50))], None, False),
    (3, [1] * 3, [(0, 1), (0, 1)], [_PLTE], None, True),
    (3, [1] * 3, [(0, 1), (0, 1)], [_PLTE, (b"tRNS", b"\xff\x80")], None, False),
    (6, _ALPHA, [(1, 0), (2, 0), (0, 0)], [], None, True),     # any disposal, replaced
    (6, _ALPHA, [(1, 0), (0, 0)], [], [[1, 2, 3, 4]] * 3, True),
    (6, _ALPHA, [(0, 0), (0, 1)], [], None, False),            # translucent over: blended
    (4, [[50, 128]] * 3, [(1, 0), (0, 0)], [], None, True),
    (4, [[50, 128]] * 3, [(0, 1), (0, 0)], [], None, False),
])
def test_an_apng_that_pillow_draws_alike_is_read_without_a_canvas_of_its_own(
        tmp_path, monkeypatch, colour_type, pixels, frames, chunks, hidden, alike):
    """Every APNG was drawn on a KeyedCanvas too, beside Pillow's own canvas: a copy of the
    picture (230 KB for frames of 320x180) that gives the same pixels when Pillow draws
    them as the APNG specification does. Its frames are the same, canvas or not."""
    from quantize import io as qio

    src = _apng(tmp_path / "a.png", 8, colour_type,
                [(pixels[: 3 - i % 2], i % 2, dispose, blend)
                 for i, (dispose, blend) in enumerate(frames)], hidden=hidden, chunks=chunks)
    with Image.open(src) as opened:
        here = opened.fp.tell()
        assert qio.drawn_alike_by_pillow(opened) is alike
        assert opened.fp.tell() == here  # left where it was
    canvases = []
    made = qio.KeyedCanvas.__init__
    monkeypatch.setattr(qio.KeyedCanvas, "__init__",
                        lambda self, *args: (canvases.append(args), made(self, *args))[1])
    got = [f.rgba for f in iter_frames(src)]
    assert len(canvases) == (0 if alike else 1)
    monkeypatch.setattr(qio.read, "drawn_alike_by_pillow", lambda im: False)
    drawn = [f.rgba for f in iter_frames(src)]
    assert len(got) == len(frames)
    assert all(np.array_equal(a, b) for a, b in zip(got, drawn, strict=True))
    if alike:
        assert all(np.array_equal(a, b)
                   for a, b in zip(got, composited(src)[bool(hidden):], strict=True))
    with Image.open(src) as opened, pytest.warns(FirstFrameWarning):
        opened.seek(len(frames) - 1 + bool(hidden))
        np.testing.assert_array_equal(_as_rgba_shown(opened), got[-1])


def test_the_frame_controls_of_an_apng_are_read_from_its_chunks(tmp_path):
    src = _apng(tmp_path / "a.png", 8, 2, [(_OPAQUE, 0, 1, 0), (_OPAQUE[:1], 2, 2, 1),
                                          (_OPAQUE[:2], 1, 0, 1)], hidden=[[0, 0, 0]] * 3)
    with open(src, "rb") as fp:
        fp.seek(5)
        assert frame_controls(fp) == [(1, 0), (2, 1), (0, 1)]
        assert fp.tell() == 5
    data = src.read_bytes()
    cut = tmp_path / "cut.png"
    cut.write_bytes(data[:data.rindex(b"fcTL") + 10])
    with open(cut, "rb") as fp:
        assert frame_controls(fp) is None


def _counted_image_data(monkeypatch) -> list:
    """The calls that inflate a PNG's image data again to count its bytes, from now on."""
    from quantize import png

    calls = []
    count = png._short_png_data
    monkeypatch.setattr(png, "_short_png_data",
                        lambda fp, images=None: (calls.append(images), count(fp, images))[1])
    return calls


@pytest.mark.parametrize(("last_row", "counted"), [(9, []), (0, [1])])
def test_a_still_pngs_image_data_is_counted_only_when_its_last_row_is_black(
        tmp_path, monkeypatch, last_row, counted):
    """iter_frames (and reduce_animation_file, twice) inflated a still PNG's image data
    again to count its rows, 0.1-0.5 s for 12 megapixels: decoded onto an image of its own,
    a still shows missing rows cheaply, as load_image finds them (its last row black)."""
    src = tmp_path / "still.png"
    pixels = np.full((3, 2, 3), 5, np.uint8)
    pixels[-1] = last_row
    Image.fromarray(pixels).save(src)
    calls = _counted_image_data(monkeypatch)
    [frame] = list(iter_frames(src))
    assert calls == counted
    np.testing.assert_array_equal(frame.rgba[..., :3], pixels)
    cut = tmp_path / "cut.png"  # two of its three rows: refused as before
    cut.write_bytes(png_of_chunks([(b"IHDR", struct.pack(">IIBBBBB", 2, 3, 8, 2, 0, 0, 0)),
                                   (b"IDAT", zlib.compress(b"\0" + bytes(6) + b"\0" + bytes(6))),
                                   (b"IEND", b"")]))
    with pytest.raises(ImageReadError) as info:
        list(iter_frames(cut))
    assert str(info.value) == f"{cut}: damaged PNG (image data ends after 2 of 3 rows)"


def test_an_apngs_image_data_is_counted_before_its_frames(tmp_path, monkeypatch):
    src = _apng(tmp_path / "a.png", 8, 2, [(_OPAQUE, 0, 0, 0), (_OPAQUE[:1], 2, 0, 0)])
    calls = _counted_image_data(monkeypatch)
    assert len(list(iter_frames(src))) == 2
    assert calls == [None]


def test_a_still_png_is_told_from_its_chunks_before_the_image_data(tmp_path):
    head = (b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
    idat, actl = (b"IDAT", zlib.compress(b"\0\x07")), (b"acTL", struct.pack(">II", 1, 0))
    files = {"still": [head, idat], "apng": [head, actl, idat],
             "actl_after_data": [head, idat, actl], "no_data": [head]}
    told = {}
    for name, chunks in files.items():
        with open(tmp_path / name, "wb+") as fp:
            fp.write(png_of_chunks([*chunks, (b"IEND", b"")]))
            fp.seek(3)
            told[name] = still_png(fp)
            assert fp.tell() == 3
    assert told == {"still": True, "apng": False, "actl_after_data": True, "no_data": False}
    with open(tmp_path / "gif", "wb+") as fp:
        fp.write(b"GIF89a" + bytes(20))
        assert still_png(fp) is False


def test_a_later_frame_of_an_apng_pillow_draws_alike_starts_on_a_clear_canvas(tmp_path):
    """After a default image that is not a frame, which showed where the frames do not
    reach in Pillow's picture of a later frame."""
    src = _apng(tmp_path / "a.png", 8, 6, [([[50, 60, 70, 255]], 0, 0, 0),
                                          ([[9, 9, 9, 255]], 1, 0, 0)],
                hidden=[[1, 2, 3, 255]] * 3)
    frames = [f.rgba[0].tolist() for f in iter_frames(src)]
    assert frames == [[[50, 60, 70, 255], [0] * 4, [0] * 4],
                      [[50, 60, 70, 255], [9, 9, 9, 255], [0] * 4]]
    for decoded in (False, True):
        with Image.open(src) as opened, pytest.warns(FirstFrameWarning):
            opened.seek(2)
            if decoded:
                opened.load()
            assert _as_rgba_shown(opened)[0].tolist() == frames[1]


def test_a_later_frame_of_an_apng_pillow_draws_alike_is_not_read_again(tmp_path,
                                                                        monkeypatch):
    """Not yet decoded, Pillow's picture of it is the frame: its file was read again up to
    it, and a loop over the n frames (given to reduce_colors, say) decoded n(n + 1) / 2."""
    from quantize import io as qio

    src = _apng(tmp_path / "a.png", 8, 2, [(_OPAQUE, 0, 0, 0), ([[1, 2, 3]], 2, 2, 1),
                                          ([[4, 5, 6]], 1, 0, 0)])
    frames = [f.rgba for f in iter_frames(src)]
    opened_again = []
    reader = qio.second_reader
    monkeypatch.setattr(qio.read, "second_reader",
                        lambda im: (opened_again.append(im), reader(im))[1])
    with Image.open(src) as opened, pytest.warns(FirstFrameWarning):
        for k in (1, 2):
            opened.seek(k)
            np.testing.assert_array_equal(_as_rgba_shown(opened), frames[k])
    assert opened_again == []


def test_a_frame_the_caller_dropped_is_not_kept_while_the_next_is_drawn(tmp_path,
                                                                        monkeypatch):
    """iter_frames held the last frame's pixels until the next frame's were made: two
    frames in memory at once where the caller keeps none."""
    import weakref

    src = _apng(tmp_path / "a.png", 8, 2, [(_OPAQUE, 0, 1, 0), ([[1, 2, 3]], 2, 0, 0)])
    frames = iter_frames(src)
    first = weakref.ref(next(frames).rgba)  # dropped at once
    alive = []
    convert = frames_module.frame_rgba
    monkeypatch.setattr(frames_module, "frame_rgba",
                        lambda frame, page, dark: (alive.append(first() is not None),
                                                   convert(frame, page, dark))[1])
    second = next(frames)
    assert alive == [False]
    assert second.rgba[0].tolist() == [[0] * 4, [0] * 4, [1, 2, 3, 255]]


def test_a_decoded_first_frame_after_a_default_image_warns_of_it(tmp_path):
    """Pillow drew it over the default image, which showed through: the warning named only
    the disposals and the translucent pixels."""
    src = _apng(tmp_path / "a.png", 8, 2, [([[50, 60, 70]], 0, 0, 0), ([[9, 8, 7]], 2, 0, 0)],
                hidden=[[1, 2, 3]] * 3)
    with Image.open(io.BytesIO(src.read_bytes())) as opened:
        opened.seek(1)
        opened.load()
        with pytest.warns(CompositedFrameWarning) as caught, pytest.warns(FirstFrameWarning):
            got = _as_rgba_shown(opened)
    [warning] = [w for w in caught if w.category is CompositedFrameWarning]
    assert warning.message.facts.startswith(
        "image is frame 1 of an APNG, already decoded, that cannot be drawn again from its "
        "file (it was opened from a file object, not by its name): ")
    assert warning.message.facts.endswith(
        "and where a default image that is not a frame shows through")
    assert got[0].tolist() == [[50, 60, 70, 255], [1, 2, 3, 255], [1, 2, 3, 255]]


def _oriented_animation(path, frames, orientation: int):
    exif = Image.Exif()
    exif[0x0112] = orientation
    return save_animation(path, frames, duration=100, exif=exif.tobytes(), lossless=True)


@pytest.mark.parametrize("suffix", [".png", ".webp"])
@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_frame_is_turned_upright_by_the_exif_orientation(tmp_path, suffix, orientation):
    """Frames came out as stored, while a still (and segment's first frame) came out upright."""
    rng = np.random.default_rng(orientation)
    stored = [rng.integers(0, 256, (3, 5, 3), dtype=np.uint8) for _ in range(2)]
    src = _oriented_animation(tmp_path / f"anim{suffix}", stored, orientation)
    exif = Image.Exif()
    exif[0x0112] = orientation
    expected = []
    for frame in stored:
        im = Image.fromarray(frame)
        im.info["exif"] = exif.tobytes()
        expected.append(np.asarray(ImageOps.exif_transpose(im)))
    got = [f.rgba for f in iter_frames(src)]
    assert len(got) == 2
    for frame, upright in zip(got, expected, strict=True):
        np.testing.assert_array_equal(frame[..., :3], upright)
        assert (frame[..., 3] == 255).all()
    info = probe_animation(src)
    assert info.size == expected[0].shape[1::-1]
    assert info.orientation == orientation


def test_an_xmp_orientation_alone_leaves_the_frames_as_stored(tmp_path):
    """An animated WebP whose XMP said tiff:Orientation 6, without EXIF, had its frames
    turned (Pillow's getexif takes the XMP's), where browsers show them as stored (an
    APNG's was left out already: its orientation is read from an eXIf chunk only)."""
    xmp = ('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/'
           '02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:tiff="http://ns.adobe'
           '.com/tiff/1.0/" tiff:Orientation="6"/></rdf:RDF></x:xmpmeta>')
    rng = np.random.default_rng(6)
    stored = [rng.integers(0, 256, (3, 5, 3), dtype=np.uint8) for _ in range(2)]
    src = save_animation(tmp_path / "anim.webp", stored, duration=100, lossless=True,
                         xmp=xmp.encode())
    with Image.open(src) as im:  # the file holds what the test means it to
        assert "exif" not in im.info and im.getexif().get(0x0112) == 6
    got = [f.rgba for f in iter_frames(src)]
    assert len(got) == 2
    for frame, as_stored in zip(got, stored, strict=True):
        np.testing.assert_array_equal(frame[..., :3], as_stored)
    info = probe_animation(src)
    assert (info.size, info.orientation) == ((5, 3), 1)


def test_a_reduced_animation_is_upright_as_its_first_frame_is_read_alone(tmp_path):
    upright = np.zeros((4, 6, 3), np.uint8)
    upright[:2] = RED  # red on top
    upright[2:] = BLUE
    stored = np.ascontiguousarray(np.rot90(upright))  # turned a quarter anticlockwise
    src = _oriented_animation(tmp_path / "turned.png", [stored, stored[::-1].copy()], 6)
    assert np.array_equal(load_image(src).rgb, upright)
    out = tmp_path / "out.png"
    reduce_animation_file(src, out, n_colors=2)
    first = composited(out)[0]
    assert first.shape == (4, 6, 4)
    np.testing.assert_array_equal(first[..., :3], upright)


def test_the_pages_of_a_turned_tiff_are_turned_once(tmp_path):
    """Pillow turns a TIFF's pages upright as it decodes them: turned again, they lay on
    their side."""
    rng = np.random.default_rng(8)
    stored = [rng.integers(0, 256, (3, 5, 3), dtype=np.uint8) for _ in range(2)]
    src = _oriented_animation(tmp_path / "scan.tif", stored, 8)
    got = [f.rgba[..., :3] for f in iter_frames(src)]
    for frame, page in zip(got, stored, strict=True):
        np.testing.assert_array_equal(frame, np.rot90(page))  # 8: a quarter anticlockwise
    assert probe_animation(src).size == (3, 5)


@pytest.mark.parametrize(("declared", "said"), [(3, "3 frames"), (1, "1 frame"),
                                               (7, "7 frames")])
def test_an_apng_holding_other_than_the_frames_its_actl_gives_is_refused(tmp_path, declared,
                                                                         said):
    # acTL gives fewer frames than the file holds (5): Pillow read that many and the others
    # were dropped without a word (with 1, the APNG became a still image). More: Pillow
    # looked for the sixth past IEND, "cannot decode image (image file is truncated)".
    src = save_animation(tmp_path / "five.png", moving_square(5), duration=100, loop=0)
    chunks = [(kind, data) for _, kind, data in chunks_of(src.read_bytes())]
    assert sum(kind == b"fcTL" for kind, _ in chunks) == 5
    chunks = [(kind, struct.pack(">II", declared, 0) if kind == b"acTL" else data)
              for kind, data in chunks]
    path = tmp_path / "a.png"
    path.write_bytes(png_of_chunks(chunks))
    message = (f"a.png: malformed APNG: its acTL chunk gives {said} but it holds 5 "
               "(fcTL chunks); expected the two counts to agree")
    with pytest.raises(ImageReadError, match=re.escape(message)):
        probe_animation(path)
    with pytest.raises(ImageReadError, match=re.escape(message)):
        reduce_file(path, tmp_path / "out.png", n_colors=4)
    result = CliRunner().invoke(app, ["reduce", str(path), "-k", "4", "-o",
                                      str(tmp_path / "out.gif")])
    assert result.exit_code == 1
    assert result.output.strip().endswith(message)
    assert not (tmp_path / "out.gif").exists()
    assert not (tmp_path / "out.png").exists()


def _with_actl_count(src, path, count: int):
    """``src``, an APNG, written to ``path`` with ``count`` as its acTL chunk's frame
    count, the chunk's CRC computed again."""
    chunks = [(kind, data) for _, kind, data in chunks_of(src.read_bytes())]
    path.write_bytes(png_of_chunks([(kind, struct.pack(">I", count) + data[4:]
                                     if kind == b"acTL" else data) for kind, data in chunks]))
    return path


@pytest.mark.parametrize(("declared", "said"), [(0, "0 frames"),
                                               (0x80000001, "2147483649 frames")])
def test_an_apng_refused_for_its_actl_count_is_said_with_the_count_the_chunk_gives(
        tmp_path, declared, said):
    """Pillow reads an acTL count of 0, or over 2**31, as a still (1 frame): the error said
    "gives 1 frame", which the file's chunk does not."""
    src = save_animation(tmp_path / "five.png", moving_square(5), duration=100, loop=0)
    path = _with_actl_count(src, tmp_path / "a.png", declared)
    message = (f"a.png: malformed APNG: its acTL chunk gives {said} but it holds 5 "
               "(fcTL chunks); expected the two counts to agree")
    with pytest.raises(ImageReadError, match=re.escape(message)):
        probe_animation(path)


def test_an_apng_whose_actl_gives_ffmpegs_unknown_count_is_read_with_every_frame(tmp_path):
    """ffmpeg writing an APNG to a pipe (``-f apng -``) cannot go back to write the count
    in its acTL chunk and leaves 0xFFFFFFFF there: the file was refused as malformed. Its
    frames are the fcTL chunks', every one read, as from the file with the count in."""
    src = save_animation(tmp_path / "five.png", moving_square(5), duration=100, loop=0)
    path = _with_actl_count(src, tmp_path / "piped.png", 0xFFFFFFFF)
    assert probe_animation(path).n_frames == 5
    got = [f.rgba for f in iter_frames(path)]
    want = [f.rgba for f in iter_frames(src)]
    assert len(got) == 5
    for one, other in zip(got, want, strict=True):
        np.testing.assert_array_equal(one, other)
    out = tmp_path / "out.png"
    result = CliRunner().invoke(app, ["reduce", "-", "-k", "4", "-o", str(out)],
                                input=path.read_bytes())
    assert result.exit_code == 0, result.output
    assert Image.open(out).n_frames == 5
    reduce_file(src, tmp_path / "ref.png", n_colors=4)
    assert out.read_bytes() == (tmp_path / "ref.png").read_bytes()


def _frames_read(frames) -> list:
    return [(frame.rgba.tolist(), frame.duration, frame.disposal) for frame in frames]


@pytest.mark.parametrize("suffix", [".gif", ".png", ".webp"])
def test_an_open_animation_reads_its_frames_again_without_opening_its_file_by_name(
        tmp_path, monkeypatch, suffix):
    """Each reading of the frames (a job reads them for its fit, then to write them) opened
    the file by its name again and probed it again: three openings a reading, Pillow
    counting a GIF's frames, which means reading the whole file, at each."""
    src = save_animation(tmp_path / f"in{suffix}", moving_square(3), duration=100, loop=0,
                         **({"lossless": True} if suffix == ".webp" else {}))
    expected = _frames_read(iter_frames(src))
    opened, real = [], Image.open

    def counted(fp, *args, **kwargs):
        opened.append(fp)
        return real(fp, *args, **kwargs)

    monkeypatch.setattr(Image, "open", counted)
    with open_animation(src) as animation:
        assert animation.info == probe_animation(src)
        opened.clear()
        readings = [_frames_read(animation.frames()) for _ in range(3)]
    assert readings == [expected] * 3
    assert not [fp for fp in opened if isinstance(fp, str | os.PathLike)]
    with pytest.raises(ValueError, match="the animation was closed"):
        next(animation.frames())


def test_a_file_put_in_place_of_an_open_animation_is_not_read(tmp_path):
    """Its frames are read again from the file opened, as they were first read."""
    src = save_animation(tmp_path / "in.gif", moving_square(3), duration=100, loop=0)
    other = save_animation(tmp_path / "other.gif", moving_square(2, size=8), duration=50)
    with open_animation(src) as animation:
        first = _frames_read(animation.frames())
        os.replace(other, src)
        assert _frames_read(animation.frames()) == first


def test_an_open_animation_written_over_in_place_is_refused(tmp_path):
    """Its frames would no longer be those its info (frame count, size) describes."""
    src = save_animation(tmp_path / "in.gif", moving_square(3), duration=100, loop=0)
    other = save_animation(tmp_path / "other.gif", moving_square(2, size=8), duration=50)
    with open_animation(src) as animation:
        _frames_read(animation.frames())
        with open(src, "r+b") as f:
            f.write(other.read_bytes())
            f.truncate()
        with pytest.raises(ImageReadError) as refused:
            next(animation.frames())
    assert str(refused.value) == (f"{src}: changed while it was read (its size or time "
                                  "differ from when it was opened); run again once it is "
                                  "written")


@pytest.mark.parametrize("suffix", [".png", ".webp"])
def test_an_animation_taken_from_an_open_input_is_read_once_that_is_closed(tmp_path, suffix):
    """reduce_file hands the animation it opened to the job and lets its own opening go
    (a WebP's decoder holds two frames of its canvas): the frames are read from the
    descriptor the animation keeps, until it is closed."""
    src = save_animation(tmp_path / f"in{suffix}", moving_square(3), duration=100, loop=0,
                         **({"lossless": True} if suffix == ".webp" else {}))
    expected = _frames_read(iter_frames(src))
    with open_input(src) as source:
        animation = opened_animation(source, None)
    with animation:
        assert (animation.info, _frames_read(animation.frames())) == (probe_animation(src),
                                                                      expected)
    with pytest.raises(ValueError, match="the animation was closed"):
        next(animation.frames())
