"""quantize.animation.stats: (original, drawn) colour pairs counted over frames."""

from __future__ import annotations

import math

import numpy as np
import pytest

from quantize.animation import stats as stats_module
from quantize.animation.stats import FrameStats, merge_counts, merge_pending
from quantize.colors import ciede2000, lab_of, pack_rgb

BLACK, GREY = (0, 0, 0), (10, 20, 30)
SHOWN_GREY = (13, 20, 30)  # 3 off in red: a squared error of 9 over 3 channels


def codes(*colors) -> np.ndarray:
    return pack_rgb(np.array(colors, np.uint8))


def test_merge_counts_sorts_the_keys_and_adds_the_counts_of_equal_ones():
    keys, total = merge_counts([np.array([5, 1]), np.array([1, 9])],
                               [np.array([2, 3]), np.array([4, 1])])
    assert keys.tolist() == [1, 5, 9] and total.tolist() == [7, 2, 1]
    assert total.dtype == np.int64


def test_merge_counts_of_nothing_is_empty():
    keys, total = merge_counts([], [])
    assert keys.shape == total.shape == (0,)
    assert keys.dtype == total.dtype == np.int64


def test_merge_pending_gives_merge_counts_and_sorts_only_the_newer_parts(rng, spy):
    # The first part, sorted and distinct, grows over the frames: sorting it again at
    # every merge took time growing with the square of the frames.
    first, first_n = np.unique(rng.integers(0, 5000, 3000), return_counts=True)
    newer = [rng.integers(0, 6000, 200) for _ in range(15)]
    newer_n = [rng.integers(1, 9, 200) for _ in range(15)]
    expected = merge_counts([first, *newer], [first_n, *newer_n])
    sorted_sizes = spy(np, "unique", lambda values, *args, **kwargs: np.size(values))
    parts, counts = [first, *newer], [first_n, *newer_n]
    merge_pending(parts, counts)
    assert sorted_sizes == [15 * 200]
    assert len(parts) == len(counts) == 1
    assert parts[0].tolist() == expected[0].tolist()
    assert counts[0].tolist() == expected[1].tolist() and counts[0].dtype == np.int64
    assert first_n.sum() == 3000  # the caller's counts are not added to


def test_pairs_psnr_and_entry_pixels_of_a_few_pixels():
    stats = FrameStats()
    stats.add_pixels(codes(BLACK, BLACK, GREY), codes(BLACK, BLACK, SHOWN_GREY))
    original, drawn, n = stats.pairs()
    assert original.tolist() == [list(BLACK), list(GREY)]
    assert drawn.tolist() == [list(BLACK), list(SHOWN_GREY)]
    assert n.tolist() == [2.0, 1.0]
    mse = (9 / 3) * 1 / 3  # one pixel of three is off, by 9 / 3 per channel
    assert stats.psnr() == 10 * math.log10(255 ** 2 / mse)
    palette = np.array([SHOWN_GREY, BLACK, (255, 255, 255)], np.uint8)
    assert stats.entry_pixels(palette).tolist() == [1.0, 2.0, 0.0]


def test_psnr_is_infinite_when_lossless_or_empty():
    assert FrameStats().psnr() == math.inf
    stats = FrameStats()
    stats.add_pixels(codes(GREY, BLACK), codes(GREY, BLACK))
    assert stats.psnr() == math.inf


def test_counts_survive_the_merging_of_many_frames():
    stats = FrameStats()
    for _ in range(40):  # more frames than are kept unmerged
        stats.add_pairs(codes(GREY), codes(SHOWN_GREY), np.array([3]))
    _, _, n = stats.pairs()
    assert n.tolist() == [120.0]


def _frames_of_own_colours(stats: FrameStats, rng: np.random.Generator, n_frames: int) -> None:
    """Frames whose pixels are drawn with colours of their own, as with a palette per frame:
    the distinct pairs grow with the frames."""
    for _ in range(n_frames):
        if stats.alpha:
            words = rng.integers(0, 1 << 32, size=(2, 30), dtype=np.uint64).astype(np.uint32)
            words |= np.uint32(0x01000000)  # visible: alpha above 0
            stats.add_pixels(words[0], words[1])
        else:
            shown = rng.integers(0, 256, size=(2, 30, 3), dtype=np.uint8)
            stats.add_pixels(pack_rgb(shown[0]), pack_rgb(shown[1]))


def test_the_pairs_held_stay_bounded_however_many_frames(monkeypatch):
    monkeypatch.setattr(stats_module, "_FOLD_FROM", 100)
    stats, rng = FrameStats(), np.random.default_rng(0)
    most = 0
    for _ in range(80):  # 2,400 distinct pairs in all
        _frames_of_own_colours(stats, rng, 1)
        most = max(most, stats.held_pairs())
    assert most <= 100 + stats_module._MERGE_EVERY * 30


def test_the_pairs_held_stay_bounded_however_large_the_frames(monkeypatch):
    """Frames of 300 distinct pairs each are folded as they come, not 16 at a time."""
    rng = np.random.default_rng(2)
    shown = [rng.integers(0, 256, size=(2, 300, 3), dtype=np.uint8) for _ in range(10)]
    held = FrameStats()
    for a, b in shown:
        held.add_pixels(pack_rgb(a), pack_rgb(b))
    monkeypatch.setattr(stats_module, "_FOLD_FROM", 100)
    folded, most = FrameStats(), 0
    for a, b in shown:
        folded.add_pixels(pack_rgb(a), pack_rgb(b))
        most = max(most, folded.held_pairs())
    assert most <= 300 < held.held_pairs()
    assert folded.psnr() == pytest.approx(held.psnr(), rel=1e-12)
    assert folded.drawn()[1].sum() == 3000


@pytest.mark.parametrize("alpha", [False, True])
def test_folded_pairs_give_the_metrics_of_the_pairs_held(monkeypatch, alpha):
    held = FrameStats(alpha=alpha)
    _frames_of_own_colours(held, np.random.default_rng(1), 80)
    monkeypatch.setattr(stats_module, "_FOLD_FROM", 100)
    folded = FrameStats(alpha=alpha, transparent_pixels=7)
    held.transparent_pixels = 7
    _frames_of_own_colours(folded, np.random.default_rng(1), 80)
    assert folded.held_pairs() < 100 + stats_module._MERGE_EVERY * 30 < held.held_pairs()
    assert folded.psnr() == pytest.approx(held.psnr(), rel=1e-12)
    assert folded.delta_e() == pytest.approx(held.delta_e(), rel=1e-12)
    drawn, n = folded.drawn()
    assert drawn.tolist() == held.drawn()[0].tolist() and n.tolist() == held.drawn()[1].tolist()
    assert n.sum() == 80 * 30
    palette = drawn[::7]
    assert folded.entry_pixels(palette).tolist() == held.entry_pixels(palette).tolist()


def test_recounted_adds_and_removes_values_and_drops_keys_left_with_none():
    keys, counts = stats_module.recounted(np.array([3, 8, 9], np.uint32),
                                          np.array([2, 1, 4], np.int64),
                                          np.array([[8, 1], [1, 9]], np.uint32),
                                          np.array([8, 8, 3], np.uint32))
    assert keys.tolist() == [1, 3, 9] and counts.tolist() == [2, 1, 5]
    assert keys.dtype == np.uint32 and counts.dtype == np.int64


@pytest.mark.parametrize("alpha", [False, True])
def test_a_frame_counted_by_its_changed_pixels_counts_as_the_whole_frame(rng, alpha):
    """add_changed of the pixels that changed counts what add_pixels of the whole frame
    counts: the same pairs held, the same metrics; also with no pixel changed, and with
    a pixel turning into one the frame had nowhere else."""
    dtype = np.uint32
    first = rng.integers(0, 4, (6, 7)).astype(dtype)
    second = first.copy()
    second[2:, 3:] = rng.integers(0, 6, (4, 4))  # every pixel of the box anew
    frames = [first, second, second.copy()]  # the third: nothing changed
    last = frames[-1].copy()
    last[5, 6] = 77  # one corner pixel, a colour new to the frame
    frames.append(last)
    drawn = [f // 2 * 2 for f in frames]  # as drawn: two colours share an entry
    whole, boxed = FrameStats(alpha=alpha), FrameStats(alpha=alpha)
    for i, (codes_, shown) in enumerate(zip(frames, drawn, strict=True)):
        whole.add_pixels(codes_.ravel(), shown.ravel())
        if i == 0:
            boxed.add_pixels(codes_.ravel(), shown.ravel(), keep=True)
            continue
        box = np.s_[2:, 3:]  # holds every pixel that changed from the frame before
        boxed.add_changed((frames[i - 1][box], drawn[i - 1][box]), (codes_[box], shown[box]))
    for a, b in zip(whole.pairs(), boxed.pairs(), strict=True):
        assert np.array_equal(a, b)
    assert [k.tolist() for k in whole._keys] == [k.tolist() for k in boxed._keys]


def test_counting_changed_pixels_needs_a_frame_kept_before():
    stats = FrameStats()
    stats.add_pixels(codes(GREY), codes(GREY))  # not kept
    with pytest.raises(ValueError, match="no frame was counted with keep=True"):
        stats.add_changed((codes(GREY), codes(GREY)), (codes(BLACK), codes(BLACK)))


def test_the_tail_is_the_share_of_pixels_beyond_each_limit():
    """Three pixels: one exact, one 1.19 away (grey drawn 3 off in red), and one drawn
    black, 47.4 away: 2/3 beyond 0.5 and 1/3 beyond 5."""
    stats = FrameStats(error_limits=(0.5, 5.0))
    stats.add_pixels(codes(BLACK, GREY, (200, 100, 50)), codes(BLACK, SHOWN_GREY, BLACK))
    mean, measured, above = stats.delta_e_and_tail()
    assert mean == measured == stats.delta_e() and above == (2 / 3, 1 / 3)
    assert FrameStats(error_limits=(1.0,)).delta_e_and_tail() == (0.0, 0.0, (0.0,))
    assert FrameStats().delta_e_and_tail()[2] == ()


def _words(*rgba) -> np.ndarray:
    return np.array(rgba, np.uint8).view("<u4").ravel()


def test_a_quality_counts_a_translucent_pixel_the_worse_of_black_and_white():
    """Black of alpha 128 drawn opaque black is black on black, a CIEDE2000 of 0, and
    half grey against black on white; the still's search counts it so, and the
    animation's check after writing counted 0: a mean and a tail as a still's."""
    stats = FrameStats(alpha=True, error_limits=(1.0,))
    stats.add_pixels(_words((0, 0, 0, 128), (90, 90, 90, 255)),
                     _words((0, 0, 0, 255), (90, 90, 90, 255)))
    on_white = float(ciede2000(lab_of(np.array([[0, 0, 0, 128]], np.uint8), "white"),
                               lab_of(np.array([[0, 0, 0]], np.uint8)))[0])
    assert on_white == pytest.approx(39.55, abs=0.01)
    mean, measured, above = stats.delta_e_and_tail()
    assert mean == stats.delta_e() == 0.0  # recorded on black, as a still's delta_e
    assert measured == pytest.approx(on_white / 2, rel=1e-6) and above == (0.5,)


@pytest.mark.parametrize("alpha", [False, True])
def test_folded_pairs_give_the_tail_of_the_pairs_held(monkeypatch, alpha):
    """The pairs folded into sums are dropped: their share beyond each limit is counted as
    they are folded."""
    limits = (10.0, 30.0, 60.0)
    held = FrameStats(alpha=alpha, error_limits=limits)
    _frames_of_own_colours(held, np.random.default_rng(1), 80)
    monkeypatch.setattr(stats_module, "_FOLD_FROM", 100)
    folded = FrameStats(alpha=alpha, error_limits=limits)
    _frames_of_own_colours(folded, np.random.default_rng(1), 80)
    assert folded.held_pairs() < held.held_pairs()
    mean, measured, above = folded.delta_e_and_tail()
    assert mean == pytest.approx(held.delta_e_and_tail()[0], rel=1e-12)
    assert measured == pytest.approx(held.delta_e_and_tail()[1], rel=1e-12)
    assert (measured > mean) is alpha  # translucent pairs: the worse of black and white
    assert above == held.delta_e_and_tail()[2]
    assert 0 < above[2] < above[1] < above[0] < 1


def test_psnr_with_alpha_leaves_out_the_transparent_pixels():
    """Frames with alpha: fully transparent pixels, exact in both, are not counted, as a
    still's PSNR does not count them (padding with clear canvas raised it)."""
    pairs = (_words((0, 0, 0, 255), (90, 90, 90, 128)), _words((2, 0, 0, 255), (90, 90, 90, 128)))
    alone = FrameStats(alpha=True)
    alone.add_pixels(*pairs)
    padded = FrameStats(alpha=True, transparent_pixels=98)
    padded.add_pixels(*pairs)
    # squared error 4 in one channel of 4, over 2 pixels
    expected = 10 * math.log10(255 ** 2 / (4 / 8))
    for over in (None, "black", "white"):
        assert padded.psnr(over) == pytest.approx(alone.psnr(over), rel=1e-12)
    assert padded.psnr() == pytest.approx(expected, rel=1e-12)
