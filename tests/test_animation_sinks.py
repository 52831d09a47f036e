"""quantize.animation.sinks: one writer per output format, chosen by the extension."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageSequence, TiffImagePlugin

from quantize.animation import sinks
from quantize.animation.gif import GifWriter
from quantize.animation.sinks import open_sink
from quantize.png import chunks_of

from .animation_support import pillow_apng

PALETTE = np.array([[0, 0, 0], [255, 255, 255], [200, 30, 30]], np.uint8)
FRAMES = [np.array([[0, 1, 2]], np.uint8), np.array([[2, 1, 0]], np.uint8)]


def sink_bytes(name: str, loop, disposals=(1, 1)) -> bytes:
    fp = io.BytesIO()
    sink = open_sink(fp, Path(name), (3, 1), PALETTE, loop)
    for indices, disposal in zip(FRAMES, disposals, strict=True):
        sink.add(indices, duration=60, disposal=disposal)
    sink.close()
    return fp.getvalue()


def read_back(data: bytes, key: str | None = None):
    with Image.open(io.BytesIO(data)) as im:
        fmt, info = im.format, dict(im.info)
        frames, values = [], []
        for f in ImageSequence.Iterator(im):
            frames.append(np.array(f.convert("RGB")))
            values.append(f.info.get(key))
    return fmt, info, frames, values


def test_the_extension_picks_the_writer():
    assert isinstance(open_sink(io.BytesIO(), Path("a.GIF"), (3, 1), PALETTE, 0), GifWriter)
    assert not isinstance(open_sink(io.BytesIO(), Path("a.png"), (3, 1), PALETTE, 0),
                          GifWriter)


@pytest.mark.parametrize("name, fmt", [("a.png", "PNG"), ("a.webp", "WEBP")])
def test_only_a_gif_and_a_tiff_take_a_palette_from_each_frame(name, fmt):
    assert isinstance(open_sink(io.BytesIO(), Path("a.gif"), (3, 1), None, 0), GifWriter)
    with pytest.raises(ValueError, match=rf"^palette=None: only a GIF's frames and a TIFF's "
                                         rf"pages bring palettes of their own, not {fmt}'s$"):
        open_sink(io.BytesIO(), Path(name), (3, 1), None, 0)


@pytest.mark.parametrize("fmt", ["PNG", "GIF"])
def test_the_pillow_sink_writes_a_webp_only(fmt):
    # It wrote an APNG too, which open_sink had long given to the APNG sink.
    with pytest.raises(ValueError, match=rf"^fmt='{fmt}': this sink writes a WebP only, "
                                         r"expected 'WEBP' \(an APNG, 'PNG', is written by "
                                         r"_ApngSink\)$"):
        sinks._PillowSink(io.BytesIO(), fmt, (3, 1), PALETTE, 0, False)


def test_the_pages_of_a_tiff_each_keep_a_palette_of_their_own():
    # A TIFF sink took only one palette, for every page (palette=None was refused).
    fp = io.BytesIO()
    sink = open_sink(fp, Path("a.tif"), (3, 1), None, 0)
    sink.add(FRAMES[0], palette=np.vstack([PALETTE, [[0, 0, 0]]]), transparent=3)
    grey = np.array([[9, 9, 9], [99, 99, 99], [0, 0, 0]], np.uint8)
    sink.add(np.array([[0, 2, 1]], np.uint8), palette=grey, transparent=2)
    sink.close()
    assert [(mode, pixels) for mode, _, pixels in tiff_pages(fp.getvalue())] == [
        ("P", [[0, 1, 2]]), ("RGBA", [[[9, 9, 9, 255], [0, 0, 0, 0], [99, 99, 99, 255]]])]
    with Image.open(fp) as im:
        assert np.asarray(im.convert("RGB")).tolist() == [PALETTE.tolist()]


@pytest.mark.parametrize("name, fmt", [("a.gif", "GIF"), ("a.png", "PNG"), ("a.webp", "WEBP")])
def test_every_format_keeps_the_palette_colours_and_the_durations(name, fmt):
    got, _, frames, durations = read_back(sink_bytes(name, 0), "duration")
    assert got == fmt
    assert [f[0].tolist() for f in frames] == [PALETTE[i[0]].tolist() for i in FRAMES]
    assert durations == [60, 60]


@pytest.mark.parametrize("name, once, twice, forever", [
    ("a.png", 1, 2, 0),
    ("a.webp", 1, 2, 0),   # it wrote 0 for "once": a GIF that plays once looped forever
    ("a.gif", None, 1, 0),  # GIF counts repeats; no extension plays once
])
def test_each_format_stores_the_number_of_plays_its_own_way(name, once, twice, forever):
    for plays, stored in ((None, once), (1, once), (2, twice), (0, forever)):
        _, info, _, _ = read_back(sink_bytes(name, plays))
        assert info.get("loop") == stored, (plays, stored)


@pytest.mark.parametrize("disposals", [(2, 1), (1, 3), (3, 1)])
def test_apng_frames_are_drawn_whole_with_disposal_none(disposals):
    # Each frame is the picture shown, so GIF's disposal is not needed (it was kept, and
    # Pillow merged a frame into a previous one cleared to background when they matched).
    _, _, frames, stored = read_back(sink_bytes("a.png", 0, disposals=disposals), "disposal")
    assert stored == [0, 0]
    assert [f[0].tolist() for f in frames] == [PALETTE[i[0]].tolist() for i in FRAMES]


@pytest.mark.parametrize("name", ["a.png", "a.webp"])
def test_pillow_sinks_merge_a_frame_that_repeats_the_picture_and_count_it(name):
    fp = io.BytesIO()
    sink = open_sink(fp, Path(name), (3, 1), PALETTE, 0, transparent=3)
    clear = np.array([[3, 3, 3]], np.uint8)
    for indices, duration in zip([FRAMES[0], FRAMES[0], clear, clear, FRAMES[1]],
                                 [10, 20, 30, 40, 50], strict=True):
        sink.add(indices, transparent=3, duration=duration)
    sink.close()
    assert sink.frames_written == 3
    with Image.open(fp) as im:
        durations = []
        for f in ImageSequence.Iterator(im):
            f.load()  # WebP fills in a frame's duration when it is decoded
            durations.append(f.info["duration"])
    assert durations == [30, 70, 50]


def test_a_webp_whose_clear_pixels_only_the_canvas_shows_keeps_its_alpha():
    """libwebp crops the frames to the opaque rows that change, so no frame's bitstream held
    alpha, the file was not flagged as having any, and it was read back as RGB: the clear
    row black."""
    fp = io.BytesIO()
    sink = open_sink(fp, Path("a.webp"), (8, 4), PALETTE, 0, transparent=3)
    for colour in range(3):
        indices = np.full((4, 8), colour, np.uint8)
        indices[:2] = 3  # two rows: libwebp moves a cropped frame's offset to an even row
        sink.add(indices, transparent=3, duration=10)
    sink.close()
    with Image.open(io.BytesIO(fp.getvalue())) as im:
        assert im.mode == "RGBA"
        frames = [np.array(f.convert("RGBA")) for f in ImageSequence.Iterator(im)]
    assert [f[:, 0, 3].tolist() for f in frames] == [[0, 0, 255, 255]] * 3
    assert [f[3, 0, :3].tolist() for f in frames] == PALETTE.tolist()


def test_an_apng_of_one_picture_is_an_animation_of_one_frame():
    # Pillow wrote one frame as a still PNG: no duration, no loop count.
    fp = io.BytesIO()
    sink = open_sink(fp, Path("a.png"), (3, 1), PALETTE, 2)
    for duration in (100, 200, 300):
        sink.add(FRAMES[0], duration=duration)
    sink.close()
    assert sink.frames_written == 1
    with Image.open(io.BytesIO(fp.getvalue())) as im:
        assert im.info["loop"] == 2 and im.info["default_image"] and im.n_frames == 2
        im.seek(1)  # the animation's frame, after the default image
        assert im.info["duration"] == 600
        assert np.array(im.convert("RGB"))[0].tolist() == PALETTE[FRAMES[0][0]].tolist()


def played(fp) -> tuple[list[float], list[list]]:
    """Each frame's duration and RGB picture of the animation written to ``fp``."""
    durations, pictures = [], []
    with Image.open(fp) as im:
        for f in ImageSequence.Iterator(im):
            f.load()
            durations.append(f.info["duration"])
            pictures.append(np.array(f.convert("RGB")).tolist())
    return durations, pictures


# An APNG's durations given, the first and the third longer than an APNG frame holds
# (65,535 s), and the durations played back.
_APNG_LONG = ([65_535_000, 1000, 2 * 65_535_000 + 1000, 40],
              [32_768_000, 32_768_000, 43_691_000, 43_690_000, 43_690_000, 40])
# Per case: how the sink is opened, then the durations given and those played back.
_LONG_FRAME_CASES = {
    # libwebp refused the file ("timestamps must be non-decreasing"), reported as a
    # RuntimeError; then the frame was cut to 16,777.215 s (and counted in frames_shortened).
    "webp": (lambda fp: open_sink(fp, Path("a.webp"), (3, 1), PALETTE, 0),
             [16_777_215, 1, 2 * 16_777_215 + 7, 40.4],
             [8_388_608, 8_388_608, 11_184_813, 11_184_812, 11_184_812, 40]),
    # An APNG frame of merged frames was cut without a word, then cut to 65,535 s with a
    # FrameDurationWarning, where a GIF or WebP frame is written as several; the file
    # seekable or not (the APNG then made in memory).
    "apng": (lambda fp: open_sink(fp, Path("a.png"), (3, 1), PALETTE, 0), *_APNG_LONG),
    "apng not seekable": (lambda fp: open_sink(fp, Path("a.png"), (3, 1), PALETTE, 0),
                          *_APNG_LONG),
}


@pytest.mark.parametrize("case", list(_LONG_FRAME_CASES))
def test_a_frame_longer_than_its_format_holds_is_written_as_several(case):
    make_sink, given, played_ms = _LONG_FRAME_CASES[case]
    fp = NotSeekable() if case.endswith("not seekable") else io.BytesIO()
    sink = make_sink(fp)
    for indices, duration in zip([FRAMES[0], FRAMES[0], FRAMES[1], FRAMES[0]], given,
                                 strict=True):
        sink.add(indices, duration=duration)
    sink.close()
    assert sink.frames_written == 6
    durations, pictures = played(fp)
    assert durations == played_ms
    assert pictures == [PALETTE[FRAMES[i]].tolist() for i in [0, 0, 1, 1, 1, 0]]


def test_a_webp_of_one_long_picture_is_a_still_image_with_nothing_shortened():
    fp = io.BytesIO()
    sink = open_sink(fp, Path("a.webp"), (3, 1), PALETTE, 0)
    sink.add(FRAMES[0], duration=20_000_000)
    sink.add(FRAMES[0], duration=20_000_000)
    sink.close()
    assert sink.frames_written == 1
    with Image.open(fp) as im:
        assert (getattr(im, "n_frames", 1), np.array(im.convert("RGB")).tolist()) == \
            (1, PALETTE[FRAMES[0]].tolist())


@pytest.mark.parametrize("name", ["a.webp"])
def test_pillow_sinks_hold_the_queued_frames_indexed_and_deflated(name):
    # Pillow writes an APNG or WebP from every frame at once, so the frames wait for close:
    # the WebP sink held them as RGBA, four bytes a pixel, the APNG sink as palette images
    # which Pillow's writer then copied (two bytes a pixel), and long animations ran out of
    # memory. They wait as deflated palette indices, a few bytes for a frame that moves little.
    colours = np.vstack([PALETTE, [[0, 0, 0]]]).astype(np.uint8)  # entry 3: transparent
    fp = io.BytesIO()
    sink = open_sink(fp, Path(name), (64, 32), colours, 0, transparent=3)
    frames = []
    for i in range(5):
        indices = np.zeros((32, 64), np.uint8)
        indices[:, i] = 1 + i % 3
        indices[0, :8] = 3
        frames.append(indices)
        sink.add(indices, transparent=3, duration=10)
    assert sink.held_bytes < 5 * 32 * 64 / 16
    sink.close()
    with Image.open(fp) as im:
        got = [np.array(f.convert("RGBA")) for f in ImageSequence.Iterator(im)]
    assert [g[..., :3][g[..., 3] > 0].tolist() for g in got] == \
        [colours[f][f != 3].tolist() for f in frames]
    assert [(g[..., 3] == 0).tolist() for g in got] == [(f == 3).tolist() for f in frames]


def apng_cases(rng):
    """(frames, durations, transparent, loop, optimize) of APNGs to write both ways."""
    size = (40, 24)
    colours = rng.integers(0, 256, (20, 3)).astype(np.uint8)
    moving = []
    for i in range(6):
        indices = rng.integers(0, 19, size[::-1]).astype(np.uint8) if i == 0 else \
            moving[-1].copy()
        indices[3 + i: 9 + i, 2 * i: 5 + 2 * i] = (i * 7) % 19
        indices[0, 0] = 19 if i % 2 else 0  # entry 19: transparent in some cases
        moving.append(indices)
    repeated = [moving[0], moving[0], moving[1], moving[1], moving[1], moving[2]]
    return colours, [
        (moving, [40] * 6, None, 0, False),
        (moving, [100 / 3] * 6, 19, 3, False),  # 1/30 s, kept as the fraction
        (repeated, [10, 20, 30, 40, 50, 60], 19, 0, True),  # merged, zlib level 9
        ([moving[0]] * 3, [100, 200, 300], None, 2, False),  # one picture: one frame
        (moving[:2], [70_000_000, 70_001.5], 19, 1, False),  # 2 of 35,000 s; 46691/667
        ([moving[0]] * 2, [40_000_000, 40_000_000], None, 0, False),  # one picture, 2 parts
    ]


class NotSeekable(io.BytesIO):
    def seekable(self) -> bool:
        return False


def apng_frames(data: bytes) -> tuple[list[list], list]:
    """Every frame of an APNG as Pillow draws it (RGBA), and its duration."""
    with Image.open(io.BytesIO(data)) as im:
        frames = [(np.array(f.convert("RGBA")).tolist(), f.info.get("duration"))
                  for f in ImageSequence.Iterator(im)]
    return [f for f, _ in frames], [d for _, d in frames]


def test_apng_is_written_as_it_comes_showing_what_pillow_writes(rng):
    # Pillow's save_all holds every frame until it has them all: the APNG sink waited
    # for close with every frame deflated, then Pillow held each as a palette image,
    # so memory grew with the frames. It holds one frame now (and its box to draw with
    # blend "over"), and its frames show what Pillow's do, to a stream that cannot seek
    # too (the same bytes).
    colours, cases = apng_cases(rng)
    for frames, durations, transparent, loop, optimize in cases:
        h, w = frames[0].shape
        outputs, held = [], []
        for fp in (io.BytesIO(), NotSeekable()):
            sink = open_sink(fp, Path("a.png"), (w, h), colours, loop, optimize=optimize)
            for indices, duration in zip(frames, durations, strict=True):
                sink.add(indices, transparent=transparent, duration=duration)
                held.append(sink.held_bytes)
            sink.close()
            outputs.append((fp.getvalue(), sink.frames_written))
        assert outputs[0] == outputs[1]
        pillow = pillow_apng(frames, colours, durations, transparent=transparent, loop=loop)
        assert apng_frames(outputs[0][0]) == apng_frames(pillow)
        assert outputs[0][1] == int.from_bytes(chunk(pillow, b"acTL")[:4], "big")  # frames
        assert w * h <= max(held[:len(frames)]) <= 2 * w * h  # a frame waits, no more


def tiff_pages(data: bytes) -> list[tuple[str, str, list]]:
    """(mode, compression, pixels as nested lists) of every page of a TIFF file."""
    with Image.open(io.BytesIO(data)) as im:
        assert im.format == "TIFF"
        return [(page.mode, page.info.get("compression"), np.array(page).tolist())
                for page in ImageSequence.Iterator(im)]


def save_all_palette_pages(frames: list[np.ndarray]) -> bytes:
    """The bytes Pillow's ``save_all`` writes of palette pages of ``frames`` (indices into
    ``PALETTE``), deflated, given as the sink gives them: the indices (mode "L") and a
    colour map of each level times 257 (Pillow's own of a "P" image, times 256, was read by
    ImageMagick one level darker)."""
    pages = [Image.fromarray(f, mode="L") for f in frames]
    tags = TiffImagePlugin.ImageFileDirectory_v2()
    table = np.zeros((256, 3), np.int64)
    table[:len(PALETTE)] = PALETTE
    tags[258], tags[262], tags[320] = 8, 3, tuple((table.T * 257).ravel().tolist())
    fp = io.BytesIO()
    pages[0].save(fp, format="TIFF", save_all=True, append_images=pages[1:],
                  compression="tiff_adobe_deflate", tiffinfo=tags)
    return fp.getvalue()


@pytest.mark.parametrize("name", ["a.tif", "b.TIFF"])
def test_a_tiff_is_written_page_by_page_with_the_bytes_pillow_writes(tmp_path, name):
    # An animation could not be written as .tif. Every frame is a page, a repeated one
    # too, a palette page (they were RGB) of the sink's palette, deflated as a still .tif
    # is; written as it comes (nothing held), the bytes Pillow's save_all writes from
    # every page at once.
    frames = [FRAMES[0], FRAMES[0], FRAMES[1]]
    with open(tmp_path / name, "w+b") as fp:
        sink = open_sink(fp, Path(name), (3, 1), PALETTE, 0)
        held = []
        for indices in frames:
            sink.add(indices, duration=60)
            held.append(sink.held_bytes)
        sink.close()
    data = (tmp_path / name).read_bytes()
    assert (sink.frames_written, sink.optimized, held) == (3, False, [0, 0, 0])
    assert tiff_pages(data) == [("P", "tiff_adobe_deflate", f.tolist()) for f in frames]
    with Image.open(io.BytesIO(data)) as im:
        assert [np.asarray(page.convert("RGB")).tolist()
                for page in ImageSequence.Iterator(im)] == [PALETTE[f].tolist() for f in frames]
    assert data == save_all_palette_pages(frames)


def test_each_page_of_a_tiff_is_linked_without_reading_every_page_before_it(monkeypatch):
    # Pillow's AppendingTiffWriter walked every page's directory from the header to link
    # each new page: 2,000 pages of 1x1 read two million directories (about half a minute).
    # The bytes stay Pillow's save_all's; the directories read grow with the pages.
    from PIL import TiffImagePlugin

    read = []
    skip = TiffImagePlugin.AppendingTiffWriter.skipIFDs

    def counted(writer):
        start = writer.f.tell()
        skip(writer)
        read.append(start)

    monkeypatch.setattr(TiffImagePlugin.AppendingTiffWriter, "skipIFDs", counted)
    frames = [FRAMES[i % 2] for i in range(60)]
    fp = io.BytesIO()
    sink = open_sink(fp, Path("a.tif"), (3, 1), PALETTE, 0)
    for indices in frames:
        sink.add(indices, duration=60)
    sink.close()
    # each walk after the first starts at the link before the last, not at the header
    assert len(read) == 60 and read[0] == 4 and all(start > 8 for start in read[1:])
    monkeypatch.undo()
    assert fp.getvalue() == save_all_palette_pages(frames)


def chunk(png: bytes, kind: bytes) -> bytes:
    """The data of the one chunk of ``kind`` in ``png``."""
    (data,) = [data for _, found, data in chunks_of(png) if found == kind]
    return data


def resolution_sink_bytes(name: str, dpi) -> bytes:
    fp = io.BytesIO()
    sink = open_sink(fp, Path(name), (3, 1), PALETTE, 0, dpi=dpi)
    for indices in FRAMES:
        sink.add(indices, duration=60)
    sink.close()
    return fp.getvalue()


def test_an_apng_and_the_pages_of_a_tiff_keep_the_resolution_given():
    # Every animation was written without it, as every still was.
    apng = resolution_sink_bytes("a.png", (300, 150))
    assert chunk(apng, b"pHYs") == chunk(pillow_apng(FRAMES, PALETTE, [60, 60],
                                                     dpi=(300, 150)), b"pHYs")
    kinds = [kind for _, kind, _ in chunks_of(apng)]
    assert kinds.index(b"pHYs") < kinds.index(b"IDAT")
    assert read_back(apng)[1]["dpi"] == pytest.approx((300, 150), abs=0.02)
    with Image.open(io.BytesIO(resolution_sink_bytes("a.tif", (300, 150)))) as im:
        assert [page.info["dpi"] for page in ImageSequence.Iterator(im)] == [(300, 150)] * 2
    for name in ("a.gif", "a.webp"):  # no field for it: the same bytes as without
        assert resolution_sink_bytes(name, (300, 150)) == resolution_sink_bytes(name, None)
    assert b"pHYs" not in resolution_sink_bytes("a.png", None)


def test_the_pages_of_a_tiff_with_a_transparent_entry_are_rgba():
    colours = np.vstack([PALETTE, [[9, 9, 9]]]).astype(np.uint8)  # entry 3: transparent
    frames = [np.array([[0, 3, 2]], np.uint8), np.array([[1, 1, 1]], np.uint8)]

    class WriteOnly(io.BytesIO):  # a stream the pages cannot be read back from
        def readable(self) -> bool:
            return False

    fp = WriteOnly()
    sink = open_sink(fp, Path("a.tif"), (3, 1), colours, 0, transparent=3)
    for indices in frames:
        sink.add(indices, transparent=3)
    assert sink.held_bytes > 0 and fp.getvalue() == b""  # held until close
    sink.close()
    clear = [0, 0, 0, 0]
    assert tiff_pages(fp.getvalue()) == [
        ("RGBA", "tiff_adobe_deflate", [[[0, 0, 0, 255], clear, [200, 30, 30, 255]]]),
        ("RGBA", "tiff_adobe_deflate", [[[255, 255, 255, 255]] * 3])]


ALPHA_PALETTE = np.array([[200, 30, 30, 255], [10, 90, 200, 160], [250, 250, 0, 40],
                          [0, 0, 0, 0]], np.uint8)  # the transparent entry last


@pytest.mark.parametrize("seekable", [True, False])
def test_an_apng_of_a_palette_with_alpha_has_each_entrys_alpha_in_trns(seekable):
    # Its entries were written opaque, with one transparent entry at most.
    fp = io.BytesIO() if seekable else NotSeekable()
    sink = open_sink(fp, Path("a.png"), (3, 1), ALPHA_PALETTE, 0, transparent=3)
    for indices in ([[0, 1, 2]], [[3, 1, 0]]):
        sink.add(np.array(indices, np.uint8), transparent=3, duration=50)
    sink.close()
    chunks = {kind: data for _, kind, data in chunks_of(fp.getvalue())}
    assert chunks[b"PLTE"] == ALPHA_PALETTE[:, :3].tobytes()
    assert chunks[b"tRNS"] == bytes([255, 160, 40, 0])
    with Image.open(io.BytesIO(fp.getvalue())) as im:
        got = [np.array(f.convert("RGBA")).tolist() for f in ImageSequence.Iterator(im)]
    assert got == [ALPHA_PALETTE[[[0, 1, 2]]].tolist(), ALPHA_PALETTE[[[3, 1, 0]]].tolist()]


def test_an_apng_with_alpha_is_written_as_it_comes_with_the_bytes_pillow_writes():
    frames = [np.array(indices, np.uint8) for indices in ([[0, 1, 2]], [[3, 1, 2]], [[3, 1, 1]])]
    fp = io.BytesIO()
    sink = open_sink(fp, Path("a.png"), (3, 1), ALPHA_PALETTE, 0, transparent=3)
    for indices in frames:
        sink.add(indices, transparent=3, duration=50)
    sink.close()
    assert fp.getvalue() == pillow_apng(frames, ALPHA_PALETTE, [50] * 3, transparent=3)


def test_an_apng_frame_whose_pixels_change_only_in_alpha_redraws_them():
    """Entries 1 and 2 of one colour at two alphas: the box of the second frame is the
    pixel that changed alpha alone, written with blend "source"."""
    palette = np.array([[200, 30, 30, 255], [10, 90, 200, 200], [10, 90, 200, 60]], np.uint8)
    fp = io.BytesIO()
    sink = open_sink(fp, Path("a.png"), (3, 1), palette, 0)
    for indices in ([[0, 1, 0]], [[0, 2, 0]]):
        sink.add(np.array(indices, np.uint8), duration=50)
    sink.close()
    controls = [data for _, kind, data in chunks_of(fp.getvalue()) if kind == b"fcTL"]
    # width, height, x, y of the second frame, then its dispose_op and blend_op
    assert [int.from_bytes(controls[1][i:i + 4], "big") for i in (4, 8, 12, 16)] == \
        [1, 1, 1, 0]
    assert controls[1][24:26] == b"\x00\x00"
    with Image.open(io.BytesIO(fp.getvalue())) as im:
        im.seek(1)
        assert np.array(im.convert("RGBA"))[0, 1].tolist() == [10, 90, 200, 60]


def test_a_webp_and_the_pages_of_a_tiff_of_a_palette_with_alpha_keep_it(tmp_path):
    frames = [np.array([[0, 1, 2]], np.uint8), np.array([[3, 1, 0]], np.uint8)]
    expected = [ALPHA_PALETTE[f].tolist() for f in frames]
    fp = io.BytesIO()
    sink = open_sink(fp, Path("a.webp"), (3, 1), ALPHA_PALETTE, 0, transparent=3)
    for indices in frames:
        sink.add(indices, transparent=3, duration=50)
    sink.close()
    with Image.open(io.BytesIO(fp.getvalue())) as im:
        got = [np.array(f.convert("RGBA")) for f in ImageSequence.Iterator(im)]
    # (the colour libwebp keeps under alpha 0 is its own)
    assert [np.where(f[..., 3:] == 0, 0, f).tolist() for f in got] == expected
    with open(tmp_path / "a.tif", "w+b") as out:
        sink = open_sink(out, Path("a.tif"), (3, 1), ALPHA_PALETTE, 0, transparent=3)
        for indices in frames:
            sink.add(indices, transparent=3)
        sink.close()
    assert tiff_pages((tmp_path / "a.tif").read_bytes()) == \
        [("RGBA", "tiff_adobe_deflate", e) for e in expected]


def _shown_box_by_colour(indices, table, before, before_table):
    """The box of the pixels shown in another colour, comparing every pixel's colour."""
    changed = ~(table[indices] == before_table[before]).all(axis=2)
    return None if not changed.any() else sinks.bounding_box(changed)


@pytest.mark.parametrize("change", ["nothing", "same colour", "corner", "everything",
                                    "transparent entry"])
def test_a_frames_changed_box_is_found_among_the_entries_that_changed(rng, change):
    """The box of the pixels shown in another colour than the frame before, looked for
    where the entries changed, is the box of a comparison of every pixel's colour: none
    when only entries of the same colour changed, one pixel at a corner, every pixel,
    and with a transparent entry that moved (another table)."""
    palette = np.array([[1, 2, 3], [9, 9, 9], [9, 9, 9], [200, 0, 0]], np.uint8)
    before = rng.integers(0, 4, (6, 9)).astype(np.uint8)
    now, transparent = before.copy(), None
    if change == "same colour":
        now[before == 1], now[before == 2] = 2, 1
    elif change == "corner":
        now[5, 8] = 3 if before[5, 8] == 0 else 0
    elif change == "everything":
        now = np.where(before == 0, 3, 0).astype(np.uint8)
    elif change == "transparent entry":
        transparent = 3
    table, before_table = sinks._rgba(palette, transparent), sinks._rgba(palette, None)
    shown = sinks._Shown(now, table)
    box = shown.changed_box(sinks._Shown(before, before_table))
    assert box == _shown_box_by_colour(now, table, before, before_table)
    assert (box is None) == (change in ("nothing", "same colour"))
    assert np.array_equal(shown.picture(), table[now])  # every pixel's colour, looked up
    if change in ("corner", "everything"):
        assert box == {"corner": (8, 5, 9, 6), "everything": (0, 0, 9, 6)}[change]


def _exif_block() -> bytes:
    exif = Image.Exif()
    exif[315], exif[33432] = "A. Artist", "(c) 2024 Archive"
    exif.get_ifd(0x8769)[36867] = "2024:05:06 07:08:00"  # DateTimeOriginal, its own directory
    return exif.tobytes()


def _exif_sink_bytes(name: str, exif: bytes | None, *, streaming: bool = True) -> bytes:
    """The bytes of two frames written to ``name``'s sink with ``exif``; a TIFF to a
    stream it cannot read back with ``streaming=False``."""

    class WriteOnly(io.BytesIO):
        def readable(self) -> bool:
            return False

    fp = io.BytesIO() if streaming else WriteOnly()
    sink = open_sink(fp, Path(name), (3, 1), PALETTE, 0, exif=exif)
    for indices in FRAMES:
        sink.add(indices, duration=100)
    sink.close()
    return fp.getvalue()


@pytest.mark.parametrize("name", ["a.png", "a.webp", "a.tif"])
def test_the_exif_is_kept_by_an_apng_a_webp_and_a_tiffs_first_page(name):
    """An animation's EXIF was dropped; APNG (an eXIf chunk before its image data, the
    bytes Pillow writes), WebP and TIFF (its first page's tags, deflated all the same,
    written alike to a stream it cannot read back) keep it, the Exif directory too."""
    data = _exif_sink_bytes(name, _exif_block())
    if name == "a.tif":
        assert data == _exif_sink_bytes(name, _exif_block(), streaming=False)
    if name == "a.png":  # the chunk Pillow writes
        assert chunk(data, b"eXIf") == chunk(pillow_apng(FRAMES, PALETTE, [100, 100],
                                                         exif=_exif_block()), b"eXIf")
    with Image.open(io.BytesIO(data)) as im:
        exif = im.getexif()
        assert (exif[315], exif[33432], exif.get_ifd(0x8769)) == (
            "A. Artist", "(c) 2024 Archive", {36867: "2024:05:06 07:08:00"})
        assert im.n_frames == 2
        assert [np.array(page.convert("RGB"))[0].tolist()
                for page in ImageSequence.Iterator(im)] == [PALETTE[f][0].tolist() for f in FRAMES]
    if name == "a.png":
        kinds = [kind for _, kind, _ in chunks_of(data)]
        assert kinds.index(b"eXIf") < kinds.index(b"acTL") < kinds.index(b"IDAT")


def _dot_and_spinner(rng, clear_from: int | None = None) -> list[np.ndarray]:
    """Six 40 x 24 frames of entries: a static texture of entries 1-5, a dot (entry 6)
    moving along row 12 and a spinner pixel (entries 6 and 7 in turn) at the far corner,
    so each frame's changed box spans static texture between them. From frame
    ``clear_from`` on, the pixel left of the spinner is entry 0 (transparent, when it is)."""
    texture = rng.integers(1, 6, (24, 40)).astype(np.uint8)
    frames = []
    for i in range(6):
        frame = texture.copy()
        frame[12, 2 + 4 * i] = 6
        frame[21, 37] = 6 + i % 2
        if clear_from is not None and i >= clear_from:
            frame[21, 36] = 0
        frames.append(frame)
    return frames


_DOT_COLOURS = np.array([[0, 0, 0], [250, 250, 250], [200, 30, 30], [30, 200, 30],
                         [30, 30, 200], [120, 120, 120], [0, 0, 0], [255, 200, 0]], np.uint8)


def _blend_ops(data: bytes) -> list[int]:
    return [data[-1] for _, kind, data in chunks_of(data) if kind == b"fcTL"]


@pytest.mark.parametrize("transparent", [None, 0])
def test_an_apng_leaves_unchanged_pixels_of_a_frames_box_to_the_canvas(rng, transparent):
    """Every APNG frame was written with blend "source", so the static pixels between a
    moving dot and a spinner were stored again in each frame's box (134,557 bytes for a
    64-colour UI recording that apngopt stores, the same pixels, in 49,846). They are
    now drawn with a transparent entry and blend "over", as a GIF frame leaves them: the
    palette's transparent entry, or one added before the others (entry 0) for an opaque
    palette. Every frame shows what Pillow's blend "source" frames show, in fewer bytes."""
    frames = _dot_and_spinner(rng)
    fp = io.BytesIO()
    sink = open_sink(fp, Path("a.png"), (40, 24), _DOT_COLOURS, 0, transparent=transparent)
    for indices in frames:
        sink.add(indices, transparent=transparent, duration=40)
    sink.close()
    written = {"ours": fp.getvalue(),
               "pillow": pillow_apng(frames, _DOT_COLOURS, [40] * 6, transparent=transparent)}
    expected = [sinks._rgba(_DOT_COLOURS, transparent)[f].tolist() for f in frames]
    assert apng_frames(written["ours"])[0] == apng_frames(written["pillow"])[0] == expected
    assert _blend_ops(written["ours"]) == [0, 1, 1, 1, 1, 1]
    assert len(written["ours"]) < len(written["pillow"])
    trns = chunk(written["ours"], b"tRNS")
    assert trns == b"\x00"  # entry 0 transparent: the palette's, or the one added
    colours = np.frombuffer(chunk(written["ours"], b"PLTE"), np.uint8).reshape(-1, 3)
    assert colours.shape[0] == (8 if transparent == 0 else 9)


def test_an_apng_frame_with_a_pixel_turning_transparent_keeps_blend_source(rng):
    """Blend "over" cannot make a pixel transparent (nor draw a translucent one as it
    is): a frame whose box holds one is written with blend "source", as before."""
    frames = _dot_and_spinner(rng, clear_from=3)
    fp = io.BytesIO()
    sink = open_sink(fp, Path("a.png"), (40, 24), _DOT_COLOURS, 0, transparent=0)
    for indices in frames:
        sink.add(indices, transparent=0, duration=40)
    sink.close()
    assert _blend_ops(fp.getvalue()) == [0, 1, 1, 0, 1, 1]
    expected = [sinks._rgba(_DOT_COLOURS, 0)[f].tolist() for f in frames]
    assert apng_frames(fp.getvalue())[0] == expected


@pytest.mark.parametrize("optimize", [False, True])
def test_a_webp_animation_is_stored_smaller_than_libwebps_fastest_method(rng, optimize):
    """Pillow gives libwebp method 0 for an animation (its fastest) unless told: a
    64-colour UI recording took 276,428 bytes where method 4 without key frames takes
    45,446 (and ``minimize_size``, tried with ``optimize``, 45,258). The frames are the
    same pictures; with ``optimize`` the file is never larger, and ``optimized`` says
    whether it is smaller."""
    frames = _dot_and_spinner(rng)
    expected = [sinks._rgba(_DOT_COLOURS, None)[f] for f in frames]
    data = {}
    for effort in (False, True):
        fp = io.BytesIO()
        sink = open_sink(fp, Path("a.webp"), (40, 24), _DOT_COLOURS, 0, optimize=effort)
        for indices in frames:
            sink.add(indices, duration=40)
        sink.close()
        data[effort] = (fp.getvalue(), sink.optimized)
    got, optimized = data[optimize]
    with Image.open(io.BytesIO(got)) as im:
        assert [np.array(f.convert("RGBA")).tolist() for f in ImageSequence.Iterator(im)] == \
            [e.tolist() for e in expected]
    fastest = io.BytesIO()
    images = [Image.fromarray(e) for e in expected]
    images[0].save(fastest, format="WEBP", save_all=True, append_images=images[1:],
                   duration=40, loop=0, lossless=True)
    assert len(got) < len(fastest.getvalue())
    assert len(data[True][0]) <= len(data[False][0])
    assert optimized == (optimize and len(data[True][0]) < len(data[False][0]))
