"""The colour of the entry of fully transparent pixels (reduce and batch
--transparent-color, reduce_file(transparent_color=...)): black by default, a colour key,
or the mean colour of the visible pixels next to them ("edge")."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from quantize.palette_files import read_palette
from tests.cli_support import run_in_process

MAGENTA = [255, 0, 255]


def _sprite(tmp_path, name: str = "a.png"):
    """4 x 4 RGBA: two reds above, two blues below, its left column fully transparent."""
    rgba = np.zeros((4, 4, 4), np.uint8)
    rgba[:2, :, :3] = [200, 0, 0]
    rgba[:2, 2:, :3] = [210, 0, 0]
    rgba[2:, :, :3] = [0, 0, 200]
    rgba[2:, 2:, :3] = [0, 0, 220]
    rgba[..., 3] = 255
    rgba[:, 0, 3] = 0
    Image.fromarray(rgba).save(tmp_path / name)
    return tmp_path / name


def _reduced(tmp_path, src, out, *args):
    done = run_in_process(["reduce", src, "-k", "3", "-o", out, "--json", "--force", *args],
                          cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    with Image.open(out) as image:
        return json.loads(done.stdout), np.asarray(image), image.getpalette(), image.info


@pytest.mark.parametrize("suffix", [".png", ".gif", ".bmp"])
def test_a_transparent_colour_keys_the_transparent_entry_and_changes_nothing_else(
        tmp_path, suffix):
    # The transparent pixels always took black of alpha 0: a BMP showed black where a
    # sprite was transparent, and '--fixed-color #ff00ff' left them at index 1, black.
    src = _sprite(tmp_path)
    plain, plain_px, plain_pal, _ = _reduced(tmp_path, src, tmp_path / f"p{suffix}")
    keyed, keyed_px, keyed_pal, info = _reduced(tmp_path, src, tmp_path / f"k{suffix}",
                                                "--transparent-color", "#ff00ff",
                                                "--palette-out", "k.hex")
    assert keyed["transparent_color"] == "#ff00ff" and "transparent_color" not in plain
    assert (keyed["psnr"], keyed["palette"]) == (plain["psnr"], plain["palette"])
    assert np.array_equal(keyed_px, plain_px)
    assert plain_pal[:3] == [0, 0, 0] and keyed_pal[:3] == MAGENTA  # index 0, as before
    assert keyed_pal[3:12] == plain_pal[3:12]
    assert read_palette(tmp_path / "k.hex")[0].tolist() == [*MAGENTA, 0]
    if suffix == ".bmp":  # no alpha: the key colour shows where the sprite was transparent
        assert keyed_px[:, 0].tolist() == [0] * 4
    else:
        assert info["transparency"] in (0, b"\x00")


def test_edge_gives_the_transparent_entry_the_mean_colour_of_the_pixels_beside_it(tmp_path):
    # A renderer that filters without premultiplying blended black into every edge: on the
    # user's sprites, edge samples shifted -31.2 grey levels (astro_hard), pngquant's -12.8.
    src = _sprite(tmp_path)
    record, _, palette, _ = _reduced(tmp_path, src, tmp_path / "e.png",
                                     "--transparent-color", "edge")
    assert record["transparent_color"] == "edge"
    assert palette[:3] == [100, 0, 100]  # the column beside: 2 reds (200), 2 blues (200)


def test_edge_color_weights_the_pixels_by_their_alpha():
    from quantize.colors import edge_color

    rgb = np.array([[[0, 0, 0], [200, 0, 0], [0, 0, 200], [0, 0, 0]]], np.uint8)
    alpha = np.array([[0, 255, 85, 0]], np.uint8)
    assert edge_color(rgb, alpha) == (150, 0, 50)
    assert edge_color(rgb, np.full((1, 4), 255, np.uint8)) == (0, 0, 0)  # none transparent
    assert alpha.tolist() == [[0, 255, 85, 0]]


def test_an_opaque_image_is_written_as_without_it(tmp_path):
    src = tmp_path / "o.png"
    Image.fromarray(np.asarray(Image.open(_sprite(tmp_path)))[..., :3]).save(src)
    for name, args in (("plain.png", []), ("edge.png", ["--transparent-color", "edge"]),
                       ("key.png", ["--transparent-color", "#ff00ff"])):
        done = run_in_process(["reduce", src, "-k", "3", "-o", tmp_path / name, *args])
        assert done.returncode == 0, done.stderr
    plain = (tmp_path / "plain.png").read_bytes()
    assert (tmp_path / "edge.png").read_bytes() == plain == (tmp_path / "key.png").read_bytes()


@pytest.mark.parametrize(("args", "error"), [
    (["--transparent-color", "#ff00ff00"],
     "quantize: error: --transparent-color='#ff00ff00' has alpha, which the entry takes as 0 "
     "whatever is given; expected a colour without it (red, cyan, ...) or #rrggbb, or 'edge' "
     "(the mean colour of the visible pixels next to the transparent ones)\n"),
    (["--transparent-color", "edges"],
     "quantize: error: --transparent-color='edges' is not valid; expected a colour name (red, "
     "cyan, yellow, ...), #rrggbb, #rgb, rrggbb, rgb(r,g,b), rgb(r g b) or hsl(h,s%,l%), or "
     "'edge' (the mean colour of the visible pixels next to the transparent ones)\n"),
    (["--transparent-color", "red", "--palette-in", "p.hex"],
     "quantize: error: --transparent-color='red' goes with a fit, not with "
     "--palette-in='p.hex': give the colour as the palette's own entry of alpha 0 (ff00ff00 "
     "in a .hex file)\n"),
])
def test_reduce_refuses_a_bad_transparent_colour_in_one_line(tmp_path, args, error):
    _sprite(tmp_path)
    (tmp_path / "p.hex").write_text("ff00ff00\n000000\n")
    done = run_in_process(["reduce", "a.png", "-o", "o.png", *args], cwd=tmp_path)
    assert (done.returncode, done.stderr) == (2, error)
    assert not (tmp_path / "o.png").exists()


def test_reduce_refuses_it_for_an_animation(tmp_path):
    frames = [Image.fromarray(np.full((4, 4, 3), v, np.uint8)) for v in (0, 255)]
    frames[0].save(tmp_path / "a.gif", save_all=True, append_images=frames[1:])
    done = run_in_process(["reduce", "a.gif", "-o", "o.gif", "--transparent-color", "edge"],
                          cwd=tmp_path)
    assert done.returncode == 2
    assert "--transparent-color='edge': the input is an animation" in done.stderr


def test_a_shared_palette_gives_every_output_the_transparent_colour(tmp_path):
    (tmp_path / "in").mkdir()
    _sprite(tmp_path / "in")
    _sprite(tmp_path / "in", "b.png")
    done = run_in_process(["batch", "in", "-o", "out", "-k", "3", "--shared-palette",
                           "--transparent-color", "#ff00ff", "--palette-out", "p.hex"],
                          cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert read_palette(tmp_path / "out" / "p.hex")[0].tolist() == [*MAGENTA, 0]
    for name in ("a.png", "b.png"):
        with Image.open(tmp_path / "out" / name) as image:
            assert image.getpalette()[:3] == MAGENTA and np.asarray(image)[0, 0] == 0
    done = run_in_process(["batch", "in", "-o", "out2", "--shared-palette",
                           "--transparent-color", "edge"], cwd=tmp_path)
    assert done.returncode == 2
    assert "--transparent-color='edge' cannot be used with a shared palette" in done.stderr
