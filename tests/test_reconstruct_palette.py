"""quantize.reconstruct.palette: damped Floyd-Steinberg error diffusion onto a palette."""

from __future__ import annotations

import numpy as np
import pytest

from quantize.reconstruct.palette import diffuse_errors


def test_diffusion_with_zero_strength_is_the_nearest_entry(rng):
    features = rng.uniform(0, 255, (9, 13, 3)).astype(np.float32)
    entries = rng.uniform(0, 255, (5, 3)).astype(np.float32)
    got = diffuse_errors(features, entries, np.zeros((9, 13), np.float32))
    d = ((features[:, :, None, :] - entries) ** 2).sum(axis=3)
    assert np.array_equal(got, d.argmin(axis=2))


@pytest.mark.parametrize("h, w", [(7, 11), (1, 1), (1, 9), (9, 1), (6, 2), (5, 3), (2, 7)])
def test_full_strength_diffusion_is_floyd_steinberg_in_raster_order(rng, h, w):
    """The sweep along lines x + 2y = t, on any shape (one- and two-pixel-wide included)."""
    features = rng.uniform(0, 255, (h, w, 3)).astype(np.float32)
    entries = np.array([[0, 0, 0], [255, 255, 255], [255, 0, 0], [0, 0, 255]], np.float32)
    got = diffuse_errors(features, entries, np.ones((h, w), np.float32))
    work = features.astype(np.float64)
    expected = np.zeros((h, w), int)
    for y, x in np.ndindex(h, w):  # the textbook loop, with the same clipping to the palette box
        value = np.clip(work[y, x], 0, 255)
        i = expected[y, x] = ((entries - value) ** 2).sum(axis=1).argmin()
        err = value - entries[i]
        for dy, dx, share in ((0, 1, 7), (1, -1, 3), (1, 0, 5), (1, 1, 1)):
            if y + dy < h and 0 <= x + dx < w:
                work[y + dy, x + dx] += err * share / 16
    assert np.array_equal(got, expected)
