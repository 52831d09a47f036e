"""The file boundary: every input mode, orientation, profile and broken file."""

from __future__ import annotations

import errno
import io
import os
import re
import stat
import struct
import subprocess
import sys
import threading
import warnings
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageCms, PngImagePlugin

from quantize import reduce_colors
from quantize._validation import shown_value
from quantize.animation import iter_frames
from quantize.errors import ImageReadError, OutputError, OutputExistsError, TextLeftOutWarning
from quantize.io import (
    GIF_ALPHA_THRESHOLD,
    ColorProfileWarning,
    DamagedExifWarning,
    FourthChannelWarning,
    LoadedImage,
    PagesLeftOutWarning,
    PixelRangeWarning,
    SamplesLeftOutWarning,
    StretchAdvice,
    TransparencyChunkWarning,
    TransparentColorWarning,
    as_rgba,
    as_rgba_ranged,
    as_rgba_stretched,
    atomic_write,
    check_output_folder,
    check_output_path,
    exif_orientation,
    first_page,
    folder_made,
    frame_rgba,
    load_image,
    probe_image,
    save_pil,
    shared_landing,
    write_together,
)
from tests.cli_support import run_in_process
from tests.corpus.generate import (
    ORIENTATION_6,
    build_corpus,
    exif_of_tags,
    linear_gray_icc,
    linear_rgb_icc,
    png_of_chunks,
    stored_idats,
)
from tests.reduce_support import gif_blocks


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> dict[str, Path]:
    return build_corpus(tmp_path_factory.mktemp("corpus"))


@pytest.mark.parametrize(("name", "match"), [
    ("zero_byte.png", "file is empty"),
    ("truncated.png", "truncated"),
    ("truncated.jpg", "truncated"),
    ("text.jpg", "not an image"),
    ("bomb.png", "100000x100000 = 10,000,000,000 pixels exceeds the limit"),
    ("a_directory.png", "is a directory"),
])
def test_unreadable_files_raise_one_line_naming_the_file(corpus, name, match):
    with pytest.raises(ImageReadError, match=match) as info:
        load_image(corpus[name])
    message = str(info.value)
    assert message.startswith(str(corpus[name]))
    assert "\n" not in message


def _pages_cut_at_half(fmt: str) -> bytes:
    """Three 8x6 frames (GIF) or pages (TIFF), the file cut at half its size (a GIF inside
    the few bytes of its second frame's graphic control extension, where Pillow's reader
    fails: cut inside a frame, it keeps the whole frames before it)."""
    frames = [Image.new("RGB", (8, 6), c) for c in [(255, 0, 0), (0, 255, 0), (0, 0, 255)]]
    buf = io.BytesIO()
    frames[0].save(buf, fmt, save_all=True, append_images=frames[1:])
    data = buf.getvalue()
    if fmt == "GIF":
        return data[:data.index(b"\x21\xf9\x04", data.index(b"\x21\xf9\x04") + 1) + 5]
    return data[: buf.tell() // 2]


@pytest.mark.parametrize(("fmt", "reason"), [("GIF", "index out of range"),
                                             ("TIFF", "Missing dimensions")])
def test_a_cut_animation_or_multipage_file_is_a_read_error(tmp_path, fmt, reason):
    """Pillow's parsers fail on these with IndexError and TypeError, which escaped as such:
    the command line showed 'IndexError at GifImagePlugin.py:301' or a traceback."""
    src = tmp_path / f"cut.{fmt.lower()}"
    src.write_bytes(_pages_cut_at_half(fmt))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Pillow's "Corrupt EXIF data" of the cut TIFF
        with pytest.raises(ImageReadError) as info:
            load_image(src)
    assert str(info.value) == (f"{src}: cannot decode image (truncated or malformed file: "
                               f"{reason})")


@pytest.mark.parametrize("animated", [False, True])
def test_a_cut_webp_is_named_a_damaged_file_not_a_decoder_object(tmp_path, animated):
    """libwebp's refusal reached the user in Pillow's words: 'cannot decode image (could
    not create decoder object)'."""
    frames = [Image.new("RGB", (8, 6), c) for c in [(255, 0, 0), (0, 0, 255)]]
    buf = io.BytesIO()
    frames[0].save(buf, "WEBP", lossless=True, save_all=animated,
                   append_images=frames[1:] if animated else [])
    src = tmp_path / "cut.webp"
    src.write_bytes(buf.getvalue()[: buf.tell() * 9 // 10])
    assert _refused_alike(src) == (f"{src}: cannot decode image (truncated or malformed "
                                   "file: its decoder cannot read it)")


def _refused_alike(src: Path) -> str:
    """The one error of reading ``src`` as a still and as frames (the same words)."""
    with pytest.raises(ImageReadError) as still:
        load_image(src)
    with pytest.raises(ImageReadError) as frames:
        list(iter_frames(src))
    assert str(frames.value) == str(still.value)
    return str(still.value)


def test_a_jpeg_cut_in_its_headers_is_named_truncated_as_other_cut_files_are(tmp_path):
    """Pillow's reader of a segment that ends early said 'Truncated File Read'."""
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buf, "JPEG")
    src = tmp_path / "cut.jpg"
    src.write_bytes(buf.getvalue()[:200])
    with pytest.raises(ImageReadError) as info:
        load_image(src)
    assert str(info.value) == f"{src}: cannot decode image (image file is truncated)"


@pytest.mark.parametrize("name, head, fmt", [
    ("clip.mpg", bytes.fromhex("000001b3") + bytes([0x14, 0x00, 0xF0, 0x13]), "MPEG"),
    ("data.h5", b"\x89HDF\r\n\x1a\n", "HDF5"),
])
def test_a_file_pillow_identifies_but_cannot_decode_says_so(tmp_path, name, head, fmt):
    # An MPEG clip was "truncated or malformed", an HDF5 file "image has no pixels (0x0)".
    src = tmp_path / name
    src.write_bytes(head + bytes(200))
    assert _refused_alike(src) == (f"{src}: {fmt} file: Pillow reads its header but cannot "
                                   "decode its pixels; expected an image")


EPS = (b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 8 8\n%%EndComments\n"
       b"1 0 0 setrgbcolor 0 0 8 8 rectfill\nshowpage\n")


@pytest.mark.parametrize("name", ["page.eps", "page.ps", "photo.png"])
def test_postscript_is_refused_whatever_its_name_and_ghostscript_never_runs(
        tmp_path, monkeypatch, name):
    # Pillow drew an EPS file by running Ghostscript on it (when installed), a risk in a
    # folder from elsewhere; opening one reads its header only.
    from PIL import EpsImagePlugin

    def ran(*args, **kwargs):
        raise AssertionError("Ghostscript was run")

    monkeypatch.setattr(EpsImagePlugin, "Ghostscript", ran)
    src = tmp_path / name
    src.write_bytes(EPS)
    assert _refused_alike(src) == (
        f"{src}: EPS/PostScript file: Pillow draws it by running Ghostscript on the program "
        "it holds, which quantize does not do; expected an image (if you trust the file, "
        "convert it first: gs -dSAFER -sDEVICE=png16m -r150 -o page.png file.eps)")
    with pytest.raises(ImageReadError, match="EPS/PostScript file"):
        probe_image(src)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_an_exif_block_without_its_tiff_header_is_no_orientation(tmp_path, fmt):
    # Pillow opens such a file; its orientation's reading refused it: "cannot decode image
    # (not a TIFF file (header b'garbage!' not valid))".
    src = tmp_path / f"a.{fmt.lower()}"
    Image.new("RGB", (6, 4), (200, 30, 30)).save(src, fmt, exif=b"Exif\x00\x00garbage!")
    loaded = load_image(src)
    assert loaded.rgb.shape == (4, 6, 3)
    with Image.open(src) as im:
        assert exif_orientation(im) == 1


def _gif_lzw_size_at(data: bytes) -> int:
    """Where the LZW minimum code size of the first image of the GIF ``data`` is."""
    at = 13 + (3 * 2 ** ((data[10] & 7) + 1) if data[10] & 0x80 else 0)  # after the colours
    while data[at] == 0x21:  # an extension: introducer, label, then its sub-blocks
        at += 2
        while data[at]:
            at += data[at] + 1
        at += 1
    return at + 10 + (3 * 2 ** ((data[at + 9] & 7) + 1) if data[at + 9] & 0x80 else 0)


@pytest.mark.parametrize(("fmt", "change", "reason"), [
    ("JPEG", lambda d: d.__setitem__(20, d[20] ^ 0xFF),  # its quantization table's marker
     "malformed file: its image data is damaged"),
    # the width in a lossless WebP's VP8L header: libwebp's "failed to read next frame"
    ("WEBP", lambda d: d.__setitem__(21, d[21] ^ 0xFF),
     "truncated or malformed file: its decoder cannot read a frame"),
    ("GIF", lambda d: d.__setitem__(_gif_lzw_size_at(d), 12),  # LZW codes of 13 bits
     "malformed file: its image data is damaged"),
    ("GIF", lambda d: d.__setitem__(_gif_lzw_size_at(d), 255),
     "malformed file: its header describes image data its decoder cannot read"),
])
def test_damaged_image_data_is_named_so_not_as_a_broken_data_stream(tmp_path, fmt, change,
                                                                     reason):
    """Pillow's words for its decoders' errors reached the user: 'cannot decode image
    (broken data stream when reading image file)', '(codec configuration error when
    reading image file)', '(failed to read next frame)'."""
    buf = io.BytesIO()
    Image.new("RGB", (8, 6), (200, 30, 30)).save(buf, fmt, lossless=True)
    data = bytearray(buf.getvalue())
    change(data)
    src = tmp_path / f"bad.{fmt.lower()}"
    src.write_bytes(data)
    with pytest.raises(ImageReadError) as info:
        load_image(src)
    assert str(info.value) == f"{src}: cannot decode image ({reason})"


def _jpeg_without_its_scan(path):
    """An 8x6 JPEG whose start-of-scan marker (FF DA) lost its FF."""
    buf = io.BytesIO()
    Image.new("RGB", (8, 6), (200, 30, 30)).save(buf, "JPEG")
    data = bytearray(buf.getvalue())
    data[data.index(b"\xff\xda")] = 0
    path.write_bytes(data)
    return path


def _xpm_of_a_named_colour(path):
    """A 2x1 XPM whose first colour is given by name, which Pillow's reader does not take."""
    path.write_bytes(b'/* XPM */\nstatic char *x[] = {\n"2 1 2 1",\n"a c red",\n'
                     b'"b c #0000FF",\n"ab"\n};\n')
    return path


def _xpm_of_a_bad_hex_colour(path):
    """A 2x1 XPM whose first colour, #FFzz00, is no hexadecimal number."""
    path.write_bytes(b'/* XPM */\nstatic char *x[] = {\n"2 1 2 1",\n"a c #FFzz00",\n'
                     b'"b c #0000FF",\n"ab"\n};\n')
    return path


@pytest.mark.parametrize(("name", "make", "reason"), [
    ("bad.jpg", _jpeg_without_its_scan, "truncated or malformed file: no image data follows "
                                        "its headers"),
    ("bad.xpm", _xpm_of_a_named_colour, "malformed file: an entry of its colour table is "
                                        "not 'c #rrggbb' or 'c None', the colours its "
                                        "decoder reads"),
    # Python's own words reached the user: 'invalid literal for int() with base 16: ...'
    ("hex.xpm", _xpm_of_a_bad_hex_colour, "malformed file: a number in its header cannot "
                                          "be read"),
])
def test_a_file_pillow_cannot_load_is_named_damaged_in_our_words(tmp_path, name, make,
                                                                 reason):
    """Pillow's 'cannot load this image' and 'cannot read this XPM file' reached the user."""
    src = make(tmp_path / name)
    with pytest.raises(ImageReadError) as info:
        load_image(src)
    assert str(info.value) == f"{src}: cannot decode image ({reason})"
    with pytest.raises(ImageReadError) as info:
        list(iter_frames(src))
    assert str(info.value) == f"{src}: cannot decode image ({reason})"
    if name.endswith(".jpg"):  # Image.open refuses the XPMs itself
        with Image.open(src) as im, pytest.raises(ImageReadError) as info:
            as_rgba(im)  # an image without tile: it was Pillow's bare OSError
        assert str(info.value) == f"{src}: cannot decode image ({reason})"


def test_an_error_of_quantize_itself_is_not_called_a_damaged_file(corpus, monkeypatch):
    def broken(im, page, reading):
        raise IndexError("a defect of quantize")

    monkeypatch.setattr("quantize.io.read._pil_to_rgba", broken)
    with pytest.raises(IndexError, match="a defect of quantize"):
        load_image(corpus["good.png"])


def test_an_unreadable_file_is_not_called_undecodable(corpus, monkeypatch):
    """It said 'cannot decode image ([Errno 13] Permission denied: '<path>')'."""
    def denied(fp, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(fp))

    monkeypatch.setattr(Image, "open", denied)
    with pytest.raises(ImageReadError) as info:
        load_image(corpus["good.png"])
    assert str(info.value) == f"{corpus['good.png']}: cannot read the file (Permission denied)"


def test_a_file_in_a_folder_without_permission_is_an_unreadable_file(corpus, monkeypatch):
    """Without search permission on its folder, even looking the file up fails: the
    PermissionError of that check escaped as is, and a batch stopped on it."""
    import quantize.animation.frames as frames

    good = corpus["good.png"]
    stat = os.stat

    def denied(path, *args, **kwargs):
        if os.fspath(path) == os.fspath(good):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return stat(path, *args, **kwargs)

    monkeypatch.setattr(os, "stat", denied)
    for read in (load_image, lambda p: next(iter_frames(p)), frames.probe_animation):
        with pytest.raises(ImageReadError) as info:
            read(good)
        assert str(info.value) == f"{good}: cannot read the file (Permission denied)"


_IHDR_2X1 = (b"IHDR", struct.pack(">IIBBBBB", 2, 1, 8, 2, 0, 0, 0))  # 2x1 8-bit RGB
_ROW = b"\0" + bytes([10, 20, 30, 40, 50, 60])


def _apng_chunks() -> list[tuple[bytes, bytes]]:
    """A 2x1 APNG of two frames, the second's data in fdAT chunks (index 7 and 8)."""
    def fctl(seq: int) -> tuple[bytes, bytes]:
        return b"fcTL", struct.pack(">IIIIIHHBB", seq, 2, 1, 0, 0, 1, 10, 0, 0)

    second = [(b"fdAT", struct.pack(">I", seq) + data)
              for seq, (_, data) in enumerate(stored_idats(b"\0" + bytes(range(6))), start=2)]
    return [_IHDR_2X1, (b"acTL", struct.pack(">II", 2, 0)), fctl(0),
            *stored_idats(_ROW), fctl(1), *second, (b"IEND", b"")]


@pytest.mark.parametrize(("chunk", "kind"), [
    ((b"tRNS", bytes([0, 9, 0, 9, 0, 9])), "a tRNS"),   # the transparency
    ((b"eXIf", b"MM\0*\0\0\0\x08\0\0"), "an eXIf"),    # the orientation
    ((b"sRGB", b"\0"), "an sRGB"),                      # the colours (it overrides gAMA)
])
def test_a_bad_crc_in_an_optional_chunk_of_the_pixels_is_refused(tmp_path, chunk, kind):
    bad = tmp_path / "bad.png"
    bad.write_bytes(png_of_chunks([_IHDR_2X1, chunk, *stored_idats(_ROW), (b"IEND", b"")],
                                  damaged=1))
    with pytest.raises(ImageReadError) as info:
        load_image(bad)
    assert str(info.value) == f"{bad}: damaged PNG (bad CRC in {kind} chunk)"


@pytest.mark.parametrize("before", [True, False])
def test_a_bad_crc_in_a_text_chunk_is_a_warning_and_the_image_is_read(tmp_path, before):
    """It was refused ("damaged PNG (bad CRC in a tEXt chunk)", exit 1), where pngquant
    reads the file, and libpng, by default, warns and leaves such a chunk out. Before
    the image data Pillow refuses it itself: the file was "damaged" the same."""
    text = (b"tEXt", b"Comment\0a bit flipped")
    chunks = ([_IHDR_2X1, text, (b"pHYs", struct.pack(">IIB", 3780, 3780, 1)),
               *stored_idats(_ROW), (b"IEND", b"")] if before else
              [_IHDR_2X1, *stored_idats(_ROW), text, (b"IEND", b"")])
    bad = tmp_path / "bad.png"
    bad.write_bytes(png_of_chunks(chunks, damaged=1 if before else 3))
    with pytest.warns(UserWarning) as said:
        loaded = load_image(bad)
    np.testing.assert_array_equal(loaded.rgb, [[[10, 20, 30], [40, 50, 60]]])
    assert [str(w.message) for w in said] == [
        "bad CRC in a tEXt chunk, metadata the pixels do not depend on: it is left out, as "
        "libpng leaves a damaged optional chunk, and the image is read"]
    if before:  # the chunks left whole are read
        assert loaded.dpi == (96.0, 96.0)
        assert probe_image(bad) == (2, 1)


@pytest.mark.parametrize("second, said", [
    ((b"tIME", bytes(7)), "a tEXt chunk and a tIME chunk"),
    # two of one type were said as "a tEXt chunk ... it is left out"
    ((b"tEXt", b"Title\0y"), "2 tEXt chunks"),
])
def test_bad_crcs_in_two_optional_chunks_are_named_in_one_warning(tmp_path, second, said):
    bad = tmp_path / "bad.png"
    chunks = [_IHDR_2X1, (b"tEXt", b"Comment\0x"), second, *stored_idats(_ROW),
              (b"IEND", b"")]
    data = bytearray(png_of_chunks(chunks, damaged=1))
    at = data.index(second[0], data.index(b"tEXt") + 4)
    data[at + 4 + 6] ^= 1  # the second damaged too
    bad.write_bytes(bytes(data))
    with pytest.warns(UserWarning) as caught:
        loaded = load_image(bad)
    np.testing.assert_array_equal(loaded.rgb, [[[10, 20, 30], [40, 50, 60]]])
    assert [str(w.message) for w in caught] == [
        f"bad CRC in {said}, metadata the pixels do not depend on: they are left out, as "
        "libpng leaves a damaged optional chunk, and the image is read"]


def _loaded_with_exif(tmp_path, exif: bytes, fmt: str = "PNG"):
    """A 2 x 3 image, white in its top left corner, saved as ``fmt`` with ``exif`` and
    loaded: the texts of the DamagedExifWarnings said, and the image loaded."""
    src = tmp_path / "camera.img"
    pixels = np.zeros((2, 3, 3), np.uint8)
    pixels[0, 0] = 255
    Image.fromarray(pixels).save(src, fmt, exif=exif, quality=100, lossless=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loaded = load_image(src)
    return [str(w.message) for w in caught if w.category is DamagedExifWarning], loaded


@pytest.mark.parametrize("fmt", ["PNG", "WEBP", "JPEG"])
def test_an_exif_whose_directory_lies_past_its_end_is_ignored_with_a_warning(tmp_path, fmt):
    """Pillow's own words came out: "Corrupt EXIF data. Expecting to read 2 bytes but only
    got 0.", which said neither that the orientation was ignored nor that it was read."""
    said, loaded = _loaded_with_exif(tmp_path, b"Exif\0\0II*\0\x10\x27\0\0", fmt)
    assert said == [  # once
        "its EXIF data is damaged (its first directory of tags, at byte 10000, lies past its "
        "end, at byte 8); the image is read as stored, as no orientation read before the "
        "damage turns it"]
    assert loaded.shape == (2, 3)  # as stored
    assert loaded.rgb[0, 0].min() > 200 and loaded.rgb[1, 2].max() < 50


@pytest.mark.parametrize("fmt", ["PNG", "WEBP", "JPEG"])
def test_an_orientation_read_before_an_exif_is_cut_turns_the_image(tmp_path, fmt):
    """A directory of two tags cut after the first, an orientation of 6: Pillow turned the
    image by it, and the first words of our own for the damage ignored it."""
    exif = (b"Exif\0\0MM\0*" + struct.pack(">IH", 8, 2)
            + struct.pack(">HHIHH", 0x0112, 3, 1, 6, 0) + bytes(6))
    said, loaded = _loaded_with_exif(tmp_path, exif, fmt)
    assert said == [
        "its EXIF data is damaged (its first directory, of 2 tags, ends at byte 38, past its "
        "end, at byte 28); the orientation read before the damage, 6, is applied"]
    assert loaded.shape == (3, 2)  # turned a quarter clockwise: the corner goes top right
    assert loaded.rgb[0, 1].min() > 200 and loaded.rgb[2, 0].max() < 50


_MAKE_OF_1000 = (0x010F, 2, 1000, struct.pack(">I", 8))  # more bytes than the block's 38
_MAKE_PAST_END = (0x010F, 2, 10, struct.pack(">I", 30))  # bytes 30 to 40 of 38
_VALUE_OUTSIDE = {
    "larger": ((_MAKE_OF_1000, ORIENTATION_6), (3, 2),
               "tag 271 (Make) gives a value of 1000 bytes, more than the 38 of the EXIF data); "
               "that tag is skipped, and the orientation, 6, is applied"),
    "past, then the orientation": (
        (_MAKE_PAST_END, ORIENTATION_6), (2, 3),
        "the value of tag 271 (Make), 10 bytes at byte 30, runs past the end of the EXIF data, "
        "at byte 38); that tag and the 1 after it are ignored, the orientation, 6, among them, "
        "so the image is read as stored"),
    "the orientation, then past": (
        (ORIENTATION_6, _MAKE_PAST_END), (3, 2),
        "the value of tag 271 (Make), 10 bytes at byte 30, runs past the end of the EXIF data, "
        "at byte 38); that tag is ignored, and the orientation, 6, is applied"),
    "larger, no orientation": (
        (_MAKE_OF_1000, (0x0131, 2, 4, b"abc\0")), (2, 3),
        "tag 271 (Make) gives a value of 1000 bytes, more than the 38 of the EXIF data); "
        "that tag is skipped; no orientation is read, so the image is read as stored"),
}


@pytest.mark.parametrize("fmt", ["PNG", "WEBP", "JPEG"])
@pytest.mark.parametrize("case", list(_VALUE_OUTSIDE))
def test_an_exif_tag_whose_value_is_not_in_the_block_is_said_in_words_of_our_own(
        tmp_path, fmt, case):
    """Pillow's words came out: "Tag data larger than file. Skipping tag 271" and "Truncated
    File Read", which said neither which tag was lost nor whether the orientation was."""
    tags, shape, said = _VALUE_OUTSIDE[case]
    damage, loaded = _loaded_with_exif(tmp_path, exif_of_tags(*tags), fmt)
    assert damage == [f"its EXIF data is damaged ({said}"]  # once
    assert loaded.shape == shape  # (3, 2): turned a quarter clockwise
    corner = (0, 1) if shape == (3, 2) else (0, 0)
    assert loaded.rgb[corner].min() > 200


def test_an_exif_whose_values_are_all_in_it_gives_no_warning(tmp_path):
    src = tmp_path / "camera.jpg"
    make = (0x010F, 2, 8, struct.pack(">I", 38))
    exif = exif_of_tags(make, ORIENTATION_6) + b"Camera\0\0"  # the make's 8 bytes at 38
    Image.new("RGB", (3, 2)).save(src, exif=exif)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert load_image(src).shape == (3, 2)


@pytest.mark.parametrize("kind, value", [(4, struct.pack(">L", 6)),
                                         (8, struct.pack(">h", 6) + bytes(2))])
def test_an_orientation_of_another_integer_type_before_the_cut_turns_the_image(tmp_path, kind,
                                                                                value):
    """A LONG (or SSHORT) orientation, which Pillow reads as it reads a SHORT, was taken
    for none when the directory holding it was cut short."""
    exif = (b"Exif\0\0MM\0*" + struct.pack(">IH", 8, 3)
            + struct.pack(">HHI", 0x0112, kind, 1) + value)
    said, loaded = _loaded_with_exif(tmp_path, exif)
    assert said == [
        "its EXIF data is damaged (its first directory, of 3 tags, ends at byte 50, past its "
        "end, at byte 22); the orientation read before the damage, 6, is applied"]
    assert loaded.shape == (3, 2)
    assert loaded.rgb[0, 1].min() > 200 and loaded.rgb[2, 0].max() < 50


def test_a_bad_crc_in_the_image_data_is_refused_naming_the_chunk(tmp_path):
    """Pillow checks the CRCs of the chunks before the image data only: a changed byte
    in the image data came out as a wrong pixel, without a word."""
    chunks = [_IHDR_2X1, *stored_idats(_ROW), (b"tEXt", b"Comment\0after the pixels"),
              (b"IEND", b"")]
    good = tmp_path / "good.png"
    good.write_bytes(png_of_chunks(chunks))
    np.testing.assert_array_equal(load_image(good).rgb, [[[10, 20, 30], [40, 50, 60]]])
    bad = tmp_path / "bad.png"
    bad.write_bytes(png_of_chunks(chunks, damaged=1))
    with pytest.raises(ImageReadError) as info:
        load_image(bad)
    assert str(info.value) == f"{bad}: damaged PNG (bad CRC in an IDAT chunk)"


def _long_text(kind: bytes, compressed: bool = True) -> tuple[bytes, bytes]:
    """A zTXt or iTXt chunk of 2 MiB of text (Photoshop's XMP of a document's history may
    take megabytes), compressed (or, for an iTXt, not)."""
    text = b"<x:xmpmeta>" + b"ancestor " * ((2 << 20) // 9) + b"</x:xmpmeta>"
    if kind == b"zTXt":
        return kind, b"Comment\0\0" + zlib.compress(text)
    body = zlib.compress(text) if compressed else text
    return kind, b"XML:com.adobe.xmp\0" + bytes([compressed, 0]) + b"\0\0" + body


@pytest.mark.parametrize(("chunk", "before"), [
    (_long_text(b"iTXt"), True), (_long_text(b"zTXt"), False), (_long_text(b"zTXt"), True),
    (_long_text(b"iTXt", compressed=False), True)])
def test_a_png_with_a_long_compressed_text_is_read(tmp_path, chunk, before):
    """Pillow refused it whole ("Decompressed data too large for
    PngImagePlugin.MAX_TEXT_CHUNK"), where pngquant and ImageMagick read it."""
    around = [chunk] if before else []
    chunks = [_IHDR_2X1, *around, *stored_idats(_ROW), *([] if before else [chunk]),
              (b"IEND", b"")]
    path = tmp_path / "meta.png"
    path.write_bytes(png_of_chunks(chunks))
    np.testing.assert_array_equal(load_image(path).rgb, [[[10, 20, 30], [40, 50, 60]]])
    assert probe_image(path) == (2, 1)
    assert [f.rgba[..., :3].tolist() for f in iter_frames(path)] == [
        [[[10, 20, 30], [40, 50, 60]]]]


def test_a_long_compressed_text_is_kept_in_a_png_output_and_named_by_another(tmp_path):
    # read past to let Pillow open the file, it was dropped without a word: a .png output
    # lacked it, and a .gif's note of the text left out did not name it
    from quantize.reduce import reduce_file

    long = _long_text(b"iTXt")
    short = (b"tEXt", b"Copyright\0CC BY 4.0")
    path = tmp_path / "meta.png"
    path.write_bytes(png_of_chunks([_IHDR_2X1, short, long, *stored_idats(_ROW),
                                    (b"IEND", b"")]))
    assert load_image(path).text == (short, long)  # in the file's order, as stored
    reduce_file(path, tmp_path / "out.png", n_colors=2)
    assert load_image(tmp_path / "out.png").text == (short, long)
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        reduce_file(path, tmp_path / "out.gif", n_colors=2)
    assert [str(w.message) for w in said if w.category is TextLeftOutWarning] == [
        "out.gif: the input's PNG text (Copyright, XML:com.adobe.xmp) is left out: only a "
        ".png output keeps it"]


# First row and column, and the steps, of the seven passes of an interlaced PNG.
_ADAM7 = [(0, 0, 8, 8), (0, 4, 8, 8), (4, 0, 8, 4), (0, 2, 4, 4), (2, 0, 4, 2), (0, 1, 2, 2),
          (1, 0, 2, 1)]


def _gray_rgb_png(path: Path, values: np.ndarray, rows: int | None = None,
                  interlaced: bool = False) -> Path:
    """An 8-bit RGB PNG of the grays ``values`` (H, W); with ``rows``, its image data a
    valid zlib stream (all CRCs right) of its first ``rows`` rows only (of an interlaced
    one, rows of its passes), as a program that stopped part-way writes it."""
    h, w = values.shape
    parts = [values[y0::dy, x0::dx] for y0, x0, dy, dx in _ADAM7] if interlaced else [values]
    lines = [b"\0" + np.repeat(row, 3).astype(np.uint8).tobytes()
             for part in parts if part.shape[1] for row in part]
    header = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, int(interlaced))
    data = zlib.compress(b"".join(lines[:rows]))
    path.write_bytes(png_of_chunks([(b"IHDR", header), (b"IDAT", data), (b"IEND", b"")]))
    return path


_GRAYS_4X5 = np.add.outer(10 * np.arange(5), np.arange(4)) + 1


@pytest.mark.parametrize(("rows", "interlaced", "where"), [
    (3, False, "after 3 of 5 rows"),
    (0, False, "after 0 of 5 rows"),
    (8, True, "in interlace pass 7 of 7"),
    (4, True, "in interlace pass 5 of 7"),
])
def test_a_png_whose_image_data_ends_early_is_refused(tmp_path, rows, interlaced, where):
    """Pillow decoded such data without a word, the rows it lacks black (all its CRCs are
    right, and its zlib stream ends where it should): the image was reduced or segmented
    as if the bottom of the picture were black."""
    src = _gray_rgb_png(tmp_path / "cut.png", _GRAYS_4X5, rows, interlaced)
    _refused_by_every_reader(src, f"{src}: damaged PNG (image data ends {where})")


def _refused_by_every_reader(src: Path, expected: str) -> None:
    """``src`` is refused with the message ``expected`` by load_image, iter_frames and
    as_rgba of the image Pillow opened."""
    for read in (load_image, lambda p: list(iter_frames(p))):
        with pytest.raises(ImageReadError) as info:
            read(src)
        assert str(info.value) == expected
    with Image.open(src) as opened, pytest.raises(ImageReadError) as info:
        as_rgba(opened)
    assert str(info.value) == expected


def _corrupt(data: bytes, how: str) -> bytes:
    """A zlib stream made invalid, not cut short: its header, or its first block's type."""
    if how == "header":
        return bytes([data[0] ^ 1]) + data[1:]
    return data[:2] + b"\xff" + data[3:]  # final block, of the reserved type 3


@pytest.mark.parametrize(("how", "why"), [("header", "incorrect header check"),
                                          ("block", "invalid block type")])
def test_a_png_whose_image_data_cannot_be_inflated_is_named_damaged(tmp_path, how, why):
    """Pillow said "cannot decode image (broken data stream when reading image file)" or
    "(image file is truncated (0 bytes not processed))", of data that is all there."""
    rows = b"".join(b"\0" + bytes([v] * 12) for v in (10, 20, 30, 40, 50))
    src = tmp_path / "bad.png"
    src.write_bytes(png_of_chunks([(b"IHDR", struct.pack(">IIBBBBB", 4, 5, 8, 2, 0, 0, 0)),
                                   (b"IDAT", _corrupt(zlib.compress(rows), how)),
                                   (b"IEND", b"")]))
    _refused_by_every_reader(src, f"{src}: damaged PNG (image data cannot be inflated: {why})")


def test_an_apng_frame_whose_data_cannot_be_inflated_is_named(tmp_path):
    rows = zlib.compress(b"\0" + bytes(6) + b"\0" + bytes(6))
    frames = []
    for seq, data in ((0, rows), (2, _corrupt(rows, "block"))):
        frames += [(b"fcTL", struct.pack(">IIIIIHHBB", seq, 2, 2, 0, 0, 1, 10, 0, 0)),
                   (b"IDAT", data) if seq == 0 else (b"fdAT", struct.pack(">I", seq + 1) + data)]
    src = tmp_path / "bad.png"
    src.write_bytes(png_of_chunks([(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)),
                                   (b"acTL", struct.pack(">II", 2, 0)), *frames,
                                   (b"IEND", b"")]))
    with pytest.raises(ImageReadError) as info:
        list(iter_frames(src))
    assert str(info.value) == (f"{src}: damaged PNG (image data of frame 2 cannot be "
                               "inflated: invalid block type)")


@pytest.mark.parametrize("interlaced", [False, True])
def test_a_whole_png_whose_last_row_is_black_is_read(tmp_path, interlaced):
    """A black last row is what a cut image shows: its image data is counted, and passes."""
    values = _GRAYS_4X5.copy()
    values[-2:] = 0
    src = _gray_rgb_png(tmp_path / "black.png", values, interlaced=interlaced)
    np.testing.assert_array_equal(load_image(src).rgb, np.repeat(values[:, :, None], 3, 2))
    (frame,) = iter_frames(src)
    np.testing.assert_array_equal(frame.rgba[:, :, 0], values)


@pytest.mark.parametrize(("default_image", "short", "named"), [
    (False, "frame 2", "frame 2"),
    (False, "frame 1", "frame 1"),
    (True, "frame 1", "frame 1"),
    (True, "default", "the default image"),
])
def test_an_apng_whose_frame_data_ends_early_is_refused(tmp_path, default_image, short,
                                                        named):
    """Pillow drew what a frame lacks from the canvas below it (what the frame before it
    left, the default image, or black), without a word. load_image, which reads the first
    frame (after a default image that is not one), refuses those it reads."""
    rows = [b"\0" + bytes([v] * 6) for v in (10, 20, 30, 40)]

    def data(pair: list[bytes], name: str) -> bytes:
        return zlib.compress(b"".join(pair[:1] if name == short else pair))

    def frame(seq: int, pair: list[bytes]) -> list[tuple[bytes, bytes]]:
        name = f"frame {seq // 2 + 1}"
        in_idat = seq == 0 and not default_image
        return [(b"fcTL", struct.pack(">IIIIIHHBB", seq, 2, 2, 0, 0, 1, 10, 0, 0)),
                (b"IDAT", data(pair, name)) if in_idat else
                (b"fdAT", struct.pack(">I", seq + 1) + data(pair, name))]

    hidden = [(b"IDAT", data([rows[3]] * 2, "default"))] if default_image else []
    src = tmp_path / "cut.png"
    src.write_bytes(png_of_chunks([(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)),
                                   (b"acTL", struct.pack(">II", 2, 0)), *hidden,
                                   *frame(0, rows[:2]), *frame(2, rows[2:]), (b"IEND", b"")]))
    reads = [lambda p: list(iter_frames(p))]
    if short == "frame 2":
        np.testing.assert_array_equal(load_image(src).rgb, [[[10] * 3] * 2, [[20] * 3] * 2])
    else:
        reads.append(load_image)
    for read in reads:
        with pytest.raises(ImageReadError) as info:
            read(src)
        assert str(info.value) == (f"{src}: damaged PNG (image data of {named} ends after "
                                   "1 of 2 rows)")


@pytest.mark.parametrize(("damaged", "kind"), [(0, "an IHDR"), (1, "a gAMA")])
def test_a_bad_crc_before_the_image_data_is_named_too(tmp_path, damaged, kind):
    """Pillow refuses these itself, but then tries every other format: the file was
    'not an image Pillow can identify'."""
    bad = tmp_path / "bad.png"
    bad.write_bytes(png_of_chunks([_IHDR_2X1, _gama(1 / 2.2), *stored_idats(_ROW),
                                   (b"IEND", b"")], damaged=damaged))
    for read in (load_image, probe_image):
        with pytest.raises(ImageReadError) as info:
            read(bad)
        assert str(info.value) == f"{bad}: damaged PNG (bad CRC in {kind} chunk)"


def test_a_pil_image_of_a_damaged_png_not_yet_decoded_is_refused(corpus):
    """Its damaged pixel was taken as it decoded (40, 50, 188 for 40, 50, 60)."""
    src = corpus["damaged_idat.png"]
    with Image.open(src) as opened:
        with pytest.raises(ImageReadError) as info:
            as_rgba(opened)
    assert str(info.value) == f"{src}: damaged PNG (bad CRC in an IDAT chunk)"
    with Image.open(io.BytesIO(src.read_bytes())) as opened:  # no file name: the parameter's
        with pytest.raises(ImageReadError) as info:
            as_rgba(opened, "picture")
    assert str(info.value) == "picture: damaged PNG (bad CRC in an IDAT chunk)"


@pytest.mark.parametrize("fmt", ["JPEG", "BMP"])
def test_a_pil_image_of_a_truncated_file_not_yet_decoded_is_named(tmp_path, fmt):
    """Pillow's bare "OSError: image file is truncated (... bytes not processed)" came out
    of reduce_colors and segment, naming neither the file nor the image; load_image of the
    same file names it."""
    image = Image.fromarray((np.arange(64 * 64 * 3) * 7 % 256).astype(np.uint8)
                            .reshape(64, 64, 3))  # a cut halfway is in the pixel data
    whole = io.BytesIO()
    image.save(whole, fmt)
    cut = tmp_path / f"cut.{fmt.lower()}"
    cut.write_bytes(whole.getvalue()[:len(whole.getvalue()) // 2])
    with pytest.raises(ImageReadError) as read:
        load_image(cut)
    with Image.open(cut) as opened, pytest.raises(ImageReadError) as given:
        as_rgba(opened)
    assert str(given.value) == str(read.value)
    # as a PNG cut so is said, without Pillow's count of the bytes left in its buffer
    assert str(given.value) == f"{cut}: cannot decode image (image file is truncated)"
    with Image.open(io.BytesIO(cut.read_bytes())) as opened:  # no file name: the parameter's
        with pytest.raises(ImageReadError, match=r"^picture: cannot decode image \(image file "
                                                 r"is truncated\)$"):
            as_rgba(opened, "picture")


def _three_frames_cut(fmt: str, keep: float) -> bytes:
    """A file of three 8 x 8 frames of noise in ``fmt``, its first ``keep`` of bytes."""
    rng = np.random.default_rng(0)
    first = rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)
    frames = [Image.fromarray(np.roll(first, 3 * i, axis=1)) for i in range(3)]
    whole = io.BytesIO()
    frames[0].save(whole, fmt, save_all=True, append_images=frames[1:])
    return whole.getvalue()[:int(len(whole.getvalue()) * keep)]


@pytest.mark.filterwarnings("ignore::quantize.animation.FirstFrameWarning")
@pytest.mark.parametrize(("fmt", "keep", "at", "reason"), [
    # drawn again from its file, the APNG's frames up to the one asked for: Pillow's
    # "OSError: image file is truncated" came out of reduce_colors
    ("PNG", 2 / 3, 1, "cannot decode image (image file is truncated)"),
    # its frames counted for the FirstFrameWarning: "TypeError: Missing dimensions"
    ("TIFF", 2 / 3, 0, "cannot decode image (truncated or malformed file: Missing "
                       "dimensions)"),
    ("TIFF", 3 / 4, 1, "cannot decode image (unknown data organization)"),  # SyntaxError
])
def test_a_pil_image_of_a_cut_animation_is_named_as_its_file_is(tmp_path, fmt, keep, at,
                                                                 reason):
    """A file of frames cut short, opened by Image.open from its bytes and passed in, is an
    ImageReadError (a ValueError) saying what iter_frames says of the file, not Pillow's own
    exception from where quantize first reads it."""
    cut = tmp_path / f"cut.{fmt.lower()}"
    cut.write_bytes(_three_frames_cut(fmt, keep))
    with pytest.raises(ImageReadError) as read:
        list(iter_frames(cut))
    assert str(read.value) == f"{cut}: {reason}"
    with Image.open(io.BytesIO(cut.read_bytes())) as opened:
        opened.seek(at)
        with pytest.raises(ImageReadError) as given:
            reduce_colors(opened, 4, seed=0)
        assert str(given.value) == f"image: {reason}"
        with pytest.raises(ImageReadError, match=f"^picture: {re.escape(reason)}$"):
            as_rgba(opened, "picture")


def test_an_apng_with_a_bad_crc_in_a_later_frame_is_refused(tmp_path):
    good = tmp_path / "good.png"
    good.write_bytes(png_of_chunks(_apng_chunks()))
    frames = [frame.rgba[:, :, :3] for frame in iter_frames(good)]
    np.testing.assert_array_equal(frames, [[[[10, 20, 30], [40, 50, 60]]],
                                           [[[0, 1, 2], [3, 4, 5]]]])
    bad = tmp_path / "bad.png"
    bad.write_bytes(png_of_chunks(_apng_chunks(), damaged=7))
    for read in (load_image, lambda p: list(iter_frames(p))):
        with pytest.raises(ImageReadError) as info:
            read(bad)
        assert str(info.value) == f"{bad}: damaged PNG (bad CRC in an fdAT chunk)"


def _fifo_holding(path: Path, data: bytes) -> threading.Thread:
    """A named pipe at ``path`` that gives ``data`` once, as ``<(cat a.png)`` does."""
    os.mkfifo(path)
    writer = threading.Thread(target=path.write_bytes, args=(data,), daemon=True)
    writer.start()
    return writer


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_named_pipe_is_read_not_called_empty(corpus, tmp_path):
    """A pipe's size is 0, so it was refused as 'file is empty (0 bytes)'."""
    writer = _fifo_holding(tmp_path / "pipe", corpus["good.png"].read_bytes())
    img = load_image(tmp_path / "pipe")
    writer.join(timeout=10)
    np.testing.assert_array_equal(img.rgb, load_image(corpus["good.png"]).rgb)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_damaged_png_in_a_named_pipe_is_refused(corpus, tmp_path):
    writer = _fifo_holding(tmp_path / "pipe", corpus["damaged_idat.png"].read_bytes())
    with pytest.raises(ImageReadError) as info:
        load_image(tmp_path / "pipe")
    writer.join(timeout=10)
    assert str(info.value) == f"{tmp_path / 'pipe'}: damaged PNG (bad CRC in an IDAT chunk)"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_named_pipe_that_holds_no_image_is_named_not_waited_on(tmp_path):
    """The reason was looked for by opening the pipe again, which waited for ever."""
    pipe = tmp_path / "pipe"
    _fifo_holding(pipe, b"not a picture\n").join(timeout=0)
    errors: list[str] = []

    def read() -> None:
        with pytest.raises(ImageReadError) as info:
            load_image(pipe)
        errors.append(str(info.value))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout=10)
    waited = reader.is_alive()
    if waited:  # let the waiting open() return
        pipe.write_bytes(b"")
        reader.join(timeout=10)
    assert not waited
    assert errors == [f"{pipe}: not an image Pillow can identify"]


def _proc_file(name: str) -> Path:
    """A file of /proc that says it is 0 bytes long and holds text; skipped elsewhere."""
    p = Path("/proc") / name
    if not p.is_file() or p.stat().st_size != 0:
        pytest.skip(f"no {p} of size 0 here")
    return p


def _stat_saying_size_0(monkeypatch: pytest.MonkeyPatch, target: Path) -> None:
    """Have ``target`` say it is 0 bytes long, as a file of /proc or /sys does."""
    stat = Path.stat

    def sized_0(self, *args, **kwargs):
        st = stat(self, *args, **kwargs)
        if self != target:
            return st
        return os.stat_result((*st[:6], 0, *st[7:10]))

    monkeypatch.setattr(Path, "stat", sized_0)


@pytest.mark.parametrize("name", ["self/status", "cpuinfo"])
def test_a_proc_file_of_size_0_is_not_an_image_not_empty(name):
    """A /proc file says 0 bytes and holds text: it was refused as 'file is empty'."""
    p = _proc_file(name)
    for read in (load_image, probe_image, iter_frames):
        with pytest.raises(ImageReadError) as info:
            next(iter(read(p))) if read is iter_frames else read(p)
        assert str(info.value) == f"{p}: not an image Pillow can identify"


def test_a_file_whose_size_says_0_is_read_for_what_it_holds(corpus, tmp_path, monkeypatch):
    src, text = tmp_path / "good.png", tmp_path / "notes.png"
    src.write_bytes(corpus["good.png"].read_bytes())
    text.write_bytes(b"plain text\n")
    expected = load_image(src).rgb
    for p in (src, text):
        _stat_saying_size_0(monkeypatch, p)
        assert p.stat().st_size == 0
    np.testing.assert_array_equal(load_image(src).rgb, expected)
    with pytest.raises(ImageReadError) as info:
        load_image(text)
    assert str(info.value) == f"{text}: not an image Pillow can identify"


def test_an_empty_file_is_still_said_to_be_empty(tmp_path, monkeypatch):
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    _stat_saying_size_0(monkeypatch, empty)  # read to tell: nothing there
    for read in (load_image, probe_image):
        with pytest.raises(ImageReadError) as info:
            read(empty)
        assert str(info.value) == f"{empty}: file is empty (0 bytes), expected an image"


def test_missing_file(tmp_path):
    with pytest.raises(ImageReadError, match="no such file"):
        load_image(tmp_path / "nope.png")


def test_a_link_to_no_file_says_where_it_leads(tmp_path):
    """It said 'no such file' of a name that ls lists."""
    link = tmp_path / "photo.png"
    link.symlink_to("moved.png")
    with pytest.raises(ImageReadError) as info:
        load_image(link)
    assert str(info.value) == f"{link}: is a link to 'moved.png', which leads to no file"


def test_a_link_into_a_link_loop_says_so(tmp_path):
    """A link to itself, two links to each other, and a link into them were each said to
    lead "to no file", as a link to a file removed is."""
    (tmp_path / "self.png").symlink_to("self.png")
    (tmp_path / "a.png").symlink_to("b.png")
    (tmp_path / "b.png").symlink_to("a.png")
    (tmp_path / "into.png").symlink_to("a.png")
    for name, target in (("self.png", "self.png"), ("a.png", "b.png"), ("into.png", "a.png")):
        with pytest.raises(ImageReadError) as info:
            load_image(tmp_path / name)
        assert str(info.value) == (f"{tmp_path / name}: is a link to {target!r}, which leads "
                                   "into a link loop, never to a file")


def test_pixel_limit_is_overridable(corpus):
    with pytest.raises(ImageReadError, match="exceeds the limit of 100"):
        load_image(corpus["good.png"], max_pixels=100)
    assert load_image(corpus["good.png"], max_pixels=48 * 64).shape == (48, 64)
    assert load_image(corpus["good.png"], max_pixels=None).shape == (48, 64)


def _public_image_functions():
    from quantize import boundary_map, reduce_colors, segment
    from quantize.features import build_features

    return [reduce_colors, segment, boundary_map, build_features]


@pytest.mark.parametrize("function", _public_image_functions(), ids=lambda f: f.__name__)
def test_pixel_limit_refuses_an_array_from_its_shape(function):
    """An array over the limit files have was copied or converted whole: a 60000 x 60000
    view of three bytes, a MemoryError or minutes of work. It is refused from its shape."""
    huge = np.broadcast_to(np.zeros(3, np.uint8), (60000, 60000, 3))
    with pytest.raises(ImageReadError) as info:
        function(huge)
    assert str(info.value) == (
        "image of shape (60000, 60000, 3) has 3,600,000,000 pixels, more than the limit of "
        "250,000,000; if it is meant, pass max_pixels=3600000000 or more (or None for no "
        "limit)")
    assert isinstance(info.value, ValueError) and info.value.path is None


@pytest.mark.filterwarnings("ignore:n_colors=16 but the image has only 2")
@pytest.mark.parametrize("function", _public_image_functions(), ids=lambda f: f.__name__)
def test_pixel_limit_of_an_array_is_max_pixels(function):
    image = np.zeros((4, 6, 3), np.uint8)
    image[:, 3:] = [200, 40, 40]
    with pytest.raises(ImageReadError, match=r"^image of shape \(4, 6, 3\) has 24 pixels, "
                       r"more than the limit of 23; if it is meant, pass max_pixels=24 "):
        function(image, max_pixels=23)
    with pytest.raises(ValueError, match="max_pixels"):
        function(image, max_pixels=0)
    for limit in (24, None):
        np.testing.assert_equal(_outcome(function(image, max_pixels=limit)),
                                _outcome(function(image)))


def _outcome(result):
    if isinstance(result, tuple):  # build_features
        return result[0]
    return getattr(result, "indices", getattr(result, "labels", result))


def test_pixel_limit_refuses_a_big_endian_array_before_converting_it():
    huge = np.broadcast_to(np.zeros(3, ">u2"), (60000, 60000, 3))
    with pytest.raises(ImageReadError, match=r"^image of shape \(60000, 60000, 3\) has "):
        as_rgba(huge)


def test_pixel_limit_refuses_a_pil_image_before_decoding_it_and_a_loaded_image(corpus):
    with Image.open(corpus["good.png"]) as im:
        with pytest.raises(ImageReadError) as info:
            as_rgba(im, max_pixels=100)
        assert im.tile  # not decoded
    # a PIL image by its size, width first, as PIL gives it (not an array's shape)
    assert str(info.value).startswith("image, a PIL image of 64x48 has 3,072 pixels, more "
                                      "than the limit of 100; if it is meant, pass "
                                      "max_pixels=3072")
    loaded = load_image(corpus["good.png"])
    with pytest.raises(ImageReadError, match=r"^picture of shape \(48, 64, 3\) has 3,072 "):
        as_rgba(loaded, "picture", max_pixels=3071)
    assert as_rgba(loaded, max_pixels=3072)[0] is loaded.rgb


def test_pixel_limit_leaves_pillow_guard_as_it_was(corpus):
    before = Image.MAX_IMAGE_PIXELS
    with pytest.raises(ImageReadError):
        load_image(corpus["bomb.png"])
    assert Image.MAX_IMAGE_PIXELS == before


def test_a_load_leaves_pillows_guard_on_for_other_threads(corpus, monkeypatch):
    """Pillow's guard was lowered for the whole process (MAX_IMAGE_PIXELS None) while any
    thread read a file: a service's own Image.open of a 10-gigapixel bomb on another
    thread got through meanwhile."""
    import quantize.io.read as read

    before = Image.MAX_IMAGE_PIXELS
    seen = []

    def open_bomb() -> None:
        try:
            Image.open(corpus["bomb.png"]).close()
            seen.append("opened")
        except Image.DecompressionBombError:
            seen.append("refused")

    def checked(*args):  # a step of the read, the file open: another thread opens a bomb
        seen.append(Image.MAX_IMAGE_PIXELS)
        other = threading.Thread(target=open_bomb)
        other.start()
        other.join()
        return check(*args)

    check = read._check_pixel_count
    monkeypatch.setattr(read, "_check_pixel_count", checked)
    assert load_image(corpus["good.png"]).shape == (48, 64)
    assert seen == [before, "refused"] and Image.MAX_IMAGE_PIXELS == before


def test_overlapping_loads_pass_pillows_guard_until_the_last_ends(corpus, monkeypatch):
    """Two reads in one thread (two animations' frames read in turn) end in either order:
    Pillow's guard stays off for the second after the first ends, and on for the thread
    after both, without a change to Pillow's global, which the caller set."""
    from quantize.io import pillow_limit_lifted

    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # good.png: 3,072 pixels

    def opened() -> str:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            try:
                Image.open(corpus["good.png"]).close()
            except Image.DecompressionBombError:
                return "refused"
        return "opened"

    a, b = pillow_limit_lifted(), pillow_limit_lifted()
    a.__enter__()
    b.__enter__()
    assert opened() == "opened" and Image.MAX_IMAGE_PIXELS == 1000
    a.__exit__(None, None, None)
    assert opened() == "opened"  # B is still reading
    b.__exit__(None, None, None)
    assert opened() == "refused" and Image.MAX_IMAGE_PIXELS == 1000


def test_overlapping_loads_restore_pillow_guard(monkeypatch):
    # Two loads on two threads overlap: A lifts the guard, B lifts it (saving A's
    # None), A restores its saved value, B restores None. The guard was then off
    # for the rest of the process, for every later Image.open. (The global is lowered
    # only with a Pillow that has no check function to wrap.)
    from quantize.io import pillow_limit_lifted

    monkeypatch.delattr(Image, "_decompression_bomb_check")
    before = Image.MAX_IMAGE_PIXELS
    a, b = pillow_limit_lifted(), pillow_limit_lifted()
    a.__enter__()
    b.__enter__()
    assert Image.MAX_IMAGE_PIXELS is None
    a.__exit__(None, None, None)
    assert Image.MAX_IMAGE_PIXELS is None  # B is still loading
    b.__exit__(None, None, None)
    assert Image.MAX_IMAGE_PIXELS == before


@pytest.mark.parametrize("name", [
    "good.png", "one_pixel.png", "one_by_n.png", "gray16.png", "rgb16.png", "cmyk.jpg",
    "palette_transparency.png", "la.png", "rgba_transparent.png", "animated.gif",
    "icc_linear.png", "non_utf8",
])
def test_every_mode_becomes_uint8_rgb(corpus, name):
    img = load_image(corpus[name])
    assert img.rgb.dtype == np.uint8
    assert img.rgb.ndim == 3 and img.rgb.shape[2] == 3
    if img.alpha is not None:
        assert img.alpha.shape == img.rgb.shape[:2] and img.alpha.dtype == np.uint8


def test_lossless_modes_keep_the_pixels(corpus):
    good = load_image(corpus["good.png"]).rgb
    np.testing.assert_array_equal(load_image(corpus["rgb16.png"]).rgb, good)
    np.testing.assert_array_equal(load_image(corpus["non_utf8"]).rgb, good)
    gray = load_image(corpus["la.png"]).rgb
    assert (gray[:, :, 0] == gray[:, :, 1]).all() and (gray[:, :, 1] == gray[:, :, 2]).all()


def test_sixteen_bit_gray_is_scaled_not_truncated(corpus):
    rgb = load_image(corpus["gray16.png"]).rgb
    assert rgb[0, 0, 0] == 0 and rgb[-1, -1, 0] == 255
    expected = np.rint(np.linspace(0, 65535, 48 * 64).astype(np.uint16) / 257.0)
    np.testing.assert_array_equal(rgb[:, :, 0].ravel(), expected.astype(np.uint8))


def test_float_gray_in_sixteen_bit_counts_is_scaled_not_clipped(tmp_path):
    """Values above 255 were clipped: a 0..65535 float TIFF came out nearly all white."""
    counts = np.linspace(0, 65535, 6 * 8, dtype=np.float32).reshape(6, 8)
    Image.fromarray(counts).save(tmp_path / "f.tif")
    rgb = load_image(tmp_path / "f.tif").rgb
    np.testing.assert_array_equal(rgb[:, :, 0], np.rint(counts / 257.0).astype(np.uint8))


@pytest.mark.parametrize(("top", "expected"), [(1.0, 255), (255.0, 1), (1000.0, 0)])
def test_float_gray_is_scaled_alike_in_every_band_of_rows(tmp_path, top, expected):
    """The range was guessed per band of 2**18 pixels: rows holding only values <= 1 of a
    0..255 image were read as 0..1, 255 times brighter than the rows below them."""
    values = np.ones((300, 1024), np.float32)  # two bands
    values[-1, -1] = top
    Image.fromarray(values).save(tmp_path / "f.tif")
    with warnings.catch_warnings(record=True) as caught:  # 0..1000 also says it reads dark
        warnings.simplefilter("always")
        rgb = load_image(tmp_path / "f.tif").rgb
    assert (rgb[:-1, :, 0] == expected).all() and (rgb[:, :-1, 0] == expected).all()
    assert [type(w.message) for w in caught] == ([PixelRangeWarning] if top == 1000.0 else [])


@pytest.mark.parametrize(("top", "scale", "brightest"), [
    (1000.0, "65535", "0..4 of 255: values closer than 257 apart become one level", ),
    (20.0, "255", "0..20 of 255")])
def test_a_float_image_over_1_that_comes_out_dark_is_said_so(tmp_path, top, scale, brightest):
    """A float TIFF of 0..1000 was read as 16-bit counts and came out near black (segment
    found one region) without a word."""
    Image.fromarray(np.array([[0.0, top / 2, top]], np.float32)).save(tmp_path / "f.tif")
    with pytest.warns(PixelRangeWarning) as caught:
        rgb = load_image(tmp_path / "f.tif").rgb
    assert [str(w.message) for w in caught] == [
        f"float values 0..{top:g} of {scale} come out {brightest}; pass stretch=True to map "
        f"its own range onto 0..255, or scale the values to fill 0..{scale} first"]
    assert rgb[0, -1, 0] == int(brightest.split("..")[1].split(" ")[0])  # read as before


def test_a_warning_about_a_float_page_of_a_multi_page_tiff_names_the_page(tmp_path):
    """With page 2 of 0..1016 and page 1 of 8 bits, "its pixels are floats ..." read as if
    about the whole file; so did the count of NaN pixels. Each names its page now."""
    eight = Image.fromarray(np.full((1, 3), 100, np.uint8))
    floats = Image.fromarray(np.array([[0.0, np.nan, 1016.0]], np.float32))
    eight.save(tmp_path / "p.tif", save_all=True, append_images=[floats])
    floats.save(tmp_path / "q.tif", save_all=True, append_images=[eight])
    dark = ("float values 0..1016 of 65535 come out 0..4 of 255: values closer than 257 "
            "apart become one level; pass stretch=True to map its own range onto 0..255, or "
            "scale the values to fill 0..65535 first")
    undefined = "1 NaN or infinite of its 3 pixels is read as black"
    with pytest.warns(PixelRangeWarning) as caught:
        frames = [frame.rgba[0, :, 0].tolist() for frame in iter_frames(tmp_path / "p.tif")]
    assert frames == [[100, 100, 100], [0, 0, 4]]
    assert [str(w.message) for w in caught] == [f"page 2: {undefined}", f"page 2: {dark}"]
    with pytest.warns(PixelRangeWarning) as caught:
        assert load_image(tmp_path / "q.tif").rgb[0, :, 0].tolist() == [0, 0, 4]
    assert [str(w.message) for w in caught] == [f"page 1: {undefined}", f"page 1: {dark}"]


@pytest.mark.parametrize("top", [0.1, 1.0, 200.0, 20000.0])
def test_a_float_image_in_range_or_bright_enough_reads_without_a_warning(tmp_path, recwarn,
                                                                          top):
    Image.fromarray(np.array([[0.0, top]], np.float32)).save(tmp_path / "f.tif")
    load_image(tmp_path / "f.tif")
    assert not [w for w in recwarn if issubclass(w.category, PixelRangeWarning)]


def test_undefined_and_negative_float_pixels_are_named(tmp_path):
    values = np.array([[0.5, np.nan, 1.0], [-0.25, np.inf, 0.0]], np.float32)
    Image.fromarray(values).save(tmp_path / "f.tif")
    with pytest.warns(PixelRangeWarning) as caught:
        rgb = load_image(tmp_path / "f.tif").rgb
    assert [str(w.message) for w in caught] == [
        "2 NaN or infinite and 1 negative of its 6 pixels are read as black"]
    np.testing.assert_array_equal(rgb[:, :, 0], [[128, 0, 255], [0, 0, 0]])


EIGHT_BIT_IN_I = ('32-bit integer values 0..200 of 65535 come out 0..1 of 255: counts closer '
                  'than 257 apart become one level; if they are 0..255, convert it to mode "L" '
                  'first (image.convert("L"), or the array as uint8), or pass stretch=True, '
                  'which maps its own range onto 0..255')


@pytest.mark.parametrize("source", ["array", "tiff"])
def test_a_32_bit_image_of_small_values_is_read_as_16_bit_and_said_so(tmp_path, source):
    # An int32 image holding 0..255 came out near black without a word: mode "I" is
    # read as 16-bit counts, since a 16-bit PNG may be opened in it too.
    image = Image.fromarray(np.array([[0, 100, 200]], np.int32))
    assert image.mode == "I"
    if source == "tiff":
        image.save(tmp_path / "i.tif")
    with pytest.warns(PixelRangeWarning) as caught:
        rgb = (as_rgba(image)[0] if source == "array" else load_image(tmp_path / "i.tif").rgb)
    assert [str(w.message) for w in caught] == [EIGHT_BIT_IN_I]
    assert rgb[..., 0].tolist() == [[0, 0, 1]]  # round(v / 257), as before


@pytest.mark.parametrize("values", [[[0, 0, 0]], [[0, 100, 16448]]])
def test_a_32_bit_image_bright_enough_or_black_reads_without_a_warning(recwarn, values):
    rgb, _ = as_rgba(Image.fromarray(np.array(values, np.int32)))
    assert rgb[..., 0].tolist() == [[round(v / 257) for v in values[0]]]
    assert not [w for w in recwarn if issubclass(w.category, PixelRangeWarning)]


def test_a_uint16_array_of_small_values_is_read_as_16_bit_and_said_so(recwarn):
    """An 8-bit image held in uint16 (image.astype(np.uint16)) came out near black without
    a word, where an int32 one is refused and a PIL image of mode "I" warns."""
    eight = np.array([[[0, 100, 200], [255, 30, 0]]], np.uint8)
    with pytest.warns(PixelRangeWarning) as caught:
        rgb, _ = as_rgba(eight.astype(np.uint16))
    assert [str(w.message) for w in caught] == [
        "image: uint16 values 0..255 of 65535 come out 0..1 of 255: counts closer than 257 "
        "apart become one level; if they are 0..255, pass it as .astype(np.uint8), or pass "
        "stretch=True, which maps its own range onto 0..255"]
    assert [w.filename for w in caught] == [__file__]
    assert rgb.tolist() == [[[0, 0, 1], [1, 0, 0]]]  # round(v / 257), as before
    for quiet in (np.zeros((1, 2, 3), np.uint16), eight.astype(np.uint16) * 257):
        as_rgba(quiet)  # black, or past 255: no warning
    assert not [w for w in recwarn if issubclass(w.category, PixelRangeWarning)]


@pytest.mark.parametrize("colour", [[[1000, 60000, 257]], [[40000]]], ids=["rgba", "grey"])
def test_an_8_bit_alpha_beside_16_bit_colour_is_said_to_look_8_bit(colour, recwarn):
    """uint16 colour with alpha 255 for opaque came out alpha 1 of 255 without a word: the
    warning of small uint16 values looked at every channel together."""
    image = np.dstack([np.array([colour], np.uint16), np.full((1, 1), 255, np.uint16)])
    with pytest.warns(PixelRangeWarning) as caught:
        rgb, alpha = as_rgba(image, fourth_channel="alpha")
    top = max(colour[0])
    assert [str(w.message) for w in caught] == [
        f"image is uint16 with colour values up to {top} but alpha values of at most 255: its "
        "alpha looks 8-bit, and read as 16-bit counts (65535 is opaque) it comes out nearly "
        "transparent (alpha 1 of 255); if alpha is 0..255, scale that channel by 257 first "
        "(image[..., -1] * 257)"]
    assert [w.filename for w in caught] == [__file__]
    assert alpha.tolist() == [[1]]  # the values are read as they were
    for quiet in (image * [1, 1, 1, 257][-image.shape[2]:],  # 16-bit alpha
                  image * [1, 1, 1, 0][-image.shape[2]:]):  # every pixel fully transparent
        as_rgba(quiet.astype(np.uint16), fourth_channel="alpha")
    assert not [w for w in recwarn if issubclass(w.category, PixelRangeWarning)]


@pytest.mark.parametrize("dtype, mode", [("<u2", "I;16"), (">u2", "I;16B")])
def test_a_16_bit_pil_image_made_from_small_values_is_said_to_come_out_near_black(
        dtype, mode):
    # Image.fromarray of the uint16 array that warns above came out near black silently
    image = Image.fromarray(np.array([[0, 100, 200]], dtype))
    assert image.mode == mode
    with pytest.warns(PixelRangeWarning) as caught:
        rgb, _ = as_rgba(image)
    assert [str(w.message) for w in caught] == [EIGHT_BIT_IN_I.replace("32-bit integer",
                                                                        "16-bit")]
    assert rgb[..., 0].tolist() == [[0, 0, 1]]  # round(v / 257), as before


def test_a_16_bit_file_of_small_values_is_said_dark_without_the_8_bit_advice(tmp_path):
    """A file's 16-bit values are counts however dark: it comes out dark, and is said so (it
    was read silently), but only an image made in memory may hold 8-bit values."""
    Image.fromarray(np.array([[0, 100, 200]], np.uint16)).save(tmp_path / "g.png")
    assert Image.open(tmp_path / "g.png").mode == "I;16"
    with pytest.warns(PixelRangeWarning) as caught:
        assert load_image(tmp_path / "g.png").rgb[..., 0].tolist() == [[0, 0, 1]]
    assert [str(w.message) for w in caught] == [
        "16-bit values 0..200 of 65535 come out 0..1 of 255: counts closer than 257 apart "
        "become one level; pass stretch=True to map its own range onto 0..255, or scale the "
        "values to fill 0..65535 first"]


def _uint32_tiff(path, pixels):
    """A grayscale TIFF of unsigned 32-bit samples (SampleFormat left at its default,
    unsigned, as ImageMagick writes it at -depth 32), which Pillow does not write."""
    h, w = pixels.shape
    data = pixels.astype("<u4").tobytes()
    tags = [(256, w), (257, h), (258, 32), (259, 1), (262, 1), (273, 8), (277, 1), (278, h),
            (279, len(data))]  # as LONGs: width, height, bits, raw, black is 0, ...
    ifd = struct.pack("<H", len(tags)) + b"".join(
        struct.pack("<HHII", tag, 4, 1, value) for tag, value in tags) + bytes(4)
    path.write_bytes(b"II*\0" + struct.pack("<I", 8 + len(data)) + data + ifd)
    return path


def test_unsigned_32_bit_tiff_pixels_from_2_to_the_31_are_not_read_as_negative(tmp_path,
                                                                                recwarn):
    """Pillow holds them as signed 32-bit integers: a grey photo saved by ImageMagick at
    -depth 32 came out with every pixel from mid-grey black, and a warning that 53,651
    of its pixels were negative."""
    src = _uint32_tiff(tmp_path / "u32.tif", np.array(
        [[0, 1 << 31, 4294967295], [65535, 1 << 30, 3 << 30]], np.uint32))
    with Image.open(src) as im:
        assert im.mode == "I" and np.asarray(im).min() < 0
    rgb = load_image(src).rgb  # values past 65535 are read by their largest, as before
    assert rgb[..., 0].tolist() == [[0, 128, 255], [0, 64, 191]]
    assert not [w for w in recwarn if issubclass(w.category, PixelRangeWarning)]


def test_signed_32_bit_tiff_pixels_below_0_are_still_read_as_black(tmp_path):
    Image.fromarray(np.array([[-5, 0, 65535]], np.int32)).save(tmp_path / "s32.tif")
    with pytest.warns(PixelRangeWarning, match="^1 negative of its 3 pixels is read as black"):
        assert load_image(tmp_path / "s32.tif").rgb[..., 0].tolist() == [[0, 0, 255]]


def test_a_16_bit_png_bright_enough_reads_without_a_warning(tmp_path, recwarn):
    """Its brightest pixel at 64 of 255 (16320 rounds to 63.5 -> 64): no warning."""
    Image.fromarray(np.array([[0, 100, 16320]], np.uint16)).save(tmp_path / "dim.png")
    loaded = load_image(tmp_path / "dim.png")
    assert loaded.mode == "I;16" and loaded.rgb[..., 0].tolist() == [[0, 0, 64]]
    assert not [w for w in recwarn if issubclass(w.category, PixelRangeWarning)]


def test_alpha_is_kept_only_when_used(corpus):
    assert load_image(corpus["good.png"]).alpha is None
    assert (load_image(corpus["rgba_transparent.png"]).alpha == 0).all()
    half = load_image(corpus["rgba_half_transparent.png"]).alpha
    assert (half[:, :20] == 0).all() and (half[:, 20:] == 255).all()
    pal = load_image(corpus["palette_transparency.png"])
    source = Image.open(corpus["palette_transparency.png"])
    np.testing.assert_array_equal(pal.alpha == 0, np.asarray(source) == 0)


def test_animated_gif_reads_the_first_frame(corpus):
    img = load_image(corpus["animated.gif"])
    assert img.n_frames == 3
    with Image.open(corpus["animated.gif"]) as im:
        first = np.asarray(im.convert("RGB"))
    np.testing.assert_array_equal(img.rgb, first)


def test_an_apngs_separate_default_image_is_not_a_frame(tmp_path):
    """Only viewers without APNG support show it; the animation starts after it."""
    banner, first, second = (Image.fromarray(np.full((4, 5, 3), v, np.uint8))
                             for v in (0, 255, 100))
    path = tmp_path / "anim.png"
    banner.save(path, save_all=True, append_images=[first, second], default_image=True,
                duration=[100, 100])
    img = load_image(path)
    assert img.n_frames == 2
    np.testing.assert_array_equal(img.rgb, np.full((4, 5, 3), 255, np.uint8))


@pytest.mark.parametrize(("colour_type", "sample", "shown"), [
    (6, [(50, 60, 70, 255), (9, 9, 9, 0)], [[50, 60, 70], [0, 0, 0], [0, 0, 0]]),
    (4, [(50, 255), (9, 0)], [[50] * 3, [0] * 3, [0] * 3]),
])
def test_an_apngs_first_frame_after_its_default_image_starts_on_a_clear_canvas(
        tmp_path, colour_type, sample, shown):
    """Pillow drew it over the default image, which showed where the frame does not reach
    and through its transparent pixel (it blends over the canvas), in the first frame of
    the animation and in the image load_image reads."""
    def frame(seq: int, pixels: list[tuple[int, ...]], x: int) -> list[tuple[bytes, bytes]]:
        control = struct.pack(">IIIIIHHBB", seq, len(pixels), 1, x, 0, 1, 10, 0, 1)
        data = zlib.compress(b"\0" + bytes(v for pixel in pixels for v in pixel))
        return [(b"fcTL", control), (b"fdAT", struct.pack(">I", seq + 1) + data)]

    hidden = b"\0" + bytes([100] * len(sample[0]) * 3)
    src = tmp_path / "anim.png"
    src.write_bytes(png_of_chunks([
        (b"IHDR", struct.pack(">IIBBBBB", 3, 1, 8, colour_type, 0, 0, 0)),
        (b"acTL", struct.pack(">II", 2, 0)), (b"IDAT", zlib.compress(hidden)),
        *frame(0, sample, 0), *frame(2, sample[:1], 2), (b"IEND", b"")]))
    img = load_image(src)
    np.testing.assert_array_equal(img.rgb, [shown])
    np.testing.assert_array_equal(img.alpha, [[255, 0, 0]])
    first = next(iter_frames(src)).rgba
    np.testing.assert_array_equal(first, np.dstack([img.rgb, img.alpha]))


def test_icc_profile_is_converted_to_srgb(corpus):
    # 128 in linear light is about 188 in sRGB.
    rgb = load_image(corpus["icc_linear.png"]).rgb
    assert abs(int(rgb[0, 0, 0]) - 188) <= 1


@pytest.mark.parametrize("name", ["icc_linear_palette.png", "icc_linear_gray.png",
                                  "icc_linear_la.png"])
def test_icc_profile_of_palette_and_gray_images_is_converted_too(corpus, name):
    """They were read as sRGB: linear 128 stayed 128, darker than any viewer shows it."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        img = load_image(corpus[name])
    np.testing.assert_array_equal(img.rgb, np.full((16, 16, 3), 188, np.uint8))


@pytest.mark.parametrize("mode", ["I;16", "F"])
def test_icc_profile_of_sixteen_bit_and_float_gray_is_converted_too(tmp_path, mode):
    """Neither was converted: 16-bit linear 128 * 257 came out 128, not 188."""
    value = 128 * 257 if mode == "I;16" else 128 / 255
    Image.new(mode, (3, 2), value).save(tmp_path / "g.png" if mode == "I;16" else
                                        tmp_path / "g.tif", icc_profile=linear_gray_icc())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        img = load_image(next(tmp_path.iterdir()))
    np.testing.assert_array_equal(img.rgb, np.full((2, 3, 3), 188, np.uint8))


def test_icc_profile_of_gray_alpha_keeps_the_alpha(corpus):
    alpha = load_image(corpus["icc_linear_la.png"]).alpha
    np.testing.assert_array_equal(alpha, np.arange(16, dtype=np.uint8).repeat(16)
                                  .reshape(16, 16) * 17)


def test_icc_profile_of_palette_image_with_transparency_keeps_it(tmp_path):
    pal = Image.fromarray(np.array([[0, 1]], np.uint8), "P")
    pal.putpalette([128, 128, 128, 0, 0, 0])
    pal.save(tmp_path / "p.png", transparency=1, icc_profile=linear_rgb_icc())
    img = load_image(tmp_path / "p.png")
    np.testing.assert_array_equal(img.rgb, [[[188, 188, 188], [0, 0, 0]]])
    np.testing.assert_array_equal(img.alpha, [[255, 0]])


@pytest.mark.parametrize(("name", "why"), [
    ("icc_rgb_on_gray.png", "is for RGB colours, not grayscale pixels"),
    ("icc_unreadable.png", "cannot be read"),
])
def test_an_unusable_icc_profile_is_left_out_with_a_warning(corpus, name, why):
    """It was left out silently, the colours read as sRGB."""
    with pytest.warns(ColorProfileWarning) as caught:
        img = load_image(corpus[name])
    assert [str(w.message) for w in caught] == [
        f"its ICC colour profile {why}; it is left out, as viewers leave it, and the colours "
        "are read as sRGB"]
    np.testing.assert_array_equal(img.rgb, np.full((16, 16, 3), 128, np.uint8))


def _png_with_chunks(path: Path, image: Image.Image, *chunks: tuple[bytes, bytes],
                     **params) -> Path:
    info = PngImagePlugin.PngInfo()
    for kind, payload in chunks:
        info.add(kind, payload)
    image.save(path, pnginfo=info, **params)
    return path


def _gama(gamma: float) -> tuple[bytes, bytes]:
    return b"gAMA", struct.pack(">I", round(gamma * 100_000))


@pytest.mark.parametrize(("chunks", "expected"), [
    ([_gama(1.0)], 188),                       # linear light: viewers show 128 as 188
    ([_gama(1 / 1.8)], 146),                   # an old Mac's gamma
    ([_gama(0.45455)], 128),                   # sRGB-like: as stored
    ([_gama(1.0), (b"sRGB", b"\0")], 128),     # the sRGB chunk overrides gAMA
    ([], 128),
])
@pytest.mark.parametrize("mode", ["L", "RGB", "RGBA", "P"])
def test_png_gamma_is_converted_to_srgb(tmp_path, chunks, expected, mode):
    """gAMA was ignored: a linear-light PNG came out much darker than browsers show it."""
    image = Image.new("RGBA", (3, 2), (128, 128, 128, 100))
    image = image.convert(mode) if mode != "P" else image.convert("RGB").quantize(1)
    path = _png_with_chunks(tmp_path / "g.png", image, *chunks)
    img = load_image(path)
    np.testing.assert_array_equal(img.rgb, np.full((2, 3, 3), expected, np.uint8))
    assert img.alpha is None if mode != "RGBA" else (img.alpha == 100).all()


@pytest.mark.parametrize("key", [None, 700])
def test_a_16_bit_gray_png_gamma_is_converted_from_its_16_bit_values(tmp_path, key):
    """A 16-bit grayscale PNG's gAMA was ignored (its 8-bit and RGB forms were converted):
    a linear-light one came out much darker than browsers show it. 100 of 65535, 0 once
    scaled to 8 bits, shows as 5; 1000 as 33, 30000 as 180."""
    values = np.array([[0, 100, 700, 1000, 30000, 65535]], np.uint16)
    params = {} if key is None else {"transparency": key}
    img = load_image(_png_with_chunks(tmp_path / "g.png", Image.fromarray(values), _gama(1.0),
                                      **params))
    np.testing.assert_array_equal(img.rgb[:, :, 0], [[0, 5, 27, 33, 180, 255]])
    np.testing.assert_array_equal(img.rgb, np.repeat(img.rgb[:, :, :1], 3, axis=2))
    if key is None:
        assert img.alpha is None
    else:
        np.testing.assert_array_equal(img.alpha, [[255, 255, 0, 255, 255, 255]])


@pytest.mark.parametrize(("mode", "values", "key"), [
    ("RGB", [(255, 0, 255), (10, 200, 30)], (255, 0, 255)),
    ("L", [7, 200], 7),
    ("I;16", [700, 60000], 700),
])
@pytest.mark.parametrize("chunks", [[], [_gama(1.0)]])
def test_the_transparent_colour_of_a_gray_or_rgb_png_is_alpha(tmp_path, mode, values, key,
                                                             chunks):
    """The tRNS colour key was dropped: the colour browsers show as transparent (a GIF
    converted to PNG keeps its transparency this way) came out opaque."""
    dtype = np.uint16 if mode == "I;16" else np.uint8
    image = Image.fromarray(np.array([[values[0]] * 3, [values[1]] * 3], dtype))
    img = load_image(_png_with_chunks(tmp_path / "k.png", image, *chunks, transparency=key))
    np.testing.assert_array_equal(img.alpha, [[0, 0, 0], [255, 255, 255]])
    plain = load_image(_png_with_chunks(tmp_path / "plain.png", image, *chunks))
    np.testing.assert_array_equal(img.rgb, plain.rgb)


def _low_depth_gray_png(path: Path, depth: int, values: list[int], *chunks: tuple[bytes, bytes]
                        ) -> Path:
    """A PNG of one row of grayscale ``values`` of ``depth`` (1, 2 or 4) bits each."""
    bits = "".join(format(v, f"0{depth}b") for v in values)
    row = int(bits.ljust(-(-len(bits) // 8) * 8, "0"), 2).to_bytes(-(-len(bits) // 8), "big")
    header = struct.pack(">IIBBBBB", len(values), 1, depth, 0, 0, 0, 0)
    path.write_bytes(png_of_chunks([(b"IHDR", header), *chunks,
                                    (b"IDAT", zlib.compress(b"\0" + row)), (b"IEND", b"")]))
    return path


@pytest.mark.parametrize(("depth", "values", "key", "grays"), [
    (1, [0, 1, 1, 0], 1, [0, 255, 255, 0]),
    (1, [0, 1, 1, 0], 0, [0, 255, 255, 0]),
    (2, [0, 1, 2, 3, 3], 3, [0, 85, 170, 255, 255]),
    (2, [0, 1, 2, 3], 1, [0, 85, 170, 255]),
    (4, [0, 5, 15, 9], 5, [0, 85, 255, 153]),
])
@pytest.mark.parametrize("chunks", [[], [_gama(1.0)]])
def test_the_transparent_gray_of_a_low_bit_depth_png_is_alpha(tmp_path, depth, values, key,
                                                               grays, chunks):
    """The tRNS value of a 1-bit grayscale PNG (as optimisers write a two-tone image with
    transparency) was dropped, and that of a 2- or 4-bit one matched against pixels
    Pillow has scaled to 8 bits (2-bit 3 reads as 255): its transparent pixels came out
    opaque."""
    src = _low_depth_gray_png(tmp_path / "k.png", depth, values, *chunks,
                              (b"tRNS", struct.pack(">H", key)))
    img = load_image(src)
    np.testing.assert_array_equal(img.alpha, [[0 if v == key else 255 for v in values]])
    plain = load_image(_low_depth_gray_png(tmp_path / "plain.png", depth, values, *chunks))
    np.testing.assert_array_equal(img.rgb, plain.rgb)
    if not chunks:
        np.testing.assert_array_equal(img.rgb[0, :, 0], grays)
    with Image.open(src) as opened:  # as a PIL image, not yet decoded
        before = dict(opened.info)
        np.testing.assert_array_equal(as_rgba(opened)[1], img.alpha)
        assert opened.info == before  # the caller's image is left alone
    (frame,) = iter_frames(src)  # as the frame of an animation
    np.testing.assert_array_equal(frame.rgba[:, :, 3], img.alpha)


def _rgb16_png(path: Path, pixels: list[tuple[int, int, int]], *chunks: tuple[bytes, bytes]
               ) -> Path:
    """A PNG of one row of 16-bit RGB ``pixels`` (Pillow writes no 16-bit RGB)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    row = b"\0" + np.array(pixels, ">u2").tobytes()
    header = struct.pack(">IIBBBBB", len(pixels), 1, 16, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
                     + b"".join(chunk(kind, data) for kind, data in chunks)
                     + chunk(b"IDAT", zlib.compress(row)) + chunk(b"IEND", b""))
    return path


def _wide_png(path: Path, samples: np.ndarray, *chunks: tuple[bytes, bytes],
              interlaced: bool = False) -> Path:
    """A 16-bit grey+alpha, RGB or RGBA PNG of ``samples`` ((H, W, 2), (H, W, 3) or
    (H, W, 4)), interlaced (Adam7) or not."""
    h, w, n = samples.shape
    parts = [samples[y0::dy, x0::dx] for y0, x0, dy, dx in _ADAM7] if interlaced else [samples]
    lines = [b"\0" + row.astype(">u2").tobytes() for part in parts if part.shape[1]
             for row in part]
    header = struct.pack(">IIBBBBB", w, h, 16, {2: 4, 3: 2, 4: 6}[n], 0, 0, int(interlaced))
    path.write_bytes(png_of_chunks([(b"IHDR", header), *chunks,
                                    (b"IDAT", zlib.compress(b"".join(lines))), (b"IEND", b"")]))
    return path


# 16-bit samples whose high byte is not round(v / 257): 0x00FF (0, not 1), 0x01FF (1, not 2),
# 0xFE00 (254, not 253); and some whose high byte is.
_WIDE_SAMPLES = [0x00FF, 0x0180, 0x01FF, 0x7F80, 0xFE00, 0xFFFF]
_WIDE_READ = [1, 1, 2, 127, 253, 255]


@pytest.mark.parametrize("interlaced", [False, True])
@pytest.mark.parametrize("channels", [3, 4])
def test_a_16_bit_rgb_or_rgba_png_is_read_from_all_16_bits(tmp_path, channels, interlaced):
    """Pillow decodes such a PNG to the high byte of each sample, which was read as its
    8-bit value: floor(v / 256), not round(v / 257) as a 16-bit grey PNG is read. Every
    sample, alpha too, is read from its 16 bits, by load_image, iter_frames and as_rgba."""
    index = np.add.outer(np.arange(5), np.arange(7))[:, :, None] + np.arange(channels)
    samples = np.array(_WIDE_SAMPLES)[index % len(_WIDE_SAMPLES)]
    expected = np.array(_WIDE_READ, np.uint8)[index % len(_WIDE_READ)]
    src = _wide_png(tmp_path / "w.png", samples, interlaced=interlaced)
    img = load_image(src)
    np.testing.assert_array_equal(img.rgb, expected[:, :, :3])
    if channels == 4:
        np.testing.assert_array_equal(img.alpha, expected[:, :, 3])
    else:
        assert img.alpha is None
    (frame,) = iter_frames(src)
    np.testing.assert_array_equal(frame.rgba[:, :, :channels], expected)
    with Image.open(src) as opened:  # as a PIL image, not yet decoded
        rgb, alpha = as_rgba(opened)
    np.testing.assert_array_equal(rgb, img.rgb)
    np.testing.assert_array_equal(alpha, img.alpha)


@pytest.mark.parametrize("interlaced", [False, True])
def test_a_16_bit_grey_alpha_png_is_read_from_all_16_bits(tmp_path, interlaced):
    """Pillow decodes it (as RGBA) to the high byte of each sample: grey and alpha 0x00FF
    read 0, not 1, as a 16-bit grey PNG reads them. Both are read from their 16 bits, by
    load_image, iter_frames and as_rgba, as 16-bit RGBA is."""
    index = np.add.outer(np.arange(5), np.arange(7))[:, :, None] + np.arange(2)
    samples = np.array(_WIDE_SAMPLES)[index % len(_WIDE_SAMPLES)]
    expected = np.array(_WIDE_READ, np.uint8)[index % len(_WIDE_READ)]
    src = _wide_png(tmp_path / "la.png", samples, interlaced=interlaced)
    img = load_image(src)
    np.testing.assert_array_equal(img.rgb, np.repeat(expected[:, :, :1], 3, axis=2))
    np.testing.assert_array_equal(img.alpha, expected[:, :, 1])
    (frame,) = iter_frames(src)
    np.testing.assert_array_equal(frame.rgba[:, :, :3], img.rgb)
    np.testing.assert_array_equal(frame.rgba[:, :, 3], img.alpha)
    with Image.open(src) as opened:  # as a PIL image, not yet decoded
        rgb, alpha = as_rgba(opened)
    np.testing.assert_array_equal(rgb, img.rgb)
    np.testing.assert_array_equal(alpha, img.alpha)


def test_every_frame_of_a_16_bit_grey_alpha_apng_is_read_from_all_16_bits(tmp_path):
    """Its frames too were read from their high bytes (0x00FF as 0)."""
    def frame(samples: list[int]) -> bytes:
        return zlib.compress(b"\0" + np.array(samples, ">u2").tobytes())

    def control(seq: int) -> bytes:  # the whole 2x1 canvas, blended over it
        return struct.pack(">IIIIIHHBB", seq, 2, 1, 0, 0, 1, 1, 0, 1)

    src = tmp_path / "la.png"
    src.write_bytes(png_of_chunks([
        (b"IHDR", struct.pack(">IIBBBBB", 2, 1, 16, 4, 0, 0, 0)),
        (b"acTL", struct.pack(">II", 2, 0)), (b"fcTL", control(0)),
        (b"IDAT", frame([0x00FF, 0xFFFF, 0x8000, 0x00FF])), (b"fcTL", control(1)),
        (b"fdAT", struct.pack(">I", 2) + frame([0x01FF, 0xFFFF, 0xFE00, 0x0000])),
        (b"IEND", b"")]))
    assert [f.rgba.tolist() for f in iter_frames(src)] == [
        [[[1, 1, 1, 255], [128, 128, 128, 1]]], [[[2, 2, 2, 255], [128, 128, 128, 1]]]]


def test_a_16_bit_grey_alpha_png_gamma_is_converted_from_its_16_bit_values(tmp_path):
    """As 16-bit grey without alpha is: 100, 200 and 300 of 65535, linear-light, read 5,
    10 and 14 (from the high bytes, 0, 0 and 13); alpha 0x7F80 scaled, to 127."""
    values = [0, 100, 200, 300, 1000, 30000, 65535]
    samples = np.dstack([np.array([values]), np.full((1, 7), 0x7F80)])
    img = load_image(_wide_png(tmp_path / "la.png", samples, _gama(1.0)))
    np.testing.assert_array_equal(img.rgb[0, :, 0], [0, 5, 10, 14, 33, 180, 255])
    np.testing.assert_array_equal(img.rgb[..., 1], img.rgb[..., 0])
    np.testing.assert_array_equal(img.alpha, np.full((1, 7), 127))


@pytest.mark.parametrize("channels", [3, 4])
def test_a_16_bit_rgb_png_gamma_is_converted_from_its_16_bit_values(tmp_path, channels):
    """Its gAMA was applied to the high bytes: a linear-light one read 100, 200 and 300 of
    65535 as 0, 0 and 13 where the same 16-bit grey reads 5, 10 and 14. Alpha is scaled,
    not converted (0x7F80 reads as 127)."""
    values = [0, 100, 200, 300, 1000, 30000, 65535]
    samples = np.repeat(np.array(values)[None, :, None], 3, axis=2)
    if channels == 4:
        samples = np.dstack([samples, np.full(samples.shape[:2], 0x7F80)])
    src = _wide_png(tmp_path / "w.png", samples, _gama(1.0))
    gray = load_image(_png_with_chunks(tmp_path / "g.png",
                                       Image.fromarray(np.array([values], np.uint16)),
                                       _gama(1.0)))
    img = load_image(src)
    np.testing.assert_array_equal(img.rgb[0, :, 0], [0, 5, 10, 14, 33, 180, 255])
    np.testing.assert_array_equal(img.rgb, gray.rgb)
    if channels == 4:
        np.testing.assert_array_equal(img.alpha, np.full((1, 7), 127))
    (frame,) = iter_frames(src)
    np.testing.assert_array_equal(frame.rgba[:, :, :3], img.rgb)


def test_the_icc_profile_of_a_16_bit_rgb_png_applies_to_its_8_bit_values(tmp_path):
    """The profile is applied to each sample's round(v / 257), as to an 8-bit PNG of those
    values (its gAMA, which the profile overrides, is not applied)."""
    samples = np.array([[[0x00FF, 0x7F80, 0xFE00], [0x01FF, 0x8080, 0xFFFF]]])
    iccp = (b"iCCP", b"linear\0\0" + zlib.compress(linear_rgb_icc()))
    img = load_image(_wide_png(tmp_path / "w.png", samples, iccp, _gama(1.0)))
    eight = Image.fromarray(np.array([[[1, 127, 253], [2, 128, 255]]], np.uint8))
    eight.save(tmp_path / "e.png", icc_profile=linear_rgb_icc())
    np.testing.assert_array_equal(img.rgb, load_image(tmp_path / "e.png").rgb)
    assert img.rgb[0, 1].tolist() == [22, 188, 255]  # linear 2 shows as 22, 128 as 188


def _palette_png(path: Path, trns: bytes, entries: int = 2) -> Path:
    """A 2x1 palette PNG of entries 0 (red) and 1 (blue), its palette of ``entries``
    entries (the rest black), with the tRNS chunk ``trns``."""
    palette = bytes([255, 0, 0, 0, 0, 255]) + bytes(3 * (entries - 2))
    path.write_bytes(png_of_chunks([
        (b"IHDR", struct.pack(">IIBBBBB", 2, 1, 8, 3, 0, 0, 0)), (b"PLTE", palette),
        (b"tRNS", trns), (b"IDAT", zlib.compress(b"\0\0\1")), (b"IEND", b"")]))
    return path


@pytest.mark.parametrize(("trns", "entries"), [
    (bytes([0, 128]) + bytes([7]) * 298, 2),  # Pillow: a byte of alpha per entry
    (b"\xff" * 299 + b"\0", 2),               # Pillow: transparent index 299
    (bytes([0]) + b"\xff" * 256, 256),         # Pillow: transparent index 0
])
def test_a_trns_chunk_longer_than_any_palette_is_left_out(tmp_path, trns, entries):
    """Pillow failed on the first two ("cannot decode image (palette index out of range)")
    and made entry 0 of the third transparent; libpng (ImageMagick) and Chromium leave the
    whole chunk out and show the image opaque."""
    src = _palette_png(tmp_path / "t.png", trns, entries)
    with pytest.warns(TransparencyChunkWarning) as caught:
        img = load_image(src)
    assert img.alpha is None
    assert img.rgb.tolist() == [[[255, 0, 0], [0, 0, 255]]]
    assert [str(w.message) for w in caught] == [
        f"its tRNS chunk holds {len(trns)} alpha values, more than the 256 entries a palette "
        "has; it is left out, as libpng and browsers leave it, and the image is read as opaque"]
    with pytest.warns(TransparencyChunkWarning):
        frames = [frame.rgba.tolist() for frame in iter_frames(src)]
    assert frames == [[[[255, 0, 0, 255], [0, 0, 255, 255]]]]


@pytest.mark.parametrize(("trns", "entries"), [
    (bytes([0, 128]) + bytes([7]) * 298, 2),  # Pillow: a byte of alpha per entry
    (b"\xff" * 299 + b"\0", 2),               # Pillow: transparent index 299
    (bytes([0]) + b"\xff" * 256, 256),         # Pillow: transparent index 0
])
def test_as_rgba_leaves_out_a_trns_chunk_longer_than_any_palette_as_load_image_does(
        tmp_path, trns, entries):
    """as_rgba refused the first two (its 'transparency' does not fit a mode 'P' image) and
    made entry 0 of the third transparent; the caller's image keeps its own value."""
    src = _palette_png(tmp_path / "t.png", trns, entries)
    with Image.open(src) as im:
        key = im.info["transparency"]
        with pytest.warns(TransparencyChunkWarning, match=f"holds {len(trns)} alpha values"):
            rgb, alpha = as_rgba(im)
        assert im.info["transparency"] == key
    assert alpha is None
    assert rgb.tolist() == [[[255, 0, 0], [0, 0, 255]]]


def test_a_trns_chunk_longer_than_its_palette_but_not_256_is_read_as_browsers_read_it(
        tmp_path):
    """Chromium uses such a chunk's values for the entries the palette has, as Pillow does."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", TransparencyChunkWarning)
        img = load_image(_palette_png(tmp_path / "t.png", bytes([0, 128, 7])))
    assert img.alpha.tolist() == [[0, 128]]


@pytest.mark.parametrize("chunks", [[], [_gama(1.0)]])
def test_the_transparent_colour_of_a_16_bit_rgb_png_is_alpha(tmp_path, chunks):
    """Pillow reads such a PNG at 8 bits but keeps its tRNS key in 16 bits, which no pixel
    equalled: the transparent colour came out opaque. Only the exact 16-bit colour is
    transparent, not the ones of the same high bytes."""
    pixels = [(20000, 300, 65535), (20001, 300, 65535), (20000, 301, 65535), (0, 0, 0),
              (20000, 300, 65535)]
    trns = (b"tRNS", struct.pack(">HHH", 20000, 300, 65535))
    img = load_image(_rgb16_png(tmp_path / "k.png", pixels, *chunks, trns))
    np.testing.assert_array_equal(img.alpha, [[0, 255, 255, 255, 0]])
    plain = load_image(_rgb16_png(tmp_path / "plain.png", pixels, *chunks))
    np.testing.assert_array_equal(img.rgb, plain.rgb)
    assert img.mode == "RGB"
    with Image.open(tmp_path / "k.png") as opened:  # as a PIL image, not yet decoded
        rgb, alpha = as_rgba(opened)
        assert opened.info["transparency"] == (20000, 300, 65535)  # the caller's, kept
    np.testing.assert_array_equal(alpha, img.alpha)
    np.testing.assert_array_equal(rgb, img.rgb)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_the_transparent_colour_of_a_16_bit_rgb_png_in_a_named_pipe_is_alpha(tmp_path):
    """The low bytes come from what Pillow read of the pipe, which is not read again."""
    pixels = [(20000, 300, 65535), (20001, 300, 65535)]
    src = _rgb16_png(tmp_path / "k.png", pixels, (b"tRNS", struct.pack(">HHH", *pixels[0])))
    writer = _fifo_holding(tmp_path / "pipe", src.read_bytes())
    img = load_image(tmp_path / "pipe")
    writer.join(timeout=10)
    np.testing.assert_array_equal(img.alpha, [[0, 255]])
    np.testing.assert_array_equal(img.rgb, [[[78, 1, 255], [78, 1, 255]]])


def test_the_transparent_colour_of_a_decoded_16_bit_rgb_png_is_matched_again_from_its_file(
        tmp_path):
    """Pillow keeps the high byte of each sample only: the colour was matched on those, and
    a pixel of the same high bytes made transparent too, with a warning. The file its name
    gives is read again, as a later APNG frame's is."""
    pixels = [(20000, 300, 65535), (20001, 300, 65535), (20000, 556, 65535), (0, 0, 0)]
    src = _rgb16_png(tmp_path / "k.png", pixels, (b"tRNS", struct.pack(">HHH", *pixels[0])),
                     _gama(1.0))
    with Image.open(src) as opened:
        opened.load()
        with warnings.catch_warnings():
            warnings.simplefilter("error", TransparentColorWarning)
            rgb, alpha = as_rgba(opened)
        assert opened.info["transparency"] == pixels[0]  # the caller's image is left alone
    loaded = load_image(src)
    np.testing.assert_array_equal(alpha, [[0, 255, 255, 255]])
    np.testing.assert_array_equal(alpha, loaded.alpha)
    np.testing.assert_array_equal(rgb, loaded.rgb)


def test_a_decoded_16_bit_rgb_png_from_a_file_object_has_its_colour_matched_on_high_bytes(
        tmp_path):
    """Opened from a file object, the file cannot be read again: Pillow kept the high byte of
    each sample, and the key in 16 bits, which no pixel then equals (the transparency was
    lost without a word); the warning says why the colour is matched on its high bytes."""
    pixels = [(20000, 300, 65535), (20001, 300, 65535), (20000, 556, 65535), (0, 0, 0)]
    src = _rgb16_png(tmp_path / "k.png", pixels, (b"tRNS", struct.pack(">HHH", *pixels[0])))
    with Image.open(io.BytesIO(src.read_bytes())) as opened:
        opened.load()
        with pytest.warns(TransparentColorWarning) as caught:
            rgb, alpha = as_rgba(opened)
        assert opened.info["transparency"] == pixels[0]  # the caller's image is left alone
    np.testing.assert_array_equal(alpha, [[0, 0, 255, 255]])
    np.testing.assert_array_equal(rgb, load_image(src).rgb)
    assert [w.message.facts for w in caught] == [
        "image is a 16-bit RGB PNG decoded at 8 bits per channel that cannot be read again "
        "from its file (it was opened from a file object, not by its name), and its "
        "transparent colour (20000, 300, 65535) is in 16 bits: the pixels of its high bytes "
        "(78, 1, 255) are made transparent, whatever their low bytes were"]


@pytest.mark.parametrize("name", ["gray16.png", "icc_linear_la.png", "palette_transparency.png",
                                  "keyed16.png"])
def test_a_frame_is_converted_as_a_still_image_is(corpus, tmp_path, name):
    """frame_rgba (animations, multi-page files) and load_image agree, alpha included."""
    path = corpus.get(name) or tmp_path / name
    if name == "keyed16.png":  # a 16-bit grayscale PNG whose value 700 is transparent
        Image.fromarray(np.array([[700, 60000]], np.uint16)).save(path, transparency=700)
    loaded = load_image(path)
    alpha = np.full(loaded.shape, 255, np.uint8) if loaded.alpha is None else loaded.alpha
    with Image.open(path) as im:
        np.testing.assert_array_equal(frame_rgba(im), np.dstack([loaded.rgb, alpha]))


def _red_centroid(rgb: np.ndarray) -> tuple[float, float]:
    ys, xs = np.nonzero((rgb[:, :, 0] > 128) & (rgb[:, :, 1] < 100))
    return ys.mean() / rgb.shape[0], xs.mean() / rgb.shape[1]


@pytest.mark.parametrize(("value", "transform"), [
    (2, np.fliplr),
    (3, lambda a: a[::-1, ::-1]),
    (4, np.flipud),
    (5, lambda a: a.transpose(1, 0, 2)),
    (6, lambda a: np.rot90(a, -1)),
    (7, lambda a: a.transpose(1, 0, 2)[::-1, ::-1]),
    (8, lambda a: np.rot90(a, 1)),
])
def test_exif_orientation_comes_out_upright(corpus, value, transform):
    stored = np.zeros((24, 40, 3), np.uint8)
    stored[:8, :8] = (255, 0, 0)
    expected = transform(stored)
    got = load_image(corpus[f"exif_orientation_{value}.jpg"]).rgb
    assert got.shape == expected.shape
    np.testing.assert_allclose(_red_centroid(got), _red_centroid(expected), atol=0.05)


@pytest.mark.parametrize("mode", ["L", "P", "RGBA", "CMYK", "I;16"])
@pytest.mark.parametrize(("value", "transform"), [
    (5, lambda a: a.transpose(1, 0, *range(2, a.ndim))),
    (6, lambda a: np.rot90(a, -1)),
    (8, lambda a: np.rot90(a, 1)),
])
def test_an_uncompressed_tiff_turned_a_quarter_comes_out_upright(tmp_path, mode, value,
                                                                   transform):
    """Pillow memory-mapped such a page at its upright size: diagonal stripes (RGB was
    right, as Pillow does not map it, and so was the file opened from a file object)."""
    grey = np.arange(24, dtype=np.uint8).reshape(4, 6) * 10
    stored = (Image.fromarray(grey.astype(np.uint16) * 257) if mode == "I;16"
              else Image.fromarray(grey).convert(mode))
    path = tmp_path / "scan.tif"
    stored.save(path, tiffinfo={274: value})
    shown = Image.fromarray(grey) if mode == "I;16" else stored
    expected = transform(np.asarray(shown.convert("RGBA")))
    loaded = load_image(path)
    alpha = np.full(loaded.shape, 255, np.uint8) if loaded.alpha is None else loaded.alpha
    np.testing.assert_array_equal(np.dstack([loaded.rgb, alpha]), expected)



#: XMP as Lightroom and exiftool write it, saying "turn a quarter clockwise".
_XMP_ORIENTATION_6 = ('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf='
                      '"http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
                      'rdf:about="" xmlns:tiff="http://ns.adobe.com/tiff/1.0/" '
                      'tiff:Orientation="6"/></rdf:RDF></x:xmpmeta>')


def _exif_in_text_chunk(value: int) -> PngImagePlugin.PngInfo:
    """A PNG's zTXt chunk holding an EXIF orientation as ImageMagick keeps one."""
    exif = Image.Exif()
    exif[0x0112] = value
    raw = exif.tobytes()
    info = PngImagePlugin.PngInfo()
    info.add_text("Raw profile type exif", f"\nexif\n{len(raw):8}\n{raw.hex()}\n", zip=True)
    return info


def _xmp_chunk() -> PngImagePlugin.PngInfo:
    info = PngImagePlugin.PngInfo()
    info.add_itxt("XML:com.adobe.xmp", _XMP_ORIENTATION_6)
    return info


def _exif_of_a_camera() -> bytes:
    """EXIF without an orientation."""
    exif = Image.Exif()
    exif[0x010F] = "Maker"
    return exif.tobytes()


@pytest.mark.parametrize(("name", "params"), [
    ("xmp.png", lambda: {"pnginfo": _xmp_chunk()}),
    ("xmp.jpg", lambda: {"xmp": _XMP_ORIENTATION_6.encode(), "quality": 100,
                         "subsampling": 0}),
    ("xmp.webp", lambda: {"xmp": _XMP_ORIENTATION_6.encode(), "lossless": True}),
    ("imagemagick.png", lambda: {"pnginfo": _exif_in_text_chunk(6)}),
    ("exif_and_xmp.png", lambda: {"pnginfo": _xmp_chunk(), "exif": _exif_of_a_camera()}),
])
def test_an_orientation_outside_the_exif_is_not_applied(tmp_path, name, params):
    """Pillow's getexif takes an XMP tiff:Orientation when the file's EXIF has none (and a
    PNG's "Raw profile type exif" text): such a file was turned a quarter, where browsers
    (Chromium) and most viewers show it as stored."""
    stored = np.zeros((2, 3, 3), np.uint8)
    stored[0, 0] = (255, 0, 0)
    path = tmp_path / name
    Image.fromarray(stored).save(path, **params())
    with Image.open(path) as im:  # the file holds what the test means it to
        assert im.getexif().get(0x0112) == 6
    got = load_image(path).rgb
    assert got.shape == (2, 3, 3)  # as stored; the JPEG's coding moves a value by 1
    assert np.abs(got.astype(int) - stored).max() <= 1


def _thumbnail_first_tiff(path, *pages):
    """A TIFF of an 8x6 red page marked a reduced-size copy (NewSubfileType 1), a thumbnail,
    then ``pages``: (size, colour, NewSubfileType) each."""
    thumb = Image.new("RGB", (8, 6), (200, 0, 0))
    rest = []
    for size, colour, subfile in pages:
        page = Image.new("RGB", size, colour)
        page.encoderinfo = {"tiffinfo": {254: subfile}}  # its own, not the thumbnail's
        rest.append(page)
    thumb.save(path, save_all=True, append_images=rest, tiffinfo={254: 1})
    with Image.open(path) as im:  # the file says what the test means it to
        marks = []
        for i in range(im.n_frames):
            im.seek(i)
            marks.append((im.size, im.tag_v2.get(254)))
    assert marks == [((8, 6), 1), *((size, subfile) for size, _, subfile in pages)]
    return path


def test_a_tiff_whose_first_page_is_a_thumbnail_is_read_at_its_full_image(tmp_path):
    """Page 1 marked a reduced-size copy (NewSubfileType 1) and page 2 the full image: the
    8x6 thumbnail was read, with '1 other page left out' of the image itself."""
    src = _thumbnail_first_tiff(tmp_path / "scan.tif", ((32, 24), (0, 0, 200), 0))
    with pytest.warns(PagesLeftOutWarning) as caught:
        loaded = load_image(src)
    assert (loaded.shape, loaded.n_frames, loaded.rgb[0, 0].tolist()) == ((24, 32), 1,
                                                                          [0, 0, 200])
    assert [str(w.message) for w in caught if w.category is PagesLeftOutWarning] == [
        "TIFF of 2 pages of different sizes, which cannot be the frames of one animation: "
        "only its page 2 (32x24), the first not marked a reduced-size copy, is read, and 1 "
        "other page left out"]
    assert probe_image(src) == (32, 24)
    assert [f.rgba.shape for f in iter_frames(src)] == [(24, 32, 4)]


def test_the_page_read_of_a_gif_is_found_without_counting_its_frames(tmp_path, monkeypatch):
    """Only a TIFF's pages are looked at: the frames of every image were counted, and
    Pillow reads a whole GIF to count them, at each opening of the file."""
    from PIL import GifImagePlugin

    src = tmp_path / "a.gif"
    frames = [Image.new("RGB", (4, 4), (80 * i, 0, 0)) for i in range(3)]
    frames[0].save(src, save_all=True, append_images=frames[1:], duration=50)
    counted, real = [], GifImagePlugin.GifImageFile.n_frames

    def counting(im):
        counted.append(im)
        return real.fget(im)

    monkeypatch.setattr(GifImagePlugin.GifImageFile, "n_frames", property(counting))
    with Image.open(src) as im:
        assert (first_page(im), im.tell(), counted) == (0, 0, [])
        assert im.n_frames == 3 and counted  # the counter sees a count


def test_a_tiff_thumbnail_then_pages_of_their_own_says_to_save_them(tmp_path):
    src = _thumbnail_first_tiff(tmp_path / "doc.tif", ((32, 24), (0, 0, 200), 0),
                                ((24, 32), (0, 200, 0), 0))
    with pytest.warns(PagesLeftOutWarning, match=r"^TIFF of 3 pages of different sizes, "
                      r"which cannot be the frames of one animation: only its page 2 "
                      r"\(32x24\), the first not marked a reduced-size copy, is read, and 2 "
                      r"other pages left out; save each page as an image of its own to use "
                      r"it$"):
        assert load_image(src).shape == (24, 32)


def test_the_pixel_limit_applies_to_the_tiff_page_read_not_its_thumbnail(tmp_path):
    """The 8x6 thumbnail (48 pixels) passed a limit of 100 that the 32x24 image read is over."""
    src = _thumbnail_first_tiff(tmp_path / "scan.tif", ((32, 24), (0, 0, 200), 0))
    for read in (load_image, probe_image):
        with pytest.raises(ImageReadError) as caught:
            read(src, max_pixels=100)
        assert str(caught.value) == (f"{src}: 32x24 = 768 pixels exceeds the limit of 100; "
                                     "if the file is trusted, set max_pixels=768 or more")



def _icon(path, sizes):
    """An icon of ``sizes`` made by Pillow from one 48x48 picture: red, its top left green."""
    picture = np.zeros((48, 48, 3), np.uint8)
    picture[...] = (200, 0, 0)
    picture[:24, :24] = (0, 200, 0)
    Image.fromarray(picture).save(path, sizes=sizes)
    return path


def test_an_icon_of_several_sizes_says_the_others_are_left_out(tmp_path):
    """The largest of an ICO's sizes was read, the others dropped without a word."""
    src = _icon(tmp_path / "app.ico", [(16, 16), (32, 32), (48, 48)])
    with pytest.warns(PagesLeftOutWarning) as caught:
        loaded = load_image(src)
    assert (loaded.shape, loaded.rgb[0, 0].tolist(), loaded.rgb[47, 47].tolist()) == (
        (48, 48), [0, 200, 0], [200, 0, 0])
    assert [str(w.message) for w in caught if w.category is PagesLeftOutWarning] == [
        "ICO of 3 sizes: only the largest (48x48) is read, and 2 other sizes left out; save "
        "each size as an image of its own to use it"]


def test_an_icon_of_one_size_gives_no_sizes_left_out_warning(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error", PagesLeftOutWarning)
        assert load_image(_icon(tmp_path / "app.ico", [(32, 32)])).shape == (32, 32)


def test_an_icns_counts_its_sizes_in_pixels(tmp_path):
    """Pillow writes an ICNS of 8 images, 16x16 at scale 2 to 512x512 at scale 2: a 512x512
    image and a 256x256 one at scale 2 are one size, 6 sizes in all."""
    src = tmp_path / "app.icns"
    Image.new("RGB", (64, 64), (0, 0, 200)).save(src)
    with pytest.warns(PagesLeftOutWarning) as caught:
        assert load_image(src).shape == (1024, 1024)
    assert [str(w.message) for w in caught if w.category is PagesLeftOutWarning] == [
        "ICNS of 6 sizes: only the largest (1024x1024) is read, and 5 other sizes left out; "
        "save each size as an image of its own to use it"]


# -- in-memory images -------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32, np.float64])
def test_as_rgba_dtypes_agree(dtype):
    base = np.random.default_rng(0).integers(0, 256, (5, 7, 3)).astype(np.uint8)
    if dtype == np.uint16:
        arr = base.astype(np.uint16) * 257
    elif np.dtype(dtype).kind == "f":
        arr = base.astype(dtype) / 255.0
    else:
        arr = base.copy()
    before = arr.copy()
    rgb, alpha = as_rgba(arr)
    np.testing.assert_array_equal(rgb, base)
    assert alpha is None
    np.testing.assert_array_equal(arr, before)  # caller's array untouched
    assert not np.shares_memory(rgb, arr)


@pytest.mark.parametrize(("value", "expected"), [
    (np.float32(0.5 / 255), 1),  # 0.50000003 levels, not the 0.5 a float32 product gave
    (np.float32(8.5 / 255), 9),  # 8.5000005 levels
    (np.float16(0.01765), 5),  # 4.502 levels, not the 4.5 a float16 product gave
    (np.float16(0.005882), 1),  # 1.49997 levels, not 1.5
])
def test_a_float_array_is_scaled_by_its_exact_value_as_a_pil_f_image_is(value, expected):
    """A float32 or float16 array was scaled in its own precision: a value just past the
    middle of two levels rounded to the half and then to the even level, one off the
    level a PIL "F" image of the same value gave."""
    arr = np.full((1, 2), value)
    assert as_rgba(arr)[0].tolist() == [[[expected] * 3] * 2]
    assert as_rgba(arr.astype(np.float64))[0].tolist() == [[[expected] * 3] * 2]
    assert as_rgba(Image.fromarray(arr.astype(np.float32), "F"))[0].tolist() == [
        [[expected] * 3] * 2]


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
def test_float_values_a_hair_outside_the_unit_range_read_as_their_bound(dtype):
    """1 + 1e-12 or -1e-12, as arithmetic leaves them (a float16 one step past 1), were
    refused; within half a level of 8 bits they read as the bound, 1 + 1/510 as 255 (not
    as 256, wrapped to 0)."""
    arr = np.array([[[-1 / 1024, 1 + 1 / 1024, 0.2], [1.0, 0.0, 0.6]]], dtype)
    if dtype == np.float64:  # 0.1 * 3 / 0.3 is 1.0000000000000002
        arr[0, 1] = [1 + 1 / 510, -1 / 510, 0.1 * 3 / 0.3]
    elif dtype == np.float32:
        arr[0, 1] = [1.0000001, -1e-17, 0.6]
    before = arr.copy()
    rgb, alpha = as_rgba(arr)
    assert rgb.tolist() == [[[0, 255, 51], [255, 0, 255 if dtype == np.float64 else 153]]]
    np.testing.assert_array_equal(arr, before)  # clipped in a copy
    past = arr.copy()
    past[0, 0, 0] = -1 / 256
    with pytest.raises(ValueError) as refused:
        as_rgba(past)
    assert str(refused.value) == (
        f"image of float dtype should hold values in [0, 1], got [{shown_value(past.min())}, "
        f"{shown_value(past.max())}]; if they are 0..1 gone a little past its ends, clip them "
        "first (np.clip(image, 0, 1)), or pass stretch=True to map their own range onto 0..255")
    assert past.min() < -1 / 510  # refused for its low value alone


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_float_image_of_levels_0_to_255_is_refused_saying_to_divide_by_255(dtype):
    from quantize import reduce_colors

    levels = np.array([[[0, 128, 255], [12, 200, 7]]], dtype)  # uint8 pixels, as floats
    with pytest.raises(ValueError) as refused:
        reduce_colors(levels, 2, seed=0)
    assert str(refused.value) == (
        "image of float dtype should hold values in [0, 1], got [0, 255]; for levels "
        "0..255, divide by 255 (image / 255) or pass np.rint(image).astype(np.uint8)")
    assert reduce_colors(levels / 255, 2, seed=0).palette.dtype == np.uint8  # as it says
    levels[0, 0, 0] = 256  # past 8 bits: no such advice
    with pytest.raises(ValueError, match=r"got \[7, 256\]$"):
        reduce_colors(levels, 2, seed=0)


def test_reduce_colors_reads_a_float_image_a_hair_outside_the_unit_range_clipped():
    rng = np.random.default_rng(0)
    image = rng.random((6, 7, 3))
    image[0, 0], image[1, 1] = [1 + 1e-12, -1e-12, 1.0], [1 + 1 / 510, -1 / 510, 0.0]
    from quantize import reduce_colors

    got = reduce_colors(image, 4, seed=0)
    want = reduce_colors(np.clip(image, 0, 1), 4, seed=0)
    np.testing.assert_array_equal(got.palette, want.palette)
    np.testing.assert_array_equal(got.indices, want.indices)


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.uint16])
def test_a_float_or_16_bit_array_is_scaled_a_band_of_rows_at_a_time(dtype):
    """The whole array was scaled in float64 and rounded into another float64 array, 16
    bytes a sample: 48 bytes a pixel of an RGB array held besides the result (2 GB for an
    8000x8000 float32 photo, more than the rest of segment took). Made a band of rows at
    a time (about 8 bands here), the same levels come out for less than 10."""
    import tracemalloc

    h, w = 2000, 1000
    levels = (np.arange(h * w * 3) % 251).reshape(h, w, 3)
    arr = (levels * 257).astype(dtype) if dtype == np.uint16 else (levels / 255).astype(dtype)
    tracemalloc.start()
    try:
        rgb, alpha = as_rgba(arr)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    np.testing.assert_array_equal(rgb, levels)
    assert alpha is None
    assert peak / (h * w) < 16


def _bmp_with_alpha(path: Path, bgra: np.ndarray) -> Path:
    """A 32-bit BMP of ``bgra`` ((H, W, 4) uint8, top row first) with a BITMAPV5HEADER whose
    masks name the fourth byte of each pixel alpha, as Pillow reads it (mode RGBA)."""
    h, w = bgra.shape[:2]
    pixels = np.ascontiguousarray(bgra[::-1]).tobytes()  # bottom row first
    header = struct.pack("<IiiHHIIiiII", 124, w, h, 1, 32, 3, len(pixels), 2835, 2835, 0, 0)
    header += struct.pack("<IIII", 0xFF0000, 0xFF00, 0xFF, 0xFF000000)
    header += bytes(124 - len(header))
    start = 14 + len(header)
    path.write_bytes(b"BM" + struct.pack("<IHHI", start + len(pixels), 0, 0, start)
                     + header + pixels)
    return path


def test_a_bmp_whose_alpha_is_0_in_every_pixel_is_read_opaque(tmp_path):
    """Such a file's writer left the fourth byte unused; read as alpha, it came out wholly
    transparent (reduce wrote "0 colours", an empty picture). Chromium shows it opaque."""
    bgra = np.array([[[50, 100, 200, 0], [0, 0, 255, 0]], [[255, 0, 0, 0], [9, 9, 9, 0]]],
                    np.uint8)
    src = _bmp_with_alpha(tmp_path / "a.bmp", bgra)
    expected = bgra[..., 2::-1].tolist()  # as RGB
    img = load_image(src)
    assert img.alpha is None
    assert img.rgb.tolist() == expected
    with Image.open(src) as im:
        assert im.mode == "RGBA"
        rgb, alpha = as_rgba(im)
    assert alpha is None
    assert rgb.tolist() == expected
    bgra[0, 0, 3] = 255  # one pixel of alpha: the channel is used, and read as it is
    img = load_image(_bmp_with_alpha(tmp_path / "b.bmp", bgra))
    assert img.alpha.tolist() == [[255, 0], [0, 0]]
    assert img.rgb.tolist() == expected


def _ico32(path: Path, bgra: np.ndarray, and_mask: np.ndarray) -> Path:
    """An ICO of one 32-bit bitmap of ``bgra`` ((H, W, 4) uint8, top row first) and its AND
    mask ``and_mask`` ((H, W), 1 where transparent)."""
    h, w = bgra.shape[:2]
    stride = (w + 31) // 32 * 4
    mask = np.zeros((h, stride * 8), np.uint8)
    mask[:, :w] = and_mask
    bitmap = (struct.pack("<IiiHHIIiiII", 40, w, 2 * h, 1, 32, 0, 0, 0, 0, 0, 0)
              + np.ascontiguousarray(bgra[::-1]).tobytes()
              + np.packbits(mask[::-1], axis=1).tobytes())
    path.write_bytes(struct.pack("<HHH", 0, 1, 1)
                     + struct.pack("<BBBBHHII", w, h, 0, 0, 1, 32, len(bitmap), 22) + bitmap)
    return path


def test_a_32_bit_ico_whose_alpha_is_0_in_every_pixel_is_read_by_its_and_mask(tmp_path):
    """Pillow reads a 32-bit icon's alpha from the fourth byte of each pixel: one whose
    writer left it 0 came out wholly transparent. Chromium draws it by its AND mask
    (opaque where the mask is 0), and so it is read; one with any alpha keeps it."""
    bgra = np.array([[[50, 100, 200, 0], [0, 0, 255, 0], [1, 2, 3, 0]],
                     [[255, 0, 0, 0], [9, 9, 9, 0], [4, 5, 6, 0]]], np.uint8)
    and_mask = np.array([[0, 1, 0], [1, 0, 0]])
    src = _ico32(tmp_path / "a.ico", bgra, and_mask)
    expected = bgra[..., 2::-1].tolist()  # as RGB
    img = load_image(src)
    assert img.alpha.tolist() == [[255, 0, 255], [0, 255, 255]]
    assert img.rgb.tolist() == expected
    with Image.open(src) as im:
        rgb, alpha = as_rgba(im)
    assert alpha.tolist() == img.alpha.tolist()
    assert rgb.tolist() == expected
    bgra[0, 0, 3] = 128  # one pixel of alpha: the channel is used, the mask is not
    img = load_image(_ico32(tmp_path / "b.ico", bgra, and_mask))
    assert img.alpha.tolist() == [[128, 0, 0], [0, 0, 0]]


def test_as_rgba_gray_alpha_and_pil():
    gray = np.arange(12, dtype=np.uint8).reshape(3, 4)
    rgb, _ = as_rgba(gray)
    assert (rgb == gray[:, :, None]).all()
    rgba = np.zeros((2, 2, 4), np.uint8)
    rgba[..., 3] = [[0, 255], [255, 255]]
    assert as_rgba(rgba)[1].tolist() == [[0, 255], [255, 255]]
    rgb_pil, alpha_pil = as_rgba(Image.fromarray(rgba))
    assert alpha_pil.tolist() == [[0, 255], [255, 255]]


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32])
def test_a_grey_and_alpha_array_reads_as_the_pil_la_image_it_came_from(dtype):
    """np.asarray of a PIL "LA" image, (H, W, 2), was refused as a wrong shape, though the
    PIL image itself was read, with its alpha."""
    la = np.array([[[0, 0], [100, 128]], [[200, 255], [255, 7]]], np.uint8)
    scale = {np.uint8: 1, np.uint16: 257, np.float32: 1 / 255}[dtype]
    arr = (la.astype(np.float64) * scale).astype(dtype)
    before = arr.copy()
    rgb, alpha = as_rgba(arr)
    pil_rgb, pil_alpha = as_rgba(Image.fromarray(la, "LA"))
    assert rgb.tolist() == pil_rgb.tolist() == [[[0] * 3, [100] * 3], [[200] * 3, [255] * 3]]
    assert alpha.tolist() == pil_alpha.tolist() == [[0, 128], [255, 7]]
    np.testing.assert_array_equal(arr, before)
    opaque = la.copy()
    opaque[..., 1] = 255
    assert as_rgba(opaque)[1] is None  # all opaque: no alpha, as for (H, W, 4)


def test_a_premultiplied_grey_pil_image_is_read_with_its_alpha():
    """Mode "La" raised Pillow's "conversion from La to L not supported", naming no
    parameter; "RGBa" was read."""
    la = Image.fromarray(np.array([[[10, 200], [100, 0], [50, 255]]], np.uint8), "LA")
    rgb, alpha = as_rgba(la.convert("La"))
    assert alpha.tolist() == [[200, 0, 255]]
    assert rgb[..., 0].tolist() == [[10, 0, 50]]  # a fully transparent pixel keeps no colour
    assert (rgb == rgb[..., :1]).all()


@pytest.mark.parametrize("profile", [False, True])
def test_a_palette_image_whose_palette_holds_alpha_is_read_with_it(profile):
    """A mode "P" image with an "RGBA" palette (what Image.quantize makes of an RGBA image)
    has no "transparency" in its info: it was read opaque, its transparent pixels shown
    in their stored colours, and reduce_colors returned no alpha without a word."""
    im = Image.fromarray(np.array([[0, 1, 2]], np.uint8), "P")
    im.putpalette(bytes([200, 0, 0, 0, 0, 200, 0, 128, 0, 0, 200, 255]), "RGBA")
    if profile:  # an sRGB profile: the colours are converted, the alpha kept
        im.info["icc_profile"] = ImageCms.ImageCmsProfile(
            ImageCms.createProfile("sRGB")).tobytes()
    rgb, alpha = as_rgba(im)
    assert rgb.tolist() == [[[200, 0, 0], [0, 200, 0], [0, 0, 200]]]
    assert alpha.tolist() == [[0, 128, 255]]
    opaque = Image.fromarray(np.array([[0, 1]], np.uint8), "P")
    opaque.putpalette(bytes([9, 9, 9, 255, 7, 7, 7, 255]), "RGBA")
    assert as_rgba(opaque)[1] is None  # every entry opaque: no alpha


@pytest.mark.parametrize("name", ["icc_linear.png", "icc_linear_palette.png",
                                  "icc_linear_gray.png", "icc_linear_la.png"])
def test_as_rgba_converts_a_pil_image_as_load_image_converts_its_file(corpus, name):
    """A PIL image opened from a file with a colour profile was taken in its unconverted
    colours, so reduce_colors(Image.open(f)) and the command line gave different results."""
    with Image.open(corpus[name]) as im:
        rgb, alpha = as_rgba(im)
    loaded = load_image(corpus[name])
    np.testing.assert_array_equal(rgb, loaded.rgb)
    np.testing.assert_array_equal(rgb, np.full((16, 16, 3), 188, np.uint8))
    assert (alpha is None) == (loaded.alpha is None)


@pytest.mark.parametrize(("mode", "key"), [("RGB", (255, 255, 255)), ("L", 255)])
def test_a_colour_key_makes_its_pixels_transparent(tmp_path, mode, key):
    # A PNG's tRNS chunk on an RGB or grey image marks one colour transparent, as
    # viewers and Pillow's RGBA conversion show it; it was ignored, so the keyed
    # pixels came out opaque (white here) in every output.
    rgb = np.zeros((4, 3, 3), np.uint8)
    rgb[:2] = 255
    path = tmp_path / "keyed.png"
    Image.fromarray(rgb if mode == "RGB" else rgb[..., 0]).save(path, transparency=key)
    expected = [[0, 0, 0]] * 2 + [[255, 255, 255]] * 2
    loaded = load_image(path)
    assert loaded.alpha.tolist() == expected
    assert (loaded.rgb == rgb).all()
    with Image.open(path) as im:
        assert as_rgba(im)[1].tolist() == expected
    Image.fromarray(rgb).save(tmp_path / "plain.png")
    assert load_image(tmp_path / "plain.png").alpha is None


def test_a_colour_key_survives_the_icc_conversion(tmp_path):
    # With an ICC profile the pixels went through a profile conversion that kept
    # no colour key, so the keyed pixels came out opaque again.
    from PIL import ImageCms

    rgb = np.zeros((4, 3, 3), np.uint8)
    rgb[:2] = 255
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    path = tmp_path / "keyed_icc.png"
    Image.fromarray(rgb).save(path, transparency=(255, 255, 255), icc_profile=srgb)
    loaded = load_image(path)
    assert loaded.alpha.tolist() == [[0, 0, 0]] * 2 + [[255, 255, 255]] * 2
    np.testing.assert_allclose(loaded.rgb, rgb, atol=1)  # sRGB to sRGB


@pytest.mark.parametrize("dtype", [">u2", ">f8", ">f4"])
def test_big_endian_arrays_read_as_their_values(dtype):
    # ">u2" (16-bit samples as a raw file stores them) was refused: "should have
    # dtype uint8, uint16, bool or float, got >u2".
    native = np.array([[[0, 257, 65535], [32896, 514, 1285]]], np.uint16)
    image = native.astype(dtype) if dtype == ">u2" else (native / 65535).astype(dtype)
    rgb, alpha = as_rgba(image)
    assert rgb.tolist() == [[[0, 1, 255], [128, 2, 5]]] and alpha is None
    assert not image.dtype.isnative  # the caller's array is left as it was


@pytest.mark.parametrize("band_pixels", [4, 1 << 18])  # 4: one row per band
def test_float_pil_image_is_scaled_alike_in_every_band(monkeypatch, band_pixels):
    # A float ("F") image in [0, 1] is scaled by 255, one in [0, 255] kept as is;
    # that was decided per band of rows, so an image over 2**18 pixels whose first
    # rows held values <= 1 came out with those rows near white.
    monkeypatch.setattr("quantize.io.read._BAND_PIXELS", band_pixels)
    plane = np.array([[0.0, 1.0], [1.0, 0.0], [200.0, np.nan]], np.float32)
    with pytest.warns(PixelRangeWarning, match="^1 NaN or infinite of its 6 pixels"):
        rgb, alpha = as_rgba(Image.fromarray(plane, mode="F"))
    assert rgb[..., 0].tolist() == [[0, 1], [1, 0], [200, 0]]
    assert (rgb == rgb[..., :1]).all() and alpha is None
    unit = np.array([[0.0, 0.5], [1.0, 0.2]], np.float32)
    assert as_rgba(Image.fromarray(unit, mode="F"))[0][..., 0].tolist() == [[0, 128],
                                                                             [255, 51]]


def test_a_pil_image_whose_file_was_closed_before_decoding_is_refused_naming_it(tmp_path):
    # used after its with block, a lazily opened image failed with Pillow's bare
    # AssertionError (no message); closed by hand, with "Operation on closed image"
    path = tmp_path / "a.png"
    Image.new("RGB", (3, 2), (200, 30, 30)).save(path)
    with Image.open(path) as ended:
        pass
    closed = Image.open(path)
    closed.close()
    stream = io.BytesIO(path.read_bytes())
    unread = Image.open(stream)
    stream.close()
    for image in (ended, closed, unread):
        with pytest.raises(ValueError, match=r"^image is a PIL image whose file was closed "
                                             r"before its pixels were read \(Image\.open in "
                                             r"a with block that has ended\); call "
                                             r"image\.load\(\) while the file is open"):
            as_rgba(image)
    with Image.open(path) as loaded:
        loaded.load()
    assert as_rgba(loaded)[0].tolist() == [[[200, 30, 30]] * 3] * 2


def test_a_gif_or_tiff_decoded_in_a_with_block_is_read(tmp_path):
    # Pillow counts a GIF's frames (and a TIFF's pages) by reading its file: once the
    # with block had closed it, the frame count for the FirstFrameWarning failed with
    # Pillow's "Operation on closed image", though the pixels were decoded (a PNG, JPEG
    # or WebP so decoded was read)
    from quantize.animation import FirstFrameWarning

    greys = [Image.new("RGB", (3, 2), (v, v, v)) for v in (10, 100, 200)]
    greys[0].save(tmp_path / "still.gif")
    greys[0].save(tmp_path / "a.gif", save_all=True, append_images=greys[1:], duration=50)
    greys[0].save(tmp_path / "a.tif", save_all=True, append_images=greys[1:])
    for name, frame, grey in [("still.gif", 0, 10), ("a.gif", 0, 10)]:
        with Image.open(tmp_path / name) as image:
            image.seek(frame)
            image.load()
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # the frames after it cannot be counted
            assert as_rgba(image)[0].tolist() == [[[grey] * 3] * 3] * 2
    for name, frame, grey in [("a.gif", 2, 200), ("a.tif", 1, 100)]:
        with Image.open(tmp_path / name) as image:
            image.seek(frame)
            image.load()
        with pytest.warns(FirstFrameWarning) as caught:
            assert as_rgba(image)[0].tolist() == [[[grey] * 3] * 3] * 2
        assert [str(w.message) for w in caught] == [
            f"image is one of at least {frame + 1} frames (or pages) of its file, and a PIL "
            "image holds one at a time: only that one is used"]


def test_a_pil_image_closed_after_decoding_is_refused_naming_it(tmp_path):
    # its pixels freed by close(), it failed with Pillow's "Operation on closed image",
    # which names neither the parameter nor what to do
    path = tmp_path / "a.png"
    Image.new("RGB", (3, 2), (200, 30, 30)).save(path)
    decoded = Image.open(path)
    decoded.load()
    made = Image.new("RGB", (3, 2), (200, 30, 30))
    converted = made.convert("L")
    for image in (decoded, made, converted):
        image.close()
        with pytest.raises(ValueError) as info:
            as_rgba(image, name="photo")
        assert str(info.value) == ("photo is a PIL image that was closed (image.close()), "
                                   "which frees its pixels; pass it before closing it, or a "
                                   "copy (image.copy())")


@pytest.mark.parametrize(("rgb", "alpha", "error", "message"), [
    (np.zeros((2, 2, 3)), None, TypeError,
     r"rgb should be a non-empty \(H, W, 3\) uint8 array, got a float64 array of shape "
     r"\(2, 2, 3\); pass an array of another dtype or shape as the image itself$"),
    (np.zeros((2, 2), np.uint8), None, ValueError,
     r"rgb should .* got a uint8 array of shape \(2, 2\);"),
    ([[0, 0, 0]], None, TypeError, r"rgb should .* got a list;"),
    (np.zeros((2, 2, 3), np.uint8), np.zeros((2, 2)), TypeError,
     r"alpha should be None or a \(2, 2\) uint8 array, got a float64 array of shape"),
    (np.zeros((2, 2, 3), np.uint8), np.zeros((3, 3), np.uint8), ValueError,
     r"alpha should be None or a \(2, 2\) uint8 array, got a uint8 array of shape \(3, 3\)$"),
])
def test_a_loaded_image_built_by_hand_is_checked(rgb, alpha, error, message):
    # its arrays were used unchecked: "ufunc 'bitwise_or' not supported for the input
    # types", "index 2 is out of bounds", "could not broadcast input array"
    with pytest.raises(error, match=r"^LoadedImage\." + message):
        LoadedImage(rgb, alpha)
    good = LoadedImage(np.zeros((2, 2, 3), np.uint8), np.full((2, 2), 7, np.uint8))
    assert as_rgba(good)[1].tolist() == [[7, 7], [7, 7]]


@pytest.mark.parametrize(("field", "value", "error", "message"), [
    ("n_frames", "2", TypeError, "LoadedImage.n_frames='2' should be an integer, got str"),
    ("n_frames", 0, ValueError, "LoadedImage.n_frames=0 should be >= 1"),
    ("n_frames", 2.0, TypeError, "LoadedImage.n_frames=2.0 should be an integer, got float"),
    ("loop", -1, ValueError, "LoadedImage.loop=-1 should be >= 0"),
    ("loop", "0", TypeError, "LoadedImage.loop='0' should be an integer, got str"),
    ("duration", "100", TypeError, "LoadedImage.duration='100' should be a number, got str"),
    ("duration", -5, ValueError, "LoadedImage.duration=-5 should be >= 0"),
    ("duration", float("nan"), ValueError, "LoadedImage.duration=nan should be a finite number"),
    ("path", 3, TypeError, "LoadedImage.path should be a path (str or os.PathLike), got int"),
    ("path", "", ValueError, "LoadedImage.path='' is empty; expected a path"),
    ("mode", None, TypeError, "LoadedImage.mode=None should be a str, Pillow's mode name, "
                              "got NoneType"),
    ("format", b"PNG", TypeError, "LoadedImage.format=b'PNG' should be a str, Pillow's format "
                                  "name, or None, got bytes"),
    ("gray_profile", "icc", TypeError, "LoadedImage.gray_profile should be bytes (an ICC "
                                       "profile) or None, got str"),
])
def test_the_fields_of_a_loaded_image_built_by_hand_are_checked(field, value, error, message):
    # they were taken as given: n_frames="2" failed later, in as_rgba, with Python's
    # "'>' not supported between instances of 'str' and 'int'"
    rgb = np.zeros((2, 2, 3), np.uint8)
    with pytest.raises(error) as info:
        LoadedImage(rgb, None, **{field: value})
    assert str(info.value) == message


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_threads_reading_one_lazily_opened_pil_image_all_get_its_pixels(tmp_path, rng, fmt):
    """Pillow decodes an opened image on first use, which two threads at once did over
    each other: a sound file was said to be damaged ("truncated or malformed file")."""
    from concurrent.futures import ThreadPoolExecutor

    path = tmp_path / f"noise.{fmt.lower()}"
    Image.fromarray(rng.integers(0, 256, (300, 300, 3), dtype=np.uint8)).save(path, fmt)
    expected = load_image(path).rgb
    for _ in range(3):
        with Image.open(path) as im, ThreadPoolExecutor(8) as pool:
            got = list(pool.map(lambda _: as_rgba(im), range(8)))
        assert all(np.array_equal(rgb, expected) and alpha is None for rgb, alpha in got)


def test_loaded_images_are_equal_only_to_themselves_and_hashable():
    """== compared the arrays field by field: 'The truth value of an array with more than
    one element is ambiguous' for two images of the same pixels, and no hash."""
    a, b = (LoadedImage(np.zeros((2, 2, 3), np.uint8), None) for _ in range(2))
    assert (a == a, a == b, a != b, a in [b], len({a, b, a})) == (True, False, True, False, 2)


def test_a_loaded_image_built_by_hand_keeps_its_fields_as_load_image_gives_them():
    rgb = np.zeros((2, 2, 3), np.uint8)
    loaded = LoadedImage(rgb, None, "a.gif", "P", "GIF", np.int64(3), np.uint16(0), 40)
    assert (loaded.path, loaded.mode, loaded.format) == (Path("a.gif"), "P", "GIF")
    assert [(v, type(v)) for v in (loaded.n_frames, loaded.loop, loaded.duration)] == [
        (3, int), (0, int), (40.0, float)]
    assert LoadedImage(rgb, None, format=None).format is None


def test_a_loaded_image_is_an_array_of_its_pixels_as_the_library_reads_them(tmp_path):
    """np.asarray(load_image(path)) was a 0-d object array (no __array__)."""
    rgba = np.zeros((2, 3, 4), np.uint8)
    rgba[..., :3] = [[[10, 20, 30]] * 3, [[40, 50, 60]] * 3]
    rgba[..., 3] = [[255, 0, 128], [255, 255, 255]]
    Image.fromarray(rgba).save(tmp_path / "a.png")
    loaded = load_image(tmp_path / "a.png")
    pixels = np.asarray(loaded)
    assert pixels.dtype == np.uint8
    np.testing.assert_array_equal(pixels, rgba)
    assert np.asarray(loaded, dtype=np.float32).dtype == np.float32
    np.testing.assert_array_equal(np.asarray(loaded, dtype=np.float32), rgba)
    with pytest.raises(ValueError, match=r"^a LoadedImage with alpha cannot be given as an "
                                         r"array without a copy: its rgb and alpha are "
                                         r"stacked into a new one$"):
        np.array(loaded, copy=False)
    # opaque: alpha left out, as as_rgba and reduce_colors read it; no copy unless asked
    opaque = LoadedImage(loaded.rgb, np.full((2, 3), 255, np.uint8))
    assert np.asarray(opaque) is opaque.rgb
    assert np.array(opaque, copy=False) is opaque.rgb
    copied = np.array(opaque)
    assert copied is not opaque.rgb and np.array_equal(copied, opaque.rgb)
    assert np.asarray(LoadedImage(loaded.rgb, None)).shape == (2, 3, 3)


def test_a_loaded_image_built_by_hand_with_opaque_alpha_is_read_as_opaque():
    """load_image gives alpha None when every pixel is opaque, and so does as_rgba for an
    (H, W, 4) array or PIL image; a LoadedImage built with an alpha of 255 everywhere was
    reduced as an image with alpha, to another palette, and a result whose alpha said so."""
    from quantize import reduce_colors

    rgb = np.array([[[200, 30, 30], [190, 40, 30], [20, 20, 220]],
                    [[30, 30, 200], [250, 250, 250], [240, 250, 250]]], np.uint8)
    loaded = LoadedImage(rgb, np.full((2, 3), 255, np.uint8))
    assert as_rgba(loaded)[1] is None
    result = reduce_colors(loaded, 3, seed=0)
    assert result.alpha is None
    assert result.palette.tolist() == reduce_colors(rgb, 3, seed=0).palette.tolist()


def test_a_numpy_matrix_reads_as_the_grey_array_it_holds():
    # np.matrix, an ndarray subclass that stays 2-D, failed with NumPy's "could not
    # broadcast input array from shape (2,2,1) into shape (2,2)"
    grey = np.array([[0, 100], [200, 255]], np.uint8)
    with warnings.catch_warnings():  # NumPy's advice against np.matrix
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        matrix = np.asmatrix(grey)
    rgb, alpha = as_rgba(matrix)
    assert type(rgb) is np.ndarray and rgb.shape == (2, 2, 3) and alpha is None
    assert (rgb == grey[:, :, None]).all()


@pytest.mark.parametrize(("image", "error", "match"), [
    ([[1, 2], [3, 4]], TypeError, "numpy array or a PIL image"),
    (np.zeros((2, 2, 5), np.uint8), ValueError,
     r"^image should have shape \(H, W\), \(H, W, 1\), \(H, W, 2\), \(H, W, 3\) or "
     r"\(H, W, 4\), got \(2, 2, 5\)$"),
    (np.zeros((0, 3, 3), np.uint8), ValueError, "at least one pixel"),
    # was a ZeroDivisionError from the banded conversion
    (Image.new("RGB", (0, 5)), ValueError,
     r"^image should have at least one pixel, got a PIL image of 0x5 pixels$"),
    (Image.new("L", (4, 0)), ValueError, r"got a PIL image of 4x0 pixels$"),
    (np.full((2, 2, 3), 1.5), ValueError, r"values in \[0, 1\], got \[1\.5, 1\.5\]"),
    # a value just past half a level of 8 bits above 1 (1 + 1/510, read as 255) is shown
    # in all its digits, not as "got [0, 1.002]" (a float32's, and a float64's)
    (np.array([[[0, 0.5, 1.0019609]]], np.float32), ValueError,
     r"values in \[0, 1\], got \[0, 1\.0019609\]; if they are 0\.\.1 gone"),
    (np.array([[[0.0, 0.5, np.nextafter(1 + 1 / 510, 2)]]]), ValueError,
     r"values in \[0, 1\], got \[0, 1\.0019607843137257\]; if they are 0\.\.1 gone"),
    (np.array([[[np.nextafter(-1 / 510, -1), 0.5, 1.0]]]), ValueError,
     r"got \[-0\.0019607843137254906, 1\]; if they are 0\.\.1 gone"),
    (np.full((2, 2), np.nan), ValueError,
     r"^image contains NaN or infinite values; expected finite numbers in \[0, 1\]; to leave "
     r"missing pixels out, pass them as alpha 0: np\.dstack\(\[np\.nan_to_num\(image\), "
     r"np\.isfinite\(image\)\]\) of an \(H, W\) array$"),
    # of colour channels: the (H, W) advice made 6 channels, and a fourth is now a band
    (np.full((2, 2, 3), np.nan), ValueError,
     r"^image contains NaN or infinite values; expected finite numbers in \[0, 1\]; to leave "
     r"missing pixels out, pass them as alpha 0: np\.dstack\(\[np\.nan_to_num\(image\), "
     r"np\.isfinite\(image\)\.all\(axis=2\)\]\) with fourth_channel='alpha'$"),
    (np.zeros((2, 2, 3), np.int64), TypeError,
     r"^image should have dtype uint8, uint16, bool or float, got int64; for values 0\.\.255, "
     r"pass it as \.astype\(np\.uint8\)$"),
    # the mask was silently ignored: masked pixels were reduced like any other
    (np.ma.masked_array(np.zeros((2, 2, 3), np.uint8), mask=True), TypeError,
     r"^image is a masked array, whose mask would be ignored; expected a plain array "
     r"\(image\.filled\(\.\.\.\), or the mask as an alpha channel\)$"),
    (np.zeros((2, 2), np.complex64), TypeError,
     r"^image should have dtype uint8, uint16, bool or float, got complex64$"),
])
def test_as_rgba_rejects(image, error, match):
    with pytest.raises(error, match=match):
        as_rgba(image)


def _scene(dtype):
    """A 2x3 scene of red, green, blue and near-infrared bands, its water (the left column)
    dark in the near-infrared, as uint16 counts or float reflectances."""
    bands = np.array([[[4500, 9000, 13500, 300], [30000, 35000, 40000, 20000],
                       [30000, 35000, 40000, 21000]]] * 2, np.uint16)
    return bands if dtype == np.uint16 else (bands / 65535).astype(dtype)


@pytest.mark.parametrize("dtype", [np.uint16, np.float32])
def test_a_four_band_scene_is_read_whole_naming_the_keyword(dtype):
    """The near-infrared of an (H, W, 4) uint16 or float scene was read as alpha without a
    word: its dark water (NIR 300 of 65535, alpha 1 of 255) all but vanished, and every
    pixel was less than opaque."""
    scene = _scene(dtype)
    kept = scene.copy()
    with pytest.warns(FourthChannelWarning) as said:
        rgb, alpha = as_rgba(scene)
    assert [str(w.message) for w in said] == [
        f"image is {np.dtype(dtype)} of 4 channels: its fourth is read as a band, left out "
        "of the colours, not as alpha, which would make 6 of its 6 pixels less than opaque; "
        "pass fourth_channel='alpha' to read it as alpha, or fourth_channel='band' to keep "
        "this reading without the warning"]
    assert alpha is None
    assert rgb[:, 0].tolist() == [[18, 35, 53]] * 2
    assert rgb[:, 1].tolist() == [[117, 136, 156]] * 2
    np.testing.assert_array_equal(scene, kept)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        banded, none = as_rgba(scene, fourth_channel="band")
        _, as_alpha = as_rgba(scene, fourth_channel="alpha")  # as it was read before
    np.testing.assert_array_equal(banded, rgb)
    assert none is None
    assert as_alpha[:, 0].tolist() == [1, 1]


@pytest.mark.parametrize("image", [
    np.dstack([_scene(np.uint16)[..., :3], np.full((2, 3), 65535, np.uint16)]),
    np.dstack([_scene(np.float32)[..., :3], np.ones((2, 3), np.float32)]),
    np.dstack([np.full((2, 3, 3), 9, np.uint8), np.array([[0, 128, 255]] * 2, np.uint8)]),
])
def test_an_opaque_or_8_bit_fourth_channel_is_alpha_without_a_word(image):
    """Read alike as alpha or as a band (every pixel opaque), or an 8-bit RGBA image."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _, alpha = as_rgba(image)
    expected = None if image.dtype != np.uint8 else [[0, 128, 255]] * 2
    assert (alpha if alpha is None else alpha.tolist()) == expected


def test_the_advice_for_missing_colour_pixels_marks_them_transparent():
    rgb = np.full((1, 3, 3), 0.5)
    rgb[0, 1, 2] = np.nan
    with pytest.raises(ValueError) as refused:
        as_rgba(rgb)
    advice = re.search(r"pass them as alpha 0: (.*) with fourth_channel='alpha'$",
                       str(refused.value))[1]
    marked = eval(advice, {"np": np, "image": rgb})  # as advised
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _, alpha = as_rgba(marked, fourth_channel="alpha")
    assert alpha.tolist() == [[255, 0, 255]]


@pytest.mark.parametrize(("value", "error", "match"), [
    ("nir", ValueError,
     r"^fourth_channel='nir' is not valid; expected one of 'alpha', 'band'$"),
    (3, TypeError, r"^fourth_channel=3 should be a str, one of 'alpha', 'band'; got int$"),
])
def test_a_wrong_fourth_channel_is_refused(value, error, match):
    with pytest.raises(error, match=match):
        as_rgba(_scene(np.uint16), fourth_channel=value)


def test_nan_with_a_stretch_is_refused_naming_any_range_and_how_to_leave_them_out():
    """With stretch=True the message said "expected finite numbers in [0, 1]"."""
    counts = np.array([[-45.0, 300.0, np.nan], [60000.0, 300.0, 300.0]], np.float32)
    with pytest.raises(ValueError, match=r"^image contains NaN or infinite values; expected "
                       r"finite numbers \(of any range, with stretch=True\); to leave missing "
                       r"pixels out, pass them as alpha 0: np\.dstack\("):
        as_rgba(counts, stretch=True)
    rgb, alpha = as_rgba(np.dstack([np.nan_to_num(counts), np.isfinite(counts)]), stretch=True)
    assert alpha.tolist() == [[255, 255, 0], [255, 255, 255]]  # as advised
    assert rgb[..., 0].tolist() == [[0, 1, 0], [255, 1, 1]]


@pytest.mark.parametrize("values", [[[0.0, 0.25], [0.5, 1.0]], [[0, 64], [128, 255]]])
def test_nested_lists_are_refused_with_advice_that_reads_them_as_given(values):
    # Floats 0..1 were told to pass np.asarray(image, dtype=np.uint8): a black image.
    with pytest.raises(TypeError) as info:
        as_rgba(values)
    dtype = re.fullmatch(r".*, pass np\.asarray\(image, dtype=np\.(\w+)\)", str(info.value))[1]
    rgb, alpha = as_rgba(np.asarray(values, dtype=getattr(np, dtype)))  # as advised
    assert alpha is None
    assert rgb[..., 0].tolist() == [[0, 64], [128, 255]]


def test_a_nested_list_too_long_to_read_twice_is_given_both_dtypes(monkeypatch):
    import quantize.io.read as read_module

    monkeypatch.setattr(read_module, "NESTED_VALUES_READ", 3)  # 4 values: not read
    with pytest.raises(TypeError, match=r"got list; for nested lists, pass np\.asarray\("
                                        r"image, dtype=np\.uint8\) for levels 0\.\.255, or "
                                        r"dtype=np\.float32 for values 0\.\.1$"):
        as_rgba([[0.0, 0.25], [0.5, 1.0]])
    with pytest.raises(TypeError, match=r"of values 0\.\.1, pass"):
        as_rgba([[0.0, 0.25, 1.0]])  # 3 values: read


def _raised_within(seconds, call):
    """The exception ``call()`` raised, run on a thread given ``seconds`` to end."""
    import threading

    raised = []

    def run():
        try:
            call()
        except Exception as exc:  # noqa: BLE001 - handed to the test
            raised.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), "still running"
    return raised[0] if raised else None


def test_a_list_that_holds_itself_is_refused_not_walked_forever():
    # the walk down first items never passed the size limit: reduce_colors hung
    from quantize import reduce_colors

    loop = []
    loop.append(loop)
    deep = [[0, 1]]
    for _ in range(70):
        deep = [deep]
    for image in (loop, deep):
        exc = _raised_within(10, lambda image=image: reduce_colors(image, 4))
        assert isinstance(exc, TypeError)
        assert re.fullmatch(r"image should be a numpy array or a PIL image, got list; for "
                            r"nested lists, pass np\.asarray\(image, dtype=np\.uint8\) for "
                            r"levels 0\.\.255, or dtype=np\.float32 for values 0\.\.1",
                            str(exc))


@pytest.mark.parametrize(("image", "first"), [
    ([[Image.new("RGB", (4, 4))]], "image[0][0]"),
    ([[[Image.new("L", (2, 2)), Image.new("L", (2, 2))]]], "image[0][0][0]"),
    ((Image.new("RGB", (2, 2)),), "image[0]"),
])
def test_pil_images_nested_in_lists_get_the_frames_advice(image, first):
    # images nested deeper than the top list were told to pass np.asarray(..., uint8)
    from quantize import reduce_colors

    with pytest.raises(TypeError, match=r"^image should be a numpy array or a PIL image, got "
                       rf"(list|tuple); for frames, pass one image at a time \({re.escape(first)}"
                       r"\), or save them as an animation"):
        reduce_colors(image, 4)


@pytest.mark.parametrize("shape", [(3, 5, 6), (4, 2, 7), (3, 1, 5)])
def test_a_channel_first_array_is_refused_with_the_axis_to_move(shape):
    # a (C, H, W) array, as PyTorch gives an image, was refused without a word of why
    from quantize import reduce_colors, segment

    said = (r"^{} should have shape \(H, W\), \(H, W, 1\), \(H, W, 2\), \(H, W, 3\) or "
            rf"\(H, W, 4\), got \({shape[0]}, {shape[1]}, {shape[2]}\); for channels first, "
            r"pass np\.moveaxis\({}, 0, -1\)$")
    image = np.zeros(shape, np.uint8)
    for read in (as_rgba, reduce_colors, lambda a: segment(a, 2)):
        with pytest.raises(ValueError, match=said.format("image", "image")):
            read(image)
    with pytest.raises(ValueError, match=said.format("frame", "frame")):
        as_rgba(image, "frame")
    assert as_rgba(np.moveaxis(image, 0, -1))[0].shape == shape[1:] + (3,)
    # an array that may be (H, W, C) is read as one, whatever its first axis
    assert as_rgba(np.zeros((3, 5, 4), np.uint8))[0].shape == (3, 5, 3)


# -- outputs ------------------------------------------------------------------


@pytest.mark.parametrize("force", ["no", 1, None])
def test_check_output_path_takes_force_as_a_bool_only(tmp_path, force):
    # force="no" (truthy) let an existing output be overwritten
    existing = tmp_path / "exists.png"
    existing.write_bytes(b"x")
    with pytest.raises(TypeError, match=rf"^force={force!r} should be a bool, got "
                                        rf"{type(force).__name__}$"):
        check_output_path(existing, force=force)


def test_output_checks(tmp_path, corpus):
    src = corpus["good.png"]
    with pytest.raises(OutputError, match="output path is the input"):
        check_output_path(src, inputs=(src,), force=True)
    with pytest.raises(OutputError, match="does not exist"):
        check_output_path(tmp_path / "missing" / "x.png")
    with pytest.raises(OutputError, match="is a directory"):
        check_output_path(tmp_path)
    existing = tmp_path / "exists.png"
    existing.write_bytes(b"x")
    # It said "output folder .../exists.png does not exist".
    with pytest.raises(OutputError) as info:
        check_output_path(existing / "x.png")
    assert str(info.value) == (f"{existing / 'x.png'}: output folder {existing} is a file, "
                               "expected a folder")
    # The library said "use --force", a flag of the command line, not force=True.
    with pytest.raises(OutputExistsError,
                       match=r"exists\.png: output exists; use force=True to overwrite$"):
        check_output_path(existing)
    assert check_output_path(existing, force=True) == existing


def test_atomic_write_writes_through_a_link_and_keeps_it(tmp_path):
    # The link was replaced by a regular file, its target left as it was.
    (tmp_path / "site").mkdir()
    target = tmp_path / "site" / "a.png"
    target.write_bytes(b"old")
    os.chmod(target, 0o640)
    link, chain = tmp_path / "a.png", tmp_path / "b.png"
    link.symlink_to(Path("site") / "a.png")
    chain.symlink_to("a.png")
    atomic_write(chain, lambda tmp: tmp.write_bytes(b"new"))
    assert os.readlink(chain) == "a.png" and os.readlink(link) == os.path.join("site", "a.png")
    assert target.read_bytes() == b"new" and stat.S_IMODE(target.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png", "b.png", "site"]
    assert [p.name for p in (tmp_path / "site").iterdir()] == ["a.png"]  # no temporary left


def test_atomic_write_can_replace_a_link_itself(tmp_path):
    # A file a program keeps for itself (a batch's record) must not land elsewhere.
    elsewhere = tmp_path / "elsewhere.txt"
    elsewhere.write_bytes(b"theirs")
    link = tmp_path / "record.txt"
    link.symlink_to(elsewhere)
    atomic_write(link, lambda tmp: tmp.write_bytes(b"ours"), through_links=False)
    assert not link.is_symlink() and link.read_bytes() == b"ours"
    assert elsewhere.read_bytes() == b"theirs"


def test_write_together_writes_through_links_and_removes_through_them_first(tmp_path):
    """As segment writes its folder: segments.json, a link, is removed first and written
    last; the link was removed and a new file put at its name."""
    (tmp_path / "kept").mkdir()
    for name in ("labels.png", "segments.json"):
        (tmp_path / "kept" / name).write_bytes(b"old " + name.encode())
        (tmp_path / name).symlink_to(Path("kept") / name)
    (tmp_path / "stale.png").symlink_to(Path("kept") / "labels.png")
    write_together([(tmp_path / "labels.png", b"new labels"),
                    (tmp_path / "segments.json", b"new record")],
                   removed_first=[tmp_path / "segments.json", tmp_path / "stale.png"])
    assert [os.readlink(tmp_path / n) for n in ("labels.png", "segments.json")] == [
        os.path.join("kept", "labels.png"), os.path.join("kept", "segments.json")]
    assert (tmp_path / "kept" / "labels.png").read_bytes() == b"new labels"
    assert (tmp_path / "kept" / "segments.json").read_bytes() == b"new record"
    assert not os.path.lexists(tmp_path / "stale.png")  # a link to nothing written: itself


def test_write_together_puts_back_the_file_behind_a_link_when_a_rename_fails(tmp_path,
                                                                             monkeypatch):
    (tmp_path / "kept").mkdir()
    (tmp_path / "kept" / "a.png").write_bytes(b"old a")
    (tmp_path / "a.png").symlink_to(Path("kept") / "a.png")
    real = os.replace
    calls = []

    def second_fails(src, dst):
        calls.append(dst)
        if len(calls) == 2:
            raise OSError(errno.EIO, "Input/output error")
        return real(src, dst)

    monkeypatch.setattr("quantize.io.write.os.replace", second_fails)
    with pytest.raises(OutputError):
        write_together([(tmp_path / "a.png", b"new a"), (tmp_path / "b.png", b"new b")])
    monkeypatch.setattr("quantize.io.write.os.replace", real)
    assert (tmp_path / "a.png").is_symlink() and (tmp_path / "kept" / "a.png").read_bytes() == (
        b"old a")
    assert not (tmp_path / "b.png").exists()


def test_write_together_without_replace_refuses_a_link_made_meanwhile(tmp_path):
    (tmp_path / "theirs.png").write_bytes(b"theirs")
    (tmp_path / "a.png").symlink_to("theirs.png")
    with pytest.raises(OutputExistsError, match=r"a\.png: output exists \(another run"):
        write_together([(tmp_path / "a.png", b"ours")], replace=False)
    assert (tmp_path / "theirs.png").read_bytes() == b"theirs"


def test_check_output_path_through_a_link(tmp_path):
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "a.png").write_bytes(b"old")
    link = tmp_path / "a.png"
    link.symlink_to(Path("site") / "a.png")
    with pytest.raises(OutputExistsError) as info:
        check_output_path(link)
    assert str(info.value) == (f"{link}: output exists (a link to 'site/a.png', the file that "
                               "would be overwritten); use force=True to overwrite")
    assert check_output_path(link, force=True) == link
    # the input, through the link either way
    for out, src in ((link, tmp_path / "site" / "a.png"), (tmp_path / "site" / "a.png", link)):
        with pytest.raises(OutputError, match="output path is the input file"):
            check_output_path(out, inputs=(src,), force=True)


@pytest.mark.parametrize("force", [False, True])
def test_check_output_path_refuses_a_link_it_cannot_write_through(tmp_path, force):
    loop, other = tmp_path / "loop.png", tmp_path / "other.png"
    loop.symlink_to("other.png")
    other.symlink_to("loop.png")
    with pytest.raises(OutputError) as info:
        check_output_path(loop, force=force)
    assert str(info.value) == (f"{loop}: is a link in a loop of links ('other.png'), expected "
                               "an output file name")
    gone = tmp_path / "gone.png"
    gone.symlink_to(Path("no") / "such" / "gone.png")
    with pytest.raises(OutputError) as info:
        check_output_path(gone, force=force)
    assert str(info.value) == (f"{gone}: is a link to 'no/such/gone.png': output folder "
                               f"{tmp_path / 'no' / 'such'} does not exist")
    assert os.readlink(loop) == "other.png" and os.readlink(gone) == "no/such/gone.png"


def test_shared_landing_finds_outputs_that_links_lead_to_one_file(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "x.png").write_bytes(b"x")
    (tmp_path / "to-x.png").symlink_to("x.png")
    (tmp_path / "to-y.png").symlink_to(Path("sub") / "y.png")  # y.png does not exist
    (tmp_path / "to-to-y.png").symlink_to("to-y.png")
    (tmp_path / "sub-link").symlink_to("sub", target_is_directory=True)
    names = ["a.png", "x.png", "to-x.png", "to-y.png", "sub-link/y.png", "to-to-y.png"]
    paths = [tmp_path / name for name in names]
    assert shared_landing(paths) == {2: 1, 4: 3, 5: 3}
    assert shared_landing(paths[3:5]) == {1: 0}  # a link to nothing: where it leads
    assert shared_landing([paths[3], paths[5]]) == {1: 0}  # a chain of links
    assert shared_landing([paths[0], paths[1], paths[3]]) == {}
    assert (tmp_path / "x.png").read_bytes() == b"x" and not (tmp_path / "sub/y.png").exists()


def test_a_link_to_nothing_in_a_folder_is_written_there_with_force(tmp_path):
    # Forced, the link was replaced by the output; now it is written through, as '>' does.
    link = tmp_path / "out.png"
    link.symlink_to("nowhere.png")
    assert check_output_path(link, force=True) == link
    atomic_write(link, lambda tmp: tmp.write_bytes(b"new"))
    assert os.readlink(link) == "nowhere.png" and (tmp_path / "nowhere.png").read_bytes() == (
        b"new")


def test_a_link_that_leads_nowhere_is_an_existing_output(tmp_path):
    """It was taken for a free name, and the output replaced the link without force."""
    link = tmp_path / "out.png"
    link.symlink_to("nowhere.png")
    with pytest.raises(OutputExistsError) as info:
        check_output_path(link)
    assert str(info.value) == (f"{link}: output is a link to 'nowhere.png', which does not "
                               "exist; use force=True to overwrite")
    assert check_output_path(link, force=True) == link


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores folder permissions")
def test_unwritable_folder_is_refused_for_users(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(OutputError, match="not writable"):
            check_output_path(folder / "x.png")
    finally:
        folder.chmod(0o755)


def test_unwritable_place_fails_cleanly_even_for_root():
    # /sys refuses new files for every user, root included.
    with pytest.raises(OutputError, match="cannot write in /sys"):
        atomic_write("/sys/quantize-test.png", lambda tmp: tmp.write_bytes(b"x"))


def test_a_working_folder_with_a_path_too_long_is_said_so(tmp_path, monkeypatch):
    # "cannot write in . (File name too long)" blamed the name, x.png, which is short.
    from .fs_support import enter_deep_folder

    size = enter_deep_folder(monkeypatch, tmp_path)
    with pytest.raises(OutputError) as err:
        atomic_write("x.png", lambda tmp: tmp.write_bytes(b"x"))
    assert str(err.value) == (f"x.png: cannot write in . (its path is too long for the "
                              f"system: {size} bytes)")
    assert os.listdir() == []


def test_atomic_write_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "out.png"
    target.write_bytes(b"old")

    def broken(tmp: Path) -> None:
        tmp.write_bytes(b"half")
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError):
        atomic_write(target, broken)
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.png"]


def test_atomic_write_names_the_output_when_the_disk_is_full(tmp_path):
    """The error was the system's bare 'No space left on device', which the command line
    showed after the input's name, as if the input were at fault."""
    def full(tmp: Path) -> None:
        tmp.write_bytes(b"half")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    with pytest.raises(OutputError) as info:
        atomic_write(tmp_path / "out.png", full)
    assert (info.value.path, info.value.reason) == (
        str(tmp_path / "out.png"), "cannot write (No space left on device)")
    assert list(tmp_path.iterdir()) == []



def test_write_together_replaces_nothing_until_every_file_is_written(tmp_path, monkeypatch):
    a, b, gone = tmp_path / "a.png", tmp_path / "b.json", tmp_path / "gone.json"
    for path in (a, b, gone):
        path.write_bytes(b"old")
    real = Path.write_bytes

    def full_at_b(self, data):
        if self.name.startswith(".b.json."):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(self, data)

    monkeypatch.setattr(Path, "write_bytes", full_at_b)
    with pytest.raises(OutputError) as info:
        write_together([(a, b"new a"), (b, b"new b")], removed_first=[gone])
    assert (info.value.path, info.value.reason) == (
        str(b), "cannot write (No space left on device)")
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == {
        "a.png": b"old", "b.json": b"old", "gone.json": b"old"}
    monkeypatch.undo()
    write_together([(a, b"new a"), (b, b"new b")], removed_first=[gone])
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == {
        "a.png": b"new a", "b.json": b"new b"}


def test_write_together_puts_files_in_place_only_under_the_folders_lock(tmp_path):
    fcntl = pytest.importorskip("fcntl")
    a, b = tmp_path / "a.png", tmp_path / "b.json"
    other_run = os.open(tmp_path, os.O_RDONLY)  # another process's hold on the folder
    fcntl.flock(other_run, fcntl.LOCK_EX)
    errors: list[BaseException] = []

    def write() -> None:
        try:
            write_together([(a, b"new a"), (b, b"new b")])
        except BaseException as exc:  # noqa: BLE001 - handed to the test's thread
            errors.append(exc)

    writer = threading.Thread(target=write)
    try:
        writer.start()
        writer.join(timeout=0.5)
        assert writer.is_alive()  # waiting for the lock
        assert not a.exists() and not b.exists()
    finally:
        os.close(other_run)  # lets the lock go
    writer.join(timeout=30)
    assert not writer.is_alive() and errors == []
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == {
        "a.png": b"new a", "b.json": b"new b"}


def test_write_together_without_replace_refuses_a_file_put_there_meanwhile(tmp_path):
    a, b = tmp_path / "a.png", tmp_path / "b.json"
    b.write_bytes(b"another run's")  # after the caller checked that neither exists
    with pytest.raises(OutputExistsError) as info:
        write_together([(a, b"new a"), (b, b"new b")], replace=False)
    assert (info.value.path, info.value.reason) == (
        str(b), "output exists (another run wrote it while this one worked); "
        "use force=True to overwrite")
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == {"b.json": b"another run's"}
    write_together([(a, b"new a"), (b, b"new b")])  # replace=True, the default
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == {
        "a.png": b"new a", "b.json": b"new b"}

def test_save_pil_by_extension(tmp_path):
    im = Image.new("RGB", (3, 2), (1, 2, 3))
    save_pil(im, tmp_path / "a.gif")
    assert Image.open(tmp_path / "a.gif").format == "GIF"
    with pytest.raises(ValueError, match="unknown image extension"):
        save_pil(im, tmp_path / "a.nope")


def test_save_pil_writes_a_gif_not_interlaced_unless_asked(tmp_path):
    # Pillow interlaced every GIF of 16 pixels a side or more, which costs bytes
    im = Image.fromarray(np.arange(32 * 16, dtype=np.uint8).reshape(16, 32) % 7, "P")
    im.putpalette(list(range(21)))
    save_pil(im, tmp_path / "a.gif")
    save_pil(im, tmp_path / "b.gif", interlace=True)
    for name, interlaced in (("a.gif", False), ("b.gif", True)):
        assert gif_blocks((tmp_path / name).read_bytes())["images"][0]["interlaced"] is interlaced
        with Image.open(tmp_path / name) as back:
            assert np.array_equal(np.asarray(back), np.asarray(im))


@pytest.mark.parametrize("mode", ["RGBA", "LA", "PA"])
def test_save_pil_gives_a_gif_the_alpha_threshold_of_every_gif_written(tmp_path, mode):
    """Pillow kept only alpha 0 transparent (RGBA), dropped LA's alpha and failed on PA."""
    rgba = np.zeros((1, 5, 4), dtype=np.uint8)
    rgba[..., :3] = (200, 200, 200) if mode == "LA" else (200, 50, 0)
    rgba[..., 3] = [0, 100, 127, 128, 255]
    save_pil(Image.fromarray(rgba).convert(mode), tmp_path / "a.gif")
    with Image.open(tmp_path / "a.gif") as back:
        drawn = np.asarray(back.convert("RGBA"))[0]
    assert GIF_ALPHA_THRESHOLD == 128
    assert drawn[:, 3].tolist() == [0, 0, 0, 255, 255]
    assert drawn[3:, :3].tolist() == [rgba[0, 3, :3].tolist()] * 2


def test_save_pil_refuses_per_entry_alpha_in_a_gif_and_writes_nothing(tmp_path):
    # Pillow's GIF writer failed on a tRNS of several entries with "unsupported operand
    # type(s) for &: 'bytes' and 'int'", which named neither the file nor the cause.
    im = Image.new("P", (2, 1))
    im.putpalette([0, 0, 0, 255, 255, 255])
    im.info["transparency"] = bytes([255, 100])
    with pytest.raises(ValueError) as info:
        save_pil(im, tmp_path / "a.gif")
    assert str(info.value) == (
        f"output={str(tmp_path / 'a.gif')!r}: GIF has one fully transparent palette entry and "
        "no partial alpha, but the image's transparency gives alpha per entry (a PNG tRNS); "
        "save ReduceResult.to_image(gif=True) for a GIF, or a .png to keep alpha")
    assert list(tmp_path.iterdir()) == []
    save_pil(im, tmp_path / "a.png")  # a PNG keeps it
    with Image.open(tmp_path / "a.png") as back:
        assert back.info["transparency"] == bytes([255, 100])


@pytest.mark.parametrize("read", ["load_image", "probe_image"])
def test_a_file_name_followed_by_a_slash_is_not_read(tmp_path, read):
    """load_image("a.png/") read a.png: a Path drops the '/', which the system refuses."""
    import quantize.io

    Image.new("RGB", (4, 4), (200, 30, 30)).save(tmp_path / "a.png")
    given = f"{tmp_path}/a.png/"
    with pytest.raises(ImageReadError) as refused:
        getattr(quantize.io, read)(given)
    assert str(refused.value) == (f"{given}: ends in '/', which names a folder, but "
                                  f"'{tmp_path}/a.png' is a file; expected an image file, "
                                  "named without the '/'")


@pytest.mark.parametrize("read", ["load_image", "probe_image"])
def test_a_socket_is_refused_as_no_file(tmp_path, read, monkeypatch):
    """A socket was opened, and its error was the system's "No such device or address"."""
    import socket

    import quantize.io

    if not hasattr(socket, "AF_UNIX"):
        pytest.skip("no Unix sockets here")
    monkeypatch.chdir(tmp_path)  # a socket's path is short: name it from its folder
    with socket.socket(socket.AF_UNIX) as server, pytest.raises(ImageReadError) as refused:
        server.bind("s.png")
        getattr(quantize.io, read)("s.png")
    assert str(refused.value) == "s.png: is a socket, not a regular file, and cannot be read as one"
    assert refused.value.exit_code == 1


def test_probe_reads_only_the_header(corpus):
    from quantize.io import probe_image

    assert probe_image(corpus["good.png"]) == (64, 48)
    # A truncated body is only found by decoding; the header is fine.
    assert probe_image(corpus["truncated.png"]) == (64, 48)
    for name, match in [("bomb.png", "exceeds the limit"), ("text.jpg", "not an image"),
                        ("zero_byte.png", "file is empty")]:
        with pytest.raises(ImageReadError, match=match):
            probe_image(corpus[name])


def test_atomic_write_gives_outputs_the_usual_permissions(tmp_path):
    umask = os.umask(0o022)
    try:
        atomic_write(tmp_path / "o.bin", lambda tmp: tmp.write_bytes(b"x"))
    finally:
        os.umask(umask)
    assert (tmp_path / "o.bin").stat().st_mode & 0o777 == 0o644


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o755, 0o444], ids=oct)
def test_an_overwritten_output_keeps_its_permissions(tmp_path, mode):
    seen = []

    def write(tmp: Path) -> None:  # writable by its owner while written, whatever the mode
        seen.append(tmp.stat().st_mode & 0o777)
        tmp.write_bytes(b"new")

    umask = os.umask(0o022)
    try:
        for name in ("o.bin", "t.bin"):
            (tmp_path / name).write_bytes(b"old")
            (tmp_path / name).chmod(mode)
        atomic_write(tmp_path / "o.bin", write)
        write_together([(tmp_path / "t.bin", write), (tmp_path / "u.bin", b"new")])
    finally:
        os.umask(umask)
    assert [(tmp_path / name).read_bytes() for name in ("o.bin", "t.bin")] == [b"new"] * 2
    assert [(tmp_path / name).stat().st_mode & 0o7777 for name in ("o.bin", "t.bin", "u.bin")
            ] == [mode, mode, 0o644]
    assert seen == [0o600, 0o600]


def test_stale_parts_of_an_output_are_not_those_of_a_longer_name(tmp_path, monkeypatch):
    from quantize.io import stale_parts

    monkeypatch.setattr("quantize.io.write._running", lambda pid: False)  # as if killed
    # a.png and a.png.jpg in one batch folder are written as a.png and a.png.png
    seen = {}

    def write(tmp: Path) -> None:
        seen["a.png"] = stale_parts(tmp_path, "a.png")
        seen["a.png.png"] = stale_parts(tmp_path, "a.png.png")
        tmp.write_bytes(b"x")

    atomic_write(tmp_path / "a.png.png", write)
    assert seen["a.png"] == [] and len(seen["a.png.png"]) == 1
    left = tmp_path / ".a.png.k2_9x0ab.part"  # a killed write of a.png
    left.write_bytes(b"half")
    assert stale_parts(tmp_path, "a.png") == [left]
    assert stale_parts(tmp_path, "a.png.png") == []
    assert stale_parts(tmp_path) == [left]


def test_within_parts_listed_once_each_folder_is_listed_once(tmp_path, monkeypatch):
    from quantize.io import parts_listed_once, remove_stale_parts, stale_parts

    monkeypatch.setattr("quantize.io.write._running", lambda pid: False)  # as if killed
    first, later = tmp_path / ".a.png.1-k2_9x0ab.part", tmp_path / ".b.png.2-k2_9x0ab.part"
    first.write_bytes(b"half")
    listings = []
    listdir = os.listdir
    monkeypatch.setattr("os.listdir", lambda path: listings.append(path) or listdir(path))
    with parts_listed_once():
        assert stale_parts(tmp_path, "b.png") == []
        later.write_bytes(b"half")  # after the listing: not looked for again
        assert stale_parts(tmp_path, "b.png") == []
        assert stale_parts(tmp_path, "a.png") == [first]
        remove_stale_parts([tmp_path / "a.png"])
        assert not first.exists()
        assert stale_parts(tmp_path, "a.png") == []  # listed, but asked whether still there
        assert stale_parts(tmp_path) == []
        with parts_listed_once():  # the enclosing scope's listing is kept
            assert stale_parts(tmp_path, "b.png") == []
    assert len(listings) == 1
    assert stale_parts(tmp_path, "b.png") == [later]
    assert stale_parts(tmp_path) == [later]
    assert len(listings) == 3


def test_removing_stale_parts_lists_a_folder_again_only_after_a_few_seconds(tmp_path,
                                                                           monkeypatch):
    # A Python loop of reduce_file over a folder removes the stale parts of each output:
    # listing the folder for every one made the loop quadratic in the folder's size.
    from quantize.io import remove_stale_parts, stale_parts

    monkeypatch.setattr("quantize.io.write._running", lambda pid: False)  # as if killed
    clock = [1000.0]
    monkeypatch.setattr("quantize.io.write.time.monotonic", lambda: clock[0])
    listings = []
    listdir = os.listdir
    monkeypatch.setattr("os.listdir", lambda path: listings.append(path) or listdir(path))
    first, later = tmp_path / ".a.png.1-k2_9x0ab.part", tmp_path / ".b.png.2-k2_9x0ab.part"
    first.write_bytes(b"half")
    remove_stale_parts([tmp_path / "a.png"])
    assert not first.exists() and len(listings) == 1
    later.write_bytes(b"half")  # left by a run killed after the listing
    clock[0] += 4.9
    remove_stale_parts([tmp_path / "b.png", tmp_path / "c.png"])
    assert later.exists() and len(listings) == 1
    clock[0] += 0.2  # the listing is 5.1 s old
    remove_stale_parts([tmp_path / "b.png"])
    assert not later.exists() and len(listings) == 2
    last = tmp_path / ".c.png.3-k2_9x0ab.part"
    last.write_bytes(b"half")
    assert stale_parts(tmp_path, "c.png") == [last]  # the public look-up lists afresh
    assert len(listings) == 3
    remove_stale_parts([tmp_path / "c.png"])  # and its listing serves the next seconds
    assert not last.exists() and len(listings) == 3
    remove_stale_parts([tmp_path / "missing" / "d.png"])  # no folder, nothing to list
    assert len(listings) == 3


@pytest.mark.skipif(os.name != "posix", reason="running processes are told on POSIX only")
def test_stale_parts_are_those_of_ended_processes_not_of_running_ones(tmp_path):
    from quantize.io import stale_parts

    ended = subprocess.Popen([sys.executable, "-c", ""])
    ended.wait()  # gone
    stopped = subprocess.Popen([sys.executable, "-c", ""])
    names = {"mine": f".a.png.{os.getpid()}-k2_9x0ab.part",
             "parent": f".a.png.{os.getppid()}-k2_9x0ab.part",
             "ended": f".a.png.{ended.pid}-k2_9x0ab.part",
             "stopped": f".a.png.{stopped.pid}-k2_9x0ab.part",  # not waited for yet
             "earlier": ".a.png.k2_9x0ab.part"}  # an earlier version's: no process id
    for name in names.values():
        (tmp_path / name).write_bytes(b"half")
    try:
        if hasattr(os, "waitid"):  # let it end, but leave it to be waited for (a zombie)
            os.waitid(os.P_PID, stopped.pid, os.WEXITED | os.WNOWAIT)
        else:
            stopped.wait()
        stale = [tmp_path / names[key] for key in ("ended", "stopped", "earlier")]
        assert stale_parts(tmp_path, "a.png") == sorted(stale)
        assert stale_parts(tmp_path) == sorted(stale)
    finally:
        stopped.wait()


def test_where_running_processes_cannot_be_told_a_named_writer_counts_as_running(
        monkeypatch):
    # On Windows os.kill(pid, 0) would not test a process but stop it: the temporary
    # files of any named process are kept there, as the README says.
    from quantize.io import write as qio

    def kill(pid, signal):
        raise AssertionError("no process may be signalled")

    monkeypatch.setattr(os, "kill", kill)
    monkeypatch.setattr(os, "name", "nt")
    running = [qio._running(pid) for pid in (1, 2 ** 22 + 1, os.getpid())]
    monkeypatch.undo()
    assert running == [True, True, True]


@pytest.mark.parametrize("name", ["x" * 251 + ".png", "猫" * 83 + "xx.png"])
def test_atomic_write_takes_any_name_the_file_system_takes(tmp_path, name, monkeypatch):
    from quantize.io import stale_parts

    monkeypatch.setattr("quantize.io.write._running", lambda pid: False)  # as if killed
    assert len(os.fsencode(name)) == 255
    other = name[:-4] + ".gif"  # the same but for the end: its parts are its own
    seen = []

    def write(tmp: Path) -> None:
        assert len(os.fsencode(tmp.name)) <= 255
        seen.extend([stale_parts(tmp_path, name), stale_parts(tmp_path, other)])
        tmp.write_bytes(b"x")

    atomic_write(tmp_path / name, write)
    assert (tmp_path / name).read_bytes() == b"x"
    assert len(seen[0]) == 1 and seen[1] == []  # its temporary file is known as this output's


def test_shrink_to_decodes_a_jpeg_smaller_and_other_formats_whole(tmp_path):
    """DCT scaling keeps both sides at least the size asked for: 800 x 600 at 1/4."""
    rng = np.random.default_rng(0)
    image = Image.fromarray(rng.integers(0, 256, (600, 800, 3), dtype=np.uint8))
    image.save(tmp_path / "a.jpg", quality=90)
    image.save(tmp_path / "a.png")
    assert load_image(tmp_path / "a.jpg", shrink_to=100).rgb.shape == (150, 200, 3)
    assert load_image(tmp_path / "a.jpg", shrink_to=600).rgb.shape == (600, 800, 3)
    assert load_image(tmp_path / "a.jpg").rgb.shape == (600, 800, 3)
    assert load_image(tmp_path / "a.png", shrink_to=100).rgb.shape == (600, 800, 3)


def test_shrink_to_decodes_the_first_image_of_an_mpo_smaller_as_a_jpeg(tmp_path):
    # An MPO is JPEGs one after another; its first was decoded whole for a preview.
    rng = np.random.default_rng(0)
    image = Image.fromarray(rng.integers(0, 256, (600, 800, 3), dtype=np.uint8))
    image.save(tmp_path / "a.mpo", "MPO", save_all=True, append_images=[image])
    image.save(tmp_path / "a.jpg", quality=75)
    with pytest.warns(PagesLeftOutWarning):
        shrunk = load_image(tmp_path / "a.mpo", shrink_to=100)
    assert shrunk.rgb.shape == (150, 200, 3)
    assert shrunk.rgb.shape == load_image(tmp_path / "a.jpg", shrink_to=100).rgb.shape


@pytest.mark.parametrize(("value", "error", "message"), [
    # was "unsupported operand type(s) for //", ZeroDivisionError, a silent full-size
    # decode, and True taken as 1
    ("a", TypeError, "shrink_to='a' should be an integer, got str"),
    (0, ValueError, "shrink_to=0 should be >= 1"),
    (-1, ValueError, "shrink_to=-1 should be >= 1"),
    (True, TypeError, "shrink_to=True should be an integer, got bool"),
])
def test_a_bad_shrink_to_is_refused_naming_it(corpus, value, error, message):
    with pytest.raises(error) as err:
        load_image(corpus["good.png"], shrink_to=value)
    assert str(err.value) == message


@pytest.mark.parametrize("job", ["reduce", "segment", "animation"])
def test_a_pipe_given_to_a_file_job_is_refused_with_one_line_naming_it(piped_photo, tmp_path,
                                                                       job):
    # The jobs read their input twice (header, then pixels): a FIFO's second read
    # waited for a writer for ever, a /dev/fd pipe's found it empty
    # (reduce_animation_file: "not an image Pillow can identify").
    from quantize.animation import reduce_animation_file
    from quantize.reduce import reduce_file
    from quantize.segment_file import segment_file

    out = tmp_path / ("segments" if job == "segment" else "out.png")
    with pytest.raises(ImageReadError) as info:
        if job == "reduce":
            reduce_file(piped_photo, out, n_colors=4)
        elif job == "animation":
            reduce_animation_file(piped_photo, out, n_colors=4)
        else:
            segment_file(piped_photo, out, n_clusters=3)
    assert str(info.value) == (f"{piped_photo}: is a pipe or device, not a regular file, and "
                               "can be read only once; save it to a file and pass that")
    assert not out.exists()


def _tiff_of_32_bit_samples(samples: int, order: str, sample_format: int,
                            bits: int = 32, values: list[int] | None = None,
                            deflated: bool = False) -> bytes:
    """A 2x1 uncompressed TIFF of 32-bit samples (``sample_format`` 3: IEEE float; 1, of
    ``bits`` bits: unsigned integers; below 8 bits, all 0), written byte by byte;
    per-sample fields longer than 4 bytes are stored after the IFD. ``values``, the
    ``2 * samples`` integers of its pixels, replace 0 and 1 (a float TIFF's) or 0s; with
    ``deflated``, its strip is compressed with Adobe Deflate (compression 8)."""
    if bits < 8:
        pixels = bytes((2 * samples * bits + 7) // 8)
    else:
        dtype = f"{order}f4" if sample_format == 3 else f"{order}u{bits // 8}"
        pixels = np.asarray(np.linspace(0, 1, 2 * samples) if values is None else values
                            ).astype(dtype).tobytes()
    if deflated:
        pixels = zlib.compress(pixels)
    per_sample = {258: [bits] * samples, 339: [sample_format] * samples}
    head = 8 + 2 + 12 * 11 + 4
    extra = b"".join(struct.pack(f"{order}{samples}H", *values)
                     for values in per_sample.values()) if samples > 2 else b""
    at = {258: head, 339: head + 2 * samples}
    entries = [(256, 3, 1, 2), (257, 3, 1, 1), (258, 3, samples, None),
               (259, 3, 1, 8 if deflated else 1),
               (262, 3, 1, 2 if samples >= 3 else 1), (273, 4, 1, head + len(extra)),
               (277, 3, 1, samples), (278, 3, 1, 1), (279, 4, 1, len(pixels)),
               (284, 3, 1, 1), (339, 3, samples, None)]
    out = (b"II*\0" if order == "<" else b"MM\0*") + struct.pack(order + "IH", 8, len(entries))
    for tag, kind, count, value in entries:
        if tag in per_sample and samples <= 2:  # inline, left-justified
            field = struct.pack(f"{order}{count}H", *per_sample[tag]).ljust(4, b"\0")
        elif tag in per_sample or kind == 4:  # an offset, or a LONG
            field = struct.pack(order + "I", at[tag] if tag in per_sample else value)
        else:
            field = struct.pack(order + "HH", value, 0)
        out += struct.pack(order + "HHI", tag, kind, count) + field
    return out + struct.pack(order + "I", 0) + extra + pixels


@pytest.mark.parametrize("samples, order, sample_format, bits, reason", [
    (3, "<", 3, 32, "is a floating-point RGB TIFF, which Pillow cannot read; convert it to "
                    "8- or 16-bit integer samples"),
    (4, ">", 3, 32, "is a floating-point RGBA TIFF, which Pillow cannot read; convert it to "
                    "8- or 16-bit integer samples"),
    (3, "<", 1, 32, "is an RGB TIFF of 3 samples of 32-bit unsigned integers a pixel, which "
                    "Pillow cannot read; save it with 16-bit unsigned samples (uint16)"),
    (2, ">", 1, 16, "is a grey TIFF of 2 samples of 16-bit unsigned integers a pixel, which "
                    "Pillow cannot read; save it with 8-bit samples, or its grey alone as a "
                    "16-bit TIFF"),  # grey and alpha
    # 8-bit samples were no way out for these: float64 and extra samples at 8 bits too
    (1, "<", 3, 64, "is a grey TIFF of 1 sample of 64-bit floats a pixel, which Pillow "
                    "cannot read; save it as 32-bit floats (float32) or 16-bit unsigned "
                    "integers (uint16)"),
    (5, "<", 1, 16, "is an RGB TIFF of 5 samples of 16-bit unsigned integers a pixel, which "
                    "Pillow cannot read; save 3 of its samples (RGB), 4 (RGB and alpha) or 1 "
                    "(grey) as a TIFF of its own"),
    (3, "<", 1, 4, "is an RGB TIFF of 3 samples of 4-bit unsigned integers a pixel, which "
                   "Pillow cannot read; save it with 8-bit samples"),
    (2, ">", 1, 2, "is a grey TIFF of 2 samples of 2-bit unsigned integers a pixel, which "
                   "Pillow cannot read; save it with 8-bit samples"),
])
def test_a_tiff_of_a_layout_pillow_cannot_read_is_named_by_it(tmp_path, samples, order,
                                                               sample_format, bits, reason):
    """Pillow reads float TIFFs of one sample only, and no TIFF of 16-bit grey and alpha,
    32-bit integer RGB or samples narrower than 8 bits but one a pixel: the error of such
    files ('not an image Pillow can identify') gave no hint."""
    path = tmp_path / "a.tif"
    path.write_bytes(_tiff_of_32_bit_samples(samples, order, sample_format, bits))
    with pytest.raises(ImageReadError) as info:
        load_image(path)
    assert (info.value.path, info.value.reason) == (str(path), reason)


def test_the_float_tiff_writer_of_these_tests_writes_what_pillow_reads(tmp_path):
    path = tmp_path / "gray.tif"
    path.write_bytes(_tiff_of_32_bit_samples(1, ">", 3))
    with Image.open(path) as im:
        assert (im.mode, im.size, np.asarray(im).tolist()) == ("F", (2, 1), [[0.0, 1.0]])


def test_a_tiff_of_4_bit_grey_pillow_reads_is_read(tmp_path):
    """Samples narrower than 8 bits are named unreadable only where Pillow cannot read
    them: one 4-bit grey sample a pixel it reads."""
    path = tmp_path / "grey.tif"
    path.write_bytes(_tiff_of_32_bit_samples(1, "<", 1, 4))
    assert load_image(path).rgb.tolist() == [[[0, 0, 0], [0, 0, 0]]]


@pytest.mark.parametrize("deflated", [False, True])
@pytest.mark.parametrize("order", ["<", ">"])
@pytest.mark.parametrize("samples", [3, 4])
def test_a_16_bit_rgb_or_rgba_tiff_is_read_from_all_16_bits(tmp_path, samples, order,
                                                             deflated):
    """Pillow decodes such a TIFF to the high byte of each sample (0x00FF as 0, 0xFE00 as
    254), where a 16-bit PNG's are read round(v / 257) (1 and 253): read so from the TIFF,
    uncompressed (Pillow's unpacker) or compressed (libtiff's decoder), alpha too."""
    values = (_WIDE_SAMPLES + _WIDE_SAMPLES)[:2 * samples]
    path = tmp_path / "w.tif"
    path.write_bytes(_tiff_of_32_bit_samples(samples, order, 1, 16, values, deflated))
    expected = np.array(_WIDE_READ + _WIDE_READ, np.uint8)[:2 * samples].reshape(1, 2, samples)
    img = load_image(path)
    assert (img.format, img.mode) == ("TIFF", "RGB" if samples == 3 else "RGBA")
    np.testing.assert_array_equal(img.rgb, expected[..., :3])
    if samples == 4:
        np.testing.assert_array_equal(img.alpha, expected[..., 3])
    else:
        assert img.alpha is None
    with Image.open(path) as opened:  # as a PIL image, not yet decoded
        rgb, alpha = as_rgba(opened)
    np.testing.assert_array_equal(rgb, img.rgb)
    np.testing.assert_array_equal(alpha, img.alpha)


def _sgi_of_16_bit_samples(samples: np.ndarray) -> bytes:
    """An uncompressed SGI image of the 16-bit ``samples``, ``(H, W)`` grey or ``(H, W, C)``
    with C 3 or 4, written byte by byte: a 512-byte header, then each channel's plane,
    big-endian, its bottom row first."""
    planes = samples[:, :, None] if samples.ndim == 2 else samples
    h, w, c = planes.shape
    head = struct.pack(">hBBHHHHii", 474, 0, 2, 2 if c == 1 else 3, w, h, c, 0, 65535)
    data = np.ascontiguousarray(planes[::-1].transpose(2, 0, 1)).astype(">u2").tobytes()
    return head.ljust(512, b"\0") + data


@pytest.mark.parametrize("channels", [1, 3, 4])
def test_a_16_bit_sgi_image_is_read_from_all_16_bits(tmp_path, channels):
    """As a 16-bit TIFF: Pillow decoded it to the high bytes, 0x00FF read as 0."""
    index = np.add.outer(np.arange(3), np.arange(4))[:, :, None] + np.arange(channels)
    samples = np.array(_WIDE_SAMPLES)[index % len(_WIDE_SAMPLES)]
    expected = np.array(_WIDE_READ, np.uint8)[index % len(_WIDE_READ)]
    path = tmp_path / "w.sgi"
    path.write_bytes(_sgi_of_16_bit_samples(samples[..., 0] if channels == 1 else samples))
    img = load_image(path)
    assert img.format == "SGI"
    np.testing.assert_array_equal(img.rgb, np.broadcast_to(expected[..., :3], img.rgb.shape))
    if channels == 4:
        np.testing.assert_array_equal(img.alpha, expected[..., 3])
    else:
        assert img.alpha is None


def _sgi_rle_of_16_bit_samples(samples: np.ndarray) -> bytes:
    """A run-length SGI image of the 16-bit ``samples`` (as :func:`_sgi_of_16_bit_samples`):
    the header, a table of where each row of each channel starts and one of its length,
    then each row as one literal run (its count, 0x80 set, its samples, a 0 count)."""
    planes = samples[:, :, None] if samples.ndim == 2 else samples
    h, w, c = planes.shape
    head = struct.pack(">hBBHHHHii", 474, 1, 2, 2 if c == 1 else 3, w, h, c, 0, 65535)
    rows = [struct.pack(f">H{w}HH", 0x80 | w, *planes[y, :, z].tolist(), 0)
            for z in range(c) for y in range(h - 1, -1, -1)]
    starts = 512 + 8 * h * c + np.cumsum([0] + [len(row) for row in rows[:-1]])
    tables = struct.pack(f">{2 * h * c}I", *starts.tolist(), *map(len, rows))
    return head.ljust(512, b"\0") + tables + b"".join(rows)


@pytest.mark.parametrize("channels", [1, 3, 4])
def test_a_run_length_16_bit_sgi_image_is_read_from_all_16_bits(tmp_path, channels):
    """Pillow's run-length decoder gave the high bytes (0x00FF read 0, 0xFE00 254); it is
    given the other byte order's unpacker for the low ones, as an uncompressed image is."""
    index = np.add.outer(np.arange(3), np.arange(4))[:, :, None] + np.arange(channels)
    samples = np.array(_WIDE_SAMPLES)[index % len(_WIDE_SAMPLES)]
    expected = np.array(_WIDE_READ, np.uint8)[index % len(_WIDE_READ)]
    path = tmp_path / "rle.sgi"
    path.write_bytes(_sgi_rle_of_16_bit_samples(samples[..., 0] if channels == 1
                                                else samples))
    with Image.open(path) as im:
        assert im.tile[0][0] == "sgi_rle"  # the file is what it says
    img = load_image(path)
    np.testing.assert_array_equal(img.rgb, np.broadcast_to(expected[..., :3], img.rgb.shape))
    if channels == 4:
        np.testing.assert_array_equal(img.alpha, expected[..., 3])
    else:
        assert img.alpha is None


def _tifffile():
    return pytest.importorskip("tifffile")  # scikit-image's, to write TIFFs Pillow does not


@pytest.mark.parametrize("compression", [None, "zlib"])
def test_a_16_bit_premultiplied_rgba_tiff_is_read_from_all_16_bits(tmp_path, compression):
    """Pillow divided the colours' high bytes by alpha's (0x0180 over 0x0200 as 1 / 2,
    127, not 191) and kept alpha's high byte: the colours are divided by alpha in 16 bits,
    then each sample scaled round(v / 257); where alpha is 0 the colour is black."""
    samples = np.array([[[0x00FF, 0x0180, 0xFE00, 0xFFFF], [0x2000, 0, 0x8000, 0x8000],
                         [0x0180, 0, 0x00C0, 0x0200]],
                        [[0, 0, 0, 0], [0x1234, 0x5678, 0x9ABC, 0xFFFF],
                         [0x3000, 0x5000, 0xC000, 0xC000]]], np.uint16)
    path = tmp_path / "premultiplied.tif"
    _tifffile().imwrite(path, samples, photometric="rgb", extrasamples=["assocalpha"],
                        compression=compression)
    img = load_image(path)
    assert img.rgb.tolist() == [[[1, 1, 253], [64, 0, 255], [191, 0, 96]],
                                [[0, 0, 0], [18, 86, 154], [64, 106, 255]]]
    assert img.alpha.tolist() == [[255, 128, 2], [0, 255, 191]]


@pytest.mark.parametrize("layout", [{}, {"compression": "zlib"}, {"tile": (16, 16)},
                                    {"planarconfig": "separate"}])
def test_an_8_bit_premultiplied_rgba_tiff_is_divided_by_alpha_rounded(tmp_path, layout):
    """Pillow divided the colours by alpha and truncated (32 * 255 / 128 = 63.75 read 63),
    where a 16-bit one is rounded; of separate planes it could not decode it at all
    ("unknown raw mode"). Now round(c * 255 / a), at most 255, ties to even as the
    16-bit path (64 * 255 / 128 = 127.5 reads 128); black where alpha is 0."""
    samples = np.array([[[64, 100, 3, 255], [32, 0, 64, 128], [1, 2, 3, 4]],
                        [[9, 9, 9, 0], [200, 10, 255, 255], [51, 60, 90, 60]]], np.uint8)
    path = tmp_path / "premultiplied.tif"
    separate = layout.get("planarconfig") == "separate"
    _tifffile().imwrite(path, samples.transpose(2, 0, 1) if separate else samples,
                        photometric="rgb", extrasamples=["assocalpha"], **layout)
    expected = [[[64, 100, 3], [64, 0, 128], [64, 128, 191]],
                [[0, 0, 0], [200, 10, 255], [217, 255, 255]]]
    img = load_image(path)
    assert img.rgb.tolist() == expected
    assert img.alpha.tolist() == [[255, 128, 4], [0, 255, 60]]
    with Image.open(path) as opened:  # as a PIL image, not yet decoded
        assert as_rgba(opened)[0].tolist() == expected
    assert next(iter(iter_frames(path))).rgba[..., :3].tolist() == expected


def test_an_8_bit_premultiplied_tiff_reads_as_the_16_bit_one_of_its_colours(tmp_path, rng):
    """The two paths give one colour the same level: 8-bit samples v read as 16-bit
    samples 257 * v (Pillow's truncation made them differ by one level)."""
    alpha = rng.integers(0, 256, (16, 16, 1))
    samples = np.concatenate([rng.integers(0, 256, (16, 16, 3)) * alpha // 255, alpha],
                             axis=2).astype(np.uint8)
    narrow, wide = tmp_path / "8.tif", tmp_path / "16.tif"
    for path, values in ((narrow, samples), (wide, samples.astype(np.uint16) * 257)):
        _tifffile().imwrite(path, values, photometric="rgb", extrasamples=["assocalpha"])
    eight, sixteen = load_image(narrow), load_image(wide)
    np.testing.assert_array_equal(eight.rgb, sixteen.rgb)
    np.testing.assert_array_equal(eight.alpha, sixteen.alpha)


@pytest.mark.parametrize("compression", [None, "zlib"])
def test_a_16_bit_cmyk_tiff_is_read_from_all_16_bits(tmp_path, compression):
    """Its samples were their high bytes (0x00FF as 0, 0xFE00 as 254); each is now
    round(v / 257), and the 8-bit CMYK converted to RGB as an 8-bit CMYK TIFF is."""
    index = np.add.outer(np.arange(2), np.arange(3))[:, :, None] + np.arange(4)
    path = tmp_path / "cmyk.tif"
    _tifffile().imwrite(path, np.array(_WIDE_SAMPLES, np.uint16)[index % 6],
                        photometric="separated", compression=compression)
    cmyk = np.array(_WIDE_READ, np.uint8)[index % 6]
    expected = Image.frombytes("CMYK", (3, 2), cmyk.tobytes()).convert("RGB")
    img = load_image(path)
    assert img.mode == "CMYK"
    np.testing.assert_array_equal(img.rgb, np.asarray(expected))


@pytest.mark.parametrize("dtype, extra, compression", [
    (np.uint16, "unassalpha", None), (np.uint16, "assocalpha", "zlib"),
    (np.uint16, "unspecified", None), (np.uint8, "unassalpha", None)])
def test_a_cmyk_tiff_with_an_extra_sample_is_refused_naming_it(tmp_path, dtype, extra,
                                                               compression):
    """Pillow identifies no CMYK TIFF of 5 samples but 8-bit ones whose extra is
    unspecified: 16-bit ones were told to be saved with 8-bit samples, which Pillow reads
    no better with alpha, and 8-bit ones were "not an image Pillow can identify"."""
    path = tmp_path / "cmyka.tif"
    _tifffile().imwrite(path, np.zeros((4, 6, 5), dtype), photometric="separated",
                        planarconfig="contig",
                        extrasamples=[extra], compression=compression)
    with pytest.raises(ImageReadError) as info:
        load_image(path)
    bits = 8 * np.dtype(dtype).itemsize
    assert (info.value.path, info.value.reason) == (
        str(path), f"is a CMYK TIFF of 5 samples of {bits}-bit unsigned integers a pixel (the "
                   "4 inks and 1 extra, such as alpha), which Pillow cannot read; save it as "
                   "CMYK of 4 samples, or as RGB or RGBA")


def test_a_cmyk_tiff_with_an_extra_sample_is_refused_by_the_cli_in_one_line(tmp_path):
    path = tmp_path / "cmyka.tif"
    _tifffile().imwrite(path, np.zeros((4, 6, 5), np.uint16), photometric="separated",
                        planarconfig="contig",
                        extrasamples=["unassalpha"])
    done = run_in_process(["reduce", path, "-o", tmp_path / "out.png"])
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f"quantize: error: {path}: is a CMYK TIFF of 5 samples of 16-bit unsigned integers a "
        "pixel (the 4 inks and 1 extra, such as alpha), which Pillow cannot read; save it as "
        "CMYK of 4 samples, or as RGB or RGBA"]
    assert not (tmp_path / "out.png").exists()


@pytest.mark.parametrize("byteorder", ["<", ">"])
@pytest.mark.parametrize("samples", [3, 4])
def test_a_16_bit_rgb_tiff_of_separate_planes_is_read_from_all_16_bits(tmp_path, samples,
                                                                       byteorder):
    """Pillow read each plane (PlanarConfiguration 2) by its band's 8-bit unpacker: the
    pixels were the first half of each plane's bytes, high and low bytes as pixels."""
    index = np.add.outer(np.arange(2), np.arange(3))[:, :, None] + np.arange(samples)
    path = tmp_path / "planes.tif"
    _tifffile().imwrite(path, np.array(_WIDE_SAMPLES, np.uint16)[index % 6].transpose(2, 0, 1),
                        photometric="rgb", planarconfig="separate", byteorder=byteorder,
                        extrasamples=["unassalpha"] if samples == 4 else None)
    expected = np.array(_WIDE_READ, np.uint8)[index % 6]
    img = load_image(path)
    np.testing.assert_array_equal(img.rgb, expected[..., :3])
    if samples == 4:
        np.testing.assert_array_equal(img.alpha, expected[..., 3])
    with Image.open(path) as opened:  # as a PIL image, not yet decoded
        np.testing.assert_array_equal(as_rgba(opened)[0], expected[..., :3])


@pytest.mark.parametrize("tile", [None, (16, 16)])
@pytest.mark.parametrize("extras", [1, 2])
def test_a_16_bit_rgb_tiff_of_separate_planes_and_extra_samples_is_read_from_16_bits(
        tmp_path, extras, tile):
    """Pillow gave the plane of an extra sample (marked unspecified) a character of its
    mode as an unpacker (";"), and such a page was refused as one Pillow does not decode
    from all 16 bits: its colour planes are read so, the extra ones left out, named, as of
    samples side by side."""
    size = 16 if tile else 1
    index = np.add.outer(np.arange(2 * size), np.arange(3 * size))[:, :, None]
    samples = np.array(_WIDE_SAMPLES, np.uint16)[(index + np.arange(3 + extras)) % 6]
    path = tmp_path / "planes.tif"
    _tifffile().imwrite(path, samples.transpose(2, 0, 1), photometric="rgb",
                        planarconfig="separate", extrasamples=["unspecified"] * extras,
                        tile=tile)
    expected = np.array(_WIDE_READ, np.uint8)[(index + np.arange(3)) % 6]
    with pytest.warns(SamplesLeftOutWarning, match=f"TIFF of {3 + extras} samples a pixel"):
        img = load_image(path)
    np.testing.assert_array_equal(img.rgb, expected)
    assert img.alpha is None
    with Image.open(path) as opened:  # as a PIL image, not yet decoded
        np.testing.assert_array_equal(as_rgba(opened)[0], expected)


@pytest.mark.parametrize("photometric, compression, what", [
    ("rgb", "zlib", "RGB TIFF of separate colour planes (PlanarConfiguration 2), compressed,"),
    ("separated", None, "CMYK TIFF of separate colour planes (PlanarConfiguration 2)")])
def test_a_16_bit_tiff_of_separate_planes_not_read_from_16_bits_is_refused(
        tmp_path, photometric, compression, what):
    """Of a compressed one libtiff's decoder in Pillow keeps the high bytes; of CMYK Pillow
    read each plane as 8-bit samples: its pixels came out wrong, silently."""
    path = tmp_path / "planes.tif"
    _tifffile().imwrite(path, np.full((4, 2, 3), 0x00FF, np.uint16)[:4 if photometric ==
                                                                     "separated" else 3],
                        photometric=photometric, planarconfig="separate",
                        compression=compression)
    with pytest.raises(ImageReadError) as info:
        load_image(path)
    assert (info.value.path, info.value.reason) == (
        str(path), f"is a 16-bit {what} which Pillow does not decode from all 16 bits; save "
                   "it with its samples side by side (tiffcp -p contig in.tif out.tif, or "
                   "ImageMagick's convert in.tif -interlace none out.tif)")
    with pytest.raises(ImageReadError) as frames:  # as a page of an animation
        list(iter_frames(path))
    assert str(frames.value) == str(info.value)


def _ycbcr_tiff(subsampling: tuple[int, int], data: bytes, size: tuple[int, int] = (4, 2)
                ) -> bytes:
    """A little-endian TIFF of 8-bit YCbCr, uncompressed, one strip of ``data``, whose
    chroma is subsampled ``subsampling`` (across, down): 11 tags, then the pixels."""
    w, h = size
    head = 8 + 2 + 12 * 11 + 4
    entries = [(256, 3, 1, w), (257, 3, 1, h), (258, 3, 3, head + 2), (259, 3, 1, 1),
               (262, 3, 1, 6), (273, 4, 1, head + 8), (277, 3, 1, 3), (278, 3, 1, h),
               (279, 4, 1, len(data)), (284, 3, 1, 1), (530, 3, 2, None)]
    out = b"II*\0" + struct.pack("<IH", 8, len(entries))
    for tag, kind, count, value in entries:
        if tag == 530:
            field = struct.pack("<HH", *subsampling)
        else:
            field = struct.pack("<I" if kind == 4 or tag == 258 else "<HH",
                                *((value,) if kind == 4 or tag == 258 else (value, 0)))
        out += struct.pack("<HHI", tag, kind, count) + field
    # BitsPerSample's three values (6 bytes, padded to 8) before the pixels
    return out + struct.pack("<I", 0) + b"\0\0" + struct.pack("<3H", 8, 8, 8) + data


def test_an_uncompressed_subsampled_ycbcr_tiff_is_refused_naming_it(tmp_path):
    """Pillow's own decoder reads three samples a pixel whatever the subsampling: the file
    was said to be truncated ('cannot decode image (image file is truncated)')."""
    path = tmp_path / "ycc.tif"
    # two 2x2 blocks: four Y, then Cb and Cr, each
    path.write_bytes(_ycbcr_tiff((2, 2), bytes([16, 32, 48, 64, 128, 128] * 2)))
    with pytest.raises(ImageReadError) as info:
        load_image(path)
    assert (info.value.path, info.value.reason) == (
        str(path), "is an uncompressed YCbCr TIFF of chroma subsampled 2x2 "
                   "(YCbCrSubsampling), which Pillow cannot decode; save it as RGB, or "
                   "compressed")
    with pytest.raises(ImageReadError) as frames:  # as a page of an animation
        list(iter_frames(path))
    assert str(frames.value) == str(info.value)


def test_an_uncompressed_ycbcr_tiff_not_subsampled_is_read(tmp_path):
    """Of 1x1 chroma, as Pillow writes YCbCr, three samples a pixel: read as before, grey
    where Cb and Cr are 128."""
    path = tmp_path / "ycc.tif"
    path.write_bytes(_ycbcr_tiff((1, 1), bytes([0, 128, 128, 64, 128, 128, 128, 128, 128,
                                                255, 128, 128] * 2)))
    img = load_image(path)
    assert img.rgb[..., 0].tolist() == [[0, 64, 128, 255]] * 2
    np.testing.assert_array_equal(img.rgb, np.repeat(img.rgb[..., :1], 3, axis=2))


def test_an_xbm_is_read_with_its_set_bits_black(tmp_path):
    """A set bit is the foreground, drawn black by X11, ImageMagick and browsers; Pillow
    reads it as white, and every XBM came out in negative. Bits run from the lowest of
    each byte, a row a whole number of bytes."""
    path = tmp_path / "t.xbm"
    path.write_text("#define t_width 3\n#define t_height 2\n"
                    "static char t_bits[] = {\n0x01, 0x06 };\n")
    img = load_image(path)
    assert (img.format, img.alpha) == ("XBM", None)
    assert img.rgb[..., 0].tolist() == [[0, 255, 255], [255, 0, 0]]
    np.testing.assert_array_equal(img.rgb, np.repeat(img.rgb[..., :1], 3, axis=2))


def _reduce_colors(image):
    from quantize import reduce_colors

    return reduce_colors(image, 2)


def _segment(image):
    from quantize import segment

    return segment(image)


def _boundary_map(image):
    from quantize import boundary_map

    return boundary_map(image)


@pytest.mark.parametrize("call", [as_rgba, _reduce_colors, _segment, _boundary_map])
def test_a_pixel_range_warning_points_at_the_callers_line(call):
    """A PIL image handed to reduce_colors, segment or boundary_map warned from a line
    of quantize's own source (reduce/image.py, segment.py), which a filter on the
    caller's module did not catch."""
    image = Image.fromarray(np.array([[0, 100, 200]], np.int32))
    with pytest.warns(PixelRangeWarning) as caught:
        call(image)
    assert [w.filename for w in caught if w.category is PixelRangeWarning] == [__file__]


def test_a_colour_profile_warning_of_load_image_points_at_the_callers_line(corpus):
    with pytest.warns(ColorProfileWarning) as caught:
        load_image(corpus["icc_unreadable.png"])
    assert [w.filename for w in caught] == [__file__]  # it was quantize/io.py


@pytest.mark.parametrize("source", ["pil", "tiff"])
def test_a_lab_image_with_its_lab_profile_is_read_without_a_warning(tmp_path, recwarn, source):
    """Pillow gives a mode "LAB" image a Lab profile; it was 'left out' with a
    ColorProfileWarning saying the colours were read as sRGB, though Pillow converts
    them from CIELAB, correctly."""
    rgb = np.array([[[200, 30, 30], [20, 200, 40], [128, 128, 128]]], np.uint8)
    lab = Image.fromarray(rgb).convert("LAB")
    assert "icc_profile" in lab.info
    if source == "tiff":
        lab.save(tmp_path / "lab.tif")
    read = as_rgba(lab)[0] if source == "pil" else load_image(tmp_path / "lab.tif").rgb
    assert np.abs(read.astype(int) - rgb).max() <= 2  # Pillow's Lab round trip
    assert not [w for w in recwarn if issubclass(w.category, ColorProfileWarning)]


@pytest.mark.parametrize("stem_bytes", [248, 250])
def test_check_output_path_names_an_output_name_too_long_and_what_to_do(tmp_path, stem_bytes):
    # It raised the system's "[Errno 36] File name too long" from is_dir().
    out = tmp_path / ("é" * (stem_bytes // 2) + ".k16.png")  # two bytes a character
    size = stem_bytes + len(".k16.png")
    with pytest.raises(OutputError) as info:
        check_output_path(out)
    assert info.value.path == str(out)
    assert info.value.reason == (f"name too long: {size} bytes, and a file name may have at "
                                 "most 255; choose a shorter output name, or shorten the name "
                                 "of the input it is made from")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
@pytest.mark.parametrize("force", [False, True])
def test_check_output_path_refuses_a_pipe_whatever_force_says(tmp_path, force):
    """With force, a FIFO given as the output was replaced by a file (its reader waited
    for ever); without, it was said to exist. So would a device be (/dev/null, as root)."""
    out = tmp_path / "out.png"
    os.mkfifo(out)
    with pytest.raises(OutputError) as info:
        check_output_path(out, force=force)
    assert (info.value.path, info.value.reason) == (str(out), (
        "is a pipe, device or socket, not a regular file; expected an output file name (an "
        "output is put in place whole, which would replace it)"))
    assert stat.S_ISFIFO(os.lstat(out).st_mode)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_check_output_folder_names_a_pipe_as_such(tmp_path):
    os.mkfifo(tmp_path / "out")
    with pytest.raises(ValueError) as info:
        check_output_folder(tmp_path / "out")
    assert str(info.value) == (f"output_dir={str(tmp_path / 'out')!r} is a pipe, device or "
                               "socket; expected a folder")


@pytest.mark.parametrize("folder", ["s", "s/out"])
def test_check_output_folder_names_a_socket_as_an_output_file_message_does(tmp_path,
                                                                            monkeypatch, folder):
    """A socket was said to be "a pipe or device", while an output file at one is "a pipe,
    device or socket" (STREAM_OUTPUT)."""
    import socket

    if not hasattr(socket, "AF_UNIX"):
        pytest.skip("no Unix sockets here")
    monkeypatch.chdir(tmp_path)  # a socket's path is short: name it from its folder
    with socket.socket(socket.AF_UNIX) as server, pytest.raises(ValueError) as info:
        server.bind("s")
        check_output_folder(folder, "-o")
    where = "is" if folder == "s" else "lies under 's', which is"
    assert str(info.value) == (f"-o={folder!r} {where} a pipe, device or socket; expected a "
                               "folder")


def test_check_output_path_takes_a_name_of_255_bytes(tmp_path):
    out = tmp_path / ("x" * 251 + ".png")
    assert check_output_path(out) == out


BYTE_FF = os.fsdecode(b"a\xff.png")  # a name that is not UTF-8


@pytest.mark.parametrize("name, by_code_point, shown", [
    (BYTE_FF, False, r"'a\xff.png'"),  # was 'a\udcff.png', where other lines show a\xff.png
    ("a\\xff.png", False, r"'a\\xff.png'"),  # a backslash: doubled, so never the byte
    ("a\\udcff.png", False, r"'a\\udcff.png'"),  # the text of Python's escape stays text
    ("a\\" + BYTE_FF[1:], False, r"'a\\\xff.png'"),  # a backslash, then the byte
    ("a\x85.png", False, r"'a\u0085.png'"),  # a control character, not the byte 0x85
    ("a\nb\x1b.png", False, r"'a\nb\x1b.png'"),
    ("caf\u00e9.png", False, "'caf\u00e9.png'"),
    ("caf\u00e9.png", True, r"'caf\u00e9.png'"),  # \xe9 would read as a byte
    ("cafe\u0301" + BYTE_FF[1:], True, r"'cafe\u0301\xff.png'"),
])
def test_a_quoted_name_shows_its_bytes_as_other_messages_do_and_stays_unambiguous(
        name, by_code_point, shown):
    from quantize.io import quoted

    assert quoted(name, by_code_point=by_code_point) == shown
    assert quoted(Path(name), by_code_point=by_code_point) == shown


_RGB_KEY = "an (r, g, b) tuple of 3 ints (the colour drawn transparent)"
_GREY_KEY = "an int >= 0 (the grey level drawn transparent)"
_INDEX_KEY = ("an int 0..255 (the transparent palette index) or at most 256 bytes (one alpha "
              "per palette entry)")


@pytest.mark.parametrize("mode, key, error, expected", [
    ("RGB", (1, 2), ValueError, _RGB_KEY),
    ("RGB", 5, TypeError, _RGB_KEY),
    ("RGB", (1.5, 2, 3), TypeError, _RGB_KEY),
    ("L", (1, 2, 3), TypeError, _GREY_KEY),
    ("L", -1, ValueError, _GREY_KEY),
    ("P", 300, ValueError, _INDEX_KEY),
    ("P", (1, 2, 3), TypeError, _INDEX_KEY),
    ("P", True, TypeError, _INDEX_KEY),
    ("I;16", (0, 0, 0), TypeError, _GREY_KEY),
    ("F", "x", TypeError, "a number (the value drawn transparent)"),
])
def test_a_pil_image_whose_transparency_does_not_fit_its_mode_is_named(mode, key, error,
                                                                       expected):
    # Pillow refused these in its own words ("argument 2 must be sequence of length 3, not
    # 2", "palette index out of range"), and a 16-bit grey image of width 3 keyed by a
    # 3-tuple had its pixels compared column by column with the tuple's values.
    im = Image.new(mode, (3, 2))
    im.info["transparency"] = key
    with pytest.raises(error) as info:
        as_rgba(im)
    assert str(info.value) == (f"image.info['transparency']={key!r} does not fit a mode "
                               f"{mode!r} image; expected {expected}, or no 'transparency' key")


@pytest.mark.parametrize("mode, key, alpha", [
    ("RGB", (0, 0, 0), 0), ("RGB", [9, 9, 9], 255), ("RGB", (256, 0, 0), 255),  # 16-bit
    ("L", np.uint8(0), 0), ("L", 300, 255), ("P", 0, 0), ("P", b"\x80", 128),
    ("I;16", 0, 0), ("F", 0.0, 0), ("RGBA", "ignored", 0),
])
def test_a_pil_image_whose_transparency_fits_its_mode_is_read(mode, key, alpha):
    im = Image.new(mode, (3, 2))
    im.info["transparency"] = key
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the 16-bit RGB key matched on its high byte
        rgb, got = as_rgba(im)
    assert (255 if got is None else int(got[0, 0])) == alpha


def test_a_palette_image_with_more_alphas_than_entries_is_named():
    # Pillow refused a tRNS of more than 256 bytes with "palette index out of range".
    im = Image.new("P", (3, 2))
    im.info["transparency"] = long = b"\x80" * 257
    with pytest.raises(ValueError) as info:
        as_rgba(im)
    assert str(info.value) == (f"image.info['transparency']={repr(long)[:57]}... "
                               f"does not fit a mode 'P' image; expected {_INDEX_KEY}, or no "
                               "'transparency' key")
    im.info["transparency"] = b"\x80" * 256
    assert as_rgba(im)[1][0, 0] == 128


@pytest.mark.parametrize("failure", [OSError(errno.EPERM, os.strerror(errno.EPERM)),
                                     KeyboardInterrupt()])
def test_write_together_puts_everything_back_when_a_rename_fails(tmp_path, monkeypatch,
                                                                failure):
    """The second rename fails (a file the system will not let go, or Ctrl-C): the first
    file, already replaced, and the one removed first are put back, a new one is removed,
    and nothing else is left in the folder."""
    import quantize.io.write as qio

    a, b, c, gone = (tmp_path / n for n in ("a.png", "b.png", "c.png", "gone.json"))
    for path in (a, b, gone):
        path.write_bytes(b"old " + path.name.encode())
    real = os.replace

    def refuse_b(src, dst):
        if Path(dst) == b:
            raise failure
        return real(src, dst)

    monkeypatch.setattr(qio.os, "replace", refuse_b)
    with pytest.raises(OutputError if isinstance(failure, OSError) else KeyboardInterrupt):
        write_together([(c, b"new c"), (a, b"new a"), (b, b"new b")], removed_first=[gone])
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == {
        "a.png": b"old a.png", "b.png": b"old b.png", "gone.json": b"old gone.json"}


@pytest.mark.skipif(os.name != "posix", reason="signals sent to oneself")
@pytest.mark.parametrize("when", ["between", "after"])
def test_write_together_called_from_python_says_what_an_interrupt_leaves(
        tmp_path, monkeypatch, python_sigint, when):
    """Called from Python (no command holding Ctrl-C back), Ctrl-C between the renames
    puts every old file back; once the last one is in place it can no longer be undone,
    and is raised as write_together returns, every new file in place, as its docstring
    says (it said the old files were put back). No temporary file or kept copy is left."""
    import signal

    import quantize.io.write as qio

    a, b = tmp_path / "a.png", tmp_path / "b.png"
    a.write_bytes(b"old a")
    if when == "between":
        real = os.replace

        def replaced_then_interrupted(src, dst):
            real(src, dst)
            monkeypatch.setattr(qio.os, "replace", real)
            os.kill(os.getpid(), signal.SIGINT)

        monkeypatch.setattr(qio.os, "replace", replaced_then_interrupted)
    else:
        real = qio._put_in_place

        def placed_then_interrupted(*args):
            real(*args)
            os.kill(os.getpid(), signal.SIGINT)

        monkeypatch.setattr(qio, "_put_in_place", placed_then_interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_together([(a, b"new a"), (b, b"new b")])
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == (
        {"a.png": b"old a"} if when == "between" else {"a.png": b"new a", "b.png": b"new b"})
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_write_together_puts_back_a_copy_where_the_system_refuses_a_link(tmp_path,
                                                                         monkeypatch):
    """A file system without hard links: the file replaced is kept as a copy of its bytes."""
    import quantize.io.write as qio

    a, b = tmp_path / "a.png", tmp_path / "b.png"
    a.write_bytes(b"old a")
    real = os.replace

    def refuse_b(src, dst):
        if Path(dst) == b:
            raise OSError(errno.EPERM, os.strerror(errno.EPERM))
        return real(src, dst)

    def no_links(src, dst, **kwargs):
        raise OSError(errno.EPERM, os.strerror(errno.EPERM))

    monkeypatch.setattr(qio.os, "replace", refuse_b)
    monkeypatch.setattr(qio.os, "link", no_links)
    with pytest.raises(OutputError):
        write_together([(a, b"new a"), (b, b"new b")])
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == {"a.png": b"old a"}


def _old_files(folder: Path) -> tuple[list[Path], dict[str, bytes]]:
    """a.png, b.png and gone.json of an earlier run in ``folder``; the paths of c.png,
    a.png, b.png and gone.json, and the folder's files by name."""
    c, a, b, gone = (folder / n for n in ("c.png", "a.png", "b.png", "gone.json"))
    for path in (a, b, gone):
        path.write_bytes(b"old " + path.name.encode())
    return [c, a, b, gone], {p.name: p.read_bytes() for p in folder.iterdir()}


@pytest.mark.skipif(os.name != "posix", reason="signals sent to oneself")
def test_a_second_ctrl_c_cannot_stop_write_together_putting_files_back(tmp_path, monkeypatch,
                                                                     python_sigint):
    """Ctrl-C while a.png is renamed into place, and again while the old files are put
    back: the second one had stopped the putting back half-way, and left the folder with
    some new files and without gone.json (segments.json, for a segment job). Both are
    held back: the folder is left as it was, and one KeyboardInterrupt is raised."""
    import signal

    import quantize.io.write as qio

    (c, a, b, gone), before = _old_files(tmp_path)
    real, sent = os.replace, []

    def interrupted(src, dst):
        if Path(dst) == (gone if sent else a):  # renaming a; putting gone back
            sent.append(dst)
            signal.raise_signal(signal.SIGINT)
        return real(src, dst)

    monkeypatch.setattr(qio.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_together([(c, b"new c"), (a, b"new a"), (b, b"new b")], removed_first=[gone])
    assert sent == [a, gone]
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


@pytest.mark.skipif(os.name != "posix", reason="signals sent to oneself")
def test_a_ctrl_c_during_the_last_rename_has_write_together_put_everything_back(
        tmp_path, monkeypatch, python_sigint):
    """Held back until the rename is done, it is not left to be raised once the files are
    all in place (a rerun into the folder would meet "output exists"): the folder is left
    as it was, as by a Ctrl-C during an earlier rename."""
    import signal

    import quantize.io.write as qio

    (c, a, b, gone), before = _old_files(tmp_path)
    real = os.replace

    def interrupted(src, dst):
        if Path(dst) == b:
            signal.raise_signal(signal.SIGINT)
        return real(src, dst)

    monkeypatch.setattr(qio.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_together([(c, b"new c"), (a, b"new a"), (b, b"new b")], removed_first=[gone])
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


@pytest.mark.skipif(os.name != "posix", reason="signals sent to oneself")
@pytest.mark.parametrize("step", [4.0, 0.01], ids=["second-request", "repeated-at-once"])
@pytest.mark.parametrize("signame", ["SIGTERM", "SIGHUP"])
def test_the_commands_sigterm_cannot_stop_write_together_putting_files_back(tmp_path,
                                                                          monkeypatch, step,
                                                                          signame):
    """In the command SIGTERM raises KeyboardInterrupt (:mod:`quantize._sigterm`), and
    was not held back: sent while a.png is renamed, and again while the old files are put
    back, the second one stopped the putting back half-way. Both are held back, as Ctrl-C
    is: the folder is left as it was, and one KeyboardInterrupt is raised. The second is a
    second request (the clock moves past the window in which it would repeat the first),
    or the first repeated at once (timeout's pair). So with SIGHUP (a closed terminal), which
    the command takes as SIGTERM: a segment's set of files is never left mixed."""
    import signal

    import quantize.io.write as qio
    from quantize._sigterm import REPEAT_WINDOW, SigtermInterrupt, stopped_by

    (c, a, b, gone), before = _old_files(tmp_path)
    real, sent = os.replace, []
    now = [1000.0]

    def terminated_at(src, dst):
        if Path(dst) == (gone if sent else a):  # renaming a; putting gone back
            sent.append(dst)
            signal.raise_signal(getattr(signal, signame))
            now[0] += step * REPEAT_WINDOW
        return real(src, dst)

    monkeypatch.setattr(qio.os, "replace", terminated_at)
    previous = signal.signal(getattr(signal, signame), SigtermInterrupt(clock=lambda: now[0]))
    try:
        with pytest.raises(KeyboardInterrupt):
            write_together([(c, b"new c"), (a, b"new a"), (b, b"new b")],
                           removed_first=[gone])
        assert stopped_by() == signame
    finally:
        signal.signal(getattr(signal, signame), previous)
    assert sent == [a, gone]
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


@pytest.mark.skipif(os.name != "posix", reason="signals sent to oneself")
def test_a_sigterm_during_the_renames_of_a_file_let_finish_is_named_in_its_note(tmp_path,
                                                                              monkeypatch):
    """``quantize reduce`` of many files, SIGTERM landing while a file's outputs were
    renamed into place: the note that the file in progress is let finish named Ctrl-C
    (its handler, looking for the command's SIGTERM handler, found the renames' own
    standing in for it), then the last line SIGTERM."""
    import signal

    import quantize.io.write as qio
    from quantize._sigterm import SigtermInterrupt, stopped_by
    from quantize.batch.calls import interrupts_held

    (c, a, b, _), _ = _old_files(tmp_path)
    real, said = os.replace, []

    def terminated_at(src, dst):
        if Path(dst) == a:
            signal.raise_signal(signal.SIGTERM)
        return real(src, dst)

    monkeypatch.setattr(qio.os, "replace", terminated_at)
    previous = signal.signal(signal.SIGTERM, SigtermInterrupt())
    try:
        with pytest.raises(KeyboardInterrupt):
            with interrupts_held(on_first=lambda: said.append(stopped_by())):
                write_together([(c, b"new c"), (a, b"new a"), (b, b"new b")])
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert said == ["SIGTERM"]
    assert [p.read_bytes() for p in (c, a, b)] == [b"new c", b"new a", b"new b"]


# write_together in a process of its own, which SIGTERM (or another signal named) reaches
# while it renames a.png.
_TERMINATED_WRITE = """\
import os, signal, sys
from pathlib import Path
import quantize.io.write as qio
folder = Path(sys.argv[1])
c, a, b, gone = (folder / n for n in ("c.png", "a.png", "b.png", "gone.json"))
signal.signal(getattr(signal, sys.argv[2]), signal.SIG_DFL)  # also where the tests ignore it
real = os.replace
def terminated(src, dst):
    if Path(dst) == a:
        os.kill(os.getpid(), getattr(signal, sys.argv[2]))
    return real(src, dst)
qio.os.replace = terminated
qio.write_together([(c, b"new c"), (a, b"new a"), (b, b"new b")], removed_first=[gone])
"""


@pytest.mark.skipif(os.name != "posix", reason="signals sent to oneself")
@pytest.mark.parametrize("sent", ["SIGTERM", "SIGHUP"])
def test_sigterm_while_write_together_renames_ends_the_process_once_all_is_put_back(
        tmp_path, sent):
    """A pool terminating its workers (a batch's second Ctrl-C), or kill: the process had
    ended with c.png and a.png new and gone.json gone. It ends as SIGTERM ends it, but
    once the old files are back and the temporary ones removed. So with SIGHUP (a closed
    terminal), which ended it half-way still."""
    import signal

    _, before = _old_files(tmp_path)
    root = Path(__file__).parents[1]
    done = subprocess.run([sys.executable, "-c", _TERMINATED_WRITE, str(tmp_path), sent],
                          env={**os.environ, "PYTHONPATH": str(root)},
                          capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stderr) == (-getattr(signal, sent), "")
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def _tree(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*"))


@pytest.mark.parametrize("keep", [True, False])
def test_folder_made_is_kept_when_the_block_leaves_a_file_in_it(tmp_path, keep):
    with folder_made(tmp_path / "a" / "b", keep=keep) as made:
        assert made == [tmp_path / "a" / "b", tmp_path / "a"]
        (tmp_path / "a" / "b" / "out.png").write_bytes(b"x")
    assert _tree(tmp_path) == ["a", "a/b", "a/b/out.png"]


def test_folder_made_is_kept_empty_unless_keep_is_false(tmp_path):
    with folder_made(tmp_path / "a" / "b"):
        pass
    assert _tree(tmp_path) == ["a", "a/b"]
    with folder_made(tmp_path / "c" / "d", keep=False):
        assert (tmp_path / "c" / "d").is_dir()
    assert _tree(tmp_path) == ["a", "a/b"]


@pytest.mark.parametrize("failure", [ValueError("bad"), KeyboardInterrupt()])
def test_folder_made_is_removed_when_the_block_fails_or_is_interrupted(tmp_path, failure):
    """Only the folders it made, and only those left empty: a folder that was there, and
    one that holds a file, stay."""
    (tmp_path / "was").mkdir()
    with pytest.raises(type(failure)):
        with folder_made(tmp_path / "was" / "a" / "b"):
            raise failure
    assert _tree(tmp_path) == ["was"]
    with pytest.raises(type(failure)):
        with folder_made(tmp_path / "was" / "a" / "b") as made:
            (tmp_path / "was" / "a" / "kept.txt").write_text("")
            raise failure
    assert made == [tmp_path / "was" / "a" / "b", tmp_path / "was" / "a"]
    assert _tree(tmp_path) == ["was", "was/a", "was/a/kept.txt"]


@pytest.mark.parametrize("keep", [True, False])
def test_folder_made_never_removes_a_folder_that_was_there(tmp_path, keep):
    (tmp_path / "out").mkdir()
    with pytest.raises(KeyboardInterrupt):
        with folder_made(tmp_path / "out", keep=keep) as made:
            raise KeyboardInterrupt
    with folder_made(tmp_path / "out", keep=keep) as made_again:
        pass
    assert made == made_again == [] and _tree(tmp_path) == ["out"]


def test_folder_made_removes_the_folders_it_made_before_one_it_cannot_make(tmp_path):
    long = tmp_path / "a" / "b" / ("x" * 300)  # a name longer than any file system takes
    with pytest.raises(OSError) as info:  # the system's error, naming the folder
        with folder_made(long / "c"):
            pass
    assert (info.value.errno, info.value.filename) == (errno.ENAMETOOLONG, str(long))
    assert _tree(tmp_path) == []


# --------------------------------------------------------------------------
# GIFs without their trailer
# --------------------------------------------------------------------------


def _three_frame_gif(path: Path) -> bytes:
    """A GIF of three 6x4 frames of two colours each; its bytes."""
    frames = [Image.fromarray(np.full((4, 6), 40 * (i + 1), np.uint8)) for i in range(3)]
    for i, frame in enumerate(frames):
        frame.putpixel((i, 0), 255)
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100, loop=0)
    return path.read_bytes()


def _gif_cut_before_frame(data: bytes, n: int) -> bytes:
    """``data`` up to the graphic control extension of its frame ``n`` (0-based)."""
    at = -1
    for _ in range(n + 1):
        at = data.index(b"\x21\xf9\x04", at + 1)
    return data[:at]


def _assert_read_with_unterminated_warning(path, frames):
    """``load_image`` reads the cut GIF ``path`` as its ``frames`` whole frames and says
    once that it may have been cut short."""
    from quantize.io import UnterminatedGifWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loaded = load_image(path)
    held = "1 frame" if frames == 1 else f"{frames} frames"
    assert [(w.category, str(w.message)) for w in caught] == [(
        UnterminatedGifWarning,
        f"the GIF ends after {held} without its trailer (the ';' that ends every GIF): it "
        f"may have been cut short and later frames lost; the {held} it has "
        f"{'is' if frames == 1 else 'are'} read")]
    assert loaded.n_frames == frames


@pytest.mark.parametrize("frames", [1, 2, 3])
def test_a_gif_cut_at_a_frame_boundary_is_read_with_a_warning(tmp_path, frames):
    """A GIF ending after a whole frame without its trailer (';') was read as the frames
    it has without a word, as gifsicle and ImageMagick read it; it may have been cut
    short, so a warning now says so (the frames it has are still read)."""
    data = _three_frame_gif(tmp_path / "whole.gif")
    cut = data[:-1] if frames == 3 else _gif_cut_before_frame(data, frames)
    path = tmp_path / "cut.gif"
    path.write_bytes(cut)
    _assert_read_with_unterminated_warning(path, frames)


@pytest.mark.parametrize(("cut", "frames"), [
    (lambda data: _gif_cut_before_frame(data, 2) + b"\x21\xf9", 2),  # inside an extension
    (lambda data: _gif_cut_before_frame(data, 1) + b"\x21\xf9\x04\x04\x0a\x00\x00", 1),
    (lambda data: data[:-2], 3),  # the last frame's data whole, without its terminator
], ids=["inside-label", "before-extension-terminator", "before-data-terminator"])
def test_a_gif_cut_inside_an_extension_or_a_terminator_is_read_with_a_warning(tmp_path, cut,
                                                                              frames):
    """A GIF cut inside the extension after a whole frame (its next frame's graphic control
    extension), or just before the terminator of a frame's whole data, is read by Pillow as
    the frames it has, as one cut at a frame boundary is: those were read without a word,
    later frames lost; the warning now says so too."""
    path = tmp_path / "cut.gif"
    path.write_bytes(cut(_three_frame_gif(tmp_path / "whole.gif")))
    _assert_read_with_unterminated_warning(path, frames)
    assert len(list(iter_frames(path))) == frames


@pytest.mark.parametrize("tail", [b"", b"\x00\x00junk"])
def test_a_whole_gif_gives_no_trailer_warning(tmp_path, tail):
    """A trailer, also followed by other bytes, is a whole GIF."""
    from quantize.io import UnterminatedGifWarning

    data = _three_frame_gif(tmp_path / "whole.gif")
    path = tmp_path / "a.gif"
    path.write_bytes(data + tail)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UnterminatedGifWarning)
        assert load_image(path).n_frames == 3
        assert len(list(iter_frames(path))) == 3


def _gif_cut_inside_frame(data: bytes, n: int, into: int) -> bytes:
    """``data`` cut ``into`` bytes after the image descriptor of its frame ``n`` (0-based)
    starts: inside the blocks of that frame."""
    at = len(_gif_cut_before_frame(data, n)) + 8  # past its graphic control extension
    assert data[at] == 0x2C  # an image descriptor
    return data[:at + into]


@pytest.mark.parametrize("into", [5, 12, 20], ids=["descriptor", "data", "later-data"])
def test_a_gif_cut_inside_a_later_frame_keeps_the_whole_frames_before_it(tmp_path, into):
    """A GIF cut inside a frame (a download broken off) was refused ("image file is
    truncated"), though browsers and gifsicle play the whole frames before the cut: those
    are read now, as of a GIF cut between frames, and a warning says which frame was cut."""
    from quantize.io import UnterminatedGifWarning

    data = _three_frame_gif(tmp_path / "whole.gif")
    path = tmp_path / "cut.gif"
    path.write_bytes(_gif_cut_inside_frame(data, 2, into))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loaded = load_image(path)
    assert [(w.category, str(w.message)) for w in caught] == [(
        UnterminatedGifWarning,
        "the GIF is cut inside its frame 3 (a download broken off, say): that frame and any "
        "later ones are lost; the 2 frames before it are read, as browsers and gifsicle "
        "play them")]
    assert loaded.n_frames == 2
    (tmp_path / "two.gif").write_bytes(_gif_cut_before_frame(data, 2) + b";")
    read = [frame.rgba for frame in iter_frames(path)]
    assert len(read) == 2
    for frame, whole in zip(read, iter_frames(tmp_path / "two.gif"), strict=True):
        assert np.array_equal(frame, whole.rgba)


@pytest.mark.parametrize("frames", [1, 3])
def test_a_gif_cut_inside_its_first_frame_is_refused(tmp_path, frames):
    """A GIF cut inside its first frame (a still's only one) has no whole frame to read:
    the decoder refuses it, without a warning that frames were read."""
    from quantize.io import UnterminatedGifWarning

    data = _three_frame_gif(tmp_path / "whole.gif")
    if frames == 1:
        Image.open(tmp_path / "whole.gif").save(tmp_path / "still.gif", duration=100)
        data = (tmp_path / "still.gif").read_bytes()
    path = tmp_path / "cut.gif"
    path.write_bytes(_gif_cut_inside_frame(data, 0, 12))
    with warnings.catch_warnings():
        warnings.simplefilter("error", UnterminatedGifWarning)
        with pytest.raises(ImageReadError, match=r"truncated"):
            load_image(path)
        with pytest.raises(ImageReadError, match=r"truncated"):
            list(iter_frames(path))


def test_open_input_probes_then_loads_what_load_image_loads(tmp_path):
    from quantize.io import open_input

    src = tmp_path / "a.png"
    pixels = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    Image.fromarray(pixels).save(src)
    with open_input(src, max_pixels=6) as source:
        assert (source.path, source.n_frames) == (src, 1)
        loaded = source.load()
    again = load_image(src)
    assert np.array_equal(loaded.rgb, again.rgb) and np.array_equal(loaded.alpha, again.alpha)
    assert (loaded.mode, loaded.format, loaded.n_frames) == ("RGBA", "PNG", 1)
    with pytest.raises(ImageReadError, match=r"a\.gif: an animation of 2 frames of 3x2, 12 "
                                             r"pixels in all, exceeds the limit of 10;") as caught:
        frames = [Image.fromarray(pixels[..., :3]), Image.fromarray(255 - pixels[..., :3])]
        frames[0].save(src.with_suffix(".gif"), save_all=True, append_images=frames[1:])
        with open_input(src.with_suffix(".gif"), max_pixels=10):
            pass
    assert Path(caught.value.path) == src.with_suffix(".gif")
    with open_input(src.with_suffix(".gif")) as source:
        assert source.n_frames == 2


def test_open_input_lets_the_decoded_image_go_as_its_block_ends(tmp_path, monkeypatch):
    """A job keeps its OpenInput to the end (reduce_file's fit and encode): the image
    holding the decoded pixels (48 MB at 12 MP) is let go with the block, not then."""
    import gc
    import weakref

    import quantize.io.read as read_module
    from quantize.io import open_input

    src = tmp_path / "a.png"
    Image.fromarray(np.zeros((4, 5, 3), np.uint8)).save(src)
    decoded = []
    loaded_by = read_module._loaded
    monkeypatch.setattr(read_module, "_loaded",
                        lambda im, p, *a, **k: (decoded.append(weakref.ref(im))
                                                or loaded_by(im, p, *a, **k)))
    with open_input(src) as source:
        loaded = source.load()
        assert decoded[0]() is not None
    gc.collect()
    assert decoded[0]() is None and loaded.rgb.shape == (4, 5, 3)
    with pytest.raises(ValueError, match=r"a\.png: the input was closed; load it within "
                                         r"open_input"):
        source.load()


def test_open_input_leaves_the_errors_of_its_block_as_they_are(tmp_path):
    from quantize.io import open_input

    with pytest.raises(ImageReadError, match="no such file") as caught:
        with open_input(tmp_path / "missing.png"):
            pass
    assert Path(caught.value.path) == tmp_path / "missing.png"
    src = tmp_path / "a.png"
    Image.fromarray(np.zeros((1, 1, 3), np.uint8)).save(src)
    for raised in (ValueError("a bad option"), OSError(errno.ENOSPC, "No space left")):
        with pytest.raises(type(raised)) as caught, open_input(src):
            raise raised
        assert caught.value is raised


def test_write_together_keeps_a_replaced_file_as_a_hard_link_made_at_once(tmp_path,
                                                                          monkeypatch):
    """The file replaced is kept as a link beside it while the new one is renamed into
    place, linked at a name no file had: no empty file made and removed first."""
    import tempfile

    import quantize.io.write as qio

    a = tmp_path / "a.png"
    a.write_bytes(b"old a")
    inode = a.stat().st_ino
    taken = tmp_path / f".a.png.{os.getpid()}-aaaaaaaa.part"
    taken.write_bytes(b"another write's")
    tokens, made, kept = iter(["aaaaaaaa", "bbbbbbbb"]), [], []
    real_mkstemp, real_replace = tempfile.mkstemp, os.replace

    def mkstemp(*args, **kwargs):
        made.append(kwargs.get("prefix"))
        return real_mkstemp(*args, **kwargs)

    def replace(src, dst):
        kept.extend(p.name for p in tmp_path.iterdir() if p.stat().st_ino == inode)
        return real_replace(src, dst)

    monkeypatch.setattr(qio, "_token", lambda: next(tokens))
    monkeypatch.setattr(qio.tempfile, "mkstemp", mkstemp)
    monkeypatch.setattr(qio.os, "replace", replace)
    write_together([(a, b"new a")])
    assert sorted(kept) == [f".a.png.{os.getpid()}-bbbbbbbb.part", "a.png"]
    assert made == [f".a.png.{os.getpid()}-"]  # the new bytes' file alone
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == {
        "a.png": b"new a", taken.name: b"another write's"}


def _things_at_a_lock_name(folder: Path, lock: Path, kind: str) -> tuple[str, Path | None]:
    """Put ``kind`` at ``lock``; return what the refusal calls it and the file elsewhere
    that must be left as it was (None when there is none)."""
    elsewhere = folder / "elsewhere"
    elsewhere.mkdir()
    if kind == "link to a file":
        (elsewhere / "f").write_text("keep\n")
        lock.symlink_to(elsewhere / "f")
        return f"is a symbolic link (to '{elsewhere / 'f'}')", elsewhere / "f"
    if kind == "link to nothing":
        lock.symlink_to(elsewhere / "nothing")
        return f"is a symbolic link (to '{elsewhere / 'nothing'}')", None
    if kind == "link to a folder":
        lock.symlink_to(elsewhere)
        return f"is a symbolic link (to '{elsewhere}')", None
    if kind == "folder":
        lock.mkdir()
        return "is a folder", None
    (elsewhere / "f").write_text("keep\n")
    os.link(elsewhere / "f", lock)
    return ("is a file with another name too (a hard link), which the lock would write "
            "into"), elsewhere / "f"


LOCK_NAME_KINDS = ["link to a file", "link to nothing", "link to a folder", "folder",
                   "hard link"]


@pytest.mark.skipif(os.name != "posix", reason="no lock on Windows")
@pytest.mark.parametrize("kind", LOCK_NAME_KINDS)
def test_lock_file_held_refuses_a_link_or_folder_at_its_name(tmp_path, kind):
    # Opened without following a link, a link there failed to open and the lock was
    # silently not held (False): two batches into one folder ran at once.
    from quantize.errors import OwnFileError
    from quantize.io import lock_file_held, lock_file_taken

    lock = tmp_path / "x.lock"
    what, kept = _things_at_a_lock_name(tmp_path, lock, kind)
    with pytest.raises(OwnFileError) as info, lock_file_held(lock):
        pass
    assert str(info.value) == f"{lock}: {what}; quantize keeps its lock there itself: remove it"
    assert info.value.exit_code == 2
    assert os.path.lexists(lock) and not lock_file_taken(lock)
    if kept is not None:
        assert kept.read_text() == "keep\n"  # never written into


# Images of more than 8 bits whose values are counts of their own (microscopy, astronomy):
# two flat halves of 1000 and 3000 came out 4 and 12 of 255 without a word from a uint16
# or int32 file (only a float one warned), and segmented as one region.
_HALVES = np.repeat(np.array([[1000, 3000]], np.uint16), 3, axis=0).repeat(2, axis=1)
_DARK_FACTS = ("values 1000..3000 of 65535 come out 4..12 of 255: {counts} closer than 257 "
               "apart become one level")
_STRETCH_ADVICE = ("pass stretch=True to map its own range onto 0..255, or scale the values to "
                   "fill 0..65535 first")


@pytest.mark.parametrize(("dtype", "kind", "counts"), [
    (np.uint16, "16-bit", "counts"), (np.int32, "32-bit integer", "counts"),
    (np.float32, "float", "values")])
def test_a_file_of_more_than_8_bits_that_comes_out_dark_is_said_so_once(tmp_path, dtype, kind,
                                                                        counts):
    Image.fromarray(_HALVES.astype(dtype)).save(tmp_path / "sq.tif")
    with pytest.warns(PixelRangeWarning) as caught:
        rgb = load_image(tmp_path / "sq.tif").rgb
    assert [str(w.message) for w in caught] == [
        f"{kind} {_DARK_FACTS.format(counts=counts)}; {_STRETCH_ADVICE}"]
    assert [w.filename for w in caught] == [__file__]
    assert rgb[0, :, 0].tolist() == [4, 4, 12, 12]  # read as before


@pytest.mark.parametrize("dtype", [np.uint16, np.int32, np.float32])
def test_stretch_maps_a_wide_image_s_own_range_onto_0_to_255_before_8_bits(tmp_path, recwarn,
                                                                           dtype):
    """From the wide values: 1000, 1257 and 3000 come out 0, 33 and 255, where from the
    8-bit 4, 5 and 12 the middle one would be 32."""
    values = np.array([[1000, 1257, 3000]], np.uint16).astype(dtype)
    Image.fromarray(values).save(tmp_path / "sq.tif")
    rgb = load_image(tmp_path / "sq.tif", stretch=True).rgb
    assert rgb[0].tolist() == [[0, 0, 0], [33, 33, 33], [255, 255, 255]]
    assert not [w for w in recwarn if issubclass(w.category, PixelRangeWarning)]
    with Image.open(tmp_path / "sq.tif") as im:  # a PIL image, as as_rgba takes it
        assert as_rgba(im, stretch=True)[0][0, :, 0].tolist() == [0, 33, 255]


def test_the_caller_s_words_end_the_dark_warning_in_place_of_the_python_advice(tmp_path):
    Image.fromarray(_HALVES).save(tmp_path / "sq.png")
    with pytest.warns(PixelRangeWarning) as caught:
        load_image(tmp_path / "sq.png", dark_advice="the output is 8-bit and as dark")
    message = caught[0].message
    assert message.facts == str(message) == (
        f"16-bit {_DARK_FACTS.format(counts='counts')}; the output is 8-bit and as dark")


def test_a_uint16_array_is_stretched_from_its_own_colour_values_alpha_kept():
    image = np.dstack([np.array([[1000, 1257, 3000]], np.uint16),
                       np.array([[65535, 32896, 257]], np.uint16)])  # grey and alpha
    kept = image.copy()
    rgb, alpha = as_rgba(image, stretch=True)
    assert rgb[0, :, 0].tolist() == [0, 33, 255] and alpha.tolist() == [[255, 128, 1]]
    np.testing.assert_array_equal(image, kept)  # the caller's array is left alone
    with pytest.warns(PixelRangeWarning) as caught:
        as_rgba(image[..., :1])
    assert [str(w.message) for w in caught] == [
        f"image: uint16 {_DARK_FACTS.format(counts='counts')}; {_STRETCH_ADVICE}"]


def test_a_float_array_is_stretched_from_its_own_values_as_a_float_image_is(recwarn):
    """Stretched from its 8-bit levels, 0..0.01 came out 4 levels (0, 1, 2, 3 of 255
    spread), where a PIL "F" image of the same values came out 100."""
    values = np.array([[0.0, 0.0012, 0.0033, 0.01]], np.float32)
    assert as_rgba(values, stretch=True)[0][..., 0].tolist() == [[0, 31, 84, 255]]
    ramp = (np.arange(100, dtype=np.float32) / 10000).reshape(10, 10)
    rgb = as_rgba(ramp, stretch=True)[0]
    np.testing.assert_array_equal(rgb, as_rgba(Image.fromarray(ramp), stretch=True)[0])
    assert len(np.unique(rgb)) == 100
    alpha = np.array([[1.0, 0.25, 1.0, 0.0]], np.float32)  # the brightest hidden
    rgb, alpha = as_rgba(np.dstack([values, values, values, alpha]), stretch=True,
                         fourth_channel="alpha")
    assert rgb[..., 0].tolist() == [[0, 93, 255, 255]] and alpha.tolist() == [[255, 64, 255, 0]]
    assert not recwarn.list


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.int64, np.uint32])
def test_counts_of_any_float_or_integer_dtype_are_stretched_as_uint16_counts_are(dtype, recwarn):
    """A float array of counts (1000.0..3000.0) was refused for lying outside [0, 1], and an
    int32 one told to pass .astype(np.uint8), which wraps counts above 255."""
    counts = np.array([[1000, 1257, 3000]], np.uint16)
    rgb, alpha = as_rgba(counts.astype(dtype), stretch=True)
    assert rgb[0, :, 0].tolist() == [0, 33, 255] and alpha is None
    np.testing.assert_array_equal(rgb, as_rgba(counts, stretch=True)[0])
    assert not recwarn.list


def test_a_float_array_of_negative_values_is_stretched_from_its_own_range():
    values = np.array([[-50.0, 0.0, 100.0]], np.float32)
    assert as_rgba(values, stretch=True)[0][0, :, 0].tolist() == [0, 85, 255]


def test_a_float_array_beyond_the_unit_range_is_told_to_stretch_where_the_caller_can():
    counts = np.array([[1000.0, 3000.0]], np.float32)
    with pytest.raises(ValueError) as refused:
        as_rgba(counts)
    assert str(refused.value) == ("image of float dtype should hold values in [0, 1], got "
                                  "[1000, 3000]; pass stretch=True to map its own range onto "
                                  "0..255")
    with pytest.raises(ValueError) as refused:  # reduce takes no stretch: not told to
        reduce_colors(counts, 2)
    assert str(refused.value) == ("image of float dtype should hold values in [0, 1], got "
                                  "[1000, 3000]")
    with pytest.raises(ValueError) as refused:  # one value: no stretch spreads it
        as_rgba(np.full((2, 2), 500.0), stretch=True)
    assert str(refused.value) == ("image of float dtype should hold values in [0, 1], got "
                                  "[500, 500]; an image of one value cannot be stretched")


def test_an_integer_array_of_counts_is_told_to_stretch_not_to_cast_to_uint8():
    counts = np.array([[1000, 3000]], np.int32)
    with pytest.raises(TypeError) as refused:
        as_rgba(counts)
    assert str(refused.value) == (
        "image should have dtype uint8, uint16, bool or float, got int32; its values "
        "1000..3000 are no 8-bit levels: pass stretch=True to map its own range onto 0..255, "
        "or pass image.astype(np.uint16) to read them as 16-bit counts of 65535")
    with pytest.raises(TypeError) as refused:
        reduce_colors(counts, 2)
    assert str(refused.value).endswith(
        "got int32; its values 1000..3000 are no 8-bit levels: pass image.astype(np.uint16) "
        "to read them as 16-bit counts of 65535")
    with pytest.raises(TypeError) as refused:
        as_rgba(np.array([[-5, 70000]], np.int64))
    assert str(refused.value).endswith(
        "got int64; its values -5..70000 are no 8-bit levels: pass stretch=True to map its "
        "own range onto 0..255")
    with pytest.raises(TypeError) as refused:  # 8-bit levels as int32: as before
        as_rgba(np.array([[0, 200]], np.int32))
    assert str(refused.value).endswith("got int32; for values 0..255, pass it as "
                                       ".astype(np.uint8)")


@pytest.mark.parametrize(("image", "message"), [
    (np.zeros((2, 2, 2), np.int32), "image of dtype int32 with 2 channels has an alpha channel "
     "of unknown scale; expected 1 or 3 channels to stretch (pass image[..., :1]), or the "
     "image as uint16 with alpha 0..65535"),
    (np.full((2, 2), 7, np.int32), "image of dtype int32 holds one value, 7, which no stretch "
     "spreads; expected values of at least two levels, or the image as uint8 or uint16"),
    (np.dstack([np.full((1, 2), 300.0), np.full((1, 2), 2.0)]), "image's alpha channel "
     "(float) should hold values in [0, 1], got [2, 2]"),
])
def test_a_stretch_of_integers_or_floats_refuses_what_it_cannot_read(image, message):
    with pytest.raises(ValueError) as refused:
        as_rgba(image, stretch=True)
    assert str(refused.value) == message


def test_a_stretch_that_a_hot_pixel_leaves_dark_is_said_so_with_the_levels_of_the_rest(
        tmp_path, recwarn):
    """One pixel at 40000 among counts of 1000 and 1100 made the rest 0 and 1 of 255,
    without a word: segment then found one region."""
    counts = np.full((40, 50), 1000, np.uint16)
    counts[:, 25:] = 1100
    hot = counts.copy()
    hot[3, 4] = 40000
    facts = ("stretched from its own range comes out 0..1 of 255 but for 1 of its 2000 pixels "
             "(a few outliers, hot or dead pixels, set the range): its levels are too close "
             "to tell apart; give stretch_clip=0.1 to stretch from the 0.1th to the 99.9th "
             "percentile, which leaves them out")
    with pytest.warns(PixelRangeWarning) as caught:
        as_rgba(hot, stretch=True)
    assert [(w.message.facts, w.message.advice) for w in caught] == [(f"image {facts}", "")]
    Image.fromarray(hot).save(tmp_path / "hot.png")
    with pytest.warns(PixelRangeWarning) as caught:
        load_image(tmp_path / "hot.png", stretch=True)
    assert [w.message.facts for w in caught] == [f"hot.png {facts}"]
    recwarn.clear()
    as_rgba(counts, stretch=True)  # the clean image: 0 and 255, nothing said
    as_rgba(hot)  # nor without a stretch (its brightest pixel is not dark)
    assert not recwarn.list


_ONE_HOT = np.array([[100, 110, 120, 130, 140, 150, 160, 170, 180, 190, 65535]], np.uint16)
# with stretch_clip=10: 110 and 190 (each a value, 10% of the 11 beyond each) read as 0 and
# 255, the values beyond clipped; 120 reads round(10 * 255 / 80) = 32
_CLIPPED = [0, 0, 32, 64, 96, 128, 159, 191, 223, 255, 255]


@pytest.mark.parametrize("kind", ["uint16", "float32", "uint16-png", "float-tiff",
                                  "rgb16-png", "uint8-png"])
def test_a_stretch_clip_stretches_from_percentiles_and_clips_the_rest(kind, tmp_path):
    """--stretch was min-max only: one hot pixel set the range and the rest came out 0..1."""
    counts = _ONE_HOT
    if kind == "uint8-png":
        counts = np.array([[0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 255]], np.uint8)
    if kind in ("uint16", "float32"):
        rgb, _, extent = as_rgba_ranged(counts.astype(kind), stretch_clip=10)
    else:
        path = tmp_path / ("c.tif" if kind == "float-tiff" else "c.png")
        if kind == "rgb16-png":
            _wide_png(path, np.dstack([counts] * 3))
        else:
            Image.fromarray(counts.astype(np.float32) if kind == "float-tiff" else counts
                            ).save(path)
        loaded = load_image(path, stretch_clip=10)
        rgb, extent = loaded.rgb, loaded.stretch_range
    assert extent == ((10.0, 90.0) if kind == "uint8-png" else (110.0, 190.0))
    assert rgb[0, :, 0].tolist() == _CLIPPED
    assert (rgb[..., 0] == rgb[..., 2]).all()


def test_a_stretch_clip_of_0_is_the_plain_stretch_and_others_are_refused():
    plain = as_rgba_ranged(_ONE_HOT, stretch=True)
    assert plain[2] == (100.0, 65535.0)
    clipped = as_rgba_ranged(_ONE_HOT, stretch=True, stretch_clip=0)
    assert np.array_equal(plain[0], clipped[0]) and clipped[2] == plain[2]
    for bad, error in ((50, ValueError), (-1, ValueError), ("1", TypeError),
                       (True, TypeError)):
        with pytest.raises(error, match="^stretch_clip="):
            load_image(io.BytesIO(b"unread"), stretch_clip=bad)


def test_the_values_kept_beside_a_stretch_are_the_inputs_as_a_file_keeps_them(tmp_path):
    """as_rgba_stretched keeps the input's values beside its range, as load_image keeps a
    file's (stretch_values): an array's own, a 16-bit RGB PNG opened with Pillow turned
    upright by its EXIF orientation, as its file is (they were read as stored), and an
    8-bit image's levels before the stretch; none without a stretch."""
    counts = np.array([[1000, 2000, 3000]], np.uint16)
    _, _, extent, values = as_rgba_stretched(counts, stretch=True)
    assert (extent, values.tolist(), values.dtype) == ((1000.0, 3000.0), counts.tolist(),
                                                       np.uint16)
    assert values is not counts
    samples = np.array([[[1000] * 3, [2000, 2000, 3000], [3000, 1000, 1000]],
                        [[4000] * 3, [5000] * 3, [6000] * 3]])
    exif = Image.Exif()
    exif[0x0112] = 6
    path = _wide_png(tmp_path / "turned.png", samples, (b"eXIf", exif.tobytes()[6:]))
    with Image.open(path) as opened:
        rgb, _, extent, values = as_rgba_stretched(opened, stretch=True)
    loaded = load_image(path, stretch=True)
    assert (extent, rgb.shape) == (loaded.stretch_range, (3, 2, 3))
    assert values.tolist() == loaded.stretch_values.tolist() == np.rot90(samples, -1).tolist()
    levels = np.array([[[10, 20, 30], [50, 60, 70]]], np.uint8)
    rgb, _, extent, values = as_rgba_stretched(levels, stretch=True)
    assert (extent, values.tolist(), rgb[0, 0].tolist()) == ((10.0, 70.0), levels.tolist(),
                                                             [0, 42, 85])
    assert as_rgba_stretched(levels)[2:] == (None, None)


def test_a_stretch_clip_too_small_for_the_outliers_says_to_give_a_larger_one(recwarn):
    counts = np.full((100, 100), 1000, np.uint16)
    counts[:, 50:] = 1100
    counts[0, :5] = 40000  # 5 hot pixels of 10000: 0.05%, more than 0.01% clips
    with pytest.warns(PixelRangeWarning) as caught:
        as_rgba(counts, stretch_clip=0.01)
    assert str(caught[0].message) == (
        "image stretched from its 0.01th to 99.99th percentile comes out 0..1 of 255 but for "
        "5 of its 10000 pixels (a few outliers, hot or dead pixels, set the range): its "
        "levels are too close to tell apart; give a larger stretch_clip than 0.01 to leave "
        "them out")
    recwarn.clear()
    assert as_rgba_ranged(counts, stretch_clip=0.1)[2] == (1000.0, 1100.0)
    assert not recwarn.list


def test_a_stretched_file_records_the_values_it_read_as_0_and_255(tmp_path):
    Image.fromarray(np.array([[1000, 1257, 3000]], np.uint16)).save(tmp_path / "wide.png")
    Image.fromarray(np.array([[1000, 1257, 3000]], np.float32)).save(tmp_path / "wide.tif")
    Image.fromarray(np.array([[[4, 8, 12]]], np.uint8)).save(tmp_path / "rgb.png")
    Image.fromarray(np.full((2, 2), 9, np.uint8)).save(tmp_path / "plain.png")
    assert load_image(tmp_path / "wide.png", stretch=True).stretch_range == (1000.0, 3000.0)
    assert load_image(tmp_path / "wide.tif", stretch=True).stretch_range == (1000.0, 3000.0)
    assert load_image(tmp_path / "rgb.png", stretch=True).stretch_range == (4.0, 12.0)
    assert load_image(tmp_path / "plain.png", stretch=True).stretch_range is None
    with pytest.warns(PixelRangeWarning):  # dark, unstretched
        assert load_image(tmp_path / "wide.png").stretch_range is None
    with pytest.raises(ValueError, match=r"^LoadedImage.stretch_range should be None or "
                       r"\(low, high\), two finite numbers with low < high, got \(3, 1\)$"):
        LoadedImage(np.zeros((1, 1, 3), np.uint8), None, stretch_range=(3, 1))


def test_stretch_of_an_8_bit_image_spreads_its_levels_over_all_channels_together(recwarn):
    """Over the channels together, so that hues are kept; one level is left as it is."""
    rgb, _ = as_rgba(np.array([[[4, 8, 12], [8, 8, 8]]], np.uint8), stretch=True)
    assert rgb.tolist() == [[[0, 128, 255], [128, 128, 128]]]
    plain = np.full((2, 2, 3), 7, np.uint8)
    assert as_rgba(plain, stretch=True)[0].tolist() == plain.tolist()
    assert not recwarn.list


def test_stretch_should_be_a_bool(tmp_path):
    Image.fromarray(_HALVES).save(tmp_path / "sq.png")
    with pytest.raises(TypeError, match="^stretch='yes' should be a bool, got str$"):
        load_image(tmp_path / "sq.png", stretch="yes")
    with pytest.raises(TypeError, match="^stretch=1 should be a bool, got int$"):
        as_rgba(_HALVES, stretch=1)


def test_stretch_of_a_dark_image_of_one_value_says_it_cannot_be_stretched(tmp_path):
    """It said to pass stretch=True, which was passed."""
    flat = np.full((2, 3), 1234, np.uint16)
    Image.fromarray(flat).save(tmp_path / "flat.png")
    with pytest.warns(PixelRangeWarning) as caught:
        assert load_image(tmp_path / "flat.png", stretch=True).rgb.max() == 5
        assert as_rgba(flat, stretch=True)[0].max() == 5
        as_rgba(flat, stretch=True, dark_advice="give --stretch")
        rgb = _wide_rgb_file(tmp_path / "flat_rgb.png", np.full((2, 3, 3), 1234, np.uint16))
        assert load_image(rgb, stretch=True, dark_advice="give --stretch").rgb.max() == 5
    facts = ("values 1234..1234 of 65535 come out 5..5 of 255: an image of one value cannot "
             "be stretched")
    assert [str(w.message) for w in caught] == [
        f"16-bit {facts}", f"image: uint16 {facts}", f"image: uint16 {facts}", f"16-bit {facts}"]


def test_a_dark_image_of_one_value_without_stretch_is_not_told_to_stretch(tmp_path):
    """It said to pass stretch=True, which spreads no single value; a job's own fact
    (reduce's) still ends the warning."""
    flat = np.full((2, 3), 1234, np.uint16)
    Image.fromarray(flat).save(tmp_path / "flat.png")
    rgb = _wide_rgb_file(tmp_path / "flat_rgb.png", np.full((2, 3, 3), 1234, np.uint16))
    with pytest.warns(PixelRangeWarning) as caught:
        assert load_image(tmp_path / "flat.png").rgb.max() == 5
        as_rgba(flat, dark_advice=StretchAdvice("give --stretch"))
        load_image(rgb, dark_advice=StretchAdvice("give --stretch"))
        as_rgba(flat, dark_advice="the output is dark")
        as_rgba(np.full((2, 3), 100, np.uint16))
    facts = "values 1234..1234 of 65535 come out 5..5 of 255: the image holds one value"
    assert [str(w.message) for w in caught] == [
        f"16-bit {facts}, which no stretch spreads",
        f"image: uint16 {facts}, which no stretch spreads",
        f"16-bit {facts}, which no stretch spreads",
        f"image: uint16 {facts}; the output is dark",
        "image: uint16 values 100..100 of 65535 come out 0..0 of 255: the image holds one "
        "value, which no stretch spreads; if they are 0..255, pass it as .astype(np.uint8)"]


def test_the_dark_check_without_stretch_looks_at_the_visible_pixels_only(tmp_path):
    """A bright colour under a fully transparent pixel hid that the rest comes out dark,
    as it did not with stretch=True."""
    rgba = np.zeros((4, 6, 4), np.uint16)
    rgba[..., :3], rgba[:, :3, :3], rgba[..., 3] = 2000, 1000, 65535
    rgba[0, 0] = (60000, 60000, 60000, 0)
    tif = _wide_rgb_file(tmp_path / "hidden.tif", rgba)
    grey = np.full((4, 6), 2000, np.uint16)
    grey[:, :3], grey[0, 0] = 1000, 65535
    Image.fromarray(grey).save(tmp_path / "key.png", transparency=65535)
    with pytest.warns(PixelRangeWarning) as caught:
        as_rgba(rgba, dark_advice="dark", fourth_channel="alpha")
        load_image(tif, dark_advice="dark")
        load_image(tmp_path / "key.png", dark_advice="dark")
    facts = ("values 1000..2000 of 65535 come out 4..8 of 255: counts closer than 257 apart "
             "become one level; dark")
    assert [str(w.message) for w in caught] == [
        f"image: uint16 {facts}", f"16-bit {facts}", f"16-bit {facts}"]


def _wide_rgb_file(path: Path, pixels: np.ndarray) -> Path:
    """A 16-bit RGB (``pixels`` (H, W, 3)) or RGBA file: a TIFF, or a PNG, which Pillow
    does not write, assembled by hand."""
    if path.suffix == ".tif":
        extra = {"extrasamples": ["unassalpha"]} if pixels.shape[2] == 4 else {}
        _tifffile().imwrite(path, pixels, photometric="rgb", **extra)
        return path
    h, w, c = pixels.shape
    rows = b"".join(b"\0" + row.astype(">u2").tobytes() for row in pixels)
    header = struct.pack(">IIBBBBB", w, h, 16, 2 if c == 3 else 6, 0, 0, 0)
    path.write_bytes(png_of_chunks([(b"IHDR", header), (b"IDAT", zlib.compress(rows)),
                                    (b"IEND", b"")]))
    return path


# Colours 1000..3000 over all three channels: (1000, 1257, 3000) and (3000, 1000, 1257).
_DARK_RGB = np.array([[[1000, 1257, 3000], [3000, 1000, 1257]]], np.uint16)


@pytest.mark.parametrize("name", ["rgb.tif", "rgb.png"])
def test_a_dark_16_bit_rgb_file_is_said_so_as_a_grey_one_is(tmp_path, name):
    """It was read as 4..12 of 255 without a word, where a grey one of the same values
    warned."""
    src = _wide_rgb_file(tmp_path / name, _DARK_RGB)
    with pytest.warns(PixelRangeWarning) as caught:
        rgb = load_image(src).rgb
    assert [str(w.message) for w in caught] == [
        f"16-bit {_DARK_FACTS.format(counts='counts')}; {_STRETCH_ADVICE}"]
    assert [w.filename for w in caught] == [__file__]
    assert rgb.tolist() == [[[4, 5, 12], [12, 4, 5]]]  # read as before
    with pytest.warns(PixelRangeWarning) as caught:
        load_image(src, dark_advice="the output is 8-bit and as dark")
    assert str(caught[0].message).endswith("come one level; the output is 8-bit and as dark")


@pytest.mark.parametrize("name", ["rgb.tif", "rgb.png"])
def test_stretch_maps_a_16_bit_rgb_file_s_own_range_from_its_16_bit_values(tmp_path, recwarn,
                                                                           name):
    """Stretched from the 8-bit 4, 5 and 12 (as it was), 1257 came out 32, not 33; and
    counts closer than 257 apart stayed one level."""
    src = _wide_rgb_file(tmp_path / name, _DARK_RGB)
    assert load_image(src, stretch=True).rgb.tolist() == [[[0, 33, 255], [255, 0, 33]]]
    with Image.open(src) as im:  # a PIL image, as as_rgba takes it
        assert as_rgba(im, stretch=True)[0].tolist() == [[[0, 33, 255], [255, 0, 33]]]
    close = _wide_rgb_file(tmp_path / f"close{src.suffix}",
                           np.array([[[1000] * 3, [1100] * 3]], np.uint16))
    assert load_image(close, stretch=True).rgb[0, :, 0].tolist() == [0, 255]
    assert not [w for w in recwarn if issubclass(w.category, PixelRangeWarning)]


@pytest.mark.parametrize("name", ["rgba.tif", "rgba.png"])
def test_a_16_bit_rgba_file_is_stretched_and_said_dark_by_its_colours_alone(tmp_path, name):
    """Alpha (opaque at 65535) is neither stretched nor counted as a bright colour."""
    alpha = np.array([[[65535], [32896]]], np.uint16)
    src = _wide_rgb_file(tmp_path / name, np.concatenate([_DARK_RGB, alpha], axis=2))
    with pytest.warns(PixelRangeWarning) as caught:
        assert load_image(src).alpha.tolist() == [[255, 128]]
    assert [str(w.message) for w in caught] == [
        f"16-bit {_DARK_FACTS.format(counts='counts')}; {_STRETCH_ADVICE}"]
    stretched = load_image(src, stretch=True)
    assert stretched.rgb.tolist() == [[[0, 33, 255], [255, 0, 33]]]
    assert stretched.alpha.tolist() == [[255, 128]]


def _hidden_white(tmp_path: Path, kind: str):
    """An image of two pixels that show, 10 and 20 (of 255, or 16-bit 2570 and 5140), and
    one hidden one, white: by alpha 0, or as a 16-bit PNG's transparent value (tRNS)."""
    rgba = np.array([[[10] * 3 + [255], [20] * 3 + [255], [255] * 3 + [0]]], np.uint8)
    if kind == "8-bit file":
        Image.fromarray(rgba).save(tmp_path / "rgba_dark.png")
        return tmp_path / "rgba_dark.png"
    if kind == "16-bit file":
        return _wide_rgb_file(tmp_path / "rgba.png", rgba.astype(np.uint16) * 257)
    if kind == "16-bit grey, tRNS":
        Image.fromarray(rgba[..., 0].astype(np.uint16) * 257).save(tmp_path / "grey.png",
                                                                   transparency=65535)
        return tmp_path / "grey.png"
    if kind == "16-bit rgb, tRNS":
        wide = rgba[..., :3].astype(np.uint16) * 257
        rows = b"".join(b"\0" + row.astype(">u2").tobytes() for row in wide)
        header = struct.pack(">IIBBBBB", 3, 1, 16, 2, 0, 0, 0)
        path = tmp_path / "keyed.png"
        path.write_bytes(png_of_chunks([(b"IHDR", header), (b"tRNS", b"\xff" * 6),
                                        (b"IDAT", zlib.compress(rows)), (b"IEND", b"")]))
        return path
    return rgba if kind == "uint8 array" else rgba.astype(np.uint16) * 257


@pytest.mark.parametrize("kind", ["8-bit file", "16-bit file", "16-bit grey, tRNS",
                                  "16-bit rgb, tRNS", "uint8 array", "uint16 array"])
def test_stretch_spreads_the_pixels_that_show_not_the_colour_hidden_under_alpha_0(
        tmp_path, recwarn, kind):
    """The white under a pixel of alpha 0 was counted: 10 and 20 came out 0 and 10."""
    image = _hidden_white(tmp_path, kind)
    if isinstance(image, np.ndarray):
        rgb, alpha = as_rgba(image, stretch=True, fourth_channel="alpha")
    else:
        loaded = load_image(image, stretch=True)
        rgb, alpha = loaded.rgb, loaded.alpha
    assert rgb[..., 0].tolist() == [[0, 255, 255]]
    assert alpha.tolist() == [[255, 255, 0]]
    if not isinstance(image, np.ndarray):
        with Image.open(image) as im:  # a PIL image, as as_rgba takes it
            assert as_rgba(im, stretch=True)[0][..., 0].tolist() == [[0, 255, 255]]


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_stretch_leaves_an_image_that_shows_no_pixel_as_it_reads(recwarn, dtype):
    hidden = np.array([[[10, 10, 10, 0], [20, 20, 20, 0]]], np.uint8).astype(dtype)
    scale = 1 if dtype == np.uint8 else 257
    assert as_rgba(hidden * scale, stretch=True,
                   fourth_channel="alpha")[0][..., 0].tolist() == [[10, 20]]


def test_a_dark_page_of_a_16_bit_rgb_tiff_is_named(tmp_path):
    _tifffile().imwrite(tmp_path / "pages.tif", np.stack([_DARK_RGB, _DARK_RGB * 20]),
                        photometric="rgb")
    with pytest.warns(PixelRangeWarning) as caught:
        load_image(tmp_path / "pages.tif")
    assert [str(w.message) for w in caught if w.category is PixelRangeWarning] == [
        f"page 1: 16-bit {_DARK_FACTS.format(counts='counts')}; {_STRETCH_ADVICE}"]


def test_a_bright_16_bit_rgb_file_reads_without_a_warning(tmp_path, recwarn):
    """Its brightest colour at 64 of 255 (16320 rounds to 63.5 -> 64): no warning."""
    src = _wide_rgb_file(tmp_path / "dim.png", np.array([[[0, 100, 16320]]], np.uint16))
    assert load_image(src).rgb.tolist() == [[[0, 0, 64]]]
    assert not [w for w in recwarn if issubclass(w.category, PixelRangeWarning)]


@pytest.mark.parametrize("bits", [np.uint8, np.uint16])
def test_a_tiff_sample_that_is_not_read_is_named(tmp_path, bits):
    """RGB with a fourth sample marked 'unspecified' was read as RGB without a word."""
    pixels = np.zeros((2, 3, 4), bits)
    pixels[..., 0], pixels[..., 3] = np.iinfo(bits).max, 7
    _tifffile().imwrite(tmp_path / "ch4.tif", pixels, photometric="rgb",
                        extrasamples=["unspecified"])
    with pytest.warns(SamplesLeftOutWarning) as caught:
        rgb = load_image(tmp_path / "ch4.tif").rgb
    assert [str(w.message) for w in caught] == [
        "TIFF of 4 samples a pixel, read as RGB: its sample 4 (extra, marked unspecified) is "
        "left out; to use it, save it as an image of its own, or as alpha"]
    assert rgb[0, 0].tolist() == [255, 0, 0]


def test_a_tiff_of_rgb_and_alpha_says_nothing_of_samples(tmp_path, recwarn):
    _tifffile().imwrite(tmp_path / "rgba.tif", np.full((2, 3, 4), 40000, np.uint16),
                        photometric="rgb", extrasamples=["unassalpha"])
    load_image(tmp_path / "rgba.tif")
    assert not [w for w in recwarn if issubclass(w.category, SamplesLeftOutWarning)]


# --------------------------------------------------------------------------
# load_image of a binary file object
# --------------------------------------------------------------------------


def _jpeg_turned(orientation: int) -> bytes:
    """A 6 x 4 JPEG (left half red, right half blue) whose EXIF says ``orientation``."""
    pixels = np.zeros((4, 6, 3), np.uint8)
    pixels[:, :3], pixels[:, 3:] = [220, 20, 20], [20, 20, 220]
    buffer, exif = io.BytesIO(), Image.Exif()
    exif[0x0112] = orientation
    Image.fromarray(pixels).save(buffer, "JPEG", exif=exif, quality=95)
    return buffer.getvalue()


def _gif_of_three_frames() -> bytes:
    frames = [Image.new("RGB", (4, 4), (80 * i, 0, 0)) for i in range(3)]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:], duration=50)
    return buffer.getvalue()


@pytest.mark.parametrize("data", [_jpeg_turned(6), _gif_of_three_frames()], ids=["exif6", "gif"])
def test_load_image_reads_a_file_object_as_it_reads_the_file(tmp_path, data):
    (tmp_path / "a").write_bytes(data)
    from_file = load_image(tmp_path / "a")
    stream = io.BytesIO(b"ahead" + data)
    stream.seek(5)  # read from its position
    from_stream = load_image(stream)
    assert from_stream.path is None and from_file.path == tmp_path / "a"
    assert np.array_equal(from_stream.rgb, from_file.rgb)
    for field in ("alpha", "mode", "format", "n_frames", "loop", "duration", "dpi"):
        assert getattr(from_stream, field) == getattr(from_file, field), field


def test_load_image_of_a_file_object_turns_it_upright_and_counts_frames():
    assert load_image(io.BytesIO(_jpeg_turned(6))).shape == (6, 4)  # stored 4 x 6
    assert load_image(io.BytesIO(_gif_of_three_frames())).n_frames == 3


def test_a_pil_image_is_turned_upright_as_its_file_is():
    """segment(Image.open(path)) gave labels of the stored (4, 6) for a JPEG whose EXIF says
    orientation 6, where the command line (load_image) turns it to (6, 4): a PIL image is
    now turned as its file is, decoded or not, converted or not; one exif_transpose gave
    is upright already and is not turned again."""
    from PIL import ImageOps

    from quantize import segment

    data = _jpeg_turned(6)
    upright = load_image(io.BytesIO(data)).rgb
    assert upright.shape == (6, 4, 3)
    opened = Image.open(io.BytesIO(data))
    assert opened.size == (6, 4)
    decoded = Image.open(io.BytesIO(data))
    decoded.load()
    for image in (opened, decoded, decoded.convert("RGB"),
                  ImageOps.exif_transpose(Image.open(io.BytesIO(data)))):
        rgb, alpha = as_rgba(image)
        assert alpha is None and np.array_equal(rgb, upright)
    assert segment(Image.open(io.BytesIO(data)), regions=2).labels.shape == (6, 4)
    reduced = reduce_colors(Image.open(io.BytesIO(data)), 2, seed=0)
    assert reduced.indices.shape == (6, 4)
    assert np.array_equal(reduced.indices, reduce_colors(upright, 2, seed=0).indices)


@pytest.mark.parametrize("data", [b"", b"not an image", _gif_of_three_frames()[:40]],
                         ids=["empty", "no-image", "truncated"])
def test_load_image_of_a_file_object_fails_as_of_a_file_naming_it_stream(tmp_path, data):
    (tmp_path / "a").write_bytes(data)
    with pytest.raises(ImageReadError) as of_file:
        load_image(tmp_path / "a")
    with pytest.raises(ImageReadError) as of_stream:
        load_image(io.BytesIO(data))
    assert of_stream.value.path == "<stream>"
    assert of_stream.value.reason == of_file.value.reason
    assert str(of_stream.value) == f"<stream>: {of_file.value.reason}"


def test_load_image_of_a_file_object_keeps_the_pixel_limit():
    with pytest.raises(ImageReadError, match=r"^<stream>: 6x4 = 24 pixels exceeds the limit "
                                             r"of 10; "):
        load_image(io.BytesIO(_jpeg_turned(1)), max_pixels=10)


class _Zeros(io.RawIOBase):
    """``/dev/zero`` as a file object: zeros for ever, counting those read (more than a
    MiB is taken as copied without end)."""

    def __init__(self) -> None:
        self.given = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        assert self.given < 1 << 20, "read on past the head"
        buffer[:] = bytes(len(buffer))
        self.given += len(buffer)
        return len(buffer)


_NO_IMAGE_IN_64 = ("<stream>: not an image Pillow can identify (its first 64 bytes begin no "
                   "image format it knows; the rest was not read)")


def test_load_image_refuses_an_endless_file_object_at_the_head(monkeypatch):
    """load_image(open("/dev/zero", "rb")) copied the stream into a temporary file until
    the disk was full; it is refused after its head, as ``quantize reduce -`` refuses it."""
    monkeypatch.setattr("quantize.io.streams.STREAM_HEAD", 64)
    zeros = _Zeros()
    with pytest.raises(ImageReadError) as refused:
        load_image(zeros)
    assert (str(refused.value), zeros.given) == (_NO_IMAGE_IN_64, 64)


def test_load_image_reads_a_file_object_that_is_no_image_no_further_than_its_head(
        monkeypatch):
    """300 MiB of zeros were copied whole before 'not an image Pillow can identify'."""
    monkeypatch.setattr("quantize.io.streams.STREAM_HEAD", 64)
    stream = io.BytesIO(bytes(1000))
    with pytest.raises(ImageReadError) as refused:
        load_image(stream)
    assert (str(refused.value), stream.tell()) == (_NO_IMAGE_IN_64, 64)
    image = io.BytesIO(_jpeg_turned(1))  # one that begins an image is read past its head
    assert len(image.getvalue()) > 64 and load_image(image).shape == (4, 6)


def test_load_image_refuses_a_file_object_in_text_mode(tmp_path):
    (tmp_path / "a.png").write_bytes(_jpeg_turned(1))
    with open(tmp_path / "a.png") as text, pytest.raises(
            TypeError, match=r"is a file object in text mode; open the file in binary mode"):
        load_image(text)


def test_the_file_jobs_refuse_a_file_object_saying_what_to_do(tmp_path):
    """segment_file reads the first frame, as load_image does (reduce_file's advice, which
    also names an animation's way, is tested below)."""
    from quantize.segment_file import segment_file

    with pytest.raises(TypeError) as refused:
        segment_file(io.BytesIO(_jpeg_turned(1)), tmp_path / "out")
    assert str(refused.value) == (
        "input should be a path (str or os.PathLike), got BytesIO, a file object: read its "
        "image with quantize.io.load_image(file) and pass that to reduce_colors or segment, "
        "or write it to a file and pass the file's name")
    assert list(tmp_path.iterdir()) == []


def test_reduce_animation_file_refuses_a_file_object_with_advice_that_keeps_its_frames(
        tmp_path):
    """The advice was load_image and reduce_colors, which keep the first frame only."""
    from quantize.animation import reduce_animation_file

    with pytest.raises(TypeError) as refused:
        reduce_animation_file(io.BytesIO(_gif_of_three_frames()), tmp_path / "out.gif")
    assert str(refused.value) == (
        "input should be a path (str or os.PathLike), got BytesIO, a file object: pass it to "
        "quantize.reduce.reduce_file, which takes a file object and keeps every frame, or "
        "write its bytes to a file (tempfile.NamedTemporaryFile(suffix='.gif'), say) and pass "
        "the file's name (quantize.io.load_image(file) reads the first frame only)")
    assert list(tmp_path.iterdir()) == []


def test_extract_palette_refuses_an_animation_s_file_object_saying_how_to_keep_its_frames(
        tmp_path):
    """Its advice, a still's way and an animation's, said no function took an animation's
    frames from a file object, which reduce_file now does (tests/test_reduce_file_objects)."""
    from quantize.reduce.palette_job import extract_palette

    with pytest.raises(TypeError) as refused:
        extract_palette(io.BytesIO(_gif_of_three_frames()))
    assert str(refused.value) == (
        "input should be a path (str or os.PathLike), got BytesIO, a file object: for a "
        "still image, read it with quantize.io.load_image(file) and pass that to "
        "reduce_colors; for an animation, write its bytes to a file "
        "(tempfile.NamedTemporaryFile(suffix='.gif'), say) and pass the file's name "
        "(quantize.io.load_image(file) reads the first frame only)")
    assert list(tmp_path.iterdir()) == []


def test_an_image_forgotten_while_its_thread_holds_the_reads_lock_does_not_stop_it():
    """A garbage collection may start at any allocation made under the lock of the frames
    read (a ``weakref.finalize`` as a new image is read), and run the finalizer of another
    image, which takes the lock again, in the same thread: with a plain lock the thread
    waited for itself, and a test run hung in ``as_rgba`` of an APNG frame."""
    from quantize.io import read

    class Read:
        closed = False

        def close(self):
            self.closed = True

    gone, reads = Read(), {}
    reads[1] = gone

    def forget_under_the_lock():
        with read._reads_lock:
            read._forget_read(reads, 1, gone)

    worker = threading.Thread(target=forget_under_the_lock, daemon=True)
    worker.start()
    worker.join(10)
    if worker.is_alive():  # free the thread, so that the tests after this one can read
        read._reads_lock.release()
    assert not worker.is_alive()
    assert reads == {} and gone.closed


def _noise(mode: str, size: int = 32) -> Image.Image:
    """A tiny image of seeded noise in ``mode`` ("RGB", "RGBA", "P", "L")."""
    values = np.random.default_rng(7).integers(0, 256, (size, size, 4), np.uint8)
    image = Image.fromarray(values, "RGBA")
    return image.quantize(16) if mode == "P" else image.convert(mode)


def _saved(image: Image.Image, fmt: str) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "P"])
@pytest.mark.parametrize(("damage", "reason"), [
    (lambda d: d[:-12], "it ends without its IEND chunk (the file may have been cut short)"),
    (lambda d: d[:-1], "its IEND chunk is cut short (the file may have been cut short)"),
    (lambda d: d + b"junk!", "it has 5 bytes after its IEND chunk")])
def test_a_png_whose_end_is_damaged_is_read_whole_with_a_warning(tmp_path, mode, damage, reason):
    """Read without a word: pngquant (exit 25) and ImageMagick (exit 1) refuse a PNG
    without its IEND chunk, and the user never learned the file was damaged."""
    from quantize.png import DamagedPngEndWarning

    whole = _saved(_noise(mode), "PNG")
    (tmp_path / "whole.png").write_bytes(whole)
    (tmp_path / "cut.png").write_bytes(damage(whole))
    with pytest.warns(DamagedPngEndWarning) as said:
        cut = load_image(tmp_path / "cut.png")
    assert [str(w.message) for w in said] == [
        f"damaged PNG: {reason}; the image read holds every row and is read"]
    sound = load_image(tmp_path / "whole.png")
    assert np.array_equal(cut.rgb, sound.rgb)
    assert (cut.alpha is None) == (sound.alpha is None)


def test_an_apng_cut_in_a_later_frame_says_so_when_its_first_frame_is_read(tmp_path):
    """load_image reads the first frame, whole: the frames cut off were lost without a word."""
    from quantize.png import DamagedPngEndWarning

    frames = [_noise("RGB"), _noise("RGB").rotate(90), _noise("RGB").rotate(180)]
    out = io.BytesIO()
    frames[0].save(out, "PNG", save_all=True, append_images=frames[1:], duration=100)
    (tmp_path / "cut.png").write_bytes(out.getvalue()[: len(out.getvalue()) * 3 // 4])
    with pytest.warns(DamagedPngEndWarning) as said:
        load_image(tmp_path / "cut.png")
    assert [str(w.message) for w in said] == [
        "damaged PNG: it is cut short inside an fdAT chunk, before its IEND chunk; the image "
        "read holds every row and is read"]


@pytest.mark.parametrize(("mode", "size"), [("RGB", 64), ("L", 64), ("RGB", 256)])
def test_a_jpeg_cut_in_its_scan_and_given_its_end_marker_is_refused(tmp_path, mode, size):
    """libjpeg fills the blocks after the cut with grey and Pillow read it without a word.
    A whole JPEG whose last pixels are grey (128) is still read."""
    whole = _saved(_noise(mode, size), "JPEG")
    src = tmp_path / "cut.jpg"
    src.write_bytes(whole[: len(whole) // 2] + b"\xff\xd9")
    with pytest.raises(ImageReadError) as refused:
        load_image(src)
    assert str(refused.value) == (
        f"{src}: cannot decode image (image file is truncated: its image data ends before "
        "its last rows, which come out grey, and its end marker follows the cut)")
    grey = np.asarray(_noise(mode, 64)).copy()
    grey[48:] = 128  # whole, and its last rows grey as a cut file's are
    Image.fromarray(grey).save(tmp_path / "grey.jpg")
    read = load_image(tmp_path / "grey.jpg")
    assert (read.rgb[-1] == 128).all()
