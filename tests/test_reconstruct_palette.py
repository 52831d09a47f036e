"""quantize.reconstruct.palette: damped Floyd-Steinberg error diffusion onto a palette."""

from __future__ import annotations

import numpy as np

from quantize.reconstruct.palette import diffuse_errors


def test_diffusion_with_zero_strength_is_the_nearest_entry(rng):
    features = rng.uniform(0, 255, (9, 13, 3)).astype(np.float32)
    entries = rng.uniform(0, 255, (5, 3)).astype(np.float32)
    got = diffuse_errors(features, entries, np.zeros((9, 13), np.float32))
    d = ((features[:, :, None, :] - entries) ** 2).sum(axis=3)
    assert np.array_equal(got, d.argmin(axis=2))


def test_full_strength_diffusion_is_floyd_steinberg_in_raster_order(rng):
    features = rng.uniform(0, 255, (7, 11, 3)).astype(np.float32)
    entries = np.array([[0, 0, 0], [255, 255, 255], [255, 0, 0], [0, 0, 255]], np.float32)
    got = diffuse_errors(features, entries, np.ones((7, 11), np.float32))
    work = features.astype(np.float64)
    expected = np.zeros((7, 11), int)
    for y, x in np.ndindex(7, 11):  # the textbook loop, with the same clipping to the palette box
        value = np.clip(work[y, x], 0, 255)
        i = expected[y, x] = ((entries - value) ** 2).sum(axis=1).argmin()
        err = value - entries[i]
        for dy, dx, share in ((0, 1, 7), (1, -1, 3), (1, 0, 5), (1, 1, 1)):
            if y + dy < 7 and 0 <= x + dx < 11:
                work[y + dy, x + dx] += err * share / 16
    assert np.array_equal(got, expected)
