"""quantize.animation.plans: the opaque mask, the pooled histogram, and the two palette plans."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from quantize.animation import plans, reduce_animation_file
from quantize.animation import stats as stats_module
from quantize.animation.frames import Frame, iter_frames, open_animation
from quantize.animation.gif import RecentCodes
from quantize.animation.options import check_animation_options
from quantize.animation.plans import (
    FEWER_COLOURS_DB,
    RUN_TOLERANCE,
    STILL_RUN,
    GlobalPlan,
    PerFramePlan,
    _favour_runs,
    _hold_entries,
    coarse,
    pooled_histogram,
    pooled_rgba,
    split_alpha,
)
from quantize.animation.stats import FrameStats
from quantize.colors import pack_rgb, srgb_to_lab
from quantize.errors import AlphaLossWarning
from quantize.reconstruct.palette import dither_indices
from quantize.reduce import reduce_colors

from .animation_support import (
    BLUE,
    CYAN,
    GREEN,
    MAGENTA,
    RED,
    WHITE,
    YELLOW,
    composited,
    moving_square,
    save_animation,
)
from .memory_support import peak_bytes

A, B = (10, 20, 30), (200, 100, 50)


def frame(pixels, alpha) -> Frame:
    """A one-row frame of the given RGB pixels and alphas."""
    rgba = np.array([[(*p, a) for p, a in zip(pixels, alpha, strict=True)]], np.uint8)
    return Frame(rgba, duration=50, disposal=1)


def test_split_alpha_is_opaque_from_128_on():
    f = frame([A, A, B, B], [0, 127, 128, 255])
    rgb, opaque = split_alpha(f)
    assert opaque.tolist() == [[False, False, True, True]]
    assert np.array_equal(rgb, f.rgba[..., :3])


def test_pooled_histogram_counts_every_frame_and_the_pixels_that_move():
    frames = [frame([A, A, B, A], [255, 255, 255, 0]),
              frame([A, B, B, A], [255, 255, 255, 0])]  # pixel 1 turns from A to B
    pooled = pooled_histogram(iter(frames))
    code_a, code_b = pack_rgb(np.array([A, B], np.uint8)).tolist()
    assert pooled.codes.tolist() == sorted([code_a, code_b])
    counts = dict(zip(pooled.codes.tolist(), pooled.counts.tolist(), strict=True))
    moving = dict(zip(pooled.codes.tolist(), pooled.moving.tolist(), strict=True))
    assert counts == {code_a: 3, code_b: 3}  # 2 + 1 and 1 + 2; the clear pixel is not counted
    assert moving == {code_a: 0, code_b: 1}
    assert pooled.transparent


def _greys(alpha_even, alpha_odd, shift=0):
    """Eight translucent greys, two by two one level apart (60 i and 60 i + 1, with
    alphas ``alpha_even`` and ``alpha_odd``), rotated by ``shift``, then an opaque 7."""
    rgba = [(60 * i + j,) * 3 + ((alpha_even, alpha_odd)[j],) for i in range(4) for j in (0, 1)]
    rgba = rgba[shift:] + rgba[:shift] + [(7, 7, 7, 255)]
    return np.array([rgba], np.uint8)


def test_pooled_rgba_pools_translucent_colours_coarser_beyond_the_bound(monkeypatch):
    frames = [Frame(_greys(100, 101, shift), duration=50, disposal=1) for shift in (0, 0, 2)]
    exact = pooled_rgba(iter(frames))
    assert exact.level == 0 and exact.words.size == 9
    monkeypatch.setattr(plans, "HELD_TRANSLUCENT", 4)
    pooled = pooled_rgba(iter(frames))
    # One level: 60 i and 60 i + 1 both become 60 i + 1, alphas 100 and 101 both 101.
    assert pooled.level == 1
    assert pooled.colors.tolist() == [[60 * i + 1] * 3 + [101] for i in range(4)] + \
        [[7, 7, 7, 255]]
    assert pooled.counts.tolist() == [6, 6, 6, 6, 3]  # every visible pixel, once
    assert pooled.moving.tolist() == [2, 2, 2, 2, 0]  # the third frame's 8 greys moved
    assert pooled.moving.sum() == exact.moving.sum()


def test_pooled_rgba_without_partial_alpha_pools_pixels_as_drawn_opaque_or_not():
    """Every grey but the last pair drawn opaque, the last pair (alpha 100, 101) not at
    all: the histogram a palette without alpha fits, whatever alphas the frames hold."""
    frames = [Frame(_greys(128 + shift, 255 - shift, shift), duration=50, disposal=1)
              for shift in (0, 0, 2)]
    frames.append(Frame(_greys(100, 101, 0), duration=50, disposal=1))
    pooled = pooled_rgba(iter(frames), partial_alpha=False)
    assert pooled.level == 0 and not pooled.translucent and pooled.transparent
    assert pooled.colors[:, 3].tolist() == [255] * 9
    binary, snapped = pooled_rgba(iter(frames)).binary(), pooled.binary()
    for name in ("codes", "counts", "moving"):
        assert np.array_equal(getattr(snapped, name), getattr(binary, name))
    assert snapped.transparent and snapped.codes.size == 9
    assert snapped.counts.sum() == 3 * 9 + 1


def test_exact_colours_fitted_on_coarser_colours_are_colours_the_frames_hold(tmp_path,
                                                                            monkeypatch):
    """Rounded, 60 i (alpha 103) and 60 i + 1 (alpha 102) pool as 60 i + 1 at alpha 103,
    which no pixel has: each entry is then the frames' colour nearest to it."""
    monkeypatch.setattr(plans, "HELD_TRANSLUCENT", 4)
    frames = [Frame(_greys(103, 102), duration=50, disposal=1)]
    pooled = pooled_rgba(iter(frames))
    assert pooled.level == 1
    held = {tuple(c) for c in frames[0].rgba.reshape(-1, 4).tolist()}
    assert not held & {tuple(c) for c in pooled.colors.tolist()[:4]}
    src = save_animation(tmp_path / "in.png", [frames[0].rgba] * 2, duration=50, loop=0)
    opts = check_animation_options(src, tmp_path / "out.png", n_colors=5, seed=0,
                                   exact_colors=True)
    with open_animation(src) as animation:
        plan = plans.AlphaPlan.fit(animation, opts, pooled)
    assert {tuple(c) for c in plan.palette.tolist()} <= held
    assert len({tuple(c) for c in plan.palette.tolist()}) == 5


def test_colours_counted_are_merged_once_they_are_many_however_few_the_frames(monkeypatch):
    monkeypatch.setattr(plans, "_MERGE_FROM", 10)
    parts, counts = [], []
    plans._count(np.arange(8, dtype=np.uint32), parts, counts)
    assert len(parts) == 1
    plans._count(np.arange(4, 12, dtype=np.uint32), parts, counts)  # 16 held: merged
    assert len(parts) == 1
    assert parts[0].tolist() == list(range(12))
    assert counts[0].tolist() == [1] * 4 + [2] * 4 + [1] * 4


def test_coarse_keeps_opaque_words_and_translucent_ones_translucent():
    rgba = np.array([[0, 0, 0, 255], [255, 255, 255, 254], [255, 255, 255, 1]], np.uint8)
    words = rgba.view("<u4")[:, 0]
    for level in range(9):
        got = coarse(words, level).view(np.uint8).reshape(-1, 4)
        assert got[0].tolist() == [0, 0, 0, 255]
        assert 1 <= got[1, 3] <= 254 and 1 <= got[2, 3] <= 254
        assert np.array_equal(coarse(got.view("<u4")[:, 0], level), got.view("<u4")[:, 0])


def test_a_palette_fitted_on_coarser_colours_draws_each_pixel_with_its_nearest_entry(
        tmp_path, monkeypatch):
    from quantize.animation import reduce_animation_file

    monkeypatch.setattr(plans, "HELD_TRANSLUCENT", 4)
    frames = [np.repeat(_greys(100, 101, shift), 3, axis=0) for shift in (0, 2, 4)]
    src = save_animation(tmp_path / "in.png", frames, duration=50, loop=0)
    out = tmp_path / "out.png"
    reduce_animation_file(src, out, n_colors=5, seed=0)  # the five coarse colours
    got = [f.rgba for f in iter_frames(out)]
    assert len(got) == 3
    for f, shown in zip(frames, got, strict=True):  # each grey's nearest is its coarse one
        words = np.ascontiguousarray(f).view("<u4")[..., 0]
        assert np.array_equal(shown, coarse(words, 1)[..., None].view(np.uint8))


def test_a_palette_fitted_on_coarser_colours_maps_a_colour_it_never_saw(tmp_path,
                                                                         monkeypatch):
    """Without a table of the frames' colours, a frame is matched entry by entry: a
    colour between two coarse ones goes to the nearer."""
    monkeypatch.setattr(plans, "HELD_TRANSLUCENT", 4)
    frames = [Frame(_greys(100, 101), duration=50, disposal=1)]
    pooled = pooled_rgba(iter(frames))
    src = save_animation(tmp_path / "in.png", [frames[0].rgba] * 2, duration=50, loop=0)
    opts = check_animation_options(src, tmp_path / "out.png", n_colors=5, seed=0)
    with open_animation(src) as animation:
        plan = plans.AlphaPlan.fit(animation, opts, pooled)
    assert plan.level == 1 and plan.words.size == 0
    rgba = np.array([[[70, 70, 70, 100], [0, 0, 0, 255], [170, 170, 170, 120]]], np.uint8)
    indices, *_ = plan.map(rgba, rgba[..., 3] > 0, None, 0.0, FrameStats(alpha=True))
    assert plan.palette[indices[0]].tolist() == [[61, 61, 61, 101], [7, 7, 7, 255],
                                                 [181, 181, 181, 101]]


def test_global_plan_puts_the_moving_colours_first(tmp_path):
    src = save_animation(tmp_path / "in.gif", moving_square(), duration=50)
    with open_animation(src) as animation:
        plan = GlobalPlan.fit(animation, check_animation_options(src, None, n_colors=4,
                                                                 seed=0))
    # Pixels that change between frames: white, red and green 16 each, the blue bar none;
    # ties go to the colour with more pixels over all frames (white 528, red 32, green 16).
    assert plan.palette.tolist() == [list(WHITE), list(RED), list(GREEN), list(BLUE)]
    assert plan.transparent is None and plan.k == 4
    assert np.array_equal(plan.table_palette(), plan.palette)
    first = next(iter_frames(src))
    rgb, opaque = split_alpha(first)
    indices, palette, transparent, keep = plan.map(rgb, opaque, None, 0.0, FrameStats())
    assert palette is None and transparent is None and keep is None
    assert np.array_equal(plan.palette[indices], rgb)


def test_a_global_plan_holds_its_estimates_lzw_data_for_a_gif_alone(tmp_path):
    # The GIF writer reuses what the plan encoded to estimate a frame's bytes; an APNG's
    # or a WebP's writer does not, so the plan keeps none for them.
    src = save_animation(tmp_path / "in.gif", moving_square(), duration=50)
    with open_animation(src) as animation:
        held = {suffix: GlobalPlan.fit(animation, check_animation_options(
            src, tmp_path / f"out{suffix}", n_colors=4, seed=0)).lzw
            for suffix in (".gif", ".png", ".webp")}
    assert isinstance(held[".gif"], RecentCodes)
    assert held[".png"] is None and held[".webp"] is None


def test_a_global_plan_looks_a_frame_up_among_all_colours_in_sorted_order(tmp_path, spy):
    # The pooled colours of a long animation are millions: a frame's pixels searched in
    # raster order among them took 3 times as long as in sorted order.
    src = save_animation(tmp_path / "in.gif", moving_square(), duration=50)
    with open_animation(src) as animation:
        plan = GlobalPlan.fit(animation, check_animation_options(src, None, n_colors=2,
                                                                 seed=0))
    assert not plan.exact  # the path that looks up each pixel's colour
    rgb, opaque = split_alpha(next(iter_frames(src)))
    expected, _, _, _ = plan.map(rgb, opaque, None, 0.0, FrameStats())
    searched = spy(np, "searchsorted",
                   lambda haystack, needles, *args, **kwargs: np.ravel(needles))
    indices, _, _, _ = plan.map(rgb, opaque, None, 0.0, FrameStats())
    assert np.array_equal(indices, expected)
    # one search, of the pixels in the box of those whose colour is not an entry
    assert len(searched) == 1 and 0 < searched[0].size <= rgb.shape[0] * rgb.shape[1]
    assert (np.diff(searched[0].astype(np.int64)) >= 0).all()


@pytest.mark.parametrize("k", [2, 3, 4])
def test_per_frame_tables_hold_k_colours_and_an_entry_for_transparency(tmp_path, k):
    # A power of two lost a colour to the transparent entry: n_colors=2 drew one colour.
    colors = np.array([A, B, RED, GREEN, BLUE], np.uint8)
    rgb = colors[np.arange(10) % 5].reshape(2, 5, 3)
    opaque = np.ones((2, 5), bool)
    src = tmp_path / "in.gif"  # not read: per-frame plans see frames through ``map``
    plan = PerFramePlan(check_animation_options(src, None, n_colors=k, palette="per-frame",
                                                seed=0))
    indices, palette, transparent, keep = plan.map(rgb, opaque, None, 0.0, FrameStats())
    assert palette.shape == (k + 1, 3) and transparent == k and keep is None
    assert np.unique(indices).size == k and plan.k == k


def test_per_frame_palette_draws_a_frame_exactly_when_its_colours_fit(tmp_path):
    colors = np.array([A, B, RED, GREEN, BLUE], np.uint8)
    rgb = colors[np.arange(10) % 5].reshape(2, 5, 3)
    opaque = np.ones((2, 5), bool)
    six = PerFramePlan(check_animation_options(tmp_path / "in.gif", None, n_colors=6,
                                               palette="per-frame"))
    stats = FrameStats()
    indices, palette, transparent, _ = six.map(rgb, opaque, None, 0.0, stats)
    assert transparent == 5 and six.k == 5
    assert np.array_equal(palette[indices], rgb)  # five colours fit: drawn exactly
    assert stats.delta_e() == 0.0


def test_per_frame_tables_hold_255_colours_when_256_are_asked_for(tmp_path):
    n = np.arange(300)
    rgb = np.stack([n % 256, n // 256, n % 7], axis=-1).astype(np.uint8)[None]  # 300 colours
    plan = PerFramePlan(check_animation_options(tmp_path / "in.gif", None, n_colors=256,
                                                palette="per-frame", seed=0))
    _, palette, transparent, _ = plan.map(rgb, np.ones((1, 300), bool), None, 0.0,
                                          FrameStats())
    assert palette.shape == (256, 3) and transparent == 255 and plan.k == 255


def per_frame_keep(first: np.ndarray, second: np.ndarray, tmp_path) -> np.ndarray:
    """The pixels a per-frame plan keeps from ``first`` when mapping ``second`` (opaque)."""
    plan = PerFramePlan(check_animation_options(tmp_path / "in.gif", None, n_colors=256,
                                                palette="per-frame", seed=0))
    opaque = np.ones(first.shape[:2], bool)
    stats = FrameStats()
    indices, _, _, _ = plan.map(first, opaque, None, 0.0, stats)
    previous = (np.dstack([first, np.full(opaque.shape, 255, np.uint8)]), indices)
    indices, palette, _, keep = plan.map(second, opaque, previous, 0.0, stats)
    assert np.array_equal(palette[indices][~keep], second[~keep])  # few colours: exact
    return keep


def test_per_frame_redraws_a_still_pixel_alone_when_that_codes_smaller(tmp_path):
    first = np.full((3, 20, 3), B, np.uint8)
    first[1, 18] = A
    second = np.full((3, 20, 3), A, np.uint8)  # every pixel turns A, but
    second[0, :STILL_RUN] = B  # a row of STILL_RUN pixels stays B,
    second[:, 19] = B  # and a column as tall as the frame; (1, 18) was A already
    expected = np.zeros((3, 20), bool)
    expected[0, :STILL_RUN] = expected[:, 19] = True
    assert np.array_equal(per_frame_keep(first, second, tmp_path), expected)


def test_per_frame_keeps_scattered_still_pixels_when_that_codes_smaller(tmp_path, rng):
    first = rng.integers(0, 200, (4, 20, 3)).astype(np.uint8)
    still = (np.arange(80).reshape(4, 20) % 3) == 0  # no run of them, many colours
    second = np.where(still[..., None], first, np.array(A, np.uint8))
    assert np.array_equal(per_frame_keep(first, second, tmp_path), still)


def per_frame_plan(tmp_path, k: int) -> PerFramePlan:
    return PerFramePlan(check_animation_options(tmp_path / "in.gif", None, n_colors=k,
                                                palette="per-frame", seed=0))


@pytest.mark.parametrize("apart, given_up", [(2, True), (30, False)])
def test_a_frame_gives_up_its_least_needed_colour_rather_than_double_its_table(
        tmp_path, apart, given_up):
    # Four colours and the transparent entry take a table of eight entries; three and it,
    # four. The frame's error is that of its kept pixels, drawn as (0, 0, 0); the colour
    # given up is the one whose pixels move least to another entry: its one pixel, ``apart``
    # levels of red from RED, costs apart**2 (4, or 900 for 4 % of the PSNR, 0.17 dB).
    near = (RED[0] + apart, RED[1], RED[2])
    palette = np.array([WHITE, RED, near, BLUE], np.uint8)
    indices = np.array([[0] * 8 + [1] * 8 + [2] + [3] * 7 + [0] * 8], np.uint8)
    rgb = palette[indices]
    still = np.zeros(indices.shape, bool)
    still[0, -8:] = True
    rgb[still] = (40, 40, 40)  # shown as (0, 0, 0): 8 x 3 x 40**2 = 38400
    plan = per_frame_plan(tmp_path, 4)
    plan.shown = np.zeros(indices.shape, np.int64)
    opaque = np.ones(indices.shape, bool)
    fewer, mapped = plan._one_fewer(rgb, pack_rgb(rgb), opaque, still, palette, indices)
    assert 4 < 38400 * (10 ** (FEWER_COLOURS_DB / 10) - 1) < 900
    if given_up:
        assert fewer.tolist() == [list(WHITE), list(RED), list(BLUE)]
        assert mapped.tolist() == [[0] * 8 + [1] * 9 + [2] * 7 + [0] * 8]
    else:
        assert fewer is palette and mapped is indices


def test_a_frame_that_gives_up_its_last_colour_maps_its_transparent_pixels_in_the_table(
        tmp_path):
    # Transparent pixels on the colour given up kept its entry: given up last, that entry
    # was past the shorter palette, and mapping the frame raised IndexError.
    from quantize.animation import reduce_animation_file

    first = np.zeros((2, 16, 4), np.uint8)
    first[0] = 255
    first[0, :, :3] = np.arange(0, 256, 16)[:, None]  # sixteen greys on four entries, kept
    second = first.copy()  # in the next frame: their error makes (255, 0, 0) cheap to drop
    second[1, :, :3] = [(0, 0, 0)] * 4 + [(0, 0, 255)] * 4 + [(250, 0, 0)] * 4 + [(255, 0, 0)] * 4
    second[1, :13, 3] = 255  # the last three hide (255, 0, 0), the last entry's colour
    src = save_animation(tmp_path / "in.png", [first, second], duration=100, loop=0)
    out = tmp_path / "out.gif"
    reduce_animation_file(src, out, n_colors=4, palette="per-frame", seed=0)
    shown = composited(out)[1][1]
    assert shown[12].tolist() == [250, 0, 0, 255]  # given up: drawn as its neighbour
    assert (shown[13:, 3] == 0).all()


def test_per_frame_tables_of_kept_pixels_hold_three_colours_when_a_fourth_costs_little(
        tmp_path):
    # Six colours at -k 4: the two greys (kept in the second frame) share an entry.
    first = np.array([[(100, 100, 100), (110, 110, 110)] * 8
                      + [GREEN, YELLOW, MAGENTA, CYAN] * 5], np.uint8)
    second = first.copy()
    second[0, 16:] = [WHITE] * 4 + [RED] * 8 + [BLUE] * 7 + [(RED[0] + 2, *RED[1:])]
    plan = per_frame_plan(tmp_path, 4)
    opaque = np.ones(first.shape[:2], bool)
    stats = FrameStats()
    indices, palette, transparent, keep = plan.map(first, opaque, None, 0.0, stats)
    assert palette.shape == (5, 3) and transparent == 4  # nothing kept: no entry given up
    previous = (np.dstack([first, np.full(opaque.shape, 255, np.uint8)]), indices)
    indices, palette, transparent, keep = plan.map(second, opaque, previous, 0.0, stats)
    assert keep.tolist() == [[True] * 16 + [False] * 20]
    assert transparent == 3 and palette[:3].tolist() == [list(BLUE), list(RED), list(WHITE)]
    # the near red, alone, is drawn RED
    drawn = [WHITE] * 4 + [RED] * 8 + [BLUE] * 7 + [RED]
    assert np.array_equal(palette[indices[~keep]], np.array(drawn, np.uint8))


def test_a_frame_the_first_palette_draws_as_well_is_mapped_onto_it(tmp_path):
    # The frame's own palette gave up the near red (its pixel drawn RED: an error of 2**2);
    # the first frame's palette holds it, so it draws the frame exactly, with no local table.
    near = (RED[0] + 2, *RED[1:])
    first = np.array([WHITE, RED, near, BLUE], np.uint8)
    own = np.array([BLUE, RED, WHITE], np.uint8)
    indices = np.array([[2] * 4 + [1] * 8 + [0] * 7 + [1] + [0] * 4], np.uint8)
    rgb = np.array([[WHITE] * 4 + [RED] * 8 + [BLUE] * 7 + [near] + [(40, 40, 40)] * 4],
                   np.uint8)
    still = np.zeros(indices.shape, bool)
    still[0, -4:] = True  # kept: not drawn, so not weighed
    opaque = np.ones(indices.shape, bool)
    plan = per_frame_plan(tmp_path, 4)
    palette, mapped = plan._on_first(first, rgb, pack_rgb(rgb), opaque, still, own, indices)
    assert palette is first
    assert mapped[0, :20].tolist() == [0] * 4 + [1] * 8 + [3] * 7 + [2]
    assert np.array_equal(first[mapped[~still]], rgb[~still])


@pytest.mark.parametrize("indices", [[0, 1, 0, 1], [0, 1, 1, 1]])
def test_drawn_error_is_the_sum_over_pixels_by_colour_or_pixel_by_pixel(indices):
    # [0, 1, 1, 1]: the third pixel's colour, also the first's, is drawn with another entry
    palette = np.array([(0, 0, 0), (10, 0, 0)], np.uint8)
    rgb = np.array([[(1, 0, 0), (9, 0, 0), (1, 0, 0), (9, 0, 0)]], np.uint8)
    drawn = np.ones((1, 4), bool)
    distinct, counts, rows = plans.sorted_code_histogram(pack_rgb(rgb)[drawn])
    indices = np.array(indices, np.uint8)
    by_pixel = int(((palette[indices].astype(int) - rgb[0]) ** 2).sum())
    assert by_pixel == (4 if indices[2] == 0 else 84)
    assert plans._drawn_error(palette, indices, plans.unpack_rgb(distinct), counts, rows, rgb,
                              drawn) == by_pixel


def test_nearest_of_pixels_maps_each_opaque_pixel_to_its_nearest_entry():
    palette = np.array([(0, 0, 0), (250, 250, 250), (200, 0, 0)], np.uint8)
    rgb = np.array([[(10, 10, 10), (255, 255, 255), (190, 10, 0)],
                    [(255, 255, 255), (0, 0, 0), (120, 120, 120)]], np.uint8)
    opaque = np.ones((2, 3), bool)
    mapped = plans._nearest_of_pixels(pack_rgb(rgb), opaque, palette, "rgb")
    assert mapped.dtype == np.uint8
    assert mapped.tolist() == [[0, 1, 2], [1, 0, 2]]  # grey 120: 35,200 from red, 43,200 from black


def test_nearest_of_pixels_gives_a_hidden_pixel_the_entry_of_the_next_opaque_colour():
    # Sorted codes: 0x000005 (opaque, entry 0), 0x000006 (hidden), 0x0000f0 (opaque,
    # entry 1), 0x0000ff (hidden, past the last opaque colour: its entry, 1).
    palette = np.array([(0, 0, 0), (0, 0, 250)], np.uint8)
    codes = np.array([[0x000005, 0x000006, 0x0000f0, 0x0000ff]], np.uint32)
    opaque = np.array([[True, False, True, False]])
    assert plans._nearest_of_pixels(codes, opaque, palette, "rgb").tolist() == [[0, 1, 1, 1]]
    nothing = plans._nearest_of_pixels(codes, np.zeros_like(opaque), palette, "rgb")
    assert nothing.tolist() == [[0, 0, 0, 0]]


@pytest.mark.parametrize("space", ["rgb", "lab"])
def test_nearest_of_pixels_equals_searching_every_pixels_code(rng, space):
    # What PerFramePlan._mapped did: every pixel's code searched among the opaque ones.
    rgb = rng.integers(0, 4, (30, 40, 3), dtype=np.uint8) * 60
    opaque = rng.random((30, 40)) < 0.8
    palette = rng.integers(0, 256, (7, 3), dtype=np.uint8)
    codes = pack_rgb(rgb)
    distinct = np.unique(codes[opaque])
    labels = plans.nearest(plans._features(plans.unpack_rgb(distinct), space),
                           plans._features(palette, space))
    searched = labels[np.minimum(np.searchsorted(distinct, codes), distinct.size - 1)]
    mapped = plans._nearest_of_pixels(codes, opaque, palette, space)
    assert np.array_equal(mapped, searched)
    assert np.array_equal(plans._nearest_of_pixels(codes, np.ones_like(opaque), palette, space),
                          plans.nearest(plans._features(rgb.reshape(-1, 3), space),
                                        plans._features(palette, space)).reshape(30, 40))


def test_a_frame_its_own_palette_draws_better_keeps_it(tmp_path):
    # The first frame's palette lacks GREEN: drawn with it, the frame's error would grow.
    first = np.array([WHITE, RED, BLUE], np.uint8)
    own = np.array([GREEN, RED, WHITE], np.uint8)
    indices = np.array([[2] * 4 + [1] * 8 + [0] * 8], np.uint8)
    rgb = own[indices]
    opaque = np.ones(indices.shape, bool)
    plan = per_frame_plan(tmp_path, 4)
    palette, mapped = plan._on_first(first, rgb, pack_rgb(rgb), opaque, None, own, indices)
    assert palette is own and mapped is indices


def test_mean_delta_e_of_nothing_drawn_is_zero():
    assert FrameStats().delta_e() == 0.0


def _runs_by_hand(entries, lab, palette_lab, free):
    """The scan of ``_favour_runs`` written pixel by pixel."""
    nearest_sq = ((lab - palette_lab[entries]) ** 2).sum(axis=-1)
    out = entries.copy()
    for r, c in np.ndindex(entries.shape):
        if c > 0 and free[r, c]:
            left = out[r, c - 1]
            left_sq = ((lab[r, c] - palette_lab[left]) ** 2).sum()
            if left_sq <= nearest_sq[r, c] + RUN_TOLERANCE ** 2:
                out[r, c] = left
    return out


def test_favour_runs_equals_the_scan_pixel_by_pixel(rng):
    for h, w, k in [(7, 150, 8), (3, 64, 4), (5, 10, 3), (1, 9, 3), (6, 1, 2)]:
        palette_lab = (rng.random((k, 3)) * 20).astype(np.float32)
        lab = (rng.random((h, w, 3)) * 20).astype(np.float32)
        entries = rng.integers(0, k, (h, w)).astype(np.uint8)
        free = rng.random((h, w)) < 0.8
        got = _favour_runs(entries, lab, palette_lab, free)
        assert np.array_equal(got, _runs_by_hand(entries, lab, palette_lab, free))
        assert np.array_equal(got[~free], entries[~free])  # fixed pixels keep their entry


def test_favour_runs_extends_a_run_only_within_the_tolerance():
    palette_lab = np.array([[50, 0, 0], [52, 0, 0], [60, 0, 0]], np.float32)
    lab = np.array([[[50, 0, 0], [51.5, 0, 0], [53, 0, 0], [60, 0, 0]]], np.float32)
    nearest = np.array([[0, 1, 1, 2]], np.uint8)
    # 51.5: entry 0 is 1.5 away, its nearest 0.5: 2.25 <= 0.25 + 4, it joins 0's run;
    # 53: entry 0 is 3 away, its nearest 1: 9 > 1 + 4, a run of entry 1 starts;
    # 60: entry 1 is 8 away, its nearest 0: entry 2
    assert RUN_TOLERANCE == 2.0
    got = _favour_runs(nearest, lab, palette_lab, np.ones((1, 4), bool))
    assert got.tolist() == [[0, 0, 1, 2]]


def test_a_run_goes_on_along_the_whole_row():
    """Every pixel of a 200-pixel row may take its left neighbour's entry: the row is one
    run of the first pixel's entry. The scan cut rows into segments of 64 pixels, each
    starting again from its first pixel's nearest entry, which broke the run 3 times."""
    palette_lab = np.array([[50, 0, 0], [51, 0, 0]], np.float32)
    lab = np.broadcast_to(np.float32([51, 0, 0]), (2, 200, 3)).copy()
    lab[:, 0] = (50, 0, 0)
    nearest = np.ones((2, 200), np.uint8)
    nearest[:, 0] = 0
    entries = nearest.copy()
    got = _favour_runs(entries, lab, palette_lab, np.ones((2, 200), bool))
    assert (got == 0).all()
    assert np.array_equal(entries, nearest)  # the caller's entries are left as they were


def test_global_plan_keeps_still_pixels_and_stays_within_the_tolerance(tmp_path):
    ramp = np.repeat(np.linspace(0, 255, 48), 3).reshape(1, 48, 3)
    frames = []
    for shift in (0, 3, 6):
        f = np.repeat(ramp, 8, axis=0)
        f[4:] = np.clip(f[4:] + shift, 0, 255)  # rows 0-3 never change
        frames.append(f.astype(np.uint8))
    src = save_animation(tmp_path / "ramp.gif", frames, duration=50)
    with open_animation(src) as animation:
        plan = GlobalPlan.fit(animation, check_animation_options(src, None, n_colors=24,
                                                                 seed=0))
    pal = srgb_to_lab(plan.palette)
    previous, rerouted = None, 0
    for f in iter_frames(src):
        rgb, opaque = split_alpha(f)
        indices, _, _, _ = plan.map(rgb, opaque, previous, 0.0, FrameStats())
        lab = srgb_to_lab(rgb)
        drawn = ((lab - pal[indices]) ** 2).sum(axis=-1)
        nearest = plan.table[pack_rgb(rgb)]  # in the fitting space (RGB by default)
        best = ((lab - pal[nearest]) ** 2).sum(axis=-1)
        assert (drawn <= best + RUN_TOLERANCE ** 2 + 1e-3).all()
        rerouted += int((indices != nearest).sum())
        if previous is not None:
            assert np.array_equal(indices[:4], previous[1][:4])
        previous = (f.rgba, indices)
    assert rerouted > 0  # some pixels did join their left neighbour's run


def _hold_case(rng, previous_choices):
    """A 32 x 64 frame whose pixels are all nearest to entry 1 (Lab L 51.5), after a
    frame of random entries drawn from ``previous_choices``."""
    palette_lab = np.array([[50, 0, 0], [51.5, 0, 0], [60, 0, 0]], np.float32)
    lab = np.broadcast_to(np.float32([51.5, 0, 0]), (32, 64, 3))
    nearest = np.ones((32, 64), np.uint8)
    previous = rng.choice(np.array(previous_choices, np.uint8), (32, 64))
    mapped = _favour_runs(nearest, lab, palette_lab, np.ones((32, 64), bool))
    return mapped, nearest, previous, lab, palette_lab


def test_pixels_hold_their_previous_entry_when_nothing_need_be_redrawn(rng):
    # Entry 0 is 1.5 from every pixel (2.25 <= 0 + 4): every pixel may hold, and
    # holding redraws nothing where the nearest entries would redraw half the frame.
    mapped, nearest, previous, lab, palette_lab = _hold_case(rng, [0, 1])
    free = np.ones(nearest.shape, bool)
    held = _hold_entries(mapped, nearest, previous, free, lab, palette_lab)
    assert np.array_equal(held, previous)
    # Pixels not free (still, or transparent before) never hold.
    free[:, :32] = False
    held = _hold_entries(mapped, nearest, previous, free, lab, palette_lab)
    assert np.array_equal(held[:, :32], mapped[:, :32])


def test_scattered_holding_that_breaks_runs_is_not_taken(rng):
    # Entry 2 is 8.5 away: those pixels must change to 1. Holding entry 0 elsewhere
    # would leave a random mix of 0 and 1 to store, where all 1 is one long run.
    mapped, nearest, previous, lab, palette_lab = _hold_case(rng, [0, 2])
    free = np.ones(nearest.shape, bool)
    held = _hold_entries(mapped, nearest, previous, free, lab, palette_lab)
    assert np.array_equal(held, mapped) and (held == 1).all()


def test_no_pixel_holds_beyond_the_tolerance(rng):
    palette_lab = np.array([[50, 0, 0], [53, 0, 0]], np.float32)
    lab = np.broadcast_to(np.float32([53, 0, 0]), (4, 8, 3))  # entry 0 is 3 away: 9 > 4
    nearest = np.ones((4, 8), np.uint8)
    previous = np.zeros((4, 8), np.uint8)
    got = _hold_entries(nearest, nearest, previous, np.ones((4, 8), bool), lab, palette_lab)
    assert (got == 1).all()


def _shadow_plan() -> plans.AlphaPlan:
    """A plan of two black shadow entries, alpha 100 and 104, its table the shadows of
    alpha 100 (an entry) and 105 (not one)."""
    shadows = np.uint8([[0, 0, 0, 100], [0, 0, 0, 105]])
    order = np.argsort(shadows.view("<u4")[:, 0])
    return plans.AlphaPlan(np.uint8([[0, 0, 0, 100], [0, 0, 0, 104]]), None, "rgb",
                           shadows.view("<u4")[order, 0], np.uint8([0, 1])[order],
                           plans._run_features(shadows[order]))


def _on_white(rgba: np.ndarray) -> np.ndarray:
    alpha = rgba[..., 3:] / 255.0
    return rgba[..., :3] * alpha + 255.0 * (1.0 - alpha)


@pytest.mark.parametrize("first, second", [
    ([100] * 4, [105] * 4),           # the previous frame's entry, held
    ([100] * 4, [100] + [105] * 3),   # the left neighbour's, in a run
])
def test_a_translucent_pixel_takes_no_entry_that_looks_wrong_on_white(first, second):
    # Black of alpha 105 shows 150 on white: entry 1 (alpha 104) 151, entry 0 (100) 155.
    # Premultiplied, both entries are black, and 5 alpha (Delta E 1.96) was within the
    # tolerance: a held entry or a run drew the shadow 5 levels too light on white.
    plan, previous = _shadow_plan(), None
    for alphas in (first, second):
        rgba = np.zeros((1, 4, 4), np.uint8)
        rgba[..., 3] = alphas
        indices, _, _, _ = plan.map(rgba, rgba[..., 3] > 0, previous, 0.0, FrameStats())
        previous = (rgba, indices)
    assert indices.tolist() == [[0 if a == 100 else 1 for a in second]]
    error = _on_white(plan.palette[indices].astype(float)) - _on_white(rgba.astype(float))
    assert np.abs(error).max() < 1.5  # 5 levels, the entry of alpha 100


def test_favour_runs_starts_no_run_at_a_pixel_not_drawn():
    palette_lab = np.array([[50, 0, 0], [52, 0, 0]], np.float32)
    lab = np.array([[[50, 0, 0], [51.5, 0, 0], [51.5, 0, 0]]], np.float32)
    nearest = np.array([[0, 1, 1]], np.uint8)
    free = np.array([[False, True, True]])
    # drawn, pixel 0's entry 0 draws the row (as in the tolerance test above);
    assert _favour_runs(nearest, lab, palette_lab, free).tolist() == [[0, 0, 0]]
    # transparent, its entry stands for the colour it hides: the others keep their nearest
    drawn = np.array([[False, True, True]])
    got = _favour_runs(nearest, lab, palette_lab, free, drawn=drawn)
    assert got.tolist() == [[0, 1, 1]]


def _hiding(color) -> list[np.ndarray]:
    """Two RGBA frames of noise whose left half is every other column fully transparent,
    storing ``color``; the bottom row changes between them."""
    rng = np.random.default_rng(3)
    noise = rng.integers(60, 200, (12, 16, 3))
    frames = []
    for i in range(2):
        f = np.full((12, 16, 4), 255, np.uint8)
        f[..., :3] = noise
        f[:, :8:2] = (*color, 0)
        f[11, :, :3] = (0, 0, 40 * i)
        frames.append(f)
    return frames


@pytest.mark.parametrize("options", [
    {"n_colors": 6, "dither": 1.0},  # no error diffused from the colour hidden
    {"n_colors": 6, "palette": "per-frame", "dither": 1.0},
    {"palette_in": "brand.hex"}])  # no run started by the entry of the colour hidden
def test_the_colour_a_transparent_pixel_hides_changes_no_pixel_written(tmp_path, options):
    from quantize.animation import reduce_animation_file

    (tmp_path / "brand.hex").write_text("646464\n676464\n3c8cb4\nb45a3c\n000000\n")
    if "palette_in" in options:
        options = {**options, "palette_in": str(tmp_path / "brand.hex")}
    written = []
    for name, hidden in (("white", (255, 255, 255)), ("black", (0, 0, 0))):
        src = save_animation(tmp_path / f"{name}.png", _hiding(hidden), duration=100, loop=0)
        out = tmp_path / f"{name}.gif"
        reduce_animation_file(src, out, seed=0, **options)
        written.append(out.read_bytes())
    assert written[0] == written[1]


def test_a_pixel_whose_colour_is_an_entry_is_drawn_in_it_not_its_neighbours_run(tmp_path):
    """White text paper after a #fcfcfc margin (Delta E 1.1 apart): the run of #fcfcfc went
    on over the white, which the palette holds (a scrolling page lost 13 dB to gifsicle)."""
    f = np.full((64, 64, 3), 252, np.uint8)
    f[:, 32:] = 255
    f[63] = np.linspace(0, 200, 64).astype(np.uint8)[:, None]  # more colours than k
    frames = [f, np.roll(f, 1, axis=0)]
    src = save_animation(tmp_path / "page.gif", frames, duration=50)
    with open_animation(src) as animation:
        plan = GlobalPlan.fit(animation, check_animation_options(src, None, n_colors=32,
                                                                 seed=0))
    assert np.isin(pack_rgb(np.uint8([[[252] * 3, [255] * 3]])), pack_rgb(plan.palette)).all()
    previous = None
    for each in iter_frames(src):
        rgb, opaque = split_alpha(each)
        indices, _, _, _ = plan.map(rgb, opaque, previous, 0.0, FrameStats())
        exact = (rgb == plan.palette[indices]).all(axis=2)
        is_entry = np.isin(pack_rgb(rgb), pack_rgb(plan.palette))
        assert exact[is_entry].all()
        previous = (each.rgba, indices)


def test_with_partial_alpha_too_a_pixel_whose_colour_is_an_entry_is_drawn_in_it(tmp_path):
    from PIL import Image

    from quantize.animation.plans import AlphaPlan, global_plan

    f = np.full((64, 64, 4), 252, np.uint8)
    f[:, 32:, :3] = 255
    f[..., 3] = 255
    f[62] = np.linspace(0, 200, 64).astype(np.uint8)[:, None]  # more colours than k
    f[63, :, 3] = 128  # a translucent row: the plan keeps partial alpha
    frames = [Image.fromarray(a, "RGBA") for a in (f, np.roll(f, 1, axis=0))]
    src = tmp_path / "page.png"
    frames[0].save(src, save_all=True, append_images=frames[1:], duration=50, loop=0)
    with open_animation(src) as animation:
        plan = global_plan(animation, check_animation_options(src, tmp_path / "out.png",
                                                              n_colors=32, seed=0))
    assert isinstance(plan, AlphaPlan)
    words = plan.palette.copy().view("<u4")[:, 0]
    grey = np.uint8([[252, 252, 252, 255], [255, 255, 255, 255]]).view("<u4")[:, 0]
    assert np.isin(grey, words).all()  # both greys are entries
    previous = None
    for each in iter_frames(src):
        rgba, visible = AlphaPlan.split(each)
        indices, _, _, _ = plan.map(rgba, visible, previous, 0.0, FrameStats())
        table = plan.table_palette()
        is_entry = np.isin(rgba.copy().view("<u4")[..., 0], words) & visible
        assert (rgba == table[indices]).all(axis=2)[is_entry].all()
        previous = (each.rgba, indices)


def _sprite_on_a_ramp(rng, n=3):
    """Frames 48 x 160 of a horizontal grey ramp (no colour an entry of 8) under a 4 x 6
    sprite of noise that moves 3 pixels right per frame."""
    ramp = np.linspace(20, 235, 160).astype(np.uint8)
    background = np.repeat(np.repeat(ramp[None, :, None], 48, axis=0), 3, axis=2)
    sprite = rng.integers(0, 256, (4, 6, 3), dtype=np.uint8)
    frames = []
    for i in range(n):
        f = background.copy()
        f[20:24, 70 + 3 * i:76 + 3 * i] = sprite
        frames.append(f)
    return frames


def _mapped_frames(src, plan, dither=0.0):
    previous, out = None, []
    for f in iter_frames(src):
        rgb, opaque = split_alpha(f)
        indices, _, _, _ = plan.map(rgb, opaque, previous, dither, FrameStats())
        out.append(indices)
        previous = (f.rgba, indices)
    return out


def test_global_plan_scans_only_the_box_of_the_changed_pixels(tmp_path, rng, monkeypatch):
    """A small sprite moving on a large canvas: after the first frame, only the rows and
    columns of the pixels that changed (and the column before them) are scanned, and the
    entries are those of a scan of the whole frame. Each frame scanned the whole canvas:
    a 10 x 10 sprite on a 2000 x 2000 GIF of 21 frames took 31 s."""
    src = save_animation(tmp_path / "sprite.gif", _sprite_on_a_ramp(rng), duration=50)
    with open_animation(src) as animation:
        plan = GlobalPlan.fit(animation, check_animation_options(src, None, n_colors=8,
                                                                 seed=0))
    scanned = []

    def recording(entries, *args, **kwargs):
        scanned.append(entries.shape)
        return _favour_runs(entries, *args, **kwargs)

    monkeypatch.setattr(plans, "_favour_runs", recording)
    boxed = _mapped_frames(src, plan)
    assert scanned[0] == (48, 160)  # the first frame: every pixel is free
    # later frames: the sprite's rows, its old and new columns (70-78), the column before
    assert set(scanned[1:]) <= {(4, 10)} and len(scanned) > 1
    monkeypatch.setattr(plans, "_scan_box", lambda free: (slice(None), slice(None)))
    assert all(np.array_equal(a, b) for a, b in zip(boxed, _mapped_frames(src, plan),
                                                     strict=True))


def test_hold_entries_in_a_box_equals_the_whole_frame(rng):
    """Cut to the box of the free pixels (with lab and nearest_sq cut to it), the entries
    held are those of the whole frame."""
    palette_lab = (rng.random((6, 3)) * 6).astype(np.float32)
    lab = (rng.random((20, 40, 3)) * 6).astype(np.float32)
    nearest_entries = rng.integers(0, 6, (20, 40)).astype(np.uint8)
    previous = nearest_entries.copy()  # mostly as before, some changed (6: transparent)
    changed = rng.random((20, 40)) < 0.2
    previous[changed] = rng.integers(0, 7, int(changed.sum()))
    free = np.zeros((20, 40), bool)
    free[5:12, 9:30] = rng.random((7, 21)) < 0.7
    free[5, 9] = free[11, 29] = True
    mapped = _favour_runs(nearest_entries, lab, palette_lab, free)
    whole = _hold_entries(mapped, nearest_entries, previous, free, lab, palette_lab)
    box = (slice(5, 12), slice(8, 30))
    nearest_sq = ((lab[box] - palette_lab[nearest_entries[box]]) ** 2).sum(axis=-1)
    cut = _hold_entries(mapped, nearest_entries, previous, free, lab[box], palette_lab,
                        nearest_sq, box=box)
    assert np.array_equal(cut, whole)
    assert not np.array_equal(whole, mapped)  # some pixels are held: the case is tested


def _changing_frames(rng, translucent=False) -> list[Frame]:
    """RGBA frames 16 x 20 of a noisy ramp in many colours (neighbours within
    RUN_TOLERANCE of one another's entries), some pixels transparent (and with
    ``translucent``, some half so), changing from one to the next: a 3 x 4 sprite that
    moves and turns a pixel transparent, nothing, one corner pixel (bottom right, then
    top left), one pixel's alpha alone, and every pixel."""
    ramp = np.linspace(30, 220, 20)[None, :, None] + np.array([0, 10, 20])

    def noise():
        rgba = np.empty((16, 20, 4), np.uint8)
        rgba[..., :3] = np.clip(ramp + rng.integers(-3, 4, (16, 20, 3)), 0, 255)
        rgba[..., 3] = np.where(rng.random((16, 20)) < 0.1, 0, 255)
        if translucent:
            rgba[rng.random((16, 20)) < 0.1, 3] = 100
        return rgba

    first = noise()
    sprite = first[6:9, 8:12] + np.uint8(4)  # near what it covers
    sprite[..., 3] = 255
    sprite[1, 2, 3] = 0
    frames = [first]
    for change in ("sprite", "sprite", "nothing", "bottom right", "top left", "alpha",
                   "everything"):
        rgba = (first if change == "sprite" else frames[-1]).copy()
        if change == "sprite":  # on the first frame's background: it moves
            rgba[6:9, 5 + 3 * len(frames):9 + 3 * len(frames)] = sprite
        elif change == "bottom right":
            rgba[15, 19] = (1, 2, 3, 255)
        elif change == "top left":
            rgba[0, 0] = (250, 2, 3, 255)
        elif change == "alpha":
            rgba[8, 10, 3] = 255 - rgba[8, 10, 3]
        elif change == "everything":
            rgba = noise()
        frames.append(rgba)
    return [Frame(rgba, duration=50, disposal=1) for rgba in frames]


@pytest.mark.parametrize("partial_alpha", [False, True])
@pytest.mark.parametrize("held", [plans.HELD_TRANSLUCENT, 40])
def test_pooled_rgba_recounting_the_changed_box_equals_counting_every_pixel(
        rng, monkeypatch, partial_alpha, held):
    """Each frame's histogram recounted from the previous one's over the box of the pixels
    that changed pools what counting every pixel of every frame pools (held=40: the
    translucent colours pooled coarser as the frames come)."""
    frames = _changing_frames(rng, translucent=True)
    monkeypatch.setattr(plans, "HELD_TRANSLUCENT", held)
    boxed = pooled_rgba(iter(frames), partial_alpha=partial_alpha)
    monkeypatch.setattr(plans, "changed_box", lambda rgba, previous: plans._whole(rgba))
    whole = pooled_rgba(iter(frames), partial_alpha=partial_alpha)
    for name in ("words", "counts", "moving", "transparent", "clear", "level"):
        assert np.array_equal(getattr(boxed, name), getattr(whole, name)), name
    assert (boxed.level > 0) == (partial_alpha and held == 40)


def test_pooled_rgba_recounts_only_the_pixels_that_changed(rng, spy):
    """After the first frame, a frame whose changed box is small is counted from that box
    alone: the sprite's rows and its old and new columns."""
    frames = _changing_frames(rng)[:3]
    recounts = spy(plans, "recounted", lambda keys, n, added, removed: (added.size,
                                                                          removed.size))
    pooled_rgba(iter(frames), partial_alpha=False)
    def opaque(i, right):  # of frame i, in the sprite's rows, from its first column
        return int((frames[i].rgba[6:9, 8:right, 3] >= plans.ALPHA_THRESHOLD).sum())

    assert recounts == [(opaque(1, 12), opaque(0, 12)), (opaque(2, 15), opaque(1, 15))]


def test_changed_box_holds_every_pixel_that_differs_alpha_too():
    a = np.zeros((5, 6, 4), np.uint8)
    b = a.copy()
    assert plans.changed_box(a, b) == (slice(0, 0), slice(0, 0))
    b[1, 4, 3] = 1
    b[3, 2, 0] = 9
    assert plans.changed_box(b, a) == (slice(1, 4), slice(2, 5))


@pytest.mark.parametrize("dither", [0.0, 1.0])
def test_global_plan_mapping_the_changed_box_equals_mapping_the_whole_frame(
        tmp_path, rng, dither):
    """Given the box of the pixels that changed, a global plan maps and counts those only,
    and gives the entries and the metrics of a frame mapped whole: a sprite moving, a
    frame with no change, one corner pixel changing at either end, one pixel's alpha,
    every pixel."""
    frames = _changing_frames(rng)
    src = save_animation(tmp_path / "noise.gif", [f.rgba for f in frames[:1]])
    opts = check_animation_options(src, None, n_colors=6, seed=0, dither=dither)
    with open_animation(src) as animation:
        plan = GlobalPlan.fit(animation, opts, pooled_histogram(iter(frames)))
    assert not plan.exact
    runs = {}
    for boxed in (False, True):
        stats, previous, out = FrameStats(), None, []
        for f in frames:
            rgb, opaque = split_alpha(f)
            box = None
            if boxed and previous is not None:
                box = plans.changed_box(f.rgba, previous[0])
            indices, _, transparent, _ = plan.map(rgb, opaque, previous, dither, stats,
                                                  box=box)
            indices[~opaque] = transparent  # as the caller writes them
            out.append(indices)
            previous = (f.rgba, indices)
        runs[boxed] = out, stats
    (whole, whole_stats), (cut, cut_stats) = runs[False], runs[True]
    assert all(np.array_equal(a, b) for a, b in zip(whole, cut, strict=True))
    for a, b in zip(whole_stats.pairs(), cut_stats.pairs(), strict=True):
        assert np.array_equal(a, b)
    assert (whole_stats.psnr(), whole_stats.delta_e()) == (cut_stats.psnr(),
                                                           cut_stats.delta_e())
    assert any(not np.array_equal(a, b) for a, b in zip(whole, whole[1:], strict=False))


def test_a_changed_pixel_at_the_left_of_its_box_takes_the_run_of_the_pixel_before_it(
        tmp_path):
    """The first pixel of the box of the changed pixels continues the run of the unchanged
    pixel to its left, as in the whole frame: grey 105 is nearer to the entry grey 108,
    but grey 100, the entry before it, is within RUN_TOLERANCE (the pixels were
    transparent, so they hold no entry of the frame before)."""
    greys = np.array([[100] * 3, [108] * 3], np.uint8)
    first = np.full((3, 8, 4), 255, np.uint8)
    first[..., :3] = 100
    first[1, 4:6, 3] = 0
    second = first.copy()
    second[1, 4:6] = (105, 105, 105, 255)
    frames = [Frame(first, 50, 1), Frame(second, 50, 1)]
    src = save_animation(tmp_path / "greys.gif", [first[..., :3]])
    with open_animation(src) as animation:
        plan = GlobalPlan.fit(animation, check_animation_options(src, None, palette_in=greys),
                              pooled_histogram(iter(frames)))
    stats = FrameStats()
    indices, _, transparent, _ = plan.map(*split_alpha(frames[0]), None, 0.0, stats)
    indices[1, 4:6] = transparent  # as the caller writes them
    box = plans.changed_box(second, first)
    assert box == (slice(1, 2), slice(4, 6))
    boxed, *_ = plan.map(*split_alpha(frames[1]), (first, indices), 0.0, stats, box=box)
    whole, *_ = plan.map(*split_alpha(frames[1]), (first, indices), 0.0, FrameStats())
    assert boxed[1].tolist() == whole[1].tolist() == [0] * 8


def _column_scan(entries, lab, palette_lab, free, nearest_sq=None, *, drawn=None, pieces=None):
    """``_favour_runs`` as it was scanned before rows were cut into pieces: a step per
    column, each over the column of every row (the reference the pieces must equal;
    ``pieces``, the caller's cut of ``lab`` and ``drawn``, is not read)."""
    if nearest_sq is None:
        nearest_sq = plans._squared_distances(lab, palette_lab, entries)
    limit = np.where(free, nearest_sq + RUN_TOLERANCE ** 2, -1.0).astype(np.float32)
    out = entries.T.copy()
    cols_lab = np.ascontiguousarray(np.swapaxes(lab, 0, 1))
    for x in range(1, out.shape[0]):
        left = out[x - 1]
        diff = cols_lab[x] - palette_lab[left]
        close = np.einsum("ij,ij->i", diff, diff) <= limit.T[x]
        if drawn is not None:
            close &= drawn.T[x - 1]
        np.copyto(out[x], left, where=close)
    return np.ascontiguousarray(out.T)


@pytest.mark.parametrize("piece", [1, 2, 3, 7, 64])
@pytest.mark.parametrize("channels", [3, 4])
def test_favour_runs_in_pieces_equals_the_column_scan(rng, monkeypatch, piece, channels):
    """Rows cut into pieces of ``piece`` columns (64 is more than the rows hold), each
    piece's first pixel then decided from the entry the piece before ended with, give
    the entries of one scan along each row: long runs that cross many pieces, pixels not
    drawn, fixed pixels; features of Lab (3) and of Lab with alpha (4)."""
    monkeypatch.setattr(plans, "RUN_PIECE", piece)
    for h, w, k in [(6, 61, 5), (3, 64, 4), (5, 10, 3), (1, 9, 3), (6, 1, 2), (4, 200, 2)]:
        palette_lab = (rng.random((k, channels)) * 8).astype(np.float32)
        lab = (rng.random((h, w, channels)) * 8).astype(np.float32)
        entries = rng.integers(0, k, (h, w)).astype(np.uint8)
        free = rng.random((h, w)) < 0.9
        drawn = rng.random((h, w)) < 0.95
        given = entries.copy()
        for kwargs in ({}, {"drawn": drawn}):
            got = _favour_runs(entries, lab, palette_lab, free, **kwargs)
            assert np.array_equal(got, _column_scan(entries, lab, palette_lab, free,
                                                    **kwargs))
        assert np.array_equal(entries, given)  # the caller's entries are left as they were


def _plan_entries(plan, frames):
    """Each frame's entries as ``plan.map`` gives them undithered, frame after frame."""
    previous, out = None, []
    for f in frames:
        pixels, shown = plan.split(f)
        indices, *_ = plan.map(pixels, shown, previous, 0.0, FrameStats())
        out.append(indices)
        previous = (f.rgba, indices)
    return out


def _fitted_plan(tmp_path, frames, translucent):
    """A global plan (with alpha if ``translucent``) of 6 colours fitted to ``frames``."""
    pooled = pooled_rgba(iter(frames), partial_alpha=translucent)
    src = save_animation(tmp_path / "in.png", [frames[0].rgba] * 2, duration=50, loop=0)
    opts = check_animation_options(src, tmp_path / "out.png", n_colors=6, seed=0)
    with open_animation(src) as animation:
        return (plans.AlphaPlan.fit(animation, opts, pooled) if translucent
                else GlobalPlan.fit(animation, opts, pooled.binary()))


def test_pieces_gathered_from_rows_equal_the_colours_cut(rng):
    """Colours gathered straight into pieces from their rows of a table are the pieces
    of the colours gathered row by row (past the rows' end, where the last piece is
    padded, the scan reads no colour), and read back as those colours."""
    table = rng.random((50, 3), dtype=np.float32)
    for w in (1, 5, 64, 65, 130, 200):
        rows = rng.integers(0, 50, (7, w))
        drawn = rng.random((7, w)) < 0.8
        gathered = plans._Pieces.gathered(table, rows, drawn)
        cut = plans._Pieces.cut(table[rows], drawn)
        assert gathered.shape == cut.shape == (7, w) and gathered.width == cut.width
        for c in range(3):
            assert np.array_equal(gathered.rows(gathered.lab[..., c]), table[rows][..., c])
            assert np.array_equal(cut.rows(cut.lab[..., c]), table[rows][..., c])
        assert np.array_equal(gathered.drawn, cut.drawn)
        assert np.array_equal(gathered.rows(gathered.drawn), drawn)


@pytest.mark.parametrize("piece", [3, 64])
@pytest.mark.parametrize("translucent", [False, True])
def test_plans_map_with_pieces_cut_once_a_frame_as_with_pieces_cut_for_each_scan(
        tmp_path, rng, monkeypatch, piece, translucent):
    """The pieces a plan cuts once a frame for both of its scans (the runs, then the held
    entries) give the entries of each scan cutting its own: a sprite moving, a frame with
    no change, one pixel changing, every pixel changing."""
    frames = _changing_frames(rng, translucent=translucent)
    plan = _fitted_plan(tmp_path, frames, translucent)
    monkeypatch.setattr(plans, "RUN_PIECE", piece)
    shared = _plan_entries(plan, frames)
    given = []

    def each_its_own(*args, pieces, **kwargs):
        given.append(pieces)
        return _favour_runs(*args, **kwargs)

    monkeypatch.setattr(plans, "_favour_runs", each_its_own)
    assert all(np.array_equal(a, b) for a, b in zip(shared, _plan_entries(plan, frames),
                                                     strict=True))
    assert sum(p is not None for p in given) > len(frames)  # both scans were given them
    assert any(not np.array_equal(a, b) for a, b in zip(shared, shared[1:], strict=False))


def _written(src, out, **options):
    """The bytes of ``src`` reduced to ``out``, and the record's figures of them (a GIF's
    warning that partial alpha becomes binary is tested elsewhere)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AlphaLossWarning)
        record = reduce_animation_file(src, out, seed=0, **options)
    return out.read_bytes(), {key: record[key] for key in ("k", "psnr", "delta_e", "frames",
                                                           "bytes_out", "palette")}


@pytest.mark.parametrize("suffix", [".gif", ".png", ".webp"])
@pytest.mark.parametrize("translucent", [False, True])
@pytest.mark.parametrize("dither", [0.0, 1.0])
def test_files_written_as_with_every_colour_searched_and_pieces_cut_for_each_scan(
        tmp_path, rng, monkeypatch, suffix, translucent, dither):
    """GIF, APNG and WebP files, and the figures recorded of them, are those written with
    every pixel's colour searched in the plan's table (not each distinct one once) and
    each scan cutting its own pieces: a sprite moving, a frame with no change, one pixel
    changing, every pixel changing; binary and partial alpha, with and without dither."""
    frames = _changing_frames(rng, translucent=translucent)
    src = save_animation(tmp_path / "in.png", [f.rgba for f in frames], duration=50, loop=0)
    written = _written(src, tmp_path / f"a{suffix}", n_colors=6, dither=dither)

    def each_its_own(*args, pieces=None, **kwargs):
        return _favour_runs(*args, **kwargs)

    monkeypatch.setattr(plans, "sorted_search", np.searchsorted)
    monkeypatch.setattr(plans, "_favour_runs", each_its_own)
    assert _written(src, tmp_path / f"b{suffix}", n_colors=6, dither=dither) == written


def test_run_rounds_carries_a_changed_entry_along_the_row_until_it_settles():
    """A piece scanned from its first pixel's own entry (1), where the piece before ends
    with entry 0: decided again, the first pixel takes 0, and so do the pixels after it
    while 0 is within the tolerance; the first that is not keeps its own entry and the
    rest, decided from it, are left as they were."""
    palette_lab = np.array([[50, 0, 0], [51, 0, 0], [60, 0, 0]], np.float32)
    lab = np.array([[50, 51, 51, 51, 60, 60]], np.float32)[..., None] * [1, 0, 0]
    lab = lab.astype(np.float32)
    entries = np.array([[0, 1, 1, 1, 2, 2]], np.uint8)
    nearest_sq = plans._squared_distances(lab, palette_lab, entries)
    limit = (nearest_sq + RUN_TOLERANCE ** 2).astype(np.float32)
    may = np.array([[False] + [True] * 5])
    out = entries.copy()  # pieces of 1: every pixel from its own entry
    plans._run_rounds(out.reshape(-1), entries.ravel(), lab.reshape(-1, 3), palette_lab,
                      limit.ravel(), may.ravel(), np.array([1]))
    assert out.tolist() == [[0, 0, 0, 0, 2, 2]]
    assert out.tolist() == _column_scan(entries, lab, palette_lab, may).tolist()


@pytest.mark.parametrize("piece", [3, 64])
@pytest.mark.parametrize("translucent", [False, True])
def test_plans_map_with_runs_in_pieces_as_with_the_column_scan(tmp_path, rng, monkeypatch,
                                                                piece, translucent):
    """A global plan (and one with alpha) maps frames with rows cut into pieces as with one
    scan along each row: a sprite moving, a frame with no change, one pixel changing at
    either end, one pixel's alpha, every pixel."""
    frames = _changing_frames(rng, translucent=translucent)
    pooled = pooled_rgba(iter(frames), partial_alpha=translucent)
    src = save_animation(tmp_path / "in.png", [frames[0].rgba] * 2, duration=50, loop=0)
    opts = check_animation_options(src, tmp_path / "out.png", n_colors=6, seed=0)
    with open_animation(src) as animation:
        plan = (plans.AlphaPlan.fit(animation, opts, pooled) if translucent
                else GlobalPlan.fit(animation, opts, pooled.binary()))
    assert not plan.exact
    monkeypatch.setattr(plans, "RUN_PIECE", piece)
    runs = []
    for scan in (_favour_runs, _column_scan):
        monkeypatch.setattr(plans, "_favour_runs", scan)
        runs.append(_plan_entries(plan, frames))
    assert all(np.array_equal(a, b) for a, b in zip(*runs, strict=True))
    assert any(not np.array_equal(a, b) for a, b in zip(runs[0], runs[0][1:], strict=False))


# An animation's frame dithered onto its palette, as the code before given palettes were
# diffused apart drew it: an animation's outputs are unchanged (pixel 0, 0 transparent).
_FRAME_DITHERED = {
    1.0: [[0, 0, 0, 0, 2, 0, 2, 2], [0, 0, 0, 2, 0, 2, 3, 2], [0, 0, 0, 1, 0, 1, 2, 1],
          [0, 0, 1, 0, 0, 2, 1, 2], [0, 0, 0, 1, 1, 0, 1, 2], [0, 1, 0, 0, 1, 1, 0, 1]],
    "ordered": [[0, 0, 2, 0, 2, 2, 0, 2], [0, 0, 0, 0, 0, 0, 2, 2], [0, 0, 2, 0, 2, 2, 0, 2],
                [0, 0, 0, 2, 0, 2, 2, 1], [3, 0, 3, 0, 1, 1, 2, 1], [0, 0, 0, 0, 1, 2, 1, 1]],
}


@pytest.mark.parametrize("dither", [1.0, "ordered"])
def test_a_frame_is_dithered_onto_its_palette_as_before(dither):
    y, x = np.mgrid[0:6, 0:8]
    rgb = np.dstack([x * 30, y * 40, (x + y) * 12]).astype(np.uint8)
    opaque = np.ones((6, 8), bool)
    opaque[0, 0] = False
    palette = np.array([[0, 0, 0], [255, 255, 255], [255, 0, 0], [0, 0, 255]], np.uint8)
    indices = plans._dithered_onto(rgb, opaque, palette, dither, "rgb")
    assert indices.tolist() == _FRAME_DITHERED[dither]


def _three_frames(tmp_path):
    """Three 6 x 8 frames of a gradient, the bottom right quarter changing, the rest still."""
    y, x = np.mgrid[0:6, 0:8]
    frames = []
    for i in range(3):
        f = np.dstack([x * 30, y * 40, (x + y) * 12]).astype(np.uint8)
        f[3:, 4:] = np.dstack([x * 20 + 40 * i, y * 30, x * 10])[3:, 4:].astype(np.uint8)
        frames.append(f)
    return save_animation(tmp_path / "three.png", frames, duration=50, loop=0)


# A global plan's dithered frames onto the palette fitted to them, as drawn before given
# palettes were dithered onto apart (the still quarter keeps its entries); ordered
# dithering's since its fitted palette moves outwards as for dither=1 at 4 colours.
_FITTED_FRAMES = {
    1.0: [[[2, 2, 2, 3, 2, 3, 3, 3], [2, 2, 2, 2, 3, 3, 3, 3], [2, 1, 2, 0, 0, 0, 0, 0],
           [1, 2, 1, 1, 2, 1, 3, 0], [1, 1, 1, 0, 1, 0, 1, 0], [1, 1, 1, 1, 0, 1, 0, 0]],
          [[2, 2, 2, 3, 2, 3, 3, 3], [2, 2, 2, 2, 3, 3, 3, 3], [2, 1, 2, 0, 0, 0, 0, 0],
           [1, 2, 1, 1, 2, 0, 0, 0], [1, 1, 1, 0, 0, 1, 0, 0], [1, 1, 1, 1, 0, 0, 0, 0]],
          [[2, 2, 2, 3, 2, 3, 3, 3], [2, 2, 2, 2, 3, 3, 3, 3], [2, 1, 2, 0, 0, 0, 0, 0],
           [1, 2, 1, 1, 3, 0, 0, 0], [1, 1, 1, 0, 0, 0, 0, 0], [1, 1, 1, 1, 0, 0, 0, 0]]],
    "ordered": [[[2, 2, 3, 2, 2, 3, 3, 3], [2, 2, 2, 3, 3, 0, 3, 3], [1, 2, 1, 2, 3, 0, 3, 0],
                 [1, 1, 1, 0, 2, 0, 0, 0], [2, 1, 0, 1, 0, 0, 1, 0], [1, 1, 1, 1, 1, 0, 0, 0]],
                [[2, 2, 3, 2, 2, 3, 3, 3], [2, 2, 2, 3, 3, 0, 3, 3], [1, 2, 1, 2, 3, 0, 3, 0],
                 [1, 1, 1, 0, 0, 0, 0, 0], [2, 1, 0, 1, 1, 0, 0, 0], [1, 1, 1, 1, 0, 1, 0, 0]],
                [[2, 2, 3, 2, 2, 3, 3, 3], [2, 2, 2, 3, 3, 0, 3, 3], [1, 2, 1, 2, 3, 0, 3, 0],
                 [1, 1, 1, 0, 0, 0, 0, 0], [2, 1, 0, 1, 0, 0, 0, 0], [1, 1, 1, 1, 0, 0, 0, 0]]],
}


@pytest.mark.parametrize("dither", [1.0, "ordered"])
def test_a_fitted_palettes_dithered_frames_are_as_before(tmp_path, dither):
    src = _three_frames(tmp_path)
    with open_animation(src) as animation:
        plan = GlobalPlan.fit(animation, check_animation_options(src, None, n_colors=4, seed=0,
                                                                 dither=dither))
    assert [a.tolist() for a in _mapped_frames(src, plan, dither)] == _FITTED_FRAMES[dither]


@pytest.mark.parametrize("dither", [1.0, "ordered"])
def test_frames_dithered_onto_a_given_palette_keep_their_still_pixels_entries(tmp_path,
                                                                              dither):
    src = _three_frames(tmp_path)
    pico = np.array([[0, 0, 0], [29, 43, 83], [126, 37, 83], [0, 135, 81], [171, 82, 54],
                     [95, 87, 79], [194, 195, 199], [255, 241, 232], [255, 0, 77],
                     [255, 163, 0], [255, 236, 39], [0, 228, 54], [41, 173, 255],
                     [131, 118, 156], [255, 119, 168], [255, 204, 170]], np.uint8)
    with open_animation(src) as animation:
        plan = GlobalPlan.fit(animation, check_animation_options(src, None, palette_in=pico,
                                                                 dither=dither))
    got = np.array(_mapped_frames(src, plan, dither))
    still = np.ones((6, 8), bool)
    still[3:, 4:] = False
    assert (got[1:, still] == got[0, still]).all()
    assert (got[1:, ~still] != got[0, ~still]).any()
    first = next(iter_frames(src)).rgba[..., :3]
    # the first frame as a still is dithered onto the palette
    assert got[0].tolist() == reduce_colors(first, palette=pico, dither=dither).indices.tolist()


_BW = np.array([[0, 0, 0], [255, 255, 255]], np.uint8)


def _grey_ramp(h: int, w: int) -> np.ndarray:
    y, x = np.mgrid[0:h, 0:w]
    return np.repeat((40 + 6 * x + 4 * y).astype(np.uint8)[..., None], 3, axis=2)


def test_a_frame_changed_near_every_pixel_is_diffused_onto_a_given_palette_as_a_still(
        tmp_path):
    """Frame 2 of a grey ramp changes four pixels, every other pixel within 3 of one
    (``REDITHERED_NEAR``): as a viewer shows the GIF written onto black and white, frame 2
    is frame 2 dithered alone as a still. Before, the pixels that did not change kept
    frame 1's dither, whose pattern broke around each changed pixel."""
    first = _grey_ramp(12, 12)
    second = first.copy()
    for y, x in ((3, 3), (3, 9), (9, 3), (9, 9)):
        second[y, x] = 255 - second[y, x]
    src = save_animation(tmp_path / "ramp.png", [first, second], duration=100, loop=0)
    (tmp_path / "bw.hex").write_text("000000\nffffff\n")
    reduce_animation_file(src, tmp_path / "out.gif", palette_in=str(tmp_path / "bw.hex"),
                          dither=1.0)
    shown = composited(tmp_path / "out.gif")
    for frame, got in zip([first, second], shown, strict=True):
        assert np.array_equal(got[..., :3], reduce_colors(frame, palette=_BW,
                                                          dither=1.0).to_rgb())


def test_still_pixels_far_from_the_changes_keep_their_entries_and_pass_on_their_error(
        tmp_path, monkeypatch):
    """Frame 2 of a 12 x 24 grey ramp changes a 2 x 2 block near its left edge: diffused
    onto a given palette, the still pixels more than 3 from it keep frame 1's entries, the
    nearer ones are diffused afresh with the block (some change), and frame 2 is the
    diffusion of its pixels with the far ones held at their entries, passing on their
    error. The PSNR, counted over the changed box grown by as much, is that of the frames
    counted whole."""
    first = _grey_ramp(12, 24)
    second = first.copy()
    second[5:7, 2:4] = 250
    src = save_animation(tmp_path / "ramp.png", [first, second], duration=100, loop=0)
    with open_animation(src) as animation:
        plan = GlobalPlan.fit(animation, check_animation_options(src, None, palette_in=_BW,
                                                                 dither=1.0))
    got = _mapped_frames(src, plan, 1.0)
    near = np.zeros((12, 24), bool)
    near[2:10, 0:7] = True
    assert (got[1][~near] == got[0][~near]).all()
    still_near = near & (second == first).all(axis=2)
    assert (got[1][still_near] != got[0][still_near]).any()
    held = np.where(near, -1, got[0].astype(int))
    assert np.array_equal(got[1], dither_indices(second, _BW, 1.0, given=True, fixed=held))
    boxed = reduce_animation_file(src, tmp_path / "boxed.gif", palette_in=_BW, dither=1.0)
    monkeypatch.setattr(plans, "small_box", lambda box, image: False)
    whole = reduce_animation_file(src, tmp_path / "whole.gif", palette_in=_BW, dither=1.0)
    assert boxed["psnr"] == whole["psnr"]


def test_global_plan_maps_and_counts_a_large_frame_in_parts(tmp_path, rng, monkeypatch):
    """The scans for runs, and the count of the (colour, drawn colour) pairs, held some 50
    and 40 bytes a pixel of the whole frame at once: three pages of an A4 TIFF at 300 dpi
    peaked at 790 MB. In bands of rows, and parts of pixels, the entries and the counts
    are those of the whole frame, the previous frame's entries held or not, and the peak
    is lower."""
    h, w = 256, 1024
    ramp = np.linspace(20, 235, w)[None, :, None]
    frames = [np.clip(ramp + rng.normal(0, 3, (h, w, 3)), 0, 255).astype(np.uint8)
              for _ in range(2)]
    src = save_animation(tmp_path / "pages.tif", frames)
    with open_animation(src) as animation:
        plan = GlobalPlan.fit(animation, check_animation_options(src, None, n_colors=8,
                                                                 seed=0))
    first, second = iter_frames(src)
    rgb, opaque = split_alpha(second)
    got, peaks = [], []
    for at_once in (1 << 40, 4096):
        monkeypatch.setattr(plans, "FAVOUR_BAND_PIXELS", at_once, raising=False)
        monkeypatch.setattr(stats_module, "_COUNT_PART", at_once, raising=False)
        whole = _mapped_frames(src, plan)
        stats = FrameStats()
        plan.map(rgb, opaque, (first.rgba, whole[0]), 0.0, stats)
        got.append((whole, stats.pairs()))
        shown = (first.rgba, whole[0])
        peaks.append(peak_bytes(lambda shown=shown: plan.map(rgb, opaque, shown, 0.0,
                                                             FrameStats()), repeats=2))
    (whole, pairs), (parts, parts_pairs) = got
    assert all(np.array_equal(a, b) for a, b in zip(parts, whole, strict=True))
    assert all(np.array_equal(a, b) for a, b in zip(parts_pairs, pairs, strict=True))
    assert peaks[1] < 0.5 * peaks[0]  # 32 and 65 bytes a pixel
