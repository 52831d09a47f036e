"""quantize.animation.frames: frames read one at a time with their timing; the pixel limit."""

from __future__ import annotations

import os
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from quantize.animation import (
    PAGE_DURATION_MS,
    FirstFrameWarning,
    UntimedFramesWarning,
    count_frames,
    iter_frames,
    probe_animation,
    reduce_animation_file,
)
from quantize.animation import frames as frames_module
from quantize.errors import ImageReadError
from quantize.io import TransparentColorWarning, as_rgba, load_image, probe_image
from quantize.reduce import ColorCountWarning, reduce_file

from .animation_support import composited, moving_square, save_animation
from .corpus.generate import linear_rgb_icc, png_of_chunks


def test_frames_are_streamed_with_timing(tmp_path):
    src = save_animation(tmp_path / "in.gif", moving_square(), duration=[40, 80, 120], loop=0)
    frames = iter_frames(src)
    first = next(frames)
    assert first.rgba.shape == (16, 16, 4) and first.duration == 40
    assert [f.duration for f in frames] == [80, 120]


def test_reading_frames_leaves_the_warning_filters_alone(tmp_path, monkeypatch):
    """The frames were read inside warnings.catch_warnings(), which swaps the process's one
    list of filters: another thread's warnings were silenced or its filters lost meanwhile.
    Pillow's decompression-bomb guard is lifted instead (max_pixels checks the size)."""
    import warnings

    src = save_animation(tmp_path / "in.gif", moving_square(), duration=50)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 64)  # 16 x 16 frames: over Pillow's guard
    before = list(warnings.filters)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a DecompressionBombWarning would raise
        filters = list(warnings.filters)
        seen = [list(warnings.filters) == filters for _ in iter_frames(src, max_pixels=None)]
    assert seen and all(seen)
    assert warnings.filters == before and Image.MAX_IMAGE_PIXELS == 64


@pytest.mark.parametrize("read", [lambda path: list(iter_frames(path)), probe_animation,
                                  count_frames, probe_image])
@pytest.mark.parametrize(("path", "got"), [(None, "NoneType"), (b"a.gif", "bytes"),
                                           (np.zeros((2, 2, 3), np.uint8), "ndarray")])
def test_a_path_that_is_no_file_name_is_refused_naming_path(read, path, got):
    """They failed inside pathlib: "expected str, bytes or os.PathLike object, not
    NoneType", naming no parameter, and for bytes "argument should be a str object"."""
    with pytest.raises(TypeError, match=rf"^path should be a path \(str or os\.PathLike\), "
                       rf"got {got}$"):
        read(path)


def test_pixel_limit_counts_every_frame(tmp_path):
    src = save_animation(tmp_path / "in.gif", moving_square(3, size=10), duration=50)
    assert probe_animation(src, max_pixels=300).n_frames == 3
    with pytest.raises(ImageReadError, match=r"3 frames of 10x10 = 300 pixels exceeds the limit "
                                             r"of 299; if the file is trusted, set "
                                             r"max_pixels=300 or more") as err:
        reduce_animation_file(src, tmp_path / "out.gif", max_pixels=299)
    assert "in.gif" in str(err.value) and "\n" not in str(err.value)
    assert not (tmp_path / "out.gif").exists()


def test_an_apng_default_image_is_not_a_frame(tmp_path):
    # A PNG viewer without APNG support shows the default image; APNG players never
    # do. It was reduced as a first frame of its own (duration 0), so the output
    # animation flashed it, and its colours took palette entries.
    colours = [(255, 255, 255), (200, 0, 0), (0, 200, 0), (0, 0, 200)]
    images = [Image.fromarray(np.full((4, 4, 3), c, np.uint8)) for c in colours]
    src = tmp_path / "in.png"
    images[0].save(src, save_all=True, append_images=images[1:], duration=[0, 70, 80, 90],
                   loop=0, default_image=True)
    assert count_frames(src) == 3 and probe_animation(src).n_frames == 3
    frames = list(iter_frames(src))
    assert [tuple(f.rgba[0, 0, :3]) for f in frames] == colours[1:]
    out = tmp_path / "out.gif"
    record = reduce_animation_file(src, out, n_colors=3)
    assert record["frames"] == 3 and record["delta_e"] == 0.0
    assert [tuple(f[0, 0, :3]) for f in composited(out)] == colours[1:]


def _pages(path, colours, sizes=None):
    sizes = sizes or [(6, 4)] * len(colours)
    images = [Image.fromarray(np.full((h, w, 3), c, np.uint8))
              for c, (w, h) in zip(colours, sizes, strict=True)]
    images[0].save(path, save_all=True, append_images=images[1:])
    return path


def _apng_timing(path):
    with Image.open(path) as im:
        durations = []
        for i in range(im.n_frames):
            im.seek(i)
            durations.append(im.info["duration"])
        return durations, im.info.get("loop")


def test_the_pages_of_a_tiff_are_shown_a_second_each_looping_forever(tmp_path):
    # TIFF pages carry no duration: they were given 0 ms, and the APNG flashed through them.
    colours = [(200, 0, 0), (0, 200, 0), (0, 0, 200)]
    src = _pages(tmp_path / "scan.tif", colours)
    info = probe_animation(src)
    assert (info.n_frames, info.timed, info.plays) == (3, False, 0)
    assert [f.duration for f in iter_frames(src)] == [PAGE_DURATION_MS] * 3 == [1000.0] * 3
    out = tmp_path / "scan.png"
    with pytest.warns(UntimedFramesWarning, match=r"^TIFF of 3 pages, which have no duration: "
                      r"written as an animation showing each page for 1 s, looping forever$"):
        record = reduce_animation_file(src, out, n_colors=3)
    assert record["frames"] == 3
    assert _apng_timing(out) == ([1000.0] * 3, 0)
    assert [tuple(f[0, 0, :3]) for f in composited(out)] == colours


def test_a_timed_animation_gives_no_untimed_warning(tmp_path, recwarn):
    src = save_animation(tmp_path / "in.gif", moving_square(3), duration=50)
    assert probe_animation(src).timed
    reduce_animation_file(src, tmp_path / "out.png", n_colors=4)
    assert not [w for w in recwarn if w.category is UntimedFramesWarning]


def test_the_pages_of_a_sixteen_bit_tiff_are_scaled_as_a_still_image_is(tmp_path):
    """Each page was converted by Pillow's RGBA conversion, which clips 16-bit values:
    a 16-bit TIFF stack came out all white."""
    pages = [np.linspace(0, 65535, 12, dtype=np.uint16).reshape(3, 4) // d for d in (1, 2)]
    Image.fromarray(pages[0]).save(tmp_path / "stack.tif", save_all=True,
                                   append_images=[Image.fromarray(pages[1])])
    for frame, page in zip(iter_frames(tmp_path / "stack.tif"), pages, strict=True):
        expected = np.rint(page / 257.0).astype(np.uint8)
        np.testing.assert_array_equal(frame.rgba, np.dstack([expected] * 3 + [
            np.full_like(expected, 255)]))


@pytest.mark.parametrize("suffix", [".png", ".webp"])
def test_the_frames_of_an_animation_with_a_colour_profile_are_converted_to_srgb(tmp_path,
                                                                                 suffix):
    """The profile was left out: linear 128 stayed 128, where viewers show 188."""
    frames = [Image.new("RGB", (4, 4), (v, v, v)) for v in (128, 255)]
    src = tmp_path / f"anim{suffix}"
    frames[0].save(src, save_all=True, append_images=frames[1:], duration=100,
                   icc_profile=linear_rgb_icc(), lossless=True)
    assert [f.rgba[0, 0].tolist() for f in iter_frames(src)] == [[188, 188, 188, 255],
                                                                 [255, 255, 255, 255]]


def test_a_tiff_whose_pages_differ_in_size_is_read_as_its_first_page(tmp_path):
    # A page and its thumbnail are not frames of one picture: reducing them as an
    # animation failed with "operands could not be broadcast together".
    src = _pages(tmp_path / "thumb.tif", [(200, 0, 0), (0, 200, 0)], [(6, 4), (3, 2)])
    assert count_frames(src) == 1
    assert [f.rgba.shape for f in iter_frames(src)] == [(4, 6, 4)]
    with pytest.warns(ColorCountWarning, match="only 1 distinct colour"):
        record = reduce_file(src, tmp_path / "thumb.png", n_colors=2)
    assert record["k"] == 1
    with Image.open(tmp_path / "thumb.png") as im:
        assert (im.size, getattr(im, "n_frames", 1)) == ((6, 4), 1)


def test_a_jpeg_holding_more_images_is_read_as_its_first_image(tmp_path):
    # MPO: a camera's JPEG with a preview or a stereo pair's second view. Viewers show
    # the first image; it was reduced as a two-frame animation of 0 ms frames.
    src = tmp_path / "camera.jpg"
    first, second = (Image.new("RGB", (8, 6), c) for c in ((200, 0, 0), (0, 0, 200)))
    first.save(src, format="MPO", save_all=True, append_images=[second])
    with Image.open(src) as im:
        assert (im.format, im.n_frames) == ("MPO", 2)
    assert count_frames(src) == 1 and load_image(src).n_frames == 1
    out = tmp_path / "camera.png"
    with pytest.warns(ColorCountWarning, match="only 1 distinct colour"):  # the red view alone
        reduce_file(src, out, n_colors=2)
    with Image.open(out) as im:
        assert getattr(im, "n_frames", 1) == 1


# PNG bit depth, colour type and sample type of the keyed APNGs below.
_KEYED_KINDS = {"RGB16": (16, 2, ">u2"), "RGB": (8, 2, "u1"), "L": (8, 0, "u1"),
                "L16": (16, 0, ">u2")}


def _keyed_apng(path, kind: str, key, other, default_image: bool = False):
    """A 3x1 APNG of ``kind`` whose tRNS chunk makes ``key`` transparent, of four frames
    of ``key``, ``other`` and a colour next to the key (of the same high bytes) that use
    every disposal (none, clear, back) and both blends (replace, over); with
    ``default_image``, a black image before them that is not one of the frames."""
    depth, colour_type, sample = _KEYED_KINDS[kind]
    near = (key[0] + 1, *key[1:]) if isinstance(key, tuple) else key + 1
    frames = [  # pixels, x, disposal, blend
        ([key, near, other], 0, 0, 0),
        ([other, key], 1, 1, 1),   # over: its key pixel leaves the colour below; then cleared
        ([near, key], 0, 2, 0),    # replace: its key pixel clears; then put back
        ([other], 2, 0, 1),
    ]

    def rows(pixels):
        return b"\0" + np.array(pixels, sample).tobytes()

    keys = key if isinstance(key, tuple) else (key,)
    chunks = [(b"IHDR", struct.pack(">IIBBBBB", 3, 1, depth, colour_type, 0, 0, 0)),
              (b"acTL", struct.pack(">II", len(frames), 0)),
              (b"tRNS", struct.pack(f">{len(keys)}H", *keys))]
    if default_image:
        chunks.append((b"IDAT", zlib.compress(rows([0 * np.array(key)] * 3))))
    seq = 0
    for i, (pixels, x, disposal, blend) in enumerate(frames):
        chunks.append((b"fcTL", struct.pack(">IIIIIHHBB", seq, len(pixels), 1, x, 0, 1, 10,
                                            disposal, blend)))
        data = zlib.compress(rows(pixels))
        in_idat = i == 0 and not default_image
        chunks.append((b"IDAT", data) if in_idat else
                      (b"fdAT", struct.pack(">I", seq + 1) + data))
        seq += 1 if in_idat else 2
    path.write_bytes(png_of_chunks([*chunks, (b"IEND", b"")]))
    return path


def _keyed_16_bit_apng(path, key: tuple[int, int, int], default_image: bool = False):
    return _keyed_apng(path, "RGB16", key, (0, 0, 65535), default_image)


@pytest.mark.parametrize("default_image", [False, True])
def test_the_transparent_colour_of_a_16_bit_rgb_apng_is_alpha_in_every_frame(tmp_path,
                                                                              default_image):
    """Pillow composites such frames at 8 bits and matches the 16-bit key against them:
    the transparent colour came out opaque in every frame, and in the first one that
    load_image reads when it follows a default image (the first image of the file it
    read right)."""
    src = _keyed_16_bit_apng(tmp_path / "k.png", (20000, 300, 65535), default_image)
    key, near, blue, clear = [78, 1, 255, 0], [78, 1, 255, 255], [0, 0, 255, 255], [0] * 4
    got = [frame.rgba.tolist() for frame in iter_frames(src)]
    assert got == [[[key, near, blue]],
                   [[key, blue, blue]],
                   [[near, key, clear]],
                   [[key, clear, blue]]]
    first = load_image(src)
    assert first.n_frames == 4
    np.testing.assert_array_equal(first.alpha, [[0, 255, 255]])
    np.testing.assert_array_equal(first.rgb, [[key[:3], near[:3], blue[:3]]])


@pytest.mark.parametrize(("kind", "key", "other", "shown"), [
    ("RGB", (200, 30, 90), (0, 0, 255), [[200, 30, 90], [201, 30, 90], [0, 0, 255]]),
    ("L", 7, 200, [[7] * 3, [8] * 3, [200] * 3]),
    ("L16", 700, 60000, [[3] * 3, [3] * 3, [233] * 3]),
])
def test_the_frames_of_an_apng_with_a_transparent_colour_are_composited_with_it(
        tmp_path, kind, key, other, shown):
    """Pillow composites such frames on a canvas without alpha: what a frame's disposal
    cleared came out opaque black, and a grayscale frame drawn over the canvas covered it
    with its transparent pixels instead of letting it show. A 16-bit grayscale one failed:
    'cannot decode image (conversion from I;16 to RGBA not supported)'."""
    src = _keyed_apng(tmp_path / "k.png", kind, key, other)
    key, near, other = [*shown[0], 0], [*shown[1], 255], [*shown[2], 255]
    clear = [0] * 4
    got = [frame.rgba.tolist() for frame in iter_frames(src)]
    assert got == [[[key, near, other]],
                   [[key, other, other]],
                   [[near, key, clear]],
                   [[key, clear, other]]]


@pytest.mark.parametrize(("kind", "key", "value", "hidden", "value_rgb"), [
    ("L", 7, 50, 100, [50] * 3),
    ("RGB", (1, 2, 3), (50, 60, 70), (100, 100, 100), [50, 60, 70]),
    ("L16", 700, 12850, 25700, [50] * 3),
])
def test_the_first_frame_after_a_default_image_starts_on_a_transparent_canvas(
        tmp_path, kind, key, value, hidden, value_rgb):
    """An APNG with a transparent colour whose default image is not one of its frames:
    load_image drew the first frame over that image, as Pillow does, and it showed where
    the frame does not reach, and through its transparent pixel, which blends over the
    canvas (a 16-bit grayscale one failed)."""
    depth, colour_type, sample = _KEYED_KINDS[kind]

    def row(pixels) -> bytes:
        return b"\0" + np.array(pixels, sample).tobytes()

    def frame(seq: int, pixels, x: int) -> list[tuple[bytes, bytes]]:
        control = struct.pack(">IIIIIHHBB", seq, len(pixels), 1, x, 0, 1, 10, 0, 1)
        return [(b"fcTL", control), (b"fdAT", struct.pack(">I", seq + 1) + zlib.compress(
            row(pixels)))]

    keys = key if isinstance(key, tuple) else (key,)
    src = tmp_path / "k.png"
    src.write_bytes(png_of_chunks([
        (b"IHDR", struct.pack(">IIBBBBB", 3, 1, depth, colour_type, 0, 0, 0)),
        (b"acTL", struct.pack(">II", 2, 0)), (b"tRNS", struct.pack(f">{len(keys)}H", *keys)),
        (b"IDAT", zlib.compress(row([hidden] * 3))),
        *frame(0, [value, key], 0), *frame(2, [value], 2), (b"IEND", b"")]))
    first = load_image(src)
    assert first.n_frames == 2
    np.testing.assert_array_equal(first.rgb, [[value_rgb, [0] * 3, [0] * 3]])
    np.testing.assert_array_equal(first.alpha, [[255, 0, 0]])
    frames = [frame.rgba for frame in iter_frames(src)]
    np.testing.assert_array_equal(frames[0], np.dstack([first.rgb, first.alpha]))


def test_a_16_bit_grayscale_apng_without_a_transparent_value_is_read(tmp_path):
    """A frame drawn over the canvas failed: 'cannot decode image (conversion from I;16 to
    RGBA not supported)'. Its frames are scaled as load_image scales the first, which
    leaves a 16-bit grayscale image's gAMA as stored."""
    def frame(seq: int, values: list[int], x: int, blend: int) -> list[tuple[bytes, bytes]]:
        control = struct.pack(">IIIIIHHBB", seq, len(values), 1, x, 0, 1, 10, 0, blend)
        data = zlib.compress(b"\0" + np.array(values, ">u2").tobytes())
        return [(b"fcTL", control),
                (b"IDAT", data) if seq == 0 else (b"fdAT", struct.pack(">I", seq + 1) + data)]

    src = tmp_path / "gray16.png"
    src.write_bytes(png_of_chunks([
        (b"IHDR", struct.pack(">IIBBBBB", 2, 1, 16, 0, 0, 0, 0)), (b"gAMA", struct.pack(
            ">I", 100_000)), (b"acTL", struct.pack(">II", 2, 0)),
        *frame(0, [1000, 50000], 0, 0), *frame(1, [30000], 1, 1), (b"IEND", b"")]))
    got = [f.rgba.tolist() for f in iter_frames(src)]
    assert got == [[[[4] * 3 + [255], [195] * 3 + [255]]], [[[4] * 3 + [255], [117] * 3 + [255]]]]
    first = load_image(src)
    assert first.alpha is None
    np.testing.assert_array_equal(first.rgb, np.array(got[0])[:, :, :3])


def test_the_low_bytes_of_a_16_bit_rgb_apng_come_from_the_file_opened(tmp_path, monkeypatch):
    """They were read by opening the path again: a file put in its place meanwhile (a
    download or a sync replacing it) gave its low bytes to the pixels of the first, and its
    transparent colour came out opaque, without a word."""
    src = _keyed_16_bit_apng(tmp_path / "k.png", (20000, 300, 65535))
    expected = [frame.rgba.tolist() for frame in iter_frames(src)]
    other = _keyed_16_bit_apng(tmp_path / "other.png", (20001, 300, 65535))
    check = frames_module.check_png_chunks

    def replaced_once_opened(im, path):
        os.replace(other, src)
        check(im, path)

    monkeypatch.setattr(frames_module, "check_png_chunks", replaced_once_opened)
    assert [frame.rgba.tolist() for frame in iter_frames(src)] == expected
    assert expected[0][0][0] == [78, 1, 255, 0]


def test_a_later_frame_of_a_16_bit_rgb_apng_given_as_a_pil_image_is_composited(tmp_path):
    """Only the first frame shown is drawn on a canvas of its own; a later one is the
    picture Pillow composites, its transparent colour matched on the high bytes."""
    src = _keyed_16_bit_apng(tmp_path / "k.png", (20000, 300, 65535))
    with Image.open(src) as opened:
        opened.seek(1)
        with pytest.warns(FirstFrameWarning), pytest.warns(TransparentColorWarning):
            rgb, alpha = as_rgba(opened)
    np.testing.assert_array_equal(rgb, [[[78, 1, 255], [0, 0, 255], [78, 1, 255]]])
    np.testing.assert_array_equal(alpha, [[0, 255, 0]])


def _apng(path, depth: int, colour_type: int, frames, hidden=None, chunks=(), sample="u1"):
    """A 3x1 APNG of ``frames`` (pixels, x, dispose_op, blend_op), after the ``chunks``
    (PLTE, tRNS); with ``hidden``, the pixels of a default image that is not a frame."""
    def row(pixels) -> bytes:
        return b"\0" + np.array(pixels, sample).tobytes()

    out = [(b"IHDR", struct.pack(">IIBBBBB", 3, 1, depth, colour_type, 0, 0, 0)),
           (b"acTL", struct.pack(">II", len(frames), 0)), *chunks]
    if hidden is not None:
        out.append((b"IDAT", zlib.compress(row(hidden))))
    seq = 0
    for i, (pixels, x, dispose, blend) in enumerate(frames):
        out.append((b"fcTL", struct.pack(">IIIIIHHBB", seq, len(pixels), 1, x, 0, 1, 10,
                                         dispose, blend)))
        in_idat = i == 0 and hidden is None
        data = zlib.compress(row(pixels))
        out.append((b"IDAT", data) if in_idat else (b"fdAT", struct.pack(">I", seq + 1) + data))
        seq += 1 if in_idat else 2
    path.write_bytes(png_of_chunks([*out, (b"IEND", b"")]))
    return path


@pytest.mark.parametrize(("colour_type", "value", "other", "hidden"), [
    (2, [50, 60, 70], [9, 8, 7], [100, 100, 100]),
    (0, 50, 9, 100),
])
def test_what_a_grey_or_rgb_apng_clears_is_transparent(tmp_path, colour_type, value, other,
                                                       hidden):
    """Pillow composites a grey or RGB APNG on a canvas without alpha: where the first frame
    after a hidden default image does not reach, and what a frame's disposal clears, came
    out opaque black; the APNG specification shows them fully transparent."""
    src = _apng(tmp_path / "a.png", 8, colour_type, [([value] * 2, 0, 1, 1), ([other], 2, 0, 0)],
                hidden=[hidden] * 3)
    rgb = value if colour_type == 2 else [value] * 3
    ink = other if colour_type == 2 else [other] * 3
    first = load_image(src)
    np.testing.assert_array_equal(first.rgb, [[rgb, rgb, [0] * 3]])
    np.testing.assert_array_equal(first.alpha, [[255, 255, 0]])
    clear = [0] * 4
    assert [f.rgba.tolist() for f in iter_frames(src)] == [[[[*rgb, 255], [*rgb, 255], clear]],
                                                           [[clear, clear, [*ink, 255]]]]
    for out in (tmp_path / "out.gif", tmp_path / "out.png"):  # the outputs keep it
        reduce_animation_file(src, out, n_colors=2)
        assert [f[0, :, 3].tolist() for f in composited(out)] == [[255, 255, 0], [0, 0, 255]]


@pytest.mark.parametrize("mode", ["RGB", "L", "P", "RGBA", "LA"])
def test_an_apng_that_clears_nothing_reads_as_pillow_composites_it(tmp_path, mode):
    """Frames that leave nothing transparent come out as before: opaque, Pillow's pixels."""
    rng = np.random.default_rng(0)
    src = tmp_path / "a.png"
    images = [Image.fromarray(rng.integers(0, 256, (3, 4, 3), np.uint8)) for _ in range(3)]
    images[1].paste((1, 2, 3), (0, 0, 2, 2))  # the second frame is stored 2x2
    images = [im.convert(mode) for im in images]
    images[0].save(src, save_all=True, append_images=images[1:], duration=50,
                   disposal=[0, 2, 0], blend=[0, 1, 0])
    got = [f.rgba for f in iter_frames(src)]
    assert len(got) == 3 and all(np.array_equal(f, np.array(im.convert("RGBA")))
                                 for f, im in zip(got, images, strict=True))
    assert all(np.array_equal(f, c) for f, c in zip(got, composited(src), strict=True))
    assert load_image(src).alpha is None


@pytest.mark.parametrize(("key", "expected"), [
    (None, [[[[255] * 4, [0, 0, 0, 255], [255] * 4]], [[[0] * 4, [255] * 4, [0] * 4]]]),
    (1, [[[[255, 255, 255, 0], [0, 0, 0, 255], [255, 255, 255, 0]]], [[[0] * 4] * 3]]),
])
def test_a_1_bit_grey_apng_is_composited_with_its_transparent_value(tmp_path, key, expected):
    """Its first frame kept white, the transparent value, opaque (load_image made it
    transparent), and what a disposal cleared came out as Pillow cleared it."""
    def frame(seq: int, bits: int, width: int, x: int, dispose: int, blend: int):
        data = zlib.compress(bytes([0, bits]))
        return [(b"fcTL", struct.pack(">IIIIIHHBB", seq, width, 1, x, 0, 1, 10, dispose, blend)),
                (b"IDAT", data) if seq == 0 else (b"fdAT", struct.pack(">I", seq + 1) + data)]

    trns = [] if key is None else [(b"tRNS", struct.pack(">H", key))]
    src = tmp_path / "bits.png"
    src.write_bytes(png_of_chunks([
        (b"IHDR", struct.pack(">IIBBBBB", 3, 1, 1, 0, 0, 0, 0)),
        (b"acTL", struct.pack(">II", 2, 0)), *trns,
        *frame(0, 0b1010_0000, 3, 0, 1, 0), *frame(1, 0b1000_0000, 1, 1, 0, 1),
        (b"IEND", b"")]))
    assert [f.rgba.tolist() for f in iter_frames(src)] == expected
    first = load_image(src)
    assert (None if first.alpha is None else first.alpha.tolist()) == (
        None if key is None else [[0, 255, 0]])


_PLTE = (b"PLTE", bytes([200, 0, 0, 0, 200, 0, 0, 0, 200, 10, 10, 10]))
_RED, _GREEN, _BLUE, _CLEAR = [200, 0, 0, 255], [0, 200, 0, 255], [0, 0, 200, 255], [0] * 4


@pytest.mark.parametrize(("trns", "second"), [
    ([], [[_CLEAR, _CLEAR, _BLUE]]),
    # entry 3 is (10, 10, 10) at alpha 128: over the cleared canvas, drawn as it is
    ([(b"tRNS", bytes([255, 255, 255, 128]))],
     [[_CLEAR, [10, 10, 10, 128], [10, 10, 10, 128]]]),
])
def test_what_a_palette_apng_clears_is_transparent(tmp_path, trns, second):
    """Pillow cleared a palette APNG's canvas to entry 0, an opaque red here; and it blended
    the indices of a translucent entry with those below (entry 3 at alpha 128 over
    entry 0 gave entry 2, opaque blue)."""
    frames = [([1, 1, 1], 0, 1, 0), ([2], 2, 0, 0) if not trns else ([3, 3], 1, 0, 1)]
    src = _apng(tmp_path / "p.png", 8, 3, frames, chunks=[_PLTE, *trns])
    assert [f.rgba.tolist() for f in iter_frames(src)] == [[[_GREEN] * 3], second]


def test_a_palette_apngs_first_frame_after_its_default_image_starts_clear(tmp_path):
    src = _apng(tmp_path / "p.png", 8, 3, [([1, 1], 0, 0, 0), ([2], 2, 0, 0)],
                hidden=[0, 0, 0], chunks=[_PLTE])
    first = load_image(src)
    np.testing.assert_array_equal(first.rgb, [[_GREEN[:3], _GREEN[:3], [0] * 3]])
    np.testing.assert_array_equal(first.alpha, [[255, 255, 0]])
    assert [f.rgba.tolist() for f in iter_frames(src)] == [[[_GREEN, _GREEN, _CLEAR]],
                                                           [[_GREEN, _GREEN, _BLUE]]]


@pytest.mark.parametrize(("colour_type", "below", "above", "shown"), [
    # (0, 0, 255) at alpha 128 over opaque red, red at alpha 100 and a transparent pixel
    (6, [[200, 0, 0, 255], [200, 0, 0, 100], [0, 0, 0, 0]], [[0, 0, 255, 128]] * 3,
     [[100, 0, 128, 255], [56, 0, 184, 178], [0, 0, 255, 128]]),
    (4, [[200, 255], [200, 100], [0, 0]], [[0, 128]] * 3,
     [[100, 100, 100, 255], [56, 56, 56, 178], [0, 0, 0, 128]]),
])
def test_a_translucent_frame_blends_over_the_canvas_as_the_png_specification_says(
        tmp_path, colour_type, below, above, shown):
    """Pillow blended the alpha too as if it were a colour: half-transparent blue over
    opaque red came out at alpha 191 instead of opaque, and over a transparent pixel at
    half its own colour and alpha. Expected, with a = 128/255 over alpha b:
    alpha a + b(1 - a), colour (above a + below b(1 - a)) / that alpha."""
    src = _apng(tmp_path / "a.png", 8, colour_type, [(below, 0, 0, 0), (above, 0, 0, 1)])
    assert [f.rgba[0].tolist() for f in iter_frames(src)][1] == shown


@pytest.mark.parametrize(("colour_type", "pixel", "shown"), [
    (6, [1, 2, 3, 255], [1, 2, 3, 255]), (2, [1, 2, 3], [1, 2, 3, 255]),
    (0, 7, [7, 7, 7, 255]),
])
def test_a_first_frame_disposed_to_previous_is_cleared(tmp_path, colour_type, pixel, shown):
    """The APNG specification: dispose_op PREVIOUS on the first frame is BACKGROUND."""
    src = _apng(tmp_path / "a.png", 8, colour_type, [([pixel] * 3, 0, 2, 0), ([pixel], 2, 0, 0)])
    assert [f.rgba[0].tolist() for f in iter_frames(src)] == [[shown] * 3,
                                                              [[0] * 4, [0] * 4, shown]]


@pytest.mark.parametrize(("colour_type", "chunks", "pixels", "hidden"), [
    (2, [], [[50, 60, 70], [1, 2, 3]], [100, 100, 100]),
    (0, [], [50, 60], 100),
    (3, [_PLTE], [1, 3], 0),
    (6, [], [[50, 60, 70, 255], [1, 2, 3, 128]], [100, 100, 100, 255]),
])
def test_a_pil_image_at_the_first_frame_after_a_default_image_reads_as_iter_frames(
        tmp_path, colour_type, chunks, pixels, hidden):
    """Moved there by the caller (seek(1)), not yet decoded: a grey, RGB or palette one was
    drawn by Pillow over the default image, which showed where the frame does not reach."""
    src = _apng(tmp_path / "a.png", 8, colour_type, [(pixels, 0, 0, 1), (pixels[:1], 2, 0, 0)],
                hidden=[hidden] * 3, chunks=chunks)
    first = next(iter_frames(src)).rgba
    assert first[0, 2].tolist() == [0] * 4
    with Image.open(src) as opened, pytest.warns(FirstFrameWarning):
        opened.seek(1)
        rgb, alpha = as_rgba(opened)
    np.testing.assert_array_equal(np.dstack([rgb, alpha]), first)
