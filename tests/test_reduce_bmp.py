"""``.bmp`` outputs: an indexed BMP of 8 bits a pixel, every entry at its index, no alpha.

Read back by Pillow: the indices and the colour table are those of the .png written of the
same image (a given palette's too, its unused entries at their indices); alpha is drawn on
black, as a .jpg draws it, with the same warning; an animation is refused, as in a .jpg.
"""

from __future__ import annotations

import struct
import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from quantize.errors import AlphaLossWarning
from quantize.io import load_image
from quantize.reduce import reduce_file

from .reduce_support import translucent_blocks

#: A 7-colour e-paper palette: black, white, green, blue, red, yellow, orange.
EPD7 = ["000000", "ffffff", "00ff00", "0000ff", "ff0000", "ffff00", "ff8000"]


def _header(path: Path) -> tuple[int, int]:
    """The bits a pixel and the "colours used" of a BMP's BITMAPINFOHEADER."""
    data = path.read_bytes()
    (bits,) = struct.unpack_from("<H", data, 28)
    (used,) = struct.unpack_from("<I", data, 46)
    return bits, used


def _indexed(path: Path) -> tuple[list, list]:
    """The indices and the colour table (as many entries as the file holds) of an indexed
    image, as Pillow reads them."""
    with Image.open(path) as im:
        assert im.mode == "P"
        table = np.reshape(im.getpalette(), (-1, 3))
        return np.asarray(im).tolist(), table.tolist()


@pytest.mark.parametrize("k", [2, 6, 256])
def test_a_fitted_palette_is_written_as_the_png_numbers_it(photo, tmp_path, k):
    """8 bits a pixel whatever k (two colours too: Pillow's 1-bit BMP has a table of black
    and white), "colours used" the palette's entries, indices and table as in the .png."""
    record = reduce_file(photo, tmp_path / "out.bmp", n_colors=k, seed=0)
    reduce_file(photo, tmp_path / "out.png", n_colors=k, seed=0)
    assert _header(tmp_path / "out.bmp") == (8, record["k"])
    assert _indexed(tmp_path / "out.bmp") == _indexed(tmp_path / "out.png")
    _, table = _indexed(tmp_path / "out.bmp")
    assert [f"#{r:02x}{g:02x}{b:02x}" for r, g, b in table] == [
        entry["hex"] for entry in record["palette"]]


def test_two_colours_keep_their_colours(tmp_path):
    src = tmp_path / "flag.png"
    pixels = np.zeros((2, 4, 3), np.uint8)
    pixels[:, :2] = [200, 30, 30]
    pixels[:, 2:] = [20, 40, 160]
    Image.fromarray(pixels).save(src)
    reduce_file(src, tmp_path / "flag.bmp", n_colors=2)
    assert _header(tmp_path / "flag.bmp") == (8, 2)
    indices, table = _indexed(tmp_path / "flag.bmp")
    assert sorted(table) == [[20, 40, 160], [200, 30, 30]]
    assert [[table[i] for i in row] for row in indices] == pixels.tolist()


def test_a_given_palette_keeps_every_entry_at_its_index_unused_ones_too(tmp_path):
    """The e-paper's seven entries, in the file's order, though the image draws three."""
    (tmp_path / "epd7.hex").write_text("\n".join(EPD7) + "\n")
    pixels = np.array([[[250, 10, 10], [10, 10, 240]], [[255, 250, 5], [250, 10, 10]]],
                      np.uint8)
    Image.fromarray(pixels).save(tmp_path / "in.png")
    reduce_file(tmp_path / "in.png", tmp_path / "out.bmp", palette_in=tmp_path / "epd7.hex")
    reduce_file(tmp_path / "in.png", tmp_path / "out.png", palette_in=tmp_path / "epd7.hex")
    assert _header(tmp_path / "out.bmp") == (8, 7)
    indices, table = _indexed(tmp_path / "out.bmp")
    assert (indices, table) == ([[4, 3], [5, 4]],
                                [[int(h[i:i + 2], 16) for i in (0, 2, 4)] for h in EPD7])
    assert (indices, table) == _indexed(tmp_path / "out.png")


def test_a_palette_out_given_back_gives_the_same_bmp(photo, tmp_path):
    reduce_file(photo, tmp_path / "a.bmp", n_colors=5, seed=0, palette_out=tmp_path / "p.hex")
    reduce_file(photo, tmp_path / "b.bmp", palette_in=tmp_path / "p.hex")
    assert (tmp_path / "b.bmp").read_bytes() == (tmp_path / "a.bmp").read_bytes()


def test_alpha_is_drawn_on_black_as_a_jpg_draws_it_with_its_warning(tmp_path):
    """Each 8 x 8 block of one colour and alpha: its entry premultiplied, exactly (the
    .jpg's test of the same blocks allows for JPEG's own coding)."""
    src = tmp_path / "a.png"
    translucent_blocks(src)
    with pytest.warns(AlphaLossWarning) as said:
        reduce_file(src, tmp_path / "a.bmp", n_colors=3, seed=0)
    assert [str(w.message) for w in said] == [
        "a.bmp: BMP has no alpha, so transparent and translucent pixels are drawn on black "
        "(the metrics are measured before that); write .png, .webp or .tif to keep alpha"]
    with Image.open(tmp_path / "a.bmp") as im:
        assert im.mode == "P" and "transparency" not in im.info
        shown = np.asarray(im.convert("RGB"))[4, [4, 12, 20, 28]].tolist()
    assert shown == [[240, 0, 0], [0, 94, 0], [0, 0, 188], [0, 0, 0]]
    assert _header(tmp_path / "a.bmp") == (8, 4)  # the transparent entry first, as a PNG's


def test_a_given_palette_s_transparent_entry_keeps_its_index_and_colour(tmp_path):
    """As in a .png of the same sprite: red 0, green 1, the transparent entry 2, blue 3;
    that entry in the file's colour, grey (it was drawn black: a sprite sheet's key colour
    lost), as the .png and .gif keep it."""
    rgba = np.zeros((2, 3, 4), np.uint8)
    rgba[0] = [[0, 0, 250, 255], [250, 0, 0, 255], [0, 0, 0, 0]]
    rgba[1] = [[0, 0, 0, 0], [0, 250, 0, 255], [250, 0, 0, 255]]
    Image.fromarray(rgba).save(tmp_path / "sprite.png")
    (tmp_path / "p.hex").write_text("ff0000ff\n00ff00ff\n80808000\n0000ffff\n")
    with pytest.warns(AlphaLossWarning, match=r"^out\.bmp: BMP has no alpha"):
        reduce_file(tmp_path / "sprite.png", tmp_path / "out.bmp", palette_in=tmp_path / "p.hex")
    reduce_file(tmp_path / "sprite.png", tmp_path / "out.png", palette_in=tmp_path / "p.hex")
    indices, table = _indexed(tmp_path / "out.bmp")
    assert (indices, table) == ([[3, 0, 2], [2, 1, 0]],
                                [[255, 0, 0], [0, 255, 0], [128, 128, 128], [0, 0, 255]])
    assert indices == _indexed(tmp_path / "out.png")[0]


def test_an_opaque_image_is_written_without_a_warning(photo, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error", AlphaLossWarning)
        reduce_file(photo, tmp_path / "out.bmp", n_colors=4, seed=0)


def test_an_animation_is_refused_as_for_a_jpg(tmp_path):
    frames = [Image.new("RGB", (4, 4), colour) for colour in ("red", "blue")]
    frames[0].save(tmp_path / "anim.gif", save_all=True, append_images=frames[1:],
                   duration=80, loop=0)
    for suffix in (".bmp", ".jpg"):
        out = tmp_path / f"out{suffix}"
        with pytest.raises(ValueError) as refused:
            reduce_file(tmp_path / "anim.gif", out, n_colors=2)
        assert str(refused.value) == (
            f"output={str(out)!r} has an unsupported extension {suffix!r} for an animation; "
            "expected one of .gif, .png, .apng, .webp, .tif, .tiff")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["anim.gif"]


def test_the_input_s_resolution_is_kept_and_none_is_added(photo, tmp_path):
    """Pillow writes 96 dpi into a BMP by default: an input stating none states none."""
    with Image.open(photo) as im:
        im.save(tmp_path / "scan.png", dpi=(300, 150))
    reduce_file(tmp_path / "scan.png", tmp_path / "scan.bmp", n_colors=4)
    reduce_file(photo, tmp_path / "plain.bmp", n_colors=4)
    assert load_image(tmp_path / "scan.bmp").dpi == (300.0, 150.0)
    assert load_image(tmp_path / "plain.bmp").dpi is None
    with Image.open(tmp_path / "plain.bmp") as im:
        assert "dpi" not in im.info


def test_a_bmp_input_is_still_read(photo, tmp_path):
    with Image.open(photo) as im:
        im.save(tmp_path / "in.bmp")
    reduce_file(tmp_path / "in.bmp", tmp_path / "a.png", n_colors=4, seed=0)
    reduce_file(photo, tmp_path / "b.png", n_colors=4, seed=0)
    assert _indexed(tmp_path / "a.png") == _indexed(tmp_path / "b.png")
