"""A fixed range to stretch (``stretch_range``, ``--stretch-range``), the stretch of
``reduce``, and what ``reduce`` says of a file whose 8-bit reading merged its values."""

from __future__ import annotations

import numpy as np
import pytest
import tifffile
from PIL import Image

from quantize.io import PixelRangeWarning, load_image
from quantize.io.stretch import check_stretch_range, clipped_share, range_record

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
