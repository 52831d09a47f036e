"""quantize.animation.plans: the opaque mask, the pooled histogram, and the two palette plans."""

from __future__ import annotations

import numpy as np

from quantize.animation.frames import Frame, iter_frames
from quantize.animation.options import check_animation_options
from quantize.animation.plans import (
    GlobalPlan,
    PerFramePlan,
    mean_delta_e,
    pooled_histogram,
    split_alpha,
)
from quantize.animation.stats import FrameStats
from quantize.colors import pack_rgb

from .animation_support import BLUE, GREEN, RED, WHITE, moving_square, save_animation

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


def test_global_plan_puts_the_moving_colours_first(tmp_path):
    src = save_animation(tmp_path / "in.gif", moving_square(), duration=50)
    plan = GlobalPlan.fit(src, check_animation_options(src, None, n_colors=4, seed=0))
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


def test_per_frame_tables_keep_an_entry_for_transparency(tmp_path):
    colors = np.array([A, B, RED, GREEN, BLUE], np.uint8)
    rgb = colors[np.arange(10) % 5].reshape(2, 5, 3)
    opaque = np.ones((2, 5), bool)
    src = tmp_path / "in.gif"  # not read: per-frame plans see frames through ``map``
    four = PerFramePlan(check_animation_options(src, None, n_colors=4, palette="per-frame",
                                                seed=0))
    _, palette, transparent, keep = four.map(rgb, opaque, None, 0.0, FrameStats())
    assert palette.shape == (4, 3) and transparent == 3 and keep is None  # 3 colours + clear
    six = PerFramePlan(check_animation_options(src, None, n_colors=6, palette="per-frame"))
    stats = FrameStats()
    indices, palette, transparent, _ = six.map(rgb, opaque, None, 0.0, stats)
    assert transparent == 5 and six.k == 5
    assert np.array_equal(palette[indices], rgb)  # five colours fit: drawn exactly
    assert mean_delta_e(stats) == 0.0


def test_mean_delta_e_of_nothing_drawn_is_zero():
    assert mean_delta_e(FrameStats()) == 0.0
