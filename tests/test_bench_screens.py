"""benchmarks/bench_screens.py: the pages it shoots, its arguments and its summary lines."""

from __future__ import annotations

import re
import shutil

import numpy as np
import pytest
from PIL import Image

from .segment_support import load_benchmark

PHOTOS = ["file:///photos/a.jpg", "file:///photos/b.jpg", "file:///photos/c.jpg"]


@pytest.fixture(scope="module")
def bench():
    return load_benchmark("bench_screens")


def test_the_same_seed_and_photos_give_the_same_pages(bench):
    first, again = bench.make_pages(0, PHOTOS), bench.make_pages(0, PHOTOS)
    assert first == again
    assert [page.name for page in first[:3]] == ["00-product-grid-white", "01-blog-fafafa",
                                                 "02-shop-f3f4f6"]
    assert [page.html for page in bench.make_pages(1, PHOTOS)] != [p.html for p in first]


def test_a_page_does_not_depend_on_how_many_are_taken(bench):
    assert bench.make_pages(0, PHOTOS, 4) == bench.make_pages(0, PHOTOS)[:4]


def test_pages_cover_every_layout_and_theme_at_sizes_in_range(bench):
    pages = bench.make_pages(0, PHOTOS)
    assert len(pages) == 20
    assert {p.name.split("-", 1)[1] for p in pages} == {
        f"{layout}-{theme}" for layout, theme in bench.PAGES}
    assert {layout for layout, _ in bench.PAGES[:10]} == set(bench.LAYOUTS)
    assert {theme for _, theme in bench.PAGES} == set(bench.THEMES)
    for page in pages:
        assert 1000 <= page.size[0] <= 1400 and 700 <= page.size[1] <= 900
        assert set(re.findall(r"src='([^']*)'", page.html)) <= set(PHOTOS)
    photo_pages = [p for p in pages if "src='file:///photos/" in p.html]
    assert len(photo_pages) == 14  # all but the forms, tables and code listings


def test_without_the_photo_folder_five_bundled_photos_are_written(bench, tmp_path):
    files = bench.photo_files(tmp_path / "missing", tmp_path)
    assert [f.name for f in files] == [f"{n}.png" for n in bench.BUNDLED_PHOTOS]
    with Image.open(files[1]) as im:
        assert (im.mode, im.size) == ("RGB", (600, 400))  # coffee


def test_the_photo_folder_gives_its_jpeg_and_png_files_in_order(bench, tmp_path):
    for name in ("b.JPG", "a.png", "notes.txt"):
        (tmp_path / name).write_bytes(b"")
    assert [f.name for f in bench.photo_files(tmp_path, tmp_path / "work")] == ["a.png",
                                                                                "b.JPG"]


@pytest.mark.parametrize(("args", "message"), [
    (["--limit", "0"], "argument --limit: '0': expected an integer >= 1"),
    (["--repeats", "x"], "argument --repeats: 'x': expected an integer >= 1"),
    (["--worst", "-1"], "argument --worst: '-1': expected an integer >= 0"),
    (["--ks", "16", "257"], "argument --ks: '257': expected an integer from 2 to 256"),
    (["--ks", "1"], "argument --ks: '1': expected an integer from 2 to 256"),
])
def test_bad_values_are_usage_errors_naming_the_argument(bench, capsys, args, message):
    with pytest.raises(SystemExit) as stop:
        bench.main(args)
    assert stop.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1].endswith(f"error: {message}")


def test_a_keep_path_that_is_a_file_is_a_usage_error(bench, capsys, tmp_path):
    (tmp_path / "f").write_bytes(b"")
    with pytest.raises(SystemExit) as stop:
        bench.main(["--keep", str(tmp_path / "f")])
    assert stop.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1].endswith(
        f"error: --keep {tmp_path / 'f'}: expected a folder, found a file")


def test_without_chromium_it_says_so_in_one_line_and_exits_2(bench, capsys, monkeypatch,
                                                              tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(SystemExit) as stop:
        bench.main(["--limit", "1"])
    assert stop.value.code == 2
    assert capsys.readouterr().err == (
        "bench_screens.py needs Chromium to take its screenshots: install it (apt-get install "
        "chromium) or put chromium or chromium-browser on the PATH\n")


def _pair(bench, name, psnr, bpsnr, size, seconds):
    """A pair whose differences (ours - pngquant's) and ratios are the given ones."""
    return (name, bench.Result(seconds, size, 30.0 + psnr, 30.0 + bpsnr),
            bench.Result(1.0, 1000, 30.0, 30.0))


def test_a_comparison_line_counts_screenshots_behind_and_larger(bench):
    pairs = [_pair(bench, "a", -0.5, 0.25, 1100, 2.0), _pair(bench, "b", 0.25, -1.0, 900, 1.0),
             _pair(bench, "c", 1.0, 0.5, 1000, 3.0)]
    assert bench.comparison_lines(16, "dithered", pairs, 2) == [
        "  k=16  dithered (quantize --dither vs pngquant (dither)), 3 screenshots: PSNR median "
        "+0.25 dB, worst -0.50 (behind on 1); blurred PSNR median +0.25 dB, worst -1.00 "
        "(behind on 1); bytes median 1.000x (larger on 1); time median 2.00x",
        "    worst blurred PSNR (dB): b -1.00 (bytes 0.900x), a +0.25 (bytes 1.100x)",
        "    largest bytes: a 1.100x (blurred PSNR +0.25), c 1.000x (blurred PSNR +0.50)",
    ]
    assert bench.comparison_lines(64, "undithered", pairs, 0) == [
        "  k=64  undithered (quantize vs pngquant --nofs), 3 screenshots: PSNR median +0.25 dB, "
        "worst -0.50 (behind on 1); bytes median 1.000x (larger on 1); time median 2.00x"]


def test_verdicts_miss_when_a_screenshot_is_behind_or_one_was_not_compared(bench):
    ahead = [_pair(bench, "a", 0.5, 0.5, 900, 1.0), _pair(bench, "b", 0.1, 0.2, 1000, 1.0)]
    behind = [ahead[0], _pair(bench, "b", -0.1, 0.2, 1000, 1.0)]
    assert bench.verdict_lines({"undithered": ahead, "dithered": ahead}, 2) == [
        "undithered: PSNR >= pngquant --nofs on every screenshot and k (worst +0.10 dB)  MET",
        "undithered: bytes median <= 1x pngquant --nofs (0.950x)  MET",
        "dithered: blurred PSNR median >= pngquant default (+0.35 dB)  MET",
        "dithered: bytes median <= 1x pngquant default (0.950x)  MET",
    ]
    lines = bench.verdict_lines({"undithered": behind, "dithered": ahead[:1]}, 2)
    assert lines[0] == ("undithered: PSNR >= pngquant --nofs on every screenshot and k "
                        "(worst -0.10 dB)  MISSED")
    assert lines[2] == ("dithered: blurred PSNR median >= pngquant default (+0.50 dB) "
                        "(1 of 2 compared)  MISSED")


def test_distinct_colours_counts_rgb_triples(bench):
    image = np.zeros((2, 3, 3), np.uint8)
    image[0, 0] = (1, 0, 0)
    image[1, 2] = (0, 0, 1)
    assert bench.distinct_colours(image) == 3


@pytest.mark.skipif(not (shutil.which("chromium") or shutil.which("chromium-browser")),
                    reason="needs Chromium")
def test_a_page_is_shot_as_rgb_at_its_window_size(bench, tmp_path):
    page = bench.Page("p", "<html><body style='background:#fafafa'>x</body></html>",
                      (320, 200))
    shots = bench.screenshots([page], bench.find_chromium(), tmp_path, tmp_path / "p")
    assert shots["p"].shape == (200, 320, 3)
    assert tuple(shots["p"][-1, -1]) == (250, 250, 250)
    assert (tmp_path / "pages" / "p.html").read_text() == page.html
