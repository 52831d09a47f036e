"""quantize.animation.sinks: one writer per output format, chosen by the extension."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageSequence

from quantize.animation.gif import GifWriter
from quantize.animation.sinks import open_sink

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


def test_gif_disposal_becomes_apngs():
    # GIF keep / clear to background / restore previous -> APNG none / background / previous
    _, _, _, disposals = read_back(sink_bytes("a.png", 0, disposals=(2, 1)), "disposal")
    assert disposals == [1, 0]
    _, _, _, disposals = read_back(sink_bytes("a.png", 0, disposals=(1, 3)), "disposal")
    assert disposals == [0, 2]
    # A first frame restoring "the previous" frame has none: the APNG rule makes it background.
    _, _, _, disposals = read_back(sink_bytes("a.png", 0, disposals=(3, 1)), "disposal")
    assert disposals == [1, 0]
