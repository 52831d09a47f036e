"""A GeoTIFF input's georeferencing (GeoTIFF and GDAL tags): kept byte for byte by a .tif
output of the same pixels, and said to be left out of the others."""

from __future__ import annotations

import struct

import numpy as np
import pytest
from typer.testing import CliRunner

from quantize.cli import app
from quantize.errors import GeoTagsLeftOutWarning
from quantize.io import GEOTIFF_TAGS, load_image
from quantize.reduce import reduce_file
from quantize.segment_file import segment_file

runner = CliRunner()

#: Each tag GDAL writes to place a scene: (tag, tifffile's dtype, count, value).
_GEO = [(33550, "d", 3, (30.0, 30.0, 0.0)),  # ModelPixelScale
        (33922, "d", 6, (0.0, 0.0, 0.0, 500000.0, 4000000.0, 0.0)),  # ModelTiepoint
        (34264, "d", 16, tuple(float(i) for i in range(16))),  # ModelTransformation
        (34735, "H", 16, (1, 1, 0, 3, 1024, 0, 1, 1, 1025, 0, 1, 1, 3072, 0, 1, 32633)),
        (34736, "d", 2, (6378137.0, 298.257223563)),  # GeoDoubleParams
        (34737, "s", 0, "WGS 84 / UTM zone 33N|"),  # GeoAsciiParams
        (42112, "s", 0, '<GDALMetadata>\n<Item name="SCALE">1</Item>\n</GDALMetadata>\n'),
        (42113, "s", 0, "0")]  # GDAL_NODATA

#: Bytes a value of each TIFF type takes.
_TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8}


def _geotiff(folder, name: str = "scene.tif"):
    """A 6 x 8 RGB GeoTIFF written by tifffile, carrying every tag of :data:`_GEO`."""
    tifffile = pytest.importorskip("tifffile")
    pixels = np.random.default_rng(0).integers(1, 250, (6, 8, 3), dtype=np.uint8)
    tifffile.imwrite(folder / name, pixels, photometric="rgb",
                     extratags=[(*tag, True) for tag in _GEO])
    return folder / name


def _first_page_tags(path) -> dict[int, tuple[int, int, bytes]]:
    """Each tag of the first page of the TIFF ``path``: its type, count and value's bytes."""
    data = path.read_bytes()
    order = "<" if data[:2] == b"II" else ">"
    at = struct.unpack(order + "L", data[4:8])[0]
    tags = {}
    for i in range(struct.unpack(order + "H", data[at:at + 2])[0]):
        entry = data[at + 2 + 12 * i:at + 14 + 12 * i]
        tag, kind, count = struct.unpack(order + "HHL", entry[:8])
        size = _TYPE_SIZES[kind] * count
        start = 8 if size <= 4 else struct.unpack(order + "L", entry[8:])[0]
        tags[tag] = (kind, count, (entry if size <= 4 else data)[start:start + size])
    return tags


def test_the_geotiff_tags_are_the_ones_written():
    assert {tag for tag, *_ in _GEO} == GEOTIFF_TAGS


@pytest.mark.parametrize("options", [{"n_colors": 4}, {"n_colors": 300}],
                         ids=["palette", "rgb"])
def test_a_tif_output_keeps_the_inputs_georeferencing_byte_for_byte(tmp_path, options):
    """They were dropped without a word, though --strip's help said a TIFF's tags are kept:
    a reduced scene no longer lay on the map."""
    src = _geotiff(tmp_path)
    with pytest.warns(UserWarning):  # the GDAL_NODATA tag read: said as before
        reduce_file(src, tmp_path / "out.tif", **options)
    given, written = _first_page_tags(src), _first_page_tags(tmp_path / "out.tif")
    assert {tag: written.get(tag) for tag in GEOTIFF_TAGS} == {
        tag: given[tag] for tag in GEOTIFF_TAGS}


def test_strip_leaves_the_georeferencing_out_of_a_tif(tmp_path):
    src = _geotiff(tmp_path)
    with pytest.warns(UserWarning) as said:
        reduce_file(src, tmp_path / "out.tif", n_colors=4, strip=True)
    assert not GEOTIFF_TAGS & set(_first_page_tags(tmp_path / "out.tif"))
    assert not [w for w in said if w.category is GeoTagsLeftOutWarning]


@pytest.mark.parametrize("suffix", [".png", ".jpg", ".gif"])
def test_an_output_that_holds_no_georeferencing_says_it_is_left_out(tmp_path, suffix):
    src = _geotiff(tmp_path)
    out = tmp_path / f"out{suffix}"
    with pytest.warns(UserWarning) as said:
        reduce_file(src, out, n_colors=4)
    assert [str(w.message) for w in said if w.category is GeoTagsLeftOutWarning] == [
        f"out{suffix}: the input's georeferencing (GeoTIFF and GDAL tags) is left out, as a "
        f"{suffix} holds none; a .tif output keeps it"]


def test_segment_says_its_png_outputs_leave_the_georeferencing_out(tmp_path):
    src = _geotiff(tmp_path)
    with pytest.warns(UserWarning) as said:
        segment_file(src, tmp_path / "seg", n_clusters=2)
    assert [str(w.message) for w in said if w.category is GeoTagsLeftOutWarning] == [
        "seg: the input's georeferencing (GeoTIFF and GDAL tags) is left out of its outputs, "
        "PNGs, which hold none"]
    with pytest.warns(UserWarning) as said:
        segment_file(src, tmp_path / "stripped", n_clusters=2, strip=True)
    assert not [w for w in said if w.category is GeoTagsLeftOutWarning]


def test_the_note_is_a_line_of_the_command_that_quiet_leaves_out(tmp_path):
    src = _geotiff(tmp_path)
    shown = runner.invoke(app, ["reduce", str(src), "-k", "4", "-o", str(tmp_path / "o.png")])
    assert shown.exit_code == 0, shown.output
    assert (f"quantize: note: {src}: o.png: the input's georeferencing (GeoTIFF and GDAL "
            "tags) is left out, as a .png holds none; a .tif output keeps it") in shown.stderr
    quiet = runner.invoke(app, ["segment", str(src), "-k", "2", "-q", "-o",
                                str(tmp_path / "seg")])
    assert quiet.exit_code == 0, quiet.output
    assert "georeferencing" not in quiet.stderr


def test_a_tiff_without_such_tags_gives_none(tmp_path):
    tifffile = pytest.importorskip("tifffile")
    tifffile.imwrite(tmp_path / "plain.tif", np.zeros((2, 3, 3), np.uint8), photometric="rgb")
    assert load_image(tmp_path / "plain.tif").geo_tags is None
    assert load_image(_geotiff(tmp_path)).geo_tags is not None
