"""quantize.io.resolution: the physical resolution a file states, and what an output holds."""

from __future__ import annotations

import io
import struct

import numpy as np
import pytest
from PIL import Image

from quantize.io import LoadedImage, held_dpi, load_image, stated_dpi, upright_dpi
from quantize.png import chunks_of
from tests.corpus.generate import png_of_chunks

# A picture wider than high, so that a quarter turn shows in its shape.
PIXELS = np.arange(4 * 6 * 3, dtype=np.uint8).reshape(4, 6, 3)
X_RESOLUTION, Y_RESOLUTION, RESOLUTION_UNIT, ORIENTATION = 0x011A, 0x011B, 0x0128, 0x0112


def saved(fmt: str, **params) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(PIXELS).save(buffer, format=fmt, **params)
    return buffer.getvalue()


def exif(**tags) -> bytes:
    names = {"x": X_RESOLUTION, "y": Y_RESOLUTION, "unit": RESOLUTION_UNIT,
             "orientation": ORIENTATION}
    block = Image.Exif()
    for name, value in tags.items():
        block[names[name]] = value
    return block.tobytes()


def with_phys(x: int, y: int, unit: int) -> bytes:
    """A PNG whose pHYs chunk holds ``x``, ``y`` pixels per ``unit`` (0: an aspect, 1: per
    metre), which Pillow does not write from ``dpi`` (whole dpi) or ``pnginfo`` (dropped)."""
    chunks = [(kind, data) for _, kind, data in chunks_of(saved("PNG"))]
    return png_of_chunks(chunks[:1] + [(b"pHYs", struct.pack(">IIB", x, y, unit))]
                         + chunks[1:])


def jfif_in_centimetres(data: bytes) -> bytes:
    """A JPEG whose JFIF density is per centimetre (unit 2), which Pillow does not write:
    the unit byte follows SOI, APP0's marker and length, "JFIF\\0" and the version."""
    assert data[6:11] == b"JFIF\0"
    return data[:13] + b"\x02" + data[14:]


def stated(data: bytes):
    with Image.open(io.BytesIO(data)) as im:
        return stated_dpi(im)


@pytest.mark.parametrize(("data", "dpi"), [
    pytest.param(saved("PNG", dpi=(300, 150)), (300.0, 150.0), id="png"),  # not 299.9994
    pytest.param(with_phys(11812, 2000, 1), (300.0248, 50.8), id="png-not-whole"),
    pytest.param(saved("PNG"), None, id="png-none"),
    pytest.param(with_phys(2, 1, 0), None, id="png-aspect"),
    pytest.param(saved("JPEG", dpi=(300, 150)), (300.0, 150.0), id="jfif"),
    pytest.param(jfif_in_centimetres(saved("JPEG", dpi=(100, 50))), (254.0, 127.0),
                 id="jfif-cm"),
    pytest.param(saved("JPEG"), None, id="jfif-aspect"),  # unit 0, density 1:1
    pytest.param(saved("JPEG", exif=exif(x=300, y=150, unit=2)), (300.0, 150.0), id="exif"),
    pytest.param(saved("JPEG", exif=exif(x=100, y=50, unit=3)), (254.0, 127.0),
                 id="exif-cm"),
    pytest.param(saved("JPEG", exif=exif(x=300, y=150)), (300.0, 150.0),
                 id="exif-no-unit"),  # EXIF's default unit: the inch
    pytest.param(saved("JPEG", exif=exif(orientation=6)), None, id="exif-none"),
    pytest.param(saved("JPEG", exif=exif(x=300, y=150, unit=1)), None, id="exif-aspect"),
    pytest.param(saved("TIFF", dpi=(300, 150)), (300.0, 150.0), id="tiff"),
    pytest.param(saved("TIFF", resolution_unit=3, x_resolution=100, y_resolution=50),
                 (254.0, 127.0), id="tiff-cm"),
    pytest.param(saved("TIFF", x_resolution=300, y_resolution=150), (300.0, 150.0),
                 id="tiff-no-unit"),  # TIFF's default unit: the inch
    pytest.param(saved("TIFF", resolution_unit=1, x_resolution=2, y_resolution=1), None,
                 id="tiff-aspect"),
    pytest.param(saved("TIFF"), None, id="tiff-none"),
    pytest.param(saved("BMP", dpi=(300, 150)), (300.0, 150.0), id="bmp"),
    pytest.param(saved("GIF"), None, id="gif"),
    pytest.param(saved("WEBP", lossless=True), None, id="webp"),
])
def test_a_resolution_is_read_only_where_the_file_states_it_in_real_units(data, dpi):
    # Pillow reported 72 dpi for a JPEG whose EXIF has an orientation and no resolution,
    # (300, 300) for an EXIF's (300, 150), a unit of "none" as inches, and 1 dpi for a
    # TIFF without resolution tags; each would have been written into the outputs.
    got = stated(data)
    assert got == dpi if got is None else got == pytest.approx(dpi, abs=1e-9)
    assert got is None or all(type(value) is float for value in got)


def test_load_image_gives_the_resolution_of_the_upright_picture(tmp_path):
    # x is across the picture as shown: a page stored on its side (EXIF orientation 6)
    # has its x and y swapped, in a JPEG, a PNG's eXIf chunk and a TIFF, whose page
    # Pillow turns itself (and then forgets its orientation).
    files = {"turned.jpg": saved("JPEG", dpi=(300, 150), exif=exif(orientation=6)),
             "turned.png": saved("PNG", dpi=(300, 150), exif=exif(orientation=6)),
             "turned.tif": saved("TIFF", dpi=(300, 150), exif=exif(orientation=6)),
             "mirrored.png": saved("PNG", dpi=(300, 150), exif=exif(orientation=2))}
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    loaded = {name: load_image(tmp_path / name) for name in files}
    assert {name: (image.shape, image.dpi) for name, image in loaded.items()} == {
        "turned.jpg": ((6, 4), (150.0, 300.0)), "turned.png": ((6, 4), (150.0, 300.0)),
        "turned.tif": ((6, 4), (150.0, 300.0)), "mirrored.png": ((4, 6), (300.0, 150.0))}


def test_a_jpeg_preview_has_the_resolution_of_its_fewer_pixels(tmp_path):
    path = tmp_path / "scan.jpg"
    Image.new("RGB", (800, 600)).save(path, dpi=(300, 150))
    preview = load_image(path, shrink_to=250)  # decoded at 1/2: 400 x 300, both >= 250
    assert (preview.shape, preview.dpi) == ((300, 400), (150.0, 75.0))
    assert load_image(path).dpi == (300.0, 150.0)


@pytest.mark.parametrize(("dpi", "fmt", "held"), [
    ((300, 150), "PNG", (300.0, 150.0)),
    ((300, 150), "JPEG", (300.0, 150.0)),
    ((300, 150), "TIFF", (300.0, 150.0)),
    ((300, 150), "GIF", None),
    ((300, 150), "WEBP", None),
    (None, "PNG", None),
    ((70_000, 300), "JPEG", None),  # JFIF's 16 bits: Pillow wrote 70000 as 4464
    ((0.3, 300), "JPEG", None),  # rounded to 0, which reads as no resolution
    ((0.01, 300), "PNG", None),  # rounded to 0 pixels per metre
    ((1e12, 300), "TIFF", None),  # libtiff wrote NaN
    ((70_000, 300), "PNG", (70_000.0, 300.0)),
])
def test_an_output_holds_a_resolution_its_field_can_hold(dpi, fmt, held):
    assert held_dpi(dpi, fmt) == held


def test_a_quarter_turn_swaps_x_and_y_and_others_keep_them():
    assert [upright_dpi((300.0, 150.0), o) for o in range(1, 9)] == (
        [(300.0, 150.0)] * 4 + [(150.0, 300.0)] * 4)
    assert upright_dpi(None, 6) is None


@pytest.mark.parametrize(("value", "error", "message"), [
    (300, TypeError, "LoadedImage.dpi=300 should be (x, y), two finite numbers > 0 (dots per "
                     "inch)"),
    ("300", TypeError, "LoadedImage.dpi='300' should be (x, y), two finite numbers > 0 (dots "
                       "per inch)"),
    ((300, 0), ValueError, "LoadedImage.dpi=(300, 0) should be (x, y), two finite numbers > 0 "
                           "(dots per inch)"),
    ((300, float("nan")), ValueError, "LoadedImage.dpi=(300, nan) should be (x, y), two "
                                      "finite numbers > 0 (dots per inch)"),
    ((300,), ValueError, "LoadedImage.dpi=(300,) should be (x, y), two finite numbers > 0 "
                         "(dots per inch)"),
    ((300, "150"), TypeError, "LoadedImage.dpi=(300, '150') should be (x, y), two finite "
                              "numbers > 0 (dots per inch), got a str ('150')"),
])
def test_a_loaded_image_built_by_hand_has_its_resolution_checked(value, error, message):
    with pytest.raises(error) as info:
        LoadedImage(PIXELS, None, dpi=value)
    assert str(info.value) == message


def test_a_loaded_image_built_by_hand_keeps_its_resolution_as_load_image_gives_it():
    assert LoadedImage(PIXELS, None).dpi is None
    loaded = LoadedImage(PIXELS, None, dpi=np.array([300, 150]))
    assert [(v, type(v)) for v in loaded.dpi] == [(300.0, float), (150.0, float)]
    assert type(loaded.dpi) is tuple


IMAGE_DESCRIPTION = 0x010E


def tiff_with(tags: dict[int, object], mode: str = "I;16") -> bytes:
    """A 4 x 2 TIFF of ``mode`` with the resolution ``tags`` (XResolution, ResolutionUnit,
    ImageDescription...) as given, none of Pillow's own."""
    buffer = io.BytesIO()
    info = Image.Image().getexif()  # an empty tag directory Pillow writes as given
    for tag, value in tags.items():
        info[tag] = value
    Image.new(mode, (4, 2)).save(buffer, "TIFF", tiffinfo=info)
    return buffer.getvalue()


@pytest.mark.parametrize(("tags", "dpi", "pixel_size"), [
    # 1e4 / 0.65 pixels per centimetre: 0.65 um
    pytest.param({X_RESOLUTION: 200000 / 13, Y_RESOLUTION: 200000 / 13, RESOLUTION_UNIT: 3},
                 (200000 / 13 * 2.54,) * 2, (0.65, 0.65), id="centimetres"),
    pytest.param({X_RESOLUTION: 25400.0, Y_RESOLUTION: 12700.0, RESOLUTION_UNIT: 2},
                 (25400.0, 12700.0), (1.0, 2.0), id="inches"),
    # what screen software writes of every image: no scale
    pytest.param({X_RESOLUTION: 72.0, Y_RESOLUTION: 72.0, RESOLUTION_UNIT: 2},
                 (72.0, 72.0), None, id="72-dpi"),
    pytest.param({X_RESOLUTION: 96.0, Y_RESOLUTION: 96.0, RESOLUTION_UNIT: 2},
                 (96.0, 96.0), None, id="96-dpi"),
    # inches by the specification's default, but not stated
    pytest.param({X_RESOLUTION: 300.0, Y_RESOLUTION: 300.0}, (300.0, 300.0), None,
                 id="no-unit-tag"),
    pytest.param({}, None, None, id="no-tags"),
    # ImageJ: pixels per micrometre, its ResolutionUnit "none"
    pytest.param({IMAGE_DESCRIPTION: "ImageJ=1.54f\nunit=micron\n", X_RESOLUTION: 2.0,
                  Y_RESOLUTION: 2.0, RESOLUTION_UNIT: 1},
                 (50800.0, 50800.0), (0.5, 0.5), id="imagej-micron"),
    pytest.param({IMAGE_DESCRIPTION: "ImageJ=1.11a\nimages=1\nunit=um", X_RESOLUTION: 0.5,
                  Y_RESOLUTION: 0.25}, (12700.0, 6350.0), (2.0, 4.0), id="imagej-um"),
    pytest.param({IMAGE_DESCRIPTION: "ImageJ=1.54f\nunit=\\u00B5m\n", X_RESOLUTION: 4.0,
                  Y_RESOLUTION: 4.0, RESOLUTION_UNIT: 1},
                 (101600.0, 101600.0), (0.25, 0.25), id="imagej-escaped-micro-sign"),
    pytest.param({IMAGE_DESCRIPTION: "ImageJ=1.54f\nunit=mm\n", X_RESOLUTION: 10.0,
                  Y_RESOLUTION: 10.0, RESOLUTION_UNIT: 1},
                 (254.0, 254.0), (100.0, 100.0), id="imagej-mm"),
    pytest.param({IMAGE_DESCRIPTION: "ImageJ=1.54f\nunit=pixel\n", X_RESOLUTION: 1.0,
                  Y_RESOLUTION: 1.0, RESOLUTION_UNIT: 1}, None, None, id="imagej-pixel"),
    pytest.param({IMAGE_DESCRIPTION: "unit=um\n", X_RESOLUTION: 2.0, Y_RESOLUTION: 2.0,
                  RESOLUTION_UNIT: 1}, None, None, id="not-imagej"),
])
def test_a_tiff_states_its_pixels_size_only_with_an_explicit_unit(tags, dpi, pixel_size,
                                                                   tmp_path):
    """An ImageJ TIFF's scale (unit=um in its description, pixels per um in its tags) was
    lost: no dpi, and its PNGs "Units: Undefined"; no file gave a pixel size."""
    path = tmp_path / "cells.tif"
    path.write_bytes(tiff_with(tags))
    loaded = load_image(path, stretch=True)
    assert loaded.dpi == pytest.approx(dpi) if dpi else loaded.dpi is None
    if pixel_size is None:
        assert loaded.pixel_size is None
    else:
        assert loaded.pixel_size == pytest.approx(pixel_size, rel=1e-12)


def test_only_a_tiff_states_its_pixels_size(tmp_path):
    """A photo's 300 dpi is a print size, not the scene's: no pixel size."""
    for fmt in ("PNG", "JPEG", "BMP"):
        path = tmp_path / f"photo.{fmt.lower()}"
        Image.fromarray(PIXELS).save(path, fmt, dpi=(25400, 25400))
        loaded = load_image(path)
        assert loaded.dpi == pytest.approx((25400, 25400), rel=1e-3)
        assert loaded.pixel_size is None


def test_a_pixel_size_turns_with_the_picture(tmp_path):
    path = tmp_path / "turned.tif"
    info = Image.Image().getexif()
    info.update({X_RESOLUTION: 25400.0, Y_RESOLUTION: 12700.0, RESOLUTION_UNIT: 2,
                 ORIENTATION: 6})
    Image.fromarray(PIXELS).save(path, "TIFF", tiffinfo=info)
    loaded = load_image(path)
    assert loaded.shape == (6, 4)
    assert loaded.pixel_size == pytest.approx((2.0, 1.0))


@pytest.mark.parametrize(("value", "error"), [((0.5, 0), ValueError), ("0.5", TypeError),
                                              ((0.5, float("nan")), ValueError)])
def test_a_loaded_image_built_by_hand_has_its_pixel_size_checked(value, error):
    with pytest.raises(error, match=r"^LoadedImage\.pixel_size=.* should be \(x, y\), two "
                       r"finite numbers > 0 \(micrometres\)"):
        LoadedImage(np.zeros((1, 1, 3), np.uint8), None, pixel_size=value)
