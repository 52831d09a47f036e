"""quantize.animation.gif: GifWriter, frames stored as their difference from the screen."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageSequence

from quantize.animation import gif as gif_module
from quantize.animation.gif import GifWriter, RecentCodes, _lzw, change_bytes

from .animation_support import frame_blocks

PALETTE = np.array([[0, 0, 0], [255, 255, 255], [200, 30, 30]], np.uint8)


def written(frames, *, loop=0, transparent=None, **add) -> bytes:
    """The GIF GifWriter writes for frames of palette indices, all with the same options."""
    fp = io.BytesIO()
    h, w = frames[0].shape
    writer = GifWriter(fp, (w, h), PALETTE, loop, background=transparent or 0)
    for i, indices in enumerate(frames):
        writer.add(indices, transparent=transparent, duration=40 * (i + 1), **add)
    writer.close()
    assert writer.frames_written == len(frames)
    return fp.getvalue()


def shown(data: bytes) -> list[np.ndarray]:
    with Image.open(io.BytesIO(data)) as im:
        return [np.array(f.convert("RGBA")) for f in ImageSequence.Iterator(im)]


def boxes(data: bytes) -> list[tuple[int, int, int, int]]:
    with Image.open(io.BytesIO(data)) as im:
        out = []
        for i in range(im.n_frames):
            im.seek(i)
            out.append(tuple(im.dispose_extent))
        return out


def test_frames_durations_and_loop_come_back():
    first = np.zeros((3, 4), np.uint8)
    second = first.copy()
    second[1, 2] = 2
    data = written([first, second], loop=3)
    assert data[:6] == b"GIF89a" and data[-1:] == b";"
    frames = shown(data)
    assert len(frames) == 2
    for indices, rgba in zip((first, second), frames, strict=True):
        assert np.array_equal(rgba[..., :3], PALETTE[indices])
        assert (rgba[..., 3] == 255).all()
    with Image.open(io.BytesIO(data)) as im:
        assert im.info["loop"] == 3
        durations = []
        for f in ImageSequence.Iterator(im):
            durations.append(f.info["duration"])
    assert durations == [40, 80]


def delays(durations, gif_delays=False) -> list[int]:
    """The durations (ms) a GIF of these frame durations plays, as Pillow reads them."""
    fp = io.BytesIO()
    writer = GifWriter(fp, (2, 1), PALETTE, 0, gif_delays=gif_delays)
    for i, duration in enumerate(durations):
        writer.add(np.array([[i % 2, 1]], np.uint8), duration=duration)
    writer.close()
    with Image.open(io.BytesIO(fp.getvalue())) as im:
        return [f.info["duration"] for f in ImageSequence.Iterator(im)]


def _encodes(spy) -> list:
    """The arrays LZW-encoded from now on in the test: code size, shape and entries."""
    return spy(gif_module, "_lzw_of", lambda bits, image: (bits, image.shape, image.tobytes()))


def test_recent_codes_give_what_a_fresh_encode_gives(rng, spy):
    flat = rng.integers(0, 5, 60).astype(np.uint8)
    wide, tall = flat.reshape(6, 10), flat.reshape(10, 6)  # the same bytes, two shapes
    one = np.array([[1, 1]], np.uint8)
    wider = np.array([[1, 257]], np.uint16)  # as uint8 the same entries, codes of 9 bits
    fresh = {name: _lzw(a) for name, a in [("wide", wide), ("tall", tall), ("one", one),
                                           ("wider", wider)]}
    codes = RecentCodes()
    encodes = _encodes(spy)
    assert codes.remembered(wide) == fresh["wide"]
    assert codes.recalled(tall) == fresh["tall"]
    assert codes.remembered(wide) == fresh["wide"]
    assert codes.recalled(wide.astype(np.int64)) == fresh["wide"]  # equal entries, another dtype
    assert [shape for _, shape, _ in encodes] == [(6, 10), (10, 6)]  # wide: held
    assert codes.remembered(one) == fresh["one"]
    assert codes.recalled(wider) == fresh["wider"] != fresh["one"]


def test_recent_codes_hold_the_array_as_it_was_encoded(rng):
    codes = RecentCodes()
    box = rng.integers(0, 4, (5, 7)).astype(np.uint8)
    held = codes.remembered(box)
    box[2, 3] = 3 - box[2, 3]  # the caller edits its array afterwards
    assert codes.recalled(box) == _lzw(box) != held


def test_recent_codes_hold_only_the_last_few_estimates(spy):
    codes = RecentCodes(most=3)
    boxes = [np.full((4, 4), i, np.uint8) for i in range(5)]
    fresh = [_lzw(box) for box in boxes]
    for box in boxes[:4]:
        codes.remembered(box)
    encodes = _encodes(spy)
    for i in (1, 2, 3, 3, 0, 4, 4):  # 0 dropped as the oldest; 4 never an estimate
        assert codes.recalled(boxes[i]) == fresh[i]
    assert [bytes(image[:1]) for _, _, image in encodes] == [b"\x00", b"\x04", b"\x04"]


def test_writer_takes_the_estimates_data_and_writes_the_same_bytes(rng, spy):
    frames = [rng.integers(0, 3, (12, 16)).astype(np.uint8)]
    for _ in range(4):
        frame = frames[-1].copy()
        frame[3:9, 2:11] = rng.integers(0, 3, (6, 9))
        frames.append(frame)

    def gif(codes):
        fp = io.BytesIO()
        writer = GifWriter(fp, (16, 12), PALETTE, 0, codes=codes)
        for before, indices in zip([None, *frames[:-1]], frames, strict=True):
            if before is not None:  # as a plan estimates a mapping before it is written
                change_bytes(indices, before, 3, codes)
            writer.add(indices, duration=40)
        writer.close()
        return fp.getvalue()

    encodes = _encodes(spy)
    anew = gif(None)
    encoded_anew = encodes[:]
    encodes.clear()
    assert gif(RecentCodes()) == anew
    assert len(set(encoded_anew)) < len(encoded_anew)  # the writer encoded boxes again
    assert sorted(encodes) == sorted(set(encoded_anew))  # now each once


@pytest.mark.parametrize("durations, played", [
    # 33 ms frames (30 fps) were all written as 30 ms: 10 % fast, 1 s of input
    # every 1.1 s ... now each frame ends on the centisecond nearest its end.
    ([33] * 6, [30, 40, 30, 30, 40, 30]),
    ([34, 0, 34], [30, 0, 40]),
    ([15] * 4, [20] * 4),     # never below 20 ms: browsers show 0 and 10 ms as 100 ms
    ([5, 5, 5], [20, 20, 20]),  # were 10 ms each: 100 ms in a browser, 20 times as slow
    ([10] * 4, [20] * 4),
    ([1, 100, 100], [20, 80, 100]),  # a later frame makes up for a lengthened one
    ([0, 0, 100], [0, 0, 100]),
    ([100, 250, 1000], [100, 250, 1000]),
])
def test_durations_do_not_drift_when_rounded_to_centiseconds(durations, played):
    assert delays(durations) == played


@pytest.mark.parametrize("durations", [
    [10] * 4,                 # were 20 ms each: browsers played the input's 10 ms as 100 ms
    [0, 10, 20, 0, 100],      # were 0, 20, 20, 0, 90 ms
    [30, 40, 30, 10, 10],
])
def test_a_gifs_own_delays_are_written_as_they_are(durations):
    assert delays(durations, gif_delays=True) == durations


def test_a_gifs_delays_are_never_counted_lengthened():
    writer = GifWriter(io.BytesIO(), (1, 1), PALETTE, 0, gif_delays=True)
    for duration in (10, 0, 10):
        writer.add(np.zeros((1, 1), np.uint8), duration=duration)
    assert writer.frames_lengthened == 0 and writer.played_ms() == (20, 20.0)


def test_only_the_changed_box_is_stored_and_a_repeat_is_one_pixel():
    first = np.zeros((6, 8), np.uint8)
    second = first.copy()
    second[2:4, 3:6] = 1
    data = written([first, second, second.copy()])
    assert boxes(data) == [(0, 0, 8, 6), (3, 2, 6, 4), (0, 0, 1, 1)]
    assert len(shown(data)) == 3


def test_no_loop_extension_without_a_loop():
    data = written([np.zeros((2, 2), np.uint8)], loop=None)
    assert b"NETSCAPE2.0" not in data
    with Image.open(io.BytesIO(data)) as im:
        assert "loop" not in im.info


def test_a_pixel_turning_transparent_again_is_cleared():
    first = np.full((2, 3), 1, np.uint8)
    second = first.copy()
    second[0, 0] = 3  # the transparent entry
    frames = shown(written([first, second], transparent=3))
    assert frames[0][..., 3].tolist() == [[255] * 3] * 2
    assert frames[1][..., 3].tolist() == [[0, 255, 255], [255, 255, 255]]
    assert np.array_equal(frames[1][1, :, :3], PALETTE[[1, 1, 1]])


def test_a_local_palette_is_used_for_its_frame():
    fp = io.BytesIO()
    writer = GifWriter(fp, (2, 1), PALETTE, 0)
    writer.add(np.array([[0, 1]], np.uint8))
    local = np.array([[10, 200, 30], [40, 50, 250]], np.uint8)
    writer.add(np.array([[1, 0]], np.uint8), palette=local)
    writer.close()
    frames = shown(fp.getvalue())
    assert frames[0][0, :, :3].tolist() == PALETTE[[0, 1]].tolist()
    assert frames[1][0, :, :3].tolist() == local[[1, 0]].tolist()


def test_unchanged_pixels_drawn_by_their_own_entry_may_go_unmarked(rng):
    # Every pixel turns black; the scattered ones that were black already are unchanged.
    # Marked with the transparent entry they would break the run of black LZW codes.
    first = np.where(rng.random((8, 64)) < 0.3, 0, 1).astype(np.uint8)
    first[0, 0] = first[-1, -1] = 1  # the box is the whole frame
    second = np.zeros_like(first)
    data = written([first, second], transparent=3)
    assert _lzw(second) in data
    assert _lzw(np.where(first == 0, 3, second).astype(np.uint8)) not in data
    frames = shown(data)
    assert np.array_equal(frames[1][..., :3], PALETTE[second])
    assert (frames[1][..., 3] == 255).all()


def test_kept_pixels_stay_marked_when_their_entry_draws_another_colour(rng):
    fp = io.BytesIO()
    writer = GifWriter(fp, (64, 8), PALETTE, 0)
    first = np.where(rng.random((8, 64)) < 0.3, 0, 1).astype(np.uint8)
    first[0, 0] = first[-1, -1] = 1
    keep = np.zeros(first.shape, bool)
    keep[3, 20:40] = True  # left as they are, though their entry (0) draws black
    local = np.array([[0, 0, 0], [50, 60, 70]], np.uint8)
    second = np.zeros_like(first)
    writer.add(first)
    writer.add(second, palette=local, transparent=2, keep=keep)
    writer.close()
    data = fp.getvalue()
    expected = PALETTE[first]
    expected[~keep] = 0
    assert np.array_equal(shown(data)[1][..., :3], expected)
    # Only the kept pixels that were white are marked; the black ones are drawn black.
    # Entry 1 draws no pixel, so it marks them: the local table holds two entries, not four.
    assert _lzw(np.where(keep & (first == 1), 1, second).astype(np.uint8)) in data
    assert frame_blocks(data)[1] == (2, 1)


def test_kept_pixels_of_the_transparent_entry_stay_as_they_were():
    """Kept pixels of the frame's transparent entry counted as pixels to make transparent:
    the first frame was cleared under them, and every pixel was lost."""
    fp = io.BytesIO()
    local = np.array([[0, 0, 0], [255, 255, 255]], np.uint8)
    writer = GifWriter(fp, (3, 1), local, 0)
    writer.add(np.array([[1, 1, 1]], np.uint8))
    writer.add(np.array([[2, 2, 0]], np.uint8), palette=local, transparent=2,
               keep=np.ones((1, 3), bool))
    writer.close()
    white = [[[255, 255, 255, 255]] * 3]
    assert [frame.tolist() for frame in shown(fp.getvalue())] == [white, white]


def test_kept_pixels_where_the_canvas_shows_nothing_are_drawn_by_their_entry():
    """Where the canvas is cleared for the other pixels, there is nothing to keep."""
    fp = io.BytesIO()
    writer = GifWriter(fp, (3, 1), PALETTE, 0)
    writer.add(np.array([[1, 1, 1]], np.uint8))
    keep = np.array([[False, True, True]])
    writer.add(np.array([[3, 3, 0]], np.uint8), palette=PALETTE, transparent=3, keep=keep)
    writer.close()
    data = fp.getvalue()
    assert boxes(data) == [(0, 0, 3, 1), (2, 0, 3, 1)]  # the first frame is cleared
    second = shown(data)[1]
    # the box cleared for the first pixel holds the second, kept: it shows the cleared
    # canvas as the first does (Pillow draws it as the background entry, black); the
    # third, kept too, is drawn by its entry
    assert second[0, 1].tolist() == second[0, 0].tolist() != [255, 255, 255, 255]
    assert second[0, 2].tolist() == [0, 0, 0, 255]


def test_kept_pixels_in_the_box_cleared_for_a_transparent_pixel_are_drawn_by_their_entry():
    """As ``GifWriter.add`` says: the previous frame is cleared over its own box and the
    pixel turning transparent; kept pixels there are drawn by their entry (the transparent
    one shows transparent), the others are left as they are."""
    fp = io.BytesIO()
    writer = GifWriter(fp, (5, 1), np.zeros((2, 3), np.uint8), 0)
    for indices in ([[1, 1, 1, 1, 1]], [[0, 0, 1, 1, 1]]):  # white; then two pixels red
        writer.add(np.array(indices, np.uint8), palette=PALETTE[[2, 1]], transparent=2)
    local = np.array([[10, 200, 30], [40, 50, 250]], np.uint8)
    keep = np.array([[False, True, True, True, True]])
    writer.add(np.array([[2, 0, 2, 1, 0]], np.uint8), palette=local, transparent=2, keep=keep)
    writer.close()
    data = fp.getvalue()
    assert boxes(data)[1] == (0, 0, 2, 1)  # cleared when disposed of: the box of both pixels
    white, green = [255, 255, 255, 255], [10, 200, 30, 255]
    third = shown(data)[2].tolist()[0]
    assert third[0][3] == 0 and third[1] == green and third[2:] == [white] * 3


FULL = np.array([[0, 0, 0], [255, 255, 255], [200, 30, 30], [30, 30, 200]], np.uint8)


def full_table_frames(rng) -> list[np.ndarray]:
    """Two frames: a noisy 32 x 32 still, then its top and bottom rows changed to all four
    entries (so no entry of the full table is free for the unchanged pixels)."""
    first = rng.integers(0, 4, (32, 32)).astype(np.uint8)
    second = first.copy()
    second[0] = (first[0] + 1) % 4
    second[-1] = (first[-1] + 2) % 4
    return [first, second]


def written_with(palette: np.ndarray, frames: list[np.ndarray]) -> bytes:
    fp = io.BytesIO()
    h, w = frames[0].shape
    writer = GifWriter(fp, (w, h), palette, 0)
    for indices in frames:
        writer.add(indices)
    writer.close()
    return fp.getvalue()


def test_a_full_table_gets_a_wider_local_table_for_the_transparent_entry(rng):
    frames = full_table_frames(rng)
    data = written_with(FULL, frames)
    assert frame_blocks(data) == [(0, None), (8, 4)]
    for indices, rgba in zip(frames, shown(data), strict=True):
        assert np.array_equal(rgba[..., :3], FULL[indices])
        assert (rgba[..., 3] == 255).all()


def test_a_free_entry_needs_no_local_table(rng):
    first, second = full_table_frames(rng)
    for row in (0, -1):  # changed to entries 1 and 2 only: entry 0 is free
        second[row] = np.where(first[row] == 1, 2, 1)
    data = written_with(FULL, [first, second])
    assert frame_blocks(data) == [(0, None), (0, 0)]
    for indices, rgba in zip((first, second), shown(data), strict=True):
        assert np.array_equal(rgba[..., :3], FULL[indices])


def test_a_local_table_holds_only_the_entries_its_frame_uses(rng):
    """A frame of two colours and the transparent entry 2 wrote a table of four entries
    even when no pixel needed entry 2, or when an entry of the two was free to mark."""
    first = np.where(rng.random((8, 64)) < 0.5, 0, 1).astype(np.uint8)
    keep = np.zeros(first.shape, bool)
    keep[2:6, 10:50] = True
    both = np.where(rng.random(first.shape) < 0.5, 1, 0).astype(np.uint8)
    both[0, 0], both[-1, -1] = 1 - first[0, 0], 1 - first[-1, -1]  # the box: every pixel
    local = np.array([[40, 40, 40], [220, 220, 220]], np.uint8)
    none = np.zeros_like(keep)
    frames = [  # (indices, keep): kept pixels whose entry draws another colour are marked
        (first, none),                          # the first frame: nothing to mark
        (both, keep),                           # both colours drawn: marked with entry 2
        (np.zeros_like(first), keep),           # only entry 0 drawn: marked with entry 1
        (np.ones_like(first), none),            # nothing kept, nothing transparent
    ]
    fp = io.BytesIO()
    writer = GifWriter(fp, (64, 8), np.zeros((2, 3), np.uint8), 0)
    for indices, kept in frames:
        writer.add(indices, palette=local, transparent=2, keep=kept)
    writer.close()
    data = fp.getvalue()
    # the first frame keeps a transparent entry (see the next test): entry 2, both drawn
    assert frame_blocks(data) == [(4, 2), (4, 2), (2, 1), (2, None)]
    expected = local[first]
    for (indices, kept), rgba in zip(frames, shown(data), strict=True):
        expected = np.where(kept[..., None], expected, local[indices])
        assert np.array_equal(rgba[..., :3], expected)
        assert (rgba[..., 3] == 255).all()


def test_a_first_frame_that_marks_nothing_keeps_a_transparent_entry():
    """Pillow reads the frames after a first frame without a transparent entry as RGB: the
    pixel the third frame shows transparent came out opaque, in the entry it was cleared to."""
    local = np.array([[40, 40, 40], [220, 220, 220]], np.uint8)
    fp = io.BytesIO()
    writer = GifWriter(fp, (3, 1), np.zeros((2, 3), np.uint8), 0)
    for indices in ([[1, 1, 1]], [[0, 1, 1]], [[2, 1, 1]]):
        writer.add(np.array(indices, np.uint8), palette=local, transparent=2)
    writer.close()
    data = fp.getvalue()
    assert frame_blocks(data)[0] == (2, 0)  # entry 0: no pixel of the first frame draws it
    assert [frame[0, :, 3].tolist() for frame in shown(data)] == [[255] * 3, [255] * 3,
                                                                   [0, 255, 255]]


def test_a_frame_cleared_when_disposed_of_keeps_its_transparent_entry():
    """A first frame of a local table marked nothing and so had no transparent entry; cleared
    for the next frame's transparent pixel, Pillow drew its box in the background entry of
    the global table, opaque black, and the next frame showed the pixel opaque."""
    local = np.array([[40, 40, 40], [220, 220, 220]], np.uint8)
    fp = io.BytesIO()
    writer = GifWriter(fp, (3, 1), np.zeros((2, 3), np.uint8), 0)
    writer.add(np.array([[1, 1, 1]], np.uint8), palette=local, transparent=2)
    writer.add(np.array([[2, 1, 0]], np.uint8), palette=local, transparent=2)
    writer.close()
    data = fp.getvalue()
    assert boxes(data) == [(0, 0, 3, 1), (1, 0, 3, 1)]  # the first frame is cleared
    assert frame_blocks(data) == [(2, 0), (2, None)]  # entry 0: no pixel of the first frame
    frames = shown(data)
    assert frames[0].tolist() == [[[220, 220, 220, 255]] * 3]
    assert frames[1][0, :, 3].tolist() == [0, 255, 255]
    assert frames[1][0, 1:].tolist() == [[220, 220, 220, 255], [40, 40, 40, 255]]


def test_change_bytes_codes_the_changed_box_the_smaller_way(rng):
    before = rng.integers(0, 4, (20, 30)).astype(np.uint8)
    assert change_bytes(before, before, 4) == 0
    after = before.copy()
    after[5:9, 10:20] = 3 - after[5:9, 10:20]  # every pixel of the box changes
    box = after[5:9, 10:20]
    assert change_bytes(after, before, None) == len(_lzw(box))
    assert change_bytes(after, before, 4) == len(_lzw(box))  # no unchanged pixel to mark
    after[6, 12] = before[6, 12]
    marked = np.where(after != before, after, 4)[5:9, 10:20]
    assert change_bytes(after, before, 4) == min(len(_lzw(box)), len(_lzw(marked)))


@pytest.mark.parametrize("durations, played", [
    # Was cut to 655.35 s, with a warning: [655_350, 100, 100], and frames_shortened 1.
    ([1_000_000, 100, 100], [[500_000, 500_000], [100], [100]]),
    ([700_000, 655_350, 700_000, 15],
     [[350_000, 350_000], [655_350], [350_000, 350_000], [20]]),
    ([655_354, 40], [[655_350], [40]]),  # rounds to 655.35 s: one frame
    # 131,071.5 cs in 3 parts, then each frame still ends on its nearest centisecond
    ([1_310_715, 33, 33, 33], [[436_910, 436_910, 436_900], [30], [30], [30]]),
])
def test_a_frame_longer_than_a_gif_holds_is_written_as_several(durations, played):
    fp = io.BytesIO()
    writer = GifWriter(fp, (2, 1), PALETTE, 0)
    for i, duration in enumerate(durations):
        writer.add(np.array([[i % 2, 1]], np.uint8), duration=duration)
    writer.close()
    assert writer.frames_written == sum(map(len, played))
    with Image.open(io.BytesIO(fp.getvalue())) as im:
        got = [(f.info["duration"], np.array(f.convert("RGB")).tolist())
               for f in ImageSequence.Iterator(im)]
    want = [(ms, PALETTE[[[i % 2, 1]]].tolist()) for i, parts in enumerate(played)
            for ms in parts]
    assert got == want


def test_without_a_global_palette_the_first_frames_becomes_it():
    """Frames whose colours the first frame's palette holds are written with it, their
    entries moved to its entries of the same colours; a frame with another colour has it
    added to the table, where the table's padding holds it for free."""
    fp = io.BytesIO()
    writer = GifWriter(fp, (4, 1), None, 0)
    first = np.array([[0, 1, 2, 3]], np.uint8)
    writer.add(first, palette=FULL, transparent=4)
    swapped = FULL[[3, 2, 1, 0]]  # the same colours, in another order
    writer.add(np.array([[3, 3, 0, 1]], np.uint8), palette=swapped, transparent=4)
    other = np.array([[9, 9, 9], [255, 255, 255]], np.uint8)  # one colour the first lacks
    writer.add(np.array([[0, 1, 1, 2]], np.uint8), palette=other, transparent=2)
    writer.close()
    data = fp.getvalue()
    # FULL, its transparent entry (the third frame shows a pixel transparent) and the
    # colour the third frame adds
    assert data[10] & 0x80 and 2 << (data[10] & 7) == 8
    assert data[13: 13 + 18] == FULL.tobytes() + bytes([0, 0, 0, 9, 9, 9])
    assert data[11] == 4  # the background is the first frame's transparent entry
    assert frame_blocks(data) == [(0, 4), (0, 4), (0, 4)]  # no local table
    rgba = [frame.tolist()[0] for frame in shown(data)]
    opaque = [[*colour, 255] for colour in FULL.tolist()]
    assert rgba[0] == opaque
    assert rgba[1] == [opaque[0], opaque[0], opaque[3], opaque[2]]
    assert rgba[2][:3] == [[9, 9, 9, 255], [255, 255, 255, 255], [255, 255, 255, 255]]
    assert rgba[2][3][3] == 0


def test_without_a_global_palette_a_frame_keeps_its_table_where_that_is_smaller():
    """The shared table has 256 entries, so its codes are 8 bits wide; a frame drawing two
    of its colours codes smaller with a local table of two entries."""
    fp = io.BytesIO()
    palette = np.stack([np.arange(255, -1, -1, dtype=np.uint8)] * 3, axis=1)
    writer = GifWriter(fp, (256, 64), None, 0)
    writer.add(np.tile(np.arange(256, dtype=np.uint8), (64, 1)), palette=palette)
    checker = (np.indices((64, 256)).sum(axis=0) % 2).astype(np.uint8)
    writer.add(checker, palette=palette[[7, 200]])
    writer.close()
    data = fp.getvalue()
    assert [local for local, _ in frame_blocks(data)] == [0, 2]
    assert np.array_equal(shown(data)[1][..., 0], np.where(checker, 55, 248))


def per_frame_gif(frames: list[tuple[np.ndarray, np.ndarray]], size: tuple[int, int],
                  **add) -> bytes:
    """The GIF a writer without a global palette writes for (indices, palette) frames, each
    palette with a transparent entry after its colours."""
    fp = io.BytesIO()
    writer = GifWriter(fp, size, None, 0)
    for indices, palette in frames:
        writer.add(indices, palette=palette, transparent=palette.shape[0], duration=40, **add)
    writer.close()
    return fp.getvalue()


def global_table(data: bytes) -> np.ndarray:
    """The global colour table of a GIF's bytes, ``(n, 3)``."""
    assert data[10] & 0x80
    return np.frombuffer(data[13: 13 + 3 * (2 << (data[10] & 7))], np.uint8).reshape(-1, 3)


def test_an_opaque_animations_first_table_has_no_transparent_entry_it_does_not_need():
    """Two colours and a transparent entry took a table of four entries; no frame shows a
    pixel transparent or marks one, so the table holds the two colours alone, and the
    first frame has no transparent entry."""
    palette = FULL[:2]
    first = np.array([[0, 1, 0, 1]], np.uint8)
    data = per_frame_gif([(first, palette), (first[:, ::-1].copy(), palette)], (4, 1))
    assert global_table(data).tolist() == palette.tolist()
    assert frame_blocks(data) == [(0, None), (0, None)]
    rgba = [frame[0, :, :3].tolist() for frame in shown(data)]
    assert rgba == [palette[first[0]].tolist(), palette[first[0, ::-1]].tolist()]


def test_frames_whose_palettes_fit_one_table_together_need_no_local_table():
    """The first frame's five colours take a table of eight entries; the next frames'
    colours it lacks (two, then one beside one it holds) are added to its free entries
    rather than written as local tables, and every frame shows what it shows with its
    own palette."""
    grey = np.array([[9, 9, 9], [90, 90, 90], [1, 2, 3]], np.uint8)
    palettes = [np.vstack([FULL, [[50, 60, 70]]]), grey[:2], np.vstack([grey[2:], FULL[:1]])]
    frames = [(np.array([[0, 1, 2, 3, 4]], np.uint8), palettes[0]),
              (np.array([[1, 0, 1, 0, 1]], np.uint8), palettes[1]),
              (np.array([[0, 0, 1, 1, 0]], np.uint8), palettes[2])]
    data = per_frame_gif(frames, (5, 1))
    assert [local for local, _ in frame_blocks(data)] == [0, 0, 0]
    assert global_table(data).tolist() == np.vstack([palettes[0], grey]).tolist()
    for (indices, palette), rgba in zip(frames, shown(data), strict=True):
        assert np.array_equal(rgba[..., :3], palette[indices])
        assert (rgba[..., 3] == 255).all()


def test_a_frame_keeps_its_local_table_where_adding_its_colours_costs_more():
    """The first frame's two colours fill a table of two entries; a later frame's four other
    colours would take it to eight entries (18 bytes more) where its own table of four
    costs 12: it keeps it, and the global table stays at two entries."""
    palettes = [FULL[:2], np.array([[9, 9, 9], [90, 90, 90], [1, 2, 3], [4, 5, 6]], np.uint8)]
    frames = [(np.array([[0, 1, 0, 1]], np.uint8), palettes[0]),
              (np.array([[0, 1, 2, 3]], np.uint8), palettes[1])]
    data = per_frame_gif(frames, (4, 1))
    assert global_table(data).tolist() == palettes[0].tolist()
    assert [local for local, _ in frame_blocks(data)] == [0, 4]
    assert shown(data)[1][0, :, :3].tolist() == palettes[1].tolist()


def test_a_transparent_pixel_in_a_later_frame_gives_the_first_frame_its_entry():
    """Pillow reads the frames after a first frame without a transparent entry as opaque,
    so when a later frame shows a pixel transparent the table gets the entry (after the
    colours) and the first frame names it."""
    palette = FULL[:2]
    first = np.array([[0, 1, 0, 1]], np.uint8)
    second = np.array([[0, 1, 2, 1]], np.uint8)  # entry 2: transparent
    data = per_frame_gif([(first, palette), (second, palette)], (4, 1))
    assert global_table(data)[:3].tolist() == [*palette.tolist(), [0, 0, 0]]
    assert data[11] == 2  # the background is that entry
    assert frame_blocks(data)[0] == (0, 2)
    last = shown(data)[1][0]
    assert last[:, 3].tolist() == [255, 255, 0, 255]
    assert last[[0, 1, 3], :3].tolist() == palette[[0, 1, 1]].tolist()


def test_a_first_frames_palette_read_as_grey_levels_is_written_with_two_entries_swapped():
    """Pillow reads a first frame whose table is entry i = (i, i, i) as greyscale, and the
    later frames' local tables' entries as grey levels: the later frames were black."""
    fp = io.BytesIO()
    ramp = np.stack([np.arange(4, dtype=np.uint8)] * 3, axis=1)
    writer = GifWriter(fp, (4, 1), None, 0)
    writer.add(np.array([[0, 1, 2, 3]], np.uint8), palette=ramp)
    writer.add(np.array([[0, 1, 1, 0]], np.uint8), palette=FULL[[2, 3]])
    writer.close()
    data = fp.getvalue()
    assert data[13:25] == bytes([1, 1, 1, 0, 0, 0, 2, 2, 2, 3, 3, 3])
    assert [local for local, _ in frame_blocks(data)] == [0, 2]
    first, second = (frame.tolist()[0] for frame in shown(data))
    assert first == [[i, i, i, 255] for i in range(4)]
    red, blue = [200, 30, 30, 255], [30, 30, 200, 255]
    assert second == [red, blue, blue, red]


def test_a_first_palette_read_as_grey_levels_without_its_transparent_entry_is_swapped():
    """Black and (1, 1, 1) with a transparent entry after them took a table of four, not a
    grey ramp; without that entry the table of two is one, which Pillow would read as grey
    levels, so its two entries are swapped."""
    ramp = np.stack([np.arange(2, dtype=np.uint8)] * 3, axis=1)
    first = np.array([[0, 1, 1, 0]], np.uint8)
    data = per_frame_gif([(first, ramp), (np.array([[0, 1, 2, 3]], np.uint8), FULL)], (4, 1))
    assert global_table(data).tolist() == [[1, 1, 1], [0, 0, 0]]
    frames = shown(data)
    assert frames[0][0, :, :3].tolist() == ramp[first[0]].tolist()
    assert frames[1][0, :, :3].tolist() == FULL.tolist()


def test_frames_held_in_a_temporary_file_are_written_the_same(monkeypatch):
    """A writer without a global palette holds its frames until it closes; past
    ``_SPOOLED`` bytes they go to a temporary file, and come out the same."""
    frames = [(np.array([[0, 1, 2, 3, 0]], np.uint8), FULL),
              (np.array([[1, 0, 1, 0, 1]], np.uint8), FULL[2:])]
    in_memory = per_frame_gif(frames, (5, 1))
    monkeypatch.setattr(gif_module, "_SPOOLED", 1)
    assert per_frame_gif(frames, (5, 1)) == in_memory


def test_a_writer_without_a_global_palette_needs_each_frames():
    writer = GifWriter(io.BytesIO(), (1, 1), None, 0)
    with pytest.raises(ValueError, match=r"^palette=None: this writer takes every frame's own"):
        writer.add(np.zeros((1, 1), np.uint8))


@pytest.mark.parametrize("disposal", [1, 2, 3])
def test_the_repeats_of_a_long_frame_show_its_picture_whatever_its_disposal(disposal):
    # Its parts are kept on screen (one transparent pixel each after the first); a pixel
    # the next frame shows transparent is still cleared.
    frames = [np.array([[0, 1, 3]], np.uint8), np.array([[3, 1, 2]], np.uint8)]
    fp = io.BytesIO()
    writer = GifWriter(fp, (3, 1), PALETTE, 0, background=3)
    writer.add(frames[0], transparent=3, duration=800_000, disposal=disposal)
    writer.add(frames[1], transparent=3, duration=100, disposal=disposal)
    writer.close()
    data = fp.getvalue()
    table = np.vstack([np.column_stack([PALETTE, np.full(3, 255)]), [[0, 0, 0, 0]]])
    assert [f.tolist() for f in shown(data)] == [table[frames[0]].tolist()] * 2 + \
        [table[frames[1]].tolist()]
    assert boxes(data)[1] == (0, 0, 1, 1)
    with Image.open(io.BytesIO(data)) as im:
        assert [f.info["duration"] for f in ImageSequence.Iterator(im)] == [400_000, 400_000,
                                                                             100]


@pytest.mark.parametrize("disposal", [0, 4, 5, 7])
def test_a_disposal_the_writer_does_not_follow_is_written_as_keep(disposal):
    # 4 to 7 were written as given but followed as keep: viewers restored 4 to previous
    # (Pillow 4 to 7), and the pixel the second frame drew, outside the third's box, went
    # back to the first frame's colour.
    frames = [np.zeros((1, 3), np.uint8), np.array([[0, 1, 0]], np.uint8),
              np.array([[0, 1, 2]], np.uint8)]
    data = written(frames, disposal=disposal)
    assert [f[..., :3].tolist() for f in shown(data)] == [PALETTE[f].tolist() for f in frames]
    with Image.open(io.BytesIO(data)) as im:
        assert {f.disposal_method for f in ImageSequence.Iterator(im)} == {1}


def _changing_indices(rng, transparent):
    """Frames 10 x 12 of entries 0 to 2 (3: transparent, with ``transparent``), changing
    from one to the next: a 2 x 3 sprite moving, nothing, one corner pixel (bottom right,
    then top left), a pixel turning transparent (cleared: the frame before is disposed
    of over a box), the same frame held over two GIF frames, and every pixel."""
    first = rng.integers(0, 3, (10, 12)).astype(np.uint8)
    frames = [first]
    for change in ("sprite", "sprite", "nothing", "bottom right", "top left",
                   "transparent", "long", "everything"):
        now = (first if change == "sprite" else frames[-1]).copy()
        if change == "sprite":
            now[3:5, len(frames) * 3:len(frames) * 3 + 3] = [[0, 1, 2], [2, 1, 0]]
        elif change == "bottom right":
            now[9, 11] = (now[9, 11] + 1) % 3
        elif change == "top left":
            now[0, 0] = (now[0, 0] + 1) % 3
        elif change == "transparent" and transparent is not None:
            now[6, 7] = transparent
        elif change == "everything":
            now = (now + 1) % 3
        frames.append(now)
    return frames


@pytest.mark.parametrize("transparent", [None, 3])
@pytest.mark.parametrize("disposal", [1, 2])
def test_a_frame_drawn_from_the_entries_that_changed_is_written_as_one_drawn_whole(
        rng, monkeypatch, transparent, disposal):
    """A frame whose canvas codes are taken from the frame before, looked up only where
    its entries changed, is written byte for byte as one looked up whole: a sprite, no
    change, one corner pixel, a pixel cleared, a frame longer than a GIF frame, every
    pixel; frames kept or cleared (disposal 2) once shown."""
    frames = _changing_indices(rng, transparent)
    palette = np.vstack([PALETTE, [[0, 0, 0]]]) if transparent is not None else PALETTE

    def gif() -> bytes:
        fp = io.BytesIO()
        writer = GifWriter(fp, (12, 10), palette, 0, background=transparent or 0)
        for i, indices in enumerate(frames):
            long = 700_000 if i == 7 else 40  # over 655.35 s: written as two frames
            writer.add(indices, transparent=transparent, duration=long, disposal=disposal)
        writer.close()
        return fp.getvalue()

    looked_up = []
    real = GifWriter._redrawn
    monkeypatch.setattr(GifWriter, "_redrawn", lambda self, *args: looked_up.append(
        real(self, *args)) or looked_up[-1])
    boxed = gif()
    monkeypatch.setattr(GifWriter, "_redrawn", lambda self, *args: None)
    assert boxed == gif()
    redrawn = [found[1] for found in looked_up if found is not None]
    assert (len(redrawn) > 5) == (disposal == 1)


def test_cleared_box_is_the_pending_frames_box_and_the_pixels_to_empty():
    """The box a pixel turning transparent clears is the one the frame pending is then
    written to clear: its own box and those pixels; none where nothing shows, nor for a
    pixel the canvas shows nothing at."""
    fp = io.BytesIO()
    writer = GifWriter(fp, (8, 6), PALETTE, 0)
    first = np.zeros((6, 8), np.uint8)
    first[:, 6:] = 2  # entry 2 is transparent: the two right columns show nothing
    none = np.zeros((6, 8), bool)
    assert writer.cleared_box(none) is None  # no frame pending
    writer.add(first, transparent=2, duration=40)
    second = first.copy()
    second[1:3, 1:4] = 1
    writer.add(second, transparent=2, duration=40)
    hole = none.copy()
    hole[4, 5] = hole[0, 7] = True
    assert writer.cleared_box(none) is None
    assert writer.cleared_box(hole) == (1, 1, 6, 5)  # (0, 7) shows nothing already
    third = second.copy()
    third[4, 5] = 2
    writer.add(third, transparent=2, duration=40)
    writer.close()
    with Image.open(io.BytesIO(fp.getvalue())) as im:
        im.seek(1)
        assert tuple(im.dispose_extent) == (1, 1, 6, 5) and im.disposal_method == 2


def _tried(frames, palette, try_both):
    """The GIF and ``optimized`` of a writer given ``frames``, with ``try_both`` or not."""
    fp = io.BytesIO()
    h, w = frames[0].shape
    writer = GifWriter(fp, (w, h), palette, 0, try_both=try_both)
    for indices in frames:
        writer.add(indices, duration=100)
    writer.close()
    return fp.getvalue(), writer.optimized


def test_optimized_says_whether_trying_more_ways_made_the_file_smaller():
    # optimized was try_both itself: true for every GIF written with --optimize, also when
    # the file was the same bytes as without it (five banners out of five).
    palette = np.array([[0, 255, 0], [30, 225, 70], [60, 195, 140], [90, 165, 210]], np.uint8)
    first = np.array([[3, 0, 2, 1, 0], [0, 1, 2, 0, 3]], np.uint8)
    said = []
    for second in ([[2, 3, 2, 3, 3], [2, 1, 2, 0, 3]],   # runs marked, the others not: smaller
                   [[3, 0, 2, 1, 0], [0, 1, 1, 1, 3]]):  # no way try_both adds is smaller
        frames = [first, np.array(second, np.uint8)]
        (plain, plain_optimized), (tried, optimized) = (_tried(frames, palette, False),
                                                        _tried(frames, palette, True))
        assert [f.tolist() for f in shown(tried)] == [f.tolist() for f in shown(plain)]
        said.append((len(plain) - len(tried), optimized, plain_optimized))
    assert said == [(1, True, False), (0, False, False)]
