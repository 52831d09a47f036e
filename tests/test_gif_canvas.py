"""quantize.gif_canvas: a GIF's frames composited as browsers show them."""

from __future__ import annotations

import shutil
import struct
import subprocess
import warnings

import numpy as np
import pytest
from PIL import Image, ImageSequence

from quantize.animation import (
    FirstFrameWarning,
    iter_frames,
    probe_animation,
    reduce_animation_file,
)
from quantize.gif_canvas import (
    first_gif_frame,
    gif_global_table,
    gif_images,
    gif_loop,
    pillow_gif_images,
)
from quantize.io import as_rgba, load_image

WHITE, RED, GREEN, BLUE = (250, 250, 250), (220, 20, 20), (20, 200, 40), (20, 40, 220)
CLEAR = [0, 0, 0, 0]


def _lzw(indices) -> bytes:
    image = Image.fromarray(np.array(indices, np.uint8), "L")
    return bytes([2]) + image.tobytes("gif", "L", 2) + b"\0"


def _table(colours) -> bytes:
    table = np.zeros((4, 3), np.uint8)
    table[:len(colours)] = colours
    return table.tobytes()


def _gif(path, size, frames, colours=(WHITE, RED, GREEN, BLUE), background=0):
    """A GIF of ``frames``: dicts of indices, and optionally at (x, y), disposal,
    transparent, local (a colour table of the frame's own) and control (False: no graphic
    control extension)."""
    data = b"GIF89a" + struct.pack("<HHBBB", *size, 0xF1, background, 0) + _table(colours)
    for f in frames:
        if f.get("control", True):
            t = f.get("transparent")
            packed = (f.get("disposal", 0) << 2) | (t is not None)
            data += b"!\xf9\x04" + struct.pack("<BHB", packed, 10, t or 0) + b"\0"
        h, w = np.shape(f["indices"])
        local = f.get("local")
        data += b"," + struct.pack("<HHHHB", *f.get("at", (0, 0)), w, h,
                                   0 if local is None else 0x81)
        data += b"" if local is None else _table(local)
        data += _lzw(f["indices"])
    path.write_bytes(data + b";")
    return path


def _shown(path) -> list[list]:
    return [f.rgba.tolist() for f in iter_frames(path)]


def _px(colour) -> list[int]:
    return [*colour, 255]


def test_where_the_first_frame_does_not_reach_is_transparent(tmp_path):
    """Pillow showed palette entry 0 there, opaque (white)."""
    src = _gif(tmp_path / "a.gif", (3, 2), [{"indices": [[1]], "at": (1, 1)}])
    assert _shown(src) == [[[CLEAR, CLEAR, CLEAR], [CLEAR, _px(RED), CLEAR]]]


@pytest.mark.parametrize("transparent", [None, 0])
def test_restore_to_background_clears_to_transparent(tmp_path, transparent):
    """Pillow cleared the box to the background colour (blue), or, with a transparent
    entry but a first frame without one, to that entry's colour (white), opaque."""
    src = _gif(tmp_path / "a.gif", (3, 1), [
        {"indices": [[1, 1, 1]], "disposal": 1},
        {"indices": [[2, 2]], "at": (1, 0), "disposal": 2, "transparent": transparent},
        {"indices": [[2]], "disposal": 1},
    ], background=3)
    assert _shown(src) == [[[_px(RED)] * 3], [[_px(RED), _px(GREEN), _px(GREEN)]],
                           [[_px(GREEN), CLEAR, CLEAR]]]


def test_restore_to_previous_on_the_first_frame_empties_the_screen(tmp_path):
    """Pillow left the first frame on screen."""
    src = _gif(tmp_path / "a.gif", (2, 1), [{"indices": [[1, 1]], "disposal": 3},
                                            {"indices": [[2]], "disposal": 1}])
    assert _shown(src) == [[[_px(RED)] * 2], [[_px(GREEN), CLEAR]]]


@pytest.mark.parametrize("control", [True, False])
def test_a_frame_of_unspecified_disposal_is_kept(tmp_path, control):
    """Unspecified (0), or without a graphic control extension: Pillow gave it the disposal
    of the frame before it (restore to background) and cleared it."""
    src = _gif(tmp_path / "a.gif", (2, 1), [
        {"indices": [[1, 1]], "disposal": 2},
        {"indices": [[2]], "control": control},
        {"indices": [[3]], "at": (1, 0)},
    ])
    assert _shown(src) == [[[_px(RED)] * 2], [[_px(GREEN), CLEAR]],
                           [[_px(GREEN), _px(BLUE)]]]


def test_restore_to_previous_puts_back_what_the_frame_covered(tmp_path):
    src = _gif(tmp_path / "a.gif", (3, 1), [
        {"indices": [[1, 1, 1]], "disposal": 1},
        {"indices": [[2, 0]], "at": (1, 0), "disposal": 3, "transparent": 0},
        {"indices": [[3]], "disposal": 1},
    ])
    assert _shown(src) == [[[_px(RED)] * 3], [[_px(RED), _px(GREEN), _px(RED)]],
                           [[_px(BLUE), _px(RED), _px(RED)]]]


@pytest.mark.parametrize(("disposal", "restored"), [(4, True), (5, False), (7, False)])
def test_a_reserved_disposal_is_drawn_as_browsers_draw_it(tmp_path, disposal, restored):
    """4 was kept, where Chromium and Firefox restore to previous, as for 3 (and Pillow
    restored 5 to 7, which both browsers keep)."""
    src = _gif(tmp_path / "a.gif", (3, 1), [
        {"indices": [[1, 1, 1]], "disposal": 1},
        {"indices": [[2, 2]], "at": (1, 0), "disposal": disposal},
        {"indices": [[3]], "disposal": 1},
    ])
    under = _px(RED) if restored else _px(GREEN)
    assert _shown(src)[2] == [[_px(BLUE), under, under]]


@pytest.mark.parametrize(("suffix", "options"), [
    (".gif", {}), (".gif", {"palette": "per-frame"}), (".png", {}), (".webp", {})])
def test_frames_restored_by_disposal_4_are_written_as_browsers_show_them(tmp_path, suffix,
                                                                          options):
    # Sprites of disposal 4 piled up in the output, as a GIF's disposal 4 was kept.
    src = _gif(tmp_path / "a.gif", (4, 1), [
        {"indices": [[1, 1, 1, 1]], "disposal": 1},
        {"indices": [[2]], "at": (1, 0), "disposal": 4},
        {"indices": [[3]], "at": (2, 0), "disposal": 4},
        {"indices": [[2]], "at": (3, 0), "disposal": 1},
    ])
    out = tmp_path / f"out{suffix}"
    reduce_animation_file(src, out, n_colors=3, **options)
    expected = [[[_px(RED)] * 4], [[_px(RED), _px(GREEN), _px(RED), _px(RED)]],
                [[_px(RED), _px(RED), _px(BLUE), _px(RED)]], [[_px(RED)] * 3 + [_px(GREEN)]]]
    assert _shown(src) == expected
    assert _shown(out) == expected
    if suffix == ".gif":  # Pillow, which restores to previous for 3 and up, shows it alike
        with Image.open(out) as im:
            assert [np.asarray(f.convert("RGBA")).tolist()
                    for f in ImageSequence.Iterator(im)] == expected


def test_local_tables_and_a_transparent_entry_that_changes(tmp_path):
    src = _gif(tmp_path / "a.gif", (3, 1), [
        {"indices": [[0, 1, 2]], "local": [BLUE, GREEN, RED], "disposal": 1},
        {"indices": [[3, 0, 3]], "local": [RED, WHITE, GREEN, BLUE], "transparent": 3},
        {"indices": [[0, 1, 0]], "transparent": 0},
    ])
    assert _shown(src) == [[[_px(BLUE), _px(GREEN), _px(RED)]],
                           [[_px(BLUE), _px(RED), _px(RED)]],
                           [[_px(BLUE), _px(RED), _px(RED)]]]


def test_a_frame_past_the_screen_is_clipped_and_said_cut(tmp_path):
    src = _gif(tmp_path / "a.gif", (2, 1), [{"indices": [[1, 1]], "disposal": 1},
                                            {"indices": [[2, 3, 3]], "at": (1, 0)}])
    frames = list(iter_frames(src))
    assert [f.cut for f in frames] == [False, True]
    assert frames[1].rgba.tolist() == [[_px(RED), _px(GREEN)]]


def test_the_frame_table_is_read_from_the_blocks(tmp_path):
    src = _gif(tmp_path / "a.gif", (3, 2), [
        {"indices": [[1, 1, 1], [1, 1, 1]], "disposal": 1},
        {"indices": [[2]], "at": (2, 1), "disposal": 2, "transparent": 0, "local": [RED]},
        {"indices": [[3]], "control": False},
    ])
    with open(src, "rb") as fp:
        images = gif_images(fp)
    assert images is not None
    assert [(i.box, i.transparent, i.disposal, i.duration) for i in images] == [
        ((0, 0, 3, 2), None, 1, 100), ((2, 1, 3, 2), 0, 2, 100), ((0, 0, 1, 1), None, 0, 0)]
    assert images[1].table is not None and images[1].table[:2].tolist() == [list(RED), [0] * 3]
    with Image.open(src) as im:  # where Pillow's tile says the image data starts
        offsets = []
        for i in range(im.n_frames):
            im.seek(i)
            offsets.append(im.tile[0][2])
    assert [i.offset for i in images] == offsets
    # == compared the tables: "truth value of an array ... is ambiguous", read twice
    with open(src, "rb") as fp:
        again = gif_images(fp)
    assert again is not None and (images[1] == images[1], images[1] == again[1]) == (True, False)


def test_a_gif_whose_blocks_end_early_is_left_to_pillow(tmp_path):
    src = _gif(tmp_path / "a.gif", (2, 1), [{"indices": [[1, 1]]}])
    src.write_bytes(src.read_bytes()[:-3])  # the last sub-block, its end and the trailer
    with open(src, "rb") as fp:
        assert gif_images(fp) is None


def test_load_image_and_as_rgba_show_nothing_where_the_first_frame_does_not_reach(tmp_path):
    """Pillow's picture was opaque white (entry 0) there, where iter_frames and browsers
    show nothing."""
    src = _gif(tmp_path / "a.gif", (3, 2), [{"indices": [[1]], "at": (1, 1)}])
    loaded = load_image(src)
    with Image.open(src) as opened:
        rgb, alpha = as_rgba(opened)
    for got_rgb, got_alpha in [(loaded.rgb, loaded.alpha), (rgb, alpha)]:
        assert got_alpha is not None and got_alpha.tolist() == [[0, 0, 0], [0, 255, 0]]
        assert got_rgb[1, 1].tolist() == list(RED)
    assert _shown(src)[0][1][1] == _px(RED)


def _coalesced_corner(path) -> list[int]:
    """The top-left pixel, as RGBA, of the first frame ImageMagick's -coalesce draws."""
    out = subprocess.run(["convert", f"{path}[0]", "-coalesce", "-crop", "1x1+0+0",
                          "-depth", "8", "RGBA:-"], capture_output=True, check=True).stdout
    return list(out)


@pytest.mark.skipif(shutil.which("convert") is None, reason="needs ImageMagick's convert")
def test_imagemagick_fills_where_no_frame_has_drawn_with_the_background_colour(tmp_path):
    """The README said ImageMagick composites a GIF as browsers do; its -coalesce shows the
    background colour (blue, entry 3) where the first frame does not reach, opaque, and the
    output, drawn as browsers draw the input, transparent."""
    src = _gif(tmp_path / "a.gif", (3, 2), [{"indices": [[1]], "at": (1, 1)},
                                            {"indices": [[2]], "at": (2, 0)}], background=3)
    reduce_animation_file(src, tmp_path / "out.gif", n_colors=2)
    assert _coalesced_corner(src) == _px(BLUE)
    assert _coalesced_corner(tmp_path / "out.gif")[3] == 0
    assert _shown(src)[0][0][0] == _shown(tmp_path / "out.gif")[0][0][0] == CLEAR


def test_the_global_table_is_read_as_stored(tmp_path):
    """Its entries as stored, none padded; None without one, or for a file cut in it."""
    src = _gif(tmp_path / "a.gif", (1, 1), [{"indices": [[1]]}])
    data = src.read_bytes()
    with open(src, "rb") as fp:
        assert gif_global_table(fp).tolist() == [list(c) for c in (WHITE, RED, GREEN, BLUE)]
    bare = data[:10] + bytes([data[10] & 0x7F]) + data[11:13] + data[25:]
    for stored in (bare, data[:20], b"\x89PNG\r\n\x1a\n" + data[8:]):
        (tmp_path / "b.gif").write_bytes(stored)
        with open(tmp_path / "b.gif", "rb") as fp:
            assert gif_global_table(fp) is None


def test_a_first_frame_that_covers_the_screen_is_pillows_picture(tmp_path):
    src = _gif(tmp_path / "a.gif", (2, 1), [{"indices": [[1, 0]], "transparent": 0}])
    with Image.open(src) as opened:
        assert first_gif_frame(opened) is None
        rgb, alpha = as_rgba(opened)
    assert (rgb[0, 0].tolist(), alpha.tolist()) == (list(RED), [[255, 0]])


def test_a_later_gif_frame_given_as_a_pil_image_is_drawn_as_iter_frames_draws_it(tmp_path):
    """Pillow's picture showed the box that restore to background cleared in the
    background colour (blue), opaque; frames given in any order are drawn alike."""
    src = _gif(tmp_path / "a.gif", (3, 1), [
        {"indices": [[1, 1, 1]], "disposal": 1},
        {"indices": [[2, 2]], "at": (1, 0), "disposal": 2},
        {"indices": [[2]], "disposal": 1},
    ], background=3)
    expected = _shown(src)
    got = []
    with Image.open(src) as opened, warnings.catch_warnings():
        warnings.simplefilter("ignore", FirstFrameWarning)
        for at in (0, 1, 2, 2, 1, 2):
            opened.seek(at)
            rgb, alpha = as_rgba(opened)
            shown = np.dstack([rgb, np.full(rgb.shape[:2], 255, np.uint8) if alpha is None
                               else alpha])
            got.append((at, shown.tolist()))
    assert got == [(at, expected[at]) for at in (0, 1, 2, 2, 1, 2)]
    assert expected[2] == [[_px(GREEN), CLEAR, CLEAR]]


def test_pillow_gif_images_are_the_frames_pillow_reads_up_to_the_one_it_is_at(tmp_path):
    src = _gif(tmp_path / "a.gif", (3, 1), [
        {"indices": [[1, 1, 1]]}, {"indices": [[2]], "at": (1, 0)}, {"indices": [[3]]}])
    with open(src, "rb") as fp, Image.open(src) as im:
        offsets = [i.offset for i in gif_images(fp)]
        assert [i.offset for i in pillow_gif_images(im, fp, 3)] == offsets
        assert [i.offset for i in pillow_gif_images(im, fp)] == offsets[:1]
        im.seek(1)
        assert [i.offset for i in pillow_gif_images(im, fp)] == offsets[:2]
        assert pillow_gif_images(im, fp, 2) is None  # not Pillow's count
        im.load()
        assert pillow_gif_images(im, fp, 3) is None  # decoded: where it started is not known


def test_a_gif_whose_blocks_pillow_reads_otherwise_is_left_to_pillow(tmp_path):
    """A NETSCAPE extension without its loop sub-block: Pillow reads on into the blocks
    after it, and finds one frame, the file's third."""
    src = _gif(tmp_path / "a.gif", (3, 1), [
        {"indices": [[1, 1, 1]]}, {"indices": [[2, 2]], "at": (1, 0)}, {"indices": [[3]]}])
    data = src.read_bytes()
    src.write_bytes(data[:25] + b"!\xff\x0bNETSCAPE2.0\0" + data[25:])
    with open(src, "rb") as fp, Image.open(src) as im:
        assert len(gif_images(fp)) == 3 and im.n_frames == 1
        assert pillow_gif_images(im, fp) is None  # nor where the first frame starts
        assert pillow_gif_images(im, fp, 1) is None


def _loop_extension(application: bytes, loop: int) -> bytes:
    return b"!\xff\x0b" + application + b"\x03\x01" + struct.pack("<H", loop) + b"\0"


@pytest.mark.parametrize(("application", "where"), [
    (b"NETSCAPE2.0", "after the frames"),
    (b"ANIMEXTS1.0", "before the frames"),
])
def test_a_loop_count_pillow_does_not_read_is_kept(tmp_path, application, where):
    # Browsers loop such a GIF 5 more times; the output played once.
    data = _gif(tmp_path / "plain.gif", (2, 2), [{"indices": [[0, 1], [1, 0]]},
                                                {"indices": [[1, 0], [0, 1]]}]).read_bytes()
    extension = _loop_extension(application, 5)
    at = data.index(b"!\xf9") if where == "before the frames" else len(data) - 1
    path = tmp_path / "a.gif"
    path.write_bytes(data[:at] + extension + data[at:])
    with Image.open(path) as im:
        assert im.info.get("loop") is None  # what Pillow reads
    assert probe_animation(path).loop == 5
    with open(tmp_path / "plain.gif", "rb") as plain:
        assert gif_loop(plain) is None
    reduce_animation_file(path, tmp_path / "out.gif", n_colors=2)
    reduce_animation_file(path, tmp_path / "out.png", n_colors=2)
    with Image.open(tmp_path / "out.gif") as gif, Image.open(tmp_path / "out.png") as png:
        assert (gif.info["loop"], png.info["loop"]) == (5, 6)
