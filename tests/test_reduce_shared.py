"""quantize.reduce.shared: one palette for many images: sample, merge, fit, map."""

from __future__ import annotations

import numpy as np

from quantize.reduce import check_reduce_options, fit_palette, reduce_file
from quantize.reduce.shared import (
    fit_shared_palette,
    merge_histograms,
    options_with_palette,
    sample_colors,
)

from .reduce_support import COLOURS, read_rgb, rgba_input


def test_sample_colors_draws_opaque_pixels_only(tmp_path):
    src = tmp_path / "alpha.png"
    rgba_input(src)  # rows 0-1 transparent
    colors, counts = sample_colors(src, 500, seed=0)
    assert counts.sum() == 500
    assert set(map(tuple, colors.tolist())) <= set(map(tuple, COLOURS.tolist()))
    again = sample_colors(src, 500, seed=0)
    assert np.array_equal(again[0], colors) and np.array_equal(again[1], counts)


def test_merge_histograms_adds_counts_of_equal_colours():
    a = (COLOURS[:2], np.array([3, 1]))
    b = (COLOURS[1:3], np.array([2, 5]))
    empty = (np.zeros((0, 3), np.uint8), np.zeros(0))
    colors, counts = merge_histograms([a, empty, b])
    got = {tuple(c): n for c, n in zip(colors.tolist(), counts.tolist(), strict=True)}
    assert got == {tuple(COLOURS[0]): 3.0, tuple(COLOURS[1]): 3.0, tuple(COLOURS[2]): 5.0}
    assert merge_histograms([empty])[0].shape == (0, 3)


def test_shared_palette_maps_every_file_onto_the_same_colours(tmp_path, photo):
    colors, counts = merge_histograms([sample_colors(photo, 2000, seed=(0, i))
                                       for i in range(2)])
    options = check_reduce_options(n_colors=4, seed=0)
    palette = fit_shared_palette(colors, counts, options)
    assert palette.shape == (4, 3)
    assert np.array_equal(palette, fit_palette(colors, counts, 4, seed=0))
    mapped = options_with_palette(options, palette)
    assert "n_colors" not in mapped and mapped["palette_in"] is palette
    record = reduce_file(photo, tmp_path / "m.png", **mapped)
    used = np.unique(read_rgb(tmp_path / "m.png").reshape(-1, 3), axis=0)
    assert record["k"] == 4 and set(map(tuple, used.tolist())) <= set(map(tuple,
                                                                         palette.tolist()))
