"""quantize.report.thumbnails: palette shares read from an output image, and thumbnails."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from PIL import Image

from quantize.batch import FileResult
from quantize.report import read_palette_shares, write_html_report
from quantize.report.thumbnails import thumbnail, thumbnails

from .report_support import (
    decode_data_uri,
    file_rows,
    parse,
    quadrants,
    summary_of,
    swatch_widths,
)


def test_read_palette_shares_counts_pixels_and_transparency(tmp_path):
    rgba = np.zeros((2, 5, 4), np.uint8)
    rgba[..., :3] = (10, 20, 30)
    rgba[..., 3] = 255
    rgba[0, :3] = (99, 99, 99, 0)  # transparent pixels of two colours are one entry
    rgba[1, 0] = (1, 2, 3, 0)
    Image.fromarray(rgba, "RGBA").save(tmp_path / "t.png")
    swatches = read_palette_shares(tmp_path / "t.png")
    assert [(s.hex, s.alpha) for s in swatches] == [("#0a141e", 255), ("#000000", 0)]
    assert [s.share for s in swatches] == pytest.approx([0.6, 0.4])


def test_output_image_palette_agrees_with_the_reduce_record(batch):
    results, _ = batch
    for result in results[:3]:
        recorded = {e["hex"]: (e["alpha"], e["share"]) for e in result.record["palette"]}
        read = {s.hex: (s.alpha, s.share) for s in read_palette_shares(result.output)}
        assert read.keys() == recorded.keys()
        for hex_, (alpha, share) in read.items():
            assert alpha == recorded[hex_][0] and share == pytest.approx(recorded[hex_][1],
                                                                         abs=1e-5)


def test_no_swatches_for_an_output_with_many_colours(tmp_path):
    noise = np.random.default_rng(0).integers(0, 256, (32, 32, 3), dtype=np.uint8)
    Image.fromarray(noise).save(tmp_path / "noise.png")
    assert read_palette_shares(tmp_path / "noise.png") == []
    result = FileResult(tmp_path / "in.png", tmp_path / "noise.png", "ok", "", {"k": 8})
    write_html_report(tmp_path / "r.html", [result], summary_of([result]), mode="reduce")
    assert swatch_widths(file_rows(parse((tmp_path / "r.html").read_text()))[0]) == []


def test_a_thumbnail_does_not_warn_again_of_an_unusable_colour_profile(tmp_path):
    """The job's line says so; the page's thumbnail printed a Python warning after it."""
    Image.new("RGB", (8, 8), (128, 128, 128)).save(tmp_path / "p.png",
                                                   icc_profile=b"not a profile" * 16)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        thumb = thumbnail(tmp_path / "p.png", 4)
    assert (thumb.width, thumb.height) == (4, 4)


def test_a_thumbnail_does_not_warn_again_of_tiff_pages_left_out(tmp_path):
    """The job's line says that a TIFF's pages of another size are left out; the page's
    thumbnail printed it again as a Python warning."""
    pages = [Image.new("RGB", size, (200, 0, 0)) for size in ((8, 8), (4, 8))]
    pages[0].save(tmp_path / "doc.tif", save_all=True, append_images=pages[1:])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        thumb = thumbnail(tmp_path / "doc.tif", 4)
    assert (thumb.width, thumb.height, thumb.frames) == (4, 4, 1)


def test_a_thumbnail_does_not_warn_again_of_dark_values_or_samples_left_out(tmp_path):
    """The job's lines say that a 16-bit image comes out dark and that a TIFF's extra
    sample is left out; the page's thumbnails printed each again as a Python warning."""
    tifffile = pytest.importorskip("tifffile")
    counts = (np.arange(64, dtype=np.uint16) + 1000).reshape(8, 8)
    Image.fromarray(counts).save(tmp_path / "dark.png")
    tifffile.imwrite(tmp_path / "extra.tif", np.full((8, 8, 4), 90, np.uint8),
                     photometric="rgb", extrasamples=["unspecified"])
    wanted = [(tmp_path / "dark.png", "photo"), (tmp_path / "extra.tif", "photo")]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        made = thumbnails(wanted, 4)
        alone = [thumbnail(path, 4) for path, _ in wanted]
    assert [(thumb.width, thumb.height) for thumb in made] == [(4, 4), (4, 4)]
    assert made == alone


def test_thumbnails_on_two_threads_are_each_images_thumbnail_in_order(tmp_path):
    """Many images' thumbnails, made on the shared threads: each as thumbnail() makes it,
    None for a file that is no image, none of the warnings already reported shown, and
    the warning filters the caller had left as they were."""
    wanted = []
    for i in range(7):
        pixels = np.roll(np.repeat(np.repeat(quadrants(), 1 + i, 0), 1 + i, 1), 3 * i, axis=1)
        Image.fromarray(pixels).save(tmp_path / f"{i}.png", icc_profile=b"not a profile" * 16)
        wanted.append((tmp_path / f"{i}.png", "reduced" if i % 2 else "photo"))
    (tmp_path / "broken.png").write_text("not an image")
    wanted.insert(3, (tmp_path / "broken.png", "photo"))
    filters = list(warnings.filters)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        inner = list(warnings.filters)
        made = thumbnails(wanted, 48)
        assert warnings.filters == inner
    assert warnings.filters == filters
    assert made[3] is None
    for (path, kind), thumb in zip(wanted, made, strict=True):
        if thumb is not None:
            assert thumb == thumbnail(path, 48, kind=kind)
    assert len({thumb.uri for thumb in made if thumb is not None}) == 7


def test_thumbnail_kind_is_checked(tmp_path):
    from quantize.report.thumbnails import thumbnail_uri

    Image.fromarray(quadrants()).save(tmp_path / "q.png")
    with pytest.raises(ValueError, match=r"kind='mosaic' is not valid; expected one of"):
        thumbnail_uri(tmp_path / "q.png", 64, kind="mosaic")


@pytest.mark.parametrize("make", [
    lambda path, limit: thumbnail(path, 64, max_pixels=limit),
    lambda path, limit: thumbnails([(path, "photo")], 64, max_pixels=limit),
    lambda path, limit: thumbnails([], 64, max_pixels=limit),
    lambda path, limit: read_palette_shares(path, max_pixels=limit),
])
def test_a_bad_max_pixels_is_refused_before_any_image_is_read(tmp_path, make):
    """It was checked by the reader alone: on a thread (a TypeError from inside it), and
    not at all with no image."""
    Image.fromarray(quadrants()).save(tmp_path / "q.png")
    with pytest.raises(ValueError, match=r"^max_pixels=0 should be >= 1$"):
        make(tmp_path / "q.png", 0)
    with pytest.raises(TypeError, match=r"^max_pixels=2.5 should be an integer, got float$"):
        make(tmp_path / "q.png", 2.5)


def test_a_dithered_output_is_shrunk_by_the_mean_of_its_pixels(tmp_path):
    """Sampled at the nearest pixel, a dither pattern became noise or aliasing (a
    checkerboard of black and white shrunk by 4 came out all black); its mean is the grey
    the eye sees from afar. An undithered output still shows only palette colours."""
    from quantize.report.thumbnails import thumbnail_uri

    from .report_support import decode_data_uri

    board = np.indices((64, 96)).sum(axis=0) % 2 * 255  # one-pixel checkerboard
    Image.fromarray(board.astype(np.uint8)).convert("P").save(tmp_path / "d.png")
    shown = np.asarray(decode_data_uri(thumbnail_uri(tmp_path / "d.png", 24, kind="dithered"))
                       .convert("L"), dtype=float)
    assert shown.shape == (16, 24) and np.abs(shown - 127.5).max() <= 2
    nearest = np.asarray(decode_data_uri(thumbnail_uri(tmp_path / "d.png", 24,
                                                       kind="reduced")).convert("L"))
    assert set(np.unique(nearest)) <= {0, 255}
    small = np.asarray(decode_data_uri(thumbnail_uri(tmp_path / "d.png", 96, kind="dithered"))
                       .convert("L"))
    assert np.array_equal(small, board)  # not shrunk: every pixel as it is

    result = FileResult(tmp_path / "d.png", tmp_path / "d.png", "ok", "", {"k": 2})
    for dithered in (True, False):
        write_html_report(tmp_path / "r.html", [result], summary_of([result]), mode="reduce",
                          thumb_size=24, dithered=dithered)
        after = list(file_rows(parse((tmp_path / "r.html").read_text()))[0].iter("img"))[1]
        grey = np.asarray(decode_data_uri(after.attrs["src"]).convert("L"), dtype=float)
        assert (np.abs(grey - 127.5).max() <= 2) == dithered
        assert set(np.unique(grey)) <= {0, 255} or dithered


def _strip(width: int, height: int) -> np.ndarray:
    """A ``height`` x ``width`` image whose columns (rows, when it is tall) count 0, 1, 2,
    ... in red, modulo 256, over green 50 and blue 100."""
    count = np.arange(max(width, height)) % 256
    image = np.zeros((height, width, 3), np.uint8)
    image[..., 0] = count[None, :width] if width >= height else count[:height, None]
    image[..., 1:] = (50, 100)
    return image


@pytest.mark.parametrize("kind", ["reduced", "dithered"])  # PNGs: exact
@pytest.mark.parametrize(("width", "height", "box"), [
    (2000, 20, (slice(None), slice(920, 1080))),  # the middle 160 x 20
    (20, 2000, (slice(920, 1080), slice(None))),
    (161, 20, (slice(None), slice(0, 160))),  # one column over 8:1: the first 160
])
def test_a_thumbnail_of_a_long_image_is_its_middle_unshrunk(tmp_path, kind, width, height, box):
    """A 2000 x 20 image's thumbnail was 240 x 2: it shows the middle part 8 times as long as
    the short side, at the image's own pixels (exact, in a PNG)."""
    image = _strip(width, height)
    Image.fromarray(image).save(tmp_path / "s.png")
    thumb = thumbnail(tmp_path / "s.png", 240, kind=kind)
    assert thumb.cropped
    assert np.array_equal(np.asarray(decode_data_uri(thumb.uri).convert("RGB")), image[box])


@pytest.mark.parametrize(("width", "height", "shown", "cropped"), [
    (4000, 40, (240, 30), True),  # its middle 320 x 40, shrunk
    (40, 4000, (30, 240), True),
    (160, 20, (160, 20), False),  # 8:1 is shown whole
    (1600, 200, (240, 30), False),
])
def test_a_thumbnail_is_at_most_8_times_as_long_as_its_other_side(tmp_path, width, height,
                                                                  shown, cropped):
    Image.fromarray(_strip(width, height)).save(tmp_path / "s.png")
    for kind in ("photo", "reduced", "dithered", "overlay"):
        thumb = thumbnail(tmp_path / "s.png", 240, kind=kind)
        assert ((thumb.width, thumb.height), thumb.cropped) == (shown, cropped), kind


def test_the_borders_of_the_middle_of_a_long_overlay_are_redrawn_where_they_are(tmp_path):
    # the borders file is cut as the overlay is: a border 40 columns into the middle part
    # (of 160) is 20 into its thumbnail, halved; the whole file's would be 960 / 25 = 38
    overlay = np.full((20, 2000, 3), 120, np.uint8)
    overlay[:, 960] = (255, 0, 0)
    borders = np.zeros((20, 2000), np.uint8)
    borders[:, 960] = 255
    Image.fromarray(overlay).save(tmp_path / "overlay.png")
    Image.fromarray(borders).save(tmp_path / "boundaries.png")
    thumb = thumbnail(tmp_path / "overlay.png", 80, kind="overlay")
    assert (thumb.width, thumb.height, thumb.cropped) == (80, 10, True)
    pixels = np.asarray(decode_data_uri(thumb.uri).convert("RGB")).astype(int)
    red = (np.abs(pixels - (255, 0, 0)).max(axis=2) <= 40).all(axis=0)
    assert np.flatnonzero(red).tolist() == [20]


def test_the_palette_shares_of_a_long_image_are_of_the_whole_image(tmp_path):
    strip = np.zeros((20, 2000, 3), np.uint8)
    strip[:, :200] = (0, 255, 0)  # outside the middle part the thumbnail shows
    Image.fromarray(strip).save(tmp_path / "s.png")
    shares = {s.hex: s.share for s in read_palette_shares(tmp_path / "s.png")}
    assert shares == {"#000000": 0.9, "#00ff00": 0.1}


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(float) - b.astype(float)) ** 2)
    return float("inf") if mse == 0 else 10 * np.log10(255 ** 2 / mse)


def test_a_small_jpeg_photo_shown_enlarged_is_embedded_as_a_fine_jpeg(tmp_path):
    # embedded as a PNG of its pixels, a 120 x 107 JPEG crop took five times a JPEG's bytes
    rng = np.random.default_rng(0)
    photo = np.clip(quadrants(107, 120).astype(int) + rng.integers(-20, 21, (107, 120, 3)),
                    0, 255).astype(np.uint8)
    Image.fromarray(photo).save(tmp_path / "a.jpg", quality=90)
    Image.fromarray(photo).save(tmp_path / "a.png")
    as_jpeg, as_png = (thumbnail(tmp_path / name, 240) for name in ("a.jpg", "a.png"))
    assert as_jpeg.uri.startswith("data:image/jpeg;") and as_png.uri.startswith("data:image/png;")
    assert (as_jpeg.width, as_jpeg.height) == (as_png.width, as_png.height) == (120, 107)
    assert len(as_jpeg.uri) < len(as_png.uri) / 2
    embedded = decode_data_uri(as_jpeg.uri)
    assert [layer[1:3] for layer in embedded.layer] == [(1, 1)] * 3  # no chroma subsampling
    read = np.asarray(Image.open(tmp_path / "a.jpg").convert("RGB"))  # 4:4:4, quality 90
    assert _psnr(np.asarray(embedded.convert("RGB")), read) > 40


def test_small_reduced_outputs_and_overlays_are_still_embedded_as_their_pixels(tmp_path):
    # only a JPEG photo's enlarged thumbnail is a JPEG: a reduced image, an overlay and
    # pixel art keep their exact pixels
    image = quadrants(40, 50)
    Image.fromarray(image).quantize(4).convert("RGB").save(tmp_path / "r.png")
    Image.fromarray(image).save(tmp_path / "overlay.png")
    Image.fromarray(image).save(tmp_path / "art.gif")
    for name, kind in (("r.png", "reduced"), ("overlay.png", "overlay"), ("art.gif", "photo")):
        made = thumbnail(tmp_path / name, 240, kind=kind)
        assert made.uri.startswith("data:image/png;"), name
        expected = np.asarray(Image.open(tmp_path / name).convert("RGB"))
        assert np.array_equal(np.asarray(decode_data_uri(made.uri).convert("RGB")), expected)


def test_thumbnails_on_threads_of_their_own_are_each_images_thumbnail_in_order(tmp_path):
    """``threads`` above the shared pool's two (a batch's --jobs): each thumbnail as
    thumbnail() makes it, in order, None for a file that is no image."""
    wanted = []
    for i in range(9):
        pixels = np.roll(np.repeat(np.repeat(quadrants(), 1 + i, 0), 1 + i, 1), 5 * i, axis=0)
        Image.fromarray(pixels).save(tmp_path / f"{i}.png")
        wanted.append((tmp_path / f"{i}.png", ("photo", "reduced", "dithered")[i % 3]))
    (tmp_path / "broken.png").write_text("not an image")
    wanted.insert(4, (tmp_path / "broken.png", "photo"))
    alone = [thumbnail(path, 40, kind=kind) if i != 4 else None
             for i, (path, kind) in enumerate(wanted)]
    for threads in (1, 3, 16):
        assert thumbnails(wanted, 40, threads=threads) == alone


@pytest.mark.parametrize("threads, error, match", [
    (0, ValueError, r"^threads=0 should be >= 1$"),
    (2.0, TypeError, r"^threads=2.0 should be an integer, got float$"),
])
def test_thumbnails_threads_is_checked(threads, error, match):
    with pytest.raises(error, match=match):
        thumbnails([], 64, threads=threads)
