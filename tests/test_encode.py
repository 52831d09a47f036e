"""Tests for quantize.encode: indexed PNG bytes that decode back exactly."""

from __future__ import annotations

import io
import math
import re
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from quantize import _threads, encode
from quantize.encode import (
    encode_gray_png,
    encode_indexed_gif,
    encode_indexed_png,
    palette_order,
    tiff_page,
    trns,
)
from quantize.png import chunks_of

from .reduce_support import gif_blocks


def chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """(type, payload) of every chunk, checking the signature and each CRC."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    out, pos = [], 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind, payload = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        assert crc == zlib.crc32(kind + payload) & 0xFFFFFFFF, kind
        out.append((kind, payload))
        pos += 12 + length
    return out


def chunk(data: bytes, kind: bytes) -> bytes | None:
    return next((payload for k, payload in chunks(data) if k == kind), None)


def decode(data: bytes) -> Image.Image:
    im = Image.open(io.BytesIO(data))
    im.load()
    return im


def decoded_rgba(data: bytes) -> np.ndarray:
    return np.asarray(decode(data).convert("RGBA"))


def expected_rgba(indices: np.ndarray, palette: np.ndarray,
                  alpha: np.ndarray | None) -> np.ndarray:
    a = np.full(len(palette), 255, np.uint8) if alpha is None else alpha
    return np.dstack([palette[indices], a[indices]])


def random_case(rng: np.random.Generator, k: int, shape: tuple[int, int] = (7, 13),
                with_alpha: bool = False
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    indices = rng.integers(0, k, size=shape, dtype=np.uint8)
    indices.flat[:k] = np.arange(k)  # every entry used, when the image is large enough
    palette = rng.integers(0, 256, size=(k, 3), dtype=np.uint8)
    alpha = rng.integers(0, 256, size=k, dtype=np.uint8) if with_alpha else None
    return indices, palette, alpha


# --------------------------------------------------------------------------
# Exact round trip with reorder=False
# --------------------------------------------------------------------------


@pytest.mark.parametrize("k, depth", [(1, 1), (2, 1), (3, 2), (4, 2), (5, 4), (16, 4),
                                      (17, 8), (256, 8)])
@pytest.mark.parametrize("optimize", [False, True])
def test_round_trip_keeps_indices_and_palette(rng, k, depth, optimize):
    indices, palette, _ = random_case(rng, k, shape=(19, 23))
    data = encode_indexed_png(indices, palette, optimize=optimize, reorder=False)
    im = decode(data)
    assert im.mode == "P"
    np.testing.assert_array_equal(np.asarray(im), indices)
    written = np.frombuffer(chunk(data, b"PLTE"), np.uint8).reshape(-1, 3)
    np.testing.assert_array_equal(written, palette)
    header = chunk(data, b"IHDR")
    assert struct.unpack(">II", header[:8]) == (23, 19)
    # optimize may write a small palette one pixel a byte; otherwise the smallest depth
    assert header[8] == depth or (optimize and header[8] == 8)
    assert chunk(data, b"tRNS") is None


@pytest.mark.parametrize("width", [1, 2, 3, 5, 7, 8, 9, 15, 17])
@pytest.mark.parametrize("k", [2, 4, 16])
def test_sub_byte_rows_pad_correctly(rng, width, k):
    indices, palette, _ = random_case(rng, k, shape=(3, width))
    data = encode_indexed_png(indices, palette, reorder=False)
    np.testing.assert_array_equal(np.asarray(decode(data)), indices)


def test_trns_runs_to_the_last_translucent_entry():
    indices = np.array([[0, 1, 2, 3]], dtype=np.uint8)
    palette = np.array([[1, 2, 3], [4, 5, 6], [7, 8, 9], [10, 11, 12]], dtype=np.uint8)
    alpha = np.array([255, 0, 128, 255], dtype=np.uint8)
    data = encode_indexed_png(indices, palette, alpha, reorder=False)
    assert chunk(data, b"tRNS") == bytes([255, 0, 128])
    np.testing.assert_array_equal(decoded_rgba(data),
                                  expected_rgba(indices, palette, alpha))


def test_opaque_alpha_writes_no_trns():
    indices = np.array([[0, 1]], dtype=np.uint8)
    palette = np.array([[0, 0, 0], [255, 255, 255]], dtype=np.uint8)
    data = encode_indexed_png(indices, palette, np.array([255, 255], np.uint8))
    assert chunk(data, b"tRNS") is None


def test_chunk_order_and_single_idat(rng):
    indices, palette, alpha = random_case(rng, 8, with_alpha=True)
    kinds = [k for k, _ in chunks(encode_indexed_png(indices, palette, alpha))]
    assert kinds == [b"IHDR", b"PLTE", b"tRNS", b"IDAT", b"IEND"]


@pytest.mark.parametrize("optimize", [False, True])
def test_a_resolution_is_a_phys_chunk_before_the_pixels_and_nothing_else_changes(
        rng, optimize):
    # Every PNG was written without one: a 300-dpi scan lost its physical size.
    indices, palette, alpha = random_case(rng, 8, with_alpha=True)
    plain = encode_indexed_png(indices, palette, alpha, optimize=optimize)
    data = encode_indexed_png(indices, palette, alpha, optimize=optimize, dpi=(300, 72.5))
    assert [k for k, _ in chunks(data)] == [b"IHDR", b"PLTE", b"tRNS", b"pHYs", b"IDAT",
                                            b"IEND"]
    assert struct.unpack(">IIB", chunk(data, b"pHYs")) == (11811, 2854, 1)
    assert decode(data).info["dpi"] == pytest.approx((300, 72.5), abs=0.02)
    assert [(k, p) for k, p in chunks(data) if k != b"pHYs"] == chunks(plain)
    assert encode_indexed_png(indices, palette, alpha, optimize=optimize, dpi=None) == plain


@pytest.mark.parametrize(("dpi", "error", "message"), [
    (300, TypeError, "dpi=300 should be (x, y), two finite numbers > 0 (dots per inch)"),
    ((300, -1), ValueError, "dpi=(300, -1) should be (x, y), two finite numbers > 0 (dots "
                            "per inch)"),
    ((300, 0.01), ValueError, "dpi=(300, 0.01) should be from 0.0254 to 54,546,084 dots per "
                              "inch (a pHYs chunk's 1 to 2**31 - 1 pixels per metre)"),
    ((60_000_000, 300), ValueError, "dpi=(60000000, 300) should be from 0.0254 to "
                                    "54,546,084 dots per inch (a pHYs chunk's 1 to 2**31 - 1 "
                                    "pixels per metre)"),
])
def test_a_resolution_a_phys_chunk_cannot_hold_is_refused(dpi, error, message):
    with pytest.raises(error) as info:
        encode_indexed_png(GOOD_INDICES, GOOD_PALETTE, dpi=dpi)
    assert str(info.value) == message


# --------------------------------------------------------------------------
# Reordering: same pixels, short tRNS, unused entries dropped
# --------------------------------------------------------------------------


@pytest.mark.parametrize("k", [2, 5, 16, 64, 256])
@pytest.mark.parametrize("optimize", [False, True])
def test_reorder_keeps_every_pixel_colour_and_alpha(rng, k, optimize):
    indices, palette, alpha = random_case(rng, k, shape=(20, 20), with_alpha=True)
    data = encode_indexed_png(indices, palette, alpha, optimize=optimize)
    np.testing.assert_array_equal(decoded_rgba(data), expected_rgba(indices, palette, alpha))


def test_reorder_puts_translucent_entries_first():
    palette = np.array([[9, 9, 9], [200, 0, 0], [0, 0, 0], [5, 5, 5], [0, 0, 200]], np.uint8)
    alpha = np.array([255, 255, 0, 128, 255], np.uint8)
    indices = np.arange(5, dtype=np.uint8).reshape(1, 5)
    data = encode_indexed_png(indices, palette, alpha)
    # the two translucent entries, most transparent first; nothing opaque in tRNS
    assert chunk(data, b"tRNS") == bytes([0, 128])
    np.testing.assert_array_equal(decoded_rgba(data), expected_rgba(indices, palette, alpha))


def test_256_entries_with_a_transparent_one(rng):
    indices, palette, _ = random_case(rng, 256, shape=(16, 16))
    alpha = np.full(256, 255, np.uint8)
    alpha[255] = 0
    data = encode_indexed_png(indices, palette, alpha)
    assert len(chunk(data, b"PLTE")) == 3 * 256
    assert chunk(data, b"tRNS") == b"\x00"
    np.testing.assert_array_equal(decoded_rgba(data), expected_rgba(indices, palette, alpha))


def test_reorder_drops_unused_entries_and_lowers_the_depth():
    palette = np.array([[i, i, i] for i in range(0, 250, 10)], dtype=np.uint8)  # 25 entries
    indices = np.array([[3, 20], [20, 7]], dtype=np.uint8)
    data = encode_indexed_png(indices, palette)
    assert len(chunk(data, b"PLTE")) == 3 * 3
    assert chunk(data, b"IHDR")[8] == 2
    np.testing.assert_array_equal(decoded_rgba(data), expected_rgba(indices, palette, None))


def test_inputs_are_not_modified(rng):
    indices, palette, alpha = random_case(rng, 12, with_alpha=True)
    copies = [indices.copy(), palette.copy(), alpha.copy()]
    encode_indexed_png(indices, palette, alpha, optimize=True)
    for before, after in zip(copies, (indices, palette, alpha), strict=True):
        np.testing.assert_array_equal(before, after)


def test_optimize_is_never_larger(rng):
    # a smooth gradient with few colours, where filters and depth choices matter
    yy, xx = np.mgrid[0:64, 0:96]
    indices = ((xx + yy) // 10 % 16).astype(np.uint8)
    palette = np.stack([np.arange(16) * 16] * 3, axis=1).astype(np.uint8)
    default = encode_indexed_png(indices, palette)
    smaller = encode_indexed_png(indices, palette, optimize=True)
    assert len(smaller) <= len(default)
    np.testing.assert_array_equal(decoded_rgba(smaller), decoded_rgba(default))


def test_optimize_is_never_larger_than_the_default_of_the_palette_as_given():
    # three colours, the left half of every row in the first two only: the reordered
    # palette deflated to one byte more than the order given (278 against 277 bytes),
    # and optimize, which tried the reordered one alone, wrote the larger file
    rng = np.random.default_rng(0)
    indices = rng.integers(0, 3, (24, 32)).astype(np.uint8)
    indices[:, :16] //= 2
    palette = rng.integers(0, 256, (3, 3), dtype=np.uint8)
    default = encode_indexed_png(indices, palette, reorder=False)
    optimized = encode_indexed_png(indices, palette, optimize=True)
    assert (len(default), len(optimized)) == (277, 277)
    np.testing.assert_array_equal(decoded_rgba(optimized), decoded_rgba(default))


@pytest.mark.parametrize("threads", [1, 2])
def test_optimize_filters_each_way_once_and_deflates_the_candidates_together(
        rng, monkeypatch, threads):
    # The level-9 streams are the time of optimize: they are tasks of one _threads.run
    # (two threads where there are), each filter made once; the file is the same bytes
    # on any number of threads.
    indices = rng.integers(0, 12, (40, 50)).astype(np.uint8)
    indices[::2] = indices[1::2]  # rows that "up" codes smaller
    palette = rng.integers(0, 256, (12, 3), dtype=np.uint8)
    monkeypatch.setattr(_threads, "_count", 1)
    serial = encode_indexed_png(indices, palette, optimize=True)
    monkeypatch.setattr(_threads, "_count", threads)
    batches, filters = [], []
    run, filtered = _threads.run, encode._filtered
    monkeypatch.setattr(_threads, "run", lambda tasks: batches.append(len(tasks)) or run(tasks))
    monkeypatch.setattr(encode, "_filtered",
                        lambda rows, method: filters.append(method) or filtered(rows, method))
    assert encode_indexed_png(indices, palette, optimize=True) == serial
    quick, strategies = len(encode._OPTIMIZE_FILTERS), len(encode._OPTIMIZE_STRATEGIES)
    # 4 bits a pixel, then 8: the quick streams of every filter in one run, then the
    # level-9 streams of those kept, every strategy, in another
    assert batches[0] == batches[2] == quick
    assert all(0 < n <= quick * strategies and n % strategies == 0 for n in batches[1::2])
    assert sorted(filters) == sorted([*encode._OPTIMIZE_FILTERS, "none"] * 2 + ["none"])


def test_optimize_deflates_at_level_9_only_the_filters_a_quick_deflate_finds_near_the_best(
        monkeypatch):
    """Level 9 was nearly all of optimize's time, and on noise its longest (coffee dithered
    onto PICO-8's 16 colours: 7.2 s to save 19 bytes): each filter's stream is deflated
    at level 1 first, those within 5 % of the smallest at their bit depth at level 6 with
    each strategy, and only the pairs within 2 % of the smallest there go on to level 9,
    of the bit depths within 4 % of the native one's at level 6: here 1 of 24, for the
    file all 24 gave."""
    yy, xx = np.mgrid[0:48, 0:64]  # bands of 16 colours, dithered by noise
    rng = np.random.default_rng(5)
    indices = (((xx + yy) // 6 + rng.integers(0, 2, (48, 64))) % 16).astype(np.uint8)
    palette = rng.integers(0, 256, (16, 3), dtype=np.uint8)
    batches = []
    run = _threads.run
    monkeypatch.setattr(_threads, "run", lambda tasks: batches.append(len(tasks)) or run(tasks))
    screened = encode_indexed_png(indices, palette, optimize=True, reorder=False)
    # 4 bits a pixel: 5 filters kept of 6, 10 pairs at level 6, 1 at level 9; 8 bits: 1
    # filter, 2 pairs at level 6, and none at level 9
    assert batches == [6, 10, 6, 2, 1]
    for margin in ("_SCREEN_MARGIN", "_FINE_MARGIN", "_DEPTH_MARGIN"):  # all 24 at level 9
        monkeypatch.setattr(encode, margin, math.inf)
    batches.clear()
    assert encode_indexed_png(indices, palette, optimize=True, reorder=False) == screened
    assert batches == [6, 12, 6, 12, 12, 12]
    assert len(screened) == 858 < len(encode_indexed_png(indices, palette, reorder=False))


# --------------------------------------------------------------------------
# palette_order
# --------------------------------------------------------------------------


def test_palette_order_follows_nearest_colours():
    palette = np.array([[255, 255, 255], [0, 0, 0], [120, 120, 120], [20, 20, 20],
                        [240, 240, 240]], dtype=np.uint8)
    assert palette_order(palette).tolist() == [1, 3, 2, 4, 0]


def test_palette_order_translucent_first_and_used_only():
    palette = np.array([[0, 0, 0], [50, 50, 50], [255, 0, 0], [0, 255, 0]], np.uint8)
    alpha = np.array([255, 40, 0, 255], np.uint8)
    used = np.array([True, True, True, False])
    assert palette_order(palette, alpha, used).tolist() == [2, 1, 0]


# --------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------


GOOD_INDICES = np.zeros((2, 2), np.uint8)
GOOD_PALETTE = np.zeros((2, 3), np.uint8)


@pytest.mark.parametrize("indices, palette, alpha, error, match", [
    (GOOD_INDICES.astype(np.int64), GOOD_PALETTE, None, TypeError,
     r"indices should be a uint8 array, got dtype int64"),
    (GOOD_INDICES, GOOD_PALETTE.astype(float), None, TypeError,
     r"palette should be a uint8 array, got dtype float64"),
    (GOOD_INDICES, GOOD_PALETTE, np.zeros(2, np.int32), TypeError,
     r"alpha should be a uint8 array, got dtype int32"),
    (np.zeros((2, 2, 1), np.uint8), GOOD_PALETTE, None, ValueError,
     r"indices should be a non-empty \(H, W\) array, got shape \(2, 2, 1\)"),
    (np.zeros((0, 4), np.uint8), GOOD_PALETTE, None, ValueError,
     r"indices should be a non-empty \(H, W\) array, got shape \(0, 4\)"),
    (GOOD_INDICES, np.zeros((2, 4), np.uint8), None, ValueError,
     r"palette should have shape \(k, 3\) with 1 <= k <= 256, got \(2, 4\)"),
    (GOOD_INDICES, np.zeros((0, 3), np.uint8), None, ValueError,
     r"palette should have shape \(k, 3\) with 1 <= k <= 256, got \(0, 3\)"),
    (GOOD_INDICES, np.zeros((257, 3), np.uint8), None, ValueError,
     r"1 <= k <= 256, got \(257, 3\)"),
    (np.array([[0, 2]], np.uint8), GOOD_PALETTE, None, ValueError,
     r"indices should be < the palette size k=2, got a maximum of 2"),
    (GOOD_INDICES, GOOD_PALETTE, np.zeros(3, np.uint8), ValueError,
     r"alpha should have shape \(2,\) to match the palette, got \(3,\)"),
])
def test_bad_input_is_refused(indices, palette, alpha, error, match):
    with pytest.raises(error, match=match):
        encode_indexed_png(indices, palette, alpha)


def test_non_bool_flags_are_refused():
    with pytest.raises(TypeError, match=r"^optimize=1 should be a bool, got int$"):
        encode_indexed_png(GOOD_INDICES, GOOD_PALETTE, optimize=1)
    with pytest.raises(TypeError, match=r"^reorder='no' should be a bool, got str$"):
        encode_indexed_png(GOOD_INDICES, GOOD_PALETTE, reorder="no")
    # A NumPy bool is a bool (it was refused as "should be bool, got optimize=True").
    assert encode_indexed_png(GOOD_INDICES, GOOD_PALETTE, optimize=np.True_,
                              reorder=np.False_) == encode_indexed_png(
        GOOD_INDICES, GOOD_PALETTE, optimize=True, reorder=False)


def test_palette_order_refuses_a_wrong_used_mask():
    with pytest.raises(ValueError, match=r"used should have shape \(2,\)"):
        palette_order(GOOD_PALETTE, used=np.ones(3, bool))
    # Entry numbers are not a mask: [0, 1] would have kept entry 1 alone.
    with pytest.raises(TypeError, match=r"^used should be a bool array, one flag an entry, "
                                        r"got dtype int64$"):
        palette_order(GOOD_PALETTE, used=np.array([0, 1]))
    assert palette_order(GOOD_PALETTE, used=[False, True]).tolist() == [1]


def test_trns_takes_the_alpha_of_entries_as_the_encoder_does():
    assert trns(np.array([255, 0, 255], np.uint8)) == b"\xff\x00"
    assert trns(np.full(3, 255, np.uint8)) is None
    with pytest.raises(TypeError, match=r"^alpha should be a uint8 array, got dtype int64$"):
        trns([255, 0, 255])
    with pytest.raises(ValueError, match=r"^alpha should have shape \(k,\), got \(1, 3\)$"):
        trns(np.zeros((1, 3), np.uint8))


@pytest.mark.parametrize(("level", "error", "match"), [
    (0, ValueError, r"^level=0 should be >= 1$"),
    (10, ValueError, r"^level=10 should be <= 9$"),
    # wrong types were ValueErrors too
    (6.0, TypeError, r"^level=6\.0 should be an integer, got float$"),
    (True, TypeError, r"^level=True should be an integer, got bool$"),
    ("9", TypeError, r"^level='9' should be an integer, got str$"),
])
def test_a_bad_level_is_refused(level, error, match):
    with pytest.raises(error, match=match):
        encode_indexed_png(GOOD_INDICES, GOOD_PALETTE, level=level)


# --------------------------------------------------------------------------
# Deflating in parts on threads
# --------------------------------------------------------------------------


def _stream_data(rng, n: int = 300_000) -> bytes:
    """Index rows with long repeats, some reaching across any seam."""
    motif = rng.integers(0, 16, size=5000, dtype=np.uint8)
    runs = np.repeat(rng.integers(0, 16, size=n // 50, dtype=np.uint8), 50)
    return np.concatenate([motif, runs[: n // 2], motif, runs[n // 2:], motif]).tobytes()


_LIBRARIES = [zlib, pytest.param(encode._zlib_ng, id="zlib-ng", marks=pytest.mark.skipif(
    encode._zlib_ng is None, reason="zlib-ng is not installed"))]


@pytest.mark.parametrize("library", _LIBRARIES)
@pytest.mark.parametrize("n_parts", [2, 3])
# The levels the encoder uses (zlib-ng's fastest levels, 1-3, match less of the
# window before a seam: parts 1-6 % larger on this data).
@pytest.mark.parametrize("level", [6, 8, 9])
def test_deflating_in_parts_decodes_to_the_data(rng, monkeypatch, n_parts, level, library):
    data = _stream_data(rng)
    monkeypatch.setattr(encode, "_PARALLEL_MIN_BYTES", len(data) + 1)
    whole = encode._deflate(data, level, zlib.Z_DEFAULT_STRATEGY, library)
    monkeypatch.setattr(encode, "_PARALLEL_MIN_BYTES", 1)
    monkeypatch.setattr(encode, "_PARTS", n_parts)
    monkeypatch.setattr(_threads, "_count", n_parts)
    parts = encode._deflate(data, level, zlib.Z_DEFAULT_STRATEGY, library)
    assert parts != whole
    assert zlib.decompress(parts) == data                 # also checks the Adler-32
    assert parts[:2] == whole[:2]                         # the header zlib would write
    assert len(parts) <= len(whole) * 1.01 + 16 * n_parts  # the window crosses each seam


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_a_large_stream_is_the_same_bytes_on_any_number_of_threads(rng, monkeypatch, threads):
    # A batch worker deflates on one thread, a single-file call on two: the same image
    # gave files a few bytes apart.
    data = _stream_data(rng)
    monkeypatch.setattr(encode, "_PARALLEL_MIN_BYTES", 1)
    monkeypatch.setattr(_threads, "_count", 2)
    two = encode._deflate(data, 8, zlib.Z_DEFAULT_STRATEGY)
    monkeypatch.setattr(_threads, "_count", threads)
    assert encode._deflate(data, 8, zlib.Z_DEFAULT_STRATEGY) == two


def test_a_large_image_deflated_in_parts_decodes_exactly(rng, monkeypatch):
    monkeypatch.setattr(encode, "_PARALLEL_MIN_BYTES", 1000)
    monkeypatch.setattr(_threads, "_count", 2)
    indices = np.repeat(rng.integers(0, 5, size=(120, 40), dtype=np.uint8), 3, axis=1)
    palette = rng.integers(0, 256, size=(5, 3), dtype=np.uint8)
    im = decode(encode_indexed_png(indices, palette, reorder=False, level=6))
    np.testing.assert_array_equal(np.asarray(im), indices)


def test_the_default_encode_uses_zlib_ng_and_falls_back_to_zlib(rng, monkeypatch):
    assert encode._zlib_ng is not None  # a dependency: installed with the package
    # Smooth bands of indices with noise, like a reduced photo's.
    indices = ((np.arange(300)[:, None] + np.arange(200)[None, :]) // 40
               + rng.integers(0, 2, (300, 200))).astype(np.uint8) % 12
    palette = rng.integers(0, 256, (12, 3), dtype=np.uint8)
    fast = encode_indexed_png(indices, palette, reorder=False)
    monkeypatch.setattr(encode, "_zlib_ng", None)
    plain = encode_indexed_png(indices, palette, reorder=False)
    assert fast != plain  # another compressor wrote the stream ...
    for data in (fast, plain):  # ... which decodes to the same image
        np.testing.assert_array_equal(np.asarray(decode(data)), indices)


def _text_like_page(rng):
    """Lines of 6 x 10 glyphs of a 20-glyph font on a flat page with wide margins: a
    screenshot's text, whose packed bytes mostly repeat the one before."""
    glyphs = (rng.random((20, 10, 6)) < 0.3) * rng.integers(1, 8, (20, 10, 6))
    page = np.zeros((210, 900), np.uint8)
    for top in range(0, 200, 24):
        for i, glyph in enumerate(rng.integers(0, 20, 30)):
            page[top:top + 10, 60 + 6 * i:66 + 6 * i] = glyphs[glyph]
    return page


def _bands(rng):
    """Smooth bands of indices with noise, like a reduced photo's (its bytes seldom repeat)."""
    return ((np.arange(300)[:, None] + np.arange(200)[None, :]) // 40
            + rng.integers(0, 3, (300, 200))).astype(np.uint8) % 16


@pytest.mark.parametrize("kind, k, levels", [("text", 16, [(9, 3), (9, 9)]),
                                             ("bands", 16, [(8, 9)]),
                                             ("bands", 129, [(8, 9), (9, 9)])])
def test_the_default_encode_tries_zlib_level_9_on_flat_rows_and_large_palettes(
        rng, monkeypatch, kind, k, levels):
    """On a screenshot's text, and with many entries, zlib-ng's level 9 is mostly smaller
    than its 8 (a code listing 13 %), and the smaller is kept; on a photo's indices at
    16 or 64 colours it gains about nothing for its time, and is not tried. Flat rows
    are deflated at level 9 in blocks of 16,384 and of 512 symbols (memLevel 9 and 3)
    instead of levels 8 and 9."""
    indices = _text_like_page(rng) if kind == "text" else _bands(rng)
    palette = rng.integers(0, 256, (k, 3), dtype=np.uint8)
    indices[0, :k] = np.arange(k)  # every entry used: the reorder keeps k of them
    tried = []
    deflate = encode._deflate

    def spy(data, level, strategy, library=zlib, **options):
        stream = deflate(data, level, strategy, library, **options)
        tried.append(((level, options["mem_level"]), stream))
        return stream

    monkeypatch.setattr(encode, "_deflate", spy)
    default = encode_indexed_png(indices, palette)
    assert sorted(level for level, _ in tried) == levels
    idat = min((stream for _, stream in tried), key=len)
    assert idat in default and all(len(idat) <= len(stream) for _, stream in tried)
    np.testing.assert_array_equal(np.asarray(decode(default).convert("RGB")), palette[indices])


def _text_and_chart(rng):
    """A flat page of two parts: lines of text (entries 1..7) on entry 0 over wide
    margins, then a bar chart (entries 8..15); 92 % of its bytes repeat the one before."""
    glyphs = (rng.random((20, 10, 6)) < 0.3) * rng.integers(1, 8, (20, 10, 6))
    page = np.zeros((240, 1500), np.uint8)
    for top in range(0, 120, 12):
        for i, glyph in enumerate(rng.integers(0, 20, 80)):
            page[top:top + 10, 60 + 6 * i:66 + 6 * i] = glyphs[glyph]
    for i, height in enumerate(rng.integers(10, 110, 40)):
        page[240 - height:, 20 + 14 * i:30 + 14 * i] = 8 + i % 8
    return page


def test_flat_rows_are_also_deflated_in_blocks_of_512_symbols(rng):
    """A deflate block's Huffman codes fit the symbols it holds: where a page's text and
    its chart get blocks of their own (memLevel 3, 512 symbols a block), the stream is
    smaller than zlib's level 8 or 9 in blocks of 16,384 symbols, and it is the one
    written; the pixels are the same."""
    indices = _text_and_chart(rng)
    palette = rng.integers(0, 256, (32, 3), dtype=np.uint8)  # 8 bits a pixel, as written
    rows = np.hstack([np.zeros((indices.shape[0], 1), np.uint8), indices]).tobytes()

    def stream(level, mem_level):
        compressor = (encode._zlib_ng or zlib).compressobj(level, zlib.DEFLATED,
                                                          zlib.MAX_WBITS, mem_level)
        return compressor.compress(rows) + compressor.flush()

    small = stream(9, 3)
    assert len(small) < min(len(stream(8, 9)), len(stream(9, 9)))
    data = encode_indexed_png(indices, palette, reorder=False)
    assert [body for _, kind, body in chunks_of(data) if kind == b"IDAT"] == [small]
    np.testing.assert_array_equal(np.asarray(decode(data)), indices)
    assert len(encode_indexed_png(indices, palette, reorder=False, optimize=True)) <= len(data)


@pytest.mark.parametrize("side, pooled", [(400, True), (200, False)])
def test_the_two_levels_of_a_small_stream_are_deflated_in_the_caller(
        rng, monkeypatch, side, pooled):
    """Starting the shared pool (its imports and a thread) cost a small image more than its
    second deflate: 10,200 bytes of rows (2 bits a pixel, flat) try level 9 at memLevels 9
    and 3 one after the other in the caller, 40,400 (from _POOL_MIN_BYTES = 32,768) on
    the pool; the bytes are the same."""
    indices = np.repeat(rng.integers(0, 4, (side, 1)), side, axis=1).astype(np.uint8)
    palette = rng.integers(0, 256, (4, 3), dtype=np.uint8)
    monkeypatch.setattr(_threads, "_count", 1)
    serial = encode_indexed_png(indices, palette, reorder=False)
    monkeypatch.setattr(_threads, "_count", 2)
    batches, levels = [], []
    run, deflate = _threads.run, encode._deflate
    monkeypatch.setattr(_threads, "run", lambda tasks: batches.append(len(tasks)) or run(tasks))
    monkeypatch.setattr(encode, "_deflate", lambda data, level, *rest, **options: levels.append(
        (len(data), level)) or deflate(data, level, *rest, **options))
    assert encode_indexed_png(indices, palette, reorder=False) == serial
    assert sorted(levels) == [(side * (side // 4 + 1), 9)] * 2
    assert batches == ([2] if pooled else [])


def test_indices_longer_than_a_png_holds_are_named_first(monkeypatch):
    """It said 'indices shape (2, 4) exceeds the PNG limit of ...'. The limit (2**31 - 1) is
    lowered to 3 here: an array past the real one would not fit in memory."""
    monkeypatch.setattr(encode, "_MAX_SIDE", 3)
    with pytest.raises(ValueError) as info:
        encode_indexed_png(np.zeros((2, 4), np.uint8), np.zeros((1, 3), np.uint8))
    assert str(info.value) == ("indices should have at most 3 pixels a side, the PNG limit, "
                               "got shape (2, 4)")


# --------------------------------------------------------------------------
# Still GIF
# --------------------------------------------------------------------------


@pytest.mark.parametrize("k, table, code_size", [(1, 2, 2), (2, 2, 2), (4, 4, 2), (5, 8, 3),
                                                 (16, 16, 4), (17, 32, 5), (256, 256, 8)])
def test_a_still_gif_has_the_smallest_table_and_codes_and_no_interlace(rng, k, table,
                                                                        code_size):
    # Pillow wrote 8-bit codes whatever the palette, and interlaced images of 16 pixels a side
    indices = rng.integers(0, k, (24, 20)).astype(np.uint8)
    indices[0, 0] = k - 1
    palette = rng.integers(0, 256, (k, 3)).astype(np.uint8)
    data = encode_indexed_gif(indices, palette)
    assert gif_blocks(data) == {"version": b"87a", "table": table, "extensions": [],
                                "images": [{"interlaced": False, "code_size": code_size}]}
    im = decode(data)
    assert np.array_equal(np.asarray(im), indices)
    assert np.array_equal(np.array(im.getpalette()[:3 * k]).reshape(k, 3), palette)


def test_a_still_gif_is_these_bytes():
    indices = np.array([[0, 1], [1, 2]], np.uint8)
    palette = np.array([[255, 0, 0], [0, 0, 255], [0, 0, 0]], np.uint8)
    data = encode_indexed_gif(indices, palette, transparent=2)
    assert data[:13] == b"GIF89a" + struct.pack("<HHBBB", 2, 2, 0xF1, 0, 0)
    assert data[13:25] == palette.tobytes() + bytes(3)  # padded to 4 entries
    assert data[25:33] == b"!\xf9\x04\x01\x00\x00\x02\x00"  # no delay, entry 2 transparent
    assert data[33:44] == b"," + struct.pack("<HHHHB", 0, 0, 2, 2, 0) + b"\x02"
    assert data[-2:] == b"\x00;"


def test_a_still_gif_keeps_its_transparent_entry():
    indices = np.array([[0, 1, 2, 1]], np.uint8)
    palette = np.array([[10, 20, 30], [40, 50, 60], [0, 0, 0]], np.uint8)
    data = encode_indexed_gif(indices, palette, transparent=2)
    assert gif_blocks(data)["extensions"] == [0xF9] and data[:6] == b"GIF89a"
    im = decode(data)
    assert im.info["transparency"] == 2
    assert np.array(im.convert("RGBA"))[0, :, 3].tolist() == [255, 255, 0, 255]


def test_a_still_gif_keeps_a_loop_count_and_delay():
    data = encode_indexed_gif(np.zeros((2, 2), np.uint8), np.zeros((1, 3), np.uint8),
                              loop=3, duration=70)
    assert gif_blocks(data)["extensions"] == [0xFF, 0xF9]
    im = decode(data)
    assert (im.info["loop"], im.info["duration"]) == (3, 70)


@pytest.mark.parametrize("args, error, message", [
    ({"transparent": 3}, ValueError, "transparent=3 should be <= 2"),
    ({"transparent": 1.0}, TypeError, "transparent=1.0 should be an integer"),
    ({"loop": 65536}, ValueError, "loop=65536 should be <= 65535"),
    ({"duration": -1}, ValueError, "duration=-1 should be from 0 to 655,350 ms"),
    ({"duration": "1"}, TypeError, "duration='1' should be a number of ms, got str"),
    ({"indices": np.zeros((1, 65536), np.uint8)}, ValueError,
     "indices should have at most 65535 pixels a side, the GIF limit"),
    ({"indices": np.full((1, 1), 3, np.uint8)}, ValueError, "indices should be < the palette"),
])
def test_a_still_gif_refuses_bad_arguments(args, error, message):
    given = {"indices": np.zeros((1, 1), np.uint8), "palette": np.zeros((3, 3), np.uint8),
             **args}
    with pytest.raises(error, match="^" + re.escape(message)):
        encode_indexed_gif(**given)


# --------------------------------------------------------------------------
# Grey PNG
# --------------------------------------------------------------------------


@pytest.mark.parametrize(("levels", "depth"), [([0, 255], 1), ([0, 85, 170, 255], 2),
                                               ([0, 17, 102, 255], 4), ([0, 16, 255], 8),
                                               (list(range(256)), 8)])
@pytest.mark.parametrize("optimize", [False, True])
def test_a_grey_png_decodes_to_its_levels_at_the_fewest_bits(levels, depth, optimize, rng):
    grey = rng.choice(np.array(levels, np.uint8), (7, 13))
    data = encode_gray_png(grey, optimize=optimize)
    chunks = {kind: body for _, kind, body in chunks_of(data)}
    assert chunks[b"IHDR"][8:10] == bytes([depth, 0])  # bit depth, colour type grey
    assert b"PLTE" not in chunks
    with Image.open(io.BytesIO(data)) as im:
        assert np.array_equal(np.asarray(im.convert("L")), grey)


def test_a_grey_png_of_many_levels_is_smaller_than_its_unfiltered_rows():
    ramp = np.add.outer(np.arange(128), np.arange(128)).astype(np.uint8)  # 255 levels
    data = encode_gray_png(ramp)
    unfiltered = encode._idat(ramp, False, encode.DEFAULT_LEVEL, 256)
    idat = {kind: body for _, kind, body in chunks_of(data)}[b"IDAT"]
    assert len(idat) < len(unfiltered)  # a smooth ramp: the filtered rows are smaller
    with Image.open(io.BytesIO(data)) as im:
        assert np.array_equal(np.asarray(im), ramp)


def test_a_grey_png_holds_its_resolution_and_profile():
    from PIL import ImageCms

    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("LAB")).tobytes()
    data = encode_gray_png(np.zeros((2, 2), np.uint8), dpi=(300, 300), icc=icc)
    with Image.open(io.BytesIO(data)) as im:
        assert im.info["icc_profile"] == icc
        assert im.info["dpi"] == pytest.approx((300, 300), abs=0.01)


@pytest.mark.parametrize(("gray", "kwargs", "error", "match"), [
    (np.zeros((2, 2), np.uint16), {}, TypeError, "gray should be a uint8 array"),
    (np.zeros((2, 2, 1), np.uint8), {}, ValueError, "gray should be a non-empty \\(H, W\\)"),
    (np.zeros((0, 2), np.uint8), {}, ValueError, "gray should be a non-empty"),
    (np.zeros((2, 2), np.uint8), {"icc": "x"}, TypeError, "icc should be bytes or None"),
    (np.zeros((2, 2), np.uint8), {"level": 0}, ValueError, "level"),
])
def test_a_grey_png_refuses_bad_parameters(gray, kwargs, error, match):
    with pytest.raises(error, match=match):
        encode_gray_png(gray, **kwargs)


# --------------------------------------------------------------------------
# TIFF pages
# --------------------------------------------------------------------------


@pytest.mark.parametrize(("entries", "gray", "mode", "bits", "photometric"), [
    ([[0, 0, 0], [255, 255, 255]], False, "1", (1,), 1),  # bilevel, Group 4
    ([[37, 37, 37], [219, 219, 219]], True, "P", (1,), 3),  # two levels: a colour map
    ([[20, 20, 120], [250, 248, 240]], False, "P", (1,), 3),
    ([[10, 10, 10], [100, 100, 100], [240, 240, 240]], True, "L", (8,), 1),  # grey page
    ([[10, 10, 10], [100, 100, 100], [240, 240, 240]], False, "P", (8,), 3),  # not grey input
    ([[10, 10, 10], [100, 90, 100], [240, 240, 240]], True, "P", (8,), 3),  # a tinted entry
])
def test_a_tiff_page_takes_the_fewest_bits_its_palette_allows(entries, gray, mode, bits,
                                                              photometric):
    table = np.array(entries, np.uint8)
    indices = np.arange(24, dtype=np.uint8).reshape(4, 6) % len(entries)
    page = Image.fromarray(indices, mode="P")
    page.putpalette(table.ravel().tolist())
    image, options = tiff_page(page, gray)
    fp = io.BytesIO()
    image.save(fp, format="TIFF", dpi=(72, 72), **options)
    with Image.open(fp) as im:
        assert (im.mode, im.tag_v2.get(258, (1,)), im.tag_v2[262]) == (mode, bits, photometric)
        assert np.array_equal(np.asarray(im.convert("RGB")), table[indices])
