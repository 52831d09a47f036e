"""``quantize reduce`` through typer's CliRunner: outputs, JSON, exit codes, one-line errors."""

from __future__ import annotations

import contextlib
import errno
import importlib
import io
import json
import logging
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import threading
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import typer
from PIL import ExifTags, Image, ImageSequence, features
from typer.testing import CliRunner

from quantize.animation import sinks
from quantize.cli import app
from quantize.cli.common import stage_stdin, stage_stream
from quantize.io import load_image, write_all
from quantize.palette_files import read_palette
from tests.animation_support import save_animation
from tests.cli_support import (
    count_temporary_folders,
    pipe_refusal,
    run_in_process,
    run_with_palette_pipe,
)
from tests.corpus.generate import (
    ORIENTATION_6,
    cut_exif,
    exif_of_tags,
    exif_value_past_end,
    png_of_chunks,
    stored_idats,
)
from tests.fs_support import read_only_folder
from tests.manual_support import ROOT
from tests.reduce_support import gif_blocks

runner = CliRunner()


@pytest.fixture
def photo(tmp_path, rng):
    image = np.clip(np.repeat(np.linspace(0, 255, 32), 32).reshape(32, 32, 1)
                    + rng.normal(0, 8, (32, 32, 3)), 0, 255).astype(np.uint8)
    path = tmp_path / "photo.png"
    Image.fromarray(image).save(path)
    return path


def run(*args):
    return runner.invoke(app, ["reduce", *map(str, args)])


def unnoted(stderr: str) -> str:
    """``stderr`` without its notes of outputs larger than their inputs, which a tiny test
    image's output often is."""
    return "".join(line for line in stderr.splitlines(keepends=True)
                   if not line.startswith("quantize: note: "))


def one_error_line(result) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("quantize: error: ")
    return lines[0]


def test_reduce_writes_the_default_output_and_prints_one_line(photo):
    result = run(photo, "-k", 8)
    assert result.exit_code == 0, result.output
    out = photo.with_name("photo.k8.png")
    assert out.exists() and Image.open(out).mode == "P"
    line, = result.stdout.strip().splitlines()
    assert f"-> {out}: 8 colours, PSNR" in line and "mean ΔE2000" in line


@pytest.mark.parametrize(("args", "output"), [
    ([], "./-x.k4.png"), (["--ext", ".small.png"], "./-x.small.png"),
    (["-o", "./-y.png"], "./-y.png"), (["-o", "y.png"], "y.png")])
def test_an_input_given_with_a_leading_dot_slash_is_shown_so(photo, monkeypatch, args,
                                                             output):
    """./-x.png came back as -x.png in the summary and in --json (its output -x.k4.png),
    which a script could not pass back as a file name: read as options."""
    monkeypatch.chdir(photo.parent)
    photo.rename("-x.png")
    lines = run("./-x.png", "-k", 4, *args)
    assert lines.exit_code == 0, lines.output
    assert lines.stdout.startswith(f"./-x.png -> {output}: 4 colours, PSNR")
    as_json = run("./-x.png", "-k", 4, "--force", "--json", *args)
    assert as_json.exit_code == 0, as_json.output
    record = json.loads(as_json.stdout)
    assert (record["input"], record["output"]) == ("./-x.png", output)
    assert Path(output).is_file()


@pytest.mark.parametrize("ext", [".png", ".gif"])
def test_one_colour_is_written_as_a_one_entry_palette(tmp_path, ext):
    """-k 1 was refused ("should be >= 2") where the library's fit, segment -k 1 and
    Pillow's quantize(1) take it; half the image fully transparent keeps its entry."""
    image = np.zeros((4, 6, 4), np.uint8)
    image[:, :3] = [10, 20, 30, 255]
    image[:, 3:] = [30, 40, 50, 255]
    image[0, :] = 0  # a fully transparent row
    Image.fromarray(image).save(tmp_path / "in.png")
    result = run(tmp_path / "in.png", "-k", 1, "-o", tmp_path / f"out{ext}")
    assert result.exit_code == 0, result.output
    assert "-> " in result.stdout and ": 1 colour, PSNR" in result.stdout
    out = Image.open(tmp_path / f"out{ext}")
    assert out.mode == "P"
    assert len(out.getpalette()) // 3 == 2  # the colour and the clear entry
    drawn = np.asarray(out.convert("RGBA"))
    assert drawn[0].tolist() == [[0, 0, 0, 0]] * 6
    assert np.unique(drawn[1:].reshape(-1, 4), axis=0).tolist() == [[20, 30, 40, 255]]


def test_a_jpeg_output_shows_the_reduced_colours_of_flat_saturated_regions(tmp_path):
    """Eight saturated colours in 8 x 8 blocks: with Pillow's default 4:2:0 chroma the
    JPEG decoded at 18.7 dB PSNR against the PNG of the same command, with 4:4:4 at 55.9."""
    colours = np.array([[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 0],
                        [255, 0, 255], [0, 255, 255], [0, 0, 0], [255, 255, 255]], np.uint8)
    blocks = (np.arange(8)[:, None] + 3 * np.arange(8)[None, :]) % 8
    Image.fromarray(colours[blocks].repeat(8, 0).repeat(8, 1)).save(tmp_path / "flat.png")
    for out in ("flat.k8.png", "flat.k8.jpg"):
        result = run(tmp_path / "flat.png", "-k", 8, "-o", tmp_path / out)
        assert result.exit_code == 0, result.output
    png = np.asarray(Image.open(tmp_path / "flat.k8.png").convert("RGB"), float)
    jpeg = np.asarray(Image.open(tmp_path / "flat.k8.jpg").convert("RGB"), float)
    psnr = 10 * np.log10(255 ** 2 / np.mean((jpeg - png) ** 2))
    assert psnr >= 30


def test_a_tiff_page_left_out_is_a_warning_line(tmp_path):
    """Of a TIFF whose pages differ in size only the first is reduced; the others were
    dropped without a word."""
    pages = [Image.new("RGB", size, c) for size, c in (((6, 4), (200, 0, 0)),
                                                        ((4, 6), (0, 0, 200)))]
    pages[0].save(tmp_path / "doc.tif", save_all=True, append_images=pages[1:])
    result = run(tmp_path / "doc.tif", "-k", 2, "-o", tmp_path / "doc.png", "-q")
    assert result.exit_code == 0, result.output
    assert f"quantize: warning: {tmp_path / 'doc.tif'}: TIFF of 2 pages of different sizes, " \
           "which cannot be the frames of one animation: only its first page (6x4) is read, " \
           "and 1 other page left out; save each page as an image of its own to use it" \
           in result.stderr.splitlines()
    with Image.open(tmp_path / "doc.png") as im:
        assert (im.size, getattr(im, "n_frames", 1)) == ((6, 4), 1)


def _two_pages(path: Path) -> Path:
    """A TIFF of two pages of one size, of many colours (a gradient, red then blue)."""
    ramp = np.linspace(0, 255, 12 * 8).reshape(8, 12).astype(np.uint8)
    zero = np.zeros_like(ramp)
    pages = [Image.fromarray(np.dstack(c)) for c in ((ramp, zero, zero), (zero, zero, ramp))]
    pages[0].save(path, save_all=True, append_images=pages[1:])
    return path


def _tiff_pages(path: Path) -> list[tuple[str, tuple[int, int], str, np.ndarray]]:
    """(mode, size, compression, pixels: RGB or RGBA) of every page of a TIFF file."""
    with Image.open(path) as im:
        assert im.format == "TIFF"
        return [(page.mode, page.size, page.info.get("compression"),
                 np.array(page.convert("RGB") if page.mode == "P" else page))
                for page in ImageSequence.Iterator(im)]


def test_the_pages_of_a_tiff_are_written_as_a_tiff_of_pages(tmp_path):
    # -o doc.k16.tif was refused ("an animation is written as .gif, .png, .apng, .webp,
    # got '.tif'"); given no -o, the pages were written as an animated GIF, with a warning
    # that each page was shown for 1 s, looping forever.
    src = _two_pages(tmp_path / "doc.tif")
    given = run(src, "-k", 6, "-o", tmp_path / "out.tif", "--json")
    named = run(src, "-k", 6)
    assert (given.exit_code, given.stderr) == (0, ""), given.output
    # palette pages carry a colour map of 256 entries (1.5 KB): larger than these tiny pages
    assert named.exit_code == 0, named.output
    assert named.stderr.startswith("quantize: note: ") and "is larger than the input" in \
        named.stderr and "warning" not in named.stderr
    assert json.loads(given.stdout)["frames"] == 2
    assert named.stdout.startswith(f"{src} -> {tmp_path / 'doc.k6.tif'}: 6 colours, PSNR")
    for out in (tmp_path / "out.tif", tmp_path / "doc.k6.tif"):
        pages = _tiff_pages(out)
        assert [page[:3] for page in pages] == [("P", (12, 8), "tiff_adobe_deflate")] * 2
        every = np.concatenate([page[3].reshape(-1, 3) for page in pages])
        assert len(np.unique(every, axis=0)) == 6  # one palette over both pages
    assert (tmp_path / "out.tif").read_bytes() == (tmp_path / "doc.k6.tif").read_bytes()


def test_an_animation_written_as_a_tiff_says_once_that_its_timing_is_lost(tmp_path):
    src = tmp_path / "clip.gif"
    frames = [Image.new("RGB", (4, 4), colour) for colour in ("red", "blue", "lime")]
    frames[0].save(src, save_all=True, append_images=frames[1:], duration=[40, 60, 80])
    result = run(src, "-k", 3, "-o", tmp_path / "out.tif", "--json")
    assert result.exit_code == 0, result.output
    assert result.stderr == (f"quantize: warning: {src}: GIF of 3 frames, shown 40 to 80 ms"
                             ", no loop count: written as the pages of a TIFF without "
                             "them; write .gif to keep them\n")
    assert json.loads(result.stdout)["frames"] == 3
    assert [page[3][0, 0].tolist() for page in _tiff_pages(tmp_path / "out.tif")] == \
        [[255, 0, 0], [0, 0, 255], [0, 255, 0]]


@pytest.mark.parametrize("output", ["out.tif", None])
def test_more_than_256_colours_for_the_pages_of_a_tiff_says_they_share_a_palette(tmp_path,
                                                                                  output):
    # -k allows 65536 for a .tif; the pages of one share a palette of at most 256. Given no
    # output, written as the pages of doc.k300.tif, it said "-k/--colors=300 is more than a
    # palette image holds: ...; use fewer colours: an animation's frames hold at most 256".
    src = _two_pages(tmp_path / "doc.tif")
    result = run(src, "-k", 300, *(["-o", tmp_path / output] if output else []))
    assert result.exit_code == 2
    assert one_error_line(result) == (f"quantize: error: {src}: -k/--colors=300 is more than "
                                      "a TIFF of pages holds: at most 256 colours, as its "
                                      "pages share one palette")
    assert [p.name for p in tmp_path.iterdir()] == ["doc.tif"]


def test_more_than_256_colours_for_a_webp_animation_given_no_output_says_why(tmp_path):
    # Written as a WebP, which holds any number of colours: it was "more than a palette
    # image holds", as if the animation were written as one.
    src = tmp_path / "clip.webp"
    frames = [Image.new("RGB", (4, 4), colour) for colour in ("red", "blue", "lime")]
    frames[0].save(src, save_all=True, append_images=frames[1:], duration=40, lossless=True)
    result = run(src, "-k", 300)
    assert result.exit_code == 2
    assert one_error_line(result) == (f"quantize: error: {src}: -k/--colors=300 is more than "
                                      "an animation holds: at most 256 colours, as its frames "
                                      "share one palette")


@pytest.mark.parametrize("output", ["out.tif", None])
def test_a_palette_per_frame_gives_each_page_of_a_tiff_its_own(tmp_path, output):
    # It was refused, exit 2: "--palette='per-frame' needs a .gif output (local colour
    # tables), got '.tif'". A red page and a blue one: one palette of 4 shared them.
    src = _two_pages(tmp_path / "doc.tif")
    given = ["-o", tmp_path / output] if output else []
    result = run(src, "-k", 4, "--palette", "per-frame", *given)
    assert result.exit_code == 0, result.output
    pages = _tiff_pages(tmp_path / (output or "doc.k4.tif"))
    assert [page[0] for page in pages] == ["P", "P"]
    red, blue = (np.unique(page[3].reshape(-1, 3), axis=0) for page in pages)
    assert (len(red), len(blue)) == (4, 4)
    assert not red[:, 1:].any() and not blue[:, :2].any()


def test_a_tiff_whose_first_page_is_a_thumbnail_is_reduced_at_its_full_size(tmp_path):
    """Page 1 marked a reduced-size copy (NewSubfileType 1), page 2 the image: the 8x6
    thumbnail was reduced, the image said to be '1 other page left out'."""
    thumb, full = Image.new("RGB", (8, 6), (200, 0, 0)), Image.new("RGB", (32, 24), (0, 0, 200))
    full.encoderinfo = {"tiffinfo": {254: 0}}
    thumb.save(tmp_path / "scan.tif", save_all=True, append_images=[full], tiffinfo={254: 1})
    result = run(tmp_path / "scan.tif", "-k", 2, "-o", tmp_path / "scan.png", "-q")
    assert result.exit_code == 0, result.output
    assert f"quantize: warning: {tmp_path / 'scan.tif'}: TIFF of 2 pages of different sizes, " \
           "which cannot be the frames of one animation: only its page 2 (32x24), the first " \
           "not marked a reduced-size copy, is read, and 1 other page left out" \
           in result.stderr.splitlines()
    with Image.open(tmp_path / "scan.png") as im:
        assert (im.size, im.convert("RGB").getcolors()) == ((32, 24), [(768, (0, 0, 200))])



def test_an_icon_of_several_sizes_is_a_warning_line(tmp_path):
    """The largest size of an ICO was reduced, the other sizes dropped without a word."""
    Image.new("RGB", (48, 48), (200, 0, 0)).save(tmp_path / "app.ico",
                                                  sizes=[(16, 16), (32, 32), (48, 48)])
    result = run(tmp_path / "app.ico", "-k", 2, "-o", tmp_path / "app.png", "-q")
    assert result.exit_code == 0, result.output
    assert f"quantize: warning: {tmp_path / 'app.ico'}: ICO of 3 sizes: only the largest " \
           "(48x48) is read, and 2 other sizes left out; save each size as an image of its " \
           "own to use it" in result.stderr.splitlines()
    with Image.open(tmp_path / "app.png") as im:
        assert im.size == (48, 48)


def test_a_proc_file_is_not_an_image_not_an_empty_file(tmp_path):
    """/proc/self/status says 0 bytes and holds text: 'file is empty (0 bytes)'."""
    src = Path("/proc/self/status")
    if not src.is_file() or src.stat().st_size != 0:
        pytest.skip(f"no {src} of size 0 here")
    result = run(src, "-o", tmp_path / "x.png")
    assert result.exit_code == 1
    assert result.stderr == f"quantize: error: {src}: not an image Pillow can identify\n"
    assert list(tmp_path.iterdir()) == []


def test_json_prints_one_object(photo, tmp_path):
    result = run(photo, "-o", tmp_path / "o.gif", "-k", 4, "--space", "lab", "--json")
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert set(record) == {"input", "output", "k", "space", "n_colors", "quality", "dither",
                           "exact_colors", "palette_in", "palette_mode", "seed", "optimize",
                           "psnr", "delta_e", "seconds", "bytes_in", "bytes_out", "frames",
                           "palette"}
    assert record["k"] == 4 and record["space"] == "lab"
    assert record["output"] == str(tmp_path / "o.gif")


def test_a_dithering_strength_too_small_for_a_float_is_not_read_as_zero(photo, tmp_path):
    """1e-400 is below the smallest float: read as 0 it would switch dithering off."""
    result = run(photo, "-o", tmp_path / "o.png", "-k", 4, "--dither=1e-400", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["dither"] > 0
    below = run(photo, "-o", tmp_path / "p.png", "-k", 4, "--dither=-1e-400")
    assert below.exit_code == 2
    assert "--dither='-1e-400' is not valid; expected a strength from 0 to 1" in below.stderr
    assert not (tmp_path / "p.png").exists()


def test_json_of_a_gif_records_the_alpha_the_gif_holds(tmp_path):
    """Entries of alpha 40 and 128 were recorded so, while the GIF draws the first one's
    pixels with its transparent index and the second opaque: the colours are now fitted
    to the alpha the GIF holds, so the record and the --palette-out file beside it give
    the opaque entries drawn, with their shares of the opaque pixels, as for any image
    with transparent pixels; beside a .png, the fitted alpha."""
    rgba = np.array([[[200, 10, 10, 255], [10, 200, 10, 128], [10, 200, 10, 128]],
                     [[10, 10, 200, 40], [10, 10, 200, 40], [10, 10, 200, 40]]], np.uint8)
    Image.fromarray(rgba).save(tmp_path / "icon.png")
    result = run(tmp_path / "icon.png", "-k", 3, "-o", tmp_path / "a.gif", "--json",
                 "--palette-out", tmp_path / "a.json")
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["palette"] == [{"hex": "#0ac80a", "alpha": 255, "share": 0.666667},
                                 {"hex": "#c80a0a", "alpha": 255, "share": 0.333333}]
    written = json.loads((tmp_path / "a.json").read_text())["colors"]
    assert [(e["hex"], e.get("alpha", 255)) for e in written] == [  # entry i: the GIF's i
        ("#000000", 0), ("#0ac80a", 255), ("#c80a0a", 255)]
    with Image.open(tmp_path / "a.gif") as im:
        assert im.info["transparency"] == 0
        assert np.asarray(im.convert("RGBA"))[..., 3].tolist() == [[255, 255, 255], [0, 0, 0]]
    png = run(tmp_path / "icon.png", "-k", 3, "-o", tmp_path / "a.png", "--json")
    assert [e["alpha"] for e in json.loads(png.stdout)["palette"]] == [40, 128, 255]


def test_json_prints_an_object_per_file_written_and_an_error_line_per_failed_one(photo,
                                                                                 tmp_path):
    """As the README and --help say: the failed file is on stderr, named, and in the
    exit code; stdout holds nothing but objects, the failed file's without an output."""
    (tmp_path / "empty.png").write_bytes(b"")
    result = run(photo, tmp_path / "empty.png", "-k", 2, "--json", "-j", 1)
    assert result.exit_code == 1
    assert [(o["input"], o["output"] is None) for o in map(json.loads,
                                                          result.stdout.splitlines())] == [
        (str(photo), False), (str(tmp_path / "empty.png"), True)]
    assert one_error_line(result) == (f"quantize: error: {tmp_path / 'empty.png'}: file is "
                                      "empty (0 bytes), expected an image")


def _options_of(record: dict[str, Any]) -> list[str]:
    """The command-line options a --json record names, as a user would give them back."""
    args = ["--space", record["space"], "--seed", str(record["seed"]),
            "--palette", record["palette_mode"]]
    for flag, key in (("-k", "n_colors"), ("--quality", "quality"),
                      ("--palette-in", "palette_in")):
        if record[key] is not None:
            args += [flag, str(record[key])]
    if record["dither"]:
        args.append(f"--dither={record['dither']}")
    args += [flag for flag, key in (("--exact-colors", "exact_colors"),
                                    ("--optimize", "optimize")) if record[key]]
    return args


@pytest.mark.parametrize("options, recorded", [
    (["-k", "3", "--dither=0.5", "--seed", "5", "--exact-colors", "--optimize"],
     {"n_colors": 3, "quality": None, "dither": 0.5, "exact_colors": True,
      "palette_in": None, "palette_mode": "global", "seed": 5, "optimize": True}),
    (["--quality", "6", "--space", "lab", "--dither", "--seed", "2"],
     {"n_colors": None, "quality": 6.0, "dither": 1.0, "exact_colors": False,
      "palette_in": None, "palette_mode": "global", "seed": 2, "optimize": False}),
    (["--palette-in", "p.hex"],
     {"n_colors": None, "quality": None, "dither": 0.0, "exact_colors": False,
      "palette_in": "p.hex", "palette_mode": "global", "seed": 0, "optimize": False}),
    (["-k", "4", "--palette", "per-frame"],
     {"n_colors": 4, "quality": None, "dither": 0.0, "exact_colors": False,
      "palette_in": None, "palette_mode": "per-frame", "seed": 0, "optimize": False}),
])
def test_json_names_the_options_that_make_the_output_again(photo, tmp_path, monkeypatch,
                                                           options, recorded):
    """The record holds every option that shapes the output (the palette file as typed),
    and those options alone give the same file again."""
    monkeypatch.chdir(tmp_path)
    Path("p.hex").write_text("102030\nc0d0e0\n")
    first = run(photo, "-o", "a.png", "--json", *options)
    assert first.exit_code == 0, first.output
    record = json.loads(first.stdout)
    assert {key: record[key] for key in recorded} == recorded
    again = run(photo, "-o", "b.png", *_options_of(record))
    assert again.exit_code == 0, again.output
    assert Path("b.png").read_bytes() == Path("a.png").read_bytes()


def test_quality_prints_the_chosen_k(photo, tmp_path):
    result = run(photo, "-o", tmp_path / "q.png", "--quality", 6, "--json")
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["delta_e"] <= 6 and 1 <= record["k"] <= 256
    plain = run(photo, "-o", tmp_path / "q2.png", "--quality", 6)
    assert (f"chose k={record['k']} for mean ΔE2000 <= 6, its 99th percentile <= 30 and "
            "its 99.9th <= 60 (set by ") in plain.stdout
    assert f", which k={record['k'] - 1} misses); " in plain.stdout


def product_on_white() -> np.ndarray:
    """A 24 x 24 product photo's likeness: a red object (128 pixels, a darker part of 64)
    on a white canvas (224 pixels) with a grey shadow (120 of 236, a fading edge of 40 of
    246). White holds more than half of the entry it shares with the shadow's edge."""
    image = np.full((24, 24, 3), 255, np.uint8)
    image[14:20, 2:22] = 236
    image[20:22, 2:22] = 246
    image[2:14, 4:20] = (150, 30, 30)
    image[4:12, 8:16] = (120, 20, 25)
    return image


@pytest.mark.parametrize("quality, k", [(3, 2), (1, 4)])
def test_quality_writes_what_k_writes_at_the_k_it_chose(tmp_path, quality, k):
    """--quality fitted without the held colours of -k: at Q = 3 it chose 2 colours and
    drew the white canvas #f8f8f8, the mean of its entry, where -k 2 keeps #ffffff; at
    Q = 1, #fefefe for -k 4's #ffffff. Each k is now fitted as -k fits it: the same bytes."""
    Image.fromarray(product_on_white()).save(tmp_path / "white.png")
    searched = run(tmp_path / "white.png", "-o", tmp_path / "q.png", "--quality", quality,
                   "--json")
    assert searched.exit_code == 0, searched.output
    record = json.loads(searched.stdout)
    assert (record["k"], record["palette"][0]["hex"]) == (k, "#ffffff")
    alone = run(tmp_path / "white.png", "-o", tmp_path / "k.png", "-k", k)
    assert alone.exit_code == 0, alone.output
    assert (tmp_path / "q.png").read_bytes() == (tmp_path / "k.png").read_bytes()
    assert (255, 255, 255) in Image.open(tmp_path / "q.png").convert("RGB").getdata()


def test_quality_keeps_a_small_area_of_its_own_colour_and_says_the_tail(tmp_path):
    """10 red pixels beside 1010 grey ones are a mean CIEDE2000 of 1.4 from one colour:
    --quality 2 chose k=1 and drew them grey; the 99.9th percentile now keeps them."""
    image = np.full((10, 102, 3), 128, np.uint8)
    image[0, :10] = (220, 30, 30)
    Image.fromarray(image).save(tmp_path / "dots.png")
    result = run(tmp_path / "dots.png", "-o", tmp_path / "q.png", "--quality", 2)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(
        f"{tmp_path / 'dots.png'} -> {tmp_path / 'q.png'}: chose k=2 for mean ΔE2000 <= 2, "
        "its 99th percentile <= 10 and its 99.9th <= 20 (set by the 99.9th percentile, which "
        "k=1 misses); 2 colours, lossless, ")
    missed = run(tmp_path / "dots.png", "-o", tmp_path / "k1.png", "--quality", 2, "-k", 1)
    assert (missed.exit_code, missed.stderr) == (
        99, f"quantize: error: {tmp_path / 'dots.png'}: --quality=2: mean CIEDE2000 <= 2, its "
            "99th percentile <= 10 and its 99.9th <= 20 needs more than 1 colour (they reach a "
            "mean CIEDE2000 of 0.293, its 99.9th percentile 29.89 > 20); --quality-limit=2.99 "
            "or more keeps their result (set by their 99.9th percentile 29.89 <= 10 × 2.99), "
            "which -k/--colors=1 alone gives\n")
    assert not (tmp_path / "k1.png").exists()


def _grey_with_a_red_square(side):
    """256 x 256 grey 128 with a ``side`` x ``side`` red square: of 6 pixels a side, 36
    pixels (0.05 %, within the tail's 0.1 %), 16 of them inner, an area QUALITY_ACCENT
    bounds."""
    image = np.full((256, 256, 3), 128, np.uint8)
    image[100:100 + side, 100:100 + side] = (220, 30, 30)
    return image


def _grey_with_red_specks():
    """64 x 64 grey 128 with a red pixel every 8 in each direction: 1.6 % of the pixels,
    none inner (so no area), past the 1 % the 99th percentile allows."""
    image = np.full((64, 64, 3), 128, np.uint8)
    image[::8, ::8] = (220, 30, 30)
    return image


def _ramp():
    """16 x 64 grey ramp 0..255: the mean sets k."""
    return np.tile(np.linspace(0, 255, 64).astype(np.uint8)[None, :, None], (16, 1, 3))


@pytest.mark.parametrize("image, quality, k, bound, words", [
    (_grey_with_a_red_square(6), 3, 2, "area",
     "set by every colour of at least 16 pixels and 0.005% of them within 12, which k=1 "
     "misses"),
    (_ramp(), 2, 10, "mean", "set by the mean, which k=9 misses"),
    (_grey_with_red_specks(), 3, 2, "percentile_99",
     "set by the 99th percentile, which k=1 misses"),
    (np.full((8, 8, 3), 90, np.uint8), 3, 1, "fewest_colors",
     "k=1, the fewest colours there can be"),
])
def test_quality_says_which_bound_set_the_k_it_chose(tmp_path, image, quality, k, bound,
                                                     words):
    """'chose k=80 for mean ΔE2000 <= 3, its 99th percentile <= 15 and its 99.9th <= 30'
    of a scanned page that -k 24 meets those three for: the area rule, which the line did
    not name, had set k. The line and the record (quality_bound) now say the bound that
    one colour fewer misses."""
    src = tmp_path / "in.png"
    Image.fromarray(image).save(src)
    result = run(src, "-o", tmp_path / "q.png", "--quality", quality)
    assert result.exit_code == 0, result.output
    terms = (f"mean ΔE2000 <= {quality}, its 99th percentile <= {5 * quality} and its 99.9th "
             f"<= {10 * quality}")
    assert result.stdout.startswith(f"{src} -> {tmp_path / 'q.png'}: chose k={k} for {terms} "
                                    f"({words}); ")
    record = json.loads(run(src, "-o", tmp_path / "j.png", "--quality", quality,
                            "--json").stdout)
    assert (record["k"], record["quality_bound"]) == (k, bound)
    assert "quality_bound" not in json.loads(run(src, "-o", tmp_path / "k.png", "-k", 2,
                                                 "--json").stdout)


def test_an_animations_quality_says_which_bound_set_its_k(tmp_path):
    """An animation's palette, searched on its frames pooled, says it as a still's does."""
    frames = [Image.fromarray(np.roll(_ramp(), 3 * i, axis=1)) for i in range(2)]
    frames[0].save(tmp_path / "ramp.png", save_all=True, append_images=frames[1:],
                   duration=100, loop=0)
    result = run(tmp_path / "ramp.png", "-o", tmp_path / "q.gif", "--quality", 2)
    assert result.exit_code == 0, result.output
    assert ("chose k=10 for mean ΔE2000 <= 2, its 99th percentile <= 10 and its 99.9th <= 20 "
            "(set by the mean, which k=9 misses); 10 colours, ") in result.stdout
    record = json.loads(run(tmp_path / "ramp.png", "-o", tmp_path / "j.gif", "--quality", 2,
                            "--json").stdout)
    assert (record["frames"], record["quality_bound"]) == (2, "mean")


def test_the_bound_said_is_the_one_the_colours_below_miss(tmp_path):
    """The area named as setting k: one colour fewer misses it, and meets the others (the
    error of -k k-1 names it alone), where the square is too small to count as an area."""
    Image.fromarray(_grey_with_a_red_square(6)).save(tmp_path / "sq.png")
    missed = run(tmp_path / "sq.png", "-o", tmp_path / "k1.png", "--quality", 3, "-k", 1)
    assert missed.exit_code == 99
    assert "(they reach a mean CIEDE2000 of 0.01642, a colour of 16 pixels" in missed.stderr
    Image.fromarray(_grey_with_a_red_square(5)).save(tmp_path / "small.png")
    result = run(tmp_path / "small.png", "-o", tmp_path / "s.png", "--quality", 3, "--json")
    record = json.loads(result.stdout)
    assert (record["k"], record["quality_bound"]) == (1, "fewest_colors")


def test_a_gif_of_soft_alpha_is_not_said_lossless(tmp_path):
    """An icon of one colour under soft alpha, written .gif (its alpha made binary, with a
    warning), was said "1 colour, lossless, mean ΔE2000 0.00": the metrics compare with
    the binary alpha, so the line says what they leave out."""
    glow = np.zeros((4, 4, 4), np.uint8)
    glow[..., :3] = (255, 200, 40)
    glow[..., 3] = [[0, 60, 200, 255]] * 4  # 4 faint, 4 nearly opaque pixels
    Image.fromarray(glow).save(tmp_path / "glow.png")
    result = run(tmp_path / "glow.png", "-k", 16, "-o", tmp_path / "glow.gif")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(
        f"{tmp_path / 'glow.png'} -> {tmp_path / 'glow.gif'}: 1 colour, lossless but for the "
        "alpha of 8 translucent pixels, mean ΔE2000 0.00, ")
    record = json.loads(run(tmp_path / "glow.png", "-k", 16, "-o", tmp_path / "j.gif",
                            "--json").stdout)
    assert (record["psnr"], record["alpha_thresholded"]) == (None, 8)
    png = run(tmp_path / "glow.png", "-k", 16, "-o", tmp_path / "glow.png.png", "--json")
    assert "alpha_thresholded" not in json.loads(png.stdout)  # alpha kept: nothing lost


def test_an_animated_gif_of_soft_alpha_is_not_said_lossless(tmp_path):
    """A 2-frame APNG of one colour per frame under soft alpha, written .gif, was said
    "2 colours, lossless": as a still's, the line and the record say how many translucent
    pixels, over all frames, the metrics leave out."""
    glow = np.zeros((4, 4, 4), np.uint8)
    glow[..., :3] = (255, 200, 40)
    glow[..., 3] = [[0, 60, 200, 255]] * 4  # 4 faint, 4 nearly opaque pixels a frame
    second = glow.copy()
    second[..., 1] = 100
    Image.fromarray(glow).save(tmp_path / "anim.png", save_all=True, duration=100, loop=0,
                               append_images=[Image.fromarray(second)])
    result = run(tmp_path / "anim.png", "-k", 16, "-o", tmp_path / "anim.gif")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(
        f"{tmp_path / 'anim.png'} -> {tmp_path / 'anim.gif'}: 2 colours, lossless but for the "
        "alpha of 16 translucent pixels, mean ΔE2000 0.00, ")
    record = json.loads(run(tmp_path / "anim.png", "-k", 16, "-o", tmp_path / "j.gif",
                            "--json").stdout)
    assert (record["frames"], record["psnr"], record["alpha_thresholded"]) == (2, None, 16)
    apng = run(tmp_path / "anim.png", "-k", 16, "-o", tmp_path / "anim.apng", "--json")
    assert "alpha_thresholded" not in json.loads(apng.stdout)  # alpha kept: nothing lost


def test_the_summary_of_soft_alpha_gives_the_psnr_on_black_and_on_white(tmp_path):
    """The line said the premultiplied PSNR, which is on black with alpha's error beside,
    so a fit that looks better on white read lower. Two greys 200 of alpha 100 and 200 at
    -k 1 take one entry, grey 200 of alpha 150, each 39.2 off on black, 10.8 on white."""
    greys = np.full((1, 2, 4), 200, np.uint8)
    greys[0, :, 3] = (100, 200)
    Image.fromarray(greys).save(tmp_path / "greys.png")
    shown = {0.0: [], 255.0: []}
    for a in (100, 200):
        for level, errors in shown.items():
            errors.append((200 - level) * (a - 150) / 255)
    db = [10 * np.log10(255**2 / np.mean(np.square(e))) for e in shown.values()]
    record = json.loads(run(tmp_path / "greys.png", "-k", 1, "-o", tmp_path / "j.png",
                            "--json").stdout)
    assert record["palette"] == [{"hex": "#c8c8c8", "alpha": 150, "share": 1.0}]
    on = record["psnr_on_black"], record["psnr_on_white"]
    assert on == pytest.approx(db, abs=0.01)  # 16.26 and 27.47, the entry's colour rounded
    result = run(tmp_path / "greys.png", "-k", 1, "-o", tmp_path / "out.png")
    assert result.exit_code == 0, result.output
    assert f": 1 colour, PSNR {on[0]:.2f} dB on black, {on[1]:.2f} dB on white, mean" in \
        result.stdout
    assert record["psnr"] < db[0]  # kept: premultiplied RGBA, alpha's error counted
    Image.fromarray(greys[..., :3]).save(tmp_path / "opaque.png")  # nothing translucent
    opaque = json.loads(run(tmp_path / "opaque.png", "-k", 1, "-o", tmp_path / "o.png",
                            "--json").stdout)
    assert "psnr_on_black" not in opaque and opaque["psnr"] is None
    Image.fromarray(greys).save(tmp_path / "anim.png", save_all=True, duration=100, loop=0,
                                append_images=[Image.fromarray(greys[:, ::-1])])
    apng = json.loads(run(tmp_path / "anim.png", "-k", 1, "-o", tmp_path / "a.apng",
                          "--json").stdout)
    assert (apng["psnr_on_black"], apng["psnr_on_white"]) == pytest.approx(on, abs=1e-4)


_QUALITY_MEANS = ("a bound Q on CIEDE2000 differences (about 1 is just noticeable, 5 visibly "
                  "posterised), not pngquant's 0-100 score: their mean <= Q, 99th percentile "
                  "<= 5 Q and 99.9th <= 10 Q")


_PNGQUANT_RANGE = ("pngquant's --quality 65-80 is about --quality 2 --quality-limit 3 on "
                   "photos (80 draws them with a mean ΔE2000 of 1.4-2.6; 65, the floor below "
                   "which it writes nothing, 1.8-2.9), --quality 0.5 --quality-limit 3 on "
                   "icons with soft shadows; pngquant dithers by default: add --dither for "
                   "gradients (a heatmap), which --quality alone draws in bands")


def test_a_quality_past_20_is_refused_as_a_colour_difference_not_a_score(photo, tmp_path):
    """A pngquant user's --quality 80 (a 0-100 score there) was taken as mean ΔE2000 <= 80,
    with a warning, and gave 1 colour (PSNR 12.89 dB), exit 0; it is refused as 65-80 is."""
    result = run(photo, "-o", tmp_path / "q.png", "--quality", 80)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (f"quantize: error: --quality=80 should be <= 20: --quality is "
                             f"{_QUALITY_MEANS}; {_PNGQUANT_RANGE}\n")
    assert not (tmp_path / "q.png").exists()
    kept = run(photo, "-o", tmp_path / "q20.png", "--quality", 20)
    assert kept.exit_code == 0 and kept.stderr == ""


def test_a_quality_past_20_is_refused_before_any_file(tmp_path, monkeypatch):
    """Said once, before any file is read, for many stills and an animation."""
    monkeypatch.chdir(tmp_path)
    frames = [Image.new("RGB", (4, 4), c) for c in ("red", "blue")]
    frames[0].save("a.png")
    frames[1].save("b.png")
    frames[0].save("c.gif", save_all=True, append_images=frames[1:])
    result = run("a.png", "b.png", "c.gif", "--quality", 80, "-q")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"quantize: error: --quality=80 should be <= 20: --quality is {_QUALITY_MEANS}; "
        f"{_PNGQUANT_RANGE}"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png", "b.png", "c.gif"]


@pytest.mark.parametrize("value", ["65-80", "65.5 - 80"])
def test_a_pngquant_quality_range_is_refused_with_what_quality_means(photo, tmp_path, value):
    result = run(photo, "-o", tmp_path / "q.png", "--quality", value)
    assert (result.exit_code, result.stderr) == (
        2, f"quantize: error: --quality='{value}' is not valid; expected a number; --quality "
           f"is {_QUALITY_MEANS}; {_PNGQUANT_RANGE}\n")
    assert not (tmp_path / "q.png").exists()
    other = run(photo, "-o", tmp_path / "q.png", "--quality", "abc")
    assert other.stderr == "quantize: error: --quality='abc' is not valid; expected a number\n"


def test_quality_with_dither_says_the_k_was_chosen_undithered(photo, tmp_path):
    """'chose k=107 for mean ΔE2000 <= 2; 107 colours, ..., mean ΔE2000 2.04' read as a
    broken promise: --quality measures each k without dithering, which the line now says."""
    result = run(photo, "-o", tmp_path / "q.png", "--quality", 3, "--dither")
    assert result.exit_code == 0, result.output
    assert re.fullmatch(rf"{re.escape(str(photo))} -> {re.escape(str(tmp_path / 'q.png'))}: "
                        r"chose k=(\d+) for mean ΔE2000 <= 3, its 99th percentile <= 15 and "
                        r"its 99\.9th <= 30 \(measured without dithering; set by [^)]+, which "
                        r"k=\d+ misses\); "
                        r"\1 colours, PSNR \d+\.\d\d dB \(\d+\.\d\d dB blurred, σ 1 px\), "
                        r"mean ΔE2000 \d+\.\d\d, \d+\.\d\d s\n",
                        result.stdout)


@pytest.mark.parametrize("output, extra, more", [
    ("out.tif", [], "; allow more with -k/--colors=K"),
    ("out.png", [], "; an output in RGB (.tif, .webp, .jpg) may hold more, with -k/--colors=K"),
    ("out.png", ["-k", "256"], ""),
    # -k above 256 is allowed with --quality, but a .png stops at 256: said, not left out
    ("out.png", ["-k", "300"], "; a palette image holds no more; an output in RGB (.tif, "
                               ".webp, .jpg) may hold the -k/--colors=300 allowed"),
    ("out.png", ["--dither"], ""),  # dithering takes at most 256 colours in any format
])
def test_an_unreachable_quality_says_how_to_allow_more_colours_where_it_can(tmp_path, output,
                                                                            extra, more):
    # A .tif holds more than 256 colours, and -k allows them; a .png does not, so it
    # points to the formats that do.
    noise = np.random.default_rng(0).integers(0, 256, (20, 20, 3), dtype=np.uint8)
    Image.fromarray(noise).save(tmp_path / "n.png")
    result = run(tmp_path / "n.png", "--quality", "0.01", "-o", tmp_path / output, *extra)
    assert (result.exit_code, result.stderr) == (
        99, f"quantize: error: {tmp_path / 'n.png'}: --quality=0.01: mean CIEDE2000 <= 0.01 "
            f"needs more than 256 colours (they reach a mean CIEDE2000 of 1.456); "
            f"--quality-limit=1.53 or more keeps their result (set by their 99.9th percentile "
            f"15.26 <= 10 × 1.53), which -k/--colors=256 alone gives{more}\n")


@pytest.mark.parametrize("extra, more", [
    ([], "an output in RGBA (.tif, .webp), which keeps the alpha, may hold more, with "
         "-k/--colors=K"),
    (["-k", "300"], "a palette image holds no more; an output in RGBA (.tif, .webp), which "
                    "keeps the alpha, may hold the -k/--colors=300 allowed"),
])
def test_an_unreachable_quality_of_an_image_with_alpha_names_the_formats_that_keep_it(
        tmp_path, extra, more):
    # A .tif or .webp of an input with alpha is RGBA; only a .jpg is RGB, without the alpha.
    noise = np.random.default_rng(0).integers(0, 256, (20, 20, 4), dtype=np.uint8)
    noise[..., 3] = 255
    noise[:, :4, 3] = 0
    Image.fromarray(noise).save(tmp_path / "n.png")
    result = run(tmp_path / "n.png", "--quality", "0.01", "-o", tmp_path / "out.png", *extra)
    assert (result.exit_code, result.stderr) == (
        99, f"quantize: error: {tmp_path / 'n.png'}: --quality=0.01: mean CIEDE2000 <= 0.01 "
            f"needs more than 255 colours (they reach a mean CIEDE2000 of 0.7129); "
            f"--quality-limit=0.92 or more keeps their result (set by their 99th percentile "
            f"4.56 <= 5 × 0.92), which -k/--colors=255 alone gives; {more}\n")


def test_dither_lines_write_the_strength_as_given(photo, tmp_path, monkeypatch):
    # %g cut it to "--dither=0.123457", in the refusal and in the batch call given for a folder
    monkeypatch.chdir(tmp_path)
    Path("folder").mkdir()
    many = run(photo, "-k", "300", "-o", "x.tif", "--dither=0.123456789")
    assert (many.exit_code, many.stderr) == (
        2, "quantize: error: --dither=0.123456789 supports at most 256 colours, got "
           "-k/--colors=300\n")
    folder = run("folder", "-k", "4", "--dither=0.123456789")
    assert (folder.exit_code, folder.stderr) == (
        1, "quantize: error: folder: is a directory, expected an image file; for every image "
           "in it: quantize batch folder -o OUT_DIR -k 4 --dither=0.123456789\n")


@pytest.mark.parametrize("dither, shown", [("--dither", "--dither"),
                                           ("--dither=1", "--dither=1")])
def test_a_dither_refusal_writes_the_flag_as_typed(photo, tmp_path, monkeypatch, dither, shown):
    # plain --dither was refused as "--dither=1 supports at most 256 colours ..."
    monkeypatch.chdir(tmp_path)
    Path("big.hex").write_text("".join(f"{i:06x}\n" for i in range(300)))
    many = run(photo, "-k", "300", "-o", "x.tif", dither)
    assert (many.exit_code, many.stderr) == (
        2, f"quantize: error: {shown} supports at most 256 colours, got -k/--colors=300\n")
    palette = run(photo, "--palette-in", "big.hex", "-o", "x.tif", dither)
    assert (palette.exit_code, palette.stderr) == (
        2, f"quantize: error: {photo}: {shown} supports at most 256 colours, got a palette "
           "of 300; give -k/--colors=N (N <= 256) to map onto the best N of its entries, "
           "which picks N of them and renumbers them from 0 (entry i of the palette is then "
           "not index i)\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.hex", "photo.png"]


def test_quality_lines_write_the_value_as_the_help_writes_numbers(photo, tmp_path):
    # %g wrote "1e-05" and cut 6.123456789 to "6.12346"
    exact = run(photo, "-o", tmp_path / "q.png", "--quality", "6.123456789")
    assert exact.exit_code == 0, exact.output
    assert ("for mean ΔE2000 <= 6.123456789, its 99th percentile <= 30.617283945 and its "
            "99.9th <= 61.23456789 (set by ") in exact.stdout
    tiny = run(photo, "-o", tmp_path / "t.png", "--quality", "0.00001", "-k", "2")
    assert (tiny.exit_code, tiny.stderr) == (
        99, f"quantize: error: {photo}: --quality=1e-5: mean CIEDE2000 <= 1e-5 needs more "
            "than 2 colours (they reach a mean CIEDE2000 of 12.66); --quality-limit=12.66 or "
            "more keeps their result, which -k/--colors=2 alone gives\n")



def test_an_unreachable_quality_at_one_colour_is_said_in_the_singular(tmp_path):
    # "needs more than 1 colours". The figures are those of -k 1's output, fitted around
    # the transparent entry (the search fitted without it, and said 24.16 where -k 1
    # writes 19.32)
    two = np.zeros((4, 4, 4), np.uint8)
    two[..., 3] = 255
    two[:, :2, 0] = 200
    two[0, 0, 3] = 0  # with alpha, as the reported image was
    Image.fromarray(two).save(tmp_path / "rgba.png")
    result = run(tmp_path / "rgba.png", "-k", "1", "--quality", "1", "-o", tmp_path / "o.png")
    assert (result.exit_code, result.stderr) == (
        99, f"quantize: error: {tmp_path / 'rgba.png'}: --quality=1: mean CIEDE2000 <= 1 needs "
            "more than 1 colour (they reach a mean CIEDE2000 of 19.32); --quality-limit=19.32 "
            "or more keeps their result, which -k/--colors=1 alone gives\n")
    assert not (tmp_path / "o.png").exists()
    kept = run(tmp_path / "rgba.png", "-k", "1", "--quality", "1", "--quality-limit", "19.32",
               "-o", tmp_path / "o.png")
    alone = run(tmp_path / "rgba.png", "-k", "1", "-o", tmp_path / "k1.png")
    assert (kept.exit_code, alone.exit_code) == (0, 0)
    assert (tmp_path / "o.png").read_bytes() == (tmp_path / "k1.png").read_bytes()


@pytest.mark.parametrize("typed", ["1e-400", "0.10000000000000000001"])
def test_quality_that_no_float_holds_is_echoed_as_typed(photo, two_frame_gif, tmp_path,
                                                         monkeypatch, typed):
    # --quality 1e-400, read as the smallest float above 0, was echoed "--quality=5e-324:
    # mean CIEDE2000 <= 5e-324 needs more than 2 colours", a number the user never typed;
    # so for a still, an animation, and files reduced by the worker pool (several inputs).
    monkeypatch.chdir(tmp_path)
    shutil.copy(photo, "again.png")
    reach = {"photo.png": "a mean CIEDE2000 of 12.66); --quality-limit=12.66",
             "again.png": "a mean CIEDE2000 of 12.66); --quality-limit=12.66",
             "anim.gif": "with each colour of the frames on its nearest entry, a mean "
                         "CIEDE2000 of 37.68); --quality-limit=37.68"}
    for inputs in (["photo.png"], ["anim.gif"], ["photo.png", "again.png"]):
        result = run(*inputs, "--quality", typed, "-k", 2, "--ext", ".q.png", "-j", 2)
        assert result.exit_code == 99
        assert sorted(result.stderr.splitlines()) == [
            f"quantize: error: {name}: --quality={typed}: mean CIEDE2000 <= {typed} needs more "
            f"than 2 colours (they reach{',' * (name == 'anim.gif')} {reach[name]} or more "
            "keeps their result, which -k/--colors=2 alone gives"
            for name in sorted(inputs)]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["again.png", "anim.gif",
                                                           "photo.png"]
    flat = Image.new("RGB", (4, 4), (200, 30, 30))
    flat.save("flat.png")
    line = run("flat.png", "--quality", typed, "-o", "q.png")
    assert line.exit_code == 0, line.output
    assert f"chose k=1 for mean ΔE2000 <= {typed}, its 99th percentile <= " in line.stdout
    assert {"1e-400": "<= 5e-400 and its 99.9th <= 1e-399 (k=1, ",  # in decimal, as typed
            "0.10000000000000000001": "<= 0.50000000000000000005 and its 99.9th <= "
                                      "1.0000000000000000001 (k=1, "}[typed] in line.stdout


def test_quality_minus_zero_is_written_as_zero(photo, tmp_path):
    """--quality -0, which the check takes as 0, was written "<= -0" in the line and its
    error, and as -0.0 in the --json record."""
    flat = tmp_path / "flat.png"
    Image.new("RGB", (4, 4), (200, 30, 30)).save(flat)
    line = run(flat, "-o", tmp_path / "q.png", "--quality", "-0")
    assert line.exit_code == 0, line.output
    assert (" for mean ΔE2000 <= 0, its 99th percentile <= 0 and its 99.9th <= 0 (k=1, the "
            "fewest colours there can be); ") in line.stdout
    record = json.loads(run(flat, "-o", tmp_path / "j.png", "--quality", "-0",
                            "--json").stdout)
    assert str(record["quality"]) == "0.0"
    missed = run(photo, "-o", tmp_path / "m.png", "--quality", "-0", "-k", "2")
    assert (missed.exit_code, missed.stderr) == (
        99, f"quantize: error: {photo}: --quality=0: mean CIEDE2000 <= 0 needs more than 2 "
            "colours (they reach a mean CIEDE2000 of 12.66); --quality-limit=12.66 or more "
            "keeps their result, which -k/--colors=2 alone gives\n")

@pytest.mark.parametrize("output", ["a.webp", "a.tif", None])
def test_too_many_colours_for_an_animation_are_refused_in_one_wording(tmp_path, output):
    """Three wordings by the output's format: "is more than a palette image holds: at most 256
    colours; use fewer colours: an animation's frames hold at most 256 in every format"
    (.gif, .png, .apng, stdout), "should be <= 256 for an animation" (.webp, no output) and
    "should be <= 256 for the pages of a TIFF, which share one palette" (.tif); then one,
    in another shape than a still's "is more than a palette image holds". An output named
    .gif, .png or stdout, which holds 256 whatever the input, is refused before any file is
    read (test_too_many_colours_for_an_indexed_output_named_are_refused_up_front)."""
    frames = [Image.new("RGB", (8, 8), (40 * i, 90, 200)) for i in range(3)]
    src = tmp_path / "anim.gif"
    frames[0].save(src, save_all=True, append_images=frames[1:], duration=50)
    result = run(src, "-k", 300, *([] if output is None else ["-o", tmp_path / output]))
    assert result.exit_code == 2 and result.stdout_bytes == b""
    assert one_error_line(result) == (f"quantize: error: {src}: -k/--colors=300 is more than "
                                      "an animation holds: at most 256 colours, as its frames "
                                      "share one palette")
    assert [p.name for p in tmp_path.iterdir()] == ["anim.gif"]


_NO_INDEXED_ROOM = ("more than a palette image holds: at most 256 colours; use fewer "
                    "colours, or for a still image a .jpg/.webp/.tif output")
# Said of stdout, whose format --format names: "a .jpg/.webp/.tif output, on stdout with
# --format (e.g. --format tif)" named the formats twice, and one of them again.
_NO_INDEXED_ROOM_ON_STDOUT = ("more than a palette image holds: at most 256 colours; use "
                              "fewer colours, or for a still image --format jpg, webp or tif")


#: How a refusal of a --palette-in of too many colours says to choose the best of them.
_CHOOSE_FEWER = ("; give -k/--colors=N (N <= 256) to map onto the best N of its entries, "
                 "which picks N of them and renumbers them from 0 (entry i of the palette is "
                 "then not index i)")

# -o names the output of one input; --ext those of several.
_ONE_OR_MORE = [(inputs, output) for inputs in (["photo.png"], ["anim.gif"])
                for output in ("o.png", "o.gif", "o.apng", "-", "--ext=.s.gif")]
_ONE_OR_MORE.append((["photo.png", "anim.gif"], "--ext=.s.gif"))


@pytest.mark.parametrize("given", [["-k", "300"], ["--palette-in", "big.hex"]])
@pytest.mark.parametrize(("inputs", "output"), _ONE_OR_MORE)
def test_too_many_colours_for_an_indexed_output_named_are_refused_up_front(
        photo, two_frame_gif, tmp_path, monkeypatch, inputs, output, given):
    # A still said "photo.png: -k/--colors=300 is more than a palette image holds: ...", an
    # animation "anim.gif: -k/--colors=300 should be <= 256 for an animation, whose frames
    # share one palette", as if the problem were each file's, and the still's output was
    # written before the animation failed; so for --palette-in: "photo.png: --palette-in=
    # 'big.hex' holds 300 colours, more than ..." and "anim.gif: --palette-in='big.hex' has
    # 300 colours; an animation holds at most 256". An output named .png or .gif holds 256
    # whatever its input: one line, naming the option, before any file is read.
    monkeypatch.chdir(tmp_path)
    Path("big.hex").write_text("".join(f"{i:06x}\n" for i in range(300)))
    before = sorted(p.name for p in tmp_path.iterdir())
    named = [output] if output.startswith("--ext") else ["-o", output]
    result = run(*inputs, *given, *named)
    what = "-k/--colors=300 is" if given[0] == "-k" else \
        "--palette-in='big.hex' holds 300 colours,"
    room = _NO_INDEXED_ROOM_ON_STDOUT if output == "-" else _NO_INDEXED_ROOM
    if given[0] == "--palette-in":  # -k N chooses the best N of them
        room = room.replace("colours; use", f"colours{_CHOOSE_FEWER}; use")
    assert (result.exit_code, result.stdout_bytes) == (2, b"")
    assert one_error_line(result) == f"quantize: error: {what} {room}"
    assert sorted(p.name for p in tmp_path.iterdir()) == before


@pytest.mark.parametrize("args, code, match", [
    (["missing.png"], 1, "missing.png: no such file"),
    (["-k", "300"], 2, "-k/--colors=300 is more than a palette image holds"),
    (["-k", "0"], 2, "-k/--colors=0 should be >= 1"),
    (["-k", "-1"], 2, "-k/--colors=-1 should be >= 1"),
    # an output in RGB took any number: the fit of a photo then ran for hours
    (["-k", "100000", "-o", "x.webp"], 2, "-k/--colors=100000 should be <= 65536, the most "
     "colours a palette is fitted to (4096 took 12 s on a 12 MP photo, 60000 took 26 s on "
     "65536 random colours)"),
    (["-k", "65537", "--quality", "1", "-o", "x.tif"], 2, "-k/--colors=65537 should be <= "
     "65536"),
    (["--space", "hsv"], 2, "--space='hsv' is not valid"),
    (["-o", "out.tga"], 2, "-o/--output='out.tga' has an unsupported extension '.tga'"),
    # a name without one said "has an unsupported extension '(none)'", a quoted word
    (["-o", "out"], 2, "-o/--output='out' has no extension; expected one of .png,"),
    (["--palette-out", "pal"], 2, "--palette-out='pal' has no extension; expected one of .gpl,"),
    (["-k", "2", "--quality", "0.01"], 99, "--quality=0.01: mean CIEDE2000 <= 0.01 needs more"),
    # -k goes with it (the best K of its colours); --exact-colors does not
    (["--palette-in", "p.hex", "-k", "4", "--exact-colors"], 2, "--palette-in='p.hex' fixes "
     "the colours, so --exact-colors cannot be given with it"),
    (["--palette-in", "p.hex", "--exact-colors"], 2, "--palette-in='p.hex' fixes the colours, "
     "so --exact-colors cannot be given with it"),  # the flag as typed: it takes no value
    (["--palette-in", "p.hex", "--quality", "2"], 2, "--palette-in='p.hex' fixes the colours, "
     "so --quality=2 cannot be given with it"),  # as typed: not "2.0"
    (["--seed", "-1"], 2, "--seed=-1 should be >= 0"),
    (["--max-pixels", "0"], 2, "--max-pixels=0 should be >= 1"),
    (["--max-frames", "0"], 2, "--max-frames=0 should be >= 1"),
    (["--palette-in", "missing.gpl"], 1, "missing.gpl: no such palette file"),
])
def test_errors_are_one_line_with_their_exit_code(photo, tmp_path, monkeypatch, args, code,
                                                  match):
    monkeypatch.chdir(tmp_path)
    argv = args if args[0] == "missing.png" else [photo, *args]
    result = run(*argv)
    assert result.exit_code == code
    assert match in one_error_line(result)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["photo.png"]  # nothing written


@pytest.mark.parametrize("name, why", [
    ("out.tga", "has an unsupported extension '.tga'"), ("out", "has no extension")])
@pytest.mark.parametrize("source", ["photo.png", "anim.gif"])
def test_an_output_extension_no_output_takes_is_named_as_the_option_alone(
        photo, two_frame_gif, tmp_path, monkeypatch, source, name, why):
    # It said "photo.png: -o/--output='out.tga' has an unsupported extension ...", naming
    # the input, whose problem it is not (the same for any input), as a folder given as -o
    # is named as the option alone.
    monkeypatch.chdir(tmp_path)
    result = run(source, "-o", name)
    assert (result.exit_code, result.stderr) == (
        2, f"quantize: error: -o/--output={name!r} {why}; expected one of .png, .apng, .gif, "
           ".bmp, .jpg, .jpeg, .webp, .tif, .tiff\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["anim.gif", "photo.png"]


@pytest.mark.parametrize("folder", ["out", "out.png", ".", "out/"])
@pytest.mark.parametrize("flag, args", [("-o/--output", ["-o"]),
                                        ("--palette-out", ["-o", "small.png", "--palette-out"])])
def test_an_output_that_is_a_folder_is_refused_as_a_usage_error(photo, tmp_path, monkeypatch,
                                                                folder, flag, args):
    # -o out said "-o/--output='out' has an unsupported extension '(none)'" (exit 2); then
    # -o out, -o . and --palette-out . "out: is a directory, expected an output file name"
    # (exit 1), in another shape than "-o/--output='small.png/' ends in '/', ...". Named as
    # the option alone, as segment names its -o and reduce a missing folder: not the input.
    monkeypatch.chdir(tmp_path)
    Path("out.png" if folder == "out.png" else "out").mkdir()
    result = run(photo, "-k", 2, *args, folder)
    assert (result.exit_code, result.stderr) == (
        2, f"quantize: error: {flag}={folder!r} is a folder; expected a file name\n")
    assert sorted(p.name for p in tmp_path.rglob("*")) == sorted(
        ["photo.png", "out.png" if folder == "out.png" else "out"])


@pytest.mark.parametrize("args, line", [
    (["-o", "small.png/"], "-o/--output='small.png/' ends in '/'"),
    (["-o", "new/"], "-o/--output='new/' ends in '/'"),
    (["-o", "small.png", "--palette-out", "small.hex/"], "--palette-out='small.hex/' ends in '/'"),
])
def test_an_output_name_that_ends_in_a_slash_is_refused_as_a_folders(photo, tmp_path,
                                                                     monkeypatch, args, line):
    """'-o small.png/' wrote the file small.png, and '--palette-out small.hex/' small.hex:
    the slash, which says a folder, was dropped; '-o new/' said "-o/--output='new' has an
    unsupported extension"."""
    monkeypatch.chdir(tmp_path)
    result = run(photo, "-k", 2, *args)
    assert (result.exit_code, result.stderr) == (
        2, f"quantize: error: {line}, which names a folder; expected a file name\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["photo.png"]


@pytest.mark.parametrize("args", [["/"], ["."], [".", "--ext", ".x.png"]])
def test_a_folder_without_a_file_name_is_refused_as_a_folder(tmp_path, monkeypatch, args):
    monkeypatch.chdir(tmp_path)
    result = run(*args)
    assert result.exit_code == 1
    carried = " --ext .x.png" if "--ext" in args else ""  # batch names its outputs so too
    assert one_error_line(result) == f"quantize: error: {args[0]}: is a directory, expected " \
        f"an image file; for every image in it: quantize batch {args[0]} -o OUT_DIR{carried}"


@pytest.mark.parametrize("args, carried, dropped", [
    (["-k", "8", "--dither=0.5", "--palette-out", "p.gpl"], "-k 8 --dither=0.5",
     " (--palette-out does not apply)"),
    (["-k", "8", "--dither=ordered"], "-k 8 --dither=ordered", ""),
    # batch's --force redoes every file, also those done before: not carried, said
    (["--palette-in", "my p.hex", "--seed", "3", "-j", "1", "-q", "--force"],
     "--palette-in 'my p.hex' --seed 3 -j 1 -q",
     " (--force left out: in batch it redoes every file, also those done before)"),
    # batch had no --ext: it was said not to apply
    (["-k", "8", "--force", "--ext", ".s.png"], "-k 8 --ext .s.png",
     " (--force left out: in batch it redoes every file, also those done before)"),
    (["--quality", "2.5", "--space", "lab", "--dither", "--exact-colors", "--optimize",
      "--skip-if-larger", "--max-pixels", "99", "--json", "--ext", ".s.png",
      "--palette-out", "p.gpl"],
     "--quality 2.5 --space lab --dither --exact-colors --optimize --skip-if-larger "
     "--max-pixels 99 --ext .s.png --json", " (--palette-out does not apply)"),
    # batch had no --palette: per-frame was said not to apply
    (["-k", "8", "--palette", "per-frame"], "-k 8 --palette per-frame", ""),
    (["--palette-in", "my p.hex", "--palette-fitted", "--dither"],
     "--dither --palette-in 'my p.hex' --palette-fitted", ""),
    # batch writes no image to stdout: --format is said not to apply
    (["-k", "8", "--format", "gif", "--ext", ".s.gif"], "-k 8 --ext .s.gif",
     " (--format does not apply)"),
    # -o was left out without a word, though batch's -o is the folder named OUT_DIR
    (["-o", "my o.png", "-k", "8", "--palette-out", "p.gpl", "--force"], "-k 8",
     " (--palette-out does not apply; -o 'my o.png' left out: in batch -o names the output "
     "folder; --force left out: in batch it redoes every file, also those done before)"),
])
def test_a_folder_is_pointed_to_batch_with_the_options_given(tmp_path, monkeypatch, args,
                                                              carried, dropped):
    # The line said "quantize batch photos -o OUT_DIR" whatever options were given:
    # copied, it reduced the folder to 16 colours without dithering, ignored the palette...
    monkeypatch.chdir(tmp_path)
    Path("photos").mkdir()
    Path("my p.hex").write_text("ff0000\n0000ff\n")
    result = run("photos", *args)
    assert result.exit_code == 1
    assert one_error_line(result) == ("quantize: error: photos: is a directory, expected an "
                                      "image file; for every image in it: quantize batch "
                                      f"photos -o OUT_DIR {carried}{dropped}")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["my p.hex", "photos"]


@pytest.mark.parametrize("args, carried, left_out", [
    (["-k", "300", "--seed", "2"], "--seed 2",
     "-k 300 left out: batch writes indexed images, of at most 256 colours"),
    (["--palette-in", "big.hex", "--seed", "2"], "--seed 2",
     "--palette-in left out: batch writes indexed images, of at most 256 colours, fewer "
     "than the file holds"),
    (["--palette-in", "clear.hex", "--seed", "2"], "--seed 2",
     "--palette-in left out: batch refuses a palette whose every entry is fully transparent "
     "(alpha 0)"),
])
def test_a_folder_is_pointed_to_a_batch_call_that_batch_accepts(tmp_path, monkeypatch, args,
                                                                 carried, left_out):
    # reduce photos -k 300 proposed "quantize batch photos -o OUT_DIR -k 300", which batch
    # refused (exit 2). (--palette per-frame with --quality or --palette-in, which batch
    # refuses too, reduce now refuses itself, before looking at its files.)
    monkeypatch.chdir(tmp_path)
    Path("photos").mkdir()
    Image.fromarray(np.arange(48, dtype=np.uint8).reshape(4, 4, 3)).save("photos/a.png")
    Path("p.hex").write_text("ff0000\n0000ff\n")
    Path("big.hex").write_text("".join(f"{i:06x}\n" for i in range(300)))
    Path("clear.hex").write_text("ff000000\n0000ff00\n")
    result = run("photos", *args)
    assert result.exit_code == 1
    assert one_error_line(result) == ("quantize: error: photos: is a directory, expected an "
                                      "image file; for every image in it: quantize batch "
                                      f"photos -o OUT_DIR {carried} ({left_out})")
    proposed = one_error_line(result).split("quantize batch ")[1].split(" (")[0]
    batch = runner.invoke(app, ["batch", *proposed.replace("OUT_DIR", "out").split()])
    assert batch.exit_code == 0 and "error" not in batch.stderr
    assert Path("out/a.png").is_file()


def test_a_folder_given_k_over_256_with_quality_is_pointed_to_a_batch_call_with_it(
        tmp_path, monkeypatch):
    # With --quality, -k 300 is the most colours allowed, which batch now takes as reduce
    # does: carried, not left out as more than its outputs hold.
    monkeypatch.chdir(tmp_path)
    Path("photos").mkdir()
    Image.fromarray(np.arange(48, dtype=np.uint8).reshape(4, 4, 3)).save("photos/a.png")
    result = run("photos", "-k", "300", "--quality", "3")
    assert result.exit_code == 1
    assert one_error_line(result) == ("quantize: error: photos: is a directory, expected an "
                                      "image file; for every image in it: quantize batch "
                                      "photos -o OUT_DIR -k 300 --quality 3")
    batch = runner.invoke(app, ["batch", "photos", "-o", "out", "-k", "300", "--quality", "3"])
    assert batch.exit_code == 0 and "error" not in batch.stderr
    assert Path("out/a.png").is_file()


def test_a_folder_named_with_an_undecodable_byte_is_pointed_to_batch_in_bash_quotes(
        tmp_path, monkeypatch):
    """The hint said "quantize batch 'dir\\xff' -o OUT_DIR": pasted, the quotes named a
    folder of the seven characters shown. A name holding such a byte, or a control
    character, is written $'...', which bash reads back as the name; others as before."""
    monkeypatch.chdir(tmp_path)
    os.mkdir(b"dir\xff")
    os.mkdir(b"new\nline")
    Path("p\u0085's.hex").write_text("ff0000\n0000ff\n")
    name = os.fsdecode(b"dir\xff")
    result = run(name, "--palette-in", "p\u0085's.hex")
    assert result.exit_code == 1
    assert one_error_line(result) == (
        "quantize: error: dir\\xff: is a directory, expected an image file; for every image "
        "in it: quantize batch $'dir\\xff' -o OUT_DIR --palette-in $'p\\u0085\\'s.hex'")
    assert one_error_line(run("new\nline")) == (
        "quantize: error: new\\nline: is a directory, expected an image file; for every "
        "image in it: quantize batch $'new\\x0aline' -o OUT_DIR")
    hint = one_error_line(result).split("quantize batch ")[1].split(" -o")[0]
    shell = subprocess.run(["bash", "-c", f"printf %s {hint}"], capture_output=True,
                           check=True)
    assert shell.stdout == b"dir\xff"
    assert sorted(os.listdir(b".")) == [b"dir\xff", b"new\nline", "p\u0085's.hex".encode()]


def test_several_folders_are_each_refused_as_a_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("/", ".", "-j", 1)  # one after the other: the lines in order
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "quantize: error: /: is a directory, expected an image file; for every image in it: "
        "quantize batch / -o OUT_DIR -j 1",
        "quantize: error: .: is a directory, expected an image file; for every image in it: "
        "quantize batch . -o OUT_DIR -j 1"]


def test_a_missing_input_is_named_before_an_existing_output(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "gone.k16.png").write_bytes(b"an earlier output")
    result = run("gone.png")
    assert result.exit_code == 1
    assert "gone.png: no such file" in one_error_line(result)


def test_a_non_image_is_refused(tmp_path):
    src = tmp_path / "notes.png"
    src.write_text("hello")
    result = run(src)
    assert result.exit_code == 1
    assert "not an image" in one_error_line(result)


def test_a_png_whose_image_data_ends_early_is_one_line_and_no_output(tmp_path):
    """Its zlib stream, all CRCs right, held 1 row of 2: Pillow left the other black, and
    the picture was reduced as if it were, exit 0."""
    rows = zlib.compress(b"\0" + bytes([200, 10, 10] * 2))
    src = tmp_path / "cut.png"
    src.write_bytes(png_of_chunks([(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)),
                                   (b"IDAT", rows), (b"IEND", b"")]))
    result = run(src, "-k", "2")
    assert result.exit_code == 1
    assert one_error_line(result) == (f"quantize: error: {src}: damaged PNG (image data ends "
                                      "after 1 of 2 rows)")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cut.png"]


@pytest.mark.parametrize(("fmt", "options"), [("JPEG", {"progressive": True}),
                                              ("JPEG", {}), ("PNG", {})])
def test_an_image_cut_in_its_image_data_is_named_truncated_alike(tmp_path, fmt, options):
    """A JPEG said 'image file is truncated (2 bytes not processed)': a count of the bytes
    left in Pillow's buffer, where a PNG cut so said 'image file is truncated'."""
    image = Image.fromarray(np.random.default_rng(0).integers(0, 256, (64, 64, 3), np.uint8))
    whole = io.BytesIO()
    image.save(whole, fmt, **options)
    src = tmp_path / f"cut.{fmt.lower()}"
    src.write_bytes(whole.getvalue()[: len(whole.getvalue()) // 2])
    result = run(src, "-k", 4, "-o", tmp_path / "out.png")
    assert result.exit_code == 1
    assert result.stderr == f"quantize: error: {src}: cannot decode image (image file is " \
                            "truncated)\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [src.name]


@pytest.mark.parametrize("keep", [30, 64])
def test_an_ico_cut_short_is_named_a_truncated_or_damaged_ico(tmp_path, keep):
    """Cut in its directory of images (30 bytes) or just after it (64): it was 'not an
    image Pillow can identify', as a text file is."""
    whole = io.BytesIO()
    Image.new("RGB", (48, 48), (200, 0, 0)).save(whole, "ICO",
                                                 sizes=[(16, 16), (32, 32), (48, 48)])
    src = tmp_path / "app.ico"
    src.write_bytes(whole.getvalue()[:keep])
    result = run(src, "-k", 4, "-o", tmp_path / "out.png")
    assert result.exit_code == 1
    assert result.stderr == f"quantize: error: {src}: truncated or damaged ICO (it starts " \
                            "as an icon, but its images cannot be read)\n"


@pytest.mark.parametrize("fmt, name, what", [("CUR", "pointer.cur", "a cursor"),
                                             ("ICNS", "app.icns", "an Apple icon")])
def test_a_cursor_or_apple_icon_cut_short_is_named_so(tmp_path, fmt, name, what):
    """Cut at 30 bytes: it was 'not an image Pillow can identify', as a text file is."""
    whole = io.BytesIO()
    Image.new("RGBA", (32, 32), (200, 0, 0, 255)).save(whole, "ICO" if fmt == "CUR" else fmt)
    data = whole.getvalue()
    if fmt == "CUR":  # Pillow writes no CUR: an ICO's header with the cursor's type, 2
        data = data[:2] + b"\2\0" + data[4:]
    src = tmp_path / name
    src.write_bytes(data[:30])
    result = run(src, "-k", 4, "-o", tmp_path / "out.png")
    assert result.exit_code == 1
    assert result.stderr == f"quantize: error: {src}: truncated or damaged {fmt} (it starts " \
                            f"as {what}, but its images cannot be read)\n"


@pytest.mark.parametrize("name, head, what", [
    ("IMG_0001.HEIC", b"\0\0\0\x18ftypheic\0\0\0\0mif1heic", "a HEIF/HEIC image"),
    ("photo.heif", b"\0\0\0\x18ftypmif1\0\0\0\0mif1heic", "a HEIF/HEIC image"),
    ("art.jxl", b"\xff\x0a\xfa\x1f", "a JPEG XL image"),
    ("art.jxl", b"\0\0\0\x0cJXL \r\n\x87\n\0\0\0\x14ftypjxl ", "a JPEG XL image"),
    ("logo.svg", b'<?xml version="1.0"?>\n<SVG xmlns="http://www.w3.org/2000/svg">',
     "an SVG drawing"),
    ("scan.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "a PDF document")])
def test_a_format_pillow_does_not_read_is_named_with_the_way_out(tmp_path, name, head, what):
    """An iPhone's HEIC (and the others) was 'not an image Pillow can identify', as a text
    file is, which neither said what it was nor what to do."""
    src = tmp_path / name
    src.write_bytes(head + bytes(200))
    result = run(src, "-k", 4, "-o", tmp_path / "out.png")
    assert result.exit_code == 1
    assert result.stderr == f"quantize: error: {src}: is {what}, which Pillow cannot read; " \
                            "convert it to PNG, JPEG or TIFF first (ImageMagick's convert does)\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]


def test_a_text_file_is_still_not_an_image_pillow_can_identify(tmp_path):
    """The formats above are named by their first bytes; other text is not one of them."""
    src = tmp_path / "notes.png"
    src.write_bytes(b"shopping list: svg markers, pdf-reader\n")
    result = run(src, "-k", 4, "-o", tmp_path / "out.png")
    assert result.stderr == f"quantize: error: {src}: not an image Pillow can identify\n"


@pytest.mark.parametrize("suffix", [".jpg", ".png", ".webp"])
def test_a_cut_exif_is_said_ignored_in_one_line(tmp_path, suffix):
    """It came out as Pillow words it, two spaces after its first sentence and one at the
    end ("Corrupt EXIF data.  Expecting to read 12 bytes but only got 6. "), which said
    neither that the orientation was ignored nor that the image was read."""
    src = tmp_path / f"camera{suffix}"
    Image.new("RGB", (16, 16), (200, 0, 0)).save(src, exif=cut_exif(), lossless=True)
    result = run(src, "-k", 2, "-o", tmp_path / "out.png", "-q")
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [
        f"quantize: warning: {src}: its EXIF data is damaged (its first directory, of 2 tags, "
        "ends at byte 38, past its end, at byte 28); the image is read as stored, as no "
        "orientation read before the damage turns it"]  # -k 2 of one colour: a note, not with -q


def test_pillows_bare_truncated_file_read_of_exif_is_said_of_the_tag(tmp_path):
    """A tag's value past the end of the EXIF block came out as Pillow's 'Truncated File
    Read', which says neither what was cut nor that the image was read; then as 'damaged
    metadata: a tag's value lies past the end ...', which named neither the tag nor what
    became of the orientation."""
    src = tmp_path / "camera.jpg"
    Image.new("RGB", (16, 16), (200, 0, 0)).save(src, exif=exif_value_past_end())
    result = run(src, "-k", 2, "-o", tmp_path / "out.png", "-q")
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[0] == (
        f"quantize: warning: {src}: its EXIF data is damaged (the value of tag 271 (Make), 10 "
        "bytes at byte 100, runs past the end of the EXIF data, at byte 26); that tag is "
        "ignored; no orientation is read, so the image is read as stored")
    assert len(result.stderr.splitlines()) == 1  # -k 2 of a one-colour image: a note, not with -q
    assert (tmp_path / "out.png").exists()


@pytest.mark.parametrize("tags, said, size", [
    ([(0x010F, 2, 1000, struct.pack(">I", 8)), ORIENTATION_6],
     "tag 271 (Make) gives a value of 1000 bytes, more than the 38 of the EXIF data); that "
     "tag is skipped, and the orientation, 6, is applied", (2, 3)),
    ([(0x010F, 2, 10, struct.pack(">I", 30)), ORIENTATION_6],
     "the value of tag 271 (Make), 10 bytes at byte 30, runs past the end of the EXIF data, "
     "at byte 38); that tag and the 1 after it are ignored, the orientation, 6, among them, "
     "so the image is read as stored", (3, 2))])
@pytest.mark.parametrize("suffix", [".jpg", ".png"])  # Pillow warns as it opens a JPEG too
def test_pillows_tag_warnings_of_exif_are_one_line_of_our_own(tmp_path, tags, said, size,
                                                              suffix):
    """'Tag data larger than file. Skipping tag 271' came out as Pillow words it, and said
    nothing of the orientation it still applied."""
    src = tmp_path / f"camera{suffix}"
    Image.fromarray(np.array([[[200, 0, 0]] * 3, [[0, 0, 200]] * 3], np.uint8)).save(
        src, exif=exif_of_tags(*tags))
    result = run(src, "-k", 2, "-o", tmp_path / "out.png")
    assert result.exit_code == 0, result.output
    assert unnoted(result.stderr) == f"quantize: warning: {src}: its EXIF data is damaged ({said}\n"
    with Image.open(tmp_path / "out.png") as im:
        assert im.size == size


def test_pillows_tag_warning_of_a_tiff_is_said_of_the_tag(tmp_path):
    """A TIFF's description of more bytes than the file came out as Pillow's 'Tag data
    larger than file. Skipping tag 270'."""
    src = tmp_path / "scan.tif"
    Image.fromarray(np.array([[[200, 0, 0]] * 3, [[0, 0, 200]] * 3], np.uint8)).save(
        src, description="x" * 50)
    data = bytearray(src.read_bytes())
    at = data.index(struct.pack("<HHI", 270, 2, 51))  # the description: 50 bytes and a NUL
    data[at + 4:at + 8] = struct.pack("<I", 10 ** 6)
    src.write_bytes(bytes(data))
    result = run(src, "-k", 2, "-o", tmp_path / "out.png")
    assert result.exit_code == 0, result.output
    assert result.stderr == (f"quantize: warning: {src}: damaged metadata: tag 270 gives a "
                             "value of more bytes than the file holds, so that tag is ignored\n")


def test_a_cut_gif_is_one_line_naming_it_beside_an_input_of_its_stem(photo, tmp_path):
    """Its frames, counted for the default output's extension (a.gif and a.png may both be
    written a.k16.png), failed with a traceback ending 'IndexError: index out of range'."""
    frames = [Image.new("RGB", (8, 6), c) for c in [(255, 0, 0), (0, 255, 0), (0, 0, 255)]]
    whole = tmp_path / "whole.gif"
    frames[0].save(whole, save_all=True, append_images=frames[1:])
    src = tmp_path / "photo.gif"
    data = whole.read_bytes()  # cut inside its second frame's graphic control extension
    src.write_bytes(data[:data.index(b"\x21\xf9\x04", data.index(b"\x21\xf9\x04") + 1) + 5])
    result = run(src, photo)
    assert result.exit_code == 1
    assert one_error_line(result) == (f"quantize: error: {src}: cannot decode image "
                                      "(truncated or malformed file: index out of range)")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["photo.gif", "photo.k16.png",
                                                          "photo.png", "whole.gif"]


def test_a_link_that_leads_nowhere_is_not_replaced_without_force(photo, tmp_path):
    link = tmp_path / "out.png"
    link.symlink_to("nowhere.png")
    result = run(photo, "-o", link)
    assert result.exit_code == 15
    assert one_error_line(result) == (f"quantize: error: {photo}: {link}: output is a link to "
                                      "'nowhere.png', which does not exist; use --force to "
                                      "overwrite")
    assert link.is_symlink() and os.readlink(link) == "nowhere.png"


def test_a_chain_of_links_that_leads_nowhere_names_the_missing_name(photo, tmp_path):
    # It said "a link to 'mid', which does not exist" of the link mid, which exists.
    (tmp_path / "real").mkdir()
    (tmp_path / "mid").symlink_to(Path("real") / "target.png")
    link = tmp_path / "out.png"
    link.symlink_to("mid")
    result = run(photo, "-o", link)
    assert result.exit_code == 15
    assert one_error_line(result) == (f"quantize: error: {photo}: {link}: output is a link to "
                                      "'mid', a link to 'real/target.png', which does not "
                                      "exist; use --force to overwrite")
    assert os.readlink(link) == "mid" and list((tmp_path / "real").iterdir()) == []


def test_force_writes_through_a_link_at_the_output_and_keeps_it(photo, tmp_path):
    # --force replaced the link with a regular file and left its target as it was.
    (tmp_path / "site").mkdir()
    target = tmp_path / "site" / "small.png"
    target.write_bytes(b"old")
    link, chain = tmp_path / "small.png", tmp_path / "again.png"
    link.symlink_to(Path("site") / "small.png")
    chain.symlink_to("small.png")
    before = photo.read_bytes()
    refused = run(photo, "-k", 4, "-o", chain)
    assert refused.exit_code == 15
    assert one_error_line(refused) == (
        f"quantize: error: {photo}: {chain}: output exists (a link to 'small.png', the file "
        "that would be overwritten); use --force to overwrite")
    assert target.read_bytes() == b"old"
    result = run(photo, "-k", 4, "-o", chain, "--force", "--palette-out", tmp_path / "p.hex")
    assert result.exit_code == 0, result.output
    assert os.readlink(chain) == "small.png" and os.readlink(link) == "site/small.png"
    alone = run(photo, "-k", 4, "-o", tmp_path / "alone.png")
    assert alone.exit_code == 0, alone.output
    assert target.read_bytes() == (tmp_path / "alone.png").read_bytes()
    assert photo.read_bytes() == before


def test_force_writes_the_palette_file_through_a_link(photo, tmp_path):
    (tmp_path / "pals").mkdir()
    (tmp_path / "pals" / "p.hex").write_text("000000\n")
    link = tmp_path / "p.hex"
    link.symlink_to(Path("pals") / "p.hex")
    result = run(photo, "-k", 2, "-o", tmp_path / "o.png", "--palette-out", link, "--force")
    assert result.exit_code == 0, result.output
    assert link.is_symlink() and len((tmp_path / "pals" / "p.hex").read_text().split()) == 2


@pytest.mark.parametrize("way", ["link to the input", "input is a link to it"])
def test_force_never_writes_through_a_link_onto_the_input(photo, tmp_path, way):
    link = tmp_path / "link.png"
    link.symlink_to("photo.png")
    src, out = (photo, link) if way == "link to the input" else (link, photo)
    before = photo.read_bytes()
    result = run(src, "-k", 2, "-o", out, "--force")
    assert result.exit_code == 2
    assert one_error_line(result) == (
        f"quantize: error: {src}: its output would be {str(out)!r}, the input itself, which "
        "is never overwritten (not even with --force); name another file with -o")
    assert photo.read_bytes() == before and link.is_symlink()


def _second_photo(tmp_path: Path, photo: Path, name: str) -> Path:
    other = tmp_path / name
    Image.open(photo).transpose(Image.Transpose.ROTATE_90).save(other)
    return other


def test_force_never_writes_through_a_default_output_link_onto_another_input(photo,
                                                                           tmp_path):
    # With --force, a.k8.png -> b.png wrote a's output into the input b.png, exit 0.
    other = _second_photo(tmp_path, photo, "other.png")
    link = tmp_path / "photo.k8.png"
    link.symlink_to("other.png")
    before, other_before = photo.read_bytes(), other.read_bytes()
    result = run(photo, other, "-k", 8, "--force")
    assert result.exit_code == 2
    assert one_error_line(result) == (
        f"quantize: error: {photo}: its output would be {str(link)!r}, a link to the input "
        f"{str(other)!r}; rename that input, or choose other output names with --ext")
    assert photo.read_bytes() == before and other.read_bytes() == other_before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.png", "photo.k8.png",
                                                          "photo.png"]


def test_two_default_outputs_linked_to_one_file_are_refused(photo, tmp_path):
    # Both were written through their links into t.png, one result lost, exit 0.
    other = _second_photo(tmp_path, photo, "other.jpg")
    for name in ("photo.k8.png", "other.k8.png"):
        (tmp_path / name).symlink_to("t.png")
    result = run(photo, other, "-k", 8, "--force")
    assert result.exit_code == 2
    assert one_error_line(result) == (
        f"quantize: error: {other}: its output {str(tmp_path / 'other.k8.png')!r} and the "
        f"output {str(tmp_path / 'photo.k8.png')!r} of {photo} are one file through a link, "
        "where one would replace the other; remove the link, or choose other output names")
    assert not (tmp_path / "t.png").exists()


def test_palette_out_linked_to_the_output_is_refused(photo, tmp_path):
    # The image was written, then replaced by the GIMP palette, exit 0.
    out, palette = tmp_path / "same.png", tmp_path / "l2.gpl"
    palette.symlink_to("same.png")
    result = run(photo, "-k", 8, "-o", out, "--palette-out", palette, "--force")
    assert result.exit_code == 2
    assert one_error_line(result) == (
        f"quantize: error: {photo}: --palette-out={str(palette)!r} and its output "
        f"{str(out)!r} are one file through a link, where one would replace the other; "
        "remove the link, or choose other output names")
    assert not out.exists() and palette.is_symlink()


def test_default_output_names_quality_may_give_may_link_to_one_file(photo, tmp_path):
    # --quality writes one of photo.k<N>.png: two of them linked to one file are no clash.
    for n in (5, 6):  # not the k chosen at 20, 2
        (tmp_path / f"photo.k{n}.png").symlink_to("t.png")
    result = run(photo, "--quality", 20, "--force")
    assert result.exit_code == 0, result.output
    assert len(list(tmp_path.glob("photo.k*.png"))) == 3


def _reduce_with_streams(args: list[Any], stdout: Any, stderr: Any,
                         stdin: Any = subprocess.DEVNULL) -> int:
    here = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    return subprocess.run([sys.executable, "-m", "quantize", "reduce", *map(str, args)],
                          stdin=stdin, stdout=stdout, stderr=stderr, timeout=60,
                          env=here).returncode


@pytest.mark.parametrize("stream", ["stdout", "stderr"])
def test_a_stdout_or_stderr_appending_to_the_input_is_refused(photo, tmp_path, stream):
    """'reduce a.png -o x.png >> a.png' appended the summary line to the input image."""
    before = photo.read_bytes()
    with open(photo, "ab") as appended, open(tmp_path / "other.txt", "wb") as other:
        streams = {"stdout": other, "stderr": other, stream: appended}
        code = _reduce_with_streams([photo, "-k", 2, "-o", tmp_path / "x.png"], **streams)
    assert code == 2
    assert photo.read_bytes() == before and not (tmp_path / "x.png").exists()
    # the one line goes to the other stream, never into the input
    assert (tmp_path / "other.txt").read_text() == (
        f"quantize: error: {stream} is {photo}, an input; what quantize prints there would "
        "be written into it: redirect it to another file\n")


def test_a_stdout_onto_the_file_stdin_reads_or_the_palette_is_refused(photo, tmp_path):
    pal = tmp_path / "brand.hex"
    pal.write_text("000000\nffffff\n")
    with open(pal, "ab") as appended, open(tmp_path / "err.txt", "wb") as err:
        code = _reduce_with_streams([photo, "--palette-in", pal, "-o", tmp_path / "x.png"],
                                    appended, err)
    assert code == 2 and pal.read_text() == "000000\nffffff\n"
    assert (tmp_path / "err.txt").read_text() == (
        f"quantize: error: stdout is {pal}, the --palette-in file; what quantize prints there "
        "would be written into it: redirect it to another file\n")
    before = photo.read_bytes()
    with (open(photo, "rb") as stdin, open(photo, "ab") as appended,
          open(tmp_path / "err.txt", "wb") as err):
        code = _reduce_with_streams(["-", "-k", 2, "-o", tmp_path / "x.png"], appended, err,
                                    stdin)
    assert code == 2 and photo.read_bytes() == before
    assert (tmp_path / "err.txt").read_text() == (
        "quantize: error: stdout is the file stdin is redirected from, an input; what quantize "
        "prints there would be written into it: redirect it to another file\n")
    assert not (tmp_path / "x.png").exists()


def test_a_stdout_to_another_file_is_not_refused(photo, tmp_path):
    with open(tmp_path / "log.txt", "wb") as log:
        code = _reduce_with_streams([photo, "-k", 2, "-o", tmp_path / "x.png"], log, log)
    assert code == 0 and (tmp_path / "x.png").is_file()
    assert (tmp_path / "log.txt").read_text().startswith(f"{photo} -> {tmp_path / 'x.png'}: ")


def test_pillows_log_line_is_not_printed_above_the_error(tmp_path, monkeypatch):
    """A TIFF of 2048 samples per pixel printed Pillow's "More samples per pixel than can
    be decoded: 2048" as a bare line before the one-line error."""
    # As in a shell: no logging set up (pytest's capture handler would take the record).
    monkeypatch.setattr(logging.root, "handlers", [])
    monkeypatch.setattr(logging.getLogger("PIL"), "handlers", [])
    buf = io.BytesIO()
    Image.new("RGB", (4, 3)).save(buf, "TIFF")
    data = bytearray(buf.getvalue())
    ifd = int.from_bytes(data[4:8], "little")
    for entry in range(ifd + 2, ifd + 2 + 12 * int.from_bytes(data[ifd:ifd + 2], "little"), 12):
        if int.from_bytes(data[entry:entry + 2], "little") == 277:  # SamplesPerPixel
            data[entry + 8:entry + 10] = (2048).to_bytes(2, "little")
    src = tmp_path / "wide.tif"
    src.write_bytes(bytes(data))
    result = run(src)
    assert result.exit_code == 1
    assert result.stderr == f"quantize: error: {src}: not an image Pillow can identify\n"
    assert [p.name for p in tmp_path.iterdir()] == ["wide.tif"]


def test_existing_output_needs_force(photo, tmp_path):
    out = tmp_path / "o.png"
    assert run(photo, "-o", out).exit_code == 0
    first = out.read_bytes()
    again = run(photo, "-o", out, "--seed", 1)
    assert again.exit_code == 15
    assert "output exists; use --force" in one_error_line(again)
    assert out.read_bytes() == first
    assert run(photo, "-o", out, "--force").exit_code == 0


def test_an_output_overwritten_with_force_keeps_its_permissions(photo, tmp_path):
    out = tmp_path / "o.png"
    out.write_bytes(b"old")
    out.chmod(0o640)
    assert run(photo, "-o", out, "-k", 4, "--force").exit_code == 0
    assert Image.open(out).mode == "P"
    assert out.stat().st_mode & 0o7777 == 0o640


def test_an_existing_output_of_a_quality_search_is_refused_saying_when_it_is_known(
        photo, tmp_path, monkeypatch):
    """The default name holds the k the search chooses, so that output is found to exist
    only after the search (the refusal said nothing of it); one named with -o is refused
    before the image is read."""
    first = run(photo, "--quality", 5)
    assert first.exit_code == 0, first.output
    out, = tmp_path.glob("photo.k*.png")
    k = out.name.split(".")[1][1:]
    again = run(photo, "--quality", 5)
    assert (again.exit_code, again.stdout) == (15, "")
    assert one_error_line(again) == (
        f"quantize: error: {photo}: {out}: output exists (named by the k={k} that "
        "--quality=5 chose, known only once searched, whereas an output given its name is "
        "checked before any work); use --force to overwrite")
    monkeypatch.setattr("quantize.io.OpenInput.load", _never_called)
    named = run(photo, "--quality", 5, "-o", out)
    assert (named.exit_code, one_error_line(named)) == (
        15, f"quantize: error: {photo}: {out}: output exists; use --force to overwrite")


def test_an_existing_output_and_palette_out_are_both_named(photo, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert run(photo, "-o", "o.png", "-k", "2", "--palette-out", "p.gpl").exit_code == 0
    again = run(photo, "-o", "o.png", "-k", "2", "--palette-out", "p.gpl")
    assert (again.exit_code, again.stderr) == (
        15, f"quantize: error: {photo}: o.png: output exists, and so does "
            "--palette-out='p.gpl'; use --force to overwrite both\n")


def test_palette_out_then_palette_in(photo, tmp_path):
    pal = tmp_path / "p.gpl"
    assert run(photo, "-o", tmp_path / "a.png", "-k", 5, "--palette-out", pal).exit_code == 0
    assert pal.read_text().startswith("GIMP Palette")
    result = run(photo, "-o", tmp_path / "b.png", "--palette-in", pal, "--dither", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["k"] == 5
    used = np.unique(np.asarray(Image.open(tmp_path / "b.png").convert("RGB")).reshape(-1, 3),
                     axis=0)
    with Image.open(tmp_path / "a.png") as a:
        palette = np.asarray(a.getpalette()[:15]).reshape(5, 3)
    assert set(map(tuple, used.tolist())) <= set(map(tuple, palette.tolist()))


@pytest.mark.parametrize("dither", ["--dither", "--dither=0.5", "--dither=ordered"])
def test_a_palette_out_file_given_back_as_fitted_gives_the_dithered_image_again(
        photo, tmp_path, monkeypatch, dither):
    """A palette written by --palette-out and given back with --palette-in was dithered
    onto as a device's fixed palette, and gave another image than the fit's own;
    --palette-fitted dithers onto it as onto the fit, pixel for pixel."""
    monkeypatch.chdir(tmp_path)
    fit = run(photo, "-o", "fit.png", "-k", 16, dither, "--palette-out", "p.hex")
    assert fit.exit_code == 0, fit.output
    given = run(photo, "-o", "given.png", "--palette-in", "p.hex", dither)
    again = run(photo, "-o", "again.png", "--palette-in", "p.hex", "--palette-fitted",
                dither, "--json")
    assert (given.exit_code, again.exit_code) == (0, 0), again.output
    assert json.loads(again.stdout)["palette_fitted"] is True

    def pixels(name):
        return np.asarray(Image.open(name).convert("RGB"))

    assert not np.array_equal(pixels("given.png"), pixels("fit.png"))  # why it is needed
    np.testing.assert_array_equal(pixels("again.png"), pixels("fit.png"))


def test_palette_fitted_without_palette_in_is_refused(photo):
    result = run(photo, "--palette-fitted", "--dither")
    assert result.exit_code == 2
    assert one_error_line(result) == ("quantize: error: --palette-fitted needs --palette-in "
                                      "beside it: it says how that palette is dithered onto")


@pytest.mark.parametrize("name, text", [("pal.txt", "#fff\n#000\n#f80\n"),
                                        ("pal.hex", "#FFF\n000000\n#f80f\n")])
def test_palette_in_takes_css_shorthand_colours(tmp_path, name, text):
    """--palette-in pal.txt of #fff lines was refused: "expected a Paint.NET colour
    'aarrggbb' (8 hex digits, alpha first) or GIMP's '#rrggbb', got '#fff'"."""
    image = np.array([[[250, 250, 250], [10, 10, 10], [255, 130, 10]]], np.uint8)
    Image.fromarray(image).save(tmp_path / "a.png")
    (tmp_path / name).write_text(text)
    result = run(tmp_path / "a.png", "--palette-in", tmp_path / name, "-o", tmp_path / "o.png",
                 "-q")
    assert (result.exit_code, result.output) == (0, "")
    assert np.asarray(Image.open(tmp_path / "o.png").convert("RGB")).tolist() == [
        [[255, 255, 255], [0, 0, 0], [255, 136, 0]]]


def test_a_palette_in_pipe_is_refused_before_it_is_read(photo, tmp_path):
    # The command read the pipe once to check it and each file's job read it again:
    # it waited for a second writer of the pipe for ever.
    pipe = tmp_path / "pal.hex"
    result = run_with_palette_pipe(["reduce", str(photo), "-o", str(tmp_path / "a.png")], pipe)
    assert result.returncode == 1, result.stderr
    assert result.stderr == pipe_refusal(pipe)
    assert not (tmp_path / "a.png").exists()


@pytest.mark.parametrize("suffix", [".act", ".pal", ".txt"])
def test_palette_out_then_palette_in_as_photoshop_and_jasc_palettes(photo, tmp_path, suffix):
    # Adobe colour tables, JASC palettes and Paint.NET's, which Photoshop, Paint Shop Pro,
    # Aseprite and Paint.NET exchange, were refused: "--palette-out='p.act' has an
    # unknown palette extension".
    pal = tmp_path / f"p{suffix}"
    assert run(photo, "-o", tmp_path / "a.png", "-k", 5, "--palette-out", pal).exit_code == 0
    result = run(photo, "-o", tmp_path / "b.png", "--palette-in", pal, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["k"] == 5
    with Image.open(tmp_path / "a.png") as a, Image.open(tmp_path / "b.png") as b:
        assert a.getpalette()[:15] == b.getpalette()[:15]


def test_palette_in_with_a_translucent_white_keeps_opaque_greys_opaque(tmp_path):
    # An opaque grey went to white of alpha 128 (grey 128 over black), and the PNG drew it
    # half transparent.
    rgba = np.zeros((1, 4, 4), np.uint8)
    rgba[0, :, :3] = [[100] * 3, [150] * 3, [180] * 3, [0] * 3]
    rgba[0, :3, 3] = 255
    Image.fromarray(rgba).save(tmp_path / "g.png")
    (tmp_path / "p.hex").write_text("000000\nffffff\nffffff80\n")
    result = run(tmp_path / "g.png", "-o", tmp_path / "out.png", "--palette-in",
                 tmp_path / "p.hex", "-q")
    assert result.exit_code == 0, result.output
    out = np.asarray(Image.open(tmp_path / "out.png").convert("RGBA"))
    assert out[0].tolist() == [[0, 0, 0, 255], [255, 255, 255, 255], [255, 255, 255, 255],
                               [0, 0, 0, 0]]


def test_an_opaque_image_onto_translucent_entries_reports_every_entry_the_png_holds(tmp_path):
    # The PNG held the 4 entries at their indices, but the line said "2 entries, 2 used"
    # and --json gave k 2 and the palette's opaque entries alone, its entry 0 the file's 2.
    rgb = np.array([[[100] * 3, [150] * 3, [180] * 3]], np.uint8)
    Image.fromarray(rgb).save(tmp_path / "g.png")
    (tmp_path / "p.hex").write_text("00000000\nffffff80\n000000\nffffff\n")
    args = (tmp_path / "g.png", "-o", tmp_path / "out.png", "--palette-in", tmp_path / "p.hex")
    result = run(*args, "--json")
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    with Image.open(tmp_path / "out.png") as im:
        table = np.reshape(im.getpalette(), (-1, 3)).tolist()
        alpha = list(im.info["transparency"]) + [255] * (len(table) - 2)
        assert np.asarray(im).tolist() == [[2, 3, 3]]
    assert record["k"] == len(table) == 4 and record["colours_used"] == 2
    assert [(e["hex"], e["alpha"]) for e in record["palette"]] == [
        ("#" + bytes(c).hex(), a) for c, a in zip(table, alpha, strict=True)]
    assert [e["share"] for e in record["palette"]] == pytest.approx([0, 0, 1 / 3, 2 / 3],
                                                                   abs=1e-6)
    assert ": 4 entries, 2 used, PSNR" in run(*args, "--force").output


def test_palette_in_dithered_with_a_translucent_white_keeps_opaque_greys_opaque(tmp_path):
    # Dithered, 99 of the greys 0..255 went to white of alpha 128 and were drawn half
    # transparent; they are drawn as with the palette's opaque entries alone.
    rgba = np.zeros((2, 257, 4), np.uint8)
    rgba[:, :256, :3] = np.arange(256)[:, None]
    rgba[:, :256, 3] = 255
    Image.fromarray(rgba).save(tmp_path / "g.png")
    (tmp_path / "p.hex").write_text("000000\nffffff\nffffff80\n")
    (tmp_path / "opaque.hex").write_text("000000\nffffff\n")
    for name in ("p", "opaque"):
        result = run(tmp_path / "g.png", "-o", tmp_path / f"{name}.png", "--palette-in",
                     tmp_path / f"{name}.hex", "--dither", "-q")
        assert result.exit_code == 0, result.output
    out = np.asarray(Image.open(tmp_path / "p.png").convert("RGBA"))
    assert (out[:, :256, 3] == 255).all() and (out[:, 256] == 0).all()
    assert np.array_equal(out, np.asarray(Image.open(tmp_path / "opaque.png").convert("RGBA")))


@pytest.mark.parametrize("size", [6, 765, 769])
def test_palette_in_act_of_neither_adobe_size_is_refused_in_one_line(photo, tmp_path, size):
    # A file of 3 bytes per colour was read as the colours it held (765 bytes: a table cut
    # short by one colour, read as 255 of them), while Adobe's format is 768 or 772 bytes.
    pal = tmp_path / "brand.act"
    pal.write_bytes(bytes(range(256)) * 3 + bytes(4))
    pal.write_bytes(pal.read_bytes()[:size])
    result = run(photo, "-o", tmp_path / "a.png", "--palette-in", pal)
    assert result.exit_code == 1
    assert one_error_line(result) == (
        f"quantize: error: {pal}: {size} bytes; expected an Adobe colour table (.act) of 768 "
        "bytes (256 RGB triples) or 772 (then the count of colours used and the transparent "
        "index)")
    assert not (tmp_path / "a.png").exists()


def test_a_png_with_a_damaged_text_chunk_is_reduced_with_a_warning(tmp_path, monkeypatch):
    # "damaged PNG (bad CRC in a tEXt chunk)", exit 1, where pngquant reads it (exit 0).
    monkeypatch.chdir(tmp_path)
    ihdr = (b"IHDR", struct.pack(">IIBBBBB", 2, 1, 8, 2, 0, 0, 0))
    rows = zlib.compress(b"\0" + bytes([10, 20, 30, 40, 50, 60]))
    Path("t.png").write_bytes(png_of_chunks([ihdr, (b"tEXt", b"Comment\0hello"),
                                             (b"IDAT", rows), (b"IEND", b"")], damaged=1))
    result = run("t.png", "-o", "out.png", "-k", "2")
    assert (result.exit_code, result.stderr) == (
        0, "quantize: warning: t.png: bad CRC in a tEXt chunk, metadata the pixels do not "
           "depend on: it is left out, as libpng leaves a damaged optional chunk, and the "
           "image is read\n")
    assert np.asarray(Image.open("out.png").convert("RGB")).tolist() == [[[10, 20, 30],
                                                                        [40, 50, 60]]]
    Path("t.png").write_bytes(png_of_chunks([ihdr, (b"IDAT", rows), (b"IEND", b"")],
                                            damaged=1))
    assert (run("t.png", "-o", "out.png", "-k", "2", "--force").stderr
            == "quantize: error: t.png: damaged PNG (bad CRC in an IDAT chunk)\n")


def test_a_cut_png_with_a_damaged_text_chunk_is_said_by_its_error_alone(tmp_path, monkeypatch):
    # the warning of the text chunk left out, then "cannot decode image (image file is
    # truncated)": two lines of a file that could not be read at all
    monkeypatch.chdir(tmp_path)
    ihdr = (b"IHDR", struct.pack(">IIBBBBB", 2, 1, 8, 2, 0, 0, 0))
    rows = zlib.compress(b"\0" + bytes([10, 20, 30, 40, 50, 60]))
    whole = png_of_chunks([ihdr, (b"tEXt", b"Comment\0hello"), (b"IDAT", rows),
                           (b"IEND", b"")], damaged=1)
    Path("t.png").write_bytes(whole[:-24])  # cut inside the image data
    result = run("t.png", "-o", "out.png", "-k", "2")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == ("quantize: error: t.png: cannot decode image (image file is "
                             "truncated)\n")
    assert not Path("out.png").exists()


def test_colours_given_first_as_pngquant_takes_them_get_a_hint(photo, tmp_path,
                                                               monkeypatch):
    # "64: no such file", with no word of -k, while photo.png was reduced to 16 colours;
    # then with the hint, but after photo.k16.png was written: a usage mistake, refused
    # before any work.
    monkeypatch.chdir(tmp_path)
    result = run("64", "photo.png", "-q")
    assert (result.exit_code, result.stdout, result.stderr) == (
        2, "", "quantize: error: 64: no such file; did you mean -k 64?\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["photo.png"]
    Path("8").write_bytes(b"not an image")  # a file of that name: its own error, no hint
    assert one_error_line(run("8", "-q")) == "quantize: error: 8: not an image Pillow can identify"
    assert one_error_line(run("x64", "-q")) == "quantize: error: x64: no such file"


@pytest.mark.parametrize("args, written", [
    (["--", "16"], []),
    (["-q", "-k", "4", "photo.png", "--", "16"], ["photo.k4.png"]),
    (["-q", "-k", "4", "--", "16", "photo.png"], ["photo.k4.png"]),
    (["-q", "-k", "4", "--dither", "photo.png", "--", "0.5"], ["photo.k4.png"]),
])
def test_a_number_after_dashes_is_a_missing_file_with_no_hint(photo, tmp_path, monkeypatch,
                                                             args, written):
    # after --, every argument is a file name: "16: no such file; did you mean -k 16?" (or
    # "a dithering strength is written --dither=0.5") and exit 2, before any work, proposed
    # an option the user had said it was not
    monkeypatch.chdir(tmp_path)
    name = args[-1] if args[-1] != "photo.png" else args[-2]
    result = run(*args)
    assert (result.exit_code, result.stdout) == (1, "")
    assert unnoted(result.stderr) == f"quantize: error: {name}: no such file\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["photo.png", *written])


@pytest.mark.parametrize("args, line", [
    # pngquant's "pngquant 16 file" beside -o: "-o/--output names one file but 2 inputs
    # were given; use --ext", which blamed -o for a number meant as -k
    (["16", "photo.png", "-o", "out.png"], "16: no such file; did you mean -k 16?"),
    (["photo.png", "16", "-o", "out.png"], "16: no such file; did you mean -k 16?"),
    (["photo.png", "--dither", "ordered", "-o", "out.png"],
     "ordered: no such file; did you mean --dither=ordered?"),
    (["photo.png", "--dither", "pattern", "-o", "out.png"],
     "pattern: no such file; did you mean --dither=pattern?"),
    (["photo.png", "--dither", "0.5", "-o", "out.png"],
     "0.5: no such file; a dithering strength is written --dither=0.5"),
    # photo.k4.png was written, then "ordered: no such file" and exit 1
    (["photo.png", "-k", "4", "--dither", "floyd"],
     "floyd: no such file; --dither takes a strength, ordered or pattern, written "
     "--dither=LEVEL (0 to 1) or --dither=ordered"),
    (["photo.png", "-k", "4", "16"], "16: no such file; did you mean -k 16?"),
])
def test_an_option_value_read_as_an_input_is_refused_before_any_work(photo, tmp_path,
                                                                      monkeypatch, args, line):
    monkeypatch.chdir(tmp_path)
    result = run(*args)
    assert (result.exit_code, result.stdout, result.stderr) == (
        2, "", f"quantize: error: {line}\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["photo.png"]


def test_a_word_after_dither_that_names_a_file_is_an_input(photo, tmp_path, monkeypatch):
    # --dither is a flag: a file named "ordered" is an input like any other
    monkeypatch.chdir(tmp_path)
    Path("ordered").write_bytes(b"not an image")
    result = run("photo.png", "--dither", "ordered", "-k", "4", "-q")
    assert (result.exit_code, result.stderr) == (
        1, "quantize: error: ordered: not an image Pillow can identify\n")
    assert (tmp_path / "photo.k4.png").exists()


def test_a_full_palette_beside_transparency_says_how_to_make_room(tmp_path, monkeypatch):
    # "use fewer colours" alone, while marking one entry transparent (rrggbb00) makes room
    monkeypatch.chdir(tmp_path)
    rgba = np.zeros((2, 4, 4), np.uint8)
    rgba[0, :2] = [[255, 0, 0, 255], [0, 0, 255, 255]]  # two colours, then transparent pixels
    Image.fromarray(rgba, "RGBA").save("sprite.png")
    greys = [f"{i * 65793:06x}" for i in range(1, 255)]
    Path("full.hex").write_text("\n".join(["ff0000", "0000ff", *greys]) + "\n")
    result = run("sprite.png", "--palette-in", "full.hex", "-o", "out.png")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (
        "quantize: error: sprite.png: --palette-in='full.hex' holds 256 colours, more than a "
        "palette image holds: at most 255 colours (one entry is kept for the transparent "
        "pixels, unless one of the palette's own is transparent, which they take, every "
        "entry keeping its index: alpha 0, as rrggbb00 in .hex, R G B 0 in .pal, 00rrggbb in "
        ".txt, \"alpha\": 0 in .json, R G B 0 after a 'Channels: RGBA' line in .gpl, or an "
        ".act of 772 bytes whose transparent index names it); give -k/--colors=N (N <= 255) "
        "to map onto the best N of its entries, which picks N of them and renumbers them "
        "from 0 (entry i of the palette is then not index i); use fewer colours, or for a "
        "still image a .jpg/.webp/.tif output\n")
    assert not Path("out.png").exists()
    lines = Path("full.hex").read_text().splitlines()
    Path("full.hex").write_text("\n".join([*lines[:-1], "ffffff00"]) + "\n")  # as it says
    done = run("sprite.png", "--palette-in", "full.hex", "-o", "out.png")
    assert done.exit_code == 0, done.output
    with Image.open("out.png") as im:
        assert (im.mode, len(im.getpalette()) // 3) == ("P", 256)
        shown = np.asarray(im.convert("RGBA"))  # the file's own transparent entry, white
        assert np.array_equal(shown[..., 3], rgba[..., 3])
        assert np.array_equal(shown[rgba[..., 3] > 0], rgba[rgba[..., 3] > 0])


def _sprite_of_192_colours_and_transparency(folder, rng):
    """A 16 x 16 RGBA PNG in ``folder``: 12 columns of 192 random opaque colours, then 4
    transparent."""
    rgba = np.zeros((16, 16, 4), np.uint8)
    rgba[:, :12, :3] = rng.integers(0, 256, (16, 12, 3))
    rgba[:, :12, 3] = 255
    src = folder / "sprite.png"
    Image.fromarray(rgba, "RGBA").save(src)
    return src


@pytest.mark.parametrize("ext", [".png", ".gif"])
def test_transparent_pixels_take_an_entry_beyond_k_as_the_help_says(tmp_path, rng, ext):
    # -k 16 on a sprite with transparency gave 17 entries (an 8-bit PNG, a GIF table of
    # 32) and the help did not say why; 16-entry hardware palettes need -k 15
    helped = " ".join(run("--help").stdout.split())
    assert ("In a .png/.gif/.bmp, transparent pixels take one more entry, beyond K (-k 15 for 16 "
            "entries, one transparent), 256 at most in all") in helped
    src = _sprite_of_192_colours_and_transparency(tmp_path, rng)
    for k, entries in ((16, 17), (15, 16)):
        out = tmp_path / f"k{k}{ext}"
        assert run(src, "-k", k, "-o", out).exit_code == 0
        with Image.open(out) as im:
            colours = im.getcolors()
            assert (im.mode, len(colours)) == ("P", entries)
            assert im.info["transparency"] in {index for _, index in colours}
            if ext == ".png" and k == 15:
                assert len(im.getpalette()) == 3 * 16  # a 4-bit PNG holds them


def test_the_help_says_k_64_on_a_transparent_gif_needs_a_128_entry_table(tmp_path, rng):
    # -k 64 on a GIF with transparency wrote a 128-entry table (65 entries), where gifsicle's
    # --colors 64 counts the transparent entry; the help did not say which -k fits 64
    helped = " ".join(run("--help").stdout.split())
    assert ("-k 64 on a GIF with transparency writes 65 entries, stored in a 128-entry table, "
            "where -k 63 fits 64 (gifsicle's --colors 64 counts the transparent entry).") in helped
    src = _sprite_of_192_colours_and_transparency(tmp_path, rng)
    for k, table in ((64, 128), (63, 64)):
        assert run(src, "-k", k, "-o", tmp_path / f"k{k}.gif").exit_code == 0
        with Image.open(tmp_path / f"k{k}.gif") as im:
            assert (len(im.getcolors()), len(im.getpalette()) // 3) == (k + 1, table)


def test_the_ext_help_names_the_default_extension_of_an_animation(tmp_path, monkeypatch):
    # It said ".k<N> and its own extension", while an animated AVIF gives anim.k16.gif.
    from quantize.animation.sinks import ANIMATION_EXTENSIONS

    helped = " ".join(run("--help").stdout.split())
    said = helped.split("--ext SUFFIX ", 1)[1].split(" -k, --colors", 1)[0]
    listed = said.split("its own extension when it is ", 1)[1].split(", else", 1)[0]
    assert set(listed.replace(" or ", ", ").split(", ")) == set(ANIMATION_EXTENSIONS)
    assert said.endswith("else .k<N>.gif, as for an animated AVIF).")
    if not features.check("avif"):
        pytest.skip("Pillow reads no AVIF here")
    monkeypatch.chdir(tmp_path)
    frames = [Image.new("RGB", (16, 16), c) for c in ((200, 0, 0), (0, 0, 200))]
    frames[0].save("anim.avif", save_all=True, append_images=frames[1:], duration=100)
    result = run("anim.avif", "-k", "2", "-q")
    assert result.exit_code == 0, result.output
    assert Path("anim.k2.gif").is_file()


def test_a_black_padded_act_maps_onto_its_own_colours(photo, tmp_path, monkeypatch):
    # 16 colours and 240 black entries: an image with transparency was refused as "holds
    # 256 colours, more than a palette image holds: at most 255"; an opaque one was written
    # .k256.png with 256 entries, said "256 colours", though it drew 5. Then the black
    # tail was kept once: a black entry the palette's device has not (a Game Boy's 4
    # greens), which pixels took. It is now left out.
    monkeypatch.chdir(tmp_path)
    colours = np.random.default_rng(1).integers(1, 255, (16, 3), dtype=np.uint8)
    Path("pad16.act").write_bytes(colours.tobytes() + bytes(720))
    rgba = np.dstack([np.asarray(Image.open(photo))[:8, :8], np.full((8, 8), 255, np.uint8)])
    rgba[:2, :, 3] = 0
    Image.fromarray(rgba, "RGBA").save("icon.png")
    icon = run("icon.png", "--palette-in", "pad16.act", "-o", "i.png")
    assert icon.exit_code == 0, icon.output
    assert icon.stdout.startswith("icon.png -> i.png: 16 entries, 2 used, ")  # as it drew
    with Image.open("i.png") as im:  # the table's 16 colours, then the transparent entry
        assert im.getpalette() == colours.ravel().tolist() + [0, 0, 0]
        assert im.info["transparency"] == 16
    assert icon.stderr == (
        "quantize: warning: icon.png: pad16.act: an Adobe colour table of 768 bytes has no "
        "count of the colours used, and its last 240 entries are black: read as the unused "
        "entries of a smaller palette and left out, so it gives 16 entries; if black is a "
        "colour of the palette, write a 772-byte table whose count includes it\n"
        # 16 random colours are far from the photo's greys, and said to be
        "quantize: warning: icon.png: --palette-in='pad16.act' is far from the image's "
        "colours: mean CIEDE2000 22.5 (over 20); to keep some colours exactly and fit the "
        "others, give those as --fixed-color=COLOUR instead\n")
    greens = [15, 56, 15, 48, 98, 48, 139, 172, 15, 155, 188, 15]  # a Game Boy's
    Path("pad4.act").write_bytes(bytes(greens) + bytes(756))
    opaque = run(photo, "--palette-in", "pad4.act")
    assert opaque.exit_code == 0, opaque.output
    assert opaque.stdout.startswith(f"{photo} -> {tmp_path / 'photo.k4.png'}: 4 colours, ")
    with Image.open("photo.k4.png") as im:
        assert im.getpalette() == greens
    # the tail's line, and the greens' distance from the grey photo (mean CIEDE2000 28.5)
    assert opaque.stderr.count("\n") == 2 and "mean CIEDE2000 28.5 (over 20)" in opaque.stderr
    assert "last 252 entries are black: read as the unused entries of a smaller palette and " \
           "left out, so it gives 4 entries" in opaque.stderr


@pytest.mark.parametrize("k, suffix", [(12, ".txt"), (12, ".json"), (64, ".gpl"),
                                       (64, ".hex"), (256, ".act"), (256, ".pal")])
def test_a_palette_written_and_given_back_gives_the_same_image(tmp_path, k, suffix):
    # chelsea -k 12 --palette-out p.txt, then --palette-in p.txt, gave the same palette
    # but 134 of its 135,300 pixels on another entry: each as far from two entries, which
    # the fit and the given palette's mapping told apart differently.
    src = Path(__file__).resolve().parent.parent / "samples" / "chelsea.jpg"
    pal, first, again = tmp_path / f"p{suffix}", tmp_path / "a.png", tmp_path / "b.png"
    assert run(src, "-k", k, "-o", first, "--palette-out", pal, "-q").exit_code == 0
    assert run(src, "--palette-in", pal, "-o", again, "-q").exit_code == 0
    with Image.open(first) as a, Image.open(again) as b:
        assert a.getpalette() == b.getpalette()
        assert np.array_equal(np.asarray(a), np.asarray(b))


@pytest.mark.parametrize("suffix", [".json", ".txt"])
def test_a_palette_with_alpha_written_and_given_back_gives_the_same_image(tmp_path, suffix):
    # coffee with a soft round alpha at -k 255: through .json or .txt, which keep alpha,
    # some of its pixels came back on another, equally near entry.
    with Image.open(Path(__file__).resolve().parent.parent / "samples" / "coffee.jpg") as im:
        rgb = np.asarray(im.convert("RGB"))
    h, w = rgb.shape[:2]
    rows, cols = np.mgrid[:h, :w]
    alpha = np.clip(255 - np.hypot(rows - h / 2, cols - w / 2) / 1.2, 0, 255).astype(np.uint8)
    src = tmp_path / "soft.png"
    Image.fromarray(np.dstack([rgb, alpha])).save(src)
    pal, first, again = tmp_path / f"p{suffix}", tmp_path / "a.png", tmp_path / "b.png"
    assert run(src, "-k", 255, "-o", first, "--palette-out", pal, "-q").exit_code == 0
    assert run(src, "--palette-in", pal, "-o", again, "-q").exit_code == 0
    with Image.open(first) as a, Image.open(again) as b:
        assert (a.getpalette(), a.info["transparency"]) == (b.getpalette(), b.info["transparency"])
        assert np.array_equal(np.asarray(a), np.asarray(b))


@pytest.mark.parametrize("k", [16, 64])
def test_a_dithered_palette_written_and_given_back_keeps_its_entries_and_the_tone(tmp_path, k):
    # Given back with --dither, the palette keeps its entries in their order, and the
    # image is diffused onto it as onto any given palette (the whole error): it is not the
    # fit's dithered image (31 % / 38 % of the pixels differ at k = 16 / 64), but its mean
    # colour stays within 0.62 / 0.44 levels of the input's.
    src = Path(__file__).resolve().parent.parent / "samples" / "chelsea.jpg"
    pal, first, again = tmp_path / "p.hex", tmp_path / "a.png", tmp_path / "b.png"
    assert run(src, "-k", k, "--dither", "-o", first, "--palette-out", pal, "-q").exit_code == 0
    assert run(src, "--dither", "--palette-in", pal, "-o", again, "-q").exit_code == 0
    with Image.open(first) as a, Image.open(again) as b, Image.open(src) as original:
        assert a.getpalette() == b.getpalette()
        drawn = np.asarray(b.convert("RGB")).reshape(-1, 3).mean(axis=0)
        mean = np.asarray(original.convert("RGB")).reshape(-1, 3).mean(axis=0)
    assert np.linalg.norm(drawn - mean) < 0.7


def test_an_apng_named_apng_stays_an_apng(two_frame_gif, photo, tmp_path):
    # reduce clip.apng wrote clip.k4.gif (the README: an animation keeps "the input's own
    # extension"), and -o out.apng was refused as an unsupported extension.
    src = tmp_path / "clip.apng"
    with Image.open(two_frame_gif) as im:
        im.save(src, save_all=True, format="PNG")
    assert run(src, "-k", 4).exit_code == 0
    with Image.open(tmp_path / "clip.k4.apng") as im:
        assert im.format == "PNG" and im.n_frames == 2
    assert not (tmp_path / "clip.k4.gif").exists()
    assert run(photo, "-k", 4, "-o", tmp_path / "still.apng").exit_code == 0
    with Image.open(tmp_path / "still.apng") as im:
        assert im.format == "PNG" and im.mode == "P"


@pytest.mark.parametrize("image", ["still", "animation"])
def test_palette_out_never_overwrites_the_palette_in_file(photo, two_frame_gif, tmp_path,
                                                         image):
    # With --force, --palette-out onto the --palette-in file rewrote the user's palette
    # (names and comments lost, the file renamed after the image). Then the error said
    # "output path is the input file", which the image is.
    pal = tmp_path / "brand.gpl"
    text = "GIMP Palette\nName: Brand\n# company colours\n255 0 0 Brand red\n0 0 255 Blue\n"
    pal.write_text(text)
    src = photo if image == "still" else two_frame_gif
    out = tmp_path / f"out{src.suffix}"
    result = run(src, "-o", out, "--palette-in", pal, "--palette-out", tmp_path / "." / pal.name,
                 "--force")
    # A usage error, before the image is read (it was exit 1, from the job), as an
    # output that is its own input is.
    assert result.exit_code == 2
    assert one_error_line(result) == (
        f"quantize: error: {tmp_path / '.' / pal.name}: is the file of "
        f"--palette-in={str(pal)!r}, the palette mapped onto, which is never overwritten "
        "(not even with --force); write the palette to another file")
    assert pal.read_text() == text and not out.exists()


def test_few_colours_all_kept_are_said_by_the_files_line_alone(tmp_path):
    """A note line of its own for each such file (30 lines for 50 icons at -k 256, where
    pngquant says nothing) said what the summary's "2 colours, lossless" says: no line on
    stderr now; --json's object holds k and n_colors."""
    src = tmp_path / "two.png"
    Image.fromarray(np.array([[[0, 0, 0], [255, 255, 255]]], np.uint8)).save(src)
    result = run(src, "-k", 8, "-o", tmp_path / "o.png")
    assert result.exit_code == 0
    assert result.stdout.startswith(f"{src} -> {tmp_path / 'o.png'}: 2 colours, lossless")
    assert [line for line in result.stderr.splitlines()  # but the note of its size
            if " is larger than the input " not in line] == []
    for shown in ("-q", "--json"):
        quiet = run(src, "-k", 8, "-o", tmp_path / "o.png", "--force", shown)
        assert (quiet.exit_code, quiet.stderr) == (0, "")
    row = json.loads(quiet.stdout)
    assert (row["n_colors"], row["k"], row["psnr"]) == (8, 2, None)


@pytest.mark.parametrize("suffix", [".gif", ".webp", ".png"])
def test_few_colours_of_an_animation_are_said_by_the_files_line_alone(two_frame_gif,
                                                                       tmp_path, suffix):
    # A note line for every sprite or spinner: the summary's "8 colours, lossless" says it
    out = tmp_path / f"o{suffix}"
    result = run(two_frame_gif, "-k", 64, "-o", out)
    assert result.exit_code == 0
    assert result.stdout.startswith(f"{two_frame_gif} -> {out}: 8 colours, lossless")
    assert "distinct" not in result.stderr
    for shown in ("-q", "--json"):  # --json's object holds k and n_colors
        quiet = run(two_frame_gif, "-k", 64, "-o", out, "--force", shown)
        assert (quiet.exit_code, quiet.stderr) == (0, "")


def test_few_colours_of_each_frame_with_a_palette_per_frame_are_said_once(tmp_path):
    # Twelve colours in all (more than -k 8), three a frame: the files line says it
    frames = [np.zeros((8, 3, 3), np.uint8) for _ in range(4)]
    for i, frame in enumerate(frames):
        frame[:] = [[(25 * j, 30 * i + 5, 100) for j in range(3)]]
    src = save_animation(tmp_path / "in.gif", frames, duration=50, loop=0)
    out = tmp_path / "o.gif"
    result = run(src, "-k", 8, "--palette", "per-frame", "-o", out)
    assert result.exit_code == 0
    assert result.stdout.startswith(f"{src} -> {out}: up to 3 colours a frame, lossless")
    assert "distinct" not in result.stderr  # the line's "up to 3 colours a frame" says it
    quiet = run(src, "-k", 8, "--palette", "per-frame", "-o", out, "--force", "-q")
    assert (quiet.exit_code, quiet.stderr) == (0, "")


def test_help_shows_examples_and_exit_codes():
    result = runner.invoke(app, ["reduce", "--help"])
    assert result.exit_code == 0
    text = " ".join(result.stdout.split())
    assert "quantize reduce photo.jpg --quality 3" in text and "15 output exists" in text
    assert "98 result larger than the input" in text and "FILE..." in text


# --------------------------------------------------------------------------
# Many files per call, stdin/stdout, --skip-if-larger, --dither=LEVEL
# --------------------------------------------------------------------------


@pytest.fixture
def photos(tmp_path, rng):
    """Three small noisy gradients in their own folder."""
    folder = tmp_path / "many"
    folder.mkdir()
    paths = []
    for i, name in enumerate(["a.png", "b.jpg", "c.png"]):
        ramp = np.linspace(0, 255, 24 + 4 * i)
        x, y = np.meshgrid(ramp, ramp[::-1])
        image = np.clip(np.dstack([x, y, np.full_like(x, 40.0 * i)])
                        + rng.normal(0, 6, (*x.shape, 3)), 0, 255).astype(np.uint8)
        Image.fromarray(image).save(folder / name)
        paths.append(folder / name)
    return paths


def _palette_size(path) -> int:
    with Image.open(path) as im:
        assert im.mode == "P"
        return len(im.getpalette()) // 3


def test_a_huge_jobs_starts_at_most_four_workers_a_cpu(photos, monkeypatch):
    """--jobs 100000 asked for a worker per file, however many files there were."""
    from quantize.batch import executor_local

    asked = []
    monkeypatch.setattr(executor_local, "available_cpus", lambda: 1)
    monkeypatch.setattr(executor_local, "run_local",
                        lambda calls, settle, jobs, **kw: asked.append((len(calls), jobs)))
    many = [photos[0]] + [photos[0].with_name(f"{i}.png") for i in range(5)]
    for path in many[1:]:
        path.write_bytes(photos[0].read_bytes())
    assert run(*many, "-k", 4, "--jobs", 100_000, "-q").exit_code == 0
    assert asked == [(6, 4)]
    assert "at most 4 per CPU" in " ".join(run("--help").stdout.split())


def _tiny_files(folder: Path, n: int) -> list[Path]:
    """``n`` tiny PNGs of two colours each, in ``folder``."""
    folder.mkdir(exist_ok=True)
    paths = []
    for i in range(n):
        image = np.zeros((2, 2, 3), np.uint8)
        image[0] = (10 * i, 200, 30)
        paths.append(folder / f"{i}.png")
        Image.fromarray(image).save(paths[-1])
    return paths


@pytest.mark.parametrize("jobs, n_files, quiet, said", [
    (1000, 6, False, "quantize: warning: -j/--jobs=1000 is more than 4 per CPU; "
     "running 4 at once"),
    (5, 6, True, "quantize: warning: -j/--jobs=5 is more than 4 per CPU; running 4 at once"),
    (1000, 4, False, None),  # four files need four processes, the cap lowers nothing
    (1000, 3, True, None),
    (4, 6, False, None),
    (2, 6, True, None),
])
def test_a_jobs_the_cap_lowers_is_said_once(tmp_path, monkeypatch, jobs, n_files, quiet,
                                            said):
    """-j 1000 ran 4 per CPU without a word."""
    from quantize.batch import executor_local

    asked = []
    monkeypatch.setattr(executor_local, "available_cpus", lambda: 1)
    monkeypatch.setattr(executor_local, "run_local",
                        lambda calls, settle, jobs, **kw: asked.append((len(calls), jobs)))
    files = _tiny_files(tmp_path, n_files)
    result = run(*files, "-k", 2, "-j", jobs, *(["-q"] if quiet else []))
    assert result.exit_code == 0, result.output
    assert asked == [(n_files, min(jobs, n_files, 4))]  # the jobs run are as before
    warned = [line for line in result.stderr.splitlines() if "-j/--jobs" in line]
    assert warned == ([] if said is None else [said])


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_many_files_are_named_after_their_inputs_with_one_line_each(photos, jobs):
    result = run(*photos, "-k", 8, "--jobs", jobs)
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 3
    for src in photos:
        out = src.with_name(f"{src.stem}.k8.png")
        assert _palette_size(out) <= 8
        assert load_image(out).shape == load_image(src).shape
        assert sum(line.startswith(f"{src} -> {out}: 8 colours") for line in lines) == 1


def test_quiet_prints_only_errors_and_still_writes_every_output(photos):
    bad = photos[0].with_name("broken.png")
    bad.write_bytes(b"not a png at all")
    result = run(*photos, bad, "-k", 4, "-q")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert one_error_line(result) == f"quantize: error: {bad}: not an image Pillow can identify"
    assert all(_palette_size(src.with_name(f"{src.stem}.k4.png")) <= 4 for src in photos)
    refused = run(photos[0], "-k", 4, "--quiet", "--json", "--force")
    assert refused.exit_code == 2
    assert one_error_line(refused) == ("quantize: error: -q/--quiet and --json both given; "
                                       "expected one of them")


def test_ext_names_every_output(photos):
    result = run(*photos, "-k", 4, "--ext", "-small.png", "--json")
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert sorted(Path(r["output"]).name for r in records) == [
        "a-small.png", "b-small.png", "c-small.png"]
    assert all(_palette_size(r["output"]) <= 4 for r in records)


def test_a_bad_file_among_good_ones_is_reported_and_the_others_are_written(photos, tmp_path):
    bad = photos[0].with_name("broken.png")
    bad.write_bytes(b"not a png at all")
    result = run(photos[0], bad, photos[1], "-k", 6, "--jobs", "2")
    assert result.exit_code == 1
    assert one_error_line(result) == (f"quantize: error: {bad}: not an image Pillow can "
                                      "identify")
    assert len(result.stdout.strip().splitlines()) == 2
    for src in (photos[0], photos[1]):
        assert _palette_size(src.with_name(f"{src.stem}.k6.png")) <= 6
    assert not bad.with_name("broken.k6.png").exists()


def test_failures_sharing_a_code_exit_with_it_and_mixed_ones_exit_1(photos):
    assert run(*photos, "-k", 4, "-j", "1").exit_code == 0
    again = run(*photos[:2], "-k", 4, "-j", "1")      # both outputs exist
    assert again.exit_code == 15
    assert len(again.stderr.strip().splitlines()) == 2
    missing = photos[0].with_name("missing.png")
    mixed = run(photos[0], missing, "-k", 4, "-j", "1")   # exists (15), unreadable (1)
    assert mixed.exit_code == 1


@pytest.mark.parametrize("args, match", [
    (["-o", "x.png"], "-o/--output names one file but 2 inputs were given; use --ext"),
    (["--palette-out", "p.gpl"], "--palette-out names one file but 2 inputs were given; "
                                 "write each input's palette in a call of its own"),
    (["--dither", "0.5"], "0.5: no such file; a dithering strength is written --dither=0.5"),
    (["--ext", ".txt"], "--ext='.txt' is not valid; expected a suffix ending in an image"),
    # it was refused as not ending in an image extension, which it does
    (["--ext", "_small/a.png"], "--ext='_small/a.png' holds a '/'; expected a suffix of the "
                                "output's name, which is written beside its input: to write "
                                "it elsewhere, name it with -o"),
    (["--jobs", "0"], "--jobs=0 should be >= 1"),
    (["--dither=2"], "--dither='2' is not valid; expected a strength from 0 to 1"),
    (["--dither=lots"], "--dither='lots' is not valid"),
    # read by Python as 1, a strength allowed: not a plain decimal number
    (["--dither=0_1"], "--dither='0_1' is not valid; expected a strength from 0 to 1"),
])
def test_usage_errors_with_several_inputs_write_nothing(photos, monkeypatch, args, match):
    monkeypatch.chdir(photos[0].parent)
    before = sorted(p.name for p in photos[0].parent.iterdir())
    result = run(photos[0], photos[1], *args)
    assert result.exit_code == 2, result.output
    assert match in one_error_line(result)
    assert sorted(p.name for p in photos[0].parent.iterdir()) == before


def test_inputs_that_would_share_a_default_output_are_refused(tmp_path):
    for name in ("a.png", "a.jpg"):
        Image.new("RGB", (4, 4), "red").save(tmp_path / name)
    for ext, output in (([], "a.k16.png"), (["--ext", ".small.png"], "a.small.png"),
                        (["-k", "8"], "a.k8.png"),
                        (["--quality", "2", "--ext", ".q.png"], "a.q.png")):
        result = run(tmp_path / "a.png", tmp_path / "a.jpg", *ext)
        assert result.exit_code == 2
        assert one_error_line(result) == (
            f"quantize: error: {tmp_path / 'a.jpg'}: would be written to the same output "
            f"{tmp_path / output} as {tmp_path / 'a.png'}; rename one, or reduce each with its "
            "own -o")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.jpg", "a.png"]


def test_inputs_of_one_stem_with_quality_are_refused_as_their_k_may_be_one(tmp_path,
                                                                          monkeypatch):
    """'a.png a.jpg --quality 2' said both "would be written to the same output
    a.k<N>.png", as if N were known: each is named after the k chosen for it, which is
    the same for these two (red alone: the second would replace, or with no --force be
    refused by, the first's output) and may be for any two."""
    monkeypatch.chdir(tmp_path)
    for name in ("a.png", "a.jpg", "A.gif"):
        Image.new("RGB", (4, 4), "red").save(name)
    result = run("a.png", "a.jpg", "--quality", 2)
    assert result.exit_code == 2
    assert one_error_line(result) == (
        "quantize: error: a.jpg: may be written to the same output a.k<N>.png as a.png, as N "
        "is the k --quality chooses for each image, and it may choose the same for both; "
        "rename one, or reduce each with its own -o")
    folded = run("a.png", "A.gif", "--quality", 2)
    assert one_error_line(folded) == (
        "quantize: error: A.gif: may be written to the same output file as a.png: "
        "'a.k<N>.png' and 'A.k<N>.png', one file where names ignore case (macOS, Windows), "
        "as N is the k --quality chooses for each image, and it may choose the same for "
        "both; rename one, or reduce each with its own -o")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["A.gif", "a.jpg", "a.png"]


def test_inputs_of_one_stem_with_a_palette_in_are_refused_naming_the_output(tmp_path,
                                                                           monkeypatch):
    """'a.png a.jpg --palette-in p.hex' was refused naming "a.k<N>.png", though a still
    image's N is the palette's size, known before any work, and so is an APNG's, the
    entries it draws."""
    monkeypatch.chdir(tmp_path)
    for name in ("a.png", "a.jpg", "b.gif", "b.jpg"):
        Image.new("RGB", (4, 4), "red").save(name)
    frames = [Image.new("RGB", (4, 4), c) for c in ("red", "blue")]
    frames[0].save("c.png", save_all=True, append_images=frames[1:])
    frames[0].save("c.jpg")
    Path("p.hex").write_text("ff0000\n0000ff\n00ff00\n")
    for first, second, output in (("a.png", "a.jpg", "a.k3.png"), ("b.gif", "b.jpg", "b.k3.png"),
                                  ("c.png", "c.jpg", "c.k3.png")):
        result = run(first, second, "--palette-in", "p.hex")
        assert result.exit_code == 2
        assert one_error_line(result) == (
            f"quantize: error: {second}: would be written to the same output {output} as "
            f"{first}; rename one, or reduce each with its own -o")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "a.jpg", "a.png", "b.gif", "b.jpg", "c.jpg", "c.png", "p.hex"]


def test_pillow_warnings_of_the_headers_read_before_the_jobs_are_not_printed_raw(tmp_path):
    """Two inputs of one stem have their headers read to name their outputs: Pillow's
    warning about a cut TIFF's EXIF reached stderr as Python prints it, with Pillow's
    source line ("TiffImagePlugin.py:982: UserWarning: ..." and "warnings.warn(...)")."""
    frames = [Image.new("RGB", (8, 6), c) for c in [(255, 0, 0), (0, 255, 0), (0, 0, 255)]]
    buf = io.BytesIO()
    frames[0].save(buf, "TIFF", save_all=True, append_images=frames[1:])
    (tmp_path / "x.tif").write_bytes(buf.getvalue()[: buf.tell() // 2])
    frames[0].save(tmp_path / "x.png")
    done = run_in_process(["reduce", "x.tif", "x.png", "-k", "2", "-j", "1", "-q"], cwd=tmp_path)
    assert done.returncode == 1
    assert "UserWarning" not in done.stderr and "warnings.warn" not in done.stderr
    assert ("quantize: error: x.tif: cannot decode image (truncated or malformed file: "
            "Missing dimensions)") in done.stderr.splitlines()
    assert all(line.startswith("quantize: ") for line in done.stderr.splitlines())


def test_a_16_bit_tiff_of_compressed_planes_is_one_line_naming_it(tmp_path):
    """Read from the high bytes of its samples before, silently; refused now, nothing
    written."""
    tifffile = pytest.importorskip("tifffile")
    src = tmp_path / "planes.tif"
    tifffile.imwrite(src, np.full((3, 2, 3), 0x00FF, np.uint16), photometric="rgb",
                     planarconfig="separate", compression="zlib")
    result = run(src)
    assert result.exit_code == 1
    assert one_error_line(result) == (
        f"quantize: error: {src}: is a 16-bit RGB TIFF of separate colour planes "
        "(PlanarConfiguration 2), compressed, which Pillow does not decode from all 16 bits; "
        "save it with its samples side by side (tiffcp -p contig in.tif out.tif, or "
        "ImageMagick's convert in.tif -interlace none out.tif)")
    assert [p.name for p in tmp_path.iterdir()] == ["planes.tif"]


def test_a_still_and_an_animation_name_the_colours_a_palette_in_writes(tmp_path, monkeypatch):
    """A fully transparent entry is dropped from both: the still was named d.k3.png for the
    2 colours it wrote (the animation d.k2.gif); a translucent entry is kept by the still
    alone, which an animation draws transparent."""
    monkeypatch.chdir(tmp_path)
    frames = [Image.new("RGB", (4, 4), c) for c in ("red", "blue")]
    frames[0].save("d.png")
    frames[0].save("e.gif", save_all=True, append_images=frames[1:])
    Path("clear.hex").write_text("00000000\nff0000ff\n0000ffff\n")
    Path("faint.hex").write_text("00ff0040\nff0000ff\n0000ffff\n")
    assert run("d.png", "e.gif", "--palette-in", "clear.hex", "-q").exit_code == 0
    assert run("d.png", "--palette-in", "faint.hex", "-q").exit_code == 0
    assert sorted(p.name for p in tmp_path.glob("*.k*")) == ["d.k2.png", "d.k3.png",
                                                             "e.k2.gif"]
    with Image.open("d.k2.png") as still:  # the transparent entry kept at index 0
        assert len(still.getpalette()) // 3 == 3 and still.info["transparency"] == 0


@pytest.mark.parametrize("name", ["d.png", "e.gif"])
def test_the_job_reads_a_palette_in_file_once(tmp_path, monkeypatch, name):
    """The --palette-in file is read up front, to name a bad file before any job, and then
    by the job; the job read it again for the names it gives (a .gpl's), and an
    animation's options a third time. It reads it once: the names come from the same
    read, and the animation takes the palette read."""
    from quantize import palette_files

    monkeypatch.chdir(tmp_path)
    frames = [Image.new("RGB", (4, 4), c) for c in ("red", "blue")]
    frames[0].save(name, save_all=name == "e.gif", append_images=frames[1:])  # d.png a still
    Path("inks.gpl").write_text("GIMP Palette\nName: Inks\n255 0 0 Warm red\n0 0 255\n")
    reads = []
    read = palette_files._palette_bytes
    monkeypatch.setattr(palette_files, "_palette_bytes", lambda p: reads.append(p) or read(p))
    result = run(name, "--palette-in", "inks.gpl", "-o", "out" + Path(name).suffix,
                 "--palette-out", "out.gpl")
    assert result.exit_code == 0, result.output
    assert reads == [Path("inks.gpl")] * 2
    assert read_palette("out.gpl").tolist() == [[255, 0, 0], [0, 0, 255]]
    if name == "d.png":  # a still's palette file keeps the names
        lines = Path("out.gpl").read_text().splitlines()
        assert lines[1] == "Name: Inks" and lines[4].startswith("255   0   0\tWarm red ")


def test_an_animation_says_which_entries_become_one_colour_once_opaque(tmp_path, monkeypatch):
    """000000c8 and 000000ff, one colour once an animation draws alpha 128 and up opaque,
    were merged into one entry, the output said to have 2 colours of a 3-entry palette,
    without a word but that the translucent entry was drawn opaque."""
    monkeypatch.chdir(tmp_path)
    frames = [Image.new("RGB", (4, 4), c) for c in ("black", "red")]
    frames[0].save("e.gif", save_all=True, append_images=frames[1:])
    Path("p.hex").write_text("000000ff\n000000c8\nff0000ff\nff000010\n")
    result = run("e.gif", "--palette-in", "p.hex", "-o", "out.gif")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("e.gif -> out.gif: 2 colours, ")
    assert result.stderr == (
        "quantize: warning: e.gif: --palette-in='p.hex' has 2 translucent entries; an "
        "animation mapped onto a given palette keeps only binary transparency, so those with "
        "alpha below 128 are dropped and the others drawn opaque, and index 1 (#000000c8) is "
        "then the colour of index 0 (#000000), each colour kept once: 2 colours are drawn\n")
    with Image.open("out.gif") as im:
        assert im.getpalette()[:6] == [0, 0, 0, 255, 0, 0]
    Path("q.hex").write_text("000000c8\nff0000ff\n")  # no entry merged: as before
    other = run("e.gif", "--palette-in", "q.hex", "-o", "other.gif")
    assert other.exit_code == 0, other.output
    assert other.stderr.endswith("drawn opaque\n")


def _palette_of_256(translucent: str) -> str:
    """A .hex palette of 255 opaque greys and blues and, last, the entry ``translucent``:
    256 visible entries, which leave an APNG no room for its transparent entry, so it
    draws those of alpha >= 128 alone, as a GIF does, where a still keeps all 256."""
    opaque = [f"{i:02x}{i:02x}{min(2 * i, 255):02x}" for i in range(255)]
    return "\n".join([*opaque, translucent]) + "\n"


@pytest.mark.parametrize("palette, outputs", [
    (_palette_of_256("00ff0040"), ("c.k255.png", "c.k256.png")),
    ("ff0000\n0000ff40\n00ff00\n", "c.k3.png"),  # the APNG keeps the translucent entry
    ("ff0000\n0000ff00\n00ff00\n", "c.k2.png"),
    ("ff0000\n00ff00\n", "c.k2.png")])
def test_an_apng_and_a_still_of_one_stem_written_apart_are_not_refused(tmp_path, monkeypatch,
                                                                      palette, outputs):
    """An APNG drew only the entries of alpha >= 128, as it still does when its 256 visible
    entries leave no room for the transparent one, so 'c.png c.jpg --palette-in p.hex'
    writes c.k255.png and c.k256.png then; both were refused as "the same output
    c.k<N>.png". A still drops a fully transparent entry as the APNG does, and an APNG keeps
    a translucent one as a still does: both are named alike then, and refused."""
    monkeypatch.chdir(tmp_path)
    frames = [Image.new("RGB", (4, 4), c) for c in ("red", "blue")]
    frames[0].save("c.png", save_all=True, append_images=frames[1:])
    frames[0].save("c.jpg")
    Path("p.hex").write_text(palette)
    result = run("c.png", "c.jpg", "--palette-in", "p.hex", "-q")
    if isinstance(outputs, str):  # one name for both: refused
        assert result.exit_code == 2
        assert one_error_line(result) == (
            f"quantize: error: c.jpg: would be written to the same output {outputs} as c.png; "
            "rename one, or reduce each with its own -o")
        assert sorted(p.name for p in tmp_path.iterdir()) == ["c.jpg", "c.png", "p.hex"]
        return
    assert result.exit_code == 0, result.output
    with Image.open(outputs[0]) as apng, Image.open(outputs[1]) as still:
        assert (apng.n_frames, still.n_frames) == (2, 1)


def test_an_apng_is_not_refused_for_the_name_a_still_of_its_stem_would_take(tmp_path,
                                                                          monkeypatch):
    """An APNG's job checked the name a still would take (c.k256.png: every entry kept)
    before it knew it wrote an animation (c.k255.png: the entries of alpha >= 128, as 256
    visible entries leave no room for the transparent one), so it failed with
    "c.k256.png: output exists" when that file was there, as when the job of c.jpg, run
    beside it, had written it first."""
    monkeypatch.chdir(tmp_path)
    frames = [Image.new("RGB", (4, 4), c) for c in ("red", "blue")]
    frames[0].save("c.png", save_all=True, append_images=frames[1:])
    Path("p.hex").write_text(_palette_of_256("00ff0040"))
    Path("c.k256.png").write_bytes(b"another run's still")
    result = run("c.png", "--palette-in", "p.hex", "-q")
    assert result.exit_code == 0, result.output
    with Image.open("c.k255.png") as apng:
        assert apng.n_frames == 2
    assert Path("c.k256.png").read_bytes() == b"another run's still"


@pytest.mark.parametrize("first, second, args, outputs, why", [
    ("a.png", "A.jpg", [], "'a.k16.png' and 'A.k16.png'",
     "one file where names ignore case (macOS, Windows)"),
    ("b.png", "B.PNG", ["--ext", ".s.png"], "'b.s.png' and 'B.s.png'",
     "one file where names ignore case (macOS, Windows)"),
    ("\u00c9t\u00e9.png", "\u00e9T\u00c9.gif", ["-k", "4"],
     "'\u00c9t\u00e9.k4.png' and '\u00e9T\u00c9.k4.png'",
     "one file where names ignore case (macOS, Windows)"),
    ("caf\u00e9.png", "cafe\u0301.jpg", [], "'caf\\u00e9.k16.png' and 'cafe\\u0301.k16.png'",
     "one name in two Unicode forms: one file on macOS"),
])
def test_inputs_whose_outputs_are_one_file_ignoring_case_are_refused(
        tmp_path, monkeypatch, first, second, args, outputs, why):
    """'reduce a.png A.jpg' wrote a.k16.png and A.k16.png: on a volume that ignores case
    (macOS, Windows) the second replaced the first, and one result was lost. Names are
    compared as batch compares its outputs' (folded_name)."""
    monkeypatch.chdir(tmp_path)
    for name in (first, second):
        Image.new("RGB", (4, 4), "red").save(name)
    before = sorted(p.name for p in tmp_path.iterdir())
    result = run(first, second, *args)
    assert result.exit_code == 2
    assert one_error_line(result) == (
        f"quantize: error: {second}: would be written to the same output file as {first}: "
        f"{outputs}, {why}; rename one, or reduce each with its own -o")
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def _clip(path: Path, frames: int) -> Path:
    """A tiny GIF, WebP or PNG of ``frames`` frames (an APNG for more than one)."""
    images = [Image.new("RGB", (4, 4), colour) for colour in ("red", "blue", "lime")[:frames]]
    images[0].save(path, save_all=frames > 1, append_images=images[1:], duration=100, loop=0,
                   **({"lossless": True} if path.suffix == ".webp" else {}))
    return path


@pytest.mark.parametrize("first, second, outputs", [
    (("a.gif", 2), ("a.webp", 2), ["a.k2.gif", "a.k2.webp"]),
    (("a.gif", 2), ("a.png", 1), ["a.k2.gif", "a.k2.png"]),
    (("a.webp", 3), ("a.tif", 1), ["a.k2.png", "a.k2.webp"]),
    # a TIFF's pages were written as a GIF, a.k2.gif, and the two refused as one output
    (("a.gif", 2), ("a.tif", 2), ["a.k2.gif", "a.k2.tif"]),
])
def test_inputs_of_one_stem_whose_default_outputs_differ_are_reduced(tmp_path, monkeypatch,
                                                                     first, second, outputs):
    """'a.gif a.webp' was refused as both "written to the same output", though their
    animations are written a.k2.gif and a.k2.webp; only a still is written .png."""
    monkeypatch.chdir(tmp_path)
    inputs = [_clip(Path(name), frames).name for name, frames in (first, second)]
    result = run(*inputs, "-k", 2, "-q")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*inputs, *outputs])


@pytest.mark.parametrize("first, second", [
    (("a.gif", 1), ("a.webp", 1)),           # two stills: a.k2.png
    (("a.png", 2), ("a.gif", 1)),            # an APNG and a still: a.k2.png
])
def test_inputs_whose_default_outputs_are_one_file_are_refused(tmp_path, monkeypatch,
                                                               first, second):
    monkeypatch.chdir(tmp_path)
    inputs = [_clip(Path(name), frames).name for name, frames in (first, second)]
    result = run(*inputs, "-k", 2)
    assert result.exit_code == 2
    output = "a.k2.gif" if first[0] == "a.gif" and first[1] == 2 else "a.k2.png"
    assert one_error_line(result) == (
        f"quantize: error: {inputs[1]}: would be written to the same output {output} as "
        f"{inputs[0]}; rename one, or reduce each with its own -o")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(inputs)


@pytest.mark.parametrize("args, output", [([], "a.k16.png"), (["-k", "8"], "a.k8.png"),
                                          (["--ext", "-small.png"], "a-small.png")])
def test_an_output_that_is_another_input_is_refused_even_with_force(tmp_path, args, output):
    """It was overwritten while the run read it (a second run over *.png meets the first's
    outputs); an output of other colours is no input, and goes ahead."""
    for name, colour in (("a.png", "red"), (output, "blue")):
        Image.new("RGB", (4, 4), colour).save(tmp_path / name)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    result = run(tmp_path / "a.png", tmp_path / output, "--force", *args)
    assert result.exit_code == 2
    assert one_error_line(result) == (
        f"quantize: error: {tmp_path / 'a.png'}: its output would be "
        f"{str(tmp_path / output)!r}, which is also an input; rename that input, or choose "
        "other output names with --ext")
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
    if not args:
        assert run(tmp_path / "a.png", tmp_path / output, "--force", "-k", 4).exit_code == 0


@pytest.mark.parametrize("args, output", [([], "a.k16.png"), (["-k", "8"], "a.k8.png"),
                                          (["--ext", "-small.png"], "a-small.png")])
def test_an_output_that_another_input_links_to_is_refused_even_with_force(
        tmp_path, monkeypatch, args, output):
    """'reduce a.png b.png --force', b.png a link to a.k16.png, replaced a.k16.png, the only
    copy of b.png's image, with a.png's result (and, one job at a time, reduced that as
    b.png): the default names were compared with the inputs' names, not their files."""
    monkeypatch.chdir(tmp_path)
    Image.new("RGB", (4, 4), "red").save("a.png")
    Image.new("RGB", (4, 4), "blue").save(output)
    os.symlink(output, "b.png")
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    result = run("a.png", "b.png", "--force", "-j", 1, *args)
    assert result.exit_code == 2
    assert one_error_line(result) == (
        f"quantize: error: a.png: its output would be {output!r}, which the input 'b.png' "
        "links to; rename that input, or choose other output names with --ext")
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


#: How the refusal of an --ext output that is its own input ends: the way to outputs of the
#: inputs' own names, in another folder.
_EXT_HOW = ("choose another --ext suffix, or write outputs of the inputs' own names into another "
            "folder: quantize batch INPUT_DIR -o OUT_DIR --ext same")


@pytest.mark.parametrize("args, output, how", [
    (["icon.png", "chelsea.jpg", "--ext", ".png"], "icon.png", _EXT_HOW),
    (["chelsea.jpg", "icon.png", "--ext", ".png"], "icon.png", _EXT_HOW),
    (["icon.png", "-o", "./icon.png"], "./icon.png", "name another file with -o"),
    (["icon.png", "-o", "link.png"], "link.png", "name another file with -o"),
])
def test_an_output_that_is_its_own_input_is_refused_before_any_work(tmp_path, monkeypatch,
                                                                     args, output, how):
    """'reduce icon.png chelsea.jpg --ext .png --force' wrote chelsea.png, then failed
    icon.png with exit 1 when its job came to it, while an output that is another input
    is refused before any work with exit 2."""
    monkeypatch.chdir(tmp_path)
    Image.new("RGB", (4, 4), "red").save("icon.png")
    Image.new("RGB", (4, 4), "blue").save("chelsea.jpg")
    os.symlink("icon.png", "link.png")
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    result = run(*args, "-k", 2, "--force")
    assert result.exit_code == 2
    assert one_error_line(result) == (
        f"quantize: error: icon.png: its output would be {output!r}, the input itself, which "
        f"is never overwritten (not even with --force); {how}")
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


@pytest.mark.parametrize("inputs, shown", [
    (["a.png", "b.png"], "a.png and 1 more input: each output would be its own input "
                         "(a.png's 'a.png', the input itself)"),
    (["c.jpg", "a.png", "b.png", "d.png"], "a.png and 2 more inputs: each output would be "
                                           "its own input (a.png's 'a.png', the input itself)"),
])
def test_ext_onto_several_inputs_names_how_many(tmp_path, monkeypatch, inputs, shown):
    """'reduce --ext .png --force a.png b.png' (pngquant's in-place call) named a.png alone:
    the refusal says how many inputs it concerns, and where outputs of their own names go."""
    monkeypatch.chdir(tmp_path)
    for name in inputs:
        Image.new("RGB", (4, 4), "red").save(name)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    result = run(*inputs, "--ext", ".png", "-k", 256, "--force")
    assert result.exit_code == 2
    assert one_error_line(result) == (
        f"quantize: error: {shown}, which is never overwritten (not even with --force); "
        f"{_EXT_HOW}")
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


@pytest.mark.parametrize("args, output, verb, link", [
    ([], "a.k16.png", "would be", "symbolic"),
    ([], "a.k16.png", "would be", "hard"),
    (["--quality", "20"], "a.k3.png", "may be", "symbolic"),  # any k up to 256
])
def test_a_default_output_that_is_its_own_input_is_refused_before_any_work(
        tmp_path, monkeypatch, args, output, verb, link):
    """A default name that is a link to its own input was refused by the job only, as
    'output path is the input file', exit 1, after the other files were written, while a
    name given by -o or --ext is refused before any work, exit 2."""
    monkeypatch.chdir(tmp_path)
    Image.new("RGB", (4, 4), "red").save("a.png")
    Image.new("RGB", (4, 4), "blue").save("b.png")
    (os.symlink if link == "symbolic" else os.link)("a.png", output)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    result = run("b.png", "a.png", "--force", "-j", 1, *args)
    assert result.exit_code == 2
    what = ("a link to the input" if link == "symbolic"
            else "the input itself under another name (a hard link)")
    assert one_error_line(result) == (
        f"quantize: error: a.png: its output {verb} {output!r}, {what}, which is never "
        "overwritten (not even with --force); name another file with -o")
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


@pytest.mark.parametrize("source, args, output, how", [
    ("icon.png", ["--ext", ".PNG"], "icon.PNG", _EXT_HOW),
    ("icon.png", ["--ext", ".Png"], "icon.Png", _EXT_HOW),
    ("icon.png", ["-o", "ICON.png"], "ICON.png", "name another file with -o"),
    ("cafe\u0301.png", ["-o", "caf\u00e9.png"], "caf\u00e9.png", "name another file with -o"),
])
def test_an_output_that_is_its_own_input_ignoring_case_is_refused(tmp_path, monkeypatch,
                                                                   source, args, output, how):
    """'reduce icon.png --ext .PNG' wrote icon.PNG beside its input, on a volume that ignores
    case (macOS, Windows) the input itself, where the same command was refused; an output
    that is another input so was refused everywhere."""
    monkeypatch.chdir(tmp_path)
    Image.new("RGB", (4, 4), "red").save(source, "PNG")
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    result = run(source, *args, "-k", 2, "--force")
    assert result.exit_code == 2
    assert one_error_line(result) == (
        f"quantize: error: {source}: its output would be {by_code_point(output)}, the input "
        f"{by_code_point(source)} where names ignore case or Unicode form (macOS, Windows), "
        f"which is never overwritten (not even with --force); {how}")
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_a_palette_out_that_is_the_input_is_refused_before_any_work(tmp_path, monkeypatch):
    """An image named like a palette file (Pillow tells the format by its bytes) was
    replaced by its own palette with --force, or failed with exit 1 from its job."""
    monkeypatch.chdir(tmp_path)
    Image.new("RGB", (4, 4), "red").save("image.gpl", "PNG")
    before = Path("image.gpl").read_bytes()
    result = run("image.gpl", "-o", "out.png", "--palette-out", "image.gpl", "--force")
    assert result.exit_code == 2
    assert one_error_line(result) == (
        "quantize: error: image.gpl: --palette-out='image.gpl' is the input itself, which is "
        "never overwritten (not even with --force); write the palette to another file")
    assert Path("image.gpl").read_bytes() == before and not Path("out.png").exists()


def test_a_palette_out_to_stdout_is_refused_as_such(tmp_path, monkeypatch):
    """It was refused as "has no extension", as if a suffix would make - a file."""
    monkeypatch.chdir(tmp_path)
    Image.new("RGB", (4, 4), "red").save("a.png")
    result = run("a.png", "-o", "out.png", "--palette-out", "-")
    assert result.exit_code == 2
    assert one_error_line(result) == (
        "quantize: error: --palette-out=-: the palette is written to a file, not to stdout; "
        "name a .gpl, .json, .hex, .act, .pal, .txt, .css or .ase file")
    assert sorted(os.listdir()) == ["a.png"]


def by_code_point(name: str) -> str:
    """``name`` as ascii() quotes it, but a character below U+0100 as \\u00XX (\\xXX is
    a byte of a name that is not UTF-8)."""
    return re.sub(r"\\x([89a-f][0-9a-f])", r"\\u00\1", ascii(name))


@pytest.mark.parametrize("source, other, args, output", [
    ("a.png", "A.K16.PNG", [], "a.k16.png"),
    ("b.png", "B.X.png", ["--ext", ".x.png"], "b.x.png"),
    ("cafe\u0301.png", "caf\u00e9.k16.png", [], "cafe\u0301.k16.png"),
])
def test_an_output_that_is_another_input_ignoring_case_is_refused(
        tmp_path, monkeypatch, source, other, args, output):
    """'reduce a.png A.K16.PNG --force' wrote a.k16.png, on a volume that ignores case
    (macOS, Windows) the input A.K16.PNG, while another job read it."""
    monkeypatch.chdir(tmp_path)
    for name, colour in ((source, "red"), (other, "blue")):
        Image.new("RGB", (4, 4), colour).save(name, "PNG")
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    result = run(source, other, "--force", *args)
    assert result.exit_code == 2
    assert one_error_line(result) == (
        f"quantize: error: {source}: its output would be {by_code_point(output)}, which is also "
        f"the input {by_code_point(other)} where names ignore case or Unicode form (macOS, "
        "Windows); "
        "rename that input, or choose other output names with --ext")
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


@pytest.mark.parametrize("source, other, args, verb", [
    ("a.png", "a.k3.png", ["--quality", "20"], "may be"),  # the k chosen: 3 <= 16
    ("a.png", "a.k200.png", ["--quality", "20"], "may be"),  # up to 256 without -k
    ("a.png", "a.k3.png", ["--palette-in", "p.hex"], "would be"),  # a still keeps them all
    ("a.gif", "a.k16.gif", [], "would be"),  # an animated GIF keeps its format
    ("a.webp", "a.k16.webp", [], "would be"),
    ("a.tif", "a.k4.tif", ["-k", "4"], "would be"),  # a multi-page TIFF stays one
    ("a.gif", "a.k16.png", ["still"], "would be"),  # a still GIF becomes a PNG
])
def test_a_default_output_named_after_the_image_that_is_another_input_is_refused(
        tmp_path, source, other, args, verb):
    """The names --quality, --palette-in and animations give were not checked: with --force
    the first job overwrote the second's input, which was then reduced again (a.k3.k3.png)."""
    frames = 1 if source == "a.png" or args == ["still"] else 2
    args = [a for a in args if a != "still"]
    _clip(tmp_path / source, frames)
    Image.new("RGB", (4, 4), "blue").save(tmp_path / other)
    (tmp_path / "p.hex").write_text("ff0000\n0000ff\n00ff00\n")
    args = [str(tmp_path / a) if a == "p.hex" else a for a in args]
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    result = run(tmp_path / source, tmp_path / other, "--force", *args)
    assert result.exit_code == 2, result.output
    assert one_error_line(result) == (
        f"quantize: error: {tmp_path / source}: its output {verb} "
        f"{str(tmp_path / other)!r}, which is also an input; rename that input, or choose "
        "other output names with --ext")
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


@pytest.mark.parametrize("source, frames, other, refused", [
    ("a.gif", 2, "a.k3.gif", False),  # was refused: "its output may be 'a.k3.gif'"
    ("a.gif", 2, "a.k2.gif", True),
    ("a.png", 2, "a.k2.png", False),  # an APNG keeps the translucent entry, as a still
    ("a.png", 2, "a.k3.png", True),
    ("a.png", 1, "a.k2.png", False),  # a still keeps the translucent entry: a.k3.png
    ("a.png", 1, "a.k3.png", True),
])
def test_an_input_is_refused_as_a_default_output_only_under_the_n_its_palette_gives(
        tmp_path, source, frames, other, refused):
    """With a --palette-in of 3 entries, one of alpha 64, a GIF draws 2 (it holds no entry
    below alpha 128) and a still or an APNG keeps 3: every N from 1 to 3 was taken as one
    the output may be named with, so an input a.k3.gif beside an animated a.gif, which
    is written a.k2.gif, was refused, and a.k2.gif said to be one it "may be"."""
    _clip(tmp_path / source, frames)
    Image.new("RGB", (4, 4), "blue").save(tmp_path / other)
    (tmp_path / "p.hex").write_text("ff0000\n0000ff\n00ff0040\n")
    result = run(tmp_path / source, tmp_path / other, "--palette-in", tmp_path / "p.hex", "-q")
    if refused:
        assert result.exit_code == 2, result.output
        assert one_error_line(result) == (
            f"quantize: error: {tmp_path / source}: its output would be "
            f"{str(tmp_path / other)!r}, which is also an input; rename that input, or "
            "choose other output names with --ext")
        return
    assert result.exit_code == 0, result.output
    n = 2 if source.endswith(".gif") else 3
    assert (tmp_path / f"a.k{n}{Path(source).suffix}").exists()


def test_a_k0_name_that_quality_may_give_another_input_is_refused(tmp_path):
    """--quality names an image with no visible pixel .k0: an input of that name was not
    checked (names of k 1 and up only), and with --force the first job overwrote it."""
    Image.new("RGBA", (4, 4), (9, 9, 9, 0)).save(tmp_path / "a.png")
    Image.new("RGB", (4, 4), "blue").save(tmp_path / "a.k0.png")
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    result = run(tmp_path / "a.png", tmp_path / "a.k0.png", "--force", "--quality", "2")
    assert result.exit_code == 2, result.output
    assert one_error_line(result) == (
        f"quantize: error: {tmp_path / 'a.png'}: its output may be "
        f"{str(tmp_path / 'a.k0.png')!r}, which is also an input; rename that input, or "
        "choose other output names with --ext")
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


@pytest.mark.parametrize("other, args", [
    ("a.k17.png", ["--quality", "20", "-k", "16"]),  # more than the -k allowed
    ("a.k4.png", ["--palette-in", "p.hex"]),  # more than the palette's entries
    ("a.k016.png", ["--quality", "20"]),  # no k is written with a leading 0
    ("a.k16.webp", []),  # a PNG stays a PNG
    ("a.k16.gif", ["a.gif"]),  # a still GIF becomes a PNG; it was refused as "may be" it
    ("a.k16.png", ["a.gif", "animated"]),  # an animated GIF stays a GIF
])
def test_a_name_no_default_output_can_take_is_not_refused(tmp_path, other, args):
    source = "a.gif" if "a.gif" in args else "a.png"
    _clip(tmp_path / source, 2 if "animated" in args else 1)
    args = [a for a in args if a not in ("a.gif", "animated")]
    Image.new("RGB", (4, 4), "blue").save(tmp_path / other)
    (tmp_path / "p.hex").write_text("ff0000\n0000ff\n00ff00\n")
    args = [str(tmp_path / a) if a == "p.hex" else a for a in args]
    data = (tmp_path / other).read_bytes()
    result = run(tmp_path / source, tmp_path / other, "-j", 1, *args)
    assert result.exit_code == 0, result.output
    assert (tmp_path / other).read_bytes() == data  # a.png's output went elsewhere
    assert len(result.stdout.splitlines()) == 2


@pytest.mark.parametrize("output", [["-o", "-"], []])
def test_stdin_to_stdout_round_trip(photo, output):
    data = photo.read_bytes()
    result = runner.invoke(app, ["reduce", "-", "-k", "5", *output], input=data)
    assert result.exit_code == 0, result.stderr
    assert result.stdout_bytes.startswith(b"\x89PNG\r\n\x1a\n")
    with Image.open(io.BytesIO(result.stdout_bytes)) as im:
        im.load()
        assert im.mode == "P" and len(im.getpalette()) <= 15 and im.size == (32, 32)
        reduced = np.asarray(im.convert("RGB"))
    assert "- -> -: 5 colours" in result.stderr    # the summary goes to stderr
    # The same bytes as reducing the file itself.
    file_result = run(photo, "-k", 5, "-o", photo.with_name("file.png"))
    assert file_result.exit_code == 0
    assert np.array_equal(reduced, load_image(photo.with_name("file.png")).rgb)


@pytest.mark.parametrize("output", [["-o", "-"], []])
def test_stdin_to_stdout_keeps_the_resolution(photo, output):
    # The PNG written to stdout, as every output, had no pHYs chunk.
    scan = io.BytesIO()
    Image.open(photo).save(scan, format="PNG", dpi=(300, 150))
    result = runner.invoke(app, ["reduce", "-", "-k", "5", *output], input=scan.getvalue())
    assert result.exit_code == 0, result.stderr
    with Image.open(io.BytesIO(result.stdout_bytes)) as im:
        assert im.info["dpi"] == pytest.approx((300, 150), abs=0.02)


# --format: the format of the image written to stdout, as -o's extension picks a file's.

_FORMATS = ["png", "apng", "gif", "bmp", "jpg", "jpeg", "webp", "tif", "tiff"]


def _pillow_format(name: str) -> str:
    return Image.registered_extensions()[f".{name}"]


def _to_stdout_and_file(src: Path, fmt: str, *options: Any) -> tuple[Any, Any, Path]:
    """``src`` reduced to stdout with ``--format fmt`` and to a file named ``.fmt``, with
    the same options."""
    sent = runner.invoke(app, ["reduce", "-", "--format", fmt, *map(str, options)],
                         input=src.read_bytes())
    named = src.with_name(f"named.{fmt}")
    written = run(src, "-o", named, *options)
    return sent, written, named


@pytest.mark.parametrize("fmt", _FORMATS)
def test_format_writes_stdout_in_that_format_as_a_file_of_its_extension(photo, fmt):
    """stdout got a PNG whatever was asked: 'reduce - -o - > small.gif' wrote a PNG named
    .gif. It gets the format --format names, the same bytes as -o named.FMT."""
    sent, written, named = _to_stdout_and_file(photo, fmt, "-k", 5)
    assert sent.exit_code == 0 and written.exit_code == 0, sent.stderr + written.stderr
    with Image.open(io.BytesIO(sent.stdout_bytes)) as im:
        assert im.format == _pillow_format(fmt)
    assert sent.stdout_bytes == named.read_bytes()


@pytest.mark.parametrize("fmt", ["gif", "png", "webp", "tif"])
def test_format_keeps_an_animations_frames_on_stdout(two_frame_gif, fmt):
    sent, written, named = _to_stdout_and_file(two_frame_gif, fmt, "-k", 8)
    assert sent.exit_code == 0 and written.exit_code == 0, sent.stderr + written.stderr
    with Image.open(io.BytesIO(sent.stdout_bytes)) as im:
        assert (im.format, im.n_frames) == (_pillow_format(fmt), 2)
        if fmt == "gif":  # each frame as it was: its four colours
            for index, frame in enumerate(ImageSequence.Iterator(im)):
                with Image.open(two_frame_gif) as original:
                    original.seek(index)
                    assert np.array_equal(np.asarray(frame.convert("RGB")),
                                          np.asarray(original.convert("RGB")))
    assert sent.stdout_bytes == named.read_bytes()


def test_format_gif_per_frame_palettes_on_stdout(two_frame_gif):
    """--palette per-frame was refused for stdout, which got a PNG."""
    sent, written, named = _to_stdout_and_file(two_frame_gif, "gif", "-k", 4,
                                               "--palette", "per-frame")
    assert sent.exit_code == 0 and written.exit_code == 0, sent.stderr + written.stderr
    assert sent.stdout_bytes == named.read_bytes()


def test_format_keeps_the_json_record_and_palette_of_a_file_of_its_extension(tmp_path):
    """Binary transparency for a GIF, --optimize, --palette-out and --json hold on stdout as
    for a file of the format's extension; the warning names stdout, not a temporary file."""
    alpha = np.zeros((8, 8, 4), np.uint8)
    alpha[..., 0] = np.arange(8) * 30
    alpha[..., 3] = np.arange(8)[:, None] * 36
    src = tmp_path / "alpha.png"
    Image.fromarray(alpha).save(src)
    options = ["-k", 4, "--optimize", "--json"]
    sent = run(src, "-o", "-", "--format", "gif", *options, "--palette-out",
               tmp_path / "sent.hex")
    written = run(src, "-o", tmp_path / "named.gif", *options, "--palette-out",
                  tmp_path / "named.hex")
    assert sent.exit_code == 0 and written.exit_code == 0, sent.stderr + written.stderr
    assert sent.stdout_bytes == (tmp_path / "named.gif").read_bytes()
    with Image.open(io.BytesIO(sent.stdout_bytes)) as im:
        assert im.format == "GIF" and set(np.asarray(im.convert("RGBA"))[..., 3].flat) == {0, 255}
    assert (tmp_path / "sent.hex").read_bytes() == (tmp_path / "named.hex").read_bytes()
    lines = sent.stderr.splitlines()  # the warning, then a note of the GIF's table, the record
    warning, record = lines[0], next(line for line in lines if line.startswith("{"))
    assert warning.startswith(f"quantize: warning: {src}: stdout: GIF has no partial alpha, ")
    sent_record, named_record = json.loads(record), json.loads(written.stdout)
    keys = list(named_record)  # every field of a file's, in its order, and the format
    assert list(sent_record) == [*keys[:2], "format", *keys[2:]]
    assert (sent_record.pop("output"), named_record.pop("output")) == ("-",
                                                                       str(tmp_path / "named.gif"))
    assert sent_record.pop("format") == "gif"
    del sent_record["seconds"], named_record["seconds"]
    assert sent_record == named_record


@pytest.mark.parametrize("args, stdin, written", [
    (["{src}", "-o", "-"], False, "png"),
    (["{src}", "-o", "-", "--format", "gif"], False, "gif"),
    (["-", "--format", "JPEG"], True, "jpeg"),  # as --format takes it, in any case
    (["{anim}", "-o", "-", "--format", "apng"], False, "apng"),
])
def test_json_of_stdout_names_the_format_written(photo, two_frame_gif, args, stdin, written):
    """The record said "output": "-" and nothing of the format of the bytes sent."""
    args = [a.format(src=photo, anim=two_frame_gif) for a in args]
    sent = runner.invoke(app, ["reduce", *args, "-k", "4", "--json"],
                         input=photo.read_bytes() if stdin else None)
    assert sent.exit_code == 0, sent.stderr
    record = json.loads(sent.stderr.splitlines()[-1])
    assert (record["output"], record["format"]) == ("-", written)
    assert list(record)[:4] == ["input", "output", "format", "k"]
    with Image.open(io.BytesIO(sent.stdout_bytes)) as im:
        assert im.format == {"apng": "PNG", "jpeg": "JPEG"}.get(written, written.upper())


def test_json_of_a_file_written_has_no_format(photo, tmp_path):
    """Its output's extension says the format: the record of a file is as it was."""
    result = run(photo, "-k", 4, "-o", tmp_path / "o.gif", "--json")
    assert result.exit_code == 0, result.stderr
    assert "format" not in json.loads(result.stdout)


def test_format_skip_if_larger_on_stdout(jpeg_of_noise):
    sent = runner.invoke(app, ["reduce", "-", "-k", "256", "--format", "gif",
                               "--skip-if-larger"], input=jpeg_of_noise.read_bytes())
    assert sent.exit_code == 98 and sent.stdout_bytes == b""
    assert sent.stderr.splitlines()[-1].startswith("quantize: note: -: result (")


def test_format_of_more_colours_than_a_palette_holds(photo):
    """-k 300 was refused for stdout, a PNG; it holds for a .tif, and is refused up front
    for a .gif."""
    tif = run(photo, "-k", 300, "-o", "-", "--format", "tif")
    assert tif.exit_code == 0, tif.stderr
    with Image.open(io.BytesIO(tif.stdout_bytes)) as im:
        assert im.format == "TIFF"
    gif = run(photo, "-k", 300, "-o", "-", "--format", "GIF")
    assert gif.exit_code == 2 and gif.stdout_bytes == b""
    assert one_error_line(gif) == (f"quantize: error: -k/--colors=300 is "
                                   f"{_NO_INDEXED_ROOM_ON_STDOUT}")


def test_format_of_an_image_too_wide_for_it_names_format(tmp_path):
    """The error named the temporary file the image was written to first."""
    wide = tmp_path / "wide.png"
    Image.new("RGB", (16384, 1), (9, 9, 9)).save(wide)
    sent = run(wide, "-k", 2, "-o", "-", "--format", "webp")
    assert sent.exit_code == 2 and sent.stdout_bytes == b""
    assert one_error_line(sent) == (
        f"quantize: error: {wide}: --format='webp': WebP holds at most 16383 pixels a side, "
        "and the image is 16384x1; use --format png or tif instead")


def test_format_of_an_animation_too_wide_for_it_advises_the_format_by_name(tmp_path):
    """The advice was "write .png (an APNG) instead, on stdout with --format (e.g. --format
    tif)": two formats, and not the one advised."""
    frames = [np.zeros((1, 16384, 3), np.uint8), np.full((1, 16384, 3), 255, np.uint8)]
    wide = save_animation(tmp_path / "wide.gif", frames, duration=100)
    sent = run(wide, "-k", 2, "-o", "-", "--format", "webp")
    assert sent.exit_code == 2 and sent.stdout_bytes == b""
    assert one_error_line(sent) == (
        f"quantize: error: {wide}: --format='webp': WebP holds at most 16383 pixels a side, "
        "and the image is 16384x1; use --format apng instead")
    named = run(wide, "-k", 2, "-o", tmp_path / "wide.webp")
    assert named.exit_code == 2
    assert one_error_line(named).endswith("16384x1; use .png (an APNG) instead")


def test_format_of_an_animation_that_its_format_cannot_hold_names_format(two_frame_gif):
    """The error named the temporary file the image was written to first."""
    sent = runner.invoke(app, ["reduce", "-", "--format", "jpg"],
                         input=two_frame_gif.read_bytes())
    assert sent.exit_code == 2 and sent.stdout_bytes == b""
    assert one_error_line(sent) == (
        "quantize: error: -: --format='jpg' has an unsupported extension '.jpg' for an "
        "animation; expected one of .gif, .png, .apng, .webp, .tif, .tiff")


def _stdout_inputs(folder: Path) -> dict[str, Path]:
    """Inputs whose image for stdout gets a warning or an error naming its output: alpha
    ramps (no partial alpha in a GIF, no alpha in a JPEG), an APNG of 10 ms frames (played
    longer as a GIF) and an animation (no .jpg holds one)."""
    rgba = np.zeros((8, 8, 4), np.uint8)
    rgba[..., 0] = np.arange(8) * 30
    rgba[..., 3] = np.arange(8)[:, None] * 36
    Image.fromarray(rgba).save(folder / "alpha.png")
    frames = [Image.fromarray(np.full((2, 2, 3), 40 * i, np.uint8)) for i in range(4)]
    frames[0].save(folder / "fast.gif", save_all=True, append_images=frames[1:], duration=10,
                   loop=0)
    frames[0].save(folder / "fast.png", save_all=True, append_images=frames[1:], duration=10,
                   loop=0)
    return {"alpha.png": folder / "alpha.png", "fast.gif": folder / "fast.gif",
            "fast.png": folder / "fast.png"}


@pytest.mark.parametrize("name, fmt, line", [
    ("alpha.png", "gif", "warning: {src}: stdout: GIF has no partial alpha, so 56 translucent "
                         "pixels are made transparent (alpha below 128) or opaque before the "
                         "colours are fitted (the metrics compare with that); write .png to "
                         "keep alpha, or give --matte=COLOR, the background the GIF is shown "
                         "on, to blend them onto it"),
    ("alpha.png", "jpg", "warning: {src}: stdout: JPEG has no alpha, so transparent and "
                         "translucent pixels are drawn on black (the metrics are measured "
                         "before that); write .png, .webp or .tif to keep alpha"),
    ("fast.png", "gif", "warning: {src}: 4 of 4 frames under 20 ms written longer in stdout, "
                        "as browsers play a GIF's shorter delays as 100 ms: it plays 0.08 s "
                        "against the input's 0.04 s; write .webp or .png (APNG) to keep the "
                        "timing"),
    ("fast.gif", "jpg", "error: {src}: --format='jpg' has an unsupported extension '.jpg' for "
                        "an animation; expected one of .gif, .png, .apng, .webp, .tif, .tiff"),
], ids=["gif alpha", "jpg alpha", "gif timing", "animation as jpg"])
def test_messages_of_an_image_for_stdout_never_name_its_temporary_file(tmp_path, monkeypatch,
                                                                       name, fmt, line):
    """The image for stdout is written to a temporary file first: a GIF's lengthened frames
    were said "written longer in '/tmp/quantize-.../stdout.gif'"."""
    src = _stdout_inputs(tmp_path)[name]
    made = count_temporary_folders(monkeypatch)
    result = run(src, "-k", 4, "-o", "-", "--format", fmt)
    assert result.exit_code == (2 if line.startswith("error") else 0), result.stderr
    assert result.stderr.splitlines()[0] == f"quantize: {line.format(src=src)}"
    assert made and not any(folder in result.stderr for folder in made)
    assert f"stdout.{fmt}" not in result.stderr


@pytest.mark.parametrize("args, line", [
    (["photo.png", "-o", "-", "--format", "tga"],
     "--format='tga' is not valid; expected one of png, apng, gif, bmp, jpg, jpeg, webp, tif, "
     "tiff"),
    (["photo.png", "-o", "small.png", "--format", "gif"],
     "--format='gif' contradicts -o/--output='small.png', whose extension picks the output's "
     "format; --format picks that of an image written to stdout (-o -)"),
    (["photo.png", "other.png", "--ext", ".s.png", "--format", "gif"],
     "--format='gif' contradicts --ext='.s.png', whose extension picks the output's format; "
     "--format picks that of an image written to stdout (-o -)"),
    (["photo.png", "--format", "gif"],
     "--format='gif' picks the format of an image written to stdout (-o -), but photo.png is "
     "written to a file named after it; choose that file's format with --ext (--ext "
     ".small.gif) or -o"),
    (["photo.png", "-o", "-", "--format", "webp", "--palette", "per-frame"],
     "--palette='per-frame' needs a .gif or .tif output file (a colour table for each "
     "frame), but --format='webp' writes a .webp image to stdout; give --format gif or tif, "
     "or name a .gif or .tif file with -o"),
], ids=["unknown", "-o", "--ext", "default name", "per-frame"])
def test_format_refusals_are_one_line_usage_errors(photo, monkeypatch, args, line):
    monkeypatch.chdir(photo.parent)
    shutil.copy(photo, "other.png")
    result = run(*args)
    assert (result.exit_code, result.stdout_bytes) == (2, b"")
    assert one_error_line(result) == f"quantize: error: {line}"
    assert sorted(p.name for p in photo.parent.iterdir()) == ["other.png", "photo.png"]


@pytest.mark.parametrize("args, written", [
    (["-o", "small.jpeg", "--format", "jpg"], ["small.jpeg"]),
    (["-o", "small.PNG", "--format", "apng"], ["small.PNG"]),
    (["--ext", ".s.GIF", "--format", "gif"], ["photo.s.GIF"]),
])
def test_format_agreeing_with_a_named_output_is_taken(photo, monkeypatch, args, written):
    monkeypatch.chdir(photo.parent)
    result = run("photo.png", "-k", 4, *args)
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in photo.parent.iterdir()) == sorted(["photo.png", *written])


def test_only_stdin_stdout_and_pipes_make_a_scratch_folder(photo, monkeypatch):
    """A file read and written by name needs no temporary folder (making and removing one
    cost every call about 3 ms); stdin, stdout and a pipe still get theirs, removed after."""
    made = count_temporary_folders(monkeypatch)
    assert run(photo, "-k", 5, "-o", photo.with_name("a.png")).exit_code == 0
    assert run(photo, "-k", 5, "--ext", ".b.png").exit_code == 0
    assert made == []
    result = runner.invoke(app, ["reduce", "-", "-k", "5"], input=photo.read_bytes())
    assert result.exit_code == 0 and result.stdout_bytes.startswith(b"\x89PNG")
    assert run(photo, "-k", 5, "-o", "-").exit_code == 0
    assert len(made) == 2 and not any(os.path.exists(folder) for folder in made)


def test_an_input_given_twice_is_named(photo):
    result = run(photo, photo, "--ext", ".x.png")
    assert result.exit_code == 2
    assert one_error_line(result) == f"quantize: error: {photo}: given twice as an input"


def test_skip_if_larger_to_stdout_names_no_scratch_file(jpeg_of_noise):
    result = runner.invoke(app, ["reduce", "-", "-k", "256", "--skip-if-larger"],
                           input=jpeg_of_noise.read_bytes())
    assert result.exit_code == 98 and result.stdout_bytes == b""
    (line,) = result.stderr.splitlines()  # no note of the colours of a result not kept
    assert line.startswith("quantize: note: -: result (")


@pytest.mark.parametrize("options", [[], ["-o", "x.png"], ["-o", "-"],
                                     ["--palette-out", "p.gpl"]])
def test_stdin_must_be_the_only_input(photo, options):
    """With -o, the error said to name the outputs with --ext, which stdin refuses."""
    result = runner.invoke(app, ["reduce", "-", str(photo), *options], input=b"")
    assert result.exit_code == 2 and result.stdout_bytes == b""
    # It said "- (stdin) must be the only input", naming neither a file nor an option first.
    assert one_error_line(result) == ("quantize: error: -: stdin must be the only input (2 "
                                      "inputs were given); reduce the other files in a call "
                                      "of their own")


@pytest.mark.parametrize("options", [[], ["-o", "-"], ["-o", "x.png"]])
def test_stdin_given_twice_is_named_so(photo, options):
    """'reduce - -' was told to reduce "the other files" in a call of their own, and with
    -o to use --ext; stdin holds one image, which can be read once."""
    result = runner.invoke(app, ["reduce", "-", "-", *options], input=photo.read_bytes())
    assert result.exit_code == 2 and result.stdout_bytes == b""
    assert one_error_line(result) == ("quantize: error: -: stdin is given 2 times; it holds "
                                      "one image, read once: give - once")


def test_ext_is_refused_for_stdin_which_has_no_name(photo):
    """It was ignored: the image went to stdout as a PNG, whatever --ext's format."""
    result = runner.invoke(app, ["reduce", "-", "--ext", ".gif"], input=photo.read_bytes())
    assert result.exit_code == 2 and result.stdout_bytes == b""
    assert one_error_line(result) == ("quantize: error: --ext='.gif' names each output after "
                                      "its input, but - (stdin) has no name; its image goes "
                                      "to stdout, or name a file with -o")


def test_a_file_to_stdout_and_an_unreadable_stdin(photo):
    result = run(photo, "-k", 3, "-o", "-")
    assert result.exit_code == 0 and result.stdout_bytes.startswith(b"\x89PNG")
    empty = runner.invoke(app, ["reduce", "-"], input=b"")
    assert empty.exit_code == 1 and empty.stdout_bytes == b""
    assert one_error_line(empty).startswith("quantize: error: -: file is empty")


def test_a_file_named_dash_written_dot_slash_dash_is_read_not_stdin(tmp_path, monkeypatch):
    """'reduce ./- -o out.png', the way to name a file called '-', reduced stdin instead:
    the Path of './-' is '-'."""
    monkeypatch.chdir(tmp_path)
    Image.new("RGB", (4, 4), (200, 0, 0)).save("-", "PNG")
    blue = io.BytesIO()
    Image.new("RGB", (4, 4), (0, 0, 200)).save(blue, "PNG")
    result = runner.invoke(app, ["reduce", "./-", "-o", "out.png", "-k", "2", "-q"],
                           input=blue.getvalue())
    assert result.exit_code == 0, result.output
    with Image.open("out.png") as out:
        assert out.convert("RGB").getcolors() == [(16, (200, 0, 0))]


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_full_temporary_folder_for_stdin_is_named(tmp_path, monkeypatch):
    """Stdin is copied into a temporary folder, so that the job can read it twice; a full
    disk there was said as '-: cannot read stdin (No space left on device)', though
    stdin was read, and TMPDIR is where to look."""
    import quantize.cli.common

    scratch = tmp_path / "tmp" / "quantize-x"
    scratch.mkdir(parents=True)
    (scratch / "stdin").symlink_to("/dev/full")  # the copy's writes find no room
    monkeypatch.setattr(quantize.cli.common.Scratch, "folder", lambda self, name, use: scratch)
    image = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(image, "PNG")
    result = runner.invoke(app, ["reduce", "-", "-o", str(tmp_path / "out.png")],
                           input=image.getvalue())
    assert result.exit_code == 1
    assert one_error_line(result) == (
        f"quantize: error: -: cannot copy it into the temporary folder "
        f"{str(tmp_path / 'tmp')!r} (No space left on device); set TMPDIR to a folder with room")
    assert not (tmp_path / "out.png").exists()


@pytest.mark.parametrize("why, errno_, advice", [
    ("No usable temporary directory found in ['/none', '/tmp']", errno.ENOENT,
     "you can write in"),
    ("No space left on device", errno.ENOSPC, "with room")])
@pytest.mark.parametrize("args, named", [
    (["reduce", "-", "-o", "out.png"], "-: cannot make a temporary folder for its copy"),
    (["reduce", "in.png", "-o", "-"],
     "in.png: cannot make a temporary folder for the image to write to stdout"),
    (["segment", "-", "-o", "segments"], "-: cannot make a temporary folder for its copy")])
def test_a_temporary_folder_that_cannot_be_made_is_one_line(tmp_path, monkeypatch, args,
                                                            named, why, errno_, advice):
    """Stdin, a pipe and the image for stdout go through a temporary folder; with none
    that Python could write in (TMPDIR, /tmp, /var/tmp and the current folder read-only or
    missing) the command ended in tempfile's traceback (exit 1)."""
    import tempfile

    def no_folder():
        raise OSError(errno_, why)

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(tempfile, "gettempdir", no_folder)
    image = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(image, "PNG")
    (tmp_path / "in.png").write_bytes(image.getvalue())
    result = runner.invoke(app, args, input=image.getvalue())
    assert result.exit_code == 1
    assert one_error_line(result) == (f"quantize: error: {named} ({why}); set TMPDIR to a "
                                      f"folder {advice}")
    assert sorted(os.listdir(tmp_path)) == ["in.png"]


@pytest.mark.parametrize("args, line", [
    (["-k", "\udcff"], "-k/--colors='\\xff' is not valid; expected an integer"),
    (["--space", "\udcff"], "--space='\\xff' is not valid; expected one of 'rgb', 'lab'"),
    (["--dither=\udcff"],
     "--dither='\\xff' is not valid; expected a strength from 0 to 1, 'ordered' or "
     "'pattern', e.g. --dither=0.5 or --dither=ordered")])
def test_a_value_holding_a_byte_that_is_not_utf8_is_quoted_as_names_are(photo, args, line):
    """A mistyped value holding the byte 0xff was quoted as Python writes it,
    '\\udcff', where every name and other message writes the byte '\\xff'."""
    result = run(photo, *args)
    assert result.exit_code == 2
    assert one_error_line(result) == f"quantize: error: {line}"


@pytest.mark.parametrize("output", ["/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"])
def test_an_output_naming_a_file_descriptor_points_to_dash(photo, output):
    """'-o /dev/stdout', as other tools take it, was refused as having no extension, which
    asked for one rather than saying how stdout is named."""
    result = run(photo, "-o", output)
    assert result.exit_code == 2
    assert one_error_line(result) == (
        f"quantize: error: -o/--output={output!r} names a file descriptor, not an image file; "
        "to write the image to stdout, give -o -")
    assert result.stdout_bytes == b""


def test_a_damaged_png_on_stdin_is_refused():
    """Its damaged image data (a bad IDAT CRC) was reduced as if it were the picture."""
    ihdr = (b"IHDR", struct.pack(">IIBBBBB", 2, 1, 8, 2, 0, 0, 0))
    idats = stored_idats(b"\0" + bytes([10, 20, 30, 40, 50, 60]))
    data = png_of_chunks([ihdr, *idats, (b"IEND", b"")], damaged=1)
    result = runner.invoke(app, ["reduce", "-"], input=data)
    assert result.exit_code == 1 and result.stdout_bytes == b""
    assert one_error_line(result) == ("quantize: error: -: damaged PNG (bad CRC in an IDAT "
                                      "chunk)")


@pytest.mark.parametrize("args, terminal, line", [
    (["photo.png", "-o", "-"], "stdout",
     "photo.png: -o - writes the image's bytes to stdout, which is a terminal; redirect it "
     "(> photo.small.png), or name a file with -o"),
    (["-"], "stdout", "-: without -o, stdin's image is written to stdout, which is a "
     "terminal; redirect it (> small.gif for a GIF, small.png for a PNG), or name a file "
     "with -o"),
    (["photo.gif", "-o", "-"], "stdout",
     "photo.gif: -o - writes the image's bytes to stdout, which is a terminal; redirect it "
     "(> photo.small.gif), or name a file with -o"),
    (["photo.png", "-o", "-", "--format", "webp"], "stdout",
     "photo.png: -o - writes the image's bytes to stdout, which is a terminal; redirect it "
     "(> photo.small.webp), or name a file with -o"),
    (["-", "--format", "gif"], "stdout", "-: without -o, stdin's image is written to stdout, "
     "which is a terminal; redirect it (> small.gif), or name a file with -o"),
    (["-", "-o", "out.png"], "stdin", "-: stdin is a terminal; pipe an image in (quantize "
     "reduce - < photo.png), or name the file"),
], ids=["-o -", "stdin to stdout", "gif -o -", "-o - --format", "stdin --format", "stdin"])
def test_no_image_is_read_from_or_written_to_a_terminal(photo, monkeypatch, args, terminal,
                                                         line):
    """'reduce photo.png -o -' at a prompt filled the terminal with the PNG's bytes, and
    'reduce -' waited for an image to be typed in; both are refused before any work. The
    redirection suggested is named after the input (it was '> small.png' for every input,
    which for small.png would have the shell empty the input)."""
    import pty

    monkeypatch.chdir(photo.parent)
    if "photo.gif" in args:  # a GIF goes to stdout as a GIF: named so
        Image.open(photo).convert("RGB").save(photo.with_suffix(".gif"))
    before = sorted(p.name for p in photo.parent.iterdir())
    leader, follower = pty.openpty()
    streams = ({"stdout": follower, "input": photo.read_bytes()} if terminal == "stdout"
               else {"stdin": follower, "stdout": subprocess.PIPE})
    try:
        done = subprocess.run([sys.executable, "-m", "quantize", "reduce", "-k", "2", *args],
                              stderr=subprocess.PIPE, timeout=60, **streams)
    finally:
        os.close(follower)
        os.close(leader)
    assert (done.returncode, done.stderr.decode()) == (2, f"quantize: error: {line}\n")
    assert sorted(p.name for p in photo.parent.iterdir()) == before


@pytest.mark.parametrize("args, stdin, mode, why", [
    (["photo.png", "-o", "-"], False, "ab", "which is never overwritten"),
    (["photo.png", "-o", "-"], False, "wb",
     "which a '>' redirection to it emptied before quantize started"),
    (["-"], True, "ab", "which is never overwritten"),
    (["-"], True, "wb", "which a '>' redirection to it emptied before quantize started"),
], ids=[">> photo.png", "> photo.png", "< photo.png >> photo.png", "< photo.png > photo.png"])
def test_a_stdout_that_is_the_input_file_is_refused(photo, monkeypatch, args, stdin, mode,
                                                     why):
    """'reduce photo.png -o - >> photo.png' appended the PNG to its own input, and after
    '> photo.png', which empties it before quantize starts, the input was said to be empty,
    without why."""
    monkeypatch.chdir(photo.parent)
    before = photo.read_bytes()
    with open(photo, "rb") as source, open(photo, mode) as sink:
        done = subprocess.run([sys.executable, "-m", "quantize", "reduce", "-k", "2", *args],
                              stdin=source if stdin else subprocess.DEVNULL, stdout=sink,
                              stderr=subprocess.PIPE, timeout=60)
    name = args[0]
    assert (done.returncode, done.stderr.decode()) == (
        2, f"quantize: error: {name}: stdout, where the image is written, is the input file "
           f"itself, {why}; redirect stdout to another file\n")
    assert photo.read_bytes() == (before if mode == "ab" else b"")
    assert sorted(p.name for p in photo.parent.iterdir()) == ["photo.png"]


@pytest.mark.skipif(not os.path.exists("/dev/stdin"), reason="no /dev/stdin")
@pytest.mark.parametrize("command, option", [("reduce", "-o (or -o - for stdout)"),
                                             ("segment", "-o")])
def test_dev_stdin_redirected_from_a_file_names_no_output(photo, monkeypatch, command,
                                                          option):
    """'reduce /dev/stdin < photo.png' wrote /dev/stdin.k16.png into /dev (as root; a user
    was told that /dev is not writable), and 'segment' made /dev/stdin.segments there,
    where a pipe behind /dev/stdin was refused: no output can be named after it."""
    monkeypatch.chdir(photo.parent)
    with open(photo, "rb") as source:
        done = subprocess.run([sys.executable, "-m", "quantize", command, "/dev/stdin"],
                              stdin=source, capture_output=True, timeout=60)
    assert (done.returncode, done.stderr.decode()) == (
        2, "quantize: error: /dev/stdin: names a file descriptor (stdin, or a file redirected "
           "to it), not a file, so no output can be named after it; name the output with "
           f"{option}\n")
    assert done.stdout == b"" and not os.path.lexists("/dev/stdin.k16.png")
    assert not os.path.lexists("/dev/stdin.segments")


@pytest.mark.parametrize("args, line", [
    (["-o", "photo.png"], "its output would be 'photo.png', the file stdin is redirected "
                          "from, which is never overwritten (not even with --force); name "
                          "another file with -o"),
    (["-o", "link.png"], "its output would be 'link.png', the file stdin is redirected "
                         "from, which is never overwritten (not even with --force); name "
                         "another file with -o"),
    (["-o", "out.png", "--palette-out", "photo.hex"],
     "--palette-out='photo.hex' is the file stdin is redirected from, which is never "
     "overwritten (not even with --force); write the palette to another file"),
])
def test_an_output_that_is_the_file_stdin_reads_is_refused(photo, monkeypatch, args, line):
    """'reduce - -o photo.png --force < photo.png' replaced the input, which 'reduce
    photo.png -o photo.png --force' refuses."""
    monkeypatch.chdir(photo.parent)
    os.symlink("photo.png", "link.png")
    source = Path("photo.hex") if "photo.hex" in args else photo
    if source != photo:
        shutil.copy(photo, source)  # an image, as a palette file would be named
    before = source.read_bytes()
    here = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    with open(source, "rb") as stdin:
        done = subprocess.run([sys.executable, "-m", "quantize", "reduce", "-", "-k", "2",
                               "--force", *args], stdin=stdin, capture_output=True, timeout=60,
                              env=here)
    assert (done.returncode, done.stderr.decode()) == (2, f"quantize: error: -: {line}\n")
    assert source.read_bytes() == before and not os.path.lexists("out.png")


def _reduce_to_stdout(src: Path, stdout: Any) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "quantize", "reduce", str(src), "-k", "256",
                             "-o", "-"], stdout=stdout, stderr=subprocess.PIPE)


class _ShortWrites(io.RawIOBase):
    """A raw stream that takes at most 3 bytes a write, as a pipe takes part of one."""

    def __init__(self):
        self.taken = bytearray()

    def writable(self):
        return True

    def write(self, b):
        self.taken += bytes(b[:3])
        return min(3, len(b))


def test_write_all_writes_again_what_the_stream_did_not_take():
    stream = _ShortWrites()
    write_all(stream, bytes(range(256)) * 3)
    assert stream.taken == bytes(range(256)) * 3


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_full_stdout_is_an_error_not_a_traceback(tmp_path, rng):
    """It printed the summary as done, then a traceback (exit 1)."""
    src = tmp_path / "noise.png"
    Image.fromarray(rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)).save(src)
    with open("/dev/full", "wb") as full:
        proc = _reduce_to_stdout(src, full)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 1
    assert err.decode() == (f"quantize: error: {src}: cannot write the image to stdout "
                            "(No space left on device)\n")


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize("format_", ["gif", "apng", "webp", "tif"])
def test_a_full_stdout_is_the_same_error_for_an_animation(two_frame_gif, format_):
    """Every frame is written to stdout at once, as a still is: one line, exit 1, and no
    summary line saying it was written."""
    with open("/dev/full", "wb") as full:
        proc = subprocess.Popen([sys.executable, "-m", "quantize", "reduce", str(two_frame_gif),
                                 "-k", "8", "-o", "-", "--format", format_],
                                stdout=full, stderr=subprocess.PIPE)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 1
    lines = err.decode().splitlines()
    if format_ == "tif":  # a TIFF's pages keep no timing, which a warning says first
        assert lines[0].startswith(f"quantize: warning: {two_frame_gif}: GIF of 2 frames, ")
        lines = lines[1:]
    assert lines == [f"quantize: error: {two_frame_gif}: cannot write the image to stdout "
                     "(No space left on device)"]


def test_a_pipe_closed_part_way_is_an_error_not_a_success(tmp_path, rng):
    """The image was cut at what the pipe held, and the command said done and exited 0."""
    fcntl = pytest.importorskip("fcntl")
    if not hasattr(fcntl, "F_SETPIPE_SZ"):
        pytest.skip("needs Linux pipe sizes")
    src = tmp_path / "noise.png"
    Image.fromarray(rng.integers(0, 256, (96, 96, 3), dtype=np.uint8)).save(src)
    proc = _reduce_to_stdout(src, subprocess.PIPE)
    fcntl.fcntl(proc.stdout.fileno(), fcntl.F_SETPIPE_SZ, 4096)  # the image is ~10 KB
    assert proc.stdout.read(10) == b"\x89PNG\r\n\x1a\n\x00\x00"
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 1
    assert err == f"quantize: error: {src}: cannot write the image to stdout (Broken pipe)\n"


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize("earlier", [None, b"earlier palette"])
def test_a_full_stdout_leaves_no_new_palette_file(tmp_path, rng, earlier):
    """The palette file was written with the image's scratch file, before stdout failed:
    exit 1 beside a new p.hex, or with --force an old one replaced."""
    src = tmp_path / "noise.png"
    Image.fromarray(rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)).save(src)
    pal = tmp_path / "p.hex"
    if earlier is not None:
        pal.write_bytes(earlier)
    with open("/dev/full", "wb") as full:
        proc = subprocess.run([sys.executable, "-m", "quantize", "reduce", str(src), "-k", "4",
                               "-o", "-", "--palette-out", str(pal), "--force"],
                              stdout=full, stderr=subprocess.PIPE, timeout=60)
    assert proc.returncode == 1
    assert proc.stderr.decode() == (f"quantize: error: {src}: cannot write the image to stdout "
                                    "(No space left on device)\n")
    assert (pal.read_bytes() if earlier else pal.exists()) == (earlier or False)
    assert sorted(os.listdir(tmp_path)) == sorted(["noise.png"] + ["p.hex"] * bool(earlier))


def test_a_palette_file_is_put_in_place_once_the_image_reached_stdout(photo, tmp_path,
                                                                       monkeypatch):
    """The palette file is written after the image, whole, has been written to stdout."""
    import quantize.cli.reduce as cli_reduce

    pal = tmp_path / "p.hex"
    sent = []
    write_stdout = cli_reduce._write_stdout

    def written(data):
        sent.append((len(data), pal.exists()))
        return write_stdout(data)

    monkeypatch.setattr(cli_reduce, "_write_stdout", written)
    result = run(photo, "-k", 4, "-o", "-", "--palette-out", pal)
    assert result.exit_code == 0, result.stderr
    assert sent == [(len(result.stdout_bytes), False)]
    assert read_palette(pal).shape == (4, 3)


def test_reduce_in_a_folder_whose_path_is_too_long_says_so(photo, tmp_path, monkeypatch):
    """In a working folder whose absolute path is over 4,096 bytes, the error blamed the
    output's name: 'x.png: cannot write in . (File name too long)'."""
    from tests.fs_support import enter_deep_folder

    size = enter_deep_folder(monkeypatch, tmp_path)
    shutil.copy(photo, "in.png")
    result = run("in.png", "-k", 4, "-o", "x.png")
    assert (result.exit_code, one_error_line(result)) == (
        1, f"quantize: error: in.png: x.png: cannot write in . (its path is too long for the "
        f"system: {size} bytes)")
    assert os.listdir() == ["in.png"]


def test_an_act_palette_out_too_small_for_stdout_names_the_users_path(photo, tmp_path,
                                                                       monkeypatch):
    """With -o -, the --palette-out file is written to a scratch file first: its refusal
    as too small for a --palette-in of 300 colours named that file,
    '/tmp/quantize-.../palette/p.act', not p.act."""
    monkeypatch.chdir(tmp_path)
    rows = [f"{i % 256} {i // 256 * 50} {i * 7 % 256}\tc{i}" for i in range(300)]
    Path("big.gpl").write_text("GIMP Palette\nName: big\n#\n" + "\n".join(rows) + "\n")
    result = run(photo, "-o", "-", "--format", "tif", "--palette-in", "big.gpl",
                 "--palette-out", "p.act")
    assert (result.exit_code, one_error_line(result)) == (
        2, f"quantize: error: {photo}: --palette-out='p.act' is an Adobe colour table (.act), "
        "of at most 256 colours, but --palette-in='big.gpl' holds more; write the palette "
        "as .gpl, .json, .hex, .pal, .txt, .css or .ase")
    assert result.stdout_bytes == b"" and not os.path.lexists("p.act")


def test_a_palette_file_that_cannot_be_written_after_stdout_is_said(photo, tmp_path,
                                                                      monkeypatch):
    """Once the image is on stdout, a palette file the disk has no room for is an error
    that says the image was sent; the earlier palette file is left as it was."""
    (tmp_path / "pal").mkdir()
    pal = tmp_path / "pal" / "p.hex"
    pal.write_bytes(b"earlier palette")
    monkeypatch.setattr(Path, "write_bytes", _full_disk_in(pal.parent, Path.write_bytes))
    result = run(photo, "-k", 4, "-o", "-", "--palette-out", pal, "--force")
    assert result.exit_code == 1
    assert result.stdout_bytes.startswith(b"\x89PNG\r\n\x1a\n")
    assert one_error_line(result) == (f"quantize: error: {photo}: {pal}: cannot write (No space "
                                      "left on device); the image was written to stdout")
    assert pal.read_bytes() == b"earlier palette" and os.listdir(pal.parent) == ["p.hex"]


def _full_disk_in(folder: Path, write, error: int = errno.ENOSPC):
    """``write`` (a method of Path) failing with ``error`` (a full disk) for the files
    of ``folder``."""
    def written(path, *args, **kwargs):
        if path.parent == folder:
            raise OSError(error, os.strerror(error))
        return write(path, *args, **kwargs)
    return written


@pytest.mark.parametrize("error, advice", [
    (errno.ENOSPC, "set TMPDIR to a folder with room"),
    (errno.EFBIG, "raise the file-size limit (ulimit -f), or set TMPDIR to a folder on "
                  "another file system")])
@pytest.mark.parametrize("palette", [False, True])
def test_a_full_temporary_folder_for_stdout_is_named(photo, tmp_path, monkeypatch, error,
                                                     advice, palette):
    """The image for stdout (and its palette file) is written to a temporary folder first;
    a full one was said as '<input>: cannot write (No space left on device)', naming
    neither the folder nor stdout."""
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    made = count_temporary_folders(monkeypatch)
    write_bytes = Path.write_bytes

    def full(path, *args, **kwargs):  # the scratch folder's, or its palette folder's
        scratch = Path(made[0])
        if path.parent == (scratch / "palette" if palette else scratch):
            raise OSError(error, os.strerror(error))
        return write_bytes(path, *args, **kwargs)

    monkeypatch.setattr(Path, "write_bytes", full)
    args = ["--palette-out", tmp_path / "p.hex"] if palette else []
    result = run(photo, "-k", 4, "-o", "-", *args)
    assert result.exit_code == 1 and result.stdout_bytes == b""
    what = "the --palette-out file" if palette else "the image for stdout"
    assert one_error_line(result) == (
        f"quantize: error: {photo}: cannot write {what} into the temporary folder "
        f"{str(tmp_path / 'tmp')!r} ({os.strerror(error)}); {advice}")
    assert sorted(os.listdir(tmp_path)) == ["photo.png", "tmp"]
    assert os.listdir(tmp_path / "tmp") == []


_NOT_OVER_A_PIPE = ("is a pipe, device or socket, not a regular file; expected an output file "
                    "name (an output is put in place whole, which would replace it)")


_TO_A_PIPE = "; to write the image to it, give -o - and redirect stdout there"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
@pytest.mark.parametrize("flag", ["-o", "--palette-out"])
@pytest.mark.parametrize("force", [[], ["--force"]])
def test_a_pipe_named_as_an_output_is_refused_not_replaced(photo, tmp_path, flag, force):
    """'mkfifo out.png; cat out.png > got & quantize reduce in.png -o out.png --force'
    replaced the pipe by a file (exit 0), its reader waiting for ever; without --force it
    was said to exist. It is refused before any work, as the option given."""
    import stat

    pipe = tmp_path / ("out.png" if flag == "-o" else "p.hex")
    os.mkfifo(pipe)
    other = ["-o", tmp_path / "o.png"] if flag == "--palette-out" else []
    result = run(photo, flag, pipe, *other, *force)
    assert result.exit_code == 2
    named = "-o/--output" if flag == "-o" else "--palette-out"
    assert one_error_line(result) == (f"quantize: error: {named}={str(pipe)!r} "
                                      f"{_NOT_OVER_A_PIPE}{_TO_A_PIPE if flag == '-o' else ''}")
    assert stat.S_ISFIFO(os.lstat(pipe).st_mode)
    assert sorted(os.listdir(tmp_path)) == sorted([photo.name, pipe.name])


@pytest.mark.parametrize(("args", "named"), [
    (["-o", "/dev/null"], "-o/--output"),
    (["-o", "/dev/null", "--format", "png"], "-o/--output"),
    (["-o", "{tmp}/o.png", "--palette-out", "/dev/null"], "--palette-out")])
def test_a_device_named_as_an_output_is_refused_as_one_not_for_its_extension(
        photo, tmp_path, args, named):
    # '-o /dev/null' was said to have no extension, and with --format png to pick the format
    result = run(photo, *[a.format(tmp=tmp_path) for a in args])
    assert result.exit_code == 2
    advice = _TO_A_PIPE if named == "-o/--output" else ""
    assert one_error_line(result) == (
        f"quantize: error: {named}='/dev/null' {_NOT_OVER_A_PIPE}{advice}")
    assert sorted(os.listdir(tmp_path)) == [photo.name]


@pytest.mark.skipif(not hasattr(socket, "AF_UNIX"), reason="needs Unix sockets")
def test_a_socket_named_as_an_output_is_refused_as_one(photo, tmp_path):
    # said to have no extension; a socket was called "a pipe or device"
    path = tmp_path / "sock"
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(path))
        result = run(photo, "-o", path)
    assert result.exit_code == 2
    assert one_error_line(result) == (
        f"quantize: error: -o/--output={str(path)!r} {_NOT_OVER_A_PIPE}{_TO_A_PIPE}")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_pipe_given_as_a_file_is_read_once_and_reduced(photo, tmp_path):
    """'quantize reduce <(cat photo.png) -o out.png' said '/dev/fd/63: file is empty
    (0 bytes)': a pipe's size is 0, and the job read its input more than once."""
    pipe = tmp_path / "63"
    os.mkfifo(pipe)
    writer = threading.Thread(target=pipe.write_bytes, args=(photo.read_bytes(),), daemon=True)
    writer.start()
    result = run(pipe, "-k", 5, "-o", tmp_path / "out.png", "--json")
    writer.join(timeout=10)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["input"] == str(pipe)
    assert run(photo, "-k", 5, "-o", tmp_path / "file.png").exit_code == 0
    np.testing.assert_array_equal(load_image(tmp_path / "out.png").rgb,
                                  load_image(tmp_path / "file.png").rgb)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
@pytest.mark.parametrize("args", [[], ["--ext", ".small.png"]])
def test_a_pipe_needs_an_output_name(tmp_path, args):
    os.mkfifo(tmp_path / "63")
    result = run(tmp_path / "63", *args)
    assert result.exit_code == 2
    assert one_error_line(result) == (
        f"quantize: error: {tmp_path / '63'}: is a pipe or device, not a file, so no "
        "output can be named after it; name the output with -o (or -o - for stdout)")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
@pytest.mark.parametrize("args", [[], ["--ext", ".small.png"]])
def test_a_pipe_among_several_inputs_is_sent_to_a_call_of_its_own(photo, tmp_path, args):
    """'reduce <(cat a.png) b.png' advised naming the pipe's output with -o, which is
    refused beside a second input."""
    os.mkfifo(tmp_path / "63")
    result = run(tmp_path / "63", photo, *args)
    assert result.exit_code == 2
    assert one_error_line(result) == (
        f"quantize: error: {tmp_path / '63'}: is a pipe or device, not a file, so no "
        "output can be named after it; name the output with -o, in a call of its own "
        "(-o takes a single input)")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["63", "photo.png"]  # none written


class _UnreadableStdin:
    class buffer:  # noqa: N801 -- stands for sys.stdin.buffer
        @staticmethod
        def read(size=-1):
            raise OSError(errno.EIO, os.strerror(errno.EIO))


@pytest.mark.parametrize(("stdin", "reason"), [(None, "stdin is closed"),
                                               (_UnreadableStdin, "Input/output error")])
def test_a_stdin_that_cannot_be_read_is_one_error_line(monkeypatch, capsys, tmp_path, stdin,
                                                       reason):
    """A closed stdin (quantize reduce - <&-) ended in a traceback (AttributeError)."""
    monkeypatch.setattr(sys, "stdin", stdin)
    with pytest.raises(typer.Exit) as info:
        stage_stdin(tmp_path)
    assert info.value.exit_code == 1
    assert capsys.readouterr().err == f"quantize: error: -: cannot read stdin ({reason})\n"


@pytest.mark.parametrize("args, existing, line", [
    (["-o", "out.png"], ["out.png"], "out.png: output exists; use --force to overwrite"),
    (["-o", "-", "--palette-out", "p.gpl"], ["p.gpl"],
     "p.gpl: output exists; use --force to overwrite"),
    (["-o", "out.gif", "--palette-out", "p.gpl"], ["out.gif", "p.gpl"],
     "out.gif: output exists, and so does --palette-out='p.gpl'; use --force to overwrite "
     "both"),
])
@pytest.mark.parametrize("stream", ["-", "pipe"])
def test_an_output_in_the_way_is_refused_before_the_stream_is_read(
        tmp_path, monkeypatch, args, existing, line, stream):
    """'curl -s URL | quantize reduce - -o out.png' read the whole download, then said that
    out.png exists; pngquant says it at once. Nothing is read, and nothing is changed."""
    import quantize.cli.reduce

    monkeypatch.chdir(tmp_path)
    for name in existing:
        Path(name).write_bytes(b"mine")
    if stream == "pipe":
        os.mkfifo("pipe")  # no writer: reading it would wait for ever
    read = []
    monkeypatch.setattr(quantize.cli.reduce, "stage_stdin", lambda *a: read.append(a))
    monkeypatch.setattr(quantize.cli.reduce, "stage_stream", lambda *a: read.append(a))
    result = runner.invoke(app, ["reduce", stream, "-k", "4", *args], input=b"")
    assert (result.exit_code, result.stdout_bytes) == (15, b"")
    assert one_error_line(result) == f"quantize: error: {stream}: {line}"
    assert read == []
    assert all(Path(name).read_bytes() == b"mine" for name in existing)


@pytest.mark.skipif(not hasattr(os, "set_blocking"), reason="needs O_NONBLOCK")
def test_a_non_blocking_stdin_is_read_whole_as_its_writer_sends_it(monkeypatch, tmp_path):
    """A stdin left non-blocking by another process sharing the pipe gave nothing while
    its writer had sent nothing yet, which was read as its end: 'quantize reduce -' said
    '-: file is empty (0 bytes)', or that the image was truncated after a pause."""
    import time

    from quantize.cli.common import STREAM_HEAD

    data = (b"\x89PNG\r\n\x1a\n" + (2 * STREAM_HEAD).to_bytes(4, "big") + b"raWd"  # past the head
            + bytes(range(256)) * (STREAM_HEAD // 128) + bytes(4) + bytes(4) + b"IEND" + bytes(4))
    read_end, write_end = os.pipe()
    os.set_blocking(read_end, False)

    def feed() -> None:
        with open(write_end, "wb") as writer:
            for part in (data[:100], data[100:STREAM_HEAD + 7], data[STREAM_HEAD + 7:]):
                time.sleep(0.1)  # the reader finds the pipe empty, not ended
                writer.write(part)
                writer.flush()

    writer = threading.Thread(target=feed)
    writer.start()
    with open(read_end, "rb") as reader:
        monkeypatch.setattr(sys, "stdin", type("Stdin", (), {"buffer": reader}))
        staged = stage_stdin(tmp_path)
    writer.join()
    assert staged.read_bytes() == data


def _tiny_png() -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.array([[[0, 0, 0], [200, 40, 40]]], np.uint8)).save(buffer, "PNG")
    return buffer.getvalue()


def test_a_png_on_stdin_is_read_to_its_iend_chunk_while_the_writer_keeps_the_pipe_open(
        tmp_path):
    """'quantize reduce -' read stdin to its end: a writer that sent one PNG and kept the
    pipe open held it up for ever, where pngquant stops at the PNG's IEND chunk."""
    out = tmp_path / "out.png"
    process = subprocess.Popen([sys.executable, "-m", "quantize", "reduce", "-", "-k", "2",
                                "-o", str(out)], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        process.stdin.write(_tiny_png())
        process.stdin.flush()  # and the pipe kept open
        code = process.wait(timeout=30)
    finally:
        process.kill()
        process.stdin.close()
        stderr = process.stderr.read().decode()
        process.stdout.close()
        process.stderr.close()
    assert code == 0, stderr
    assert np.asarray(Image.open(out).convert("RGB")).tolist() == [[[0, 0, 0], [200, 40, 40]]]


def test_a_png_on_stdin_is_copied_with_the_bytes_that_come_after_its_end(monkeypatch,
                                                                          tmp_path):
    """The bytes after the PNG's IEND chunk were left in the pipe without a word (the next
    images of ffmpeg's image2pipe among them): those that come are copied, for the
    reading to say them, as after a file's IEND chunk."""
    png = _tiny_png()
    read_end, write_end = os.pipe()
    os.write(write_end, png + b"the next image")
    os.close(write_end)
    with open(read_end, "rb") as reader:
        monkeypatch.setattr(sys, "stdin", type("Stdin", (), {"buffer": reader}))
        staged = stage_stdin(tmp_path)
        assert reader.read() == b""
    assert staged.read_bytes() == png + b"the next image"


def test_a_png_cut_short_on_stdin_is_one_error_line(tmp_path):
    """Read chunk by chunk, a PNG that ends inside a chunk is still the usual error."""
    result = subprocess.run([sys.executable, "-m", "quantize", "reduce", "-", "-k", "2",
                             "-o", str(tmp_path / "out.png")], input=_tiny_png()[:50],
                            capture_output=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr.decode() == ("quantize: error: -: cannot decode image (image file "
                                      "is truncated)\n")
    assert not (tmp_path / "out.png").exists()


def test_a_png_signature_followed_by_no_chunk_on_stdin_is_refused_at_once(tmp_path):
    """A signature followed by zeros was copied as 12-byte chunks of type 0x00000000, for
    ever with /dev/zero behind it: a chunk type that is not four ASCII letters stops it."""
    out = tmp_path / "out.png"
    process = subprocess.Popen([sys.executable, "-m", "quantize", "reduce", "-", "-k", "2",
                                "-o", str(out)], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def endless() -> None:  # as /dev/zero: zeros until the reader goes away
        with contextlib.suppress(OSError):
            process.stdin.write(_tiny_png()[:8])
            while True:
                process.stdin.write(bytes(1 << 16))

    writer = threading.Thread(target=endless)
    writer.start()
    try:
        code = process.wait(timeout=60)
    finally:
        process.kill()
        writer.join()
        stderr = process.stderr.read().decode()
        for pipe in (process.stdin, process.stdout, process.stderr):
            with contextlib.suppress(OSError):
                pipe.close()
    assert (code, stderr) == (1, "quantize: error: -: damaged PNG (the chunk at byte 8 has the "
                                 "type 0x00000000, not four ASCII letters; the rest was not "
                                 "read)\n")
    assert not out.exists()


def test_a_stream_that_cannot_be_read_is_one_error_line(capsys, tmp_path):
    """As stdin is: the stream's name, what the system said, exit 1."""
    gone = tmp_path / "gone"  # a pipe of a process substitution that has ended, say
    with pytest.raises(typer.Exit) as info:
        stage_stream(gone, tmp_path)
    assert info.value.exit_code == 1
    assert capsys.readouterr().err == (f"quantize: error: {gone}: cannot read (No such file "
                                       "or directory)\n")
    assert list(tmp_path.iterdir()) == []  # no copy begun


@pytest.fixture
def jpeg_of_noise(tmp_path, rng):
    """A small, heavily compressed JPEG of noise: its 256-colour PNG is larger."""
    path = tmp_path / "noise.jpg"
    Image.fromarray(rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)).save(path, quality=5)
    return path


def test_skip_if_larger_keeps_nothing_and_exits_98(jpeg_of_noise, tmp_path):
    kept = tmp_path / "kept.png"
    assert run(jpeg_of_noise, "-k", 256, "-o", kept).exit_code == 0
    assert kept.stat().st_size > jpeg_of_noise.stat().st_size   # the premise
    out = tmp_path / "skipped.png"
    result = run(jpeg_of_noise, "-k", 256, "-o", out, "--skip-if-larger")
    assert result.exit_code == 98
    (line,) = result.stderr.splitlines()  # no note of the colours of a result not kept
    assert line.startswith(f"quantize: note: {jpeg_of_noise}: {out}: result (")
    assert line.endswith(f" bytes) is larger than the input ({jpeg_of_noise.stat().st_size:,} "
                         "bytes); nothing written")
    assert not out.exists() and not list(tmp_path.glob(".*.part"))
    small = run(jpeg_of_noise, "-k", 2, "-o", tmp_path / "small.png", "--skip-if-larger")
    assert small.exit_code == 0 and (tmp_path / "small.png").exists()


def test_skip_if_larger_still_shows_the_warnings_of_the_file(tmp_path):
    """The warnings raised before the result was found larger were lost with the error;
    the note of fewer colours than asked (one here), of a result not kept, is not said."""
    src = tmp_path / "flat.png"
    image = Image.new("RGBA", (4, 4), (9, 9, 9, 255))
    image.putpixel((0, 0), (0, 0, 0, 0))
    image.save(src)  # 89 bytes; its JPEG 638
    result = run(src, "-k", 4, "-o", tmp_path / "out.jpg", "--skip-if-larger")
    assert result.exit_code == 98
    assert result.stderr.splitlines() == [
        f"quantize: warning: {src}: out.jpg: JPEG has no alpha, so transparent and "
        "translucent pixels are drawn on black (the metrics are measured before that); write "
        ".png, .webp or .tif to keep alpha",
        f"quantize: note: {src}: {tmp_path}/out.jpg: result (638 bytes) is larger than the "
        "input (89 bytes); nothing written"]


@pytest.mark.parametrize("show", [[], ["--json"]], ids=["lines", "json"])
def test_an_output_larger_than_its_input_is_noted(tmp_path, show):
    """An output larger than its input was kept without a word (exit 0, no sizes shown);
    --json's row holds both sizes, and a note would spoil its stderr's JSON with -o -."""
    src, out = tmp_path / "flat.png", tmp_path / "out.png"
    Image.new("RGB", (4, 4), (9, 9, 9)).save(src)  # 77 bytes; its result 83
    result = run(src, "-k", 4, "-o", out, *show)
    assert result.exit_code == 0, result.output
    noted = (f"quantize: note: {src}: {out} (83 bytes) is larger than the input (77 bytes); "
             "--skip-if-larger keeps no such output")
    assert (noted in result.stderr.splitlines()) == (not show)
    if show:  # no note: the row holds both sizes
        row = json.loads(result.stdout)
        assert (row["bytes_in"], row["bytes_out"]) == (77, 83)
    assert out.stat().st_size == 83


def test_an_output_larger_than_its_input_is_noted_on_stdout_too_but_not_with_quiet(tmp_path):
    src = tmp_path / "flat.png"
    Image.new("RGB", (4, 4), (9, 9, 9)).save(src)  # 77 bytes; its result 83
    piped = run(src, "-k", 4, "-o", "-")
    assert piped.exit_code == 0 and len(piped.stdout_bytes) == 83
    assert piped.stderr.splitlines()[-1] == (
        f"quantize: note: {src}: the image written to stdout (83 bytes) is larger than the "
        "input (77 bytes); --skip-if-larger keeps no such output")
    quiet = run(src, "-k", 4, "-o", tmp_path / "out.png", "-q")
    assert quiet.exit_code == 0
    assert "note" not in quiet.stderr
    noise = tmp_path / "noise.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (16, 16, 3), dtype=np.uint8)
                    ).save(noise)  # 852 bytes; its result 172
    smaller = run(noise, "-k", 4, "-o", tmp_path / "small.png")
    assert (smaller.exit_code, smaller.stderr) == (0, "")


@pytest.mark.parametrize(("show", "said"), [
    ([], "{src}: {out}: result"), (["--json"], "{src}: {out}: result"),
    (["-o", "-"], "{src}: result"), (["-q"], None)], ids=["lines", "json", "stdout", "quiet"])
def test_skip_if_larger_is_a_note_not_an_error_and_quiet_says_nothing(tmp_path, show, said):
    """The result kept from being written, as --skip-if-larger asked, was said as an error
    (``quantize: error: ...``), under -q too, where batch warns and pngquant says nothing:
    it is a note now, none under -q, and the exit code stays 98."""
    src, out = tmp_path / "flat.png", tmp_path / "out.png"
    Image.new("RGB", (4, 4), (9, 9, 9)).save(src)  # 77 bytes; its result 83
    args = show if "-o" in show else ["-o", out, *show]
    result = run(src, "-k", 2, "--skip-if-larger", *args)
    assert result.exit_code == 98
    assert (result.stdout == "") == ("--json" not in show)  # its object: see below
    noted = "" if said is None else (
        f"quantize: note: {said.format(src=src, out=out)} (83 bytes) is larger than the "
        "input (77 bytes); nothing written\n")
    assert result.stderr == noted
    assert sorted(p.name for p in tmp_path.iterdir()) == ["flat.png"]


@pytest.mark.parametrize("to_stdout", [False, True], ids=["file", "stdout"])
def test_skip_if_larger_with_json_prints_an_object_for_the_file_skipped(tmp_path, to_stdout):
    """--json printed no object for a file --skip-if-larger kept from being written: a
    wrapper had to parse the note. Its object says it, output null (on stderr with -o -,
    as every object then is), beside the object of a file written."""
    flat, noise = tmp_path / "flat.png", tmp_path / "noise.png"
    Image.new("RGB", (4, 4), (9, 9, 9)).save(flat)  # 77 bytes; its result 83
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (16, 16, 3), dtype=np.uint8)
                    ).save(noise)  # 852 bytes; its result 172
    inputs = [flat] if to_stdout else [flat, noise]
    where = ["-o", "-"] if to_stdout else ["-j", 1]
    result = run(*inputs, "-k", 2, "--skip-if-larger", "--json", *where)
    assert result.exit_code == 98
    shown = result.stderr if to_stdout else result.stdout
    objects = [json.loads(line) for line in shown.splitlines() if line.startswith("{")]
    named = "" if to_stdout else f"{tmp_path}/flat.k2.png: "
    assert objects[0] == {
        "input": str(flat), "output": None, "skipped": "larger",
        "reason": f"{named}result (83 bytes) is larger than the input (77 bytes); nothing "
                  "written"}
    assert [o["output"] for o in objects[1:]] == ([] if to_stdout
                                                  else [str(tmp_path / "noise.k2.png")])


def test_json_gives_a_failed_file_an_object_with_its_failure_as_batch_json_does(tmp_path):
    """A truncated, a text and an empty file had their error lines on stderr and no object
    on stdout, where batch --json gives each one with its failure: a script reading stdout
    missed them. Each now has one of four keys, its error line kept; the order of the
    objects is that of the files, as -j 1 reduces them."""
    good = _noise_png(tmp_path / "good.png")
    (tmp_path / "cut.png").write_bytes(good.read_bytes()[:300])
    (tmp_path / "notes.png").write_text("hello\n")
    (tmp_path / "empty.png").write_bytes(b"")
    names = ["cut.png", "empty.png", "good.png", "notes.png"]
    result = run(*(tmp_path / n for n in names), "--ext", ".k4.png", "-k", 4, "--json",
                 "-j", 1)
    assert result.exit_code == 1
    objects = [json.loads(line) for line in result.stdout.splitlines()]
    reasons = {"cut.png": "cannot decode image (image file is truncated)",
               "empty.png": "file is empty (0 bytes), expected an image",
               "notes.png": "not an image Pillow can identify"}
    assert [o for o in objects if o["output"] is None] == [
        {"input": str(tmp_path / n), "output": None, "failure": "unreadable_input",
         "reason": why} for n, why in reasons.items()]
    assert [o["input"] for o in objects] == [str(tmp_path / n) for n in names]
    assert result.stderr.splitlines() == [f"quantize: error: {tmp_path / n}: {why}"
                                          for n, why in reasons.items()]
    piped = runner.invoke(app, ["reduce", "-", "--json", "-o", "-"],  # the object on stderr
                          input=b"hello\n")
    assert (piped.exit_code, piped.stdout) == (1, "")
    assert piped.stderr.splitlines() == [
        "quantize: error: -: not an image Pillow can identify",
        '{"input": "-", "output": null, "failure": "unreadable_input", "reason": "not an '
        'image Pillow can identify"}']


def test_json_to_stderr_beside_the_image_on_stdout_is_told_apart_by_its_first_character(
        tmp_path):
    """With -o -, the JSON object goes to stderr among the warning lines, as the help and
    the manual now say: each line there is either an object (starting with "{") or starts
    with "quantize: "."""
    src = tmp_path / "soft.png"
    image = Image.new("RGBA", (8, 8), (200, 10, 10, 128))
    image.putpixel((0, 0), (0, 0, 0, 0))
    image.save(src)
    result = run(src, "-k", 4, "--format", "jpg", "--json", "-o", "-")
    assert result.exit_code == 0, result.stderr
    with Image.open(io.BytesIO(result.stdout_bytes)) as im:
        assert im.format == "JPEG"
    lines = result.stderr.splitlines()
    objects = [json.loads(line) for line in lines if line.startswith("{")]
    said = [line for line in lines if not line.startswith("{")]
    assert [(o["input"], o["output"], o["format"]) for o in objects] == [(str(src), "-", "jpg")]
    assert said == [f"quantize: warning: {src}: stdout: JPEG has no alpha, so transparent and "
                    "translucent pixels are drawn on black (the metrics are measured before "
                    "that); write .png, .webp or .tif to keep alpha",
                    f"quantize: note: {src}: stdout: a JPEG's compression adds colours of its "
                    "own: the file holds more than the 1 colour (and an error the metrics leave "
                    "out); write .png, .gif, .bmp or .webp to keep just them"]
    shown = " ".join(run("--help").stdout.split())
    assert ("With -o -, stdout carries the image and the objects go to stderr, each a line "
            "starting with {; the other lines there start with quantize:.") in shown


def test_force_and_skip_if_larger_say_the_existing_output_is_kept(tmp_path):
    src, out = tmp_path / "flat.png", tmp_path / "out.png"
    Image.new("RGB", (4, 4), (9, 9, 9)).save(src)  # 77 bytes; its result 83
    out.write_bytes(b"made before")
    result = run(src, "-k", 2, "-o", out, "--force", "--skip-if-larger")
    assert result.exit_code == 98
    assert result.stderr.splitlines()[-1] == (
        f"quantize: note: {src}: {out}: result (83 bytes) is larger than the input "
        "(77 bytes); nothing written; the existing output is left as it was")
    assert out.read_bytes() == b"made before"


def test_dither_level_strength_and_flags(photo, tmp_path):
    def reduce(*flags):
        out = tmp_path / f"d{len(list(tmp_path.glob('d*.png')))}.png"
        result = run(photo, "-k", 4, "-o", out, *flags)
        assert result.exit_code == 0, result.output
        return out.read_bytes()

    none, zero, off = reduce(), reduce("--dither=0"), reduce("--no-dither")
    full, one = reduce("--dither"), reduce("--dither=1")
    assert none == zero == off
    assert full == one != none


@pytest.mark.parametrize("flags, strength", [
    ([], 0.0), (["--no-dither"], 0.0), (["--dither"], 1.0), (["--dither=0.25"], 0.25),
    (["--dither=1"], 1.0),
])
def test_dither_level_reaches_the_job(photo, monkeypatch, flags, strength):
    import quantize.reduce

    seen = {}

    def fake_reduce_file(input, output=None, **options):
        seen.update(options, input=input)
        raise quantize.errors.QuantizeError("stopped by the test", path=input)

    monkeypatch.setattr(quantize.reduce, "reduce_file", fake_reduce_file)
    result = run(photo, *flags)
    assert result.exit_code == 1 and "stopped by the test" in one_error_line(result)
    assert seen["dither"] == strength


def test_plain_dither_does_not_swallow_the_next_file(photos):
    result = run("--dither", photos[0], photos[1], "-k", 4, "-j", "1")
    assert result.exit_code == 0, result.output
    assert all(p.with_name(f"{p.stem}.k4.png").exists() for p in photos[:2])


def test_optimize_writes_the_same_pixels(photo, tmp_path):
    plain, small = tmp_path / "plain.png", tmp_path / "small.png"
    assert run(photo, "-k", 8, "-o", plain).exit_code == 0
    assert run(photo, "-k", 8, "-o", small, "--optimize").exit_code == 0
    assert np.array_equal(load_image(plain).rgb, load_image(small).rgb)
    assert small.stat().st_size <= plain.stat().st_size


# --------------------------------------------------------------------------
# --palette: one palette for an animation, or one per frame
# --------------------------------------------------------------------------


@pytest.fixture
def two_frame_gif(tmp_path):
    """Two frames with disjoint colours: four per frame, eight in all."""
    frames = []
    for colours in (((255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255)),
                    ((0, 255, 255), (255, 0, 255), (255, 255, 0), (0, 0, 0))):
        f = np.zeros((8, 8, 3), np.uint8)
        for i, c in enumerate(colours):
            f[:, 2 * i:2 * i + 2] = c
        frames.append(Image.fromarray(f))
    path = tmp_path / "anim.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=60, loop=0)
    return path


def _saved(path: Path, frames: int, **kwargs: Any) -> Path:
    """A tiny image of ``frames`` frames of four flat colours each, saved at ``path``."""
    images = []
    for n in range(frames):
        f = np.zeros((8, 8, 3), np.uint8)
        f[:, :4] = (200, 40 * n, 40)
        f[:, 4:] = (30, 90, 200 - 40 * n)
        f[4:] //= 2
        images.append(Image.fromarray(f))
    images[0].save(path, save_all=frames > 1, append_images=images[1:], **kwargs)
    return path


@pytest.mark.parametrize("name, frames, magic, format", [
    ("anim.gif", 3, b"GIF89a", "gif"),  # written as an APNG before
    ("still.gif", 1, b"GIF8", "gif"),  # as a PNG before
    ("still.png", 1, b"\x89PNG", "png"),
    ("anim.png", 3, b"\x89PNG", "png"),  # an APNG: a PNG
    ("anim.webp", 3, b"RIFF", "webp"),  # as a default name keeps an animation
    ("still.webp", 1, b"\x89PNG", "png"),  # a still goes as a PNG, as a default name does
    ("still.jpg", 1, b"\x89PNG", "png"),
    ("pages.tif", 2, b"II*\x00", "tif"),
])
@pytest.mark.parametrize("args", [["-", "-o", "-"], ["-"], ["{src}", "-o", "-"]],
                         ids=["stdin -o -", "stdin", "file -o -"])
def test_stdout_keeps_the_input_format_without_format(tmp_path, name, frames, magic, format,
                                                      args):
    """cat anim.gif | quantize reduce - -o - -k 16 > out wrote an APNG: without --format,
    stdout's image is now in the input's own format when it is GIF or PNG, or an animation
    in WebP or TIFF pages, else a PNG; --json says which."""
    kwargs = {"duration": 80, "loop": 0} if frames > 1 and not name.endswith(".tif") else {}
    src = _saved(tmp_path / name, frames, **kwargs)
    result = runner.invoke(app, ["reduce", *[a.format(src=src) for a in args], "-k", "16",
                                 "--json"], input=src.read_bytes())
    assert result.exit_code == 0, result.stderr
    assert result.stdout_bytes.startswith(magic)
    record = json.loads(result.stderr.splitlines()[-1])
    assert (record["output"], record["format"], record["frames"]) == ("-", format, frames)


def test_format_names_stdout_format_over_the_input_s(tmp_path):
    """--format still decides: a GIF in, --format png, a PNG out; and a GIF piped in, the
    bytes are those -o small.gif writes."""
    src = _saved(tmp_path / "anim.gif", 3, duration=80, loop=0)
    png = runner.invoke(app, ["reduce", "-", "-k", "4", "--format", "png", "-q"],
                        input=src.read_bytes())
    assert (png.exit_code, png.stdout_bytes[:4]) == (0, b"\x89PNG")
    piped = runner.invoke(app, ["reduce", "-", "-k", "4", "-q"], input=src.read_bytes())
    named = run(src, "-k", "4", "-q", "-o", tmp_path / "small.gif")
    assert (piped.exit_code, named.exit_code) == (0, 0)
    assert piped.stdout_bytes == (tmp_path / "small.gif").read_bytes()


def _frame_colours(path) -> list[set]:
    with Image.open(path) as im:
        out = []
        for i in range(im.n_frames):
            im.seek(i)
            out.append({tuple(c) for c in np.asarray(im.convert("RGB")).reshape(-1, 3)})
        return out


def test_palette_per_frame_gives_each_frame_its_own_colours(two_frame_gif, tmp_path):
    # Five colours for eight: one shared palette must merge some; five per frame need not.
    shared, local = tmp_path / "shared.gif", tmp_path / "local.gif"
    assert run(two_frame_gif, "-k", 5, "-o", shared).exit_code == 0
    result = run(two_frame_gif, "-k", 5, "--palette", "per-frame", "-o", local)
    assert result.exit_code == 0, result.stderr
    assert len(set().union(*_frame_colours(shared))) == 5
    assert _frame_colours(local) == _frame_colours(two_frame_gif)


def test_palette_per_frame_reports_the_largest_frame_palette(two_frame_gif, tmp_path):
    # -k 2 drew one colour per frame (the other entry went to transparency): "1 colour".
    # The line said "2 colours" as of the whole animation, whose frames may hold more
    # together: the count is a frame's.
    out = tmp_path / "two.gif"
    result = run(two_frame_gif, "-k", 2, "--palette", "per-frame", "-o", out)
    assert result.exit_code == 0, result.stderr
    assert f"-> {out}: up to 2 colours a frame, PSNR" in result.stdout
    assert [len(c) for c in _frame_colours(out)] == [2, 2]  # the second covers the first
    with Image.open(out) as im:
        tables = []
        for i in range(im.n_frames):
            im.seek(i)
            tables.append(len(im.palette.palette) // 3)
    # two colours: no frame needs a transparent entry, which took a table of four
    assert tables == [2, 2]


@pytest.mark.parametrize("args, name", [
    (["-k", 5, "--palette", "per-frame"], "anim.k5.gif"),   # it said anim.k0.gif
    (["-k", 12], "anim.k12.gif"),                          # 8 colours in all, 12 asked for
    ([], "anim.k16.gif"),
])
def test_an_animation_is_named_after_the_colours_asked_for(two_frame_gif, args, name):
    src = two_frame_gif.with_name("anim.gif")
    two_frame_gif.rename(src)
    result = run(src, *args)
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in src.parent.glob("anim.*")) == ["anim.gif", name]


@pytest.mark.parametrize("suffix", [".gif", ".png"])
def test_a_still_image_is_named_after_the_colours_asked_for(tmp_path, suffix):
    src = tmp_path / f"few{suffix}"
    Image.new("RGB", (4, 4), "red").save(src)
    assert run(src, "-k", 8).exit_code == 0  # one colour: the name still says 8 (the GIF said 1)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([f"few{suffix}", "few.k8.png"])


@pytest.mark.parametrize("args, match", [
    (["--palette", "local"], "--palette='local' is not valid; expected one of 'global', "
                             "'per-frame'"),
    (["--palette", "per-frame", "-o", "{tmp}/out.png"], r"--palette='per-frame' needs a \.gif"),
])
def test_palette_errors_are_one_line_usage_errors(two_frame_gif, tmp_path, args, match):
    args = [a.format(tmp=tmp_path) for a in args]
    result = run(two_frame_gif, "-k", 4, *args)
    assert result.exit_code == 2
    assert re.search(match, one_error_line(result))
    assert not (tmp_path / "out.png").exists()


@pytest.mark.parametrize("args", [["{src}", "-o", "-"], ["-"]])
def test_palette_per_frame_to_stdout_says_stdout_gets_a_png(two_frame_gif, tmp_path, args):
    """It said "needs a .gif output (local colour tables), got '.png'": a name never typed.
    An animated PNG goes to stdout as a PNG; a GIF, as a GIF, which per-frame writes."""
    clip = tmp_path / "clip.png"
    with Image.open(two_frame_gif) as im:
        frames = [f.convert("RGB") for f in ImageSequence.Iterator(im)]
    frames[0].save(clip, save_all=True, append_images=frames[1:], duration=60, loop=0)
    result = runner.invoke(app, ["reduce", *[a.format(src=clip) for a in args], "--palette",
                                 "per-frame"], input=clip.read_bytes())
    assert (result.exit_code, result.stdout_bytes) == (2, b"")
    assert one_error_line(result) == (
        "quantize: error: --palette='per-frame' needs a .gif or .tif output file (a colour "
        "table for each frame), but without --format, this input's image goes to stdout as a "
        "PNG; give --format gif or tif, or name a .gif or .tif file with -o")
    gif = runner.invoke(app, ["reduce", *[a.format(src=two_frame_gif) for a in args],
                              "--palette", "per-frame", "-k", "4", "-q"],
                        input=two_frame_gif.read_bytes())
    assert (gif.exit_code, gif.stderr, gif.stdout_bytes[:6]) == (0, "", b"GIF89a")


@pytest.mark.parametrize("suffix", [".webp", ".png"])
def test_palette_per_frame_with_a_default_name_says_the_animation_keeps_its_format(
        two_frame_gif, tmp_path, suffix):
    # It said "needs a .gif output (local colour tables), got '.webp'": an extension the
    # user never typed, the default output's (clip.k4.webp).
    clip = tmp_path / f"clip{suffix}"
    with Image.open(two_frame_gif) as im:
        frames = [f.convert("RGB") for f in ImageSequence.Iterator(im)]
    frames[0].save(clip, save_all=True, append_images=frames[1:], duration=60, loop=0)
    result = run(clip, "-k", 4, "--palette", "per-frame")
    assert result.exit_code == 2
    assert one_error_line(result) == (
        f"quantize: error: {clip}: --palette='per-frame' needs a .gif or .tif output (a colour "
        f"table for each frame), but an animation given no output is written in its own format, "
        f"'{suffix}'; name a .gif output with -o or --ext, e.g. -o {tmp_path / 'clip.k4.gif'} "
        "or --ext .k4.gif")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["anim.gif", clip.name]


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_palette_per_frame_for_several_animations_named_by_default_advises_ext(
        two_frame_gif, tmp_path, monkeypatch, jobs):
    """An APNG and a WebP, named by default in their own formats: the advice was "name a
    .gif output", which with several inputs -o cannot (it is refused). It names --ext, with
    the N of the default names; the GIF among them is written."""
    monkeypatch.chdir(tmp_path)
    with Image.open(two_frame_gif) as im:
        frames = [f.convert("RGB") for f in ImageSequence.Iterator(im)]
    for name in ("a.png", "b.webp"):
        frames[0].save(name, save_all=True, append_images=frames[1:], duration=60, loop=0)
    result = runner.invoke(app, ["reduce", "a.png", "b.webp", str(two_frame_gif), "-k", "8",
                                 "--palette", "per-frame", "-j", jobs, "-q"])
    assert result.exit_code == 2
    needs = "--palette='per-frame' needs a .gif or .tif output (a colour table for each frame)"
    assert sorted(result.stderr.splitlines()) == [
        f"quantize: error: {name}: {needs}, but an animation given no output is written in "
        f"its own format, '{suffix}'; name .gif outputs with --ext, e.g. --ext .k8.gif"
        for name, suffix in (("a.png", ".png"), ("b.webp", ".webp"))]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png", "anim.gif", "anim.k8.gif",
                                                          "b.webp"]
    given = runner.invoke(app, ["reduce", "a.png", "b.webp", "-k", "8", "--palette",
                                "per-frame", "--ext", ".k8.gif", "-q"])  # as advised
    assert (given.exit_code, given.stderr) == (0, "")
    assert [Image.open(n).n_frames for n in ("a.k8.gif", "b.k8.gif")] == [2, 2]


def test_palette_per_frame_advice_quotes_the_output_it_names(two_frame_gif, tmp_path,
                                                              monkeypatch):
    """-k's default in the name, and a name the shell would split quoted."""
    monkeypatch.chdir(tmp_path)
    with Image.open(two_frame_gif) as im:
        frames = [f.convert("RGB") for f in ImageSequence.Iterator(im)]
    frames[0].save("my clip.webp", save_all=True, append_images=frames[1:], duration=60)
    result = runner.invoke(app, ["reduce", "my clip.webp", "--palette", "per-frame"])
    assert result.exit_code == 2
    assert one_error_line(result).endswith(
        "; name a .gif output with -o or --ext, e.g. -o 'my clip.k16.gif' or --ext .k16.gif")


def test_palette_per_frame_on_a_still_image_is_the_global_result(photo, tmp_path):
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    assert run(photo, "-k", 8, "-o", a).exit_code == 0
    assert run(photo, "-k", 8, "--palette", "per-frame", "-o", b).exit_code == 0
    assert np.array_equal(load_image(a).rgb, load_image(b).rgb)


def test_a_non_utf8_name_is_shown_with_its_bytes_escaped(tmp_path):
    """Summary, warning and error lines and --json show an undecodable byte as \\xff, never
    as a \\udcff escape (which --json wrote)."""
    name = b"bad\xffname.png".decode("utf-8", "surrogateescape")
    Image.new("RGB", (4, 4), (200, 0, 0)).save(tmp_path / name)
    first = run(tmp_path / name, "-k", 2)
    assert first.exit_code == 0, first.output
    assert "quantize: note: " in first.stderr and "bad\\xffname.png: " in first.stderr
    assert "bad\\xffname.k2.png: 1 colour, lossless" in first.stdout
    again = run(tmp_path / name, "-k", 2)
    assert again.exit_code == 15
    line = one_error_line(again)
    assert line.endswith("bad\\xffname.k2.png: output exists; use --force to overwrite")
    assert "\\udcff" not in first.stderr + again.stderr
    as_json = run(tmp_path / name, "-k", 2, "-o", tmp_path / "x.png", "--json")
    assert json.loads(as_json.stdout.encode("utf-8"))["input"] == str(tmp_path) + (
        "/bad\\xffname.png")


def test_file_names_with_control_characters_are_shown_escaped_on_one_line(tmp_path):
    bad, esc = tmp_path / "bad\nname.png", tmp_path / "esc\x1b[31m.png"
    bad.write_text("not a picture\n")
    Image.new("RGB", (4, 4), (9, 9, 9)).save(esc)  # one colour: a note of its size
    result = runner.invoke(app, ["reduce", str(bad), str(esc), "-j", "1"])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"quantize: error: {tmp_path}/bad\\nname.png: not an image Pillow can identify",
        f"quantize: note: {tmp_path}/esc\\x1b[31m.png: {tmp_path}/esc\\x1b[31m.k16.png (83 "
        "bytes) is larger than the input (77 bytes); --skip-if-larger keeps no such output"]
    assert result.stdout.startswith(
        f"{tmp_path}/esc\\x1b[31m.png -> {tmp_path}/esc\\x1b[31m.k16.png: 1 colour, lossless")
    assert len(result.stdout.splitlines()) == 1


def test_a_fully_transparent_image_is_warned_of_and_written_clear(tmp_path):
    """No visible colour: "0 colours" on its own line would read as a failure to fit."""
    clear = tmp_path / "clear.png"
    Image.new("RGBA", (4, 4), (0, 0, 0, 0)).save(clear)
    result = runner.invoke(app, ["reduce", str(clear), "-k", "2", "-o", str(tmp_path / "o.png")])
    assert result.exit_code == 0
    assert result.stderr.splitlines() == [
        f"quantize: warning: {clear}: -k/--colors=2 but the image has no visible colour "
        "(every pixel is fully transparent); returning the transparent entry alone",
        f"quantize: note: {clear}: {tmp_path}/o.png (96 bytes) is larger than the input (69 "
        "bytes); --skip-if-larger keeps no such output"]
    assert result.stdout.startswith(f"{clear} -> {tmp_path}/o.png: 0 colours, lossless")
    with Image.open(tmp_path / "o.png") as out:
        assert out.mode == "P" and out.info["transparency"] == 0
        assert out.convert("RGBA").getextrema()[3] == (0, 0)


def test_a_fully_transparent_images_act_palette_round_trips_silently(tmp_path):
    """Given back, the .act file warned twice that its transparent index 0 may be
    Aseprite's, so "its colour #000000 is not mapped onto", of a palette with no colour."""
    clear = tmp_path / "clear.png"
    Image.new("RGBA", (4, 4), (0, 0, 0, 0)).save(clear)
    first = run(clear, "-o", tmp_path / "a.png", "--palette-out", tmp_path / "c.act")
    assert first.exit_code == 0, first.output
    again = run(clear, "-o", tmp_path / "b.png", "--palette-in", tmp_path / "c.act")
    assert (again.exit_code, unnoted(again.stderr)) == (0, "")  # no warning
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()


def test_json_lines_escape_control_characters_as_json_does(tmp_path):
    esc = tmp_path / "esc\x1b\n.png"
    Image.new("RGB", (4, 4), (9, 9, 9)).save(esc)
    result = runner.invoke(app, ["reduce", str(esc), "--json"])
    assert result.exit_code == 0, result.output
    (line,) = result.stdout.splitlines()
    assert "\\u001b\\n.png" in line
    assert json.loads(line)["input"] == str(esc)


def test_a_multi_page_tiff_says_how_long_its_pages_are_shown(tmp_path):
    src = tmp_path / "scan.tif"
    pages = [Image.new("RGB", (6, 4), c) for c in ((200, 0, 0), (0, 200, 0))]
    pages[0].save(src, save_all=True, append_images=pages[1:])
    result = runner.invoke(app, ["reduce", str(src), "-o", str(tmp_path / "scan.png"),
                                 "-k", "2"])
    assert result.exit_code == 0, result.output
    assert result.stderr == (f"quantize: warning: {src}: TIFF of 2 pages, which have no "
                             "duration: written as an animation showing each page for 1 s, "
                             "looping forever\n")
    with Image.open(tmp_path / "scan.png") as im:
        assert (im.n_frames, im.info["duration"]) == (2, 1000.0)


def red_then_blue_over_transparency(path: Path) -> tuple[Path, np.ndarray, np.ndarray]:
    """Two 4 x 4 frames, transparent but for red rows, then blue pixels too, saved to
    ``path``; the path and the two frames."""
    frame = np.zeros((4, 4, 4), np.uint8)
    frame[:2] = (200, 0, 0, 255)
    moved = frame.copy()
    moved[2:, :2] = (0, 0, 200, 255)
    Image.fromarray(frame, "RGBA").save(path, save_all=True, duration=50,
                                        append_images=[Image.fromarray(moved, "RGBA")])
    return path, frame, moved


def test_a_palette_file_too_large_for_an_animation_with_transparency_is_named(tmp_path):
    # It said "palette_in holds 256 colours, ...": a parameter the command line does not
    # have, and no file, where a still image's error names --palette-in='p.hex'.
    src, _, _ = red_then_blue_over_transparency(tmp_path / "a.gif")
    hex_file = tmp_path / "p.hex"
    hex_file.write_text("".join(f"{i:02x}{i:02x}00\n" for i in range(256)))
    result = run(src, "--palette-in", hex_file, "-o", tmp_path / "out.gif")
    assert result.exit_code == 2
    assert one_error_line(result) == (
        f"quantize: error: {src}: --palette-in={str(hex_file)!r} holds 256 colours, more "
        "than an animation with transparency holds: at most 255 colours (one entry is kept "
        "for the transparent pixels, unless one of the palette's own is transparent, which "
        "they take, every entry keeping its index: alpha 0, as rrggbb00 in .hex, R G B 0 in "
        ".pal, 00rrggbb in .txt, \"alpha\": 0 in .json, R G B 0 after a 'Channels: RGBA' "
        "line in .gpl, or an .act of 772 bytes whose transparent index names it)")
    assert not (tmp_path / "out.gif").exists()


def test_a_palette_file_of_256_colours_onto_an_animation_with_transparency_makes_a_webp(
        tmp_path):
    # Refused as for a GIF (exit 2, "holds 256 colours, more than an animation with
    # transparency holds"), while a WebP's frames are RGBA.
    src, frame, moved = red_then_blue_over_transparency(tmp_path / "a.gif")
    hex_file = tmp_path / "p.hex"
    hex_file.write_text("c80000\n0000c8\n" + "".join(f"{i:02x}{i:02x}00\n" for i in range(254)))
    result = run(src, "--palette-in", hex_file, "-o", tmp_path / "out.webp")
    assert result.exit_code == 0, result.output
    with Image.open(tmp_path / "out.webp") as im:
        shown = [np.array(f.convert("RGBA")) for f in ImageSequence.Iterator(im)]
    assert [f.tolist() for f in shown] == [frame.tolist(), moved.tolist()]


def test_an_output_ext_names_cannot_hold_an_animation_is_blamed_on_ext(two_frame_gif, photo,
                                                                       tmp_path):
    # It said "-o/--output='anim.s.jpg': ...", an option the call did not have.
    result = run(two_frame_gif, photo, "-k", 4, "-j", 1, "--ext", ".s.jpg")
    assert result.exit_code == 2
    assert unnoted(result.stderr).splitlines() == [(  # photo.s.jpg's note of JPEG's colours
        f"quantize: error: {two_frame_gif}: --ext output="
        f"{str(tmp_path / 'anim.s.jpg')!r} has an unsupported extension '.jpg' for an "
        "animation; expected one of .gif, .png, .apng, .webp, .tif, .tiff")]
    assert (tmp_path / "photo.s.jpg").exists() and not (tmp_path / "anim.s.jpg").exists()
    given = run(two_frame_gif, "-k", 4, "-o", tmp_path / "a.jpg")
    assert one_error_line(given).startswith(f"quantize: error: {two_frame_gif}: "
                                            "-o/--output=")


@pytest.fixture
def tiny_gif(tmp_path) -> Path:
    """scikit-image's no_time_for_that_tiny.gif: 24 frames of 14 x 25, looping."""
    import skimage.data

    src = tmp_path / "anim.gif"
    shutil.copyfile(Path(skimage.data.__file__).parent / "no_time_for_that_tiny.gif", src)
    return src


def _three_pages(path: Path) -> Path:
    """A TIFF of three pages of one size, of many colours (Pillow's save_all)."""
    ramp = np.linspace(0, 255, 12 * 8).reshape(8, 12).astype(np.uint8)
    pages = [Image.fromarray(np.dstack(np.roll([ramp, ramp[::-1], ramp.T.reshape(8, 12)], i,
                                               axis=0))) for i in range(3)]
    pages[0].save(path, save_all=True, append_images=pages[1:])
    return path


_ANIMATION_FORMATS = ".gif, .png, .apng, .webp, .tif, .tiff"


@pytest.mark.parametrize("name, what", [("anim.gif", "an animation"),
                                        ("doc.tif", "a TIFF's pages")])
@pytest.mark.parametrize("named, given, extension", [
    (["-o", "o.jpg"], "-o/--output='o.jpg'", "'.jpg'"),
    (["-o", "o.JPEG"], "-o/--output='o.JPEG'", "'.jpeg'"),
    (["--ext", ".s.jpg"], "--ext output='{stem}.s.jpg'", "'.jpg'"),
])
def test_an_extension_an_animation_is_not_written_in_is_refused_as_a_still_s_is(
        tiny_gif, tmp_path, monkeypatch, name, what, named, given, extension):
    # It said "anim.gif: -o/--output='o.jpg': an animation is written as .gif, .png, ...,
    # got '.jpg'" ("a TIFF's pages are written as"), where a still's -o out.tga says
    # "-o/--output='out.tga' has an unsupported extension '.tga'; expected one of ...".
    # The file's name stays: a still is written as .jpg.
    monkeypatch.chdir(tmp_path)
    if name == "doc.tif":
        _three_pages(Path(name))
    before = sorted(p.name for p in tmp_path.iterdir())
    result = run(name, "-k", 4, *named)
    assert (result.exit_code, result.stdout) == (2, "")
    assert one_error_line(result) == (
        f"quantize: error: {name}: {given.format(stem=Path(name).stem)} has an unsupported "
        f"extension {extension} for {what}; expected one of {_ANIMATION_FORMATS}")
    assert sorted(p.name for p in tmp_path.iterdir()) == before


@pytest.mark.parametrize("name", ["anim.gif", "doc.tif"])
def test_an_extension_no_output_is_written_in_is_refused_alike_for_an_animation(
        tiny_gif, tmp_path, monkeypatch, name):
    # No input takes .tga: refused up front, as the option alone, whatever the input.
    monkeypatch.chdir(tmp_path)
    if name == "doc.tif":
        _three_pages(Path(name))
    before = sorted(p.name for p in tmp_path.iterdir())
    result = run(name, "-o", "o.tga")
    assert (result.exit_code, result.stdout) == (2, "")
    assert one_error_line(result) == (
        "quantize: error: -o/--output='o.tga' has an unsupported extension '.tga'; expected "
        "one of .png, .apng, .gif, .bmp, .jpg, .jpeg, .webp, .tif, .tiff")
    assert sorted(p.name for p in tmp_path.iterdir()) == before


@pytest.mark.parametrize("name, output", [("photo.png", "o.png"), ("anim.gif", "o.gif"),
                                          ("anim.gif", "o.webp"), ("doc.tif", "o.tif"),
                                          ("anim.gif", None)])
def test_k_over_256_with_quality_is_the_most_allowed_for_an_animation_as_for_a_still(
        photo, tiny_gif, tmp_path, monkeypatch, name, output):
    # --quality 3 -k 300 ran for a still's .png (its search stops at 256), but an animation,
    # or a TIFF's pages, exited 2: "-k/--colors=300 is more than an animation holds". With
    # --quality, -k is only the most colours allowed: the same as -k 256.
    monkeypatch.chdir(tmp_path)
    if name == "doc.tif":
        _three_pages(Path(name))
    records = []
    for k in (300, 256):
        out = None if output is None else f"k{k}.{output}"
        result = run(name, "--quality", 3, "-k", k, "--json", *(["-o", out] if out else []))
        assert result.exit_code == 0, result.output
        record = json.loads(result.stdout)
        assert record["n_colors"] == k and record["k"] <= 256
        records.append(record)
        if out is None:
            Path(record["output"]).rename(f"k{k}.{Path(record['output']).name}")
    assert {key: records[0][key] for key in ("k", "psnr", "delta_e", "frames", "palette")} == \
        {key: records[1][key] for key in ("k", "psnr", "delta_e", "frames", "palette")}


@pytest.mark.parametrize("name, output, holder", [
    ("anim.webp", "o.webp", "an animation holds no more, as its frames share one palette"),
    ("doc.tif", "o.tif", "a TIFF of pages holds no more, as its pages share one palette"),
])
def test_a_quality_no_shared_palette_reaches_says_that_it_holds_no_more(
        tmp_path, monkeypatch, name, output, holder):
    # As a still's .png says "a palette image holds no more": -k 300 allowed more than the
    # 256 the search stopped at, which would otherwise read as a wrong count.
    monkeypatch.chdir(tmp_path)
    noise = np.random.default_rng(0).integers(0, 256, (3, 20, 20, 3), dtype=np.uint8)
    pages = [Image.fromarray(frame) for frame in noise]
    if name == "doc.tif":
        pages[0].save(name, save_all=True, append_images=pages[1:])
    else:
        pages[0].save(name, save_all=True, append_images=pages[1:], duration=50, lossless=True)
    reach = " (they reach, with each colour of the frames on its nearest entry, a mean CIEDE2000 of"
    kept = "or more keeps their result, which -k/--colors={} alone gives"
    for extra, said in ((["-k", "300"], f"256 colours{reach} 3.379); --quality-limit=3.38 "
                                        f"{kept.format(256)}; {holder}"),
                        ([], f"256 colours{reach} 3.379); --quality-limit=3.38 "
                             f"{kept.format(256)}; {holder}"),
                        (["-k", "200"], f"200 colours{reach} 4.029); --quality-limit=4.03 "
                                        f"{kept.format(200)}")):
        result = run(name, "--quality", "0.01", "-o", output, *extra)
        assert (result.exit_code, result.stderr) == (
            99, f"quantize: error: {name}: --quality=0.01: mean CIEDE2000 <= 0.01 needs more "
                f"than {said}\n")
        assert not Path(output).exists()


@pytest.mark.parametrize("args, given", [
    (["--quality", "3"], "--quality=3"),  # as typed: not "3.0"
    (["--quality", "3.0"], "--quality=3.0"),
    (["--palette-in", "p.hex"], "--palette-in='p.hex'"),
])
@pytest.mark.parametrize("inputs", [["photo.png", "anim.gif"], ["photo.png"], ["anim.gif"],
                                    ["photos"]])
def test_palette_per_frame_with_a_fixed_palette_is_refused_before_any_file(
        photo, two_frame_gif, tmp_path, monkeypatch, inputs, args, given):
    # It was refused by each animation's job: "reduce photo.png anim.gif --palette
    # per-frame --quality 3" wrote photo.k<N>.png, then failed anim.gif (exit 2), and
    # said "--quality=3.0"; a still alone was reduced, with a "no effect" warning; a
    # folder was pointed to a batch call without --palette per-frame. batch refused it
    # up front: reduce now does too, in batch's words, whatever its files.
    monkeypatch.chdir(tmp_path)
    Path("p.hex").write_text("ff0000\n0000ff\n")
    Path("photos").mkdir()
    before = sorted(p.name for p in tmp_path.iterdir())
    result = run(*inputs, "--palette", "per-frame", *args)
    batch = runner.invoke(app, ["batch", "photos", "-o", "out", "--palette", "per-frame",
                                *args])
    line = ("quantize: error: --palette='per-frame' gives each frame a palette of its own, "
            f"of at most -k/--colors=16 (its default) colours, so {given} cannot be given "
            "with it")
    assert (result.exit_code, one_error_line(result)) == (2, line)
    assert (batch.exit_code, one_error_line(batch)) == (2, line)
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written


def test_a_default_output_name_too_long_is_one_line_saying_what_to_do(tmp_path, photo):
    # A 250-byte stem: stem.k16.png is 258 bytes, more than a name may have; the error was
    # the system's "File name too long", which did not say which name or what to do.
    src = photo.rename(tmp_path / ("p" * 250 + ".png"))
    result = runner.invoke(app, ["reduce", str(src)])
    assert result.exit_code == 1
    assert result.stderr == (f"quantize: error: {src}: {tmp_path / ('p' * 250 + '.k16.png')}: "
                             "name too long: 258 bytes, and a file name may have at most 255; "
                             "choose a shorter output name, or shorten the name of the input "
                             "it is made from\n")
    assert [p.name for p in tmp_path.iterdir()] == [src.name]
    ok = runner.invoke(app, ["reduce", str(src), "--ext", ".png8.png", "-q"])
    assert ok.exit_code == 1  # --ext names it after the stem too
    short = tmp_path / "short.png"
    assert runner.invoke(app, ["reduce", str(src), "-o", str(short), "-q"]).exit_code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([src.name, "short.png"])


def test_a_default_output_in_a_read_only_folder_says_to_name_one_with_o(tmp_path, photo,
                                                                        monkeypatch):
    # A dataset folder the user may read but not write: the error named the folder, not
    # how to write the output elsewhere.
    ro = tmp_path / "ro"
    ro.mkdir()
    src = photo.rename(ro / "photo.png")
    other = tmp_path / "other.png"
    Image.open(src).save(other)
    unwritable = f"{src}: {ro / 'photo.k8.png'}: output folder {ro} is not writable"
    with read_only_folder(monkeypatch, ro):
        alone = run(src, "-k", 8)
        by_ext = run(src, "--ext", ".small.png")
        both = run(src, other, "-k", 8, "-q")
        named = run(src, "-k", 8, "-o", ro / "mine.png")
    assert (alone.exit_code, alone.stdout) == (1, "")
    assert alone.stderr == (f"quantize: error: {unwritable}; name an output elsewhere with "
                            "-o/--output\n")
    assert by_ext.stderr == (f"quantize: error: {src}: {ro / 'photo.small.png'}: output folder "
                             f"{ro} is not writable; name an output elsewhere with -o/--output\n")
    # with several inputs -o is refused: the file is to be reduced alone; the other is done
    assert (both.exit_code, both.stdout) == (1, "")
    assert both.stderr == (f"quantize: error: {unwritable}; name an output elsewhere with "
                           "-o/--output, in a call for this file alone\n")
    assert other.with_name("other.k8.png").is_file()
    # an output the user named is not the command's to move
    assert named.stderr == (f"quantize: error: {src}: {ro / 'mine.png'}: output folder {ro} "
                            "is not writable\n")
    assert [p.name for p in ro.iterdir()] == ["photo.png"]


@pytest.fixture
def decoded(monkeypatch):
    """The inputs whose pixels reduce_file reads, in order: none is fitted unread. An
    animation is listed once, however many times its frames are read."""
    from quantize.animation.frames import OpenAnimation
    from quantize.io import OpenInput

    paths, real, real_frames, animations = [], OpenInput.load, OpenAnimation.frames, []

    def load(source, **how):
        paths.append(Path(source.path))
        return real(source, **how)

    def frames(animation):
        if not any(animation is seen for seen in animations):
            animations.append(animation)
            paths.append(Path(animation.path))
        return real_frames(animation)

    monkeypatch.setattr(OpenInput, "load", load)
    monkeypatch.setattr(OpenAnimation, "frames", frames)
    return paths


def test_a_read_only_folder_is_said_before_quality_chooses_the_colours(tmp_path, photo,
                                                                       monkeypatch, decoded):
    # The name holds the k --quality chooses: the folder was found unwritable only after
    # the image was read and the colours fitted.
    ro = tmp_path / "ro"
    ro.mkdir()
    src = photo.rename(ro / "photo.png")
    other = tmp_path / "other.png"
    Image.open(src).save(other)
    unwritable = (f"{src}: {ro / 'photo.k<N>.png'}: output folder {ro} is not writable; "
                  "name an output elsewhere with -o/--output")
    with read_only_folder(monkeypatch, ro):
        alone = run(src, "--quality", 3)
        assert decoded == []
        both = run(src, other, "--quality", 3, "-q", "-j", 1)
    assert (alone.exit_code, alone.stdout, alone.stderr) == (
        1, "", f"quantize: error: {unwritable}\n")
    # each file is checked before its own work; the other is still reduced
    assert (both.exit_code, both.stdout, both.stderr) == (
        1, "", f"quantize: error: {unwritable}, in a call for this file alone\n")
    assert decoded == [other]
    assert len(list(tmp_path.glob("other.k*.png"))) == 1
    assert [p.name for p in ro.iterdir()] == ["photo.png"]


def test_a_read_only_folder_is_said_before_an_animation_is_read(tmp_path, two_frame_gif,
                                                                 monkeypatch, decoded):
    # An animation is named in its own format, known once the file is read: the folder
    # was found unwritable only after every frame was read and the palette fitted.
    ro = tmp_path / "ro"
    ro.mkdir()
    src = two_frame_gif.rename(ro / "anim.gif")
    with read_only_folder(monkeypatch, ro):
        by_k = run(src, "-k", 4)
        by_quality = run(src, "--quality", 3)
    assert (by_k.exit_code, by_k.stdout) == (1, "")
    assert by_k.stderr == (f"quantize: error: {src}: {ro / 'anim.k4.gif'}: output folder {ro} "
                           "is not writable; name an output elsewhere with -o/--output\n")
    assert (by_quality.exit_code, by_quality.stdout) == (1, "")
    assert by_quality.stderr == (
        f"quantize: error: {src}: {ro / 'anim.k<N>.gif'}: output folder {ro} is not "
        "writable; name an output elsewhere with -o/--output\n")
    assert decoded == []
    assert [p.name for p in ro.iterdir()] == ["anim.gif"]


def _still(path: Path) -> Path:
    """A one-frame image of four colours, saved as ``path`` (its extension the format)."""
    image = np.zeros((8, 8, 3), np.uint8)
    for i, c in enumerate(((255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255))):
        image[:, 2 * i:2 * i + 2] = c
    Image.fromarray(image).save(path, **({"lossless": True} if path.suffix == ".webp" else {}))
    return path


@pytest.mark.parametrize("name, args, existing", [
    ("anim.gif", ["-k", 4], "anim.k4.gif"),  # an animation keeps its format
    ("still.gif", ["-k", 4], "still.k4.png"),
    ("still.webp", ["-k", 4], "still.k4.png"),
    # N counts the entries an animation draws: alpha 64 is below 128
    ("anim.gif", ["--palette-in", "p.hex"], "anim.k2.gif"),
    ("still.gif", ["--palette-in", "p.hex"], "still.k3.png"),
])
def test_an_existing_default_output_is_refused_before_the_image_is_read(
        tmp_path, two_frame_gif, decoded, name, args, existing):
    # Given a GIF or WebP, which may be an animation, the name was made only after the
    # image was read and its colours fitted: running the command twice made the user wait
    # for the whole fit before being told the output exists.
    src = two_frame_gif if name == "anim.gif" else _still(tmp_path / name)
    (tmp_path / "p.hex").write_text("ff0000\n00ff00\n0000ff40\n")
    out = tmp_path / existing
    out.write_bytes(b"earlier")
    before = sorted(p.name for p in tmp_path.iterdir())
    result = run(src, *[tmp_path / a if a == "p.hex" else a for a in args])
    assert (result.exit_code, result.stdout, result.stderr) == (
        15, "", f"quantize: error: {src}: {out}: output exists; use --force to overwrite\n")
    assert decoded == []
    assert out.read_bytes() == b"earlier"
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    forced = run(src, *[tmp_path / a if a == "p.hex" else a for a in args], "--force", "-q")
    assert (forced.exit_code, forced.stdout) == (0, "")
    assert decoded == [src]
    with Image.open(out) as im:  # replaced, by the image it was named for
        assert (im.format, im.n_frames) == (("GIF", 2) if name == "anim.gif" else ("PNG", 1))
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_an_existing_default_output_stops_its_own_file_alone(tmp_path, two_frame_gif,
                                                              decoded):
    # each file is checked before its own work; the other is still reduced
    still = _still(tmp_path / "still.gif")
    (tmp_path / "anim.k4.gif").write_bytes(b"earlier")
    result = run(two_frame_gif, still, "-k", 4, "-q", "-j", 1)
    assert (result.exit_code, result.stdout, result.stderr) == (
        15, "", f"quantize: error: {two_frame_gif}: {tmp_path / 'anim.k4.gif'}: output "
                "exists; use --force to overwrite\n")
    assert decoded == [still]
    assert (tmp_path / "anim.k4.gif").read_bytes() == b"earlier"
    with Image.open(tmp_path / "still.k4.png") as im:
        assert (im.format, len(im.getcolors())) == ("PNG", 4)


def test_an_error_naming_a_folder_with_a_newline_keeps_the_whole_reason(tmp_path, photo):
    # It printed "...: output folder no" and dropped the rest of the line at the newline.
    out = tmp_path / "no\ndir" / "x.png"
    for args in ([], ["--json"]):
        result = runner.invoke(app, ["reduce", str(photo), "-o", str(out), *args])
        assert result.exit_code == 2
        folder = str(tmp_path / "no\\ndir")
        assert result.stderr == (f"quantize: error: -o/--output='{folder}/x.png': folder "
                                 f"'{folder}' does not exist; expected a file name in an "
                                 "existing folder\n")
        assert result.stdout == ""


@pytest.mark.parametrize("args, line", [
    (["-o", "nodir/x.png"], "-o/--output='nodir/x.png': folder 'nodir' does not exist"),
    (["-o", "nodir/sub/x.png"], "-o/--output='nodir/sub/x.png': folder 'nodir/sub' does not "
                                "exist"),
    (["-o", "o.png", "--palette-out", "nodir/p.gpl"],
     "--palette-out='nodir/p.gpl': folder 'nodir' does not exist"),
])
def test_an_output_in_a_missing_folder_is_refused_before_any_work(tmp_path, photo,
                                                                  monkeypatch, args, line):
    """It was a failed file (exit 1) found by the job, while an output under a file
    (-o notes.txt/x.png) was refused as bad usage (exit 2)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("quantize.io.OpenInput.load", _never_called)
    result = run(photo, "-k", 4, *args)
    assert (result.exit_code, result.stdout, result.stderr) == (
        2, "", f"quantize: error: {line}; expected a file name in an existing folder\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["photo.png"]


def _never_called(*args, **kwargs):
    raise AssertionError("the image was read")


def test_names_with_reordering_marks_or_line_separators_are_shown_escaped(tmp_path):
    # U+202E was printed as it is, and turned "x\u202egnp.exe" into "xexe.png" on screen;
    # U+2028 ends a line for Python's splitlines and some terminals.
    rlo, sep = tmp_path / "x\u202egnp.exe", tmp_path / "a\u2028b.png"
    Image.new("RGB", (2, 2), (9, 9, 9)).save(rlo, format="PNG")
    sep.write_text("not a picture\n")
    result = runner.invoke(app, ["reduce", str(rlo), str(sep), "-j", "1", "-k", "2"])
    assert result.exit_code == 1
    assert result.stdout.startswith(f"{tmp_path}/x\\u202egnp.exe -> {tmp_path}/x\\u202egnp.k2.png: "
                                    "1 colour, lossless")
    assert len(result.stdout.splitlines()) == 1
    assert result.stderr.splitlines() == [
        f"quantize: note: {tmp_path}/x\\u202egnp.exe: {tmp_path}/x\\u202egnp.k2.png (84 bytes) "
        "is larger than the input (79 bytes); --skip-if-larger keeps no such output",
        f"quantize: error: {tmp_path}/a\\u2028b.png: not an image Pillow can identify"]
    hebrew = tmp_path / "\u05e9\u05dc\u05d5\u05dd.png"  # right-to-left letters stay letters
    Image.new("RGB", (2, 2), (9, 9, 9)).save(hebrew)
    shown = runner.invoke(app, ["reduce", str(hebrew), "-k", "2", "-o", "-"])
    assert shown.exit_code == 0
    assert f"\nquantize: note: {hebrew}: the image written to stdout" in shown.stderr


def test_a_name_holding_the_text_of_an_escape_is_shown_as_it_is(tmp_path):
    """As the README says: display escapes are for reading, so the name holding the text
    backslash-x-f-f is shown in a summary line as the name holding the byte 0xff; an error
    that quotes the name tells them apart, backslashes doubled. It wrote the byte as Python
    does, \\udcff, where every other line writes \\xff; now \\xff there too."""
    text, byte = tmp_path / "a\\xff.png", tmp_path / os.fsdecode(b"a\xff.png")
    for name in (text, byte):
        Image.new("RGB", (2, 2), "red").save(name, "PNG")
        result = run(name, "-k", 2, "-o", tmp_path / "out.png", "--force")
        assert result.exit_code == 0, result.output
        assert result.stdout.startswith(f"{tmp_path}/a\\xff.png -> {tmp_path}/out.png: ")
    for name, quoted in ((text, "a\\\\xff"), (byte, "a\\xff")):
        other = name.with_name(name.stem + ".x.png")
        Image.new("RGB", (2, 2), "blue").save(other, "PNG")
        assert one_error_line(run(name, other, "--ext", ".x.png")) == (
            f"quantize: error: {tmp_path}/a\\xff.png: its output would be "
            f"'{tmp_path}/{quoted}.x.png', which is also an input; rename that input, or "
            "choose other output names with --ext")


def test_inputs_whose_outputs_collide_through_another_spelling_of_a_folder_are_refused(
        tmp_path, photo):
    # d/a.png and link/a.jpg (link -> d) were both written to d/a.k16.png, the second
    # replacing the first with --force; d/a.png and link/a.png reduced one file twice.
    folder = tmp_path / "d"
    folder.mkdir()
    png, jpg = folder / "a.png", folder / "a.jpg"
    photo.rename(png)
    Image.open(png).convert("RGB").save(jpg)
    (tmp_path / "link").symlink_to(folder)
    for other in (tmp_path / "link" / "a.jpg", folder / ".." / "d" / "a.jpg"):
        result = runner.invoke(app, ["reduce", str(png), str(other), "--force"])
        assert result.exit_code == 2
        assert result.stderr == (
            f"quantize: error: {other}: would be written to the same output file as {png}: "
            f"{str(folder / 'a.k16.png')!r} and {str(other.parent / 'a.k16.png')!r}, one file; "
            "rename one, or reduce each with its own -o\n")
    twice = runner.invoke(app, ["reduce", str(png), str(tmp_path / "link" / "a.png")])
    assert twice.exit_code == 2
    assert twice.stderr == (f"quantize: error: {png}: given twice as an input (the second "
                            f"time as {tmp_path / 'link' / 'a.png'})\n")
    assert sorted(p.name for p in folder.iterdir()) == ["a.jpg", "a.png"]


def test_a_palette_file_warning_is_one_line_said_once(tmp_path):
    # Reading --palette-in before the jobs to count its colours let its warning out as
    # Python shows it (the file and line of typer's source, then the code), before the
    # job's own "quantize: warning:" line said it again.
    src = tmp_path / "a.png"
    Image.new("RGB", (4, 4), (200, 30, 30)).save(src)
    palette = tmp_path / "p.hex"
    palette.write_text("FFC81E1E\nFF1EA028\n")
    done = run_in_process(["reduce", src, "-q", "--palette-in", palette, "-o", tmp_path / "b.png"])
    assert done.returncode == 0, done.stderr
    assert done.stderr == (f"quantize: warning: {src}: p.hex: every colour is 8 hex digits "
                           "beginning ff, as in a Paint.NET palette (aarrggbb, alpha first), "
                           "and is read as rrggbbaa: red 255, its last two digits as alpha; "
                           "if it is a Paint.NET palette, name it .txt\n"
                           # so read, the palette is far from the image, and said to be
                           f"quantize: warning: {src}: --palette-in='{palette}' is far from "
                           "the image's colours: mean CIEDE2000 29.7 (over 20); to keep some "
                           "colours exactly and fit the others, give those as "
                           "--fixed-color=COLOUR instead\n")


def test_a_headerless_paint_net_palette_of_transparent_entries_says_to_name_it_txt(tmp_path):
    # Refused as "only fully transparent entries" with no word that FFRRGGBB lines are
    # Paint.NET's aarrggbb, read in a .hex file as rrggbbaa of alpha 0.
    src = tmp_path / "a.png"
    Image.new("RGB", (4, 4), (200, 30, 30)).save(src)
    palette = tmp_path / "p.hex"
    palette.write_text("FFFF0000\nFF00FF00\n")
    done = run_in_process(["reduce", src, "-q", "--palette-in", palette, "-o", tmp_path / "b.png"])
    assert (done.returncode, done.stderr) == (
        2, f"quantize: warning: {src}: p.hex: every colour is 8 hex digits beginning ff, as in "
           "a Paint.NET palette (aarrggbb, alpha first), and is read as rrggbbaa: red 255 and "
           "alpha 0, so every entry is fully transparent; if it is a Paint.NET palette, name "
           f"it .txt\nquantize: error: {src}: --palette-in='{palette}' has only fully "
           "transparent entries (alpha 0), but the image has visible pixels; expected at "
           "least one visible colour\n")


def _three_grey_frames_gif(folder):
    """The bytes of a 3-frame 6 x 4 GIF of flat greys (saved in ``folder``), and the
    offsets of its frames' graphic control extensions."""
    frames = [Image.fromarray(np.full((4, 6), 40 * (i + 1), np.uint8)) for i in range(3)]
    frames[0].save(folder / "whole.gif", save_all=True, append_images=frames[1:],
                   duration=100, loop=0)
    data = (folder / "whole.gif").read_bytes()
    return data, [i for i in range(len(data)) if data.startswith(b"\x21\xf9\x04", i)]


def test_a_gif_cut_at_a_frame_boundary_is_reduced_with_one_warning_line(tmp_path):
    """Cut after its second frame, with no trailer, a 3-frame GIF was reduced to 2 frames
    without a word: a line now says it may have been cut short (once, though both the
    first-frame read and the animation job find it)."""
    data, controls = _three_grey_frames_gif(tmp_path)
    src = tmp_path / "cut.gif"
    src.write_bytes(data[:controls[2]])  # before the third frame's control extension
    result = run(src, "-k", 2)
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [
        f"quantize: warning: {src}: the GIF ends after 2 frames without its trailer (the ';' "
        "that ends every GIF): it may have been cut short and later frames lost; the 2 "
        "frames it has are read"]
    assert Image.open(tmp_path / "cut.k2.gif").n_frames == 2


def test_a_gif_cut_inside_a_frame_is_reduced_to_the_whole_frames_before_it(tmp_path):
    """Cut inside its third frame (``head -c`` of a broken download), a 3-frame GIF was
    refused ("cannot decode image (image file is truncated)"), though browsers and
    gifsicle play its first two frames: those are reduced now, with one warning line."""
    data, controls = _three_grey_frames_gif(tmp_path)
    src = tmp_path / "cut.gif"
    src.write_bytes(data[:controls[2] + 8 + 14])  # inside the third frame's image data
    result = run(src, "-k", 2)
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [
        f"quantize: warning: {src}: the GIF is cut inside its frame 3 (a download broken "
        "off, say): that frame and any later ones are lost; the 2 frames before it are "
        "read, as browsers and gifsicle play them"]
    assert Image.open(tmp_path / "cut.k2.gif").n_frames == 2


@pytest.mark.parametrize("existing", ["o.png", "p.hex"])
def test_an_image_and_palette_file_of_which_one_exists_are_refused_by_its_name(
        photo, existing, monkeypatch):
    monkeypatch.chdir(photo.parent)
    Path(existing).write_bytes(b"earlier")
    before = sorted(os.listdir())
    result = run(photo.name, "-o", "o.png", "--palette-out", "p.hex")
    assert (result.exit_code, one_error_line(result)) == (
        15, f"quantize: error: {photo.name}: {existing}: output exists; use --force to "
            "overwrite")
    assert sorted(os.listdir()) == before and Path(existing).read_bytes() == b"earlier"


def test_faint_pixels_onto_a_palette_take_the_transparent_entry_where_the_output_has_room(
        tmp_path, monkeypatch):
    """Without a fully transparent pixel they were drawn opaque; now as with one, unless a
    .png output holds 256 colours already, when they are drawn opaque as before."""
    monkeypatch.chdir(tmp_path)
    rgba = np.zeros((8, 8, 4), np.uint8)
    rgba[..., :3] = 120
    rgba[..., 3] = 255
    rgba[4:, :, 3] = 3
    Image.fromarray(rgba).save("faint.png")
    Path("four.hex").write_text("000000\nffffff\nff0000\n0000ff\n")
    Path("full.hex").write_text("".join(f"{i:02x}{i:02x}{i:02x}\n" for i in range(256)))
    for palette, output, faint_alpha in (("four.hex", "four.png", 0), ("full.hex", "full.png", 255),
                                         ("full.hex", "full.webp", 0)):
        result = run("faint.png", "--palette-in", palette, "-o", output)
        assert result.exit_code == 0, result.output
        alpha = np.asarray(Image.open(output).convert("RGBA"))[..., 3]
        assert np.unique(alpha[:4]).tolist() == [255] and np.unique(alpha[4:]).tolist() == [
            faint_alpha], output
    assert Image.open("four.png").mode == Image.open("full.png").mode == "P"


def _ended_pid() -> int:
    """The id of a process that has ended (and been waited for)."""
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)
    return int(child.stdout)


@pytest.mark.parametrize("source, out", [("photo", "small.png"), ("two_frame_gif", "small.gif")])
def test_reduce_removes_the_temporary_files_a_killed_reduce_of_its_outputs_left(
        request, tmp_path, source, out):
    """A reduce killed (kill -9) while writing left ``.small.png.<pid>-<random>.part`` beside
    its output, and no later reduce removed it, as segment and batch remove theirs. Those of
    other names, of no process id's form, and of a process still running are kept."""
    src = request.getfixturevalue(source)
    dead, alive = _ended_pid(), os.getpid()
    stale = [f".{out}.{dead}-abcdefgh.part", f".palette.hex.{dead}-abcdefgh.part",
             f".{out}.abcdefgh.part"]
    kept = [f".{out}.{alive}-abcdefgh.part", f".{out}.png.{dead}-abcdefgh.part",
            f".other.png.{dead}-abcdefgh.part", f".{out}.part"]
    for name in stale + kept:
        (tmp_path / name).write_bytes(b"part")
    result = run(src, "-k", 2, "-o", tmp_path / out, "--palette-out", tmp_path / "palette.hex")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [src.name, out, "palette.hex", *kept])


@pytest.mark.parametrize("args", [["{src}", "-o", "-"], ["-"]])
def test_too_many_colours_for_stdout_advises_another_format_by_format(photo, args):
    """The advice was "or for a still image a .jpg/.webp/.tif output", which stdout, which
    got a PNG, could not be; --format gives it one."""
    args = [a.format(src=photo) for a in args]
    result = runner.invoke(app, ["reduce", *args, "-k", "1000"], input=photo.read_bytes())
    assert result.exit_code == 2 and result.stdout_bytes == b""
    assert one_error_line(result) == (  # whatever the input: named as the option alone
        "quantize: error: -k/--colors=1000 is more than a palette image holds: at "
        "most 256 colours; use fewer colours, or for a still image --format jpg, webp or tif")


@pytest.mark.parametrize("limit, advice", [
    ([], "an output in RGB (--format tif, webp or jpg) may hold more, with -k/--colors=K"),
    (["-k", "300"], "a palette image holds no more; an output in RGB (--format tif, webp or "
                    "jpg) may hold the -k/--colors=300 allowed"),
])
def test_quality_out_of_reach_on_stdout_advises_another_format_by_format(tmp_path, rng,
                                                                     limit, advice):
    noise = tmp_path / "noise.png"
    Image.fromarray(rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)).save(noise)
    result = run(noise, "--quality", "0.01", *limit, "-o", "-")
    assert result.exit_code == 99 and result.stdout_bytes == b""
    assert one_error_line(result) == (
        f"quantize: error: {noise}: --quality=0.01: mean CIEDE2000 <= 0.01 needs more than 256 "
        f"colours (they reach a mean CIEDE2000 of 3.298); --quality-limit=3.3 or more keeps "
        f"their result, which -k/--colors=256 alone gives; {advice}")


@pytest.mark.parametrize("args, line", [
    (["-o", "taken/x.png"], "-o/--output='taken/x.png' lies under 'taken'"),
    (["-o", "taken/sub/x.png"], "-o/--output='taken/sub/x.png' lies under 'taken'"),
    (["-o", "x.png", "--palette-out", "taken/p.hex"], "--palette-out='taken/p.hex' lies under "
                                                      "'taken'"),
])
def test_an_output_under_a_file_is_a_usage_error_as_segments_is(photo, tmp_path, monkeypatch,
                                                                args, line):
    """It said "taken/x.png: output folder taken is a file, expected a folder", exit 1, where
    'segment -o taken/x' exits 2; then it named the input first, which segment does not."""
    monkeypatch.chdir(tmp_path)
    Path("taken").write_text("keep me")
    result = run(photo, "-k", 2, *args)
    assert (result.exit_code, result.stderr) == (
        2, f"quantize: error: {line}, which is an existing file; expected a file name in a "
           "folder\n")
    assert Path("taken").read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["photo.png", "taken"]


@pytest.mark.parametrize("args", [["-k", "2"], ["--quality", "0.5", "-k", "8"]])
def test_a_default_output_that_is_a_folder_is_a_usage_error_as_ext_s_is(photo, tmp_path, args):
    """It said "photo.k2.png: is a directory, expected an output file name", exit 1, where
    the same name given by --ext exits 2."""
    (tmp_path / "photo.k2.png").mkdir()
    result = run(photo, *args)
    verb = "would be" if args[0] == "-k" else "may be"
    assert (result.exit_code, result.stderr) == (
        2, f"quantize: error: {photo}: its output {verb} '{tmp_path / 'photo.k2.png'}', which "
           "is a folder; expected a file name: name another file with -o\n")
    by_ext = run(photo, *args, "--ext", ".k2.png")
    assert by_ext.exit_code == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["photo.k2.png", "photo.png"]


def test_an_output_another_command_wrote_while_this_one_worked_is_left_as_written(
        photo, tmp_path, monkeypatch):
    # -o was checked free before the fit; a file put there meanwhile was replaced.
    out = tmp_path / "out.png"
    real = importlib.import_module("quantize.reduce.file_job").remove_stale_parts

    def written_meanwhile(paths):
        out.write_bytes(b"theirs")
        return real(paths)

    monkeypatch.setattr("quantize.reduce.file_job.remove_stale_parts", written_meanwhile)
    result = run(photo, "-o", out, "-k", 2)
    assert (result.exit_code, result.stdout, result.stderr) == (
        15, "", f"quantize: error: {photo}: {out}: output exists (another run wrote it while "
                "this one worked); use --force to overwrite\n")
    assert out.read_bytes() == b"theirs"
    assert run(photo, "-o", out, "-k", 2, "--force").exit_code == 0
    assert out.read_bytes() != b"theirs"


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_palette_repeating_colours_is_said_once_and_of_each_animation(tmp_path, photo,
                                                                        monkeypatch, jobs):
    # Given several files, it was said once for them all, stills too, which keep every
    # entry at their index; only an animation keeps each colour once. Then a still was told
    # nothing, though no pixel takes a repeat: that is said once, before the files.
    monkeypatch.chdir(tmp_path)
    for name in ("b.png", "c.png"):
        shutil.copy(photo, name)
    frames = [Image.new("RGB", (4, 4), v) for v in ((0, 0, 0), (255, 255, 255))]
    frames[0].save("anim.gif", save_all=True, append_images=frames[1:], duration=100)
    Path("rep.hex").write_text("#000000\n#000000\n#ffffff\n")
    said = ("--palette-in='rep.hex' repeats colours: index 1 (#000000) as index 0; each "
            "colour is kept once, so its 3 entries give 2 colours, and those after index 1 "
            "take lower indices")
    unused = ("--palette-in='rep.hex' repeats colours: index 1 (#000000) as index 0; each "
              "pixel takes the first index of its colour, so no pixel takes index 1, and its 3 "
              "entries give 2 colours")
    stills = run("photo.png", "b.png", "c.png", "--palette-in", "rep.hex", "--ext", ".q.png",
                 "-j", jobs, "-q")
    assert (stills.exit_code, stills.stderr) == (0, f"quantize: warning: {unused}\n")
    assert [Path(n).exists() for n in ("photo.q.png", "b.q.png", "c.q.png")] == [True] * 3
    with Image.open("b.q.png") as im:  # the repeat kept at its index
        assert im.getpalette()[:9] == [0, 0, 0, 0, 0, 0, 255, 255, 255]
    mixed = run("b.png", "anim.gif", "--palette-in", "rep.hex", "--ext", ".q.gif", "-j", jobs,
                "-q")
    assert (mixed.exit_code, mixed.stderr) == (
        0, f"quantize: warning: {unused}\nquantize: warning: anim.gif: {said}\n")
    one = run("b.png", "--palette-in", "rep.hex", "-o", "one.png", "-q")
    assert (one.exit_code, one.stderr) == (0, f"quantize: warning: b.png: {unused}\n")
    animation = run("anim.gif", "--palette-in", "rep.hex", "-o", "one.gif", "-q")
    assert (animation.exit_code, animation.stderr) == (
        0, f"quantize: warning: anim.gif: {said}\n")


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_how_a_palette_file_is_read_is_said_once_before_the_files(tmp_path, photo,
                                                                  monkeypatch, jobs):
    # A swatch grid's gap colour and an .act's black tail, left out, were said on each
    # file's line, while its repeated colours were said once, before them.
    monkeypatch.chdir(tmp_path)
    shutil.copy(photo, "b.png")
    grid = np.full((17, 17, 3), 128, np.uint8)
    # greys, near the photo's (a palette far from it is said of each file)
    for i, colour in enumerate([(0, 0, 0), (85, 85, 85), (170, 170, 170), (255, 255, 255)]):
        grid[i // 2 * 9:i // 2 * 9 + 8, i % 2 * 9:i % 2 * 9 + 8] = colour
    Image.fromarray(grid).save("grid.png")
    Path("pad.act").write_bytes(bytes([0, 0, 0, 255, 255, 255]) + bytes(762))
    gap = ("grid.png: #808080 draws whole rows or columns of the image but no swatch (not one "
           "3 x 3 square), as the gaps between swatches on a grid do: not read as a colour of "
           "the palette, which has 4 colours")
    tail = ("pad.act: an Adobe colour table of 768 bytes has no count of the colours used, and "
            "its last 254 entries are black: read as the unused entries of a smaller palette "
            "and left out, so it gives 2 entries")  # its black kept: no advice to keep it
    for palette, said in (("grid.png", gap), ("pad.act", tail)):
        both = run("photo.png", "b.png", "--palette-in", palette, "--ext", ".q.png", "-j", jobs,
                   "-q", "--force")
        assert (both.exit_code, both.stderr) == (0, f"quantize: warning: {said}\n")
        one = run("b.png", "--palette-in", palette, "-o", "one.png", "-q", "--force")
        assert (one.exit_code, one.stderr) == (0, f"quantize: warning: b.png: {said}\n")


def test_a_still_gif_for_stdout_or_with_optimize_is_the_gif_written_to_a_file(photo, tmp_path):
    # one encoder for every still .gif: not interlaced, its codes starting at 3 bits for 8
    # colours (Pillow's writer interlaced it and started at 8)
    out = tmp_path / "photo.gif"
    assert run(photo, "-k", 8, "--seed", 0, "-o", out).exit_code == 0
    written = out.read_bytes()
    assert gif_blocks(written)["images"] == [{"interlaced": False, "code_size": 3}]
    sent = run(photo, "-k", 8, "--seed", 0, "-o", "-", "--format", "gif")
    assert sent.exit_code == 0, sent.stderr
    assert sent.stdout_bytes == written
    optimized = tmp_path / "optimized.gif"
    assert run(photo, "-k", 8, "--seed", 0, "-o", optimized, "--optimize").exit_code == 0
    assert optimized.read_bytes() == written


@pytest.mark.parametrize("args, why", [
    ([], "as its frames share one palette"),
    (["--palette", "per-frame"], "as each frame's colour table does"),
])
def test_too_many_colours_for_an_animation_says_why_by_its_palette_mode(
        tmp_path, monkeypatch, args, why):
    # With --palette per-frame the frames share no palette: the limit is each frame's table.
    monkeypatch.chdir(tmp_path)
    frames = [Image.new("RGB", (8, 8), (40 * i, 0, 0)) for i in range(3)]
    frames[0].save("a.gif", save_all=True, append_images=frames[1:], duration=100)
    result = run("a.gif", "-k", "300", *args)
    assert (result.exit_code, result.stderr) == (
        2, "quantize: error: a.gif: -k/--colors=300 is more than an animation holds: at most "
           f"256 colours, {why}\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.gif"]


def _signal_after(monkeypatch, name: str, signum: int, *, after: int = 1) -> None:
    """Have ``quantize.reduce.file_job.<name>`` send ``signum`` to this process once it
    returns, the ``after``-th time it is called: a Ctrl-C or SIGTERM landing just then."""
    import signal

    from quantize.reduce import file_job

    real = getattr(file_job, name)
    calls = []

    def then_signalled(*args, **kwargs):
        real(*args, **kwargs)
        calls.append(name)
        if len(calls) == after:
            signal.raise_signal(signum)

    monkeypatch.setattr(file_job, name, then_signalled)


def _interrupted_run(*args):
    """``run(*args)`` as the command runs, SIGTERM taken as Ctrl-C (:mod:`quantize._sigterm`)."""
    from quantize._sigterm import sigterm_as_interrupt

    with sigterm_as_interrupt():
        return run(*args)


_INTERRUPTS = [pytest.param("SIGINT", 130, "interrupted", id="ctrl-c"),
               pytest.param("SIGTERM", 143, "interrupted by SIGTERM", id="sigterm")]


@pytest.mark.skipif(os.name != "posix", reason="signals sent to oneself")
@pytest.mark.parametrize(("name", "code", "said"), _INTERRUPTS)
def test_an_interrupt_once_the_output_is_in_place_is_held_until_its_line_is_printed(
        photo, monkeypatch, python_sigint, name, code, said):
    """A Ctrl-C or SIGTERM between the rename of the output and its line stopped the command
    with "files already reported are done", the output written but named nowhere, and a
    rerun then refused it as existing. The line is printed first now."""
    import signal

    _signal_after(monkeypatch, "write_together", getattr(signal, name))
    out = photo.with_name("photo.one.png")
    result = _interrupted_run(photo, "--ext", ".one.png", "-k", "4")
    assert result.exit_code == code
    assert result.stdout.startswith(f"{photo} -> {out}: 4 colours, ")
    assert result.stdout.count("\n") == 1
    assert result.stderr == f"quantize: error: {said}; files already reported are done\n"
    assert _palette_size(out) == 4
    monkeypatch.undo()
    again = run(photo, "--ext", ".one.png", "-k", "4")
    assert again.exit_code == 15
    assert one_error_line(again) == (f"quantize: error: {photo}: {out}: output exists; "
                                     "use --force to overwrite")


@pytest.mark.skipif(os.name != "posix", reason="signals sent to oneself")
def test_an_interrupt_before_the_output_is_in_place_stops_at_once(photo, monkeypatch,
                                                                   python_sigint):
    """Before the rename Ctrl-C is not held: nothing is written or reported, and a rerun
    makes the output."""
    import signal

    _signal_after(monkeypatch, "remove_stale_parts", signal.SIGINT)
    out = photo.with_name("photo.one.png")
    result = run(photo, "--ext", ".one.png", "-k", "4")
    assert (result.exit_code, result.stdout) == (130, "")
    assert result.stderr == "quantize: error: interrupted; files already reported are done\n"
    assert not out.exists()
    monkeypatch.undo()
    assert run(photo, "--ext", ".one.png", "-k", "4").exit_code == 0
    assert _palette_size(out) == 4


@pytest.mark.skipif(os.name != "posix", reason="signals sent to oneself")
@pytest.mark.parametrize("at", ["remove_stale_parts", "write_together"])
@pytest.mark.parametrize(("name", "code", "said"), _INTERRUPTS)
def test_files_reduced_one_after_another_let_the_one_in_progress_finish_when_interrupted(
        tmp_path, monkeypatch, python_sigint, at, name, code, said):
    """-j 1 reduces the files in this process, one after another. It stopped the file in
    progress at once, where -j 2 (and batch -j 1) let it finish: an interrupt before its
    output is written (as its job starts) or as it is put in place now lets it finish and
    report it, is said at once, and the next file is not started."""
    import signal

    first, second, third = _tiny_files(tmp_path / "in", 3)
    _signal_after(monkeypatch, at, getattr(signal, name), after=2)
    result = _interrupted_run(first, second, third, "--ext", ".one.png", "-k", "2",
                              "-j", "1")
    assert result.exit_code == code
    assert [line.split(":")[0] for line in result.stdout.splitlines()] == [
        f"{first} -> {first.with_suffix('.one.png')}",
        f"{second} -> {second.with_suffix('.one.png')}"]
    again = "SIGTERM" if name == "SIGTERM" else "Ctrl-C"
    assert unnoted(result.stderr) == (
        f"quantize: {said}; letting the file in progress finish ({again} again to abandon it)\n"
        f"quantize: error: {said}; files already reported are done\n")
    assert sorted(p.name for p in first.parent.glob("*.one.png")) == ["0.one.png", "1.one.png"]


@pytest.mark.skipif(os.name != "posix", reason="signals sent to oneself")
def test_a_second_interrupt_abandons_the_file_in_progress_of_files_reduced_one_after_another(
        tmp_path, monkeypatch, python_sigint):
    """Ctrl-C twice while the second of three files is being written: it is abandoned,
    nothing of it left beside its input (no output, no temporary file), the input as it
    was."""
    import signal

    from quantize.reduce import file_job

    first, second, third = _tiny_files(tmp_path / "in", 3)
    before = second.read_bytes()
    real = file_job.write_together
    calls = []

    def interrupted_twice_while_written(files, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            def data_then_interrupted(path):
                path.write_bytes(b"half")
                signal.raise_signal(signal.SIGINT)
                signal.raise_signal(signal.SIGINT)
            files = [(path, data_then_interrupted) for path, _ in files]
        real(files, **kwargs)

    monkeypatch.setattr(file_job, "write_together", interrupted_twice_while_written)
    result = run(first, second, third, "--ext", ".one.png", "-k", "2", "-j", "1")
    assert result.exit_code == 130
    assert [line.split(":")[0] for line in result.stdout.splitlines()] == [
        f"{first} -> {first.with_suffix('.one.png')}"]
    assert unnoted(result.stderr) == (
        "quantize: interrupted; letting the file in progress finish (Ctrl-C again to abandon "
        "it)\n"
        "quantize: error: interrupted; files already reported are done\n")
    assert sorted(p.name for p in first.parent.iterdir()) == ["0.one.png", "0.png", "1.png",
                                                              "2.png"]
    assert second.read_bytes() == before


@pytest.mark.skipif(os.name != "posix", reason="signals sent to oneself")
def test_an_interrupt_of_a_single_file_still_stops_it_at_once(photo, monkeypatch,
                                                               python_sigint):
    """One file has nothing to let finish but itself: Ctrl-C stops it at once, as
    pngquant and segment stop, without the note."""
    import signal

    _signal_after(monkeypatch, "remove_stale_parts", signal.SIGINT)
    result = run(photo, "--ext", ".one.png", "-k", "4", "-j", "1")
    assert (result.exit_code, result.stdout) == (130, "")
    assert result.stderr == "quantize: error: interrupted; files already reported are done\n"
    assert not photo.with_name("photo.one.png").exists()


def test_the_cli_default_seed_is_the_python_seed_0_as_the_readme_says(photo_path, tmp_path):
    """reduce_colors() defaults to seed=None, the command line to 0: seed=0 gives its colours."""
    from quantize import reduce_colors

    out = tmp_path / "out.png"
    result = runner.invoke(app, ["reduce", str(photo_path), "-k", "6", "-o", str(out), "-q"])
    assert result.exit_code == 0, result.output
    with Image.open(out) as written:
        pixels = np.asarray(written.convert("RGB"))
    with Image.open(photo_path) as src:
        expected = reduce_colors(np.asarray(src), 6, seed=0).to_rgb()
    np.testing.assert_array_equal(pixels, expected)


BAYER_8 = np.array([[0, 32, 8, 40, 2, 34, 10, 42], [48, 16, 56, 24, 50, 18, 58, 26],
                    [12, 44, 4, 36, 14, 46, 6, 38], [60, 28, 52, 20, 62, 30, 54, 22],
                    [3, 35, 11, 43, 1, 33, 9, 41], [51, 19, 59, 27, 49, 17, 57, 25],
                    [15, 47, 7, 39, 13, 45, 5, 37], [63, 31, 55, 23, 61, 29, 53, 21]])


def _first_white_grey(tmp_path, *options):
    """The darkest grey of a 0..255 ramp that the black-and-white recipe draws white."""
    src, out = tmp_path / "ramp.png", tmp_path / "out.png"
    Image.fromarray(np.arange(256, dtype=np.uint8)[None].repeat(2, axis=0)).convert("RGB").save(src)
    (tmp_path / "bw.hex").write_text("#000000\n#ffffff\n")
    result = run(src, "--palette-in", tmp_path / "bw.hex", *options, "-o", out, "--force")
    assert result.exit_code == 0, result.output
    white = np.asarray(Image.open(out).convert("L"))[0] == 255
    assert not white[:int(np.argmax(white))].any() and white[int(np.argmax(white)):].all()
    return int(np.argmax(white))


def test_the_black_and_white_recipe_splits_greys_where_the_manual_says(tmp_path):
    """The manual said the recipe's pixels take the nearer entry in Lab, at L* 50 (grey
    119); as written, without --space, they take the nearer in RGB: 128. With --space lab,
    the nearer by CIEDE2000, which splits greys at L* 50 as Lab distance does: 119."""
    text = " ".join((ROOT / "docs" / "reduce.md").read_text(encoding="utf-8").split())
    said = re.search(r"Each pixel takes the nearer in RGB, so the threshold is grey (\d+)", text)
    said_lab = re.search(r"With `--space lab` each takes the nearer by CIEDE2000, and the "
                         r"threshold is L\* 50 \(grey (\d+)", text)
    assert said and said_lab
    assert _first_white_grey(tmp_path) == int(said[1]) == 128
    assert _first_white_grey(tmp_path, "--space", "lab") == int(said_lab[1]) == 119


@pytest.mark.parametrize("suffix", [".png", ".gif"])
def test_dither_ordered_draws_a_flat_grey_as_the_bayer_pattern(tmp_path, suffix):
    src, out = tmp_path / "grey.png", tmp_path / f"out{suffix}"
    Image.new("RGB", (16, 8), (64, 64, 64)).save(src)
    (tmp_path / "bw.hex").write_text("000000\nffffff\n")
    result = run(src, "--palette-in", tmp_path / "bw.hex", "--dither=ordered", "-o", out,
                 "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["dither"] == "ordered"
    white = np.asarray(Image.open(out).convert("L")) == 255
    assert np.array_equal(white, np.hstack([BAYER_8 < 16] * 2))


def test_dither_pattern_draws_a_flat_colour_with_its_two_nearest_pico8_entries(tmp_path):
    """(203, 91, 69) onto PICO-8's 16: ff004d, the lighter, in the 10 cells ranked 0..9
    (its share of the mix is 0.160), ab5236 in the others; ``--dither=ordered`` mixes 7."""
    src, out = tmp_path / "flat.png", tmp_path / "out.png"
    Image.new("RGB", (16, 8), (203, 91, 69)).save(src)
    (tmp_path / "pico8.hex").write_text(
        "000000\n1d2b53\n7e2553\n008751\nab5236\n5f574f\nc2c3c7\nfff1e8\nff004d\nffa300\n"
        "ffec27\n00e436\n29adff\n83769c\nff77a8\nffccaa\n")
    result = run(src, "--palette-in", tmp_path / "pico8.hex", "--dither=pattern", "-o", out,
                 "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["dither"] == "pattern"
    drawn = np.asarray(Image.open(out).convert("RGB"))
    expected = np.where((BAYER_8 < 10)[..., None], [255, 0, 77], [171, 82, 54])
    assert np.array_equal(drawn, np.hstack([expected, expected]))


def test_a_mistyped_dither_method_is_one_line_listing_the_choices(photo):
    result = run(photo, "--dither=sparkle")
    assert result.exit_code == 2
    assert one_error_line(result) == (
        "quantize: error: --dither='sparkle' is not valid; expected a strength from 0 to 1, "
        "'ordered' or 'pattern', e.g. --dither=0.5 or --dither=ordered")
    assert sorted(p.name for p in photo.parent.iterdir()) == ["photo.png"]


@pytest.mark.parametrize("level, meant", [("orderd", "ordered"), ("patern", "pattern"),
                                          ("Patten", "pattern")])
def test_a_dither_method_a_letter_off_is_pointed_to_the_word(photo, level, meant):
    result = run(photo, f"--dither={level}")
    assert (result.exit_code, one_error_line(result)) == (
        2, f"quantize: error: --dither={level!r} is not valid; did you mean --dither={meant}?")
    assert sorted(p.name for p in photo.parent.iterdir()) == ["photo.png"]


@pytest.mark.parametrize("command", ["reduce", "batch"])
@pytest.mark.parametrize("level", [" ordered", " Pattern "])
def test_dither_ordered_with_spaces_is_pointed_to_the_word(tmp_path, command, level):
    # " ordered" was told the choices, as for any word; it is the word with spaces. In
    # another case alone, "Ordered" is the word (test_cli.py: words in any case).
    Path(tmp_path / "in").mkdir()
    Image.new("RGB", (4, 4), "red").save(tmp_path / "in" / "a.png")
    args = ([str(tmp_path / "in" / "a.png"), "-o", str(tmp_path / "x.png")]
            if command == "reduce" else [str(tmp_path / "in"), "-o", str(tmp_path / "out")])
    result = runner.invoke(app, [command, *args, f"--dither={level}"])
    assert (result.exit_code, result.stderr) == (
        2, f"quantize: error: --dither={level!r} is not valid; did you mean "
           f"--dither={level.strip().lower()}?\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in"]


def test_the_help_shows_ordered_dithering():
    result = runner.invoke(app, ["reduce", "--help"], env={"COLUMNS": "200"})
    assert "--dither=ordered" in result.stdout
    assert "quantize reduce anim.gif -k 32 --dither=ordered" in result.stdout  # an example


def test_dither_ordered_beyond_256_colours_is_refused_as_typed(photo, tmp_path):
    result = run(photo, "-k", "300", "--dither=ordered", "-o", tmp_path / "x.tif")
    assert result.exit_code == 2
    assert one_error_line(result) == ("quantize: error: --dither=ordered supports at most "
                                      "256 colours, got -k/--colors=300")


def _shifted_gradient(path: Path) -> None:
    """A 5-frame 96x64 APNG: a gradient shifted 5 px a frame."""
    y, x = np.mgrid[0:64, 0:96]
    rgb = np.stack([x * 255 // 96, y * 255 // 64, (x + y) * 255 // 160], -1).astype(np.uint8)
    frames = [Image.fromarray(np.roll(rgb, 5 * i, axis=1)) for i in range(5)]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100, loop=0)


def test_optimize_never_makes_an_apng_larger(tmp_path, monkeypatch):
    # zlib level 9, which --optimize gave every APNG frame, made this one 2 bytes larger
    # than the default level 6 (8,437 bytes against 8,435): both are tried now, a frame at
    # a time, the smaller kept.
    _shifted_gradient(tmp_path / "anim.png")
    sizes = {}

    def reduced(name: str, *extra: str) -> None:
        result = runner.invoke(app, ["reduce", str(tmp_path / "anim.png"), "-k", "40",
                                     "--dither", "-o", str(tmp_path / name), "-q", *extra])
        assert result.exit_code == 0, result.output
        sizes[name] = (tmp_path / name).stat().st_size

    reduced("n.png")
    reduced("o.png", "--optimize")
    assert sizes["o.png"] <= sizes["n.png"]
    # every frame at level 9 alone is larger (8,470 bytes against 8,467): a file where
    # --optimize must keep level 6's data for some frame
    monkeypatch.setattr(sinks, "_PNG_COMPRESS_LEVEL", sinks._PNG_COMPRESS_LEVEL_OPTIMIZE)
    reduced("9.png")
    assert sizes["9.png"] > sizes["n.png"]


@pytest.mark.parametrize("dither", ["--dither", "--dither=ordered"])
def test_a_dithered_summary_gives_the_blurred_psnr_too(photo, tmp_path, dither):
    """Plain PSNR counts a dither pattern as noise, so a dithered output looked worse than
    an undithered one; its line and record give the PSNR after a blur of σ = 1 px too,
    that of quantize.metrics.psnr(..., blur=1), and an undithered one's are as they were."""
    from quantize.metrics import psnr

    out = tmp_path / "d.png"
    record = json.loads(run(photo, "-k", 4, dither, "-o", out, "--json").stdout)
    line = run(photo, "-k", 4, dither, "-o", out, "--force").stdout
    image, reduced = (np.asarray(Image.open(p).convert("RGB")) for p in (photo, out))
    assert record["blurred_psnr"] == pytest.approx(psnr(image, reduced, blur=1.0), abs=1e-4)
    assert list(record)[-1] == "blurred_psnr"  # added at the end: no field moved
    assert record["blurred_psnr"] > record["psnr"]
    assert (f"4 colours, PSNR {record['psnr']:.2f} dB ({record['blurred_psnr']:.2f} dB "
            f"blurred, σ 1 px), mean ΔE2000 ") in line
    plain = json.loads(run(photo, "-k", 4, "-o", out, "--json", "--force").stdout)
    assert "blurred_psnr" not in plain
    assert re.search(r": 4 colours, PSNR [\d.]+ dB, mean ΔE2000 [\d.]+, [\d.]+ s$",
                     run(photo, "-k", 4, "-o", out, "--force").stdout.strip())


# --------------------------------------------------------------------------
# --matte: translucent pixels blended onto the background the output is shown on
# --------------------------------------------------------------------------

#: A 2x2 RGBA image: half-transparent orange, fully transparent, opaque, a quarter blue.
_SOFT = np.array([[[200, 100, 0, 128], [9, 9, 9, 0]], [[1, 2, 3, 255], [0, 0, 255, 64]]],
                 np.uint8)


@pytest.mark.parametrize("ext", [".gif", ".png"])
@pytest.mark.parametrize("matte", ["white", "#ffffff", "rgb(255,255,255)"])
def test_matte_blends_translucent_pixels_onto_the_colour(tmp_path, ext, matte):
    """A GIF of soft-edged art lost its shadow: translucent pixels were made transparent or
    opaque. With --matte they are composited onto the background colour first (fully
    transparent ones stay so, opaque ones are unchanged), in a .png as in a .gif."""
    Image.fromarray(_SOFT, "RGBA").save(tmp_path / "soft.png")
    out = tmp_path / f"out{ext}"
    result = run(tmp_path / "soft.png", "-k", 3, "-o", out, "--matte", matte, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["matte"] == "#ffffff"
    with Image.open(out) as im:
        shown = np.asarray(im.convert("RGBA"))
    assert shown[0, 0].tolist() == [227, 177, 127, 255]  # 200·128/255 + 255·127/255, ...
    assert shown[0, 1, 3] == 0
    assert shown[1, 0].tolist() == [1, 2, 3, 255]
    assert shown[1, 1].tolist() == [191, 191, 255, 255]


def test_matte_blends_every_frame_of_an_animation(tmp_path):
    frames = [_SOFT, _SOFT[::-1].copy()]
    Image.fromarray(frames[0], "RGBA").save(tmp_path / "soft.png", save_all=True,
                                            append_images=[Image.fromarray(frames[1], "RGBA")],
                                            duration=100)
    out = tmp_path / "out.gif"
    result = run(tmp_path / "soft.png", "-k", 3, "-o", out, "--matte", "#336699")
    assert result.exit_code == 0, result.output
    assert unnoted(result.stderr) == ""  # no translucent pixel is left to lose
    with Image.open(out) as im:
        shown = [np.asarray(frame.convert("RGBA")) for frame in ImageSequence.Iterator(im)]
    on_blue = [round(200 * 128 / 255 + 0x33 * 127 / 255), round(100 * 128 / 255 + 0x66 * 127 / 255),
            round(0x99 * 127 / 255), 255]
    assert shown[0][0, 0].tolist() == on_blue and shown[1][1, 0].tolist() == on_blue


_NO_MATTE = ("quantize: warning: --matte: no effect: no image written had translucent pixels "
             "to blend onto it (opaque and fully transparent pixels are kept as they are)")


def test_a_matte_that_blends_no_pixel_is_said_once(tmp_path):
    """--matte on images without translucent pixels did nothing and said nothing: a still
    with only opaque and fully transparent pixels, an animation of such frames. One warning
    line for the call (not one per file), none when some image had a pixel to blend, and
    each record's matted says whether it had."""
    clear = _SOFT.copy()
    clear[..., 3] = np.where(clear[..., 3] == 0, 0, 255)
    Image.fromarray(clear, "RGBA").save(tmp_path / "clear.png")
    Image.fromarray(clear, "RGBA").save(tmp_path / "clip.png", save_all=True, duration=100,
                                        append_images=[Image.fromarray(clear[::-1].copy())])
    Image.fromarray(_SOFT, "RGBA").save(tmp_path / "soft.png")
    said = []
    for names in (["clear.png", "clip.png"], ["clear.png", "soft.png"]):
        result = run(*(tmp_path / name for name in names), "-k", 3, "--ext", ".m.gif",
                     "--matte", "white", "--json", "-j", 1, "--force")
        said.append((result.exit_code, unnoted(result.stderr).splitlines(),
                     [json.loads(line)["matted"] for line in result.stdout.splitlines()]))
    assert said == [(0, [_NO_MATTE], [False, False]), (0, [], [False, True])]


def test_a_gif_table_doubled_by_the_transparent_entry_is_a_note(tmp_path):
    """-k 4 with transparent pixels wrote 5 entries, a GIF colour table of 8 (gifsicle's
    --colors 4 counts the transparent entry within its 4) without a word. -k counts colours,
    so the file is as it was, and a note says that -k 3 keeps the table at 4; -q leaves it
    out, and a .png (no table padded to a power of two) has none, nor a table -k fills."""
    pixels = np.zeros((2, 6, 4), np.uint8)
    pixels[..., 3] = 255
    pixels[0, :4, :3] = [[200, 0, 0], [0, 200, 0], [0, 0, 200], [200, 200, 0]]
    pixels[1, :, 3] = 0
    Image.fromarray(pixels, "RGBA").save(tmp_path / "art.png")
    frames = [Image.fromarray(pixels, "RGBA"), Image.fromarray(pixels[::-1].copy(), "RGBA")]
    frames[0].save(tmp_path / "clip.png", save_all=True, append_images=frames[1:], duration=90)
    said = {}
    for name, args in (("art.gif", ["-k", 4]), ("q.gif", ["-k", 4, "-q"]),
                       ("out.png", ["-k", 4]), ("three.gif", ["-k", 3]),
                       ("clip.gif", ["-k", 4])):
        src = tmp_path / ("clip.png" if name == "clip.gif" else "art.png")
        result = run(src, *args, "-o", tmp_path / name)
        assert result.exit_code == 0, result.output
        said[name] = [line for line in result.stderr.splitlines() if "colour table" in line]
    with Image.open(tmp_path / "art.gif") as im:
        assert len(im.palette.palette) // 3 == 8
    note = ("its 4 colours and the entry of transparent pixels take a colour table of 8 "
            "entries, twice the 4 the colours alone take; -k/--colors=3 keeps it at 4")
    assert said == {"art.gif": [f"quantize: note: {tmp_path / 'art.png'}: art.gif: {note}"],
                    "q.gif": [], "out.png": [], "three.gif": [],
                    "clip.gif": [f"quantize: note: {tmp_path / 'clip.png'}: clip.gif: {note}"]}


def test_the_gif_alpha_warning_names_matte_as_the_fix(tmp_path):
    Image.fromarray(_SOFT, "RGBA").save(tmp_path / "soft.png")
    result = run(tmp_path / "soft.png", "-k", 3, "-o", tmp_path / "out.gif")
    assert result.exit_code == 0, result.output
    assert unnoted(result.stderr).endswith(
        "write .png to keep alpha, or give --matte=COLOR, the background the GIF is shown on, "
        "to blend them onto it\n")


@pytest.mark.parametrize("args, message", [
    (["--matte", "#zz"], "--matte='#zz' is not valid; expected a colour name (red, cyan, "
                         "yellow, ...), #rrggbb, #rgb, rrggbb, rgb(r,g,b), rgb(r g b) or "
                         "hsl(h,s%,l%)"),
    (["--matte", "#ffffff80"], "--matte='#ffffff80' has alpha, which the background an image "
                               "is shown on cannot have; expected a colour without it (red, "
                               "cyan, ...) or #rrggbb"),
    (["--background", "white"], "--background: no such option; did you mean --matte? (see "
                                "'quantize reduce --help')"),
])
def test_a_bad_matte_is_one_usage_error_line(tmp_path, args, message):
    Image.fromarray(_SOFT, "RGBA").save(tmp_path / "soft.png")
    result = run(tmp_path / "soft.png", "-o", tmp_path / "out.gif", *args)
    assert (result.exit_code, result.stderr) == (2, f"quantize: error: {message}\n")
    assert not (tmp_path / "out.gif").exists()


# --------------------------------------------------------------------------
# EXIF kept, --strip
# --------------------------------------------------------------------------


def _photo_with_exif(path: Path) -> Path:
    """A 3x2 JPEG stored on its side (Orientation 6), with an artist and a copyright."""
    exif = Image.Exif()
    exif[0x0112], exif[315], exif[33432] = 6, "A. Artist", "(c) 2024 Archive"
    Image.new("RGB", (3, 2), (200, 40, 40)).save(path, exif=exif.tobytes())
    return path


@pytest.mark.parametrize("ext", [".png", ".webp", ".jpg"])
def test_the_exif_is_kept_with_its_orientation_reset(tmp_path, ext):
    """An archivist's copyright and artist were dropped without a word; they are kept now
    where the format holds them, the Orientation 1 as the pixels are upright already."""
    src = _photo_with_exif(tmp_path / "photo.jpg")
    out = tmp_path / f"out{ext}"
    result = run(src, "-k", 2, "-o", out)
    assert (result.exit_code, unnoted(result.stderr)) == (0, "")
    with Image.open(out) as im:
        im.load()
        exif = im.getexif()
        assert im.size == (2, 3)  # turned upright
    assert (exif[33432], exif[315], exif[0x0112]) == ("(c) 2024 Archive", "A. Artist", 1)


def test_strip_writes_no_exif(tmp_path):
    src = _photo_with_exif(tmp_path / "photo.jpg")
    result = run(src, "-k", 2, "-o", tmp_path / "out.png", "--strip", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["strip"] is True
    with Image.open(tmp_path / "out.png") as im:
        im.load()
        assert dict(im.getexif()) == {} and "exif" not in im.info


def test_a_gif_of_an_input_with_exif_says_it_is_left_out_in_a_note(tmp_path):
    src = _photo_with_exif(tmp_path / "photo.jpg")
    result = run(src, "-k", 2, "-o", tmp_path / "out.gif")
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        f"quantize: note: {src}: out.gif: the input's EXIF (artist, copyright, "
        "description, camera, date) is left out, as a .gif holds none; .png, .webp, .jpg and "
        ".tif keep it\n")
    quiet = run(src, "-k", 2, "-o", tmp_path / "out.gif", "--force", "-q")
    assert (quiet.exit_code, quiet.stderr) == (0, "")
    stripped = run(src, "-k", 2, "-o", tmp_path / "out.gif", "--force", "--strip")
    assert (stripped.exit_code, stripped.stderr) == (0, "")


# --------------------------------------------------------------------------
# A PNG's text chunks kept, --strip
# --------------------------------------------------------------------------


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


#: The text chunks of an icon designer's PNG: a licence, an author, a compressed comment
#: and an XMP packet, each as stored ...
_ICON_TEXT = [(b"tEXt", b"Copyright\0CC BY 4.0 A. Designer"),
              (b"zTXt", b"Comment\0\0" + zlib.compress(b"drawn for the app bar " * 8)),
              (b"iTXt", b"XML:com.adobe.xmp\0\0\0\0\0<x:xmpmeta xmlns:x='adobe:ns:meta/'>"
                        b"<rdf:RDF/></x:xmpmeta>")]
#: ... and ImageMagick's copy of its EXIF, which the eXIf chunk keeps already
_RAW_EXIF = (b"tEXt", b"Raw profile type exif\0\nexif\n       8\n4d4d002a00000008\n")


def _icon_with_text(path: Path) -> Path:
    """A 4x3 PNG of four colours with an eXIf chunk (an artist), :data:`_ICON_TEXT` (the
    comment after the image data) and :data:`_RAW_EXIF`."""
    pixels = np.array([[[200, 40, 40], [40, 200, 40], [40, 40, 200], [250, 250, 250]]] * 3,
                      np.uint8)
    exif = Image.Exif()
    exif[315] = "A. Designer"
    data = io.BytesIO()
    Image.fromarray(pixels).save(data, format="PNG", exif=exif.tobytes())
    png = data.getvalue()
    at, end = png.index(b"IDAT") - 4, png.index(b"IEND") - 4
    before = _png_chunk(*_ICON_TEXT[0]) + _png_chunk(*_RAW_EXIF) + _png_chunk(*_ICON_TEXT[2])
    path.write_bytes(png[:at] + before + png[at:end] + _png_chunk(*_ICON_TEXT[1]) + png[end:])
    return path


def _chunk_list(path: Path) -> list[tuple[bytes, bytes]]:
    """The type and data of each chunk of the PNG ``path``, its CRC checked."""
    data, at, chunks = path.read_bytes(), 8, []
    while at < len(data):
        (length,) = struct.unpack(">I", data[at:at + 4])
        kind, body = data[at + 4:at + 8], data[at + 8:at + 8 + length]
        assert data[at + 8 + length:at + 12 + length] == struct.pack(
            ">I", zlib.crc32(kind + body))
        chunks.append((kind, body))
        at += 12 + length
    return chunks


def test_a_png_keeps_the_inputs_text_chunks_before_its_image_data(tmp_path):
    """An icon's licence, comment and XMP were dropped without a word while its EXIF was
    kept: a .png keeps them as stored (the comment after the image data moved before it),
    not ImageMagick's copy of the EXIF, written once as eXIf."""
    src = _icon_with_text(tmp_path / "icon.png")
    out = tmp_path / "out.png"
    result = run(src, "-k", 4, "-o", out)
    assert (result.exit_code, unnoted(result.stderr)) == (0, "")
    chunks = _chunk_list(out)
    kinds = [kind for kind, _ in chunks]
    text = [chunk for chunk in chunks if chunk[0] in (b"tEXt", b"zTXt", b"iTXt")]
    assert text == [_ICON_TEXT[0], _ICON_TEXT[2], _ICON_TEXT[1]]
    assert max(kinds.index(kind) for kind in (b"tEXt", b"zTXt", b"iTXt")) < kinds.index(b"IDAT")
    assert kinds.count(b"eXIf") == 1
    with Image.open(out) as im:
        im.load()
        assert im.getexif()[315] == "A. Designer"
        assert im.info["Copyright"] == "CC BY 4.0 A. Designer"
        assert im.info["XML:com.adobe.xmp"].startswith("<x:xmpmeta")


def test_strip_writes_no_text_chunks(tmp_path):
    """--strip drops the text and the EXIF, which a .png keeps without it; the pixels are
    the same."""
    src = _icon_with_text(tmp_path / "icon.png")
    metadata = {b"tEXt", b"zTXt", b"iTXt", b"eXIf"}
    kept = {}
    for name, strip in (("kept.png", []), ("stripped.png", ["--strip"])):
        result = run(src, "-k", 4, "-o", tmp_path / name, *strip)
        assert (result.exit_code, unnoted(result.stderr)) == (0, "")
        kept[name] = [chunk for chunk in _chunk_list(tmp_path / name) if chunk[0] in metadata]
    assert {kind for kind, _ in kept["kept.png"]} == metadata
    assert kept["stripped.png"] == []
    with Image.open(tmp_path / "kept.png") as a, Image.open(tmp_path / "stripped.png") as b:
        assert np.array_equal(np.asarray(a.convert("RGB")), np.asarray(b.convert("RGB")))


def test_a_gif_of_a_png_with_text_says_it_is_left_out_in_a_note(tmp_path):
    src = _icon_with_text(tmp_path / "icon.png")
    result = run(src, "-k", 4, "-o", tmp_path / "out.gif")
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[-1] == (
        f"quantize: note: {src}: out.gif: the input's PNG text (Copyright, "
        "XML:com.adobe.xmp, Comment) is left out: only a .png output keeps it")
    quiet = run(src, "-k", 4, "-o", tmp_path / "out.gif", "--force", "-q")
    assert (quiet.exit_code, quiet.stderr) == (0, "")
    stripped = run(src, "-k", 4, "-o", tmp_path / "out.gif", "--force", "--strip")
    assert (stripped.exit_code, stripped.stderr) == (0, "")


def test_an_apng_keeps_the_inputs_text_chunks_and_strip_drops_them(tmp_path):
    """An APNG's text is kept as a still PNG's is, before acTL and the image data."""
    frames = [Image.new("RGB", (4, 3), colour) for colour in ("red", "blue", "green")]
    data = io.BytesIO()
    frames[0].save(data, format="PNG", save_all=True, append_images=frames[1:], duration=100,
                   loop=0)
    png = data.getvalue()
    at = png.index(b"acTL") - 4
    src = tmp_path / "anim.png"
    src.write_bytes(png[:at] + _png_chunk(*_ICON_TEXT[0]) + _png_chunk(*_ICON_TEXT[2])
                    + png[at:])
    for name, strip in (("kept.png", []), ("stripped.png", ["--strip"])):
        result = run(src, "-k", 4, "-o", tmp_path / name, *strip)
        assert (result.exit_code, unnoted(result.stderr)) == (0, "")
    chunks = _chunk_list(tmp_path / "kept.png")
    kinds = [kind for kind, _ in chunks]
    assert [chunk for chunk in chunks if chunk[0] in (b"tEXt", b"iTXt")] == [_ICON_TEXT[0],
                                                                           _ICON_TEXT[2]]
    assert kinds.index(b"iTXt") < kinds.index(b"acTL") < kinds.index(b"IDAT")
    assert kinds.count(b"fcTL") == 3
    stripped = {kind for kind, _ in _chunk_list(tmp_path / "stripped.png")}
    assert stripped & {b"tEXt", b"iTXt"} == set()


def _tags(exif: Image.Exif) -> dict[str, Any]:
    """What an archivist reads of ``exif``: its picture's tags, its Exif and GPS directories'
    date and latitude, and whether its second directory (IFD1: a TIFF's next page) holds a
    camera's JPEG thumbnail (JPEGInterchangeFormat)."""
    return {"description": exif.get(270), "orientation": exif.get(0x0112),
            "artist": exif.get(315), "copyright": exif.get(33432), "date": exif.get(306),
            "taken": exif.get_ifd(0x8769).get(36867), "north": exif.get_ifd(0x8825).get(1),
            "thumbnail": 513 in exif.get_ifd(ExifTags.IFD.IFD1)}


#: The tags of every input below, the orientation as stored (6: on its side) ...
_SOURCE_TAGS = {"description": "Pier at dawn", "orientation": 6, "artist": "A. Artist",
                "copyright": "(c) 2024 Archive", "date": "2024:05:06 07:08:09",
                "taken": "2024:05:06 07:08:00", "north": "N", "thumbnail": False}
#: ... and as an output of its upright pixels keeps them: all but the GPS location, which
#: a phone's photo published as it was gave away ...
_KEPT_TAGS = {**_SOURCE_TAGS, "orientation": 1, "north": None}
#: ... and with --keep-gps, that too
_KEPT_WITH_GPS = {**_SOURCE_TAGS, "orientation": 1}
#: The options of the runs that keep the EXIF, each with the tags kept
_GPS_RUNS = pytest.mark.parametrize("gps, kept", [([], _KEPT_TAGS),
                                                  (["--keep-gps"], _KEPT_WITH_GPS)])


def _source_exif() -> bytes:
    """An EXIF block of :data:`_SOURCE_TAGS`."""
    exif = Image.Exif()
    exif[270], exif[0x0112], exif[315], exif[33432], exif[306] = (
        _SOURCE_TAGS[key] for key in ("description", "orientation", "artist", "copyright", "date"))
    exif.get_ifd(0x8769)[36867] = _SOURCE_TAGS["taken"]
    exif.get_ifd(0x8825)[1] = _SOURCE_TAGS["north"]
    return exif.tobytes()


def _with_thumbnail(exif: bytes) -> bytes:
    """``exif`` (``Exif\\0\\0`` and its TIFF data) with a second directory (IFD1) linked
    from its first, holding a JPEG thumbnail as a camera's does (JPEGInterchangeFormat and
    its length, tags 513 and 514), which Pillow writes no way of its own."""
    data = bytearray(exif[6:])
    order = "<" if data[:2] == b"II" else ">"
    (first,) = struct.unpack(order + "L", data[4:8])
    (n,) = struct.unpack(order + "H", data[first:first + 2])
    thumbnail = io.BytesIO()
    Image.new("RGB", (8, 6), "gray").save(thumbnail, format="JPEG")
    at = len(data) + len(data) % 2
    data += b"\0" * (at - len(data))
    data[first + 2 + 12 * n:first + 6 + 12 * n] = struct.pack(order + "L", at)
    data += struct.pack(order + "H", 2) + struct.pack(order + "HHLL", 513, 4, 1, at + 30) \
        + struct.pack(order + "HHLL", 514, 4, 1, len(thumbnail.getvalue())) + bytes(4)
    return exif[:6] + bytes(data) + thumbnail.getvalue()


def _read_tags(path: Path) -> tuple[dict[str, Any], tuple[int, int]]:
    with Image.open(path) as im:
        im.load()
        return _tags(im.getexif()), im.size


@_GPS_RUNS
@pytest.mark.parametrize("ext", [".png", ".webp", ".jpg", ".tif"])
def test_a_tiffs_tags_are_kept_as_a_jpegs_exif_is(tmp_path, ext, gps, kept):
    """A TIFF input's artist, copyright, description and dates (its tags, which Pillow reads
    as its EXIF) were dropped where a JPEG's were kept; they are kept now as a JPEG's, the
    orientation 1 as the pixels are upright, not the tags that lay out its pixels."""
    src = tmp_path / "scan.tif"
    Image.new("RGB", (3, 2), (200, 40, 40)).save(src, exif=_source_exif())
    out = tmp_path / f"out{ext}"
    result = run(src, "-k", 2, "-o", out, *gps)
    assert (result.exit_code, unnoted(result.stderr)) == (0, "")
    assert _read_tags(out) == (kept, (2, 3))
    with Image.open(out) as im:
        assert 0x0111 not in im.getexif() or ext == ".tif"  # StripOffsets: a TIFF's own
        assert ext != ".tif" or im.tag_v2[0x0103] == 8  # still deflated


@_GPS_RUNS
def test_a_jpegs_exif_is_kept_by_a_tif_output_without_its_thumbnail(tmp_path, gps, kept):
    """A .tif output was written without the input's EXIF (a note said so), and the EXIF
    kept elsewhere is written without a camera's thumbnail of the unreduced photo."""
    src = tmp_path / "photo.jpg"
    Image.new("RGB", (3, 2), (200, 40, 40)).save(src, exif=_with_thumbnail(_source_exif()))
    with Image.open(src) as im:
        assert _tags(im.getexif())["thumbnail"]
    result = run(src, "-k", 2, "-o", tmp_path / "out.tif", *gps)
    assert (result.exit_code, unnoted(result.stderr)) == (0, "")
    assert _read_tags(tmp_path / "out.tif") == (kept, (2, 3))


_EXIF_FRAMES = [np.full((2, 3, 3), colour, np.uint8) for colour in ((200, 40, 40), (40, 40, 200))]


@_GPS_RUNS
@pytest.mark.parametrize("src_ext", [".webp", ".png", ".tif"])
@pytest.mark.parametrize("ext", [".png", ".webp", ".tif"])
def test_an_animations_exif_is_kept_by_an_apng_a_webp_and_a_tiff(tmp_path, src_ext, ext, gps,
                                                                  kept):
    """An animated WebP's or APNG's EXIF (a multi-page TIFF's first page's tags) was
    dropped without a word; an APNG, a WebP and a TIFF's first page keep it now, as a
    still's output does, upright and without a thumbnail."""
    exif = _source_exif() if src_ext == ".tif" else _with_thumbnail(_source_exif())
    src = save_animation(tmp_path / f"clip{src_ext}", _EXIF_FRAMES, duration=100, loop=0,
                         exif=exif, **({"lossless": True} if src_ext == ".webp" else {}))
    out = tmp_path / f"out{ext}"
    result = run(src, "-k", 2, "-o", out, *gps)
    assert result.exit_code == 0, result.output
    assert "EXIF" not in result.stderr
    assert _read_tags(out) == (kept, (2, 3))
    with Image.open(out) as im:
        assert im.n_frames == 2


def test_an_animations_exif_left_out_of_a_gif_is_said_and_strip_drops_it(tmp_path):
    src = save_animation(tmp_path / "clip.webp", _EXIF_FRAMES, duration=100, loop=0,
                         lossless=True, exif=_source_exif())
    result = run(src, "-k", 2, "-o", tmp_path / "out.gif")
    assert result.exit_code == 0, result.output
    assert unnoted(result.stderr) == ""
    assert (f"quantize: note: {src}: out.gif: the input's EXIF (artist, copyright, description, "
            "camera, date) is left out, as a .gif holds none; .png, .webp and .tif keep it\n"
            ) in result.stderr
    stripped = run(src, "-k", 2, "-o", tmp_path / "out.png", "--strip", "--json")
    assert stripped.exit_code == 0, stripped.output
    assert json.loads(stripped.stdout)["strip"] is True
    with Image.open(tmp_path / "out.png") as im:
        assert dict(im.getexif()) == {} and "exif" not in im.info and im.n_frames == 2
    gif = run(src, "-k", 2, "-o", tmp_path / "out.gif", "--force", "--strip")
    assert (gif.exit_code, "EXIF" in gif.stderr) == (0, False)


@pytest.fixture
def inks(tmp_path):
    """A GIMP palette of three named inks, one of which (blue) the stripes below never
    take."""
    path = tmp_path / "inks.gpl"
    path.write_text("GIMP Palette\nName: My inks\nColumns: 3\n# spot inks\n"
                    "255 255 255\tPaper white\n200 30 40\tWarm Red\n10 70 160\tReflex Blue\n")
    return path


@pytest.fixture
def stripes(tmp_path):
    """4 x 4: three rows of white, one of red."""
    image = np.full((4, 4, 3), 250, np.uint8)
    image[3] = (190, 40, 40)
    path = tmp_path / "stripes.png"
    Image.fromarray(image).save(path)
    return path


def test_palette_out_keeps_the_names_of_the_palette_in_file(tmp_path, inks, stripes):
    """--palette-in inks.gpl --palette-out out.gpl named the file after the image and each
    entry by its hex alone: 'Name: stripes', '200  30  40	#c81e28 25.00%'; the .json file
    and --json gave no names either."""
    result = run(stripes, "--palette-in", inks, "-o", tmp_path / "o.png",
                 "--palette-out", tmp_path / "out.gpl", "--json")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out.gpl").read_text() == (  # the Columns: of inks.gpl kept too
        "GIMP Palette\nName: My inks\nColumns: 3\n#\n"
        "255 255 255\tPaper white #ffffff 75.00%\n"
        "200  30  40\tWarm Red #c81e28 25.00%\n"
        " 10  70 160\tReflex Blue #0a46a0 0.00%\n")
    assert [(e["name"], e["share"]) for e in json.loads(result.stdout)["palette"]] == [
        ("Paper white", 0.75), ("Warm Red", 0.25), ("Reflex Blue", 0.0)]
    again = run(stripes, "--palette-in", tmp_path / "out.gpl", "-o", tmp_path / "o.png",
                "--palette-out", tmp_path / "out.json", "--force", "-q")
    assert again.exit_code == 0, again.output
    doc = json.loads((tmp_path / "out.json").read_text())
    assert doc["name"] == "My inks"
    assert [entry["name"] for entry in doc["colors"]] == ["Paper white", "Warm Red",
                                                          "Reflex Blue"]


def test_the_summary_says_the_entries_of_a_given_palette_and_those_used(tmp_path, inks,
                                                                        stripes):
    """'3 colours' where the output uses 2: one entry of the palette no pixel takes."""
    lines = run(stripes, "--palette-in", inks, "-o", tmp_path / "o.png")
    assert lines.exit_code == 0, lines.output
    assert f"-> {tmp_path / 'o.png'}: 3 entries, 2 used, PSNR" in lines.stdout
    as_json = run(stripes, "--palette-in", inks, "-o", tmp_path / "o.png", "--force", "--json")
    record = json.loads(as_json.stdout)
    assert (record["k"], record["colours_used"]) == (3, 2)
    assert list(record)[2:4] == ["k", "colours_used"]


def test_a_jpeg_output_is_noted_to_add_colours_of_its_own(tmp_path, stripes):
    """'-k 6 -o art6.jpg' said '6 colours' of a file holding 8,305: JPEG's compression adds
    colours, which the command did not say."""
    out = tmp_path / "o.jpg"
    result = run(stripes, "-k", 2, "-o", out)
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[0] == (
        f"quantize: note: {stripes}: o.jpg: a JPEG's compression adds colours of its own: the "
        "file holds more than the 2 colours (and an error the metrics leave out); write .png, "
        ".gif, .bmp or .webp to keep just them")
    assert result.stderr.count("JPEG") == 1  # the other note: larger than its input
    quiet = run(stripes, "-k", 2, "-o", out, "--force", "-q")
    assert quiet.exit_code == 0 and quiet.stderr == ""
    png = run(stripes, "-k", 2, "-o", tmp_path / "o.png")
    assert png.exit_code == 0 and "JPEG" not in png.stderr


def test_no_jpeg_note_of_a_result_not_written(tmp_path):
    """'reduce a.jpg -o b.jpg --copy-if-larger', its result larger, wrote the input's bytes
    and noted that the JPEG written 'holds more than the 2 colours': no JPEG of 2 colours
    was written."""
    pixels = np.zeros((64, 64, 3), np.uint8)
    pixels[:, 32:] = [200, 10, 10]
    src = tmp_path / "flat.jpg"
    Image.fromarray(pixels).save(src, quality=10)
    out = tmp_path / "b.jpg"
    copied = run(src, "-k", 2, "-o", out, "--copy-if-larger")
    assert (copied.exit_code, copied.stderr) == (0, "")
    assert out.read_bytes() == src.read_bytes()
    skipped = run(src, "-k", 2, "-o", tmp_path / "c.jpg", "--skip-if-larger")
    assert skipped.exit_code == 98 and "colours of its own" not in skipped.stderr
    written = run(src, "-k", 2, "-o", tmp_path / "d.jpg")
    assert written.exit_code == 0 and "colours of its own" in written.stderr


# --------------------------------------------------------------------------
# --copy-if-larger
# --------------------------------------------------------------------------


def _noise_png(path: Path, seed: int = 0) -> Path:
    """16x16 distinct colours: its palette image (PLTE of 256 entries) is larger."""
    pixels = np.random.default_rng(seed).integers(0, 256, (16, 16, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(path)
    return path


def test_copy_if_larger_writes_the_inputs_bytes_as_batch_does(tmp_path):
    """reduce a.png -o dist/a.png --copy-if-larger was 'no such option; did you mean
    --skip-if-larger?': a web build of one file needs the input kept where the result is
    larger, as batch --copy-if-larger keeps it, exit 0."""
    src = _noise_png(tmp_path / "a.png")
    (tmp_path / "dist").mkdir()
    out = tmp_path / "dist" / "a.png"
    result = run(src, "-o", out, "-k", 256, "--copy-if-larger")
    assert (result.exit_code, result.stderr) == (0, "")
    assert out.read_bytes() == src.read_bytes()
    size = f"{src.stat().st_size:,}"
    assert result.stdout.startswith(f"{src} -> {out}: result (")
    assert result.stdout.endswith(f"is larger than the input ({size} bytes); the input's own "
                                  "bytes written instead\n")
    record = json.loads(run(src, "-o", out, "-k", 256, "--copy-if-larger", "--force",
                            "--json").stdout)
    assert (record["bytes_out"], record["psnr"], record["delta_e"]) == (
        src.stat().st_size, None, 0.0)
    assert record["input_copied"].endswith("the input's own bytes written instead")
    smaller = run(src, "-o", tmp_path / "dist" / "k4.png", "-k", 4, "--copy-if-larger")
    assert smaller.exit_code == 0 and "4 colours" in smaller.stdout


def test_copy_if_larger_of_many_files_and_another_format(tmp_path):
    """Each of several inputs named by --ext is copied where its result is larger; a result
    larger in another format than its input's is kept from being written, exit 98, as
    batch keeps it."""
    a, b = _noise_png(tmp_path / "a.png"), _noise_png(tmp_path / "b.png", 1)
    many = run(a, b, "--ext", ".min.png", "-k", 256, "--copy-if-larger", "-j", 2)
    assert many.exit_code == 0, many.output
    assert [(tmp_path / f"{n}.min.png").read_bytes() for n in "ab"] == [a.read_bytes(),
                                                                       b.read_bytes()]
    other = run(a, "-o", tmp_path / "a.gif", "-k", 256, "--copy-if-larger")
    assert other.exit_code == 98 and not (tmp_path / "a.gif").exists()
    assert other.stderr.endswith("; nothing written; not copied, as '.gif' is not the input's "
                                 "format '.png'\n")


def test_copy_if_larger_says_the_palette_file_and_masks_it_did_not_write(tmp_path):
    """With the input's bytes written instead, the --palette-out file and the masks, which
    would be the result's, were left unwritten without a word."""
    src = _noise_png(tmp_path / "a.png")
    (tmp_path / "dist").mkdir()
    result = run(src, "-o", tmp_path / "dist" / "a.png", "-k", 256, "--copy-if-larger",
                 "--palette-out", tmp_path / "a.gpl", "--masks", tmp_path / "inks")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout.endswith("the input's own bytes written instead, and no palette file "
                                  "nor masks, which would be the result's\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png", "dist"]


def test_copy_if_larger_needs_an_output_not_named_by_default(tmp_path):
    src = _noise_png(tmp_path / "a.png")
    result = run(src, "-k", 256, "--copy-if-larger")
    assert (result.exit_code, result.stderr) == (2, (
        "quantize: error: --copy-if-larger writes the input's own bytes as an output named "
        "by -o or --ext, or to stdout (-o -), not under the default name, which says the "
        "colours; name the output with -o (e.g. -o dist/a.png), --ext or -o -\n"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png"]


@pytest.mark.parametrize("piped", [True, False], ids=["stdin", "named"])
def test_copy_if_larger_to_stdout_writes_the_inputs_bytes_there(tmp_path, piped):
    """'reduce - --copy-if-larger < small.png > o.png' was refused (exit 2, advising
    '-o dist/-'), though stdin's bytes are held: a pipeline had no way to keep the input
    where the result is larger. They go to stdout, exit 0, the line on stderr; a palette
    file, the result's, is not written."""
    src = _noise_png(tmp_path / "a.png")
    args = ["-k", 256, "--copy-if-larger", "--palette-out", tmp_path / "a.gpl"]
    result = (runner.invoke(app, ["reduce", "-", *map(str, args)], input=src.read_bytes())
              if piped else run(src, "-o", "-", *args))
    assert result.exit_code == 0, result.stderr
    assert result.stdout_bytes == src.read_bytes()
    size = f"{src.stat().st_size:,}"
    assert re.fullmatch(
        rf"{'-' if piped else src} -> -: result \([\d,]+ bytes\) is larger than the input "
        rf"\({size} bytes\); the input's own bytes written instead, and no palette file, "
        r"which would be the result's\n", result.stderr)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png"]
    smaller = runner.invoke(app, ["reduce", "-", "-k", "4", "--copy-if-larger"],
                            input=src.read_bytes())
    assert smaller.exit_code == 0 and smaller.stderr.startswith("- -> -: 4 colours, ")
    with Image.open(io.BytesIO(smaller.stdout_bytes)) as im:
        assert (im.format, len(im.getcolors())) == ("PNG", 4)


def test_copy_if_larger_from_stdin_keeps_its_format_as_a_named_file_does(tmp_path):
    """Stdin has no name: its format is told by its first bytes. A JPEG whose result would
    go to stdout as a PNG is kept from being written (exit 98), as a.jpg -o a.png is;
    with --format jpg it is copied. Into a file named by -o, stdin was never copied: its
    format was said to be its copy's empty extension."""
    jpeg = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (16, 16, 3), dtype=np.uint8)
                    ).save(jpeg, format="JPEG", quality=10)
    args = ["reduce", "-", "-k", "256", "--copy-if-larger"]
    png = runner.invoke(app, args, input=jpeg.getvalue())
    assert (png.exit_code, png.stdout_bytes) == (98, b"")
    assert png.stderr.endswith("; nothing written; not copied, as '.png' is not the input's "
                               "format JPEG\n")
    kept = runner.invoke(app, [*args, "--format", "jpg"], input=jpeg.getvalue())
    assert (kept.exit_code, kept.stdout_bytes) == (0, jpeg.getvalue())
    src = _noise_png(tmp_path / "a.png")
    named = runner.invoke(app, [*args, "-o", str(tmp_path / "b.png")], input=src.read_bytes())
    assert (named.exit_code, named.stderr) == (0, "")
    assert (tmp_path / "b.png").read_bytes() == src.read_bytes()


@pytest.mark.parametrize("name, args, output", [
    ("btn_bg.9.png", ["-k", "4"], "btn_bg.k4.9.png"),
    ("btn_bg.9.png", ["--quality", "1"], "btn_bg.k1.9.png"),
    ("btn_bg.9.png", ["--ext", ".small.png"], "btn_bg.small.9.png"),
    ("btn_bg.9.png", ["--ext", ".9.png"], "btn_bg.9.png"),
    ("btn_bg.9.png", ["--ext", ".gif"], "btn_bg.9.gif"),
    ("BTN.9.PNG", ["-k", "4"], "BTN.k4.9.png"),
    ("photo.9.jpg", ["-k", "4"], "photo.9.k4.png"),
])
def test_a_nine_patch_keeps_its_9_png_at_the_end_of_a_png_outputs_name(tmp_path, monkeypatch,
                                                                       name, args, output):
    """Android takes a 9-patch only by a name ending in .9.png: 'reduce btn_bg.9.png'
    wrote btn_bg.9.k16.png, and --ext .small.png btn_bg.9.small.png. A GIF is no 9-patch
    and keeps the .9 in its stem; .9.png given as the --ext is not doubled."""
    monkeypatch.chdir(tmp_path)
    Image.new("RGBA", (6, 6), (200, 30, 30, 255)).save(name, format="PNG")
    result = run(name, *args, "--force")
    if output == name:  # --ext .9.png names the input itself
        assert result.exit_code == 2
        assert f"its output would be '{output}', the input itself" in one_error_line(result)
        return
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([name, output])


def test_nine_patch_outputs_are_checked_as_other_default_outputs(tmp_path, monkeypatch):
    """A default output name of a 9-patch (a.k16.9.png) that is a link to its input is
    refused before any work, and two 9-patches whose outputs are one file where names
    ignore case are refused, as for any other input."""
    monkeypatch.chdir(tmp_path)
    for name in ("a.9.png", "B.9.png", "b.9.PNG"):
        Image.new("RGBA", (6, 6), (200, 30, 30, 255)).save(name, format="PNG")
    os.symlink("a.9.png", "a.k16.9.png")
    result = run("a.9.png", "--force")
    assert result.exit_code == 2
    assert one_error_line(result) == (
        "quantize: error: a.9.png: its output would be 'a.k16.9.png', a link to the input, "
        "which is never overwritten (not even with --force); name another file with -o")
    result = run("B.9.png", "b.9.PNG")
    assert result.exit_code == 2
    assert one_error_line(result) == (
        "quantize: error: b.9.PNG: would be written to the same output file as B.9.png: "
        "'B.k16.9.png' and 'b.k16.9.png', one file where names ignore case (macOS, Windows); "
        "rename one, or reduce each with its own -o")


def _link_loop(folder: Path) -> None:
    """``loop1`` -> ``loop2`` -> ``loop1`` in ``folder``."""
    (folder / "loop1").symlink_to("loop2")
    (folder / "loop2").symlink_to("loop1")


@pytest.mark.parametrize("inputs", [["loop1", "café é.jpg"], ["café é.jpg", "loop1"]])
def test_an_input_in_a_link_loop_beside_another_fails_alone(tmp_path, monkeypatch, inputs):
    """With a second input, the checks of the default outputs resolved the loop's link and
    ended in RuntimeError('Symlink loop from ...'), a traceback: the loop is named as for
    one input, and the other input is still reduced (exit 1, that of the failed file)."""
    monkeypatch.chdir(tmp_path)
    _link_loop(tmp_path)
    Image.new("RGB", (4, 4), "red").save("café é.jpg")
    result = run("-k", 2, *inputs)
    assert result.exit_code == 1, result.output
    assert unnoted(result.stderr) == ("quantize: error: loop1: is a link to 'loop2', which "
                                      "leads into a link loop, never to a file\n")
    assert Path("café é.k2.png").is_file()


@pytest.mark.parametrize("flag, name", [("-o", "x.png"), ("--palette-out", "p.css")])
def test_an_output_folder_in_a_link_loop_is_a_usage_error(tmp_path, monkeypatch, flag, name):
    """'-o loop1/x.png' (and --palette-out) ended in RuntimeError('Symlink loop from ...'):
    refused as a folder that does not exist is, exit 2, naming the loop."""
    monkeypatch.chdir(tmp_path)
    _link_loop(tmp_path)
    Image.new("RGB", (4, 4), "red").save("café é.jpg")
    result = run("café é.jpg", "-k", 2, flag, f"loop1/{name}")
    assert result.exit_code == 2, result.output
    assert one_error_line(result) == (
        f"quantize: error: {flag}{'/--output' if flag == '-o' else ''}='loop1/{name}': "
        "folder 'loop1' is a link to 'loop2', which leads into a link loop, never to a folder")
    assert sorted(os.listdir()) == ["café é.jpg", "loop1", "loop2"]


@pytest.mark.parametrize("given, on_disk, hint", [
    ("café é.jpg\r", "café é.jpg", r" (a Windows line end \r at its end?)"),
    ("caf\u00e9.jpg", "cafe\u0301.jpg", " (a file by the same name in another Unicode form "
                                         r"exists: 'cafe\u0301.jpg')"),
    ("cafe\u0301.jpg", "caf\u00e9.jpg", " (a file by the same name in another Unicode form "
                                         r"exists: 'caf\u00e9.jpg')"),
])
def test_a_missing_input_says_the_name_it_may_have_been_meant_for(tmp_path, monkeypatch,
                                                                  given, on_disk, hint):
    """'café é.jpg\\r: no such file', a name read from a list with Windows line ends, and
    an NFC name beside the file in NFD, which look the same, said no more."""
    monkeypatch.chdir(tmp_path)
    Image.new("RGB", (4, 4), "red").save(on_disk, format="JPEG")
    result = run(given, "-k", 2)
    assert result.exit_code == 1
    shown = given.replace("\r", "\\r")
    assert one_error_line(result) == f"quantize: error: {shown}: no such file{hint}"


def test_names_that_differ_to_the_eye_are_written_readable(tmp_path, monkeypatch):
    """'reduce Ä.png -o Ä.PNG' wrote '\\u00c4.PNG' and '\\u00c4.png', names plainly told
    apart by their case: code points are for names that look identical (two Unicode
    forms), readable names otherwise."""
    monkeypatch.chdir(tmp_path)
    Image.new("RGB", (4, 4), "red").save("Ä.png")
    result = run("Ä.png", "-o", "Ä.PNG", "-k", 2)
    assert result.exit_code == 2
    assert one_error_line(result) == (
        "quantize: error: Ä.png: its output would be 'Ä.PNG', the input 'Ä.png' where names "
        "ignore case or Unicode form (macOS, Windows), which is never overwritten (not even "
        "with --force); name another file with -o")


def test_format_beside_an_output_without_an_extension_says_it_has_none(tmp_path,
                                                                       monkeypatch):
    """'-o outnoext --format png' said --format contradicts the extension of 'outnoext',
    which has none."""
    monkeypatch.chdir(tmp_path)
    Image.new("RGB", (4, 4), "red").save("noext", format="PNG")
    result = run("noext", "-k", 2, "-o", "outnoext", "--format", "png")
    assert result.exit_code == 2
    assert one_error_line(result) == (
        "quantize: error: -o/--output='outnoext' has no extension (a file's extension picks "
        "its format; --format picks that of an image written to stdout, -o -); name the file "
        "with one: -o outnoext.png")
    assert sorted(os.listdir()) == ["noext"]
def _noise_jpeg_cut_in_its_scan(path: Path) -> None:
    """A 64x64 JPEG of seeded noise cut inside its scan, its end marker (EOI) put back."""
    whole = io.BytesIO()
    Image.fromarray(np.random.default_rng(3).integers(0, 256, (64, 64, 3), np.uint8)).save(
        whole, "JPEG")
    path.write_bytes(whole.getvalue()[: len(whole.getvalue()) // 2] + b"\xff\xd9")


def test_a_jpeg_cut_in_its_scan_before_its_end_marker_is_refused_and_nothing_written(tmp_path):
    """Its rows after the cut came out grey, and the picture was reduced, exit 0."""
    src = tmp_path / "cut.jpg"
    _noise_jpeg_cut_in_its_scan(src)
    result = run(src, "-k", 4, "-o", tmp_path / "out.png")
    assert result.exit_code == 1
    assert one_error_line(result) == (
        f"quantize: error: {src}: cannot decode image (image file is truncated: its image "
        "data ends before its last rows, which come out grey, and its end marker follows the "
        "cut)")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cut.jpg"]


@pytest.mark.parametrize("animated", [False, True])
def test_a_png_without_its_iend_chunk_is_reduced_with_a_warning(tmp_path, animated):
    """pngquant exits 25 and ImageMagick 1 on such a file; quantize said nothing."""
    frames = [Image.fromarray(np.full((8, 8, 3), level, np.uint8)) for level in (40, 200)]
    whole = io.BytesIO()
    frames[0].save(whole, "PNG", save_all=animated, append_images=frames[1:], duration=100)
    src = tmp_path / "cut.png"
    src.write_bytes(whole.getvalue()[:-12])
    result = run(src, "-k", 4, "-o", tmp_path / "out.png", "-q")
    assert result.exit_code == 0, result.output
    read = "every frame holds every row" if animated else "the image read holds every row"
    assert result.stderr == (f"quantize: warning: {src}: damaged PNG: it ends without its IEND "
                             f"chunk (the file may have been cut short); {read} and is read\n")
    assert (tmp_path / "out.png").is_file()


def test_the_quality_help_says_q_2_may_band_an_icons_soft_shadow(tmp_path):
    # QA: --quality 2 banded the soft shadows of 87 of the benchmark's 200 icons (below 33 dB
    # on white) where --quality 0.5 --quality-limit 3 did not; the help did not say so
    from tests.segment_support import load_benchmark

    helped = " ".join(run("--help").stdout.split())
    assert ("On icons with soft shadows Q = 2 may band the shadows, where --quality 0.5 "
            "--quality-limit 3 does not (25 and 0 of 200 test icons below 33 dB on white).") \
        in helped
    icon = load_benchmark("_images").rgba_icons(16)["i009_24"]  # one of the 25, 24 px
    Image.fromarray(icon).save(tmp_path / "icon.png")
    on_white = {}
    for name, quality in (("q2", ["--quality", 2]),
                          ("q05", ["--quality", 0.5, "--quality-limit", 3])):
        result = run(tmp_path / "icon.png", *quality, "-o", tmp_path / f"{name}.png", "--json")
        assert result.exit_code == 0, result.output
        record = json.loads(result.stdout)
        on_white[name] = (record["k"], round(record["psnr_on_white"], 1))
    assert on_white == {"q2": (31, 32.5), "q05": (122, 45.2)}


def _chart(tmp_path: Path) -> Path:
    """A chart in miniature: a white ground, black text and a blue line."""
    image = np.full((20, 30, 3), 255, np.uint8)
    image[2:4, 2:12] = 0
    image[10:12] = (31, 119, 180)
    path = tmp_path / "chart.png"
    Image.fromarray(image).save(path)
    return path


def test_a_palette_far_from_the_image_is_said_in_one_line(tmp_path):
    # The series colours alone as the palette drew the white ground in one of them, with
    # no word: the mean CIEDE2000 is now said, and --fixed-color pointed to.
    src = _chart(tmp_path)
    (tmp_path / "series.hex").write_text("#1f77b4\n#ff7f0e\n#2ca02c\n")
    result = run(src, "--palette-in", tmp_path / "series.hex", "-o", tmp_path / "o.png", "-q")
    assert result.exit_code == 0, result.output
    assert unnoted(result.stderr) == (
        f"quantize: warning: {src}: --palette-in='{tmp_path / 'series.hex'}' is far from the "
        "image's colours: mean CIEDE2000 39.7 (over 20); to keep some colours exactly and "
        "fit the others, give those as --fixed-color=COLOUR instead\n")
    (tmp_path / "near.hex").write_text("#ffffff\n#000000\n#1f77b4\n#ff7f0e\n")
    near = run(src, "--palette-in", tmp_path / "near.hex", "-o", tmp_path / "n.png", "-q")
    assert near.exit_code == 0 and unnoted(near.stderr) == ""


def test_fixed_colours_that_fill_k_are_said(tmp_path):
    src = _chart(tmp_path)
    result = run(src, "-k", 2, "--fixed-color", "#1f77b4", "--fixed-color", "#ff7f0e",
                 "-o", tmp_path / "o.png", "-q")
    assert result.exit_code == 0, result.output
    assert unnoted(result.stderr) == (
        f"quantize: warning: {src}: --fixed-color=#1f77b4,#ff7f0e holds 2 colours and "
        "-k/--colors=2 leaves none to fit: every pixel takes a fixed colour; give "
        "-k/--colors=3 or more to fit the image's other colours\n")
    more = run(src, "-k", 3, "--fixed-color", "#1f77b4", "--fixed-color", "#ff7f0e",
               "-o", tmp_path / "m.png", "-q")
    assert more.exit_code == 0 and unnoted(more.stderr) == ""


@pytest.mark.parametrize("given", [["#1f77b4,#ff7f0e"], ["#1f77b4, #ff7f0e"], ["series.hex"],
                                   ["series.gpl"]])
def test_fixed_colours_as_a_list_or_a_palette_file(tmp_path, monkeypatch, given):
    monkeypatch.chdir(tmp_path)
    src = _chart(tmp_path)
    Path("series.hex").write_text("#1f77b4\n#ff7f0e\n")
    Path("series.gpl").write_text("GIMP Palette\nName: series\n#\n 31 119 180\tblue\n"
                                  "255 127  14\torange\n")
    flags = [arg for value in given for arg in ("--fixed-color", value)]
    result = run(src, "-k", 4, *flags, "-o", "o.png", "--palette-out", "o.hex", "-q")
    assert result.exit_code == 0, result.output
    assert Path("o.hex").read_text().split()[:2] == ["1f77b4", "ff7f0e"]
    with Image.open("o.png") as out:
        assert out.getpalette()[:6] == [31, 119, 180, 255, 127, 14]


@pytest.mark.parametrize(("value", "code", "message"), [
    ("red,,blue", 2, "quantize: error: --fixed-color='red,,blue' has an empty item; expected "
     "colours separated by commas ('#1f77b4,#ff7f0e'), or a palette file\n"),
    ("nope.hex", 1, "quantize: error: nope.hex: no such palette file\n"),
    ("red,red", 2, "quantize: error: --fixed-color='red' repeats #ff0000, given before it; "
     "expected each colour once\n"),
])
def test_fixed_colour_lists_and_files_refused(tmp_path, monkeypatch, value, code, message):
    monkeypatch.chdir(tmp_path)
    result = run(_chart(tmp_path), "--fixed-color", value, "-o", "o.png")
    assert (result.exit_code, result.stderr) == (code, message)
    assert not Path("o.png").exists()
