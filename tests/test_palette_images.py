"""Palettes read from images: ``read_palette`` of a .png, .gif or .bmp, and
``--palette-in`` given one by ``quantize reduce`` and ``quantize batch``."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from quantize.cli import app
from quantize.errors import ImageReadError, InputParameterError
from quantize.palette_files import check_palette_path, read_palette
from quantize.reduce import reduce_colors, reduce_file

#: The four greens of the Game Boy, as Lospec's 1x PNG download holds them.
GAME_BOY = [[15, 56, 15], [48, 98, 48], [139, 172, 15], [155, 188, 15]]


def _rgb_png(path, colours):
    """A 1 x N RGB PNG of ``colours``, one pixel each."""
    Image.fromarray(np.array([colours], np.uint8), "RGB").save(path)
    return path


def _photo(seed=0):
    """A 16 x 16 image of noise: colours near and far from any palette."""
    return np.random.default_rng(seed).integers(0, 256, (16, 16, 3), dtype=np.uint8)


def _palette_of(path):
    with Image.open(path) as im:
        assert im.mode == "P"
        used = sorted({int(i) for i in np.asarray(im).ravel()})
        return np.array(im.getpalette(), np.uint8).reshape(-1, 3)[used].tolist()


def _cli(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def test_an_rgb_palette_image_gives_its_colours_in_order(tmp_path):
    path = _rgb_png(tmp_path / "gb.png", GAME_BOY)
    assert read_palette(path).tolist() == GAME_BOY


def test_an_rgb_palette_image_gives_its_colours_as_they_first_appear(tmp_path):
    """An 8 x N swatch image: each colour once, in raster order."""
    swatches = np.kron(np.array([GAME_BOY[2:], GAME_BOY[:2]], np.uint8), np.ones((4, 4, 1),
                                                                              np.uint8))
    Image.fromarray(swatches).save(tmp_path / "swatches.png")
    assert read_palette(tmp_path / "swatches.png").tolist() == GAME_BOY[2:] + GAME_BOY[:2]


def test_an_image_mapped_onto_a_palette_image_takes_its_nearest_colours(tmp_path):
    pal = _rgb_png(tmp_path / "gb.png", GAME_BOY)
    image = np.array([[[10, 50, 10], [150, 190, 20]], [[50, 100, 50], [140, 170, 10]]],
                     np.uint8)
    Image.fromarray(image).save(tmp_path / "in.png")
    reduce_file(tmp_path / "in.png", tmp_path / "out.png", palette_in=pal)
    with Image.open(tmp_path / "out.png") as im:
        shown = np.asarray(im.convert("RGB")).tolist()
    assert shown == [[GAME_BOY[0], GAME_BOY[3]], [GAME_BOY[1], GAME_BOY[2]]]


def test_an_indexed_png_gives_every_entry_at_its_index_with_its_transparency(tmp_path):
    """Entries 0 (transparent, tRNS), 1 and 3 are drawn; entries 2 and 4, which no pixel
    takes, keep their index too (they were left out, 3 read as 2), the black padding after
    entry 4 does not."""
    im = Image.new("P", (4, 1))
    im.putpalette([1, 2, 3, 200, 0, 0, 7, 7, 7, 0, 0, 200, 9, 9, 9] + [0] * 3 * 251)
    im.putdata([3, 1, 0, 3])
    im.save(tmp_path / "idx.png", transparency=0)
    assert read_palette(tmp_path / "idx.png").tolist() == [[1, 2, 3, 0], [200, 0, 0, 255],
                                                           [7, 7, 7, 255], [0, 0, 200, 255],
                                                           [9, 9, 9, 255]]


def test_an_indexed_png_with_alpha_per_entry_keeps_it(tmp_path):
    im = Image.new("P", (3, 1))
    im.putpalette([200, 0, 0, 0, 200, 0, 0, 0, 200])
    im.putdata([2, 0, 1])
    im.save(tmp_path / "idx.png", transparency=bytes([255, 128, 255]))
    assert read_palette(tmp_path / "idx.png").tolist() == [[200, 0, 0, 255], [0, 200, 0, 128],
                                                           [0, 0, 200, 255]]


def test_an_rgba_image_gives_one_transparent_entry_and_keeps_translucent_ones(tmp_path):
    pixels = np.array([[[10, 20, 30, 255], [5, 5, 5, 0], [40, 50, 60, 128], [10, 20, 30, 255],
                        [7, 7, 7, 0]]], np.uint8)
    Image.fromarray(pixels, "RGBA").save(tmp_path / "rgba.png")
    assert read_palette(tmp_path / "rgba.png").tolist() == [[10, 20, 30, 255], [5, 5, 5, 0],
                                                            [40, 50, 60, 128]]


def test_an_opaque_rgba_image_reads_as_rgb(tmp_path):
    pixels = np.array([[[10, 20, 30, 255], [40, 50, 60, 255]]], np.uint8)
    Image.fromarray(pixels, "RGBA").save(tmp_path / "rgba.png")
    assert read_palette(tmp_path / "rgba.png").tolist() == [[10, 20, 30], [40, 50, 60]]


def test_a_gif_gives_the_colours_it_draws_in_index_order(tmp_path):
    """A GIF's colour table is padded to a power of two: the unused entry is left out."""
    im = Image.new("P", (2, 2))
    im.putpalette([0, 0, 0, 255, 255, 255, 255, 0, 0])
    im.putdata([2, 1, 1, 2])
    im.save(tmp_path / "p.gif")
    assert read_palette(tmp_path / "p.gif").tolist() == [[255, 255, 255], [255, 0, 0]]


def test_a_bmp_is_read_as_a_palette_image(tmp_path):
    Image.fromarray(np.array([GAME_BOY[::-1]], np.uint8)).save(tmp_path / "gb.bmp")
    assert read_palette(tmp_path / "gb.bmp").tolist() == GAME_BOY[::-1]


def _many_colours(path):
    """A 43 x 28 image of 1204 colours, each once."""
    colours = [[i % 256, i // 256, 7] for i in range(1204)]
    Image.fromarray(np.array(colours, np.uint8).reshape(28, 43, 3)).save(path)
    return path


def test_an_image_of_more_than_256_colours_is_refused(tmp_path):
    _many_colours(tmp_path / "p.png")
    with pytest.raises(InputParameterError) as info:
        read_palette(tmp_path / "p.png")
    assert str(info.value) == (f"{tmp_path / 'p.png'}: has 1,204 colours; a palette image may "
                               "have at most 256")


def test_256_colours_are_taken(tmp_path):
    colours = [[i, 255 - i, 7] for i in range(256)]
    Image.fromarray(np.array([colours], np.uint8)).save(tmp_path / "p.png")
    assert read_palette(tmp_path / "p.png").tolist() == colours


#: Black, red, green, blue and an entry no frame draws (grey); a GIF's table takes 8.
_TABLE = [0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255, 9, 9, 9]


def _gif_animation(path, frames, palettes=None, **params):
    """A GIF of ``frames`` (arrays of indices), each with its palette (``palettes``, else
    ``_TABLE``), written with the global colour table whole (Pillow's optimize trims it to
    the first frame's colours)."""
    images = []
    for i, indices in enumerate(frames):
        image = Image.fromarray(np.array(indices, np.uint8), "P")
        image.putpalette(_TABLE if palettes is None else palettes[i])
        images.append(image)
    images[0].save(path, save_all=True, append_images=images[1:], duration=50,
                   optimize=False, **params)
    return path


def test_a_gif_animation_gives_the_colours_its_frames_draw_in_its_tables_order(tmp_path):
    """GIF makers reuse one GIF's global colour table: the animation was refused ('has 3
    frames; a palette image should be a still image'). Its frames draw green, black and red,
    in that order, and no frame draws blue or grey: the colours drawn, in index order."""
    frames = [np.full((2, 2), fill) for fill in (2, 0, 1)]
    path = _gif_animation(tmp_path / "a.gif", frames)
    assert read_palette(path).tolist() == [[0, 0, 0], [255, 0, 0], [0, 255, 0]]


def test_a_gif_animations_transparent_entry_is_its_first_frames(tmp_path):
    """As a still GIF's: entry 0, transparent in every frame, first; frames 2 and 3,
    cleared by their disposal, draw blue and green."""
    frames = [[[0, 1], [2, 3]], np.full((2, 2), 3), np.full((2, 2), 2)]
    path = _gif_animation(tmp_path / "t.gif", frames, transparency=0, disposal=2)
    assert read_palette(path).tolist() == [[0, 0, 0, 0], [255, 0, 0, 255], [0, 255, 0, 255],
                                           [0, 0, 255, 255]]


def test_a_gif_animation_whose_frame_draws_a_colour_of_its_own_table_is_refused(tmp_path):
    frames = [np.full((2, 2), 1), np.full((2, 2), 1), np.full((2, 2), 0)]
    path = _gif_animation(tmp_path / "own.gif", frames,
                          [_TABLE, [0, 0, 0, 7, 7, 200], _TABLE])
    with pytest.raises(InputParameterError) as info:
        read_palette(path)
    assert str(info.value) == (
        f"{path}: a GIF animation of 3 frames, and frame 2 shows #0707c8, a colour its global "
        "colour table does not hold (from a table of the frame's own); a GIF animation gives "
        "the palette of its global table alone")


def test_another_animation_is_refused(tmp_path):
    frames = [np.full((2, 2), fill) for fill in (2, 0, 1)]
    path = _gif_animation(tmp_path / "a.png", frames)  # an APNG
    with pytest.raises(InputParameterError) as info:
        read_palette(path)
    assert str(info.value) == (f"{path}: has 3 frames; a palette image should be a still "
                               "image of the palette's colours, or a GIF animation")


def test_a_palette_file_named_as_an_image_is_told_to_be_named_by_its_format(tmp_path):
    (tmp_path / "p.png").write_text("GIMP Palette\n15 56 15\n")
    with pytest.raises(ImageReadError) as info:
        read_palette(tmp_path / "p.png")
    assert str(info.value) == (f"{tmp_path / 'p.png'}: not an image Pillow can identify; it "
                               "holds text, as a palette file does: name it by its format "
                               "(.gpl, .json, .hex, .act, .pal, .txt, .css or .ase)")


def test_a_corrupt_palette_image_is_named_in_one_line(tmp_path):
    """Cut in its image data: named as any input is, with no hint that it is text."""
    _rgb_png(tmp_path / "gb.png", GAME_BOY)
    (tmp_path / "cut.png").write_bytes((tmp_path / "gb.png").read_bytes()[:45])
    with pytest.raises(ImageReadError) as info:
        read_palette(tmp_path / "cut.png")
    assert str(info.value) == (f"{tmp_path / 'cut.png'}: cannot decode image (image file is "
                               "truncated)")


def test_palette_out_is_not_written_as_an_image():
    assert check_palette_path("p.gif", "palette_in", images=True).name == "p.gif"
    with pytest.raises(ValueError, match=r"^palette_out='p\.png' names an image, and palettes "
                       r"are read from images but not written as them; expected one of "
                       r"\.gpl, \.json, \.hex, \.act, \.pal, \.txt, \.css, \.ase$"):
        check_palette_path("p.png", "palette_out")
    with pytest.raises(ValueError, match=r"expected one of .*\.ase, or an image \.png, \.gif, "
                       r"\.bmp$"):
        read_palette("p.jpg")


def test_cli_reduce_maps_onto_a_palette_image(tmp_path):
    pal = _rgb_png(tmp_path / "pico.png", GAME_BOY)
    Image.fromarray(_photo()).save(tmp_path / "in.png")
    result = _cli("reduce", tmp_path / "in.png", "-o", tmp_path / "out.png", "--palette-in", pal)
    assert result.exit_code == 0, result.output
    assert set(map(tuple, _palette_of(tmp_path / "out.png"))) <= set(map(tuple, GAME_BOY))


def test_cli_reduce_refuses_a_palette_image_of_too_many_colours_in_one_line(tmp_path):
    Image.fromarray(_photo()).save(tmp_path / "in.png")
    _many_colours(tmp_path / "many.png")
    result = _cli("reduce", tmp_path / "in.png", "-o", tmp_path / "out.png",
                  "--palette-in", tmp_path / "many.png")
    assert result.exit_code == 2
    assert result.stderr == (f"quantize: error: {tmp_path / 'many.png'}: has 1,204 colours; "
                             "a palette image may have at most 256\n")
    assert not (tmp_path / "out.png").exists()


def test_cli_reduce_maps_onto_a_gif_animations_global_table(tmp_path):
    frames = [np.full((2, 2), fill) for fill in (2, 0, 1)]
    pal = _gif_animation(tmp_path / "anim.gif", frames)
    Image.fromarray(_photo()).save(tmp_path / "in.png")
    result = _cli("reduce", tmp_path / "in.png", "-o", tmp_path / "out.png", "--palette-in", pal)
    assert result.exit_code == 0, result.output
    assert _palette_of(tmp_path / "out.png") == [[0, 0, 0], [255, 0, 0], [0, 255, 0]]
    apng = _gif_animation(tmp_path / "anim.png", frames)
    refused = _cli("reduce", tmp_path / "in.png", "-o", tmp_path / "apng.png", "--palette-in",
                   apng)
    assert (refused.exit_code, refused.stderr) == (
        2, f"quantize: error: {apng}: has 3 frames; a palette image should be a still image "
        "of the palette's colours, or a GIF animation\n")
    assert not (tmp_path / "apng.png").exists()


def test_cli_reduce_names_a_misnamed_palette_file_in_one_line(tmp_path):
    Image.fromarray(_photo()).save(tmp_path / "in.png")
    (tmp_path / "p.png").write_text("0f380f\n306230\n")
    result = _cli("reduce", tmp_path / "in.png", "-o", tmp_path / "out.png",
                  "--palette-in", tmp_path / "p.png")
    assert result.exit_code == 1
    assert result.stderr == (f"quantize: error: {tmp_path / 'p.png'}: not an image Pillow can "
                             "identify; it holds text, as a palette file does: name it by its "
                             "format (.gpl, .json, .hex, .act, .pal, .txt, .css or .ase)\n")


def test_cli_batch_maps_every_file_onto_a_palette_image_and_skips_it(tmp_path):
    """The palette image inside the input folder is said and skipped, not reduced onto
    itself as an image of the folder; a .gpl there is no image, and left out as before."""
    folder = tmp_path / "in"
    folder.mkdir()
    for i, name in enumerate(("a.png", "b.png")):
        Image.fromarray(_photo(i)).save(folder / name)
    pal = _rgb_png(folder / "gb.png", GAME_BOY)
    (folder / "gb.gpl").write_text("GIMP Palette\n15 56 15\n")
    result = _cli("batch", folder, "-o", tmp_path / "out", "--palette-in", pal)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "out").iterdir() if p.suffix == ".png") == [
        "a.png", "b.png"]
    for name in ("a.png", "b.png"):
        assert set(map(tuple, _palette_of(tmp_path / "out" / name))) <= set(map(tuple, GAME_BOY))
    assert (f"skipped {folder / 'gb.png'}  (the palette image every file is mapped onto; not "
            "reduced itself)") in result.stdout


def test_cli_batch_refuses_a_palette_image_of_too_many_colours(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    Image.fromarray(_photo()).save(folder / "a.png")
    _many_colours(tmp_path / "many.png")
    result = _cli("batch", folder, "-o", tmp_path / "out", "--palette-in", tmp_path / "many.png")
    assert result.exit_code == 2
    assert result.stderr == (f"quantize: error: {tmp_path / 'many.png'}: has 1,204 colours; "
                             "a palette image may have at most 256\n")
    assert not (tmp_path / "out").exists()


def _repeating_palette_image(path):
    """A P image whose table is black, red, black, blue, each entry taken by a pixel."""
    image = Image.new("P", (4, 1))
    image.putpalette([0, 0, 0, 255, 0, 0, 0, 0, 0, 0, 0, 255])
    image.putdata([0, 1, 2, 3])
    image.save(path)


def test_palette_image_repeating_a_colour_keeps_its_indices_as_a_palette_file_does(
        tmp_path, monkeypatch):
    # Its blue took index 2, with a warning that the entries after the repeat took lower
    # indices: the image and the .hex now keep every entry at its index, blue at 3, and a
    # warning says that no pixel takes the repeat.
    monkeypatch.chdir(tmp_path)
    _repeating_palette_image("dup.png")
    (tmp_path / "dup.hex").write_text("000000\nff0000\n000000\n0000ff\n")
    lines = []
    for palette in ("dup.png", "dup.hex"):
        result = _cli("reduce", "dup.png", "--palette-in", palette, "-o", f"o_{palette}.png",
                      "-q")
        assert result.exit_code == 0
        lines.append(result.stderr)
        with Image.open(tmp_path / f"o_{palette}.png") as im:
            assert im.getpalette() == [0, 0, 0, 255, 0, 0, 0, 0, 0, 0, 0, 255]
            assert np.asarray(im).tolist() == [[0, 1, 0, 3]]
    assert lines == [
        f"quantize: warning: dup.png: --palette-in='{palette}' repeats colours: index 2 "
        "(#000000) as index 0; each pixel takes the first index of its colour, so no pixel "
        "takes index 2, and its 4 entries give 3 colours\n" for palette in ("dup.png", "dup.hex")]


def test_palette_image_repeating_an_entry_no_pixel_takes_is_not_warned_of(tmp_path,
                                                                          monkeypatch):
    # Only the colours of its pixels are read: an entry no pixel takes moves none.
    monkeypatch.chdir(tmp_path)
    image = Image.new("P", (3, 1))
    image.putpalette([0, 0, 0, 255, 0, 0, 0, 0, 0, 0, 0, 255])
    image.putdata([0, 1, 3])
    image.save("p.png")
    result = _cli("reduce", "p.png", "--palette-in", "p.png", "-o", "o.png", "-q")
    assert (result.exit_code, result.stderr) == (0, "")


def test_an_indexed_palette_image_keeps_the_entries_no_pixel_takes(tmp_path):
    # A 4-entry table whose pixels take entries 0 and 2 gave a palette of 2 colours, and
    # blue was written at index 1; a PIL image given as palette= kept all 4.
    table = Image.new("P", (2, 1))
    table.putpalette([0, 0, 0, 255, 0, 0, 0, 0, 255, 0, 255, 0])
    table.putdata([0, 2])
    table.save(tmp_path / "pal.png")
    Image.fromarray(np.array([[[0, 0, 250], [0, 250, 0], [0, 0, 0]]], np.uint8)).save(
        tmp_path / "in.png")
    reduce_file(tmp_path / "in.png", tmp_path / "out.png", palette_in=tmp_path / "pal.png")
    with Image.open(tmp_path / "out.png") as im, Image.open(tmp_path / "pal.png") as given:
        assert im.getpalette() == [0, 0, 0, 255, 0, 0, 0, 0, 255, 0, 255, 0]
        assert np.asarray(im).tolist() == [[2, 3, 0]]
        from_pil = reduce_colors(np.asarray(Image.open(tmp_path / "in.png")),
                                 palette=given).to_image()
        assert from_pil.getpalette() == im.getpalette()
        assert np.asarray(from_pil).tolist() == np.asarray(im).tolist()


#: PICO-8's 16 colours.
PICO_8 = [[int(h[i:i + 2], 16) for i in (0, 2, 4)] for h in (
    "000000 1d2b53 7e2553 008751 ab5236 5f574f c2c3c7 fff1e8 ff004d ffa300 ffec27 00e436 "
    "29adff 83769c ff77a8 ffccaa").split()]


def _swatch_grid(colours, columns, size=8, gap=1, border=0, line=(128, 128, 128)):
    """Swatches of ``size`` pixels on a grid, ``gap`` pixels of ``line`` between them and
    ``border`` around them; an empty cell of the last row is ``line`` too."""
    rows = -(-len(colours) // columns)
    step = size + gap
    image = np.empty((2 * border + rows * step - gap, 2 * border + columns * step - gap, 3),
                     np.uint8)
    image[...] = line
    for i, colour in enumerate(colours):
        top, left = border + i // columns * step, border + i % columns * step
        image[top:top + size, left:left + size] = colour
    return image


@pytest.mark.parametrize("gap, border", [(1, 0), (2, 0), (1, 1)])
def test_the_gaps_of_a_swatch_grid_are_no_colour_of_it(tmp_path, gap, border):
    # A 4 x 4 grid of 8-pixel swatches with 1-pixel grey gaps gave 17 colours, the grey
    # first, moving every colour of the palette by one, without a word.
    from quantize.palette_files import PaletteReadWarning

    path = tmp_path / "pico-8-grid.png"
    Image.fromarray(_swatch_grid(PICO_8, 4, gap=gap, border=border)).save(path)
    with pytest.warns(PaletteReadWarning) as caught:
        assert read_palette(path).tolist() == PICO_8
    assert [str(w.message) for w in caught] == [
        "pico-8-grid.png: #808080 draws whole rows or columns of the image but no swatch (not "
        "one 3 x 3 square), as the gaps between swatches on a grid do: not read as a colour "
        "of the palette, which has 16 colours"]


def _read_without_a_warning(path) -> list[list[int]]:
    """``read_palette(path)`` as a list, any warning of it an error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return read_palette(path).tolist()


@pytest.mark.parametrize("at", [0, 5])
def test_an_indexed_swatch_grid_gives_its_table_every_entry_at_its_index(tmp_path, at):
    # Its gap colour was left out of the table, moving every entry after it down by one,
    # though an indexed image gives its colour table, every entry at its index.
    path = tmp_path / "grid_p.png"
    grid = _swatch_grid(PICO_8, 4)
    table = np.array([*PICO_8[:at], [128, 128, 128], *PICO_8[at:]], np.uint8)
    indexed = Image.fromarray(
        (grid[..., None, :] == table).all(axis=-1).argmax(axis=-1).astype(np.uint8), "P")
    indexed.putpalette(table.ravel().tolist())
    indexed.save(path)
    assert _read_without_a_warning(path) == table.tolist()


#: A 16 x 16 sprite's colours: sky, sun, a horizon line, grass.
SKY, SUN, HORIZON, GRASS = [41, 173, 255], [255, 236, 39], [95, 87, 79], [0, 135, 81]


def _sprite():
    """Pixel art: sky, a 3 x 3 sun in it, a 1-pixel horizon across row 8, grass below."""
    image = np.empty((16, 16, 3), np.uint8)
    image[:8], image[3:6, 3:6], image[8], image[9:] = SKY, SUN, HORIZON, GRASS
    return image


@pytest.mark.parametrize("mode", ["RGB", "P"])
def test_a_sprite_mapped_onto_itself_keeps_its_line_across_it(tmp_path, mode):
    # Its horizon spans a whole row and fills no 3 x 3 square: it was read as the gap
    # colour of a swatch grid and left out, the sprite mapped onto itself gave 3 colours
    # (PSNR 24.40 dB), and, indexed, its table lost the entry.
    path, out = tmp_path / "sprite.png", tmp_path / "self.png"
    table = np.array([SUN, SKY, GRASS, HORIZON], np.uint8)  # an encoder's order
    if mode == "P":
        indexed = Image.fromarray((_sprite()[..., None, :] == table).all(axis=-1)
                                  .argmax(axis=-1).astype(np.uint8), "P")
        indexed.putpalette(table.ravel().tolist())
        indexed.save(path)
    else:
        Image.fromarray(_sprite()).save(path)
    assert _read_without_a_warning(path) == (table.tolist() if mode == "P"
                                             else [SKY, SUN, HORIZON, GRASS])
    result = _cli("reduce", path, "--palette-in", path, "-o", out)
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout.startswith(f"{path} -> {out}: 4 colours, lossless, ")
    with Image.open(out) as im:
        assert np.asarray(im.convert("RGB")).tolist() == _sprite().tolist()
        if mode == "P":
            assert im.getpalette() == table.ravel().tolist()


def _crossed_drawing():
    """The sprite with a 1-pixel line down column 10 too: lines both ways, but cells of
    several colours (the sun in the sky)."""
    image = _sprite()
    image[:, 10] = HORIZON
    return image


@pytest.mark.parametrize("image", [
    _sprite(),  # a line across
    _sprite().transpose(1, 0, 2),  # a line down
    _crossed_drawing(),
], ids=["across", "down", "cross"])
def test_a_drawing_with_whole_lines_is_no_swatch_grid(tmp_path, image):
    # A colour that spans a whole row or column and fills no 3 x 3 square was left out
    # wherever two others fill one: a drawing's horizon or pole too.
    path = tmp_path / "drawing.png"
    Image.fromarray(image).save(path)
    read = _read_without_a_warning(path)
    assert sorted(read) == sorted([SKY, SUN, HORIZON, GRASS])


@pytest.mark.parametrize("image", [
    _swatch_grid(PICO_8, 4, gap=0),  # swatches without gaps
    _swatch_grid(PICO_8, 16, size=1, gap=0),  # Lospec's 1x strip
    _swatch_grid(PICO_8, 16, gap=0),  # its 8x strip
    _swatch_grid(PICO_8, 8, size=1, gap=1),  # 1-pixel swatches, 1-pixel gaps: no square
    _swatch_grid(PICO_8, 8, size=8, gap=3),  # gaps as wide as a swatch may be
], ids=["grid", "1x", "8x", "dots", "wide-gaps"])
def test_swatches_without_thin_lines_between_them_give_every_colour(tmp_path, image):
    path = tmp_path / "swatches.png"
    Image.fromarray(image).save(path)
    read = _read_without_a_warning(path)
    assert [c for c in read if c != [128, 128, 128]] == PICO_8


def test_a_grid_whose_empty_cell_is_its_gap_colour_keeps_it(tmp_path):
    # 7 colours on a 4 x 2 grid: the gap colour also fills the eighth cell, a swatch as
    # any other; it is read as a colour (a black border around black swatches would be too).
    seven = PICO_8[:7]
    Image.fromarray(_swatch_grid(seven, 4)).save(tmp_path / "epd.png")
    assert read_palette(tmp_path / "epd.png").tolist() == [seven[0], [128, 128, 128],
                                                           *seven[1:]]


def test_cli_reduce_maps_onto_a_swatch_grid_as_onto_its_colours(tmp_path):
    Image.fromarray(_swatch_grid(PICO_8, 4)).save(tmp_path / "grid.png")
    (tmp_path / "pico.hex").write_text("".join(
        "{:02x}{:02x}{:02x}\n".format(*c) for c in PICO_8))
    Image.fromarray(_photo()).save(tmp_path / "in.png")
    grid = _cli("reduce", tmp_path / "in.png", "--palette-in", tmp_path / "grid.png",
                "-o", tmp_path / "a.png")
    listed = _cli("reduce", tmp_path / "in.png", "--palette-in", tmp_path / "pico.hex",
                  "-o", tmp_path / "b.png")
    assert grid.exit_code == listed.exit_code == 0
    assert grid.stdout.startswith(f"{tmp_path / 'in.png'} -> {tmp_path / 'a.png'}: 16 colours")
    assert "not read as a colour of the palette, which has 16 colours" in grid.stderr
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()
