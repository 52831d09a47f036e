"""quantize.animation.options: the animation job's options, checked before any frame is read."""

from __future__ import annotations

import numpy as np
import pytest

from quantize.animation.options import check_animation_options
from quantize.errors import FormatAdviceError, OutputExistsError


def test_defaults_and_the_output_format_of_the_input(tmp_path):
    src = tmp_path / "clip.webp"  # never opened: options are checked first
    opts = check_animation_options(src, None)
    assert opts.output is None and opts.suffix == ".webp"
    assert opts.n_colors == 16 and opts.quality is None and opts.dither == 0.0
    assert opts.space == "rgb" and not opts.per_frame and opts.palette_in is None
    # a TIFF's pages stay pages (they were written as a GIF), in the input's own extension
    assert check_animation_options(tmp_path / "clip.tif", None).suffix == ".tif"
    assert check_animation_options(tmp_path / "clip.TIFF", None).suffix == ".tiff"


def test_the_output_suffix_is_lower_cased_and_per_frame_is_a_flag(tmp_path):
    opts = check_animation_options(tmp_path / "in.png", tmp_path / "OUT.GIF",
                                   palette="per-frame", n_colors=8, dither=True)
    assert opts.output == tmp_path / "OUT.GIF" and opts.suffix == ".gif"
    assert opts.per_frame and opts.n_colors == 8 and opts.dither == 1.0


def test_an_apng_keeps_its_apng_extension(tmp_path):
    # A .apng input was written as a GIF by default, and -o x.apng was refused.
    assert check_animation_options(tmp_path / "clip.apng", None).suffix == ".apng"
    assert check_animation_options(tmp_path / "in.gif", tmp_path / "o.APNG").suffix == ".apng"


def test_per_frame_for_a_default_output_not_gif_keeps_its_advice_apart(tmp_path):
    """The advice to name a .gif output was part of a plain ValueError's message, which the
    command could not word as it takes outputs (-o, --ext)."""
    with pytest.raises(FormatAdviceError) as caught:
        check_animation_options(tmp_path / "clip.webp", None, palette="per-frame", n_colors=8)
    assert caught.value.facts == ("palette='per-frame' needs a .gif or .tif output (a colour "
                                  "table for each frame), but an animation given no output is "
                                  "written in its own format, '.webp'")
    assert caught.value.format_advice == "name a .gif output"
    assert caught.value.formats.suffixes == (".gif",)
    assert str(caught.value) == f"{caught.value.facts}; name a .gif output"


def test_per_frame_for_an_output_named_not_gif_has_no_advice(tmp_path):
    with pytest.raises(ValueError) as caught:
        check_animation_options(tmp_path / "clip.gif", tmp_path / "o.webp",
                                palette="per-frame", n_colors=8)
    assert not isinstance(caught.value, FormatAdviceError)
    assert str(caught.value) == ("palette='per-frame' needs a .gif or .tif output (a colour "
                                 "table for each frame), got '.webp'")


def test_an_output_without_suffix_is_named(tmp_path):
    with pytest.raises(ValueError, match=r"^output='.*clip' has no extension; expected one "
                                         r"of \.gif, \.png, \.apng, \.webp, \.tif, \.tiff$"):
        check_animation_options(tmp_path / "in.gif", tmp_path / "clip")


def test_the_pages_of_a_tiff_are_not_called_an_animation_when_the_output_is_refused(tmp_path):
    # It said "output='x.jpg': a TIFF's pages are written as .gif, ..., got '.jpg'", in
    # another shape than a still's "has an unsupported extension '.tga'; expected one of".
    with pytest.raises(ValueError, match=r"^output='.*x\.jpg' has an unsupported extension "
                                         r"'\.jpg' for a TIFF's pages; expected one of \.gif, "
                                         r"\.png, \.apng, \.webp, \.tif, \.tiff$"):
        check_animation_options(tmp_path / "scan.TIFF", tmp_path / "x.jpg")


def test_a_given_palette_becomes_uint8_rows_and_is_limited_to_256(tmp_path):
    opts = check_animation_options(tmp_path / "in.gif", None, palette_in=[[0, 0, 0],
                                                                           [255, 128, 1]])
    assert opts.palette_in.dtype == np.uint8
    assert opts.palette_in.tolist() == [[0, 0, 0], [255, 128, 1]]
    big = np.column_stack([np.arange(257) % 256, np.arange(257) // 256, np.zeros(257, int)])
    with pytest.raises(ValueError, match="^palette_in holds 257 colours, more than an "
                                         "animation holds: at most 256 colours"):
        check_animation_options(tmp_path / "in.gif", None, palette_in=big)


def test_an_existing_palette_out_is_refused_before_anything_is_read(tmp_path):
    pal = tmp_path / "pal.hex"
    pal.write_text("keep\n")
    with pytest.raises(OutputExistsError):
        check_animation_options(tmp_path / "missing.gif", None, palette_out=pal)
    assert pal.read_text() == "keep\n"
    opts = check_animation_options(tmp_path / "missing.gif", None, palette_out=pal,
                                   force=True)
    assert opts.palette_out == pal and opts.force


@pytest.mark.parametrize("alphas, said", [([255, 100], "1 translucent entry;"),
                                          ([255, 100, 200], "2 translucent entries;")])
def test_the_translucent_entries_of_a_given_palette_are_counted_in_words(tmp_path, alphas,
                                                                          said):
    # One entry was said "1 translucent entries".
    pal = [[10 * i, 0, 0, a] for i, a in enumerate(alphas)]
    with pytest.warns(UserWarning) as caught:
        opts = check_animation_options(tmp_path / "in.gif", None, palette_in=pal)
    assert [str(w.message) for w in caught] == [
        f"the palette mapped onto has {said} an animation mapped onto a given palette keeps "
        "only binary transparency, so those with alpha below 128 are dropped and the others "
        "drawn opaque"]
    assert opts.palette_in.tolist() == [[10 * i, 0, 0] for i, a in enumerate(alphas)
                                        if a >= 128]


def test_the_transparent_entry_of_an_act_palette_is_said_to_be_left_out(tmp_path):
    pal = tmp_path / "p.act"
    pal.write_bytes(bytes([9, 8, 7, 200, 30, 30]) + bytes(762) + b"\x00\x02\x00\x00")
    with pytest.warns(UserWarning) as caught:
        opts = check_animation_options(tmp_path / "in.gif", None, palette_in=pal)
    assert [str(w.message) for w in caught] == [
        f"palette_in={str(pal)!r} marks index 0 transparent (an Adobe colour table's "
        "transparent index, which Aseprite sets to 0 in every file it writes), so its colour "
        "#090807 is not mapped onto: only fully transparent pixels take that entry"]
    assert opts.palette_in.tolist() == [[200, 30, 30]]
