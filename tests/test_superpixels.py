"""quantize.superpixels: superpixels by local k-means, made connected."""

from __future__ import annotations

import numpy as np

from quantize.superpixels import cell_step, connected_superpixels, local_kmeans

from .segment_support import step_image


def test_superpixels_stay_on_one_side_of_a_step(rng):
    img = step_image(shape=(48, 64), column=30, noise=3.0, rng=rng)
    from quantize.features import lab_planes

    lab = lab_planes(img)
    step = cell_step(img.shape[:2], 40)
    labels, n = connected_superpixels(local_kmeans(lab, step, 10.0), lab, 4)
    assert labels.min() == 0 and labels.max() == n - 1
    left, right = set(labels[:, :31].ravel()), set(labels[:, 31:].ravel())
    assert not left & right


def test_sparse_passes_keep_superpixels_on_one_side_of_a_step(rng):
    # Passes on a quarter of the pixels settle the centres; the final assignment
    # still sees every pixel, so the step is followed as closely.
    img = step_image(shape=(48, 64), column=30, noise=3.0, rng=rng)
    from quantize.features import lab_planes

    lab = lab_planes(img)
    step = cell_step(img.shape[:2], 40)
    sparse = local_kmeans(lab, step, 10.0, n_iter=4, n_sparse=4)
    assert sparse.shape == (48, 64)
    left, right = set(sparse[:, :31].ravel()), set(sparse[:, 31:].ravel())
    assert not left & right
    # n_sparse 0 is the plain local k-means; cells under 4 pixels a side ignore it
    np.testing.assert_array_equal(local_kmeans(lab, step, 10.0, 4, 0),
                                  local_kmeans(lab, step, 10.0, 4))
    np.testing.assert_array_equal(local_kmeans(lab, 3, 10.0, 4, n_sparse=4),
                                  local_kmeans(lab, 3, 10.0, 4))
